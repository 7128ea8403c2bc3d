"""perfbook — 项目绩效目标表 in Excel: fill the official template, read workbooks back, check them.

    import perfbook
    path = perfbook.fill("examples/seed-001.yaml", "out/seed-001.xlsx")
    book = perfbook.read(path)          # book.data == the YAML's data
    report = perfbook.check(path)       # findings with rule id, severity and cell
"""
from __future__ import annotations

from .errors import PerfbookError
from .model import Indicator, Project

__version__ = "0.1.0"
__all__ = ["fill", "new", "read", "check", "Project", "Indicator", "PerfbookError", "__version__"]


def fill(data, path, **kwargs):
    from .fill import fill as _fill
    return _fill(data, path, **kwargs)


def new(path, **kwargs):
    from .fill import new as _new
    return _new(path, **kwargs)


def read(path, **kwargs):
    from .reader import read as _read
    return _read(path, **kwargs)


def check(path, **kwargs):
    from .check import check as _check
    return _check(path, **kwargs)
