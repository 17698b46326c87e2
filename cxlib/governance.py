"""Step 5: who runs the CX programme, who decides what, and when they meet.

Compute layer: the two-level governance structure (an executive steering group and a
cross-functional working team) built from the stakeholders table and engagement.yaml, the
RACI of the CX decisions and its checks. The survey contact audit lives in
:mod:`cxlib.governance_contacts`, the initiative roadmap in :mod:`cxlib.governance_roadmap`,
the cadence calendar in :mod:`cxlib.governance_calendar` and the step's results file in
:mod:`cxlib.governance_results`.

Every check returns rows of one shape, so the notebook and the results file list them the
same way: ``area``, ``check``, ``subject``, ``passed``, ``count``, ``limit`` and ``detail``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from cxlib.config import Committee, Governance, Journey, RaciDecision

__all__ = [
    "CADENCE_STEPS",
    "CHECK_COLUMNS",
    "GovernanceStructure",
    "check_raci",
    "governance_structure",
    "raci_matrix",
    "raci_table",
    "single_accountable",
    "touchpoint_owners",
]

#: Columns of every check table this step produces.
CHECK_COLUMNS = ("area", "check", "subject", "passed", "count", "limit", "detail")

_MEMBER_COLUMNS = (
    "body",
    "person",
    "title",
    "department",
    "level",
    "cx_role",
    "basis",
    "represents",
)
_LEVEL_ORDER = {"manager": 0, "frontline": 1, "executive": 2}
_DECISION_ROLES = ("sponsor", "steering", "decision maker", "decision-maker", "approver")
_WORKING_ROLES = ("working team", "lead", "champion", "owner")  # first two rank first
#: Meeting cadences: (unit, step) between meetings, unit "days" or "months".
CADENCE_STEPS = {
    "weekly": ("days", 7),
    "fortnightly": ("days", 14),
    "monthly": ("months", 1),
    "bimonthly": ("months", 2),
    "quarterly": ("months", 3),
    "half-yearly": ("months", 6),
}


def _norm(values: Any) -> Any:
    """Case- and space-insensitive key for names and departments."""
    if isinstance(values, pd.Series):
        return (
            values.astype("string").str.strip().str.casefold().str.replace(r"\s+", " ", regex=True)
        )
    return re.sub(r"\s+", " ", str(values).strip().casefold())


def _row(
    area: str,
    check: str,
    subject: str,
    passed: Any,
    count: Any = None,
    limit: Any = None,
    detail: str = "",
) -> dict[str, Any]:
    values = (area, check, subject, bool(passed), count, limit, detail)
    return dict(zip(CHECK_COLUMNS, values, strict=True))


def _checks(rows: list[dict[str, Any]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=list(CHECK_COLUMNS))
    frame["passed"] = frame["passed"].astype(bool)
    frame["count"] = frame["count"].astype("Int64")
    frame["limit"] = frame["limit"].astype("Int64")
    return frame


def _require(frame: pd.DataFrame, columns: Iterable[str], what: str) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"{what} must be a DataFrame, found {type(frame).__name__}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{what} has no column(s) {missing}; found {list(frame.columns)}")


# --------------------------------------------------------------------------- structure


def touchpoint_owners(journey: Journey | None) -> pd.DataFrame:
    """List the journey's touchpoints with the department that owns each.

    Parameters
    ----------
    journey : Journey or None
        The ``journey:`` section of engagement.yaml.

    Returns
    -------
    pandas.DataFrame
        One row per touchpoint: ``touchpoint_id``, ``touchpoint``, ``stage``, ``channel`` and
        ``owner`` (empty text when the touchpoint has no owner). Empty without a journey.

    Examples
    --------
    >>> from cxlib.config import Journey
    >>> j = Journey(stages=["buy"], touchpoints=[
    ...     {"id": "web", "name": "Checkout", "stage": "buy", "channel": "web",
    ...      "owner": "Digital"}])
    >>> touchpoint_owners(j)[["touchpoint_id", "owner"]].to_dict("records")
    [{'touchpoint_id': 'web', 'owner': 'Digital'}]
    """
    columns = ["touchpoint_id", "touchpoint", "stage", "channel", "owner"]
    if journey is None:
        return pd.DataFrame(columns=columns)
    rows = [(t.id, t.name, t.stage, t.channel, t.owner.strip()) for t in journey.touchpoints]
    return pd.DataFrame(rows, columns=columns)


@dataclass(frozen=True, eq=False)
class GovernanceStructure:
    """The two-level governance model and its checks.

    Attributes
    ----------
    bodies : pandas.DataFrame
        One row per body: ``body`` (``steering`` or ``working_team``), ``name``, ``remit``,
        ``cadence``, ``meetings_per_year`` and ``n_members``.
    members : pandas.DataFrame
        One row per seat: ``body``, ``person``, ``title``, ``department``, ``level``,
        ``cx_role``, ``basis`` (why the person sits there: ``sponsor``, ``named``,
        ``accountable`` for a CX decision, ``decision_role`` from cx_role, or
        ``represents``) and ``represents`` (the touchpoint-owning department the seat
        stands for, else empty).
    checks : pandas.DataFrame
        Structure checks in the columns of :data:`CHECK_COLUMNS`: ``sponsor_named``,
        ``sponsor_known``, ``sponsor_executive``, ``member_known`` (per named member) and
        ``department_represented`` (per touchpoint-owning department; ``count`` is the number
        of touchpoints it owns, ``detail`` a suggested member when it fails).
    people : tuple of str
        Every person in the stakeholders table (for checking names elsewhere).
    """

    bodies: pd.DataFrame
    members: pd.DataFrame
    checks: pd.DataFrame
    people: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        """Whether every structure check passed."""
        return bool(self.checks["passed"].all())

    def _repr_html_(self) -> str:
        return self.members.to_html(index=False, escape=True)


def _meetings_per_year(cadence: str) -> int:
    unit, step = CADENCE_STEPS[cadence]
    return 52 // step if unit == "days" else 12 // step


def governance_structure(
    stakeholders: pd.DataFrame | None,
    *,
    settings: Governance,
    owners: pd.DataFrame | None = None,
    person: str = "person",
    department: str = "department",
    level: str = "level",
    cx_role: str = "cx_role",
) -> GovernanceStructure:
    """Build the executive steering group and the cross-functional working team.

    The steering group is the sponsor plus the people named under
    ``governance.steering.members``; when none are named, the sponsor plus every executive
    who is Accountable for a CX decision or whose ``cx_role`` names a sponsor, steering
    member, decision maker or approver. The working team is the people named under
    ``governance.working_team.members``; when none are named, one member for each department
    that owns a touchpoint: the person whose ``cx_role`` names the working team or a lead,
    else a champion or owner, then by level (manager, frontline, executive) and name.

    Parameters
    ----------
    stakeholders : pandas.DataFrame or None
        The stakeholders table: person, title, department, level, cx_role. None when the
        engagement has none: every check that needs a person then fails.
    settings : Governance
        The ``governance:`` section of engagement.yaml.
    owners : pandas.DataFrame, optional
        Touchpoints with their ``owner`` department, as :func:`touchpoint_owners` returns.
    person, department, level, cx_role : str
        Column roles in ``stakeholders``.

    Returns
    -------
    GovernanceStructure
        Bodies, members and checks.

    Raises
    ------
    TypeError, ValueError
        If ``stakeholders`` is not a DataFrame or lacks the columns.

    Notes
    -----
    Names and departments are matched ignoring case and repeated spaces. A department that
    owns a touchpoint but has nobody in the working team fails ``department_represented``,
    with the person who would best represent it as ``detail`` (empty when the department has
    nobody in the stakeholders table).

    Examples
    --------
    >>> import pandas as pd
    >>> from cxlib.config import Governance
    >>> people = pd.DataFrame({"person": ["Ann", "Bo", "Cy"], "title": ["CEO", "Lead", "Mgr"],
    ...     "department": ["Board", "Digital", "Billing"],
    ...     "level": ["executive", "manager", "manager"], "cx_role": ["sponsor", "", ""]})
    >>> owners = pd.DataFrame({"owner": ["Digital", "Digital", "Retail"]})
    >>> s = governance_structure(people, settings=Governance(sponsor="Ann"), owners=owners)
    >>> s.members[["body", "person"]].values.tolist()
    [['steering', 'Ann'], ['working_team', 'Bo']]
    >>> s.checks.loc[~s.checks["passed"], ["check", "subject"]].values.tolist()
    [['department_represented', 'Retail']]
    """
    if stakeholders is None:
        stakeholders = pd.DataFrame(columns=[person, department, level, cx_role], dtype=object)
    _require(stakeholders, [person, department, level, cx_role], "stakeholders")
    people = pd.DataFrame(
        {
            "person": stakeholders[person].astype("string").str.strip(),
            "title": stakeholders["title"] if "title" in stakeholders else "",
            "department": stakeholders[department],
            "level": _norm(stakeholders[level]),
            "cx_role": stakeholders[cx_role].fillna("").astype("string"),
        }
    )
    people["title"] = people["title"].fillna("").astype("string")
    people["department"] = people["department"].fillna("").astype("string").str.strip()
    people["key"] = _norm(people["person"])
    people = people.drop_duplicates("key").reset_index(drop=True)
    accountable = _norm(pd.Series(raci_table(settings.decisions).query("role == 'A'")["person"]))

    checks: list[dict[str, Any]] = []
    steering = _steering(people, settings, set(accountable), checks)
    working = _working(people, settings.working_team, owners, checks)
    members = pd.concat([steering, working], ignore_index=True)
    members = members[list(_MEMBER_COLUMNS)]
    bodies = pd.DataFrame(
        [
            _body_row("steering", settings.steering, steering),
            _body_row("working_team", settings.working_team, working),
        ]
    )
    names = tuple(str(p) for p in people["person"].dropna())
    return GovernanceStructure(
        bodies=bodies, members=members, checks=_checks(checks), people=names
    )


def _body_row(key: str, committee: Committee, members: pd.DataFrame) -> dict[str, Any]:
    return {
        "body": key,
        "name": committee.name,
        "remit": committee.remit,
        "cadence": committee.cadence,
        "meetings_per_year": _meetings_per_year(committee.cadence),
        "n_members": len(members),
    }


def _named(people: pd.DataFrame, names: Sequence[str], body: str, checks: list) -> pd.DataFrame:
    """Rows of people named in the config; unknown names become failed checks."""
    names = [n for n in names if str(n).strip()]
    keys = [_norm(n) for n in names]
    known = set(people["key"])
    for name, key in zip(names, keys, strict=True):
        checks.append(_row("structure", "member_known", name, key in known))
    return people[people["key"].isin(keys)].assign(body=body, basis="named", represents="")


def _has_any(text: pd.Series, words: Iterable[str]) -> np.ndarray:
    low = text.fillna("").astype(str).str.casefold()
    hit = np.zeros(len(text), dtype=bool)
    for word in words:
        hit |= low.str.contains(word, regex=False).to_numpy(dtype=bool)
    return hit


def _steering(people: pd.DataFrame, settings: Governance, accountable: set, checks: list):
    sponsor = _norm(settings.sponsor)
    row = people[people["key"] == sponsor]
    named = bool(settings.sponsor.strip())
    checks.append(_row("structure", "sponsor_named", settings.sponsor, named))
    if named:
        checks.append(_row("structure", "sponsor_known", settings.sponsor, not row.empty))
        executive = (row["level"] == "executive").any()
        checks.append(_row("structure", "sponsor_executive", settings.sponsor, executive))
    is_sponsor = people["key"].eq(sponsor).to_numpy()
    if settings.steering.members:
        chosen = _named(people, settings.steering.members, "steering", checks)
        chosen = chosen[chosen["key"] != sponsor]
        out = pd.concat([people[is_sponsor].assign(body="steering", basis="sponsor"), chosen])
    else:
        execs = people["level"].eq("executive").fillna(False).to_numpy(dtype=bool)
        is_acc = people["key"].isin(accountable).to_numpy()
        decides = _has_any(people["cx_role"], _DECISION_ROLES)
        basis = np.select(
            [is_sponsor, execs & is_acc, execs & decides],
            ["sponsor", "accountable", "decision_role"],
            "",
        )
        out = people[basis != ""].assign(body="steering", basis=basis[basis != ""])
    order = out["basis"].map({"sponsor": 0, "accountable": 1, "decision_role": 2, "named": 3})
    out = out.assign(represents="", _o=order).sort_values(["_o", "person"], kind="stable")
    return out.drop(columns="_o")


def _working(people: pd.DataFrame, team: Committee, owners, checks: list) -> pd.DataFrame:
    people = people.assign(dkey=_norm(people["department"]))
    named = _named(people, team.members, "working_team", checks)
    if owners is None or "owner" not in owners or owners.empty:
        return named.drop(columns="dkey").sort_values("person")
    owned = owners["owner"].fillna("").astype("string").str.strip()
    owned = owned[owned != ""]
    depts = (
        pd.DataFrame({"represents": owned.to_numpy(), "dkey": _norm(owned).to_numpy()})
        .groupby("dkey", sort=True)
        .agg(represents=("represents", "first"), n=("represents", "size"))
    )
    lead = _has_any(people["cx_role"], _WORKING_ROLES[:2])
    champion = _has_any(people["cx_role"], _WORKING_ROLES[2:])
    ranked = people.assign(
        _c=np.select([lead, champion], [0, 1], 2), _l=people["level"].map(_LEVEL_ORDER).fillna(3)
    ).sort_values(["dkey", "_c", "_l", "person"])
    best = ranked[ranked["dkey"].isin(depts.index)].drop_duplicates("dkey").set_index("dkey")
    if team.members:
        chosen = named
    else:
        chosen = best.reset_index().assign(body="working_team", basis="represents")
    covered = set(chosen["dkey"])
    for dkey, dept in depts.iterrows():  # one row per department, not per record
        ok = dkey in covered
        hint = "" if ok or dkey not in best.index else str(best.loc[dkey, "person"])
        checks.append(
            _row(
                "structure",
                "department_represented",
                dept["represents"],
                ok,
                dept["n"],
                None,
                hint,
            )
        )
    chosen = chosen.assign(
        represents=depts["represents"].reindex(chosen["dkey"]).fillna("").to_numpy()
    )
    out = chosen.drop(columns=[c for c in ("dkey", "_c", "_l") if c in chosen])
    return out.sort_values(["represents", "person"], kind="stable")


# --------------------------------------------------------------------------- RACI


def raci_table(decisions: Sequence[RaciDecision]) -> pd.DataFrame:
    """Turn the configured RACI into one row per person, decision and role letter.

    Parameters
    ----------
    decisions : sequence of RaciDecision
        ``governance.decisions`` from engagement.yaml.

    Returns
    -------
    pandas.DataFrame
        Columns ``decision_id``, ``decision`` (title), ``person`` and ``role`` (one of R, A,
        C, I). A combined cell such as ``A/R`` gives two rows.

    Examples
    --------
    >>> from cxlib.config import RaciDecision
    >>> d = RaciDecision(id="fund", title="Fund", raci={"Ann": "A/R", "Bo": "I"})
    >>> raci_table([d])[["person", "role"]].values.tolist()
    [['Ann', 'R'], ['Ann', 'A'], ['Bo', 'I']]
    """
    rows = [
        (d.id, d.title, name.strip(), letter)
        for d in decisions
        for name, cell in d.raci.items()
        for letter in cell.split("/")
    ]
    return pd.DataFrame(rows, columns=["decision_id", "decision", "person", "role"])


def raci_matrix(decisions: Sequence[RaciDecision]) -> pd.DataFrame:
    """People by decisions, each cell the person's role letters (``""`` when none).

    Parameters
    ----------
    decisions : sequence of RaciDecision
        ``governance.decisions`` from engagement.yaml.

    Returns
    -------
    pandas.DataFrame
        Index ``person`` (in order of first appearance), one column per decision id in
        configured order, cells like ``"A"``, ``"A/R"`` or ``""``.

    Examples
    --------
    >>> from cxlib.config import RaciDecision
    >>> ds = [RaciDecision(id="a", title="A", raci={"Ann": "A", "Bo": "R"}),
    ...       RaciDecision(id="b", title="B", raci={"Bo": "A/R"})]
    >>> raci_matrix(ds).to_dict("index")
    {'Ann': {'a': 'A', 'b': ''}, 'Bo': {'a': 'R', 'b': 'R/A'}}
    """
    table = raci_table(decisions)
    ids = [d.id for d in decisions]
    people = list(dict.fromkeys(table["person"]))
    if table.empty:
        return pd.DataFrame(index=pd.Index([], name="person"), columns=ids, dtype=object)
    cells = table.groupby(["person", "decision_id"], sort=False)["role"].agg("/".join)
    wide = cells.unstack("decision_id").reindex(index=people, columns=ids).fillna("")
    wide.columns.name = None
    return wide.rename_axis("person")


def check_raci(
    decisions: Sequence[RaciDecision],
    *,
    people: Iterable[str] | None = None,
    max_assignments: int = 3,
) -> pd.DataFrame:
    """Check the RACI: one Accountable, at least one Responsible, nobody overloaded.

    Parameters
    ----------
    decisions : sequence of RaciDecision
        ``governance.decisions`` from engagement.yaml.
    people : iterable of str, optional
        Names in the stakeholders table; when given, every person in the RACI must be one.
    max_assignments : int, default 3
        Most decisions one person may be Responsible or Accountable for.

    Returns
    -------
    pandas.DataFrame
        Rows in the columns of :data:`CHECK_COLUMNS` with ``area`` ``raci``:
        ``one_accountable`` and ``has_responsible`` per decision (``subject`` the decision
        id, ``count`` the number of A or R), ``workload`` per person (``count`` the
        decisions where they are R or A, ``limit`` the maximum) and, with ``people``,
        ``person_known`` per person in the RACI.

    Raises
    ------
    ValueError
        If ``max_assignments`` is below 1.

    Notes
    -----
    RACI (Responsible, Accountable, Consulted, Informed) asks for exactly one Accountable
    per decision, so that one person can say yes or no, and at least one Responsible, so
    that somebody does the work. A person holding R and A on the same decision counts once
    towards the workload.

    References
    ----------
    .. [1] Project Management Institute (2021). A Guide to the Project Management Body of
       Knowledge (PMBOK Guide), 7th ed., "responsibility assignment matrix".

    Examples
    --------
    >>> from cxlib.config import RaciDecision
    >>> ds = [RaciDecision(id="fund", title="Fund", raci={"Ann": "A", "Bo": "A", "Cy": "R"})]
    >>> c = check_raci(ds)
    >>> c.loc[~c["passed"], ["check", "subject", "count"]].values.tolist()
    [['one_accountable', 'fund', 2]]
    """
    if isinstance(max_assignments, bool) or not isinstance(max_assignments, int):
        raise TypeError("max_assignments must be an integer")
    if max_assignments < 1:
        raise ValueError(f"max_assignments must be at least 1, found {max_assignments}")
    table = raci_table(decisions)
    ids = [d.id for d in decisions]
    n_a = table[table["role"] == "A"].groupby("decision_id").size().reindex(ids, fill_value=0)
    n_r = table[table["role"] == "R"].groupby("decision_id").size().reindex(ids, fill_value=0)
    rows: list[dict[str, Any]] = []
    for did in ids:
        rows.append(_row("raci", "one_accountable", did, n_a[did] == 1, int(n_a[did]), 1))
        rows.append(_row("raci", "has_responsible", did, n_r[did] >= 1, int(n_r[did]), 1))
    load = table[table["role"].isin(["R", "A"])].drop_duplicates(["person", "decision_id"])
    per_person = load.groupby("person", sort=False).size()
    for name in dict.fromkeys(table["person"]):
        n = int(per_person.get(name, 0))
        ok = n <= max_assignments
        rows.append(_row("raci", "workload", name, ok, n, max_assignments))
    if people is not None:
        known = {_norm(p) for p in people}
        for name in dict.fromkeys(table["person"]):
            rows.append(_row("raci", "person_known", name, _norm(name) in known))
    return _checks(rows)


def single_accountable(decisions: Sequence[RaciDecision], decision_id: str) -> str:
    """Return the one Accountable person for a decision (``""`` unless there is exactly one).

    Examples
    --------
    >>> from cxlib.config import RaciDecision
    >>> single_accountable([RaciDecision(id="f", title="F", raci={"Ann": "A"})], "f")
    'Ann'
    """
    table = raci_table(decisions)
    acc = table[(table["decision_id"] == decision_id) & (table["role"] == "A")]["person"]
    return str(acc.iloc[0]) if len(acc) == 1 else ""
