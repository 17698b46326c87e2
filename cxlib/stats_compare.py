"""Differences and significance tests: NPS differences, proportions, means, multiplicity.

Each test returns a tidy table whose ``estimate`` is the difference being tested, with
its ``ci_low``/``ci_high``, ``statistic`` and ``p_value`` (and ``p_adjusted`` where a family
of tests is run). Nothing is rounded.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable

import numpy as np
import pandas as pd
from scipy import stats as _sps

from cxlib._stats_common import (
    NpsParts,
    adjust,
    as_by_list,
    check_confidence,
    check_frame,
    check_method,
    check_min_n,
    fill_doc,
    make_groups,
    newcombe_diff,
    normal_p,
    nps_parts,
    nps_scores,
    nps_sums,
    pooled_z,
    safe_div,
    small_flag,
    weight_column,
    welch_parts,
)

__all__ = [
    "adjust_pvalues",
    "compare_nps",
    "nps_difference",
    "two_proportion_test",
    "welch_test",
]

_DIFF_NOTES = """The difference uses each side's own variance,
    :math:`SE = \\sqrt{V_a/n_a + V_b/n_b}` with :math:`V = p_P + p_D - (p_P - p_D)^2`,
    :math:`z = \\Delta / SE` and a normal two-sided p-value. With ``"adjusted_wald"`` both
    sides get the Rocks (2016) pseudo-counts (3 added to the base, 3/4 to promoters and to
    detractors) and the interval and test are built on the adjusted difference, so the
    interval excludes 0 exactly when ``p_value < 1 - confidence``; ``estimate`` remains
    the observed difference. With ``"wald"`` this is the two-sample test of the R package
    NPS (``nps_test``)."""


def _nps_diff(a: NpsParts, b: NpsParts, z: float, scale=1.0) -> dict[str, np.ndarray]:
    centre = a.centre - b.centre
    se = np.sqrt(a.var + b.var)
    stat = safe_div(centre, se)
    return {
        "estimate": 100.0 * scale * (a.estimate - b.estimate),
        "se": 100.0 * scale * se,
        "ci_low": np.clip(100.0 * scale * (centre - z * se), -200.0, 200.0),
        "ci_high": np.clip(100.0 * scale * (centre + z * se), -200.0, 200.0),
        "statistic": stat,
        "p_value": normal_p(stat),
    }


def _one_group_parts(data, score, weight, method) -> NpsParts:
    check_frame(data)
    s = nps_scores(data, score)
    w = weight_column(data, weight)
    return nps_parts(nps_sums(s, w, make_groups(data, [])), method)


@fill_doc
def nps_difference(
    a: pd.DataFrame,
    b: pd.DataFrame,
    *,
    score: Hashable = "nps",
    weight: Hashable | None = None,
    method: str = "adjusted_wald",
    confidence: float = 0.95,
    min_n: int = 30,
) -> pd.DataFrame:
    """Difference between two NPS values (two segments or two waves) with a z-test.

    Parameters
    ----------
    a, b : pandas.DataFrame
        The two independent sets of responses; the difference is ``a - b``.
    score : str, default "nps"
        Column of 0-10 answers in both tables.
    {weight}
    {method}
    {confidence}
    {min_n}

    Returns
    -------
    pandas.DataFrame
        One row: ``n_a``, ``n_b``, ``n_eff_a``, ``n_eff_b``, ``value_a``, ``value_b``
        (observed NPS, -100..100), ``estimate`` (``value_a - value_b``, NPS points),
        ``se``, ``ci_low``, ``ci_high`` (NPS points), ``statistic`` (z), ``p_value``
        (two-sided) and ``small_n`` (either side below ``min_n``).

    Raises
    ------
    TypeError
        If ``a`` or ``b`` is not a DataFrame.
    ValueError
        On unknown columns or invalid options.

    See Also
    --------
    compare_nps : every level of a column against a reference level.

    Notes
    -----
    {diff_notes}

    References
    ----------
    Rocks, B. (2016). Interval estimation for the "net promoter score". The American
    Statistician, 70(4), 365-372. doi:10.1080/00031305.2016.1158124

    Examples
    --------
    >>> import pandas as pd
    >>> a = pd.DataFrame({"nps": [10] * 60 + [8] * 20 + [3] * 20})
    >>> b = pd.DataFrame({"nps": [10] * 40 + [8] * 30 + [3] * 30})
    >>> out = nps_difference(a, b)
    >>> float(round(out.loc[0, "estimate"], 1)), float(round(out.loc[0, "p_value"], 3))
    (30.0, 0.01)
    """
    method = check_method(method)
    z = check_confidence(confidence)
    min_n = check_min_n(min_n)
    pa = _one_group_parts(a, score, weight, method)
    pb = _one_group_parts(b, score, weight, method)
    row = {
        "n_a": pa.n.astype(np.int64),
        "n_b": pb.n.astype(np.int64),
        "n_eff_a": pa.n_eff,
        "n_eff_b": pb.n_eff,
        "value_a": 100.0 * pa.estimate,
        "value_b": 100.0 * pb.estimate,
        **_nps_diff(pa, pb, z),
        "small_n": small_flag(pa.n_eff, min_n) | small_flag(pb.n_eff, min_n),
    }
    return pd.DataFrame(row)


nps_difference.__doc__ = nps_difference.__doc__.replace("{diff_notes}", _DIFF_NOTES)


@fill_doc
def compare_nps(
    data: pd.DataFrame,
    *,
    by: Hashable,
    reference: object = None,
    score: Hashable = "nps",
    weight: Hashable | None = None,
    method: str = "adjusted_wald",
    p_adjust: str = "holm",
    confidence: float = 0.95,
    min_n: int = 30,
) -> pd.DataFrame:
    """Compare the NPS of every level of ``by`` (e.g. each wave) with a reference level.

    Parameters
    ----------
    data : pandas.DataFrame
        Responses, one row each.
    by : str
        Column whose levels are compared (a wave, a channel).
    reference : object, optional
        The level everything is compared with; default the first level in sorted order
        (the baseline wave when waves sort chronologically).
    score : str, default "nps"
        Column of 0-10 answers.
    {weight}
    {method}
    p_adjust : {"holm", "fdr_bh", "bonferroni"}, default "holm"
        Multiplicity control across the comparisons.
    {confidence}
    {min_n}

    Returns
    -------
    pandas.DataFrame
        One row per non-reference level: the ``by`` column, ``reference`` (the reference
        level), ``n``, ``n_reference``, ``n_eff``, ``n_eff_reference``, ``value`` and
        ``reference_value`` (NPS, -100..100), ``estimate`` (``value - reference_value``),
        ``se``, ``ci_low``, ``ci_high``, ``statistic``, ``p_value``, ``p_adjusted`` and
        ``small_n``.

    Raises
    ------
    ValueError
        If ``reference`` is not a level of ``by`` or options are invalid.

    See Also
    --------
    nps_difference : the same test for two separate tables.
    segment_tests : each segment against the rest of the base.

    Notes
    -----
    Each comparison is :func:`nps_difference` of a level against the reference level;
    the p-values are then adjusted together with :func:`adjust_pvalues`.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"wave": ["Q1"] * 50 + ["Q2"] * 50,
    ...                    "nps": [10, 9, 7, 5, 2] * 10 + [10, 10, 9, 7, 5] * 10})
    >>> out = compare_nps(df, by="wave")
    >>> out[["wave", "reference"]].values.tolist(), float(round(out.loc[0, "estimate"], 1))
    ([['Q2', 'Q1']], 40.0)
    """
    check_frame(data)
    method = check_method(method)
    z = check_confidence(confidence)
    min_n = check_min_n(min_n)
    groups = make_groups(data, as_by_list(by))
    levels = groups.keys[by]
    ref_pos = 0 if reference is None else np.flatnonzero((levels == reference).to_numpy())
    if reference is not None and ref_pos.size == 0:
        raise ValueError(f"reference {reference!r} is not a level of {by!r}")
    ref = int(np.atleast_1d(ref_pos)[0])
    parts = nps_parts(
        nps_sums(nps_scores(data, score), weight_column(data, weight), groups), method
    )
    others = np.array([i for i in range(groups.k) if i != ref], dtype=np.intp)
    sel = _select(parts, others)
    base = _select(parts, np.full(others.size, ref, dtype=np.intp))
    diff = _nps_diff(sel, base, z)
    out = pd.DataFrame({by: levels.to_numpy()[others], "reference": levels.iloc[ref]})
    out = out.assign(
        n=sel.n.astype(np.int64),
        n_reference=base.n.astype(np.int64),
        n_eff=sel.n_eff,
        n_eff_reference=base.n_eff,
        value=100.0 * sel.estimate,
        reference_value=100.0 * base.estimate,
        **diff,
        p_adjusted=adjust(diff["p_value"], p_adjust),
        small_n=small_flag(sel.n_eff, min_n) | small_flag(base.n_eff, min_n),
    )
    return out


def _select(parts: NpsParts, idx: np.ndarray) -> NpsParts:
    return NpsParts(*(getattr(parts, f)[idx] for f in NpsParts.__dataclass_fields__))


def two_proportion_test(
    count_a: float | Iterable[float],
    n_a: float | Iterable[float],
    count_b: float | Iterable[float],
    n_b: float | Iterable[float],
    *,
    confidence: float = 0.95,
) -> pd.DataFrame:
    r"""Compare two proportions (e.g. top-box shares) with a z-test and Newcombe interval.

    Parameters
    ----------
    count_a, n_a : float or array-like
        Successes and base of the first group (weighted counts and effective bases are
        accepted).
    count_b, n_b : float or array-like
        Successes and base of the second group.
    confidence : float, default 0.95
        Confidence level of the interval of the difference.

    Returns
    -------
    pandas.DataFrame
        One row per comparison (arrays broadcast): ``n_a``, ``n_b``, ``p_a``, ``p_b``
        (shares, 0..1), ``estimate`` (``p_a - p_b``), ``se`` (unpooled), ``ci_low``,
        ``ci_high`` (Newcombe hybrid score interval), ``statistic`` (pooled z) and
        ``p_value`` (two-sided).

    Raises
    ------
    ValueError
        If a base is not positive or a count is outside ``[0, n]``.

    See Also
    --------
    cxlib.stats.top_box : the shares themselves.

    Notes
    -----
    :math:`z = (p_a - p_b)/\sqrt{\bar p(1-\bar p)(1/n_a + 1/n_b)}` with the pooled share
    :math:`\bar p`, as statsmodels ``proportions_ztest`` (checked against it). The
    interval is Newcombe's method 10, built from the two Wilson intervals (checked
    against statsmodels ``confint_proportions_2indep(method="newcomb")`` and Newcombe's
    Table II).

    References
    ----------
    Newcombe, R. G. (1998). Interval estimation for the difference between independent
    proportions: comparison of eleven methods. Statistics in Medicine, 17(8), 873-890.
    doi:10.1002/(SICI)1097-0258(19980430)17:8<873::AID-SIM779>3.0.CO;2-I

    Examples
    --------
    >>> out = two_proportion_test(56, 70, 48, 80)
    >>> float(round(out.loc[0, "ci_low"], 4)), float(round(out.loc[0, "ci_high"], 4))
    (0.0524, 0.3339)
    """
    z = check_confidence(confidence)
    ca, na, cb, nb = np.broadcast_arrays(
        *(np.atleast_1d(np.asarray(x, dtype=float)) for x in (count_a, n_a, count_b, n_b))
    )
    if np.any(~(na > 0)) or np.any(~(nb > 0)):
        raise ValueError("bases n_a and n_b must be positive")
    if np.any((ca < 0) | (ca > na) | (cb < 0) | (cb > nb)):
        raise ValueError("counts must lie between 0 and their base")
    pa, pb = ca / na, cb / nb
    low, high = newcombe_diff(pa, na, pb, nb, z)
    stat = pooled_z(pa, na, pb, nb)
    return pd.DataFrame(
        {
            "n_a": na,
            "n_b": nb,
            "p_a": pa,
            "p_b": pb,
            "estimate": pa - pb,
            "se": np.sqrt(pa * (1 - pa) / na + pb * (1 - pb) / nb),
            "ci_low": low,
            "ci_high": high,
            "statistic": stat,
            "p_value": normal_p(stat),
        }
    )


def welch_test(
    a: Iterable[float], b: Iterable[float], *, confidence: float = 0.95
) -> pd.DataFrame:
    r"""Welch's t-test for the difference of two means (unequal variances).

    Parameters
    ----------
    a, b : array-like of float
        The two samples (e.g. CES answers of two segments); NaN values are dropped.
    confidence : float, default 0.95
        Confidence level of the interval of the difference.

    Returns
    -------
    pandas.DataFrame
        One row: ``n_a``, ``n_b``, ``mean_a``, ``mean_b``, ``estimate``
        (``mean_a - mean_b``), ``se``, ``df`` (Welch-Satterthwaite), ``statistic`` (t),
        ``ci_low``, ``ci_high`` and ``p_value`` (two-sided).

    Raises
    ------
    ValueError
        If either sample has fewer than two values.

    See Also
    --------
    cxlib.stats.mean_ci : the means themselves.

    Notes
    -----
    :math:`t = (\bar a - \bar b)/\sqrt{s_a^2/n_a + s_b^2/n_b}` with Welch-Satterthwaite
    degrees of freedom. Checked against ``scipy.stats.ttest_ind(a, b, equal_var=False)``
    and its ``confidence_interval``.

    References
    ----------
    Welch, B. L. (1947). The generalization of "Student's" problem when several different
    population variances are involved. Biometrika, 34(1-2), 28-35.
    doi:10.1093/biomet/34.1-2.28

    Examples
    --------
    >>> out = welch_test([3, 4, 5, 4, 3], [5, 6, 7, 6, 6, 7])
    >>> float(round(out.loc[0, "estimate"], 3)), float(round(out.loc[0, "p_value"], 4))
    (-2.367, 0.0011)
    """
    check_confidence(confidence)
    xa = np.asarray(list(a) if not isinstance(a, np.ndarray) else a, dtype=float)
    xb = np.asarray(list(b) if not isinstance(b, np.ndarray) else b, dtype=float)
    xa, xb = xa[~np.isnan(xa)], xb[~np.isnan(xb)]
    if xa.size < 2 or xb.size < 2:
        raise ValueError("each sample needs at least two non-missing values")
    est, se, df = welch_parts(
        xa.mean(), xa.var(ddof=1), xa.size, xb.mean(), xb.var(ddof=1), xb.size
    )
    return _t_row(
        {"n_a": xa.size, "n_b": xb.size, "mean_a": xa.mean(), "mean_b": xb.mean()},
        est,
        se,
        df,
        confidence,
    )


def _t_row(head: dict, est, se, df, confidence: float) -> pd.DataFrame:
    stat = safe_div(est, se)
    with np.errstate(invalid="ignore"):
        tq = _sps.t.ppf(0.5 + confidence / 2.0, df)
        p = 2.0 * _sps.t.sf(np.abs(stat), df)
    cols = {**head, "estimate": est, "se": se, "df": df, "statistic": stat}
    cols.update(ci_low=est - tq * se, ci_high=est + tq * se, p_value=p)
    return pd.DataFrame({k: np.atleast_1d(v) for k, v in cols.items()})


def adjust_pvalues(p: Iterable[float] | pd.Series, *, method: str = "holm"):
    r"""Adjust a family of p-values for multiple comparisons.

    Parameters
    ----------
    p : array-like or pandas.Series
        The p-values; NaN entries stay NaN and do not count towards the family size.
    method : {"holm", "fdr_bh", "bonferroni"}, default "holm"
        Holm's step-down (controls the family-wise error rate), Benjamini-Hochberg
        (controls the false discovery rate) or Bonferroni.

    Returns
    -------
    numpy.ndarray or pandas.Series
        Adjusted p-values in the input order (a Series keeps its index), capped at 1.

    Raises
    ------
    ValueError
        On an unknown method or p-values outside [0, 1].

    Notes
    -----
    With sorted p-values :math:`p_{(1)} \le \dots \le p_{(m)}`: Holm
    :math:`\max_{j \le i} \min(1, (m - j + 1) p_{(j)})`; Benjamini-Hochberg
    :math:`\min_{j \ge i} \min(1, m p_{(j)} / j)`. Checked against statsmodels
    ``multipletests``.

    References
    ----------
    Holm, S. (1979). A simple sequentially rejective multiple test procedure.
    Scandinavian Journal of Statistics, 6(2), 65-70.

    Benjamini, Y., & Hochberg, Y. (1995). Controlling the false discovery rate.
    Journal of the Royal Statistical Society B, 57(1), 289-300.
    doi:10.1111/j.2517-6161.1995.tb02031.x

    Examples
    --------
    >>> adjust_pvalues([0.01, 0.04, 0.03]).round(3).tolist()
    [0.03, 0.06, 0.06]
    >>> adjust_pvalues([0.01, 0.04, 0.03], method="fdr_bh").round(3).tolist()
    [0.03, 0.04, 0.04]
    """
    arr = np.asarray(p.to_numpy() if isinstance(p, pd.Series) else list(p), dtype=float)
    if np.any((arr < 0) | (arr > 1)):
        raise ValueError("p-values must lie in [0, 1]")
    out = adjust(arr, method)
    return pd.Series(out, index=p.index, name=p.name) if isinstance(p, pd.Series) else out
