"""End to end: ``cx run`` of the mission step on tiny clients.

Kept cheap: 60 customers and one playbook per run. A strategy may set out no goals yet;
the page says so and the step still succeeds.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

CX = str(Path(sys.executable).with_name("cx"))

ENGAGEMENT = """\
client:
  name: "Acme"
waves:
  labels: ["2026Q1"]
  baseline: "2026Q1"
inputs:
  customers:
    - file: inputs/customers.csv
  responses:
    - file: inputs/responses.csv
strategy:
  vision: "Customers renew because every contact is easy."
  mission:
    purpose: "keep people connected"
    customers: "households"
    promise: "one call fixes it"
  success:
    customer_action: "renew"
    measure: "renewal rate"
    target: "90%"
    by: "the end of 2027"
{goals}
  cx_goal:
    statement: "Customers stay with us."
    action: "stay"
    measure: {{table: customers, column: churned, op: "==", value: false}}
    target: 0.9
"""

GOALS = """\
  business_objectives:
    - {id: retain, title: "Keep customers"}
  goals:
    - id: g1
      title: "Fix billing questions at first contact"
      accountable: "Head of billing"
      customer_measure: "CES billing"
      operational_measure: "repeat contacts per 1,000 bills"
      objectives: [retain]
"""


def make_client(folder: Path, *, goals: str = GOALS) -> Path:
    """60 customers (every fifth churned) and one response each."""
    (folder / "inputs").mkdir(parents=True)
    (folder / "engagement.yaml").write_text(ENGAGEMENT.format(goals=goals.rstrip("\n")))
    customers = ["customer_id,churned"]
    customers += [f"C{i:03d},{'true' if i % 5 == 0 else 'false'}" for i in range(60)]
    responses = ["response_id,customer_id,wave,nps"]
    responses += [f"R{i:03d},C{i:03d},2026Q1,{i % 11}" for i in range(60)]
    (folder / "inputs" / "customers.csv").write_text("\n".join(customers) + "\n")
    (folder / "inputs" / "responses.csv").write_text("\n".join(responses) + "\n")
    return folder


def cx(*args):
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    return subprocess.run(
        [CX, *map(str, args)], capture_output=True, text=True, env=env, timeout=600
    )


def test_mission_step_with_no_goals_says_so_and_succeeds(tmp_path):
    client = make_client(tmp_path / "acme", goals="  business_objectives: []\n  goals: []")
    result = cx("run", client, "--step", "mission", "--no-progress")
    assert result.returncode == 0, result.stdout + result.stderr
    reports = client / "reports"
    saved = json.loads((reports / "results" / "strategy.json").read_text())
    assert saved["goals"] == [] and saved["goal_findings"] == []
    assert saved["cx_goal"]["n"] == 60 and saved["cx_goal"]["achieved"] == 48
    assert saved["headline"].startswith("80.0% of customers stay today")
    page = (reports / "01_mission_strategy.html").read_text(encoding="utf-8")
    assert "No CX goals are set out yet" in page


def test_run_finishes_a_promotion_a_killed_run_left_half_done(tmp_path):
    client = make_client(tmp_path / "acme")
    # Killed between promote's two renames: the old report moved aside, the new one staged.
    for name, marker in ((".reports.old.r0", "old report"), (".reports.r0", "r0 report")):
        (client / name / "results").mkdir(parents=True)
        (client / name / "index.html").write_text(marker)
    result = cx("run", client, "--step", "mission", "--no-progress")
    assert result.returncode == 0, result.stdout + result.stderr
    repaired = [line for line in result.stderr.splitlines() if "promotion" in line]
    assert repaired == [
        f"WARNING cxlib.run: {client / 'reports'}: "
        "completed the interrupted promotion of .reports.r0"
    ]
    assert sorted(p.name for p in client.iterdir() if p.name.startswith(".")) == []
    reports = client / "reports"
    record = json.loads((reports / "run.json").read_text())
    assert record["status"] == "done" and record["steps"][0]["step"] == "mission"
    assert "r0 report" not in (reports / "index.html").read_text(encoding="utf-8")
    assert (reports / "01_mission_strategy.html").is_file()
    assert (reports / "results" / "strategy.json").is_file()
