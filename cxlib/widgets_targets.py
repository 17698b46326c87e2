"""What the target simulator computes: projected NPS and revenue at risk under a what-if.

Pure: data and fitted models in, a frozen :class:`Simulation` out. The widget is
:class:`cxlib.widgets.TargetSimulator`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from cxlib import kpi_outcomes, stats

__all__ = ["Simulation", "simulate_targets"]


@dataclass(frozen=True)
class Simulation:
    """Projected NPS and revenue at risk under a what-if.

    Attributes
    ----------
    nps : float
        Current NPS (weighted when weights are given), -100..100.
    promoters, detractors : float
        Current shares (0..1).
    projected_nps : float
        NPS after converting detractors and lifting the touchpoint.
    from_conversion, from_touchpoint, from_attribute : float
        NPS points each lever adds.
    revenue_at_risk, projected_revenue_at_risk : float
        Annual revenue at risk now and after the conversion (NaN without customers).
    impact : pandas.DataFrame
        The touchpoint impact model's row for the lifted touchpoint (empty when none).
    """

    nps: float
    promoters: float
    detractors: float
    projected_nps: float
    from_conversion: float
    from_touchpoint: float
    from_attribute: float
    revenue_at_risk: float
    projected_revenue_at_risk: float
    impact: pd.DataFrame = field(repr=False)


def _share(value: float, name: str) -> float:
    if isinstance(value, bool) or not 0 <= float(value) <= 1:
        raise ValueError(f"{name} must be a share between 0 and 1, got {value!r}")
    return float(value)


def simulate_targets(
    responses: pd.DataFrame,
    *,
    to_passive: float = 0.0,
    to_promoter: float = 0.0,
    impact: pd.DataFrame | None = None,
    n_impact: int | None = None,
    touchpoint: str | None = None,
    csat_lift: float = 0.0,
    detractor_model: Any = None,
    attribute: str | None = None,
    attribute_lift: float = 0.0,
    scale_max: float | None = None,
    groups: pd.DataFrame | None = None,
    basis: str = "churn_rate",
    weight: str | None = "weight",
    confidence: float = 0.95,
) -> Simulation:
    r"""Project NPS and revenue at risk if detractors convert or a touchpoint improves.

    Parameters
    ----------
    responses : pandas.DataFrame
        The responses the current NPS is measured on (one wave, one survey).
    to_passive, to_promoter : float
        Shares of current detractors converted to passives and to promoters (sum <= 1).
    impact : pandas.DataFrame, optional
        ``table`` of :func:`cxlib.journey_pain.touchpoint_impact`.
    n_impact : int, optional
        Respondents in that model (its ``n``).
    touchpoint : str, optional
        Touchpoint whose bad experiences are reduced.
    csat_lift : float, default 0
        Share of that touchpoint's bad experiences turned into good ones (0..1).
    detractor_model : cxlib.drivers.DetractorResult, optional
        The detractor drivers model (:func:`cxlib.drivers.detractor_drivers`) fitted on
        ``responses``, for the attribute lever.
    attribute : str, optional
        Attribute rating to lift (one of the model's attributes).
    attribute_lift : float, default 0
        Points added to every respondent's rating of ``attribute`` (capped at ``scale_max``).
    scale_max : float, optional
        Top of the attribute scale (``survey.attribute_scale`` in engagement.yaml).
    groups : pandas.DataFrame, optional
        :func:`cxlib.kpi_outcomes.customer_nps_groups`, for revenue at risk.
    basis : {"churn_rate", "excess_churn"}
        Revenue-at-risk basis (``kpis.revenue_at_risk`` in engagement.yaml).
    weight : str or None, default "weight"
        Survey weights (ignored when absent).
    confidence : float, default 0.95
        Confidence level.

    Returns
    -------
    Simulation
        Current and projected figures.

    Raises
    ------
    ValueError
        On shares outside 0..1, or a touchpoint missing from the impact model.

    Notes
    -----
    With promoter share :math:`P` and detractor share :math:`D`, converting shares
    :math:`a` (to passive) and :math:`b` (to promoter) of detractors gives
    :math:`NPS' = 100\,[(P + bD) - (1 - a - b) D]`. Lifting touchpoint :math:`t` adds
    :math:`\max(-\beta_t, 0)\, (n_t / N)\, \ell`, with :math:`\beta_t` the NPS gap between
    customers with a bad and only good experiences there (touchpoint impact model),
    :math:`n_t / N` the share of respondents with a bad experience and :math:`\ell` the
    lift; a touchpoint whose bad experiences show no NPS loss projects no gain. Lifting
    attribute :math:`j` by :math:`\delta` uses the detractor logit
    :math:`P_i = \sigma(b_0 + x_i' b)`: the intercept :math:`b_0` is recovered from the
    coefficients as the root of :math:`\sum w_i (y_i - P_i) = 0` (the maximum-likelihood
    score equation of the intercept, so the fitted rate equals the observed one), and the
    projected detractor share is the weighted mean of :math:`\sigma(b_0 + x_i' b + b_j
    \Delta_{ij})` with :math:`\Delta_{ij} = \min(x_{ij} + \delta, \text{scale max}) -
    x_{ij}`, over the respondents the model used; the detractors it removes are counted
    as passives (a conservative assumption). Revenue
    at risk (:func:`cxlib.kpi_outcomes.revenue_at_risk`) scales with the detractors'
    revenue, which shrinks by the converted share :math:`a + b` (detractors are assumed
    alike in revenue; the touchpoint lever does not change revenue at risk).

    Examples
    --------
    >>> r = pd.DataFrame({"nps": [10.0, 8, 0, 0]})
    >>> s = simulate_targets(r, to_promoter=0.5)
    >>> round(s.nps, 1), round(s.projected_nps, 1)
    (-25.0, 25.0)
    """
    a, b = _share(to_passive, "to_passive"), _share(to_promoter, "to_promoter")
    if a + b > 1 + 1e-12:
        raise ValueError(f"to_passive + to_promoter must not exceed 1, got {a + b!r}")
    lift = _share(csat_lift, "csat_lift")
    w = weight if weight is not None and weight in responses.columns else None
    current = stats.nps(responses, weight=w, confidence=confidence).iloc[0]
    p, d = float(current["promoters"]), float(current["detractors"])
    from_conversion = 100 * (b * d + (a + b) * d)
    from_tp, row = 0.0, pd.DataFrame()
    if touchpoint:
        if impact is None or not n_impact:
            raise ValueError("a touchpoint lift needs the touchpoint impact model")
        row = impact[impact["touchpoint_id"] == touchpoint]
        if row.empty:
            raise ValueError(f"touchpoint {touchpoint!r} is not in the impact model")
        beta = float(row["estimate"].iloc[0])
        if np.isfinite(beta):
            from_tp = max(-beta, 0.0) * float(row["n"].iloc[0]) / n_impact * lift
    from_attr = 0.0
    if attribute:
        if detractor_model is None:
            raise ValueError("an attribute lift needs the detractor drivers model")
        from_attr = _attribute_gain(
            responses, detractor_model, attribute, float(attribute_lift), scale_max, w
        )
    rar = projected = float("nan")
    if groups is not None:
        table = kpi_outcomes.revenue_at_risk(groups, basis=basis, confidence=confidence)
        rar = float(table["estimate"].iloc[0])
        projected = rar * (1 - a - b)
    return Simulation(
        nps=float(current["estimate"]),
        promoters=p,
        detractors=d,
        projected_nps=float(current["estimate"]) + from_conversion + from_tp + from_attr,
        from_conversion=from_conversion,
        from_touchpoint=from_tp,
        from_attribute=from_attr,
        revenue_at_risk=rar,
        projected_revenue_at_risk=projected,
        impact=row.reset_index(drop=True),
    )


def _attribute_gain(responses, model, attribute, lift, scale_max, weight) -> float:
    """NPS points gained when the detractor logit sees ``attribute`` rated ``lift`` higher."""
    from scipy.optimize import brentq
    from scipy.special import expit

    if lift < 0:
        raise ValueError(f"attribute_lift must not be negative, got {lift!r}")
    attrs = list(model.attributes)
    if attribute not in attrs:
        raise ValueError(f"attribute {attribute!r} is not in the detractor model {attrs}")
    coef = model.table.set_index("attribute").loc[attrs, "coef"].to_numpy(dtype=float)
    rows = responses.dropna(subset=[*attrs, model.outcome])
    x = rows[attrs].to_numpy(dtype=float)
    y = (rows[model.outcome].to_numpy(dtype=float) <= model.detractor_max).astype(float)
    w = np.ones(len(rows)) if weight is None else rows[weight].to_numpy(dtype=float)
    eta = x @ coef
    b0 = brentq(lambda b: float(np.sum(w * (y - expit(b + eta)))), -50.0, 50.0, xtol=1e-12)
    j = attrs.index(attribute)
    raised = x[:, j] + lift
    if scale_max is not None:
        raised = np.minimum(raised, scale_max)
    before = np.sum(w * expit(b0 + eta)) / w.sum()
    after = np.sum(w * expit(b0 + eta + coef[j] * (raised - x[:, j]))) / w.sum()
    return float(100 * (before - after))
