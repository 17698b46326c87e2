"""Batch runs: the same playbooks for many clients, each isolated from the others.

``cx batch clients/`` runs every engagement folder under ``clients/`` (or every folder named
in a text file, :func:`find_engagements`) through :func:`cxlib.run.run_engagement`, a few at
a time, in worker processes or on a Dask cluster (:mod:`cxlib.batch_exec`). Each client runs
in its own run folder and is promoted on its own, so one client's failure never stops or
corrupts another's; a failed client's executed notebook, traceback included, stays in its
run folder. Outcomes, the summary table and exit codes are in :mod:`cxlib.batch_summary`;
``--resume`` is :mod:`cxlib.batch_resume`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from cxlib.batch_resume import plan_resume, read_record, recover_promotion
from cxlib.batch_summary import (
    EXIT_INTERRUPTED,
    EXIT_INVALID,
    EXIT_OK,
    EXIT_STEP_FAILED,
    BatchResult,
    ClientResult,
    exit_code,
    format_summary,
    write_summary,
)
from cxlib.config import EngagementPaths
from cxlib.errors import ConfigError, CxError, InputError, StepFailed

__all__ = [
    "EXIT_INTERRUPTED",
    "EXIT_INVALID",
    "EXIT_OK",
    "EXIT_STEP_FAILED",
    "BatchResult",
    "ClientResult",
    "exit_code",
    "find_engagements",
    "format_summary",
    "plan_resume",
    "recover_promotion",
    "run_batch",
    "run_client",
    "write_summary",
]


# --------------------------------------------------------------------------- discovery


def find_engagements(source: str | Path) -> list[tuple[str, Path]]:
    """List the engagements of a batch as (label, absolute folder) pairs.

    Parameters
    ----------
    source : str or Path
        A folder, whose subfolders holding an ``engagement.yaml`` are the clients (hidden
        folders skipped, sorted by name), or a text file naming one engagement folder per
        line (relative to the file's folder; blank lines and ``#`` comments ignored; a
        folder listed twice runs once).

    Returns
    -------
    list of (str, Path)
        Label and folder of each client. A listed folder that does not exist is kept: it
        is reported as invalid, like any other client whose configuration cannot be read.

    Raises
    ------
    CxError
        When ``source`` does not exist, or names no engagement at all.

    Examples
    --------
    >>> import tempfile
    >>> root = Path(tempfile.mkdtemp())
    >>> for name in ("beta", "acme", ".hidden", "notes"):
    ...     (root / name).mkdir()
    >>> for name in ("beta", "acme", ".hidden"):
    ...     _ = (root / name / "engagement.yaml").write_text("client: {}")
    >>> [label for label, _ in find_engagements(root)]
    ['acme', 'beta']
    """
    source = Path(source)
    if source.is_dir():
        if (source / "engagement.yaml").is_file():
            raise CxError(
                f"{source} is one engagement, not a folder of engagements; use cx run {source}"
            )
        found = [
            (p.name, p.resolve())
            for p in sorted(source.iterdir())
            if p.is_dir() and not p.name.startswith(".") and (p / "engagement.yaml").is_file()
        ]
        where = f"under {source} (each client is a subfolder with an engagement.yaml)"
    elif source.is_file():
        found, seen = [], set()
        for line in source.read_text(encoding="utf-8-sig").splitlines():
            entry = line.strip()
            if not entry or entry.startswith("#"):
                continue
            folder = Path(entry).expanduser()
            folder = (folder if folder.is_absolute() else source.parent / folder).resolve()
            if folder not in seen:
                seen.add(folder)
                found.append((entry.rstrip("/"), folder))
        where = f"listed in {source}"
    else:
        raise CxError(f"{source} is neither a folder of engagements nor a list file")
    if not found:
        raise CxError(f"no engagement folders {where}")
    return found


# --------------------------------------------------------------------------- one client


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, ConfigError | InputError) and exc.problems:
        first = str(exc.problems[0])
        more = len(exc.problems) - 1
        kind = "configuration" if isinstance(exc, ConfigError) else "inputs"
        return f"{len(exc.problems)} problem(s) in the {kind}: {first}" + (
            f" (and {more} more)" if more else ""
        )
    text = " ".join(str(exc).split())
    return text if isinstance(exc, CxError) else f"{type(exc).__name__}: {text}"


def run_client(
    engagement: str | Path,
    *,
    label: str | None = None,
    steps: Sequence[str] | None = None,
    wave: str | None = None,
    parameters: Mapping[str, Any] | None = None,
    resume: bool = False,
    cell_timeout: int = 600,
) -> ClientResult:
    """Run one client of a batch and report the outcome; never raises for the client's faults.

    Parameters
    ----------
    engagement : str or Path
        The engagement folder (give it absolute: worker processes may run elsewhere).
    label : str, optional
        The client's label in the summary (default: the folder's name).
    steps, wave, parameters
        As :func:`cxlib.run.run_engagement`.
    resume : bool, default False
        Run only what :func:`plan_resume` finds stale.
    cell_timeout : int, default 600
        Seconds a single cell may run (a Dask task cannot be stopped from outside).

    Returns
    -------
    ClientResult
        The outcome; a keyboard interrupt becomes status ``interrupted``. Its ``note`` says
        what was repaired of a report promotion that an earlier, killed run left half done.
    """
    from cxlib.run import new_run_id, run_engagement

    path = Path(engagement).resolve()
    label = label or path.name
    started = time.perf_counter()
    run_id = new_run_id()
    chosen = list(steps or [])
    note = ""

    def result(status: str, **kw: Any) -> ClientResult:
        seconds = round(time.perf_counter() - started, 3)
        return ClientResult(label, str(path), status, seconds, note=note, **kw)

    try:
        # Before resume planning reads the report; the note reaches the summary whatever the
        # client's outcome, where cx run can only log it.
        note = "; ".join(recover_promotion(path))
        if resume:
            planned = plan_resume(path, steps=steps, wave=wave, parameters=parameters)
            if not planned:
                record = read_record(EngagementPaths(path).reports / "run.json") or {}
                return result(
                    "up to date",
                    run_id=str(record.get("run_id", "")),
                    report=str(EngagementPaths(path).reports / "index.html"),
                )
            from cxlib.run import available_steps

            everything = [s.key for s in available_steps()]
            chosen = [] if planned == everything and not steps else planned
        record = run_engagement(
            path,
            steps=chosen or None,
            wave=wave,
            parameters=parameters,
            run_id=run_id,
            progress=False,
            cell_timeout=cell_timeout,
        )
        ran = tuple(s["step"] for s in record.steps)
        return result("done", steps_run=ran, run_id=record.run_id, report=record.report)
    except StepFailed as exc:
        ran = _steps_started(path, run_id)
        return result(
            "failed",
            step=exc.step,
            error=_one_line_error(exc.error),
            steps_run=ran,
            run_id=run_id,
            notebook=exc.notebook,
        )
    except CxError as exc:  # configuration, inputs, wave or parameters: nothing executed
        return result("invalid", error=_one_line(exc), run_id=_if_exists(path, run_id))
    except KeyboardInterrupt:
        ran = _steps_started(path, run_id)
        reports = EngagementPaths(path).reports
        promoted = read_record(reports / "run.json") or {}
        if promoted.get("run_id") == run_id and promoted.get("status") == "done":
            # Ctrl-C came after the report was promoted (while kernels shut down): it is done.
            report = str(reports / "index.html")
            return result("done", steps_run=ran, run_id=run_id, report=report)
        return result("interrupted", error="stopped by the user", steps_run=ran, run_id=run_id)
    except Exception as exc:
        return result("error", error=_one_line(exc), run_id=_if_exists(path, run_id))


def _one_line_error(text: str) -> str:
    return " ".join(str(text).split())


def _if_exists(path: Path, run_id: str) -> str:
    return run_id if EngagementPaths(path).run(run_id).root.is_dir() else ""


def _steps_started(path: Path, run_id: str) -> tuple[str, ...]:
    record = read_record(EngagementPaths(path).run(run_id).run_json) or {}
    return tuple(s.get("step", "") for s in record.get("steps", []))


# --------------------------------------------------------------------------- the batch


def run_batch(
    engagements: Sequence[tuple[str, Path]] | Sequence[str | Path],
    *,
    jobs: int | None = None,
    steps: Sequence[str] | None = None,
    wave: str | None = None,
    parameters: Mapping[str, Any] | None = None,
    resume: bool = False,
    scheduler: str | None = None,
    use_dask: bool = False,
    cell_timeout: int = 600,
    progress: bool = True,
    log: Callable[[str], None] | None = None,
) -> BatchResult:
    """Run many engagements, a few at a time, each isolated from the others.

    Parameters
    ----------
    engagements : sequence
        (label, folder) pairs from :func:`find_engagements`, or bare folders.
    jobs : int, optional
        Clients run at once on this machine (default: the number of CPU cores, at most the
        number of clients). Ignored with ``scheduler``.
    steps, wave, parameters
        As :func:`cxlib.run.run_engagement`, for every client.
    resume : bool, default False
        Rerun only stale clients and steps (:func:`plan_resume`).
    scheduler : str, optional
        Address of a Dask scheduler (``tcp://host:8786``); its workers need the kit
        installed and the engagement folders at the same paths.
    use_dask : bool, default False
        Run on a local Dask cluster (127.0.0.1, one process and one thread per job) instead
        of a process pool.
    cell_timeout : int, default 600
        Seconds a single cell may run.
    progress : bool, default True
        Show one progress bar for the batch, with a status line per client.
    log : callable, optional
        Receives the per-client status lines when no progress bar is shown.

    Returns
    -------
    BatchResult
        Every client's outcome, in the order given; ``interrupted`` when Ctrl-C stopped it.

    Raises
    ------
    CxError
        When a step or parameter name is unknown (checked once, before anything runs).
    """
    from cxlib import batch_exec
    from cxlib.run import select_steps

    clients = [e if isinstance(e, tuple) else (Path(e).name, Path(e)) for e in engagements]
    clients = [(label, Path(folder).resolve()) for label, folder in clients]
    select_steps(steps)  # unknown step names: one clear error before any work
    _check_parameter_names(steps, parameters)
    options = {
        "steps": list(steps) if steps else None,
        "wave": wave,
        "parameters": dict(parameters) if parameters else None,
        "resume": resume,
        "cell_timeout": cell_timeout,
    }
    if jobs is not None and jobs < 1:
        raise CxError(f"jobs must be at least 1, found {jobs}")
    jobs = min(jobs or _cpu_count(), max(len(clients), 1))
    return batch_exec.execute(
        clients,
        options,
        jobs=jobs,
        scheduler=scheduler,
        use_dask=use_dask or bool(scheduler),
        progress=progress,
        log=log,
    )


def _cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _check_parameter_names(steps: Sequence[str] | None, parameters: Mapping[str, Any] | None):
    if not parameters:
        return
    from cxlib.run import RUNNER_PARAMETERS, declared_parameters, select_steps

    declared = set().union(*(declared_parameters(s) for s in select_steps(steps)))
    for name, value in parameters.items():
        if name in RUNNER_PARAMETERS:
            raise CxError(f"parameter {name!r} is set by the runner; use the command's options")
        if name not in declared:
            raise CxError(f"unknown parameter {name!r}: no selected playbook declares it")
        if not isinstance(value, str | int | float | bool):
            raise CxError(f"parameter {name!r} must be text, a number or true/false")
