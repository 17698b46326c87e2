"""Step 1: statements, checks, alignment and the CX goal measured in data."""

import numpy as np
import pandas as pd
import pytest

from cxlib import mission


def test_statements_are_composed_from_inputs(make_strategy):
    s = make_strategy()
    assert mission.mission_statement(s.mission) == (
        "Our CX mission is to keep families connected for households in the north by "
        "resolving faults within one working day."
    )
    assert mission.success_statement(s.success) == (
        "We will know we have succeeded when customers renew their contract, as measured by "
        "the renewal rate, reaching 85% by the end of 2027."
    )


def test_concrete_statements_raise_no_flags(make_strategy):
    assert mission.check_statements(make_strategy()).empty


def test_wishes_are_flagged(make_strategy):
    s = make_strategy(
        vision="Be the world-class, best telco that will exceed customer expectations.",
        success={
            "customer_action": "customers are delighted",
            "measure": "delight",
            "target": "a great deal more",
            "by": "soon",
        },
    )
    found = mission.check_statements(s)
    checks = set(zip(found["statement"], found["check"], strict=True))
    assert ("vision", "vague_superlative") in checks
    assert ("vision", "exceed_expectations") in checks
    assert ("success", "no_measurable_outcome") in checks
    vague = found.query("statement == 'vision' and check == 'vague_superlative'")["found"].item()
    assert vague == "best, world-class"


def test_goal_checks_flag_two_accountables_and_missing_measure(make_strategy):
    checks = mission.check_goals(make_strategy())
    failed = checks[~checks["passed"]]
    assert set(zip(failed["goal_id"], failed["check"], strict=True)) == {
        ("bill", "one_accountable"),
        ("bill", "operational_measure"),
    }
    message = failed.query("check == 'one_accountable'")["message"].item()
    assert "2 accountable leaders (Lee Park, Sam Roy)" in message
    assert checks.query("goal_id == 'fcr'")["passed"].all()


def test_alignment_matrix_marks_goal_objective_pairs(make_strategy):
    matrix = mission.alignment_matrix(make_strategy())
    assert matrix.shape == (2, 3)
    assert matrix.loc["Fix it first time"].tolist() == [True, True, False]
    assert matrix.loc["Bills without surprises"].tolist() == [True, False, False]
    # No goal serves "Grow revenue": a gap the page points out.
    assert not matrix["Grow revenue"].any()


def test_goal_performance_matches_newcombe_wilson_reference(make_strategy):
    # Newcombe (1998), Statistics in Medicine 17:857-872, Table I: 81/263 -> Wilson
    # 95% interval 0.2553 to 0.3662.
    churned = np.r_[np.zeros(81, bool), np.ones(182, bool)]
    customers = pd.DataFrame({"churned": churned})
    perf = mission.goal_performance(customers, make_strategy().cx_goal)
    assert (perf.n, perf.achieved) == (263, 81)
    assert perf.estimate == pytest.approx(81 / 263)
    assert perf.ci_low == pytest.approx(0.2553, abs=5e-5)
    assert perf.ci_high == pytest.approx(0.3662, abs=5e-5)
    assert perf.gap == pytest.approx(81 / 263 - 0.85)
    assert not perf.small_n


def test_goal_performance_ignores_missing_and_flags_small_base(make_strategy):
    customers = pd.DataFrame({"churned": [False, True, None, False] + [None] * 10})
    perf = mission.goal_performance(customers, make_strategy().cx_goal)
    assert perf.n == 3 and perf.achieved == 2
    assert perf.small_n


def test_goal_performance_unknown_column(make_strategy):
    with pytest.raises(KeyError, match="churned"):
        mission.goal_performance(pd.DataFrame({"x": [1]}), make_strategy().cx_goal)


def test_strategy_results_are_json_ready(make_strategy):
    import json

    s = make_strategy()
    perf = mission.goal_performance(pd.DataFrame({"churned": [False] * 40}), s.cx_goal)
    out = mission.strategy_results(s, mission.check_statements(s), mission.check_goals(s), perf)
    text = json.dumps(out)
    assert out["cx_goal"]["estimate"] == 1.0
    assert [g["check"] for g in out["goal_findings"]] == ["one_accountable", "operational_measure"]
    assert "renew" in text


def _passing_goal():
    return {
        "id": "fcr",
        "title": "Fix it first time",
        "leader": "COO",
        "accountable": "Dana Ortiz",
        "customer_measure": "CES after support",
        "operational_measure": "first-contact resolution",
        "objectives": ["retain"],
    }


def test_check_goals_without_goals_is_an_empty_frame_with_its_columns(make_strategy):
    checks = mission.check_goals(make_strategy(goals=[]))
    assert checks.empty
    assert list(checks.columns) == ["goal_id", "goal", "check", "passed", "message"]
    assert checks["passed"].dtype == bool


def test_strategy_results_without_goals_has_empty_goal_lists(make_strategy):
    import json

    s = make_strategy(goals=[])
    perf = mission.goal_performance(pd.DataFrame({"churned": [False] * 40}), s.cx_goal)
    out = mission.strategy_results(s, mission.check_statements(s), mission.check_goals(s), perf)
    assert out["goals"] == []
    assert out["goal_findings"] == []
    assert out["cx_goal"]["n"] == 40
    json.dumps(out)


def test_strategy_results_when_every_goal_passes(make_strategy):
    s = make_strategy(goals=[_passing_goal()])
    out = mission.strategy_results(s, mission.check_statements(s), mission.check_goals(s), None)
    assert [g["goal_id"] for g in out["goals"]] == ["fcr"]
    assert out["goal_findings"] == []
    assert out["cx_goal"] is None


def test_strategy_results_accepts_an_empty_frame_without_columns(make_strategy):
    s = make_strategy(goals=[])
    out = mission.strategy_results(s, mission.check_statements(s), pd.DataFrame(), None)
    assert out["goal_findings"] == []
