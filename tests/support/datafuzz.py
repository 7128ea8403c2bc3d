"""Mutational fuzzing of the data files perfbook takes (YAML, JSON, CSV) through fill, check, bulk and the
year's tables (selfeval, monitor).

The workbook fuzzer (fuzz.py) mutates zip parts; this one mutates what an official or a script writes by
hand: a project's values replaced by values of the wrong shape (lists, mappings, huge or non-finite
numbers, long or control-character text, formula-looking text, deep nesting), keys dropped or renamed,
indicators duplicated or emptied, and a CSV master's bytes (quotes, NULs, separators, line breaks, cuts).
Commands run in this process through perfbook.cli.main, so a mutant costs milliseconds; a finding is an
exit code other than 0/1/2 (3 is perfbook's "internal error") or an exception escaping the CLI.
`python -m tests.support.datafuzz SECONDS` runs longer.
"""
from __future__ import annotations

import contextlib
import copy
import io
import json
import random
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]

ODD_VALUES = [
    [], ["a", "b"], {"x": 1}, {"一级指标": []}, 10 ** 30, -(10 ** 30), float("inf"), float("nan"), 1e308, -0.0,
    True, None, "", " ", "\x00\x0b\x1f", "=SUM(A1)", "@x", "字" * 40_000, "𠀀" * 17_000, "a\r\nb\rc",
    "2024-13-45", "0053000001", "1,234.5", "≥", "≥≥", "\ud800", 0, 3.5, "5%", "１２３",
]


def _deep(n: int):
    v: object = "x"
    for _ in range(n):
        v = [v]
    return v


def _seed_docs() -> list[dict]:
    return [yaml.safe_load((ROOT / "examples" / f"seed-00{k}.yaml").read_text("utf-8")) for k in (0, 1)]


def _walk(doc) -> list[tuple[object, object]]:
    """(container, key) of every value in doc."""
    out = []
    todo = [doc]
    while todo:
        c = todo.pop()
        items = c.items() if isinstance(c, dict) else enumerate(c) if isinstance(c, list) else ()
        for k, v in items:
            out.append((c, k))
            if isinstance(v, (dict, list)):
                todo.append(v)
    return out


def mutate_doc(doc: dict, rng: random.Random) -> dict:
    doc = copy.deepcopy(doc)
    for _ in range(rng.randint(1, 3)):
        places = _walk(doc)
        if not places:
            break
        c, k = rng.choice(places)
        op = rng.randrange(6)
        if op == 2:
            c[k] = _deep(rng.choice([3, 60, 5000]))
            break                                 # the last change: a deep nest is copied and walked no further
        if op < 2:
            c[k] = rng.choice(ODD_VALUES)
        elif op == 3 and isinstance(c, dict):
            c.pop(k)
        elif op == 4 and isinstance(c, dict):
            c[rng.choice(["指标", "中期指标", "项目", "一级指标", "", "指 标", 5])] = c.pop(k)
        elif isinstance(c, list) and c:
            c.extend(copy.deepcopy(c[: rng.randint(1, len(c))]))
    return doc


def mutate_csv(data: bytes, rng: random.Random) -> bytes:
    b = bytearray(data)
    for _ in range(rng.randint(1, 6)):
        i = rng.randrange(len(b)) if b else 0
        while 0 < i < len(b) and 0x80 <= b[i] < 0xC0:
            i -= 1                                # at a character's start: a UTF-8 text stays UTF-8
        bad = rng.random() < 0.05                 # a byte no encoding takes: the whole file is refused
        b[i:i] = rng.choice([b"\xff\xfe", b"\xe5"] if bad else
                            [b'"', b'""', b"\x00", b",", b"\n", b"\r", b'\n"', "字".encode(), b"=", b"\t"])
    if rng.random() < 0.2:
        cut = rng.randrange(len(b) + 1)
        while 0 < cut < len(b) and 0x80 <= b[cut] < 0xC0:
            cut -= 1
        b = b[:cut]
    return bytes(b)


def call(args: list) -> dict | None:
    """One command in this process; a dict describing anything wrong (None when it behaved)."""
    from perfbook import cli
    out, err = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = cli.main(["-q", *map(str, args)])
    except SystemExit as exc:                     # argparse
        code = exc.code if isinstance(exc.code, int) else 2
    except BaseException as exc:                  # noqa: BLE001 - the finding itself
        return {"args": list(map(str, args)), "problem": f"escaped: {type(exc).__name__}: {exc}"[:500]}
    if code not in (0, 1, 2):
        return {"args": list(map(str, args)), "problem": f"exit {code}", "stderr": err.getvalue()[-800:]}
    return None


def run(seconds: float, tmp: Path, seed: int = 5) -> dict:
    """Fuzz for about `seconds`; returns counts and findings."""
    sys.path.insert(0, str(ROOT))
    from bench.synth import projects, write_master
    rng = random.Random(seed)
    docs = _seed_docs()
    master = write_master(tmp / "seed.csv", projects(12, departments=3, seed=2)).read_bytes()
    findings, mutants = [], 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        mutants += 1
        if rng.random() < 0.6:
            doc = mutate_doc(rng.choice(docs), rng)
            as_json = rng.random() < 0.5
            f = tmp / f"m{mutants:05d}.{'json' if as_json else 'yaml'}"
            try:
                text = (json.dumps(doc, ensure_ascii=False) if as_json
                        else yaml.safe_dump(doc, allow_unicode=True, sort_keys=False))
                f.write_text(text, encoding="utf-8", errors="surrogatepass")
            except (ValueError, TypeError, RecursionError, yaml.YAMLError):
                continue                          # not writable as that format: no file an official could hand in
        else:
            f = tmp / f"m{mutants:05d}.csv"
            f.write_bytes(mutate_csv(master, rng))
        out = tmp / f"o{mutants:05d}"
        cycle = ["selfeval", "monitor"][mutants % 2]      # the year's tables are made from the same files
        for cmd in (["fill", f, "-o", out / "x.xlsx"], ["check", f], ["bulk", f, "-o", out / "b", "--jobs", "1"],
                    [cycle, f, "-o", out / "c.xlsx"]):
            r = call(cmd)
            if r:
                r["file"] = f.name
                findings.append(r)
    return {"mutants": mutants, "findings": findings}


if __name__ == "__main__":      # the longer run: python -m tests.support.datafuzz 600
    import tempfile
    secs = float(sys.argv[1]) if len(sys.argv) > 1 else 120
    with tempfile.TemporaryDirectory() as d:
        res = run(secs, Path(d))
    seen = {}
    for f in res["findings"]:
        seen.setdefault(f["problem"].split("\n")[0][:120] + " " + f.get("stderr", "")[:200], f)
    print(json.dumps({"mutants": res["mutants"], "findings": len(res["findings"]), "distinct": list(seen.values())[:30]},
                     ensure_ascii=False, indent=1))
