"""Build templates/绩效目标表.xlsx, the official Yunnan layout (seed 001), once.

This is how the template was first made; from then on it is an ordinary workbook that a finance
bureau edits in Excel. Placeholders in cells ({{ 项目名称 }}, {{ 指标.三级指标 }}) say where each
field goes; perfbook's fill and read follow them, not cell addresses.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

# openpyxl writing through lxml declares xmlns:r on every <sheet> of workbook.xml, which openpyxl's
# own reader (the reference fill of tests/test_equivalence.py) then fails to load
os.environ["OPENPYXL_LXML"] = "False"

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.worksheet.properties import PageSetupProperties

FONT = "宋体"
thin = Side(style="thin", color="000000")
BORDER = Border(left=thin, right=thin, top=thin, bottom=thin)
HEAD_FILL = PatternFill("solid", fgColor="F2F2F2")
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
LEFT = Alignment(horizontal="left", vertical="center", wrap_text=True)


def box(ws, ref, value=None, *, bold=False, head=False, align=CENTER, size=10):
    """Write a (merged) box: value in the top-left, border and style on every cell of the range."""
    first = ref.split(":")[0]
    if ":" in ref:
        ws.merge_cells(ref)
    if value is not None:
        ws[first] = value
    for row in ws[ref] if ":" in ref else [[ws[ref]]]:
        for c in row:
            c.border = BORDER
            c.font = Font(name=FONT, size=size, bold=bold or head)
            c.alignment = align
            if head:
                c.fill = HEAD_FILL


def page_footer(ws):
    """Page numbers in the footer, with room for them: the footer margin must leave a line of
    text above the bottom margin (footer 0.5 in under a 0.6 in margin printed it cut in half)."""
    ws.page_margins.top = ws.page_margins.bottom = 0.75
    ws.page_margins.header = ws.page_margins.footer = 0.3
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"
    ws.oddFooter.center.font = FONT
    ws.oddFooter.center.size = 9


def head(ws, title: str, widths: dict) -> None:
    """Column widths, the title row and the project's name/code/department/implementer block: the
    same on the target table and on the year's monitoring and self-evaluation tables."""
    for col, w in widths.items():
        ws.column_dimensions[col].width = w
    ws.merge_cells("A1:J1")
    ws["A1"] = title
    ws["A1"].font = Font(name="黑体", size=16, bold=True)
    ws["A1"].alignment = CENTER
    ws.row_dimensions[1].height = 36
    box(ws, "A2", "项目名称", head=True)
    box(ws, "B2:E2", "{{ 项目名称 }}", align=LEFT)
    box(ws, "F2:G2", "项目编码", head=True)
    box(ws, "H2:J2", "{{ 项目编码 }}", align=LEFT)
    box(ws, "A3", "主管部门", head=True)
    box(ws, "B3:E3", "{{ 主管部门 }}", align=LEFT)
    box(ws, "F3:G3", "实施单位", head=True)
    box(ws, "H3:J3", "{{ 实施单位 }}", align=LEFT)


def main_sheet(ws):
    ws.title = "绩效目标表"
    widths = dict(A=16, B=13, C=24, D=8, E=10, F=8, G=10, H=22, I=24, J=30)
    head(ws, "{{ 预算年度 }}年{{ 项目名称 }}项目绩效目标表", widths)
    box(ws, "A4:A5", "项目资金（万元）", head=True)
    box(ws, "B4:D4", "年度资金总额", head=True)
    box(ws, "E4:G4", "其中：财政拨款", head=True)
    box(ws, "H4:J4", "其他资金", head=True)
    box(ws, "B5:D5", "{{ 年度资金总额 }}")
    box(ws, "E5:G5", "{{ 财政拨款 }}")
    box(ws, "H5:J5", "{{ 其他资金 }}")
    box(ws, "A6:A7", "项目目标", head=True)
    box(ws, "B6:C6", "总体目标（{{ 实施期限 }}）", head=True)
    box(ws, "D6:J6", "{{ 总体目标 }}", align=LEFT)
    box(ws, "B7:C7", "预算年度（{{ 预算年度 }}年）目标", head=True)
    box(ws, "D7:J7", "{{ 年度目标 }}", align=LEFT)
    for r in (2, 3, 4, 5):
        ws.row_dimensions[r].height = 22
    ws.row_dimensions[6].height = 36
    ws.row_dimensions[7].height = 36

    box(ws, "A8:G8", "绩效指标", head=True)
    box(ws, "H8:H9", "评（扣）分标准", head=True)
    box(ws, "I8:I9", "指标内容", head=True)
    box(ws, "J8:J9", "绩效指标值设定依据及数据来源", head=True)
    for col, label in zip("ABCDEFG", ["一级指标", "二级指标", "三级指标", "指标性质", "指标值", "度量单位", "指标属性"]):
        box(ws, f"{col}9", label, head=True)
    ws.row_dimensions[9].height = 28

    fields = ["一级指标", "二级指标", "三级指标", "指标性质", "指标值", "度量单位", "指标属性",
              "评（扣）分标准", "指标内容", "绩效指标值设定依据及数据来源"]
    for col, label in zip("ABCDEFGHIJ", fields):
        align = LEFT if col in "CHIJ" else CENTER
        box(ws, f"{col}10", "{{ 指标.%s }}" % label, align=align)

    ws.merge_cells("A11:J11")
    ws["A11"] = ("填报说明：指标值只填数字（定性指标填文字），比较符号选在“指标性质”列（≥ ＞ ＝ ＜ ≤ 定性），"
                 "单位选在“度量单位”列；一级、二级指标从下拉列表选择。")
    ws["A11"].font = Font(name=FONT, size=9, color="595959")
    ws["A11"].alignment = LEFT
    ws.row_dimensions[11].height = 30
    # the 校验 summary: perfbook replaces this mark with a formula counting the table's 错误
    # ("校验：3 处错误"); a bureau may move the cell anywhere outside the indicator row
    ws["A12"] = "{{ 校验 }}"
    ws["A12"].font = Font(name=FONT, size=10, bold=True, color="C00000")
    ws["A12"].alignment = Alignment(horizontal="left", vertical="center")
    ws.row_dimensions[12].height = 20

    ws.print_title_rows = "8:9"
    # the printed table ends at the indicator rows (perfbook stretches the area with them): the
    # note and the 校验 line are for the screen, and a page holding them would repeat the header
    # above nothing else
    ws.print_area = "A1:J10"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    page_footer(ws)
    ws.freeze_panes = "A10"


def overview_sheet(ws):
    ws.title = "项目概况"
    for col, w in dict(A=14, B=14, C=40, D=44).items():
        ws.column_dimensions[col].width = w
    ws.merge_cells("A1:D1")
    ws["A1"] = "{{ 预算年度 }}年{{ 项目名称 }}项目概况"
    ws["A1"].font = Font(name="黑体", size=16, bold=True)
    ws["A1"].alignment = CENTER
    ws.row_dimensions[1].height = 36
    box(ws, "A2", "项目名称", head=True)
    box(ws, "B2:D2", "{{ 项目名称 }}", align=LEFT)
    box(ws, "A3", "立项依据", head=True)
    box(ws, "B3:D3", "{{ 立项依据 }}", align=LEFT)
    box(ws, "A4:A10", "项目实施单位", head=True)
    for i, label in enumerate(["单位名称", "组织机构代码", "地址", "联系电话", "法人代表", "经费来源", "单位概况"]):
        r = 4 + i
        box(ws, f"B{r}", label, head=True)
        box(ws, f"C{r}:D{r}", "{{ %s }}" % label, align=LEFT)
    ws.row_dimensions[10].height = 120
    for i, label in enumerate(["项目基本概况", "项目实施内容", "资金安排情况", "项目实施计划", "项目实施成效"]):
        r = 11 + i
        box(ws, f"A{r}", label, head=True)
        box(ws, f"B{r}:D{r}", "{{ %s }}" % label, align=LEFT)
        ws.row_dimensions[r].height = 90
    page_footer(ws)
    ws.page_setup.orientation = "portrait"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)


def build(path: Path) -> None:
    wb = Workbook()
    main_sheet(wb.active)
    overview_sheet(wb.create_sheet())
    wb.save(path)


if __name__ == "__main__":
    build(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent.parent / "templates" / "绩效目标表.xlsx")
