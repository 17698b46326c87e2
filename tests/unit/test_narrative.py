"""Sentences from results: numbers formatted once, client text escaped."""

import pandas as pd

from cxlib import mission, narrative


def test_goal_performance_sentence_states_ci_n_and_gap():
    perf = mission.GoalPerformance(
        "renew", 5000, 3977, 0.7954, 0.7841, 0.8063, 0.85, -0.0546, 0.95, False
    )
    text = narrative.goal_performance(perf)
    assert "**79.5%** of customers renew" in text
    assert "95% CI 78.4% to 80.6%; n = 5,000" in text
    assert "5.5% points below the target of 85.0%" in text
    assert "Small base" not in text


def test_small_base_is_said_in_words():
    perf = mission.GoalPerformance("renew", 12, 9, 0.75, 0.47, 0.91, 0.8, -0.05, 0.95, True)
    assert "Small base" in narrative.goal_performance(perf)


def test_client_text_is_escaped_in_markdown(make_strategy):
    s = make_strategy(vision="<script>alert(1)</script> [click](javascript:alert(1))")
    text = narrative.statements(s)
    assert "<script>" not in text
    assert "&lt;script&gt;" in text
    assert "](javascript" not in text


def test_goal_checks_sentence(make_strategy):
    text = narrative.goal_checks(mission.check_goals(make_strategy()))
    assert text.startswith("1 of 2 goals need attention")
    assert "no operational measure" in text
    all_ok = pd.DataFrame(
        {"goal_id": ["a"], "goal": ["A"], "check": ["x"], "passed": [True], "message": [""]}
    )
    assert narrative.goal_checks(all_ok).startswith("All 1 goals")


def test_goal_checks_sentence_without_goals(make_strategy):
    text = narrative.goal_checks(mission.check_goals(make_strategy(goals=[])))
    assert text.startswith("No CX goals are set out yet")
    assert "All 0" not in text
