"""Shared building blocks for the statistics modules (private).

Everything here works on whole arrays: grouping is done once into integer group codes and
every per-group sum is one :func:`numpy.bincount`, so the public functions scale to
millions of responses without per-row Python loops.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as _sps

from cxlib.errors import CxError

__all__ = ["InvalidDataError"]

NPS_METHODS = ("adjusted_wald", "wald")

# Parameter texts shared by many public functions (formatted into docstrings once).
_DOC = {
    "by": """by : str or list of str, optional
        Column(s) defining the groups (segments, waves). One output row per combination
        that occurs in the data, sorted; a missing group value forms its own group. None
        (default) gives one row for all responses.""",
    "weight": """weight : str, optional
        Column of non-negative survey weights. Shares and means are weighted and the Kish
        effective sample size ``n_eff = (sum w)**2 / sum w**2`` replaces ``n`` in every
        variance. Missing or negative weights raise :class:`InvalidDataError`.""",
    "confidence": """confidence : float, default 0.95
        Confidence level of the intervals, strictly between 0 and 1.""",
    "min_n": """min_n : int, default 30
        Groups whose effective base ``n_eff`` is below this are flagged ``small_n``.""",
    "method": """method : {"adjusted_wald", "wald"}, default "adjusted_wald"
        NPS interval method. ``"adjusted_wald"`` adds 3 to the base and 3/4 to the
        promoters and to the detractors before the Wald formula (Rocks 2016);
        ``"wald"`` is the plain Wald interval.""",
}


class InvalidDataError(CxError, ValueError):
    """Values in a column are outside what the statistic accepts (range, type, missing)."""


def fill_doc(func):
    """Replace ``{key}`` markers in ``func.__doc__`` with the shared parameter texts."""
    doc = func.__doc__ or ""
    for key, text in _DOC.items():
        doc = doc.replace("{" + key + "}", text)
    func.__doc__ = doc
    return func


# --------------------------------------------------------------------------------------
# argument checks


def check_frame(data: object, name: str = "data") -> pd.DataFrame:
    """Raise TypeError unless ``data`` is a DataFrame."""
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"{name} must be a pandas DataFrame, got {type(data).__name__}")
    return data


def check_columns(data: pd.DataFrame, columns: Iterable[Hashable]) -> None:
    """Raise ValueError naming every requested column that is absent."""
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise ValueError(f"column(s) {missing} not found; available columns: {list(data.columns)}")


def check_confidence(confidence: float) -> float:
    """Validate a confidence level and return the two-sided normal quantile."""
    if isinstance(confidence, bool) or not isinstance(confidence, int | float):
        raise TypeError(f"confidence must be a number, got {type(confidence).__name__}")
    if not 0.0 < float(confidence) < 1.0:
        raise ValueError(f"confidence must be strictly between 0 and 1, got {confidence}")
    return float(_sps.norm.ppf(0.5 + float(confidence) / 2.0))


def check_min_n(min_n: int) -> int:
    """Validate the small-base threshold."""
    if isinstance(min_n, bool) or not isinstance(min_n, int | np.integer) or min_n < 0:
        raise ValueError(f"min_n must be a non-negative integer, got {min_n!r}")
    return int(min_n)


def check_method(method: str) -> str:
    """Validate an NPS interval method name."""
    if method not in NPS_METHODS:
        raise ValueError(f"method must be one of {NPS_METHODS}, got {method!r}")
    return method


def as_by_list(by: Hashable | Sequence[Hashable] | None) -> list[Hashable]:
    """Normalise ``by`` to a list of column names."""
    if by is None:
        return []
    if isinstance(by, str) or not isinstance(by, Sequence):
        return [by]
    return list(by)


def numeric_column(data: pd.DataFrame, column: Hashable, role: str) -> np.ndarray:
    """Return a column as float64 with missing values as NaN, or raise."""
    series = data[column]
    if not (pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series)):
        raise InvalidDataError(
            f"{role} column {column!r} must be numeric, found dtype {series.dtype}"
        )
    return series.to_numpy(dtype=float, na_value=np.nan)


def weight_column(data: pd.DataFrame, weight: Hashable | None) -> np.ndarray | None:
    """Return validated weights (finite, non-negative) or None."""
    if weight is None:
        return None
    check_columns(data, [weight])
    w = numeric_column(data, weight, "weight")
    bad = ~np.isfinite(w)
    if bad.any():
        raise InvalidDataError(
            f"weight column {weight!r} has {int(bad.sum())} missing or infinite value(s)"
        )
    if (w < 0).any():
        raise InvalidDataError(f"weight column {weight!r} has negative values")
    return w


# --------------------------------------------------------------------------------------
# grouping


@dataclass(frozen=True)
class Groups:
    """Integer group codes for every row plus the key table (one row per group)."""

    codes: np.ndarray
    keys: pd.DataFrame

    @property
    def k(self) -> int:
        """Number of groups."""
        return len(self.keys)

    def sum(self, values: np.ndarray) -> np.ndarray:
        """Per-group sums of ``values`` (float64)."""
        return np.bincount(self.codes, weights=values, minlength=self.k).astype(float)


def make_groups(data: pd.DataFrame, by: list[Hashable]) -> Groups:
    """Group rows by ``by`` (sorted, observed combinations, missing keys kept)."""
    if not by:
        return Groups(np.zeros(len(data), dtype=np.intp), pd.DataFrame(index=range(1)))
    check_columns(data, by)
    grouped = data.groupby(by, observed=True, dropna=False, sort=True)
    codes = grouped.ngroup().to_numpy(dtype=np.intp)
    keys = grouped.size().index.to_frame(index=False)
    keys.columns = by
    return Groups(codes, keys.reset_index(drop=True))


def kish(sum_w: np.ndarray, sum_w2: np.ndarray) -> np.ndarray:
    """Kish effective sample size, NaN where the weight sum is zero."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(sum_w2 > 0, sum_w**2 / np.where(sum_w2 > 0, sum_w2, 1.0), np.nan)


def safe_div(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """Elementwise ``num / den`` with NaN where ``den`` is zero or missing."""
    num = np.asarray(num, dtype=float)
    den = np.asarray(den, dtype=float)
    out = np.full(np.broadcast(num, den).shape, np.nan)
    ok = np.isfinite(den) & (den != 0)
    np.divide(num, den, out=out, where=ok)
    return out


def small_flag(n_eff: np.ndarray, min_n: int) -> np.ndarray:
    """Flag where the effective base is below ``min_n`` or undefined."""
    n_eff = np.asarray(n_eff, dtype=float)
    return ~(n_eff >= min_n)


# --------------------------------------------------------------------------------------
# NPS building blocks


@dataclass(frozen=True)
class NpsParts:
    """Per-group NPS ingredients on the -1..1 scale."""

    n: np.ndarray
    n_eff: np.ndarray
    p_pro: np.ndarray
    p_pas: np.ndarray
    p_det: np.ndarray
    estimate: np.ndarray  # observed NPS, -1..1
    centre: np.ndarray  # interval centre (adjusted NPS for adjusted-Wald)
    var: np.ndarray  # variance of the centre


def nps_scores(data: pd.DataFrame, score: Hashable) -> np.ndarray:
    """Return validated 0-10 integer scores as float with NaN for missing."""
    check_columns(data, [score])
    s = numeric_column(data, score, "NPS score")
    valid = s[~np.isnan(s)]
    if valid.size and (valid.min() < 0 or valid.max() > 10 or np.any(valid % 1 != 0)):
        raise InvalidDataError(
            f"NPS score column {score!r} must hold whole numbers from 0 to 10; found values "
            f"from {valid.min():g} to {valid.max():g}"
            + (" including fractions" if np.any(valid % 1 != 0) else "")
        )
    return s


def nps_sums(s: np.ndarray, w: np.ndarray | None, groups: Groups) -> dict[str, np.ndarray]:
    """Per-group count, weight sum, squared-weight sum, promoter and detractor weight."""
    valid = ~np.isnan(s)
    wv = valid.astype(float) if w is None else np.where(valid, w, 0.0)
    return {
        "n": groups.sum(valid.astype(float)),
        "sw": groups.sum(wv),
        "sw2": groups.sum(wv * wv),
        "pro": groups.sum(np.where(s >= 9, wv, 0.0)),
        "det": groups.sum(np.where(s <= 6, wv, 0.0)),
    }


def nps_parts(sums: dict[str, np.ndarray], method: str) -> NpsParts:
    """Shares, NPS and the variance of the interval centre from per-group sums."""
    n_eff = kish(sums["sw"], sums["sw2"])
    p_pro = safe_div(sums["pro"], sums["sw"])
    p_det = safe_div(sums["det"], sums["sw"])
    estimate = p_pro - p_det
    if method == "adjusted_wald":
        n_adj = n_eff + 3.0
        a_pro = (p_pro * n_eff + 0.75) / n_adj
        a_det = (p_det * n_eff + 0.75) / n_adj
        centre = a_pro - a_det
        var = (a_pro + a_det - centre**2) / n_adj
    else:
        centre = estimate
        var = safe_div(p_pro + p_det - estimate**2, n_eff)
    return NpsParts(
        n=sums["n"],
        n_eff=n_eff,
        p_pro=p_pro,
        p_pas=1.0 - p_pro - p_det,
        p_det=p_det,
        estimate=estimate,
        centre=centre,
        var=var,
    )


# --------------------------------------------------------------------------------------
# proportions and means


def wilson(p: np.ndarray, n: np.ndarray, z: float) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for a proportion ``p`` on an (effective) base ``n``."""
    p = np.asarray(p, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        z2n = z * z / n
        denom = 1.0 + z2n
        centre = (p + z2n / 2.0) / denom
        half = z * np.sqrt(p * (1.0 - p) / n + z2n / (4.0 * n)) / denom
    # the interval always contains p; enforce it against rounding at p = 0 or 1
    low = np.clip(np.minimum(centre - half, p), 0.0, 1.0)
    return low, np.clip(np.maximum(centre + half, p), 0.0, 1.0)


def newcombe_diff(p1, n1, p2, n2, z: float) -> tuple[np.ndarray, np.ndarray]:
    """Newcombe's hybrid score interval (method 10) for ``p1 - p2``."""
    l1, u1 = wilson(p1, n1, z)
    l2, u2 = wilson(p2, n2, z)
    d = np.asarray(p1, dtype=float) - np.asarray(p2, dtype=float)
    low = d - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = d + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return low, high


def pooled_z(p1, n1, p2, n2) -> np.ndarray:
    """Two-proportion z statistic with the pooled variance (as statsmodels' default)."""
    p1, n1, p2, n2 = (np.asarray(x, dtype=float) for x in (p1, n1, p2, n2))
    pool = safe_div(p1 * n1 + p2 * n2, n1 + n2)
    with np.errstate(divide="ignore", invalid="ignore"):
        se = np.sqrt(pool * (1.0 - pool) * (1.0 / n1 + 1.0 / n2))
    return safe_div(p1 - p2, se)


def normal_p(stat: np.ndarray) -> np.ndarray:
    """Two-sided normal p-value."""
    stat = np.asarray(stat, dtype=float)
    return 2.0 * _sps.norm.sf(np.abs(stat))


def welch_parts(m1, v1, n1, m2, v2, n2) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Difference, standard error and Welch-Satterthwaite df from summaries.

    ``v1`` and ``v2`` are the (unbiased) variances of single observations and ``n1``,
    ``n2`` the (effective) sample sizes.
    """
    a = safe_div(v1, n1)
    b = safe_div(v2, n2)
    se = np.sqrt(a + b)
    df = safe_div((a + b) ** 2, safe_div(a**2, n1 - 1.0) + safe_div(b**2, n2 - 1.0))
    return np.asarray(m1, dtype=float) - np.asarray(m2, dtype=float), se, df


def holm(p: np.ndarray) -> np.ndarray:
    """Holm step-down adjusted p-values (input without NaN)."""
    m = p.size
    order = np.argsort(p, kind="stable")
    stepped = np.minimum(1.0, (m - np.arange(m)) * p[order])
    adj = np.maximum.accumulate(stepped)
    out = np.empty(m)
    out[order] = adj
    return out


def bh(p: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (input without NaN)."""
    m = p.size
    order = np.argsort(p, kind="stable")
    scaled = p[order] * m / np.arange(1, m + 1)
    adj = np.minimum(1.0, np.minimum.accumulate(scaled[::-1])[::-1])
    out = np.empty(m)
    out[order] = adj
    return out


def bonferroni(p: np.ndarray) -> np.ndarray:
    """Bonferroni adjusted p-values (input without NaN)."""
    return np.minimum(1.0, p * p.size)


ADJUSTERS = {"holm": holm, "fdr_bh": bh, "bonferroni": bonferroni}


def adjust(p: np.ndarray, method: str) -> np.ndarray:
    """Adjust an array of p-values, leaving NaN in place and out of the family."""
    if method not in ADJUSTERS:
        raise ValueError(f"p-value adjustment must be one of {list(ADJUSTERS)}, got {method!r}")
    p = np.asarray(p, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    if ok.any():
        out[ok] = ADJUSTERS[method](p[ok])
    return out
