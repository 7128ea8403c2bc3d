"""Issue 4: the ten real 深圳宝安 workbooks read completely and match their reviewed expected files.

tests/expected/shenzhen/*.json were generated once by tests/expected/make_shenzhen.py and then
checked against the raw cells (every 一级/二级/三级/目标值/指标解释 cell and the header fields of all
195 sheets compared by a script reading the grid directly, plus projects read by eye). Decisions they
encode: 不适用 rows are KEPT (marked 是否适用: 否, no 指标性质); pre-printed 二级 rows left empty give no
indicator; a split value keeps its typed text as 原始指标值; 项目编码 is always text.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

import perfbook
from perfbook._values import clean_text
from perfbook.readers.formats import open_source

EXPECTED = Path(__file__).resolve().parent / "expected" / "shenzhen"
NAMES = [f"songgang-{i:02d}" for i in range(10)]


@pytest.fixture(scope="module")
def books(samples):
    return {n: perfbook.read(samples / f"{n}.xlsx") for n in NAMES}


def expected(name: str) -> dict:
    return json.loads((EXPECTED / f"{name}.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", NAMES)
def test_sample_matches_expected_indicator_by_indicator(books, name):
    book, exp = books[name], expected(name)
    assert book.format == exp["format"] == "xlsx"
    assert len(book.projects) == len(exp["projects"])
    for got, want in zip(book.projects, exp["projects"]):
        want = dict(want)
        assert got.sheets == (want.pop("sheet"),)
        want_inds = want.pop("指标", [])
        d = got.to_dict()
        got_inds = d.pop("指标", [])
        assert d == want, got.sheets
        assert len(got_inds) == len(want_inds), got.sheets
        for i, (g, w) in enumerate(zip(got_inds, want_inds)):
            assert g == w, (got.sheets[0], i)
    assert [[n.kind, n.sheet, n.cell] for n in book.notes] == exp["notes"]


def test_every_sheet_is_a_project_with_a_text_code(books):
    projects = [p for b in books.values() for p in b.projects]
    assert len(projects) == 195
    assert sum(len(p.indicators) for p in projects) == 1826
    for p in projects:
        assert isinstance(p.code, str) and len(p.code) == 21 and p.code.isdigit(), (p.sheets, p.code)
        assert "e+" not in p.code.lower()
        assert p.name and p.implementer and p.department


def test_the_code_stored_as_a_float_is_read_as_excel_shows_it_and_noted(books):
    b = books["songgang-00"]
    assert b.projects[0].code == "440306231391500000000"
    note = [n for n in b.notes if n.kind == "code-as-number"]
    assert [(n.sheet, n.cell) for n in note] == [(b.projects[0].sheets[0], "B2")]
    assert "4.4030623139149998E+20" in note[0].zh and "15" in note[0].en


def test_nothing_in_the_samples_is_unmapped(books):
    assert all(b.unmapped == () for b in books.values())


def test_indicators_agree_with_the_raw_cells(samples, books):
    """An independent check of the expected files: every indicator row's five cells, as typed."""
    for name in NAMES:
        grids = open_source(samples / f"{name}.xlsx").grids
        for g, p in zip(grids, books[name].projects):
            rows = [r for r in range(12, g.height + 1)
                    if not str(g.value(r, 1) or "").startswith("备注") and any(g.value(r, c) for c in (3, 4, 5))]
            assert len(rows) == len(p.indicators)
            for r, ind in zip(rows, p.indicators):
                raw = [clean_text(g.value(r, c), multiline=c == 5) for c in range(1, 6)]
                got = [ind.level1, ind.level2, ind.name, ind.get("原始指标值", ind.value), ind.content]
                assert [str(x) if x is not None else None for x in got] == [str(x) if x is not None else None for x in raw]
                assert ind.cell("一级指标") == f"{g.name}!A{r}"


def test_values_are_split_as_typed(books):
    inds = {(i.get("原始指标值") or i.value): i for b in books.values() for p in b.projects for i in p.indicators}
    cases = {"≥90%": ("≥", 90, "%"), "不超过42.3744万元": ("≤", 42.3744, "万元"), "90%以上": ("≥", 90, "%"),
             "达到95%以上": ("≥", 95, "%"), "≧90%": ("≥", 90, "%"), "》90%": ("＞", 90, "%"), "100%": ("＝", 100, "%"),
             "3个小时内": ("≤", 3, "个小时"), "1栋": ("＝", 1, "栋"), "明显": ("定性", "明显", None),
             "得到提升": ("定性", "得到提升", None), "11月底前": (None, "11月底前", None)}
    for typed, (sign, value, unit) in cases.items():
        i = inds[typed]
        assert (i.sign, i.value, i.unit) == (sign, value, unit), typed
    na = inds["不适用"]
    assert na.sign is None and na.get("是否适用") == "否" and na.name == "不适用"


def test_reading_never_modifies_the_input(samples, tmp_path):
    for name in NAMES[:3]:
        f = samples / f"{name}.xlsx"
        before = hashlib.sha256(f.read_bytes()).hexdigest()
        perfbook.read(f)
        assert hashlib.sha256(f.read_bytes()).hexdigest() == before
