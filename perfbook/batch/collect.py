"""collect: every workbook under a folder in, one summary workbook (and optionally a database) out.

A bureau gets hundreds of workbooks back each round, some filled well, some broken. Each file is
read (python-calamine via reader.py) and validated (check.py) in a worker process; the worker sends
back only the summary rows, never the Book, and the main process writes them straight into the
summary's sheet XML (batch/_summary.py), deflated as they come, so memory stays flat however many files there are.
A file that cannot be read, or that trips a bug, becomes a row in 问题 and the run goes on.
"""
from __future__ import annotations

__all__ = ["collect", "CollectResult", "FileResult"]

import importlib
import os
import shutil
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace as _replace
from functools import partial
from pathlib import Path

from .. import _fields as F
from ..cycle.check import cycle_kind, export_candidate
from ..cycle.collect import SHEETS, export_rows, rows
from ..department import department_fields
from ..errors import NoTable, PerfbookError
from ..readers._sniff import sniff
from ..readers.reader import load_template
from ..rules._catalog import rule
from ..rules.findings import ERROR, INFO, WARNING
from . import _parallel as parallel
from ._db import Database
from ._summary import SummaryWriter

WORKBOOK_EXTENSIONS = (".xlsx", ".xlsm", ".xltx", ".xltm", ".xls", ".xlsb", ".ods", ".et")

READ, UNREADABLE, INTERNAL = "已读取", "无法读取", "内部错误"
SKIPPED = "已跳过"              # not a workbook (.docx, .csv, .pdf …): listed in 文件, never read
PASSED, FAILED, UNCHECKED = "通过", "未通过", "未校验"
OTHER = "其他字段"

DEPT_SHEET, TASKS = "部门", "年度主要任务"     # 部门整体支出绩效目标表: a sheet of their own


def DEPT_FIELDS() -> tuple[str, ...]:
    return tuple(s.label for s in department_fields())


NOTE_SEVERITY = {"unmapped": WARNING, "unknown-sheet": WARNING, "layout": WARNING, "formula": WARNING,
                 "number": WARNING, "conflict": WARNING}
RULE_TITLE = "规则名称"          # the rule's Chinese title beside its id, for the printed summary
# ids collect itself uses (the checker's come from rules.yaml)
OWN_TITLES = {"unreadable": "无法读取", "internal-error": "内部错误", "check-failed": "无法校验",
              "read-unmapped": "未对应的单元格", "read-unknown-sheet": "未识别的工作表", "read-hidden-sheet": "隐藏的工作表",
              "read-macro": "含宏", "read-format": "文件格式", "read-source": "读取提示", "no-table": "未找到绩效指标表"}
INTEGER_COLUMNS = {"项目序号", "行", "指标数", "错误数", "警告数", "提示数", "项目数", "确定能", "有可能", "完全不可能", "未选"}


# --- columns ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Columns:
    """The summary's headers. Field columns come from fields.yaml plus what the template adds."""

    project_fields: tuple[str, ...]
    indicator_fields: tuple[str, ...]

    @classmethod
    def for_template(cls, template=None) -> "Columns":
        tpl = load_template(template)
        pf = [s.label for s in F.project_fields()]
        inf = [s.label for s in F.indicator_fields()]
        pf += [lab for lab in tpl.field_labels() if lab not in pf and F.project_field(lab) is None]
        inf += [lab for lab in tpl.indicator_labels() if lab not in inf and F.indicator_field(lab) is None]
        return cls(tuple(pf), tuple(inf))

    def sheets(self) -> dict[str, Sequence[str]]:
        return {
            "项目": ("文件", "工作表", "项目序号", *self.project_fields, OTHER, "指标数", "错误数", "警告数", "校验结果"),
            "指标": ("文件", "工作表", "行", "项目名称", "项目编码", "主管部门", *self.indicator_fields, OTHER),
            "问题": ("文件", "工作表", "单元格", "项目名称", "级别", "规则", RULE_TITLE, "说明", "建议"),
            "文件": ("文件", "格式", "状态", "项目数", "指标数", "错误数", "警告数", "提示数", "说明"),
            DEPT_SHEET: ("文件", "工作表", "部门序号", *DEPT_FIELDS(), TASKS, OTHER, "指标数", "错误数", "警告数", "校验结果"),
            **_cycle_sheets(),
        }


@dataclass(frozen=True)
class Options:
    root: str
    columns: Columns
    template: str | None = None
    frame: str | None = None
    validate: bool = True


@dataclass(frozen=True)
class FileResult:
    """What one file adds to the summary: rows for each sheet, already in column order."""

    file: str
    status: str
    projects: tuple[tuple, ...] = ()
    indicators: tuple[tuple, ...] = ()
    problems: tuple[tuple, ...] = ()
    summary: tuple = ()
    departments: tuple[tuple, ...] = ()
    cycle: tuple[tuple[str, tuple], ...] = ()    # 自评 / 监控 rows (perfbook/cycle/collect.py)

    def rows(self) -> Iterator[tuple[str, tuple]]:
        yield from self.cycle
        for r in self.projects:
            yield "项目", r
        for r in self.departments:
            yield DEPT_SHEET, r
        for r in self.indicators:
            yield "指标", r
        for r in self.problems:
            yield "问题", (*r[:6], rule_title(r[5]), *r[6:])
        yield "文件", self.summary


@dataclass(frozen=True)
class CollectResult:
    output: Path
    files: int
    read: int
    unreadable: int
    internal: int
    projects: int
    indicators: int
    problems: int
    errors: int
    batch: int | None = None     # the database run number, with --db
    skipped: int = 0             # files that are not workbooks, listed in 文件 as 已跳过


def rule_title(rule_id: str | None) -> str | None:
    if rule_id in OWN_TITLES:
        return OWN_TITLES[rule_id]
    try:
        return rule(rule_id).title
    except (StopIteration, TypeError):
        return None


# --- finding files ----------------------------------------------------------------------------

def find_workbooks(root, skip=()) -> Iterator[Path]:
    """Every workbook under root, in a stable order; Office lock files (~$…), perfbook's own
    half-written temp files (.~…) and hidden folders are left out."""
    root = Path(root)
    skip = {Path(p).resolve() for p in skip}
    if root.is_file():
        yield root
        return
    if not root.is_dir():
        raise PerfbookError("找不到要汇总的目录", "the folder to collect does not exist", root)
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.startswith(("~$", ".~", ".")) or not name.lower().endswith(WORKBOOK_EXTENSIONS):
                continue
            p = Path(dirpath) / name
            if p.resolve() not in skip:
                yield p


def skipped_files(root, skip=()) -> Iterator[Path]:
    """The files under root that find_workbooks leaves out for their type (a .docx, a .csv), so the
    summary can list them; lock files, temp files and hidden files are not the user's and stay unlisted."""
    root = Path(root)
    if not root.is_dir():
        return
    skip = {Path(p).resolve() for p in skip}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.startswith(("~$", ".~", ".")) or name.lower().endswith(WORKBOOK_EXTENSIONS):
                continue
            p = Path(dirpath) / name
            if p.resolve() not in skip:
                yield p


def _skipped_row(path: Path, root: str) -> tuple:
    ext = path.suffix.lower() or "（无扩展名）"
    return (_relative(path, root), None, SKIPPED, 0, 0, 0, 0, 0,
            f"不是工作簿（{ext}），未读取 / not a workbook, not read")


# --- one file (in a worker) -------------------------------------------------------------------

def _checker():
    """perfbook.rules.check.check, once the validation layer is there; None without it."""
    try:
        mod = importlib.import_module("perfbook.rules.check")
    except ModuleNotFoundError as exc:
        if exc.name == "perfbook.rules.check":
            return None
        raise
    return getattr(mod, "check", None)


def _plain(v):
    """A value the summary can hold as it is: numbers stay numbers, anything else becomes text."""
    if v is None or isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "是" if v else "否"
    if isinstance(v, (int, float)):
        return v
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return str(v)


def _other(d: dict, known) -> str | None:
    rest = [f"{k}：{_plain(v)}" for k, v in d.items() if k not in known and v is not None]
    return "；".join(rest) or None


def _internal(exc: BaseException, stage: str) -> str:
    return f"内部错误（{stage}）：{type(exc).__name__}: {str(exc)[:300]}（请把此文件和这条信息报告给维护者）"


def collect_one(path, options: Options) -> FileResult:
    """Read and validate one file into summary rows. Never raises for a bad file."""
    path = Path(path)
    rel = _relative(path, options.root)
    if cycle_kind(path) or export_candidate(path):
        res = _collect_cycle(path, rel)
        if res is not None:
            return res
    book = _read(path, rel, options)
    if isinstance(book, FileResult):
        return book
    findings, verdict, problems = _validate(book, rel, options)
    for n in book.notes:
        problems.append((rel, n.sheet, n.cell, None, NOTE_SEVERITY.get(n.kind, INFO), f"read-{n.kind}", n.zh, None))
    project_rows, indicator_rows = _projects(book, rel, findings, verdict, options.columns)
    dept_rows = _departments(book, rel, findings, verdict, options.columns, indicator_rows)
    counts = {s: sum(1 for pr in problems if pr[4] == s) for s in (ERROR, WARNING, INFO)}
    summary = (rel, book.format, READ, len(book.projects), len(indicator_rows),
               counts[ERROR], counts[WARNING], counts[INFO], None)
    return FileResult(rel, READ, tuple(project_rows), tuple(indicator_rows), tuple(problems), summary,
                      tuple(dept_rows))


def _read(path: Path, rel: str, options: Options):
    """The Book, or the FileResult of a file that cannot be read."""
    try:
        from ..readers.reader import read
        return read(path, template=options.template)
    except NoTable as exc:
        return _failed(rel, READ, "no-table", exc.zh, _kind(path))
    except PerfbookError as exc:
        return _failed(rel, UNREADABLE, "unreadable", exc.zh, _kind(path))
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:   # noqa: BLE001 - a parser panic (pyo3 PanicException) is a BaseException
        return _failed(rel, INTERNAL, "internal-error", _internal(exc, "读取"), _kind(path))


def _validate(book, rel: str, options: Options) -> tuple[tuple, str, list[tuple]]:
    """(findings, verdict, problem rows): a validator that fails is a problem row, not a crash."""
    problems: list[tuple] = []
    findings: tuple = ()
    verdict = UNCHECKED
    check = _checker() if options.validate else None
    if check is not None:
        try:
            report = check(book, frame=options.frame, template=options.template)
            findings = tuple(report.findings)
            verdict = PASSED if report.ok else FAILED
        except PerfbookError as exc:
            problems.append((rel, None, None, None, ERROR, "check-failed", f"无法校验：{exc.zh}", None))
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:   # noqa: BLE001
            problems.append((rel, None, None, None, ERROR, "internal-error", _internal(exc, "校验"), None))
    problems += [(rel, f.sheet, f.cell, f.project, f.severity, f.rule, f.message, f.fix) for f in findings]
    return findings, verdict, problems


def _projects(book, rel: str, findings, verdict: str, cols: Columns) -> tuple[list[tuple], list[tuple]]:
    """项目 rows (with each project's error and warning counts) and their 指标 rows."""
    pknown = set(cols.project_fields) | {F.indicators_key()}
    iknown = set(cols.indicator_fields)
    project_rows, indicator_rows = [], []
    for k, p in enumerate(book.projects, start=1):
        d = p.to_dict()
        mine = [f for f in findings if (f.sheet and f.sheet in p.sheets) or (not f.sheet and f.project == p.name)]
        errs = sum(1 for f in mine if f.severity == ERROR)
        warns = sum(1 for f in mine if f.severity == WARNING)
        pverdict = verdict if verdict == UNCHECKED else (FAILED if errs else PASSED)
        project_rows.append((rel, "、".join(p.sheets) or None, k, *(_plain(d.get(lab)) for lab in cols.project_fields),
                             _other(d, pknown), len(p.indicators), errs, warns, pverdict))
        for ind in p.indicators:
            di = ind.to_dict()
            sheet = next((addr.rsplit("!", 1)[0] for _lab, addr in ind.cells), None)
            indicator_rows.append((rel, sheet, ind.row, _plain(p.name), _plain(p.code), _plain(p.department),
                                   *(_plain(di.get(lab)) for lab in cols.indicator_fields), _other(di, iknown)))
    return project_rows, indicator_rows


def _departments(book, rel: str, findings, verdict: str, cols: Columns, indicator_rows: list) -> list[tuple]:
    """部门 sheet rows (and their indicators on 指标, under the department's name) for 部门整体 tables."""
    out = []
    labels = DEPT_FIELDS()
    iknown = set(cols.indicator_fields)
    for k, d in enumerate(book.departments, start=1):
        data = d.to_dict()
        mine = [f for f in findings if f.sheet and f.sheet in d.sheets]
        errs = sum(1 for f in mine if f.severity == ERROR)
        warns = sum(1 for f in mine if f.severity == WARNING)
        tasks = "\n".join("；".join(f"{a}：{_plain(b)}" for a, b in t.to_dict().items()) for t in d.tasks) or None
        known = set(labels) | {F.indicators_key(), F.midterm_key(), TASKS}
        out.append((rel, "、".join(d.sheets) or None, k, *(_plain(data.get(lab)) for lab in labels), tasks,
                    _other(data, known), len(d.indicators), errs, warns,
                    verdict if verdict == UNCHECKED else (FAILED if errs else PASSED)))
        for ind in d.indicators:
            di = ind.to_dict()
            sheet = next((addr.rsplit("!", 1)[0] for _lab, addr in ind.cells), None)
            indicator_rows.append((rel, sheet, ind.row, None, None, _plain(d.name),
                                   *(_plain(di.get(lab)) for lab in cols.indicator_fields), _other(di, iknown)))
    return out


def _cycle_sheets() -> dict:
    return SHEETS


def _collect_cycle(path: Path, rel: str) -> FileResult | None:
    """A 绩效自评表 / 绩效监控表 made by perfbook: one row per project in 自评 / 监控, its findings in 问题."""
    try:
        if export_candidate(path):     # the budget system's own export, or not a cycle table
            got = export_rows(path, rel)
            if got is None:
                return None
            cycle, problems, (errs, warns) = got
        else:
            cycle, problems, (errs, warns) = rows(path, rel)
    except (PerfbookError, Exception) as exc:   # noqa: BLE001 - any trouble: the ordinary reader reports it
        if path.suffix.lower() in (".xls", ".xml"):
            return None
        if not isinstance(exc, PerfbookError):
            return _failed(rel, INTERNAL, "internal-error", _internal(exc, "读取"), _kind(path))
        return _failed(rel, UNREADABLE, "unreadable", exc.zh, _kind(path))
    summary = (rel, "xlsx", READ, len(cycle), None, errs, warns, 0, "自评表" if cycle and cycle[0][0] == "自评" else "监控表")
    return FileResult(rel, READ, problems=tuple(problems), summary=summary, cycle=tuple(cycle))


def _kind(path: Path) -> str | None:
    """What the bytes say the file is (for the 格式 column of a file that could not be read)."""
    try:
        return sniff(path)
    except Exception:    # noqa: BLE001 - only a label; the reason is already in 说明
        return None


def _failed(rel: str, status: str, rule: str, message: str, fmt) -> FileResult:
    problem = (rel, None, None, None, ERROR, rule, message, None)
    return FileResult(rel, status, problems=(problem,), summary=(rel, fmt, status, 0, 0, 1, 0, 0, message))


def _relative(path: Path, root: str) -> str:
    try:
        return path.resolve().relative_to(Path(root).resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def _crashed(options: Options, path, exc: BaseException) -> FileResult:
    """A file whose worker died: over its time or memory budget it is 无法读取, anything else is our bug."""
    rel = _relative(Path(path), options.root)
    reason = getattr(exc, "reason", "crash")
    detail = getattr(exc, "detail", type(exc).__name__)
    if reason in ("time", "memory"):
        return _failed(rel, UNREADABLE, "over-budget", f"无法读取：{detail}；文件过大或构造异常", _kind(Path(path)))
    return _failed(rel, INTERNAL, "internal-error",
                   f"内部错误：读取此文件时{detail}；请把此文件报告给维护者", _kind(Path(path)))


def budget_from_env() -> parallel.Budget:
    """Per-file limits for collect: PERFBOOK_FILE_SECONDS (CPU seconds, default 60) and
    PERFBOOK_FILE_MEMORY_MB (address space of a worker, default 3072; 0 turns a limit off)."""
    def num(name, default):
        try:
            v = float(os.environ.get(name, default))
        except ValueError:
            raise PerfbookError(f"环境变量 {name} 应为数字", f"{name} must be a number") from None
        return v if v > 0 else None
    mem = num("PERFBOOK_FILE_MEMORY_MB", 3072)
    return parallel.Budget(num("PERFBOOK_FILE_SECONDS", 60), int(mem) if mem else None)


# --- the summary workbook -----------------------------------------------------------------------

WIDTHS = {"文件": 36, "工作表": 16, "说明": 60, "建议": 30, "三级指标": 24, "项目名称": 24, "主管部门": 20,
          "实施单位": 20, OTHER: 30, "规则": 16, RULE_TITLE: 22,
          **dict.fromkeys(("总体目标", "年度目标", "立项依据", "测算依据", "单位概况", "项目基本概况", "项目实施内容",
                           "资金安排情况", "项目实施计划", "项目实施成效", "指标内容", "评（扣）分标准",
                           "绩效指标值设定依据及数据来源"), 40)}


def column_widths(sheets: Mapping[str, Sequence[str]]) -> dict[str, list[float]]:
    """Each sheet's column widths in characters: wide for text, narrow for counts."""
    return {name: [WIDTHS.get(label, 12 if label in INTEGER_COLUMNS else 18) for label in cols]
            for name, cols in sheets.items()}


# --- the run ------------------------------------------------------------------------------------

def collect(root, output, *, template=None, frame=None, db: str | None = None, validate: bool = True,
            execution: parallel.Plan = parallel.Plan(), replace: bool = False) -> CollectResult:
    """Read and check every workbook under root into one summary workbook output (sheets 项目, 指标,
    问题, 文件, 部门), and into the database db (an SQLAlchemy URL or an SQLite path) when given.

    Unreadable files become rows in 问题 and 文件 and the run goes on; files that are not workbooks are
    listed in 文件 as 已跳过. validate=False only summarises. Returns a CollectResult with the counts
    (files, read, unreadable, internal, projects, indicators, problems, errors, skipped, batch).

    All or nothing: the summary is finished in a temp file beside output, then the database batch is
    committed, then the temp file is renamed; if any step fails, neither the summary nor the batch is
    left behind. replace=True removes earlier batches collected from the same folder in that commit."""
    root, output = Path(root), Path(output)
    files = list(find_workbooks(root, skip=[output]))
    skipped = list(skipped_files(root, skip=[output]))
    columns = Columns.for_template(template)
    sheets = columns.sheets()
    options = Options(str(root.resolve() if root.is_dir() else root.resolve().parent), columns,
                      str(Path(template).resolve()) if template else None, frame, validate)
    if execution.isolate is None and execution.executor == "local":
        # every file is untrusted: each is read in a worker, so one that crashes or runs away costs only itself
        execution = _replace(execution, isolate=True, budget=budget_from_env())
    counts = dict(read=0, unreadable=0, internal=0, projects=0, indicators=0, problems=0, errors=0)
    temps = Temps(output)
    database = None
    try:
        tmp = temps.file(".xlsx")
        writer = SummaryWriter(tmp, sheets, column_widths(sheets))
        if db:
            database = Database(db, sheets, INTEGER_COLUMNS, str(root.resolve()), replace=replace).__enter__()
        results = parallel.run(partial(collect_one, options=options), files, execution, total=len(files),
                               desc="汇总", on_crash=partial(_crashed, options))
        for res in results:
            key = {READ: "read", UNREADABLE: "unreadable", INTERNAL: "internal"}[res.status]
            counts[key] += 1
            counts["projects"] += len(res.projects)
            counts["indicators"] += len(res.indicators)
            counts["problems"] += len(res.problems)
            counts["errors"] += sum(1 for p in res.problems if p[4] == ERROR)
            for sheet, row in res.rows():
                writer.add(sheet, row)
                if database is not None:
                    database.add(sheet, row)
        for path in skipped:
            writer.add("文件", _skipped_row(path, options.root))
            if database is not None:
                database.add("文件", _skipped_row(path, options.root))
        writer.close(shown=output)           # 1. the summary, complete, under its temp name
        if database is not None:
            database.prepare()               # 2. every row sent; commit is the last step that can fail
            database.commit()
        try:
            os.replace(tmp, output)          # 3. the summary under its real name
        except OSError:
            if database is not None:
                database.undo()              # the batch must not outlive a summary that was never written
            raise
    except BaseException:
        if database is not None:
            database.rollback()
        raise
    finally:
        temps.cleanup()
    return CollectResult(output, len(files), batch=database.run_id if database is not None else None,
                         skipped=len(skipped), **counts)


class Temps:
    """The summary's temp file lives beside the output (never the system temp folder: it holds collected
    data), named with this process's id; a later run removes those of runs that were killed (and the
    .rows folders older versions left)."""

    def __init__(self, output: Path):
        self.output = Path(output)
        self.parent = self.output.parent
        self.parent.mkdir(parents=True, exist_ok=True)
        self.stem = f".~{self.output.name[:40]}."
        self.mine: list[Path] = []
        self._sweep()

    def _sweep(self) -> None:
        for p in self.parent.glob(self.stem + "*"):
            pid = p.name[len(self.stem):].split(".")[0]
            if pid.isdigit() and not _alive(int(pid)):
                shutil.rmtree(p, ignore_errors=True) if p.is_dir() else p.unlink(missing_ok=True)

    def file(self, suffix: str) -> Path:
        p = self.parent / f"{self.stem}{os.getpid()}{suffix}"     # created at close, not before
        self.mine.append(p)
        return p

    def cleanup(self) -> None:
        for p in self.mine:
            shutil.rmtree(p, ignore_errors=True) if p.is_dir() else p.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
