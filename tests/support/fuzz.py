"""Mutational fuzzing of perfbook through its CLI (subprocesses, so aborts and signals are seen).

Seeds: perfbook's own outputs (fill, new, the annotated copy) and the Shenzhen samples. Mutations
work on the zip's parts (so they reach the XML, not just the CRC): byte flips, cuts, huge numbers in
r=/ref= attributes, repeated tags, control characters, dropped parts; and on the raw bytes
(truncation, flips). Each mutant goes through read, check, check --annotate; every batch through collect.
A finding is a traceback, a signal, an exit code other than 0/1/2, a timeout, or memory over the bound.
`python -m tests.support.fuzz SECONDS` runs longer (the bench); the test suite runs it for ≤ 60 s.
"""
from __future__ import annotations

import io
import json
import os
import random
import re
import resource
import subprocess
import sys
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
AS_LIMIT = 2 * 1024 ** 3
PER_CALL = 60


def seeds(tmp: Path, samples: Path | None) -> list[Path]:
    import perfbook
    from perfbook.model import Project
    tmp.mkdir(parents=True, exist_ok=True)
    p = Project.from_dict({"项目名称": "培训项目", "项目编码": "0012", "主管部门": "财政局", "指标": [
        {"一级指标": "产出指标", "二级指标": "数量指标", "三级指标": "培训人数", "指标性质": "≥", "指标值": 60, "度量单位": "人"},
        {"一级指标": "效益指标", "二级指标": "社会效益指标", "三级指标": "满意度", "指标值": "=1+1"}]})
    out = [perfbook.fill([p], tmp / "seed-fill.xlsx"), perfbook.new(tmp / "seed-new.xlsx")]
    if samples is not None and samples.is_dir():
        out += sorted(samples.glob("songgang-0[0-3].xlsx"))
    return out


def _parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


def _zip(parts: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for n, d in parts.items():
            z.writestr(n, d)
    return buf.getvalue()


_NUM = re.compile(rb'((?:\s)(?:r|ref)=")([A-Z]*)([0-9]+)')


def mutate(data: bytes, rng: random.Random) -> tuple[str, bytes]:
    """One mutant of a seed workbook, and what was done."""
    kind = rng.choice(["part-flip", "part-cut", "far-ref", "repeat-tag", "control", "drop-part", "raw-cut", "raw-flip",
                       "dimension", "merge", "no-sheets"])
    if kind == "raw-cut":
        return kind, data[: rng.randrange(1, len(data))]
    if kind == "raw-flip":
        b = bytearray(data)
        for _ in range(rng.randint(1, 20)):
            b[rng.randrange(len(b))] ^= 1 << rng.randrange(8)
        return kind, bytes(b)
    parts = _parts_from_bytes(data)
    xml = [n for n in parts if n.endswith(".xml")]
    sheets = [n for n in xml if n.startswith("xl/worksheets/")] or xml
    name = rng.choice(sheets if kind in ("far-ref", "repeat-tag", "dimension", "merge") else xml)
    x = parts[name]
    if kind == "part-flip":
        b = bytearray(x)
        for _ in range(rng.randint(1, 10)):
            b[rng.randrange(len(b))] = rng.randrange(256)
        x = bytes(b)
    elif kind == "part-cut":
        x = x[: rng.randrange(1, len(x))]
    elif kind == "far-ref":
        ms = list(_NUM.finditer(x))
        if ms:
            m = rng.choice(ms)
            big = rng.choice([b"999999999", b"1048577", b"9" * rng.randint(9, 30)])
            col = rng.choice([m.group(2), b"AAAAAA", b"XFE", b"ZZZZZ"]) if m.group(2) else b""
            x = x[: m.start(2)] + col + big + x[m.end(3):]
    elif kind == "repeat-tag":
        i = x.find(b"<row")
        j = x.find(b"</row>", i)
        if i >= 0 and j > i:
            x = x[:j + 6] + x[i:j + 6] * rng.randint(2, 50) + x[j + 6:]
    elif kind == "control":
        i = x.find(b"<t")
        i = x.find(b">", i) + 1 if i >= 0 else -1
        if i > 0:
            x = x[:i] + rng.choice([b"_x0001_", b"\x01", b"_x001F_", b"&#1;"]) + x[i:]
    elif kind == "dimension":
        x = re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:' + rng.choice([b"XFD1048576", b"A999999999", b"ZZZZZZ9"]) + b'"', x, count=1)
    elif kind == "merge":
        big = rng.choice([b"A30:Z100000", b"A1:XFD1048576", b"B2:B999999999"])
        x = x.replace(b"</sheetData>", b'</sheetData><mergeCells count="1"><mergeCell ref="' + big + b'"/></mergeCells>', 1) \
            if b"<mergeCells" not in x else x.replace(b"</mergeCells>", b'<mergeCell ref="' + big + b'"/></mergeCells>', 1)
    elif kind == "drop-part":
        parts.pop(name)
        return kind, _zip(parts)
    elif kind == "no-sheets":
        if "xl/workbook.xml" in parts:
            parts["xl/workbook.xml"] = re.sub(rb"<sheets>.*</sheets>", b"<sheets/>", parts["xl/workbook.xml"], flags=re.S)
    parts[name] = x
    return f"{kind}:{name}", _zip(parts)


def _parts_from_bytes(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {n: z.read(n) for n in z.namelist()}


def _limit():
    resource.setrlimit(resource.RLIMIT_AS, (AS_LIMIT, AS_LIMIT))


def call(args: list, timeout: int = PER_CALL) -> dict:
    """One CLI run; a dict describing anything wrong (None when it behaved)."""
    t = time.perf_counter()
    try:
        p = subprocess.run([sys.executable, "-m", "perfbook", *map(str, args)], capture_output=True, text=True,
                           timeout=timeout, cwd=ROOT, preexec_fn=_limit,
                           env={**os.environ, "PERFBOOK_FILE_SECONDS": "20"})
    except subprocess.TimeoutExpired:
        return {"args": list(map(str, args)), "problem": "timeout"}
    bad = None
    if p.returncode < 0:
        bad = f"signal {-p.returncode}"
    elif p.returncode not in (0, 1, 2):
        bad = f"exit {p.returncode}"
    elif "Traceback" in p.stderr:
        bad = "traceback"
    if bad:
        return {"args": list(map(str, args)), "problem": bad, "stderr": p.stderr[-1500:],
                "seconds": round(time.perf_counter() - t, 1)}
    return None


def run(seconds: float, tmp: Path, samples: Path | None, seed: int = 11) -> dict:
    """Fuzz for about `seconds`; returns counts and findings."""
    rng = random.Random(seed)
    base = seeds(tmp / "seeds", samples)
    datas = [(s.name, s.read_bytes()) for s in base]
    batch = tmp / "batch"
    batch.mkdir(parents=True, exist_ok=True)
    findings, mutants, calls, kinds = [], 0, 0, {}
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        sname, data = rng.choice(datas)
        try:
            kind, mutant = mutate(data, rng)
        except (zipfile.BadZipFile, ValueError, KeyError):
            continue
        mutants += 1
        kinds[kind.split(":")[0]] = kinds.get(kind.split(":")[0], 0) + 1
        f = batch / f"m{mutants:04d}-{sname}"
        f.write_bytes(mutant)
        commands = [["read", f], ["check", f]]
        if mutants % 3 == 0:
            commands.append(["check", f, "--annotate", tmp / "ann.xlsx"])
        for cmd in commands:
            calls += 1
            r = call(cmd)
            if r:
                r["mutation"], r["seed"] = kind, sname
                findings.append(r)
            if time.monotonic() > end:
                break
    calls += 1
    r = call(["collect", batch, "-o", tmp / "summary.xlsx", "--jobs", "2"], timeout=max(120, int(seconds * 2)))
    if r:
        r["mutation"] = "collect of every mutant"
        findings.append(r)
    return {"mutants": mutants, "calls": calls, "kinds": kinds, "findings": findings}


if __name__ == "__main__":      # the longer run: python -m tests.support.fuzz 1800
    import tempfile
    secs = float(sys.argv[1]) if len(sys.argv) > 1 else 600
    with tempfile.TemporaryDirectory() as d:
        res = run(secs, Path(d), ROOT.parent / "shared" / "samples" / "shenzhen-baoan",
                  seed=int(os.environ.get("PERFBOOK_FUZZ_SEED", "11")))
    print(json.dumps(res, ensure_ascii=False, indent=1))
