"""A1 references in formulas, sqrefs and defined names, moved as the indicator block grows.

The template has one indicator row T. A workbook with n indicators has rows T..T+n-1, so every row
below T moves down by s = n-1 and every range that ends on row T stretches to T+s, as Excel itself
does on row insertion. Works on text (formula bodies, sqref lists), leaving strings and other
sheets' references alone.
"""
from __future__ import annotations

import re
from typing import Callable

COL_RE = r"\$?[A-Z]{1,3}"
# optional sheet, a cell or a cell range, or a whole-row range ($8:$9)
_REF = re.compile(
    r"(?P<sheet>(?:'(?:[^']|'')+'|[A-Za-z_\u4e00-\u9fff][\w.\u4e00-\u9fff]*)!)?"
    r"(?:(?P<c1>\$?[A-Z]{1,3})(?P<a1>\$?)(?P<r1>\d+)(?::(?P<c2>\$?[A-Z]{1,3})(?P<a2>\$?)(?P<r2>\d+))?"
    r"|(?P<ra>\$?)(?P<rr1>\d+):(?P<rb>\$?)(?P<rr2>\d+))"
    r"(?![\w(])"
)
_STRING = re.compile(r'"(?:[^"]|"")*"')

RowFn = Callable[[int, bool], str]   # (row, is_range_end) -> text for the row number


def sheet_of(qualifier: str | None) -> str | None:
    if not qualifier:
        return None
    q = qualifier[:-1]
    return q[1:-1].replace("''", "'") if q.startswith("'") else q


def rewrite(text: str, single: Callable[[int, bool], str], start: Callable[[int, bool], str],
            end: Callable[[int, bool], str], this_sheet: str | None = None, whole_rows: bool = False,
            qualified_only: bool = False) -> str:
    """Rewrite the row numbers of every reference in text that points at this sheet.

    single/start/end get (row, absolute) and return the new row text for a lone cell, a range's first
    row and a range's last row. Whole-row ranges ($8:$9) are only touched when whole_rows is set
    (defined names), since "8:9" inside a formula could be anything.
    qualified_only: only references that name this_sheet (a formula on another sheet pointing here).
    """
    out, pos = [], 0
    for m in _STRING.finditer(text):
        out.append(_rewrite_plain(text[pos:m.start()], single, start, end, this_sheet, whole_rows, qualified_only))
        out.append(m.group())
        pos = m.end()
    out.append(_rewrite_plain(text[pos:], single, start, end, this_sheet, whole_rows, qualified_only))
    return "".join(out)


def _rewrite_plain(text, single, start, end, this_sheet, whole_rows, qualified_only=False):
    def sub(m: re.Match) -> str:
        start_ok = m.start() == 0 or not (text[m.start() - 1].isalnum() or text[m.start() - 1] in "_.$")
        sheet = sheet_of(m.group("sheet"))
        if not start_ok or (sheet is not None and this_sheet is not None and sheet != this_sheet) or (
                qualified_only and sheet is None):
            return m.group()
        q = m.group("sheet") or ""
        if m.group("c1"):
            r1 = int(m.group("r1"))
            if m.group("c2"):
                return (f"{q}{m.group('c1')}{m.group('a1')}{start(r1, bool(m.group('a1')))}:"
                        f"{m.group('c2')}{m.group('a2')}{end(int(m.group('r2')), bool(m.group('a2')))}")
            return f"{q}{m.group('c1')}{m.group('a1')}{single(r1, bool(m.group('a1')))}"
        if not whole_rows:
            return m.group()
        return (f"{q}{m.group('ra')}{start(int(m.group('rr1')), True)}:"
                f"{m.group('rb')}{end(int(m.group('rr2')), True)}")
    return _REF.sub(sub, text)


def growth(T: int, expr: Callable[[int], str]):
    """The three row functions for a block that grows below row T; expr(r) renders 'r moved by s'."""
    def single(r, _abs):
        return str(r) if r <= T else expr(r)

    def start(r, _abs):
        return str(r) if r <= T else expr(r)

    def end(r, _abs):
        return str(r) if r < T else expr(r)
    return single, start, end


def shift_text(text: str, T: int, s: int, this_sheet: str | None = None, whole_rows: bool = False,
               qualified_only: bool = False) -> str:
    """Concrete form: move references for a block of s extra rows after row T."""
    if s == 0:
        return text
    single, start, end = growth(T, lambda r: str(r + s))
    return rewrite(text, single, start, end, this_sheet=this_sheet, whole_rows=whole_rows,
                   qualified_only=qualified_only)


def in_row(text: str, T: int, i: int, s: int, this_sheet: str | None = None) -> str:
    """A formula of the indicator row copied to row T+i: relative refs to row T follow it."""
    def single(r, absolute):
        if r == T and not absolute:
            return str(T + i)
        return str(r) if r <= T else str(r + s)

    def start(r, absolute):
        return single(r, absolute)

    def end(r, absolute):
        if r == T and not absolute:
            return str(T + i)
        return str(r) if r < T else str(r + s)
    return rewrite(text, single, start, end, this_sheet)


class RowTemplate:
    """in_row, compiled: the text cut at its row numbers once, so that writing it on each of n rows is a
    join instead of a parse (the 校验 helper formulas are long and sit on every indicator row)."""

    def __init__(self, text: str, T: int, this_sheet: str | None = None):
        self.T = T
        marks: list[tuple[str, int, bool]] = []

        def mark(kind):
            def fn(r, absolute):
                marks.append((kind, r, absolute))
                return f"\x00{len(marks) - 1}\x01"
            return fn
        marked = rewrite(text, mark("s"), mark("s"), mark("e"), this_sheet)
        self.base = re.split(r"\x00(\d+)\x01", marked)
        self.this_row: list[int] = []             # slots that become the row's own number (T + i)
        self.moved: list[tuple[int, int]] = []    # slots below the block: r + s
        # Excel's shared formula (one text, relative references shifted per row) says the same as in_row
        # when every reference is either to the row itself or row-absolute
        self.shareable = all(r == T and not absolute and kind in "se" or absolute for kind, r, absolute in marks)
        for k in range(1, len(self.base), 2):
            kind, r, absolute = marks[int(self.base[k])]
            if r == T and not absolute:
                self.this_row.append(k)
            elif r < T or (kind == "s" and r == T):
                self.base[k] = str(r)
            else:
                self.moved.append((k, r))

    def render(self, i: int, s: int) -> str:
        out = list(self.base)
        row = str(self.T + i)
        for k in self.this_row:
            out[k] = row
        for k, r in self.moved:
            out[k] = str(r + s)
        return "".join(out)
