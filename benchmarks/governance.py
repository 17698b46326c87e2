"""Time the survey contact-policy audit on 1,000,000 contacts, and playbook 05 on the demo.

Run: .venv/bin/python benchmarks/governance.py [--contacts N] [--customers M] [--playbook]

The synthetic log spreads N contacts over M customers across one year (customer ids as text,
like a real export), with complaints for 5% of customers. Prints wall-clock seconds for
flagging breaches, simulating the policy and the whole audit, at caps of 1 and 2 surveys per
30 days; the budget selection for 300 initiatives; and, with --playbook, the papermill
execution of playbooks/05_governance.ipynb on data/demo (kernel start included).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a checkout
from cxlib import governance_contacts, governance_roadmap  # noqa: E402
from cxlib.config import ContactPolicy  # noqa: E402


def make_log(contacts: int, customers: int, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A year of survey contacts and open complaints with string customer ids."""
    rng = np.random.default_rng(seed)
    ids = np.char.add("C", np.char.zfill(np.arange(customers).astype(str), 7))
    start = pd.Timestamp("2026-01-01")
    log = pd.DataFrame(
        {
            "customer_id": ids[rng.integers(0, customers, contacts)],
            "contacted_at": start + pd.to_timedelta(rng.random(contacts) * 365, unit="D"),
            "survey": rng.choice(["relationship", "transactional"], contacts, p=[0.3, 0.7]),
            "team": rng.choice(["CX Insights", "Customer Care", "Marketing"], contacts),
        }
    )
    n_complaints = customers // 20
    complaints = pd.DataFrame(
        {
            "customer_id": ids[rng.integers(0, customers, n_complaints)],
            "complained_at": start + pd.to_timedelta(rng.random(n_complaints) * 365, unit="D"),
        }
    )
    return log, complaints


def timed(label: str, fn, repeat: int = 3):
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    print(f"  {label:38s} {best:6.2f} s (best of {repeat})")
    return result


def bench_audit(contacts: int, customers: int) -> None:
    log, complaints = make_log(contacts, customers)
    print(f"contacts={contacts:,} customers={customers:,} complaints={len(complaints):,}")
    for k in (1, 2):
        policy = ContactPolicy(max_surveys=k, per_days=30, quiet_days_after_complaint=7)
        print(f"cap {k} per 30 days:")
        flagged = timed(
            "flag breaches (sort, shift, merge_asof)",
            lambda p=policy: governance_contacts.flag_contacts(
                log, policy=p, complaints=complaints
            ),
        )
        timed(
            "simulate the policy (greedy rounds)",
            lambda p=policy, f=flagged: governance_contacts.contacts_under_policy(f, policy=p),
        )
        audit = timed(
            "whole audit (flags, simulation, tables)",
            lambda p=policy: governance_contacts.audit_contacts(
                log, policy=p, complaints=complaints
            ),
        )
        s = audit.summary.iloc[0]
        print(
            f"  -> {s['estimate']:.1%} of customers over the cap, "
            f"{s['contacts_under_policy']:,} of {s['n_contacts']:,} surveys under the policy"
        )


def bench_budget(n: int = 300) -> None:
    rng = np.random.default_rng(1)
    items = pd.DataFrame(
        {"impact": rng.random(n), "cost": rng.integers(5, 300, n).astype(float) * 1000}
    )
    budget = float(items["cost"].sum() / 4)
    print(f"budget selection, {n} initiatives, budget {budget:,.0f}:")
    for method in ("dp", "milp"):
        timed(
            f"{method}",
            lambda m=method: governance_roadmap.select_within_budget(
                items, budget=budget, method=m
            ),
        )


def bench_playbook() -> None:
    import papermill

    print("playbook 05 on the demo (papermill, kernel start included):")
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        papermill.execute_notebook(
            str(ROOT / "playbooks" / "05_governance.ipynb"),
            str(Path(tmp) / "out.ipynb"),
            cwd=str(ROOT / "playbooks"),
            progress_bar=False,
            kernel_name="python3",
        )
        print(f"  {'05_governance.ipynb':38s} {time.perf_counter() - start:6.2f} s (one run)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=250_000)
    parser.add_argument("--playbook", action="store_true", help="also time playbook 05")
    args = parser.parse_args()
    bench_audit(args.contacts, args.customers)
    bench_budget()
    if args.playbook:
        bench_playbook()


if __name__ == "__main__":
    main()
