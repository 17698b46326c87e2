"""Time the voice-of-customer step on 1,000,000 synthetic responses.

Run: .venv/bin/python benchmarks/voc.py [--rows N] [--n-boot B] [--seed S]

The responses carry NPS, CSAT, CES, eight 1-10 attribute ratings, a survey weight,
segment columns and, for 60% of them, a comment built from a phrase bank (openers, one or
two theme sentences, closers), so that comments repeat as they do in real surveys; 1% carry
personal data (an e-mail, a phone number or a customer's name) that makes them unique.
Each part of the computation is timed on its own with the public functions the step uses,
then :func:`cxlib.voc.analyse` end to end. Prints wall-clock and CPU seconds per part (CPU
time is the fairer figure on a shared machine; BLAS may use more than one core, so CPU can
exceed wall), the number of distinct comments and the process's peak resident memory.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout
from cxlib import redact, stats, text, voc, voc_text  # noqa: E402
from cxlib.drivers import detractor_drivers, key_drivers  # noqa: E402

ATTRIBUTES = [
    "network_coverage",
    "billing_clarity",
    "value_for_money",
    "app_ease",
    "staff_helpfulness",
    "onboarding_ease",
    "issue_resolution",
    "plan_flexibility",
]
BETA = np.array([0.20, 0.45, 0.22, 0.08, 0.08, 0.0, 0.16, 0.06])
CODEFRAME = {
    "version": "1",
    "themes": [
        {"name": "Billing", "keywords": ["bill", "billing", "invoice*", "overcharg*", "charge*"]},
        {"name": "Network", "keywords": ["signal", "coverage", "network*", "dropped call*"]},
        {"name": "Service", "keywords": ["customer service", "agent*", "chat", "on hold"]},
        {"name": "App", "keywords": ["app", "website", "log in", "login", "crash*"]},
        {"name": "Price", "keywords": ["price*", "expensive", "value for money", "deal*"]},
        {"name": "Onboarding", "keywords": ["activation", "activat*", "sim", "set up"]},
    ],
}
SENTENCES = {
    "Billing": [
        "I was overcharged again this month.",
        "The bill is impossible to read.",
        "Charged twice for the same month.",
        "My bill is always clear, no surprises.",
        "Unexpected charges on my invoice again.",
    ],
    "Network": [
        "No signal at all in my house.",
        "Dropped calls every day on my commute.",
        "Coverage is excellent where I live.",
        "The network goes down every few weeks.",
    ],
    "Service": [
        "The chat agent disconnected me twice.",
        "I was on hold for 40 minutes.",
        "Customer service sorted everything in one call.",
        "The agent was friendly and quick.",
    ],
    "App": [
        "The app keeps crashing.",
        "I can't log in to the website.",
        "The app is brilliant and easy to use.",
    ],
    "Price": [
        "Far too expensive for what you get.",
        "Good value for money.",
        "The price went up again.",
    ],
    "Onboarding": ["Activation took three days.", "Set up was quick and easy."],
    "Roaming": [
        "Roaming abroad is far too complicated.",
        "The travel pass never worked in Spain.",
        "The daily roaming fee is ridiculous.",
    ],
}
OPENERS = ["", "", "", "Honestly?", "Quick feedback.", "Long-time customer here.", "To be honest,"]
CLOSERS = ["", "", "", "Thanks!", "Please sort this out.", "Very happy overall.", "Do better."]
NAMES = ["Olivia", "Noah", "Amelia", "George", "Aisha", "Mohammed", "Priya", "Leo"]
SURNAMES = ["Smith", "Jones", "Patel", "Khan", "Taylor", "Brown", "Wilson", "Evans"]


def make_comments(rng: np.random.Generator, n: int) -> np.ndarray:
    """Comments from the phrase bank (many repeats), 1% with unique personal data."""
    bank = [s for group in SENTENCES.values() for s in group]
    core = np.array(bank, dtype=object)[rng.integers(0, len(bank), n)]
    second = np.where(
        rng.random(n) < 0.3, " " + np.array(bank, dtype=object)[rng.integers(0, len(bank), n)], ""
    )
    opener = np.array(OPENERS, dtype=object)[rng.integers(0, len(OPENERS), n)]
    closer = np.array(CLOSERS, dtype=object)[rng.integers(0, len(CLOSERS), n)]
    text_ = pd.Series(opener + " " + core + second + " " + closer).str.strip().to_numpy(object)
    pii = rng.random(n) < 0.01
    kind = rng.integers(0, 3, n)
    number = pd.Series(rng.integers(0, 1000, n)).astype(str).str.zfill(3).to_numpy(object)
    first = np.array(NAMES, dtype=object)[rng.integers(0, len(NAMES), n)]
    last = np.array(SURNAMES, dtype=object)[rng.integers(0, len(SURNAMES), n)]
    extra = np.select(
        [kind == 0, kind == 1],
        [
            " Mail me at " + first + "." + last + number + "@example.com",
            " Call me on 07700 900" + number,
        ],
        " Regards, " + first + " " + last,
    )
    return np.where(pii, text_ + extra, text_)


def make_data(rows: int, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Responses (one wave) and a customer base with region, channel, tenure, revenue."""
    rng = np.random.default_rng(seed)
    n_cust = max(rows // 2, 10)
    customers = pd.DataFrame(
        {
            "customer_id": np.arange(n_cust),
            "region": pd.Categorical(rng.choice(["North", "South", "East", "West"], n_cust)),
            "primary_channel": pd.Categorical(rng.choice(["app", "web", "store"], n_cust)),
            "tenure_months": rng.integers(1, 150, n_cust).astype(float),
            "annual_revenue": rng.gamma(4, 250, n_cust),
            "first_name": np.array(NAMES)[rng.integers(0, len(NAMES), n_cust)],
            "last_name": np.array(SURNAMES)[rng.integers(0, len(SURNAMES), n_cust)],
        }
    )
    halo = rng.normal(size=rows)
    ratings = np.clip(np.rint(6.5 + 1.2 * halo[:, None] + 1.6 * rng.normal(size=(rows, 8))), 1, 10)
    latent = 7.5 + (ratings - 6.5) @ BETA + rng.normal(0, 1.2, rows)
    nps = np.clip(np.rint(latent), 0, 10)
    has_comment = rng.random(rows) < 0.6
    comments = np.where(has_comment, make_comments(rng, rows), None)
    df = pd.DataFrame(ratings, columns=ATTRIBUTES)
    df.insert(0, "response_id", np.arange(rows))
    df.insert(1, "customer_id", rng.integers(0, n_cust, rows))
    df["survey"] = pd.Categorical(np.where(rng.random(rows) < 0.7, "relationship", "other"))
    df["channel"] = pd.Categorical(rng.choice(["app", "web", "store", "phone"], rows))
    df["nps"] = nps
    df["csat"] = np.clip(np.rint(3.6 + 0.45 * (latent - 7.5) + rng.normal(0, 0.6, rows)), 1, 5)
    df["ces"] = np.clip(np.rint(4.5 + 0.4 * (latent - 7.5) + rng.normal(0, 0.9, rows)), 1, 7)
    df["comment"] = comments
    df["weight"] = rng.uniform(0.6, 1.6, rows)
    return df, customers


def _timed(label: str, fn, times: dict[str, tuple[float, float]]):
    """Run ``fn`` and print its wall-clock and CPU seconds (CPU: this process, all threads)."""
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    times[label] = (time.perf_counter() - wall, time.process_time() - cpu)
    print(f"  {label:<42s} {times[label][0]:7.2f} s wall {times[label][1]:7.2f} s CPU", flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--n-boot", type=int, default=500)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    times: dict[str, tuple[float, float]] = {}
    print(f"rows={args.rows:,} attributes={len(ATTRIBUTES)} n_boot={args.n_boot}")
    df, customers = _timed("generate data", lambda: make_data(args.rows, args.seed), times)
    comments = df["comment"]
    n_comments = int(comments.notna().sum())
    n_distinct = int(comments.nunique())
    print(f"  comments: {n_comments:,}, distinct: {n_distinct:,}")
    segs = voc.attach_segments(df, customers=customers)
    print("parts (each timed on its own):")
    _timed("headline metrics (NPS, CSAT, CES)", lambda: voc.headline_metrics(df, weight="weight"),
           times)  # fmt: skip
    _timed(
        "segment tables (region, channel)",
        lambda: voc.segment_table(segs, segments=["region", "channel"], weight="weight"),
        times,
    )
    _timed("segment tests, NPS only (stats)",
           lambda: stats.segment_tests(segs, by="region", weight="weight"), times)  # fmt: skip
    codes, uniques = voc_text._distinct(comments)
    _timed("sentiment (VADER, distinct texts)", lambda: text.sentiment(uniques), times)
    _timed("tagging (codeframe, distinct texts)", lambda: text.tag_themes(uniques, CODEFRAME),
           times)  # fmt: skip
    names = sorted(set(customers["first_name"]) | set(customers["last_name"]))
    _timed("redaction (distinct texts)", lambda: redact.redact(uniques, names=names), times)
    ca = _timed(
        "comments end to end (all three, mapped)",
        lambda: voc_text.analyse_comments(comments, CODEFRAME, names=names),
        times,
    )
    _timed(
        "theme table (impact, concentration)",
        lambda: voc_text.theme_table(
            df.assign(sentiment=ca.sentiment["compound"]), ca.tags, weight="weight"
        ),  # fmt: skip
        times,
    )
    _timed(
        f"key drivers, Shapley, {args.n_boot} bootstraps",
        lambda: key_drivers(df, attributes=ATTRIBUTES, weight="weight", n_boot=args.n_boot),
        times,
    )
    _timed("detractor logit", lambda: detractor_drivers(df, attributes=ATTRIBUTES,
                                                        weight="weight"), times)  # fmt: skip
    _timed("suggested themes (TF-IDF + NMF)", lambda: text.suggest_themes(ca.redacted, ca.tags),
           times)  # fmt: skip
    print("whole step:")
    _timed(
        "voc.analyse end to end",
        lambda: voc.analyse(
            df,
            codeframe=CODEFRAME,
            attributes=ATTRIBUTES,
            customers=customers,
            n_boot=args.n_boot,
            seed=args.seed,
        ),  # fmt: skip
        times,
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory: {peak:,.0f} MB")


if __name__ == "__main__":
    main()
