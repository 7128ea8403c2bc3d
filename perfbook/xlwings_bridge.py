"""The 校验（完整规则） button: `perfbook check` run from Excel through xlwings' RunPython.

The only module that imports xlwings, and only inside validate_active_sheet(): perfbook imports and runs
without it. The ribbon's VBA saves a copy of the workbook and writes a request on the very hidden data
sheet (校验数据); this module checks the copy with perfbook's own validator and answers on the same
sheet; the VBA (PerfbookCheck.ApplyFindings) then marks the cells and writes the 校验结果 sheet exactly
as its own 校验 does, so both buttons look the same and 清除标记 undoes either.

Layout of the data sheet (shared with macros/PerfbookCheck.bas):
    A1 copy   | B1 the saved copy's path      A2 sheet  | B2 the sheet to check
    A3 status | B3 "ok" or the error          A4 frame  | B4 the frame's title
    row 5: headers; from row 6: rule | severity | cell | message | fix
"""
from __future__ import annotations

__all__ = ["validate_active_sheet"]

from functools import cache
from typing import Callable

from . import _yaml
from .errors import PerfbookError
from .rules import _frames as FR
from .rules.check import check as check_workbook
from .rules.findings import ERROR, INFO, WARNING, Finding, Report

FIRST_ROW = 6
HEADERS = ["rule", "severity", "cell", "message", "fix", "more"]


@cache
def texts() -> dict[str, str]:
    """The macros' user-facing texts (perfbook/data/vba/ui.yaml): one wording for both paths."""
    data = _yaml.data("vba/ui.yaml")
    return data["texts"]


def data_sheet_name() -> str:
    return texts()["data_sheet"]


def sheet_findings(report: Report, sheet: str) -> list[Finding]:
    """The findings on one sheet, in report order (the ribbon checks the active sheet only)."""
    return [f for f in report.findings if f.sheet == sheet]


def finding_rows(findings: list[Finding]) -> list[list[str]]:
    """One row per finding; "more" lists a folded finding's other cells, space-separated (the 校验 button
    marks them all)."""
    return [[f.rule, f.severity, f.cell or "", f.message, f.fix or "", " ".join(c for c in f.cells[1:] if c)]
            for f in findings]


def frame_title(report: Report) -> str:
    fr = FR.frames().get(report.frame) if report.frame else None
    return fr.title if fr else (report.frame or "")


def response(report: Report | None, sheet: str, error: str | None = None) -> dict[str, object]:
    """The answer block, cell address → value (rows 3, 4 and the findings from row 6)."""
    cells: dict[str, object] = {"A3": "status", "A4": "frame"}
    if report is None:
        cells["B3"] = error or "?"
        return cells
    cells["B3"] = "ok"
    cells["B4"] = frame_title(report)
    for j, h in enumerate(HEADERS):
        cells[f"{'ABCDEF'[j]}5"] = h
    for i, row in enumerate(finding_rows(sheet_findings(report, sheet)), start=FIRST_ROW):
        for j, v in enumerate(row):
            cells[f"{'ABCDEF'[j]}{i}"] = v
    return cells


def summary(findings: list[Finding]) -> str:
    """The same summary line as the VBA: "发现 3 处错误、2 处警告"."""
    t = texts()
    e = sum(f.severity == ERROR for f in findings)
    w = sum(f.severity == WARNING for f in findings)
    i = sum(f.severity == INFO for f in findings)
    s = t["summary_clean"] if not e and not w else t["summary"].format(errors=e, warnings=w)
    return s + (t["summary_info"].format(infos=i) if i else "")


def answer(path: str, sheet: str, check: Callable[[str], Report] | None = None) -> dict[str, object]:
    """Check the saved copy and build the answer; an error becomes the status, never an exception."""
    check = check or check_workbook
    try:
        report = check(path)
    except PerfbookError as exc:
        return response(None, sheet, exc.zh)
    except Exception as exc:  # noqa: BLE001 - the official sees the message in Excel, not a traceback
        return response(None, sheet, f"{type(exc).__name__}: {exc}")
    return response(report, sheet)


def write_openpyxl(wb, path: str, sheet: str, cells: dict[str, object] | None = None):
    """Put a request (and optionally its answer) on the data sheet of an openpyxl workbook."""
    name = data_sheet_name()
    ds = wb[name] if name in wb.sheetnames else wb.create_sheet(name)
    ds.sheet_state = "veryHidden"
    for ref, v in {"A1": "copy", "B1": path, "A2": "sheet", "B2": sheet, **(cells or {})}.items():
        ds[ref] = v
        if isinstance(v, str) and v.startswith("="):
            ds[ref].data_type = "s"           # an official's text is never a formula
    return ds


def validate_active_sheet(book=None) -> None:
    """RunPython entry point: answer the request on the active workbook's data sheet."""
    import xlwings as xw  # only here: perfbook itself never needs xlwings
    book = book or xw.books.active
    ds = book.sheets[data_sheet_name()]
    path, sheet = ds.range("B1").value, ds.range("B2").value
    cells = answer(str(path), str(sheet))
    rows = _rows(cells)
    ds.range("A3:F4").value = [[cells.get(f"{c}{r}", "") for c in "ABCDEF"] for r in (3, 4)]
    if rows:
        block = ds.range((5, 1), (5 + len(rows) - 1, 6))
        block.number_format = "@"                # text stays text: "=…" typed by an official is no formula
        block.value = rows


def _rows(cells: dict[str, object]) -> list[list[object]]:
    """Rows 5… of the answer as a 2-D block (one COM call instead of one per cell)."""
    last = max((int(ref[1:]) for ref in cells if int(ref[1:]) >= 5), default=4)
    return [[cells.get(f"{c}{r}", "") for c in "ABCDEF"] for r in range(5, last + 1)]
