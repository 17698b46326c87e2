"""plots: WCAG contrast, the colour-blind-safe brand palette, and the scoped theme.

References used below:
- WCAG 2.x contrast ratio definition (black on white is exactly (1 + 0.05) / (0 + 0.05) = 21).
- WebAIM contrast checker (https://webaim.org/resources/contrastchecker/), values it reports
  on a white background: #777777 4.48, #767676 4.54, #0000FF 8.59, #FF0000 4.00 (3.998).
- Bruce Lindbloom's colour calculator (http://www.brucelindbloom.com/ColorCalculator.html),
  sRGB, D65 reference white, no adaptation: #FF0000 -> L* 53.2408, a* 80.0925, b* 67.2032;
  #0000FF -> 32.2970, 79.1875, -107.8602; #00FF00 -> 87.7347, -86.1827, 83.1793.
- Okabe & Ito (2008), Color Universal Design: the eight colours of the CUD palette.
"""

import ast
import inspect
import io
import logging

import matplotlib as mpl
import numpy as np
import pytest
import seaborn as sns
from matplotlib.colors import to_hex
from matplotlib.figure import Figure

from cxlib import plots
from cxlib.config import Branding

BRAND = Branding(client_name="Acme", primary_color="#1F4E79", secondary_color="#F2A900")


# --- contrast ------------------------------------------------------------------------------


def test_contrast_black_on_white_is_21():
    assert plots.contrast_ratio("#000000", "#FFFFFF") == pytest.approx(21.0, abs=1e-12)
    assert plots.contrast_ratio("#FFFFFF", "#000000") == pytest.approx(21.0, abs=1e-12)


def test_contrast_grey_777_by_hand():
    # 0x77 = 119 -> c = 119/255 = 0.466667; linear = ((c + 0.055) / 1.055) ** 2.4 = 0.184475
    # (grey, so L = linear); ratio = 1.05 / (0.184475 + 0.05) = 4.4781
    c = 119 / 255
    lum = ((c + 0.055) / 1.055) ** 2.4
    assert lum == pytest.approx(0.184475, abs=1e-6)
    assert plots.contrast_ratio("#777777", "#FFFFFF") == pytest.approx(1.05 / (lum + 0.05))
    assert plots.contrast_ratio("#777777", "#FFFFFF") == pytest.approx(4.48, abs=0.005)


@pytest.mark.parametrize(
    ("colour", "webaim"),
    [("#767676", 4.54), ("#0000FF", 8.59), ("#FF0000", 3.998), ("#777777", 4.478)],
)
def test_contrast_matches_webaim(colour, webaim):
    assert plots.contrast_ratio(colour, "#FFFFFF") == pytest.approx(webaim, abs=0.005)


def test_contrast_is_symmetric_and_accepts_short_hex():
    assert plots.contrast_ratio("#1F4E79", "#F2A900") == pytest.approx(
        plots.contrast_ratio("#F2A900", "#1F4E79")
    )
    assert plots.contrast_ratio("#FFF", "#000") == pytest.approx(21.0)
    assert plots.contrast_ratio("#abc", "#FFFFFF") == pytest.approx(
        plots.contrast_ratio("#AABBCC", "#FFFFFF")
    )


@pytest.mark.parametrize("bad", ["red", "#12345", "1F4E79", "#GGGGGG", ""])
def test_contrast_rejects_non_hex(bad):
    with pytest.raises(ValueError, match="colour like"):
        plots.contrast_ratio(bad, "#FFFFFF")


def test_contrast_rejects_non_string():
    with pytest.raises(TypeError):
        plots.contrast_ratio((0, 0, 0), "#FFFFFF")


@pytest.mark.parametrize(
    ("background", "text"),
    [
        ("#FFFFFF", "#000000"),
        ("#000000", "#FFFFFF"),
        ("#1F4E79", "#FFFFFF"),
        ("#F2A900", "#000000"),
        ("#777777", "#000000"),  # black (0.1845 + 0.05) / 0.05 = 4.69 beats white 4.48
        ("#595959", "#FFFFFF"),  # white 7.00 beats black 3.00
    ],
)
def test_readable_text_on_picks_the_higher_contrast(background, text):
    assert plots.readable_text_on(background) == text
    other = "#FFFFFF" if text == "#000000" else "#000000"
    assert plots.contrast_ratio(text, background) > plots.contrast_ratio(other, background)


def test_readable_text_on_reaches_aa_for_brand_colours():
    for colour in ("#1F4E79", "#F2A900", "#7A1F5C", "#00A3E0", "#E4002B"):
        assert plots.contrast_ratio(plots.readable_text_on(colour), colour) >= 4.5


# --- colour science behind the palette ----------------------------------------------------


@pytest.mark.parametrize(
    ("colour", "lab"),
    [
        ("#FF0000", (53.2408, 80.0925, 67.2032)),
        ("#0000FF", (32.2970, 79.1875, -107.8602)),
        ("#00FF00", (87.7347, -86.1827, 83.1793)),
        ("#FFFFFF", (100.0, 0.0, 0.0)),
    ],
)
def test_cielab_matches_lindbloom(colour, lab):
    np.testing.assert_allclose(plots._lab(colour), lab, atol=1e-3)


def test_cvd_simulation_keeps_greys_grey():
    # Machado et al. (2009) matrices map the achromatic axis onto itself (rows sum to 1).
    for vision in ("protanopia", "deuteranopia", "tritanopia"):
        np.testing.assert_allclose(plots._lab("#777777", vision), plots._lab("#777777"), atol=0.01)


def test_red_and_green_collapse_for_deuteranopes():
    normal = np.linalg.norm(plots._lab("#D62728") - plots._lab("#2CA02C"))
    deutan = np.linalg.norm(
        plots._lab("#D62728", "deuteranopia") - plots._lab("#2CA02C", "deuteranopia")
    )
    assert normal > 60
    assert deutan < 15


# --- palette --------------------------------------------------------------------------------


def test_okabe_ito_is_the_published_set():
    published = {
        "#000000",
        "#E69F00",
        "#56B4E9",
        "#009E73",
        "#F0E442",
        "#0072B2",
        "#D55E00",
        "#CC79A7",
    }
    assert set(plots.OKABE_ITO) == published


def test_default_palette():
    # Orange (#E69F00) is skipped: too close to the brand's #F2A900 for tritanopes.
    assert plots.brand_palette(BRAND) == [
        "#1F4E79",
        "#F2A900",
        "#0072B2",
        "#009E73",
        "#D55E00",
        "#CC79A7",
        "#56B4E9",
        "#000000",
    ]
    assert plots._min_delta_e("#E69F00", "#F2A900") < 15


@pytest.mark.parametrize("n", range(1, 11))
def test_palette_length_and_primary_first(n):
    palette = plots.brand_palette(BRAND, n=n)
    assert len(palette) == n
    assert palette[0] == "#1F4E79"
    assert len(set(palette)) == n


def test_palette_colours_are_distinct_for_every_vision():
    palette = plots.brand_palette(BRAND, n=8)
    for i, a in enumerate(palette):
        for b in palette[i + 1 :]:
            assert plots._min_delta_e(a, b) >= 15, (a, b)


def test_secondary_that_clashes_for_colour_blind_readers_is_pushed_out():
    red_green = Branding(client_name="A", primary_color="#D62728", secondary_color="#2CA02C")
    palette = plots.brand_palette(red_green, n=8)
    assert palette[0] == "#D62728"
    assert "#2CA02C" not in palette


def test_near_duplicate_secondary_is_skipped():
    twin = Branding(client_name="A", primary_color="#0072B2", secondary_color="#0073B3")
    palette = plots.brand_palette(twin, n=8)
    assert palette[0] == "#0072B2"
    assert "#0073B3" not in palette


def test_palette_arguments_are_checked():
    with pytest.raises(ValueError, match="between 1 and 10"):
        plots.brand_palette(BRAND, n=0)
    with pytest.raises(ValueError, match="between 1 and 10"):
        plots.brand_palette(BRAND, n=11)
    with pytest.raises(TypeError):
        plots.brand_palette(BRAND, n=2.0)
    with pytest.raises(TypeError):
        plots.brand_palette(BRAND, n=True)


# --- theme ----------------------------------------------------------------------------------


def test_theme_is_scoped_and_restores_settings():
    before = mpl.rcParams["axes.prop_cycle"]
    before_spine = mpl.rcParams["axes.spines.top"]
    with plots.theme(BRAND) as palette:
        assert palette == plots.brand_palette(BRAND)
        assert mpl.rcParams["axes.prop_cycle"].by_key()["color"] == palette
        assert mpl.rcParams["axes.spines.top"] is False
        assert mpl.rcParams["text.color"] == "#1A1A1A"
    assert mpl.rcParams["axes.prop_cycle"] == before
    assert mpl.rcParams["axes.spines.top"] == before_spine


def test_charts_drawn_inside_the_theme_use_the_brand():
    with plots.theme(BRAND):
        fig = Figure()
        ax = fig.subplots()
        sns.barplot(x=["a", "b"], y=[3, 5], ax=ax, saturation=1)
        ax.plot([0, 1], [1, 2])
        ax.plot([0, 1], [2, 3])
    assert to_hex(ax.patches[0].get_facecolor()).upper() == "#1F4E79"
    assert [to_hex(line.get_color()).upper() for line in ax.lines[-2:]] == ["#1F4E79", "#F2A900"]
    assert not ax.spines["top"].get_visible()
    assert not ax.spines["right"].get_visible()


def test_context_scales_fonts_like_seaborn():
    notebook = plots.theme_rc(BRAND, context="notebook")
    talk = plots.theme_rc(BRAND, context="talk")
    assert notebook["font.size"] == pytest.approx(12)
    assert talk["font.size"] == pytest.approx(18)  # seaborn: talk = 1.5 x notebook
    with pytest.raises(ValueError, match="context"):
        plots.theme_rc(BRAND, context="slides")


def test_fonts_keep_installed_families_and_fall_back_to_dejavu(caplog):
    brand = Branding(client_name="A", font_family="'No Such Font', DejaVu Sans, sans-serif")
    rc = plots.theme_rc(brand)
    assert rc["font.family"] == ["sans-serif"]
    assert rc["font.sans-serif"] == ["DejaVu Sans"]
    serif = plots.theme_rc(Branding(client_name="A", font_family="Georgia, serif"))
    assert serif["font.family"] == ["serif"]
    assert serif["font.serif"][-1] == "DejaVu Serif"
    with caplog.at_level(logging.WARNING, logger="matplotlib.font_manager"):
        with plots.theme(brand):
            fig = Figure()
            fig.subplots().set_title("Net Promoter Score")
            fig.savefig(io.BytesIO(), format="png")
    assert not [r for r in caplog.records if "findfont" in r.getMessage()]


def test_use_theme_applies_for_the_session():
    with mpl.rc_context():
        assert plots.use_theme(BRAND, context="talk") is None  # no output under a cell
        assert mpl.rcParams["axes.prop_cycle"].by_key()["color"] == plots.brand_palette(BRAND)
        assert mpl.rcParams["font.size"] == pytest.approx(18)
        fig = Figure()
        ax = fig.subplots()
        ax.plot([0, 1])
        assert to_hex(ax.lines[0].get_color()).upper() == "#1F4E79"


def test_module_never_shows_figures_or_picks_a_backend():
    tree = ast.parse(inspect.getsource(plots))
    calls = [
        node.func.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
    ]
    # pyplot may be imported inside a function that creates a figure, never at import time.
    imports = [
        alias.name
        for node in tree.body
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    ]
    assert "show" not in calls
    assert "use" not in calls
    assert "matplotlib.pyplot" not in imports
    assert "pyplot" not in imports


# ---------------------------------------------------------------- chart building blocks


def test_new_axes_reuses_or_creates():
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    assert plots.new_axes(ax) is ax
    fresh = plots.new_axes(size=(3.0, 2.0))
    assert tuple(fresh.figure.get_size_inches()) == (3.0, 2.0)


def test_require_columns_names_what_is_missing():
    import pandas as pd

    frame = pd.DataFrame({"a": [1]})
    assert plots.require_columns(frame, ["a"], "scores") is frame
    with pytest.raises(ValueError, match=r"scores lacks column\(s\) \['b'\]"):
        plots.require_columns(frame, ["a", "b"], "scores")
    with pytest.raises(TypeError, match="scores must be a DataFrame"):
        plots.require_columns([1], ["a"], "scores")


def test_mark_small_hatches_only_small_bases():
    import matplotlib.pyplot as plt

    _, ax = plt.subplots()
    bars = ax.bar([0, 1, 2], [1, 2, 3])
    plots.mark_small(bars, [False, True, False])
    assert [b.get_hatch() for b in bars] == [None, plots.SMALL_HATCH, None]
    assert bars[1].get_alpha() == plots.SMALL_ALPHA
    handle = plots.small_base_handle(30)
    assert handle.get_label() == "Small base (n < 30): indicative only"


def test_empty_chart_says_why():
    import matplotlib.pyplot as plt

    _, ax = plt.subplots()
    plots.empty_chart(ax, "No personas yet", title="Emotion curve")
    assert [t.get_text() for t in ax.texts] == ["No personas yet"]
    assert ax.get_title() == "Emotion curve" and list(ax.get_xticks()) == []
