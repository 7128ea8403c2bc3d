"""Run one function over many items on several cores (or a dask cluster), streaming the results.

bulk and collect hand over thousands of small jobs. Three things matter more than raw speed:
- memory stays flat: only a bounded window of chunks is in flight, and results are yielded (in input
  order, so output never depends on --jobs) instead of being gathered into one list;
- one bad item never stops the run: if a worker process dies (a crash in a native parser, the OOM
  killer), the chunks it held are retried one item at a time in a fresh pool, and the item that
  kills a worker on its own is reported through ``on_crash`` instead;
- the same call works on one machine and on a dask.distributed cluster (``executor="dask"``).

The function must be importable (a module-level function) so that worker processes can run it.
"""
from __future__ import annotations

import itertools
import multiprocessing as mp
import os
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

from .errors import PerfbookError

EXECUTORS = ("local", "dask")
MAX_BREAKS = 8


@dataclass(frozen=True)
class Plan:
    """How to spread the work: which executor, how many workers, how many items per task."""

    executor: str = "local"
    jobs: int | None = None          # worker processes; None = every core
    chunk: int = 8                   # items per task: fewer round trips, still a fair spread
    scheduler: str | None = None     # dask: a scheduler address; None starts a LocalCluster
    client: object = None            # dask: an existing distributed.Client (tests, notebooks)

    @property
    def workers(self) -> int:
        return max(1, self.jobs or default_jobs())


def default_jobs() -> int:
    """Every core this process may use (cgroup/affinity aware where the OS tells)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _run_chunk(fn: Callable, items: list) -> list:
    return [fn(x) for x in items]


def run(fn: Callable, items: Iterable, plan: Plan = Plan(), *, total: int | None = None,
        desc: str = "", on_crash: Callable | None = None) -> Iterator:
    """fn(item) for every item, yielded in input order while later chunks are already being worked on.

    on_crash(item, exc) -> result stands in for an item whose worker died; without it the error
    propagates. A progress bar is drawn on stderr when it is a terminal.
    """
    if plan.executor not in EXECUTORS:
        raise PerfbookError(f"未知的执行方式“{plan.executor}”（可选：{'、'.join(EXECUTORS)}）",
                            f"unknown executor '{plan.executor}' (choose from {', '.join(EXECUTORS)})")
    bar = _progress(total, desc)
    try:
        if plan.executor == "dask":
            source = _dask(fn, items, plan)
        elif plan.workers == 1 or (total is not None and total <= plan.chunk):
            source = (fn(x) for x in items)       # starting processes would cost more than the work
        else:
            source = _local(fn, items, plan, on_crash)
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
    try:
        from tqdm import tqdm
    except ImportError:  # pragma: no cover - tqdm is a dependency
        return None
    return tqdm(total=total, desc=desc, unit="个", file=sys.stderr, dynamic_ncols=True, leave=True)


def _chunks(items: Iterable, size: int) -> Iterator[list]:
    it = iter(items)
    while chunk := list(itertools.islice(it, size)):
        yield chunk


def _context():
    """forkserver where there is one: children start from a clean, small process (no inherited
    threads or summary-writer state), and still start fast."""
    methods = mp.get_all_start_methods()
    return mp.get_context("forkserver" if "forkserver" in methods else "spawn")


def _pool(plan: Plan) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(max_workers=plan.workers, mp_context=_context())


def _local(fn, items, plan: Plan, on_crash) -> Iterator:
    """Chunks go out in a bounded window and come back in input order."""
    window = plan.workers * 3              # chunks in flight: keeps every worker busy, bounds memory
    chunks = _chunks(items, max(1, plan.chunk))
    pool = _pool(plan)
    pending: deque = deque()
    try:
        while True:
            while len(pending) < window and (chunk := next(chunks, None)) is not None:
                pending.append((pool.submit(_run_chunk, fn, chunk), chunk))
            if not pending:
                return
            fut, chunk = pending.popleft()
            try:
                results = fut.result()
            except BrokenProcessPool:
                # the pool is gone and with it every chunk in flight: redo them one item at a time
                lost = [chunk] + [c for _f, c in pending]
                pending.clear()
                pool.shutdown(wait=False, cancel_futures=True)
                pool, results = _isolate(fn, [x for c in lost for x in c], plan, on_crash)
                yield from results
                continue
            yield from results
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _isolate(fn, items: list, plan: Plan, on_crash):
    """Run items one by one in fresh pools, so the one that kills its worker is found and reported."""
    pool, out, breaks = _pool(plan), [], 0
    for x in items:
        try:
            out.append(pool.submit(_run_chunk, fn, [x]).result()[0])
            breaks = 0
        except BrokenProcessPool as exc:
            pool.shutdown(wait=False, cancel_futures=True)
            pool = _pool(plan)
            breaks += 1
            if on_crash is None or breaks > MAX_BREAKS:
                pool.shutdown(wait=False)
                raise PerfbookError("工作进程反复异常退出，无法继续（可用 --jobs 1 在单进程中运行以查看原因）",
                                    "worker processes keep dying; run with --jobs 1 to see why") from exc
            out.append(on_crash(x, exc))
    return pool, out


# --- dask ---------------------------------------------------------------------------------------

def _dask(fn, items, plan: Plan) -> Iterator:
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
        chunks = _chunks(items, max(1, plan.chunk))
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
