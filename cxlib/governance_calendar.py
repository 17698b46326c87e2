"""Step 5: the cadence calendar: meetings, result reviews and re-measurement waves.

Compute layer. The plan starts on ``governance.start_date`` or, by default, on the first day
of the month after the latest data, so the same inputs always give the same calendar.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

import pandas as pd

from cxlib.config import Governance
from cxlib.governance import CADENCE_STEPS

__all__ = ["cadence_calendar", "default_start", "last_wave_start", "plan_start"]


def default_start(dates: Iterable[Any] | pd.Series) -> date:
    """First day of the month after the latest date: where the plan starts by default.

    Using the data rather than today's date keeps a re-run of the same inputs identical.

    Examples
    --------
    >>> default_start(pd.to_datetime(["2026-03-04", "2026-09-30"]))
    datetime.date(2026, 10, 1)
    """
    latest = pd.Series(pd.to_datetime(pd.Series(list(dates)), format="mixed")).max()
    if pd.isna(latest):
        raise ValueError("no dates to start the plan from; set governance.start_date")
    return (latest.to_period("M") + 1).to_timestamp().date()


def plan_start(settings: Governance, dates: Iterable[Any] | pd.Series | None = None) -> date:
    """Return the configured start date, else the month after the latest of ``dates``.

    Examples
    --------
    >>> from cxlib.config import Governance
    >>> plan_start(Governance(start_date="2027-01-04"))
    datetime.date(2027, 1, 4)
    >>> plan_start(Governance(), pd.to_datetime(["2026-11-02"]))
    datetime.date(2026, 12, 1)
    """
    if settings.start_date is not None:
        return settings.start_date
    if dates is None:
        raise ValueError("no data dates to start the plan from; set governance.start_date")
    return default_start(dates)


def _series(start: pd.Timestamp, end: pd.Timestamp, cadence: str) -> list[pd.Timestamp]:
    """Meeting dates from ``start`` at a cadence, before ``end``."""
    unit, step = CADENCE_STEPS[cadence]
    if unit == "days":
        count = (end - start).days // step + 1
        dates = [start + pd.Timedelta(days=step * k) for k in range(count)]
    else:
        months = (end.year - start.year) * 12 + end.month - start.month
        dates = [start + pd.DateOffset(months=step * k) for k in range(months // step + 1)]
    return [d for d in dates if d < end]


def cadence_calendar(
    settings: Governance,
    *,
    start: date | pd.Timestamp,
    last_wave: date | pd.Timestamp | None = None,
    horizon_months: int | None = None,
) -> pd.DataFrame:
    """List the meetings, reviews and re-measurement waves over the planning horizon.

    Parameters
    ----------
    settings : Governance
        The ``governance:`` section (bodies' names and cadences, re-measurement interval).
    start : date
        First day of the plan.
    last_wave : date, optional
        When the latest survey wave opened (:func:`last_wave_start`); re-measurement keeps
        its rhythm. Without it, waves are counted from ``start``.
    horizon_months : int, optional
        Months covered; default ``settings.horizon_months``.

    Returns
    -------
    pandas.DataFrame
        One row per event, in date order: ``date`` (Timestamp), ``kind`` (meeting, wave,
        review), ``track`` (the row of the timeline: steering, working_team, measurement,
        review), ``event`` (what happens) and ``body`` (who holds it).

    Notes
    -----
    Meetings repeat at each body's cadence from the start date. A re-measurement wave opens
    every ``remeasure_every_months`` months after the latest wave (or after the start, when
    that is unknown), from the start of the plan on; its results are reviewed by the
    steering group one month after fieldwork opens, and KPIs are published then. A governance
    review (RACI, contact policy, roadmap) closes each twelve months of the plan.

    Examples
    --------
    >>> from cxlib.config import Governance
    >>> cal = cadence_calendar(Governance(), start=date(2026, 10, 1))
    >>> cal.groupby("track").size().to_dict()
    {'measurement': 3, 'review': 4, 'steering': 4, 'working_team': 12}
    """
    months = settings.horizon_months if horizon_months is None else int(horizon_months)
    if months < 1:
        raise ValueError(f"horizon_months must be at least 1, found {months}")
    t0 = pd.Timestamp(start)
    end = t0 + pd.DateOffset(months=months)
    every = settings.remeasure_every_months
    rows = []
    for track, body in (("steering", settings.steering), ("working_team", settings.working_team)):
        event = "Steering group meeting" if track == "steering" else "Working team meeting"
        rows += [(d, "meeting", track, event, body.name) for d in _series(t0, end, body.cadence)]
    anchor = t0 if last_wave is None else pd.Timestamp(last_wave).normalize()
    span = (end.year - anchor.year) * 12 + end.month - anchor.month
    waves = [anchor + pd.DateOffset(months=every * k) for k in range(1, span // every + 2)]
    waves = [w for w in waves if t0 <= w < end]
    for k, when in enumerate(waves, start=1):
        rows.append((when, "wave", "measurement", f"Re-measurement wave {k} opens", "CX team"))
        review = when + pd.DateOffset(months=1)
        if review < end:
            event = f"Wave {k} results review; KPIs published"
            rows.append((review, "review", "review", event, settings.steering.name))
    for year in range(1, months // 12 + 1):
        when = t0 + pd.DateOffset(months=12 * year) - pd.DateOffset(months=1)
        event = "Governance review: RACI, contact policy, roadmap"
        rows.append((when, "review", "review", event, settings.steering.name))
    cal = pd.DataFrame(rows, columns=["date", "kind", "track", "event", "body"])
    cal["date"] = pd.to_datetime(cal["date"])
    return cal.sort_values(["date", "track"], kind="stable").reset_index(drop=True)


def last_wave_start(
    responses: pd.DataFrame, *, wave: str = "wave", time: str = "responded_at"
) -> pd.Timestamp | None:
    """When the latest survey wave opened: the first response of the wave that ended last.

    Parameters
    ----------
    responses : pandas.DataFrame
        The responses table.
    wave, time : str
        Column roles.

    Returns
    -------
    pandas.Timestamp or None
        None when the table has no wave or time column, or no times.

    Examples
    --------
    >>> r = pd.DataFrame({"wave": ["Q1", "Q1", "Q3"],
    ...     "responded_at": pd.to_datetime(["2026-02-03", "2026-02-20", "2026-08-04"])})
    >>> last_wave_start(r)
    Timestamp('2026-08-04 00:00:00')
    """
    if wave not in responses or time not in responses:
        return None
    when = pd.to_datetime(responses[time], errors="coerce")
    spans = when.groupby(responses[wave].astype("string")).agg(["min", "max"]).dropna()
    if spans.empty:
        return None
    return spans.sort_values(["max", "min"]).iloc[-1]["min"]
