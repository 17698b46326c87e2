"""Time key_drivers on 1,000,000 rows x 10 attributes with 200 bootstrap replicates.

Run: .venv/bin/python benchmarks/drivers.py [--rows N] [--attributes P] [--n-boot B]
Prints wall-clock seconds for each method, and for the bootstrap-free point estimate.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout
from cxlib.drivers import key_drivers  # noqa: E402


def make_data(rows: int, p: int, seed: int = 0) -> pd.DataFrame:
    """Correlated 1-5 ratings and a 0-10 outcome driven by a few of them."""
    rng = np.random.default_rng(seed)
    common = rng.normal(size=(rows, 1))
    latent = 0.6 * common + 0.8 * rng.normal(size=(rows, p))
    ratings = np.clip(np.rint(3 + latent), 1, 5)
    beta = np.linspace(1.0, 0.1, p)
    nps = np.clip(np.rint(2 + ratings @ beta / beta.sum() * 1.6 + rng.normal(size=rows)), 0, 10)
    df = pd.DataFrame(ratings, columns=[f"a{j + 1:02d}" for j in range(p)])
    df["nps"] = nps
    return df


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--attributes", type=int, default=10)
    parser.add_argument("--n-boot", type=int, default=200)
    args = parser.parse_args()
    df = make_data(args.rows, args.attributes)
    attrs = [c for c in df.columns if c != "nps"]
    print(f"rows={args.rows:,} attributes={len(attrs)} n_boot={args.n_boot}")
    for method in ("shapley", "relative_weights"):
        for n_boot in (0, args.n_boot):
            start = time.perf_counter()
            res = key_drivers(df, attributes=attrs, method=method, n_boot=n_boot, seed=0)
            took = time.perf_counter() - start
            print(
                f"{method:17s} n_boot={n_boot:4d}: {took:6.2f} s  "
                f"(R2={res.r_squared:.4f}, valid replicates={res.n_boot_valid})"
            )


if __name__ == "__main__":
    main()
