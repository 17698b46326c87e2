"""Step-1 charts, checked on the Axes' content."""

import numpy as np
import pandas as pd
import pytest

from cxlib import mission, plots_mission


def test_alignment_matrix_marks_exactly_the_aligned_cells(make_strategy):
    matrix = mission.alignment_matrix(make_strategy())
    ax = plots_mission.alignment_matrix(matrix)
    image = ax.get_images()[0].get_array()
    np.testing.assert_array_equal(np.asarray(image), matrix.to_numpy(dtype=float))
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    assert ticks == ["Retain customers", "Cut cost to serve", "Grow revenue"]
    texts = [t.get_text() for t in ax.texts]
    assert texts.count("✓") == int(matrix.to_numpy().sum()) == 3
    assert texts.count("no CX goal") == 1  # Grow revenue
    assert ax.get_title() and ax.get_xlabel() == "Business objective"


def test_goal_performance_bar_error_bar_and_target(make_strategy):
    customers = pd.DataFrame({"churned": [False] * 81 + [True] * 182})
    perf = mission.goal_performance(customers, make_strategy().cx_goal)
    ax = plots_mission.goal_performance(perf)
    (bar,) = ax.patches
    assert bar.get_width() == pytest.approx(100 * 81 / 263)
    assert bar.get_hatch() is None
    segments = ax.collections[0].get_segments()[0]
    assert segments[0][0] == pytest.approx(100 * perf.ci_low)
    assert segments[1][0] == pytest.approx(100 * perf.ci_high)
    target = [line for line in ax.get_lines() if line.get_linestyle() == "--"][0]
    assert target.get_xdata()[0] == pytest.approx(85)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any("n = 263" in label for label in labels)


def test_small_base_is_hatched(make_strategy):
    perf = mission.goal_performance(
        pd.DataFrame({"churned": [False] * 5}), make_strategy().cx_goal
    )
    (bar,) = plots_mission.goal_performance(perf).patches
    assert bar.get_hatch() == "//"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"goals": []}, "No CX goals\nset out"),
        ({"goals": [], "business_objectives": []}, "No CX goals and no business objectives"),
    ],
)
def test_alignment_matrix_without_goals_is_an_empty_chart_that_says_so(
    make_strategy, changes, message
):
    matrix = mission.alignment_matrix(make_strategy(**changes))
    ax = plots_mission.alignment_matrix(matrix)
    assert len(ax.get_images()) == 0
    (text,) = [t.get_text() for t in ax.texts]
    assert text.startswith(message)
    assert ax.get_title() and ax.get_xlabel() == "Business objective"


def test_alignment_matrix_of_goals_without_objectives_says_so(make_strategy):
    goal = {"id": "fcr", "title": "Fix it", "accountable": "Dana Ortiz"}
    matrix = mission.alignment_matrix(make_strategy(goals=[goal], business_objectives=[]))
    assert matrix.shape == (1, 0)
    ax = plots_mission.alignment_matrix(matrix)
    assert [t.get_text() for t in ax.texts] == [
        "No business objectives\nset out yet in engagement.yaml"
    ]


def test_goal_performance_without_data_draws_no_bar(make_strategy):
    empty = pd.DataFrame({"churned": pd.Series([], dtype=bool)})
    perf = mission.goal_performance(empty, make_strategy().cx_goal)
    assert perf.n == 0
    ax = plots_mission.goal_performance(perf)
    assert len(ax.patches) == 0
    assert [t.get_text() for t in ax.texts] == ["No data yet (n = 0)"]
    target = [line for line in ax.get_lines() if line.get_linestyle() == "--"][0]
    assert target.get_xdata()[0] == pytest.approx(85)
