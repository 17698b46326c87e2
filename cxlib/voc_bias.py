"""Response bias: whether the survey sample looks like the customer base.

Compares the responses (each carrying its customer's profile) with all customers on
categorical profile columns (region, channel) and numeric ones (tenure, value), with
standardized differences as the measure of size and a test for each column, before and
after survey weights.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as _sps

from cxlib._stats_common import adjust, check_confidence, check_frame, kish, weight_column

__all__ = ["BiasCheck", "response_bias"]


def _plain(value: Any) -> Any:
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return None if np.isnan(value) else float(value)
    if value is pd.NA or value is None:
        return None
    return value


@dataclass(frozen=True, eq=False)
class BiasCheck:
    """Result of :func:`response_bias`.

    Attributes
    ----------
    levels : pandas.DataFrame
        One row per categorical level and per numeric column: ``variable``, ``kind``
        (``"categorical"`` or ``"numeric"``), ``level`` (None for numeric), ``base_value``
        (share of customers 0..1, or mean), ``sample_value`` (share or mean among
        responses), ``sample_value_weighted``, ``std_diff``, ``std_diff_weighted``,
        ``material``, ``material_weighted``.
    variables : pandas.DataFrame
        One row per profile column: ``variable``, ``kind``, ``n`` (responses with a
        value), ``n_eff``, ``n_base`` (customers with a value), ``statistic`` (chi-square
        or t), ``df``, ``p_value``, ``p_adjusted`` (across columns), ``statistic_weighted``,
        ``p_value_weighted``, ``max_abs_std_diff``, ``max_abs_std_diff_weighted``,
        ``material``, ``material_weighted``, ``corrected``.
    material : bool
        Whether any column shows a material difference (unweighted).
    weighted : bool
        Whether survey weights were given.
    corrected : bool or None
        With weights: True when every material difference falls below the threshold once
        weighted. None without weights.
    threshold : float
        Absolute standardized difference from which a difference counts as material.
    n_unmatched : int
        Responses whose customer is not in the customer table (left out).
    """

    levels: pd.DataFrame
    variables: pd.DataFrame
    material: bool
    weighted: bool
    corrected: bool | None
    threshold: float
    n_unmatched: int

    def to_dict(self) -> dict[str, Any]:
        """Return the result as plain Python types (NaN as None), ready for JSON."""
        out = {
            k: _plain(getattr(self, k))
            for k in ("material", "weighted", "corrected", "threshold", "n_unmatched")
        }
        for name in ("variables", "levels"):
            frame = getattr(self, name)
            out[name] = [{k: _plain(v) for k, v in r.items()} for r in frame.to_dict("records")]
        return out


def _std_diff_prop(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    den = np.sqrt((p * (1 - p) + q * (1 - q)) / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, (p - q) / np.where(den > 0, den, 1.0), 0.0)


def _chi2(share: np.ndarray, base: np.ndarray, n: float) -> tuple[float, float]:
    """Goodness-of-fit chi-square of ``n`` answers with ``share`` against ``base`` shares."""
    keep = base > 0
    stat = float(n * np.sum((share[keep] - base[keep]) ** 2 / base[keep]))
    df = int(keep.sum()) - 1
    return stat, float(_sps.chi2.sf(stat, df)) if df > 0 else np.nan


def _categorical(name, sample, base, w):
    ok_s, ok_b = sample.notna().to_numpy(), base.notna().to_numpy()
    b_codes, levels = pd.factorize(base[ok_b], sort=True)
    s_codes = pd.Categorical(sample[ok_s], categories=levels).codes
    k = len(levels)
    b_share = np.bincount(b_codes, minlength=k) / max(len(b_codes), 1)
    s_share = np.bincount(s_codes[s_codes >= 0], minlength=k) / max(len(s_codes), 1)
    ws = w[ok_s] if w is not None else np.ones(int(ok_s.sum()))
    n_eff = float(kish(np.array([ws.sum()]), np.array([(ws**2).sum()]))[0])
    w_share = np.bincount(s_codes[s_codes >= 0], weights=ws[s_codes >= 0], minlength=k)
    w_share = w_share / ws.sum() if ws.sum() > 0 else w_share * np.nan
    stat, p = _chi2(s_share, b_share, len(s_codes))
    stat_w, p_w = _chi2(w_share, b_share, n_eff)
    levels_df = pd.DataFrame(
        {
            "variable": name,
            "kind": "categorical",
            "level": [str(v) for v in levels],
            "base_value": b_share,
            "sample_value": s_share,
            "sample_value_weighted": w_share,
            "std_diff": _std_diff_prop(s_share, b_share),
            "std_diff_weighted": _std_diff_prop(w_share, b_share),
        }
    )
    test = {"n": int(ok_s.sum()), "n_eff": n_eff, "n_base": int(ok_b.sum()), "statistic": stat}
    test.update(
        df=float(max(k - 1, 0)), p_value=p, statistic_weighted=stat_w, p_value_weighted=p_w
    )
    return levels_df, test


def _numeric(name, sample, base, w):
    x = sample.to_numpy(dtype=float, na_value=np.nan)
    b = base.to_numpy(dtype=float, na_value=np.nan)
    ok, b = ~np.isnan(x), b[~np.isnan(b)]
    x = x[ok]
    ws = w[ok] if w is not None else np.ones(len(x))
    big_m, big_s = b.mean(), b.std(ddof=1)
    m, s = x.mean(), x.std(ddof=1)
    n_eff = float(kish(np.array([ws.sum()]), np.array([(ws**2).sum()]))[0])
    mw = float(ws @ x / ws.sum())
    sw = np.sqrt(float(ws @ (x - mw) ** 2 / ws.sum()) * n_eff / (n_eff - 1))
    pooled, pooled_w = np.sqrt((s**2 + big_s**2) / 2), np.sqrt((sw**2 + big_s**2) / 2)
    t, t_w = (m - big_m) / (s / np.sqrt(len(x))), (mw - big_m) / (sw / np.sqrt(n_eff))
    levels_df = pd.DataFrame(
        {
            "variable": [name],
            "kind": "numeric",
            "level": [None],
            "base_value": [big_m],
            "sample_value": [m],
            "sample_value_weighted": [mw],
            "std_diff": [(m - big_m) / pooled if pooled > 0 else 0.0],
            "std_diff_weighted": [(mw - big_m) / pooled_w if pooled_w > 0 else 0.0],
        }
    )
    test = {"n": len(x), "n_eff": n_eff, "n_base": len(b), "statistic": t, "df": len(x) - 1.0}
    test.update(
        p_value=2 * _sps.t.sf(abs(t), len(x) - 1),
        statistic_weighted=t_w,
        p_value_weighted=2 * _sps.t.sf(abs(t_w), n_eff - 1),
    )
    return levels_df, test


def response_bias(
    responses: pd.DataFrame,
    customers: pd.DataFrame,
    *,
    customer_id: Hashable = "customer_id",
    categorical: Sequence[Hashable] = ("region", "primary_channel"),
    numeric: Sequence[Hashable] = ("tenure_months", "annual_revenue"),
    weight: Hashable | None = None,
    threshold: float = 0.1,
    p_adjust: str = "holm",
    confidence: float = 0.95,
) -> BiasCheck:
    r"""Check whether respondents differ from the customer base, before and after weights.

    A survey answered mostly by long-standing, high-value customers in one region
    describes them, not the base. This compares the responses, each carrying its
    customer's profile, with every customer in the base.

    Parameters
    ----------
    responses : pandas.DataFrame
        Survey responses with a customer id (and optionally a weight).
    customers : pandas.DataFrame
        The customer base, one row per customer, with the profile columns.
    customer_id : str, default "customer_id"
        Key shared by both tables.
    categorical : sequence of str, default ("region", "primary_channel")
        Categorical profile columns of ``customers``; those absent are skipped.
    numeric : sequence of str, default ("tenure_months", "annual_revenue")
        Numeric profile columns of ``customers``; those absent are skipped.
    weight : str, optional
        Survey weight column of ``responses``.
    threshold : float, default 0.1
        Absolute standardized difference from which a difference is material.
    p_adjust : {"holm", "fdr_bh", "bonferroni"}, default "holm"
        Multiplicity control across profile columns.
    confidence : float, default 0.95
        Confidence level (the tests' significance level is ``1 - confidence``).

    Returns
    -------
    BiasCheck
        Per-level and per-column tables, and whether bias is material and corrected.

    Raises
    ------
    TypeError
        If either table is not a DataFrame.
    ValueError
        If ``customer_id`` is missing from either table or ``threshold`` is not positive.

    Notes
    -----
    Each response counts once (a customer answering twice counts twice), since every
    response enters the survey's estimates. Responses whose customer is not in the base
    are left out and counted in ``n_unmatched``.

    Size: the standardized difference (Austin 2009). For a level with sample share
    :math:`p` and base share :math:`P`, :math:`d = (p - P)/\sqrt{(p(1-p) + P(1-P))/2}`;
    for a numeric column :math:`d = (m - M)/\sqrt{(s^2 + S^2)/2}` with sample and base
    means and standard deviations. :math:`|d| \ge 0.1` is the usual mark of an imbalance
    that matters. Weighted values use weighted shares, means and variances.

    Tests, the base being known: a chi-square goodness-of-fit test of the sample's level
    counts against the base shares (:math:`\chi^2 = n \sum_l (p_l - P_l)^2 / P_l`,
    :math:`L - 1` degrees of freedom; checked against ``scipy.stats.chisquare``) and a
    one-sample t-test of the sample mean against the base mean. Weighted tests replace
    :math:`n` by Kish's effective size :math:`n_{eff} = (\sum w)^2/\sum w^2`, the
    first-order design-effect correction. Since respondents are part of the base, the
    tests are conservative when they are a large share of it. A column is ``corrected``
    when it is material unweighted and not once weighted.

    References
    ----------
    Austin, P. C. (2009). Balance diagnostics for comparing the distribution of baseline
    covariates between treatment groups in propensity-score matched samples. Statistics
    in Medicine, 28(25), 3083-3107. doi:10.1002/sim.3697

    Kish, L. (1965). Survey Sampling. New York: Wiley.

    Examples
    --------
    >>> import pandas as pd
    >>> cust = pd.DataFrame({"customer_id": range(8), "region": list("NNNNSSSS")})
    >>> resp = pd.DataFrame({"customer_id": [0, 1, 2, 3, 4], "w": [0.625] * 4 + [2.5]})
    >>> out = response_bias(resp, cust, numeric=(), weight="w")
    >>> out.material, out.corrected
    (True, True)
    >>> out.levels["sample_value"].round(2).tolist()
    [0.8, 0.2]
    """
    check_frame(responses, "responses")
    check_frame(customers, "customers")
    check_confidence(confidence)
    if not isinstance(threshold, int | float) or isinstance(threshold, bool) or threshold <= 0:
        raise ValueError(f"threshold must be a positive number, got {threshold!r}")
    for frame, label in ((responses, "responses"), (customers, "customers")):
        if customer_id not in frame.columns:
            raise ValueError(f"{label} has no {customer_id!r} column")
    cats = [c for c in categorical if c in customers.columns]
    nums = [c for c in numeric if c in customers.columns]
    base = customers.drop_duplicates(customer_id)
    pos = pd.Index(base[customer_id]).get_indexer(responses[customer_id])
    matched = pos >= 0
    w = weight_column(responses, weight)
    w = None if w is None else w[matched]
    rows = base.iloc[pos[matched]]
    parts, tests = [], []
    for name in [*cats, *nums]:
        fn = _categorical if name in cats else _numeric
        lv, test = fn(name, rows[name], base[name], w)
        parts.append(lv)
        tests.append({"variable": name, "kind": lv["kind"].iloc[0], **test})
    return _assemble(parts, tests, threshold, p_adjust, w is not None, int((~matched).sum()))


def _assemble(parts, tests, threshold, p_adjust, weighted, n_unmatched) -> BiasCheck:
    columns = ["variable", "kind", "level", "base_value", "sample_value"]
    columns += ["sample_value_weighted", "std_diff", "std_diff_weighted"]
    levels = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)
    levels["material"] = levels["std_diff"].abs() >= threshold
    levels["material_weighted"] = levels["std_diff_weighted"].abs() >= threshold
    variables = pd.DataFrame(tests)
    if len(variables):
        variables.insert(
            variables.columns.get_loc("p_value") + 1,
            "p_adjusted",
            adjust(variables["p_value"].to_numpy(dtype=float), p_adjust),
        )
        size = levels[["std_diff", "std_diff_weighted"]].abs().groupby(levels["variable"]).max()
        size = size.reindex(variables["variable"])
        variables["max_abs_std_diff"] = size["std_diff"].to_numpy()
        variables["max_abs_std_diff_weighted"] = size["std_diff_weighted"].to_numpy()
        variables["material"] = variables["max_abs_std_diff"] >= threshold
        variables["material_weighted"] = variables["max_abs_std_diff_weighted"] >= threshold
        variables["corrected"] = variables["material"] & ~variables["material_weighted"]
    material = bool(len(variables) and variables["material"].any())
    corrected = None
    if weighted:
        corrected = bool(material and not variables["material_weighted"].any())
    return BiasCheck(
        levels=levels,
        variables=variables,
        material=material,
        weighted=weighted,
        corrected=corrected,
        threshold=float(threshold),
        n_unmatched=n_unmatched,
    )
