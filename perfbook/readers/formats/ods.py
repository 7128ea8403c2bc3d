"""OpenDocument spreadsheets: calamine reads the values but not the merges; content.xml has them as
table:number-columns-spanned / number-rows-spanned, placed by counting rows and cells with their
repeat counts, the same way calamine lays out its grid."""
from __future__ import annotations

from pathlib import Path

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from ...errors import UnreadableWorkbook
from ...ooxml._package import PackageInfo, open_zip, read_part
from .._grid import Grid, load_calamine
from ._format import MB, Format

T = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"


def _int(v, default=1):
    try:
        return max(int(v), 0)
    except (TypeError, ValueError):
        return default


def ods_merges(path: Path, grids: list[Grid]) -> None:
    """Add the merged ranges of content.xml to the grids calamine made (matched by sheet name)."""
    by_name = {g.name: g for g in grids}
    with open_zip(path) as zf:
        data = read_part(zf, "content.xml", path)   # already size- and DTD-checked by inspect_package
    try:
        root = fromstring(data, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise UnreadableWorkbook("content.xml 含有 DTD/实体声明，疑似恶意文件，已拒绝",
                                 f"content.xml declares a DTD or entities; refused as hostile ({type(exc).__name__})", path) from None
    except SyntaxError as exc:
        raise UnreadableWorkbook(f"content.xml 格式有误，文件可能已损坏（{exc}）", f"content.xml is malformed ({exc})", path) from None
    for table in root.iter(T + "table"):
        grid = by_name.get(table.get(T + "name"))
        if grid is None:
            continue
        r = 0
        for row in table.iter(T + "table-row"):
            reps = _int(row.get(T + "number-rows-repeated"))
            r += 1
            c = 0
            for cell in row:
                if cell.tag not in (T + "table-cell", T + "covered-table-cell"):
                    continue
                n = _int(cell.get(T + "number-columns-repeated"))
                cs = _int(cell.get(T + "number-columns-spanned"), 1)
                rs = _int(cell.get(T + "number-rows-spanned"), 1)
                if cell.tag == T + "table-cell" and (cs > 1 or rs > 1):
                    for k in range(min(n, 1000)):
                        grid.merges.append((r, c + 1 + k * cs, r + rs - 1, c + k * cs + cs))
                c += n
            r += reps - 1


def load_ods(path: Path, _info: PackageInfo | None) -> tuple[list[Grid], dict[str, str]]:
    grids = load_calamine(path, "ods")
    ods_merges(path, grids)
    return grids, {}


FORMAT = Format("ods", "ods", "zip", (".ods",), 128 * MB, load_ods)    # the compressed file (calamine reads it whole)
