"""Properties of the re-measurement statistics: control limits, change tests, RAG."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cxlib import remeasure, remeasure_spc, stats

SETTINGS = settings(max_examples=60, deadline=None)


@st.composite
def waves_of_shares(draw, min_waves=2, max_waves=8):
    """Per-wave (top-box count, base) pairs."""
    k = draw(st.integers(min_waves, max_waves))
    bases = draw(st.lists(st.integers(5, 400), min_size=k, max_size=k))
    counts = [draw(st.integers(0, n)) for n in bases]
    return counts, bases


def _responses(counts, bases) -> tuple[pd.DataFrame, list[str]]:
    waves = [f"W{i:02d}" for i in range(len(bases))]
    frames = [
        pd.DataFrame({"wave": w, "csat": [5] * c + [1] * (n - c)})
        for w, c, n in zip(waves, counts, bases, strict=True)
    ]
    return pd.concat(frames, ignore_index=True), waves


@SETTINGS
@given(waves_of_shares())
def test_p_chart_limits_bracket_the_pooled_centre(data):
    counts, bases = data
    responses, waves = _responses(counts, bases)
    out = remeasure_spc.control_charts(responses, waves=waves)
    assert out["wave"].tolist() == waves
    centre = sum(counts) / sum(bases)
    np.testing.assert_allclose(out["centre"], centre, rtol=1e-12)
    assert (out["lcl"] <= out["centre"] + 1e-12).all()
    assert (out["centre"] <= out["ucl"] + 1e-12).all()
    assert ((out["lcl"] >= 0) & (out["ucl"] <= 1)).all()
    p = np.asarray(counts) / np.asarray(bases)
    beyond = (p > out["ucl"].to_numpy()) | (p < out["lcl"].to_numpy())
    assert (out["beyond_limits"].to_numpy() == beyond).all()
    assert (out["special_cause"] | ~out["beyond_limits"]).all()


@SETTINGS
@given(waves_of_shares())
def test_p_chart_is_narrower_for_larger_waves_and_symmetric_when_unclipped(data):
    counts, bases = data
    responses, waves = _responses(counts, bases)
    out = remeasure_spc.control_charts(responses, waves=waves)
    upper = out["ucl"] - out["centre"]
    lower = out["centre"] - out["lcl"]
    unclipped = (out["lcl"] > 0) & (out["ucl"] < 1)
    np.testing.assert_allclose(upper[unclipped], lower[unclipped], atol=1e-12)
    n = np.asarray(bases, dtype=float)
    half = (out["ucl"] - out["lcl"]).to_numpy()
    for i in range(len(n)):
        for j in range(len(n)):
            if n[i] < n[j] and unclipped.iloc[i] and unclipped.iloc[j]:
                assert half[i] > half[j]


@SETTINGS
@given(waves_of_shares(min_waves=3))
def test_laney_scales_the_plain_limits_by_sigma_z(data):
    counts, bases = data
    if sum(counts) in (0, sum(bases)):  # no variation at all: the limits collapse
        return
    responses, waves = _responses(counts, bases)
    plain = remeasure_spc.control_charts(responses, waves=waves, laney_min_n=10**9)
    laney = remeasure_spc.control_charts(responses, waves=waves, laney_min_n=1)
    assert laney["laney"].all() and not plain["laney"].any()
    sigma_z = laney["sigma"].to_numpy() / plain["sigma"].to_numpy()
    assert np.allclose(sigma_z, sigma_z[0]) and sigma_z[0] >= 0
    ok = (laney["lcl"] > 0) & (laney["ucl"] < 1) & (plain["lcl"] > 0) & (plain["ucl"] < 1)
    width_laney = (laney["ucl"] - laney["centre"])[ok]
    width_plain = (plain["ucl"] - plain["centre"])[ok]
    np.testing.assert_allclose(width_laney, width_plain * sigma_z[0], rtol=1e-9, atol=1e-12)


@SETTINGS
@given(
    st.lists(
        st.lists(st.integers(0, 10), min_size=5, max_size=60),
        min_size=2,
        max_size=5,
    )
)
def test_nps_limits_stay_on_the_scale_around_the_pooled_nps(scores):
    waves = [f"W{i}" for i in range(len(scores))]
    responses = pd.concat(
        [pd.DataFrame({"wave": w, "nps": s}) for w, s in zip(waves, scores, strict=True)]
    )
    out = remeasure_spc.control_charts(responses, waves=waves)
    nps = out[out["chart"] == "nps"]
    pooled = stats.nps(responses).loc[0, "estimate"]
    np.testing.assert_allclose(nps["centre"], pooled, atol=1e-9)
    assert ((nps["lcl"] >= -100) & (nps["ucl"] <= 100)).all()
    assert (nps["lcl"] <= nps["ucl"]).all()


share = st.tuples(st.integers(1, 500), st.floats(0.0, 1.0))


@SETTINGS
@given(share, share)
def test_share_change_is_antisymmetric(a, b):
    (na, pa), (nb, pb) = a, b
    rows = [
        {"metric": "share", "estimate": pa, "n_eff": na, "count": round(pa * na)},
        {"metric": "share", "estimate": pb, "n_eff": nb, "count": round(pb * nb)},
    ]
    first, second = pd.DataFrame(rows[:1]), pd.DataFrame(rows[1:])
    ab = remeasure.compare_summaries(first, second).iloc[0]
    ba = remeasure.compare_summaries(second, first).iloc[0]
    assert ab["estimate"] == pytest.approx(-ba["estimate"], abs=1e-12)
    if not np.isnan(ab["p_value"]):
        assert ab["p_value"] == pytest.approx(ba["p_value"], rel=1e-9, abs=1e-12)
        assert 0 <= ab["p_value"] <= 1
        assert ab["ci_low"] == pytest.approx(-ba["ci_high"], abs=1e-9)


@SETTINGS
@given(
    st.lists(st.integers(0, 10), min_size=2, max_size=80),
    st.lists(st.integers(0, 10), min_size=2, max_size=80),
)
def test_nps_change_is_antisymmetric_and_brackets_zero_iff_not_significant(a, b):
    def summary(s):
        t = stats.nps(pd.DataFrame({"nps": s})).iloc[0]
        return pd.DataFrame(
            [{"metric": "nps", **{k: t[k] for k in ("estimate", "n", "n_eff")},
              "promoters": t["promoters"], "detractors": t["detractors"]}]
        )  # fmt: skip

    ab = remeasure.compare_summaries(summary(a), summary(b)).iloc[0]
    ba = remeasure.compare_summaries(summary(b), summary(a)).iloc[0]
    assert ab["estimate"] == pytest.approx(-ba["estimate"], abs=1e-9)
    assert ab["p_value"] == pytest.approx(ba["p_value"], abs=1e-12)
    if abs(ab["p_value"] - 0.05) > 1e-9:
        excludes_zero = ab["ci_low"] > 0 or ab["ci_high"] < 0
        assert excludes_zero == (ab["p_value"] < 0.05)


@SETTINGS
@given(st.lists(st.integers(1, 5000), min_size=1, max_size=6), st.integers(1, 5000))
def test_use_laney_is_monotone_in_the_bases(bases, threshold):
    if remeasure_spc.use_laney(bases, min_n=threshold):
        assert remeasure_spc.use_laney([2 * b for b in bases], min_n=threshold)
        assert len(bases) >= 3


@SETTINGS
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["improved", "deteriorated", "no significant change", "not tested"]),
            st.sampled_from([True, False, None]),
            st.booleans(),
        ),
        min_size=1,
        max_size=20,
    )
)
def test_rag_rule_properties(rows):
    change, met, present = (list(x) for x in zip(*rows, strict=True))
    out = remeasure.rag_status(change, met, present)
    for c, m, p, rag in zip(change, met, present, out, strict=True):
        if not p:
            assert rag == "grey"
        elif c == "deteriorated":
            assert rag == "red"
        elif m or c == "improved":
            assert rag == "green"
        else:
            assert rag == "amber"
