"""What inject puts into every workbook perfbook writes, checked in the files themselves (openpyxl)."""
from __future__ import annotations

import re
import zipfile

import openpyxl
import pytest

import perfbook
from perfbook.rules import _catalog as R
from perfbook.write._inject import (
    FRAME_NAME,
    LISTS_SHEET,
    MAX_VALIDATION,
    helper_formulas,
    inject,
    injected_plan,
    legal_name,
    rule_formula as inject_rule_formula,
)
from perfbook.write._template import Template, default_template_path
from perfbook.write.fill import compiled
from tests.conftest import EXAMPLES

S = "绩效目标表"


@pytest.fixture(scope="module")
def seed1(tmp_path_factory):
    return perfbook.fill(EXAMPLES / "seed-001.yaml", tmp_path_factory.mktemp("i") / "s1.xlsx")


def test_lists_sheet_names_and_drop_downs(seed1):
    wb = openpyxl.load_workbook(seed1)
    assert wb[LISTS_SHEET].sheet_state == "hidden" and wb.sheetnames[-1] == LISTS_SHEET
    names = {k: v.attr_text for k, v in wb.defined_names.items()}
    for n in ("指标属性", "指标性质", "度量单位", "一级指标", "产出指标", "效益指标", "满意度指标"):
        assert names[n].startswith(f"'{LISTS_SHEET}'!$"), n
    assert names[FRAME_NAME] == '"yunnan-2022"'
    lists = wb[LISTS_SHEET]
    col = {lists.cell(1, c).value: c for c in range(1, lists.max_column + 1)}
    assert [lists.cell(r, col["指标性质"]).value for r in range(2, 8)] == ["≥", "＞", "＝", "＜", "≤", "定性"]
    assert [lists.cell(r, col["产出指标"]).value for r in range(2, 5)] == ["数量指标", "质量指标", "时效指标"]
    ws = wb[S]
    dvs = {str(d.sqref): d for d in ws.data_validations.dataValidation}
    n = len(perfbook.read(seed1).projects[0].indicators)
    last = 10 + n - 1
    for col_, formula, style in (("A", "一级指标", "warning"), ("D", "指标性质", "stop"), ("F", "度量单位", "warning"),
                                 ("G", "指标属性", "stop")):
        d = dvs[f"{col_}10:{col_}{last}"]       # stretched over every indicator row by the renderer
        assert d.type == "list" and d.formula1 == formula and (d.errorStyle or "stop") == style
    assert dvs[f"B10:B{last}"].formula1.startswith("INDIRECT(")
    e = dvs[f"E10:E{last}"]
    assert e.type == "custom" and "ISNUMBER($E10)" in e.formula1 and "定量" in e.error
    assert dvs[f"C10:C{last}"].type == "textLength" and dvs[f"C10:C{last}"].formula1 == "40"
    for d in ws.data_validations.dataValidation:     # never a literal list, never too long for Excel
        assert '"' not in (d.formula1 or "")[:1] and len(d.formula1 or "") <= MAX_VALIDATION


def test_red_rows_helpers_and_summary_follow_the_indicator_block(seed1):
    wb = openpyxl.load_workbook(seed1)
    ws = wb[S]
    pl = injected_plan(compiled().template)
    n = 11
    last = 10 + n - 1
    cf = {str(c.sqref): [r.formula[0] for r in c.rules] for c in ws.conditional_formatting}
    # red for errors only; warnings colour the 校验提示 column beside the table, which does not print
    assert cf[f"A10:J{last}"] == [f"${pl.error_column}10>0"]
    assert cf[f"{pl.note}10:{pl.note}{last}"] == [f"${pl.error_column}10>0", f"${pl.warning_column}10>0"]
    for r in (10, 15, last):
        assert ws[f"{pl.helpers['e1']}{r}"].value.startswith("=IF(LEN(TRIM($A" + str(r))
        assert f"$C$10:$C{r}=" in ws[f"{pl.error_column}{r}"].value        # duplicates: the rows down to this one
        assert f"$C{r}&" in ws[f"{pl.error_column}{r}"].value
    summary = ws.cell(pl.summary[0] + n - 1, pl.summary[1]).value
    assert summary.startswith(f'=IF(SUM(${pl.helpers["act"]}$10:${pl.helpers["act"]}${last})>0,"校验："&(SUM($'
                              + pl.error_column + f"$10:${pl.error_column}${last})")
    assert ws[f"A{pl.summary[0] + n - 2}"].value.startswith("填报说明")
    for col in pl.helpers.values():
        assert ws.column_dimensions[col].hidden or any(
            d.hidden and d.min <= openpyxl.utils.column_index_from_string(col) <= d.max for d in ws.column_dimensions.values())
    with zipfile.ZipFile(seed1) as z:
        assert 'fullCalcOnLoad="1"' in z.read("xl/workbook.xml").decode()
        styles = z.read("xl/styles.xml").decode()
        assert "<dxfs" in styles and "FFFFC7CE" in styles


def test_every_formula_rule_is_in_the_workbook_as_generated_from_the_rule_data():
    t = compiled().template
    pl = injected_plan(t)
    ts = t.sheets[0]
    row = next(r for r in ts.xml.rows if r.r == pl.T)
    cells = {c.col: c.body for c in row.cells}
    from perfbook.ooxml._sheetxml import col_index, unescape
    err = unescape(cells[col_index(pl.error_column)])
    warn = unescape(cells[col_index(pl.warning_column)])
    for r in R.rules():
        if r.scope == "row" and r.formula and r.severity in ("错误", "警告"):
            f = inject_rule_formula(r, pl, R_frame(), _names(t))
            assert f in (err if r.severity == "错误" else warn), r.id
    # the check-only rules are exactly the ones whose condition uses a primitive with no formula form
    assert {r.id for r in R.rules() if not r.formula} == {
        "value-embedded", "qual-disguised", "qual-vague", "timeliness-vague", "misfiled", "stray-space", "na-row-missing",
        # TYPED/STRIP, AMOUNTS and MONEYIN have no formula form
        "several-targets", "value-cn-numeral", "na-misspelt", "na-with-value", "calc-basis", "funds-yuan"}


def R_frame():
    from perfbook.rules import _frames as frames
    return frames.get("yunnan-2022")


def _names(t):
    """The defined-name keys inject used, recovered from the lists sheet headers."""
    wb = t.parts[t.workbook_part].decode()
    names = dict(re.findall(r'<definedName name="([^"]+)">([^<]*)</definedName>', wb))
    keys = {"指标属性": "attr", "指标性质": "sign", "度量单位": "units", "一级指标": "level1", "校验_一级键": "l1key",
            "校验_一级名": "l1name", "校验_一级类别": "l1cat", "校验_二级键": "l2key", "校验_二级名": "l2name",
            "校验_二级类别": "l2cat", "校验_符号写法": "spelling", "校验_符号": "glyph", "校验_单位全集": "units_all"}
    return {v: k for k, v in keys.items() if k in names}


def test_a_bureau_validation_is_kept_and_not_doubled(tmp_path):
    from openpyxl.worksheet.datavalidation import DataValidation
    wb = openpyxl.load_workbook(default_template_path())
    dv = DataValidation(type="list", formula1='"产出指标,效益指标"', allow_blank=True)
    dv.add("A10")
    wb[S].add_data_validation(dv)
    wb.save(tmp_path / "t.xlsx")
    out = perfbook.fill(EXAMPLES / "seed-000.yaml", tmp_path / "o.xlsx", template=tmp_path / "t.xlsx")
    ws = openpyxl.load_workbook(out)[S]
    on_a = [d for d in ws.data_validations.dataValidation if str(d.sqref).startswith("A10")]
    assert len(on_a) == 1 and on_a[0].formula1 == '"产出指标,效益指标"'
    assert perfbook.read(out, template=tmp_path / "t.xlsx").data["项目名称"] == "网络信息经费"


def test_a_template_without_the_summary_mark_gets_one_under_the_table(tmp_path):
    wb = openpyxl.load_workbook(default_template_path())
    wb[S]["A12"] = None
    wb.save(tmp_path / "t.xlsx")
    t = Template.load(tmp_path / "t.xlsx")
    assert "校验" not in t.field_labels()
    pl = injected_plan(inject(t))
    assert pl.summary[0] > 11 and pl.summary[1] == 1         # below the printed note, which ends the table
    out = perfbook.fill(EXAMPLES / "seed-001.yaml", tmp_path / "o.xlsx", template=tmp_path / "t.xlsx")
    ws = openpyxl.load_workbook(out)[S]
    assert '"校验：' in ws.cell(pl.summary[0] + 10, 1).value
    assert not perfbook.read(out, template=tmp_path / "t.xlsx").notes


def test_the_mark_is_a_placeholder_the_bureau_can_move(tmp_path):
    raw = Template.load()
    assert "校验" in raw.field_labels()
    assert "校验" not in compiled().template.field_labels()
    wb = openpyxl.load_workbook(default_template_path())
    ws = wb[S]
    ws["A12"] = None
    ws.unmerge_cells("A1:J1")
    ws["H1"] = "{{ 校验 }}"
    wb.save(tmp_path / "t.xlsx")
    out = perfbook.fill(EXAMPLES / "seed-001.yaml", tmp_path / "o.xlsx", template=tmp_path / "t.xlsx")
    assert openpyxl.load_workbook(out)[S]["H1"].value.startswith('=IF(')  # "校验：N 处错误" once a row is typed


def test_inject_is_idempotent_and_leaves_its_input_alone():
    t = Template.load()
    before = dict(t.parts)
    once = inject(t)
    assert t.parts == before and len(t.sheets) == 2
    assert inject(once) is once


@pytest.mark.parametrize("frame", ["yunnan-2022", "classic", "central-2022", "shenzhen-baoan"])
def test_every_frame_makes_a_workbook_that_reads_back(frame, tmp_path):
    out = perfbook.fill(EXAMPLES / "seed-001.yaml", tmp_path / "o.xlsx", frame=frame)
    wb = openpyxl.load_workbook(out)
    names = {k for k in wb.defined_names}
    f = __import__("perfbook.rules._frames", fromlist=["get"]).get(frame)
    assert {l1.name for l1 in f.level1} <= names
    book = perfbook.read(out)
    assert book.frame == frame and not book.notes


def test_a_first_level_name_that_cannot_be_a_defined_name(tmp_path):
    (tmp_path / "f.yaml").write_text(
        "id: odd\ntitle: odd\nlevel1:\n  - name: 产出（核心）\n    level2: [{name: 数量}]\n"
        "  - name: 效益 指标\n    level2: [{name: 社会效益}]\n", encoding="utf-8")
    assert not legal_name("产出（核心）") and not legal_name("A1") and not legal_name("R1C1") and legal_name("产出指标")
    from perfbook.rules import _frames as frames
    f = frames.get("odd", tmp_path)
    t = inject(Template.load(), f)
    wb = t.parts[t.workbook_part].decode()
    assert "产出（核心）</definedName>" not in wb and 'name="校验_l2_1"' in wb
    tail = t.sheets[0].xml.tail
    assert "INDIRECT(CHOOSE(MATCH(" in tail


def test_helper_formulas_fit_excel_limits():
    t = compiled().template
    pl = injected_plan(t)
    for k, f in helper_formulas(pl, R_frame(), _names(t)).items():
        assert len(f) < 8192 and f.count("(") == f.count(")"), k


def test_a_template_without_a_print_area_prints_the_table_not_the_note_column(tmp_path):
    """The 校验提示 column is for the screen: where the bureau's template sets no print area, inject
    sets one over the official table (taken before the column is added)."""
    with zipfile.ZipFile(default_template_path()) as src, zipfile.ZipFile(tmp_path / "t.xlsx", "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "xl/workbook.xml":
                data = re.sub(rb'<definedName name="_xlnm\.Print_Area"[^>]*>[^<]*</definedName>', b"", data)
            dst.writestr(item, data)
    with zipfile.ZipFile(tmp_path / "t.xlsx") as z:
        assert "Print_Area" not in z.read("xl/workbook.xml").decode()
    out = perfbook.fill(EXAMPLES / "seed-000.yaml", tmp_path / "o.xlsx", template=tmp_path / "t.xlsx")
    ws = openpyxl.load_workbook(out)[S]
    # 15 indicators from row 10, then the 填报说明 and 校验 rows: columns A to J only
    assert ws.print_area == f"'{S}'!$A$1:$J$26", ws.print_area
    assert ws["K9"].value.startswith("校验提示")
