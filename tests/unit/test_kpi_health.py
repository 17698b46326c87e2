"""The four CX-management health KPIs and the definition changes (cxlib.kpi_health)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint

from cxlib import kpi_health, mission
from cxlib.config import CxGoal, Journey, Personas


def _reference() -> dict:
    path = Path(__file__).resolve().parents[1] / "reference" / "kpi_reference_values.py"
    spec = importlib.util.spec_from_file_location("kpi_reference_values", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.VALUES


REF = _reference()
Q1 = (pd.Timestamp("2026-01-01"), pd.Timestamp("2026-04-01"))


def _goal(table: str = "customers") -> CxGoal:
    column, value = ("churned", False) if table == "customers" else ("nps", 9)
    op = "==" if table == "customers" else ">="
    return CxGoal(
        statement="Stay",
        action="stay",
        target=0.8,
        measure={"table": table, "column": column, "op": op, "value": value},
    )


def test_goal_kpi_reuses_mission_goal_performance():
    customers = pd.DataFrame({"churned": [False] * 33 + [True] * 7})
    out = kpi_health.goal_kpi(customers, _goal()).iloc[0]
    perf = mission.goal_performance(customers, _goal())
    assert (out["estimate"], out["ci_low"], out["ci_high"]) == pytest.approx(
        (perf.estimate, perf.ci_low, perf.ci_high)
    )
    assert out["n"] == 40 and out["count"] == 33 and out["kpi"] == "goal_performance"
    assert out["se"] == pytest.approx(np.sqrt(33 / 40 * 7 / 40 / 40))
    assert out["level"] == "health" and not out["small_n"]


def test_goal_kpi_on_responses_keeps_the_wave():
    responses = pd.DataFrame({"wave": ["A"] * 4 + ["B"] * 4, "nps": [10, 9, 3, 2, 10, 10, 10, 1]})
    out = kpi_health.goal_kpi(responses, _goal("responses"), wave="B").iloc[0]
    assert out["estimate"] == pytest.approx(0.75) and out["n"] == 4


def test_employee_engagement_from_flag_or_score():
    pulse = pd.DataFrame(
        {
            "wave": ["A"] * 5 + ["B"] * 3,
            "engaged": [True, True, False, None, True, False, False, True],
            "score": [9, 8, 2, 7, 10, 1, 2, 9],
        }
    )
    out = kpi_health.employee_engagement(pulse, wave="A").iloc[0]
    assert out["n"] == 4 and out["estimate"] == pytest.approx(3 / 4)  # missing flag left out
    low, high = proportion_confint(3, 4, method="wilson")
    assert (out["ci_low"], out["ci_high"]) == pytest.approx((low, high))
    by_score = kpi_health.employee_engagement(
        pulse.drop(columns="engaged"), wave="A", min_score=8
    ).iloc[0]
    assert by_score["estimate"] == pytest.approx(3 / 5)  # 9, 8, 10 of 9, 8, 2, 7, 10
    assert "score of at least 8" in by_score["unit"]
    with pytest.raises(ValueError, match="engaged"):
        kpi_health.employee_engagement(pulse[["wave"]])


@pytest.mark.parametrize("case", REF["poisson_exact"])
def test_poisson_rate_matches_statsmodels_exact(case):
    k, t, conf, low, high = case
    rate, lo, hi = kpi_health.poisson_rate(k, t, confidence=conf)
    assert rate == pytest.approx(k / t)
    assert (lo, hi) == pytest.approx((low, high), rel=1e-9, abs=1e-12)


def test_poisson_rate_published_value_and_errors():
    # Garwood (1936) / standard tables: 10 events -> 95% limits 4.795 and 18.390
    _, lo, hi = kpi_health.poisson_rate(10, 1)
    assert (lo, hi) == pytest.approx((4.795, 18.390), abs=5e-4)
    with pytest.raises(ValueError):
        kpi_health.poisson_rate(-1, 1)
    with pytest.raises(ValueError):
        kpi_health.poisson_rate(1, 0)


def test_months_are_calendar_months():
    assert kpi_health._months(*Q1) == pytest.approx(3.0)
    assert kpi_health._months(pd.Timestamp("2026-04-01"), pd.Timestamp("2026-10-01")) == 6.0
    days = kpi_health._months(pd.Timestamp("2026-01-01"), pd.Timestamp("2026-01-16"))
    assert days == pytest.approx(15 / kpi_health.DAYS_PER_MONTH)


def test_innovation_and_improvement_rates_in_a_period():
    ini = pd.DataFrame(
        {
            "proposed_at": pd.to_datetime(
                ["2025-12-31", "2026-01-01", "2026-03-31", "2026-04-01"]
            ),
            "implemented_at": pd.to_datetime([None, "2026-02-01", None, "2026-03-01"]),
        }
    )
    ideas = kpi_health.innovation_rate(ini, period=Q1).iloc[0]
    assert ideas["count"] == 2 and ideas["exposure"] == pytest.approx(3.0)
    assert ideas["estimate"] == pytest.approx(2 / 3) and ideas["small_n"]
    _, lo, hi = kpi_health.poisson_rate(2, 3.0)
    assert (ideas["ci_low"], ideas["ci_high"]) == pytest.approx((lo, hi))
    done = kpi_health.improvement_rate(ini, period=Q1).iloc[0]
    assert done["count"] == 2 and done["kpi"] == "improvement_rate"
    # without a period: the span of the dates, first to last day inclusive
    span = kpi_health.improvement_rate(ini).iloc[0]
    assert span["count"] == 2
    assert span["exposure"] == pytest.approx(1 + 1 / kpi_health.DAYS_PER_MONTH)
    empty = kpi_health.improvement_rate(ini.assign(implemented_at=pd.NaT)).iloc[0]
    assert np.isnan(empty["estimate"]) and empty["n"] == 0
    with pytest.raises(ValueError, match="proposed_at"):
        kpi_health.innovation_rate(ini.drop(columns="proposed_at"))


def _journey(**changes) -> Journey:
    data = {
        "stages": ["join", "use"],
        "touchpoints": [
            {"id": "a", "name": "Shop", "stage": "join", "channel": "store"},
            {"id": "b", "name": "App", "stage": "use", "channel": "app"},
        ],
    }
    data.update(changes)
    return Journey.model_validate(data)


def test_definitions_snapshot_is_plain_json():
    personas = Personas(
        cards=[{"name": "Pat", "description": "Busy"}],
        rules=[
            {
                "name": "Sam",
                "conditions": [{"table": "customers", "column": "x", "op": ">", "value": 1}],
            }
        ],
    )
    snap = kpi_health.definitions(_journey(), personas, persona_names=["Pat", "Lee"])
    assert snap["stages"] == ["join", "use"]
    assert snap["touchpoints"]["a"] == {
        "name": "Shop",
        "stage": "join",
        "channel": "store",
        "owner": "",
    }
    assert snap["personas"]["Pat"]["description"] == "Busy"
    assert snap["personas"]["Sam"]["rule"][0]["column"] == "x"
    assert snap["personas"]["Lee"] == {}
    assert kpi_health.definitions(None) == {"stages": [], "touchpoints": {}, "personas": {}}


def test_definition_changes_lists_every_kind_of_change():
    old = kpi_health.definitions(_journey(), Personas(cards=[{"name": "Pat"}, {"name": "Al"}]))
    new_journey = _journey(
        stages=["use", "join", "leave"],
        touchpoints=[
            {"id": "a", "name": "Store", "stage": "join", "channel": "store"},
            {"id": "c", "name": "Exit", "stage": "leave", "channel": "phone"},
        ],
    )
    new = kpi_health.definitions(
        new_journey, Personas(cards=[{"name": "Pat", "needs": ["speed"]}, {"name": "Jo"}])
    )
    out = kpi_health.definition_changes(old, new)
    got = set(zip(out["area"], out["item"], out["change"], out["detail"], strict=True))
    assert got == {
        ("stage", "leave", "added", ""),
        ("stage", "order", "reordered", "use > join"),
        ("touchpoint", "c", "added", ""),
        ("touchpoint", "b", "removed", ""),
        ("touchpoint", "a", "changed", "name"),
        ("persona", "Jo", "added", ""),
        ("persona", "Al", "removed", ""),
        ("persona", "Pat", "changed", "needs"),
    }
    assert kpi_health.definition_changes(old, old).empty
    assert list(kpi_health.definition_changes(None, new).columns) == [
        "area",
        "item",
        "change",
        "detail",
    ]


def test_definition_changes_kpi():
    row = kpi_health.definition_changes_kpi(pd.DataFrame({"area": ["a", "b"]})).iloc[0]
    assert row["estimate"] == 2 and row["metric"] == "count" and not row["small_n"]
    assert np.isnan(kpi_health.definition_changes_kpi(None).iloc[0]["estimate"])
