"""read(fill(x)) == x over generated projects with the text officials really produce."""
from __future__ import annotations

from hypothesis import HealthCheck, example, given, settings, strategies as st

import perfbook
from perfbook import _fields as F
from perfbook.model import canonical
from perfbook.readers import reader

# what officials type: CJK, full-width symbols, formula-looking text, newlines, spaces, Excel's _x escapes
ODD = ["=SUM(A1)", "=1+1", "-5%", "+86", "@x", "≥95%", "＞", "（全角）", "《通知》", "_x0041_", "\n", "  ", "\t",
       "不超过15万元", "{{ 项目名称 }}", "'", '"', "&<>", "空", "XX", "**"]
ALPHABET = st.characters(
    codec="utf-8", exclude_categories=("Cs", "Cc"), exclude_characters="\r\ufffe\uffff") | st.sampled_from(list("\n\t"))
texts = st.one_of(
    st.text(ALPHABET, min_size=1, max_size=30),
    st.sampled_from(ODD),
    st.text(st.sampled_from("呈贡区网络舆情监测分析研判工作及外宣稿件统计，。；：、（）"), min_size=200, max_size=200),
    st.lists(st.sampled_from(ODD + ["数量", "指标", "95"]), min_size=1, max_size=5).map("".join),
)
numbers = st.one_of(st.integers(-10**12, 10**12), st.floats(-1e9, 1e9, allow_nan=False).filter(lambda f: f != 0 or True))
value = st.one_of(numbers, texts)
codes = st.from_regex(r"\A[0-9]{1,21}\Z") | st.from_regex(r"\A[0-9A-Z]{18}\Z")

PLACES = set(reader.load_template().field_labels())   # valid x: fields the template has a place for
INDICATOR_TEXT = [s.label for s in F.indicator_fields() if s.type in ("text",) and s.label not in ("一级指标", "二级指标", "三级指标")]


@st.composite
def indicators(draw):
    d = {"一级指标": draw(st.sampled_from(["产出指标", "效益指标", "满意度指标", "成本指标"]) | texts),
         "二级指标": draw(st.sampled_from(["数量指标", "质量指标", "时效指标", "社会效益指标"]) | texts),
         "三级指标": draw(texts.filter(lambda t: t.strip()))}   # valid x: every indicator is named
    for label in INDICATOR_TEXT:
        if draw(st.booleans()):
            d[label] = draw(texts)
    if draw(st.booleans()):
        d["指标性质"] = draw(st.sampled_from(["≥", "＞", "＝", "＜", "≤", "定性", ">=", "="]) | texts)
    if draw(st.booleans()):
        d["指标值"] = draw(value)
    return d


@st.composite
def projects(draw, max_indicators=12):
    d = {"项目名称": draw(texts)}
    for spec in F.project_fields():
        if spec.label == "项目名称" or spec.label not in PLACES or not draw(st.booleans()):
            continue
        if spec.type == "year":
            d[spec.label] = draw(st.integers(1990, 2100))
        elif spec.type == "number":
            d[spec.label] = draw(numbers)
        elif spec.type == "code":
            d[spec.label] = draw(codes)
        else:
            d[spec.label] = draw(texts)
    d["指标"] = draw(st.lists(indicators(), min_size=1, max_size=max_indicators))
    return d


def roundtrip(x, tmp_path):
    out = perfbook.fill(x, tmp_path / "p.xlsx")
    book = perfbook.read(out)
    assert book.data == canonical(x)
    assert book.unmapped == ()


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(x=projects())
@example(x={"项目名称": "=SUM(A1)", "预算年度": 2022, "实施期限": "（2022年-2024年）", "指标": [
    {"一级指标": "产出指标", "二级指标": "数量指标", "三级指标": "=1+1", "指标值": "-5%", "指标内容": "a\nb\n"}]})
@example(x={"项目名称": "年度", "预算年度": 2020, "总体目标": "", "指标": [
    {"一级指标": "产出指标", "二级指标": "数量指标", "三级指标": " ", "指标值": 0.1}]})
def test_read_fill_is_identity(x, tmp_path):
    roundtrip(x, tmp_path)


@settings(max_examples=1, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                                               HealthCheck.data_too_large, HealthCheck.large_base_example])
@given(x=projects(max_indicators=1).flatmap(
    lambda p: st.lists(indicators(), min_size=300, max_size=300).map(lambda inds: {**p, "指标": inds})))
def test_read_fill_is_identity_with_300_indicators(x, tmp_path):
    roundtrip(x, tmp_path)
