"""End to end: cx batch over tiny clients, on the process pool and on a local Dask cluster.

Kept cheap: every client is 60 customers and runs only the mission step. The scenarios are
the ones an agency meets: one client with bad data, one whose step fails, a resume after the
fix, Ctrl-C in the middle of a batch, and a worker process killed under a running client.
"""

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import psutil
import pytest

from cxlib import batch

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

CX = str(Path(sys.executable).with_name("cx"))


def cx(*args, **kwargs):
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    return subprocess.run(
        [CX, *map(str, args)], capture_output=True, text=True, env=env, timeout=600, **kwargs
    )


def read_summary(folder: Path) -> dict[str, dict[str, str]]:
    with open(folder / "batch-summary.csv", newline="", encoding="utf-8") as fh:
        return {row["client"]: row for row in csv.DictReader(fh)}


def assert_no_half_written_report(clients: Path) -> None:
    """Every report is complete, and nothing of an unfinished promotion is left."""
    for client in (p for p in clients.iterdir() if p.is_dir()):
        assert not [p.name for p in client.glob(".reports*")], client.name
        reports = client / "reports"
        if reports.exists():
            record = json.loads((reports / "run.json").read_text())
            assert record["status"] == "done"
            assert (reports / "index.html").is_file()
            assert (reports / "01_mission_strategy.html").is_file()
            assert (reports / "results" / "strategy.json").is_file()


@pytest.fixture(scope="module")
def three(tmp_path_factory, make_small_client):
    """Three clients: one good, one with bad data, one whose step fails; batch run once."""
    root = tmp_path_factory.mktemp("batch") / "clients"
    make_small_client(root / "acme", name="Acme <Telecom>")
    make_small_client(root / "bad-data", name="Bad Data Ltd", bad_row=True)
    make_small_client(root / "broken", name="Broken Step plc", column="no_such_column")
    result = cx("batch", root, "--jobs", "2", "--steps", "mission", "--no-progress")
    return root, result


def test_one_clients_failure_never_stops_another(three):
    root, result = three
    assert result.returncode == 3, result.stdout + result.stderr
    rows = read_summary(root)
    assert {k: v["status"] for k, v in rows.items()} == {
        "acme": "done",
        "bad-data": "invalid",
        "broken": "failed",
    }
    # The good client got its report.
    assert (root / "acme" / "reports" / "index.html").is_file()
    assert rows["acme"]["report"] == str(root / "acme" / "reports" / "index.html")
    # Bad data: stopped at validation, naming file, row, column and value; nothing written.
    assert rows["bad-data"]["step"] == ""
    assert "inputs/customers.csv, row 62, column 'churned'" in rows["bad-data"]["error"]
    assert "'perhaps'" in rows["bad-data"]["error"]
    assert not (root / "bad-data" / "reports").exists()
    # Failing step: its executed notebook is kept with the traceback; no report promoted.
    assert rows["broken"]["step"] == "mission"
    assert "no_such_column" in rows["broken"]["error"]
    kept = Path(rows["broken"]["notebook"])
    nb = nbformat.read(kept, as_version=4)
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    errors = [o for o in errors if o.output_type == "error"]
    assert errors and "no_such_column" in errors[0].evalue
    assert not (root / "broken" / "reports").exists()
    # Printed table, status lines, and the HTML summary (client text escaped).
    assert "3 client(s) in" in result.stdout and "1 done, 1 invalid, 1 failed" in result.stdout
    assert "failed     broken" in result.stderr
    assert "Kernel is running over TCP" not in result.stderr
    page = (root / "batch-summary.html").read_text()
    assert "acme/reports/index.html" in page and "KeyError" in page
    assert_no_half_written_report(root)


def test_resume_reruns_only_what_failed(three):
    root, first = three
    assert first.returncode == 3
    before = json.loads((root / "acme" / "reports" / "run.json").read_text())
    config = root / "broken" / "engagement.yaml"
    config.write_text(config.read_text().replace("no_such_column", "churned"))
    result = cx("batch", root, "--steps", "mission", "--resume", "--no-progress")
    rows = read_summary(root)
    assert {k: v["status"] for k, v in rows.items()} == {
        "acme": "up to date",
        "bad-data": "invalid",
        "broken": "done",
    }
    assert result.returncode == 1, result.stdout + result.stderr  # only validation fails now
    after = json.loads((root / "acme" / "reports" / "run.json").read_text())
    assert after["run_id"] == before["run_id"] == rows["acme"]["run_id"]
    assert len(list((root / "acme" / "runs").iterdir())) == 1
    assert (root / "broken" / "reports" / "index.html").is_file()


def test_batch_tells_which_client_had_a_half_done_promotion_repaired(tmp_path, make_small_client):
    root = tmp_path / "clients"
    acme = make_small_client(root / "acme", name="Acme")
    make_small_client(root / "beta", name="Beta")
    # Killed between promote's two renames: the old report moved aside, the new one staged.
    for name, marker in ((".reports.old.r0", "old report"), (".reports.r0", "r0 report")):
        (acme / name / "results").mkdir(parents=True)
        (acme / name / "index.html").write_text(marker)
    result = cx("batch", root, "--jobs", "2", "--steps", "mission", "--no-progress")
    assert result.returncode == 0, result.stdout + result.stderr
    repaired = "completed the interrupted promotion of .reports.r0"
    rows = read_summary(root)
    assert {k: (v["status"], v["note"], v["error"]) for k, v in rows.items()} == {
        "acme": ("done", repaired, ""),
        "beta": ("done", "", ""),
    }
    header, first, second = result.stdout.splitlines()[:3]
    assert header.split() == ["client", "status", "seconds", "step", "error", "note"]
    assert first.startswith("acme ") and first.endswith(f"  {repaired}")
    assert second.startswith("beta ") and second.split()[1] == "done"
    assert first.index(repaired) == header.index("note")
    assert f"<td>{repaired}</td>" in (root / "batch-summary.html").read_text()
    assert "r0 report" not in (acme / "reports" / "index.html").read_text(encoding="utf-8")
    assert_no_half_written_report(root)


def test_dask_local_cluster(tmp_path, make_small_client):
    root = tmp_path / "clients"
    make_small_client(root / "acme", name="Acme")
    make_small_client(root / "broken", name="Broken", column="no_such_column")
    result = batch.run_batch(
        batch.find_engagements(root), jobs=2, steps=["mission"], use_dask=True, progress=False
    )
    assert result.backend.startswith("dask-local tcp://127.0.0.1:")
    assert result.workers == 2
    assert [(r.client, r.status, r.step) for r in result.results] == [
        ("acme", "done", ""),
        ("broken", "failed", "mission"),
    ]
    assert (root / "acme" / "reports" / "index.html").is_file()
    assert Path(result.results[1].notebook).is_file()
    assert result.exit_code == 3


def start_batch(root: Path) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    return subprocess.Popen(
        [CX, "batch", str(root), "--jobs", "2", "--steps", "mission", "--no-progress"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,  # its own process group, like a terminal's foreground job
    )


def wait_for(condition, timeout=300.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError("timed out")


def test_ctrl_c_keeps_finished_reports_and_leaves_no_half_written_one(tmp_path, make_small_client):
    root = tmp_path / "clients"
    for i in range(4):
        make_small_client(root / f"client{i}", name=f"Client {i}")
    proc = start_batch(root)
    wait_for(lambda: list(root.glob("*/reports/run.json")))
    os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C reaches every process of the job
    out, err = proc.communicate(timeout=180)
    assert proc.returncode == 130, out + err
    rows = read_summary(root)
    statuses = {k: v["status"] for k, v in rows.items()}
    assert "done" in statuses.values()
    assert set(statuses.values()) <= {"done", "interrupted", "not run"}
    assert_no_half_written_report(root)
    for name, status in statuses.items():
        has_report = (root / name / "reports").exists()
        assert has_report == (status == "done"), name
        for run_json in (root / name / "runs").glob("*/run.json"):
            recorded = json.loads(run_json.read_text())["status"]
            assert recorded == ("done" if status == "done" else "interrupted"), name


def test_killed_worker_is_retried_and_reports_stay_whole(tmp_path, make_small_client):
    root = tmp_path / "clients"
    for i in range(3):
        make_small_client(root / f"client{i}", name=f"Client {i}")
    proc = start_batch(root)

    def worker_running_a_kernel():
        for child in psutil.Process(proc.pid).children(recursive=True):
            try:
                # An ordinary kernel, or the stand-in for one forked from the template.
                kernel = ("ipykernel", "kernel_shim")
                if any(k in part for part in child.cmdline() for k in kernel):
                    return child.parent()
            except psutil.Error:
                continue
        return None

    victim = wait_for(worker_running_a_kernel)
    victim.kill()
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, out + err
    rows = read_summary(root)
    assert {r["status"] for r in rows.values()} == {"done"}
    # The pool stops every worker when one dies: the killed client, and any other running
    # at that moment, start again.
    attempts = sorted(r["attempts"] for r in rows.values())
    assert attempts in (["1", "1", "2"], ["1", "2", "2"])
    assert "(attempt 2)" in err
    assert "leaked semaphore" not in err
    assert_no_half_written_report(root)
    for name, row in rows.items():  # a killed run's folder stays, for diagnosis
        runs = list((root / name / "runs").iterdir())
        assert 1 <= len(runs) <= int(row["attempts"])
        done = [r for r in runs if (r / "run.json").is_file()]
        assert [json.loads((r / "run.json").read_text())["status"] for r in done] == ["done"]
