"""Key driver analysis: how much of the outcome each attribute rating explains.

Compute layer only: DataFrames in, tidy DataFrames and frozen result objects out.
The linear drivers (:func:`key_drivers`) work from the correlation matrix, so after one
pass over the responses their cost does not depend on the number of rows; the bootstrap
needs only one covariance matrix per replicate, accumulated with BLAS from multinomial
resampling counts. :func:`detractor_drivers` fits a logistic model for the detractor
flag, and :func:`importance_performance` places each attribute in the Martilla-James
quadrants.
"""

from __future__ import annotations

import html
import math
import warnings
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from cxlib.errors import CxError

__all__ = [
    "DetractorResult",
    "DriverDataError",
    "DriverResult",
    "detractor_drivers",
    "importance_performance",
    "key_drivers",
]

_METHODS = ("shapley", "relative_weights")
_MAX_SHAPLEY_P = 15  # 2**15 subsets; beyond that use relative weights
_MAX_DOMINANCE_P = 10  # logistic dominance fits 2**p - 1 models on all rows
_SINGULAR_TOL = 1e-10  # smallest eigenvalue of the attribute correlation matrix
_BOOT_CELLS = 1 << 22  # replicate x row cells held at once while resampling
_SUBSET_BYTES = 128 << 20  # memory for subset residuals per replicate batch
_QUADRANTS = {
    (True, False): "Concentrate here",
    (True, True): "Keep up the good work",
    (False, False): "Low priority",
    (False, True): "Possible overkill",
}


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


@dataclass(frozen=True, eq=False)
class DetractorResult:
    """Result of :func:`detractor_drivers`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per attribute: ``attribute``, ``coef``, ``std_err``, ``odds_ratio``,
        ``ci_low``, ``ci_high`` (of the odds ratio), ``p_value``, ``p_adjusted`` (Holm),
        ``dominance``, ``dominance_pct``, ``rank`` (the last three only when dominance was
        asked for, else missing), ``performance``, ``n``, ``small_n``.
    pseudo_r_squared : float
        McFadden's pseudo-R² of the full model.
    n, n_detractors : int
        Rows used and detractors among them.
    detractor_rate : float
        Weighted share of detractors.
    outcome : str
        Outcome column.
    attributes : tuple of str
        Attributes in the order given.
    detractor_max : float
        Scores at or below this count as detractors (unused for a boolean outcome).
    confidence : float
        Coverage of the odds-ratio intervals.
    weighted : bool
        Whether survey weights were used (then standard errors are robust, HC0).
    small_n : bool
        True when ``n < min_n``.
    """

    table: pd.DataFrame
    pseudo_r_squared: float
    n: int
    n_detractors: int
    detractor_rate: float
    outcome: str
    attributes: tuple[str, ...]
    detractor_max: float
    confidence: float
    weighted: bool
    small_n: bool

    def to_dict(self) -> dict[str, Any]:
        """Return the result as plain Python types (NaN as None), ready for JSON."""
        out = {k: _jsonable(getattr(self, k)) for k in self.__dataclass_fields__}
        out["attributes"] = list(self.attributes)
        out["table"] = _records(self.table)
        return out

    def _repr_html_(self) -> str:
        head = (
            f"<p><strong>Drivers of detractors ({html.escape(self.outcome)})</strong>: "
            f"McFadden R² = {self.pseudo_r_squared:.4g}, n = {self.n}, "
            f"detractors = {self.n_detractors}</p>"
        )
        return head + self.table.to_html(index=False, escape=True)


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


def importance_performance(
    result: DriverResult,
    data: pd.DataFrame,
    *,
    attributes: list[str] | None = None,
    weight: str | None = None,
    split: str = "mean",
    importance_cut: float | None = None,
    performance_cut: float | None = None,
) -> pd.DataFrame:
    """Importance-performance quadrant of each attribute (Martilla & James 1977).

    Parameters
    ----------
    result : DriverResult
        Output of :func:`key_drivers`; gives each attribute's importance.
    data : pandas.DataFrame
        Responses whose mean ratings give performance (e.g. the same wave, or a segment).
    attributes : list of str, optional
        Attributes to place; all of ``result.attributes`` by default.
    weight : str, optional
        Survey weight column for the mean ratings.
    split : {"mean", "median"}
        Where the axes are cut, over the attributes placed, unless a cut is given.
    importance_cut : float, optional
        Fixed cut on ``importance_pct`` (percent of R², e.g. ``100 / p`` for an equal share).
    performance_cut : float, optional
        Fixed cut on the rating scale (e.g. its midpoint).

    Returns
    -------
    pandas.DataFrame
        ``attribute``, ``importance``, ``importance_pct``, ``performance``, ``n`` (ratings
        behind the mean), ``importance_cut``, ``performance_cut``, ``high_importance``,
        ``high_performance``, ``quadrant``, in the result's rank order.

    Notes
    -----
    Performance is the (weighted) mean of each attribute's non-missing ratings. A value at
    or above its cut counts as high. Quadrants: high importance and low performance
    "Concentrate here"; high and high "Keep up the good work"; low and low "Low
    priority"; low importance and high performance "Possible overkill".

    References
    ----------
    Martilla, J. A., & James, J. C. (1977). Importance-performance analysis. Journal of
    Marketing, 41(1), 77-79. doi:10.1177/002224297704100112

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> df = pd.DataFrame(rng.normal(5, 1, size=(300, 2)), columns=["staff", "app"])
    >>> df["app"] += 2
    >>> df["nps"] = 2 * df["staff"] + rng.normal(size=300)
    >>> res = key_drivers(df, attributes=["staff", "app"], n_boot=0)
    >>> importance_performance(res, df)["quadrant"].tolist()
    ['Concentrate here', 'Possible overkill']
    """
    if not isinstance(result, DriverResult):
        raise TypeError(f"result must be a DriverResult; found {type(result).__name__}")
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a pandas DataFrame; found {type(data).__name__}")
    if split not in ("mean", "median"):
        raise ValueError(f"split must be 'mean' or 'median'; found {split!r}")
    wanted = list(result.attributes if attributes is None else attributes)
    unknown = [a for a in wanted if a not in result.attributes]
    if unknown:
        raise ValueError(f"attributes not in the driver result: {unknown}")
    attributes = [a for a in result.importance["attribute"] if a in wanted]
    cols = attributes + ([weight] if weight is not None else [])
    absent = [c for c in cols if c not in data.columns]
    if absent:
        raise DriverDataError(f"columns not found in data: {absent}")
    w = None if weight is None else data[weight].to_numpy(dtype=float, na_value=np.nan)
    perf, count = [], []
    for a in attributes:
        if not pd.api.types.is_numeric_dtype(data[a]):
            raise TypeError(f"column {a!r} must be numeric; found dtype {data[a].dtype}")
        x = data[a].to_numpy(dtype=float, na_value=np.nan)
        keep = ~np.isnan(x) if w is None else ~np.isnan(x) & (w > 0)
        wa = np.ones(keep.sum()) if w is None else w[keep]
        perf.append(float(wa @ x[keep] / wa.sum()) if keep.any() else np.nan)
        count.append(int(keep.sum()))
    imp = result.importance.set_index("attribute").loc[attributes]
    out = pd.DataFrame(
        {
            "attribute": attributes,
            "importance": imp["importance"].to_numpy(),
            "importance_pct": imp["importance_pct"].to_numpy(),
            "performance": perf,
            "n": count,
        }
    )
    agg = np.mean if split == "mean" else np.median
    i_cut = agg(out["importance_pct"]) if importance_cut is None else importance_cut
    p_cut = agg(out["performance"].dropna()) if performance_cut is None else performance_cut
    out["importance_cut"] = float(i_cut)
    out["performance_cut"] = float(p_cut)
    out["high_importance"] = out["importance_pct"] >= i_cut
    out["high_performance"] = out["performance"] >= p_cut
    out["quadrant"] = [
        _QUADRANTS[(hi, hp)] if not math.isnan(pf) else None
        for hi, hp, pf in zip(
            out["high_importance"], out["high_performance"], out["performance"], strict=True
        )
    ]
    return out


def _fit_logit(y, x, w):
    """Binomial GLM; robust (HC0) errors when weighted. Raises on perfect separation."""
    import statsmodels.api as sm
    from statsmodels.tools.sm_exceptions import PerfectSeparationError, PerfectSeparationWarning

    model = sm.GLM(
        y, sm.add_constant(x, has_constant="add"), family=sm.families.Binomial(), var_weights=w
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", PerfectSeparationWarning)
        try:
            return model.fit(cov_type="nonrobust" if w is None else "HC0")
        except (PerfectSeparationError, PerfectSeparationWarning) as exc:
            raise DriverDataError(
                "the attributes separate detractors perfectly; odds ratios are infinite"
            ) from exc


def detractor_drivers(
    data: pd.DataFrame,
    *,
    outcome: str = "nps",
    attributes: list[str],
    weight: str | None = None,
    detractor_max: float = 6,
    dominance: bool = False,
    confidence: float = 0.95,
    missing: str = "listwise",
    min_n: int = 30,
) -> DetractorResult:
    """Which attribute ratings raise the odds of being a detractor (logistic model).

    Parameters
    ----------
    data : pandas.DataFrame
        One row per response.
    outcome : str
        Score column; ``outcome <= detractor_max`` marks a detractor. A boolean column is
        used as the detractor flag itself.
    attributes : list of str
        Numeric attribute rating columns.
    weight : str, optional
        Survey weight column (normalised to mean 1; robust HC0 standard errors).
    detractor_max : float
        Highest score that counts as a detractor (6 on the 0-10 NPS scale).
    dominance : bool
        Also split McFadden's R² between attributes by general dominance (at most 10
        attributes).
    confidence : float
        Coverage of the odds-ratio intervals.
    missing : {"listwise", "raise"}
        Drop incomplete rows (default), or raise.
    min_n : int
        Results with fewer rows are flagged ``small_n``.

    Returns
    -------
    DetractorResult
        Odds ratios per one-point increase in each rating, with Wald intervals, p-values
        (raw and Holm-adjusted) and McFadden's pseudo-R².

    Notes
    -----
    logit P(detractor) = b0 + sum_j b_j x_j, fitted by maximum likelihood (statsmodels
    GLM, binomial family); odds ratio exp(b_j), interval exp(b_j +/- z se_j). McFadden's
    R² = 1 - logL(model) / logL(intercept only). With ``dominance=True`` the model is
    refitted on every non-empty subset of attributes (2**p - 1 fits over all rows, hence
    the limit of 10) and McFadden's R² is split by Shapley values (general dominance, as
    in :func:`key_drivers`); the shares sum to the full-model McFadden R² (Azen & Traxel
    2009). ``rank`` orders attributes by that share.

    References
    ----------
    McFadden, D. (1974). Conditional logit analysis of qualitative choice behavior. In
    P. Zarembka (Ed.), Frontiers in Econometrics (pp. 105-142). Academic Press.

    Azen, R., & Traxel, N. (2009). Using dominance analysis to determine predictor
    importance in logistic regression. Journal of Educational and Behavioral Statistics,
    34(3), 319-347. doi:10.3102/1076998609332754

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(2)
    >>> df = pd.DataFrame(rng.integers(1, 6, size=(400, 2)), columns=["staff", "app"])
    >>> df["nps"] = np.clip(df["staff"] * 2 + rng.integers(-2, 3, size=400), 0, 10)
    >>> res = detractor_drivers(df, attributes=["staff", "app"], dominance=True)
    >>> res.table.loc[0, "attribute"], bool(res.table.loc[0, "odds_ratio"] < 1)
    ('staff', True)
    """
    if not isinstance(dominance, bool):
        raise TypeError("dominance must be True or False")
    _check_options(confidence, missing, min_n)
    is_flag = (
        isinstance(data, pd.DataFrame)
        and outcome in data.columns
        and (pd.api.types.is_bool_dtype(data[outcome]))
    )
    arr, w, n, _ = _prepare(data, outcome, attributes, weight, missing)
    attributes = list(attributes)
    p = len(attributes)
    if dominance and p > _MAX_DOMINANCE_P:
        raise ValueError(f"dominance handles at most {_MAX_DOMINANCE_P} attributes ({p} given)")
    if n <= p + 1:
        raise DriverDataError(f"{n} complete rows for {p} attributes; need more than {p + 1}")
    y = arr[:, 0] if is_flag else (arr[:, 0] <= detractor_max).astype(float)
    if y.min() == y.max():
        raise DriverDataError("all rows are detractors, or none is; the model cannot be fitted")
    x = arr[:, 1:]
    wn = None if w is None else w * (n / w.sum())
    fit = _fit_logit(y, x, wn)
    mcfadden = float(1 - fit.llf / fit.llnull)
    params, se = np.asarray(fit.params)[1:], np.asarray(fit.bse)[1:]
    ci = np.exp(np.asarray(fit.conf_int(alpha=1 - confidence))[1:])
    pvals = np.asarray(fit.pvalues)[1:]
    from statsmodels.stats.multitest import multipletests

    dom = np.full(p, np.nan)
    rank = pd.array([pd.NA] * p, dtype="Int64")
    if dominance:
        r2 = np.zeros(1 << p)
        for mask in range(1, 1 << p):
            cols = [j for j in range(p) if mask >> j & 1]
            r2[mask] = 1 - _fit_logit(y, x[:, cols], wn).llf / fit.llnull
        dom = r2 @ _subset_plan(p)[1]
        rank = pd.array(_ranks(dom), dtype="Int64")
    wm = np.ones(n) if w is None else w
    table = pd.DataFrame(
        {
            "attribute": attributes,
            "coef": params,
            "std_err": se,
            "odds_ratio": np.exp(params),
            "ci_low": ci[:, 0],
            "ci_high": ci[:, 1],
            "p_value": pvals,
            "p_adjusted": multipletests(pvals, method="holm")[1],
            "dominance": dom,
            "dominance_pct": 100 * dom / mcfadden,
            "rank": rank,
            "performance": wm @ x / wm.sum(),
            "n": n,
            "small_n": n < min_n,
        }
    )
    if dominance:
        table = table.sort_values("rank", kind="stable").reset_index(drop=True)
    return DetractorResult(
        table=table,
        pseudo_r_squared=mcfadden,
        n=int(n),
        n_detractors=int(y.sum()),
        detractor_rate=float(wm @ y / wm.sum()),
        outcome=outcome,
        attributes=tuple(attributes),
        detractor_max=float(detractor_max),
        confidence=float(confidence),
        weighted=w is not None,
        small_n=bool(n < min_n),
    )
