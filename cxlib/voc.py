"""Voice of the customer (step 4): scores, segments, themes, drivers and response bias.

Compute layer: DataFrames in, tidy DataFrames and frozen result objects out, nothing
rounded. :func:`analyse` composes the whole step from the building blocks in
:mod:`cxlib.voc_metrics` (scores and segments, re-exported here), :mod:`cxlib.voc_text`
(comments), :mod:`cxlib.voc_bias` (response bias), :mod:`cxlib.stats` and
:mod:`cxlib.drivers`. Every hot path is vectorised: scores and segment tests are
``bincount`` sums, text work runs once per distinct comment, and the driver bootstrap is
a handful of BLAS calls (see :func:`cxlib.drivers.key_drivers`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from cxlib._stats_common import check_confidence, check_frame, check_min_n
from cxlib.drivers import DriverDataError, DriverResult, key_drivers
from cxlib.drivers_extra import DetractorResult, detractor_drivers, importance_performance
from cxlib.text import Codeframe, suggest_themes
from cxlib.voc_bias import BiasCheck, RakingResult, rake, response_bias
from cxlib.voc_metrics import (
    METRICS,
    attach_segments,
    headline_metrics,
    nps_distribution,
    segment_pairs,
    segment_table,
)
from cxlib.voc_text import analyse_comments, close_the_loop, sample_verbatims, theme_table

__all__ = [
    "METRICS",
    "VocResult",
    "analyse",
    "attach_segments",
    "codeframe_from_config",
    "headline_metrics",
    "inputs_from_run",
    "nps_distribution",
    "segment_pairs",
    "segment_table",
]

_SEGMENTS = ("persona", "region", "channel")
_ALL_RESPONSE_SEGMENTS = ("survey", "stage")


def codeframe_from_config(codeframe: Any) -> Codeframe:
    """Turn the validated ``codeframe.yaml`` model into the tagging codeframe.

    Parameters
    ----------
    codeframe : cxlib.config.Codeframe or dict
        The model returned by :func:`cxlib.config.load_codeframe`, or the plain dict.
        Theme descriptions are documentation and are dropped.

    Returns
    -------
    cxlib.text.Codeframe
        Ready for :func:`cxlib.voc_text.analyse_comments`.

    Examples
    --------
    >>> cf = codeframe_from_config({"version": "2", "themes": [
    ...     {"name": "Billing", "description": "bills", "keywords": ["bill*"]}]})
    >>> cf.version, cf.themes[0].keywords
    ('2', ('bill*',))
    """
    if isinstance(codeframe, Codeframe):
        return codeframe
    spec = codeframe.model_dump() if hasattr(codeframe, "model_dump") else dict(codeframe)
    keep = ("name", "keywords", "patterns", "exclude")
    themes = [{k: v for k, v in dict(t).items() if k in keep} for t in spec.get("themes", [])]
    return Codeframe.from_dict({"version": str(spec.get("version", "1")), "themes": themes})


def _records(frame: pd.DataFrame | None) -> list[dict[str, Any]] | None:
    if frame is None:
        return None
    return [{k: _plain(v) for k, v in row.items()} for row in frame.to_dict("records")]


def _plain(value: Any) -> Any:
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return None if np.isnan(value) else float(value)
    if value is None or value is pd.NA or (not isinstance(value, str) and pd.isna(value)):
        return None
    return value


@dataclass(frozen=True, eq=False)
class VocResult:
    """Everything the voice-of-customer step found; result of :func:`analyse`.

    Attributes
    ----------
    headline : pandas.DataFrame
        :func:`headline_metrics` on the headline base.
    segments : pandas.DataFrame
        :func:`segment_table`, with a ``base`` column: ``"headline"`` for persona, region
        and channel (the headline base), ``"all"`` for survey type and touchpoint stage
        (every response of the wave).
    distribution : pandas.DataFrame
        :func:`nps_distribution` of the headline base.
    themes : pandas.DataFrame
        :func:`cxlib.voc_text.theme_table` over every comment of the wave.
    suggestions : pandas.DataFrame
        :func:`cxlib.text.suggest_themes` on redacted uncoded comments.
    verbatims : pandas.DataFrame
        :func:`cxlib.voc_text.sample_verbatims` (redacted), most mentioned theme first.
    tags : pandas.DataFrame
        One row per response and theme mentioned: ``response_id`` (the responses' index
        when there is no such column), ``theme``, ``mentions``, ``negated``.
    redactions : pandas.DataFrame
        Redaction counts per kind.
    drivers : DriverResult or None
        Key drivers of NPS on the survey attributes (None without attributes).
    detractors : DetractorResult or None
        Logistic model of being a detractor on the same attributes.
    quadrants : pandas.DataFrame or None
        Importance-performance matrix.
    bias : BiasCheck or None
        Response-bias check on region, primary channel, persona (when step 2 has run),
        tenure and annual revenue; None without a customer table.
    wave, headline_survey : str or None
        The wave analysed and the survey type of the headline base (None: all).
    n_responses, n_headline, n_comments, n_distinct_comments : int
        Responses in the wave, in the headline base, with a comment, distinct comments.
    weighted : bool
        Whether survey weights were used.
    codeframe_version : str
        Version of the codeframe.
    confidence : float
        Confidence level of every interval.
    min_n : int
        Small-base threshold.
    notes : tuple of str
        Parts that could not be computed, and why.
    pairs : pandas.DataFrame or None
        :func:`segment_pairs` of ``segments``: every two levels of a segment column
        compared, Holm-adjusted within each measure and column (the letters of the
        segment table).
    """

    headline: pd.DataFrame
    segments: pd.DataFrame
    distribution: pd.DataFrame
    themes: pd.DataFrame
    suggestions: pd.DataFrame
    verbatims: pd.DataFrame = field(repr=False)
    tags: pd.DataFrame = field(repr=False)
    redactions: pd.DataFrame
    drivers: DriverResult | None
    detractors: DetractorResult | None
    quadrants: pd.DataFrame | None
    bias: BiasCheck | None
    wave: str | None
    headline_survey: str | None
    n_responses: int
    n_headline: int
    n_comments: int
    n_distinct_comments: int
    weighted: bool
    codeframe_version: str
    confidence: float
    min_n: int
    notes: tuple[str, ...] = ()
    pairs: pd.DataFrame | None = field(default=None, repr=False)
    raking: RakingResult | None = field(default=None, repr=False)
    bias_raked: BiasCheck | None = field(default=None, repr=False)
    follow_up: pd.DataFrame | None = field(default=None, repr=False)

    def metric(self, key: str) -> dict[str, Any]:
        """Return one headline row (``"nps"``, ``"csat"``, ``"ces"``) as a dict."""
        rows = self.headline[self.headline["metric"] == key]
        if rows.empty:
            raise KeyError(f"no headline metric {key!r}")
        return {k: _plain(v) for k, v in rows.iloc[0].items()}

    def drivers_frame(self) -> pd.DataFrame:
        """Return one row per attribute: importance, quadrant, detractor odds ratio.

        This is the table saved as ``drivers.parquet``.
        """
        if self.drivers is None:
            return pd.DataFrame(columns=["attribute", "importance", "importance_pct"])
        out = self.drivers.importance.copy()
        if self.quadrants is not None:
            quad = self.quadrants.set_index("attribute")
            for col in ("quadrant", "importance_cut", "performance_cut"):
                out[col] = out["attribute"].map(quad[col])
        if self.detractors is not None:
            det = self.detractors.table.set_index("attribute")
            mapping = {
                "odds_ratio": "detractor_odds_ratio",
                "ci_low": "detractor_or_ci_low",
                "ci_high": "detractor_or_ci_high",
                "p_value": "detractor_p_value",
                "p_adjusted": "detractor_p_adjusted",
            }
            for src, dst in mapping.items():
                out[dst] = out["attribute"].map(det[src]).astype(float)
        return out

    def to_dict(self) -> dict[str, Any]:
        """Return the results as plain Python types (NaN as None), ready for voc.json."""
        return {
            "wave": self.wave,
            "headline_survey": self.headline_survey,
            "n_responses": self.n_responses,
            "n_headline": self.n_headline,
            "n_comments": self.n_comments,
            "n_distinct_comments": self.n_distinct_comments,
            "weighted": self.weighted,
            "codeframe_version": self.codeframe_version,
            "confidence": self.confidence,
            "min_n": self.min_n,
            "notes": list(self.notes),
            "metrics": _records(self.headline),
            "segments": _records(self.segments),
            "segment_pairs": _records(self.pairs),
            "distribution": _records(self.distribution),
            "themes": _records(self.themes),
            "suggested_themes": _records(self.suggestions),
            "verbatims": _records(self.verbatims),
            "redactions": _records(self.redactions),
            "drivers": None if self.drivers is None else self.drivers.to_dict(),
            "detractor_drivers": None if self.detractors is None else self.detractors.to_dict(),
            "importance_performance": _records(self.quadrants),
            "response_bias": None if self.bias is None else self.bias.to_dict(),
            "raking": None if self.raking is None else self.raking.to_dict(),
            "response_bias_raked": None if self.bias_raked is None else self.bias_raked.to_dict(),
        }


def _customer_names(customers: pd.DataFrame | None) -> tuple[list[str], list[str]]:
    """Return the customers' first and last names, and their first names, to redact."""
    if customers is None:
        return [], []

    def values(cols: list[str]) -> list[str]:
        cols = [c for c in cols if c in customers.columns]
        found = pd.unique(customers[cols].to_numpy(dtype=object).ravel()) if cols else []
        return [v for v in found if isinstance(v, str)]

    return values(["first_name", "last_name"]), values(["first_name"])


def _tags_by_id(tags: pd.DataFrame, data: pd.DataFrame) -> pd.DataFrame:
    """Replace the index labels of the tag table by response ids, when there are ids."""
    out = tags.rename(columns={"response": "response_id"})
    if "response_id" in data.columns:
        ids = data["response_id"].to_numpy()[data.index.get_indexer(tags["response"])]
        out["response_id"] = ids
    return out


def _base(data: pd.DataFrame, survey: str | None) -> tuple[pd.DataFrame, str | None]:
    """Select the headline base: one survey type when the data has it, else all responses."""
    if survey and "survey" in data.columns and (data["survey"] == survey).any():
        return data[data["survey"] == survey], survey
    return data, None


def _drivers(base, attributes, weight, method, n_boot, confidence, seed, min_n, notes):
    if not attributes:
        notes.append("no survey attributes are declared (survey.attributes): no key drivers")
        return None, None, None
    try:
        kd = key_drivers(
            base,
            attributes=list(attributes),
            weight=weight,
            method=method,
            n_boot=n_boot,
            confidence=confidence,
            seed=seed,
            min_n=min_n,
        )
    except DriverDataError as exc:
        notes.append(f"key drivers not computed: {exc}")
        return None, None, None
    quadrants = importance_performance(kd, base, weight=weight)
    try:
        det = detractor_drivers(
            base, attributes=list(attributes), weight=weight, confidence=confidence, min_n=min_n
        )
    except DriverDataError as exc:
        notes.append(f"detractor model not fitted: {exc}")
        det = None
    return kd, det, quadrants


def _comments(data, codeframe, names, weight, p_adjust, confidence, min_n, per_theme, k, seed):
    names, first = names
    ca = analyse_comments(data["comment"], codeframe, names=names, first_names=first)
    keep = [c for c in ("response_id", "nps", "comment", weight) if c and c in data.columns]
    scored = data[keep].assign(sentiment=ca.sentiment["compound"])  # only the columns needed
    themes = theme_table(
        scored, ca.tags, weight=weight, p_adjust=p_adjust, confidence=confidence, min_n=min_n
    )
    order = themes.sort_values("n_mentions", ascending=False, kind="stable")
    order = order.loc[order["n_mentions"] > 0, "theme"].tolist()
    verbatims = sample_verbatims(
        scored.assign(comment=ca.redacted), ca.tags, names=names, first_names=first,
        per_theme=per_theme,
        themes=order, seed=seed,
    )  # fmt: skip
    suggestions = suggest_themes(ca.redacted, ca.tags, n_themes=k, seed=seed)
    return ca, themes, verbatims, suggestions


def _bias(base, customers, personas, weight, threshold):
    """Run the response-bias check, and rake on the biased categorical columns."""
    if customers is None or "customer_id" not in base.columns:
        return None, None, None
    profile = attach_segments(customers, personas=personas)
    options = {"categorical": ("region", "primary_channel", "persona"), "threshold": threshold}
    bias = response_bias(base, profile, weight=weight, **options)
    v = bias.variables
    biased = [] if v.empty else v.loc[v["material"] & (v["kind"] == "categorical"), "variable"]
    if len(biased) == 0:
        return bias, None, None
    raking = rake(base, profile, categorical=list(biased), weight=weight)
    raked = base.assign(_raked_weight=raking.weights.to_numpy())
    return bias, raking, response_bias(raked, profile, weight="_raked_weight", **options)


def analyse(
    responses: pd.DataFrame,
    *,
    codeframe: Codeframe | Mapping | Any,
    attributes: Sequence[str] = (),
    customers: pd.DataFrame | None = None,
    personas: pd.DataFrame | None = None,
    stages: Mapping[str, str] | None = None,
    wave: str | None = None,
    headline_survey: str | None = "relationship",
    weight: str | None = "weight",
    driver_method: str = "shapley",
    n_boot: int = 500,
    n_suggestions: int = 5,
    verbatims_per_theme: int = 3,
    bias_threshold: float = 0.1,
    p_adjust: str = "holm",
    confidence: float = 0.95,
    min_n: int = 30,
    seed: int = 0,
) -> VocResult:
    """Run the whole voice-of-customer analysis of one wave.

    Parameters
    ----------
    responses : pandas.DataFrame
        The clean ``responses`` table (canonical columns ``response_id``,
        ``customer_id``, ``wave``, ``survey``, ``touchpoint_id``, ``channel``, ``nps``,
        ``csat``, ``ces``, ``comment``, attribute ratings, optional ``weight``).
    codeframe : cxlib.text.Codeframe, cxlib.config.Codeframe or dict
        The codeframe for theme tagging.
    attributes : sequence of str
        Attribute rating columns (``survey.attributes``) for the driver analysis.
    customers : pandas.DataFrame, optional
        The customer base: region for segments, names to redact, and the response-bias
        check.
    personas : pandas.DataFrame, optional
        Step 2's ``personas.parquet`` (``customer_id``, ``persona``).
    stages : mapping, optional
        Touchpoint id to journey stage.
    wave : str, optional
        Analyse only this wave (all rows when None).
    headline_survey : str or None, default "relationship"
        Survey type whose responses form the headline base (headline metrics, persona,
        region and channel segments, drivers, bias check); every response when None or
        when the data has no such responses.
    weight : str or None, default "weight"
        Survey weight column, used when present in ``responses``.
    driver_method : {"shapley", "relative_weights"}, default "shapley"
        Importance method of :func:`cxlib.drivers.key_drivers`.
    n_boot : int, default 500
        Bootstrap replicates for the driver intervals.
    n_suggestions : int, default 5
        Candidate new themes to suggest.
    verbatims_per_theme : int, default 3
        Redacted example comments per theme.
    bias_threshold : float, default 0.1
        Standardized difference from which response bias is material.
    p_adjust : {"holm", "fdr_bh", "bonferroni"}, default "holm"
        Multiplicity control for segment and theme tests.
    confidence : float, default 0.95
        Confidence level of every interval.
    min_n : int, default 30
        Small-base threshold.
    seed : int, default 0
        Seed for the bootstrap, theme suggestions and verbatim sample.

    Returns
    -------
    VocResult
        Every table of the step; ``to_dict()`` gives voc.json, ``themes`` and
        ``drivers_frame()`` the Parquet tables.

    Raises
    ------
    ValueError
        If the wave has no responses or a required column is missing.

    See Also
    --------
    headline_metrics, segment_table, cxlib.voc_text.analyse_comments,
    cxlib.voc_text.theme_table, cxlib.drivers.key_drivers, cxlib.voc_bias.response_bias

    Notes
    -----
    Comments are redacted (:func:`cxlib.redact.redact`, with customers' first and last
    names when the customer table has them) before any of them is placed in a result;
    sentiment and tagging read the original text. Names are matched in their
    capitalised forms only, so a customer called Price has "Mr Price" redacted while
    "the price is high" keeps its word; in comments written without any capital, first
    names are matched in any case too ("regards, isabella").

    When the bias check finds respondents materially off the base on region, primary
    channel or persona, raking weights to the base's margins on those columns are
    offered (``raking``) with the check repeated under them (``bias_raked``); the page's
    figures keep the survey weights.

    Parts that cannot be computed (no attributes declared, too few complete ratings) are
    listed in ``notes`` rather than failing the step.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"response_id": range(200), "nps": rng.integers(0, 11, 200),
    ...                    "comment": rng.choice(["bill too high", "app crashed", None], 200)})
    >>> cf = {"themes": [{"name": "Billing", "keywords": ["bill*"]},
    ...                  {"name": "App", "keywords": ["app"]}]}
    >>> res = analyse(df, codeframe=cf)
    >>> res.n_headline, res.themes["theme"].tolist(), res.notes[0][:20]
    (200, ['Billing', 'App'], 'no survey attributes')
    """
    check_frame(responses, "responses")
    check_confidence(confidence)
    min_n = check_min_n(min_n)
    cf = codeframe_from_config(codeframe)
    data = responses if wave is None else responses[responses["wave"].astype(str) == str(wave)]
    if data.empty:
        raise ValueError(f"no responses for wave {wave!r}")
    weight = weight if weight is not None and weight in data.columns else None
    data = attach_segments(data, customers=customers, personas=personas, stages=stages)
    base, survey = _base(data, headline_survey)
    notes: list[str] = []
    options = {"weight": weight, "p_adjust": p_adjust, "confidence": confidence, "min_n": min_n}
    segments = pd.concat(
        [
            segment_table(base, segments=_SEGMENTS, **options).assign(base="headline"),
            segment_table(data, segments=_ALL_RESPONSE_SEGMENTS, **options).assign(base="all"),
        ],
        ignore_index=True,
    )
    names = _customer_names(customers)
    ca, themes, verbatims, suggestions = _comments(
        data, cf, names, weight, p_adjust, confidence, min_n, verbatims_per_theme,
        n_suggestions, seed,
    )  # fmt: skip
    kd, det, quadrants = _drivers(
        base, attributes, weight, driver_method, n_boot, confidence, seed, min_n, notes
    )
    bias, raking, bias_raked = _bias(base, customers, personas, weight, bias_threshold)
    return VocResult(
        headline=headline_metrics(base, weight=weight, confidence=confidence, min_n=min_n),
        segments=segments,
        distribution=nps_distribution(base, weight=weight),
        themes=themes,
        suggestions=suggestions,
        verbatims=verbatims,
        tags=_tags_by_id(ca.tags, data),
        redactions=ca.redactions,
        drivers=kd,
        detractors=det,
        quadrants=quadrants,
        bias=bias,
        wave=None if wave is None else str(wave),
        headline_survey=survey,
        n_responses=len(data),
        n_headline=len(base),
        n_comments=ca.n_comments,
        n_distinct_comments=ca.n_distinct,
        weighted=weight is not None,
        codeframe_version=cf.version,
        confidence=float(confidence),
        min_n=min_n,
        notes=tuple(notes),
        pairs=segment_pairs(segments, p_adjust=p_adjust, confidence=confidence),
        raking=raking,
        bias_raked=bias_raked,
        follow_up=close_the_loop(data, ca.redacted, ca.tags) if "nps" in data else None,
    )


def inputs_from_run(ctx: Any) -> dict[str, Any]:
    """Gather the arguments of :func:`analyse` from a playbook's run context.

    The one function of this module that reads anything, and only through the run
    context (:class:`cxlib.context.RunContext`): the clean ``responses`` and
    ``customers`` tables, step 2's ``personas.parquet`` when step 2 has run,
    ``codeframe.yaml``, and from engagement.yaml the survey attributes, the journey's
    touchpoint stages, the wave, the confidence level and the minimum base.

    Parameters
    ----------
    ctx : cxlib.context.RunContext
        The open run.

    Returns
    -------
    dict
        Keyword arguments for :func:`analyse` (``responses`` included).

    Raises
    ------
    cxlib.errors.CxError
        If the run has no responses table.
    """
    from cxlib.config import load_codeframe

    cfg = ctx.config
    personas = ctx.load_table("personas.parquet")
    if personas is not None and "persona" not in personas.columns:
        personas = None
    journey = cfg.journey
    return {
        "responses": ctx.table("responses"),
        "codeframe": load_codeframe(ctx.paths.codeframe),
        "attributes": list(cfg.survey.attributes),
        "customers": ctx.table("customers") if ctx.has_table("customers") else None,
        "personas": personas,
        "stages": None if journey is None else {t.id: t.stage for t in journey.touchpoints},
        "wave": ctx.wave,
        "confidence": cfg.survey.confidence,
        "min_n": cfg.survey.min_base,
    }
