"""The runner without kernels: what happens before the first playbook executes.

``WarmKernels`` is replaced by a recording fake and ``_execute`` by a stub, so these tests
check the order of the runner's work (repair, validate, warm, ingest) in well under a second
each, apart from papermill's import when it reads a playbook's parameters.
"""

import functools
import json
import subprocess
import sys
from pathlib import Path

import pytest

from cxlib import run
from cxlib.batch_resume import recover_promotion
from cxlib.context import RESULTS_LOG_ENV
from cxlib.errors import InputError, StepFailed


@pytest.fixture
def make_engagement(make_small_client):
    """Build an engagement of two customers, one response each and no strategy section.

    ``bad_row=True`` adds a customer whose churned value is not a bool.
    """
    return functools.partial(make_small_client, customers=2, strategy=False)


class RecordingKernels:
    """Stands in for WarmKernels: records each call, starts nothing."""

    made: list["RecordingKernels"] = []

    def __init__(self, cwd, **kwargs):
        self.cwd, self.kwargs, self.calls = cwd, kwargs, []
        RecordingKernels.made.append(self)

    def prepare(self):
        self.calls.append("prepare")

    def take(self):
        self.calls.append("take")

    def release(self, km):
        self.calls.append("release")

    def close(self):
        self.calls.append("close")


@pytest.fixture
def kernels(monkeypatch):
    RecordingKernels.made = []
    monkeypatch.setattr(run, "WarmKernels", RecordingKernels)
    return RecordingKernels.made


def test_invalid_inputs_fail_before_any_kernel_is_started(tmp_path, make_engagement, kernels):
    folder = make_engagement(tmp_path / "acme", bad_row=True)
    with pytest.raises(InputError, match="'perhaps'"):
        run.run_engagement(folder, steps=["mission"], run_id="r1", progress=False)
    assert kernels == []
    record = json.loads((folder / "runs" / "r1" / "run.json").read_text())
    assert record["status"] == "failed" and "'perhaps'" in record["error"]
    assert not (folder / "runs" / "r1" / "kernels.log").exists()


def test_a_valid_run_warms_its_first_kernel_while_ingest_writes(
    tmp_path, make_engagement, kernels, monkeypatch
):
    folder = make_engagement(tmp_path / "acme")
    clean = folder / "runs" / "r1" / "clean"
    written_at_prepare = []
    prepare = RecordingKernels.prepare

    def recording_prepare(self):
        written_at_prepare.append(sorted(p.name for p in clean.glob("*.parquet")))
        prepare(self)

    def stop_at_first_step(step, run_paths, parameters, timeout, kernels, warm_next, inflight):
        kernels.take()
        raise StepFailed(step.key, "notebook.ipynb", None, "stopped here")

    monkeypatch.setattr(RecordingKernels, "prepare", recording_prepare)
    monkeypatch.setattr(run, "_execute", stop_at_first_step)
    with pytest.raises(StepFailed, match="stopped here"):
        run.run_engagement(folder, steps=["mission"], run_id="r1", progress=False)
    (made,) = kernels
    assert made.cwd == run.playbooks_dir()
    assert made.kwargs == {
        "log_path": folder / "runs" / "r1" / "kernels.log",
        "env": {RESULTS_LOG_ENV: str(folder.resolve() / "runs" / "r1" / "results_log")},
        "spares": 1,
    }
    assert made.calls == ["prepare", "take", "close"]
    # Started after validation, before the clean tables were written.
    assert written_at_prepare == [[]]
    assert sorted(p.name for p in clean.glob("*.parquet")) == [
        "customers.parquet",
        "responses.parquet",
    ]


def make_reports(folder: Path, marker: str) -> Path:
    folder.mkdir(parents=True)
    (folder / "index.html").write_text(marker, encoding="utf-8")
    return folder


def test_a_run_completes_a_promotion_cut_between_its_renames(
    tmp_path, make_engagement, kernels, caplog
):
    folder = make_engagement(tmp_path / "acme", bad_row=True)
    make_reports(folder / ".reports.old.r0", "old report")
    make_reports(folder / ".reports.r0", "new report")
    with pytest.raises(InputError):
        run.run_engagement(folder, steps=["mission"], run_id="r1", progress=False)
    assert (folder / "reports" / "index.html").read_text() == "new report"
    assert not list(folder.glob(".reports*"))
    (line,) = [r.getMessage() for r in caplog.records if r.name == "cxlib.run"]
    assert line == (
        f"{folder.resolve() / 'reports'}: completed the interrupted promotion of .reports.r0"
    )


def test_a_run_promotes_over_a_repaired_report(
    tmp_path, make_engagement, kernels, monkeypatch, caplog
):
    folder = make_engagement(tmp_path / "acme")
    make_reports(folder / "reports", "current")
    make_reports(folder / ".reports.old.r0", "older")
    make_reports(folder / ".reports.r2", "half built")
    _fake_steps(monkeypatch)
    record = run.run_engagement(folder, steps=["mission"], run_id="r1", progress=False)
    assert record.status == "done"
    reports = folder / "reports"
    assert (reports / "index.html").read_text() == "report of r1"
    assert (reports / "results" / "strategy.json").is_file()
    assert json.loads((reports / "run.json").read_text())["run_id"] == "r1"
    assert not list(folder.glob(".reports*"))
    (line,) = [r.getMessage() for r in caplog.records if r.name == "cxlib.run"]
    assert line.endswith(
        "removed .reports.old.r0 left by an interrupted promotion; "
        "removed unfinished staging folder .reports.r2"
    )


def test_a_run_with_nothing_to_repair_says_nothing(tmp_path, make_engagement, kernels, caplog):
    folder = make_engagement(tmp_path / "acme", bad_row=True)
    with pytest.raises(InputError):
        run.run_engagement(folder, steps=["mission"], run_id="r1", progress=False)
    assert [r for r in caplog.records if r.name == "cxlib.run"] == []


def test_a_repair_leaves_alone_a_promotion_another_process_is_making(tmp_path, make_engagement):
    folder = make_engagement(tmp_path / "acme")
    make_reports(folder / ".reports.r9", "being copied by another run")
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(folder / "runs")],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline() == "held\n"
        assert recover_promotion(folder) == []
        assert (folder / ".reports.r9" / "index.html").is_file()
    finally:
        holder.kill()
        holder.wait()
    # Once the other run has gone, its leftover is cleaned up as usual.
    assert recover_promotion(folder) == ["removed unfinished staging folder .reports.r9"]


HOLD_LOCK = """
import sys, time
from pathlib import Path
from cxlib.batch_resume import promotion_lock
with promotion_lock(Path(sys.argv[1])) as held:
    print("held" if held else "not held", flush=True)
    time.sleep(60)
"""


def _fake_steps(monkeypatch):
    def execute(step, run_paths, parameters, timeout, kernels, warm_next, inflight):
        run_paths.results.mkdir(parents=True, exist_ok=True)
        (run_paths.results / step.results).write_text('{"headline": "h"}', encoding="utf-8")

    def render(steps, run_paths, record, paths, config):
        make_reports(run_paths.html, f"report of {record.run_id}")

    monkeypatch.setattr(run, "_execute", execute)
    monkeypatch.setattr(run, "_render", render)


def test_ctrl_c_during_the_promotion_waits_for_it_to_finish(
    tmp_path, make_engagement, kernels, monkeypatch
):
    import os
    import signal

    folder = make_engagement(tmp_path / "acme")
    make_reports(folder / "reports", "previous")
    _fake_steps(monkeypatch)
    real_copy = run.shutil.copytree

    def copy_then_ctrl_c(*args, **kwargs):
        out = real_copy(*args, **kwargs)
        os.kill(os.getpid(), signal.SIGINT)  # arrives half-way through building the staging
        return out

    monkeypatch.setattr(run.shutil, "copytree", copy_then_ctrl_c)
    with pytest.raises(KeyboardInterrupt):
        run.run_engagement(folder, steps=None, run_id="r1", progress=False)
    assert (folder / "reports" / "index.html").read_text() == "report of r1"
    assert not list(folder.glob(".reports*"))
    assert json.loads((folder / "runs" / "r1" / "run.json").read_text())["status"] == "done"
    assert json.loads((folder / "reports" / "run.json").read_text())["run_id"] == "r1"


def test_a_failed_promotion_leaves_the_previous_report_and_no_staging(
    tmp_path, make_engagement, kernels, monkeypatch
):
    folder = make_engagement(tmp_path / "acme")
    make_reports(folder / "reports", "previous")
    _fake_steps(monkeypatch)

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(run.shutil, "copy2", disk_full)
    with pytest.raises(OSError, match="No space left"):
        run.run_engagement(folder, steps=None, run_id="r1", progress=False)
    assert (folder / "reports" / "index.html").read_text() == "previous"
    assert not list(folder.glob(".reports*"))
    assert json.loads((folder / "runs" / "r1" / "run.json").read_text())["status"] == "failed"
