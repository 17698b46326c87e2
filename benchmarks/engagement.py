"""Time `cx run` on the demo against the same playbooks run by hand.

By hand means what a consultant would type without the kit's runner: for each playbook,
the papermill CLI, then `jupyter nbconvert --to html --no-input`, one after another. Both
work on fresh copies of the demo engagement. Prints wall times and their ratio, for `cx run`
as it runs by default (independent playbooks side by side on two cores) and with `--jobs 1`
(one playbook at a time).

    .venv/bin/python benchmarks/engagement.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT))

from cxlib.run import available_steps  # noqa: E402


def fresh_copy(tmp: Path, name: str) -> Path:
    target = tmp / name
    shutil.copytree(
        ROOT / "data" / "demo", target, ignore=shutil.ignore_patterns("runs", "reports")
    )
    return target


def time_kit(tmp: Path, i: int, *options: str) -> tuple[float, dict]:
    folder = fresh_copy(tmp, f"kit{i}{''.join(options)}")
    start = time.perf_counter()
    args = [BIN / "cx", "run", folder, "--no-progress", *options]
    subprocess.run(args, check=True, capture_output=True)
    wall = time.perf_counter() - start
    record = json.loads((folder / "reports" / "run.json").read_text())
    return wall, record["timings_s"]


def time_by_hand(tmp: Path, i: int) -> float:
    folder = fresh_copy(tmp, f"hand{i}")
    out = tmp / f"hand{i}-out"
    out.mkdir()
    start = time.perf_counter()
    for step in available_steps():
        executed = out / step.notebook
        subprocess.run(
            [
                BIN / "papermill",
                ROOT / "playbooks" / step.notebook,
                executed,
                "-p",
                "engagement",
                folder,
                "--cwd",
                ROOT / "playbooks",
            ],
            check=True,
            capture_output=True,
        )
        subprocess.run(
            [BIN / "jupyter", "nbconvert", "--to", "html", "--no-input", executed],
            check=True,
            capture_output=True,
        )
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    kit, one, hand, steps = [], [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.repeat):
            wall, timings = time_kit(Path(tmp), i)
            kit.append(wall)
            steps.append(timings)
            one.append(time_kit(Path(tmp), i, "--jobs", "1")[0])
            hand.append(time_by_hand(Path(tmp), i))
            print(
                f"repeat {i + 1}: cx run {kit[-1]:.1f} s, cx run --jobs 1 {one[-1]:.1f} s, "
                f"by hand {hand[-1]:.1f} s",
                flush=True,
            )
    k, o, h = statistics.median(kit), statistics.median(one), statistics.median(hand)
    print(f"playbooks: {len(available_steps())}")
    print(f"cx run (median of {args.repeat}):          {k:.1f} s")
    print(f"cx run --jobs 1 (median of {args.repeat}): {o:.1f} s")
    print(f"by hand (median of {args.repeat}):         {h:.1f} s")
    print(f"ratio cx run / by hand: {k / h:.2f}  (target <= 0.25)")
    print(f"ratio cx run --jobs 1 / by hand: {o / h:.2f}")
    last = steps[-1]
    print("per step in the last cx run (s): " + ", ".join(f"{s} {v}" for s, v in last.items()))


if __name__ == "__main__":
    main()
