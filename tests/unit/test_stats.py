"""Tests for cxlib.stats: nps, top_box, mean_ci (plus the re-exported API)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from scipy import stats as sps
from statsmodels.stats.proportion import proportion_confint

from cxlib import stats
from cxlib.errors import CxError

Z95 = 1.959963984540054  # scipy.stats.norm.ppf(0.975)


def _reference_values() -> dict:
    path = Path(__file__).resolve().parents[1] / "reference" / "stats_reference_values.py"
    spec = importlib.util.spec_from_file_location("stats_reference_values", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.VALUES


REF = _reference_values()


def _scores(promoters: int, passives: int, detractors: int) -> list[int]:
    return [10] * promoters + [7] * passives + [3] * detractors


def _independent_nps(counts: tuple[int, int, int], method: str, z: float = Z95):
    """NPS interval from explicit counts, written out from Rocks (2016) / MeasuringU."""
    pro, pas, det = counts
    n = pro + pas + det
    if method == "adjusted_wald":
        n_adj = n + 3
        pp, pd_ = (pro + 0.75) / n_adj, (det + 0.75) / n_adj
    else:
        n_adj, pp, pd_ = n, pro / n, det / n
    centre = pp - pd_
    se = np.sqrt((pp + pd_ - centre**2) / n_adj)
    return 100 * (pro - det) / n, 100 * (centre - z * se), 100 * (centre + z * se), 100 * se


# ------------------------------------------------------------------------------ nps


def test_nps_adjusted_wald_worked_example_by_hand():
    # 60 promoters, 20 passives, 20 detractors (n = 100). Adjusted Wald:
    # n' = 103, p'P = 60.75/103 = 0.589806, p'D = 20.75/103 = 0.201456,
    # NPS' = 0.388350, var = (0.791262 - 0.388350**2)/103 = 0.0062179, se = 0.078854,
    # 95% CI = 0.388350 +/- 1.959964*0.078854 = (0.233800, 0.542899).
    out = stats.nps(pd.DataFrame({"nps": _scores(60, 20, 20)}))
    row = out.iloc[0]
    assert row["n"] == 100
    assert row["estimate"] == pytest.approx(40.0, abs=1e-12)
    assert row["ci_low"] == pytest.approx(23.3800, abs=5e-4)
    assert row["ci_high"] == pytest.approx(54.2899, abs=5e-4)
    assert row["se"] == pytest.approx(7.8854, abs=5e-4)
    assert (row["promoters"], row["passives"], row["detractors"]) == pytest.approx((0.6, 0.2, 0.2))


def test_nps_wald_matches_trinomial_variance():
    # The Wald variance (pP + pD - (pP - pD)^2)/n is the population variance of the
    # answers coded +1/0/-1 divided by n: an independent route to the same number.
    rng = np.random.default_rng(7)
    scores = rng.integers(0, 11, 537)
    codes = np.where(scores >= 9, 1, np.where(scores <= 6, -1, 0))
    out = stats.nps(pd.DataFrame({"nps": scores}), method="wald").iloc[0]
    se = np.sqrt(codes.var(ddof=0) / codes.size)
    assert out["estimate"] == pytest.approx(100 * codes.mean(), abs=1e-10)
    assert out["se"] == pytest.approx(100 * se, rel=1e-12)
    assert out["ci_low"] == pytest.approx(100 * (codes.mean() - Z95 * se), rel=1e-9)


@pytest.mark.parametrize("method", ["adjusted_wald", "wald"])
def test_nps_by_group_matches_explicit_counts(method):
    rng = np.random.default_rng(11)
    df = pd.DataFrame(
        {"nps": rng.integers(0, 11, 3000).astype(float), "seg": rng.choice(list("abcde"), 3000)}
    )
    df.loc[rng.random(3000) < 0.1, "nps"] = np.nan
    out = stats.nps(df, by="seg", method=method, confidence=0.9)
    assert out["seg"].tolist() == list("abcde")
    for _, row in out.iterrows():
        s = df.loc[df["seg"] == row["seg"], "nps"].dropna()
        counts = (int((s >= 9).sum()), int(s.between(7, 8).sum()), int((s <= 6).sum()))
        est, low, high, se = _independent_nps(counts, method, z=sps.norm.ppf(0.95))
        assert row["n"] == len(s)
        assert row["n_eff"] == pytest.approx(len(s))
        assert [row["estimate"], row["ci_low"], row["ci_high"], row["se"]] == pytest.approx(
            [est, low, high, se], rel=1e-10
        )


def test_nps_small_groups_flagged_and_clipped():
    df = pd.DataFrame({"nps": [10, 10, 9, 3], "seg": ["a", "a", "a", "b"]})
    out = stats.nps(df, by="seg", method="wald", min_n=3)
    assert out["small_n"].tolist() == [False, True]
    # all promoters: Wald se is 0, interval collapses on 100
    assert out.loc[0, "ci_low"] == pytest.approx(100.0) and out.loc[0, "ci_high"] == 100.0
    adj = stats.nps(df, by="seg")
    assert (adj["ci_low"] >= -100).all() and (adj["ci_high"] <= 100).all()


def test_nps_weighted_kish_hand_example():
    # weights 1, 1, 2, 4 on a promoter, a passive, a detractor and a promoter:
    # sum w = 8, sum w^2 = 1 + 1 + 4 + 16 = 22, n_eff = 64/22 = 2.909091;
    # weighted shares: promoters (1 + 4)/8 = 0.625, detractors 2/8 = 0.25 -> NPS 37.5.
    df = pd.DataFrame({"nps": [10, 8, 2, 9], "w": [1.0, 1.0, 2.0, 4.0]})
    row = stats.nps(df, weight="w", method="wald", min_n=2).iloc[0]
    assert row["n"] == 4
    assert row["n_eff"] == pytest.approx(64 / 22)
    assert row["estimate"] == pytest.approx(37.5)
    var = (0.625 + 0.25 - 0.375**2) / (64 / 22)
    assert row["se"] == pytest.approx(100 * np.sqrt(var))
    assert not row["small_n"]


def test_nps_equal_weights_equal_unweighted_and_replication():
    rng = np.random.default_rng(3)
    df = pd.DataFrame({"nps": rng.integers(0, 11, 400), "w": 2.5, "seg": rng.integers(0, 3, 400)})
    plain = stats.nps(df, by="seg")
    weighted = stats.nps(df, by="seg", weight="w")
    cols = ["n", "n_eff", "estimate", "ci_low", "ci_high", "se"]
    assert_allclose(plain[cols].to_numpy(float), weighted[cols].to_numpy(float), rtol=1e-12)
    # integer weights give the same shares as replicated rows
    df["k"] = rng.integers(1, 4, 400)
    rep = df.loc[df.index.repeat(df["k"])]
    a = stats.nps(df, by="seg", weight="k")
    b = stats.nps(rep, by="seg")
    assert_allclose(a["estimate"], b["estimate"], rtol=1e-12)


def test_nps_missing_group_kept_and_all_missing_scores():
    df = pd.DataFrame({"nps": [10, 3, np.nan, 9], "seg": ["a", None, "b", "a"]})
    out = stats.nps(df, by="seg")
    assert out["n"].tolist() == [2, 0, 1]
    assert out["seg"].isna().tolist() == [False, False, True]
    assert np.isnan(out.loc[1, "estimate"]) and out.loc[1, "small_n"]


def test_nps_two_by_columns():
    df = pd.DataFrame({"nps": [10, 3, 9, 8], "a": [1, 1, 2, 2], "b": ["x", "y", "x", "x"]})
    out = stats.nps(df, by=["a", "b"])
    assert out[["a", "b", "n"]].values.tolist() == [[1, "x", 1], [1, "y", 1], [2, "x", 2]]


@pytest.mark.parametrize("bad", [[11, 5], [-1, 5], [9.5, 5]])
def test_nps_rejects_out_of_range_scores(bad):
    with pytest.raises(stats.InvalidDataError) as info:
        stats.nps(pd.DataFrame({"nps": bad}))
    assert isinstance(info.value, CxError) and isinstance(info.value, ValueError)


def test_argument_validation():
    df = pd.DataFrame({"nps": [10, 5], "w": [1.0, -1.0], "t": ["a", "b"]})
    with pytest.raises(TypeError):
        stats.nps([1, 2])
    with pytest.raises(ValueError, match="not found"):
        stats.nps(df, score="ltr")
    with pytest.raises(ValueError, match="confidence"):
        stats.nps(df, confidence=95)
    with pytest.raises(ValueError, match="method"):
        stats.nps(df, method="exact")
    with pytest.raises(stats.InvalidDataError, match="negative"):
        stats.nps(df, weight="w")
    with pytest.raises(stats.InvalidDataError, match="numeric"):
        stats.mean_ci(df, score="t")
    with pytest.raises(ValueError, match="min_n"):
        stats.top_box(df, score="nps", min_n=-1)
    with pytest.raises(ValueError, match="top"):
        stats.top_box(df, score="nps", top=())


def test_nps_on_real_carpentrycon_survey(external_fixtures):
    # CarpentryCon @ Home 2020 post-event survey (CC BY 4.0, The Carpentries); 0-10 nps.
    raw = pd.read_csv(external_fixtures / "carpentries" / "2020_carpentryconhome_raw.csv")
    s = pd.to_numeric(raw["nps"], errors="coerce").dropna()
    counts = (int((s >= 9).sum()), int(s.between(7, 8).sum()), int((s <= 6).sum()))
    out = stats.nps(raw).iloc[0]
    est, low, high, _ = _independent_nps(counts, "adjusted_wald")
    assert out["n"] == len(s) == sum(counts)
    assert [out["estimate"], out["ci_low"], out["ci_high"]] == pytest.approx([est, low, high])


# ------------------------------------------------------------------------------ top_box


@pytest.mark.parametrize("case", REF["wilson"])
def test_top_box_wilson_matches_statsmodels_reference(case):
    count, n, conf, low, high = case
    df = pd.DataFrame({"csat": [5] * count + [2] * (n - count)})
    out = stats.top_box(df, confidence=conf).iloc[0]
    assert out["estimate"] == pytest.approx(count / n)
    assert [out["ci_low"], out["ci_high"]] == pytest.approx([low, high], abs=1e-12)
    live = proportion_confint(count, n, alpha=1 - conf, method="wilson")
    assert [out["ci_low"], out["ci_high"]] == pytest.approx(list(live), abs=1e-12)


def test_top_box_groups_weights_and_missing():
    df = pd.DataFrame(
        {"csat": [5, 4, 3, np.nan, 1, 5], "g": list("aaabbb"), "w": [1, 1, 2, 9, 1, 3.0]}
    )
    out = stats.top_box(df, by="g", weight="w")
    assert out["n"].tolist() == [3, 2]
    assert out["estimate"].tolist() == pytest.approx([0.5, 0.75])
    assert out["n_eff"].tolist() == pytest.approx([16 / 6, 16 / 10])
    custom = stats.top_box(df, top=[5])
    assert custom.loc[0, "estimate"] == pytest.approx(2 / 5)


# ------------------------------------------------------------------------------ mean_ci


def test_mean_ci_matches_scipy_t_interval():
    rng = np.random.default_rng(5)
    x = rng.integers(1, 8, 80).astype(float)
    out = stats.mean_ci(pd.DataFrame({"ces": x}), confidence=0.9).iloc[0]
    low, high = sps.t.interval(0.9, len(x) - 1, loc=x.mean(), scale=sps.sem(x))
    assert [out["estimate"], out["ci_low"], out["ci_high"]] == pytest.approx([x.mean(), low, high])
    assert out["sd"] == pytest.approx(x.std(ddof=1))


def test_mean_ci_weighted_hand_example():
    # x = 2, 4, 6 with w = 1, 1, 2: sum w = 4, mean = (2 + 4 + 12)/4 = 4.5,
    # sum w (x - mean)^2 / sum w = (6.25 + 0.25 + 4.5)/4 = 2.75, n_eff = 16/6 = 8/3,
    # s_w^2 = 2.75 * (8/3)/(5/3) = 4.4, se = sqrt(4.4 / (8/3)) = 1.284523, df = 5/3.
    df = pd.DataFrame({"ces": [2.0, 4.0, 6.0], "w": [1.0, 1.0, 2.0]})
    out = stats.mean_ci(df, weight="w").iloc[0]
    assert out["estimate"] == pytest.approx(4.5)
    assert out["n_eff"] == pytest.approx(8 / 3)
    assert out["sd"] == pytest.approx(np.sqrt(4.4))
    se = np.sqrt(4.4 / (8 / 3))
    assert out["se"] == pytest.approx(se)
    assert out["ci_high"] == pytest.approx(4.5 + sps.t.ppf(0.975, 5 / 3) * se)


def test_mean_ci_groups_and_single_answer():
    df = pd.DataFrame({"ces": [1.0, 3.0, 7.0, np.nan], "g": ["a", "a", "b", "b"]})
    out = stats.mean_ci(df, by="g")
    assert out["estimate"].tolist() == pytest.approx([2.0, 7.0])
    assert out["n"].tolist() == [2, 1]
    assert np.isnan(out.loc[1, "ci_low"]) and out.loc[1, "small_n"]


def test_public_api_is_reexported():
    for name in stats.__all__:
        assert callable(getattr(stats, name)) or isinstance(getattr(stats, name), type)
