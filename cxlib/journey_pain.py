"""Step 3, where it hurts: channel consistency, impact on NPS and ranked pain points.

Split from :mod:`cxlib.journey` by concern: this module compares (channels within a stage)
and models (a touchpoint's bad experience against the customer's NPS), then ranks pain
points by a stated formula. Compute layer: no IO, no printing, no rounding.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
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
    welch_parts,
)
from cxlib.config import Journey
from cxlib.journey import _STAT, JourneyError, _events, scorecard_wide, touchpoint_table
from cxlib.personas import _records

__all__ = [
    "ImpactModel",
    "audit_results",
    "channel_consistency",
    "pain_points",
    "stage_channel_scores",
    "touchpoint_impact",
]


def stage_channel_scores(
    events: pd.DataFrame,
    journey: Journey,
    *,
    touchpoint: str = "touchpoint_id",
    score: str = "csat",
    confidence: float = 0.95,
    min_n: int = 30,
) -> pd.DataFrame:
    """Mean score of each channel within each stage.

    Parameters
    ----------
    events : pandas.DataFrame
        The touchpoint_events table.
    journey : Journey
        The journey definition (a touchpoint's channel comes from it).
    touchpoint, score : str
        Column roles.
    confidence : float, default 0.95
        Coverage of the t intervals.
    min_n : int, default 30
        Flag cells with fewer ratings.

    Returns
    -------
    pandas.DataFrame
        One row per stage and channel: ``stage``, ``stage_order``, ``channel``, ``n``,
        ``n_eff``, ``estimate`` (mean), ``ci_low``, ``ci_high``, ``sd``, ``small_n``.

    Examples
    --------
    >>> import pandas as pd
    >>> from cxlib.config import Journey
    >>> j = Journey(stages=["help"], touchpoints=[
    ...     {"id": "c", "name": "Chat", "stage": "help", "channel": "chat"},
    ...     {"id": "p", "name": "Phone", "stage": "help", "channel": "phone"}])
    >>> ev = pd.DataFrame({"touchpoint_id": ["c", "c", "p", "p"], "csat": [2, 3, 4, 5]})
    >>> stage_channel_scores(ev, j)[["channel", "estimate"]].values.tolist()
    [['chat', 2.5], ['phone', 4.5]]
    """
    ev = _events(events, journey, touchpoint)
    check_columns(ev, [score])
    keys = ["stage_order", "stage", "channel"]
    out = stats.mean_ci(ev, score=score, by=keys, confidence=confidence, min_n=min_n)
    return out[["stage", "stage_order", "channel", *_STAT[:-1], "sd", "small_n"]]


def channel_consistency(
    events: pd.DataFrame,
    journey: Journey,
    *,
    touchpoint: str = "touchpoint_id",
    score: str = "csat",
    p_adjust: str = "holm",
    confidence: float = 0.95,
    min_n: int = 30,
) -> pd.DataFrame:
    r"""Is the experience as good in every channel? The best-to-worst gap within each stage.

    Parameters
    ----------
    events : pandas.DataFrame
        The touchpoint_events table.
    journey : Journey
        The journey definition.
    touchpoint, score : str
        Column roles.
    p_adjust : {"holm", "fdr_bh", "bonferroni"}, default "holm"
        Multiplicity control across stages (:func:`cxlib.stats.adjust_pvalues`).
    confidence : float, default 0.95
        Coverage of the gap's interval.
    min_n : int, default 30
        Flag stages whose best or worst channel has fewer ratings.

    Returns
    -------
    pandas.DataFrame
        One row per stage served by at least two channels with two or more ratings
        each: ``stage``, ``stage_order``, ``n_channels``, ``best_channel``,
        ``best_mean``, ``worst_channel``, ``worst_mean``, ``n`` (ratings in the stage),
        ``estimate`` (gap, best minus worst mean), ``ci_low``, ``ci_high`` (Welch
        interval of the gap), ``statistic`` (Welch F), ``df_num``, ``df_denom``,
        ``p_value`` (Welch ANOVA across all the stage's channels), ``p_adjusted`` and
        ``small_n``.

    Notes
    -----
    Welch's heteroscedastic one-way ANOVA (Welch 1951): with :math:`w_i = n_i / s_i^2`,
    :math:`\bar m = \sum w_i m_i / \sum w_i`, :math:`h = \sum (1 - w_i/\sum w)^2/(n_i - 1)`,
    :math:`F = \frac{\sum w_i (m_i - \bar m)^2 / (k - 1)}{1 + 2(k-2)h/(k^2-1)}` on
    :math:`k-1` and :math:`(k^2-1)/(3h)` degrees of freedom. Checked against statsmodels
    ``anova_oneway(..., use_var="unequal")``. The gap's interval is Welch's t interval
    between the best and the worst channel; because those two are picked after looking,
    the interval is optimistic, and the ANOVA p-value is the test to quote. With two
    channels the ANOVA equals the Welch t-test (:math:`F = t^2`).

    References
    ----------
    Welch, B. L. (1951). On the comparison of several mean values: an alternative
    approach. Biometrika, 38(3/4), 330-336. doi:10.2307/2332579

    Examples
    --------
    >>> import pandas as pd
    >>> from cxlib.config import Journey
    >>> j = Journey(stages=["help"], touchpoints=[
    ...     {"id": "c", "name": "Chat", "stage": "help", "channel": "chat"},
    ...     {"id": "p", "name": "Phone", "stage": "help", "channel": "phone"}])
    >>> ev = pd.DataFrame({"touchpoint_id": ["c"] * 4 + ["p"] * 4,
    ...                    "csat": [2, 3, 2, 1, 4, 5, 4, 5]})
    >>> out = channel_consistency(ev, j)
    >>> out.loc[0, "best_channel"], float(out.loc[0, "estimate"])
    ('phone', 2.5)
    """
    check_confidence(confidence)
    cells = stage_channel_scores(events, journey, touchpoint=touchpoint, score=score,
                                 confidence=confidence, min_n=min_n)  # fmt: skip
    cells = cells[(cells["n"] >= 2) & (cells["sd"] > 0)]
    rows = []
    for (order, stage), g in cells.groupby(["stage_order", "stage"], sort=True):
        if len(g) < 2:
            continue
        best, worst = g.loc[g["estimate"].idxmax()], g.loc[g["estimate"].idxmin()]
        f, df1, df2, p = _welch_anova(g["estimate"], g["sd"] ** 2, g["n"])
        gap, se, df = welch_parts(best["estimate"], best["sd"] ** 2, best["n"],
                                  worst["estimate"], worst["sd"] ** 2, worst["n"])  # fmt: skip
        t = _sps.t.ppf(0.5 + confidence / 2, df)
        rows.append({"stage": stage, "stage_order": order, "n_channels": len(g),
                     "best_channel": best["channel"], "best_mean": best["estimate"],
                     "worst_channel": worst["channel"], "worst_mean": worst["estimate"],
                     "n": int(g["n"].sum()), "estimate": float(gap),
                     "ci_low": float(gap - t * se), "ci_high": float(gap + t * se),
                     "statistic": f, "df_num": df1, "df_denom": df2, "p_value": p,
                     "small_n": bool(min(best["n"], worst["n"]) < min_n)})  # fmt: skip
    cols = ["stage", "stage_order", "n_channels", "best_channel", "best_mean", "worst_channel",
            "worst_mean", "n", "estimate", "ci_low", "ci_high", "statistic", "df_num",
            "df_denom", "p_value", "p_adjusted", "small_n"]  # fmt: skip
    out = pd.DataFrame(rows, columns=[c for c in cols if c != "p_adjusted"])
    adjusted = stats.adjust_pvalues(out["p_value"].to_numpy(float), method=p_adjust)
    out.insert(len(cols) - 2, "p_adjusted", adjusted)
    return out


def _welch_anova(means, variances, ns) -> tuple[float, float, float, float]:
    m, v, n = (np.asarray(a, dtype=float) for a in (means, variances, ns))
    k = m.size
    w = n / v
    mw = np.sum(w * m) / w.sum()
    h = np.sum((1 - w / w.sum()) ** 2 / (n - 1))
    f = (np.sum(w * (m - mw) ** 2) / (k - 1)) / (1 + 2 * (k - 2) * h / (k * k - 1))
    df2 = (k * k - 1) / (3 * h)
    return float(f), float(k - 1), float(df2), float(_sps.f.sf(f, k - 1, df2))


# --------------------------------------------------------------------------- impact on NPS


@dataclass(frozen=True, eq=False)
class ImpactModel:
    """How much a bad experience at each touchpoint goes with a lower NPS.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per touchpoint (journey order): ``touchpoint_id``, ``n`` (respondents
        with a bad experience there), ``n_rated`` (respondents with any rated
        experience there), ``estimate`` (NPS points, negative when a bad experience
        lowers the score), ``se``, ``ci_low``, ``ci_high``, ``p_value``, ``small_n``
        and ``in_model`` (False when too few cases to estimate).
    n : int
        Respondents in the regression.
    r_squared : float
        R² of the regression.
    confidence : float
        Coverage of the intervals.
    window_days : float or None
        Only events this many days before the response counted (None: any earlier).
    """

    table: pd.DataFrame
    n: int
    r_squared: float
    confidence: float
    window_days: float | None

    def to_dict(self) -> dict[str, Any]:
        """Return the model as plain Python types, ready for JSON."""
        return {"n": int(self.n), "r_squared": float(self.r_squared),
                "confidence": self.confidence, "window_days": self.window_days,
                "cov_type": "HC1", "table": _records(self.table)}  # fmt: skip

    def _repr_html_(self) -> str:
        head = f"<p>Impact of a bad experience on NPS: n = {self.n}, R² = {self.r_squared:.3g}</p>"
        return head + self.table.to_html(index=False, escape=True)


def _respondents(responses, customer_id, score, survey, wave) -> pd.DataFrame:
    check_frame(responses, "responses")
    check_columns(responses, [customer_id, score])
    r = responses
    if survey is not None and "survey" in r.columns and (r["survey"] == survey).any():
        r = r[r["survey"] == survey]
    if wave is not None and "wave" in r.columns:
        r = r[r["wave"] == wave]
    r = r[r[score].notna() & r[customer_id].notna()].reset_index(drop=True)
    if r.empty:
        raise JourneyError("no survey responses with an NPS to relate touchpoints to")
    return r


def touchpoint_impact(
    responses: pd.DataFrame,
    events: pd.DataFrame,
    journey: Journey,
    *,
    customer_id: str = "customer_id",
    touchpoint: str = "touchpoint_id",
    score: str = "nps",
    csat: str = "csat",
    top: Iterable[float] = (4, 5),
    survey: str | None = "relationship",
    wave: str | None = None,
    responded_at: str = "responded_at",
    occurred_at: str = "occurred_at",
    window_days: float | None = None,
    confidence: float = 0.95,
    min_n: int = 30,
    min_cases: int = 10,
) -> ImpactModel:
    r"""Estimate the NPS points lost when a touchpoint gives a customer a bad experience.

    Parameters
    ----------
    responses : pandas.DataFrame
        Survey responses with ``customer_id`` and the 0-10 ``score``.
    events : pandas.DataFrame
        The touchpoint_events table with ``csat`` ratings.
    journey : Journey
        The journey definition.
    customer_id, touchpoint, score, csat, responded_at, occurred_at : str
        Column roles.
    top : iterable of numbers, default (4, 5)
        CSAT points that count as a good experience; any other rating is a bad one.
    survey : str or None, default "relationship"
        Use this survey's responses when the table has a ``survey`` column with it.
    wave : str, optional
        Use this wave's responses only.
    window_days : float, optional
        Count only events at most this many days before the response (default: any
        earlier event). Without both time columns every event counts.
    confidence : float, default 0.95
        Coverage of the intervals.
    min_n : int, default 30
        Flag touchpoints with fewer respondents who had a bad experience.
    min_cases : int, default 10
        Fewer bad experiences than this among respondents: not estimated.

    Returns
    -------
    ImpactModel
        The per-touchpoint table and the model's fit.

    Raises
    ------
    JourneyError
        If there are no usable responses.

    Notes
    -----
    Each response's outcome is its NPS contribution :math:`y = 100` for a promoter
    (9-10), 0 for a passive, :math:`-100` for a detractor (0-6), whose mean is the NPS.
    Ordinary least squares with heteroscedasticity-robust (HC1) standard errors and normal
    intervals, as statsmodels ``OLS(y, X).fit(cov_type="HC1")`` gives them:

    .. math:: y_i = \beta_0 + \sum_t \gamma_t R_{it} + \sum_t \beta_t B_{it} + \varepsilon_i

    where :math:`R_{it} = 1` if respondent :math:`i` rated an experience at touchpoint
    :math:`t` before answering and :math:`B_{it} = 1` if at least one of those ratings was
    outside the top box. :math:`\beta_t` is the difference in NPS between customers with a
    bad and with only good experiences at :math:`t`, holding the other touchpoints fixed.
    :math:`R_t` is left out when fewer than ``min_cases`` respondents had only good, or
    no, experiences at :math:`t` (then :math:`\beta_t` compares with everyone else). The
    association is not proof of cause; customers unhappy for other reasons may also rate
    touchpoints lower. Cross-checked against statsmodels in the tests.

    References
    ----------
    MacKinnon, J. G., & White, H. (1985). Some heteroskedasticity-consistent covariance
    matrix estimators with improved finite sample properties. Journal of Econometrics,
    29(3), 305-325. doi:10.1016/0304-4076(85)90158-7

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from cxlib.config import Journey
    >>> j = Journey(stages=["help"], touchpoints=[
    ...     {"id": "chat", "name": "Chat", "stage": "help", "channel": "chat"}])
    >>> ev = pd.DataFrame({"customer_id": np.arange(40), "touchpoint_id": "chat",
    ...                    "csat": [1] * 20 + [5] * 20})
    >>> resp = pd.DataFrame({"customer_id": np.arange(40), "nps": [3, 8] * 10 + [10] * 20})
    >>> m = touchpoint_impact(resp, ev, j, min_cases=5)
    >>> float(round(m.table.loc[0, "estimate"], 1)), m.n
    (-150.0, 40)
    """
    check_confidence(confidence)
    r = _respondents(responses, customer_id, score, survey, wave)
    y = np.select([r[score] >= 9, r[score] <= 6], [100.0, -100.0], 0.0)
    ev = _events(events, journey, touchpoint)
    ev = ev[ev[csat].notna()] if csat in ev else ev.iloc[0:0]
    tps = touchpoint_table(journey)["touchpoint_id"].tolist()
    rated, bad = _exposure(r, ev, tps, customer_id, touchpoint, csat, top,
                           responded_at, occurred_at, window_days)  # fmt: skip
    n = len(r)
    n_bad, n_rated = bad.sum(axis=0), rated.sum(axis=0)
    good_only = n_rated - n_bad
    use_bad = n_bad >= min_cases
    use_rated = use_bad & (good_only >= min_cases) & (n - n_rated >= min_cases)
    x = np.column_stack([np.ones(n), rated[:, use_rated], bad[:, use_bad]])
    fit = _ols(y, x, confidence)
    k = int(use_rated.sum())
    out = pd.DataFrame({"touchpoint_id": tps, "n": n_bad.astype(np.int64),
                        "n_rated": n_rated.astype(np.int64)})  # fmt: skip
    for col in ("estimate", "se", "ci_low", "ci_high", "p_value"):
        out[col] = np.nan
        out.loc[use_bad, col] = fit[col][1 + k :]
    out["small_n"] = out["n"] < min_n
    out["in_model"] = use_bad
    return ImpactModel(out, n, float(fit["r_squared"]), confidence, window_days)


def _exposure(r, ev, tps, key, touchpoint, csat, top, responded_at, occurred_at, window):
    """Respondent x touchpoint indicators: rated before answering, and rated badly."""
    pairs = r[[key]].assign(_row=np.arange(len(r)))
    timed = responded_at in r and occurred_at in ev
    if timed:
        pairs["_at"] = r[responded_at].to_numpy()
    cols = [key, touchpoint, csat] + ([occurred_at] if timed else [])
    pairs = pairs.merge(ev[cols], on=key, how="inner")
    if timed:
        lag = (pairs["_at"] - pairs[occurred_at]) / pd.Timedelta(days=1)
        keep = lag > 0
        if window is not None:
            keep &= lag <= window
        pairs = pairs[keep.fillna(False).to_numpy(dtype=bool)]
    col = pairs[touchpoint].map({t: i for i, t in enumerate(tps)}).to_numpy(dtype=np.intp)
    row = pairs["_row"].to_numpy(dtype=np.intp)
    rated = np.zeros((len(r), len(tps)))
    bad = np.zeros((len(r), len(tps)))
    rated[row, col] = 1.0
    is_bad = ~pairs[csat].isin(list(top)).to_numpy()
    bad[row[is_bad], col[is_bad]] = 1.0
    return rated, bad


def _ols(y: np.ndarray, x: np.ndarray, confidence: float) -> dict[str, Any]:
    """OLS with HC1 standard errors and normal intervals (statsmodels' robust defaults)."""
    xtx = x.T @ x
    if np.linalg.matrix_rank(xtx) < x.shape[1]:
        raise JourneyError("touchpoint experiences are collinear; raise min_cases")
    inv = np.linalg.inv(xtx)
    beta = inv @ (x.T @ y)
    resid = y - x @ beta
    n, p = x.shape
    meat = (x * (resid**2)[:, None]).T @ x
    se = np.sqrt(np.diag(inv @ meat @ inv) * n / (n - p))
    z = _sps.norm.ppf(0.5 + confidence / 2)
    tss = np.sum((y - y.mean()) ** 2)
    return {"estimate": beta, "se": se, "ci_low": beta - z * se, "ci_high": beta + z * se,
            "p_value": 2 * _sps.norm.sf(np.abs(safe_div(beta, se))),
            "r_squared": 1 - np.sum(resid**2) / tss if tss > 0 else np.nan}  # fmt: skip


# --------------------------------------------------------------------------- pain points


def pain_points(scorecard: pd.DataFrame, impact: ImpactModel | pd.DataFrame) -> pd.DataFrame:
    r"""Rank touchpoints by pain: dissatisfaction x reach x impact on NPS.

    Parameters
    ----------
    scorecard : pandas.DataFrame
        :func:`cxlib.journey.touchpoint_scorecard` (``reach`` and ``csat`` metrics).
    impact : ImpactModel or pandas.DataFrame
        :func:`touchpoint_impact` (or its table).

    Returns
    -------
    pandas.DataFrame
        One row per touchpoint, worst first: ``rank``, ``stage``, ``stage_order``,
        ``touchpoint_id``, ``name``, ``channel``, ``owner``, ``reach`` (share of
        customers), ``n_rated`` (rated events), ``dissatisfaction`` (share of ratings
        outside the top box) with ``dissatisfaction_ci_low``/``_high``, ``impact`` (NPS
        points lost per customer with a bad experience) with ``impact_ci_low``/``_high``
        and ``impact_p_value``, ``n`` (respondents with a bad experience), ``estimate``
        (pain, NPS points), ``ci_low``, ``ci_high`` and ``small_n``.

    Notes
    -----
    .. math:: \text{pain}_t = d_t \times r_t \times \max(0, -\beta_t)

    with :math:`d_t` the share of ratings outside the top box, :math:`r_t` the share of
    customers reached and :math:`\beta_t` from :func:`touchpoint_impact`. The product
    approximates the NPS points lost across the whole base through that touchpoint. The
    interval carries the uncertainty of :math:`\beta_t` only (reach and dissatisfaction
    rest on far larger bases). Touchpoints whose impact could not be estimated rank last;
    ties are broken by :math:`d_t r_t`.

    Examples
    --------
    >>> import pandas as pd
    >>> card = pd.DataFrame({"stage": "s", "stage_order": 0, "touchpoint_id": ["a"] * 2,
    ...     "name": "A", "channel": "web", "owner": "", "metric": ["reach", "csat"],
    ...     "n": [100, 50], "estimate": [0.5, 0.6], "ci_low": [0.4, 0.5],
    ...     "ci_high": [0.6, 0.7], "small_n": False})
    >>> imp = pd.DataFrame({"touchpoint_id": ["a"], "n": [40], "estimate": [-20.0],
    ...     "ci_low": [-30.0], "ci_high": [-10.0], "p_value": [0.001]})
    >>> float(pain_points(card, imp).loc[0, "estimate"])
    4.0
    """
    table = impact.table if isinstance(impact, ImpactModel) else impact
    check_frame(scorecard, "scorecard")
    check_columns(table, ["touchpoint_id", "n", "estimate", "ci_low", "ci_high", "p_value"])
    wide = scorecard_wide(scorecard)
    out = wide[["stage", "stage_order", "touchpoint_id", "name", "channel", "owner"]].copy()
    out["reach"] = wide["reach_estimate"]
    out["n_rated"] = wide["csat_n"]
    out["dissatisfaction"] = 1 - wide["csat_estimate"]
    out["dissatisfaction_ci_low"] = 1 - wide["csat_ci_high"]
    out["dissatisfaction_ci_high"] = 1 - wide["csat_ci_low"]
    imp = table.set_index("touchpoint_id").reindex(out["touchpoint_id"])
    out["impact"] = -imp["estimate"].to_numpy()
    out["impact_ci_low"] = -imp["ci_high"].to_numpy()
    out["impact_ci_high"] = -imp["ci_low"].to_numpy()
    out["impact_p_value"] = imp["p_value"].to_numpy()
    out["n"] = imp["n"].fillna(0).to_numpy(dtype=np.int64)
    exposure = out["dissatisfaction"] * out["reach"]
    out["estimate"] = exposure * out["impact"].clip(lower=0)
    out["ci_low"] = exposure * out["impact_ci_low"].clip(lower=0)
    out["ci_high"] = exposure * out["impact_ci_high"].clip(lower=0)
    small = imp["small_n"].to_numpy() if "small_n" in imp else np.zeros(len(out), bool)
    out["small_n"] = pd.Series(small).fillna(True).astype(bool).to_numpy()
    out["_tie"] = exposure
    out = out.sort_values(["estimate", "_tie", "touchpoint_id"], ascending=[False, False, True],
                          na_position="last", ignore_index=True)  # fmt: skip
    out.insert(0, "rank", np.arange(1, len(out) + 1))
    return out.drop(columns="_tie")


def audit_results(
    scorecard: pd.DataFrame,
    funnel: pd.DataFrame,
    pains: pd.DataFrame,
    consistency: pd.DataFrame,
    impact: ImpactModel,
    *,
    top: int = 5,
) -> dict[str, Any]:
    """Collect the journey audit's machine-readable results for ``journey.json``.

    Parameters
    ----------
    scorecard, funnel, pains, consistency : pandas.DataFrame
        Results of the audit's functions.
    impact : ImpactModel
        The NPS impact model.
    top : int, default 5
        Pain points listed as the top ones.

    Returns
    -------
    dict
        ``pain_formula``, ``top_pain_points``, ``funnel``, ``consistency``,
        ``impact_model`` and ``scorecard``, as plain Python types (NaN as None).

    Examples
    --------
    >>> import pandas as pd
    >>> empty = pd.DataFrame()
    >>> m = ImpactModel(empty, 0, 0.0, 0.95, None)
    >>> sorted(audit_results(empty, empty, empty, empty, m))[:2]
    ['consistency', 'funnel']
    """
    return {
        "pain_formula": "dissatisfaction x reach x NPS points lost per bad experience",
        "top_pain_points": _records(pains.head(top)),
        "funnel": _records(funnel),
        "consistency": _records(consistency),
        "impact_model": impact.to_dict(),
        "scorecard": _records(scorecard),
    }
