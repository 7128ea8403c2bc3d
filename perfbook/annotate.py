"""annotate: a copy of a checked workbook with every offending cell coloured and commented.

The copy is made with openpyxl (macros kept for .xlsm); the input file is never written to. Findings
without a cell (a missing 二级 group, say) are listed in a comment on the sheet's first cell.
"""
from __future__ import annotations

import io
from collections import defaultdict
from pathlib import Path

from ._package import write_atomic
from .errors import PerfbookError, UnreadableWorkbook
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
    _ensure_annotatable(src)
    try:
        wb = openpyxl.load_workbook(src, keep_vba=keep_vba, rich_text=False)
    except Exception as exc:   # noqa: BLE001 - openpyxl's own errors on a file calamine could read
        raise UnreadableWorkbook(f"无法生成批注副本：openpyxl 打不开此文件（{type(exc).__name__}: {str(exc)[:150]}）；"
                                 "校验结果不受影响", f"cannot write the annotated copy: openpyxl cannot open the file "
                                 f"({type(exc).__name__}); the check report stands", src) from None
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


# openpyxl builds an object per cell and per merged cell: a real 项目绩效目标表 is far below these
MAX_MERGED_CELLS = 200_000
MAX_SHEET_BYTES = 16 * 1024 * 1024


def _ensure_annotatable(src: Path) -> None:
    """The same package checks as every read (sniff.inspect), plus what openpyxl in particular cannot
    afford: one merged range A30:Z100000 cost it 89 s and 1 GB."""
    from .sniff import inspect
    _kind, info = inspect(src)
    sheets = info.sheets.values() if info is not None else ()
    merged = sum(st.merged_cells for st in sheets)
    size = sum(st.size for st in sheets)
    if merged > MAX_MERGED_CELLS:
        raise UnreadableWorkbook(f"合并单元格覆盖 {merged:,} 个单元格，过大，无法生成批注副本（上限 {MAX_MERGED_CELLS:,}）；"
                                 "校验结果不受影响",
                                 f"merged ranges cover {merged:,} cells, too many to annotate (limit {MAX_MERGED_CELLS:,}); "
                                 "the check report stands", src)
    if size > MAX_SHEET_BYTES:
        raise UnreadableWorkbook(f"工作表过大（{size // (1024 * 1024)} MB），无法生成批注副本；校验结果不受影响",
                                 f"the sheets are too large ({size // (1024 * 1024)} MB) to annotate; the check report stands",
                                 src)


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
