"""check: a workbook (or data) in, a Report out — every finding with rule, severity, cell and fix.

The frame is chosen in this order: the one asked for; the one the workbook records (the custom
property perfbook.frame that fill writes, else the frame its formulas were generated for); the
PERFBOOK_FRAME environment variable; the frame that best explains the 一级/二级 names found.
"""
from __future__ import annotations

__all__ = ["check", "format_report"]

import os
import re
import zipfile
from pathlib import Path

from ..cycle.check import check_cycle, cycle_kind, export_candidate
from ..cycle.exports import as_cycle_book, read_export
from ..department import department_fields
from ..errors import PerfbookError
from ..model import Project
from ..ooxml._sheetxml import col_letter, unescape
from ..readers.reader import Book, load_template, read
from ..write._inputs import DATA_SUFFIXES, load
from ..write._template import Template
from . import _frames as FR
from ._catalog import RowFacts, check_project, folds
from .findings import ERROR, INFO, WARNING, Finding, Report, presented

FRAME_NAME = "校验框架"        # the defined name inject writes: the frame the workbook's formulas use
SPLIT_FIELDS = ("指标性质", "度量单位")   # a combined 指标值 cell ("≥95%") holds these too


def check(source, *, frame: str | None = None, template: str | Path | None = None,
          frames_dir: str | Path | None = None, target=None) -> Report:
    """Check a workbook path, a data file (.yaml .json .csv), a Book, or Projects / project dicts
    against the rule set (rules.yaml — the same rules the workbook formulas and the VBA button use).

    Returns a Report: ``report.ok`` (no 错误), ``report.errors`` / ``report.warnings``, each Finding with
    rule id, severity, Chinese message, sheet, cell and suggested fix. frame: the indicator frame (default:
    the one the workbook records, else PERFBOOK_FRAME, else the best match); frames_dir: extra frame files.
    A 绩效自评表 / 绩效监控表 (perfbook's or the budget system's export) gets its own checks (perfbook.cycle);
    target: the approved target table to compare its 年度指标值 with."""

    if isinstance(source, (str, Path)):   # a 绩效自评表 / 绩效监控表 made by perfbook: its own checks (perfbook/cycle)
        if cycle_kind(source):
            return check_cycle(source, target=target)
        if export_candidate(source):   # the budget system's own self-eval / monitoring export
            try:
                exp = read_export(source)
            except Exception:   # noqa: BLE001 - not readable as an export: the ordinary reader says why
                exp = None
            if exp is not None and exp.kind:
                return check_cycle(as_cycle_book(exp), target=target)
    book, projects, path = _load(source, template)
    chosen, how = choose_frame(book, projects or [Project(indicators=d.indicators) for d in book.departments]
                               if book else projects, frame, frames_dir)
    tpl = _template_or_none(template)
    locate = Locator(tpl, chosen)
    findings: list[Finding] = []
    for p in projects:
        findings += check_project(p, chosen, file=path, locate=locate)
    for d in (book.departments if book else ()):
        findings += check_department(d, chosen, file=path, locate=locate)
    count = len(projects) + (len(book.departments) if book else 0)
    return Report(path, presented(findings, folds()), chosen.id, count, tuple(book.notes) if book else (),
                  frame_source=how)


def check_department(dep, frame, *, file=None, locate=None) -> list[Finding]:
    """A 部门整体 table: the indicator and money rules of a project, but its own required header
    fields (the department fields marked required in fields.yaml), not 项目名称 / 实施单位."""
    back = {"部门名称": "主管部门", "年度总体目标": "年度目标", "长期目标": "总体目标"}
    view = Project.from_dict({back.get(k, k): v for k, v in dep.to_dict().items() if not isinstance(v, list)},
                             source=dep.source, sheets=dep.sheets,
                             cells=tuple((back.get(k, k), a) for k, a in dep.cells), layouts=dep.layouts)
    view = view.with_indicators(dep.indicators)
    out = [f for f in check_project(view, frame, file=file, locate=locate) if f.rule != "required-project"]
    for spec in department_fields():
        if spec.required and dep.get(spec.label) in (None, ""):
            lay = next((x for x in dep.layouts if x is not None), None)
            cell = (lay.field_cell(spec.label) or lay.field_cell(back.get(spec.label, spec.label))
                    or next((lay.field_cell(a) for a in spec.aliases if lay.field_cell(a)), None)) if lay else None
            out.append(Finding("required-project", "错误", f"请填写{spec.label}", file=file,
                               sheet=lay.sheet if lay else (dep.sheets[0] if dep.sheets else None),
                               cell=cell or (FIRST_CELL if lay else None), fix=f"在“{spec.label}”处填写内容",
                               project=dep.name))
    return out


def _load(source, template):
    if isinstance(source, Book):
        return source, list(source.projects), source.path
    if isinstance(source, (str, Path)):
        p = Path(source)
        if p.suffix.lower() in DATA_SUFFIXES:
            return None, load(p), str(p)
        book = read(p, template=template)
        return book, list(book.projects), str(p)
    return None, load(source), None


def choose_frame(book: Book | None, projects, frame=None, frames_dir=None) -> tuple[FR.Frame, str]:
    """(frame, how it was chosen) — see the module docstring for the order."""
    if frame:
        return FR.resolve(frame, frames_dir), "指定"
    known = FR.frames(frames_dir)
    if book is not None:
        if book.frame in known:
            return known[book.frame], "工作簿记录"
        fid = recorded_frame(book.path)      # opens the file again: only when the properties say nothing
        if fid in known:
            return known[fid], "工作簿公式所用"
    env = os.environ.get(FR.ENV_DEFAULT)
    if env:
        return FR.get(env, frames_dir), "环境变量 PERFBOOK_FRAME"
    pairs = []
    for p in projects:
        prev1 = None
        for ind in p.indicators:
            prev1 = ind.level1 or prev1
            pairs.append((prev1, ind.level2))
    if not pairs:
        return FR.default(frames_dir), "默认"
    found, _score = FR.detect(pairs, frames_dir)
    return found, "按指标名称识别"


def recorded_frame(path) -> str | None:
    """The frame id inject wrote into an xlsx/xlsm as the defined name 校验框架 (None elsewhere)."""
    try:
        with zipfile.ZipFile(path) as z:
            names = [n for n in z.namelist() if re.fullmatch(r"xl/workbook\d*\.xml", n)]
            if not names or z.getinfo(names[0]).file_size > 5_000_000:
                return None
            xml = z.read(names[0]).decode("utf-8", "replace")
    except (OSError, zipfile.BadZipFile, KeyError, TypeError, ValueError):
        return None
    m = re.search(r'<definedName\b[^>]*\bname="' + FRAME_NAME + r'"[^>]*>([^<]*)</definedName>', xml)
    if not m:
        return None
    text = unescape(m.group(1)).strip()     # an office suite may write the quotes as &quot;
    return text[1:-1] if len(text) > 1 and text[0] == text[-1] == '"' else None


def _template_or_none(template) -> Template | None:
    try:
        return load_template(template)
    except PerfbookError:
        return None


def split_address(addr: str | None) -> tuple[str | None, str | None]:
    """'Sheet!E12' → ('Sheet', 'E12'); quotes around the sheet name removed."""
    if not addr:
        return None, None
    sheet, _, cell = addr.rpartition("!")
    if sheet.startswith("'") and sheet.endswith("'"):
        sheet = sheet[1:-1].replace("''", "'")
    return (sheet or None), cell or None


class Locator:
    """Where a finding goes, on the layout actually read (project.layouts): a row's field cell, else
    the same column on the row; a frame group's row (its 二级 label's row, else its 一级's, else the
    table's header cell); a header field's own cell (its value, else the blank cell beside its label);
    on a sheet that has no place for it at all, the sheet's first cell (A1)."""

    def __init__(self, template: Template | None, frame=None):
        self.frame = frame
        self.loop_cols: dict[str, str] = {}
        if template is None:
            return
        for ts in template.sheets:
            if ts.loop_row is None:
                continue
            for s in ts.slots:
                if s.single and s.loop:
                    self.loop_cols.setdefault(s.labels[0], col_letter(s.col))

    def __call__(self, project: Project, row: RowFacts | None, label: str | None, item=None):
        if self.frame is not None and getattr(item, "level1", None):
            placed = self._group(project, row, label, item)
            if placed is not None:
                return placed
        if row is not None:
            return self._in_row(project, row, label)
        first = project.sheets[0] if project.sheets else None
        if label is None:
            return first, (FIRST_CELL if project.layouts else None)
        sheet, cell = split_address(project.cell(label))
        if cell and (filled_value(project.get(label)) or sheet in project.sheets):
            return sheet, cell          # its value, or the box the sheet has for it, left blank
        for lay in project.layouts:
            if lay is not None and lay.field_cell(label):
                return lay.sheet, lay.field_cell(label)
        return sheet or first, (FIRST_CELL if project.layouts else None)

    def _group(self, project: Project, row: RowFacts | None, label: str | None, item):
        """A frame group's finding (required-group, na-row-missing): the row where the group's 二级
        label stands (its 三级指标 cell: what to fill in), else the first row of its 一级 (where the
        二级 goes), else the table's header cell."""
        sheet = split_address(next((a for _l, a in row.ind.cells), None))[0] if row is not None else None
        lays = [x for x in project.layouts if x is not None and (sheet is None or x.sheet == sheet)]
        for lay in lays:
            found = lay.group_row(self.frame, item.level1, getattr(item, "level2", None) or None)
            if found is None:
                continue
            r, exact = found
            col = (lay.column("三级指标") if exact else None) or lay.column(label or "二级指标") or lay.column("一级指标")
            if col:
                return lay.sheet, f"{col}{r}"
        for lay in lays:
            if lay.header:
                return lay.sheet, lay.header
        return None

    def _in_row(self, project: Project, row: RowFacts, label: str | None):
        ind = row.ind
        if label:
            sheet, cell = split_address(ind.cell(label))
            if cell:
                return sheet, cell
        any_addr = next((a for _l, a in ind.cells), None)
        sheet, cell = split_address(any_addr)
        r = ind.row or (int(re.sub(r"\D", "", cell)) if cell else None)
        if sheet is None or r is None:
            return sheet, None
        if not label:
            return sheet, cell
        col = self._column(project, sheet, label, ind)
        return sheet, f"{col}{r}" if col else None

    def _column(self, project: Project, sheet: str, label: str, ind) -> str | None:
        """The column of a field this row left empty: where the other rows of the sheet have it; the
        sheet's own column for it; on perfbook's layout the template's column; on a foreign table with
        no column for it, 指标性质 and 度量单位 live in the combined 指标值 cell; else none (the message
        names the row)."""
        for other in project.indicators:
            s, c = split_address(other.cell(label))
            if c and s == sheet:
                return re.sub(r"\d", "", c)
        lay = project.layout(sheet)
        if lay is not None and lay.column(label):
            return lay.column(label)
        if ind.raw is None:
            return self.loop_cols.get(label)
        if label in SPLIT_FIELDS:
            return self._column(project, sheet, "指标值", ind)
        return None


FIRST_CELL = "A1"      # a header field the sheet has no place for: the sheet's first cell (its title)


def filled_value(v) -> bool:
    return v is not None and str(v).strip() != ""


def format_report(report: Report) -> str:
    """The readable Chinese report for the terminal."""
    f = FR.frames().get(report.frame) if report.frame else None
    title = f"{report.frame} {f.title}" if f else str(report.frame)
    lines = [f"{report.file or '数据'}",
             f"  框架：{title}（{report.frame_source or '—'}）；项目 {report.projects} 个"]
    counts = {s: sum(1 for x in report.findings if x.severity == s) for s in (ERROR, WARNING, INFO)}
    lines.append(f"  错误 {counts[ERROR]} 处，警告 {counts[WARNING]} 处，提示 {counts[INFO]} 处")
    marks = {ERROR: "✗", WARNING: "!", INFO: "·"}
    project = object()
    for x in report.findings:
        if x.project != project and report.projects > 1:
            project = x.project
            lines.append(f"  【{x.project or '（未命名项目）'}】")
        where = x.where() or "—"
        lines.append(f"  {marks.get(x.severity, '-')} [{x.severity}] {where}  {x.message}  ({x.rule})")
        if x.fix:
            lines.append(f"        建议：{x.fix}")
    for n in report.notes:
        lines.append(f"  · [读取] {n.where() if hasattr(n, 'where') else ''} {getattr(n, 'zh', n)}")
    lines.append("  结论：" + ("通过（无错误）" if report.ok else f"未通过：{counts[ERROR]} 处错误"))
    return "\n".join(lines)
