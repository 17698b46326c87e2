"""Survey metrics with their uncertainty: NPS, top-box shares and means.

Every function takes a responses table, returns one tidy row per group with ``n``,
``n_eff``, ``estimate``, ``ci_low``, ``ci_high``, ``se`` and ``small_n``, and never rounds.
Comparisons and tests live in :mod:`cxlib.stats_compare`, sample sizes in
:mod:`cxlib.stats_power` and control limits in :mod:`cxlib.stats_spc`; they are re-exported
here so notebooks can call everything as ``stats.<name>``.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence

import numpy as np
import pandas as pd
from scipy import stats as _sps

from cxlib._stats_common import (
    InvalidDataError,
    as_by_list,
    check_columns,
    check_confidence,
    check_frame,
    check_method,
    check_min_n,
    fill_doc,
    kish,
    make_groups,
    nps_parts,
    nps_scores,
    nps_sums,
    numeric_column,
    safe_div,
    small_flag,
    weight_column,
    wilson,
)
from cxlib.stats_compare import (
    adjust_pvalues,
    compare_nps,
    nps_difference,
    two_proportion_test,
    welch_test,
)
from cxlib.stats_power import sample_size_mean, sample_size_nps, sample_size_proportion
from cxlib.stats_segments import segment_tests
from cxlib.stats_spc import nps_control_limits, p_chart

__all__ = [
    "InvalidDataError",
    "adjust_pvalues",
    "compare_nps",
    "mean_ci",
    "nps",
    "nps_control_limits",
    "nps_difference",
    "p_chart",
    "sample_size_mean",
    "sample_size_nps",
    "sample_size_proportion",
    "segment_tests",
    "top_box",
    "two_proportion_test",
    "welch_test",
]


def _with_keys(keys: pd.DataFrame, columns: dict[str, np.ndarray]) -> pd.DataFrame:
    out = keys.copy()
    for name, values in columns.items():
        out[name] = values
    return out


@fill_doc
def nps(
    data: pd.DataFrame,
    *,
    score: Hashable = "nps",
    by: Hashable | Sequence[Hashable] | None = None,
    weight: Hashable | None = None,
    method: str = "adjusted_wald",
    confidence: float = 0.95,
    min_n: int = 30,
) -> pd.DataFrame:
    """Net Promoter Score with a confidence interval, overall or per group.

    The share of promoters (9-10) minus the share of detractors (0-6), on the familiar
    -100..100 scale, with the interval a reader needs to judge whether two scores really
    differ. Missing scores are left out; ``n`` counts the responses that have a score.

    Parameters
    ----------
    data : pandas.DataFrame
        Responses, one row each.
    score : str, default "nps"
        Column of 0-10 likelihood-to-recommend answers (whole numbers, NaN allowed).
    {by}
    {weight}
    {method}
    {confidence}
    {min_n}

    Returns
    -------
    pandas.DataFrame
        One row per group: the ``by`` columns, then

        - ``n``: responses with a score (int);
        - ``n_eff``: effective base (equals ``n`` without weights);
        - ``promoters``, ``passives``, ``detractors``: (weighted) shares, 0..1;
        - ``estimate``: observed NPS, -100..100;
        - ``ci_low``, ``ci_high``: interval bounds, -100..100 (clipped to that range);
        - ``se``: standard error of the interval centre, NPS points;
        - ``small_n``: True when ``n_eff < min_n``.

    Raises
    ------
    TypeError
        If ``data`` is not a DataFrame.
    ValueError
        On unknown columns or invalid options.
    InvalidDataError
        If a score is outside 0-10 or fractional, or a weight is missing or negative.

    See Also
    --------
    cxlib.stats_compare.nps_difference : difference of two NPS values with a test.

    Notes
    -----
    With shares :math:`p_P`, :math:`p_D` on base :math:`n` the Wald variance of the NPS
    (on the -1..1 scale) is :math:`(p_P + p_D - (p_P - p_D)^2)/n`. The adjusted Wald
    interval (Rocks 2016, the best of the methods compared there) first sets
    :math:`n' = n + 3`, :math:`p'_P = (n p_P + 3/4)/n'`, :math:`p'_D = (n p_D + 3/4)/n'`
    and centres the interval on :math:`p'_P - p'_D` with the Wald variance evaluated at
    the adjusted values. ``estimate`` stays the observed NPS, so for very small bases the
    interval is visibly pulled towards 0 (and may not contain the estimate): such rows
    are flagged ``small_n``. With weights, shares are weighted and Kish's effective size
    replaces :math:`n` (pseudo-counts are added to :math:`n_{eff}`). A group whose
    scores are all missing has ``n = 0`` and NaN statistics.

    Checked against an independent NumPy computation on explicit counts, the plain Wald
    formula of the R package NPS (``nps_var``) and hand-computed weighted examples.

    References
    ----------
    Rocks, B. (2016). Interval estimation for the "net promoter score". The American
    Statistician, 70(4), 365-372. doi:10.1080/00031305.2016.1158124 (arXiv:1601.07235).

    Kish, L. (1965). Survey Sampling. New York: Wiley.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"nps": [10, 9, 8, 6, 10, 3], "region": list("AABBBB")})
    >>> out = nps(df)
    >>> float(round(out.loc[0, "estimate"], 1)), int(out.loc[0, "n"])
    (16.7, 6)
    >>> nps(df, by="region")["estimate"].round(1).tolist()
    [100.0, -25.0]
    """
    check_frame(data)
    check_method(method)
    z = check_confidence(confidence)
    min_n = check_min_n(min_n)
    s = nps_scores(data, score)
    w = weight_column(data, weight)
    groups = make_groups(data, as_by_list(by))
    parts = nps_parts(nps_sums(s, w, groups), method)
    se = np.sqrt(parts.var)
    return _with_keys(
        groups.keys,
        {
            "n": parts.n.astype(np.int64),
            "n_eff": parts.n_eff,
            "promoters": parts.p_pro,
            "passives": parts.p_pas,
            "detractors": parts.p_det,
            "estimate": 100.0 * parts.estimate,
            "ci_low": np.clip(100.0 * (parts.centre - z * se), -100.0, 100.0),
            "ci_high": np.clip(100.0 * (parts.centre + z * se), -100.0, 100.0),
            "se": 100.0 * se,
            "small_n": small_flag(parts.n_eff, min_n),
        },
    )


@fill_doc
def top_box(
    data: pd.DataFrame,
    *,
    score: Hashable = "csat",
    top: Iterable[float] = (4, 5),
    by: Hashable | Sequence[Hashable] | None = None,
    weight: Hashable | None = None,
    confidence: float = 0.95,
    min_n: int = 30,
) -> pd.DataFrame:
    r"""Share of answers in the top box (e.g. CSAT 4-5) with a Wilson interval.

    The proportion of responses giving one of the ``top`` values, the usual way CSAT
    is reported, with an interval that stays sensible for small groups and for shares
    near 0 or 1.

    Parameters
    ----------
    data : pandas.DataFrame
        Responses, one row each.
    score : str, default "csat"
        Column holding the rating (NaN allowed and ignored).
    top : iterable of numbers, default (4, 5)
        The scale points that count as the top box.
    {by}
    {weight}
    {confidence}
    {min_n}

    Returns
    -------
    pandas.DataFrame
        One row per group: the ``by`` columns, then ``n`` (answers), ``n_eff``,
        ``estimate`` (top-box share, 0..1), ``ci_low``, ``ci_high`` (Wilson bounds,
        0..1), ``se`` (``sqrt(p(1-p)/n_eff)``, share units) and ``small_n``.

    Raises
    ------
    TypeError
        If ``data`` is not a DataFrame.
    ValueError
        On unknown columns, an empty ``top`` or invalid options.
    InvalidDataError
        If the score column is not numeric or a weight is missing or negative.

    See Also
    --------
    cxlib.stats_compare.two_proportion_test : compare two shares.

    Notes
    -----
    Wilson's interval for share :math:`p` on base :math:`n` is
    :math:`\frac{p + z^2/2n \pm z\sqrt{p(1-p)/n + z^2/4n^2}}{1 + z^2/n}`. With weights
    :math:`p` is the weighted share and :math:`n` is Kish's effective size. Checked
    against statsmodels ``proportion_confint(count, nobs, method="wilson")``.

    References
    ----------
    Wilson, E. B. (1927). Probable inference, the law of succession, and statistical
    inference. Journal of the American Statistical Association, 22(158), 209-212.
    doi:10.1080/01621459.1927.10502953

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"csat": [5, 4, 3, 5, 2, 4, 5, 1]})
    >>> out = top_box(df)
    >>> float(round(out.loc[0, "estimate"], 3)), float(round(out.loc[0, "ci_low"], 3))
    (0.625, 0.306)
    """
    check_frame(data)
    z = check_confidence(confidence)
    min_n = check_min_n(min_n)
    top_values = np.asarray(list(top), dtype=float)
    if top_values.size == 0:
        raise ValueError("top must name at least one scale point")
    check_columns(data, [score])
    s = numeric_column(data, score, "rating")
    w = weight_column(data, weight)
    groups = make_groups(data, as_by_list(by))
    valid = ~np.isnan(s)
    wv = valid.astype(float) if w is None else np.where(valid, w, 0.0)
    sw, sw2 = groups.sum(wv), groups.sum(wv * wv)
    n_eff = kish(sw, sw2)
    p = safe_div(groups.sum(np.where(np.isin(s, top_values), wv, 0.0)), sw)
    low, high = wilson(p, n_eff, z)
    return _with_keys(
        groups.keys,
        {
            "n": groups.sum(valid.astype(float)).astype(np.int64),
            "n_eff": n_eff,
            "estimate": p,
            "ci_low": low,
            "ci_high": high,
            "se": np.sqrt(safe_div(p * (1.0 - p), n_eff)),
            "small_n": small_flag(n_eff, min_n),
        },
    )


@fill_doc
def mean_ci(
    data: pd.DataFrame,
    *,
    score: Hashable = "ces",
    by: Hashable | Sequence[Hashable] | None = None,
    weight: Hashable | None = None,
    confidence: float = 0.95,
    min_n: int = 30,
) -> pd.DataFrame:
    r"""Mean score (e.g. CES 1-7) with a t interval, overall or per group.

    Parameters
    ----------
    data : pandas.DataFrame
        Responses, one row each.
    score : str, default "ces"
        Numeric column to average (NaN allowed and ignored).
    {by}
    {weight}
    {confidence}
    {min_n}

    Returns
    -------
    pandas.DataFrame
        One row per group: the ``by`` columns, then ``n``, ``n_eff``, ``estimate``
        (mean, scale units), ``ci_low``, ``ci_high``, ``se``, ``sd`` (standard deviation
        of single answers) and ``small_n``.

    Raises
    ------
    TypeError
        If ``data`` is not a DataFrame.
    ValueError
        On unknown columns or invalid options.
    InvalidDataError
        If the score column is not numeric or a weight is missing or negative.

    See Also
    --------
    cxlib.stats_compare.welch_test : compare two means.

    Notes
    -----
    Unweighted: :math:`\bar x \pm t_{n-1} s/\sqrt n`. Weighted: the weighted mean
    :math:`\bar x_w = \sum w x / \sum w`, the weighted variance
    :math:`s_w^2 = \frac{n_{eff}}{n_{eff} - 1} \sum w (x - \bar x_w)^2 / \sum w`
    (which equals :math:`s^2` for equal weights), :math:`SE = s_w / \sqrt{n_{eff}}` and
    :math:`n_{eff} - 1` degrees of freedom. Groups with fewer than two answers get NaN
    intervals. The deviations are taken from each group's mean (two passes), so large
    bases stay accurate. Checked against ``scipy.stats.t.interval`` and hand-computed
    weighted examples.

    References
    ----------
    Kish, L. (1965). Survey Sampling. New York: Wiley.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"ces": [2.0, 3.0, 4.0, 5.0, 6.0]})
    >>> out = mean_ci(df)
    >>> float(round(out.loc[0, "estimate"], 2)), float(round(out.loc[0, "ci_high"], 3))
    (4.0, 5.963)
    """
    check_frame(data)
    check_confidence(confidence)
    min_n = check_min_n(min_n)
    check_columns(data, [score])
    x = numeric_column(data, score, "score")
    w = weight_column(data, weight)
    groups = make_groups(data, as_by_list(by))
    valid = ~np.isnan(x)
    wv = valid.astype(float) if w is None else np.where(valid, w, 0.0)
    x0 = np.where(valid, x, 0.0)
    sw, sw2 = groups.sum(wv), groups.sum(wv * wv)
    mean = safe_div(groups.sum(wv * x0), sw)
    dev = np.where(valid, x0 - mean[groups.codes], 0.0) if groups.k else x0
    n_eff = kish(sw, sw2)
    var = safe_div(groups.sum(wv * dev * dev), sw) * safe_div(n_eff, n_eff - 1.0)
    var = np.where(n_eff > 1.0, var, np.nan)
    se = np.sqrt(safe_div(var, n_eff))
    with np.errstate(invalid="ignore"):
        t = _sps.t.ppf(0.5 + confidence / 2.0, n_eff - 1.0)
    return _with_keys(
        groups.keys,
        {
            "n": groups.sum(valid.astype(float)).astype(np.int64),
            "n_eff": n_eff,
            "estimate": mean,
            "ci_low": mean - t * se,
            "ci_high": mean + t * se,
            "se": se,
            "sd": np.sqrt(var),
            "small_n": small_flag(n_eff, min_n),
        },
    )
