"""Step 6 KPIs: the KPI table (cxlib.kpi), the tree, targets and sample sizes, the baseline."""

from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps
from statsmodels.stats.proportion import proportion_confint

from cxlib import kpi, kpi_measure, kpi_targets, kpi_tree, stats
from cxlib.config import Journey, KpiTarget, OperationalMetric


def _helper(name: str):
    """Load a helper module that sits beside this test file (import mode is importlib)."""
    path = Path(__file__).with_name(f"{name}.py")
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_data = _helper("kpi_data")
config, tables = _data.config, _data.tables


def _reference() -> dict:
    path = Path(__file__).resolve().parents[1] / "reference" / "kpi_reference_values.py"
    spec = importlib.util.spec_from_file_location("kpi_reference_values", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.VALUES


REF = _reference()
JOURNEY = Journey(
    stages=["join", "use"],
    touchpoints=[
        {"id": "a", "name": "Shop", "stage": "join", "channel": "store"},
        {"id": "b", "name": "App", "stage": "use", "channel": "app"},
    ],
)


# ------------------------------------------------------------------------------ rows


def test_kpi_row_has_every_column_and_rejects_unknown_ones():
    row = kpi.kpi_row(kpi="nps", estimate=3.0)
    assert list(row) == list(kpi.KPI_COLUMNS)
    assert row["n"] == 0 and row["small_n"] is True and row["stage"] == ""
    assert math.isnan(row["ci_low"])
    with pytest.raises(ValueError, match="not KPI-table columns"):
        kpi.kpi_row(kpi="nps", colour="red")


def test_kpi_frame_types_records_from_json():
    frame = kpi.kpi_frame(
        [{"kpi": "nps", "estimate": None, "n": "12", "small_n": None, "extra": 1}]
    )
    assert list(frame.columns)[: len(kpi.KPI_COLUMNS)] == list(kpi.KPI_COLUMNS)
    assert frame["extra"].tolist() == [1]
    assert frame["n"].dtype == np.int64 and frame.loc[0, "n"] == 12
    assert frame["estimate"].isna().all() and frame["small_n"].tolist() == [True]
    assert kpi.kpi_frame([]).empty


@pytest.mark.parametrize(
    "label, start, end",
    [
        ("2026Q1", "2026-01-01", "2026-04-01"),
        ("2026-q4", "2026-10-01", "2027-01-01"),
        ("2026H2", "2026-07-01", "2027-01-01"),
        ("2026-05", "2026-05-01", "2026-06-01"),
        ("202612", "2026-12-01", "2027-01-01"),
        ("2026", "2026-01-01", "2027-01-01"),
    ],
)
def test_wave_period_from_label(label, start, end):
    assert kpi.wave_period(label) == (pd.Timestamp(start), pd.Timestamp(end))


def test_wave_period_falls_back_on_dates_or_none():
    dates = pd.Series(pd.to_datetime(["2026-03-05 10:00", "2026-03-20 18:30"]))
    assert kpi.wave_period("spring", dates=dates) == (
        pd.Timestamp("2026-03-05"),
        pd.Timestamp("2026-03-21"),
    )
    assert kpi.wave_period("spring") is None
    assert kpi.wave_period("spring", dates=pd.Series([None, "x"])) is None


def test_stage_of_maps_touchpoints_and_leaves_unknown_empty():
    df = pd.DataFrame({"touchpoint_id": ["a", "b", "zz", None]})
    assert kpi.stage_of(df, JOURNEY).tolist() == ["join", "use", "", ""]
    assert kpi.stage_of(df, None).tolist() == ["", "", "", ""]


# ------------------------------------------------------------------------------ CX metrics


def _responses() -> pd.DataFrame:
    # relationship: 10, 9, 8, 3 -> NPS (2 - 1)/4 = 25; transactional at "a": 0, 0 -> -100
    return pd.DataFrame(
        {
            "wave": ["W1"] * 6 + ["W2"],
            "survey": ["relationship"] * 4 + ["transactional"] * 2 + ["relationship"],
            "touchpoint_id": ["", "", "", "", "a", "a", ""],
            "nps": [10, 9, 8, 3, 0, 0, 10],
            "csat": [5, 4, 3, 2, 1, 5, 5],
            "ces": [7, 6, 5, 4, 1, 3, 7],
        }
    )


def test_cx_metrics_overall_from_relationship_survey_and_stage_from_responses():
    out = kpi.cx_metrics(_responses(), journey=JOURNEY, wave="W1").set_index("kpi")
    assert list(out.index) == ["nps", "nps:join", "csat", "csat:join", "ces", "ces:join"]
    assert out.loc["nps", "estimate"] == pytest.approx(25.0)
    assert out.loc["nps", "n"] == 4
    assert out.loc["nps:join", "estimate"] == pytest.approx(-100.0)
    assert out.loc["csat", "estimate"] == pytest.approx(0.5)  # 5 and 4 of 5, 4, 3, 2
    assert out.loc["csat", "count"] == pytest.approx(2.0)
    assert out.loc["csat:join", "estimate"] == pytest.approx(0.5)
    assert out.loc["ces", "estimate"] == pytest.approx(5.5)
    assert out.loc["ces", "sd"] == pytest.approx(np.std([7, 6, 5, 4], ddof=1))
    assert (out["level"] == "cx").all() and out["small_n"].all()
    # the interval is exactly cxlib.stats' (adjusted Wald for NPS, Wilson for shares)
    ref = stats.nps(_responses().iloc[:4])
    assert out.loc["nps", "ci_low"] == pytest.approx(ref.loc[0, "ci_low"])
    low, high = proportion_confint(2, 4, method="wilson")
    assert (out.loc["csat", "ci_low"], out.loc["csat", "ci_high"]) == pytest.approx((low, high))


def test_cx_metrics_uses_all_responses_without_a_survey_column_and_weights():
    df = _responses().drop(columns="survey").assign(weight=[1, 1, 2, 2, 1, 1, 1])
    out = kpi.cx_metrics(df, wave="W1", weight="weight").set_index("kpi")
    expected = stats.nps(df[df["wave"] == "W1"], weight="weight")
    assert out.loc["nps", "estimate"] == pytest.approx(expected.loc[0, "estimate"])
    assert out.loc["nps", "n_eff"] == pytest.approx(expected.loc[0, "n_eff"])
    assert list(out.index) == ["nps", "csat", "ces"]  # no journey: no stage rows


def test_cx_metrics_stage_ratings_from_events_in_the_period():
    events = pd.DataFrame(
        {
            "touchpoint_id": ["a", "a", "a", "b", "a"],
            "occurred_at": pd.to_datetime(
                ["2026-01-05", "2026-02-01", "2026-03-30", "2026-02-02", "2026-05-01"]
            ),
            "csat": [5, 4, 2, 1, 5],
            "effort": [7, 6, 2, 1, 7],
        }
    )
    period = (pd.Timestamp("2026-01-01"), pd.Timestamp("2026-04-01"))
    out = kpi.cx_metrics(
        _responses(), journey=JOURNEY, wave="W1", events=events, period=period
    ).set_index("kpi")
    # CSAT at "join" from the three events in Q1 (5, 4, 2): 2/3; NPS still from responses
    assert out.loc["csat:join", "estimate"] == pytest.approx(2 / 3)
    assert out.loc["csat:join", "n"] == 3
    assert "touchpoint ratings" in out.loc["csat:join", "unit"]
    assert out.loc["ces:use", "estimate"] == pytest.approx(1.0)
    assert out.loc["nps:join", "estimate"] == pytest.approx(-100.0)


def test_cx_metrics_needs_the_wave_column_for_a_wave():
    with pytest.raises(ValueError, match="wave"):
        kpi.cx_metrics(_responses().drop(columns="wave"), wave="W1")
    out = kpi.cx_metrics(_responses().drop(columns=["ces"]))
    assert "ces" not in set(out["kpi"])


# ------------------------------------------------------------------------------ operational


def test_default_operational_metrics():
    names = [(m.name, m.kind) for m in kpi.default_operational()]
    assert names == [
        ("completion", "completion"),
        ("fcr", "first_contact_resolution"),
        ("duration", "duration"),
    ]


def _events() -> pd.DataFrame:
    # customer 1 contacts "a" on Jan 1 and again Jan 3 (repeat within 7 days), then Mar 31;
    # customer 2 once on Jan 2; customer 3 on Mar 30 and Apr 2 (the repeat is after the period)
    return pd.DataFrame(
        {
            "customer_id": [1, 1, 1, 2, 3, 3],
            "touchpoint_id": ["a", "a", "a", "a", "b", "b"],
            "occurred_at": pd.to_datetime(
                [
                    "2026-01-01",
                    "2026-01-03",
                    "2026-03-31",
                    "2026-01-02",
                    "2026-03-30",
                    "2026-04-02",
                ]
            ),
            "completed": [True, False, True, True, False, True],
            "duration_s": [60.0, 120.0, 90.0, 30.0, 300.0, 10.0],
        }
    )


def test_operational_metrics_by_hand():
    period = (pd.Timestamp("2026-01-01"), pd.Timestamp("2026-04-01"))
    out = kpi.operational_metrics(_events(), period=period).set_index("kpi")
    # five events in Q1: completed 3 of 5
    assert out.loc["completion", "estimate"] == pytest.approx(3 / 5)
    low, high = proportion_confint(3, 5, method="wilson")
    assert out.loc["completion", "ci_low"] == pytest.approx(low)
    assert out.loc["completion", "ci_high"] == pytest.approx(high)
    # resolved first time: Jan 3, Mar 31 (cust 1), Jan 2 (cust 2) = 3 of 5; Jan 1 is repeated
    # two days later and Mar 30 is repeated on Apr 2 (outside the period, still counted)
    assert out.loc["fcr", "estimate"] == pytest.approx(3 / 5)
    durations = np.array([60.0, 120.0, 90.0, 30.0, 300.0])
    assert out.loc["duration", "estimate"] == pytest.approx(durations.mean())
    t_low, t_high = sps.t.interval(0.95, 4, loc=durations.mean(), scale=sps.sem(durations))
    assert (out.loc["duration", "ci_low"], out.loc["duration", "ci_high"]) == pytest.approx(
        (t_low, t_high)
    )
    assert (out["level"] == "operational").all()


def test_operational_metrics_filter_stage_touchpoint_and_window():
    metrics = [
        OperationalMetric(name="join_done", kind="completion", stages=["join"]),
        OperationalMetric(name="fcr_b", kind="first_contact_resolution", touchpoints=["b"]),
        OperationalMetric(name="fcr_1d", kind="first_contact_resolution", repeat_days=1),
    ]
    out = kpi.operational_metrics(_events(), journey=JOURNEY, metrics=metrics).set_index("kpi")
    assert out.loc["join_done", "n"] == 4 and out.loc["join_done", "estimate"] == 0.75
    assert out.loc["fcr_b", "estimate"] == pytest.approx(0.5)  # Mar 30 repeated on Apr 2
    # a one-day window: no event is followed by another within a day
    assert out.loc["fcr_1d", "estimate"] == pytest.approx(1.0)
    with pytest.raises(ValueError, match="duration_s"):
        kpi.operational_metrics(_events().drop(columns="duration_s"))


# ------------------------------------------------------------------------------ tree


def _kpi_table() -> pd.DataFrame:
    rows = [
        kpi.kpi_row(kpi="nps", label="NPS", level="cx", metric="nps", n=100, estimate=10.0),
        kpi.kpi_row(kpi="nps:join", label="NPS: join", level="cx", metric="nps", stage="join"),
        kpi.kpi_row(kpi="ces:use", label="CES: use", level="cx", metric="mean", stage="use"),
        kpi.kpi_row(kpi="fcr", label="FCR", level="operational", metric="share"),
        kpi.kpi_row(kpi="goal_performance", label="Goal", level="health", metric="share"),
        kpi.kpi_row(kpi="innovation_rate", label="Ideas", level="health", metric="rate"),
    ]
    return kpi.kpi_frame(rows)


def test_kpi_tree_structure():
    tree = kpi_tree.kpi_tree(_kpi_table(), goal="Customers stay")
    assert list(tree["node"]) == [
        "goal",
        "branch:cx",
        "nps",
        "nps:join",
        "ces:use",
        "branch:operational",
        "fcr",
    ]
    parents = dict(zip(tree["node"], tree["parent"], strict=True))
    assert parents["nps:join"] == "nps"  # a stage row hangs under its overall KPI
    assert parents["ces:use"] == "branch:cx"  # no overall CES: directly under the branch
    assert tree.loc[tree["node"] == "goal", "label"].item() == "Customers stay"
    assert tree.loc[tree["node"] == "goal", "kpi"].item() == "goal_performance"
    assert tree["depth"].tolist() == [0, 1, 2, 3, 2, 1, 2]
    seen = set()
    for node, parent in zip(tree["node"], tree["parent"], strict=True):
        assert parent == "" or parent in seen
        seen.add(node)


# ------------------------------------------------------------------------------ targets


def test_direction_of():
    assert kpi_targets.direction_of("churn", lower_is_better=["churn"]) == "decrease"
    assert kpi_targets.direction_of("ces:join", lower_is_better=["ces"]) == "decrease"
    assert kpi_targets.direction_of("ces:join", lower_is_better=["ces:use"]) == "increase"


def test_owners_from_governance_formats():
    from cxlib.config import RaciDecision
    from cxlib.governance_results import kpi_owners

    assert kpi_targets.owners_from_governance({"kpi_owners": {"nps": "Ana", "x": ""}}) == {
        "nps": "Ana"
    }
    assert kpi_targets.owners_from_governance({"kpis": [{"kpi": "csat", "owner": "Bo"}]}) == {
        "csat": "Bo"
    }
    assert kpi_targets.owners_from_governance({}) == {}
    # the records the governance step writes
    records = kpi_owners(
        [KpiTarget(kpi="nps", target=20)],
        [RaciDecision(id="publish_kpis", title="Publish", raci={"Cy": "A"})],
    )
    assert kpi_targets.owners_from_governance({"kpi_owners": records}) == {"nps": "Cy"}


def test_attach_targets_owner_goal_and_attainment():
    kpis = _kpi_table().assign(estimate=[10.0, 5.0, 4.0, 0.9, 0.85, 2.0])
    cfg = config()
    targets = [
        KpiTarget(kpi="nps", target=30, owner="Ana", target_date="2027-12-31"),
        KpiTarget(kpi="fcr", target=0.95, owner="Bo", direction="increase"),
        KpiTarget(kpi="ces:use", target=5, direction="decrease"),
    ]
    out = kpi_targets.attach_targets(
        kpis, targets, owners={"fcr": "Gov"}, goal=cfg.strategy.cx_goal
    ).set_index("kpi")
    assert out.loc["nps", "owner"] == "Ana" and out.loc["nps", "owner_source"] == "target"
    assert out.loc["fcr", "owner"] == "Gov" and out.loc["fcr", "owner_source"] == "governance"
    assert out.loc["nps", "target_date"] == "2027-12-31"
    assert out.loc["goal_performance", "target"] == 0.9
    assert out.loc["goal_performance", "target_date"] == "the end of 2027"
    assert out.loc["nps", "gap"] == -20.0
    assert out.loc["nps", "target_met"] == False  # noqa: E712
    assert out.loc["ces:use", "target_met"] == True  # noqa: E712  4 <= 5, lower is better
    assert pd.isna(out.loc["innovation_rate", "target_met"])


def _with_targets(**values) -> pd.DataFrame:
    base = {"kpi": "k", "metric": "share", "estimate": 0.6, "target": 0.65, "n": 100}
    base.update(promoters=np.nan, detractors=np.nan, sd=np.nan)
    base.update(values)
    return pd.DataFrame([base])


@pytest.mark.parametrize("case", REF["normal_ind_power"])
def test_sample_size_share_matches_statsmodels(case):
    p0, p1, nobs = case
    out = kpi_targets.sample_sizes(_with_targets(estimate=p0, target=p1))
    assert out.loc[0, "n_needed"] == math.ceil(nobs)
    assert "Cohen" in out.loc[0, "power_method"]


@pytest.mark.parametrize("case", REF["ttest_ind_power"])
def test_sample_size_mean_matches_statsmodels(case):
    sd, delta, nobs = case
    out = kpi_targets.sample_sizes(
        _with_targets(metric="mean", estimate=4.0, target=4.0 + delta, sd=sd)
    )
    assert out.loc[0, "n_needed"] == math.ceil(nobs)


def test_sample_size_nps_is_the_smallest_n_with_80_percent_power():
    # Independent computation: for each n, the adjusted-Wald variance of the baseline shares
    # on both waves, and power = P(|Z| > 1.96) for a true change of delta.
    pp, pdt, nps0, target = 0.40, 0.25, 15.0, 20.0
    out = kpi_targets.sample_sizes(
        _with_targets(metric="nps", estimate=nps0, target=target, promoters=pp, detractors=pdt)
    )
    n_needed = int(out.loc[0, "n_needed"])

    def power(n):
        a_p, a_d = (n * pp + 0.75) / (n + 3), (n * pdt + 0.75) / (n + 3)
        se = math.sqrt(2 * (a_p + a_d - (a_p - a_d) ** 2) / (n + 3))
        return sps.norm.cdf((target - nps0) / 100 / se - sps.norm.ppf(0.975))

    assert power(n_needed) >= 0.8 - 1e-6
    assert power(n_needed - 1) < 0.8
    assert out.loc[0, "n_sufficient"] == False  # noqa: E712  100 responses are far too few


def test_sample_size_not_planned_for_met_targets_rates_and_missing_targets():
    frame = pd.concat(
        [
            _with_targets(target_met=True),
            _with_targets(metric="rate", estimate=2.0, target=3.0),
            _with_targets(target=np.nan),
            _with_targets(estimate=0.0, target=0.1),  # share of 0: no arcsine effect
        ],
        ignore_index=True,
    )
    out = kpi_targets.sample_sizes(frame)
    assert out["n_needed"].isna().all()
    assert out["n_sufficient"].isna().all()
    assert out.loc[1, "power_method"] == "not a sample estimate"


# ------------------------------------------------------------------------------ baseline


def test_records_are_plain_json():
    frame = pd.DataFrame(
        {"a": [np.int64(3), None], "b": [np.nan, 2.5], "c": pd.array([True, None], "boolean")}
    )
    recs = kpi_measure.records(frame)
    assert recs == [{"a": 3, "b": None, "c": True}, {"a": None, "b": 2.5, "c": None}]
    assert kpi_measure.records(None) is None


@pytest.fixture(scope="module")
def measured():
    cfg = config()
    data = tables()
    previous = {
        "wave": "2025Q4",
        "definitions": {"stages": ["join", "use"], "touchpoints": {}, "personas": {}},
    }
    base = kpi_measure.measure_baseline(data, cfg, wave="2026Q1")
    current = kpi_measure.measure_baseline(
        data,
        cfg,
        wave="2026Q3",
        governance={"kpi_owners": [{"kpi": "csat", "owner": "Gov"}]},
        previous=previous,
    )
    return cfg, data, base, current


def test_measure_baseline_measures_every_layer(measured):
    cfg, data, base, _ = measured
    k = base.kpis.set_index("kpi")
    assert {"cx", "operational", "business", "health"} <= set(k["level"])
    for name in ("nps", "csat", "ces", "csat:join", "completion", "fcr", "duration"):
        assert name in k.index
    for name in ("retention", "churn", "revenue_at_risk", "goal_performance"):
        assert name in k.index
    for name in ("employee_engagement", "innovation_rate", "improvement_rate"):
        assert name in k.index
    q1 = data["responses"][(data["responses"]["wave"] == "2026Q1")]
    rel = q1[q1["survey"] == "relationship"]
    assert k.loc["nps", "estimate"] == pytest.approx(stats.nps(rel).loc[0, "estimate"])
    assert k.loc["nps", "target"] == 30 and k.loc["nps", "owner"] == "Ana"
    assert base.period == ("2026-01-01T00:00:00", "2026-04-01T00:00:00")
    assert base.missing == ()
    assert base.definition_changes is None and base.previous_wave is None
    assert np.isnan(k.loc["definition_changes", "estimate"])
    # ideas proposed in Q1 2026 (first wave: its own period): Jan 10, Feb 3, Feb 20, Mar 15
    assert k.loc["innovation_rate", "count"] == 4
    assert k.loc["innovation_rate", "estimate"] == pytest.approx(4 / 3)


def test_measure_baseline_second_wave_counts_since_previous_and_diffs(measured):
    _, _, _, current = measured
    k = current.kpis.set_index("kpi")
    # since the end of Q1: Apr 2, Jun 1, Jul 7, Aug 19 proposed; 6 months
    assert current.rate_period == ("2026-04-01T00:00:00", "2026-10-01T00:00:00")
    assert k.loc["innovation_rate", "count"] == 4
    assert k.loc["innovation_rate", "exposure"] == pytest.approx(6.0)
    assert k.loc["improvement_rate", "count"] == 3  # May 15, Jun 10, Aug 1
    assert k.loc["csat", "owner"] == "Gov"
    assert current.previous_wave == "2025Q4"
    changes = current.definition_changes
    assert ("stage", "help", "added") in set(
        zip(changes["area"], changes["item"], changes["change"], strict=True)
    )
    assert k.loc["definition_changes", "estimate"] == len(changes)


def test_baseline_round_trips_through_json(measured):
    _, _, base, _ = measured
    text = json.dumps(base.to_dict(), allow_nan=False)
    back = kpi_measure.KpiBaseline.from_dict(json.loads(text))
    cols = list(kpi.KPI_COLUMNS)
    pd.testing.assert_frame_equal(back.kpis[cols], base.kpis[cols], check_dtype=False)
    assert back.wave == base.wave and back.period == base.period
    assert len(back.tree) == len(base.tree)


def test_measure_baseline_without_optional_tables_says_so():
    data = tables()
    only = {"responses": data["responses"]}
    base = kpi_measure.measure_baseline(only, config(), wave="2026Q1")
    assert set(base.missing) == {"touchpoint_events", "customers", "employee_pulse", "initiatives"}
    assert set(base.kpis["level"]) == {"cx", "health"}
    with pytest.raises(ValueError, match="responses"):
        kpi_measure.measure_baseline({}, config(), wave="2026Q1")
