"""Read 绩效自评表 / 绩效监控表 back: perfbook's own tables by the cycle templates' marks.

Values come through perfbook's reader (read_source on the grids, by the template's marks); which cells
still hold perfbook's formula and which were typed over is read from the sheet XML, so a hand-typed
得分 can be told from a computed one. The budget system's own exports are not read here yet.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import PerfbookError
from ..model import Project
from ..ooxml._package import read_package
from ..ooxml._sheetxml import parse_sheet, shared_strings, unescape
from ..readers.formats import open_source
from ..readers.reader import read_source
from ..write._template import Template, _main_part, _rels
from .make import KINDS, template_path

__all__ = ["SCORE", "CycleBook", "kind_of", "read_cycle", "formula_cells"]

SCORE = "公式.得分"


@dataclass
class CycleBook:
    path: str
    kind: str                     # selfeval | monitor
    projects: list[Project]
    formulas: set[tuple[str, str]] = field(default_factory=set)    # (sheet, "I11") cells holding a formula
    notes: tuple = ()
    scheme: str | None = None
    shown: set[str] | None = None     # the fields the form has a column for (None: perfbook's own, all of them)

    def typed(self, addr: str | None) -> bool:
        """A cell typed over (no formula left in it)."""
        if not addr:
            return False
        sheet, _, cell = addr.rpartition("!")
        return (sheet.strip("'"), cell) not in self.formulas


def kind_of(path, properties: dict | None = None) -> str | None:
    """selfeval / monitor from the workbook's perfbook.kind property, else its sheet titles."""
    k = (properties or {}).get("perfbook.kind")
    if k in KINDS:
        return k
    return None


def read_cycle(path, kind: str | None = None, template=None) -> CycleBook:
    src = open_source(path)
    kind = kind or kind_of(path, src.properties) or _kind_by_labels(src)
    if kind is None:
        raise PerfbookError("不是绩效自评表或绩效监控表（找不到对应的表头）",
                            "not a self-evaluation or monitoring table", str(path))
    tpl = Template.load(template or template_path(kind))
    book = read_source(src, tpl)
    if not book.projects or not any(p.indicators for p in book.projects):
        raise PerfbookError("工作簿中没有找到指标表", "no indicator table found in the workbook", str(path))
    formulas = formula_cells(path) if src.format in ("xlsx", "xlsm") else set()
    return CycleBook(str(path), kind, list(book.projects), formulas, book.notes, src.properties.get("perfbook.scoring"))


def _kind_by_labels(src) -> str | None:
    for g in src.grids:
        top = " ".join(str(v) for r in g.rows[:3] for v in r if v)
        if "自评" in top:
            return "selfeval"
        if "监控" in top:
            return "monitor"
    return None


def formula_cells(path) -> set[tuple[str, str]]:
    """Every (sheet, cell) of an xlsx that holds a formula."""
    parts = read_package(Path(path))
    wb = _main_part(parts, path)
    rels = _rels(parts, wb)
    sst_part = next((t for t, typ in rels.values() if typ.endswith("/sharedStrings")), None)
    sst = shared_strings(parts.get(sst_part)) if sst_part else []
    out = set()
    xml = parts[wb].decode("utf-8")
    for m in re.finditer(r"<sheet\b([^>]*)/?>", xml):
        name = re.search(r'\bname="([^"]*)"', m.group(1))
        rid = re.search(r'\br:id="([^"]*)"', m.group(1)) or re.search(r'\bid="([^"]*)"', m.group(1))
        if not name or not rid or rid.group(1) not in rels:
            continue
        sheet = parse_sheet(parts[rels[rid.group(1)][0]].decode("utf-8"), sst, str(path))
        for row in sheet.rows:
            for c in row.cells:
                if c.body and "<f" in c.body:
                    out.add((unescape(name.group(1)), c.ref))
    return out
