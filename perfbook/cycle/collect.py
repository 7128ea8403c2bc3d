"""collect's rows for 绩效自评表 / 绩效监控表: one row per project in the summary sheets 自评 and 监控
(and their database tables), with 总分 and 自评等级 scored by the same rules as the sheet."""
from __future__ import annotations

from ..rules.findings import ERROR, WARNING
from . import scoring as S
from .check import check_cycle, is_number, scored
from .exports import read_export
from .read import SCORE, read_cycle

__all__ = ["SHEETS", "project_score", "rows", "export_rows"]

SHEETS = {
    "自评": ("文件", "工作表", "项目名称", "项目编码", "主管部门", "预算年度", "指标数", "分值合计", "全年预算数", "全年执行数",
           "预算执行率", "预算执行得分", "指标得分", "总分", "自评等级", "错误数"),
    "监控": ("文件", "工作表", "项目名称", "项目编码", "主管部门", "预算年度", "指标数", "全年预算数", "当前执行数", "执行率",
           "确定能", "有可能", "完全不可能", "未选", "错误数"),
}


def project_score(sc: S.Scheme, p) -> dict:
    """总分 and 等级 of one self-evaluation: a typed 得分 counts (check reports it when wrong), else the rule's."""
    total = 0.0
    for ind in p.indicators:
        s = ind.get(SCORE)
        s = s if is_number(s) else scored(sc, ind)
        total += s if is_number(s) else 0
    rate, bscore = sc.budget(p.get("全年预算数"), p.get("全年执行数"))
    total = S.E.excel_round(total, 2)
    grand = S.E.excel_round(total + (bscore or 0), 2)
    return {"预算执行率": rate, "预算执行得分": bscore, "指标得分": total, "总分": grand, "自评等级": sc.grade(grand)}


def rows(path, rel: str):
    """(sheet, row) pairs and the problem rows for one cycle table; raises PerfbookError when unreadable."""
    book = read_cycle(path)
    sc = S.scheme_for(book.scheme)
    report = check_cycle(book)
    problems = [(rel, f.sheet, f.cell, f.project, f.severity, f.rule, f.message, f.fix) for f in report.findings]
    out = []
    for p in book.projects:
        errs = sum(1 for f in report.findings if f.project == p.name and f.severity == ERROR)
        head = (rel, "、".join(p.sheets) or None, p.name, p.code, p.department, p.year, len(p.indicators))
        if book.kind == "selfeval":
            sc_ = project_score(sc, p)
            w = sum(i.get("分值") for i in p.indicators if is_number(i.get("分值"))) + (p.get("预算执行分值") or 0)
            out.append(("自评", (*head, w, p.get("全年预算数"), p.get("全年执行数"), sc_["预算执行率"], sc_["预算执行得分"],
                                 sc_["指标得分"], sc_["总分"], sc_["自评等级"], errs)))
        else:
            rate, _ = sc.budget(p.get("全年预算数"), p.get("当前执行数"))
            lk = [i.get("完成可能性") for i in p.indicators]
            out.append(("监控", (*head, p.get("全年预算数"), p.get("当前执行数"), rate,
                                 *(sum(1 for x in lk if x == k) for k in S.data()["likelihood"]),
                                 sum(1 for x in lk if x is None), errs)))
    counts = (sum(1 for f in report.findings if f.severity == ERROR), sum(1 for f in report.findings if f.severity == WARNING))
    return out, problems, counts



def export_rows(path, rel: str):
    """The same rows for a budget-system export; None when the file is not a cycle export.
    总分 = Σ得分 read + 预算执行得分 computed from the funds row; empty when the form shows no 得分 or no funds."""
    book = read_export(path)
    if book.kind is None:
        return None
    inds = book.indicators
    problems = [(rel, n.sheet, n.cell, book.name, WARNING, "read-inferred", n.zh, None) for n in book.notes]
    sheet = "、".join(t.sheet for t in book.tables)
    head = (rel, sheet, book.name, None, None, None, len(inds))
    sc = S.scheme_for()
    b, e = book.funds.get("全年预算数"), book.funds.get("执行数")
    rate, bscore = sc.budget(b, e) if book.funds else (None, None)
    row: tuple[str, tuple]
    if book.kind == "selfeval":
        got = [float(x) for x in (i.get("得分") for i in inds) if x is not None and _num(x) is not None]
        total = S.E.excel_round(sum(got), 2) if got else None
        grand = S.E.excel_round(total + bscore, 2) if total is not None and bscore is not None else None
        w = sum(float(i["分值"]) for i in inds if _num(i.get("分值")) is not None) or None
        row = ("自评", (*head, w, b, e, rate, bscore, total, grand, sc.grade(grand) if grand is not None else None, 0))
    else:
        lk = [i.get("完成可能性") for i in inds]
        row = ("监控", (*head, b, e, rate, *(sum(1 for x in lk if x == k) for k in S.data()["likelihood"]),
                        sum(1 for x in lk if x is None), 0))
    return [row], problems, (0, len(problems))


def _num(v):
    try:
        return float(str(v).strip())
    except (TypeError, ValueError):
        return None
