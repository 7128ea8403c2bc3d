"""What the fuzzer (tests/test_fuzz.py) found when it ran from the seeds alone, kept as plain cases: a
damaged part that no table cell depends on, and parts the annotated copy must edit, are a clear refusal
naming the file (exit 2) or an ordinary report, never an internal error (exit 3)."""
from __future__ import annotations

import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

import perfbook

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


def _filled(tmp_path: Path) -> Path:
    return perfbook.fill(EXAMPLES / "seed-001.yaml", tmp_path / "表.xlsx")


def _rezipped(src: Path, dst: Path, change) -> Path:
    """The same package with change(name, data) -> data or None (the part left out) applied to each part."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = change(info.filename, zin.read(info))
            if data is not None:
                zout.writestr(info.filename, data)
    return dst


def _cli(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "perfbook", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)


def _inflate_breaks(path: Path, part: str) -> Path:
    """path with part's deflate stream damaged so that inflating it fails (zlib.error), its CRC untouched."""
    raw = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as z:
        info = z.getinfo(part)
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    for k in range(info.compress_size):
        trial = bytearray(raw)
        trial[start + k] ^= 0xFF
        try:
            zlib.decompress(bytes(trial[start:start + info.compress_size]), -15)
        except zlib.error:
            path.write_bytes(bytes(trial))
            return path
    raise AssertionError(f"no single byte breaks {part}'s deflate stream")


def test_a_custom_properties_part_that_does_not_inflate_is_no_internal_error(tmp_path):
    """check first looks for perfbook.kind in docProps/custom.xml (a 自评表 / 监控表 gets its own checks)."""
    book = _inflate_breaks(_filled(tmp_path), "docProps/custom.xml")
    for args in (["check", book], ["collect", book.parent, "-o", tmp_path / "汇总.xlsx", "--jobs", "1"]):
        proc = _cli(*args)
        assert proc.returncode in (0, 1, 2) and "内部错误" not in proc.stderr, (args, proc.returncode, proc.stderr)


def test_an_annotated_copy_of_a_package_without_content_types_is_refused_by_name(tmp_path):
    book = _rezipped(_filled(tmp_path), tmp_path / "无类型.xlsx",
                     lambda name, data: None if name == "[Content_Types].xml" else data)
    proc = _cli("check", book, "--annotate", tmp_path / "批注.xlsx")
    assert proc.returncode == 2, proc.stderr
    assert "[Content_Types].xml" in proc.stderr and "无类型.xlsx" in proc.stderr and "内部错误" not in proc.stderr


def test_an_annotated_copy_of_a_part_that_is_not_utf8_is_refused_by_name(tmp_path):
    def latin(name, data):
        return data.replace(b"<Types ", b"<Types \xc4x=\"1\" ", 1) if name == "[Content_Types].xml" else data
    book = _rezipped(_filled(tmp_path), tmp_path / "乱码.xlsx", latin)
    proc = _cli("check", book, "--annotate", tmp_path / "批注.xlsx")
    assert proc.returncode == 2, proc.stderr
    assert "无法生成批注副本" in proc.stderr and "乱码.xlsx" in proc.stderr and "内部错误" not in proc.stderr
