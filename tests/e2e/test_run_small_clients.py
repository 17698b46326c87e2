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


def cx(*args):
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    return subprocess.run(
        [CX, *map(str, args)], capture_output=True, text=True, env=env, timeout=600
    )


def test_mission_step_with_no_goals_says_so_and_succeeds(tmp_path, make_small_client):
    no_goals = "  business_objectives: []\n  goals: []"
    client = make_small_client(tmp_path / "acme", goals=no_goals)
    result = cx("run", client, "--step", "mission", "--no-progress")
    assert result.returncode == 0, result.stdout + result.stderr
    reports = client / "reports"
    saved = json.loads((reports / "results" / "strategy.json").read_text())
    assert saved["goals"] == [] and saved["goal_findings"] == []
    assert saved["cx_goal"]["n"] == 60 and saved["cx_goal"]["achieved"] == 48
    assert saved["headline"].startswith("80.0% of customers stay today")
    page = (reports / "01_mission_strategy.html").read_text(encoding="utf-8")
    assert "No CX goals are set out yet" in page


def test_run_finishes_a_promotion_a_killed_run_left_half_done(tmp_path, make_small_client):
    client = make_small_client(tmp_path / "acme")
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
