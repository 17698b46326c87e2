"""Sentences written from results: headlines, findings, wins and regressions in words.

Presentation layer: the only place (with :mod:`cxlib.report` and :mod:`cxlib.plots`) that
rounds and formats numbers. Every sentence built from client text escapes it for HTML.
"""

from __future__ import annotations

import pandas as pd

from cxlib.config import Strategy
from cxlib.mission import GoalPerformance, mission_statement, success_statement
from cxlib.report import escape

__all__ = [
    "goal_checks",
    "goal_performance",
    "mission_headline",
    "pct",
    "statement_checks",
    "statements",
]


def _e(text: object) -> str:
    """Escape client text for Markdown that becomes HTML: no tags, no links, no emphasis."""
    return escape(str(text))


def _n(count: int, word: str, plural: str | None = None) -> str:
    """Put a count before its noun in the right number: ``1 survey``, ``2 surveys``.

    Examples
    --------
    >>> _n(1, "goal"), _n(1200, "goal"), _n(0, "person", "people")
    ('1 goal', '1,200 goals', '0 people')
    """
    return f"{count:,} {word if count == 1 else (plural or word + 's')}"


def pct(share: float, decimals: int = 1) -> str:
    """Format a share (0 to 1) as a percentage.

    Examples
    --------
    >>> pct(0.7954)
    '79.5%'
    """
    if pd.isna(share):
        return "n/a"
    return f"{share * 100:.{decimals}f}%"


def statements(strategy: Strategy) -> str:
    """Vision, mission and success statements as Markdown block quotes."""
    return "\n\n".join(
        [
            f"**Vision.**\n\n> {_e(strategy.vision)}",
            f"**CX mission statement.**\n\n> {_e(mission_statement(strategy.mission))}",
            f"**CX success statement.**\n\n> {_e(success_statement(strategy.success))}",
        ]
    )


_CHECK_WORDS = {
    "vague_superlative": "leans on vague superlatives",
    "exceed_expectations": "promises to exceed expectations without saying which",
    "no_measurable_outcome": "names no number to reach",
}


def statement_checks(checks: pd.DataFrame) -> str:
    """Describe the findings of :func:`cxlib.mission.check_statements` in words."""
    if checks.empty:
        return "Every statement is concrete: no vague superlatives, and the target is a number."
    lines = [
        f"- The **{_e(r.statement)}** statement {_CHECK_WORDS.get(r.check, _e(r.check))} "
        f"(*{_e(r.found)}*). {_e(r.advice)}"
        for r in checks.itertuples()
    ]
    return "These phrases read as wishes rather than commitments:\n\n" + "\n".join(lines)


def goal_checks(checks: pd.DataFrame) -> str:
    """Describe the failed checks of :func:`cxlib.mission.check_goals` in words."""
    if checks.empty:
        return (
            "No CX goals are set out yet: add each leader's goal under `strategy.goals` in "
            "engagement.yaml, with one accountable owner and both measures."
        )
    failed = checks.loc[~checks["passed"].astype(bool)]
    total = checks["goal_id"].nunique()
    if failed.empty:
        every = "The one goal has" if total == 1 else f"All {total} goals have"
        serve = "serves" if total == 1 else "serve"
        return (
            f"{every} exactly one accountable leader, a customer-feedback measure and an "
            f"operational measure, and {serve} a business objective."
        )
    lines = [f"- **{_e(r.goal)}**: {_e(r.message)}." for r in failed.itertuples()]
    n_bad = failed["goal_id"].nunique()
    if total == 1:
        which = "The goal needs"
    else:
        which = f"{n_bad} of {total} goals {'needs' if n_bad == 1 else 'need'}"
    return f"{which} attention before the strategy is signed off:\n\n" + "\n".join(lines)


def goal_performance(perf: GoalPerformance) -> str:
    """Give the CX goal's current value with its interval, n and gap to target."""
    level = int(round(perf.confidence * 100))
    if perf.n == 0:
        return f"No data yet to measure whether customers {_e(perf.action)}."
    gap = perf.gap
    side = "above" if gap >= 0 else "below"
    text = (
        f"Today **{pct(perf.estimate)}** of customers {_e(perf.action)} "
        f"({level}% CI {pct(perf.ci_low)} to {pct(perf.ci_high)}; n = {perf.n:,}), "
        f"{pct(abs(gap))} points {side} the target of {pct(perf.target)}."
    )
    if perf.small_n:
        text += " *Small base: read this as indicative only.*"
    return text


def mission_headline(perf: GoalPerformance | None) -> str:
    """One-sentence headline of step 1 for the executive index (plain text)."""
    if perf is None or perf.n == 0:
        return "The CX mission, success statement and goals are set out; the CX goal has no data."
    level = int(round(perf.confidence * 100))
    return (
        f"{pct(perf.estimate)} of customers {perf.action} today ({level}% CI "
        f"{pct(perf.ci_low)} to {pct(perf.ci_high)}, n = {perf.n:,}) against a target of "
        f"{pct(perf.target)}."
    )
