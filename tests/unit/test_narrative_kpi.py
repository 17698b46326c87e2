"""Sentences and client tables of steps 6-7 (cxlib.narrative_kpi): numbers and escaping."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cxlib import kpi, kpi_measure, narrative_kpi

EVIL = "<script>x</script> *bold* [link](http://e.vil)"


def test_value_and_change_formats():
    assert narrative_kpi.value_text(0.6432, "share") == "64.3%"
    assert narrative_kpi.value_text(-3.25, "nps") == "-3.2"
    assert narrative_kpi.value_text(4.785, "mean") == "4.79"
    assert narrative_kpi.value_text(1025.6, "mean") == "1,026"
    assert narrative_kpi.value_text(2.0, "rate") == "2.0/month"
    assert narrative_kpi.value_text(226413.9, "amount") == "226,414"
    assert narrative_kpi.value_text(np.nan, "share") == "n/a"
    assert narrative_kpi.change_text(0.2143, "share") == "+21.4 pts"
    assert narrative_kpi.change_text(-2.28, "nps") == "-2.3 pts"
    assert narrative_kpi.change_text(-1.5, "rate") == "-1.5/month"
    assert narrative_kpi.change_text(None, "mean") == "n/a"


def _baseline(label: str = "NPS") -> kpi_measure.KpiBaseline:
    rows = [
        kpi.kpi_row(
            kpi="nps",
            label=label,
            level="cx",
            metric="nps",
            n=1234,
            estimate=12.34,
            ci_low=8.0,
            ci_high=16.5,
            small_n=False,
        ),
        kpi.kpi_row(
            kpi="csat:join",
            label=f"CSAT: {label}",
            level="cx",
            metric="share",
            stage=label,
            n=20,
            estimate=0.5,
            ci_low=0.3,
            ci_high=0.7,
            small_n=True,
        ),
    ]
    frame = kpi.kpi_frame(rows).assign(
        target=[20.0, 0.4],
        target_date=["2027-12-31", ""],
        owner=[label, ""],
        target_met=pd.array([False, True], dtype="boolean"),
        n_needed=[900.0, np.nan],
        n_sufficient=pd.array([True, pd.NA], dtype="boolean"),
        power_method=["adjusted-Wald NPS z-test (Rocks 2016)", "not a sample estimate"],
    )
    return kpi_measure.KpiBaseline(wave="2026Q1", kpis=frame, tree=pd.DataFrame())


def test_baseline_headline_and_summary():
    base = _baseline()
    assert narrative_kpi.baseline_headline(base) == (
        "Baseline 2026Q1: NPS 12.3 (95% CI 8.0 to 16.5, n = 1,234); "
        "1 of 2 KPIs with a target already meets it."
    )
    assert narrative_kpi.baseline_summary(base) == (
        "In wave 2026Q1: NPS **12.3** (95% CI 8.0 to 16.5, n = 1,234). "
        "1 of 2 KPIs with a target already meets it."
    )


@pytest.mark.parametrize(
    ("targets", "met", "sentence"),
    [
        ([20.0, None], [False, None], "the one KPI with a target does not meet it yet"),
        ([None, 0.4], [None, True], "the one KPI with a target already meets it"),
        ([20.0, 0.4], [False, False], "0 of 2 KPIs with a target already meet it"),
        ([20.0, 0.4], [True, True], "2 of 2 KPIs with a target already meet it"),
    ],
)
def test_targets_met_for_one_kpi_and_for_several(targets, met, sentence):
    base = _baseline()
    base.kpis["target"] = targets
    base.kpis["target_met"] = pd.array(met, dtype="boolean")
    assert narrative_kpi.baseline_headline(base) == (
        f"Baseline 2026Q1: NPS 12.3 (95% CI 8.0 to 16.5, n = 1,234); {sentence}."
    )
    assert narrative_kpi.baseline_summary(base) == (
        "In wave 2026Q1: NPS **12.3** (95% CI 8.0 to 16.5, n = 1,234). "
        f"{sentence[0].upper()}{sentence[1:]}."
    )


def test_client_text_is_escaped_in_markdown():
    base = _baseline(EVIL)
    text = narrative_kpi.baseline_summary(base)
    assert "<script>" not in text and "&lt;script&gt;" in text and "\\*bold\\*" in text
    changes = pd.DataFrame(
        {"area": ["stage"], "item": [EVIL], "change": ["added"], "detail": [EVIL]}
    )
    words = narrative_kpi.definition_changes(changes, "2025<b>Q4</b>")
    assert "<script>" not in words and "<b>" not in words and "&lt;b&gt;" in words
    note = narrative_kpi.lock_note({"wave": "<i>W</i>", "locked": False}, EVIL)
    assert "<i>" not in note and "<script>" not in note


def test_baseline_and_sample_size_tables():
    base = _baseline()
    table = narrative_kpi.baseline_table(base.kpis)
    assert table.loc["NPS", "Baseline"] == "12.3"
    assert table.loc["NPS", "95% CI"] == "8.0 to 16.5"
    assert table.loc["NPS", "Responses needed per wave"] == "900"
    assert table.loc["CSAT: NPS", "small_n"]
    sizes = narrative_kpi.sample_size_table(base.kpis)
    assert list(sizes.index) == ["NPS"]
    assert sizes.loc["NPS", "Change to detect"] == "+7.7 pts"
    assert sizes.loc["NPS", "Enough today"] == "yes"
    health = narrative_kpi.health_table(base.kpis)
    assert health.empty


def test_churn_sentences():
    link = pd.DataFrame(
        {
            "term": ["churn_difference", "odds_ratio_detractor", "odds_ratio_per_point"],
            "estimate": [0.196, 4.1, 0.81],
            "ci_low": [0.16, 3.1, 0.78],
            "ci_high": [0.232, 5.3, 0.84],
        }
    )
    rar = pd.DataFrame(
        {
            "basis": ["churn_rate"],
            "revenue": [910802.0],
            "rate": [0.286],
            "estimate": [260390.0],
            "ci_low": [232989.0],
            "ci_high": [289637.0],
        }
    )
    text = narrative_kpi.churn_link(link, rar)
    assert "**19.6 percentage points higher**" in text
    assert "**4.1 times**" in text and "19% lower odds" in text
    assert "**Revenue at risk: 260,390 a year** (95% CI 232,989 to 289,637)" in text
    assert "no churn flag" in narrative_kpi.churn_link(None, None)
    table = narrative_kpi.churn_table(
        pd.DataFrame(
            {
                "nps_group": ["detractor"],
                "n": [10],
                "churned": [3.0],
                "estimate": [0.3],
                "ci_low": [0.1],
                "ci_high": [0.6],
                "retention": [0.7],
                "revenue": [1000.0],
                "small_n": [True],
            }
        )
    )
    assert table.loc["Detractors (0-6)", "Churn rate"] == "30.0%"


@pytest.mark.parametrize(
    ("replaced", "times"), [(0, None), (1, "once"), (2, "twice"), (3, "3 times")]
)
def test_lock_note_locked(replaced, times):
    note = narrative_kpi.lock_note(
        {"wave": "W1", "locked": True, "locked_at": "2026-05-01", "checksum": "c" * 64,
         "replaced": replaced}
    )  # fmt: skip
    assert "**locked**" in note
    if times is None:
        assert "replaced" not in note
    else:
        assert note.endswith(f" It has been replaced {times}; see its history.")


@pytest.mark.parametrize("metric", ["nps", "share", "mean", "rate", "amount"])
def test_value_text_never_fails_on_missing(metric):
    assert narrative_kpi.value_text(None, metric) == "n/a"
