"""Charts of step 1: the goal-to-objective alignment matrix and the CX goal against target."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from cxlib.plots import cycle_colours

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from cxlib.mission import GoalPerformance

__all__ = ["alignment_matrix", "goal_performance"]


def alignment_matrix(matrix: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Draw CX goals (rows) against business objectives (columns); filled where aligned.

    Parameters
    ----------
    matrix : pandas.DataFrame
        Boolean matrix from :func:`cxlib.mission.alignment_matrix`.
    ax : matplotlib Axes, optional
        Where to draw; a new figure when omitted.

    Returns
    -------
    matplotlib.axes.Axes
        The chart. Objectives with no goal behind them are labelled "no CX goal". Without
        goals or without business objectives the chart is empty and says which is missing.
    """
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap

    if matrix.empty:
        return _empty_alignment(matrix, plt.subplots(figsize=(7, 2.5))[1] if ax is None else ax)
    if ax is None:
        width = max(5.0, 1.6 * matrix.shape[1] + 3)
        _, ax = plt.subplots(figsize=(width, 0.6 * matrix.shape[0] + 2))
    values = matrix.to_numpy(dtype=float)
    cmap = ListedColormap(["#F2F2F2", cycle_colours()[0]])
    ax.imshow(values, cmap=cmap, vmin=0, vmax=1, aspect="auto")
    for (row, col), hit in np.ndenumerate(values):
        if hit:
            ax.text(col, row, "✓", ha="center", va="center", color="white", fontsize=13)
    ax.set_xticks(range(matrix.shape[1]), labels=[str(c) for c in matrix.columns])
    ax.set_yticks(range(matrix.shape[0]), labels=[str(i) for i in matrix.index])
    ax.tick_params(axis="x", labelrotation=20)
    for col, served in enumerate(values.any(axis=0)):
        if not served:
            y = matrix.shape[0] - 0.4
            ax.text(col, y, "no CX goal", ha="center", va="top", color="#B00020")
    ax.set_xticks(np.arange(-0.5, matrix.shape[1]), minor=True)
    ax.set_yticks(np.arange(-0.5, matrix.shape[0]), minor=True)
    ax.grid(which="minor", color="white", linewidth=2)
    ax.grid(which="major", visible=False)
    ax.tick_params(which="minor", length=0)
    ax.set_xlabel("Business objective")
    ax.set_ylabel("CX goal")
    ax.set_title("Which business objectives each CX goal serves")
    return ax


def _empty_alignment(matrix: pd.DataFrame, ax: Axes) -> Axes:
    """Say on an empty chart what the alignment matrix lacks."""
    rows, columns = matrix.shape
    missing = [w for w, n in (("CX goals", rows), ("business objectives", columns)) if n == 0]
    ax.text(
        0.5,
        0.5,
        f"No {' and no '.join(missing)}\nset out yet in engagement.yaml",
        ha="center",
        va="center",
        transform=ax.transAxes,
        color="#555555",
    )
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("Business objective")
    ax.set_ylabel("CX goal")
    ax.set_title("Which business objectives each CX goal serves")
    return ax


def goal_performance(perf: GoalPerformance, *, ax: Axes | None = None) -> Axes:
    """Draw the CX goal's current share with its interval against the target.

    Parameters
    ----------
    perf : GoalPerformance
        From :func:`cxlib.mission.goal_performance`.
    ax : matplotlib Axes, optional
        Where to draw; a new figure when omitted.

    Returns
    -------
    matplotlib.axes.Axes
        One horizontal bar (hatched when the base is small), the interval as an error bar,
        and the target as a dashed line. With no data (n = 0) there is no bar: the chart
        shows the target and says so.
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 2.2))
    if perf.n == 0:
        ax.axvline(perf.target * 100, color="#333333", linestyle="--", label="Target")
        ax.text(50, 0, "No data yet (n = 0)", ha="center", va="center", color="#555555")
        ax.set_ylim(-0.5, 0.5)
        return _goal_axes(perf, ax)
    level = int(round(perf.confidence * 100))
    err = [[perf.estimate - perf.ci_low], [perf.ci_high - perf.estimate]]
    ax.barh(
        [0],
        [perf.estimate * 100],
        xerr=np.asarray(err) * 100,
        color=cycle_colours()[0],
        hatch="//" if perf.small_n else None,
        capsize=6,
        height=0.5,
        label=f"Today (n = {perf.n:,}; {level}% CI)",
    )
    ax.axvline(perf.target * 100, color="#333333", linestyle="--", label="Target")
    return _goal_axes(perf, ax)


def _goal_axes(perf: GoalPerformance, ax: Axes) -> Axes:
    ax.set_xlim(0, 100)
    ax.set_yticks([0], labels=[f"Customers who {perf.action}"])
    ax.set_xlabel("Share of customers (%)")
    ax.set_title("The CX goal today against its target")
    ax.legend(loc="lower right", frameon=False)
    return ax
