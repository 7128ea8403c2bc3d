"""ooxml/_parts: the package's bookkeeping edited as Excel writes it.

Where it fits, the expected value is a part of a file Excel itself saved (shared/samples/excel-made,
from XlsxWriter's comparison suite): comment01.xlsx is a plain workbook, macro01.xlsm the same kind of
workbook made macro-enabled by Excel. Results are read back with ElementTree, not with the code under test.
"""
from __future__ import annotations

import io
import zipfile
from xml.etree import ElementTree as ET

import pytest

from perfbook.ooxml import _ns, _parts as P
from tests.conftest import SHARED, need_shared

SAMPLES = need_shared(SHARED / "samples" / "excel-made")
CT = "{http://schemas.openxmlformats.org/package/2006/content-types}"
MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
XLSM_MAIN_CT = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"


def _parts(name: str) -> dict[str, bytes]:
    with zipfile.ZipFile(SAMPLES / name) as z:
        return {n: z.read(n) for n in z.namelist()}


def _text(name: str, part: str) -> str:
    return _parts(name)[part].decode("utf-8")


def _overrides(ct: str, part: str) -> list[dict]:
    return [dict(e.attrib) for e in ET.fromstring(ct) if e.tag == CT + "Override" and e.get("PartName") == "/" + part]


# --- content types -----------------------------------------------------------------------------------

def test_a_workbook_made_macro_enabled_gets_the_type_excel_gives_it():
    ct = P.set_override(_text("comment01.xlsx", "[Content_Types].xml"), "xl/workbook.xml", XLSM_MAIN_CT)
    excel = _overrides(_text("macro01.xlsm", "[Content_Types].xml"), "xl/workbook.xml")
    assert _overrides(ct, "xl/workbook.xml") == excel


def test_re_registering_a_content_type_replaces_it_rather_than_adding_another():
    ct = _text("comment01.xlsx", "[Content_Types].xml")
    once = P.set_override(ct, "xl/worksheets/sheet9.xml", "text/plain")
    twice = P.set_override(once, "xl/worksheets/sheet9.xml", P.CT_WORKSHEET)
    assert _overrides(twice, "xl/worksheets/sheet9.xml") == [{"PartName": "/xl/worksheets/sheet9.xml", "ContentType": P.CT_WORKSHEET}]
    assert len(ET.fromstring(twice)) == len(ET.fromstring(ct)) + 1
    # part names compare without case (Open Packaging); the rest of the part keeps its bytes
    again = P.set_override(twice, "XL/Worksheets/Sheet9.xml", "text/plain")
    assert len(ET.fromstring(again)) == len(ET.fromstring(twice))
    assert again.replace("text/plain", P.CT_WORKSHEET) == twice


def test_an_override_is_read_and_removed_by_its_part_name():
    ct = _text("comment01.xlsx", "[Content_Types].xml")
    assert P.override(ct, "xl/comments1.xml") == "application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml"
    assert P.override(ct, "xl/comments2.xml") is None
    gone = P.remove_override(ct, "xl/comments1.xml")
    assert _overrides(gone, "xl/comments1.xml") == [] and len(ET.fromstring(gone)) == len(ET.fromstring(ct)) - 1
    assert P.remove_override(ct, "xl/comments2.xml") == ct


def test_a_default_is_added_once():
    ct = _text("comment01.xlsx", "[Content_Types].xml")          # Excel's own vml Default is there
    vml = "application/vnd.openxmlformats-officedocument.vmlDrawing"
    assert P.default(ct, "VML") == vml
    assert P.set_default(ct, "vml", vml) == ct
    plain = _text("defined_name02.xlsx", "[Content_Types].xml")   # none there
    assert P.default(plain, "vml") is None
    added = P.set_default(plain, "vml", vml)
    assert [e.get("ContentType") for e in ET.fromstring(added) if e.get("Extension") == "vml"] == [vml]


def test_types_writer_writes_what_it_was_given_and_what_is_added():
    types = P.read_types(_parts("comment01.xlsx")["[Content_Types].xml"])
    kept = P.without_overrides(types, lambda part, ct: part.startswith("xl/worksheets/"))
    data = P.TypesWriter(kept).xml([("xl/worksheets/sheet7.xml", P.CT_WORKSHEET)], [("png", "image/png")])
    root = ET.fromstring(data)
    assert root.tag == CT + "Types"
    got = [(e.tag.replace(CT, ""), dict(e.attrib)) for e in root]
    assert got == kept + [("Default", {"Extension": "png", "ContentType": "image/png"}),
                          ("Override", {"PartName": "/xl/worksheets/sheet7.xml", "ContentType": P.CT_WORKSHEET})]
    assert "xl/worksheets/sheet1.xml" in P.overrides(types) and "xl/worksheets/sheet1.xml" not in P.overrides(kept)


def test_has_macros():
    assert P.has_macros(_parts("macro01.xlsm")) and not P.has_macros(_parts("comment01.xlsx"))


# --- relationships -----------------------------------------------------------------------------------

def test_a_relationship_added_beside_rid1_to_rid4_is_rid5_and_is_the_one_excel_writes():
    rels = _text("comment01.xlsx", "xl/_rels/workbook.xml.rels")
    assert sorted(e.get("Id") for e in ET.fromstring(rels)) == ["rId1", "rId2", "rId3", "rId4"]
    target = P.relative_target("xl/workbook.xml", "xl/vbaProject.bin")
    xml, rid = P.add_relationship(rels, _ns.REL_VBA, target)
    assert rid == "rId5"
    excel = [dict(e.attrib) for e in ET.fromstring(_text("macro01.xlsm", "xl/_rels/workbook.xml.rels"))
             if e.get("Type") == _ns.REL_VBA]
    mine = [dict(e.attrib) for e in ET.fromstring(xml) if e.get("Type") == _ns.REL_VBA]
    assert [{k: v for k, v in a.items() if k != "Id"} for a in mine] == [{k: v for k, v in a.items() if k != "Id"} for a in excel]
    assert xml.startswith(rels[:rels.rfind("</Relationships>")])       # the others kept byte for byte


def test_a_relationship_id_is_free():
    three = (f'<Relationships xmlns="{_ns.PKG_REL}"><Relationship Id="rId1" Type="t" Target="a"/>'
             '<Relationship Id="rId2" Type="t" Target="b"/><Relationship Id="rId3" Type="t" Target="c"/></Relationships>')
    assert P.add_relationship(three, "u", "d")[1] == "rId4"
    assert P.add_relationship(three, "u", "d", rid="rId2")[1] == "rId22"
    assert P.add_relationship(three, "u", "d", rid="rIdPb")[1] == "rIdPb"
    assert P.free_id(["rIdPbVba", "rIdPbVba2"], "rIdPbVba") == "rIdPbVba3"
    assert P.free_id(["rIdPb1", "rIdPb3"], prefix="rIdPb") == "rIdPb2"


def test_replace_type_keeps_one_relationship_of_that_type():
    rels = _text("macro01.xlsm", "xl/_rels/workbook.xml.rels")
    xml, rid = P.add_relationship(rels, _ns.REL_VBA, "vbaProject.bin", rid="rIdPbVba", replace_type=True)
    vba = [e.get("Id") for e in ET.fromstring(xml) if e.get("Type") == _ns.REL_VBA]
    assert vba == [rid] == ["rIdPbVba"]
    assert len(ET.fromstring(xml)) == len(ET.fromstring(rels))


def test_a_missing_or_empty_rels_part_is_made():
    for before in (None, "", f'<?xml version="1.0"?><Relationships xmlns="{_ns.PKG_REL}"/>'):
        xml, rid = P.add_relationship(before, _ns.REL_WORKSHEET, "worksheets/sheet1.xml")
        root = ET.fromstring(xml.encode())
        assert rid == "rId1" and [dict(e.attrib) for e in root] == [
            {"Id": "rId1", "Type": _ns.REL_WORKSHEET, "Target": "worksheets/sheet1.xml"}]


def test_relate_writes_into_the_package():
    parts = _parts("comment01.xlsx")
    rid = P.relate(parts, "xl/worksheets/sheet1.xml", _ns.R + "/drawing", "../drawings/drawing1.xml", prefix="rIdPb")
    assert rid == "rIdPb1"
    root = ET.fromstring(parts["xl/worksheets/_rels/sheet1.xml.rels"])
    assert root[-1].attrib == {"Id": "rIdPb1", "Type": _ns.R + "/drawing", "Target": "../drawings/drawing1.xml"}
    assert P.relationships(parts, "xl/worksheets/sheet1.xml")[rid] == ("xl/drawings/drawing1.xml", _ns.R + "/drawing")


def test_rels_writer_escapes_and_keeps_order():
    kept = P.read_rels(_parts("comment01.xlsx")["_rels/.rels"])
    data = P.RelsWriter(kept).xml([P.relationship("rIdX", "t", "a&b.xml")])
    assert [dict(e.attrib) for e in ET.fromstring(data)] == kept + [{"Id": "rIdX", "Type": "t", "Target": "a&b.xml"}]


def test_part_names():
    assert P.rels_path("xl/workbook.xml") == "xl/_rels/workbook.xml.rels" and P.rels_path("") == "_rels/.rels"
    assert P.resolve("xl/worksheets/sheet1.xml", "../drawings/d.xml") == "xl/drawings/d.xml"
    assert P.resolve("xl/workbook.xml", "/xl/styles.xml") == "xl/styles.xml"
    assert P.relative_target("xl/workbook.xml", "customUI/customUI14.xml") == "/customUI/customUI14.xml"
    assert P.relative_target("", "xl/workbook.xml") == "xl/workbook.xml"


# --- sheets ------------------------------------------------------------------------------------------

def test_a_registered_sheet_opens_in_openpyxl_as_a_hidden_sheet():
    openpyxl = pytest.importorskip("openpyxl")
    parts = _parts("defined_name01.xlsx")
    parts["xl/worksheets/sheet9.xml"] = (f'<worksheet xmlns="{_ns.MAIN}"><sheetData><row r="1"><c r="A1" t="inlineStr">'
                                         '<is><t>x</t></is></c></row></sheetData></worksheet>').encode()
    rid = P.register_sheet(parts, "xl/workbook.xml", "列表 & <名>", "xl/worksheets/sheet9.xml", attrs={"state": "hidden"})
    wb = ET.fromstring(parts["xl/workbook.xml"])
    new = wb.find(f"{MAIN}sheets")[-1]
    assert new.get("sheetId") == "4" and new.get("name") == "列表 & <名>" and new.get(f"{{{_ns.R}}}id") == rid
    assert P.relationships(parts, "xl/workbook.xml")[rid] == ("xl/worksheets/sheet9.xml", _ns.REL_WORKSHEET)
    assert _overrides(parts["[Content_Types].xml"].decode(), "xl/worksheets/sheet9.xml")[0]["ContentType"] == P.CT_WORKSHEET
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for n in P.package_order(parts):
            z.writestr(n, parts[n])
    book = openpyxl.load_workbook(io.BytesIO(buf.getvalue()))
    assert book.sheetnames[-1] == "列表 & <名>" and book["列表 & <名>"].sheet_state == "hidden"
    assert book["列表 & <名>"]["A1"].value == "x"


def test_a_workbook_written_with_its_own_sheets_and_names():
    wb = _text("defined_name01.xlsx", "xl/workbook.xml").replace("<workbookView ", '<workbookView activeTab="2" ')
    w = P.WorkbookXml(wb)
    assert [(n.name, n.local_sheet) for n in w.names] == [
        (e.get("name"), int(e.get("localSheetId")) if e.get("localSheetId") else None)
        for e in ET.fromstring(wb).find(f"{MAIN}definedNames")]
    root = ET.fromstring(w.xml([P.sheet_element("甲", 1, "rIdPb1")], [w.names[0].xml(local_sheet=None)]))
    assert [s.get("name") for s in root.find(f"{MAIN}sheets")] == ["甲"]
    assert [e.get("name") for e in root.find(f"{MAIN}definedNames")] == ["_Egg"]
    assert root.find(f"{MAIN}bookViews")[0].get("activeTab") is None
    children = [c.tag.replace(MAIN, "") for c in root]
    assert children.index("definedNames") == children.index("calcPr") - 1
    assert ET.fromstring(w.xml([], [])).find(f"{MAIN}definedNames") is None


# --- defined names -----------------------------------------------------------------------------------

def test_a_defined_name_is_escaped():
    el = ET.fromstring(P.defined_name('a&b<"c', 'x&"y"<z>', 2))
    assert el.get("name") == 'a&b<"c' and el.text == 'x&"y"<z>' and el.get("localSheetId") == "2"
    assert ET.fromstring(P.defined_name("n", "A&amp;B", escaped=True)).text == "A&B"


def test_names_are_read_as_excel_wrote_them():
    wb = _text("defined_name01.xlsx", "xl/workbook.xml")
    got = [(n.name, n.local_sheet, n.text) for n in P.defined_names(wb)]
    want = [(e.get("name"), int(e.get("localSheetId")) if e.get("localSheetId") else None, e.text)
            for e in ET.fromstring(wb).find(f"{MAIN}definedNames")]
    assert [(a, b, c.replace("&apos;", "'")) for a, b, c in got] == want
    assert P.defined_names(_text("comment01.xlsx", "xl/workbook.xml")) == []


def test_a_name_of_the_same_scope_is_replaced_another_scope_added():
    wb = _text("defined_name02.xlsx", "xl/workbook.xml")
    out = P.add_defined_names(wb, [P.defined_name("SALES", "'sheet One'!$A$1"), P.defined_name("Sales", "$B$2", 0)])
    names = [(e.get("name"), e.get("localSheetId"), e.text) for e in ET.fromstring(out).find(f"{MAIN}definedNames")]
    assert names == [("SALES", None, "'sheet One'!$A$1"), ("Sales", "0", "$B$2")]


def test_names_go_where_ct_workbook_puts_them():
    wb = _text("comment01.xlsx", "xl/workbook.xml")
    out = P.add_defined_names(wb, [P.defined_name("kind", '"selfeval"')])
    children = [c.tag.replace(MAIN, "") for c in ET.fromstring(out)]
    assert children == ["fileVersion", "workbookPr", "bookViews", "sheets", "definedNames", "calcPr"]
    assert P.add_defined_names(wb, []) == wb
    empty = wb.replace("<calcPr", "<definedNames/><calcPr")
    assert P.add_defined_names(empty, [P.defined_name("kind", '"selfeval"')]) == out


# --- codeNames ---------------------------------------------------------------------------------------

def test_the_codenames_excel_gives_a_macro_workbook():
    wb = P.set_workbook_codename(_text("comment01.xlsx", "xl/workbook.xml"), "ThisWorkbook")
    excel = ET.fromstring(_text("macro01.xlsm", "xl/workbook.xml")).find(f"{MAIN}workbookPr").attrib
    assert ET.fromstring(wb).find(f"{MAIN}workbookPr").attrib == excel
    assert P.workbook_codename(_text("macro01.xlsm", "xl/workbook.xml")) == "ThisWorkbook"   # not fileVersion's
    sheet = P.set_sheet_codename(_text("defined_name02.xlsx", "xl/worksheets/sheet1.xml"), "Sheet1")
    excel_sheet = ET.fromstring(_text("macro01.xlsm", "xl/worksheets/sheet1.xml"))
    assert ET.fromstring(sheet)[0].tag == excel_sheet[0].tag == f"{MAIN}sheetPr"
    assert ET.fromstring(sheet)[0].attrib == excel_sheet[0].attrib
    assert P.sheet_codename(sheet) == "Sheet1" and P.sheet_codename(_text("comment01.xlsx", "xl/workbook.xml")) is None


def test_a_codename_is_replaced_where_it_stands():
    head = '<worksheet xmlns="x"><sheetPr codeName="Sheet1" filterMode="1"><tabColor rgb="FF0000"/></sheetPr>'
    assert P.set_sheet_codename(head, "Sheet1_2") == head.replace('"Sheet1"', '"Sheet1_2"')
    wb = _text("macro01.xlsm", "xl/workbook.xml")
    assert P.set_workbook_codename(wb, "Book") == wb.replace('workbookPr codeName="ThisWorkbook"', 'workbookPr codeName="Book"')
    bare = '<workbook xmlns="x"><fileVersion appName="xl"/><sheets/></workbook>'
    assert P.set_workbook_codename(bare, "W") == '<workbook xmlns="x"><fileVersion appName="xl"/><workbookPr codeName="W"/><sheets/></workbook>'
    with pytest.raises(Exception, match="worksheet"):
        P.set_sheet_codename("<nothing/>", "S")
