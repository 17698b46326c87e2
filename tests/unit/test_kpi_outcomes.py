"""Churn, retention and revenue at risk by NPS group (cxlib.kpi_outcomes)."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

from cxlib import kpi_outcomes

REFERENCE = Path(__file__).resolve().parents[1] / "reference"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, REFERENCE / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


REF = _load("kpi_reference_values").VALUES
MAKER = _load("kpi_make_reference")


def _reference_groups() -> pd.DataFrame:
    """The churn data the reference odds ratios were fitted on (kpi_make_reference)."""
    group, churned, score = MAKER._churn_rows()
    return pd.DataFrame(
        {"nps": score, "nps_group": group, "churned": churned, "annual_revenue": 100.0}
    )


def test_customer_nps_groups_latest_answer_and_outcomes():
    responses = pd.DataFrame(
        {
            "customer_id": ["a", "a", "b", "c", "d", "e"],
            "wave": ["W1", "W1", "W1", "W1", "W2", "W1"],
            "responded_at": pd.to_datetime(
                [
                    "2026-02-10",
                    "2026-02-01",
                    "2026-02-03",
                    "2026-02-04",
                    "2026-08-01",
                    "2026-02-05",
                ]
            ),
            "nps": [3, 10, 7, None, 10, 9],
        }
    )
    customers = pd.DataFrame(
        {
            "customer_id": ["a", "b", "c", "d"],
            "churned": [True, False, True, False],
            "annual_revenue": [100.0, 200.0, 300.0, 400.0],
        }
    )
    out = kpi_outcomes.customer_nps_groups(responses, customers, wave="W1")
    assert out["customer_id"].tolist() == ["a", "b", "e"]  # c has no score, d is wave 2
    assert out["nps"].tolist() == [3.0, 7.0, 9.0]  # a's latest answer (Feb 10) is 3
    assert out["nps_group"].tolist() == ["detractor", "passive", "promoter"]
    assert out["churned"].tolist()[:2] == [1.0, 0.0] and np.isnan(out["churned"].iloc[2])
    assert out["annual_revenue"].tolist()[:2] == [100.0, 200.0]
    with pytest.raises(ValueError, match="churned"):
        kpi_outcomes.customer_nps_groups(responses, customers.drop(columns="churned"))


def test_churn_by_nps_group_rates_and_wilson_intervals():
    groups = _reference_groups()
    out = kpi_outcomes.churn_by_nps_group(groups).set_index("nps_group")
    assert list(out.index) == ["detractor", "passive", "promoter", "all"]
    for name, (n, c) in MAKER.CHURN_COUNTS.items():
        row = out.loc[name]
        assert row["n"] == n and row["churned"] == c
        assert row["estimate"] == pytest.approx(c / n)
        low, high = proportion_confint(c, n, method="wilson")
        assert (row["ci_low"], row["ci_high"]) == pytest.approx((low, high))
        assert row["retention"] == pytest.approx(1 - c / n)
        assert row["retention_ci_low"] == pytest.approx(1 - high)
        assert row["revenue"] == pytest.approx(100.0 * n)
    assert out.loc["all", "n"] == 800 and out.loc["all", "churned"] == 110


def test_revenue_at_risk_formulas():
    groups = _reference_groups()
    groups.loc[groups["nps_group"] == "detractor", "annual_revenue"] = 250.0
    out = kpi_outcomes.revenue_at_risk(groups).iloc[0]
    # 180 detractors x 250 = 45,000 of revenue; churn 52/180
    assert out["revenue"] == pytest.approx(45_000.0)
    assert out["estimate"] == pytest.approx(45_000.0 * 52 / 180)
    low, high = proportion_confint(52, 180, method="wilson")
    assert (out["ci_low"], out["ci_high"]) == pytest.approx((45_000 * low, 45_000 * high))
    excess = kpi_outcomes.revenue_at_risk(groups, basis="excess_churn").iloc[0]
    d_low, d_high = confint_proportions_2indep(52, 180, 27, 380, method="newcomb")
    assert excess["rate"] == pytest.approx(52 / 180 - 27 / 380)
    assert (excess["rate_ci_low"], excess["rate_ci_high"]) == pytest.approx((d_low, d_high))
    assert excess["estimate"] == pytest.approx(45_000.0 * (52 / 180 - 27 / 380))
    with pytest.raises(ValueError, match="basis"):
        kpi_outcomes.revenue_at_risk(groups, basis="everything")


def test_churn_link_against_statsmodels_glm_and_woolf():
    out = kpi_outcomes.churn_link(_reference_groups()).set_index("term")
    (nd, cd), (npro, cp) = MAKER.CHURN_COUNTS["detractor"], MAKER.CHURN_COUNTS["promoter"]
    diff = out.loc["churn_difference"]
    low, high = confint_proportions_2indep(cd, nd, cp, npro, method="newcomb")
    assert diff["estimate"] == pytest.approx(cd / nd - cp / npro)
    assert (diff["ci_low"], diff["ci_high"]) == pytest.approx((low, high))
    assert diff["n"] == nd + npro
    odds = out.loc["odds_ratio_detractor"]
    assert (odds["estimate"], odds["ci_low"], odds["ci_high"]) == pytest.approx(
        REF["odds_ratio_detractor"], rel=1e-6
    )
    # Woolf's interval by hand: the group model is saturated
    a, b, c, d = cd, nd - cd, cp, npro - cp
    log_or = math.log(a * d / (b * c))
    se = math.sqrt(1 / a + 1 / b + 1 / c + 1 / d)
    z = sps.norm.ppf(0.975)
    assert odds["estimate"] == pytest.approx(math.exp(log_or), rel=1e-6)
    assert odds["ci_high"] == pytest.approx(math.exp(log_or + z * se), rel=1e-6)
    point = out.loc["odds_ratio_per_point"]
    assert (point["estimate"], point["ci_low"], point["ci_high"]) == pytest.approx(
        REF["odds_ratio_per_point"], rel=1e-6
    )
    assert point["p_value"] < 1e-6 and point["n"] == 800


def test_churn_link_without_churn_is_nan_not_an_error():
    groups = _reference_groups().assign(churned=0.0)
    out = kpi_outcomes.churn_link(groups).set_index("term")
    assert out.loc["churn_difference", "estimate"] == 0.0
    assert np.isnan(out.loc["odds_ratio_detractor", "estimate"])
    assert np.isnan(out.loc["odds_ratio_per_point", "estimate"])


def test_business_kpis_rows():
    groups = _reference_groups()
    out = kpi_outcomes.business_kpis(groups, min_n=1000).set_index("kpi")
    assert list(out.index) == ["retention", "churn", "revenue_at_risk"]
    assert out.loc["churn", "estimate"] == pytest.approx(110 / 800)
    assert out.loc["retention", "estimate"] == pytest.approx(690 / 800)
    assert out.loc["retention", "count"] == 690 and out.loc["churn", "count"] == 110
    assert out.loc["revenue_at_risk", "estimate"] == pytest.approx(18_000 * 52 / 180)
    assert out.loc["revenue_at_risk", "metric"] == "amount"
    assert (out["level"] == "business").all() and out["small_n"].all()  # min_n = 1000
