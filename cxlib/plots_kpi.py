"""Charts of the KPI baseline and re-measurement: the KPI tree, churn, scorecard, SPC.

The KPI tree, churn by NPS group, the health KPIs, scorecard changes, segment moves and
control charts.

Presentation layer. Every function takes its data first, keyword-only options and ``ax``
(or returns a Figure when it draws several panels), never calls ``plt.show()``, and takes
its colours from the active theme (:func:`cxlib.plots.use_theme`), except the RAG colours,
which are the colour-blind-safe Okabe-Ito green, orange and vermillion. Small bases are
hatched and named in a note; every chart shows its bases.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from cxlib.narrative_kpi import value_text
from cxlib.plots import cycle_colours, new_axes

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "RAG_COLOURS",
    "churn_by_group",
    "control_charts",
    "health_kpis",
    "kpi_tree",
    "movers",
    "scorecard",
]

#: Status colours (Okabe-Ito): green, amber (orange), red (vermillion), grey.
RAG_COLOURS = {"green": "#009E73", "amber": "#E69F00", "red": "#D55E00", "grey": "#999999"}
_SMALL_NOTE = "hatched: small base, read as indicative"
_UNITS = {
    "nps": "NPS points",
    "share": "percentage points",
    "mean": "scale points",
    "rate": "per month",
}


def _figure(size: tuple[float, float]) -> Figure:
    """Make a figure and take it out of pyplot's registry, so a notebook shows it once.

    Created through pyplot (which switches a notebook to inline figures) and closed at once:
    the notebook then displays only the returned Figure, not a second copy at the cell's end.
    A closed figure still draws and saves normally.
    """
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=size)
    plt.close(fig)
    return fig


def _small_note(ax: Axes, any_small: bool) -> None:
    if any_small:
        from matplotlib.patches import Patch

        handle = Patch(facecolor="white", edgecolor="#555555", hatch="///", label=_SMALL_NOTE)
        ax.legend(handles=[handle], loc="lower right", fontsize="small")


# ------------------------------------------------------------------------------ KPI tree


def _layout(tree: pd.DataFrame) -> dict[str, tuple[float, float]]:
    """Place nodes: depth across, leaves stacked down in order, parents centred on children."""
    children: dict[str, list[str]] = {}
    for node, parent in zip(tree["node"], tree["parent"], strict=True):
        children.setdefault(parent, []).append(node)
    depth = dict(zip(tree["node"], tree["depth"], strict=True))
    pos: dict[str, tuple[float, float]] = {}
    counter = [0]

    def place(node: str) -> float:
        kids = children.get(node, [])
        if not kids:
            y = -float(counter[0])
            counter[0] += 1
        else:
            y = float(np.mean([place(k) for k in kids]))
        pos[node] = (float(depth[node]), y)
        return y

    for root in children.get("", []):
        place(root)
    return pos


def _node_text(row: pd.Series) -> str:
    import textwrap

    label = str(row["label"])
    label = textwrap.fill(label, 26 if row["depth"] < 2 else 34, max_lines=2, placeholder="…")
    if not row["kpi"] or pd.isna(row["estimate"]):
        return label
    metric = row["metric"]
    value = value_text(row["estimate"], metric)
    if pd.isna(row["ci_low"]):
        return f"{label}\n{value} (n={int(row['n']):,})"
    ci = f"{value_text(row['ci_low'], metric)}–{value_text(row['ci_high'], metric)}"
    return f"{label}\n{value} [{ci}] n={int(row['n']):,}"


def kpi_tree(tree: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    r"""Draw the KPI tree: CX goal, branches, KPIs and their stage breakdowns.

    Parameters
    ----------
    tree : pandas.DataFrame
        Output of :func:`cxlib.kpi_tree.kpi_tree`.
    ax : matplotlib Axes, optional
        Where to draw; a new figure sized to the tree by default.

    Returns
    -------
    matplotlib.axes.Axes
        Boxes coloured by level (goal, CX, operational, business) with each KPI's value,
        interval and base; small bases hatched.

    Examples
    --------
    >>> from cxlib.kpi import kpi_frame, kpi_row
    >>> from cxlib.kpi_tree import kpi_tree as build_tree
    >>> k = kpi_frame([kpi_row(kpi="nps", label="NPS", level="cx", metric="nps", n=300,
    ...     estimate=11.8, ci_low=6.0, ci_high=17.5, small_n=False)])
    >>> ax = kpi_tree(build_tree(k, goal="Customers stay"))
    >>> [t.get_text() for t in ax.texts]
    ['Customers stay', 'What customers say (CX\nmetrics)', 'NPS\n11.8 [6.0–17.5] n=300']
    """
    from matplotlib.patches import Patch

    pos = _layout(tree)
    leaves = max(1, sum(1 for _, y in pos.values() if float(y).is_integer()))
    ax = new_axes(ax, size=(13, max(4.0, 0.42 * leaves + 1.5)))
    colours = cycle_colours()
    level_colour = {"goal": colours[0], "cx": colours[1 % len(colours)]}
    level_colour.update(operational=colours[2 % len(colours)], business=colours[3 % len(colours)])
    for row in tree.itertuples():
        if row.parent:
            (x0, y0), (x1, y1) = pos[row.parent], pos[row.node]
            ax.plot([x0 + 0.42, x1 - 0.02], [y0, y1], color="#BBBBBB", lw=0.8, zorder=1)
    for _, row in tree.iterrows():
        x, y = pos[row["node"]]
        colour = level_colour.get(row["level"], colours[0])
        ax.text(
            x,
            y,
            _node_text(row),
            ha="left",
            va="center",
            fontsize=7.5 if row["depth"] >= 2 else 8.5,
            zorder=2,
            bbox={
                "boxstyle": "round,pad=0.3",
                "facecolor": "white",
                "edgecolor": colour,
                "linewidth": 1.6 if row["depth"] < 2 else 1.0,
                "hatch": "///" if bool(row["small_n"]) else None,
            },
        )
    ys = [y for _, y in pos.values()]
    ax.set_xlim(-0.1, max(x for x, _ in pos.values()) + 1.0)
    ax.set_ylim(min(ys) - 0.8, max(ys) + 0.8)
    ax.set_xticks(range(4), ["CX goal", "Area", "KPI", "By journey stage"])
    ax.set_yticks([])
    ax.grid(False)
    ax.spines[["left", "bottom"]].set_visible(False)
    ax.set_xlabel("Level of the tree (value [confidence interval] and base n in each box)")
    ax.set_title("KPI tree: from the CX goal to the numbers that move it")
    handles = [
        Patch(facecolor="white", edgecolor=level_colour[k], label=t)
        for k, t in (
            ("cx", "what customers say"),
            ("operational", "what the operation does"),
            ("business", "what the business gets"),
        )
    ]
    if tree["small_n"].astype(bool).any():
        handles.append(
            Patch(facecolor="white", edgecolor="#555555", hatch="///", label=_SMALL_NOTE)
        )
    ax.legend(
        handles=handles,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.1),
        ncol=len(handles),
        fontsize="small",
    )
    return ax


# ------------------------------------------------------------------------------ baseline


def churn_by_group(churn: pd.DataFrame | None, *, ax: Axes | None = None) -> Axes:
    """Bar chart of churn rate by NPS group with confidence intervals and bases.

    Parameters
    ----------
    churn : pandas.DataFrame or None
        Output of :func:`cxlib.kpi_outcomes.churn_by_nps_group`; None draws a note that
        there is no churn data.
    ax : matplotlib Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib.axes.Axes
        One bar per group (detractors, passives, promoters, all), height the churn rate,
        error bars its interval, base in the tick label; small bases hatched.

    Examples
    --------
    >>> churn = pd.DataFrame({"nps_group": ["detractor", "promoter"], "n": [80, 120],
    ...     "estimate": [0.3, 0.1], "ci_low": [0.21, 0.06], "ci_high": [0.41, 0.17],
    ...     "small_n": [False, False]})
    >>> [round(float(p.get_height()), 1) for p in churn_by_group(churn).patches]
    [30.0, 10.0]
    """
    ax = new_axes(ax, size=(7, 4))
    ax.set_title("Churn by NPS group, with 95% confidence intervals")
    if churn is None or churn.empty:
        ax.text(0.5, 0.5, "No churn data: the customer table has no churned column",
                ha="center", va="center", transform=ax.transAxes)  # fmt: skip
        ax.set_axis_off()
        return ax
    data = churn[churn["n"] > 0].reset_index(drop=True)
    names = {"detractor": "Detractors", "passive": "Passives", "promoter": "Promoters"}
    names["all"] = "All"
    x = np.arange(len(data))
    colours = cycle_colours()
    bars = ax.bar(x, data["estimate"] * 100, color=colours[0], width=0.6)
    for bar, small in zip(bars, data["small_n"], strict=True):
        if small:
            bar.set_hatch("///")
            bar.set_facecolor("white")
            bar.set_edgecolor(colours[0])
    err = np.vstack(
        [(data["estimate"] - data["ci_low"]) * 100, (data["ci_high"] - data["estimate"]) * 100]
    )
    ax.errorbar(x, data["estimate"] * 100, yerr=err, fmt="none", ecolor="#333333", capsize=4)
    labels = [
        f"{names.get(g, g)}\nn={n:,}" for g, n in zip(data["nps_group"], data["n"], strict=True)
    ]
    ax.set_xticks(x, labels)
    ax.set_ylabel("Churn rate (%)")
    ax.set_xlabel("NPS group of the customer's answer")
    ax.set_title("Churn by NPS group, with 95% confidence intervals")
    _small_note(ax, bool(data["small_n"].any()))
    return ax


def health_kpis(kpis: pd.DataFrame, *, confidence: float = 0.95) -> Figure:
    """Four small panels: each CX-management health KPI with its interval and target.

    Parameters
    ----------
    kpis : pandas.DataFrame
        The baseline KPI table (with ``target``).
    confidence : float, default 0.95
        Level of the intervals (for the title).

    Returns
    -------
    matplotlib.figure.Figure
        One panel per health KPI present: point, interval, dashed target line, base.

    Examples
    --------
    >>> from cxlib.kpi import kpi_frame, kpi_row
    >>> k = kpi_frame([kpi_row(kpi="employee_engagement", label="Employee engagement",
    ...     metric="share", unit="share", n=366, estimate=0.73, ci_low=0.68, ci_high=0.78,
    ...     small_n=False)]).assign(target=0.75)
    >>> len(health_kpis(k).axes)
    1
    """
    keys = ["goal_performance", "employee_engagement", "innovation_rate", "improvement_rate"]
    rows = kpis.set_index("kpi").reindex([k for k in keys if k in set(kpis["kpi"])])
    fig = _figure((3.2 * max(1, len(rows)), 3.2))
    axes = fig.subplots(1, max(1, len(rows)))
    axes = np.atleast_1d(axes)
    colour = cycle_colours()[0]
    for ax, (_, r) in zip(axes, rows.iterrows(), strict=False):
        scale = 100.0 if r["metric"] == "share" else 1.0
        small = bool(r["small_n"])
        ax.errorbar(
            [0],
            [r["estimate"] * scale],
            yerr=[
                [(r["estimate"] - r["ci_low"]) * scale],
                [(r["ci_high"] - r["estimate"]) * scale],
            ],
            fmt="o",
            color=colour,
            mfc="white" if small else colour,
            capsize=5,
        )
        if pd.notna(r.get("target", np.nan)):
            ax.axhline(r["target"] * scale, ls="--", color="#555555", lw=1, label="target")
            ax.legend(fontsize="x-small", loc="best")
        ax.set_xticks([0], [f"n={int(r['n']):,}" + (" (small)" if small else "")])
        ax.set_ylabel("%" if r["metric"] == "share" else str(r["unit"]))
        ax.set_title(str(r["label"]).split(" (")[0].split(":")[0], fontsize="medium")
        ax.set_xlim(-1, 1)
    fig.suptitle(f"CX-management health, with {round(confidence * 100)}% intervals")
    fig.supxlabel("open marker: small base, read as indicative", fontsize="small")
    fig.tight_layout()
    return fig


# ------------------------------------------------------------------------------ re-measure


def _forest(ax: Axes, rows: pd.DataFrame, kind: str, label_col: str) -> None:
    scale = 100.0 if kind == "share" else 1.0
    y = np.arange(len(rows))[::-1]
    for yi, (_, r) in zip(y, rows.iterrows(), strict=True):
        colour = RAG_COLOURS.get(r.get("rag", ""), None) or (
            RAG_COLOURS["green"]
            if r.get("change") == "improved"
            else RAG_COLOURS["red"]
            if r.get("change") == "deteriorated"
            else RAG_COLOURS["grey"]
        )
        est, lo, hi = (r[c] * scale for c in ("estimate", "ci_low", "ci_high"))
        if pd.notna(lo):
            ax.plot([lo, hi], [yi, yi], color=colour, lw=2)
        small = bool(r.get("small_n", False))
        ax.plot([est], [yi], "o", color=colour, mfc="white" if small else colour, ms=7)
    ax.axvline(0, color="#555555", lw=0.8)
    labels = [f"{r[label_col]} (n={int(r['n']):,})" for _, r in rows.iterrows()]
    ax.set_yticks(y, labels, fontsize="small")
    ax.set_xlabel(f"Change ({_UNITS.get(kind, 'units')})")
    ax.grid(axis="x", color="#E6E6E6")


def _forest_figure(
    data: pd.DataFrame, kinds: pd.Series, label_col: str, title: str, *, rag: bool = True
) -> Figure:
    """One forest panel per unit; ``kinds`` is the metric kind, ``mean:<unit>`` for means."""
    from matplotlib.lines import Line2D

    order = sorted(dict.fromkeys(kinds), key=_kind_rank)
    groups = [(k, data[(kinds == k).to_numpy()]) for k in order]
    heights = [max(1.2, 0.32 * len(g) + 0.8) for _, g in groups] or [1.0]
    fig = _figure((9, sum(heights) + 1.6))
    axes = fig.subplots(len(heights), 1, gridspec_kw={"height_ratios": heights})
    axes = np.atleast_1d(axes)
    for ax, (kind, rows) in zip(axes, groups, strict=False):
        _forest(ax, rows, kind.split(":")[0], label_col)
        if ":" in kind:
            ax.set_xlabel(f"Change ({kind.split(':', 1)[1]})")
    keys = (
        (("improved / green", "green"), ("no significant change / amber", "amber"))
        if rag
        else (("improved", "green"), ("no significant change", "grey"))
    )
    keys += (("deteriorated / red", "red") if rag else ("deteriorated", "red"),)
    handles = [Line2D([], [], marker="o", color=RAG_COLOURS[c], ls="", label=n) for n, c in keys]
    handles.append(
        Line2D([], [], marker="o", mfc="white", color="#555555", ls="", label="small base")
    )
    fig.suptitle(title, x=0.01, ha="left", fontweight="bold")
    fig.legend(handles=handles, loc="lower center", ncol=4, fontsize="x-small")
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    return fig


def _kind_rank(kind: str) -> int:
    ranks = ("nps", "share", "mean", "rate")
    base = kind.split(":")[0]
    return ranks.index(base) if base in ranks else len(ranks)


def _kind_keys(metric: pd.Series, unit: pd.Series) -> pd.Series:
    base_unit = unit.fillna("").astype(str).str.split(",").str[0]
    return metric.where(metric != "mean", "mean:" + base_unit)


def scorecard(card: pd.DataFrame, *, confidence: float = 0.95) -> Figure:
    """Forest plot of every tested KPI's change since the baseline, coloured by RAG.

    Parameters
    ----------
    card : pandas.DataFrame
        Output of :func:`cxlib.remeasure.scorecard`.
    confidence : float, default 0.95
        Level of the intervals (for the title).

    Returns
    -------
    matplotlib.figure.Figure
        One panel per unit (NPS points, percentage points, scale points, per month); each
        KPI a point (the change) with its interval, its base in the label, colour its RAG
        status; open markers for small bases.

    Examples
    --------
    >>> card = pd.DataFrame({"label": ["CSAT"], "metric": ["share"], "unit": ["share"],
    ...     "n": [400], "estimate": [0.1], "ci_low": [0.03], "ci_high": [0.17],
    ...     "p_value": [0.004], "rag": ["green"], "small_n": [False]})
    >>> scorecard(card).axes[0].get_xlabel()
    'Change (percentage points)'
    """
    data = card[card["p_value"].notna()].reset_index(drop=True)
    title = f"Change since the baseline, with {round(confidence * 100)}% intervals"
    return _forest_figure(data, _kind_keys(data["metric"], data["unit"]), "label", title)


def movers(moves: pd.DataFrame, *, top: int = 12, confidence: float = 0.95) -> Figure:
    """Forest plot of the segments and stages that moved most (significant first).

    Parameters
    ----------
    moves : pandas.DataFrame
        Output of :func:`cxlib.remeasure_movers.rank_movers`.
    top : int, default 12
        How many moves to show.
    confidence : float, default 0.95
        Level of the intervals (for the title).

    Returns
    -------
    matplotlib.figure.Figure
        One panel per measure kind; green and red for significant improvements and
        deteriorations, grey otherwise.

    Examples
    --------
    >>> m = pd.DataFrame({"segment": ["region"], "level": ["North"], "metric": ["nps"],
    ...     "n": [300], "estimate": [7.0], "ci_low": [1.0], "ci_high": [13.0],
    ...     "change": ["improved"], "small_n": [False]})
    >>> [t.get_text() for t in movers(m).axes[0].get_yticklabels()]
    ['region: North · NPS (n=300)']
    """
    data = moves.head(top).reset_index(drop=True).copy()
    kinds = data["metric"].map({"nps": "nps", "csat": "share"}).fillna("mean:scale points")
    data["where"] = (
        data["segment"].str.replace("_", " ") + ": " + data["level"].astype(str)
        + " · " + data["metric"].str.upper()
    )  # fmt: skip
    title = f"Biggest moves by segment and stage, {round(confidence * 100)}% intervals"
    return _forest_figure(data, kinds, "where", title, rag=False)


def control_charts(charts: pd.DataFrame) -> Figure:
    r"""Draw control charts: each wave's value, the centre line and the control limits.

    Parameters
    ----------
    charts : pandas.DataFrame
        Output of :func:`cxlib.remeasure_spc.control_charts`.

    Returns
    -------
    matplotlib.figure.Figure
        One panel per chart; points outside the limits (special causes) in red, limits
        as steps that follow each wave's base, bases in the tick labels.

    Examples
    --------
    >>> ch = pd.DataFrame({"chart": ["nps", "nps"], "label": ["NPS", "NPS"],
    ...     "wave": ["Q1", "Q3"], "n": [300, 320], "estimate": [10.0, 12.0],
    ...     "centre": [11.0, 11.0], "lcl": [2.0, 2.3], "ucl": [20.0, 19.7],
    ...     "laney": [False, False], "special_cause": [False, False],
    ...     "small_n": [False, False]})
    >>> [t.get_text() for t in control_charts(ch).axes[0].get_xticklabels()]
    ['Q1\nn=300', 'Q3\nn=320']
    """
    names = list(dict.fromkeys(charts["chart"]))
    fig = _figure((8, 2.8 * max(1, len(names))))
    axes = fig.subplots(len(names) or 1, 1)
    axes = np.atleast_1d(axes)
    colour = cycle_colours()[0]
    for ax, name in zip(axes, names, strict=False):
        c = charts[charts["chart"] == name].reset_index(drop=True)
        scale = 1.0 if name == "nps" else 100.0
        x = np.arange(len(c))
        ax.step(x, c["ucl"] * scale, where="mid", color="#888888", ls="--", lw=1, label="limits")
        ax.step(x, c["lcl"] * scale, where="mid", color="#888888", ls="--", lw=1)
        ax.plot(x, c["centre"] * scale, color="#555555", lw=1, label="centre line")
        ax.plot(x, c["estimate"] * scale, "-", color=colour, lw=1.5)
        special = c["special_cause"].astype(bool).to_numpy()
        small = c["small_n"].astype(bool).to_numpy()
        ax.plot(x[~special], c["estimate"][~special] * scale, "o", color=colour)
        if special.any():
            ax.plot(x[special], c["estimate"][special] * scale, "o", color=RAG_COLOURS["red"],
                    label="special cause")  # fmt: skip
        if small.any():
            ax.plot(x[small], c["estimate"][small] * scale, "o", mfc="white", color="#555555",
                    label="small base, indicative")  # fmt: skip
        ticks = [f"{w}\nn={int(n):,}" for w, n in zip(c["wave"], c["n"], strict=True)]
        ax.set_xticks(x, ticks)
        laney = " (Laney p')" if bool(c["laney"].any()) else ""
        ax.set_title(f"{c['label'].iloc[0]}{laney}", fontsize="medium")
        ax.set_ylabel("NPS" if name == "nps" else "% top-2 box")
        ax.set_xlabel("Wave")
        ax.legend(fontsize="x-small", loc="best")
    fig.tight_layout()
    return fig
