"""The VBA project built from text: ASCII sources, generated rules, [MS-OVBA] bytes olevba reads back,
and the package parts a macro-enabled workbook needs (no LibreOffice here: see test_macros_lo.py)."""
from __future__ import annotations

import random
import re
import zipfile

import pytest
import yaml

import perfbook
from perfbook.cli import main
from perfbook.excel import _vba as vba
from perfbook.rules import _catalog as R
from tests.conftest import EXAMPLES, ROOT, SAMPLES, need_shared
from tests.support.opc import problems

CT_NS = "{http://schemas.openxmlformats.org/package/2006/content-types}"


# --- helpers ---------------------------------------------------------------------------------------

def eval_vba_string(expr: str) -> str:
    """What a VBA string expression from vba_string() evaluates to (literals, U("\\u…") and &)."""
    out = []
    for m in re.finditer(r'U\("((?:[^"]|"")*)"\)|"((?:[^"]|"")*)"', expr):
        if m.group(1) is not None:
            raw = m.group(1).replace('""', '"')
            units = []
            i = 0
            while i < len(raw):
                if raw.startswith("\\u", i):
                    units.append(int(raw[i + 2:i + 6], 16))
                    i += 6
                else:
                    units.append(ord(raw[i]))
                    i += 1
            out.append(b"".join(u.to_bytes(2, "little") for u in units).decode("utf-16-le"))
        else:
            out.append(m.group(2).replace('""', '"'))
    return "".join(out)


def sources() -> dict[str, str]:
    return {m.name: m.source for m in vba.standard_modules()}


def rule_cases(src: str) -> set[str]:
    return set(re.findall(r'^\s*Case "([a-z0-9-]+)"\s*$', src, re.M))


# --- sources ---------------------------------------------------------------------------------------

def test_sources_are_ascii_crlf_and_named():
    for name, src in sources().items():
        vba.check_ascii(name, src)
        assert src.startswith(f'Attribute VB_Name = "{name}"\r\n')
        assert "\n" not in src.replace("\r\n", "")
    for f in ("customUI14.xml", "customUI.xml"):
        assert (vba.macros_dir() / f).exists()


def test_non_ascii_source_is_refused():
    with pytest.raises(perfbook.PerfbookError):
        vba.check_ascii("X.bas", 'Attribute VB_Name = "X"\r\nMsgBox "校验"\r\n')


@pytest.mark.parametrize("text", ["", "ascii only", 'say "hi"', "校验结果", "发现 3 处错误、2 处警告",
                                  "back\\slash", "≥95%", "😀 emoji", "“引号”\n换行", "长" * 300])
def test_vba_string_round_trip(text):
    expr = vba.vba_string(text)
    assert all(ord(c) < 128 for c in expr)
    assert max(len(line) for line in expr.split("\r\n")) < 1000      # VBA's line limit is 1023
    assert eval_vba_string(expr) == text


def test_rules_module_is_generated_from_the_rule_data():
    src = vba.rules_source("classic")
    assert src == vba.rules_source("classic")                       # deterministic
    ids = [r.id for r in R.rules()]
    got = re.findall(r'^    AddRule "([a-z0-9-]+)"', src, re.M)
    assert got == ids
    from perfbook.rules import _frames as FR
    for fid in FR.frames():
        assert f'AddFrame "{fid}"' in src
    assert 'Public Const DEFAULT_FRAME As String = "classic"' in src
    # every message and fix of rules.yaml is in the module, word for word
    exprs = re.findall(r"^    AddRule (.*?)(?=^    AddRule |^End Sub)", src, re.M | re.S)
    for rule, expr in zip(R.rules(), exprs):
        values = [eval_vba_string(x) for x in re.split(r",\s*_?\s*\r\n\s*|, (?=\"|U\()", expr.strip())]
        assert rule.message in values and (rule.fix or "") in values, rule.id


def test_every_text_the_macros_use_is_in_ui_yaml():
    texts = yaml.safe_load((ROOT / "perfbook/data/vba/ui.yaml").read_text("utf-8"))["texts"]
    used = set()
    for name, src in sources().items():
        used |= set(re.findall(r'\bT\("([a-z0-9_]+)"\)', src))
    assert used and used <= set(texts), used - set(texts)


def test_vba_implements_every_rule_and_the_doc_lists_the_rest():
    """The rules only Python has are exactly the ones the README lists as such."""
    src = vba.rules_source("classic")
    named = dict(re.findall(r"^' rule (\d+): ([a-z0-9-]+)\s*$", src, re.M))
    vba_rules = {named[k] for k in re.findall(r"^Private Sub Rule(\d+)\(", src, re.M)}
    assert not rule_cases(sources()["PerfbookCheck"]) & set(named.values())   # no rule written by hand in VBA
    all_rules = {r.id for r in R.rules()}
    assert vba_rules <= all_rules
    python_only = all_rules - vba_rules
    doc = (ROOT / "README.md").read_text("utf-8")
    section = doc.split("<!-- python-only -->")[1].split("<!-- /python-only -->")[0]
    listed = set(re.findall(r"`([a-z0-9-]+)`", section))
    assert listed == python_only


def test_sources_avoid_what_libreoffice_basic_cannot_compile():
    """Two VBA forms LibreOffice refuses, found the hard way: a one-line If…Else calling subs, and a
    function declared to return a typed array. One bad line stops every module of the project."""
    for name, src in sources().items():
        for i, line in enumerate(src.split("\r\n"), start=1):
            code = line.split("'")[0] if not line.strip().startswith("'") else ""
            assert not re.search(r"\bThen\b.+\bElse\b", code), f"{name}:{i}: one-line If…Else"
            assert not re.search(r"\bFunction\b.*\)\s+As\s+\w+\(\)", code), f"{name}:{i}: typed array result"
            m = re.search(r"\bFor Each (\w+) In\b", code)
            if m:
                assert re.search(rf"\b{m.group(1)} As Variant\b", src), f"{name}:{i}: For Each needs a Variant"


def test_ribbon_callbacks_exist():
    src = sources()["PerfbookRibbon"]
    for name in ("customUI14.xml", "customUI.xml"):
        xml = (vba.macros_dir() / name).read_text("utf-8")
        assert 'label="绩效目标"' in xml and "校验" in xml and "清除标记" in xml and "新增指标行" in xml
        for cb in re.findall(r'(?:onAction|getVisible)="([^"]+)"', xml):
            module, proc = cb.split(".")
            assert module == "PerfbookRibbon"
            assert re.search(rf"^Public Sub {proc}\(", src, re.M), cb


# --- the binary --------------------------------------------------------------------------------------

@pytest.mark.parametrize("data", [b"", b"a", b"abc" * 2000, bytes(range(256)) * 40, b"x" * 4096, b"y" * 4097,
                                  bytes(random.Random(7).randrange(256) for _ in range(9000))])
def test_ovba_compression_round_trips(data):
    from oletools.olevba import decompress_stream
    packed = vba.ovba_compress(data)
    assert packed[0] == 1
    assert bytes(decompress_stream(bytearray(packed))) == data


def test_olevba_reads_back_exactly_the_sources():
    mods = vba.project_modules(("Sheet1", "Sheet2"), "yunnan-2022")
    data = vba.build_project(mods)
    got = vba.extract_sources(data)
    assert list(got) == [m.name for m in mods]
    for m in mods:
        assert got[m.name] == m.source, m.name


def test_project_bytes_are_reproducible():
    mods = vba.project_modules(("Sheet1",), None)
    assert vba.build_project(mods) == vba.build_project(mods)


def test_unknown_project_is_never_rewritten():
    assert vba.with_document_modules(b"not a project of ours", ("Sheet9",)) is None


# --- in a workbook -----------------------------------------------------------------------------------

def _parts(path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


def _check_macro_package(path, main_ct=vba.XLSM_MAIN_CT):
    assert problems(path) == []
    parts = _parts(path)
    assert list(parts)[0] == "[Content_Types].xml"
    from defusedxml import ElementTree as ET
    ct = ET.fromstring(parts["[Content_Types].xml"])
    overrides = {e.get("PartName"): e.get("ContentType") for e in ct if e.tag == CT_NS + "Override"}
    assert overrides["/xl/workbook.xml"] == main_ct
    assert overrides["/xl/vbaProject.bin"] == vba.VBA_CT
    wb_rels = parts["xl/_rels/workbook.xml.rels"].decode()
    assert re.search(rf'Type="{re.escape(vba.VBA_REL)}" Target="vbaProject.bin"', wb_rels)
    root = parts["_rels/.rels"].decode()
    assert f'Type="{vba.UI14_REL}" Target="customUI/customUI14.xml"' in root
    assert f'Type="{vba.UI12_REL}" Target="customUI/customUI.xml"' in root
    assert parts[vba.UI14_PART] == vba.ribbon_xml(14)
    # every sheet's codeName is its own and names a document module of the project
    wb = parts["xl/workbook.xml"].decode()
    assert re.search(r'<workbookPr\b[^>]*codeName="ThisWorkbook"', wb)
    rels = dict(re.findall(r'Id="([^"]+)"[^>]*Target="([^"]+)"', wb_rels)) | {
        a: b for b, a in re.findall(r'Target="([^"]+)"[^>]*Id="([^"]+)"', wb_rels)}
    codenames = []
    for rid in re.findall(r'<sheet\b[^>]*r:id="([^"]+)"', wb):
        xml = parts["xl/" + rels[rid]].decode()
        codenames.append(vba.sheet_codename(xml))
    assert all(codenames) and len(set(c.lower() for c in codenames)) == len(codenames)
    modules = vba.extract_sources(parts["xl/vbaProject.bin"])
    docs = {n for n, src in modules.items() if "VB_Base" in src}
    assert docs == {"ThisWorkbook", *codenames}
    assert {"PerfbookUtil", "PerfbookRules", "PerfbookCheck", "PerfbookRibbon"} <= set(modules)
    return parts, codenames


def test_fill_with_macros_writes_a_valid_xlsm(tmp_path):
    out = perfbook.fill(EXAMPLES / "seed-001.yaml", tmp_path / "one.xlsx", macros=True)
    assert out.suffix == ".xlsm"
    _parts_, codenames = _check_macro_package(out)
    assert codenames[:2] == ["Sheet1", "Sheet2"]


def test_sheet_copies_get_their_own_codenames_and_modules(tmp_path):
    a = yaml.safe_load((EXAMPLES / "seed-000.yaml").read_text(encoding="utf-8"))
    b = yaml.safe_load((EXAMPLES / "seed-001.yaml").read_text(encoding="utf-8"))
    out = perfbook.fill([a, b, a], tmp_path / "three.xlsm", macros=True)
    _parts_, codenames = _check_macro_package(out)
    assert len(codenames) == 7                                      # 3 × (表, 概况) + the hidden lists sheet
    assert codenames[2:6] == ["Sheet1_3", "Sheet2_4", "Sheet1_5", "Sheet2_6"]


def test_macro_workbooks_are_reproducible(tmp_path):
    one = perfbook.fill(EXAMPLES / "seed-001.yaml", tmp_path / "a.xlsm", macros=True).read_bytes()
    two = perfbook.fill(EXAMPLES / "seed-001.yaml", tmp_path / "b.xlsm", macros=True).read_bytes()
    assert one == two


def test_cli_new_and_fill_with_macros(tmp_path, capsys):
    assert main(["new", str(tmp_path / "blank.xlsx"), "--macros"]) == 0
    assert main(["fill", str(EXAMPLES / "seed-000.yaml"), "-o", str(tmp_path / "f.xlsx"), "--macros",
                 "--frame", "classic"]) == 0
    for name in ("blank.xlsm", "f.xlsm"):
        _check_macro_package(tmp_path / name)
    got = vba.extract_sources(_parts(tmp_path / "f.xlsm")["xl/vbaProject.bin"])
    assert 'Public Const DEFAULT_FRAME As String = "classic"' in got["PerfbookRules"]


def test_macros_go_into_a_workbook_perfbook_did_not_make(tmp_path):
    src = sorted(need_shared(SAMPLES).glob("songgang-*.xlsx"))[0]
    out = vba.embed_workbook(src, tmp_path / "sg.xlsx")
    assert out.suffix == ".xlsm"
    _check_macro_package(out)
