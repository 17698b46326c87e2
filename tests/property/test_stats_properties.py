"""Property tests (hypothesis) for cxlib.stats intervals, adjustments and control limits."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cxlib import stats
from cxlib.stats_spc import _limits

scores = st.lists(st.integers(0, 10), min_size=1, max_size=300)
positive_n = st.integers(1, 5000)


@st.composite
def attribute_series(draw):
    k = draw(st.integers(2, 40))
    n = draw(st.lists(positive_n, min_size=k, max_size=k))
    counts = [draw(st.integers(0, m)) for m in n]
    return np.array(counts), np.array(n)


@settings(max_examples=150, deadline=None)
@given(attribute_series(), st.booleans(), st.floats(0.5, 4.0))
def test_p_chart_limits_ordered_and_clipped(series, laney, n_sigma):
    counts, n = series
    out = stats.p_chart(counts, n, laney=laney, n_sigma=n_sigma)
    ok = out["sigma"].notna()
    assert (out.loc[ok, "lcl"] <= out.loc[ok, "centre"] + 1e-12).all()
    assert (out.loc[ok, "centre"] <= out.loc[ok, "ucl"] + 1e-12).all()
    assert ((out["lcl"] >= 0) | out["lcl"].isna()).all()
    assert ((out["ucl"] <= 1) | out["ucl"].isna()).all()
    assert (out["special_cause"] == (out["beyond_limits"] | out["shift"])).all()


@settings(max_examples=150, deadline=None)
@given(attribute_series())
def test_laney_width_is_sigma_z_times_p_chart_width(series):
    counts, n = series
    plain = stats.p_chart(counts, n)
    laney = stats.p_chart(counts, n, laney=True)
    sz = laney["sigma_z"].iloc[0]
    if not np.isfinite(sz):
        return
    raw_plain = 3 * plain["sigma"]
    raw_laney = 3 * plain["sigma"] * sz
    unclipped = (plain["centre"] + raw_laney <= 1) & (plain["centre"] + raw_plain <= 1)
    width = laney["ucl"] - laney["centre"]
    assert np.allclose(width[unclipped], raw_laney[unclipped], atol=1e-12)


@settings(max_examples=100, deadline=None)
@given(
    st.floats(0.05, 0.95),
    st.lists(st.floats(0.001, 0.2), min_size=3, max_size=30),
)
def test_laney_with_unit_sigma_z_reduces_to_p_chart(centre, sigmas):
    # z-scores alternating 0, d2, 0, d2 ... have mean moving range d2 = 1.128: sigma_z = 1.
    sigma = np.array(sigmas)
    z = np.where(np.arange(sigma.size) % 2 == 0, 0.0, 1.128)
    value = centre + z * sigma
    laney = _limits(value, centre, sigma, laney=True, n_sigma=3.0, lo=0.0, hi=1.0)
    plain = _limits(value, centre, sigma, laney=False, n_sigma=3.0, lo=0.0, hi=1.0)
    assert laney["sigma_z"][0] == pytest.approx(1.0)
    assert np.allclose(laney["ucl"], plain["ucl"]) and np.allclose(laney["lcl"], plain["lcl"])


@settings(max_examples=150, deadline=None)
@given(scores, st.sampled_from(["adjusted_wald", "wald"]), st.floats(0.5, 0.999))
def test_nps_interval_properties(values, method, confidence):
    row = stats.nps(pd.DataFrame({"nps": values}), method=method, confidence=confidence).iloc[0]
    assert row["promoters"] + row["passives"] + row["detractors"] == pytest.approx(1.0)
    assert -100 <= row["estimate"] <= 100
    assert -100 <= row["ci_low"] <= row["ci_high"] <= 100
    if method == "wald":
        assert row["ci_low"] - 1e-9 <= row["estimate"] <= row["ci_high"] + 1e-9
    assert row["n"] == len(values) and row["n_eff"] == pytest.approx(len(values))


@settings(max_examples=100, deadline=None)
@given(scores, st.floats(0.1, 10.0))
def test_nps_constant_weights_change_nothing(values, w):
    df = pd.DataFrame({"nps": values, "w": w})
    a = stats.nps(df).iloc[0]
    b = stats.nps(df, weight="w").iloc[0]
    for col in ["estimate", "ci_low", "ci_high", "n_eff"]:
        assert a[col] == pytest.approx(b[col], rel=1e-9, abs=1e-9)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(1, 5), min_size=1, max_size=200), st.floats(0.5, 0.999))
def test_wilson_contains_share_and_stays_in_unit_interval(values, confidence):
    row = stats.top_box(pd.DataFrame({"csat": values}), confidence=confidence).iloc[0]
    assert 0 <= row["ci_low"] <= row["estimate"] <= row["ci_high"] <= 1


@settings(max_examples=150, deadline=None)
@given(st.lists(st.floats(0.0, 1.0), min_size=1, max_size=50))
def test_adjusted_pvalues_bounds_and_order(p):
    p = np.array(p)
    holm = stats.adjust_pvalues(p, method="holm")
    bh = stats.adjust_pvalues(p, method="fdr_bh")
    assert np.all(holm >= p - 1e-15) and np.all(holm <= 1)
    assert np.all(bh >= p - 1e-15) and np.all(bh <= holm + 1e-15)
    order = np.argsort(p, kind="stable")
    assert np.all(np.diff(holm[order]) >= -1e-15) and np.all(np.diff(bh[order]) >= -1e-15)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 4), st.integers(0, 10)), min_size=5, max_size=300),
    st.booleans(),
)
def test_nps_control_limits_ordered_and_clipped(rows, laney):
    df = pd.DataFrame(rows, columns=["wave", "nps"])
    out = stats.nps_control_limits(df, laney=laney)
    ok = out["sigma"].notna()
    assert (out.loc[ok, "lcl"] <= out.loc[ok, "centre"] + 1e-9).all()
    assert (out.loc[ok, "centre"] <= out.loc[ok, "ucl"] + 1e-9).all()
    assert ((out["lcl"] >= -100) | out["lcl"].isna()).all()
    assert ((out["ucl"] <= 100) | out["ucl"].isna()).all()


@settings(max_examples=60, deadline=None)
@given(st.floats(0.05, 0.6), st.floats(0.05, 0.35), st.floats(1.0, 20.0))
def test_sample_size_nps_decreases_with_larger_change(pp, pdet, delta):
    small = stats.sample_size_nps(pp, pdet, delta)
    large = stats.sample_size_nps(pp, pdet, delta * 1.5)
    assert large <= small
