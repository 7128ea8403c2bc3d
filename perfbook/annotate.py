"""annotate: a copy of a checked workbook with every offending cell coloured and commented.

The copy is made with openpyxl (macros kept for .xlsm); the input file is never written to. Findings
without a cell (a missing 二级 group, say) are listed in a comment on the sheet's first cell.
"""
from __future__ import annotations

import io
from collections import defaultdict
from pathlib import Path

from ._package import write_atomic
from .errors import PerfbookError
from .findings import ERROR, INFO, WARNING, Finding, Report

FILLS = {ERROR: "FFFFC7CE", WARNING: "FFFFEB9C", INFO: "FFDDEBF7"}
RANK = {ERROR: 0, WARNING: 1, INFO: 2}
AUTHOR = "perfbook 校验"


def annotate(src, out, report: Report) -> Path:
    """Write out: src with each finding's cell filled (red 错误, yellow 警告, blue 提示) and commented."""
    import openpyxl
    from openpyxl.comments import Comment
    from openpyxl.styles import PatternFill

    src, out = Path(src), Path(out)
    if out.exists() and src.exists() and out.resolve() == src.resolve():
        raise PerfbookError("批注副本不能覆盖被检查的文件", "the annotated copy must not overwrite the checked file", out)
    if src.suffix.lower() not in (".xlsx", ".xlsm"):
        raise PerfbookError("只能为 .xlsx / .xlsm 工作簿生成批注副本", "only .xlsx / .xlsm workbooks can be annotated", src)
    keep_vba = src.suffix.lower() == ".xlsm"
    if keep_vba and out.suffix.lower() != ".xlsm":
        out = out.with_suffix(".xlsm")
    wb = openpyxl.load_workbook(src, keep_vba=keep_vba, rich_text=False)
    by_cell: dict[tuple[str, str], list[Finding]] = defaultdict(list)
    loose: dict[str, list[Finding]] = defaultdict(list)
    for f in report.findings:
        if f.sheet in wb.sheetnames and f.cell:
            by_cell[(f.sheet, _top_left(wb[f.sheet], f.cell))].append(f)
        else:
            sheet = f.sheet if f.sheet in wb.sheetnames else wb.sheetnames[0]
            loose[sheet].append(f)
    for (sheet, ref), items in by_cell.items():
        cell = wb[sheet][ref]
        worst = min(items, key=lambda f: RANK.get(f.severity, 3)).severity
        cell.fill = PatternFill("solid", fgColor=FILLS.get(worst, FILLS[INFO]))
        cell.comment = _comment(Comment, items, cell.comment)
    for sheet, items in loose.items():
        cell = wb[sheet]["A1"]
        cell.comment = _comment(Comment, items, cell.comment, head="本表整体的问题：\n")
    buf = io.BytesIO()
    wb.save(buf)
    return write_atomic(out, buf.getvalue())


def _top_left(ws, ref: str) -> str:
    """A cell inside a merged range carries its comment on the range's top-left cell."""
    for rng in ws.merged_cells.ranges:
        if ref in rng:
            return rng.start_cell.coordinate
    return ref


def _comment(Comment, items: list[Finding], old, head: str = ""):
    text = head + "\n".join(
        f"[{f.severity}] {f.message}" + (f"\n  建议：{f.fix}" if f.fix else "") + f"（{f.rule}）" for f in items)
    if old is not None and old.text:
        text = old.text.rstrip() + "\n" + text
    c = Comment(text, AUTHOR)
    c.width, c.height = 320, min(60 + 40 * len(items), 400)
    return c
