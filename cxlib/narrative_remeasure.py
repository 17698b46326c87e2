"""Sentences and client tables of the re-measurement (step 7), written from its results.

Presentation layer, like :mod:`cxlib.narrative_kpi` (whose number formats it uses): every piece
of client text (KPI labels, stage and segment names) passes through
:func:`cxlib.report.escape` before it enters Markdown; the headline is plain text for the
executive index, which escapes it itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from cxlib.narrative import _n
from cxlib.narrative_kpi import _e, _interval, _level, _missing, change_text, value_text

__all__ = [
    "baseline_status",
    "control_findings",
    "movers_table",
    "remeasure_headline",
    "scorecard_table",
    "wins_and_regressions",
]

_RAG_WORDS = {"green": "Green", "amber": "Amber", "red": "Red", "grey": "No data"}


def baseline_status(info: Mapping[str, Any]) -> str:
    """Say which baseline the scorecard compares with, and whether it is locked (Markdown).

    Parameters
    ----------
    info : mapping
        The description returned by :func:`cxlib.baseline.baseline_for`.

    Returns
    -------
    str
        The locked baseline's date and checksum, or a bold "not locked" warning.

    Examples
    --------
    >>> baseline_status({"wave": "Q1", "locked": False}).startswith("**Baseline not locked.**")
    True
    """
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


def scorecard_table(card: pd.DataFrame, *, confidence: float = 0.95) -> pd.DataFrame:
    """Tabulate the scorecard: baseline, current, change with CI, p, target, RAG status.

    Parameters
    ----------
    card : pandas.DataFrame
        Output of :func:`cxlib.remeasure.scorecard`.
    confidence : float, default 0.95
        Level of the intervals (for the column name).

    Returns
    -------
    pandas.DataFrame
        Indexed by KPI label; text columns for :func:`cxlib.report.table`, ``small_n`` kept.

    Examples
    --------
    >>> card = pd.DataFrame({"kpi": ["a"], "label": ["CSAT"], "metric": ["share"],
    ...     "baseline": [0.5], "current": [0.6], "estimate": [0.1], "ci_low": [0.03],
    ...     "ci_high": [0.17], "p_adjusted": [0.004], "target": [0.8], "rag": ["green"],
    ...     "small_n": [False]})
    >>> scorecard_table(card).loc["CSAT", ["Change", "p (adjusted)", "Status"]].tolist()
    ['+10.0 pts', '0.004', 'Green']
    """
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
    """Tabulate the biggest moves (significant first) for the client.

    Parameters
    ----------
    moves : pandas.DataFrame
        Output of :func:`cxlib.remeasure_movers.rank_movers`.
    top : int, default 10
        Rows shown.

    Returns
    -------
    pandas.DataFrame
        Indexed by "segment: level"; empty when there are no moves.

    Examples
    --------
    >>> m = pd.DataFrame({"source": ["survey"], "segment": ["region"], "level": ["North"],
    ...     "metric": ["nps"], "baseline": [5.0], "current": [12.0], "estimate": [7.0],
    ...     "p_adjusted": [0.2], "significant": [False], "small_n": [False]})
    >>> movers_table(m).loc["region: North", "Change"]
    '+7.0 pts'
    """
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
    """Describe wins and regressions in words, from the scorecard and the moves (Markdown).

    Parameters
    ----------
    card : pandas.DataFrame
        Output of :func:`cxlib.remeasure.scorecard`.
    moves : pandas.DataFrame, optional
        Output of :func:`cxlib.remeasure_movers.rank_movers`.
    confidence : float, default 0.95
        Level of the intervals.

    Returns
    -------
    str
        Bullet lists of significant improvements and deteriorations with their intervals
        and adjusted p-values, or a sentence saying nothing moved beyond noise.

    Examples
    --------
    >>> card = pd.DataFrame({"change": ["no significant change"], "p_value": [0.4]})
    >>> wins_and_regressions(card)
    'The one KPI tested did not move significantly: the difference seen is within the usual noise.'
    """
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
    if not parts and tested == 1:
        parts.append(
            "The one KPI tested did not move significantly: the difference seen is within the "
            "usual noise."
        )
    elif not parts:
        parts.append(
            f"None of the {tested} KPIs tested moved significantly once the number of tests "
            "is taken into account: the differences seen are within the usual noise."
        )
    else:
        quiet = tested - len(wins) - len(losses)
        if quiet == 1:
            parts.append("The other KPI tested shows no significant change.")
        elif quiet > 1:
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
    """Describe the special-cause signals on the control charts (Markdown).

    Parameters
    ----------
    charts : pandas.DataFrame
        Output of :func:`cxlib.remeasure_spc.control_charts`.

    Returns
    -------
    str
        One bullet per point beyond its limits or in a run, or a sentence saying none.

    Examples
    --------
    >>> ch = pd.DataFrame({"chart": ["nps"], "label": ["NPS"], "wave": ["Q1"],
    ...     "estimate": [10.0], "lcl": [2.0], "ucl": [18.0], "special_cause": [False]})
    >>> control_findings(ch).splitlines()[0]
    'No point lies outside its control limits across 1 wave.'
    """
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
        return f"No point lies outside its control limits across {_n(waves, 'wave')}.{note}"
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
    """Write the step's plain-text headline: wins, regressions and the largest move.

    Parameters
    ----------
    card : pandas.DataFrame
        Output of :func:`cxlib.remeasure.scorecard`.
    info : mapping
        The baseline description (:func:`cxlib.baseline.baseline_for`).
    wave : str
        The wave re-measured.
    confidence : float, default 0.95
        Level of the interval.

    Returns
    -------
    str
        One sentence for the executive index (plain text; the index escapes it).

    Examples
    --------
    >>> card = pd.DataFrame({"change": ["no significant change"], "statistic": [0.3]})
    >>> print(remeasure_headline(card, {"wave": "Q1", "locked": True}, "Q3"))
    Q3 against the locked baseline Q1: 0 KPIs improved significantly, 0 deteriorated.
    """
    wins = card[card["change"] == "improved"]
    losses = card[card["change"] == "deteriorated"]
    status = "locked" if info.get("locked") else "not locked"
    text = (
        f"{wave} against the {status} baseline {info.get('wave')}: {_n(len(wins), 'KPI')} "
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
