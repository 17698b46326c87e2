"""Print timings of the VoC compute hot paths on synthetic data.

    .venv/bin/python benchmarks/voc_stats.py

- stats.nps on 1,000,000 responses x 20 segments (int, category and str keys; weighted)
- stats.segment_tests on the same table
- text.sentiment on 100,000 comments of which 30% repeat an earlier comment, against
  scoring every comment with VADER directly
- text.tag_themes and redact.redact on the same comments

Machines drift by 20-25% between runs; compare ratios within one run.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from cxlib import redact, stats, text

WORDS = (
    "billing bill invoice charge delivery parcel late driver staff agent helpful rude app "
    "login crash website slow fast price expensive cheap refund return store queue manager "
    "quality broken great good bad terrible excellent friendly service support call wait "
    "hours weeks days again never always still really very not no easy hard"
).split()

CODEFRAME = {
    "version": "1",
    "themes": [
        {"name": "Billing", "keywords": ["bill*", "invoice", "charge*", "refund"]},
        {"name": "Delivery", "keywords": ["deliver*", "parcel", "driver", "late"]},
        {"name": "Staff", "keywords": ["staff", "agent*", "manager", "rude", "friendly"]},
        {"name": "Digital", "keywords": ["app", "login", "website", "crash*"]},
        {"name": "Price", "keywords": ["price", "expensive", "cheap"]},
    ],
}


def _time(label: str, func, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        best = min(best, time.perf_counter() - start)
    print(f"{label:<62s} {best:8.3f} s")
    return best


def responses(n: int = 1_000_000, k: int = 20, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    seg = rng.integers(0, k, n)
    df = pd.DataFrame(
        {
            "nps": rng.integers(0, 11, n).astype(float),
            "seg_int": seg,
            "seg_cat": pd.Categorical.from_codes(seg, [f"segment {i:02d}" for i in range(k)]),
            "seg_str": pd.Series([f"segment {i:02d}" for i in range(k)])[seg].to_numpy(),
            "weight": rng.uniform(0.5, 2.0, n),
        }
    )
    df.loc[rng.random(n) < 0.05, "nps"] = np.nan
    return df


def comments(n: int = 100_000, duplicate_share: float = 0.3, seed: int = 1) -> pd.Series:
    rng = np.random.default_rng(seed)
    n_unique = int(n * (1 - duplicate_share))
    lengths = rng.integers(4, 16, n_unique)
    picks = rng.integers(0, len(WORDS), lengths.sum())
    cuts = np.cumsum(lengths)[:-1]
    unique = [" ".join(WORDS[i] for i in chunk) + "." for chunk in np.split(picks, cuts)]
    repeats = rng.integers(0, n_unique, n - n_unique)
    values = np.array(unique + [unique[i] for i in repeats], dtype=object)
    return pd.Series(values[rng.permutation(n)])


def main() -> None:
    df = responses()
    print(f"responses: {len(df):,} rows, {df['seg_int'].nunique()} segments")
    for key in ["seg_int", "seg_cat", "seg_str"]:
        _time(f"stats.nps(by={key!r})", lambda key=key: stats.nps(df, by=key))
    _time(
        "stats.nps(by='seg_int', weight='weight')",
        lambda: stats.nps(df, by="seg_int", weight="weight"),
    )
    _time("stats.segment_tests(by='seg_int')", lambda: stats.segment_tests(df, by="seg_int"))

    s = comments()
    print(f"\ncomments: {len(s):,}, distinct {s.nunique():,}")
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()
    naive = _time(
        "VADER on every comment (no de-duplication)",
        lambda: [analyzer.polarity_scores(t) for t in s],
        repeat=1,
    )
    dedup = _time(
        "text.sentiment (distinct texts scored once)", lambda: text.sentiment(s), repeat=1
    )
    print(f"{'speed-up from de-duplication':<62s} {naive / dedup:8.2f} x")
    _time("text.tag_themes (5 themes)", lambda: text.tag_themes(s, CODEFRAME), repeat=1)
    _time("redact.redact (no names)", lambda: redact.redact(s), repeat=1)


if __name__ == "__main__":
    main()
