"""Small synthetic engagement for the KPI tests: two waves, a planted change at one stage.

Seeded with numpy's default_rng, so every test sees the same tables. Planted: the touchpoint
ratings of stage "join" rise after 2026-05-01 (CSAT top box and ease); everything else is drawn
from the same distribution in both waves.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cxlib.config import Engagement

WAVES = ("2026Q1", "2026Q3")
STAGES = ("join", "use", "help")
TOUCHPOINTS = (
    ("t_join", "Sign-up", "join", "app"),
    ("t_use", "Account", "use", "web"),
    ("t_help", "Helpline", "help", "phone"),
)


def config_dict(**kpis) -> dict:
    """engagement.yaml as a dict (no input files: the tests hand tables over directly)."""
    return {
        "client": {"name": "Test Co"},
        "waves": {"labels": list(WAVES), "baseline": WAVES[0]},
        "inputs": {"customers": [], "responses": []},
        "survey": {"min_base": 30, "confidence": 0.95},
        "strategy": {
            "vision": "Customers fix anything in one contact.",
            "mission": {"purpose": "connect", "customers": "households", "promise": "fast fixes"},
            "success": {
                "customer_action": "customers stay",
                "measure": "retention",
                "target": "90%",
                "by": "2027",
            },
            "cx_goal": {
                "statement": "Customers stay with us.",
                "action": "stay",
                "measure": {
                    "table": "customers",
                    "column": "churned",
                    "op": "==",
                    "value": False,
                },
                "target": 0.9,
                "by": "the end of 2027",
            },
        },
        "journey": {
            "stages": list(STAGES),
            "touchpoints": [
                {"id": i, "name": n, "stage": s, "channel": c, "owner": "Ops"}
                for i, n, s, c in TOUCHPOINTS
            ],
        },
        "kpis": {
            "targets": [
                {"kpi": "nps", "target": 30, "target_date": "2027-12-31", "owner": "Ana"},
                {"kpi": "csat", "target": 0.8, "owner": "Ben"},
                {"kpi": "churn", "target": 0.1, "direction": "decrease"},
            ],
            **kpis,
        },
    }


def config(**kpis) -> Engagement:
    return Engagement.model_validate(config_dict(**kpis))


def tables(seed: int = 7) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    n_cust = 700
    ids = np.array([f"C{i:04d}" for i in range(n_cust)], dtype=object)
    customers = pd.DataFrame(
        {
            "customer_id": ids,
            "region": rng.choice(["North", "South"], n_cust),
            "primary_channel": rng.choice(["app", "web"], n_cust),
            "annual_revenue": np.round(rng.uniform(100, 900, n_cust), 2),
        }
    )
    rows = []
    for w, wave in enumerate(WAVES):
        month = 2 if w == 0 else 8
        who = rng.choice(n_cust, 420, replace=False)
        kind = np.where(np.arange(420) < 300, "relationship", "transactional")
        tp = np.where(kind == "relationship", "", rng.choice(["t_join", "t_use", "t_help"], 420))
        day = rng.integers(1, 28, 420)
        rows.append(
            pd.DataFrame(
                {
                    "response_id": [f"R{w}-{i:04d}" for i in range(420)],
                    "customer_id": ids[who],
                    "wave": wave,
                    "responded_at": pd.to_datetime([f"2026-{month:02d}-{d:02d}" for d in day]),
                    "survey": kind,
                    "touchpoint_id": tp,
                    "nps": rng.choice(11, 420, p=_nps_p()),
                    "csat": rng.choice([1, 2, 3, 4, 5], 420, p=[0.05, 0.1, 0.2, 0.35, 0.3]),
                    "ces": rng.choice(np.arange(1, 8), 420),
                }
            )
        )
    responses = pd.concat(rows, ignore_index=True)
    latest = responses.sort_values("responded_at").groupby("customer_id")["nps"].last()
    p_churn = np.where(latest >= 9, 0.05, np.where(latest >= 7, 0.12, 0.3))
    churn = pd.Series(rng.random(len(latest)) < p_churn, index=latest.index)
    customers["churned"] = customers["customer_id"].map(churn).fillna(False).astype(bool)
    return {
        "customers": customers,
        "responses": responses,
        "touchpoint_events": _events(rng, ids),
        "initiatives": _initiatives(),
        "employee_pulse": _pulse(rng),
    }


def _nps_p() -> np.ndarray:
    p = np.array([2, 1, 1, 2, 2, 4, 6, 10, 14, 28, 30], dtype=float)
    return p / p.sum()


def _events(rng, ids) -> pd.DataFrame:
    m = 3000
    when = pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.uniform(0, 272, m), unit="D")
    tp = rng.choice(["t_join", "t_use", "t_help"], m)
    after = (tp == "t_join") & (when >= pd.Timestamp("2026-05-01"))
    csat = np.clip(np.rint(3.4 + 0.9 * after + rng.normal(0, 1, m)), 1, 5)
    return pd.DataFrame(
        {
            "customer_id": rng.choice(ids, m),
            "touchpoint_id": tp,
            "occurred_at": when,
            "completed": rng.random(m) < 0.9,
            "duration_s": np.rint(rng.lognormal(5.5, 0.4, m)),
            "csat": csat,
            "effort": np.clip(np.rint(4.5 + (csat - 3.4) + rng.normal(0, 0.8, m)), 1, 7),
        }
    )


def _initiatives() -> pd.DataFrame:
    proposed = pd.to_datetime(
        ["2026-01-10", "2026-02-03", "2026-02-20", "2026-03-15", "2026-04-02", "2026-06-01"]
        + ["2026-07-07", "2026-08-19"]
    )
    implemented = pd.to_datetime(
        ["2026-02-01", None, "2026-05-15", None, "2026-06-10", "2026-08-01", None, None]
    )
    return pd.DataFrame(
        {
            "initiative_id": [f"I{i}" for i in range(8)],
            "proposed_at": proposed,
            "implemented_at": implemented,
        }
    )


def _pulse(rng) -> pd.DataFrame:
    k = 160
    score = rng.integers(0, 11, 2 * k)
    return pd.DataFrame(
        {
            "employee_id": [f"E{i}" for i in range(2 * k)],
            "wave": np.repeat(WAVES, k),
            "score": score,
            "engaged": score >= 7,
        }
    )
