"""Write projects out as JSON, YAML or a flat CSV table, with the same labels the input uses."""
from __future__ import annotations

import csv
import datetime as _dt
import io
import json

import yaml

from . import fields as F
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
    """Project columns, then indicator columns: every official label in its fixed order (so the columns
    are the same for every file, empty or not), then extra labels in the order first met."""
    order_p = [s.label for s in F.project_fields()]
    order_i = [s.label for s in F.indicator_fields()]
    pcols: dict[str, None] = dict.fromkeys(order_p)
    icols: dict[str, None] = dict.fromkeys(order_i)
    for p in projects:
        for k in p.to_dict():
            if k != F.indicators_key():
                pcols.setdefault(k)
        for ind in p.indicators:
            for k in ind.to_dict():
                icols.setdefault(k)
    return list(pcols), list(icols)


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
    w.writerow(pcols + icols)
    for row in flat_rows(projects):
        w.writerow(["" if v is None else _plain(v) for v in row])
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
