"""Step 7 orchestration: segment moves, control charts and the results file of a run.

Reads the run's clean tables (responses, customers, touchpoint events) and earlier results
(personas) and hands them to the pure functions of :mod:`cxlib.remeasure_movers` and
:mod:`cxlib.remeasure_spc`. The baseline itself comes from :func:`cxlib.baseline.baseline_for`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from cxlib.baseline import _jsonable
from cxlib.context import RunContext
from cxlib.kpi import stage_of, wave_period
from cxlib.kpi_measure import KpiBaseline, records
from cxlib.remeasure import moved_stages, scorecard
from cxlib.remeasure_movers import label_waves, movers, rank_movers
from cxlib.remeasure_spc import control_charts

__all__ = ["charts_for", "movers_for", "remeasure_results", "scorecard_for"]


def scorecard_for(ctx: RunContext, base: KpiBaseline, current: KpiBaseline) -> pd.DataFrame:
    """Build the scorecard of a run with the engagement's settings.

    Parameters
    ----------
    ctx : RunContext
        The run; ``survey.confidence``, ``kpis.p_adjust`` and ``kpis.lower_is_better``
        are taken from its configuration.
    base, current : KpiBaseline
        The baseline (:func:`cxlib.baseline.baseline_for`) and the current wave
        (:func:`cxlib.baseline.measure`).

    Returns
    -------
    pandas.DataFrame
        :func:`cxlib.remeasure.scorecard`.

    Examples
    --------
    >>> from cxlib import baseline
    >>> ctx = baseline._example_run()
    >>> base, _ = baseline.baseline_for(ctx)
    >>> card = scorecard_for(ctx, base, baseline.measure(ctx))
    >>> card.loc[0, ["kpi", "change"]].tolist()
    ['nps', 'no significant change']
    """
    cfg = ctx.config
    return scorecard(
        base.kpis,
        current.kpis,
        confidence=cfg.survey.confidence,
        p_adjust=cfg.kpis.p_adjust,
        lower_is_better=cfg.kpis.lower_is_better,
    )


def remeasure_results(
    card: pd.DataFrame,
    moves: pd.DataFrame,
    charts: pd.DataFrame,
    info: Mapping[str, Any],
    wave: str,
    *,
    confidence: float = 0.95,
) -> dict[str, Any]:
    """Build the step's ``remeasure.json``: scorecard, moves, control charts and headline.

    Parameters
    ----------
    card : pandas.DataFrame
        Output of :func:`cxlib.remeasure.scorecard`.
    moves : pandas.DataFrame
        Output of :func:`movers_for`.
    charts : pandas.DataFrame
        Output of :func:`charts_for`.
    info : mapping
        The baseline description (:func:`cxlib.baseline.baseline_for`).
    wave : str
        The wave re-measured.
    confidence : float, default 0.95
        Confidence level used.

    Returns
    -------
    dict
        Plain JSON: ``wave``, ``baseline``, ``confidence``, ``scorecard``, ``movers``,
        ``control_charts`` (records, NaN as null) and the plain-text ``headline``.

    Examples
    --------
    >>> card = pd.DataFrame({"kpi": ["nps"], "change": ["no significant change"],
    ...     "statistic": [0.4], "p_value": [0.7]})
    >>> out = remeasure_results(card, pd.DataFrame(), pd.DataFrame(),
    ...     {"wave": "Q1", "locked": False}, "Q3")
    >>> out["headline"]
    'Q3 against the not locked baseline Q1: 0 KPIs improved significantly, 0 deteriorated.'
    """
    from cxlib import narrative_remeasure

    headline = narrative_remeasure.remeasure_headline(card, info, wave, confidence=confidence)
    return {
        "wave": wave,
        "baseline": _jsonable(dict(info)),
        "confidence": confidence,
        "scorecard": records(card),
        "movers": records(moves),
        "control_charts": records(charts),
        "headline": headline,
    }


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
    """Find the segments, journey stages and touchpoints that moved, as one family of tests.

    Survey responses are compared by region, preferred channel and persona (the customer's,
    from step 2) on NPS, CSAT and CES, and by journey stage on NPS; the touchpoint-event
    ratings by stage and touchpoint on CSAT top-2 box and the ease rating (CES scale), when
    ``kpis.stage_ratings`` is ``events`` (else the survey's stage CSAT and CES are used).

    Parameters
    ----------
    ctx : RunContext
        The run.
    baseline_wave : str
        The baseline wave.
    wave : str, optional
        The wave re-measured (default the run's wave).

    Returns
    -------
    pandas.DataFrame
        :func:`cxlib.remeasure_movers.rank_movers` of every comparison, p-values adjusted
        together with ``kpis.p_adjust``; survey metrics are weighted when the responses
        carry a ``weight`` column.

    Notes
    -----
    Events are placed in a wave by the wave's calendar period
    (:func:`cxlib.kpi.wave_period`). Segment values that are missing or empty are left
    out; a level present in only one wave is not compared.

    Examples
    --------
    >>> from cxlib.baseline import _example_run
    >>> moves = movers_for(_example_run(), "2026Q1")
    >>> moves[["segment", "level", "metric"]].values.tolist()
    [['region', 'S', 'nps'], ['region', 'N', 'nps']]
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
    ctx: RunContext,
    wave: str = "",
    *,
    stages: list[str] | None = None,
    card: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Control-chart points for NPS and CSAT over every wave up to ``wave``, and stages.

    Parameters
    ----------
    ctx : RunContext
        The run.
    wave : str, optional
        The last wave charted (default the run's wave); earlier waves of ``waves.labels``
        are charted before it.
    stages : list of str, optional
        Journey stages to chart as well (CSAT top-2 box, from the touchpoint ratings when
        ``kpis.stage_ratings`` is ``events``).
    card : pandas.DataFrame, optional
        A scorecard: the stages with a significant change in it are charted as well
        (:func:`cxlib.remeasure.moved_stages`).

    Returns
    -------
    pandas.DataFrame
        :func:`cxlib.remeasure_spc.control_charts`, with Laney's adjustment from
        ``kpis.laney_min_n`` and small bases from ``survey.min_base``.

    Examples
    --------
    >>> from cxlib.baseline import _example_run
    >>> charts_for(_example_run())[["chart", "wave", "n"]].values.tolist()
    [['nps', '2026Q1', 70], ['nps', '2026Q3', 75]]
    """
    wave = wave or ctx.wave
    labels = list(ctx.config.waves.labels)
    upto = labels[: labels.index(wave) + 1]
    responses = ctx.table("responses")
    return control_charts(
        responses,
        waves=upto,
        journey=ctx.config.journey,
        stages=list(
            dict.fromkeys([*(stages or []), *(moved_stages(card) if card is not None else [])])
        ),
        events=_events_by_wave(ctx, upto),
        weight="weight" if "weight" in responses.columns else None,
        laney_min_n=ctx.config.kpis.laney_min_n,
        min_n=ctx.config.survey.min_base,
    )
