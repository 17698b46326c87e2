"""Generate the synthetic demo engagement "Northwind Mobile" (consultant: Harbour CX Partners).

Usage::

    python data/demo/generate.py [--out FOLDER] [--seed N]

Writes a complete engagement folder (``engagement.yaml``, ``codeframe.yaml``, ``inputs/*.csv``,
``assets/logo.svg``, ``README.md``) plus ``truth/`` (the planted answers tests check against).
Everything comes from one ``numpy.random.default_rng(2026)``, drawn in a fixed order, so two
runs give byte-identical files. All tables are built with vectorised numpy/pandas.

The story: a UK mobile operator; customers active on 2025-10-01 plus those who joined up to
2026-09-30; a year of journey events (October 2025 to September 2026); a relationship and a
transactional survey in two waves (2026Q1 baseline, 2026Q3); churn observed from October to
December 2026. The model is in ``northwind/model.py`` and ``northwind/survey.py``; the
planted effects are listed in ``truth/effects.yaml`` and in the README's last section.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from northwind import config_text, layout, measure, model, report_text, survey  # noqa: E402
from northwind.comments import add_comments  # noqa: E402

# --------------------------------------------------------------------------- main


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False, lineterminator="\n", encoding="utf-8")


def _write_text(text: str, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8"))


def build(out: Path, seed: int = model.SEED) -> dict:
    """Simulate every table, write the engagement folder into ``out``, return the facts."""
    rng = np.random.default_rng(seed)
    cust = model.make_customers(rng)
    ev = model.make_events(rng, cust)
    contacts, breach = survey.make_contacts(rng, cust, ev)
    resp = survey.make_responses(rng, cust, ev, contacts)
    resp = survey.add_missing(rng, resp)
    resp, ctruth = add_comments(rng, resp, cust)
    resp["weight"] = survey.add_weights(resp, cust)
    cust = survey.add_churn(rng, cust, resp)
    pulse = survey.make_pulse(rng)

    tables = layout.client_tables(cust, ev, resp, contacts, pulse)
    for key, frame in tables.items():
        _write_csv(frame, out / layout.FILES[key])
    truth = {
        "truth/segments.csv": cust[["customer_id", "segment"]],
        "truth/comments.csv": ctruth.assign(
            response_id=resp["response_id"].to_numpy()[ctruth["row"]]
        )[["response_id", "language", "polarity", "theme", "theme2", "pii"]],
    }
    for name, frame in truth.items():
        _write_csv(frame, out / name)
    engagement = config_text.engagement_yaml(layout.HEADERS, layout.FILES)
    engagement = engagement.replace(
        "{touchpoints}", config_text.touchpoints_yaml(model.TOUCHPOINTS)
    )
    _write_text(engagement, out / "engagement.yaml")
    _write_text(config_text.codeframe_yaml(), out / "codeframe.yaml")
    _write_text(config_text.LOGO_SVG, out / "assets" / "logo.svg")

    facts = measure.measure(cust, ev, resp, contacts, pulse, ctruth)
    facts["contacts"]["customers_in_planted_bursts"] = len(breach)
    catalogue = {layout.FILES[k]: f for k, f in tables.items()} | truth
    planted = {**model.planted(), "seed": seed}
    _write_text(report_text.effects_yaml(facts, planted), out / "truth" / "effects.yaml")
    _write_text(report_text.readme(facts, planted, catalogue), out / "README.md")
    return facts


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", type=Path, default=HERE, help="output folder (default: data/demo)"
    )
    parser.add_argument(
        "--seed", type=int, default=model.SEED, help=f"random seed (default: {model.SEED})"
    )
    args = parser.parse_args(argv)
    build(args.out, seed=args.seed)


if __name__ == "__main__":
    main()
