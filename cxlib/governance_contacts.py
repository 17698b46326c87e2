"""Survey contact policy: audit the contact log and simulate the volume under the policy.

Compute layer. A policy such as "at most one survey per customer per 30 days, none within 7
days of an open complaint" is checked against every contact in the log, with vectorised
operations only: the log is sorted once by customer and time, and a contact breaks the cap
when the contact ``max_surveys`` places earlier for the same customer is less than
``per_days`` days before it. Complaints are matched to contacts with one ``merge_asof``.
The simulation keeps contacts greedily in time order, advancing every customer at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cxlib.config import ContactPolicy
from cxlib.governance import _require
from cxlib.stats import top_box

__all__ = [
    "ContactAudit",
    "audit_contacts",
    "complaint_events",
    "contacts_under_policy",
    "flag_contacts",
]

_OFFENDER_COLUMNS = (
    "dimension",
    "value",
    "n_contacts",
    "over_cap",
    "in_quiet_period",
    "breaches",
    "breach_share",
    "customers_over_cap",
)


def _times(values: pd.Series, what: str) -> np.ndarray:
    """Timestamps as int64 nanoseconds; missing or unparseable times are an error."""
    ts = pd.to_datetime(values, errors="coerce")
    if getattr(ts.dt, "tz", None) is not None:
        ts = ts.dt.tz_convert("UTC").dt.tz_localize(None)
    bad = int(ts.isna().sum())
    if bad:
        raise ValueError(f"{what} has {bad} missing or unreadable time(s)")
    return ts.to_numpy(dtype="datetime64[ns]").astype(np.int64)


def complaint_events(
    events: pd.DataFrame | None,
    *,
    policy: ContactPolicy,
    touchpoints: pd.DataFrame,
    customer: str = "customer_id",
    touchpoint: str = "touchpoint_id",
    time: str = "occurred_at",
    completed: str = "completed",
) -> pd.DataFrame | None:
    """Pick the journey events that count as open complaints under the contact policy.

    The kit has no complaints table; a complaint source exists when the journey has
    touchpoints at a complaint stage (``policy.complaint_stages``, "Support" by default,
    matched ignoring case) or touchpoints named in ``policy.complaint_touchpoints``. When
    ``policy.complaints_open_only`` is set and the events have a ``completed`` column, only
    events that were not completed count: the customer's issue is still open.

    Parameters
    ----------
    events : pandas.DataFrame or None
        touchpoint_events: customer_id, touchpoint_id, occurred_at (and completed).
    policy : ContactPolicy
        The contact policy from engagement.yaml.
    touchpoints : pandas.DataFrame
        The journey's touchpoints with ``touchpoint_id`` and ``stage``.
    customer, touchpoint, time, completed : str
        Column roles in ``events``.

    Returns
    -------
    pandas.DataFrame or None
        ``customer_id``, ``complained_at`` and ``touchpoint_id``, one row per complaint
        (possibly none). None when there is no complaint source: no events, or no
        touchpoint at a complaint stage or in the list.

    Examples
    --------
    >>> from cxlib.config import ContactPolicy
    >>> ev = pd.DataFrame({"customer_id": ["a", "a", "b"],
    ...     "touchpoint_id": ["chat", "chat", "app"], "completed": [True, False, False],
    ...     "occurred_at": pd.to_datetime(["2026-01-01", "2026-02-01", "2026-02-01"])})
    >>> tps = pd.DataFrame({"touchpoint_id": ["chat", "app"], "stage": ["support", "use"]})
    >>> complaint_events(ev, policy=ContactPolicy(), touchpoints=tps)["complained_at"].tolist()
    [Timestamp('2026-02-01 00:00:00')]
    """
    if events is None:
        return None
    _require(events, [customer, touchpoint, time], "touchpoint_events")
    _require(touchpoints, ["touchpoint_id", "stage"], "touchpoints")
    stages = {s.strip().casefold() for s in policy.complaint_stages}
    at_stage = touchpoints["stage"].astype("string").str.strip().str.casefold().isin(stages)
    ids = set(touchpoints.loc[at_stage.fillna(False), "touchpoint_id"])
    ids |= set(policy.complaint_touchpoints)
    if not ids:
        return None
    chosen = events[touchpoint].isin(ids)
    if policy.complaints_open_only and completed in events:
        chosen &= events[completed].eq(False).fillna(False)
    out = events.loc[chosen, [customer, time, touchpoint]]
    out.columns = ["customer_id", "complained_at", "touchpoint_id"]
    out["complained_at"] = pd.to_datetime(out["complained_at"])
    return out.reset_index(drop=True)


def flag_contacts(
    contacts: pd.DataFrame,
    *,
    policy: ContactPolicy,
    complaints: pd.DataFrame | None = None,
    customer: str = "customer_id",
    time: str = "contacted_at",
) -> pd.DataFrame:
    r"""Flag every contact that breaks the contact policy.

    Parameters
    ----------
    contacts : pandas.DataFrame
        The survey contact log: one row per survey sent.
    policy : ContactPolicy
        ``max_surveys`` per ``per_days`` and ``quiet_days_after_complaint``.
    complaints : pandas.DataFrame, optional
        ``customer_id`` and ``complained_at`` (see :func:`complaint_events`). Without it the
        quiet-period rule is not checked and ``in_quiet_period`` is all False.
    customer, time : str
        Column roles in ``contacts``.

    Returns
    -------
    pandas.DataFrame
        The contacts sorted by customer id and time (stable, other columns kept), with
        ``customer_id`` and ``contacted_at`` under their canonical names and three flags:
        ``over_cap`` (this contact makes more than ``max_surveys`` in ``per_days``),
        ``in_quiet_period`` (sent less than ``quiet_days_after_complaint`` days after a
        complaint by the same customer) and ``breach`` (either).

    Raises
    ------
    TypeError, ValueError
        If ``contacts`` is not a DataFrame, lacks the columns or has missing times.

    Notes
    -----
    With :math:`k` = ``max_surveys``, :math:`W` = ``per_days`` days and the contacts of one
    customer at times :math:`t_1 \le t_2 \le \dots`, contact :math:`i` is over the cap when
    :math:`t_i - t_{i-k} < W`: it is the :math:`(k+1)`-th contact in a window shorter than
    :math:`W`. Computed on the log sorted by customer and time by comparing each timestamp
    with the one :math:`k` rows earlier (a shift), so the cost is one sort, whatever the
    number of customers. A complaint at time :math:`c` puts a survey at :math:`t` in the
    quiet period when :math:`0 \le t - c < Q` days, found with a backward ``merge_asof``.

    Examples
    --------
    >>> from cxlib.config import ContactPolicy
    >>> log = pd.DataFrame({"customer_id": ["a", "a", "a", "b"],
    ...     "contacted_at": pd.to_datetime(["2026-01-01", "2026-01-20", "2026-03-01",
    ...                                     "2026-01-05"])})
    >>> flag_contacts(log, policy=ContactPolicy())["over_cap"].tolist()
    [False, True, False, False]
    """
    _require(contacts, [customer, time], "contacts")
    out = contacts.rename(columns={customer: "customer_id", time: "contacted_at"})
    t = _times(out["contacted_at"], "contacts")
    code = pd.factorize(out["customer_id"], sort=True)[0]
    if (code < 0).any():
        raise ValueError("contacts has missing customer ids")
    order = np.lexsort((t, code))
    out = out.iloc[order].reset_index(drop=True)
    out["contacted_at"] = t[order].view("datetime64[ns]")
    code, t = code[order], t[order]
    k = policy.max_surveys
    window = pd.Timedelta(days=policy.per_days).value
    over = np.zeros(len(out), dtype=bool)
    if len(out) > k:
        same = code[k:] == code[:-k]
        over[k:] = same & (t[k:] - t[:-k] < window)
    out["over_cap"] = over
    out["in_quiet_period"] = _quiet(out, complaints, policy)
    out["breach"] = out["over_cap"] | out["in_quiet_period"]
    return out


def _quiet(flagged: pd.DataFrame, complaints: pd.DataFrame | None, policy: ContactPolicy):
    n = len(flagged)
    if complaints is None or complaints.empty or policy.quiet_days_after_complaint == 0 or not n:
        return np.zeros(n, dtype=bool)
    _require(complaints, ["customer_id", "complained_at"], "complaints")
    left = pd.DataFrame(
        {
            "customer_id": flagged["customer_id"].astype(str).to_numpy(),
            "at": flagged["contacted_at"].to_numpy(dtype="datetime64[ns]"),
            "row": np.arange(n),
        }
    ).sort_values("at", kind="stable")
    right = pd.DataFrame(
        {
            "customer_id": complaints["customer_id"].astype(str).to_numpy(),
            "at": pd.to_datetime(complaints["complained_at"]).to_numpy(dtype="datetime64[ns]"),
        }
    )
    right = right.dropna().sort_values("at", kind="stable")
    right["complained_at"] = right["at"]
    hit = pd.merge_asof(
        left,
        right,
        on="at",
        by="customer_id",
        direction="backward",
        tolerance=pd.Timedelta(days=policy.quiet_days_after_complaint),
        allow_exact_matches=True,
    )
    quiet = np.zeros(n, dtype=bool)
    gap = hit["at"] - hit["complained_at"]
    close = hit["complained_at"].notna() & (
        gap < pd.Timedelta(policy.quiet_days_after_complaint, "D")
    )
    quiet[hit.loc[close, "row"].to_numpy()] = True
    return quiet


def _next_after_window(code: np.ndarray, t: np.ndarray, window: int) -> np.ndarray:
    """For each row, the first row of the same customer at least ``window`` later.

    Rows are sorted by customer then time. Exact: the queries ``t + window`` are merged with
    the rows in one lexicographic sort (customer, time, queries before rows on ties), and a
    query's answer is the number of rows sorted before it. Rows of other customers never
    count because the customer code sorts first; an answer past the customer's last row
    points at the next customer's first row, which callers test for.
    """
    n = len(t)
    keys_code = np.concatenate([code, code])
    keys_time = np.concatenate([t, t + window])
    is_row = np.concatenate([np.ones(n, dtype=np.int8), np.zeros(n, dtype=np.int8)])
    merged = np.lexsort((is_row, keys_time, keys_code))
    rows_before = np.cumsum(is_row[merged]) - is_row[merged]
    answer = np.empty(2 * n, dtype=np.int64)
    answer[merged] = rows_before
    return answer[n:]


def contacts_under_policy(flagged: pd.DataFrame, *, policy: ContactPolicy) -> np.ndarray:
    r"""Which contacts a policy-abiding programme would have sent.

    Contacts in a complaint's quiet period are dropped; of the rest, each customer's contacts
    are kept greedily in time order, a contact being kept when fewer than ``max_surveys``
    kept contacts fall in the ``per_days`` days before it.

    Parameters
    ----------
    flagged : pandas.DataFrame
        Output of :func:`flag_contacts` (sorted by customer and time).
    policy : ContactPolicy
        The contact policy.

    Returns
    -------
    numpy.ndarray of bool
        One flag per row of ``flagged``: True when the contact is kept.

    Notes
    -----
    Greedy in time order, which for a cap of :math:`k` per window :math:`W` keeps the most
    contacts any schedule could keep. The greedy rule keeps the next contact at time
    :math:`t` when :math:`t \ge s + W`, with :math:`s` the :math:`k`-th most recent kept
    contact. A single exact pass finds, for every contact, the first later contact at least
    :math:`W` after it; every customer then advances at once, round by round, the number of
    rounds being the most contacts kept for one customer (about 12 a year for one survey a
    month), not the number of customers or rows.

    Examples
    --------
    >>> from cxlib.config import ContactPolicy
    >>> log = pd.DataFrame({"customer_id": ["a"] * 4,
    ...     "contacted_at": pd.to_datetime(["2026-01-01", "2026-01-20", "2026-02-05",
    ...                                     "2026-02-10"])})
    >>> f = flag_contacts(log, policy=ContactPolicy())
    >>> contacts_under_policy(f, policy=ContactPolicy()).tolist()
    [True, False, True, False]
    """
    _require(flagged, ["customer_id", "contacted_at", "in_quiet_period"], "flagged contacts")
    eligible = ~flagged["in_quiet_period"].to_numpy(dtype=bool)
    rows = np.flatnonzero(eligible)
    keep = np.zeros(len(flagged), dtype=bool)
    if not len(rows):
        return keep
    code = pd.factorize(flagged["customer_id"].to_numpy()[rows], sort=False)[0]
    t = flagged["contacted_at"].to_numpy(dtype="datetime64[ns]").astype(np.int64)[rows]
    window = pd.Timedelta(days=policy.per_days).value
    jump = _next_after_window(code, t, window)
    first = np.flatnonzero(np.r_[True, code[1:] != code[:-1]])
    end = np.r_[first[1:], len(code)]  # one past each customer's last row
    k = policy.max_surveys
    last = first.copy()  # index of each active customer's latest kept contact
    recent = np.full((len(first), k), -1, dtype=np.int64)  # last k kept, oldest first
    recent[:, -1] = first
    kept = [first]
    while len(last):
        oldest = recent[:, 0]
        nxt = np.where(oldest >= 0, np.maximum(last + 1, jump[np.maximum(oldest, 0)]), last + 1)
        alive = nxt < end
        last, end, recent, nxt = last[alive], end[alive], recent[alive], nxt[alive]
        recent = np.column_stack([recent[:, 1:], nxt])
        last = nxt
        kept.append(nxt)
    keep[rows[np.concatenate(kept)]] = True
    return keep


@dataclass(frozen=True, eq=False)
class ContactAudit:
    """Result of :func:`audit_contacts`.

    Attributes
    ----------
    summary : pandas.DataFrame
        One row: ``n_contacts``, ``n_customers`` (customers contacted), ``period_start``,
        ``period_end``, ``customers_over_cap``, ``n`` (= n_customers), ``estimate`` (share
        of contacted customers over the cap at least once), ``ci_low``, ``ci_high``,
        ``small_n``, ``contacts_over_cap``, ``contacts_in_quiet_period``,
        ``customers_in_quiet_period``, ``contacts_in_breach``, ``contacts_under_policy``
        and ``reduction`` (share of contacts the policy would not send).
    offenders : pandas.DataFrame
        One row per value of each breakdown column (survey, team, ...): ``dimension``,
        ``value``, ``n_contacts``, ``over_cap``, ``in_quiet_period``, ``breaches``,
        ``breach_share`` and ``customers_over_cap``; most breaches first, then the highest
        breach rate (so a team that sends only offending surveys precedes a survey type it
        shares with well-behaved teams).
    distribution : pandas.DataFrame
        ``contacts`` (surveys a customer received), ``customers`` (how many customers
        received that many), ``over_cap`` (of whom over the cap at least once).
    monthly : pandas.DataFrame
        ``month`` (first day), ``contacts`` sent and ``under_policy`` (what the policy
        would have sent).
    policy : ContactPolicy
        The policy audited.
    complaint_rule : bool
        Whether the quiet-period rule was checked (a complaint source existed).
    confidence : float
        Level of the interval.
    """

    summary: pd.DataFrame
    offenders: pd.DataFrame
    distribution: pd.DataFrame
    monthly: pd.DataFrame
    policy: ContactPolicy
    complaint_rule: bool
    confidence: float

    def _repr_html_(self) -> str:
        return self.summary.to_html(index=False)


def audit_contacts(
    contacts: pd.DataFrame | None,
    *,
    policy: ContactPolicy,
    complaints: pd.DataFrame | None = None,
    customer: str = "customer_id",
    time: str = "contacted_at",
    by: Sequence[str] | None = None,
    confidence: float = 0.95,
    min_n: int = 30,
) -> ContactAudit | None:
    r"""Audit the survey contact log against the contact policy.

    Answers: how many customers were asked for feedback more often than the policy allows,
    which surveys and teams caused it, how many surveys customers receive, and how many
    surveys the programme would send if it kept to the policy.

    Parameters
    ----------
    contacts : pandas.DataFrame or None
        The contact log: customer_id, contacted_at, survey (and any breakdown columns).
        None when the engagement has no contact log: nothing to audit, None is returned.
    policy : ContactPolicy
        The policy from engagement.yaml.
    complaints : pandas.DataFrame, optional
        Open complaints from :func:`complaint_events`; None when there is no complaint
        source, in which case the quiet-period rule is reported as not checked.
    customer, time : str
        Column roles in ``contacts``.
    by : sequence of str, optional
        Columns to break breaches down by (default ``policy.breakdown``: survey and team);
        those absent from the log are skipped.
    confidence : float, default 0.95
        Level of the interval around the share of customers over the cap.
    min_n : int, default 30
        Bases below this are flagged ``small_n``.

    Returns
    -------
    ContactAudit or None
        Summary, worst offenders, distribution of contacts per customer, monthly volume.

    Raises
    ------
    TypeError, ValueError
        On a wrong input type, missing columns or missing times.

    See Also
    --------
    flag_contacts : the per-contact flags.
    contacts_under_policy : the simulation.

    Notes
    -----
    The share over the cap is :math:`\hat p = m / n` with :math:`m` the customers having at
    least one contact over the cap and :math:`n` the customers contacted in the log. The log
    is a census of the period, so the Wilson interval describes the process that produced
    it (what to expect from another period run the same way), not sampling error. A breach
    is attributed to the survey that caused it: the later contact.

    References
    ----------
    .. [1] Wilson, E. B. (1927). Probable inference, the law of succession, and statistical
       inference. JASA 22(158), 209-212. https://doi.org/10.1080/01621459.1927.10502953

    Examples
    --------
    >>> from cxlib.config import ContactPolicy
    >>> log = pd.DataFrame({"customer_id": ["a", "a", "b"], "survey": ["nps", "tx", "nps"],
    ...     "contacted_at": pd.to_datetime(["2026-01-01", "2026-01-09", "2026-01-03"])})
    >>> audit = audit_contacts(log, policy=ContactPolicy())
    >>> row = audit.summary.iloc[0]
    >>> int(row["customers_over_cap"]), float(row["estimate"]), int(row["contacts_under_policy"])
    (1, 0.5, 2)
    """
    if contacts is None:
        return None
    flagged = flag_contacts(
        contacts, policy=policy, complaints=complaints, customer=customer, time=time
    )
    keep = contacts_under_policy(flagged, policy=policy)
    per = flagged.groupby("customer_id", sort=False).agg(
        contacts=("over_cap", "size"), over=("over_cap", "any"), quiet=("in_quiet_period", "any")
    )
    flags = per.assign(over=per["over"].astype(float))
    share = top_box(flags, score="over", top=(1.0,), confidence=confidence, min_n=min_n).iloc[0]
    period = flagged["contacted_at"]
    summary = pd.DataFrame(
        [
            {
                "n_contacts": len(flagged),
                "n_customers": len(per),
                "period_start": period.min(),
                "period_end": period.max(),
                "customers_over_cap": int(per["over"].sum()),
                "n": int(share["n"]),
                "estimate": float(share["estimate"]),
                "ci_low": float(share["ci_low"]),
                "ci_high": float(share["ci_high"]),
                "small_n": bool(share["small_n"]),
                "contacts_over_cap": int(flagged["over_cap"].sum()),
                "contacts_in_quiet_period": int(flagged["in_quiet_period"].sum()),
                "customers_in_quiet_period": int(per["quiet"].sum()),
                "contacts_in_breach": int(flagged["breach"].sum()),
                "contacts_under_policy": int(keep.sum()),
                "reduction": 1.0 - keep.sum() / len(flagged) if len(flagged) else np.nan,
            }
        ]
    )
    dist = per.groupby("contacts").agg(customers=("over", "size"), over_cap=("over", "sum"))
    month = flagged["contacted_at"].dt.to_period("M").dt.to_timestamp()
    monthly = pd.DataFrame({"month": month, "sent": 1, "kept": keep}).groupby("month").sum()
    monthly = monthly.rename(columns={"sent": "contacts", "kept": "under_policy"}).reset_index()
    return ContactAudit(
        summary=summary,
        offenders=_offenders(flagged, [c for c in by or policy.breakdown if c in flagged]),
        distribution=dist.reset_index().astype("int64"),
        monthly=monthly,
        policy=policy,
        complaint_rule=complaints is not None and policy.quiet_days_after_complaint > 0,
        confidence=confidence,
    )


def _offenders(flagged: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    columns = list(_OFFENDER_COLUMNS)
    parts = []
    for column in by:
        key = flagged[column].astype("string").fillna("(none)")
        g = flagged.assign(_key=key, _cust=flagged["customer_id"].where(flagged["over_cap"]))
        table = g.groupby("_key", sort=True).agg(
            n_contacts=("breach", "size"),
            over_cap=("over_cap", "sum"),
            in_quiet_period=("in_quiet_period", "sum"),
            breaches=("breach", "sum"),
            customers_over_cap=("_cust", "nunique"),
        )
        table["breach_share"] = table["breaches"] / table["n_contacts"]
        parts.append(table.rename_axis("value").reset_index().assign(dimension=column))
    if not parts:
        return pd.DataFrame(columns=columns)
    out = pd.concat(parts, ignore_index=True)[columns]
    out = out.sort_values(
        ["breaches", "breach_share", "dimension", "value"],
        ascending=[False, False, True, True],
        kind="stable",
    )
    return out.reset_index(drop=True)
