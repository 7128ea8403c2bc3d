"""A compound file ([MS-CFB] version 3) written from a tree of streams: the container of vbaProject.bin.

Excel stores a VBA project as a compound file: a little FAT file system inside one file. perfbook writes
its own because the package it used before (ms-cfb) truncated the directory and pointed entries past
its end once a project held about 30 streams (9+ sheet sets). This writer follows the spec directly:
512-byte sectors; streams under 4096 bytes in the mini stream (64-byte sectors, chained by the mini
FAT); the FAT sized together with the DIFAT sectors that list it (any size); every directory entry
black, siblings in a balanced binary tree ordered by (name length, upper-cased name), which [MS-CFB]
2.6.4 allows ("the simplest implementation ... mark every node as black"). Same tree, same bytes.
"""
from __future__ import annotations

import struct

SECTOR = 512
MINI_SECTOR = 64
MINI_CUTOFF = 4096
FREESECT, ENDOFCHAIN, FATSECT, DIFSECT = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFC
NOSTREAM = 0xFFFFFFFF
SIGNATURE = bytes.fromhex("D0CF11E0A1B11AE1")
STORAGE, STREAM, ROOT = 1, 2, 5
BLACK = 1
_IDS_PER_SECTOR = SECTOR // 4          # 128 sector numbers in a FAT sector
_HEADER_DIFAT = 109                    # FAT sector numbers the header itself lists
_BAD_NAME = set('/\\:!')


class _Entry:
    def __init__(self, name: str, kind: int, data: bytes = b"", children=(), clsid: bytes = b"\0" * 16,
                 created: int = 0, modified: int = 0):
        self.name, self.kind, self.data, self.children = name, kind, data, list(children)
        self.clsid, self.created, self.modified = clsid, created, modified
        self.id = 0
        self.left = self.right = self.child = NOSTREAM
        self.start, self.size = ENDOFCHAIN, 0


def sort_key(name: str) -> tuple[int, str]:
    """[MS-CFB] 2.6.4: shorter names first, then by each character upper-cased."""
    return len(name), name.upper()


def _check_name(name: str) -> None:
    if not name or len(name) > 31 or any(ch in _BAD_NAME for ch in name) or any(ord(ch) < 32 for ch in name):
        raise ValueError(f"invalid compound-file entry name: {name!r}")


def _entries(tree: dict, timestamps: dict[str, tuple[int, int]]) -> list[_Entry]:
    """Root first, then each storage's children in the order given (depth first): the directory array."""
    root = _Entry("Root Entry", ROOT, modified=timestamps.get("", (0, 0))[1])
    flat = [root]

    def add(parent: _Entry, items: dict, path: str):
        seen = set()
        for name, value in items.items():
            _check_name(name)
            if name.upper() in seen:
                raise ValueError(f"duplicate compound-file entry name: {path}{name}")
            seen.add(name.upper())
            if isinstance(value, dict):
                c, m = timestamps.get(path + name, (0, 0))
                e = _Entry(name, STORAGE, created=c, modified=m)
                e.id = len(flat)
                flat.append(e)
                parent.children.append(e)
                add(e, value, path + name + "/")
            else:
                e = _Entry(name, STREAM, bytes(value))
                e.id = len(flat)
                flat.append(e)
                parent.children.append(e)
    add(root, tree, "")
    for e in flat:
        e.child = _balanced(sorted(e.children, key=lambda x: sort_key(x.name)))
    return flat


def _balanced(items: list[_Entry]) -> int:
    """The middle entry as the subtree's root, left and right halves below it; its id (NOSTREAM if none)."""
    if not items:
        return NOSTREAM
    mid = len(items) // 2
    node = items[mid]
    node.left = _balanced(items[:mid])
    node.right = _balanced(items[mid + 1:])
    return node.id


def _sectors(n_bytes: int, size: int) -> int:
    return -(-n_bytes // size)


def write(tree: dict, timestamps: dict[str, tuple[int, int]] | None = None) -> bytes:
    """The compound file holding tree: {name: bytes (a stream) or dict (a storage)}.

    timestamps maps a storage path ("VBA", "" for the root) to (created, modified) FILETIMEs;
    streams carry none ([MS-CFB] 2.6.3).
    """
    entries = _entries(tree, timestamps or {})
    streams = [e for e in entries if e.kind == STREAM]
    big = [e for e in streams if len(e.data) >= MINI_CUTOFF]
    mini, minifat = _mini_stream(streams)

    n_dir = _sectors(len(entries) * 128, SECTOR)
    n_minifat = _sectors(len(minifat) * 4, SECTOR)
    n_mini = _sectors(len(mini), SECTOR)
    n_big = [_sectors(len(e.data), SECTOR) for e in big]
    n_fat, n_difat = _fat_size(n_dir + n_minifat + n_mini + sum(n_big))
    fat = _Fat(n_fat, n_difat)
    dir_start = fat.chain(n_dir)
    minifat_start = fat.chain(n_minifat)
    root = entries[0]
    root.start, root.size = fat.chain(n_mini), len(mini)
    for e, n in zip(big, n_big):
        e.start, e.size = fat.chain(n), len(e.data)
    header_difat, difat_sectors = _difat(n_fat, n_difat)
    header = _header(n_fat, n_difat, dir_start, minifat_start if n_minifat else ENDOFCHAIN, n_minifat, header_difat)

    out = bytearray(header)
    out += struct.pack(f"<{len(fat.ids)}I", *fat.ids)
    for d in difat_sectors:
        out += d
    out += b"".join(_dir_entry(e) for e in entries) + _unused_entry() * (n_dir * 4 - len(entries))
    out += struct.pack(f"<{len(minifat)}I", *minifat)
    out += struct.pack("<I", FREESECT) * (n_minifat * _IDS_PER_SECTOR - len(minifat))
    out += mini + b"\0" * (n_mini * SECTOR - len(mini))
    for e, n in zip(big, n_big):
        out += e.data + b"\0" * (n * SECTOR - len(e.data))
    assert len(out) == SECTOR * (1 + fat.cursor)
    return bytes(out)


def _mini_stream(streams: list[_Entry]) -> tuple[bytearray, list[int]]:
    """The streams under MINI_CUTOFF packed into the mini stream, chained by the mini FAT (their start
    and size set; an empty stream starts nowhere)."""
    mini = bytearray()
    minifat: list[int] = []
    for e in streams:
        if not 0 < len(e.data) < MINI_CUTOFF:
            continue
        n = _sectors(len(e.data), MINI_SECTOR)
        e.start, e.size = len(minifat), len(e.data)
        minifat += list(range(len(minifat) + 1, len(minifat) + n))
        minifat.append(ENDOFCHAIN)
        mini += e.data + b"\0" * (n * MINI_SECTOR - len(e.data))
    for e in streams:
        if not e.data:
            e.start, e.size = ENDOFCHAIN, 0
    return mini, minifat


def _fat_size(content: int) -> tuple[int, int]:
    """(FAT sectors, DIFAT sectors): the FAT covers every sector, its own and the DIFAT's included."""
    n_fat = 0
    while True:
        n_difat = max(0, _sectors(n_fat - _HEADER_DIFAT, _IDS_PER_SECTOR - 1))
        if n_fat * _IDS_PER_SECTOR >= content + n_fat + n_difat:
            return n_fat, n_difat
        n_fat += 1


class _Fat:
    """The FAT: its own and the DIFAT's sectors first, then each chain laid out in the order asked for."""

    def __init__(self, n_fat: int, n_difat: int):
        self.ids = [FREESECT] * (n_fat * _IDS_PER_SECTOR)
        self.ids[:n_fat] = [FATSECT] * n_fat
        self.ids[n_fat:n_fat + n_difat] = [DIFSECT] * n_difat
        self.cursor = n_fat + n_difat

    def chain(self, n: int) -> int:
        """n consecutive sectors chained; the first (ENDOFCHAIN for none)."""
        if n == 0:
            return ENDOFCHAIN
        first = self.cursor
        for s in range(first, first + n - 1):
            self.ids[s] = s + 1
        self.ids[first + n - 1] = ENDOFCHAIN
        self.cursor += n
        return first


def _difat(n_fat: int, n_difat: int) -> tuple[list[int], list[bytes]]:
    """The FAT's sector numbers: 109 in the header, then 127 per DIFAT sector plus the next one's number."""
    fat_ids = list(range(n_fat))
    header_difat = fat_ids[:_HEADER_DIFAT] + [FREESECT] * (_HEADER_DIFAT - min(n_fat, _HEADER_DIFAT))
    sectors = []
    rest = fat_ids[_HEADER_DIFAT:]
    for k in range(n_difat):
        ids = rest[k * 127:(k + 1) * 127]
        ids += [FREESECT] * (127 - len(ids))
        nxt = n_fat + k + 1 if k + 1 < n_difat else ENDOFCHAIN
        sectors.append(struct.pack("<128I", *ids, nxt))
    return header_difat, sectors


def _header(n_fat: int, n_difat: int, dir_start: int, minifat_start: int, n_minifat: int, difat: list[int]) -> bytes:
    header = struct.pack(
        "<8s16sHHHHH6sIIIIIIIII", SIGNATURE, b"\0" * 16, 0x003E, 0x0003, 0xFFFE, 9, 6, b"\0" * 6,
        0, n_fat, dir_start, 0, MINI_CUTOFF, minifat_start, n_minifat,
        n_fat if n_difat else ENDOFCHAIN, n_difat) + struct.pack(f"<{_HEADER_DIFAT}I", *difat)
    assert len(header) == SECTOR
    return header


def _dir_entry(e: _Entry) -> bytes:
    name = e.name.encode("utf-16-le") + b"\0\0"
    return struct.pack("<64sHBBIII16sIQQIQ", name, len(name), e.kind, BLACK, e.left, e.right, e.child,
                       e.clsid, 0, e.created, e.modified, e.start if e.kind != STORAGE else 0,
                       e.size if e.kind != STORAGE else 0)


def _unused_entry() -> bytes:
    return struct.pack("<64sHBBIII16sIQQIQ", b"", 0, 0, 0, NOSTREAM, NOSTREAM, NOSTREAM, b"\0" * 16, 0, 0, 0, 0, 0)
