"""Note: something a reader noticed, in its own module so that every reader (the template reader,
the foreign layouts, the cycle tables) can make one without importing another reader."""
from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Note", "conflicting"]


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


def conflicting(notes: list, label: str, kept, kept_at: str | None, other, at: str) -> None:
    """A note when two cells give one field different values (text compared as shown, numbers as numbers):
    the first is read, the other named beside it -- which is right is the official's call."""
    a, b = str(kept).strip(), str(other).strip()
    if a == b or not b or (_as_number(a) is not None and _as_number(a) == _as_number(b)):
        return
    sheet, _, cell = at.rpartition("!")
    first = kept_at or "另一处"
    notes.append(Note("conflict", f"“{label}”在 {first} 为“{a[:40]}”，在此处为“{b[:40]}”，两处不一致；按 {first} 读取",
                      f"'{label}' is {a[:40]!r} at {first} but {b[:40]!r} here; read as at {first}",
                      sheet or None, cell or None))


def _as_number(text: str):
    try:
        return float(text.replace(",", ""))
    except ValueError:
        return None
