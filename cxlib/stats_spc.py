"""Control limits over waves: p-chart (with Laney's correction) and NPS limits.

Used when re-measuring: is this wave's movement a signal (special cause) or the usual
wave-to-wave noise (common cause)?
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable

import numpy as np
import pandas as pd

from cxlib._stats_common import (
    as_by_list,
    check_frame,
    make_groups,
    nps_parts,
    nps_scores,
    nps_sums,
    safe_div,
    weight_column,
)

__all__ = ["nps_control_limits", "p_chart"]

_D2 = 1.128  # d2 constant for moving ranges of two points, as used by Laney (2002)
_RUN = 8  # points in a row on one side of the centre line that signal a shift


def _check_sigma(n_sigma: float) -> float:
    if isinstance(n_sigma, bool) or not isinstance(n_sigma, int | float) or n_sigma <= 0:
        raise ValueError(f"n_sigma must be a positive number, got {n_sigma!r}")
    return float(n_sigma)


def _sigma_z(z: np.ndarray) -> float:
    """Laney's sigma_z: mean moving range of the z-scores divided by d2."""
    z = z[np.isfinite(z)]
    if z.size < 2:
        return float("nan")
    return float(np.mean(np.abs(np.diff(z))) / _D2)


def _runs(value: np.ndarray, centre: float) -> np.ndarray:
    """Flag points inside a run of ``_RUN`` or more on one side of the centre."""
    side = np.sign(value - centre)
    side = np.where(np.isnan(side), 0.0, side)
    if side.size == 0:
        return np.zeros(0, dtype=bool)
    starts = np.r_[True, side[1:] != side[:-1]]
    run_id = np.cumsum(starts) - 1
    length = np.bincount(run_id)[run_id]
    return (length >= _RUN) & (side != 0)


def _limits(value, centre, sigma, *, laney, n_sigma, lo, hi) -> dict[str, np.ndarray]:
    z = safe_div(value - centre, sigma)
    sz = _sigma_z(z) if laney else 1.0
    width = n_sigma * sigma * sz
    ucl = np.clip(centre + width, lo, hi)
    lcl = np.clip(centre - width, lo, hi)
    beyond = (value > ucl) | (value < lcl)
    shift = _runs(value, centre)
    return {
        "centre": np.full(value.shape, centre),
        "sigma": sigma * sz,
        "sigma_z": np.full(value.shape, sz),
        "lcl": lcl,
        "ucl": ucl,
        "beyond_limits": beyond,
        "shift": shift,
        "special_cause": beyond | shift,
    }


def p_chart(
    counts: Iterable[float] | pd.Series,
    n: Iterable[float] | pd.Series,
    *,
    laney: bool = False,
    n_sigma: float = 3.0,
) -> pd.DataFrame:
    r"""Control chart for a proportion over time (p-chart, or Laney's p'-chart).

    Parameters
    ----------
    counts : array-like or pandas.Series
        Events per period (e.g. top-box answers per wave), in time order. A Series'
        index labels the output rows.
    n : array-like or pandas.Series
        Base per period, same length; positive.
    laney : bool, default False
        Use Laney's p'-chart, which widens (or narrows) the limits by the observed
        between-period variation; advisable with large bases, where the plain p-chart
        flags almost every point.
    n_sigma : float, default 3.0
        Width of the limits in standard errors (Shewhart's three-sigma convention).

    Returns
    -------
    pandas.DataFrame
        One row per period: ``count``, ``n``, ``p`` (share, 0..1), ``centre`` (pooled
        share), ``sigma`` (standard error used for the limits), ``sigma_z`` (Laney's
        factor, 1 for the plain chart), ``lcl``, ``ucl`` (limits clipped to [0, 1]),
        ``beyond_limits``, ``shift`` (part of a run of 8 or more on one side of the
        centre line) and ``special_cause`` (either signal).

    Raises
    ------
    ValueError
        If lengths differ, a base is not positive or a count is outside ``[0, n]``.

    See Also
    --------
    nps_control_limits : limits for NPS by wave.

    Notes
    -----
    Centre :math:`\bar p = \sum x_i / \sum n_i`, :math:`\sigma_i =
    \sqrt{\bar p (1 - \bar p)/n_i}` and limits :math:`\bar p \pm k\sigma_i`. Laney's
    p' chart standardises :math:`z_i = (p_i - \bar p)/\sigma_i`, estimates
    :math:`\sigma_z = \overline{MR}(z)/1.128` from the moving ranges of consecutive
    :math:`z_i`, and uses :math:`\bar p \pm k\sigma_i\sigma_z`; with
    :math:`\sigma_z = 1` it is the p-chart. The run rule is the usual "eight in a row"
    (Western Electric / Nelson rule 2); a point exactly on the centre line ends a run.
    Checked against hand computations of both formulas.

    References
    ----------
    Laney, D. B. (2002). Improved control charts for attributes. Quality Engineering,
    14(4), 531-537. doi:10.1081/QEN-120003555

    Montgomery, D. C. (2009). Introduction to Statistical Quality Control (6th ed.),
    section 7.2. Hoboken, NJ: Wiley.

    Examples
    --------
    >>> out = p_chart([40, 45, 38, 70], [100, 100, 100, 100])
    >>> float(round(out.loc[0, "centre"], 4)), out["beyond_limits"].tolist()
    (0.4825, [False, False, False, True])
    """
    index = counts.index if isinstance(counts, pd.Series) else None
    x = np.asarray(counts, dtype=float).reshape(-1)
    m = np.asarray(n, dtype=float).reshape(-1)
    if x.shape != m.shape:
        raise ValueError(f"counts and n differ in length ({x.size} vs {m.size})")
    if np.any(~(m > 0)) or np.any(~((x >= 0) & (x <= m))):
        raise ValueError("every base must be positive and every count within [0, n]")
    k = _check_sigma(n_sigma)
    p = x / m
    centre = x.sum() / m.sum() if m.size else np.nan
    sigma = np.sqrt(centre * (1.0 - centre) / m)
    out = pd.DataFrame({"count": x, "n": m, "p": p}, index=index)
    for name, values in _limits(p, centre, sigma, laney=laney, n_sigma=k, lo=0.0, hi=1.0).items():
        out[name] = values
    return out


def nps_control_limits(
    data: pd.DataFrame,
    *,
    period: Hashable = "wave",
    score: Hashable = "nps",
    weight: Hashable | None = None,
    laney: bool = False,
    n_sigma: float = 3.0,
) -> pd.DataFrame:
    r"""Control limits for NPS by period (wave), from the NPS variance.

    Parameters
    ----------
    data : pandas.DataFrame
        Responses of all periods, one row each.
    period : str, default "wave"
        Column identifying the period; periods are charted in sorted order, so labels
        must sort chronologically (``2026Q1``, ``2026Q2``...).
    score : str, default "nps"
        Column of 0-10 answers.
    weight : str, optional
        Survey weights; shares become weighted and Kish's effective base replaces n.
    laney : bool, default False
        Apply Laney's between-period correction to the limits.
    n_sigma : float, default 3.0
        Width of the limits in standard errors.

    Returns
    -------
    pandas.DataFrame
        One row per period: the ``period`` column, ``n``, ``n_eff``, ``estimate`` (NPS,
        -100..100), ``centre`` (NPS of all periods pooled), ``sigma`` (NPS points),
        ``sigma_z``, ``lcl``, ``ucl`` (clipped to [-100, 100]), ``beyond_limits``,
        ``shift`` and ``special_cause``.

    Raises
    ------
    ValueError
        On unknown columns or an invalid ``n_sigma``.

    See Also
    --------
    p_chart : the same chart for a share.

    Notes
    -----
    With pooled shares :math:`\bar p_P, \bar p_D` the variance of one answer scored
    +1/0/-1 is :math:`V = \bar p_P + \bar p_D - (\bar p_P - \bar p_D)^2`; the limits
    are :math:`100(\overline{NPS} \pm k\sqrt{V / n_{eff,i}})` (times Laney's
    :math:`\sigma_z` when ``laney=True``), the same construction as the p-chart.

    References
    ----------
    Laney, D. B. (2002). Improved control charts for attributes. Quality Engineering,
    14(4), 531-537. doi:10.1081/QEN-120003555

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"wave": ["W1"] * 100 + ["W2"] * 100,
    ...                    "nps": [10, 9, 8, 7, 3] * 20 + [10, 9, 9, 7, 3] * 20})
    >>> out = nps_control_limits(df)
    >>> out["estimate"].tolist(), float(round(out.loc[0, "centre"], 1))
    ([20.0, 40.0], 30.0)
    """
    check_frame(data)
    k = _check_sigma(n_sigma)
    groups = make_groups(data, as_by_list(period))
    sums = nps_sums(nps_scores(data, score), weight_column(data, weight), groups)
    parts = nps_parts(sums, "wald")
    pooled = nps_parts({key: np.atleast_1d(v.sum()) for key, v in sums.items()}, "wald")
    centre = float(pooled.estimate[0])
    v = float(pooled.p_pro[0] + pooled.p_det[0] - centre**2)
    sigma = np.sqrt(safe_div(np.full(groups.k, v), parts.n_eff))
    out = groups.keys.copy()
    out["n"] = parts.n.astype(np.int64)
    out["n_eff"] = parts.n_eff
    out["estimate"] = 100.0 * parts.estimate
    lim = _limits(
        100.0 * parts.estimate,
        100.0 * centre,
        100.0 * sigma,
        laney=laney,
        n_sigma=k,
        lo=-100.0,
        hi=100.0,
    )
    for name, values in lim.items():
        out[name] = values
    return out
