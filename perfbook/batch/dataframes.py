"""pandas in and out: many workbooks as one DataFrame of indicators and one of projects.

A pandas user gathers the indicators of a round's workbooks in one call, filters or corrects them,
and writes them back with ``perfbook.fill(df, ...)`` or ``perfbook.bulk(df, ...)``. The columns are
the official labels in a fixed order (every column every time, so frames from different files
concatenate), then extra labels a bureau's template adds, then where each row came from
(文件 / 工作表 / 行). Values are as read: numbers are numbers, text is text, 项目编码 is always text,
an empty cell is None. The columns are ``object`` dtype; cast with ``pd.to_numeric`` where needed.
"""
from __future__ import annotations

__all__ = ["read_frame", "read_frames", "Frames"]

import glob
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from .. import _fields as F
from ..errors import PerfbookError, PerfbookWarning
from ..write._inputs import PROVENANCE

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from ..model import Project
    from ..readers.reader import Book

FILE, SHEET, ROW = PROVENANCE
INDICATOR_COUNT = "指标数"


class Frames(NamedTuple):
    """The two tables read_frames returns."""

    indicators: "pd.DataFrame"     # one row per indicator (a project without indicators: one empty row)
    projects: "pd.DataFrame"       # one row per project


def project_columns() -> list[str]:
    return [s.label for s in F.project_fields()]


def indicator_columns() -> list[str]:
    return [s.label for s in F.indicator_fields()]


def expand(paths_or_dir) -> list[Path]:
    """Files from a path, a folder (every workbook under it, as collect finds them), a glob pattern
    ('*.xlsx', expanded here since Windows cmd does not), or a list of any of these."""
    from .collect import find_workbooks
    items = [paths_or_dir] if isinstance(paths_or_dir, (str, Path)) else list(paths_or_dir)
    out: list[Path] = []
    for item in items:
        text = str(item)
        if not Path(text).exists() and glob.has_magic(text):
            hits = sorted(glob.glob(text, recursive=True))
            if not hits:
                raise PerfbookError("没有与模式匹配的文件", "no file matches the pattern", text)
            out += [Path(h) for h in hits]
            continue
        p = Path(text)
        if p.is_dir():
            out += list(find_workbooks(p))
        elif p.exists():
            out.append(p)
        else:
            raise PerfbookError("找不到文件", "file not found", p)
    return out


def _sheet(cells) -> str | None:
    for _label, addr in cells:
        if addr and "!" in addr:
            return addr.rsplit("!", 1)[0]
    return None


def _extras(items, known: list[str]) -> list[str]:
    seen: dict[str, None] = {}
    for d in items:
        for k in d:
            if k not in known and k != F.indicators_key():
                seen.setdefault(k)
    return list(seen)


def frames_of(projects: "Iterable[Project]", file: str | None = None) -> Frames:
    """The two frames for projects already in memory (one Book's, or data loaded from a file)."""
    import pandas as pd
    projects = list(projects)
    pcols, icols = project_columns(), indicator_columns()
    pdicts = [{k: v for k, v in p.to_dict().items() if k != F.indicators_key()} for p in projects]
    idicts = [[i.to_dict() for i in p.indicators] for p in projects]
    pextra = _extras(pdicts, pcols)
    iextra = [k for k in _extras((d for ds in idicts for d in ds), icols) if k not in pextra]
    ind_rows, proj_rows = [], []
    for p, pd_, ids in zip(projects, pdicts, idicts):
        src = file if file is not None else p.source
        base, more = [pd_.get(k) for k in pcols], [pd_.get(k) for k in pextra]
        proj_rows.append(base + more + [len(p.indicators), src, "、".join(p.sheets) or None])
        if not p.indicators:
            ind_rows.append(base + [None] * len(icols) + more + [None] * len(iextra) + [src, None, None])
        for ind, d in zip(p.indicators, ids):
            ind_rows.append(base + [d.get(k) for k in icols] + more + [d.get(k) for k in iextra]
                            + [src, _sheet(ind.cells), ind.row])
    # official columns first (always all of them), then extra labels, then provenance
    indicators = pd.DataFrame(ind_rows, columns=[*pcols, *icols, *pextra, *iextra, FILE, SHEET, ROW], dtype=object)
    projects_df = pd.DataFrame(proj_rows, columns=[*pcols, *pextra, INDICATOR_COUNT, FILE, SHEET], dtype=object)
    return Frames(indicators, projects_df)


def read_frames(paths_or_dir, *, template=None, errors: str = "raise") -> Frames:
    """Read workbooks into two DataFrames: ``indicators`` (one row per indicator, its project's fields
    beside it, then 文件/工作表/行) and ``projects`` (one row per project, with 指标数, 文件, 工作表).

    paths_or_dir: a workbook, a folder (searched like ``perfbook collect``), a glob pattern, or a list
    of these. errors: "raise" (default) stops at the first unreadable file with its PerfbookError;
    "warn" leaves it out with a PerfbookWarning naming it — nothing is dropped silently.
    """

    import pandas as pd

    from ..readers.reader import read
    if errors not in ("raise", "warn"):
        raise ValueError("errors must be 'raise' or 'warn'")
    parts: list[Frames] = []
    for path in expand(paths_or_dir):
        try:
            book: Book = read(path, template=template)
        except PerfbookError as exc:
            if errors == "raise":
                raise
            warnings.warn(PerfbookWarning(f"无法读取，未计入：{exc.zh}（{path}）\nnot read, left out: {exc.en}"),
                          stacklevel=2)
            continue
        parts.append(frames_of(book.projects, file=str(path)))
    if not parts:
        return frames_of([])
    return Frames(*(_concat([getattr(f, name) for f in parts], pd) for name in Frames._fields))


def _concat(frames: list, pd) -> "pd.DataFrame":
    """Concatenate keeping the fixed columns first and provenance last, extras in between."""
    fixed = list(frames[0].columns)
    tail = [c for c in fixed if c in (INDICATOR_COUNT, *PROVENANCE)]
    head = [c for c in fixed if c not in tail and (c in project_columns() or c in indicator_columns())]
    extra = list(dict.fromkeys(c for f in frames for c in f.columns if c not in head and c not in tail))
    out = pd.concat([f.astype(object) for f in frames], ignore_index=True, sort=False)
    out = out.reindex(columns=head + extra + tail)
    return out.astype(object).where(out.notna(), None)


def read_frame(paths_or_dir, *, kind: str = "indicators", template=None, errors: str = "raise") -> "pd.DataFrame":
    """One DataFrame from workbooks: kind="indicators" (default; one row per indicator with its project's
    fields, 文件, 工作表 and 行) or kind="projects" (one row per project). See read_frames for both at once.

        df = perfbook.read_frame("回收/")            # every workbook under the folder
        df[df["一级指标"] == "产出指标"].groupby("主管部门").size()
        perfbook.fill(df[df["项目名称"] == "某项目"], "某项目.xlsx")
    """
    if kind not in Frames._fields:
        raise ValueError(f"kind must be one of {Frames._fields}")
    return getattr(read_frames(paths_or_dir, template=template, errors=errors), kind)
