"""SpreadsheetML 2003 ("XML 表格"): what the budget systems' FreeMarker templates export as .xls.

Cells are placed by ss:Index (rows and cells skip ahead with it); ss:MergeAcross / ss:MergeDown
become merged ranges. Parsed with defusedxml, streaming, so a DTD or entity is refused and a big
file is never held as a whole tree.
"""
from __future__ import annotations

import datetime as _dt
from pathlib import Path

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from ..._comparators import to_number
from ...errors import UnreadableWorkbook
from ...ooxml._sheetxml import col_letter
from .._grid import BIG_NUMBER, Grid
from ._format import MB, Format
from ._sparse import MAX_SPAN, SparseSheet, text_limit
from .formula import evaluate_sheet

SS = "{urn:schemas-microsoft-com:office:spreadsheet}"
X = "{urn:schemas-microsoft-com:office:excel}"


def _int(v, default=None):
    try:
        return int(v)
    except (TypeError, ValueError):
        return default


def _value(kind: str | None, text: str):
    if kind == "Number":
        try:
            f = float(text)
        except ValueError:
            return text
        return to_number(f)
    if kind == "DateTime":
        try:
            d = _dt.datetime.fromisoformat(text[:19])
        except ValueError:
            return text
        return d.date() if d.time() == _dt.time() else d
    if kind == "Boolean":
        return text.strip() in ("1", "true", "TRUE")
    return text


def load_xml2003(path: Path) -> list[Grid]:
    sheets: list[SparseSheet] = []
    formulas: dict[str, dict] = {}          # sheet name -> {(row, col): formula}
    sheet: SparseSheet | None = None
    row = col = 0
    try:
        for event, el in iterparse(str(path), events=("start", "end"), forbid_dtd=True,
                                   forbid_entities=True, forbid_external=True):
            tag = el.tag
            if event == "start":
                if tag == SS + "Worksheet":
                    sheet = SparseSheet(el.get(SS + "Name") or f"Sheet{len(sheets) + 1}")
                    sheets.append(sheet)
                    row = 0
                elif tag == SS + "Row" and sheet is not None:
                    row = _int(el.get(SS + "Index"), row + 1)
                    col = 0
                continue
            if tag == SS + "Cell" and sheet is not None:
                col = _int(el.get(SS + "Index"), col + 1)
                across = min(max(_int(el.get(SS + "MergeAcross"), 0), 0), MAX_SPAN)
                down = min(max(_int(el.get(SS + "MergeDown"), 0), 0), MAX_SPAN)
                data = el.find(SS + "Data")
                if data is not None:
                    text = text_limit("".join(data.itertext()), f"工作表“{sheet.name}”", path)
                    kind = data.get(SS + "Type")
                    v = _value(kind, text)
                    if isinstance(v, float) and abs(v) >= BIG_NUMBER:
                        sheet.raw[(row, col)] = text.strip()
                    sheet.put(row, col, v, path)
                formula = el.get(SS + "Formula")
                if formula:
                    formulas.setdefault(sheet.name, {})[(row, col)] = formula
                sheet.merge(row, col, row + down, col + across, path)
                col += across
                el.clear()
            elif tag == SS + "Row":
                el.clear()
            elif tag == X + "Visible" and sheet is not None and (el.text or "").strip() in ("SheetHidden", "SheetVeryHidden"):
                sheet.visible = False
            elif tag == SS + "Worksheet":
                el.clear()
    except DefusedXmlException as exc:
        raise UnreadableWorkbook(f"XML 表格含有 DTD/实体声明，疑似恶意文件，已拒绝（{type(exc).__name__}）",
                                 f"the XML workbook declares a DTD or entities; refused as hostile ({type(exc).__name__})", path) from None
    except SyntaxError as exc:   # xml.etree.ElementTree.ParseError
        raise UnreadableWorkbook(f"XML 表格格式有误，文件可能已损坏（{exc}）",
                                 f"the XML workbook is malformed; the file may be corrupt ({exc})", path) from None
    if not sheets:
        raise UnreadableWorkbook("XML 文件中没有工作表（不是 Excel 2003 XML 工作簿）", "the XML file holds no worksheet", path)
    grids = []
    for s in sheets:
        notes = _totals(s, formulas.get(s.name, {}), path)
        g = s.grid()
        g.notes.extend(notes)
        grids.append(g)
    return grids


def _totals(sheet: SparseSheet, formulas: dict, path) -> list[tuple]:
    """Put each formula's computed value in its cell (the file holds none, or a stale one); a note
    (kind, zh, en, cell) for each formula that cannot be computed."""
    done, failed = evaluate_sheet(sheet.cells, formulas)
    for (r, c), v in done.items():
        sheet.put(r, c, to_number(float(v)), path)
    notes = []
    for r, c, f in failed:
        addr = f"{col_letter(c)}{r}"
        kept = sheet.cells.get((r, c))
        shown = f"，按文件中保存的值 {kept} 读取" if kept is not None else "，文件中没有保存计算结果，该单元格按空读取"
        shown_en = f"; read as the stored value {kept}" if kept is not None else "; the file holds no result, read as empty"
        notes.append(("formula", f"单元格 {addr} 的公式 {f[:60]} 无法计算{shown}，请在 Excel 中打开核对",
                      f"the formula {f[:60]} in {addr} cannot be evaluated{shown_en}; please check it in Excel", addr))
    return notes


FORMAT = Format("xml2003", "xml2003", "xml2003", (".xml", ".xls"), 64 * MB,   # parsed whole by our own loader
                lambda path, _info: (load_xml2003(path), {}))
