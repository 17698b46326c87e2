"""Step 7: control charts over every wave, telling a real movement from the usual noise.

NPS gets limits from its own variance (:func:`cxlib.stats.nps_control_limits`), top-box CSAT
a p-chart with limits that follow each wave's base (:func:`cxlib.stats.p_chart`). With large
waves and at least three of them, Laney's adjustment widens the limits by the observed
wave-to-wave variation, so that big samples do not turn every wobble into a "signal".
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import numpy as np
import pandas as pd

from cxlib import stats
from cxlib.config import Journey
from cxlib.kpi import stage_of

__all__ = ["control_charts", "use_laney"]

_COLUMNS = [
    "chart",
    "label",
    "wave",
    "n",
    "n_eff",
    "estimate",
    "centre",
    "sigma",
    "lcl",
    "ucl",
    "laney",
    "beyond_limits",
    "shift",
    "special_cause",
    "small_n",
]


def use_laney(n: Sequence[float], *, min_n: int = 1000, min_waves: int = 3) -> bool:
    """Whether Laney's adjustment applies: enough waves, and large ones.

    Parameters
    ----------
    n : sequence of float
        Base of each wave.
    min_n : int, default 1000
        Median base from which the plain limits are too narrow to be useful.
    min_waves : int, default 3
        Fewer waves give too few moving ranges to estimate Laney's sigma_z.

    Returns
    -------
    bool
        True when there are at least ``min_waves`` waves and their median base is at least
        ``min_n``.

    Examples
    --------
    >>> use_laney([2000, 2500, 2200]), use_laney([2000, 2500]), use_laney([50, 60, 70])
    (True, False, False)
    """
    values = np.asarray(list(n), dtype=float)
    return bool(values.size >= min_waves and np.median(values) >= min_n)


def _ordered(data: pd.DataFrame, waves: Sequence[str], wave_col: Hashable) -> pd.DataFrame:
    labels = [str(w) for w in waves]
    keep = data[data[wave_col].astype(str).isin(labels)]
    cat = pd.Categorical(keep[wave_col].astype(str), categories=labels, ordered=True)
    return keep.assign(**{wave_col: cat})


def _nps_chart(data, wave_col, score, weight, laney_min_n, min_n) -> pd.DataFrame:
    counts = data.groupby(wave_col, observed=True)[score].count()
    laney = use_laney(counts[counts > 0].to_numpy(), min_n=laney_min_n)
    t = stats.nps_control_limits(
        data[data[score].notna()], period=wave_col, score=score, weight=weight, laney=laney
    )
    t = t.rename(columns={wave_col: "wave"})
    t["laney"] = laney
    t["small_n"] = t["n_eff"] < min_n
    return t


def _p_chart(data, wave_col, score, top, weight, laney_min_n, min_n) -> pd.DataFrame:
    t = stats.top_box(data, score=score, top=top, by=wave_col, weight=weight)
    t = t[t["n_eff"] > 0].reset_index(drop=True)
    if t.empty:
        return pd.DataFrame(columns=_COLUMNS)
    laney = use_laney(t["n_eff"].to_numpy(), min_n=laney_min_n)
    chart = stats.p_chart(t["estimate"] * t["n_eff"], t["n_eff"], laney=laney)
    out = chart.assign(wave=t[wave_col].astype(str).to_numpy(), n=t["n"].to_numpy())
    out["n_eff"] = t["n_eff"].to_numpy()
    out["estimate"] = out["p"]
    out["laney"] = laney
    out["small_n"] = out["n_eff"] < min_n
    return out


def control_charts(
    responses: pd.DataFrame,
    *,
    waves: Sequence[str],
    journey: Journey | None = None,
    stages: Sequence[str] = (),
    events: pd.DataFrame | None = None,
    wave_col: Hashable = "wave",
    survey: Hashable = "survey",
    nps: Hashable = "nps",
    csat: Hashable = "csat",
    top: Sequence[float] = (4, 5),
    weight: Hashable | None = None,
    laney_min_n: int = 1000,
    min_n: int = 30,
) -> pd.DataFrame:
    r"""Control-chart points and limits for NPS and CSAT over waves, overall and by stage.

    Parameters
    ----------
    responses : pandas.DataFrame
        Responses of every wave.
    waves : sequence of str
        Waves to chart, oldest first (e.g. ``waves.labels`` up to the current wave);
        waves without answers are left out.
    journey : Journey, optional
        Needed for the stage charts.
    stages : sequence of str, optional
        Journey stages to chart as well (CSAT top-box p-charts).
    events : pandas.DataFrame, optional
        Touchpoint events with a wave column (:func:`cxlib.remeasure_movers.label_waves`);
        when given, the stage charts use their CSAT ratings (unweighted) instead of the
        responses at the stage's touchpoints.
    wave_col, survey, nps, csat : str
        Column roles. The overall charts use the relationship survey when ``survey``
        marks one (as :func:`cxlib.kpi.cx_metrics` does), else every response.
    top : sequence of numbers, default (4, 5)
        CSAT answers that count as satisfied.
    weight : str, optional
        Survey weight column (Kish's effective base replaces n).
    laney_min_n : int, default 1000
        Median base from which Laney's adjustment is used (with 3+ waves).
    min_n : int, default 30
        Points on a smaller base are flagged ``small_n``.

    Returns
    -------
    pandas.DataFrame
        One row per chart and wave: ``chart`` (``nps``, ``csat``, ``csat:<stage>``),
        ``label``, ``wave``, ``n``, ``n_eff``, ``estimate`` (NPS points or share),
        ``centre``, ``sigma``, ``lcl``, ``ucl``, ``laney`` (adjustment used),
        ``beyond_limits``, ``shift`` (8 in a row on one side), ``special_cause`` and
        ``small_n``.

    See Also
    --------
    cxlib.stats.p_chart, cxlib.stats.nps_control_limits, use_laney : the limits.

    Notes
    -----
    p-chart: :math:`\bar p \pm 3\sqrt{\bar p(1 - \bar p)/n_i}`; NPS:
    :math:`\overline{NPS} \pm 3 \cdot 100\sqrt{V/n_i}` with
    :math:`V = \bar p_P + \bar p_D - (\bar p_P - \bar p_D)^2` of all waves pooled. Laney's
    p' chart multiplies the width by :math:`\sigma_z`, the mean moving range of the
    standardised points divided by 1.128. With two waves the chart can only show whether
    the second wave lies outside the limits of both pooled.

    References
    ----------
    Laney, D. B. (2002). Improved control charts for attributes. Quality Engineering,
    14(4), 531-537. doi:10.1081/QEN-120003555

    Examples
    --------
    >>> df = pd.DataFrame({"wave": ["W1"] * 100 + ["W2"] * 100,
    ...     "nps": [10, 9, 8, 7, 3] * 40, "csat": [5, 4, 3, 2, 5] * 40})
    >>> out = control_charts(df, waves=["W1", "W2"])
    >>> out[["chart", "wave"]].values.tolist()
    [['nps', 'W1'], ['nps', 'W2'], ['csat', 'W1'], ['csat', 'W2']]
    """
    data = _ordered(responses, waves, wave_col)
    overall = data
    if survey in data.columns and (data[survey] == "relationship").any():
        overall = data[(data[survey] == "relationship").to_numpy()]
    parts = []
    opts = {"weight": weight, "laney_min_n": laney_min_n, "min_n": min_n}
    if nps in data.columns and overall[nps].notna().any():
        parts.append(_nps_chart(overall, wave_col, nps, **opts).assign(chart="nps", label="NPS"))
    if csat in data.columns and overall[csat].notna().any():
        chart = _p_chart(overall, wave_col, csat, top, **opts)
        parts.append(chart.assign(chart="csat", label="CSAT top-2 box"))
        src = data if events is None else _ordered(events, waves, wave_col)
        stage = stage_of(src, journey)
        stage_opts = {**opts, "weight": None} if events is not None else opts
        for name in stages:
            if csat not in src.columns:
                break
            chart = _p_chart(src[(stage == name).to_numpy()], wave_col, csat, top, **stage_opts)
            parts.append(chart.assign(chart=f"csat:{name}", label=f"CSAT top-2 box: {name}"))
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame(columns=_COLUMNS)
    out = pd.concat(parts, ignore_index=True)
    out["wave"] = out["wave"].astype(str)
    return out[_COLUMNS]
