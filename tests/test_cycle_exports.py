"""The budget system's own self-evaluation and monitoring exports, read field by field against their truth."""
from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation

import pytest

from perfbook.cycle.exports import norm, read_exports

from .conftest import SHARED, need_shared

CYCLE = need_shared(SHARED / "samples" / "budget-system-cycle")
TRUTHS = sorted(CYCLE.glob("*.truth.json"))

SIGN = {"=": "＝", ">": "＞", "<": "＜"}     # README: ＝ equals =, ＞ equals >
COMMON = [("一级指标", "一级指标"), ("二级指标", "二级指标"), ("指标性质", "指标性质"), ("年度指标值", "年度指标值"),
          ("度量单位", "度量单位")]
BY_KIND = {"self-eval": [("实际完成值", "实际完成值"), ("分值", "分值"), ("得分", "得分"), ("偏差原因", "偏差原因分析及改进措施")],
           "monitoring": [("当前完成值", "当前完成值（1-7月）"), ("完成可能性", "完成可能性"),
                          ("全年预计完成情况", "全年预计完成情况"), ("偏差原因类别", "偏差原因类别"),
                          ("偏差原因", "偏差原因说明")]}
ALWAYS = {"指标性质", "度量单位", "完成可能性", "偏差原因类别"}    # split out of the combined value / a √ group: every form shows them


def _num(v):
    try:
        return Decimal(str(v).strip())
    except (InvalidOperation, ValueError):
        return None


def same(got, want) -> bool:
    """The README's comparison: decimals ±0.005, whitespace-normalised text, 达成 ≡ 达成年度指标, ＝ ≡ =."""
    if got is None or want is None:
        return got == want
    a, b = _num(got), _num(want)
    if a is not None and b is not None:
        return abs(a - b) <= Decimal("0.005")
    a, b = norm(got), norm(want)
    for k in ("部分达成", "未达成", "达成"):
        if a.startswith(k) and b.startswith(k):
            return True
    return SIGN.get(a, a) == SIGN.get(b, b)


@pytest.mark.parametrize("truth", TRUTHS, ids=lambda p: p.name.split(".")[0])
def test_export_indicators_read_exactly(truth):
    t = json.loads(truth.read_text(encoding="utf-8"))
    tables = read_exports(CYCLE / t["file"])
    inds = [i for tb in tables for i in tb.indicators]
    cols = {k for tb in tables for k in tb.columns}
    assert len(inds) == len(t["indicators"]) == 17          # no total, goal or analysis row taken for one
    got = {norm(i["三级指标"]): i for i in inds}
    diffs = []
    for ti in t["indicators"]:
        g = got[norm(ti["三级指标"])]
        for mine, theirs in COMMON + BY_KIND[t["kind"]]:
            if t["kind"] == "monitoring" and mine.startswith("偏差原因") and g.get(mine) is None:
                continue                                     # M2/M3 forms show a category or a text, not both
            if mine not in cols and mine not in ALWAYS:
                continue                                     # a column the form does not show: expect nothing
            want = ti.get(theirs) or None
            if not same(g.get(mine), want):
                diffs.append(f"{ti['三级指标']}.{mine}: {g.get(mine)!r} != {want!r}")
    assert not diffs


def test_template_bug_level2_is_inferred_aloud():
    tables = read_exports(CYCLE / "gxxmzcjkdc23.xls")
    assert len(tables[0].notes) == 6 and all("模板占位符" in n for n in tables[0].notes)


def test_collect_takes_the_exports_into_their_sheets(tmp_path):
    import shutil

    import openpyxl

    from perfbook.collect import collect
    folder = tmp_path / "in"
    folder.mkdir()
    for t in TRUTHS:
        shutil.copy(CYCLE / json.loads(t.read_text(encoding="utf-8"))["file"], folder)
    res = collect(folder, tmp_path / "汇总.xlsx")
    assert res.read == len(TRUTHS) and res.unreadable == 0
    wb = openpyxl.load_workbook(tmp_path / "汇总.xlsx")
    rows = {}
    for name in ("自评", "监控"):
        head, *body = wb[name].iter_rows(values_only=True)
        rows.update({r[0]: (name, dict(zip(head, r))) for r in body})
    assert len(rows) == len(TRUTHS)
    for t in TRUTHS:
        truth = json.loads(t.read_text(encoding="utf-8"))
        sheet, row = rows[truth["file"]]
        assert sheet == {"self-eval": "自评", "monitoring": "监控"}[truth["kind"]]
        assert row["项目名称"] == truth["project"]["项目名称"] and row["指标数"] == 17
        if sheet == "自评" and row["指标得分"] is not None:
            assert same(row["指标得分"], truth["totals"]["指标得分合计"])
        if sheet == "自评" and row["总分"] is not None:          # the form's own formulas cache 0 here
            assert same(row["总分"], truth["totals"]["总得分"]) and row["自评等级"] == truth["totals"]["自评等级"]
            assert same(row["预算执行率"], truth["totals"]["预算执行率"])
        if sheet == "监控" and row["执行率"] is not None:
            assert same(row["执行率"], truth["funds"]["total"]["1-7月执行率"])
    funds_read = sum(1 for _s, r in rows.values() if r.get("全年预算数") is not None)
    assert funds_read >= 14          # measured: 14 of 21 (every self-eval with a funds block; 2 monitorings)
    assert sum(1 for s, r in rows.values() if s == "自评" and r["总分"] is not None) == 11


def test_perfbook_check_scores_the_exports_like_the_system():
    """The system's own scores agree with perfbook's rules: the only finding left on a scored form is the
    定性 养护长效机制 (达成, 4.5 of 5, inside its band) having no 偏差原因 although not at full marks."""
    from perfbook.check import check
    for t in TRUTHS:
        truth = json.loads(t.read_text(encoding="utf-8"))
        rep = check(CYCLE / truth["file"])
        assert rep.projects == 1
        rules = {f.rule for f in rep.findings}
        assert not rules & {"cycle-score-typed", "cycle-score-band", "cycle-score-max", "cycle-weights-sum",
                            "cycle-actual-numeric", "cycle-qualitative-value", "cycle-likelihood"}, (t.name, rep.findings)
        for f in rep.findings:
            assert f.cell and f.sheet
