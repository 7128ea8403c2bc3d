"""Workbooks perfbook did not make: find the indicator table and header fields by their labels.

A sheet is read in blocks. Each block is an indicator table, found by a header row naming at least
three indicator fields (aliases from data/fields.yaml), with the rows above it holding the project's
header fields as label/value pairs ("项目名称：" with its value to the right or below). One sheet can
hold several blocks (several projects), and one workbook several sheets.

Rules, each there because real files need it:
- Fill down only inside real merged ranges; never from the row above (an official may have left a
  cell empty on purpose).
- Hierarchical layouts (seed 001's export): a row holding only a 一级 (or only a 二级) is a heading;
  it names the level for the rows under it, whose level cells are empty. Heading rows are dropped.
  Rows holding only 一级 and 二级 (a pre-printed 二级 with nothing filled in) give no indicator.
- A combined value cell ("≥95%", "不超过15万元") is split by perfbook._values into 指标性质 / 指标值 /
  度量单位 where the table has no own cell for them; the typed text is kept as 原始指标值.
- 不适用 rows are kept as typed, marked 是否适用: 否 and given no 指标性质 (SG rule 10 asks for them).
- Every non-empty cell ends up in a field, in an extra field under its column's header, or in a
  Note of kind "unmapped" with its address: nothing is dropped without a word.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from decimal import Decimal
from functools import cache

from .. import _fields as F, _yaml
from .._values import clean_text, is_empty_marker, is_not_applicable, split_value
from ..department import department_field
from ..model import Indicator
from ..notes import Note, conflicting
from ..ooxml._sheetxml import col_letter
from ._grid import BIG_NUMBER, Grid
from ._sheetlayout import Layout

LONG_TEXT = {"content", "eval_std", "basis"}
MAX_LABEL = 30          # a "label：" cell longer than this is a text that happens to end in a colon
_COLON = re.compile(r"[:：]\s*$")
_INLINE = re.compile(r"^([^:：\n]{1,24})[:：]\s*(\S.*)$", re.S)
_PARENS = re.compile(r"[（(]([^（）()]*)[）)]")


@cache
def hints() -> dict:
    return _yaml.data("foreign.yaml")


@dataclass(frozen=True)
class Column:
    col: int
    label: str                      # the canonical field label, or the header text for an extra column
    spec: F.FieldSpec | None        # None: an extra column, carried under its own header
    project: bool = False           # a project field in a flat table (one row per indicator)


@dataclass(frozen=True)
class Table:
    header: int                     # the main header row
    first: int                      # first data row
    columns: tuple[Column, ...]
    set: str = "annual"             # "mid": the 中期/长期 table of a stacked form
    others: tuple[Column, ...] = () # the 中期 columns of a side-by-side form (read as their own set)

    def by_name(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.spec is not None and c.spec.name == name and not c.project), None)


@dataclass(frozen=True)
class HeaderBand:
    """The header rows of one table: h names the fields, bottom is its last row (labels merged down over
    it, or a row of sub-labels); above holds the fields named on the row over a one-row header."""

    h: int
    bottom: int
    main: dict
    above: dict


@dataclass
class Block:
    """One project: its header fields and its indicator table (if any)."""

    values: dict = field(default_factory=dict)
    cells: dict = field(default_factory=dict)
    indicators: list = field(default_factory=list)
    midterm: list = field(default_factory=list)
    title_year: tuple | None = None
    slots: dict = field(default_factory=dict)      # header label -> where its value is (or goes, left blank)
    table: Table | None = None
    levels: list = field(default_factory=list)     # (row, 一级, 二级) of every table row that names a level


L1, L2 = "一级指标", "二级指标"


class Headings:
    """The 一级 / 二级 that heading rows name for the indicator rows under them (hierarchical layouts,
    seed 001's export): a row holding only a 一级 (or only a 二级) is a heading, and the rows under it
    leave their level cells empty."""

    __slots__ = ("level1", "level2", "by_heading1", "by_heading2")

    def __init__(self) -> None:
        self.level1 = self.level2 = None
        self.by_heading1 = self.by_heading2 = False     # whether a heading row (not an indicator row) named it

    def take(self, d: dict) -> None:
        """A row of levels only: a 一级 heading (which ends its 二级), a 二级 heading, or, under headings, a
        pre-printed 一级 + 二级 row left empty (its levels are the current ones)."""
        if L1 in d and L2 not in d:
            self.level1, self.level2, self.by_heading1, self.by_heading2 = d[L1], None, True, False
        elif L2 in d and L1 not in d:
            self.level2, self.by_heading2 = d[L2], True
        elif self.by_heading1 or self.by_heading2:
            self.level1, self.level2 = d[L1], d[L2]

    def fill(self, d: dict) -> None:
        """The levels an indicator row leaves empty, from the headings above it (a 二级 only under its 一级)."""
        if L1 not in d and self.by_heading1 and self.level1 is not None:
            d[L1] = self.level1
        if L2 not in d and self.by_heading2 and self.level2 is not None and d.get(L1) == self.level1:
            d[L2] = self.level2


class SheetReader:
    def __init__(self, grid: Grid):
        self.g = grid
        self.covered = grid.merge_map()
        self.merge_bottom = {(r1, c1): (r2, c2) for r1, c1, r2, c2 in grid.merges}
        self.notes: list = []
        self.claimed: set[tuple[int, int]] = set()
        # work from the non-empty cells only: a sheet can be wide and tall and nearly empty
        self.cells = {(r, c): v for r, c, v in grid.nonempty()}
        self.rows: dict[int, list[int]] = {}
        for r, c in self.cells:
            self.rows.setdefault(r, []).append(c)
        for cols in self.rows.values():
            cols.sort()
        titles = [clean_text(v) or "" for (r, c), v in self.cells.items() if r <= 3 and isinstance(v, str)]
        self.kind = "department" if any(w in t for t in titles for w in F._load()["department_titles"]) else "project"

    # --- cells -------------------------------------------------------------------------------

    def addr(self, r: int, c: int) -> str:
        return f"{col_letter(c)}{r}"

    def ref(self, r: int, c: int) -> str:
        return f"{self.g.name}!{self.addr(r, c)}"

    def own(self, r: int, c: int):
        return self.cells.get((r, c))

    def filled(self, r: int, c: int):
        """A cell's value, or its merged range's value when it is covered (fill inside merges only)."""
        v = self.own(r, c)
        if v is None and (r, c) in self.covered:
            return self.own(*self.covered[(r, c)])
        return v

    def text(self, r: int, c: int) -> str:
        v = self.own(r, c)
        return clean_text(v) if isinstance(v, str) else ("" if v is None else str(v))

    def note(self, kind: str, zh: str, en: str, r: int | None = None, c: int | None = None):
        self.notes.append(Note(kind, zh, en, self.g.name, self.addr(r, c) if r and c is not None else None))

    def unmapped(self, r: int, c: int, v):
        s = str(v).replace("\n", " ")[:40]
        self.note("unmapped", f"单元格内容无法对应到任何字段：{s}", f"cell not mapped to any field: {s!r}", r, c)

    # --- finding the indicator tables -----------------------------------------------------------

    def header_fields(self, r: int) -> dict[int, F.FieldSpec]:
        out = {}
        for c in self.rows.get(r, ()):
            v = self.own(r, c)
            if isinstance(v, str) and len(v) <= 40:
                spec = F.indicator_field(v)
                if spec is not None:
                    out[c] = spec
        return out

    def is_header(self, r: int) -> bool:
        if len(self.rows.get(r, ())) < hints()["min_header_fields"]:
            return False
        specs = {s.label for s in self.header_fields(r).values()}
        return len(specs) >= hints()["min_header_fields"] and bool(specs & set(hints()["key_fields"]))

    def band_end(self, h: int, main: dict) -> int:
        """Last row of a header that spans several rows: its field labels are merged down over them."""
        bottom = h
        for c in main:
            m = self.merge_bottom.get((h, c))
            if m:
                bottom = max(bottom, m[0])
        if bottom == h:
            below = self.header_fields(h + 1)
            if below and len(below) == len(self.rows.get(h + 1, [])):   # a row of sub-labels only
                bottom = h + 1
        return bottom

    def sub_label(self, r: int, c: int) -> str:
        """A header cell's text, the merged range's text for a covered cell."""
        v = self.filled(r, c)
        return re.sub(r"\s+", "", clean_text(v) or "") if isinstance(v, str) else ""

    def table_at(self, h: int) -> Table:
        """The columns of the table whose header is row h. A header may span rows (labels merged down,
        sub-labels under a merged 指标值: 符号 | 值 | 单位, 调整前 | 调整后, 前年 | 上年 | 预计当年), and
        one row may hold two tables side by side (中期 | 年度)."""
        main = self.header_fields(h)
        bottom = self.band_end(h, main)
        band = HeaderBand(h, bottom, main, self.header_fields(h - 1) if h > 1 and bottom == h else {})
        cols, value_sub = self.header_columns(band)
        cols.update(self.value_columns(h, value_sub))
        self.claim_header(band)
        ordered = [cols[c] for c in sorted(cols)]
        annual, mid = self.split_side_by_side(h, ordered)
        annual = self.adjusted(annual)
        t = Table(h, bottom + 1, tuple(annual), set=self.table_set(h, annual) if mid is None else "annual",
                  others=tuple(mid or ()))
        if not any(c.spec is not None and c.spec.name == "name" for c in annual):
            t = self.name_fallback(t)
        return t

    def header_columns(self, band: HeaderBand) -> tuple[dict[int, Column], list[tuple[int, str, int]]]:
        """(columns by column number, the sub-columns under a merged 指标值 as (column, sub-label, row)):
        value_columns reads those by their sub-labels, all at once."""
        h, bottom = band.h, band.bottom
        span = {c for r in range(h, bottom + 1) for c in self.rows.get(r, ())} | set(band.above)
        cols: dict[int, Column] = {}
        value_sub: list[tuple[int, str, int]] = []
        for c in sorted(span):
            top, tspec = self.header_top(band, c)
            subs = [t for t in (self.sub_label(r, c) for r in range(h + 1, bottom + 1)) if t]
            anchor = self.covered.get((bottom, c), (bottom, c))
            if bottom > h and anchor[1] != c and self.own(bottom, c) is None and not (tspec and not subs):
                continue                      # covered by a sub-label merged across from the left
            if tspec is not None and tspec.name == "value" and subs:
                value_sub.append((c, subs[-1], anchor[0]))
                continue
            col = self.header_column(band, c, top, tspec, subs)
            if col is not None:
                cols[c] = col
        return cols, value_sub

    def header_top(self, band: HeaderBand, c: int):
        """(the header cell naming column c, the field it names): a label merged across from the left
        names every column under its merge."""
        at = self.covered.get((band.h, c))
        if at is not None and at[1] != c:
            return at, band.main.get(at[1])
        return (band.h, c), band.main.get(c)

    def header_column(self, band: HeaderBand, c: int, top: tuple[int, int], tspec, subs: list[str]) -> Column | None:
        """A header column not under 指标值: an indicator field (named on the header row, the row above a
        one-row header, or by its sub-label), a project field of a flat table, or an extra column under its
        own header. None for a cell that is no column of its own."""
        h = band.h
        if tspec is None and top == (h, c) and self.own(h, c) is None and band.bottom == h:
            tspec = band.above.get(c)
        if tspec is None and subs:
            tspec = F.indicator_field(subs[-1])
        if tspec is not None:
            return Column(c, tspec.label, tspec)
        text = self.text(*top) if self.own(*top) is not None else ""
        if not text or top != (h, c):
            return None
        if self.merge_bottom.get((h, c), (h, c))[0] > band.bottom:
            self.claimed.add((h, c))          # a group label merged down beside the rows (绩效指标)
            return None
        pspec = F.project_field(text)
        if pspec is not None:
            return Column(c, pspec.label, pspec, project=True)
        return Column(c, re.sub(r"\s+", "", text), None)

    def claim_header(self, band: HeaderBand) -> None:
        """The header band's cells belong to the table, not to the header fields read around it: every
        cell of its rows, and on the row above the labels over it (a field name, 绩效指标)."""
        h = band.h
        for r in range(h - 1, band.bottom + 1):
            for c in self.rows.get(r, ()):
                if r != h - 1 or c in band.above or self.text(r, c) in hints()["group_labels"]:
                    self.claimed.add((r, c))

    def value_columns(self, h: int, subs: list[tuple[int, str, int]]) -> dict[int, Column]:
        """Sub-columns under a merged 指标值 header: by their sub-label, else by position (符号 | 值 |
        单位), with a note naming the cells; two columns that could both be the target are noted too."""
        out: dict[int, Column] = {}
        known = {F.label_key(k): v for k, v in hints()["value_sublabels"].items()}
        unknown = []
        row_of = {c: r for c, _lab, r in subs}
        labels = [(c, lab) for c, lab, _r in subs]
        for c, lab in labels:
            key = F.label_key(lab)
            if key in known:
                name = known[key]
                if name == "value":
                    out[c] = Column(c, "指标值", F.indicator_field("指标值"))
                elif name:
                    out[c] = Column(c, name, None)
                continue
            spec = F.indicator_field(lab)
            if spec is not None and spec.name in ("sign", "value", "unit"):
                out[c] = Column(c, spec.label, spec)
            else:
                unknown.append((c, lab))
        taken = {col.spec.name for col in out.values() if col.spec is not None}
        order = [c for c, _ in labels]
        for c, lab in unknown:
            out[c] = self.by_position(c, lab, order, taken, row_of[c])
        values = [c for c, col in out.items() if col.spec is not None and col.spec.name == "value"]
        if not values and labels:
            self.note("layout", "指标值下的各列无法确定哪一列是目标值，指标值未读取，请核对",
                      "none of the columns under 指标值 could be told to be the target; 指标值 was not read",
                      row_of[labels[0][0]], labels[0][0])
        return out

    def by_position(self, c: int, lab: str, order: list[int], taken: set[str], r: int) -> Column:
        """A sub-column under 指标值 whose sub-label is not understood: read by its place among three or more
        (符号 | 值 | 单位) when that field is not taken yet, else kept under its own header; noted either way."""
        pos = order.index(c)
        guess = ("sign" if pos == 0 else "unit" if pos == len(order) - 1 else "value") if len(order) >= 3 else None
        if guess is None or guess in taken:
            self.note("layout", f"指标值下的子表头“{lab}”无法识别，该列按其表头另存，未作为指标值读取，请核对",
                      f"sub-header {lab!r} under 指标值 is not understood; its column is kept under its own "
                      f"header, not read as 指标值; please check", r, c)
            return Column(c, lab, None)
        spec = {"sign": _spec("指标性质"), "value": _spec("指标值"), "unit": _spec("度量单位")}[guess]
        taken.add(guess)
        self.note("layout", f"指标值下的子表头“{lab}”无法识别，按其位置读作“{spec.label}”，请核对",
                  f"sub-header {lab!r} under 指标值 is not understood; read as {spec.label} by its position; "
                  f"please check", r, c)
        return Column(c, spec.label, spec)

    def split_side_by_side(self, h: int, cols: list[Column]):
        """(annual columns, 中期 columns or None) of a header row that repeats the indicator fields."""
        split = self.second_table_at(cols)
        if split is None:
            return cols, None
        left = [c for c in cols if c.col < split]
        right = [c for c in cols if c.col >= split]
        shared = [c for c in left if c.spec is not None and c.spec.name == "level1"
                  and not any(r.spec is not None and r.spec.name == "level1" for r in right)]
        right = shared + right
        sets = [self.span_set(h, left), self.span_set(h, right)]
        if sets == ["mid", "mid"] or sets == ["annual", "annual"] or (sets[0] is None and sets[1] is None):
            self.note("layout", "同一行有两组指标（左右并列），无法从表头判断哪一组是年度指标，按惯例读右侧为年度、左侧为中期，请核对",
                      "two indicator tables side by side and no label says which is annual; read the right one "
                      "as annual and the left as 中期 by convention; please check", h, split)
            return right, left
        if sets[0] == "annual" or sets[1] == "mid":
            return left, right
        return right, left

    def second_table_at(self, cols: list[Column]) -> int | None:
        """The column where a header row starts naming the indicator fields again (a second 二级 / 三级 /
        指标值): the first column of a table beside the first one, or None."""
        seen: set[str] = set()
        for col in cols:
            if col.spec is None or col.project:
                continue
            if col.spec.name in seen and col.spec.name in ("level2", "name", "value"):
                return col.col
            seen.add(col.spec.name)
        return None

    def span_set(self, h: int, cols: list[Column]) -> str | None:
        """'mid' / 'annual' from a label above the header (实施期目标 | 年度目标) over these columns."""
        lo, hi = min(c.col for c in cols), max(c.col for c in cols)
        for r in range(h - 1, max(0, h - 5), -1):
            for c in self.rows.get(r, ()):
                end = self.merge_bottom.get((r, c), (r, c))[1]
                if end < lo or c > hi:
                    continue
                got = self.words_set(self.text(r, c))
                if got:
                    return got
        return None

    def words_set(self, t: str) -> str | None:
        if len(t) > 30:
            return None
        if any(w in t for w in hints()["midterm_words"]):
            return "mid"
        if any(w in t for w in hints()["annual_words"]):
            return "annual"
        return None

    def table_set(self, h: int, cols: list[Column]) -> str:
        """A stacked table is the 中期/长期 set when its title row or a label beside its header says so."""
        used = {c.col for c in cols if c.spec is not None}
        for c in self.rows.get(h, ()):
            if c not in used and self.words_set(self.text(h, c)) == "mid":
                return "mid"
        r = h - 1
        t = self.text(r, self.rows[r][0]) if len(self.rows.get(r, ())) == 1 else ""
        # a title row (长期绩效目标表), not a label waiting for its value (长期目标：)
        if self.words_set(t) == "mid" and not _COLON.search(t) and self.label_spec(t)[0] is None:
            return "mid"
        return "annual"

    def adjusted(self, cols: list[Column]) -> list[Column]:
        """指标值 beside 调整后指标值: the adjusted target is 指标值, the first is kept as 调整前指标值."""
        adj = {F.label_key(x) for x in hints()["adjusted_value_labels"]}
        hit = next((c for c in cols if c.spec is None and F.label_key(c.label) in adj), None)
        if hit is None:
            return cols
        out = []
        for c in cols:
            if c is hit:
                out.append(Column(c.col, "指标值", F.indicator_field("指标值")))
            elif c.spec is not None and c.spec.name == "value" and not c.project:
                out.append(Column(c.col, hints()["adjusted_before_label"], None))
            else:
                out.append(c)
        return out

    def name_fallback(self, t: Table) -> Table:
        """No 三级指标 column: the 指标内容 column names the 三级 (广西's own 取数说明 says so)."""
        keys = {F.label_key(x) for x in hints()["name_fallback_labels"]}
        cols = [Column(c.col, "三级指标", F.indicator_field("三级指标"))
                if c.spec is not None and F.label_key(c.label) in keys | {F.label_key(c.spec.label)} and c.spec.name == "content"
                else c for c in t.columns]
        return replace(t, columns=tuple(cols))

    # --- header fields (label / value pairs) ----------------------------------------------------

    def is_label(self, r: int, c: int) -> bool:
        v = self.own(r, c)
        if not isinstance(v, str):
            return False
        t = clean_text(v) or ""
        return bool(self.label_spec(t)[0] or (_COLON.search(t) and len(t) <= MAX_LABEL) or t in hints()["group_labels"])

    def label_spec(self, text: str):
        """(project field, parameter) a label names: '总体目标(2022年-2024年)' → (总体目标, '2022年-2024年')."""
        t = _COLON.sub("", text or "").strip()
        if not t or len(t) > 40:
            return None, None
        spec = F.project_field(t) or self.dept_field(t)
        if spec is not None:
            return spec, None
        params = _PARENS.findall(t)
        bare = _PARENS.sub("", t)
        spec = (F.project_field(bare) or self.dept_field(bare)) if params else None
        return (spec, params[0]) if spec is not None else (None, None)

    def dept_field(self, t: str):
        """A department table's own label (部门职能, 部门编码) on a department sheet."""
        if self.kind != "department":
            return None
        return department_field(t)

    def read_pairs(self, rows: range, block: Block, *, footer: bool = False) -> None:
        """The header fields (label / value pairs) in these rows into block; footer: the rows under the
        table, where an inline "label：value" with a long label is still a field (填报人：张三)."""
        mid_cols: dict[int, int] = {}       # column -> the last row of a 中期资金 label and its parts under it
        for r in sorted(k for k in self.rows if k in rows):
            for c in self.rows[r]:
                if (r, c) not in self.claimed:
                    self.read_pair(r, c, block, mid_cols, footer)
        if block.title_year and block.values.get(hints()["year_label"]) is None:
            y, r, c = block.title_year
            self.put(block, hints()["year_label"], y, r, c)

    def read_pair(self, r: int, c: int, block: Block, mid_cols: dict[int, int], footer: bool) -> None:
        """One cell of the header area: a printed note or the year, a department's task table, a label
        with its value, or a text that is no label."""
        t = self.text(r, c)
        if self.printed_or_year(r, c, t, block) or self.tasks_at(r, c, t, block):
            return
        spec, param = self.label_spec(t)
        if t in hints()["total_labels"] and self.in_fund_group(r, c):
            spec = F.project_field(hints()["total_field"])
        if mid_cols.get(c) == r - 1 and len(t) <= MAX_LABEL and isinstance(self.own(r, c), str):
            spec = F.project_field("其他资金")     # a part of the 中期 total: a label (keyed below)
        if spec is None and not (_COLON.search(t) and len(t) <= MAX_LABEL):
            self.not_a_label(r, c, t, block, footer)
            return
        self.claimed.add((r, c))
        if self.words_set(t) == "mid" and "资金" in t:
            mid_cols[c] = r                # 实施期/中期资金总额: the labels under it are its parts
            spec = None
        elif mid_cols.get(c) == r - 1:
            mid_cols[c] = r
            spec, t = None, "中期" + re.sub(r"^其中[:：]", "", clean_text(t) or "")
        self.label_value(r, c, t, spec, param, block)

    def printed_or_year(self, r: int, c: int, t: str, block: Block) -> bool:
        """Whether the cell is a printed note (claimed, not read) or the year under the title
        ("（2025年度）", "（2025）年度"), which is the year when no field gave one."""
        if any(p in t for p in hints()["printed_notes"]):
            self.claimed.add((r, c))
            return True
        y = re.match(hints()["year_title"], t)
        if not y:
            return False
        self.claimed.add((r, c))
        if block.values.get(hints()["year_label"]) is None:
            self.put(block, hints()["year_label"], int(y.group(1)), r, c)
        return True

    def tasks_at(self, r: int, c: int, t: str, block: Block) -> bool:
        """Whether the cell is a department sheet's 年度主要任务 label with its task table beside it: the
        tasks are then one field of the block."""
        if self.kind != "department" or F.label_key(t) not in {F.label_key(x) for x in hints()["task_groups"]}:
            return False
        tasks = self.task_table(r, c)
        if tasks is None:
            return False
        block.values.setdefault(hints()["tasks_key"], tasks)
        self.claimed.add((r, c))
        return True

    def not_a_label(self, r: int, c: int, t: str, block: Block, footer: bool) -> None:
        """A header-area text that is no label: "label：value" in one cell, a group label, or the title
        (whose year is kept in case no field gives one). Anything else is left for the unmapped note."""
        m = _INLINE.match(t)
        if m and (self.label_spec(m.group(1))[0] or footer or len(m.group(1)) <= 12):
            self.claimed.add((r, c))
            self.put(block, m.group(1), m.group(2), r, c, inline=True)
        elif t in hints()["group_labels"] or self.is_title(r, c, t):
            self.claimed.add((r, c))
            ty = re.search(hints()["year_in_title"], t) if self.is_title(r, c, t) else None
            if ty and block.title_year is None:
                block.title_year = (int(ty.group(1)), r, c)

    def label_value(self, r: int, c: int, t: str, spec, param, block: Block) -> None:
        """A label's value: the numbered list merged beside it, the cell right of or below it, or none
        (then the field's blank box is remembered, for a finding to point at)."""
        listed = self.numbered_list(r, c)
        if listed is not None:
            self.put(block, t, listed[0], listed[1], listed[2], spec=spec, param=param)
            return
        vr, vc = self.value_for(r, c)
        if vr is None:
            self.blank_slot(block, t, spec, r, c)
            right = c + 1 + (self.merge_bottom.get((r, c), (r, c))[1] - c)
            if spec is not None and spec.label not in block.cells and right <= self.g.width \
                    and self.own(r, right) is None:
                block.cells[spec.label] = self.ref(r, right)   # the field's box, left blank
            return
        self.claimed.add((vr, vc))
        self.put(block, t, self.own(vr, vc), vr, vc, spec=spec, param=param)

    def blank_slot(self, block: Block, label: str, spec, r: int, c: int) -> None:
        """A header label with nothing beside it: its value goes in the cell right of the label's merge
        (below it at the sheet's right edge), which is where a finding about the blank field points."""
        if spec is None:
            return
        right = self.merge_bottom.get((r, c), (r, c))[1] + 1
        at = (r, right) if right <= self.g.width else (self.merge_bottom.get((r, c), (r, c))[0] + 1, c)
        block.slots.setdefault(spec.label, self.addr(*self.covered.get(at, at)))

    def task_table(self, r: int, c: int):
        """年度主要任务 beside its label: a header row (任务名称 | 主要内容 | 预算金额, maybe with a row of
        sub-labels 总额 | 财政拨款 | 其他资金), then one row per task; a 合计 row is kept as 合计."""
        bottom = self.merge_bottom.get((r, c), (r, c))
        if bottom[0] == r:
            return None
        names = {F.label_key(k): v for k, v in hints()["task_columns"].items()}
        cols: dict[int, str] = {}
        for k in (x for x in self.rows.get(r, ()) if x > bottom[1]):
            lab = re.sub(r"\s+", "", self.text(r, k))
            cols[k] = names.get(F.label_key(_PARENS.sub("", lab)), lab)
            self.claimed.add((r, k))
        first = self.merge_bottom.get((r, min(cols)), (r, 0))[0] + 1 if cols else r + 1
        for rr in range(r + 1, first):
            for k in self.rows.get(rr, ()):
                sub = re.sub(r"\s+", "", self.text(rr, k))
                cols[k] = names.get(F.label_key(sub), sub)
                self.claimed.add((rr, k))
        tasks = []
        for rr in range(first, bottom[0] + 1):
            d = {}
            for k in self.rows.get(rr, ()):
                if k <= bottom[1]:
                    continue
                self.claimed.add((rr, k))
                v = self.own(rr, k)
                v = clean_text(v, multiline=True) if isinstance(v, str) else v
                lab = cols.get(k) or cols.get(self.covered.get((r, k), (r, k))[1]) or f"列{col_letter(k)}"
                d[lab] = v
            if not d:
                continue
            if any(isinstance(v, str) and "合计" in v for v in d.values()):
                d = {("合计" if isinstance(v, str) and "合计" in v else k): v for k, v in d.items()}
            tasks.append(d)
        return tasks

    def in_fund_group(self, r: int, c: int) -> bool:
        """Whether a group label to the left, merged over this row, names the money (资金总额, 项目资金来源)."""
        for k in range(1, c):
            a = self.covered.get((r, k), (r, k))
            if a[1] < c and any(w in self.text(*a) for w in hints()["fund_group_words"]):
                return True
        return False

    def numbered_list(self, r: int, c: int):
        """A label merged down over numbered rows (目标1 | text, 目标2 | text): (joined text, r, c)."""
        bottom = self.merge_bottom.get((r, c), (r, c))
        if bottom[0] == r:
            return None
        items = []
        for rr in range(r, bottom[0] + 1):
            cs = [k for k in self.rows.get(rr, ()) if k > bottom[1]]
            if len(cs) < 2 or not re.fullmatch(hints()["numbered_item"], self.text(rr, cs[0])):
                return None
            items.append((rr, cs[0], cs[1]))
        for rr, a, b in items:
            self.claimed.update({(rr, a), (rr, b)})
        text = "\n".join(f"{self.text(rr, a)}：{self.text(rr, b)}" for rr, a, b in items)
        return text, items[0][0], items[0][2]

    def value_for(self, r: int, c: int):
        """The value cell of a label: the next cell to the right (past the label's own merge), else below."""
        g = self.g
        right = c + 1
        while right <= g.width and self.covered.get((r, right)) == (r, c):
            right += 1
        while right <= g.width and self.own(r, right) is None and (r, right) in self.covered:
            right += 1
        if right <= g.width and self.own(r, right) is not None and (r, right) not in self.claimed:
            if not self.is_label(r, right):
                return r, right
            return self.value_below(r, c)
        if right <= g.width and self.own(r, right) is None:
            nxt = next((k for k in self.rows.get(r, ()) if k >= right), None)
            if nxt is not None and not self.is_label(r, nxt) and (r, nxt) not in self.claimed:
                return r, nxt
        return self.value_below(r, c)

    def value_below(self, r: int, c: int):
        """The cell under a label, unless it is the value of a label to its own left."""
        down = r + 1
        while self.covered.get((down, c)) == (r, c):
            down += 1
        if self.own(down, c) is not None and not self.is_label(down, c) and (down, c) not in self.claimed:
            left = [k for k in self.rows.get(down, ()) if k < c]
            if left and self.is_label(down, left[-1]):
                return None, None
            return down, c
        return None, None

    def is_title(self, r: int, c: int, t: str) -> bool:
        return any(w in t for w in hints()["title_words"]) and len(t) <= 60 and self.rows.get(r) == [c]

    def put(self, block: Block, label: str, value, r: int, c: int, *, spec=None, param=None, inline=False):
        label = _COLON.sub("", clean_text(label) or "").strip()
        if spec is None:
            spec, param = self.label_spec(label)
        key = spec.label if spec else re.sub(r"\s+", "", label)
        block.slots.setdefault(key, self.addr(r, c))
        if spec is not None and spec.type == "code":
            value = self.code(value, r, c, spec.label)
        elif isinstance(value, str):
            value = clean_text(value, multiline=True)
        if value is None or is_empty_marker(value):
            if spec is not None and key not in block.cells:
                block.cells[key] = self.ref(r, c)      # the field is on the sheet, left blank
            return
        if block.values.get(key) is None:
            block.values[key] = value
            block.cells[key] = self.ref(r, c)
        elif spec is not None:                        # a second cell for the field: said when it differs
            conflicting(self.notes, key, block.values[key], block.cells.get(key), value, self.ref(r, c))
        elif str(block.values[key]).strip() != str(value).strip():
            self.unmapped(r, c, value)                # a label no field has, again (其中：…): not kept, said
        if param and spec is not None:
            extra = hints()["label_params"].get(_PARENS.sub("", label))
            if extra and block.values.get(extra) is None:
                block.values[extra] = clean_text(param)
                block.cells[extra] = self.ref(r, c)

    def code(self, value, r: int, c: int, label: str):
        """A code as text. A numeric cell keeps its exact digits from the sheet XML when they are
        there; past 15 significant digits Excel itself has dropped them, and a note says so."""
        if isinstance(value, str):
            return clean_text(value)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return value
        raw = self.g.raw.get((r, c))
        if raw and re.fullmatch(r"\d+", raw):
            return raw
        if abs(value) < BIG_NUMBER:
            return str(int(value)) if float(value).is_integer() else str(value)
        d = Decimal(raw) if raw else Decimal(repr(float(value)))
        best = format(Decimal(f"{d:.14e}"), "f").split(".")[0]
        self.note("code-as-number",
                  f"“{label}”以数字形式保存（{raw or value}），Excel 只保留 15 位有效数字，末尾数字可能已丢失；读作 {best}，请核对",
                  f"'{label}' is stored as a number ({raw or value}); Excel keeps only 15 significant digits, so trailing "
                  f"digits may be lost; read as {best}, please check", r, c)
        return best

    def layout(self, b: Block):
        """What check needs to know of this block's layout (perfbook.readers._sheetlayout)."""
        t = b.table
        cols: tuple[tuple[str, str, str], ...] = ()
        header = None
        if t is not None:
            cols = tuple((c.label, col_letter(c.col), re.sub(r"\s+", "", self.text(t.header, c.col)) or c.label)
                         for c in t.columns if c.spec is not None and not c.project)
            own = [c.col for c in t.columns if c.spec is not None and not c.project]
            header = self.addr(t.header, min(own)) if own else None
        return Layout(self.g.name, False, header, cols, tuple(b.levels), tuple(b.slots.items()), False)

    # --- the indicator rows -----------------------------------------------------------------

    def is_footer(self, r: int) -> bool:
        if r not in self.rows:
            return False
        first = self.rows[r][0]
        t = self.text(r, first)
        return t.startswith(tuple(hints()["footer_prefixes"])) or any(p in t for p in hints()["printed_notes"])

    def table_end(self, t: Table, limit: int) -> int:
        """First row after the table body: a footer row, or the next block's header."""
        last = t.first - 1
        for r in sorted(k for k in self.rows if t.first <= k < limit):
            if self.is_footer(r):
                break
            last = r
        return last + 1

    def read_rows(self, t: Table, end: int, blocks: list[Block], block: Block, *, into: str = "indicators") -> None:
        """The indicator rows of table t (up to row end) into block's list `into`; in a flat table (项目名称
        in a column) each row goes to its project's block instead, made on first sight."""
        self.claim_beside(t, end)
        headings = Headings()
        name_col = next((c for c in t.columns if c.project and c.spec is not None and c.spec.name == "name"), None)
        for r in range(t.first, end):
            d, icells, raw, proj = self.row_cells(t, r)
            self.unmapped_in_row(r)
            if not d and not proj:
                continue
            if (L1 in d or L2 in d) and into == "indicators":
                block.levels.append((r, d.get(L1), d.get(L2)))
            if not proj and set(d) <= {L1, L2}:
                headings.take(d)           # a row of levels only: no indicator
                continue
            headings.fill(d)
            if name_col is not None:
                block = self.project_for(proj, blocks, block)
            elif proj:
                for k, v in proj.items():
                    block.values.setdefault(k, v)
            self.blank_cells(t, r, icells)
            getattr(block, into).append(self.indicator(t, r, d, icells, raw))

    def claim_beside(self, t: Table, end: int) -> None:
        """The cells of the other table beside this one (t.others, 中期 | 年度): read as a table of their own,
        never as cells this table left unmapped."""
        for r in range(t.first, end):
            for col in t.others:
                if self.own(r, col.col) is not None:
                    self.claimed.add((r, col.col))

    def blank_cells(self, t: Table, r: int, icells: dict) -> None:
        """The cells of the fields row r left blank, so that a finding about a missing field can name its cell."""
        for col in t.columns:
            if not col.project and col.spec is not None and col.label not in icells:
                icells[col.label] = self.ref(r, col.col)

    def row_cells(self, t: Table, r: int) -> tuple[dict, dict, dict, dict]:
        """(indicator fields, their cells, their text as typed, project fields) of table row r; a cell
        merged down over rows gives its value to each of them, an empty marker (无, /) gives none."""
        d: dict = {}
        icells: dict = {}
        raw: dict = {}
        proj: dict = {}
        for col in t.columns:
            v = self.filled(r, col.col)
            if v is None:
                continue
            self.claimed.add((r, col.col))
            if isinstance(v, str):
                v = clean_text(v, multiline=col.spec is None or col.spec.name in LONG_TEXT)
                if v is None or is_empty_marker(v):
                    continue
            if col.project and col.spec is not None:     # a project column always has its field
                proj[col.spec.label] = self.code(v, r, col.col, col.spec.label) if col.spec.type == "code" else v
                continue
            d[col.label] = v
            icells[col.label] = self.ref(r, col.col)
            typed = self.own(r, col.col)
            if col.spec is not None and isinstance(typed, str):
                # the text as typed in this very cell (not one filled in from a merge): what the
                # stray-space rule looks at, since the value itself is cleaned
                raw[col.label] = typed.replace("\r\n", "\n").replace("\r", "\n")
        return d, icells, raw, proj

    def unmapped_in_row(self, r: int) -> None:
        """The cells of a table row outside every column: each noted as unmapped, never dropped unsaid."""
        for c in self.rows.get(r, ()):
            if (r, c) not in self.claimed and (r, c) not in self.covered:
                self.claimed.add((r, c))
                self.unmapped(r, c, self.own(r, c))

    def project_for(self, proj: dict, blocks: list[Block], block: Block) -> Block:
        """Flat tables (one row per indicator, 项目名称 in a column): rows join their project."""
        name = proj.get("项目名称")
        if name is None:
            return block
        for b in blocks:
            if b.values.get("项目名称") == name and b.values.get("项目编码") == proj.get("项目编码"):
                return b
        if block.values.get("项目名称") is None and not block.indicators:
            b = block
        else:
            b = Block(values={k: v for k, v in block.values.items() if k not in proj})
            blocks.append(b)
        for k, v in proj.items():
            b.values.setdefault(k, v)
        return b

    def indicator(self, t: Table, r: int, d: dict, icells: dict, raw: dict | None = None) -> Indicator:
        """Split the value cell where the table has no own 指标性质 / 度量单位 for it. The typed text
        is kept as 原始指标值 whenever 指标值 no longer reads exactly as the cell did."""
        h = hints()
        value = d.get("指标值")
        q = h["qualitative_prefix"]
        if isinstance(value, str) and value.startswith(q) and len(value) > len(q) and d.get("指标性质") is None:
            d["指标性质"], d["指标值"], d[h["original_value_label"]] = q, value[len(q):], value
            icells["指标性质"] = icells.get("指标值")
            value = None
        if value is not None:
            sp = split_value(value)
            sign_typed, unit_typed = d.get("指标性质"), d.get("度量单位")
            addr = icells.get("指标值")
            if not sp.applicable:
                d[h["applicable_label"]] = h["applicable_no"]
            else:
                if sign_typed is None and sp.sign is not None:
                    d["指标性质"] = sp.sign
                    icells["指标性质"] = addr
                unit_clash = unit_typed is not None and sp.unit is not None and sp.unit != unit_typed
                if isinstance(value, str) and str(sp.value) != value and not unit_clash:
                    d["指标值"] = sp.value
                    if unit_typed is None and sp.unit is not None:
                        d["度量单位"] = sp.unit
                        icells["度量单位"] = addr
                    d[h["original_value_label"]] = value
                if sp.note:
                    vcol = t.by_name("value")      # there is one: 指标值 was read from it
                    self.note("value", f"{sp.note[0]}：{sp.original}", f"{sp.note[1]}: {sp.original!r}", r,
                              vcol.col if vcol is not None else None)
        elif is_na(d.get("三级指标")):
            d[h["applicable_label"]] = h["applicable_no"]
        return Indicator.from_dict(d, cells=tuple(icells.items()), row=r, raw=tuple((raw or {}).items()))


def is_na(v) -> bool:
    return is_not_applicable(v)


def read_foreign(grid: Grid):
    """([(values, indicators, cells), ...], notes) for a sheet in a layout perfbook did not make."""
    sr = SheetReader(grid)
    headers = [r for r in sorted(sr.rows) if sr.is_header(r)]
    # a two-row header names fields on both rows: the upper is the header, the lower its sub-labels
    headers = [h for i, h in enumerate(headers) if not (i > 0 and headers[i - 1] == h - 1)]
    blocks = _read_tables(sr, headers) if headers else _fields_only(sr)
    for (r, c), v in sorted(sr.cells.items()):
        if (r, c) not in sr.claimed and (r, c) not in sr.covered:
            sr.unmapped(r, c, v)
    for b in blocks:
        if b.midterm:
            b.values[F.midterm_key()] = b.midterm
    found = [(b.values, b.indicators, b.cells, sr.kind, sr.layout(b)) for b in blocks if b.values or b.indicators]
    return found, sr.notes


def _read_tables(sr: SheetReader, headers: list[int]) -> list[Block]:
    """One block per indicator table (header row in headers): the fields above it, its rows, the footer
    under it. The annual table under a 中期/长期 one is the same project's, so it joins that block."""
    grid = sr.g
    blocks: list[Block] = []
    start = 1
    after_mid = False
    for i, h in enumerate(headers):
        limit = headers[i + 1] - 1 if i + 1 < len(headers) else grid.height + 1
        table = sr.table_at(h)
        if after_mid:                  # the annual table under a 中期/长期 one: the same project
            block = blocks[-1]
        else:
            block = Block()
            blocks.append(block)
        top = h - 1 if any(sr.header_fields(h - 1)) else h
        sr.read_pairs(range(start, top), block)
        end = sr.table_end(table, limit)
        if table.others:
            sr.read_rows(replace(table, columns=table.others, others=table.columns), end, blocks, block, into="midterm")
        if table.set != "mid":
            block.table = table
        sr.read_rows(table, end, blocks, block, into="midterm" if table.set == "mid" else "indicators")
        after_mid = table.set == "mid"
        # footer rows up to the next block's header block belong to this project
        nxt = _next_start(sr, end, limit)
        sr.read_pairs(range(end, nxt), block, footer=True)
        start = nxt
    return blocks


def _fields_only(sr: SheetReader) -> list[Block]:
    """A sheet with no indicator table: its header fields alone (项目概况), one block when it has any."""
    block = Block()
    sr.read_pairs(range(1, sr.g.height + 1), block)
    return [block] if block.values else []


def _next_start(sr: SheetReader, end: int, limit: int) -> int:
    """Where the next block's header fields begin: the first row after the footer naming a project field."""
    if limit > sr.g.height:
        return sr.g.height + 1
    for r in sorted(k for k in sr.rows if end <= k < limit):
        if any(sr.label_spec(sr.text(r, c))[0] for c in sr.rows[r]):
            return r
    return limit


def _spec(label: str) -> F.FieldSpec:
    """An indicator field fields.yaml always defines (指标值, 指标性质, 度量单位)."""
    spec = F.indicator_field(label)
    if spec is None:
        raise KeyError(f"fields.yaml has no indicator field {label}")
    return spec
