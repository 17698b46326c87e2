"""Tests for cxlib.stats_power (sample sizes) and cxlib.stats_spc (control limits)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from cxlib import stats


def _reference_values() -> dict:
    path = Path(__file__).resolve().parents[1] / "reference" / "stats_reference_values.py"
    spec = importlib.util.spec_from_file_location("stats_reference_values", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.VALUES


REF = _reference_values()


# ------------------------------------------------------------------------ sample sizes


@pytest.mark.parametrize("case", REF["normal_ind_power"])
def test_sample_size_proportion_matches_statsmodels(case):
    p1, p2, power, conf, nobs = case
    n = stats.sample_size_proportion(p1, p2, power=power, confidence=conf)
    assert isinstance(n, int)
    assert n == int(np.ceil(nobs))


def test_sample_size_proportion_closed_form_and_arrays():
    # h = 2 asin(sqrt(.5)) - 2 asin(sqrt(.4)) = 0.201358; n = 2 (2.801585 / h)^2 = 387.2
    h = 2 * np.arcsin(np.sqrt(0.5)) - 2 * np.arcsin(np.sqrt(0.4))
    zs = sps.norm.ppf(0.975) + sps.norm.ppf(0.8)
    assert stats.sample_size_proportion(0.5, 0.4) == int(np.ceil(2 * (zs / h) ** 2)) == 388
    out = stats.sample_size_proportion([0.5, 0.4], [0.4, 0.5])
    assert out.tolist() == [388, 388]
    with pytest.raises(ValueError):
        stats.sample_size_proportion(0.5, 0.5)
    with pytest.raises(ValueError):
        stats.sample_size_proportion(0.0, 0.5)
    with pytest.raises(ValueError, match="power"):
        stats.sample_size_proportion(0.4, 0.5, power=1.2)


@pytest.mark.parametrize("case", REF["ttest_ind_power"])
def test_sample_size_mean_matches_statsmodels(case):
    sd, delta, power, conf, nobs = case
    assert stats.sample_size_mean(sd, delta, power=power, confidence=conf) == int(np.ceil(nobs))


def test_sample_size_nps_meets_adjusted_wald_power():
    pp, pdet, delta = 0.45, 0.20, 5.0
    n = stats.sample_size_nps(pp, pdet, delta)
    zs = sps.norm.ppf(0.975) + sps.norm.ppf(0.8)

    def se_diff(m):
        a_p, a_d = (pp * m + 0.75) / (m + 3), (pdet * m + 0.75) / (m + 3)
        return np.sqrt(2 * (a_p + a_d - (a_p - a_d) ** 2) / (m + 3))

    # n is the smallest size at which delta / se reaches z_(1-a/2) + z_power
    assert (delta / 100) / se_diff(n) >= zs
    assert (delta / 100) / se_diff(n - 1) < zs
    # close to the plain closed form 2 V (z / delta)^2
    v = pp + pdet - (pp - pdet) ** 2
    assert n == pytest.approx(2 * v * (zs / 0.05) ** 2, rel=0.01)
    many = stats.sample_size_nps([0.45, 0.45], [0.20, 0.20], [5, 10])
    assert many[0] == n and many[1] < n / 3
    with pytest.raises(ValueError):
        stats.sample_size_nps(0.7, 0.5, 5)
    with pytest.raises(ValueError):
        stats.sample_size_nps(0.4, 0.2, 0)


# ------------------------------------------------------------------------ p-chart


def test_p_chart_by_hand():
    counts = pd.Series([40, 45, 38, 70], index=["W1", "W2", "W3", "W4"])
    out = stats.p_chart(counts, [100, 100, 100, 100])
    centre = 193 / 400
    sigma = np.sqrt(centre * (1 - centre) / 100)
    assert list(out.index) == ["W1", "W2", "W3", "W4"]
    assert out["centre"].tolist() == pytest.approx([centre] * 4)
    assert out["ucl"].tolist() == pytest.approx([centre + 3 * sigma] * 4)
    assert out["lcl"].tolist() == pytest.approx([centre - 3 * sigma] * 4)
    assert out["beyond_limits"].tolist() == [False, False, False, True]
    assert (out["sigma_z"] == 1.0).all()


def test_laney_p_chart_by_hand():
    counts = np.array([520, 610, 480, 700, 550])
    n = np.array([1000, 1100, 950, 1200, 1000])
    out = stats.p_chart(counts, n, laney=True)
    centre = counts.sum() / n.sum()
    sigma = np.sqrt(centre * (1 - centre) / n)
    z = (counts / n - centre) / sigma
    sigma_z = np.mean(np.abs(np.diff(z))) / 1.128
    assert out["sigma_z"].iloc[0] == pytest.approx(sigma_z)
    assert out["ucl"].to_numpy() == pytest.approx(centre + 3 * sigma * sigma_z)
    plain = stats.p_chart(counts, n)
    assert out["centre"].tolist() == pytest.approx(plain["centre"].tolist())


def test_p_chart_run_rule_and_validation():
    counts = [50] * 3 + [52] * 8 + [48] * 2
    out = stats.p_chart(counts, [100] * 13)
    assert out["shift"].tolist() == [False] * 3 + [True] * 8 + [False] * 2
    assert (out["special_cause"] == (out["shift"] | out["beyond_limits"])).all()
    with pytest.raises(ValueError):
        stats.p_chart([1, 2], [10])
    with pytest.raises(ValueError):
        stats.p_chart([11], [10])
    with pytest.raises(ValueError):
        stats.p_chart([1], [10], n_sigma=0)


def test_nps_control_limits_by_hand():
    df = pd.DataFrame(
        {
            "wave": ["A"] * 50 + ["B"] * 100 + ["C"] * 200,
            "nps": [10, 9, 8, 3, 0] * 10 + [10, 8, 8, 3, 2] * 20 + [10, 10, 9, 7, 1] * 40,
        }
    )
    out = stats.nps_control_limits(df)
    pro = 20 + 20 + 120
    det = 20 + 40 + 40
    centre = (pro - det) / 350
    v = (pro + det) / 350 - centre**2
    sigma = 100 * np.sqrt(v / np.array([50, 100, 200]))
    assert out["estimate"].tolist() == pytest.approx([0.0, -20.0, 40.0])
    assert out["centre"].tolist() == pytest.approx([100 * centre] * 3)
    assert out["ucl"].to_numpy() == pytest.approx(np.minimum(100 * centre + 3 * sigma, 100))
    assert out["lcl"].to_numpy() == pytest.approx(100 * centre - 3 * sigma)
    # centre 17.14, limits 17.14 +/- 35.8, 25.3, 17.9: A inside, B below, C above
    assert out["beyond_limits"].tolist() == [False, True, True]
