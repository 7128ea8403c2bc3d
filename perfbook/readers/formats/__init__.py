"""The workbook formats and the one door every file comes in by: open_source sniffs the bytes, checks the
size, and hands the file to its loader. calamine reads xlsx, xlsm, ods and BIFF .xls; the modules here read
what budget systems export as ".xls" (SpreadsheetML 2003, HTML) and what calamine leaves out (ODS merges,
BIFF sanity). Each loader turns a file into grid.Grid objects (values plus merged ranges, 1-based). Their
input is untrusted: XML goes through defusedxml (no DTDs, no entities), and every grid is size-checked
before it is built.
"""
from __future__ import annotations

from pathlib import Path

from ...errors import UnreadableWorkbook
from .._grid import Source, SourceNote, custom_properties, load_calamine, recover_raw_numbers
from .._sniff import inspect
from .biff import check_biff
from .html import load_html
from .ods import ods_merges
from .xml2003 import load_xml2003

__all__ = ["open_source", "LOADERS", "FORMAT_NAMES", "EXTENSIONS"]

# kind (as perfbook.readers._sniff reports it) -> callable(path) -> list[Grid], for what calamine does not read
LOADERS: dict = {"xml2003": load_xml2003, "html": load_html}

FORMAT_NAMES = {"ole": "xls"}
EXTENSIONS = {"xlsx": (".xlsx",), "xlsm": (".xlsm", ".xlsx"), "xls": (".xls",), "ods": (".ods",),
              "xml2003": (".xml", ".xls"), "html": (".html", ".htm", ".xls")}


def open_source(path: str | Path) -> Source:
    """Sniff, check and load any supported workbook into grids."""
    path = Path(path)
    kind, info = inspect(path)
    fmt = FORMAT_NAMES.get(kind, kind)
    notes: list[SourceNote] = []
    props: dict[str, str] = {}
    if kind in LOADERS:
        grids = LOADERS[kind](path)
    elif kind in ("xlsx", "xlsm", "ods", "ole"):
        if kind == "ole":
            check_biff(path)
        grids = load_calamine(path, fmt)
        if kind in ("xlsx", "xlsm"):
            recover_raw_numbers(path, grids)
            props = custom_properties(info.custom) if info.custom is not None else {}
        if kind == "ods":
            ods_merges(path, grids)
    else:
        raise UnreadableWorkbook(f"无法识别的文件格式（{kind}）", f"unrecognised file format ({kind})", path)
    if info is not None and info.macros:
        notes.append(SourceNote("macro", "含宏（VBA 工程）：perfbook 只读取数据，从不运行宏",
                                "contains macros (a VBA project): perfbook reads the data and never runs them"))
    ext = path.suffix.lower()
    if ext and ext not in EXTENSIONS.get(fmt, (ext,)):
        notes.append(SourceNote("format", f"文件扩展名为 {ext}，实际内容是 {fmt} 格式，已按内容读取",
                                f"the extension is {ext} but the content is {fmt}; read by content"))
    return Source(str(path), fmt, grids, notes, props)
