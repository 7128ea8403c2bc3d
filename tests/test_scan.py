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
OLD_TINY = rb"\$?(?:[A-Ea-e]?[A-Za-z])?\$?[0-9]{0,4}"
OLD_NOT_TINY = rb"(?!" + OLD_TINY + rb"(?::" + OLD_TINY + rb')?")'
OLD_NOT_SMALL = (re.compile(rb'r="(?<=\sr=")' + OLD_NOT_TINY), re.compile(rb'ref="(?<=\sref=")' + OLD_NOT_TINY))
OLD_DTD = re.compile(rb"<!(?:DOCTYPE|ENTITY)")
OLD_UNPLACED_CELL = re.compile(rb'<c(?!\w| r=")')


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


SMALL_PIECES = [b' r="', b' ref="', b'\tr="', b'\nref="', b'xr="', b'sqref="', b'r="', b'ref="', b'f="', b"A", b"E", b"F",
                b"Z", b"e", b"z", b"a", b"AB", b"EZ", b"FA", b"ZZ", b"AAA", b"1", b"12", b"9999", b"10000", b"0", b"$", b":",
                b'"', b" ", b"_", b"-", b"<!DOCTYPE", b"<!ENTITY", b"<!", b"!", b"DOCTYPE", b"ENTITY", b"<", b"<!-"]


def test_the_small_reference_and_dtd_patterns_find_what_the_old_ones_found():
    """_NOT_SMALL (the plain shape told first, ref=" found by its f=") and _DTD (led by "!") match where the
    old patterns matched, shifted by the letters they now start after."""
    rnd = random.Random(19)
    pairs = [(OLD_NOT_SMALL[0], P._NOT_SMALL[0], 0), (OLD_NOT_SMALL[1], P._NOT_SMALL[1], 2), (OLD_DTD, P._DTD, 1)]

    def one() -> bytes:       # a reference near the edges of "small": 0-3 letters, 0-5 digits, $
        return (b"$" * rnd.randint(0, 1) + bytes(rnd.choices(b"AEFZaefzB", k=rnd.choice((0, 1, 1, 2, 2, 3))))
                + b"$" * rnd.randint(0, 1) + b"9" * rnd.choice((0, 1, 4, 4, 5)))

    def ref() -> bytes:       # one, or a range of two
        return one() + (b":" + one() if rnd.random() < 0.4 else b"")

    for i in range(40000):
        seg = _soup(rnd, SMALL_PIECES, 12) if i % 2 else b"".join(
            rnd.choice((b' r="', b'\tref="', b' ref="', b'<c r="')) + ref() + rnd.choice((b'"', b'" ', b"", b"<")) for _ in range(3))
        for old, new, shift in pairs:
            assert [m.start() + shift for m in old.finditer(seg)] == [m.start() for m in new.finditer(seg)], seg


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
        assert [m.span() for m in P._UNPLACED_CELL.finditer(seg)] == [m.span() for m in OLD_UNPLACED_CELL.finditer(seg)]
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
        for k, raw in H.flipped(data, rnd, most=4):
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


# --- the quick pass over a sheet (_Scanner quick, Recount): the same outcome as the full pass ---------

QUICK_PIECES = [b'<c r="A1">', b'<c r="B2" s="1"/>', b'<c r="EZ9999"><v>1</v></c>', b'<c r="FA1"><v>1</v></c>',
                b'<c r="A10000"><v>1</v></c>', b'<c r="ZZ999999"><v>1</v></c>', b'<c r="XFE1"/>', b'<c r="XFD1"><v>2</v></c>',
                b'<c r="A1048577"><v>1</v></c>', b'<c r="AAAA1"/>', b'<row r="5">', b'<row r="99999">', b"</row>",
                b"<c><v>1</v></c>", b'<x:c r="B2">', b'<c\tr="ZZ999999"><v>1</v></c>', b'<c r="$A$1">', b'<c r="a3">',
                b'<mergeCell ref="A1:B2"/>', b'<mergeCell ref="A1:XFD1048576"/>', b'<dimension ref="A1:XFD1048577"/>',
                b'<f t="shared" ref="A1:A99999">', b"<!DOCTYPE x>", b"<v>1</v>", b"</c>", b"<is><t>x</t></is>",
                b' r="', b' ref="', b'"', b"AB", b"12345", b":", b" ", b"\t", b">", b"/>", b"<"]


def _scan(chunks: list[bytes], quick: bool, limits: P.ReadLimits = P.READ_LIMITS):
    """What scan_part makes of a sheet fed in these chunks: the refusal, or the merge figures."""
    sc = P._Scanner("s.xml", "p", limits, "xlsx", quick)
    try:
        for c in chunks:
            sc.feed(c)
        sc.feed(b"", final=True)
    except P.Recount:
        assert quick
        return _scan(chunks, False, limits)
    except UnreadableWorkbook as exc:
        return exc.zh
    return sc.stats.merges, sc.stats.merged_cells


def test_the_quick_pass_refuses_what_the_full_pass_refuses():
    rnd = random.Random(18)
    limits = P.ReadLimits(max_merges=3)
    quick = 0
    for _ in range(6000):
        seg = b"<sheetData>" + _soup(rnd, QUICK_PIECES, 30)
        cuts = sorted(rnd.sample(range(len(seg)), min(len(seg), rnd.randint(0, 4))))
        chunks = [seg[a:b] for a, b in zip([0, *cuts], [*cuts, len(seg)])]
        for lim in (P.READ_LIMITS, limits):
            assert _scan(chunks, True, lim) == _scan(chunks, False, lim), (seg, cuts)
        sc = P._Scanner("s.xml", "p", P.READ_LIMITS, "xlsx", True)
        try:
            sc.feed(seg, final=True)
            quick += 1
        except (P.Recount, UnreadableWorkbook):
            pass
    assert quick > 150                     # the quick pass did vouch for many


def test_the_quick_pass_hands_over_when_the_cells_could_be_too_many():
    sc = P._Scanner("s.xml", "p", P.READ_LIMITS, "xlsx", True)
    sc.quick_cells = P.READ_LIMITS.max_cells - 1
    with pytest.raises(P.Recount):
        sc.feed(b'<c r="A1"><v>1</v></c><c r="A2"><v>1</v></c>', final=True)
    small = P.ReadLimits(max_row=P.QUICK_ROWS - 1)
    assert not P._Scanner("s.xml", "p", small, "xlsx", True).quick     # limits below its bounds: no quick pass


def test_packages_scanned_quick_and_in_full_give_the_same_outcome(tmp_path, shared, monkeypatch):
    """On real and hostile packages, streamed in small chunks too (a quick pass that hands over after
    some segments): the same PackageInfo (merge figures, sizes) or the same refusal."""
    pkgs = _packages(tmp_path, shared) + [perfbook.fill(Path(__file__).parent.parent / "examples" / "seed-001.yaml",
                                                        tmp_path / "seed.xlsx")]
    rows = b'<row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c></row>'
    for i, (r, tail) in enumerate([(b'<row r="99999"><c r="A99999"><v>1</v></c></row>', b""),
                                   (b'<row r="9"><c r="ZZ999999"><v>1</v></c></row>', b""),
                                   (b"", b'<mergeCells><mergeCell ref="A1:XFE2"/></mergeCells>'),
                                   (b'<row r="2"><c r="XFD2"><v>1</v></c></row>', b""),
                                   (b'<row r="3"><c><v>1</v></c></row>' * 3, b"")]):
        pkgs.append(H.write_parts(tmp_path / f"h{i}.xlsx", {**H.base_parts(),
                                                            "xl/worksheets/sheet1.xml": H.sheet_xml(rows + r, tail)}))

    def outcome(path):
        """The refusal, or the package figures but the cell counts (the quick pass leaves them 0)."""
        try:
            info = P.inspect_package(path)
        except UnreadableWorkbook as exc:
            return exc.zh
        return info.kind, info.names, info.custom, {n: (st.size, st.merges, st.merged_cells) for n, st in info.sheets.items()}

    full = P._scan_part
    for chunk in (P.CHUNK, 97):
        monkeypatch.setattr(P, "CHUNK", chunk)
        for path in pkgs:
            monkeypatch.setattr(P, "_scan_part", full)
            quick = outcome(path)
            monkeypatch.setattr(P, "_scan_part", lambda *a, quick: full(*a, quick=False))
            assert outcome(path) == quick, (path, chunk)


def test_merged_cells_are_counted_when_asked_kept_stretches_or_not(monkeypatch):
    """merged_cells counts the kept merge stretches when asked; past MERGE_TEXT a stretch is counted at
    once: the same figure either way, and the one the old patterns give."""
    rnd = random.Random(23)
    for _ in range(300):
        chunks = [_soup(rnd, MERGE_PIECES) for _ in range(rnd.randint(1, 4))]
        got = []
        for keep in (P.MERGE_TEXT, 0):
            monkeypatch.setattr(P, "MERGE_TEXT", keep)
            sc = P._Scanner("s.xml", "p", P.READ_LIMITS, "xlsx")
            for c in chunks:
                sc._merges(c)
            got.append((sc.stats.merges, sc.stats.merged_cells))
        want = [old_merges(c) for c in chunks]
        assert got[0] == got[1] == (sum(m for m, _ in want), sum(n for _, n in want)), chunks


def test_a_merge_flood_is_still_refused_for_the_annotated_copy(tmp_path):
    """One merged range A30:Z100000 (2.6 million cells; openpyxl took 89 s on it): check's annotated copy
    is refused from the scan's figures, which count the kept stretch when asked."""
    from perfbook.rules._annotate import _ensure_annotatable
    f = H.write_parts(tmp_path / "flood.xlsx", {**H.base_parts(), "xl/worksheets/sheet1.xml": H.sheet_xml(
        tail=b'<mergeCells count="1"><mergeCell ref="A30:Z100000"/></mergeCells>')})
    assert P.inspect_package(f).sheets["xl/worksheets/sheet1.xml"].merged_cells == 99971 * 26
    with pytest.raises(UnreadableWorkbook) as exc:
        _ensure_annotatable(f)
    assert f"合并单元格覆盖 {99971 * 26:,} 个单元格" in exc.value.zh
