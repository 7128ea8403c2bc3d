"""Open Packaging checks for the files perfbook writes: what Excel's repair prompt would complain about."""
from __future__ import annotations

import posixpath
import re
import zipfile

from defusedxml import ElementTree as ET

CT_NS = "{http://schemas.openxmlformats.org/package/2006/content-types}"


def problems(path) -> list[str]:
    out = []
    zf = zipfile.ZipFile(path)
    names = set(zf.namelist())
    if zf.namelist()[0] != "[Content_Types].xml":
        out.append("[Content_Types].xml is not the first entry")
    ct = ET.fromstring(zf.read("[Content_Types].xml"))
    defaults = {e.get("Extension").lower() for e in ct if e.tag == CT_NS + "Default"}
    overrides = {e.get("PartName").lstrip("/") for e in ct if e.tag == CT_NS + "Override"}
    for o in overrides - names:
        out.append(f"content type override for a missing part: {o}")
    for n in names:
        if n.endswith("/"):
            continue
        if n not in overrides and n.rsplit(".", 1)[-1].lower() not in defaults:
            out.append(f"part without a content type: {n}")
        if n.endswith((".xml", ".rels")):
            try:
                root = ET.fromstring(zf.read(n))
            except Exception as exc:  # noqa: BLE001
                out.append(f"{n}: not well-formed XML ({exc})")
                continue
            if n.endswith(".rels"):
                base = posixpath.dirname(posixpath.dirname(n))
                ids = set()
                for rel in root:
                    if rel.get("Id") in ids:
                        out.append(f"{n}: duplicate relationship id {rel.get('Id')}")
                    ids.add(rel.get("Id"))
                    if rel.get("TargetMode") == "External":
                        continue
                    t = rel.get("Target")
                    target = t.lstrip("/") if t.startswith("/") else posixpath.normpath(posixpath.join(base, t))
                    if target not in names:
                        out.append(f"{n}: relationship {rel.get('Id')} points at a missing part {target}")
    wb = zf.read("xl/workbook.xml").decode("utf-8")
    sheet_names = re.findall(r'<sheet\b[^>]*\bname="([^"]*)"', wb)
    if len(set(n.lower() for n in sheet_names)) != len(sheet_names):
        out.append("duplicate sheet names")
    for n in sheet_names:
        if len(n) > 31 or re.search(r"[\[\]:*?/\\]", n):
            out.append(f"illegal sheet name {n!r}")
    selected = sum(1 for n in names if n.startswith("xl/worksheets/sheet")
                   and re.search(rb'tabSelected="(1|true)"', zf.read(n)))
    if selected > 1:
        out.append(f"{selected} sheets are tab-selected (Excel would open them grouped)")
    return out
