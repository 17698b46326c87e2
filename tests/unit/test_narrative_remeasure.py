"""Sentences and client tables of the re-measurement (cxlib.narrative_remeasure)."""

from __future__ import annotations

import pandas as pd

from cxlib import kpi, narrative_remeasure, remeasure

EVIL = "<script>x</script> *bold* [link](http://e.vil)"


def test_wins_escape_client_text_and_give_the_numbers():
    card = pd.DataFrame(
        {
            "label": [EVIL],
            "metric": ["share"],
            "baseline": [0.4],
            "current": [0.6],
            "estimate": [0.2],
            "ci_low": [0.1],
            "ci_high": [0.3],
            "p_value": [0.0001],
            "p_adjusted": [0.0002],
            "change": ["improved"],
            "statistic": [4.0],
        }
    )
    wins = narrative_remeasure.wins_and_regressions(card)
    assert "<script>" not in wins and "**Wins**" in wins
    assert "from 40.0% to 60.0% (+20.0 pts, 95% CI +10.0 pts to +30.0 pts" in wins


def _card() -> pd.DataFrame:
    base = kpi.kpi_frame(
        [
            kpi.kpi_row(kpi="a", label="Alpha", metric="share", n=400, n_eff=400.0,
                        estimate=0.5, count=200.0, small_n=False),
            kpi.kpi_row(kpi="b", label="Beta", metric="share", n=400, n_eff=400.0,
                        estimate=0.5, count=200.0, small_n=False),
        ]
    )  # fmt: skip
    cur = base.assign(estimate=[0.62, 0.38], count=[248.0, 152.0])
    return remeasure.scorecard(base, cur)


def test_scorecard_words_headline_and_table():
    card = _card()
    table = narrative_remeasure.scorecard_table(card)
    assert table.loc["Alpha", "Status"] == "Green" and table.loc["Beta", "Status"] == "Red"
    assert table.loc["Alpha", "Change"] == "+12.0 pts"
    words = narrative_remeasure.wins_and_regressions(card)
    assert "**Wins**" in words and "**Regressions**" in words
    head = narrative_remeasure.remeasure_headline(card, {"wave": "W1", "locked": True}, "W2")
    assert head.startswith(
        "W2 against the locked baseline W1: 1 KPI improved significantly, 1 deteriorated; "
    )
    quiet = narrative_remeasure.wins_and_regressions(card.assign(change="no significant change"))
    assert quiet.startswith("None of the 2 KPIs tested moved significantly")


def _tested(changes: list[str]) -> pd.DataFrame:
    """A scorecard of tested KPIs, one per change given; only the words are read."""
    n = len(changes)
    return pd.DataFrame(
        {
            "label": [f"K{i}" for i in range(n)],
            "metric": ["share"] * n,
            "baseline": [0.4] * n,
            "current": [0.5] * n,
            "estimate": [0.1] * n,
            "ci_low": [0.05] * n,
            "ci_high": [0.15] * n,
            "p_value": [0.001] * n,
            "p_adjusted": [0.002] * n,
            "change": changes,
            "statistic": [3.0] * n,
        }
    )


QUIET = "no significant change"


def test_quiet_kpis_in_words_for_one_and_for_several():
    one = narrative_remeasure.wins_and_regressions(_tested([QUIET]))
    assert one == (
        "The one KPI tested did not move significantly: the difference seen is within the "
        "usual noise."
    )
    several = narrative_remeasure.wins_and_regressions(_tested([QUIET, QUIET, QUIET]))
    assert several == (
        "None of the 3 KPIs tested moved significantly once the number of tests is taken "
        "into account: the differences seen are within the usual noise."
    )
    tail = {
        n: narrative_remeasure.wins_and_regressions(_tested(["improved"] + [QUIET] * n))
        for n in (0, 1, 2)
    }
    assert tail[0].endswith("adjusted p = 0.002)")  # no sentence about the other none
    assert tail[1].endswith("\n\nThe other KPI tested shows no significant change.")
    assert tail[2].endswith("\n\nThe other 2 KPIs tested show no significant change.")


def test_headline_counts_kpis_in_the_right_number():
    info = {"wave": "W1", "locked": False}
    heads = [
        narrative_remeasure.remeasure_headline(_tested(changes), info, "W2").split(";")[0]
        for changes in (["improved"], ["improved", "improved", "deteriorated"], [QUIET])
    ]
    assert heads == [
        "W2 against the not locked baseline W1: 1 KPI improved significantly, 0 deteriorated",
        "W2 against the not locked baseline W1: 2 KPIs improved significantly, 1 deteriorated",
        "W2 against the not locked baseline W1: 0 KPIs improved significantly, 0 deteriorated.",
    ]


def test_status_movers_and_control_findings():
    locked = narrative_remeasure.baseline_status(
        {"wave": "W1", "locked": True, "locked_at": "2026-05-01T10:00:00", "checksum": "ab" * 32}
    )
    assert "locked baseline of wave W1" in locked and "2026\\-05\\-01" in locked
    assert "not locked" in narrative_remeasure.baseline_status({"wave": "W1", "locked": False})
    moves = pd.DataFrame(
        {
            "source": ["survey"],
            "segment": ["primary_channel"],
            "level": ["app"],
            "metric": ["csat"],
            "baseline": [0.5],
            "current": [0.7],
            "estimate": [0.2],
            "p_adjusted": [0.0004],
            "significant": [True],
            "small_n": [False],
        }
    )
    table = narrative_remeasure.movers_table(moves)
    assert table.loc["primary channel: app", "Change"] == "+20.0 pts"
    charts = pd.DataFrame(
        {
            "chart": ["csat", "csat"],
            "label": ["CSAT", "CSAT"],
            "wave": ["W1", "W2"],
            "estimate": [0.4, 0.7],
            "lcl": [0.45, 0.45],
            "ucl": [0.65, 0.65],
            "special_cause": [True, True],
        }
    )
    text = narrative_remeasure.control_findings(charts)
    assert "**CSAT** in W1: 40.0%, below its limits" in text
    assert "**CSAT** in W2: 70.0%, above its limits" in text
    calm = narrative_remeasure.control_findings(charts.assign(special_cause=False))
    assert calm.startswith("No point lies outside its control limits across 2 waves.")
    one_wave = charts.iloc[:1].assign(special_cause=False)
    calm = narrative_remeasure.control_findings(one_wave)
    assert calm.startswith("No point lies outside its control limits across 1 wave.")
