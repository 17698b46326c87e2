"""Time steps 2 (personas) and 3 (journey audit): compute functions and playbook execution.

Run: .venv/bin/python benchmarks/personas_journey.py [--customers 100000] [--seed 2026]
     [--skip-notebooks] [--keep FOLDER]

Generates a client like the demo but with ``--customers`` customers (the demo generator,
data/demo/generate.py, with its customer count raised; events, surveys and comments scale
with it) in a temporary folder, ingests it once, then times every compute function the two
playbooks call, on the large client and on the demo. Finally it executes the playbooks with
papermill on both (02 before 03, so the journey audit reads the personas), as ``cx run``
does. Prints wall-clock and CPU seconds (CPU is the fairer figure on a shared machine) and the
process's peak resident memory; papermill's kernels are separate processes, so for
notebooks only wall time is shown.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a checkout
sys.path.insert(0, str(ROOT / "data" / "demo"))

from cxlib import context, journey, journey_pain, personas, personas_profile  # noqa: E402

ROWS: list[tuple[str, str, float, float, str]] = []


def timed(client: str, label: str, func, *args, note: str = "", **kwargs):
    """Run ``func`` once and record wall and CPU seconds."""
    wall, cpu = time.perf_counter(), time.process_time()
    out = func(*args, **kwargs)
    ROWS.append((client, label, time.perf_counter() - wall, time.process_time() - cpu, note))
    return out


def generate(folder: Path, customers: int, seed: int) -> None:
    """Write a demo-like engagement with ``customers`` customers into ``folder``."""
    import generate as demo_generator
    from northwind import model

    model.N_CUSTOMERS = customers
    demo_generator.build(folder, seed=seed)


def compute(client: str, engagement: Path) -> None:
    """Time the functions playbooks 02 and 03 call, in the order they call them."""
    ctx = timed(client, "ingest (once per run, not a step)", context.open_run, engagement)
    customers, responses = ctx.table("customers"), ctx.table("responses")
    events, plan, settings = (
        ctx.table("touchpoint_events"),
        ctx.config.journey,
        ctx.config.personas,
    )
    note = f"{len(customers):,} customers, {len(responses):,} responses, {len(events):,} events"
    feats = timed(client, "personas: features", personas.persona_features, customers,
                  features=settings.features, note=note)  # fmt: skip
    timed(client, "personas: choose k (silhouette + stability)", personas.select_k, feats,
          k_range=settings.k_range, seed=settings.seed)  # fmt: skip
    model = timed(client, "personas: build (choose k + final k-means)", personas.build,
                  customers, settings, responses=responses)  # fmt: skip
    timed(client, "personas: profile against the base", personas_profile.profile_personas,
                 customers, model.assignments, responses=responses, features=settings.features,
                 wave=ctx.wave)  # fmt: skip
    tags = timed(client, "personas: tag comments (codeframe)", personas_profile.tag_comments,
                 responses, ctx.paths.codeframe)  # fmt: skip
    timed(client, "personas: themes per persona", personas_profile.persona_themes, tags,
          responses, model.assignments)  # fmt: skip
    wave = responses[responses["wave"] == ctx.wave]
    timed(client, "personas: redacted quotes", personas_profile.representative_quotes, wave,
          model.assignments, names=personas_profile.name_list(customers), themes=tags)  # fmt: skip
    card = timed(client, "journey: scorecard", journey.touchpoint_scorecard, events, plan,
                 customers=customers)  # fmt: skip
    timed(client, "journey: funnel", journey.stage_funnel, events, plan, customers=customers)
    timed(client, "journey: emotion curve by persona", journey.emotion_curve, events, plan,
          personas=model.assignments)  # fmt: skip
    timed(client, "journey: persona x stage", journey.persona_stage, events,
          model.assignments, plan)  # fmt: skip
    impact = timed(client, "journey: NPS impact (OLS, HC1)", journey_pain.touchpoint_impact,
                   responses, events, plan)  # fmt: skip
    timed(client, "journey: pain points", journey_pain.pain_points, card, impact)
    timed(client, "journey: channel consistency", journey_pain.channel_consistency, events, plan)


def notebooks(client: str, engagement: Path, workdir: Path) -> None:
    """Execute playbooks 02 and 03 with papermill on one engagement, as cx run does."""
    import papermill

    for name in ("02_personas.ipynb", "03_journey_audit.ipynb"):
        wall = time.perf_counter()
        papermill.execute_notebook(
            str(ROOT / "playbooks" / name),
            str(workdir / f"{client}_{name}"),
            parameters={"engagement": str(engagement)},
            cwd=str(ROOT / "playbooks"),
            kernel_name="python3",
            progress_bar=False,
            iopub_timeout=30,
        )
        ROWS.append((client, f"papermill {name}", time.perf_counter() - wall, float("nan"), ""))


def report(load: tuple[float, float, float]) -> None:
    print(f"\nload average before the run: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} "
          f"on {os.cpu_count()} CPUs")  # fmt: skip
    print(f"{'client':<10} {'what':<48} {'wall s':>8} {'cpu s':>8}  note")
    for client, label, wall, cpu, note in ROWS:
        cpu_text = "" if cpu != cpu else f"{cpu:8.2f}"
        print(f"{client:<10} {label:<48} {wall:8.2f} {cpu_text:>8}  {note}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory of this process: {peak:,.0f} MB")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000, help="size of the large client")
    parser.add_argument("--seed", type=int, default=2026, help="generator seed")
    parser.add_argument("--skip-notebooks", action="store_true", help="time compute only")
    parser.add_argument("--keep", type=Path, help="write the large client here and keep it")
    args = parser.parse_args(argv)
    load = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        big = args.keep or Path(tmp) / "client"
        wall = time.perf_counter()
        generate(big, args.customers, args.seed)
        ROWS.append(("large", "generate the client", time.perf_counter() - wall, float("nan"),
                     f"{args.customers:,} customers"))  # fmt: skip
        compute("demo", ROOT / "data" / "demo")
        compute("large", big)
        if not args.skip_notebooks:
            notebooks("demo", ROOT / "data" / "demo", Path(tmp))
            notebooks("large", big, Path(tmp))
    report(load)


if __name__ == "__main__":
    main()
