"""No function in perfbook/ above cyclomatic complexity 25 (radon's measure, the one the architecture
issue counted with; ruff's mccabe counts boolean operators differently and reads lower). Run by
tools/lint.sh. Prints the worst functions and the mean, so the figure is visible in every CI log."""
from __future__ import annotations

import sys
from pathlib import Path

from radon.complexity import cc_visit

LIMIT = 25
ROOT = Path(__file__).resolve().parent.parent


def blocks():
    """(module path, block) for every function and method."""
    for path in sorted((ROOT / "perfbook").rglob("*.py")):
        for b in cc_visit(path.read_text("utf-8")):    # functions and methods, and classes (skipped)
            if not hasattr(b, "methods"):
                yield path.relative_to(ROOT), b


def main() -> int:
    funcs = list(blocks())
    over = sorted((pb for pb in funcs if pb[1].complexity > LIMIT), key=lambda pb: -pb[1].complexity)
    mean = sum(b.complexity for _, b in funcs) / max(1, len(funcs))
    path, worst = max(funcs, key=lambda pb: pb[1].complexity)
    print(f"complexity: {len(funcs)} functions, mean {mean:.2f}, highest {worst.complexity} ({path}:{worst.fullname}); "
          f"limit {LIMIT}")
    for path, b in over:
        print(f"  too complex: {path}:{b.lineno} {b.fullname} = {b.complexity}")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
