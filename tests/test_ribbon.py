"""The 绩效目标 ribbon: valid against Microsoft's customUI schemas, Excel icons, ids that never collide.

The schemas are ../shared/schemas/customui/ (customUI14.xsd for Office 2010+, customUI.xsd for 2007),
read by the xmlschema package (libxml2 rejects both). The icon ids are Excel command ids
(DataValidation: Data > Data Validation; ClearFormats: Home > Clear > Clear Formats; SheetRowsInsert:
Home > Insert > Insert Sheet Rows; FileDocumentInspect: File > Info > Inspect Document), listed in
Microsoft's "Office Fluent User Interface Control Identifiers" for Excel; the two the ribbon used
before are an Outlook (AcceptInvitation) and a Word (TableRowsOrColumnsOrCellsInsert) id.
"""
from __future__ import annotations

import os
import re
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from perfbook.cli import main
from perfbook.excel import _vba as vba
from tests.conftest import EXAMPLES, SHARED, need_shared

SCHEMAS = str(SHARED / "schemas" / "customui")
EXCEL_ICONS = {"DataValidation", "ClearFormats", "SheetRowsInsert", "FileDocumentInspect"}
NS14 = "http://schemas.microsoft.com/office/2009/07/customui"
NS12 = "http://schemas.microsoft.com/office/2006/01/customui"


def schema(version: int):
    path = os.path.join(SCHEMAS, "customUI14.xsd" if version == 14 else "customUI.xsd")
    need_shared(Path(path))
    import xmlschema  # libxml2 (lxml) rejects both Microsoft schemas
    return xmlschema.XMLSchema(path).validate


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    d = tmp_path_factory.mktemp("ribbon")
    wb = d / "filled.xlsm"
    assert main(["fill", str(EXAMPLES / "seed-001.yaml"), "-o", str(wb), "--macros"]) == 0
    addin = d / "perfbook.xlam"
    assert main(["addin", "build", "-o", str(addin)]) == 0
    out = {}
    for kind, path in (("workbook", wb), ("addin", addin)):
        with zipfile.ZipFile(path) as z:
            out[kind] = {14: z.read(vba.UI14_PART), 12: z.read(vba.UI12_PART)}
    return out


@pytest.mark.parametrize("kind", ["workbook", "addin"])
@pytest.mark.parametrize("version", [14, 12])
def test_ribbon_is_valid_against_its_schema(built, kind, version):
    data = built[kind][version]
    root = etree.fromstring(data)
    assert root.tag == f"{{{NS14 if version == 14 else NS12}}}customUI"
    schema(version)(data.decode("utf-8"))


def test_a_broken_ribbon_fails_the_schema():
    bad = vba.ribbon_xml(14).replace(b'size="large"', b'size="huge"', 1)
    import xmlschema
    with pytest.raises(xmlschema.XMLSchemaValidationError):
        schema(14)(bad.decode("utf-8"))


def ids(data: bytes) -> set[str]:
    root = etree.fromstring(data)
    nsmap = {p: u for p, u in root.nsmap.items() if p}
    out = set()
    for el in root.iter():
        for attr in ("id", "idQ"):
            v = el.get(attr)
            if v:
                prefix, _, local = v.rpartition(":")
                out.add(f"{{{nsmap.get(prefix, '')}}}{local}")
    return out


@pytest.mark.parametrize("version", [14, 12])
def test_workbook_and_addin_ids_never_collide_and_the_workbook_tab_steps_aside(built, version):
    wb, addin = built["workbook"][version], built["addin"][version]
    assert ids(wb) and ids(addin) and not ids(wb) & ids(addin)
    tab = etree.fromstring(wb).find(".//{*}tab")
    assert tab.get("getVisible") == "PerfbookRibbon.GetWorkbookTabVisible"
    assert etree.fromstring(addin).find(".//{*}tab").get("getVisible") is None
    src = vba.hand_sources()["PerfbookRibbon"]
    assert re.search(r'Set wb = Application\.Workbooks\("perfbook\.xlam"\)', src)
    assert vba.ribbon_xml(version, addin=True) == addin


@pytest.mark.parametrize("version", [14, 12])
def test_icons_are_excel_ids_and_callbacks_take_an_object(built, version):
    root = etree.fromstring(built["workbook"][version])
    icons = {el.get("imageMso") for el in root.iter() if el.get("imageMso")}
    assert icons and icons <= EXCEL_ICONS
    src = vba.hand_sources()["PerfbookRibbon"]
    assert "IRibbonControl" not in src.split("Option Explicit", 1)[1]
    callbacks = {v for el in root.iter() for k, v in el.attrib.items() if k in ("onAction", "getVisible")}
    for cb in callbacks:
        proc = cb.split(".")[1]
        assert re.search(rf"^Public Sub {proc}\(control As Object\b", src, re.M), cb
