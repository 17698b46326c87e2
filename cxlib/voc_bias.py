"""Response bias: whether the survey sample looks like the customer base.

Compares the responses (each carrying its customer's profile) with all customers on
categorical profile columns (region, channel) and numeric ones (tenure, value), with
standardized differences as the measure of size and a test for each column, before and
after survey weights; and offers raking weights (:func:`rake`) that match the base's
margins when the sample is biased.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as _sps

from cxlib._stats_common import adjust, check_confidence, check_frame, kish, weight_column

__all__ = ["BiasCheck", "RakingResult", "rake", "response_bias"]


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


@dataclass(frozen=True, eq=False)
class RakingResult:
    r"""Result of :func:`rake`.

    Attributes
    ----------
    weights : pandas.Series
        Raked weights, same index as the responses, mean 1.
    margins : pandas.DataFrame
        One row per variable and level: ``variable``, ``level``, ``target`` (base share),
        ``before`` (share with the starting weights), ``achieved`` (share with the raked
        weights), ``difference`` (``achieved - target``).
    variables : tuple of str
        The columns raked on.
    converged : bool
        Whether every margin is within ``tol`` of its target at the end.
    iterations : int
        Raking sweeps run in total (over all trimming rounds).
    max_abs_error : float
        Largest ``|achieved - target|``.
    n : int
        Responses.
    n_eff : float
        Kish effective sample size of the raked weights, :math:`(\sum w)^2/\sum w^2`.
    design_effect : float
        Kish design effect of weighting, ``n / n_eff``.
    n_trimmed : int
        Final weights at the cap.
    cap : float
        The cap, as a multiple of the mean weight.
    """

    weights: pd.Series
    margins: pd.DataFrame
    variables: tuple[str, ...]
    converged: bool
    iterations: int
    max_abs_error: float
    n: int
    n_eff: float
    design_effect: float
    n_trimmed: int
    cap: float

    def to_dict(self) -> dict[str, Any]:
        """Return the summary and margins as plain Python types (weights left out)."""
        out = {
            k: _plain(getattr(self, k))
            for k in ("converged", "iterations", "max_abs_error", "n", "n_eff")
        }
        out.update(
            design_effect=_plain(self.design_effect),
            n_trimmed=self.n_trimmed,
            cap=self.cap,
            variables=list(self.variables),
            margins=[
                {k: _plain(v) for k, v in r.items()} for r in self.margins.to_dict("records")
            ],
        )
        return out


def _rake_codes(rows: pd.DataFrame, base: pd.DataFrame, names: list) -> list[tuple]:
    """Per variable: level codes of each response (-1 missing), levels, target shares."""
    out = []
    for name in names:
        b = base[name].dropna()
        levels = pd.Index(pd.unique(b)).sort_values()
        codes = levels.get_indexer(rows[name])
        present = np.bincount(codes[codes >= 0], minlength=len(levels)) > 0
        target = b.value_counts().reindex(levels).to_numpy(dtype=float)
        target = np.where(present, target, 0.0)
        out.append((name, levels, codes, target / target.sum()))
    return out


def _shares(w: np.ndarray, codes: np.ndarray, k: int) -> np.ndarray:
    ok = codes >= 0
    tot = np.bincount(codes[ok], weights=w[ok], minlength=k)
    return tot / tot.sum() if tot.sum() > 0 else tot


def _sweeps(w, parts, tol, max_iter):
    """Run iterative proportional fitting until every margin is within ``tol``."""
    for it in range(1, max_iter + 1):
        for _, levels, codes, target in parts:
            ok = codes >= 0
            share = _shares(w, codes, len(levels))
            with np.errstate(divide="ignore", invalid="ignore"):
                factor = np.where(share > 0, target / share, 1.0)
            w[ok] *= factor[codes[ok]]
        err = max((np.abs(_shares(w, c, len(lv)) - t).max() for _, lv, c, t in parts), default=0.0)
        if err < tol:
            return w, it, err
    return w, max_iter, err


def _trim(w: np.ndarray, cap: float) -> np.ndarray:
    """Cap weights at ``cap`` times their mean, rescaling to mean 1 until none exceeds it."""
    for _ in range(100):
        w = w / w.mean()
        if w.max() <= cap * (1 + 1e-12):
            break
        w = np.minimum(w, cap)
    return w


def rake(
    responses: pd.DataFrame,
    customers: pd.DataFrame,
    *,
    customer_id: Hashable = "customer_id",
    categorical: Sequence[Hashable] = ("region", "primary_channel"),
    weight: Hashable | None = None,
    cap: float = 5.0,
    tol: float = 1e-8,
    max_iter: int = 200,
    max_rounds: int = 20,
) -> RakingResult:
    r"""Rake respondent weights to the customer base's margins (iterative proportional fitting).

    When respondents over-represent some groups, raking gives each response a weight so
    that the weighted shares of every listed column equal the customer base's shares,
    one column after another until all agree.

    Parameters
    ----------
    responses : pandas.DataFrame
        Survey responses with a customer id (and optionally starting weights).
    customers : pandas.DataFrame
        The customer base, one row per customer, with the categorical profile columns.
    customer_id : str, default "customer_id"
        Key shared by both tables.
    categorical : sequence of str, default ("region", "primary_channel")
        Columns of ``customers`` to rake on; those absent are skipped.
    weight : str, optional
        Starting (design) weights in ``responses``; 1 when None.
    cap : float, default 5.0
        Largest weight as a multiple of the mean weight; larger weights are trimmed to
        the cap and the rest re-raked.
    tol : float, default 1e-8
        Convergence: largest absolute difference between a weighted share and its target.
    max_iter : int, default 200
        Raking sweeps per round.
    max_rounds : int, default 20
        Trim-and-rake rounds.

    Returns
    -------
    RakingResult
        The weights (mean 1), the margins before and after, convergence, Kish design
        effect and effective size.

    Raises
    ------
    TypeError
        If either table is not a DataFrame.
    ValueError
        If ``customer_id`` is missing, no column is left to rake on, or an option is out
        of range.

    Notes
    -----
    Iterative proportional fitting (Deming & Stephan 1940): for each column :math:`v`
    in turn, every weight of level :math:`l` is multiplied by :math:`T_{vl}/S_{vl}`,
    target share over current weighted share; sweeps repeat until
    :math:`\max |S_{vl} - T_{vl}| <` ``tol``. Responses whose value of a column is
    missing (or whose customer is not in the base) are not adjusted on that column.
    Levels of the base that no respondent has cannot be matched: their share is dropped
    and the other targets renormalised. Trimming (Kalton & Flores-Cervantes 2003): after
    convergence, weights above ``cap`` times the mean are set to the cap and raking is
    repeated, for at most ``max_rounds`` rounds; the final weights never exceed the cap
    (capped and rescaled to mean 1 until none does), so margins can then miss their
    targets, which ``converged`` and ``max_abs_error`` show.
    Weighting costs precision: Kish's design effect :math:`d = n\sum w^2/(\sum w)^2`
    and effective size :math:`n_{eff} = n / d`.

    References
    ----------
    Deming, W. E., & Stephan, F. F. (1940). On a least squares adjustment of a sampled
    frequency table when the expected marginal totals are known. Annals of Mathematical
    Statistics, 11(4), 427-444. doi:10.1214/aoms/1177731829

    Kalton, G., & Flores-Cervantes, I. (2003). Weighting methods. Journal of Official
    Statistics, 19(2), 81-97.

    Kish, L. (1965). Survey Sampling. New York: Wiley.

    Examples
    --------
    >>> import pandas as pd
    >>> cust = pd.DataFrame({"customer_id": range(8), "region": list("NNNNSSSS")})
    >>> resp = pd.DataFrame({"customer_id": [0, 1, 2, 3, 4]})
    >>> out = rake(resp, cust, categorical=["region"])
    >>> out.weights.round(3).tolist()
    [0.625, 0.625, 0.625, 0.625, 2.5]
    >>> round(out.n_eff, 2), out.converged
    (3.2, True)
    """
    check_frame(responses, "responses")
    check_frame(customers, "customers")
    for frame, label in ((responses, "responses"), (customers, "customers")):
        if customer_id not in frame.columns:
            raise ValueError(f"{label} has no {customer_id!r} column")
    if isinstance(cap, bool) or not isinstance(cap, int | float) or cap <= 1:
        raise ValueError(f"cap must be a number above 1, got {cap!r}")
    if not isinstance(tol, int | float) or tol <= 0:
        raise ValueError(f"tol must be positive, got {tol!r}")
    for name, value in (("max_iter", max_iter), ("max_rounds", max_rounds)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    names = [c for c in categorical if c in customers.columns]
    if not names:
        raise ValueError(f"none of {list(categorical)} is a column of customers")
    base = customers.drop_duplicates(customer_id)
    pos = pd.Index(base[customer_id]).get_indexer(responses[customer_id])
    rows = base.iloc[np.where(pos >= 0, pos, 0)][names].reset_index(drop=True)
    rows.loc[pos < 0, :] = None
    parts = _rake_codes(rows, base, names)
    w0 = weight_column(responses, weight)
    w = np.ones(len(responses)) if w0 is None else w0.astype(float).copy()
    w = w / w.mean()
    before = [_shares(w, c, len(lv)) for _, lv, c, _ in parts]
    total_it = 0
    for _ in range(max_rounds):
        w, it, err = _sweeps(w, parts, tol, max_iter)
        total_it += it
        if w.max() <= cap * w.mean() * (1 + 1e-12):
            break
        w = _trim(w, cap)
    w = _trim(w / w.mean(), cap)
    margins = pd.concat(
        [
            pd.DataFrame(
                {
                    "variable": str(name),
                    "level": [str(v) for v in lv],
                    "target": t,
                    "before": b,
                    "achieved": _shares(w, c, len(lv)),
                }
            )
            for (name, lv, c, t), b in zip(parts, before, strict=True)
        ],
        ignore_index=True,
    )
    margins["difference"] = margins["achieved"] - margins["target"]
    err = float(margins["difference"].abs().max())
    n_eff = float(kish(np.array([w.sum()]), np.array([(w**2).sum()]))[0])
    return RakingResult(
        weights=pd.Series(w, index=responses.index, name="raked_weight"),
        margins=margins,
        variables=tuple(str(n) for n in names),
        converged=err < tol,
        iterations=total_it,
        max_abs_error=err,
        n=len(w),
        n_eff=n_eff,
        design_effect=len(w) / n_eff,
        n_trimmed=int((w >= cap * (1 - 1e-9)).sum()),
        cap=float(cap),
    )
