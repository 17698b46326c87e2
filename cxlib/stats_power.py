"""Sample sizes: how many responses per group detect a given change.

Used to say, for each KPI target, how many responses each wave needs before a change of
the target size can be told apart from noise. All functions broadcast over arrays; a
scalar call returns an ``int``.
"""

from __future__ import annotations

import numpy as np
from scipy import optimize as _opt
from scipy import stats as _sps

from cxlib._stats_common import check_confidence

__all__ = ["sample_size_mean", "sample_size_nps", "sample_size_proportion"]


def _z_sum(power: float, confidence: float) -> float:
    z_a = check_confidence(confidence)
    if isinstance(power, bool) or not isinstance(power, int | float) or not 0 < power < 1:
        raise ValueError(f"power must be strictly between 0 and 1, got {power!r}")
    return z_a + float(_sps.norm.ppf(power))


def _finish(n: np.ndarray, scalar: bool):
    out = np.maximum(np.ceil(n - 1e-9), 2).astype(np.int64)
    return int(out.reshape(-1)[0]) if scalar else out


def _is_scalar(*values) -> bool:
    return all(np.ndim(v) == 0 for v in values)


def sample_size_proportion(p1, p2, *, power: float = 0.8, confidence: float = 0.95):
    r"""Responses per group to detect a change in a share (e.g. top-box CSAT).

    Parameters
    ----------
    p1, p2 : float or array-like
        The two shares (baseline and target), strictly between 0 and 1.
    power : float, default 0.8
        Probability of detecting a true change of that size.
    confidence : float, default 0.95
        Confidence level of the two-sided test (significance ``1 - confidence``).

    Returns
    -------
    int or numpy.ndarray
        Responses needed in each of the two groups, rounded up (an ``int`` for scalar
        input, an int64 array otherwise).

    Raises
    ------
    ValueError
        If a share is outside (0, 1), the shares are equal, or power is invalid.

    See Also
    --------
    sample_size_nps : the same question for NPS.

    Notes
    -----
    Cohen's arcsine effect :math:`h = 2\arcsin\sqrt{p_1} - 2\arcsin\sqrt{p_2}` and
    :math:`n = 2((z_{1-\alpha/2} + z_{power}) / h)^2` per group, :math:`\alpha = 1 -`
    ``confidence``. Checked against statsmodels
    ``NormalIndPower().solve_power(proportion_effectsize(p1, p2), alpha=..., power=...)``
    (which also counts the far tail, a difference far below one response).

    References
    ----------
    Cohen, J. (1988). Statistical Power Analysis for the Behavioral Sciences (2nd ed.),
    chapter 6. Hillsdale, NJ: Lawrence Erlbaum. doi:10.4324/9780203771587

    Examples
    --------
    >>> sample_size_proportion(0.60, 0.65)
    1471
    """
    zs = _z_sum(power, confidence)
    a, b = np.broadcast_arrays(np.asarray(p1, dtype=float), np.asarray(p2, dtype=float))
    if np.any(~((a > 0) & (a < 1) & (b > 0) & (b < 1))):
        raise ValueError("shares must lie strictly between 0 and 1")
    h = 2 * np.arcsin(np.sqrt(a)) - 2 * np.arcsin(np.sqrt(b))
    if np.any(h == 0):
        raise ValueError("p1 and p2 must differ")
    return _finish(2.0 * (zs / h) ** 2, _is_scalar(p1, p2))


def sample_size_nps(
    p_promoters, p_detractors, delta, *, power: float = 0.8, confidence: float = 0.95
):
    r"""Responses per wave (or segment) to detect an NPS change of ``delta`` points.

    Parameters
    ----------
    p_promoters, p_detractors : float or array-like
        Expected shares of promoters and detractors (0..1, summing to at most 1),
        usually the baseline wave's.
    delta : float or array-like
        The change to detect, in NPS points (e.g. 5 for a move from 30 to 35).
    power : float, default 0.8
        Probability of detecting a true change of that size.
    confidence : float, default 0.95
        Confidence level of the two-sided test.

    Returns
    -------
    int or numpy.ndarray
        Responses needed in each of the two waves, rounded up.

    Raises
    ------
    ValueError
        On shares outside [0, 1] or summing above 1, a zero ``delta`` or invalid power.

    See Also
    --------
    cxlib.stats_compare.nps_difference : the test this plans for.

    Notes
    -----
    The test is the adjusted-Wald two-sample z-test of :func:`nps_difference`: each
    wave's variance is :math:`V' = p'_P + p'_D - (p'_P - p'_D)^2` on :math:`n + 3`
    responses, with :math:`p' = (n p + 3/4)/(n + 3)`, and both waves are planned with
    the baseline shares. The size solves
    :math:`2 V'(n) / (n + 3) = (\delta / 100)^2 / (z_{1-\alpha/2} + z_{power})^2` by
    fixed-point iteration (:math:`V'` barely moves with :math:`n`).

    References
    ----------
    Rocks, B. (2016). Interval estimation for the "net promoter score". The American
    Statistician, 70(4), 365-372. doi:10.1080/00031305.2016.1158124

    Examples
    --------
    >>> sample_size_nps(0.45, 0.20, 5)
    3686
    """
    zs = _z_sum(power, confidence)
    pp, pd_, d = np.broadcast_arrays(
        *(np.asarray(x, dtype=float) for x in (p_promoters, p_detractors, delta))
    )
    if np.any(~((pp >= 0) & (pd_ >= 0) & (pp + pd_ <= 1))):
        raise ValueError("shares must be in [0, 1] and sum to at most 1")
    if np.any(~(np.abs(d) > 0)) or np.any(np.abs(d) > 200):
        raise ValueError("delta must be a non-zero change in NPS points (at most 200)")
    k = (zs / (d / 100.0)) ** 2

    def variance(n):
        a_p, a_d = (pp * n + 0.75) / (n + 3), (pd_ * n + 0.75) / (n + 3)
        return a_p + a_d - (a_p - a_d) ** 2

    n = np.maximum(2 * variance(np.full_like(k, 1e6)) * k - 3, 1.0)
    for _ in range(100):
        n_new = np.maximum(2 * variance(n) * k - 3, 1.0)
        if np.allclose(n_new, n, rtol=0, atol=1e-9):
            break
        n = n_new
    return _finish(n_new, _is_scalar(p_promoters, p_detractors, delta))


def _t_power(n: float, effect: float, crit_q: float) -> float:
    df = 2 * n - 2
    nc = effect * np.sqrt(n / 2)
    crit = _sps.t.ppf(crit_q, df)
    return float(_sps.nct.sf(crit, df, nc) + _sps.nct.cdf(-crit, df, nc))


def sample_size_mean(sd, delta, *, power: float = 0.8, confidence: float = 0.95):
    r"""Responses per group to detect a change of ``delta`` in a mean score (e.g. CES).

    Parameters
    ----------
    sd : float or array-like
        Standard deviation of single answers (from the baseline), positive.
    delta : float or array-like
        The change to detect, in scale units.
    power : float, default 0.8
        Probability of detecting a true change of that size.
    confidence : float, default 0.95
        Confidence level of the two-sided test.

    Returns
    -------
    int or numpy.ndarray
        Responses needed in each of the two groups, rounded up.

    Raises
    ------
    ValueError
        If ``sd`` is not positive, ``delta`` is zero or power is invalid.

    See Also
    --------
    cxlib.stats_compare.welch_test : the test this plans for.

    Notes
    -----
    Exact power of the two-sided two-sample t-test with equal groups: with effect
    :math:`d = \delta/sd`, :math:`df = 2n - 2` and non-centrality :math:`d\sqrt{n/2}`,
    power is :math:`P(|T'| > t_{1-\alpha/2, df})` under the non-central t; the smallest
    :math:`n` reaching ``power`` is found by root finding. Checked against statsmodels
    ``TTestIndPower().solve_power``.

    References
    ----------
    Cohen, J. (1988). Statistical Power Analysis for the Behavioral Sciences (2nd ed.),
    chapter 2. Hillsdale, NJ: Lawrence Erlbaum. doi:10.4324/9780203771587

    Examples
    --------
    >>> sample_size_mean(1.5, 0.25)
    567
    """
    _z_sum(power, confidence)
    s, d = np.broadcast_arrays(np.asarray(sd, dtype=float), np.asarray(delta, dtype=float))
    if np.any(~(s > 0)) or np.any(~(np.abs(d) > 0)):
        raise ValueError("sd must be positive and delta non-zero")
    crit_q = 0.5 + confidence / 2.0
    effects = np.abs(d / s).reshape(-1)
    n = np.empty(effects.size)
    for i, e in enumerate(effects):  # one root per requested design, not per response
        gap = lambda m, e=e: _t_power(m, e, crit_q) - power  # noqa: E731
        normal = 2.0 * (_z_sum(power, confidence) / e) ** 2  # large-sample size
        n[i] = 2.0 if gap(2.0) >= 0 else _opt.brentq(gap, 2.0, 2.0 * normal + 10.0)
    return _finish(n.reshape(s.shape), _is_scalar(sd, delta))
