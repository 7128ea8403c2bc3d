"""A number no cell can hold (±Inf, past a double's range) is never taken for an empty cell: from data it
is refused naming the field, in a workbook the cell is read as empty and named in a note. NaN stays what
pandas means by it, an empty cell. Expected values are written by hand."""
from __future__ import annotations

import math
import re
import subprocess
import sys
import zipfile
from decimal import Decimal

import openpyxl
import pandas as pd
import pytest
import yaml

import perfbook
from perfbook.batch._parallel import Plan
from perfbook.errors import DataError
from perfbook.model import Indicator, Project
from perfbook.readers._grid import Grid
from tests.conftest import EXAMPLES, ROOT

INF = float("inf")


@pytest.mark.parametrize("value, shown", [(INF, "inf"), (-INF, "-inf"), (Decimal("Infinity"), "Infinity"),
                                          (Decimal("1e400"), "1E+400"), (10**400, "1.000e+400")])
@pytest.mark.parametrize("label", ["指标值", "年度资金总额", "备注列"])
def test_a_number_no_cell_can_hold_is_refused_naming_the_field(value, shown, label):
    if label == "备注列" and isinstance(value, Decimal):
        # a column no field takes keeps a Decimal as its text (as 1.50 stays "1.50"): nothing lost
        assert Indicator.from_dict({"三级指标": "x", label: value}).extra == ((label, format(value, "f")),)
        return
    build = Project.from_dict if label == "年度资金总额" else Indicator.from_dict
    with pytest.raises(DataError) as info:
        build({"项目名称" if build is Project.from_dict else "三级指标": "x", label: value})
    assert f"“{label}”的数值 {shown} 超出单元格能保存的范围" in info.value.zh and label in info.value.en


@pytest.mark.parametrize("value", [float("nan"), Decimal("NaN"), Decimal("sNaN"), None, pd.NA])
def test_nan_is_an_empty_cell_wherever_it_comes_from(value):
    # a DataFrame's empty cell, YAML's .nan, a database's NUMERIC 'NaN' (sNaN once raised InvalidOperation)
    assert Indicator.from_dict({"三级指标": "x", "指标值": value}).value is None
    assert Project.from_dict({"项目名称": "p", "年度资金总额": value}).funds_total is None


def test_the_largest_double_is_a_number():
    assert Indicator.from_dict({"三级指标": "x", "指标值": 1.7976931348623157e308}).value == 1.7976931348623157e308
    assert Indicator.from_dict({"三级指标": "x", "指标值": Decimal("12.5")}).value == 12.5


def test_fill_refuses_yaml_inf_with_exit_2_and_writes_nothing(tmp_path):
    data = yaml.safe_load((EXAMPLES / "seed-001.yaml").read_text(encoding="utf-8"))
    data["指标"][0]["指标值"] = INF
    src = tmp_path / "inf.yaml"
    src.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert ".inf" in src.read_text(encoding="utf-8")
    out = tmp_path / "out.xlsx"
    p = subprocess.run([sys.executable, "-m", "perfbook", "fill", str(src), "-o", str(out)],
                       capture_output=True, text=True, cwd=ROOT)
    assert p.returncode == 2, p.stderr
    assert "“指标值”的数值 inf" in p.stderr and "inf.yaml" in p.stderr and "Traceback" not in p.stderr
    assert not out.exists()


def test_a_dataframe_with_inf_is_refused_not_emptied(tmp_path):
    df = pd.DataFrame({"项目名称": ["甲"], "一级指标": ["产出指标"], "二级指标": ["数量指标"], "三级指标": ["培训人数"],
                       "指标值": [1 / math.inf], "年度资金总额": [math.inf]})
    with pytest.raises(DataError, match="年度资金总额"):
        perfbook.fill(df, tmp_path / "a.xlsx")
    assert not (tmp_path / "a.xlsx").exists()


def _with_values(src, dst, values: dict[str, str]):
    """src with the cached value of each named cell replaced (a hand-made <v>inf</v>)."""
    with zipfile.ZipFile(src) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    xml = parts["xl/worksheets/sheet1.xml"].decode("utf-8")
    for ref, v in values.items():
        xml, n = re.subn(rf'<c r="{ref}"([^>]*?)(?: t="\w+")?>.*?</c>', rf'<c r="{ref}"\1><v>{v}</v></c>', xml, count=1)
        assert n == 1, ref
    parts["xl/worksheets/sheet1.xml"] = xml.encode("utf-8")
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as z:
        for name, b in parts.items():
            z.writestr(name, b)
    return dst


def test_a_cell_holding_inf_or_nan_is_read_as_empty_and_named(tmp_path):
    filled = perfbook.fill(EXAMPLES / "seed-001.yaml", tmp_path / "a.xlsx")
    before = perfbook.read(filled).projects[0]
    assert before.funds_total == 76 and before.indicators[1].value == 48     # B5 and E11, as seed-001.yaml has them
    bad = _with_values(filled, tmp_path / "bad.xlsx", {"B5": "inf", "E11": "NaN"})
    book = perfbook.read(bad)
    found = sorted((n.kind, n.sheet, n.cell) for n in book.notes if n.kind == "number")
    assert found == [("number", "绩效目标表", "B5"), ("number", "绩效目标表", "E11")]
    p = book.projects[0]
    assert p.funds_total is None and p.indicators[1].value is None and p.indicators[0].value == 12
    # --strict refuses the file, naming the cell; check shows the note beside its findings
    run = [sys.executable, "-m", "perfbook"]
    strict = subprocess.run(run + ["read", str(bad), "--strict"], capture_output=True, text=True, cwd=ROOT)
    assert strict.returncode == 2 and "绩效目标表!B5" in strict.stderr
    check = subprocess.run(run + ["check", str(bad)], capture_output=True, text=True, cwd=ROOT)
    assert "绩效目标表!B5 单元格中的数 inf 不是单元格能保存的数" in check.stdout
    # collect lists both in 问题 as warnings (read back with openpyxl)
    folder = tmp_path / "in"
    folder.mkdir()
    bad.rename(folder / "bad.xlsx")
    perfbook.collect(folder, tmp_path / "汇总.xlsx", execution=Plan(jobs=1))
    ws = openpyxl.load_workbook(tmp_path / "汇总.xlsx", read_only=True)["问题"]
    rows = list(ws.iter_rows(values_only=True))
    found = sorted((r["单元格"], r["级别"]) for r in (dict(zip(rows[0], row)) for row in rows[1:]) if r["规则"] == "read-number")
    assert found == [("B5", "警告"), ("E11", "警告")]


def test_grid_clean_numbers():
    g = Grid("s", [["a", 1.5, INF], [float("nan"), "b"], [1e308, 1e308]])
    assert g.clean_numbers() == [(1, 3, "inf"), (2, 1, "nan")]
    assert g.rows == [["a", 1.5, ""], ["", "b"], [1e308, 1e308]]
    # finite numbers whose sum overflows: walked, nothing found, nothing changed
    g = Grid("s", [[1e308, 1e308, "x"]])
    assert g.clean_numbers() == [] and g.rows == [[1e308, 1e308, "x"]]
