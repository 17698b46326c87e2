"""Step 6: CX and operational KPIs of one wave, as tidy rows with their uncertainty.

Every KPI of the baseline is one row of a *KPI table* with the same columns
(:data:`KPI_COLUMNS`), whatever kind of measure it is: an NPS, a share (top-box CSAT,
completion, first-contact resolution), a mean (CES, handling time), a rate per month
(ideas proposed) or an amount (revenue at risk). Alongside the estimate and its interval
each row keeps the summary statistics a later wave needs to test a change against it
(``promoters``/``detractors`` for an NPS, ``sd`` for a mean, ``count``/``exposure`` for a
rate), so a locked baseline file is enough to re-measure against.

Business outcomes live in :mod:`cxlib.kpi_outcomes`, the four CX-management health KPIs in
:mod:`cxlib.kpi_health`, targets, owners and sample sizes in :mod:`cxlib.kpi_targets`.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterable, Sequence

import numpy as np
import pandas as pd

from cxlib import stats
from cxlib.config import Journey, OperationalMetric

__all__ = [
    "KPI_COLUMNS",
    "cx_metrics",
    "default_operational",
    "kpi_frame",
    "kpi_row",
    "operational_metrics",
    "stage_of",
    "wave_period",
]

#: Columns of every KPI table, in order.
KPI_COLUMNS = (
    "kpi",
    "label",
    "level",
    "metric",
    "stage",
    "unit",
    "n",
    "n_eff",
    "estimate",
    "ci_low",
    "ci_high",
    "se",
    "small_n",
    "promoters",
    "detractors",
    "sd",
    "count",
    "exposure",
)
_NUMERIC = ("n_eff", "estimate", "ci_low", "ci_high", "se")
_NUMERIC += ("promoters", "detractors", "sd", "count", "exposure")
_TEXT = ("kpi", "label", "level", "metric", "stage", "unit")

_CX = (
    ("nps", "NPS", "nps", "NPS points (-100 to 100)"),
    ("csat", "CSAT top-2 box", "share", "share of answers (0 to 1)"),
    ("ces", "CES", "mean", "mean score"),
)
_OPERATIONAL = {
    "completion": ("Completion rate", "share", "share of events (0 to 1)"),
    "first_contact_resolution": (
        "First-contact resolution",
        "share",
        "share of contacts (0 to 1)",
    ),
    "duration": ("Mean duration", "mean", "seconds"),
}

_QUARTER = re.compile(r"^(\d{4})[-_ ]?Q([1-4])$", re.I)
_HALF = re.compile(r"^(\d{4})[-_ ]?H([12])$", re.I)
_MONTH = re.compile(r"^(\d{4})[-_ ]?(0[1-9]|1[0-2])$")
_YEAR = re.compile(r"^(\d{4})$")


def kpi_row(**values: object) -> dict[str, object]:
    """Return one KPI-table row with every column present (missing numbers as NaN).

    Parameters
    ----------
    **values
        Column values; unknown column names raise ``ValueError``.

    Returns
    -------
    dict
        A row with exactly the keys of :data:`KPI_COLUMNS`.

    Raises
    ------
    ValueError
        If a key is not a KPI-table column.

    Examples
    --------
    >>> row = kpi_row(kpi="nps", estimate=12.5, n=40)
    >>> row["kpi"], row["estimate"], bool(np.isnan(row["sd"])), row["stage"]
    ('nps', 12.5, True, '')
    """
    unknown = sorted(set(values) - set(KPI_COLUMNS))
    if unknown:
        raise ValueError(f"not KPI-table columns: {unknown}")
    row: dict[str, object] = dict.fromkeys(KPI_COLUMNS, np.nan)
    row.update(dict.fromkeys(_TEXT, ""))
    row.update(n=0, small_n=True)
    row.update(values)
    return row


def kpi_frame(rows: Iterable[dict[str, object]] | pd.DataFrame | None) -> pd.DataFrame:
    """Build a KPI table with the standard columns and types from rows or records.

    Used both for freshly computed rows and for records read back from a results or
    baseline JSON file (where missing numbers are ``null``).

    Parameters
    ----------
    rows : iterable of dict, DataFrame or None
        KPI rows; extra keys are kept as extra columns.

    Returns
    -------
    pandas.DataFrame
        Columns of :data:`KPI_COLUMNS` first (numbers as float, ``n`` as int, ``small_n``
        as bool, text as str), then any extra columns.

    Examples
    --------
    >>> out = kpi_frame([{"kpi": "nps", "estimate": None, "n": 3}])
    >>> out["estimate"].isna().tolist(), int(out["n"].iloc[0]), out["stage"].tolist()
    ([True], 3, [''])
    """
    frame = pd.DataFrame(list(rows) if not isinstance(rows, pd.DataFrame) else rows)
    for col in KPI_COLUMNS:
        if col not in frame.columns:
            frame[col] = kpi_row()[col]
    for col in _NUMERIC:
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype(float)
    frame["n"] = pd.to_numeric(frame["n"], errors="coerce").fillna(0).astype(np.int64)
    frame["small_n"] = frame["small_n"].map(lambda v: True if v is None else bool(v))
    frame["small_n"] = frame["small_n"].astype(bool)
    for col in _TEXT:
        frame[col] = frame[col].map(lambda v: "" if v is None or v != v else str(v))
    extra = [c for c in frame.columns if c not in KPI_COLUMNS]
    return frame[list(KPI_COLUMNS) + extra].reset_index(drop=True)


def wave_period(
    label: str, *, dates: pd.Series | None = None
) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """Calendar period of a wave, from its label or else from its response dates.

    Labels such as ``2026Q1``, ``2026-H2``, ``2026-05``/``202605`` or ``2026`` give the
    quarter, half, month or year. Other labels fall back on the first and last date in
    ``dates`` (the wave's ``responded_at``), the end extended by one day.

    Parameters
    ----------
    label : str
        The wave label.
    dates : pandas.Series, optional
        Dates of the wave's responses, for labels that name no period.

    Returns
    -------
    tuple of pandas.Timestamp, or None
        ``(start, end)`` with ``end`` exclusive; None when neither the label nor the
        dates give a period.

    Examples
    --------
    >>> [str(d.date()) for d in wave_period("2026Q3")]
    ['2026-07-01', '2026-10-01']
    >>> [str(d.date()) for d in wave_period("2026-05")]
    ['2026-05-01', '2026-06-01']
    """
    text = str(label).strip()
    for pattern, months, scale in ((_QUARTER, 3, 3), (_HALF, 6, 6), (_MONTH, 1, 1)):
        match = pattern.match(text)
        if match:
            start = pd.Timestamp(int(match.group(1)), (int(match.group(2)) - 1) * scale + 1, 1)
            return start, start + pd.DateOffset(months=months)
    match = _YEAR.match(text)
    if match:
        start = pd.Timestamp(int(match.group(1)), 1, 1)
        return start, start + pd.DateOffset(years=1)
    if dates is not None:
        parsed = pd.to_datetime(dates, errors="coerce").dropna()
        if len(parsed):
            return parsed.min().normalize(), parsed.max().normalize() + pd.Timedelta(days=1)
    return None


def stage_of(
    data: pd.DataFrame, journey: Journey | None, *, touchpoint: Hashable = "touchpoint_id"
) -> pd.Series:
    """Journey stage of each row, from its touchpoint (empty text when unknown).

    Parameters
    ----------
    data : pandas.DataFrame
        Rows with a touchpoint column (responses or touchpoint events).
    journey : Journey or None
        The journey from engagement.yaml.
    touchpoint : str, default "touchpoint_id"
        Column with the touchpoint id.

    Returns
    -------
    pandas.Series
        Stage names aligned with ``data``; ``""`` where the touchpoint is missing or not
        in the journey.

    Examples
    --------
    >>> from cxlib.config import Journey
    >>> j = Journey(stages=["Join", "Use"], touchpoints=[
    ...     {"id": "t1", "name": "Shop", "stage": "Join", "channel": "store"}])
    >>> stage_of(pd.DataFrame({"touchpoint_id": ["t1", None, "zz"]}), j).tolist()
    ['Join', '', '']
    """
    if journey is None or touchpoint not in data.columns:
        return pd.Series("", index=data.index, dtype=object)
    mapping = {t.id: t.stage for t in journey.touchpoints}
    return data[touchpoint].map(mapping).fillna("").astype(object)


def _rows_from(
    table: pd.DataFrame, *, kpi: str, label: str, level: str, metric: str, unit: str, stage=""
) -> dict[str, object]:
    r = table.iloc[0]
    row = kpi_row(kpi=kpi, label=label, level=level, metric=metric, stage=stage, unit=unit)
    for col in ("n_eff", "estimate", "ci_low", "ci_high", "se", "promoters", "detractors", "sd"):
        if col in table.columns:
            row[col] = float(r[col])
    row["n"] = int(r["n"])
    row["small_n"] = bool(r["small_n"])
    if metric == "share" and row["n"] > 0:
        row["count"] = float(r["estimate"]) * float(r["n_eff"])
    return row


def _one_metric(data, metric, score, *, weight, top, confidence, min_n) -> pd.DataFrame:
    if metric == "nps":
        return stats.nps(data, score=score, weight=weight, confidence=confidence, min_n=min_n)
    if metric == "share":
        return stats.top_box(
            data, score=score, top=top, weight=weight, confidence=confidence, min_n=min_n
        )
    return stats.mean_ci(data, score=score, weight=weight, confidence=confidence, min_n=min_n)


def cx_metrics(
    responses: pd.DataFrame,
    *,
    journey: Journey | None = None,
    wave: str | None = None,
    events: pd.DataFrame | None = None,
    period: tuple[pd.Timestamp, pd.Timestamp] | None = None,
    wave_col: Hashable = "wave",
    survey: Hashable = "survey",
    touchpoint: Hashable = "touchpoint_id",
    nps: Hashable = "nps",
    csat: Hashable = "csat",
    ces: Hashable = "ces",
    event_csat: Hashable = "csat",
    event_effort: Hashable = "effort",
    occurred_at: Hashable = "occurred_at",
    weight: Hashable | None = None,
    top: Sequence[float] = (4, 5),
    confidence: float = 0.95,
    min_n: int = 30,
) -> pd.DataFrame:
    """NPS, CSAT and CES of one wave, overall and by journey stage, as KPI rows.

    The customer-feedback layer of the KPI tree: what customers say overall (the
    relationship survey) and at each stage of the journey (the ratings given at the
    stage's touchpoints).

    Parameters
    ----------
    responses : pandas.DataFrame
        Survey responses (canonical columns).
    journey : Journey, optional
        Stages and touchpoints; without it only overall rows are produced.
    wave : str, optional
        Keep only this wave's responses (default: all rows).
    events : pandas.DataFrame, optional
        Touchpoint events. When given with rating columns, stage-level CSAT and CES come
        from the event ratings (``event_csat``, ``event_effort``) within ``period``;
        otherwise from the responses at the stage's touchpoints.
    period : tuple of Timestamp, optional
        The wave's period for the events (``start <= occurred_at < end``).
    wave_col, survey, touchpoint, nps, csat, ces : str
        Column roles of the responses (canonical names by default). A score column that
        is absent is skipped.
    event_csat, event_effort, occurred_at : str
        Column roles of the events; ``event_effort`` is read on the CES scale.
    weight : str, optional
        Survey weight column (responses only).
    top : sequence of numbers, default (4, 5)
        CSAT answers that count as satisfied.
    confidence : float, default 0.95
        Confidence level of the intervals.
    min_n : int, default 30
        Rows on a smaller (effective) base are flagged ``small_n``.

    Returns
    -------
    pandas.DataFrame
        A KPI table (:data:`KPI_COLUMNS`), level ``"cx"``: for each of ``nps``, ``csat``,
        ``ces`` the overall row, then ``<metric>:<stage>`` for each stage with answers,
        in journey order. NPS rows are in NPS points with ``promoters``/``detractors``
        shares; CSAT rows are top-box shares with ``count``; CES rows are means with
        ``sd``.

    Raises
    ------
    ValueError
        If ``wave`` is given and the wave column is absent.

    See Also
    --------
    cxlib.stats.nps, cxlib.stats.top_box, cxlib.stats.mean_ci : the estimators.

    Notes
    -----
    Overall rows use the relationship survey when the ``survey`` column marks one
    (rows equal to ``"relationship"``), else every response. Stage rows use responses
    whose touchpoint belongs to the stage (NPS always; CSAT and CES when no event ratings
    are given). NPS uses the adjusted-Wald interval (Rocks 2016), CSAT the Wilson
    interval and CES a t interval, as in :mod:`cxlib.stats`. Missing answers are left
    out of each metric's base; a stage with no answers for a metric gets no row.

    References
    ----------
    Rocks, B. (2016). Interval estimation for the "net promoter score". The American
    Statistician, 70(4), 365-372. doi:10.1080/00031305.2016.1158124

    Examples
    --------
    >>> df = pd.DataFrame({"nps": [10, 9, 3, 8], "csat": [5, 4, 2, 4], "ces": [2, 3, 6, 2]})
    >>> out = cx_metrics(df)
    >>> out["kpi"].tolist(), float(out.loc[0, "estimate"]), float(out.loc[1, "estimate"])
    (['nps', 'csat', 'ces'], 25.0, 0.75)
    """
    data = _wave_rows(responses, wave, wave_col)
    overall = data
    if survey in data.columns and (data[survey] == "relationship").any():
        overall = data[data[survey] == "relationship"]
    stages = stage_of(data, journey, touchpoint=touchpoint)
    order = list(journey.stages) if journey is not None else []
    rated = _event_ratings(events, journey, period, touchpoint, occurred_at)
    opts = {"top": top, "confidence": confidence, "min_n": min_n}
    rows = []
    for key, label, metric, unit in _CX:
        column = {"nps": nps, "csat": csat, "ces": ces}[key]
        if column not in data.columns:
            continue
        head = {"level": "cx", "metric": metric, "unit": unit}
        table = _one_metric(overall, metric, column, weight=weight, **opts)
        rows.append(_rows_from(table, kpi=key, label=label, **head))
        source, col, w, where = data, column, weight, stages
        event_col = {"csat": event_csat, "ces": event_effort}.get(key)
        if rated is not None and event_col in rated.columns:
            source, col, w, where = rated, event_col, None, rated["_stage"]
            head = {**head, "unit": f"{unit}, touchpoint ratings"}
        for stage in order:
            part = source[(where == stage).to_numpy()]
            if part[col].notna().sum() == 0:
                continue
            table = _one_metric(part, metric, col, weight=w, **opts)
            name = f"{label}: {stage}"
            rows.append(_rows_from(table, kpi=f"{key}:{stage}", label=name, stage=stage, **head))
    return kpi_frame(rows)


def _event_ratings(events, journey, period, touchpoint, occurred_at) -> pd.DataFrame | None:
    """Events in the period with their stage, or None when there are none to use."""
    if events is None or journey is None or touchpoint not in events.columns:
        return None
    out = events.assign(_stage=stage_of(events, journey, touchpoint=touchpoint))
    if period is not None and occurred_at in out.columns:
        when = pd.to_datetime(out[occurred_at], errors="coerce")
        out = out[((when >= period[0]) & (when < period[1])).to_numpy()]
    return out


def _wave_rows(data: pd.DataFrame, wave: str | None, wave_col: Hashable) -> pd.DataFrame:
    if wave is None:
        return data
    if wave_col not in data.columns:
        raise ValueError(f"column {wave_col!r} not found; cannot select wave {wave!r}")
    return data[data[wave_col].astype(str) == str(wave)]


def default_operational() -> list[OperationalMetric]:
    """Operational KPIs used when engagement.yaml lists none.

    Returns
    -------
    list of OperationalMetric
        Completion rate, first-contact resolution (7-day repeat window) and mean duration,
        each over every touchpoint.

    Examples
    --------
    >>> [m.name for m in default_operational()]
    ['completion', 'fcr', 'duration']
    """
    return [
        OperationalMetric(name="completion", kind="completion"),
        OperationalMetric(name="fcr", kind="first_contact_resolution"),
        OperationalMetric(name="duration", kind="duration"),
    ]


def _first_contact_resolved(
    events: pd.DataFrame, *, customer, touchpoint, occurred_at, repeat_days: float
) -> pd.Series:
    """Flag events with no later event of the same customer at the same touchpoint follows soon."""
    when = pd.to_datetime(events[occurred_at], errors="coerce")
    keyed = pd.DataFrame(
        {"c": events[customer].to_numpy(), "t": events[touchpoint].to_numpy(), "w": when}
    )
    keyed = keyed.sort_values(["c", "t", "w"], kind="stable")
    nxt = keyed.groupby(["c", "t"], sort=False, dropna=False)["w"].shift(-1)
    gap = (nxt - keyed["w"]).dt.total_seconds() / 86400.0
    resolved = ~(gap <= repeat_days)
    resolved[keyed["w"].isna()] = np.nan
    return resolved.reindex(events.index)


def operational_metrics(
    events: pd.DataFrame,
    *,
    journey: Journey | None = None,
    metrics: Sequence[OperationalMetric] | None = None,
    period: tuple[pd.Timestamp, pd.Timestamp] | None = None,
    customer: Hashable = "customer_id",
    touchpoint: Hashable = "touchpoint_id",
    occurred_at: Hashable = "occurred_at",
    completed: Hashable = "completed",
    duration: Hashable = "duration_s",
    confidence: float = 0.95,
    min_n: int = 30,
) -> pd.DataFrame:
    r"""Operational KPIs from touchpoint events: completion, first-contact resolution, time.

    What the operation does, week by week, at the touchpoints: the share of journeys
    completed, the share of contacts resolved without a repeat contact, and the time taken.

    Parameters
    ----------
    events : pandas.DataFrame
        Touchpoint events (canonical columns).
    journey : Journey, optional
        Needed when a metric selects journey stages.
    metrics : sequence of OperationalMetric, optional
        The metrics (``kpis.operational`` in engagement.yaml); default
        :func:`default_operational`.
    period : tuple of Timestamp, optional
        Keep events with ``start <= occurred_at < end`` (the wave's period). A repeat
        contact just after the period still counts against first-contact resolution.
    customer, touchpoint, occurred_at, completed, duration : str
        Column roles (canonical names by default).
    confidence : float, default 0.95
        Confidence level of the intervals.
    min_n : int, default 30
        Rows on a smaller base are flagged ``small_n``.

    Returns
    -------
    pandas.DataFrame
        A KPI table (:data:`KPI_COLUMNS`), level ``"operational"``, one row per metric,
        named by the metric's ``name``; shares carry ``count``, means ``sd``.

    Raises
    ------
    ValueError
        If a column a metric needs is absent.

    See Also
    --------
    cxlib.stats.top_box, cxlib.stats.mean_ci : the estimators used.

    Notes
    -----
    Completion :math:`= \#\{completed\}/n` and first-contact resolution
    :math:`= \#\{\text{no repeat within } d \text{ days}\}/n` get Wilson intervals; a
    contact is *repeated* when the same customer has another event at the same
    touchpoint within ``repeat_days`` after it. Duration is the mean of ``duration_s``
    with a t interval. Events without the needed value are left out of the base.

    References
    ----------
    Wilson, E. B. (1927). Probable inference, the law of succession, and statistical
    inference. Journal of the American Statistical Association, 22(158), 209-212.
    doi:10.1080/01621459.1927.10502953

    Examples
    --------
    >>> ev = pd.DataFrame({"customer_id": [1, 1, 2], "touchpoint_id": ["a", "a", "a"],
    ...     "occurred_at": pd.to_datetime(["2026-01-01", "2026-01-03", "2026-01-02"]),
    ...     "completed": [True, False, True], "duration_s": [60.0, 120.0, 90.0]})
    >>> out = operational_metrics(ev)
    >>> out["kpi"].tolist(), [round(x, 3) for x in out["estimate"]]
    (['completion', 'fcr', 'duration'], [0.667, 0.667, 90.0])
    """
    metrics = list(metrics) if metrics else default_operational()
    stages = stage_of(events, journey, touchpoint=touchpoint)
    in_period = pd.Series(True, index=events.index)
    if period is not None and occurred_at in events.columns:
        when = pd.to_datetime(events[occurred_at], errors="coerce")
        in_period = (when >= period[0]) & (when < period[1])
    rows = []
    for m in metrics:
        scope = pd.Series(True, index=events.index)
        if m.stages:
            scope &= stages.isin(m.stages)
        if m.touchpoints:
            scope &= events[touchpoint].isin(m.touchpoints) if touchpoint in events else False
        rows.append(
            _operational_row(
                events,
                scope,
                scope & in_period,
                m,
                cols=(customer, touchpoint, occurred_at, completed, duration),
                confidence=confidence,
                min_n=min_n,
            )
        )
    return kpi_frame(rows)


def _operational_row(data, scope, keep, m: OperationalMetric, *, cols, confidence, min_n):
    customer, touchpoint, occurred_at, completed, duration = cols
    label, metric, unit = _OPERATIONAL[m.kind]
    if m.kind == "completion":
        needed = [completed]
    elif m.kind == "duration":
        needed = [duration]
    else:
        needed = [customer, touchpoint, occurred_at]
    missing = [c for c in needed if c not in data.columns]
    if missing:
        raise ValueError(f"operational KPI {m.name!r} needs column(s) {missing} in the events")
    if m.kind == "first_contact_resolution":
        value = _first_contact_resolved(
            data[scope.to_numpy()],
            customer=customer,
            touchpoint=touchpoint,
            occurred_at=occurred_at,
            repeat_days=m.repeat_days,
        ).reindex(data.index)
    else:
        value = data[needed[0]]
    frame = pd.DataFrame({"v": pd.to_numeric(value.astype("Float64"), errors="coerce")})
    frame = frame[keep.to_numpy()]
    opts = {"weight": None, "top": (1,), "confidence": confidence, "min_n": min_n}
    table = _one_metric(frame.astype(float), metric, "v", **opts)
    return _rows_from(
        table,
        kpi=m.name,
        label=m.label or label,
        level="operational",
        metric=metric,
        unit=unit,
    )
