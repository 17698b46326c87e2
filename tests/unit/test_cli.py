"""The cx command: parsing and exit codes, with the run function patched."""

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from cxlib import cli, run
from cxlib.errors import ConfigError, CxError, Problem, StepFailed


@pytest.fixture
def runner():
    return CliRunner()


@pytest.fixture
def calls(monkeypatch):
    seen = []

    def fake(folder, **kwargs):
        seen.append((Path(folder), kwargs))
        return run.RunRecord(
            run_id="r1",
            engagement=str(folder),
            status="done",
            steps=[{"step": "mission", "status": "done", "seconds": 1.5}],
            timings={"total": 2.0},
            report="/x/reports/index.html",
        )

    monkeypatch.setattr(run, "run_engagement", fake)
    return seen


def test_version(runner):
    result = runner.invoke(cli.cli, ["--version"])
    assert result.exit_code == 0
    assert result.output.startswith("cx 0.1.0 from ")
    assert "Python 3." in result.output


@pytest.mark.parametrize("command", ["new", "validate", "run", "demo"])
def test_every_command_has_help_with_an_example(runner, command):
    result = runner.invoke(cli.cli, [command, "--help"])
    assert result.exit_code == 0
    assert "Example: cx " in result.output


def test_run_passes_options_through(runner, calls, tmp_path):
    args = ["run", str(tmp_path), "--step", "voc", "--step", "mission", "--wave", "2026Q3"]
    args += ["-p", "min_share", "0.25", "-p", "label", "007", "--no-progress"]
    result = runner.invoke(cli.cli, args)
    assert result.exit_code == 0, result.output
    ((folder, kwargs),) = calls
    assert folder == tmp_path
    assert kwargs["steps"] == ["voc", "mission"]
    assert kwargs["wave"] == "2026Q3"
    # Numbers become numbers; labels that YAML or -p would mangle stay text.
    assert kwargs["parameters"] == {"min_share": 0.25, "label": "007"}
    assert kwargs["progress"] is False
    assert "Report: /x/reports/index.html" in result.output


def test_run_jobs_sets_playbooks_side_by_side(runner, calls, tmp_path, monkeypatch):
    monkeypatch.setattr(run, "default_parallel_steps", lambda: 2)
    assert runner.invoke(cli.cli, ["run", str(tmp_path), "--no-progress"]).exit_code == 0
    assert runner.invoke(cli.cli, ["run", str(tmp_path), "-j", "1"]).exit_code == 0
    assert [kwargs["parallel_steps"] for _, kwargs in calls] == [2, 1]
    refused = runner.invoke(cli.cli, ["run", str(tmp_path), "--jobs", "0"])
    assert refused.exit_code == 2 and "0 is not in the range x>=1" in refused.output


def test_run_lists_steps_in_engagement_order_whatever_finished_first(
    runner, monkeypatch, tmp_path
):
    def fake(folder, **kwargs):
        done = [{"step": k, "status": "done", "seconds": 1.0} for k in ("voc", "journey")]
        return run.RunRecord(
            run_id="r1",
            engagement=str(folder),
            status="done",
            steps=done,
            timings={"total": 2.0},
            report="/x/reports/index.html",
        )

    monkeypatch.setattr(run, "run_engagement", fake)
    result = runner.invoke(cli.cli, ["run", str(tmp_path)])
    assert result.output.index("journey") < result.output.index("voc")


@pytest.mark.parametrize(
    "value, expected",
    [
        ("3", 3),
        ("-2", -2),
        ("0.5", 0.5),
        ("true", True),
        ("2024.10", "2024.10"),
        ("01234", "01234"),
    ],
)
def test_parameter_values_keep_their_meaning(value, expected):
    assert cli._literal(value) == expected
    assert type(cli._literal(value)) is type(expected)


def test_bad_parameter_name_is_a_usage_error(runner, calls, tmp_path):
    result = runner.invoke(cli.cli, ["run", str(tmp_path), "-p", "x=1", "2"])
    assert result.exit_code == 2
    assert not calls


def _raise(exc):
    def fake(*_a, **_k):
        raise exc

    return fake


def test_exit_codes(runner, monkeypatch, tmp_path):
    cases = [
        (ConfigError([Problem("engagement.yaml", 3, "client.name", "text", "nothing")]), 1),
        (StepFailed("voc", "/r/04.ipynb", 7, "KeyError: 'nps'"), 3),
        (CxError("unknown step 'x'"), 1),
    ]
    for exc, code in cases:
        monkeypatch.setattr(run, "run_engagement", _raise(exc))
        result = runner.invoke(cli.cli, ["run", str(tmp_path)])
        assert result.exit_code == code, result.output
    assert "cell 7" in StepFailed("voc", "/r/04.ipynb", 7, "KeyError").args[0]


def test_step_failure_message_names_notebook_cell_and_error(runner, monkeypatch, tmp_path):
    monkeypatch.setattr(
        run, "run_engagement", _raise(StepFailed("voc", "/r/04.ipynb", 7, "KeyError: 'nps'"))
    )
    result = runner.invoke(cli.cli, ["run", str(tmp_path)])
    assert "step voc failed in /r/04.ipynb (cell 7): KeyError: 'nps'" in result.output
    assert "kept at /r/04.ipynb" in result.output


def test_new_refuses_existing_folder_and_unsafe_names(runner, tmp_path):
    target = tmp_path / "acme"
    target.mkdir()
    (target / "keep.txt").write_text("mine")
    result = runner.invoke(cli.cli, ["new", str(target), "--name", "Acme"])
    assert result.exit_code == 1
    assert "already exists" in result.output
    assert (target / "keep.txt").read_text() == "mine"
    result = runner.invoke(cli.cli, ["new", str(tmp_path / ".." / "x"), "--name", "Acme"])
    assert result.exit_code == 1


def test_set_client_field_keeps_comments():
    text = 'client:\n  # who the client is\n  name: "Client name"  # shown on every page\n'
    text += '  consultant: ""\nwaves:\n  name: other\n'
    out = cli._set_client_field(text, "name", 'Acme "North"')
    assert '  name: "Acme \\"North\\""  # shown on every page' in out
    assert "# who the client is" in out
    assert "  name: other" in out


def test_help_step_lists_parameters(runner):
    result = runner.invoke(cli.cli, ["run", "--help-step", "mission"])
    assert result.exit_code == 0
    assert "engagement (str)" in result.output
    assert "run folder written by cx run" in result.output


def test_the_cx_command_skips_rfc3987_and_notebooks_are_still_validated():
    code = """
import sys
from cxlib.cli import main
sys.argv = ["cx", "--version"]
try:
    main()
except SystemExit:
    pass
import nbformat
nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1")])
nb.cells[0]["outputs"] = [{"output_type": "no such type"}]
try:
    nbformat.validate(nb)
    print("accepted")
except nbformat.ValidationError:
    print("rejected")
print(sys.modules["rfc3987_syntax"])
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split()[-2:] == ["rejected", "None"]
