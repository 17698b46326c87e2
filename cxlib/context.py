"""What a playbook sees: the engagement, its clean tables and earlier steps' results.

A playbook's setup cell calls :func:`open_run` with its parameters. Under ``cx run`` the run
folder already holds the clean tables; opened by hand (JupyterLab, nbval) with an empty
``run_dir``, the context ingests the engagement once into ``runs/interactive/`` and reuses
that until an input file changes.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from cxlib.config import Branding, Engagement, EngagementPaths, RunPaths, load_engagement
from cxlib.errors import CxError

__all__ = ["RunContext", "open_run", "write_json_atomic", "fingerprint"]

INTERACTIVE_RUN = "interactive"


def fingerprint(path: Path) -> str:
    """Return the sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def write_json_atomic(path: Path, data: Any) -> Path:
    """Write JSON through a temporary file, so a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=2, ensure_ascii=False, default=_json_default)
            fh.write("\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _json_default(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


#: Set by the runner in each kernel's environment: a folder where the kernel notes the
#: results it reads and writes (``<pid>.log``), so a run records which step used which
#: earlier results, and tests can check the order the runner keeps between steps.
RESULTS_LOG_ENV = "CX_RESULTS_LOG"


def _log_result(action: str, name: str) -> None:
    folder = os.environ.get(RESULTS_LOG_ENV)
    if folder:
        with open(Path(folder) / f"{os.getpid()}.log", "a", encoding="utf-8") as log:
            log.write(f"{action} {name}\n")


@dataclass
class RunContext:
    """One run as a playbook sees it.

    Attributes
    ----------
    config : Engagement
        The validated engagement.yaml.
    paths : EngagementPaths
        Paths of the engagement folder.
    run : RunPaths
        Paths of this run's folder.
    wave : str
        The wave being analysed (the latest configured wave unless given).
    """

    config: Engagement
    paths: EngagementPaths
    run: RunPaths
    wave: str
    _cache: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)

    @property
    def brand(self) -> Branding:
        """The client's branding from engagement.yaml."""
        return self.config.branding

    @property
    def logo_path(self) -> Path | None:
        """The brand's logo file, resolved, or None."""
        logo = self.config.branding.logo
        return self.paths.resolve(logo) if logo else None

    def require(self, section: str) -> Any:
        """Return a section of engagement.yaml a step cannot do without, or explain."""
        value = getattr(self.config, section)
        if value is None:
            raise CxError(
                f"engagement.yaml has no {section}: section, which this step needs; "
                "see client_template/engagement.yaml for an example"
            )
        return value

    def has_table(self, name: str) -> bool:
        """Whether the run has the clean table ``name``."""
        return (self.run.clean / f"{name}.parquet").is_file()

    def table(self, name: str) -> pd.DataFrame:
        """Return a clean canonical table (a copy, so callers may modify it)."""
        if name not in self._cache:
            path = self.run.clean / f"{name}.parquet"
            if not path.is_file():
                raise CxError(
                    f"table {name!r} is not available in this run ({path}); "
                    f"add it under inputs: in engagement.yaml"
                )
            self._cache[name] = pd.read_parquet(path)
        return self._cache[name].copy()

    def save_json(self, name: str, data: dict[str, Any]) -> Path:
        """Save a step's machine-readable results as ``results/<name>``."""
        _log_result("wrote", name)
        return write_json_atomic(self.run.results / name, data)

    def save_table(self, name: str, frame: pd.DataFrame) -> Path:
        """Save a results table as ``results/<name>`` (Parquet), atomically."""
        _log_result("wrote", name)
        path = self.run.results / name
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        frame.to_parquet(tmp, index=False)
        os.replace(tmp, path)
        return path

    def save_csv(self, name: str, frame: pd.DataFrame) -> Path:
        """Save a table for people to open in a spreadsheet as ``results/<name>``.

        Formula-like cells are neutralised (:func:`cxlib.export.safe_csv`), so a comment that
        starts with ``=`` cannot run as a formula in Excel.
        """
        from cxlib.export import safe_csv

        _log_result("wrote", name)
        path = self.run.results / name
        path.parent.mkdir(parents=True, exist_ok=True)
        safe_csv(frame, path)
        return path

    def _result_path(self, name: str) -> Path | None:
        _log_result("read", name)
        for folder in (self.run.results, self.paths.reports / "results"):
            if (folder / name).is_file():
                return folder / name
        return None

    def has_result(self, name: str) -> bool:
        """Whether an earlier step's result exists (this run, else the promoted report)."""
        return self._result_path(name) is not None

    def load_json(self, name: str) -> dict[str, Any] | None:
        """Read an earlier step's JSON results, or None when that step has not run."""
        path = self._result_path(name)
        return json.loads(path.read_text(encoding="utf-8")) if path else None

    def load_table(self, name: str) -> pd.DataFrame | None:
        """Read an earlier step's results table, or None when that step has not run."""
        path = self._result_path(name)
        return pd.read_parquet(path) if path else None


def _interactive_clean(paths: EngagementPaths) -> RunPaths:
    """Ingest into runs/interactive unless its clean tables match the inputs."""
    from cxlib import ingest

    run = paths.run(INTERACTIVE_RUN)
    stamp = run.clean / "_fingerprints.json"
    current = {
        str(p.relative_to(paths.root)): fingerprint(p)
        for p in sorted(paths.inputs.rglob("*"))
        if p.is_file()
    }
    current["engagement.yaml"] = fingerprint(paths.config)
    if stamp.is_file() and json.loads(stamp.read_text(encoding="utf-8")) == current:
        return run
    ingest.ingest(paths.root, run.clean)
    write_json_atomic(stamp, current)
    return run


def open_run(engagement: str | Path, run_dir: str | Path = "", wave: str = "") -> RunContext:
    """Open the run a playbook works in.

    Parameters
    ----------
    engagement : str or Path
        The engagement folder.
    run_dir : str or Path, optional
        The run folder written by ``cx run``. Empty: an interactive run of the engagement,
        ingested on first use.
    wave : str, optional
        Wave to analyse; defaults to the latest wave in engagement.yaml.

    Returns
    -------
    RunContext
        The run's configuration, tables and results.
    """
    paths = EngagementPaths(Path(engagement).resolve())
    config = load_engagement(paths.root)
    run = RunPaths(Path(run_dir).resolve()) if str(run_dir) else _interactive_clean(paths)
    chosen = wave or config.waves.labels[-1]
    if chosen not in config.waves.labels:
        raise CxError(f"wave {chosen!r} is not in waves.labels {config.waves.labels}")
    return RunContext(config=config, paths=paths, run=run, wave=chosen)
