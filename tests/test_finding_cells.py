"""Issue 13 (items 9–11): every finding names the cell an official must change, on the layout actually
read; its advice names the columns and controls the sheet really has; whitespace hints are folded and
the report is ordered by severity, then sheet and row.

Expected cells and headings are transcribed from the workbooks with openpyxl (or from the raw bytes of
an export), not from perfbook's reader.
"""
from __future__ import annotations

import functools
import re

import openpyxl
import yaml

import perfbook
from perfbook import _fields as F
from perfbook.rules.findings import ERROR, INFO, WARNING
from tests.conftest import EXAMPLES, SAMPLES, SEEDS, SHARED, need_shared

BUDGET = SHARED / "samples" / "budget-system"
CYCLE = SHARED / "samples" / "budget-system-cycle"
RANK = {ERROR: 0, WARNING: 1, INFO: 2}


@functools.lru_cache(maxsize=None)
def report(path):
    return perfbook.check(path)


def _broken_seed(tmp):
    """seed 000 without its 年度目标 and its 产出—质量 group: a project error and a group error on the
    template's own layout."""
    d = yaml.safe_load((EXAMPLES / "seed-000.yaml").read_text("utf-8"))
    d.pop("年度目标")
    d["指标"] = [i for i in d["指标"] if i.get("二级指标") != "质量指标"]
    return perfbook.fill(d, tmp / "broken-seed.xlsx")


def _workbooks(tmp):
    books = [perfbook.fill(EXAMPLES / f"{s}.yaml", tmp / f"{s}.xlsx") for s in SEEDS] + [_broken_seed(tmp)]
    books += sorted(need_shared(SAMPLES).glob("songgang-*.xlsx"))
    books += sorted(need_shared(BUDGET).glob("*.xls"))
    books += sorted(need_shared(CYCLE).glob("*.xls"))
    return books


def test_no_error_or_warning_lacks_a_cell(tmp_path):
    books = _workbooks(tmp_path)
    assert len(books) > 40
    seen = 0
    for book in books:
        for f in report(book).findings:
            if f.severity in (ERROR, WARNING):
                seen += 1
                assert f.sheet and f.cell and re.fullmatch(r"[A-Z]{1,3}[1-9][0-9]*", f.cell), (book, f)
    assert seen > 400


def _label_cell(ws, text):
    """The cell whose text (spaces and colons removed) is `text`."""
    for row in ws.iter_rows():
        for c in row:
            if isinstance(c.value, str) and re.sub(r"[\s:：]", "", c.value) == text:
                return c
    raise AssertionError(text)


def _right_of(ws, cell):
    """The cell right of a label, past the label's merged range."""
    for m in ws.merged_cells.ranges:
        if cell.coordinate in m:
            return f"{openpyxl.utils.get_column_letter(m.max_col + 1)}{cell.row}"
    return f"{openpyxl.utils.get_column_letter(cell.column + 1)}{cell.row}"


def _cells(rep, sheet, rule):
    return [f.cell for f in rep.findings if f.sheet == sheet and f.rule == rule]


def test_the_cells_of_hand_checked_findings(samples, tmp_path):
    # a blank Shenzhen table: the five mandatory groups at the 三级指标 cell of their pre-printed rows
    # (B12 数量, B13 质量, B14 时效, B15 成本, B17 社会效益)
    s00 = "1.社区工作站经费（沙浦围社区工作站）"
    ws = openpyxl.load_workbook(samples / "songgang-00.xlsx")[s00]
    assert [ws[f"B{r}"].value for r in (12, 13, 14, 15, 17)] == ["数量", "质量", "时效", "成本", "社会效益"]
    assert _cells(report(samples / "songgang-00.xlsx"), s00, "required-group") == ["C12", "C13", "C14", "C15", "C17"]
    # rows left empty under their 二级 labels B19 … B23: 社会效益 is mandatory, the rest must say 不适用
    s03 = "17.政府购买服务（专业技术服务类+集体资产管理事务经费）"
    rep = report(samples / "songgang-03.xlsx")
    assert _cells(rep, s03, "required-group") == ["C19"]
    assert _cells(rep, s03, "na-row-missing") == ["C19", "C20", "C21", "C22", "C23"]
    # a blank 年度目标 on the Shenzhen form: the merged box right of its label (A9 → B9:E9)
    s08 = "11.科技与产业发展专项资金（2022年工业企业纾困发展补贴项"
    ws = openpyxl.load_workbook(samples / "songgang-08.xlsx")[s08]
    assert _cells(report(samples / "songgang-08.xlsx"), s08, "required-project") == [_right_of(ws, _label_cell(ws, "年度目标"))] == ["B9"]
    # perfbook's own template: 年度目标 at its value cell; the missing 产出—质量 in the 二级 column of the
    # row where 产出指标 stands
    book = _broken_seed(tmp_path)
    ws = openpyxl.load_workbook(book)["绩效目标表"]
    rep = perfbook.check(book)
    goal = next(c for row in ws.iter_rows(max_row=9) for c in row if isinstance(c.value, str) and c.value.endswith("目标")
                and "年度" in c.value)
    assert _cells(rep, "绩效目标表", "required-project") == [_right_of(ws, goal)]
    first = next(c for c in ws["A"] if c.value == "产出指标")
    assert _cells(rep, "绩效目标表", "required-group") == [f"B{first.row}"]


def test_a_header_field_the_form_lacks_points_at_the_sheets_first_cell():
    # hbejxmjxmbsbb is the budget system's 绩效部分 only: no 项目名称 / 主管部门 / 实施单位 label at all
    path = need_shared(BUDGET) / "hbejxmjxmbsbb.xls"
    raw = path.read_bytes()
    text = next(raw.decode(enc, "ignore") for enc in ("utf-8", "gb18030"))
    assert "项目名称" not in text and "主管部门" not in text
    found = [f for f in report(path).findings if f.rule == "required-project"]
    assert {f.message for f in found} >= {"请填写项目名称", "请填写主管部门"}
    assert all(f.cell == "A1" for f in found)


def _headings(ws):
    row = next(r for r in ws.iter_rows() if any(c.value == "一级指标" for c in r))
    return {re.sub(r"\s+", "", c.value) for c in row if isinstance(c.value, str)}


def _column_names():
    return {n for s in F.indicator_fields() for n in (s.label, *s.aliases) if len(n) >= 3}


def test_shenzhen_fixes_name_only_the_sheets_own_columns(samples):
    path = samples / "songgang-01.xlsx"
    wb = openpyxl.load_workbook(path)
    fixes = 0
    for f in report(path).findings:
        if not f.fix:
            continue
        ws = wb[f.sheet]
        assert not ws.data_validations.dataValidation
        assert "下拉" not in f.fix, f
        have = _headings(ws)
        assert have == {"一级指标", "二级指标", "三级指标", "目标值", "指标解释"}
        for name in re.findall(r"“([^”]+)”", f.fix):
            assert name not in _column_names() or name in have, (f.rule, f.fix)
        fixes += 1
    assert fixes > 20
    by_rule = {f.rule: f.fix for f in report(path).findings}
    assert by_rule["name-long"] == "名称只写考核对象，说明放到“指标解释”列"
    assert by_rule["satisfaction-shape"] == "“目标值”写成“≥90%”或“≥95%”"
    assert "下拉" not in by_rule["unit-known"] and "%" in by_rule["unit-known"]


def test_template_fixes_keep_the_template_columns_and_drop_downs(tmp_path):
    book = _broken_seed(tmp_path)
    ws = openpyxl.load_workbook(book)["绩效目标表"]
    assert ws.data_validations.dataValidation          # the template has drop-downs
    assert {"指标性质", "度量单位", "指标内容"} <= {c.value for row in ws.iter_rows(max_row=9) for c in row}
    by_rule = {f.rule: f.fix for f in perfbook.check(book).findings}
    assert by_rule["name-long"] == "名称只写考核对象，说明放到“指标内容”列"
    assert by_rule["satisfaction-shape"] == "指标性质选“≥”，指标值填 90 或 95 等数字，度量单位选“%”"


def _stray(ws, cols, first, last):
    """Cells of columns `cols` (rows first..last) whose text has spaces at an end, a tab or a line break."""
    out = []
    for r in range(first, last + 1):
        for col in cols:
            v = ws[f"{col}{r}"].value
            if isinstance(v, str) and (v.strip() != v or "\t" in v or "\n" in v) and v.strip():
                out.append(f"{col}{r}")
    return out


def test_whitespace_is_folded_once_per_sheet_and_the_report_is_ordered(samples):
    path = samples / "songgang-03.xlsx"
    wb = openpyxl.load_workbook(path)
    rep = report(path)
    stray = [f for f in rep.findings if f.rule == "stray-space"]
    assert len({f.sheet for f in stray}) == len(stray)
    for f in stray:
        ws = wb[f.sheet]
        head = next(c.row for c in ws["A"] if c.value == "一级指标")
        last = next(c.row for c in ws["A"] if isinstance(c.value, str) and c.value.startswith("备注")) - 1
        expected = _stray(ws, "ABCD", head + 1, last)        # 一级 二级 三级 目标值: the rule's space_fields
        cells = list(f.cells or (f.cell,))
        assert sorted(cells) == sorted(expected), f.sheet
        assert f.cell == cells[0]
        if len(cells) > 1:
            assert f.message.startswith(f"{len(cells)} 个单元格") and "、".join(cells) in f.message
    order = {name: i for i, name in enumerate(wb.sheetnames)}
    keys = [(RANK[f.severity], order[f.sheet], int(re.sub(r"\D", "", f.cell))) for f in rep.findings]
    assert keys == sorted(keys)
    assert [f.severity for f in rep.findings][:1] == [ERROR]


def test_the_text_report_and_json_show_the_folded_cells(samples, capsys):
    from perfbook.cli import main
    path = samples / "songgang-03.xlsx"
    assert main(["check", "--format", "json", str(path)]) == 1
    import json
    data = json.loads(capsys.readouterr().out)
    folded = [p for p in data["问题"] if p["规则"] == "stray-space" and p.get("全部单元格")]
    assert folded and all(p["单元格"] == p["全部单元格"][0] for p in folded)
    sev = [RANK[p["级别"]] for p in data["问题"]]
    assert sev == sorted(sev)
