"""Step 1: the CX mission and success statements, the strategy table and its checks.

Compose the statements from the inputs in engagement.yaml, flag wishes (vague superlatives,
"exceed expectations", no measurable outcome), check that every goal has exactly one
accountable leader and both a customer-feedback and an operational measure, map goals to
business objectives, and measure the CX goal as a customer action in the data.
"""

from __future__ import annotations

import operator
import re
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import proportion_confint

from cxlib.config import Condition, CxGoal, MissionInputs, Strategy, SuccessInputs

__all__ = [
    "GoalPerformance",
    "alignment_matrix",
    "check_goals",
    "check_statements",
    "goal_performance",
    "mission_statement",
    "strategy_table",
    "strategy_results",
    "success_statement",
]

#: Words that make a statement a wish rather than a commitment.
VAGUE_TERMS = (
    "best",
    "best-in-class",
    "world-class",
    "world class",
    "excellent",
    "outstanding",
    "amazing",
    "awesome",
    "delight",
    "delightful",
    "seamless",
    "exceptional",
    "unparalleled",
    "first-class",
    "superior",
    "leading",
    "great",
    "wow",
)
_VAGUE = re.compile(r"\b(" + "|".join(re.escape(t) for t in VAGUE_TERMS) + r")\b", re.I)
_EXCEED = re.compile(r"\b(exceed(s|ing)?|surpass(es|ing)?)\b[^.]*\bexpectations?\b", re.I)
_NUMBER = re.compile(r"\d")
_OPS = {
    "==": operator.eq,
    "!=": operator.ne,
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
}


def mission_statement(mission: MissionInputs) -> str:
    """Compose the CX mission statement.

    Parameters
    ----------
    mission : MissionInputs
        Purpose, customers and promise from engagement.yaml.

    Returns
    -------
    str
        "Our CX mission is to <purpose> for <customers> by <promise>."

    Examples
    --------
    >>> from cxlib.config import MissionInputs
    >>> mission_statement(MissionInputs(purpose="keep people connected",
    ...     customers="households", promise="fixing faults within a day"))
    'Our CX mission is to keep people connected for households by fixing faults within a day.'
    """
    return (
        f"Our CX mission is to {_clause(mission.purpose)} for {_clause(mission.customers)} "
        f"by {_clause(mission.promise)}."
    )


def success_statement(success: SuccessInputs) -> str:
    """Compose the CX success statement.

    Parameters
    ----------
    success : SuccessInputs
        Customer action, measure, target and date from engagement.yaml.

    Returns
    -------
    str
        "We will know we have succeeded when customers <customer action>, as measured by
        <measure>, reaching <target> by <date>."

    Examples
    --------
    >>> from cxlib.config import SuccessInputs
    >>> success_statement(SuccessInputs(customer_action="renew",
    ...     measure="the renewal rate", target="85%", by="the end of 2027"))
    'We will know we have succeeded when customers renew, as measured by the renewal rate, reaching 85% by the end of 2027.'
    """  # noqa: E501
    return (
        f"We will know we have succeeded when customers {_clause(success.customer_action)}, "
        f"as measured "
        f"by {_clause(success.measure)}, reaching {_clause(success.target)} "
        f"by {_clause(success.by)}."
    )


def _clause(text: str) -> str:
    return text.strip().rstrip(".")


def check_statements(strategy: Strategy) -> pd.DataFrame:
    """Flag wishes in the vision, mission and success statement.

    A statement is a wish when it leans on vague superlatives ("world-class", "best",
    "seamless"), promises to "exceed expectations" (whose expectations, by how much?), or, for
    the success statement, names no number to reach.

    Parameters
    ----------
    strategy : Strategy
        The ``strategy:`` section of engagement.yaml.

    Returns
    -------
    pandas.DataFrame
        One row per finding: ``statement`` (vision, mission or success), ``check``
        (vague_superlative, exceed_expectations, no_measurable_outcome), ``found`` (the
        words that triggered it) and ``advice``. Empty when every statement is concrete.
    """
    texts = {
        "vision": strategy.vision,
        "mission": mission_statement(strategy.mission),
        "success": success_statement(strategy.success),
    }
    rows = []
    for name, text in texts.items():
        vague = sorted({m.group(0).lower() for m in _VAGUE.finditer(text)})
        if vague:
            rows.append(
                (name, "vague_superlative", ", ".join(vague), "Say what the customer gets.")
            )
        exceed = _EXCEED.search(text)
        if exceed:
            rows.append(
                (name, "exceed_expectations", exceed.group(0), "Name the expectation and level.")
            )
    if not _NUMBER.search(strategy.success.target):
        rows.append(
            (
                "success",
                "no_measurable_outcome",
                strategy.success.target,
                "Give the target as a number, e.g. 85%.",
            )
        )
    return pd.DataFrame(rows, columns=["statement", "check", "found", "advice"])


def check_goals(strategy: Strategy) -> pd.DataFrame:
    """Check every CX goal: one accountable leader, two measures, a business objective.

    Parameters
    ----------
    strategy : Strategy
        The ``strategy:`` section of engagement.yaml.

    Returns
    -------
    pandas.DataFrame
        One row per goal and check: ``goal_id``, ``goal``, ``check`` (one_accountable,
        customer_measure, operational_measure, serves_objective), ``passed`` (bool) and
        ``message`` (why it failed, empty when it passed). No rows when there are no goals.
    """
    rows = []
    for goal in strategy.goals:
        n_acc = len([a for a in goal.accountable if a.strip()])
        checks = {
            "one_accountable": (
                n_acc == 1,
                f"{n_acc} accountable leaders ({', '.join(goal.accountable) or 'none'}); "
                "a goal needs exactly one",
            ),
            "customer_measure": (
                bool(goal.customer_measure.strip()),
                "no customer-feedback measure",
            ),
            "operational_measure": (
                bool(goal.operational_measure.strip()),
                "no operational measure",
            ),
            "serves_objective": (bool(goal.objectives), "serves no business objective"),
        }
        for check, (passed, message) in checks.items():
            rows.append((goal.id, goal.title, check, passed, "" if passed else message))
    frame = pd.DataFrame(rows, columns=["goal_id", "goal", "check", "passed", "message"])
    # Without goals the column would be object-typed, and ``~`` would not be a row mask.
    frame["passed"] = frame["passed"].astype(bool)
    return frame


def strategy_table(strategy: Strategy) -> pd.DataFrame:
    """Tabulate the strategy: one row per goal with its leader, owner and measures.

    Parameters
    ----------
    strategy : Strategy
        The ``strategy:`` section of engagement.yaml.

    Returns
    -------
    pandas.DataFrame
        Columns ``goal_id``, ``goal``, ``leader``, ``accountable`` (names joined by ", "),
        ``customer_measure``, ``operational_measure``, ``objectives`` (titles joined).
    """
    titles = {o.id: o.title for o in strategy.business_objectives}
    return pd.DataFrame(
        [
            {
                "goal_id": g.id,
                "goal": g.title,
                "leader": g.leader,
                "accountable": ", ".join(g.accountable),
                "customer_measure": g.customer_measure,
                "operational_measure": g.operational_measure,
                "objectives": ", ".join(titles[o] for o in g.objectives),
            }
            for g in strategy.goals
        ],
        columns=[
            "goal_id",
            "goal",
            "leader",
            "accountable",
            "customer_measure",
            "operational_measure",
            "objectives",
        ],
    )


def alignment_matrix(strategy: Strategy) -> pd.DataFrame:
    """Map CX goals onto business objectives.

    Parameters
    ----------
    strategy : Strategy
        The ``strategy:`` section of engagement.yaml.

    Returns
    -------
    pandas.DataFrame
        Boolean matrix, one row per goal (index: goal title), one column per business
        objective (title); True where the goal serves the objective. An objective whose
        column is all False has no CX goal behind it.
    """
    objectives = [o.id for o in strategy.business_objectives]
    matrix = pd.DataFrame(
        [[o in g.objectives for o in objectives] for g in strategy.goals],
        index=pd.Index([g.title for g in strategy.goals], name="goal"),
        columns=[o.title for o in strategy.business_objectives],
        dtype=bool,
    )
    matrix.columns.name = "business objective"
    return matrix


@dataclass(frozen=True)
class GoalPerformance:
    """The CX goal measured in the data.

    Attributes
    ----------
    action : str
        The customer action.
    n : int
        Customers (or responses) with a known value.
    achieved : int
        How many achieve the action.
    estimate : float
        Share achieving it (0 to 1).
    ci_low, ci_high : float
        Wilson interval of the share.
    target : float
        Target share.
    gap : float
        estimate minus target (negative: short of target).
    confidence : float
        Confidence level of the interval.
    small_n : bool
        True when n is below the minimum base.
    """

    action: str
    n: int
    achieved: int
    estimate: float
    ci_low: float
    ci_high: float
    target: float
    gap: float
    confidence: float
    small_n: bool

    def to_dict(self) -> dict[str, object]:
        """Plain dict for the step's JSON."""
        return asdict(self)


def goal_performance(
    table: pd.DataFrame, goal: CxGoal, *, confidence: float = 0.95, min_n: int = 30
) -> GoalPerformance:
    """Measure the CX goal: the share of customers who take the customer action.

    Parameters
    ----------
    table : pandas.DataFrame
        The canonical table named by ``goal.measure.table`` (customers or responses).
    goal : CxGoal
        The goal, whose ``measure`` says which rows count as achieving it.
    confidence : float, default 0.95
        Confidence level of the interval.
    min_n : int, default 30
        Below this base the result is flagged ``small_n``.

    Returns
    -------
    GoalPerformance
        The share with its Wilson interval, n and gap to target.

    Notes
    -----
    Rows where the measured column is missing are left out of n. The interval is the Wilson
    score interval (computed by statsmodels ``proportion_confint(method="wilson")``).

    References
    ----------
    Wilson, E. B. (1927). Probable inference, the law of succession, and statistical
    inference. Journal of the American Statistical Association, 22(158), 209-212.
    https://doi.org/10.1080/01621459.1927.10502953
    """
    measure: Condition = goal.measure
    if measure.column not in table.columns:
        raise KeyError(f"column {measure.column!r} is not in the {measure.table} table")
    values = table[measure.column].dropna()
    hit = _OPS[measure.op](values, measure.value)
    n, achieved = int(len(values)), int(np.sum(hit))
    if n == 0:
        low = high = estimate = float("nan")
    else:
        estimate = achieved / n
        low, high = proportion_confint(achieved, n, alpha=1 - confidence, method="wilson")
    return GoalPerformance(
        action=goal.action,
        n=n,
        achieved=achieved,
        estimate=float(estimate),
        ci_low=float(low),
        ci_high=float(high),
        target=goal.target,
        gap=float(estimate - goal.target),
        confidence=confidence,
        small_n=n < min_n,
    )


def strategy_results(
    strategy: Strategy,
    statement_checks: pd.DataFrame,
    goal_checks: pd.DataFrame,
    performance: GoalPerformance | None,
) -> dict[str, object]:
    """Collect step 1's results for ``strategy.json``.

    Parameters
    ----------
    strategy : Strategy
        The ``strategy:`` section of engagement.yaml.
    statement_checks, goal_checks : pandas.DataFrame
        Outputs of :func:`check_statements` and :func:`check_goals`.
    performance : GoalPerformance or None
        The CX goal measured in the data, if a CX goal is configured.

    Returns
    -------
    dict
        Statements, goals with their accountable owner, failed checks, and the CX goal.
        ``goals`` and ``goal_findings`` are empty lists when the strategy sets out no goals
        or every goal passes its checks.
    """
    columns = ["goal_id", "check", "message"]
    if goal_checks.empty:
        findings: list[dict[str, object]] = []
    else:
        failed = goal_checks.loc[~goal_checks["passed"].astype(bool), columns]
        findings = failed.to_dict(orient="records")
    return {
        "vision": strategy.vision,
        "mission_statement": mission_statement(strategy.mission),
        "success_statement": success_statement(strategy.success),
        "goals": strategy_table(strategy).to_dict(orient="records"),
        "statement_findings": statement_checks.to_dict(orient="records"),
        "goal_findings": findings,
        "cx_goal": None
        if performance is None
        else {"statement": strategy.cx_goal.statement, **performance.to_dict()},
    }
