"""Charts of the VoC step, tested by their content: bar lengths equal the result tables, error
bars equal the confidence intervals, small bases are hatched, colours follow the brand."""

from __future__ import annotations

import matplotlib as mpl
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex

from cxlib import plots, plots_voc, voc
from cxlib.config import Branding

BRAND = Branding(client_name="Acme", primary_color="#1F4E79", secondary_color="#F2A900")


def segment_data() -> pd.DataFrame:
    rng = np.random.default_rng(8)
    n = 900
    region = np.where(np.arange(n) < 20, "Islands", rng.choice(["North", "South"], n))
    shift = np.where(region == "South", -2, 0)
    return pd.DataFrame(
        {
            "region": region,
            "channel": rng.choice(["app", "web", "store"], n),
            "nps": np.clip(rng.integers(3, 11, n) + shift, 0, 10),
            "csat": rng.integers(1, 6, n),
        }
    )


@pytest.fixture
def segments() -> pd.DataFrame:
    return voc.segment_table(segment_data(), segments=["region", "channel"])


def hbar_errors(ax) -> np.ndarray:
    """(low, high) of each horizontal error bar, in drawing order (top bar last)."""
    container = next(c for c in ax.containers if isinstance(c, mpl.container.ErrorbarContainer))
    segs = container.lines[2][0].get_segments()
    return np.array([[s[0][0], s[1][0]] for s in segs])


def title(ax) -> str:
    """The title, wherever the theme placed it."""
    return next(
        (ax.get_title(loc) for loc in ("left", "center", "right") if ax.get_title(loc)), ""
    )


def bars(ax):
    return [p for p in ax.patches if isinstance(p, mpl.patches.Rectangle)]


def test_nps_by_segment_bars_and_error_bars_equal_the_table(segments):
    with plots.theme(BRAND):
        ax = plots_voc.nps_by_segment(segments, segment="region", overall=12.0)
    rows = segments[(segments["metric"] == "nps") & (segments["segment"] == "region")]
    widths = [b.get_width() for b in bars(ax)]
    np.testing.assert_allclose(widths, rows["estimate"], rtol=1e-12)
    np.testing.assert_allclose(hbar_errors(ax), rows[["ci_low", "ci_high"]], rtol=1e-12)
    labels = [t.get_text() for t in ax.get_yticklabels()]  # in table order, top to bottom
    assert labels[0].startswith(rows["level"].iloc[0])
    assert all(f"(n = {n:,})" in lab for lab, n in zip(labels, rows["n"], strict=True))
    assert to_hex(bars(ax)[1].get_facecolor()) == BRAND.primary_color.lower()
    assert title(ax) == f"NPS by region (n = {int(rows['n'].sum()):,})"
    assert ax.get_xlabel() == "NPS"


def test_small_bases_are_hatched_faded_and_named_in_the_legend(segments):
    ax = plots_voc.nps_by_segment(segments, segment="region")
    rows = segments[(segments["metric"] == "nps") & (segments["segment"] == "region")]
    small = rows["small_n"].to_numpy()
    assert small.any() and not small.all()  # "Islands" has 20 answers
    for bar, flag in zip(bars(ax), small, strict=True):
        assert (bar.get_hatch() == "///") == flag
        assert (bar.get_alpha() == pytest.approx(0.35)) if flag else bar.get_alpha() is None
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any(t.startswith("Small base") for t in legend)


def test_significant_levels_are_starred(segments):
    ax = plots_voc.nps_by_segment(segments, segment="region")
    rows = segments[(segments["metric"] == "nps") & (segments["segment"] == "region")]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    for label, sig in zip(labels, rows["significant"], strict=True):
        assert (" * (n" in label) == bool(sig)
    assert rows["significant"].any()


def test_csat_is_drawn_in_percent(segments):
    ax = plots_voc.nps_by_segment(segments, segment="channel", metric="csat")
    rows = segments[(segments["metric"] == "csat") & (segments["segment"] == "channel")]
    np.testing.assert_allclose([b.get_width() for b in bars(ax)], 100 * rows["estimate"])
    np.testing.assert_allclose(hbar_errors(ax), 100 * rows[["ci_low", "ci_high"]].to_numpy())


def test_nps_by_segments_groups_every_column_on_one_axes(segments):
    ax = plots_voc.nps_by_segments(segments, columns=("persona", "region", "channel"))
    rows = segments[segments["metric"] == "nps"]
    np.testing.assert_allclose([b.get_width() for b in bars(ax)], rows["estimate"])
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[0].startswith("Region: ") and labels[-1].startswith("Channel: ")
    separators = [ln for ln in ax.get_lines() if list(ln.get_xdata()) == [0, 1]]
    assert len(separators) == 1  # one line between the two groups


def test_missing_segment_draws_a_notice_instead_of_failing(segments):
    ax = plots_voc.nps_by_segment(segments, segment="persona")
    assert "No persona segments" in ax.texts[0].get_text()
    with pytest.raises(ValueError, match="lacks column"):
        plots_voc.nps_by_segment(segments.drop(columns="ci_low"), segment="region")
    with pytest.raises(TypeError):
        plots_voc.nps_by_segment(segments.to_dict(), segment="region")


def driver_table() -> pd.DataFrame:
    from cxlib.drivers import key_drivers

    rng = np.random.default_rng(2)
    df = pd.DataFrame(rng.normal(5, 1.5, size=(400, 3)), columns=["bill", "staff", "app"])
    df["nps"] = 0.9 * df["bill"] + 0.4 * df["staff"] + rng.normal(size=400)
    res = key_drivers(df, attributes=["bill", "staff", "app"], n_boot=100)
    return res


def test_key_driver_bars_and_bootstrap_intervals():
    res = driver_table()
    imp = res.importance
    ax = plots_voc.key_drivers(imp)
    np.testing.assert_allclose([b.get_width() for b in bars(ax)], imp["importance_pct"])
    np.testing.assert_allclose(
        hbar_errors(ax), imp[["importance_pct_ci_low", "importance_pct_ci_high"]], rtol=1e-12
    )
    assert [t.get_text() for t in ax.get_yticklabels()] == ["bill", "staff", "app"]
    assert title(ax) == "What drives NPS (n = 400)"


def test_importance_performance_points_cuts_and_focus_colour():
    from cxlib.drivers import importance_performance

    res = driver_table()
    rng = np.random.default_rng(2)
    ratings = pd.DataFrame({"bill": rng.normal(4, 1, 50), "staff": 7.0, "app": 6.0})
    quad = importance_performance(res, ratings)
    with plots.theme(BRAND) as palette:
        ax = plots_voc.importance_performance(quad, n=400)
    offsets = ax.collections[0].get_offsets()
    np.testing.assert_allclose(offsets, quad[["performance", "importance_pct"]])
    cuts = {(tuple(ln.get_xdata()), tuple(ln.get_ydata())) for ln in ax.get_lines()}
    assert ((quad["performance_cut"][0],) * 2, (0, 1)) in cuts
    assert ((0, 1), (quad["importance_cut"][0],) * 2) in cuts
    colours = [to_hex(c) for c in ax.collections[0].get_facecolors()]
    focus = (quad["quadrant"] == "Concentrate here").to_numpy()
    assert focus.any()
    assert all(
        c == (palette[1] if f else palette[0]).lower() for c, f in zip(colours, focus, strict=True)
    )
    assert {t.get_text() for t in ax.texts} >= {"Concentrate here", "Low priority"}


def test_driver_charts_handle_a_missing_analysis():
    empty = pd.DataFrame(columns=["attribute", "importance", "importance_pct"])
    assert "No key driver" in plots_voc.key_drivers(empty).texts[0].get_text()
    assert "No key driver" in plots_voc.importance_performance(empty).texts[0].get_text()


def theme_data() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "theme": ["Billing", "Network", "Staff", "Unused"],
            "n_mentions": [300, 120, 25, 0],
            "share": [0.3, 0.12, 0.025, 0.0],
            "mean_sentiment": [-0.45, 0.1, 0.5, np.nan],
            "estimate": [-40.0, 5.0, 20.0, np.nan],
            "ci_low": [-48.0, -4.0, 2.0, np.nan],
            "ci_high": [-32.0, 14.0, 38.0, np.nan],
            "small_n": [False, False, True, True],
        }
    )


def test_theme_bars_intervals_order_and_sentiment_colours():
    t = theme_data()
    with plots.theme(BRAND) as palette:
        ax = plots_voc.themes(t, n_comments=1000)
    shown = t[t["n_mentions"] > 0]
    np.testing.assert_allclose([b.get_width() for b in bars(ax)], shown["estimate"])
    np.testing.assert_allclose(hbar_errors(ax), shown[["ci_low", "ci_high"]])
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["Billing (30%, n = 300)", "Network (12%, n = 120)", "Staff (2%, n = 25)"]
    # negative sentiment leans to the brand's second colour, positive to its first
    neg, pos = (np.array(bars(ax)[i].get_facecolor()[:3]) for i in (0, 2))
    second, first = (np.array(mpl.colors.to_rgb(palette[i])) for i in (1, 0))
    assert np.linalg.norm(neg - second) < np.linalg.norm(neg - first)
    assert np.linalg.norm(pos - first) < np.linalg.norm(pos - second)
    assert bars(ax)[2].get_hatch() == "///" and bars(ax)[0].get_hatch() is None
    assert "(n = 1,000 comments)" in title(ax)


def test_theme_chart_without_mentions_is_a_notice():
    t = theme_data().assign(n_mentions=0)
    assert "No comment" in plots_voc.themes(t).texts[0].get_text()


def test_nps_distribution_heights_and_group_colours():
    dist = voc.nps_distribution(pd.DataFrame({"nps": [0, 5, 7, 8, 9, 10, 10, 10]}))
    with plots.theme(BRAND) as palette:
        ax = plots_voc.nps_distribution(dist)
    np.testing.assert_allclose([b.get_height() for b in bars(ax)], 100 * dist["share"])
    colours = [to_hex(b.get_facecolor()) for b in bars(ax)]
    assert colours[10] == palette[0].lower() and colours[0] == palette[1].lower()
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["Promoters (50%)", "Passives (25%)", "Detractors (25%)"]
    assert title(ax) == "How likely customers are to recommend (n = 8)"
