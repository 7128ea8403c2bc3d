""""Did you mean": the closest known name to a mistyped one (an option, a frame, a field label)."""
from __future__ import annotations

import difflib
from typing import Callable, Iterable


def closest(word: str, choices: Iterable[str], key: Callable[[str], str] = str, cutoff: float = 0.6) -> str | None:
    """The choice most like word (compared through key), or None when none is close enough."""
    choices = list(choices)
    keys = [key(c) for c in choices]
    hit = difflib.get_close_matches(key(word), keys, n=1, cutoff=cutoff)
    return choices[keys.index(hit[0])] if hit else None


def hint(word: str, choices: Iterable[str], **kw) -> tuple[str, str]:
    """("；是否为“x”？", "; did you mean 'x'?") for the closest choice, or ("", "")."""
    c = closest(word, choices, **kw)
    return (f"；是否为“{c}”？", f"; did you mean '{c}'?") if c else ("", "")
