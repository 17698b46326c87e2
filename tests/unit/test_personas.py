"""Tests for step 2: cxlib.personas, personas_features, personas_profile and their sentences.

References used here:
- Standardisation, log1p, Wilson shares, NPS: computed by hand in the tests (numpy).
- Silhouette and adjusted Rand index: scikit-learn ``silhouette_score`` and
  ``adjusted_rand_score``, with k-means refitted in the test with the documented settings.
- Wilson interval: statsmodels ``proportion_confint(count, nobs, method="wilson")``.
- NPS per persona: cxlib.stats.nps on each persona's rows (itself checked against Rocks 2016).
- VADER sentiment: cxlib.text.sentiment (checked against the VADER README in test_text).
- Demo: data/demo/truth/segments.csv, the segment each customer was generated from.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score, silhouette_score
from statsmodels.stats.proportion import proportion_confint

from cxlib import narrative_journey as say
from cxlib import personas, personas_profile, stats, text
from cxlib.config import PersonaCard, PersonaRule, Personas
from cxlib.personas import PersonaError

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "data" / "demo"
FEATURES = ["tenure_months", "annual_revenue", "logins", "contacts", "channel"]
CENTRES = {  # tenure, revenue (median), logins, contacts, channel mix (app, web, store, phone)
    "Digital": (10, 400, 30, 0.5, (0.8, 0.15, 0.03, 0.02)),
    "Loyal": (90, 900, 6, 1.0, (0.1, 0.3, 0.4, 0.2)),
    "Business": (40, 4000, 10, 6.0, (0.05, 0.15, 0.2, 0.6)),
    "Light": (20, 120, 1, 0.3, (0.05, 0.15, 0.7, 0.1)),
}


def planted(n: int = 1600, seed: int = 3) -> tuple[pd.DataFrame, np.ndarray]:
    """Customers from four planted segments of unequal size; revenue is log-normal."""
    rng = np.random.default_rng(seed)
    names = list(CENTRES)
    seg = rng.choice(4, size=n, p=[0.4, 0.25, 0.2, 0.15])
    c = np.array([CENTRES[names[s]][:4] for s in seg], dtype=float)
    mix = np.array([CENTRES[names[s]][4] for s in seg])
    channel = np.array(["app", "web", "store", "phone"])[
        (rng.random(n)[:, None] > np.cumsum(mix, axis=1)).sum(axis=1)
    ]
    frame = pd.DataFrame(
        {
            "customer_id": [f"C{i:05d}" for i in range(n)],
            "tenure_months": np.clip(rng.normal(c[:, 0], c[:, 0] * 0.15), 0, None).round(),
            "annual_revenue": np.round(c[:, 1] * rng.lognormal(0, 0.25, n), 2),
            "logins": rng.poisson(c[:, 2]),
            "contacts": rng.poisson(c[:, 3]),
            "channel": channel,
            "region": rng.choice(["North", "South"], n),
            "primary_channel": channel,
        }
    )
    return frame, seg


@pytest.fixture(scope="module")
def planted_model():
    customers, truth = planted()
    return customers, truth, personas.segment(customers, features=FEATURES, seed=1, k_range=(2, 6))


# --------------------------------------------------------------------------- features


def test_numeric_feature_reads_numbers_in_text_and_leaves_categories():
    assert personas.numeric_feature(pd.Series(["3", " 4.5", "", None])).tolist()[:2] == [3.0, 4.5]
    assert personas.numeric_feature(pd.Series([True, False])).tolist() == [1.0, 0.0]
    assert personas.numeric_feature(pd.Series(["app", "3"])) is None
    assert personas.numeric_feature(pd.Series([None, None], dtype="string")) is None


def test_persona_features_standardises_logs_skewed_and_one_hots_by_hand():
    x = np.array([1.0, 2.0, 3.0, 4.0, 100.0, 2.0])  # skewed: log1p
    frame = pd.DataFrame(
        {
            "customer_id": range(6),
            "spend": x,
            "flag": ["1", "0", "0", "1", "0", None],  # text 0/1 with a missing value
            "tenure": [1.0, 2.0, np.nan, 4.0, 5.0, 6.0],  # not skewed; one missing
            "channel": ["app", "web", "app", None, "web", "web"],
        }
    )
    out = personas.persona_features(frame, features=["spend", "flag", "tenure", "channel"])
    lx = np.log1p(x)
    np.testing.assert_allclose(out.values["spend"], (lx - lx.mean()) / lx.std(), rtol=1e-12)
    tenure = np.array([1.0, 2.0, 4.0, 4.0, 5.0, 6.0])  # median of the rest is 4
    np.testing.assert_allclose(out.values["tenure"], (tenure - tenure.mean()) / tenure.std())
    flag = np.array([1.0, 0.0, 0.0, 1.0, 0.0, 0.0])  # missing takes the median, 0
    np.testing.assert_allclose(out.values["flag"], (flag - flag.mean()) / flag.std())
    assert out.values["channel=app"].tolist() == [1, 0, 1, 0, 0, 0]
    assert out.values["channel=web"].tolist() == [0, 1, 0, 0, 1, 1]
    t = out.transforms.set_index("column")
    assert t.loc["spend", "transform"] == "log1p"
    assert t.loc["flag", "transform"] == "binary"
    assert t.loc["tenure", "transform"] == "numeric"
    assert t.loc["channel=app", "transform"] == "one_hot"
    assert t.loc["tenure", "n_missing"] == 1
    assert t.loc["flag", "n_missing"] == 1
    assert t.loc["spend", "center"] == pytest.approx(lx.mean())
    assert list(out.values.index) == list(range(6))


def test_persona_features_explicit_log_list_and_errors():
    frame = pd.DataFrame({"customer_id": [1, 2, 3], "a": [1.0, 2.0, 3.0], "b": [-1.0, 0, 1]})
    out = personas.persona_features(frame, features=["a"], log=["a"])
    assert out.transforms.loc[0, "transform"] == "log1p"
    with pytest.raises(PersonaError, match="negative"):
        personas.persona_features(frame, features=["b"], log=["b"])
    with pytest.raises(PersonaError, match="empty"):
        personas.persona_features(frame, features=[])
    with pytest.raises(ValueError, match="not found"):
        personas.persona_features(frame, features=["zzz"])
    with pytest.raises(PersonaError, match="repeats"):
        personas.persona_features(frame.assign(customer_id=[1, 1, 2]), features=["a"])
    # negative values with log="auto": left unlogged rather than an error
    auto = personas.persona_features(frame, features=["b"])
    assert auto.transforms.loc[0, "transform"] == "numeric"


# --------------------------------------------------------------------------- choosing k


def test_select_k_matches_sklearn_silhouette_and_a_replayed_stability():
    customers, _ = planted(n=300, seed=5)
    feats = personas.persona_features(customers, features=FEATURES)
    x = feats.values.to_numpy()
    out = personas.select_k(feats, k_range=(2, 4), seed=7, n_resamples=4)
    # replay the documented algorithm independently
    rng = np.random.default_rng(7)
    rng.choice(len(x), len(x), replace=False)  # the silhouette subset (here: everyone)
    for k in (2, 3, 4):
        ref = KMeans(k, n_init=4, random_state=7).fit(x).labels_
        draws = rng.integers(0, len(x), (4, len(x)))
        aris = [
            adjusted_rand_score(
                ref, KMeans(k, n_init=1, random_state=7 + b + 1).fit(x[i]).predict(x)
            )
            for b, i in enumerate(draws)
        ]
        row = out.set_index("k").loc[k]
        assert row["silhouette"] == pytest.approx(silhouette_score(x, ref), abs=1e-9)
        assert row["stability"] == pytest.approx(np.mean(aris), abs=1e-12)
        assert row["stability_sd"] == pytest.approx(np.std(aris, ddof=1), abs=1e-12)
    assert out["n"].tolist() == [300] * 3
    assert out["chosen"].sum() == 1


def test_select_k_recovers_planted_segments_and_is_reproducible(planted_model):
    customers, truth, model = planted_model
    assert model.k == 4
    assert model.reason == "best_silhouette_stable"
    chosen = model.selection.set_index("k").loc[4]
    assert chosen["stable"] and chosen["chosen"]
    assert chosen["silhouette"] == model.selection["silhouette"][model.selection["stable"]].max()
    ari = adjusted_rand_score(truth, model.assignments["persona_id"])
    assert ari >= 0.8
    again = personas.segment(customers, features=FEATURES, seed=1, k_range=(2, 6))
    pd.testing.assert_frame_equal(again.assignments, model.assignments)
    pd.testing.assert_frame_equal(again.selection, model.selection)


def test_select_k_falls_back_to_the_most_stable_and_checks_arguments():
    customers, _ = planted(n=200, seed=9)
    feats = personas.persona_features(customers, features=FEATURES)
    out = personas.select_k(feats, k_range=(2, 4), n_resamples=3, min_stability=1.01)
    assert not out["stable"].any()
    assert out.loc[out["chosen"], "k"].item() == out.loc[out["stability"].idxmax(), "k"]
    with pytest.raises(PersonaError, match="k_range"):
        personas.select_k(feats, k_range=(1, 3))
    with pytest.raises(PersonaError, match="too few"):
        personas.select_k(feats.values.head(4), k_range=(2, 4))
    with pytest.raises(ValueError, match="n_resamples"):
        personas.select_k(feats, n_resamples=1)
    with pytest.raises(PersonaError, match="missing"):
        personas.select_k(pd.DataFrame({"a": [1.0, np.nan, 2.0, 3.0]}), k_range=(2, 2))


def test_select_k_subsamples_large_bases():
    customers, _ = planted(n=900, seed=2)
    out = personas.select_k(
        personas.persona_features(customers, features=FEATURES),
        k_range=(3, 4),
        n_resamples=2,
        max_sample=400,
        silhouette_sample=100,
    )
    assert out["n"].tolist() == [400, 400]


# --------------------------------------------------------------------------- the model


def test_segment_orders_by_size_and_records_centres(planted_model):
    customers, _, model = planted_model
    sizes = model.personas["n"].tolist()
    assert sizes == sorted(sizes, reverse=True)
    assert model.personas["n"].sum() == len(customers)
    assert model.personas["share"].sum() == pytest.approx(1.0)
    assert model.personas["persona"].tolist() == [f"Persona {i}" for i in range(1, 5)]
    feats = personas.persona_features(customers, features=FEATURES).values
    by_hand = feats.groupby(model.assignments["persona_id"].to_numpy()).mean()
    np.testing.assert_allclose(model.centres.to_numpy(), by_hand.to_numpy(), atol=1e-12)
    assert list(model.centres.columns) == list(feats.columns)
    d = model.to_dict()
    json.dumps(d, allow_nan=False)
    assert d["k"] == 4 and len(d["centres"]) == 4 and len(d["selection"]) == 5
    assert "Persona 1" in model._repr_html_()


def test_cards_follow_their_match_features_not_the_list_order(planted_model):
    customers, truth, model = planted_model
    cards = [  # deliberately listed smallest segment first
        PersonaCard(name="Light", match={"annual_revenue": "low", "logins": "low"}),
        PersonaCard(name="Business", match={"contacts": "high", "annual_revenue": "high"}),
        PersonaCard(name="Loyal", match={"tenure_months": "high"}),
        PersonaCard(name="Digital", match={"logins": "high", "channel=app": "high"}),
    ]
    named = personas.segment(customers, features=FEATURES, seed=1, k=4, cards=cards)
    planted_name = np.array(list(CENTRES))[truth]
    table = pd.crosstab(named.assignments["persona"], planted_name)
    for name in CENTRES:  # each card sits on the segment it describes
        assert table.loc[name].idxmax() == name
    matched = personas.match_cards(named, cards)
    assert [c.name for c in matched] == named.personas["persona"].tolist()


def test_cards_without_match_name_clusters_in_size_order_and_extra_personas_get_numbers():
    customers, _ = planted(n=400)
    cards = [PersonaCard(name="First"), PersonaCard(name="Second")]
    model = personas.segment(customers, features=FEATURES, k=3, cards=cards)
    assert model.personas["persona"].tolist() == ["First", "Second", "Persona 3"]
    assert [c.name if c else None for c in personas.match_cards(model, cards)] == [
        "First",
        "Second",
        None,
    ]
    assert model.reason == "forced" and model.selection is None


def test_segment_refuses_bad_k_and_unknown_match_features():
    customers, _ = planted(n=100)
    with pytest.raises(PersonaError, match="personas.k"):
        personas.segment(customers, features=FEATURES, k=100)
    with pytest.raises(PersonaError, match="not a segmentation feature"):
        personas.segment(
            customers, features=FEATURES, k=2, cards=[PersonaCard(name="X", match={"age": "high"})]
        )


def test_assign_rules_first_match_wins_with_everyone_else():
    customers = pd.DataFrame(
        {
            "customer_id": [1, 2, 3, 4, 5],
            "is_business": ["1", "0", "1", "0", "0"],  # text, as ingest delivers extra columns
            "tenure_months": [5.0, 40.0, 50.0, np.nan, 2.0],
        }
    )
    responses = pd.DataFrame({"customer_id": [2, 5, 5], "nps": [3, 10, 2]})
    rules = [
        PersonaRule(
            name="Business",
            conditions=[{"table": "customers", "column": "is_business", "op": "==", "value": 1}],
        ),
        PersonaRule(
            name="Loyal",
            conditions=[
                {"table": "customers", "column": "tenure_months", "op": ">=", "value": 24}
            ],
        ),
        PersonaRule(
            name="Unhappy",
            conditions=[{"table": "responses", "column": "nps", "op": "<=", "value": 6}],
        ),
    ]
    model = personas.assign_rules(customers, rules, responses=responses)
    assert model.assignments["persona"].tolist() == [
        "Business",
        "Loyal",
        "Business",
        "Everyone else",
        "Unhappy",
    ]
    assert model.personas["n"].tolist() == [2, 1, 1, 1]
    assert model.k == 4 and model.method == "rules" and model.centres is None


def test_assign_rules_keeps_empty_rules_and_explains_errors():
    customers = pd.DataFrame({"customer_id": [1, 2], "plan": ["a", "b"], "x": [1.0, 2.0]})
    rule = PersonaRule(
        name="Big", conditions=[{"table": "customers", "column": "x", "op": ">", "value": 5}]
    )
    model = personas.assign_rules(customers, [rule])
    assert model.personas[["persona", "n"]].values.tolist() == [["Big", 0], ["Everyone else", 2]]
    with pytest.raises(PersonaError, match="empty"):
        personas.assign_rules(customers, [])
    bad = PersonaRule(
        name="P", conditions=[{"table": "customers", "column": "plan", "op": ">", "value": 3}]
    )
    with pytest.raises(PersonaError, match="holds text"):
        personas.assign_rules(customers, [bad])
    ghost = PersonaRule(
        name="G", conditions=[{"table": "customers", "column": "age", "op": ">", "value": 3}]
    )
    with pytest.raises(PersonaError, match="no column 'age'"):
        personas.assign_rules(customers, [ghost])
    survey = PersonaRule(
        name="S", conditions=[{"table": "responses", "column": "nps", "op": ">", "value": 3}]
    )
    with pytest.raises(PersonaError, match="needs the responses"):
        personas.assign_rules(customers, [survey])


def test_build_dispatches_on_the_method_and_match_cards_by_rule_name():
    customers, _ = planted(n=200)
    clusters = personas.build(customers, Personas(features=FEATURES, k=2, seed=4))
    assert clusters.method == "clusters" and clusters.k == 2
    rules = Personas(
        method="rules",
        rules=[
            {
                "name": "Long",
                "conditions": [
                    {"table": "customers", "column": "tenure_months", "op": ">", "value": 60}
                ],
            }
        ],
        cards=[PersonaCard(name="Other card"), PersonaCard(name="Long")],
    )
    model = personas.build(customers, rules)
    assert model.personas["persona"].tolist() == ["Long", "Everyone else"]
    cards = personas.match_cards(model, rules.cards)
    assert [c.name if c else None for c in cards] == ["Long", None]


# --------------------------------------------------------------------------- profiles


def small_base():
    customers = pd.DataFrame(
        {
            "customer_id": list(range(1, 9)),
            "region": ["N", "N", "S", "S", "N", "S", "S", "S"],
            "primary_channel": ["app", "app", "web", "app", "store", "store", "web", "store"],
            "annual_revenue": [100.0, 300.0, 200.0, 400.0, 1000.0, 1000.0, 500.0, 500.0],
            "calls": ["1", "3", "2", "2", "10", "20", "6", "4"],
            "business": [0, 0, 0, 0, 1, 1, 1, 0],
        }
    )
    assign = pd.DataFrame(
        {
            "customer_id": list(range(1, 9)),
            "persona_id": [1, 1, 1, 1, 2, 2, 2, 2],
            "persona": ["Young"] * 4 + ["Pro"] * 4,
        }
    )
    responses = pd.DataFrame(
        {
            "response_id": [f"r{i}" for i in range(12)],
            "customer_id": [1, 2, 3, 4, 5, 6, 7, 8, 1, 5, 2, 6],
            "survey": ["relationship"] * 10 + ["transactional"] * 2,
            "wave": ["Q1"] * 8 + ["Q2"] * 4,
            "nps": [10, 9, 7, 3, 0, 9, 6, 10, 10, 2, 0, 0],
        }
    )
    return customers, assign, responses


def test_profile_sizes_values_and_wilson_by_hand():
    customers, assign, responses = small_base()
    prof = personas_profile.profile_personas(customers, assign, responses=responses, min_n=5)
    s = prof.sizes.set_index("persona")
    assert s.loc["Young", "n"] == 4 and s.loc["Young", "share"] == 0.5
    low, high = proportion_confint(4, 8, alpha=0.05, method="wilson")
    assert s.loc["Young", "ci_low"] == pytest.approx(low, abs=1e-12)
    assert s.loc["Young", "ci_high"] == pytest.approx(high, abs=1e-12)
    assert s.loc["Young", "value"] == 1000.0
    assert s.loc["Pro", "value_share"] == pytest.approx(3000 / 4000)
    assert s.loc["Pro", "value_index"] == pytest.approx(100 * 0.75 / 0.5)
    assert s.loc["Pro", "revenue_per_customer"] == 750.0
    assert s["small_n"].tolist() == [True, True]


def test_profile_behaviours_regions_channels_by_hand():
    customers, assign, _ = small_base()
    prof = personas_profile.profile_personas(customers, assign, features=["calls", "business"])
    b = prof.behaviours.set_index(["persona", "feature"])
    assert b.loc[("Pro", "calls"), "mean"] == 10.0
    assert b.loc[("Pro", "calls"), "median"] == 8.0
    assert b.loc[("Pro", "calls"), "base_mean"] == 6.0
    assert b.loc[("Pro", "calls"), "index"] == pytest.approx(100 * 10 / 6)
    calls = np.array([1, 3, 2, 2, 10, 20, 6, 4], dtype=float)
    assert b.loc[("Pro", "calls"), "gap_sd"] == pytest.approx((10 - 6) / calls.std())
    assert b.loc[("Pro", "business"), "mean"] == 0.75 and b.loc[("Pro", "business"), "binary"]
    assert not b.loc[("Pro", "calls"), "binary"]
    assert b.loc[("Young", "annual_revenue"), "mean"] == 250.0  # revenue is always described
    r = prof.regions.set_index(["persona", "region"])
    assert r.loc[("Young", "N"), "share"] == 0.5
    assert r.loc[("Young", "N"), "base_share"] == 3 / 8
    assert r.loc[("Young", "N"), "index"] == pytest.approx(100 * 0.5 / (3 / 8))
    c = prof.channels.set_index(["persona", "channel"])
    assert c.loc[("Pro", "store"), "n"] == 3
    assert c.loc[("Young", "app"), "share"] == 0.75


def test_profile_nps_per_persona_against_stats_and_the_rest():
    customers, assign, responses = small_base()
    prof = personas_profile.profile_personas(customers, assign, responses=responses, min_n=2)
    rel = responses[responses["survey"] == "relationship"]
    merged = rel.merge(assign, on="customer_id")
    for name in ("Young", "Pro"):
        mine = merged[merged["persona"] == name]
        ref = stats.nps(mine).iloc[0]
        row = prof.nps.set_index("persona").loc[name]
        assert row["n"] == ref["n"]
        assert row["estimate"] == pytest.approx(ref["estimate"])
        assert row["ci_low"] == pytest.approx(ref["ci_low"])
        rest = stats.nps(merged[merged["persona"] != name]).iloc[0]["estimate"]
        assert row["difference"] == pytest.approx(ref["estimate"] - rest)
    assert prof.base_nps["estimate"].item() == pytest.approx(stats.nps(rel).iloc[0]["estimate"])
    # wave filter: Q2 relationship answers only (customers 1 and 5)
    q2 = personas_profile.profile_personas(customers, assign, responses=responses, wave="Q2")
    assert q2.nps["n"].tolist() == [1, 1]
    everyone = personas_profile.profile_personas(
        customers, assign, responses=responses, survey=None
    )
    assert everyone.base_nps["n"].item() == 12
    none = personas_profile.profile_personas(customers, assign)
    assert none.nps.empty and none.base_nps["n"].item() == 0
    json.dumps(
        personas_profile.results(personas.PersonaModel(assign, assign, "rules", 2, "rules"), prof),
        allow_nan=False,
    )


def test_persona_themes_by_hand_ignoring_negated_mentions():
    customers, assign, responses = small_base()
    responses = responses.assign(comment=["x"] * 10 + [None, "y"])  # r10 has no comment
    tags = pd.DataFrame(
        {
            "response": ["r0", "r1", "r2", "r4", "r5", "r5", "r6", "r9"],
            "theme": ["Bill", "Bill", "App", "Bill", "Net", "Bill", "Net", "Net"],
            "negated": [False, False, False, False, False, True, False, False],
        }
    )
    out = personas_profile.persona_themes(tags, responses, assign, top=2, min_n=3)
    young = out[out["persona"] == "Young"].set_index("theme")
    # Young's comments: r0, r1, r2, r3, r8 (5); Bill on r0, r1
    assert young.loc["Bill", "n"] == 2 and young.loc["Bill", "n_comments"] == 5
    assert young.loc["Bill", "share"] == 0.4
    assert young.loc["Bill", "base_share"] == pytest.approx(3 / 11)  # r0, r1, r4 of 11
    assert young.loc["Bill", "rank"] == 1 and young.loc["App", "rank"] == 2
    pro = out[out["persona"] == "Pro"]
    assert pro["theme"].tolist() == ["Net", "Bill"]  # r5's negated Bill does not count
    assert pro["n"].tolist() == [3, 1]
    assert not out["small_n"].any()


def test_tag_comments_uses_the_codeframe_path_dict_or_nothing(tmp_path):
    responses = pd.DataFrame(
        {"response_id": ["a", "b", "c"], "comment": ["bill wrong", None, "ok"]}
    )
    assert personas_profile.tag_comments(responses, None).empty
    assert personas_profile.tag_comments(responses, tmp_path / "codeframe.yaml").empty
    (tmp_path / "codeframe.yaml").write_text(
        'version: "1"\nthemes:\n  - name: Billing\n    keywords: ["bill*"]\n', encoding="utf-8"
    )
    tags = personas_profile.tag_comments(responses, tmp_path / "codeframe.yaml")
    assert tags[["response_id", "theme"]].values.tolist() == [["a", "Billing"]]


def quote_data():
    responses = pd.DataFrame(
        {
            "response_id": ["q1", "q2", "q3", "q4", "q5", "q6"],
            "customer_id": [1, 2, 3, 4, 5, 6],
            "comment": [
                "Terrible chat, never again. Mail me at jo.smith@example.com",
                "The chat was slow but fine in the end, call 07700 900123",
                "Brilliant, Anika Shah at the store sorted everything for me",
                "ok",
                "Bill was higher than I expected this month, again",
                "Chat agents were helpful enough once I got through",
            ],
            "score": [-0.9, -0.1, 0.8, 0.0, -0.2, 0.3],
        }
    )
    assign = pd.DataFrame(
        {
            "customer_id": [1, 2, 3, 4, 5, 6],
            "persona_id": [1] * 4 + [2] * 2,
            "persona": ["A"] * 4 + ["B"] * 2,
        }
    )
    return responses, assign


def test_quotes_pick_the_median_tone_and_are_redacted():
    responses, assign = quote_data()
    out = personas_profile.representative_quotes(responses, assign, sentiment="score")
    # A: scores -0.9, -0.1, 0.8, 0.0 -> median -0.05; "ok" is too short, so q2 (-0.1) wins
    a = out.set_index("persona").loc["A"]
    assert a["response_id"] == "q2" and a["median_sentiment"] == pytest.approx(-0.05)
    assert a["quote"] == "The chat was slow but fine in the end, call [phone]"
    assert a["n_comments"] == 4
    # B: median 0.05; q5 (-0.2) and q6 (0.3) are 0.25 apart from it; tie broken by length gap,
    # then by response id
    assert out.set_index("persona").loc["B", "response_id"] in {"q5", "q6"}


def test_quotes_prefer_the_top_theme_and_remove_names():
    responses, assign = quote_data()
    responses.loc[2, "score"] = 0.7  # median of A stays -0.05; q3 is now 0.75 from it
    tags = pd.DataFrame({"response_id": ["q1", "q3", "q3"], "theme": ["Chat", "Store", "Staff"]})
    tags = pd.concat([tags, pd.DataFrame({"response_id": ["q3"], "theme": ["Chat"]})])
    out = personas_profile.representative_quotes(
        responses, assign, sentiment="score", themes=tags, names=["Anika", "Shah"]
    )
    a = out.set_index("persona").loc["A"]
    # Chat is A's top theme (q1, q3); of those, q3 (0.7) is nearer the median than q1 (-0.9)
    assert a["response_id"] == "q3" and a["theme"] == "Chat"
    assert a["quote"] == "Brilliant, [name] [name] at the store sorted everything for me"
    for quote in out["quote"]:
        assert "@" not in quote and "07700" not in quote and "Anika" not in quote


def test_quotes_score_sentiment_with_vader_when_not_given():
    responses, assign = quote_data()
    out = personas_profile.representative_quotes(responses, assign)
    scores = text.sentiment(responses["comment"])["compound"]
    med = scores[:4].median()
    assert out.set_index("persona").loc["A", "median_sentiment"] == pytest.approx(med)
    chosen = out.set_index("persona").loc["A", "response_id"]
    eligible = responses.index[:4][responses["comment"][:4].str.len() >= 25]
    best = (scores[eligible] - med).abs().idxmin()
    assert chosen == responses.loc[best, "response_id"]


def test_name_list_collects_known_name_columns():
    frame = pd.DataFrame({"first_name": ["Jo", " Al ", None], "last_name": ["Li", "", "Ng"]})
    assert personas_profile.name_list(frame) == ["Al", "Jo", "Li", "Ng"]
    assert personas_profile.name_list(pd.DataFrame({"x": [1]})) == []


# --------------------------------------------------------------------------- sentences


def test_sentences_explain_k_and_escape_names():
    customers, assign, responses = small_base()
    assign = assign.assign(persona=assign["persona"].replace({"Pro": "<b>Pro</b>"}))
    prof = personas_profile.profile_personas(customers, assign, responses=responses, min_n=2)
    text_ = say.persona_overview(prof)
    assert "&lt;b&gt;Pro&lt;/b&gt;" in text_ and "<b>" not in text_
    assert "50% of customers (n = 4)" in text_ and "75% of revenue" in text_
    table = assign.drop_duplicates("persona_id")[["persona_id", "persona"]].assign(n=4)
    sel = pd.DataFrame(
        {"k": [2, 3], "n": 8, "silhouette": [0.6, 0.4], "stability": [0.95, 0.5]}
    ).assign(stability_sd=0.0, stable=[True, False], chosen=[True, False])
    model = personas.PersonaModel(assign, table, "clusters", 2, "best_silhouette_stable", sel)
    words = say.k_choice(model)
    assert "We tried 2 to 3 personas. Two gives" in words and "0.95" in words
    weak = personas.PersonaModel(assign, table, "clusters", 2, "most_stable", sel)
    assert "working hypothesis" in say.k_choice(weak)
    head = say.personas_headline(model, prof)
    assert head.startswith(
        "2 personas; the largest, Young, is 50% of customers (95% CI 22% to 78%)"
    )
    assert "NPS runs from" in head
    assert say.themes_note(None).startswith("No comment themes yet")


def test_demo_personas_recover_the_planted_segments(tmp_path_factory):
    from cxlib import config, ingest

    clean = tmp_path_factory.mktemp("demo_clean")
    ingest.ingest(DEMO, clean)
    cfg = config.load_engagement(DEMO)
    customers = pd.read_parquet(clean / "customers.parquet")
    model = personas.build(customers, cfg.personas)
    truth = pd.read_csv(DEMO / "truth" / "segments.csv")
    merged = model.assignments.merge(truth, on="customer_id")
    assert model.k == len(cfg.personas.cards) == 4
    assert adjusted_rand_score(merged["segment"], merged["persona"]) >= 0.8
    table = pd.crosstab(merged["persona"], merged["segment"])
    for card in cfg.personas.cards:  # every card lands on the segment it was written for
        assert table.loc[card.name].idxmax() == card.name
