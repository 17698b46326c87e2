"""Time ``cxlib.ingest.ingest`` on a generated 1,000,000-row responses export.

Usage::

    .venv/bin/python benchmarks/ingest.py [--rows 1000000] [--seed 0]

Writes a customers file and a responses CSV (ids, wave, ISO dates, survey type, touchpoint,
NPS/CSAT/CES, two attribute ratings, a comment, a weight; about 1% of NPS cells hold the
declared non-substantive code 99 and 1% are written with their label, "9 - Extremely
likely") into a temporary engagement folder, then prints the seconds taken by ``ingest``
(read, coerce, validate, write Parquet) and the rows per second. Nothing is kept.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from cxlib.ingest import ingest

ENGAGEMENT = """\
client: {name: Benchmark Ltd}
waves: {labels: ["2026Q1", "2026Q3"], baseline: "2026Q1"}
survey:
  attributes: [speed, friendliness]
  non_substantive_codes: {nps: [99]}
inputs:
  customers: {file: inputs/customers.csv}
  responses:
    file: inputs/responses.csv
    columns: {RespID: response_id, Cust: customer_id, Wave: wave, When: responded_at,
              Likely to recommend: nps, Satisfaction: csat, Effort: ces, Speed: speed,
              Friendliness: friendliness, Verbatim: comment, Weight: weight,
              Touchpoint: touchpoint_id, Survey: survey}
"""


def write_engagement(folder: Path, rows: int, seed: int) -> None:
    """Write engagement.yaml and the two input files."""
    rng = np.random.default_rng(seed)
    inputs = folder / "inputs"
    inputs.mkdir(parents=True)
    (folder / "engagement.yaml").write_text(ENGAGEMENT, encoding="utf-8")
    n_customers = max(rows // 5, 1)
    customer_ids = pd.Series(np.arange(n_customers)).map("C{:07d}".format)
    pd.DataFrame(
        {"customer_id": customer_ids, "region": rng.choice(["N", "S"], n_customers)}
    ).to_csv(inputs / "customers.csv", index=False)
    nps = rng.integers(0, 11, rows).astype(str).astype(object)
    nps[rng.random(rows) < 0.01] = "99"
    nps[rng.random(rows) < 0.01] = "9 - Extremely likely"
    start = np.datetime64("2026-01-01T00:00:00")
    when = start + rng.integers(0, 180 * 86400, rows).astype("timedelta64[s]")
    frame = pd.DataFrame(
        {
            "RespID": pd.Series(np.arange(rows)).map("R{:08d}".format),
            "Cust": customer_ids.to_numpy()[rng.integers(0, n_customers, rows)],
            "Wave": rng.choice(["2026Q1", "2026Q3"], rows),
            "When": pd.Series(when).dt.strftime("%Y-%m-%d %H:%M:%S"),
            "Survey": rng.choice(["relationship", "transactional"], rows),
            "Touchpoint": rng.choice(["TP1", "TP2", "TP3"], rows),
            "Likely to recommend": nps,
            "Satisfaction": rng.integers(1, 6, rows),
            "Effort": rng.integers(1, 8, rows),
            "Speed": rng.integers(1, 6, rows),
            "Friendliness": rng.integers(1, 6, rows),
            "Verbatim": rng.choice(["Great, thanks", "Too slow", "", "Billing was wrong"], rows),
            "Weight": rng.uniform(0.5, 2.0, rows).round(3),
        }
    )
    frame.to_csv(inputs / "responses.csv", index=False)


def main() -> None:
    """Generate, ingest, print the timing."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "engagement"
        write_engagement(folder, args.rows, args.seed)
        size = (folder / "inputs" / "responses.csv").stat().st_size / 1e6
        started = time.perf_counter()
        report = ingest(folder, Path(tmp) / "clean")
        seconds = time.perf_counter() - started
        total = sum(report.rows.values())
        print(f"responses.csv: {args.rows:,} rows, {size:.0f} MB")
        print(f"ingest (read, coerce, validate, write parquet): {seconds:.2f} s")
        print(f"rows per second: {total / seconds:,.0f} (all tables, {total:,} rows)")
        print(f"repairs listed: {len(report.repairs):,}")


if __name__ == "__main__":
    main()
