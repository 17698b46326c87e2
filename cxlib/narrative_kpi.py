"""Sentences and client tables of the KPI baseline and re-measurement, written from results.

Presentation layer: the only place (with :mod:`cxlib.plots_kpi`) where the steps' numbers
are rounded and formatted. Every piece of client text (KPI labels, stage names, owners, the
CX goal) passes through :func:`cxlib.report.escape` before it enters Markdown; headlines are
plain text for the executive index, which escapes them itself.
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
    "baseline_status",
    "baseline_summary",
    "baseline_table",
    "change_text",
    "churn_link",
    "churn_table",
    "control_findings",
    "definition_changes",
    "health_table",
    "lock_note",
    "movers_table",
    "remeasure_headline",
    "sample_size_table",
    "scorecard_table",
    "value_text",
    "wins_and_regressions",
]

_HEALTH = ("goal_performance", "employee_engagement", "innovation_rate", "improvement_rate")
_RAG_WORDS = {"green": "Green", "amber": "Amber", "red": "Red", "grey": "No data"}


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


def baseline_table(kpis: pd.DataFrame, *, confidence: float = 0.95) -> pd.DataFrame:
    """Tabulate the baseline for the client: value, CI, n, target, date, owner, n needed.

    Returns
    -------
    pandas.DataFrame
        Indexed by KPI label; text columns ready for :func:`cxlib.report.table`, and
        ``small_n`` kept for its flag.
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
    """Tabulate the four CX-management health KPIs (and definition changes) for the client."""
    keep = kpis[kpis["kpi"].isin((*_HEALTH, "definition_changes"))]
    table = baseline_table(keep, confidence=confidence)
    return table.drop(columns="Responses needed per wave", errors="ignore")


def sample_size_table(kpis: pd.DataFrame) -> pd.DataFrame:
    """KPIs with a target: the change to detect and the responses each wave needs."""
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
    """Churn and retention by NPS group, formatted."""
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
    """Say how churn differs by NPS group and what detractors' churn costs (Markdown)."""
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
    """Describe the changes to the journey, touchpoints and personas since the last baseline."""
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
    """Key baseline numbers in a paragraph (Markdown)."""
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
    text += f" {met} of {len(with_target)} KPIs with a target already meet it."
    if base.missing:
        text += f" Not measured (table absent): {', '.join(_e(m) for m in base.missing)}."
    return text.strip()


def baseline_headline(base: KpiBaseline) -> str:
    """One plain-text sentence for the executive index: NPS with its CI and targets met."""
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
    return f"{lead}; {met} of {len(with_target)} KPIs with a target already meet it."


def baseline_status(info: Mapping[str, Any]) -> str:
    """Say which baseline the scorecard compares with, and whether it is locked."""
    wave = _e(info.get("wave"))
    if info.get("locked"):
        return (
            f"Compared with the **locked baseline of wave {wave}** (locked "
            f"{_e(str(info.get('locked_at') or '')[:10])}, checksum "
            f"{_e(str(info.get('checksum'))[:12])}…, verified)."
        )
    return (
        f"**Baseline not locked.** The baseline figures were computed from wave {wave}'s "
        "data in this run; lock them with `cx baseline lock` so that later waves are always "
        "compared with the same numbers."
    )


def lock_note(info: Mapping[str, Any], engagement_name: str = "<engagement>") -> str:
    """Say whether this wave's baseline is locked, and how to lock it (Markdown)."""
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
            text += f" It has been replaced {int(info['replaced'])} time(s); see its history."
        return text
    return (
        f"The baseline of wave {wave} is **not locked yet**. Once these figures are agreed, "
        f"lock them with `cx baseline lock {_e(engagement_name)} --wave {wave}`; until then "
        "the re-measurement recomputes them and marks them as not locked."
    )


def scorecard_table(card: pd.DataFrame, *, confidence: float = 0.95) -> pd.DataFrame:
    """Tabulate the scorecard: baseline, current, change with CI, p, target, RAG status."""
    rows = []
    for r in card.itertuples():
        rows.append(
            {
                "KPI": r.label or r.kpi,
                "Baseline": value_text(r.baseline, r.metric),
                "Now": value_text(r.current, r.metric),
                "Change": change_text(r.estimate, r.metric),
                f"{_level(confidence)} CI of change": _interval(
                    r.ci_low, r.ci_high, r.metric, change=True
                ),
                "p (adjusted)": "–"
                if _missing(r.p_adjusted)
                else ("< 0.001" if r.p_adjusted < 0.001 else f"{r.p_adjusted:.3f}"),
                "Target": "–" if _missing(r.target) else value_text(r.target, r.metric),
                "Status": _RAG_WORDS.get(r.rag, r.rag),
                "small_n": bool(r.small_n),
            }
        )
    return pd.DataFrame(rows).set_index("KPI")


def movers_table(moves: pd.DataFrame, *, top: int = 10) -> pd.DataFrame:
    """Tabulate the biggest moves (significant first) for the client."""
    if moves.empty:
        return pd.DataFrame()
    kinds = {"nps": "nps", "csat": "share", "ces": "mean"}
    rows = [
        {
            "Where": f"{r.segment.replace('_', ' ')}: {r.level}",
            "Measure": f"{r.metric.upper()} ({r.source})",
            "Before": value_text(r.baseline, kinds.get(r.metric, "mean")),
            "Now": value_text(r.current, kinds.get(r.metric, "mean")),
            "Change": change_text(r.estimate, kinds.get(r.metric, "mean")),
            "p (adjusted)": "< 0.001" if r.p_adjusted < 0.001 else f"{r.p_adjusted:.3f}",
            "Significant": "yes" if r.significant else "no",
            "small_n": bool(r.small_n),
        }
        for r in moves.head(top).itertuples()
    ]
    return pd.DataFrame(rows).set_index("Where")


def _move_line(r: Any, level: str) -> str:
    kind = r.metric if r.metric in ("nps", "share", "mean", "rate") else "mean"
    return (
        f"- **{_e(r.label)}** from {value_text(r.baseline, kind)} to "
        f"{value_text(r.current, kind)} ({change_text(r.estimate, kind)}, {level} CI "
        f"{_interval(r.ci_low, r.ci_high, kind, change=True)}, adjusted p "
        f"{'< 0.001' if r.p_adjusted < 0.001 else f'= {r.p_adjusted:.3f}'})"
    )


def wins_and_regressions(
    card: pd.DataFrame, moves: pd.DataFrame | None = None, *, confidence: float = 0.95
) -> str:
    """Wins and regressions in words, from the scorecard and the segment moves (Markdown)."""
    level = _level(confidence)
    wins = card[card["change"] == "improved"]
    losses = card[card["change"] == "deteriorated"]
    parts = []
    if len(wins):
        parts.append("**Wins**\n\n" + "\n".join(_move_line(r, level) for r in wins.itertuples()))
    if len(losses):
        lines = "\n".join(_move_line(r, level) for r in losses.itertuples())
        parts.append("**Regressions**\n\n" + lines)
    tested = int(card["p_value"].notna().sum())
    if not parts:
        parts.append(
            f"None of the {tested} KPIs tested moved significantly once the number of tests "
            "is taken into account: the differences seen are within the usual noise."
        )
    else:
        quiet = tested - len(wins) - len(losses)
        parts.append(f"The other {quiet} KPIs tested show no significant change.")
    if moves is not None and len(moves):
        sig = moves[moves["significant"]]
        if len(sig):
            kinds = {"nps": "nps", "csat": "share", "ces": "mean"}
            items = [
                f"{_e(r.segment.replace('_', ' '))} *{_e(r.level)}* ({r.metric.upper()} "
                f"{change_text(r.estimate, kinds.get(r.metric, 'mean'))})"
                for r in sig.head(5).itertuples()
            ]
            parts.append("Segments and stages that moved significantly: " + "; ".join(items) + ".")
        else:
            parts.append("No segment, stage or touchpoint moved significantly.")
    return "\n\n".join(parts)


def control_findings(charts: pd.DataFrame) -> str:
    """Special-cause signals on the control charts, in words (Markdown)."""
    if charts.empty:
        return "There is not enough data for control charts."
    flagged = charts[charts["special_cause"].astype(bool)]
    waves = charts["wave"].nunique()
    note = (
        "\n\nWith only two waves the limits come from both waves pooled; a third wave will "
        "make the charts far more informative."
        if waves < 3
        else ""
    )
    if flagged.empty:
        return f"No point lies outside its control limits across {waves} waves.{note}".strip()
    lines = [
        f"- **{_e(r.label)}** in {_e(r.wave)}: {value_text(r.estimate, _kind(r.chart))}, "
        + ("above" if r.estimate > r.ucl else "below" if r.estimate < r.lcl else "in a run")
        + " its limits"
        for r in flagged.itertuples()
    ]
    return "Signals (special causes) worth investigating:\n\n" + "\n".join(lines) + note


def _kind(chart: str) -> str:
    return "nps" if chart.split(":")[0] == "nps" else "share"


def remeasure_headline(
    card: pd.DataFrame, info: Mapping[str, Any], wave: str, *, confidence: float = 0.95
) -> str:
    """One plain-text sentence for the executive index: wins, regressions, biggest move."""
    wins = card[card["change"] == "improved"]
    losses = card[card["change"] == "deteriorated"]
    status = "locked" if info.get("locked") else "not locked"
    text = (
        f"{wave} against the {status} baseline {info.get('wave')}: {len(wins)} KPI(s) "
        f"improved significantly, {len(losses)} deteriorated"
    )
    best = pd.concat([wins, losses])
    if len(best):
        r = best.loc[best["statistic"].abs().idxmax()]
        kind = r["metric"]
        text += (
            f"; largest: {r['label']} {change_text(r['estimate'], kind)} "
            f"({_level(confidence)} CI "
            f"{_interval(r['ci_low'], r['ci_high'], kind, change=True)})"
        )
    return text + "."
