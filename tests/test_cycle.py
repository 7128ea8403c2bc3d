"""The year cycle without LibreOffice: scoring edges by hand, 分值 split, making, reading back, checking."""
from __future__ import annotations

import openpyxl
import pytest

from perfbook.cycle import check_cycle, monitor, read_cycle, scheme_for, selfeval
from perfbook.cycle.make import render
from perfbook.cycle.read import SCORE
from perfbook.cycle.weights import allocate
from perfbook.model import Project

from .conftest import EXAMPLES

# (指标性质, 年度指标值 t, 实际完成值 a, 分值 w, 得分 expected) — expected worked out by hand from
# shared/samples/budget-system-cycle/README.md "Scoring rules, as the code computes them"
EDGES = [
    ("≥", 100, 100, 10, 10),          # exactly 100 %: full marks
    ("≥", 100, 130, 10, 10),          # 130 %: full
    ("≥", 100, 150, 10, 10),          # above 130 %: the code never deducts
    ("≥", 100, 50, 10, 5),            # 50 %: half
    ("≥", 95, 90, 5, 4.74),           # round(90/95·5, 2)
    ("＞", 100, 99.5, 10, 9.95),
    ("≥", 100, -5, 10, 0),            # a negative actual is sent as 0
    ("＝", 20, 18, 7, 6.3),
    ("＝", 0, 0, 5, 5),               # t = 0: a ≤ 0 gives w
    ("＝", 0, 1, 5, 0),               # t = 0: anything else 0
    ("≤", 15, 15, 5, 5),              # exactly the target
    ("≤", 15, 16.5, 5, 4.5),          # (1 − 1.5/15)·5
    ("≤", 10, 15, 10, 5),             # 150 % of a ceiling: half
    ("≤", 10, 19.99, 10, 0.01),
    ("≤", 10, 20, 10, 0),             # twice the target: 0
    ("＜", 1.2, 1.18, 5, 5),
    ("定性", "明显改善", "达成", 5, 5),
    ("定性", "有效提升", "部分达成年度指标并具有一定效果", 5, 3),
    ("定性", "逐步健全", "未达成", 5, 0),
    ("＝", "合格", "达成", 6, 6),       # a text target is scored as 定性
]
ENUM_EDGES = [("≥", 100, 130, 10, 10), ("≥", 100, 140, 10, 9.41), ("≥", 100, 200, 10, 5.87)]   # [1−(r−1.3)×0.59]·w


@pytest.mark.parametrize("sign,t,a,w,expected", EDGES)
def test_python_scores_match_the_hand_values(sign, t, a, w, expected):
    assert scheme_for().score(sign, t, a, w) == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize("sign,t,a,w,d,expected", [
    ("≥", 100, 50, 10, 1.5, 3.5), ("≥", 100, 50, 10, 7, 0), ("≥", 100, 100, 10, 0.1, 9.9),
    ("定性", "明显改善", "达成", 5, 1, 4), ("≤", 15, 16.5, 5, None, 4.5)])
def test_deduction_comes_off_the_rule_score(sign, t, a, w, d, expected):
    """扣减分数: 得分 = max(0, 得分 − 扣减) (SelfIndexBO l.1704–1706), worked out by hand."""
    assert scheme_for().score(sign, t, a, w, d) == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize("sign,t,a,w,expected", ENUM_EDGES)
def test_enum_text_scheme_deducts_above_130(sign, t, a, w, expected):
    assert scheme_for("enum-text").score(sign, t, a, w) == pytest.approx(expected, abs=1e-9)


def test_budget_grade_and_bands_by_hand():
    sc = scheme_for()
    assert sc.budget(1300, 1235) == (95.0, 9.5)          # the shared sample: 95.00 %, 9.50
    assert sc.budget(0, 10) == (0, 0)
    assert sc.budget(100, 120) == (120.0, 10)            # capped at the 分值
    assert [sc.grade(x) for x in (94.92, 90, 89.99, 80, 60, 59.99)] == ["优", "优", "良", "良", "中", "差"]
    assert scheme_for("system-code").grade(80) == "优"
    assert sc.band("部分达成年度指标并具有一定效果", 5) == (3.0, 4.0)   # README: 部分达成 → [3.00, 4.00)


def test_weights_sum_to_100_and_move_from_a_missing_level1():
    sc = scheme_for()
    inds = [{"一级指标": "产出指标"}] * 9 + [{"一级指标": "效益指标"}] * 7 + [{"一级指标": "满意度指标"}]
    w = allocate(inds, sc)
    assert sum(w[:9]) == 50 and sum(w[9:16]) == 30 and w[16] == 10
    assert sum(w) + sc.budget_weight == 100
    w = allocate([{"一级指标": "产出指标"}] * 3 + [{"一级指标": "效益指标"}] * 2, sc)   # no 满意度
    assert sum(w) == 90 and sum(w[3:]) == 40
    w = allocate([{"一级指标": "产出指标", "二级指标": n} for n in ("数量指标", "质量指标", "时效指标", "成本指标")]
                 + [{"一级指标": "效益指标"}, {"一级指标": "满意度指标"}], scheme_for("ifmis-import"))
    assert w == [20, 10, 10, 10, 30, 10]


def test_selfeval_round_trip_keeps_the_target(tmp_path):
    src = EXAMPLES / "seed-001.yaml"
    out = selfeval(src, tmp_path / "自评表.xlsx")
    book = read_cycle(out)
    target = Project.from_dict(__import__("yaml").safe_load(src.read_text(encoding="utf-8")))
    got = book.projects[0]
    assert book.kind == "selfeval"
    assert got.name == target.name and got.code == target.code and got.department == target.department
    assert [(i.level1, i.level2, i.name, i.sign, i.value, i.unit) for i in got.indicators] == \
           [(i.level1, i.level2, i.name, i.sign, i.value, i.unit) for i in target.indicators]
    assert sum(i.get("分值") for i in got.indicators) + got.get("预算执行分值") == 100
    assert check_cycle(out, target=src).findings   # nothing filled in yet: 实际完成值 missing is reported


def _filled(tmp_path, edits: dict, name="f.xlsx"):
    out = selfeval(EXAMPLES / "seed-001.yaml", tmp_path / "se.xlsx")
    wb = openpyxl.load_workbook(out)
    ws = wb.active
    for ref, v in edits.items():
        ws[ref] = v
    wb.save(tmp_path / name)
    return tmp_path / name


def test_checks_find_what_the_issue_lists(tmp_path):
    # seed-001 rows 11..21: 11 ＝12期, 12 ＝48期, 13 ＝不定期, 14 ＝12, 15 ＝4, 16 ≥200, 17 ＝合格, 18 ≤365天, ...
    edits = {f"G{r}": v for r, v in zip(range(11, 22), [12, "十二", "达成", 12, 4, 250, "达成", 300, 100, 98, 99])}
    edits.update({"E5": 100, "F5": 90, "I16": 3, "E11": 13, "H21": 30})
    book = read_cycle(_filled(tmp_path, edits))
    rep = check_cycle(book, target=EXAMPLES / "seed-001.yaml")
    got = {(f.rule, f.cell) for f in rep.findings}
    assert ("cycle-actual-numeric", "G12") in got           # 定量 with text
    assert ("cycle-score-typed", "I16") in got              # 3 typed over the formula; computed 6
    assert ("cycle-target-changed", "E11") in got           # 年度指标值 changed from 12 to 13
    assert ("cycle-reason-required", "F5") in got           # 执行率 90 % without a reason
    assert ("cycle-weights-sum", None) in {(f.rule, None) for f in rep.findings}   # 满意度 set to 30
    assert ("cycle-score-max", "I21") not in got
    assert all(f.severity == "错误" for f in rep.findings if f.rule.startswith("cycle-"))


def test_monitor_checks_reason_when_not_certain(tmp_path):
    out = monitor(EXAMPLES / "seed-001.yaml", tmp_path / "监控表.xlsx")
    wb = openpyxl.load_workbook(out)
    ws = wb.active
    for r in range(10, 21):
        ws[f"I{r}"] = "确定能"
    ws["I11"], ws["I12"], ws["J12"] = "有可能", "也许", None
    ws["G13"] = "很多"
    wb.save(tmp_path / "m.xlsx")
    rep = check_cycle(tmp_path / "m.xlsx")
    got = {(f.rule, f.cell) for f in rep.findings}
    assert ("cycle-reason-required", "J11") in got and ("cycle-likelihood", "I12") in got
    assert ("cycle-likelihood", "I20") not in got
    assert read_cycle(tmp_path / "m.xlsx").kind == "monitor"


def test_perfbook_check_dispatches_cycle_tables(tmp_path):
    from perfbook.rules.check import check
    rep = check(_filled(tmp_path, {"G11": "x"}))
    assert any(f.rule == "cycle-actual-numeric" for f in rep.findings)


def test_formulas_are_the_compiled_rules(tmp_path):
    """The 得分 cells hold exactly what the compiler makes of scoring.yaml (one definition)."""
    out = tmp_path / "s.xlsx"
    out.write_bytes(render([Project.from_dict({"项目名称": "x", "指标": [
        {"一级指标": "产出指标", "二级指标": "数量指标", "三级指标": "a", "指标性质": "≥", "指标值": 1, "分值": 5, "实际完成值": 1},
        {"一级指标": "产出指标", "二级指标": "数量指标", "三级指标": "b", "指标性质": "≤", "指标值": 1, "分值": 5, "实际完成值": 1}]})], "selfeval"))
    ws = openpyxl.load_workbook(out).active
    sc = scheme_for()
    for r in (11, 12):
        assert ws[f"I{r}"].value == "=" + sc.indicator_formula({"sign": f"$D{r}", "t": f"$E{r}", "x": f"$G{r}", "w": f"$H{r}", "d": f"$J{r}"})
    assert ws["I13"].value == "=ROUND(SUM($I$11:$I$12)+N($I$5),2)"
    assert read_cycle(out).projects[0].indicators[1].get("实际完成值") == 1
    assert SCORE not in read_cycle(out).projects[0].indicators[0].to_dict()   # no cached value: nothing read


def test_bulk_makes_a_department_selfeval(tmp_path):
    from perfbook.batch.bulk import bulk
    from perfbook.write._inputs import load
    base = load(EXAMPLES / "seed-001.yaml")[0]
    other = Project.from_dict({**base.to_dict(), "项目名称": "第二个项目", "项目编码": "530000000000000000002"})
    res = bulk([base, other], tmp_path / "out", kind="selfeval", execution=__import__("perfbook.batch._parallel", fromlist=["Plan"]).Plan(jobs=1))
    assert len(res.written) == 1 and not res.failed
    book = read_cycle(tmp_path / "out" / res.written[0].file)
    assert [p.name for p in book.projects] == [base.name, "第二个项目"]
    assert all(sum(i.get("分值") for i in p.indicators) + p.get("预算执行分值") == 100 for p in book.projects)
    assert book.projects[1].code == "530000000000000000002"


def test_collect_puts_cycle_tables_in_their_own_sheets(tmp_path):
    from perfbook.batch.collect import collect
    folder = tmp_path / "in"
    folder.mkdir()
    # seed-001 rows 11..21 all fully achieved; 执行率 95 % with its reason given: 90 + 9.5 = 99.5, 优
    edits = {f"G{r}": v for r, v in zip(range(11, 22), [12, 48, "达成", 12, 4, 200, "达成", 365, 100, 98, 99])}
    edits.update({"E5": 100, "F5": 95, "B23": "年底采购合同未结算"})
    _filled(folder, edits, "自评.xlsx")
    (folder / "se.xlsx").unlink()
    monitor(EXAMPLES / "seed-001.yaml", folder / "监控.xlsx")
    res = collect(folder, tmp_path / "汇总.xlsx", db=f"sqlite:///{tmp_path / 'h.db'}")
    wb = openpyxl.load_workbook(tmp_path / "汇总.xlsx")
    head, row = list(wb["自评"].iter_rows(values_only=True))
    got = dict(zip(head, row))
    assert (got["总分"], got["自评等级"], got["预算执行率"], got["错误数"], got["分值合计"]) == (99.5, "优", 95, 0, 100)
    head, row = list(wb["监控"].iter_rows(values_only=True))
    assert dict(zip(head, row))["未选"] == 11
    import sqlite3
    con = sqlite3.connect(tmp_path / "h.db")
    assert con.execute('select count(*) from "汇总_自评"').fetchone()[0] == 1
    assert res.read == 2


def test_dropdowns_and_red_rows_cover_every_indicator_row(tmp_path):
    out = selfeval(EXAMPLES / "seed-001.yaml", tmp_path / "s.xlsx")      # 11 indicators: rows 11..21
    ws = openpyxl.load_workbook(out).active
    dv = [str(d.sqref) for d in ws.data_validations.dataValidation]
    assert "G11:G21" in dv
    cf = {str(rng.sqref): [r.formula for r in rules] for rng, rules in ws.conditional_formatting._cf_rules.items()}
    assert cf == {"A11:K21": [['AND($K11="",$I11<>"",NOT($I11>=$H11))']]}
    assert ws.print_title_rows == "$10:$10" and ws.page_setup.orientation == "landscape"
    out = monitor(EXAMPLES / "seed-001.yaml", tmp_path / "m.xlsx")
    ws = openpyxl.load_workbook(out).active
    assert [str(d.sqref) for d in ws.data_validations.dataValidation] == ["I10:I20"]
    assert ws.data_validations.dataValidation[0].formula1 == '"确定能,有可能,完全不可能"'


def test_cycle_vba_module_shares_no_name_with_the_other_modules():
    """LibreOffice Basic resolves even Private names across modules: PerfbookCycle's procedures and
    module variables must not shadow PerfbookCheck's (a shared Hit or NF broke the target table's 校验)."""
    import re

    from perfbook.excel import _vba as vba

    def names(src):
        out = set(re.findall(r"^(?:Public |Private )?(?:Sub|Function) (\w+)", src, re.M))
        for line in re.findall(r"^(?:Public|Private|Dim) (?!Sub|Function|Const)(.+)$", src, re.M):
            out |= set(re.findall(r"(\w+)(?:\(\))? As", line))
        return out | set(re.findall(r"^(?:Public|Private) Const (\w+)", src, re.M))
    mods = {m.name: m.source for m in vba.standard_modules()}
    own = [n.lower() for n in names(mods[vba.CYCLE_MODULE])]
    mine = set(own)
    assert len(own) == len(mine)          # VBA names are case-blind: cyGrade the variable is CyGrade the function
    for name, src in mods.items():
        if name != vba.CYCLE_MODULE:
            assert not mine & {n.lower() for n in names(src)}, name


def test_collect_puts_cycle_tables_in_their_sheets_and_tables(tmp_path):
    """自评 / 监控 rows, in the summary workbook and the database, with 总分 and 自评等级 per project
    (a self-evaluation filled from the hand-worked edges: Σ得分 + 预算执行得分 9.5, graded by hand)."""
    import sqlite3

    from perfbook.batch.collect import collect
    folder = tmp_path / "交回"
    folder.mkdir()
    edges = EDGES[:4]                                       # 得分 10 + 10 + 10 + 5 = 35
    inds = [{"一级指标": "产出指标", "二级指标": "数量指标", "三级指标": f"指标{i}", "指标性质": s, "指标值": t,
             "度量单位": "个", "实际完成值": a, "分值": w} for i, (s, t, a, w, _x) in enumerate(edges)]
    p = Project.from_dict({"项目名称": "汇总自评", "项目编码": "0012", "预算年度": 2025, "全年预算数": 1300,
                           "全年执行数": 1235, "预算执行分值": 10, "指标": inds})
    (folder / "自评.xlsx").write_bytes(render([p], "selfeval"))
    monitor(EXAMPLES / "seed-001.yaml", folder / "监控.xlsx")
    db = tmp_path / "汇总.db"
    collect(folder, tmp_path / "汇总.xlsx", db=str(db))
    wb = openpyxl.load_workbook(tmp_path / "汇总.xlsx")
    head, row = list(wb["自评"].iter_rows(values_only=True))[:2]
    got = dict(zip(head, row))
    assert got["总分"] == pytest.approx(44.5) and got["自评等级"] == "差" and got["项目编码"] == "0012"
    assert wb["监控"].max_row == 2
    con = sqlite3.connect(db)
    total, grade, code = con.execute('SELECT "总分", "自评等级", "项目编码" FROM "汇总_自评"').fetchone()
    assert float(total) == pytest.approx(44.5) and grade == "差" and code == "0012"
    assert con.execute('SELECT COUNT(*) FROM "汇总_监控"').fetchone()[0] == 1
