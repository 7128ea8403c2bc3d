"""Issue 2: every field of both seeds survives fill → read, through every input format."""
from __future__ import annotations

import json
import zipfile

import openpyxl
import pytest
import yaml

import perfbook
from perfbook._outputs import to_csv
from perfbook.model import Project, canonical
from perfbook.write._inputs import load
from tests.conftest import EXAMPLES, SEEDS


def seed(name: str) -> dict:
    return yaml.safe_load((EXAMPLES / f"{name}.yaml").read_text(encoding="utf-8"))


def write_flat_xlsx(projects: list[Project], path, side_sheet: bool = False):
    """An official's own spreadsheet: one row per indicator, real text cells, optional 项目 sheet."""
    from perfbook._outputs import flat_columns, flat_rows
    pcols, icols = flat_columns(projects)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "指标"
    if side_sheet:
        keep = ["项目名称"]
        ws.append(keep + icols)
        for row in flat_rows(projects):
            ws.append([row[pcols.index("项目名称")]] + row[len(pcols):])
        side = wb.create_sheet("项目")
        side.append(pcols)
        for p in projects:
            d = p.to_dict()
            side.append([d.get(k) for k in pcols])
    else:
        ws.append(pcols + icols)
        for row in flat_rows(projects):
            ws.append(row)
    for sheet in wb.worksheets:
        for row in sheet.iter_rows():
            for c in row:
                if isinstance(c.value, str):
                    c.data_type = "s"   # text stays text even when it starts with "="
    wb.save(path)
    return path


@pytest.mark.parametrize("name", SEEDS)
def test_seed_examples_are_canonical(name):
    """The examples are written in canonical form, so read(fill(x)) == x holds to the letter."""
    assert canonical(seed(name)) == seed(name)


@pytest.mark.parametrize("name", SEEDS)
@pytest.mark.parametrize("fmt", ["yaml", "json", "csv", "xlsx", "xlsx-two-sheets", "dict"])
def test_seed_round_trips_through_every_input_format(name, fmt, tmp_path):
    x = seed(name)
    if fmt == "yaml":
        src = EXAMPLES / f"{name}.yaml"
    elif fmt == "json":
        src = tmp_path / f"{name}.json"
        src.write_text(json.dumps(x, ensure_ascii=False), encoding="utf-8")
    elif fmt == "csv":
        src = EXAMPLES / f"{name}.csv"
    elif fmt == "xlsx":
        src = write_flat_xlsx(load(EXAMPLES / f"{name}.yaml"), tmp_path / f"{name}-table.xlsx")
    elif fmt == "xlsx-two-sheets":
        src = write_flat_xlsx(load(EXAMPLES / f"{name}.yaml"), tmp_path / f"{name}-table.xlsx", side_sheet=True)
    else:
        src = x
    out = perfbook.fill(src, tmp_path / f"{name}.xlsx")
    book = perfbook.read(out)
    assert book.data == x
    assert book.unmapped == ()


@pytest.mark.parametrize("name", SEEDS)
def test_read_csv_output_is_the_example_table(name, tmp_path):
    out = perfbook.fill(EXAMPLES / f"{name}.yaml", tmp_path / "b.xlsx")
    assert to_csv(list(perfbook.read(out).projects)) == (EXAMPLES / f"{name}.csv").read_text(encoding="utf-8-sig")


def test_filled_cells_have_the_right_types(tmp_path):
    """Numbers are numbers, user text is text even when it looks like a formula, codes stay text."""
    x = seed("seed-001")
    x["项目编码"] = "440306231391500000193"
    x["指标"][0]["三级指标"] = "=1+1"
    x["指标"][1]["三级指标"] = "-5%"
    x["指标"][2]["指标内容"] = "=SUM(A1:A3)"
    out = perfbook.fill(x, tmp_path / "t.xlsx")
    ws = openpyxl.load_workbook(out)["绩效目标表"]
    assert ws["H2"].value == "440306231391500000193" and ws["H2"].data_type == "s"
    assert ws["C10"].value == "=1+1" and ws["C10"].data_type == "s"
    assert ws["C11"].value == "-5%" and ws["C11"].data_type == "s"
    assert ws["I12"].data_type == "s"
    assert ws["E10"].value == 12 and ws["E10"].data_type == "n"
    assert ws["B5"].value == 76 and ws["B5"].data_type == "n"
    sheet_xml = zipfile.ZipFile(out).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml.split("<sheetData>")[1].split("</sheetData>")[0] or "=1+1" not in sheet_xml.split("<f>")[1]
    assert perfbook.read(out).data == canonical(x)


def test_merges_follow_the_groups(tmp_path):
    """一级 merges over its run, 二级 over (一级, 二级) runs, never across a 一级 boundary."""
    inds = [{"一级指标": a, "二级指标": b, "三级指标": f"t{i}"} for i, (a, b) in enumerate(
        [("产出指标", "数量指标")] * 3 + [("产出指标", "质量指标")] + [("效益指标", "质量指标")] * 2 + [("满意度指标", "服务对象满意度指标")])]
    out = perfbook.fill({"项目名称": "p", "指标": inds}, tmp_path / "m.xlsx")
    ws = openpyxl.load_workbook(out)["绩效目标表"]
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert {"A10:A13", "B10:B12", "A14:A15", "B14:B15"} <= merged
    assert not any(r.startswith("B13:") or r.startswith("A16:") for r in merged)
    assert ws["A11"].value is None and ws["A14"].value == "效益指标"
    # the footer note moved below the block and keeps its full-width merge
    assert ws["A17"].value.startswith("填报说明") and "A17:J17" in merged
    assert ws.print_title_rows == "$8:$9"


@pytest.mark.parametrize("n", [1, 300])
def test_one_and_three_hundred_indicators(n, tmp_path):
    x = {"项目名称": "规模测试", "预算年度": 2025, "指标": [
        {"一级指标": ["产出指标", "效益指标", "满意度指标"][i * 3 // n], "二级指标": f"二级{i // 7}",
         "三级指标": f"指标{i}", "指标性质": "≥", "指标值": i, "度量单位": "个", "指标属性": "定量指标"} for i in range(n)]}
    out = perfbook.fill(x, tmp_path / f"n{n}.xlsx")
    assert perfbook.read(out).data == canonical(x)
    ws = openpyxl.load_workbook(out)["绩效目标表"]
    assert ws.cell(9 + n, 3).value == f"指标{n - 1}"
    assert ws.cell(10 + n, 1).value.startswith("填报说明")


def test_several_projects_in_one_workbook(tmp_path):
    a, b = seed("seed-000"), seed("seed-001")
    out = perfbook.fill([a, b], tmp_path / "two.xlsx")
    names = openpyxl.load_workbook(out).sheetnames
    assert names[:4] == ["1.网络信息经费", "2.项目概况", "3.区委网信办经费", "4.项目概况"] or len(names) >= 4
    assert perfbook.read(out).data == [a, b]


def test_new_writes_a_blank_template_that_reads_empty(tmp_path):
    out = perfbook.new(tmp_path / "blank.xlsx", blank_rows=5)
    ws = openpyxl.load_workbook(out)["绩效目标表"]
    assert ws["A9"].value == "一级指标" and ws["A15"].value.startswith("填报说明")
    book = perfbook.read(out)
    assert book.projects == () or all(not p.indicators for p in book.projects)
    assert book.unmapped == ()


def test_unmapped_cells_are_reported_and_strict_fails(tmp_path):
    out = perfbook.fill(seed("seed-001"), tmp_path / "s.xlsx")
    wb = openpyxl.load_workbook(out)
    wb["绩效目标表"]["L12"] = "备注：此行待定"
    edited = tmp_path / "edited.xlsx"
    wb.save(edited)
    book = perfbook.read(edited)
    assert [(n.sheet, n.cell) for n in book.unmapped] == [("绩效目标表", "L12")]
    with pytest.raises(perfbook.PerfbookError) as exc:
        perfbook.read(edited, strict=True)
    assert "L12" in str(exc.value.zh)


def test_missing_column_names_the_label_and_what_was_found(tmp_path):
    src = tmp_path / "bad.csv"
    src.write_text("项目名称,一级指标,三级指标\n某项目,产出指标,x\n", encoding="utf-8")
    with pytest.raises(perfbook.PerfbookError) as exc:
        perfbook.fill(src, tmp_path / "o.xlsx")
    assert "二级指标" in exc.value.zh and "找到的列：项目名称、一级指标、三级指标" in exc.value.zh


def test_gbk_csv_from_excel_reads(tmp_path):
    """Excel on a Chinese Windows saves CSV in GBK."""
    src = tmp_path / "gbk.csv"
    src.write_bytes("项目名称,一级指标,二级指标,三级指标,指标值\n某项目,产出指标,数量指标,培训人数,60\n".encode("gbk"))
    out = perfbook.fill(src, tmp_path / "o.xlsx")
    assert perfbook.read(out).data["指标"][0] == {"一级指标": "产出指标", "二级指标": "数量指标", "三级指标": "培训人数", "指标值": 60}


def test_fill_never_leaves_a_partial_file(tmp_path, monkeypatch):
    """Output is all or nothing: a failure at the final rename leaves the old file and no debris."""
    target = tmp_path / "o.xlsx"
    target.write_bytes(b"previous")
    import os

    def fail(*a, **k):
        raise OSError("disk full")
    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError):
        perfbook.fill(seed("seed-001"), target)
    assert target.read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir()] == ["o.xlsx"]
