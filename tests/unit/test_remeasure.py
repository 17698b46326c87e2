"""Step 7: change tests from summaries, scorecard and RAG, movers, control charts, the demo."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from scipy import stats as sps
from statsmodels.stats.multitest import multipletests

from cxlib import kpi, remeasure, remeasure_movers, remeasure_spc, stats
from cxlib.config import EngagementPaths, Journey, RunPaths, load_engagement

ROOT = Path(__file__).resolve().parents[2]


def _reference() -> dict:
    path = ROOT / "tests" / "reference" / "kpi_reference_values.py"
    spec = importlib.util.spec_from_file_location("kpi_reference_values", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.VALUES


REF = _reference()


def _nps_summary(scores) -> dict:
    t = stats.nps(pd.DataFrame({"nps": scores}))
    row = t.iloc[0]
    return {"metric": "nps", **{k: row[k] for k in ("estimate", "n", "n_eff")}} | {
        "promoters": row["promoters"],
        "detractors": row["detractors"],
    }


# ------------------------------------------------------------------------------ tests of change


def test_nps_change_from_summaries_equals_the_raw_data_test():
    rng = np.random.default_rng(3)
    a = rng.choice(11, 400, p=np.r_[[0.03] * 7, 0.1, 0.15, 0.25, 0.29])
    b = rng.choice(11, 350, p=np.r_[[0.05] * 7, 0.12, 0.13, 0.2, 0.2])
    base, cur = pd.DataFrame([_nps_summary(b)]), pd.DataFrame([_nps_summary(a)])
    out = remeasure.compare_summaries(base, cur).iloc[0]
    raw = stats.nps_difference(pd.DataFrame({"nps": a}), pd.DataFrame({"nps": b})).iloc[0]
    for key in ("estimate", "se", "ci_low", "ci_high", "statistic", "p_value"):
        assert out[key] == pytest.approx(raw[key], rel=1e-12), key
    assert out["test"] == "adjusted-Wald z-test"


@pytest.mark.parametrize("case", REF["two_proportions"])
def test_share_change_matches_statsmodels(case):
    k1, n1, k2, n2, z, p, low, high = case
    cur = pd.DataFrame([{"metric": "share", "estimate": k1 / n1, "n_eff": n1, "count": k1}])
    base = pd.DataFrame([{"metric": "share", "estimate": k2 / n2, "n_eff": n2, "count": k2}])
    out = remeasure.compare_summaries(base, cur).iloc[0]
    assert out["estimate"] == pytest.approx(k1 / n1 - k2 / n2)
    assert out["statistic"] == pytest.approx(z) and out["p_value"] == pytest.approx(p)
    assert (out["ci_low"], out["ci_high"]) == pytest.approx((low, high))


@pytest.mark.parametrize("case", REF["welch_summary"])
def test_mean_change_matches_scipy_welch(case):
    m1, s1, n1, m2, s2, n2, t, p = case
    cur = pd.DataFrame([{"metric": "mean", "estimate": m1, "sd": s1, "n_eff": n1}])
    base = pd.DataFrame([{"metric": "mean", "estimate": m2, "sd": s2, "n_eff": n2}])
    out = remeasure.compare_summaries(base, cur).iloc[0]
    assert out["statistic"] == pytest.approx(t) and out["p_value"] == pytest.approx(p)
    assert out["estimate"] == pytest.approx(m1 - m2)


@pytest.mark.parametrize("case", REF["poisson_2indep"])
def test_rate_change_matches_statsmodels_exact_conditional(case):
    k1, t1, k2, t2, p = case
    cur = pd.DataFrame([{"metric": "rate", "estimate": k1 / t1, "count": k1, "exposure": t1}])
    base = pd.DataFrame([{"metric": "rate", "estimate": k2 / t2, "count": k2, "exposure": t2}])
    out = remeasure.compare_summaries(base, cur).iloc[0]
    assert out["p_value"] == pytest.approx(p)
    se = np.sqrt(k1 / t1**2 + k2 / t2**2)  # Wald interval of the rate difference, by hand
    z = sps.norm.ppf(0.975)
    assert (out["ci_low"], out["ci_high"]) == pytest.approx(
        (k1 / t1 - k2 / t2 - z * se, k1 / t1 - k2 / t2 + z * se)
    )


def test_amounts_are_not_tested_and_lengths_must_match():
    base = pd.DataFrame([{"metric": "amount", "estimate": 100.0}, {"metric": "rate"}])
    cur = pd.DataFrame([{"metric": "amount", "estimate": 80.0}, {"metric": "rate"}])
    out = remeasure.compare_summaries(base, cur)
    assert out.loc[0, "estimate"] == -20.0 and np.isnan(out.loc[0, "p_value"])
    assert out["test"].tolist() == ["not tested", "exact conditional Poisson test"]
    assert np.isnan(out.loc[1, "p_value"])  # no counts: nothing to test
    with pytest.raises(ValueError, match="same number of rows"):
        remeasure.compare_summaries(base, cur.iloc[:1])


# ------------------------------------------------------------------------------ scorecard


def _share(kpi_id, estimate, n=400, **extra) -> dict:
    row = kpi.kpi_row(kpi=kpi_id, label=kpi_id.upper(), metric="share", n=n, n_eff=float(n))
    row.update(estimate=estimate, count=estimate * n, small_n=False, **extra)
    return row


def test_compare_kpis_adjusts_with_holm_and_reads_direction():
    base = kpi.kpi_frame(
        [_share("a", 0.5), _share("b", 0.5), _share("churn", 0.2), _share("old", 0.3)]
    )
    cur = kpi.kpi_frame(
        [_share("a", 0.6), _share("b", 0.52), _share("churn", 0.3), _share("new", 0.4)]
    )
    out = remeasure.compare_kpis(base, cur, lower_is_better=["churn"]).set_index("kpi")
    assert list(out.index) == ["a", "b", "churn", "new", "old"]
    tested = out["p_value"].notna()
    expected = multipletests(out.loc[tested, "p_value"], method="holm")[1]
    np.testing.assert_allclose(out.loc[tested, "p_adjusted"], expected, rtol=1e-12)
    assert out.loc["a", "change"] == "improved"
    assert out.loc["b", "change"] == "no significant change"
    assert out.loc["churn", "direction"] == "decrease"
    assert out.loc["churn", "change"] == "deteriorated"  # churn up 10 points is worse
    assert out.loc["new", "change"] == "not tested" and out.loc["new", "n_baseline"] == 0
    assert np.isnan(out.loc["old", "current"])


def test_rag_rule():
    out = remeasure.rag_status(
        ["deteriorated", "deteriorated", "improved", "no significant change"] * 2,
        [False, True, False, True, pd.NA, None, pd.NA, False],
        [True] * 7 + [False],
    )
    assert out.tolist() == ["red", "red", "green", "green", "red", "red", "green", "grey"]


def test_scorecard_targets_progress_and_status():
    base = kpi.kpi_frame(
        [
            _share("a", 0.5, target=0.7),
            _share("b", 0.5, target=0.45),
            _share("c", 0.5, target=0.7),
        ]
    )
    cur = kpi.kpi_frame([_share("a", 0.6), _share("b", 0.49), _share("c", 0.4)])
    out = remeasure.scorecard(base, cur).set_index("kpi")
    assert out.loc["a", "progress"] == pytest.approx(0.5)  # half way from 0.5 to 0.7
    assert out.loc["a", "rag"] == "green"  # significant improvement
    assert out.loc["b", "target_met"] == True  # noqa: E712
    assert out.loc["b", "rag"] == "green"
    assert out.loc["c", "rag"] == "red"
    assert remeasure.RAG_RULE in remeasure.scorecard.__doc__


def test_moved_stages():
    card = pd.DataFrame(
        {"stage": ["", "join", "use", "join"], "significant": [True, True, False, True]}
    )
    assert remeasure.moved_stages(card) == ["join"]


# ------------------------------------------------------------------------------ movers


def test_movers_find_the_planted_segment_and_adjust_jointly():
    rng = np.random.default_rng(11)
    n = 2000
    df = pd.DataFrame(
        {
            "wave": np.repeat(["A", "B"], n // 2),
            "region": rng.choice(["N", "S", "E"], n),
            "csat": rng.choice([2, 3, 4, 5], n),
            "nps": rng.choice(11, n),
        }
    )
    planted = (df["wave"] == "B") & (df["region"] == "S")
    df.loc[planted, "csat"] = np.where(rng.random(planted.sum()) < 0.8, 5, 2)
    out = remeasure_movers.movers(df, baseline_wave="A", wave="B", segments=["region", "zzz"])
    top = out.iloc[0]
    assert (top["segment"], top["level"], top["metric"], top["change"]) == (
        "region",
        "S",
        "csat",
        "improved",
    )
    assert out["significant"].sum() == 1
    assert set(out["metric"]) == {"csat", "nps"}  # no ces column: skipped
    a, b = df[(df["wave"] == "A") & (df["region"] == "S")], df[planted]
    diff = stats.two_proportion_test(
        (b["csat"] >= 4).sum(), len(b), (a["csat"] >= 4).sum(), len(a)
    ).iloc[0]
    assert top["p_value"] == pytest.approx(diff["p_value"])
    twice = remeasure_movers.rank_movers([out, out])
    assert len(twice) == 2 * len(out)
    p = out["p_value"].to_numpy()
    expected = multipletests(np.r_[p, p], method="holm")[1]
    assert sorted(twice["p_adjusted"]) == pytest.approx(sorted(expected))
    assert remeasure_movers.rank_movers(None).empty


def test_label_waves():
    ev = pd.DataFrame(
        {
            "occurred_at": pd.to_datetime(
                ["2026-02-01", "2026-05-01", "2026-08-01", "bad"], errors="coerce"
            )
        }
    )
    periods = {"Q1": kpi.wave_period("2026Q1"), "Q3": kpi.wave_period("2026Q3"), "X": None}
    out = remeasure_movers.label_waves(ev, periods)
    assert out["wave"].tolist() == ["Q1", "Q3"]


# ------------------------------------------------------------------------------ control charts

# Montgomery, Introduction to Statistical Quality Control (6th ed.), Example 7.1 / Table 7.1:
# nonconforming orange-juice cans in 30 samples of 50; p-bar = 347/1500 = 0.2313,
# UCL = 0.4102, LCL = 0.0524; samples 15 and 23 plot above the UCL.
MONTGOMERY = [12, 15, 8, 10, 4, 7, 16, 9, 14, 10, 5, 6, 17, 12, 22, 8, 10, 5, 13, 11]
MONTGOMERY += [20, 18, 24, 15, 9, 12, 7, 13, 9, 6]


def test_control_charts_reproduce_montgomery_example():
    waves = [f"S{i:02d}" for i in range(1, 31)]
    frames = [
        pd.DataFrame({"wave": w, "csat": [5] * k + [1] * (50 - k)})
        for w, k in zip(waves, MONTGOMERY, strict=True)
    ]
    out = remeasure_spc.control_charts(pd.concat(frames), waves=waves)
    assert set(out["chart"]) == {"csat"}
    assert out["centre"].iloc[0] == pytest.approx(347 / 1500)
    assert out["ucl"].iloc[0] == pytest.approx(0.4102, abs=5e-5)
    assert out["lcl"].iloc[0] == pytest.approx(0.0524, abs=5e-5)
    assert out.index[out["special_cause"]].tolist() == [14, 22]
    assert not out["laney"].any()  # bases of 50 are far below laney_min_n


def test_control_charts_nps_relationship_only_stages_from_events_and_laney():
    journey = Journey(
        stages=["join"],
        touchpoints=[{"id": "a", "name": "A", "stage": "join", "channel": "app"}],
    )
    rng = np.random.default_rng(5)
    rows = []
    for w in ("W1", "W2", "W3"):
        rows.append(
            pd.DataFrame(
                {
                    "wave": w,
                    "survey": ["relationship"] * 1500 + ["transactional"] * 10,
                    "touchpoint_id": [""] * 1500 + ["a"] * 10,
                    "nps": rng.choice(11, 1510),
                    "csat": rng.choice([1, 5], 1510),
                }
            )
        )
    responses = pd.concat(rows, ignore_index=True)
    events = pd.DataFrame({"wave": ["W1", "W2", "W3"] * 20, "touchpoint_id": "a", "csat": 5})
    out = remeasure_spc.control_charts(
        responses, waves=["W1", "W2", "W3"], journey=journey, stages=["join"], events=events
    )
    nps = out[out["chart"] == "nps"]
    assert nps["n"].tolist() == [1500, 1500, 1500]  # the transactional answers are left out
    assert nps["laney"].all()  # three waves of 1,500: Laney's p' limits
    pooled = stats.nps(responses[responses["survey"] == "relationship"]).loc[0, "estimate"]
    assert nps["centre"].iloc[0] == pytest.approx(pooled)
    join = out[out["chart"] == "csat:join"]
    assert join["n"].tolist() == [20, 20, 20] and join["small_n"].all()
    assert not join["laney"].any()
    assert remeasure_spc.use_laney([1000, 1000, 999]) and not remeasure_spc.use_laney([5000])


# ------------------------------------------------------------------------------ the demo client


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo engagement copied and ingested into a temporary folder."""
    from cxlib import baseline, context, ingest, remeasure_run

    src = ROOT / "data" / "demo"
    root = tmp_path_factory.mktemp("demo") / "northwind"
    root.mkdir()
    for name in ("engagement.yaml", "codeframe.yaml"):
        shutil.copy2(src / name, root / name)
    for folder in ("inputs", "assets"):
        shutil.copytree(src / folder, root / folder)
    run = RunPaths(root / "runs" / "test")
    ingest.ingest(root, run.clean)
    cfg = load_engagement(root)
    ctx = context.RunContext(config=cfg, paths=EngagementPaths(root), run=run, wave="2026Q3")
    base, info = baseline.baseline_for(ctx)
    current = baseline.measure(ctx)
    card = remeasure.scorecard(
        base.kpis,
        current.kpis,
        p_adjust=cfg.kpis.p_adjust,
        lower_is_better=cfg.kpis.lower_is_better,
    )
    moves = remeasure_run.movers_for(ctx, base.wave)
    truth = yaml.safe_load((src / "truth" / "effects.yaml").read_text(encoding="utf-8"))
    return cfg, base, info, card, moves, truth["onboarding_improves_in_2026Q3"]


def test_demo_planted_onboarding_improvement_is_significant(demo):
    cfg, base, info, card, _, truth = demo
    assert info["locked"] is False and info["wave"] == "2026Q1"
    rows = card.set_index("kpi")
    stage = truth["stage"]
    for name in (f"csat:{stage}", f"ces:{stage}"):
        assert rows.loc[name, "change"] == "improved", name
        assert rows.loc[name, "p_adjusted"] < 0.001
        assert rows.loc[name, "rag"] == "green"
    # the same onboarding event ratings the demo's truth file measured
    measured = truth["measured"]["onboarding_event_csat"]
    assert rows.loc[f"csat:{stage}", "n_baseline"] == measured["n_2026Q1"]
    assert rows.loc[f"csat:{stage}", "n"] == measured["n_2026Q3"]


def test_demo_nothing_spurious_where_nothing_was_planted(demo):
    cfg, _, _, card, moves, truth = demo
    stage = truth["stage"]
    significant = card[card["significant"]]
    assert set(significant["stage"]) == {stage}  # only onboarding KPIs moved
    assert (card["change"] != "deteriorated").all()
    rows = card.set_index("kpi")
    for other in truth["unchanged"]["event_stages"]:
        for metric in ("csat", "ces"):
            assert not rows.loc[f"{metric}:{other}", "significant"], (metric, other)
    for measure in ("nps", "csat", "ces"):
        assert not rows.loc[measure, "significant"], measure
    onboarding = {t.name for t in cfg.journey.touchpoints if t.stage == stage}
    moved = moves[moves["significant"]]
    assert len(moved) >= 2
    for r in moved.itertuples():
        assert (r.segment, r.level) == ("stage", stage) or (
            r.segment == "touchpoint" and r.level in onboarding
        ), (r.segment, r.level)
