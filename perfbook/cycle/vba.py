"""The 校验 of a 绩效自评表 / 绩效监控表 in VBA: the PerfbookCycle module, compiled from scoring.yaml.

The scoring (indicator 得分, 执行率 and its score) and every check of scoring.yaml's `checks` are compiled
from the same trees perfbook check evaluates (scoring.Scheme.checks on the symbolic scheme: parameters
are looked up at run time, so one module serves every scheme, chosen by the workbook's perfbook.scoring).
Where the fields are comes from the cycle templates (their marks), as perfbook's reader finds them.
The findings go through PerfbookCheck.ApplyFindings, so they are marked, commented, listed and cleared
exactly like the target table's.
"""
from __future__ import annotations

import re
from functools import cache

from ..ooxml._sheetxml import col_letter
from ..write._template import Template
from . import expr as E, scoring as S
from .make import KINDS, template_path
from .read import SCORE

__all__ = ["layout", "module_source"]

MODULE = "PerfbookCycle"
ROW_FACTS = ("name", "sign", "t", "w", "x", "d", "ts", "typed", "computed", "lk", "reason")
PROJECT_FACTS = ("wsum", "bw", "b", "e", "reason")
# fact → the field it is read from, per kind (row facts: indicator-row columns; project facts: header cells)
ROW_FIELDS = {
    "selfeval": {"name": "三级指标", "sign": "指标性质", "t": "指标值", "w": "分值", "x": "实际完成值", "d": "扣减分数", "ts": SCORE,
                 "reason": "偏差原因分析及改进措施"},
    "monitor": {"name": "三级指标", "sign": "指标性质", "t": "指标值", "x": "当前完成值", "lk": "完成可能性",
                "reason": "偏差原因说明"},
}
PROJECT_FIELDS = {"bw": "预算执行分值", "b": "全年预算数", "e": "全年执行数", "reason": "偏差原因及改进措施"}
AT_ALIAS = {"得分": SCORE}
LISTS = {"selfeval": ("selfeval", "selfeval_project"), "monitor": ("monitor",)}


def layout(kind: str) -> dict:
    """Where the cycle template puts each field: the loop row, the indicator columns, the header cells
    (row, col, below the loop?) and the label that ends the indicator block."""
    tpl = Template.load(template_path(kind))
    ts = next(s for s in tpl.sheets if s.loop_row is not None)
    T = ts.loop_row
    assert T is not None
    cols: dict = {}
    cells: dict = {}
    for s in ts.slots:
        if s.single:
            (cols if s.loop else cells)[s.labels[0]] = s.col if s.loop else (s.row, s.col)
    end = next((str(v).strip() for (r, c), v in sorted(ts.literals.items()) if r > T), "")
    return {"T": T, "cols": cols, "cells": cells, "end": end, "title": _title(ts)}


def _title(ts) -> str:
    return next((str(v) for (r, _c), v in sorted(ts.literals.items()) if r == 1), "")


def _params() -> dict[str, dict]:
    out = {}
    for sid in S.data()["schemes"]:
        sc = S.scheme_for(sid)
        out[sid] = {**sc.params, "bw": sc.budget_weight}
    return out


def _names(facts, extra=()) -> dict[str, str]:
    names = {f: f for f in facts}
    for k in S.symbolic().params:
        names[f"p_{k}"] = f'CyP("{k}")'
    names["p_bw"] = 'CyP("bw")'
    names.update(extra)
    return names


@cache
def module_source() -> str:
    """The module's text (Attribute VB_Name first, CRLF line ends, ASCII only)."""
    from ..excel._vba import _crlf, _env, _template_source, check_ascii, vba_string
    sym = S.symbolic()
    fn = E.VbaFunctions(vba_string, "CyF")
    fn.function("CyScore", sym.indicator_expr(), ("sign", "t", "x", "w", "d"), _names(("sign", "t", "x", "w", "d")))
    for what in ("rate", "score"):
        fn.function(f"CyBudget{what.title()}", sym.budget_expr(what), ("b", "e"), _names(("b", "e")))
    kinds = []
    for kind in KINDS:
        lay = layout(kind)
        lists = []
        for lst in LISTS[kind]:
            facts = PROJECT_FACTS if lst.endswith("_project") else ROW_FACTS
            checks = []
            for i, (spec, when, fields) in enumerate(sym.checks(lst), start=1):
                cond = fn.function(f"CyC_{lst}_{i}", when, facts, _names(facts))
                parts = {}
                for f, tree in fields.items():
                    if tree.kind == "name" and tree.value in facts:
                        parts[f] = f"CyShow({tree.value})"
                    else:
                        parts[f] = f"CyShow({fn.function(f'CyV_{lst}_{i}_{f}', tree, facts, _names(facts))}({', '.join(facts)}))"
                at = AT_ALIAS.get(spec["at"], spec["at"])
                checks.append({"id": spec["id"], "severity": spec.get("severity", "错误"), "cond": cond,
                               "message": _message(spec["message"], parts, vba_string),
                               "fix": _message(spec.get("fix", ""), parts, vba_string), "stop": bool(spec.get("stop")),
                               "col": lay["cols"].get(at), "cell": _cell(lay, at), "needs": spec.get("needs", ())})
            lists.append({"name": lst, "project": lst.endswith("_project"), "checks": checks})
        kinds.append({"id": kind, "lay": lay, "lists": lists,
                      "row_cols": {f: lay["cols"].get(lab, 0) for f, lab in ROW_FIELDS[kind].items()},
                      "proj_cells": {f: lay["cells"].get(lab) for f, lab in PROJECT_FIELDS.items()},
                      "title_word": "自评表" if kind == "selfeval" else "监控表"})
    text = _env.from_string(_template_source(f"{MODULE}.bas.j2")).render(
        kinds=kinds, functions="\r\n".join(fn.functions), params=_params(), row_facts=ROW_FACTS,
        project_facts=PROJECT_FACTS, grades={sid: S.scheme_for(sid).grades for sid in S.data()["schemes"]},
        titles={sid: S.scheme_for(sid).title for sid in S.data()["schemes"]}, col_letter=col_letter)
    text = _crlf(text)
    check_ascii(f"{MODULE}.bas", text)
    return text


def _cell(lay, label):
    rc = lay["cells"].get(label)
    return (rc[0], rc[1], rc[0] > lay["T"]) if rc else None


def _message(template: str, parts: dict[str, str], vba_string) -> str:
    """A message with {field}s as a VBA concatenation of its text pieces and the shown values."""
    out = []
    for piece in re.split(r"(\{\w+\})", template):
        if not piece:
            continue
        m = re.fullmatch(r"\{(\w+)\}", piece)
        out.append(parts[m.group(1)] if m else vba_string(piece))
    return " & ".join(out) if out else '""'
