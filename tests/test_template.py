"""The template is the bureau's document: fields move in Excel, code does not change."""
from __future__ import annotations

import re
import shutil
import zipfile

import openpyxl
import pytest
import yaml

import perfbook
from perfbook.write._template import Template, default_template_path
from tests.conftest import EXAMPLES


def seed(name):
    return yaml.safe_load((EXAMPLES / f"{name}.yaml").read_text(encoding="utf-8"))


def rearranged_template(path):
    """What a bureau does in Excel: swap two header fields, swap two indicator columns,
    reword the title, add a field (测算依据) to the overview sheet."""
    wb = openpyxl.load_workbook(default_template_path())
    ws = wb["绩效目标表"]
    ws["B2"], ws["H3"] = ws["H3"].value, ws["B2"].value
    ws["A2"], ws["F3"] = ws["F3"].value, ws["A2"].value
    for r in (9, 10):
        ws[f"E{r}"], ws[f"F{r}"] = ws[f"F{r}"].value, ws[f"E{r}"].value
    ws["A1"] = "{{ 项目名称 }}（{{ 预算年度 }}年度）绩效目标"
    ov = wb["项目概况"]
    ov["A16"] = "测算依据"
    ov["B16"] = "{{ 测算依据 }}"
    ov.merge_cells("B16:D16")
    wb.save(path)
    return path


def test_moved_fields_need_no_code_change(tmp_path):
    tpl = rearranged_template(tmp_path / "我局模板.xlsx")
    x = seed("seed-001")
    x["测算依据"] = "舆情分析报告12期×1万元/期……"
    out = perfbook.fill(x, tmp_path / "filled.xlsx", template=tpl)
    ws = openpyxl.load_workbook(out)["绩效目标表"]
    assert ws["B2"].value == x["实施单位"] and ws["H3"].value == x["项目名称"]
    assert ws["E10"].value == "期" and ws["F10"].value == 12          # 度量单位 and 指标值 swapped
    assert ws["A1"].value == "区委网信办经费（2022年度）绩效目标"
    assert openpyxl.load_workbook(out)["项目概况"]["B16"].value == x["测算依据"]
    book = perfbook.read(out, template=tpl)
    assert book.data == x
    assert book.unmapped == ()


def test_template_lists_its_fields():
    t = Template.load()
    assert t.field_labels()[:3] == ["预算年度", "项目名称", "项目编码"]
    assert "绩效指标值设定依据及数据来源" in t.indicator_labels()
    main = t.sheets[0]
    assert main.loop_row == 10 and main.name == "绩效目标表"


def test_template_without_indicator_row_is_refused(tmp_path):
    wb = openpyxl.Workbook()
    wb.active["A1"] = "{{ 项目名称 }}"
    wb.save(tmp_path / "t.xlsx")
    with pytest.raises(perfbook.PerfbookError) as exc:
        perfbook.fill(seed("seed-000"), tmp_path / "o.xlsx", template=tmp_path / "t.xlsx")
    assert "指标行" in exc.value.zh


def _with_workbook_xml(path, edit):
    """The shipped template, its xl/workbook.xml passed through edit (every other part as it is)."""
    with zipfile.ZipFile(default_template_path()) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            dst.writestr(info, edit(data.decode("utf-8")).encode("utf-8") if info.filename == "xl/workbook.xml" else data)
    return path


@pytest.mark.parametrize("edit", [
    lambda wb: re.sub(r'(<sheet\b[^>]*?)\sname="[^"]*"', r"\1", wb, count=1),          # a sheet without a name
    lambda wb: re.sub(r'(<sheet\b[^>]*?\sr:id=)"[^"]*"', r'\1"rIdNowhere"', wb, count=1),   # its part not there
], ids=["no-name", "dangling-id"])
def test_template_sheet_without_name_or_part_is_refused(tmp_path, edit):
    # was a TypeError (the name None reached the sheet title) or a KeyError: "a bug", not a refusal
    tpl = _with_workbook_xml(tmp_path / "坏模板.xlsx", edit)
    with pytest.raises(perfbook.PerfbookError) as exc:
        perfbook.fill(seed("seed-000"), tmp_path / "o.xlsx", template=tpl)
    assert "缺少名称或工作表部件" in exc.value.zh
    assert not (tmp_path / "o.xlsx").exists()


@pytest.mark.libreoffice
def test_template_saved_by_an_office_suite_still_works(tmp_path, soffice):
    """A bureau opens the template in an office suite and saves it: shared strings, rewritten styles,
    other attribute orders. Fill and read must follow it all the same, and the result must open."""
    src = tmp_path / "src" / "绩效目标表.xlsx"
    src.parent.mkdir()
    shutil.copy(default_template_path(), src)
    resaved = soffice.convert(src, tmp_path / "resaved", "xlsx:Calc MS Excel 2007 XML")
    assert "sharedStrings" in str(__import__("zipfile").ZipFile(resaved).namelist())
    for name in ("seed-000", "seed-001"):
        out = perfbook.fill(EXAMPLES / f"{name}.yaml", tmp_path / f"{name}.xlsx", template=resaved)
        assert perfbook.read(out, template=resaved).data == seed(name)
    pdf = soffice.convert(tmp_path / "seed-001.xlsx", tmp_path / "pdf")
    assert pdf.stat().st_size > 10_000


@pytest.mark.libreoffice
def test_bureau_formulas_follow_the_indicator_rows(tmp_path, soffice):
    """A bureau adds a per-row formula and a total under the table; LibreOffice computes them on the filled book."""
    wb = openpyxl.load_workbook(default_template_path())
    ws = wb["绩效目标表"]
    ws["K10"] = '=IF(ISNUMBER(E10),1,0)'
    ws["K12"] = "=SUM(K10:K10)"
    wb.save(tmp_path / "t.xlsx")
    x = {"项目名称": "p", "指标": [{"一级指标": "产出指标", "二级指标": "数量指标", "三级指标": f"t{i}",
                                  "指标值": i if i % 2 else "达标"} for i in range(5)]}
    out = perfbook.fill(x, tmp_path / "o.xlsx", template=tmp_path / "t.xlsx")
    ws = openpyxl.load_workbook(out)["绩效目标表"]
    assert [ws[f"K{r}"].value for r in range(10, 15)] == [f"=IF(ISNUMBER(E{r}),1,0)" for r in range(10, 15)]
    assert ws["K16"].value == "=SUM(K10:K14)"
    res = soffice.run_jobs([{"in": str(out), "cells": [["绩效目标表", "K16"], ["绩效目标表", "K11"], ["绩效目标表", "K12"]]}])[0]
    assert [c["value"] for c in res["cells"]] == [2, 1, 0]
    assert perfbook.read(out, template=tmp_path / "t.xlsx").data == x
