"""Issue 14: every budget-system export in ../shared/samples/budget-system read exactly, field by field.

Each sample has a .truth.json written independently of perfbook (its README says how to compare);
this test applies that comparison to perfbook.read on the .xls and on LibreOffice's .xlsx of it.
Goal: >= 98 % of the annual indicators exact on every file, >= 95 % of the header fields, and a
file with any wrong value must carry a note saying what the reader did not understand.
"""
from __future__ import annotations

import json
import re

import pytest

import perfbook
from tests.conftest import SHARED, need_shared

BUDGET = need_shared(SHARED / "samples" / "budget-system")
FILES = sorted(p.name for p in BUDGET.glob("*.xls"))

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


# --- never silently wrong: what the reader does not understand, it says (and --strict refuses) -------

def spreadsheetml(path, rows: list[list], merges: dict | None = None, formulas: dict | None = None):
    """A minimal SpreadsheetML 2003 workbook like the budget system's (rows of strings/numbers;
    merges {(r, c): (down, across)}; formulas {(r, c): '=SUM(...)'}, written with no value)."""
    from xml.sax.saxutils import escape
    merges, formulas = merges or {}, formulas or {}
    out = ['<?xml version="1.0"?>\n<?mso-application progid="Excel.Sheet"?>\n'
           '<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" '
           'xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet"><Worksheet ss:Name="Sheet1"><Table>']
    for r, row in enumerate(rows, start=1):
        out.append(f'<Row ss:Index="{r}">')
        for c, v in enumerate(row, start=1):
            if v is None and (r, c) not in formulas:
                continue
            down, across = merges.get((r, c), (0, 0))
            attrs = f' ss:Index="{c}"' + (f' ss:MergeDown="{down}"' if down else "") + (f' ss:MergeAcross="{across}"' if across else "")
            if (r, c) in formulas:
                out.append(f'<Cell{attrs} ss:Formula="{formulas[(r, c)]}"><Data ss:Type="Number"></Data></Cell>')
            else:
                kind = "Number" if isinstance(v, (int, float)) else "String"
                out.append(f'<Cell{attrs}><Data ss:Type="{kind}">{escape(str(v))}</Data></Cell>')
        out.append("</Row>")
    out.append("</Table></Worksheet></Workbook>")
    path.write_text("".join(out), encoding="utf-8")
    return path


HEAD = [["项目支出绩效目标表"], ["项目名称", "测试项目"]]


def test_unfamiliar_sub_header_under_value_read_by_position_with_a_note(tmp_path):
    rows = HEAD + [["一级指标", "二级指标", "三级指标", "指标值", None, None],
                   [None, None, None, "*符号", "*目标数值", "计量单位"],
                   ["产出指标", "数量指标", "养护里程", "≥", "1000", "公里"]]
    merges = {(3, 1): (1, 0), (3, 2): (1, 0), (3, 3): (1, 0), (3, 4): (0, 2)}
    book = perfbook.read(spreadsheetml(tmp_path / "sub.xls", rows, merges))
    ind = book.projects[0].indicators[0]
    assert (ind.sign, ind.value, ind.unit) == ("≥", 1000, "公里")
    note = next(n for n in book.notes if n.kind == "layout")
    assert "目标数值" in note.zh and note.where() == "Sheet1!E4"
    with pytest.raises(perfbook.PerfbookError, match="strict"):
        perfbook.read(tmp_path / "sub.xls", strict=True)


def test_two_value_columns_it_cannot_tell_apart_are_noted_not_guessed(tmp_path):
    rows = HEAD + [["一级指标", "二级指标", "三级指标", "指标值", None],
                   [None, None, None, "甲值", "乙值"],
                   ["产出指标", "数量指标", "养护里程", "1000", "1100"]]
    merges = {(3, 1): (1, 0), (3, 2): (1, 0), (3, 3): (1, 0), (3, 4): (0, 1)}
    book = perfbook.read(spreadsheetml(tmp_path / "two.xls", rows, merges))
    ind = book.projects[0].indicators[0]
    assert ind.value is None and dict(ind.extra) == {"甲值": "1000", "乙值": "1100"}
    assert [n.where() for n in book.notes if n.kind == "layout"][:2] == ["Sheet1!D4", "Sheet1!E4"]


def test_side_by_side_without_labels_is_read_by_convention_with_a_note(tmp_path):
    rows = HEAD + [["一级指标", "二级指标", "三级指标", "指标值", "二级指标", "三级指标", "指标值"],
                   ["产出指标", "数量指标", "养护里程", "≥3000公里", "数量指标", "养护里程", "≥1000公里"]]
    book = perfbook.read(spreadsheetml(tmp_path / "sbs.xls", rows))
    p = book.projects[0]
    assert (p.indicators[0].value, p.midterm[0].value) == (1000, 3000)
    assert any(n.kind == "layout" and "中期" in n.zh for n in book.notes)


def test_sum_without_a_value_is_computed_and_one_that_cannot_be_is_noted(tmp_path):
    rows = HEAD + [["年度资金总额", None], ["财政拨款", 1200], ["其他资金", 80], ["测算依据", None],
                   ["一级指标", "二级指标", "三级指标", "指标值"], ["产出指标", "数量指标", "养护里程", "≥1000公里"]]
    formulas = {(3, 2): "=SUM(R[1]C:R[2]C)", (6, 2): "=VLOOKUP(R1C1,R2C2,1)"}
    book = perfbook.read(spreadsheetml(tmp_path / "sum.xls", rows, formulas=formulas))
    assert book.projects[0].funds_total == 1280
    note = next(n for n in book.notes if n.kind == "formula")
    assert note.where() == "Sheet1!B6" and "VLOOKUP" in note.zh


def test_word_2003_export_refused_saying_it_is_a_word_document(tmp_path):
    doc = tmp_path / "target.xls"
    doc.write_text('<?xml version="1.0" encoding="UTF-8"?>\n<?mso-application progid="Word.Document"?>\n'
                   '<w:wordDocument xmlns:w="http://schemas.microsoft.com/office/word/2003/wordml"><w:body/>'
                   '</w:wordDocument>', encoding="utf-8")
    with pytest.raises(perfbook.PerfbookError) as e:
        perfbook.read(doc)
    assert "Word 文档" in e.value.zh and "导出 Excel" in e.value.zh and "target.xls" in str(e.value)


# --- department tables: their own kind, check and summary sheet ---------------------------------------

DEPT = [n for n in FILES if truth(n)["kind"] == "dept target"] if FILES else []


@pytest.mark.parametrize("name", DEPT)
def test_department_table_is_its_own_kind_checked_without_project_fields(name):
    from perfbook.rules.check import check
    book = perfbook.read(BUDGET / name)
    assert not book.projects and len(book.departments) == 1
    report = check(book)
    assert not [f for f in report.findings if "项目名称" in f.message or "实施单位" in f.message]


def test_department_tasks_read_as_rows():
    d = perfbook.read(BUDGET / "hfbmjxmbsbb.xls").departments[0]
    assert [(t.name, t.content, t.amount) for t in d.tasks[:2]] == [
        ("公路建设", "推进农村公路新改建和普通国省道大中修", "180000.00"), ("运输服务", "保障城乡客运和物流服务", "40000.00")]


def test_collect_puts_departments_on_their_own_sheet(tmp_path):
    import openpyxl

    from perfbook.batch.collect import collect
    src = tmp_path / "in"
    src.mkdir()
    for n in ("nxbmjxmbsbb.xls", "nxxmjxmbsbb.xls"):
        (src / n).write_bytes((BUDGET / n).read_bytes())
    collect(src, tmp_path / "sum.xlsx", validate=False)
    wb = openpyxl.load_workbook(tmp_path / "sum.xlsx")
    dept = [[c.value for c in r] for r in wb["部门"].iter_rows(min_row=2)]
    assert [(r[0], r[3]) for r in dept] == [("nxbmjxmbsbb.xls", "省交通运输厅")]
    assert [r[0] for r in wb["项目"].iter_rows(min_row=2, values_only=True)] == ["nxxmjxmbsbb.xls"]


def test_history_and_before_adjustment_values_kept_as_their_own_fields():
    hubei = perfbook.read(BUDGET / "hubeixmjxsbb.xls").projects[0].indicators[0]
    assert (hubei.value, hubei.get("前年指标值"), hubei.get("上年指标值")) == (1000, "≥800公里", "≥900公里")
    adj = perfbook.read(BUDGET / "ahxmmbtzb.xls").projects[0].indicators[0]
    assert (adj.value, adj.get("调整前指标值")) == (1100, "≥1000公里")
    hb = perfbook.read(BUDGET / "hbproadjtotalgoalandindex.xls").projects[0].indicators[0]
    assert (hb.sign, hb.value, hb.unit, hb.get("调整前指标值")) == ("≥", 1100, "公里", "1000")
