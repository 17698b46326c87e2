"""Charts of step 3 tested on their content: bar sizes, error bars, cells, labels and colours."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex

from cxlib import journey, journey_pain, plots, plots_journey
from cxlib.config import Branding, Journey

BRAND = Branding(client_name="Acme", primary_color="#7A1F5C")
PLAN = Journey(
    stages=["buy", "help"],
    touchpoints=[
        {"id": "shop", "name": "Shop", "stage": "buy", "channel": "store", "owner": "Retail"},
        {"id": "web", "name": "Web", "stage": "buy", "channel": "web", "owner": "Digital"},
        {"id": "chat", "name": "Chat", "stage": "help", "channel": "chat", "owner": "Care"},
        {"id": "phone", "name": "Phone", "stage": "help", "channel": "phone", "owner": "Care"},
    ],
)


def events(seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    parts = []
    for tp, mean, n in (
        ("shop", 4.3, 60),
        ("web", 3.9, 80),
        ("chat", 2.6, 90),
        ("phone", 3.7, 12),
    ):
        parts.append(
            pd.DataFrame(
                {
                    "customer_id": rng.integers(0, 200, n),
                    "touchpoint_id": tp,
                    "csat": np.clip(np.rint(rng.normal(mean, 1, n)), 1, 5),
                    "completed": rng.random(n) < 0.9,
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


@pytest.fixture
def card():
    return journey.touchpoint_scorecard(
        events(), PLAN, customers=pd.DataFrame({"customer_id": range(200)})
    )


def test_journey_map_places_each_touchpoint_and_colours_by_score(card):
    cells = journey.journey_map(card)
    ax = plots_journey.journey_map(cells)
    rects = ax.patches
    assert len(rects) == 4
    xy = [(r.get_x(), r.get_y()) for r in rects]
    assert xy == [(0.05, 0.05), (0.05, 1.05), (1.05, 2.05), (1.05, 3.05)]
    # greener for the better touchpoint: the green channel rises with the score
    greens = [r.get_facecolor()[1] for r in rects]
    order = np.argsort(cells["estimate"].to_numpy())
    assert greens[order[0]] < greens[order[-1]]
    assert rects[3].get_hatch() == "///"  # phone has 12 ratings
    texts = [t.get_text() for t in ax.texts]
    assert any(t.startswith("Chat\n") and "Care" in t for t in texts)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["buy", "help"]
    assert f"n = {int(cells['n'].sum()):,}" in ax.get_title()


def test_touchpoint_scores_bars_equal_the_table(card):
    ax = plots_journey.touchpoint_scores(card, metric="csat")
    rows = card[card["metric"] == "csat"]
    np.testing.assert_allclose([b.get_width() for b in ax.patches], rows["estimate"] * 100)
    lines = ax.collections[0].get_segments()  # the error bars
    np.testing.assert_allclose([seg[0][0] for seg in lines], rows["ci_low"] * 100)
    np.testing.assert_allclose([seg[1][0] for seg in lines], rows["ci_high"] * 100)
    assert ax.patches[3].get_hatch() == "///" and ax.patches[0].get_hatch() is None
    assert ax.get_legend() is not None
    assert "n = 12" in ax.get_yticklabels()[-1].get_text()
    done = plots_journey.touchpoint_scores(card, metric="completion")
    completion = card.loc[card["metric"] == "completion", "estimate"]
    np.testing.assert_allclose([b.get_width() for b in done.patches], completion * 100)
    effort = plots_journey.touchpoint_scores(card, metric="volume")
    np.testing.assert_allclose([b.get_width() for b in effort.patches], [60, 80, 90, 12])


def test_bars_take_the_brand_colour(card):
    with plots.theme(BRAND):
        ax = plots_journey.touchpoint_scores(card)
        assert to_hex(ax.patches[0].get_facecolor()) == "#7a1f5c"
        pains = pd.DataFrame(
            {
                "name": ["A"],
                "stage": ["s"],
                "n": [50],
                "estimate": [2.0],
                "ci_low": [1.0],
                "ci_high": [3.0],
                "small_n": [False],
            }
        )
        assert to_hex(plots_journey.pain_points(pains).patches[0].get_facecolor()) == "#7a1f5c"


def test_funnel_heights_and_annotations():
    ev = events()
    table = journey.stage_funnel(ev, PLAN, customers=pd.DataFrame({"customer_id": range(200)}))
    ax = plots_journey.funnel(table)
    np.testing.assert_allclose([b.get_height() for b in ax.patches], table["estimate"] * 100)
    notes = [t.get_text() for t in ax.texts]
    assert f"{table.loc[1, 'conversion'] * 100:.0f}% of\nprevious" in notes
    assert ax.get_xticklabels()[0].get_text() == f"buy\nn = {int(table.loc[0, 'n']):,}"
    assert "n = 200" in ax.get_title()


def test_emotion_curve_lines_and_bands():
    people = pd.DataFrame(
        {"customer_id": range(200), "persona_id": [1, 2] * 100, "persona": ["A", "B"] * 100}
    )
    curve = journey.emotion_curve(events(), PLAN, personas=people)
    ax = plots_journey.emotion_curve(curve)
    assert len(ax.lines) == 3 and ax.lines[0].get_linewidth() > ax.lines[1].get_linewidth()
    whole = curve[curve["persona_id"] == 0]
    np.testing.assert_allclose(ax.lines[0].get_ydata(), whole["estimate"])
    assert ax.get_legend().get_texts()[0].get_text().startswith("All customers (n = ")


def test_pain_points_bars_worst_first():
    ev = events()
    card = journey.touchpoint_scorecard(ev, PLAN)
    impact = pd.DataFrame(
        {
            "touchpoint_id": ["shop", "web", "chat", "phone"],
            "n": [40, 40, 80, 5],
            "estimate": [-5.0, -10.0, -30.0, -50.0],
            "ci_low": [-10.0, -20.0, -40.0, -90.0],
            "ci_high": [0.0, 0.0, -20.0, -10.0],
            "p_value": [0.1, 0.05, 0.001, 0.02],
            "small_n": [False, False, False, True],
        }
    )
    pains = journey_pain.pain_points(card, impact)
    ax = plots_journey.pain_points(pains, top=3)
    np.testing.assert_allclose([b.get_width() for b in ax.patches], pains["estimate"].head(3))
    top = max(ax.get_yticklabels(), key=lambda t: t.get_position()[1])
    assert top.get_text().startswith(f"{pains.iloc[0]['name']} (")  # worst at the top


def test_channel_gaps_dots_and_stars():
    ev = events()
    scores = journey_pain.stage_channel_scores(ev, PLAN)
    consistency = journey_pain.channel_consistency(ev, PLAN)
    ax = plots_journey.channel_gaps(scores, consistency)
    dots = {col.get_label().split(" (")[0]: col.get_offsets()[0][0] for col in ax.collections[::2]}
    for row in scores.itertuples():
        assert dots[row.channel] == pytest.approx(row.estimate)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[1] == "help *"  # chat is far below phone
    # phone has a small base: drawn hollow
    phone = [c for c in ax.collections[::2] if c.get_label().startswith("phone")][0]
    assert tuple(phone.get_facecolor()[0]) == (1.0, 1.0, 1.0, 1.0)


def test_persona_stage_heatmap_cells_and_masks():
    people = pd.DataFrame(
        {"customer_id": range(200), "persona_id": [1, 2] * 100, "persona": ["A", "B"] * 100}
    )
    table = journey.persona_stage(events(), people, PLAN, min_n=30)
    ax = plots_journey.persona_stage_heatmap(table, min_n=30)
    arr = ax.collections[0].get_array()
    wide = (
        table.pivot(index="persona_id", columns="stage", values="estimate")[["buy", "help"]] * 100
    )
    small = table.pivot(index="persona_id", columns="stage", values="small_n")[["buy", "help"]]
    np.testing.assert_allclose(arr.compressed(), wide.to_numpy()[~small.to_numpy(bool)])
    assert np.ma.getmaskarray(arr).ravel().tolist() == small.to_numpy(bool).ravel().tolist()
    assert ax.get_yticklabels()[0].get_text().startswith("All customers (n = ")


def test_charts_refuse_tables_without_their_columns():
    with pytest.raises(ValueError, match="lacks"):
        plots_journey.funnel(pd.DataFrame({"stage": ["a"]}))
    with pytest.raises(TypeError):
        plots_journey.pain_points([1, 2])
