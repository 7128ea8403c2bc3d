"""The package's bookkeeping, edited here only: [Content_Types].xml, the .rels parts, the workbook's
<sheets> and <definedNames>, and the codeNames a VBA project binds its document modules to.

An edit is a splice on the part's text that keeps every other byte as the file had it (a DOM round trip
would rewrite its namespaces and quoting). The renderer writes these parts once per workbook, thousands
in a bulk run: it reads the template's parts once (``read_types``, ``read_rels``, ``WorkbookXml``) and
writes each workbook's from strings built ahead. Part names are given as in the zip, without a leading /.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Callable, Iterable

from defusedxml import ElementTree as ET

from ..errors import PerfbookError
from . import _ns
from ._sheetxml import escape, unescape, xml_attr

DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
CONTENT_TYPES = "[Content_Types].xml"
ROOT_RELS = "_rels/.rels"
CT_WORKSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
CT_STYLES = "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"
CT_APP = "application/vnd.openxmlformats-officedocument.extended-properties+xml"
CT_CORE = "application/vnd.openxmlformats-package.core-properties+xml"
CT_CUSTOM = "application/vnd.openxmlformats-officedocument.custom-properties+xml"
CT_RELS = "application/vnd.openxmlformats-package.relationships+xml"
CT_XML = "application/xml"

_ATTR = re.compile(r'([\w:.-]+)\s*=\s*"([^"]*)"')


def _attrs(text: str) -> dict[str, str]:
    return dict(_ATTR.findall(text))


def _set_attr(tag: str, name: str, value: str) -> str:
    """A start tag with one attribute's value replaced in place, or appended when it has none."""
    m = re.search(rf'(\s{re.escape(name)}\s*=\s*")[^"]*(")', tag)
    if m:
        return tag[:m.end(1)] + xml_attr(value) + tag[m.start(2):]
    end = len(tag) - (2 if tag.endswith("/>") else 1)
    return tag[:end].rstrip() + f' {name}="{xml_attr(value)}"' + tag[end:]


def _before_close(xml: str, close: str, item: str) -> str:
    pos = xml.rfind(close)
    return xml[:pos] + item + xml[pos:]


def package_order(parts: dict[str, bytes]) -> list[str]:
    """Part names with [Content_Types].xml first, as Open Packaging asks of a zip."""
    return [CONTENT_TYPES] + [k for k in parts if k != CONTENT_TYPES]


# --- [Content_Types].xml -------------------------------------------------------------------------------

_OVERRIDE = re.compile(r"<Override\b[^>]*>(?:\s*</Override>)?")
_DEFAULT = re.compile(r"<Default\b[^>]*>(?:\s*</Default>)?")


def _entry(pattern: re.Pattern, xml: str, key: str, value: str) -> re.Match | None:
    value = value.lower()       # part names and extensions compare without case (Open Packaging, 8.1.1.2)
    return next((m for m in pattern.finditer(xml) if unescape(_attrs(m.group()).get(key, "")).lower() == value), None)


def override(ct: str, part: str) -> str | None:
    """The content type [Content_Types].xml gives a part by an Override, None when it gives none."""
    m = _entry(_OVERRIDE, ct, "PartName", "/" + part)
    return unescape(_attrs(m.group()).get("ContentType", "")) if m else None


def set_override(ct: str, part: str, content_type: str) -> str:
    """The part's Override set to content_type: its ContentType replaced when it has one, else added."""
    m = _entry(_OVERRIDE, ct, "PartName", "/" + part)
    if m:
        return ct[:m.start()] + _set_attr(m.group(), "ContentType", content_type) + ct[m.end():]
    return _before_close(ct, "</Types>", f'<Override PartName="/{xml_attr(part)}" ContentType="{xml_attr(content_type)}"/>')


def remove_override(ct: str, part: str) -> str:
    m = _entry(_OVERRIDE, ct, "PartName", "/" + part)
    return ct[:m.start()] + ct[m.end():] if m else ct


def default(ct: str, extension: str) -> str | None:
    """The content type [Content_Types].xml gives *.extension by a Default, None when it gives none."""
    m = _entry(_DEFAULT, ct, "Extension", extension)
    return unescape(_attrs(m.group()).get("ContentType", "")) if m else None


def set_default(ct: str, extension: str, content_type: str) -> str:
    """The content type of every part named *.extension without an Override: replaced, or added."""
    m = _entry(_DEFAULT, ct, "Extension", extension)
    if m:
        return ct[:m.start()] + _set_attr(m.group(), "ContentType", content_type) + ct[m.end():]
    return _before_close(ct, "</Types>", f'<Default Extension="{xml_attr(extension)}" ContentType="{xml_attr(content_type)}"/>')


def has_macros(parts: dict[str, bytes]) -> bool:
    """A package whose workbook part is typed macroEnabled (xlsm, xltm, xlam) or that carries a VBA project."""
    return b"macroEnabled" in parts.get(CONTENT_TYPES, b"") or any(n.endswith("vbaProject.bin") for n in parts)


def read_types(data: bytes) -> list[tuple[str, dict[str, str]]]:
    """(Default or Override, its attributes) for each entry, in order: what the renderer writes from."""
    return [(el.tag.split("}")[1], dict(el.attrib)) for el in ET.fromstring(data)]


def overrides(types: list[tuple[str, dict[str, str]]]) -> dict[str, str]:
    """Part name -> content type, for read_types' Overrides."""
    return {a.get("PartName", "").lstrip("/"): a.get("ContentType", "") for tag, a in types if tag == "Override"}


def without_overrides(types: list[tuple[str, dict[str, str]]], drop: Callable[[str, str], bool]) -> list[tuple[str, dict[str, str]]]:
    """read_types' entries less the Overrides drop(part name, content type) is true of."""
    return [(tag, a) for tag, a in types
            if tag != "Override" or not drop(a.get("PartName", "").lstrip("/"), a.get("ContentType", ""))]


def _type_xml(tag: str, attrs: dict[str, str]) -> str:
    return f"<{tag}" + "".join(f' {k}="{xml_attr(v)}"' for k, v in attrs.items()) + "/>"


class TypesWriter:
    """[Content_Types].xml written per workbook: the entries kept from the template serialized once."""

    def __init__(self, kept: Iterable[tuple[str, dict[str, str]]]):
        self._head = DECL + f'<Types xmlns="{_ns.CONTENT_TYPES}">' + "".join(_type_xml(t, a) for t, a in kept)

    def xml(self, overrides: Iterable[tuple[str, str]] = (), defaults: Iterable[tuple[str, str]] = ()) -> bytes:
        """The part with (extension, type) Defaults and then (part, type) Overrides added."""
        extra = [_type_xml("Default", {"Extension": e, "ContentType": c}) for e, c in defaults]
        extra += [_type_xml("Override", {"PartName": "/" + p, "ContentType": c}) for p, c in overrides]
        return (self._head + "".join(extra) + "</Types>").encode("utf-8")


# --- relationships --------------------------------------------------------------------------------------

def rels_path(part: str) -> str:
    """The relationships part of a part ("" is the package: _rels/.rels)."""
    p = PurePosixPath(part)
    return str(p.parent / "_rels" / (p.name + ".rels")) if part else ROOT_RELS


def resolve(base_part: str, target: str) -> str:
    """A relationship target as a part name (relative to the source part's folder, or absolute)."""
    if target.startswith("/"):
        return target[1:]
    parts: list[str] = list(PurePosixPath(base_part).parent.parts) if base_part else []
    for seg in target.split("/"):
        if seg == "..":
            parts.pop() if parts else None
        elif seg and seg != ".":
            parts.append(seg)
    return "/".join(parts)


def relative_target(source_part: str, part: str) -> str:
    """How source_part's relationship names part: relative when it is in the source's folder, else absolute."""
    base = source_part.rsplit("/", 1)[0] if "/" in source_part else ""
    if not base:
        return part
    return part[len(base) + 1:] if part.startswith(base + "/") else "/" + part


def relationships(parts: dict[str, bytes], part: str) -> dict[str, tuple[str, str]]:
    """Relationship id -> (target part, type) for a part; external targets are skipped."""
    data = parts.get(rels_path(part))
    if not data:
        return {}
    out = {}
    for el in ET.fromstring(data):
        if el.get("TargetMode") == "External":
            continue
        out[el.get("Id")] = (resolve(part, el.get("Target")), el.get("Type"))
    return out


def read_rels(data: bytes) -> list[dict[str, str]]:
    """The attributes of each relationship of a .rels part, in order: what the renderer writes from."""
    return [dict(el.attrib) for el in ET.fromstring(data)]


def relationship(rid: str, rtype: str, target: str, **more: str) -> dict[str, str]:
    return {"Id": rid, "Type": rtype, "Target": target, **more}


def _rel_xml(attrs: dict[str, str]) -> str:
    return "<Relationship" + "".join(f' {k}="{xml_attr(v)}"' for k, v in attrs.items()) + "/>"


class RelsWriter:
    """A .rels part written per workbook: the relationships kept from the template serialized once."""

    def __init__(self, kept: Iterable[dict[str, str]] = ()):
        self._head = DECL + f'<Relationships xmlns="{_ns.PKG_REL}">' + "".join(_rel_xml(a) for a in kept)

    def xml(self, extra: Iterable[dict[str, str]] = ()) -> bytes:
        return (self._head + "".join(_rel_xml(a) for a in extra) + "</Relationships>").encode("utf-8")


def rels_xml(rels: Iterable[dict[str, str]]) -> bytes:
    """A whole .rels part."""
    return RelsWriter().xml(rels)


def free_id(taken: Iterable[str], rid: str | None = None, prefix: str = "rId") -> str:
    """A relationship id no other in the part has: rid (then rid2, rid3, ...) when one is asked for,
    else prefix1, prefix2, ... (the first free)."""
    taken = set(taken)
    if rid is not None:
        k, out = 2, rid
        while out in taken:
            out, k = f"{rid}{k}", k + 1
        return out
    n = 1
    while f"{prefix}{n}" in taken:
        n += 1
    return f"{prefix}{n}"


def add_relationship(xml: str | None, rtype: str, target: str, *, rid: str | None = None, prefix: str = "rId",
                     replace_type: bool = False) -> tuple[str, str]:
    """A .rels part (None or "": a new one) with a relationship added at its end; (the part, its id).

    target is written as given (relative_target makes one). replace_type: the part's relationships of
    the same type go first (the package has one VBA project, one ribbon of each version)."""
    if not xml or "<Relationships" not in xml:
        xml = DECL + f'<Relationships xmlns="{_ns.PKG_REL}"></Relationships>'
    xml = re.sub(r"<Relationships\b([^>]*?)\s*/>", r"<Relationships\1></Relationships>", xml, count=1)
    if replace_type:
        xml = re.sub(rf'<Relationship\b[^>]*\bType="{re.escape(xml_attr(rtype))}"[^>]*/>', "", xml)
    new = free_id(re.findall(r'\bId="([^"]+)"', xml), rid, prefix)
    return _before_close(xml, "</Relationships>", _rel_xml(relationship(new, rtype, target))), new


def relate(parts: dict[str, bytes], source_part: str, rtype: str, target: str, **how) -> str:
    """add_relationship on source_part's .rels part inside a package's parts; the new id."""
    rp = rels_path(source_part)
    xml, rid = add_relationship(parts[rp].decode("utf-8") if rp in parts else None, rtype, target, **how)
    parts[rp] = xml.encode("utf-8")
    return rid


# --- the workbook's sheets -----------------------------------------------------------------------------

_SHEETS = re.compile(r"<sheets\b[^>]*>.*?</sheets>", re.S)
_WORKBOOK = re.compile(r"<workbook\b[^>]*>")
# CT_Workbook's children after definedNames: a new <definedNames> goes before the first of them
_AFTER_NAMES = re.compile(r"<(calcPr|oleSize|customWorkbookViews|pivotCaches|smartTagPr|smartTagTypes|webPublishing"
                          r"|fileRecoveryPr|webPublishObjects|extLst)\b")


def r_prefix(wb: str) -> str:
    """The prefix workbook.xml binds the relationships namespace to (r when it binds none)."""
    m = re.search(rf'xmlns:(\w+)="{re.escape(_ns.R)}"', wb)
    return m.group(1) if m else "r"


def sheet_rids(wb: str) -> list[str]:
    """The relationship id of each <sheet> of workbook.xml, in order."""
    return re.findall(r'<sheet\b[^>]*\b\w+:id="([^"]+)"', wb)


def sheet_element(title: str, sheet_id: int, rid: str, attrs: dict[str, str] | None = None, prefix: str = "r") -> str:
    a = "".join(f' {k}="{xml_attr(v)}"' for k, v in (attrs or {}).items())
    return f'<sheet name="{xml_attr(title)}" sheetId="{sheet_id}"{a} {prefix}:id="{rid}"/>'


def _with_r_namespace(wb: str) -> str:
    start = _WORKBOOK.search(wb)
    if start and "xmlns:r=" not in start.group():
        return wb[:start.start()] + f'<workbook xmlns:r="{_ns.R}"' + wb[start.start() + len("<workbook"):]
    return wb


def register_sheet(parts: dict[str, bytes], workbook_part: str, title: str, sheet_part: str, *,
                   attrs: dict[str, str] | None = None, rid: str = "rIdPbSheet") -> str:
    """A new worksheet part made a sheet of the workbook: its content type, the workbook's relationship
    to it and its <sheet> at the end of <sheets> (sheetId one past the largest); the relationship id."""
    parts[CONTENT_TYPES] = set_override(parts[CONTENT_TYPES].decode("utf-8"), sheet_part, CT_WORKSHEET).encode("utf-8")
    new = relate(parts, workbook_part, _ns.REL_WORKSHEET, relative_target(workbook_part, sheet_part), rid=rid)
    wb = parts[workbook_part].decode("utf-8")
    ids = [int(x) for x in re.findall(r'<sheet\b[^>]*\bsheetId="(\d+)"', wb)] or [0]
    prefix = r_prefix(wb)
    wb = _before_close(wb, "</sheets>", sheet_element(title, max(ids) + 1, new, attrs, prefix))
    if prefix == "r" and "xmlns:r=" not in wb:
        wb = wb.replace("<workbook ", f'<workbook xmlns:r="{_ns.R}" ', 1)
    parts[workbook_part] = wb.encode("utf-8")
    return new


# --- defined names -----------------------------------------------------------------------------------

_NAMES = re.compile(r"<definedNames\s*/>|<definedNames\b[^>]*>.*?</definedNames>", re.S)
_NAME = re.compile(r"<definedName\b([^>]*?)(?:/>|>(.*?)</definedName>)", re.S)


@dataclass(frozen=True)
class DefinedName:
    """A <definedName> as the file has it: its attributes and formula text as written (XML-escaped)."""

    attrs: str
    text: str

    @property
    def name(self) -> str:
        return unescape(_attrs(self.attrs).get("name", ""))

    @property
    def local_sheet(self) -> int | None:
        v = _attrs(self.attrs).get("localSheetId")
        return int(v) if v is not None and v.isdigit() else None

    def xml(self, text: str | None = None, local_sheet: int | None = None) -> str:
        """The element, with its (escaped) formula text or its sheet index changed."""
        a = self.attrs
        if local_sheet is not None:
            a = re.sub(r'localSheetId="\d+"', f'localSheetId="{local_sheet}"', a)
        return f"<definedName{a}>{self.text if text is None else text}</definedName>"


def defined_names(wb: str) -> list[DefinedName]:
    """The workbook's defined names, in order."""
    m = _NAMES.search(wb)
    return [DefinedName(d.group(1), d.group(2) or "") for d in _NAME.finditer(m.group())] if m else []


def defined_name(name: str, formula: str, local_sheet: int | None = None, *, escaped: bool = False) -> str:
    """A <definedName> element, the name escaped for an attribute and the formula (unless escaped) for text."""
    where = f' localSheetId="{local_sheet}"' if local_sheet is not None else ""
    return f'<definedName name="{xml_attr(name)}"{where}>{formula if escaped else escape(formula)}</definedName>'


def _same_name(a: DefinedName, b: DefinedName) -> bool:
    """Excel's names ignore case; a sheet-scoped one is another name than a workbook-scoped one."""
    return a.name.lower() == b.name.lower() and a.local_sheet == b.local_sheet


def add_defined_names(wb: str, items: Iterable[str]) -> str:
    """workbook.xml with <definedName> elements added: one of the same name and scope is replaced where it
    stands, the others appended to <definedNames> (made where CT_Workbook puts it when there is none)."""
    new = [DefinedName(m.group(1), m.group(2) or "") for it in items for m in [_NAME.match(it)] if m]
    if not new:
        return wb
    block = _NAMES.search(wb)
    if block is None:
        m = _AFTER_NAMES.search(wb)
        pos = m.start() if m else wb.rfind("</workbook>")
        return wb[:pos] + "<definedNames>" + "".join(n.xml() for n in new) + "</definedNames>" + wb[pos:]
    body = block.group()
    if body.endswith("/>"):
        body = "<definedNames></definedNames>"
    rest = []
    for n in new:
        old = next((m for m in _NAME.finditer(body) if _same_name(DefinedName(m.group(1), m.group(2) or ""), n)), None)
        if old:
            body = body[:old.start()] + n.xml() + body[old.end():]
        else:
            rest.append(n.xml())
    body = _before_close(body, "</definedNames>", "".join(rest))
    return wb[:block.start()] + body + wb[block.end():]


class WorkbookXml:
    """workbook.xml read once and written per workbook with its own <sheets> and <definedNames>.

    The template's sheet list goes (and with it activeTab and firstSheet, which index it); the r
    namespace is bound on <workbook>, since every <sheet> uses it."""

    def __init__(self, wb: str):
        self.names = defined_names(wb)
        xml = _SHEETS.sub("\x00", wb)
        xml = re.sub(r"\s*\bactiveTab=\"\d+\"", "", xml)
        xml = re.sub(r"\s*\bfirstSheet=\"\d+\"", "", xml)
        xml = _NAMES.sub("", _with_r_namespace(xml))
        m = _AFTER_NAMES.search(xml)
        pos = m.start() if m else xml.rfind("</workbook>")
        self._pieces = (xml[:pos] + "\x01" + xml[pos:]).split("\x00")

    def xml(self, sheets: Iterable[str], names: Iterable[str]) -> str:
        block = "".join(names)
        block = "<definedNames>" + block + "</definedNames>" if block else ""
        inner = "<sheets>" + "".join(sheets) + "</sheets>"
        return inner.join(self._pieces).replace("\x01", block)


# --- codeNames (what VBA's document modules are bound to) ------------------------------------------------

_SHEETPR = re.compile(r"<sheetPr\b([^>]*?)(/?)>")
_WORKBOOKPR = re.compile(r"<workbookPr\b([^>]*?)(/?)>")
_CODENAME = re.compile(r'\bcodeName="([^"]*)"')


def sheet_codename(xml: str) -> str | None:
    """The codeName on a worksheet's <sheetPr> (only the head before <sheetData> need be given)."""
    m = _SHEETPR.search(xml)
    c = _CODENAME.search(m.group(1)) if m else None
    return c.group(1) if c else None


def workbook_codename(wb: str) -> str | None:
    m = _WORKBOOKPR.search(wb)
    c = _CODENAME.search(m.group(1)) if m else None
    return c.group(1) if c else None


def _set_codename(m: re.Match, el: str, name: str) -> str:
    """codeName replaced where it stands, or added as the element's last attribute."""
    if _CODENAME.search(m.group(1)):
        return _set_attr(m.group(), "codeName", name)
    return f'<{el}{m.group(1).rstrip()} codeName="{xml_attr(name)}"{m.group(2)}>'


def set_sheet_codename(xml: str, name: str) -> str:
    """codeName on the sheet's <sheetPr> (created as the worksheet's first child when missing)."""
    m = _SHEETPR.search(xml)
    if m:
        return xml[:m.start()] + _set_codename(m, "sheetPr", name) + xml[m.end():]
    w = re.search(r"<(?:\w+:)?worksheet\b[^>]*>", xml)
    if not w:
        raise PerfbookError("工作表 XML 缺少 worksheet 元素", "a worksheet part has no <worksheet> element")
    return xml[:w.end()] + f'<sheetPr codeName="{xml_attr(name)}"/>' + xml[w.end():]


def set_workbook_codename(wb: str, name: str) -> str:
    """codeName on <workbookPr> (created where CT_Workbook puts it when missing)."""
    m = _WORKBOOKPR.search(wb)
    if m:
        return wb[:m.start()] + _set_codename(m, "workbookPr", name) + wb[m.end():]
    # CT_Workbook order: fileVersion, fileSharing, workbookPr, ...
    after = re.search(r"<(?:fileSharing|fileVersion)\b[^>]*?(?:/>|>.*?</(?:fileSharing|fileVersion)>)", wb, re.S)
    start = _WORKBOOK.search(wb)
    pos = after.end() if after else (start.end() if start else 0)
    return wb[:pos] + f'<workbookPr codeName="{xml_attr(name)}"/>' + wb[pos:]
