"""collect: every workbook under a folder in, one summary workbook (and optionally a database) out.

A bureau gets hundreds of workbooks back each round, some filled well, some broken. Each file is
read (python-calamine via reader.py) and validated (check.py) in a worker process; the worker sends
back only the summary rows, never the Book, and the main process writes them straight into the
summary (XlsxWriter in constant-memory mode), so memory stays flat however many files there are.
A file that cannot be read, or that trips a bug, becomes a row in 问题 and the run goes on.
"""
from __future__ import annotations

import importlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from . import fields as F
from . import parallel
from ._package import atomic_path
from .errors import PerfbookError
from .findings import ERROR, INFO, WARNING

WORKBOOK_EXTENSIONS = (".xlsx", ".xlsm", ".xltx", ".xltm", ".xls", ".xlsb", ".ods", ".et")
MAX_ROWS = 1_048_576            # Excel's row limit: a longer sheet continues on 指标(2), …
MAX_TEXT = 32_767               # Excel's limit for one cell

READ, UNREADABLE, INTERNAL = "已读取", "无法读取", "内部错误"
PASSED, FAILED, UNCHECKED = "通过", "未通过", "未校验"
OTHER = "其他字段"

NOTE_SEVERITY = {"unmapped": WARNING, "unknown-sheet": WARNING}
INTEGER_COLUMNS = {"项目序号", "行", "指标数", "错误数", "警告数", "提示数", "项目数", "确定能", "有可能", "完全不可能", "未选"}


# --- columns ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Columns:
    """The summary's headers. Field columns come from fields.yaml plus what the template adds."""

    project_fields: tuple[str, ...]
    indicator_fields: tuple[str, ...]

    @classmethod
    def for_template(cls, template=None) -> "Columns":
        from .reader import load_template
        tpl = load_template(template)
        pf = [s.label for s in F.project_fields()]
        inf = [s.label for s in F.indicator_fields()]
        pf += [lab for lab in tpl.field_labels() if lab not in pf and F.project_field(lab) is None]
        inf += [lab for lab in tpl.indicator_labels() if lab not in inf and F.indicator_field(lab) is None]
        return cls(tuple(pf), tuple(inf))

    def sheets(self) -> dict[str, tuple[str, ...]]:
        return {
            "项目": ("文件", "工作表", "项目序号", *self.project_fields, OTHER, "指标数", "错误数", "警告数", "校验结果"),
            "指标": ("文件", "工作表", "行", "项目名称", "项目编码", "主管部门", *self.indicator_fields, OTHER),
            "问题": ("文件", "工作表", "单元格", "项目名称", "级别", "规则", "说明", "建议"),
            "文件": ("文件", "格式", "状态", "项目数", "指标数", "错误数", "警告数", "提示数", "说明"),
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
    cycle: tuple[tuple[str, tuple], ...] = ()    # 自评 / 监控 rows (perfbook/cycle/collect.py)

    def rows(self) -> Iterator[tuple[str, tuple]]:
        yield from self.cycle
        for r in self.projects:
            yield "项目", r
        for r in self.indicators:
            yield "指标", r
        for r in self.problems:
            yield "问题", r
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


# --- one file (in a worker) -------------------------------------------------------------------

def _checker():
    """perfbook.check.check, once the validation layer is there; None without it."""
    try:
        mod = importlib.import_module("perfbook.check")
    except ModuleNotFoundError as exc:
        if exc.name == "perfbook.check":
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
    from .cycle.check import cycle_kind
    if cycle_kind(path) or path.suffix.lower() in (".xls", ".xml"):
        res = _collect_cycle(path, rel)
        if res is not None:
            return res
    try:
        from .reader import read
        book = read(path, template=options.template)
    except PerfbookError as exc:
        return _failed(rel, UNREADABLE, "unreadable", exc.zh, _kind(path))
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:   # noqa: BLE001 - a parser panic (pyo3 PanicException) is a BaseException
        return _failed(rel, INTERNAL, "internal-error", _internal(exc, "读取"), _kind(path))

    problems: list[tuple] = []
    findings = ()
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
    for f in findings:
        problems.append((rel, f.sheet, f.cell, f.project, f.severity, f.rule, f.message, f.fix))
    for n in book.notes:
        problems.append((rel, n.sheet, n.cell, None, NOTE_SEVERITY.get(n.kind, INFO), f"read-{n.kind}", n.zh, None))
    if not book.projects:
        problems.append((rel, None, None, None, WARNING, "no-projects",
                         "文件中没有找到任何项目（表格布局无法识别，或是空表）", None))

    cols = options.columns
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
    counts = {s: sum(1 for pr in problems if pr[4] == s) for s in (ERROR, WARNING, INFO)}
    summary = (rel, book.format, READ, len(book.projects), len(indicator_rows),
               counts[ERROR], counts[WARNING], counts[INFO], None)
    return FileResult(rel, READ, tuple(project_rows), tuple(indicator_rows), tuple(problems), summary)


def _cycle_sheets() -> dict:
    from .cycle.collect import SHEETS
    return SHEETS


def _collect_cycle(path: Path, rel: str) -> FileResult | None:
    """A 绩效自评表 / 绩效监控表 made by perfbook: one row per project in 自评 / 监控, its findings in 问题."""
    from .cycle.collect import export_rows, rows
    try:
        if path.suffix.lower() in (".xls", ".xml"):     # the budget system's own export, or not a cycle table
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
        from .sniff import sniff
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
    rel = _relative(Path(path), options.root)
    return _failed(rel, INTERNAL, "internal-error",
                   f"内部错误：读取此文件时工作进程异常退出（{type(exc).__name__}）；请把此文件报告给维护者", None)


# --- the summary workbook -----------------------------------------------------------------------

WIDTHS = {"文件": 36, "工作表": 16, "说明": 60, "建议": 30, "三级指标": 24, "项目名称": 24, "主管部门": 20,
          "实施单位": 20, OTHER: 30, "规则": 16}


class SummaryWriter:
    """The summary workbook, written row by row (XlsxWriter constant_memory: each finished row goes
    to disk). Every text is written as text — a 项目编码 keeps its zeros, "=…" is never a formula."""

    def __init__(self, path: Path, sheets: dict[str, tuple[str, ...]]):
        import xlsxwriter
        self.path = Path(path)
        self.wb = xlsxwriter.Workbook(str(self.path), {
            "constant_memory": True, "strings_to_numbers": False, "strings_to_formulas": False,
            "strings_to_urls": False, "nan_inf_to_errors": True})
        self.head = self.wb.add_format({"bold": True, "bg_color": "#F2F2F2", "border": 1, "text_wrap": True})
        self.sheets = sheets
        self.current: dict[str, tuple] = {}
        self.parts: dict[str, int] = {}
        for name in sheets:
            self._new_sheet(name)

    def _new_sheet(self, name: str) -> None:
        k = self.parts.get(name, 0) + 1
        self.parts[name] = k
        ws = self.wb.add_worksheet(name if k == 1 else f"{name}({k})")
        cols = self.sheets[name]
        for c, label in enumerate(cols):
            ws.set_column(c, c, WIDTHS.get(label, 12 if label in INTEGER_COLUMNS else 18))
            ws.write_string(0, c, label, self.head)
        ws.freeze_panes(1, 0)
        self.current[name] = [ws, 1]

    def add(self, sheet: str, row: tuple) -> None:
        ws, r = self.current[sheet]
        if r >= MAX_ROWS:
            self._finish(sheet)
            self._new_sheet(sheet)
            ws, r = self.current[sheet]
        for c, v in enumerate(row):
            if v is None:
                continue
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                ws.write_number(r, c, v)
            else:
                s = str(v)
                ws.write_string(r, c, s if len(s) <= MAX_TEXT else s[: MAX_TEXT - 6] + "…（已截断）")
        self.current[sheet][1] = r + 1

    def _finish(self, sheet: str) -> None:
        ws, r = self.current[sheet]
        ws.autofilter(0, 0, max(r - 1, 0), len(self.sheets[sheet]) - 1)

    def close(self) -> None:
        for sheet in self.sheets:
            self._finish(sheet)
        self.wb.close()


# --- the run ------------------------------------------------------------------------------------

def collect(root, output, *, template=None, frame=None, db: str | None = None, validate: bool = True,
            execution: parallel.Plan = parallel.Plan()) -> CollectResult:
    """Summarise every workbook under root into output (and db); returns the counts."""
    root, output = Path(root), Path(output)
    files = list(find_workbooks(root, skip=[output]))
    columns = Columns.for_template(template)
    sheets = columns.sheets()
    options = Options(str(root.resolve() if root.is_dir() else root.resolve().parent), columns,
                      str(Path(template).resolve()) if template else None, frame, validate)
    counts = dict(read=0, unreadable=0, internal=0, projects=0, indicators=0, problems=0, errors=0)
    batch = None
    with atomic_path(output, suffix=".xlsx") as tmp:
        writer = SummaryWriter(tmp, sheets)
        database = None
        if db:
            from .db import Database
            database = Database(db, sheets, INTEGER_COLUMNS, str(root)).__enter__()
        try:
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
        except BaseException as exc:
            if database is not None:
                database.__exit__(type(exc), exc, None)
            raise
        if database is not None:
            database.__exit__(None, None, None)
            batch = database.run_id
        writer.close()
    return CollectResult(output, len(files), batch=batch, **counts)
