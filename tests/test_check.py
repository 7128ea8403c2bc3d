"""perfbook check on real workbooks: the seeds, a workbook holding the domain's typical mistakes (§6),
the Shenzhen samples, the command line and the annotated copy."""
from __future__ import annotations

import collections
import functools
import json
import shutil
import zipfile

import openpyxl
import pytest
import yaml

import perfbook
from perfbook.cli import main
from perfbook.rules.check import recorded_frame
from perfbook.rules.findings import ERROR, INFO, WARNING
from tests.conftest import EXAMPLES, SAMPLES, SEEDS

S = "绩效目标表"


def ind(l1, l2, name, sign, value, unit, attr):
    d = {"一级指标": l1, "二级指标": l2, "三级指标": name, "指标性质": sign, "指标值": value, "度量单位": unit, "指标属性": attr}
    return {k: v for k, v in d.items() if v is not None}


LONG_NAME = "全区网络舆情监测分析研判及重大突发事件网络舆情应急处置工作机制建设完善情况与成效考核"   # 45 字
SIX_ROWS = [
    # row 10 ... one typical mistake each (domain.md §6 numbers in the comments)
    ind("产出指标", "数量指标", "培训人数", "≥", "≥60人", "人", "定量指标"),                  # 10  #1 #3 value-embedded
    ind("产出指标", "数量指标", "宣传册印数 ", "＝", 5000, None, "定量指标"),                 # 11  #2 unit; #18 stray space
    ind("产出指标", "数量指标", "覆盖人数", "≥", "XX", "人", "定量指标"),                     # 12  #4 placeholder
    ind("产出指标", "数量指标", "宣传活动场次", "≥", "约10场", "场", "定量指标"),             # 13  #1 "约…"
    ind("产出指标", "时效指标", "完成时限", "定性", "及时", None, "定性指标"),                # 14  #13 no deadline
    ind("产出指标", "成本指标", "设备采购成本", "≥", 15, "万元", "定量指标"),                 # 15  #14 cost with ≥
    ind("效益指标", "经济效益指标", None, None, None, None, None),                            # 16  #6 blank inapplicable row
    ind("效益指标", "社会效益指标", "群众满意度", "≥", 90, "%", "定量指标"),                   # 17  #10 misfiled
    ind("效益指标", "社会效益指标", "宣传效果", "定性", "得到提升", None, "定性指标"),         # 18  #8 vague
    ind("效益指标", "社会效益指标", "宣传效果", "定性", "显著", None, "定性指标"),             # 19  #12 duplicate
    ind("效益指标", "成本指标", "运维成本", "≤", 10, "万元", "定量指标"),                     # 20  #11 二级 under the wrong 一级
    ind("效益指标", "可持续影响指标", "长效机制建设", "定性", "按时-完成", None, "定性指标"),   # 21  #19 special characters
    ind("效益指标", "可持续影响指标", LONG_NAME, "定性", "较好", None, "定性指标"),           # 22  #9 over 40
    ind("效益指标", "可持续影响指标", "网络舆情应对处置工作机制完善程度", "定性", "较好", None, "定性指标"),  # 23 #9 over 15
    ind("满意度指标", "服务对象满意度指标", "群众满意度", "定性", "基本满意", None, "定性指标"),  # 24  #7 not ≥ N%
    ind("满意度指标", "服务对象满意度指标", "参训满意度", "≥", 120, "%", "定量指标"),          # 25  over 100%
    ind("满意度指标", "服务对象满意度指标", "回访满意度", "大约", 90, "%", "定量指标"),        # 26  #18 not a comparator
]
# no 质量指标 at all (#5), no 年度目标 (#16), funds 100 ≠ 80 + 10 (#20)
SIX = {"项目名称": "典型错误样例", "主管部门": "某局", "实施单位": "某局", "预算年度": 2024,
       "年度资金总额": 100, "财政拨款": 80, "其他资金": 10, "指标": SIX_ROWS}
SIX_FRAME = "classic"       # 成本指标 under 产出指标, so a cost row can be written at all

SIX_EXPECTED = {
    ("value-embedded", "E10"), ("unit-required", "F11"), ("stray-space", "C11"), ("placeholder", "E12"),
    ("value-embedded", "E13"), ("timeliness-vague", "E14"), ("cost-sign", "D15"),
    ("required-field", "C16"), ("required-field", "D16"), ("required-field", "E16"),
    ("misfiled", "C17"), ("qual-vague", "E18"), ("duplicate", "C19"), ("frame-pair", "B20"),
    ("qual-special", "E21"), ("name-length", "C22"), ("name-long", "C23"), ("satisfaction-shape", "E24"),
    ("satisfaction-over-100", "E25"), ("sign-valid", "D26"), ("satisfaction-shape", "E26"),
    ("required-project", "D7"), ("funds-sum", "B5"), ("required-group", "B10"),
    ("duplicate", "C24"),       # 群众满意度 under two 二级 (the budget system refuses it)
}


def six_mistakes(path):
    return perfbook.fill(SIX, path, frame=SIX_FRAME)


@pytest.fixture(scope="module")
def six(tmp_path_factory):
    return six_mistakes(tmp_path_factory.mktemp("six") / "典型错误.xlsx")


@pytest.fixture(scope="module")
def seeds(tmp_path_factory):
    d = tmp_path_factory.mktemp("seeds")
    return {n: perfbook.fill(EXAMPLES / f"{n}.yaml", d / f"{n}.xlsx") for n in SEEDS}


def test_every_typical_mistake_is_reported_at_its_cell(six):
    r = perfbook.check(six)
    got = {(f.rule, f.cell) for f in r.findings}
    assert all(f.sheet == S for f in r.findings)
    assert SIX_EXPECTED <= got, SIX_EXPECTED - got
    assert got == SIX_EXPECTED, got - SIX_EXPECTED      # and nothing else
    assert len(r.errors) == 17 and not r.ok
    assert r.frame == "classic" and r.frame_source == "工作簿记录"
    by = {(f.rule, f.cell): f for f in r.findings}
    assert "“10”" in by[("value-embedded", "E13")].fix and "“场”" in by[("value-embedded", "E13")].fix
    assert "质量指标" in by[("required-group", "B10")].message
    assert "请填写年度目标" == by[("required-project", "D7")].message
    assert "第 18 行" in by[("duplicate", "C19")].message


@pytest.mark.parametrize("name", SEEDS)
def test_a_clean_seed_workbook_reports_no_error(name, seeds):
    r = perfbook.check(seeds[name])
    assert r.ok, [f"{f.where()} {f.message}" for f in r.errors]
    assert r.frame == "yunnan-2022" and r.projects == 1
    assert perfbook.check(EXAMPLES / f"{name}.yaml").frame == "yunnan-2022"   # detected from the names


def test_what_the_checker_says_about_the_seeds(seeds):
    """Real, and only warnings: 指标属性 定性 with 指标性质 ＝ (seed 001's "＝ 不定期 定性指标"), long names,
    and in seed 000 the 定性 satisfaction values and a 三级 named like a 二级."""
    s1 = perfbook.check(seeds["seed-001"])
    # names of 15 characters count as long (the reviewer's .{15,})
    assert collections.Counter(f.rule for f in s1.findings) == {"attr-sign-mismatch": 2, "name-long": 5, "qual-unit": 1}
    assert {(f.rule, f.cell) for f in s1.findings if f.rule == "attr-sign-mismatch"} == {
        ("attr-sign-mismatch", "D12"), ("attr-sign-mismatch", "D16")}
    s0 = perfbook.check(seeds["seed-000"])
    assert collections.Counter(f.rule for f in s0.findings) == {
        "name-long": 3, "attr-sign-mismatch": 3, "qual-vague": 2, "qual-unit": 3, "satisfaction-shape": 2, "misfiled": 1}


def test_the_workbook_records_the_frame_its_formulas_use(tmp_path):
    out = perfbook.fill(EXAMPLES / "seed-001.yaml", tmp_path / "a.xlsx")
    assert recorded_frame(out) == "yunnan-2022" and perfbook.read(out).frame is None
    r = perfbook.check(out)
    assert (r.frame, r.frame_source) == ("yunnan-2022", "工作簿公式所用")
    out = perfbook.fill(EXAMPLES / "seed-001.yaml", tmp_path / "b.xlsx", frame="classic")
    assert perfbook.read(out).frame == "classic" and recorded_frame(out) == "classic"
    r = perfbook.check(out)
    assert r.frame == "classic" and [f.rule for f in r.errors] == ["required-group"]   # classic wants 成本指标
    assert perfbook.check(out, frame="yunnan-2022").ok


def test_a_department_workbook_reports_each_project_on_its_sheet(tmp_path):
    projects = [dict(SIX, 项目名称="甲"), yaml.safe_load((EXAMPLES / "seed-001.yaml").read_text(encoding="utf-8"))]
    out = perfbook.fill(projects, tmp_path / "dept.xlsx", frame="classic")
    r = perfbook.check(out)
    sheets = {f.project: f.sheet for f in r.findings}
    assert sheets["甲"].startswith("1.") and sheets["区委网信办经费"].startswith("2.")
    assert {(f.rule, f.cell) for f in r.findings if f.project == "甲"} == SIX_EXPECTED


# --- the command line ----------------------------------------------------------------------------------

def test_cli_report_and_exit_codes(six, seeds, capsys):
    assert main(["check", str(seeds["seed-001"])]) == 0
    out = capsys.readouterr().out
    assert "结论：通过" in out and "绩效目标表!D12" in out and "建议：" in out
    assert main(["check", str(six)]) == 1
    out = capsys.readouterr().out
    assert "错误 17 处" in out and "未通过：17 处错误" in out and "[错误] 绩效目标表!E10" in out
    assert main(["check", str(six), str(seeds["seed-000"]), "--format", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert [d["错误"] for d in data] == [17, 0]
    f = data[0]["问题"][0]
    assert set(f) >= {"规则", "级别", "说明", "工作表", "单元格", "建议"}
    assert main(["check", str(seeds["seed-001"]), "--frame", "nowhere"]) == 2
    assert "yunnan-2022" in capsys.readouterr().err


def test_cli_lists_frames_and_takes_a_frames_dir(tmp_path, capsys):
    assert main(["check", "--list-frames"]) == 0
    out = capsys.readouterr().out
    for fid in ("yunnan-2022", "classic", "central-2022", "shenzhen-baoan"):
        assert fid in out
    (tmp_path / "x.yaml").write_text("id: bureau-x\ntitle: 某局自定\nlevel1:\n  - name: 产出指标\n    level2: [{name: 数量指标}]\n",
                                     encoding="utf-8")
    assert main(["check", "--list-frames", "--frames-dir", str(tmp_path), "--format", "json"]) == 0
    assert "bureau-x" in [f["编号"] for f in json.loads(capsys.readouterr().out)]


def test_cli_checks_data_files_too(capsys):
    assert main(["check", str(EXAMPLES / "seed-000.yaml")]) == 0
    assert "第 12 条指标" in capsys.readouterr().out


def test_annotated_copy_marks_every_offending_cell_and_leaves_the_input_alone(six, tmp_path, capsys):
    src = tmp_path / "in.xlsx"
    shutil.copy(six, src)
    before = src.read_bytes()
    out = tmp_path / "out.xlsx"
    assert main(["check", str(src), "--annotate", str(out)]) == 1
    assert src.read_bytes() == before
    ws = openpyxl.load_workbook(out)[S]
    r = perfbook.check(src)
    for f in r.findings:
        cell = ws[f.cell]
        assert cell.comment is not None and f.message in cell.comment.text, f.cell
        colour = cell.fill.fgColor.rgb
        assert colour == {"错误": "FFFFC7CE", "警告": "FFFFEB9C", "提示": "FFDDEBF7"}[
            min((x.severity for x in r.findings if x.cell == f.cell), key=["错误", "警告", "提示"].index)]
    with pytest.raises(perfbook.PerfbookError):
        from perfbook.rules._annotate import annotate
        annotate(src, src, r)


def test_annotating_a_macro_workbook_keeps_its_macros(tmp_path):
    from tests.test_equivalence import VBA, macro_template
    tpl = macro_template(tmp_path / "宏模板.xlsm")
    src = perfbook.fill(SIX, tmp_path / "m.xlsm", template=tpl, frame="classic")
    assert src.suffix == ".xlsm"
    r = perfbook.check(src, template=tpl)
    from perfbook.rules._annotate import annotate
    out = annotate(src, tmp_path / "m-校验.xlsm", r)
    with zipfile.ZipFile(out) as z:
        assert z.read("xl/vbaProject.bin") == VBA


# --- the Shenzhen samples -------------------------------------------------------------------------------

# What perfbook check says about ../shared/samples/shenzhen-baoan (songgang-00 … 09), read by the
# foreign-layout reader and checked under the frame it detects (shenzhen-baoan). Per file: (错误, 警告, 项目).
SHENZHEN_FILES = {
    "songgang-00": (20, 89, 20), "songgang-01": (2, 87, 20), "songgang-02": (6, 74, 20), "songgang-03": (5, 111, 20),
    "songgang-04": (16, 61, 20), "songgang-05": (6, 66, 15), "songgang-06": (10, 84, 20), "songgang-07": (2, 112, 20),
    "songgang-08": (59, 83, 20), "songgang-09": (91, 46, 20),
}
# All ten files together, by rule. The 122 required-group errors come from the 22 sheets whose indicator
# table is left blank (only the ten pre-printed 二级 rows: every mandatory group is empty, 5 errors
# each) and from sheets that leave a mandatory 二级 such as 成本 or 社会效益 as 不适用; unit-required is
# "≥10" typed with no unit (SG rule 20); basis-required is a blank 政策依据 / 测算依据 (mostly on the blank
# sheets), funds-zero a 本年度项目金额 of 0 beside filled indicators, required-field mostly a blank 指标解释
# (SG rule 17), duplicate the same 三级 twice in a project. The 警告 are mostly names of 15 characters or
# more (SG rule 21), amounts under the 万元 label typed in 元 (funds-yuan: 246800 for "24.68万元"), 政策依据
# that cite no document and 测算依据 that show no computation (SG rules 0 and 1), 定性 values that promise a
# change ("得到提升", SG rule 23), units the list does not know ("万", "万一年": the 万/万元 mix-up of domain §3.5),
# numbers in Chinese ("两栋", "三小时内"), satisfaction targets not written as ≥ N% ("90%", "基本满意"), 时效
# values that only say 及时 (SG rule 25) and 不适应 for 不适用. The 68 提示 stray-space are 828 cells of 68
# sheets typed with a trailing line break or tab ("一级路清扫保洁面积\n", "≥90%\n\n"), folded into one finding per
# sheet that lists them; the reader reads them cleaned, the rule looks at the text as typed.
SHENZHEN_RULES = {
    (ERROR, "required-group"): 122, (ERROR, "unit-required"): 6, (ERROR, "name-length"): 2,
    (ERROR, "required-field"): 15, (ERROR, "required-project"): 1, (ERROR, "basis-required"): 40,
    (ERROR, "funds-zero"): 24, (ERROR, "duplicate"): 7,
    (WARNING, "name-long"): 148, (WARNING, "unit-known"): 64, (WARNING, "satisfaction-shape"): 36,
    (WARNING, "timeliness-vague"): 33, (WARNING, "na-row-missing"): 10, (WARNING, "misfiled"): 6,
    (WARNING, "satisfaction-low"): 2, (WARNING, "qual-vague"): 137, (WARNING, "basis-document"): 104,
    (WARNING, "calc-basis"): 70, (WARNING, "funds-yuan"): 145, (WARNING, "na-misspelt"): 19,
    (WARNING, "na-with-value"): 1, (WARNING, "na-row-incomplete"): 1, (WARNING, "value-cn-numeral"): 37,
    (INFO, "stray-space"): 68,
}
# a few findings checked against the raw cells by hand
SHENZHEN_SEEN = [
    ("songgang-00", "13.海防打私工作经费（综合治理办）", "D12", "unit-required"),            # "≥10", no unit
    ("songgang-03", "12.政府购买服务（档案管理类+劳动管理事务经费）", "C17", "name-length"),  # a 47-character 三级
    ("songgang-04", "7.政府购买服务（专业技术服务类）", "D20", "satisfaction-low"),          # 满意度 60%
    ("songgang-06", "5.政府购买服务（专业技术类）朗下社区工作站", "C19", "required-field"),   # 三级 blank, 不适用 beside it
    ("songgang-00", "4.政府购买服务（物业后勤类社区工作站经费）红星社区工作站", "D14", "timeliness-vague"),  # "及时"
    ("songgang-03", "2.政府购买服务（城市维护类+清扫保洁经费）", "C15", "stray-space"),     # "一级路清扫保洁面积\n"
    # 本年度项目金额（万元） 3000 beside 测算依据 "党群服务中心租金评估费0.3万元"
    ("songgang-01", "1.政府购买服务（专业技术服务类社区工作站管理经费）花果山社区", "E6", "funds-yuan"),
    ("songgang-01", "1.政府购买服务（专业技术服务类社区工作站管理经费）花果山社区", "B8", "calc-basis"),
    ("songgang-04", "5.政府采购服务（系统运维服务类）党工委管理事务经费", "D14", "value-cn-numeral"),  # "两小时之内"
    ("songgang-04", "5.政府采购服务（系统运维服务类）党工委管理事务经费", "E12", "required-field"),    # 指标解释 blank
]


@functools.lru_cache(maxsize=None)
def _read(stem):
    return perfbook.read(SAMPLES / f"{stem}.xlsx")


@pytest.fixture(scope="module")
def shenzhen_reports(samples):
    return {f.stem: perfbook.check(f) for f in sorted(samples.glob("songgang-*.xlsx"))}


def test_shenzhen_samples_are_checked_under_their_frame(shenzhen_reports):
    assert set(shenzhen_reports) == set(SHENZHEN_FILES)
    for name, r in shenzhen_reports.items():
        assert r.frame == "shenzhen-baoan" and r.frame_source == "按指标名称识别", name
        assert (len(r.errors), len(r.warnings), r.projects) == SHENZHEN_FILES[name], name


def test_what_the_checker_says_about_the_shenzhen_samples(shenzhen_reports):
    tally = collections.Counter((f.severity, f.rule) for r in shenzhen_reports.values() for f in r.findings)
    assert dict(tally) == SHENZHEN_RULES
    found = {(name, f.sheet, c, f.rule) for name, r in shenzhen_reports.items() for f in r.findings
             for c in f.cells or (f.cell,)}
    assert sum(len(f.cells or (f.cell,)) for r in shenzhen_reports.values() for f in r.findings
               if f.rule == "stray-space") == 828
    for seen in SHENZHEN_SEEN:
        assert seen in found, seen
    # the 22 blank tables: five mandatory groups each, on a sheet that has no indicator; each points at
    # the 三级指标 cell of its pre-printed 二级 row, where the official fills it in
    empty = {(name, p.sheets[0]) for name in shenzhen_reports for p in _read(name).projects if not p.indicators}
    blank = [f for name, r in shenzhen_reports.items() for f in r.findings
             if f.rule == "required-group" and (name, f.sheet) in empty]
    assert len(blank) == 22 * 5 and all(f.cell and f.cell[0] == "C" for f in blank)
