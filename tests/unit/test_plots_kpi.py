"""Charts of steps 6-7 (cxlib.plots_kpi), tested on their content, not pixels."""

from __future__ import annotations

import matplotlib.colors as mcolors
import numpy as np
import pandas as pd
import pytest

from cxlib import kpi, kpi_tree, plots, plots_kpi, remeasure
from cxlib.config import Branding

BRAND = Branding(client_name="Acme", primary_color="#7A1F5C", secondary_color="#F2A900")


@pytest.fixture(autouse=True)
def _theme():
    import matplotlib as mpl

    with plots.theme(BRAND):
        yield mpl


def _tree() -> pd.DataFrame:
    rows = [
        kpi.kpi_row(kpi="nps", label="NPS", level="cx", metric="nps", n=500,
                    estimate=10.0, ci_low=5.0, ci_high=15.0, small_n=False),
        kpi.kpi_row(kpi="nps:join", label="NPS: join", level="cx", metric="nps",
                    stage="join", n=12, estimate=-5.0, ci_low=-40.0, ci_high=30.0),
        kpi.kpi_row(kpi="churn", label="Churn", level="business", metric="share", n=400,
                    estimate=0.15, ci_low=0.12, ci_high=0.19, small_n=False),
    ]  # fmt: skip
    return kpi_tree.kpi_tree(kpi.kpi_frame(rows), goal="Customers <stay>")


def test_kpi_tree_draws_every_node_with_value_ci_and_n():
    ax = plots_kpi.kpi_tree(_tree())
    texts = {t.get_text() for t in ax.texts}
    assert "Customers <stay>" in texts
    assert "NPS\n10.0 [5.0–15.0] n=500" in texts
    assert "join\n-5.0 [-40.0–30.0] n=12" in texts
    assert "Churn\n15.0% [12.0%–19.0%] n=400" in texts
    assert len(ax.texts) == 6  # goal, two branches, three KPIs
    hatched = [t for t in ax.texts if t.get_bbox_patch().get_hatch()]
    assert [t.get_text().split("\n")[0] for t in hatched] == ["join"]  # the small base
    goal = next(t for t in ax.texts if t.get_text() == "Customers <stay>")
    edge = mcolors.to_hex(goal.get_bbox_patch().get_edgecolor())
    assert edge.upper() == plots.brand_palette(BRAND)[0]
    assert ax.get_title(loc="left").startswith("KPI tree")
    assert any("small base" in t.get_text() for t in ax.get_legend().get_texts())


def _churn() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "nps_group": ["detractor", "passive", "promoter", "all"],
            "n": [100, 0, 20, 120],
            "churned": [30.0, 0.0, 2.0, 32.0],
            "estimate": [0.3, np.nan, 0.1, 32 / 120],
            "ci_low": [0.22, np.nan, 0.03, 0.2],
            "ci_high": [0.4, np.nan, 0.3, 0.35],
            "small_n": [False, True, True, False],
        }
    )


def test_churn_by_group_bars_error_bars_and_bases():
    ax = plots_kpi.churn_by_group(_churn())
    heights = [p.get_height() for p in ax.patches]
    assert heights == pytest.approx([30.0, 10.0, 32 / 120 * 100])  # empty group left out
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels == ["Detractors\nn=100", "Promoters\nn=20", "All\nn=120"]
    segments = ax.collections[0].get_segments()
    ends = [y for s in segments for y in (s[0][1], s[1][1])]
    assert ends == pytest.approx([22.0, 40.0, 3.0, 30.0, 20.0, 35.0])
    assert ax.patches[1].get_hatch() == "///" and not ax.patches[0].get_hatch()
    assert mcolors.to_hex(ax.patches[0].get_facecolor()).upper() == "#7A1F5C"
    assert ax.get_ylabel() == "Churn rate (%)"
    empty = plots_kpi.churn_by_group(None)
    assert "No churn data" in empty.texts[0].get_text()


def test_health_kpis_one_panel_each_with_target():
    rows = [
        kpi.kpi_row(kpi="goal_performance", label="Goal performance: customers who stay",
                    metric="share", unit="share", n=500, estimate=0.85, ci_low=0.82,
                    ci_high=0.88, small_n=False),
        kpi.kpi_row(kpi="innovation_rate", label="Rate of innovation (ideas per month)",
                    metric="rate", unit="ideas per month", n=4, estimate=1.3, ci_low=0.4,
                    ci_high=3.4),
    ]  # fmt: skip
    frame = kpi.kpi_frame(rows).assign(target=[0.9, np.nan])
    fig = plots_kpi.health_kpis(frame)
    titles = [ax.get_title(loc="left") for ax in fig.axes]
    assert titles == ["Goal performance", "Rate of innovation"]
    goal = fig.axes[0]
    assert goal.lines[0].get_ydata()[0] == pytest.approx(85.0)
    assert any(np.allclose(line.get_ydata(), 90.0) for line in goal.lines)  # target line
    assert [t.get_text() for t in fig.axes[1].get_xticklabels()] == ["n=4 (small)"]


def _card() -> pd.DataFrame:
    base = kpi.kpi_frame(
        [
            kpi.kpi_row(kpi="a", label="Alpha", metric="share", unit="share", n=400,
                        n_eff=400.0, estimate=0.5, count=200.0, small_n=False),
            kpi.kpi_row(kpi="m", label="Effort", metric="mean", unit="mean score", n=300,
                        n_eff=300.0, estimate=4.0, sd=1.2, small_n=False),
            kpi.kpi_row(kpi="t", label="Time", metric="mean", unit="seconds", n=300,
                        n_eff=300.0, estimate=400.0, sd=100.0, small_n=False),
        ]
    )  # fmt: skip
    cur = base.assign(estimate=[0.6, 4.05, 380.0], count=[240.0, np.nan, np.nan])
    return remeasure.scorecard(base, cur)


def test_scorecard_forest_points_are_the_changes_in_their_units():
    card = _card()
    fig = plots_kpi.scorecard(card)
    share, effort, seconds = fig.axes  # one panel per unit, seconds apart from scale points
    assert share.get_xlabel() == "Change (percentage points)"
    assert seconds.get_xlabel() == "Change (seconds)"
    point = [line for line in share.lines if line.get_marker() == "o"][0]
    assert point.get_xdata()[0] == pytest.approx(10.0)
    assert mcolors.to_hex(point.get_color()) == plots_kpi.RAG_COLOURS["green"].lower()
    ci = share.lines[0]
    row = card.set_index("kpi").loc["a"]
    assert list(ci.get_xdata()) == pytest.approx([row["ci_low"] * 100, row["ci_high"] * 100])
    assert [t.get_text() for t in effort.get_yticklabels()] == ["Effort (n=300)"]
    assert fig._suptitle.get_text().startswith("Change since the baseline")


def test_movers_chart_uses_change_colours():
    moves = pd.DataFrame(
        {
            "source": "survey",
            "segment": ["region", "region"],
            "level": ["S", "N"],
            "metric": ["csat", "nps"],
            "n": [300, 300],
            "estimate": [0.2, -3.0],
            "ci_low": [0.1, -9.0],
            "ci_high": [0.3, 3.0],
            "change": ["improved", "no significant change"],
            "small_n": [False, True],
        }
    )
    fig = plots_kpi.movers(moves)
    labels = [t.get_text() for ax in fig.axes for t in ax.get_yticklabels()]
    assert labels == ["region: N · NPS (n=300)", "region: S · CSAT (n=300)"]
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "no significant change" in legend


def test_control_charts_limits_and_special_causes():
    charts = pd.DataFrame(
        {
            "chart": ["csat"] * 3,
            "label": ["CSAT top-2 box"] * 3,
            "wave": ["W1", "W2", "W3"],
            "n": [100, 120, 110],
            "estimate": [0.5, 0.55, 0.8],
            "centre": [0.6] * 3,
            "lcl": [0.45, 0.46, 0.455],
            "ucl": [0.75, 0.74, 0.745],
            "laney": [False] * 3,
            "special_cause": [False, False, True],
            "small_n": [False] * 3,
        }
    )
    fig = plots_kpi.control_charts(charts)
    (ax,) = fig.axes
    ucl = ax.lines[0]
    assert list(ucl.get_ydata()) == pytest.approx([75.0, 74.0, 74.5])
    red = [line for line in ax.lines if line.get_label() == "special cause"][0]
    assert list(red.get_xdata()) == [2] and list(red.get_ydata()) == pytest.approx([80.0])
    assert [t.get_text() for t in ax.get_xticklabels()] == ["W1\nn=100", "W2\nn=120", "W3\nn=110"]
    assert ax.get_ylabel() == "% top-2 box"


def test_multi_panel_figures_are_not_left_open_in_pyplot():
    import matplotlib.pyplot as plt

    before = len(plt.get_fignums())
    plots_kpi.scorecard(_card())
    assert len(plt.get_fignums()) == before
