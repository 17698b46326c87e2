"""Reference values for the KPI tests (generated; do not edit by hand).

Produced by tests/reference/kpi_make_reference.py with statsmodels 0.15.0 and scipy 1.17.1:
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

CHURN_COUNTS = {"detractor": (180, 52), "passive": (240, 31), "promoter": (380, 27)}

VALUES = {
    "normal_ind_power": [(0.605, 0.8, 84.1429263785597), (0.732, 0.75, 9295.93219707598)],
    "odds_ratio_detractor": (5.311342592563379, 3.1990371232634196, 8.81839098722298),
    "odds_ratio_per_point": (0.7797915175726421, 0.7229848312591058, 0.8410616441554638),
    "poisson_2indep": [
        (12, 3.0, 5, 3.0, 0.143463134765625),
        (4, 6.0, 9, 3.0, 0.013961411834364806),
        (30, 6.0, 20, 6.0, 0.20263875106454066),
    ],
    "poisson_exact": [
        (10, 1.0, 0.95, 4.7953886961324335, 18.39035604201778),
        (0, 3.0, 0.95, 0.0, 1.2296264847046452),
        (9, 3.0, 0.95, 1.3717910324594447, 5.694934483806389),
        (25, 6.0, 0.9, 2.8970209736251458, 5.819346694987345),
    ],
    "ttest_ind_power": [(1.45, 0.78, 55.22493683698532), (600.0, -120.0, 393.40569300025226)],
    "two_proportions": [
        (
            240,
            400,
            200,
            400,
            2.842676218074805,
            0.004473649256611775,
            0.031052542917004655,
            0.1676159445629446,
        ),
        (
            208.32,
            336,
            138.6,
            330,
            5.165700922802046,
            2.395395525815892e-07,
            0.12444124948441654,
            0.2723467246455908,
        ),
    ],
    "versions": {"scipy": "1.17.1", "statsmodels": "0.15.0"},
    "welch_summary": [
        (5.01, 1.31, 355, 4.41, 1.45, 330, 5.66812698741768, 2.1547015881663415e-08),
        (4.2, 1.0, 40, 4.0, 2.0, 60, 0.6605782590758169, 0.5105338632064299),
    ],
}
