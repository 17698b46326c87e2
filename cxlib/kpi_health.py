"""Step 6: the four health KPIs of CX management, and what changed in the definitions.

How well is the company *managing* customer experience, as opposed to how good the
experience is? Four measures answer it:

- **goal performance**: the share of customers achieving the CX goal (the customer action
  of ``strategy.cx_goal``), from :func:`cxlib.mission.goal_performance`;
- **employee engagement**: the share of engaged employees in the pulse survey;
- **rate of innovation**: improvement ideas proposed per month;
- **rate of improvement**: initiatives implemented per month, alongside the changes made to
  the journey, touchpoints and personas since the previous locked baseline.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as _sps

from cxlib import mission, stats
from cxlib._stats_common import check_confidence
from cxlib.config import CxGoal, Journey, Personas
from cxlib.kpi import kpi_frame, kpi_row

__all__ = [
    "DAYS_PER_MONTH",
    "definition_changes",
    "definition_changes_kpi",
    "definitions",
    "employee_engagement",
    "goal_kpi",
    "improvement_rate",
    "innovation_rate",
    "poisson_rate",
]

#: Average days in a month (365.25 / 12), for periods that are not whole months.
DAYS_PER_MONTH = 365.25 / 12
_MIN_EVENTS = 10
_CHANGE_COLUMNS = ["area", "item", "change", "detail"]


def goal_kpi(
    table: pd.DataFrame,
    goal: CxGoal,
    *,
    wave: str | None = None,
    wave_col: Hashable = "wave",
    confidence: float = 0.95,
    min_n: int = 30,
) -> pd.DataFrame:
    """Goal performance (share achieving the CX goal) as a KPI row.

    Parameters
    ----------
    table : pandas.DataFrame
        The table the goal is measured on (``goal.measure.table``).
    goal : CxGoal
        ``strategy.cx_goal`` from engagement.yaml.
    wave : str, optional
        When the goal is measured on responses, keep this wave's rows only.
    wave_col : str, default "wave"
        Wave column of the responses.
    confidence : float, default 0.95
        Confidence level of the interval.
    min_n : int, default 30
        A smaller base is flagged ``small_n``.

    Returns
    -------
    pandas.DataFrame
        One KPI row, ``kpi="goal_performance"``, level ``"health"``: the share achieving
        the action with its Wilson interval and ``count`` (customers achieving it).

    See Also
    --------
    cxlib.mission.goal_performance : the computation reused here.

    Examples
    --------
    >>> from cxlib.config import CxGoal
    >>> goal = CxGoal(statement="Stay", action="stay", target=0.9, measure={
    ...     "table": "customers", "column": "churned", "op": "==", "value": False})
    >>> out = goal_kpi(pd.DataFrame({"churned": [False, False, True, False]}), goal)
    >>> float(out.loc[0, "estimate"]), int(out.loc[0, "n"])
    (0.75, 4)
    """
    data = table
    if goal.measure.table == "responses" and wave is not None and wave_col in table.columns:
        data = table[table[wave_col].astype(str) == str(wave)]
    perf = mission.goal_performance(data, goal, confidence=confidence, min_n=min_n)
    row = kpi_row(
        kpi="goal_performance",
        label=f"Goal performance: customers who {goal.action}",
        level="health",
        metric="share",
        unit="share of customers (0 to 1)",
        n=perf.n,
        n_eff=float(perf.n),
        estimate=perf.estimate,
        ci_low=perf.ci_low,
        ci_high=perf.ci_high,
        se=float(np.sqrt(perf.estimate * (1 - perf.estimate) / perf.n)) if perf.n else np.nan,
        small_n=perf.small_n,
        count=float(perf.achieved),
    )
    return kpi_frame([row])


def employee_engagement(
    pulse: pd.DataFrame,
    *,
    wave: str | None = None,
    wave_col: Hashable = "wave",
    engaged: Hashable = "engaged",
    score: Hashable = "score",
    min_score: float = 4.0,
    confidence: float = 0.95,
    min_n: int = 30,
) -> pd.DataFrame:
    """Employee engagement: the share of engaged employees in the pulse survey.

    Parameters
    ----------
    pulse : pandas.DataFrame
        The employee pulse table.
    wave : str, optional
        Keep this wave's rows (when the table has a wave column).
    wave_col, engaged, score : str
        Column roles. ``engaged`` (true/false) is used when present, else ``score``.
    min_score : float, default 4.0
        With only a score, employees scoring at least this count as engaged.
    confidence : float, default 0.95
        Confidence level of the interval.
    min_n : int, default 30
        A smaller base is flagged ``small_n``.

    Returns
    -------
    pandas.DataFrame
        One KPI row, ``kpi="employee_engagement"``, level ``"health"``, share with a
        Wilson interval and ``count``.

    Raises
    ------
    ValueError
        If the table has neither an engaged nor a score column.

    Examples
    --------
    >>> p = pd.DataFrame({"wave": ["A", "A", "A", "B"], "engaged": [True, False, True, False]})
    >>> float(employee_engagement(p, wave="A").loc[0, "estimate"].round(3))
    0.667
    """
    data = pulse
    if wave is not None and wave_col in pulse.columns:
        data = pulse[pulse[wave_col].astype(str) == str(wave)]
    if engaged in data.columns:
        flag = data[engaged].astype("boolean").astype("Float64")
        how = "engaged"
    elif score in data.columns:
        value = pd.to_numeric(data[score], errors="coerce")
        flag = (value >= min_score).astype("Float64").where(value.notna())
        how = f"score of at least {min_score:g}"
    else:
        raise ValueError(f"employee_pulse needs an {engaged!r} or a {score!r} column")
    frame = pd.DataFrame({"v": flag.astype(float)})
    t = stats.top_box(frame, score="v", top=(1,), confidence=confidence, min_n=min_n).iloc[0]
    row = kpi_row(
        kpi="employee_engagement",
        label="Employee engagement",
        level="health",
        metric="share",
        unit=f"share of employees (0 to 1; {how})",
        n=int(t["n"]),
        n_eff=float(t["n_eff"]),
        estimate=float(t["estimate"]),
        ci_low=float(t["ci_low"]),
        ci_high=float(t["ci_high"]),
        se=float(t["se"]),
        small_n=bool(t["small_n"]),
        count=float(np.nansum(frame["v"])),
    )
    return kpi_frame([row])


def poisson_rate(
    count: float, exposure: float, *, confidence: float = 0.95
) -> tuple[float, float, float]:
    r"""Rate of events per unit of exposure with the exact (Garwood) Poisson interval.

    Parameters
    ----------
    count : float
        Number of events (non-negative whole number).
    exposure : float
        Exposure, e.g. months observed (positive).
    confidence : float, default 0.95
        Confidence level.

    Returns
    -------
    tuple of float
        ``(rate, low, high)`` per unit of exposure.

    Raises
    ------
    ValueError
        If the count is negative or the exposure not positive.

    Notes
    -----
    :math:`\lambda = k/T` with bounds :math:`\chi^2_{\alpha/2}(2k)/(2T)` and
    :math:`\chi^2_{1-\alpha/2}(2k + 2)/(2T)` (the lower bound is 0 when :math:`k = 0`).

    References
    ----------
    Garwood, F. (1936). Fiducial limits for the Poisson distribution. Biometrika,
    28(3/4), 437-442. doi:10.1093/biomet/28.3-4.437

    Examples
    --------
    >>> [round(x, 4) for x in poisson_rate(10, 1)]
    [10.0, 4.7954, 18.3904]
    """
    check_confidence(confidence)
    if not count >= 0 or not exposure > 0:
        raise ValueError("count must be >= 0 and exposure > 0")
    a = 1.0 - confidence
    low = _sps.chi2.ppf(a / 2, 2 * count) / 2 if count > 0 else 0.0
    high = _sps.chi2.ppf(1 - a / 2, 2 * count + 2) / 2
    return float(count / exposure), float(low / exposure), float(high / exposure)


def _months(start: pd.Timestamp, end: pd.Timestamp) -> float:
    """Calendar months from start to end: whole months plus leftover days / 30.44."""
    whole = (end.year - start.year) * 12 + (end.month - start.month)
    anchor = start + pd.DateOffset(months=whole)
    if anchor > end:
        whole -= 1
        anchor = start + pd.DateOffset(months=whole)
    return whole + (end - anchor).days / DAYS_PER_MONTH


def _rate_row(dates: pd.Series, period, *, kpi, label, unit, confidence) -> dict[str, Any]:
    when = pd.to_datetime(dates, errors="coerce").dropna()
    if period is None:
        if when.empty:
            return kpi_row(kpi=kpi, label=label, level="health", metric="rate", unit=unit)
        period = (when.min().normalize(), when.max().normalize() + pd.Timedelta(days=1))
    start, end = pd.Timestamp(period[0]), pd.Timestamp(period[1])
    count = float(((when >= start) & (when < end)).sum())
    months = _months(start, end)
    rate, low, high = poisson_rate(count, months, confidence=confidence)
    return kpi_row(
        kpi=kpi,
        label=label,
        level="health",
        metric="rate",
        unit=unit,
        n=int(count),
        estimate=rate,
        ci_low=low,
        ci_high=high,
        se=float(np.sqrt(count)) / months,
        small_n=count < _MIN_EVENTS,
        count=count,
        exposure=months,
    )


def innovation_rate(
    initiatives: pd.DataFrame,
    *,
    period: tuple[pd.Timestamp, pd.Timestamp] | None = None,
    proposed_at: Hashable = "proposed_at",
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Rate of innovation: improvement ideas proposed per month in a period.

    Parameters
    ----------
    initiatives : pandas.DataFrame
        The initiatives table (one row per idea).
    period : tuple of Timestamp, optional
        ``(start, end)`` of the wave, end exclusive; default the span of the dates.
    proposed_at : str, default "proposed_at"
        Date the idea was proposed.
    confidence : float, default 0.95
        Confidence level of the interval.

    Returns
    -------
    pandas.DataFrame
        One KPI row, ``kpi="innovation_rate"``, ``metric="rate"``: ideas per month with
        the exact Poisson interval; ``count`` (ideas) and ``exposure`` (months). Flagged
        ``small_n`` below 10 ideas.

    See Also
    --------
    poisson_rate : the interval.

    Examples
    --------
    >>> ini = pd.DataFrame({"proposed_at": pd.to_datetime(["2026-01-05", "2026-02-10",
    ...     "2026-03-01", "2026-05-01"])})
    >>> p = (pd.Timestamp("2026-01-01"), pd.Timestamp("2026-04-01"))
    >>> round(float(innovation_rate(ini, period=p).loc[0, "estimate"]), 3)
    1.0
    """
    if proposed_at not in initiatives.columns:
        raise ValueError(f"initiatives lacks the column {proposed_at!r}")
    row = _rate_row(
        initiatives[proposed_at],
        period,
        kpi="innovation_rate",
        label="Rate of innovation (ideas per month)",
        unit="ideas per month",
        confidence=confidence,
    )
    return kpi_frame([row])


def improvement_rate(
    initiatives: pd.DataFrame,
    *,
    period: tuple[pd.Timestamp, pd.Timestamp] | None = None,
    implemented_at: Hashable = "implemented_at",
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Rate of improvement: initiatives implemented per month in a period.

    Parameters
    ----------
    initiatives : pandas.DataFrame
        The initiatives table.
    period : tuple of Timestamp, optional
        ``(start, end)`` of the wave, end exclusive; default the span of the dates.
    implemented_at : str, default "implemented_at"
        Date the change went live (empty while not implemented).
    confidence : float, default 0.95
        Confidence level of the interval.

    Returns
    -------
    pandas.DataFrame
        One KPI row, ``kpi="improvement_rate"``, ``metric="rate"``: changes implemented
        per month, exact Poisson interval, ``count`` and ``exposure`` (months).

    See Also
    --------
    definition_changes : the other half of the rate of improvement.

    Examples
    --------
    >>> ini = pd.DataFrame({"implemented_at": pd.to_datetime(["2026-01-05", None])})
    >>> p = (pd.Timestamp("2026-01-01"), pd.Timestamp("2026-04-01"))
    >>> int(improvement_rate(ini, period=p).loc[0, "count"])
    1
    """
    if implemented_at not in initiatives.columns:
        raise ValueError(f"initiatives lacks the column {implemented_at!r}")
    row = _rate_row(
        initiatives[implemented_at],
        period,
        kpi="improvement_rate",
        label="Rate of improvement (changes implemented per month)",
        unit="changes per month",
        confidence=confidence,
    )
    return kpi_frame([row])


def definitions(
    journey: Journey | None,
    personas: Personas | None = None,
    *,
    persona_names: Sequence[str] = (),
) -> dict[str, Any]:
    """Snapshot of the journey, touchpoint and persona definitions, for the baseline file.

    Parameters
    ----------
    journey : Journey or None
        ``journey:`` from engagement.yaml.
    personas : Personas, optional
        ``personas:`` from engagement.yaml (its cards and rules are compared).
    persona_names : sequence of str, optional
        Persona names found by step 2 (added when no card describes them).

    Returns
    -------
    dict
        ``{"stages": [...], "touchpoints": {id: {name, stage, channel, owner}},
        "personas": {name: {description, motivations, challenges, needs, rule}}}``,
        plain JSON types only.

    Examples
    --------
    >>> from cxlib.config import Journey
    >>> d = definitions(Journey(stages=["Join"], touchpoints=[
    ...     {"id": "t1", "name": "Shop", "stage": "Join", "channel": "store"}]))
    >>> d["stages"], d["touchpoints"]["t1"]["name"]
    (['Join'], 'Shop')
    """
    stages = list(journey.stages) if journey else []
    touchpoints = {
        t.id: {"name": t.name, "stage": t.stage, "channel": t.channel, "owner": t.owner}
        for t in (journey.touchpoints if journey else [])
    }
    cards: dict[str, dict[str, Any]] = {}
    if personas is not None:
        for card in personas.cards:
            cards[card.name] = card.model_dump(exclude={"name"}, mode="json")
        for rule in personas.rules:
            entry = cards.setdefault(rule.name, {})
            entry["rule"] = [c.model_dump(mode="json") for c in rule.conditions]
    for name in persona_names:
        cards.setdefault(str(name), {})
    return {"stages": stages, "touchpoints": touchpoints, "personas": cards}


def definition_changes(
    previous: Mapping[str, Any] | None, current: Mapping[str, Any]
) -> pd.DataFrame:
    """List what changed in the journey, touchpoints and personas since the last baseline.

    Parameters
    ----------
    previous : mapping or None
        :func:`definitions` stored in the previous locked baseline; None when there is
        none (then nothing is reported).
    current : mapping
        :func:`definitions` of today's engagement.yaml.

    Returns
    -------
    pandas.DataFrame
        One row per change: ``area`` (stage, touchpoint, persona), ``item`` (its name or
        id), ``change`` (added, removed, changed, reordered) and ``detail`` (which fields
        changed). Empty when nothing changed.

    Examples
    --------
    >>> old = {"stages": ["Join", "Use"], "touchpoints": {"t1": {"name": "Shop"}},
    ...        "personas": {}}
    >>> new = {"stages": ["Join", "Use", "Leave"],
    ...        "touchpoints": {"t1": {"name": "Store"}}, "personas": {"Pat": {}}}
    >>> definition_changes(old, new)[["area", "item", "change"]].values.tolist()
    [['stage', 'Leave', 'added'], ['touchpoint', 't1', 'changed'], ['persona', 'Pat', 'added']]
    """
    if previous is None:
        return pd.DataFrame(columns=_CHANGE_COLUMNS)
    rows: list[tuple[str, str, str, str]] = []
    old_stages, new_stages = list(previous.get("stages", [])), list(current.get("stages", []))
    rows += [("stage", s, "added", "") for s in new_stages if s not in old_stages]
    rows += [("stage", s, "removed", "") for s in old_stages if s not in new_stages]
    kept_old = [s for s in old_stages if s in new_stages]
    kept_new = [s for s in new_stages if s in old_stages]
    if kept_old != kept_new:
        rows.append(("stage", "order", "reordered", " > ".join(kept_new)))
    for area, key in (("touchpoint", "touchpoints"), ("persona", "personas")):
        rows += _mapping_changes(area, previous.get(key, {}), current.get(key, {}))
    return pd.DataFrame(rows, columns=_CHANGE_COLUMNS)


def _mapping_changes(area: str, old: Mapping, new: Mapping) -> list[tuple[str, str, str, str]]:
    rows = [(area, str(k), "added", "") for k in new if k not in old]
    rows += [(area, str(k), "removed", "") for k in old if k not in new]
    for key in (k for k in new if k in old):
        fields = sorted(
            f for f in set(old[key]) | set(new[key]) if old[key].get(f) != new[key].get(f)
        )
        if fields:
            rows.append((area, str(key), "changed", ", ".join(fields)))
    return rows


def definition_changes_kpi(changes: pd.DataFrame | None) -> pd.DataFrame:
    """Count of definition changes since the previous baseline as a KPI row.

    Parameters
    ----------
    changes : pandas.DataFrame or None
        Output of :func:`definition_changes`; None when there is no previous baseline.

    Returns
    -------
    pandas.DataFrame
        One KPI row, ``kpi="definition_changes"``, ``metric="count"`` (a census count with
        no interval); NaN estimate when there is no previous baseline.

    Examples
    --------
    >>> float(definition_changes_kpi(pd.DataFrame({"area": ["stage"]})).loc[0, "estimate"])
    1.0
    """
    value = np.nan if changes is None else float(len(changes))
    row = kpi_row(
        kpi="definition_changes",
        label="Journey, touchpoint and persona changes since the previous baseline",
        level="health",
        metric="count",
        unit="changes",
        n=0 if changes is None else len(changes),
        estimate=value,
        small_n=False,
    )
    return kpi_frame([row])
