"""Persona charts and cards tested on their content; cards escape every piece of client text."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex

from cxlib import personas, personas_profile, plots, plots_personas
from cxlib.config import Branding, PersonaCard

BRAND = Branding(client_name="Acme", primary_color="#7A1F5C")


@pytest.fixture(scope="module")
def setting():
    rng = np.random.default_rng(5)
    n = 400
    seg = rng.integers(0, 2, n)
    customers = pd.DataFrame(
        {
            "customer_id": range(n),
            "calls": np.where(seg == 1, rng.poisson(60, n), rng.poisson(5, n)),
            "logins": np.where(seg == 1, rng.poisson(2, n), rng.poisson(30, n)),
            "region": rng.choice(["North", "South"], n),
            "primary_channel": np.where(seg == 1, "phone", "app"),
            "annual_revenue": np.where(seg == 1, 900.0, 300.0),
            "first_name": "Jo",
        }
    )
    responses = pd.DataFrame(
        {
            "response_id": [f"r{i}" for i in range(n)],
            "customer_id": range(n),
            "nps": rng.integers(0, 11, n),
            "comment": np.where(
                rng.random(n) < 0.5,
                "Jo here, the <b>chat</b> was slow, call 07700 900123 please",
                "Fine service overall, nothing to add today",
            ),
        }
    )
    model = personas.segment(
        customers, features=["calls", "logins"], k_range=(2, 3), n_resamples=3
    )
    prof = personas_profile.profile_personas(
        customers, model.assignments, responses=responses, features=["calls", "logins"]
    )
    return customers, responses, model, prof


def test_k_selection_lines_equal_the_table(setting):
    _, _, model, _ = setting
    ax = plots_personas.k_selection(model.selection)
    np.testing.assert_allclose(ax.lines[0].get_ydata(), model.selection["silhouette"])
    np.testing.assert_allclose(ax.lines[1].get_ydata(), model.selection["stability"])
    assert ax.lines[2].get_ydata()[0] == 0.8  # the stability bar
    assert ax.lines[3].get_xdata()[0] == model.k  # chosen k
    assert "n = 400" in ax.get_title()
    notice = plots_personas.k_selection(None)
    assert "set, not searched" in notice.texts[0].get_text()


def test_persona_sizes_bars_equal_customer_and_revenue_shares(setting):
    _, _, _, prof = setting
    ax = plots_personas.persona_sizes(prof.sizes)
    k = len(prof.sizes)
    widths = [b.get_width() for b in ax.patches]
    np.testing.assert_allclose(widths[:k], prof.sizes["share"] * 100)
    np.testing.assert_allclose(widths[k:], prof.sizes["value_share"] * 100)
    seg = ax.collections[0].get_segments()
    np.testing.assert_allclose([s[0][0] for s in seg], prof.sizes["ci_low"] * 100)
    assert "n = 400" in ax.get_title()


def test_persona_nps_bars_error_bars_and_small_base(setting):
    _, _, _, prof = setting
    table = prof.nps.assign(small_n=[False, True])
    ax = plots_personas.persona_nps(table, base=prof.base_nps)
    np.testing.assert_allclose([b.get_width() for b in ax.patches], table["estimate"])
    seg = ax.collections[0].get_segments()
    np.testing.assert_allclose([s[1][0] for s in seg], table["ci_high"])
    assert ax.patches[1].get_hatch() == "///" and ax.patches[0].get_hatch() is None
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[0].startswith("All respondents:") and "indicative" in legend[1]
    empty = plots_personas.persona_nps(table.iloc[0:0])
    assert "No NPS answers" in empty.texts[0].get_text()


def test_persona_centres_heatmap_values(setting):
    _, _, model, _ = setting
    ax = plots_personas.persona_centres(model)
    np.testing.assert_allclose(
        ax.collections[0].get_array().ravel(), model.centres.to_numpy().ravel()
    )
    rules = personas.PersonaModel(model.assignments, model.personas, "rules", model.k, "rules")
    assert "rules" in plots_personas.persona_centres(rules).texts[0].get_text()


def test_charts_use_the_brand_palette(setting):
    _, _, _, prof = setting
    with plots.theme(BRAND):
        ax = plots_personas.persona_sizes(prof.sizes)
        assert to_hex(ax.patches[0].get_facecolor()) == "#7a1f5c"


def test_cards_escape_client_text_and_show_measured_facts(setting):
    customers, responses, model, prof = setting
    cards = [
        PersonaCard(
            name="<i>Callers</i>",
            description="Call a lot & <script>x</script>",
            needs=["<b>speed</b>"],
        ),
    ]
    quotes = personas_profile.representative_quotes(responses, model.assignments, names=["Jo"])
    out = plots_personas.persona_cards(
        model, prof, cards, quotes=quotes, palette=["#123456", "#654321"]
    )
    html = out._repr_html_()
    assert "<script>" not in html and "<b>" not in html and "<i>" not in html
    assert "&lt;script&gt;" in html and "&amp;" in html and "&lt;b&gt;speed&lt;/b&gt;" in html
    assert "07700" not in html and "Jo here" not in html and "[name] here" in html
    assert "&lt;b&gt;chat&lt;/b&gt;" in html  # the quote's markup is shown, not rendered
    first = prof.sizes.iloc[0]
    assert f"n = {int(first['n']):,}" in html and "of revenue" in html and "NPS " in html
    assert "No card written for this persona" in html  # two personas, one card
    assert "#123456" in html and "#654321" in html
