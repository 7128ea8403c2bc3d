"""Issue 18: the package scan does the same checks in fewer passes. Each faster piece is compared with
the code it replaced (copied here as it was), on random tag soup built from the pieces hostile sheets use
and on byte-flipped packages: the same findings, or, for the one-call inflate, the same bytes or a step
aside to the streamed read that says what is wrong.
"""
from __future__ import annotations

import io
import random
import re
import zipfile
from pathlib import Path

import pytest

import perfbook
from perfbook.errors import UnreadableWorkbook
from perfbook.ooxml import _package as P
from tests.support import hostile as H

# --- what the scan used before (perfbook 2026-12, ooxml/_package.py) ---------------------------------
OLD_FAR_VALUE = re.compile(rb'r(?:ef)?="([^"]*?(?:[A-Za-z]{3}|[0-9]{7})[^"]*)"')
OLD_TAG_OPEN = re.compile(rb"<[\w:]+\s")
OLD_MERGE = re.compile(rb"<(?:\w+:)?mergeCell\b")
OLD_MERGE_REF = re.compile(rb'<(?:\w+:)?mergeCell\b[^>]*?\bref="\$?([A-Za-z]+)\$?([0-9]+)(?::\$?([A-Za-z]+)\$?([0-9]+))?"')
OLD_PREFIXED_CELL = re.compile(rb"<\w+:c[\s/>]")


def old_far_candidates(seg: bytes):
    pos = 0
    while (m := OLD_FAR_VALUE.search(seg, pos)) is not None:
        at = m.start()
        pos = at + 1
        if not seg[at - 1:at].isspace():
            continue
        lt = seg.rfind(b"<", 0, at)
        if lt < 0 or seg.rfind(b">", 0, at) > lt or not OLD_TAG_OPEN.match(seg, lt):
            continue
        yield m


def old_merges(seg: bytes) -> tuple[int, int]:
    cells = 0
    for c1, r1, c2, r2 in OLD_MERGE_REF.findall(seg):
        if c2:
            cells += (abs(int(r2) - int(r1)) + 1) * (abs(P._col_number(c2) - P._col_number(c1)) + 1)
    return len(OLD_MERGE.findall(seg)), cells


def _soup(rnd: random.Random, pieces: list[bytes], n: int = 40) -> bytes:
    return b"".join(rnd.choice(pieces) for _ in range(rnd.randint(1, n)))


REF_PIECES = [b"<c ", b"<x:c ", b"<row ", b"<mergeCell ", b"<dimension ", b'<f t="shared" ', b' r="', b' ref="',
              b'sqref="', b"\t", b"\n", b" ", b"AAAA", b"XFE", b"A", b"AB", b"9999999", b"12", b"123456", b"$", b":",
              b'"', b">", b"/>", b"<t>", b"</t>", b'text r="ZZZ1" ', b"<", b's="1"', b"r", b"ef", b"="]
MERGE_PIECES = [b"<mergeCell", b"<x:mergeCell", b"<x:y:mergeCell", b"<mergeCells", b"mergeCell", b"<:mergeCell",
                b"<_1:mergeCell", b":mergeCell", b"<mergeCell:mergeCell", b" ", b"\t", b'ref="', b' ref="', b'xref="',
                b"A1", b"$B$2", b":", b"C10", b"ZZ9", b'"', b">", b"/>", b"<", b"x", b"_", b"1"]


def test_far_candidates_find_exactly_what_the_old_scan_found():
    rnd = random.Random(18)
    for _ in range(6000):
        seg = _soup(rnd, REF_PIECES)
        old = [(m.span(), m.group(1)) for m in old_far_candidates(seg)]
        assert [(m.span(), m.group(1)) for m in P.far_candidates(seg)] == old, seg


def test_merges_are_counted_as_the_two_old_patterns_counted_them():
    rnd = random.Random(16)
    for _ in range(6000):
        seg = _soup(rnd, MERGE_PIECES)
        sc = P._Scanner("s.xml", "p", P.READ_LIMITS, "xlsx")
        sc._merges(seg)
        assert (sc.stats.merges, sc.stats.merged_cells) == old_merges(seg), seg


CELL_PIECES = [b'<c r="', b"<c ", b"<c>", b"<c/>", b"<c\t", b"<c\n", b"<cols>", b"<col ", b"<x:c ", b"<x:c>", b"<x:col ",
               b'r="B2"', b's="1"', b">", b"/>", b"</c>", b"<v>1</v>", b"B3", b'"', b" "]


def test_the_quick_cell_path_is_taken_only_when_every_cell_says_where_it_is():
    """The per-tag scan sees every <c ...> or <x:c ...> tag (_CELL_OR_ROW); the one-findall path is right
    only when each is written <c r="...: tested over soup, the old test being count(<c ) == count(<c r=")."""
    rnd = random.Random(4)
    for _ in range(6000):
        seg = _soup(rnd, CELL_PIECES, 20)
        quick = not P._UNPLACED_CELL.search(seg) and not (P._PREFIXED_TAIL.search(seg) and P._PREFIXED_CELL.search(seg))
        tags = [m for m in P._CELL_OR_ROW.finditer(seg) if m.group(1) == b"c"]
        if quick:
            assert all(seg.startswith(b'<c r="', m.start()) for m in tags), seg
            assert not OLD_PREFIXED_CELL.search(seg), seg


def test_a_cell_tag_with_a_tab_is_placed_and_checked(tmp_path):
    """<c\tr="ZZ999999"> is a cell to calamine; the old quick path did not count it (it looked for '<c '):
    the used range it opens (702 x 999,999) is now refused before calamine lays it out."""
    rows = b'<row r="999999"><c\tr="ZZ999999" t="inlineStr"><is><t>x</t></is></c></row>'
    f = H.write_parts(tmp_path / "tab.xlsx", {**H.base_parts(), "xl/worksheets/sheet1.xml": H.sheet_xml(rows)})
    with pytest.raises(UnreadableWorkbook) as exc:
        perfbook.read(f)
    assert "区域过大" in exc.value.zh and exc.value.path == str(f)


def _packages(tmp: Path, shared: Path) -> list[Path]:
    """Hand-built (deflated and stored), an Excel-made sample and a bureau's."""
    out = [H.write_parts(tmp / "a.xlsx", H.base_parts()), H.write_parts(tmp / "s.xlsx", H.base_parts(), level=0)]
    return out + [sorted((shared / "samples" / d).glob("*.xlsx"))[0] for d in ("excel-made", "shenzhen-baoan")]


def _streamed(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes | None:
    try:
        with zf.open(info) as fh:
            return fh.read()
    except Exception:   # noqa: BLE001 - whatever the streamed read fails with
        return None


def test_one_call_inflate_gives_the_streamed_bytes_or_steps_aside(tmp_path, shared):
    """On every part of real packages, and of copies with bytes flipped anywhere: where zipfile's streamed
    read of the file succeeds, inflate_whole gives the same bytes or None; where it fails, None."""
    rnd = random.Random(7)
    checked = 0
    copy = tmp_path / "flipped.xlsx"
    for src in _packages(tmp_path, shared):
        data = src.read_bytes()
        for k in range(150):
            raw = bytearray(data)
            for _ in range(0 if k == 0 else rnd.randint(1, 4)):
                raw[rnd.randrange(len(raw))] = rnd.randrange(256)
            copy.write_bytes(raw)
            try:
                on_disk, in_memory = zipfile.ZipFile(copy), zipfile.ZipFile(io.BytesIO(raw))
            except Exception:   # noqa: BLE001 - inspect_package then reads the file as a stream
                continue
            with on_disk, in_memory:
                assert len(on_disk.infolist()) == len(in_memory.infolist())
                for disk_info, info in zip(on_disk.infolist(), in_memory.infolist()):
                    want = _streamed(on_disk, disk_info)
                    got = P.inflate_whole(bytes(raw), in_memory, info)
                    assert got is None or got == want, (src, info.filename)
                    if k == 0:
                        assert got is not None and got == want, (src, info.filename)
                    checked += 1
    assert checked > 500


def test_a_package_the_one_call_read_cannot_vouch_for_is_read_as_a_stream(tmp_path, monkeypatch):
    """StepAside: the same PackageInfo, and the same refusal, by the streamed read."""
    good = H.write_parts(tmp_path / "a.xlsx", H.base_parts())
    fast = P.inspect_package(good)
    monkeypatch.setattr(P, "inflate_whole", lambda *a: None)
    assert P.inspect_package(good) == fast
    bad = H.write_parts(tmp_path / "dtd.xlsx", {**H.base_parts(), "xl/sharedStrings.xml": H.LOL + b"<sst/>"})
    with pytest.raises(UnreadableWorkbook) as exc:
        P.inspect_package(bad)
    assert "DTD" in exc.value.zh and exc.value.path == str(bad)


NONSHEET_PIECES = [b"<", b">", b"<!DOCTYPE", b"<!ENTITY", b"<!DOC", b"TYPE", b"\xff\xfe", b"\xfe\xff", b"\x00", b"<\x00",
                   b"x", b" ", b"<?xml?>", b"<a>", b"</a>"]


def test_a_small_part_that_is_no_sheet_is_checked_whole_as_it_was_in_segments():
    rnd = random.Random(11)
    for _ in range(4000):
        data = _soup(rnd, NONSHEET_PIECES, 12)
        found = []
        for how in ("segments", "whole"):
            sc = P._Scanner("a.xml", "p", P.READ_LIMITS, None)
            try:
                if how == "whole":
                    sc.whole(data)
                else:
                    sc.feed(data)
                    sc.feed(b"", final=True)
                found.append(None)
            except UnreadableWorkbook as exc:
                found.append(exc.zh)
        assert found[0] == found[1], data
