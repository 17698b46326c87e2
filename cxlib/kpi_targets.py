"""Step 6: each KPI's owner, target, direction, and the sample size a target change needs.

Targets come from ``kpis.targets`` in engagement.yaml (the CX goal's target from
``strategy.cx_goal`` when not listed there). Owners come from the governance step's results
when it has named them, else from the target. The sample size answers "how many responses
per wave do we need to see the target change as significant?".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from cxlib import stats
from cxlib.config import CxGoal, KpiTarget

__all__ = [
    "attach_targets",
    "direction_of",
    "owners_from_governance",
    "sample_sizes",
]

_METHODS = {
    "nps": "adjusted-Wald NPS z-test (Rocks 2016)",
    "share": "two-proportion z-test, arcsine effect size (Cohen 1988)",
    "mean": "two-sample t-test, exact non-central t (Cohen 1988)",
}


def _base_name(kpi: str) -> str:
    return kpi.split(":", 1)[0]


def direction_of(kpi: str, *, lower_is_better: Iterable[str] = ()) -> str:
    """Whether a KPI improves by going up or down.

    Parameters
    ----------
    kpi : str
        KPI id, e.g. ``"nps"``, ``"ces:Onboarding"``, ``"churn"``.
    lower_is_better : iterable of str
        KPI ids or base names (the part before ``:``) where a fall is an improvement.

    Returns
    -------
    str
        ``"decrease"`` when the KPI or its base name is listed, else ``"increase"``.

    Examples
    --------
    >>> direction_of("ces:Onboarding", lower_is_better=["ces"]), direction_of("nps")
    ('decrease', 'increase')
    """
    listed = set(lower_is_better)
    return "decrease" if kpi in listed or _base_name(kpi) in listed else "increase"


def owners_from_governance(governance: Mapping[str, Any] | None) -> dict[str, str]:
    """KPI owners named by the governance step, as ``{kpi: owner}``.

    Parameters
    ----------
    governance : mapping or None
        The governance step's ``governance.json`` (None when the step has not run).
        Owners are read from ``kpi_owners`` (a mapping ``kpi -> owner`` or a list of
        ``{"kpi": ..., "owner": ...}``) or from a ``kpis`` list of such records.

    Returns
    -------
    dict
        KPI id to owner; empty when none are named.

    Examples
    --------
    >>> owners_from_governance({"kpi_owners": [{"kpi": "nps", "owner": "Ana"}]})
    {'nps': 'Ana'}
    >>> owners_from_governance(None)
    {}
    """
    if not governance:
        return {}
    found: dict[str, str] = {}
    for key in ("kpis", "kpi_owners"):
        value = governance.get(key)
        if isinstance(value, Mapping):
            found.update({str(k): str(v) for k, v in value.items() if v})
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, Mapping) and item.get("kpi") and item.get("owner"):
                    found[str(item["kpi"])] = str(item["owner"])
    return found


def attach_targets(
    kpis: pd.DataFrame,
    targets: Sequence[KpiTarget] = (),
    *,
    owners: Mapping[str, str] | None = None,
    goal: CxGoal | None = None,
    lower_is_better: Iterable[str] = (),
) -> pd.DataFrame:
    """Add each KPI's direction, target, target date, owner and target attainment.

    Parameters
    ----------
    kpis : pandas.DataFrame
        A KPI table (see :data:`cxlib.kpi.KPI_COLUMNS`).
    targets : sequence of KpiTarget
        ``kpis.targets`` from engagement.yaml; matched on the KPI id.
    owners : mapping, optional
        Owners from governance (:func:`owners_from_governance`); they take precedence
        over a target's ``owner``.
    goal : CxGoal, optional
        ``strategy.cx_goal``: its target and date apply to ``goal_performance`` unless a
        target lists that KPI.
    lower_is_better : iterable of str
        Used for the direction of KPIs without a target (:func:`direction_of`).

    Returns
    -------
    pandas.DataFrame
        ``kpis`` with ``direction`` (increase or decrease), ``target`` (KPI units, NaN
        when none), ``target_date`` (ISO date or the goal's words, empty when none),
        ``owner``, ``owner_source`` (governance, target or empty), ``gap`` (estimate
        minus target) and ``target_met`` (nullable boolean; NA without a target or an
        estimate).

    Examples
    --------
    >>> from cxlib.config import KpiTarget
    >>> k = pd.DataFrame({"kpi": ["nps", "churn"], "estimate": [20.0, 0.1]})
    >>> t = [KpiTarget(kpi="nps", target=30, owner="Ana"),
    ...      KpiTarget(kpi="churn", target=0.12, direction="decrease")]
    >>> out = attach_targets(k, t)
    >>> out["target_met"].tolist(), out["owner"].tolist()
    ([False, True], ['Ana', ''])
    """
    by_kpi = {t.kpi: t for t in targets}
    owners = dict(owners or {})
    out = kpis.copy()
    rows = []
    for kpi in out["kpi"]:
        t = by_kpi.get(kpi)
        direction = t.direction if t else direction_of(kpi, lower_is_better=lower_is_better)
        target, date, owner = np.nan, "", t.owner if t else ""
        if t is not None:
            target, date = float(t.target), t.target_date.isoformat() if t.target_date else ""
        elif kpi == "goal_performance" and goal is not None:
            target, date = float(goal.target), goal.by
        source = "governance" if kpi in owners else ("target" if owner else "")
        rows.append((direction, target, date, owners.get(kpi, owner), source))
    extra = pd.DataFrame(
        rows,
        columns=["direction", "target", "target_date", "owner", "owner_source"],
        index=out.index,
    )
    out[extra.columns] = extra
    out["target"] = out["target"].astype(float)
    out["gap"] = out["estimate"].astype(float) - out["target"]
    met = np.where(out["direction"] == "decrease", out["gap"] <= 0, out["gap"] >= 0)
    known = out["target"].notna() & out["estimate"].notna()
    out["target_met"] = pd.array(np.where(known, met, False), dtype="boolean")
    out.loc[~known, "target_met"] = pd.NA
    return out


def _one_size(metric, est, target, promoters, detractors, sd, power, confidence) -> float:
    try:
        if metric == "nps":
            return stats.sample_size_nps(
                promoters, detractors, target - est, power=power, confidence=confidence
            )
        if metric == "share":
            return stats.sample_size_proportion(est, target, power=power, confidence=confidence)
        if metric == "mean":
            return stats.sample_size_mean(sd, target - est, power=power, confidence=confidence)
    except ValueError:  # no change to detect, or a share at 0 or 1
        return np.nan
    return np.nan


def sample_sizes(
    kpis: pd.DataFrame, *, power: float = 0.8, confidence: float = 0.95
) -> pd.DataFrame:
    r"""Responses per wave needed to detect each KPI's target change.

    For every KPI with a target, the size of each of two waves (baseline and
    re-measurement) that detects a true change from today's value to the target with the
    given power, in the two-sided test used at re-measurement.

    Parameters
    ----------
    kpis : pandas.DataFrame
        A KPI table with targets (:func:`attach_targets`).
    power : float, default 0.8
        Probability of detecting the change.
    confidence : float, default 0.95
        Confidence level of the test (significance ``1 - confidence``).

    Returns
    -------
    pandas.DataFrame
        ``kpis`` with ``n_needed`` (responses per wave, float; NaN when the KPI has no
        target, is already at it, or is not a sample estimate), ``n_sufficient``
        (nullable boolean: today's base ``n`` is at least ``n_needed``) and
        ``power_method`` (the test planned for).

    See Also
    --------
    cxlib.stats.sample_size_nps, cxlib.stats.sample_size_proportion,
    cxlib.stats.sample_size_mean : the formulas.

    Notes
    -----
    With :math:`z = z_{1-\alpha/2} + z_{power}`:

    - NPS: solve :math:`2V'(n)/(n + 3) = (\delta/100)^2 / z^2` with the adjusted-Wald
      variance :math:`V' = p'_P + p'_D - (p'_P - p'_D)^2`,
      :math:`p' = (np + 3/4)/(n + 3)` (Rocks 2016), baseline shares in both waves;
    - shares: :math:`n = 2(z/h)^2`, :math:`h = 2\arcsin\sqrt{p_1} - 2\arcsin\sqrt{p_0}`
      (Cohen 1988);
    - means: the smallest :math:`n` with power of the two-sample t-test at effect
      :math:`\delta/sd` (non-central t).

    Rates, amounts and counts are not planned (NaN).

    References
    ----------
    Rocks, B. (2016). Interval estimation for the "net promoter score". The American
    Statistician, 70(4), 365-372. doi:10.1080/00031305.2016.1158124

    Cohen, J. (1988). Statistical Power Analysis for the Behavioral Sciences (2nd ed.).
    Hillsdale, NJ: Lawrence Erlbaum. doi:10.4324/9780203771587

    Examples
    --------
    >>> k = pd.DataFrame({"kpi": ["csat"], "metric": ["share"], "estimate": [0.60],
    ...     "target": [0.65], "promoters": [np.nan], "detractors": [np.nan],
    ...     "sd": [np.nan], "n": [800]})
    >>> out = sample_sizes(k)
    >>> int(out.loc[0, "n_needed"]), bool(out.loc[0, "n_sufficient"])
    (1471, False)
    """
    out = kpis.copy()
    needed = [
        float(
            _one_size(
                r.metric,
                float(r.estimate),
                float(r.target),
                float(r.promoters),
                float(r.detractors),
                float(r.sd),
                power,
                confidence,
            )
        )
        if np.isfinite(r.target) and np.isfinite(r.estimate)
        else np.nan
        for r in out[["metric", "estimate", "target", "promoters", "detractors", "sd"]]
        .astype({"estimate": float, "target": float})
        .itertuples()
    ]
    out["n_needed"] = np.asarray(needed, dtype=float)
    if "target_met" in out.columns:
        met = out["target_met"].astype("boolean").fillna(False).astype(bool)
        out.loc[met.to_numpy(), "n_needed"] = np.nan
    enough = out["n"].astype(float).to_numpy() >= out["n_needed"].to_numpy()
    out["n_sufficient"] = pd.array(enough, dtype="boolean")
    out.loc[out["n_needed"].isna(), "n_sufficient"] = pd.NA
    out["power_method"] = out["metric"].map(_METHODS).fillna("not a sample estimate")
    return out
