"""A sheet as a plain grid of values plus its merged ranges: what every reader works from.

Values come from python-calamine (tens of times faster than openpyxl and able to see merges);
coordinates are 1-based like Excel's. Other formats (SpreadsheetML 2003, HTML tables) are turned
into the same Grid by their own loaders.
"""
from __future__ import annotations

import datetime as _dt
import io
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import UnreadableWorkbook
from ..ooxml._package import READ_LIMITS

CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@dataclass
class Grid:
    name: str
    rows: list[list]                                   # rows[r-1][c-1]; '' or None when empty
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)   # (r1, c1, r2, c2), 1-based
    visible: bool = True
    raw: dict[tuple[int, int], str] = field(default_factory=dict)   # exact source text where the value lost it (numeric codes)
    notes: list[tuple] = field(default_factory=list)   # (kind, zh, en, cell) noticed while loading this sheet

    def value(self, r: int, c: int):
        if 1 <= r <= len(self.rows):
            row = self.rows[r - 1]
            if 1 <= c <= len(row):
                v = row[c - 1]
                return None if v == "" else v
        return None

    @property
    def height(self) -> int:
        return len(self.rows)

    @property
    def width(self) -> int:
        return max((len(r) for r in self.rows), default=0)

    def merge_map(self) -> dict[tuple[int, int], tuple[int, int]]:
        """Every covered cell -> the top-left cell of its merged range (top-left excluded)."""
        out = {}
        for r1, c1, r2, c2 in self.merges:
            top = (r1, c1)
            if r1 == r2:                           # most merges: one row, the cells right of the top-left
                if c2 - c1 < 100_000:
                    for c in range(c1 + 1, c2 + 1):
                        out[(r1, c)] = top
                continue
            if c1 == c2:                           # one column: the cells below the top-left
                if r2 - r1 < 100_000:
                    for r in range(r1 + 1, r2 + 1):
                        out[(r, c1)] = top
                continue
            if (r2 - r1 + 1) * (c2 - c1 + 1) > 100_000:
                continue
            for c in range(c1 + 1, c2 + 1):        # the top row after its first cell, then the rows below:
                out[(r1, c)] = top                 # no cell compared with the top-left one (every read does this)
            for r in range(r1 + 1, r2 + 1):
                for c in range(c1, c2 + 1):
                    out[(r, c)] = top
        return out

    def clean_controls(self) -> list[tuple[int, int, str]]:
        """Remove characters no workbook may hold (U+0001 …, stored by Excel as _x0001_) from text cells;
        returns (row, column, 'U+0001') for each cell changed, so the reader can say where.
        One C-speed search over the whole sheet (no value but text can hold one), then per row; only a
        dirty row is looked at cell by cell."""
        found: list[tuple[int, int, str]] = []
        # only the cells looked at below (exact str): no other value's str() holds a control character
        if not CONTROL.search("\n".join([v for row in self.rows for v in row if type(v) is str])):
            return found
        for r, row in enumerate(self.rows, start=1):
            texts = [v for v in row if type(v) is str]
            if not texts or not CONTROL.search("\n".join(texts)):
                continue
            row = self.rows[r - 1] = list(row)
            for c, v in enumerate(row, start=1):
                if type(v) is str and (m := CONTROL.search(v)):
                    found.append((r, c, f"U+{ord(m.group()):04X}"))
                    row[c - 1] = CONTROL.sub("", v)
        return found

    def clean_numbers(self) -> list[tuple[int, int, str]]:
        """Empty every number no cell can hold (NaN, ±Inf: a hand-made <v>inf</v> or a SpreadsheetML
        "INF"; Excel writes neither, and the data would take them for an empty cell) and return (row,
        column, the number) for each, so the reader can say where. One exact sum of the sheet's floats
        first: finite unless one of them is not (or they overflow together), then the rows are walked."""
        found: list[tuple[int, int, str]] = []
        floats = [v for row in self.rows for v in row if v.__class__ is float]
        try:
            if not floats or math.isfinite(math.fsum(floats)):
                return found
        except OverflowError:              # finite numbers whose sum overflows: walked below, none found
            pass
        for r, row in enumerate(self.rows, start=1):
            bad = [c for c, v in enumerate(row, start=1) if v.__class__ is float and not math.isfinite(v)]
            if not bad:
                continue
            row = self.rows[r - 1] = list(row)
            for c in bad:
                found.append((r, c, str(row[c - 1])))
                row[c - 1] = ""
        return found

    def nonempty(self):
        for r, row in enumerate(self.rows, start=1):
            for c, v in enumerate(row, start=1):
                if v is not None and v != "" and not (isinstance(v, str) and not v.strip()):
                    yield r, c, v


@dataclass(frozen=True)
class SourceNote:
    """Something noticed while opening a file (macros present, extension and content disagree)."""

    kind: str
    zh: str
    en: str


@dataclass
class Source:
    """A workbook as grids, with what was noticed while opening it."""

    path: str
    format: str
    grids: list[Grid]
    notes: list[SourceNote] = field(default_factory=list)
    properties: dict[str, str] = field(default_factory=dict)


def _clean(v):
    if isinstance(v, float) and v.is_integer() and abs(v) < 2**53:
        return int(v)
    if isinstance(v, _dt.datetime) and v.time() == _dt.time():
        return v.date()
    return v


_ONLY_STR = {str}
_STR_FLOAT = {str, float}


def _clean_row(row: list) -> list:
    """A row of calamine's values with _clean applied: as it is when all text, one comprehension when
    text and floats (most rows of a filled form), _clean per value otherwise."""
    types = set(map(type, row))
    if types <= _ONLY_STR:
        return row
    if types <= _STR_FLOAT:
        return [int(v) if v.__class__ is float and v.is_integer() and -2**53 < v < 2**53 else v for v in row]
    return [_clean(v) for v in row]
BIG_NUMBER = 1e15   # beyond 15 significant digits a double no longer holds every digit: a code, not a quantity


def _calamine_error(path, exc, sheet=None):
    what = f"工作表“{sheet}”" if sheet else "工作簿"
    what_en = f"sheet '{sheet}'" if sheet else "the workbook"
    msg = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
    return UnreadableWorkbook(f"{what}无法读取，文件可能已损坏（{msg}）", f"{what_en} cannot be read; the file may be corrupt ({msg})", path)


def native_failure(exc: BaseException) -> bool:
    """True for what a native reader raises on a broken file: its own errors, and a Rust panic
    (pyo3's PanicException is a BaseException, so `except Exception` lets it through)."""
    return isinstance(exc, Exception) or type(exc).__name__ == "PanicException"


def load_calamine(path: Path, fmt: str, data: bytes | None = None) -> list[Grid]:
    """Values and merges of every worksheet. The caller has already run the package checks; data: the
    package as they passed it (ooxml._package.stored_copy), read instead of the file."""
    from python_calamine import CalamineWorkbook
    try:
        if data is not None:
            wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
        else:
            with open(path, "rb") as fh:    # by content: from_path would trust the extension
                wb = CalamineWorkbook.from_filelike(fh)
        metas = list(wb.sheets_metadata)
    except BaseException as exc:    # noqa: BLE001 - calamine's own errors for every corruption, or a panic
        if not native_failure(exc):
            raise
        raise _calamine_error(path, exc) from None
    grids = []
    for meta in metas:
        if "WorkSheet" not in str(meta.typ):
            continue
        visible = "Visible" in str(meta.visible) and "Hidden" not in str(meta.visible)
        if not visible:
            # a hidden sheet is not read (the reader names it in a note); its XML passed the package checks
            grids.append(Grid(meta.name, [], [], visible=False))
            continue
        try:
            sheet = wb.get_sheet_by_name(meta.name)
            if sheet.height * sheet.width > READ_LIMITS.max_cells:
                raise UnreadableWorkbook(
                    f"工作表“{meta.name}”的数据区域过大（{sheet.height:,} 行 × {sheet.width:,} 列），疑似恶意文件，已拒绝",
                    f"sheet '{meta.name}' spans too large a range ({sheet.height:,} x {sheet.width:,}); refused as hostile", path)
            values = sheet.to_python(skip_empty_area=False)
            merges = sheet.merged_cell_ranges or []
        except UnreadableWorkbook:
            raise
        except BaseException as exc:    # noqa: BLE001 - see native_failure
            if not native_failure(exc):
                raise
            raise _calamine_error(path, exc, meta.name) from None
        # most cells are text or empty: a row of only str is kept as calamine gave it (C-speed type test)
        rows = [_clean_row(row) for row in values]
        grids.append(Grid(meta.name, rows, [(a + 1, b + 1, c + 1, d + 1) for (a, b), (c, d) in merges], visible=visible))
    return grids
