"""Checks of a 绩效自评表 / 绩效监控表, scored in Python by the same scoring.yaml the sheet's formulas use.

Rule ids (cycle-…) are stable: they name the finding in reports, collect's 问题 sheet and the annotated copy.
"""
from __future__ import annotations

import os
import re
import zipfile

from .._sheetxml import col_letter
from ..findings import ERROR, WARNING, Finding, Report
from ..frames import norm_name
from . import scoring as S
from .read import SCORE, CycleBook, read_cycle

TOL = 0.005


def export_candidate(path) -> bool:
    """A regular file whose bytes are SpreadsheetML 2003: the only form the budget system's
    self-evaluation and monitoring exports take. Anything else goes straight to the ordinary reader
    (never open a FIFO, never hand a BIFF file to calamine twice)."""
    import stat
    from pathlib import Path as _Path

    from ..sniff import sniff
    p = _Path(path)
    try:
        if not stat.S_ISREG(p.stat().st_mode) or p.suffix.lower() not in (".xls", ".xml"):
            return False
        return sniff(p) == "xml2003"
    except OSError:
        return False


def cycle_kind(path) -> str | None:
    """selfeval / monitor when an xlsx records it (perfbook.kind, written by perfbook selfeval/monitor)."""
    import stat
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return None
        with zipfile.ZipFile(path) as z:
            info = z.getinfo("docProps/custom.xml")
            if info.file_size > 1_000_000:
                return None
            xml = z.read(info).decode("utf-8", "replace")
    except (OSError, KeyError, zipfile.BadZipFile, ValueError):
        return None
    m = re.search(r'name="perfbook\.kind"[^>]*>\s*<vt:\w+[^>]*>(\w+)<', xml)
    return m.group(1) if m else None


def is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def quantitative(ind) -> bool:
    return ind.get("指标性质") != "定性" and is_number(ind.get("指标值"))


def check_cycle(source, *, target=None, scheme=None, template=None) -> Report:
    book = source if isinstance(source, CycleBook) else read_cycle(source, template=template)
    sc = S.scheme_for(scheme or book.scheme)
    targets = None
    if target is not None:
        from .make import load_targets
        targets = load_targets(target)
    findings: list[Finding] = []
    for i, p in enumerate(book.projects):
        tp = targets[i] if targets and i < len(targets) else None
        findings += (_selfeval if book.kind == "selfeval" else _monitor)(book, p, sc)
        if targets is not None:
            findings += _against_target(book, p, tp)
    return Report(book.path, tuple(findings), f"评分方案 {sc.id}", len(book.projects), tuple(book.notes), frame_source=sc.title)


def _f(book, p, rule, sev, msg, addr=None, fix=None) -> Finding:
    sheet, _, cell = (addr or "").rpartition("!")
    sheet = sheet or (p.sheets[0] if p.sheets else None)
    return Finding(rule, sev, msg, book.path, sheet, cell or None, fix, p.name)


def _addr(p, ind, label_col: str | None) -> str | None:
    sheet = p.sheets[0] if p.sheets else ""
    return f"{sheet}!{label_col}{ind.row}" if label_col and ind.row else None


def _columns(book, label) -> str | None:
    from ..template import Template
    from .make import template_path
    tpl = Template.load(template_path(book.kind))
    for ts in tpl.sheets:
        col = ts.loop_column(label)
        if col:
            return col_letter(col)
    return None


def scored(sc: S.Scheme, ind):
    return sc.score(ind.get("指标性质") if quantitative(ind) or ind.get("指标性质") else None,
                    ind.get("指标值"), ind.get("实际完成值"), ind.get("分值") or 0)


def _selfeval(book: CycleBook, p, sc: S.Scheme) -> list[Finding]:
    out = []
    col = {lab: _columns(book, lab) for lab in ("实际完成值", "分值", SCORE, "偏差原因分析及改进措施")}
    if book.shown is not None and "分值" not in book.shown:   # a form with no 分值 column: nothing to score
        return [f for f in _selfeval_values(book, p, col)]
    total_w = 0
    for ind in p.indicators:
        name = ind.get("三级指标") or "（未命名指标）"
        x, w = ind.get("实际完成值"), ind.get("分值")
        total_w += w if is_number(w) else 0
        at = lambda lab: ind.cell(lab) or _addr(p, ind, col.get(lab))   # noqa: E731
        if x is None:
            out.append(_f(book, p, "cycle-actual-missing", ERROR, f"“{name}”未填写实际完成值", at("实际完成值")))
            continue
        if quantitative(ind) and not is_number(x):
            out.append(_f(book, p, "cycle-actual-numeric", ERROR, f"“{name}”是定量指标，实际完成值应填数字（现为“{x}”）",
                          at("实际完成值"), "只填数字，单位在度量单位列"))
            continue
        if not quantitative(ind) and S.qualitative_key(x) is None:
            out.append(_f(book, p, "cycle-qualitative-value", ERROR,
                          f"“{name}”是定性指标，实际完成值应为 达成 / 部分达成 / 未达成（现为“{x}”）", at("实际完成值")))
            continue
        computed = scored(sc, ind)
        s = ind.get(SCORE)
        addr = at(SCORE)
        if is_number(s) and book.typed(addr):
            if quantitative(ind) and is_number(computed) and abs(s - computed) > TOL:
                out.append(_f(book, p, "cycle-score-typed", ERROR,
                              f"“{name}”的得分 {s} 是手工填写的，与按评分规则计算的 {computed} 不符", addr, f"改为 {computed} 或恢复公式"))
            elif not quantitative(ind):
                band = sc.band(x, w or 0)
                if band and not (band[0] - TOL <= s <= band[1] + TOL):
                    out.append(_f(book, p, "cycle-score-band", ERROR,
                                  f"“{name}”定性“{S.qualitative_key(x)}”的得分应在 {band[0]}–{band[1]} 之间（现为 {s}）", addr))
        else:
            s = computed
        if is_number(s) and is_number(w) and s > w + TOL:
            out.append(_f(book, p, "cycle-score-max", ERROR, f"“{name}”的得分 {s} 超过分值 {w}", addr))
        if is_number(s) and is_number(w) and not S.achieved(s, w) and not ind.get("偏差原因分析及改进措施"):
            out.append(_f(book, p, "cycle-reason-required", ERROR, f"“{name}”未满分（{s}/{w}），须填写偏差原因分析及改进措施",
                          at("偏差原因分析及改进措施")))
    bw = p.get("预算执行分值") or 0
    if abs(total_w + (bw if is_number(bw) else 0) - 100) > TOL:
        out.append(_f(book, p, "cycle-weights-sum", ERROR, f"分值合计应为 100（指标 {total_w:g} + 预算执行 {bw}）",
                      p.cell("预算执行分值")))
    rate, _score = sc.budget(p.get("全年预算数"), p.get("全年执行数"))
    if p.get("全年预算数") is None or p.get("全年执行数") is None:
        out.append(_f(book, p, "cycle-funds-missing", WARNING, "未填写全年预算数或全年执行数，预算执行率无法计算",
                      p.cell("年度资金总额")))
    elif is_number(rate) and rate < 100 and not p.get("偏差原因及改进措施"):
        out.append(_f(book, p, "cycle-reason-required", ERROR, f"预算执行率 {rate}% 未达 100%，须填写偏差原因及改进措施",
                      p.cell("全年执行数")))
    return out


def _selfeval_values(book: CycleBook, p, col) -> list[Finding]:
    """Only what a form without 分值 can be asked: 实际完成值 numeric for 定量, 达成… for 定性."""
    out = []
    for ind in p.indicators:
        name, x = ind.get("三级指标") or "（未命名指标）", ind.get("实际完成值")
        at = ind.cell("实际完成值") or _addr(p, ind, col.get("实际完成值"))
        if x is not None and quantitative(ind) and not is_number(x):
            out.append(_f(book, p, "cycle-actual-numeric", ERROR, f"“{name}”是定量指标，实际完成值应填数字（现为“{x}”）", at))
        elif x is not None and not quantitative(ind) and S.qualitative_key(x) is None:
            out.append(_f(book, p, "cycle-qualitative-value", ERROR,
                          f"“{name}”是定性指标，实际完成值应为 达成 / 部分达成 / 未达成（现为“{x}”）", at))
    return out


def _monitor(book: CycleBook, p, sc) -> list[Finding]:
    out = []
    col = {lab: _columns(book, lab) for lab in ("当前完成值", "完成可能性", "偏差原因说明")}
    ok, allowed = S.data()["likelihood_ok"], S.data()["likelihood"]
    for ind in p.indicators:
        name = ind.get("三级指标") or "（未命名指标）"
        at = lambda lab: ind.cell(lab) or _addr(p, ind, col.get(lab))   # noqa: E731
        cur, lk = ind.get("当前完成值"), ind.get("完成可能性")
        if cur is not None and quantitative(ind) and not is_number(cur):
            out.append(_f(book, p, "cycle-actual-numeric", ERROR, f"“{name}”是定量指标，当前完成值应填数字（现为“{cur}”）", at("当前完成值")))
        if lk is None:
            out.append(_f(book, p, "cycle-likelihood", ERROR, f"“{name}”未选择完成可能性", at("完成可能性")))
        elif lk not in allowed:
            out.append(_f(book, p, "cycle-likelihood", ERROR, f"“{name}”的完成可能性应为 {' / '.join(allowed)}（现为“{lk}”）", at("完成可能性")))
        elif lk != ok and not ind.get("偏差原因说明") and (book.shown is None or "偏差原因分析及改进措施" in book.shown):
            out.append(_f(book, p, "cycle-reason-required", ERROR, f"“{name}”完成可能性为“{lk}”，须填写偏差原因说明", at("偏差原因说明")))
    return out


def _against_target(book, p, tp) -> list[Finding]:
    if tp is None:
        return [_f(book, p, "cycle-target-changed", ERROR, "批复的目标表中没有这个项目")]
    out = []
    approved = {norm_name(i.get("三级指标")): i for i in tp.indicators}
    seen = set()
    for ind in p.indicators:
        key = norm_name(ind.get("三级指标"))
        seen.add(key)
        a = approved.get(key)
        if a is None:
            out.append(_f(book, p, "cycle-target-changed", ERROR, f"“{ind.get('三级指标')}”不在批复的目标表中", ind.cell("三级指标")))
            continue
        for lab in ("指标性质", "指标值", "度量单位"):
            if _same(a.get(lab)) != _same(ind.get(lab)):
                out.append(_f(book, p, "cycle-target-changed", ERROR,
                              f"“{ind.get('三级指标')}”的{lab}与批复的目标不同（批复“{a.get(lab)}”，现为“{ind.get(lab)}”）",
                              ind.cell(lab), f"改回 {a.get(lab)}"))
    for key, a in approved.items():
        if key not in seen:
            out.append(_f(book, p, "cycle-target-changed", ERROR, f"批复的指标“{a.get('三级指标')}”不在表中"))
    return out


def _same(v):
    return None if v is None else (float(v) if is_number(v) else str(v).strip())

