"""File names for bulk's workbooks: a jinja2 pattern filled with each workbook's fields, every value and
segment made safe for Windows (where most officials open them), names that collide numbered.

Its own module, light to import (jinja2 and the standard library): bulk's first pass, started before the
engine is imported (batch/_early.py), needs the fields a pattern uses.
"""
from __future__ import annotations

import functools
import re
import unicodedata
from pathlib import PurePosixPath

import jinja2
import jinja2.meta
import jinja2.sandbox

from ..errors import DataError

DEFAULT_NAME = "{{主管部门}}.xlsx"
DEFAULT_NAME_PER_PROJECT = "{{主管部门}}/{{项目名称}}.xlsx"


def pattern_for(name: str | None, per_project: bool) -> str:
    """The file-name pattern a run uses: the one asked for, else the default of its mode."""
    return name or (DEFAULT_NAME_PER_PROJECT if per_project else DEFAULT_NAME)

# Windows refuses these names with any extension (CON.xlsx is still the console)
RESERVED = {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$",
            *(f"COM{i}" for i in "123456789¹²³"), *(f"LPT{i}" for i in "123456789¹²³")}
UNSAFE = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]')
# bidi controls and invisible characters: U+202E makes "xslx.exe" look like "exe.xlsx"
INVISIBLE = re.compile("[\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff]")
MAX_SEGMENT = 80          # characters per folder/file name: leaves room under Windows' 260-char MAX_PATH
WORKBOOK_EXTS = (".xlsx", ".xlsm")


@functools.lru_cache(maxsize=4096, typed=True)
def safe_segment(text: str, fallback: str = "未命名") -> str:
    """A file or folder name Windows, macOS and Linux all accept, as close to text as possible. Kept
    (typed: 1 and True are two names): a name's segments are cleaned again as a path, and a
    department's name comes once per project."""
    t = unicodedata.normalize("NFC", str(text))
    t = INVISIBLE.sub("", t)
    t = UNSAFE.sub("_", t).strip()
    t = t.rstrip(". ")                      # Windows drops trailing dots and spaces
    t = t.lstrip(" .")                      # a leading dot hides a file (and collect skips hidden files)
    if not t:
        t = fallback
    stem, dot, ext = t.rpartition(".")
    base = (stem if dot else t).split(".")[0].rstrip(" ")
    if base.upper() in RESERVED:
        t = "_" + t
    if len(t) > MAX_SEGMENT:
        keep = ("." + ext) if dot and len(ext) <= 5 else ""
        t = t[: MAX_SEGMENT - len(keep)].rstrip(". ") + keep
    return t


def safe_path(rendered: str, ext: str) -> str:
    """A rendered name pattern as a safe relative path: each segment cleaned, no way out of OUTDIR."""
    segs = [s for s in re.split(r"[/\\]+", rendered.strip()) if s.strip() not in ("", ".")]
    segs = [("_" if s.strip() == ".." else s) for s in segs] or ["未命名"]
    name = segs[-1]
    if name.lower().endswith(WORKBOOK_EXTS) and not name[: name.rfind(".")].strip(" ."):
        name = "未命名" + ext                            # "{{项目编码}}.xlsx" with no 项目编码
    if not name.lower().endswith(WORKBOOK_EXTS):
        name = name.rstrip(". ") + ext
    elif not name.lower().endswith(ext):
        name = name[: name.rfind(".")] + ext          # .xlsx asked for, but macros make it .xlsm
    segs[-1] = name
    return "/".join(safe_segment(s) for s in segs)


_env = jinja2.sandbox.SandboxedEnvironment(undefined=jinja2.StrictUndefined, autoescape=False)


class Namer:
    """File names from a jinja2 pattern; each field value is cleaned before it goes in, so a "/" in a
    department name never opens a folder, and names that collide (also case-insensitively, as on
    Windows) get (2), (3)…"""

    def __init__(self, pattern: str, ext: str):
        try:
            self.template = _env.from_string(pattern)
        except jinja2.TemplateSyntaxError as exc:
            raise DataError(f"文件名模式有误：{exc.message}", f"bad --name pattern: {exc.message}") from None
        self.pattern, self.ext = pattern, ext
        self.fields = pattern_fields(pattern) or set()     # only these are cleaned: one name, not every field
        self.pieces = _plain_pieces(pattern)
        self.used: set[str] = set()

    def name(self, context: dict, differing: set[str] | frozenset[str] = frozenset()) -> str:
        ctx = {k: (safe_segment(v, "") if isinstance(v, str) else v) for k, v in context.items() if k in self.fields}
        if self.pieces is not None and len(ctx) == len(self.fields):
            # text and {{ field }}s only, every field there: what jinja2 renders (str of each value), a
            # tenth of its time; anything else, or a missing field (its error), goes through jinja2
            return self._unique(safe_path("".join(p if lit else str(ctx[p]) for lit, p in self.pieces), self.ext))
        try:
            rendered = self.template.render(ctx)
        except jinja2.UndefinedError as exc:
            bad = next((k for k in differing if f"'{k}'" in str(exc.message)), None)
            if bad:
                raise DataError(f"文件名模式用到了“{bad}”，但同一工作簿中各项目的“{bad}”不同；"
                                f"按项目分别生成请加 --per-project",
                                f"the --name pattern uses '{bad}', which differs between the projects of one "
                                f"workbook; add --per-project for one workbook per project") from None
            keys = "、".join(k for k in context if context[k] not in (None, ""))
            raise DataError(f"文件名模式“{self.pattern}”用到了没有的字段（{exc.message}）；可用：{keys}",
                            f"the --name pattern uses a field that is not there ({exc.message}); available: {keys}") from None
        path = safe_path(rendered, self.ext)
        return self._unique(path)

    def _unique(self, path: str) -> str:
        if path.lower() not in self.used:                # the commonest name: the first of its kind
            self.used.add(path.lower())
            return path
        p = PurePosixPath(path)
        k = 2
        while path.lower() in self.used:
            path = str(p.with_name(f"{p.stem}({k}){p.suffix}"))
            k += 1
        self.used.add(path.lower())
        return path


def _plain_pieces(pattern: str) -> list[tuple[bool, str]] | None:
    """A pattern of text and plain {{ field }}s as (is text, text or field) pieces; None for anything more
    (filters, tests, blocks: jinja2 renders those)."""
    from jinja2 import nodes
    try:
        body = _env.parse(pattern).body
    except jinja2.TemplateSyntaxError:
        return None
    pieces: list[tuple[bool, str]] = []
    for node in body:
        if not isinstance(node, nodes.Output):
            return None
        for n in node.nodes:
            if isinstance(n, nodes.TemplateData):
                pieces.append((True, n.data))
            elif isinstance(n, nodes.Name) and n.ctx == "load":
                pieces.append((False, n.name))
            else:
                return None
    return pieces


def pattern_fields(pattern: str) -> set[str] | None:
    """The fields a file-name pattern uses (None when it does not parse: Namer says why)."""
    try:
        return set(jinja2.meta.find_undeclared_variables(_env.parse(pattern)))
    except jinja2.TemplateSyntaxError:
        return None
