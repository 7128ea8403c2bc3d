"""The xlsx package (a zip of XML parts): guarded reading of untrusted files, fast deterministic writing.

Reading checks the zip's declared sizes and compression ratios before a single part is inflated, so a
bomb is refused in milliseconds. Writing builds the zip by hand so that parts copied from a template
keep their compressed bytes (no re-deflate per workbook) and output is byte-for-byte reproducible.
"""
from __future__ import annotations

import functools
import io
import os
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from .._outputs import atomic_path as _atomic_path, write_atomic as _write_atomic
from ..errors import PerfbookError, UnreadableWorkbook

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
        if info.compress_type != zipfile.ZIP_STORED and info.compress_size > info.file_size + info.file_size // 100 + 1024:
            raise _zip_error(path, f"压缩包头信息不实（{info.filename} 声明解压后 {info.file_size:,} 字节，"
                                   f"压缩数据却有 {info.compress_size:,} 字节），疑似恶意文件，已拒绝",
                             f"the zip header lies ({info.filename} declares {info.file_size:,} bytes inflated but holds "
                             f"{info.compress_size:,} compressed); refused as hostile")
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


# --- guarding untrusted workbooks before a parser sees them ----------------------------------

@dataclass(frozen=True)
class ReadLimits:
    """What an untrusted workbook may ask of a reader. A real 项目绩效目标表 is tens of KB with a few
    dozen merges; these are a thousand times that, and still keep a read within a few hundred MB.
    (calamine costs ~4.7× a sheet's XML in memory and aborts the process, uncatchably, when a sheet's
    used range does not fit in memory: a single value in XFD1048576 is enough.)"""

    max_sheet_bytes: int = 48 * 1024 * 1024     # one inflated worksheet part
    max_xml_bytes: int = 160 * 1024 * 1024      # every inflated XML part together
    max_text_bytes: int = 1024 * 1024           # one text node (Excel itself stops at 32,767 characters)
    max_merges: int = 20_000                    # merged ranges in one sheet
    max_cells: int = 4_000_000                  # rows × columns of a sheet's used range (dense grid)
    max_row: int = 1_048_576                    # Excel's own limits: no Excel-made file goes past them
    max_col: int = 16_384                       # XFD


READ_LIMITS = ReadLimits()


@dataclass
class PartStats:
    """What one streamed pass over a sheet part found."""

    name: str
    size: int = 0
    merges: int = 0
    max_row: int = 0                            # these three stay 0 where the quick pass (_Scanner) bounded them
    max_col: int = 0
    cells: int = 0
    # the stretches of the sheet that hold its <mergeCell> tags (up to MERGE_TEXT bytes), counted by merged_cells
    # when asked (only check's annotated copy asks: counting them on every read was a tenth of the scan)
    merge_text: list[bytes] = field(default_factory=list, repr=False)
    merged_counted: int = 0                     # the cells covered by the merges of stretches not kept

    @property
    def merged_cells(self) -> int:
        """Cells covered by merged ranges (openpyxl materialises each)."""
        return self.merged_counted + sum(map(_covered, self.merge_text))


MERGE_TEXT = 256 * 1024


def _covered(stretch: bytes) -> int:
    """The cells covered by the merged ranges <mergeCell ref="A1:B2"> in stretch."""
    n = 0
    for c1, r1, c2, r2 in _MERGE_REF.findall(stretch):
        if c2:
            n += (abs(int(r2) - int(r1)) + 1) * (abs(_col_number(c2) - _col_number(c1)) + 1)
    return n


@dataclass
class PackageInfo:
    """A checked xlsx/xlsm/ods package: its kind, whether it carries macros, per-sheet figures."""

    kind: str                                   # xlsx | xlsm | ods
    names: tuple[str, ...]
    macros: bool
    sheets: dict[str, PartStats]
    custom: bytes | None = None                 # docProps/custom.xml, checked (perfbook records its frame there)
    # the package again with the parts the scan inflated stored as they inflated (stored_copy), for calamine;
    # None when the scan read the file as a stream or the package is not a plain one
    stored: bytes | None = field(default=None, compare=False, repr=False)


_CELL_OR_ROW = re.compile(rb"<(?:\w+:)?(c|row)\b([^>]*?)(/?)>")
# any number of letters and digits: a shorter pattern lets row 999999999 through unseen (calamine aborts on it)
_REF_ATTR = re.compile(rb'\br="([A-Za-z]+)?([0-9]+)"')
_MERGE = re.compile(rb"<(?:\w+:)?mergeCell\b")
_MERGE_REF = re.compile(rb'<(?:\w+:)?mergeCell\b[^>]*?\bref="\$?([A-Za-z]+)\$?([0-9]+)(?::\$?([A-Za-z]+)\$?([0-9]+))?"')
_PREFIXED_CELL = re.compile(rb"<\w+:c[\s/>]")
_PREFIXED_TAIL = re.compile(rb":c[\s/>]")      # what every _PREFIXED_CELL holds, found ten times faster
# a cell tag not written <c r="...: <c>, <c/>, <c s="1" r="B2">, <c\tr=...
_UNPLACED_CELL = re.compile(rb'<c(?! r=")(?!\w)')     # the test every placed cell fails first, first
# a cell that holds something: neither self-closing <c r="B2" s="1"/> nor closed at once <c r="B2"></c>
_VALUED_CELL = re.compile(rb'<c r="([A-Za-z]+)([0-9]+)"[^>]*(?<!/)>(?!</c>)')
# an r= or ref= attribute (cell, row, dimension, merge, shared formula, hyperlink ...) that may lie beyond
# Excel's limits: 3+ letters or 7+ digits in a row. Only these few are parsed in Python.
_FAR_REF = re.compile(rb'<[\w:]+\s[^<>]*?(?<=\s)(?:r|ref)="([^"]*?(?:[A-Za-z]{3}|[0-9]{7})[^"]*)"')
# the same attributes found four times faster: the value first (a literal-led pattern), then in Python,
# for the few candidates, that it is an attribute (whitespace before it) of a tag (<name ... with no < or >
# between) -- every reference _FAR_REF finds is found (tests/test_hostile*.py), plus later ones in one tag
_FAR_VALUE = re.compile(rb'r(?:ef)?="([^"]*?(?:[A-Za-z]{3}|[0-9]{7})[^"]*)"')
# where far_candidates may find something, four times faster again: r=" and ref=" (literal-led, so the
# regex engine skips to them) after whitespace, whose value is not a short reference (B12, $A$1:$H$30)
_SHORT = rb'(?!\$?[A-Za-z]{0,2}\$?[0-9]{0,6}(?::\$?[A-Za-z]{0,2}\$?[0-9]{0,6})?")'
_MAYBE_FAR = (re.compile(rb'r="(?<=\sr=")' + _SHORT), re.compile(rb'ref="(?<=\sref=")' + _SHORT))
_TAG_OPEN = re.compile(rb"<[\w:]+\s")
# the quick pass (_Scanner.quick): an r= or ref= attribute whose value is not a small reference -- at most
# two letters, the first of two A..E, and four digits: row 9,999, column EZ (156), which every limit is far
# above. Where there is none, no reference is far (what _MAYBE_FAR finds is found here too) and no cell
# lies past row 9,999 or column 156: the cells need not be counted one by one.
QUICK_ROWS, QUICK_COLS = 9_999, 156
_TINY = rb"\$?(?:[A-Ea-e]?[A-Za-z])?\$?[0-9]{0,4}"
# what nearly every value is (B12, EZ9999, 12, A10:A19), told first without backtracking (possessive): a part
# of what _TINY takes, so the test is the same, in half the time
_PLAIN = rb"(?:[A-E][A-Z]?+|[F-Z])?+[0-9]{1,4}+"
_NOT_TINY = rb"(?!" + _TINY + rb"(?::" + _TINY + rb')?")'
# literal-led (the engine skips to r=" and, for ref=", to the rarer f="), the whitespace before looked behind;
# a cell's or row's r= is told by the plain shape alone (before the look behind: it ends nearly every try),
# a ref= by the plain shape or range
_NOT_SMALL = (re.compile(rb'r="(?!' + _PLAIN + rb'")(?<=\sr=")' + _NOT_TINY),
              re.compile(rb'f="(?<=\sref=")(?!' + _PLAIN + rb"(?::" + _PLAIN + rb')?+")' + _NOT_TINY))
# one pass for both (twice as fast as two `in` tests), led by the rare "!" (twice as fast again as "<!")
_DTD = re.compile(rb"!(?<=<!)(?:DOCTYPE|ENTITY)")
_REF_PART = re.compile(rb"\$?([A-Za-z]*)\$?([0-9]*)")
_ODS_TAG = re.compile(rb"<table:(table-row|table-cell|covered-table-cell|table)\b([^>]*?)(/?)>")
_ODS_REPEAT = re.compile(rb'number-(rows|columns)-repeated="(\d+)"')


def _refuse(path, zh, en):
    return UnreadableWorkbook(zh + "，疑似恶意文件，已拒绝", en + "; refused as hostile", path)


class Recount(Exception):
    """The quick pass over a sheet cannot vouch for its cells: the part is scanned again, cell by cell."""


class _Scanner:
    """One streamed pass over an inflated XML part, chunk by chunk, holding at most one text run.

    Refuses DTDs (entity expansion, external entities), over-long text and, for sheets, too many
    merges or a used range too big for a dense grid. Tags cut by a chunk boundary are carried over.

    quick (an xlsx sheet): every cell must say where it is and every reference be small (_NOT_SMALL), and
    then the cells are not counted (their figures stay 0), since no cell check could refuse them; at the
    first segment where that does not hold, Recount, and scan_part scans the part again without quick.
    Every other check is made as in the full pass, in the same order: the outcome is the same.
    """

    def __init__(self, name: str, path, limits: ReadLimits, sheet: str | None, quick: bool = False):
        self.name, self.path, self.limits, self.sheet = name, path, limits, sheet
        self.quick = quick and sheet == "xlsx" and QUICK_ROWS <= limits.max_row and QUICK_COLS <= limits.max_col \
            and QUICK_ROWS * QUICK_COLS <= limits.max_cells
        self.quick_cells = 0  # at least the cell tags seen by the quick pass: no more cells than these hold values
        self.stats = PartStats(name)
        self.tail = b""
        self.first = True
        self.row = 0          # current row (1-based) while scanning cells
        self.col = 0
        self.ods_row_repeat = 1

    def feed(self, chunk: bytes, final: bool = False) -> None:
        data = self.tail + chunk
        if self.first and data:
            self.first = False
            self._encoding(data)
        cut = len(data) if final else data.rfind(b"<")
        if cut < 0:
            cut = 0
        seg, self.tail = data[:cut], data[cut:]
        if len(self.tail) > self.limits.max_text_bytes:
            self._too_long()
        if not seg:
            return
        self._dtd(seg)
        if len(seg) > self.limits.max_text_bytes and max(map(len, seg.split(b"<"))) > self.limits.max_text_bytes:
            self._too_long()
        if self.sheet == "xlsx":
            self._xlsx(seg)
        elif self.sheet == "ods":
            self._ods(seg)

    def whole(self, data: bytes) -> None:
        """A part that is no sheet, given whole and no longer than a text may be: the same findings as
        feed(data) and feed(b"", final=True), without the cutting into segments."""
        assert self.sheet is None and len(data) <= self.limits.max_text_bytes
        if data:
            self.first = False
            self._encoding(data)
            self._dtd(data)

    def _encoding(self, data: bytes) -> None:
        if data.startswith((b"\xff\xfe", b"\xfe\xff")) or data[:2] in (b"<\x00", b"\x00<"):
            raise _refuse(self.path, f"{self.name} 使用 UTF-16 编码（Excel 不会这样保存）",
                          f"{self.name} is UTF-16 encoded (Excel never writes that)")

    def _dtd(self, seg: bytes) -> None:
        if _DTD.search(seg):
            raise _refuse(self.path, f"{self.name} 含有 DTD/实体声明（可用于实体膨胀或读取外部文件）",
                          f"{self.name} declares a DTD or entities (entity expansion / external entity attack)")

    def _too_long(self):
        mb = self.limits.max_text_bytes // (1024 * 1024)
        raise _refuse(self.path, f"{self.name} 中有超过 {mb} MB 的单元格文本", f"{self.name} holds a text over {mb} MB")

    def _far_refs(self, seg: bytes) -> None:
        """Refuse any reference past XFD1048576, wherever it sits, before a reader allocates for it."""
        lim = self.limits
        for m in far_candidates(seg):
            for part in re.split(rb"[:\s]+", m.group(1)):
                ref = _REF_PART.fullmatch(part)
                if ref is None:
                    continue
                row = int(ref.group(2)) if ref.group(2) else 0
                col = _col_number(ref.group(1)) if ref.group(1) else 0
                if row > lim.max_row or col > lim.max_col:
                    raise _refuse(self.path, f"{self.name} 引用了超出 Excel 范围的单元格“{part[:40].decode('latin-1')}”"
                                             f"（Excel 最多 {lim.max_row:,} 行、XFD 列）",
                                  f"{self.name} refers to a cell beyond Excel's limits "
                                  f"({part[:40].decode('latin-1')!r}; Excel stops at row {lim.max_row:,}, column XFD)")

    def _quick(self, seg: bytes) -> None:
        if _UNPLACED_CELL.search(seg) or (_PREFIXED_TAIL.search(seg) and _PREFIXED_CELL.search(seg)) \
                or _NOT_SMALL[0].search(seg) or _NOT_SMALL[1].search(seg):
            raise Recount(self.name)
        # a segment holds at most len // 6 cell tags (<c r=" is 6 bytes): counted only when that could be too many
        most = len(seg) // 6
        if self.quick_cells + most > self.limits.max_cells:
            most = seg.count(b'<c r="')
            if self.quick_cells + most > self.limits.max_cells:
                raise Recount(self.name)
        self.quick_cells += most
        self._merges(seg)
        self._check()

    def _xlsx(self, seg: bytes) -> None:
        if self.quick:
            self._quick(seg)
            return
        st = self.stats
        self._far_refs(seg)
        self._merges(seg)
        if not _UNPLACED_CELL.search(seg) and not (_PREFIXED_TAIL.search(seg) and _PREFIXED_CELL.search(seg)):
            # every cell says where it is (what Excel, LibreOffice and perfbook write): one findall of
            # the cells holding a value, no per-cell Python (this scan was a third of reading a small workbook)
            valued = _VALUED_CELL.findall(seg)
            if valued:
                cols, rows = zip(*valued)
                st.cells += len(valued)
                st.max_row = max(st.max_row, max(map(int, set(rows))))
                st.max_col = max(st.max_col, max(map(_col_number, set(cols))))
            last = seg.rfind(b'<c r="')
            if last >= 0:
                m = _REF_ATTR.search(seg, last)
                if m and m.group(1):
                    self.row, self.col = int(m.group(2)), _col_number(m.group(1))
            self._check()
            return
        for m in _CELL_OR_ROW.finditer(seg):
            ref = _REF_ATTR.search(m.group(2))
            if m.group(1) == b"row":
                self.row = int(ref.group(2)) if ref else self.row + 1
                self.col = 0
                continue
            if ref and ref.group(1):
                self.row = int(ref.group(2))
                self.col = _col_number(ref.group(1))
            else:
                self.col += 1
            if m.group(3) or seg.startswith(b"</", m.end()):
                continue                      # <c r="Z100" s="1"/>: style only, no value
            st.cells += 1
            st.max_row = max(st.max_row, self.row)
            st.max_col = max(st.max_col, self.col)
        self._check()

    def _merges(self, seg: bytes) -> None:
        """Count <mergeCell> (any prefix) and keep for merged_cells the stretch of seg that can hold them: from
        the "<" before the first "mergeCell" to the ">" after the last (a sheet keeps them together at its end;
        the two passes over the whole sheet this replaces were a third of the scan)."""
        first = seg.find(b"mergeCell")
        if first < 0:
            return
        st = self.stats
        start = max(seg.rfind(b"<", 0, first), 0)
        last = seg.rfind(b"mergeCell")
        end = seg.find(b">", last)
        end = len(seg) if end < 0 else end + 1
        st.merges += len(_MERGE.findall(seg, start, end))
        # kept for merged_cells (the same findings: both patterns start with "<" and see nothing past end)
        stretch = seg[start:end]
        if sum(map(len, st.merge_text)) + len(stretch) <= MERGE_TEXT:
            st.merge_text.append(stretch)
        else:
            st.merged_counted += _covered(stretch)

    def _ods(self, seg: bytes) -> None:
        st = self.stats
        for m in _ODS_TAG.finditer(seg):
            tag, attrs, empty = m.group(1), m.group(2), m.group(3)
            reps = dict((k, int(v)) for k, v in _ODS_REPEAT.findall(attrs))
            if tag == b"table":
                self.row, self.col, self.ods_row_repeat = 0, 0, 1
                continue
            if tag == b"table-row":
                self.row += self.ods_row_repeat
                self.ods_row_repeat = reps.get(b"rows", 1)
                self.col = 0
                continue
            n = reps.get(b"columns", 1)
            start = self.col + 1
            self.col += n
            if tag == b"table-cell" and (b"value-type" in attrs or not empty):
                st.cells += n * self.ods_row_repeat
                st.max_row = max(st.max_row, self.row + self.ods_row_repeat - 1)
                st.max_col = max(st.max_col, start + n - 1)
            if b"-spanned" in attrs:
                st.merges += 1
        self._check()

    def _check(self) -> None:
        st, lim = self.stats, self.limits
        if st.merges > lim.max_merges:
            raise _refuse(self.path, f"{self.name} 有超过 {lim.max_merges:,} 个合并单元格",
                          f"{self.name} has more than {lim.max_merges:,} merged ranges")
        if st.max_row > lim.max_row or st.max_col > lim.max_col:
            raise _refuse(self.path, f"{self.name} 的数据超出 Excel 范围（第 {st.max_row:,} 行、第 {st.max_col:,} 列；"
                                     f"Excel 最多 {lim.max_row:,} 行、{lim.max_col:,} 列）",
                          f"{self.name} holds data beyond Excel's limits (row {st.max_row:,}, column {st.max_col:,})")
        if st.max_row * st.max_col > lim.max_cells or st.cells > lim.max_cells:
            raise _refuse(self.path, f"{self.name} 的数据区域过大（{st.max_row:,} 行 × {st.max_col:,} 列）",
                          f"{self.name} spans too large a range ({st.max_row:,} rows x {st.max_col:,} columns)")


def _far_starts(seg: bytes):
    """The start of every match of _FAR_VALUE in seg, in order (overlapping ones too)."""
    r, ref = (list(rx.finditer(seg)) for rx in _MAYBE_FAR)
    starts = sorted(m.start() for m in r + ref) if ref else [m.start() for m in r]
    for at in starts:
        m = _FAR_VALUE.match(seg, at)
        if m is not None:
            yield m


def far_candidates(seg: bytes):
    """The r= / ref= attributes of the tags in seg whose value may lie past Excel's limits (_FAR_VALUE)."""
    for m in _far_starts(seg):
        at = m.start()
        if not seg[at - 1:at].isspace():
            continue                      # sqref=, xr:ref= ... : not an r / ref attribute
        lt = seg.rfind(b"<", 0, at)
        if lt < 0 or seg.rfind(b">", 0, at) > lt or not _TAG_OPEN.match(seg, lt):
            continue                      # not inside a tag: text that merely looks like one
        yield m


@functools.lru_cache(maxsize=4096)
def _col_number(letters: bytes) -> int:
    """Column number of A..XFD (any case); a run too long to be a column saturates instead of growing."""
    n = 0
    for ch in letters.upper()[:8]:
        n = n * 26 + ch - 64
    return n


CHUNK = 1 << 20                         # what a streamed part is read and scanned by
WHOLE = 4 << 20                         # a part up to this size (inflated) is inflated in one call


def _stored(raw: bytes, zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes | None:
    """The part's bytes as they are stored, after the checks zipfile.open makes (local header, name,
    flags, method), or None."""
    off = info.header_offset
    head = raw[off:off + 30] if off >= 0 else b""
    if len(head) != 30 or head[:4] != b"PK\x03\x04" or info.flag_bits & 0x61 \
            or info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        return None
    flags, nlen, elen = struct.unpack_from("<H", head, 6)[0], *struct.unpack_from("<HH", head, 26)
    encoding = "utf-8" if flags & 0x800 else (getattr(zf, "metadata_encoding", None) or "cp437")
    try:
        name = raw[off + 30:off + 30 + nlen].decode(encoding)
    except UnicodeDecodeError:
        return None
    start = off + 30 + nlen + elen
    data = raw[start:start + info.compress_size]
    return data if name == info.orig_filename and len(data) == info.compress_size else None


def inflate_whole(raw: bytes, zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes | None:
    """The part inflated in one zlib call from the file's bytes, when it is small and every check the
    streamed read makes passes (local header, name, method, lengths, CRC); None otherwise, and the
    streamed read then says what is wrong, as it always did. zipfile's reader costs four times zlib's
    on a sheet of tens of KB."""
    data = _stored(raw, zf, info) if info.file_size <= WHOLE else None
    if data is None:
        return None
    if info.compress_type == zipfile.ZIP_DEFLATED:
        return _inflated(data, info.file_size, info.CRC)
    return data if len(data) == info.file_size and zlib.crc32(data) == info.CRC else None


def _inflated(body: bytes, size: int, crc: int) -> bytes | None:
    """A deflated part's bytes when they inflate, to the end of the stream, to exactly size bytes with
    that CRC; None otherwise (never more than size + 1 bytes are made)."""
    d = zlib.decompressobj(-15)
    try:
        data = d.decompress(body, size + 1)
    except zlib.error:
        return None
    return data if d.eof and len(data) == size and zlib.crc32(data) == crc else None


class StepAside(Exception):
    """The one-call read cannot vouch for a part: the package is read again as a stream, which says
    what is wrong exactly as it always did."""


def _whole(zf: zipfile.ZipFile, info: zipfile.ZipInfo, raw: bytes) -> bytes:
    data = inflate_whole(raw, zf, info)
    if data is None:
        raise StepAside(info.filename)
    return data


def scan_part(zf: zipfile.ZipFile, name: str, path, limits: ReadLimits = READ_LIMITS,
              sheet: str | None = None, raw: bytes | None = None, keep: dict | None = None) -> PartStats:
    """Inflate one part through the scanner, never past its declared size: as a stream, or, given raw
    (the file's bytes, zf opened on them), in one call (StepAside when that cannot be done), fed to the
    scanner in the same chunks either way. keep: where the one-call read leaves the part's bytes (by name).
    A sheet is scanned quick first (_Scanner), again in full when the quick pass cannot vouch for it."""
    try:
        return _scan_part(zf, name, path, limits, sheet, raw, keep, quick=True)
    except Recount:
        return _scan_part(zf, name, path, limits, sheet, raw, keep, quick=False)


def _scan_part(zf: zipfile.ZipFile, name: str, path, limits: ReadLimits, sheet: str | None, raw: bytes | None,
               keep: dict | None, quick: bool) -> PartStats:
    info = zf.getinfo(name)
    sc = _Scanner(name, path, limits, sheet, quick)
    cap = min(info.file_size, limits.max_sheet_bytes if sheet else limits.max_xml_bytes)
    if info.file_size > cap:
        mb = cap // (1024 * 1024)
        raise _refuse(path, f"{name} 解压后超过 {mb} MB", f"{name} inflates to more than {mb} MB")
    if raw is not None:
        whole = _whole(zf, info, raw)
        if sheet is None and len(whole) <= limits.max_text_bytes:
            sc.whole(whole)
        else:
            for at in range(0, len(whole), CHUNK):
                sc.feed(whole[at:at + CHUNK])
            sc.feed(b"", final=True)
        sc.stats.size = len(whole)
        if keep is not None:
            keep[name] = whole
        return sc.stats
    seen = 0
    try:
        with zf.open(info) as fh:
            while chunk := fh.read(CHUNK):
                seen += len(chunk)
                if seen > info.file_size:
                    raise _refuse(path, f"{name} 解压后超过声明大小（压缩包头信息不实）",
                                  f"{name} inflates past its declared size (the zip header lies)")
                sc.feed(chunk)
        sc.feed(b"", final=True)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError) as exc:
        raise _zip_error(path, f"文件已损坏（{name}：{exc}）", f"the file is corrupt ({name}: {exc})") from None
    sc.stats.size = seen
    return sc.stats


def _package_kind(names: tuple[str, ...]) -> str:
    """ods | xlsx (an xlsm is told later, by its parts) | zip (no workbook in it)."""
    if "mimetype" in names and "content.xml" in names:
        return "ods"
    return "xlsx" if any(n.startswith("xl/") for n in names) else "zip"


def _is_sheet(kind: str, name: str) -> bool:
    low = name.lower()
    if kind == "ods":
        return name == "content.xml"
    return low.startswith("xl/worksheets/") and low.endswith(".xml") and "/_rels/" not in low


MAX_WHOLE_FILE = 16 << 20               # a package up to this size is read into memory once


def read_small(path) -> bytes | None:
    """The file's bytes when it is small enough to hold (up to MAX_WHOLE_FILE: the scan then inflates parts
    in one call each), else None, as for one that cannot be read (open_zip then says why, as it always did).
    A caller that needs them too reads the file once and passes them on (inspect_package's data)."""
    try:
        with open(path, "rb") as fh:
            if os.fstat(fh.fileno()).st_size > MAX_WHOLE_FILE:
                return None               # not even the first 16 MB of it are read in vain
            data = fh.read(MAX_WHOLE_FILE + 1)
    except OSError:
        return None
    return data if len(data) <= MAX_WHOLE_FILE else None


def _read_checked(zf: zipfile.ZipFile, name: str, raw: bytes | None, kept: dict | None = None) -> bytes:
    """A part the scan has passed (as the one-call read left it, when it did)."""
    if kept is not None and name in kept:
        return kept[name]
    info = zf.getinfo(name)
    return _whole(zf, info, raw) if raw is not None else zf.read(info)


def _scan_parts(zf: zipfile.ZipFile, kind: str, path, limits: ReadLimits, raw: bytes | None, kept: dict | None = None):
    """Every XML part through the scanner: (sheet figures, docProps/custom.xml or None, kept). kept: where
    the one-call read leaves each part's bytes (scan_part); None once they pass MAX_STORED (no more held)."""
    total = 0
    custom = None
    sheets: dict[str, PartStats] = {}
    for info in zf.infolist():
        n = info.filename
        if info.is_dir() or not (n.lower().endswith((".xml", ".rels")) or n == "mimetype"):
            continue
        is_sheet = _is_sheet(kind, n)
        st = scan_part(zf, n, path, limits, kind if is_sheet else None, raw, kept)
        total += st.size
        if total > limits.max_xml_bytes:
            mb = limits.max_xml_bytes // (1024 * 1024)
            raise _refuse(path, f"工作簿解压后超过 {mb} MB", f"the workbook inflates to more than {mb} MB")
        if kept is not None and total > MAX_STORED:
            kept = None                                 # too much to hold for calamine: it reads the file
        if is_sheet:
            sheets[n] = st
        elif n == "docProps/custom.xml":
            custom = _read_checked(zf, n, raw, kept)   # checked above; read here so the zip is not opened again
    return sheets, custom, kept


def _plain_directory(raw: bytes, infos: list[zipfile.ZipInfo]) -> bool:
    """The zip's directory is what zipfile read, whole: one end record, at the very end (no comment or
    trailing bytes), counting the entries zipfile found, its directory right before it and made of
    exactly their headers, each as long as it says. (A damaged directory that zipfile reads in part is
    one calamine refuses whole: it must go on seeing the file.)"""
    end = len(raw) - 22
    if end < 0 or raw[end:end + 4] != b"PK\x05\x06" or raw.find(b"PK\x05\x06", max(end - 65_536, 0), end) >= 0:
        return False
    disk, cd_disk, here, total, size, offset, comment = struct.unpack_from("<HHHHIIH", raw, end + 4)
    if not (disk == cd_disk == 0 and here == total == len(infos) and comment == 0 and offset + size == end):
        return False
    at = offset
    for _ in range(total):
        if raw[at:at + 4] != b"PK\x01\x02" or at + 46 > end:
            return False
        nlen, elen, clen, start_disk = struct.unpack_from("<HHHH", raw, at + 28)
        if start_disk != 0:
            return False
        at += 46 + nlen + elen + clen
    return at == end


MAX_STORED = 32 << 20                   # the most of inflated parts stored_copy holds for calamine


def stored_copy(zf: zipfile.ZipFile, raw: bytes, kept: dict[str, bytes]) -> bytes | None:
    """The package with every part the scan inflated (kept) stored as it inflated, every other part as
    it was stored: the same bytes under the same names, so calamine reads what the scan passed without
    inflating it a second time. None unless the package is a plain one: each name once and in ASCII,
    nothing before the first part, every part the scan skipped stored or deflated (then calamine reads
    the file itself, as it always did)."""
    infos = zf.infolist()
    names = [i.filename for i in infos]
    if not infos or len(set(names)) != len(names) or min(i.header_offset for i in infos) != 0 \
            or not _plain_directory(raw, infos):
        return None
    out: list[bytes] = []
    central: list[bytes] = []
    at = 0
    for info in infos:
        name = info.filename
        if not name.isascii():
            return None
        body = kept.get(name)
        method = zipfile.ZIP_STORED
        if body is None:                  # a part the scan does not read (vbaProject.bin, media): as it is
            body, method = _stored(raw, zf, info), info.compress_type
            if body is None:
                return None
        crc, size, bname = info.CRC, info.file_size, name.encode("ascii")
        central.append(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, method, _DOS_TIME, _DOS_DATE,
                                   crc, len(body), size, len(bname), 0, 0, 0, 0, 0, at) + bname)
        head = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, method, _DOS_TIME, _DOS_DATE,
                           crc, len(body), size, len(bname), 0) + bname
        out += (head, body)
        at += len(head) + len(body)
    cd = b"".join(central)
    return b"".join([*out, cd, struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(infos), len(infos), len(cd), at, 0)])


def inspect_package(path, limits: ReadLimits = READ_LIMITS, data: bytes | None = None) -> PackageInfo:
    """Check a workbook package before calamine opens it: zip bomb, lying headers, DTDs, huge
    strings, merge floods and used ranges that would not fit in memory are all refused here.
    A small file is read once and each part inflated in one call; at the least doubt (a part that
    does not inflate cleanly, a directory zipfile cannot read from memory) it is read again as a
    stream, so that every refusal and its message stay those of the streamed read. data: the file's
    bytes as read_small gave them (read here when not given)."""
    raw = data if data is not None else read_small(path)
    if raw is not None:
        try:
            zf = zipfile.ZipFile(io.BytesIO(raw))
        except Exception:   # noqa: BLE001 - any doubt: open_zip below opens the file and says what is wrong
            zf = None
        if zf is not None:
            with zf:
                try:
                    check_zip(zf, path)
                    return _inspect_open(zf, path, limits, raw)
                except StepAside:
                    pass
    with open_zip(path) as zf:
        return _inspect_open(zf, path, limits, None)


def _inspect_open(zf: zipfile.ZipFile, path, limits: ReadLimits, raw: bytes | None) -> PackageInfo:
    names = tuple(i.filename for i in zf.infolist() if not i.is_dir())
    kind = _package_kind(names)
    if kind == "zip":
        return PackageInfo("zip", names, False, {})
    kept: dict[str, bytes] | None = {} if raw is not None else None
    sheets, custom, kept = _scan_parts(zf, kind, path, limits, raw, kept)
    macros = any(n.lower().endswith("vbaproject.bin") or n.startswith("Basic/") for n in names)
    if kind == "xlsx" and (macros or b"macroEnabled" in (
            _read_checked(zf, "[Content_Types].xml", raw, kept) if "[Content_Types].xml" in names else b"")):
        kind = "xlsm"
    stored = stored_copy(zf, raw, kept) if raw is not None and kept is not None and kind in ("xlsx", "xlsm") else None
    return PackageInfo(kind, names, macros, sheets, custom, stored)


# --- writing -------------------------------------------------------------------------------

_DOS_TIME, _DOS_DATE = 0, (1980 - 1980) << 9 | 1 << 5 | 1   # 1980-01-01 00:00: reproducible output


class Entry(NamedTuple):
    """A part ready to be written: its name and deflated bytes with their CRC and sizes (a NamedTuple:
    made for every part of every workbook, a frozen dataclass costs five times as much to build)."""

    name: bytes
    crc: int
    size: int
    data: bytes      # deflated


def deflate(name: str, raw: bytes, level: int = 6) -> Entry:
    # one call: the same bytes as compressobj's compress + flush (no flush between), a tenth less time
    return Entry(name.encode("utf-8"), zlib.crc32(raw), len(raw), zlib.compress(raw, level, -15))


_LOCAL = struct.Struct("<IHHHHHIIIHH")
_CENTRAL = struct.Struct("<IHHHHHHIIIHHHHHII")


def build_zip(entries: list[Entry]) -> bytes:
    """Assemble a zip from pre-deflated entries; the central directory is written last (one join: the
    entries' deflated bytes are copied once, into the result)."""
    out: list[bytes] = []
    central: list[bytes] = []
    local, directory = _LOCAL.pack, _CENTRAL.pack
    flags = 0x800  # UTF-8 names
    offset = 0
    for e in entries:
        name, data, crc, size = e.name, e.data, e.crc, e.size
        out += (local(0x04034B50, 20, flags, 8, _DOS_TIME, _DOS_DATE, crc, len(data), size, len(name), 0), name, data)
        central += (directory(0x02014B50, 20, 20, flags, 8, _DOS_TIME, _DOS_DATE, crc, len(data), size, len(name),
                              0, 0, 0, 0, 0, offset), name)
        offset += 30 + len(name) + len(data)
    size = sum(map(len, central))
    central.append(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), size, offset, 0))
    return b"".join(out + central)


def atomic_path(path: str | Path, suffix: str = ".tmp"):
    """A temp file beside path to write into, renamed over path when the block succeeds (see
    perfbook/_outputs.py: symlinks followed, devices and FIFOs written through, the umask respected,
    environment errors naming the user's path)."""
    return _atomic_path(path, suffix)


# the workbook part's content type each extension needs: Excel refuses a mismatch
# ("文件格式或文件扩展名无效" / "the file format or file extension is not valid")
MAIN_CONTENT_TYPES = {
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
    ".xltx": "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml",
    ".xlsm": "application/vnd.ms-excel.sheet.macroEnabled.main+xml",
    ".xltm": "application/vnd.ms-excel.template.macroEnabled.main+xml",
    ".xlam": "application/vnd.ms-excel.addin.macroEnabled.main+xml",
}
_MAIN_CT = re.compile(r'(<Override\b[^>]*?ContentType=")(' + "|".join(
    re.escape(v) for v in MAIN_CONTENT_TYPES.values()) + r')(")')
_MACRO_FREE = (".xlsx", ".xltx")


def _first_entry(data: bytes) -> tuple[bytes, int, int, int] | None:
    """[Content_Types].xml's local entry when it is the package's first part (build_zip writes it first),
    found without parsing the zip: (header and deflated bytes, where they start, size, CRC); None for
    any other layout."""
    if len(data) < 30 or data[:4] != b"PK\x03\x04":
        return None
    flags, method, crc, csize, usize, nlen, xlen = struct.unpack_from("<2xHH4xIIIHH", data, 4)
    name = b"[Content_Types].xml"
    if flags & 0x9 or method != 8 or data[30:30 + nlen] != name:
        return None
    start = 30 + nlen + xlen
    return data[:start + csize], start, usize, crc


def _first_content_types(data: bytes) -> str | None:
    """[Content_Types].xml when it is the package's first part, read from its local header (a tenth of
    the time of parsing the zip); None for any other layout."""
    first = _first_entry(data)
    if first is None:
        return None
    entry, start, usize, crc = first
    raw = _inflated(entry[start:], usize, crc)
    try:
        return raw.decode("utf-8") if raw is not None else None
    except UnicodeDecodeError:
        return None


# the main content type a first [Content_Types].xml entry (its header and deflated bytes, exactly) names,
# or None: every workbook of a renderer carries the same entry, inflated and searched once
_MAIN_OF_FIRST: dict[bytes, str | None] = {}


def _first_main_type(data: bytes) -> tuple[bool, str | None]:
    """(found, the main content type or None) from a first [Content_Types].xml; found False for any
    other layout (or a part that does not inflate)."""
    first = _first_entry(data)
    if first is None:
        return False, None
    entry = first[0]
    if entry in _MAIN_OF_FIRST:
        return True, _MAIN_OF_FIRST[entry]
    text = _first_content_types(data)
    if text is None:
        return False, None
    m = _MAIN_CT.search(text)
    if len(_MAIN_OF_FIRST) >= 64:
        _MAIN_OF_FIRST.clear()
    got = _MAIN_OF_FIRST[entry] = m.group(2) if m is not None else None
    return True, got


def fit_extension(path: str | Path, data: bytes) -> bytes:
    """The package with its workbook content type matching path's extension.

    A macro-free type is corrected to the extension's (an .xlsm or .xlam may hold no VBA); a package
    with a VBA project is refused under .xlsx/.xltx (the macros would be lost), naming the file.
    """
    ext = os.path.splitext(os.fspath(path))[1].lower()       # Path(path).suffix, without making a Path
    want = MAIN_CONTENT_TYPES.get(ext)
    if want is None or data[:2] != b"PK":
        return data
    found, main = _first_main_type(data)
    if found and (main is None or main == want):
        return data
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        ct = zf.read("[Content_Types].xml").decode("utf-8")
        m = _MAIN_CT.search(ct)
        if m is None or m.group(2) == want:
            return data
        if ext in _MACRO_FREE and ("vbaProject" in ct or "xl/vbaProject.bin" in zf.namelist()):
            raise PerfbookError(f"{path}：含宏（VBA 工程）的工作簿不能存为 {ext}，请用 .xlsm",
                                f"{path}: a workbook with macros (a VBA project) cannot be saved as {ext}; use .xlsm")
        ct = ct[:m.start(2)] + want + ct[m.end(2):]
        names = ["[Content_Types].xml"] + [n for n in zf.namelist() if n != "[Content_Types].xml"]
        return build_zip([deflate(n, ct.encode("utf-8") if n == "[Content_Types].xml" else zf.read(n)) for n in names])


def write_atomic(path: str | Path, data: bytes) -> Path:
    """Write a whole file or nothing (a workbook with the content type its extension needs)."""
    return _write_atomic(path, fit_extension(path, data))
