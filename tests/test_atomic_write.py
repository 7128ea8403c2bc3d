"""The one way every command writes a file (perfbook/_outputs.py): each promise of its docstring, on
both doors (write_atomic and atomic_path), and the workbook door (ooxml._package.write_atomic)."""
from __future__ import annotations

import errno
import os
import stat
import threading

import pytest

from perfbook import _outputs as O
from perfbook.errors import PerfbookError
from perfbook.ooxml import _package
from perfbook.write.fill import compiled, meta_for


def _mode(p) -> int:
    return stat.S_IMODE(os.stat(p).st_mode)


def _through_atomic_path(path, data: bytes):
    with O.atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return path


WRITERS = {"write_atomic": O.write_atomic, "atomic_path": _through_atomic_path}


@pytest.fixture(params=list(WRITERS))
def write(request):
    return WRITERS[request.param]


def _leftovers(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".~"))


@pytest.mark.parametrize("mask", [0o022, 0o027, 0o077, 0o002, 0o000])
def test_a_new_file_gets_0666_less_the_umask_of_that_moment(write, tmp_path, mask):
    old = os.umask(mask)
    try:
        write(tmp_path / "new.json", b"{}")
    finally:
        os.umask(old)
    assert _mode(tmp_path / "new.json") == 0o666 & ~mask
    assert (tmp_path / "new.json").read_bytes() == b"{}" and not _leftovers(tmp_path)


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o600, 0o664])
def test_a_replaced_file_keeps_its_own_mode_whatever_the_umask(write, tmp_path, mode):
    p = tmp_path / "old.json"
    p.write_bytes(b"old")
    os.chmod(p, mode)
    old = os.umask(0o077)
    try:
        write(p, b"new")
    finally:
        os.umask(old)
    assert p.read_bytes() == b"new" and _mode(p) == mode and not _leftovers(tmp_path)


def test_a_symlink_is_followed_and_stays_a_link(write, tmp_path):
    real = tmp_path / "real" / "r.json"
    real.parent.mkdir()
    real.write_bytes(b"old")
    os.chmod(real, 0o640)
    link = tmp_path / "link.json"
    link.symlink_to(real)
    write(link, b"new")
    assert link.is_symlink() and real.read_bytes() == b"new" and _mode(real) == 0o640
    assert not _leftovers(tmp_path) and not _leftovers(real.parent)


def test_a_dangling_symlink_creates_the_file_it_points_to(write, tmp_path):
    link = tmp_path / "link.json"
    link.symlink_to(tmp_path / "missing.json")
    write(link, b"{}")
    assert link.is_symlink() and (tmp_path / "missing.json").read_bytes() == b"{}"


def test_a_character_device_is_written_through(write):
    write(os.devnull, b"x" * 100_000)
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
def test_a_fifo_is_written_through(write, tmp_path):
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    write(fifo, b"through the pipe")
    reader.join(30)
    assert got == [b"through the pipe"] and stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_a_folder_is_refused_naming_it(write, tmp_path):
    (tmp_path / "x.json").mkdir()
    with pytest.raises(PerfbookError, match="不是普通文件") as info:
        write(tmp_path / "x.json", b"{}")
    assert str(tmp_path / "x.json") in str(info.value)
    assert (tmp_path / "x.json").is_dir() and not _leftovers(tmp_path)


def test_missing_folders_are_made(write, tmp_path):
    p = tmp_path / "a" / "b" / "c.json"
    write(p, b"{}")
    assert p.read_bytes() == b"{}" and not _leftovers(p.parent)


def test_a_file_where_the_folder_should_be_names_the_users_path(write, tmp_path):
    (tmp_path / "blocker").write_text("a file")
    target = tmp_path / "blocker" / "x.json"
    with pytest.raises(OSError) as info:
        write(target, b"{}")
    assert info.value.filename == str(target)
    assert [p.name for p in tmp_path.iterdir()] == ["blocker"]


def test_a_failed_rename_leaves_the_old_file_and_no_temp(write, tmp_path, monkeypatch):
    p = tmp_path / "o.json"
    p.write_bytes(b"previous")

    def fail(*a, **k):
        raise OSError(errno.EIO, "input/output error")
    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError) as info:
        write(p, b"new")
    assert info.value.filename == str(p) and info.value.errno == errno.EIO
    assert p.read_bytes() == b"previous" and [q.name for q in tmp_path.iterdir()] == ["o.json"]


def test_a_full_disk_while_writing_names_the_users_path_and_leaves_nothing(tmp_path, monkeypatch):
    def full(fd, data):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(os, "write", full)
    with pytest.raises(OSError) as info:
        O.write_atomic(tmp_path / "w.xlsx", b"PK" + b"\0" * 1000)
    assert info.value.filename == str(tmp_path / "w.xlsx") and info.value.errno == errno.ENOSPC
    assert not list(tmp_path.iterdir())


def test_a_short_write_is_continued(tmp_path, monkeypatch):
    real = os.write
    monkeypatch.setattr(os, "write", lambda fd, data: real(fd, bytes(data[:7])))
    data = bytes(range(256)) * 40
    O.write_atomic(tmp_path / "short.bin", data)
    assert (tmp_path / "short.bin").read_bytes() == data


def test_a_failure_in_the_block_removes_the_temp_and_is_raised_as_it_was(tmp_path):
    p = tmp_path / "k.json"
    with pytest.raises(KeyError):
        with O.atomic_path(p) as tmp:
            tmp.write_bytes(b"half")
            raise KeyError("boom")
    assert not list(tmp_path.iterdir())


def test_many_files_into_one_folder_are_exact_and_leave_no_temp(tmp_path):
    for i in range(200):
        O.write_atomic(tmp_path / f"f{i}.bin", i.to_bytes(2, "big") * (i + 1))
    assert not _leftovers(tmp_path)
    assert all((tmp_path / f"f{i}.bin").read_bytes() == i.to_bytes(2, "big") * (i + 1) for i in range(200))


def test_write_atomic_returns_the_path_asked_for(tmp_path):
    assert O.write_atomic(str(tmp_path / "s.json"), b"{}") == tmp_path / "s.json"
    p = tmp_path / "p.json"
    assert O.write_atomic(p, b"{}") == p


def test_the_workbook_door_fits_the_extension_every_time(tmp_path):
    """fit_extension keeps what it found per first [Content_Types].xml entry: the same bytes asked
    under another extension, or a macro workbook under .xlsx, still get their own answer."""
    c = compiled()
    data = c.render([], meta=meta_for(None, None))
    for name in ("a.xlsx", "b.xlsm", "c.xlsx", "d.xltx", "e.xlsm"):
        _package.write_atomic(tmp_path / name, data)
        main = _package._first_content_types((tmp_path / name).read_bytes())
        assert main is not None and _package.MAIN_CONTENT_TYPES["." + name.split(".")[1]] in main
    assert _package.fit_extension("x.xlsx", data) is data
    macros = compiled(macros=True).render([], meta=meta_for(None, None))
    assert _package.fit_extension("m.xlsm", macros) is macros
    for _ in range(2):
        with pytest.raises(PerfbookError, match=r"m\.xlsx.*\.xlsm"):
            _package.write_atomic(tmp_path / "m.xlsx", macros)
    assert not (tmp_path / "m.xlsx").exists()


def test_a_mode_that_cannot_be_set_names_the_users_path_and_leaves_nothing(write, tmp_path, monkeypatch):
    p = tmp_path / "m.json"
    p.write_bytes(b"previous")

    def refuse(*a, **k):
        raise PermissionError(errno.EPERM, "Operation not permitted")
    monkeypatch.setattr(os, "fchmod", refuse, raising=False)
    monkeypatch.setattr(os, "chmod", refuse)
    with pytest.raises(PermissionError) as info:
        write(p, b"new")
    assert info.value.filename == str(p)
    assert p.read_bytes() == b"previous" and [q.name for q in tmp_path.iterdir()] == ["m.json"]
