"""Workbook parts Excel would repair or refuse, each written the way Excel accepts it.

NaN/Inf from pandas, YAML .nan or JSON NaN is an empty cell (Excel repairs <v>nan</v>); a control
character such as Word's soft line break U+000B is escaped as _x000B_ (Excel's own escape) instead of
aborting the run; more than 32,767 characters in a cell is refused naming the field; no row is taller
than Excel's 409.5 pt; a package's workbook content type always matches its extension.
"""
from __future__ import annotations

import json
import math
import re
import zipfile

import pytest
import yaml
from python_calamine import CalamineWorkbook

import perfbook
from perfbook.cli import main
from perfbook.errors import DataError
from perfbook.ooxml._package import MAIN_CONTENT_TYPES
from tests.conftest import EXAMPLES

S = "绩效目标表"


def seed() -> dict:
    return yaml.safe_load((EXAMPLES / "seed-001.yaml").read_text("utf-8"))


def sheet_xml(path) -> str:
    with zipfile.ZipFile(path) as z:
        return "".join(z.read(n).decode("utf-8") for n in z.namelist() if n.startswith("xl/worksheets/sheet"))


def main_ct(path) -> str:
    with zipfile.ZipFile(path) as z:
        ct = z.read("[Content_Types].xml").decode()
    return next(v for v in MAIN_CONTENT_TYPES.values() if v in ct)


def _data(d: dict, tmp_path, source: str, marker: str):
    if source == "python":
        return d
    path = tmp_path / f"p.{source}"
    path.write_text(yaml.safe_dump(d, allow_unicode=True) if source == "yaml" else json.dumps(d, ensure_ascii=False), "utf-8")
    assert marker[source] in path.read_text("utf-8")
    return path


@pytest.mark.parametrize("source", ["python", "yaml", "json"])
def test_nan_is_an_empty_cell_and_inf_is_refused(tmp_path, source):
    d = seed()
    d["年度资金总额"] = float("nan")
    out = perfbook.fill(_data(d, tmp_path, source, {"yaml": ".nan", "json": "NaN"}), tmp_path / "o.xlsx")
    xml = sheet_xml(out)
    assert not re.search(r"<v>-?(nan|inf)", xml, re.I)
    rows = CalamineWorkbook.from_path(str(out)).get_sheet_by_name(S).to_python()
    flat = [v for row in rows for v in row]
    assert not any(isinstance(v, float) and not math.isfinite(v) for v in flat)
    assert not any(str(v).lower() in ("nan", "inf", "-inf") for v in flat)
    # ±Inf is a value no cell holds: refused naming the field (it was once written as an empty cell)
    d["指标"][1]["指标值"] = float("-inf")
    with pytest.raises(DataError, match="指标值.*-inf"):
        perfbook.fill(_data(d, tmp_path, source, {"yaml": "-.inf", "json": "-Infinity"}), tmp_path / "p.xlsx")
    assert not (tmp_path / "p.xlsx").exists()


def test_a_soft_line_break_is_escaped_not_refused(tmp_path):
    d = seed()
    d["项目名称"] = "区委\x0b网信办经费"
    d["指标"][0]["三级指标"] = "期数\x01说明"
    out = perfbook.fill(d, tmp_path / "o.xlsx")
    xml = sheet_xml(out)
    assert "区委_x000B_网信办经费" in xml and "期数_x0001_说明" in xml
    assert "\x0b" not in xml
    # calamine decodes Excel's escape back to the character typed
    assert "区委\x0b网信办经费" in texts(out) and "期数\x01说明" in texts(out)
    # text that merely looks like the escape is kept literally
    d["项目名称"] = "a_x000B_b"
    assert "a_x000B_b" in texts(perfbook.fill(d, tmp_path / "o2.xlsx"))


def texts(path) -> set:
    wb = CalamineWorkbook.from_path(str(path))
    return {v for n in wb.sheet_names for row in wb.get_sheet_by_name(n).to_python() for v in row if isinstance(v, str)}


def test_text_over_excels_cell_limit_is_refused_naming_the_field(tmp_path):
    d = seed()
    d["指标"][0]["指标内容"] = "长" * 32_768
    with pytest.raises(perfbook.PerfbookError, match="指标内容.*32768.*32767"):
        perfbook.fill(d, tmp_path / "o.xlsx")
    assert not (tmp_path / "o.xlsx").exists()
    d["指标"][0]["指标内容"] = "长" * 32_767          # exactly the limit is fine
    perfbook.fill(d, tmp_path / "o.xlsx")


def test_no_row_is_taller_than_excel_allows(tmp_path):
    d = seed()
    d["指标"][0]["指标内容"] = "反映编撰网络舆情分析研判报告期数" * 40        # 640 characters
    d["项目实施内容"] = "\n".join(["网络舆论监测工作"] * 60)
    out = perfbook.fill(d, tmp_path / "o.xlsx")
    heights = [float(h) for h in re.findall(r'<row\b[^>]*\bht="([\d.]+)"', sheet_xml(out))]
    assert heights and max(heights) == 409.5


@pytest.mark.parametrize("ext", [".xlsx", ".xlsm", ".xltx", ".xltm"])
def test_fill_and_new_write_the_content_type_of_the_extension(tmp_path, ext):
    out = perfbook.fill(EXAMPLES / "seed-001.yaml", tmp_path / f"o{ext}")
    assert out.suffix == ext and main_ct(out) == MAIN_CONTENT_TYPES[ext]
    assert main(["new", str(tmp_path / f"blank{ext}")]) == 0
    assert main_ct(tmp_path / f"blank{ext}") == MAIN_CONTENT_TYPES[ext]
    CalamineWorkbook.from_path(str(out)).get_sheet_by_name(S)


def test_addin_and_annotate_write_the_content_type_of_the_extension(tmp_path):
    assert main(["addin", "build", "-o", str(tmp_path / "a.xlsm")]) == 0
    assert main_ct(tmp_path / "a.xlsm") == MAIN_CONTENT_TYPES[".xlsm"]
    src = perfbook.fill(EXAMPLES / "seed-001.yaml", tmp_path / "in.xlsx")
    main(["check", str(src), "--annotate", str(tmp_path / "marked.xlsm")])
    assert main_ct(tmp_path / "marked.xlsm") == MAIN_CONTENT_TYPES[".xlsm"]


def test_macros_are_never_saved_under_a_macro_free_extension(tmp_path):
    from perfbook.ooxml._package import write_atomic
    data = perfbook.fill(EXAMPLES / "seed-001.yaml", tmp_path / "m.xlsm", macros=True).read_bytes()
    with pytest.raises(perfbook.PerfbookError, match=r"x\.xlsx.*\.xlsm"):
        write_atomic(tmp_path / "x.xlsx", data)
    assert not (tmp_path / "x.xlsx").exists()


def test_print_area_covers_the_official_table_only(tmp_path):
    import random

    import openpyxl

    from tests.test_inject_lo import random_project
    rng = random.Random(5)
    out = perfbook.fill([random_project(rng, f"项目{i}", k) for i, k in enumerate((3, 40))], tmp_path / "o.xlsx")
    wb = openpyxl.load_workbook(out)
    visible = [ws for ws in wb if ws.sheet_state == "visible"]
    assert len(visible) == 4
    for ws in visible:
        area = ws.print_area
        assert area, ws.title
        m = re.fullmatch(r"'?[^!]+'?!\$A\$1:\$([A-Z]+)\$(\d+)", area)
        assert m, area
        col, row = openpyxl.utils.column_index_from_string(m.group(1)), int(m.group(2))
        # hidden helper columns lie outside; every cell with text lies inside
        hidden = {openpyxl.utils.column_index_from_string(k) for k, d in ws.column_dimensions.items() if d.hidden}
        assert col < min(hidden, default=10**6)
        # ... except the 填报说明 note below the table: the template's own print area ends at the
        # indicator rows (README 模板), so no page holds only the repeated header; and the 校验提示
        # column beside the table, which is for the screen (warnings colour nothing on paper)
        notes = [c.column for r in ws.iter_rows() for c in r if str(c.value).startswith("校验提示")]
        assert all(c > col for c in notes)
        filled = [(c.row, c.column) for r in ws.iter_rows() for c in r
                  if c.value not in (None, "") and c.column not in hidden and not str(c.value).startswith("=")
                  and not str(c.value).startswith(("填报说明", "校验提示"))]
        assert max(r for r, _c in filled) <= row and max(c for _r, c in filled) <= col
        if "概况" not in ws.title:
            assert m.group(1) == "J"          # 一级指标 … 评（扣）分标准 / 备注: ten official columns
