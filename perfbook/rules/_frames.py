"""Indicator frames (一级 → 二级 trees) per region and year, loaded from YAML files.

The frame is data, not a constant (domain.md §1.1: the same names sit in different trees in different
provinces and years). perfbook ships data/frames/*.yaml; a bureau adds its own file to a directory named
by PERFBOOK_FRAMES (or --frames-dir) without touching code. A later file with the same id replaces an
earlier one, so a bureau can also override a shipped frame.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from .. import _yaml, data as shipped
from .._suggest import closest
from ..errors import PerfbookError

ENV_DIRS = "PERFBOOK_FRAMES"     # extra frame directories, os.pathsep-separated
ENV_DEFAULT = "PERFBOOK_FRAME"   # the frame to use when neither the workbook nor the user names one
DEFAULT_FRAME = "yunnan-2022"    # the default template is the Yunnan layout of seed 001
_SPACES = re.compile("[ \u3000\n\r\t]+")   # what the workbook formula removes too


def norm_name(text) -> str:
    """A 一级/二级 name for matching: no spaces, one trailing 指标 removed (IFMIS isEqualAfterRemoval)."""
    t = _SPACES.sub("", str(text or ""))
    return t[:-2] if t.endswith("指标") else t


@dataclass(frozen=True)
class Level2:
    name: str
    aliases: tuple[str, ...] = ()
    required: bool = False
    category: str | None = None

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


@dataclass(frozen=True)
class Level1:
    name: str
    aliases: tuple[str, ...] = ()
    level2: tuple[Level2, ...] = ()
    min_total: int = 0
    category: str | None = None

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)

    def find(self, name) -> Level2 | None:
        key = norm_name(name)
        return next((l2 for l2 in self.level2 if key in {norm_name(n) for n in l2.names}), None)


@dataclass(frozen=True)
class Requirement:
    """At least `minimum` 三级 under a 一级 (level2 None: in total) or under one of its 二级."""

    level1: str
    level2: str | None
    minimum: int = 1

    @property
    def label(self) -> str:
        return f"{self.level1}—{self.level2}" if self.level2 else self.level1


@dataclass(frozen=True)
class Frame:
    id: str
    title: str
    level1: tuple[Level1, ...]
    required_fields: tuple[str, ...] = ("一级指标", "二级指标", "三级指标", "指标性质", "指标值")
    scored: bool = False
    not_applicable_rows: bool = False
    qualitative: tuple[str, ...] = ()
    units: tuple[str, ...] = ()
    region: str | None = None
    years: tuple = ()
    kind: str = "project"
    source: str | None = None
    order: int = 100
    path: str | None = None

    def find1(self, name) -> Level1 | None:
        key = norm_name(name)
        if not key:
            return None
        return next((l1 for l1 in self.level1 if key in {norm_name(n) for n in l1.names}), None)

    def find2(self, level1: Level1 | None, name) -> Level2 | None:
        return level1.find(name) if level1 is not None and norm_name(name) else None

    def requirements(self) -> tuple[Requirement, ...]:
        out = []
        for l1 in self.level1:
            if l1.min_total:
                out.append(Requirement(l1.name, None, l1.min_total))
            out += [Requirement(l1.name, l2.name) for l2 in l1.level2 if l2.required]
        return tuple(out)

    def category(self, l1: Level1 | None, l2: Level2 | None) -> str | None:
        if l2 is not None and l2.category:
            return l2.category
        return l1.category if l1 is not None else None

    def names(self) -> set[str]:
        """Every 一级 and 二级 name and alias, normalised (a 三级 named like one of them is misfiled)."""
        return {norm_name(n) for l1 in self.level1 for n in (*l1.names, *(x for l2 in l1.level2 for x in l2.names))}


def _frame(data: dict, path: str) -> Frame:
    try:
        level1 = tuple(
            Level1(str(d["name"]), tuple(map(str, d.get("aliases", ()))),
                   tuple(Level2(str(e["name"]), tuple(map(str, e.get("aliases", ()))), bool(e.get("required")),
                                e.get("category")) for e in (d.get("level2") or ())),
                   int(d.get("min_total", 0)), d.get("category"))
            for d in data["level1"])
        return Frame(
            id=str(data["id"]), title=str(data.get("title") or data["id"]), level1=level1,
            required_fields=tuple(data.get("required_fields") or Frame.required_fields),
            scored=bool(data.get("scored")), not_applicable_rows=bool(data.get("not_applicable_rows")),
            qualitative=tuple(map(str, data.get("qualitative", ()))), units=tuple(map(str, data.get("units", ()))),
            region=data.get("region"), years=tuple(data.get("years") or ()), kind=data.get("kind", "project"),
            source=data.get("source"), order=int(data.get("order", 100)), path=path)
    except (KeyError, TypeError, ValueError) as exc:
        raise PerfbookError(f"框架文件格式有误：缺少或无法识别 {exc}", f"malformed frame file: {exc!r}", path) from exc


def _files(extra_dirs: tuple[str, ...]):
    for entry in shipped.entries("frames"):
        if entry.name.endswith((".yaml", ".yml")):
            yield entry.read_text("utf-8"), str(entry)
    for d in extra_dirs:
        p = Path(d)
        if not p.is_dir():
            raise PerfbookError("找不到框架目录", "frames directory not found", p)
        for f in sorted(p.glob("*.y*ml")):
            yield f.read_text("utf-8"), str(f)


def _env_dirs() -> tuple[str, ...]:
    return tuple(d for d in os.environ.get(ENV_DIRS, "").split(os.pathsep) if d)


@cache
def _load(extra_dirs: tuple[str, ...]) -> dict[str, Frame]:
    out: dict[str, Frame] = {}
    for text, path in _files(extra_dirs):
        data = _yaml.load(text)
        if not isinstance(data, dict):
            raise PerfbookError("框架文件应为键值对象", "a frame file must be a mapping", path)
        f = _frame(data, path)
        out[f.id] = f
    return out


def frames(frames_dir=None) -> dict[str, Frame]:
    """Every known frame by id: the shipped ones, then PERFBOOK_FRAMES, then frames_dir."""
    extra = _env_dirs() + ((str(frames_dir),) if frames_dir else ())
    return dict(sorted(_load(extra).items(), key=lambda kv: (kv[1].order, kv[0])))


def get(frame_id: str, frames_dir=None) -> Frame:
    known = frames(frames_dir)
    if frame_id not in known:
        c = closest(str(frame_id), known)
        zh, en = (f"（是否为“{c}”？）", f" (did you mean '{c}'?)") if c else ("", "")
        raise PerfbookError(f"未知的指标框架“{frame_id}”{zh}；可用：{'、'.join(known)}（或用 --frames-dir 指定框架目录）",
                            f"unknown frame {frame_id!r}{en}; known: {', '.join(known)}")
    return known[frame_id]


def default(frames_dir=None) -> Frame:
    """The frame a workbook gets when no one names one: PERFBOOK_FRAME, else the default template's."""
    return get(os.environ.get(ENV_DEFAULT) or DEFAULT_FRAME, frames_dir)


def resolve(frame, frames_dir=None) -> Frame:
    if isinstance(frame, Frame):
        return frame
    return get(frame, frames_dir) if frame else default(frames_dir)


def detect(pairs, frames_dir=None) -> tuple[Frame, float]:
    """The frame whose tree best explains the (一级, 二级) names seen, with its score.

    A pair found under its exact spelling scores 2, after normalisation 1, not at all -2; each
    required group the names leave empty costs 1. Ties go to the lower `order`.
    """
    pairs = [(a, b) for a, b in pairs if a or b]
    best: Frame | None = None
    best_score = float("-inf")
    for f in frames(frames_dir).values():
        score = 0.0
        seen: set[tuple[str, str | None]] = set()
        for a, b in pairs:
            l1 = f.find1(a)
            if l1 is None:
                score -= 2
                continue
            exact1 = a in l1.names
            l2 = f.find2(l1, b)
            if b and l2 is None:
                score -= 2
                continue
            exact2 = not b or (l2 is not None and b in l2.names)
            score += 1 + (exact1 and exact2)
            seen.add((l1.name, l2.name if l2 else None))
        for req in f.requirements():
            if not any(s[0] == req.level1 and (req.level2 is None or s[1] == req.level2) for s in seen):
                score -= 1
        if score > best_score:
            best, best_score = f, score
    assert best is not None, "no indicator frames: perfbook/data/frames is part of the package"
    return best, best_score
