"""The summary writer collect used before batch/_summary.py: XlsxWriter in constant_memory mode, kept
verbatim here as the reference the new writer is compared against (tests/test_summary_same.py).

MAX_ROWS is a module global so a test can make a sheet continue early, on both writers alike.
"""
from __future__ import annotations

from pathlib import Path

from perfbook.write._layout import lines_needed

MAX_ROWS = 1_048_576
MAX_TEXT = 32_767
LINE_PT, MAX_ROW_PT = 15.0, 409.5


class XlsxWriterSummary:
    """widths: {sheet: [column width in characters]}, as collect.column_widths gives them."""

    def __init__(self, path: Path, sheets: dict[str, tuple[str, ...]], widths: dict[str, list[float]]):
        import xlsxwriter
        self.path = Path(path)
        self.wb = xlsxwriter.Workbook(str(self.path), {
            "constant_memory": True, "strings_to_numbers": False, "strings_to_formulas": False,
            "strings_to_urls": False, "nan_inf_to_errors": True})
        self.head = self.wb.add_format({"bold": True, "bg_color": "#F2F2F2", "border": 1, "text_wrap": True,
                                        "valign": "top"})
        self.wrap = self.wb.add_format({"text_wrap": True, "valign": "top"})
        self.sheets = sheets
        self.col_widths = widths
        self.current: dict[str, list] = {}
        self.widths: dict[str, list[float]] = {}
        self.parts: dict[str, int] = {}
        for name in sheets:
            self._new_sheet(name)

    def _new_sheet(self, name: str) -> None:
        k = self.parts.get(name, 0) + 1
        self.parts[name] = k
        ws = self.wb.add_worksheet(name if k == 1 else f"{name}({k})")
        cols = self.sheets[name]
        self.widths[name] = list(self.col_widths[name])
        for c, label in enumerate(cols):
            ws.set_column(c, c, self.widths[name][c], self.wrap)
            ws.write_string(0, c, label, self.head)
        ws.freeze_panes(1, 0)
        ws.set_landscape()
        ws.set_paper(9)
        ws.fit_to_pages(1, 0)
        ws.repeat_rows(0)
        ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
        ws.set_header(f"&L&\"-,Bold\"{ws.name}&R&F", {"margin": 0.25})
        ws.set_footer("&C第 &P 页，共 &N 页", {"margin": 0.25})
        self.current[name] = [ws, 1]

    def add(self, sheet: str, row: tuple) -> None:
        ws, r = self.current[sheet]
        if r >= MAX_ROWS:
            self._finish(sheet)
            self._new_sheet(sheet)
            ws, r = self.current[sheet]
        lines = max((lines_needed(v, w) for v, w in zip(row, self.widths[sheet]) if isinstance(v, str)), default=1)
        if lines > 1:
            ws.set_row(r, min(MAX_ROW_PT, lines * LINE_PT + 3))
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
