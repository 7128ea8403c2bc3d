"""Issue 18 item 4: the renderer fills byte slots instead of rendering jinja2 templates, and keeps what is
the same in every workbook of a shape (a sheet's fixed text per s, the indicator rows' per row count, a
row's height attribute per line count). What is checked: the slots write exactly what the jinja2
templates they replaced wrote, what is kept never leaks from one workbook into the next, and the fast
paths beside it (one-line text, a record's dict, the first part's content type) agree with the long way.
"""
from __future__ import annotations

import io
import math
import random
import zipfile

import jinja2
import openpyxl
import pytest

from perfbook.model import Project
from perfbook.ooxml._package import _first_content_types, build_zip, deflate, fit_extension
from perfbook.write import _layout
from perfbook.write._inputs import load
from perfbook.write._render import MARK, Compiled, _record_dict, split_marks
from perfbook.write._template import Template, default_template_path
from perfbook.write.fill import compiled, meta_for, prepare
from tests.conftest import EXAMPLES

_ENV = jinja2.Environment(autoescape=False, keep_trailing_newline=True, undefined=jinja2.StrictUndefined)


def to_jinja(text: str) -> str:
    """What the renderer compiled a sheet into before (perfbook 0.x): its marks as jinja2 expressions."""
    out, pos = [], 0
    for m in MARK.finditer(text):
        if text[pos:m.start()]:
            out.append("{% raw %}" + text[pos:m.start()] + "{% endraw %}")
        out.append(f"{{{{ {m.group(1)} + s }}}}" if m.group(1) else f"{{{{ {m.group(2)} }}}}")
        pos = m.end()
    if text[pos:]:
        out.append("{% raw %}" + text[pos:] + "{% endraw %}")
    return "".join(out)


def joined(cs, s: int, ctx: dict) -> str:
    """The sheet's frame for s with each slot's text put at its place (as CompiledSheet.render puts it)."""
    frame, _cells = cs._frame(s)
    out = frame[:]
    for name, at in cs._pos.items():
        out[at] = ctx[name].encode("utf-8")
    return b"".join(out).decode("utf-8")


def projects(n: int, rows: int, seed: int = 1) -> list[Project]:
    rnd = random.Random(seed)
    words = ["产出指标", "效益指标", "满意度指标", "数量指标", "质量指标", "社会效益指标", "≥", "＝", "个", "%",
             "按时完成&<核查>", "x_x000D_y", "多行\n文字", "很长的指标内容" * 9, 12, 3.5, ""]
    out = []
    for k in range(n):
        inds = [{"一级指标": rnd.choice(words[:3]), "二级指标": rnd.choice(words[3:6]), "三级指标": f"指标{k}-{i}",
                 "指标性质": rnd.choice(words[6:8]), "指标值": rnd.choice(words[13:16]), "度量单位": rnd.choice(words[8:10]),
                 "指标内容": rnd.choice(words[10:14])} for i in range(rnd.randint(0, rows))]
        out.append(Project.from_dict({"项目名称": f"项目{k}", "预算年度": 2026, "年度目标": rnd.choice(words[10:14]),
                                      "指标": inds}))
    return out


@pytest.fixture(scope="module")
def rich(tmp_path_factory):
    """The default template with a bureau's per-row formula, a total under the table, a formula naming
    another sheet and line breaks written \\r\\n and \\r between elements."""
    path = tmp_path_factory.mktemp("tpl") / "rich.xlsx"
    wb = openpyxl.load_workbook(default_template_path())
    ws = wb["绩效目标表"]
    ws["K10"] = "=IF(ISNUMBER(E10),1,0)"
    ws["K12"] = "=SUM(K10:K10)"
    ws["L10"] = "=项目概况!B2&E10"
    wb.save(path)
    # Excel never writes a bare line break between elements, another tool may: \r\n in the sheets' heads
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    for n in parts:
        if n.startswith("xl/worksheets/sheet"):
            parts[n] = parts[n].replace(b"<sheetFormatPr", b"\r\n<sheetFormatPr\r")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for n, b in parts.items():
            z.writestr(n, b)
    return path


@pytest.mark.parametrize("which", ["default", "rich"])
def test_the_slots_write_what_the_jinja2_templates_wrote(which, rich):
    t = Template.load(None if which == "default" else rich)
    c = Compiled(prepare(t, None, False))
    assert which == "default" or all("\r" in cs.source for cs in c.sheets if cs.sheet.part != "xl/worksheets/sheet3.xml")
    for cs in c.sheets:
        reference = _ENV.from_string(to_jinja(cs.source))
        names = {m.group(2) for m in MARK.finditer(cs.source) if m.group(2)}
        for s in (0, 1, 7, 30):
            ctx = {name: f"<v{i}\r\n>" for i, name in enumerate(sorted(names))}
            assert joined(cs, s, ctx) == reference.render(s=s, **ctx)


def test_what_is_kept_per_shape_never_leaks_into_the_next_workbook():
    """One compiled template writing workbooks of many shapes in turn writes each as a fresh one would."""
    ps = projects(12, rows=14)
    meta = meta_for(None, None)
    kept = compiled()
    shapes = [[p] for p in ps] + [ps[:3], ps[3:8], [ps[0], ps[0]], [Project()]]
    for blank in (0, 2):
        for group in shapes + shapes[::-1]:
            fresh = Compiled(kept.template)
            assert kept.render(group, blank_rows=blank, meta=meta) == fresh.render(group, blank_rows=blank, meta=meta)


def test_workbooks_of_one_shape_but_other_data_are_each_their_own():
    """What is kept per shape (the plan, the renames, workbook.xml, the parts deflated once) is keyed by
    the shape alone: projects of the same names and indicator counts but other data get their own bytes."""
    def group(words: list[str]) -> list[Project]:
        return [Project.from_dict({"项目名称": f"项目{k}", "年度目标": words[k], "指标": [
            {"一级指标": "产出指标", "二级指标": words[(k + i) % 3], "三级指标": f"{words[i % 3]}{i}", "指标值": i}
            for i in range(3 + 4 * k)]}) for k in range(2)]
    a, b = group(["数量指标", "质量指标", "时效指标"]), group(["甲&<乙>", "很长的指标内容" * 9, "多行\n文字"])
    meta = meta_for(None, None)
    kept = compiled()
    for group in ([a[0]], [b[0]], a, b, [a[1], b[0]], a[::-1]):
        fresh = Compiled(kept.template).render(group, meta=meta)
        assert kept.render(group, meta=meta) == fresh
        assert kept.render(group, meta=meta, names=["甲", "乙"][:len(group)]) == \
            Compiled(kept.template).render(group, meta=meta, names=["甲", "乙"][:len(group)])
    assert kept.render([a[0]], meta=meta) != kept.render([b[0]], meta=meta)
    # the workbook-level parts are copied already deflated, and listed so (bench/run.py's floor copies them too)
    data = kept.render(a, meta=meta)
    cached = {(e.name.decode(), e.crc, e.size) for e in kept.cached_entries()}
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for name in ("[Content_Types].xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "docProps/app.xml",
                     "_rels/.rels", "docProps/custom.xml"):
            info = z.getinfo(name)
            assert (name, info.CRC, info.file_size) in cached, name


def test_the_seeds_render_the_same_through_a_fresh_and_a_used_compiled_template():
    seeds = load(EXAMPLES / "seed-000.yaml") + load(EXAMPLES / "seed-001.yaml")
    c = compiled()
    for p in projects(6, rows=30, seed=3):
        c.render([p])
    assert c.render(seeds) == Compiled(c.template).render(seeds)


def _lines_long_way(text, width: float) -> int:
    """_layout.lines_needed before its one-line shortcut: every part measured."""
    if text is None or text == "":
        return 1
    usable = max(width - 0.8, 1.0)
    return sum(max(1, math.ceil(_layout.text_units(part) / usable)) for part in str(text).split("\n"))


def test_lines_needed_shortcut_agrees_with_measuring_every_text():
    rnd = random.Random(7)
    alphabet = "中文字符测算“”（）—…，。abcXYZ0123 ①％\n\u3000"
    for _ in range(4000):
        text = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 60)))
        width = rnd.choice([1.0, 1.5, 2.6, 8.43, 10, 13, 16, 22, 24, 30, 48.5])
        assert _layout.lines_needed(text, width) == _lines_long_way(text, width), (text, width)
    for v in (12, 3.5, 10 ** 12, None, ""):
        assert _layout.lines_needed(v, 3) == _lines_long_way(v, 3)


def test_wide_characters_are_counted_as_one_by_one():
    import unicodedata
    for text in ("中文ab", "“引号”与（括号）", "😀表情", "\u3000\u3000年", "abc", "①②③", "𠀀𠀁 astral"):
        wide = sum(unicodedata.east_asian_width(ch) in "WF" for ch in text)
        assert _layout.text_units(text) == (1.05 * len(text) if text.isascii() else 1.8 * wide + 1.05 * (len(text) - wide))


def test_a_records_dict_is_its_to_dict():
    p = Project.from_dict({"项目名称": "p", "自定义": "x", "指标": [
        {"一级指标": "产出指标", "三级指标": "a", "指标值": 0, "备注列": "extra"}, {"三级指标": "b"}, {}]})
    for ind in p.indicators:
        got = _record_dict(ind)
        assert got == ind.to_dict() and list(got) == list(ind.to_dict())


def test_the_first_parts_content_type_is_read_from_its_local_header():
    data = compiled().render([Project()])
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert _first_content_types(data) == z.read("[Content_Types].xml").decode()
    assert fit_extension("a.xlsx", data) is data
    as_xlsm = fit_extension("a.xlsm", data)
    with zipfile.ZipFile(io.BytesIO(as_xlsm)) as z:
        assert "macroEnabled" in z.read("[Content_Types].xml").decode()
    # not first, stored rather than deflated, or cut short: the zip is read the long way
    other = build_zip([deflate("xl/workbook.xml", b"<workbook/>"), deflate("[Content_Types].xml", b"<Types/>")])
    assert _first_content_types(other) is None
    assert _first_content_types(data[:40]) is None
    assert fit_extension("a.xlsx", other) == other


def test_split_marks_cuts_at_row_and_slot_marks():
    assert split_marks('<a r="\x0012\x01">\r\n\x02merges\x03\r</a>') == (['<a r="', '">\n', "\n</a>"], [12, "merges"])
    assert split_marks("") == ([""], [])
