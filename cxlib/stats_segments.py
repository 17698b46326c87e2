"""Segment significance: every segment against the rest of the base (or the overall).

One pass over the data gives per-segment sums; the rest of the base is the total minus
the segment, so testing 20 segments costs the same as computing 20 scores.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence

import numpy as np
import pandas as pd
from scipy import stats as _sps

from cxlib._stats_common import (
    adjust,
    as_by_list,
    check_columns,
    check_confidence,
    check_frame,
    check_method,
    check_min_n,
    fill_doc,
    kish,
    make_groups,
    newcombe_diff,
    normal_p,
    nps_parts,
    nps_scores,
    nps_sums,
    numeric_column,
    pooled_z,
    safe_div,
    small_flag,
    weight_column,
    welch_parts,
)
from cxlib.stats_compare import _nps_diff

__all__ = ["segment_tests"]

_METRICS = {"nps": "nps", "top_box": "csat", "mean": "ces"}


@fill_doc
def segment_tests(
    data: pd.DataFrame,
    *,
    by: Hashable | Sequence[Hashable],
    metric: str = "nps",
    score: Hashable | None = None,
    top: Iterable[float] = (4, 5),
    weight: Hashable | None = None,
    versus: str = "rest",
    method: str = "adjusted_wald",
    p_adjust: str = "holm",
    confidence: float = 0.95,
    min_n: int = 30,
) -> pd.DataFrame:
    """Test every segment against the rest of the base, with multiplicity control.

    Answers "which segments are really different?" for NPS, a top-box share or a mean:
    each segment is compared with everyone else (or with the overall figure), and the
    p-values are adjusted across segments so that a long list of segments does not
    produce false alarms.

    Parameters
    ----------
    data : pandas.DataFrame
        Responses, one row each.
    {by}
    metric : {"nps", "top_box", "mean"}, default "nps"
        What is compared.
    score : str, optional
        Score column; default ``"nps"``, ``"csat"`` or ``"ces"`` according to ``metric``.
    top : iterable of numbers, default (4, 5)
        Top-box scale points (``metric="top_box"`` only).
    {weight}
    versus : {"rest", "overall"}, default "rest"
        Compare with the rest of the base, or with the overall figure (segment
        included).
    {method}
    p_adjust : {"holm", "fdr_bh", "bonferroni"}, default "holm"
        Multiplicity control across segments.
    {confidence}
    {min_n}

    Returns
    -------
    pandas.DataFrame
        One row per segment: the ``by`` columns, ``n``, ``n_eff`` (segment),
        ``n_reference``, ``n_eff_reference`` (rest or overall), ``value`` (segment
        metric: NPS -100..100, share 0..1 or mean), ``reference_value``, ``estimate``
        (``value - reference_value``), ``se``, ``ci_low``, ``ci_high`` (interval of the
        difference), ``statistic`` (z, or t for means), ``p_value``, ``p_adjusted`` and
        ``small_n`` (segment or reference base below ``min_n``).

    Raises
    ------
    ValueError
        On an unknown metric, ``versus`` or adjustment, or unknown columns.

    See Also
    --------
    cxlib.stats_compare.nps_difference : the NPS test used here.
    cxlib.stats_compare.two_proportion_test : the proportion test used here.
    cxlib.stats_compare.welch_test : the mean test used here.

    Notes
    -----
    Segment and rest are independent samples, so the tests are the two-sample tests
    of :mod:`cxlib.stats_compare` (NPS z-test with each side's variance, pooled
    two-proportion z with a Newcombe interval, Welch's t with effective bases). The
    overall figure is the base-weighted average :math:`f v_s + (1 - f) v_r` of segment
    and rest (:math:`f` the segment's share of the weight), so
    :math:`v_s - v_{all} = (1 - f)(v_s - v_r)`: with ``versus="overall"`` the difference
    and its interval are scaled by :math:`1 - f` and the p-value is the same as against
    the rest (a segment cannot be tested against a total that contains it as if the two
    were independent). Segments whose rest is empty get NaN.

    References
    ----------
    Holm, S. (1979). A simple sequentially rejective multiple test procedure.
    Scandinavian Journal of Statistics, 6(2), 65-70.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"region": ["N"] * 40 + ["S"] * 40 + ["W"] * 40,
    ...                    "nps": [10, 9, 8, 5] * 10 + [10, 6, 5, 3] * 10 + [10, 9, 7, 6] * 10})
    >>> out = segment_tests(df, by="region")
    >>> out["region"].tolist(), (out["p_adjusted"] < 0.05).tolist()
    (['N', 'S', 'W'], [False, True, False])
    """
    check_frame(data)
    if metric not in _METRICS:
        raise ValueError(f"metric must be one of {list(_METRICS)}, got {metric!r}")
    if versus not in ("rest", "overall"):
        raise ValueError(f"versus must be 'rest' or 'overall', got {versus!r}")
    method = check_method(method)
    z = check_confidence(confidence)
    min_n = check_min_n(min_n)
    by_list = as_by_list(by)
    if not by_list:
        raise ValueError("by must name at least one segment column")
    score = _METRICS[metric] if score is None else score
    check_columns(data, [score])
    groups = make_groups(data, by_list)
    w = weight_column(data, weight)
    if metric == "nps":
        cols = _nps_columns(data, score, w, groups, method, versus, z)
    elif metric == "top_box":
        cols = _top_box_columns(data, score, top, w, groups, versus, z)
    else:
        cols = _mean_columns(data, score, w, groups, versus, confidence)
    out = groups.keys.copy()
    for name, values in cols.items():
        out[name] = values
    out["p_adjusted"] = adjust(out["p_value"].to_numpy(), p_adjust)
    out["small_n"] = small_flag(out["n_eff"], min_n) | small_flag(out["n_eff_reference"], min_n)
    return out


def _split(sums: dict[str, np.ndarray], versus: str):
    """Per-segment sums, reference sums (rest or overall) and the segment weight share."""
    total = {k: np.full_like(v, v.sum()) for k, v in sums.items()}
    rest = {k: total[k] - v for k, v in sums.items()}
    share = safe_div(sums["sw"], total["sw"])
    return rest, (total if versus == "overall" else rest), share


def _head(sums, ref_sums, value, ref_value) -> dict[str, np.ndarray]:
    return {
        "n": sums["n"].astype(np.int64),
        "n_eff": kish(sums["sw"], sums["sw2"]),
        "n_reference": ref_sums["n"].astype(np.int64),
        "n_eff_reference": kish(ref_sums["sw"], ref_sums["sw2"]),
        "value": value,
        "reference_value": ref_value,
    }


def _nps_columns(data, score, w, groups, method, versus, z):
    sums = nps_sums(nps_scores(data, score), w, groups)
    rest, ref, share = _split(sums, versus)
    seg, rst, refp = nps_parts(sums, method), nps_parts(rest, method), nps_parts(ref, method)
    scale = 1.0 - share if versus == "overall" else 1.0
    head = _head(sums, ref, 100.0 * seg.estimate, 100.0 * refp.estimate)
    return {**head, **_nps_diff(seg, rst, z, scale)}


def _basic_sums(x: np.ndarray, w: np.ndarray | None, groups) -> tuple[dict, np.ndarray]:
    valid = ~np.isnan(x)
    wv = valid.astype(float) if w is None else np.where(valid, w, 0.0)
    sums = {"n": groups.sum(valid.astype(float)), "sw": groups.sum(wv), "sw2": groups.sum(wv * wv)}
    return sums, wv


def _top_box_columns(data, score, top, w, groups, versus, z):
    top_values = np.asarray(list(top), dtype=float)
    if top_values.size == 0:
        raise ValueError("top must name at least one scale point")
    x = numeric_column(data, score, "rating")
    sums, wv = _basic_sums(x, w, groups)
    sums["hit"] = groups.sum(np.where(np.isin(x, top_values), wv, 0.0))
    rest, ref, share = _split(sums, versus)
    p1, n1 = safe_div(sums["hit"], sums["sw"]), kish(sums["sw"], sums["sw2"])
    p2, n2 = safe_div(rest["hit"], rest["sw"]), kish(rest["sw"], rest["sw2"])
    scale = 1.0 - share if versus == "overall" else 1.0
    low, high = newcombe_diff(p1, n1, p2, n2, z)
    stat = pooled_z(p1, n1, p2, n2)
    with np.errstate(invalid="ignore"):
        se = np.sqrt(safe_div(p1 * (1 - p1), n1) + safe_div(p2 * (1 - p2), n2))
    head = _head(sums, ref, p1, safe_div(ref["hit"], ref["sw"]))
    return {
        **head,
        "estimate": scale * (p1 - p2),
        "se": scale * se,
        "ci_low": scale * low,
        "ci_high": scale * high,
        "statistic": stat,
        "p_value": normal_p(stat),
    }


def _mean_columns(data, score, w, groups, versus, confidence):
    x = numeric_column(data, score, "score")
    sums, wv = _basic_sums(x, w, groups)
    centre = safe_div(np.sum(wv * np.nan_to_num(x)), np.sum(wv))
    xc = np.where(np.isnan(x), 0.0, x - centre)
    sums["swx"], sums["swx2"] = groups.sum(wv * xc), groups.sum(wv * xc * xc)
    rest, ref, share = _split(sums, versus)

    def summary(s):
        n_eff = kish(s["sw"], s["sw2"])
        mean = safe_div(s["swx"], s["sw"])
        ss = np.maximum(s["swx2"] - s["swx"] * mean, 0.0)
        var = safe_div(ss, s["sw"]) * safe_div(n_eff, n_eff - 1.0)
        return mean, var, n_eff

    m1, v1, n1 = summary(sums)
    m2, v2, n2 = summary(rest)
    est, se, df = welch_parts(m1, v1, n1, m2, v2, n2)
    scale = 1.0 - share if versus == "overall" else 1.0
    stat = safe_div(est, se)
    with np.errstate(invalid="ignore"):
        tq = _sps.t.ppf(0.5 + confidence / 2.0, df)
        p = 2.0 * _sps.t.sf(np.abs(stat), df)
    head = _head(sums, ref, m1 + centre, safe_div(ref["swx"], ref["sw"]) + centre)
    return {
        **head,
        "estimate": scale * est,
        "se": scale * se,
        "ci_low": scale * (est - tq * se),
        "ci_high": scale * (est + tq * se),
        "statistic": stat,
        "p_value": p,
    }
