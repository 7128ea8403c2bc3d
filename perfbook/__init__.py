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

__version__ = "0.1.0"

# The public functions share their names with the modules that hold them (perfbook.fill is both).
# Binding them here, after the modules load, makes the function win for good: Python binds a
# submodule onto its package only when it first loads it.
from .errors import PerfbookError  # noqa: E402
from .model import Indicator, Project  # noqa: E402
from .findings import Finding, Report  # noqa: E402
from .fill import fill, new  # noqa: E402
from .reader import Book, read  # noqa: E402
from .dataframes import Frames, read_frame, read_frames  # noqa: E402
from .bulk import bulk  # noqa: E402
from .collect import collect  # noqa: E402

try:
    from .check import check  # noqa: E402
except ImportError:  # pragma: no cover - validation layer not present in this build
    def check(path, **kwargs):
        raise PerfbookError("校验模块不可用", "the validation module is not available")

from .cycle import monitor, selfeval  # noqa: E402

__all__ = ["fill", "new", "read", "check", "bulk", "collect", "selfeval", "monitor", "read_frame", "read_frames",
           "Frames", "Book", "Report", "Finding", "Project", "Indicator", "PerfbookError", "__version__"]
