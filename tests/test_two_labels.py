"""A field given twice -- two columns or two keys naming it (指标值 and its alias 年度指标值): the filled one
is taken, and two that disagree are refused naming both. Once the last column won, even empty, and the
value typed in the other was lost without a word. Expected values are written by hand."""
from __future__ import annotations

import subprocess
import sys

import pytest

import perfbook
from perfbook.errors import DataError
from perfbook.model import Indicator, Project
from tests.conftest import ROOT

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
