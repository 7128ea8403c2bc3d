"""Nothing typed is dropped without a word. A field given twice: in data -- two columns or two keys naming it (指标值 and its alias 年度指标值) -- the
filled one is taken, and two that disagree are refused naming both: once the last column won, even empty,
and the value typed in the other was lost without a word. In a workbook -- two cells for one field (the
title's year and the 预算年度 cell, two sheets of one project) -- the first is read and the other named in a
note (conflict): once it was dropped without one. A cell that no longer has the template's shape around
its fields (a title retyped, "{{指标值}}／{{度量单位}}" typed without the slash) is noted (layout): its fields
were once lost silently. Expected values are written by hand."""
from __future__ import annotations

import subprocess
import sys
import warnings

import openpyxl
import pytest

import perfbook
from perfbook.errors import DataError, PerfbookWarning
from perfbook.model import Indicator, Project
from tests.conftest import EXAMPLES, ROOT

HEAD = "项目名称,主管部门,一级指标,二级指标,三级指标,指标值,年度指标值\n"


def _values(path) -> dict:
    return {p.name: [i.value for i in p.indicators] for p in perfbook.read(path).projects}


def test_the_filled_column_is_taken_in_fill_and_bulk(tmp_path):
    master = tmp_path / "主表.csv"
    master.write_text(HEAD + "甲,局,产出指标,数量指标,培训人数,120,\n"
                             "乙,局,产出指标,数量指标,宣传次数,,12\n"
                             "乙,局,产出指标,质量指标,合格率,95,95\n", encoding="utf-8")
    assert _values(perfbook.fill(master, tmp_path / "a.xlsx")) == {"甲": [120], "乙": [12, 95]}
    res = perfbook.bulk(master, tmp_path / "发出", per_project=True)
    got = {}
    for w in res.written:
        got.update(_values(tmp_path / "发出" / w.file))
    assert got == {"甲": [120], "乙": [12, 95]}


def test_two_columns_that_disagree_are_refused_naming_row_and_columns(tmp_path):
    master = tmp_path / "主表.csv"
    master.write_text(HEAD + "甲,局,产出指标,数量指标,培训人数,120,\n"
                             "甲,局,产出指标,数量指标,宣传次数,10,12\n", encoding="utf-8")
    out = tmp_path / "a.xlsx"
    p = subprocess.run([sys.executable, "-m", "perfbook", "fill", str(master), "-o", str(out)],
                       capture_output=True, text=True, cwd=ROOT)
    assert p.returncode == 2
    assert "第3行的“指标值”列和“年度指标值”列都是“指标值”，但填写不同（“10”和“12”）" in p.stderr
    assert "主表.csv" in p.stderr and not out.exists()
    p = subprocess.run([sys.executable, "-m", "perfbook", "bulk", str(master), "-o", str(tmp_path / "发出")],
                       capture_output=True, text=True, cwd=ROOT)
    assert p.returncode == 2 and "第3行" in p.stderr and not list((tmp_path / "发出").glob("**/*.xlsx"))


@pytest.mark.parametrize("build, a, b, attr", [(Indicator.from_dict, "指标值", "年度指标值", "value"),
                                               (Project.from_dict, "年度资金总额", "资金总额", "funds_total")])
def test_two_keys_of_one_field_must_agree(build, a, b, attr):
    with pytest.raises(DataError) as info:
        build({"项目名称": "甲", a: 5, b: 6})
    assert info.value.zh.startswith(f"“{a}”和“{b}”是同一个字段，但填写不同（“5”和“6”）")
    # the same value twice, or one left empty, is one value
    for other in (5, "5", None, "  "):
        got = build({"项目名称": "甲", a: 5, b: other})
        assert getattr(got, attr) == 5


def _conflicts(book) -> list[tuple]:
    return sorted((n.sheet, n.cell, n.zh) for n in book.notes if n.kind == "conflict")


def test_two_cells_of_one_field_that_disagree_are_noted_naming_both(tmp_path):
    filled = perfbook.fill(EXAMPLES / "seed-001.yaml", tmp_path / "a.xlsx")       # 预算年度 2022
    assert _conflicts(perfbook.read(filled)) == []
    wb = openpyxl.load_workbook(filled)
    assert wb["项目概况"]["A1"].value == "2022年区委网信办经费项目概况"
    wb["项目概况"]["A1"].value = "2025年区委网信办经费项目概况"       # the second sheet's title
    wb["绩效目标表"]["B7"].value = "预算年度（2023年）目标"             # the 预算年度 cell under the title
    wb.save(tmp_path / "b.xlsx")
    book = perfbook.read(tmp_path / "b.xlsx")
    assert book.projects[0].year == 2022                          # the first cell read, as before
    assert _conflicts(book) == [
        ("绩效目标表", "B7", "“预算年度”在 绩效目标表!A1 为“2022”，在此处为“2023”，两处不一致；按 绩效目标表!A1 读取"),
        ("项目概况", "A1", "“预算年度”在 绩效目标表!A1 为“2022”，在此处为“2025”，两处不一致；按 绩效目标表!A1 读取")]
    p = subprocess.run([sys.executable, "-m", "perfbook", "read", str(tmp_path / "b.xlsx"), "--strict"],
                       capture_output=True, text=True, cwd=ROOT)
    assert p.returncode == 2 and "项目概况!A1" in p.stderr


def test_a_label_no_field_has_given_again_is_reported_not_dropped(shared):
    # 广西's export: "其中：一般公共预算拨款" (C9) is kept as a column of its own; "其中：上级" (E9) was lost
    book = perfbook.read(shared / "samples" / "budget-system" / "gxxmjxmbsb.xls")
    assert dict(book.projects[0].extra) == {"其中": "一般公共预算拨款"}
    assert [(n.kind, n.cell) for n in book.notes if n.cell == "E9"] == [("unmapped", "E9")]


def test_a_cell_that_lost_the_templates_shape_is_noted(tmp_path):
    filled = perfbook.fill(EXAMPLES / "seed-001.yaml", tmp_path / "a.xlsx")
    wb = openpyxl.load_workbook(filled)
    wb["绩效目标表"]["B7"].value = "2022年度目标"            # the template's 预算年度（{{ 预算年度 }}年）目标
    wb.save(tmp_path / "b.xlsx")
    notes = [(n.kind, n.sheet, n.cell) for n in perfbook.read(tmp_path / "b.xlsx").notes]
    assert notes == [("layout", "绩效目标表", "B7")]


def test_an_indicator_cell_that_lost_its_shape_is_noted_where_it_is(tmp_path):
    # a bureau's template with 指标值 and 度量单位 in one cell, a slash between (brackets would be optional)
    tpl = tmp_path / "tpl.xlsx"
    wb = openpyxl.load_workbook(ROOT / "templates" / "绩效目标表.xlsx")
    wb["绩效目标表"]["E10"] = "{{ 指标.指标值 }}／{{ 指标.度量单位 }}"
    wb["绩效目标表"]["F10"] = None
    wb.save(tpl)
    data = {"项目名称": "甲", "指标": [
        {"一级指标": "产出指标", "二级指标": "数量指标", "三级指标": "培训人数", "指标值": 120, "度量单位": "人"},
        {"一级指标": "产出指标", "二级指标": "数量指标", "三级指标": "宣传次数", "指标值": 12, "度量单位": "次"}]}
    out = perfbook.fill(data, tmp_path / "a.xlsx", template=tpl)
    wb = openpyxl.load_workbook(out)
    assert (wb["绩效目标表"]["E10"].value, wb["绩效目标表"]["E11"].value) == ("120／人", "12／次")
    wb["绩效目标表"]["E11"].value = "12次"                      # typed without the slash
    wb.save(tmp_path / "b.xlsx")
    book = perfbook.read(tmp_path / "b.xlsx", template=tpl)
    assert [(i.value, i.unit) for i in book.projects[0].indicators] == [(120, "人"), (None, None)]
    assert [(n.kind, n.cell) for n in book.notes] == [("layout", "E11")]


def _template_with(tmp_path, cell: str, text: str):
    path = tmp_path / "tpl.xlsx"
    wb = openpyxl.load_workbook(ROOT / "templates" / "绩效目标表.xlsx")
    wb["绩效目标表"][cell] = text
    wb.save(path)
    return path


def test_a_placeholder_naming_an_alias_takes_the_field(tmp_path):
    tpl = _template_with(tmp_path, "H2", "{{ 项目编号 }}")            # an alias of 项目编码
    data = {"项目名称": "甲", "项目编码": "0053001"}
    with warnings.catch_warnings():
        warnings.simplefilter("error")                                # no "no place for 项目编码"
        out = perfbook.fill(data, tmp_path / "a.xlsx", template=tpl)
    assert openpyxl.load_workbook(out)["绩效目标表"]["H2"].value == "0053001"
    assert perfbook.read(out, template=tpl).projects[0].code == "0053001"


def test_a_misspelled_placeholder_is_warned_about_once(tmp_path):
    tpl = _template_with(tmp_path, "H2", "{{ 项目明称 }}")
    with pytest.warns(PerfbookWarning) as got:
        perfbook.fill({"项目名称": "甲"}, tmp_path / "a.xlsx", template=tpl)
        perfbook.fill({"项目名称": "乙"}, tmp_path / "b.xlsx", template=tpl)
    said = [str(w.message) for w in got if "占位符" in str(w.message)]
    assert len(said) == 1 and "“项目明称”是否应为“项目名称”？" in said[0] and "tpl.xlsx" in said[0]


def test_a_field_with_no_place_is_not_suggested_as_itself(tmp_path):
    tpl = _template_with(tmp_path, "H2", None)                       # no place for 项目编码
    with pytest.warns(PerfbookWarning) as got:
        perfbook.fill({"项目名称": "甲", "项目编码": "001"}, tmp_path / "a.xlsx", template=tpl)
    said = [str(w.message) for w in got if "没有位置" in str(w.message)]
    assert len(said) == 1 and "项目编码" in said[0] and "是否应为" not in said[0]
