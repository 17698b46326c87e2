"""What the interactive explorers compute: pure functions, one per explorer.

The explorers in :mod:`cxlib.widgets` only wire control values to these functions and
render what they return, so every number an explorer shows is tested here, without a
widget. Data in, frozen dataclasses of tidy DataFrames out; no IO except
:func:`save_theme`, which writes ``codeframe.yaml`` on purpose.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from cxlib import journey as _journey
from cxlib import kpi_outcomes, stats, text, voc_metrics, voc_text
from cxlib import redact as _redact
from cxlib.errors import CxError

__all__ = [
    "ALL",
    "VOC_FILTERS",
    "CodeframeTrial",
    "JourneyView",
    "Simulation",
    "VocData",
    "VocView",
    "codeframe_trial",
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
    names = _customer_names(customers)
    comments = data["comment"] if "comment" in data.columns else pd.Series("", index=data.index)
    analysis = voc_text.analyse_comments(comments.astype(object), cf, names=names)
    data["sentiment"] = analysis.sentiment["compound"].to_numpy()
    return VocData(
        data=data,
        tags=analysis.tags,
        names=tuple(names),
        weight=weight if weight is not None and weight in data.columns else None,
    )


def _customer_names(customers: pd.DataFrame | None) -> list[str]:
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


# --------------------------------------------------------------------------- simulator


@dataclass(frozen=True)
class Simulation:
    """Projected NPS and revenue at risk under a what-if.

    Attributes
    ----------
    nps : float
        Current NPS (weighted when weights are given), -100..100.
    promoters, detractors : float
        Current shares (0..1).
    projected_nps : float
        NPS after converting detractors and lifting the touchpoint.
    from_conversion, from_touchpoint, from_attribute : float
        NPS points each lever adds.
    revenue_at_risk, projected_revenue_at_risk : float
        Annual revenue at risk now and after the conversion (NaN without customers).
    impact : pandas.DataFrame
        The touchpoint impact model's row for the lifted touchpoint (empty when none).
    """

    nps: float
    promoters: float
    detractors: float
    projected_nps: float
    from_conversion: float
    from_touchpoint: float
    from_attribute: float
    revenue_at_risk: float
    projected_revenue_at_risk: float
    impact: pd.DataFrame = field(repr=False)


def _share(value: float, name: str) -> float:
    if isinstance(value, bool) or not 0 <= float(value) <= 1:
        raise ValueError(f"{name} must be a share between 0 and 1, got {value!r}")
    return float(value)


def simulate_targets(
    responses: pd.DataFrame,
    *,
    to_passive: float = 0.0,
    to_promoter: float = 0.0,
    impact: pd.DataFrame | None = None,
    n_impact: int | None = None,
    touchpoint: str | None = None,
    csat_lift: float = 0.0,
    detractor_model: Any = None,
    attribute: str | None = None,
    attribute_lift: float = 0.0,
    scale_max: float | None = None,
    groups: pd.DataFrame | None = None,
    basis: str = "churn_rate",
    weight: str | None = "weight",
    confidence: float = 0.95,
) -> Simulation:
    r"""Project NPS and revenue at risk if detractors convert or a touchpoint improves.

    Parameters
    ----------
    responses : pandas.DataFrame
        The responses the current NPS is measured on (one wave, one survey).
    to_passive, to_promoter : float
        Shares of current detractors converted to passives and to promoters (sum <= 1).
    impact : pandas.DataFrame, optional
        ``table`` of :func:`cxlib.journey_pain.touchpoint_impact`.
    n_impact : int, optional
        Respondents in that model (its ``n``).
    touchpoint : str, optional
        Touchpoint whose bad experiences are reduced.
    csat_lift : float, default 0
        Share of that touchpoint's bad experiences turned into good ones (0..1).
    detractor_model : cxlib.drivers.DetractorResult, optional
        The detractor drivers model (:func:`cxlib.drivers.detractor_drivers`) fitted on
        ``responses``, for the attribute lever.
    attribute : str, optional
        Attribute rating to lift (one of the model's attributes).
    attribute_lift : float, default 0
        Points added to every respondent's rating of ``attribute`` (capped at ``scale_max``).
    scale_max : float, optional
        Top of the attribute scale (``survey.attribute_scale`` in engagement.yaml).
    groups : pandas.DataFrame, optional
        :func:`cxlib.kpi_outcomes.customer_nps_groups`, for revenue at risk.
    basis : {"churn_rate", "excess_churn"}
        Revenue-at-risk basis (``kpis.revenue_at_risk`` in engagement.yaml).
    weight : str or None, default "weight"
        Survey weights (ignored when absent).
    confidence : float, default 0.95
        Confidence level.

    Returns
    -------
    Simulation
        Current and projected figures.

    Raises
    ------
    ValueError
        On shares outside 0..1, or a touchpoint missing from the impact model.

    Notes
    -----
    With promoter share :math:`P` and detractor share :math:`D`, converting shares
    :math:`a` (to passive) and :math:`b` (to promoter) of detractors gives
    :math:`NPS' = 100\,[(P + bD) - (1 - a - b) D]`. Lifting touchpoint :math:`t` adds
    :math:`\max(-\beta_t, 0)\, (n_t / N)\, \ell`, with :math:`\beta_t` the NPS gap between
    customers with a bad and only good experiences there (touchpoint impact model),
    :math:`n_t / N` the share of respondents with a bad experience and :math:`\ell` the
    lift; a touchpoint whose bad experiences show no NPS loss projects no gain. Lifting
    attribute :math:`j` by :math:`\delta` uses the detractor logit
    :math:`P_i = \sigma(b_0 + x_i' b)`: the intercept :math:`b_0` is recovered from the
    coefficients as the root of :math:`\sum w_i (y_i - P_i) = 0` (the maximum-likelihood
    score equation of the intercept, so the fitted rate equals the observed one), and the
    projected detractor share is the weighted mean of :math:`\sigma(b_0 + x_i' b + b_j
    \Delta_{ij})` with :math:`\Delta_{ij} = \min(x_{ij} + \delta, \text{scale max}) -
    x_{ij}`, over the respondents the model used; the detractors it removes are counted
    as passives (a conservative assumption). Revenue
    at risk (:func:`cxlib.kpi_outcomes.revenue_at_risk`) scales with the detractors'
    revenue, which shrinks by the converted share :math:`a + b` (detractors are assumed
    alike in revenue; the touchpoint lever does not change revenue at risk).

    Examples
    --------
    >>> r = pd.DataFrame({"nps": [10.0, 8, 0, 0]})
    >>> s = simulate_targets(r, to_promoter=0.5)
    >>> round(s.nps, 1), round(s.projected_nps, 1)
    (-25.0, 25.0)
    """
    a, b = _share(to_passive, "to_passive"), _share(to_promoter, "to_promoter")
    if a + b > 1 + 1e-12:
        raise ValueError(f"to_passive + to_promoter must not exceed 1, got {a + b!r}")
    lift = _share(csat_lift, "csat_lift")
    w = weight if weight is not None and weight in responses.columns else None
    current = stats.nps(responses, weight=w, confidence=confidence).iloc[0]
    p, d = float(current["promoters"]), float(current["detractors"])
    from_conversion = 100 * (b * d + (a + b) * d)
    from_tp, row = 0.0, pd.DataFrame()
    if touchpoint:
        if impact is None or not n_impact:
            raise ValueError("a touchpoint lift needs the touchpoint impact model")
        row = impact[impact["touchpoint_id"] == touchpoint]
        if row.empty:
            raise ValueError(f"touchpoint {touchpoint!r} is not in the impact model")
        beta = float(row["estimate"].iloc[0])
        if np.isfinite(beta):
            from_tp = max(-beta, 0.0) * float(row["n"].iloc[0]) / n_impact * lift
    from_attr = 0.0
    if attribute:
        if detractor_model is None:
            raise ValueError("an attribute lift needs the detractor drivers model")
        from_attr = _attribute_gain(
            responses, detractor_model, attribute, float(attribute_lift), scale_max, w
        )
    rar = projected = float("nan")
    if groups is not None:
        table = kpi_outcomes.revenue_at_risk(groups, basis=basis, confidence=confidence)
        rar = float(table["estimate"].iloc[0])
        projected = rar * (1 - a - b)
    return Simulation(
        nps=float(current["estimate"]),
        promoters=p,
        detractors=d,
        projected_nps=float(current["estimate"]) + from_conversion + from_tp + from_attr,
        from_conversion=from_conversion,
        from_touchpoint=from_tp,
        from_attribute=from_attr,
        revenue_at_risk=rar,
        projected_revenue_at_risk=projected,
        impact=row.reset_index(drop=True),
    )


def _attribute_gain(responses, model, attribute, lift, scale_max, weight) -> float:
    """NPS points gained when the detractor logit sees ``attribute`` rated ``lift`` higher."""
    from scipy.optimize import brentq
    from scipy.special import expit

    if lift < 0:
        raise ValueError(f"attribute_lift must not be negative, got {lift!r}")
    attrs = list(model.attributes)
    if attribute not in attrs:
        raise ValueError(f"attribute {attribute!r} is not in the detractor model {attrs}")
    coef = model.table.set_index("attribute").loc[attrs, "coef"].to_numpy(dtype=float)
    rows = responses.dropna(subset=[*attrs, model.outcome])
    x = rows[attrs].to_numpy(dtype=float)
    y = (rows[model.outcome].to_numpy(dtype=float) <= model.detractor_max).astype(float)
    w = np.ones(len(rows)) if weight is None else rows[weight].to_numpy(dtype=float)
    eta = x @ coef
    b0 = brentq(lambda b: float(np.sum(w * (y - expit(b + eta)))), -50.0, 50.0, xtol=1e-12)
    j = attrs.index(attribute)
    raised = x[:, j] + lift
    if scale_max is not None:
        raised = np.minimum(raised, scale_max)
    before = np.sum(w * expit(b0 + eta)) / w.sum()
    after = np.sum(w * expit(b0 + eta + coef[j] * (raised - x[:, j]))) / w.sum()
    return float(100 * (before - after))


# --------------------------------------------------------------------------- codeframe


@dataclass(frozen=True)
class CodeframeTrial:
    """Comments a trial theme catches.

    Attributes
    ----------
    n_comments : int
        Non-blank comments searched.
    n_matched : int
        Comments the theme tags (negated mentions included).
    share : float
        ``n_matched / n_comments`` (NaN without comments).
    matches : pandas.DataFrame
        ``response`` (index of the comment) and ``comment`` (redacted), up to ``limit``.
    """

    n_comments: int
    n_matched: int
    share: float
    matches: pd.DataFrame


def _theme_dict(name: str, keywords: Iterable[str], patterns: Iterable[str], description: str):
    theme: dict[str, Any] = {"name": name}
    if description:
        theme["description"] = description
    kws = [k.strip() for k in keywords if k and k.strip()]
    pats = [p for p in patterns if p and p.strip()]
    if kws:
        theme["keywords"] = kws
    if pats:
        theme["patterns"] = pats
    return theme


def codeframe_trial(
    comments: pd.Series,
    *,
    keywords: Iterable[str] = (),
    patterns: Iterable[str] = (),
    names: Iterable[str] = (),
    limit: int = 20,
) -> CodeframeTrial:
    """Count and show (redacted) the comments a candidate theme would tag.

    Parameters
    ----------
    comments : pandas.Series
        Comments, indexed by response.
    keywords, patterns : iterable of str
        As in codeframe.yaml (keywords whole-word, ``*`` a word ending; patterns regex).
    names : iterable of str
        Customer names to redact.
    limit : int, default 20
        Matching comments returned.

    Returns
    -------
    CodeframeTrial
        Counts and the first ``limit`` matches, redacted.

    Raises
    ------
    cxlib.text.CodeframeError
        If a pattern is not a valid regular expression.

    Notes
    -----
    Matching is :func:`cxlib.text.tag_themes` with a one-theme codeframe, so the counts are
    the ones step 4 will find once the theme is saved.

    Examples
    --------
    >>> c = pd.Series(["my bill is wrong", "great signal", "billing mess"])
    >>> t = codeframe_trial(c, keywords=["bill*"])
    >>> t.n_matched, list(t.matches["comment"])
    (2, ['my bill is wrong', 'billing mess'])
    """
    kws, pats = list(keywords), list(patterns)
    texts = comments.astype(object)
    blank = texts.isna() | (texts.astype(str).str.strip() == "")
    n_comments = int((~blank).sum())
    theme = _theme_dict("trial", kws, pats, "")
    if len(theme) == 1:
        empty = pd.DataFrame({"response": pd.Series(dtype=object), "comment": []})
        return CodeframeTrial(n_comments, 0, float("nan") if not n_comments else 0.0, empty)
    tags = text.tag_themes(texts, {"version": "trial", "themes": [theme]})
    hit = texts.index[texts.index.isin(tags["response"].unique())]
    shown = texts.loc[hit[:limit]]
    redacted = _redact.redact(shown.reset_index(drop=True), names=names).redacted
    matches = pd.DataFrame({"response": list(hit[:limit]), "comment": redacted.to_numpy()})
    share = len(hit) / n_comments if n_comments else float("nan")
    return CodeframeTrial(n_comments, int(len(hit)), share, matches)


def save_theme(
    path: str | Path,
    name: str,
    *,
    keywords: Iterable[str] = (),
    patterns: Iterable[str] = (),
    description: str = "",
) -> Path:
    """Add a theme to codeframe.yaml, keeping every other theme and the file's comments.

    Parameters
    ----------
    path : str or Path
        The codeframe file.
    name : str
        The new theme's name (must not exist yet).
    keywords, patterns : iterable of str
        Its keywords and regular expressions (at least one of them).
    description : str, optional
        Its description.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    cxlib.errors.CxError
        If the name is empty or taken, there is nothing to match, or the result would not
        validate; the file is then left untouched.

    Notes
    -----
    The theme is appended as text after the last theme when ``themes:`` is the file's
    last section, so comments and layout survive; otherwise the file is re-written from
    its parsed content. Either way the new text is checked (same themes as before plus
    the new one, and :func:`cxlib.config.load_codeframe` passes) on a temporary file that
    then replaces the original atomically.
    """
    from cxlib.config import load_codeframe

    path = Path(path)
    name = str(name).strip()
    if not name:
        raise CxError("a theme needs a name")
    theme = _theme_dict(name, keywords, patterns, description.strip())
    if "keywords" not in theme and "patterns" not in theme:
        raise CxError(f"theme {name!r} needs at least one keyword or pattern")
    before = load_codeframe(path)
    if name.casefold() in {t.name.casefold() for t in before.themes}:
        raise CxError(f"codeframe.yaml already has a theme called {name!r}")
    original = path.read_text(encoding="utf-8-sig")
    data = yaml.safe_load(original)
    expected = {**data, "themes": [*data["themes"], theme]}
    block = yaml.safe_dump([theme], sort_keys=False, allow_unicode=True, width=100)
    indent = _item_indent(original)
    new_text = (
        original.rstrip("\n")
        + "\n"
        + "".join(" " * indent + ln + "\n" for ln in block.splitlines())
    )
    try:
        appended_ok = yaml.safe_load(new_text) == expected
    except yaml.YAMLError:
        appended_ok = False
    if not appended_ok:
        new_text = yaml.safe_dump(expected, sort_keys=False, allow_unicode=True, width=100)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(new_text)
        after = load_codeframe(tmp)
        if [t.name for t in after.themes] != [*(t.name for t in before.themes), name]:
            raise CxError("the new codeframe would not keep every existing theme; not saved")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _item_indent(source: str) -> int:
    """Indentation of the list items under ``themes:`` (2 when not found)."""
    lines = source.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("themes:"):
            for item in lines[i + 1 :]:
                if item.lstrip().startswith("- "):
                    return len(item) - len(item.lstrip())
    return 2
