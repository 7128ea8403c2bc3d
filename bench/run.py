"""Measure perfbook against fair yardsticks, in one run, on the same data.

    python -m bench.run                # full: N = 50, 300, 3,000 fitted; memory at 10,000 and 50,000
    python -m bench.run --quick        # a few minutes: N = 50, 300, 1,000; memory at 1,000 and 5,000
    python -m bench.run --write-docs   # also put the results into README.md (between bench:start/end)
    python -m bench.run --collect 1000,5000 --tree ../main   # collect alone, this checkout beside another
    python -m bench.run --bulk 5000,20000 --tree ../main      # bulk alone: peak memory (--bulk-jobs 1,2: 2-core figure)
    python -m bench.run --reading      # seconds: yardstick 3 alone (both workbooks), perfbook.read split in its steps
    python -m bench.run --generation   # a minute: yardstick 2 alone, 100 rounds

Every time is CPU time (time.process_time in this process; user + system of every process of a child's
tree, sampled with psutil), because the machine may be shared: wall time is shown beside it only for
the whole commands, and the 2-core figure is given both ways. Both sides of every ratio get the same
number of rounds (the median is reported). The yardsticks (bench/plain.py):
1. start-up: `perfbook --help`, `read` and `check` of one workbook beside `python -c "import openpyxl"`;
2. generation per workbook: perfbook's compiled render + atomic write, a plain openpyxl script writing the
   same cells and merges (no styles, validations or names, so it does less than perfbook), and the floor
   (the same parts and bytes perfbook writes: deflate those it deflates per workbook, copy those it copies
   already deflated, zip, write);
3. reading per workbook: perfbook.read (safety scan included) beside calamine alone, pandas with the
   calamine and openpyxl engines, openpyxl read_only and normal mode;
4. `perfbook bulk --per-project` as a whole command at N = 50, 300, 3,000: total = a + b·N fitted for
   --jobs 1 and --jobs 2, the break-even, and the 2-core speed-up; at N = 300 the plain openpyxl loop
   (bench/plain.py main) as a whole command beside it;
5. peak resident memory of the whole process tree of bulk and collect at 10,000 and 50,000 projects
   (--collect: collect alone, its CPU, wall and 2-core speed-up too, beside another checkout with --tree).
No numbers are asserted anywhere; the tests check behaviour, this file measures.
"""
from __future__ import annotations

import argparse
import itertools
import os
import platform
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

from bench import plain  # noqa: E402
from bench.synth import projects as synth_projects, write_master  # noqa: E402

TARGET_FLOOR, TARGET_SCALE, TARGET_MB = 1.5, 1.8, 500
# a workbook takes a millisecond or two to write or read: the median of a few rounds says little, and the
# slowest yardstick (openpyxl reading a department's workbook) costs 0.25 s a round, so 100 stay cheap
PER_WORKBOOK_ROUNDS = 100


def machine() -> dict:
    cpu = "unknown"
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                   if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    from importlib.metadata import version
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return {"nproc": os.cpu_count(), "cpu": cpu, "python": platform.python_version(), "load": load,
            **{k: version(k) for k in ("openpyxl", "python-calamine", "pandas")}}


# --- timing -------------------------------------------------------------------------------------

def cpu_each(fns: dict, rounds: int, per: int = 1) -> dict:
    """Median CPU seconds per call of each fn, the rounds interleaved (every side sees the same load)."""
    out = {k: [] for k in fns}
    for _ in range(rounds):
        for k, fn in fns.items():
            t = time.process_time()
            fn()
            out[k].append((time.process_time() - t) / per)
    return {k: statistics.median(v) for k, v in out.items()}


class Tree:
    """Peak summed RSS and CPU (user + system, last sample per process) of a process and its descendants."""

    def __init__(self, pid: int, every: float = 0.05):
        self.pid, self.every, self.peak, self.procs, self.cpu = pid, every, 0, 0, {}
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
                    with p.oneshot():
                        total += p.memory_info().rss
                        c = p.cpu_times()
                        self.cpu[p.pid] = (p.pid == self.pid, c.user + c.system)
                except psutil.NoSuchProcess:
                    pass
            if total > self.peak:
                self.peak, self.procs = total, len(procs)
            self._stop.wait(self.every)

    def stop(self) -> dict:
        self._stop.set()
        self._t.join()
        main = sum(c for m, c in self.cpu.values() if m)
        return {"peak_mb": self.peak / 2 ** 20, "processes": self.procs, "cpu_main": main,
                "cpu": main + sum(c for m, c in self.cpu.values() if not m)}


_PYC: dict[str, str] = {}


def installed_env(tree: Path | None = None) -> dict:
    """The environment a command runs in here: modules start from compiled bytecode, as an installed
    package does (pip compiles a wheel's modules at install; openpyxl's are). A checkout run with
    PYTHONDONTWRITEBYTECODE=1 would otherwise compile perfbook's sources in every process of every command
    (~0.1 s each: the main one, the fork server): an unfair start-up and 2-core figure. The tree's sources
    are compiled once, before anything is timed."""
    tree = (tree or ROOT).resolve()
    if "prefix" not in _PYC:
        _PYC["prefix"] = tempfile.mkdtemp(prefix="perfbook-pyc-")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = _PYC["prefix"]
    if str(tree) not in _PYC:
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(tree / "perfbook"), str(tree / "bench")],
                       env=env, stdout=subprocess.DEVNULL, check=False)
        _PYC[str(tree)] = "compiled"
    return env


def run_tree(cmd: list[str], cwd: Path | None = None) -> dict:
    env = installed_env(cwd)
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=cwd, env=env)
    tree = Tree(proc.pid)
    err = proc.communicate()[1]
    res = tree.stop()
    res["wall"] = time.perf_counter() - t
    _ok(cmd, proc, err)
    return res


def _ok(cmd: list[str], proc: subprocess.Popen, err: bytes) -> None:
    """A command the bench times must have done its work (exit 0, or 1: findings)."""
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{err.decode()[-2000:]}")


_spent = itertools.count()


def set_aside(path: Path) -> None:
    """Move a run's output out of the way instead of deleting it: the file system here (ext4 without a
    journal) skips recently deleted inodes one by one when it makes a file, so the thousands a run had
    just deleted cost the next run 0.6-1.1 s of kernel CPU at N = 3,000, a cost no user's run pays.
    The bench's temp folder, deleted once at the end, takes them all."""
    if path.exists():
        spent = path.parent / ".spent"
        spent.mkdir(exist_ok=True)
        path.rename(spent / str(next(_spent)))


def run_together(cmds: list[list[str]], cwd: Path | None = None) -> dict:
    """Several commands started at once: the wall time until the last ends, and their CPU summed."""
    env = installed_env(cwd)
    t = time.perf_counter()
    procs = [subprocess.Popen(c, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=cwd, env=env) for c in cmds]
    trees = [Tree(p.pid) for p in procs]
    errs = [p.communicate()[1] for p in procs]
    wall = time.perf_counter() - t
    res = [tr.stop() for tr in trees]
    for c, p, e in zip(cmds, procs, errs):
        _ok(c, p, e)
    return {"wall": wall, "cpu": sum(r["cpu"] for r in res)}


def child_cpu(cmd: list[str], env: dict | None = None) -> float:
    import resource
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime


PB = [sys.executable, "-m", "perfbook"]


# --- 1. start-up --------------------------------------------------------------------------------

def startup_cpu(one: Path, rounds: int) -> dict:
    cmds = {"python -c pass": [sys.executable, "-c", "pass"],
            'python -c "import openpyxl"': [sys.executable, "-c", "import openpyxl"],
            'python -c "import pandas"': [sys.executable, "-c", "import pandas"],
            "perfbook --help": PB + ["--help"],
            "perfbook read ONE.xlsx": PB + ["read", str(one)],
            "perfbook check ONE.xlsx": PB + ["check", str(one)]}
    env = installed_env()                                        # both sides from compiled bytecode
    for c in cmds.values():
        child_cpu(c, env)                                        # warm: writes the bytecode, fills the OS cache
    out = {k: [] for k in cmds}
    for _ in range(rounds):
        for k, c in cmds.items():
            out[k].append(child_cpu(c, env))
    return {k: statistics.median(v) for k, v in out.items()}


# --- 2. generation and 3. reading, per workbook ---------------------------------------------------

def _floor_parts(c, data: bytes) -> list:
    """Every part of a rendered workbook, in its order: (name, raw, None) for a part perfbook deflates per
    workbook, (name, None, Entry) for one it copies already deflated (from the template, or a part the
    same in every workbook, cached by the renderer). The floor then does exactly the deflating perfbook
    does, on the same bytes: a part is copied only if perfbook's output holds that cached entry."""
    import io
    import zipfile
    cached = {(e.name, e.crc, e.size, len(e.data)): e for e in c.cached_entries()}
    out = []
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for info in z.infolist():
            e = cached.get((info.filename.encode("utf-8"), info.CRC, info.file_size, info.compress_size))
            out.append((info.filename, None, e) if e is not None else (info.filename, z.read(info), None))
    return out


def _floor_write(parts: list, path: Path) -> None:
    """The least any writer of these bytes must do: deflate what changes (level 1, as perfbook), zip, write."""
    from perfbook.ooxml._package import build_zip, deflate
    entries = [e if e is not None else deflate(name, raw, 1) for name, raw, e in parts]
    with open(path, "wb") as fh:
        fh.write(build_zip(entries))


def _generation_sets() -> dict:
    from perfbook.write._inputs import load
    filled = load(synth_projects(12, departments=2, seed=1))
    return {"一个项目（约 11 个指标）": [filled[0]], "部门工作簿（5 个项目）": filled[:5]}


def _rotated(fns: dict, rounds: int) -> dict:
    """cpu_each with the order turned by one every round: the call after openpyxl's (megabytes of objects)
    finds the CPU caches cold, about 0.1 ms of one project's workbook; each side takes that turn as often."""
    out: dict = {k: [] for k in fns}
    names = list(fns)
    for i in range(rounds):
        for k in names[i % len(names):] + names[:i % len(names)]:
            t = time.process_time()
            fns[k]()
            out[k].append(time.process_time() - t)
    return {k: statistics.median(v) for k, v in out.items()}


def generation(tmp: Path, rounds: int) -> list:
    """Per workbook: perfbook's render + atomic write, the floor (the same parts, the same bytes) and a
    plain openpyxl script writing the same cells and merges. CPU per call, the rounds interleaved (_rotated)."""
    from perfbook.ooxml._package import write_atomic
    from perfbook.write.fill import compiled, meta_for

    c = compiled()
    meta = meta_for(None, None)
    gen = []
    for label, ps in _generation_sets().items():
        data = c.render(ps, meta=meta)
        data = c.render(ps, meta=meta)
        parts = _floor_parts(c, data)
        _floor_write(parts, tmp / "f.xlsx")
        if (tmp / "f.xlsx").read_bytes() != data:
            raise SystemExit(f"the floor does not write perfbook's bytes for {label}")
        book = plain.contents(data)
        # every call writes a new file, as bulk does: a rename or truncation over the file of the round
        # before costs ext4 a flush of that file (auto_da_alloc), more CPU than the writing itself
        out, k = tmp / "gen", itertools.count()
        out.mkdir(exist_ok=True)
        fns = {"perfbook": lambda: write_atomic(out / f"w{next(k)}.xlsx", c.render(ps, meta=meta)),
               "openpyxl": lambda: plain.openpyxl_write(book, out / f"o{next(k)}.xlsx"),
               "floor": lambda: _floor_write(parts, out / f"f{next(k)}.xlsx")}
        for fn in fns.values():
            fn()                                                 # warm: imports, caches
        t = _rotated(fns, rounds)
        shutil.rmtree(out)
        gen.append({"set": label, **{k: v * 1000 for k, v in t.items()}})
        print(f"  generate {label}: " + ", ".join(f"{k} {v * 1000:.2f} ms" for k, v in t.items())
              + f" ({t['perfbook'] / t['floor']:.2f}× floor, openpyxl {t['openpyxl'] / t['perfbook']:.1f}× perfbook)",
              flush=True)
    return gen


def per_workbook(tmp: Path, rounds: int) -> tuple[list, list]:
    import perfbook
    from perfbook.write.fill import compiled, meta_for

    gen = generation(tmp, rounds)
    c = compiled()
    meta = meta_for(None, None)
    rd = []
    for label, ps in _generation_sets().items():
        data = c.render(ps, meta=meta)
        path = tmp / f"r{len(rd)}.xlsx"
        path.write_bytes(data)
        readers = {"perfbook.read": lambda: perfbook.read(path),
                   "calamine": lambda: plain.read_calamine(path),
                   "pandas+calamine": lambda: plain.read_pandas(path, "calamine"),
                   "pandas+openpyxl": lambda: plain.read_pandas(path, "openpyxl"),
                   "openpyxl read_only": lambda: plain.read_openpyxl(path, True),
                   "openpyxl": lambda: plain.read_openpyxl(path)}
        for fn in readers.values():
            fn()
        t = _rotated(readers, rounds)
        rd.append({"set": label, **{k: v * 1000 for k, v in t.items()}})
        print(f"  read {label}: " + ", ".join(f"{k} {v * 1000:.2f} ms" for k, v in t.items()), flush=True)
    return gen, rd


def reading_books(tmp: Path) -> dict[str, Path]:
    """The two workbooks of yardstick 3 (the same synthetic projects as per_workbook), written to tmp."""
    from perfbook.write.fill import compiled, meta_for
    from perfbook.write._inputs import load

    c, meta = compiled(), meta_for(None, None)
    filled = load(synth_projects(12, departments=2, seed=1))
    out = {}
    for i, (label, ps) in enumerate((("一个项目（约 11 个指标）", filled[:1]), ("部门工作簿（5 个项目）", filled[:5]))):
        out[label] = tmp / f"reading{i}.xlsx"
        out[label].write_bytes(c.render(ps, meta=meta))
    return out


def reading(books: dict[str, Path], rounds: int) -> dict:
    """perfbook.read of each workbook beside calamine alone (every sheet), and read's own steps: the
    safety scan (sniff + package checks), the format's loader (calamine and what it leaves out), the
    layout (read_source). CPU per call, the rounds interleaved (_rotated)."""
    import perfbook
    from perfbook.readers import formats
    from perfbook.readers.reader import load_template, read_source

    out = {}
    for label, one in books.items():
        kind, info = formats.inspect(one)
        src, tpl = formats.open_source(one), load_template()
        fns = {"perfbook.read": lambda: perfbook.read(one),
               "calamine": lambda: plain.read_calamine(one),
               "  safety scan": lambda: formats.inspect(one),
               "  loader": lambda: formats.BY_KIND[kind].load(one, info),
               "  read_source": lambda: read_source(src, tpl)}
        for fn in fns.values():
            fn()
        t = _rotated(fns, rounds)
        print(f"  {label}:", flush=True)
        for k, v in t.items():
            print(f"    {k:15s} {v * 1000:6.2f} ms  {v / t['calamine']:4.2f}× calamine", flush=True)
        out[label] = t
    return out


# --- 4. whole commands, fitted; 5. memory ---------------------------------------------------------

def masters(tmp: Path, sizes) -> dict:
    out = {}
    for n in sorted(set(sizes)):
        out[n] = write_master(tmp / f"主表{n}.csv", synth_projects(n, departments=max(20, n // 50), seed=5),
                              compact=True)
    return out


def bulk_cmd(master: Path, out: Path, jobs: int | None) -> dict:
    set_aside(out)
    res = run_tree(PB + ["bulk", str(master), "-o", str(out), "--per-project", "-q"]
                   + (["--jobs", str(jobs)] if jobs else []))
    set_aside(out)
    return res


def fit(points: list[tuple[int, float]]) -> tuple[float, float]:
    """Least squares a + b·N."""
    n = len(points)
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    b = sum((x - mx) * (y - my) for x, y in points) / max(sum((x - mx) ** 2 for x, _ in points), 1e-12)
    return my - b * mx, b


def whole(tmp: Path, sizes: list[int], ms: dict) -> dict:
    rows = {}
    for n in sizes:
        for jobs in (1, 2):
            r = bulk_cmd(ms[n], tmp / "out", jobs)
            rows[(n, jobs)] = r
            print(f"  bulk N={n:,} --jobs {jobs}: CPU {r['cpu']:.2f} s (main {r['cpu_main']:.2f} s), wall {r['wall']:.2f} s, "
                  f"peak {r['peak_mb']:.0f} MB", flush=True)
    fits = {}
    for jobs in (1, 2):
        fits[jobs] = {"cpu": fit([(n, rows[(n, jobs)]["cpu"]) for n in sizes]),
                      "wall": fit([(n, rows[(n, jobs)]["wall"]) for n in sizes])}
    big = max(sizes)
    one, two = rows[(big, 1)], rows[(big, 2)]
    # what two free cores would give: the main process's serial part, or half of all the CPU, whichever is more
    ideal_two = max(two["cpu_main"], two["cpu"] / 2)
    scale = {"n": big, "wall": one["wall"] / two["wall"], "cpu": one["cpu"] / ideal_two}
    parts = halves(tmp, synth_projects(big, departments=max(20, big // 50), seed=5), "whole")
    top = ceiling(parts, tmp, True)
    scale["ceiling"] = one["wall"] / top["wall"]
    print(f"  two --jobs 1 halves of N={big:,} at once: wall {top['wall']:.2f} s → the machine's ceiling "
          f"{scale['ceiling']:.2f}× (bulk --jobs 2: {scale['wall']:.2f}×)", flush=True)
    n300 = 300 if 300 in sizes else sizes[len(sizes) // 2]
    out = tmp / "plain"
    set_aside(out)
    pl = run_tree([sys.executable, "-m", "bench.plain", str(ms[n300]), str(out)])
    set_aside(out)
    print(f"  plain openpyxl loop N={n300}: CPU {pl['cpu']:.2f} s, wall {pl['wall']:.2f} s", flush=True)
    return {"rows": rows, "fits": fits, "scale": scale, "plain": pl, "n300": n300}


def memory(tmp: Path, sizes: list[int], report=None) -> list[dict]:
    """bulk and collect at every N (collect's rows are deflated as they come: its peak should stay flat)."""
    out = []
    for n in sizes:
        master = write_master(tmp / f"mem{n}.csv", synth_projects(n, departments=max(20, n // 50), seed=6), compact=True)
        books = tmp / f"mem{n}"
        b = run_tree(PB + ["bulk", str(master), "-o", str(books), "--per-project", "-q"])
        c = run_tree(PB + ["collect", str(books), "-o", str(tmp / f"汇总{n}.xlsx"), "-q"])
        out.append({"n": n, "bulk": b, "collect": c})
        print(f"  N={n:,}: bulk peak {b['peak_mb']:.0f} MB ({b['wall']:.0f} s)"
              + (f", collect peak {c['peak_mb']:.0f} MB ({c['wall']:.0f} s)" if c else ""), flush=True)
        shutil.rmtree(books, ignore_errors=True)
        (tmp / f"汇总{n}.xlsx").unlink(missing_ok=True)
        master.unlink()
        if report:
            report(out)
    return out


def bulk_only(tmp: Path, sizes: list[int], trees: list[Path], jobs: list[int], per_project: bool = True,
              rounds: int = 1) -> list[dict]:
    """`perfbook bulk` alone at every N projects (master as memory() makes it: sorted by project, departments
    round-robin), with each --jobs, from each checkout in trees (before → after), the rounds interleaved:
    peak RSS of the process tree (the highest), CPU of all processes and of the main one and wall (medians);
    with --jobs 1 and 2 the 2-core speed-up as whole() gives it."""
    out = []
    both = 1 in jobs and 2 in jobs
    for n in sizes:
        ps = synth_projects(n, departments=max(20, n // 50), seed=6)
        master = write_master(tmp / f"blk{n}.csv", ps, compact=True)
        parts = halves(tmp, ps, f"blk{n}") if both else []
        runs: dict = {(tree, j): [] for tree in trees for j in jobs}
        top: list[dict] = []
        for _ in range(rounds):
            for tree in trees:
                for j in jobs:
                    books = tmp / f"blk{n}"
                    set_aside(books)
                    runs[(tree, j)].append(run_tree(PB + ["bulk", str(master), "-o", str(books), "-q", "--jobs", str(j)]
                                                    + (["--per-project"] if per_project else []), cwd=tree))
                    set_aside(books)
            if both:
                top.append(ceiling(parts, tmp, per_project, trees[-1]))
        for tree in trees:
            got = {}
            for j in jobs:
                rs = runs[(tree, j)]
                got[j] = r = {k: statistics.median(x[k] for x in rs) for k in ("cpu", "cpu_main", "wall")}
                r["peak_mb"], r["processes"] = max(x["peak_mb"] for x in rs), max(x["processes"] for x in rs)
                print(f"  bulk N={n:,} --jobs {j} ({tree}): peak {r['peak_mb']:.0f} MB ({r['processes']} processes), "
                      f"CPU {r['cpu']:.2f} s (main {r['cpu_main']:.2f} s), wall {r['wall']:.1f} s"
                      + (f" (median of {rounds})" if rounds > 1 else ""), flush=True)
            if 1 in got and 2 in got:
                one, two = got[1], got[2]
                scale = {"cpu": one["cpu"] / max(two["cpu_main"], two["cpu"] / 2), "wall": one["wall"] / two["wall"]}
                if top:
                    scale["ceiling"] = one["wall"] / statistics.median(t["wall"] for t in top)
                print(f"  bulk N={n:,} ({tree}): 2 cores {scale['cpu']:.2f}× as CPU allows, {scale['wall']:.2f}× wall"
                      + (f"; the machine's ceiling {scale['ceiling']:.2f}× (two --jobs 1 halves at once, wall "
                         f"{statistics.median(t['wall'] for t in top):.1f} s, CPU {statistics.median(t['cpu'] for t in top):.2f} s)"
                         if top else ""), flush=True)
            out.append({"n": n, "tree": str(tree), "runs": got})
        master.unlink()
        for h in parts:
            h.unlink()
    return out


def halves(tmp: Path, ps: list[dict], stem: str) -> list[Path]:
    """The master's departments dealt alternately into two masters of about half the projects each."""
    depts = list(dict.fromkeys(p["主管部门"] for p in ps))
    side = {d: i % 2 for i, d in enumerate(depts)}
    return [write_master(tmp / f"{stem}-{h}.csv", [p for p in ps if side[p["主管部门"]] == h], compact=True)
            for h in (0, 1)]


def ceiling(halves: list[Path], tmp: Path, per_project: bool, cwd: Path | None = None) -> dict:
    """What this machine gives two processes that share nothing: `bulk --jobs 1` on each half of the
    master, both started at once. Its wall time against one `--jobs 1` over the whole master is the most
    two cores can give here (a VM's two vCPUs, a noisy neighbour, shared caches and disk), whatever bulk does."""
    outs = [tmp / f"half{h}" for h in (0, 1)]
    for o in outs:
        set_aside(o)
    res = run_together([PB + ["bulk", str(m), "-o", str(o), "-q", "--jobs", "1"] + (["--per-project"] if per_project else [])
                        for m, o in zip(halves, outs)], cwd=cwd)
    for o in outs:
        set_aside(o)
    return res


def collect_only(tmp: Path, sizes: list[int], trees: list[Path]) -> list[dict]:
    """`perfbook collect` alone at every N workbooks (one project each, made once by bulk), --jobs 1 and 2,
    run from each checkout in trees (another version beside this one: before → after). Peak RSS of the
    process tree, CPU of all processes and of the main one, wall; the 2-core speed-up as whole() gives it."""
    out = []
    for n in sizes:
        master = write_master(tmp / f"col{n}.csv", synth_projects(n, departments=max(20, n // 50), seed=6), compact=True)
        books = tmp / f"col{n}"
        run_tree(PB + ["bulk", str(master), "-o", str(books), "--per-project", "-q"])
        for tree in trees:
            got = {}
            for jobs in (1, 2):
                summary = tmp / f"汇总{n}.xlsx"
                got[jobs] = r = run_tree(PB + ["collect", str(books), "-o", str(summary), "-q", "--jobs", str(jobs)], cwd=tree)
                r["size_mb"] = summary.stat().st_size / 2 ** 20
                summary.unlink()
                print(f"  collect N={n:,} --jobs {jobs} ({tree}): peak {r['peak_mb']:.0f} MB, CPU {r['cpu']:.2f} s "
                      f"(main {r['cpu_main']:.2f} s), wall {r['wall']:.1f} s, summary {r['size_mb']:.1f} MB", flush=True)
            one, two = got[1], got[2]
            scale = {"cpu": one["cpu"] / max(two["cpu_main"], two["cpu"] / 2), "wall": one["wall"] / two["wall"]}
            print(f"  collect N={n:,} ({tree}): 2 cores {scale['cpu']:.2f}× as CPU allows, {scale['wall']:.2f}× wall", flush=True)
            out.append({"n": n, "tree": str(tree), "runs": got, "scale": scale})
        shutil.rmtree(books, ignore_errors=True)
        master.unlink()
    return out


# --- report -------------------------------------------------------------------------------------

def markdown(m, st, gen, rd, wh, mem, cmd) -> str:
    ms = lambda s: f"{s * 1000:.0f} ms"            # noqa: E731
    L = [f"Measured {time.strftime('%Y-%m-%d')} with `{cmd}`: {m['nproc']} cores ({m['cpu']}), Python {m['python']}, "
         f"openpyxl {m['openpyxl']}, python-calamine {m['python-calamine']}, pandas {m['pandas']}; load average "
         f"{m['load']:.1f} at the start{' (a shared machine: CPU times and ratios, not wall times)' if m['load'] > 1 else ''}.",
         "", "Start-up, CPU of the whole command (median):", "",
         "| command | CPU |", "|---|---:|"]
    L += [f"| `{k}` | {ms(v)} |" for k, v in st.items()]
    L += ["", f"Generation, CPU per workbook (target ≤ {TARGET_FLOOR}× the floor):", "",
          "| workbook | perfbook | floor: deflate + zip + write | perfbook / floor | plain openpyxl, same cells + merges | openpyxl / perfbook |",
          "|---|---:|---:|---:|---:|---:|"]
    L += [f"| {g['set']} | {g['perfbook']:.2f} ms | {g['floor']:.2f} ms | **{g['perfbook'] / g['floor']:.2f}×** "
          f"| {g['openpyxl']:.1f} ms | **{g['openpyxl'] / g['perfbook']:.0f}×** |" for g in gen]
    L += ["", "Reading, CPU per workbook (perfbook.read includes the safety scan and the template's marks):", "",
          "| workbook | perfbook.read | calamine alone | pandas + calamine | pandas + openpyxl | openpyxl read_only | openpyxl |",
          "|---|---:|---:|---:|---:|---:|---:|"]
    L += [f"| {r['set']} | {r['perfbook.read']:.2f} ms ({r['perfbook.read'] / r['calamine']:.1f}× calamine) | "
          f"{r['calamine']:.2f} ms | {r['pandas+calamine']:.2f} ms | {r['pandas+openpyxl']:.1f} ms | "
          f"{r['openpyxl read_only']:.1f} ms | {r['openpyxl']:.1f} ms |" for r in rd]
    f1, f2 = wh["fits"][1], wh["fits"][2]
    sizes = sorted({n for n, _ in wh["rows"]})
    L += ["", "`perfbook bulk --per-project` as a whole command (CPU of every process; wall in brackets):", "",
          "| N | --jobs 1 | --jobs 2 (default) |", "|---:|---:|---:|"]
    L += [f"| {n:,} | {wh['rows'][(n, 1)]['cpu']:.2f} s ({wh['rows'][(n, 1)]['wall']:.1f} s) | "
          f"{wh['rows'][(n, 2)]['cpu']:.2f} s ({wh['rows'][(n, 2)]['wall']:.1f} s) |" for n in sizes]
    sc, pl = wh["scale"], wh["plain"]
    p300 = wh["rows"][(wh["n300"], 1)]
    L += ["", f"Fitted total = a + b·N: --jobs 1 a = {f1['cpu'][0]:.2f} s, b = {f1['cpu'][1] * 1000:.2f} ms CPU "
          f"(wall a = {f1['wall'][0]:.2f} s, b = {f1['wall'][1] * 1000:.2f} ms); --jobs 2 a = {f2['cpu'][0]:.2f} s, "
          f"b = {f2['cpu'][1] * 1000:.2f} ms CPU (wall a = {f2['wall'][0]:.2f} s, b = {f2['wall'][1] * 1000:.2f} ms). "
          f"Below `bulk.SMALL_RUN` workbooks bulk stays in one process. Two cores at N = {sc['n']:,}: "
          f"**{sc['cpu']:.2f}×** one core as CPU allows (one core's CPU over the larger of the main process's CPU and "
          f"half of all CPU; target ≥ {TARGET_SCALE}×), **{sc['wall']:.2f}×** in wall time on this machine as it was; "
          f"two `--jobs 1` runs sharing nothing, each on half of the master, started at once, gave "
          f"{sc['ceiling']:.2f}× in the same run (the most this machine's two cores give any program).",
          "", f"Whole command at N = {wh['n300']}: the plain openpyxl loop (`python -m bench.plain`, csv → one "
          f"openpyxl workbook per project, no styles or validations) {pl['cpu']:.1f} s CPU vs `perfbook bulk --jobs 1` "
          f"{p300['cpu']:.2f} s → **{pl['cpu'] / p300['cpu']:.1f}×**."]
    if mem:
        L += ["", f"Peak memory, sum of RSS over the whole process tree (target < {TARGET_MB} MB, flat in N):", "",
              "| projects | `perfbook bulk --per-project` | `perfbook collect` |", "|---:|---:|---:|"]
        L += [f"| {x['n']:,} | {x['bulk']['peak_mb']:.0f} MB ({x['bulk']['processes']} processes, {x['bulk']['wall']:.0f} s) | "
              + (f"{x['collect']['peak_mb']:.0f} MB ({x['collect']['processes']} processes, {x['collect']['wall']:.0f} s) |"
                 if x["collect"] else "not run (its rows go to disk as they come) |") for x in mem]
    return "\n".join(L) + "\n"


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
    ap.add_argument("--quick", action="store_true", help="N = 50, 300, 1,000; memory at 1,000 and 5,000")
    ap.add_argument("--rounds", type=int,
                    help="rounds per measurement, the same on every side (default 7; 3 with --quick; at least 100 per workbook)")
    ap.add_argument("--sizes", help="comma-separated N for the fit (default 50,300,3000)")
    ap.add_argument("--memory", help="comma-separated N for peak memory (default 10000,50000); 0 skips it")
    ap.add_argument("--write-docs", action="store_true", help="put the results into README.md")
    ap.add_argument("--reading", action="store_true", help="only reading (both workbooks of yardstick 3), in its steps (200 rounds)")
    ap.add_argument("--generation", action="store_true", help="only the generation table (100 rounds)")
    ap.add_argument("--collect", help="only item 5's collect: comma-separated N workbooks (e.g. 1000,5000), --jobs 1 and 2")
    ap.add_argument("--tree", action="append", type=Path,
                    help="with --collect / --bulk: run perfbook from this checkout too (repeatable; e.g. the previous version)")
    ap.add_argument("--bulk", help="only `perfbook bulk`: comma-separated N projects (e.g. 5000,20000); with --tree too")
    ap.add_argument("--bulk-jobs", default="2", help="with --bulk: comma-separated --jobs (default 2; 1,2 gives the 2-core figure)")
    ap.add_argument("--departments", action="store_true", help="with --bulk: one workbook per department, not --per-project")
    args = ap.parse_args(argv)
    if args.bulk:
        tmp = Path(tempfile.mkdtemp(prefix="pb-bench-"))
        try:
            bulk_only(tmp, [int(x) for x in args.bulk.split(",")], [*(args.tree or []), ROOT],
                      [int(x) for x in args.bulk_jobs.split(",")], per_project=not args.departments, rounds=args.rounds or 1)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return 0
    if args.collect:
        tmp = Path(tempfile.mkdtemp(prefix="pb-bench-"))
        try:
            collect_only(tmp, [int(x) for x in args.collect.split(",")], [*(args.tree or []), ROOT])
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return 0
    if args.reading:
        with tempfile.TemporaryDirectory(prefix="pb-bench-") as d:
            print(f"reading ({args.rounds or 200} rounds, load {machine()['load']:.1f}):", flush=True)
            reading(reading_books(Path(d)), args.rounds or 200)
        return 0
    if args.generation:
        with tempfile.TemporaryDirectory(prefix="pb-bench-") as d:
            print(f"generation per workbook ({args.rounds or 100} rounds, load {machine()['load']:.1f}):", flush=True)
            generation(Path(d), args.rounds or 100)
        return 0
    rounds = args.rounds or (3 if args.quick else 7)
    sizes = [int(x) for x in (args.sizes or ("50,300,1000" if args.quick else "50,300,3000")).split(",")]
    mem = [int(x) for x in (args.memory or ("1000,5000" if args.quick else "10000,50000")).split(",") if int(x)]
    m = machine()
    print(f"machine: {m['nproc']} cores, {m['cpu']}, Python {m['python']}, load {m['load']:.1f}", flush=True)
    tmp = Path(tempfile.mkdtemp(prefix="pb-bench-"))
    old = os.getcwd()
    os.chdir(ROOT)                      # python -m bench.plain / perfbook from this checkout
    try:
        import perfbook
        one = perfbook.fill(ROOT / "examples" / "seed-001.yaml", tmp / "ONE.xlsx")
        print("start-up:", flush=True)
        st = startup_cpu(one, rounds)
        for k, v in st.items():
            print(f"  {k}: {v * 1000:.0f} ms CPU", flush=True)
        print("per workbook:", flush=True)
        gen, rd = per_workbook(tmp, max(rounds, PER_WORKBOOK_ROUNDS))
        print("whole commands:", flush=True)
        wh = whole(tmp, sizes, masters(tmp, sizes + [300]))
        cmd = "python -m bench.run" + (" --quick" if args.quick else "")

        def report(mm):                 # after every step that takes long: a usable block even if stopped later
            text = markdown(m, st, gen, rd, wh, mm, cmd)
            print("\n" + text, flush=True)
            if args.write_docs:
                write_docs(text)
        report([])
        print("memory:", flush=True)
        if mem:
            memory(tmp, mem, report)
    finally:
        os.chdir(old)
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
