"""The engagement.yaml model, its loader, and every path the kit uses.

Every field carries its help text once, here; ``cx validate`` messages and the docs read it
from the model. Unknown keys and wrong types are errors that name the key path and the line
in engagement.yaml.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path, PurePosixPath
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictStr,
    ValidationError,
    field_validator,
    model_validator,
)

from cxlib.errors import ConfigError, Problem

__all__ = [
    "TABLES",
    "Branding",
    "Codeframe",
    "Engagement",
    "Governance",
    "EngagementPaths",
    "RunPaths",
    "Source",
    "check_engagement_name",
    "kit_root",
    "load_codeframe",
    "load_engagement",
    "playbooks_dir",
]

#: Canonical tables, in the order ingest handles them.
TABLES = (
    "customers",
    "responses",
    "touchpoint_events",
    "stakeholders",
    "initiatives",
    "contacts",
    "employee_pulse",
)

_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
_ID = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _as_list(value: Any) -> Any:
    """Accept a single mapping where a list of them is expected."""
    if value is None:
        return []
    if isinstance(value, dict):
        return [value]
    return value


def _safe_relative(value: str) -> str:
    path = PurePosixPath(str(value).replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts or re.match(r"^[A-Za-z]:", str(value)):
        raise ValueError(
            f"expected a path inside the engagement folder (like inputs/file.csv), found {value!r}"
        )
    return str(path)


RelPath = Annotated[str, BeforeValidator(_safe_relative)]
WaveLabel = Annotated[
    StrictStr,
    Field(description="A wave label such as 2026Q1; quote it in YAML so it stays text."),
]


class Branding(_Model):
    """How the client's reports look."""

    client_name: str = Field("", description="Filled from client.name; shown on every page.")
    consultant: str = Field("", description="Filled from client.consultant; on the cover block.")
    primary_color: str = Field("#1F4E79", description="Main brand colour, as #RRGGBB.")
    secondary_color: str = Field("#F2A900", description="Second brand colour, as #RRGGBB.")
    text_color: str = Field("#1A1A1A", description="Body text colour, as #RRGGBB.")
    logo: Path | None = Field(
        None, description="Logo file (PNG, JPEG or SVG), relative to the engagement folder."
    )
    font_family: str = Field(
        "Helvetica, Arial, sans-serif",
        description="CSS font stack; only fonts installed on the reader's machine are used.",
    )

    @field_validator("primary_color", "secondary_color", "text_color")
    @classmethod
    def _is_hex(cls, value: str) -> str:
        if not _HEX.match(value):
            raise ValueError(f"expected a colour like #1F4E79, found {value!r}")
        return value

    @field_validator("logo", mode="before")
    @classmethod
    def _logo_inside(cls, value: Any) -> Any:
        return None if value in (None, "") else _safe_relative(value)


class Client(_Model):
    """Who the engagement is for."""

    name: str = Field(min_length=1, description="The client's name as it appears in reports.")
    consultant: str = Field("", description="Consultant or agency named in reports.")
    industry: str = Field("", description="Industry, for the report's cover.")


class Source(_Model):
    """One input file and how its columns map onto a canonical table."""

    file: RelPath = Field(description="The export, relative to the engagement folder.")
    format: Literal["auto", "csv", "excel", "qualtrics", "surveymonkey"] = Field(
        "auto", description="Export format; auto recognises Qualtrics and SurveyMonkey layouts."
    )
    columns: dict[str, str] = Field(
        default_factory=dict,
        description="Client header -> canonical column name. Unmapped columns are kept.",
    )
    wave: WaveLabel | None = Field(None, description="Wave of every row, when the file has none.")
    sheet: str | int | None = Field(None, description="Excel sheet name or index (default first).")
    encoding: str | None = Field(None, description="Text encoding; detected when omitted.")
    delimiter: str | None = Field(None, description="Field separator; detected when omitted.")
    decimal: Literal[".", ","] | None = Field(None, description="Decimal mark; else detected.")
    date_format: str | None = Field(
        None, description="strftime format of the dates, e.g. %d/%m/%Y; needed if ambiguous."
    )


_SourceList = Annotated[list[Source], BeforeValidator(_as_list)]


class Inputs(_Model):
    """Where each canonical table comes from."""

    customers: _SourceList = Field(description="The customer base (one row per customer).")
    responses: _SourceList = Field(description="Survey responses, one or more files/waves.")
    touchpoint_events: _SourceList = Field(default_factory=list, description="Journey events.")
    stakeholders: _SourceList = Field(default_factory=list, description="People for governance.")
    initiatives: _SourceList = Field(default_factory=list, description="Improvement ideas.")
    contacts: _SourceList = Field(default_factory=list, description="Survey contact log.")
    employee_pulse: _SourceList = Field(default_factory=list, description="Employee pulse.")


class Survey(_Model):
    """How the survey's scores are read."""

    attributes: list[str] = Field(
        default_factory=list, description="Canonical names of the attribute rating columns."
    )
    attribute_scale: tuple[int, int] = Field((1, 5), description="Lowest and highest rating.")
    non_substantive_codes: dict[str, list[float]] = Field(
        default_factory=dict,
        description="Codes meaning 'no answer' per column (e.g. nps: [99, -1]); read as missing.",
    )
    min_base: int = Field(30, ge=1, description="Estimates on fewer responses are flagged.")
    confidence: float = Field(0.95, gt=0.5, lt=1, description="Confidence level of intervals.")


class Waves(_Model):
    """Survey waves, oldest first."""

    labels: list[WaveLabel] = Field(min_length=1, description="Wave labels, oldest first.")
    baseline: WaveLabel = Field(description="The wave that sets the baseline.")

    @model_validator(mode="after")
    def _baseline_known(self) -> Waves:
        if self.baseline not in self.labels:
            raise ValueError(f"baseline {self.baseline!r} is not one of labels {self.labels}")
        if len(set(self.labels)) != len(self.labels):
            raise ValueError("wave labels must be unique")
        return self


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


class Engagement(_Model):
    """The whole engagement.yaml."""

    client: Client
    branding: Branding = Field(default_factory=Branding)
    waves: Waves
    inputs: Inputs
    survey: Survey = Field(default_factory=Survey)
    strategy: Strategy | None = None
    journey: Journey | None = None
    personas: Personas = Field(default_factory=Personas)
    kpis: Kpis = Field(default_factory=Kpis)
    governance: Governance = Field(
        default_factory=Governance, description="Step 5: governance, RACI, contacts, roadmap."
    )

    @model_validator(mode="before")
    @classmethod
    def _brand_from_client(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("client"), dict):
            branding = dict(data.get("branding") or {})
            branding.setdefault("client_name", data["client"].get("name", ""))
            branding.setdefault("consultant", data["client"].get("consultant", ""))
            data = {**data, "branding": branding}
        return data


class Theme(_Model):
    """One theme of the codeframe."""

    name: str = Field(min_length=1, description="Theme name shown in reports.")
    description: str = Field("", description="What the theme covers, for coders.")
    keywords: list[str] = Field(
        default_factory=list, description="Words that tag a comment; '*' ends a stem: charge*."
    )
    patterns: list[str] = Field(
        default_factory=list, description="Regular expressions that tag a comment."
    )
    exclude: list[str] = Field(
        default_factory=list,
        description="Terms that keep a comment out of the theme, e.g. billboard.",
    )

    @field_validator("patterns")
    @classmethod
    def _compiles(cls, value: list[str]) -> list[str]:
        for pattern in value:
            try:
                re.compile(pattern)
            except re.error as exc:
                msg = f"pattern {pattern!r} is not a valid regular expression: {exc}"
                raise ValueError(msg) from None
        return value


class Codeframe(_Model):
    """codeframe.yaml: versioned themes for tagging comments."""

    version: StrictStr = Field(description="Codeframe version; quote it.")
    themes: list[Theme] = Field(min_length=1)


# --------------------------------------------------------------------------- loading


def _line_of(root: yaml.Node | None, loc: Iterable[Any]) -> int | None:
    """Line (1-based) of the YAML node at a key path, or of its nearest parent."""
    node, line = root, None
    for key in loc:
        if node is None:
            break
        line = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if k.value == str(key)), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int):
            node = node.value[key] if key < len(node.value) else None
        else:
            node = None
    if node is not None:
        line = node.start_mark.line + 1
    return line


def _load_yaml(path: Path) -> tuple[Any, yaml.Node | None]:
    if not path.is_file():
        raise ConfigError([Problem(str(path), None, None, "a YAML file", "no such file")])
    text = path.read_text(encoding="utf-8-sig")
    try:
        return yaml.safe_load(text), yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        row = mark.line + 1 if mark else None
        raise ConfigError([Problem(path.name, row, None, "valid YAML", str(exc))]) from exc


def _parse(model: type[_Model], path: Path) -> Any:
    data, root = _load_yaml(path)
    if not isinstance(data, dict):
        found = "an empty file" if data is None else type(data).__name__
        raise ConfigError([Problem(path.name, None, None, "a mapping of settings", found)])
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = [p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-"))]
            key = ".".join(str(p) for p in loc) or "(top level)"
            if err["type"] == "extra_forbidden":
                expected = "one of the known settings (see client_template/engagement.yaml)"
                found = f"unknown key {key.rsplit('.', 1)[-1]!r}"
            elif err["type"] == "missing":
                expected, found = "this setting", "nothing"
            else:
                expected = err["msg"].removeprefix("Value error, ")
                found = repr(err.get("input"))[:80]
            problems.append(Problem(path.name, _line_of(root, loc), key, expected, found))
        raise ConfigError(problems) from None


def load_engagement(folder: str | Path) -> Engagement:
    """Read and validate ``engagement.yaml`` in an engagement folder.

    Parameters
    ----------
    folder : str or Path
        The engagement folder.

    Returns
    -------
    Engagement
        The validated configuration.

    Raises
    ------
    ConfigError
        Listing every problem with its key path and line.
    """
    return _parse(Engagement, EngagementPaths(Path(folder)).config)


def load_codeframe(path: str | Path) -> Codeframe:
    """Read and validate a codeframe.yaml file.

    Parameters
    ----------
    path : str or Path
        The codeframe file.

    Returns
    -------
    Codeframe
        The validated codeframe.
    """
    return _parse(Codeframe, Path(path))


def check_engagement_name(folder: str | Path) -> Path:
    """Check that an engagement folder's name is safe and return the path.

    The last component must be a plain name (letters, digits, ``_``, ``.``, ``-``), and no
    component may be ``..``, so a typed name cannot escape the intended folder.

    Parameters
    ----------
    folder : str or Path
        The folder the user typed.

    Returns
    -------
    Path
        The same path.

    Raises
    ------
    ConfigError
        When the name is not safe.
    """
    path = Path(folder)
    if ".." in path.parts or not _NAME.match(path.name):
        raise ConfigError(
            [
                Problem(
                    str(folder),
                    None,
                    None,
                    "a folder name of letters, digits, '_', '.' or '-' (no '..')",
                    repr(path.name),
                )
            ]
        )
    return path


# --------------------------------------------------------------------------- paths


def kit_root() -> Path:
    """Folder that holds the kit's ``playbooks/``, ``client_template/`` and ``data/``."""
    return Path(__file__).resolve().parent.parent


def playbooks_dir() -> Path:
    """Folder with the seven playbooks."""
    return kit_root() / "playbooks"


@dataclass(frozen=True)
class RunPaths:
    """Every path inside one run folder."""

    root: Path

    @property
    def clean(self) -> Path:
        """Clean canonical tables as Parquet."""
        return self.root / "clean"

    @property
    def results(self) -> Path:
        """Machine-readable results of each step."""
        return self.root / "results"

    @property
    def notebooks(self) -> Path:
        """Executed notebooks."""
        return self.root / "notebooks"

    @property
    def html(self) -> Path:
        """Rendered pages, promoted to the engagement's reports/ on success."""
        return self.root / "html"

    @property
    def run_json(self) -> Path:
        """The run's record: parameters, fingerprints, timings, status."""
        return self.root / "run.json"

    @property
    def validation(self) -> Path:
        """The validation report (problems and repairs), as CSV."""
        return self.root / "validation.csv"


@dataclass(frozen=True)
class EngagementPaths:
    """Every path inside one engagement folder."""

    root: Path

    @property
    def config(self) -> Path:
        """engagement.yaml."""
        return self.root / "engagement.yaml"

    @property
    def codeframe(self) -> Path:
        """codeframe.yaml."""
        return self.root / "codeframe.yaml"

    @property
    def inputs(self) -> Path:
        """The client's exports (never modified)."""
        return self.root / "inputs"

    @property
    def runs(self) -> Path:
        """One folder per run."""
        return self.root / "runs"

    @property
    def reports(self) -> Path:
        """The promoted, client-ready report."""
        return self.root / "reports"

    @property
    def baseline(self) -> Path:
        """Locked baselines, one JSON per wave."""
        return self.root / "baseline"

    def run(self, run_id: str) -> RunPaths:
        """Paths of one run."""
        return RunPaths(self.runs / run_id)

    def resolve(self, relative: str | Path) -> Path:
        """Make an engagement-relative path absolute, refusing paths that leave the folder."""
        path = (self.root / relative).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise ConfigError(
                [Problem(str(relative), None, None, "a path inside the engagement", str(path))]
            )
        return path
