"""Batch throughput: demo-sized clients on the process pool and on a local Dask cluster.

Generates N clients with ``data/demo/generate.py --seed 1..N`` (kept in a cache folder), then
runs the same batch on fresh copies with 1 and 2 workers, on the process pool and on a local
Dask cluster, and prints wall time, clients per minute and the ratios against the targets
(2 workers at least 1.8 times one; Dask within 10% of the pool). ``--startup`` measures what
a notebook execution pays before it does any work, in a fresh process and in a batch worker.

    .venv/bin/python benchmarks/batch.py [--clients 20] [--steps mission ...] [--startup]

Machines drift by 20-25% minutes apart: configurations run interleaved, and the ratios are
the figures to read. Nothing here is part of the test suite.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT))

from cxlib import batch  # noqa: E402

CONFIGS = [("processes", 1), ("dask", 1), ("processes", 2), ("dask", 2)]


def make_clients(cache: Path, n: int) -> Path:
    """Generate clients seed 1..n into ``cache`` (only the missing ones), two at a time."""
    cache.mkdir(parents=True, exist_ok=True)
    todo = [
        i for i in range(1, n + 1) if not (cache / f"client{i:02d}" / "engagement.yaml").is_file()
    ]

    def generate(seed: int) -> None:
        out = cache / f"client{seed:02d}"
        shutil.rmtree(out, ignore_errors=True)
        subprocess.run(
            [
                sys.executable,
                ROOT / "data" / "demo" / "generate.py",
                "--out",
                out,
                "--seed",
                str(seed),
            ],
            check=True,
            capture_output=True,
        )

    if todo:
        print(f"generating {len(todo)} client(s) into {cache} ...", flush=True)
        with ThreadPoolExecutor(2) as pool:
            list(pool.map(generate, todo))
    return cache


def fresh_copy(cache: Path, n: int, target: Path) -> Path:
    target.mkdir(parents=True)
    for i in range(1, n + 1):
        name = f"client{i:02d}"
        shutil.copytree(
            cache / name, target / name, ignore=shutil.ignore_patterns("runs", "reports")
        )
    return target


class CpuMeter:
    """CPU seconds used by this process and every process below it (workers, kernels).

    Sampled every half second, keeping each process's last reading, so a process that
    lives less than that is partly missed: the figure is a slight underestimate.
    """

    def __init__(self) -> None:
        import psutil

        self._root = psutil.Process()
        self._seen: dict[tuple[int, float], float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> None:
        import psutil

        for proc in [self._root, *self._root.children(recursive=True)]:
            try:
                times = proc.cpu_times()
                self._seen[(proc.pid, proc.create_time())] = times.user + times.system
            except psutil.Error:
                continue

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            self._sample()

    def __enter__(self) -> CpuMeter:
        self._sample()
        self._start = dict(self._seen)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()
        self.seconds = sum(v - self._start.get(k, 0.0) for k, v in self._seen.items())


def run_config(cache: Path, n: int, backend: str, workers: int, steps, tmp: Path):
    folder = fresh_copy(cache, n, tmp / f"{backend}-{workers}-{time.monotonic_ns()}")
    clients = batch.find_engagements(folder)
    load = os.getloadavg()[0]
    start = time.perf_counter()
    with CpuMeter() as cpu:
        result = batch.run_batch(
            clients, jobs=workers, steps=steps, use_dask=backend == "dask", progress=False
        )
    wall = time.perf_counter() - start
    bad = [f"{r.client}: {r.status} {r.step} {r.error}" for r in result.results if not r.ok]
    per_client = statistics.median(r.seconds for r in result.results)
    shutil.rmtree(folder, ignore_errors=True)
    return wall, per_client, bad, cpu.seconds, load


def throughput(args) -> None:
    cache = make_clients(Path(args.cache), args.clients)
    load = os.getloadavg()[0]
    print(
        f"{args.clients} clients, steps: {' '.join(args.steps) if args.steps else 'all'}; "
        f"{os.cpu_count()} cores; load average {load:.1f} at start"
    )
    walls: dict[tuple[str, int], list[float]] = {c: [] for c in CONFIGS}
    cores: dict[tuple[str, int], list[float]] = {c: [] for c in CONFIGS}
    with tempfile.TemporaryDirectory(prefix="cx-bench-batch-") as tmp:
        for rep in range(args.repeat):
            for backend, workers in CONFIGS:
                wall, per_client, bad, cpu, load = run_config(
                    cache, args.clients, backend, workers, args.steps, Path(tmp)
                )
                walls[(backend, workers)].append(wall)
                cores[(backend, workers)].append(cpu / wall)
                print(
                    f"  run {rep + 1}: {backend:<9} {workers} worker(s): {wall:7.1f} s wall, "
                    f"{60 * args.clients / wall:5.1f} clients/min, median {per_client:5.1f} s, "
                    f"{cpu / wall:.2f} cores busy, load before {load:.1f}"
                    + (f"  FAILED: {bad}" if bad else ""),
                    flush=True,
                )
    med = {c: statistics.median(w) for c, w in walls.items()}
    print(f"\n{'backend':<10} {'workers':>7} {'wall s':>8} {'clients/min':>12} {'cores':>6}")
    for (backend, workers), wall in med.items():
        busy = statistics.median(cores[(backend, workers)])
        print(
            f"{backend:<10} {workers:>7} {wall:8.1f} {60 * args.clients / wall:12.1f} {busy:6.2f}"
        )
    print()
    for backend in ("processes", "dask"):
        speedup = med[(backend, 1)] / med[(backend, 2)]
        verdict = "meets" if speedup >= 1.8 else "misses"
        print(f"{backend}: 2 workers = {speedup:.2f}x one worker ({verdict} the 1.8x target)")
    for workers in (1, 2):
        ratio = med[("dask", workers)] / med[("processes", workers)]
        verdict = "within" if ratio <= 1.10 else "outside"
        print(
            f"{workers} worker(s): Dask wall / pool wall = {ratio:.2f} ({verdict} the 10% target)"
        )
    print(
        "cores: CPU seconds of the batch's processes (workers, kernel templates and kernels) "
        "per wall second"
    )
    print(f"load average at end {os.getloadavg()[0]:.1f}")


# --------------------------------------------------------------------------- start-up


def _median_of(runs: int, fn) -> float:
    return statistics.median(fn() for _ in range(runs))


def _fresh_process_import(skip_iri: bool) -> float:
    code = (
        "import time; t = time.perf_counter()\n"
        "from cxlib.batch_exec import prepare_worker\n"
        f"prepare_worker(filter_stderr=False, skip_iri={skip_iri})\n"
        "print(time.perf_counter() - t)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.split()[-1])


def _kernel_start(warmup: str, fork: bool = False) -> float:
    """Seconds until a kernel has run ``warmup``: an ordinary kernel, or one forked from
    a template that is already running (its own start is paid once per process)."""
    from cxlib.config import playbooks_dir
    from cxlib.kernels import WarmKernels

    os.environ["CX_FORK_KERNELS"] = "1" if fork else "0"
    try:
        kernels = WarmKernels(playbooks_dir(), warmup=warmup)
        if kernels._template is not None:
            kernels._template.ready()
        start = time.perf_counter()
        km = kernels._start()
        seconds = time.perf_counter() - start
        assert (km.kernel_name == "cx-forked-python3") == fork, km.kernel_name
        km.shutdown_kernel(now=True)
        kernels.close()
    finally:
        del os.environ["CX_FORK_KERNELS"]
    return seconds


def _template_start() -> float:
    from cxlib import kernel_fork, kernels

    start = time.perf_counter()
    template = kernel_fork.KernelTemplate(kernels.TEMPLATE_IMPORTS)
    template.ready()
    seconds = time.perf_counter() - start
    template.close()
    return seconds


def _papermill_overhead(tmp: Path, n: int) -> tuple[float, float]:
    """Seconds papermill takes for a two-cell notebook in an already started kernel, and
    the same with the kernel started by papermill itself."""
    import nbformat
    import papermill

    from cxlib.config import playbooks_dir
    from cxlib.kernels import WarmKernels

    book = tmp / "tiny.ipynb"
    params = nbformat.v4.new_code_cell('wave: str = ""', metadata={"tags": ["parameters"]})
    meta = {"kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"}}
    cells = [params, nbformat.v4.new_code_cell("1")]
    nbformat.write(nbformat.v4.new_notebook(cells=cells, metadata=meta), book)
    kernels = WarmKernels(playbooks_dir(), warmup="")
    warm, cold = [], []
    for _ in range(n):
        km = kernels.take()
        start = time.perf_counter()
        papermill.execute_notebook(
            str(book),
            str(tmp / "out.ipynb"),
            parameters={"wave": "x"},
            km=km,
            kernel_name="python3",
            progress_bar=False,
        )
        warm.append(time.perf_counter() - start)
        kernels.release(km)
        start = time.perf_counter()
        papermill.execute_notebook(
            str(book),
            str(tmp / "out.ipynb"),
            parameters={"wave": "x"},
            kernel_name="python3",
            progress_bar=False,
        )
        cold.append(time.perf_counter() - start)
    kernels.close()
    return statistics.median(warm), statistics.median(cold)


def _notebook_saves(folder: Path) -> tuple[int, float]:
    """Saves papermill makes per executed notebook (one per cell start and end) and what
    writing them costs, nbformat validation included."""
    import nbformat
    from papermill.iorw import write_ipynb

    total, count = 0.0, 0
    for path in sorted(folder.rglob("runs/*/notebooks/*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        saves = 2 * sum(c.cell_type == "code" for c in nb.cells) + 2
        start = time.perf_counter()
        write_ipynb(nb, str(path.with_name("bench-copy.ipynb")))
        total += saves * (time.perf_counter() - start)
        count += 1
    return count, total / max(count, 1)


def _cx_run(folder: Path, steps) -> float:
    args = [BIN / "cx", "run", folder, "--no-progress"] + [a for s in steps for a in ("--step", s)]
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    start = time.perf_counter()
    subprocess.run(args, check=True, capture_output=True, env=env)
    return time.perf_counter() - start


def startup(args) -> None:
    from cxlib import kernels as kernels_module
    from cxlib import run

    cache = make_clients(Path(args.cache), 1)
    steps = args.steps or ["mission"]
    n = args.repeat_startup
    print(f"start-up costs, median of {n}; load average {os.getloadavg()[0]:.1f}")
    with_iri = _median_of(n, lambda: _fresh_process_import(False))
    without = _median_of(n, lambda: _fresh_process_import(True))
    print(
        f"  worker stack import in a fresh process: {with_iri:.2f} s; without rfc3987-syntax: "
        f"{without:.2f} s (saves {with_iri - without:.2f} s per worker process)"
    )
    bare = _median_of(n, lambda: _kernel_start(""))
    warm = _median_of(n, lambda: _kernel_start(kernels_module.WARM_IMPORTS))
    print(f"  ordinary kernel start: {bare:.2f} s; with the warm-up imports: {warm:.2f} s")
    template = _median_of(n, _template_start)
    forked = _median_of(n, lambda: _kernel_start(kernels_module.WARM_IMPORTS, fork=True))
    print(
        f"  kernel forked from the template (every playbook import done): {forked:.2f} s; "
        f"the template's own start, once per process: {template:.2f} s"
    )

    waits: list[float] = []
    original = kernels_module.WarmKernels.take

    def timed_take(self):
        started = time.perf_counter()
        km = original(self)
        waits.append(time.perf_counter() - started)
        return km

    kernels_module.WarmKernels.take = timed_take
    with tempfile.TemporaryDirectory(prefix="cx-bench-startup-") as tmp:
        client = Path(tmp) / "client"
        shutil.copytree(
            cache / "client01", client, ignore=shutil.ignore_patterns("runs", "reports")
        )
        fresh = _median_of(n, lambda: _cx_run(client, steps))
        per_run = []
        for _ in range(n + 1):
            waits.clear()
            start = time.perf_counter()
            record = run.run_engagement(client, steps=steps, progress=False)
            per_run.append((time.perf_counter() - start, record.timings, waits[0]))
        kernels_module.WarmKernels.take = original
        warm_pm, cold_pm = _papermill_overhead(Path(tmp), n)
        books, save_cost = _notebook_saves(client)
    first, rest = per_run[0], per_run[1:]
    wall = statistics.median(r[0] for r in rest)
    wait = statistics.median(r[2] for r in rest)
    ingest = statistics.median(r[1]["ingest"] for r in rest)
    work = statistics.median(sum(r[1][s] for s in steps) for r in rest)
    print(f"  one client ({' '.join(steps)}), cx run in a fresh process: {fresh:.2f} s")
    print(
        f"  same client in a warm process: {wall:.2f} s (ingest {ingest:.2f} s, waiting for "
        f"the first kernel {wait:.2f} s, steps {work:.2f} s, render "
        f"{statistics.median(r[1]['render'] for r in rest):.2f} s)"
    )
    timings = first[1]
    print(
        f"  the process's first run: {first[0]:.2f} s (ingest {timings['ingest']:.2f} s, "
        f"waiting for the first kernel {first[2]:.2f} s, steps "
        f"{sum(timings[s] for s in steps):.2f} s, render {timings['render']:.2f} s, "
        f"before the run's clock {first[0] - timings['total']:.2f} s)"
    )
    print(f"  paid once per batch worker instead of per client: {fresh - wall:.2f} s")
    print(
        f"  papermill, two-cell notebook: {warm_pm:.2f} s in a started kernel, "
        f"{cold_pm:.2f} s starting its own"
    )
    print(
        f"  papermill's saves (two per cell, validated): {save_cost:.3f} s per notebook "
        f"({books} executed notebooks)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--steps", nargs="*", default=None, help="steps to run (default: all)")
    parser.add_argument("--repeat", type=int, default=1, help="rounds of the four configurations")
    parser.add_argument("--cache", default=str(Path(tempfile.gettempdir()) / "cx-bench-clients"))
    parser.add_argument("--startup", action="store_true", help="measure start-up costs only")
    parser.add_argument("--repeat-startup", type=int, default=3)
    args = parser.parse_args()
    if args.startup:
        startup(args)
    else:
        throughput(args)


if __name__ == "__main__":
    main()
