"""Sentences and client tables of the KPI baseline (step 6), and the KPI number formats.

Presentation layer: with :mod:`cxlib.narrative_remeasure` (step 7) and :mod:`cxlib.plots_kpi`,
the only place where the steps' numbers are rounded and formatted. Every piece of client text
(KPI labels, stage names, owners, the CX goal) passes through :func:`cxlib.report.escape`
before it enters Markdown; headlines are plain text for the executive index, which escapes
them itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from cxlib.display import escape
from cxlib.kpi_measure import KpiBaseline
from cxlib.narrative import pct

__all__ = [
    "baseline_headline",
    "baseline_summary",
    "baseline_table",
    "change_text",
    "churn_link",
    "churn_table",
    "definition_changes",
    "health_table",
    "lock_note",
    "sample_size_table",
    "value_text",
]

_HEALTH = ("goal_performance", "employee_engagement", "innovation_rate", "improvement_rate")


def _e(text: object) -> str:
    return escape("" if text is None or text is pd.NA else str(text))


def _missing(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value))


def value_text(value: float, metric: str) -> str:
    """Format a KPI value in its own units.

    Parameters
    ----------
    value : float
        The value.
    metric : str
        ``nps`` (points), ``share`` (percent), ``mean``, ``rate`` (per month), ``amount``
        or ``count``.

    Returns
    -------
    str
        E.g. ``"11.8"``, ``"64.3%"``, ``"4.78"``, ``"3.0/month"``, ``"226,414"``.

    Examples
    --------
    >>> value_text(0.6432, "share"), value_text(11.82, "nps"), value_text(3, "rate")
    ('64.3%', '11.8', '3.0/month')
    """
    if _missing(value):
        return "n/a"
    value = float(value)
    if metric == "share":
        return pct(value)
    if metric == "nps":
        return f"{value:.1f}"
    if metric == "rate":
        return f"{value:.1f}/month"
    if metric in ("amount", "count"):
        return f"{value:,.0f}"
    return f"{value:,.2f}" if abs(value) < 100 else f"{value:,.0f}"


def change_text(value: float, metric: str) -> str:
    """Format a change: signed, in points for NPS and shares.

    Parameters
    ----------
    value : float
        The change (current minus baseline), in the KPI's units (shares as 0..1).
    metric : str
        As :func:`value_text`.

    Returns
    -------
    str
        E.g. ``"+21.4 pts"`` (a share or NPS), ``"+0.58"`` (a mean), ``"n/a"`` when missing.

    Examples
    --------
    >>> change_text(0.2143, "share"), change_text(-2.28, "nps"), change_text(0.58, "mean")
    ('+21.4 pts', '-2.3 pts', '+0.58')
    """
    if _missing(value):
        return "n/a"
    value = float(value)
    if metric == "share":
        return f"{value * 100:+.1f} pts"
    if metric == "nps":
        return f"{value:+.1f} pts"
    if metric == "rate":
        return f"{value:+.1f}/month"
    if metric in ("amount", "count"):
        return f"{value:+,.0f}"
    return f"{value:+,.2f}" if abs(value) < 100 else f"{value:+,.0f}"


def _interval(low: float, high: float, metric: str, *, change: bool = False) -> str:
    if _missing(low) or _missing(high):
        return "–"
    fmt = change_text if change else value_text
    return f"{fmt(low, metric)} to {fmt(high, metric)}"


def _level(confidence: float) -> str:
    return f"{round(confidence * 100):d}%"


def _targets_met(met: int, total: int) -> str:
    """Say how many of the KPIs with a target already meet it (lower case, no full stop).

    Examples
    --------
    >>> _targets_met(1, 3), _targets_met(2, 3)
    ('1 of 3 KPIs with a target already meets it', '2 of 3 KPIs with a target already meet it')
    >>> _targets_met(0, 1)
    'the one KPI with a target does not meet it yet'
    """
    if total == 1:
        if met:
            return "the one KPI with a target already meets it"
        return "the one KPI with a target does not meet it yet"
    return f"{met} of {total} KPIs with a target already {'meets' if met == 1 else 'meet'} it"


def baseline_table(kpis: pd.DataFrame, *, confidence: float = 0.95) -> pd.DataFrame:
    """Tabulate the baseline for the client: value, CI, n, target, date, owner, n needed.

    Parameters
    ----------
    kpis : pandas.DataFrame
        The baseline KPI table (:attr:`cxlib.kpi_measure.KpiBaseline.kpis`).
    confidence : float, default 0.95
        Level of the intervals (for the column name).

    Returns
    -------
    pandas.DataFrame
        Indexed by KPI label; text columns ready for :func:`cxlib.report.table` (which
        escapes them), and ``small_n`` kept for its flag. Empty for an empty table.

    Examples
    --------
    >>> from cxlib.kpi import kpi_frame, kpi_row
    >>> k = kpi_frame([kpi_row(kpi="nps", label="NPS", metric="nps", n=300, estimate=11.8,
    ...     ci_low=6.0, ci_high=17.5)]).assign(target=20.0, target_date="2027-12-31",
    ...     owner="Ana", n_needed=1231.0)
    >>> baseline_table(k).loc["NPS", ["Baseline", "95% CI", "Responses needed per wave"]].tolist()
    ['11.8', '6.0 to 17.5', '1,231']
    """
    rows = []
    if kpis.empty:
        return pd.DataFrame()
    for r in kpis.itertuples():
        rows.append(
            {
                "KPI": r.label,
                "Baseline": value_text(r.estimate, r.metric),
                f"{_level(confidence)} CI": _interval(r.ci_low, r.ci_high, r.metric),
                "n": int(r.n),
                "Target": value_text(r.target, r.metric) if not _missing(r.target) else "–",
                "By": r.target_date or "–",
                "Owner": r.owner or "–",
                "Responses needed per wave": "–"
                if _missing(r.n_needed)
                else f"{int(r.n_needed):,}",
                "small_n": bool(r.small_n),
            }
        )
    return pd.DataFrame(rows).set_index("KPI")


def health_table(kpis: pd.DataFrame, *, confidence: float = 0.95) -> pd.DataFrame:
    """Tabulate the four CX-management health KPIs (and definition changes) for the client.

    Parameters
    ----------
    kpis : pandas.DataFrame
        The baseline KPI table.
    confidence : float, default 0.95
        Level of the intervals (for the column name).

    Returns
    -------
    pandas.DataFrame
        :func:`baseline_table` of the rows ``goal_performance``, ``employee_engagement``,
        ``innovation_rate``, ``improvement_rate`` and ``definition_changes``.

    Examples
    --------
    >>> from cxlib.kpi import kpi_frame, kpi_row
    >>> k = kpi_frame([kpi_row(kpi="innovation_rate", label="Ideas", metric="rate", n=9,
    ...     estimate=3.0, ci_low=1.4, ci_high=5.7)]).assign(target=float("nan"),
    ...     target_date="", owner="", n_needed=float("nan"))
    >>> health_table(k).loc["Ideas", "Baseline"]
    '3.0/month'
    """
    keep = kpis[kpis["kpi"].isin((*_HEALTH, "definition_changes"))]
    table = baseline_table(keep, confidence=confidence)
    return table.drop(columns="Responses needed per wave", errors="ignore")


def sample_size_table(kpis: pd.DataFrame) -> pd.DataFrame:
    """Tabulate the KPIs with a target: the change to detect and the responses it needs.

    Parameters
    ----------
    kpis : pandas.DataFrame
        The baseline KPI table with ``n_needed``, ``n_sufficient`` and ``power_method``
        (:func:`cxlib.kpi_targets.sample_sizes`).

    Returns
    -------
    pandas.DataFrame
        One row per KPI with a planned sample size, indexed by label; empty when none.

    Examples
    --------
    >>> k = pd.DataFrame({"label": ["CSAT"], "metric": ["share"], "estimate": [0.6],
    ...     "target": [0.65], "n": [800], "n_needed": [1471.0], "n_sufficient": [False],
    ...     "power_method": ["arcsine"]})
    >>> sample_size_table(k).loc["CSAT", ["Change to detect", "Enough today"]].tolist()
    ['+5.0 pts', 'no']
    """
    rows = []
    for r in kpis[kpis["n_needed"].notna()].itertuples():
        rows.append(
            {
                "KPI": r.label,
                "Today": value_text(r.estimate, r.metric),
                "Target": value_text(r.target, r.metric),
                "Change to detect": change_text(r.target - r.estimate, r.metric),
                "Responses needed per wave": f"{int(r.n_needed):,}",
                "Responses today": f"{int(r.n):,}",
                "Enough today": "yes" if bool(r.n_sufficient) else "no",
                "Test planned for": r.power_method,
            }
        )
    return pd.DataFrame(rows).set_index("KPI") if rows else pd.DataFrame()


def churn_table(churn: pd.DataFrame | None, *, confidence: float = 0.95) -> pd.DataFrame:
    """Tabulate churn and retention by NPS group for the client.

    Parameters
    ----------
    churn : pandas.DataFrame or None
        Output of :func:`cxlib.kpi_outcomes.churn_by_nps_group`.
    confidence : float, default 0.95
        Level of the intervals (for the column name).

    Returns
    -------
    pandas.DataFrame
        Indexed by group name; empty without churn data.

    Examples
    --------
    >>> c = pd.DataFrame({"nps_group": ["promoter"], "n": [200], "churned": [14.0],
    ...     "estimate": [0.07], "ci_low": [0.04], "ci_high": [0.11], "retention": [0.93],
    ...     "revenue": [61000.0], "small_n": [False]})
    >>> churn_table(c).loc["Promoters (9-10)", ["Churn rate", "95% CI"]].tolist()
    ['7.0%', '4.0% to 11.0%']
    """
    if churn is None or churn.empty:
        return pd.DataFrame()
    names = {"detractor": "Detractors (0-6)", "passive": "Passives (7-8)"}
    names.update(promoter="Promoters (9-10)", all="All respondents")
    rows = [
        {
            "Group": names.get(r.nps_group, r.nps_group),
            "Customers": int(r.n),
            "Churned": int(r.churned),
            "Churn rate": pct(r.estimate),
            f"{_level(confidence)} CI": _interval(r.ci_low, r.ci_high, "share"),
            "Retention": pct(r.retention),
            "Annual revenue": value_text(r.revenue, "amount"),
            "small_n": bool(r.small_n),
        }
        for r in churn.itertuples()
    ]
    return pd.DataFrame(rows).set_index("Group")


def churn_link(
    link: pd.DataFrame | None,
    revenue: pd.DataFrame | None,
    *,
    confidence: float = 0.95,
) -> str:
    """Say how churn differs by NPS group and what detractors' churn costs (Markdown).

    Parameters
    ----------
    link : pandas.DataFrame or None
        Output of :func:`cxlib.kpi_outcomes.churn_link`.
    revenue : pandas.DataFrame or None
        Output of :func:`cxlib.kpi_outcomes.revenue_at_risk`.
    confidence : float, default 0.95
        Level of the intervals.

    Returns
    -------
    str
        Markdown: the churn-rate gap with its interval, the odds ratios, and the revenue
        at risk with its interval and formula.

    Examples
    --------
    >>> narrative = churn_link(None, None)
    >>> narrative.startswith("The customer table has no churn flag")
    True
    """
    if link is None or revenue is None or link.empty:
        return "The customer table has no churn flag, so churn cannot be linked to NPS."
    terms = link.set_index("term")
    level = _level(confidence)
    diff = terms.loc["churn_difference"]
    odds = terms.loc["odds_ratio_detractor"]
    point = terms.loc["odds_ratio_per_point"]
    rar = revenue.iloc[0]
    if _missing(diff["estimate"]):
        return "There are too few detractors or promoters with a known outcome to compare churn."
    basis = (
        "their churn rate"
        if rar["basis"] == "churn_rate"
        else "the part of their churn rate above promoters'"
    )
    gap = float(diff["estimate"])
    text = (
        f"Detractors' churn rate is **{abs(gap) * 100:.1f} percentage points "
        f"{'higher' if gap >= 0 else 'lower'}** than promoters' ({level} CI of the difference "
        f"{_interval(diff['ci_low'], diff['ci_high'], 'share', change=True)}). "
    )
    if not _missing(odds["estimate"]):
        text += (
            f"Their odds of churning are **{odds['estimate']:.1f} times** promoters' ({level} "
            f"CI {odds['ci_low']:.1f} to {odds['ci_high']:.1f}), and each NPS point higher "
            f"goes with {abs(1 - point['estimate']) * 100:.0f}% "
            f"{'lower' if point['estimate'] < 1 else 'higher'} odds of churn. "
        )
    text += (
        f"\n\n**Revenue at risk: {value_text(rar['estimate'], 'amount')} a year** "
        f"({level} CI {value_text(rar['ci_low'], 'amount')} to "
        f"{value_text(rar['ci_high'], 'amount')}): the detractors' annual revenue of "
        f"{value_text(rar['revenue'], 'amount')} times {basis} ({pct(rar['rate'])}). "
        "This is an association measured on this wave's respondents, not proof that "
        "raising a score prevents churn."
    )
    return text


def definition_changes(changes: pd.DataFrame | None, previous_wave: str | None) -> str:
    """Describe the changes to the journey, touchpoints and personas since the last baseline.

    Parameters
    ----------
    changes : pandas.DataFrame or None
        Output of :func:`cxlib.kpi_health.definition_changes`.
    previous_wave : str or None
        Wave of the previous locked baseline.

    Returns
    -------
    str
        Markdown list of the changes (client text escaped), or a sentence when there is
        no earlier baseline or nothing changed.

    Examples
    --------
    >>> ch = pd.DataFrame({"area": ["stage"], "item": ["leave"], "change": ["added"],
    ...     "detail": [""]})
    >>> print(definition_changes(ch, "2026Q1"))
    Changes since the 2026Q1 baseline:
    <BLANKLINE>
    - stage **leave**: added
    """
    if changes is None or previous_wave is None:
        return (
            "This is the first locked baseline, so there are no earlier journey, touchpoint "
            "or persona definitions to compare with. They are stored with this baseline."
        )
    if changes.empty:
        return (
            f"The journey, touchpoints and personas are unchanged since the {_e(previous_wave)} "
            "baseline."
        )
    lines = [
        f"- {_e(r.area)} **{_e(r.item)}**: {_e(r.change)}"
        + (f" ({_e(r.detail)})" if r.detail else "")
        for r in changes.itertuples()
    ]
    return f"Changes since the {_e(previous_wave)} baseline:\n\n" + "\n".join(lines)


def baseline_summary(base: KpiBaseline) -> str:
    r"""Give the key baseline numbers in a paragraph (Markdown).

    Parameters
    ----------
    base : KpiBaseline
        The measured (or locked) baseline.

    Returns
    -------
    str
        NPS, CSAT and CES with intervals and bases, how many targets are already met, and
        the tables that were absent.

    Examples
    --------
    >>> from cxlib.kpi import kpi_frame, kpi_row
    >>> k = kpi_frame([kpi_row(kpi="nps", label="NPS", metric="nps", n=300, estimate=11.8,
    ...     ci_low=6.0, ci_high=17.5)]).assign(target=20.0, target_met=False)
    >>> text = baseline_summary(KpiBaseline(wave="Q1", kpis=k, tree=pd.DataFrame()))
    >>> print(text.replace(". ", ".\n"))
    In wave Q1: NPS **11.8** (95% CI 6.0 to 17.5, n = 300).
    The one KPI with a target does not meet it yet.
    """
    k = base.kpis.set_index("kpi")
    level = _level(base.confidence)
    parts = []
    for key in ("nps", "csat", "ces"):
        if key in k.index:
            r = k.loc[key]
            parts.append(
                f"{_e(r['label'])} **{value_text(r['estimate'], r['metric'])}** ({level} CI "
                f"{_interval(r['ci_low'], r['ci_high'], r['metric'])}, n = {int(r['n']):,})"
            )
    text = f"In wave {_e(base.wave)}: " + "; ".join(parts) + "." if parts else ""
    with_target = base.kpis[base.kpis["target"].notna() & base.kpis["estimate"].notna()]
    met = int(with_target["target_met"].fillna(False).astype(bool).sum())
    met_text = _targets_met(met, len(with_target))
    text += f" {met_text[:1].upper()}{met_text[1:]}."
    if base.missing:
        text += f" Not measured (table absent): {', '.join(_e(m) for m in base.missing)}."
    return text.strip()


def baseline_headline(base: KpiBaseline) -> str:
    """Write the step's plain-text headline: NPS with its CI and the targets met.

    Parameters
    ----------
    base : KpiBaseline
        The measured (or locked) baseline.

    Returns
    -------
    str
        One sentence for the executive index (plain text; the index escapes it).

    Examples
    --------
    >>> from cxlib.kpi import kpi_frame, kpi_row
    >>> k = kpi_frame([kpi_row(kpi="nps", label="NPS", metric="nps", n=300, estimate=11.8,
    ...     ci_low=6.0, ci_high=17.5)]).assign(target=20.0, target_met=False)
    >>> print(baseline_headline(KpiBaseline(wave="Q1", kpis=k, tree=pd.DataFrame())))
    Baseline Q1: NPS 11.8 (95% CI 6.0 to 17.5, n = 300); the one KPI with a target does not meet it yet.
    """  # noqa: E501
    k = base.kpis.set_index("kpi")
    level = _level(base.confidence)
    with_target = base.kpis[base.kpis["target"].notna() & base.kpis["estimate"].notna()]
    met = int(with_target["target_met"].fillna(False).astype(bool).sum())
    lead = f"Baseline {base.wave}"
    if "nps" in k.index and not _missing(k.loc["nps", "estimate"]):
        r = k.loc["nps"]
        lead += (
            f": NPS {value_text(r['estimate'], 'nps')} ({level} CI "
            f"{_interval(r['ci_low'], r['ci_high'], 'nps')}, n = {int(r['n']):,})"
        )
    return f"{lead}; {_targets_met(met, len(with_target))}."


def lock_note(info: Mapping[str, Any], engagement_name: str = "<engagement>") -> str:
    """Say whether this wave's baseline is locked, and how to lock it (Markdown).

    Parameters
    ----------
    info : mapping
        The description returned by :func:`cxlib.baseline.load_or_measure`.
    engagement_name : str, default "<engagement>"
        The engagement folder, for the command shown.

    Returns
    -------
    str
        When and with which checksum the baseline was locked, or the command that locks it.

    Examples
    --------
    >>> "cx baseline lock acme --wave Q1" in lock_note({"wave": "Q1", "locked": False}, "acme")
    True
    """
    wave = _e(info.get("wave"))
    if info.get("locked"):
        text = (
            f"The baseline of wave {wave} is **locked** (since "
            f"{_e(str(info.get('locked_at') or '')[:10])}, checksum "
            f"{_e(str(info.get('checksum'))[:12])}…, verified on this run): the figures on "
            "this page are the locked ones, and later waves are compared with them, not with "
            "a recomputation."
        )
        if info.get("replaced"):
            n = int(info["replaced"])
            times = {1: "once", 2: "twice"}.get(n, f"{n} times")
            text += f" It has been replaced {times}; see its history."
        return text
    return (
        f"The baseline of wave {wave} is **not locked yet**. Once these figures are agreed, "
        f"lock them with `cx baseline lock {_e(engagement_name)} --wave {wave}`; until then "
        "the re-measurement recomputes them and marks them as not locked."
    )
