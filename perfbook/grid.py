"""A sheet as a plain grid of values plus its merged ranges: what every reader works from.

Values come from python-calamine (tens of times faster than openpyxl and able to see merges);
coordinates are 1-based like Excel's. Other formats (SpreadsheetML 2003, HTML tables) are turned
into the same Grid by their own loaders.
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from pathlib import Path

from .errors import UnreadableWorkbook
from .sniff import ensure_safe


@dataclass
class Grid:
    name: str
    rows: list[list]                                   # rows[r-1][c-1]; '' or None when empty
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)   # (r1, c1, r2, c2), 1-based
    visible: bool = True
    raw: dict[tuple[int, int], str] = field(default_factory=dict)   # exact source text where the value lost it (numeric codes)

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
            if (r2 - r1 + 1) * (c2 - c1 + 1) > 100_000:
                continue
            for r in range(r1, r2 + 1):
                for c in range(c1, c2 + 1):
                    if (r, c) != (r1, c1):
                        out[(r, c)] = (r1, c1)
        return out

    def nonempty(self):
        for r, row in enumerate(self.rows, start=1):
            for c, v in enumerate(row, start=1):
                if v is not None and v != "" and not (isinstance(v, str) and not v.strip()):
                    yield r, c, v


@dataclass
class Source:
    """A workbook as grids, with what was noticed while opening it."""

    path: str
    format: str
    grids: list[Grid]
    notes: list[str] = field(default_factory=list)
    properties: dict[str, str] = field(default_factory=dict)


def _clean(v):
    if isinstance(v, float) and v.is_integer() and abs(v) < 2**53:
        return int(v)
    if isinstance(v, _dt.datetime) and v.time() == _dt.time():
        return v.date()
    return v


def load_calamine(path: Path, fmt: str) -> list[Grid]:
    from python_calamine import CalamineWorkbook
    try:
        wb = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own error types for every kind of corruption
        raise UnreadableWorkbook(f"无法读取工作簿（{type(exc).__name__}: {exc}）",
                                 f"cannot read the workbook ({type(exc).__name__}: {exc})", path) from None
    grids = []
    for meta in wb.sheets_metadata:
        if str(meta.typ).endswith("WorkSheet") is False and "WorkSheet" not in str(meta.typ):
            continue
        try:
            sheet = wb.get_sheet_by_name(meta.name)
            values = sheet.to_python(skip_empty_area=False)
            merges = sheet.merged_cell_ranges or []
        except Exception as exc:
            raise UnreadableWorkbook(f"工作表“{meta.name}”无法读取（{exc}）", f"sheet '{meta.name}' cannot be read ({exc})", path) from None
        rows = [[_clean(v) for v in row] for row in values]
        grids.append(Grid(meta.name, rows, [(a + 1, b + 1, c + 1, d + 1) for (a, b), (c, d) in merges],
                          visible="Visible" in str(meta.visible) and "Hidden" not in str(meta.visible)))
    return grids


def custom_properties(path: Path) -> dict[str, str]:
    """docProps/custom.xml of an xlsx (perfbook records its frame there)."""
    import re
    from ._package import open_zip, read_part
    with open_zip(path) as zf:
        if "docProps/custom.xml" not in zf.namelist():
            return {}
        xml = read_part(zf, "docProps/custom.xml", path).decode("utf-8", "replace")
    return {m.group(1): m.group(2) for m in re.finditer(r'<property\b[^>]*\bname="([^"]*)"[^>]*>\s*<vt:\w+>(.*?)</vt:\w+>', xml, re.S)}


LOADERS = {}   # format -> callable(path) -> list[Grid]; other formats register here


def open_source(path: str | Path) -> Source:
    """Sniff, check and load any supported workbook into grids."""
    path = Path(path)
    kind = ensure_safe(path)
    if kind in LOADERS:
        return LOADERS[kind](path)
    if kind in ("xlsx", "ods", "ole"):
        fmt = {"ole": "xls"}.get(kind, kind)
        grids = load_calamine(path, fmt)
        props = custom_properties(path) if kind == "xlsx" else {}
        return Source(str(path), fmt, grids, properties=props)
    raise UnreadableWorkbook(f"无法识别的文件格式（{kind}）", f"unrecognised file format ({kind})", path)
