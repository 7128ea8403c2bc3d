"""The template: an ordinary workbook whose cells say where each field goes.

A cell holding ``{{ 项目名称 }}`` receives that field; ``总体目标（{{ 实施期限 }}）`` mixes text and a field;
a row holding ``{{ 指标.三级指标 }}`` cells is the indicator row, repeated once per indicator. Fill and
read both follow these marks, so a bureau can move, restyle or add fields in Excel without code.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from defusedxml import ElementTree as ET

from .. import _fields as F, data as shipped
from ..errors import TemplateError
from ..ooxml import _ns as ns
from ..ooxml._package import read_package
from ..ooxml._parts import relationships as _rels, rels_path
from ..ooxml._sheetxml import NS, SheetXml, attrs, col_letter, parse_sheet, shared_strings, split_ref

if TYPE_CHECKING:
    from ._inject import Plan

LISTS_SHEET = "下拉列表"   # the hidden sheet of drop-down lists perfbook.write._inject adds; no data

PLACEHOLDER = re.compile(r"\{\{\s*(.+?)\s*\}\}")
# a placeholder alone in brackets, "总体目标（{{ 实施期限 }}）": the brackets go when the field is empty
BRACKETED = re.compile(r"[（(【\[]\s*\{\{\s*(.+?)\s*\}\}\s*[）)】\]]")
_TOKEN = re.compile(BRACKETED.pattern + "|" + PLACEHOLDER.pattern)
LOOP = "指标."
R_NS = ns.R
PKG_REL_NS = ns.PKG_REL
DEFAULT_TEMPLATE = "绩效目标表.xlsx"


def default_template_path() -> Path:
    """templates/绩效目标表.xlsx: beside the package in a checkout, inside it (perfbook.templates) when installed."""
    return shipped.folder("templates") / DEFAULT_TEMPLATE


@dataclass(frozen=True)
class Slot:
    """A template cell with placeholders."""

    row: int
    col: int
    text: str
    labels: tuple[str, ...]   # labels as written, without the 指标. prefix
    loop: bool

    @cached_property
    def single(self) -> bool:
        """The whole cell is one placeholder: the value keeps its type (number stays number). Kept: each
        workbook asks it of every slot."""
        m = PLACEHOLDER.fullmatch(self.text.strip())
        # not "{{ 指标值 }}／{{ 度量单位 }}": the lazy group stretches over the text between two placeholders
        return m is not None and "{{" not in m.group(1) and "}}" not in m.group(1)

    @cached_property
    def pattern(self) -> re.Pattern:
        """The template text turned inside out: matching a cell's text gives back the fields."""
        out, pos = [], 0
        for i, m in enumerate(_TOKEN.finditer(self.text)):
            out.append(re.escape(self.text[pos:m.start()]))
            if m.group(1) is not None:     # bracketed: the brackets are there only when the field is
                inner = PLACEHOLDER.search(m.group())
                # BRACKETED's match holds a whole {{ … }}, so PLACEHOLDER always finds one in it
                assert inner is not None
                out.append("(?:" + re.escape(m.group()[:inner.start()]) + f"(?P<g{i}>.*?)"
                           + re.escape(m.group()[inner.end():]) + ")?")
            else:
                out.append(f"(?P<g{i}>.*?)")
            pos = m.end()
        out.append(re.escape(self.text[pos:]))
        return re.compile("".join(out), re.S)

    def render(self, values: dict) -> object:
        """The cell's value for these fields: the field's own value (single), else the text with them in."""
        if self.single:
            return values.get(self.labels[0])
        text = BRACKETED.sub(lambda m: m.group() if values.get(_strip_loop(m.group(1))) not in (None, "") else "",
                             self.text)
        return PLACEHOLDER.sub(lambda m: _as_text(values.get(_strip_loop(m.group(1)))), text)

    def parse(self, value: object) -> dict[str, object]:
        """The fields this cell holds in a filled workbook ({} when the text no longer matches)."""
        if self.single:
            return {self.labels[0]: value}
        if value is None:
            return {}
        m = self.pattern.fullmatch(str(value))
        if not m:
            return {}
        return {label: (m.group(f"g{i}") or None) for i, label in enumerate(self.labels)}


def _strip_loop(label: str) -> str:
    return label[len(LOOP):] if label.startswith(LOOP) else label


GAP = "\u3000\u3000"   # what an empty field leaves in a text cell: a visible gap to write in ("　　年…项目绩效目标表")


def _as_text(v: object) -> str:
    return GAP if v is None or v == "" else str(v)


@dataclass
class TemplateSheet:
    index: int
    name: str
    part: str                     # e.g. xl/worksheets/sheet1.xml
    attrs: dict[str, str]         # attributes of its <sheet> element (state, …)
    xml: SheetXml
    slots: list[Slot]
    loop_row: int | None
    merges: list[tuple[int, int, int, int]]
    literals: dict[tuple[int, int], str]    # non-placeholder text cells: labels, notes
    rels_part: str | None

    @property
    def dynamic(self) -> bool:
        return bool(self.slots)

    def loop_slots(self) -> list[Slot]:
        return [s for s in self.slots if s.loop]

    def loop_column(self, label: str) -> int | None:
        for s in self.loop_slots():
            if s.single and s.labels[0] == label:
                return s.col
        return None

    def max_col(self) -> int:
        cols = [c.col for r in self.xml.rows for c in r.cells]
        return max(cols) if cols else 1


@dataclass
class Template:
    path: str
    parts: dict[str, bytes]
    sheets: list[TemplateSheet]
    workbook_part: str
    sst: list[str] = field(default_factory=list)
    plans: dict[str, Plan] = field(default_factory=dict)   # indicator sheet → where inject put its checks

    @classmethod
    def load(cls, path: str | Path | None = None) -> "Template":
        path = Path(path) if path else default_template_path()
        if not path.exists():
            raise TemplateError("找不到模板文件", "template not found", path)
        return cls.from_parts(str(path), read_package(path))

    @classmethod
    def from_parts(cls, path: str, parts: dict[str, bytes]) -> "Template":
        workbook_part = _main_part(parts, path)
        rels = _rels(parts, workbook_part)
        sst_part = next((t for t, typ in rels.values() if typ.endswith("/sharedStrings")), None)
        sst = shared_strings(parts.get(sst_part)) if sst_part else []
        root = ET.fromstring(parts[workbook_part])
        sheets = []
        for i, el in enumerate(root.iter(f"{{{NS}}}sheet")):
            name, target = _sheet_part(el.get("name"), el.get(f"{{{R_NS}}}id"), rels, parts, path)
            xml = parse_sheet(parts[target].decode("utf-8"), sst, f"{path}:{name}")
            attrs = {k: v for k, v in el.attrib.items() if "}" not in k and k not in ("name", "sheetId")}
            sheets.append(_sheet(i, name, target, attrs, xml, parts, path))
        if not any(s.loop_row for s in sheets):
            raise TemplateError("模板中没有指标行（含 {{ 指标.三级指标 }} 等占位符的一行）",
                                "the template has no indicator row (a row of {{ 指标.… }} placeholders)", path)
        return cls(path, parts, sheets, workbook_part, sst)

    def field_labels(self) -> list[str]:
        """Every project label the template has a place for, in reading order."""
        seen: dict[str, None] = {}
        for s in self.sheets:
            for slot in s.slots:
                if not slot.loop:
                    for lab in slot.labels:
                        seen.setdefault(lab)
        return list(seen)

    def indicator_labels(self) -> list[str]:
        seen: dict[str, None] = {}
        for s in self.sheets:
            for slot in s.loop_slots():
                for lab in slot.labels:
                    seen.setdefault(lab)
        return list(seen)


def _main_part(parts: dict[str, bytes], path: str | Path) -> str:
    rels = _rels(parts, "")
    for target, typ in rels.values():
        if typ.endswith("/officeDocument"):
            return target
    raise TemplateError("不是有效的 xlsx 模板（缺少工作簿部件）", "not an xlsx package: no workbook part", path)


def _sheet_part(name: str | None, rid: str | None, rels: dict[str, tuple[str, str]], parts: dict[str, bytes],
                path: str) -> tuple[str, str]:
    """A <sheet> element's name and worksheet part; one without either (no name, a relationship id that
    leads nowhere) is refused, not a crash further on."""
    target = rels[rid][0] if rid is not None and rid in rels else None
    if name is None or target is None or target not in parts:
        raise TemplateError("模板的工作簿列出的工作表缺少名称或工作表部件（文件已损坏）",
                            "a sheet of the template's workbook has no name or no worksheet part", path, name)
    return name, target


def _official(text: str, loop: bool) -> tuple[str, tuple[str, ...]]:
    """A cell's text and labels with each placeholder naming its field's official label: {{ 项目编号 }} (an
    alias) takes the data's 项目编码 as {{ 项目编码 }} would; a label that names no field stays as written."""
    find = F.indicator_field if loop else F.project_field
    labels: list[str] = []

    def official(m: re.Match) -> str:
        lab = _strip_loop(m.group(1))
        spec = find(lab)
        labels.append(spec.label if spec is not None else lab)
        if spec is None or spec.label == lab:
            return m.group()
        return m.group().replace(m.group(1), (LOOP if loop else "") + spec.label, 1)
    return PLACEHOLDER.sub(official, text), tuple(labels)


def _sheet(index: int, name: str, part: str, attrs: dict[str, str], xml: SheetXml, parts: dict[str, bytes],
           path: str) -> TemplateSheet:
    slots: list[Slot] = []
    literals: dict[tuple[int, int], str] = {}
    loop_rows: set[int] = set()
    for row in xml.rows:
        for c in row.cells:
            if c.text is None or not c.text.strip():
                continue
            labels = tuple(PLACEHOLDER.findall(c.text))
            if not labels:
                literals[(c.row, c.col)] = c.text
                continue
            loop = any(lab.startswith(LOOP) for lab in labels)
            if loop and not all(lab.startswith(LOOP) for lab in labels):
                raise TemplateError("同一单元格不能同时含指标占位符和项目占位符",
                                    "a cell mixes indicator and project placeholders", path, f"{name}!{c.ref}")
            text, labels = _official(c.text, loop)
            slots.append(Slot(c.row, c.col, text, labels, loop))
            if loop:
                loop_rows.add(c.row)
    if len(loop_rows) > 1:
        raise TemplateError("指标占位符必须在同一行", "indicator placeholders must all be on one row", path, name)
    merges: list[tuple[int, int, int, int]] = []
    m = re.search(r"<mergeCells\b.*?</mergeCells>", xml.tail, re.S)
    if m:
        for ref in re.findall(r'<mergeCell\s+ref="([^"]+)"', m.group()):
            a, _, b = ref.partition(":")
            (r1, c1), (r2, c2) = split_ref(a), split_ref(b or a)
            merges.append((r1, c1, r2, c2))
    rels = rels_path(part)
    return TemplateSheet(index, name, part, attrs, xml, slots, next(iter(loop_rows), None), merges, literals,
                         rels if rels in parts else None)


def known_label(label: str) -> bool:
    return F.project_field(label) is not None or F.indicator_field(label) is not None


def print_area(sheet: TemplateSheet) -> str | None:
    """$A$1 to the last row and column the template's table uses, hidden columns left out."""
    hidden: set[int] = set()
    for a in re.findall(r"<col\b([^>]*)/?>", sheet.xml.head):
        at = attrs(a)
        if at.get("hidden") in ("1", "true"):
            hidden.update(range(int(at.get("min", 0)), int(at.get("max", 0)) + 1))
    cells = [(c.row, c.col) for row in sheet.xml.rows for c in row.cells if c.col not in hidden]
    cells += [(r2, c2) for _r1, _c1, r2, c2 in sheet.merges if c2 not in hidden]
    if sheet.loop_row:
        cells.append((sheet.loop_row, 1))
    if not cells:
        return None
    return f"$A$1:${col_letter(max(c for _r, c in cells))}${max(r for r, _c in cells)}"
