"""The xlsx package (a zip of XML parts): guarded reading of untrusted files, fast deterministic writing.

Reading checks the zip's declared sizes and compression ratios before a single part is inflated, so a
bomb is refused in milliseconds. Writing builds the zip by hand so that parts copied from a template
keep their compressed bytes (no re-deflate per workbook) and output is byte-for-byte reproducible.
"""
from __future__ import annotations

import io
import os
import struct
import tempfile
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from .errors import UnreadableWorkbook

# Limits for untrusted packages. A real 项目绩效目标表 is tens of KB; the biggest real sample is 100 KB.
MAX_PARTS = 10_000
MAX_PART_BYTES = 200 * 1024 * 1024     # one inflated part
MAX_TOTAL_BYTES = 400 * 1024 * 1024    # all inflated parts
MAX_RATIO = 200                        # inflated / compressed, for parts over RATIO_FLOOR
RATIO_FLOOR = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    max_parts: int = MAX_PARTS
    max_part_bytes: int = MAX_PART_BYTES
    max_total_bytes: int = MAX_TOTAL_BYTES
    max_ratio: int = MAX_RATIO


def _zip_error(path, zh, en):
    return UnreadableWorkbook(zh, en, path)


def check_zip(zf: zipfile.ZipFile, path, limits: Limits = Limits()) -> None:
    """Refuse a zip bomb from its central directory alone (declared sizes and ratios)."""
    infos = zf.infolist()
    if len(infos) > limits.max_parts:
        raise _zip_error(path, f"压缩包内文件过多（{len(infos)} 个），疑似恶意文件，已拒绝",
                         f"too many parts in the package ({len(infos)}); refused as hostile")
    total = 0
    for info in infos:
        if info.flag_bits & 0x1:
            raise _zip_error(path, "文件已加密，无法读取；请去掉密码后重新保存",
                             "the package is encrypted; remove the password and save again")
        total += info.file_size
        if info.file_size > limits.max_part_bytes or total > limits.max_total_bytes:
            raise _zip_error(path, f"解压后体积过大（{info.filename}：{info.file_size:,} 字节），疑似压缩炸弹，已拒绝",
                             f"declared inflated size too large ({info.filename}: {info.file_size:,} bytes); refused as a zip bomb")
        if info.file_size > RATIO_FLOOR and info.file_size > limits.max_ratio * max(info.compress_size, 1):
            raise _zip_error(path, f"压缩比异常（{info.filename}：{info.file_size // max(info.compress_size, 1)}:1），疑似压缩炸弹，已拒绝",
                             f"compression ratio {info.file_size // max(info.compress_size, 1)}:1 in {info.filename}; refused as a zip bomb")


def read_part(zf: zipfile.ZipFile, name: str, path, limits: Limits = Limits()) -> bytes:
    """Inflate one part, never past its declared size (a lying header cannot make it grow)."""
    info = zf.getinfo(name)
    out = io.BytesIO()
    try:
        with zf.open(info) as fh:
            while chunk := fh.read(1 << 20):
                out.write(chunk)
                if out.tell() > info.file_size or out.tell() > limits.max_part_bytes:
                    raise _zip_error(path, f"{name} 解压后超过声明大小，已拒绝",
                                     f"{name} inflates past its declared size; refused")
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
        raise _zip_error(path, f"文件已损坏（{name}：{exc}）", f"the file is corrupt ({name}: {exc})") from None
    return out.getvalue()


def open_zip(path, data: bytes | None = None) -> zipfile.ZipFile:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data) if data is not None else path)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise _zip_error(path, f"不是有效的 xlsx 文件或文件已损坏（{exc}）", f"not a valid xlsx package or the file is corrupt ({exc})") from None
    check_zip(zf, path)
    return zf


def read_package(path, data: bytes | None = None) -> dict[str, bytes]:
    """Every part of a (checked) package, inflated."""
    with open_zip(path, data) as zf:
        return {i.filename: read_part(zf, i.filename, path) for i in zf.infolist() if not i.is_dir()}


# --- writing -------------------------------------------------------------------------------

_DOS_TIME, _DOS_DATE = 0, (1980 - 1980) << 9 | 1 << 5 | 1   # 1980-01-01 00:00: reproducible output


@dataclass(frozen=True)
class Entry:
    """A part ready to be written: its name and deflated bytes with their CRC and sizes."""

    name: bytes
    crc: int
    size: int
    data: bytes      # deflated


def deflate(name: str, raw: bytes, level: int = 6) -> Entry:
    c = zlib.compressobj(level, zlib.DEFLATED, -15)
    return Entry(name.encode("utf-8"), zlib.crc32(raw), len(raw), c.compress(raw) + c.flush())


def build_zip(entries: list[Entry]) -> bytes:
    """Assemble a zip from pre-deflated entries; the central directory is written last."""
    out = bytearray()
    central = bytearray()
    for e in entries:
        offset = len(out)
        flags = 0x800  # UTF-8 names
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, flags, 8, _DOS_TIME, _DOS_DATE,
                           e.crc, len(e.data), e.size, len(e.name), 0)
        out += e.name
        out += e.data
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, flags, 8, _DOS_TIME, _DOS_DATE,
                               e.crc, len(e.data), e.size, len(e.name), 0, 0, 0, 0, 0, offset)
        central += e.name
    cd_offset = len(out)
    out += central
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(central), cd_offset, 0)
    return bytes(out)


def write_atomic(path: str | Path, data: bytes) -> Path:
    """Write a whole file or nothing: a temp file beside the target, then rename over it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".~" + path.name[:40] + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return path
