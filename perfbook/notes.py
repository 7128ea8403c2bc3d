"""Note: something a reader noticed, in its own module so that every reader (the template reader,
the foreign layouts, the cycle tables) can make one without importing another reader."""
from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Note"]


@dataclass(frozen=True)
class Note:
    """Something noticed while reading: an unmapped cell, macros present, a code stored as a number."""

    kind: str
    zh: str
    en: str
    sheet: str | None = None
    cell: str | None = None

    def where(self) -> str:
        return f"{self.sheet}!{self.cell}" if self.sheet and self.cell else (self.sheet or "")
