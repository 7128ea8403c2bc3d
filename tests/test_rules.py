"""Every rule has a case that fires and a case that passes; the rule data is complete and consistent."""
from __future__ import annotations

import copy

import pytest

import perfbook
from perfbook.rules import _catalog as R, _frames as FR
from perfbook.rules.findings import ERROR, INFO, WARNING


def ind(l1, l2, name, sign, value, unit, attr, score=None, content=None):
    d = {"一级指标": l1, "二级指标": l2, "三级指标": name, "指标性质": sign, "指标值": value, "度量单位": unit,
         "指标属性": attr, "评（扣）分标准": score, "指标内容": content}
    return {k: v for k, v in d.items() if v is not None}


# A clean project under the Yunnan frame: no finding at all, not even a 提示.
BASE = {
    "项目名称": "网络安全培训", "主管部门": "某区委宣传部", "实施单位": "某区委宣传部",
    "年度资金总额": 100, "财政拨款": 90, "其他资金": 10, "年度目标": "完成全区网络安全培训",
    "指标": [
        ind("产出指标", "数量指标", "培训人数", "≥", 60, "人", "定量指标", "40分，每少1人扣1分"),
        ind("产出指标", "质量指标", "培训合格率", "≥", 95, "%", "定量指标", "20分，达到得满分"),
        ind("产出指标", "时效指标", "培训完成时限", "≤", 12, "个月", "定量指标", "10分，按时完成得满分"),
        ind("效益指标", "社会效益指标", "网络安全意识", "定性", "显著", None, "定性指标", "20分，显著得满分"),
        ind("满意度指标", "服务对象满意度指标", "参训人员满意度", "≥", 90, "%", "定量指标", "10分，达到得满分"),
    ],
}
ROW = {"数量": 0, "质量": 1, "时效": 2, "社会效益": 3, "满意度": 4}


def findings(data, frame="yunnan-2022"):
    return perfbook.check(data, frame=frame).findings


def edit(rows=None, project=None, add=(), drop=()):
    """BASE with some indicator fields changed (None deletes), project fields changed, rows added/dropped."""
    d = copy.deepcopy(BASE)
    for key, changes in (rows or {}).items():
        row = d["指标"][ROW[key]]
        for k, v in changes.items():
            if v is None:
                row.pop(k, None)
            else:
                row[k] = v
    for k, v in (project or {}).items():
        if v is None:
            d.pop(k, None)
        else:
            d[k] = v
    d["指标"] = [r for i, r in enumerate(d["指标"]) if i not in {ROW[x] for x in drop}] + list(add)
    return d


def test_the_clean_project_has_no_finding_at_all():
    assert findings(BASE) == ()


def test_every_rule_has_a_check_and_every_error_a_formula():
    R.check_rules_complete()
    ids = [r.id for r in R.rules()]
    assert len(ids) == len(set(ids))
    assert {r.severity for r in R.rules()} <= {ERROR, WARNING, INFO}
    assert set(CASES) == set(ids), "each rule needs a failing and a passing case below"


SHENZHEN = [("产出", "数量"), ("产出", "质量"), ("产出", "时效"), ("产出", "成本"), ("效益", "经济效益"),
            ("效益", "社会效益"), ("效益", "生态效益"), ("效益", "可持续影响"), ("满意度", "服务对象满意度"),
            ("满意度", "其他满意度")]


def shenzhen(skip=()):
    rows = []
    for l1, l2 in SHENZHEN:
        if l2 in skip:
            continue
        if l2 in ("数量", "质量", "时效", "成本", "社会效益"):
            rows.append(ind(l1, l2, f"{l2}考核", "≤" if l2 == "成本" else "≥", 10, "万元" if l2 == "成本" else "个", None))
        else:
            rows.append({"一级指标": l1, "二级指标": l2, "三级指标": "不适用", "指标值": "不适用", "指标内容": "不适用"})
    return {"项目名称": "社区服务", "主管部门": "街道办", "实施单位": "街道办", "年度资金总额": 10, "年度目标": "服务居民",
            "指标": rows}


COST_ROW = ind("产出指标", "成本指标", "设备采购成本", "≤", 15, "万元", "定量指标")
CLASSIC = edit(add=[COST_ROW], rows={k: {"评（扣）分标准": None} for k in ROW})

def shenzhen_na(value):
    """The Shenzhen table, its 不适用 生态效益 row with this 目标值 (None: left blank)."""
    d = shenzhen()
    for r in d["指标"]:
        if r["二级指标"] == "生态效益":
            r.pop("指标值")
            if value is not None:
                r["指标值"] = value
    return d


# rule id → (data that makes it fire, the field it points at, data just on the passing side, frame)
CASES = {
    "required-field": (edit({"数量": {"三级指标": None}}), "三级指标", edit({"数量": {"三级指标": "培训人数"}}), None),
    "frame-pair": (edit({"数量": {"二级指标": "成本指标"}}), "二级指标", edit({"数量": {"一级指标": "产出", "二级指标": "数量"}}), None),
    "sign-valid": (edit({"数量": {"指标性质": "大约"}}), "指标性质", edit({"数量": {"指标性质": ">="}}), None),
    "value-embedded": (edit({"质量": {"指标值": "≥95%"}}), "指标值", edit({"质量": {"指标值": "95"}}), None),
    "value-numeric": (edit({"质量": {"指标值": "九十五"}}), "指标值", edit({"质量": {"指标值": "95.5"}}), None),
    "unit-required": (edit({"数量": {"度量单位": None}}), "度量单位",
                      edit({"数量": {"度量单位": None, "指标性质": "定性", "指标值": "较好", "指标属性": "定性指标"}}), None),
    "qual-comparator": (edit({"社会效益": {"指标值": "≥良好"}}), "指标值", edit({"社会效益": {"指标值": "良好以上"}}), None),
    "qual-special": (edit({"社会效益": {"指标值": "按时-完成"}}), "指标值", edit({"社会效益": {"指标值": "按时完成"}}), None),
    "placeholder": (edit({"数量": {"指标值": "XX"}}), "指标值", edit({"数量": {"指标值": 60}}), None),
    "satisfaction-over-100": (edit({"满意度": {"指标值": 120}}), "指标值", edit({"满意度": {"指标值": 100}}), None),
    "name-length": (edit({"数量": {"三级指标": "培" * 41}}), "三级指标", edit({"数量": {"三级指标": "培" * 40}}), None),
    "attr-valid": (edit({"数量": {"指标属性": "正向"}}), "指标属性", edit({"数量": {"指标属性": "定量"}}), None),
    "attr-sign-mismatch": (edit({"社会效益": {"指标性质": "＝"}}), "指标性质", edit({"社会效益": {"指标性质": "定性"}}), None),
    "unit-known": (edit({"数量": {"度量单位": "人/次/年天"}}), "度量单位", edit({"质量": {"度量单位": "百分比"}}), None),
    "satisfaction-shape": (edit({"满意度": {"指标性质": "定性", "指标值": "基本满意", "指标属性": "定性指标", "度量单位": None}}),
                           "指标值", edit({"满意度": {"指标性质": "＞", "指标值": 90}}), None),
    "satisfaction-low": (edit({"满意度": {"指标值": 80}}), "指标值", edit({"满意度": {"指标值": 85}}), None),
    "cost-sign": (edit(add=[dict(COST_ROW, 指标性质="≥")], rows={k: {"评（扣）分标准": None} for k in ROW}), "指标性质",
                  CLASSIC, "classic"),
    # the reviewer's .{15,}: 15 characters is long already
    "name-long": (edit({"数量": {"三级指标": "培" * 15}}), "三级指标", edit({"数量": {"三级指标": "培" * 14}}), None),
    # across 二级 too: the budget system refuses the same 三级 twice in one project
    "duplicate": (edit(add=[ind("产出指标", "质量指标", "培训人数", "≥", 30, "人", "定量指标")]), "三级指标",
                  edit(add=[ind("产出指标", "质量指标", "培训考核人数", "≥", 30, "人", "定量指标")]), None),
    "qual-disguised": (edit({"社会效益": {"指标值": "达到95%"}}), "指标值", edit({"社会效益": {"指标值": "明显"}}), None),
    "qual-vague": (edit({"社会效益": {"指标值": "得到提升"}}), "指标值", edit({"社会效益": {"指标值": "较好"}}), None),
    "qual-unit": (edit({"社会效益": {"度量单位": "%"}}), "度量单位", edit({"社会效益": {"度量单位": None}}), None),
    "timeliness-vague": (edit({"时效": {"指标性质": "定性", "指标值": "及时", "指标属性": "定性指标", "度量单位": None}}),
                         "指标值", edit({"时效": {"指标性质": "定性", "指标值": "12月底前完成", "指标属性": "定性指标",
                                              "度量单位": None}}), None),
    "misfiled": (edit({"社会效益": {"三级指标": "群众满意度"}}), "三级指标", edit({"社会效益": {"三级指标": "群众知晓度"}}), None),
    "stray-space": (edit({"数量": {"三级指标": "培训人数\t"}}), "三级指标", edit({"数量": {"三级指标": "培训 人数"}}), None),
    "required-project": (edit(project={"年度目标": None}), "年度目标", edit(project={"总体目标": None}), None),
    "funds-sum": (edit(project={"财政拨款": 80}), "年度资金总额", edit(project={"财政拨款": 89.95}), None),
    "required-group": (edit(drop=["时效"]), None, edit(add=[ind("效益指标", "经济效益指标", "增收", "≥", 5, "万元", "定量指标")]), None),
    "score-total": (edit({"数量": {"评（扣）分标准": "50分，每少1人扣1分"}}), "评（扣）分标准",
                    edit({"数量": {"评（扣）分标准": "40 分"}}), None),
    "na-row-missing": (shenzhen(skip=["生态效益"]), None, shenzhen(), "shenzhen-baoan"),
    "several-targets": (edit({"质量": {"指标值": "≥90% ≥90%"}}), "指标值", edit({"质量": {"指标值": 90}}), None),
    "value-cn-numeral": (edit({"社会效益": {"指标值": "≧两场"}}), "指标值", edit({"社会效益": {"指标值": "显著"}}), None),
    "na-misspelt": (edit(add=[ind("效益指标", "经济效益指标", "不适应", None, "不适应", None, None)]), "三级指标",
                    edit(add=[ind("效益指标", "经济效益指标", "不适用", None, "不适用", None, None)]), None),
    "na-with-value": (edit(add=[ind("效益指标", "经济效益指标", "不适用", "≥", 5, "万元", "定量指标")]), "指标值",
                      edit(add=[ind("效益指标", "经济效益指标", "不适用", None, "不适用", None, None)]), None),
    "cost-over-funds": (edit(add=[ind("产出指标", "成本指标", "培训总成本", "≤", 1200000, "元", "定量指标")]), "指标值",
                        edit(add=[ind("产出指标", "成本指标", "培训总成本", "≤", 800000, "元", "定量指标")]), "classic"),
    "basis-document": (edit(project={"立项依据": "为保障培训工作正常开展，设立本项目"}), "立项依据",
                       edit(project={"立项依据": "根据《某区网络安全培训办法》（某财〔2023〕5号）设立"}), None),
    "calc-basis": (edit(project={"测算依据": "用于开展网络安全培训"}), "测算依据",
                   edit(project={"测算依据": "讲课费 0.2万元/场 × 10 场 = 2万元"}), None),
    "funds-zero": (edit(project={"年度资金总额": 0, "财政拨款": 0, "其他资金": 0}), "年度资金总额", edit(), None),
    "funds-yuan": (edit(project={"年度资金总额": 1000000, "财政拨款": 900000, "其他资金": 100000}), "年度资金总额",
                   edit(), None),
    "money-units-mixed": (edit(add=[ind("产出指标", "成本指标", "培训总成本", "≤", 80, "万元", "定量指标"),
                                    ind("产出指标", "成本指标", "人均成本", "≤", 500, "元", "定量指标")]), "度量单位",
                          edit(add=[ind("产出指标", "成本指标", "培训总成本", "≤", 80, "万元", "定量指标")]), "classic"),
    "na-row-incomplete": (shenzhen_na(None), "指标值", shenzhen_na("不适用"), "shenzhen-baoan"),
    # needs a sheet with the field on it, left blank: tests/test_rule_cases.py runs its case on a Shenzhen sample
    "basis-required": None,
    # needs a form with no place for 财政拨款: tests/test_rule_cases.py runs its case on a budget-system export
    "funds-fiscal-missing": None,
}


@pytest.mark.parametrize("rule_id", CASES)
def test_rule_fires_on_its_mistake_and_not_on_the_fixed_value(rule_id):
    if CASES[rule_id] is None:
        pytest.skip("checked on a workbook in tests/test_rule_cases.py")
    bad, field, good, frame = CASES[rule_id]
    frame = frame or "yunnan-2022"
    hits = [f for f in findings(bad, frame) if f.rule == rule_id]
    assert hits, f"{rule_id} did not fire"
    rl = R.rule(rule_id)
    assert all(h.severity == rl.severity and h.message for h in hits)
    if field:   # data without a workbook has no cells: the message names the indicator instead
        assert all(h.project == bad["项目名称"] for h in hits)
    assert not [f for f in findings(good, frame) if f.rule == rule_id], f"{rule_id} fired on the passing case"


def test_value_embedded_suggests_the_split_and_replaces_value_numeric():
    f = findings(edit({"质量": {"指标值": "≥95%"}}))
    assert [x.rule for x in f] == ["value-embedded"]
    assert "“≥”" in f[0].fix and "“95”" in f[0].fix and "“%”" in f[0].fix
    f = findings(edit({"数量": {"指标值": "不超过15万元", "度量单位": None}}))
    assert {x.rule for x in f} == {"value-embedded", "unit-required"}
    assert "“≤”" in f[0].fix and "“15”" in f[0].fix and "万元" in f[0].fix


def test_a_placeholder_value_is_one_error_not_three():
    f = findings(edit({"数量": {"指标值": "**"}}))
    assert [x.rule for x in f] == ["placeholder"]
    f = findings(edit({"社会效益": {"指标值": "XX"}}))
    assert [x.rule for x in f] == ["placeholder"]


def test_attribute_decides_quantitative_and_a_mismatch_is_only_a_warning():
    """Seed 001's row "＝ 不定期 定性指标": 指标属性 is authoritative, the mismatch is a 警告."""
    d = edit({"数量": {"指标性质": "＝", "指标值": "不定期", "度量单位": "期", "指标属性": "定性指标"}})
    got = {(x.rule, x.severity) for x in findings(d)}
    assert ("attr-sign-mismatch", WARNING) in got and not any(s == ERROR for _r, s in got)
    # without 指标属性 the comparator decides: ＝ makes it 定量, and 不定期 is then not a number
    d["指标"][0].pop("指标属性")
    assert {x.rule for x in findings(d) if x.severity == ERROR} == {"value-numeric"}


def test_not_applicable_rows_need_no_sign_and_no_number():
    d = edit(add=[{"一级指标": "效益指标", "二级指标": "生态效益指标", "三级指标": "不适用", "指标值": "不适用"}])
    assert findings(d) == ()


def test_blank_first_level_means_same_as_above():
    d = edit({"质量": {"一级指标": None}, "时效": {"一级指标": None}})
    assert findings(d) == ()
    d = edit({"数量": {"一级指标": None}})   # nothing above the first row: its 数量 counts for no group
    assert [(x.rule, "一级指标" in x.message) for x in findings(d)] == [("required-field", True), ("required-group", False)]


def test_scores_sum_only_where_the_frame_scores():
    bad = edit({"数量": {"评（扣）分标准": "50分，每少1人扣1分"}})
    assert [x for x in findings(bad, "classic") if x.rule == "score-total"] == []
    f = [x for x in findings(bad) if x.rule == "score-total"]
    assert "110" in f[0].message
    assert R.score_of("12分，完成1期得1分") == 12 and R.score_of("完成得5分") is None and R.score_of(" 7.5 分") == 7.5


def test_a_header_field_has_its_place_whether_or_not_it_is_filled(tmp_path):
    """HASFIELD and PLACED ask the form, not the values: perfbook's template has a 财政拨款 cell left
    empty (the formula and the 校验 button see it too); a budget system's export that splits the fiscal
    funds into 上级/本级 rows has none."""
    from perfbook.rules._python import _has_field, _placed
    from perfbook.write.fill import fill
    from tests.conftest import SHARED, need_shared
    data = edit(project={"财政拨款": None})
    fill([data], tmp_path / "空.xlsx")
    own, = perfbook.read(tmp_path / "空.xlsx").projects
    assert own.funds_fiscal is None and own.cell("财政拨款") is None
    assert _has_field(own, "财政拨款") and _placed(own, "财政拨款") and _has_field(own, "年度资金总额")
    export, = perfbook.read(need_shared(SHARED / "samples" / "budget-system" / "gxxmjxmbsb.xls")).projects
    assert not _has_field(export, "财政拨款") and not _placed(export, "财政拨款")
    assert _has_field(export, "其他资金") and _placed(export, "其他资金")


def test_funds_tolerance_is_a_tenth_of_a_wan_yuan():
    assert not [x for x in findings(edit(project={"财政拨款": 89.9})) if x.rule == "funds-sum"]
    assert [x for x in findings(edit(project={"财政拨款": 89.85})) if x.rule == "funds-sum"]
    # only the total given: nothing to add up
    assert not [x for x in findings(edit(project={"财政拨款": None, "其他资金": None})) if x.rule == "funds-sum"]
    # a blank 财政拨款 on a form with its place is 0, and text adds up as 0 too (N()), as ever
    for fiscal in (None, "九十万"):
        got = {x.rule for x in findings(edit(project={"财政拨款": fiscal}))}
        assert "funds-sum" in got and "funds-fiscal-missing" not in got


def test_satisfaction_below_80_says_so():
    f = [x for x in findings(edit({"满意度": {"指标值": 70}})) if x.rule == "satisfaction-low"]
    assert "低于 80%" in f[0].message


# --- frames -------------------------------------------------------------------------------------------

def test_shipped_frames():
    known = FR.frames()
    assert {"yunnan-2022", "classic", "central-2022", "shenzhen-baoan"} <= set(known)
    y, a, b, sz = (known[k] for k in ("yunnan-2022", "classic", "central-2022", "shenzhen-baoan"))
    assert not any(l2.name == "成本指标" for l1 in y.level1 for l2 in l1.level2) and y.scored
    assert a.find2(a.find1("产出指标"), "成本指标") is not None
    assert b.find1("成本指标").find("经济成本指标") and b.find1("成本指标").find("生态环境成本指标")
    assert b.find2(b.find1("产出指标"), "成本指标") is None
    assert sz.find1("满意度").find("其他满意度") and sz.not_applicable_rows and "指标性质" not in sz.required_fields


def test_aliases_and_the_trailing_zhibiao():
    a = FR.get("classic")
    assert a.find1("产出") is a.find1("产出指标")
    assert a.find2(a.find1("满意度"), "满意度指标").name == "服务对象满意度指标"
    assert a.find2(a.find1("效益指标"), "环境效益指标").name == "生态效益指标"
    assert a.find2(a.find1("效益"), "社会效益").name == "社会效益指标"
    assert FR.norm_name(" 产出 指标") == "产出"


@pytest.mark.parametrize("frame,pairs", [
    ("yunnan-2022", [("产出指标", "数量指标"), ("产出指标", "质量指标"), ("产出指标", "时效指标"),
                     ("效益指标", "社会效益指标"), ("满意度指标", "服务对象满意度指标")]),
    ("classic", [("产出指标", "数量指标"), ("产出指标", "质量指标"), ("产出指标", "时效指标"), ("产出指标", "成本指标"),
                 ("效益指标", "社会效益指标"), ("满意度指标", "服务对象满意度指标")]),
    ("central-2022", [("成本指标", "经济成本指标"), ("产出指标", "数量指标"), ("产出指标", "质量指标"),
                      ("产出指标", "时效指标"), ("效益指标", "社会效益指标"), ("满意度指标", "服务对象满意度指标")]),
    ("shenzhen-baoan", SHENZHEN),
])
def test_the_frame_is_detected_from_the_names(frame, pairs):
    assert FR.detect(pairs)[0].id == frame


def test_a_bureau_adds_its_own_frame_without_code(tmp_path, monkeypatch):
    (tmp_path / "hebei.yaml").write_text(
        "id: hebei-2024\ntitle: 河北 2024\nlevel1:\n"
        "  - name: 产出指标\n    level2:\n      - {name: 数量指标, required: true}\n"
        "      - {name: 成本指标, required: true, category: 成本}\n"
        "  - name: 效益指标\n    min_total: 1\n    level2: [{name: 社会效益指标}]\n", encoding="utf-8")
    d = {"项目名称": "p", "主管部门": "x", "实施单位": "x", "年度资金总额": 10, "年度目标": "g", "指标": [
        ind("产出指标", "数量指标", "台数", "≥", 3, "台", "定量指标"),
        ind("产出指标", "成本指标", "单价", "≥", 3, "万元", "定量指标")]}
    with pytest.raises(perfbook.PerfbookError):
        perfbook.check(d, frame="hebei-2024")
    r = perfbook.check(d, frame="hebei-2024", frames_dir=tmp_path)
    assert r.frame == "hebei-2024"
    assert {x.rule for x in r.findings} == {"cost-sign", "required-group"}
    monkeypatch.setenv("PERFBOOK_FRAMES", str(tmp_path))
    assert perfbook.check(d, frame="hebei-2024").frame == "hebei-2024"


def test_unknown_frame_names_the_known_ones():
    with pytest.raises(perfbook.PerfbookError) as exc:
        perfbook.check(BASE, frame="nowhere")
    assert "yunnan-2022" in exc.value.zh


def test_units_and_glyph_spellings_come_from_data():
    assert "%" in R.units() and "百分比" in R.units_all() and "％" in R.units_all()
    assert R.is_percent("百分比") and R.is_percent("％") and not R.is_percent("‰")
    sp = dict(R.spellings())
    assert sp[">="] == "≥" and sp["≧"] == "≥" and sp["="] == "＝" and sp["定性"] == "定性"
