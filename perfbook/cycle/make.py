"""Make the 绩效自评表 and 绩效监控表 from approved target tables, with the scoring as live formulas.

The cycle templates are compiled by perfbook's own renderer (render.Compiled), so indicator rows repeat
and 一级/二级 merge exactly as in the target table. Before compiling, every {{ 公式.名称 }} mark becomes a
formula compiled from data/scoring.yaml for the chosen scheme, and the indicator row gets its red-row format.
"""
from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from .. import data as shipped
from .._version import __version__
from ..errors import DataError, TemplateError
from ..model import Project
from ..ooxml import _parts as P
from ..ooxml._package import write_atomic
from ..ooxml._sheetxml import col_letter, escape, insert_element
from ..write._inject import add_dxfs
from ..write._inputs import DATA_SUFFIXES, load
from ..write._template import Template
from . import expr as E, scoring as S
from .weights import allocate

if TYPE_CHECKING:
    from ..write._render import Compiled

KINDS = {"selfeval": "绩效自评表.xlsx", "monitor": "绩效监控表.xlsx"}
FORMULA = "公式."
RED_DXF = '<dxf><font><color rgb="FF9C0006"/></font><fill><patternFill><bgColor rgb="FFFFC7CE"/></patternFill></fill></dxf>'
# target fields that come over to the cycle tables (the header and the indicator's identity and target)
PROJECT_FIELDS = ("项目名称", "项目编码", "主管部门", "实施单位", "预算年度", "年度资金总额", "财政拨款", "其他资金", "年度目标")
INDICATOR_FIELDS = ("一级指标", "二级指标", "三级指标", "指标性质", "指标值", "度量单位")   # 扣减分数 starts empty


def template_path(kind: str) -> Path:
    return shipped.folder("templates") / KINDS[kind]


def compiled(kind: str, template=None, scheme: str = "default", macros: bool = False) -> Compiled:
    path = Path(template) if template else template_path(kind)
    return _compiled(str(path.resolve()), os.path.getmtime(path), kind, scheme, macros)


@lru_cache(maxsize=16)
def _compiled(path: str, mtime: float, kind: str, scheme: str, macros: bool) -> Compiled:
    from ..write._render import Compiled  # here, not at the top: `perfbook check` imports this module, not the renderer
    t = prepare(Template.load(path), kind, S.scheme_for(scheme))
    if macros:       # the 校验 button: PerfbookCycle scores and checks the table (perfbook/cycle/vba.py)
        from ..excel._vba import embed_macros
        t = embed_macros(t)
    return Compiled(t)


def prepare(t: Template, kind: str, sc: S.Scheme) -> Template:
    """Write the scoring formulas where the template's 公式 marks are, and red rows for a missing 偏差原因."""
    for ts in t.sheets:
        if ts.loop_row is None:
            continue
        refs = _refs(ts)
        formulas = _formulas(kind, sc, refs, ts.loop_row)
        for row in ts.xml.rows:
            for cell in row.cells:
                m = re.fullmatch(r"\s*\{\{\s*(?:指标\.)?公式\.(\S+?)\s*\}\}\s*", cell.text or "")
                if not m:
                    continue
                if m.group(1) not in formulas:
                    raise TemplateError(f"模板中的公式标记“{m.group(1)}”未知（可用：{'、'.join(formulas)}）",
                                        f"unknown formula mark {m.group(1)!r}", t.path, f"{ts.name}!{cell.ref}")
                cell.attrs = re.sub(r'\s*\bt="[^"]*"', "", cell.attrs).strip()
                cell.body, cell.text = f"<f>{escape(formulas[m.group(1)])}</f>", None
        ts.slots = [s for s in ts.slots if not any(lab.startswith(FORMULA) for lab in s.labels)]
        dxf_ids = add_dxfs(t, RED_DXF)
        red = dxf_ids[0] if dxf_ids else None
        cond = _red_row(kind, refs, ts.loop_row)
        if red is not None and cond:
            first, last = min(c for c in _cols(ts)), max(c for c in _cols(ts))
            sq = f"{col_letter(first)}{ts.loop_row}:{col_letter(last)}{ts.loop_row}"
            ts.xml.tail = insert_element(ts.xml.tail, "conditionalFormatting",
                                         f'<conditionalFormatting sqref="{sq}"><cfRule type="expression" dxfId="{red}" '
                                         f'priority="1"><formula>{escape(cond)}</formula></cfRule></conditionalFormatting>')
    _full_calc(t)
    _defined_names(t, {"perfbook_kind": kind, "perfbook_scoring": sc.id})
    return t


def _defined_names(t: Template, names: dict[str, str]) -> None:
    """The kind and the scheme as defined names too (= "selfeval", = "default"): the VBA reads them where
    document properties are out of reach (LibreOffice's VBA mode has no CustomDocumentProperties)."""
    wb = t.parts[t.workbook_part].decode("utf-8")
    items = [P.defined_name(k, '"' + v.replace('"', '""') + '"') for k, v in names.items()]
    t.parts[t.workbook_part] = P.add_defined_names(wb, items).encode("utf-8")


def _cols(ts):
    return [s.col for s in ts.loop_slots()] + [c.col for r in ts.xml.rows if r.r == ts.loop_row for c in r.cells]


def _refs(ts) -> dict[str, str]:
    """Field label → its cell: $E$5 for a header field, $E11 (row-relative) for an indicator-row field."""
    out = {}
    for s in ts.slots:
        if not s.single:
            continue
        lab = s.labels[0]
        out[lab] = f"${col_letter(s.col)}{s.row}" if s.loop else f"${col_letter(s.col)}${s.row}"
    return out


def _need(refs: dict, *labels):
    missing = [x for x in labels if x not in refs]
    if missing:
        raise TemplateError(f"模板缺少计算所需的字段：{'、'.join(missing)}", f"template lacks fields: {missing}")
    return [refs[x] for x in labels]


def _formulas(kind: str, sc: S.Scheme, refs: dict, T: int) -> dict[str, str]:
    out = {}
    for prefix in ("", "财政拨款", "其他资金"):
        b, e = refs.get(f"{prefix}全年预算数"), refs.get(f"{prefix}{'全年执行数' if kind == 'selfeval' else '当前执行数'}")
        if b and e:
            out[f"{prefix}执行率"] = sc.budget_formula("rate", {"b": b, "e": e})
            if not prefix and kind == "selfeval":
                out["预算得分"] = sc.budget_formula("score", {"b": b, "e": e})
    if kind != "selfeval":
        return out
    sign, t, x, w, s = _need(refs, "指标性质", "指标值", "实际完成值", "分值", "公式.得分")
    out["得分"] = sc.indicator_formula({"sign": sign, "t": t, "x": x, "w": w, "d": refs.get("扣减分数", "0")})
    col_w, col_s = w.lstrip("$").rstrip("0123456789"), s.lstrip("$").rstrip("0123456789")
    bw = refs.get("预算执行分值", "0")
    out["总分值"] = f"SUM(${col_w}${T}:${col_w}${T})+N({bw})"
    out["总分"] = f"ROUND(SUM(${col_s}${T}:${col_s}${T})+N({_budget_score_ref(refs)}),2)"
    if "公式.总分" in refs:
        out["自评等级"] = sc.grade_formula(refs["公式.总分"])
    return out


def _budget_score_ref(refs) -> str:
    return refs.get("公式.预算得分", "0")


def _red_row(kind: str, refs: dict, T: int) -> str | None:
    """A required 偏差原因 left empty (the achieved rule of scoring.yaml, compiled)."""
    if kind == "selfeval":
        s, w, why = refs.get("公式.得分"), refs.get("分值"), refs.get("偏差原因分析及改进措施")
        if not (s and w and why):
            return None
        ok = E.excel(E.parse(S.data()["achieved"]), {"s": s, "w": w})
        return f'AND({why}="",{s}<>"",NOT({ok}))'
    lk, why = refs.get("完成可能性"), refs.get("偏差原因说明")
    if not (lk and why):
        return None
    return f'AND({why}="",{lk}<>"",{lk}<>"{S.data()["likelihood_ok"]}")'


def _full_calc(t: Template) -> None:
    """Office computes every formula on open (perfbook writes formulas without cached values)."""
    wb = t.parts[t.workbook_part].decode("utf-8")
    if "fullCalcOnLoad" in wb:
        return
    m = re.search(r"<calcPr\b([^>]*?)/?>", wb)
    el = f'<calcPr{m.group(1) if m else ""} fullCalcOnLoad="1"/>'
    wb = wb[:m.start()] + el + wb[m.end():] if m else wb.replace("</workbook>", el + "</workbook>")
    t.parts[t.workbook_part] = wb.encode("utf-8")


# -- projects ----------------------------------------------------------------------------------

def load_targets(source, template=None) -> list[Project]:
    """Projects from any workbook perfbook reads or any data file fill accepts."""
    if isinstance(source, (str, Path)) and Path(source).suffix.lower() not in DATA_SUFFIXES:
        from ..readers.reader import read
        projects = list(read(source, template=template).projects)
    else:
        projects = load(source)
    if not projects:
        raise DataError("目标表中没有项目", "the target table holds no project", str(source))
    return projects


def cycle_project(p: Project, kind: str, sc: S.Scheme, frame: str | None = None) -> Project:
    """The header and indicators of an approved target as a cycle table's data; 分值 pre-set (self-eval)."""
    d = {k: p.get(k) for k in PROJECT_FIELDS if p.get(k) is not None}
    inds = [{k: i.get(k) for k in INDICATOR_FIELDS if i.get(k) is not None} for i in p.indicators]
    if kind == "selfeval":
        d["预算执行分值"] = sc.budget_weight
        for ind, w in zip(inds, allocate(inds, sc)):
            ind["分值"] = w
    d["指标"] = inds
    return Project.from_dict(d)


def render(projects, kind: str, *, scheme: str | None = None, frame: str | None = None, template=None,
           meta: dict | None = None, macros: bool = False) -> bytes:
    sc = S.scheme_for(scheme, frame)
    c = compiled(kind, template, sc.id, macros)
    rows = [cycle_project(p, kind, sc, frame) if not _is_cycle(p) else p for p in projects]
    meta = {"perfbook.version": __version__, "perfbook.kind": kind, "perfbook.scoring": sc.id, **(meta or {})}
    if frame:
        meta["perfbook.frame"] = frame
    return c.render(rows, meta=meta)


def _is_cycle(p: Project) -> bool:
    return any(i.get("分值") is not None or i.get("实际完成值") is not None for i in p.indicators)


def make(kind: str, target, out, *, scheme=None, frame=None, template=None, target_template=None,
         macros: bool = False) -> Path:
    """Write the self-evaluation (kind 'selfeval') or monitoring table ('monitor') for a target table;
    with macros, an .xlsm whose 校验 button scores and checks it in VBA."""
    projects = load_targets(target, target_template)
    out = Path(out).with_suffix(".xlsm") if macros else Path(out)
    return write_atomic(out, render(projects, kind, scheme=scheme, frame=frame, template=template, macros=macros))


def selfeval(target, out, **kw) -> Path:
    return make("selfeval", target, out, **kw)


def monitor(target, out, **kw) -> Path:
    return make("monitor", target, out, **kw)
