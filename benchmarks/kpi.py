"""Time steps 6 (KPI baseline) and 7 (re-measurement) on the demo client.

Run: .venv/bin/python benchmarks/kpi.py [--engagement data/demo] [--repeat 3] [--notebooks]
Prints wall-clock seconds of each step's library work (the calls its playbook makes, in one
warm process) and, with --notebooks, of executing each playbook with papermill (kernel start
included). The demo is ingested once into a temporary folder first, as `cx run` does.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a checkout


def _copy(src: Path, dst: Path) -> Path:
    dst.mkdir(parents=True)
    for name in ("engagement.yaml", "codeframe.yaml"):
        if (src / name).is_file():
            shutil.copy2(src / name, dst / name)
    for folder in ("inputs", "assets"):
        if (src / folder).is_dir():
            shutil.copytree(src / folder, dst / folder)
    return dst


def step6(ctx) -> None:
    from cxlib import baseline

    base = baseline.measure(ctx, ctx.config.waves.baseline)
    baseline.results(base)


def step7(ctx) -> None:
    from cxlib import baseline, remeasure_run

    base, info = baseline.baseline_for(ctx)
    current = baseline.measure(ctx)
    card = remeasure_run.scorecard_for(ctx, base, current)
    moves = remeasure_run.movers_for(ctx, base.wave)
    charts = remeasure_run.charts_for(ctx, card=card)
    remeasure_run.remeasure_results(card, moves, charts, info, current.wave)


def _time(fn, ctx, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        ctx._cache.clear()  # read the clean tables again, as a fresh kernel would
        start = time.perf_counter()
        fn(ctx)
        out.append(time.perf_counter() - start)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engagement", type=Path, default=ROOT / "data" / "demo")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--notebooks", action="store_true", help="also time papermill runs")
    args = parser.parse_args()

    from cxlib import context, ingest
    from cxlib.config import EngagementPaths, RunPaths, load_engagement

    with tempfile.TemporaryDirectory() as tmp:
        root = _copy(args.engagement.resolve(), Path(tmp) / "engagement")
        run = RunPaths(root / "runs" / "bench")
        start = time.perf_counter()
        ingest.ingest(root, run.clean)
        print(f"ingest (once): {time.perf_counter() - start:.2f} s")
        cfg = load_engagement(root)
        wave = cfg.waves.labels[-1]
        ctx = context.RunContext(config=cfg, paths=EngagementPaths(root), run=run, wave=wave)
        rows = ctx.table("responses").shape[0]
        print(f"engagement={args.engagement} responses={rows:,} wave={wave}")
        for name, fn in (("step 6 KPI baseline", step6), ("step 7 re-measurement", step7)):
            times = _time(fn, ctx, args.repeat)
            print(
                f"{name:24s} median {statistics.median(times):5.2f} s  "
                f"(min {min(times):.2f}, max {max(times):.2f}, {args.repeat} runs, library calls)"
            )
        if args.notebooks:
            import papermill

            for nb in ("06_kpi_baseline.ipynb", "07_kpi_remeasure.ipynb"):
                start = time.perf_counter()
                papermill.execute_notebook(
                    str(ROOT / "playbooks" / nb),
                    str(Path(tmp) / nb),
                    parameters={"engagement": str(root), "run_dir": str(run.root), "wave": wave},
                    kernel_name="python3",
                    progress_bar=False,
                    cwd=str(ROOT / "playbooks"),
                )
                print(f"{nb:24s} {time.perf_counter() - start:5.2f} s  (papermill, one run)")


if __name__ == "__main__":
    main()
