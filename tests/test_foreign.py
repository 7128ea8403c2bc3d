"""Issue 4: workbooks perfbook did not make — layouts found by their labels, values split as typed."""
from __future__ import annotations

import csv
import io

import openpyxl
import pytest
import yaml

import perfbook
from perfbook._values import clean_text, normalise_symbols, split_value
from perfbook.errors import PerfbookError
from tests.conftest import EXAMPLES, SHARED, need_shared

SEED001 = SHARED / "seeds" / "001_f2e9b42c389f6584.txt"


def workbook(path, sheets: dict[str, list[list]], merges: dict[str, list[str]] | None = None):
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
        for m in (merges or {}).get(name, []):
            ws.merge_cells(m)
    wb.save(path)
    return path


# --- values -----------------------------------------------------------------------------------

@pytest.mark.parametrize("typed,sign,value,unit", [
    ("≥95%", "≥", 95, "%"), ("不超过15万元", "≤", 15, "万元"), ("90%以上", "≥", 90, "%"),
    ("达到95%以上", "≥", 95, "%"), ("≧90%", "≥", 90, "%"), ("》3", "＞", 3, None), ("100%", "＝", 100, "%"),
    ("3个工作日", "＝", 3, "个工作日"), ("≤0.3万元", "≤", 0.3, "万元"), ("≦15万元", "≤", 15, "万元"),
    ("１２期", "＝", 12, "期"), ("≥ 95 ％", "≥", 95, "%"), ("大于等于2次", "≥", 2, "次"), ("<3小时", "＜", 3, "小时"),
    ("1,434人", "＝", 1434, "人"), ("3个小时内", "≤", 3, "个小时"), ("1904645.13㎡", "＝", 1904645.13, "㎡"),
    ("100m²", "＝", 100, "m²"),
    ("总成本不超过30万元", "≤", 30, "万元"), (12, "＝", 12, None), (0.95, "＝", 0.95, None),
    ("明显", "定性", "明显", None), ("得到提升", "定性", "得到提升", None), ("半小时内", "定性", "半小时内", None),
])
def test_combined_values_split(typed, sign, value, unit):
    s = split_value(typed)
    assert (s.sign, s.value, s.unit) == (sign, value, unit)
    assert s.applicable


@pytest.mark.parametrize("typed", ["11月底前", "2023年12月31日前", "90%-95%", "手册3000张；景点10处", "第1季度",
                                   "3个月内归档", "成本不超过过164万元", "2023-11-30"])
def test_values_that_are_not_one_target_stay_as_typed_with_a_note(typed):
    s = split_value(typed)
    assert s.sign is None and s.value == typed and s.note


def test_uncertain_spellings_are_read_and_noted():
    assert split_value("》3").note and "≥" in split_value("》3").note[0]
    approx = split_value("约30个")
    assert (approx.sign, approx.value, approx.unit) == ("＝", 30, "个") and "约" in approx.note[0]


def test_not_applicable_is_kept_not_qualitative():
    for t in ("不适用", " 不适用\n", "不 适 用"):
        s = split_value(t)
        assert not s.applicable and s.sign is None and s.value == clean_text(t)


def test_text_cleaning():
    assert clean_text("  服务对象\n满意度\t ") == "服务对象满意度"
    assert clean_text("a\nb") == "a b"
    assert clean_text("第一行 \r\n\r\n 第二行\u3000", multiline=True) == "第一行\n第二行"
    assert clean_text(" \t ") is None
    assert normalise_symbols("≧９０％》＝≦") == "≥90%>=≤"
    # two whole names in one cell keep their line break: never glued into one (issue 13)
    assert clean_text("服务老干部人数\n服务长青老龄大学学员数") == "服务老干部人数\n服务长青老龄大学学员数"
    assert clean_text("验收合格率 \n 完成及时率\n") == "验收合格率\n完成及时率"


def test_two_names_in_one_cell_are_read_apart_and_reported(tmp_path):
    f = workbook(tmp_path / "two.xlsx", {"表": [
        ["项目名称：", "老干部服务"], ["年度资金总额：", 20], ["年度目标：", "服务离退休干部"],
        ["一级指标", "二级指标", "三级指标", "指标值"],
        ["产出指标", "数量指标", "服务老干部人数\n服务长青老龄大学学员数", "≥300人"],
        ["产出指标", "质量指标", "服务对象\n满意度", "≥95%"]]})
    names = [i.name for i in perfbook.read(f).projects[0].indicators]
    assert names == ["服务老干部人数\n服务长青老龄大学学员数", "服务对象满意度"]
    hits = [x for x in perfbook.check(f).findings if x.rule == "several-targets"]
    assert [(x.cell, x.message) for x in hits] == [
        ("C5", "三级指标“服务老干部人数\n服务长青老龄大学学员数”一格写了两项指标")]


# --- layouts ----------------------------------------------------------------------------------

def seed001_export(tmp_path):
    """The tab-separated export at the end of seed 001 (hierarchical rows, 空 in empty columns)."""
    lines = need_shared(SEED001).read_text(encoding="utf-8").split("\n")
    start = next(i for i, line in enumerate(lines) if line.startswith("\t\t项目绩效目标表"))
    rows = [r for r in csv.reader(io.StringIO("\n".join(lines[start:])), delimiter="\t") if any(x.strip() for x in r)]
    return workbook(tmp_path / "seed001-export.xlsx", {"项目绩效目标表": [[x or None for x in r] for r in rows]})


def test_seed001_hierarchical_export_reads_as_the_seed(tmp_path):
    book = perfbook.read(seed001_export(tmp_path))
    want = yaml.safe_load((EXAMPLES / "seed-001.yaml").read_text(encoding="utf-8"))
    assert book.unmapped == ()
    p = book.projects[0].to_dict()
    assert p["指标"] == want["指标"]                                    # all 11, with carried 一级/二级
    for k in ("总体目标", "年度目标", "实施期限", "预算年度"):
        assert p[k] == want[k], k
    # 空 heading rows are dropped, nothing is carried into a row that has its own levels
    assert all(i.level1 and i.level2 and i.name for i in book.projects[0].indicators)


def test_labels_aliases_colons_and_values_below(tmp_path):
    rows = [
        ["项目支出绩效目标表"],
        ["项目名称：", "社区养老", None, "项目代码", 440306231391567800105],
        ["实施单位", None, None, "主管部门：", "民政局"],
        [None, None, None, None, None],
        ["年度绩效目标"],
        ["为辖区老人提供助餐服务"],
        ["联系电话：0755-12345678"],
        ["一级指标", "二级指标", "三级指标", "计算符号", "年度指标值", "计量单位", "指标解释", "权重"],
        ["产出指标", "数量指标", "助餐人次", ">=", 3000, "人次", "全年", 20],
        ["产出指标", "质量指标", "餐食合格率", None, "100%", None, None, 10],
    ]
    book = perfbook.read(workbook(tmp_path / "a.xlsx", {"表": rows}))
    p = book.projects[0]
    assert p.name == "社区养老" and p.department == "民政局" and p.goal_year == "为辖区老人提供助餐服务"
    assert p.phone == "0755-12345678"
    assert p.implementer is None                      # a label with nothing after it
    assert p.code == "440306231391567800105" or p.code.startswith("44030623139156")
    i1, i2 = p.indicators
    assert (i1.sign, i1.value, i1.unit, i1.content, i1.get("权重")) == ("≥", 3000, "人次", "全年", 20)
    assert (i2.sign, i2.value, i2.unit, i2.get("原始指标值")) == ("＝", 100, "%", "100%")
    assert i1.cell("指标值") == "表!E9"


def test_fill_down_only_inside_merges(tmp_path):
    rows = [["一级指标", "二级指标", "三级指标", "指标值"],
            ["产出指标", "数量指标", "a", "1个"],
            [None, None, "b", "2个"],          # merged from above: filled
            [None, "质量指标", "c", "3个"],      # 一级 merged; 二级 its own
            [None, None, "d", "4个"]]          # not merged: left empty, never filled from above
    f = workbook(tmp_path / "m.xlsx", {"s": rows}, {"s": ["A2:A4", "B2:B3"]})
    inds = perfbook.read(f).projects[0].indicators
    assert [(i.level1, i.level2, i.name) for i in inds] == [
        ("产出指标", "数量指标", "a"), ("产出指标", "数量指标", "b"), ("产出指标", "质量指标", "c"), (None, None, "d")]


def test_several_projects_in_one_sheet_and_across_sheets(tmp_path):
    block = lambda n: [["项目名称：", n], ["一级指标", "二级指标", "三级指标", "目标值"],  # noqa: E731
                       ["产出", "数量", f"{n}-指标", "≥1个"], ["备注：无"], [None]]
    f = workbook(tmp_path / "multi.xlsx", {"一": block("甲") + block("乙"), "二": block("丙")})
    book = perfbook.read(f)
    assert [p.name for p in book.projects] == ["甲", "乙", "丙"]
    assert [[i.name for i in p.indicators] for p in book.projects] == [["甲-指标"], ["乙-指标"], ["丙-指标"]]
    assert book.projects[0].get("备注") == "无" and book.unmapped == ()


def test_flat_table_one_row_per_indicator(tmp_path):
    rows = [["项目名称", "项目编码", "一级指标", "二级指标", "三级指标", "指标值"],
            ["甲", "001", "产出指标", "数量指标", "x", "≥5个"],
            ["乙", "002", "产出指标", "数量指标", "y", "10%"],
            ["甲", "001", "效益指标", "社会效益指标", "z", "明显"]]
    book = perfbook.read(workbook(tmp_path / "flat.xlsx", {"指标": rows}))
    assert [(p.name, p.code, [i.name for i in p.indicators]) for p in book.projects] == [
        ("甲", "001", ["x", "z"]), ("乙", "002", ["y"])]


def test_two_row_header_with_sub_labels(tmp_path):
    """河北 预算项目绩效信息表: 指标值 spans 符号 | 值 | 计量单位 on the row below."""
    rows = [["项目名称", "某项目"],
            ["一级指标", "二级指标", "三级指标", "指标值", None, None, "备注（指标解释等）"],
            [None, None, None, "*符号", "*值", "计量单位", None],
            ["产出指标", "数量指标", "培训人数", "≥", 60, "人", "按签到"]]
    f = workbook(tmp_path / "hb.xlsx", {"s": rows}, {"s": ["D2:F2", "A2:A3", "B2:B3", "C2:C3", "G2:G3"]})
    book = perfbook.read(f)
    i = book.projects[0].indicators[0]
    assert (i.name, i.sign, i.value, i.unit, i.get("备注（指标解释等）")) == ("培训人数", "≥", 60, "人", "按签到")
    assert "原始指标值" not in i.to_dict()


def test_a_header_sheet_and_an_indicator_sheet_make_one_project(tmp_path):
    f = workbook(tmp_path / "two.xlsx", {
        "项目概况": [["项目名称", "某项目"], ["立项依据", "文件"]],
        "绩效目标表": [["项目名称：", "某项目"], ["一级指标", "二级指标", "三级指标", "指标值"], ["产出", "数量", "x", "1"]]})
    book = perfbook.read(f)
    assert len(book.projects) == 1
    p = book.projects[0]
    assert p.basis == "文件" and [i.name for i in p.indicators] == ["x"] and p.sheets == ("项目概况", "绩效目标表")


def test_unmapped_cells_are_reported_and_strict_fails(tmp_path):
    rows = [["项目名称：", "某项目"], ["一级指标", "二级指标", "三级指标", "指标值"],
            ["产出", "数量", "x", "1", None, "谁写的这个"]]
    f = workbook(tmp_path / "u.xlsx", {"s": rows})
    book = perfbook.read(f)
    assert [(n.sheet, n.cell) for n in book.unmapped] == [("s", "F3")]
    with pytest.raises(PerfbookError) as exc:
        perfbook.read(f, strict=True)
    assert "F3" in exc.value.zh


def test_unknown_sheet_is_reported_not_silently_dropped(samples):
    """A rules document holds no indicator table: an error naming every sheet looked at (issue 11)."""
    from perfbook.errors import NoTable
    with pytest.raises(NoTable) as e:
        perfbook.read(samples / "review-rules.xlsx")
    assert "未找到绩效指标表" in e.value.zh and all(s in e.value.zh for s in ("审核口径", "Sheet2", "Sheet3"))
