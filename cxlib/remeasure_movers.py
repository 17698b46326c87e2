"""Step 7: the segments, journey stages and touchpoints that moved between two waves.

Every level of every segment (region, channel, persona, journey stage, touchpoint) is
compared between the baseline wave and the current one on NPS, CSAT and CES, using the same
summary-statistic tests as the scorecard (:func:`cxlib.remeasure.compare_summaries`); the
p-values of all comparisons are adjusted together, so a long list of segments does not
produce false alarms.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from cxlib import stats
from cxlib.kpi_targets import direction_of
from cxlib.remeasure import compare_summaries

__all__ = ["MOVER_METRICS", "label_waves", "movers", "rank_movers"]

#: Default metrics compared by :func:`movers`: (name, kind, column).
MOVER_METRICS = (("nps", "nps", "nps"), ("csat", "share", "csat"), ("ces", "mean", "ces"))


def _segment_summary(data, segment, wave_col, metric, score, weight, top, confidence):
    by = [segment, wave_col]
    if metric == "nps":
        t = stats.nps(data, score=score, by=by, weight=weight, confidence=confidence)
    elif metric == "share":
        t = stats.top_box(data, score=score, top=top, by=by, weight=weight, confidence=confidence)
        t["count"] = t["estimate"] * t["n_eff"]
    else:
        t = stats.mean_ci(data, score=score, by=by, weight=weight, confidence=confidence)
    t["metric"] = metric
    return t[t["n"] > 0]


def movers(
    data: pd.DataFrame,
    *,
    baseline_wave: str,
    wave: str,
    segments: Sequence[Hashable],
    metrics: Sequence[tuple[str, str, Hashable]] = MOVER_METRICS,
    source: str = "survey",
    wave_col: Hashable = "wave",
    weight: Hashable | None = None,
    top: Sequence[float] = (4, 5),
    lower_is_better: Iterable[str] = (),
    confidence: float = 0.95,
    p_adjust: str = "holm",
    min_n: int = 30,
) -> pd.DataFrame:
    """Find the segments and journey stages whose NPS, CSAT or CES moved between waves.

    Parameters
    ----------
    data : pandas.DataFrame
        Responses of (at least) both waves, with the segment columns present (e.g.
        ``stage``, ``region``, ``persona``).
    baseline_wave, wave : str
        The two waves compared (change = ``wave`` minus ``baseline_wave``).
    segments : sequence of str
        Segment columns; empty or missing segment values are left out.
    metrics : sequence of (name, kind, column)
        What is compared: ``kind`` is ``"nps"``, ``"share"`` (top box) or ``"mean"``;
        default NPS, CSAT top-2 box and mean CES (:data:`MOVER_METRICS`). For touchpoint
        events use e.g. ``[("csat", "share", "csat"), ("ces", "mean", "effort")]``.
    source : str, default "survey"
        Label written in the ``source`` column (to tell survey and event rows apart
        when several tables are ranked together with :func:`rank_movers`).
    wave_col : str, default "wave"
        Wave column.
    weight : str, optional
        Survey weight column.
    top : sequence of numbers, default (4, 5)
        Answers counted in the top box.
    lower_is_better : iterable of str
        Metric names improving downwards.
    confidence : float, default 0.95
        Confidence level; significance uses adjusted p-values.
    p_adjust : {"holm", "fdr_bh", "bonferroni"}, default "holm"
        Multiplicity control across every segment, level and metric tested.
    min_n : int, default 30
        Comparisons with either side below this are flagged ``small_n``.

    Returns
    -------
    pandas.DataFrame
        One row per segment level and metric present in both waves: ``source``,
        ``segment``, ``level``, ``metric`` (its name), ``baseline``, ``current``,
        ``n_baseline``, ``n``, ``estimate`` (change), ``ci_low``, ``ci_high``,
        ``statistic``, ``p_value``, ``p_adjusted``, ``significant``, ``change``
        (improved, deteriorated, no significant change) and ``small_n``; sorted with the
        significant moves first, then by the size of the test statistic.

    See Also
    --------
    compare_summaries : the tests used; rank_movers : adjust several tables together.

    Examples
    --------
    >>> df = pd.DataFrame({"wave": ["A"] * 200 + ["B"] * 200,
    ...     "region": (["N"] * 100 + ["S"] * 100) * 2,
    ...     "nps": [9, 5] * 100 + [9, 5] * 50 + [10, 9] * 50})
    >>> out = movers(df, baseline_wave="A", wave="B", segments=["region"])
    >>> out[["level", "change"]].values.tolist()[0], round(float(out.iloc[0]["estimate"]), 1)
    (['S', 'improved'], 100.0)
    """
    rows = []
    for segment in segments:
        if segment not in data.columns:
            continue
        part = data[data[wave_col].astype(str).isin([str(baseline_wave), str(wave)])]
        part = part[part[segment].notna() & (part[segment].astype(str) != "")]
        part = part.assign(**{wave_col: part[wave_col].astype(str)})
        for name, metric, score in metrics:
            if score not in part.columns or part[score].notna().sum() == 0:
                continue
            t = _segment_summary(part, segment, wave_col, metric, score, weight, top, confidence)
            b = t[t[wave_col] == str(baseline_wave)].set_index(segment)
            c = t[t[wave_col] == str(wave)].set_index(segment)
            common = [lvl for lvl in c.index if lvl in b.index]
            if not common:
                continue
            b, c = b.loc[common].reset_index(), c.loc[common].reset_index()
            diff = compare_summaries(b, c, confidence=confidence)
            block = pd.DataFrame({"segment": str(segment), "level": c[segment].astype(str)})
            block.insert(0, "source", source)
            block["metric"] = name
            block["baseline"], block["current"] = b["estimate"], c["estimate"]
            block["n_baseline"], block["n"] = b["n"].astype(np.int64), c["n"].astype(np.int64)
            for key in ("estimate", "ci_low", "ci_high", "statistic", "p_value"):
                block[key] = diff[key].to_numpy()
            block["small_n"] = (b["n_eff"] < min_n).to_numpy() | (c["n_eff"] < min_n).to_numpy()
            rows.append(block)
    frame = pd.concat(rows, ignore_index=True) if rows else None
    return rank_movers(
        frame, confidence=confidence, p_adjust=p_adjust, lower_is_better=lower_is_better
    )


_MOVER_COLUMNS = ["source", "segment", "level", "metric", "baseline", "current"]
_MOVER_COLUMNS += ["n_baseline", "n", "estimate", "ci_low", "ci_high", "statistic", "p_value"]
_MOVER_COLUMNS += ["p_adjusted", "significant", "change", "small_n"]


def rank_movers(
    frame: pd.DataFrame | Sequence[pd.DataFrame] | None,
    *,
    confidence: float = 0.95,
    p_adjust: str = "holm",
    lower_is_better: Iterable[str] = (),
) -> pd.DataFrame:
    """Adjust the p-values of one or more mover tables together and rank the moves.

    Parameters
    ----------
    frame : DataFrame, sequence of DataFrames, or None
        Output(s) of :func:`movers`; several tables form one family of tests.
    confidence : float, default 0.95
        Significance is ``p_adjusted < 1 - confidence``.
    p_adjust : {"holm", "fdr_bh", "bonferroni"}, default "holm"
        Multiplicity control across every row.
    lower_is_better : iterable of str
        Metric names improving downwards.

    Returns
    -------
    pandas.DataFrame
        The rows with ``p_adjusted``, ``significant`` and ``change`` recomputed,
        significant moves first, then by the size of the test statistic.

    Examples
    --------
    >>> t = pd.DataFrame({"source": "survey", "segment": "region", "level": ["N", "S"],
    ...     "metric": "nps", "baseline": 0.0, "current": [5.0, -9.0], "n_baseline": 400,
    ...     "n": 400, "estimate": [5.0, -9.0], "ci_low": 0.0, "ci_high": 0.0,
    ...     "statistic": [1.0, -3.0], "p_value": [0.3, 0.003], "small_n": False})
    >>> rank_movers([t, t])[["level", "change"]].values.tolist()[:2]
    [['S', 'deteriorated'], ['S', 'deteriorated']]
    """
    if frame is None or (isinstance(frame, Sequence) and not len(frame)):
        return pd.DataFrame(columns=_MOVER_COLUMNS)
    out = frame if isinstance(frame, pd.DataFrame) else pd.concat(list(frame))
    out = out.reset_index(drop=True)
    if out.empty:
        return pd.DataFrame(columns=_MOVER_COLUMNS)
    out["p_adjusted"] = stats.adjust_pvalues(out["p_value"].to_numpy(), method=p_adjust)
    out["significant"] = out["p_adjusted"] < 1.0 - confidence
    down = out["metric"].map(lambda m: direction_of(m, lower_is_better=lower_is_better))
    good = np.where(down == "decrease", out["estimate"] < 0, out["estimate"] > 0)
    out["change"] = np.select(
        [out["significant"] & good, out["significant"]],
        ["improved", "deteriorated"],
        "no significant change",
    )
    order = np.lexsort((-out["statistic"].abs().fillna(0).to_numpy(), ~out["significant"]))
    return out.iloc[order][_MOVER_COLUMNS].reset_index(drop=True)


def label_waves(
    events: pd.DataFrame,
    periods: Mapping[str, tuple[pd.Timestamp, pd.Timestamp] | None],
    *,
    occurred_at: Hashable = "occurred_at",
    wave_col: str = "wave",
) -> pd.DataFrame:
    """Give each touchpoint event the wave whose period contains it.

    Parameters
    ----------
    events : pandas.DataFrame
        Touchpoint events.
    periods : mapping of str to (start, end)
        Each wave's period (:func:`cxlib.kpi.wave_period`), end exclusive; None entries
        are skipped.
    occurred_at : str, default "occurred_at"
        Event time column.
    wave_col : str, default "wave"
        Name of the column added.

    Returns
    -------
    pandas.DataFrame
        The events inside some wave's period, with ``wave_col`` added (the first
        matching wave when periods overlap).

    Examples
    --------
    >>> ev = pd.DataFrame({"occurred_at": pd.to_datetime(["2026-02-01", "2026-05-01"])})
    >>> p = {"2026Q1": (pd.Timestamp("2026-01-01"), pd.Timestamp("2026-04-01"))}
    >>> label_waves(ev, p)["wave"].tolist()
    ['2026Q1']
    """
    when = pd.to_datetime(events[occurred_at], errors="coerce")
    label = pd.Series("", index=events.index, dtype=object)
    for wave, period in periods.items():
        if period is None:
            continue
        inside = (when >= period[0]) & (when < period[1]) & (label == "")
        label[inside] = str(wave)
    return events.assign(**{wave_col: label})[(label != "").to_numpy()]
