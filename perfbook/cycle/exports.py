"""The budget system's own 绩效自评表 / 绩效监控表 exports (SpreadsheetML .xls from its FreeMarker templates).

Layouts differ per province, so the indicator block is found by its header labels, not by cell address:
the row naming 一级指标 and 三级指标 (or 指标内容), with a second header row when the form splits a column
into √ boxes (偏差原因 经费保障 … / 确定能 有可能 完全不可能). Rows below are indicators until a row with no
三级 text; 一级/二级 come down their merged ranges. Labels map to fields by the COLUMNS table (data, in order:
the first match wins). What no column holds is not guessed.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from .._values import split_value
from ..model import Indicator, Project
from ..notes import Note
from ..ooxml._sheetxml import col_letter
from ..readers._grid import Grid
from ..readers.formats import open_source
from ..rules._frames import default
from .export_fields import read_fields, read_funds
from .formulas import evaluate, formulas
from .read import CycleBook

_SP = re.compile(r"\s+")
POINTS = re.compile(r"[（(]\s*\d+(?:\.\d+)?\s*分\s*[)）]$")   # 产出指标(50分)
CHECK = "√"

# field → label patterns (regex on the whitespace-free label); order matters: the first field a column fits
COLUMNS = [
    ("一级指标", r"^一级指标"),
    ("二级指标", r"^二级指标"),
    ("三级指标", r"^(三级指标|指标内容|三级指标名称)"),
    ("调整后指标值", r"^调整后指标值"),
    ("年度指标值", r"^(年度指标值|年度指标|指标值|年初指标值|年初目标值)"),
    ("定性值情况说明", r"^定性值情况说明"),
    ("实际完成值", r"^实际完成值"),
    ("分值", r"^(分值|权重)"),
    ("得分", r"^(得分|指标得分)"),
    ("全年预计完成情况", r"^全年(预计|指标预计)"),
    ("当前完成值", r"(执行情况|完成情况|累计完成)"),
    ("完成可能性", r"可能性"),
    ("偏差原因", r"(偏差原因|未完成原因|未完成的原因|原因分析)"),
]
LIKELIHOOD = ("确定能", "有可能", "完全不可能")
REASON_KINDS = ("经费保障", "制度保障", "人员保障", "硬件条件保障", "其他")   # the monitoring form's reason categories


def norm(text) -> str:
    return _SP.sub("", str(text or ""))


def indicator_name(text) -> str:
    return POINTS.sub("", norm(text))


@dataclass
class ExportTable:
    path: str
    sheet: str
    columns: dict[str, list[int]]                  # field → columns (√ groups have several)
    indicators: list[dict] = field(default_factory=list)
    sub_labels: dict[int, str] = field(default_factory=dict)
    notes: list[Note] = field(default_factory=list)   # what was inferred rather than read, said aloud
    header_row: int = 0                               # the row of the table's column labels


def _label(grid: Grid, covered, r: int, c: int) -> str:
    v = grid.value(r, c)
    if v is None and (r, c) in covered:
        v = grid.value(*covered[(r, c)])
    return norm(v)


def _header(grid: Grid):
    for r in range(1, min(grid.height, 80) + 1):
        labels = [norm(grid.value(r, c)) for c in range(1, grid.width + 1)]
        if any(x.startswith("一级") for x in labels) and any(re.match(r"^(三级指标|指标内容)", x) for x in labels):
            return r
    return None


def read_table(grid: Grid, path: str) -> ExportTable | None:
    """The indicator table of one sheet, or None when the sheet has none."""
    r0 = _header(grid)
    if r0 is None:
        return None
    covered = grid.merge_map()
    second = _second_header(grid, r0)
    cols, subs = _columns(grid, covered, r0, second)
    if "三级指标" not in cols:
        return None
    table = ExportTable(path, grid.name, cols, sub_labels=subs, header_row=r0)
    first = (second or r0) + 1
    c3 = cols["三级指标"][0]
    for r in range(first, grid.height + 1):
        name = grid.value(r, c3)
        l1 = _label(grid, covered, r, cols["一级指标"][0]) if "一级指标" in cols else "指标"
        # an indicator row has its 三级 text and a 一级 (its own or its merged range's): the rest is footer
        if name is None or not norm(name) or not indicator_name(l1).endswith("指标"):
            if not table.indicators and r - first < 2:   # a label row under the header
                continue
            break
        if re.match(r"^(三级指标|指标内容)", norm(name)):    # the header repeated for the next goal's group
            continue
        d = _row(grid, covered, r, cols, subs)
        if f"{d.get('三级指标')}".strip() in ("合计", "总分"):
            break
        _tidy(d)
        table.indicators.append(d)
    _unrendered_level2(table)
    return table


def _second_header(grid: Grid, r0: int) -> int | None:
    """The row under the header when it labels a split column's √ boxes (those cells are labels, not data)."""
    box_labels = {"确定能", "有可能", "完全不可能", "经费保障", "制度保障", "原因说明"}
    return r0 + 1 if sum(norm(grid.value(r0 + 1, c)) in box_labels for c in range(1, grid.width + 1)) >= 2 else None


def _columns(grid: Grid, covered, r0: int, second: int | None) -> tuple[dict[str, list[int]], dict[int, str]]:
    """(field → columns, column → its √ box label) from the header labels by COLUMNS, the first match winning."""
    cols: dict[str, list[int]] = {}
    subs: dict[int, str] = {}
    # columns left of 一级指标 hold goals or the section title, never an indicator field
    c1 = next(c for c in range(1, grid.width + 1) if norm(grid.value(r0, c)).startswith("一级"))
    for c in range(c1, grid.width + 1):
        top = _label(grid, covered, r0, c)
        if (r0, c) in covered and covered[(r0, c)][0] == r0 and covered[(r0, c)][1] != c:
            top = _label(grid, covered, r0, covered[(r0, c)][1])
        if not top:
            continue
        sub = norm(grid.value(second, c)) if second else ""
        for name, pat in COLUMNS:
            if re.search(pat, top):
                cols.setdefault(name, []).append(c)
                if sub:
                    subs[c] = sub
                break
    return cols, subs


def _row(grid: Grid, covered, r: int, cols: dict[str, list[int]], subs: dict[int, str]) -> dict:
    """One indicator row as read: each field's value (blank and dash left out) and its cell address."""
    d = {"_row": r, "_cells": {f: f"{grid.name}!{col_letter(cs[0])}{r}" for f, cs in cols.items()}}
    for f, cs in cols.items():
        if len(cs) > 1 and any(c in subs for c in cs):
            d.update(_checked(grid, r, f, cs, subs))
            continue
        v = grid.value(r, cs[0])
        if v is None and (r, cs[0]) in covered and f in ("一级指标", "二级指标"):
            v = grid.value(*covered[(r, cs[0])])
        if v is not None and norm(v) not in ("", "—", "-"):
            d[f] = v
    return d


def _tidy(d: dict) -> None:
    """A row's values as the cycle tables mean them: names without (N分), the value split, units dropped."""
    d["三级指标"] = indicator_name(d["三级指标"])
    for f in ("一级指标", "二级指标"):
        if f in d:
            d[f] = indicator_name(d[f])
    _split(d)
    if norm(d.get("偏差原因")) in REASON_KINDS and "偏差原因类别" not in d:   # a one-column form names the category
        d["偏差原因类别"] = norm(d.pop("偏差原因"))
    for f in ("当前完成值", "实际完成值"):   # 620公里: the number, when the unit is the indicator's own
        v = d.get(f)
        if isinstance(v, str) and d.get("度量单位") and norm(v).endswith(norm(d["度量单位"])):
            n = split_value(norm(v)[: -len(norm(d["度量单位"]))]).value
            d[f] = n if isinstance(n, (int, float)) else v


def _unrendered_level2(table: ExportTable) -> None:
    """A template bug leaves `{zbdata.sindexname!}` as the first 二级 under each 一级 (gxxmzcjkdc23.ftl l.712):
    it is the frame's first 二级 of that 一级 the table does not name elsewhere. Each such cell gets a note."""
    fr = default()
    placeholder = re.compile(r"\{.*\}|\$\{.*\}")
    present: dict = {}
    for d in table.indicators:
        if not placeholder.fullmatch(norm(d.get("二级指标"))):
            present.setdefault(d.get("一级指标"), set()).add(norm(d.get("二级指标")))
    for i, d in enumerate(table.indicators):
        if not placeholder.fullmatch(norm(d.get("二级指标"))):
            continue
        l1 = fr.find1(d.get("一级指标"))
        names = [l2.name for l2 in l1.level2] if l1 else []
        guess = next((n for n in names if norm(n) not in present.get(d.get("一级指标"), set())), None)
        if guess:
            cell = d["_cells"].get("二级指标", "!").split("!", 1)[1] or None
            table.notes.append(Note(
                "placeholder", f"第{i + 1}个指标的二级指标显示为模板占位符“{d['二级指标']}”（导出模板缺陷），按指标框架推断为“{guess}”",
                f"indicator {i + 1}: level-2 name is the export template's placeholder {d['二级指标']!r}; inferred {guess!r}",
                table.sheet, cell))
            d["二级指标"] = guess


def _checked(grid, r, f, cs, subs) -> dict:
    """A √ group: the header of the ticked box (several for reasons), and the 原因说明 text beside it."""
    ticked = [subs[c] for c in cs if c in subs and norm(grid.value(r, c)) == CHECK]
    out = {}
    if f == "完成可能性":
        if ticked:
            out["完成可能性"] = ticked[0]
    elif f == "偏差原因":
        if ticked:
            out["偏差原因类别"] = "、".join(t for t in ticked)
        text = next((grid.value(r, c) for c in cs if subs.get(c) == "原因说明"), None)
        if text is not None and norm(text):
            out["偏差原因"] = text
    return out


def _split(d: dict) -> None:
    """年度指标值 as the form combines it (≥1000公里) into 指标性质, 指标值, 度量单位."""
    raw = d.get("调整后指标值", d.get("年度指标值"))
    if raw is None:
        return
    s = split_value(str(raw))
    d["年度指标值_as_rendered"] = str(raw)
    d["指标性质"], d["年度指标值"], d["度量单位"] = s.sign, s.value, s.unit
    if s.sign == "定性":
        d["年度指标值"] = re.sub(r"^定性\s*", "", str(s.value))


def read_exports(path) -> list[ExportTable]:
    """Every indicator table in a budget-system export (one per sheet that has one)."""
    return read_export(path).tables


@dataclass
class ExportBook:
    """One export: what kind of table it is, its project's name and its indicator tables."""

    path: str
    kind: str | None              # selfeval | monitor | None (a target table, not for this reader)
    name: str | None
    tables: list[ExportTable]
    funds: dict = field(default_factory=dict)    # 全年预算数 / 执行数 of the 年度资金总额 row, in 万元
    project: dict = field(default_factory=dict)  # the header: 项目名称, 项目编码, 主管部门(编码), 实施单位(编码), …
    texts: dict = field(default_factory=dict)    # the text blocks, by the truth files' names (export_fields.TEXTS)
    fund_rows: dict = field(default_factory=dict)   # total / fiscal / sj / bj / … → column → 万元 or %

    @property
    def indicators(self) -> list[dict]:
        return [i for t in self.tables for i in t.indicators]

    @property
    def notes(self) -> list[Note]:
        return [n for t in self.tables for n in t.notes]


def _project_name(grid: Grid) -> str | None:
    """The value right of the first 项目名称 label, without a code prefix ([126]…, 126-…)."""
    for r in range(1, min(grid.height, 30) + 1):
        for c in range(1, grid.width + 1):
            if norm(grid.value(r, c)).startswith("项目名称"):
                for c2 in range(c + 1, grid.width + 1):
                    v = grid.value(r, c2)
                    if v is not None and norm(v):
                        return re.sub(r"^(\[\d+\]|\d+-)", "", str(v).strip())
    return None


def _money(v, unit):
    try:
        x = float(str(v).replace(",", "").strip())
    except (TypeError, ValueError):
        return None
    return round(x / 10000, 6) if unit == "元" else x


def read_export(path) -> ExportBook:
    src = open_source(path)
    cells = {}
    if src.format == "xml2003":
        cells = formulas(path)
    tables, name, grids = [], None, []
    for g in src.grids:
        if not g.visible:
            continue
        if cells.get(g.name):
            evaluate(g, cells[g.name])
        t = read_table(g, str(path))
        if t is not None and t.indicators:
            # a number no cell can hold, emptied at the door (open_source): said, as every reader says it
            t.notes += [Note(k, zh, en, g.name, cell) for k, zh, en, cell in g.notes if k == "number"]
            tables.append(t)
            grids.append((g, t))
            name = name or _project_name(g)
    cols = {k for t in tables for k in t.columns}
    kind = ("selfeval" if cols & {"实际完成值", "得分", "分值"} else
            "monitor" if cols & {"当前完成值", "完成可能性", "全年预计完成情况"} else None)
    book = ExportBook(str(path), kind, name, tables)
    if kind:
        for g, t in grids:
            project, texts = read_fields(g, kind, range(t.header_row, max(d["_row"] for d in t.indicators) + 1))
            book.project = {**project, **book.project}
            book.texts = {**texts, **book.texts}
            book.fund_rows = book.fund_rows or read_funds(g, kind)
        total = book.fund_rows.get("total", {})
        spent = total.get("全年执行数" if kind == "selfeval" else "1-7月执行数")
        if total.get("全年预算数") is not None and spent is not None:
            book.funds = {"全年预算数": total["全年预算数"], "执行数": spent}
    return book


# export field → the label perfbook's cycle tables use (so check_cycle and collect read both alike)
AS_CYCLE = {"一级指标": "一级指标", "二级指标": "二级指标", "三级指标": "三级指标", "指标性质": "指标性质",
            "年度指标值": "指标值", "度量单位": "度量单位", "实际完成值": "实际完成值", "分值": "分值", "得分": "公式.得分",
            "偏差原因": "偏差原因分析及改进措施", "当前完成值": "当前完成值", "完成可能性": "完成可能性"}


def _cycle_indicator(kind: str | None, d: dict) -> Indicator:
    """One export row under the cycle tables' labels, its numbers read as numbers."""
    vals = {AS_CYCLE[k]: v for k, v in d.items() if k in AS_CYCLE}
    if kind == "monitor" and (d.get("偏差原因") or d.get("偏差原因类别")):   # M3 forms name only a category
        vals["偏差原因说明"] = d.get("偏差原因") or d.get("偏差原因类别")
    for f in ("实际完成值", "分值", "公式.得分", "当前完成值"):   # numbers the form wrote as String cells
        n = _money(vals.get(f), "万元") if vals.get(f) is not None else None
        if n is not None:
            vals[f] = int(n) if float(n).is_integer() else n
    cells = [(AS_CYCLE[k], a) for k, a in d["_cells"].items() if k in AS_CYCLE]
    return Indicator.from_dict(vals, cells=cells, row=d["_row"])


def as_cycle_book(book: ExportBook) -> CycleBook:
    """The export as a CycleBook: every 得分 counts as typed (the system's form holds no live formula).
    Only for a self-eval or monitoring export (book.kind set); a target table is not a cycle book."""
    if book.kind is None:
        raise ValueError(f"{book.path}: a target table, not a self-eval or monitoring export")
    inds = [_cycle_indicator(book.kind, d) for d in book.indicators]
    head = {"项目名称": book.name, **{k: book.project.get(k) for k in ("项目编码", "主管部门", "实施单位", "预算年度")},
            "全年预算数": book.funds.get("全年预算数"),
            "全年执行数" if book.kind == "selfeval" else "当前执行数": book.funds.get("执行数")}
    if book.kind == "selfeval":
        head["预算执行分值"] = 10
        why = [book.texts.get(k) for k in ("偏差原因/目标偏离原因分析", "改进措施/整改措施") if book.texts.get(k)]
        # a form with no such block: not asked (its funds block may carry the reason in a column)
        head["偏差原因及改进措施"] = "\n".join(map(str, why)) or "（见导出表）"
    sheets = tuple(dict.fromkeys(t.sheet for t in book.tables))
    p = Project.from_dict({k: v for k, v in head.items() if v is not None}, source=book.path, sheets=sheets)
    shown = {AS_CYCLE.get(k, k) for t in book.tables for k in t.columns}
    return CycleBook(book.path, book.kind, [p.with_indicators(inds)], set(), tuple(book.notes), shown=shown)
