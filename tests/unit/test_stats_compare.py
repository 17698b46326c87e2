"""Tests for cxlib.stats_compare and cxlib.stats_segments."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest

from cxlib import stats

Z95 = 1.959963984540054


def _reference_values() -> dict:
    path = Path(__file__).resolve().parents[1] / "reference" / "stats_reference_values.py"
    spec = importlib.util.spec_from_file_location("stats_reference_values", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.VALUES


REF = _reference_values()


def _frame(pro: int, pas: int, det: int) -> pd.DataFrame:
    return pd.DataFrame({"nps": [9] * pro + [8] * pas + [0] * det})


# ------------------------------------------------------------------------ nps_difference


def test_nps_difference_wald_by_hand():
    # a: 60/20/20 of 100 -> NPS .40, V = .8 - .16 = .64; b: 40/30/30 of 100 -> .10,
    # V = .7 - .01 = .69; se = sqrt(.64/100 + .69/100) = .115326; z = .30/.115326.
    out = stats.nps_difference(_frame(60, 20, 20), _frame(40, 30, 30), method="wald").iloc[0]
    se = np.sqrt(0.64 / 100 + 0.69 / 100)
    assert out["estimate"] == pytest.approx(30.0)
    assert out["se"] == pytest.approx(100 * se)
    assert out["statistic"] == pytest.approx(0.30 / se)
    assert out["p_value"] == pytest.approx(2 * sps.norm.sf(0.30 / se))
    assert [out["ci_low"], out["ci_high"]] == pytest.approx(
        [100 * (0.30 - Z95 * se), 100 * (0.30 + Z95 * se)]
    )
    assert [out["value_a"], out["value_b"]] == pytest.approx([40.0, 10.0])
    assert (out["n_a"], out["n_b"]) == (100, 100)


def test_nps_difference_adjusted_by_hand_and_consistent():
    a, b = _frame(30, 10, 10), _frame(20, 15, 25)
    out = stats.nps_difference(a, b, min_n=30).iloc[0]

    def adjusted(pro, det, n):
        pp, pd_ = (pro + 0.75) / (n + 3), (det + 0.75) / (n + 3)
        return pp - pd_, (pp + pd_ - (pp - pd_) ** 2) / (n + 3)

    ca, va = adjusted(30, 10, 50)
    cb, vb = adjusted(20, 25, 60)
    se = np.sqrt(va + vb)
    assert out["estimate"] == pytest.approx(100 * (20 / 50 - (-5 / 60)))
    assert out["statistic"] == pytest.approx((ca - cb) / se)
    assert out["ci_low"] == pytest.approx(100 * (ca - cb - Z95 * se))
    # interval excludes 0 exactly when p < 0.05
    assert (out["ci_low"] > 0) == (out["p_value"] < 0.05)
    assert not out["small_n"]


def test_compare_nps_equals_pairwise_differences():
    rng = np.random.default_rng(2)
    df = pd.DataFrame({"wave": rng.choice(["2026Q1", "2026Q2", "2026Q3"], 900)})
    df["nps"] = rng.integers(0, 11, 900)
    out = stats.compare_nps(df, by="wave", reference="2026Q2")
    assert out["wave"].tolist() == ["2026Q1", "2026Q3"]
    assert (out["reference"] == "2026Q2").all()
    ref = df[df["wave"] == "2026Q2"]
    for _, row in out.iterrows():
        single = stats.nps_difference(df[df["wave"] == row["wave"]], ref).iloc[0]
        assert row["estimate"] == pytest.approx(single["estimate"])
        assert row["p_value"] == pytest.approx(single["p_value"])
    assert out["p_adjusted"].tolist() == pytest.approx(
        multipletests(out["p_value"], method="holm")[1].tolist()
    )
    with pytest.raises(ValueError, match="reference"):
        stats.compare_nps(df, by="wave", reference="2027Q1")


# ------------------------------------------------------------------------ proportions


@pytest.mark.parametrize("i", range(len(REF["ztest"])))
def test_two_proportion_test_matches_statsmodels_reference(i):
    a, na, b, nb, z, p = REF["ztest"][i]
    *_, low, high = REF["newcombe"][i]
    out = stats.two_proportion_test(a, na, b, nb).iloc[0]
    assert out["statistic"] == pytest.approx(z, rel=1e-10)
    assert out["p_value"] == pytest.approx(p, rel=1e-9)
    assert [out["ci_low"], out["ci_high"]] == pytest.approx([low, high], abs=1e-12)
    live_z, live_p = proportions_ztest([a, b], [na, nb])
    assert out["statistic"] == pytest.approx(live_z, rel=1e-10)
    live = confint_proportions_2indep(a, na, b, nb, method="newcomb")
    assert [out["ci_low"], out["ci_high"]] == pytest.approx(list(live), abs=1e-12)


@pytest.mark.parametrize(
    ("counts", "published"),
    [
        ((56, 70, 48, 80), (0.0524, 0.3339)),
        ((9, 10, 3, 10), (0.1705, 0.8090)),
        ((6, 7, 2, 7), (0.0582, 0.8062)),
        ((5, 56, 0, 29), (-0.0381, 0.1926)),
    ],
)
def test_newcombe_interval_matches_published_table(counts, published):
    # Newcombe (1998) Statistics in Medicine 17:873-890, Table II, method 10.
    out = stats.two_proportion_test(*counts).iloc[0]
    assert [out["ci_low"], out["ci_high"]] == pytest.approx(list(published), abs=5e-5)


def test_two_proportion_test_broadcasts_and_validates():
    out = stats.two_proportion_test([10, 20], 50, [5, 25], 50)
    assert len(out) == 2 and out["estimate"].tolist() == pytest.approx([0.1, -0.1])
    with pytest.raises(ValueError):
        stats.two_proportion_test(60, 50, 5, 50)
    with pytest.raises(ValueError):
        stats.two_proportion_test(1, 0, 5, 50)


# ------------------------------------------------------------------------ means


def test_welch_matches_scipy_reference():
    ref = REF["welch"]
    out = stats.welch_test(ref["x"], ref["y"]).iloc[0]
    assert out["statistic"] == pytest.approx(ref["statistic"], rel=1e-10)
    assert out["p_value"] == pytest.approx(ref["pvalue"], rel=1e-9)
    assert out["df"] == pytest.approx(ref["df"], rel=1e-10)
    assert [out["ci_low"], out["ci_high"]] == pytest.approx(list(ref["ci95"]), rel=1e-10)
    live = sps.ttest_ind(ref["x"], ref["y"], equal_var=False)
    assert out["statistic"] == pytest.approx(live.statistic, rel=1e-10)


def test_welch_drops_missing_and_validates():
    out = stats.welch_test([1.0, 2.0, np.nan, 3.0], np.array([2.0, 4.0, 6.0]))
    assert out.loc[0, "n_a"] == 3 and out.loc[0, "estimate"] == pytest.approx(-2.0)
    with pytest.raises(ValueError, match="two"):
        stats.welch_test([1.0], [1.0, 2.0])


# ------------------------------------------------------------------------ multiplicity


@pytest.mark.parametrize("method", ["holm", "fdr_bh", "bonferroni"])
def test_adjust_pvalues_matches_statsmodels(method):
    ref = REF["multipletests"]
    rng = np.random.default_rng(0)
    order = rng.permutation(len(ref["p"]))
    shuffled = np.asarray(ref["p"])[order]
    out = stats.adjust_pvalues(shuffled, method=method)
    assert out == pytest.approx(np.asarray(ref[method])[order], abs=1e-12)
    assert out == pytest.approx(multipletests(shuffled, method=method)[1], abs=1e-12)


def test_adjust_pvalues_keeps_index_and_nan():
    p = pd.Series([0.01, np.nan, 0.04], index=["x", "y", "z"], name="p")
    out = stats.adjust_pvalues(p)
    assert list(out.index) == ["x", "y", "z"] and out.name == "p"
    assert out["x"] == pytest.approx(0.02) and np.isnan(out["y"])
    with pytest.raises(ValueError):
        stats.adjust_pvalues([0.2, 1.5])
    with pytest.raises(ValueError):
        stats.adjust_pvalues([0.2], method="sidak")


# ------------------------------------------------------------------------ segment_tests


@pytest.fixture
def responses() -> pd.DataFrame:
    rng = np.random.default_rng(42)
    n = 1500
    seg = rng.choice(["north", "south", "east", "west"], n, p=[0.4, 0.3, 0.2, 0.1])
    shift = pd.Series(seg).map({"north": 1, "south": 0, "east": -1, "west": 0}).to_numpy()
    return pd.DataFrame(
        {
            "region": seg,
            "nps": np.clip(rng.integers(3, 11, n) + shift, 0, 10),
            "csat": np.clip(rng.integers(1, 6, n) + shift, 1, 5),
            "ces": rng.normal(4 + 0.3 * shift, 1.2, n),
            "w": rng.uniform(0.5, 2.0, n),
        }
    )


def test_segment_tests_nps_equals_segment_vs_rest(responses):
    out = stats.segment_tests(responses, by="region")
    for _, row in out.iterrows():
        inside = responses["region"] == row["region"]
        single = stats.nps_difference(responses[inside], responses[~inside]).iloc[0]
        for col in ["estimate", "se", "ci_low", "ci_high", "p_value"]:
            assert row[col] == pytest.approx(single[col], rel=1e-9)
        assert row["value"] == pytest.approx(single["value_a"])
    assert out["p_adjusted"].tolist() == pytest.approx(
        multipletests(out["p_value"], method="holm")[1].tolist()
    )


def test_segment_tests_top_box_equals_two_proportion_test(responses):
    out = stats.segment_tests(responses, by="region", metric="top_box")
    for _, row in out.iterrows():
        inside = responses["region"] == row["region"]
        hit = responses["csat"] >= 4
        single = stats.two_proportion_test(
            hit[inside].sum(), inside.sum(), hit[~inside].sum(), (~inside).sum()
        ).iloc[0]
        for col in ["estimate", "ci_low", "ci_high", "statistic", "p_value"]:
            assert row[col] == pytest.approx(single[col], rel=1e-9)


def test_segment_tests_mean_equals_welch(responses):
    out = stats.segment_tests(responses, by="region", metric="mean", p_adjust="fdr_bh")
    for _, row in out.iterrows():
        inside = responses["region"] == row["region"]
        single = stats.welch_test(
            responses.loc[inside, "ces"], responses.loc[~inside, "ces"]
        ).iloc[0]
        for col in ["estimate", "se", "ci_low", "ci_high", "p_value"]:
            assert row[col] == pytest.approx(single[col], rel=1e-8)


@pytest.mark.parametrize("metric", ["nps", "top_box", "mean"])
def test_segment_tests_versus_overall(responses, metric):
    rest = stats.segment_tests(responses, by="region", metric=metric, weight="w")
    overall = stats.segment_tests(
        responses, by="region", metric=metric, weight="w", versus="overall"
    )
    assert overall["estimate"].to_numpy() == pytest.approx(
        (overall["value"] - overall["reference_value"]).to_numpy(), abs=1e-9
    )
    assert overall["p_value"].tolist() == pytest.approx(rest["p_value"].tolist())
    assert (overall["n_reference"] == len(responses)).all()


def test_segment_tests_flags_and_validation(responses):
    small = responses.iloc[:200]
    out = stats.segment_tests(small, by="region", min_n=50)
    sizes = small["region"].value_counts()
    expected = [bool(sizes[r] < 50) for r in out["region"]]
    assert out["small_n"].tolist() == expected
    with pytest.raises(ValueError, match="metric"):
        stats.segment_tests(responses, by="region", metric="median")
    with pytest.raises(ValueError, match="versus"):
        stats.segment_tests(responses, by="region", versus="all")
    with pytest.raises(ValueError, match="segment"):
        stats.segment_tests(responses, by=None)
