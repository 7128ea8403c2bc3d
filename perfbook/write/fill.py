"""fill / new: data in, official workbook out."""
from __future__ import annotations

__all__ = ["fill", "new"]

import os
import warnings
from functools import lru_cache
from pathlib import Path

from .. import _fields as F
from .._outputs import WORKBOOK_EXTENSIONS, output_path
from .._version import __version__
from ..errors import PerfbookWarning
from ..excel._vba import embed_macros
from ..model import Project
from ..ooxml._package import write_atomic
from ..rules._catalog import rules_dir
from ._inject import inject
from ._inputs import _suggestions, load
from ._render import Compiled
from ._template import Template, default_template_path


@lru_cache(maxsize=16)
def _compiled(path: str, mtime: float, frame: str | None, macros: bool, rules_dir: str | None) -> Compiled:
    template = Template.load(path)
    _warn_placeholders(template, path)          # once per template (this is cached)
    template = prepare(template, frame, macros)
    return Compiled(template)


def prepare(template: Template, frame: str | None, macros: bool) -> Template:
    """Add what every written workbook carries beyond the bureau's template.

    inject: the hidden lists sheet, defined names, drop-downs, validation formulas, red rows and the
    校验 summary cell, all generated from the rule data (perfbook/write/_inject.py).
    embed_macros: the VBA project and the ribbon, for .xlsm output (perfbook/excel/_vba.py).
    Both work on the Template's parts and sheet XML, before it is compiled.
    """
    template = inject(template, frame=frame)
    if macros:
        template = embed_macros(template, frame=frame)
    return template


def compiled(template: str | Path | None = None, frame: str | None = None, macros: bool = False) -> Compiled:
    """The compiled template, cached per (file, modification time, frame, macros)."""
    t = str(template) if template else None
    path = _resolved(t, None if t is None or os.path.isabs(t) else os.getcwd())
    return _compiled(path, os.path.getmtime(path), frame, macros, rules_dir())


@lru_cache(maxsize=64)
def _resolved(template: str | None, cwd: str | None) -> str:
    """A template's absolute path, worked out once per process (bulk asks for it per workbook)."""
    return str(Path(template).resolve()) if template else str(default_template_path())


def meta_for(frame: str | None, template: str | Path | None) -> dict:
    meta = {"perfbook.version": __version__,
            "perfbook.write._template": Path(template).name if template else _default_name()}
    if frame:
        meta["perfbook.frame"] = frame
    return meta


@lru_cache(maxsize=1)
def _default_name() -> str:
    """The shipped template's file name, looked up once per process (bulk asks for it per workbook)."""
    return default_template_path().name


def render(projects: list[Project], *, template=None, frame=None, blank_rows=0, macros=False, names=None) -> bytes:
    c = compiled(template, frame, macros)
    _warn_unplaced(projects, c.template)
    return c.render(projects, blank_rows=blank_rows, meta=meta_for(frame, template), names=names)


def fill(data, path: str | Path, *, template: str | Path | None = None, frame: str | None = None,
         blank_rows: int = 0, macros: bool = False) -> Path:
    """Write the official workbook filled with data; returns the path written (atomically).

    data: a YAML/JSON/CSV/xlsx path, a pandas DataFrame (one row per indicator, as read_frame gives;
    NaN/None are empty), a project dict, a list of project dicts or of flat indicator records, or
    Project objects. Several projects become one sheet set each, in one workbook.
    template: the bureau's template (default: the bundled 绩效目标表.xlsx). frame: the indicator frame
    for the drop-downs and checks (e.g. "yunnan-2022"). blank_rows: empty indicator rows appended.
    macros: embed the 校验 macro and ribbon (the file becomes .xlsm).
    Raises DataError for unusable data (naming the file, row or field), TemplateError for a broken
    template. A field the template has no place for is written nowhere and warned about (PerfbookWarning).
    path: a workbook name (.xlsx .xlsm .xltx .xltm; PerfbookError otherwise, as on the command line), or
    a folder (an existing one, or a name ending in /): the workbook goes inside it, named after the data
    file (or 绩效目标表). With macros the file is written as .xlsm.
    """
    stem = Path(data).stem if isinstance(data, (str, os.PathLike)) else "绩效目标表"
    path = output_path(path, stem + (".xlsm" if macros else ".xlsx"), WORKBOOK_EXTENSIONS, "输出工作簿")
    projects = load(data)
    if macros and path.suffix.lower() != ".xlsm":
        path = path.with_suffix(".xlsm")
    return write_atomic(path, render(projects, template=template, frame=frame, blank_rows=blank_rows, macros=macros))


def new(path: str | Path, *, template: str | Path | None = None, frame: str | None = None, blank_rows: int = 10,
        data=None, macros: bool = False) -> Path:
    """A blank workbook for an official to fill in Excel: the template with blank_rows empty indicator
    rows, drop-downs and 校验 formulas included. data (optional, anything fill accepts) pre-fills the
    header fields; the other arguments are as for fill."""
    projects = load(data) if data is not None else []
    return fill(projects or [Project()], path, template=template, frame=frame, blank_rows=blank_rows, macros=macros)


def _warn_placeholders(template: Template, path: str) -> None:
    """Warn about a placeholder that names no field but looks like a misspelled one ({{ 项目明称 }}): the data's
    field has no place then, and the cell stays empty. One naming no field and like none (a bureau's own
    {{ 备注 }}) is the bureau's: it takes the data's column of that name."""
    unknown = [lab for lab in dict.fromkeys(template.field_labels() + template.indicator_labels())
               if F.project_field(lab) is None and F.indicator_field(lab) is None]
    zh, en = _suggestions(unknown)
    if zh:
        warnings.warn(PerfbookWarning(f"模板中有占位符不是已知字段（{Path(path).name}）{zh}\n"
                                      f"the template has placeholders that name no field{en}"), stacklevel=4)


def _warn_unplaced(projects: list[Project], template: Template) -> None:
    places = set(template.field_labels())
    ind_places = set(template.indicator_labels())
    for p in projects:
        d = p.to_dict()
        inds = d.pop("指标", [])
        lost = [k for k in d if k not in places]
        lost_ind = sorted({k for i in inds for k in i if k not in ind_places})
        if lost or lost_ind:
            what = "、".join(lost + lost_ind)
            zh, en = _suggestions(lost + lost_ind)     # a misspelled label: the one it was meant to be
            warnings.warn(PerfbookWarning(
                f"模板中没有位置的字段未写入（项目“{p.name or ''}”）：{what}{zh}\n"
                f"fields with no place in the template were not written: {what}{en}"), stacklevel=3)
