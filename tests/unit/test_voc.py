"""Tests for the voice-of-customer step: cxlib.voc, voc_metrics, voc_text, voc_bias, narrative_voc.

References used here:
- NPS adjusted-Wald interval and two-sample z-test: computed by hand in the tests from Rocks
  (2016), The American Statistician 70(4), 365-372 (add 3 to n and 3/4 to promoters and
  detractors; variance p_P + p_D - (p_P - p_D)^2 over n).
- Wilson interval: statsmodels ``proportion_confint(count, nobs, method="wilson")``.
- t interval of a mean: ``scipy.stats.t.interval``.
- Holm and Benjamini-Hochberg: statsmodels ``multipletests``.
- Two-proportion test and Newcombe interval: statsmodels ``proportions_ztest`` and
  ``confint_proportions_2indep(method="newcomb")``.
- Chi-square goodness of fit: ``scipy.stats.chisquare``; one-sample t: ``scipy.stats.ttest_1samp``.
- Standardized difference: Austin (2009), Statistics in Medicine 28(25), formulas computed by
  hand in the test.
- Text: the deduplicated path is checked against cxlib.text / cxlib.redact run on every row.
- Demo: the planted effects of data/demo/truth/effects.yaml (generator parameters
  ``nps_coefficients``, the codeframe that leaves roaming uncoded, and the measured billing
  share of comments by NPS group).
"""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from scipy import stats as sps
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import (
    confint_proportions_2indep,
    proportion_confint,
    proportions_ztest,
)

from cxlib import narrative_voc, redact, text, voc, voc_bias, voc_text

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "data" / "demo"

CODEFRAME = {
    "version": "3",
    "themes": [
        {"name": "Billing", "keywords": ["bill*", "charge*", "invoice", "price"]},
        {"name": "Network", "keywords": ["signal", "coverage"]},
        {"name": "Staff", "keywords": ["staff", "agent*"]},
    ],
}
COMMENTS = [
    "My bill is wrong again",
    "The bill is wrong again, charged twice",
    "Great signal everywhere",
    "No signal at home",
    "Staff were lovely",
    "Agent was rude, call me on 07700 900123",
    "Mail me at jo.smith@example.com about the invoice",
    "Roaming in Spain was a nightmare",
    "Roaming abroad costs a fortune",
    "The price went up, Olivia Price here",
    "ok",
    None,
    "   ",
]


def make_responses(n: int = 1200, seed: int = 11) -> pd.DataFrame:
    """Responses with a planted billing effect, segments, weights and duplicated comments."""
    rng = np.random.default_rng(seed)
    billing = rng.integers(1, 11, n)
    staff = rng.integers(1, 11, n)
    nps = np.clip(np.rint(1.0 + 0.6 * billing + 0.15 * staff + rng.normal(0, 1.2, n)), 0, 10)
    comment = np.array(COMMENTS, dtype=object)[rng.integers(0, len(COMMENTS), n)]
    comment = np.where(
        (billing <= 3) & (rng.random(n) < 0.7), "My bill is wrong again", comment
    ).astype(object)
    df = pd.DataFrame(
        {
            "response_id": [f"R{i:05d}" for i in range(n)],
            "customer_id": [f"C{i % 900:04d}" for i in range(n)],
            "wave": np.where(np.arange(n) < n - 100, "2026Q3", "2026Q1"),
            "survey": np.where(rng.random(n) < 0.7, "relationship", "transactional"),
            "touchpoint_id": np.array(["t_support", "t_onboard", ""], dtype=object)[
                rng.integers(0, 3, n)
            ],
            "channel": np.array(["app", "web", "store"])[rng.integers(0, 3, n)],
            "nps": nps,
            "csat": np.clip(np.rint(nps / 2.2) + 1, 1, 5),
            "ces": np.clip(np.rint(nps / 1.7) + 1, 1, 7).astype(float),
            "billing_clarity": billing.astype(float),
            "staff_helpfulness": staff.astype(float),
            "comment": comment,
            "weight": rng.uniform(0.5, 1.5, n).round(3),
        }
    )
    df.loc[rng.random(n) < 0.02, "csat"] = np.nan
    return df


def make_customers(n: int = 1000, seed: int = 12) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "customer_id": [f"C{i:04d}" for i in range(n)],
            "region": np.array(["North", "South", "East"])[rng.integers(0, 3, n)],
            "primary_channel": np.array(["app", "web"])[rng.integers(0, 2, n)],
            "tenure_months": rng.integers(1, 120, n).astype(float),
            "annual_revenue": rng.gamma(4, 200, n),
            "first_name": np.array(["Olivia", "Jo", "Sam"])[rng.integers(0, 3, n)],
            "last_name": np.array(["Smith", "Price", "Khan"])[rng.integers(0, 3, n)],
        }
    )


def adjusted_wald(scores: np.ndarray):
    """Rocks (2016): centre and variance of the adjusted-Wald NPS (on -1..1)."""
    n = len(scores)
    pro, det = np.sum(scores >= 9), np.sum(scores <= 6)
    n_adj = n + 3
    pp, pd_ = (pro + 0.75) / n_adj, (det + 0.75) / n_adj
    centre = pp - pd_
    return centre, (pp + pd_ - centre**2) / n_adj


# --------------------------------------------------------------------------- headline


def test_headline_metrics_match_hand_and_library_references():
    df = make_responses()
    out = voc.headline_metrics(df).set_index("metric")
    s = df["nps"].to_numpy()
    obs = 100 * (np.mean(s >= 9) - np.mean(s <= 6))
    centre, var = adjusted_wald(s)
    z = sps.norm.ppf(0.975)
    assert out.loc["nps", "estimate"] == pytest.approx(obs, abs=1e-10)
    assert out.loc["nps", "ci_low"] == pytest.approx(100 * (centre - z * math.sqrt(var)), abs=1e-9)
    assert out.loc["nps", "ci_high"] == pytest.approx(
        100 * (centre + z * math.sqrt(var)), abs=1e-9
    )
    csat = df["csat"].dropna()
    count = int(csat.isin([4, 5]).sum())
    low, high = proportion_confint(count, len(csat), alpha=0.05, method="wilson")
    assert out.loc["csat", "n"] == len(csat)
    assert out.loc["csat", "estimate"] == pytest.approx(count / len(csat), abs=1e-12)
    assert [out.loc["csat", "ci_low"], out.loc["csat", "ci_high"]] == pytest.approx(
        [low, high], abs=1e-10
    )
    ces = df["ces"].to_numpy()
    t_low, t_high = sps.t.interval(0.95, len(ces) - 1, loc=ces.mean(), scale=sps.sem(ces))
    assert [out.loc["ces", "ci_low"], out.loc["ces", "ci_high"]] == pytest.approx(
        [t_low, t_high], abs=1e-10
    )
    assert out["label"].tolist() == ["NPS", "CSAT top-2-box", "CES mean"]
    assert not out["small_n"].any()


def test_headline_weighted_uses_kish_and_equals_duplicated_rows():
    df = make_responses(300)
    df["w"] = np.random.default_rng(3).integers(1, 4, len(df)).astype(float)
    weighted = voc.headline_metrics(df, weight="w").set_index("metric")
    repeated = voc.headline_metrics(df.loc[df.index.repeat(df["w"].astype(int))])
    repeated = repeated.set_index("metric")
    np.testing.assert_allclose(weighted["estimate"], repeated["estimate"], rtol=1e-12)
    w = df["w"].to_numpy()
    assert weighted.loc["nps", "n_eff"] == pytest.approx(w.sum() ** 2 / (w**2).sum(), rel=1e-12)
    assert weighted.loc["nps", "n"] == len(df)


def test_headline_skips_absent_measures_and_needs_one():
    df = make_responses(100)[["nps"]]
    assert voc.headline_metrics(df)["metric"].tolist() == ["nps"]
    with pytest.raises(ValueError, match="none of the score columns"):
        voc.headline_metrics(pd.DataFrame({"x": [1]}))


def test_nps_distribution_counts_and_weighted_shares():
    df = pd.DataFrame({"nps": [0, 6, 7, 9, 10, 10, np.nan], "w": [1, 1, 2, 1, 1, 2, 5.0]})
    out = voc.nps_distribution(df, weight="w")
    assert out["n"].sum() == 6
    assert out.loc[10, "share"] == pytest.approx(3 / 8)
    assert out.loc[7, "group"] == "passive" and out.loc[6, "group"] == "detractor"
    assert out["share"].sum() == pytest.approx(1.0)


# --------------------------------------------------------------------------- segments


def test_attach_segments_persona_region_stage():
    resp = pd.DataFrame(
        {"customer_id": ["a", "b", "z"], "touchpoint_id": ["t1", "", "t2"], "channel": "app"}
    )
    cust = pd.DataFrame({"customer_id": ["a", "b"], "region": ["N", "S"]})
    personas = pd.DataFrame(
        {"customer_id": ["b", "a"], "persona_id": [2, 1], "persona": list("YX")}
    )
    out = voc.attach_segments(
        resp, customers=cust, personas=personas, stages={"t1": "support", "t2": "use"}
    )
    assert out["persona"].tolist() == ["X", "Y", None]
    assert out["region"].tolist() == ["N", "S", None]
    assert out["stage"].isna().tolist() == [False, True, False]
    assert out["stage"].dropna().tolist() == ["support", "use"]
    kept = voc.attach_segments(resp.assign(region="R"), customers=cust)
    assert kept["region"].tolist() == ["R", "R", "R"]
    assert "region" not in resp.columns  # input untouched


def test_segment_table_two_groups_by_hand():
    df = pd.DataFrame(
        {"region": ["N"] * 40 + ["S"] * 60, "nps": [10, 9, 8, 5] * 10 + [10, 6, 5] * 20}
    )
    out = voc.segment_table(df, segments=["region"]).set_index("level")
    n_s, s_s = df["region"] == "N", df["nps"].to_numpy()
    c1, v1 = adjusted_wald(s_s[n_s])
    c2, v2 = adjusted_wald(s_s[~n_s])
    z = (c1 - c2) / math.sqrt(v1 + v2)
    p = 2 * sps.norm.sf(abs(z))
    assert out.loc["N", "p_value"] == pytest.approx(p, rel=1e-10)
    assert out.loc["N", "difference"] == pytest.approx(100 * (0.5 - 0.25) - 100 * (1 / 3 - 2 / 3))
    assert out.loc["N", "reference_value"] == pytest.approx(100 * (1 / 3 - 2 / 3))
    # two levels, two tests: Holm doubles the smaller p-value
    assert out.loc["N", "p_adjusted"] == pytest.approx(min(1, 2 * p), rel=1e-10)


def test_segment_table_adjusts_across_every_segment_of_a_measure():
    df = voc.attach_segments(make_responses(), customers=make_customers())
    out = voc.segment_table(df, segments=["region", "channel"], p_adjust="fdr_bh")
    for _, rows in out.groupby("metric"):
        expected = multipletests(rows["p_value"], method="fdr_bh")[1]
        np.testing.assert_allclose(rows["p_adjusted"], expected, rtol=1e-12)
    nps = out[out["metric"] == "nps"]
    assert set(nps["segment"]) == {"region", "channel"}
    by_region = df.groupby("region")["nps"].apply(
        lambda s: 100 * ((s >= 9).mean() - (s <= 6).mean())
    )
    got = nps[nps["segment"] == "region"].set_index("level")["estimate"]
    np.testing.assert_allclose(got[by_region.index], by_region, rtol=1e-12)
    assert (out["significant"] == (out["p_adjusted"] < 0.05)).all()


def test_segment_table_leaves_out_missing_levels_and_single_level_columns():
    df = pd.DataFrame(
        {
            "stage": ["a"] * 30 + ["b"] * 30 + [None] * 40,
            "one": "x",
            "nps": np.tile([10, 3, 8, 9, 6], 20),
        }
    )
    out = voc.segment_table(df, segments=["stage", "one", "absent"], metrics={"nps": "nps"})
    assert out["level"].tolist() == ["a", "b"]
    assert out["n"].sum() == 60
    with pytest.raises(ValueError, match="metrics must be among"):
        voc.segment_table(df, segments=["stage"], metrics={"nps_x": "nps"})


# --------------------------------------------------------------------------- comments


def test_analyse_comments_equals_running_text_functions_on_every_row():
    df = make_responses(800)
    series = df["comment"]
    ca = voc_text.analyse_comments(series, CODEFRAME, names=["Olivia", "Smith"])
    direct_tags = text.tag_themes(series, CODEFRAME)
    pd.testing.assert_frame_equal(ca.tags, direct_tags)
    direct_sent = text.sentiment(series)
    np.testing.assert_allclose(ca.sentiment["compound"], direct_sent["compound"], equal_nan=True)
    assert ca.sentiment["label"].astype(object).equals(direct_sent["label"].astype(object))
    direct_red = redact.redact(series, names=["Olivia", "Smith"])
    has = direct_red.redacted.astype(object).str.strip().fillna("").astype(bool)
    expected = direct_red.redacted.where(has)
    assert (
        ca.redacted.astype(object).fillna("<na>").tolist()
        == expected.astype(object).fillna("<na>").tolist()
    )
    pd.testing.assert_frame_equal(ca.redactions, direct_red.counts)
    assert ca.n_comments == int(has.sum())
    assert ca.n_distinct == series[has].nunique()
    assert ca.codeframe_version == "3"


def test_analyse_comments_validates_input():
    with pytest.raises(TypeError):
        voc_text.analyse_comments(["a"], CODEFRAME)
    with pytest.raises(ValueError, match="unique index"):
        voc_text.analyse_comments(pd.Series(["a", "b"], index=[0, 0]), CODEFRAME)


def test_theme_concentration_matches_statsmodels_two_proportion_test():
    df = make_responses()
    ca = voc_text.analyse_comments(df["comment"], CODEFRAME)
    out = voc_text.theme_table(df.assign(sentiment=ca.sentiment["compound"]), ca.tags)
    out = out.set_index("theme")
    live = ca.tags[~ca.tags["negated"]]
    has = df["comment"].astype(object).str.strip().fillna("").astype(bool)
    det = df["nps"] <= 6
    for theme in ("Billing", "Staff"):
        mentions = df.index.isin(live.loc[live["theme"] == theme, "response"])
        c1, n1 = int((mentions & det & has).sum()), int((det & has).sum())
        c2, n2 = int((mentions & ~det & has).sum()), int((~det & has).sum())
        z, p = proportions_ztest([c1, c2], [n1, n2])
        low, high = confint_proportions_2indep(c1, n1, c2, n2, method="newcomb")
        row = out.loc[theme]
        assert row["share_detractors"] == pytest.approx(c1 / n1, rel=1e-12)
        assert row["share_others"] == pytest.approx(c2 / n2, rel=1e-12)
        assert row["lift"] == pytest.approx((c1 / n1) / (c2 / n2), rel=1e-12)
        assert row["concentration_p_value"] == pytest.approx(p, rel=1e-8)
        assert [row["concentration_ci_low"], row["concentration_ci_high"]] == pytest.approx(
            [low, high], abs=1e-10
        )
    holm = multipletests(out["concentration_p_value"], method="holm")[1]
    np.testing.assert_allclose(out["concentration_p_adjusted"], holm, rtol=1e-12)
    assert out.loc["Billing", "concentrated"]
    assert not out.loc["Network", "concentrated"]
    # the NPS-impact columns are those of text.theme_summary
    summary = text.theme_summary(df, ca.tags, sentiment=None)
    np.testing.assert_allclose(out["estimate"], summary["estimate"].to_numpy(), rtol=1e-12)


def test_sample_verbatims_are_redacted_distinct_seeded_and_capped():
    df = make_responses(600)
    ca = voc_text.analyse_comments(df["comment"], CODEFRAME)
    names = ["Olivia", "Smith", "Jo"]
    one = voc_text.sample_verbatims(df, ca.tags, names=names, per_theme=2, seed=4)
    two = voc_text.sample_verbatims(df, ca.tags, names=names, per_theme=2, seed=4)
    pd.testing.assert_frame_equal(one, two)
    assert one.groupby("theme").size().max() <= 2
    assert not one.duplicated(["theme", "comment"]).any()
    joined = " ".join(one["comment"])
    for pii in ("07700 900123", "jo.smith@example.com", "Olivia", "Smith"):
        assert pii not in joined
    assert set(one.columns) == {"theme", "response_id", "nps", "comment"}
    ordered = voc_text.sample_verbatims(df, ca.tags, themes=["Staff", "Billing"], per_theme=1)
    assert ordered["theme"].tolist() == ["Staff", "Billing"]
    with pytest.raises(ValueError, match="per_theme"):
        voc_text.sample_verbatims(df, ca.tags, per_theme=0)


# --------------------------------------------------------------------------- response bias


def test_response_bias_categorical_matches_scipy_and_hand_formula():
    cust = make_customers()
    rng = np.random.default_rng(5)
    north = cust.index[cust["region"] == "North"]
    picks = np.concatenate([rng.choice(north, 300), rng.choice(cust.index, 300)])
    resp = pd.DataFrame({"customer_id": cust["customer_id"].to_numpy()[picks]})
    out = voc_bias.response_bias(resp, cust, numeric=())
    base = cust["region"].value_counts(normalize=True).sort_index()
    sample = cust["region"].to_numpy()[picks]
    counts = pd.Series(sample).value_counts().reindex(base.index, fill_value=0)
    chi = sps.chisquare(counts.to_numpy(), base.to_numpy() * len(sample))
    reg = out.variables.set_index("variable").loc["region"]
    assert reg["statistic"] == pytest.approx(chi.statistic, rel=1e-10)
    assert reg["p_value"] == pytest.approx(chi.pvalue, rel=1e-8)
    levels = out.levels[out.levels["variable"] == "region"].set_index("level")
    p, q = counts["North"] / len(sample), base["North"]
    d = (p - q) / math.sqrt((p * (1 - p) + q * (1 - q)) / 2)
    assert levels.loc["North", "std_diff"] == pytest.approx(d, rel=1e-12)
    assert out.material and reg["material"]
    assert out.corrected is None and not out.weighted


def test_response_bias_weights_that_rebalance_correct_it():
    cust = make_customers()
    rng = np.random.default_rng(6)
    north = cust.index[cust["region"] == "North"]
    picks = np.concatenate([rng.choice(north, 400), rng.choice(cust.index, 400)])
    resp = pd.DataFrame({"customer_id": cust["customer_id"].to_numpy()[picks]})
    region = cust["region"].to_numpy()[picks]
    pop = cust["region"].value_counts(normalize=True)
    smp = pd.Series(region).value_counts(normalize=True)
    resp["weight"] = pd.Series(region).map(pop / smp).to_numpy()
    out = voc_bias.response_bias(resp, cust, categorical=("region",), numeric=(), weight="weight")
    lv = out.levels.set_index("level")
    np.testing.assert_allclose(lv["sample_value_weighted"], pop[lv.index], atol=1e-12)
    assert out.material and out.corrected is True
    w = resp["weight"].to_numpy()
    n_eff = w.sum() ** 2 / (w**2).sum()
    assert out.variables.loc[0, "n_eff"] == pytest.approx(n_eff, rel=1e-12)
    assert out.variables.loc[0, "statistic_weighted"] == pytest.approx(
        0.0, abs=1e-18 * n_eff + 1e-9
    )


def test_response_bias_numeric_matches_one_sample_t_and_counts_unmatched():
    cust = make_customers()
    resp = pd.DataFrame({"customer_id": list(cust["customer_id"].iloc[:300]) + ["nobody"] * 5})
    out = voc_bias.response_bias(resp, cust, categorical=(), numeric=("tenure_months",))
    x = cust["tenure_months"].iloc[:300].to_numpy()
    big = cust["tenure_months"].to_numpy()
    t = sps.ttest_1samp(x, big.mean())
    row = out.variables.iloc[0]
    assert row["statistic"] == pytest.approx(t.statistic, rel=1e-10)
    assert row["p_value"] == pytest.approx(t.pvalue, rel=1e-8)
    d = (x.mean() - big.mean()) / math.sqrt((x.var(ddof=1) + big.var(ddof=1)) / 2)
    assert out.levels.iloc[0]["std_diff"] == pytest.approx(d, rel=1e-10)
    assert out.n_unmatched == 5
    with pytest.raises(ValueError, match="threshold"):
        voc_bias.response_bias(resp, cust, threshold=0)
    with pytest.raises(ValueError, match="no 'customer_id'"):
        voc_bias.response_bias(resp.rename(columns={"customer_id": "id"}), cust)


# --------------------------------------------------------------------------- the whole step


@pytest.fixture(scope="module")
def result():
    df = make_responses()
    return voc.analyse(
        df,
        codeframe=CODEFRAME,
        attributes=["billing_clarity", "staff_helpfulness"],
        customers=make_customers(),
        stages={"t_support": "support", "t_onboard": "onboarding"},
        wave="2026Q3",
        n_boot=200,
        n_suggestions=2,
    )


def test_analyse_composes_the_parts_on_the_headline_base(result):
    df = make_responses()
    wave = df[df["wave"] == "2026Q3"]
    base = wave[wave["survey"] == "relationship"]
    assert result.n_responses == len(wave) and result.n_headline == len(base)
    assert result.headline_survey == "relationship" and result.weighted
    expected = voc.headline_metrics(base, weight="weight")
    pd.testing.assert_frame_equal(result.headline, expected)
    assert set(result.segments.loc[result.segments["base"] == "headline", "segment"]) == {
        "region",
        "channel",
    }
    assert set(result.segments.loc[result.segments["base"] == "all", "segment"]) == {
        "survey",
        "stage",
    }
    assert result.drivers.importance["attribute"].iloc[0] == "billing_clarity"
    assert result.drivers.n_boot_valid == 200
    assert result.detractors.table.set_index("attribute").loc["billing_clarity", "odds_ratio"] < 1
    assert result.quadrants["attribute"].tolist() == ["billing_clarity", "staff_helpfulness"]
    assert result.themes.set_index("theme").loc["Billing", "concentrated"]
    assert result.bias is not None and result.notes == ()
    assert set(result.tags["response_id"]) <= set(wave["response_id"])


def test_analyse_redacts_every_text_it_returns(result):
    dumped = json.dumps(result.to_dict(), allow_nan=False)
    for pii in ("07700 900123", "jo.smith@example.com", "Olivia", "Smith"):
        assert pii not in dumped
    # "Price" is a customer surname and a codeframe keyword: the word stays, the name goes
    assert "The price went up, [name] [name] here" in dumped
    assert "Olivia Price" not in dumped
    counts = result.redactions.set_index("kind")["n_matches"]
    assert counts["phone"] > 0 and counts["email"] > 0 and counts["name"] > 0


def test_drivers_frame_joins_importance_quadrant_and_odds_ratios(result):
    frame = result.drivers_frame()
    assert frame["attribute"].tolist() == result.drivers.importance["attribute"].tolist()
    det = result.detractors.table.set_index("attribute")
    np.testing.assert_allclose(
        frame["detractor_odds_ratio"], det.loc[frame["attribute"], "odds_ratio"], rtol=1e-12
    )
    assert frame["quadrant"].notna().all()


def test_analyse_without_attributes_or_customers_notes_what_is_missing():
    df = make_responses(300)
    res = voc.analyse(df, codeframe=CODEFRAME, headline_survey=None, weight=None)
    assert res.drivers is None and res.detractors is None and res.bias is None
    assert res.notes and "survey.attributes" in res.notes[0]
    assert res.drivers_frame().empty and not res.weighted
    assert res.n_headline == len(df)
    json.dumps(res.to_dict(), allow_nan=False)
    with pytest.raises(ValueError, match="no responses for wave"):
        voc.analyse(df, codeframe=CODEFRAME, wave="1999Q1")


def test_codeframe_from_config_model_drops_descriptions():
    from cxlib.config import Codeframe as ConfigCodeframe

    model = ConfigCodeframe.model_validate(
        {"version": "7", "themes": [{"name": "Bills", "description": "d", "keywords": ["bill"]}]}
    )
    cf = voc.codeframe_from_config(model)
    assert cf.version == "7" and cf.themes[0].name == "Bills"
    assert voc.codeframe_from_config(cf) is cf


# --------------------------------------------------------------------------- narrative


def test_headline_sentence_states_nps_ci_n_and_top_driver(result):
    row = result.metric("nps")
    text = narrative_voc.headline(result)
    assert text.startswith(f"NPS is {narrative_voc.signed(row['estimate'])} (95% CI ")
    assert f"n = {row['n']:,})" in text
    assert "billing clarity is the strongest driver" in text
    assert "detractors raise Billing" in text


def test_narrative_escapes_client_text(result):
    themes = result.themes.assign(theme="<b>Bill</b> [x](javascript:1)")
    hostile = voc.VocResult(**{**result.__dict__, "themes": themes})
    for fn in (narrative_voc.themes, narrative_voc.detractors):
        out = fn(hostile)
        assert "<b>" not in out and "](javascript" not in out
    verb = result.verbatims.assign(comment="<script>alert(1)</script>")
    out = narrative_voc.verbatims(voc.VocResult(**{**result.__dict__, "verbatims": verb}))
    assert "<script>" not in out and "&lt;script&gt;" in out


def test_detractor_sentences_in_words(result):
    text = narrative_voc.detractors(result)
    assert "**billing clarity** cuts the odds of being a detractor by" in text
    or_ = result.detractors.table.set_index("attribute").loc["billing_clarity", "odds_ratio"]
    assert f"odds ratio {or_:.2f}" in text
    assert "**Billing** comes up in" in text


def _with(result: voc.VocResult, **changes) -> voc.VocResult:
    return voc.VocResult(**{**result.__dict__, **changes})


def test_comment_counts_in_the_right_number(result):
    one = narrative_voc.themes(_with(result, n_comments=1))
    assert one.startswith("1 response carries a comment. The themes raised most often:\n\n- ")
    several = narrative_voc.themes(_with(result, n_comments=1234))
    assert several.startswith("1,234 responses carry a comment. The themes raised most often:")
    groups = pd.DataFrame(
        {"top_terms": ["roaming abroad", "app crash"], "n_comments": [1, 12],
         "share": [0.01, 0.12], "example_1": ["roaming cost", "app crashed"]}
    )  # fmt: skip
    lines = narrative_voc.suggestions(_with(result, suggestions=groups)).splitlines()
    assert lines[-2:] == [
        "- *roaming abroad*: 1 uncoded comment (1%), for example: \u201croaming cost\u201d",
        "- *app crash*: 12 uncoded comments (12%), for example: \u201capp crashed\u201d",
    ]


def test_summary_asks_to_review_one_suggested_theme_or_several(result):
    def review(n: int) -> list[str]:
        groups = result.suggestions.iloc[[0] * n] if n else result.suggestions.head(0)
        summary = narrative_voc.summary(_with(result, suggestions=groups))
        return [line for line in summary.splitlines() if line.startswith("- Review")]

    assert review(0) == []
    assert review(1) == [
        "- Review the suggested new theme and add it to the codeframe if relevant."
    ]
    assert review(3) == [
        "- Review the 3 suggested new themes and add the relevant ones to the codeframe."
    ]


def test_raking_counts_trimmed_weights_in_the_right_number(demo):
    res = demo[0]
    for n, words in ((1, "1 weight trimmed"), (4, "4 weights trimmed")):
        raking = dataclasses.replace(res.raking, n_trimmed=n)
        text = narrative_voc.bias(_with(res, raking=raking))
        assert f"responses, {words} at {res.raking.cap:g}x" in text


def test_signed_and_label():
    assert narrative_voc.signed(12.4) == "+12"
    assert narrative_voc.signed(-0.4) == "0"
    assert narrative_voc.signed(float("nan")) == "n/a"
    assert narrative_voc.label("value_for_money") == "value for money"


# --------------------------------------------------------------------------- the demo client


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from cxlib import config, ingest

    clean = tmp_path_factory.mktemp("demo_clean")
    ingest.ingest(DEMO, clean)
    cfg = config.load_engagement(DEMO)
    truth_segments = pd.read_csv(DEMO / "truth" / "segments.csv")
    res = voc.analyse(
        pd.read_parquet(clean / "responses.parquet"),
        codeframe=config.load_codeframe(DEMO / "codeframe.yaml"),
        attributes=cfg.survey.attributes,
        customers=pd.read_parquet(clean / "customers.parquet"),
        personas=truth_segments.rename(columns={"segment": "persona"}),
        stages={t.id: t.stage for t in cfg.journey.touchpoints},
        wave=cfg.waves.labels[-1],
        n_boot=200,
    )
    truth = yaml.safe_load((DEMO / "truth" / "effects.yaml").read_text(encoding="utf-8"))
    return res, truth


def test_demo_billing_clarity_is_the_top_driver(demo):
    res, truth = demo
    planted = truth["top_nps_driver"]
    assert planted["attribute"] == "billing_clarity"
    coefs = planted["planted_nps_coefficients"]
    assert max(coefs, key=coefs.get) == "billing_clarity"
    top = res.drivers.importance.iloc[0]
    assert top["attribute"] == "billing_clarity"
    assert top["rank_ci_high"] == 1  # first in every bootstrap replicate
    assert top["importance_pct_ci_low"] > res.drivers.importance["importance_pct_ci_high"].iloc[1]
    # the generator measured the share on both waves; one wave's share is close to it
    both_waves = planted["measured"]["shapley_share"]["billing_clarity"]
    assert top["importance_pct"] / 100 == pytest.approx(both_waves, abs=0.05)
    det = res.detractors.table.sort_values("odds_ratio")
    assert det["attribute"].iloc[0] == "billing_clarity"
    assert "billing clarity is the strongest driver" in narrative_voc.headline(res)


def test_demo_billing_comments_are_concentrated_among_detractors(demo):
    res, truth = demo
    planted = truth["billing_comments_among_detractors"]
    share = planted["measured_share_of_comments_by_nps_group"]
    assert share["detractor"] > 3 * share["promoter"]
    themes = res.themes.set_index("theme")
    billing = themes.loc[planted["theme"]]
    assert billing["concentrated"] and billing["concentration_p_adjusted"] < 0.001
    assert billing["lift"] == themes["lift"].max()
    assert billing["share_detractors"] == pytest.approx(share["detractor"], abs=0.08)
    assert billing["estimate"] < -30  # commenters on billing give a far lower NPS
    assert "**Billing** comes up in" in narrative_voc.detractors(res)


def test_demo_roaming_cluster_is_suggested_as_a_new_theme(demo):
    res, truth = demo
    assert truth["uncoded_theme"]["measured"]["roaming_uncoded_share"] > 0.5
    codeframe = yaml.safe_load((DEMO / "codeframe.yaml").read_text(encoding="utf-8"))
    assert not any("roaming" in t["name"].lower() for t in codeframe["themes"])
    assert res.suggestions["top_terms"].str.contains("roaming").any()
    # which suggested examples are roaming comments, according to truth/comments.csv
    truth_comments = pd.read_csv(DEMO / "truth" / "comments.csv")
    raw = pd.read_csv(DEMO / "inputs" / "survey_2026Q3.csv").rename(
        columns={"Response ID": "response_id"}
    )
    text = raw.filter(like="anything else").iloc[:, 0]
    merged = truth_comments.merge(raw.assign(comment=text), on="response_id")
    roaming = merged["theme"].eq("roaming") | merged["theme2"].eq("roaming")
    is_roaming = merged.assign(r=roaming).groupby("comment")["r"].all()
    examples = res.suggestions.filter(like="example_")
    share = examples.apply(lambda col: col.map(is_roaming)).fillna(False).astype(bool)
    about_roaming = share.mean(axis=1) >= 2 / 3
    covered = res.suggestions.loc[about_roaming, "n_comments"].sum()
    assert covered >= 0.5 * res.suggestions["n_comments"].sum()
    assert about_roaming.iloc[0]  # the largest candidate is the roaming cluster


def test_demo_response_bias_persona_not_corrected_by_weights(demo):
    res, truth = demo
    base = truth["response_bias"]["measured_share_of_base"]
    lv = res.bias.levels.set_index(["variable", "level"])
    assert lv.loc[("persona", "Budget prepaid"), "base_value"] == pytest.approx(
        base["Budget prepaid"], abs=1e-4
    )
    assert lv.loc[("persona", "Budget prepaid"), "std_diff"] < -0.1
    variables = res.bias.variables.set_index("variable")
    assert variables.loc["region", "corrected"]  # the weights rake to region
    assert variables.loc["persona", "material_weighted"]  # ... but not to persona
    assert res.bias.material and res.bias.corrected is False


def test_demo_outputs_carry_no_planted_pii(demo):
    res, truth = demo
    assert sum(truth["comments"]["pii_by_kind"].values()) > 0
    dumped = json.dumps(res.to_dict(), allow_nan=False, ensure_ascii=False)
    for pattern in (r"[\w.]+@example\.(?:com|org|net)", r"07700 ?900\d{3}", r"\+44 ?7700"):
        assert not pd.Series([dumped]).str.contains(pattern).iloc[0], pattern
    counts = res.redactions.set_index("kind")["n_matches"]
    assert (counts[["email", "phone", "card", "name"]] > 0).all()


def test_inputs_from_run_reads_tables_and_settings_through_the_context():
    from types import SimpleNamespace

    from cxlib import config

    cfg = config.load_engagement(DEMO)
    tables = {"responses": make_responses(50), "customers": make_customers(20)}
    personas = pd.DataFrame({"customer_id": ["C0001"], "persona_id": [1], "persona": ["A"]})
    ctx = SimpleNamespace(
        config=cfg,
        paths=config.EngagementPaths(DEMO),
        wave="2026Q3",
        table=lambda name: tables[name],
        has_table=lambda name: name in tables,
        load_table=lambda name: personas if name == "personas.parquet" else None,
    )
    got = voc.inputs_from_run(ctx)
    assert got["responses"] is tables["responses"] and got["customers"] is tables["customers"]
    assert got["personas"] is personas
    assert got["attributes"] == cfg.survey.attributes and got["wave"] == "2026Q3"
    assert got["stages"]["support_chat"] == "support"
    assert got["codeframe"].version == config.load_codeframe(DEMO / "codeframe.yaml").version
    assert (got["confidence"], got["min_n"]) == (cfg.survey.confidence, cfg.survey.min_base)
    ctx.load_table = lambda name: personas.drop(columns="persona")
    assert voc.inputs_from_run(ctx)["personas"] is None  # no persona names: not a segment


# --------------------------------------------------------------------------- segment pairs


def _wald(scores):
    """Plain Wald NPS (on -1..1) and its variance, by hand (Rocks 2016, eq. for Var)."""
    n = len(scores)
    pp, pd_ = np.mean(scores >= 9), np.mean(scores <= 6)
    return pp - pd_, (pp + pd_ - (pp - pd_) ** 2) / n


def _pairs_frame():
    return pd.DataFrame(
        {
            "region": ["N"] * 60 + ["S"] * 80 + ["W"] * 50,
            "nps": [10, 9, 9, 8] * 15 + [10, 6, 5, 3] * 20 + [10, 9, 7, 6, 8] * 10,
        }
    )


def test_segment_pairs_match_hand_computed_wald_tests_with_holm():
    df = _pairs_frame()
    table = voc.segment_table(df, segments=["region"], method="wald")
    pairs = voc.segment_pairs(table)
    assert pairs[["level", "versus"]].values.tolist() == [["N", "S"], ["N", "W"], ["S", "W"]]
    s = df["nps"].to_numpy()
    parts = {g: _wald(s[(df["region"] == g).to_numpy()]) for g in "NSW"}
    p_hand = []
    for (a, b), row in zip([("N", "S"), ("N", "W"), ("S", "W")], pairs.itertuples(), strict=True):
        d = parts[a][0] - parts[b][0]
        se = math.sqrt(parts[a][1] + parts[b][1])
        assert row.estimate == pytest.approx(100 * d, rel=1e-12)
        assert row.se == pytest.approx(100 * se, rel=1e-12)
        assert row.ci_low == pytest.approx(100 * (d - 1.959963984540054 * se), rel=1e-9)
        p_hand.append(2 * sps.norm.sf(abs(d / se)))
    assert pairs["p_value"].to_numpy() == pytest.approx(p_hand, rel=1e-9)
    holm = multipletests(p_hand, method="holm")[1]
    assert pairs["p_adjusted"].to_numpy() == pytest.approx(holm, rel=1e-9)
    assert pairs["significant"].tolist() == list(holm < 0.05)


def test_segment_pairs_families_are_per_measure_and_column():
    df = _pairs_frame().assign(channel=["web", "app"] * 95, csat=np.tile([5, 4, 2, 1, 3], 38))
    table = voc.segment_table(df, segments=["region", "channel"])
    pairs = voc.segment_pairs(table)
    sizes = pairs.groupby(["metric", "segment"]).size().to_dict()
    assert sizes == {("csat", "channel"): 1, ("csat", "region"): 3, ("nps", "channel"): 1,
                     ("nps", "region"): 3}  # fmt: skip
    # a one-test family is not adjusted
    one = pairs[pairs["segment"] == "channel"]
    assert (one["p_adjusted"] == one["p_value"]).all()
    with pytest.raises(ValueError, match="lacks"):
        voc.segment_pairs(table.drop(columns="se"))


def test_segment_rows_letters_list_the_groups_each_beats():
    import dataclasses

    df = _pairs_frame()
    table = voc.segment_table(df, segments=["region"]).assign(base="headline")
    fake = voc.analyse(df.assign(comment="bill too high"), codeframe=CODEFRAME)
    fake = dataclasses.replace(fake, segments=table, pairs=voc.segment_pairs(table))
    rows = narrative_voc.segment_rows(fake).reset_index().set_index("Group")
    assert rows["Letter"].tolist() == ["A", "B", "C"]
    sig = fake.pairs.set_index(["level", "versus"])["significant"]
    assert sig[("N", "S")] and sig[("N", "W")] and sig[("S", "W")]
    # N (NPS 50) beats S (-25) and W (20); W beats S; S beats nobody
    assert rows["Higher than"].to_dict() == {"N": "BC", "S": "", "W": "B"}


# --------------------------------------------------------------------------- raking


def test_rake_reproduces_margins_and_the_hand_worked_2x2_solution():
    # Sample cells AX 3, AY 1, BX 1, BY 1; targets 1/2 for every level. Raking keeps the
    # sample's odds ratio (3) and meets the margins (3 of 6 each): cell totals T with
    # T_AX = T_BY, T_AY = T_BX = 3 - T_AX and T_AX^2 / (3 - T_AX)^2 = 3, so
    # T_AX = 3 sqrt(3) / (1 + sqrt(3)). Weights per response are T / cell count.
    cust = pd.DataFrame(
        {"customer_id": range(8), "region": list("AAAABBBB"), "channel": list("XXYYXXYY")}
    )
    resp = pd.DataFrame({"customer_id": [0, 0, 1, 2, 4, 6]})  # AX AX AX AY BX BY
    out = voc_bias.rake(resp, cust, categorical=["region", "channel"], tol=1e-12)
    r3 = math.sqrt(3)
    t_ax = 3 * r3 / (1 + r3)
    expected = [t_ax / 3] * 3 + [3 - t_ax, 3 - t_ax, t_ax]
    np.testing.assert_allclose(out.weights.to_numpy(), expected, atol=1e-6)
    np.testing.assert_allclose(out.margins["achieved"], 0.5, atol=1e-6)
    np.testing.assert_allclose(out.margins["before"], [4 / 6, 2 / 6, 4 / 6, 2 / 6])
    assert out.converged and out.n_trimmed == 0
    w = np.array(expected)
    assert out.n_eff == pytest.approx(w.sum() ** 2 / (w**2).sum(), rel=1e-6)
    assert out.design_effect == pytest.approx(6 / out.n_eff, rel=1e-12)


def test_rake_trims_at_the_cap_and_says_when_margins_are_missed():
    # One respondent of region B out of 20, base half B: untrimmed weight 10x the mean
    cust = pd.DataFrame({"customer_id": range(40), "region": ["A"] * 20 + ["B"] * 20})
    resp = pd.DataFrame({"customer_id": list(range(19)) + [20]})
    free = voc_bias.rake(resp, cust, categorical=["region"], cap=100.0)
    assert free.weights.iloc[-1] == pytest.approx(10.0) and free.converged
    capped = voc_bias.rake(resp, cust, categorical=["region"], cap=5.0)
    assert capped.weights.max() <= 5.0 + 1e-9 and capped.n_trimmed == 1
    assert not capped.converged and capped.max_abs_error > 0.1
    assert capped.weights.mean() == pytest.approx(1.0)
    with pytest.raises(ValueError, match="cap"):
        voc_bias.rake(resp, cust, categorical=["region"], cap=1.0)
    with pytest.raises(ValueError, match="none of"):
        voc_bias.rake(resp, cust, categorical=["tenure"])


def test_analyse_offers_raking_when_respondents_are_biased(result, demo):
    assert not result.bias.material and result.raking is None  # unbiased: nothing offered
    result = demo[0]
    assert result.bias.material
    rk, after = result.raking, result.bias_raked
    assert rk is not None and after is not None and rk.converged
    raked = after.variables.set_index("variable").loc[list(rk.variables)]
    assert (raked["max_abs_std_diff_weighted"] < 1e-6).all()
    assert rk.design_effect >= 1.0
    text = narrative_voc.bias(result)
    assert "Raking" in text and "design effect" in text
    assert "Std. difference, raked" in narrative_voc.bias_rows(result).columns


# --------------------------------------------------------------------------- close the loop


def test_close_the_loop_lists_detractors_redacted_and_csv_safe(tmp_path):
    from cxlib.export import safe_csv

    df = make_responses(n=300, seed=5)
    det = np.flatnonzero(df["nps"].to_numpy() <= 6)
    planted = {
        det[0]: '=HYPERLINK("http://x.example") bill wrong, Olivia Smith 07700 900123',
        det[1]: "+44 7700 900123 call me, the price is high",
        det[2]: "@SUM(A1) mail jo.smith@example.com",
        det[3]: "-2+3 card 4111 1111 1111 1111 Mr Price",
    }
    for i, comment in planted.items():
        df.loc[i, "comment"] = comment
    res = voc.analyse(df, codeframe=CODEFRAME, customers=make_customers(), n_boot=50)
    f = res.follow_up
    assert len(f) == int((df["nps"] <= 6).sum())
    assert list(f.columns) == [
        "response_id", "customer_id", "wave", "nps", "themes", "comment", "touchpoint_id",
        "channel",
    ]  # fmt: skip
    assert f["nps"].is_monotonic_increasing and (f["nps"] <= 6).all()
    row = f.set_index("response_id").loc[df.loc[det[0], "response_id"]]
    assert row["themes"] == "Billing"
    path = safe_csv(f, tmp_path / "close_the_loop.csv")
    back = pd.read_csv(path, dtype=str, keep_default_na=False)
    comments = back.set_index("response_id")["comment"]
    expected = {
        det[0]: '\'=HYPERLINK("http://x.example") bill wrong, [name] [name] [phone]',
        det[1]: "[phone] call me, the price is high",  # redacted first: no formula left
        det[2]: "'@SUM(A1) mail [email]",
        det[3]: "'-2+3 card [card] Mr [name]",
    }
    for i, comment in expected.items():
        assert comments[df.loc[i, "response_id"]] == comment
    raw = path.read_text(encoding="utf-8")
    for pii in ("07700 900123", "jo.smith@example.com", "4111", "Olivia", "Smith", "Mr Price"):
        assert pii not in raw
    assert set(back["nps"]) <= {"0", "1", "2", "3", "4", "5", "6"}  # whole scores, no "-0.0"
    text_cells = back.drop(columns="nps")  # numbers are never neutralised
    formula = text_cells.apply(lambda c: c.str.match(r"^[=+\-@\t\r]")).to_numpy()
    assert not formula.any()
    sentence = narrative_voc.close_the_loop(res, path)
    assert f"{len(f):,} detractors" in sentence and "`close_the_loop.csv`" in sentence


def test_close_the_loop_csv_writes_whole_scores_as_integers(tmp_path):
    from cxlib.export import safe_csv

    responses = pd.DataFrame(
        {
            "response_id": ["r1", "r2", "r3", "r4", "r5", "r6"],
            "customer_id": ["c1", "c2", "c3", "c4", "c5", "c6"],
            "wave": "2026Q3",
            "nps": [3.0, 9.0, 6.0, np.nan, -0.0, 10.0],  # r4 did not answer: not listed
            "touchpoint_id": ["chat", "app", "app", "web", None, "web"],
        }
    )
    redacted = pd.Series(["bill wrong", "great", "=1+1 slow", "fine", None, "love it"])
    tags = pd.DataFrame({"response": [0, 2], "theme": ["Billing", "App"], "negated": False})
    follow_up = voc_text.close_the_loop(responses, redacted, tags)
    assert str(follow_up["nps"].dtype) == "Int64"
    path = safe_csv(follow_up, tmp_path / "close_the_loop.csv")
    assert path.read_text(encoding="utf-8") == (
        "response_id,customer_id,wave,nps,themes,comment,touchpoint_id\n"
        "r5,c5,2026Q3,0,,,\n"
        "r1,c1,2026Q3,3,Billing,bill wrong,chat\n"
        "r3,c3,2026Q3,6,App,'=1+1 slow,app\n"
    )
    # A score off the whole-point scale is written as it was given.
    half = voc_text.close_the_loop(responses.assign(nps=[3.5, 9, 6, 8, 7, 10]), redacted, tags)
    assert safe_csv(half, tmp_path / "half.csv").read_text(encoding="utf-8").splitlines() == [
        "response_id,customer_id,wave,nps,themes,comment,touchpoint_id",
        "r1,c1,2026Q3,3.5,Billing,bill wrong,chat",
        "r3,c3,2026Q3,6.0,App,'=1+1 slow,app",
    ]


CALL_BACK = (
    ": one row per response, with customer id, wave, touchpoint and channel, ready for the "
    "frontline teams to call back."
)


def test_close_the_loop_sentence_for_one_detractor_and_for_several(result):
    def sentence(comments: list[str | None], path: str | None = None) -> str:
        listed = pd.DataFrame({"nps": range(len(comments)), "comment": comments})
        return narrative_voc.close_the_loop(_with(result, follow_up=listed), path)

    assert sentence(["bill wrong"], "out/close_the_loop.csv") == (
        "1 detractor (score 0-6) is listed for follow-up in `close_the_loop.csv` in this run's "
        "results folder, with their comment (personal details removed) and the themes it "
        "raises" + CALL_BACK
    )
    assert sentence([None]) == (
        "1 detractor (score 0-6) is listed for follow-up, without a comment" + CALL_BACK
    )
    assert sentence(["bill wrong", None, "slow app"]) == (
        "3 detractors (score 0-6) are listed for follow-up, lowest score first, 2 of them "
        "with their comment (personal details removed) and the themes it raises" + CALL_BACK
    )
