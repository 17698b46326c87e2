"""Steps 6-7 orchestration: measure KPIs from a run, lock baselines, re-measure against them.

A locked baseline is ``baseline/<WAVE>.json`` in the engagement folder: the KPI results of
that wave (what step 6 wrote to ``kpi_baseline.json``), when and from where they were
locked, and a sha256 checksum over a canonical JSON of everything else in the file. A
locked baseline is never overwritten, except by an explicit ``--force --reason``, which
keeps the reason and the previous checksum in the file's history. Every read verifies the
checksum, so a baseline edited by hand is refused with a clear error.

This module reads and writes files; the measurements themselves are the pure functions of
:mod:`cxlib.kpi_measure`, :mod:`cxlib.remeasure` and friends.
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
from cxlib.kpi import stage_of, wave_period
from cxlib.kpi_measure import KpiBaseline, measure_baseline
from cxlib.remeasure_movers import label_waves, movers, rank_movers
from cxlib.remeasure_spc import control_charts

__all__ = [
    "BaselineLocked",
    "BaselineTampered",
    "FORMAT",
    "baseline_for",
    "baseline_path",
    "canonical_json",
    "charts_for",
    "checksum",
    "compute_baseline",
    "load_locked",
    "lock",
    "lock_info",
    "load_or_measure",
    "measure",
    "movers_for",
    "previous_locked",
    "remeasure_results",
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

    Raises
    ------
    CxError
        If the wave label cannot be a file name (letters, digits, ``_ . -`` only).
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
        The document (``wave``, ``locked_at``, ``source``, ``content``, ``history``,
        ``checksum``), or None when the wave has no locked baseline.

    Raises
    ------
    BaselineTampered
        If the file is not valid JSON, is for another wave, or its content no longer
        matches its checksum.
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
    """Whether a wave's baseline is locked: ``wave``, ``locked``, ``locked_at``, ``checksum``.

    Raises
    ------
    BaselineTampered
        If the locked file fails its checksum.
    """
    doc = load_locked(engagement, wave)
    info: dict[str, Any] = {"wave": wave, "locked": doc is not None}
    info.update(locked_at=None, checksum=None, replaced=0)
    if doc is not None:
        info.update(locked_at=doc.get("locked_at"), checksum=doc["checksum"])
        info["replaced"] = len(doc.get("history") or [])
    return info


def previous_locked(engagement: str | Path, wave: str, labels: list[str]) -> dict | None:
    """Content of the latest locked baseline of a wave before ``wave`` (verified), or None."""
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
    ``results/kpi_baseline.json`` when it is for this wave, else they are computed.

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
    """Build the step's ``kpi_baseline.json``: the baseline plus its plain-text headline."""
    from cxlib import narrative_kpi

    return {**base.to_dict(), "headline": narrative_kpi.baseline_headline(base)}


def remeasure_results(
    card: pd.DataFrame,
    moves: pd.DataFrame,
    charts: pd.DataFrame,
    info: Mapping[str, Any],
    wave: str,
    *,
    confidence: float = 0.95,
) -> dict[str, Any]:
    """Build the step's ``remeasure.json``: scorecard, moves, control charts and headline."""
    from cxlib import narrative_kpi
    from cxlib.kpi_measure import records

    return {
        "wave": wave,
        "baseline": _jsonable(dict(info)),
        "confidence": confidence,
        "scorecard": records(card),
        "movers": records(moves),
        "control_charts": records(charts),
        "headline": narrative_kpi.remeasure_headline(card, info, wave, confidence=confidence),
    }


def compute_baseline(engagement: str | Path, wave: str) -> dict[str, Any]:
    """Compute a wave's baseline results from the engagement's inputs (interactive run)."""
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

    Raises
    ------
    BaselineTampered
        If the locked file fails its checksum.
    """
    return load_or_measure(ctx, ctx.config.waves.baseline)


def _periods(responses: pd.DataFrame, labels: list[str]) -> dict[str, Any]:
    out = {}
    for label in labels:
        rows = responses[responses["wave"].astype(str) == label]
        dates = rows["responded_at"] if "responded_at" in rows else None
        out[label] = wave_period(label, dates=dates)
    return out


def _events_by_wave(ctx: RunContext, labels: list[str]) -> pd.DataFrame | None:
    if not ctx.has_table("touchpoint_events") or ctx.config.kpis.stage_ratings != "events":
        return None
    events = ctx.table("touchpoint_events")
    if "occurred_at" not in events.columns:
        return None
    return label_waves(events, _periods(ctx.table("responses"), labels))


def _segmented_responses(ctx: RunContext) -> pd.DataFrame:
    data = ctx.table("responses")
    data["stage"] = stage_of(data, ctx.config.journey)
    if ctx.has_table("customers"):
        cust = ctx.table("customers")
        cols = [c for c in ("region", "primary_channel") if c in cust.columns]
        cust = cust.drop_duplicates("customer_id").set_index("customer_id")[cols]
        for col in cols:
            data[col] = data["customer_id"].map(cust[col])
    personas = ctx.load_table("personas.parquet")
    if personas is not None and {"customer_id", "persona"} <= set(personas.columns):
        lookup = personas.drop_duplicates("customer_id").set_index("customer_id")["persona"]
        data["persona"] = data["customer_id"].map(lookup)
    return data


def movers_for(ctx: RunContext, baseline_wave: str, wave: str = "") -> pd.DataFrame:
    """Segments, journey stages and touchpoints that moved, as one adjusted family.

    Survey responses are compared by region, preferred channel and persona (and by stage
    for NPS); touchpoint-event ratings by stage and touchpoint (CSAT top-2 box and the
    ease rating on the CES scale) when ``kpis.stage_ratings`` is ``events``. All p-values
    are adjusted together with ``kpis.p_adjust``.
    """
    wave = wave or ctx.wave
    cfg = ctx.config
    opts: dict[str, Any] = {"confidence": cfg.survey.confidence, "p_adjust": cfg.kpis.p_adjust}
    opts.update(lower_is_better=cfg.kpis.lower_is_better)
    common = {**opts, "baseline_wave": baseline_wave, "wave": wave}
    common["min_n"] = cfg.survey.min_base
    data = _segmented_responses(ctx)
    weighted = {"weight": "weight" if "weight" in data.columns else None}
    waves = [baseline_wave, wave] if baseline_wave != wave else [wave]
    events = _events_by_wave(ctx, waves)
    parts = [movers(data, segments=["region", "primary_channel", "persona"], **weighted, **common)]
    if events is None:
        parts.append(movers(data, segments=["stage"], **weighted, **common))
    else:
        nps_only = [("nps", "nps", "nps")]
        parts.append(movers(data, segments=["stage"], metrics=nps_only, **weighted, **common))
        events["stage"] = stage_of(events, cfg.journey)
        names = {t.id: t.name for t in cfg.journey.touchpoints} if cfg.journey else {}
        events["touchpoint"] = events["touchpoint_id"].map(names).fillna(events["touchpoint_id"])
        ratings = [("csat", "share", "csat"), ("ces", "mean", "effort")]
        source = "touchpoint ratings"
        segments = ["stage", "touchpoint"]
        parts.append(movers(events, segments=segments, metrics=ratings, source=source, **common))
    return rank_movers(parts, **opts)


def charts_for(
    ctx: RunContext, wave: str = "", *, stages: list[str] | None = None
) -> pd.DataFrame:
    """Control-chart points for NPS and CSAT over every wave up to ``wave``, and stages."""
    wave = wave or ctx.wave
    labels = list(ctx.config.waves.labels)
    upto = labels[: labels.index(wave) + 1]
    responses = ctx.table("responses")
    return control_charts(
        responses,
        waves=upto,
        journey=ctx.config.journey,
        stages=stages or [],
        events=_events_by_wave(ctx, upto),
        weight="weight" if "weight" in responses.columns else None,
        laney_min_n=ctx.config.kpis.laney_min_n,
        min_n=ctx.config.survey.min_base,
    )
