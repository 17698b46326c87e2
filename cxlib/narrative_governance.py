"""Sentences and client tables of the governance step, written from its results.

Presentation layer: the only place (with :mod:`cxlib.plots_governance`) where the step's
numbers are rounded and formatted. Every piece of client text (names, titles, departments,
initiative titles) passes through :func:`cxlib.report.escape` before it enters Markdown;
the headline is plain text for the executive index, which escapes it itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from cxlib.config import Governance, RaciDecision
from cxlib.governance import GovernanceStructure, raci_table
from cxlib.narrative import _n, pct
from cxlib.report import escape

__all__ = [
    "calendar_table",
    "contact_audit",
    "evidence_note",
    "headline",
    "members_table",
    "money",
    "offenders_table",
    "raci_findings",
    "roadmap",
    "roadmap_table",
    "structure",
]

_CADENCE_WORDS = {
    "weekly": "every week",
    "fortnightly": "every two weeks",
    "monthly": "every month",
    "bimonthly": "every two months",
    "quarterly": "every quarter",
    "half-yearly": "every six months",
}
_ROADMAP_COLUMNS = (
    "Rank",
    "ID",
    "Initiative",
    "Impact",
    "Effort",
    "Cost",
    "Quadrant",
    "Funded",
    "Responsible",
    "Accountable",
)
_SOURCE_WORDS = {
    "pain": "pain points from the journey audit",
    "drivers": "key-driver importance from the voice-of-the-customer analysis",
    "themes": "comment themes from the voice-of-the-customer analysis",
}


def _e(text: object) -> str:
    return escape("" if text is None or text is pd.NA else str(text))


def money(value: float | None) -> str:
    """Format an amount in the budget's units, without decimals.

    Examples
    --------
    >>> money(731000.0)
    '731,000'
    """
    return "n/a" if value is None or pd.isna(value) else f"{value:,.0f}"


def _day(value: Any) -> str:
    stamp = pd.Timestamp(value)
    return f"{stamp.day} {stamp:%b %Y}"


def _names(names: Sequence[str]) -> str:
    names = [_e(n) for n in names]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


# --------------------------------------------------------------------------- structure


def structure(struct: GovernanceStructure) -> str:
    """Describe the two bodies and the structure checks.

    Examples
    --------
    >>> import pandas as pd
    >>> from cxlib.config import Governance
    >>> from cxlib.governance import governance_structure
    >>> people = pd.DataFrame({"person": ["Ann"], "title": ["CEO"], "department": ["Board"],
    ...     "level": ["executive"], "cx_role": ["sponsor"]})
    >>> text = structure(governance_structure(people, settings=Governance(sponsor="Ann")))
    >>> "sponsor, Ann, is an executive" in text
    True
    """
    lines = []
    for body in struct.bodies.itertuples():
        members = struct.members[struct.members["body"] == body.body]
        lines.append(
            f"- **{_e(body.name)}** meets {_CADENCE_WORDS[body.cadence]} "
            f"({body.meetings_per_year} times a year) with {_n(len(members), 'member')}. "
            f"{_e(body.remit)}"
        )
    checks = struct.checks
    sponsor = checks[checks["check"].str.startswith("sponsor")]
    text = "\n".join(lines) + "\n\n"
    if sponsor["passed"].all() and len(sponsor) == 3:
        name = sponsor["subject"].iloc[0]
        text += (
            f"The sponsor, {_e(name)}, is an executive, so the programme has a voice at the top."
        )
    elif not (checks["check"] == "sponsor_named").any() or not sponsor["passed"].iloc[0]:
        text += "**No sponsor is named.** Name an executive sponsor under governance.sponsor."
    elif not sponsor.loc[sponsor["check"] == "sponsor_known", "passed"].all():
        text += (
            f"**The sponsor, {_e(sponsor['subject'].iloc[0])}, is not in the stakeholders list.**"
        )
    else:
        text += (
            f"**The sponsor, {_e(sponsor['subject'].iloc[0])}, is not an executive.** A CX "
            "programme needs an executive sponsor to settle conflicts between departments."
        )
    return text + "\n\n" + _coverage(checks)


def _coverage(checks: pd.DataFrame) -> str:
    depts = checks[checks["check"] == "department_represented"]
    unknown = checks[(checks["check"] == "member_known") & ~checks["passed"]]
    parts = []
    if depts.empty:
        parts.append("No touchpoint owners are set in the journey, so coverage is not checked.")
    elif depts["passed"].all():
        every = (
            "The one department that owns touchpoints has"
            if len(depts) == 1
            else f"All {len(depts):,} departments that own touchpoints have"
        )
        parts.append(f"{every} a seat on the working team.")
    else:
        missing = depts[~depts["passed"]]
        lines = []
        for r in missing.itertuples():
            hint = f"; {_e(r.detail)} could represent it" if r.detail else ""
            lines.append(f"- **{_e(r.subject)}** owns {_n(int(r.count), 'touchpoint')}{hint}.")
        if len(depts) == 1:
            which = "The one department that owns touchpoints has"
        else:
            verb = "has" if len(missing) == 1 else "have"
            which = f"{len(missing)} of the {len(depts):,} departments that own touchpoints {verb}"
        parts.append(f"{which} **no seat** on the working team:\n\n" + "\n".join(lines))
    if not unknown.empty:
        parts.append(
            f"Not found in the stakeholders list: {_names(list(unknown['subject']))}. "
            "Check the spelling in engagement.yaml."
        )
    return "\n\n".join(parts)


def members_table(struct: GovernanceStructure) -> pd.DataFrame:
    """Return the members as the client reads them: body, person, title, department, seat."""
    names = dict(zip(struct.bodies["body"], struct.bodies["name"], strict=True))
    basis = {
        "sponsor": "Sponsor",
        "accountable": "Accountable for a CX decision",
        "decision_role": "Decision maker",
        "named": "Member",
        "represents": "Department representative",
    }
    m = struct.members
    return pd.DataFrame(
        {
            "Body": m["body"].map(names),
            "Person": m["person"],
            "Title": m["title"],
            "Department": m["department"],
            "Seat": m["basis"].map(basis),
            "Represents": m["represents"],
        }
    ).reset_index(drop=True)


# --------------------------------------------------------------------------- RACI


def raci_findings(checks: pd.DataFrame, decisions: Sequence[RaciDecision]) -> str:
    """List the RACI violations in words, naming the people involved.

    Examples
    --------
    >>> from cxlib.config import RaciDecision
    >>> from cxlib.governance import check_raci
    >>> ds = [RaciDecision(id="s", title="Change a survey", raci={"Ann": "A", "Bo": "A/R"}),
    ...       RaciDecision(id="k", title="Publish KPIs", raci={"Ann": "A/R"})]
    >>> print(raci_findings(check_raci(ds), ds))
    1 of the 2 CX decisions needs attention:
    <BLANKLINE>
    - **Change a survey** has 2 Accountables (Ann and Bo); name one.
    """
    titles = {d.id: d.title for d in decisions}
    table = raci_table(decisions)
    failed = checks[~checks["passed"]]
    lines = []
    for r in failed.itertuples():
        who = table[(table["decision_id"] == r.subject) & (table["role"] == "A")]["person"]
        if r.check == "one_accountable" and r.count == 0:
            lines.append(f"- **{_e(titles[r.subject])}** has no Accountable; name one person.")
        elif r.check == "one_accountable":
            lines.append(
                f"- **{_e(titles[r.subject])}** has {int(r.count)} Accountables "
                f"({_names(list(who))}); name one."
            )
        elif r.check == "has_responsible":
            lines.append(f"- **{_e(titles[r.subject])}** has nobody Responsible for doing it.")
        elif r.check == "workload":
            lines.append(
                f"- **{_e(r.subject)}** is Responsible or Accountable for {int(r.count)} "
                f"decisions, more than the limit of {int(r.limit)}."
            )
        elif r.check == "person_known":
            lines.append(f"- **{_e(r.subject)}** is not in the stakeholders list.")
    if not lines:
        every = (
            "The one CX decision has"
            if len(decisions) == 1
            else f"All {len(decisions):,} CX decisions have"
        )
        return (
            f"{every} exactly one Accountable and at least one Responsible, and nobody carries "
            "more than the agreed number of decisions."
        )
    per_decision = failed["check"].isin(["one_accountable", "has_responsible"])
    n_bad = failed.loc[per_decision, "subject"].nunique()
    n_people = failed.loc[~per_decision, "subject"].nunique()
    parts = []
    if n_bad and len(decisions) == 1:
        parts.append("The CX decision needs attention")
    elif n_bad:
        verb = "needs" if n_bad == 1 else "need"
        parts.append(f"{n_bad} of the {len(decisions):,} CX decisions {verb} attention")
    if n_people:
        verb = "needs" if n_people == 1 else "need"
        parts.append(f"{_n(n_people, 'person', 'people')} {verb} attention")
    return " and ".join(parts) + ":\n\n" + "\n".join(lines)


# --------------------------------------------------------------------------- contacts


def contact_audit(audit: Any | None) -> str:
    """Say how often customers were over-surveyed, by whom, and what the policy would send.

    Examples
    --------
    >>> contact_audit(None)
    'There is no survey contact log in this engagement, so the policy is not audited.'
    """
    if audit is None:
        return "There is no survey contact log in this engagement, so the policy is not audited."
    s = audit.summary.iloc[0]
    p = audit.policy
    level = int(round(audit.confidence * 100))
    text = (
        f"The policy allows **at most {_n(p.max_surveys, 'survey')} per customer in any "
        f"{_n(p.per_days, 'day')}**. In the log ({_n(int(s['n_contacts']), 'survey')} to "
        f"{_n(int(s['n_customers']), 'customer')}, {_day(s['period_start'])} to "
        f"{_day(s['period_end'])}), **{pct(s['estimate'])}** of customers "
        f"({s['customers_over_cap']:,}; {level}% CI {pct(s['ci_low'])} to {pct(s['ci_high'])}) "
        f"received more than that, through {_n(int(s['contacts_over_cap']), 'survey')} over "
        "the cap."
    )
    if audit.complaint_rule and s["contacts_in_quiet_period"] == 0:
        text += (
            f" No survey went to a customer within {_n(p.quiet_days_after_complaint, 'day')} of "
            "an open complaint."
        )
    elif audit.complaint_rule:
        text += (
            f" {_n(int(s['contacts_in_quiet_period']), 'survey')} went to "
            f"{_n(int(s['customers_in_quiet_period']), 'customer')} within "
            f"{_n(p.quiet_days_after_complaint, 'day')} of an open complaint."
        )
    elif p.quiet_days_after_complaint > 0:
        text += (
            " The quiet period after complaints is not checked: there is no complaint source "
            "(no support-stage touchpoint events)."
        )
    worst = audit.offenders[audit.offenders["breaches"] > 0]
    if not worst.empty:
        top = worst.iloc[0]
        breaches = (
            "its one survey"
            if int(top["n_contacts"]) == 1
            else f"{int(top['breaches']):,} of its {int(top['n_contacts']):,} surveys "
            f"({pct(top['breach_share'])})"
        )
        text += (
            f"\n\nThe largest source of breaches is {_e(top['dimension'])} "
            f"**{_e(top['value'])}**: {breaches} broke the policy."
        )
    text += (
        f"\n\nKeeping to the policy would have sent "
        f"{_n(int(s['contacts_under_policy']), 'survey')} instead of {s['n_contacts']:,} "
        f"({pct(s['reduction'])} fewer)."
    )
    return text


def offenders_table(audit: Any | None) -> pd.DataFrame:
    """Breaches by survey and team, worst first, with client-facing column names."""
    columns = ["Breakdown", "Value", "Surveys", "Over the cap", "In quiet period", "Breach rate"]
    if audit is None or audit.offenders.empty:
        return pd.DataFrame(columns=columns)
    o = audit.offenders
    return pd.DataFrame(
        {
            "Breakdown": o["dimension"].str.capitalize(),
            "Value": o["value"],
            "Surveys": o["n_contacts"].astype("int64"),
            "Over the cap": o["over_cap"].astype("int64"),
            "In quiet period": o["in_quiet_period"].astype("int64"),
            "Breach rate": o["breach_share"].astype(float),
        }
    )


# --------------------------------------------------------------------------- roadmap


def evidence_note(evidence: Mapping[str, Any], sources: Mapping[str, bool]) -> str:
    """Say which evidence scored the initiatives and which earlier steps are missing.

    Examples
    --------
    >>> import pandas as pd
    >>> ev = {"pain": pd.DataFrame({"key": ["chat"], "share": [1.0]})}
    >>> evidence_note(ev, {"pain_points.parquet": True, "voc.json": False})
    'Initiatives are scored from pain points from the journey audit. Not found: `voc.json`.'
    """
    used = [_SOURCE_WORDS[k] for k in ("pain", "drivers", "themes") if evidence.get(k) is not None]
    missing = [name for name, found in sources.items() if not found]
    if used:
        listed = used[0] if len(used) == 1 else ", ".join(used[:-1]) + " and " + used[-1]
        text = "Initiatives are scored from " + listed + "."
    else:
        text = (
            "**No evidence is available yet**: the journey audit and the voice-of-the-customer "
            "analysis have not run, so initiatives are ranked on the impact typed into the "
            "initiatives table. Treat this ranking as provisional."
        )
    if missing:  # the kit's own file names: no client text to escape
        text += " Not found: " + ", ".join(f"`{m}`" for m in missing) + "."
    return text


def roadmap(table: pd.DataFrame | None, totals: Mapping[str, Any] | None) -> str:
    """Describe the funded roadmap: how many, what it costs, how much evidence it covers.

    Examples
    --------
    >>> roadmap(None, None)
    'There is no initiatives table in this engagement, so there is no roadmap.'
    """
    if table is None or totals is None:
        return "There is no initiatives table in this engagement, so there is no roadmap."
    if totals["budget"] is None:
        ranked = "is ranked" if totals["n_candidates"] == 1 else "are ranked"
        return (
            f"{_n(totals['n_candidates'], 'open initiative')} {ranked} above. No budget is set "
            "(governance.budget in engagement.yaml), so none is selected for funding."
        )
    if totals["n_candidates"] == 1:
        funded = (
            f"is funded for {money(totals['spent'])}" if totals["n_funded"] else "is not funded"
        )
        text = (
            f"Within the budget of **{money(totals['budget'])}**, **the one open initiative** "
            f"{funded}, leaving {money(totals['remaining'])}."
        )
    else:
        text = (
            f"Within the budget of **{money(totals['budget'])}**, the best combination funds "
            f"**{totals['n_funded']} of {totals['n_candidates']:,} open initiatives** for "
            f"{money(totals['spent'])}, leaving {money(totals['remaining'])}."
        )
    if totals["impact_share"] is not None and totals["basis"] == "evidence":
        together = "It addresses" if totals["n_funded"] == 1 else "Together they address"
        text += (
            f" {together} {pct(totals['impact_share'])} of the measured problem that the open "
            "initiatives could address."
        )
    if totals["n_unlinked"]:
        one = totals["n_unlinked"] == 1
        text += (
            f" {_n(totals['n_unlinked'], 'initiative')} {'addresses' if one else 'address'} no "
            f"measured pain point, driver or theme: link {'it' if one else 'them'} to one in "
            "the initiatives table or evidence_links, or question "
            f"{'its' if one else 'their'} case."
        )
    return text


def roadmap_table(table: pd.DataFrame | None, *, funded_only: bool = False) -> pd.DataFrame:
    """Return the roadmap for the client: rank, initiative, impact, effort, cost, owners."""
    columns = list(_ROADMAP_COLUMNS)
    if table is None or table.empty:
        return pd.DataFrame(columns=columns)
    t = table[table["funded"]] if funded_only else table
    out = pd.DataFrame(
        {
            "Rank": t["rank"].astype("int64"),
            "ID": t["initiative_id"],
            "Initiative": t["title"] if "title" in t else "",
            "Impact": t["impact"].astype(float),
            "Effort": t["effort"].astype(float),
            "Cost": t["cost"].astype(float).round(0).astype("Int64"),
            "Quadrant": t["quadrant"],
            "Funded": t["funded"].astype(bool),
            "Responsible": t["responsible"],
            "Accountable": t["accountable"],
        }
    )
    if "small_n" in t:
        out["small_n"] = t["small_n"].astype(bool).to_numpy()
    return out.reset_index(drop=True)


def calendar_table(calendar: pd.DataFrame) -> pd.DataFrame:
    """Return the calendar for the client: date, what happens, who holds it."""
    return pd.DataFrame(
        {
            "Date": pd.to_datetime(calendar["date"]).dt.strftime("%d %b %Y"),
            "Event": calendar["event"],
            "Held by": calendar["body"],
        }
    )


# --------------------------------------------------------------------------- headline


def headline(
    settings: Governance,
    raci: pd.DataFrame,
    audit: Any | None,
    totals: Mapping[str, Any] | None,
) -> str:
    """One plain-text sentence for the executive index, with the key number and its CI.

    Examples
    --------
    >>> from cxlib.config import Governance
    >>> from cxlib.governance import check_raci
    >>> g = Governance()
    >>> headline(g, check_raci(g.decisions), None, None)
    'Governance: 6 of 6 CX decisions have a RACI problem; no contact log to audit.'
    """
    decisions = raci[raci["check"].isin(["one_accountable", "has_responsible"])]
    n_bad = decisions.loc[~decisions["passed"], "subject"].nunique()
    if len(settings.decisions) == 1:
        parts = [f"the one CX decision has {'a' if n_bad else 'no'} RACI problem"]
    else:
        verb = "has" if n_bad == 1 else "have"
        parts = [f"{n_bad} of {len(settings.decisions):,} CX decisions {verb} a RACI problem"]
    if audit is None:
        parts.append("no contact log to audit")
    else:
        s = audit.summary.iloc[0]
        level = int(round(audit.confidence * 100))
        parts.insert(
            0,
            f"{pct(s['estimate'])} of surveyed customers ({level}% CI {pct(s['ci_low'])} to "
            f"{pct(s['ci_high'])}, n = {s['n']:,}) got more surveys than the policy allows",
        )
    if totals is not None and totals["budget"] is not None:
        parts.append(
            f"the funded roadmap holds {_n(totals['n_funded'], 'initiative')} costing "
            f"{money(totals['spent'])} of a {money(totals['budget'])} budget"
        )
    text = "; ".join(parts) + "."
    return text if audit is not None else "Governance: " + text
