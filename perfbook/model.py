"""The data: a Project with its Indicators, as frozen dataclasses.

Dict form (what YAML/JSON/CSV files hold) uses the official Chinese labels as keys; dataclass
attributes are English. Construction canonicalises values (comparators to system glyphs, bare
numbers in 指标值 to numbers, codes to text) so that read(fill(x)) == x holds for canonical x.
"""
from __future__ import annotations

__all__ = ["Project", "Indicator"]

import datetime as _dt
import math
import re
from dataclasses import MISSING, dataclass, field, fields as dc_fields, replace
from decimal import Decimal
from typing import Any

from . import _fields as F
from ._comparators import canonical_sign, parse_number, to_number
from .errors import DataError

MAX_CELL_TEXT = 32767      # Excel's limit on the characters (UTF-16 units) of one cell
_SHORT = MAX_CELL_TEXT // 2  # a text no longer than this fits in a cell however it is encoded


def _missing(value: Any) -> bool:
    """None, or NaN (pandas' missing value, YAML's .nan, JSON's NaN, a database's NUMERIC 'NaN'): an empty
    cell, never a number. ±Inf is a value no cell can hold, refused by _finite, not an empty cell."""
    return value is None or (isinstance(value, float) and value != value) or (
        isinstance(value, Decimal) and value.is_nan())


def is_missing(value: Any) -> bool:
    """None, NaN (float, numpy or Decimal), pandas' NA and NaT: what a DataFrame, YAML's .nan or JSON's NaN
    hold for an empty cell — never a number. Checked by type name so that model.py needs no pandas import."""
    if value.__class__ is str:         # the common case (every CSV cell), decided first
        return False
    if _missing(value):
        return True
    return type(value).__name__ in ("NAType", "NaTType")


def _text(value: Any, label: str) -> str | None:
    if value.__class__ is str:         # a cell's text, the common case: nothing to convert
        if "\r" in value:
            value = value.replace("\r\n", "\n").replace("\r", "\n")
    else:
        if isinstance(value, (list, tuple, dict, set, frozenset)):     # a data file's nesting: a cell holds one value
            kind = "对象" if isinstance(value, dict) else "列表"
            raise DataError(f"“{label}”应为一个值（文本或数字），不是{kind}：{str(value)[:40]}",
                            f"'{label}' must be one value (text or a number), not a {type(value).__name__}")
        value = _as_text(value)
        if value is None:
            return None
    # control characters (a Word soft line break U+000B ...) are kept: the writer escapes them as _xHHHH_
    # at most 2 UTF-16 units per character: only a long text needs counting
    units = len(value) if len(value) <= _SHORT else len(value.encode("utf-16-le", "surrogatepass")) // 2
    if units > MAX_CELL_TEXT:
        raise DataError(
            f"“{label}”有 {units} 个字符，超过 Excel 单元格上限 {MAX_CELL_TEXT}：“{value[:20]}…”",
            f"'{label}' has {units} characters, more than the {MAX_CELL_TEXT} an Excel cell holds",
        )
    # a cell holding only spaces (an official's stray space, a blank form's gap) is an empty cell
    return value if value.strip() else None


def _indicator(row, i: int, key: str) -> "Indicator":
    if not isinstance(row, dict):
        raise DataError(f"“{key}”的第{i}项应为键值对象（一级指标: …）",
                        f"item {i} of '{key}' must be a mapping (一级指标: …), not a {type(row).__name__}")
    return Indicator.from_dict(row)


def _as_text(value: Any) -> str | None:
    """Any value but a plain str as the text _text checks (None for a missing one)."""
    if is_missing(value):
        return None
    if isinstance(value, bool):
        value = "是" if value else "否"
    elif isinstance(value, float):
        value = str(to_number(value))
    elif isinstance(value, (_dt.datetime, _dt.date)):
        value = value.isoformat() if not isinstance(value, _dt.datetime) or value.time() != _dt.time() else value.date().isoformat()
    elif isinstance(value, Decimal):
        value = format(value, "f")
    return str(value).replace("\r\n", "\n").replace("\r", "\n")


def _finite(value, label: str):
    """value, when a cell can hold it: a workbook stores a number as a double, so ±Inf (YAML's .inf, a
    DataFrame's division by zero, a database's NUMERIC 'Infinity') and anything past a double's range
    are refused naming the field -- they were once read as an empty cell, a value typed and lost."""
    try:
        if math.isfinite(value):
            return value
    except OverflowError:               # an int too large to be a double
        pass
    shown = format(Decimal(value), ".3e") if isinstance(value, int) else str(value)
    raise DataError(f"“{label}”的数值 {shown} 超出单元格能保存的范围（Excel 只保存有限的数，绝对值小于 1.8e308）",
                    f"'{label}': {shown} is not a number a cell can hold (a workbook stores finite numbers below 1.8e308)")


def _number(value: Any, label: str):
    if _missing(value):
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return to_number(_finite(value, label))
    if isinstance(value, Decimal):
        _finite(value, label)
        return to_number(float(value)) if value != value.to_integral_value() else int(value)
    text = _text(value, label)
    if text is None:
        return None
    num = parse_number(text.strip().replace(",", "")) if text.strip() == text else None
    return num if num is not None else text


def _code(value: Any, label: str):
    if isinstance(value, float) and value.is_integer():
        value = format(Decimal(value), "f")  # a code that was stored as a number: keep every digit left
    elif isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    return _text(value, label)


def _value(value: Any, label: str):
    """指标值: a bare number becomes a number, anything else stays text exactly as typed."""
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return _number(value, label)
    text = _text(value, label)
    if text is None:
        return None
    num = parse_number(text)
    return num if num is not None else text


def _sign(value: Any, label: str):
    text = _text(value, label)
    if text is None:
        return None
    return canonical_sign(text) or text


def _year(value: Any, label: str):
    v = _number(value, label)
    if isinstance(v, str):
        m = re.fullmatch(r"\s*(\d{4})\s*年?\s*", v)
        return int(m.group(1)) if m else v
    return v


COERCE = {"text": _text, "code": _code, "number": _number, "year": _year, "value": _value, "sign": _sign}


def coerce(spec: F.FieldSpec | None, value: Any, label: str):
    return COERCE[spec.type if spec else "text"](value, label)


_UNSEEN = object()
_PLANS: dict = {}          # lookup -> {label: (field name, coercer, official label) or None}
MAX_PLANS = 4096           # labels remembered per lookup (a data file's own columns are unbounded)


def _plans(lookup) -> dict:
    """The labels already looked up with lookup: one dict look-up per key instead of label_key + alias map
    + COERCE (fields.yaml is read once per process, so a label's field never changes)."""
    plans = _PLANS.get(lookup)
    if plans is None:
        plans = _PLANS[lookup] = {}
    return plans


def _plan(lookup, key):
    """(field name, coercer, official label) of the field key names, None for a label no field takes."""
    spec = lookup(key)
    return None if spec is None else (spec.name, COERCE[spec.type], spec.label)


def _remember(plans: dict, lookup, key):
    """_plan of a label not looked up before, kept in plans (emptied first when it is full)."""
    if len(plans) >= MAX_PLANS:
        plans.clear()
    plan = plans[key] = _plan(lookup, key)
    return plan


def indicator_plan(label: str):
    """(field name, coercer, official label) of the indicator field label names, None for none: what
    Indicator._from_planned takes for each of a reader's columns, looked up once."""
    plans = _plans(F.indicator_field)
    plan = plans.get(label, _UNSEEN)
    return _remember(plans, F.indicator_field, label) if plan is _UNSEEN else plan


def _coerced(items) -> tuple[dict, list]:
    """_Record._kwargs for (plan, key, raw) items: missing values left out, each value coerced by its
    field's coercer (two labels of one field must agree: _twice), the rest as extra columns."""
    kwargs: dict[str, Any] = {}
    extra: list[tuple[str, Any]] = []
    for plan, key, raw in items:
        if raw.__class__ is not str and is_missing(raw):
            continue
        if plan is None:
            v = _text(raw, key) if not isinstance(raw, (int, float)) or isinstance(raw, bool) else to_number(
                _finite(raw, str(key)))
            if v is not None:
                extra.append((str(key), v))
            continue
        name, convert, label = plan
        if convert is _text and raw.__class__ is str and len(raw) <= _SHORT and "\r" not in raw:
            v = raw if raw.strip() else None     # _text(raw, label) of a plain short text, inline
        else:
            v = convert(raw, label)      # coerce(spec, ...), spec known
        if v is not None:
            if name not in kwargs:                    # kwargs holds no None
                kwargs[name] = v
            elif kwargs[name] != v:
                raise _twice(items, name, kwargs[name], key, v)
    return kwargs, extra


def _twice(items, name: str, first, key, v) -> DataError:
    """Two labels of one field (指标值 and its alias 年度指标值) with different values: which is right is the
    official's call -- neither is dropped without a word."""
    a = next(str(k) for plan, k, _raw in items if plan is not None and plan[0] == name)
    return DataError(f"“{a}”和“{key}”是同一个字段，但填写不同（“{first}”和“{v}”），请只保留正确的一个",
                     f"'{a}' and '{key}' are the same field but differ ({first!r} vs {v!r}); keep only the right one")


_DEFAULTS: dict[type, dict | None] = {}


def _defaults(cls) -> dict | None:
    """Every field of dataclass cls -> its default, in field order; None when cls(**values) does more
    than set them (a __post_init__, a default_factory, a field left out of __init__, no default)."""
    if cls in _DEFAULTS:
        return _DEFAULTS[cls]
    fs = dc_fields(cls)
    plain = not hasattr(cls, "__post_init__") and "__slots__" not in cls.__dict__ and all(
        f.init and f.default is not MISSING and f.default_factory is MISSING for f in fs) and {
        s.name for s in getattr(cls, "_specs", ())} <= {f.name for f in fs}   # from_dict's names all fields
    out = {f.name: f.default for f in fs} if plain else None
    _DEFAULTS[cls] = out
    return out


def _build(cls, values: dict):
    """cls(**values), the same object (same attributes in the same order), without the generated __init__'s
    one object.__setattr__ per field (half of an Indicator's construction): the dataclasses here check
    nothing when built. Anything but known field names goes through cls(**values), for its TypeError."""
    defaults = _defaults(cls)
    if defaults is None or not values.keys() <= defaults.keys():
        return cls(**values)
    return _made(cls, defaults, values)


def _made(cls, defaults: dict, values: dict):
    """The object cls(**values) builds, for field names only: its __dict__ set whole, in field order."""
    obj = object.__new__(cls)
    object.__setattr__(obj, "__dict__", {**defaults, **values})
    return obj


class _Record:
    """Shared dict conversion for Project and Indicator, driven by the field specs."""

    _specs: tuple[F.FieldSpec, ...] = ()
    extra: tuple[tuple[str, Any], ...]       # declared by Project and Indicator: the columns no field takes

    @classmethod
    def _kwargs(cls, data: dict, lookup, skip: tuple = ()) -> tuple[dict, list]:
        """(field name -> value, [(label, value) no field takes]), leaving out the keys in skip."""
        plans = _plans(lookup)
        items = []
        for key, raw in data.items():
            if (raw.__class__ is not str and is_missing(raw)) or key in skip:     # no label looked up for these
                continue
            plan = plans.get(key, _UNSEEN) if key.__class__ is str else _plan(lookup, key)
            if plan is _UNSEEN:
                plan = _remember(plans, lookup, key)
            items.append((plan, key, raw))
        return _coerced(items)

    def get(self, label: str, default=None):
        for spec in self._specs:
            if spec.label == label:
                v = getattr(self, spec.name)
                return default if v is None else v
        return dict(self.extra).get(label, default)

    def _items(self):
        for spec in self._specs:
            v = getattr(self, spec.name)
            if v is not None:
                yield spec.label, v
        yield from self.extra


@dataclass(frozen=True)
class Indicator(_Record):
    """One 三级指标 row with its 一级/二级 path."""

    level1: str | None = None
    level2: str | None = None
    name: str | None = None
    sign: str | None = None
    value: Any = None
    unit: str | None = None
    attr: str | None = None
    eval_std: str | None = None
    content: str | None = None
    basis: str | None = None
    extra: tuple[tuple[str, Any], ...] = ()
    # where it was read from: label -> "Sheet!C12"; not part of the data
    cells: tuple[tuple[str, str], ...] = field(default=(), compare=False, repr=False)
    row: int | None = field(default=None, compare=False, repr=False)
    # the cells' text as typed, label -> text, when the reader cleaned it (stray spaces, line breaks):
    # None when every text is kept as typed (perfbook's own layout, data files); not part of the data
    raw: tuple[tuple[str, str], ...] | None = field(default=None, compare=False, repr=False)

    @classmethod
    def from_dict(cls, data: dict, cells=(), row=None, raw=None) -> "Indicator":
        return cls._from_planned(*cls._kwargs(data, F.indicator_field), cells, row, raw)

    @classmethod
    def _from_cells(cls, items: list, cells, row) -> "Indicator":
        """from_dict({label: value}, cells, row) for items (indicator_plan(label), label, value) with no
        label twice: a reader that knows each column's field (read_shaped) builds no dict to look up."""
        return cls._from_planned(*_coerced(items), cells, row, None)

    @classmethod
    def _from_planned(cls, kwargs: dict, extra: list, cells, row, raw) -> "Indicator":
        kwargs["extra"], kwargs["cells"], kwargs["row"] = tuple(extra), tuple(cells), row
        kwargs["raw"] = None if raw is None else tuple(raw)
        defaults = _defaults(cls)
        if defaults is None:
            return cls(**kwargs)
        return _made(cls, defaults, kwargs)   # _build without its check: _defaults checked the specs' names

    def to_dict(self) -> dict:
        return dict(self._items())

    def is_empty(self) -> bool:
        return not self.to_dict()

    def cell(self, label: str) -> str | None:
        return dict(self.cells).get(label)

    def typed(self, label: str):
        """A field as the cell showed it: the raw text when the reader cleaned it, else the value."""
        if self.raw is not None:
            return dict(self.raw).get(label)
        return self.get(label)


Indicator._specs = F.indicator_fields()


@dataclass(frozen=True)
class Project(_Record):
    """One project: the header fields, the 项目概况 texts and the indicator tree (flattened to rows)."""

    code: str | None = None
    name: str | None = None
    department: str | None = None
    implementer: str | None = None
    year: Any = None
    period: str | None = None
    funds_total: Any = None
    funds_fiscal: Any = None
    funds_other: Any = None
    goal_overall: str | None = None
    goal_year: str | None = None
    basis: str | None = None
    calc_basis: str | None = None
    org_name: str | None = None
    org_code: str | None = None
    address: str | None = None
    phone: str | None = None
    legal_rep: str | None = None
    fund_source: str | None = None
    org_profile: str | None = None
    overview: str | None = None
    content: str | None = None
    funding_plan: str | None = None
    schedule: str | None = None
    outcomes: str | None = None
    indicators: tuple[Indicator, ...] = ()
    # the 中期/长期 indicator set of a form that has one (never the annual values)
    midterm: tuple[Indicator, ...] = ()
    extra: tuple[tuple[str, Any], ...] = ()
    # provenance, not data: file, sheet names, label -> cell address
    source: str | None = field(default=None, compare=False, repr=False)
    sheets: tuple[str, ...] = field(default=(), compare=False, repr=False)
    cells: tuple[tuple[str, str], ...] = field(default=(), compare=False, repr=False)
    # what the reader saw of each sheet's layout (perfbook.readers._sheetlayout.Layout), in sheet order
    layouts: tuple = field(default=(), compare=False, repr=False)

    @classmethod
    def from_dict(cls, data: dict, **provenance) -> "Project":
        if not isinstance(data, dict):
            raise DataError("项目数据应为键值对象", f"a project must be a mapping, got {type(data).__name__}")
        key = F.indicators_key()
        rows = data.get(key) or []
        if not isinstance(rows, (list, tuple)):
            raise DataError(f"“{key}”应为列表", f"'{key}' must be a list of indicators")
        inds = tuple(r if isinstance(r, Indicator) else _indicator(r, i, key) for i, r in enumerate(rows, 1))
        mkey = F.midterm_key()
        mids = data.get(mkey) or ()
        if not isinstance(mids, (list, tuple)):
            raise DataError(f"“{mkey}”应为列表", f"'{mkey}' must be a list of indicators")
        mid = tuple(r if isinstance(r, Indicator) else _indicator(r, i, mkey) for i, r in enumerate(mids, 1))
        kwargs, extra = cls._kwargs(data, F.project_field, (key, mkey))
        fixed: dict[str, Any] = {"indicators": inds, "midterm": mid, "extra": tuple(extra)}
        if provenance.keys() & fixed.keys():      # the same TypeError as ever
            return cls(**kwargs, **fixed, **provenance)
        return _build(cls, {**kwargs, **fixed, **provenance})

    def header_dict(self) -> dict:
        """to_dict without the indicators: what names and warnings need, without making every indicator a dict."""
        out = dict(self._items())
        if self.midterm:
            out[F.midterm_key()] = [i.to_dict() for i in self.midterm]
        return out

    def to_dict(self) -> dict:
        out = dict(self._items())
        if self.indicators:
            out[F.indicators_key()] = [i.to_dict() for i in self.indicators]
        if self.midterm:
            out[F.midterm_key()] = [i.to_dict() for i in self.midterm]
        return out

    def with_indicators(self, indicators) -> "Project":
        """replace(self, indicators=...), through _build: every reader's project is made so."""
        defaults = _defaults(Project)
        if defaults is None or type(self) is not Project or self.__dict__.keys() != defaults.keys():
            return replace(self, indicators=tuple(indicators))
        return _build(Project, {**self.__dict__, "indicators": tuple(indicators)})

    def cell(self, label: str) -> str | None:
        return dict(self.cells).get(label)

    def layout(self, sheet: str | None = None):
        """The layout of one of the project's sheets (the first, by default); None for data files."""
        return next((x for x in self.layouts if x is not None and (sheet is None or x.sheet == sheet)), None)

    def __repr__(self) -> str:
        # the generated repr prints every text and indicator (tens of kilobytes for a real project)
        code = f"code={self.code!r}, " if self.code else ""
        return f"Project({code}name={self.name!r}, {len(self.indicators)} indicators)"


Project._specs = F.project_fields()


def canonical(data):
    """The canonical dict form of one project dict or a list of them."""
    if isinstance(data, list):
        return [Project.from_dict(d).to_dict() for d in data]
    return Project.from_dict(data).to_dict()


def check_specs_match() -> None:
    """fields.yaml and the dataclasses must name the same fields (a test calls this)."""
    for cls, specs in ((Project, F.project_fields()), (Indicator, F.indicator_fields())):
        provenance = ("indicators", "midterm", "extra", "cells", "row", "raw", "source", "sheets", "layouts")
        attrs = [f.name for f in dc_fields(cls) if f.name not in provenance]
        assert attrs == [s.name for s in specs], (cls.__name__, attrs, [s.name for s in specs])
