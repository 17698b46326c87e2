"""Charts of the governance step: RACI matrix, contacts, value versus effort, budget, calendar.

Presentation layer. Every function takes the table the compute layer returned, then
keyword-only options and ``ax``, and returns the Axes; colours come from the active theme's
cycle (the brand palette once :func:`cxlib.plots.use_theme` has run), with the Okabe-Ito
vermillion marking problems. Nothing here calls ``plt.show()``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from cxlib import governance
from cxlib.plots import (
    MUTED,
    SMALL_HATCH,
    cycle_colours,
    empty_chart,
    new_axes,
    readable_text_on,
)

if TYPE_CHECKING:
    from cxlib.config import RaciDecision
    from cxlib.governance_contacts import ContactAudit

__all__ = [
    "cadence_timeline",
    "contact_volume",
    "contacts_per_customer",
    "raci_matrix",
    "roadmap_budget",
    "value_effort",
]

_PROBLEM = "#D55E00"  # Okabe-Ito vermillion: breaches and failed checks
_LIGHT = "#BDBDBD"
_FLAG = "#1A1A1A"  # dashed frame around a RACI row or column that fails a check
_ROLE_ORDER = ("", "I", "C", "R", "A")
_TRACKS = {
    "steering": "Steering group",
    "working_team": "Working team",
    "measurement": "Re-measurement",
    "review": "Reviews",
}


def _thousands() -> Any:
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda v, _pos: f"{v:,.0f}")


def _n_note(ax: Any, text: str) -> None:
    ax.annotate(
        text, xy=(1, 1.01), xycoords="axes fraction", ha="right", va="bottom", fontsize="small"
    )


def raci_matrix(
    decisions: Sequence[RaciDecision],
    *,
    checks: pd.DataFrame | None = None,
    ax: Any = None,
) -> Any:
    """Draw the RACI as a coloured grid: people down, decisions across, a letter per cell.

    Parameters
    ----------
    decisions : sequence of RaciDecision
        ``governance.decisions``; laid out by :func:`cxlib.governance.raci_matrix`, each
        column labelled with the decision's title.
    checks : pandas.DataFrame, optional
        :func:`cxlib.governance.check_raci`; decisions and people that fail a check get a
        vermillion frame and their label a warning mark.
    ax : matplotlib Axes, optional
        Where to draw; a new figure when omitted.

    Returns
    -------
    matplotlib.axes.Axes
        Cells coloured by the strongest role (A, then R, C, I); cell text is the role.
    """
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch, Rectangle

    matrix = governance.raci_matrix(decisions)
    titles = {d.id: d.title for d in decisions}
    size = (max(6.0, 1.4 * matrix.shape[1] + 3), max(3.0, 0.45 * len(matrix) + 1.8))
    ax = new_axes(ax, size=size)
    title = "Who decides what: the RACI of CX decisions"
    if matrix.empty:
        return empty_chart(ax, "No RACI assignments yet", title=title)
    pal = cycle_colours()
    colours = ["#FFFFFF", "#E8E8E8", pal[2 % len(pal)], pal[1 % len(pal)], pal[0]]
    code = matrix.apply(lambda col: col.map(_strongest)).to_numpy(dtype=int)
    ax.imshow(code, cmap=ListedColormap(colours), vmin=-0.5, vmax=4.5, aspect="auto")
    for (i, j), text in np.ndenumerate(matrix.to_numpy()):
        if text:
            ink = readable_text_on(colours[code[i, j]])
            ax.text(j, i, text, ha="center", va="center", color=ink, fontweight="bold")
    bad_decisions, bad_people = _failed(checks)
    xlabels = [f"⚠ {titles[c]}" if c in bad_decisions else titles[c] for c in matrix.columns]
    ax.set_xticks(range(matrix.shape[1]), xlabels, rotation=30, ha="right")
    ax.set_yticks(range(len(matrix)), [f"⚠ {p}" if p in bad_people else p for p in matrix.index])
    frame = {"fill": False, "lw": 2.5, "edgecolor": _FLAG, "ls": (0, (4, 2))}
    for j, col in enumerate(matrix.columns):
        if col in bad_decisions:
            ax.add_patch(Rectangle((j - 0.5, -0.5), 1, len(matrix), **frame))
    for i, person in enumerate(matrix.index):
        if person in bad_people:
            ax.add_patch(Rectangle((-0.5, i - 0.5), matrix.shape[1], 1, **frame))
    ax.grid(False)
    ax.set_title(title)
    ax.set_xlabel("CX decision")
    ax.set_ylabel("Person")
    _n_note(ax, f"n = {len(matrix)} people × {matrix.shape[1]} decisions")
    roles = ((4, "A: Accountable"), (3, "R: Responsible"), (2, "C: Consulted"), (1, "I: Informed"))
    handles = [Patch(facecolor=colours[k], edgecolor=MUTED, label=name) for k, name in roles]
    handles.append(
        Patch(facecolor="none", edgecolor=_FLAG, lw=2, ls=(0, (4, 2)), label="⚠ fails a check")
    )
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1), fontsize="small")
    return ax


def _strongest(cell: str) -> int:
    letters = str(cell).split("/") if cell else [""]
    return max(_ROLE_ORDER.index(x) for x in letters)


def _failed(checks: pd.DataFrame | None) -> tuple[set[str], set[str]]:
    if checks is None or checks.empty:
        return set(), set()
    failed = checks[~checks["passed"].astype(bool)]
    per_decision = failed["check"].isin(["one_accountable", "has_responsible"])
    return set(failed.loc[per_decision, "subject"]), set(failed.loc[~per_decision, "subject"])


def contacts_per_customer(audit: ContactAudit | None, *, ax: Any = None) -> Any:
    """Bar chart of how many surveys customers received, split by whether they were over the cap.

    Parameters
    ----------
    audit : ContactAudit or None
        :func:`cxlib.governance_contacts.audit_contacts`; its ``distribution`` is drawn and
        its policy named in the title. None: an empty chart saying there is no log.
    ax : matplotlib Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib.axes.Axes
        Two stacked bar containers: within the policy (brand colour) and over the cap
        (vermillion); bar heights are customers.
    """
    ax = new_axes(ax)
    title = "Surveys received per customer"
    if audit is None or audit.distribution.empty:
        return empty_chart(ax, "No survey contact log in this engagement", title=title)
    distribution, policy = audit.distribution, audit.policy
    x = distribution["contacts"].to_numpy()
    over = distribution["over_cap"].to_numpy()
    within = distribution["customers"].to_numpy() - over
    ax.bar(x, within, color=cycle_colours()[0], label="never over the cap")
    bars = ax.bar(x, over, bottom=within, color=_PROBLEM, label="over the cap at least once")
    ax.bar_label(bars, labels=[f"{v:,}" if v else "" for v in over], color=_PROBLEM, padding=2)
    ax.set_xticks(x)
    ax.set_title(title)
    ax.set_xlabel(
        f"Surveys received in the period (policy: at most {policy.max_surveys} "
        f"in any {policy.per_days} days)"
    )
    ax.set_ylabel("Customers")
    ax.legend()
    _n_note(ax, f"n = {int(distribution['customers'].sum()):,} customers contacted")
    return ax


def contact_volume(audit: ContactAudit | None, *, ax: Any = None) -> Any:
    """Draw the surveys sent per month, and what the contact policy would have sent.

    Parameters
    ----------
    audit : ContactAudit or None
        :func:`cxlib.governance_contacts.audit_contacts`; its ``monthly`` table (``month``,
        ``contacts``, ``under_policy``) is drawn.
    ax : matplotlib Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib.axes.Axes
        One bar container (sent) and one line (under the policy).
    """
    ax = new_axes(ax)
    title = "Survey volume: sent and under the policy"
    if audit is None or audit.monthly.empty:
        return empty_chart(ax, "No survey contact log in this engagement", title=title)
    monthly = audit.monthly
    labels = pd.to_datetime(monthly["month"]).dt.strftime("%b %Y")
    x = np.arange(len(monthly))
    ax.bar(x, monthly["contacts"], color=_LIGHT, label="sent")
    ax.plot(
        x, monthly["under_policy"], marker="o", color=cycle_colours()[0], label="under the policy"
    )
    ax.set_xticks(x, labels, rotation=45, ha="right")
    ax.yaxis.set_major_formatter(_thousands())
    ax.set_title(title)
    ax.set_xlabel("Month")
    ax.set_ylabel("Surveys")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    _n_note(ax, f"n = {int(monthly['contacts'].sum()):,} surveys sent")
    return ax


def value_effort(roadmap: pd.DataFrame, *, ax: Any = None) -> Any:
    """Value-versus-effort matrix: each open initiative placed by effort and impact.

    Parameters
    ----------
    roadmap : pandas.DataFrame
        Scored initiatives with ``initiative_id``, ``effort``, ``impact``, ``cost``,
        ``funded`` and ``small_n``.
    ax : matplotlib Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib.axes.Axes
        Funded initiatives filled in the brand colour, the others hollow; marker area grows
        with cost; evidence on a small base is hatched; dotted lines at the median effort
        and impact divide the quadrants. Initiatives at the same effort are spread sideways
        (by at most 0.3 either way) so that none hides another.
    """
    from matplotlib.ticker import PercentFormatter

    ax = new_axes(ax, size=(8.0, 5.5))
    title = "Value versus effort"
    if roadmap is None or roadmap.empty:
        return empty_chart(ax, "No open initiatives to place", title=title)
    data = roadmap.reset_index(drop=True)
    x = data["effort"].astype(float).to_numpy() + _spread(data["effort"])
    y = data["impact"].astype(float).to_numpy()
    cost = data["cost"].astype(float).fillna(0).to_numpy()
    size = 60 + 540 * np.sqrt(cost / cost.max()) if cost.max() > 0 else np.full(len(x), 120.0)
    funded = data["funded"].astype(bool).to_numpy()
    small = data["small_n"].astype(bool).to_numpy() if "small_n" in data else np.zeros_like(funded)
    colour = cycle_colours()[0]
    ax.scatter(
        x[funded], y[funded], s=size[funded], color=colour, edgecolor="white", label="funded"
    )
    ax.scatter(
        x[~funded],
        y[~funded],
        s=size[~funded],
        facecolor="none",
        edgecolor=_LIGHT,
        linewidth=1.5,
        label="not funded",
    )
    if small.any():
        ax.scatter(
            x[small],
            y[small],
            s=size[small],
            facecolor="none",
            edgecolor="#1A1A1A",
            hatch=SMALL_HATCH,
            linewidth=0,
            label="small base: indicative",
        )
    ids = data["initiative_id"].astype(str)
    for k, (xi, yi, label) in enumerate(zip(x, y, ids, strict=True)):
        dy = 6 if k % 2 == 0 else -11  # alternate above and below so neighbours stay legible
        ax.annotate(
            label, (xi, yi), xytext=(5, dy), textcoords="offset points", fontsize="x-small"
        )
    ax.axvline(data["effort"].median(), color=MUTED, linestyle=":", linewidth=1)
    ax.axhline(np.median(y), color=MUTED, linestyle=":", linewidth=1)
    low, high = ax.get_ylim()
    ax.set_ylim(low, high + 0.12 * (high - low))  # headroom for the quadrant names
    for text, xa, ha in (("Quick wins", 0.01, "left"), ("Major projects", 0.99, "right")):
        ax.text(xa, 0.99, text, transform=ax.transAxes, ha=ha, va="top", color=MUTED)
    ax.set_title(title)
    ax.set_xlabel("Effort (as scored in the initiatives table)")
    ax.set_ylabel("Impact: share of the measured problem addressed")
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")
    _n_note(ax, f"n = {len(data)} open initiatives; marker area shows cost")
    return ax


def _spread(effort: pd.Series) -> np.ndarray:
    """Deterministic sideways offsets for initiatives sharing an effort score."""
    pos = effort.groupby(effort).cumcount().to_numpy(dtype=float)
    count = effort.groupby(effort).transform("size").to_numpy(dtype=float)
    return np.where(count > 1, (pos / np.maximum(count - 1, 1) - 0.5) * 0.6, 0.0)


def roadmap_budget(roadmap: pd.DataFrame, *, budget: float | None, ax: Any = None) -> Any:
    """Draw the funded roadmap as cumulative spend against the budget.

    Parameters
    ----------
    roadmap : pandas.DataFrame
        Output of :func:`cxlib.governance_roadmap.build_roadmap` (funded first).
    budget : float or None
        The budget, drawn as a vertical line.
    ax : matplotlib Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib.axes.Axes
        One horizontal bar per funded initiative, from the spend before it to the spend
        after it, in roadmap order.
    """
    ax = new_axes(ax)
    title = "Funded roadmap against the budget"
    funded = roadmap[roadmap["funded"].astype(bool)] if roadmap is not None else None
    if funded is None or funded.empty:
        message = "No budget set in engagement.yaml" if budget is None else "Nothing funded"
        return empty_chart(ax, message, title=title)
    cost = funded["cost"].astype(float).to_numpy()
    start = np.concatenate([[0.0], np.cumsum(cost)[:-1]])
    y = np.arange(len(funded))
    ax.barh(y, cost, left=start, color=cycle_colours()[0])
    ax.set_yticks(y, funded["initiative_id"].astype(str))
    ax.invert_yaxis()
    if budget is not None:
        ax.axvline(budget, color=_PROBLEM, linewidth=2, label="budget")
        ax.legend(loc="upper right")
    ax.xaxis.set_major_formatter(_thousands())
    ax.grid(axis="x")
    ax.set_title(title)
    ax.set_xlabel("Cumulative cost")
    ax.set_ylabel("Initiative (roadmap order)")
    _n_note(ax, f"n = {len(funded)} funded initiatives")
    return ax


def cadence_timeline(calendar: pd.DataFrame, *, ax: Any = None) -> Any:
    """Draw the governance calendar as a timeline: one row per track, one mark per event.

    Parameters
    ----------
    calendar : pandas.DataFrame
        :func:`cxlib.governance_calendar.cadence_calendar` (``date``, ``kind``, ``track``).
    ax : matplotlib Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib.axes.Axes
        One scatter collection per track present, in the order steering, working team,
        re-measurement, reviews (top to bottom).
    """
    import matplotlib.dates as mdates

    ax = new_axes(ax, size=(9.0, 3.2))
    title = "Governance calendar"
    if calendar is None or calendar.empty:
        return empty_chart(ax, "No events planned", title=title)
    tracks = [t for t in _TRACKS if t in set(calendar["track"])]
    pal = cycle_colours()
    markers = {"meeting": "o", "wave": "D", "review": "s"}
    for row, track in enumerate(tracks):
        sub = calendar[calendar["track"] == track]
        kind = sub["kind"].iloc[0]
        colour = pal[row % len(pal)]
        when = pd.to_datetime(sub["date"])
        mark = markers.get(kind, "o")
        ax.scatter(when, np.full(len(sub), row), marker=mark, s=70, color=colour, zorder=3)
    ax.set_yticks(range(len(tracks)), [_TRACKS[t] for t in tracks])
    ax.set_ylim(len(tracks) - 0.5, -0.5)
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%b %Y"))
    ax.grid(axis="x")
    ax.set_title(title)
    ax.set_xlabel("Date")
    ax.set_ylabel("Track")
    start, end = pd.to_datetime(calendar["date"]).min(), pd.to_datetime(calendar["date"]).max()
    _n_note(ax, f"n = {len(calendar)} events, {start:%b %Y} to {end:%b %Y}")
    return ax
