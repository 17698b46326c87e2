"""Regenerate tests/reference/kpi_reference_values.py from statsmodels and scipy.

Run from the repository root:  .venv/bin/python tests/reference/kpi_make_reference.py
The calls below are exactly the ones whose results are stored; the KPI tests compare cxlib
(kpi_health, kpi_outcomes, kpi_targets, remeasure) against the stored values.
"""

from __future__ import annotations

import pprint
from pathlib import Path

# Churn of a wave's respondents by NPS group (made-up counts, large enough for stable fits):
# group -> (customers, churned).
CHURN_COUNTS = {"detractor": (180, 52), "passive": (240, 31), "promoter": (380, 27)}


def _churn_rows():
    import numpy as np

    group, churned, score = [], [], []
    scores = {"detractor": (2, 5), "passive": (7, 8), "promoter": (9, 10)}
    for name, (n, c) in CHURN_COUNTS.items():
        group += [name] * n
        churned += [1.0] * c + [0.0] * (n - c)
        lo, hi = scores[name]
        score += [lo + (i % (hi - lo + 1)) for i in range(n)]
    return np.array(group), np.array(churned), np.array(score, dtype=float)


def build() -> dict:
    import numpy as np
    import scipy
    import statsmodels
    import statsmodels.api as sm
    from scipy import stats as sps
    from statsmodels.stats.power import NormalIndPower, TTestIndPower
    from statsmodels.stats.proportion import (
        confint_proportions_2indep,
        proportion_effectsize,
        proportions_ztest,
    )
    from statsmodels.stats.rates import confint_poisson, test_poisson_2indep

    out: dict = {"versions": {"statsmodels": statsmodels.__version__, "scipy": scipy.__version__}}
    # Garwood exact Poisson interval: confint_poisson(count, exposure, method="exact-c", alpha)
    out["poisson_exact"] = [
        (k, t, conf, *map(float, confint_poisson(k, t, method="exact-c", alpha=1 - conf)))
        for k, t, conf in ((10, 1.0, 0.95), (0, 3.0, 0.95), (9, 3.0, 0.95), (25, 6.0, 0.90))
    ]
    # Exact conditional test of two Poisson rates (ratio = 1):
    # test_poisson_2indep(k1, t1, k2, t2, method="exact-cond").pvalue
    out["poisson_2indep"] = [
        (k1, t1, k2, t2, float(test_poisson_2indep(k1, t1, k2, t2, method="exact-cond").pvalue))
        for k1, t1, k2, t2 in ((12, 3.0, 5, 3.0), (4, 6.0, 9, 3.0), (30, 6.0, 20, 6.0))
    ]
    # Shares: proportions_ztest([k1, k2], [n1, n2]) and
    # confint_proportions_2indep(k1, n1, k2, n2, method="newcomb")
    shares = []
    for k1, n1, k2, n2 in ((240, 400, 200, 400), (336 * 0.62, 336, 330 * 0.42, 330)):
        z, p = proportions_ztest([k1, k2], [n1, n2])
        low, high = confint_proportions_2indep(k1, n1, k2, n2, method="newcomb")
        shares.append((k1, n1, k2, n2, float(z), float(p), float(low), float(high)))
    out["two_proportions"] = shares
    # Welch from summaries: ttest_ind_from_stats(m1, s1, n1, m2, s2, n2, equal_var=False)
    welch = []
    for m1, s1, n1, m2, s2, n2 in (
        (5.01, 1.31, 355, 4.41, 1.45, 330),
        (4.2, 1.0, 40, 4.0, 2.0, 60),
    ):
        r = sps.ttest_ind_from_stats(m1, s1, n1, m2, s2, n2, equal_var=False)
        welch.append((m1, s1, n1, m2, s2, n2, float(r.statistic), float(r.pvalue)))
    out["welch_summary"] = welch
    # Churn link: GLM(churned, [1, detractor, passive], Binomial()).fit() -> exp(params), Wald CI
    # and GLM(churned, [1, score], Binomial()).fit() for the per-point odds ratio.
    group, churned, score = _churn_rows()
    x = np.column_stack([(group == "detractor"), (group == "passive")]).astype(float)
    fit = sm.GLM(churned, sm.add_constant(x), family=sm.families.Binomial()).fit()
    ci = fit.conf_int(alpha=0.05)
    out["odds_ratio_detractor"] = tuple(
        float(v) for v in (np.exp(fit.params[1]), np.exp(ci[1, 0]), np.exp(ci[1, 1]))
    )
    fit = sm.GLM(churned, sm.add_constant(score), family=sm.families.Binomial()).fit()
    ci = fit.conf_int(alpha=0.05)
    out["odds_ratio_per_point"] = tuple(
        float(v) for v in (np.exp(fit.params[1]), np.exp(ci[1, 0]), np.exp(ci[1, 1]))
    )
    # Sample sizes: NormalIndPower().solve_power(proportion_effectsize(p1, p0), alpha, power)
    # and TTestIndPower().solve_power(delta / sd, alpha, power)
    out["normal_ind_power"] = [
        (
            p0,
            p1,
            float(
                NormalIndPower().solve_power(proportion_effectsize(p1, p0), alpha=0.05, power=0.8)
            ),
        )
        for p0, p1 in ((0.605, 0.8), (0.732, 0.75))
    ]
    out["ttest_ind_power"] = [
        (sd, d, float(TTestIndPower().solve_power(d / sd, alpha=0.05, power=0.8)))
        for sd, d in ((1.45, 0.78), (600.0, -120.0))
    ]
    return out


def main() -> None:
    values = build()
    path = Path(__file__).with_name("kpi_reference_values.py")
    head = '''"""Reference values for the KPI tests (generated; do not edit by hand).

Produced by tests/reference/kpi_make_reference.py with statsmodels {sm} and scipy {sp}:
- poisson_exact: statsmodels.stats.rates.confint_poisson(k, t, method="exact-c",
  alpha=1-conf) -> (k, t, conf, low, high)
- poisson_2indep: statsmodels.stats.rates.test_poisson_2indep(k1, t1, k2, t2,
  method="exact-cond").pvalue -> (k1, t1, k2, t2, p)
- two_proportions: statsmodels proportions_ztest([k1, k2], [n1, n2]) and
  confint_proportions_2indep(k1, n1, k2, n2, method="newcomb") -> (k1, n1, k2, n2, z, p, lo, hi)
- welch_summary: scipy.stats.ttest_ind_from_stats(m1, s1, n1, m2, s2, n2, equal_var=False)
  -> (m1, s1, n1, m2, s2, n2, t, p)
- odds_ratio_detractor / odds_ratio_per_point: statsmodels GLM(churned, const + dummies or
  score, family=Binomial()).fit(), exp(coef) and exp(conf_int(0.05)) on CHURN_COUNTS
- normal_ind_power: NormalIndPower().solve_power(proportion_effectsize(p1, p0), alpha=0.05,
  power=0.8) -> (p0, p1, nobs1)
- ttest_ind_power: TTestIndPower().solve_power(d / sd, alpha=0.05, power=0.8) -> (sd, d, nobs1)
"""

CHURN_COUNTS = {churn!r}

VALUES = '''.format(
        sm=values["versions"]["statsmodels"], sp=values["versions"]["scipy"], churn=CHURN_COUNTS
    )
    path.write_text(
        head + pprint.pformat(values, width=96, sort_dicts=True) + "\n", encoding="utf-8"
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
