"""部门整体支出绩效目标表: a department's whole-budget target table, a table kind of its own.

It has no 项目名称 / 实施单位: its header names the department (部门名称), the year's main tasks
(年度主要任务: 任务名称 / 主要内容 / 预算金额) and the year's overall goal (年度总体目标), above an
indicator table read like a project's. The foreign reader reads its labels with the project aliases;
from_values maps them onto the department's own labels (department_fields in fields.yaml).
"""
from __future__ import annotations

__all__ = ["Department", "Task"]

from dataclasses import dataclass, field
from functools import cache
from typing import Any

from . import _fields as F
from .model import Indicator, _Record, coerce


@cache
def department_fields() -> tuple[F.FieldSpec, ...]:
    return F._specs("department")


@cache
def _from_project() -> dict[str, F.FieldSpec]:
    """Project label the reader used -> department field (主管部门 -> 部门名称, 年度目标 -> 年度总体目标)."""
    out: dict[str, F.FieldSpec] = {}
    for spec in department_fields():
        for name in (spec.label, *spec.aliases):
            p = F.project_field(name)
            out.setdefault(p.label if p else name, spec)
    return out


def department_field(label: str) -> F.FieldSpec | None:
    p = F.project_field(label)
    return _from_project().get(p.label if p else label) or _from_project().get(label)


@dataclass(frozen=True)
class Task:
    """One row of 年度主要任务."""

    name: str | None = None          # 任务名称
    content: str | None = None       # 主要内容
    amount: Any = None               # 预算金额 (总额)
    extra: tuple[tuple[str, Any], ...] = ()

    LABELS = ("任务名称", "主要内容", "预算金额")

    @classmethod
    def from_dict(cls, d: dict) -> "Task":
        name, content, amount = (d.get(k) for k in cls.LABELS)
        return cls(name, content, amount, tuple((k, v) for k, v in d.items() if k not in cls.LABELS))

    def to_dict(self) -> dict:
        out = {k: v for k, v in zip(self.LABELS, (self.name, self.content, self.amount)) if v is not None}
        out.update(self.extra)
        return out


@dataclass(frozen=True)
class Department(_Record):
    name: str | None = None
    code: str | None = None
    year: Any = None
    funds_total: Any = None
    funds_fiscal: Any = None
    funds_other: Any = None
    duties: str | None = None
    goal_year: str | None = None
    goal_overall: str | None = None
    tasks: tuple[Task, ...] = ()
    indicators: tuple[Indicator, ...] = ()
    midterm: tuple[Indicator, ...] = ()
    extra: tuple[tuple[str, Any], ...] = ()
    source: str | None = field(default=None, compare=False, repr=False)
    sheets: tuple[str, ...] = field(default=(), compare=False, repr=False)
    cells: tuple[tuple[str, str], ...] = field(default=(), compare=False, repr=False)
    layouts: tuple = field(default=(), compare=False, repr=False)     # perfbook.readers._sheetlayout.Layout per sheet

    kind = "department"
    TASKS_KEY = "年度主要任务"

    @classmethod
    def from_values(cls, values: dict, indicators=(), **provenance) -> "Department":
        """From the reader's label/value dict (project aliases) and its indicator rows."""
        data = {}
        extra = []
        for k, v in values.items():
            if k in (F.indicators_key(), F.midterm_key(), cls.TASKS_KEY):
                continue
            spec = department_field(k)
            if spec is not None and spec.name not in data:
                data[spec.name] = v
            elif v is not None and not isinstance(v, list):
                extra.append((k, v))
        kwargs = {name: coerce(next(s for s in department_fields() if s.name == name), v, name)
                  for name, v in data.items()}
        cells = tuple((known.label if (known := department_field(k)) else k, a) for k, a in provenance.pop("cells", ()))
        return cls(**kwargs, tasks=tuple(Task.from_dict(t) for t in values.get(cls.TASKS_KEY) or ()),
                   indicators=tuple(indicators), midterm=tuple(values.get(F.midterm_key()) or ()),
                   extra=tuple(extra), cells=cells, **provenance)

    def to_dict(self) -> dict:
        out = dict(self._items())
        if self.tasks:
            out[self.TASKS_KEY] = [t.to_dict() for t in self.tasks]
        if self.indicators:
            out[F.indicators_key()] = [i.to_dict() for i in self.indicators]
        if self.midterm:
            out[F.midterm_key()] = [i.to_dict() for i in self.midterm]
        return out

    def cell(self, label: str) -> str | None:
        return dict(self.cells).get(label)


Department._specs = department_fields()
