"""Issue 14: every budget-system export in ../shared/samples/budget-system read exactly, field by field.

Each sample has a .truth.json written independently of perfbook (its README says how to compare);
this test applies that comparison to perfbook.read on the .xls and on LibreOffice's .xlsx of it.
Goal: >= 98 % of the annual indicators exact on every file, >= 95 % of the header fields, and a
file with any wrong value must carry a note saying what the reader did not understand.
"""
from __future__ import annotations

import json
import os
import re

import pytest

import perfbook
from tests.conftest import SHARED

BUDGET = SHARED / "samples" / "budget-system"
FILES = sorted(p.name for p in BUDGET.glob("*.xls")) if BUDGET.exists() else []

pytestmark = pytest.mark.skipif(not FILES and not os.environ.get("CI"),
                                reason="../shared/samples/budget-system is absent")

SIX = ("一级指标", "二级指标", "三级指标", "指标性质", "指标值", "度量单位")
# the truth's names for the department fields -> the department model's labels
DEPT_LABELS = {"主管部门": "部门名称", "年度目标": "年度总体目标", "总体目标": "长期目标"}
SIGNS = {">=": "≥", "<=": "≤", "=": "＝", ">": "＞", "<": "＜"}


def truth(name: str) -> dict:
    return json.loads((BUDGET / name.replace(".xls", ".truth.json")).read_text("utf-8"))


@pytest.fixture(scope="session")
def xlsx(soffice, tmp_path_factory) -> dict:
    """LibreOffice's .xlsx of every sample: one soffice run for all of them."""
    out = soffice.convert_all([BUDGET / f for f in FILES], tmp_path_factory.mktemp("budget-xlsx"))
    return {src.name: dst for src, dst in out.items()}


# --- the README's comparison --------------------------------------------------------------------

def norm(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    s = re.sub(r"\s+", "", str(v))
    return SIGNS.get(s, s)


def number(s: str):
    try:
        return float(s.replace(",", ""))
    except ValueError:
        return None


def same(got, want: str, *, as_text: bool = False) -> bool:
    g, w = norm(got), norm(want)
    if g == w:
        return True
    if as_text:
        return False
    gn, wn = number(g), number(w)
    return gn is not None and wn is not None and gn == wn


def records(book) -> list[dict]:
    """What the reader returned, as {header: {truth field: value}, annual: [...], mid: [...]}."""
    out = []
    for p in book.projects:
        d = {k: v for k, v in p.to_dict().items() if not isinstance(v, list)}
        out.append({"header": d, "annual": list(p.indicators), "mid": list(getattr(p, "midterm", ()))})
    for dep in getattr(book, "departments", ()):
        d = {k: v for k, v in dep.to_dict().items() if not isinstance(v, list)}
        for truth_label, label in DEPT_LABELS.items():
            if d.get(label) is not None:
                d[truth_label] = d[label]
        out.append({"header": d, "annual": list(dep.indicators), "mid": list(getattr(dep, "midterm", ()))})
    return out


def ind_fields(ind) -> dict:
    return {k: ind.get(k) for k in SIX}


def score_set(expected: list[dict], got: list) -> list[tuple[dict, dict | None, list[str]]]:
    """(expected, returned, wrong fields) per expected indicator, matched by 三级 name, else position."""
    rows = [ind_fields(i) for i in got]
    by_name = {norm(r["三级指标"]): r for r in rows}
    out = []
    for pos, e in enumerate(expected):
        r = by_name.get(norm(e["三级指标"]))
        if r is None and pos < len(rows) and norm(rows[pos]["二级指标"]) == norm(e["二级指标"]):
            r = rows[pos]
        if r is None:
            out.append((e, None, list(SIX)))
            continue
        wrong = [k for k in SIX if not same(r[k], e[k], as_text=k != "指标值")]
        out.append((e, r, wrong))
    return out


def measure(path, t: dict) -> dict:
    book = perfbook.read(path)
    recs = records(book)
    header_ok, header_wrong = 0, []
    for fld, accepted in t["header_expected"].items():
        got = next((r["header"][fld] for r in recs if r["header"].get(fld) not in (None, "")), None)
        if any(same(got, a, as_text=fld == "项目编码") for a in accepted):
            header_ok += 1
        else:
            header_wrong.append((fld, got))
    annual = [i for r in recs for i in r["annual"]]
    mid = [i for r in recs for i in r["mid"]]
    a = score_set(t["indicators_expected"], annual)
    m = score_set(t["midterm_expected"], mid) if t["midterm_expected"] else []
    return {
        "book": book,
        "header": (header_ok, len(t["header_expected"])), "header_wrong": header_wrong,
        "annual": (sum(1 for _, _, w in a if not w), len(a)), "annual_wrong": [(e["三级指标"], r, w) for e, r, w in a if w],
        "extra_annual": len(annual) - len(t["indicators_expected"]),
        "mid": (sum(1 for _, _, w in m if not w), len(m)),
        "mid_as_annual": sum(1 for e in t["midterm_expected"] for r in map(ind_fields, annual)
                             if norm(r["三级指标"]) == norm(e["三级指标"]) and same(r["指标值"], e["指标值"])
                             and not any(norm(x["三级指标"]) == norm(e["三级指标"]) and same(x["指标值"], e["指标值"])
                                         for x in t["indicators_expected"])),
    }


def layout_notes(book) -> list:
    """Notes saying the reader met something it did not understand (not the plain 'unmapped cell')."""
    return [n for n in book.notes if n.kind not in ("unmapped", "hidden-sheet")]


def pct(ok_total) -> float:
    ok, total = ok_total
    return 100.0 if total == 0 else 100.0 * ok / total


# --- the tests ------------------------------------------------------------------------------------

def check_file(path, name: str) -> None:
    t = truth(name)
    got = measure(path, t)
    book = got["book"]
    wrong = got["annual_wrong"] or got["header_wrong"] or got["extra_annual"] > 0 or got["mid_as_annual"]
    if wrong:
        # never silently wrong: whatever is off, the reader must have said something about the layout
        assert layout_notes(book), (name, got["annual_wrong"][:3], got["header_wrong"], got["extra_annual"])
    assert pct(got["annual"]) >= 98, (name, got["annual"], got["annual_wrong"][:5])
    assert pct(got["header"]) >= 95, (name, got["header"], got["header_wrong"])
    assert got["extra_annual"] == 0, (name, "rows read as indicators that are none", got["extra_annual"])
    assert got["mid_as_annual"] == 0, (name, "中期/长期 values read as annual")
    if t["midterm_expected"]:
        assert pct(got["mid"]) >= 98, (name, "中期/长期 set", got["mid"])


@pytest.mark.parametrize("name", FILES)
def test_xls_reads_as_the_truth_says(name):
    check_file(BUDGET / name, name)


@pytest.mark.parametrize("name", FILES)
def test_libreoffice_xlsx_reads_as_the_truth_says(name, xlsx):
    check_file(xlsx[name], name)


def report(paths: dict) -> str:
    """The measurement table (run with -s to see it): per file and format, exact-match percentages."""
    lines = [f"{'file':38} {'fmt':5} {'annual':>8} {'header':>8} {'mid':>8} extra mid→annual"]
    totals = {"annual": [0, 0], "header": [0, 0]}
    for name, fmt, path in paths:
        g = measure(path, truth(name))
        for k in totals:
            totals[k][0] += g[k][0]
            totals[k][1] += g[k][1]
        lines.append(f"{name:38} {fmt:5} {pct(g['annual']):7.1f}% {pct(g['header']):7.1f}% {pct(g['mid']):7.1f}% "
                     f"{g['extra_annual']:5} {g['mid_as_annual']:5}")
    lines.append(f"{'TOTAL':44} {pct(totals['annual']):7.1f}% {pct(totals['header']):7.1f}%")
    return "\n".join(lines)


def test_measurement_table(xlsx):
    paths = [(n, "xls", BUDGET / n) for n in FILES] + [(n, "xlsx", xlsx[n]) for n in FILES]
    print("\n" + report(paths))


if __name__ == "__main__":   # python -m tests.test_budget_system [xlsx-dir]: the table without pytest
    import sys
    from pathlib import Path
    paths = [(n, "xls", BUDGET / n) for n in FILES]
    if len(sys.argv) > 1:
        paths += [(n, "xlsx", Path(sys.argv[1]) / n.replace(".xls", ".xlsx")) for n in FILES]
    print(report(paths))
