"""Page sizes and render time per page of a report.

Usage: python benchmarks/pages.py [ENGAGEMENT]   (default: a copy of data/demo, run with the
mission and voc steps). Renders each executed notebook of the latest run again (median of 3),
the index and the methods page, and prints a table: page, size in KB, render seconds.
"""

from __future__ import annotations

import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _timed(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    from cxlib.config import EngagementPaths, load_engagement
    from cxlib.methods import render_methods
    from cxlib.report import PageSummary, render_index, render_page
    from cxlib.run import STEPS, run_engagement

    if len(sys.argv) > 1:
        folder = Path(sys.argv[1])
    else:
        folder = Path(tempfile.mkdtemp(prefix="cx-bench-")) / "demo"
        shutil.copytree(
            ROOT / "data" / "demo", folder, ignore=shutil.ignore_patterns("runs", "reports")
        )
        run_engagement(folder, steps=["mission", "voc"], progress=False)
    paths = EngagementPaths(folder.resolve())
    brand = load_engagement(paths.root).branding
    logo = paths.resolve(brand.logo) if brand.logo else None
    run_dir = max((paths.root / "runs").iterdir(), key=lambda p: p.stat().st_mtime)
    out = Path(tempfile.mkdtemp(prefix="cx-pages-"))
    rows = []
    for step in STEPS:
        notebook = run_dir / "notebooks" / step.notebook
        if not notebook.is_file():
            continue
        target = out / step.page
        seconds = _timed(
            lambda nb=notebook, t=target: render_page(nb, t, brand=brand, logo_path=logo)
        )
        rows.append((step.page, target.stat().st_size, seconds))
    cards = [PageSummary(s.title, s.page, "", "done") for s in STEPS]
    index = out / "index.html"
    rows.append(
        ("index.html", 0, _timed(lambda: render_index(cards, index, brand=brand, logo_path=logo)))
    )
    rows[-1] = ("index.html", index.stat().st_size, rows[-1][2])
    methods = out / "methods.html"
    seconds = _timed(lambda: render_methods(methods, brand=brand, logo_path=logo))
    rows.append(("methods.html", methods.stat().st_size, seconds))
    print(f"{'page':<28} {'size (KB)':>10} {'render (s)':>11}")
    for name, size, seconds in rows:
        print(f"{name:<28} {size / 1024:>10.1f} {seconds:>11.3f}")


if __name__ == "__main__":
    main()
