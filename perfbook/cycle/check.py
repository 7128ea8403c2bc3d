"""Checks of a 绩效自评表 / 绩效监控表, scored in Python by the same scoring.yaml the sheet's formulas use.

Rule ids (cycle-…) are stable: they name the finding in reports, collect's 问题 sheet and the annotated copy.
"""
from __future__ import annotations

import os
import re
import stat
import zipfile
import zlib
from pathlib import Path as _Path

from ..ooxml._sheetxml import col_letter
from ..readers._sniff import sniff
from ..rules._frames import norm_name
from ..rules.findings import ERROR, Finding, Report
from ..write._template import Template
from . import expr as E, scoring as S
from .make import load_targets, template_path
from .read import SCORE, CycleBook, read_cycle

__all__ = ["export_candidate", "cycle_kind", "is_number", "quantitative", "check_cycle", "scored",
           "row_facts", "project_facts", "run_checks"]


def export_candidate(path) -> bool:
    """A regular file whose bytes are SpreadsheetML 2003: the only form the budget system's
    self-evaluation and monitoring exports take. Anything else goes straight to the ordinary reader
    (never open a FIFO, never hand a BIFF file to calamine twice)."""

    p = _Path(path)
    try:
        if not stat.S_ISREG(p.stat().st_mode) or p.suffix.lower() not in (".xls", ".xml"):
            return False
        return sniff(p) == "xml2003"
    except OSError:
        return False


def cycle_kind(path) -> str | None:
    """selfeval / monitor when an xlsx records it (perfbook.kind, written by perfbook selfeval/monitor)."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return None
        with zipfile.ZipFile(path) as z:
            info = z.getinfo("docProps/custom.xml")
            if info.file_size > 1_000_000:
                return None
            xml = z.read(info).decode("utf-8", "replace")
    except (OSError, KeyError, zipfile.BadZipFile, ValueError, zlib.error, EOFError, RuntimeError, NotImplementedError):
        return None     # a part that does not inflate (or is encrypted, or packed oddly): the reader says what is wrong
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
    tpl = Template.load(template_path(book.kind))
    for ts in tpl.sheets:
        col = ts.loop_column(label)
        if col:
            return col_letter(col)
    return None


def scored(sc: S.Scheme, ind):
    return sc.score(ind.get("指标性质") if quantitative(ind) or ind.get("指标性质") else None,
                    ind.get("指标值"), ind.get("实际完成值"), ind.get("分值") or 0, ind.get("扣减分数"))


def _selfeval(book: CycleBook, p, sc: S.Scheme) -> list[Finding]:
    col = {lab: _columns(book, lab) for lab in ("实际完成值", "分值", SCORE, "偏差原因分析及改进措施")}
    out = []
    for ind in p.indicators:
        at = lambda lab: ind.cell(lab) or _addr(p, ind, col.get(lab))   # noqa: E731
        env = row_facts(ind, "selfeval", sc, book.typed(at(SCORE)))
        out += run_checks(book, p, sc, "selfeval", env, lambda f: at(SCORE if f == "得分" else f))
    return out + run_checks(book, p, sc, "selfeval_project", project_facts(p), p.cell)


def _monitor(book: CycleBook, p, sc) -> list[Finding]:
    col = {lab: _columns(book, lab) for lab in ("当前完成值", "完成可能性", "偏差原因说明")}
    out = []
    for ind in p.indicators:
        at = lambda lab: ind.cell(lab) or _addr(p, ind, col.get(lab))   # noqa: E731
        out += run_checks(book, p, sc, "monitor", row_facts(ind, "monitor", sc, False), at)
    return out


def row_facts(ind, kind: str, sc: S.Scheme, typed: bool) -> dict:
    """The names scoring.yaml's row checks use, read off one indicator."""
    selfeval = kind == "selfeval"
    return {"name": ind.get("三级指标") or "（未命名指标）", "sign": ind.get("指标性质"), "t": ind.get("指标值"),
            "w": ind.get("分值"), "x": ind.get("实际完成值" if selfeval else "当前完成值"), "ts": ind.get(SCORE),
            "typed": typed, "computed": scored(sc, ind) if selfeval else None, "lk": ind.get("完成可能性"),
            "reason": ind.get("偏差原因分析及改进措施" if selfeval else "偏差原因说明")}


def project_facts(p) -> dict:
    bw = p.get("预算执行分值")
    return {"wsum": sum(w for w in (i.get("分值") for i in p.indicators) if is_number(w)),
            "bw": bw if is_number(bw) else 0, "b": p.get("全年预算数"), "e": p.get("全年执行数"),
            "reason": p.get("偏差原因及改进措施")}


def run_checks(book, p, sc: S.Scheme, kind: str, env: dict, at) -> list[Finding]:
    """scoring.yaml's checks of one list on one row (or project), in order, up to the first `stop` broken."""
    out = []
    for spec, when, fields in sc.checks(kind):
        if book.shown is not None and any(n not in book.shown for n in spec.get("needs", ())):
            continue                               # a form without that column: the check does not apply
        try:
            hit = E.evaluate(when, env)
        except (ValueError, ZeroDivisionError, TypeError):
            hit = False                            # as the VBA: a failed step breaks no check
        if not hit:
            continue
        vals = {}
        for k, tree in fields.items():
            try:
                vals[k] = S.show(E.evaluate(tree, env))
            except (ValueError, ZeroDivisionError, TypeError):
                vals[k] = ""
        out.append(_f(book, p, spec["id"], spec.get("severity", ERROR), spec["message"].format(**vals),
                      at(spec["at"]), spec["fix"].format(**vals) if spec.get("fix") else None))
        if spec.get("stop"):
            break
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

