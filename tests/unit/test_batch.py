"""Batch runs without kernels: discovery, resume planning, promotion repair, outcomes,
the summary files, worker set-up, and the cx batch command with the batch patched."""

import csv
import hashlib
import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from click.testing import CliRunner

from cxlib import __version__, batch, batch_exec, batch_resume, cli, run
from cxlib.batch_summary import (
    BatchResult,
    ClientResult,
    exit_code,
    format_summary,
    summary_csv,
    summary_html,
    write_summary,
)
from cxlib.errors import ConfigError, CxError, InputError, Problem, StepFailed

ENGAGEMENT = """\
client:
  name: "Acme"
waves:
  labels: ["2026Q1", "2026Q3"]
  baseline: "2026Q1"
inputs:
  customers:
    - file: inputs/customers.csv
  responses:
    - file: inputs/responses.csv
"""


def make_engagement(folder: Path) -> Path:
    (folder / "inputs").mkdir(parents=True)
    (folder / "engagement.yaml").write_text(ENGAGEMENT, encoding="utf-8")
    (folder / "inputs" / "customers.csv").write_text("customer_id\nC1\nC2\n", encoding="utf-8")
    (folder / "inputs" / "responses.csv").write_text(
        "response_id,customer_id,wave,nps\nR1,C1,2026Q3,9\n", encoding="utf-8"
    )
    return folder


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def recorded_fingerprints(folder: Path) -> dict[str, str]:
    """What run.json records: engagement.yaml, codeframe.yaml if any, every listed input."""
    names = ["engagement.yaml", "inputs/customers.csv", "inputs/responses.csv"]
    return {name: sha256(folder / name) for name in names}


@pytest.fixture
def two_steps(tmp_path, monkeypatch):
    """A kit with two playbooks, so that resume plans have an order to respect."""
    books = tmp_path / "playbooks"
    books.mkdir()
    for step in run.STEPS[:2]:
        (books / step.notebook).write_text("{}", encoding="utf-8")
    monkeypatch.setattr(run, "playbooks_dir", lambda: books)
    return [s.key for s in run.STEPS[:2]]


def record_run(folder: Path, run_id: str, steps, *, promote=True, status="done", **changes):
    """Write a run's run.json and results as run_engagement does, and promote it."""
    results = {s.key: s.results for s in run.STEPS}
    record = {
        "run_id": run_id,
        "status": status,
        "kit_version": __version__,
        "parameters": {"wave": "2026Q3", "steps": list(steps)},
        "fingerprints": recorded_fingerprints(folder),
        "steps": [{"step": key, "status": "done"} for key in steps],
        **changes,
    }
    run_dir = folder / "runs" / run_id
    (run_dir / "results").mkdir(parents=True)
    for key in steps:
        (run_dir / "results" / results[key]).write_text(json.dumps({"run": run_id}))
    (run_dir / "run.json").write_text(json.dumps(record))
    if promote and status == "done":
        reports = folder / "reports"
        (reports / "results").mkdir(parents=True, exist_ok=True)
        for key in steps:
            target = reports / "results" / results[key]
            target.write_bytes((run_dir / "results" / results[key]).read_bytes())
        (reports / "run.json").write_text(json.dumps(record))
    return record


# --------------------------------------------------------------------------- discovery


def test_find_engagements_in_a_folder(tmp_path):
    for name in ("beta", "acme", ".trash"):
        make_engagement(tmp_path / name)
    (tmp_path / "notes").mkdir()
    (tmp_path / "readme.txt").write_text("not a client")
    found = batch.find_engagements(tmp_path)
    assert found == [("acme", tmp_path / "acme"), ("beta", tmp_path / "beta")]


def test_find_engagements_in_a_list_file(tmp_path):
    make_engagement(tmp_path / "clients" / "acme")
    listing = tmp_path / "quarter.txt"
    text = "# Q3 clients\nclients/acme\n\n  clients/acme/  \nclients/missing\n"
    listing.write_text(text + f"{tmp_path / 'clients' / 'acme'}\n")
    found = batch.find_engagements(listing)
    # Relative to the list file; the folder listed three times runs once; a missing folder
    # stays in the batch (it will be reported invalid, not silently dropped).
    assert found == [
        ("clients/acme", tmp_path / "clients" / "acme"),
        ("clients/missing", tmp_path / "clients" / "missing"),
    ]


def test_find_engagements_refuses_one_engagement_and_empty_sources(tmp_path):
    make_engagement(tmp_path / "acme")
    with pytest.raises(CxError, match="is one engagement.*cx run"):
        batch.find_engagements(tmp_path / "acme")
    (tmp_path / "empty").mkdir()
    with pytest.raises(CxError, match="no engagement folders under"):
        batch.find_engagements(tmp_path / "empty")
    (tmp_path / "list.txt").write_text("# nothing yet\n")
    with pytest.raises(CxError, match="no engagement folders listed"):
        batch.find_engagements(tmp_path / "list.txt")
    with pytest.raises(CxError, match="neither"):
        batch.find_engagements(tmp_path / "nope")


# --------------------------------------------------------------------------- resume


def test_fingerprints_match_what_validation_records(tmp_path):
    from cxlib import ingest
    from cxlib.config import EngagementPaths, load_engagement

    folder = make_engagement(tmp_path / "acme")
    (folder / "codeframe.yaml").write_text("version: '1'\nthemes: [{name: price}]\n")
    (folder / "inputs" / "README.md").write_text("not an input")
    paths = EngagementPaths(folder)
    ours = batch_resume.input_fingerprints(paths, load_engagement(folder))
    assert ours == ingest.validate(folder).fingerprints
    assert ours == {**recorded_fingerprints(folder), "codeframe.yaml": sha256(paths.codeframe)}


def test_resume_skips_a_client_whose_report_is_current(tmp_path, two_steps):
    folder = make_engagement(tmp_path / "acme")
    record_run(folder, "20260101-000000-aaaaaa", two_steps)
    assert batch.plan_resume(folder) == []
    # A file in inputs/ that engagement.yaml does not list changes nothing.
    (folder / "inputs" / "notes.txt").write_text("call notes")
    assert batch.plan_resume(folder) == []


def test_resume_reruns_everything_when_an_input_changes(tmp_path, two_steps):
    folder = make_engagement(tmp_path / "acme")
    record_run(folder, "20260101-000000-aaaaaa", two_steps)
    with open(folder / "inputs" / "responses.csv", "a", encoding="utf-8") as fh:
        fh.write("R2,C2,2026Q3,3\n")
    assert batch.plan_resume(folder) == two_steps
    assert batch.plan_resume(folder, steps=[two_steps[1]]) == [two_steps[1]]


@pytest.mark.parametrize(
    "asked, changes",
    [
        ({"wave": "2026Q1"}, {}),
        ({"parameters": {"min_share": 0.2}}, {}),
        ({}, {"kit_version": "0.0.9"}),
        ({}, {"fingerprints": {"engagement.yaml": "0" * 64}}),
    ],
)
def test_resume_reruns_when_wave_parameters_or_kit_differ(tmp_path, two_steps, asked, changes):
    folder = make_engagement(tmp_path / "acme")
    record_run(folder, "20260101-000000-aaaaaa", two_steps, **changes)
    assert batch.plan_resume(folder, **asked) == two_steps


def test_resume_after_a_failed_run_restarts_at_the_first_missing_step(tmp_path, two_steps):
    folder = make_engagement(tmp_path / "acme")
    assert batch.plan_resume(folder) == two_steps  # never ran
    record_run(folder, "20260101-000000-aaaaaa", two_steps[:1])
    record_run(folder, "20260102-000000-bbbbbb", two_steps, status="failed")
    # The failed run was never promoted: only its first step's results are current.
    assert batch.plan_resume(folder) == two_steps[1:]


def test_resume_trusts_a_step_carried_over_from_an_earlier_run(tmp_path, two_steps):
    folder = make_engagement(tmp_path / "acme")
    record_run(folder, "20260101-000000-aaaaaa", two_steps)
    record_run(folder, "20260102-000000-bbbbbb", two_steps[1:])  # partial run, promoted
    promoted = json.loads((folder / "reports" / "run.json").read_text())
    assert [s["step"] for s in promoted["steps"]] == two_steps[1:]
    assert batch.plan_resume(folder) == []
    # The first step's file in reports/ must be the very one that earlier run wrote.
    first = folder / "reports" / "results" / run.STEPS[0].results
    first.write_text(json.dumps({"run": "someone else"}))
    assert batch.plan_resume(folder) == two_steps


def test_resume_reruns_a_carried_step_whose_run_is_gone(tmp_path, two_steps):
    import shutil

    folder = make_engagement(tmp_path / "acme")
    record_run(folder, "20260101-000000-aaaaaa", two_steps)
    record_run(folder, "20260102-000000-bbbbbb", two_steps[1:])
    shutil.rmtree(folder / "runs" / "20260101-000000-aaaaaa")
    assert batch.plan_resume(folder) == two_steps


def test_resume_of_an_unreadable_engagement_runs_it_to_report_the_problem(tmp_path, two_steps):
    folder = make_engagement(tmp_path / "acme")
    record_run(folder, "20260101-000000-aaaaaa", two_steps)
    (folder / "engagement.yaml").write_text("client: [")
    assert batch.plan_resume(folder) == two_steps


# --------------------------------------------------------------------------- promotion repair


def make_reports(folder: Path, marker: str) -> Path:
    folder.mkdir(parents=True)
    (folder / "index.html").write_text(marker)
    return folder


def test_recover_completes_a_promotion_cut_between_its_renames(tmp_path):
    make_reports(tmp_path / ".reports.old.r2", "old report")
    make_reports(tmp_path / ".reports.r2", "new report")
    done = batch.recover_promotion(tmp_path)
    assert (tmp_path / "reports" / "index.html").read_text() == "new report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["reports"]
    assert done == ["completed the interrupted promotion of .reports.r2"]


def test_recover_restores_the_old_report_when_nothing_newer_is_complete(tmp_path):
    make_reports(tmp_path / ".reports.old.r2", "old report")
    batch.recover_promotion(tmp_path)
    assert (tmp_path / "reports" / "index.html").read_text() == "old report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["reports"]


def test_recover_drops_leftovers_and_keeps_a_finished_report(tmp_path):
    make_reports(tmp_path / "reports", "current")
    make_reports(tmp_path / ".reports.old.r1", "older")
    make_reports(tmp_path / ".reports.r3", "half built")
    (tmp_path / ".reports.r3" / "index.html").unlink()
    done = batch.recover_promotion(tmp_path)
    assert (tmp_path / "reports" / "index.html").read_text() == "current"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["reports"]
    assert len(done) == 2
    assert batch.recover_promotion(tmp_path) == []
    assert batch.recover_promotion(tmp_path / "missing") == []


# --------------------------------------------------------------------------- one client


@pytest.fixture
def fake_run(monkeypatch):
    calls = []

    def install(outcome):
        def fake(folder, **kwargs):
            calls.append((Path(folder), kwargs))
            if isinstance(outcome, BaseException):
                raise outcome
            return run.RunRecord(
                run_id=kwargs["run_id"],
                engagement=str(folder),
                status="done",
                steps=[{"step": "mission", "status": "done", "seconds": 1.0}],
                report=str(Path(folder) / "reports" / "index.html"),
            )

        monkeypatch.setattr(run, "run_engagement", fake)
        return calls

    return install


def test_run_client_done(tmp_path, fake_run):
    calls = fake_run(None)
    result = batch.run_client(tmp_path, label="acme", steps=["mission"], cell_timeout=30)
    assert (result.client, result.status, result.steps_run) == ("acme", "done", ("mission",))
    assert result.report == str(tmp_path / "reports" / "index.html")
    ((folder, kwargs),) = calls
    assert folder == tmp_path
    assert kwargs["steps"] == ["mission"] and kwargs["cell_timeout"] == 30
    assert kwargs["progress"] is False
    assert kwargs["run_id"] == result.run_id


@pytest.mark.parametrize(
    "exc, status, step, error",
    [
        (
            StepFailed("voc", "/r/04.ipynb", 7, "KeyError: 'nps'\n  more"),
            "failed",
            "voc",
            "KeyError: 'nps' more",
        ),
        (
            InputError([Problem("inputs/a.csv", 3, "nps", "0 to 10", "11")] * 3),
            "invalid",
            "",
            "3 problem(s) in the inputs: inputs/a.csv, row 3, column 'nps': expected 0 to 10; "
            "found 11 (and 2 more)",
        ),
        (
            ConfigError([Problem("engagement.yaml", 2, "waves", "this setting", "nothing")]),
            "invalid",
            "",
            "1 problem(s) in the configuration: engagement.yaml, row 2, column 'waves': "
            "expected this setting; found nothing",
        ),
        (CxError("wave '2030Q1' is not in waves.labels"), "invalid", "", "wave '2030Q1' is"),
        (RuntimeError("kernel died"), "error", "", "RuntimeError: kernel died"),
        (KeyboardInterrupt(), "interrupted", "", "stopped by the user"),
    ],
)
def test_run_client_turns_every_failure_into_a_result(
    tmp_path, fake_run, exc, status, step, error
):
    fake_run(exc)
    result = batch.run_client(tmp_path)
    assert result.status == status
    assert result.step == step
    assert result.error.startswith(error)
    assert result.client == tmp_path.name
    if status == "failed":
        assert result.notebook == "/r/04.ipynb"


def test_run_client_repairs_an_interrupted_promotion_first(tmp_path, fake_run):
    fake_run(None)
    make_reports(tmp_path / ".reports.old.r1", "previous")
    result = batch.run_client(tmp_path)
    assert (tmp_path / "reports" / "index.html").read_text() == "previous"
    assert result.status == "done"
    assert result.note == "restored the previous report from .reports.old.r1"


@pytest.mark.parametrize(
    "outcome, status",
    [
        (None, "done"),
        (StepFailed("voc", "/r/04.ipynb", 7, "KeyError: 'nps'"), "failed"),
        (InputError([Problem("inputs/a.csv", 3, "nps", "0 to 10", "11")]), "invalid"),
        (KeyboardInterrupt(), "interrupted"),
    ],
)
def test_run_client_notes_the_repair_whatever_the_outcome(tmp_path, fake_run, outcome, status):
    fake_run(outcome)
    # Killed between the promotion's two renames, plus an unfinished staging folder.
    make_reports(tmp_path / ".reports.old.r1", "old report")
    make_reports(tmp_path / ".reports.r1", "new report")
    make_reports(tmp_path / ".reports.r2", "half built")
    (tmp_path / ".reports.r2" / "index.html").unlink()
    result = batch.run_client(tmp_path, label="acme")
    assert (result.client, result.status) == ("acme", status)
    assert result.note == (
        "completed the interrupted promotion of .reports.r1; "
        "removed unfinished staging folder .reports.r2"
    )
    assert (tmp_path / "reports" / "index.html").read_text() == "new report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["reports"]


def test_run_client_without_leftovers_has_no_note(tmp_path, fake_run, two_steps):
    fake_run(None)
    assert batch.run_client(tmp_path).note == ""
    folder = make_engagement(tmp_path / "acme")
    record_run(folder, "20260101-000000-aaaaaa", two_steps)
    assert batch.run_client(folder, resume=True).note == ""


def test_run_client_resume(tmp_path, fake_run, two_steps):
    folder = make_engagement(tmp_path / "acme")
    calls = fake_run(None)
    record_run(folder, "20260101-000000-aaaaaa", two_steps)
    result = batch.run_client(folder, resume=True)
    assert (result.status, result.run_id, calls) == ("up to date", "20260101-000000-aaaaaa", [])
    # Only the stale tail runs; with every step stale and none asked for, a full run.
    (folder / "reports" / "results" / run.STEPS[1].results).unlink()
    batch.run_client(folder, resume=True)
    (folder / "inputs" / "customers.csv").write_text("customer_id\nC9\n")
    batch.run_client(folder, resume=True)
    batch.run_client(folder, resume=True, steps=two_steps)
    assert [kwargs["steps"] for _, kwargs in calls] == [two_steps[1:], None, two_steps]


# --------------------------------------------------------------------------- the batch


def test_run_batch_checks_names_before_any_work(tmp_path, monkeypatch):
    monkeypatch.setattr(batch_exec, "execute", lambda *a, **k: pytest.fail("must not run"))
    with pytest.raises(CxError, match="unknown step 'nope'"):
        batch.run_batch([tmp_path], steps=["nope"])
    with pytest.raises(CxError, match="unknown parameter 'no_such'"):
        batch.run_batch([tmp_path], parameters={"no_such": 1})
    with pytest.raises(CxError, match="set by the runner"):
        batch.run_batch([tmp_path], parameters={"wave": "x"})
    with pytest.raises(CxError, match="at least 1"):
        batch.run_batch([tmp_path], jobs=0)


def test_run_batch_hands_clients_to_the_backend(tmp_path, monkeypatch):
    seen = {}

    def fake_execute(clients, options, **kwargs):
        seen.update(clients=clients, options=options, **kwargs)
        return BatchResult()

    monkeypatch.setattr(batch_exec, "execute", fake_execute)
    batch.run_batch([tmp_path / "a", ("Beta", tmp_path / "b")], jobs=8, steps=["mission"])
    assert seen["clients"] == [("a", tmp_path / "a"), ("Beta", tmp_path / "b")]
    assert seen["jobs"] == 2  # never more workers than clients
    assert seen["options"] == {
        "steps": ["mission"],
        "wave": None,
        "parameters": None,
        "resume": False,
        "cell_timeout": 600,
    }
    assert seen["use_dask"] is False
    batch.run_batch([tmp_path / "a"], scheduler="tcp://10.0.0.5:8786", resume=True)
    assert seen["use_dask"] is True and seen["scheduler"] == "tcp://10.0.0.5:8786"
    assert seen["options"]["resume"] is True


# --------------------------------------------------------------------------- outcomes


def result(status, client="c", **kw):
    return ClientResult(client, f"/x/{client}", status, **kw)


@pytest.mark.parametrize(
    "statuses, expected",
    [
        (["done", "up to date"], 0),
        (["done", "invalid"], 1),
        (["invalid", "invalid"], 1),
        (["invalid", "failed"], 3),
        (["done", "error"], 3),
        (["done", "crashed"], 3),
        (["done", "not run"], 3),
        ([], 0),
    ],
)
def test_exit_codes(statuses, expected):
    results = [result(s) for s in statuses]
    assert exit_code(results) == expected
    assert BatchResult(results).exit_code == expected
    assert exit_code(results, interrupted=True) == 130


def test_summary_csv_neutralises_formulas_and_keeps_numbers():
    results = [
        result("failed", client='=HYPERLINK("http://x")', seconds=12.5, step="voc", error="+1"),
        result("invalid", client="@SUM(A1)", error="-2 rows"),
        result("done", client="Acme, Inc.", seconds=3.0, steps_run=("mission", "voc")),
    ]
    rows = list(csv.DictReader(io.StringIO(summary_csv(results))))
    assert [r["client"] for r in rows] == ['\'=HYPERLINK("http://x")', "'@SUM(A1)", "Acme, Inc."]
    assert [r["error"] for r in rows] == ["'+1", "'-2 rows", ""]
    assert [r["seconds"] for r in rows] == ["12.5", "0.0", "3.0"]
    assert rows[2]["steps_run"] == "mission voc"
    assert list(rows[0]) == [
        "client",
        "status",
        "seconds",
        "step",
        "error",
        "steps_run",
        "run_id",
        "notebook",
        "report",
        "attempts",
        "path",
        "note",
    ]


REPAIRED = "completed the interrupted promotion of .reports.r1"


def test_summary_files_carry_the_note_in_its_own_column(tmp_path):
    results = [
        result("done", client="acme", seconds=2.0, note=REPAIRED),
        result("failed", client="beta", step="voc", error="KeyError: 'nps'"),
        result("invalid", client="gamma", error="1 problem(s)", note="-removed <b>"),
    ]
    rows = list(csv.DictReader(io.StringIO(summary_csv(results))))
    assert [r["note"] for r in rows] == [REPAIRED, "", "'-removed <b>"]
    assert [r["error"] for r in rows] == ["", "KeyError: 'nps'", "1 problem(s)"]
    assert [r["status"] for r in rows] == ["done", "failed", "invalid"]
    page = summary_html(BatchResult(results, seconds=3.0), relative_to=tmp_path)
    assert "<th>Error</th><th>Note</th><th>Links</th>" in page
    assert f"<td></td><td>{REPAIRED}</td><td>" in page
    assert "<td>KeyError: &#x27;nps&#x27;</td><td></td><td>" in page
    assert "<td>-removed &lt;b&gt;</td>" in page


def test_format_summary_shows_notes_only_when_a_client_has_one():
    plain = BatchResult([result("done", client="acme", seconds=1.0)], seconds=1.0)
    assert format_summary(plain).splitlines()[0].split() == [
        "client", "status", "seconds", "step", "error"
    ]  # fmt: skip
    noted = BatchResult(
        [
            result("done", client="acme", seconds=1.0, note=REPAIRED),
            result("failed", client="beta", seconds=2.0, step="voc", error="KeyError"),
        ],
        seconds=3.0,
    )
    lines = format_summary(noted, width=30).splitlines()
    assert lines[0].split() == ["client", "status", "seconds", "step", "error", "note"]
    assert lines[1].split() == ["acme", "done", "1.0", "completed", "the", "interrupted", "pro…"]
    assert lines[1].index("completed") == lines[0].index("note")
    assert lines[2].split() == ["beta", "failed", "2.0", "voc", "KeyError"]
    assert lines[3] == "2 client(s) in 3.0 s: 1 done, 1 failed"


def test_summary_html_escapes_client_text(tmp_path):
    results = [
        result("failed", client="<script>alert(1)</script>", error="KeyError: '<b>'"),
        result("done", client="A&B", report=str(tmp_path / "ab" / "reports" / "index.html")),
    ]
    page = summary_html(BatchResult(results, seconds=3.0), relative_to=tmp_path)
    assert "<script>" not in page and "<b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "KeyError: &#x27;&lt;b&gt;&#x27;" in page
    assert "A&amp;B" in page
    assert '<a href="ab/reports/index.html">report</a>' in page
    assert "http" not in page  # nothing loaded from anywhere


def test_write_summary_writes_both_files(tmp_path):
    res = BatchResult([result("done", client="acme", seconds=1.25)], seconds=2.0, workers=2)
    csv_path, html_path = write_summary(res, tmp_path / "out")
    assert csv_path.read_text().splitlines()[1].startswith("acme,done,1.25,")
    assert "1 client(s) (1 done) in 2.0 s on processes with 2 worker(s)" in html_path.read_text()
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "batch-summary.csv",
        "batch-summary.html",
    ]


def test_format_summary_cuts_long_errors():
    res = BatchResult(
        [result("failed", client="acme", seconds=61.04, step="voc", error="x" * 80)], seconds=62
    )
    lines = format_summary(res, width=20).splitlines()
    assert lines[0].split() == ["client", "status", "seconds", "step", "error"]
    assert lines[1].split() == ["acme", "failed", "61.0", "voc", "x" * 19 + "…"]
    assert lines[2] == "1 client(s) in 62.0 s: 1 failed"


# --------------------------------------------------------------------------- workers


def _string_formats(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "format" and isinstance(value, str):
                yield value
            yield from _string_formats(value)
    elif isinstance(node, list):
        for value in node:
            yield from _string_formats(value)


def test_notebook_schemas_use_no_string_formats():
    # Why skipping rfc3987-syntax in workers changes no notebook validation: the only
    # formats it serves (iri, iri-reference) never occur in nbformat's schemas.
    import nbformat

    schemas = sorted((Path(nbformat.__file__).parent).rglob("*.schema.json"))
    assert len(schemas) >= 5
    for schema in schemas:
        assert list(_string_formats(json.loads(schema.read_text()))) == [], schema.name


def test_prepared_worker_skips_rfc3987_and_still_rejects_bad_notebooks():
    code = """
import sys
import time
from cxlib.batch_exec import prepare_worker
seconds = prepare_worker(filter_stderr=False)
import nbformat
nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1")])
nbformat.validate(nb)
nb.cells[0]["outputs"] = [{"output_type": "no such type"}]
try:
    nbformat.validate(nb)
    print("accepted")
except nbformat.ValidationError:
    print("rejected")
print("rfc3987_syntax" in sys.modules and sys.modules["rfc3987_syntax"] is not None)
print("papermill" in sys.modules, seconds > 0)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["rejected", "False", "True", "True"]


def test_stderr_filter_drops_only_the_kernel_tcp_warning():
    code = """
import os, subprocess, sys, time
from cxlib.batch_exec import _filter_stderr
_filter_stderr()
os.write(2, b"[IPKernelApp] WARNING | Kernel is running over TCP without encryption. x\\n")
os.write(2, b"a real problem\\n")
child = "import sys; sys.stderr.write('Kernel is running over TCP without encryption\\\\n"
child += "child\\\\n')"
subprocess.run([sys.executable, "-c", child])
time.sleep(0.3)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stderr.splitlines() == ["a real problem", "child"]


def test_worker_interrupt_only_stops_a_running_client(monkeypatch):
    monkeypatch.setattr(batch_exec, "_INTERRUPTED", False)
    monkeypatch.setattr(batch_exec, "_BUSY", False)
    batch_exec._interrupt_once(2, None)  # idle: a terminal Ctrl-C must not kill the worker
    monkeypatch.setattr(batch_exec, "_BUSY", True)
    with pytest.raises(KeyboardInterrupt):
        batch_exec._interrupt_once(2, None)
    batch_exec._interrupt_once(2, None)  # the run is cleaning up: leave it be


def test_status_lines_go_to_the_log_without_a_bar():
    lines = []
    bar = batch_exec._Progress(2, False, lines.append)
    bar.started("acme")
    bar.started("acme", attempt=2)
    bar.finished(result("failed", client="acme", seconds=4.25, step="voc", error="KeyError"))
    note = "completed the interrupted promotion of .reports.r0"
    bar.finished(result("done", client="beta", seconds=2.0, note=note))
    bar.close()
    assert [line.split() for line in lines] == [
        ["started", "acme"],
        ["started", "acme", "(attempt", "2)"],
        ["failed", "acme", "4.2", "s", "step", "voc", "KeyError"],
        ["done", "beta", "2.0", "s", "note:", "completed", "the", "interrupted", "promotion"]
        + ["of", ".reports.r0"],
    ]


# --------------------------------------------------------------------------- cx batch


@pytest.fixture
def batch_calls(monkeypatch):
    seen = []

    def fake(clients, **kwargs):
        seen.append((clients, kwargs))
        results = [
            ClientResult(label, str(folder), "done", 2.0, steps_run=("mission",))
            for label, folder in clients
        ]
        results[-1] = ClientResult(clients[-1][0], str(clients[-1][1]), kwargs.pop("_status"))
        return BatchResult(results, seconds=5.0)

    def install(status="done"):
        monkeypatch.setattr(batch, "run_batch", lambda c, **k: fake(c, **k, _status=status))
        return seen

    return install


def test_batch_command_passes_options_and_writes_the_summary(tmp_path, batch_calls):
    seen = batch_calls()
    for name in ("acme", "beta"):
        make_engagement(tmp_path / name)
    args = ["batch", str(tmp_path), "--jobs", "2", "--steps", "mission,voc", "--step", "kpi"]
    args += ["--resume", "--wave", "2026Q3", "-p", "label", "007", "--dask", "--no-progress"]
    result = CliRunner().invoke(cli.cli, args + ["--cell-timeout", "90"])
    assert result.exit_code == 0, result.output
    ((clients, kwargs),) = seen
    assert clients == [("acme", tmp_path / "acme"), ("beta", tmp_path / "beta")]
    assert kwargs["jobs"] == 2 and kwargs["steps"] == ["mission", "voc", "kpi"]
    assert kwargs["resume"] is True and kwargs["use_dask"] is True
    assert kwargs["wave"] == "2026Q3" and kwargs["parameters"] == {"label": "007"}
    assert kwargs["cell_timeout"] == 90 and kwargs["progress"] is False
    assert kwargs["scheduler"] is None
    assert "2 client(s) in 5.0 s: 2 done" in result.output
    assert (tmp_path / "batch-summary.csv").is_file()
    assert (tmp_path / "batch-summary.html").is_file()


@pytest.mark.parametrize("status, code", [("invalid", 1), ("failed", 3), ("crashed", 3)])
def test_batch_command_exit_codes(tmp_path, batch_calls, status, code):
    batch_calls(status)
    make_engagement(tmp_path / "clients" / "acme")
    listing = tmp_path / "list.txt"
    listing.write_text("clients/acme\n")
    out = tmp_path / "summaries"
    result = CliRunner().invoke(cli.cli, ["batch", str(listing), "--summary", str(out)])
    assert result.exit_code == code, result.output
    assert f"clients/acme  {status}" in result.output
    assert (out / "batch-summary.csv").read_text().splitlines()[1].startswith("clients/acme,")


def test_batch_command_usage_errors(tmp_path, batch_calls):
    seen = batch_calls()
    make_engagement(tmp_path / "acme")
    runner = CliRunner()
    result = runner.invoke(
        cli.cli, ["batch", str(tmp_path), "--scheduler", "tcp://h:1", "-j", "2"]
    )
    assert result.exit_code == 2
    result = runner.invoke(cli.cli, ["batch", str(tmp_path / "acme")])
    assert result.exit_code == 1
    assert "is one engagement" in result.output
    assert not seen
    result = runner.invoke(cli.cli, ["batch", "--help"])
    assert "Example: cx batch" in result.output


def test_worker_ends_kernels_that_outlive_their_client():
    code = """
import subprocess, sys, time
from cxlib.batch_exec import _end_leftover_kernels
sleeper = [sys.executable, "-c", "import time; time.sleep(60)"]
kernel = subprocess.Popen(sleeper + ["-m", "ipykernel_launcher"])
other = subprocess.Popen(sleeper)
time.sleep(0.3)
print(_end_leftover_kernels("acme"))
print(kernel.wait(timeout=10), other.poll())
other.kill()
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["1", "-9", "None"]
    assert "ended 1 kernel(s) left running after acme" in out.stderr


def test_ctrl_c_after_the_promotion_still_counts_as_done(tmp_path, monkeypatch):
    def promoted_then_interrupted(folder, **kwargs):
        reports = Path(folder) / "reports"
        reports.mkdir()
        record = {"run_id": kwargs["run_id"], "status": "done"}
        (reports / "run.json").write_text(json.dumps(record))
        raise KeyboardInterrupt  # e.g. while the last kernels shut down

    monkeypatch.setattr(run, "run_engagement", promoted_then_interrupted)
    result = batch.run_client(tmp_path)
    assert (result.status, result.error) == ("done", "")
    assert result.report == str(tmp_path / "reports" / "index.html")
    # A report promoted by an earlier run does not make an interrupted run done.
    (tmp_path / "reports" / "run.json").write_text(json.dumps({"run_id": "old", "status": "done"}))
    monkeypatch.setattr(run, "run_engagement", _raise_interrupt)
    assert batch.run_client(tmp_path).status == "interrupted"


def _raise_interrupt(*_args, **_kwargs):
    raise KeyboardInterrupt


def test_worker_ends_a_forked_kernel_left_running(tmp_path):
    code = f"""
import time
import psutil
from cxlib.batch_exec import _end_leftover_kernels
from cxlib.kernels import WarmKernels
kernels = WarmKernels({str(tmp_path)!r}, warmup="import json\\n")
km = kernels.take()  # forked from the template, never released
kc = km.client(); kc.start_channels(); kc.wait_for_ready(timeout=30)
pid = kc.execute_interactive("import os; print(os.getpid())", timeout=30,
    output_hook=lambda m: print("pid", m["content"].get("text", "").strip()))
kc.stop_channels()
print(km.kernel_name, _end_leftover_kernels("acme"))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.split("\n")
    pid = int(next(line for line in lines if line.startswith("pid ") and line[4:]).split()[1])
    assert "cx-forked-python3 1" in lines
    deadline = time.monotonic() + 10
    while psutil.pid_exists(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not psutil.pid_exists(pid)


def test_threads_are_shared_out_between_workers(monkeypatch):
    four_cores = {0, 1, 2, 3}
    monkeypatch.setattr(batch_exec.os, "sched_getaffinity", lambda pid: four_cores, raising=False)
    assert [batch_exec.threads_per_worker(j) for j in (1, 2, 3, 4, 8)] == [4, 2, 1, 1, 1]


def test_a_workers_kernels_use_the_threads_it_was_given(tmp_path):
    code = f"""
import os
from cxlib.batch_exec import prepare_worker
from cxlib.kernels import WarmKernels
prepare_worker(filter_stderr=False, threads=1)
kernels = WarmKernels({str(tmp_path)!r}, warmup="import numpy\\n")
km = kernels.take()
kc = km.client(); kc.start_channels(); kc.wait_for_ready(timeout=30)
probe = ("import os, threadpoolctl, numpy; "
         "print('blas', {{i['num_threads'] for i in threadpoolctl.threadpool_info()}}, "
         "os.environ['OMP_NUM_THREADS'])")
show = lambda m: print(m["content"].get("text", ""))
kc.execute_interactive(probe, timeout=30, output_hook=show)
kc.stop_channels()
kernels.release(km)
kernels.close()
"""
    env = {**os.environ, "OMP_NUM_THREADS": "3"}  # set by the user: kept
    env.pop("OPENBLAS_NUM_THREADS", None)
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env
    )
    assert out.returncode == 0, out.stderr
    assert "blas {1} 3" in out.stdout


def test_ctrl_c_during_a_submission_is_held_back_until_it_is_recorded():
    import signal as signals

    recorded = []
    with pytest.raises(KeyboardInterrupt):
        with batch_exec._sigint_deferred():
            os.kill(os.getpid(), signals.SIGINT)
            time.sleep(0.05)  # the handler has run by now: it only took note
            recorded.append("submitted and recorded")
    assert recorded == ["submitted and recorded"]
    assert signals.getsignal(signals.SIGINT) is signals.default_int_handler


def test_local_dask_workers_get_thread_limits_no_malloc_trim_and_light_housekeeping(monkeypatch):
    import dask
    import distributed

    seen = {}

    class Stop(Exception):
        pass

    def fake_cluster(**kwargs):
        seen["environ"] = dask.config.get("distributed.nanny.pre-spawn-environ")
        seen["settings"] = {k: dask.config.get(k) for k in batch_exec.LOCAL_DASK_SETTINGS}
        seen["kwargs"] = kwargs
        raise Stop

    monkeypatch.setattr(distributed, "LocalCluster", fake_cluster)
    monkeypatch.setattr(batch_exec, "threads_per_worker", lambda jobs: 4 // jobs)
    with pytest.raises(Stop):
        batch_exec._run_dask([], {}, [], None, jobs=2, scheduler=None)
    assert seen["environ"] == {name: "2" for name in batch_exec.THREAD_VARIABLES}
    assert seen["kwargs"]["host"] == "127.0.0.1" and seen["kwargs"]["threads_per_worker"] == 1
    assert seen["settings"] == batch_exec.LOCAL_DASK_SETTINGS
    assert seen["settings"]["distributed.worker.profile.enabled"] is False
    assert seen["kwargs"]["dashboard_address"] is None
    # Dask's own defaults are back once the cluster is made.
    assert "MALLOC_TRIM_THRESHOLD_" in dask.config.get("distributed.nanny.pre-spawn-environ")
