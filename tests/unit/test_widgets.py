"""The explorers: pure view functions checked by hand, and the widgets driven like a user.

Each widget test sets ``.value`` on the controls (as JupyterLab would) and checks that the
numbers on display equal cxlib's functions on an independently filtered table, and that the
callback raised nothing (ipywidgets would swallow it).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from cxlib import context, explore, journey, kpi_outcomes, stats, voc_metrics, voc_text
from cxlib import widgets_views as wv
from cxlib.config import load_codeframe
from cxlib.errors import CxError
from cxlib.redact import redact
from cxlib.widgets import VocExplorer

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "data" / "demo"


@pytest.fixture(scope="module")
def ctx(tmp_path_factory):
    """A copy of the demo engagement, ingested, with a persona table written by hand."""
    folder = tmp_path_factory.mktemp("explore") / "demo"
    folder.mkdir()
    shutil.copytree(DEMO / "inputs", folder / "inputs")
    for name in ("engagement.yaml", "codeframe.yaml"):
        shutil.copy2(DEMO / name, folder / name)
    if (DEMO / "assets").is_dir():
        shutil.copytree(DEMO / "assets", folder / "assets")
    run = context.open_run(folder)
    customers = run.table("customers")
    # Personas by plan: a deterministic stand-in for step 2's personas.parquet.
    personas = pd.DataFrame(
        {
            "customer_id": customers["customer_id"],
            "persona": "Plan " + customers["plan"].astype(str),
        }
    )
    personas["persona_id"] = pd.factorize(personas["persona"], sort=True)[0]
    run.save_table("personas.parquet", personas)
    return context.open_run(folder)


@pytest.fixture(scope="module")
def voc_explorer(ctx):
    return explore.voc(ctx)


def _by_hand_nps(frame: pd.DataFrame) -> float:
    """Weighted NPS: 100 x (weight of 9-10 minus weight of 0-6) / total weight."""
    s = frame.dropna(subset=["nps"])
    w = s["weight"].to_numpy()
    return 100 * (w[s["nps"] >= 9].sum() - w[s["nps"] <= 6].sum()) / w.sum()


# --------------------------------------------------------------------------- VoC


def test_voc_opens_on_every_response_and_shows_the_overall_scores(ctx, voc_explorer):
    assert voc_explorer.error == ""
    responses = ctx.table("responses")
    view = voc_explorer.view
    assert view.n_responses == len(responses)
    nps = view.metrics.set_index("metric").loc["nps"]
    assert nps["estimate"] == pytest.approx(_by_hand_nps(responses), abs=1e-9)
    assert set(voc_explorer.controls) == {"wave", "persona", "channel", "region", "stage"}


def test_voc_filters_update_the_displayed_numbers(ctx, voc_explorer):
    responses = ctx.table("responses")
    personas = ctx.load_table("personas.parquet")
    persona = voc_explorer.controls["persona"].options[1]
    voc_explorer.controls["wave"].value = "2026Q1"
    voc_explorer.controls["persona"].value = persona
    assert voc_explorer.error == ""
    ids = set(personas.loc[personas["persona"] == persona, "customer_id"])
    sub = responses[(responses["wave"] == "2026Q1") & responses["customer_id"].isin(ids)]
    view = voc_explorer.view
    assert view.n_responses == len(sub) > 30
    metrics = view.metrics.set_index("metric")
    expected = voc_metrics.headline_metrics(sub, weight="weight").set_index("metric")
    for metric in ("nps", "csat", "ces"):
        for col in ("n", "estimate", "ci_low", "ci_high"):
            assert metrics.loc[metric, col] == pytest.approx(expected.loc[metric, col], rel=1e-12)
    assert metrics.loc["nps", "estimate"] == pytest.approx(_by_hand_nps(sub), abs=1e-9)
    shown = voc_explorer.metrics_html.value
    assert f"{len(sub):,} responses" in shown
    e = stats.nps(sub, weight="weight").iloc[0]
    assert f"{e['estimate']:.1f} [{e['ci_low']:.1f}, {e['ci_high']:.1f}]" in shown
    csat = stats.top_box(sub, weight="weight").iloc[0]
    assert f"{csat['estimate']:.2f} [{csat['ci_low']:.2f}, {csat['ci_high']:.2f}]" in shown
    # Themes: the same table step 4 computes on this subset alone.
    cf = load_codeframe(ctx.paths.codeframe)
    from cxlib.voc import codeframe_from_config

    analysis = voc_text.analyse_comments(sub["comment"], codeframe_from_config(cf))
    alone = voc_text.theme_table(
        sub.assign(sentiment=analysis.sentiment["compound"]), analysis.tags, weight="weight"
    )
    np.testing.assert_allclose(
        view.themes["n_mentions"].to_numpy(), alone["n_mentions"].to_numpy(), rtol=0, atol=0
    )
    np.testing.assert_allclose(view.themes["share"], alone["share"], rtol=1e-12)
    for col in voc_explorer.controls.values():
        col.value = wv.ALL
    assert voc_explorer.view.n_responses == len(responses)


def test_voc_stage_and_region_come_from_the_journey_and_customers(ctx, voc_explorer):
    stages = {t.id: t.stage for t in ctx.config.journey.touchpoints}
    responses = ctx.table("responses")
    voc_explorer.controls["stage"].value = "support"
    assert voc_explorer.error == ""
    expected = int((responses["touchpoint_id"].map(stages) == "support").sum())
    assert voc_explorer.view.n_responses == expected
    voc_explorer.controls["stage"].value = wv.ALL


def test_voc_verbatims_are_redacted_on_screen():
    responses = pd.DataFrame(
        {
            "customer_id": ["c1", "c2", "c3"],
            "touchpoint_id": ["t", "t", "t"],
            "nps": [2.0, 9.0, 5.0],
            "comment": [
                "Bill wrong, ask Jo Smith at jo.smith@example.com or 07700 900123",
                "signal fine",
                "billing awful, card 4111 1111 1111 1111",
            ],
        }
    )
    customers = pd.DataFrame({"customer_id": ["c1"], "first_name": ["Jo"], "last_name": ["Smith"]})
    cf = {"version": "1", "themes": [{"name": "Billing", "keywords": ["bill*"]}]}
    prepared = wv.prepare_voc(responses, codeframe=cf, customers=customers)
    explorer = VocExplorer(prepared)
    assert explorer.error == ""
    shown = explorer.verbatims_html.value
    assert len(explorer.view.verbatims) == 2
    for secret in ("Smith", "jo.smith@example.com", "07700", "4111"):
        assert secret not in shown
    for comment in explorer.view.verbatims["comment"]:
        assert redact(pd.Series([comment]), names=["Jo", "Smith"]).redacted.iloc[0] == comment
    assert "[name]" in shown


def test_voc_view_rejects_an_unknown_filter_column(voc_explorer):
    with pytest.raises(ValueError, match="no such column"):
        wv.voc_view(voc_explorer.prepared, {"planet": "Mars"})


# --------------------------------------------------------------------------- journey


def test_journey_explorer_follows_the_chosen_persona(ctx):
    explorer = explore.journey(ctx)
    assert explorer.error == ""
    assert explorer.view.curve["persona"].eq("All customers").all()
    persona = explorer.persona.options[2]
    explorer.persona.value = persona
    assert explorer.error == ""
    events = ctx.table("touchpoint_events")
    personas = ctx.load_table("personas.parquet")
    ids = set(personas.loc[personas["persona"] == persona, "customer_id"])
    ev = events[events["customer_id"].isin(ids)]
    view = explorer.view
    assert view.n_customers == ev["customer_id"].nunique()
    curve = journey.emotion_curve(events, ctx.config.journey, personas=personas)
    curve = curve[curve["persona"] == persona].reset_index(drop=True)
    pd.testing.assert_frame_equal(view.curve, curve)
    # The emotion curve is the mean CSAT of the persona's rated events at each stage.
    stage = {t.id: t.stage for t in ctx.config.journey.touchpoints}
    by_hand = ev.dropna(subset=["csat"]).groupby(ev["touchpoint_id"].map(stage))["csat"].mean()
    got = view.curve.set_index("stage")["estimate"]
    for name, value in by_hand.items():
        assert got[name] == pytest.approx(value, rel=1e-12)
    pd.testing.assert_frame_equal(view.funnel, journey.stage_funnel(ev, ctx.config.journey))
    # Worst touchpoint by hand: the lowest share of top-2-box (4-5) CSAT ratings.
    rated = ev.dropna(subset=["csat"])
    shares = rated.groupby("touchpoint_id")["csat"].apply(lambda s: float((s >= 4).mean()))
    assert view.worst["touchpoint_id"].iloc[0] == shares.idxmin()
    assert view.worst["estimate"].iloc[0] == pytest.approx(shares.min(), rel=1e-12)
    assert list(view.worst["estimate"]) == sorted(view.worst["estimate"])
    assert view.worst["touchpoint_id"].iloc[0] in explorer.worst_html.value
    # The charts are redrawn for the persona: the curve's line holds its estimates.
    left, right = explorer.figure.axes[:2]
    np.testing.assert_allclose(left.lines[0].get_ydata(), curve["estimate"], rtol=1e-12)
    assert persona in explorer.figure.texts[0].get_text()
    heights = sorted(p.get_height() for p in right.patches)
    np.testing.assert_allclose(heights, sorted(100 * view.funnel["estimate"]), rtol=1e-9)


def test_journey_view_rejects_an_unknown_persona(ctx):
    with pytest.raises(ValueError, match="unknown persona"):
        wv.journey_view(
            ctx.table("touchpoint_events"),
            ctx.config.journey,
            personas=ctx.load_table("personas.parquet"),
            persona="Nobody",
        )


# --------------------------------------------------------------------------- simulator


def test_simulation_formula_by_hand():
    # 4 promoters, 2 passives, 4 detractors: NPS 0. Half the detractors to promoters and a
    # quarter to passives: promoters 4 + 2 = 6, detractors 4 - 3 = 1 -> NPS 50.
    r = pd.DataFrame({"nps": [10.0] * 4 + [8.0] * 2 + [3.0] * 4})
    s = wv.simulate_targets(r, to_passive=0.25, to_promoter=0.5)
    assert s.nps == pytest.approx(0.0)
    assert s.projected_nps == pytest.approx(50.0, abs=1e-12)
    with pytest.raises(ValueError, match="must not exceed 1"):
        wv.simulate_targets(r, to_passive=0.6, to_promoter=0.6)


def test_attribute_lever_matches_a_logit_fitted_by_statsmodels():
    import statsmodels.api as sm
    from scipy.special import expit

    from cxlib.drivers_extra import detractor_drivers

    rng = np.random.default_rng(3)
    n = 600
    a, b = rng.integers(1, 11, n).astype(float), rng.integers(1, 11, n).astype(float)
    detractor = rng.random(n) < expit(2.0 - 0.5 * a + 0.15 * b)
    data = pd.DataFrame({"a": a, "b": b, "nps": np.where(detractor, 3.0, 9.0)})
    model = detractor_drivers(data, attributes=["a", "b"])
    sim = wv.simulate_targets(
        data, detractor_model=model, attribute="a", attribute_lift=1.5, scale_max=10
    )
    # Independently: statsmodels' logit with its intercept, each rating raised 1.5 (max 10).
    x = sm.add_constant(data[["a", "b"]].to_numpy())
    params = sm.Logit(data["nps"].le(6).astype(float).to_numpy(), x).fit(disp=0).params
    raised = x.copy()
    raised[:, 1] = np.minimum(raised[:, 1] + 1.5, 10)
    by_hand = 100 * (expit(x @ params).mean() - expit(raised @ params).mean())
    assert by_hand > 5
    assert sim.from_attribute == pytest.approx(by_hand, rel=1e-6)
    assert sim.projected_nps == pytest.approx(sim.nps + by_hand, rel=1e-6)
    with pytest.raises(ValueError, match="not in the detractor model"):
        wv.simulate_targets(data, detractor_model=model, attribute="c", attribute_lift=1)


def test_target_simulator_sliders(ctx):
    explorer = explore.simulator(ctx)
    assert explorer.error == ""
    responses = ctx.table("responses")
    base = responses[(responses["wave"] == ctx.wave) & (responses["survey"] == "relationship")]
    now = _by_hand_nps(base)
    assert explorer.view.nps == pytest.approx(now, abs=1e-9)
    assert explorer.view.projected_nps == pytest.approx(now, abs=1e-9)
    explorer.to_passive.value = 0.2
    explorer.to_promoter.value = 0.3
    assert explorer.error == ""
    s = base.dropna(subset=["nps"])
    w = s["weight"].to_numpy()
    p, d = w[s["nps"] >= 9].sum() / w.sum(), w[s["nps"] <= 6].sum() / w.sum()
    projected = 100 * ((p + 0.3 * d) - 0.5 * d)
    assert explorer.view.projected_nps == pytest.approx(projected, abs=1e-9)
    groups = kpi_outcomes.customer_nps_groups(base, ctx.table("customers"), wave=ctx.wave)
    rar = kpi_outcomes.revenue_at_risk(groups, basis=ctx.config.kpis.revenue_at_risk)
    assert explorer.view.revenue_at_risk == pytest.approx(rar["estimate"].iloc[0], rel=1e-12)
    assert explorer.view.projected_revenue_at_risk == pytest.approx(
        0.5 * rar["estimate"].iloc[0], rel=1e-12
    )
    assert f"{projected:,.1f}" in explorer.result_html.value
    assert f"{0.5 * rar['estimate'].iloc[0]:,.0f}" in explorer.result_html.value
    # A touchpoint lift: the impact model's NPS gap times the share with a bad experience.
    table = explorer.impact.table
    harmful = table[(table["estimate"] < 0) & table["in_model"]].iloc[0]
    explorer.touchpoint.value = harmful["touchpoint_id"]
    explorer.csat_lift.value = 0.5
    assert explorer.error == ""
    gain = -harmful["estimate"] * harmful["n"] / explorer.impact.n * 0.5
    assert explorer.view.from_touchpoint == pytest.approx(gain, rel=1e-12)
    assert explorer.view.projected_nps == pytest.approx(projected + gain, abs=1e-9)
    # An attribute lift: the detractor drivers model, wired through unchanged.
    explorer.attribute.value = "billing_clarity"
    explorer.attribute_lift.value = 1.0
    assert explorer.error == ""
    expected = wv.simulate_targets(
        base,
        detractor_model=explorer.detractor_model,
        attribute="billing_clarity",
        attribute_lift=1.0,
        scale_max=ctx.config.survey.attribute_scale[1],
    ).from_attribute
    assert explorer.view.from_attribute == pytest.approx(expected, rel=1e-12)
    assert explorer.view.from_attribute > 0
    assert explorer.view.projected_nps == pytest.approx(projected + gain + expected, abs=1e-9)
    assert f"+{expected:,.1f} from the attribute" in explorer.result_html.value
    # Too much conversion: the error is shown, not swallowed.
    explorer.to_passive.value = 0.8
    assert "must not exceed 1" in explorer.error
    assert "must not exceed 1" in explorer.status.value


# --------------------------------------------------------------------------- codeframe


@pytest.fixture
def workbench(ctx, tmp_path):
    path = tmp_path / "codeframe.yaml"
    shutil.copy2(ctx.paths.codeframe, path)
    bench = explore.codeframe(ctx)
    bench.path = path
    return bench


def test_workbench_counts_matches_live(ctx, workbench):
    comments = ctx.table("responses")["comment"]
    workbench.keywords.value = "refund*, porting"
    assert workbench.error == ""
    by_hand = comments.fillna("").str.contains(r"(?i)\b(?:refund\w*|porting)\b", regex=True)
    nonblank = comments.fillna("").str.strip().ne("")
    assert workbench.view.n_matched == int(by_hand.sum()) > 0
    assert workbench.view.n_comments == int(nonblank.sum())
    assert (
        f"<b>{int(by_hand.sum()):,}</b> of {int(nonblank.sum()):,}" in workbench.counts_html.value
    )
    workbench.pattern.value = r"money\s+back"
    # Patterns match case-insensitively where no word character touches either end.
    extra = comments.fillna("").str.contains(r"(?i)(?<!\w)money\s+back(?!\w)", regex=True)
    assert workbench.view.n_matched == int((by_hand | extra).sum())
    workbench.pattern.value = "(unclosed"
    assert "invalid pattern '(unclosed'" in workbench.error
    assert "invalid pattern" in workbench.status.value


def test_workbench_matches_are_redacted():
    comments = pd.Series(["refund please, I am Jo Smith, jo@example.com", "all good"])
    trial = wv.codeframe_trial(comments, keywords=["refund*"], names=["Jo", "Smith"])
    assert trial.n_matched == 1
    assert trial.matches["comment"].iloc[0] == "refund please, I am [name] [name], [email]"


def test_workbench_saves_a_theme_keeping_every_other(workbench):
    path = workbench.path
    before = load_codeframe(path)
    text_before = path.read_text(encoding="utf-8")
    workbench.name.value = "Refunds"
    workbench.keywords.value = "refund*, money back"
    workbench.save_button.click()
    assert workbench.error == ""
    after = load_codeframe(path)
    assert [t.name for t in after.themes] == [*(t.name for t in before.themes), "Refunds"]
    assert after.themes[:-1] == before.themes
    assert after.themes[-1].keywords == ["refund*", "money back"]
    assert after.version == before.version
    assert path.read_text(encoding="utf-8").startswith(text_before.rstrip("\n"))  # comments kept
    # The same name again: refused, file untouched.
    saved = path.read_bytes()
    workbench.save_button.click()
    assert "already has a theme" in workbench.error
    assert path.read_bytes() == saved


def test_save_theme_refuses_bad_input_and_leaves_the_file(tmp_path):
    path = tmp_path / "codeframe.yaml"
    path.write_text('version: "2"\nthemes:\n  - name: A\n    keywords: [a]\n', encoding="utf-8")
    original = path.read_bytes()
    with pytest.raises(CxError, match="valid regular expression|problem"):
        wv.save_theme(path, "B", patterns=["(oops"])
    with pytest.raises(CxError, match="at least one keyword"):
        wv.save_theme(path, "B")
    with pytest.raises(CxError, match="needs a name"):
        wv.save_theme(path, "  ", keywords=["b"])
    assert path.read_bytes() == original
    assert not [p for p in tmp_path.iterdir() if p.name != "codeframe.yaml"]  # no temp left


def test_save_theme_when_themes_is_not_the_last_section(tmp_path):
    path = tmp_path / "codeframe.yaml"
    path.write_text(
        "themes:\n- name: A\n  keywords: [a]\n- name: B\n  patterns: ['b+']\nversion: '3'\n",
        encoding="utf-8",
    )
    wv.save_theme(path, "C", keywords=["c"], description="Cees")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert data["version"] == "3"
    assert data["themes"] == [
        {"name": "A", "keywords": ["a"]},
        {"name": "B", "patterns": ["b+"]},
        {"name": "C", "description": "Cees", "keywords": ["c"]},
    ]


# --------------------------------------------------------------------------- client HTML


def _pages(folder: Path, run_id: str) -> dict[str, str]:
    """The run's pages with the run id and the per-execution random cell ids masked.

    nbformat gives each executed cell a random id (the committed playbooks carry none), so
    two runs of the same inputs differ only there and in the run id.
    """
    html = folder / "runs" / run_id / "html"
    return {
        p.name: re.sub(
            r"cell-id=[0-9a-f]+", "cell-id=X", p.read_text(encoding="utf-8").replace(run_id, "RUN")
        )
        for p in sorted(html.glob("*.html"))
    }


@pytest.mark.slow
def test_report_is_the_same_whether_or_not_an_explorer_was_opened(ctx):
    import nbformat
    import papermill

    from cxlib.run import run_engagement

    folder = ctx.paths.root
    run_engagement(folder, steps=["mission"], run_id="runbefore1", progress=False)
    papermill.execute_notebook(
        str(ROOT / "playbooks" / "explore.ipynb"),
        str(folder / "explore-out.ipynb"),
        parameters={"engagement": str(folder)},
        kernel_name="python3",
        progress_bar=False,
        cwd=str(ROOT / "playbooks"),
        execution_timeout=300,  # a stalled kernel fails the test, not the whole run
    )
    opened = nbformat.read(folder / "explore-out.ipynb", as_version=4)
    views = [
        o
        for c in opened.cells
        if c.cell_type == "code"
        for o in c.outputs
        if "application/vnd.jupyter.widget-view+json" in o.get("data", {})
    ]
    assert len(views) == 4  # the explorers really opened, in another kernel
    run_engagement(folder, steps=["mission"], run_id="runafter1", progress=False)
    before, after = _pages(folder, "runbefore1"), _pages(folder, "runafter1")
    assert before and before == after
    for page in after.values():
        assert "widget-view" not in page and "widget-state" not in page
    for nb_path in (folder / "runs" / "runafter1" / "notebooks").glob("*.ipynb"):
        nb = nbformat.read(nb_path, as_version=4)
        assert "widgets" not in nb.metadata
