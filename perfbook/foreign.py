"""Workbooks perfbook did not make: find the indicator table and header fields by their labels."""
from __future__ import annotations

from .grid import Grid


def read_foreign(grid: Grid):
    """([(values, indicators, cells), ...], notes) for a sheet in a layout perfbook did not make."""
    from .reader import Note
    notes = []
    if any(True for _ in grid.nonempty()):
        notes.append(Note("unknown-sheet", "工作表布局无法识别，未读取", "sheet layout not recognised; not read", grid.name))
    return [], notes
