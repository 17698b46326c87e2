"""Tests for step 3: cxlib.journey, journey_pain and the journey sentences.

References used here:
- Wilson interval: statsmodels ``proportion_confint(count, nobs, method="wilson")``.
- t interval of a mean: ``scipy.stats.t.interval``.
- Median interval: order statistics with ranks from ``scipy.stats.binom.ppf`` (Conover 1999,
  section 3.2), computed by hand in the test.
- Welch ANOVA: statsmodels ``anova_oneway(..., use_var="unequal")``; two groups: scipy
  ``ttest_ind(equal_var=False)`` and its ``confidence_interval``.
- Holm: statsmodels ``multipletests(method="holm")``.
- OLS with HC1 errors: statsmodels ``OLS(y, X).fit(cov_type="HC1")`` on a design built in
  the test.
- Demo: data/demo/truth/effects.yaml names the planted worst touchpoint.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import yaml
from scipy import stats as sps
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.oneway import anova_oneway
from statsmodels.stats.proportion import proportion_confint

from cxlib import journey, journey_pain
from cxlib import narrative_journey as say
from cxlib.config import Journey
from cxlib.journey import JourneyError

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "data" / "demo"

PLAN = Journey(
    stages=["buy", "use", "help"],
    touchpoints=[
        {"id": "shop", "name": "Shop", "stage": "buy", "channel": "store", "owner": "Retail"},
        {
            "id": "web",
            "name": "Web checkout",
            "stage": "buy",
            "channel": "web",
            "owner": "Digital",
        },
        {"id": "app", "name": "App", "stage": "use", "channel": "app", "owner": "Digital"},
        {"id": "chat", "name": "Chat", "stage": "help", "channel": "chat", "owner": "Care"},
        {"id": "phone", "name": "Phone", "stage": "help", "channel": "phone", "owner": "Care"},
        {"id": "fax", "name": "Fax", "stage": "help", "channel": "fax", "owner": "Care"},
    ],
)


def events_small() -> pd.DataFrame:
    """Eleven hand-made events; 'fax' has none and 'telex' is not in the journey."""
    return pd.DataFrame(
        {
            "customer_id": [1, 2, 3, 1, 1, 2, 4, 1, 2, 3, 5],
            "touchpoint_id": [
                "shop",
                "shop",
                "web",
                "app",
                "app",
                "app",
                "app",
                "chat",
                "chat",
                "phone",
                "telex",
            ],
            "completed": [True, True, False, True, True, None, True, False, True, True, True],
            "duration_s": [600, 900, 300, 60, 120, 90, 30, 800, 1000, 400, 5],
            "csat": [5, 4, 2, 5, 4, np.nan, 3, 1, 2, 4, 5],
            "effort": [6, 5, 2, 7, 6, np.nan, 4, 1, 3, 5, 7],
        }
    )


CUSTOMERS = pd.DataFrame({"customer_id": range(1, 11)})  # a base of 10


def metric(card: pd.DataFrame, tp: str, name: str) -> pd.Series:
    return card[(card["touchpoint_id"] == tp) & (card["metric"] == name)].iloc[0]


# --------------------------------------------------------------------------- definition


def test_touchpoint_table_orders_by_stage_and_checks_input():
    plan = Journey(
        stages=["a", "b"],
        touchpoints=[
            {"id": "late", "name": "L", "stage": "b", "channel": "web"},
            {"id": "early", "name": "E", "stage": "a", "channel": "web"},
        ],
    )
    table = journey.touchpoint_table(plan)
    assert table["touchpoint_id"].tolist() == ["early", "late"]
    assert table["stage_order"].tolist() == [0, 1]
    with pytest.raises(TypeError):
        journey.touchpoint_table({"stages": []})
    with pytest.raises(JourneyError, match="empty"):
        journey.touchpoint_table(Journey(stages=["a"]))


def test_unmapped_counts_events_outside_the_journey():
    stray = journey.unmapped(events_small(), PLAN)
    assert stray.values.tolist() == [["telex", 1]]
    assert say.unmapped(stray, total=11) == (
        "1 of 11 events (9.1%) names a touchpoint the journey does not define (telex) and is "
        "left out; add it to journey.touchpoints to include it."
    )
    assert (
        say.unmapped(stray.iloc[0:0], total=11)
        == "All 11 events belong to touchpoints of the journey."
    )


def test_unmapped_sentences_for_one_event_or_touchpoint_and_for_several():
    def stray(**counts: int) -> pd.DataFrame:
        return pd.DataFrame({"touchpoint_id": list(counts), "n": list(counts.values())})

    assert (
        say.unmapped(stray(), total=1) == "The one event belongs to a touchpoint of the journey."
    )
    assert say.unmapped(stray(fax=1), total=1) == (
        "The one event names a touchpoint the journey does not define (fax) and is left out; "
        "add it to journey.touchpoints to include it."
    )
    assert say.unmapped(stray(fax=3), total=8) == (
        "3 of 8 events (37.5%) name a touchpoint the journey does not define (fax) and are "
        "left out; add it to journey.touchpoints to include them."
    )
    assert say.unmapped(stray(fax=3, telex=1), total=8) == (
        "4 of 8 events (50.0%) name touchpoints the journey does not define (fax, telex) and "
        "are left out; add them to journey.touchpoints to include them."
    )


# --------------------------------------------------------------------------- scorecard


def test_scorecard_hand_checkable_values():
    card = journey.touchpoint_scorecard(events_small(), PLAN, customers=CUSTOMERS, min_n=4)
    app = {m: metric(card, "app", m) for m in card["metric"].unique()}
    assert app["volume"]["estimate"] == 4 and app["volume"]["n"] == 4
    # reach: customers 1, 2 and 4 of a base of 10
    assert app["reach"]["estimate"] == pytest.approx(0.3) and app["reach"]["n"] == 10
    low, high = proportion_confint(3, 10, alpha=0.05, method="wilson")
    assert app["reach"]["ci_low"] == pytest.approx(low) and app["reach"][
        "ci_high"
    ] == pytest.approx(high)
    # completion: 3 of the 3 events with a known outcome; drop-off mirrors it
    assert app["completion"]["n"] == 3 and app["completion"]["estimate"] == 1.0
    assert app["drop_off"]["estimate"] == 0.0
    assert app["drop_off"]["ci_high"] == pytest.approx(1 - app["completion"]["ci_low"])
    # CSAT top-2: 5, 4, 3 rated -> 2 of 3
    assert app["csat"]["n"] == 3 and app["csat"]["estimate"] == pytest.approx(2 / 3)
    low, high = proportion_confint(2, 3, alpha=0.05, method="wilson")
    assert app["csat"]["ci_low"] == pytest.approx(low)
    # effort: 7, 6, 4 -> mean 17/3 with a t interval
    ref = sps.t.interval(0.95, 2, loc=17 / 3, scale=sps.sem([7, 6, 4]))
    assert app["effort"]["estimate"] == pytest.approx(17 / 3)
    assert app["effort"]["ci_low"] == pytest.approx(ref[0]) and app["effort"][
        "ci_high"
    ] == pytest.approx(ref[1])
    # median duration of 60, 120, 90, 30 is 75
    assert app["duration_s"]["estimate"] == 75.0
    assert bool(app["volume"]["small_n"]) is False
    assert bool(app["csat"]["small_n"]) is True
    # journey order, touchpoint with no events kept, touchpoint outside the journey left out
    assert card["touchpoint_id"].unique().tolist() == [
        "shop",
        "web",
        "app",
        "chat",
        "phone",
        "fax",
    ]
    fax = card[card["touchpoint_id"] == "fax"]
    rest = fax[~fax["metric"].isin(["volume", "reach"])]
    assert (rest["n"] == 0).all() and rest["estimate"].isna().all() and rest["small_n"].all()
    assert (
        metric(card, "fax", "reach")["estimate"] == 0 and metric(card, "fax", "reach")["n"] == 10
    )
    assert metric(card, "fax", "volume")["estimate"] == 0
    assert set(card.columns) >= {"stage", "name", "channel", "owner", "n_eff", "small_n"}


def test_median_interval_uses_order_statistics():
    rng = np.random.default_rng(4)
    durations = rng.integers(10, 1000, 41)
    ev = pd.DataFrame({"customer_id": range(41), "touchpoint_id": "app", "duration_s": durations})
    row = metric(journey.touchpoint_scorecard(ev, PLAN), "app", "duration_s")
    x = np.sort(durations)
    lo = int(sps.binom.ppf(0.025, 41, 0.5))
    assert row["estimate"] == np.median(durations)
    assert row["ci_low"] == x[lo - 1] and row["ci_high"] == x[41 - lo]
    # binomial coverage of the ranks is at least 95%
    assert sps.binom.cdf(41 - lo, 41, 0.5) - sps.binom.cdf(lo - 1, 41, 0.5) >= 0.95


def test_scorecard_base_defaults_to_customers_seen_and_skips_absent_columns():
    ev = events_small()[["customer_id", "touchpoint_id"]]
    card = journey.touchpoint_scorecard(ev, PLAN)
    assert set(card["metric"]) == {"volume", "reach"}
    assert metric(card, "app", "reach")["n"] == 5  # five distinct customers in the events
    with pytest.raises(ValueError, match="confidence"):
        journey.touchpoint_scorecard(ev, PLAN, confidence=1.5)


def test_scorecard_wide_and_journey_map():
    card = journey.touchpoint_scorecard(events_small(), PLAN, customers=CUSTOMERS)
    wide = journey.scorecard_wide(card)
    assert wide["touchpoint_id"].tolist() == ["shop", "web", "app", "chat", "phone", "fax"]
    assert wide.set_index("touchpoint_id").loc["chat", "csat_estimate"] == 0.0
    assert wide.set_index("touchpoint_id").loc["shop", "reach_estimate"] == pytest.approx(0.2)
    cells = journey.journey_map(card)
    assert cells["channel"].tolist() == ["store", "web", "app", "chat", "phone", "fax"]
    assert cells["channel_order"].tolist() == [0, 1, 2, 3, 4, 5]
    assert cells.set_index("touchpoint_id").loc["shop", "estimate"] == 1.0
    assert cells.set_index("touchpoint_id").loc["app", "reach"] == pytest.approx(0.3)
    with pytest.raises(JourneyError, match="no 'nps'"):
        journey.journey_map(card, metric="nps")


# --------------------------------------------------------------------------- funnel and curves


def test_stage_funnel_by_hand():
    out = journey.stage_funnel(events_small(), PLAN, customers=CUSTOMERS, min_n=1)
    # buy: 1, 2, 3; use: 1, 2, 4; help: 1, 2, 3 (telex is ignored)
    assert out["n"].tolist() == [3, 3, 3]
    assert out["estimate"].tolist() == pytest.approx([0.3, 0.3, 0.3])
    assert out["continued"].tolist()[1:] == [2, 2]  # {1,2} then {1,2}
    assert out["conversion"].tolist()[1:] == pytest.approx([2 / 3, 2 / 3])
    low, _ = proportion_confint(2, 3, alpha=0.05, method="wilson")
    assert out.loc[1, "conversion_ci_low"] == pytest.approx(low)
    assert out.loc[1, "drop_off"] == pytest.approx(1 / 3)
    # completed at least one task: buy 1, 2 (3's checkout failed); use 1, 4 (2's outcome is
    # unknown); help 2, 3
    assert out["completed_share"].tolist() == pytest.approx([2 / 3, 2 / 3, 2 / 3])
    assert np.isnan(out.loc[0, "conversion"])


def test_emotion_curve_and_persona_stage_by_hand():
    people = pd.DataFrame(
        {"customer_id": [1, 2, 3, 4], "persona_id": [1, 1, 2, 2], "persona": ["A", "A", "B", "B"]}
    )
    curve = journey.emotion_curve(events_small(), PLAN, personas=people, min_n=1)
    whole = curve[curve["persona_id"] == 0].set_index("stage")
    assert whole.loc["buy", "estimate"] == pytest.approx((5 + 4 + 2) / 3)
    assert whole.loc["help", "estimate"] == pytest.approx((1 + 2 + 4) / 3)
    a = curve[curve["persona"] == "A"].set_index("stage")
    assert a.loc["use", "estimate"] == pytest.approx(4.5) and a.loc["use", "n"] == 2
    assert curve["persona"].iloc[0] == journey.ALL_CUSTOMERS
    heat = journey.persona_stage(events_small(), people, PLAN, min_n=1)
    b = heat[heat["persona"] == "B"].set_index("stage")
    # B at help: customer 3's phone rating 4 -> 1 of 1 satisfied; everyone: 1 of 3
    assert b.loc["help", "estimate"] == 1.0
    assert b.loc["help", "difference"] == pytest.approx(1 - 1 / 3)
    alone = journey.persona_stage(events_small(), None, PLAN)
    assert set(alone["persona"]) == {journey.ALL_CUSTOMERS}


# --------------------------------------------------------------------------- channels


def channel_events(seed: int = 8) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    parts = []
    for tp, mean, n in (
        ("shop", 4.2, 60),
        ("web", 3.9, 80),
        ("chat", 2.8, 90),
        ("phone", 3.6, 70),
        ("fax", 3.5, 25),
        ("app", 4.0, 50),
    ):
        parts.append(
            pd.DataFrame(
                {
                    "customer_id": rng.integers(0, 500, n),
                    "touchpoint_id": tp,
                    "csat": np.clip(np.rint(rng.normal(mean, 1.0, n)), 1, 5),
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def test_channel_consistency_matches_statsmodels_and_scipy():
    ev = channel_events()
    out = journey_pain.channel_consistency(ev, PLAN).set_index("stage")
    assert list(out.index) == ["buy", "help"]  # 'use' has a single channel
    groups = [ev.loc[ev["touchpoint_id"] == t, "csat"] for t in ("chat", "phone", "fax")]
    ref = anova_oneway(groups, use_var="unequal")
    help_ = out.loc["help"]
    assert help_["statistic"] == pytest.approx(ref.statistic, rel=1e-9)
    assert help_["p_value"] == pytest.approx(ref.pvalue, rel=1e-9)
    assert help_["df_denom"] == pytest.approx(ref.df[1], rel=1e-9)
    means = {t: g.mean() for t, g in zip(("chat", "phone", "fax"), groups, strict=True)}
    best = max(means, key=means.get)
    assert help_["worst_channel"] == "chat" and help_["best_channel"] == best
    assert help_["n_channels"] == 3 and help_["n"] == sum(len(g) for g in groups)
    # two channels: Welch ANOVA is Welch's t-test, and the gap's interval is Welch's
    shop, web = (ev.loc[ev["touchpoint_id"] == t, "csat"] for t in ("shop", "web"))
    t = sps.ttest_ind(shop, web, equal_var=False)
    buy = out.loc["buy"]
    assert buy["statistic"] == pytest.approx(t.statistic**2, rel=1e-9)
    assert buy["p_value"] == pytest.approx(t.pvalue, rel=1e-9)
    sign = 1 if shop.mean() > web.mean() else -1
    ci = t.confidence_interval(0.95)
    assert buy["estimate"] == pytest.approx(abs(shop.mean() - web.mean()))
    assert sorted([buy["ci_low"], buy["ci_high"]]) == pytest.approx(
        sorted([sign * ci.low, sign * ci.high])
    )
    holm = multipletests(out["p_value"], method="holm")[1]
    np.testing.assert_allclose(out["p_adjusted"], holm)
    assert bool(out.loc["help", "small_n"]) is True  # fax has 25 ratings


def test_stage_channel_scores_means():
    ev = channel_events()
    scores = journey_pain.stage_channel_scores(ev, PLAN).set_index("channel")
    assert scores.loc["chat", "estimate"] == pytest.approx(
        ev.loc[ev["touchpoint_id"] == "chat", "csat"].mean()
    )
    assert scores.loc["chat", "sd"] == pytest.approx(
        ev.loc[ev["touchpoint_id"] == "chat", "csat"].std()
    )


# --------------------------------------------------------------------------- impact and pain


def impact_data(seed: int = 1, n: int = 600):
    """Respondents, their rated experiences (before the answer) and a planted chat penalty."""
    rng = np.random.default_rng(seed)
    cust = np.arange(n)
    at = pd.Timestamp("2026-06-01")
    rows = []
    for tp, p_use, p_bad in (("chat", 0.5, 0.6), ("app", 0.7, 0.2), ("shop", 0.3, 0.3)):
        used = rng.random(n) < p_use
        bad = used & (rng.random(n) < p_bad)
        csat = np.where(bad, rng.integers(1, 4, n), rng.integers(4, 6, n))
        rows.append(
            pd.DataFrame(
                {
                    "customer_id": cust[used],
                    "touchpoint_id": tp,
                    "csat": csat[used],
                    "occurred_at": at - pd.Timedelta(days=10),
                }
            )
        )
    ev = pd.concat(rows, ignore_index=True)
    bad_chat = ev[(ev["touchpoint_id"] == "chat") & (ev["csat"] <= 3)]["customer_id"]
    latent = 8 + rng.normal(0, 1.5, n) - 3.0 * np.isin(cust, bad_chat)
    resp = pd.DataFrame(
        {
            "customer_id": cust,
            "nps": np.clip(np.rint(latent), 0, 10),
            "survey": "relationship",
            "wave": "W1",
            "responded_at": at,
        }
    )
    return resp, ev


def test_touchpoint_impact_equals_statsmodels_ols_hc1():
    resp, ev = impact_data()
    model = journey_pain.touchpoint_impact(resp, ev, PLAN, min_cases=10)
    y = np.select([resp["nps"] >= 9, resp["nps"] <= 6], [100.0, -100.0], 0.0)
    cols = {}
    for tp in ("app", "chat", "shop"):  # journey order: shop, app, chat; rated first, then bad
        mine = ev[ev["touchpoint_id"] == tp]
        cols[f"rated_{tp}"] = resp["customer_id"].isin(mine["customer_id"]).astype(float)
        cols[f"bad_{tp}"] = (
            resp["customer_id"].isin(mine.loc[mine["csat"] <= 3, "customer_id"]).astype(float)
        )
    x = pd.DataFrame(cols)
    design = sm.add_constant(
        x[["rated_shop", "rated_app", "rated_chat", "bad_shop", "bad_app", "bad_chat"]]
    )
    ref = sm.OLS(y, design).fit(cov_type="HC1")
    table = model.table.set_index("touchpoint_id")
    for tp in ("shop", "app", "chat"):
        assert table.loc[tp, "estimate"] == pytest.approx(ref.params[f"bad_{tp}"], rel=1e-9)
        assert table.loc[tp, "se"] == pytest.approx(ref.bse[f"bad_{tp}"], rel=1e-9)
        assert table.loc[tp, "p_value"] == pytest.approx(ref.pvalues[f"bad_{tp}"], rel=1e-6)
        ci = ref.conf_int().loc[f"bad_{tp}"]
        assert table.loc[tp, "ci_low"] == pytest.approx(ci[0], rel=1e-9)
        assert table.loc[tp, "n"] == x[f"bad_{tp}"].sum()
    assert model.r_squared == pytest.approx(ref.rsquared, rel=1e-9)
    assert model.n == 600
    # the planted penalty shows up on chat only
    assert (
        table.loc["chat", "ci_high"] < 0
        and table.loc["app", "ci_low"] < 0 < table.loc["app", "ci_high"]
    )
    assert not table.loc[["web", "phone", "fax"], "in_model"].any()
    json.dumps(model.to_dict(), allow_nan=False)


def test_touchpoint_impact_counts_only_earlier_events_within_the_window():
    resp, ev = impact_data()
    later = ev.assign(occurred_at=pd.Timestamp("2026-07-01"))  # after every answer
    model = journey_pain.touchpoint_impact(resp, later, PLAN)
    assert (model.table["n_rated"] == 0).all() and not model.table["in_model"].any()
    windowed = journey_pain.touchpoint_impact(resp, ev, PLAN, window_days=5)
    assert (windowed.table["n_rated"] == 0).all()
    wide = journey_pain.touchpoint_impact(resp, ev, PLAN, window_days=30)
    assert wide.table.set_index("touchpoint_id").loc["chat", "n_rated"] > 0
    with pytest.raises(JourneyError, match="no survey responses"):
        journey_pain.touchpoint_impact(resp, ev, PLAN, wave="W9")


def test_pain_points_formula_and_ranking():
    card = journey.touchpoint_scorecard(events_small(), PLAN, customers=CUSTOMERS)
    impact = pd.DataFrame(
        {
            "touchpoint_id": ["shop", "web", "app", "chat", "phone", "fax"],
            "n": [5, 5, 40, 50, 10, 0],
            "estimate": [-10.0, -20.0, -30.0, -40.0, 5.0, np.nan],
            "ci_low": [-20.0, -35.0, -45.0, -60.0, -5.0, np.nan],
            "ci_high": [0.0, -5.0, -15.0, -20.0, 15.0, np.nan],
            "p_value": [0.05, 0.01, 0.001, 0.0001, 0.3, np.nan],
            "small_n": [True, True, False, False, True, True],
        }
    )
    pains = journey_pain.pain_points(card, impact).set_index("touchpoint_id")
    # chat: dissatisfaction 2/2 rated not satisfied = 1, reach 2/10, loss 40 -> 8 points
    assert pains.loc["chat", "dissatisfaction"] == 1.0
    assert pains.loc["chat", "reach"] == pytest.approx(0.2)
    assert pains.loc["chat", "estimate"] == pytest.approx(8.0)
    assert pains.loc["chat", "ci_low"] == pytest.approx(4.0) and pains.loc[
        "chat", "ci_high"
    ] == pytest.approx(12.0)
    # app: 1 of 3 not satisfied, reach 0.3, loss 30 -> 3 points
    assert pains.loc["app", "estimate"] == pytest.approx(3.0)
    # web: 1 of 1 not satisfied, reach 0.1, loss 20 -> 2 points
    assert pains.loc["web", "estimate"] == pytest.approx(2.0)
    # a touchpoint that goes with a higher score costs nothing; no impact ranks last
    assert pains.loc["phone", "estimate"] == 0.0 and pains.loc["phone", "impact"] == -5.0
    assert pains["rank"].tolist() == [1, 2, 3, 4, 5, 6]
    assert pains.index.tolist()[:3] == ["chat", "app", "web"] and pains.index[-1] == "fax"


def test_audit_results_are_plain_json():
    resp, ev = impact_data()
    card = journey.touchpoint_scorecard(ev, PLAN)
    impact = journey_pain.touchpoint_impact(resp, ev, PLAN)
    pains = journey_pain.pain_points(card, impact)
    out = journey_pain.audit_results(
        card,
        journey.stage_funnel(ev, PLAN),
        pains,
        journey_pain.channel_consistency(ev, PLAN),
        impact,
        top=2,
    )
    text = json.dumps(out, allow_nan=False)
    assert len(out["top_pain_points"]) == 2 and "dissatisfaction x reach" in text
    assert out["top_pain_points"][0]["touchpoint_id"] == "chat"


# --------------------------------------------------------------------------- sentences


def test_journey_sentences_in_words_and_escaped():
    pains = pd.DataFrame(
        [
            {
                "stage": "help",
                "channel": "chat",
                "owner": "<Care>",
                "name": "Chat & co",
                "dissatisfaction": 0.6,
                "reach": 0.4,
                "impact": 40.0,
                "impact_ci_low": 30.0,
                "impact_ci_high": 50.0,
                "estimate": 9.6,
                "ci_low": 7.2,
                "ci_high": 12.0,
                "small_n": True,
            }
        ]
    )
    words = say.pain_points(pains)
    assert "&lt;Care&gt;" in words and "Chat &amp; co" in words and "small base" in words
    assert "NPS 40 points lower (95% CI 30 to 50)" in words
    assert "about 9.6 NPS points lost across the base (95% CI 7.2 to 12.0)" in words
    assert say.journey_headline(pains).startswith("The biggest pain point is Chat & co: 60%")
    assert say.pain_points(pains.iloc[0:0]).startswith("No touchpoint")
    funnel = journey.stage_funnel(events_small(), PLAN)
    assert "between buy and use" in say.funnel(funnel)
    for seen, customers in ((1, "1 customer"), (40, "40 customers")):
        moves = pd.DataFrame(
            {"stage": ["a", "b"], "n": [seen, 0], "drop_off": [None, 1.0],
             "previous": [None, seen], "continued": [None, 0]}
        )  # fmt: skip
        assert say.funnel(moves) == (
            f"The largest loss is between a and b: of {customers} seen at a, 100% are not seen "
            "at b."
        )
    cons = pd.DataFrame(
        {
            "stage": ["help", "buy"],
            "best_channel": ["phone", "web"],
            "best_mean": [3.9, 4.0],
            "worst_channel": ["chat", "shop"],
            "worst_mean": [3.0, 3.9],
            "estimate": [0.9, 0.1],
            "ci_low": [0.7, -0.1],
            "ci_high": [1.1, 0.3],
            "p_adjusted": [0.0001, 0.6],
        }
    )
    text = say.channel_consistency(cons)
    assert "**help**: phone scores 3.90 against chat 3.00" in text and "p < 0.001" in text
    assert text.endswith("\n\nThe other stage shows no channel gap beyond chance.")
    three = pd.concat([cons, cons.iloc[1:].assign(stage="use")], ignore_index=True)
    assert say.channel_consistency(three).endswith(
        "\n\nThe other 2 stages show no channel gap beyond chance."
    )
    assert not say.channel_consistency(cons.iloc[:1]).endswith("chance.")
    assert "consistent" in say.channel_consistency(cons.assign(p_adjusted=0.5))
    table = say.scorecard_table(journey.touchpoint_scorecard(events_small(), PLAN))
    assert table.columns.tolist()[:4] == ["Stage", "Touchpoint", "Channel", "Owner"]
    assert table.loc[2, "Median time"] == "1.2 min" and table.loc[5, "CSAT CI"] == "n/a"


def test_demo_pain_ranking_puts_the_planted_worst_touchpoint_first(tmp_path_factory):
    from cxlib import config, ingest

    clean = tmp_path_factory.mktemp("demo_clean_journey")
    ingest.ingest(DEMO, clean)
    cfg = config.load_engagement(DEMO)
    ev = pd.read_parquet(clean / "touchpoint_events.parquet")
    resp = pd.read_parquet(clean / "responses.parquet")
    card = journey.touchpoint_scorecard(
        ev, cfg.journey, customers=pd.read_parquet(clean / "customers.parquet")
    )
    pains = journey_pain.pain_points(card, journey_pain.touchpoint_impact(resp, ev, cfg.journey))
    truth = yaml.safe_load((DEMO / "truth" / "effects.yaml").read_text(encoding="utf-8"))
    worst = truth["worst_touchpoint"]["touchpoint_id"]
    assert pains.iloc[0]["touchpoint_id"] == worst
    assert pains.iloc[0]["ci_low"] > 0  # its cost is distinguishable from zero
    support = journey_pain.channel_consistency(ev, cfg.journey).set_index("stage").loc["support"]
    assert support["worst_channel"] == "chat" and support["p_adjusted"] < 0.001
