"""Measure bulk generation and collection against plain openpyxl, in one process, on the same data.

    python bench/run.py            # full: ratios on larger sets + 10,000 workbooks generated and collected
    python bench/run.py --quick    # a minute or two: smaller sets, 1,000 workbooks
    python bench/run.py --write-docs   # also put the results into README.md

1. Generation, per workbook: the compiled template (render.Compiled, what `perfbook bulk` runs) vs
   perfbook.reference.fill (openpyxl: load the template, insert rows, copy styles, merge, save). Both
   write the file to disk. Target: at least 30x.
2. Collection, per file: perfbook.read (python-calamine + the template's marks) vs openpyxl
   load_workbook (normal mode) reading every value and the merged ranges. Target: at least 20x.
   The whole per-file collect step (read + check + summary rows) is shown too.
3. Scale: `perfbook bulk --per-project` and `perfbook collect` on N workbooks (10,000; 1,000 with
   --quick) as child processes, sampling the resident memory of the whole process tree (main process,
   fork server, workers) every 0.1 s. Target: peak under 500 MB.
No numbers are asserted anywhere; the tests check behaviour, this file measures.
"""
from __future__ import annotations

import argparse
import gc
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from bench.synth import projects as synth_projects, write_master  # noqa: E402

TARGET_GEN, TARGET_READ, TARGET_MB = 30, 20, 500


# --- machine ----------------------------------------------------------------------------------

def machine() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        cpu = platform.processor() or "unknown"
    import openpyxl
    from importlib.metadata import version
    versions = {"openpyxl": openpyxl.__version__, "python-calamine": version("python-calamine")}
    try:
        import xlsxwriter
        versions["XlsxWriter"] = xlsxwriter.__version__
    except ImportError:
        pass
    mem = "?"
    try:
        kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
        mem = f"{kb / 1024 / 1024:.0f} GB"
    except (OSError, AttributeError):
        pass
    return {"nproc": os.cpu_count(), "cpu": cpu, "memory": mem, "python": platform.python_version(),
            "os": f"{platform.system()} {platform.release()}", **versions}


# --- timing -----------------------------------------------------------------------------------

def best_of(fn, rounds: int) -> float:
    """Fastest of `rounds` runs of fn(), in seconds (the least disturbed by the rest of the machine)."""
    out = []
    for _ in range(rounds):
        gc.collect()
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return min(out)


def generation(quick: bool, tmp: Path) -> list[dict]:
    from perfbook import reference
    from perfbook._package import write_atomic
    from perfbook.fill import compiled, meta_for
    from perfbook.inputs import load
    from perfbook.model import Project

    c = compiled()
    tpl_bytes = reference.template_bytes(c.template)      # the prepared template, as a file would hold it
    meta = meta_for(None, None)
    filled = load(synth_projects(60, departments=12, seed=1))
    blank = [Project.from_dict({k: v for k, v in p.to_dict().items() if k != "指标"}) for p in filled]
    n = 4 if quick else 10
    sets = {
        "部门工作簿：5 个已填项目（平均 11.5 个指标）": ([filled[i * 5:(i + 1) * 5] for i in range(n)], 0),
        "部门空白工作簿：5 个项目，各 10 行空白指标": ([blank[i * 5:(i + 1) * 5] for i in range(n)], 10),
        "单项目已填工作簿": ([[p] for p in filled[:n * 2]], 0),
    }
    rounds = 2 if quick else 3
    out = []
    for label, (books, blank_rows) in sets.items():
        def fast():
            for i, ps in enumerate(books):
                write_atomic(tmp / f"fast{i}.xlsx", c.render(ps, blank_rows=blank_rows, meta=meta))

        def slow():
            for i, ps in enumerate(books):
                write_atomic(tmp / f"slow{i}.xlsx", reference.fill(ps, tpl_bytes, blank_rows=blank_rows, meta=meta))
        fast()
        slow()                                              # warm both (imports, caches)
        a = best_of(fast, rounds * 3) / len(books)
        b = best_of(slow, rounds) / len(books)
        out.append({"set": label, "workbooks": len(books), "perfbook_ms": a * 1000, "openpyxl_ms": b * 1000,
                    "ratio": b / a})
        print(f"  {label}: perfbook {a * 1000:.2f} ms, openpyxl {b * 1000:.1f} ms per workbook → {b / a:.1f}x",
              flush=True)
    return out


def openpyxl_read(path) -> int:
    """The plain way to read a returned workbook: every value and every merged range."""
    import openpyxl
    wb = openpyxl.load_workbook(path)
    n = 0
    for ws in wb.worksheets:
        for row in ws.iter_rows(values_only=True):
            n += sum(1 for v in row if v is not None)
        n += len([r.bounds for r in ws.merged_cells.ranges])
    return n


def collection(quick: bool, tmp: Path) -> list[dict]:
    import perfbook
    from perfbook.collect import Columns, Options, collect_one
    from perfbook.fill import compiled, meta_for
    from perfbook.inputs import load

    c = compiled()
    meta = meta_for(None, None)
    projects = load(synth_projects(40, departments=8, seed=2))
    n = 10 if quick else 30
    sets = {
        "单项目工作簿（已填）": [[p] for p in projects[:n]],
        "部门工作簿（5 个项目）": [projects[i * 5:(i + 1) * 5] for i in range(min(n // 3, 8))],
    }
    opts = Options(str(tmp), Columns.for_template())
    rounds = 2 if quick else 3
    out = []
    for label, books in sets.items():
        paths = []
        for i, ps in enumerate(books):
            p = tmp / f"read{len(out)}-{i}.xlsx"
            p.write_bytes(c.render(ps, meta=meta))
            paths.append(p)
        read = lambda: [perfbook.read(p) for p in paths]            # noqa: E731
        step = lambda: [collect_one(p, opts) for p in paths]        # noqa: E731
        plain = lambda: [openpyxl_read(p) for p in paths]           # noqa: E731
        read(), step(), plain()
        a = best_of(read, rounds * 3) / len(paths)
        s = best_of(step, rounds * 3) / len(paths)
        b = best_of(plain, rounds) / len(paths)
        out.append({"set": label, "files": len(paths), "perfbook_read_ms": a * 1000, "collect_step_ms": s * 1000,
                    "openpyxl_ms": b * 1000, "ratio": b / a, "ratio_step": b / s})
        print(f"  {label}: perfbook.read {a * 1000:.2f} ms (collect step incl. check {s * 1000:.2f} ms), "
              f"openpyxl {b * 1000:.1f} ms per file → {b / a:.1f}x ({b / s:.1f}x)", flush=True)
    return out


# --- scale ------------------------------------------------------------------------------------

class TreeMemory:
    """Peak of the summed resident memory of a process and all its descendants, sampled."""

    def __init__(self, pid: int, every: float = 0.1):
        self.pid, self.every = pid, every
        self.peak = 0
        self.peak_procs = 0
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()

    def _run(self):
        import psutil
        try:
            root = psutil.Process(self.pid)
        except psutil.NoSuchProcess:
            return
        while not self._stop.is_set():
            try:
                procs = [root] + root.children(recursive=True)
            except psutil.NoSuchProcess:
                return
            total = 0
            for p in procs:
                try:
                    total += p.memory_info().rss
                except psutil.NoSuchProcess:
                    pass
            if total > self.peak:
                self.peak, self.peak_procs = total, len(procs)
            self._stop.wait(self.every)

    def stop(self) -> int:
        self._stop.set()
        self._t.join()
        return self.peak


def run_measured(cmd: list[str]) -> dict:
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    mem = TreeMemory(proc.pid)
    out, err = proc.communicate()
    peak = mem.stop()
    dt = time.perf_counter() - t
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{out}\n{err}")
    return {"seconds": dt, "peak_mb": peak / 1024 / 1024, "processes": mem.peak_procs, "stdout": out.strip()}


def scale(n: int, tmp: Path, jobs: int | None) -> dict:
    master = tmp / "主表.csv"
    t = time.perf_counter()
    write_master(master, synth_projects(n, departments=max(20, n // 50), seed=5), compact=True)
    print(f"  master of {n:,} projects written ({master.stat().st_size / 1e6:.0f} MB, "
          f"{time.perf_counter() - t:.0f} s)", flush=True)
    out = tmp / "发出"
    j = ["--jobs", str(jobs)] if jobs else []
    gen = run_measured([sys.executable, "-m", "perfbook", "bulk", str(master), "-o", str(out), "--per-project", *j])
    files = sum(1 for p in out.rglob("*.xlsx"))
    print(f"  bulk: {files:,} workbooks in {gen['seconds']:.0f} s, peak {gen['peak_mb']:.0f} MB "
          f"({gen['processes']} processes)", flush=True)
    col = run_measured([sys.executable, "-m", "perfbook", "collect", str(out), "-o", str(tmp / "汇总.xlsx"), *j])
    print(f"  collect: {col['seconds']:.0f} s, peak {col['peak_mb']:.0f} MB ({col['processes']} processes)\n"
          f"  {col['stdout'].splitlines()[0]}", flush=True)
    return {"workbooks": files, "bulk": gen, "collect": col, "summary_mb": (tmp / "汇总.xlsx").stat().st_size / 1e6}


# --- report -----------------------------------------------------------------------------------

def markdown(m: dict, gen: list, col: list, sc: dict | None, quick: bool) -> str:
    from perfbook.collect import _checker
    step = "read + check + rows" if _checker() else "read + rows; perfbook.check not yet in this build"
    lines = [
        f"Measured {time.strftime('%Y-%m-%d')} with `python bench/run.py{' --quick' if quick else ''}` on: "
        f"{m['nproc']} cores ({m['cpu']}), {m['memory']} RAM, Python {m['python']}, {m['os']}; "
        f"openpyxl {m['openpyxl']}, python-calamine {m['python-calamine']}"
        + (f", XlsxWriter {m['XlsxWriter']}" if "XlsxWriter" in m else "") + ".",
        "",
        f"Generation, one process, per workbook (target ≥ {TARGET_GEN}×):",
        "",
        "| workbook | perfbook (compiled template) | openpyxl load → fill → save | ratio |",
        "|---|---:|---:|---:|",
    ]
    lines += [f"| {g['set']} | {g['perfbook_ms']:.2f} ms | {g['openpyxl_ms']:.0f} ms | **{g['ratio']:.0f}×** |" for g in gen]
    lines += [
        "",
        f"Collection, one process, per file (target ≥ {TARGET_READ}×):",
        "",
        f"| file | perfbook.read | collect step ({step}) | openpyxl read (values + merges) | ratio (read) | ratio (step) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    lines += [f"| {c['set']} | {c['perfbook_read_ms']:.2f} ms | {c['collect_step_ms']:.2f} ms | {c['openpyxl_ms']:.0f} ms "
              f"| **{c['ratio']:.0f}×** | {c['ratio_step']:.0f}× |" for c in col]
    if sc:
        b, c = sc["bulk"], sc["collect"]
        lines += [
            "",
            f"Scale: {sc['workbooks']:,} one-project workbooks (8–15 indicators each), all cores, whole process "
            f"tree (target: peak < {TARGET_MB} MB):",
            "",
            "| step | wall time | per workbook | peak memory (sum of RSS, all processes) |",
            "|---|---:|---:|---:|",
            f"| `perfbook bulk --per-project` (incl. loading the master) | {b['seconds']:.0f} s | "
            f"{b['seconds'] / sc['workbooks'] * 1000:.1f} ms | {b['peak_mb']:.0f} MB ({b['processes']} processes) |",
            f"| `perfbook collect` (summary {sc['summary_mb']:.0f} MB) | {c['seconds']:.0f} s | "
            f"{c['seconds'] / sc['workbooks'] * 1000:.1f} ms | {c['peak_mb']:.0f} MB ({c['processes']} processes) |",
        ]
    return "\n".join(lines) + "\n"


def write_docs(text: str) -> None:
    doc = ROOT / "README.md"
    body = doc.read_text(encoding="utf-8")
    start, end = "<!-- bench:start -->", "<!-- bench:end -->"
    if start not in body:
        raise SystemExit(f"{doc} has no {start} … {end} block")
    head, rest = body.split(start, 1)
    _, tail = rest.split(end, 1)
    doc.write_text(f"{head}{start}\n{text}{end}{tail}", encoding="utf-8")
    print(f"written into {doc}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="smaller sets and 1,000 workbooks at scale")
    ap.add_argument("--workbooks", type=int, help="workbooks in the scale run (default 10,000; 1,000 with --quick)")
    ap.add_argument("--no-scale", action="store_true", help="ratios only")
    ap.add_argument("--jobs", type=int, help="processes for the scale run (default: all cores)")
    ap.add_argument("--write-docs", action="store_true", help="put the results into README.md")
    ap.add_argument("--keep", action="store_true", help="keep the generated files (printed path)")
    args = ap.parse_args(argv)
    m = machine()
    print(f"machine: {m['nproc']} cores, {m['cpu']}, {m['memory']}, Python {m['python']}", flush=True)
    tmp = Path(tempfile.mkdtemp(prefix="pb-bench-"))
    try:
        for d in ("gen", "col", "scale"):
            (tmp / d).mkdir()
        print("generation (one process, same data):", flush=True)
        gen = generation(args.quick, tmp / "gen")
        print("collection (one process, same files):", flush=True)
        col = collection(args.quick, tmp / "col")
        sc = None
        if not args.no_scale:
            n = args.workbooks or (1000 if args.quick else 10_000)
            print(f"scale ({n:,} workbooks, {args.jobs or os.cpu_count()} processes):", flush=True)
            sc = scale(n, tmp / "scale", args.jobs)
        text = markdown(m, gen, col, sc, args.quick)
        g = statistics.fmean(x["ratio"] for x in gen)
        r = statistics.fmean(x["ratio"] for x in col)
        print("\n" + text)
        verdict = [f"generation {min(x['ratio'] for x in gen):.0f}–{max(x['ratio'] for x in gen):.0f}x "
                   f"(mean {g:.0f}x, target {TARGET_GEN}x)",
                   f"collection read {min(x['ratio'] for x in col):.0f}–{max(x['ratio'] for x in col):.0f}x "
                   f"(mean {r:.0f}x, target {TARGET_READ}x)"]
        if sc:
            verdict.append(f"peak memory bulk {sc['bulk']['peak_mb']:.0f} MB, collect {sc['collect']['peak_mb']:.0f} MB "
                           f"(target < {TARGET_MB} MB)")
        print("RESULT: " + "; ".join(verdict))
        if args.write_docs:
            write_docs(text)
    finally:
        if args.keep:
            print(f"files kept in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
