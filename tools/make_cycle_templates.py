"""Build templates/绩效自评表.xlsx and templates/绩效监控表.xlsx once; from then on a bureau edits them in Excel.

The same {{ 字段 }} marks as the target template; {{ 指标.… }} is the indicator row that repeats. A mark
{{ 公式.名称 }} (or {{ 指标.公式.名称 }} on the indicator row) is where perfbook writes a formula compiled from
perfbook/data/scoring.yaml (执行率, 预算得分, 得分, 总分, 自评等级), so the formulas follow the marks and the
scoring data, never this script.
"""
from __future__ import annotations

import sys
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.properties import PageSetupProperties

sys.path.insert(0, str(Path(__file__).parent))
from make_template import CENTER, FONT, LEFT, box, head, page_footer  # noqa: E402

COLS = "ABCDEFGHIJ"


def fit(ws, *rows: int) -> None:
    """Each row tall enough for its longest label in its (merged) width, at LibreOffice's CJK line
    pitch (perfbook.write._layout): a header such as 执行率（%） in an 8-wide column takes two lines."""
    from openpyxl.utils import get_column_letter

    from perfbook.write import _layout
    spans = {(m.min_row, m.min_col): m for m in ws.merged_cells.ranges}
    for r in rows:
        cells = []
        for c in ws[r]:
            if c.value is None or "{{" in str(c.value):
                continue
            m = spans.get((r, c.column))
            cols = range(m.min_col, m.max_col + 1) if m else [c.column]
            rows_spanned = (m.max_row - m.min_row + 1) if m else 1
            w = sum(ws.column_dimensions[get_column_letter(k)].width or _layout.DEFAULT_WIDTH for k in cols)
            cells.append((c.value, w * rows_spanned))      # a label over n rows has n lines' room
        h = _layout.height_for(cells, ws.row_dimensions[r].height or 15)
        if h:
            ws.row_dimensions[r].height = h


def page(ws, title_rows: str, freeze: str) -> None:
    ws.print_title_rows = title_rows
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    page_footer(ws)                  # the target template's margins and footer: page numbers printed whole
    ws.freeze_panes = freeze


def indicator_rows(ws, header_row: int, labels: list[str], fields: list[str], cols: str = COLS) -> None:
    for col, label in zip(cols, labels):
        box(ws, f"{col}{header_row}", label, head=True)
    ws.row_dimensions[header_row].height = 30
    for col, f in zip(cols, fields):
        box(ws, f"{col}{header_row + 1}", "{{ 指标.%s }}" % f, align=LEFT if col in ("C", cols[-1]) else CENTER)


def widen_head(ws, last: str) -> None:
    """head() spans A–J (the target table's columns); a table with more columns spans them all."""
    ws.unmerge_cells("A1:J1")
    ws.merge_cells(f"A1:{last}1")
    for r, mark in ((2, "{{ 项目编码 }}"), (3, "{{ 实施单位 }}")):
        ws.unmerge_cells(f"H{r}:J{r}")
        box(ws, f"H{r}:{last}{r}", mark, align=LEFT)


def note(ws, row: int, text: str, last: str = "J") -> None:
    ws.merge_cells(f"A{row}:{last}{row}")
    ws[f"A{row}"] = text
    ws[f"A{row}"].font = Font(name=FONT, size=9, color="595959")
    ws[f"A{row}"].alignment = LEFT
    ws.row_dimensions[row].height = 30


def selfeval_sheet(ws) -> None:
    ws.title = "绩效自评表"
    head(ws, "{{ 预算年度 }}年度项目支出绩效自评表",
         dict(A=14, B=20, C=24, D=9, E=11, F=9, G=12, H=8, I=9, J=8, K=23))   # B: 服务对象满意度指标 on one line
    widen_head(ws, "K")
    box(ws, "A4:A7", "项目资金（万元）", head=True)
    box(ws, "B4:C4", "", head=True)
    for col, label in zip("DEFGH", ["年初预算数", "全年预算数", "全年执行数", "分值", "执行率（%）"]):
        box(ws, f"{col}4", label, head=True)
    box(ws, "I4:K4", "得分", head=True)
    rows = [("年度资金总额", "年度资金总额", "全年预算数", "全年执行数", "{{ 预算执行分值 }}", "{{ 公式.执行率 }}", "{{ 公式.预算得分 }}"),
            ("其中：财政拨款", "财政拨款", "财政拨款全年预算数", "财政拨款全年执行数", "—", "{{ 公式.财政拨款执行率 }}", "—"),
            ("其他资金", "其他资金", "其他资金全年预算数", "其他资金全年执行数", "—", "{{ 公式.其他资金执行率 }}", "—")]
    for i, (label, a, b, c, w, rate, score) in enumerate(rows):
        r = 5 + i
        box(ws, f"B{r}:C{r}", label, head=True)
        for col, f in zip("DEF", (a, b, c)):
            box(ws, f"{col}{r}", "{{ %s }}" % f)
        box(ws, f"G{r}", w)
        box(ws, f"H{r}", rate)
        box(ws, f"I{r}:K{r}", score)
    box(ws, "A8:A9", "年度总体目标", head=True)
    box(ws, "B8:E8", "预期目标", head=True)
    box(ws, "F8:K8", "实际完成情况", head=True)
    box(ws, "B9:E9", "{{ 年度目标 }}", align=LEFT)
    box(ws, "F9:K9", "{{ 实际完成情况 }}", align=LEFT)
    ws.row_dimensions[9].height = 48
    # 扣减分数: points taken off by hand (the budget system's import column, SelfIndexBO l.1704–1706)
    indicator_rows(ws, 10, ["一级指标", "二级指标", "三级指标", "指标性质", "年度指标值", "度量单位", "实际完成值",
                            "分值", "得分", "扣减分数", "偏差原因分析及改进措施"],
                   ["一级指标", "二级指标", "三级指标", "指标性质", "指标值", "度量单位", "实际完成值", "分值",
                    "公式.得分", "扣减分数", "偏差原因分析及改进措施"], cols="ABCDEFGHIJK")
    box(ws, "A12:G12", "总分", head=True)
    box(ws, "H12", "{{ 公式.总分值 }}", head=True)
    box(ws, "I12", "{{ 公式.总分 }}", head=True)
    box(ws, "J12:K12", "{{ 公式.自评等级 }}", head=True)
    box(ws, "A13", "偏差原因及改进措施（预算执行）", head=True)
    box(ws, "B13:K13", "{{ 偏差原因及改进措施 }}", align=LEFT)
    ws.row_dimensions[13].height = 36
    note(ws, 14, "填报说明：定量指标的实际完成值填数字；定性指标选“达成 / 部分达成 / 未达成”（定性得分可在本档分数区间内改填）。"
                 "得分、执行率、总分与自评等级由公式按评分规则计算（扣减分数从得分中扣除）；未满分的指标须填写偏差原因（未填的行标红）。",
         last="K")
    # 定性 completion: a drop-down that still lets a number be typed for 定量 indicators
    dv = DataValidation(type="list", formula1='"达成,部分达成,未达成"', allow_blank=True, showErrorMessage=False)
    dv.add("G11")
    ws.add_data_validation(dv)
    fit(ws, 2, 3, 4, 5, 6, 7, 8, 10, 12, 13)
    page(ws, "10:10", "A11")


def monitor_sheet(ws) -> None:
    ws.title = "绩效监控表"
    head(ws, "{{ 预算年度 }}年度项目绩效运行监控表",
         dict(A=14, B=20, C=24, D=9, E=11, F=9, G=12, H=14, I=12, J=27))
    box(ws, "A4:A6", "项目资金（万元）", head=True)
    box(ws, "B4:C4", "", head=True)
    for col, label in zip("DEFG", ["年初预算数", "全年预算数", "截至监控时点执行数", "执行率（%）"]):
        box(ws, f"{col}4", label, head=True)
    box(ws, "H4:J4", "全年预计执行数", head=True)
    rows = [("年度资金总额", "年度资金总额", "全年预算数", "当前执行数", "{{ 公式.执行率 }}", "预计全年执行数"),
            ("其中：财政拨款", "财政拨款", "财政拨款全年预算数", "财政拨款当前执行数", "{{ 公式.财政拨款执行率 }}", "财政拨款预计全年执行数")]
    for i, (label, a, b, c, rate, d) in enumerate(rows):
        r = 5 + i
        box(ws, f"B{r}:C{r}", label, head=True)
        for col, f in zip("DEF", (a, b, c)):
            box(ws, f"{col}{r}", "{{ %s }}" % f)
        box(ws, f"G{r}", rate)
        box(ws, f"H{r}:J{r}", "{{ %s }}" % d)
    box(ws, "A7", "监控时点", head=True)
    box(ws, "B7:E7", "{{ 监控月份 }}", align=LEFT)
    box(ws, "F7:G7", "总体进度", head=True)
    box(ws, "H7:J7", "{{ 总体进度 }}", align=LEFT)
    box(ws, "A8", "年度总体目标", head=True)
    box(ws, "B8:J8", "{{ 年度目标 }}", align=LEFT)
    ws.row_dimensions[8].height = 40
    indicator_rows(ws, 9, ["一级指标", "二级指标", "三级指标", "指标性质", "年度指标值", "度量单位", "当前完成值",
                           "全年预计完成值", "完成可能性", "偏差原因说明"],
                   ["一级指标", "二级指标", "三级指标", "指标性质", "指标值", "度量单位", "当前完成值",
                    "全年预计完成值", "完成可能性", "偏差原因说明"])
    box(ws, "A11", "纠偏措施", head=True)
    box(ws, "B11:J11", "{{ 纠偏措施 }}", align=LEFT)
    ws.row_dimensions[11].height = 36
    note(ws, 12, "填报说明：当前完成值填截至监控时点的实际完成数（定性指标填文字）；完成可能性从下拉列表选择"
                 "（确定能 / 有可能 / 完全不可能），不是“确定能”的指标须填写偏差原因说明（未填的行标红）。")
    dv = DataValidation(type="list", formula1='"确定能,有可能,完全不可能"', allow_blank=True,
                        error="请从下拉列表选择：确定能 / 有可能 / 完全不可能", errorTitle="完成可能性")
    dv.add("I10")
    ws.add_data_validation(dv)
    fit(ws, 2, 3, 4, 5, 6, 7, 9, 11)
    page(ws, "9:9", "A10")


def build(kind: str, path: Path) -> None:
    wb = Workbook()
    (selfeval_sheet if kind == "selfeval" else monitor_sheet)(wb.active)
    wb.save(path)


if __name__ == "__main__":
    out = Path(__file__).parent.parent / "templates"
    build("selfeval", out / "绩效自评表.xlsx")
    build("monitor", out / "绩效监控表.xlsx")
    print("written:", out / "绩效自评表.xlsx", out / "绩效监控表.xlsx")
