"""Run an engagement: validate, ingest once, execute the playbooks, render, promote.

One engagement runs in one process: papermill's Python API executes each playbook in its
own kernel (steps share results through files, never through a kernel), nbconvert renders
each executed notebook, and the report is promoted to ``reports/`` only when every step
succeeded. A failed step keeps its executed notebook, traceback included, in the run folder.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import platform
import shutil
import signal
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cxlib import __version__
from cxlib.batch_resume import promotion_lock, recover_promotion
from cxlib.config import Engagement, EngagementPaths, RunPaths, load_engagement, playbooks_dir
from cxlib.context import RESULTS_LOG_ENV, write_json_atomic
from cxlib.errors import CxError, StepFailed
from cxlib.kernel_fork import shared_template
from cxlib.kernels import TEMPLATE_IMPORTS, WarmKernels
from cxlib.step_order import execute_steps

__all__ = [
    "STEPS",
    "RunRecord",
    "Step",
    "available_steps",
    "declared_parameters",
    "default_parallel_steps",
    "new_run_id",
    "run_engagement",
    "select_steps",
]

log = logging.getLogger(__name__)

#: Parameters the runner gives every playbook.
RUNNER_PARAMETERS = ("engagement", "run_dir", "wave")


@dataclass(frozen=True)
class Step:
    """One playbook of the engagement."""

    key: str
    notebook: str
    title: str
    results: str
    #: Steps whose results this playbook reads (checked against what each run records).
    needs: tuple[str, ...] = ()

    @property
    def page(self) -> str:
        """File name of the step's HTML page."""
        return self.notebook.replace(".ipynb", ".html")


STEPS: tuple[Step, ...] = (
    Step("mission", "01_mission_strategy.ipynb", "CX mission and strategy", "strategy.json"),
    Step("personas", "02_personas.ipynb", "Personas", "personas.json"),
    Step("journey", "03_journey_audit.ipynb", "Journey audit", "journey.json", ("personas",)),
    Step("voc", "04_voc_analysis.ipynb", "Voice of the customer", "voc.json", ("personas",)),
    Step("governance", "05_governance.ipynb", "Governance", "governance.json", ("journey", "voc")),
    Step(
        "baseline",
        "06_kpi_baseline.ipynb",
        "KPI baseline",
        "kpi_baseline.json",
        ("personas", "governance"),
    ),
    Step(
        "remeasure",
        "07_kpi_remeasure.ipynb",
        "KPI re-measurement",
        "remeasure.json",
        ("personas", "governance"),
    ),
)


def default_parallel_steps() -> int:
    """Playbooks ``cx run`` runs side by side by default: 2 with two cores or more, else 1.

    The demo's dependencies allow at most two at once (see :mod:`cxlib.step_order`).
    """
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return 2 if (cores or 1) >= 2 else 1


def available_steps(folder: Path | None = None) -> list[Step]:
    """Return the steps whose playbook exists, in engagement order."""
    folder = folder or playbooks_dir()
    return [s for s in STEPS if (folder / s.notebook).is_file()]


def select_steps(keys: Sequence[str] | None, folder: Path | None = None) -> list[Step]:
    """Return the chosen steps (all available ones when ``keys`` is empty), in order.

    Raises
    ------
    CxError
        When a key names no available step.
    """
    steps = available_steps(folder)
    if not keys:
        return steps
    known = {s.key: s for s in steps}
    unknown = [k for k in keys if k not in known]
    if unknown:
        raise CxError(f"unknown step {unknown[0]!r}; available steps: {', '.join(known)}")
    return [s for s in steps if s.key in set(keys)]


def declared_parameters(step: Step, folder: Path | None = None) -> dict[str, dict[str, Any]]:
    """Parameters a playbook declares in its ``parameters`` cell (papermill's inspection)."""
    import papermill

    path = (folder or playbooks_dir()) / step.notebook
    return dict(papermill.inspect_notebook(str(path)))


def new_run_id() -> str:
    """Return a sortable, unique run id: UTC time plus a short random suffix."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
    return f"{stamp}-{uuid.uuid4().hex[:6]}"


@dataclass
class RunRecord:
    """What a run did; written to run.json."""

    run_id: str
    engagement: str
    status: str = "running"
    steps: list[dict[str, Any]] = field(default_factory=list)
    parameters: dict[str, Any] = field(default_factory=dict)
    fingerprints: dict[str, str] = field(default_factory=dict)
    started_at: str = ""
    finished_at: str = ""
    timings: dict[str, float] = field(default_factory=dict)
    report: str = ""
    error: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for run.json."""
        return {
            "run_id": self.run_id,
            "engagement": self.engagement,
            "status": self.status,
            "kit_version": __version__,
            "python": platform.python_version(),
            "parameters": self.parameters,
            "fingerprints": self.fingerprints,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "timings_s": self.timings,
            "steps": self.steps,
            "report": self.report,
            "error": self.error,
        }


def _check_parameters(steps: Sequence[Step], extra: Mapping[str, Any]) -> dict[str, set[str]]:
    """Map each step to the user parameters it declares; unknown names are errors."""
    declared = {s.key: set(declared_parameters(s)) for s in steps}
    for step in steps:
        missing = [p for p in RUNNER_PARAMETERS if p not in declared[step.key]]
        if missing:
            raise CxError(f"playbook {step.notebook} does not declare parameters {missing}")
    for name in extra:
        if name in RUNNER_PARAMETERS:
            raise CxError(f"parameter {name!r} is set by the runner; use the command's options")
        if not any(name in d for d in declared.values()):
            allowed = sorted(set().union(*declared.values()) - set(RUNNER_PARAMETERS))
            raise CxError(
                f"unknown parameter {name!r}: no selected playbook declares it "
                f"(declared: {', '.join(allowed) or 'none'})"
            )
        if not isinstance(extra[name], str | int | float | bool):
            raise CxError(f"parameter {name!r} must be text, a number or true/false")
    return declared


def _execute(
    step: Step,
    run: RunPaths,
    parameters: dict[str, Any],
    timeout: int,
    kernels: WarmKernels | None = None,
    warm_next: bool = False,
    inflight: dict[str, Any] | None = None,
) -> int | None:
    """Execute one playbook into the run folder; raise StepFailed on any failure.

    With ``kernels``, the playbook runs in a pre-warmed kernel and, if ``warm_next``, the
    next step's kernel starts warming while this one executes. The kernel in use is kept
    in ``inflight`` under the step's key while it runs. Returns the kernel's process id
    (None when papermill started a kernel of its own).
    """
    import papermill
    from papermill.exceptions import PapermillExecutionError

    from cxlib.step_engine import ENGINE_NAME

    out = run.notebooks / step.notebook
    for attempt in (1, 2):
        km = kernels.take() if kernels else None
        if kernels and warm_next:
            kernels.prepare()
        if inflight is not None and km is not None:
            inflight[step.key] = km
        try:
            papermill.execute_notebook(
                str(playbooks_dir() / step.notebook),
                str(out),
                parameters=parameters,
                kernel_name="python3",
                progress_bar=False,
                request_save_on_cell_execute=False,
                iopub_timeout=30,
                execution_timeout=timeout,
                store_widget_state=False,
                engine_name=ENGINE_NAME,
                **({"km": km} if km is not None else {}),
            )
            return getattr(km, "cx_pid", None)
        except PapermillExecutionError as exc:
            raise StepFailed(
                step.key, str(out), exc.cell_index, f"{exc.ename}: {exc.evalue}"
            ) from None
        except RuntimeError as exc:
            # Kernels started from several processes can collide on ports; retry once.
            if attempt == 1 and "kernel" in str(exc).lower():
                continue
            raise StepFailed(step.key, str(out), None, f"{type(exc).__name__}: {exc}") from exc
        except Exception as exc:  # timeouts, dead kernels: name them, keep the notebook
            raise StepFailed(step.key, str(out), None, f"{type(exc).__name__}: {exc}") from exc
        finally:
            if inflight is not None:
                inflight.pop(step.key, None)
            if kernels:
                kernels.release(km)
    return None


def _promote(run: RunPaths, reports: Path, *, partial: bool) -> None:
    """Replace reports/ with this run's pages and results in one rename."""
    staging = reports.with_name(f".{reports.name}.{run.root.name}")
    shutil.rmtree(staging, ignore_errors=True)
    try:
        if partial and reports.is_dir():
            shutil.copytree(reports, staging)
        else:
            staging.mkdir(parents=True)
        shutil.copytree(run.html, staging, dirs_exist_ok=True)
        shutil.copytree(run.results, staging / "results", dirs_exist_ok=True)
        shutil.copy2(run.run_json, staging / "run.json")
    except BaseException:  # a full disk, say: leave no half-built folder behind
        shutil.rmtree(staging, ignore_errors=True)
        raise
    old = reports.with_name(f".{reports.name}.old.{run.root.name}")
    if reports.exists():
        os.replace(reports, old)
    os.replace(staging, reports)
    shutil.rmtree(old, ignore_errors=True)


def _render(
    steps: Sequence[Step],
    run: RunPaths,
    record: RunRecord,
    ctx_paths: EngagementPaths,
    config: Engagement,
) -> None:
    from cxlib import report

    brand = config.branding
    logo = ctx_paths.resolve(brand.logo) if brand.logo else None
    facts = {
        "Run": record.run_id,
        "Kit version": __version__,
        "Wave": record.parameters.get("wave", ""),
        "Date": dt.date.today().isoformat(),
    }
    all_steps = available_steps()
    nav = [("Summary", "index.html")] + [(s.title, s.page) for s in all_steps]
    nav.append(("Methods", "methods.html"))
    run.html.mkdir(parents=True, exist_ok=True)
    for step in steps:
        report.render_page(
            run.notebooks / step.notebook,
            run.html / step.page,
            brand=brand,
            logo_path=logo,
            run_facts=facts,
            nav=nav,
        )
    pages = []
    for step in all_steps:
        results = _read_results(run, ctx_paths, step)
        if results is None:
            continue
        headline = str(results.get("headline", ""))
        pages.append(report.PageSummary(step.title, step.page, headline, "done"))
    fingerprint = _fingerprint_digest(record.fingerprints)
    report.render_index(
        pages,
        run.html / "index.html",
        brand=brand,
        logo_path=logo,
        run_facts={**facts, "Data fingerprint": fingerprint},
        methods_href="methods.html",
    )
    from cxlib.methods import render_methods

    render_methods(
        run.html / "methods.html", brand=brand, logo_path=logo, run_facts=facts, nav=nav
    )


def _results_used(folder: Path, pid: int | None) -> dict[str, list[str]]:
    """Results a step's kernel read and wrote (its log in ``folder``), for run.json."""
    log_path = folder / f"{pid}.log"
    if pid is None or not log_path.is_file():
        return {}
    used: dict[str, set[str]] = {"read": set(), "wrote": set()}
    for line in log_path.read_text(encoding="utf-8").splitlines():
        action, _, name = line.partition(" ")
        if action in used and name:
            used[action].add(name)
    return {"results_read": sorted(used["read"]), "results_written": sorted(used["wrote"])}


def _read_results(run: RunPaths, paths: EngagementPaths, step: Step) -> dict | None:
    import json

    for folder in (run.results, paths.reports / "results"):
        path = folder / step.results
        if path.is_file():
            return json.loads(path.read_text(encoding="utf-8"))
    return None


def _fingerprint_digest(fingerprints: Mapping[str, str]) -> str:
    import hashlib

    joined = "\n".join(f"{k} {v}" for k, v in sorted(fingerprints.items()))
    return hashlib.sha256(joined.encode()).hexdigest()[:12]


def run_engagement(
    engagement: str | Path,
    *,
    steps: Sequence[str] | None = None,
    wave: str | None = None,
    parameters: Mapping[str, Any] | None = None,
    run_id: str | None = None,
    progress: bool = True,
    cell_timeout: int = 600,
    on_step: Callable[[Step, str], None] | None = None,
    parallel_steps: int = 1,
) -> RunRecord:
    """Validate, ingest, execute and render one engagement.

    A report promotion that an earlier, killed run left half done is first finished or
    undone (:func:`cxlib.batch_resume.recover_promotion`), and what was repaired is logged
    as one warning; a promotion another process is making at that moment is left alone
    (both hold :func:`cxlib.batch_resume.promotion_lock`). Ctrl-C during the promotion
    waits for it to finish.

    Parameters
    ----------
    engagement : str or Path
        The engagement folder.
    steps : sequence of str, optional
        Step keys to run (default: every available playbook).
    wave : str, optional
        The wave to analyse (default: the latest in engagement.yaml).
    parameters : mapping, optional
        Extra playbook parameters; a name no selected playbook declares is an error.
    run_id : str, optional
        Name of the run folder (default: a new time-stamped id).
    progress : bool, default True
        Show a progress bar over the steps.
    cell_timeout : int, default 600
        Seconds a single cell may run.
    on_step : callable, optional
        Called with (step, status) as each step starts and ends.
    parallel_steps : int, default 1
        Playbooks that may run at the same time, each in its own kernel, when the results
        they read allow it (:mod:`cxlib.step_order`); ``cx run`` uses
        :func:`default_parallel_steps`, a batch worker one.

    Returns
    -------
    RunRecord
        What ran, timings and status; also written to ``run.json``.

    Raises
    ------
    ConfigError, InputError
        engagement.yaml or the inputs are invalid (nothing is executed, and no kernel is
        started: the first one starts warming only once the inputs are valid).
    StepFailed
        A playbook failed; its executed notebook is kept; the report is not promoted.
    """
    from tqdm.auto import tqdm

    from cxlib import ingest

    paths = EngagementPaths(Path(engagement).resolve())
    repaired = recover_promotion(paths.root)  # a promotion cut short by a killed run
    if repaired:
        log.warning("%s: %s", paths.reports, "; ".join(repaired))
    config = load_engagement(paths.root)
    # Kernels are forked from a template shared by every run of this process; it imports
    # the stack in the background while the inputs are checked and costs an invalid client
    # no waiting.
    shared_template(TEMPLATE_IMPORTS)
    chosen = select_steps(steps)
    if not chosen:
        raise CxError(f"no playbooks found in {playbooks_dir()}")
    extra = dict(parameters or {})
    declared = _check_parameters(chosen, extra)
    wave = wave or config.waves.labels[-1]
    if wave not in config.waves.labels:
        raise CxError(f"wave {wave!r} is not in waves.labels {config.waves.labels}")

    record = RunRecord(run_id=run_id or new_run_id(), engagement=str(paths.root))
    held: list[int] = []  # Ctrl-C that arrived during the promotion
    run = paths.run(record.run_id)
    run.root.mkdir(parents=True, exist_ok=False)
    run.notebooks.mkdir()  # papermill does not create the output folder
    record.started_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    record.parameters = {"wave": wave, "steps": [s.key for s in chosen], **extra}
    total = time.perf_counter()
    kernels: WarmKernels | None = None

    def save() -> None:
        record.timings["total"] = round(time.perf_counter() - total, 3)
        record.finished_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        write_json_atomic(run.run_json, record.to_dict())

    results_log = run.root / "results_log"  # what each kernel reads and writes

    def warm_first_kernel(_report: ingest.ValidationReport) -> None:
        # Only once the inputs are valid: an invalid client never waits for a kernel.
        nonlocal kernels
        results_log.mkdir()
        kernels = WarmKernels(
            playbooks_dir(),
            log_path=run.root / "kernels.log",
            env={RESULTS_LOG_ENV: str(results_log)},
            spares=parallel_steps,
        )
        kernels.prepare()  # warms while ingest writes the clean tables

    try:
        started = time.perf_counter()
        report_ = ingest.ingest(paths.root, run.clean, on_valid=warm_first_kernel)
        record.fingerprints = dict(report_.fingerprints)
        record.timings["ingest"] = round(time.perf_counter() - started, 3)
        base = {"engagement": str(paths.root), "run_dir": str(run.root), "wave": wave}
        bar = tqdm(
            total=len(chosen), desc="cx run", unit="step", disable=not progress, file=sys.stderr
        )
        entries: dict[str, dict[str, Any]] = {}
        clocks: dict[str, float] = {}
        inflight: dict[str, Any] = {}  # step key -> its kernel, while it runs

        def execute(step: Step) -> None:
            params = {**base, **{k: v for k, v in extra.items() if k in declared[step.key]}}
            warm_next = len(entries) < len(chosen)  # a step is still to start
            pid = _execute(step, run, params, cell_timeout, kernels, warm_next, inflight)
            entries[step.key].update(_results_used(results_log, pid))

        def step_started(step: Step) -> None:
            if on_step:
                on_step(step, "started")
            entry = {"step": step.key, "notebook": step.notebook, "status": "running"}
            record.steps.append(entry)
            entries[step.key], clocks[step.key] = entry, time.perf_counter()
            running.add(step.key)
            bar.set_postfix_str(", ".join(s.title for s in chosen if s.key in running))

        def step_finished(step: Step, exc: BaseException | None) -> None:
            running.discard(step.key)
            entry = entries[step.key]
            entry["seconds"] = round(time.perf_counter() - clocks[step.key], 3)
            record.timings[step.key] = entry["seconds"]
            if isinstance(exc, StepFailed):
                entry.update(status="failed", error=exc.error, cell=exc.cell)
            elif exc is None:
                entry["status"] = "done"
                bar.update(1)
                if on_step:
                    on_step(step, "done")

        def stop_running() -> None:
            for km in list(inflight.values()):
                with contextlib.suppress(Exception):
                    km.shutdown_kernel(now=True)

        running: set[str] = set()
        try:
            execute_steps(
                chosen,
                execute,
                parallel=parallel_steps,
                started=step_started,
                finished=step_finished,
                stop=stop_running,
            )
        finally:
            bar.close()
        started = time.perf_counter()
        _render(chosen, run, record, paths, config)
        record.timings["render"] = round(time.perf_counter() - started, 3)
        record.status = "done"
        record.report = str(paths.reports / "index.html")
        save()
        # Ctrl-C waits for the promotion: a report is replaced whole or not at all.
        with hold_interrupts() as held, promotion_lock(paths.runs):
            _promote(run, paths.reports, partial=bool(steps))
    except BaseException as exc:
        record.status = "interrupted" if isinstance(exc, KeyboardInterrupt) else "failed"
        record.error = str(exc)
        save()
        raise
    finally:
        if kernels is not None:
            kernels.close()
    if held:  # the run is done and its report in place; now honour the Ctrl-C
        raise KeyboardInterrupt
    return record


@contextlib.contextmanager
def hold_interrupts() -> Iterator[list[int]]:
    """Hold back Ctrl-C during a block; yield the list of signals that arrived meanwhile.

    The caller decides what to do with them once the block is done (raise
    ``KeyboardInterrupt``, usually). Only the main thread receives signals; elsewhere this
    does nothing.
    """
    caught: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield caught
        return
    previous = signal.signal(signal.SIGINT, lambda signum, _frame: caught.append(signum))
    try:
        yield caught
    finally:
        signal.signal(signal.SIGINT, previous)
