"""Issue 16: every format perfbook reads is one entry of readers/formats.FORMATS (kind, extensions, size
limit, loader), and the door and the size guard read nothing else.

Each file is generated here; the kinds expected of them are what the bytes are (a zip, an OLE2 compound
file, SpreadsheetML, HTML), not what the code under test says.
"""
from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest

import perfbook
from perfbook.errors import UnreadableWorkbook
from perfbook.ooxml._package import inspect_package
from perfbook.readers import formats
from perfbook.readers._sniff import KINDS, MESSAGES, OLE_SNIFF_BYTES, sniff
from tests.support import hostile as H

MB = 1024 * 1024
XML2003 = (b'<?xml version="1.0"?><Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" '
           b'xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet"><Worksheet ss:Name="s"><Table><Row>'
           b'<Cell><Data ss:Type="String">x</Data></Cell></Row></Table></Worksheet></Workbook>')
HTML = b"<html><body><table><tr><td>x</td></tr></table></body></html>"
ODS_CONTENT = (b'<?xml version="1.0" encoding="UTF-8"?><office:document-content '
               b'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
               b'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
               b'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:spreadsheet>'
               b'<table:table table:name="s"><table:table-row><table:table-cell office:value-type="string">'
               b"<text:p>x</text:p></table:table-cell></table:table-row></table:table></office:spreadsheet>"
               b"</office:body></office:document-content>")


def _xlsm_parts() -> dict[str, bytes]:
    parts = H.base_parts()
    parts["xl/vbaProject.bin"] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600
    return parts


def _one_of_each(tmp: Path) -> dict[str, Path]:
    """A small real file of every format, by the kind it is."""
    ods = {"mimetype": b"application/vnd.oasis.opendocument.spreadsheet", "content.xml": ODS_CONTENT,
           "META-INF/manifest.xml": b"<manifest/>"}
    (tmp / "x.xml").write_bytes(XML2003)
    (tmp / "x.html").write_bytes(HTML)
    return {"xlsx": H.write_parts(tmp / "x.xlsx", H.base_parts()),
            "xlsm": H.write_parts(tmp / "x.xlsm", _xlsm_parts()),
            "ods": H.write_parts(tmp / "x.ods", ods),
            "ole": H.cfb(tmp / "x.xls", {"Workbook": b"\x09\x08\x10\x00" + b"\x00" * 16}),
            "xml2003": tmp / "x.xml",
            "html": tmp / "x.html"}


def test_the_registry_is_complete():
    """Every kind sniff reports is read by some format or refused with its own message, and every format
    has a size limit, a loader and extensions."""
    kinds = [f.kind for f in formats.FORMATS]
    assert len(kinds) == len(set(kinds))
    assert formats.BY_KIND == {f.kind: f for f in formats.FORMATS}
    sniffed = {f.sniffed for f in formats.FORMATS}
    assert sniffed <= set(KINDS)
    assert [k for k in KINDS if k not in sniffed and k not in MESSAGES] == []
    for f in formats.FORMATS:
        assert f.kind not in MESSAGES, f.kind
        assert f.max_bytes > 0 and callable(f.load), f.kind
        assert f.extensions and all(e.startswith(".") and e == e.lower() for e in f.extensions), f.kind
        if f.sniffed == "ole":
            # sniff reads an OLE2 file whole only up to OLE_SNIFF_BYTES; anything bigger must be refused by size
            assert f.max_bytes <= OLE_SNIFF_BYTES


def test_every_file_kind_has_its_entry(tmp_path):
    """sniff, then (inside a zip) the package check, lead each real file to the entry of its format."""
    for kind, path in _one_of_each(tmp_path).items():
        told = sniff(path)
        assert told in KINDS
        if told == "zip":
            told = inspect_package(path).kind
        assert told == kind, path
        assert formats.BY_KIND[kind].sniffed == sniff(path)
        assert formats.ensure_safe(path) == kind


def test_every_kind_sniff_can_report(tmp_path):
    """The files behind each kind in KINDS (so that the completeness test covers what sniff really returns)."""
    files = {"zip": H.write_parts(tmp_path / "z.zip", {"a.txt": b"a"}),
             "ole": H.cfb(tmp_path / "b.xls", {"Workbook": b"\x09\x08" + b"\x00" * 30}),
             "ole-encrypted": H.cfb(tmp_path / "e.xlsx", {"EncryptionInfo": b"\x04\x00", "EncryptedPackage": b"\x00" * 60}),
             "ole-other": H.cfb(tmp_path / "d.doc", {"WordDocument": b"\xec\xa5" + b"\x00" * 50})}
    for name, data in {"xml2003": XML2003, "html": HTML, "text": "名称,金额\n甲,1\n".encode("gb18030"), "empty": b"",
                       "unknown": b"\x00\x01\x02\x03binary", "xml": b'<?xml version="1.0"?><root/>',
                       "word2003": b'<?xml version="1.0"?><?mso-application progid="Word.Document"?><w:wordDocument/>'}.items():
        (tmp_path / name).write_bytes(data)
        files[name] = tmp_path / name
    assert sorted(files) == sorted(KINDS)
    for kind, path in files.items():
        assert sniff(path) == kind, path


@pytest.mark.parametrize("kind", [f.kind for f in formats.FORMATS])
def test_a_file_over_its_formats_limit_is_refused_naming_it(tmp_path, monkeypatch, kind):
    """The limit comes from the format's entry: a real file over it is refused, by name, before its loader."""
    path = _one_of_each(tmp_path)[kind]
    small = dataclasses.replace(formats.BY_KIND[kind], max_bytes=os.path.getsize(path) - 1,
                                load=lambda *a: pytest.fail("the loader ran"))
    monkeypatch.setitem(formats.BY_KIND, kind, small)
    with pytest.raises(UnreadableWorkbook) as exc:
        perfbook.read(path)
    assert "文件过大" in exc.value.zh and "too large" in exc.value.en
    assert exc.value.path == str(path) and str(path) in str(exc.value)


@pytest.mark.parametrize("sniffed", sorted({f.sniffed for f in formats.FORMATS}))
def test_an_oversize_file_is_refused_at_the_real_limit(tmp_path, sniffed):
    """A file one byte over the real limit (a sparse file: nothing of it is written or parsed) is refused
    with the file named and the limit in megabytes."""
    head = {"zip": b"PK\x03\x04", "ole": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
            "xml2003": XML2003, "html": HTML}[sniffed]
    limit = max(f.max_bytes for f in formats.FORMATS if f.sniffed == sniffed)
    path = tmp_path / f"big.{sniffed}"
    with open(path, "wb") as fh:
        fh.write(head)
        fh.truncate(limit + 1)
    assert sniff(path) == sniffed
    with pytest.raises(UnreadableWorkbook) as exc:
        perfbook.read(path)
    assert exc.value.zh == f"文件过大（{limit // MB} MB，上限 {limit // MB} MB），已拒绝"
    assert exc.value.path == str(path)
