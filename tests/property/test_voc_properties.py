"""Property tests (hypothesis) for the voice-of-customer scores and segment tables.

Properties from issue 3: NPS lies in [-100, 100]; the interval contains its centre;
results do not depend on row order; weights of 1 give the unweighted figures.

The Wald interval is centred on the observed NPS, so it must contain the estimate. The
adjusted-Wald interval (Rocks 2016) is centred on the adjusted NPS
:math:`((n_P + 3/4) - (n_D + 3/4)) / (n + 3)`, which for small bases is pulled towards 0
and need not contain the observed estimate: for it the property checked is that the
interval contains the adjusted centre (computed here by hand from the counts).
"""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cxlib import stats, voc

TOL = 1e-9


@st.composite
def survey(draw, min_size=1, max_size=250):
    n = draw(st.integers(min_size, max_size))
    ints = st.lists(st.integers(0, 10), min_size=n, max_size=n)
    return pd.DataFrame(
        {
            "nps": draw(ints),
            "csat": [1 + v % 5 for v in draw(ints)],
            "ces": [1 + v % 7 for v in draw(ints)],
            "region": draw(st.lists(st.sampled_from(["N", "S", "E"]), min_size=n, max_size=n)),
        }
    )


@settings(max_examples=100, deadline=None)
@given(survey(), st.sampled_from(["adjusted_wald", "wald"]), st.floats(0.5, 0.999))
def test_nps_and_interval_within_bounds(df, method, confidence):
    out = voc.headline_metrics(df, method=method, confidence=confidence)
    row = out.set_index("metric").loc["nps"]
    for col in ("estimate", "ci_low", "ci_high"):
        assert -100.0 - TOL <= row[col] <= 100.0 + TOL
    assert row["ci_low"] <= row["ci_high"] + TOL


@settings(max_examples=100, deadline=None)
@given(survey(), st.floats(0.5, 0.999))
def test_wald_interval_contains_the_estimate(df, confidence):
    out = stats.nps(df, method="wald", confidence=confidence).iloc[0]
    assert out["ci_low"] - TOL <= out["estimate"] <= out["ci_high"] + TOL


@settings(max_examples=100, deadline=None)
@given(survey(), st.floats(0.5, 0.999))
def test_adjusted_wald_interval_contains_the_adjusted_centre(df, confidence):
    out = stats.nps(df, confidence=confidence).iloc[0]
    n = len(df)
    n_pro, n_det = int((df["nps"] >= 9).sum()), int((df["nps"] <= 6).sum())
    centre = 100.0 * ((n_pro + 0.75) - (n_det + 0.75)) / (n + 3)  # Rocks (2016)
    assert out["ci_low"] - TOL <= centre <= out["ci_high"] + TOL


@settings(max_examples=40, deadline=None)
@given(survey(min_size=2), st.randoms(use_true_random=False))
def test_headline_and_segments_invariant_to_row_order(df, rnd):
    order = list(range(len(df)))
    rnd.shuffle(order)
    shuffled = df.iloc[order].reset_index(drop=True)
    pd.testing.assert_frame_equal(voc.headline_metrics(df), voc.headline_metrics(shuffled))
    a = voc.segment_table(df, segments=["region"], min_n=1)
    b = voc.segment_table(shuffled, segments=["region"], min_n=1)
    pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-10, atol=1e-10)


@settings(max_examples=60, deadline=None)
@given(survey(min_size=2))
def test_weights_of_one_equal_unweighted(df):
    weighted = df.assign(w=1.0)
    for fn, col in ((stats.nps, "nps"), (stats.top_box, "csat"), (stats.mean_ci, "ces")):
        plain = fn(df, score=col, by="region")
        with_w = fn(weighted, score=col, by="region", weight="w")
        pd.testing.assert_frame_equal(plain, with_w, check_exact=False, rtol=1e-10, atol=1e-10)
    pd.testing.assert_frame_equal(
        voc.headline_metrics(df), voc.headline_metrics(weighted, weight="w"),
        check_exact=False, rtol=1e-10, atol=1e-10,
    )  # fmt: skip


def test_adjusted_centre_differs_from_estimate_on_a_small_base():
    # Documents why the adjusted-Wald property checks the centre: one promoter of one.
    # n' = 4, p'_P = 1.75/4, p'_D = 0.75/4: centre 25; variance (0.625 - 0.0625)/4,
    # se 0.375; 95% interval 25 +/- 73.5, which excludes the observed 100.
    out = stats.nps(pd.DataFrame({"nps": [10]})).iloc[0]
    assert out["estimate"] == 100.0
    assert out["ci_low"] == pytest.approx(25 - 1.959964 * 37.5, abs=1e-4)
    assert out["ci_high"] == pytest.approx(25 + 1.959964 * 37.5, abs=1e-4)
    assert out["ci_high"] < out["estimate"]
