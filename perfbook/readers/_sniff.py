"""What a file really is, judged by its bytes, and what to say about a kind perfbook cannot read.

Budget systems save SpreadsheetML 2003 XML and HTML tables under ".xls", people rename CSV files to
".xlsx", and an encrypted .xlsx is not a zip at all but an OLE2 file: the extension says nothing.
The formats perfbook reads, their size limits and loaders are in readers/formats (FORMATS); the guard
that refuses a file before a parser sees it is readers/formats.inspect.
"""
from __future__ import annotations

import os
import stat
from pathlib import Path

from ..errors import UnreadableWorkbook

OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP = b"PK\x03\x04"
ZIP_EMPTY = b"PK\x05\x06"
HEAD = 8192
# the most of an OLE2 file read to tell a BIFF .xls from an encrypted package or a Word file; a bigger
# one is called 'ole' and refused by the xls format's own limit (not above this: tests/test_formats.py)
OLE_SNIFF_BYTES = 64 * 1024 * 1024
# every kind sniff() reports
KINDS = ("zip", "ole", "ole-encrypted", "ole-other", "xml2003", "word2003", "xml", "html", "text", "empty", "unknown")

# OLE2 stream names are stored as UTF-16LE in the directory sectors.
_ENCRYPTED = ("EncryptedPackage".encode("utf-16-le"), "EncryptionInfo".encode("utf-16-le"))
_BIFF = ("Workbook".encode("utf-16-le"), "Book".encode("utf-16-le"))
_XML2003_NS = b"urn:schemas-microsoft-com:office:spreadsheet"


def _head(path: Path) -> tuple[bytes, int]:
    try:
        st = os.stat(path)
        if stat.S_ISDIR(st.st_mode):
            raise IsADirectoryError
        if not stat.S_ISREG(st.st_mode):     # a FIFO or device named *.xlsx: opening it could block forever
            raise UnreadableWorkbook("不是普通文件（管道、设备或套接字），未打开",
                                     "not a regular file (a pipe, device or socket); not opened", path)
        size = st.st_size
        with open(path, "rb") as fh:
            return fh.read(HEAD), size
    except IsADirectoryError:
        raise UnreadableWorkbook("这是文件夹，不是工作簿", "this is a folder, not a workbook", path) from None
    except OSError as exc:
        raise UnreadableWorkbook(f"无法打开文件：{exc.strerror}", f"cannot open the file: {exc.strerror}", path) from None


def _text_kind(head: bytes) -> str:
    """xml2003 | xml | html | text | unknown, for a file that is neither zip nor OLE2."""
    for bom, enc in ((b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if head.startswith(bom):
            head = head[len(bom):].decode(enc, "ignore").encode("utf-8")
    t = head.lstrip(b"\xef\xbb\xbf").lstrip().lower()
    if t.startswith(b"<?xml") and _is_word2003(t):
        return "word2003"
    if t.startswith(b"<?xml") or t.startswith(b"<workbook") or t.startswith(b"<ss:workbook"):
        if _XML2003_NS in head or b"<workbook" in t or b"<ss:workbook" in t:
            return "xml2003"
        return "html" if b"<html" in t else "xml"
    if t.startswith((b"<!doctype html", b"<html", b"<table", b"<meta", b"<head", b"<body", b"<!--")) or b"<table" in t:
        return "html"
    if b"\x00" in head:
        return "unknown"
    for enc in ("utf-8", "gb18030"):
        try:
            head.decode(enc)
            return "text"
        except UnicodeDecodeError as exc:
            if exc.start > len(head) - 4:   # a character cut by the end of the sample
                return "text"
    return "unknown"


def _is_word2003(t: bytes) -> bool:
    """Word 2003 XML (WordprocessingML): what the budget system's Word export templates write, often
    named .doc or .xls like the spreadsheet exports."""
    return b'progid="word.document"' in t or b"<w:worddocument" in t or b"/office/word/2003/wordml" in t


def sniff(path: str | Path) -> str:
    """One of KINDS."""
    path = Path(path)
    head, size = _head(path)
    if not head:
        return "empty"
    if head.startswith((ZIP, ZIP_EMPTY)):
        return "zip"
    if head.startswith(OLE2):
        return _ole_kind(path, size)
    return _text_kind(head)


def _ole_kind(path: Path, size: int) -> str:
    """An OLE2 compound file: a BIFF .xls, an encrypted OOXML package, or something else (.doc)."""
    if size > OLE_SNIFF_BYTES:
        return "ole"                      # refused for size by readers.formats.inspect
    data = path.read_bytes()
    if any(n in data for n in _ENCRYPTED):
        return "ole-encrypted"
    if any(n in data for n in _BIFF):
        return "ole"
    return "ole-other"


# what is said of a kind perfbook does not read (a zip: one whose parts hold no workbook)
MESSAGES = {
    "empty": ("文件为空（0 字节）", "the file is empty (0 bytes)"),
    "ole-encrypted": ("工作簿已加密（设有打开密码），无法读取；请在 Excel/WPS 中去掉密码后重新保存",
                      "the workbook is encrypted (password to open); remove the password in Excel/WPS and save again"),
    "ole-other": ("不是 Excel 工作簿（OLE2 文件中没有工作簿数据，可能是 Word 等其他文档）",
                  "not an Excel workbook (an OLE2 file without a workbook stream, e.g. a Word document)"),
    "text": ("这是文本/CSV 文件，不是工作簿；请在 Excel 中打开后另存为 .xlsx（或用 perfbook fill 读取 CSV 数据）",
             "this is a text/CSV file, not a workbook; open it in Excel and save as .xlsx (perfbook fill reads CSV data)"),
    "word2003": ("这是 Word 文档（Word 2003 XML），不是 Excel 工作簿；请在预算管理一体化系统中改用“导出 Excel”"
                 "（绩效目标表的 Excel 导出），或在 Word/WPS 中把表格复制到 Excel 后另存为 .xlsx",
                 "this is a Word document (Word 2003 XML), not an Excel workbook; export the table from the budget "
                 "system as Excel instead, or copy the table into Excel and save it as .xlsx"),
    "xml": ("这是 XML 文件，但不是 Excel 2003 XML 工作簿", "this is an XML file but not an Excel 2003 XML workbook"),
    "unknown": ("无法识别的文件格式（不是 xlsx、xls、ods、Excel 2003 XML 或 HTML 表格）",
                "unrecognised file format (not xlsx, xls, ods, Excel 2003 XML or an HTML table)"),
    "zip": ("不是 Excel 工作簿（压缩包中没有工作簿部件）", "not an Excel workbook (the zip holds no workbook parts)"),
}


def ensure_complete_zip(path: Path, data: bytes | None = None) -> None:
    """A zip ends with its directory; without one the file was cut short (a download or copy that
    stopped), which deserves that message rather than "not a zip". data: the file's bytes, when read."""
    if data is None:
        size = os.path.getsize(path)
        with open(path, "rb") as fh:
            fh.seek(max(0, size - 65_557))
            data = fh.read()
    if data.rfind(b"PK\x05\x06", max(0, len(data) - 65_557)) < 0:    # in the tail: sought from the end, not copied
        raise UnreadableWorkbook("文件不完整、已损坏（压缩包的目录缺失，可能下载或复制时被截断）；请重新获取原文件",
                                 "the file is incomplete (the zip directory is missing: cut short while downloading "
                                 "or copying); get the original again", path)
