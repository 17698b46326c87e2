"""Charts of the voice-of-customer step.

Presentation layer. Each function takes a result table of :mod:`cxlib.voc` first, then
keyword-only options and ``ax``, and returns the Axes; none calls ``plt.show()``. Colours
come from the active colour cycle, which :func:`cxlib.plots.use_theme` sets to the brand
palette. Estimates on a small base are drawn hatched and faded, with a legend entry
saying so; every chart states its base (n).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "importance_performance",
    "key_drivers",
    "nps_by_segment",
    "nps_by_segments",
    "nps_distribution",
    "themes",
]

_SMALL_ALPHA = 0.35
_HATCH = "///"
_GREY = "#8C8C8C"


def _axes(ax: Any) -> Any:
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(8, 4.5))
    return ax


def _palette() -> list[str]:
    import matplotlib as mpl

    return list(mpl.rcParams["axes.prop_cycle"].by_key()["color"])


def _check(table: Any, columns: list[str], name: str) -> pd.DataFrame:
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"{name} must be a DataFrame, found {type(table).__name__}")
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ValueError(f"{name} lacks column(s) {missing}")
    return table


def _notice(ax: Any, text: str, title: str) -> Any:
    """Draw a short message instead of a chart when there is nothing to show."""
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color=_GREY)
    ax.set_title(title)
    ax.set_xticks([])
    ax.set_yticks([])
    return ax


def _small_legend(ax: Any, handles: list, min_n: int | None = None) -> None:
    from matplotlib.patches import Patch

    text = "Small base: indicative only" + (f" (n < {min_n})" if min_n else "")
    handles.append(Patch(facecolor="white", edgecolor=_GREY, hatch=_HATCH, label=text))


def _halo(container: Any) -> None:
    """Outline error bars in white so they show on dark bars and on the page alike."""
    from matplotlib import patheffects

    effect = [patheffects.withStroke(linewidth=3, foreground="white")]
    for artist in container.lines[1] + container.lines[2]:
        artist.set_path_effects(effect)
        artist.set_zorder(3)


def _label_points(ax: Any, x: np.ndarray, y: np.ndarray, labels: list[str]) -> None:
    """Write a label beside each point, choosing the side with the fewest overlaps."""
    renderer = ax.figure.canvas.get_renderer()
    frame = ax.get_window_extent(renderer)
    offsets = [
        (6, 4, "left"), (6, -12, "left"), (-6, 4, "right"), (-6, -12, "right"),
        (0, 9, "center"), (0, -17, "center"),
    ]  # fmt: skip
    placed: list[Any] = []
    for xi, yi, text in sorted(zip(x, y, labels, strict=True), key=lambda t: -t[1]):
        best = None
        for dx, dy, ha in offsets:
            note = ax.annotate(text, (xi, yi), xytext=(dx, dy), textcoords="offset points",
                               ha=ha, fontsize="small", zorder=4)  # fmt: skip
            box = note.get_window_extent(renderer)
            outside = box.x0 < frame.x0 or box.x1 > frame.x1
            score = 100 * outside + sum(box.overlaps(other) for other in placed)
            if best is None or score < best[0]:
                if best is not None:
                    best[1].remove()
                best = (score, note, box)
            else:
                note.remove()
            if score == 0:
                break
        placed.append(best[2])


def _pad(ax: Any, x: np.ndarray, y: np.ndarray, y_extent: np.ndarray | None = None) -> None:
    """Leave room round the points for labels and corner notes."""
    ys = y if y_extent is None else np.concatenate([y, np.ravel(y_extent)])
    for lim, values, share in ((ax.set_xlim, x, 0.15), (ax.set_ylim, ys, 0.18)):
        lo, hi = float(np.nanmin(values)), float(np.nanmax(values))
        span = hi - lo if hi > lo else max(abs(hi), 1.0)
        lim(lo - share * span, hi + share * span)


def _hbars(ax, labels, values, low, high, small, colour):
    y = np.arange(len(values))[::-1]
    bars = ax.barh(y, values, color=colour, height=0.6)
    for bar, flag in zip(bars, small, strict=True):
        if flag:
            bar.set_alpha(_SMALL_ALPHA)
            bar.set_hatch(_HATCH)
    err = np.vstack([values - low, high - values])
    lines = ax.errorbar(values, y, xerr=err, fmt="none", ecolor="#1A1A1A", capsize=3, lw=1.2)
    _halo(lines)
    ax.set_yticks(y, labels)
    ax.grid(axis="y", visible=False)
    ax.grid(axis="x", visible=True)
    return bars


def nps_by_segment(
    segments: pd.DataFrame,
    *,
    segment: str,
    metric: str = "nps",
    overall: float | None = None,
    confidence: float = 0.95,
    min_n: int = 30,
    ax: Any = None,
) -> Any:
    """Draw NPS (or CSAT, CES) for each level of one segment column, with CI error bars.

    Parameters
    ----------
    segments : pandas.DataFrame
        :func:`cxlib.voc.segment_table` output (``metric``, ``segment``, ``level``,
        ``n``, ``estimate``, ``ci_low``, ``ci_high``, ``small_n``, ``significant``).
    segment : str
        Segment column to show (``"region"``, ``"persona"``...).
    metric : {"nps", "csat", "ces"}, default "nps"
        Measure to show. CSAT shares are drawn as percentages.
    overall : float, optional
        Overall value, drawn as a dashed reference line.
    confidence : float, default 0.95
        Confidence level of the intervals (for the legend).
    min_n : int, default 30
        Small-base threshold (for the legend).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure otherwise.

    Returns
    -------
    matplotlib.axes.Axes
        One horizontal bar per level (top to bottom in table order), error bars from
        ``ci_low`` to ``ci_high``; level labels carry n and a star when the level differs
        significantly from the rest of the base.

    Examples
    --------
    >>> import pandas as pd
    >>> from cxlib import voc
    >>> df = pd.DataFrame({"region": ["N"] * 40 + ["S"] * 40,
    ...                    "nps": [10, 9, 8, 5] * 10 + [10, 6, 5, 3] * 10})
    >>> ax = nps_by_segment(voc.segment_table(df, segments=["region"]), segment="region")
    >>> [float(round(p.get_width(), 1)) for p in ax.patches]
    [25.0, -50.0]
    """
    from matplotlib.lines import Line2D

    _check(
        segments, ["metric", "segment", "level", "n", "estimate", "ci_low", "ci_high"], "segments"
    )
    rows = segments[(segments["metric"] == metric) & (segments["segment"] == segment)]
    ax = _axes(ax)
    name = {"nps": "NPS", "csat": "CSAT top-2-box (%)", "ces": "CES mean"}[metric]
    if rows.empty:
        return _notice(ax, f"No {segment} segments in this data", f"{name} by {segment}")
    scale = 100.0 if metric == "csat" else 1.0
    est, low, high = (
        rows[c].to_numpy(dtype=float) * scale for c in ("estimate", "ci_low", "ci_high")
    )
    small = (
        rows["small_n"].to_numpy(dtype=bool) if "small_n" in rows else np.zeros(len(rows), bool)
    )
    sig = rows["significant"].to_numpy(dtype=bool) if "significant" in rows else small & False
    labels = [
        f"{lvl}{' *' if s else ''} (n = {n:,})"
        for lvl, s, n in zip(rows["level"].astype(str), sig, rows["n"], strict=True)
    ]
    _hbars(ax, labels, est, low, high, small, _palette()[0])
    handles = [Line2D([], [], color="#333333", lw=1, label=f"{int(confidence * 100)}% CI")]
    if overall is not None:
        ax.axvline(overall * scale, color=_palette()[1], ls="--", lw=1.2)
        handles.append(Line2D([], [], color=_palette()[1], ls="--", label="Overall"))
    if metric == "nps":
        ax.axvline(0, color=_GREY, lw=0.8)
    if sig.any():
        handles.append(Line2D([], [], ls="none", marker="$*$", color="#333333",
                              label="* differs from the rest (adjusted)"))  # fmt: skip
    if small.any():
        _small_legend(ax, handles, min_n)
    ax.legend(handles=handles, loc="best", fontsize="small")
    total = int(rows["n"].sum())
    ax.set_title(f"{name} by {segment.replace('_', ' ')} (n = {total:,})")
    ax.set_xlabel(name)
    ax.set_ylabel(segment.replace("_", " ").capitalize())
    return ax


def nps_by_segments(
    segments: pd.DataFrame,
    *,
    columns: Sequence[str] = ("persona", "region", "channel", "stage"),
    metric: str = "nps",
    overall: float | None = None,
    confidence: float = 0.95,
    min_n: int = 30,
    ax: Any = None,
) -> Any:
    """Draw :func:`nps_by_segment` for several segment columns on one Axes, grouped.

    Parameters
    ----------
    segments : pandas.DataFrame
        :func:`cxlib.voc.segment_table` output.
    columns : sequence of str, default ("persona", "region", "channel", "stage")
        Segment columns to draw, in this order; those without rows are skipped.
    metric, overall, confidence, min_n
        As in :func:`nps_by_segment`.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure, sized to the number of bars, otherwise.

    Returns
    -------
    matplotlib.axes.Axes
        One bar per segment level, grouped by segment column (labels read
        "Column: level (n = ...)"), with CI error bars and small bases hatched.

    Examples
    --------
    >>> import pandas as pd
    >>> from cxlib import voc
    >>> df = pd.DataFrame({"region": ["N"] * 40 + ["S"] * 40, "channel": ["app", "web"] * 40,
    ...                    "nps": [10, 9, 8, 5] * 10 + [10, 6, 5, 3] * 10})
    >>> ax = nps_by_segments(voc.segment_table(df, segments=["region", "channel"]))
    >>> [t.get_text() for t in ax.get_yticklabels()][:2]
    ['Region: N * (n = 40)', 'Region: S * (n = 40)']
    """
    import matplotlib.pyplot as plt

    _check(segments, ["metric", "segment", "level"], "segments")
    rows = segments[segments["metric"] == metric]
    chosen = [c for c in columns if (rows["segment"] == c).any()]
    if ax is None:
        n_bars = sum(int((rows["segment"] == c).sum()) for c in chosen)
        _, ax = plt.subplots(figsize=(8, 1.5 + 0.38 * max(n_bars, 2)))
    if not chosen:
        return nps_by_segment(rows, segment=columns[0], metric=metric, ax=ax)
    order = {c: i for i, c in enumerate(chosen)}
    picked = rows[rows["segment"].isin(chosen)]
    picked = picked.iloc[np.argsort(picked["segment"].map(order).to_numpy(), kind="stable")]
    merged = picked.assign(
        level=picked["segment"].str.replace("_", " ").str.capitalize() + ": " + picked["level"],
        segment="all",
    )
    nps_by_segment(
        merged, segment="all", metric=metric, overall=overall, confidence=confidence,
        min_n=min_n, ax=ax,
    )  # fmt: skip
    breaks = np.flatnonzero(picked["segment"].to_numpy()[1:] != picked["segment"].to_numpy()[:-1])
    for b in breaks:
        ax.axhline(len(picked) - 1 - b - 0.5, color=_GREY, lw=0.6)
    name = {"nps": "NPS", "csat": "CSAT top-2-box (%)", "ces": "CES mean"}[metric]
    ax.set_title(f"{name} by segment")
    ax.set_ylabel("")
    return ax


def key_drivers(importance: pd.DataFrame, *, n: int | None = None, ax: Any = None) -> Any:
    """Draw each attribute's share of the explained NPS variation, with bootstrap CIs.

    Parameters
    ----------
    importance : pandas.DataFrame
        ``DriverResult.importance`` (``attribute``, ``importance_pct``,
        ``importance_pct_ci_low``, ``importance_pct_ci_high``, ``small_n``), most
        important first.
    n : int, optional
        Responses behind the model, for the title (default the table's ``n``).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on.

    Returns
    -------
    matplotlib.axes.Axes
        One horizontal bar per attribute, most important at the top.

    Examples
    --------
    >>> import pandas as pd
    >>> imp = pd.DataFrame({"attribute": ["price", "staff"], "importance_pct": [60.0, 40.0],
    ...                     "importance_pct_ci_low": [50.0, 30.0],
    ...                     "importance_pct_ci_high": [70.0, 50.0], "n": [500, 500]})
    >>> key_drivers(imp).get_title()
    'What drives NPS (n = 500)'
    """
    _check(importance, ["attribute", "importance_pct"], "importance")
    if importance.empty:
        return _notice(_axes(ax), "No key driver analysis for this data", "What drives NPS")
    cols = ["attribute", "importance_pct", "importance_pct_ci_low", "importance_pct_ci_high"]
    _check(importance, cols, "importance")
    est = importance["importance_pct"].to_numpy(dtype=float)
    low = importance["importance_pct_ci_low"].to_numpy(dtype=float)
    high = importance["importance_pct_ci_high"].to_numpy(dtype=float)
    low, high = np.where(np.isnan(low), est, low), np.where(np.isnan(high), est, high)
    small = importance.get("small_n", pd.Series(False, index=importance.index)).to_numpy(bool)
    labels = [str(a).replace("_", " ") for a in importance["attribute"]]
    ax = _axes(ax)
    _hbars(ax, labels, est, low, high, small, _palette()[0])
    n = int(importance["n"].iloc[0]) if n is None and "n" in importance else n
    ax.set_title("What drives NPS" + (f" (n = {n:,})" if n else ""))
    ax.set_xlabel("Share of the explained variation in NPS (%)")
    ax.set_ylabel("Attribute rating")
    handles: list = []
    if small.any():
        _small_legend(ax, handles)
        ax.legend(handles=handles, fontsize="small")
    return ax


def importance_performance(
    quadrants: pd.DataFrame, *, n: int | None = None, ax: Any = None
) -> Any:
    """Draw the importance-performance matrix: attributes placed by rating and importance.

    Parameters
    ----------
    quadrants : pandas.DataFrame
        :func:`cxlib.drivers.importance_performance` output (``attribute``,
        ``importance_pct``, ``performance``, ``importance_cut``, ``performance_cut``,
        ``quadrant``).
    n : int, optional
        Responses behind the ratings, for the title.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on.

    Returns
    -------
    matplotlib.axes.Axes
        A scatter (x = mean rating, y = importance %) with the cut lines and the four
        quadrant names.

    Examples
    --------
    >>> import pandas as pd
    >>> q = pd.DataFrame({"attribute": ["price", "staff"], "importance_pct": [60.0, 40.0],
    ...                   "performance": [5.5, 7.5], "importance_cut": 50.0,
    ...                   "performance_cut": 6.5, "quadrant": ["Concentrate here",
    ...                   "Possible overkill"]})
    >>> importance_performance(q).collections[0].get_offsets().tolist()
    [[5.5, 60.0], [7.5, 40.0]]
    """
    if n is None and "n" in quadrants and len(quadrants):
        n = int(quadrants["n"].max())
    title = "Importance and performance" + (f" (n = {n:,})" if n else "")
    _check(quadrants, ["attribute", "importance_pct"], "quadrants")
    if quadrants.empty:
        return _notice(_axes(ax), "No key driver analysis for this data", title)
    cols = ["attribute", "importance_pct", "performance", "importance_cut", "performance_cut"]
    _check(quadrants, cols, "quadrants")
    ax = _axes(ax)
    pal = _palette()
    x = quadrants["performance"].to_numpy(dtype=float)
    y = quadrants["importance_pct"].to_numpy(dtype=float)
    focus = (quadrants["quadrant"] == "Concentrate here").to_numpy()
    ax.scatter(x, y, s=60, c=[pal[1] if f else pal[0] for f in focus], zorder=3)
    _pad(ax, x, y)
    _label_points(ax, x, y, [str(a).replace("_", " ") for a in quadrants["attribute"]])
    xc, yc = (
        float(quadrants["performance_cut"].iloc[0]),
        float(quadrants["importance_cut"].iloc[0]),
    )
    ax.axvline(xc, color=_GREY, ls="--", lw=1)
    ax.axhline(yc, color=_GREY, ls="--", lw=1)
    corners = {
        "Concentrate here": (0.02, 0.97, "left"),
        "Keep up the good work": (0.98, 0.97, "right"),
        "Low priority": (0.02, 0.03, "left"),
        "Possible overkill": (0.98, 0.03, "right"),
    }
    for text, (cx, cy, ha) in corners.items():
        ax.text(cx, cy, text, transform=ax.transAxes, ha=ha, va="top" if cy > 0.5 else "bottom",
                color=_GREY, fontsize="small", style="italic")  # fmt: skip
    ax.set_title(title)
    ax.set_xlabel("Performance: mean rating")
    ax.set_ylabel("Importance: share of explained NPS variation (%)")
    return ax


def themes(
    table: pd.DataFrame,
    *,
    n_comments: int | None = None,
    confidence: float = 0.95,
    min_n: int = 30,
    ax: Any = None,
) -> Any:
    """Draw each theme's NPS impact as a bar coloured by sentiment, labelled with its share.

    Parameters
    ----------
    table : pandas.DataFrame
        :func:`cxlib.voc_text.theme_table` output (``theme``, ``n_mentions``, ``share``,
        ``mean_sentiment``, ``estimate``, ``ci_low``, ``ci_high``, ``small_n``).
    n_comments : int, optional
        Comments behind the shares, for the title.
    confidence : float, default 0.95
        Confidence level of the intervals (for the legend).
    min_n : int, default 30
        Small-base threshold (for the legend).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on.

    Returns
    -------
    matplotlib.axes.Axes
        One horizontal bar per theme with a mention, most frequent at the top: bar length
        = NPS of commenters mentioning the theme minus NPS of the other commenters
        (points), error bars = its interval, colour from the brand's second colour
        (negative mean sentiment) to its first (positive), label = theme, share of
        comments and n. Small-base themes are hatched and faded.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"theme": ["Billing"], "share": [0.3], "mean_sentiment": [-0.4],
    ...                   "estimate": [-40.0], "ci_low": [-50.0], "ci_high": [-30.0],
    ...                   "n_mentions": [120], "small_n": [False]})
    >>> [float(p.get_width()) for p in themes(t).patches]
    [-40.0]
    """
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import LinearSegmentedColormap, Normalize
    from matplotlib.lines import Line2D

    cols = ["theme", "share", "mean_sentiment", "estimate", "ci_low", "ci_high", "n_mentions"]
    _check(table, cols, "table")
    t = table[table["n_mentions"] > 0].sort_values("n_mentions", ascending=False, kind="stable")
    ax = _axes(ax)
    title = "Themes: how often they come up and what they do to NPS"
    title += f" (n = {n_comments:,} comments)" if n_comments else ""
    if t.empty:
        return _notice(ax, "No comment mentions a codeframe theme", title)
    pal = _palette()
    cmap = LinearSegmentedColormap.from_list("sentiment", [pal[1], "#E6E6E6", pal[0]])
    norm = Normalize(-0.5, 0.5)
    small = t["small_n"].to_numpy(bool) if "small_n" in t else np.zeros(len(t), bool)
    labels = [
        f"{name} ({100 * share:.0f}%, n = {n:,})"
        for name, share, n in zip(t["theme"], t["share"], t["n_mentions"], strict=True)
    ]
    est = t["estimate"].to_numpy(dtype=float)
    bars = _hbars(ax, labels, est, t["ci_low"].to_numpy(float), t["ci_high"].to_numpy(float),
                  small, pal[0])  # fmt: skip
    for bar, colour in zip(bars, cmap(norm(t["mean_sentiment"].to_numpy(float))), strict=True):
        bar.set_facecolor(colour)
        bar.set_edgecolor("#555555")
    ax.axvline(0, color=_GREY, lw=0.8)
    ax.figure.colorbar(ScalarMappable(norm, cmap), ax=ax, label="Mean sentiment", shrink=0.8)
    handles = [Line2D([], [], color="#1A1A1A", lw=1, label=f"{int(confidence * 100)}% CI")]
    if small.any():
        _small_legend(ax, handles, min_n)
    ax.legend(handles=handles, fontsize="small", loc="best")
    ax.set_title(title)
    ax.set_xlabel("NPS of commenters mentioning the theme minus the rest (points)")
    ax.set_ylabel("Theme (share of comments)")
    return ax


def nps_distribution(distribution: pd.DataFrame, *, ax: Any = None) -> Any:
    """Draw the share of answers at each point of the 0-10 scale, coloured by NPS group.

    Parameters
    ----------
    distribution : pandas.DataFrame
        :func:`cxlib.voc.nps_distribution` output (``score``, ``group``, ``n``,
        ``share``).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on.

    Returns
    -------
    matplotlib.axes.Axes
        Eleven bars, heights in percent; detractors, passives and promoters in three
        brand colours, named in the legend with their share.

    Examples
    --------
    >>> import pandas as pd
    >>> from cxlib import voc
    >>> dist = voc.nps_distribution(pd.DataFrame({"nps": [10, 9, 9, 0]}))
    >>> [int(round(p.get_height())) for p in nps_distribution(dist).patches][-2:]
    [50, 25]
    """
    from matplotlib.patches import Patch

    _check(distribution, ["score", "group", "n", "share"], "distribution")
    ax = _axes(ax)
    pal = _palette()
    colour = {"detractor": pal[1], "passive": _GREY, "promoter": pal[0]}
    heights = 100 * distribution["share"].to_numpy(dtype=float)
    ax.bar(distribution["score"], heights, color=[colour[g] for g in distribution["group"]])
    shares = distribution.groupby("group")["share"].sum()
    handles = [
        Patch(color=colour[g], label=f"{g.capitalize()}s ({100 * shares.get(g, 0):.0f}%)")
        for g in ("promoter", "passive", "detractor")
    ]
    ax.legend(handles=handles, fontsize="small", loc="upper left")
    n = int(distribution["n"].sum())
    ax.set_title(f"How likely customers are to recommend (n = {n:,})")
    ax.set_xlabel("Likelihood to recommend (0-10)")
    ax.set_ylabel("Share of answers (%)")
    ax.set_xticks(range(11))
    return ax
