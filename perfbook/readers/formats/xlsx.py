"""Office Open XML workbooks (.xlsx, .xlsm), read by calamine; what calamine's values lose is taken
from the package itself: a number too long for a double (a 21-digit 项目编码 typed as a number) and the
document's custom properties (perfbook records its frame there)."""
from __future__ import annotations

import re
from itertools import chain
from pathlib import Path

from defusedxml import ElementTree as ET

from ...ooxml._package import PackageInfo, open_zip, read_part
from ...ooxml._sheetxml import col_letter
from .._grid import BIG_NUMBER, Grid, load_calamine
from ._format import MB, Format


def _sheet_parts(zf, path) -> dict[str, str]:
    """Sheet name -> worksheet part, from workbook.xml and its relationships."""
    try:
        wb = ET.fromstring(read_part(zf, "xl/workbook.xml", path))
        rels = ET.fromstring(read_part(zf, "xl/_rels/workbook.xml.rels", path))
    except Exception:
        return {}
    targets = {r.get("Id"): r.get("Target", "") for r in rels}
    out = {}
    for el in wb.iter():
        if el.tag.endswith("}sheet"):
            rid = next((v for k, v in el.attrib.items() if k.endswith("}id")), None)
            t = targets.get(rid, "")
            out[el.get("name")] = t.lstrip("/") if t.startswith("/") else "xl/" + t
    return out


def recover_raw_numbers(path: Path, grids: list[Grid]) -> None:
    """Where a numeric cell holds a number too big for a double (a 21-digit 项目编码 typed as a number),
    keep the exact text of its <v> element in grid.raw: calamine's float has lost digits."""
    # a grid without a float (most: _clean_row made whole numbers int) is passed over in one C-speed test
    wanted = {g.name: [(r, c) for r, row in enumerate(g.rows, start=1) if float in set(map(type, row))
                       for c, v in enumerate(row, start=1) if type(v) is float and abs(v) >= BIG_NUMBER]
              for g in grids if float in map(type, chain.from_iterable(g.rows))}
    if not any(wanted.values()):
        return
    with open_zip(path) as zf:
        parts = _sheet_parts(zf, path)
        for g in grids:
            cells = wanted.get(g.name)
            if not cells or parts.get(g.name) not in zf.namelist():
                continue
            xml = read_part(zf, parts[g.name], path)
            for r, c in cells:
                m = re.search(rb'<(?:\w+:)?c\b[^>]*\br="' + f"{col_letter(c)}{r}".encode() + rb'"[^>]*>(.*?)</(?:\w+:)?c>', xml, re.S)
                v = re.search(rb"<(?:\w+:)?v>([^<]*)</", m.group(1)) if m else None
                if v:
                    g.raw[(r, c)] = v.group(1).decode("ascii", "replace").strip()


def custom_properties(xml: bytes) -> dict[str, str]:
    """docProps/custom.xml of an xlsx, as the package check read it (perfbook records its frame there)."""
    text = xml.decode("utf-8", "replace")
    return {m.group(1): m.group(2) for m in re.finditer(r'<property\b[^>]*\bname="([^"]*)"[^>]*>\s*<vt:\w+[^>]*>(.*?)</vt:\w+>', text, re.S)}


def load_xlsx(path: Path, info: PackageInfo | None) -> tuple[list[Grid], dict[str, str]]:
    grids = load_calamine(path, "xlsx", info.stored if info is not None else None)
    recover_raw_numbers(path, grids)
    return grids, custom_properties(info.custom) if info is not None and info.custom is not None else {}


# the compressed file itself (calamine reads it whole); the package's parts have their own limits (ooxml/_package)
XLSX = Format("xlsx", "xlsx", "zip", (".xlsx",), 128 * MB, load_xlsx)
XLSM = Format("xlsm", "xlsm", "zip", (".xlsm", ".xlsx"), 128 * MB, load_xlsx)
