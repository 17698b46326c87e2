"""Step 6: the KPI tree, from the CX goal down to the numbers that move it.

The CX goal (a customer action) sits at the root. Under it, three branches: what customers
say (CX metrics: NPS, CSAT, CES, each broken down by journey stage), what the operation does
(operational metrics from touchpoint events) and what the business gets (retention, churn,
revenue at risk). The tree is a tidy table of nodes with parent links;
:func:`cxlib.plots_kpi.kpi_tree` draws it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["BRANCHES", "kpi_tree"]

#: Branches under the CX goal: (node id, level, label).
BRANCHES = (
    ("branch:cx", "cx", "What customers say (CX metrics)"),
    ("branch:operational", "operational", "What the operation does (operational metrics)"),
    ("branch:business", "business", "What the business gets (business outcomes)"),
)
_COLUMNS = [
    "node",
    "parent",
    "depth",
    "level",
    "label",
    "kpi",
    "metric",
    "estimate",
    "ci_low",
    "ci_high",
    "n",
    "small_n",
]


def _node(node, parent, depth, level, label, row=None) -> dict[str, object]:
    out = {"node": node, "parent": parent, "depth": depth, "level": level, "label": label}
    out.update(kpi="", metric="", estimate=np.nan, ci_low=np.nan, ci_high=np.nan, n=0)
    out["small_n"] = False
    if row is not None:
        out.update({k: row[k] for k in ("kpi", "metric", "estimate", "ci_low", "ci_high")})
        out.update(n=int(row["n"]), small_n=bool(row["small_n"]))
    return out


def kpi_tree(kpis: pd.DataFrame, *, goal: str = "CX goal") -> pd.DataFrame:
    """Arrange a KPI table as a tree under the CX goal.

    Parameters
    ----------
    kpis : pandas.DataFrame
        A KPI table (:data:`cxlib.kpi.KPI_COLUMNS`) with levels ``cx``, ``operational``,
        ``business`` and optionally the health KPI ``goal_performance``.
    goal : str, default "CX goal"
        The root's label, usually the CX goal's statement.

    Returns
    -------
    pandas.DataFrame
        One row per node, parents before children: ``node`` (id), ``parent`` (id, empty
        for the root), ``depth`` (0 root, 1 branch, 2 KPI, 3 stage breakdown), ``level``
        (goal, cx, operational, business), ``label``, and the KPI's ``kpi``, ``metric``,
        ``estimate``, ``ci_low``, ``ci_high``, ``n``, ``small_n`` (empty or NaN for the
        branch nodes). The root carries ``goal_performance`` when present. Branches with
        no KPIs are left out.

    Examples
    --------
    >>> k = pd.DataFrame({"kpi": ["nps", "nps:Join", "churn"], "label": ["NPS", "Join", "Churn"],
    ...     "level": ["cx", "cx", "business"], "metric": ["nps", "nps", "share"],
    ...     "stage": ["", "Join", ""], "estimate": [10.0, 5.0, 0.1], "ci_low": [1.0, 0.0, 0.0],
    ...     "ci_high": [20.0, 9.0, 0.2], "n": [100, 40, 90], "small_n": [False] * 3})
    >>> tree = kpi_tree(k)
    >>> list(zip(tree["node"], tree["parent"]))  # doctest: +NORMALIZE_WHITESPACE
    [('goal', ''), ('branch:cx', 'goal'), ('nps', 'branch:cx'), ('nps:Join', 'nps'),
     ('branch:business', 'goal'), ('churn', 'branch:business')]
    """
    goal_rows = kpis[kpis["kpi"] == "goal_performance"]
    nodes = [_node("goal", "", 0, "goal", goal, goal_rows.iloc[0] if len(goal_rows) else None)]
    for node_id, level, label in BRANCHES:
        rows = kpis[kpis["level"] == level]
        if rows.empty:
            continue
        nodes.append(_node(node_id, "goal", 1, level, label))
        stage = rows["stage"].fillna("") if "stage" in rows else pd.Series("", index=rows.index)
        for _, row in rows[stage == ""].iterrows():
            nodes.append(_node(row["kpi"], node_id, 2, level, row["label"], row))
            base = str(row["kpi"])
            children = rows[(stage != "") & rows["kpi"].str.startswith(base + ":")]
            for _, child in children.iterrows():
                nodes.append(_node(child["kpi"], base, 3, level, child["stage"], child))
        orphans = rows[(stage != "") & ~rows["kpi"].str.split(":").str[0].isin(rows["kpi"])]
        for _, row in orphans.iterrows():
            nodes.append(_node(row["kpi"], node_id, 2, level, row["label"], row))
    return pd.DataFrame(nodes, columns=_COLUMNS)
