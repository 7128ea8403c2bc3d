"""Issue 18: Indicator/Project.from_dict look each label's field up once (model._plans), coerce a plain
short text inline and build the frozen dataclass without its generated __init__ (model._build). Each
must give what the straightforward code gives: the reference below is that code as it was, run on random
dicts with missing values, NaN, numbers, long texts, line breaks, aliases, unknown and non-text labels."""
from __future__ import annotations

import dataclasses
import datetime
import math
import random
from decimal import Decimal

import pytest

from perfbook import _fields as F, model as M
from perfbook.errors import DataError
from perfbook.model import Indicator, Project


def _reference_kwargs(data: dict, lookup, skip: tuple = ()):
    """_Record._kwargs before issue 18: lookup and COERCE per key."""
    kwargs, extra, firsts = {}, [], {}
    for key, raw in data.items():
        if (raw.__class__ is not str and M.is_missing(raw)) or key in skip:
            continue
        spec = lookup(key)
        if spec is None:
            v = M._text(raw, key) if not isinstance(raw, (int, float)) or isinstance(raw, bool) else M.to_number(
                M._finite(raw, str(key)))       # since: ±Inf is refused (a number no cell holds), not an empty cell
            if v is not None:
                extra.append((str(key), v))
            continue
        v = M.COERCE[spec.type](raw, spec.label)
        if v is not None and kwargs.get(spec.name) is None:
            kwargs[spec.name] = v
        elif v is not None and kwargs[spec.name] != v:      # since: two labels of a field must agree
            first = next(str(k) for k in data if k in firsts and firsts[k] == spec.name)
            raise DataError(f"“{first}”和“{key}”是同一个字段，但填写不同（“{kwargs[spec.name]}”和“{v}”），请只保留正确的一个",
                            f"'{first}' and '{key}' are the same field but differ ({kwargs[spec.name]!r} vs {v!r}); "
                            "keep only the right one")
        firsts.setdefault(key, spec.name)
    return kwargs, extra


def _reference_indicator(data: dict, cells=(), row=None, raw=None):
    kwargs, extra = _reference_kwargs(data, F.indicator_field)
    return Indicator(**kwargs, extra=tuple(extra), cells=tuple(cells), row=row, raw=None if raw is None else tuple(raw))


def _reference_project(data: dict, **provenance):
    key, mkey = F.indicators_key(), F.midterm_key()
    inds = tuple(r if isinstance(r, Indicator) else _reference_indicator(r) for r in data.get(key) or [])
    mid = tuple(r if isinstance(r, Indicator) else _reference_indicator(r) for r in data.get(mkey) or ())
    kwargs, extra = _reference_kwargs(data, F.project_field, (key, mkey))
    return Project(**kwargs, indicators=inds, midterm=mid, extra=tuple(extra), **provenance)


def _labels(specs) -> list:
    out = []
    for s in specs:
        out += [s.label, *s.aliases]
    return out


def _value(rnd: random.Random):
    pick = rnd.randrange(16)
    if pick == 0:
        return None
    if pick == 1:
        return rnd.choice([float("nan"), float("inf"), -float("inf")])
    if pick == 2:
        return rnd.choice([0, 1, 95, -3, 2024, 10**20, True, False])
    if pick == 3:
        return rnd.choice([0.0, 95.5, 1e-7, 2024.0, 12.0, 1e16])
    if pick == 4:
        return rnd.choice([Decimal("1.50"), Decimal("3"), datetime.date(2024, 1, 2), datetime.datetime(2024, 1, 2, 3, 4)])
    if pick == 5:
        return "字" * rnd.choice([16383, 16384, 20000])           # at and past the inline limit, still fits
    if pick == 6:
        return rnd.choice(["", " ", "\u3000", "\t\n", "\r\n"])
    pieces = ["≥", "＝", "95", "%", "万元", " ", "\r\n", "\r", "\n", "项目", "2024年", "1,000", "00123", "a"]
    return "".join(rnd.choices(pieces, k=rnd.randint(1, 5)))


def _record(rnd: random.Random, labels: list) -> dict:
    keys = rnd.sample(labels, k=rnd.randint(0, min(len(labels), 14)))
    keys += rnd.sample(["备注", "自定义列", " 指标值 ", "指标值：", 7, 2.5, None, ("a", 1)], k=rnd.randint(0, 3))
    return {k: _value(rnd) for k in keys}


def _same(a, b) -> None:
    """Equal, with the same attributes in the same order and of the same types (codes stay text)."""
    assert a == b
    assert list(vars(a)) == list(vars(b))
    for name, v in vars(b).items():
        w = vars(a)[name]
        assert type(w) is type(v), name
        assert w == v or (isinstance(v, float) and math.isnan(v) and math.isnan(w)), name


def _same_or_same_error(fast, reference) -> None:
    """_same(fast(), reference()), or both refuse with the same DataError (a number no cell can hold)."""
    try:
        want = reference()
    except DataError as exc:
        with pytest.raises(DataError) as got:
            fast()
        assert (got.value.zh, got.value.en) == (exc.zh, exc.en)
        return
    _same(fast(), want)


def test_indicator_from_dict_is_the_straightforward_construction():
    rnd = random.Random(1818)
    labels = _labels(F.indicator_fields())
    for i in range(3000):
        data = _record(rnd, labels)
        cells = [(k, f"S!A{i}") for k in data if isinstance(k, str)]
        raw = [("三级指标", "x")] if i % 3 == 0 else None
        _same_or_same_error(lambda: Indicator.from_dict(data, cells=iter(cells), row=i, raw=raw),
                            lambda: _reference_indicator(data, cells, i, raw))


def test_project_from_dict_is_the_straightforward_construction():
    rnd = random.Random(18)
    labels = _labels(F.project_fields())
    ilabels = _labels(F.indicator_fields())
    for i in range(1500):
        data = _record(rnd, labels)
        if i % 2:
            data[F.indicators_key()] = [_record(rnd, ilabels) for _ in range(rnd.randint(0, 3))]
        if i % 5 == 0:
            data[F.midterm_key()] = [_record(rnd, ilabels)]
        provenance = {"source": f"f{i}.xlsx", "sheets": ("a",), "cells": (("项目名称", "a!B2"),)} if i % 3 else {}
        try:
            ref = _reference_project(data, **provenance)
        except DataError as want:              # ±Inf: the same refusal, word for word
            with pytest.raises(DataError) as got:
                Project.from_dict(data, **provenance)
            assert (got.value.zh, got.value.en) == (want.zh, want.en)
            continue
        p = Project.from_dict(data, **provenance)
        _same(p, ref)
        assert [list(vars(x)) for x in p.indicators] == [list(vars(x)) for x in ref.indicators]
        inds = (Indicator(name=f"n{i}"),)
        _same(p.with_indicators(list(inds)), dataclasses.replace(ref, indicators=inds))


def test_errors_are_the_same():
    too_long = "字" * (M.MAX_CELL_TEXT + 1)
    for build, ref in ((Indicator.from_dict, _reference_indicator), (Project.from_dict, _reference_project)):
        label = "三级指标" if build is Indicator.from_dict else "项目名称"
        with pytest.raises(DataError) as got:
            build({label: too_long})
        with pytest.raises(DataError) as want:
            ref({label: too_long})
        assert (got.value.zh, got.value.en) == (want.value.zh, want.value.en)
    for bad in ({"indicators": ()}, {"colour": "red"}):
        with pytest.raises(TypeError) as got:
            Project.from_dict({}, **bad)
        with pytest.raises(TypeError) as want:
            _reference_project({}, **bad)
        assert str(got.value) == str(want.value)


def test_a_dataclass_that_does_more_than_set_fields_is_built_by_its_init():
    """_build goes through cls(**values) for a __post_init__ (or a default_factory): nothing skipped."""
    @dataclasses.dataclass(frozen=True)
    class Checked:
        a: int = 0

        def __post_init__(self):
            if self.a < 0:
                raise ValueError("negative")

    @dataclasses.dataclass(frozen=True)
    class Listed:
        a: list = dataclasses.field(default_factory=list)

    with pytest.raises(ValueError):
        M._build(Checked, {"a": -1})
    assert M._build(Listed, {}) == Listed() and M._build(Listed, {}).a == []
    assert M._build(Indicator, {"name": "x"}) == Indicator(name="x")


def test_fields_yaml_names_the_dataclasses_fields_in_their_order(monkeypatch):
    M.check_specs_match()        # the fast paths (_defaults, _made) rely on it
    fields = F.indicator_fields()
    monkeypatch.setattr(F, "indicator_fields", lambda: (fields[0], *fields))     # a field named twice
    with pytest.raises(AssertionError):
        M.check_specs_match()
