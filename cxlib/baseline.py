"""Steps 6-7 orchestration: measure a wave's KPIs from a run, lock baselines, load them.

A locked baseline is ``baseline/<WAVE>.json`` in the engagement folder: the KPI results of
that wave (what step 6 wrote to ``kpi_baseline.json``), when and from where they were
locked, and a sha256 checksum over a canonical JSON of everything else in the file. A
locked baseline is never overwritten, except by an explicit ``--force --reason``, which
keeps the reason and the previous checksum in the file's history. Every read verifies the
checksum, so a baseline edited by hand is refused with a clear error.

This module reads and writes files; the measurements themselves are the pure functions of
:mod:`cxlib.kpi_measure` and friends. The re-measurement's own orchestration (segment moves,
control charts, its results file) is in :mod:`cxlib.remeasure_run`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from cxlib import __version__
from cxlib.config import EngagementPaths, load_engagement
from cxlib.context import RunContext, write_json_atomic
from cxlib.errors import CxError
from cxlib.kpi_measure import KpiBaseline, measure_baseline

__all__ = [
    "BaselineLocked",
    "BaselineTampered",
    "FORMAT",
    "baseline_for",
    "baseline_path",
    "canonical_json",
    "checksum",
    "compute_baseline",
    "load_locked",
    "lock",
    "lock_info",
    "load_or_measure",
    "measure",
    "previous_locked",
    "results",
]

#: Version of the locked-baseline file layout.
FORMAT = 1
_TABLES = ("responses", "customers", "touchpoint_events", "initiatives", "employee_pulse")
_SAFE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
_RESULTS = "kpi_baseline.json"


class BaselineLocked(CxError):
    """The wave's baseline is already locked; it is never overwritten silently."""


class BaselineTampered(CxError):
    """A locked baseline file no longer matches its checksum."""


# ----------------------------------------------------------------------------- files


def _example_run() -> RunContext:
    """Build a tiny two-wave run in a temporary folder (for the docstring examples)."""
    import atexit
    import shutil
    import tempfile

    import numpy as np

    folder = Path(tempfile.mkdtemp(prefix="cx-example-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    root = folder / "acme"
    root.mkdir()
    (root / "engagement.yaml").write_text(
        "client: {name: Acme}\n"
        'waves: {labels: ["2026Q1", "2026Q3"], baseline: "2026Q1"}\n'
        "inputs: {customers: [], responses: []}\n",
        encoding="utf-8",
    )
    run = EngagementPaths(root).run("example")
    run.clean.mkdir(parents=True)
    scores = np.r_[np.repeat([10, 9, 8, 7, 5, 2], [20, 15, 10, 5, 10, 10]), [10, 9, 6] * 25]
    waves = ["2026Q1"] * 70 + ["2026Q3"] * 75
    responses = pd.DataFrame({"wave": waves, "nps": scores, "region": ["N", "S"] * 72 + ["N"]})
    responses.to_parquet(run.clean / "responses.parquet", index=False)
    config = load_engagement(root)
    return RunContext(config=config, paths=EngagementPaths(root), run=run, wave="2026Q3")


def _jsonable(value: Any) -> Any:
    """Plain JSON types; NaN and infinities become None (JSON has no NaN)."""
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def canonical_json(data: Any) -> bytes:
    """Encode data as canonical JSON bytes: sorted keys, no spaces, UTF-8, no NaN.

    Parameters
    ----------
    data : object
        JSON-able data (numpy scalars and dates are converted; NaN becomes null).

    Returns
    -------
    bytes
        The same bytes for the same content, however the file was formatted.

    Examples
    --------
    >>> canonical_json({"b": 1.5, "a": [float("nan"), "é"]}).decode("utf-8")
    '{"a":[null,"é"],"b":1.5}'
    """
    text = json.dumps(
        _jsonable(data), sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    return text.encode("utf-8")


def checksum(document: Mapping[str, Any]) -> str:
    """sha256 (hex) of the canonical JSON of a baseline document without its checksum.

    Parameters
    ----------
    document : mapping
        The locked-baseline document; a ``checksum`` key, if present, is left out.

    Returns
    -------
    str
        64 hexadecimal characters.

    Examples
    --------
    >>> checksum({"wave": "2026Q1", "checksum": "x"}) == checksum({"wave": "2026Q1"})
    True
    """
    body = {k: v for k, v in document.items() if k != "checksum"}
    return hashlib.sha256(canonical_json(body)).hexdigest()


def baseline_path(engagement: str | Path, wave: str) -> Path:
    """Path of a wave's locked baseline, ``baseline/<wave>.json``.

    Parameters
    ----------
    engagement : str or Path
        The engagement folder.
    wave : str
        The wave label.

    Returns
    -------
    Path
        The file (which may not exist yet).

    Raises
    ------
    CxError
        If the wave label cannot be a file name (letters, digits, ``_ . -`` only).

    Examples
    --------
    >>> baseline_path("clients/acme", "2026Q1").as_posix()
    'clients/acme/baseline/2026Q1.json'
    """
    if not _SAFE.match(str(wave)):
        raise CxError(f"wave label {wave!r} cannot name a baseline file (letters, digits, _ . -)")
    return EngagementPaths(Path(engagement)).baseline / f"{wave}.json"


def load_locked(engagement: str | Path, wave: str) -> dict[str, Any] | None:
    """Read a locked baseline after verifying its checksum.

    Parameters
    ----------
    engagement : str or Path
        The engagement folder.
    wave : str
        The wave.

    Returns
    -------
    dict or None
        The document (``format``, ``wave``, ``locked_at``, ``kit_version``, ``source``,
        ``content``, ``history``, ``checksum``), or None when the wave has no locked
        baseline.

    Raises
    ------
    BaselineTampered
        If the file is not valid JSON, has no checksum, is for another wave, or its
        content no longer matches its checksum.

    Examples
    --------
    >>> ctx = _example_run()
    >>> load_locked(ctx.paths.root, "2026Q1") is None
    True
    >>> _ = lock(ctx.paths.root, "2026Q1", content={"wave": "2026Q1", "kpis": []})
    >>> doc = load_locked(ctx.paths.root, "2026Q1")
    >>> doc["checksum"] == checksum(doc), doc["history"]
    (True, [])
    """
    path = baseline_path(engagement, wave)
    if not path.is_file():
        return None
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BaselineTampered(f"{path} is not valid JSON ({exc}); it cannot be used") from None
    if not isinstance(doc, dict) or "checksum" not in doc:
        raise BaselineTampered(f"{path} has no checksum; it was not written by cx baseline lock")
    found = checksum(doc)
    if found != doc["checksum"]:
        raise BaselineTampered(
            f"{path} has been changed since it was locked: its checksum is {doc['checksum']}, "
            f"its content now hashes to {found}. Restore the file (e.g. from version "
            f"control), or lock the wave again with: cx baseline lock {engagement} --wave "
            f'{wave} --force --reason "..."'
        )
    if str(doc.get("wave")) != str(wave):
        raise BaselineTampered(f"{path} holds the baseline of wave {doc.get('wave')!r}")
    return doc


def lock_info(engagement: str | Path, wave: str) -> dict[str, Any]:
    """Whether a wave's baseline is locked, when, and with which checksum.

    Parameters
    ----------
    engagement : str or Path
        The engagement folder.
    wave : str
        The wave.

    Returns
    -------
    dict
        ``wave``, ``locked`` (bool), ``locked_at``, ``checksum`` and ``replaced`` (how many
        times it was replaced with ``--force``).

    Raises
    ------
    BaselineTampered
        If the locked file fails its checksum.

    Examples
    --------
    >>> ctx = _example_run()
    >>> lock_info(ctx.paths.root, "2026Q1")["locked"]
    False
    """
    doc = load_locked(engagement, wave)
    info: dict[str, Any] = {"wave": wave, "locked": doc is not None}
    info.update(locked_at=None, checksum=None, replaced=0)
    if doc is not None:
        info.update(locked_at=doc.get("locked_at"), checksum=doc["checksum"])
        info["replaced"] = len(doc.get("history") or [])
    return info


def previous_locked(engagement: str | Path, wave: str, labels: list[str]) -> dict | None:
    """Content of the latest locked baseline of a wave before ``wave`` (verified), or None.

    Parameters
    ----------
    engagement : str or Path
        The engagement folder.
    wave : str
        The current wave.
    labels : list of str
        ``waves.labels``, oldest first.

    Returns
    -------
    dict or None
        The ``content`` of the latest earlier locked baseline.

    Raises
    ------
    BaselineTampered
        If that file fails its checksum.

    Examples
    --------
    >>> ctx = _example_run()
    >>> _ = lock(ctx.paths.root, "2026Q1", content={"wave": "2026Q1", "kpis": []})
    >>> previous_locked(ctx.paths.root, "2026Q3", ["2026Q1", "2026Q3"])["wave"]
    '2026Q1'
    >>> previous_locked(ctx.paths.root, "2026Q1", ["2026Q1", "2026Q3"]) is None
    True
    """
    if wave not in labels:
        return None
    for earlier in reversed(labels[: labels.index(wave)]):
        doc = load_locked(engagement, earlier)
        if doc is not None:
            return doc["content"]
    return None


def _source_results(paths: EngagementPaths, wave: str) -> tuple[dict[str, Any], str]:
    promoted = paths.reports / "results" / _RESULTS
    if promoted.is_file():
        data = json.loads(promoted.read_text(encoding="utf-8"))
        if str(data.get("wave")) == str(wave):
            return data, str(promoted.relative_to(paths.root))
    return compute_baseline(paths.root, wave), "computed by cx baseline lock"


def lock(
    engagement: str | Path,
    wave: str,
    *,
    force: bool = False,
    reason: str = "",
    content: Mapping[str, Any] | None = None,
) -> Path:
    """Lock a wave's KPI baseline into ``baseline/<wave>.json`` with a checksum.

    The KPIs come from ``content`` when given, else from the latest promoted report's
    ``results/kpi_baseline.json`` when it is for this wave, else they are computed
    (:func:`compute_baseline`).

    Parameters
    ----------
    engagement : str or Path
        The engagement folder.
    wave : str
        The wave to lock (one of ``waves.labels``).
    force : bool, default False
        Replace an existing locked baseline; needs ``reason``.
    reason : str, default ""
        Why the baseline is replaced; recorded with the previous checksum.
    content : mapping, optional
        The baseline results to lock (as written to ``kpi_baseline.json``).

    Returns
    -------
    Path
        The locked file.

    Raises
    ------
    BaselineLocked
        If the wave is already locked and ``force`` is not set.
    CxError
        On an unknown wave, ``force`` without a reason, or content for another wave.

    Notes
    -----
    The file holds ``format``, ``wave``, ``locked_at`` (UTC), ``kit_version``, ``source``,
    ``content`` and ``history`` (one entry per replacement: time, reason, previous
    checksum and date, and whether the replaced file still matched its checksum), and
    ``checksum``: the sha256 of :func:`canonical_json` of everything else, so editing any
    of it, the history included, is detected.

    Examples
    --------
    >>> ctx = _example_run()
    >>> path = lock(ctx.paths.root, "2026Q1", content={"wave": "2026Q1", "kpis": []})
    >>> try:
    ...     lock(ctx.paths.root, "2026Q1", content={"wave": "2026Q1", "kpis": []})
    ... except BaselineLocked:
    ...     print("refused")
    refused
    >>> _ = lock(ctx.paths.root, "2026Q1", content={"wave": "2026Q1", "kpis": []},
    ...          force=True, reason="late returns")
    >>> load_locked(ctx.paths.root, "2026Q1")["history"][0]["reason"]
    'late returns'
    """
    paths = EngagementPaths(Path(engagement).resolve())
    labels = load_engagement(paths.root).waves.labels
    if wave not in labels:
        raise CxError(f"wave {wave!r} is not in waves.labels {labels}")
    path = baseline_path(paths.root, wave)
    history: list[dict[str, Any]] = []
    if path.exists():
        if not force:
            raise BaselineLocked(
                f"the baseline of wave {wave} is already locked in {path}; it is never "
                'overwritten. To replace it, add --force --reason "why".'
            )
        if not reason.strip():
            raise CxError('replacing a locked baseline needs a reason: --reason "why"')
        history = _replaced(path, reason)
    if content is None:
        content, source = _source_results(paths, wave)
    else:
        source = "given"
    if str(content.get("wave")) != str(wave):
        raise CxError(f"the results are for wave {content.get('wave')!r}, not {wave!r}")
    doc: dict[str, Any] = {
        "format": FORMAT,
        "wave": wave,
        "locked_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "kit_version": __version__,
        "source": source,
        "content": _jsonable(content),
        "history": history,
    }
    doc["checksum"] = checksum(doc)
    return write_json_atomic(path, doc)


def _replaced(path: Path, reason: str) -> list[dict[str, Any]]:
    """History of a file being replaced: its own history plus this replacement."""
    try:
        old = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        old = {}
    old = old if isinstance(old, dict) else {}
    verified = bool(old.get("checksum")) and checksum(old) == old.get("checksum")
    entry = {
        "replaced_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "reason": reason.strip(),
        "previous_checksum": old.get("checksum"),
        "previous_locked_at": old.get("locked_at"),
        "previous_verified": verified,
    }
    earlier = old.get("history") if isinstance(old.get("history"), list) else []
    return [*earlier, entry]


# ----------------------------------------------------------------------------- measuring


def _tables(ctx: RunContext) -> dict[str, pd.DataFrame | None]:
    return {name: ctx.table(name) if ctx.has_table(name) else None for name in _TABLES}


def _persona_names(ctx: RunContext) -> list[str]:
    data = ctx.load_json("personas.json") or {}
    items = data.get("personas") if isinstance(data, dict) else None
    if not isinstance(items, list):
        return []
    return [str(p["name"]) for p in items if isinstance(p, dict) and p.get("name")]


def measure(ctx: RunContext, wave: str = "", *, power: float = 0.8) -> KpiBaseline:
    """Measure every KPI of a wave from a run's clean tables and earlier results.

    Parameters
    ----------
    ctx : RunContext
        The run (:func:`cxlib.context.open_run`).
    wave : str, optional
        The wave (default the run's wave).
    power : float, default 0.8
        Power of the planned sample sizes.

    Returns
    -------
    KpiBaseline
        See :func:`cxlib.kpi_measure.measure_baseline`; owners come from the governance
        step's results and definition changes from the latest earlier locked baseline.

    Examples
    --------
    >>> ctx = _example_run()
    >>> base = measure(ctx, "2026Q1")
    >>> base.wave, base.kpis["kpi"].tolist(), round(float(base.kpis.loc[0, "estimate"]), 1)
    ('2026Q1', ['nps', 'definition_changes'], 21.4)
    """
    wave = wave or ctx.wave
    labels = list(ctx.config.waves.labels)
    return measure_baseline(
        _tables(ctx),
        ctx.config,
        wave=wave,
        governance=ctx.load_json("governance.json"),
        previous=previous_locked(ctx.paths.root, wave, labels),
        persona_names=_persona_names(ctx),
        power=power,
    )


def results(base: KpiBaseline) -> dict[str, Any]:
    """Build the step's ``kpi_baseline.json``: the baseline plus its plain-text headline.

    Parameters
    ----------
    base : KpiBaseline
        The measured or locked baseline.

    Returns
    -------
    dict
        :meth:`cxlib.kpi_measure.KpiBaseline.to_dict` with ``headline``.

    Examples
    --------
    >>> ctx = _example_run()
    >>> results(measure(ctx, "2026Q1"))["headline"][:30]
    'Baseline 2026Q1: NPS 21.4 (95%'
    """
    from cxlib import narrative_kpi

    return {**base.to_dict(), "headline": narrative_kpi.baseline_headline(base)}


def compute_baseline(engagement: str | Path, wave: str) -> dict[str, Any]:
    """Compute a wave's baseline results from the engagement's inputs (interactive run).

    Used by :func:`lock` when no promoted report holds the wave's results: the engagement
    is ingested into ``runs/interactive`` (reused while the inputs are unchanged) and the
    wave measured as step 6 does.

    Parameters
    ----------
    engagement : str or Path
        The engagement folder.
    wave : str
        The wave.

    Returns
    -------
    dict
        As :func:`results`.
    """
    from cxlib import context

    ctx = context.open_run(engagement, "", wave)
    return results(measure(ctx, wave))


def load_or_measure(
    ctx: RunContext, wave: str = "", *, power: float = 0.8
) -> tuple[KpiBaseline, dict[str, Any]]:
    """Give a wave's locked baseline when there is one (verified), else measure it.

    Parameters
    ----------
    ctx : RunContext
        The run.
    wave : str, optional
        The wave (default the run's wave).
    power : float, default 0.8
        Power of the planned sample sizes, when the baseline is measured.

    Returns
    -------
    tuple
        The baseline and a description: ``wave``, ``locked`` (bool), ``status`` ("locked"
        or "not locked"), ``checksum``, ``locked_at``, ``replaced`` (times replaced with
        ``--force``) and ``source``.

    Raises
    ------
    BaselineTampered
        If the locked file fails its checksum.

    Examples
    --------
    >>> ctx = _example_run()
    >>> base, info = load_or_measure(ctx, "2026Q1")
    >>> info["status"], round(float(base.kpis.loc[0, "estimate"]), 1)
    ('not locked', 21.4)
    """
    wave = wave or ctx.wave
    doc = load_locked(ctx.paths.root, wave)
    if doc is not None:
        info = {"wave": wave, "locked": True, "status": "locked", "checksum": doc["checksum"]}
        info.update(locked_at=doc.get("locked_at"), source=doc.get("source"))
        info["replaced"] = len(doc.get("history") or [])
        return KpiBaseline.from_dict(doc["content"]), info
    info = {"wave": wave, "locked": False, "status": "not locked", "checksum": None}
    info.update(locked_at=None, replaced=0, source=f"computed from wave {wave} data")
    return measure(ctx, wave, power=power), info


def baseline_for(ctx: RunContext) -> tuple[KpiBaseline, dict[str, Any]]:
    """Find the baseline to re-measure against: the locked file, else computed and marked.

    The baseline wave is ``waves.baseline`` in engagement.yaml; see :func:`load_or_measure`
    for what is returned.

    Parameters
    ----------
    ctx : RunContext
        The run.

    Returns
    -------
    tuple
        The baseline (:class:`cxlib.kpi_measure.KpiBaseline`) and its description.

    Raises
    ------
    BaselineTampered
        If the locked file fails its checksum.

    Examples
    --------
    >>> ctx = _example_run()
    >>> _ = lock(ctx.paths.root, "2026Q1", content=results(measure(ctx, "2026Q1")))
    >>> base, info = baseline_for(ctx)
    >>> info["locked"], base.wave
    (True, '2026Q1')
    """
    return load_or_measure(ctx, ctx.config.waves.baseline)
