"""Issue 4: formats are told apart by their bytes, not their extension, and each reads to the same data.

Budget systems export SpreadsheetML 2003 XML and HTML tables under ".xls"; LibreOffice gives us real
BIFF .xls and .ods files of the real samples to compare against the xlsx originals.
"""
from __future__ import annotations

import shutil

import pytest

import perfbook
from perfbook.errors import UnreadableWorkbook
from perfbook.readers._sniff import sniff
from perfbook.readers.formats import ensure_safe

XML2003 = """<?xml version="1.0" encoding="UTF-8"?>
<?mso-application progid="Excel.Sheet"?>
<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" xmlns:o="urn:schemas-microsoft-com:office:office"
 xmlns:x="urn:schemas-microsoft-com:office:excel" xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet"
 xmlns:html="http://www.w3.org/TR/REC-html40">
 <Worksheet ss:Name="项目支出绩效目标申报表">
  <Table ss:ExpandedColumnCount="6" ss:ExpandedRowCount="99999">
   <Row><Cell ss:MergeAcross="5"><Data ss:Type="String">项目支出绩效目标申报表</Data></Cell></Row>
   <Row><Cell ss:MergeAcross="5"><Data ss:Type="String">（2024年度）</Data></Cell></Row>
   <Row><Cell><Data ss:Type="String">项目名称</Data></Cell><Cell ss:MergeAcross="1"><Data ss:Type="String">乡村道路养护</Data></Cell>
        <Cell ss:Index="4"><Data ss:Type="String">项目编码</Data></Cell><Cell ss:MergeAcross="1"><Data ss:Type="Number">4.4030623139149998E+20</Data></Cell></Row>
   <Row><Cell><Data ss:Type="String">主管部门及代码</Data></Cell><Cell ss:MergeAcross="1"><Data ss:Type="String">某县交通运输局</Data></Cell>
        <Cell ss:Index="4"><Data ss:Type="String">实施单位</Data></Cell><Cell ss:MergeAcross="1"><Data ss:Type="String">某县公路段</Data></Cell></Row>
   <Row><Cell><Data ss:Type="String">年度资金总额（万元）</Data></Cell><Cell><Data ss:Type="Number">120.5</Data></Cell></Row>
   <Row><Cell><Data ss:Type="String">年度总体目标</Data></Cell><Cell ss:MergeAcross="4"><Data ss:Type="String">完成<html:B>全县</html:B>乡村道路日常养护</Data></Cell></Row>
   <Row><Cell><Data ss:Type="String">一级指标</Data></Cell><Cell><Data ss:Type="String">二级指标</Data></Cell><Cell><Data ss:Type="String">三级指标</Data></Cell>
        <Cell ss:MergeAcross="1"><Data ss:Type="String">指标值</Data></Cell><Cell ss:Index="6"><Data ss:Type="String">说明</Data></Cell></Row>
   <Row><Cell ss:MergeDown="2"><Data ss:Type="String">产出指标</Data></Cell><Cell ss:MergeDown="1"><Data ss:Type="String">数量指标</Data></Cell>
        <Cell><Data ss:Type="String">养护里程</Data></Cell><Cell ss:MergeAcross="1"><Data ss:Type="String">≥120公里</Data></Cell></Row>
   <Row><Cell ss:Index="3"><Data ss:Type="String">桥梁检查</Data></Cell><Cell ss:MergeAcross="1"><Data ss:Type="String">12次</Data></Cell></Row>
   <Row><Cell ss:Index="2"><Data ss:Type="String">质量指标</Data></Cell><Cell><Data ss:Type="String">路况优良率</Data></Cell>
        <Cell ss:MergeAcross="1"><Data ss:Type="String">90%以上</Data></Cell><Cell ss:Index="6"><Data ss:Type="String">按省标</Data></Cell></Row>
   <Row><Cell><Data ss:Type="String">满意度指标</Data></Cell><Cell><Data ss:Type="String">服务对象满意度指标</Data></Cell>
        <Cell><Data ss:Type="String">群众满意度</Data></Cell><Cell ss:MergeAcross="1"><Data ss:Type="String">≧95％</Data></Cell></Row>
  </Table>
 </Worksheet>
 <Worksheet ss:Name="隐藏">
  <Table><Row><Cell><Data ss:Type="String">lists</Data></Cell></Row></Table>
  <WorksheetOptions xmlns="urn:schemas-microsoft-com:office:excel"><Visible>SheetHidden</Visible></WorksheetOptions>
 </Worksheet>
</Workbook>
"""  # noqa: E501

HTML = """<html xmlns:x="urn:schemas-microsoft-com:office:excel"><head>
<meta http-equiv="Content-Type" content="text/html; charset=gb2312"><title>绩效目标表</title></head><body>
<table border=1>
<tr><td colspan=5>项目支出绩效目标表</td></tr>
<tr><td>项目名称：</td><td colspan=2>社区&nbsp;养老服务</td><td>项目编码：</td><td>440306231391567800105</td></tr>
<tr><th>一级指标</th><th>二级指标</th><th>三级指标</th><th>目标值</th><th>指标解释</th></tr>
<tr><td rowspan=3>产出</td><td rowspan=2>数量</td><td>服务人次</td><td>不少于3000人次</td><td>全年<br>服务人次</td></tr>
<tr><td>上门次数</td><td>≤0.3万元</td><td></td></tr>
<tr><td>时效</td><td>办结时限</td><td>3个工作日</td><td>自受理起</td></tr>
<tr><td>效益</td><td>经济效益</td><td>不适用</td><td>不适用</td><td>不适用</td></tr>
</table></body></html>
"""


def test_spreadsheetml_2003_saved_as_xls(tmp_path):
    f = tmp_path / "budget-export.xls"
    f.write_text(XML2003, encoding="utf-8")
    assert sniff(f) == "xml2003"
    book = perfbook.read(f)
    assert book.format == "xml2003" and len(book.projects) == 1
    p = book.projects[0]
    assert p.name == "乡村道路养护" and p.department == "某县交通运输局" and p.implementer == "某县公路段"
    assert p.funds_total == 120.5 and p.goal_year == "完成全县乡村道路日常养护"
    assert p.code == "440306231391500000000"
    # the hidden sheet is not read, and the reader says so
    assert sorted(n.kind for n in book.notes) == ["code-as-number", "hidden-sheet"]
    rows = [(i.level1, i.level2, i.name, i.sign, i.value, i.unit, i.get("说明")) for i in p.indicators]
    assert rows == [
        ("产出指标", "数量指标", "养护里程", "≥", 120, "公里", None),
        ("产出指标", "数量指标", "桥梁检查", "＝", 12, "次", None),       # 二级 from ss:MergeDown
        ("产出指标", "质量指标", "路况优良率", "≥", 90, "%", "按省标"),   # 一级 from ss:MergeDown
        ("满意度指标", "服务对象满意度指标", "群众满意度", "≥", 95, "%", None),
    ]
    assert p.indicators[3].get("原始指标值") == "≧95％"


def test_html_table_saved_as_xls_in_gbk(tmp_path):
    f = tmp_path / "export.xls"
    f.write_bytes(HTML.encode("gb18030"))
    assert sniff(f) == "html"
    book = perfbook.read(f)
    p = book.projects[0]
    assert book.format == "html" and p.name == "社区 养老服务" and p.code == "440306231391567800105"
    got = [(i.level1, i.level2, i.name, i.sign, i.value, i.unit, i.content, i.get("是否适用")) for i in p.indicators]
    assert got == [
        ("产出", "数量", "服务人次", "≥", 3000, "人次", "全年\n服务人次", None),
        ("产出", "数量", "上门次数", "≤", 0.3, "万元", None, None),
        ("产出", "时效", "办结时限", "＝", 3, "个工作日", "自受理起", None),
        ("效益", "经济效益", "不适用", None, "不适用", None, "不适用", "否"),
    ]
    assert book.unmapped == ()


def test_content_decides_not_the_extension(samples, tmp_path):
    f = tmp_path / "really-an-xlsx.xls"
    shutil.copy(samples / "songgang-04.xlsx", f)
    book = perfbook.read(f)
    assert book.format == "xlsx" and len(book.projects) == 20
    assert any(n.kind == "format" and ".xls" in n.zh for n in book.notes)
    h = tmp_path / "table.xlsx"
    h.write_bytes(HTML.encode("gb18030"))
    assert perfbook.read(h).projects[0].code == "440306231391567800105"


def test_kinds_refused_before_parsing(tmp_path):
    cases = {"empty.xlsx": b"", "data.xlsx": "项目名称,一级指标\n甲,产出\n".encode("gbk"),
             "page.xlsx": b"<html><body><p>\xe4\xbc\x9a\xe8\xaf\x9d\xe5\xb7\xb2\xe8\xbf\x87\xe6\x9c\x9f</p></body></html>",
             "random.xls": bytes(range(256)) * 4, "note.xml": b"<?xml version='1.0'?><root/>"}
    for name, data in cases.items():
        f = tmp_path / name
        f.write_bytes(data)
        with pytest.raises(UnreadableWorkbook) as exc:
            perfbook.read(f)
        assert str(f) in str(exc.value) and exc.value.zh and exc.value.en


@pytest.mark.libreoffice
@pytest.mark.parametrize("fmt", ["xls", "ods"])
def test_real_xls_and_ods_read_like_the_xlsx(samples, soffice, tmp_path, fmt):
    src = tmp_path / "s.xlsx"
    shutil.copy(samples / "songgang-04.xlsx", src)
    out = soffice.convert(src, tmp_path, fmt)
    assert sniff(out) == ("ole" if fmt == "xls" else "zip")
    assert ensure_safe(out) == ("ole" if fmt == "xls" else "ods")
    a, b = perfbook.read(src), perfbook.read(out)
    assert b.format == fmt
    assert [p.to_dict() for p in b.projects] == [p.to_dict() for p in a.projects]
    # ods merges come from content.xml (calamine gives none): the same ranges as the xlsx
    from perfbook.readers.formats import open_source
    assert sorted(open_source(out).grids[0].merges) == sorted(open_source(src).grids[0].merges)
