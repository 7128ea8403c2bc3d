"""Regenerate tests/expected/shenzhen/*.json from the reader (run by hand, then REVIEW the diff
against the raw cells before committing: these files are the reference, not a snapshot)."""
from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

from tests.conftest import SAMPLES  # noqa: E402


def expected(path: Path) -> dict:
    import perfbook
    book = perfbook.read(path)
    return {
        "file": path.name,
        "format": book.format,
        "projects": [dict(sheet=p.sheets[0], **p.to_dict()) for p in book.projects],
        "notes": [[n.kind, n.sheet, n.cell] for n in book.notes],
    }


def dump(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False, indent=1) + "\n"


if __name__ == "__main__":
    out = HERE / "shenzhen"
    out.mkdir(exist_ok=True)
    for f in sorted(SAMPLES.glob("songgang-*.xlsx")):
        (out / f"{f.stem}.json").write_text(dump(expected(f)), encoding="utf-8")
        print("wrote", out / f"{f.stem}.json")
