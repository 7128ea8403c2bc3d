"""Write projects out as JSON, YAML or a flat CSV table, with the same labels the input uses."""
from __future__ import annotations

import csv
import datetime as _dt
import io
import json

import yaml

from . import fields as F
from .csvtext import row as csv_row
from .model import Project


def _plain(v):
    if isinstance(v, (_dt.date, _dt.datetime)):
        return v.isoformat()
    return v


def to_json(data) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, default=_plain) + "\n"


def to_yaml(data) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000)


def flat_columns(projects: list[Project]) -> tuple[list[str], list[str]]:
    """Project columns, then indicator columns: official order first, extra labels after."""
    pcols: dict[str, None] = {}
    icols: dict[str, None] = {}
    for p in projects:
        d = p.to_dict()
        for k in d:
            if k != F.indicators_key():
                pcols.setdefault(k)
        for ind in p.indicators:
            for k in ind.to_dict():
                icols.setdefault(k)
    order_p = [s.label for s in F.project_fields()]
    order_i = [s.label for s in F.indicator_fields()]
    key = lambda order: (lambda k: (order.index(k) if k in order else len(order)))  # noqa: E731
    return sorted(pcols, key=key(order_p)), sorted(icols, key=key(order_i))


def flat_rows(projects: list[Project]):
    pcols, icols = flat_columns(projects)
    for p in projects:
        d = p.to_dict()
        base = [d.get(k) for k in pcols]
        if not p.indicators:
            yield base + [None] * len(icols)
        for ind in p.indicators:
            di = ind.to_dict()
            yield base + [di.get(k) for k in icols]


def to_csv(projects: list[Project]) -> str:
    pcols, icols = flat_columns(projects)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(csv_row(pcols + icols))
    for row in flat_rows(projects):
        w.writerow(csv_row(_plain(v) for v in row))     # "=…" stays text in Excel (CSV injection)
    return buf.getvalue()


def dump(projects: list[Project], fmt: str) -> str:
    data = [p.to_dict() for p in projects]
    one = data[0] if len(data) == 1 else data
    if fmt == "json":
        return to_json(one)
    if fmt == "yaml":
        return to_yaml(one)
    if fmt == "csv":
        return to_csv(projects)
    raise ValueError(fmt)
