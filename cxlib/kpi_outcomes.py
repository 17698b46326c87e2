"""Step 6: business outcomes linked to what customers say: churn, retention, revenue at risk.

Respondents of a wave are linked to the customer base (``churned``, ``annual_revenue``) and
grouped by their NPS answer (promoters 9-10, passives 7-8, detractors 0-6). The tables here
show how churn differs between the groups, with its uncertainty, and what the detractors'
churn costs in revenue.
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable

import numpy as np
import pandas as pd

from cxlib import stats
from cxlib._stats_common import check_confidence
from cxlib.kpi import kpi_frame, kpi_row

__all__ = [
    "NPS_GROUPS",
    "business_kpis",
    "churn_by_nps_group",
    "churn_link",
    "customer_nps_groups",
    "revenue_at_risk",
]

#: NPS groups in reporting order.
NPS_GROUPS = ("detractor", "passive", "promoter")


def customer_nps_groups(
    responses: pd.DataFrame,
    customers: pd.DataFrame,
    *,
    wave: str | None = None,
    wave_col: Hashable = "wave",
    customer: Hashable = "customer_id",
    nps: Hashable = "nps",
    responded_at: Hashable = "responded_at",
    churned: Hashable = "churned",
    revenue: Hashable = "annual_revenue",
) -> pd.DataFrame:
    """One row per responding customer: their NPS group, churn flag and annual revenue.

    Parameters
    ----------
    responses : pandas.DataFrame
        Survey responses.
    customers : pandas.DataFrame
        The customer base.
    wave : str, optional
        Keep only this wave's responses.
    wave_col, customer, nps, responded_at, churned, revenue : str
        Column roles (canonical names by default). ``responded_at`` and ``revenue`` may be
        absent.

    Returns
    -------
    pandas.DataFrame
        Columns ``customer_id``, ``nps`` (0-10), ``nps_group`` (detractor, passive,
        promoter), ``churned`` (1.0/0.0, NaN when unknown) and ``annual_revenue`` (NaN
        when absent). Customers missing from the base keep NaN outcomes.

    Raises
    ------
    ValueError
        If a required column is absent.

    Notes
    -----
    A customer who answered more than once in the wave counts once, with their latest
    answer (by ``responded_at`` when present, else the last row).

    Examples
    --------
    >>> r = pd.DataFrame({"customer_id": [1, 2, 2], "nps": [10, 3, 8]})
    >>> c = pd.DataFrame({"customer_id": [1, 2], "churned": [False, True]})
    >>> customer_nps_groups(r, c)[["customer_id", "nps_group", "churned"]].values.tolist()
    [[1, 'promoter', 0.0], [2, 'passive', 1.0]]
    """
    _require(responses, [customer, nps], "responses")
    _require(customers, [customer, churned], "customers")
    data = responses
    if wave is not None:
        data = data[data[wave_col].astype(str) == str(wave)]
    data = data[data[nps].notna()]
    if responded_at in data.columns:
        data = data.assign(_when=pd.to_datetime(data[responded_at], errors="coerce"))
        data = data.sort_values("_when", kind="stable")
    latest = data.drop_duplicates(subset=[customer], keep="last")
    score = latest[nps].astype(float).to_numpy()
    group = np.where(score >= 9, "promoter", np.where(score >= 7, "passive", "detractor"))
    out = pd.DataFrame({"customer_id": latest[customer].to_numpy(), "nps": score})
    out["nps_group"] = group
    base = customers.drop_duplicates(subset=[customer]).set_index(customer)
    flag = base[churned].astype("boolean").astype("Float64").astype(float)
    out["churned"] = out["customer_id"].map(flag).astype(float)
    rev = base[revenue] if revenue in base.columns else pd.Series(np.nan, index=base.index)
    out["annual_revenue"] = out["customer_id"].map(pd.to_numeric(rev, errors="coerce"))
    return out.sort_values("customer_id", kind="stable").reset_index(drop=True)


def _require(table: pd.DataFrame, columns: list[Hashable], name: str) -> None:
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ValueError(f"{name} lacks column(s) {missing}")


def churn_by_nps_group(
    groups: pd.DataFrame, *, confidence: float = 0.95, min_n: int = 30
) -> pd.DataFrame:
    """Churn and retention rates of detractors, passives, promoters and all respondents.

    Parameters
    ----------
    groups : pandas.DataFrame
        Output of :func:`customer_nps_groups`.
    confidence : float, default 0.95
        Confidence level of the intervals.
    min_n : int, default 30
        Groups with fewer customers of known outcome are flagged ``small_n``.

    Returns
    -------
    pandas.DataFrame
        One row per group (``detractor``, ``passive``, ``promoter``, ``all``):
        ``nps_group``, ``n`` (customers with a known outcome), ``churned`` (count),
        ``estimate`` (churn rate, 0..1), ``ci_low``, ``ci_high`` (Wilson), ``retention``
        (1 - churn rate), ``retention_ci_low``, ``retention_ci_high``, ``revenue`` (sum of
        annual revenue of the group's customers) and ``small_n``.

    Notes
    -----
    The churn rate of a group is :math:`c/n` with a Wilson interval (via
    :func:`cxlib.stats.top_box`); retention is its complement and the interval is
    mirrored.

    References
    ----------
    Reichheld, F. F. (2003). The one number you need to grow. Harvard Business Review,
    81(12), 46-54.

    Examples
    --------
    >>> g = pd.DataFrame({"nps_group": ["promoter"] * 4 + ["detractor"] * 4,
    ...     "churned": [0.0, 0, 0, 1, 1, 1, 0, 1], "annual_revenue": [100.0] * 8})
    >>> out = churn_by_nps_group(g)
    >>> out["nps_group"].tolist(), out["estimate"].tolist()
    (['detractor', 'passive', 'promoter', 'all'], [0.75, nan, 0.25, 0.5])
    """
    known = groups[groups["churned"].notna()]
    rows = []
    for name in (*NPS_GROUPS, "all"):
        part = known if name == "all" else known[known["nps_group"] == name]
        t = stats.top_box(
            part[["churned"]], score="churned", top=(1,), confidence=confidence, min_n=min_n
        ).iloc[0]
        scope = groups if name == "all" else groups[groups["nps_group"] == name]
        rows.append(
            {
                "nps_group": name,
                "n": int(t["n"]),
                "churned": float(part["churned"].sum()),
                "estimate": float(t["estimate"]),
                "ci_low": float(t["ci_low"]),
                "ci_high": float(t["ci_high"]),
                "retention": 1.0 - float(t["estimate"]),
                "retention_ci_low": 1.0 - float(t["ci_high"]),
                "retention_ci_high": 1.0 - float(t["ci_low"]),
                "revenue": float(scope["annual_revenue"].sum(min_count=1)),
                "small_n": bool(t["small_n"]),
            }
        )
    return pd.DataFrame(rows)


def revenue_at_risk(
    groups: pd.DataFrame, *, basis: str = "churn_rate", confidence: float = 0.95
) -> pd.DataFrame:
    r"""Annual revenue at risk from detractors, with an interval from the churn rate.

    Parameters
    ----------
    groups : pandas.DataFrame
        Output of :func:`customer_nps_groups`.
    basis : {"churn_rate", "excess_churn"}, default "churn_rate"
        ``churn_rate``: detractors' annual revenue times their churn rate (the revenue
        expected to leave with detractors). ``excess_churn``: times the detractors' churn
        rate minus the promoters' (the revenue that would stay if detractors churned like
        promoters), floored at 0.
    confidence : float, default 0.95
        Confidence level of the interval.

    Returns
    -------
    pandas.DataFrame
        One row: ``basis``, ``n`` (detractors with a known outcome), ``revenue``
        (detractors' annual revenue), ``rate`` (the churn rate used), ``rate_ci_low``,
        ``rate_ci_high``, ``estimate`` (revenue at risk, currency of
        ``annual_revenue``), ``ci_low`` and ``ci_high``.

    Raises
    ------
    ValueError
        On an unknown ``basis``.

    Notes
    -----
    :math:`RaR = R_D \times r` with :math:`R_D` the detractors' total annual revenue
    (treated as known) and :math:`r` the churn rate (Wilson interval) or the churn-rate
    difference detractors minus promoters (Newcombe's hybrid score interval); the
    interval of :math:`RaR` is :math:`R_D` times the interval of :math:`r`.

    References
    ----------
    Newcombe, R. G. (1998). Interval estimation for the difference between independent
    proportions: comparison of eleven methods. Statistics in Medicine, 17(8), 873-890.
    doi:10.1002/(SICI)1097-0258(19980430)17:8<873::AID-SIM779>3.0.CO;2-I

    Examples
    --------
    >>> g = pd.DataFrame({"nps_group": ["detractor"] * 4, "churned": [1.0, 0, 0, 0],
    ...     "annual_revenue": [100.0, 200.0, 300.0, 400.0]})
    >>> float(revenue_at_risk(g)["estimate"].iloc[0])
    250.0
    """
    if basis not in ("churn_rate", "excess_churn"):
        raise ValueError(f"basis must be 'churn_rate' or 'excess_churn', got {basis!r}")
    table = churn_by_nps_group(groups, confidence=confidence).set_index("nps_group")
    det = table.loc["detractor"]
    revenue = float(groups.loc[groups["nps_group"] == "detractor", "annual_revenue"].sum())
    if basis == "churn_rate":
        rate, low, high = det["estimate"], det["ci_low"], det["ci_high"]
    else:
        pro = table.loc["promoter"]
        if det["n"] == 0 or pro["n"] == 0:
            rate = low = high = np.nan
        else:
            diff = stats.two_proportion_test(
                det["churned"], det["n"], pro["churned"], pro["n"], confidence=confidence
            ).iloc[0]
            rate, low, high = (max(float(diff[c]), 0.0) for c in ("estimate", "ci_low", "ci_high"))
    return pd.DataFrame(
        {
            "basis": [basis],
            "n": [int(det["n"])],
            "revenue": [revenue],
            "rate": [float(rate)],
            "rate_ci_low": [float(low)],
            "rate_ci_high": [float(high)],
            "estimate": [revenue * float(rate)],
            "ci_low": [revenue * float(low)],
            "ci_high": [revenue * float(high)],
        }
    )


def _logit(y: np.ndarray, x: np.ndarray, names: list[str], z: float) -> list[dict]:
    import statsmodels.api as sm

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = sm.Logit(y, sm.add_constant(x, has_constant="add")).fit(disp=0, maxiter=100)
        params, se, p = (np.asarray(v)[1:] for v in (fit.params, fit.bse, fit.pvalues))
    except Exception:  # no variation, perfect separation, singular design
        params = se = p = np.full(len(names), np.nan)
    ok = np.isfinite(se) & (se < 50)
    params, se, p = (np.where(ok, v, np.nan) for v in (params, se, p))
    return [
        {
            "term": name,
            "estimate": float(np.exp(b)),
            "ci_low": float(np.exp(b - z * s)),
            "ci_high": float(np.exp(b + z * s)),
            "p_value": float(pv),
        }
        for name, b, s, pv in zip(names, params, se, p, strict=True)
    ]


def churn_link(groups: pd.DataFrame, *, confidence: float = 0.95) -> pd.DataFrame:
    r"""How strongly NPS is linked to churn: rate difference and odds ratios with CIs.

    Parameters
    ----------
    groups : pandas.DataFrame
        Output of :func:`customer_nps_groups`.
    confidence : float, default 0.95
        Confidence level of the intervals.

    Returns
    -------
    pandas.DataFrame
        Three rows, ``term``:

        - ``churn_difference``: detractors' churn rate minus promoters' (share points,
          Newcombe interval, pooled z-test);
        - ``odds_ratio_detractor``: odds of churn for detractors relative to promoters,
          from a logistic regression on group indicators (promoters the reference);
        - ``odds_ratio_per_point``: change in the odds of churn per NPS point (a value
          below 1 means higher scores go with less churn), from a logistic regression on
          the 0-10 score.

        Columns ``term``, ``n`` (customers used), ``estimate``, ``ci_low``, ``ci_high``,
        ``p_value`` and ``method``. Terms that cannot be estimated (no churn, a missing
        group, perfect separation) are NaN.

    See Also
    --------
    cxlib.stats.two_proportion_test : the rate difference.

    Notes
    -----
    The group model :math:`logit\,P(churn) = \beta_0 + \beta_D D + \beta_P P` is
    saturated, so :math:`e^{\beta_D}` equals the sample odds ratio
    :math:`\frac{c_D/(n_D - c_D)}{c_{Pro}/(n_{Pro} - c_{Pro})}` and its Wald interval is
    Woolf's, :math:`\exp(\log OR \pm z\sqrt{1/a + 1/b + 1/c + 1/d})`. Fitted with
    statsmodels ``Logit`` (maximum likelihood). An association, not proof that raising
    NPS lowers churn.

    References
    ----------
    Woolf, B. (1955). On estimating the relation between blood group and disease. Annals
    of Human Genetics, 19(4), 251-253. doi:10.1111/j.1469-1809.1955.tb01348.x

    Examples
    --------
    >>> g = pd.DataFrame({"nps": [10, 9, 10, 9, 2, 3, 1, 4, 8, 7],
    ...     "nps_group": ["promoter"] * 4 + ["detractor"] * 4 + ["passive"] * 2,
    ...     "churned": [0.0, 0, 0, 1, 1, 1, 0, 1, 0, 1]})
    >>> out = churn_link(g)
    >>> float(out.loc[0, "estimate"]), round(float(out.loc[1, "estimate"]), 3)
    (0.5, 9.0)
    """
    z = check_confidence(confidence)
    known = groups[groups["churned"].notna() & groups["nps"].notna()]
    det = known[known["nps_group"] == "detractor"]["churned"]
    pro = known[known["nps_group"] == "promoter"]["churned"]
    row = {"term": "churn_difference", "estimate": np.nan, "ci_low": np.nan}
    row.update(ci_high=np.nan, p_value=np.nan)
    if len(det) and len(pro):
        t = stats.two_proportion_test(
            det.sum(), len(det), pro.sum(), len(pro), confidence=confidence
        ).iloc[0]
        row.update({c: float(t[c]) for c in ("estimate", "ci_low", "ci_high", "p_value")})
    rows = [{**row, "n": len(det) + len(pro), "method": "Newcombe interval, pooled z-test"}]
    y = known["churned"].to_numpy(dtype=float)
    dummies = np.column_stack(
        [(known["nps_group"] == g).to_numpy(dtype=float) for g in ("detractor", "passive")]
    )
    fits = _logit(y, dummies, ["odds_ratio_detractor", "odds_ratio_passive"], z)[:1]
    fits += _logit(y, known[["nps"]].to_numpy(dtype=float), ["odds_ratio_per_point"], z)
    for fit in fits:
        rows.append({**fit, "n": len(known), "method": "logistic regression (Wald interval)"})
    cols = ["term", "n", "estimate", "ci_low", "ci_high", "p_value", "method"]
    return pd.DataFrame(rows)[cols]


def business_kpis(
    groups: pd.DataFrame,
    *,
    basis: str = "churn_rate",
    confidence: float = 0.95,
    min_n: int = 30,
) -> pd.DataFrame:
    """Retention, churn and revenue at risk of a wave's respondents as KPI rows.

    Parameters
    ----------
    groups : pandas.DataFrame
        Output of :func:`customer_nps_groups`.
    basis : {"churn_rate", "excess_churn"}, default "churn_rate"
        Revenue-at-risk basis (see :func:`revenue_at_risk`).
    confidence : float, default 0.95
        Confidence level of the intervals.
    min_n : int, default 30
        Smaller bases are flagged ``small_n``.

    Returns
    -------
    pandas.DataFrame
        A KPI table (level ``"business"``): ``retention`` and ``churn`` (shares of
        respondents, Wilson intervals, with ``count``) and ``revenue_at_risk`` (amount,
        ``metric="amount"``).

    See Also
    --------
    churn_by_nps_group, revenue_at_risk : the underlying tables.

    Examples
    --------
    >>> g = pd.DataFrame({"nps": [10.0, 2.0], "nps_group": ["promoter", "detractor"],
    ...     "churned": [0.0, 1.0], "annual_revenue": [50.0, 80.0]})
    >>> business_kpis(g)["estimate"].tolist()
    [0.5, 0.5, 80.0]
    """
    allg = churn_by_nps_group(groups, confidence=confidence, min_n=min_n).iloc[-1]
    rar = revenue_at_risk(groups, basis=basis, confidence=confidence).iloc[0]
    common = {"level": "business", "n": int(allg["n"]), "n_eff": float(allg["n"])}
    common["small_n"] = bool(allg["small_n"])
    share = "share of respondents (0 to 1)"
    rows = [
        kpi_row(
            kpi="retention",
            label="Retention",
            metric="share",
            unit=share,
            estimate=allg["retention"],
            ci_low=allg["retention_ci_low"],
            ci_high=allg["retention_ci_high"],
            count=float(allg["n"] - allg["churned"]),
            **common,
        ),
        kpi_row(
            kpi="churn",
            label="Churn",
            metric="share",
            unit=share,
            estimate=allg["estimate"],
            ci_low=allg["ci_low"],
            ci_high=allg["ci_high"],
            count=float(allg["churned"]),
            **common,
        ),
        kpi_row(
            kpi="revenue_at_risk",
            label="Revenue at risk (detractors)",
            level="business",
            metric="amount",
            unit="annual revenue",
            n=int(rar["n"]),
            n_eff=float(rar["n"]),
            estimate=rar["estimate"],
            ci_low=rar["ci_low"],
            ci_high=rar["ci_high"],
            small_n=bool(rar["n"] < min_n),
        ),
    ]
    return kpi_frame(rows)
