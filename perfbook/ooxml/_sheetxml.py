"""Worksheet XML as text: split into head / rows / tail, parse cells, write cells, insert in schema order.

Template sheets are processed as text, not re-serialised through an XML library, so everything a
bureau's Excel put there (namespaces, mc:Ignorable, x14 extensions) stays exactly as it was.
"""
from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass

from defusedxml import ElementTree as ET

from ..errors import TemplateError
from . import _ns


def escape(data: str, entities: dict[str, str] | None = None) -> str:
    """xml.sax.saxutils.escape, without importing xml.sax (which pulls in urllib.request and http.client)."""
    data = data.replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;")
    for k, v in (entities or {}).items():
        data = data.replace(k, v)
    return data

NS = _ns.MAIN
ROW_RE = re.compile(r"<row\b([^>]*?)(/>|>(.*?)</row>)", re.S)
CELL_RE = re.compile(r"<c\b([^>]*?)(/>|>(.*?)</c>)", re.S)
ATTR_RE = re.compile(r'([\w:]+)="([^"]*)"')
REF_RE = re.compile(r"([A-Z]{1,3})(\d+)")
T_RE = re.compile(r"<t\b[^>]*?(?:/>|>(.*?)</t>)", re.S)
V_RE = re.compile(r"<v>(.*?)</v>", re.S)
F_RE = re.compile(r"<f\b([^>]*?)(?:/>|>(.*?)</f>)", re.S)
RPH_RE = re.compile(r"<rPh\b.*?</rPh>", re.S)
_XESC = re.compile(r"_(x[0-9A-Fa-f]{4}_)")

# CT_Worksheet child order (ECMA-376 Part 1, 18.3.1.99); a part is only valid in this order.
SHEET_ORDER = [
    "sheetPr", "dimension", "sheetViews", "sheetFormatPr", "cols", "sheetData", "sheetCalcPr",
    "sheetProtection", "protectedRanges", "scenarios", "autoFilter", "sortState", "dataConsolidate",
    "customSheetViews", "mergeCells", "phoneticPr", "conditionalFormatting", "dataValidations",
    "hyperlinks", "printOptions", "pageMargins", "pageSetup", "headerFooter", "rowBreaks", "colBreaks",
    "customProperties", "cellWatches", "ignoredErrors", "smartTags", "drawing", "legacyDrawing",
    "legacyDrawingHF", "picture", "oleObjects", "controls", "webPublishItems", "tableParts", "extLst",
]


@functools.lru_cache(maxsize=1 << 14)
def col_letter(col: int) -> str:
    """1 -> A, 28 -> AB (kept per column: a workbook's merges and cells name the same few on every row)."""
    s = ""
    while col:
        col, rem = divmod(col - 1, 26)
        s = chr(65 + rem) + s
    return s


def col_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def split_ref(ref: str) -> tuple[int, int]:
    """'C12' -> (row 12, col 3)."""
    m = REF_RE.fullmatch(ref.replace("$", ""))
    if not m:
        raise ValueError(ref)
    return int(m.group(2)), col_index(m.group(1))


def attrs(text: str) -> dict[str, str]:
    return dict(ATTR_RE.findall(text))


_ENTITY = re.compile(r"&(lt|gt|quot|apos|amp|#[0-9]+|#x[0-9A-Fa-f]+);")
_NAMED = {"lt": "<", "gt": ">", "quot": '"', "apos": "'", "amp": "&"}


def _entity(m: re.Match) -> str:
    e = m.group(1)
    if e[0] != "#":
        return _NAMED[e]
    return chr(int(e[2:], 16) if e[1] in "xX" else int(e[1:]))


def unescape(text: str) -> str:
    """XML text as written, character references (&#25351;, what openpyxl writes under lxml) included."""
    return _ENTITY.sub(_entity, text) if "&" in text else text


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(value: str) -> str:
    """Escape for an element body, including Excel's _xHHHH_ escape, so text reads back as typed;
    a character XML cannot hold (U+000B from Word, ...) is written as Excel writes it, _x000B_."""
    if "&" not in value and "<" not in value and ">" not in value and "_" not in value and value.isprintable():
        return value                  # the commonest text: nothing to escape, nothing XML cannot hold
    text = escape(_XESC.sub(r"_x005F_\1", value))
    return _NOT_XML.sub(lambda m: f"_x{ord(m.group()):04X}_", text) if _NOT_XML.search(text) else text


def xml_attr(value: str) -> str:
    return escape(value, {'"': "&quot;", "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"})


@dataclass
class Cell:
    ref: str
    row: int
    col: int
    attrs: str          # raw attribute text, without r=
    body: str | None    # inner XML, None for <c/>
    text: str | None    # the cell's text value (shared strings resolved), None when empty/not text

    @property
    def style(self) -> str | None:
        return attrs(self.attrs).get("s")

    def formula(self) -> tuple[str, str] | None:
        if not self.body:
            return None
        m = F_RE.search(self.body)
        return (m.group(1), unescape(m.group(2) or "")) if m else None


@dataclass
class Row:
    r: int
    attrs: str          # raw attribute text, without r=
    cells: list[Cell]


@dataclass
class SheetXml:
    head: str           # up to and including <sheetData>
    rows: list[Row]
    tail: str           # from </sheetData> on
    self_closing: bool  # <sheetData/> in the template


def shared_strings(xml: bytes | None) -> list[str]:
    if not xml:
        return []
    root = ET.fromstring(xml)
    out = []
    for si in root.iter(f"{{{NS}}}si"):
        # plain <t>, or rich-text runs <r><t>; phonetic <rPh> runs are not part of the value
        direct = [t.text or "" for t in si.findall(f"{{{NS}}}t")] + [
            t.text or "" for r in si.findall(f"{{{NS}}}r") for t in r.findall(f"{{{NS}}}t")]
        out.append(_decode_x("".join(direct)))
    return out


def _decode_x(text: str) -> str:
    return re.sub(r"_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m.group(1), 16)), text)


def cell_text(attr: dict, body: str | None, sst: list[str]) -> str | None:
    if not body:
        return None
    t = attr.get("t")
    if t == "s":
        m = V_RE.search(body)
        return sst[int(m.group(1))] if m else None
    if t == "inlineStr":
        return _decode_x(unescape("".join(x or "" for x in T_RE.findall(RPH_RE.sub("", body)))))
    if t == "str":
        m = V_RE.search(body)
        return unescape(m.group(1)) if m else None
    return None


def parse_sheet(xml: str, sst: list[str], where: str) -> SheetXml:
    m = re.search(r"<sheetData\s*/>", xml)
    if m:
        return SheetXml(xml[:m.start()] + "<sheetData>", [], "</sheetData>" + xml[m.end():], True)
    start = re.search(r"<sheetData\b[^>]*>", xml)
    end = xml.rfind("</sheetData>")
    if not start or end < 0:
        raise TemplateError("模板工作表缺少 sheetData（不是 Excel 保存的标准格式）",
                            "the template sheet has no <sheetData> in the default namespace", where)
    rows = []
    for rm in ROW_RE.finditer(xml, start.end(), end):
        ra = attrs(rm.group(1))
        r = int(ra["r"])
        cells = []
        for cm in CELL_RE.finditer(rm.group(3) or ""):
            ca = attrs(cm.group(1))
            row, col = split_ref(ca["r"])
            raw = re.sub(r'\s*\br="[^"]*"', "", cm.group(1), count=1)
            cells.append(Cell(ca["r"], row, col, raw, cm.group(3), cell_text(ca, cm.group(3), sst)))
        rows.append(Row(r, re.sub(r'\s*\br="[^"]*"', "", rm.group(1), count=1), cells))
    return SheetXml(xml[:start.end()], rows, xml[end:], False)


def cell_xml(ref: str, value, style: str | None) -> str:
    """One cell: numbers as numbers, every string as an inline string (never a formula)."""
    s = f' s="{style}"' if style is not None else ""
    if type(value) is str and value:  # the commonest value first
        return f'<c r="{ref}"{s} t="inlineStr"><is><t xml:space="preserve">{xml_text(value)}</t></is></c>'
    if value is None or value == "":
        return f'<c r="{ref}"{s}/>' if s else ""
    if isinstance(value, bool):
        return f'<c r="{ref}"{s} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):     # NaN/Inf: Excel would repair the file
            return f'<c r="{ref}"{s}/>' if s else ""
        return f'<c r="{ref}"{s}><v>{value!r}</v></c>'
    text = str(value)
    return f'<c r="{ref}"{s} t="inlineStr"><is><t xml:space="preserve">{xml_text(text)}</t></is></c>'


def top_level(tail: str) -> list[tuple[str, int, int]]:
    """(name, start, end) of each top-level element in a tail fragment (after </sheetData>)."""
    out = []
    depth = 0
    cur = None
    for m in re.finditer(r"<(/?)([\w:]+)([^>]*?)(/?)>", tail):
        closing, name, _, selfclose = m.group(1), m.group(2).split(":")[-1], m.group(3), m.group(4)
        if name == "sheetData" or name == "worksheet":
            continue
        if closing:
            depth -= 1
            if depth == 0 and cur:
                out.append((cur[0], cur[1], m.end()))
                cur = None
        elif selfclose:
            if depth == 0:
                out.append((name, m.start(), m.end()))
        else:
            if depth == 0:
                cur = (name, m.start())
            depth += 1
    return out


def remove_element(tail: str, name: str) -> tuple[str, str | None]:
    """Cut the first top-level <name> element out of tail; returns (tail, element or None)."""
    for n, a, b in top_level(tail):
        if n == name:
            return tail[:a] + tail[b:], tail[a:b]
    return tail, None


def insert_position(tail: str, name: str) -> int:
    """Index in tail where a new top-level <name> element goes to keep the schema order."""
    order = SHEET_ORDER.index(name)
    for n, a, _b in top_level(tail):
        if n in SHEET_ORDER and SHEET_ORDER.index(n) > order:
            return a
    return tail.rfind("</worksheet>")


def insert_element(tail: str, name: str, xml: str) -> str:
    pos = insert_position(tail, name)
    return tail[:pos] + xml + tail[pos:]
