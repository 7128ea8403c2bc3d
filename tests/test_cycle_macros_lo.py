"""The 校验 button of a 绩效自评表 / 绩效监控表 (PerfbookCycle, compiled from scoring.yaml) run by LibreOffice.

Each workbook is made by `perfbook selfeval/monitor --macros`, then typed into by LibreOffice (hand-typed
得分 over the formulas, text where a number belongs, a cleared 实际完成值, a wrong 分值 …) and stored.
That stored file is what `perfbook check` reads; LibreOffice opens it again and runs the VBA. The findings
on the 校验结果 sheet must be exactly perfbook check's (rule, severity, cell, message, fix, in order), the
summary line the same, and the VBA's 总分 / 自评等级 the Python score of the same sheet.
"""
from __future__ import annotations

import pytest
from python_calamine import CalamineWorkbook

import perfbook
from perfbook.cycle import read_cycle, scheme_for
from perfbook.cycle.collect import project_score
from perfbook.cycle.make import render
from perfbook.model import Project
from perfbook.xlwings_bridge import summary, texts

from .test_cycle import EDGES, ENUM_EDGES
from .test_macros_lo import result_rows

pytestmark = pytest.mark.libreoffice
T = texts()
SE, MO = "绩效自评表", "绩效监控表"


def _selfeval(edges, b=1300, e=1235) -> Project:
    inds = [{"一级指标": "产出指标", "二级指标": "数量指标", "三级指标": f"指标{i}", "指标性质": s, "指标值": t,
             "度量单位": "" if s == "定性" else "个", "实际完成值": a, "分值": w} for i, (s, t, a, w, _x) in enumerate(edges)]
    return Project.from_dict({"项目名称": "评分边界", "预算年度": 2025, "全年预算数": b, "全年执行数": e,
                              "预算执行分值": 10, "年度资金总额": 1280, "指标": inds})


def _monitor() -> Project:
    inds = [{"一级指标": "产出指标", "二级指标": "数量指标", "三级指标": f"监控{i}", "指标性质": s, "指标值": t,
             "度量单位": "个", "当前完成值": cur, "完成可能性": lk, "偏差原因说明": why}
            for i, (s, t, cur, lk, why) in enumerate([
                ("≥", 100, 60, "确定能", None), ("≥", 100, "约一半", "有可能", "进度慢"), ("≤", 10, 4, None, None),
                ("定性", "明显改善", "推进中", "有可能", None), ("≥", 5, 2, "可能", None), ("＝", 3, 3, "完全不可能", "停工")])]
    return Project.from_dict({"项目名称": "监控校验", "预算年度": 2025, "全年预算数": 100, "当前执行数": 40, "指标": inds})


# LibreOffice types these before the file is stored (sheet, cell, value): rows start at 11 (自评) / 10 (监控)
TYPED = {
    "default": [(SE, "I14", 6), (SE, "I27", 3), (SE, "G12", "约130"), (SE, "G13", None), (SE, "I11", 12),
                (SE, "G29", "完成"), (SE, "K15", "受汛期影响"), (SE, "G5", 15), (SE, "I28", 4),
                (SE, "J16", 1.5), (SE, "J18", 10)],             # 扣减分数: 9.95 − 1.5 = 8.45; 6.3 − 10 → 0
    "clean": [(SE, f"K{11 + i}", "已说明") for i in range(len(EDGES))] + [(SE, "B32", "年底结转")],
}


def _cases():
    return {
        "default": (render([_selfeval(EDGES)], "selfeval", macros=True), SE, TYPED["default"]),
        "clean": (render([_selfeval(EDGES, 100, 120)], "selfeval", macros=True), SE, TYPED["clean"]),
        "enum-text": (render([_selfeval(ENUM_EDGES + EDGES[:5])], "selfeval", scheme="enum-text", macros=True), SE,
                      [(SE, "I12", 9.41), (SE, "I13", 9)]),
        "system-code": (render([_selfeval(EDGES[:6], 100, 70)], "selfeval", scheme="system-code", macros=True), SE, []),
        "monitor": (render([_monitor()], "monitor", macros=True), MO, []),
    }


@pytest.fixture(scope="module")
def lo(tmp_path_factory, soffice):
    d = tmp_path_factory.mktemp("cycle-macros")
    cases = _cases()
    typed_jobs, run_jobs = [], []
    for name, (data, sheet, typed) in cases.items():
        src = d / f"{name}.xlsm"
        src.write_bytes(data)
        typed_jobs.append({"in": str(src), "set": [list(t) for t in typed], "out": str(d / f"{name}-typed.xlsm"),
                           "filter": "Calc MS Excel 2007 VBA XML"})
        run_jobs.append({"in": str(d / f"{name}-typed.xlsm"), "activate": sheet,
                         "macros": ["PerfbookCycle.CycleValidateSilent", "PerfbookCycle.CycleScoreSilent"],
                         "out": str(d / f"{name}-checked.xlsm"), "filter": "Calc MS Excel 2007 VBA XML"})
    for res in soffice.run_jobs(typed_jobs):
        assert "error" not in res, res
    out = {}
    for name, job, res in zip(cases, run_jobs, soffice.run_jobs(run_jobs)):
        assert "error" not in res, (name, res)
        rows = CalamineWorkbook.from_path(job["out"]).get_sheet_by_name(T["results_sheet"]).to_python()
        out[name] = (job["in"], cases[name][1], res["macros"], result_rows(rows))
    return out


@pytest.mark.parametrize("name", ["default", "clean", "enum-text", "system-code", "monitor"])
def test_vba_findings_and_score_equal_perfbook_check(name, lo):
    path, sheet, macros, found = lo[name]
    rep = perfbook.check(path)
    py = [(f.severity, f.rule, f.sheet, f.cell or "", f.message, f.fix or "") for f in rep.findings if f.sheet == sheet]
    assert found == py
    assert macros[0]["result"] == summary([f for f in rep.findings if f.sheet == sheet])
    if sheet == SE:
        book = read_cycle(path)
        sc = scheme_for(book.scheme)
        want = project_score(sc, book.projects[0])
        total, grade = macros[1]["result"].split("|")
        assert float(total) == pytest.approx(want["总分"], abs=1e-9) and grade == want["自评等级"]
    if name == "default":           # LibreOffice's own formula results with the 扣减分数, worked out by hand
        from perfbook.cycle.read import SCORE
        got = {i.row: i.get(SCORE) for i in read_cycle(path).projects[0].indicators}
        assert got[16] == pytest.approx(8.45) and got[18] == 0 and got[15] == pytest.approx(4.74)


def test_the_cases_reach_every_check(lo):
    rules = {r[1] for *_x, found in lo.values() for r in found}
    assert rules >= {"cycle-actual-missing", "cycle-actual-numeric", "cycle-qualitative-value", "cycle-score-typed",
                     "cycle-score-band", "cycle-score-max", "cycle-reason-required", "cycle-weights-sum",
                     "cycle-likelihood"}, rules
    # every reason given, funds over budget: only the edge table's 分值 (148, not 90) is left to report
    assert [r[1] for r in lo["clean"][3]] == ["cycle-weights-sum"]
