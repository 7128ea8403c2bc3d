"""The 校验 macros run by a real spreadsheet program: LibreOffice headless, VBA compatibility mode.

perfbook writes macro-enabled workbooks (`fill --macros`, and the Shenzhen samples with the macros put
in); one LibreOffice run opens each, runs the ribbon's commands through their Silent variants (no dialog
can block a headless run), and stores the result (or, for the many sheets of one Shenzhen sample, runs
校验 on each in turn in one open workbook and reads the results sheet back). Then, per checked sheet:
- the findings on the 校验结果 sheet are exactly `perfbook check`'s on that sheet (rule, severity, cell,
  message, fix), in the same order, and the summary line has the same counts;
- every cell a finding names is filled in its severity's colour and carries a 【校验】 comment;
- 清除标记 after 校验 leaves every sheet as it was before (values, fills, comments, the sheet list);
- 新增指标行 adds a row that keeps the group merges, the drop-downs and the helper formulas.
"""
from __future__ import annotations

import collections
import functools
import random

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

import perfbook
from perfbook.excel import _vba as vba
from perfbook.xlwings_bridge import summary, texts
from tests.conftest import EXAMPLES, SAMPLES, SEEDS, need_shared
from tests.test_check import SIX, SIX_FRAME
from tests.test_inject_lo import random_project

pytestmark = pytest.mark.libreoffice

T = texts()
FILL = {"错误": "FFC7CE", "警告": "FFEB9C", "提示": "DDEBF7"}     # PerfbookCheck.bas COLOR_* (BGR there)
S = "绩效目标表"
SHENZHEN = {"shenzhen-01": ("songgang-01", 0), "shenzhen-03": ("songgang-03", 1), "shenzhen-08": ("songgang-08", 1),
            "shenzhen-00": ("songgang-00", 3),
            # every sheet of three more samples (each sheet holds one project's indicator table): trailing
            # line breaks, combined values ("≥90%", "90%以上", "≤37万元"), 不适用 rows, blank pre-printed rows
            **{f"songgang-{n:02d}/{k}": (f"songgang-{n:02d}", k) for n, count in ((2, 20), (5, 15), (6, 20))
               for k in range(count)}}
STORED = {"shenzhen-08", "foreign-labels"}   # the sheets whose checked workbook is stored (fills and comments)
# a foreign layout made here, for what the samples do not show: its own 计算符号 / 计量单位 columns left
# empty on some rows (the value cell fills them), 空 and - cells, heading rows, merges, "100m²"
# (two workbooks: perfbook check detects the frame from the whole workbook, the macro from its sheet)
FOREIGN = {"foreign-labels": ("foreign-labels", 0), "foreign-merges": ("foreign-merges", 0)}


def foreign_workbook(path, stem):
    from tests.test_foreign import workbook
    labels = [
        ["项目支出绩效目标表"],
        ["项目名称：", "社区养老", None, "项目代码", 440306231391567800105],
        ["实施单位：", "街道", None, "主管部门：", "民政局"],
        ["年度资金总额：", 20, None, "财政拨款：", 15],
        ["年度目标：", "为辖区老人提供助餐服务"],
        ["一级指标", "二级指标", "三级指标", "计算符号", "年度指标值", "计量单位", "指标解释", "权重"],
        ["产出指标", "数量指标", "助餐人次 ", ">=", 3000, "人次", "全年", 20],
        ["产出指标", "质量指标", "餐食合格率\n", None, "100%", None, None, 10],
        ["产出指标", "质量指标", "投诉处理", None, "≥95%", "个", None, 10],
        ["产出指标", "时效指标", "送餐及时率", "≥", "95 %", None, None, 10],
        ["效益指标", "社会效益指标", "老人生活质量", None, " 得到提升\t", None, None, 10],
        ["满意度指标", "服务对象满意度指标", "老人满意度", None, "90%以上", None, None, 10],
        ["满意度指标", "服务对象满意度指标", "家属满意度", None, "不适用", None, None, 10],
        ["成本指标", "经济成本指标", "总成本", None, "不超过15万元", None, None, 10],
        ["产出指标", "数量指标", "m2面积", None, "100m²", None, None, 10],
        ["产出指标", "数量指标", "培训", "空", "3期", "-", "—", 10],
        [None, None, "工作量", None, 12, None, None, 10],
        ["效益指标", None, None, None, None, None, None, None],
        [None, "社会效益指标", "群众获得感", None, "明显", None, None, None],
        [None, "生态效益指标", "不适用", None, None, None, None, None]]
    merged = [["项目名称：", "x"], ["一级指标", "二级指标", "三级指标", "指标值"],
              ["产出指标", "数量指标", "a", "1个"], [None, None, "b", "2个\n"], [None, "质量指标", "c", "3个"],
              [None, None, "d", "4个"], ["效益指标", None, None, None], [None, "社会效益指标", "e", "明显"],
              ["满意度指标", "满意度指标", None, None]]
    if stem == "foreign-labels":
        return workbook(path, {"表": labels})
    return workbook(path, {"合并": merged}, {"合并": ["A3:A5", "B3:B4"]})


@pytest.fixture(scope="module")
def lo(tmp_path_factory, soffice):
    d = tmp_path_factory.mktemp("macros")
    books = {name: (perfbook.fill(EXAMPLES / f"{name}.yaml", d / f"{name}.xlsm", macros=True), S) for name in SEEDS}
    books["six"] = (perfbook.fill(SIX, d / "six.xlsm", frame=SIX_FRAME, macros=True), S)
    rng = random.Random(6)
    multi = perfbook.fill([random_project(rng, f"随机{i}", 30) for i in range(2)], d / "random.xlsm", macros=True)
    names = CalamineWorkbook.from_path(str(multi)).sheet_names
    books["random-1"] = (multi, names[0])
    books["random-2"] = (multi, next(n for n in names if n.startswith("2.") and "概况" not in n))
    classic = random_project(rng, "随机经典", 40)
    books["random-classic"] = (perfbook.fill(classic, d / "random-classic.xlsm", frame="classic", macros=True), S)
    # real files no one here wrote: filled sheets of the Shenzhen samples, with the macros put in (and the
    # foreign layouts made above)
    embedded, names = {}, {}
    for key, (stem, k) in {**SHENZHEN, **FOREIGN}.items():
        if stem not in embedded:
            src = foreign_workbook(d / f"{stem}.xlsx", stem) if stem in FOREIGN else need_shared(SAMPLES) / f"{stem}.xlsx"
            embedded[stem] = vba.embed_workbook(src, d / f"{stem}.xlsm")
            names[stem] = CalamineWorkbook.from_path(str(embedded[stem])).sheet_names
        books[key] = (embedded[stem], names[stem][k])
    jobs, keys = [], []
    for name, (path, sheet) in books.items():
        if name in SHENZHEN | FOREIGN and name not in STORED:
            continue
        jobs.append({"in": str(path), "activate": sheet, "macros": ["PerfbookCheck.ValidateSilent"],
                     "out": str(d / f"{name}-checked.xlsm"), "filter": "Calc MS Excel 2007 VBA XML"})
        keys.append(("checked", name))
    # the other Shenzhen and foreign sheets: one open workbook per file, 校验 on each sheet in turn, the
    # results sheet read back after each (as an official checks one sheet after another)
    for stem, path in embedded.items():
        sheets = [(key, books[key][1]) for key, (s, _k) in {**SHENZHEN, **FOREIGN}.items()
                  if s == stem and key not in STORED]
        if sheets:
            jobs.append({"in": str(path), "recalc": False, "steps": [
                {"activate": sheet, "macros": ["PerfbookCheck.ValidateSilent"], "read": [T["results_sheet"]]}
                for _key, sheet in sheets]})
            keys.append(("steps", [key for key, _s in sheets]))
    # before / after: the same workbook stored by LibreOffice untouched, and after 校验 then 清除标记
    for name in ("six", "random-1"):
        path, sheet = books[name]
        for kind, macros in (("before", []), ("cleared", ["PerfbookCheck.ValidateSilent", "PerfbookCheck.ClearMarksSilent"])):
            jobs.append({"in": str(path), "activate": sheet, "macros": macros,
                         "out": str(d / f"{name}-{kind}.xlsm"), "filter": "Calc MS Excel 2007 VBA XML"})
            keys.append((kind, name))
    # 新增指标行 under row 11 (inside the 产出指标/数量指标 group of seed 001)
    jobs.append({"in": str(books["seed-001"][0]), "activate": S,
                 "macros": [["PerfbookCheck.InsertRowBelowSilent", ["11"]], "PerfbookCheck.ValidateSilent"],
                 "out": str(d / "inserted.xlsm"), "filter": "Calc MS Excel 2007 VBA XML"})
    keys.append(("inserted", "seed-001"))
    # one LibreOffice for every sheet: the Shenzhen sheets carry many findings, each one marked by the macro
    results = soffice.run_jobs(jobs, timeout=1800)
    out = collections.defaultdict(dict)
    found = {}                  # checked name -> the rows of its 校验结果
    for key, job, res in zip(keys, jobs, results):
        assert "error" not in res, (key, res)
        if key[0] == "steps":
            for name, step in zip(key[1], res["steps"]):
                out["checked"][name] = (None, step["macros"])
                found[name] = result_rows(step["read"][T["results_sheet"]])
            continue
        out[key[0]][key[1]] = (job["out"], res.get("macros", []))
        if key[0] == "checked":
            found[key[1]] = results_sheet(job["out"])
    out["found"] = found
    return books, out


def results_sheet(path) -> list[tuple]:
    """(severity, rule, sheet, cell, message, fix) of each row of 校验结果, in order."""
    return result_rows(CalamineWorkbook.from_path(str(path)).get_sheet_by_name(T["results_sheet"]).to_python())


def result_rows(rows) -> list[tuple]:
    head = next(i for i, r in enumerate(rows) if r and r[0] == T["header_no"])
    return [tuple(str(x) for x in r[1:7]) for r in rows[head + 1:] if r and r[0] != ""]


@functools.lru_cache(maxsize=None)
def report_of(path):
    """perfbook check of a workbook, once per workbook (a Shenzhen sample serves many cases)."""
    return perfbook.check(path)


def python_side(path, sheet) -> list[tuple]:
    return [(f.severity, f.rule, f.sheet, f.cell or "", f.message, f.fix or "") for f in report_of(path).findings
            if f.sheet == sheet]


CASES = ["seed-000", "seed-001", "six", "random-1", "random-2", "random-classic", *SHENZHEN, *FOREIGN]


@pytest.mark.parametrize("name", CASES)
def test_vba_findings_equal_perfbook_check(name, lo):
    books, out = lo
    path, sheet = books[name]
    _saved, macros = out["checked"][name]
    py = python_side(path, sheet)
    assert out["found"][name] == py
    findings = [f for f in report_of(path).findings if f.sheet == sheet]
    assert macros[0]["result"] == summary(findings)
    if name.startswith("seed"):
        assert not any(f[0] == "错误" for f in py)


def test_the_mistakes_workbook_gives_the_vba_many_rules_to_agree_on(lo):
    books, out = lo
    rules = {r[1] for name in CASES for r in out["found"][name]}
    assert len(rules) >= 25, sorted(rules)


@pytest.mark.parametrize("name", ["six", "random-1", "shenzhen-08", "foreign-labels"])
def test_every_finding_cell_is_filled_and_commented(name, lo):
    """…every cell of a folded finding too (the stray spaces of one sheet are one row of 校验结果)."""
    books, out = lo
    saved, _m = out["checked"][name]
    wb = openpyxl.load_workbook(saved)
    worst: dict[tuple, str] = {}
    order = ["提示", "警告", "错误"]
    for sev, _rule, sheet, cell, _msg, _fix in results_sheet(saved):
        if cell:
            k = (sheet, cell)
            worst[k] = max(worst.get(k, sev), sev, key=order.index)
    path, sheet = books[name]
    folded = [f for f in report_of(path).findings if f.sheet == sheet and f.cells]
    assert folded or name != "foreign-labels"
    for f in folded:
        for cell in f.cells:
            top = wb[sheet][cell].coordinate
            worst[(sheet, top)] = max(worst.get((sheet, top), f.severity), f.severity, key=order.index)
    assert worst
    for (sheet, cell), sev in worst.items():
        c = wb[sheet][cell]
        # the mark starts the comment, or follows the workbook's own note, which is kept above it
        assert c.comment is not None, (sheet, cell)
        assert c.comment.text.startswith(T["comment_prefix"]) or "\n" + T["comment_prefix"] in c.comment.text, \
            (sheet, cell, c.comment.text)
        assert c.fill.fgColor.rgb[-6:] == FILL[sev], (sheet, cell, c.fill.fgColor.rgb)


def _state(path) -> dict:
    """Every visible sheet's cells: value, fill colour, comment."""
    wb = openpyxl.load_workbook(path)
    out = {"sheets": [ws.title for ws in wb.worksheets]}
    for ws in wb.worksheets:
        cells = {}
        for row in ws.iter_rows():
            for c in row:
                fill = c.fill.fgColor.rgb if c.fill and c.fill.fill_type else None
                if c.value is not None or fill or c.comment:
                    cells[c.coordinate] = (c.value, fill, c.comment.text if c.comment else None)
        out[ws.title] = cells
    return out


@pytest.mark.parametrize("name", ["six", "random-1"])
def test_clear_marks_leaves_the_workbook_as_it_was(name, lo):
    _books, out = lo
    before, cleared = _state(out["before"][name][0]), _state(out["cleared"][name][0])
    assert T["results_sheet"] not in cleared["sheets"]
    assert cleared == before
    msg = out["cleared"][name][1][1]["result"]
    assert msg.startswith("已清除")


def test_insert_row_keeps_merges_validations_and_formulas(lo):
    books, out = lo
    saved, macros = out["inserted"]["seed-001"]
    assert macros[0]["result"] == T["inserted"].format(row=11)
    before = openpyxl.load_workbook(books["seed-001"][0])[S]
    after = openpyxl.load_workbook(saved)[S]
    assert after.max_row == before.max_row + 1
    # the new row 12 is blank data inside the 产出指标 / 数量指标 group: A and B merges grew over it
    merged = {str(m) for m in after.merged_cells.ranges}
    a_before = next(str(m) for m in before.merged_cells.ranges if str(m).startswith("A10:"))
    assert f"A10:A{int(a_before.split(':A')[1]) + 1}" in merged
    assert all(after.cell(12, c).value in (None, "") for c in range(3, 11))
    # drop-downs and custom validations cover the new row
    for col in "DFG":
        assert any(f"{col}12" in dv.sqref for dv in after.data_validations.dataValidation), col
    # helper formulas continue onto it
    helpers = [c for c in before[10] if isinstance(c.value, str) and c.value.startswith("=") and c.column > 10]
    assert helpers
    for c in helpers:
        new = after.cell(12, c.column).value
        assert isinstance(new, str) and new.startswith("="), c.coordinate
    # the rows below moved down intact, and perfbook still reads every indicator (the blank row is no data)
    assert perfbook.read(saved).data == perfbook.read(books["seed-001"][0]).data
    # 校验 then sees the new row as what it is: an empty row, nothing to report
    assert macros[1]["result"] == summary([f for f in perfbook.check(books["seed-001"][0]).findings if f.sheet == S])
