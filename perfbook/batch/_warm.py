"""Warm workers: imported by the forkserver (parallel.PRELOAD) before it forks any worker, so the
template bulk names in PERFBOOK_WARM is compiled once there -- while the main process is still reading
the master -- and every worker starts with it compiled (fill.compiled's cache), instead of each worker
re-compiling it (0.2-0.4 s of CPU apiece). Anything that fails here is left for the worker to report."""
from __future__ import annotations

import json
import os

from ..cycle.make import compiled as compiled_cycle
from ..cycle.scoring import scheme_for
from ._parallel import ENV


def warm(spec: dict) -> None:
    if spec.get("kind", "target") != "target":
        compiled_cycle(spec["kind"], spec.get("template"), scheme_for(None, spec.get("frame")).id)
    else:
        from ..write.fill import compiled
        compiled(spec.get("template"), spec.get("frame"), bool(spec.get("macros")))


def _from_env() -> None:
    text = os.environ.get(ENV)
    if not text:
        return
    try:
        warm(json.loads(text))
    except Exception:   # noqa: BLE001 - the worker compiles it again and says what is wrong
        pass


_from_env()
