"""Step 6: measure every KPI of one wave and collect the baseline's parts in one object.

:func:`measure_baseline` takes the clean tables (a mapping of DataFrames; a missing table
means the KPIs that need it are left out, and the result says so), the engagement's
configuration and the wave, and returns a :class:`KpiBaseline`: the KPI table with targets,
owners and sample sizes, the KPI tree, the churn tables and the definitions the next
baseline will be compared with. It is pure: reading files is the job of
:mod:`cxlib.baseline`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from cxlib.config import Engagement
from cxlib.kpi import cx_metrics, kpi_frame, operational_metrics, wave_period
from cxlib.kpi_health import (
    definition_changes,
    definition_changes_kpi,
    definitions,
    employee_engagement,
    goal_kpi,
    improvement_rate,
    innovation_rate,
)
from cxlib.kpi_outcomes import (
    business_kpis,
    churn_by_nps_group,
    churn_link,
    customer_nps_groups,
    revenue_at_risk,
)
from cxlib.kpi_targets import attach_targets, owners_from_governance, sample_sizes
from cxlib.kpi_tree import kpi_tree

__all__ = ["KpiBaseline", "measure_baseline", "records"]

_TABLES = ("churn_by_group", "revenue_at_risk", "churn_link", "tree", "definition_changes")


def records(frame: pd.DataFrame | None) -> list[dict[str, Any]] | None:
    """Turn a table into JSON-ready records: NaN and NA become None, numbers plain Python.

    Parameters
    ----------
    frame : pandas.DataFrame or None
        Any table.

    Returns
    -------
    list of dict or None
        One dict per row; None for None.

    Examples
    --------
    >>> records(pd.DataFrame({"a": [1.5, np.nan], "b": ["x", None]}))
    [{'a': 1.5, 'b': 'x'}, {'a': None, 'b': None}]
    """
    if frame is None:
        return None
    return [{str(k): _plain(v) for k, v in row.items()} for row in frame.to_dict("records")]


def _plain(value: Any) -> Any:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return value


@dataclass(frozen=True)
class KpiBaseline:
    """Every KPI of one wave, with what the baseline page and file need.

    Attributes
    ----------
    wave : str
        The wave measured.
    kpis : pandas.DataFrame
        KPI table (:data:`cxlib.kpi.KPI_COLUMNS`) plus ``direction``, ``target``,
        ``target_date``, ``owner``, ``owner_source``, ``gap``, ``target_met``,
        ``n_needed``, ``n_sufficient`` and ``power_method``.
    tree : pandas.DataFrame
        The KPI tree (:func:`cxlib.kpi_tree.kpi_tree`).
    churn_by_group : pandas.DataFrame or None
        Churn and retention by NPS group (None without customers or responses).
    revenue_at_risk : pandas.DataFrame or None
        One-row revenue-at-risk table.
    churn_link : pandas.DataFrame or None
        Churn-rate difference and odds ratios.
    definitions : dict
        Journey, touchpoint and persona definitions (stored for the next comparison).
    definition_changes : pandas.DataFrame or None
        Changes since the previous locked baseline; None when there is none.
    previous_wave : str or None
        Wave of that previous baseline.
    confidence : float
        Confidence level of every interval.
    power : float
        Power used for the sample sizes.
    period : tuple of str or None
        The wave's calendar period (ISO dates, end exclusive).
    rate_period : tuple of str or None
        The window the rates of innovation and improvement count in (ISO dates).
    missing : tuple of str
        Tables that were absent, so their KPIs are not measured.
    """

    wave: str
    kpis: pd.DataFrame
    tree: pd.DataFrame
    churn_by_group: pd.DataFrame | None = None
    revenue_at_risk: pd.DataFrame | None = None
    churn_link: pd.DataFrame | None = None
    definitions: dict[str, Any] = field(default_factory=dict)
    definition_changes: pd.DataFrame | None = None
    previous_wave: str | None = None
    confidence: float = 0.95
    power: float = 0.8
    period: tuple[str, str] | None = None
    rate_period: tuple[str, str] | None = None
    missing: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON dict for ``kpi_baseline.json`` and the locked baseline file."""
        out: dict[str, Any] = {
            "wave": self.wave,
            "confidence": self.confidence,
            "power": self.power,
            "period": list(self.period) if self.period else None,
            "rate_period": list(self.rate_period) if self.rate_period else None,
            "previous_wave": self.previous_wave,
            "missing_tables": list(self.missing),
            "kpis": records(self.kpis),
            "definitions": self.definitions,
        }
        out.update({name: records(getattr(self, name)) for name in _TABLES})
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> KpiBaseline:
        """Rebuild a baseline from :meth:`to_dict` output (e.g. a locked file's content)."""
        tables = {
            name: None if data.get(name) is None else pd.DataFrame(data[name]) for name in _TABLES
        }
        tables["tree"] = tables["tree"] if tables["tree"] is not None else pd.DataFrame()
        return cls(
            wave=str(data["wave"]),
            kpis=kpi_frame(data.get("kpis") or []),
            definitions=dict(data.get("definitions") or {}),
            previous_wave=data.get("previous_wave"),
            confidence=float(data.get("confidence", 0.95)),
            power=float(data.get("power", 0.8)),
            period=tuple(data["period"]) if data.get("period") else None,
            rate_period=tuple(data["rate_period"]) if data.get("rate_period") else None,
            missing=tuple(data.get("missing_tables") or ()),
            **tables,
        )


def _present(tables: Mapping[str, pd.DataFrame | None], name: str) -> pd.DataFrame | None:
    table = tables.get(name)
    return table if isinstance(table, pd.DataFrame) else None


def measure_baseline(
    tables: Mapping[str, pd.DataFrame | None],
    config: Engagement,
    *,
    wave: str,
    governance: Mapping[str, Any] | None = None,
    previous: Mapping[str, Any] | None = None,
    persona_names: Sequence[str] = (),
    power: float = 0.8,
) -> KpiBaseline:
    """Measure every KPI of a wave: CX, operational, business and the four health KPIs.

    Parameters
    ----------
    tables : mapping of str to DataFrame
        Clean canonical tables by name (``responses``, ``customers``,
        ``touchpoint_events``, ``initiatives``, ``employee_pulse``); absent or None
        tables leave their KPIs out.
    config : Engagement
        The engagement configuration (journey, strategy, kpis, survey settings).
    wave : str
        The wave to measure.
    governance : mapping, optional
        The governance step's results (owners of KPIs).
    previous : mapping, optional
        The previous locked baseline's content (its ``wave`` and ``definitions``), for
        the rate of improvement.
    persona_names : sequence of str, optional
        Persona names found by step 2, for the definitions snapshot.
    power : float, default 0.8
        Power of the planned sample sizes.

    Returns
    -------
    KpiBaseline
        KPI table with targets, owners and sample sizes, the tree and the churn tables.

    Raises
    ------
    ValueError
        If the responses table is missing (every baseline needs it).

    See Also
    --------
    cxlib.kpi.cx_metrics, cxlib.kpi.operational_metrics, cxlib.kpi_outcomes.business_kpis,
    cxlib.kpi_health.goal_kpi : the parts.

    Notes
    -----
    The wave's calendar period comes from its label (:func:`cxlib.kpi.wave_period`) or
    its response dates; operational metrics, ideas and implemented initiatives are
    counted within it; ideas and implemented initiatives (the rates of innovation and
    improvement) are counted from the end of the previous wave's period to the end of
    this one, so a change that went live between two waves counts for the later wave.
    Business outcomes are measured on the wave's respondents. Survey metrics use the
    ``weight`` column of the responses when there is one.

    Examples
    --------
    >>> from cxlib.config import Engagement
    >>> cfg = Engagement.model_validate({"client": {"name": "A"},
    ...     "waves": {"labels": ["2026Q1"], "baseline": "2026Q1"},
    ...     "inputs": {"customers": [], "responses": []}})
    >>> r = pd.DataFrame({"wave": ["2026Q1"] * 4, "nps": [10, 9, 6, 8]})
    >>> b = measure_baseline({"responses": r}, cfg, wave="2026Q1")
    >>> b.kpis["kpi"].tolist(), float(b.kpis.loc[0, "estimate"])
    (['nps', 'definition_changes'], 25.0)
    """
    responses = _present(tables, "responses")
    if responses is None:
        raise ValueError("the responses table is needed to measure a baseline")
    conf, min_n = config.survey.confidence, config.survey.min_base
    opts = {"confidence": conf, "min_n": min_n}
    period = _period(responses, wave)
    weight = "weight" if "weight" in responses.columns else None
    events = _present(tables, "touchpoint_events")
    rated = events if config.kpis.stage_ratings == "events" else None
    parts = [
        cx_metrics(
            responses,
            journey=config.journey,
            wave=wave,
            events=rated,
            period=period,
            weight=weight,
            **opts,
        )
    ]
    missing: list[str] = []
    extra: dict[str, Any] = {}
    parts += _operational(tables, config, period, opts, missing)
    parts += _business(tables, responses, config, wave, opts, missing, extra)
    since = _since_previous_wave(responses, config.waves.labels, wave, period)
    parts += _health(tables, config, wave, since, opts, missing)
    current = definitions(config.journey, config.personas, persona_names=persona_names)
    changes = None
    if previous is not None:
        changes = definition_changes(previous.get("definitions"), current)
    parts.append(definition_changes_kpi(changes))
    kpis = kpi_frame(pd.concat([p for p in parts if len(p)], ignore_index=True))
    kpis = attach_targets(
        kpis,
        config.kpis.targets,
        owners=owners_from_governance(governance),
        goal=config.strategy.cx_goal if config.strategy else None,
        lower_is_better=config.kpis.lower_is_better,
    )
    kpis = sample_sizes(kpis, power=power, confidence=conf)
    goal = config.strategy.cx_goal.statement if config.strategy else "CX goal"
    return KpiBaseline(
        wave=str(wave),
        kpis=kpis,
        tree=kpi_tree(kpis, goal=goal),
        definitions=current,
        definition_changes=changes,
        previous_wave=None if previous is None else str(previous.get("wave")),
        confidence=conf,
        power=power,
        period=_iso(period),
        rate_period=_iso(since),
        missing=tuple(missing),
        **extra,
    )


def _iso(period) -> tuple[str, str] | None:
    return None if period is None else (period[0].isoformat(), period[1].isoformat())


def _period(responses: pd.DataFrame, wave: str):
    rows = responses[responses["wave"].astype(str) == str(wave)]
    return wave_period(wave, dates=rows["responded_at"] if "responded_at" in rows else None)


def _since_previous_wave(responses, labels: Sequence[str], wave: str, period):
    """From the end of the previous wave's period to the end of this wave's period."""
    if period is None or wave not in labels or labels.index(wave) == 0:
        return period
    previous = _period(responses, labels[labels.index(wave) - 1])
    if previous is None or previous[1] >= period[1]:
        return period
    return previous[1], period[1]


def _operational(tables, config, period, opts, missing) -> list[pd.DataFrame]:
    events = _present(tables, "touchpoint_events")
    if events is None:
        missing.append("touchpoint_events")
        return []
    return [
        operational_metrics(
            events, journey=config.journey, metrics=config.kpis.operational, period=period, **opts
        )
    ]


def _business(tables, responses, config, wave, opts, missing, extra) -> list[pd.DataFrame]:
    customers = _present(tables, "customers")
    if customers is None or "churned" not in customers.columns:
        missing.append("customers")
        return []
    groups = customer_nps_groups(responses, customers, wave=wave)
    basis = config.kpis.revenue_at_risk
    extra["churn_by_group"] = churn_by_nps_group(groups, **opts)
    extra["revenue_at_risk"] = revenue_at_risk(groups, basis=basis, confidence=opts["confidence"])
    extra["churn_link"] = churn_link(groups, confidence=opts["confidence"])
    return [business_kpis(groups, basis=basis, **opts)]


def _health(tables, config, wave, period, opts, missing) -> list[pd.DataFrame]:
    out = []
    if config.strategy is not None:
        goal = config.strategy.cx_goal
        table = _present(tables, goal.measure.table)
        if table is not None and goal.measure.column in table.columns:
            out.append(goal_kpi(table, goal, wave=wave, **opts))
    pulse = _present(tables, "employee_pulse")
    if pulse is None:
        missing.append("employee_pulse")
    else:
        out.append(
            employee_engagement(pulse, wave=wave, min_score=config.kpis.engaged_min_score, **opts)
        )
    initiatives = _present(tables, "initiatives")
    if initiatives is None:
        missing.append("initiatives")
    else:
        conf = opts["confidence"]
        if "proposed_at" in initiatives.columns:
            out.append(innovation_rate(initiatives, period=period, confidence=conf))
        if "implemented_at" in initiatives.columns:
            out.append(improvement_rate(initiatives, period=period, confidence=conf))
    return out
