"""What a file really is, judged by its bytes, and whether it is safe to hand to a parser."""
from __future__ import annotations

from pathlib import Path

from ._package import open_zip
from .errors import UnreadableWorkbook

OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP = b"PK\x03\x04"


def sniff(path: str | Path) -> str:
    """'xlsx' | 'ods' | 'xls' | 'ole-encrypted' | 'xml2003' | 'html' | 'csv' | 'empty' | 'unknown'."""
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            head = fh.read(4096)
    except OSError as exc:
        raise UnreadableWorkbook(f"无法打开文件：{exc.strerror}", f"cannot open the file: {exc.strerror}", path) from None
    if not head:
        return "empty"
    if head.startswith(ZIP):
        return "zip"
    if head.startswith(OLE2):
        return "ole"
    text = head.lstrip(b"\xef\xbb\xbf").lstrip().lower()
    if text.startswith(b"<?xml") or text.startswith(b"<workbook"):
        return "xml2003" if b"urn:schemas-microsoft-com:office:spreadsheet" in head or b"<workbook" in text else "xml"
    if text.startswith(b"<!doctype html") or text.startswith(b"<html") or b"<table" in text:
        return "html"
    return "unknown"


def ensure_safe(path: str | Path) -> str:
    """Refuse what must not reach a parser; returns the sniffed kind for what may."""
    kind = sniff(path)
    if kind == "empty":
        raise UnreadableWorkbook("文件为空", "the file is empty", path)
    if kind == "zip":
        with open_zip(path) as zf:
            names = set(zf.namelist())
        if "EncryptedPackage" in names:
            raise UnreadableWorkbook("文件已加密，无法读取；请去掉密码后重新保存", "the workbook is encrypted", path)
        if "content.xml" in names and "mimetype" in names:
            return "ods"
        if not any(n.startswith("xl/") for n in names):
            raise UnreadableWorkbook("不是 Excel 工作簿（压缩包中没有 xl/ 部件）", "not an Excel workbook (no xl/ parts in the zip)", path)
        return "xlsx"
    return kind
