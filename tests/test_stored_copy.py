"""Issue 18: calamine reads the parts the package scan inflated (ooxml._package.stored_copy) instead of
the file. It must see exactly what it would have seen in the file: on real packages and on copies with
bytes flipped anywhere, reading the stored copy gives the same grids as reading the file, or the same
refusal; a package that is not a plain one (a name twice, a name not in ASCII, bytes before the first
part, a directory zipfile reads only in part) gets no copy, and calamine reads the file as it always did.
"""
from __future__ import annotations

import io
import random
import zipfile
from pathlib import Path

import perfbook
from perfbook.errors import PerfbookError
from perfbook.ooxml import _package as P
from perfbook.readers._grid import load_calamine
from tests.support import hostile as H


def _grids(path: Path, data: bytes | None):
    try:
        return [(g.name, g.rows, g.merges, g.visible) for g in load_calamine(path, "xlsx", data)]
    except PerfbookError as exc:
        return ("refused", exc.en.split(" (")[0])


def _packages(tmp: Path, shared: Path) -> list[Path]:
    out = [H.write_parts(tmp / "a.xlsx", H.base_parts()), H.write_parts(tmp / "s.xlsx", H.base_parts(), level=0),
           perfbook.fill(Path(__file__).parent.parent / "examples" / "seed-001.yaml", tmp / "seed.xlsx")]
    return out + [sorted((shared / "samples" / d).glob("*.xlsx"))[0] for d in ("excel-made", "shenzhen-baoan")]


def test_calamine_reads_from_the_stored_copy_what_it_reads_from_the_file(tmp_path, shared):
    rnd = random.Random(18)
    compared = 0
    copy = tmp_path / "flipped.xlsx"
    for src in _packages(tmp_path, shared):
        data = src.read_bytes()
        for k, raw in H.flipped(data, rnd, most=3):
            copy.write_bytes(raw)
            try:
                info = P.inspect_package(copy)
            except Exception:   # noqa: BLE001 - refused before calamine (read() names any error), as before
                continue
            if k == 0:
                assert info.stored is not None, src
            if info.stored is None:
                continue
            assert _grids(copy, info.stored) == _grids(copy, None), (src, k)
            compared += 1
    assert compared > 30


def test_the_copy_holds_every_part_under_its_name_with_the_same_bytes(tmp_path, shared):
    for src in _packages(tmp_path, shared):
        info = P.inspect_package(src)
        with zipfile.ZipFile(src) as a, zipfile.ZipFile(io.BytesIO(info.stored)) as b:
            assert a.namelist() == b.namelist()
            for name in a.namelist():
                assert a.read(name) == b.read(name), (src, name)


def test_a_package_that_is_not_plain_gets_no_copy(tmp_path):
    parts = H.base_parts()
    twice = tmp_path / "twice.xlsx"
    with zipfile.ZipFile(twice, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, body in parts.items():
            zf.writestr(name, body)
        zf.writestr("docProps/app.xml", b"<a/>")
        zf.writestr("docProps/app.xml", b"<b/>")
    named = H.write_parts(tmp_path / "named.xlsx", {**parts, "xl/media/图.xml": b"<a/>"})
    ahead = tmp_path / "ahead.xlsx"
    ahead.write_bytes(b"MZ" + b"\0" * 62 + H.write_parts(tmp_path / "plain.xlsx", parts).read_bytes())
    assert P.inspect_package(tmp_path / "plain.xlsx").stored is not None
    for path in (twice, named, ahead):
        try:
            info = P.inspect_package(path)
        except PerfbookError:
            continue
        assert info.stored is None, path


def test_a_stream_read_package_gets_no_copy_and_reads_the_same(tmp_path, monkeypatch):
    good = H.write_parts(tmp_path / "a.xlsx", H.base_parts())
    fast = perfbook.read(good)
    monkeypatch.setattr(P, "inflate_whole", lambda *a: None)
    assert P.inspect_package(good).stored is None
    assert perfbook.read(good) == fast


def test_a_package_too_big_to_hold_gets_no_copy_and_its_frame_still_reads(tmp_path, monkeypatch):
    """Past MAX_STORED of inflated parts the scan stops holding them (calamine reads the file): the
    parts it still needs (docProps/custom.xml, [Content_Types].xml) are read again, as before."""
    seed = perfbook.fill(Path(__file__).parent.parent / "examples" / "seed-001.yaml", tmp_path / "seed.xlsx")
    held, book = P.inspect_package(seed), perfbook.read(seed)
    monkeypatch.setattr(P, "MAX_STORED", 1000)
    info = P.inspect_package(seed)
    assert info.stored is None and held.stored is not None
    assert info == held and info.custom is not None
    again = perfbook.read(seed)
    assert again == book and again.properties == book.properties != ()
