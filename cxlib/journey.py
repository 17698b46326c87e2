"""Step 3: the journey audit, touchpoint by touchpoint and stage by stage.

The journey comes from engagement.yaml (ordered stages; touchpoints with stage, channel and
owner); the evidence from ``touchpoint_events`` (one row per interaction: completed,
duration, CSAT 1-5, effort 1-7). This module computes the touchpoint scorecard, the funnel
across stages, the emotion curve per persona, the persona by stage matrix and the
consistency of channels within a stage. Pain points (which need the survey too) are in
:mod:`cxlib.journey_pain`. Compute layer: no IO, no printing, no rounding.

A touchpoint's stage and channel always come from the journey definition; events whose
touchpoint is not defined are left out of every figure and counted by :func:`unmapped`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as _sps

from cxlib import stats
from cxlib._stats_common import (
    check_columns,
    check_confidence,
    check_frame,
    safe_div,
    small_flag,
    wilson,
)
from cxlib.config import Journey
from cxlib.errors import CxError

__all__ = [
    "ALL_CUSTOMERS",
    "JourneyError",
    "emotion_curve",
    "journey_map",
    "persona_stage",
    "scorecard_wide",
    "stage_funnel",
    "touchpoint_scorecard",
    "touchpoint_table",
    "unmapped",
]

#: Label of the whole-base line in per-persona tables.
ALL_CUSTOMERS = "All customers"
_TP = ["stage", "stage_order", "touchpoint_id", "name", "channel", "owner"]
_STAT = ["n", "n_eff", "estimate", "ci_low", "ci_high", "small_n"]


class JourneyError(CxError, ValueError):
    """The journey definition or the events cannot support the audit."""


def touchpoint_table(journey: Journey) -> pd.DataFrame:
    """List the journey's touchpoints in map order.

    Parameters
    ----------
    journey : Journey
        The ``journey:`` section of engagement.yaml.

    Returns
    -------
    pandas.DataFrame
        One row per touchpoint, ordered by stage then as listed: ``stage``,
        ``stage_order`` (0-based), ``touchpoint_id``, ``name``, ``channel``, ``owner``.

    Examples
    --------
    >>> from cxlib.config import Journey
    >>> j = Journey(stages=["buy", "use"], touchpoints=[
    ...     {"id": "app", "name": "App", "stage": "use", "channel": "app"},
    ...     {"id": "shop", "name": "Shop", "stage": "buy", "channel": "store"}])
    >>> touchpoint_table(j)["touchpoint_id"].tolist()
    ['shop', 'app']
    """
    if not isinstance(journey, Journey):
        raise TypeError(f"journey must be the Journey settings, got {type(journey).__name__}")
    if not journey.touchpoints:
        raise JourneyError("journey.touchpoints in engagement.yaml is empty")
    order = {s: i for i, s in enumerate(journey.stages)}
    rows = [
        {"stage": t.stage, "stage_order": order[t.stage], "touchpoint_id": t.id,
         "name": t.name, "channel": t.channel, "owner": t.owner}
        for t in journey.touchpoints
    ]  # fmt: skip
    return pd.DataFrame(rows).sort_values("stage_order", kind="stable", ignore_index=True)


def _events(events: pd.DataFrame, journey: Journey, touchpoint: str) -> pd.DataFrame:
    """Events of defined touchpoints, with stage, stage order, channel, name and owner.

    The touchpoint column becomes categorical in journey order and the attached text
    columns categorical in sorted order: one pass of integer codes instead of string
    look-ups per event (a large share of the time at a million events).
    """
    check_frame(events, "events")
    check_columns(events, [touchpoint])
    tps = touchpoint_table(journey)
    codes = pd.Index(tps["touchpoint_id"]).get_indexer(events[touchpoint].astype("string"))
    keep = codes >= 0
    out = events.loc[keep].drop(columns=[c for c in _TP if c in events and c != touchpoint])
    codes = codes[keep]
    out[touchpoint] = pd.Categorical.from_codes(codes, categories=tps["touchpoint_id"])
    out["stage_order"] = tps["stage_order"].to_numpy()[codes]
    for col in ("stage", "channel", "name", "owner"):
        levels = np.sort(tps[col].unique())
        position = np.searchsorted(levels, tps[col].to_numpy())
        out[col] = pd.Categorical.from_codes(position[codes], categories=levels)
    return out


def unmapped(
    events: pd.DataFrame, journey: Journey, *, touchpoint: str = "touchpoint_id"
) -> pd.DataFrame:
    """Count events whose touchpoint the journey does not define.

    Parameters
    ----------
    events : pandas.DataFrame
        The touchpoint_events table.
    journey : Journey
        The journey definition.
    touchpoint : str, default "touchpoint_id"
        Touchpoint column.

    Returns
    -------
    pandas.DataFrame
        ``touchpoint_id`` and ``n`` (events), most frequent first; empty when every
        event maps to the journey.

    Examples
    --------
    >>> import pandas as pd
    >>> from cxlib.config import Journey
    >>> j = Journey(stages=["use"], touchpoints=[
    ...     {"id": "app", "name": "App", "stage": "use", "channel": "app"}])
    >>> unmapped(pd.DataFrame({"touchpoint_id": ["app", "fax", "fax"]}), j).values.tolist()
    [['fax', 2]]
    """
    check_frame(events, "events")
    check_columns(events, [touchpoint])
    known = touchpoint_table(journey)["touchpoint_id"]
    stray = events.loc[~events[touchpoint].isin(known), touchpoint]
    out = stray.value_counts().rename("n").rename_axis("touchpoint_id").reset_index()
    return out.sort_values(["n", "touchpoint_id"], ascending=[False, True], ignore_index=True)


def _share_rows(counts: np.ndarray, base: np.ndarray, z: float, min_n: int) -> dict[str, Any]:
    p = safe_div(counts, base)
    low, high = wilson(p, base, z)
    return {"n": base, "n_eff": base.astype(float), "estimate": p, "ci_low": low,
            "ci_high": high, "small_n": small_flag(base, min_n)}  # fmt: skip


def _median_ci(values: pd.Series, keys: pd.Series, confidence: float) -> pd.DataFrame:
    """Median per group with the distribution-free order-statistic interval."""
    frame = pd.DataFrame({"k": keys.to_numpy(), "x": values.to_numpy(dtype=float)}).dropna()
    frame = frame.sort_values(["k", "x"], ignore_index=True)
    n = frame.groupby("k", sort=False).size()
    start = n.cumsum() - n
    x = frame["x"].to_numpy()
    lo_rank = _sps.binom.ppf((1 - confidence) / 2, n.to_numpy(), 0.5).astype(int)
    lo_rank = np.maximum(lo_rank, 1)
    hi_rank = n.to_numpy() - lo_rank + 1
    med = frame.groupby("k", sort=False)["x"].median()
    return pd.DataFrame(
        {"n": n.to_numpy(), "estimate": med.reindex(n.index).to_numpy(),
         "ci_low": x[start.to_numpy() + lo_rank - 1],
         "ci_high": x[start.to_numpy() + hi_rank - 1]},
        index=n.index,
    )  # fmt: skip


def touchpoint_scorecard(
    events: pd.DataFrame,
    journey: Journey,
    *,
    customers: pd.DataFrame | None = None,
    customer_id: str = "customer_id",
    touchpoint: str = "touchpoint_id",
    completed: str = "completed",
    duration: str = "duration_s",
    csat: str = "csat",
    effort: str = "effort",
    top: Iterable[float] = (4, 5),
    confidence: float = 0.95,
    min_n: int = 30,
) -> pd.DataFrame:
    r"""Score every touchpoint: volume, reach, completion, drop-off, CSAT, effort, duration.

    Parameters
    ----------
    events : pandas.DataFrame
        The touchpoint_events table, one row per interaction.
    journey : Journey
        The journey definition (stages, touchpoints).
    customers : pandas.DataFrame, optional
        The customer base; reach is a share of it. Without it, of the customers seen in
        the events.
    customer_id, touchpoint, completed, duration, csat, effort : str
        Column roles (canonical names). A metric whose column is absent is left out.
    top : iterable of numbers, default (4, 5)
        CSAT scale points counted as satisfied (top box).
    confidence : float, default 0.95
        Coverage of the intervals.
    min_n : int, default 30
        Rows with a base below this are flagged ``small_n``.

    Returns
    -------
    pandas.DataFrame
        Long and tidy: one row per touchpoint and ``metric``, in journey order, with the
        touchpoint's ``stage``, ``stage_order``, ``touchpoint_id``, ``name``,
        ``channel``, ``owner``, then ``metric``, ``n``, ``n_eff``, ``estimate``,
        ``ci_low``, ``ci_high`` and ``small_n``. Metrics:

        - ``volume``: events (``estimate`` = count; no interval);
        - ``reach``: share of customers with at least one event (``n`` = base);
        - ``completion`` / ``drop_off``: share of events completed / not completed;
        - ``csat``: top-box share of rated events (``n`` = rated events);
        - ``effort``: mean effort score of rated events (1-7, lower is easier);
        - ``duration_s``: median duration in seconds.

    Raises
    ------
    JourneyError
        If the journey has no touchpoints.
    ValueError
        On missing key columns or an invalid confidence.

    Notes
    -----
    Shares use Wilson intervals; the effort mean uses the t interval of
    :func:`cxlib.stats.mean_ci`; the median's interval is the distribution-free
    order-statistic interval, ranks :math:`l = \max(1, F^{-1}_{Bin(n, 1/2)}(\alpha/2))`
    and :math:`u = n - l + 1` (Conover 1999, section 3.2). ``drop_off`` is
    :math:`1 -` completion with the interval mirrored. A touchpoint without events keeps
    its rows with ``n = 0`` and missing estimates, so nothing silently disappears.

    References
    ----------
    Wilson, E. B. (1927). Probable inference, the law of succession, and statistical
    inference. JASA, 22(158), 209-212. doi:10.1080/01621459.1927.10502953

    Conover, W. J. (1999). Practical Nonparametric Statistics (3rd ed.). Wiley.

    Examples
    --------
    >>> import pandas as pd
    >>> from cxlib.config import Journey
    >>> j = Journey(stages=["use"], touchpoints=[
    ...     {"id": "app", "name": "App", "stage": "use", "channel": "app"}])
    >>> ev = pd.DataFrame({"customer_id": [1, 1, 2, 3], "touchpoint_id": ["app"] * 4,
    ...     "completed": [True, False, True, True], "csat": [5, 2, 4, None]})
    >>> card = touchpoint_scorecard(ev, j, customers=pd.DataFrame({"customer_id": range(6)}))
    >>> card.set_index("metric")["estimate"].round(3).to_dict()
    {'volume': 4.0, 'reach': 0.5, 'completion': 0.75, 'drop_off': 0.25, 'csat': 0.667}
    """
    z = check_confidence(confidence)
    ev = _events(events, journey, touchpoint)
    check_columns(ev, [customer_id])
    tps = touchpoint_table(journey)
    ids = pd.Index(tps["touchpoint_id"])
    key = ev[touchpoint]
    base = (
        customers[customer_id].nunique()
        if customers is not None
        else events[customer_id].nunique()
    )
    parts: dict[str, pd.DataFrame] = {}
    volume = key.value_counts().reindex(ids, fill_value=0).to_numpy(dtype=float)
    parts["volume"] = pd.DataFrame({"n": volume, "n_eff": volume, "estimate": volume,
                                    "ci_low": np.nan, "ci_high": np.nan,
                                    "small_n": small_flag(volume, min_n)})  # fmt: skip
    reached = ev.groupby(touchpoint)[customer_id].nunique().reindex(ids, fill_value=0)
    parts["reach"] = pd.DataFrame(
        _share_rows(reached.to_numpy(dtype=float), np.full(len(ids), float(base)), z, min_n)
    )
    if completed in ev:
        done = ev[completed].astype("boolean")
        n = done.notna().groupby(key).sum().reindex(ids, fill_value=0).to_numpy(dtype=float)
        k = done.fillna(False).groupby(key).sum().reindex(ids, fill_value=0).to_numpy(dtype=float)
        parts["completion"] = pd.DataFrame(_share_rows(k, n, z, min_n))
        comp = parts["completion"]
        parts["drop_off"] = comp.assign(
            estimate=1 - comp["estimate"], ci_low=1 - comp["ci_high"], ci_high=1 - comp["ci_low"]
        )
    opts = {"by": touchpoint, "confidence": confidence, "min_n": min_n}
    if csat in ev:
        parts["csat"] = _by_tp(stats.top_box(ev, score=csat, top=top, **opts), touchpoint, ids)
    if effort in ev:
        parts["effort"] = _by_tp(stats.mean_ci(ev, score=effort, **opts), touchpoint, ids)
    if duration in ev:
        med = _median_ci(ev[duration], key, confidence).reindex(ids)
        med["n"] = med["n"].fillna(0)
        parts["duration_s"] = med.assign(n_eff=med["n"], small_n=small_flag(med["n"], min_n))
    rows = []
    for metric, frame in parts.items():
        block = tps.copy()
        block["metric"] = metric
        for col in _STAT:
            block[col] = np.asarray(frame[col])
        rows.append(block)
    out = pd.concat(rows, ignore_index=True)
    out["n"] = out["n"].fillna(0).astype(np.int64)
    out["small_n"] = out["small_n"].astype(bool)
    order = {m: i for i, m in enumerate(parts)}
    out["_tp"] = out["touchpoint_id"].map({t: i for i, t in enumerate(ids)})
    out["_m"] = out["metric"].map(order)
    return out.sort_values(["_tp", "_m"], ignore_index=True).drop(columns=["_tp", "_m"])


def _by_tp(table: pd.DataFrame, touchpoint: str, ids: pd.Index) -> pd.DataFrame:
    out = table.set_index(touchpoint).reindex(ids)
    out["n"] = out["n"].fillna(0)
    out["small_n"] = out["small_n"].fillna(True)
    return out


def scorecard_wide(scorecard: pd.DataFrame) -> pd.DataFrame:
    """Reshape the long scorecard to one row per touchpoint, in journey order.

    Parameters
    ----------
    scorecard : pandas.DataFrame
        :func:`touchpoint_scorecard` output.

    Returns
    -------
    pandas.DataFrame
        ``stage``, ``stage_order``, ``touchpoint_id``, ``name``, ``channel``, ``owner``,
        then ``<metric>_<statistic>`` for every metric and each of ``n``, ``estimate``,
        ``ci_low``, ``ci_high`` and ``small_n`` (e.g. ``csat_estimate``).

    Examples
    --------
    >>> import pandas as pd
    >>> card = pd.DataFrame({"stage": "use", "stage_order": 0, "touchpoint_id": ["a", "a"],
    ...     "name": "App", "channel": "app", "owner": "", "metric": ["reach", "csat"],
    ...     "n": [10, 4], "estimate": [0.3, 0.5], "ci_low": [0.1, 0.2], "ci_high": [0.6, 0.8],
    ...     "small_n": True})
    >>> wide = scorecard_wide(card)
    >>> len(wide), float(wide.loc[0, "csat_estimate"]), float(wide.loc[0, "reach_n"])
    (1, 0.5, 10.0)
    """
    check_frame(scorecard, "scorecard")
    head = ["stage", "stage_order", "touchpoint_id", "name", "channel", "owner"]
    stats_ = ["n", "estimate", "ci_low", "ci_high", "small_n"]
    check_columns(scorecard, [*head, "metric", *stats_])
    order = pd.unique(scorecard["touchpoint_id"])
    values = scorecard.set_index(["touchpoint_id", "metric"])[stats_].astype(float)
    wide = values.unstack("metric")
    wide.columns = [f"{metric}_{stat}" for stat, metric in wide.columns]
    keys = scorecard.drop_duplicates("touchpoint_id").set_index("touchpoint_id")[
        head[:2] + head[3:]
    ]
    out = keys.join(wide).reindex(order).rename_axis("touchpoint_id").reset_index()
    return out[head + [c for c in out.columns if c not in head]]


def journey_map(scorecard: pd.DataFrame, *, metric: str = "csat") -> pd.DataFrame:
    """Lay out the journey map: stages as columns, channels as rows, cells coloured by score.

    Parameters
    ----------
    scorecard : pandas.DataFrame
        The result of :func:`touchpoint_scorecard`.
    metric : str, default "csat"
        Metric that colours the cells.

    Returns
    -------
    pandas.DataFrame
        One row per touchpoint: ``stage``, ``stage_order``, ``channel``,
        ``channel_order`` (channels in order of first appearance along the journey),
        ``touchpoint_id``, ``name``, ``owner``, ``n``, ``estimate``, ``ci_low``,
        ``ci_high``, ``small_n`` (of ``metric``) and ``reach``.

    Examples
    --------
    >>> import pandas as pd
    >>> card = pd.DataFrame({"stage": ["buy", "buy"], "stage_order": [0, 0],
    ...     "touchpoint_id": ["w", "w"], "name": ["Web"] * 2, "channel": ["web"] * 2,
    ...     "owner": [""] * 2, "metric": ["csat", "reach"], "n": [10, 100],
    ...     "n_eff": [10.0, 100.0], "estimate": [0.8, 0.3], "ci_low": [0.5, 0.2],
    ...     "ci_high": [0.9, 0.4], "small_n": [True, False]})
    >>> out = journey_map(card)
    >>> out.loc[0, "channel"], float(out.loc[0, "estimate"]), float(out.loc[0, "reach"])
    ('web', 0.8, 0.3)
    """
    check_frame(scorecard, "scorecard")
    check_columns(scorecard, [*_TP, "metric", *_STAT])
    cells = scorecard[scorecard["metric"] == metric][[*_TP, *_STAT]].drop(columns="n_eff")
    if cells.empty:
        raise JourneyError(f"the scorecard has no {metric!r} metric to colour the map")
    reach = scorecard[scorecard["metric"] == "reach"].set_index("touchpoint_id")["estimate"]
    cells = cells.assign(reach=cells["touchpoint_id"].map(reach))
    channels = pd.unique(cells.sort_values("stage_order", kind="stable")["channel"])
    cells["channel_order"] = cells["channel"].map({c: i for i, c in enumerate(channels)})
    cells["channel_order"] = cells["channel_order"].astype(np.int64)
    cols = ["stage", "stage_order", "channel", "channel_order", "touchpoint_id", "name", "owner",
            "n", "estimate", "ci_low", "ci_high", "small_n", "reach"]  # fmt: skip
    return cells[cols].reset_index(drop=True)


def stage_funnel(
    events: pd.DataFrame,
    journey: Journey,
    *,
    customers: pd.DataFrame | None = None,
    customer_id: str = "customer_id",
    touchpoint: str = "touchpoint_id",
    completed: str = "completed",
    confidence: float = 0.95,
    min_n: int = 30,
) -> pd.DataFrame:
    r"""Follow customers across the stages: who reaches each stage, who goes on, who drops.

    Parameters
    ----------
    events : pandas.DataFrame
        The touchpoint_events table.
    journey : Journey
        The journey definition.
    customers : pandas.DataFrame, optional
        The customer base (else the customers seen in the events).
    customer_id, touchpoint, completed : str
        Column roles.
    confidence : float, default 0.95
        Coverage of the intervals.
    min_n : int, default 30
        Flag stages whose base is below this.

    Returns
    -------
    pandas.DataFrame
        One row per stage in order: ``stage``, ``stage_order``, ``n`` (customers with an
        event at the stage), ``base`` (customers in the base), ``estimate`` (``n / base``)
        with Wilson ``ci_low``/``ci_high``; ``previous`` (customers at the previous
        stage), ``continued`` (of them, those also seen here), ``conversion``
        (``continued / previous``) with ``conversion_ci_low``/``conversion_ci_high``,
        ``drop_off`` (``1 - conversion``); ``completed_share`` (of the stage's customers,
        those who completed at least one task there) and ``small_n``.

    Notes
    -----
    Journeys are not strict funnels: an existing customer can contact support without
    having been seen researching this year. ``conversion`` therefore follows the same
    customers from one stage to the next (:math:`|S_k \cap S_{k-1}| / |S_{k-1}|`), and
    ``estimate`` shows how many customers each stage touches at all.

    Examples
    --------
    >>> import pandas as pd
    >>> from cxlib.config import Journey
    >>> j = Journey(stages=["buy", "use"], touchpoints=[
    ...     {"id": "b", "name": "Buy", "stage": "buy", "channel": "web"},
    ...     {"id": "u", "name": "Use", "stage": "use", "channel": "app"}])
    >>> ev = pd.DataFrame({"customer_id": [1, 2, 3, 4, 1, 2, 9],
    ...     "touchpoint_id": ["b", "b", "b", "b", "u", "u", "u"], "completed": True})
    >>> stage_funnel(ev, j)[["n", "continued", "conversion"]].values.tolist()
    [[4.0, nan, nan], [3.0, 2.0, 0.5]]
    """
    z = check_confidence(confidence)
    ev = _events(events, journey, touchpoint)
    check_columns(ev, [customer_id])
    stages = list(journey.stages)
    base = (
        customers[customer_id].nunique()
        if customers is not None
        else events[customer_id].nunique()
    )
    seen = ev[[customer_id, "stage_order"]].drop_duplicates()
    n = seen.groupby("stage_order").size().reindex(range(len(stages)), fill_value=0)
    prev = seen.assign(stage_order=seen["stage_order"] + 1)
    cont = seen.merge(prev, on=[customer_id, "stage_order"]).groupby("stage_order").size()
    cont = cont.reindex(range(len(stages)), fill_value=0).to_numpy(dtype=float)
    previous = np.r_[np.nan, n.to_numpy(dtype=float)[:-1]]
    cont[0] = np.nan
    out = pd.DataFrame({"stage": stages, "stage_order": range(len(stages)),
                        "n": n.to_numpy(dtype=float), "base": float(base)})  # fmt: skip
    out["estimate"] = safe_div(out["n"], out["base"])
    out["ci_low"], out["ci_high"] = wilson(out["estimate"].to_numpy(), out["base"].to_numpy(), z)
    out["previous"], out["continued"] = previous, cont
    out["conversion"] = safe_div(cont, previous)
    out["conversion_ci_low"], out["conversion_ci_high"] = wilson(out["conversion"], previous, z)
    out["drop_off"] = 1 - out["conversion"]
    if completed in ev:
        done = ev[ev[completed].astype("boolean").fillna(False)]
        k = done[[customer_id, "stage_order"]].drop_duplicates().groupby("stage_order").size()
        out["completed_share"] = safe_div(k.reindex(out["stage_order"], fill_value=0), out["n"])
    out["small_n"] = small_flag(np.where(np.isnan(previous), out["n"], previous), min_n)
    return out


def _with_personas(ev: pd.DataFrame, personas: pd.DataFrame | None, key: str) -> pd.DataFrame:
    whole = ev.assign(persona_id=0, persona=ALL_CUSTOMERS)
    if personas is None:
        return whole
    check_columns(personas, [key, "persona_id", "persona"])
    each = ev.merge(personas[[key, "persona_id", "persona"]], on=key, how="inner")
    return pd.concat([whole, each], ignore_index=True)


def emotion_curve(
    events: pd.DataFrame,
    journey: Journey,
    *,
    personas: pd.DataFrame | None = None,
    customer_id: str = "customer_id",
    touchpoint: str = "touchpoint_id",
    score: str = "csat",
    confidence: float = 0.95,
    min_n: int = 30,
) -> pd.DataFrame:
    """Mean satisfaction at each stage, for the whole base and for each persona.

    Parameters
    ----------
    events : pandas.DataFrame
        The touchpoint_events table.
    journey : Journey
        The journey definition.
    personas : pandas.DataFrame, optional
        ``customer_id``, ``persona_id``, ``persona`` (``personas.parquet``).
    customer_id, touchpoint, score : str
        Column roles; ``score`` defaults to CSAT (1-5).
    confidence : float, default 0.95
        Coverage of the t intervals.
    min_n : int, default 30
        Flag points resting on fewer ratings.

    Returns
    -------
    pandas.DataFrame
        One row per persona (``persona_id`` 0 is "All customers") and stage, in stage
        order: ``persona_id``, ``persona``, ``stage``, ``stage_order``, ``n``,
        ``n_eff``, ``estimate`` (mean score), ``ci_low``, ``ci_high``, ``small_n``.

    Notes
    -----
    Each point is :func:`cxlib.stats.mean_ci` of the ratings of events at the stage's
    touchpoints. Every rated event counts once, so frequent users weigh more, as they do
    in the experience the company delivers.

    Examples
    --------
    >>> import pandas as pd
    >>> from cxlib.config import Journey
    >>> j = Journey(stages=["buy", "use"], touchpoints=[
    ...     {"id": "b", "name": "Buy", "stage": "buy", "channel": "web"},
    ...     {"id": "u", "name": "Use", "stage": "use", "channel": "app"}])
    >>> ev = pd.DataFrame({"customer_id": [1, 2, 1, 2], "touchpoint_id": ["b", "b", "u", "u"],
    ...                    "csat": [4, 5, 2, 3]})
    >>> emotion_curve(ev, j)["estimate"].tolist()
    [4.5, 2.5]
    """
    ev = _with_personas(_events(events, journey, touchpoint), personas, customer_id)
    check_columns(ev, [score])
    keys = ["persona_id", "persona", "stage_order", "stage"]
    out = stats.mean_ci(ev, score=score, by=keys, confidence=confidence, min_n=min_n)
    return out[["persona_id", "persona", "stage", "stage_order", *_STAT]]


def persona_stage(
    events: pd.DataFrame,
    personas: pd.DataFrame | None,
    journey: Journey,
    *,
    customer_id: str = "customer_id",
    touchpoint: str = "touchpoint_id",
    score: str = "csat",
    top: Iterable[float] = (4, 5),
    confidence: float = 0.95,
    min_n: int = 30,
) -> pd.DataFrame:
    """Top-box satisfaction of each persona at each stage (the heatmap's cells).

    Parameters
    ----------
    events : pandas.DataFrame
        The touchpoint_events table.
    personas : pandas.DataFrame or None
        ``customer_id``, ``persona_id``, ``persona``; None (step 2 has not run) gives
        the "All customers" row only.
    journey : Journey
        The journey definition.
    customer_id, touchpoint, score : str
        Column roles.
    top : iterable of numbers, default (4, 5)
        Satisfied scale points.
    confidence : float, default 0.95
        Coverage of the Wilson intervals.
    min_n : int, default 30
        Flag cells with fewer ratings.

    Returns
    -------
    pandas.DataFrame
        One row per persona (including "All customers", id 0) and stage:
        ``persona_id``, ``persona``, ``stage``, ``stage_order``, ``n``, ``n_eff``,
        ``estimate`` (top-box share, 0..1), ``ci_low``, ``ci_high``, ``small_n`` and
        ``difference`` (persona minus all customers at that stage).

    Examples
    --------
    >>> import pandas as pd
    >>> from cxlib.config import Journey
    >>> j = Journey(stages=["use"], touchpoints=[
    ...     {"id": "u", "name": "Use", "stage": "use", "channel": "app"}])
    >>> ev = pd.DataFrame({"customer_id": [1, 2, 3, 4], "touchpoint_id": "u",
    ...                    "csat": [5, 5, 1, 4]})
    >>> per = pd.DataFrame({"customer_id": [1, 2, 3, 4], "persona_id": [1, 1, 2, 2],
    ...                     "persona": ["A", "A", "B", "B"]})
    >>> persona_stage(ev, per, j)[["persona", "estimate", "difference"]].values.tolist()
    [['All customers', 0.75, 0.0], ['A', 1.0, 0.25], ['B', 0.5, -0.25]]
    """
    ev = _with_personas(_events(events, journey, touchpoint), personas, customer_id)
    check_columns(ev, [score])
    keys = ["persona_id", "persona", "stage_order", "stage"]
    out = stats.top_box(ev, score=score, top=top, by=keys, confidence=confidence, min_n=min_n)
    whole = out[out["persona_id"] == 0].set_index("stage_order")["estimate"]
    out["difference"] = out["estimate"] - out["stage_order"].map(whole).to_numpy()
    return out[["persona_id", "persona", "stage", "stage_order", *_STAT, "difference"]]
