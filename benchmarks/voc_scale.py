"""How the voice-of-customer analysis scales: 10k, 100k and 1M responses, against a plain approach.

Run: .venv/bin/python benchmarks/voc_scale.py [--sizes 10000 100000 1000000] [--n-boot 1000]

For each size, synthetic responses with comments (the generator of ``benchmarks/voc.py``:
NPS, CSAT, CES, eight attribute ratings, weights, segments, 60% with a comment, 1% of
those with personal data) are written as a client's CSV exports, then, in a fresh
subprocess, loaded with :func:`cxlib.ingest.ingest` (read, coerce, validate, Parquet) and
analysed with :func:`cxlib.voc.analyse`
(headline metrics, segment tables and pairwise tests, redaction, sentiment, themes,
suggested themes, Shapley key drivers with ``--n-boot`` bootstraps, detractor model,
response bias and raking, close-the-loop list). Printed per size: seconds
from the CSV files to the finished analysis (load and analysis, also shown apart; data
generation excluded; wall clock, and CPU time, the fairer figure on a shared machine) and
the subprocess's peak resident memory
(``resource.getrusage(RUSAGE_SELF).ru_maxrss``, data included).

The plain approach, on the same data: metrics and segment tables by ``pandas.apply`` row by
row and ``groupby``; ``vaderSentiment`` on every comment (no deduplication); themes by
applying the codeframe's regular expressions to every comment; Shapley values from one
``statsmodels`` OLS fit per subset of attributes (2^8 = 256 fits) for the estimate and for
each bootstrap replicate. The plain approach is too slow to run in full beyond small sizes,
so its row-wise parts (metrics, sentiment, themes) are measured on the first
``--plain-rows`` rows and scaled linearly to the size, and its Shapley part is measured on
every row with ``--plain-boot`` bootstrap replicates (plus the estimate) and scaled
linearly to ``--n-boot`` replicates; every extrapolated figure is labelled as such.
"""

from __future__ import annotations

import argparse
import itertools
import json
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # run from a checkout
sys.path.insert(0, str(HERE))
from voc import ATTRIBUTES, CODEFRAME, make_data  # noqa: E402


def _write_client(folder: Path, df: pd.DataFrame, customers: pd.DataFrame) -> None:
    """Write the generated data as a client's CSV exports with its engagement.yaml."""
    (folder / "inputs").mkdir(parents=True)
    (folder / "engagement.yaml").write_text(
        'client: {name: Benchmark Ltd}\nwaves: {labels: ["2026Q1"], baseline: "2026Q1"}\n'
        f"survey:\n  attribute_scale: [1, 10]\n  attributes: [{', '.join(ATTRIBUTES)}]\n"
        "inputs:\n  customers: {file: inputs/customers.csv}\n"
        "  responses: {file: inputs/responses.csv}\n",
        encoding="utf-8",
    )
    surveys = df["survey"].astype(str).replace({"other": "transactional"})
    df.assign(wave="2026Q1", survey=surveys).to_csv(folder / "inputs/responses.csv", index=False)
    customers.to_csv(folder / "inputs/customers.csv", index=False)


def _fast(rows: int, n_boot: int, seed: int) -> dict:
    from cxlib import voc
    from cxlib.ingest import ingest

    df, customers = make_data(rows, seed)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "client"
        _write_client(folder, df, customers)
        del df, customers
        t0, c0 = time.perf_counter(), time.process_time()
        report = ingest(folder, folder / "clean")  # read, coerce, validate, write Parquet
        if not report.ok:
            raise SystemExit(f"generated data failed validation: {report}")
        df = pd.read_parquet(folder / "clean" / "responses.parquet")
        customers = pd.read_parquet(folder / "clean" / "customers.parquet")
        load = time.perf_counter() - t0
    t1 = time.perf_counter()
    res = voc.analyse(
        df, codeframe=CODEFRAME, attributes=ATTRIBUTES, customers=customers,
        n_boot=n_boot, seed=seed,
    )  # fmt: skip
    end = time.perf_counter()
    cpu = time.process_time() - c0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "seconds": end - t0,
        "load_seconds": load,
        "analysis_seconds": end - t1,
        "cpu_seconds": cpu,
        "peak_mb": peak_mb,
        "n_boot_valid": None if res.drivers is None else res.drivers.n_boot_valid,
        "n_distinct_comments": res.n_distinct_comments,
    }


def _nps_row(x: float) -> float:
    if np.isnan(x):
        return np.nan
    return 100.0 if x >= 9 else (-100.0 if x <= 6 else 0.0)


def _plain_metrics(df: pd.DataFrame) -> None:
    d = df.assign(
        nps_points=df["nps"].apply(_nps_row),
        top2=df["csat"].apply(lambda v: float(v >= 4)),
        weight_nps=df.apply(lambda r: r["weight"] * _nps_row(r["nps"]), axis=1),
    )
    for seg in ("channel", "survey"):
        g = d.groupby(seg, observed=True)
        g["nps_points"].agg(["mean", "std", "count"])
        g["top2"].agg(["mean", "count"])
        g["ces"].agg(["mean", "std", "count"])


def _plain_text(comments: pd.Series) -> None:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    sia = SentimentIntensityAnalyzer()
    live = comments.dropna()
    live.apply(lambda t: sia.polarity_scores(t)["compound"])
    for theme in CODEFRAME["themes"]:
        words = [re.escape(k).replace(r"\*", r"\w*") for k in theme["keywords"]]
        pattern = re.compile(r"(?i)\b(?:" + "|".join(words) + r")\b")
        live.apply(lambda t, p=pattern: bool(p.search(t)))


def _plain_shapley(df: pd.DataFrame) -> np.ndarray:
    import statsmodels.api as sm

    y = df["nps"].to_numpy(float)
    x = df[ATTRIBUTES].to_numpy(float)
    k = len(ATTRIBUTES)
    r2 = {(): 0.0}
    for size in range(1, k + 1):
        for subset in itertools.combinations(range(k), size):
            r2[subset] = sm.OLS(y, sm.add_constant(x[:, subset])).fit().rsquared
    from math import factorial

    shap = np.zeros(k)
    for j in range(k):
        others = [i for i in range(k) if i != j]
        for size in range(k):
            w = factorial(size) * factorial(k - size - 1) / factorial(k)
            for s in itertools.combinations(others, size):
                shap[j] += w * (r2[tuple(sorted((*s, j)))] - r2[s])
    return shap


def _plain(rows: int, n_boot: int, seed: int, plain_rows: int, plain_boot: int) -> dict:
    df, _ = make_data(rows, seed)
    sub = df.iloc[: min(rows, plain_rows)]
    scale = rows / len(sub)
    out = {"rows_measured": len(sub), "scale_rows": scale}
    t0 = time.perf_counter()
    _plain_metrics(sub)
    out["metrics"] = (time.perf_counter() - t0) * scale
    t0 = time.perf_counter()
    _plain_text(sub["comment"])
    out["text"] = (time.perf_counter() - t0) * scale
    rng = np.random.default_rng(seed)
    t0 = time.perf_counter()
    _plain_shapley(df)  # every row: OLS cost is not linear at small n, so not scaled
    for _ in range(plain_boot):
        _plain_shapley(df.iloc[rng.integers(0, rows, rows)])
    per_fit = (time.perf_counter() - t0) / (plain_boot + 1)
    out["drivers"] = per_fit * (n_boot + 1)
    out["boot_measured"] = plain_boot
    out["seconds"] = out["metrics"] + out["text"] + out["drivers"]
    return out


def _child(args: list[str]) -> dict:
    cmd = [sys.executable, __file__, *args]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--n-boot", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--plain-rows", type=int, default=10_000)
    parser.add_argument("--plain-boot", type=int, default=0)
    parser.add_argument("--child", choices=["fast", "plain"])
    parser.add_argument("--rows", type=int)
    args = parser.parse_args()
    if args.child == "fast":
        print(json.dumps(_fast(args.rows, args.n_boot, args.seed)))
        return
    if args.child == "plain":
        print(json.dumps(_plain(args.rows, args.n_boot, args.seed, args.plain_rows,
                                args.plain_boot)))  # fmt: skip
        return
    common = ["--n-boot", str(args.n_boot), "--seed", str(args.seed)]
    print(f"VoC analysis, {len(ATTRIBUTES)} attributes, {args.n_boot} bootstraps")
    print(f"{'rows':>10} {'seconds':>8} {'peak MB':>8} {'s/1k rows':>9} "
          f"{'plain s':>10} {'speed-up':>8}  plain measured on")  # fmt: skip
    rows_prev = None
    for rows in args.sizes:
        fast = _child(["--child", "fast", "--rows", str(rows), *common])
        plain = _child(["--child", "plain", "--rows", str(rows), *common,
                        "--plain-rows", str(args.plain_rows),
                        "--plain-boot", str(args.plain_boot)])  # fmt: skip
        extrapolated = plain["scale_rows"] > 1 or plain["boot_measured"] < args.n_boot
        how = f"text/metrics on {plain['rows_measured']:,} rows, Shapley on all rows with "
        how += f"{plain['boot_measured']} bootstraps"
        how += ", extrapolated linearly" if extrapolated else ""
        print(
            f"{rows:>10,} {fast['seconds']:>8.1f} {fast['peak_mb']:>8,.0f} "
            f"{1000 * fast['seconds'] / rows:>9.3f} {plain['seconds']:>10,.0f} "
            f"{plain['seconds'] / fast['seconds']:>7.0f}x  {how}",
            flush=True,
        )
        parts = f"metrics {plain['metrics']:,.1f}, text {plain['text']:,.1f}"
        print(f"{'':>10} plain parts (s): {parts}, drivers {plain['drivers']:,.0f}", flush=True)
        split = f"load {fast['load_seconds']:.1f}, analysis {fast['analysis_seconds']:.1f}"
        print(f"{'':>10} kit (s): {split}; CPU seconds (all threads) {fast['cpu_seconds']:.1f}")
        if rows_prev is not None:
            growth = (fast["seconds"] / rows_prev[1]) / (rows / rows_prev[0])
            print(f"{'':>10} time per row vs previous size: {growth:.2f}x (1 = linear)")
        rows_prev = (rows, fast["seconds"])
    print("Targets: 1M under 60 s and 4 GB; growth no worse than linear; >= 3x plain.")


if __name__ == "__main__":
    main()
