"""Where bulk's workers come from, decided before anything heavy is imported.

On Linux bulk forks them from its own process once it has compiled the template (forks: nothing to start
here). Elsewhere they come from a fork server, which imports perfbook and compiles the template
(perfbook/batch/_warm.py) on the other core while this process imports the rest and reads the master's
first pass, so the first workers are ready when the first workbooks are. The command line starts it from
here, before it imports the bulk engine (~0.1 s); bulk() starts it too (a second call is a no-op), for
callers of the Python API. Stdlib only.

Where bulk forks, the command line starts the master's first pass from here (index_early): in a child that
imports only what the pass needs, while this process imports the engine and compiles the template, so the
pass is done about when they are. bulk() takes the child (taken) when it asks for the same pass.
"""
from __future__ import annotations

import os
from pathlib import Path

from . import _parallel

# Below this many workbooks one process is faster than starting workers (bench/run.py measures the
# break-even: fixed cost of a warm pool over the per-workbook saving of a second core).
SMALL_RUN = 150


def is_csv(path: Path) -> bool:
    return path.suffix.lower() in (".csv", ".txt")


def likely_large(master) -> bool:
    """Enough projects that worker processes pay (SMALL_RUN), judged before the master is read: by count,
    by a CSV's lines (at ~12 indicator rows per project; a blank-form master below that is simply not
    warmed early, its workers compile for themselves), or by an xlsx's size."""
    if isinstance(master, (list, tuple)):
        return len(master) >= SMALL_RUN
    try:
        p = Path(master)
        if not is_csv(p):
            return p.stat().st_size >= SMALL_RUN * 3000
        lines = 0
        with open(p, "rb") as fh:
            while (chunk := fh.read(1 << 20)) and lines < SMALL_RUN * 12:
                lines += chunk.count(b"\n")
        return lines >= SMALL_RUN * 12
    except (TypeError, OSError):
        return False


def forks(plan: _parallel.Plan) -> bool:
    """bulk's workers are forked from its own process unless the plan says otherwise or the platform cannot."""
    return plan.fork is not False and _parallel.can_fork()


def start(master, plan: _parallel.Plan, *, template=None, frame: str | None = None, macros: bool = False,
          kind: str = "target") -> None:
    """Start the fork server, warmed with this run's template, when the run will use local workers that
    do not come straight from this process (bulk forks them from itself where it can: _parallel.can_fork)."""
    if plan.executor == "local" and plan.workers > 1 and not forks(plan) and likely_large(master):
        _parallel.start_early({"template": str(Path(template).resolve()) if template else None, "frame": frame,
                               "macros": macros, "kind": kind})


_pending: dict[tuple, _parallel.Aside] = {}


def _key(master, per_project: bool, pattern: str) -> tuple:
    return (os.path.abspath(master), per_project, pattern)


def index_early(master, plan: _parallel.Plan, *, per_project: bool, pattern: str) -> None:
    """The first pass of a large CSV master (batch/_master.py: index) in a forked child, now. Only where bulk
    forks its workers and would do the pass aside anyway (bulk._index_aside); the child dies with this
    process, and what it cannot give, bulk works out again (Aside)."""
    if (plan.executor == "local" and plan.workers > 1 and forks(plan) and isinstance(master, (str, Path))
            and is_csv(Path(master)) and likely_large(master)):
        _pending[_key(master, per_project, pattern)] = _parallel.Aside(_index, str(master), per_project, pattern)


def _index(master: str, per_project: bool, pattern: str):
    """In the child: the pass bulk would make (None when the pattern does not parse: bulk then never asks)."""
    from . import _master, _names
    names = _names.pattern_fields(pattern)
    return None if names is None else _master.index(Path(master), per_project=per_project, names=names)


def taken(master, per_project: bool, pattern: str) -> _parallel.Aside | None:
    """The child index_early started for this pass, if any (once: it is then bulk's to finish or cancel)."""
    if not _pending or not isinstance(master, (str, Path)):
        return None
    return _pending.pop(_key(master, per_project, pattern), None)
