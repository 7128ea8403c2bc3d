"""Run one function over many items on several cores (or a dask cluster), streaming the results.

bulk and collect hand over thousands of small jobs. Three things matter more than raw speed:
- memory stays flat: only a bounded window of chunks is in flight, and results are yielded (in input
  order, so output never depends on --jobs) instead of being gathered into one list;
- one bad item never stops the run: if a worker process dies (a crash in a native parser, the OOM
  killer, its time or memory budget), the chunks it held are retried one item per process, and each
  item that kills a worker on its own is reported through ``on_crash`` instead, however many;
- workers die with the run: a killed parent takes them along (PR_SET_PDEATHSIG);
- the same call works on one machine and on a dask.distributed cluster (``executor="dask"``).

The function must be importable (a module-level function) so that worker processes can run it.
"""
from __future__ import annotations

import ctypes
import itertools
import json
import multiprocessing as mp
import multiprocessing.connection
import os
import pickle
import resource
import signal
import sys
import threading
import warnings
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from multiprocessing import forkserver
from typing import Any

from ..errors import PerfbookError

EXECUTORS = ("local", "dask")
ENV = "PERFBOOK_WARM"          # the template the fork server compiles (perfbook/batch/_warm.py)


@dataclass(frozen=True)
class Budget:
    """What one item may cost in a worker: CPU seconds (the kernel stops the worker past it) and address
    space in MB (an allocation past it fails). An item over budget is reported through on_crash."""

    seconds: float | None = None
    memory_mb: int | None = None


@dataclass(frozen=True)
class Plan:
    """How to spread the work: which executor, how many workers, how many items per task."""

    executor: str = "local"
    jobs: int | None = None          # worker processes; None = every core
    chunk: int | None = None         # items per task; None: sized to the run (chunk_size)
    scheduler: str | None = None     # dask: a scheduler address; None starts a LocalCluster
    client: Any = None               # dask: an existing distributed.Client (tests, notebooks; an optional package)
    isolate: bool | None = None      # items in worker processes even with --jobs 1 (None: the caller's default)
    budget: Budget = Budget()
    fork: bool | None = None         # workers forked from this process, which has what they need (None: the caller's default)

    @property
    def workers(self) -> int:
        return max(1, self.jobs or default_jobs())


SMALLEST_CHUNK, LARGEST_CHUNK = 8, 32


def chunk_size(plan: Plan, total: int | None) -> int:
    """Items per task: plan.chunk when set; else about sixteen tasks per worker, from 8 to 32 items. Each
    task costs the main process a submit, a pickled message and a result to take back (at 8 items, a
    quarter of its CPU in a 3,000-workbook bulk); past 32, the last tasks leave a core idle longer."""
    if plan.chunk is not None:
        return max(1, plan.chunk)
    if total is None:
        return SMALLEST_CHUNK
    return min(LARGEST_CHUNK, max(SMALLEST_CHUNK, total // (plan.workers * 16)))


class WorkerDied(Exception):
    """An item whose worker process died: reason is 'time', 'memory' or 'crash'."""

    def __init__(self, reason: str, detail: str):
        self.reason, self.detail = reason, detail
        super().__init__(detail)


def default_jobs() -> int:
    """Every core this process may use (cgroup/affinity aware where the OS tells)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _die_with_parent() -> None:
    """Linux: the kernel kills this worker when the process that started it dies (kill -9 included), so no
    helper outlives a killed run. The forkserver that starts workers exits when the main process does."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)          # PR_SET_PDEATHSIG
    except (OSError, AttributeError):                     # pragma: no cover - not Linux
        return
    if os.getppid() == 1:                                 # the parent died before prctl
        os._exit(1)
    # A forkserver child inherits the forkserver's "main is alive" pipe end; while any worker holds it the
    # forkserver never sees the main process die, so it never exits and PDEATHSIG never fires. Drop it.
    try:
        from multiprocessing import forkserver
        fd = getattr(forkserver._forkserver, "_forkserver_alive_fd", None)
        if fd is not None and mp.current_process().name != "MainProcess":
            os.close(fd)
            setattr(forkserver._forkserver, "_forkserver_alive_fd", None)   # a private attribute: not in the stubs
    except (ImportError, AttributeError, OSError):
        pass


def _init_worker(budget: Budget) -> None:
    _die_with_parent()
    if budget.memory_mb:
        lim = budget.memory_mb * 1024 * 1024
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        lim = lim if hard == resource.RLIM_INFINITY else min(lim, hard)
        if soft == resource.RLIM_INFINITY or lim < soft:     # only ever tighter than what we were given
            resource.setrlimit(resource.RLIMIT_AS, (lim, hard))


def _cpu_budget(seconds: float | None) -> None:
    """Let the next item use `seconds` more CPU time: past it the kernel sends SIGXCPU, which ends the worker."""
    hard = resource.getrlimit(resource.RLIMIT_CPU)[1]
    if not seconds:
        resource.setrlimit(resource.RLIMIT_CPU, (hard, hard))
        return
    ru = resource.getrusage(resource.RUSAGE_SELF)
    soft = int(ru.ru_utime + ru.ru_stime + seconds) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (soft if hard == resource.RLIM_INFINITY else min(soft, hard), hard))


def _run_chunk(fn: Callable, items: list, seconds: float | None = None) -> list:
    out = []
    for x in items:
        if seconds:
            _cpu_budget(seconds)
        out.append(fn(x))
    if seconds:
        _cpu_budget(None)
    return out


def run(fn: Callable, items: Iterable, plan: Plan = Plan(), *, total: int | None = None,
        desc: str = "", on_crash: Callable | None = None) -> Iterator:
    """fn(item) for every item, yielded in input order while later chunks are already being worked on.

    on_crash(item, WorkerDied) -> result stands in for an item whose worker died; without it the error
    propagates. A progress bar is drawn on stderr when it is a terminal.
    """
    if plan.executor not in EXECUTORS:
        raise PerfbookError(f"未知的执行方式“{plan.executor}”（可选：{'、'.join(EXECUTORS)}）",
                            f"unknown executor '{plan.executor}' (choose from {', '.join(EXECUTORS)})")
    bar = _progress(total, desc)
    size = chunk_size(plan, total)
    try:
        if plan.executor == "dask":
            source = _dask(fn, items, plan, size)
        elif not plan.isolate and (plan.workers == 1 or (total is not None and total <= size)):
            source = (fn(x) for x in items)       # starting processes would cost more than the work
        else:
            source = _local(fn, items, plan, on_crash, size)
        for result in source:
            if bar is not None:
                bar.update(1)
            yield result
    finally:
        if bar is not None:
            bar.close()


def _progress(total, desc):
    if not sys.stderr.isatty() or os.environ.get("PERFBOOK_NO_PROGRESS"):   # set by --no-progress / -q
        return None
    from tqdm import tqdm
    tqdm.monitor_interval = 0           # no monitor thread: workers may then be forked from this process
    return tqdm(total=total, desc=desc, unit="个", file=sys.stderr, dynamic_ncols=True, leave=True)


def _chunks(items: Iterable, size: int) -> Iterator[list]:
    it = iter(items)
    while chunk := list(itertools.islice(it, size)):
        yield chunk


PRELOAD = ["perfbook.batch.collect", "perfbook.readers.reader", "perfbook.rules.check", "perfbook.batch.bulk", "perfbook.batch._warm"]


def _context():
    """forkserver where there is one: children start from a clean, small process (no inherited
    threads or summary-writer state) with perfbook already imported, so a fresh worker is cheap."""
    methods = mp.get_all_start_methods()
    ctx = mp.get_context("forkserver" if "forkserver" in methods else "spawn")
    if ctx.get_start_method() == "forkserver":
        ctx.set_forkserver_preload(PRELOAD)
    return ctx


def start_early(warm: dict | None = None) -> None:
    """Start the forkserver now, so that it imports perfbook (and compiles the template named by warm,
    perfbook/batch/_warm.py) on another core while this process is still reading its input. Once per
    process: a forkserver already running keeps what it has (its workers then compile for themselves)."""
    ctx = _context()
    if ctx.get_start_method() != "forkserver":
        return

    old = os.environ.get(ENV)
    os.environ[ENV] = json.dumps(warm or {})
    try:
        forkserver.ensure_running()
    finally:
        if old is None:
            os.environ.pop(ENV, None)
        else:
            os.environ[ENV] = old


def can_fork() -> bool:
    """Whether workers may be forked from this process: Linux (fork is the platform's own way there; macOS
    frameworks break under it), and no other thread, which could hold a lock the child would inherit held
    (a pool made again after a crash, with the old pool's threads still ending, comes from the fork server)."""
    return sys.platform.startswith("linux") and "fork" in mp.get_all_start_methods() and threading.active_count() == 1


class Aside:
    """fn(*args) worked out in a forked child while this process does something else (bulk: the master's
    first pass while the template compiles, on the other core). result() is (value,), or None when the
    child could not give it -- it raised, warned, or died -- and the caller then works it out itself, so
    an error or a warning comes from this process exactly as it would without the child. Only where
    can_fork(); the child dies with this process (_die_with_parent)."""

    def __init__(self, fn: Callable, *args):
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:                                   # the child: never returns
            os.close(r)
            _aside_child(w, fn, args)
        os.close(w)
        self.pid: int | None = pid
        self.fd = r

    def result(self) -> tuple | None:
        assert self.pid is not None, "result() is taken once"
        with os.fdopen(self.fd, "rb") as fh:           # until the child's end closes: it has exited
            data = fh.read()
        _pid, status = os.waitpid(self.pid, 0)
        self.pid = None
        if not data or os.waitstatus_to_exitcode(status) != 0:
            return None
        try:
            return (pickle.loads(data),)
        except Exception:                             # a value that does not unpickle: work it out here
            return None

    def cancel(self) -> None:
        """Stop the child (this process gave up before it needed the result)."""
        if self.pid is not None:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:                 # pragma: no cover - it had ended
                pass
            os.waitpid(self.pid, 0)
            self.pid = None
            os.close(self.fd)


def _aside_child(w: int, fn: Callable, args: tuple) -> None:
    code = 1
    try:
        _die_with_parent()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            value = fn(*args)
        if not caught:                                 # a warning is said by the parent, which works it out again
            data = pickle.dumps(value, pickle.HIGHEST_PROTOCOL)
            with os.fdopen(w, "wb") as fh:
                fh.write(data)
            code = 0
    except BaseException:                              # the parent works it out and meets the same error
        pass
    finally:
        os._exit(code)                                 # no atexit, no buffered output flushed twice


def _pool(plan: Plan) -> ProcessPoolExecutor:
    """plan.fork: the workers are forked from this process, which has the template compiled and every module
    imported (bulk): no fork server to start and warm (~0.45 s of CPU), nothing to import again. Else they
    come from the fork server (collect: small, clean processes)."""
    if plan.fork and can_fork():
        ctx: Any = mp.get_context("fork")       # it flushes stdout and stderr first: nothing is printed twice
    else:
        ctx = _context()
    return ProcessPoolExecutor(max_workers=plan.workers, mp_context=ctx,
                               initializer=_init_worker, initargs=(plan.budget,))


def _wall(plan: Plan, n: int) -> float | None:
    """Wall-clock allowance for n items: a worker stuck without using CPU (a hung read) is stopped too."""
    return plan.budget.seconds * n * 3 + 30 if plan.budget.seconds else None


def _kill(pool: ProcessPoolExecutor) -> None:
    for p in list((getattr(pool, "_processes", None) or {}).values()):
        try:
            p.kill()
        except (OSError, AttributeError):
            pass
    pool.shutdown(wait=False, cancel_futures=True)


def _local(fn, items, plan: Plan, on_crash, size: int) -> Iterator:
    """Chunks go out in a bounded window and come back in input order. A dead worker (or one over its
    time) loses the chunks in flight: those are redone one item per process, so each item that kills its
    worker is found and reported, and the run goes on with a fresh pool, however many there are."""
    window = plan.workers * 3              # chunks in flight: keeps every worker busy, bounds memory
    chunks = _chunks(items, size)
    pool = _pool(plan)
    pending: deque = deque()
    seconds = plan.budget.seconds
    try:
        while True:
            lost = None
            try:
                while len(pending) < window and (chunk := next(chunks, None)) is not None:
                    pending.append((None, chunk))          # listed first: a failing submit loses nothing
                    pending[-1] = (pool.submit(_run_chunk, fn, chunk, seconds), chunk)
                if not pending:
                    return
                fut, chunk = pending[0]
                if fut is None:
                    raise BrokenProcessPool("submit failed")
                results = fut.result(timeout=_wall(plan, len(chunk)))
                pending.popleft()
            except (BrokenProcessPool, FutureTimeout, RuntimeError):
                lost = [x for _f, c in pending for x in c]
                pending.clear()
                _kill(pool)
            if lost is None:
                yield from results
                continue
            yield from _isolate(fn, lost, plan, on_crash)
            pool = _pool(plan)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _one(conn, fn, item, budget: Budget) -> None:
    """Child of _isolate: one item, its result (or its exception) sent back."""
    _init_worker(budget)
    _cpu_budget(budget.seconds)
    try:
        msg = ("ok", fn(item))
    except BaseException as exc:   # noqa: BLE001 - handed to the parent, which raises it
        msg = ("error", exc)
    try:
        conn.send(msg)
    except Exception as exc:       # noqa: BLE001 - an unpicklable result or exception
        conn.send(("error", RuntimeError(f"{type(exc).__name__}: {exc}")))
    conn.close()


def _isolate(fn, items: list, plan: Plan, on_crash) -> Iterator:
    """Each item in a process of its own: how it ended (exit code, signal, time) says what happened."""
    ctx = _context()
    for x in items:
        recv, send = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=_one, args=(send, fn, x, plan.budget), daemon=True)
        proc.start()
        send.close()
        msg = None
        ready = mp.connection.wait([recv, proc.sentinel], timeout=_wall(plan, 1))
        if recv in ready:
            try:
                msg = recv.recv()
            except (EOFError, OSError):
                msg = None
        if msg is None and proc.is_alive() and not ready:
            proc.kill()
        proc.join(5)
        if proc.is_alive():
            proc.kill()
            proc.join()
        recv.close()
        if msg is not None and msg[0] == "ok":
            yield msg[1]
            continue
        if msg is not None:
            raise msg[1]
        exc = _death(proc.exitcode, not ready, plan.budget)
        if on_crash is None:
            raise PerfbookError(f"工作进程异常退出：{exc.detail}", f"a worker process died: {exc.detail}") from exc
        yield on_crash(x, exc)


def _death(code, timed_out: bool, budget: Budget) -> WorkerDied:
    sig = -code if code is not None and code < 0 else None
    name = signal.Signals(sig).name if sig and sig in signal.Signals._value2member_map_ else f"exit {code}"
    if timed_out or sig == signal.SIGXCPU:
        return WorkerDied("time", f"超过每个文件的时间上限（{budget.seconds or '—'} 秒），已停止（{name}）")
    if sig in (signal.SIGABRT, signal.SIGKILL) or code == 137:
        return WorkerDied("memory", f"读取时内存耗尽或被系统终止（{name}"
                                    + (f"，上限 {budget.memory_mb} MB" if budget.memory_mb else "") + "）")
    return WorkerDied("crash", f"工作进程异常退出（{name}）")


# --- dask ---------------------------------------------------------------------------------------

def _dask(fn, items, plan: Plan, size: int) -> Iterator:
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise PerfbookError("未安装 dask：pip install 'perfbook[dask]'",
                            "dask is not installed: pip install 'perfbook[dask]'") from None
    own_client = own_cluster = None
    client = plan.client
    if client is None:
        if plan.scheduler:
            client = own_client = Client(plan.scheduler)
        else:
            own_cluster = LocalCluster(n_workers=plan.workers, threads_per_worker=1, processes=True,
                                       dashboard_address=None)
            client = own_client = Client(own_cluster)
    try:
        window = max(2, len(client.scheduler_info().get("workers", {})) or plan.workers) * 3
        chunks = _chunks(items, size)
        pending: deque = deque()
        while True:
            while len(pending) < window and (chunk := next(chunks, None)) is not None:
                pending.append(client.submit(_run_chunk, fn, chunk, pure=False))
            if not pending:
                return
            fut = pending.popleft()
            results = fut.result()
            fut.release()
            yield from results
    finally:
        if own_client is not None:
            own_client.close()
        if own_cluster is not None:
            own_cluster.close()
