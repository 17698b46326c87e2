"""Resuming a batch: what is stale for a client, and repairing an interrupted promotion.

:func:`plan_resume` decides which steps ``cx batch --resume`` reruns for a client, by
comparing the sha256 of its inputs, engagement.yaml and codeframe.yaml
(:func:`input_fingerprints`) with the ``run.json`` of the run that produced each step's
promoted results. :func:`recover_promotion` finishes or undoes a report promotion that a
killed process left half done, before the client runs again.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from cxlib import __version__
from cxlib.config import TABLES, Engagement, EngagementPaths, load_engagement
from cxlib.context import fingerprint
from cxlib.errors import ConfigError

__all__ = [
    "input_fingerprints",
    "plan_resume",
    "promotion_lock",
    "read_record",
    "recover_promotion",
]


def input_fingerprints(paths: EngagementPaths, config: Engagement) -> dict[str, str]:
    """Return the sha256 of engagement.yaml, codeframe.yaml and every configured input.

    Keys are paths relative to the engagement folder, as ``run.json`` records them.

    Parameters
    ----------
    paths : EngagementPaths
        The engagement's paths.
    config : Engagement
        Its validated configuration (which names the input files).

    Returns
    -------
    dict
        Relative path -> sha256 hex digest, for every file that exists.
    """
    files = [paths.config, paths.codeframe]
    for table in TABLES:
        for source in getattr(config.inputs, table):
            try:
                files.append(paths.resolve(source.file))
            except ConfigError:
                continue
    root = paths.root.resolve()
    return {
        f.resolve().relative_to(root).as_posix(): fingerprint(f)
        for f in files
        if f.resolve().is_file()
    }


def read_record(path: Path) -> dict[str, Any] | None:
    """Return a run.json as a dict, or None when it is missing or unreadable."""
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def _successful_runs(paths: EngagementPaths) -> list[dict[str, Any]]:
    """Return the records of the successful runs under ``runs/``, newest first."""
    records = []
    if paths.runs.is_dir():
        for folder in sorted(paths.runs.iterdir(), reverse=True):
            record = read_record(folder / "run.json")
            if record and record.get("status") == "done":
                records.append(record)
    return records


def _ran(record: Mapping[str, Any], key: str) -> bool:
    return any(s.get("step") == key and s.get("status") == "done" for s in record.get("steps", []))


def plan_resume(
    engagement: str | Path,
    *,
    steps: Sequence[str] | None = None,
    wave: str | None = None,
    parameters: Mapping[str, Any] | None = None,
) -> list[str]:
    """Return the steps a resumed batch must run for one client (empty: up to date).

    Parameters
    ----------
    engagement : str or Path
        The engagement folder.
    steps : sequence of str, optional
        The steps the batch asks for (default: every available playbook).
    wave : str, optional
        The wave asked for (default: the latest in engagement.yaml).
    parameters : mapping, optional
        Extra playbook parameters asked for.

    Returns
    -------
    list of str
        Step keys in engagement order: the first stale step and every later asked-for step.

    Notes
    -----
    A step is up to date when its results are in ``reports/results/`` and the run that
    produced them (the promoted ``reports/run.json``, or else the newest successful run
    under ``runs/`` whose results file is byte-identical to the report's) ran it with the
    current input fingerprints (:func:`input_fingerprints`), the same kit version, wave and
    parameters. Runs that failed are never promoted, so a failed client's steps are stale.
    Once one step is stale, every later step is rerun too, since steps read earlier steps'
    results. When engagement.yaml cannot be read, every step is returned, so the run
    reports the problem.
    """
    from cxlib.run import select_steps

    chosen = select_steps(steps)
    keys = [s.key for s in chosen]
    paths = EngagementPaths(Path(engagement).resolve())
    try:
        config = load_engagement(paths.root)
    except ConfigError:
        return keys
    current = input_fingerprints(paths, config)
    wanted = {"wave": wave or config.waves.labels[-1], **dict(parameters or {})}

    def current_run(record: Mapping[str, Any]) -> bool:
        recorded = {k: v for k, v in record.get("parameters", {}).items() if k != "steps"}
        return (
            record.get("fingerprints") == current
            and record.get("kit_version") == __version__
            and recorded == wanted
        )

    promoted = read_record(paths.reports / "run.json") or {}
    if promoted.get("status") != "done":
        return keys
    earlier: list[dict[str, Any]] | None = None
    for index, step in enumerate(chosen):
        result = paths.reports / "results" / step.results
        if not result.is_file():
            return keys[index:]
        if _ran(promoted, step.key):
            if not current_run(promoted):
                return keys[index:]
            continue
        # Carried over from an earlier partial run: find the run that produced the file.
        earlier = earlier if earlier is not None else _successful_runs(paths)
        source = next((r for r in earlier if _ran(r, step.key)), None)
        if source is None or not current_run(source):
            return keys[index:]
        produced = paths.runs / str(source.get("run_id", "")) / "results" / step.results
        if not produced.is_file() or produced.read_bytes() != result.read_bytes():
            return keys[index:]
    return []


@contextlib.contextmanager
def promotion_lock(runs: Path, *, wait: bool = True) -> Iterator[bool]:
    """Hold the lock that a report promotion and its repair share; yield whether it is held.

    An advisory ``flock`` on the engagement's ``runs/`` folder itself (no lock file to
    leave behind), so that one run's repair never touches the staging folder of another
    run promoting at that moment. With ``wait=False`` it yields False at once when another
    process holds the lock, and True without locking when there is no ``runs/`` folder (so
    no run to wait for). Where ``fcntl`` is missing (Windows) it always yields True.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - POSIX here
        yield True
        return
    if not runs.is_dir():
        if not wait:
            yield True
            return
        runs.mkdir(parents=True)
    fd = os.open(runs, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)  # closing releases the lock


def recover_promotion(engagement: str | Path) -> list[str]:
    """Finish or undo a report promotion that was interrupted, and drop stale staging.

    :func:`cxlib.run.run_engagement` builds the new report in ``.reports.<run>``, moves the
    old one to ``.reports.old.<run>`` and then moves the new one into place. A process killed
    between those two renames leaves no ``reports/``; one killed while copying leaves a
    half-built staging folder. This puts things right before a client runs again.

    Parameters
    ----------
    engagement : str or Path
        The engagement folder.

    Returns
    -------
    list of str
        What was done, one sentence per folder (empty when nothing was left over).

    Notes
    -----
    ``.reports.old.<run>`` exists only once its staging folder was complete, so: with a
    ``reports/`` in place the old copy is deleted; without one, the complete staging folder
    is moved into place, or else the old report is restored. Any other ``.reports.<run>``
    is an unfinished staging folder and is deleted. While another process holds the
    promotion lock (:func:`promotion_lock`: it is promoting now), nothing is touched.
    """
    paths = EngagementPaths(Path(engagement))
    reports = paths.reports
    if not reports.parent.is_dir():
        return []
    with promotion_lock(paths.runs, wait=False) as held:
        if not held:
            return []
        return _recover(reports)


def _recover(reports: Path) -> list[str]:
    parent, name = reports.parent, reports.name
    done = []
    old_prefix = f".{name}.old."
    for old in sorted(parent.glob(f"{old_prefix}*")):
        staging = parent / f".{name}.{old.name.removeprefix(old_prefix)}"
        if reports.exists():
            shutil.rmtree(old, ignore_errors=True)
            done.append(f"removed {old.name} left by an interrupted promotion")
        elif staging.is_dir():
            os.replace(staging, reports)
            shutil.rmtree(old, ignore_errors=True)
            done.append(f"completed the interrupted promotion of {staging.name}")
        else:
            os.replace(old, reports)
            done.append(f"restored the previous report from {old.name}")
    for staging in sorted(parent.glob(f".{name}.*")):
        if staging.is_dir() and not staging.name.startswith(old_prefix):
            shutil.rmtree(staging, ignore_errors=True)
            done.append(f"removed unfinished staging folder {staging.name}")
    return done
