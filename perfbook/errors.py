"""Errors that reach a user: always bilingual, always naming the file (and the cell, where there is one)."""
from __future__ import annotations

from pathlib import Path


class PerfbookError(Exception):
    """A problem with the user's input or environment, never a bug; the CLI prints it without a traceback."""

    def __init__(self, zh: str, en: str, path: str | Path | None = None, cell: str | None = None):
        self.zh, self.en = zh, en
        self.path = str(path) if path is not None else None
        self.cell = cell
        super().__init__(self.message())

    def where(self) -> str:
        parts = [p for p in (self.path, self.cell) if p]
        return "（" + "，".join(parts) + "）" if parts else ""

    def message(self) -> str:
        where = self.where()
        return f"{self.zh}{where}\n{self.en}{' (' + ', '.join(p for p in (self.path, self.cell) if p) + ')' if where else ''}"


class UnreadableWorkbook(PerfbookError):
    """The file is not a workbook perfbook can safely open (hostile, encrypted, corrupt, empty, unknown)."""


class DataError(PerfbookError):
    """Structured input (YAML/JSON/table) is missing a label or has an unusable value."""


class TemplateError(PerfbookError):
    """The template has no place for something, or its placeholders are malformed."""
