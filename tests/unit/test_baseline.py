"""Locked baselines (cxlib.baseline): checksum, refusal to overwrite, --force, tampering, CLI."""

from __future__ import annotations

import hashlib
import importlib.util
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from cxlib import baseline, cli, context
from cxlib.config import EngagementPaths, RunPaths, load_engagement
from cxlib.errors import CxError


def _helper(name: str):
    """Load a helper module that sits beside this test file (import mode is importlib)."""
    path = Path(__file__).with_name(f"{name}.py")
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_data = _helper("kpi_data")
config_dict, tables = _data.config_dict, _data.tables


@pytest.fixture
def engagement(tmp_path) -> Path:
    root = tmp_path / "acme"
    root.mkdir()
    text = yaml.safe_dump(config_dict(), sort_keys=False, allow_unicode=True)
    (root / "engagement.yaml").write_text(text, encoding="utf-8")
    return root


@pytest.fixture
def ctx(engagement) -> context.RunContext:
    run = RunPaths(engagement / "runs" / "r1")
    run.clean.mkdir(parents=True)
    for name, frame in tables().items():
        frame.to_parquet(run.clean / f"{name}.parquet", index=False)
    cfg = load_engagement(engagement)
    return context.RunContext(
        config=cfg, paths=EngagementPaths(engagement), run=run, wave="2026Q3"
    )


def _content(wave: str = "2026Q1", nps: float = 12.5) -> dict:
    return {
        "wave": wave,
        "headline": f"Baseline {wave}",
        "kpis": [{"kpi": "nps", "estimate": nps, "n": 400, "ci_low": float("nan")}],
        "definitions": {"stages": ["join"], "touchpoints": {}, "personas": {}},
    }


# ------------------------------------------------------------------------------ checksum


def test_canonical_json_ignores_order_and_whitespace_and_maps_nan_to_null():
    a = {"b": [1, 2.5, np.float64(0.1)], "a": {"y": None, "x": float("nan")}}
    b = json.loads(json.dumps({"a": {"x": None, "y": None}, "b": [1, 2.5, 0.1]}, indent=4))
    assert baseline.canonical_json(a) == baseline.canonical_json(b)
    assert baseline.canonical_json(a) == b'{"a":{"x":null,"y":null},"b":[1,2.5,0.1]}'


def test_checksum_is_sha256_of_the_canonical_json_without_the_checksum():
    doc = {"wave": "2026Q1", "content": _content()}
    expected = hashlib.sha256(baseline.canonical_json(doc)).hexdigest()
    assert baseline.checksum(doc) == expected
    assert baseline.checksum({**doc, "checksum": "anything"}) == expected
    changed = {"wave": "2026Q1", "content": _content(nps=12.6)}
    assert baseline.checksum(changed) != expected


def test_baseline_path_refuses_unsafe_wave_labels(engagement):
    assert baseline.baseline_path(engagement, "2026Q1") == engagement / "baseline" / "2026Q1.json"
    with pytest.raises(CxError, match="cannot name a baseline file"):
        baseline.baseline_path(engagement, "../2026Q1")


# ------------------------------------------------------------------------------ locking


def test_lock_writes_a_checksummed_file(engagement):
    path = baseline.lock(engagement, "2026Q1", content=_content())
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert path == engagement / "baseline" / "2026Q1.json"
    assert doc["format"] == baseline.FORMAT and doc["wave"] == "2026Q1"
    assert doc["source"] == "given" and doc["history"] == []
    assert doc["content"]["kpis"][0]["ci_low"] is None  # NaN stored as null
    assert doc["checksum"] == baseline.checksum(doc)
    assert baseline.load_locked(engagement, "2026Q1") == doc
    assert baseline.load_locked(engagement, "2026Q3") is None
    info = baseline.lock_info(engagement, "2026Q1")
    assert info["locked"] and info["checksum"] == doc["checksum"] and info["replaced"] == 0


def test_lock_never_overwrites_a_locked_baseline(engagement):
    path = baseline.lock(engagement, "2026Q1", content=_content())
    before = path.read_bytes()
    with pytest.raises(baseline.BaselineLocked, match="already locked"):
        baseline.lock(engagement, "2026Q1", content=_content(nps=99.0))
    with pytest.raises(CxError, match="needs a reason"):
        baseline.lock(engagement, "2026Q1", content=_content(nps=99.0), force=True, reason=" ")
    assert path.read_bytes() == before


def test_force_with_reason_replaces_and_records_history(engagement):
    first = json.loads(baseline.lock(engagement, "2026Q1", content=_content()).read_text())
    baseline.lock(
        engagement, "2026Q1", content=_content(nps=13.0), force=True, reason="late returns added"
    )
    second = baseline.load_locked(engagement, "2026Q1")
    assert second["content"]["kpis"][0]["estimate"] == 13.0
    (entry,) = second["history"]
    assert entry["reason"] == "late returns added"
    assert entry["previous_checksum"] == first["checksum"]
    assert entry["previous_locked_at"] == first["locked_at"]
    assert entry["previous_verified"] is True
    baseline.lock(engagement, "2026Q1", content=_content(nps=14.0), force=True, reason="again")
    third = baseline.load_locked(engagement, "2026Q1")
    assert [h["reason"] for h in third["history"]] == ["late returns added", "again"]
    assert third["history"][1]["previous_checksum"] == second["checksum"]
    assert baseline.lock_info(engagement, "2026Q1")["replaced"] == 2


def test_tampering_is_detected(engagement):
    path = baseline.lock(engagement, "2026Q1", content=_content())
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["content"]["kpis"][0]["estimate"] = 30.0  # a better-looking baseline
    path.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    with pytest.raises(baseline.BaselineTampered, match="changed since it was locked"):
        baseline.load_locked(engagement, "2026Q1")
    # re-locking over a tampered file is allowed only with a reason, and says so
    baseline.lock(engagement, "2026Q1", content=_content(), force=True, reason="restore")
    assert baseline.load_locked(engagement, "2026Q1")["history"][0]["previous_verified"] is False


def test_reformatting_a_locked_file_is_not_tampering(engagement):
    path = baseline.lock(engagement, "2026Q1", content=_content())
    doc = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps(doc, indent=None, sort_keys=True), encoding="utf-8")
    assert baseline.load_locked(engagement, "2026Q1")["checksum"] == doc["checksum"]


@pytest.mark.parametrize(
    "text, match",
    [
        ("{not json", "not valid JSON"),
        ('{"wave": "2026Q1"}', "no checksum"),
    ],
)
def test_unreadable_baseline_files_are_refused(engagement, text, match):
    path = baseline.baseline_path(engagement, "2026Q1")
    path.parent.mkdir()
    path.write_text(text, encoding="utf-8")
    with pytest.raises(baseline.BaselineTampered, match=match):
        baseline.load_locked(engagement, "2026Q1")


def test_a_baseline_renamed_to_another_wave_is_refused(engagement):
    path = baseline.lock(engagement, "2026Q1", content=_content())
    path.rename(path.with_name("2026Q3.json"))
    with pytest.raises(baseline.BaselineTampered, match="holds the baseline of wave"):
        baseline.load_locked(engagement, "2026Q3")


def test_lock_checks_the_wave(engagement):
    with pytest.raises(CxError, match="not in waves.labels"):
        baseline.lock(engagement, "2030Q1", content=_content("2030Q1"))
    with pytest.raises(CxError, match="results are for wave"):
        baseline.lock(engagement, "2026Q3", content=_content("2026Q1"))


def test_lock_copies_the_promoted_report_results_or_computes(engagement, monkeypatch):
    results = EngagementPaths(engagement).reports / "results"
    results.mkdir(parents=True)
    (results / "kpi_baseline.json").write_text(json.dumps(_content("2026Q1")), encoding="utf-8")
    computed = []

    def fake_compute(root, wave):
        computed.append((Path(root), wave))
        return _content(wave, nps=5.0)

    monkeypatch.setattr(baseline, "compute_baseline", fake_compute)
    baseline.lock(engagement, "2026Q1")
    doc = baseline.load_locked(engagement, "2026Q1")
    assert doc["source"] == "reports/results/kpi_baseline.json" and not computed
    baseline.lock(engagement, "2026Q3")  # the promoted results are for another wave
    doc = baseline.load_locked(engagement, "2026Q3")
    assert doc["source"] == "computed by cx baseline lock"
    assert computed == [(engagement.resolve(), "2026Q3")]
    assert doc["content"]["kpis"][0]["estimate"] == 5.0


def test_compute_baseline_measures_the_wave(ctx, monkeypatch):
    monkeypatch.setattr(context, "open_run", lambda engagement, run_dir, wave: ctx)
    out = baseline.compute_baseline(ctx.paths.root, "2026Q1")
    assert out["wave"] == "2026Q1" and out["headline"].startswith("Baseline 2026Q1: NPS ")
    json.dumps(out, allow_nan=False)


# ------------------------------------------------------------------------------ measuring


def test_measure_uses_governance_owners_and_the_previous_locked_baseline(ctx):
    ctx.save_json("governance.json", {"kpi_owners": [{"kpi": "csat", "owner": "Gov"}]})
    baseline.lock(ctx.paths.root, "2026Q1", content=_content())
    current = baseline.measure(ctx)
    assert current.wave == "2026Q3" and current.previous_wave == "2026Q1"
    changes = current.definition_changes
    assert ("stage", "use", "added") in set(
        zip(changes["area"], changes["item"], changes["change"], strict=True)
    )
    assert current.kpis.set_index("kpi").loc["csat", "owner"] == "Gov"
    results = baseline.results(current)
    assert results["headline"].startswith("Baseline 2026Q3")
    json.dumps(results, allow_nan=False)


def test_baseline_for_computes_and_marks_an_unlocked_baseline(ctx):
    base, info = baseline.baseline_for(ctx)
    assert info["locked"] is False and info["status"] == "not locked" and info["wave"] == "2026Q1"
    expected = baseline.measure(ctx, "2026Q1").kpis
    pd.testing.assert_frame_equal(base.kpis, expected)


def test_baseline_for_reads_the_locked_file(ctx):
    locked = baseline.results(baseline.measure(ctx, "2026Q1"))
    baseline.lock(ctx.paths.root, "2026Q1", content=locked)
    base, info = baseline.baseline_for(ctx)
    assert (
        info["locked"] is True
        and info["checksum"] == baseline.lock_info(ctx.paths.root, "2026Q1")["checksum"]
    )
    computed = baseline.measure(ctx, "2026Q1").kpis.set_index("kpi")
    read = base.kpis.set_index("kpi")
    np.testing.assert_allclose(read["estimate"], computed["estimate"], rtol=1e-12)
    path = baseline.baseline_path(ctx.paths.root, "2026Q1")
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["content"]["kpis"][0]["n"] += 1
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(baseline.BaselineTampered):
        baseline.baseline_for(ctx)


# ------------------------------------------------------------------------------ the command


@pytest.fixture
def promoted(engagement) -> Path:
    results = EngagementPaths(engagement).reports / "results"
    results.mkdir(parents=True)
    (results / "kpi_baseline.json").write_text(json.dumps(_content()), encoding="utf-8")
    return engagement


def test_cli_lock_then_refuse_then_force(promoted):
    runner = CliRunner()
    args = ["baseline", "lock", str(promoted), "--wave", "2026Q1"]
    first = runner.invoke(cli.cli, args)
    assert first.exit_code == 0, first.output
    checksum = baseline.load_locked(promoted, "2026Q1")["checksum"]
    assert "Locked the 2026Q1 baseline" in first.output and checksum in first.output
    again = runner.invoke(cli.cli, args)
    assert again.exit_code == 1 and "already locked" in again.output
    no_reason = runner.invoke(cli.cli, [*args, "--force"])
    assert no_reason.exit_code == 1 and "needs a reason" in no_reason.output
    forced = runner.invoke(cli.cli, [*args, "--force", "--reason", "late returns"])
    assert forced.exit_code == 0, forced.output
    history = baseline.load_locked(promoted, "2026Q1")["history"]
    assert history[0]["reason"] == "late returns" and history[0]["previous_checksum"] == checksum


def test_cli_errors_exit_1(promoted):
    runner = CliRunner()
    unknown = runner.invoke(cli.cli, ["baseline", "lock", str(promoted), "--wave", "1999Q1"])
    assert unknown.exit_code == 1 and "not in waves.labels" in unknown.output
    missing = runner.invoke(cli.cli, ["baseline", "lock", str(promoted)])
    assert missing.exit_code == 2  # usage: --wave is required


@pytest.mark.parametrize("command", [["baseline"], ["baseline", "lock"]])
def test_cli_help_ends_with_an_example(command):
    result = CliRunner().invoke(cli.cli, [*command, "--help"])
    assert result.exit_code == 0
    assert "Example: cx baseline lock clients/acme --wave 2026Q1" in result.output


def test_load_or_measure_shows_the_locked_figures_of_a_wave(ctx):
    measured, info = baseline.load_or_measure(ctx, "2026Q1")
    assert info["locked"] is False and info["replaced"] == 0
    content = baseline.results(measured)
    content["kpis"][0]["estimate"] = 42.0  # the agreed figure differs from a recomputation
    baseline.lock(ctx.paths.root, "2026Q1", content=content)
    base, info = baseline.load_or_measure(ctx, "2026Q1")
    assert info["locked"] is True and info["status"] == "locked" and info["replaced"] == 0
    assert base.kpis.loc[0, "estimate"] == 42.0
    assert base.kpis.loc[0, "kpi"] == measured.kpis.loc[0, "kpi"]
