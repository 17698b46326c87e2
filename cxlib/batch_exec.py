"""Where a batch's clients run: a local process pool, or a Dask cluster.

Both backends call :func:`cxlib.batch.run_client` once per client, in a process that imported
the stack once (:func:`prepare_worker`), with one client per process at a time: a playbook's
kernel is a subprocess of its own, so one thread per worker is all a client needs, and the
per-cell timeout bounds a task that nothing outside can stop.

Process pool (default): a ``ProcessPoolExecutor`` on a ``forkserver`` context (``spawn`` where
there is none), fed at most one client per worker so that Ctrl-C never finds queued work
already handed to a worker. A worker that dies (killed, out of memory) breaks the pool, which
stops its other workers too: every client running then starts again in a fresh pool, and a
client whose own worker died twice is reported as ``crashed``.

Dask: a ``LocalCluster`` on 127.0.0.1 (processes, one thread each) or an existing scheduler.
Tasks are submitted with ``pure=False`` and collected with ``as_completed`` without raising;
a task whose worker died (``KilledWorker``) is reported as ``crashed``.

Ctrl-C: no new client starts; running clients are interrupted (their run is recorded as
interrupted, kernels shut down, nothing promoted) and reported ``interrupted``; the others
``not run``. Finished clients' reports are untouched: reports are only ever replaced by
renaming a complete folder (:func:`cxlib.batch.recover_promotion` repairs the one
interruption that can fall between two renames).
"""

from __future__ import annotations

import contextlib
import os
import queue
import signal
import sys
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from cxlib.batch import BatchResult, ClientResult, run_client
from cxlib.startup import skip_iri_format_checks

__all__ = [
    "STDERR_NOISE",
    "THREAD_VARIABLES",
    "execute",
    "prepare_worker",
    "threads_per_worker",
]

#: Lines a worker drops from its stderr: the kernels' warning about unencrypted local TCP
#: (see TOOLCHAIN.md) and jupyter_client's note when a finished kernel client's zmq context
#: is already gone. Neither is a failure; everything else passes through.
STDERR_NOISE = (
    "Kernel is running over TCP without encryption",
    "Could not destroy zmq context for",
)

#: Seconds running clients get to stop after Ctrl-C before their workers are killed.
STOP_GRACE_S = 60.0

_EVENTS: Any = None  # a worker's queue of "client started" events (process pool)
_BUSY = False  # a pool worker is running a client
_INTERRUPTED = False


# --------------------------------------------------------------------------- workers


def _filter_stderr(noise: Sequence[str] = STDERR_NOISE) -> None:
    """Route this process's fd 2 through a thread that drops known noise lines."""
    read_fd, write_fd = os.pipe()
    original = os.dup(2)
    os.dup2(write_fd, 2)
    os.close(write_fd)

    patterns = [n.encode() for n in noise]

    def pump() -> None:
        with os.fdopen(read_fd, "rb") as pipe:
            for line in pipe:  # keep draining whatever happens, or writers would block
                if any(p in line for p in patterns):
                    continue
                try:
                    os.write(original, line)
                except OSError:
                    pass

    threading.Thread(target=pump, name="cx-stderr", daemon=True).start()


def _interrupt_once(_signum: int, _frame: Any) -> None:
    """First SIGINT during a client: stop it. Idle workers, and later signals, ignore it.

    An idle worker that died of Ctrl-C would break the pool and take running clients down
    with it; a second interrupt would cut short the run's own clean-up.
    """
    global _INTERRUPTED
    if _BUSY and not _INTERRUPTED:
        _INTERRUPTED = True
        raise KeyboardInterrupt


#: Thread-count variables of the numeric libraries, limited in batch workers.
THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)


#: Dask settings of the local cluster. Its housekeeping costs 12% of a core with two
#: workers at Dask's defaults and 3% with these (measured with both workers busy in
#: ``time.sleep``), capacity a two-core batch needs for its clients. The dashboard is
#: off, so nobody reads the workers' statistical profiles (a hundred stack walks a second
#: in the process running the client) or the frequent system-monitor samples; work
#: stealing cannot help one-thread workers that take one client at a time; memory
#: limits are still watched twice a second, and the event loop's health five times.
LOCAL_DASK_SETTINGS: dict[str, Any] = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.system-monitor.interval": "2s",
    "distributed.worker.memory.monitor-interval": "500ms",
    "distributed.scheduler.work-stealing": False,
    "distributed.admin.tick.interval": "200ms",
}


def threads_per_worker(jobs: int) -> int:
    """Cores of this machine shared out between ``jobs`` workers (at least 1).

    Examples
    --------
    >>> threads_per_worker(10_000)
    1
    """
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, (cores or 1) // max(1, jobs))


def prepare_worker(
    events: Any = None,
    *,
    filter_stderr: bool = True,
    skip_iri: bool = True,
    threads: int | None = None,
) -> float:
    """Set up a batch worker process and import the stack once; return the seconds it took.

    Parameters
    ----------
    events : queue, optional
        Given in a process-pool worker: where it announces each client it starts. Such a
        worker also takes over SIGINT (:func:`_interrupt_once`).
    filter_stderr : bool, default True
        Drop :data:`STDERR_NOISE` lines from the process's stderr (kernels inherit it).
    skip_iri : bool, default True
        Apply :func:`cxlib.startup.skip_iri_format_checks` (for processes the batch owns).
    threads : int, optional
        Threads the numeric libraries of this worker's kernels may use (set through
        :data:`THREAD_VARIABLES` unless the user set them), so that workers sharing a
        machine do not oversubscribe its cores.

    Returns
    -------
    float
        Seconds spent importing.
    """
    global _EVENTS
    _EVENTS = events
    if threads is not None:  # before numpy loads here, and before kernels inherit it
        for name in THREAD_VARIABLES:
            os.environ.setdefault(name, str(threads))
    if filter_stderr:
        _filter_stderr()
    if skip_iri:
        skip_iri_format_checks()
    if events is not None and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, _interrupt_once)
    # tqdm's default lock is a multiprocessing semaphore; one held by a killed worker makes
    # the resource tracker warn about a leak. Bars in a worker need no cross-process lock.
    from tqdm import tqdm

    tqdm.set_lock(threading.RLock())
    started = time.perf_counter()
    import jupyter_client.manager  # noqa: F401
    import nbconvert  # noqa: F401
    import nbformat  # noqa: F401
    import papermill  # noqa: F401
    import pyarrow.parquet  # noqa: F401

    import cxlib.ingest  # noqa: F401
    import cxlib.report  # noqa: F401
    import cxlib.run  # noqa: F401

    return time.perf_counter() - started


def _init_pool_worker(events: Any, threads: int) -> None:
    prepare_worker(events, threads=threads)


def _pool_task(index: int, label: str, folder: str, options: dict[str, Any]) -> ClientResult:
    global _BUSY
    if _EVENTS is not None:
        _EVENTS.put((index, os.getpid()))
    _BUSY = True
    try:
        return run_client(folder, label=label, **options)
    finally:
        _BUSY = False
        _end_leftover_kernels(label)


def _dask_task(label: str, folder: str, options: dict[str, Any]) -> ClientResult:
    try:
        return run_client(folder, label=label, **options)
    finally:
        _end_leftover_kernels(label)


def _end_leftover_kernels(label: str) -> int:
    """Kill kernels this worker started that outlived their client; return how many.

    Every kernel belongs to one step of one client and should be gone when the client is;
    one caught in a slow shutdown when its worker exits would otherwise live on.
    """
    import psutil

    ended = 0
    # An ordinary kernel, or the stand-in of a forked one (which takes its kernel with it).
    kernel = ("ipykernel", "kernel_shim")
    for child in psutil.Process().children(recursive=True):
        try:
            if any(k in part for part in child.cmdline() for k in kernel):
                child.kill()
                ended += 1
        except psutil.Error:
            continue
    if ended:
        print(f"cx batch: ended {ended} kernel(s) left running after {label}", file=sys.stderr)
    return ended


# --------------------------------------------------------------------------- reporting


class _Progress:
    """One bar for the batch; a status line per client above it (or through ``log``)."""

    def __init__(self, total: int, progress: bool, log: Callable[[str], None] | None):
        from tqdm.auto import tqdm

        self._bar = tqdm(total=total, desc="cx batch", unit="client", disable=not progress)
        self._log = log
        self._counts: dict[str, int] = {}

    def say(self, line: str) -> None:
        if not self._bar.disable:
            self._bar.write(line, file=sys.stderr)
        elif self._log is not None:
            self._log(line)

    def started(self, label: str, attempt: int = 1) -> None:
        self.say(f"  started    {label}" + (f" (attempt {attempt})" if attempt > 1 else ""))

    def finished(self, result: ClientResult) -> None:
        self._counts[result.status] = self._counts.get(result.status, 0) + 1
        detail = f"  {result.seconds:6.1f} s"
        if result.step:
            detail += f"  step {result.step}"
        if result.error:
            detail += f"  {result.error[:100]}"
        if result.note:  # a repair made before the run, such as a finished promotion
            detail += f"  note: {result.note[:100]}"
        self.say(f"  {result.status:<10} {result.client}{detail}")
        self._bar.set_postfix_str(", ".join(f"{n} {s}" for s, n in self._counts.items()))
        self._bar.update(1)

    def close(self) -> None:
        self._bar.close()


def _not_run(label: str, folder: Path, status: str = "not run", error: str = "") -> ClientResult:
    return ClientResult(label, str(folder), status, error=error or "the batch stopped first")


def execute(
    clients: Sequence[tuple[str, Path]],
    options: dict[str, Any],
    *,
    jobs: int,
    scheduler: str | None = None,
    use_dask: bool = False,
    progress: bool = True,
    log: Callable[[str], None] | None = None,
) -> BatchResult:
    """Run every client with :func:`cxlib.batch.run_client` on the chosen backend.

    Parameters
    ----------
    clients : sequence of (str, Path)
        Label and absolute folder of each client.
    options : dict
        Keyword arguments for :func:`cxlib.batch.run_client` (steps, wave, parameters,
        resume, cell_timeout).
    jobs : int
        Worker processes (process pool or local Dask cluster).
    scheduler : str, optional
        Address of a running Dask scheduler.
    use_dask : bool, default False
        Use Dask (a local cluster unless ``scheduler`` is given).
    progress : bool, default True
        Show the batch's progress bar.
    log : callable, optional
        Receives status lines when the bar is off.

    Returns
    -------
    BatchResult
        Outcomes in the order of ``clients``.
    """
    started = time.perf_counter()
    bar = _Progress(len(clients), progress, log)
    results: list[ClientResult | None] = [None] * len(clients)
    try:
        if use_dask:
            backend, workers, interrupted = _run_dask(
                clients, options, results, bar, jobs=jobs, scheduler=scheduler
            )
        else:
            backend, workers = "processes", jobs
            interrupted = _run_pool(clients, options, results, bar, jobs=jobs)
    finally:
        bar.close()
    final = [
        r or _not_run(label, folder) for r, (label, folder) in zip(results, clients, strict=True)
    ]
    return BatchResult(
        results=final,
        seconds=round(time.perf_counter() - started, 3),
        backend=backend,
        workers=workers,
        interrupted=interrupted,
    )


# --------------------------------------------------------------------------- process pool


def _context():
    import multiprocessing

    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


def _run_pool(clients, options, results, bar: _Progress, *, jobs: int) -> bool:
    """Run the clients in a process pool; return whether Ctrl-C stopped it."""
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    ctx = _context()
    events = ctx.Queue()
    pending = deque(range(len(clients)))
    attempts = [0] * len(clients)  # times a worker started the client
    crashes = [0] * len(clients)  # times the client's own worker died under it
    breaks = [0] * len(clients)  # times the pool broke while the client was submitted
    workers: dict[int, Any] = {}  # pid -> worker process, to tell who died first
    running: dict[int, int] = {}  # client index -> worker pid, once started
    inflight: dict[Any, int] = {}

    def new_pool() -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=jobs,
            mp_context=ctx,
            initializer=_init_pool_worker,
            initargs=(events, threads_per_worker(jobs)),
        )

    def drain() -> None:
        while True:
            try:
                index, pid = events.get_nowait()
            except queue.Empty:
                return
            if index not in running and results[index] is None:
                running[index] = pid
                attempts[index] += 1
                bar.started(clients[index][0], attempts[index])

    def finish(index: int, result: ClientResult) -> None:
        results[index] = replace(result, attempts=max(attempts[index], 1))
        running.pop(index, None)
        bar.finished(results[index])

    pool = new_pool()
    try:
        while pending or inflight:
            broken = False
            while pending and len(inflight) < jobs and not broken:
                index = pending[0]
                label, folder = clients[index]
                # Ctrl-C waits until the client is both submitted and recorded as such: a
                # client submitted but still counted as pending would run unnoticed.
                with _sigint_deferred():
                    try:
                        future = pool.submit(_pool_task, index, label, str(folder), options)
                    except BrokenProcessPool:  # a worker died since the last look
                        broken = True
                        continue
                    inflight[future] = pending.popleft()
            if not broken:
                workers.update(getattr(pool, "_processes", None) or {})
                done, _ = wait(list(inflight), timeout=0.5, return_when=FIRST_COMPLETED)
                drain()
                broken = any(isinstance(f.exception(), BrokenProcessPool) for f in done)
            if not broken:
                for future in done:
                    index = inflight.pop(future)
                    finish(index, _collect(future, *clients[index]))
                continue
            # A worker died, and the pool stops every other worker: every submitted future
            # fails. Finish what finished and retry the rest in a fresh pool; a client whose
            # own worker died twice is reported as crashed.
            culprits = _dead_first(workers)
            wait(list(inflight), timeout=30)
            drain()
            for future, index in sorted(inflight.items(), key=lambda item: -item[1]):
                if _finished_normally(future):
                    finish(index, _collect(future, *clients[index]))
                    continue
                breaks[index] += 1
                pid = running.pop(index, None)
                if pid is not None and (pid in culprits or not culprits):
                    crashes[index] += 1
                if crashes[index] >= 2 or breaks[index] >= 4:
                    label, folder = clients[index]
                    error = "its worker process died (killed, or out of memory), twice"
                    finish(index, ClientResult(label, str(folder), "crashed", error=error))
                else:
                    pending.appendleft(index)
            workers.clear()
            inflight.clear()
            pool.shutdown(wait=True, cancel_futures=True)  # its workers are gone already
            pool = new_pool()
        pool.shutdown(wait=True)
        return False
    except KeyboardInterrupt:
        drain()
        for index in list(pending):
            results[index] = _not_run(*clients[index])
        _stop_running(inflight, running, finish, clients)
        # A worker may still hold a queued client that never started: stop every worker, so
        # nothing runs after the summary has been written.
        for process in list((getattr(pool, "_processes", None) or {}).values()):
            if process.is_alive():
                _signal(process.pid, signal.SIGKILL)
        return True
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
        events.close()
        events.join_thread()


@contextlib.contextmanager
def _sigint_deferred():
    """Hold back Ctrl-C until the block is done, then raise it (main thread only)."""
    from cxlib.run import hold_interrupts

    with hold_interrupts() as caught:
        yield
    if caught:
        raise KeyboardInterrupt


def _dead_first(workers: dict[int, Any]) -> set[int]:
    """Pids of workers that died on their own (the pool terminates the others with SIGTERM)."""
    return {
        pid
        for pid, process in workers.items()
        if process.exitcode is not None and process.exitcode != -signal.SIGTERM
    }


def _finished_normally(future) -> bool:
    return future.done() and not future.cancelled() and future.exception() is None


def _collect(future, label: str, folder: Path) -> ClientResult:
    """Return the client's result; a task that raised (it should not) becomes an error."""
    try:
        return future.result()
    except Exception as exc:
        error = f"{type(exc).__name__}: {' '.join(str(exc).split())}"
        return ClientResult(label, str(folder), "error", error=error)


def _stop_running(inflight, running, finish, clients) -> None:
    """After Ctrl-C: interrupt running clients, wait a while, then kill their workers."""
    from concurrent.futures import wait

    for pid in set(running.values()):
        _signal(pid, signal.SIGINT)  # a worker ignores it if the terminal already sent one
    deadline = time.monotonic() + STOP_GRACE_S
    try:
        while inflight and time.monotonic() < deadline:
            done, _ = wait(list(inflight), timeout=0.5)
            for future in done:
                index = inflight.pop(future)
                label, folder = clients[index]
                if _finished_normally(future):
                    finish(index, future.result())
                else:  # the pool broke while stopping
                    error = "stopped by the user; its worker ended"
                    finish(index, ClientResult(label, str(folder), "interrupted", error=error))
    except KeyboardInterrupt:  # a second Ctrl-C: stop now
        pass
    for future, index in list(inflight.items()):
        pid = running.get(index)
        if pid is not None:
            _signal(pid, signal.SIGKILL)
        label, folder = clients[index]
        if index in running:
            error = "stopped by the user; its worker was killed"
            finish(index, ClientResult(label, str(folder), "interrupted", error=error))
        else:
            finish(index, _not_run(label, folder))
        inflight.pop(future)


def _signal(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


# --------------------------------------------------------------------------- Dask


def _run_dask(clients, options, results, bar: _Progress, *, jobs: int, scheduler: str | None):
    """Run the clients on Dask; return (backend, workers, interrupted)."""
    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError as exc:  # the optional extra is not installed
        from cxlib.errors import CxError

        raise CxError(
            "Dask is not installed; install the kit with its dask extra "
            "(pip install 'cxlib[dask]') or run without --dask/--scheduler"
        ) from exc

    cluster = None
    if scheduler:
        client = Client(scheduler, timeout="30s")
        backend = f"dask {scheduler}"
    else:
        import dask

        # Dask's workers start with MALLOC_TRIM_THRESHOLD_=65536, which their kernels would
        # inherit: glibc then returns memory to the system so often that pandas-heavy
        # playbooks spend about a tenth more CPU. Same thread limits as the process pool.
        threads = str(threads_per_worker(jobs))
        environ = {name: threads for name in THREAD_VARIABLES}
        settings = {"distributed.nanny.pre-spawn-environ": environ, **LOCAL_DASK_SETTINGS}
        with dask.config.set(settings):
            cluster = LocalCluster(
                n_workers=jobs,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,
            )
        client = Client(cluster)
        backend = f"dask-local {cluster.scheduler_address}"
    try:
        local = cluster is not None
        threads = threads_per_worker(jobs) if local else None
        client.run(prepare_worker, None, filter_stderr=local, skip_iri=local, threads=threads)
        workers = sum(client.nthreads().values())
        futures = {}
        for index, (label, folder) in enumerate(clients):
            key = f"cx-batch-{index}-{uuid.uuid4().hex[:8]}"
            future = client.submit(
                _dask_task, label, str(folder), options, pure=False, key=key, retries=0
            )
            futures[future] = index
        try:
            for future in as_completed(list(futures)):
                index = futures.pop(future)
                label, folder = clients[index]
                if future.status != "finished":
                    exc = future.exception()
                    status = "crashed" if type(exc).__name__ == "KilledWorker" else "error"
                    error = f"{type(exc).__name__}: {' '.join(str(exc).split())}"
                    result = ClientResult(label, str(folder), status, error=error)
                else:
                    result = future.result()
                results[index] = result
                bar.finished(result)
            return backend, workers, False
        except KeyboardInterrupt:
            client.cancel(list(futures))
            for index in futures.values():
                label, folder = clients[index]
                if scheduler:  # Dask cannot stop a running task: it finishes on its own
                    error = "cancelled by the user; if it had started, it runs to its end"
                    results[index] = ClientResult(label, str(folder), "not run", error=error)
                else:  # closing the local cluster stops its workers
                    error = "stopped by the user"
                    results[index] = ClientResult(label, str(folder), "interrupted", error=error)
            return backend, workers, True
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
