"""End to end: cx new, cx validate and cx run on a copy of the demo client.

One full run of every playbook is shared by the tests in this module (it is the expensive
part); the assertions read what a consultant would check: the report, run.json, the results
files and the executed notebooks.
"""

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml

from cxlib.report import check_offline
from cxlib.run import available_steps

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "data" / "demo"
CX = str(Path(sys.executable).with_name("cx"))


def cx(*args, cwd=None):
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    return subprocess.run(
        [CX, *map(str, args)], capture_output=True, text=True, cwd=cwd, env=env, timeout=900
    )


def copy_demo_into(folder: Path) -> None:
    """Give a new engagement the demo's inputs and settings, keeping the new client name."""
    name = yaml.safe_load((folder / "engagement.yaml").read_text())["client"]["name"]
    shutil.rmtree(folder / "inputs")
    shutil.copytree(DEMO / "inputs", folder / "inputs")
    for extra in ("assets", "codeframe.yaml"):
        src = DEMO / extra
        if src.is_dir():
            shutil.copytree(src, folder / extra, dirs_exist_ok=True)
        elif src.is_file():
            shutil.copy2(src, folder / extra)
    config = yaml.safe_load((DEMO / "engagement.yaml").read_text())
    config["client"]["name"] = name
    (folder / "engagement.yaml").write_text(yaml.safe_dump(config, sort_keys=False))


@pytest.fixture(scope="module")
def engagement(tmp_path_factory):
    base = tmp_path_factory.mktemp("e2e")
    folder = base / "clients" / "acme"
    created = cx("new", folder, "--name", "Acme <Telecom>", "--consultant", "Harbour CX")
    assert created.returncode == 0, created.stderr
    copy_demo_into(folder)
    return folder


@pytest.fixture(scope="module")
def completed(engagement):
    checked = cx("validate", engagement)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    result = cx("run", engagement, "--no-progress")
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def test_new_copies_the_template_with_the_client_name(tmp_path):
    folder = tmp_path / "beta"
    result = cx("new", folder, "--name", "Beta Bank")
    assert result.returncode == 0, result.stderr
    template = ROOT / "client_template"
    expected = sorted(p.relative_to(template) for p in template.rglob("*") if p.is_file())
    assert sorted(p.relative_to(folder) for p in folder.rglob("*") if p.is_file()) == expected
    config = yaml.safe_load((folder / "engagement.yaml").read_text())
    assert config["client"]["name"] == "Beta Bank"
    assert "Client name" not in (folder / "engagement.yaml").read_text()


def test_run_prints_report_path_and_timings(completed, engagement):
    index = engagement / "reports" / "index.html"
    assert f"Report: {index}" in completed.stdout
    assert index.is_file()
    for step in available_steps():
        assert f"  {step.key:<11} done" in completed.stdout


def test_run_json_records_fingerprints_timings_and_status(completed, engagement):
    record = json.loads((engagement / "reports" / "run.json").read_text())
    assert record["status"] == "done"
    assert record["kit_version"] == "0.1.0"
    inputs = sorted((engagement / "inputs").rglob("*.csv"))
    assert inputs
    for path in inputs:
        rel = str(path.relative_to(engagement))
        assert record["fingerprints"][rel] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert [s["status"] for s in record["steps"]] == ["done"] * len(available_steps())
    assert record["timings_s"]["total"] > 0


def test_each_step_read_only_results_of_steps_it_waits_for(completed, engagement):
    """Steps ran two at a time (cx run's default here); each read what it needed, finished."""
    record = json.loads((engagement / "reports" / "run.json").read_text())
    steps = {s.key: s for s in available_steps()}
    entries = {e["step"]: e for e in record["steps"]}
    writer = {name: key for key, e in entries.items() for name in e["results_written"]}

    def waits_for(key):  # the step's needs, and theirs, within this run
        found = set()
        for need in steps[key].needs:
            found |= {need} | waits_for(need)
        return found

    for key, entry in entries.items():
        for name in entry["results_read"]:
            assert writer.get(name, key) in waits_for(key) | {key}, (key, name)
    assert {"journey.json", "voc.json", "pain_points.parquet"} <= set(
        entries["governance"]["results_read"]
    )
    assert entries["journey"]["results_read"] == ["personas.parquet"]
    assert writer["personas.parquet"] == "personas"
    assert set(writer) == {p.name for p in (engagement / "reports" / "results").iterdir()}


def test_every_page_is_offline_branded_and_escaped(completed, engagement):
    reports = engagement / "reports"
    pages = [reports / "index.html"] + [reports / s.page for s in available_steps()]
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert check_offline(html) == [], page.name
        assert "Acme &lt;Telecom&gt;" in html, page.name
        assert "<Telecom>" not in html, page.name
        assert "Traceback" not in html and "Warning" not in html, page.name
    index = (reports / "index.html").read_text(encoding="utf-8")
    for step in available_steps():
        assert f'href="{step.page}"' in index


def test_executed_notebooks_contain_charts(completed, engagement):
    record = json.loads((engagement / "reports" / "run.json").read_text())
    run_dir = engagement / "runs" / record["run_id"]
    for step in available_steps():
        nb = nbformat.read(run_dir / "notebooks" / step.notebook, as_version=4)
        images = [
            o
            for c in nb.cells
            if c.cell_type == "code"
            for o in c.outputs
            if "image/png" in o.get("data", {})
        ]
        assert images, f"{step.notebook} has no charts (MPLBACKEND leaking into the kernel?)"


def test_step1_numbers_match_the_demo_data(completed, engagement):
    import pandas as pd

    strategy = json.loads((engagement / "reports" / "results" / "strategy.json").read_text())
    config = yaml.safe_load((DEMO / "engagement.yaml").read_text())
    (source,) = (
        config["inputs"]["customers"]
        if isinstance(config["inputs"]["customers"], list)
        else [config["inputs"]["customers"]]
    )
    header = {v: k for k, v in source.get("columns", {}).items()}.get("churned", "churned")
    customers = pd.read_csv(DEMO / source["file"], dtype=str)
    share = 1 - customers[header].str.lower().isin(["true", "yes", "y", "1"]).mean()
    goal = strategy["cx_goal"]
    assert goal["n"] == len(customers)
    assert goal["estimate"] == pytest.approx(share, abs=1e-9)
    assert goal["ci_low"] < goal["estimate"] < goal["ci_high"]
    # The demo plants one goal with two accountable leaders and one without an operational
    # measure; step 1 must flag both.
    checks = {(f["goal_id"], f["check"]) for f in strategy["goal_findings"]}
    assert {c for _, c in checks} >= {"one_accountable", "operational_measure"}


def test_bad_input_is_reported_and_nothing_is_written(engagement, tmp_path):
    bad = tmp_path / "bad"
    shutil.copytree(engagement, bad, ignore=shutil.ignore_patterns("runs", "reports"))
    customers = sorted((bad / "inputs").glob("*customer*.csv"))[0]
    lines = customers.read_text(encoding="utf-8").splitlines()
    lines.append(lines[1])  # duplicate a customer id
    customers.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = cx("validate", bad)
    assert result.returncode == 1
    assert customers.name in result.stdout
    assert f"row {len(lines)}" in result.stdout
    run = cx("run", bad, "--no-progress")
    assert run.returncode == 1
    assert not (bad / "reports").exists()


def test_failing_step_keeps_notebook_and_previous_report(completed, engagement, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(engagement, broken)
    before = (broken / "reports" / "index.html").read_bytes()
    config = yaml.safe_load((broken / "engagement.yaml").read_text())
    config["strategy"]["cx_goal"]["measure"]["column"] = "no_such_column"
    (broken / "engagement.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    result = cx("run", broken, "--step", "mission", "--no-progress")
    assert result.returncode == 3
    assert "step mission failed in" in result.stderr
    assert "KeyError" in result.stderr and "no_such_column" in result.stderr
    kept = Path(result.stderr.split("kept at ")[1].split()[0])
    assert kept.is_file()
    assert "no_such_column" in kept.read_text()
    assert (broken / "reports" / "index.html").read_bytes() == before
