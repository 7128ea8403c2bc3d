"""A structural check of a workbook package: what Excel's repair prompt or its refusal would complain about.

On top of tests.support.opc.problems (content types, relationship targets, sheet names):
- every XML part with a schema in ../shared/schemas/ valid against it (ISO 29500 transitional sml.xsd
  for workbook/worksheet/styles/strings/comments, dml-spreadsheetDrawing for drawings, the document-
  property schemas, the OPC schemas for [Content_Types].xml and .rels, customUI14/customUI for the
  ribbon). Markup compatibility is processed first as Office does ([MS-ODRAWXML]/ISO 29500-3):
  attributes and elements of namespaces the part declares mc:Ignorable are dropped, mc:AlternateContent
  becomes its mc:Fallback. The x14 extension parts (inside extLst) are not checked: no schema here;
- the workbook part's content type matches the file's extension;
- every style index (cell s=, row s=, col style=) exists in styles.xml's cellXfs;
- every number cell a finite number; no row taller than 409.5 pt, no cell text longer than 32,767 characters.
Two places where the schemas are stricter than Excel are relaxed, each because an Excel-made file does it:
xml:space on <t> (the schema types <t> as a bare string), and [Content_Types].xml not as the first entry.
The same check passes every Excel-made file in ../shared/samples/excel-made/ (tests/test_ooxml_check.py),
so it is no stricter than Excel.
"""
from __future__ import annotations

import math
import re
import zipfile
from functools import cache
from pathlib import Path

from lxml import etree

from tests.conftest import SHARED, need_shared
from tests.support.opc import problems as opc_problems

SCHEMAS = SHARED / "schemas"
ISO = SCHEMAS / "ISO-IEC29500-4_2016"
MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
EXT_CT = {
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
    ".xltx": "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml",
    ".xlsm": "application/vnd.ms-excel.sheet.macroEnabled.main+xml",
    ".xltm": "application/vnd.ms-excel.template.macroEnabled.main+xml",
    ".xlam": "application/vnd.ms-excel.addin.macroEnabled.main+xml",
}
# content type (suffix after the last '.') -> schema file
BY_TYPE = {
    "spreadsheetml.worksheet+xml": ISO / "sml.xsd",
    "spreadsheetml.styles+xml": ISO / "sml.xsd",
    "spreadsheetml.sharedStrings+xml": ISO / "sml.xsd",
    "spreadsheetml.comments+xml": ISO / "sml.xsd",
    "spreadsheetml.calcChain+xml": ISO / "sml.xsd",
    "drawing+xml": ISO / "dml-spreadsheetDrawing.xsd",
    "extended-properties+xml": ISO / "shared-documentPropertiesExtended.xsd",
    "custom-properties+xml": ISO / "shared-documentPropertiesCustom.xsd",
    "theme+xml": ISO / "dml-main.xsd",
}
MAX_ROW_PT = 409.5
MAX_TEXT = 32767


@cache
def _lxml_schema(path: Path):
    return etree.XMLSchema(etree.parse(str(path)))


@cache
def _ribbon_schema(version: int):
    import xmlschema  # libxml2 rejects Microsoft's customUI schemas
    return xmlschema.XMLSchema(str(SCHEMAS / "customui" / ("customUI14.xsd" if version == 14 else "customUI.xsd")))


def _mce(root):
    """Markup compatibility as a consumer applies it: ignorable namespaces dropped, AlternateContent
    replaced by its Fallback."""
    ignorable = set()
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        ig = el.get(f"{{{MC}}}Ignorable")
        if ig:
            ignorable |= {el.nsmap.get(p) for p in ig.split()}
    for ac in list(root.iter(f"{{{MC}}}AlternateContent")):
        parent = ac.getparent()
        fb = ac.find(f"{{{MC}}}Fallback")
        idx = parent.index(ac)
        parent.remove(ac)
        for k, child in enumerate(list(fb) if fb is not None else []):
            parent.insert(idx + k, child)
    for el in list(root.iter()):
        if not isinstance(el.tag, str):
            continue
        for a in list(el.attrib):
            ns = a[1:].split("}")[0] if a.startswith("{") else None
            if ns in ignorable or ns == MC:
                del el.attrib[a]
        if el.getparent() is not None and etree.QName(el).namespace in ignorable:
            el.getparent().remove(el)
    return root


XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"


def _validate(name: str, data: bytes, schema_path: Path) -> list[str]:
    root = _mce(etree.fromstring(data))
    # the transitional schema types <t> as a bare string, yet Excel itself writes xml:space="preserve" on it
    for el in root.iter(f"{{{MAIN}}}t"):
        el.attrib.pop(XML_SPACE, None)
    schema = _lxml_schema(schema_path)
    if schema.validate(root):
        return []
    return [f"{name}: {e.message} (line {e.line})" for e in list(schema.error_log)[:3]]


def content_types(zf) -> dict[str, str]:
    ct = etree.fromstring(zf.read("[Content_Types].xml"))
    defaults = {e.get("Extension").lower(): e.get("ContentType") for e in ct if e.tag.endswith("Default")}
    over = {e.get("PartName").lstrip("/"): e.get("ContentType") for e in ct if e.tag.endswith("Override")}
    return {n: over.get(n) or defaults.get(n.rsplit(".", 1)[-1].lower(), "") for n in zf.namelist()}


def problems(path) -> list[str]:
    need_shared(SCHEMAS)            # the schemas are in ../shared: skipped without it, an error under CI=true
    path = Path(path)
    # Excel itself does not always put [Content_Types].xml first (macro04.xlsm): not a defect
    out = [p for p in opc_problems(path) if p != "[Content_Types].xml is not the first entry"]
    with zipfile.ZipFile(path) as zf:
        types = content_types(zf)
        names = zf.namelist()
        # the package's own parts
        out += _validate("[Content_Types].xml", zf.read("[Content_Types].xml"),
                         SCHEMAS / "ecma" / "fouth-edition" / "opc-contentTypes.xsd")
        for n in names:
            if n.endswith(".rels"):
                out += _validate(n, zf.read(n), SCHEMAS / "ecma" / "fouth-edition" / "opc-relationships.xsd")
        main = next((n for n, t in types.items() if t in EXT_CT.values()), None)
        if main is None:
            out.append("no workbook part with a spreadsheet content type")
        elif EXT_CT.get(path.suffix.lower()) not in (None, types[main]):
            out.append(f"extension {path.suffix} but workbook content type {types[main]}")
        if main:
            out += _validate(main, zf.read(main), ISO / "sml.xsd")
        for n, t in types.items():
            schema = next((s for k, s in BY_TYPE.items() if t.endswith(k)), None)
            if schema is not None:
                out += _validate(n, zf.read(n), schema)
        for n in names:
            if n.lower().startswith("customui/") and n.endswith(".xml"):
                version = 14 if "14" in n else 12
                try:
                    _ribbon_schema(version).validate(zf.read(n).decode("utf-8"))
                except Exception as exc:  # noqa: BLE001
                    out.append(f"{n}: {str(exc).splitlines()[0]}")
        out += _limits(zf, types)
    return out


def _finite(text) -> bool:
    try:
        return math.isfinite(float(text))
    except (TypeError, ValueError):
        return False


def _limits(zf, types) -> list[str]:
    out = []
    styles = next((n for n, t in types.items() if t.endswith("spreadsheetml.styles+xml")), None)
    n_xf = 0
    if styles:
        st = etree.fromstring(zf.read(styles))
        xfs = st.find(f"{{{MAIN}}}cellXfs")
        n_xf = len(xfs) if xfs is not None else 0
    for n, t in types.items():
        if not t.endswith("spreadsheetml.worksheet+xml"):
            continue
        root = etree.fromstring(zf.read(n))
        for el in root.iter(f"{{{MAIN}}}c", f"{{{MAIN}}}row", f"{{{MAIN}}}col"):
            s = el.get("style" if el.tag.endswith("}col") else "s")
            if s is not None and int(s) >= max(n_xf, 1):
                out.append(f"{n}: style index {s} of {el.get('r') or el.tag} not in cellXfs ({n_xf})")
            ht = el.get("ht")
            if ht is not None and float(ht) > MAX_ROW_PT:
                out.append(f"{n}: row {el.get('r')} is {ht} pt (Excel allows {MAX_ROW_PT})")
        for c in root.iter(f"{{{MAIN}}}c"):
            v = c.find(f"{{{MAIN}}}v")
            if v is not None and v.text and c.get("t", "n") == "n" and not _finite(v.text):
                out.append(f"{n}: cell {c.get('r')} holds {v.text!r} as a number (Excel repairs it)")
        for t_el in root.iter(f"{{{MAIN}}}t", f"{{{MAIN}}}v"):
            text = t_el.text or ""
            units = len(re.sub(r"_x[0-9A-Fa-f]{4}_", "x", text).encode("utf-16-le", "surrogatepass")) // 2
            if units > MAX_TEXT:
                out.append(f"{n}: a cell holds {units} characters (Excel allows {MAX_TEXT})")
    for n, t in types.items():
        if t.endswith("sharedStrings+xml"):
            for si in etree.fromstring(zf.read(n)).iter(f"{{{MAIN}}}si"):
                text = "".join(si.itertext())
                if len(text.encode("utf-16-le", "surrogatepass")) // 2 > MAX_TEXT:
                    out.append(f"{n}: a shared string over {MAX_TEXT} characters")
    return out
