"""BIFF (.xls, an OLE2 compound file), read by calamine after a pre-check: calamine lays a sheet out as
a dense grid, so one value in IV65536 costs about 1 GB. The Workbook stream's cell records give each
sheet's true extent; a sheet too large for a dense grid is refused here. The OLE2 container is read with
xlrd's compdoc (a dependency already), the records walked by hand."""
from __future__ import annotations

import io
import struct
from pathlib import Path

from ...errors import UnreadableWorkbook
from ...ooxml._package import READ_LIMITS, PackageInfo
from .._grid import Grid, load_calamine
from ._format import MB, Format

BOF, EOF = 0x0809, 0x000A
# cell records whose first four bytes are (row, column): NUMBER, RK, LABELSST, LABEL, FORMULA, BOOLERR, RSTRING
CELLS = {0x0203, 0x027E, 0x00FD, 0x0204, 0x0006, 0x0205, 0x00D6}
MULRK = 0x00BD


def check_biff(path: Path) -> None:
    from xlrd.compdoc import CompDoc
    data = Path(path).read_bytes()
    try:
        doc = CompDoc(data, logfile=io.StringIO())
        stream = doc.get_named_stream("Workbook") or doc.get_named_stream("Book")
    except Exception as exc:
        raise UnreadableWorkbook(f"xls 文件结构损坏（{exc}）", f"the xls container is corrupt ({exc})", path) from None
    if not stream:
        return
    max_row = max_col = 0
    pos, n = 0, len(stream)
    unpack = struct.unpack_from
    while pos + 4 <= n:
        rtype, size = unpack("<HH", stream, pos)
        body = pos + 4
        if rtype == BOF:
            max_row = max_col = 0
        elif (rtype in CELLS or rtype == MULRK) and size >= 4:
            row, col = unpack("<HH", stream, body)
            if rtype == MULRK and size >= 6:
                col = unpack("<H", stream, body + size - 2)[0]
            max_row, max_col = max(max_row, row + 1), max(max_col, col + 1)
            if max_row * max_col > READ_LIMITS.max_cells:
                raise UnreadableWorkbook(
                    f"工作表的数据区域过大（{max_row:,} 行 × {max_col:,} 列），疑似恶意文件，已拒绝",
                    f"a sheet spans too large a range ({max_row:,} x {max_col:,}); refused as hostile", path)
        pos = body + size


def load_biff(path: Path, _info: PackageInfo | None) -> tuple[list[Grid], dict[str, str]]:
    check_biff(path)
    return load_calamine(path, "xls"), {}


# kind "ole" is sniff's name for an OLE2 file holding a Workbook stream; the whole file is read into memory
FORMAT = Format("ole", "xls", "ole", (".xls",), 64 * MB, load_biff)
