"""Step 5: governance structure, RACI, contact policy, roadmap, calendar and results.

Reference values are hand computations shown in each test, independent re-implementations
(plain Python loops over customers and brute force over every subset of initiatives) and
statsmodels' Wilson interval; the demo's planted contact-policy breach is read from
data/demo/truth/effects.yaml.
"""

import itertools
import json
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from statsmodels.stats.proportion import proportion_confint

from cxlib import (
    governance,
    governance_calendar,
    governance_contacts,
    governance_results,
    governance_roadmap,
    narrative_governance,
)
from cxlib.config import (
    ContactPolicy,
    EvidenceWeights,
    Governance,
    KpiTarget,
    RaciDecision,
    load_engagement,
)

DEMO = Path(__file__).resolve().parents[2] / "data" / "demo"


def people(**extra):
    rows = [
        ("Ann Lee", "CEO", "Board", "executive", "sponsor"),
        ("Bo Chan", "CFO", "Finance", "executive", "decision maker"),
        ("Cy Diaz", "COO", "Operations", "executive", ""),
        ("Di Eno", "Head of Digital", "Digital", "manager", ""),
        ("Ed Fox", "App owner", "Digital", "frontline", "CX champion"),
        ("Flo Gee", "Care manager", "Customer Care", "manager", ""),
        ("Gus Hu", "Billing clerk", "billing ", "frontline", ""),
        ("Hal Ito", "Retail exec", "Retail", "executive", ""),
    ]
    frame = pd.DataFrame(rows, columns=["person", "title", "department", "level", "cx_role"])
    return frame.assign(**extra)


OWNERS = pd.DataFrame(
    {
        "touchpoint_id": ["app", "web", "chat", "bill", "store", "coverage"],
        "owner": ["Digital", "digital", "Customer Care", "Billing", "Retail", "Network"],
        "stage": ["use", "use", "support", "use", "buy", "research"],
    }
)


def gov(**changes) -> Governance:
    return Governance.model_validate({"sponsor": "Ann Lee", **changes})


def failed(checks: pd.DataFrame) -> list[tuple[str, str]]:
    bad = checks[~checks["passed"]]
    return list(zip(bad["check"], bad["subject"], strict=True))


# --------------------------------------------------------------------------- config


def test_config_defaults_have_the_six_decisions_and_a_one_in_thirty_policy():
    g = Governance()
    assert [d.id for d in g.decisions] == [
        "approve_strategy",
        "fund_initiatives",
        "change_survey",
        "add_touchpoint",
        "act_on_detractors",
        "publish_kpis",
    ]
    assert all(d.raci == {} for d in g.decisions)
    assert (g.contact_policy.max_surveys, g.contact_policy.per_days) == (1, 30)
    assert g.contact_policy.quiet_days_after_complaint == 7
    assert g.budget is None and g.horizon_months == 12


def test_config_normalises_raci_cells_and_rejects_bad_ones():
    d = RaciDecision(id="x", title="X", raci={"Ann": "a, r", "Bo": " i ", "Cy": "C/A"})
    assert d.raci == {"Ann": "R/A", "Bo": "I", "Cy": "A/C"}
    with pytest.raises(ValidationError, match="R, A, C or I"):
        RaciDecision(id="x", title="X", raci={"Ann": "X"})
    with pytest.raises(ValidationError, match="R, A, C or I"):
        RaciDecision(id="x", title="X", raci={"Ann": "A/A"})
    with pytest.raises(ValidationError, match="unique"):
        Governance.model_validate({"decisions": [{"id": "a", "title": "A"}] * 2})
    with pytest.raises(ValidationError):
        Governance.model_validate({"contact_policy": {"max_surveys": 0}})


def test_every_governance_field_has_a_default_and_a_description():
    from cxlib.config import Committee, ContactPolicy, EvidenceWeights

    for model in (Governance, ContactPolicy, EvidenceWeights):
        for name, field in model.model_fields.items():
            assert not field.is_required(), f"{model.__name__}.{name} has no default"
            assert field.description, f"{model.__name__}.{name} has no description"
    assert Committee.model_fields["name"].description


# --------------------------------------------------------------------------- structure


def test_structure_auto_builds_both_bodies_and_checks_coverage():
    raci = [RaciDecision(id="fund", title="Fund", raci={"Cy Diaz": "A", "Di Eno": "R"})]
    s = governance.governance_structure(people(), settings=gov(decisions=raci), owners=OWNERS)
    steering = s.members[s.members["body"] == "steering"]
    # sponsor; Cy is an executive Accountable for a decision; Bo's cx_role is a decision maker.
    # Hal is an executive with no decision and no role: not on the steering group.
    assert list(zip(steering["person"], steering["basis"], strict=True)) == [
        ("Ann Lee", "sponsor"),
        ("Cy Diaz", "accountable"),
        ("Bo Chan", "decision_role"),
    ]
    team = s.members[s.members["body"] == "working_team"].set_index("represents")["person"]
    # Digital: the CX champion (Ed) beats the manager (Di); departments match ignoring case
    # and spaces ("billing " owns "Billing"); Network has nobody in the stakeholders table.
    assert team.to_dict() == {
        "Billing": "Gus Hu",
        "Customer Care": "Flo Gee",
        "Digital": "Ed Fox",
        "Retail": "Hal Ito",
    }
    assert failed(s.checks) == [("department_represented", "Network")]
    network = s.checks[s.checks["subject"] == "Network"].iloc[0]
    assert network["count"] == 1 and network["detail"] == ""
    digital = s.checks[s.checks["subject"] == "Digital"].iloc[0]
    assert digital["count"] == 2  # app and web
    assert s.passed is False
    assert s.bodies.set_index("body")["meetings_per_year"].to_dict() == {
        "steering": 4,
        "working_team": 12,
    }
    assert len(s.people) == 8


def test_named_working_team_missing_a_department_is_flagged_with_a_suggestion():
    settings = gov(working_team={"name": "Team", "members": ["Di Eno", "Flo Gee", "Nobody"]})
    s = governance.governance_structure(people(), settings=settings, owners=OWNERS[:4])
    assert failed(s.checks) == [
        ("member_known", "Nobody"),
        ("department_represented", "Billing"),
    ]
    billing = s.checks[s.checks["subject"] == "Billing"].iloc[0]
    assert billing["detail"] == "Gus Hu"
    team = s.members[s.members["body"] == "working_team"]
    assert sorted(team["person"]) == ["Di Eno", "Flo Gee"]


@pytest.mark.parametrize(
    ("sponsor", "expected"),
    [
        ("Ann Lee", []),
        ("ann  lee", []),  # case and spaces do not matter
        ("Di Eno", [("sponsor_executive", "Di Eno")]),
        ("Zed Who", [("sponsor_known", "Zed Who"), ("sponsor_executive", "Zed Who")]),
        ("", [("sponsor_named", "")]),
    ],
)
def test_sponsor_must_be_a_known_executive(sponsor, expected):
    s = governance.governance_structure(people(), settings=gov(sponsor=sponsor))
    assert failed(s.checks) == expected


def test_structure_without_stakeholders_fails_its_checks_instead_of_crashing():
    s = governance.governance_structure(None, settings=gov(), owners=OWNERS)
    assert s.members.empty
    assert ("sponsor_known", "Ann Lee") in failed(s.checks)
    assert (~s.checks[s.checks["check"] == "department_represented"]["passed"]).all()


def test_structure_rejects_a_table_without_the_columns():
    with pytest.raises(ValueError, match="department"):
        governance.governance_structure(pd.DataFrame({"person": ["A"]}), settings=gov())
    with pytest.raises(TypeError):
        governance.governance_structure([1, 2], settings=gov())


# --------------------------------------------------------------------------- RACI


def two_accountables():
    return [
        RaciDecision(id="approve", title="Approve", raci={"Ann Lee": "A", "Bo Chan": "R"}),
        RaciDecision(
            id="survey", title="Change a survey", raci={"Bo Chan": "A", "Cy Diaz": "A", "Di": "R"}
        ),
        RaciDecision(id="kpis", title="Publish KPIs", raci={"Cy Diaz": "C"}),
    ]


def test_raci_with_two_accountables_is_flagged():
    checks = governance.check_raci(two_accountables())
    one_a = checks[checks["check"] == "one_accountable"].set_index("subject")
    assert one_a["count"].to_dict() == {"approve": 1, "survey": 2, "kpis": 0}
    assert one_a["passed"].to_dict() == {"approve": True, "survey": False, "kpis": False}
    resp = checks[checks["check"] == "has_responsible"].set_index("subject")["passed"]
    assert resp.to_dict() == {"approve": True, "survey": True, "kpis": False}
    text = narrative_governance.raci_findings(checks, two_accountables())
    assert "**Change a survey** has 2 Accountables (Bo Chan and Cy Diaz); name one." in text
    assert "**Publish KPIs** has no Accountable" in text
    assert "**Publish KPIs** has nobody Responsible" in text
    assert text.startswith("2 of the 3 CX decisions need attention")


def test_workload_counts_decisions_where_a_person_is_r_or_a_once():
    ds = [
        RaciDecision(id=f"d{i}", title=f"D{i}", raci={"Ann": "A/R", "Bo": "R" if i < 2 else "C"})
        for i in range(4)
    ]
    # Ann holds A and R on four decisions: 4 decisions, not 8. Bo is R on two.
    checks = governance.check_raci(ds, max_assignments=3)
    load = checks[checks["check"] == "workload"].set_index("subject")
    assert load["count"].to_dict() == {"Ann": 4, "Bo": 2}
    assert load["passed"].to_dict() == {"Ann": False, "Bo": True}
    assert load["limit"].tolist() == [3, 3]
    assert governance.check_raci(ds, max_assignments=4)["passed"].all()
    with pytest.raises(ValueError):
        governance.check_raci(ds, max_assignments=0)
    with pytest.raises(TypeError):
        governance.check_raci(ds, max_assignments=2.5)


def test_raci_names_must_be_stakeholders_when_people_are_given():
    checks = governance.check_raci(two_accountables(), people=people()["person"])
    unknown = checks[(checks["check"] == "person_known") & ~checks["passed"]]["subject"]
    assert unknown.tolist() == ["Di"]


def test_raci_matrix_and_table():
    ds = two_accountables()
    matrix = governance.raci_matrix(ds)
    assert list(matrix.columns) == ["approve", "survey", "kpis"]
    assert matrix.loc["Cy Diaz"].tolist() == ["", "A", "C"]
    table = governance.raci_table([RaciDecision(id="x", title="X", raci={"Ann": "A/R"})])
    assert table[["person", "role"]].values.tolist() == [["Ann", "R"], ["Ann", "A"]]
    assert governance.single_accountable(ds, "approve") == "Ann Lee"
    assert governance.single_accountable(ds, "survey") == ""
    assert governance.raci_matrix([]).empty


# --------------------------------------------------------------------------- contacts


def log(rows):
    return pd.DataFrame(
        [(c, pd.Timestamp("2026-01-01") + pd.Timedelta(days=d), s) for c, d, s in rows],
        columns=["customer_id", "contacted_at", "survey"],
    )


def test_cap_compares_each_contact_with_the_one_k_earlier():
    contacts = log(
        [
            ("a", 0, "rel"),
            ("a", 29.9, "tx"),  # 29.9 days after: over a cap of 1 per 30 days
            ("a", 60, "tx"),  # 30.1 days after the previous one: fine
            ("b", 10, "rel"),
            ("b", 40, "tx"),  # exactly 30 days: fine (the window is shorter than 30 days)
            ("c", 5, "tx"),
        ]
    )
    one = governance_contacts.flag_contacts(contacts, policy=ContactPolicy())
    assert one[["customer_id", "over_cap"]].values.tolist() == [
        ["a", False],
        ["a", True],
        ["a", False],
        ["b", False],
        ["b", False],
        ["c", False],
    ]
    two = governance_contacts.flag_contacts(contacts, policy=ContactPolicy(max_surveys=2))
    assert not two["over_cap"].any()  # never three within 30 days
    three_in_a_month = log([("a", 0, "x"), ("a", 10, "x"), ("a", 20, "x")])
    two = governance_contacts.flag_contacts(three_in_a_month, policy=ContactPolicy(max_surveys=2))
    assert two["over_cap"].tolist() == [False, False, True]


def test_quiet_period_after_an_open_complaint():
    contacts = log([("a", 3, "tx"), ("a", 6, "tx"), ("b", 1, "tx"), ("b", 40, "x")])
    complaints = pd.DataFrame(
        {
            "customer_id": ["a", "b"],
            "complained_at": pd.to_datetime(["2026-01-01", "2026-01-03"]),
        }
    )
    flagged = governance_contacts.flag_contacts(
        contacts, policy=ContactPolicy(max_surveys=5), complaints=complaints
    )
    # a: 3 and 6 days after the complaint, both inside the 7-day quiet period;
    # b: one survey before the complaint, one 37 days after it: neither flagged.
    assert flagged["in_quiet_period"].tolist() == [True, True, False, False]
    flagged = governance_contacts.flag_contacts(
        contacts,
        policy=ContactPolicy(max_surveys=5, quiet_days_after_complaint=6),
        complaints=complaints,
    )
    assert flagged["in_quiet_period"].tolist() == [True, False, False, False]  # 6 is not < 6
    off = ContactPolicy(max_surveys=5, quiet_days_after_complaint=0)
    flagged = governance_contacts.flag_contacts(contacts, policy=off, complaints=complaints)
    assert not flagged["in_quiet_period"].any()


def test_complaint_source_is_open_support_events_and_absent_without_one():
    events = pd.DataFrame(
        {
            "customer_id": ["a", "a", "b", "c"],
            "touchpoint_id": ["chat", "chat", "app", "coverage"],
            "occurred_at": pd.to_datetime(
                ["2026-01-01", "2026-02-01", "2026-02-01", "2026-03-01"]
            ),
            "completed": [True, False, False, pd.NA],
        }
    )
    policy = ContactPolicy()  # complaint_stages: ["Support"], matched ignoring case
    found = governance_contacts.complaint_events(events, policy=policy, touchpoints=OWNERS)
    assert found[["customer_id", "touchpoint_id"]].values.tolist() == [["a", "chat"]]
    every = ContactPolicy(complaints_open_only=False, complaint_touchpoints=["coverage"])
    found = governance_contacts.complaint_events(events, policy=every, touchpoints=OWNERS)
    assert found["touchpoint_id"].tolist() == ["chat", "chat", "coverage"]
    none = ContactPolicy(complaint_stages=["Complaints"])
    assert governance_contacts.complaint_events(events, policy=none, touchpoints=OWNERS) is None
    assert governance_contacts.complaint_events(None, policy=policy, touchpoints=OWNERS) is None


def naive_flags(frame: pd.DataFrame, k: int, days: float) -> list[bool]:
    """Plain-Python reference: count earlier contacts of the customer inside the window."""
    out = []
    for _, group in frame.groupby("customer_id", sort=True):
        times = sorted(group["t"])
        for i, t in enumerate(times):
            inside = sum(1 for s in times[:i] if t - s < days)
            out.append(inside >= k)
    return out


def naive_keep(frame: pd.DataFrame, k: int, days: float) -> list[bool]:
    """Plain-Python reference of the greedy simulation, customer by customer."""
    out = []
    for _, group in frame.groupby("customer_id", sort=True):
        kept = []
        for t in sorted(group["t"]):
            ok = sum(1 for s in kept if t - s < days) < k
            kept += [t] if ok else []
            out.append(ok)
    return out


contact_logs = st.lists(
    st.tuples(st.sampled_from("abcde"), st.integers(0, 120)), min_size=1, max_size=40
)


@settings(max_examples=150, deadline=None)
@given(rows=contact_logs, k=st.integers(1, 3), days=st.sampled_from([1, 7, 30]))
def test_cap_flags_and_simulation_match_plain_loops(rows, k, days):
    frame = pd.DataFrame(rows, columns=["customer_id", "t"])
    frame["contacted_at"] = pd.Timestamp("2026-01-01") + pd.to_timedelta(frame["t"], unit="D")
    policy = ContactPolicy(max_surveys=k, per_days=days)
    flagged = governance_contacts.flag_contacts(frame, policy=policy)
    expected = frame.sort_values(["customer_id", "t"], kind="stable")
    assert flagged["over_cap"].tolist() == naive_flags(expected, k, days)
    keep = governance_contacts.contacts_under_policy(flagged, policy=policy)
    assert keep.tolist() == naive_keep(expected, k, days)
    # the kept contacts never break the cap themselves
    rerun = governance_contacts.flag_contacts(flagged[keep], policy=policy)
    assert not rerun["over_cap"].any()


def test_simulation_drops_quiet_period_contacts_before_applying_the_cap():
    contacts = log([("a", 0, "x"), ("a", 2, "x"), ("a", 31, "x"), ("a", 40, "x")])
    complaints = pd.DataFrame(
        {"customer_id": ["a"], "complained_at": [pd.Timestamp("2026-01-01")]}
    )
    policy = ContactPolicy()
    flagged = governance_contacts.flag_contacts(contacts, policy=policy, complaints=complaints)
    # day 0 and day 2 fall within 7 days of the complaint: dropped; day 31 kept; day 40 is
    # within 30 days of day 31: dropped.
    assert governance_contacts.contacts_under_policy(flagged, policy=policy).tolist() == [
        False,
        False,
        True,
        False,
    ]


def test_audit_summary_offenders_distribution_and_volume():
    rows = [("a", d, "rel") for d in (0, 5, 10)] + [("b", 0, "rel"), ("b", 50, "tx")]
    rows += [(c, 3, "tx") for c in "cdefgh"]
    contacts = log(rows).assign(team=["Mkt", "Mkt", "Mkt", "Care", "Care"] + ["Care"] * 6)
    audit = governance_contacts.audit_contacts(contacts, policy=ContactPolicy(), min_n=5)
    s = audit.summary.iloc[0]
    # 8 customers contacted, one (a) over the cap with two surveys over it.
    assert (s["n_contacts"], s["n_customers"], s["customers_over_cap"]) == (11, 8, 1)
    assert s["contacts_over_cap"] == 2 and s["contacts_under_policy"] == 9
    assert s["estimate"] == pytest.approx(1 / 8)
    low, high = proportion_confint(1, 8, alpha=0.05, method="wilson")
    assert (s["ci_low"], s["ci_high"]) == (pytest.approx(low), pytest.approx(high))
    assert s["reduction"] == pytest.approx(2 / 11)
    assert not audit.complaint_rule
    top = audit.offenders.iloc[0]
    assert (top["dimension"], top["value"], top["breaches"]) == ("team", "Mkt", 2)
    assert top["breach_share"] == pytest.approx(2 / 3)
    by_dim = audit.offenders.groupby("dimension")["n_contacts"].sum()
    assert by_dim.to_dict() == {"survey": 11, "team": 11}
    assert audit.distribution.values.tolist() == [[1, 6, 0], [2, 1, 0], [3, 1, 1]]
    assert audit.monthly.values.tolist() == [[pd.Timestamp("2026-01-01"), 10, 8],
                                             [pd.Timestamp("2026-02-01"), 1, 1]]  # fmt: skip
    assert governance_contacts.audit_contacts(None, policy=ContactPolicy()) is None


def test_contacts_with_missing_times_are_refused():
    contacts = log([("a", 0, "x")])
    contacts.loc[0, "contacted_at"] = pd.NaT
    with pytest.raises(ValueError, match="missing"):
        governance_contacts.flag_contacts(contacts, policy=ContactPolicy())


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    from cxlib import ingest

    out = tmp_path_factory.mktemp("demo") / "clean"
    ingest.ingest(DEMO, out)
    return out


def test_audit_finds_the_breach_planted_in_the_demo_contact_log(demo_run):
    truth = yaml.safe_load((DEMO / "truth" / "effects.yaml").read_text(encoding="utf-8"))
    planted = truth["contact_policy_breach"]["measured"]
    engagement = load_engagement(DEMO)
    policy = engagement.governance.contact_policy
    contacts = pd.read_parquet(demo_run / "contacts.parquet")
    events = pd.read_parquet(demo_run / "touchpoint_events.parquet")
    owners = governance.touchpoint_owners(engagement.journey)
    complaints = governance_contacts.complaint_events(events, policy=policy, touchpoints=owners)
    assert complaints is not None and len(complaints) > 0
    team = policy.breakdown[-1]
    assert team in contacts  # the demo counts breaches by its "Sending team" column
    audit = governance_contacts.audit_contacts(contacts, policy=policy, complaints=complaints)
    s = audit.summary.iloc[0]
    assert s["n_contacts"] == planted["rows"]
    assert s["customers_over_cap"] == planted["customers_with_gap_breach"]
    assert s["contacts_over_cap"] == sum(planted["gap_breaches_by_team"].values())
    assert s["contacts_in_quiet_period"] == sum(planted["quiet_period_breaches_by_team"].values())
    flagged = governance_contacts.flag_contacts(contacts, policy=policy, complaints=complaints)
    assert flagged.groupby(team)["over_cap"].sum().to_dict() == planted["gap_breaches_by_team"]
    worst = audit.offenders[audit.offenders["dimension"] == team].iloc[0]
    assert worst["value"] == truth["contact_policy_breach"]["team"]


def test_demo_raci_has_the_planted_double_accountable():
    truth = yaml.safe_load((DEMO / "truth" / "effects.yaml").read_text(encoding="utf-8"))
    config = load_engagement(DEMO).governance
    checks = governance.check_raci(config.decisions)
    bad = checks[(checks["check"] == "one_accountable") & ~checks["passed"]]
    assert bad["subject"].tolist() == [truth["raci_flaw"]["decision"]]
    table = governance.raci_table(config.decisions)
    accountable = table[(table["decision_id"] == "change_survey") & (table["role"] == "A")]
    assert sorted(accountable["person"]) == sorted(truth["raci_flaw"]["accountable"])


# --------------------------------------------------------------------------- roadmap


def test_evidence_shares_clip_negatives_and_sum_to_one():
    table = pd.DataFrame(
        {"key": ["a", "b", "a", "c"], "w": [2.0, 1.0, 1.0, -4.0], "small_n": [0, 1, 0, 0]}
    )
    ev = governance_roadmap.evidence_shares(table, key="key", weight="w")
    assert ev["key"].tolist() == ["a", "b", "c"]
    assert ev["share"].tolist() == pytest.approx([0.75, 0.25, 0.0])
    assert ev["small_n"].tolist() == [False, True, False]


def initiatives():
    return pd.DataFrame(
        {
            "initiative_id": ["I1", "I2", "I3", "I4", "I5"],
            "title": ["Chat bot", "Bill", "Store", "Old", "Coverage"],
            "touchpoint_id": ["chat", "bill", "store", "chat", ""],
            "driver": [None, None, None, None, "coverage"],
            "status": ["proposed", "approved", "proposed", "Implemented", "proposed"],
            "impact": [5, 4, 1, 5, 2],
            "effort": [2.0, 4.0, 1.0, 1.0, 5.0],
            "cost": [50.0, 100.0, 10.0, 10.0, 300.0],
            "owner": ["Flo Gee", "Stranger", "", "", ""],
        }
    )


def test_impact_is_the_weighted_share_of_evidence_addressed():
    pain = governance_roadmap.evidence_shares(
        pd.DataFrame({"tp": ["chat", "bill", "web"], "p": [6.0, 3.0, 1.0]}), key="tp", weight="p"
    )
    drivers = governance_roadmap.evidence_shares(
        pd.DataFrame({"a": ["billing", "coverage"], "i": [0.3, 0.1], "small_n": [False, True]}),
        key="a",
        weight="i",
    )
    scored = governance_roadmap.score_initiatives(
        initiatives(),
        pain=pain,
        drivers=drivers,
        weights=EvidenceWeights(pain=0.5, drivers=0.3, themes=0.2),
        links={"bill": ["billing"]},
    ).set_index("initiative_id")
    assert "I4" not in scored.index  # implemented: not a candidate
    # themes are unavailable, so the weights are 0.5 and 0.3 out of 0.8:
    # I1: pain 0.6, driver 0        -> (0.5*0.6)/0.8          = 0.375
    # I2: pain 0.3, driver 0.75     -> (0.5*0.3 + 0.3*0.75)/0.8 = 0.46875
    # I3: nothing                   -> 0
    # I5: driver "coverage" 0.25    -> (0.3*0.25)/0.8         = 0.09375
    assert scored["impact"].to_dict() == pytest.approx(
        {"I1": 0.375, "I2": 0.46875, "I3": 0.0, "I5": 0.09375}
    )
    assert scored["theme_share"].isna().all()
    assert scored.loc["I5", "small_n"] and not scored.loc["I2", "small_n"]
    assert (scored["basis"] == "evidence").all()
    # priority = impact / effort: I1 0.1875, I2 0.1172, I5 0.01875, I3 0
    assert scored.sort_values("rank").index.tolist() == ["I1", "I2", "I5", "I3"]
    # medians: impact 0.234, effort 3 -> I1 quick win, I2 major project, I5 thankless, I3 fill-in
    assert scored["quadrant"].to_dict() == {
        "I1": "Quick win",
        "I2": "Major project",
        "I3": "Fill-in",
        "I5": "Thankless task",
    }


def test_without_evidence_the_typed_in_impact_is_used_and_said_so():
    scored = governance_roadmap.score_initiatives(initiatives()).set_index("initiative_id")
    assert (scored["basis"] == "estimate").all()
    assert scored["impact"].to_dict() == pytest.approx(
        {"I1": 5 / 12, "I2": 4 / 12, "I3": 1 / 12, "I5": 2 / 12}
    )
    text = narrative_governance.evidence_note(
        governance_roadmap.collect_evidence(), {"pain_points.parquet": False}
    )
    assert "No evidence is available yet" in text and "`pain_points.parquet`" in text


def test_collect_evidence_reads_steps_3_and_4_results_and_json_fallbacks():
    pain = pd.DataFrame({"touchpoint_id": ["chat", "bill"], "estimate": [3.0, 1.0]})
    themes = pd.DataFrame(
        {"theme": ["Billing", "Praise"], "share": [0.2, 0.3], "estimate": [-40.0, 25.0]}
    )
    ev = governance_roadmap.collect_evidence(pain, None, themes)
    assert ev["pain"]["share"].tolist() == pytest.approx([0.25, 0.75])  # bill, chat
    assert ev["themes"].set_index("key")["share"].to_dict() == pytest.approx(
        {"Billing": 1.0, "Praise": 0.0}
    )
    assert ev["drivers"] is None
    voc = {"drivers": {"importance": [{"attribute": "x", "importance": 0.2}]}}
    journey = {"top_pain_points": [{"touchpoint_id": "chat", "estimate": 2.0}]}
    ev = governance_roadmap.collect_evidence(journey=journey, voc=voc)
    assert ev["drivers"]["key"].tolist() == ["x"] and ev["pain"]["key"].tolist() == ["chat"]
    tags = pd.DataFrame({"theme": ["A", "A", "B"], "negated": [False, True, False]})
    assert governance_roadmap.collect_evidence(themes=tags)["themes"]["share"].tolist() == [
        0.5,
        0.5,
    ]


def brute_force(values, costs, budget):
    best = 0.0
    for r in range(len(values) + 1):
        for subset in itertools.combinations(range(len(values)), r):
            if sum(costs[i] for i in subset) <= budget:
                best = max(best, sum(max(values[i], 0) for i in subset))
    return best


items = st.lists(st.tuples(st.integers(0, 100), st.integers(0, 60)), min_size=0, max_size=10).map(
    lambda rows: pd.DataFrame(rows, columns=["impact", "cost"], dtype=float)
)


@settings(max_examples=200, deadline=None)
@given(data=items, budget=st.integers(0, 150), method=st.sampled_from(["dp", "milp", "auto"]))
def test_budget_selection_is_optimal_against_brute_force(data, budget, method):
    chosen = governance_roadmap.select_within_budget(data, budget=budget, method=method)
    assert chosen.index.equals(data.index)
    assert data.loc[chosen, "cost"].sum() <= budget
    best = brute_force(data["impact"].tolist(), data["cost"].tolist(), budget)
    assert data.loc[chosen, "impact"].sum() == pytest.approx(best, abs=1e-9)


@settings(max_examples=60, deadline=None)
@given(
    values=st.lists(st.floats(0, 1), min_size=1, max_size=9),
    seed=st.integers(0, 2**16),
    share=st.floats(0, 1),
)
def test_budget_selection_with_fractional_costs(values, seed, share):
    rng = np.random.default_rng(seed)
    costs = rng.uniform(1, 100, len(values)).round(3)  # not whole cents: solved by milp
    data = pd.DataFrame({"impact": values, "cost": costs})
    budget = float(costs.sum() * share)
    # HiGHS holds constraints to 1e-7: keep the budget clear of every subset's cost
    sums = [sum(c) for r in range(len(costs) + 1) for c in itertools.combinations(costs, r)]
    assume(min(abs(x - budget) for x in sums) > 1e-6)
    chosen = governance_roadmap.select_within_budget(data, budget=budget)
    assert data.loc[chosen, "cost"].sum() <= budget * (1 + 1e-9)
    best = brute_force(values, costs.tolist(), budget)
    assert data.loc[chosen, "impact"].sum() == pytest.approx(best, abs=1e-7)


def test_exact_selection_beats_ranking_by_value_for_money():
    # Greedy by impact per cost takes A (0.5/51) first and then nothing fits: 0.5.
    # The best use of 100 is B + C: 0.8.
    data = pd.DataFrame({"impact": [0.5, 0.4, 0.4], "cost": [51.0, 50.0, 50.0]})
    assert governance_roadmap.select_within_budget(data, budget=100).tolist() == [
        False,
        True,
        True,
    ]
    with pytest.raises(ValueError, match="non-negative"):
        governance_roadmap.select_within_budget(data, budget=-1)
    with pytest.raises(ValueError, match="method"):
        governance_roadmap.select_within_budget(data, budget=1, method="greedy")
    fine = data.assign(cost=[51.001, 50.0, 50.0])
    with pytest.raises(ValueError, match="dp"):
        governance_roadmap.select_within_budget(fine, budget=100, method="dp")


def test_roadmap_funds_within_budget_and_names_owners():
    settings_ = gov(
        budget=160,
        decisions=[RaciDecision(id="fund_initiatives", title="Fund", raci={"Bo Chan": "A"})],
    )
    structure = governance.governance_structure(people(), settings=settings_, owners=OWNERS)
    pain = pd.DataFrame({"touchpoint_id": ["chat", "bill", "store"], "estimate": [5.0, 4.0, 1]})
    ev = governance_roadmap.collect_evidence(pain)
    rm = governance_roadmap.build_roadmap(
        initiatives(),
        evidence=ev,
        settings=settings_,
        members=structure.members,
        owners=OWNERS,
        people=structure.people,
    ).set_index("initiative_id")
    # costs I1 50, I2 100, I3 10, I5 300 with impacts 0.5, 0.4, 0.1, 0: within 160 the best is
    # I1 + I2 + I3 (160, impact 1.0).
    assert rm["funded"].to_dict() == {"I1": True, "I2": True, "I3": True, "I5": False}
    # I1's owner is a stakeholder; I2's owner is not, so the Billing representative; I3 has no
    # owner: Retail's representative. The funding decision's single A is accountable.
    assert rm["responsible"].to_dict() == {"I1": "Flo Gee", "I2": "Gus Hu", "I3": "Hal Ito",
                                           "I5": ""}  # fmt: skip
    assert set(rm["accountable"]) == {"Bo Chan"}
    totals = governance_results.roadmap_summary(rm.reset_index(), budget=160)
    assert (totals["n_funded"], totals["spent"], totals["remaining"]) == (3, 160.0, 0.0)
    assert totals["impact_share"] == pytest.approx(1.0)
    assert totals["n_unlinked"] == 1
    no_budget = governance_roadmap.build_roadmap(
        initiatives(), evidence=ev, settings=gov(), members=structure.members, owners=OWNERS
    )
    assert not no_budget["funded"].any()
    assert (
        governance_roadmap.build_roadmap(
            None, evidence=ev, settings=gov(), members=structure.members, owners=OWNERS
        )
        is None
    )


def test_negative_costs_are_refused():
    bad = initiatives().assign(cost=[-1.0, 1, 1, 1, 1])
    with pytest.raises(ValueError, match="negative"):
        governance_roadmap.score_initiatives(bad)


# --------------------------------------------------------------------------- calendar


def test_calendar_counts_and_dates():
    g = gov(
        steering={"name": "Steering", "cadence": "half-yearly"},
        working_team={"name": "Team", "cadence": "fortnightly"},
        remeasure_every_months=4,
    )
    cal = governance_calendar.cadence_calendar(g, start=date(2027, 1, 1))
    steering = cal[cal["track"] == "steering"]["date"].dt.date.tolist()
    assert steering == [date(2027, 1, 1), date(2027, 7, 1)]
    team = cal[cal["track"] == "working_team"]["date"]
    assert len(team) == 27  # every 14 days in 365 days: days 0, 14, ..., 364
    assert team.iloc[-1] == pd.Timestamp("2027-12-31")
    waves = cal[cal["kind"] == "wave"]["date"].dt.date.tolist()
    assert waves == [date(2027, 5, 1), date(2027, 9, 1)]
    reviews = cal[cal["kind"] == "review"]["event"].tolist()
    assert reviews == [
        "Wave 1 results review; KPIs published",
        "Wave 2 results review; KPIs published",
        "Governance review: RACI, contact policy, roadmap",
    ]
    assert cal["date"].is_monotonic_increasing


def test_calendar_keeps_the_rhythm_of_the_last_wave():
    g = gov(remeasure_every_months=6)
    cal = governance_calendar.cadence_calendar(
        g, start=date(2026, 11, 1), last_wave=pd.Timestamp("2026-08-04 10:00")
    )
    assert cal[cal["kind"] == "wave"]["date"].dt.date.tolist() == [
        date(2027, 2, 4),
        date(2027, 8, 4),
    ]
    responses = pd.DataFrame(
        {
            "wave": ["2026Q1", "2026Q1", "2026Q3"],
            "responded_at": pd.to_datetime(["2026-02-02", "2026-03-01", "2026-08-04"]),
        }
    )
    assert governance_calendar.last_wave_start(responses) == pd.Timestamp("2026-08-04")
    assert governance_calendar.last_wave_start(responses.drop(columns="wave")) is None


def test_plan_start():
    dates = pd.Series([pd.Timestamp("2026-09-30 17:00"), pd.Timestamp("2026-03-01")])
    assert governance_calendar.plan_start(gov(), dates) == date(2026, 10, 1)
    assert governance_calendar.plan_start(gov(start_date="2027-02-15")) == date(2027, 2, 15)
    with pytest.raises(ValueError, match="start_date"):
        governance_calendar.plan_start(gov())


# --------------------------------------------------------------------------- results


def test_results_file_is_plain_json_with_a_headline():
    g = gov(
        budget=160,
        decisions=two_accountables(),
        contact_policy={"max_surveys": 1, "per_days": 30},
    )
    structure = governance.governance_structure(people(), settings=g, owners=OWNERS)
    raci = governance.check_raci(g.decisions, people=structure.people)
    audit = governance_contacts.audit_contacts(
        log([("a", 0, "x"), ("a", 1, "x"), ("b", 0, "x")]), policy=g.contact_policy
    )
    rm = governance_roadmap.build_roadmap(
        initiatives(),
        evidence=governance_roadmap.collect_evidence(),
        settings=g,
        members=structure.members,
        owners=OWNERS,
        people=structure.people,
    )
    totals = governance_results.roadmap_summary(rm, budget=g.budget)
    head = narrative_governance.headline(g, raci, audit, totals)
    # 1 of 2 customers over the cap; Wilson 95% interval 9.5% to 90.5%.
    low, high = proportion_confint(1, 2, method="wilson")
    assert head.startswith(
        f"50.0% of surveyed customers (95% CI {low * 100:.1f}% to {high * 100:.1f}%, n = 2)"
    )
    assert "2 of 3 CX decisions have a RACI problem" in head
    cal = governance_calendar.cadence_calendar(g, start=date(2027, 1, 1))
    kpis = governance_results.kpi_owners([KpiTarget(kpi="nps", target=20)], g.decisions)
    out = governance_results.step_results(
        structure,
        raci=raci,
        matrix=governance.raci_matrix(g.decisions),
        audit=audit,
        roadmap=rm,
        roadmap_totals=totals,
        calendar=cal,
        sources={"voc.json": False},
        kpis=kpis,
        headline=head,
    )
    text = json.dumps(out, allow_nan=False)
    back = json.loads(text)
    assert back["headline"] == head
    assert back["violations"] == int((~raci["passed"]).sum() + (~structure.checks["passed"]).sum())
    assert back["contacts"]["summary"]["customers_over_cap"] == 1
    assert back["raci"]["matrix"]["Bo Chan"] == {"approve": "R", "survey": "A", "kpis": ""}
    assert back["kpi_owners"] == [{"kpi": "nps", "owner": "", "source": ""}]
    frame = governance_results.roadmap_frame(rm)
    assert list(frame.columns) == list(governance_results.ROADMAP_COLUMNS)
    assert list(governance_results.roadmap_frame(None).columns) == list(frame.columns)


def test_kpi_owners_fall_back_to_the_raci_publisher():
    ds = [RaciDecision(id="publish_kpis", title="Publish", raci={"Ann": "A"})]
    targets = [KpiTarget(kpi="nps", target=20), KpiTarget(kpi="ces", target=5, owner="Bo")]
    assert governance_results.kpi_owners(targets, ds) == [
        {"kpi": "nps", "owner": "Ann", "source": "raci"},
        {"kpi": "ces", "owner": "Bo", "source": "target"},
    ]


# --------------------------------------------------------------------------- narrative


def test_client_text_is_escaped_in_sentences():
    evil = people().assign(person=["<b>Ann</b>", *people()["person"][1:]])
    struct = governance.governance_structure(
        evil, settings=gov(sponsor="<b>Ann</b>"), owners=OWNERS.assign(owner="R&D *x*")
    )
    text = narrative_governance.structure(struct)
    assert "<b>" not in text and "&lt;b&gt;Ann&lt;/b&gt;" in text
    assert "R&amp;D \\*x\\*" in text
    ds = [RaciDecision(id="x", title="[click](http://x)", raci={"<i>Bo</i>": "A", "Cy": "A"})]
    findings = narrative_governance.raci_findings(governance.check_raci(ds), ds)
    assert "<i>" not in findings and "\\[click\\]\\(http://x\\)" in findings


def test_contact_narrative_states_the_share_interval_and_worst_offender():
    contacts = log([("a", 0, "x"), ("a", 3, "x"), ("b", 0, "x"), ("c", 0, "x")])
    audit = governance_contacts.audit_contacts(
        contacts.assign(team=["M", "M", "C", "C"]), policy=ContactPolicy()
    )
    text = narrative_governance.contact_audit(audit)
    low, high = proportion_confint(1, 3, method="wilson")
    assert f"**33.3%** of customers (1; 95% CI {low:.1%} to {high:.1%})" in text
    assert "The quiet period after complaints is not checked" in text
    # team M breached 1 of 2 (50%), survey x 1 of 4 (25%): the team is named first
    assert "team **M**: 1 of its 2 surveys (50.0%)" in text
    assert "would have sent 3 surveys instead of 4 (25.0% fewer)" in text
    assert "no survey contact log" in narrative_governance.contact_audit(None)
    complaints = pd.DataFrame(
        {"customer_id": ["z"], "complained_at": [pd.Timestamp("2026-01-01")]}
    )
    audit = governance_contacts.audit_contacts(
        contacts, policy=ContactPolicy(), complaints=complaints
    )
    text = narrative_governance.contact_audit(audit)
    assert "No survey went to a customer within 7 days of an open complaint." in text


def test_evidence_note_names_what_scored_the_initiatives():
    drivers = pd.DataFrame({"attribute": ["a"], "importance": [1.0]})
    themes = pd.DataFrame({"theme": ["t"], "n_mentions": [3]})
    evidence = governance_roadmap.collect_evidence(None, drivers, themes)
    text = narrative_governance.evidence_note(
        evidence, {"pain_points.parquet": False, "drivers.parquet": True}
    )
    assert text == (
        "Initiatives are scored from key-driver importance from the voice-of-the-customer "
        "analysis and comment themes from the voice-of-the-customer analysis. "
        "Not found: `pain_points.parquet`."
    )


def test_structure_sentences_count_members_and_departments_in_the_right_number():
    def text(members: list[str], owners: pd.DataFrame) -> list[str]:
        team = {"name": "Team", "members": members}
        struct = governance.governance_structure(
            people(), settings=gov(working_team=team), owners=owners
        )
        return narrative_governance.structure(struct).split("\n")

    one = text(["Gus Hu"], OWNERS[3:4])  # Billing only, and its clerk is on the team
    assert one[1] == "- **Team** meets every month (12 times a year) with 1 member. "
    assert one[-1] == "The one department that owns touchpoints has a seat on the working team."
    several = text(["Gus Hu", "Flo Gee"], OWNERS[2:4])
    assert several[1] == "- **Team** meets every month (12 times a year) with 2 members. "
    assert several[-1] == "All 2 departments that own touchpoints have a seat on the working team."
    missing_one = text(["Di Eno"], OWNERS[3:4])
    assert missing_one[-3:] == [
        "The one department that owns touchpoints has **no seat** on the working team:",
        "",
        "- **Billing** owns 1 touchpoint; Gus Hu could represent it.",
    ]
    missing_two = text(["Di Eno"], OWNERS[:4])
    assert missing_two[-4] == (
        "2 of the 3 departments that own touchpoints have **no seat** on the working team:"
    )


def test_raci_sentences_for_one_decision_and_for_several():
    fine = [RaciDecision(id="s", title="S", raci={"Ann": "A/R"})]
    two_fine = [*fine, RaciDecision(id="k", title="K", raci={"Bo": "A/R"})]
    no_r = [RaciDecision(id="s", title="S", raci={"Ann": "A"})]
    rest = (
        " exactly one Accountable and at least one Responsible, and nobody carries more than "
        "the agreed number of decisions."
    )

    def findings(ds):
        return narrative_governance.raci_findings(governance.check_raci(ds), ds)

    def head(ds):
        return narrative_governance.headline(
            gov(decisions=ds), governance.check_raci(ds), None, None
        )

    assert findings(fine) == "The one CX decision has" + rest
    assert findings(two_fine) == "All 2 CX decisions have" + rest
    assert findings(no_r) == (
        "The CX decision needs attention:\n\n- **S** has nobody Responsible for doing it."
    )
    assert findings([*no_r, two_fine[1]]).startswith("1 of the 2 CX decisions needs attention:")
    assert (
        head(fine)
        == "Governance: the one CX decision has no RACI problem; no contact log to audit."
    )
    assert (
        head(no_r)
        == "Governance: the one CX decision has a RACI problem; no contact log to audit."
    )
    assert head([*no_r, two_fine[1]]) == (
        "Governance: 1 of 2 CX decisions has a RACI problem; no contact log to audit."
    )


def test_contact_narrative_with_a_one_day_policy_and_a_single_survey_source():
    contacts = log([("a", 0, "x"), ("a", 0.5, "x")]).assign(team=["M", "C"])
    complaints = pd.DataFrame(
        {"customer_id": ["z"], "complained_at": [pd.Timestamp("2026-01-01")]}
    )
    policy = ContactPolicy(per_days=1, quiet_days_after_complaint=1)
    audit = governance_contacts.audit_contacts(contacts, policy=policy, complaints=complaints)
    low, high = proportion_confint(1, 1, method="wilson")
    assert narrative_governance.contact_audit(audit) == (
        "The policy allows **at most 1 survey per customer in any 1 day**. In the log "
        "(2 surveys to 1 customer, 1 Jan 2026 to 1 Jan 2026), **100.0%** of customers "
        f"(1; 95% CI {low:.1%} to {high:.1%}) received more than that, through 1 survey over "
        "the cap. No survey went to a customer within 1 day of an open complaint."
        "\n\nThe largest source of breaches is team **C**: its one survey broke the policy."
        "\n\nKeeping to the policy would have sent 1 survey instead of 2 (50.0% fewer)."
    )


def _totals(**changes) -> dict:
    base = {"budget": 100.0, "n_candidates": 3, "n_funded": 2, "spent": 80.0}
    base |= {"remaining": 20.0, "impact_share": 0.75, "basis": "evidence", "n_unlinked": 0}
    return {**base, **changes}


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {},
            "Within the budget of **100**, the best combination funds **2 of 3 open "
            "initiatives** for 80, leaving 20. Together they address 75.0% of the measured "
            "problem that the open initiatives could address.",
        ),
        (
            {"n_candidates": 1, "n_funded": 1, "n_unlinked": 1},
            "Within the budget of **100**, **the one open initiative** is funded for 80, "
            "leaving 20. It addresses 75.0% of the measured problem that the open initiatives "
            "could address. 1 initiative addresses no measured pain point, driver or theme: "
            "link it to one in the initiatives table or evidence_links, or question its case.",
        ),
        (
            {"n_candidates": 1, "n_funded": 0, "spent": 0.0, "remaining": 100.0,
             "impact_share": None},
            "Within the budget of **100**, **the one open initiative** is not funded, leaving "
            "100.",
        ),
        (
            {"n_unlinked": 2, "impact_share": None},
            "Within the budget of **100**, the best combination funds **2 of 3 open "
            "initiatives** for 80, leaving 20. 2 initiatives address no measured pain point, "
            "driver or theme: link them to one in the initiatives table or evidence_links, or "
            "question their case.",
        ),
        (
            {"budget": None, "n_candidates": 1},
            "1 open initiative is ranked above. No budget is set (governance.budget in "
            "engagement.yaml), so none is selected for funding.",
        ),
        (
            {"budget": None},
            "3 open initiatives are ranked above. No budget is set (governance.budget in "
            "engagement.yaml), so none is selected for funding.",
        ),
    ],
)  # fmt: skip
def test_roadmap_sentences_for_one_initiative_and_for_several(changes, expected):
    assert narrative_governance.roadmap(pd.DataFrame(), _totals(**changes)) == expected
