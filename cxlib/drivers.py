"""Key driver analysis: how much of the outcome each attribute rating explains.

Compute layer only: DataFrames in, tidy DataFrames and frozen result objects out.
The linear drivers (:func:`key_drivers`) work from the correlation matrix, so after one
pass over the responses their cost does not depend on the number of rows; the bootstrap
needs only one covariance matrix per replicate, accumulated with BLAS from multinomial
resampling counts.

The logistic detractor model (:func:`detractor_drivers`) and the Martilla-James
importance-performance quadrants (:func:`importance_performance`) live in
:mod:`cxlib.drivers_extra`; they are re-exported here, so ``from cxlib.drivers import
detractor_drivers`` keeps working.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from cxlib.errors import CxError

__all__ = [
    "DetractorResult",  # noqa: F822 (served by __getattr__)
    "DriverDataError",
    "DriverResult",
    "detractor_drivers",  # noqa: F822 (served by __getattr__)
    "importance_performance",  # noqa: F822 (served by __getattr__)
    "key_drivers",
]

# Names defined in cxlib.drivers_extra and served from here on first use (PEP 562), so that
# the two modules can import each other in either order without a cycle at import time.
_EXTRA = ("DetractorResult", "detractor_drivers", "importance_performance")

_METHODS = ("shapley", "relative_weights")
_MAX_SHAPLEY_P = 15  # 2**15 subsets; beyond that use relative weights
_SINGULAR_TOL = 1e-10  # smallest eigenvalue of the attribute correlation matrix
_BOOT_CELLS = 1 << 22  # replicate x row cells held at once while resampling
_SUBSET_BYTES = 128 << 20  # memory for subset residuals per replicate batch


class DriverDataError(CxError, ValueError):
    """The data cannot support the driver model (missing columns, too few rows, collinearity)."""


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return None if math.isnan(value) else float(value)
    if value is pd.NA:
        return None
    return value


def _records(table: pd.DataFrame) -> list[dict[str, Any]]:
    return [{k: _jsonable(v) for k, v in row.items()} for row in table.to_dict("records")]


@dataclass(frozen=True, eq=False)
class DriverResult:
    """Result of :func:`key_drivers`.

    Attributes
    ----------
    importance : pandas.DataFrame
        One row per attribute, most important first: ``attribute``, ``importance`` (share
        of R²), ``importance_pct`` (percent of R²), ``sign``, ``signed_importance``,
        ``std_coef``, ``correlation``, ``ci_low``, ``ci_high``, ``importance_pct_ci_low``,
        ``importance_pct_ci_high``, ``rank``, ``rank_ci_low``, ``rank_ci_high``,
        ``performance`` (mean rating), ``n``, ``small_n``.
    r_squared, r_squared_ci_low, r_squared_ci_high : float
        R² of the full linear model and its bootstrap percentile interval.
    n : int
        Rows used after listwise deletion (rows with zero weight are not counted).
    n_eff : float
        Kish effective sample size, equal to ``n`` when unweighted.
    n_dropped : int
        Rows removed for missing values or zero weight.
    method, outcome : str
        Importance method and outcome column.
    attributes : tuple of str
        Attributes in the order given, which is the column order of ``replicates``.
    n_boot, n_boot_valid : int
        Replicates requested, and those that gave a non-singular model.
    confidence : float
        Coverage of the intervals.
    seed : int or None
        Seed of the bootstrap generator.
    small_n : bool
        True when ``n < min_n``.
    replicates : numpy.ndarray
        Bootstrap importances, shape ``(n_boot, len(attributes))``; NaN rows are invalid.
    """

    importance: pd.DataFrame
    r_squared: float
    r_squared_ci_low: float
    r_squared_ci_high: float
    n: int
    n_eff: float
    n_dropped: int
    method: str
    outcome: str
    attributes: tuple[str, ...]
    n_boot: int
    n_boot_valid: int
    confidence: float
    seed: int | None
    small_n: bool
    replicates: np.ndarray = field(repr=False)

    def to_dict(self) -> dict[str, Any]:
        """Return the result as plain Python types (NaN as None), ready for JSON."""
        out = {k: _jsonable(getattr(self, k)) for k in self.__dataclass_fields__}
        out.pop("replicates")
        out["attributes"] = list(self.attributes)
        out["importance"] = _records(self.importance)
        return out

    def _repr_html_(self) -> str:
        head = (
            f"<p><strong>Key drivers of {html.escape(self.outcome)}</strong> "
            f"({html.escape(self.method)}): R² = {self.r_squared:.4g}, n = {self.n}, "
            f"bootstrap replicates = {self.n_boot_valid}</p>"
        )
        return head + self.importance.to_html(index=False, escape=True)


def _check_options(confidence: float, missing: str, min_n: int) -> None:
    if isinstance(confidence, bool) or not isinstance(confidence, int | float):
        raise TypeError(f"confidence must be a number; found {type(confidence).__name__}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1; found {confidence}")
    if missing not in ("listwise", "raise"):
        raise ValueError(f"missing must be 'listwise' or 'raise'; found {missing!r}")
    if isinstance(min_n, bool) or not isinstance(min_n, int) or min_n < 0:
        raise ValueError(f"min_n must be a non-negative integer; found {min_n!r}")


def _prepare(data, outcome, attributes, weight, missing):
    """Validate columns and return complete-case values, weights, n and rows dropped."""
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a pandas DataFrame; found {type(data).__name__}")
    if isinstance(attributes, str) or attributes is None:
        raise TypeError("attributes must be a list of column names")
    attributes = list(attributes)
    if not attributes:
        raise ValueError("attributes must name at least one column")
    if len(set(attributes)) != len(attributes) or outcome in attributes:
        raise ValueError("attributes must be distinct and must not include the outcome")
    cols = [outcome, *attributes] + ([weight] if weight is not None else [])
    absent = [c for c in cols if c not in data.columns]
    if absent:
        raise DriverDataError(f"columns not found in data: {absent}")
    for c in cols:
        if not pd.api.types.is_numeric_dtype(data[c]):
            raise TypeError(f"column {c!r} must be numeric; found dtype {data[c].dtype}")
    arr = data[cols].to_numpy(dtype=float, na_value=np.nan)
    if np.isinf(arr).any():
        bad = [c for c, b in zip(cols, np.isinf(arr).any(axis=0), strict=True) if b]
        raise DriverDataError(f"infinite values in columns {bad}")
    complete = ~np.isnan(arr).any(axis=1)
    if missing == "raise" and not complete.all():
        raise DriverDataError(f"{int((~complete).sum())} rows have missing values in {cols}")
    arr = arr[complete]
    w = None
    if weight is not None:
        w, arr = arr[:, -1], arr[:, :-1]
        if (w < 0).any():
            raise DriverDataError(f"weight column {weight!r} has negative values")
        arr, w = arr[w > 0], w[w > 0]
    return arr, w, arr.shape[0], len(data) - arr.shape[0]


def _moments(arr, w, names):
    """Weighted means, standard deviations and standardized values (one pass)."""
    sw = float(arr.shape[0]) if w is None else float(w.sum())
    mean = (arr.sum(axis=0) if w is None else w @ arr) / sw
    centred = arr - mean
    cov = (centred.T @ (centred if w is None else centred * w[:, None])) / sw
    sd = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    flat = sd <= 1e-12 * np.maximum(1.0, np.abs(mean))
    if flat.any():
        raise DriverDataError(
            f"no variation in {[n for n, f in zip(names, flat, strict=True) if f]}"
        )
    return mean, cov / np.outer(sd, sd), centred / sd


@lru_cache(maxsize=16)
def _subset_plan(p: int):
    """Subset bit masks grouped by largest member, and the Shapley weight matrix.

    Group m lists S = P + {m} for P = {} and then every subset of groups 0..m-1 in stored
    order, so each group is built from all earlier ones. ``coef`` maps the vector of all
    2**p subset R² (indexed by bit mask) to Shapley values: phi_j = sum_S coef[S, j] R²_S,
    with +w(|S|-1) when j is in S and -w(|S|) otherwise, w(s) = s! (p-s-1)! / p!.
    """
    groups: list[np.ndarray] = []
    for m in range(p):
        groups.append(np.concatenate([np.zeros(1, dtype=np.int64), *groups]) | (1 << m))
    all_masks = np.arange(1 << p)
    size = np.array([m.bit_count() for m in range(1 << p)])
    wt = np.array([math.factorial(s) * math.factorial(p - s - 1) for s in range(p)], float)
    wt /= math.factorial(p)
    coef = np.zeros((1 << p, p))
    for j in range(p):
        has = (all_masks >> j) & 1 == 1
        coef[has, j] = wt[size[has] - 1]
        coef[~has, j] = -wt[size[~has]]
    return groups, coef


def _all_subset_r2(rxx, rxy, groups):
    """R² of every subset from correlations, shape (B, 2**p), by sweeping one attribute at a time.

    For each subset P we keep the residual covariances, given P, of the outcome and of the
    attributes above max(P) (the only ones its supersets in later groups add). Adding m
    is one Schur-complement step, s'_kl = s_kl - s_km s_ml / s_mm, and R²_{P+m} = 1 - s'_yy.
    Work is sum_m 2**m (p-m)² ~ 6 * 2**p updates, in O(p²) vectorised numpy calls.
    """
    b, p = rxy.shape
    full = np.empty((b, 1, p + 1, p + 1))
    full[:, 0, 0, 0] = 1.0
    full[:, 0, 0, 1:] = full[:, 0, 1:, 0] = rxy
    full[:, 0, 1:, 1:] = rxx
    r2 = np.zeros((b, 1 << p))
    store: list[np.ndarray] = []  # group m: residuals over [y, m+1, ..., p-1]
    for m in range(p):
        pieces = []
        for src, off in [(full, -1), *((store[g], g) for g in range(m))]:
            keep, piv = np.r_[0, m + 1 - off : p - off], m - off
            sk = src[:, :, keep, piv]
            scaled = sk / src[:, :, piv, piv][..., None]
            pieces.append(src[:, :, keep][:, :, :, keep] - sk[..., :, None] * scaled[..., None, :])
        store.append(np.concatenate(pieces, axis=1))
        r2[:, groups[m]] = 1.0 - store[m][:, :, 0, 0]
    return r2


def _shapley(rxx, rxy):
    groups, coef = _subset_plan(rxy.shape[1])
    step = max(1, _SUBSET_BYTES // (8 * 4 * 6 * len(coef)))
    out = np.empty(rxy.shape)
    for s in range(0, len(rxy), step):
        out[s : s + step] = _all_subset_r2(rxx[s : s + step], rxy[s : s + step], groups) @ coef
    return out


def _relative_weights(rxx, rxy):
    """Johnson (2000): Lambda = R^(1/2), beta* = Lambda^-1 r, eps_j = sum_k Lambda_jk² beta*_k²."""
    lam, vec = np.linalg.eigh(rxx)
    root = np.sqrt(lam)
    half = (vec * root[:, None, :]) @ vec.transpose(0, 2, 1)
    beta_star = ((vec / root[:, None, :]) @ vec.transpose(0, 2, 1) @ rxy[..., None])[..., 0]
    return ((half**2) @ (beta_star**2)[..., None])[..., 0]


def _importances(corr, method):
    """Compute importances for stacked correlation matrices (outcome first); NaN if singular."""
    rxx, rxy = corr[:, 1:, 1:], corr[:, 1:, 0]
    ok = np.linalg.eigvalsh(rxx)[:, 0] > _SINGULAR_TOL
    out = np.full(rxy.shape, np.nan)
    if ok.any():
        fn = _shapley if method == "shapley" else _relative_weights
        out[ok] = fn(rxx[ok], rxy[ok])
    return out


def _resample_counts(rng, totals, rows):
    """Count draws per (replicate, row) given each replicate's number of draws in this block."""
    draws = rng.integers(0, rows, size=int(totals.sum()), dtype=np.uint16)
    if len(totals) * rows <= 1 << 18:  # small: one flat bincount
        flat = np.repeat(np.arange(len(totals)) * rows, totals) + draws
        counts = np.bincount(flat, minlength=len(totals) * rows)
        return counts.reshape(len(totals), rows).astype(float)
    out = np.empty((len(totals), rows))
    ends = np.cumsum(totals)
    for r, (lo, hi) in enumerate(zip(ends - totals, ends, strict=True)):
        out[r] = np.bincount(draws[lo:hi], minlength=rows)
    return out


def _bootstrap_corr(z, w, n_boot, rng):
    """Correlation matrices of ``n_boot`` multinomial resamples of the rows of ``z``.

    Rows are cut into blocks; each replicate's n draws are split over blocks by one
    multinomial, then drawn uniformly within the block, which is exactly the ordinary
    bootstrap. Per block, the (replicates x rows) count matrix times [1, z, z_i z_j]
    accumulates every replicate's weighted moments in one BLAS call.
    """
    n, q = z.shape
    iu, ju = np.triu_indices(q)
    block = int(min(65536, max(1024, _BOOT_CELLS // n_boot)))
    starts = np.arange(0, n, block)
    sizes = np.minimum(block, n - starts)
    totals = rng.multinomial(n, sizes / n, size=n_boot)
    sums = np.zeros((n_boot, 1 + q + len(iu)))
    for k, (start, size) in enumerate(zip(starts, sizes, strict=True)):
        zk = z[start : start + size]
        prod = np.concatenate([np.ones((size, 1)), zk, zk[:, iu] * zk[:, ju]], axis=1)
        counts = _resample_counts(rng, totals[:, k], size)
        if w is not None:
            counts = counts * w[start : start + size]
        sums += counts @ prod
    mu = sums[:, 1 : 1 + q] / sums[:, :1]
    cov = np.empty((n_boot, q, q))
    cov[:, iu, ju] = sums[:, 1 + q :] / sums[:, :1] - mu[:, iu] * mu[:, ju]
    cov[:, ju, iu] = cov[:, iu, ju]
    sd = np.sqrt(np.clip(np.diagonal(cov, axis1=1, axis2=2), 0.0, None))
    valid = (sd > 1e-9).all(axis=1)
    sd[~valid] = 1.0
    return cov / (sd[:, :, None] * sd[:, None, :]), valid


def _ranks(values):
    """Rank 1 = largest, per row."""
    order = np.argsort(-values, axis=-1, kind="stable")
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.arange(1, values.shape[-1] + 1), axis=-1)
    return ranks


def key_drivers(
    data: pd.DataFrame,
    *,
    outcome: str = "nps",
    attributes: list[str],
    weight: str | None = None,
    method: str = "shapley",
    n_boot: int = 500,
    confidence: float = 0.95,
    seed: int | None = 0,
    sign_from: str = "coefficient",
    missing: str = "listwise",
    min_n: int = 30,
) -> DriverResult:
    """Relative importance of attribute ratings for an outcome, with bootstrap intervals.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per response.
    outcome : str
        Numeric outcome column (``nps`` 0-10 by default).
    attributes : list of str
        Numeric attribute rating columns (at most 15 for ``method="shapley"``).
    weight : str, optional
        Column of non-negative survey weights; rows with zero weight are left out.
    method : {"shapley", "relative_weights"}
        Shapley value regression (LMG) or Johnson's relative weights.
    n_boot : int
        Bootstrap replicates; 0 skips the bootstrap (intervals are then NaN).
    confidence : float
        Coverage of the percentile intervals.
    seed : int or None
        Seed of the ``numpy.random.Generator`` used for resampling.
    sign_from : {"coefficient", "correlation"}
        Sign of each attribute: its full-model standardized coefficient (default) or its
        correlation with the outcome.
    missing : {"listwise", "raise"}
        Drop rows with a missing value in any used column (default), or raise.
    min_n : int
        Results with fewer rows are flagged ``small_n``.

    Returns
    -------
    DriverResult
        Importance table (most important first), model R², n and bootstrap replicates.

    Raises
    ------
    DriverDataError
        Absent columns, too few complete rows, an attribute without variation, or
        perfectly collinear attributes.

    Notes
    -----
    Two vectorised passes over the rows (means, then centred cross-products) give the
    weighted correlation matrix; everything else uses only that matrix. With R the
    attribute correlations and r their correlations with the outcome, the R² of a subset
    S is R²_S = r_S' R_SS^-1 r_S. Shapley value regression, which equals LMG and general
    dominance, gives attribute j

        phi_j = sum over S not containing j of |S|! (p-|S|-1)! / p! (R²_{S+j} - R²_S),

    the average R² increment of j over all p! orderings; the phi_j sum to the full-model
    R². The 2**p subset R² are not solved one by one: subsets are grown one attribute at
    a time, each from a stored parent, by a sweep (Schur complement) step on the residual
    covariances of the outcome and the attributes still to come, so all of them cost
    about 6 * 2**p multiply-adds per correlation matrix, whatever n is (p = 15: 32,768
    subsets; about 2 ms per matrix). Relative weights (Johnson 2000) use the
    symmetric square root Lambda = R^(1/2): beta* = Lambda^-1 r and
    eps_j = sum_k Lambda_jk² beta*_k², which also sum to R².

    ``importance`` is the non-negative share of R²; ``sign`` is the sign of the
    attribute's standardized coefficient in the full model (``sign_from="coefficient"``)
    or of its correlation with the outcome, and ``signed_importance`` is their product.
    A negative sign with a large share usually means suppression or collinearity, not a
    harmful attribute; check ``correlation``.

    Bootstrap: each replicate resamples n rows with replacement (multinomial counts, from
    a seeded ``numpy.random.default_rng(seed)``), keeps the survey weights of the rows
    drawn, and needs only its own covariance matrix. Rows are cut into blocks; one
    multinomial splits each replicate's n draws over the blocks and the draws inside a
    block are uniform, which is exactly the ordinary bootstrap. The counts of all
    replicates for a block form a matrix that is multiplied with that block's
    [1, x, x_i x_j] products, so the resampling is one BLAS pass of O(n_boot n q²) with no
    Python work per row (about 3 s for 1,000,000 rows, 10 attributes and 200 replicates
    on two cores; ``benchmarks/drivers.py``). Percentile intervals are given for
    importances, shares of R², R² and ranks. Replicates whose attribute correlation
    matrix is singular are left out (``n_boot_valid``). ``performance`` is the
    (weighted) mean rating in the rows used.

    References
    ----------
    Lindeman, R. H., Merenda, P. F., & Gold, R. Z. (1980). Introduction to Bivariate and
    Multivariate Analysis. Scott, Foresman.

    Grömping, U. (2006). Relative importance for linear regression in R: the package
    relaimpo. Journal of Statistical Software, 17(1), 1-27. doi:10.18637/jss.v017.i01

    Johnson, J. W. (2000). A heuristic method for estimating the relative weight of
    predictor variables in multiple regression. Multivariate Behavioral Research, 35(1),
    1-19. doi:10.1207/S15327906MBR3501_1

    Efron, B., & Tibshirani, R. J. (1993). An Introduction to the Bootstrap. Chapman & Hall.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> df = pd.DataFrame(rng.normal(size=(200, 3)), columns=["price", "staff", "app"])
    >>> df["nps"] = 2 * df["staff"] + df["price"] + rng.normal(size=200)
    >>> res = key_drivers(df, attributes=["price", "staff", "app"], n_boot=100)
    >>> res.importance["attribute"].tolist()
    ['staff', 'price', 'app']
    >>> round(float(res.importance["importance"].sum()), 6) == round(res.r_squared, 6)
    True
    """
    if method not in _METHODS:
        raise ValueError(f"method must be one of {_METHODS}; found {method!r}")
    if sign_from not in ("coefficient", "correlation"):
        raise ValueError(f"sign_from must be 'coefficient' or 'correlation'; found {sign_from!r}")
    if isinstance(n_boot, bool) or not isinstance(n_boot, int | np.integer) or n_boot < 0:
        raise ValueError(f"n_boot must be a non-negative integer; found {n_boot!r}")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int | np.integer)):
        raise TypeError(f"seed must be an integer or None; found {type(seed).__name__}")
    _check_options(confidence, missing, min_n)
    arr, w, n, n_dropped = _prepare(data, outcome, attributes, weight, missing)
    attributes = list(attributes)
    p = len(attributes)
    if method == "shapley" and p > _MAX_SHAPLEY_P:
        raise ValueError(
            f"shapley handles at most {_MAX_SHAPLEY_P} attributes ({p} given); "
            "use method='relative_weights'"
        )
    if n <= p + 1:
        raise DriverDataError(f"{n} complete rows for {p} attributes; need more than {p + 1}")
    mean, corr, z = _moments(arr, w, [outcome, *attributes])
    imp = _importances(corr[None], method)[0]
    if np.isnan(imp).any():
        raise DriverDataError(f"attributes {attributes} are perfectly collinear")
    rxx, rxy = corr[1:, 1:], corr[1:, 0]
    std_coef = np.linalg.solve(rxx, rxy)
    r2 = float(rxy @ std_coef)
    sign = np.sign(std_coef if sign_from == "coefficient" else rxy)

    reps = np.full((n_boot, p), np.nan)
    if n_boot:
        corr_b, valid = _bootstrap_corr(z, w, n_boot, np.random.default_rng(seed))
        reps[valid] = _importances(corr_b[valid], method)
    good = reps[~np.isnan(reps).any(axis=1)]
    lo_q, hi_q = (1 - confidence) / 2, (1 + confidence) / 2
    nan_p = np.full(p, np.nan)
    if len(good):
        total = good.sum(axis=1)
        ci = np.quantile(good, [lo_q, hi_q], axis=0)
        pct_ci = np.quantile(100 * good / total[:, None], [lo_q, hi_q], axis=0)
        r2_ci = np.quantile(total, [lo_q, hi_q])
        rank_ci = np.quantile(_ranks(good), [lo_q, hi_q], axis=0, method="inverted_cdf")
    else:
        ci = pct_ci = rank_ci = np.vstack([nan_p, nan_p])
        r2_ci = np.array([np.nan, np.nan])
    table = pd.DataFrame(
        {
            "attribute": attributes,
            "importance": imp,
            "importance_pct": 100 * imp / r2,
            "sign": sign.astype(int),
            "signed_importance": sign * imp,
            "std_coef": std_coef,
            "correlation": rxy,
            "ci_low": ci[0],
            "ci_high": ci[1],
            "importance_pct_ci_low": pct_ci[0],
            "importance_pct_ci_high": pct_ci[1],
            "rank": _ranks(imp),
            "rank_ci_low": rank_ci[0],
            "rank_ci_high": rank_ci[1],
            "performance": mean[1:],
            "n": n,
            "small_n": n < min_n,
        }
    )
    table = table.sort_values("rank", kind="stable").reset_index(drop=True)
    n_eff = float(n if w is None else w.sum() ** 2 / (w**2).sum())
    return DriverResult(
        importance=table,
        r_squared=r2,
        r_squared_ci_low=float(r2_ci[0]),
        r_squared_ci_high=float(r2_ci[1]),
        n=int(n),
        n_eff=n_eff,
        n_dropped=int(n_dropped),
        method=method,
        outcome=outcome,
        attributes=tuple(attributes),
        n_boot=int(n_boot),
        n_boot_valid=len(good),
        confidence=float(confidence),
        seed=None if seed is None else int(seed),
        small_n=bool(n < min_n),
        replicates=reps,
    )


def __getattr__(name: str) -> Any:
    """Serve the names re-exported from :mod:`cxlib.drivers_extra` (PEP 562)."""
    if name in _EXTRA:
        from cxlib import drivers_extra

        return getattr(drivers_extra, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXTRA))
