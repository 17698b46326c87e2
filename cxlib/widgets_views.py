"""What the VoC and journey explorers compute: pure functions, tested without a widget.

The explorers in :mod:`cxlib.widgets` only wire control values to functions of this module,
:mod:`cxlib.widgets_targets` (the target simulator) and :mod:`cxlib.widgets_codeframe` (the
codeframe workbench), and render what they return, so every number an explorer shows is
tested here. Data in, frozen dataclasses of tidy DataFrames out; no IO. The simulator's and
the workbench's names are re-exported here, so ``cxlib.widgets_views`` is the one place to
import any explorer's computation from.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from cxlib import journey as _journey
from cxlib import voc_metrics, voc_text
from cxlib.widgets_codeframe import CodeframeTrial, codeframe_trial, save_theme
from cxlib.widgets_targets import Simulation, simulate_targets

__all__ = [
    "ALL",
    "VOC_FILTERS",
    "CodeframeTrial",
    "JourneyView",
    "Simulation",
    "VocData",
    "VocView",
    "codeframe_trial",
    "customer_names",
    "filter_options",
    "journey_view",
    "prepare_voc",
    "save_theme",
    "simulate_targets",
    "voc_view",
]

#: The value of a filter that keeps every response.
ALL = "(all)"
#: Columns the VoC explorer filters on, in the order its controls appear.
VOC_FILTERS = ("wave", "persona", "channel", "region", "stage")


@dataclass(frozen=True)
class VocData:
    """Responses prepared once for the VoC explorer.

    Attributes
    ----------
    data : pandas.DataFrame
        Responses with the segment columns (persona, region, stage) and ``sentiment``.
    tags : pandas.DataFrame
        Long theme tags (``response`` refers to ``data``'s index).
    names : tuple of str
        Customer names to redact from verbatims.
    weight : str or None
        Survey weight column, when the responses carry one.
    """

    data: pd.DataFrame = field(repr=False)
    tags: pd.DataFrame = field(repr=False)
    names: tuple[str, ...] = ()
    weight: str | None = None


@dataclass(frozen=True)
class VocView:
    """What the VoC explorer shows for one choice of filters.

    Attributes
    ----------
    filters : dict
        The filters applied (column -> value; :data:`ALL` left out).
    n_responses : int
        Responses left after filtering.
    metrics : pandas.DataFrame
        :func:`cxlib.voc_metrics.headline_metrics` of the filtered responses.
    themes : pandas.DataFrame
        :func:`cxlib.voc_text.theme_table` of the filtered responses (empty without comments).
    verbatims : pandas.DataFrame
        :func:`cxlib.voc_text.sample_verbatims`: redacted comments per theme.
    """

    filters: dict[str, str]
    n_responses: int
    metrics: pd.DataFrame
    themes: pd.DataFrame
    verbatims: pd.DataFrame


def prepare_voc(
    responses: pd.DataFrame,
    *,
    codeframe: Any,
    customers: pd.DataFrame | None = None,
    personas: pd.DataFrame | None = None,
    stages: Mapping[str, str] | None = None,
    weight: str | None = "weight",
) -> VocData:
    """Attach segments, score sentiment and tag themes once, for every later filter.

    Parameters
    ----------
    responses : pandas.DataFrame
        The clean responses table.
    codeframe : cxlib.config.Codeframe, cxlib.text.Codeframe or dict
        The codeframe.
    customers, personas : pandas.DataFrame, optional
        Customer base (region, names to redact) and step 2's persona assignment.
    stages : mapping, optional
        Touchpoint id to journey stage.
    weight : str or None, default "weight"
        Survey weight column (ignored when absent).

    Returns
    -------
    VocData
        The prepared responses and tags.

    Notes
    -----
    Uses :func:`cxlib.voc_metrics.attach_segments` and
    :func:`cxlib.voc_text.analyse_comments`, as step 4 does.

    Examples
    --------
    >>> r = pd.DataFrame({"customer_id": ["a"], "touchpoint_id": ["t"], "nps": [9.0],
    ...     "comment": ["bill ok"]})
    >>> prep = prepare_voc(r, codeframe={"themes": [{"name": "B", "keywords": ["bill"]}]})
    >>> len(prep.tags)
    1
    """
    from cxlib.voc import codeframe_from_config

    cf = codeframe_from_config(codeframe)
    data = voc_metrics.attach_segments(
        responses.reset_index(drop=True), customers=customers, personas=personas, stages=stages
    )
    if "region" not in data.columns and "Region" in data.columns:
        data["region"] = data["Region"]
    names = customer_names(customers)
    comments = data["comment"] if "comment" in data.columns else pd.Series("", index=data.index)
    analysis = voc_text.analyse_comments(comments.astype(object), cf, names=names)
    data["sentiment"] = analysis.sentiment["compound"].to_numpy()
    return VocData(
        data=data,
        tags=analysis.tags,
        names=tuple(names),
        weight=weight if weight is not None and weight in data.columns else None,
    )


def customer_names(customers: pd.DataFrame | None) -> list[str]:
    """List the customers' first and last names, to redact from comments.

    Parameters
    ----------
    customers : pandas.DataFrame or None
        The customer base; ``first_name`` and ``last_name`` are used when present.

    Returns
    -------
    list of str
        Distinct non-blank names, sorted.

    Examples
    --------
    >>> customer_names(pd.DataFrame({"first_name": ["Jo", "Al"], "last_name": ["Li", None]}))
    ['Al', 'Jo', 'Li']
    """
    if customers is None:
        return []
    found: set[str] = set()
    for col in ("first_name", "last_name"):
        if col in customers.columns:
            found |= {str(v) for v in customers[col].dropna().unique() if str(v).strip()}
    return sorted(found)


def filter_options(prepared: VocData, *, columns: Iterable[str] = VOC_FILTERS) -> dict[str, list]:
    """List the values each filter offers: :data:`ALL`, then the sorted distinct values.

    Parameters
    ----------
    prepared : VocData
        From :func:`prepare_voc`.
    columns : iterable of str
        Filter columns; those absent from the data are left out.

    Returns
    -------
    dict
        Column -> list of choices.

    Examples
    --------
    >>> d = VocData(pd.DataFrame({"wave": ["b", "a", "b"]}), pd.DataFrame())
    >>> filter_options(d)
    {'wave': ['(all)', 'a', 'b']}
    """
    data = prepared.data
    return {
        col: [ALL, *sorted(str(v) for v in data[col].dropna().unique())]
        for col in columns
        if col in data.columns
    }


def voc_view(
    prepared: VocData,
    filters: Mapping[str, str] | None = None,
    *,
    per_theme: int = 2,
    confidence: float = 0.95,
    min_n: int = 30,
    seed: int = 0,
) -> VocView:
    """Headline scores, themes and redacted verbatims of the responses a filter keeps.

    Parameters
    ----------
    prepared : VocData
        From :func:`prepare_voc`.
    filters : mapping, optional
        Column -> value to keep; :data:`ALL`, ``None`` or ``""`` keeps every value.
    per_theme : int, default 2
        Verbatims shown per theme.
    confidence : float, default 0.95
        Confidence level of the intervals.
    min_n : int, default 30
        Small-base threshold.
    seed : int, default 0
        Seed of the verbatim sample.

    Returns
    -------
    VocView
        Metrics (NPS, CSAT, CES with CI and n), theme table and verbatims.

    Raises
    ------
    ValueError
        If a filter names a column the responses do not have.

    Notes
    -----
    NPS uses the adjusted-Wald interval, CSAT the Wilson interval and CES the t interval
    (:func:`cxlib.voc_metrics.headline_metrics`); weighted with Kish's effective base when
    the responses carry weights. Verbatims pass :func:`cxlib.redact.redact`.

    Examples
    --------
    >>> r = pd.DataFrame({"customer_id": list("ab"), "touchpoint_id": ["t", "t"],
    ...     "wave": ["1", "2"], "nps": [10.0, 0.0], "comment": ["bill", "bill"]})
    >>> prep = prepare_voc(r, codeframe={"themes": [{"name": "B", "keywords": ["bill"]}]})
    >>> view = voc_view(prep, {"wave": "1"})
    >>> view.n_responses, float(view.metrics.set_index("metric").loc["nps", "estimate"])
    (1, 100.0)
    """
    data = prepared.data
    active = {k: str(v) for k, v in (filters or {}).items() if v not in (None, "", ALL)}
    keep = np.ones(len(data), dtype=bool)
    for col, value in active.items():
        if col not in data.columns:
            raise ValueError(f"cannot filter on {col!r}: the responses have no such column")
        keep &= data[col].astype(object).astype(str).to_numpy() == value
    sub = data[keep]
    metrics = voc_metrics.headline_metrics(
        sub, weight=prepared.weight, confidence=confidence, min_n=min_n
    )
    tags = prepared.tags[prepared.tags["response"].isin(sub.index)]
    has_comments = "comment" in sub.columns and len(tags) > 0
    themes = (
        voc_text.theme_table(sub, tags, weight=prepared.weight, confidence=confidence, min_n=min_n)
        if has_comments
        else pd.DataFrame()
    )
    verbatims = (
        voc_text.sample_verbatims(sub, tags, names=prepared.names, per_theme=per_theme, seed=seed)
        if has_comments
        else pd.DataFrame(columns=["theme", "comment"])
    )
    return VocView(active, int(len(sub)), metrics, themes, verbatims)


# --------------------------------------------------------------------------- journey


@dataclass(frozen=True)
class JourneyView:
    """What the journey explorer shows for one persona.

    Attributes
    ----------
    persona : str
        The persona chosen (:data:`ALL` for every customer).
    curve : pandas.DataFrame
        :func:`cxlib.journey.emotion_curve` rows of that persona.
    funnel : pandas.DataFrame
        :func:`cxlib.journey.stage_funnel` of that persona's customers.
    worst : pandas.DataFrame
        The touchpoints with the lowest CSAT (``csat`` rows of
        :func:`cxlib.journey.touchpoint_scorecard`), worst first.
    n_customers : int
        Customers of the persona with at least one event.
    """

    persona: str
    curve: pd.DataFrame
    funnel: pd.DataFrame
    worst: pd.DataFrame
    n_customers: int


def journey_view(
    events: pd.DataFrame,
    journey: Any,
    *,
    personas: pd.DataFrame | None = None,
    persona: str = ALL,
    n_worst: int = 5,
    confidence: float = 0.95,
    min_n: int = 30,
) -> JourneyView:
    """Emotion curve, stage funnel and worst touchpoints of one persona.

    Parameters
    ----------
    events : pandas.DataFrame
        The touchpoint_events table.
    journey : cxlib.config.Journey
        The journey from engagement.yaml.
    personas : pandas.DataFrame, optional
        Step 2's ``personas.parquet`` (``customer_id``, ``persona``).
    persona : str, default ALL
        The persona to show; :data:`ALL` for every customer.
    n_worst : int, default 5
        Touchpoints listed as worst.
    confidence : float, default 0.95
        Confidence level.
    min_n : int, default 30
        Small-base threshold.

    Returns
    -------
    JourneyView
        The three views.

    Raises
    ------
    ValueError
        If the persona is unknown, or personas are needed and missing.

    Notes
    -----
    Reuses :func:`cxlib.journey.emotion_curve`, :func:`cxlib.journey.stage_funnel` and
    :func:`cxlib.journey.touchpoint_scorecard` on the persona's events only; CSAT is the
    top-2-box share with a Wilson interval, ranked by its estimate.
    """
    if not isinstance(n_worst, int) or n_worst < 1:
        raise ValueError(f"n_worst must be a positive integer, got {n_worst!r}")
    ev = events
    if persona != ALL:
        if personas is None:
            raise ValueError("persona filtering needs step 2's personas table")
        ids = personas.loc[personas["persona"].astype(str) == persona, "customer_id"]
        if ids.empty:
            raise ValueError(f"unknown persona {persona!r}")
        ev = events[events["customer_id"].isin(set(ids))]
    if personas is not None and "persona_id" not in personas.columns:
        personas = personas.assign(persona_id=pd.factorize(personas["persona"], sort=True)[0])
    curve = _journey.emotion_curve(
        events, journey, personas=personas, confidence=confidence, min_n=min_n
    )
    label = "All customers" if persona == ALL else persona
    curve = curve[curve["persona"].astype(str) == label].reset_index(drop=True)
    funnel = _journey.stage_funnel(ev, journey, confidence=confidence, min_n=min_n)
    card = _journey.touchpoint_scorecard(ev, journey, confidence=confidence, min_n=min_n)
    csat = card[(card["metric"] == "csat") & (card["n"] > 0)]
    worst = csat.sort_values("estimate", kind="stable").head(n_worst).reset_index(drop=True)
    return JourneyView(persona, curve, funnel, worst, int(ev["customer_id"].nunique()))
