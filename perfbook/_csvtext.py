"""CSV cells that stay text: a spreadsheet program evaluates a CSV cell starting with = + - @ (and a tab
or carriage return in front of one), so such text is written with a leading apostrophe, as OWASP's
"CSV injection" advice says. Numbers are left as numbers."""
from __future__ import annotations

TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")


def cell(v):
    """The value as a CSV writer should get it."""
    if v is None:
        return ""
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return v
    s = str(v)
    return "'" + s if s.startswith(TRIGGERS) else s


def row(values) -> list:
    return [cell(v) for v in values]


def uncell(s: str) -> str:
    """The text cell() was given (for perfbook's own readers of its CSV)."""
    return s[1:] if s[:1] == "'" and s[1:2] in TRIGGERS and s[1:2] != "" else s
