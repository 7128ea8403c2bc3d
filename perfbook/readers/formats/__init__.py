"""The workbook formats and the one door every file comes in by: open_source sniffs the bytes, refuses
what is too big or hostile, and hands the file to its format's loader. Each format is declared once, in
its own module (a Format: kind, extensions, size limit, loader), and listed once in FORMATS below:
adding a format is one module and one line here. calamine reads xlsx, xlsm, ods and BIFF .xls; the
modules here add what budget systems export as ".xls" (SpreadsheetML 2003, HTML) and what calamine
leaves out (ODS merges, BIFF sanity). Every loader turns a file into grid.Grid objects (values plus
merged ranges, 1-based). Their input is untrusted: XML goes through defusedxml (no DTDs, no entities),
and every grid is size-checked before it is built.
"""
from __future__ import annotations

import os
from pathlib import Path

from ...errors import UnreadableWorkbook
from ...ooxml._package import PackageInfo, inspect_package, read_small
from ...ooxml._sheetxml import col_letter
from .._grid import Source, SourceNote
from .._sniff import MESSAGES, ensure_complete_zip, sniff
from . import biff, html, ods, xlsx, xml2003
from ._format import MB, Format

__all__ = ["open_source", "inspect", "ensure_safe", "ensure_safe_size", "FORMATS", "BY_KIND", "Format"]

# the registry: every format perfbook reads, by the kind inspect() reports
FORMATS: tuple[Format, ...] = (
    xlsx.XLSX,
    xlsx.XLSM,
    ods.FORMAT,
    biff.FORMAT,
    xml2003.FORMAT,
    html.FORMAT,
)
BY_KIND: dict[str, Format] = {f.kind: f for f in FORMATS}


def _limit(sniffed: str) -> int:
    """The size limit of what sniff calls `sniffed`, before its own kind is known (a zip's is told by
    its parts): the largest of the formats it may turn out to be."""
    return max(f.max_bytes for f in FORMATS if f.sniffed == sniffed)


def _too_big(path, size, limit):
    return UnreadableWorkbook(f"文件过大（{size // MB} MB，上限 {limit // MB} MB），已拒绝",
                              f"the file is too large ({size // MB} MB, limit {limit // MB} MB); refused", path)


def ensure_safe(path: str | Path) -> str:
    """Refuse what must not reach a parser; returns the kind for what may (a key of BY_KIND)."""
    return inspect(path)[0]


def inspect(path: str | Path) -> tuple[str, PackageInfo | None]:
    """(kind, PackageInfo or None) after the same checks as ensure_safe; loaders use the package figures."""
    path = Path(path)
    kind = sniff(path)
    info = None
    if kind == "zip":
        size = os.path.getsize(path)
        if size > _limit("zip"):              # before the package is opened at all
            raise _too_big(path, size, _limit("zip"))
        data = read_small(path)            # read once (a small file): the tail check and the scan
        ensure_complete_zip(path, data)
        info = inspect_package(path, data=data)
        kind = info.kind
    if kind in MESSAGES:
        zh, en = MESSAGES[kind]
        raise UnreadableWorkbook(zh, en, path)
    ensure_safe_size(path, kind)
    return kind, info


def ensure_safe_size(path: Path, kind: str) -> None:
    """Refuse a file over its format's limit (FORMATS), naming it."""
    fmt = BY_KIND.get(kind)
    size = os.path.getsize(path)
    if fmt is not None and size > fmt.max_bytes:
        raise _too_big(path, size, fmt.max_bytes)


def open_source(path: str | Path) -> Source:
    """Sniff, check and load any supported workbook into grids."""
    path = Path(path)
    kind, info = inspect(path)
    fmt = BY_KIND.get(kind)
    if fmt is None:
        raise UnreadableWorkbook(f"无法识别的文件格式（{kind}）", f"unrecognised file format ({kind})", path)
    grids, props = fmt.load(path, info)
    for g in grids:                    # every format's numbers, checked at the one door
        g.notes += [("number", f"单元格中的数 {shown} 不是单元格能保存的数（Excel 不会这样保存），已按空单元格读取",
                     f"the cell holds {shown}, not a number a cell can hold (Excel never saves one); read as empty",
                     f"{col_letter(c)}{r}") for r, c, shown in g.clean_numbers()]
    notes: list[SourceNote] = []
    if info is not None and info.macros:
        notes.append(SourceNote("macro", "含宏（VBA 工程）：perfbook 只读取数据，从不运行宏",
                                "contains macros (a VBA project): perfbook reads the data and never runs them"))
    ext = path.suffix.lower()
    if ext and ext not in fmt.extensions:
        notes.append(SourceNote("format", f"文件扩展名为 {ext}，实际内容是 {fmt.name} 格式，已按内容读取",
                                f"the extension is {ext} but the content is {fmt.name}; read by content"))
    return Source(str(path), fmt.name, grids, notes, props)
