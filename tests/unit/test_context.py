"""The run context a playbook opens: clean tables, earlier results, atomic saves."""

import json
import shutil

import pandas as pd
import pytest

from cxlib import context
from cxlib.config import kit_root
from cxlib.errors import CxError


@pytest.fixture(scope="module")
def demo_copy(tmp_path_factory):
    target = tmp_path_factory.mktemp("ctx") / "demo"
    shutil.copytree(
        kit_root() / "data" / "demo", target, ignore=shutil.ignore_patterns("runs", "reports")
    )
    return target


def test_interactive_run_ingests_once_and_reuses(demo_copy):
    ctx = context.open_run(demo_copy)
    assert ctx.run.root == demo_copy / "runs" / "interactive"
    assert ctx.wave == ctx.config.waves.labels[-1]
    customers = ctx.table("customers")
    assert len(customers) == 5000 and customers["customer_id"].is_unique
    stamp = ctx.run.clean / "customers.parquet"
    before = stamp.stat().st_mtime_ns
    again = context.open_run(demo_copy)
    assert (again.run.clean / "customers.parquet").stat().st_mtime_ns == before
    # A changed input file triggers a fresh ingest.
    pulse = next((demo_copy / "inputs").glob("*pulse*.csv"))
    pulse.write_bytes(pulse.read_bytes() + b"\n")
    context.open_run(demo_copy)
    assert stamp.stat().st_mtime_ns != before


def test_table_is_a_copy_and_missing_table_is_explained(demo_copy):
    ctx = context.open_run(demo_copy)
    first = ctx.table("responses")
    first["nps"] = -1
    assert (ctx.table("responses")["nps"] != -1).any()
    with pytest.raises(CxError, match="not available in this run"):
        ctx.table("complaints")


def test_unknown_wave_is_an_error(demo_copy):
    with pytest.raises(CxError, match="not in waves.labels"):
        context.open_run(demo_copy, wave="1999Q1")


def test_results_are_saved_atomically_and_found_in_the_promoted_report(demo_copy, tmp_path):
    ctx = context.open_run(demo_copy)
    ctx.save_json("x.json", {"headline": "ok", "when": pd.Timestamp("2026-01-02")})
    assert json.loads((ctx.run.results / "x.json").read_text())["when"].startswith("2026-01-02")
    assert not list(ctx.run.results.glob(".x.json*"))
    assert ctx.load_json("nothing.json") is None
    promoted = ctx.paths.reports / "results"
    promoted.mkdir(parents=True)
    (promoted / "old.json").write_text('{"a": 1}')
    assert ctx.load_json("old.json") == {"a": 1}


def test_save_csv_neutralises_formulas(demo_copy):
    ctx = context.open_run(demo_copy)
    path = ctx.save_csv("follow_up.csv", pd.DataFrame({"comment": ["=HYPERLINK(1)", "fine"]}))
    text = path.read_text()
    assert "'=HYPERLINK(1)" in text and "fine" in text


def test_require_names_the_missing_section(demo_copy):
    ctx = context.open_run(demo_copy)
    assert ctx.require("journey").stages
    object.__setattr__(ctx, "config", ctx.config.model_copy(update={"journey": None}))
    with pytest.raises(CxError, match="engagement.yaml has no journey: section"):
        ctx.require("journey")
