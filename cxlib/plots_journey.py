"""Charts of the journey audit (step 3).

Presentation layer. Each function takes a result table of :mod:`cxlib.journey` or
:mod:`cxlib.journey_pain` first, keyword-only options and ``ax``, and returns the Axes;
none calls ``plt.show()``. Colours come from the active colour cycle (the brand palette once
:func:`cxlib.plots.use_theme` ran); estimates on a small base are hatched and faded, with
a legend note; every chart states its base (n).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from cxlib.plots import MUTED as _GREY
from cxlib.plots import SMALL_ALPHA as _SMALL_ALPHA
from cxlib.plots import SMALL_HATCH as _HATCH
from cxlib.plots import cycle_colours as _palette
from cxlib.plots import mark_small as _flag
from cxlib.plots import new_axes
from cxlib.plots import require_columns as _check
from cxlib.plots import small_base_handle as _small_patch

__all__ = [
    "channel_gaps",
    "emotion_curve",
    "funnel",
    "journey_map",
    "pain_points",
    "persona_stage_heatmap",
    "touchpoint_scores",
]


def _axes(ax: Any, size: tuple[float, float] = (9, 4.8)) -> Any:
    return new_axes(ax, size=size)


_CMAP = "RdYlGn"


def _hbars(ax, labels, values, low, high, small, colour) -> Any:
    y = np.arange(len(values))[::-1]
    values = np.asarray(values, dtype=float)
    bars = ax.barh(y, values, color=colour, height=0.6)
    _flag(bars, small)
    err = np.vstack([values - np.asarray(low, float), np.asarray(high, float) - values])
    ax.errorbar(values, y, xerr=np.nan_to_num(err), fmt="none", ecolor="#333333", capsize=3,
                lw=1)  # fmt: skip
    ax.set_yticks(y, labels)
    ax.grid(axis="y", visible=False)
    ax.grid(axis="x", visible=True)
    return bars


def journey_map(
    cells: pd.DataFrame, *, label: str = "CSAT top-2 box", min_n: int = 30, ax: Any = None
) -> Any:
    """Draw the journey map: stages as columns, channels as rows, touchpoints coloured.

    Parameters
    ----------
    cells : pandas.DataFrame
        :func:`cxlib.journey.journey_map` output (``stage``, ``stage_order``,
        ``channel``, ``channel_order``, ``name``, ``owner``, ``n``, ``estimate``,
        ``small_n``).
    label : str, default "CSAT top-2 box"
        What the colour shows (a share, 0..1).
    min_n : int, default 30
        Small-base threshold, for the legend.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on.

    Returns
    -------
    matplotlib.axes.Axes
        One rectangle per touchpoint (``ax.patches`` in table order) placed in its stage
        column and channel row, filled red (low) to green (high) by ``estimate``; each
        shows the touchpoint's name, owner and score. Small bases are hatched.

    Examples
    --------
    >>> import pandas as pd
    >>> cells = pd.DataFrame({"stage": ["buy", "use"], "stage_order": [0, 1],
    ...     "channel": ["web", "app"], "channel_order": [0, 1], "name": ["Shop", "App"],
    ...     "owner": ["Sales", "Digital"], "n": [50, 10], "estimate": [0.8, 0.4],
    ...     "small_n": [False, True]})
    >>> ax = journey_map(cells)
    >>> [(p.get_x(), p.get_y()) for p in ax.patches[:2]], ax.patches[1].get_hatch()
    ([(0.05, 0.05), (1.05, 1.05)], '///')
    """
    import matplotlib as mpl
    from matplotlib.patches import Rectangle

    _check(cells, ["stage", "stage_order", "channel", "channel_order", "name", "owner", "n",
                   "estimate", "small_n"], "cells")  # fmt: skip
    stages = cells.drop_duplicates("stage_order").sort_values("stage_order")["stage"].tolist()
    channels = cells.drop_duplicates("channel_order").sort_values("channel_order")["channel"]
    ax = _axes(ax, (max(8.0, 1.9 * len(stages)), max(3.0, 1.2 * len(channels) + 1.2)))
    cmap, norm = mpl.colormaps[_CMAP], mpl.colors.Normalize(0, 1)
    slot = cells.groupby(["stage_order", "channel_order"]).cumcount()
    count = cells.groupby(["stage_order", "channel_order"])["name"].transform("size")
    for (_, r), k, m in zip(cells.iterrows(), slot, count, strict=True):
        height = 0.9 / m
        y = r["channel_order"] + 0.05 + k * height
        colour = _GREY if pd.isna(r["estimate"]) else cmap(norm(r["estimate"]))
        patch = Rectangle((r["stage_order"] + 0.05, y), 0.9, height * 0.95, facecolor=colour,
                          edgecolor="white", alpha=_SMALL_ALPHA if r["small_n"] else 0.9,
                          hatch=_HATCH if r["small_n"] else None)  # fmt: skip
        ax.add_patch(patch)
        score = "n/a" if pd.isna(r["estimate"]) else f"{r['estimate'] * 100:.0f}%"
        ax.text(r["stage_order"] + 0.5, y + height * 0.47,
                f"{r['name']}\n{score} (n={int(r['n']):,})\n{r['owner']}", ha="center",
                va="center", fontsize=7)  # fmt: skip
    ax.set_xlim(0, len(stages))
    ax.set_ylim(len(channels), 0)
    ax.set_xticks(np.arange(len(stages)) + 0.5, stages)
    ax.set_yticks(np.arange(len(channels)) + 0.5, channels.tolist())
    ax.xaxis.tick_top()
    ax.grid(False)
    ax.set_xlabel("Stage")
    ax.set_ylabel("Channel")
    sm = mpl.cm.ScalarMappable(norm=norm, cmap=cmap)
    ax.figure.colorbar(sm, ax=ax, label=f"{label} (share)", fraction=0.03)
    if cells["small_n"].any():
        ax.legend(handles=[_small_patch(min_n)], loc="upper left", bbox_to_anchor=(0, -0.02),
                  fontsize="small")  # fmt: skip
    total = int(cells["n"].sum())
    ax.set_title(f"Journey map: {label} by touchpoint (n = {total:,} ratings)", pad=28)
    return ax


def touchpoint_scores(
    scorecard: pd.DataFrame,
    *,
    metric: str = "csat",
    min_n: int = 30,
    confidence: float = 0.95,
    ax: Any = None,
) -> Any:
    """Draw one metric of the scorecard for every touchpoint, in journey order, with CIs.

    Parameters
    ----------
    scorecard : pandas.DataFrame
        :func:`cxlib.journey.touchpoint_scorecard` output.
    metric : str, default "csat"
        ``csat``, ``completion``, ``drop_off``, ``reach`` (shares, drawn in percent),
        ``effort`` or ``duration_s``.
    min_n, confidence
        For the legend and axis label.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on.

    Returns
    -------
    matplotlib.axes.Axes
        One horizontal bar per touchpoint (top to bottom in journey order); bar widths
        equal ``estimate`` (x100 for shares), error bars ``ci_low`` to ``ci_high``.

    Examples
    --------
    >>> import pandas as pd
    >>> card = pd.DataFrame({"stage": "use", "touchpoint_id": ["a", "b"], "name": ["A", "B"],
    ...     "metric": "csat", "n": [40, 10], "estimate": [0.5, 0.8], "ci_low": [0.4, 0.5],
    ...     "ci_high": [0.6, 0.9], "small_n": [False, True]})
    >>> [round(float(p.get_width()), 1) for p in touchpoint_scores(card).patches]
    [50.0, 80.0]
    """
    _check(scorecard, ["stage", "name", "metric", "n", "estimate", "ci_low", "ci_high",
                       "small_n"], "scorecard")  # fmt: skip
    rows = scorecard[scorecard["metric"] == metric]
    share = metric in ("csat", "completion", "drop_off", "reach")
    scale = 100.0 if share else 1.0
    ax = _axes(ax, (9, 0.35 * len(rows) + 1.8))
    names = {"csat": "CSAT top-2 box (%)", "completion": "Completed (%)",
             "drop_off": "Dropped off (%)", "reach": "Customers reached (%)",
             "effort": "Mean effort score", "duration_s": "Median duration (s)"}  # fmt: skip
    labels = [f"{s} · {n} (n = {int(k):,})" for s, n, k in
              zip(rows["stage"], rows["name"], rows["n"], strict=True)]  # fmt: skip
    _hbars(ax, labels, rows["estimate"] * scale, rows["ci_low"] * scale,
           rows["ci_high"] * scale, rows["small_n"].astype(bool), _palette()[0])  # fmt: skip
    ax.set_xlabel(f"{names.get(metric, metric)}, {round(confidence * 100):g}% interval")
    ax.set_title(f"{names.get(metric, metric)} by touchpoint (n = {int(rows['n'].sum()):,})")
    if rows["small_n"].any():
        ax.legend(handles=[_small_patch(min_n)], loc="lower right", fontsize="small")
    return ax


def funnel(table: pd.DataFrame, *, ax: Any = None) -> Any:
    """Draw the share of customers each stage reaches, with the hand-over between stages.

    Parameters
    ----------
    table : pandas.DataFrame
        :func:`cxlib.journey.stage_funnel` output.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on.

    Returns
    -------
    matplotlib.axes.Axes
        One vertical bar per stage (heights = ``estimate`` x 100) with Wilson error bars;
        each bar after the first is annotated with the share of the previous stage's
        customers seen again; stage labels carry the number of customers.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"stage": ["a", "b"], "n": [50, 20], "base": [100, 100],
    ...     "estimate": [0.5, 0.2], "ci_low": [0.4, 0.13], "ci_high": [0.6, 0.29],
    ...     "conversion": [float("nan"), 0.3], "small_n": [False, False]})
    >>> [round(float(p.get_height()), 1) for p in funnel(t).patches]
    [50.0, 20.0]
    """
    _check(table, ["stage", "n", "base", "estimate", "ci_low", "ci_high", "conversion",
                   "small_n"], "table")  # fmt: skip
    ax = _axes(ax, (max(8.0, 1.3 * len(table) + 1), 4.8))
    x = np.arange(len(table))
    est = table["estimate"].to_numpy(float) * 100
    bars = ax.bar(x, est, color=_palette()[0], width=0.6)
    _flag(bars, table["small_n"].astype(bool))
    err = np.vstack([est - table["ci_low"] * 100, table["ci_high"] * 100 - est])
    ax.errorbar(x, est, yerr=err, fmt="none", ecolor="#333333", capsize=3, lw=1)
    for xi, conversion in zip(x, table["conversion"], strict=True):
        if not pd.isna(conversion):
            ax.annotate(f"{conversion * 100:.0f}% of\nprevious", (xi, est[xi]), xytext=(0, 8),
                        textcoords="offset points", ha="center", fontsize="x-small")  # fmt: skip
    labels = [f"{s}\nn = {int(n):,}" for s, n in zip(table["stage"], table["n"], strict=True)]
    ax.set_xticks(x, labels)
    ax.set_ylim(0, 110)
    ax.set_ylabel("Customers reached (%)")
    ax.set_xlabel("Stage")
    ax.set_title(f"Customers at each stage (base n = {int(table['base'].iloc[0]):,})")
    return ax


def emotion_curve(curve: pd.DataFrame, *, scale_max: float = 5, ax: Any = None) -> Any:
    """Draw mean satisfaction along the stages: the whole base and each persona.

    Parameters
    ----------
    curve : pandas.DataFrame
        :func:`cxlib.journey.emotion_curve` output.
    scale_max : float, default 5
        Top of the rating scale (the y axis runs from 1 to it).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on.

    Returns
    -------
    matplotlib.axes.Axes
        One line per persona (``ax.lines`` in persona order, "All customers" first and
        thickest), y = ``estimate`` at each stage, with a shaded interval band; points on
        a small base drawn hollow.

    Examples
    --------
    >>> import pandas as pd
    >>> c = pd.DataFrame({"persona_id": [0, 0], "persona": "All customers",
    ...     "stage": ["buy", "use"], "stage_order": [0, 1], "n": [50, 60],
    ...     "estimate": [4.2, 3.1], "ci_low": [4.0, 2.9], "ci_high": [4.4, 3.3],
    ...     "small_n": [False, False]})
    >>> [float(v) for v in emotion_curve(c).lines[0].get_ydata()]
    [4.2, 3.1]
    """
    _check(curve, ["persona_id", "persona", "stage", "stage_order", "n", "estimate", "ci_low",
                   "ci_high", "small_n"], "curve")  # fmt: skip
    ax = _axes(ax)
    colours = ["#333333", *_palette()]
    stages = curve.drop_duplicates("stage_order").sort_values("stage_order")
    for i, (pid, g) in enumerate(curve.sort_values("stage_order").groupby("persona_id")):
        colour = colours[i % len(colours)]
        x, y = g["stage_order"].to_numpy(), g["estimate"].to_numpy(float)
        ax.plot(x, y, marker="o", color=colour, lw=3 if pid == 0 else 1.6,
                label=f"{g['persona'].iloc[0]} (n = {int(g['n'].sum()):,})")  # fmt: skip
        ax.fill_between(x, g["ci_low"].to_numpy(float), g["ci_high"].to_numpy(float),
                        color=colour, alpha=0.12, lw=0)  # fmt: skip
        small = g["small_n"].to_numpy(bool)
        if small.any():
            ax.scatter(x[small], y[small], facecolor="white", edgecolor=colour, zorder=3, s=40)
    ax.set_xticks(stages["stage_order"].to_numpy(), stages["stage"].tolist())
    ax.set_ylim(1, scale_max)
    ax.set_xlabel("Stage")
    ax.set_ylabel(f"Mean satisfaction (1 to {scale_max:g})")
    ax.set_title("Emotion curve: satisfaction along the journey (hollow: small base)")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize="small")
    return ax


def pain_points(pains: pd.DataFrame, *, top: int = 10, ax: Any = None) -> Any:
    """Draw the top pain points: NPS points lost across the base, with intervals.

    Parameters
    ----------
    pains : pandas.DataFrame
        :func:`cxlib.journey_pain.pain_points` output (worst first).
    top : int, default 10
        Number of touchpoints shown.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on.

    Returns
    -------
    matplotlib.axes.Axes
        Horizontal bars, worst at the top; widths equal ``estimate``, error bars
        ``ci_low`` to ``ci_high``.

    Examples
    --------
    >>> import pandas as pd
    >>> p = pd.DataFrame({"name": ["Chat", "Bill"], "stage": ["support", "use"],
    ...     "n": [300, 200], "estimate": [9.0, 3.0], "ci_low": [6.0, 1.0],
    ...     "ci_high": [12.0, 5.0], "small_n": [False, False]})
    >>> [float(b.get_width()) for b in pain_points(p).patches]
    [9.0, 3.0]
    """
    _check(pains, ["name", "stage", "n", "estimate", "ci_low", "ci_high", "small_n"], "pains")
    rows = pains.dropna(subset=["estimate"]).head(top)
    ax = _axes(ax, (9, 0.4 * len(rows) + 1.8))
    labels = [f"{n} ({s}; n = {int(k):,})" for n, s, k in
              zip(rows["name"], rows["stage"], rows["n"], strict=True)]  # fmt: skip
    _hbars(ax, labels, rows["estimate"], rows["ci_low"], rows["ci_high"],
           rows["small_n"].astype(bool), _palette()[0])  # fmt: skip
    ax.set_xlabel("NPS points lost across the base (dissatisfaction x reach x impact)")
    ax.set_title("Pain points, worst first (n = respondents with a bad experience)")
    if rows["small_n"].any():
        ax.legend(handles=[_small_patch(30)], loc="lower right", fontsize="small")
    return ax


def channel_gaps(
    scores: pd.DataFrame, consistency: pd.DataFrame, *, alpha: float = 0.05, ax: Any = None
) -> Any:
    """Dot plot of each channel's mean score within each stage; significant gaps marked.

    Parameters
    ----------
    scores : pandas.DataFrame
        :func:`cxlib.journey_pain.stage_channel_scores` output.
    consistency : pandas.DataFrame
        :func:`cxlib.journey_pain.channel_consistency` output (for the markers).
    alpha : float, default 0.05
        Adjusted p-value below which a stage's gap is starred.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on.

    Returns
    -------
    matplotlib.axes.Axes
        One marker per stage and channel (``ax.collections`` alternate one scatter per
        channel, x = mean score, y = stage row, and its error bars); stage labels carry a
        star when the channels differ beyond chance.

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.DataFrame({"stage": "help", "stage_order": 0, "channel": ["chat", "phone"],
    ...     "n": [40, 40], "estimate": [3.0, 4.0], "ci_low": [2.8, 3.8],
    ...     "ci_high": [3.2, 4.2], "small_n": False})
    >>> c = pd.DataFrame({"stage": ["help"], "p_adjusted": [0.001]})
    >>> ax = channel_gaps(s, c)
    >>> dots = [float(col.get_offsets()[0][0]) for col in ax.collections[::2]]
    >>> dots, ax.get_yticklabels()[0].get_text()
    ([3.0, 4.0], 'help *')
    """
    _check(scores, ["stage", "stage_order", "channel", "n", "estimate", "ci_low", "ci_high",
                    "small_n"], "scores")  # fmt: skip
    ax = _axes(ax)
    stages = scores.drop_duplicates("stage_order").sort_values("stage_order")
    row = {s: i for i, s in enumerate(stages["stage"])}
    sig = set(consistency.loc[consistency["p_adjusted"] < alpha, "stage"]) if len(
        consistency) else set()  # fmt: skip
    channels = list(dict.fromkeys(scores["channel"]))
    colours = _palette()
    for i, channel in enumerate(channels):
        g = scores[scores["channel"] == channel]
        y = g["stage"].map(row).to_numpy(float) + (i - (len(channels) - 1) / 2) * 0.1
        x = g["estimate"].to_numpy(float)
        small = g["small_n"].to_numpy(bool)
        colour = colours[i % len(colours)]
        fill = ["white" if s else colour for s in small]
        ax.scatter(x, y, edgecolors=colour, facecolors=fill, s=45, zorder=3,
                   label=f"{channel} (n = {int(g['n'].sum()):,})")  # fmt: skip
        ax.errorbar(x, y, xerr=np.vstack([x - g["ci_low"], g["ci_high"] - x]), fmt="none",
                    ecolor=colour, lw=1, capsize=2)  # fmt: skip
    ax.set_yticks(range(len(row)), [f"{s} *" if s in sig else s for s in row])
    ax.set_ylim(len(row) - 0.5, -0.5)
    ax.set_xlabel("Mean satisfaction (1 to 5), 95% interval")
    ax.set_title("Same stage, different channel (* = gap beyond chance; hollow = small base)")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize="small")
    return ax


def persona_stage_heatmap(table: pd.DataFrame, *, min_n: int = 30, ax: Any = None) -> Any:
    """Heatmap of top-box satisfaction by persona (rows) and stage (columns).

    Parameters
    ----------
    table : pandas.DataFrame
        :func:`cxlib.journey.persona_stage` output.
    min_n : int, default 30
        Cells on fewer ratings are left blank (grey) and noted.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on.

    Returns
    -------
    matplotlib.axes.Axes
        seaborn heatmap; the first collection's array holds the percentages row by row
        (personas in id order, "All customers" first), masked where the base is small.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"persona_id": [0, 0, 1, 1], "persona": ["All"] * 2 + ["A"] * 2,
    ...     "stage": ["buy", "use"] * 2, "stage_order": [0, 1] * 2, "n": [90, 80, 40, 5],
    ...     "estimate": [0.7, 0.6, 0.8, 0.2], "small_n": [False, False, False, True]})
    >>> arr = persona_stage_heatmap(t).collections[0].get_array()
    >>> [float(v) for v in arr.compressed()]
    [70.0, 60.0, 80.0]
    """
    import seaborn as sns

    _check(table, ["persona_id", "persona", "stage", "stage_order", "n", "estimate", "small_n"],
           "table")  # fmt: skip
    order = table.drop_duplicates("stage_order").sort_values("stage_order")["stage"].tolist()
    names = table.drop_duplicates("persona_id").sort_values("persona_id")
    labels = {r.persona_id: f"{r.persona} (n = {int(table.loc[table['persona_id'] == r.persona_id, 'n'].sum()):,})"  # noqa: E501
              for r in names.itertuples()}  # fmt: skip
    wide = table.pivot(index="persona_id", columns="stage", values="estimate")[order] * 100
    small = table.pivot(index="persona_id", columns="stage", values="small_n")[order]
    wide.index = [labels[i] for i in wide.index]
    ax = _axes(ax, (max(7.0, 1.2 * len(order) + 3), 0.6 * len(wide) + 2))
    sns.heatmap(wide, mask=small.fillna(True).astype(bool).to_numpy(), ax=ax, cmap=_CMAP,
                vmin=0, vmax=100, annot=True, fmt=".0f", linewidths=0.5,
                cbar_kws={"label": "Satisfied (top-2 box, %)"})  # fmt: skip
    ax.set_facecolor("#EEEEEE")
    ax.set_xlabel("Stage")
    ax.set_ylabel("Persona")
    ax.set_title(f"Satisfaction by persona and stage (grey: fewer than {min_n} ratings)")
    return ax
