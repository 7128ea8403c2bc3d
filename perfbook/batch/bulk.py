"""bulk: one master table of many projects in, one workbook per department (or per project) out.

A finance bureau sends every department its blank or pre-filled workbooks each budget round. The
template is compiled once per process (render.py); each workbook is then a few milliseconds of
string work, spread over processes. File names come from a jinja2 pattern and are made safe for
Windows, where most officials open them (_names.py). A manifest CSV records what was written, with a sha256,
so the bureau can show which file went where.
"""
from __future__ import annotations

__all__ = ["bulk", "BulkResult", "Written", "Failed"]

import csv
import dataclasses
import hashlib
import io
import math
import os
import tempfile
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from .. import _fields as F
from .._csvtext import row as csv_row, uncell
from ..cycle.make import compiled as compiled_cycle, render as render_cycle
from ..cycle.scoring import scheme_for
from ..errors import DataError, EnvironmentProblem, PerfbookError, environment_error
from ..model import Project
from ..ooxml._package import write_atomic
from ..ooxml._parts import has_macros
from ..readers.formats import ensure_safe
from ..readers.reader import load_template
from ..write._inputs import csv_table, load, load_table
from ..write._render import check_blank_rows
from ..write.fill import compiled, meta_for
from . import _early, _master, _parallel as parallel
from ._early import SMALL_RUN, forks, is_csv as _csv, likely_large, start as start_early
from ._names import Namer, pattern_fields as _pattern_fields, pattern_for

MANIFEST = "清单.csv"
MANIFEST_HEADER = ("文件", "主管部门", "项目数", "项目名称", "指标数", "字节数", "SHA256", "状态", "说明")
WRITTEN, NOT_WRITTEN = "已生成", "未生成"
NO_DEPARTMENT = _master.NO_DEPARTMENT



@dataclass(frozen=True)
class Job:
    """One workbook to write: where, for which department, with which projects."""

    index: int
    file: str                        # relative path, "/"-separated
    department: str
    projects: tuple[Project, ...]
    # a streamed master: each project's (key, spans), by which the worker reads its rows from the master
    # (the projects are then their headers only); None: the projects are complete
    spans: tuple[tuple, ...] | None = None

    def complete(self, source: _master.Source | None) -> list[Project]:
        """The job's projects whole (read from the master by the worker, for a streamed master)."""
        if self.spans is None:
            return list(self.projects)
        assert source is not None, "a job of a streamed master is read from it"
        return _master.read(source, self.spans)


@dataclass(frozen=True)
class Written:
    """One manifest row."""

    file: str
    department: str
    projects: tuple[str, ...]
    indicators: int
    bytes: int
    sha256: str

    def row(self) -> tuple:
        return (self.file, self.department, len(self.projects), "；".join(self.projects),
                self.indicators, self.bytes, self.sha256, WRITTEN, None)


@dataclass(frozen=True)
class Failed:
    file: str
    message: str
    department: str | None = None
    projects: tuple[str, ...] = ()

    def row(self) -> tuple:
        return (self.file, self.department, len(self.projects), "；".join(self.projects),
                None, None, None, NOT_WRITTEN, self.message)


@dataclass(frozen=True)
class BulkResult:
    outdir: Path
    manifest: Path | None
    written: tuple[Written, ...] = ()
    failed: tuple[Failed, ...] = ()
    unplaced: tuple[str, ...] = field(default=())   # master columns the template has no place for
    peak_projects: int = 0        # most Projects held in memory at once (a streamed CSV master keeps it small)

    @property
    def projects(self) -> int:
        return sum(len(w.projects) for w in self.written)


@dataclass(frozen=True)
class Options:
    """What every worker needs to render: the template (compiled once per process) and the fill options."""

    outdir: str
    template: str | None = None
    frame: str | None = None
    macros: bool = False
    blank_rows: int = 0
    kind: str = "target"     # or selfeval / monitor: the year's other tables (perfbook/cycle)
    source: _master.Source | None = None     # a streamed master, from which the workers read their rows


# --- names ------------------------------------------------------------------------------------

def _context(projects: list[Project], department: str, index: int) -> tuple[dict, set[str]]:
    """What a name pattern may use: every field the workbook's projects agree on (a field none of them
    has is empty), plus 序号 and 项目数; and the fields they disagree on, for a clear error."""
    if len(projects) == 1:                        # every workbook of --per-project: nothing can differ
        one = projects[0].header_dict()
        alone: dict[str, object] = {spec.label: "" for spec in F.project_fields() if spec.label not in one}
        return {**alone, **one, "主管部门": department, "序号": index, "项目数": 1}, set()
    dicts = [p.header_dict() for p in projects]
    seen = {k for d in dicts for k in d}
    common: dict[str, object] = {spec.label: "" for spec in F.project_fields() if spec.label not in seen}
    differing = set()
    for k in seen:
        vals = {repr(d.get(k)) for d in dicts}
        if len(vals) == 1:
            common[k] = dicts[0][k]
        else:
            differing.add(k)
    common["主管部门"] = department
    common["序号"] = index
    common["项目数"] = len(projects)
    return common, differing


def plan(projects: list[Project], *, per_project: bool = False, name: str | None = None,
         ext: str = ".xlsx") -> list[Job]:
    """The workbooks to write: grouped by 主管部门 in master order (or one per project), named."""
    namer = Namer(pattern_for(name, per_project), ext)
    groups: dict[str, list[Project]] = {}
    items: list[tuple[str, list[Project]]]
    if per_project:
        items = [((p.department or NO_DEPARTMENT), [p]) for p in projects]
    else:
        for p in projects:
            groups.setdefault(str(p.department or NO_DEPARTMENT), []).append(p)
        items = list(groups.items())
    return list(_jobs(items, namer))


def _jobs(items: Iterable[tuple[str, list[Project]]], namer: Namer) -> Iterator[Job]:
    """Jobs named in plan order (names that collide get (2), (3)… in that order), one at a time."""
    for i, (dept, group) in enumerate(items, start=1):
        yield Job(i, namer.name(*_context(group, dept, i)), dept, tuple(group))


def _streamed_jobs(units: Iterable[tuple[str, list]], namer: Namer) -> Iterator[Job]:
    """_jobs for a streamed master: each project comes as (header, (key, spans))."""
    for i, (dept, group) in enumerate(units, start=1):
        heads = [p for p, _where in group]
        yield Job(i, namer.name(*_context(heads, dept, i)), dept, tuple(heads), tuple(w for _p, w in group))


# --- writing ----------------------------------------------------------------------------------

def write_one(job: Job, options: Options) -> Written | Failed:
    """Render one workbook and write it atomically (runs in a worker process)."""
    return _render(job, job.complete(None), options)


def write_streamed(job: Job, options: Options) -> tuple[Written | Failed, tuple | None]:
    """write_one for a job of a streamed master, with each project's labels, its own and its indicators'
    (for unplaced): the worker reads the projects, so it is the one that knows them."""
    projects = job.complete(options.source)
    keys = tuple((tuple(p.header_dict()),
                  tuple(dict.fromkeys(k for ind in p.indicators for k, _v in ind._items()))) for p in projects)
    return _render(job, projects, options), (keys if options.kind == "target" else None)


def _render(job: Job, projects: list[Project], options: Options) -> Written | Failed:
    try:
        if options.kind != "target":
            data = render_cycle(projects, options.kind, frame=options.frame, template=options.template,
                                meta={"perfbook.department": job.department})
        else:
            c = compiled(options.template, options.frame, options.macros)
            meta = {**meta_for(options.frame, options.template), "perfbook.department": job.department}
            data = c.render(projects, blank_rows=options.blank_rows, meta=meta)
        write_atomic(Path(options.outdir) / job.file, data)
    except PerfbookError as exc:
        return _failed(job, exc.zh)
    except OSError as exc:
        return _failed(job, environment_error(exc, Path(options.outdir) / job.file).zh)
    return Written(job.file, job.department, tuple(p.name or "" for p in job.projects),
                   sum(len(p.indicators) for p in projects), len(data), hashlib.sha256(data).hexdigest())


def _failed(job: Job, message: str) -> Failed:
    return Failed(job.file, message, job.department, tuple(p.name or "" for p in job.projects))


def _crashed(job: Job, exc: BaseException) -> Failed:
    return _failed(job, f"生成时工作进程异常退出（{getattr(exc, 'detail', type(exc).__name__)}）")


def unplaced(projects: list[Project], template=None) -> list[str]:
    """Master columns the template has no cell for: said once for the whole run, not per project."""
    lost = _Unplaced(template)
    for p in projects:
        lost.add(p)
    return list(lost.lost)


class _Unplaced:
    """unplaced() a project at a time: bulk feeds it while the workers render (no serial pass at the end)."""

    def __init__(self, template=None):
        tpl = load_template(template)
        self.places, self.ind_places = set(tpl.field_labels()), set(tpl.indicator_labels())
        self.lost: dict[str, None] = {}

    def add(self, p: Project) -> None:
        self.add_keys(p.header_dict(), (k for ind in p.indicators for k, _v in ind._items()))

    def add_keys(self, keys, ind_keys) -> None:
        """A project's labels and its indicators' (a streamed master's, as the worker read them)."""
        for k in keys:
            if k not in self.places:
                self.lost.setdefault(k)
        for k in ind_keys:
            if k not in self.ind_places:
                self.lost.setdefault(k)

    def add_job(self, job: Job, keys=None) -> None:
        """A job's projects in order; keys: each one's (labels, indicator labels) (write_streamed)."""
        if keys is not None:
            for own, ind in keys:
                self.add_keys(own, ind)
            return
        for p in job.projects:
            self.add(p)


def bulk(master, outdir, *, template=None, frame=None, blank_rows: int = 0, per_project: bool = False,
         name: str | None = None, macros: bool = False, manifest: str | None = MANIFEST,
         execution: parallel.Plan = parallel.Plan(), kind: str = "target") -> BulkResult:
    """Write every department's workbook (or, per_project=True, every project's) for the projects in master.

    master: a master table path (.xlsx/.csv, one row per indicator, or one per project for blank forms),
    a pandas DataFrame, a list of dicts or Projects. A CSV master is indexed in one pass (perfbook/batch/_master.py;
    with workers, in a forked child while this process compiles the template) and each worker reads its
    workbooks' rows from it; the others are loaded whole. name:
    a jinja2 file-name pattern such as "{{主管部门}}/{{项目名称}}.xlsx" (made safe for Windows). A 清单.csv
    manifest with a sha256 per file is written beside them. Returns a BulkResult: ``written``, ``failed``
    (a workbook that could not be written, with the reason; the others are still written), ``unplaced``
    columns. execution: local processes (default, all cores) or a dask cluster (parallel.Plan). kind:
    "target" (绩效目标表), or "selfeval" / "monitor" for the year's 自评表 / 监控表 made from the same projects."""
    local = execution.executor == "local" and execution.workers > 1
    start_early(master, execution, template=template, frame=frame, macros=macros, kind=kind)
    if local and execution.fork is None:
        execution = dataclasses.replace(execution, fork=forks(execution))   # _extension compiles the template here
    pattern = pattern_for(name, per_project)
    tpath = str(Path(template).resolve()) if template else None
    aside = _index_aside(master, per_project, pattern) if local and execution.fork else None
    try:
        ext_early = _Outcome(_extension, kind, template, tpath, frame, macros) if aside is not None else None
        ix, projects = _source(master, per_project, pattern, aside)
    finally:
        if aside is not None:
            aside.cancel()
    check_blank_rows(blank_rows)              # before any workbook (each render checks it too)
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    options = Options(str(outdir.resolve()), tpath, frame, macros, blank_rows, kind, ix.source() if ix else None)
    ext = ext_early.get() if ext_early is not None else _extension(kind, template, tpath, frame, macros)
    held = _master.Counter()
    jobs: Iterable[Job]
    if ix is not None:
        namer = Namer(pattern, ext)
        jobs, count, room = _streamed_jobs(_master.units(ix, held), namer), ix.workbooks, ix.reserve
    else:
        planned = plan(projects, per_project=per_project, name=name, ext=ext)
        held.add(len(projects))
        jobs, count, room = planned, len(planned), sum(map(_row_room, planned))
    if local and count < SMALL_RUN and not execution.isolate:
        execution = dataclasses.replace(execution, jobs=1)     # starting workers would cost more than they save
    path = outdir / manifest if manifest else None
    book = _Manifest(path, room) if path is not None else None
    try:
        written, failed, lost = _write(jobs, count, options, execution, book, held, kind, template, ix is not None)
    except BaseException:
        if book is not None:
            book.discard()
        raise
    if book is not None:
        _finish(book, failed)
    return BulkResult(outdir, path, tuple(written), tuple(failed), tuple(lost.lost) if lost is not None else (),
                      held.peak)


def _source(master, per_project: bool, pattern: str, aside: parallel.Aside | None = None
            ) -> tuple[_master.Index | None, list[Project]]:
    """A CSV master's first pass (the master is then streamed), or, when it cannot be, every Project.
    aside: the first pass already under way in a child (_index_aside)."""
    fields = _streamable(master, pattern)
    if fields is not None:
        got = aside.result() if aside is not None else None
        ix = got[0] if got is not None else _master.index(Path(master), per_project=per_project, names=fields)
        if ix is not None:
            return ix, []
    return None, (list(master) if _is_projects(master) else load_master(master))


def _index_aside(master, per_project: bool, pattern: str) -> parallel.Aside | None:
    """The first pass of a large CSV master in a forked child, while this process compiles the template:
    on two cores the two take the time of the longer. None where it would not pay or cannot be."""
    fields = _streamable(master, pattern)
    early = _early.taken(master, per_project, pattern)       # started by the command line, before the engine
    if fields is None or not likely_large(master) or not parallel.can_fork():
        if early is not None:
            early.cancel()
        return None
    return early or parallel.Aside(partial(_master.index, Path(master), per_project=per_project, names=fields))


def _streamable(master, pattern: str) -> set[str] | None:
    """The fields the name pattern uses, when master is a CSV file that can be streamed (None otherwise, or
    when the pattern does not parse: Namer says why)."""
    fields = _pattern_fields(pattern)
    if fields is None or _is_projects(master) or not _master.is_csv_master(master):
        return None
    return fields


class _Outcome:
    """fn(*args) called now; get() gives its value, or raises its error then (bulk keeps the order in which
    it reports problems: the master's before the template's, whichever it worked out first)."""

    def __init__(self, fn, *args):
        self.value, self.error = None, None
        try:
            self.value = fn(*args)
        except Exception as exc:
            self.error = exc

    def get(self):
        if self.error is not None:
            raise self.error
        return self.value


def _extension(kind: str, template, tpath: str | None, frame, macros: bool) -> str:
    """Compile the template here first (a broken one is one clear error, not one per workbook); a
    template with macros makes .xlsm files."""
    if kind != "target":
        c = compiled_cycle(kind, template, scheme_for(None, frame).id)
    else:
        c = compiled(tpath, frame, macros)
    return ".xlsm" if macros or _has_macros(c.template) else ".xlsx"


def _write(jobs: Iterable[Job], count: int, options: Options, execution: parallel.Plan, book: _Manifest | None,
           held: _master.Counter, kind: str, template, streamed: bool
           ) -> tuple[list[Written], list[Failed], _Unplaced | None]:
    """Every job through the workers; each manifest row goes to the manifest as its result comes back,
    and the job's columns to unplaced (in job order, as the results come)."""
    written: list[Written] = []
    failed: list[Failed] = []
    lost = _Unplaced(template) if kind == "target" else None
    out: deque[Job] = deque()          # jobs handed out, not yet back

    away = streamed and execution.executor == "dask"     # a cluster's workers may not see the master's file

    def feed() -> Iterator[Job]:
        for job in jobs:
            if book is not None:
                book.room_for(job)
            if away:
                job = dataclasses.replace(job, projects=tuple(job.complete(options.source)), spans=None)
            out.append(job)
            yield job
    fn = write_streamed if streamed else write_one
    for res in parallel.run(partial(fn, options=options), feed(), execution, total=count,
                            desc="生成", on_crash=_crashed):
        job = out.popleft()
        held.add(-len(job.projects))
        keys = None
        if isinstance(res, tuple):
            res, keys = res
        if lost is not None:
            lost.add_job(job, keys)
        if isinstance(res, Written):
            written.append(res)
            if book is not None:
                book.add(res)
        else:
            failed.append(res)
    return written, failed, lost


def _finish(book: _Manifest, failed: list[Failed]) -> None:
    try:
        book.finish(failed)                # what was not written is listed too
    except OSError as exc:
        if failed:
            lines = "；".join(f.file for f in failed[:20]) + ("……" if len(failed) > 20 else "")
            raise EnvironmentProblem(
                f"清单无法写入（{environment_error(exc).zh}）；{len(failed)} 个工作簿未生成：{lines}",
                f"the manifest could not be written ({environment_error(exc).en}); "
                f"{len(failed)} workbook(s) not written", book.path) from None
        raise environment_error(exc, book.path) from None


def _row_room(job: Job) -> int:
    """Bytes enough for job's manifest row, written or not (with a message of up to 120 bytes), counted
    without writing it: a character is at most 4 bytes in UTF-8 and a quote doubles; the rest (numbers, the
    sha256, the status, the separators) takes under 300."""
    return 4 * (len(job.file) + len(job.department) + sum(len(p.name or "") + 1 for p in job.projects)) + 300 + 120


class _Manifest:
    """The manifest's space, taken before any workbook is written: on a disk that fills up, the list of
    what could not be written still fits. Rows are written into that space in place as results come back
    (never past it); failed ones are added at the end, then the file is cut to its length and renamed."""

    def __init__(self, path: Path, room: int):
        self.path, self.header = path, _csv_rows([], header=True)
        self.room = len(self.header) + room
        self.need = len(self.header)
        self.error: OSError | None = None
        fd, tmp = tempfile.mkstemp(prefix=".~" + path.name[:40] + ".", suffix=".tmp", dir=path.parent)
        self.tmp = Path(tmp)
        try:
            self.fh = os.fdopen(fd, "r+b")
            self._extend(0, self.room)
            self.fh.seek(0)
            self.fh.write(self.header)
            self.pos = len(self.header)
        except OSError as exc:
            self.discard()
            raise EnvironmentProblem(f"清单无法写入（{environment_error(exc).zh}），未生成任何工作簿",
                                     f"the manifest cannot be written ({environment_error(exc).en}); no workbook was written",
                                     path) from None

    def _extend(self, start: int, end: int) -> None:
        self.fh.seek(start)
        block = b"0" * (1 << 16)
        while start < end:
            start += self.fh.write(block[: end - start])
        self.fh.flush()
        os.fsync(self.fh.fileno())

    def room_for(self, job: Job) -> None:
        """Count job's worst row in; past the room taken so far, take more (a streamed master's first
        estimate is generous, so this is rare)."""
        self.need += _row_room(job)
        if self.need > self.room and self.error is None:
            try:
                self._extend(self.room, self.need + (1 << 16))
                self.room = self.need + (1 << 16)
            except OSError as exc:
                self.error = exc

    def add(self, res: Written) -> None:
        if self.error is not None:
            return
        try:
            data = _csv_rows([res])
            self.fh.seek(self.pos)
            self.fh.write(data)
            self.pos += len(data)
        except OSError as exc:
            self.error = exc

    def finish(self, failed: list[Failed]) -> None:
        try:
            if self.error is not None:
                raise self.error
            self.fh.seek(self.pos)
            self.fh.write(_csv_rows(failed))
            self.fh.truncate()
            self.fh.flush()
            os.fsync(self.fh.fileno())
            self.fh.close()
            os.replace(self.tmp, self.path)
        except BaseException:
            self.discard()
            raise

    def discard(self) -> None:
        fh = getattr(self, "fh", None)
        if fh is not None:
            try:
                fh.close()
            except OSError:
                pass
        self.tmp.unlink(missing_ok=True)


def load_master(source) -> list[Project]:
    """Projects from the master table. A master for blank workbooks has project columns only (no
    一级/二级/三级指标): each row is then one project."""
    path = Path(source) if isinstance(source, (str, Path)) else None
    if path is None or path.suffix.lower() not in (".csv", ".txt", ".xlsx", ".xlsm", ".xls", ".ods"):
        return load(source)
    header = _header(path)
    if any(F.indicator_field(str(c)) and not F.project_field(str(c)) for c in header):
        return load_table(path)
    if not any(F.project_field(str(c)) is F.project_field("项目名称") for c in header):
        raise DataError(f"主表缺少“项目名称”列；找到的列：{'、'.join(map(str, header)) or '（无）'}",
                        f"the master table has no 项目名称 column; found: {', '.join(map(str, header))}", path)
    out = []
    for i, row in enumerate(_rows(path), start=2):
        d = {str(k): v for k, v in row.items() if v is not None and v != "" and str(k) != "__sheet__"}
        if not d:
            continue
        p = Project.from_dict(d)
        if not p.name:
            raise DataError(f"第{i}行缺少“项目名称”", f"row {i} has no 项目名称", path, f"第{i}行")
        out.append(p)
    if not out:
        raise DataError("主表中没有任何项目", "the master table holds no project rows", path)
    return out


def _frame(path: Path, nrows=None):
    import pandas as pd
    ensure_safe(path)
    return pd.read_excel(path, sheet_name=0, dtype=object, engine="calamine", nrows=nrows)


def _header(path: Path) -> list:
    if not path.exists():
        raise DataError("找不到主表文件", "master table not found", path)
    if _csv(path):                      # the csv module, not pandas: a CSV master is read as it streams
        cols, rows = csv_table(path)
        getattr(rows, "close", lambda: None)()
        return cols
    return list(_frame(path, nrows=0).columns)


def _rows(path: Path):
    if _csv(path):
        yield from csv_table(path)[1]
        return
    for rec in _frame(path).to_dict("records"):
        yield {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in rec.items()}


def _has_macros(template) -> bool:
    """Excel refuses a macro-enabled workbook saved as .xlsx, so such a template makes .xlsm files."""
    return has_macros(template.parts)


def _is_projects(master) -> bool:
    return isinstance(master, (list, tuple)) and all(isinstance(p, Project) for p in master)


def _csv_rows(rows, header: bool = False) -> bytes:
    """Manifest rows as bytes, the manifest being written a row at a time: UTF-8, the header with a BOM in
    front (Excel on a Chinese Windows opens it without garbling); cells that a spreadsheet would take for a
    formula written as text (csvtext); workbooks not written get a 未生成 row."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    if header:
        w.writerow(MANIFEST_HEADER)
    for r in rows:
        w.writerow(csv_row(r.row()))
    return buf.getvalue().encode("utf-8-sig" if header else "utf-8")


def read_manifest(path) -> Iterator[dict]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        for rec in csv.DictReader(fh):
            yield {k: uncell(v) if isinstance(v, str) else v for k, v in rec.items()}
