"""Sentences from results: numbers formatted once, client text escaped."""

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


ALL_GOOD = (
    "exactly one accountable leader, a customer-feedback measure and an operational measure, "
    "and {verb} a business objective."
)
ATTENTION = (
    " attention before the strategy is signed off:\n\n"
    "- **Bills without surprises**: no operational measure."
)


def _goal_checks(make_strategy, *goals: dict) -> str:
    return narrative.goal_checks(mission.check_goals(make_strategy(goals=list(goals))))


def _good_and_bad_goal(make_strategy) -> tuple[dict, dict]:
    """The fixture strategy's passing goal, and its billing goal failing only one check."""
    good, bill = (g.model_dump(exclude_unset=True) for g in make_strategy().goals)
    return good, {**bill, "accountable": ["Lee Park"]}  # no operational measure is left


def test_goal_checks_sentence(make_strategy):
    text = narrative.goal_checks(mission.check_goals(make_strategy()))
    assert text.startswith("1 of 2 goals needs attention")
    assert "no operational measure" in text


def test_goal_checks_sentences_for_one_goal_and_for_several(make_strategy):
    good, bad = _good_and_bad_goal(make_strategy)
    other = {**good, "id": "nps", "title": "Promoters"}
    other_bad = {**bad, "id": "roam", "title": "Roaming"}
    assert _goal_checks(make_strategy, good) == "The one goal has " + ALL_GOOD.format(
        verb="serves"
    )
    assert _goal_checks(make_strategy, good, other) == "All 2 goals have " + (
        ALL_GOOD.format(verb="serve")
    )
    assert _goal_checks(make_strategy, bad) == "The goal needs" + ATTENTION
    assert _goal_checks(make_strategy, good, bad) == "1 of 2 goals needs" + ATTENTION
    assert _goal_checks(make_strategy, bad, other_bad, good) == (
        "2 of 3 goals need" + ATTENTION + "\n- **Roaming**: no operational measure."
    )


def test_count_with_its_noun():
    assert [narrative._n(n, "goal") for n in (0, 1, 2, 1500)] == [
        "0 goals",
        "1 goal",
        "2 goals",
        "1,500 goals",
    ]
    assert narrative._n(1, "person", "people") == "1 person"
    assert narrative._n(3, "person", "people") == "3 people"


def test_goal_checks_sentence_without_goals(make_strategy):
    text = narrative.goal_checks(mission.check_goals(make_strategy(goals=[])))
    assert text.startswith("No CX goals are set out yet")
    assert "All 0" not in text
