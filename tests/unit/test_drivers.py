"""Tests for cxlib.drivers (key driver analysis).

References used here:
- tests/reference/drivers_lmg.csv: LMG shares on R's attitude and mtcars data, computed by
  brute force over all p! orderings with statsmodels OLS R² on the raw data (see the header
  of that file and drivers_make_reference.py; cross-checked once with PyPI
  dominance-analysis 1.1.9).
- Johnson's relative weights: an independent implementation below that follows Johnson
  (2000) literally, from the SVD of the standardized data and two least-squares fits.
- Logistic drivers: statsmodels Logit fitted directly in the test.
"""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from cxlib import drivers
from cxlib.drivers import (
    DetractorResult,
    DriverDataError,
    DriverResult,
    detractor_drivers,
    importance_performance,
    key_drivers,
)
from cxlib.errors import CxError

REFERENCE = Path(__file__).resolve().parents[1] / "reference" / "drivers_lmg.csv"
ATTITUDE_X = ["complaints", "privileges", "learning", "raises", "critical", "advance"]


@pytest.fixture(scope="module")
def attitude(external_fixtures) -> pd.DataFrame:
    return pd.read_csv(external_fixtures / "reference_inputs" / "attitude.csv")


@pytest.fixture(scope="module")
def mtcars(external_fixtures) -> pd.DataFrame:
    return pd.read_csv(external_fixtures / "reference_inputs" / "mtcars.csv", index_col=0)


@pytest.fixture(scope="module")
def reference() -> pd.DataFrame:
    return pd.read_csv(REFERENCE, comment="#")


def planted(n=600, seed=3):
    """Five correlated ratings; 'staff' drives nps strongly, 'wait' pulls it down a little."""
    rng = np.random.default_rng(seed)
    common = rng.normal(size=(n, 1))
    x = 0.5 * common + rng.normal(size=(n, 5))
    df = pd.DataFrame(x, columns=["staff", "price", "app", "wait", "store"])
    df["nps"] = 3.0 * df["staff"] + 0.8 * df["price"] - 0.6 * df["wait"] + rng.normal(size=n)
    return df


def johnson_relative_weights(df, y, xs):
    """Johnson (2000) as published: Z = U V' from the SVD of standardized X, then regress."""
    x = df[xs].to_numpy(float)
    x = (x - x.mean(0)) / x.std(0, ddof=1)
    yy = df[y].to_numpy(float)
    yy = (yy - yy.mean()) / yy.std(ddof=1)
    u, _, vt = np.linalg.svd(x, full_matrices=False)
    z = np.sqrt(len(x) - 1) * u @ vt  # orthogonal, unit-variance counterparts of X
    beta = np.linalg.lstsq(z, yy, rcond=None)[0]  # y on Z
    lam = np.linalg.lstsq(z, x, rcond=None)[0]  # X on Z: lam[k, j]
    return (lam**2).T @ (beta**2)  # eps_j = sum_k lam_kj² beta_k²


def brute_force_lmg(df, y, xs, weights=None):
    """Average R² increment over all orderings, with (weighted) statsmodels fits."""
    cache = {(): 0.0}

    def r2(cols):
        key = tuple(sorted(cols))
        if key not in cache:
            exog = sm.add_constant(df[list(key)])
            fit = sm.WLS(df[y], exog, weights=weights).fit() if weights is not None else None
            cache[key] = (fit or sm.OLS(df[y], exog).fit()).rsquared
        return cache[key]

    out = dict.fromkeys(xs, 0.0)
    orders = list(itertools.permutations(xs))
    for order in orders:
        for i, x in enumerate(order):
            out[x] += r2(order[: i + 1]) - r2(order[:i])
    return np.array([out[x] / len(orders) for x in xs])


def by_attribute(result, column="importance"):
    return result.importance.set_index("attribute").loc[list(result.attributes), column]


# --- LMG against the reference values -------------------------------------------------


@pytest.mark.parametrize("model", [0, 1, 2])
def test_lmg_matches_reference(model, reference, attitude, mtcars):
    groups = list(reference.groupby("model", sort=False))
    _, ref = groups[model]
    data = attitude if ref["dataset"].iloc[0] == "attitude" else mtcars
    res = key_drivers(
        data, outcome=ref["outcome"].iloc[0], attributes=list(ref["attribute"]), n_boot=0
    )
    np.testing.assert_allclose(by_attribute(res).to_numpy(), ref["lmg"], rtol=1e-9, atol=1e-11)
    assert res.r_squared == pytest.approx(ref["r_squared"].iloc[0], rel=1e-10)
    assert res.n == len(data)


def test_attitude_published_r_squared_and_ranking(attitude):
    # R: summary(lm(rating ~ ., attitude)) prints Multiple R-squared: 0.7326
    res = key_drivers(attitude, outcome="rating", attributes=ATTITUDE_X, n_boot=0)
    assert res.r_squared == pytest.approx(0.7326, abs=5e-5)
    assert res.importance["attribute"].tolist() == [
        "complaints",
        "learning",
        "raises",
        "privileges",
        "advance",
        "critical",
    ]
    assert res.importance["importance"].sum() == pytest.approx(res.r_squared, abs=1e-12)
    assert res.importance["importance_pct"].sum() == pytest.approx(100, abs=1e-9)


def test_shapley_matches_brute_force_with_weights():
    df = planted(n=150, seed=9)
    df["w"] = np.random.default_rng(1).uniform(0.2, 3.0, len(df))
    xs = ["staff", "price", "app", "wait"]
    res = key_drivers(df, attributes=xs, weight="w", n_boot=0)
    expected = brute_force_lmg(df, "nps", xs, weights=df["w"])
    np.testing.assert_allclose(by_attribute(res).to_numpy(), expected, rtol=1e-9)
    wls = sm.WLS(df["nps"], sm.add_constant(df[xs]), weights=df["w"]).fit()
    assert res.r_squared == pytest.approx(wls.rsquared, rel=1e-10)
    w = df["w"].to_numpy()
    assert res.n_eff == pytest.approx(w.sum() ** 2 / (w**2).sum())
    assert by_attribute(res, "performance")["staff"] == pytest.approx(
        np.average(df["staff"], weights=w)
    )


def test_frequency_weights_equal_duplicated_rows():
    df = planted(n=80, seed=4)
    df["w"] = np.random.default_rng(0).integers(1, 4, len(df))
    xs = ["staff", "price", "app"]
    weighted = key_drivers(df, attributes=xs, weight="w", n_boot=0)
    repeated = key_drivers(df.loc[df.index.repeat(df["w"])], attributes=xs, n_boot=0)
    np.testing.assert_allclose(by_attribute(weighted), by_attribute(repeated), rtol=1e-10)


def test_fifteen_attributes_shares_sum_to_r_squared():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(400, 15)) + rng.normal(size=(400, 1))
    df = pd.DataFrame(x, columns=[f"a{j}" for j in range(15)])
    df["nps"] = x @ np.linspace(1, -0.5, 15) + rng.normal(size=400)
    res = key_drivers(df, attributes=[f"a{j}" for j in range(15)], n_boot=0)
    ols = sm.OLS(df["nps"], sm.add_constant(df.drop(columns="nps"))).fit()
    assert res.importance["importance"].sum() == pytest.approx(ols.rsquared, abs=1e-10)
    assert (res.importance["importance"] > 0).all()


def test_orthogonal_attributes_get_squared_correlations():
    # With uncorrelated attributes every ordering adds r_j², for both methods.
    rng = np.random.default_rng(2)
    a = rng.normal(size=(200, 3))
    x, _ = np.linalg.qr(a - a.mean(0))  # centred, mutually orthogonal columns
    df = pd.DataFrame(x, columns=["a", "b", "c"])
    df["nps"] = x @ [3.0, -1.0, 0.5] + rng.normal(scale=0.05, size=200)
    r = df.corr().loc[["a", "b", "c"], "nps"].to_numpy()
    for method in ("shapley", "relative_weights"):
        res = key_drivers(df, attributes=["a", "b", "c"], method=method, n_boot=0)
        np.testing.assert_allclose(by_attribute(res), r**2, atol=1e-10)
        assert by_attribute(res, "sign").tolist() == [1, -1, 1]


def test_single_attribute_is_squared_correlation():
    df = planted(n=100)
    for method in ("shapley", "relative_weights"):
        res = key_drivers(df, attributes=["price"], method=method, n_boot=20)
        r = np.corrcoef(df["price"], df["nps"])[0, 1]
        assert res.importance["importance"].iloc[0] == pytest.approx(r**2, rel=1e-12)
        assert res.importance["importance_pct"].iloc[0] == pytest.approx(100)


# --- Johnson's relative weights ---------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "y", "xs"),
    [
        ("attitude", "rating", ATTITUDE_X),
        ("mtcars", "mpg", ["cyl", "disp", "hp", "drat", "wt", "qsec", "vs", "am"]),
    ],
)
def test_relative_weights_match_independent_implementation(name, y, xs, attitude, mtcars):
    data = attitude if name == "attitude" else mtcars
    res = key_drivers(data, outcome=y, attributes=xs, method="relative_weights", n_boot=0)
    expected = johnson_relative_weights(data, y, xs)
    np.testing.assert_allclose(by_attribute(res).to_numpy(), expected, rtol=1e-9, atol=1e-12)
    ols = sm.OLS(data[y], sm.add_constant(data[xs])).fit()
    assert expected.sum() == pytest.approx(ols.rsquared, rel=1e-10)
    assert res.importance["importance"].sum() == pytest.approx(ols.rsquared, rel=1e-10)


def test_relative_weights_close_to_lmg_on_attitude(attitude):
    # Johnson (2000) and Groemping report that the two rarely differ much; here < 0.01.
    lmg = key_drivers(attitude, outcome="rating", attributes=ATTITUDE_X, n_boot=0)
    rw = key_drivers(
        attitude, outcome="rating", attributes=ATTITUDE_X, method="relative_weights", n_boot=0
    )
    np.testing.assert_allclose(by_attribute(rw), by_attribute(lmg), atol=0.01)
    assert not np.allclose(by_attribute(rw), by_attribute(lmg), atol=1e-4)


# --- invariance, signs, planted driver --------------------------------------------------


@pytest.mark.parametrize("method", ["shapley", "relative_weights"])
def test_invariant_to_rescaling_an_attribute(method, attitude):
    scaled = attitude.assign(
        raises=attitude["raises"] * 0.1 + 40, complaints=-3 * attitude["complaints"]
    )
    a = key_drivers(
        attitude, outcome="rating", attributes=ATTITUDE_X, method=method, n_boot=50, seed=11
    )
    b = key_drivers(
        scaled, outcome="rating", attributes=ATTITUDE_X, method=method, n_boot=50, seed=11
    )
    np.testing.assert_allclose(by_attribute(b), by_attribute(a), rtol=1e-10)
    np.testing.assert_allclose(b.replicates, a.replicates, rtol=1e-8)
    assert by_attribute(b, "sign")["complaints"] == -by_attribute(a, "sign")["complaints"]


def test_planted_driver_ranks_first_with_tight_rank_interval():
    res = key_drivers(
        planted(), attributes=["staff", "price", "app", "wait", "store"], n_boot=200, seed=1
    )
    top = res.importance.iloc[0]
    assert top["attribute"] == "staff"
    assert (top["rank"], top["rank_ci_low"], top["rank_ci_high"]) == (1, 1, 1)
    assert top["importance_pct"] > 60
    assert top["ci_low"] < top["importance"] < top["ci_high"]
    signs = by_attribute(res, "sign")
    assert signs["staff"] == 1 and signs["wait"] == -1
    assert by_attribute(res, "signed_importance")["wait"] < 0
    assert res.r_squared_ci_low < res.r_squared < res.r_squared_ci_high
    assert res.importance["rank"].tolist() == [1, 2, 3, 4, 5]


def test_sign_from_correlation():
    # 'suppress' correlates positively with nps but has a negative coefficient.
    rng = np.random.default_rng(8)
    a = rng.normal(size=500)
    df = pd.DataFrame({"a": a, "suppress": a + 0.3 * rng.normal(size=500)})
    df["nps"] = 2 * df["a"] - 0.3 * df["suppress"] + 0.5 * rng.normal(size=500)
    coef = key_drivers(df, attributes=["a", "suppress"], n_boot=0)
    corr = key_drivers(df, attributes=["a", "suppress"], n_boot=0, sign_from="correlation")
    assert by_attribute(coef, "sign")["suppress"] == -1
    assert by_attribute(corr, "sign")["suppress"] == 1
    assert (
        by_attribute(coef, "std_coef")["suppress"]
        < 0
        < by_attribute(coef, "correlation")["suppress"]
    )


# --- bootstrap --------------------------------------------------------------------------


def test_bootstrap_reproducible_for_a_seed(attitude):
    kw = {"outcome": "rating", "attributes": ATTITUDE_X, "n_boot": 100}
    a, b = key_drivers(attitude, seed=7, **kw), key_drivers(attitude, seed=7, **kw)
    c = key_drivers(attitude, seed=8, **kw)
    np.testing.assert_array_equal(a.replicates, b.replicates)
    pd.testing.assert_frame_equal(a.importance, b.importance)
    assert not np.allclose(a.replicates, c.replicates)
    assert a.replicates.shape == (100, 6) and a.n_boot_valid == 100
    assert (a.replicates > 0).all()


@pytest.mark.parametrize(("n", "n_boot"), [(40, 30), (3000, 4096)])
def test_bootstrap_moments_equal_explicit_resamples(n, n_boot, monkeypatch):
    # Record the resampling counts and check that each replicate's correlation matrix is
    # that of the resampled rows (np.cov with frequency weights); the second case spans
    # several row blocks.
    rng = np.random.default_rng(0)
    z = rng.normal(size=(n, 3)) @ [[1, 0.4, 0.2], [0, 1, 0.5], [0, 0, 1]]
    w = rng.uniform(0.5, 2, n)
    seen = []
    real = drivers._resample_counts

    def spy(rng_, totals, rows):
        counts = real(rng_, totals, rows)
        seen.append(counts)
        return counts

    monkeypatch.setattr(drivers, "_resample_counts", spy)
    corr, valid = drivers._bootstrap_corr(z, w, n_boot, np.random.default_rng(5))
    counts = np.concatenate(seen, axis=1)
    assert counts.shape == (n_boot, n) and valid.all()
    np.testing.assert_array_equal(counts.sum(axis=1), n)
    for b in [0, 1, n_boot - 1]:
        cov = np.cov(z.T, aweights=counts[b] * w, bias=True)
        expected = cov / np.sqrt(np.outer(np.diag(cov), np.diag(cov)))
        np.testing.assert_allclose(corr[b], expected, atol=1e-10)
    # Each row is drawn with probability 1/n per draw: mean count 1.
    assert counts.mean() == pytest.approx(1.0)
    assert counts.var() == pytest.approx(1 - 1 / n, rel=0.2)


def test_rank_intervals_cover_bootstrap_ranks(attitude):
    res = key_drivers(attitude, outcome="rating", attributes=ATTITUDE_X, n_boot=200, seed=3)
    t = res.importance
    assert ((t["rank_ci_low"] >= 1) & (t["rank_ci_high"] <= 6)).all()
    assert (t["rank_ci_low"] <= t["rank_ci_high"]).all()
    ranks = drivers._ranks(res.replicates)
    expected_low = np.quantile(ranks, 0.025, axis=0, method="inverted_cdf")
    np.testing.assert_array_equal(by_attribute(res, "rank_ci_low"), expected_low)
    expected_ci = np.quantile(res.replicates, [0.025, 0.975], axis=0)
    np.testing.assert_allclose(by_attribute(res, "ci_low"), expected_ci[0])
    np.testing.assert_allclose(by_attribute(res, "ci_high"), expected_ci[1])


def test_degenerate_replicates_are_left_out():
    # 'rare' is 1 in only 2 of 20 rows: about 12% of resamples contain neither row, so
    # its variance is zero there and those replicates are dropped, not turned into numbers.
    rng = np.random.default_rng(4)
    df = pd.DataFrame({"a": rng.normal(size=20), "rare": [1.0, 1.0] + [0.0] * 18})
    df["nps"] = df["a"] + df["rare"] + rng.normal(size=20)
    res = key_drivers(df, attributes=["a", "rare"], n_boot=200, seed=0)
    invalid = np.isnan(res.replicates).any(axis=1)
    assert 5 < invalid.sum() < 60 and res.n_boot_valid == 200 - invalid.sum()
    assert np.isnan(res.replicates[invalid]).all()
    expected = np.quantile(res.replicates[~invalid], 0.975, axis=0)
    np.testing.assert_allclose(by_attribute(res, "ci_high"), expected)


def test_no_bootstrap_gives_missing_intervals(attitude):
    res = key_drivers(attitude, outcome="rating", attributes=ATTITUDE_X, n_boot=0)
    assert res.n_boot_valid == 0 and res.replicates.shape == (0, 6)
    assert res.importance[["ci_low", "ci_high", "rank_ci_low"]].isna().all().all()
    assert math.isnan(res.r_squared_ci_low)


# --- missing values, table, serialisation -----------------------------------------------


def test_listwise_deletion_reports_n(attitude):
    holes = attitude.astype({"learning": "Float64", "rating": float})
    holes.loc[[0, 5], "learning"] = pd.NA
    holes.loc[7, "rating"] = np.nan
    res = key_drivers(holes, outcome="rating", attributes=ATTITUDE_X, n_boot=0)
    complete = key_drivers(holes.dropna(), outcome="rating", attributes=ATTITUDE_X, n_boot=0)
    assert (res.n, res.n_dropped) == (27, 3)
    assert (res.importance["n"] == 27).all() and res.small_n
    np.testing.assert_allclose(by_attribute(res), by_attribute(complete), rtol=1e-12)
    with pytest.raises(DriverDataError, match="3 rows have missing"):
        key_drivers(holes, outcome="rating", attributes=ATTITUDE_X, missing="raise")


def test_table_columns_and_serialisation(attitude):
    res = key_drivers(attitude, outcome="rating", attributes=ATTITUDE_X, n_boot=20)
    assert isinstance(res, DriverResult)
    assert list(res.importance.columns) == [
        "attribute",
        "importance",
        "importance_pct",
        "sign",
        "signed_importance",
        "std_coef",
        "correlation",
        "ci_low",
        "ci_high",
        "importance_pct_ci_low",
        "importance_pct_ci_high",
        "rank",
        "rank_ci_low",
        "rank_ci_high",
        "performance",
        "n",
        "small_n",
    ]
    assert by_attribute(res, "performance")["complaints"] == pytest.approx(66.6)
    d = json.loads(json.dumps(res.to_dict()))
    assert d["method"] == "shapley" and d["n"] == 30 and len(d["importance"]) == 6
    assert d["importance"][0]["attribute"] == "complaints"
    assert d["r_squared"] == pytest.approx(res.r_squared)
    with pytest.raises(AttributeError):
        res.n = 3  # frozen


def test_repr_html_escapes_names():
    df = planted(n=60).rename(columns={"staff": "<b>staff</b>"})
    res = key_drivers(df, attributes=["<b>staff</b>", "price"], n_boot=0)
    out = res._repr_html_()
    assert "&lt;b&gt;staff&lt;/b&gt;" in out and "<b>staff" not in out and "<table" in out


# --- argument and data errors -----------------------------------------------------------


def test_errors(attitude):
    kw = {"outcome": "rating", "attributes": ATTITUDE_X}
    with pytest.raises(ValueError, match="method"):
        key_drivers(attitude, method="lmg", **kw)
    with pytest.raises(ValueError, match="confidence"):
        key_drivers(attitude, confidence=95, **kw)
    with pytest.raises(ValueError, match="n_boot"):
        key_drivers(attitude, n_boot=-1, **kw)
    with pytest.raises(DriverDataError, match="not found") as err:
        key_drivers(attitude, outcome="rating", attributes=["complaints", "nope"])
    assert isinstance(err.value, CxError)
    with pytest.raises(DriverDataError, match="no variation in \\['flat'\\]"):
        key_drivers(attitude.assign(flat=7.3), outcome="rating", attributes=["learning", "flat"])
    with pytest.raises(DriverDataError, match="collinear"):
        key_drivers(
            attitude.assign(twin=2 * attitude["learning"] + 1),
            outcome="rating",
            attributes=["learning", "twin", "raises"],
        )
    with pytest.raises(DriverDataError, match="complete rows"):
        key_drivers(attitude.head(7), **kw)
    with pytest.raises(TypeError, match="numeric"):
        key_drivers(attitude.assign(txt="a"), outcome="rating", attributes=["txt"])
    wide = pd.DataFrame(
        np.random.default_rng(0).normal(size=(40, 17)),
        columns=[f"x{i}" for i in range(16)] + ["nps"],
    )
    with pytest.raises(ValueError, match="relative_weights"):
        key_drivers(wide, attributes=[f"x{i}" for i in range(16)])
    with pytest.raises(DriverDataError, match="negative"):
        key_drivers(attitude.assign(w=-1.0), weight="w", **kw)


# --- importance-performance -------------------------------------------------------------


def test_importance_performance_quadrants():
    df = planted(n=400)
    shift = {"staff": 1.0, "price": -1.0, "app": 0.5, "wait": -0.5, "store": 2.0}
    rated = df.assign(**{k: df[k] + 5 + v for k, v in shift.items()})
    res = key_drivers(rated, attributes=list(shift), n_boot=0)
    ipa = importance_performance(res, rated)
    assert ipa["attribute"].tolist() == res.importance["attribute"].tolist()
    imp_cut = res.importance["importance_pct"].mean()
    perf = rated[list(shift)].mean()
    assert ipa["importance_cut"].iloc[0] == pytest.approx(imp_cut)
    assert ipa["performance_cut"].iloc[0] == pytest.approx(perf.mean())
    names = {
        (True, False): "Concentrate here",
        (True, True): "Keep up the good work",
        (False, False): "Low priority",
        (False, True): "Possible overkill",
    }
    for row in ipa.itertuples():
        assert row.performance == pytest.approx(perf[row.attribute])
        expected = names[(row.importance_pct >= imp_cut, row.performance >= perf.mean())]
        assert row.quadrant == expected
    q = ipa.set_index("attribute")["quadrant"]
    assert q["staff"] == "Keep up the good work"  # top driver, rated above average
    assert q["store"] == "Possible overkill"  # no effect, best rated


def test_importance_performance_median_and_fixed_cuts():
    df = planted(n=300)
    res = key_drivers(df, attributes=["staff", "price", "app", "wait"], n_boot=0)
    med = importance_performance(res, df, split="median")
    assert med["importance_cut"].iloc[0] == pytest.approx(
        res.importance["importance_pct"].median()
    )
    assert med["high_importance"].sum() == 2
    fixed = importance_performance(
        res, df, attributes=["staff", "app"], importance_cut=25, performance_cut=0.0
    )
    assert fixed["attribute"].tolist() == ["staff", "app"]
    assert fixed["high_importance"].tolist() == [True, False]
    assert fixed["high_performance"].tolist() == (df[["staff", "app"]].mean() >= 0).tolist()
    with pytest.raises(ValueError, match="split"):
        importance_performance(res, df, split="mode")
    with pytest.raises(ValueError, match="not in the driver result"):
        importance_performance(res, df, attributes=["store"])


def test_importance_performance_uses_available_ratings_and_weights():
    df = planted(n=200)
    res = key_drivers(df, attributes=["staff", "price"], n_boot=0)
    gappy = df.assign(w=np.linspace(1, 3, 200))
    gappy.loc[:49, "price"] = np.nan
    out = importance_performance(res, gappy, weight="w").set_index("attribute")
    assert out.loc["price", "n"] == 150 and out.loc["staff", "n"] == 200
    assert out.loc["price", "performance"] == pytest.approx(
        np.average(gappy["price"][50:], weights=gappy["w"][50:])
    )


# --- detractor drivers ------------------------------------------------------------------


def nps_data(n=500, seed=6):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(rng.integers(1, 6, size=(n, 3)), columns=["staff", "price", "app"])
    latent = 1.2 * df["staff"] + 0.5 * df["price"] + rng.logistic(size=n)
    df["nps"] = np.clip(np.rint(latent + 1), 0, 10)
    return df


def test_detractor_odds_ratios_match_logit():
    df = nps_data()
    xs = ["staff", "price", "app"]
    res = detractor_drivers(df, attributes=xs, confidence=0.9)
    logit = sm.Logit((df["nps"] <= 6).astype(float), sm.add_constant(df[xs])).fit(disp=0)
    t = res.table.set_index("attribute").loc[xs]
    np.testing.assert_allclose(t["coef"], logit.params[xs], rtol=1e-6)
    np.testing.assert_allclose(t["std_err"], logit.bse[xs], rtol=1e-5)
    np.testing.assert_allclose(t["odds_ratio"], np.exp(logit.params[xs]), rtol=1e-6)
    ci = np.exp(logit.conf_int(alpha=0.1).loc[xs])
    np.testing.assert_allclose(t[["ci_low", "ci_high"]].to_numpy(), ci.to_numpy(), rtol=1e-5)
    np.testing.assert_allclose(t["p_value"], logit.pvalues[xs], rtol=1e-4, atol=1e-12)
    assert res.pseudo_r_squared == pytest.approx(logit.prsquared, rel=1e-8)
    assert res.n == 500 and res.n_detractors == int((df["nps"] <= 6).sum())
    assert t.loc["staff", "odds_ratio"] < 1 and t["dominance"].isna().all()
    assert isinstance(res, DetractorResult)
    assert json.loads(json.dumps(res.to_dict()))["table"][0]["rank"] is None


def test_detractor_dominance_matches_orderings_and_sums():
    df = nps_data(n=400, seed=2)
    xs = ["staff", "price", "app"]
    res = detractor_drivers(df, attributes=xs, dominance=True)
    y = (df["nps"] <= 6).astype(float)

    def mcf(cols):
        if not cols:
            return 0.0
        return sm.Logit(y, sm.add_constant(df[sorted(cols)])).fit(disp=0).prsquared

    expected = dict.fromkeys(xs, 0.0)
    for order in itertools.permutations(xs):
        for i, x in enumerate(order):
            expected[x] += (mcf(order[: i + 1]) - mcf(order[:i])) / 6
    t = res.table.set_index("attribute")
    np.testing.assert_allclose(t.loc[xs, "dominance"], [expected[x] for x in xs], rtol=1e-6)
    assert t["dominance"].sum() == pytest.approx(res.pseudo_r_squared, rel=1e-9)
    assert res.table["attribute"].iloc[0] == "staff" and res.table["rank"].iloc[0] == 1


def test_detractor_weights_boolean_flag_and_errors():
    df = nps_data(n=300)
    xs = ["staff", "price"]
    df["w"] = np.random.default_rng(0).integers(1, 4, len(df))
    weighted = detractor_drivers(df, attributes=xs, weight="w")
    repeated = detractor_drivers(df.loc[df.index.repeat(df["w"])], attributes=xs)
    np.testing.assert_allclose(weighted.table["coef"], repeated.table["coef"], rtol=1e-6)
    assert weighted.pseudo_r_squared == pytest.approx(repeated.pseudo_r_squared, rel=1e-6)
    assert weighted.weighted and weighted.detractor_rate == pytest.approx(
        repeated.n_detractors / repeated.n
    )
    flag = df.assign(unhappy=df["nps"] <= 6)
    as_flag = detractor_drivers(flag, outcome="unhappy", attributes=xs)
    plain = detractor_drivers(df, attributes=xs)
    np.testing.assert_allclose(as_flag.table["coef"], plain.table["coef"], rtol=1e-10)
    with pytest.raises(DriverDataError, match="none is"):
        detractor_drivers(df.assign(nps=10), attributes=xs)
    separated = df.assign(nps=np.where(df["staff"] >= 3, 9, 2))
    with pytest.raises(DriverDataError, match="separate"):
        detractor_drivers(separated, attributes=xs)
    wide = df.assign(**{f"x{i}": np.arange(len(df)) % (i + 2) for i in range(11)})
    with pytest.raises(ValueError, match="at most 10"):
        detractor_drivers(wide, attributes=[f"x{i}" for i in range(11)], dominance=True)


def test_split_modules_re_export_the_same_objects():
    from cxlib import drivers_extra

    for name in ("DetractorResult", "detractor_drivers", "importance_performance"):
        assert getattr(drivers, name) is getattr(drivers_extra, name)
    assert set(drivers.__all__) <= set(dir(drivers))
    with pytest.raises(AttributeError, match="no attribute 'nothing_here'"):
        drivers.nothing_here  # noqa: B018


@pytest.mark.parametrize("first", ["cxlib.drivers", "cxlib.drivers_extra"])
def test_either_module_can_be_imported_first(first):
    import subprocess
    import sys

    code = (
        f"import {first}\n"
        "from cxlib.drivers import detractor_drivers, importance_performance, key_drivers\n"
        "from cxlib.drivers_extra import DetractorResult\n"
        "print(detractor_drivers.__module__, key_drivers.__module__)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["cxlib.drivers_extra", "cxlib.drivers"]


def test_weighted_detractor_errors_match_statsmodels_glm_hc0():
    df = nps_data(n=400, seed=9)
    xs = ["staff", "price", "app"]
    df["w"] = np.random.default_rng(1).uniform(0.3, 2.5, len(df))
    res = detractor_drivers(df, attributes=xs, weight="w")
    wn = df["w"].to_numpy() * len(df) / df["w"].sum()  # the function normalises to mean 1
    glm = sm.GLM(
        (df["nps"] <= 6).astype(float),
        sm.add_constant(df[xs]),
        family=sm.families.Binomial(),
        var_weights=wn,
    ).fit(cov_type="HC0")
    t = res.table.set_index("attribute").loc[xs]
    np.testing.assert_allclose(t["coef"], glm.params[xs], rtol=1e-7)
    np.testing.assert_allclose(t["std_err"], glm.bse[xs], rtol=1e-6)
    np.testing.assert_allclose(t["p_value"], glm.pvalues[xs], rtol=1e-5)
    assert res.pseudo_r_squared == pytest.approx(1 - glm.llf / glm.llnull, rel=1e-8)


def test_detractor_model_reports_collinear_ratings():
    df = nps_data(n=300)
    df["staff_copy"] = df["staff"]
    with pytest.raises(DriverDataError, match="collinear"):
        detractor_drivers(df, attributes=["staff", "staff_copy"])
