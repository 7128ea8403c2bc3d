"""Write the rule table into README.md from perfbook/data/rules.yaml (tests/test_rulelang.py checks it is current).

    python tools/rules_table.py          # rewrite the block between the rules-table markers
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from perfbook.rules import _catalog as R  # noqa: E402


def render(readme: str) -> str:
    head, rest = readme.split(R.TABLE_BEGIN, 1)
    _old, tail = rest.split(R.TABLE_END, 1)
    return f"{head}{R.TABLE_BEGIN}\n{R.markdown_table()}\n{R.TABLE_END}{tail}"


if __name__ == "__main__":
    path = ROOT / "README.md"
    text = path.read_text("utf-8")
    new = render(text)
    if new != text:
        path.write_text(new, "utf-8")
        print("README.md: rule table updated")
