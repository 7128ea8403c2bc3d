"""The 校验 macros: VBA text sources built into a vbaProject.bin with no Excel, and embedded in workbooks.

Officials work inside Excel or WPS, often with no Python, so the checks must also live in the workbook
as VBA. The sources are plain text under macros/ (hand-written logic) plus one module rendered from
the rule data (perfbook/data/vba/PerfbookRules.bas.j2 over rules.yaml, frames/*.yaml, units.yaml,
comparators.yaml, fields.yaml, foreign.yaml), so the VBA and `perfbook check` cannot drift apart.

The project is written per [MS-OVBA] (perfbook.excel._ovba's streams in perfbook.excel._cfb's compound file):
source only, no compiled cache (_VBA_PROJECT version 0xFFFF), so Office compiles it from source on
first open. Every VBA source is
pure ASCII (the project's code page is 1252): Chinese text is spelled U("\\u6821\\u9a8c") and decoded
at run time, so no code page can garble it.
"""
from __future__ import annotations

import copy
import hashlib
import re
import struct
import warnings
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

import jinja2

from .. import _fields as F, _yaml, data as shipped
from .._comparators import comparators
from .._values import normalise_symbols
from ..cycle.vba import module_source
from ..errors import PerfbookError
from ..ooxml import _ns as ns, _parts as P
from ..ooxml._package import build_zip, deflate, read_package, write_atomic
from ..ooxml._parts import sheet_codename
from ..readers.reader import MATCH_THRESHOLD, load_template
from ..rules import _advice as advice, _catalog as R, _frames as FR
from ..rules._catalog import rules_dir
from ..rules._vba import rules_code
from ..write._template import Template, _main_part
from . import _cfb as cfb, _ovba as ovba

VBA_PART = "xl/vbaProject.bin"
VBA_CT = "application/vnd.ms-office.vbaProject"
VBA_REL = ns.REL_VBA
XLSM_MAIN_CT = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
XLAM_MAIN_CT = "application/vnd.ms-excel.addin.macroEnabled.main+xml"
UI14_PART = "customUI/customUI14.xml"
UI12_PART = "customUI/customUI.xml"
UI14_REL = ns.REL_UI_2007
UI12_REL = ns.REL_UI
WORKBOOK_CODENAME = "ThisWorkbook"
# hand-written modules, in project order; the generated rules module sits between util and check
HAND_MODULES = ("PerfbookUtil", "PerfbookCheck", "PerfbookRibbon")
RULES_MODULE = "PerfbookRules"
CYCLE_MODULE = "PerfbookCycle"     # generated from scoring.yaml: the 校验 of 自评表 / 监控表 (perfbook/cycle/vba.py)
# document modules: the class ids of Excel's Workbook and Worksheet objects ([MS-OVBA] VB_Base)
WORKBOOK_BASE = "00020819-0000-0000-C000-000000000046"
SHEET_BASE = "00020820-0000-0000-C000-000000000046"
PROJECT_ID = "{5F1C8C2E-3B7A-4D0E-9A52-7E0B6C1D2A41}"   # fixed: the same sources give the same bytes
_IDENT = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,30}$")


# --- where the sources are -------------------------------------------------------------------------

def macros_dir() -> Path:
    """perfbook/macros inside an installed package (the wheel maps macros/ there); macros/ beside
    the package in a checkout."""
    return shipped.folder("macros")


ADDIN_NS, WORKBOOK_NS = "perfbook.excel._addin", "perfbook.workbook"
TAB_VISIBLE = "PerfbookRibbon.GetWorkbookTabVisible"


def ribbon_xml(version: int = 14, *, addin: bool = False) -> bytes:
    """The ribbon: customUI14.xml (Office 2010+, WPS) or customUI.xml (Office 2007).

    The files are the add-in's. A workbook's copy declares its ids in another namespace (no id is
    declared twice when the add-in is open too) and hides its tab while perfbook.xlam is open.
    """
    name = "customUI14.xml" if version == 14 else "customUI.xml"
    data = (macros_dir() / name).read_bytes()
    if addin:
        return data
    text = data.decode("utf-8")
    ns = f'xmlns:pb="{ADDIN_NS}"'
    if text.count(ns) != 1 or text.count('<tab idQ="pb:PerfbookTab"') != 1:
        raise PerfbookError(f"功能区文件 {name} 缺少 {ns} 或 pb:PerfbookTab",
                            f"ribbon file {name} lacks {ns} or the pb:PerfbookTab tab")
    text = text.replace(ns, f'xmlns:pb="{WORKBOOK_NS}"').replace(
        '<tab idQ="pb:PerfbookTab"', f'<tab idQ="pb:PerfbookTab" getVisible="{TAB_VISIBLE}"')
    return text.encode("utf-8")


@dataclass(frozen=True)
class Module:
    """One VBA module: kind is "module" (a .bas) or "document" (ThisWorkbook, a sheet)."""

    name: str
    kind: str
    source: str        # the text as VBE exports it (Attribute VB_Name first), CRLF line ends

    @property
    def code(self) -> str:
        """The source without its Attribute lines: what the VBA editor shows (and olevba prints)."""
        return "".join(line for line in self.source.splitlines(keepends=True) if not line.startswith("Attribute VB_"))


def _crlf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\r\n")


def check_ascii(name: str, text: str) -> None:
    """A VBA source must be ASCII: the project code page would turn anything else into garbage."""
    for i, line in enumerate(text.splitlines(), start=1):
        bad = next((ch for ch in line if ord(ch) > 126 or (ord(ch) < 32 and ch != "\t")), None)
        if bad is not None:
            raise PerfbookError(f"VBA 源文件 {name} 第 {i} 行含非 ASCII 字符 U+{ord(bad):04X}；中文请写成 U(\"\\uXXXX\")",
                                f"VBA source {name} line {i} has a non-ASCII character U+{ord(bad):04X}; "
                                f"write Chinese as U(\"\\uXXXX\")")


def hand_sources() -> dict[str, str]:
    """The hand-written .bas files of macros/, by module name."""
    out = {}
    for name in HAND_MODULES:
        path = macros_dir() / f"{name}.bas"
        text = _crlf(path.read_text(encoding="ascii"))
        check_ascii(path.name, text)
        out[name] = text
    return out


# --- VBA string literals and the generated rules module -------------------------------------------

def vba_string(text) -> str:
    """A VBA expression for text: a plain literal when ASCII, else U("...") with \\uXXXX escapes."""
    text = "" if text is None else str(text)
    plain = all(32 <= ord(ch) < 127 and ch != "\\" for ch in text)
    body = text.replace('"', '""') if plain else "".join(
        ('""' if ch == '"' else ch) if 32 <= ord(ch) < 127 and ch != "\\" else "".join(
            f"\\u{u:04X}" for u in _utf16(ch)) for ch in text)
    if plain:
        return f'"{body}"'
    # a VBA line holds 1023 characters: long texts are joined from pieces
    pieces = [body[i:i + 480] for i in range(0, len(body), 480)]
    pieces = _no_split_escapes(pieces)
    return " & _\r\n        ".join(f'U("{p}")' for p in pieces)


def _utf16(ch: str) -> list[int]:
    b = ch.encode("utf-16-le")
    return [int.from_bytes(b[i:i + 2], "little") for i in range(0, len(b), 2)]


def _no_split_escapes(pieces: list[str]) -> list[str]:
    """Re-cut pieces so that no \\uXXXX escape or doubled quote is split between two of them."""
    text = "".join(pieces)
    out, cur = [], ""
    i = 0
    while i < len(text):
        if text.startswith("\\u", i):
            tok = text[i:i + 6]
        elif text.startswith('""', i):
            tok = '""'
        else:
            tok = text[i]
        if len(cur) + len(tok) > 480:
            out.append(cur)
            cur = ""
        cur += tok
        i += len(tok)
    out.append(cur)
    return out


def _data_yaml(name: str) -> dict:
    return _yaml.data(name)


def _template_source(name: str) -> str:
    return shipped.text(f"vba/{name}")


_env = jinja2.Environment(autoescape=False, undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
                          trim_blocks=True, lstrip_blocks=True)
_env.filters["s"] = vba_string
_env.filters["b"] = lambda v: "True" if v else "False"


def rule_data(default_frame: str | None = None) -> dict:
    """Everything the rules module is rendered from: the same data perfbook.rules._catalog reads."""

    p = R.params()
    comp = _data_yaml("comparators.yaml")
    foreign = _data_yaml("foreign.yaml")
    leads, suffixes = [], []
    for c in comparators():
        if not c.quantitative:
            continue
        leads += [(normalise_symbols(w), c.glyph) for w in (c.glyph, *c.spellings, *c.prefix)]
        suffixes += [(normalise_symbols(w), c.glyph) for w in c.suffix]
    by_len = lambda t: (-len(t[0]), t[0])  # noqa: E731
    frames = list(FR.frames().values())
    base_units, aliases = R.unit_table()
    return {
        "rules": R.rules(),
        "advice": advice.data(),
        "p": p,
        "na_words": R.na_words(),
        "name_endings": foreign.get("name_endings", []),
        "empty_markers": foreign.get("empty_markers", []),
        "footer_prefixes": foreign.get("footer_prefixes", []),
        "spellings": R.spellings(),
        "glyphs": list(__import__("perfbook._comparators", fromlist=["GLYPHS"]).GLYPHS),
        "units": base_units,
        "unit_aliases": list(aliases),
        "percent": R.percent_spellings(),
        "frames": frames,
        "default_frame": default_frame or "",
        "fallback_frame": FR.DEFAULT_FRAME,
        "norm": FR.norm_name,
        "leads": sorted({x for x in leads if x[0]}, key=by_len),
        "suffixes": sorted(set(suffixes), key=by_len),
        "normalise": comp.get("normalise", {}),
        "keep": comp.get("keep", []),
        "approximate": comp.get("approximate", []),
        "indicator_fields": F.indicator_fields(),
        "project_fields": F.project_fields(),
        "label_key": F.label_key,
        # SEP & key & SEP & key & SEP (PerfbookUtil's list form) as one literal
        "keys_list": lambda labels: "\x1f" + "".join(F.label_key(a) + "\x1f" for a in dict.fromkeys(labels)),
        "ui": _data_yaml("vba/ui.yaml"),
        "layout": template_layout(),
        "layout_match": _match_threshold(),
        **dict(zip(("rule_decls", "rules_code"), _rules_code())),
    }


def _rules_code() -> tuple[str, str]:
    """Each rule's condition, compiled from rules.yaml to VBA (perfbook.rules._vba)."""
    return rules_code(R._compiled_all(), vba_string, R.param_value)


def _match_threshold() -> float:
    return MATCH_THRESHOLD


def template_layout() -> list[tuple[int, int, int, str]]:
    """(sheet, row, column, text without spaces) of every label printed above the indicator row of the
    default template's sheets: what perfbook.readers.reader.match_role compares to tell a sheet in perfbook's
    own layout (read as typed) from a foreign one (read cleaned, combined values split)."""
    out = []
    sheets = [ts for ts in load_template().sheets if ts.dynamic]
    for k, ts in enumerate(sheets, start=1):
        limit = ts.loop_row or 10**9
        lits = sorted((rc, t) for rc, t in ts.literals.items() if rc[0] < limit)
        if len(lits) >= 2:
            out += [(k, r, c, re.sub(r"\s+", "", str(t))) for (r, c), t in lits]
    return out


def rules_source(default_frame: str | None = None) -> str:
    """The generated module PerfbookRules: rule texts, params, frames, units and signs as VBA."""
    text = _env.from_string(_template_source(f"{RULES_MODULE}.bas.j2")).render(**rule_data(default_frame))
    text = _crlf(text)
    check_ascii(f"{RULES_MODULE}.bas", text)
    return text


# --- modules and the project -----------------------------------------------------------------------

def document_module(name: str, base: str = SHEET_BASE) -> Module:
    """An empty document module for ThisWorkbook or a worksheet, as Excel stores one."""
    lines = [f'Attribute VB_Name = "{name}"', f'Attribute VB_Base = "0{{{base}}}"',
             "Attribute VB_GlobalNameSpace = False", "Attribute VB_Creatable = False",
             "Attribute VB_PredeclaredId = True", "Attribute VB_Exposed = True",
             "Attribute VB_TemplateDerived = False", "Attribute VB_Customizable = True"]
    return Module(name, "document", "\r\n".join(lines) + "\r\n")


def standard_modules(default_frame: str | None = None) -> list[Module]:
    """The standard modules every perfbook VBA project carries, in project order."""
    hand = hand_sources()
    order = [HAND_MODULES[0], RULES_MODULE, *HAND_MODULES[1:], CYCLE_MODULE]
    src = {**hand, RULES_MODULE: rules_source(default_frame), CYCLE_MODULE: module_source()}
    out = []
    for name in order:
        text = src[name]
        if not text.startswith(f'Attribute VB_Name = "{name}"'):
            raise PerfbookError(f"VBA 源文件 {name}.bas 第一行应为 Attribute VB_Name = \"{name}\"",
                                f"VBA source {name}.bas must start with Attribute VB_Name = \"{name}\"")
        out.append(Module(name, "module", text))
    return out


def project_modules(sheet_codenames, default_frame: str | None = None,
                    workbook_codename: str = WORKBOOK_CODENAME) -> list[Module]:
    docs = [document_module(workbook_codename, WORKBOOK_BASE)] + [document_module(n) for n in sheet_codenames]
    return docs + standard_modules(default_frame)


@lru_cache(maxsize=64)
def ovba_compress(data: bytes) -> bytes:
    """[MS-OVBA] 2.4.1 compression, with a hash chain instead of the reference algorithm's full scan.

    The reference matcher (what the ms-ovba package shipped) compares every earlier byte of the chunk
    at every position: ~20 s for this project's 130 KB of source. Any valid copy tokens decompress to
    the same text, so the nearest longest match found through 3-byte prefixes is just as good.
    """
    out = bytearray(b"\x01")
    for start in range(0, len(data), 4096):
        chunk = data[start:start + 4096]
        body = _compress_chunk(chunk)
        if len(body) > 4096:                      # incompressible: a raw chunk (always 4096 bytes)
            if len(chunk) < 4096:
                raise ValueError("a short final chunk cannot be stored raw")
            out += (0x3000 | 4095).to_bytes(2, "little") + chunk
        else:
            out += (0xB000 | (len(body) - 1)).to_bytes(2, "little") + body
    return bytes(out)


def _compress_chunk(chunk: bytes) -> bytes:
    n = len(chunk)
    body = bytearray()
    heads: dict[bytes, list[int]] = {}
    pos = 0
    while pos < n:
        flag_at = len(body)
        body.append(0)
        flag = 0
        for bit in range(8):
            if pos >= n:
                break
            best_len, best_off = 0, 0
            if pos >= 1 and pos + 3 <= n:
                bit_count = max((pos - 1).bit_length(), 4)
                max_len = (0xFFFF >> bit_count) + 3
                limit = min(max_len, n - pos)
                for cand in reversed(heads.get(chunk[pos:pos + 3], ())[-64:]):
                    length = 3
                    while length < limit and chunk[cand + length] == chunk[pos + length]:
                        length += 1
                    if length > best_len:
                        best_len, best_off = length, pos - cand
                        if length == limit:
                            break
            if best_len >= 3:
                bit_count = max((pos - 1).bit_length(), 4)
                token = ((best_off - 1) << (16 - bit_count)) | (best_len - 3)
                body += token.to_bytes(2, "little")
                flag |= 1 << bit
                step = best_len
            else:
                body.append(chunk[pos])
                step = 1
            for k in range(pos, pos + step):
                if k + 3 <= n:
                    heads.setdefault(chunk[k:k + 3], []).append(k)
            pos += step
        body[flag_at] = flag
    return bytes(body)


def build_project(modules: list[Module]) -> bytes:
    """vbaProject.bin for these modules ([MS-OVBA], source only): perfbook.excel._ovba's streams in a
    perfbook.excel._cfb compound file, read back before it is returned (a broken project is never written)."""
    seen = set()
    for m in modules:
        if not _IDENT.match(m.name) or m.name.lower() in seen or m.name.lower() in _RESERVED_STREAMS:
            raise PerfbookError(f"VBA 模块名无效或重复：{m.name}", f"invalid or duplicate VBA module name: {m.name}")
        seen.add(m.name.lower())
    streams = [ovba.Stream(m.name, m.kind == "document", ovba_compress(m.source.encode(ovba.CP))) for m in modules]
    data = cfb.write(ovba.project_tree(PROJECT_ID, streams, ovba_compress))
    verify_project(data, modules)
    _SPECS[hashlib.sha256(data).hexdigest()] = tuple(modules)
    return data


_RESERVED_STREAMS = {"dir", "_vba_project", "project", "projectwm"}


def verify_project(data: bytes, modules: list[Module]) -> None:
    """Read the project back with readers perfbook did not write (olefile for the compound file,
    oletools for [MS-OVBA] decompression): every module listed in dir, in order, with its exact source."""

    import olefile
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")          # oletools' pyparsing grammar warns on import
        from oletools.olevba import decompress_stream
    try:
        ole = olefile.OleFileIO(data)
        try:
            names = _dir_module_names(decompress_stream(bytearray(ole.openstream("VBA/dir").read())))
            if names != [m.name for m in modules]:
                raise ValueError(f"dir lists {names}")
            for m in modules:
                text = decompress_stream(bytearray(ole.openstream(f"VBA/{m.name}").read()))
                if text != m.source.encode(ovba.CP):
                    raise ValueError(f"module {m.name} reads back different")
            for name in ("PROJECT", "PROJECTwm", "VBA/_VBA_PROJECT"):
                ole.openstream(name).read()
        finally:
            ole.close()
    except Exception as exc:
        raise PerfbookError(f"生成的 VBA 工程读回校验失败，未写出：{exc}",
                            f"the VBA project built does not read back, nothing written: {exc}") from exc


def _dir_module_names(d: bytes) -> list[str]:
    names, i = [], 0
    while i + 6 <= len(d):
        rid, size = struct.unpack_from("<HI", d, i)
        if rid == 0x09:                       # PROJECTVERSION: its size field says 4, 6 bytes follow
            size = 6
        if rid == 0x19:
            names.append(d[i + 6:i + 6 + size].decode(ovba.CP))
        i += 6 + size
    return names


# a project perfbook built, by the hash of its bytes: render asks for the same project with more sheets
_SPECS: dict[str, tuple[Module, ...]] = {}


def vba_project(sheet_codenames: tuple[str, ...], default_frame: str | None = None,
                workbook_codename: str = WORKBOOK_CODENAME) -> bytes:
    return _vba_project(sheet_codenames, default_frame, workbook_codename, rules_dir())


@lru_cache(maxsize=32)
def _vba_project(sheet_codenames, default_frame, workbook_codename, _rules_dir) -> bytes:
    """Cached per rule folder too: a bureau's rules change the generated PerfbookRules module."""
    return build_project(project_modules(sheet_codenames, default_frame, workbook_codename))


@lru_cache(maxsize=64)
def with_document_modules(data: bytes, codenames: tuple[str, ...]) -> bytes | None:
    """The same project with a document module for every sheet codeName (render's sheet copies).

    None when the project is not one perfbook built (a bureau's own VBA is never rewritten).
    """
    spec = _SPECS.get(hashlib.sha256(data).hexdigest())
    if spec is None:
        return None
    docs = [m for m in spec if m.kind == "document"]
    have = {m.name for m in docs}
    extra = [document_module(n) for n in codenames if n not in have]
    if not extra:
        return data
    std = [m for m in spec if m.kind != "document"]
    return build_project(docs + extra + std)


# --- embedding in a template -------------------------------------------------------------------------

def _content_types(ct: str, main_part: str, main_ct: str) -> str:
    """Workbook part macro-enabled, vbaProject.bin typed; nothing else touched."""
    ct = P.set_override(ct, main_part, main_ct)
    if P.override(ct, VBA_PART) is None:
        ct = P.set_override(ct, VBA_PART, VBA_CT)
    return ct


def _pick_codenames(wb_xml: str, own: list[str | None]) -> tuple[str, list[str]]:
    """The workbook's and each sheet's codeName: the file's own when valid and unique, else ThisWorkbook/SheetN."""
    own_wb = P.workbook_codename(wb_xml)
    wb_name = own_wb if own_wb and _IDENT.match(own_wb) else WORKBOOK_CODENAME
    used = {wb_name.lower()}
    names = []
    for k, name in enumerate(own, start=1):
        if not (name and _IDENT.match(name) and name.lower() not in used and "_" not in name):
            name = f"Sheet{k}"
            while name.lower() in used:
                k += 1
                name = f"Sheet{k}"
        used.add(name.lower())
        names.append(name)
    return wb_name, names


def assign_codenames(template: Template) -> tuple[str, list[str]]:
    wb = template.parts[template.workbook_part].decode("utf-8")
    return _pick_codenames(wb, [sheet_codename(ts.xml.head) for ts in template.sheets])


def _embed_parts(parts: dict[str, bytes], workbook_part: str, wb_name: str, names: list[str],
                 frame_id: str | None, addin: bool) -> None:
    """Everything but the sheets' own codeNames: the project, its relationship and content type,
    the macro-enabled workbook type, the workbook codeName, the ribbon parts and their relationships."""
    wb = parts[workbook_part].decode("utf-8")
    parts[workbook_part] = P.set_workbook_codename(wb, wb_name).encode("utf-8")
    ct = parts[P.CONTENT_TYPES].decode("utf-8")
    # a signature of someone else's project would not match ours: it goes, with its relationships
    for name in [n for n in parts if re.fullmatch(r"xl/vbaProjectSignature\w*\.bin|xl/_rels/vbaProject\.bin\.rels", n)]:
        del parts[name]
        ct = P.remove_override(ct, name)
    parts[VBA_PART] = vba_project(tuple(names), frame_id, wb_name)
    P.relate(parts, workbook_part, VBA_REL, P.relative_target(workbook_part, VBA_PART), rid="rIdPbVba", replace_type=True)
    parts[P.CONTENT_TYPES] = _content_types(ct, workbook_part, XLAM_MAIN_CT if addin else XLSM_MAIN_CT).encode("utf-8")
    parts[UI14_PART] = ribbon_xml(14, addin=addin)
    parts[UI12_PART] = ribbon_xml(12, addin=addin)
    P.relate(parts, "", UI14_REL, UI14_PART, rid="rIdPbUI14", replace_type=True)
    P.relate(parts, "", UI12_REL, UI12_PART, rid="rIdPbUI12", replace_type=True)


def embed_macros(template: Template, frame=None, *, addin: bool = False) -> Template:
    """A copy of the template carrying the 校验 VBA project and the 绩效目标 ribbon.

    Adds xl/vbaProject.bin with its relationship and content type, makes the workbook part
    macro-enabled (or an add-in), sets codeName on workbookPr and on every sheet to match the
    project's document modules, and adds customUI14.xml/customUI.xml with their root relationships.
    Sheet copies made by render get their own codeNames and document modules there.
    """
    t = copy.deepcopy(template)
    wb_name, names = assign_codenames(t)
    for ts, name in zip(t.sheets, names):
        ts.xml.head = P.set_sheet_codename(ts.xml.head, name)      # sheet XML lives in ts.xml until compiled
    _embed_parts(t.parts, t.workbook_part, wb_name, names, getattr(frame, "id", frame), addin)
    return t


def embed_workbook(source, dest, frame=None) -> Path:
    """Any xlsx/xlsm an official already has, as an .xlsm carrying the 校验 macros and the ribbon."""
    parts = read_package(source)
    main = _main_part(parts, source)
    rels = P.relationships(parts, main)
    wb = parts[main].decode("utf-8")
    sheet_parts = []
    for rid in P.sheet_rids(wb):
        target, typ = rels.get(rid, (None, ""))
        if target in parts and typ.endswith("/worksheet"):
            sheet_parts.append(target)
    wb_name, names = _pick_codenames(wb, [sheet_codename(parts[p].decode("utf-8")) for p in sheet_parts])
    for part, name in zip(sheet_parts, names):
        parts[part] = P.set_sheet_codename(parts[part].decode("utf-8"), name).encode("utf-8")
    _embed_parts(parts, main, wb_name, names, getattr(frame, "id", frame), False)
    dest = Path(dest)
    if dest.suffix.lower() != ".xlsm":
        dest = dest.with_suffix(".xlsm")
    return write_atomic(dest, build_zip([deflate(k, parts[k]) for k in P.package_order(parts)]))


# --- reading a project back (tests, and `perfbook addin build --check`) ----------------------------------

def extract_sources(data: bytes) -> dict[str, str]:
    """Module name → source, as oletools' olevba reads it from a vbaProject.bin or a workbook."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")          # oletools' pyparsing grammar warns on import
        from oletools.olevba import VBA_Parser
    parser = VBA_Parser("vbaProject.bin", data=data)
    try:
        return {vba_filename.rsplit(".", 1)[0]: code for _f, _s, vba_filename, code in parser.extract_macros()}
    finally:
        parser.close()


def digest() -> str:
    """A short fingerprint of the VBA sources and the rule data (shown by the add-in's 关于 text)."""
    return _digest(rules_dir())


@cache
def _digest(_rules_dir) -> str:
    h = hashlib.sha256()
    for m in standard_modules():
        h.update(m.source.encode("ascii"))
    return h.hexdigest()[:12]
