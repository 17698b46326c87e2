"""The step sections of engagement.yaml: strategy, journey, personas, KPIs, governance.

Each section is optional in the file (steps that need one say so); every field carries its
help text, which ``cx validate`` and the docs' configuration reference read.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import (
    BeforeValidator,
    Field,
    model_validator,
)

from cxlib.config_base import _ID, _Model


class MissionInputs(_Model):
    """The parts the CX mission statement is composed from."""

    purpose: str = Field(description="Why the company serves customers, in a verb phrase.")
    customers: str = Field(description="Who the customers are.")
    promise: str = Field(description="The experience promised, in concrete terms.")


class SuccessInputs(_Model):
    """The parts the CX success statement is composed from."""

    customer_action: str = Field(
        description="What customers will do when the CX works, without the subject: "
        "'renew their contract'."
    )
    measure: str = Field(description="The measure that shows it.")
    target: str = Field(description="The level to reach, with a number.")
    by: str = Field(description="When, e.g. 'the end of 2027'.")


class BusinessObjective(_Model):
    """A business objective the CX goals must serve."""

    id: str = Field(pattern=_ID.pattern, description="Short id used by goals.")
    title: str = Field(description="The objective in words.")


class Goal(_Model):
    """A CX goal owned by one leader."""

    id: str = Field(pattern=_ID.pattern, description="Short id.")
    title: str = Field(description="The goal in words.")
    leader: str = Field("", description="The leader whose goal this is (name or role).")
    accountable: Annotated[
        list[str], BeforeValidator(lambda v: [v] if isinstance(v, str) else v)
    ] = Field(description="The one person accountable for the goal (a list is flagged).")
    customer_measure: str = Field("", description="Customer-feedback measure (e.g. CES billing).")
    operational_measure: str = Field("", description="Operational measure (e.g. disputes/1k).")
    objectives: list[str] = Field(default_factory=list, description="Business objective ids.")


class Condition(_Model):
    """A simple condition on a canonical column."""

    table: Literal["customers", "responses"] = Field(description="Table the column is in.")
    column: str = Field(description="Canonical column name.")
    op: Literal["==", "!=", ">=", ">", "<=", "<"] = Field(description="Comparison.")
    value: float | bool | str = Field(description="Value compared against.")


class CxGoal(_Model):
    """The CX goal expressed as a measurable customer action."""

    statement: str = Field(description="The goal in a sentence.")
    action: str = Field(description="The customer action, e.g. 'renew their contract'.")
    measure: Condition = Field(description="Which rows count as achieving the action.")
    target: float = Field(ge=0, le=1, description="Target share of customers (0 to 1).")
    by: str = Field("", description="Target date in words.")


class Strategy(_Model):
    """Inputs for step 1: mission, success statement, goals."""

    vision: str = Field(description="The CX vision in a sentence.")
    mission: MissionInputs
    success: SuccessInputs
    business_objectives: list[BusinessObjective] = Field(default_factory=list)
    goals: list[Goal] = Field(default_factory=list)
    cx_goal: CxGoal = Field(description="The CX goal as a measurable customer action.")

    @model_validator(mode="after")
    def _objectives_known(self) -> Strategy:
        known = {o.id for o in self.business_objectives}
        for goal in self.goals:
            unknown = sorted(set(goal.objectives) - known)
            if unknown:
                raise ValueError(f"goal {goal.id!r} names unknown business objectives {unknown}")
        return self


class Touchpoint(_Model):
    """A touchpoint in the journey."""

    id: str = Field(pattern=_ID.pattern, description="Id used in the data (touchpoint_id).")
    name: str = Field(description="Name shown in reports.")
    stage: str = Field(description="The journey stage it belongs to.")
    channel: str = Field(description="Channel, e.g. web, app, store, phone, chat.")
    owner: str = Field("", description="Team or department that owns it.")


class Journey(_Model):
    """The customer journey: ordered stages and their touchpoints."""

    stages: list[str] = Field(min_length=1, description="Stages in order.")
    touchpoints: list[Touchpoint] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> Journey:
        ids = [t.id for t in self.touchpoints]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"touchpoint ids must be unique; repeated: {dupes}")
        stray = sorted({t.stage for t in self.touchpoints} - set(self.stages))
        if stray:
            raise ValueError(f"touchpoints name stages not in journey.stages: {stray}")
        return self


class PersonaCard(_Model):
    """What the consultant writes about a persona from interviews."""

    name: str = Field(description="The persona's name, e.g. 'Budget prepaid'.")
    description: str = Field("", description="Who they are, in a sentence or two.")
    motivations: list[str] = Field(default_factory=list, description="What drives them.")
    challenges: list[str] = Field(default_factory=list, description="What gets in their way.")
    needs: list[str] = Field(default_factory=list, description="What they need from us.")
    match: dict[str, Literal["high", "low"]] = Field(
        default_factory=dict,
        description="Features this persona stands out on (feature: high or low); clusters "
        "are matched to cards by them. Without it, cards name clusters in order of size.",
    )


class PersonaRule(_Model):
    """A consultant-defined persona: customers meeting every condition."""

    name: str = Field(description="The persona's name.")
    conditions: list[Condition] = Field(
        min_length=1, description="Conditions a customer must all meet to belong to it."
    )


class Personas(_Model):
    """Settings for step 2."""

    method: Literal["clusters", "rules"] = Field("clusters", description="Data or rules.")
    features: list[str] = Field(default_factory=list, description="Behavioural columns.")
    k_range: tuple[int, int] = Field((2, 7), description="Cluster counts tried.")
    k: int | None = Field(None, ge=2, description="Force this many personas.")
    seed: int = Field(0, description="Seed for clustering and resampling.")
    rules: list[PersonaRule] = Field(default_factory=list)
    cards: list[PersonaCard] = Field(default_factory=list, description="Cards, in persona order.")


class KpiTarget(_Model):
    """A KPI's target."""

    kpi: str = Field(description="KPI name, e.g. nps, csat, ces, retention.")
    target: float = Field(description="Target value, in the KPI's own units.")
    target_date: date | None = Field(None, description="Date the target is due.")
    owner: str = Field("", description="Who answers for it.")
    direction: Literal["increase", "decrease"] = Field(
        "increase", description="Whether the KPI should go up (increase) or down (decrease)."
    )


class OperationalMetric(_Model):
    """An operational KPI computed from touchpoint events."""

    name: str = Field(pattern=_ID.pattern, description="KPI name used in targets, e.g. fcr.")
    kind: Literal["completion", "first_contact_resolution", "duration"] = Field(
        description="completion: share of events completed; first_contact_resolution: share "
        "of contacts not followed by another at the same touchpoint within repeat_days; "
        "duration: mean duration_s in seconds (handling or response time)."
    )
    label: str = Field("", description="Name shown in reports; default from the kind.")
    stages: list[str] = Field(
        default_factory=list, description="Journey stages included (empty: every stage)."
    )
    touchpoints: list[str] = Field(
        default_factory=list, description="Touchpoint ids included (empty: all in the stages)."
    )
    repeat_days: float = Field(
        7.0, gt=0, description="Window for a repeat contact (first_contact_resolution only)."
    )


class Kpis(_Model):
    """Settings for steps 6 and 7."""

    targets: list[KpiTarget] = Field(default_factory=list)
    operational: list[OperationalMetric] = Field(
        default_factory=list,
        description="Operational KPIs from touchpoint_events; empty: completion rate, "
        "first-contact resolution and mean duration over all touchpoints.",
    )
    lower_is_better: list[str] = Field(
        default_factory=lambda: ["churn", "revenue_at_risk", "duration"],
        description="KPI names (or metric names) where a fall is an improvement; a target's "
        "direction overrides this for that KPI.",
    )
    revenue_at_risk: Literal["churn_rate", "excess_churn"] = Field(
        "churn_rate",
        description="Revenue at risk = detractors' annual revenue x their churn rate "
        "(churn_rate) or x their churn rate above promoters' (excess_churn).",
    )
    engaged_min_score: float = Field(
        4.0,
        description="When employee_pulse has a score but no engaged column, scores at or "
        "above this count as engaged.",
    )
    laney_min_n: int = Field(
        1000,
        ge=1,
        description="Control charts use Laney's adjustment when the median wave base is at "
        "least this (and there are three or more waves).",
    )
    p_adjust: Literal["holm", "fdr_bh", "bonferroni"] = Field(
        "holm", description="Multiplicity control across the scorecard and the segment tests."
    )
    stage_ratings: Literal["events", "responses"] = Field(
        "events",
        description="Where stage-level CSAT and CES come from: the ratings in "
        "touchpoint_events (csat, effort on the CES scale) or the survey responses at the "
        "stage's touchpoints. NPS by stage always comes from the responses.",
    )


_RACI_ROLE = re.compile(r"^[RACI](/[RACI])*$")


def _raci_role(value: Any) -> Any:
    """Normalise a RACI cell: 'a', 'A/R', 'R, A' -> 'A' or 'A/R'."""
    if not isinstance(value, str):
        return value
    letters = [p for p in re.split(r"[\s/,+]+", value.strip().upper()) if p]
    if not letters or not _RACI_ROLE.match("/".join(letters)) or len(set(letters)) != len(letters):
        raise ValueError(f"expected R, A, C or I (or a combination like A/R), found {value!r}")
    return "/".join(sorted(letters, key="RACI".index))


RaciRole = Annotated[str, BeforeValidator(_raci_role)]
Cadence = Literal["weekly", "fortnightly", "monthly", "bimonthly", "quarterly", "half-yearly"]


class Committee(_Model):
    """One governance body: its remit, how often it meets and (optionally) its members."""

    name: str = Field(min_length=1, description="The body's name as shown in reports.")
    remit: str = Field("", description="What the body decides and reviews, in a sentence.")
    cadence: Cadence = Field("monthly", description="How often it meets.")
    members: list[str] = Field(
        default_factory=list,
        description="Person names (as in stakeholders); empty: the kit chooses the members.",
    )


class RaciDecision(_Model):
    """A CX decision and who is Responsible, Accountable, Consulted and Informed."""

    id: str = Field(pattern=_ID.pattern, description="Short id of the decision.")
    title: str = Field(min_length=1, description="The decision in words.")
    raci: dict[str, RaciRole] = Field(
        default_factory=dict,
        description="Person name -> R, A, C or I (or a combination such as A/R).",
    )


def _default_decisions() -> list[RaciDecision]:
    return [
        RaciDecision(id=i, title=t)
        for i, t in (
            ("approve_strategy", "Approve the CX strategy"),
            ("fund_initiatives", "Fund CX initiatives"),
            ("change_survey", "Change a survey"),
            ("add_touchpoint", "Add a touchpoint"),
            ("act_on_detractors", "Act on detractor feedback"),
            ("publish_kpis", "Publish CX KPIs"),
        )
    ]


class ContactPolicy(_Model):
    """How often a customer may be asked for feedback."""

    max_surveys: int = Field(1, ge=1, description="Most surveys a customer may get per window.")
    per_days: int = Field(30, ge=1, description="Length of the rolling window, in days.")
    quiet_days_after_complaint: int = Field(
        7, ge=0, description="No survey this many days after a complaint (0: no such rule)."
    )
    complaint_stages: list[str] = Field(
        default_factory=lambda: ["Support"],
        description="Journey stages whose touchpoint events count as complaints.",
    )
    complaint_touchpoints: list[str] = Field(
        default_factory=list, description="Touchpoint ids whose events count as complaints."
    )
    complaints_open_only: bool = Field(
        True,
        description="Count only events not completed (the issue is still open); false: "
        "every event at those touchpoints is a complaint.",
    )
    breakdown: list[str] = Field(
        default_factory=lambda: ["survey", "team"],
        description="Columns of the contact log to count breaches by (absent ones skipped).",
    )


class EvidenceWeights(_Model):
    """Weights of the evidence an initiative's impact is scored from."""

    pain: float = Field(0.5, ge=0, description="Weight of the touchpoint's share of pain.")
    drivers: float = Field(0.3, ge=0, description="Weight of the driver's share of importance.")
    themes: float = Field(0.2, ge=0, description="Weight of the theme's share of complaints.")


class Governance(_Model):
    """Settings for step 5: structure, RACI, contact policy, roadmap and cadence."""

    sponsor: str = Field("", description="The executive sponsor (a person in stakeholders).")
    steering: Committee = Field(
        default_factory=lambda: Committee(
            name="Executive CX steering group",
            remit="Sets CX priorities, funds initiatives and reviews each measurement wave.",
            cadence="quarterly",
        ),
        description="The executive steering group.",
    )
    working_team: Committee = Field(
        default_factory=lambda: Committee(
            name="Cross-functional CX working team",
            remit="Acts on feedback, runs the initiatives and fixes issues across departments.",
            cadence="monthly",
        ),
        description="The cross-functional working team.",
    )
    decisions: list[RaciDecision] = Field(
        default_factory=_default_decisions, description="CX decisions with their RACI."
    )
    max_assignments: int = Field(
        3, ge=1, description="Most decisions one person may be Responsible or Accountable for."
    )
    contact_policy: ContactPolicy = Field(
        default_factory=ContactPolicy, description="The survey contact policy."
    )
    budget: float | None = Field(
        None, ge=0, description="Budget for initiatives, in the cost column's units; empty: none."
    )
    funding_decision: str = Field(
        "fund_initiatives", description="Id of the decision whose Accountable signs off spend."
    )
    evidence_weights: EvidenceWeights = Field(
        default_factory=EvidenceWeights, description="How impact evidence is weighted."
    )
    evidence_links: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Touchpoint id -> key drivers or comment themes that touchpoint moves, "
        "so initiatives at the touchpoint are credited with them.",
    )
    start_date: date | None = Field(
        None, description="First day of the plan; empty: the month after the latest data."
    )
    horizon_months: int = Field(12, ge=1, le=60, description="Months the calendar covers.")
    remeasure_every_months: int = Field(
        3, ge=1, le=24, description="Months between re-measurement waves."
    )

    @model_validator(mode="after")
    def _decisions_unique(self) -> Governance:
        ids = [d.id for d in self.decisions]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"decision ids must be unique; repeated: {dupes}")
        return self
