"""Step 7: re-measure against the baseline: scorecard, significance, RAG, segments that moved.

Changes are tested from each side's summary statistics (the ones a locked baseline file
keeps), so the baseline never has to be recomputed from raw data: NPS with the
adjusted-Wald z-test, shares with the pooled z-test and Newcombe's interval, means with
Welch's t-test, rates per month with the exact conditional (binomial) test. The p-values of
a scorecard, or of a set of segment comparisons, are adjusted together (Holm by default),
so a long scorecard does not produce false alarms.

Segments and stages that moved are in :mod:`cxlib.remeasure_movers`, control charts over
every wave in :mod:`cxlib.remeasure_spc`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
from scipy import stats as _sps

from cxlib import stats
from cxlib._stats_common import check_confidence, nps_parts, welch_parts
from cxlib.kpi_targets import direction_of
from cxlib.stats_compare import _nps_diff

__all__ = [
    "RAG_RULE",
    "compare_kpis",
    "compare_summaries",
    "moved_stages",
    "rag_status",
    "scorecard",
]

#: The RAG rule, in words (shown in the method notes).
RAG_RULE = (
    "red: a significant deterioration (after multiplicity control), whatever the target; "
    "green: the target is met, or a significant improvement; amber: anything else (no "
    "significant change and the target not yet met); grey: no current value."
)

_TESTS = {
    "nps": "adjusted-Wald z-test",
    "share": "two-proportion z-test (Newcombe interval)",
    "mean": "Welch t-test",
    "rate": "exact conditional Poisson test",
}
_SUMMARY = ("estimate", "n", "n_eff", "promoters", "detractors", "sd", "count", "exposure")


def _col(frame: pd.DataFrame, name: str) -> np.ndarray:
    if name not in frame.columns:
        return np.full(len(frame), np.nan)
    return pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype=float)


def _nps_side(t: pd.DataFrame):
    n_eff = _col(t, "n_eff")
    sums = {
        "n": _col(t, "n"),
        "sw": n_eff,
        "sw2": n_eff,
        "pro": _col(t, "promoters") * n_eff,
        "det": _col(t, "detractors") * n_eff,
    }
    return nps_parts(sums, "adjusted_wald")


def _empty(m: int) -> dict[str, np.ndarray]:
    return {k: np.full(m, np.nan) for k in ("estimate", "se", "ci_low", "ci_high")} | {
        "statistic": np.full(m, np.nan),
        "p_value": np.full(m, np.nan),
    }


def compare_summaries(
    baseline: pd.DataFrame, current: pd.DataFrame, *, confidence: float = 0.95
) -> pd.DataFrame:
    r"""Change from baseline to current for aligned rows of summary statistics.

    Parameters
    ----------
    baseline, current : pandas.DataFrame
        Same length and order; each row a KPI-table row (``metric``, ``estimate``,
        ``n``, ``n_eff`` and, by metric, ``promoters``/``detractors`` (NPS), ``count``
        (share), ``sd`` (mean), ``count``/``exposure`` (rate)). The ``metric`` of
        ``current`` decides the test.
    confidence : float, default 0.95
        Confidence level of the intervals.

    Returns
    -------
    pandas.DataFrame
        Same index as ``current``: ``estimate`` (current minus baseline, KPI units),
        ``se``, ``ci_low``, ``ci_high``, ``statistic`` (z or t), ``p_value`` (two-sided;
        NaN for amounts and counts, which are not tested) and ``test``.

    Raises
    ------
    ValueError
        If the two tables differ in length.

    See Also
    --------
    cxlib.stats.nps_difference, cxlib.stats.two_proportion_test,
    cxlib.stats.welch_test : the same tests on raw data.

    Notes
    -----
    - NPS: each side's adjusted-Wald parts (:math:`n' = n_{eff} + 3`, 3/4 added to
      promoters and detractors) and
      :math:`z = (\widetilde{NPS}_c - \widetilde{NPS}_b)/\sqrt{V'_c/n'_c + V'_b/n'_b}`,
      identical to :func:`cxlib.stats.nps_difference` on the raw answers;
    - shares: pooled z-test with Newcombe's hybrid score interval on ``count`` of
      ``n_eff``;
    - means: Welch's t on the means, ``sd`` and ``n_eff``;
    - rates: :math:`\Delta = k_c/T_c - k_b/T_b` with Wald interval
      :math:`\pm z\sqrt{k_c/T_c^2 + k_b/T_b^2}`; the p-value is the exact conditional
      test, :math:`k_c \sim Bin(k_c + k_b, T_c/(T_c + T_b))` under no change.

    References
    ----------
    Przyborowski, J., & Wilenski, H. (1940). Homogeneity of results in testing samples
    from Poisson series. Biometrika, 31(3/4), 313-323. doi:10.2307/2332612

    Examples
    --------
    >>> b = pd.DataFrame({"metric": ["share"], "estimate": [0.5], "n": [200],
    ...     "n_eff": [200.0], "count": [100.0]})
    >>> c = pd.DataFrame({"metric": ["share"], "estimate": [0.6], "n": [200],
    ...     "n_eff": [200.0], "count": [120.0]})
    >>> out = compare_summaries(b, c)
    >>> round(float(out.loc[0, "estimate"]), 3), round(float(out.loc[0, "p_value"]), 4)
    (0.1, 0.0444)
    """
    if len(baseline) != len(current):
        raise ValueError("baseline and current must have the same number of rows")
    z = check_confidence(confidence)
    b = baseline.reset_index(drop=True)
    c = current.reset_index(drop=True)
    metric = c["metric"].astype(str).to_numpy()
    out = _empty(len(c))
    est_c, est_b = _col(c, "estimate"), _col(b, "estimate")
    out["estimate"] = est_c - est_b
    for kind, fill in (("nps", _fill_nps), ("share", _fill_share)):
        idx = np.flatnonzero(metric == kind)
        if idx.size:
            fill(out, b.iloc[idx], c.iloc[idx], idx, z, confidence)
    for kind, fill in (("mean", _fill_mean), ("rate", _fill_rate)):
        idx = np.flatnonzero(metric == kind)
        if idx.size:
            fill(out, b.iloc[idx], c.iloc[idx], idx, z, confidence)
    frame = pd.DataFrame(out)
    frame["test"] = pd.Series(metric).map(_TESTS).fillna("not tested").to_numpy()
    frame.index = current.index
    return frame


def _fill_nps(out, b, c, idx, z, confidence) -> None:
    d = _nps_diff(_nps_side(c), _nps_side(b), z)
    for key in ("se", "ci_low", "ci_high", "statistic", "p_value"):
        out[key][idx] = d[key]


def _fill_share(out, b, c, idx, z, confidence) -> None:
    nb, nc, kb, kc = _col(b, "n_eff"), _col(c, "n_eff"), _col(b, "count"), _col(c, "count")
    ok = (nb > 0) & (nc > 0) & (kb >= 0) & (kc >= 0) & (kb <= nb + 1e-9) & (kc <= nc + 1e-9)
    if not ok.any():
        return
    t = stats.two_proportion_test(
        np.minimum(kc[ok], nc[ok]),
        nc[ok],
        np.minimum(kb[ok], nb[ok]),
        nb[ok],
        confidence=confidence,
    )
    for key in ("se", "ci_low", "ci_high", "statistic", "p_value"):
        out[key][idx[ok]] = t[key].to_numpy()


def _fill_mean(out, b, c, idx, z, confidence) -> None:
    est, se, df = welch_parts(
        _col(c, "estimate"),
        _col(c, "sd") ** 2,
        _col(c, "n_eff"),
        _col(b, "estimate"),
        _col(b, "sd") ** 2,
        _col(b, "n_eff"),
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        stat = est / se
        tq = _sps.t.ppf(0.5 + confidence / 2.0, df)
        out["p_value"][idx] = 2.0 * _sps.t.sf(np.abs(stat), df)
    out["se"][idx], out["statistic"][idx] = se, stat
    out["ci_low"][idx], out["ci_high"][idx] = est - tq * se, est + tq * se


def _fill_rate(out, b, c, idx, z, confidence) -> None:
    kb, tb, kc, tc = _col(b, "count"), _col(b, "exposure"), _col(c, "count"), _col(c, "exposure")
    with np.errstate(invalid="ignore", divide="ignore"):
        se = np.sqrt(kc / tc**2 + kb / tb**2)
        est = kc / tc - kb / tb
    out["se"][idx], out["statistic"][idx] = se, np.where(se > 0, est / np.where(se > 0, se, 1), 0)
    out["ci_low"][idx], out["ci_high"][idx] = est - z * se, est + z * se
    for j, (a, ta, bb, tbb) in enumerate(zip(kc, tc, kb, tb, strict=True)):
        if not (np.isfinite(a + bb) and ta > 0 and tbb > 0):
            continue
        total = int(round(a + bb))
        p = 1.0 if total == 0 else _sps.binomtest(int(round(a)), total, ta / (ta + tbb)).pvalue
        out["p_value"][idx[j]] = float(p)


def compare_kpis(
    baseline: pd.DataFrame,
    current: pd.DataFrame,
    *,
    confidence: float = 0.95,
    p_adjust: str = "holm",
    lower_is_better: Iterable[str] = (),
) -> pd.DataFrame:
    """Every KPI's baseline and current value, the change, its CI and adjusted p-value.

    Parameters
    ----------
    baseline, current : pandas.DataFrame
        KPI tables (:data:`cxlib.kpi.KPI_COLUMNS`) of the baseline and the current wave,
        matched on ``kpi``. KPIs present on one side only are kept with NaN changes.
    confidence : float, default 0.95
        Confidence level of the intervals; a change is significant when its adjusted
        p-value is below ``1 - confidence``.
    p_adjust : {"holm", "fdr_bh", "bonferroni"}, default "holm"
        Multiplicity control across all tested KPIs.
    lower_is_better : iterable of str
        KPIs improving downwards, when the tables carry no ``direction``.

    Returns
    -------
    pandas.DataFrame
        One row per KPI (current order, then baseline-only KPIs): ``kpi``, ``label``,
        ``level``, ``metric``, ``stage``, ``unit``, ``direction``, ``baseline``,
        ``baseline_ci_low``, ``baseline_ci_high``, ``n_baseline``, ``current``,
        ``current_ci_low``, ``current_ci_high``, ``n``, ``estimate`` (the change),
        ``se``, ``ci_low``, ``ci_high``, ``statistic``, ``p_value``, ``p_adjusted``,
        ``significant``, ``change`` (improved, deteriorated, no significant change, not
        tested), ``test`` and ``small_n`` (either side).

    See Also
    --------
    compare_summaries : the tests; scorecard : adds targets and RAG.

    Examples
    --------
    >>> b = pd.DataFrame({"kpi": ["csat"], "metric": ["share"], "estimate": [0.5],
    ...     "n": [400], "n_eff": [400.0], "count": [200.0]})
    >>> c = b.assign(estimate=[0.6], count=[240.0])
    >>> out = compare_kpis(b, c)
    >>> out[["kpi", "change"]].values.tolist(), round(float(out.loc[0, "p_adjusted"]), 4)
    ([['csat', 'improved']], 0.0045)
    """
    from cxlib.kpi import kpi_frame

    b, c = kpi_frame(baseline), kpi_frame(current)
    keys = list(c["kpi"]) + [k for k in b["kpi"] if k not in set(c["kpi"])]
    bi, ci = b.set_index("kpi").reindex(keys), c.set_index("kpi").reindex(keys)
    info = ci.combine_first(bi)[["label", "level", "metric", "stage", "unit"]].fillna("")
    side_b = bi.reset_index()[list(_SUMMARY)].assign(metric=info["metric"].to_numpy())
    side_c = ci.reset_index()[list(_SUMMARY)].assign(metric=info["metric"].to_numpy())
    diff = compare_summaries(side_b, side_c, confidence=confidence)
    out = info.reset_index()
    out["direction"] = _directions(ci, bi, keys, lower_is_better)
    for side, name in ((bi, "baseline"), (ci, "current")):
        out[name] = side["estimate"].to_numpy()
        out[f"{name}_ci_low"] = side["ci_low"].to_numpy()
        out[f"{name}_ci_high"] = side["ci_high"].to_numpy()
    out["n_baseline"] = bi["n"].fillna(0).astype(np.int64).to_numpy()
    out["n"] = ci["n"].fillna(0).astype(np.int64).to_numpy()
    for key in ("estimate", "se", "ci_low", "ci_high", "statistic", "p_value"):
        out[key] = diff[key].to_numpy()
    out["p_adjusted"] = stats.adjust_pvalues(out["p_value"].to_numpy(), method=p_adjust)
    out["significant"] = out["p_adjusted"] < 1.0 - confidence
    good = np.where(out["direction"] == "decrease", out["estimate"] < 0, out["estimate"] > 0)
    out["change"] = np.select(
        [out["p_value"].isna(), out["significant"] & good, out["significant"]],
        ["not tested", "improved", "deteriorated"],
        "no significant change",
    )
    out["test"] = diff["test"].to_numpy()
    small = bi["small_n"].fillna(True).astype(bool) | ci["small_n"].fillna(True).astype(bool)
    out["small_n"] = small.to_numpy()
    return out


def _directions(ci, bi, keys, lower_is_better) -> list[str]:
    out = []
    for key in keys:
        value = ""
        for side in (ci, bi):
            if "direction" in side.columns and isinstance(side.at[key, "direction"], str):
                value = value or side.at[key, "direction"]
        out.append(value or direction_of(key, lower_is_better=lower_is_better))
    return out


def rag_status(
    change: Sequence[str], target_met: Sequence[object], has_current: Sequence[bool]
) -> np.ndarray:
    """RAG status of each KPI by the stated rule (:data:`RAG_RULE`).

    Parameters
    ----------
    change : sequence of str
        ``change`` column of :func:`compare_kpis` (improved, deteriorated, ...).
    target_met : sequence of bool or NA
        Whether the current value meets the target (NA without a target).
    has_current : sequence of bool
        Whether there is a current value.

    Returns
    -------
    numpy.ndarray of str
        ``"red"``, ``"green"``, ``"amber"`` or ``"grey"``.

    Examples
    --------
    >>> rag_status(["deteriorated", "improved", "no significant change",
    ...     "no significant change"], [True, False, True, pd.NA], [True] * 4).tolist()
    ['red', 'green', 'green', 'amber']
    """
    change = np.asarray(change, dtype=object)
    met = np.array([bool(v) if v is not None and v is not pd.NA else False for v in target_met])
    present = np.asarray(has_current, dtype=bool)
    return np.select(
        [~present, change == "deteriorated", met | (change == "improved")],
        ["grey", "red", "green"],
        "amber",
    )


def scorecard(
    baseline: pd.DataFrame,
    current: pd.DataFrame,
    *,
    confidence: float = 0.95,
    p_adjust: str = "holm",
    lower_is_better: Iterable[str] = (),
) -> pd.DataFrame:
    """Build the re-measurement scorecard: change, significance, target attainment and RAG.

    Parameters
    ----------
    baseline, current : pandas.DataFrame
        KPI tables of the baseline and the current wave; the current one (or else the
        baseline) supplies ``target``, ``target_date`` and ``owner`` when present.
    confidence : float, default 0.95
        Confidence level; significance is judged on Holm-adjusted p-values.
    p_adjust : {"holm", "fdr_bh", "bonferroni"}, default "holm"
        Multiplicity control across the scorecard.
    lower_is_better : iterable of str
        KPIs improving downwards, when the tables carry no ``direction``.

    Returns
    -------
    pandas.DataFrame
        :func:`compare_kpis` plus ``target``, ``target_date``, ``owner``, ``target_met``
        (nullable boolean, on the current value), ``progress`` (share of the way from the
        baseline to the target, NaN without a target) and ``rag``.

    See Also
    --------
    rag_status : the rule.

    Notes
    -----
    RAG rule: {rule}

    Examples
    --------
    >>> b = pd.DataFrame({"kpi": ["csat"], "metric": ["share"], "estimate": [0.5],
    ...     "n": [400], "n_eff": [400.0], "count": [200.0], "target": [0.7]})
    >>> out = scorecard(b, b.assign(estimate=[0.6], count=[240.0]))
    >>> out["rag"].tolist(), round(float(out.loc[0, "progress"]), 2)
    (['green'], 0.5)
    """
    out = compare_kpis(
        baseline,
        current,
        confidence=confidence,
        p_adjust=p_adjust,
        lower_is_better=lower_is_better,
    )
    for col in ("target", "target_date", "owner"):
        values = [_pick(current, baseline, k, col) for k in out["kpi"]]
        out[col] = pd.to_numeric(values) if col == "target" else values
    out["target"] = out["target"].astype(float)
    gap = out["current"] - out["target"]
    met = np.where(out["direction"] == "decrease", gap <= 0, gap >= 0)
    known = out["target"].notna() & out["current"].notna()
    out["target_met"] = pd.array(np.where(known, met, False), dtype="boolean")
    out.loc[~known, "target_met"] = pd.NA
    with np.errstate(invalid="ignore", divide="ignore"):
        progress = (out["current"] - out["baseline"]) / (out["target"] - out["baseline"])
    out["progress"] = progress.where(np.isfinite(progress))
    out["rag"] = rag_status(out["change"], out["target_met"], out["current"].notna())
    return out


scorecard.__doc__ = scorecard.__doc__.replace("{rule}", RAG_RULE)


def _pick(current: pd.DataFrame, baseline: pd.DataFrame, kpi: str, col: str) -> object:
    for side in (current, baseline):
        if col in side.columns:
            hit = side.loc[side["kpi"] == kpi, col]
            if len(hit) and not pd.isna(hit.iloc[0]) and hit.iloc[0] != "":
                return hit.iloc[0]
    return np.nan if col == "target" else ""


def moved_stages(card: pd.DataFrame) -> list[str]:
    """Journey stages with a significant change in any stage-level KPI of a scorecard.

    Parameters
    ----------
    card : pandas.DataFrame
        Output of :func:`scorecard` (or :func:`compare_kpis`).

    Returns
    -------
    list of str
        Stage names in scorecard order, each once.

    Examples
    --------
    >>> card = pd.DataFrame({"stage": ["", "join", "join", "use"],
    ...     "significant": [True, True, True, False]})
    >>> moved_stages(card)
    ['join']
    """
    hit = card[card["significant"].astype(bool) & (card["stage"].fillna("") != "")]
    return list(dict.fromkeys(hit["stage"]))
