"""The header, text blocks and funds block of the budget system's self-evaluation / monitoring exports.

The provinces' forms put the same fields in different places, so each is found by its label (data
below, regexes on the whitespace-free label, numbering like “四、” removed): a header field or text is
the first value right of its label in the same row, or, when the label heads a column (预期目标 |
实际完成情况 over the texts), the cell below it; “填报人：王建国” in one cell is label and value. The
funds block is a matrix: the row with its column labels, the rows below named by their labels. What no
label names is not guessed; 元 amounts are given in 万元 and 执行率 in percent, as the truth files do.
"""
from __future__ import annotations

import re

from ..readers._grid import Grid

_SP = re.compile(r"\s+")
_NUMBERING = re.compile(r"^[一二三四五六七八九十]+[、.．]")
CODE = re.compile(r"^(?:\[(\d+)\]|(\d+)-)(.+)$")        # [126]省交通运输厅, 126-省交通运输厅

HEADER = [
    ("项目名称", r"^项目名称$"),
    ("项目编码", r"^(项目编码|项目代码)$"),
    ("主管部门", r"^(主管部门|主管部门及代码|主管预算部门)$"),
    ("实施单位", r"^(项目)?(实施|执行|预算)单位$"),
    ("项目期限", r"^项目期限$"),
    ("资金投向领域", r"^资金投向领域?$"),
    ("预算年度", r"^预算年度$"),
]
TEXTS = {
    "selfeval": [
        ("年度总体目标（预期目标）", r"^(预期目标|年初预期目标|年度目标|年度绩效目标|年度总体目标)$"),
        ("实际完成情况", r"^(实际完成情况|年度实际完成情况|全年目标完成情况)$"),
        ("偏差原因/目标偏离原因分析", r"(^(偏差原因|目标偏离原因分析|绩效目标偏离原因分析|偏差大或目标未完成原因分析)$"
                                      r"|主要问题及原因分析$)"),
        ("改进措施/整改措施", r"^(改进措施|整改措施|整改措施及建议|改进措施及结果应用方案|下一步改进措施.*)$"),
        ("主要经验做法/其他需说明的问题", r"^(主要经验做法|其他需说明的问题|其他需说明问题)$"),
        ("填报日期", r"^填报日期$"),
        ("联系人", r"^联系人$"),
    ],
    "monitor": [
        ("年度总体目标", r"^(年度总体目标|(项目)?年度绩效目标|年度绩效绩效目标|年度目标)$"),
        ("监控月份", r"^监控月份$"),
        ("总体进度", r"^(总体进度|项目实施进度)$"),
        ("纠偏措施", r"(^纠偏措施$|^相关建议或举措$|采取的措施$)"),
        ("偏差原因（汇总）", r"^(偏差或不能完成目标原因分析|偏差原因汇总)$"),
        ("填报人", r"^(填报人|姓名)$"),
        ("联系电话", r"^联系电话$"),
    ],
}
# funds: column label → canonical column (the first match wins; monitoring forms' 执行数 is to date)
FUND_COLUMNS = [
    ("年初预算数", r"^(年初预算数|预算数$)"),
    ("年中调整数", r"^(年中预算调整数|年中调整数|调整数$)"),
    ("全年预算数", r"^(全年预算数|调整后预算数|调整后$|调整预算数|小计$)"),
    ("1-7月执行数", r"^(\d+(-\d+月)?(执行|支出)数|跟踪期执行数|截至.*执行数)"),   # “7执行数” (${taskstage}执行数)
    ("1-7月执行率", r"^(\d+(-\d+月)?(执行率|支出进度)|跟踪期执行率)"),
    ("预计全年执行数", r"^(全年预计执行数|预计全年执行数)"),
    ("全年执行数", r"^(全年执行数|实际支出数|执行数)(（B）|\(B\)|B)?$"),
    ("执行率", r"^(预算)?执行率"),
    ("结转结余", r"^(资金结\(转\)余|资金结（转）余|结转结余)"),
]
TO_DATE = {"全年执行数": "1-7月执行数", "执行率": "1-7月执行率"}      # a monitoring form's spending so far
# funds rows: the label (all label cells left of the values, joined) → key; the first match wins
FUND_ROWS = [
    ("sj", r"(上级|转移支付|中央及省级)"),
    ("bj", r"(本级|区级|市县财政)"),
    ("carry", r"上年结转"),
    ("zfxjj", r"政府性基金"),
    ("gyzb", r"国有资本"),
    ("other", r"其他资金"),
    ("fiscal", r"(财政拨款|一般公共预算|当年财政资金)"),
    ("total", r"(年度资金总额|资金总额|^合计)"),
]
MONEY = ("年初预算数", "年中调整数", "全年预算数", "全年执行数", "结转结余", "1-7月执行数", "预计全年执行数")
RATE = {"执行率": ("全年执行数", "全年预算数"), "1-7月执行率": ("1-7月执行数", "全年预算数")}


def label(v) -> str:
    return _NUMBERING.sub("", _SP.sub("", str(v or "")).rstrip("：:"))


# labels that head a column of values but name no field the truth has (a form's own wording)
OTHER_LABELS = [r"^截[止至].*完成情况$", r"^职务$", r"^工作单位及部门$"]


def _is_label(text: str, kind: str) -> bool:
    pats = [p for _f, p in HEADER] + [p for _f, p in TEXTS[kind]] + OTHER_LABELS
    return any(re.search(p, label(text)) for p in pats)


def _value_of(grid: Grid, covered, r: int, c: int, kind: str, table):
    """The value a label at (r, c) names: right in its row, else below it."""
    start = (r, c)                                 # a cell with its own value starts its merge
    right = c + 1
    while (r, right) in covered and covered[(r, right)] == start:
        right += 1                                 # past the label's own merged cells
    for cc in range(right, min(grid.width, right + 12) + 1):
        v = grid.value(r, cc)
        if v is None or not _SP.sub("", str(v)):
            continue
        if not _is_label(v, kind):
            return v
        break                                      # the next label: this one heads a column
    bottom = r
    while (bottom + 1, c) in covered and covered[(bottom + 1, c)] == start:
        bottom += 1                                # below the label's own merged rows
    if bottom + 1 in table or c == 1:             # column A labels head rows (年度总体目标 | 预期目标 …)
        return None
    below = grid.value(bottom + 1, c)
    if below is not None and _SP.sub("", str(below)) and not _is_label(below, kind):
        return below
    return None


def read_fields(grid: Grid, kind: str, table: range) -> tuple[dict, dict]:
    """(project header, texts) of one sheet; labels are looked for in every row but the indicator
    table's (`table`: its header and indicator rows)."""
    covered = grid.merge_map()
    project: dict = {}
    texts: dict = {}
    specs = [("project", f, p) for f, p in HEADER] + [("texts", f, p) for f, p in TEXTS[kind]]
    for r in range(1, grid.height + 1):
        for c in range(1, grid.width + 1):
            v = grid.value(r, c)
            if r in table or v is None:
                continue
            raw = str(v)
            inline = re.match(r"^\s*([^：:]{2,12})[：:]\s*(\S.*)$", raw, re.S)   # 填报人：王建国
            lab = label(inline.group(1) if inline else raw)
            for where, f, pat in specs:
                out = project if where == "project" else texts
                if f in out or not re.search(pat, lab):
                    continue
                val = inline.group(2) if inline else _value_of(grid, covered, r, c, kind, table)
                if isinstance(val, str):
                    val = val.strip()
                if val not in (None, ""):
                    out[f] = val
                break
    _split_codes(project)
    if "预算年度" not in project:
        year = _title_year(grid)
        if year:
            project["预算年度"] = year
    return project, texts


def _title_year(grid: Grid) -> str | None:
    """The year of a title such as “2024年度项目支出绩效自评表” (the first four rows), for a form with no 预算年度 field."""
    for r in range(1, min(grid.height, 4) + 1):
        for c in range(1, grid.width + 1):
            m = re.search(r"(\d{4})\s*年度", str(grid.value(r, c) or ""))
            if m:
                return m.group(1)
    return None


def _split_codes(project: dict) -> None:
    for f in ("主管部门", "实施单位"):
        m = CODE.match(_SP.sub("", str(project.get(f) or "")))
        if m:
            project[f] = m.group(3)
            project[f"{f}编码"] = m.group(1) or m.group(2)


def read_funds(grid: Grid, kind: str) -> dict[str, dict[str, float]]:
    """The funds block: row key (total, fiscal, sj, bj, carry, zfxjj, gyzb, other) → column → value."""
    covered = grid.merge_map()
    for r in range(1, min(grid.height, 60) + 1):
        cols = _fund_columns(grid, covered, r, kind)
        if len(cols) < 2:
            continue
        for name, c in _fund_columns(grid, covered, r + 1, kind).items():   # a second label row (小计)
            cols.setdefault(name, c)
        out = _fund_rows(grid, r, cols, _fund_unit(grid, r))
        if out:
            return out
    return {}


def _fund_unit(grid: Grid, r: int) -> str:
    """元 when the header row at r or the three above it say （元）, else 万元."""
    return "元" if re.search(r"[（(]元[)）]", "".join(_SP.sub("", str(grid.value(rr, c) or ""))
                                                   for rr in range(max(1, r - 3), r + 1)
                                                   for c in range(1, grid.width + 1))) else "万元"


def _fund_rows(grid: Grid, r: int, cols: dict[str, int], unit: str) -> dict[str, dict]:
    """The rows under the funds header at r, by their FUND_ROWS key (the first of each), until the block ends."""
    first = min(cols.values())
    out: dict[str, dict] = {}
    for rr in range(r + 1, min(grid.height, r + 14) + 1):
        labels = "".join(label(grid.value(rr, c)) for c in range(1, first))
        key = next((k for k, p in FUND_ROWS if re.search(p, labels)), None)
        if key is None and not labels and not out and any(_number(grid.value(rr, c)) is not None
                                                          for c in cols.values()):
            key = "total"                      # the one unnamed row under the header: the whole project
        if key is None:                        # 专项债券 and the like: a row no key names
            if out and all(_number(grid.value(rr, c)) is None for c in cols.values()):
                break
            continue
        row = {}
        for name, c in cols.items():
            v = _number(grid.value(rr, c))
            if v is not None:
                row[name] = v
        if not row or key in out:
            continue
        out[key] = _as_truth(row, unit)
    return out


def _as_truth(row: dict, unit: str) -> dict:
    """A funds row as the truth files give it: amounts in 万元, rates in percent."""
    for name in MONEY:
        if name in row and unit == "元":
            row[name] = round(row[name] / 10000, 6)
    for name, (num, den) in RATE.items():
        if name in row:
            row[name] = _percent(row[name], row.get(num), row.get(den))
    return row


def _fund_columns(grid, covered, r, kind) -> dict[str, int]:
    cols: dict[str, int] = {}
    for c in range(1, grid.width + 1):
        if (r, c) in covered and covered[(r, c)] != (r, c):
            continue
        lab = label(grid.value(r, c))
        if not lab:
            continue
        for name, pat in FUND_COLUMNS:
            if re.search(pat, lab):
                if kind == "monitor":
                    name = TO_DATE.get(name, name)
                cols.setdefault(name, c)
                break
    return cols


def _number(v):
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return float(v)
    s = _SP.sub("", str(v or "")).replace(",", "")
    try:
        return float(s)
    except ValueError:
        return None


def _percent(v: float, num, den) -> float:
    """A rate in percent: a formula row holds a fraction (0.95), a text row a percentage (97.50);
    which one is told by the row's own amounts."""
    if num is not None and den:
        pct = num / den * 100
        return round(v * 100, 2) if abs(v * 100 - pct) < abs(v - pct) else v
    return v
