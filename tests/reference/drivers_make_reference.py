"""Generate tests/reference/drivers_lmg.csv: LMG (Shapley) importances by brute force.

Tool: Python 3.11, statsmodels 0.15.0, pandas 3.1.1 (the project's .venv).
Call: for every one of the p! orderings of the attributes, add the attributes one at a
time and record the increase in ``statsmodels.api.OLS(y, add_constant(X_S)).fit().rsquared``
(fitted on the raw data, one OLS per subset, cached by subset); LMG of an attribute is its
mean increase over all orderings (Lindeman, Merenda & Gold 1980; Groemping 2006,
doi:10.18637/jss.v017.i01, the ``lmg`` metric of R's relaimpo). This shares no code with
cxlib.drivers, which works from the correlation matrix and subset weights instead.

Run from the repository root:  .venv/bin/python tests/reference/drivers_make_reference.py
Inputs: ../shared/fixtures/external/reference_inputs/{attitude,mtcars}.csv (R datasets).
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pandas as pd
import statsmodels.api as sm

HERE = Path(__file__).resolve().parent
EXTERNAL = HERE.parents[1].parent / "shared" / "fixtures" / "external" / "reference_inputs"

MODELS = [
    (
        "attitude",
        "rating",
        ["complaints", "privileges", "learning", "raises", "critical", "advance"],
    ),
    ("mtcars", "mpg", ["cyl", "disp", "hp", "wt"]),
    ("mtcars", "mpg", ["cyl", "disp", "hp", "drat", "wt", "qsec", "vs", "am"]),
]

HEADER = """\
# LMG (Shapley value / general dominance) shares of R^2, computed by brute force.
# Generator: tests/reference/drivers_make_reference.py (statsmodels 0.15.0 OLS rsquared on the raw
# data, averaged over all p! orderings of the attributes; 720, 24 and 40320 orderings).
# Data: R datasets attitude (rating ~ complaints+privileges+learning+raises+critical+advance) and
# mtcars (mpg ~ cyl+disp+hp+wt; mpg ~ cyl+disp+hp+drat+wt+qsec+vs+am), files under
# shared/fixtures/external/reference_inputs/.
# These are not copied from a publication: no printed relaimpo LMG table for these models could be
# confirmed. Full-model R^2 agrees with R's summary(lm(rating ~ ., attitude)) (0.7326) and
# summary(lm(mpg ~ cyl + disp + hp + wt, mtcars)) (0.8486).
# Cross-check, run once and not part of CI: PyPI dominance-analysis 1.1.9,
# Dominance(data=df[[y] + X], target=y, objective=1, top_k=len(X)); incremental_rsquare();
# dominance_stats()["Total Dominance"] gave the same values to the 6 decimals it prints.
"""


def lmg(df: pd.DataFrame, y: str, xs: list[str]) -> tuple[dict[str, float], float]:
    cache: dict[frozenset[str], float] = {frozenset(): 0.0}

    def r2(subset: frozenset[str]) -> float:
        if subset not in cache:
            cols = sorted(subset)
            cache[subset] = sm.OLS(df[y], sm.add_constant(df[cols])).fit().rsquared
        return cache[subset]

    totals = dict.fromkeys(xs, 0.0)
    count = 0
    for order in itertools.permutations(xs):
        count += 1
        before: frozenset[str] = frozenset()
        for x in order:
            after = before | {x}
            totals[x] += r2(after) - r2(before)
            before = after
    return {x: t / count for x, t in totals.items()}, r2(frozenset(xs))


def main() -> None:
    frames = {
        "attitude": pd.read_csv(EXTERNAL / "attitude.csv"),
        "mtcars": pd.read_csv(EXTERNAL / "mtcars.csv", index_col=0),
    }
    rows = []
    for dataset, y, xs in MODELS:
        shares, total = lmg(frames[dataset], y, xs)
        model = f"{y} ~ {' + '.join(xs)}"
        for x in xs:
            rows.append(
                {
                    "dataset": dataset,
                    "model": model,
                    "outcome": y,
                    "attribute": x,
                    "lmg": f"{shares[x]:.12f}",
                    "r_squared": f"{total:.12f}",
                }
            )
    out = HERE / "drivers_lmg.csv"
    with out.open("w") as fh:
        fh.write(HEADER)
        pd.DataFrame(rows).to_csv(fh, index=False, lineterminator="\n")


if __name__ == "__main__":
    main()
