"""Step 7 orchestration (cxlib.remeasure_run): moves, control charts and results of a run."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

from cxlib import baseline, context, remeasure_run
from cxlib.config import EngagementPaths, RunPaths, load_engagement


def _helper(name: str):
    """Load a helper module that sits beside this test file (import mode is importlib)."""
    path = Path(__file__).with_name(f"{name}.py")
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_data = _helper("kpi_data")


@pytest.fixture
def ctx(tmp_path) -> context.RunContext:
    root = tmp_path / "acme"
    root.mkdir()
    text = yaml.safe_dump(_data.config_dict(), sort_keys=False, allow_unicode=True)
    (root / "engagement.yaml").write_text(text, encoding="utf-8")
    run = RunPaths(root / "runs" / "r1")
    run.clean.mkdir(parents=True)
    for name, frame in _data.tables().items():
        frame.to_parquet(run.clean / f"{name}.parquet", index=False)
    cfg = load_engagement(root)
    return context.RunContext(config=cfg, paths=EngagementPaths(root), run=run, wave="2026Q3")


def test_movers_and_charts_for_a_run(ctx):
    moves = remeasure_run.movers_for(ctx, "2026Q1")
    top = moves.iloc[0]
    assert (top["source"], top["segment"], top["level"]) == ("touchpoint ratings", "stage", "join")
    assert top["change"] == "improved"
    assert {"region", "primary_channel", "stage", "touchpoint"} <= set(moves["segment"])
    survey_stage = moves[(moves["source"] == "survey") & (moves["segment"] == "stage")]
    assert set(survey_stage["metric"]) == {"nps"}  # CSAT and CES by stage come from the events
    charts = remeasure_run.charts_for(ctx, stages=["join"])
    assert list(dict.fromkeys(charts["chart"])) == ["nps", "csat", "csat:join"]
    assert charts["wave"].tolist()[:2] == ["2026Q1", "2026Q3"]
    first = remeasure_run.charts_for(ctx, "2026Q1")
    assert set(first["wave"]) == {"2026Q1"}


def test_remeasure_results_are_plain_json_with_a_headline(ctx):
    from cxlib import remeasure

    base, info = baseline.baseline_for(ctx)
    current = baseline.measure(ctx)
    card = remeasure.scorecard(base.kpis, current.kpis)
    out = remeasure_run.remeasure_results(card, pd.DataFrame(), pd.DataFrame(), info, "2026Q3")
    text = json.dumps(out, allow_nan=False)
    assert json.loads(text)["headline"].startswith("2026Q3 against the not locked baseline")
    assert len(out["scorecard"]) == len(card)


def test_movers_use_personas_from_step_2_and_survey_stages_without_events(ctx):
    customers = ctx.table("customers")
    personas = pd.DataFrame(
        {
            "customer_id": customers["customer_id"],
            "persona": ["Pat", "Sam"] * (len(customers) // 2),
        }
    )
    ctx.save_table("personas.parquet", personas)
    moves = remeasure_run.movers_for(ctx, "2026Q1")
    assert {"Pat", "Sam"} <= set(moves.loc[moves["segment"] == "persona", "level"])
    cfg = ctx.config.model_copy(
        update={"kpis": ctx.config.kpis.model_copy(update={"stage_ratings": "responses"})}
    )
    survey_only = context.RunContext(config=cfg, paths=ctx.paths, run=ctx.run, wave=ctx.wave)
    moves = remeasure_run.movers_for(survey_only, "2026Q1")
    assert set(moves["source"]) == {"survey"}
    assert set(moves.loc[moves["segment"] == "stage", "metric"]) == {"nps", "csat", "ces"}


def test_scorecard_for_uses_the_engagement_settings_and_charts_the_moved_stages(ctx):
    from cxlib import remeasure

    base, _ = baseline.baseline_for(ctx)
    current = baseline.measure(ctx)
    card = remeasure_run.scorecard_for(ctx, base, current)
    expected = remeasure.scorecard(base.kpis, current.kpis, p_adjust="holm")
    pd.testing.assert_frame_equal(card, expected)
    assert remeasure.moved_stages(card) == ["join"]  # the planted change
    charts = remeasure_run.charts_for(ctx, card=card)
    assert list(dict.fromkeys(charts["chart"])) == ["nps", "csat", "csat:join"]
