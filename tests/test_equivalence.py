"""Issue 5: the compiled render is the same fill as a plain openpyxl one, only faster.

Both files are read back with openpyxl and compared: cells (value and type), merges, data
validations, conditional formats, defined names, sheet order and state. The render also opens in
LibreOffice, and parts perfbook does not rewrite (macros, the ribbon) travel byte for byte.
"""
from __future__ import annotations

import io
import subprocess
import zipfile

import openpyxl
import pytest
from openpyxl.formatting.rule import FormulaRule
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation

from perfbook.model import Project
from perfbook.write._inputs import load
from perfbook.write._render import Compiled
from perfbook.write._template import Template, default_template_path
from perfbook.write.fill import compiled, meta_for
from tests.conftest import EXAMPLES
from tests.support import reference


def seeds() -> list[Project]:
    return load(EXAMPLES / "seed-000.yaml") + load(EXAMPLES / "seed-001.yaml")


def snapshot(data: bytes) -> dict:
    """Everything the comparison looks at, as openpyxl reads it back."""
    wb = openpyxl.load_workbook(io.BytesIO(data))
    out = {"names": sorted((k, v.attr_text) for k, v in wb.defined_names.items()), "sheets": []}
    for ws in wb.worksheets:
        cells = {}
        for row in ws.iter_rows():
            for c in row:
                v = c.value
                if v is None:
                    continue
                if isinstance(v, float) and v.is_integer():
                    v = int(v)
                cells[c.coordinate] = (v, "s" if c.data_type in ("s", "inlineStr") else c.data_type)
        out["sheets"].append({
            "title": ws.title,
            "state": ws.sheet_state,
            "cells": cells,
            "merges": sorted(str(m) for m in ws.merged_cells.ranges),
            "validations": sorted(
                (" ".join(sorted(str(r) for r in d.sqref.ranges)), d.type, d.operator, d.formula1, d.formula2,
                 bool(d.allow_blank), bool(d.showDropDown), d.showErrorMessage, d.error, d.errorTitle, d.prompt)
                for d in ws.data_validations.dataValidation),
            "formats": sorted((" ".join(sorted(str(r) for r in cf.sqref.ranges)),
                               tuple((r.type, tuple(r.formula or ())) for r in cf.rules))
                              for cf in ws.conditional_formatting),
            "local_names": sorted((k, v.attr_text) for k, v in ws.defined_names.items()),
            "print_titles": ws.print_title_rows,
            "print_area": ws.print_area,
        })
    return out


def assert_same(a: bytes, b: bytes) -> None:
    sa, sb = snapshot(a), snapshot(b)
    assert [s["title"] for s in sa["sheets"]] == [s["title"] for s in sb["sheets"]]
    assert sa["names"] == sb["names"]
    for x, y in zip(sa["sheets"], sb["sheets"]):
        for key in x:
            assert x[key] == y[key], f"{x['title']}: {key} differ"


@pytest.fixture(scope="module")
def rich_template(tmp_path_factory):
    """The default template plus what inject adds and a bureau might: a hidden lists sheet, names,
    drop-downs on the indicator row, a numeric validation, a conditional format, a named block."""
    path = tmp_path_factory.mktemp("tpl") / "rich.xlsx"
    wb = openpyxl.load_workbook(default_template_path())
    ws = wb["绩效目标表"]
    lists = wb.create_sheet("lists")
    lists.sheet_state = "hidden"
    for i, v in enumerate(["产出指标", "效益指标", "满意度指标"], start=1):
        lists.cell(i, 1, v)
    for i, v in enumerate(["≥", "＞", "＝", "＜", "≤", "定性"], start=1):
        lists.cell(i, 2, v)
    wb.defined_names["一级指标列表"] = DefinedName("一级指标列表", attr_text="lists!$A$1:$A$3")
    wb.defined_names["指标性质列表"] = DefinedName("指标性质列表", attr_text="lists!$B$1:$B$6")
    wb.defined_names["指标区"] = DefinedName("指标区", attr_text="'绩效目标表'!$A$10:$J$10")
    for ref, formula in (("A10", "一级指标列表"), ("D10", "指标性质列表")):
        dv = DataValidation(type="list", formula1=formula, allow_blank=True, showErrorMessage=True,
                            error="请从下拉列表中选择", errorTitle="输入有误")
        dv.add(ref)
        ws.add_data_validation(dv)
    num = DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0", allow_blank=True)
    num.add("E10")
    ws.add_data_validation(num)
    ws.conditional_formatting.add("E10", FormulaRule(formula=['AND($D10<>"定性",ISTEXT($E10))']))
    ws.print_area = "A1:J11"
    wb.save(path)
    return path


def as_ranges(src, dst):
    """The same template with every one-cell sqref on the indicator row written as a range (A10:A10),
    the form that grows with the indicator block."""
    with zipfile.ZipFile(src) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    xml = parts["xl/worksheets/sheet1.xml"].decode()
    for col in "ADE":
        xml = xml.replace(f'sqref="{col}10"', f'sqref="{col}10:{col}10"')
    parts["xl/worksheets/sheet1.xml"] = xml.encode()
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as z:
        for n, b in parts.items():
            z.writestr(n, b)
    return dst


CASES = {
    "one filled project": (lambda: seeds()[:1], 0),
    "one project, blank rows added": (lambda: seeds()[1:], 3),
    "blank workbook": (lambda: [Project(name="空白")], 10),
    "no indicator at all": (lambda: [Project(name="无指标")], 0),
    "department of four projects": (lambda: seeds() * 2, 2),
}


@pytest.mark.parametrize("case", CASES)
def test_render_equals_openpyxl_fill_on_a_rich_template(case, rich_template, tmp_path):
    projects, blank = CASES[case][0](), CASES[case][1]
    template = Template.load(as_ranges(rich_template, tmp_path / "rich-ranges.xlsx"))
    fast = Compiled(template).render(projects, blank_rows=blank)
    slow = reference.fill(projects, template, blank_rows=blank)
    assert_same(fast, slow)
    # the rich parts really are there, moved with the grown block
    snap = snapshot(fast)["sheets"][0]
    assert snap["validations"] and snap["formats"]


def test_a_one_cell_validation_on_the_indicator_row_covers_every_indicator_row(rich_template):
    projects = seeds()[:1]
    template = Template.load(rich_template)
    assert_same(Compiled(template).render(projects), reference.fill(projects, template))


@pytest.mark.parametrize("case", ["one filled project", "department of four projects"])
def test_render_equals_openpyxl_fill_on_the_prepared_default_template(case):
    """What perfbook bulk actually writes: the default template after prepare() (drop-downs from inject)."""
    projects, blank = CASES[case][0](), CASES[case][1]
    c = compiled()
    meta = meta_for(None, None)
    assert_same(c.render(projects, blank_rows=blank, meta=meta),
                reference.fill(projects, c.template, blank_rows=blank, meta=meta))


def test_the_rendered_department_workbook_opens_in_libreoffice(soffice, tmp_path, rich_template):
    projects = seeds() * 2
    path = tmp_path / "部门.xlsx"
    path.write_bytes(Compiled(Template.load(rich_template)).render(projects, blank_rows=2))
    pdf = soffice.convert(path, tmp_path / "pdf")
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    flat = text.replace(" ", "")
    for p in projects:
        assert p.name in flat
        assert p.indicators[0].name[:6] in flat.replace("\n", "")


# --- macros and the ribbon ----------------------------------------------------------------------

VBA = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(range(256)) * 40     # stands in for a real vbaProject.bin
RIBBON = ('<customUI xmlns="http://schemas.microsoft.com/office/2009/07/customui"><ribbon><tabs>'
          '<tab id="pb" label="绩效"><group id="g" label="校验"><button id="check" label="校验本表" '
          'onAction="PerfbookCheck"/></group></tab></tabs></ribbon></customUI>').encode("utf-8")


def macro_template(path):
    """The default template with a VBA project and a ribbon part zipped in, as vba.embed_macros does."""
    with zipfile.ZipFile(default_template_path()) as src:
        parts = {n: src.read(n) for n in src.namelist()}
    ct = parts["[Content_Types].xml"].decode()
    ct = ct.replace("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                    "application/vnd.ms-excel.sheet.macroEnabled.main+xml")
    ct = ct.replace("</Types>", '<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>'
                                '<Override PartName="/customUI/customUI14.xml" ContentType="application/xml"/></Types>')
    parts["[Content_Types].xml"] = ct.encode()
    rels = parts["xl/_rels/workbook.xml.rels"].decode()
    parts["xl/_rels/workbook.xml.rels"] = rels.replace(
        "</Relationships>", '<Relationship Id="rIdVba" Type="http://schemas.microsoft.com/office/2006/'
                            'relationships/vbaProject" Target="vbaProject.bin"/></Relationships>').encode()
    root = parts["_rels/.rels"].decode()
    parts["_rels/.rels"] = root.replace(
        "</Relationships>", '<Relationship Id="rIdUI" Type="http://schemas.microsoft.com/office/2007/relationships/'
                            'ui/extensibility" Target="customUI/customUI14.xml"/></Relationships>').encode()
    parts["xl/vbaProject.bin"] = VBA
    parts["customUI/customUI14.xml"] = RIBBON
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for n, b in parts.items():
            z.writestr(n, b)
    return path


def test_macros_and_ribbon_survive_bulk_generation_byte_for_byte(tmp_path):
    from perfbook.batch._parallel import Plan
    from perfbook.batch.bulk import bulk
    tpl = macro_template(tmp_path / "宏模板.xlsm")
    projects = seeds() + [Project(name=f"项目{i}", department="财政局") for i in range(3)]
    res = bulk(projects, tmp_path / "out", template=tpl, blank_rows=2, execution=Plan(jobs=1))
    assert len(res.written) == 3 and not res.failed
    for w in res.written:
        assert w.file.endswith(".xlsm")       # Excel will not open a macro-enabled package named .xlsx
        with zipfile.ZipFile(tmp_path / "out" / w.file) as z:
            assert z.read("xl/vbaProject.bin") == VBA
            assert z.read("customUI/customUI14.xml") == RIBBON
            assert "vbaProject" in z.read("xl/_rels/workbook.xml.rels").decode()
            assert "customUI/customUI14.xml" in z.read("_rels/.rels").decode()
            assert "macroEnabled.main+xml" in z.read("[Content_Types].xml").decode()
