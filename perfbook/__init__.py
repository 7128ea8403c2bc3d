"""perfbook — 项目绩效目标表 in Excel: fill the official template, read workbooks back, check them.

    import perfbook
    path = perfbook.fill("examples/seed-001.yaml", "out/seed-001.xlsx")
    book = perfbook.read(path)          # book.projects: always a tuple of Project
    report = perfbook.check(path)       # findings with rule id, severity and cell
    df = perfbook.read_frame("回收/")   # every workbook under a folder as one DataFrame of indicators
    perfbook.fill(df, "out/全部.xlsx")   # a DataFrame (one row per indicator) back into workbooks

Public names: fill, new, read, check, bulk, collect, read_frame, read_frames, Book, Report, Project,
Indicator, Finding, PerfbookError. Everything else is internal and may change.
"""
from __future__ import annotations

import importlib

# The public names load on first use (PEP 562 + a module class), so `perfbook --help` or `perfbook read`
# pays only for what it runs. They share their names with the modules that hold them (perfbook.fill is
# both): the import system binds a submodule onto its package when it loads it, so the names are data
# descriptors on the module's class, which win over that binding for good -- perfbook.fill is the function.
import sys as _sys  # noqa: E402
import types as _types  # noqa: E402

from ._version import __version__

_PUBLIC = {
    "PerfbookError": "errors", "Indicator": "model", "Project": "model", "Finding": "rules.findings",
    "Report": "rules.findings", "fill": "write.fill", "new": "write.fill", "Book": "readers.reader", "read": "readers.reader",
    "Frames": "batch.dataframes", "read_frame": "batch.dataframes", "read_frames": "batch.dataframes", "bulk": "batch.bulk",
    "collect": "batch.collect", "check": "rules.check", "monitor": "cycle", "selfeval": "cycle",
}


def _load(name: str):
    mod = importlib.import_module(f"{__name__}.{_PUBLIC[name]}")
    return mod.__dict__[name]


class _Package(_types.ModuleType):
    """perfbook itself: each public name a property that imports its module on first use."""


def _public(name: str) -> property:
    cache: dict = {}

    def get(_self):
        if name not in cache:
            cache[name] = _load(name)
        return cache[name]

    def put(_self, value):
        if not isinstance(value, _types.ModuleType):   # the import system binding the submodule: ignored
            cache[name] = value                        # anything else (a test's stand-in) is taken
    return property(get, put)


for _name in _PUBLIC:
    setattr(_Package, _name, _public(_name))
_sys.modules[__name__].__class__ = _Package


def __dir__():
    return sorted({*globals(), *_PUBLIC})


__all__ = ["fill", "new", "read", "check", "bulk", "collect", "selfeval", "monitor", "read_frame", "read_frames",
           "Frames", "Book", "Report", "Finding", "Project", "Indicator", "PerfbookError", "__version__"]
