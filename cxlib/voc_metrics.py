"""Scores and segments for the voice-of-customer step.

Headline measures with their intervals (:func:`headline_metrics`), the 0-10 distribution
(:func:`nps_distribution`), segment columns for each response (:func:`attach_segments`)
and every measure by segment with tests against the rest of the base
(:func:`segment_table`). All are re-exported by :mod:`cxlib.voc`.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from cxlib import stats
from cxlib._stats_common import (
    adjust,
    check_confidence,
    check_frame,
    check_min_n,
    normal_p,
    nps_scores,
)

__all__ = [
    "METRICS",
    "attach_segments",
    "headline_metrics",
    "nps_distribution",
    "segment_pairs",
    "segment_table",
]


#: The three headline measures: key, label, kind of estimate.
METRICS = {
    "nps": ("NPS", "nps"),
    "csat": ("CSAT top-2-box", "top_box"),
    "ces": ("CES mean", "mean"),
}
_SEGMENTS = ("persona", "region", "channel")


def _metric_rows(data, key, column, kind, weight, top, method, confidence, min_n, by=None):
    common = {
        "score": column,
        "by": by,
        "weight": weight,
        "confidence": confidence,
        "min_n": min_n,
    }
    if kind == "nps":
        out = stats.nps(data, method=method, **common)
    elif kind == "top_box":
        out = stats.top_box(data, top=top, **common)
    else:
        out = stats.mean_ci(data, **common)
    keep = [*([] if by is None else [by]), "n", "n_eff", "estimate", "ci_low", "ci_high", "se"]
    out = out[[*keep, "small_n"]]
    out.insert(0, "metric", key)
    return out


def headline_metrics(
    data: pd.DataFrame,
    *,
    nps: Hashable = "nps",
    csat: Hashable = "csat",
    ces: Hashable = "ces",
    weight: Hashable | None = None,
    top: Iterable[float] = (4, 5),
    method: str = "adjusted_wald",
    confidence: float = 0.95,
    min_n: int = 30,
) -> pd.DataFrame:
    r"""NPS, CSAT top-2-box and CES mean, each with its interval and base.

    Parameters
    ----------
    data : pandas.DataFrame
        Responses, one row each.
    nps, csat, ces : str
        Score columns (0-10, 1-5, 1-7); a measure whose column is absent is left out.
    weight : str, optional
        Survey weight column: weighted estimates with Kish effective bases.
    top : iterable of numbers, default (4, 5)
        CSAT scale points counted as satisfied.
    method : {"adjusted_wald", "wald"}, default "adjusted_wald"
        NPS interval.
    confidence : float, default 0.95
        Confidence level.
    min_n : int, default 30
        Effective bases below this are flagged ``small_n``.

    Returns
    -------
    pandas.DataFrame
        One row per measure: ``metric`` (``nps``, ``csat``, ``ces``), ``label``, ``n``,
        ``n_eff``, ``estimate``, ``ci_low``, ``ci_high``, ``se`` (NPS in points -100..100,
        CSAT as a share 0..1, CES on its scale) and ``small_n``.

    See Also
    --------
    cxlib.stats.nps, cxlib.stats.top_box, cxlib.stats.mean_ci : the estimators.

    Notes
    -----
    NPS: adjusted-Wald interval (Rocks 2016); CSAT top-2-box: Wilson interval; CES: t
    interval. With weights every variance uses :math:`n_{eff} = (\sum w)^2/\sum w^2`.

    References
    ----------
    Rocks, B. (2016). Interval estimation for the "net promoter score". The American
    Statistician, 70(4), 365-372. doi:10.1080/00031305.2016.1158124

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"nps": [10, 9, 8, 6, 10, 3], "csat": [5, 4, 4, 2, 5, 1],
    ...                    "ces": [2, 3, 2, 5, 1, 6]})
    >>> out = headline_metrics(df)
    >>> out["metric"].tolist(), out["estimate"].round(3).tolist()
    (['nps', 'csat', 'ces'], [16.667, 0.667, 3.167])
    """
    check_frame(data)
    rows = [
        _metric_rows(data, key, col, METRICS[key][1], weight, top, method, confidence, min_n)
        for key, col in (("nps", nps), ("csat", csat), ("ces", ces))
        if col in data.columns
    ]
    if not rows:
        raise ValueError(f"none of the score columns {[nps, csat, ces]} is in the data")
    out = pd.concat(rows, ignore_index=True)
    out.insert(1, "label", out["metric"].map({k: v[0] for k, v in METRICS.items()}))
    return out


def attach_segments(
    responses: pd.DataFrame,
    *,
    customers: pd.DataFrame | None = None,
    personas: pd.DataFrame | None = None,
    stages: Mapping[str, str] | None = None,
    customer_id: Hashable = "customer_id",
    touchpoint: Hashable = "touchpoint_id",
    profile: Sequence[Hashable] = ("region",),
) -> pd.DataFrame:
    """Add the segment columns of each response: persona, region, touchpoint stage.

    Parameters
    ----------
    responses : pandas.DataFrame
        Responses with ``customer_id`` and ``touchpoint_id``.
    customers : pandas.DataFrame, optional
        Customer base; the ``profile`` columns are copied to each response.
    personas : pandas.DataFrame, optional
        Step 2's ``personas.parquet``: ``customer_id`` and ``persona``.
    stages : mapping, optional
        Touchpoint id to journey stage (from ``journey.touchpoints`` in engagement.yaml).
    customer_id, touchpoint : str
        Key columns.
    profile : sequence of str, default ("region",)
        Customer columns to copy (those absent are skipped).

    Returns
    -------
    pandas.DataFrame
        A copy of ``responses`` with ``persona``, the profile columns and ``stage`` added
        where their source was given; responses without a match get a missing value.
        Columns already in ``responses`` are kept as they are.

    Examples
    --------
    >>> import pandas as pd
    >>> resp = pd.DataFrame({"customer_id": ["a", "b"], "touchpoint_id": ["t1", ""]})
    >>> cust = pd.DataFrame({"customer_id": ["a", "b"], "region": ["N", "S"]})
    >>> out = attach_segments(resp, customers=cust, stages={"t1": "support"})
    >>> out[["region", "stage"]].values.tolist()
    [['N', 'support'], ['S', nan]]
    """
    check_frame(responses, "responses")
    out = responses.copy()

    def lookup(table: pd.DataFrame, column: Hashable) -> np.ndarray:
        table = table.drop_duplicates(customer_id)
        pos = pd.Index(table[customer_id]).get_indexer(out[customer_id])
        values = table[column].astype(object).to_numpy()
        return np.where(pos >= 0, values[np.maximum(pos, 0)], None)

    if personas is not None and "persona" not in out.columns and customer_id in out.columns:
        out["persona"] = pd.Series(lookup(personas, "persona"), index=out.index, dtype=object)
    if customers is not None and customer_id in out.columns:
        for col in profile:
            if col in customers.columns and col not in out.columns:
                out[col] = pd.Series(lookup(customers, col), index=out.index, dtype=object)
    if stages is not None and "stage" not in out.columns and touchpoint in out.columns:
        out["stage"] = out[touchpoint].map(dict(stages)).astype(object)
    return out


def segment_table(
    data: pd.DataFrame,
    *,
    segments: Sequence[Hashable] = _SEGMENTS,
    metrics: Mapping[str, Hashable] | None = None,
    weight: Hashable | None = None,
    top: Iterable[float] = (4, 5),
    method: str = "adjusted_wald",
    p_adjust: str = "holm",
    confidence: float = 0.95,
    min_n: int = 30,
) -> pd.DataFrame:
    """Each measure by segment, each segment tested against the rest of the base.

    Parameters
    ----------
    data : pandas.DataFrame
        Responses with the segment columns (see :func:`attach_segments`).
    segments : sequence of str, default ("persona", "region", "channel")
        Segment columns; those absent or with fewer than two levels are skipped.
    metrics : mapping, optional
        Measure key (``"nps"``, ``"csat"``, ``"ces"``) to score column; default all three
        under their canonical names, those present in ``data``.
    weight : str, optional
        Survey weight column.
    top : iterable of numbers, default (4, 5)
        CSAT top box.
    method : {"adjusted_wald", "wald"}, default "adjusted_wald"
        NPS interval and test.
    p_adjust : {"holm", "fdr_bh", "bonferroni"}, default "holm"
        Multiplicity control over every segment of a measure (all segment columns
        together form one family).
    confidence : float, default 0.95
        Confidence level.
    min_n : int, default 30
        Small-base threshold.

    Returns
    -------
    pandas.DataFrame
        One row per measure, segment column and level: ``metric``, ``segment`` (column
        name), ``level`` (text), ``n``, ``n_eff``, ``estimate``, ``ci_low``, ``ci_high``,
        ``se`` (the segment's own value, units as :func:`headline_metrics`),
        ``reference_value`` (rest of the base), ``difference``, ``difference_ci_low``,
        ``difference_ci_high`` (segment minus rest), ``statistic``, ``p_value``,
        ``p_adjusted``, ``significant`` (``p_adjusted < 1 - confidence``) and ``small_n``
        (segment or rest below ``min_n``).

    See Also
    --------
    cxlib.stats.segment_tests : the tests.

    Notes
    -----
    Rows whose segment value is missing are left out of that segment column's tests.
    Each segment is compared with the rest of the base: the two-sample NPS z-test,
    the pooled two-proportion test, or Welch's t-test (:func:`cxlib.stats.segment_tests`).
    The p-values of a measure are then adjusted together across every level of every
    segment column, so a long table does not produce false alarms.

    References
    ----------
    Holm, S. (1979). A simple sequentially rejective multiple test procedure.
    Scandinavian Journal of Statistics, 6(2), 65-70.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"region": ["N"] * 40 + ["S"] * 40,
    ...                    "nps": [10, 9, 8, 5] * 10 + [10, 6, 5, 3] * 10})
    >>> out = segment_table(df, segments=["region"])
    >>> out["level"].tolist(), out["estimate"].tolist(), out["significant"].tolist()
    (['N', 'S'], [25.0, -50.0], [True, True])
    """
    check_frame(data)
    z_ok = 1.0 - float(confidence)
    check_confidence(confidence)
    min_n = check_min_n(min_n)
    if metrics is None:
        metrics = {k: k for k in METRICS if k in data.columns}
    unknown = [k for k in metrics if k not in METRICS]
    if unknown:
        raise ValueError(f"metrics must be among {list(METRICS)}, got {unknown}")
    frames = []
    for seg in segments:
        sub = _segment_frame(data, seg, [*metrics.values(), *([weight] if weight else [])])
        if sub is None:
            continue
        for key, column in metrics.items():
            kind = METRICS[key][1]
            frames.append(
                _one_segment(sub, key, column, kind, seg, weight, top, method, confidence, min_n)
            )
    columns = ["metric", "segment", "level", "n", "n_eff", "estimate", "ci_low", "ci_high"]
    columns += ["se", "reference_value", "difference", "difference_ci_low"]
    columns += ["difference_ci_high", "statistic", "p_value", "p_adjusted"]
    columns += ["significant", "small_n"]
    if not frames:
        return pd.DataFrame(columns=columns)
    out = pd.concat(frames, ignore_index=True)
    rank = out["metric"].map({k: i for i, k in enumerate(metrics)}).to_numpy()
    out = out.iloc[np.argsort(rank, kind="stable")].reset_index(drop=True)
    for key in out["metric"].unique():
        rows = out["metric"] == key
        out.loc[rows, "p_adjusted"] = stats.adjust_pvalues(
            out.loc[rows, "p_value"], method=p_adjust
        )
    out["significant"] = out["p_adjusted"] < z_ok
    return out[columns]


def segment_pairs(
    table: pd.DataFrame,
    *,
    p_adjust: str = "holm",
    confidence: float = 0.95,
) -> pd.DataFrame:
    r"""Compare every pair of segments of the same column, with multiplicity control.

    The pairwise companion of :func:`segment_table` (which compares each segment with
    the rest): for each measure and segment column, every two levels are compared, and
    the p-values of that family are adjusted together. The present layer turns the
    result into column-proportion style letters.

    Parameters
    ----------
    table : pandas.DataFrame
        The output of :func:`segment_table` (columns ``metric``, ``segment``, ``level``,
        ``n``, ``n_eff``, ``estimate``, ``se``, ``small_n``; an optional ``base`` column
        keeps families apart).
    p_adjust : {"holm", "fdr_bh", "bonferroni"}, default "holm"
        Multiplicity control within each family (one measure, one segment column).
    confidence : float, default 0.95
        Confidence level of the intervals; pairs are significant when
        ``p_adjusted < 1 - confidence``.

    Returns
    -------
    pandas.DataFrame
        One row per unordered pair (levels in the table's order): ``metric``,
        ``segment``, ``level``, ``versus``, ``n``, ``n_versus``, ``n_eff``,
        ``n_eff_versus``, ``estimate`` (``level`` minus ``versus``, units of the
        measure), ``se``, ``ci_low``, ``ci_high``, ``statistic`` (z), ``p_value``,
        ``p_adjusted``, ``significant`` and ``small_n`` (either side small).

    Raises
    ------
    ValueError
        If a required column is missing or the adjustment is unknown.

    Notes
    -----
    Segments of one column are disjoint, hence independent samples, so the difference
    :math:`d = v_a - v_b` has standard error :math:`\sqrt{se_a^2 + se_b^2}` and
    :math:`z = d / se_d` is referred to the standard normal. :math:`d` is the
    difference of the reported estimates and each :math:`se` the one reported with
    them. For NPS this is the two-sample z-test of the NPS difference (with
    ``method="wald"`` the plain Wald test; with the default adjusted-Wald standard
    errors, Rocks 2016, slightly wider on small bases), for a top-box share the
    unpooled two-proportion z-test, for a mean the large-sample form of Welch's test
    (the t reference distribution is replaced by the normal; the difference matters only
    for bases that are flagged small anyway). With :math:`k` levels a family holds
    :math:`k(k-1)/2` tests, adjusted with Holm's step-down method by default.

    References
    ----------
    Holm, S. (1979). A simple sequentially rejective multiple test procedure.
    Scandinavian Journal of Statistics, 6(2), 65-70.

    Rocks, B. (2016). Interval estimation for the "net promoter score". The American
    Statistician, 70(4), 365-372. doi:10.1080/00031305.2016.1158124

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"region": ["N"] * 60 + ["S"] * 60 + ["W"] * 60,
    ...                    "nps": [10, 9, 9, 8] * 15 + [10, 6, 5, 3] * 15 + [10, 9, 7, 6] * 15})
    >>> pairs = segment_pairs(segment_table(df, segments=["region"]))
    >>> pairs[["level", "versus", "significant"]].values.tolist()
    [['N', 'S', True], ['N', 'W', True], ['S', 'W', True]]
    """
    check_frame(table, "table")
    z = check_confidence(confidence)
    need = ["metric", "segment", "level", "n", "n_eff", "estimate", "se", "small_n"]
    missing = [c for c in need if c not in table.columns]
    if missing:
        raise ValueError(f"table lacks the segment_table columns {missing}")
    keys = ["metric", *(["base"] if "base" in table.columns else []), "segment"]
    frames = []
    for _, fam in table.groupby(keys, sort=False, dropna=False):
        i, j = np.triu_indices(len(fam), k=1)
        if not len(i):
            continue
        a, b = fam.iloc[i].reset_index(drop=True), fam.iloc[j].reset_index(drop=True)
        d = a["estimate"].to_numpy(float) - b["estimate"].to_numpy(float)
        se = np.hypot(a["se"].to_numpy(float), b["se"].to_numpy(float))
        with np.errstate(divide="ignore", invalid="ignore"):
            stat = np.where(se > 0, d / np.where(se > 0, se, 1.0), np.nan)
        p = normal_p(stat)
        frames.append(
            a[keys].assign(
                level=a["level"].to_numpy(),
                versus=b["level"].to_numpy(),
                n=a["n"].to_numpy(),
                n_versus=b["n"].to_numpy(),
                n_eff=a["n_eff"].to_numpy(),
                n_eff_versus=b["n_eff"].to_numpy(),
                estimate=d,
                se=se,
                ci_low=d - z * se,
                ci_high=d + z * se,
                statistic=stat,
                p_value=p,
                p_adjusted=adjust(p, p_adjust),
                small_n=a["small_n"].to_numpy(bool) | b["small_n"].to_numpy(bool),
            )
        )
    columns = [*keys, "level", "versus", "n", "n_versus", "n_eff", "n_eff_versus"]
    columns += ["estimate", "se", "ci_low", "ci_high", "statistic", "p_value", "p_adjusted"]
    columns += ["significant", "small_n"]
    if not frames:
        return pd.DataFrame(columns=columns)
    out = pd.concat(frames, ignore_index=True)
    out["significant"] = out["p_adjusted"] < 1.0 - float(confidence)
    return out[columns]


def _segment_frame(data: pd.DataFrame, seg: Hashable, columns: list) -> pd.DataFrame | None:
    """Rows with a level of ``seg``, that column as a text categorical, and ``columns``.

    None when the column is absent or has fewer than two levels. Only the needed columns
    are copied, and the levels are factorised once, so a million rows cost one pass.
    """
    if seg not in data.columns:
        return None
    values = data[seg]
    keep = values.notna().to_numpy()
    codes, levels = pd.factorize(values[keep], sort=True)
    if len(levels) < 2:
        return None
    names = pd.Index(levels).astype(str)
    if not names.is_unique:  # e.g. 1 and "1": fall back to the text of each value
        codes, names = pd.factorize(values[keep].astype(str), sort=True)
    out = data.loc[keep, [c for c in dict.fromkeys(columns) if c in data.columns]]
    out[seg] = pd.Categorical.from_codes(codes, categories=names)
    return out


def _one_segment(sub, key, column, kind, seg, weight, top, method, confidence, min_n):
    est = _metric_rows(sub, key, column, kind, weight, top, method, confidence, min_n, by=seg)
    test = stats.segment_tests(
        sub,
        by=seg,
        metric=kind,
        score=column,
        top=top,
        weight=weight,
        method=method,
        confidence=confidence,
        min_n=min_n,
    )
    out = est.rename(columns={seg: "level"})
    out.insert(1, "segment", seg)
    out["level"] = out["level"].astype(str)
    out["reference_value"] = test["reference_value"].to_numpy()
    out["difference"] = test["estimate"].to_numpy()
    out["difference_ci_low"] = test["ci_low"].to_numpy()
    out["difference_ci_high"] = test["ci_high"].to_numpy()
    out["statistic"] = test["statistic"].to_numpy()
    out["p_value"] = test["p_value"].to_numpy()
    out["p_adjusted"] = np.nan
    out["small_n"] = out["small_n"].to_numpy() | test["small_n"].to_numpy()
    return out


def nps_distribution(
    data: pd.DataFrame, *, score: Hashable = "nps", weight: Hashable | None = None
) -> pd.DataFrame:
    """Share of answers at each point of the 0-10 scale, with the NPS group.

    Parameters
    ----------
    data : pandas.DataFrame
        Responses.
    score : str, default "nps"
        Column of 0-10 answers (missing values are left out).
    weight : str, optional
        Survey weights.

    Returns
    -------
    pandas.DataFrame
        Eleven rows: ``score`` (0..10), ``group`` (detractor, passive, promoter), ``n``
        (answers), ``share`` ((weighted) share of answers, 0..1).

    Examples
    --------
    >>> import pandas as pd
    >>> out = nps_distribution(pd.DataFrame({"nps": [10, 9, 9, 0]}))
    >>> out.loc[[0, 9, 10], "share"].tolist(), out.loc[9, "group"]
    ([0.25, 0.5, 0.25], 'promoter')
    """
    check_frame(data)
    s = nps_scores(data, score)
    ok = ~np.isnan(s)
    w = np.ones(len(s)) if weight is None else data[weight].to_numpy(dtype=float)
    points = s[ok].astype(np.intp)
    counts = np.bincount(points, minlength=11)
    sums = np.bincount(points, weights=w[ok], minlength=11)
    return pd.DataFrame(
        {
            "score": np.arange(11),
            "group": np.select(
                [np.arange(11) <= 6, np.arange(11) <= 8], ["detractor", "passive"], "promoter"
            ),
            "n": counts.astype(np.int64),
            "share": sums / sums.sum() if sums.sum() > 0 else np.full(11, np.nan),
        }
    )
