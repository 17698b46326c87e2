"""Time cxlib.report.render_page on an executed-looking playbook with a warm exporter.

The notebook has an H1, six H2 sections, five PNG charts drawn with the kit's theme
(seaborn bars on 10k synthetic rows), a result table, stdout, stderr and a stray repr, as
papermill leaves them. The exporter is warmed with one render, then the page is rendered
--repeat times; prints the median and spread in ms per page and the page size in KB. For
scale, the same notebook through nbconvert's default lab template is timed too (that page is
not offline: it loads require.js and MathJax from a CDN).

    .venv/bin/python benchmarks/render.py [--repeat 20]
"""

from __future__ import annotations

import argparse
import base64
import io
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output  # noqa: E402

from cxlib import plots, report  # noqa: E402
from cxlib.config import Branding  # noqa: E402

BRAND = Branding(client_name="Acme Telecom", consultant="Harbour CX")
CHARTS = 5


def chart(rng: np.random.Generator, i: int) -> str:
    data = pd.DataFrame(
        {
            "segment": rng.choice(["North", "South", "East", "West", "Online"], 10_000),
            "score": rng.integers(0, 11, 10_000),
        }
    )
    with plots.theme(BRAND):
        fig = Figure(figsize=(6.4, 4.0))
        ax = fig.subplots()
        sns.barplot(data=data, x="segment", y="score", hue="segment", ax=ax, errorbar=("ci", 95))
        ax.set_title(f"Chart {i + 1}: mean score by segment")
        buf = io.BytesIO()
        fig.savefig(buf, format="png")  # inline backend default: 100 dpi-ish PNG
    return base64.b64encode(buf.getvalue()).decode("ascii")


def executed_notebook(seed: int = 1) -> object:
    rng = np.random.default_rng(seed)
    table = pd.DataFrame(
        {
            "segment": ["North", "South", "East", "West", "Online"],
            "estimate": rng.uniform(0.1, 0.5, 5),
            "n": rng.integers(20, 3000, 5),
            "small_n": [False, False, True, False, False],
        }
    ).set_index("segment")
    cells = [
        new_markdown_cell("# Voice of the customer\n\nWhat customers tell us."),
        new_code_cell("wave: str = '2026Q1'", metadata={"tags": ["parameters"]}),
        new_code_cell("wave = '2026Q1'", metadata={"tags": ["injected-parameters"]}),
    ]
    for i in range(CHARTS):
        cells.append(new_markdown_cell(f"## Question {i + 1}\n\nA sentence of narrative."))
        cells.append(
            new_code_cell(
                f"plots.chart_{i}(data)",
                execution_count=i + 2,
                outputs=[
                    new_output("stream", name="stderr", text="UserWarning: small base\n"),
                    new_output(
                        "display_data",
                        data={"image/png": chart(rng, i), "text/plain": "<Figure size 640x400>"},
                    ),
                    new_output("execute_result", data={"text/plain": "<Axes: >"}),
                ],
            )
        )
    cells.append(new_markdown_cell("## Results table"))
    cells.append(
        new_code_cell(
            "report.table(res)",
            outputs=[
                new_output(
                    "display_data",
                    data={"text/html": report.table(table, percent_cols=["estimate"]).data},
                )
            ],
        )
    )
    return new_notebook(cells=cells)


def time_renders(render, repeat: int) -> list[float]:
    render()  # warm: exporter built, templates compiled
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        render()
        times.append((time.perf_counter() - start) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    nb = executed_notebook()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "04_voc.html"
        kit = time_renders(lambda: report.render_page(nb, out, brand=BRAND), args.repeat)
        size = out.stat().st_size / 1024
        offline = report.check_offline(out.read_text(encoding="utf-8"))

    from nbconvert import HTMLExporter

    lab = HTMLExporter(exclude_input=True)
    html: list[str] = []
    default = time_renders(lambda: html.append(lab.from_notebook_node(nb)[0]), args.repeat)
    print(f"notebook: {len(nb.cells)} cells, {CHARTS} PNG charts; {args.repeat} renders, warm")
    print(
        f"render_page: median {statistics.median(kit):.1f} ms/page "
        f"(min {min(kit):.1f}, max {max(kit):.1f}); page {size:.1f} KB; "
        f"external references: {len(offline)}"
    )
    print(
        f"nbconvert lab template, --no-input: median {statistics.median(default):.1f} ms/page; "
        f"page {len(html[-1].encode('utf-8')) / 1024:.1f} KB; "
        f"external references: {len(report.check_offline(html[-1]))}"
    )


if __name__ == "__main__":
    main()
