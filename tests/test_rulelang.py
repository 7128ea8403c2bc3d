"""The rule language: parsing, bureau rule folders, and errors that name the file, the rule and the part."""
from __future__ import annotations

import textwrap

import pytest
import yaml

import perfbook
from perfbook.cli import main
from perfbook.errors import DataError
from perfbook.rules import _catalog as R
from perfbook.rules._lang import Node, RuleSyntaxError, parse
from tests.conftest import EXAMPLES

BASIS = "绩效指标值设定依据及数据来源"
BUREAU_RULE = textwrap.dedent(f"""\
    rules:
      - id: basis-cites-document
        severity: 错误
        scope: row
        title: 设定依据未引用文件
        message: 设定依据“{{basis}}”没有引用文件（《…》）
        fix: 写明所依据的文件，如《深圳市宝安区预算管理办法》
        field: {BASIS}
        when: AND(NOT(不适用), NOT(ISBLANK({BASIS})), NOT(CONTAINS({BASIS}, "《")))
        args:
          basis: {BASIS}
    """)


@pytest.fixture
def bureau(tmp_path):
    d = tmp_path / "rules"
    d.mkdir()
    (d / "basis.yaml").write_text(BUREAU_RULE, "utf-8")
    R.set_rules_dir(d)
    yield d
    R.set_rules_dir(None)


def test_parse_follows_excel_precedence():
    e = parse('=1+2*3>=7&"x"')
    assert e.kind == "op" and e.value == ">="
    assert parse("AND(a, NOT(b))") == Node("call", "AND", (Node("name", "a"), Node("call", "NOT", (Node("name", "b"),))))
    assert parse('"say ""hi"""').value == 'say "hi"'
    assert parse("{1, 2}").kind == "list"
    for bad in ["AND(1,", "1 +", "(1", "1 2", "#"]:
        with pytest.raises(RuleSyntaxError):
            parse(bad)


def test_the_shipped_rules_compile_and_the_check_only_ones_are_derived():
    only = {r.id for r in R.rules() if r.check_only}
    assert only == {"value-embedded", "qual-disguised", "qual-vague", "timeliness-vague", "misfiled",
                    "stray-space", "na-row-missing", "several-targets", "value-cn-numeral", "na-misspelt",
                    "na-with-value", "calc-basis", "funds-yuan"}
    assert all(r.when for r in R.rules())


@pytest.mark.parametrize("body, part", [
    ("when: AND(ISBLANK(三级指标)", "when"),
    ("when: ISBLANK(没有这个字段)", "没有这个字段"),
    ("when: FROBNICATE(三级指标)", "FROBNICATE"),
    ("when: ISBLANK(三级指标)\n    message: 缺少{nothing}", "{nothing}"),
    ("when: STRIP(三级指标)=\"\"", "counted_by"),            # an 错误 the workbook cannot count
    ("when: TRUE\n    each: 字段 OF x", "each"),
])
def test_a_malformed_rule_file_names_the_file_the_rule_and_the_part(tmp_path, body, part):
    d = tmp_path / "rules"
    d.mkdir()
    msg = "坏规则" if "message" not in body else ""
    text = "rules:\n  - id: bad-rule\n    severity: 错误\n    scope: row\n" + (f"    message: {msg}\n" if msg else "") + f"    {body}\n"
    (d / "bad.yaml").write_text(text, "utf-8")
    R.set_rules_dir(d)
    try:
        with pytest.raises(DataError) as exc:
            R.rules()
    finally:
        R.set_rules_dir(None)
    e = exc.value
    assert "bad-rule" in e.zh and part in e.zh and e.path.endswith("bad.yaml"), e.zh


def test_a_malformed_rule_file_stops_fill_before_a_workbook_is_written(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv(R.ENV_RULES, "")          # restored after the test (the CLI sets it for workers)
    d = tmp_path / "rules"
    d.mkdir()
    (d / "bad.yaml").write_text("rules:\n  - id: x\n    severity: 错误\n    scope: row\n    message: m\n    when: AND(\n", "utf-8")
    out = tmp_path / "out.xlsx"
    assert main(["fill", str(EXAMPLES / "seed-000.yaml"), "-o", str(out), "--rules-dir", str(d)]) == 2
    assert not out.exists()
    err = capsys.readouterr().err
    assert "规则“x”" in err and "bad.yaml" in err
    R.set_rules_dir(None)


def test_a_bureau_rule_fires_in_check_and_overrides_by_id(bureau, tmp_path):
    rep = perfbook.check(EXAMPLES / "seed-000.yaml")
    hits = [f for f in rep.findings if f.rule == "basis-cites-document"]
    assert not hits                                     # the seed has no 设定依据 texts
    data = yaml.safe_load((EXAMPLES / "seed-000.yaml").read_text("utf-8"))
    data["指标"][0][BASIS] = "根据工作计划"
    data["指标"][1][BASIS] = "依据《宝安区网络安全工作方案》"
    rep = perfbook.check(perfbook.fill(data, tmp_path / "b.xlsx"))
    hits = [f for f in rep.findings if f.rule == "basis-cites-document"]
    assert [(f.severity, f.cell, f.message) for f in hits] == [("错误", "J10", "设定依据“根据工作计划”没有引用文件（《…》）")]
    # an id the shipped rules use replaces that rule
    (bureau / "z.yaml").write_text("params:\n  name_warn: 30\n", "utf-8")
    R.set_rules_dir(bureau)
    assert R.params()["name_warn"] == 30
    assert not [f for f in perfbook.check(EXAMPLES / "seed-001.yaml").findings if f.rule == "name-long"]


def test_the_cli_commands_take_a_rules_dir(bureau, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv(R.ENV_RULES, "")          # restored after the test (the CLI sets it for workers)
    R.set_rules_dir(None)
    out = tmp_path / "new.xlsx"
    assert main(["new", str(out), "--rules-dir", str(bureau)]) == 0
    assert main(["check", "--format", "json", str(EXAMPLES / "seed-000.yaml"), "--rules-dir", str(bureau)]) in (0, 1)
    assert R.rule("basis-cites-document").formula


@pytest.mark.libreoffice
def test_a_bureau_rule_reaches_the_red_rows_the_summary_and_the_vba(bureau, tmp_path, soffice):
    """The bureau's rule, written once in its own folder: the recalculated workbook counts it on its row
    and in "校验：N 处错误", and the 校验 button (VBA, run by LibreOffice) reports it like perfbook check."""
    import openpyxl

    from perfbook.write._inject import injected_plan
    from perfbook.write.fill import compiled
    from perfbook.xlwings_bridge import texts
    from tests.test_rule_cases import result_rows
    data = yaml.safe_load((EXAMPLES / "seed-000.yaml").read_text("utf-8"))
    data["指标"][0][BASIS] = "根据工作计划"
    data["指标"][1][BASIS] = "依据《宝安区网络安全工作方案》"
    path = perfbook.fill(data, tmp_path / "b.xlsm", macros=True)
    pl = injected_plan(compiled().template)
    sheet = perfbook.read(path).projects[0].sheets[0]
    col_a = [c.value for c in openpyxl.load_workbook(path)[sheet]["A"]]
    summary = next(i for i, v in enumerate(col_a, start=1) if isinstance(v, str) and '"校验：' in v)
    cells = [[sheet, f"A{summary}"], [sheet, f"{pl.error_column}10"], [sheet, f"{pl.error_column}11"]]
    results_sheet = texts()["results_sheet"]
    calc, macro = soffice.run_jobs([
        {"in": str(path), "cells": cells},
        {"in": str(path), "recalc": False, "steps": [
            {"activate": sheet, "macros": ["PerfbookCheck.ValidateSilent"], "read": [results_sheet]}]}])
    assert [c["value"] for c in calc["cells"]] == ["校验：1 处错误", 1, 0]
    vba_rows = result_rows(macro["steps"][0]["read"][results_sheet])
    py = [(f.severity, f.rule, f.sheet, f.cell or "", f.message, f.fix or "") for f in perfbook.check(path).findings]
    assert vba_rows == py
    assert ("错误", "basis-cites-document", sheet, "J10", "设定依据“根据工作计划”没有引用文件（《…》）",
            "写明所依据的文件，如《深圳市宝安区预算管理办法》") in vba_rows


def test_the_readme_rule_table_is_generated_from_rules_yaml():
    import importlib.util
    from pathlib import Path
    root = Path(__file__).resolve().parents[1]
    spec = importlib.util.spec_from_file_location("rules_table", root / "tools/rules_table.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    text = (root / "README.md").read_text("utf-8")
    assert mod.render(text) == text, "run: python tools/rules_table.py"
    for r in R.rules():
        assert f"| `{r.id}` | {r.severity} |" in text
