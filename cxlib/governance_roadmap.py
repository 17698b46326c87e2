"""Step 5: the funded initiative roadmap.

Compute layer. Initiatives are scored from evidence (the share of measured pain at the
touchpoint they improve, the share of driver importance and of negative comment themes they
address), placed on a value-versus-effort matrix, and funded within the budget by an exact
0/1 knapsack: dynamic programming over cost in budget units when the costs allow it, else
the mixed-integer solver HiGHS (``scipy.optimize.milp``) with a zero optimality gap.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from cxlib.config import EvidenceWeights, Governance, RaciDecision
from cxlib.governance import _require, single_accountable

__all__ = [
    "CLOSED_STATUSES",
    "EVIDENCE",
    "EVIDENCE_FILES",
    "build_roadmap",
    "collect_evidence",
    "evidence_shares",
    "roadmap_owners",
    "score_initiatives",
    "select_within_budget",
]

#: Initiative statuses that take an initiative out of the running (done or turned down).
CLOSED_STATUSES = frozenset(
    {"implemented", "done", "completed", "live", "rejected", "cancelled", "canceled"}
)
#: Earlier results the roadmap reads, in the order the narrative lists them.
EVIDENCE_FILES = (
    "pain_points.parquet",
    "journey.json",
    "drivers.parquet",
    "themes.parquet",
    "voc.json",
)
#: Evidence components: (name, join column in initiatives, share column in the output).
EVIDENCE = (
    ("pain", "touchpoint_id", "pain_share"),
    ("drivers", "driver", "driver_share"),
    ("themes", "theme", "theme_share"),
)
_DP_MAX_CELLS = 20_000_000  # items x budget units held by the DP's decision table
_QUADRANTS = {
    (True, False): "Quick win",
    (True, True): "Major project",
    (False, False): "Fill-in",
    (False, True): "Thankless task",
}


# --------------------------------------------------------------------------- evidence


def evidence_shares(
    table: pd.DataFrame, *, key: str, weight: str, small_n: str = "small_n"
) -> pd.DataFrame:
    """Turn an earlier step's results into each key's share of the total.

    Parameters
    ----------
    table : pandas.DataFrame
        Pain points (per touchpoint), driver importances (per attribute) or theme counts.
    key : str
        Column naming what an initiative can address (touchpoint id, driver, theme).
    weight : str
        Non-negative size of the problem: pain score, importance, negative mentions.
        Negative values (a driver that lowers the score) and missing values count as 0.
    small_n : str, default "small_n"
        Optional flag column; a key is flagged when any of its rows is.

    Returns
    -------
    pandas.DataFrame
        ``key`` (the key's values, as text), ``share`` (0..1, summing to 1 unless every
        weight is 0) and ``small_n``.

    Examples
    --------
    >>> pain = pd.DataFrame({"touchpoint_id": ["chat", "bill", "chat"], "pain": [3.0, 1.0, 0.0]})
    >>> evidence_shares(pain, key="touchpoint_id", weight="pain").values.tolist()
    [['bill', 0.25, False], ['chat', 0.75, False]]
    """
    _require(table, [key, weight], "evidence table")
    w = pd.to_numeric(table[weight], errors="coerce").clip(lower=0).fillna(0.0)
    flag = table[small_n].fillna(False).astype(bool) if small_n in table else False
    keys = table[key].astype("string").str.strip()
    grouped = pd.DataFrame({"key": keys, "w": w, "small_n": flag}).dropna(subset=["key"])
    grouped = grouped.groupby("key", sort=True).agg(w=("w", "sum"), small_n=("small_n", "any"))
    total = grouped["w"].sum()
    grouped["share"] = grouped["w"] / total if total > 0 else 0.0
    return grouped.reset_index()[["key", "share", "small_n"]].astype({"key": object})


def collect_evidence(
    pain_points: pd.DataFrame | None = None,
    drivers: pd.DataFrame | None = None,
    themes: pd.DataFrame | None = None,
    *,
    journey: Mapping[str, Any] | None = None,
    voc: Mapping[str, Any] | None = None,
) -> dict[str, pd.DataFrame | None]:
    r"""Turn the journey audit and VoC results into evidence shares, whichever exist.

    Parameters
    ----------
    pain_points : pandas.DataFrame, optional
        ``pain_points.parquet`` of the journey audit: ``touchpoint_id`` and the pain
        ``estimate`` (NPS points lost through the touchpoint).
    drivers : pandas.DataFrame, optional
        ``drivers.parquet`` of the VoC step: ``attribute`` and ``importance`` (share of R²).
    themes : pandas.DataFrame, optional
        ``themes.parquet`` of the VoC step: either one row per theme with ``share`` of
        comments and ``estimate`` (NPS of those mentioning it minus the rest), or one row
        per tagged comment (``theme``, optionally ``negated``).
    journey, voc : mapping, optional
        ``journey.json`` and ``voc.json``, read when a table above is missing: the journey's
        ``top_pain_points`` and the VoC step's ``drivers.importance`` and ``themes``.

    Returns
    -------
    dict
        ``pain``, ``drivers`` and ``themes``: :func:`evidence_shares` tables, or None when
        the input is missing, empty or lacks the columns.

    Notes
    -----
    A theme's weight is the NPS it costs: its share of comments times the NPS gap of those
    mentioning it, :math:`s_k \max(0, -\Delta_k)`, on the scale of the pain estimate. With
    a tag table (no NPS gap) it is the number of comments mentioning it. ``journey.json``
    lists only the top pain points, so shares taken from it are shares of those.

    Examples
    --------
    >>> drv = pd.DataFrame({"attribute": ["billing", "coverage"], "importance": [0.6, 0.2]})
    >>> ev = collect_evidence(drivers=drv)
    >>> ev["pain"] is None, ev["drivers"]["share"].round(2).tolist()
    (True, [0.75, 0.25])
    """
    pain_points = _or_json(pain_points, journey, ("top_pain_points",))
    drivers = _or_json(drivers, voc, ("drivers", "importance"))
    themes = _or_json(themes, voc, ("themes",))
    out: dict[str, pd.DataFrame | None] = {"pain": None, "drivers": None, "themes": None}
    if _usable(pain_points, "touchpoint_id"):
        weight = next((c for c in ("estimate", "pain") if c in pain_points), None)
        if weight:
            out["pain"] = evidence_shares(pain_points, key="touchpoint_id", weight=weight)
    if _usable(drivers, "attribute") and "importance" in drivers:
        out["drivers"] = evidence_shares(drivers, key="attribute", weight="importance")
    if _usable(themes, "theme"):
        out["themes"] = evidence_shares(_theme_weights(themes), key="theme", weight="_w")
    return out


def _or_json(table: Any, results: Mapping[str, Any] | None, path: tuple[str, ...]) -> Any:
    """Return the table if given, else the records at ``path`` in a step's JSON, or None."""
    if isinstance(table, pd.DataFrame) or not isinstance(results, Mapping):
        return table
    value: Any = results
    for key in path:
        value = value.get(key) if isinstance(value, Mapping) else None
    return pd.DataFrame(value) if isinstance(value, list) and value else None


def _theme_weights(themes: pd.DataFrame) -> pd.DataFrame:
    if {"share", "estimate"} <= set(themes.columns):
        gap = pd.to_numeric(themes["estimate"], errors="coerce").clip(upper=0)
        return themes.assign(_w=pd.to_numeric(themes["share"], errors="coerce") * -gap)
    if "n_mentions" in themes:
        return themes.assign(_w=themes["n_mentions"])
    kept = ~themes["negated"].fillna(False).astype(bool) if "negated" in themes else True
    return themes.assign(_w=1.0).loc[kept]


def _usable(table: pd.DataFrame | None, key: str) -> bool:
    return isinstance(table, pd.DataFrame) and not table.empty and key in table


def _links(
    initiatives: pd.DataFrame, column: str, links: Mapping[str, Sequence[str]]
) -> pd.DataFrame:
    """(row, key) pairs: keys named in the initiative's own column or linked to its touchpoint."""
    pairs = []
    if column in initiatives:
        own = initiatives[column].astype("string").str.split(r"\s*[;,]\s*").explode().str.strip()
        pairs.append(pd.DataFrame({"row": own.index, "key": own.to_numpy()}))
    if links and "touchpoint_id" in initiatives:
        linked = (
            initiatives["touchpoint_id"]
            .astype("string")
            .map(lambda t: links.get(t, ()) if isinstance(t, str) else ())
        )
        linked = linked.explode().dropna()
        pairs.append(pd.DataFrame({"row": linked.index, "key": linked.astype(str).to_numpy()}))
    if not pairs:
        return pd.DataFrame({"row": pd.Series(dtype=object), "key": pd.Series(dtype=object)})
    out = pd.concat(pairs, ignore_index=True).dropna()
    return out[out["key"] != ""].drop_duplicates()


def score_initiatives(
    initiatives: pd.DataFrame,
    *,
    pain: pd.DataFrame | None = None,
    drivers: pd.DataFrame | None = None,
    themes: pd.DataFrame | None = None,
    weights: EvidenceWeights | None = None,
    links: Mapping[str, Sequence[str]] | None = None,
    effort: str = "effort",
    cost: str = "cost",
    status: str = "status",
) -> pd.DataFrame:
    r"""Score open initiatives by the evidence they address, and place them by value and effort.

    An initiative's impact is the share of the measured problem it goes after: the share of
    all pain at its touchpoint (journey audit), the share of key-driver importance of the
    drivers it addresses, and the share of negative comments in the themes it addresses
    (voice of the customer). Typed-in impact guesses are not used while any evidence exists.

    Parameters
    ----------
    initiatives : pandas.DataFrame
        The initiatives table (initiative_id, title, touchpoint_id, status, effort, cost, and
        optionally ``driver`` and ``theme`` columns naming what else they address).
    pain, drivers, themes : pandas.DataFrame, optional
        Evidence from :func:`evidence_shares`, keyed by touchpoint id, driver name and theme
        name. None (or empty) when the step that produces it has not run.
    weights : EvidenceWeights, optional
        Weights of the three components (default 0.5, 0.3, 0.2).
    links : mapping, optional
        Touchpoint id -> driver or theme names that touchpoint moves
        (``governance.evidence_links``), so an initiative at a touchpoint also addresses them.
    effort, cost, status : str
        Column roles in ``initiatives``.

    Returns
    -------
    pandas.DataFrame
        One row per open initiative (status not in :data:`CLOSED_STATUSES`), the input
        columns plus ``pain_share``, ``driver_share``, ``theme_share`` (0..1, missing when
        that evidence is not available), ``impact`` (0..1), ``basis`` (``evidence`` or, when
        no evidence is available at all, ``estimate``: the typed-in impact as a share of the
        total), ``small_n`` (evidence rests on a small base), ``priority`` (impact per unit
        of effort), ``quadrant`` and ``rank`` (1 = highest priority).

    Raises
    ------
    TypeError, ValueError
        On a wrong type, missing columns, or negative cost or effort.

    Notes
    -----
    With :math:`P_i`, :math:`D_i`, :math:`T_i` the pain, driver and theme shares an
    initiative addresses (shares of several linked keys add up), weights :math:`w` and
    :math:`A` the set of available components,

    .. math:: \text{impact}_i = \frac{\sum_{c \in A} w_c S_{c,i}}{\sum_{c \in A} w_c}.

    A component is available when its evidence table is present and the initiatives can be
    joined to it. Several initiatives at one touchpoint each get its full share: they are
    alternatives or complements, which the budget selection weighs by cost. ``priority`` is
    :math:`\text{impact}_i / \text{effort}_i`. Quadrants split impact and effort at their
    medians (Quick win: impact above the median, effort at or below it).

    Examples
    --------
    >>> ini = pd.DataFrame({"initiative_id": ["a", "b"], "title": ["Fix chat", "New bill"],
    ...     "touchpoint_id": ["chat", "bill"], "status": ["proposed", "approved"],
    ...     "impact": [3, 4], "effort": [2, 4], "cost": [10.0, 30.0]})
    >>> pain = evidence_shares(pd.DataFrame({"tp": ["chat", "bill"], "p": [3.0, 1.0]}),
    ...                        key="tp", weight="p")
    >>> score_initiatives(ini, pain=pain)[["initiative_id", "impact", "rank"]].values.tolist()
    [['a', 0.75, 1], ['b', 0.25, 2]]
    """
    _require(initiatives, ["initiative_id", effort, cost], "initiatives")
    weights = weights or EvidenceWeights()
    out = initiatives.copy()
    if status in out:
        closed = out[status].astype("string").str.strip().str.casefold().isin(CLOSED_STATUSES)
        out = out[~closed.fillna(False).to_numpy(dtype=bool)]
    out = out.reset_index(drop=True)
    for column in (effort, cost):
        values = pd.to_numeric(out[column], errors="coerce")
        if (values < 0).any():
            raise ValueError(f"initiatives.{column} has negative values")
        out[column] = values
    tables = {"pain": pain, "drivers": drivers, "themes": themes}
    flags = np.zeros(len(out), dtype=bool)
    num = np.zeros(len(out))
    den = 0.0
    for name, column, share_col in EVIDENCE:
        table = tables[name]
        pairs = _links(out, column, links if name != "pain" else {}) if len(out) else None
        if table is None or table.empty or pairs is None or pairs.empty:
            out[share_col] = np.nan
            continue
        hit = pairs.merge(table, on="key", how="inner")
        share = hit.groupby("row")["share"].sum().reindex(out.index, fill_value=0.0)
        out[share_col] = share.clip(upper=1.0).to_numpy()
        flags |= (
            hit.groupby("row")["small_n"].any().reindex(out.index, fill_value=False).to_numpy()
        )
        w = float(getattr(weights, name))
        num += w * out[share_col].to_numpy()
        den += w
    if den > 0:
        out["impact"], out["basis"] = num / den, "evidence"
    else:
        typed = pd.to_numeric(out.get("impact"), errors="coerce").clip(lower=0).fillna(0.0)
        total = typed.sum()
        out["impact"] = typed / total if total > 0 else 0.0
        out["basis"] = "estimate"
    out["small_n"] = flags
    return _rank(out, effort)


def _rank(out: pd.DataFrame, effort: str) -> pd.DataFrame:
    eff = out[effort]
    with np.errstate(divide="ignore", invalid="ignore"):
        out["priority"] = np.where(
            eff > 0, out["impact"] / eff, np.where(out["impact"] > 0, np.inf, 0.0)
        )
    high_value = (out["impact"] > out["impact"].median()).to_numpy()
    high_effort = (eff > eff.median()).to_numpy()
    out["quadrant"] = [_QUADRANTS[(v, e)] for v, e in zip(high_value, high_effort, strict=True)]
    out = out.sort_values(["priority", "impact", "initiative_id"], ascending=[False, False, True])
    out["rank"] = np.arange(1, len(out) + 1)
    return out.reset_index(drop=True)


# --------------------------------------------------------------------------- budget


def _integer_costs(costs: np.ndarray, budget: float) -> tuple[np.ndarray, int] | None:
    """Costs and budget in a common integer unit (the gcd of the costs in cents), if exact."""
    cents = costs * 100.0
    if not np.allclose(cents, np.round(cents), rtol=0, atol=1e-6) or cents.max(initial=0) > 2**52:
        return None
    cents = np.round(cents).astype(np.int64)
    positive = cents[cents > 0]
    unit = int(np.gcd.reduce(positive)) if len(positive) else 1
    cap = int(math.floor(budget * 100.0 + 1e-6)) // unit
    return cents // unit, cap


def _knapsack_dp(values: np.ndarray, weights: np.ndarray, cap: int) -> np.ndarray:
    """Exact 0/1 knapsack by dynamic programming over integer capacity, vectorised per item."""
    best = np.zeros(cap + 1)
    take = np.zeros((len(values), cap + 1), dtype=bool)
    for i, (v, w) in enumerate(zip(values, weights, strict=True)):  # one pass per item
        if w > cap:
            continue
        candidate = best[: cap + 1 - w] + v
        better = candidate > best[w:]
        take[i, w:] = better
        best[w:] = np.where(better, candidate, best[w:])
    chosen = np.zeros(len(values), dtype=bool)
    c = cap
    for i in range(len(values) - 1, -1, -1):  # walk back through the decisions
        if take[i, c]:
            chosen[i] = True
            c -= weights[i]
    return chosen


def _knapsack_milp(values: np.ndarray, costs: np.ndarray, budget: float) -> np.ndarray:
    from scipy.optimize import Bounds, LinearConstraint, milp

    res = milp(
        c=-values,
        constraints=LinearConstraint(costs[None, :], -np.inf, budget),
        integrality=np.ones(len(values)),
        bounds=Bounds(0, 1),
        options={"mip_rel_gap": 0.0},
    )
    if not res.success:
        raise RuntimeError(f"the budget selection did not solve: {res.message}")
    chosen = res.x > 0.5
    if costs[chosen].sum() > budget * (1 + 1e-9):
        raise RuntimeError("the solver's selection exceeds the budget")
    return chosen


def select_within_budget(
    items: pd.DataFrame,
    *,
    budget: float,
    value: str = "impact",
    cost: str = "cost",
    method: str = "auto",
) -> pd.Series:
    r"""Choose the set of initiatives with the most total value that fits the budget.

    Parameters
    ----------
    items : pandas.DataFrame
        Candidates with a value and a cost column.
    budget : float
        Money available, in the units of ``cost``.
    value, cost : str
        Column roles. Items with missing cost, or with no value, are never chosen.
    method : {"auto", "dp", "milp"}, default "auto"
        ``dp``: dynamic programming over cost in budget units (the greatest common divisor
        of the costs in cents); ``milp``: HiGHS branch and bound with zero gap; ``auto``:
        ``dp`` when its table stays under 20 million cells, else ``milp``.

    Returns
    -------
    pandas.Series of bool
        Indexed like ``items``: True for the funded initiatives.

    Raises
    ------
    TypeError, ValueError
        On a wrong type, a negative budget or cost, or an unknown method.

    Notes
    -----
    Solves :math:`\max \sum_i v_i x_i` subject to :math:`\sum_i c_i x_i \le B`,
    :math:`x_i \in \{0, 1\}`. Both methods are exact: the DP because in budget units every
    cost is an integer, so the recursion :math:`f_i(b) = \max(f_{i-1}(b),
    f_{i-1}(b - c_i) + v_i)` covers every affordable subset; MILP because branch and bound
    with zero relative gap proves optimality. Ranking by value per cost (greedy) is not
    exact and can leave money on the table. Checked against brute force over all subsets.
    MILP holds the budget to HiGHS's feasibility tolerance (about 1e-7 in cost units); the
    selection is refused if its cost exceeds the budget by more than a billionth.

    References
    ----------
    .. [1] Martello, S. & Toth, P. (1990). Knapsack Problems: Algorithms and Computer
       Implementations. Wiley. Chapter 2.
    .. [2] Huangfu, Q. & Hall, J. A. J. (2018). Parallelizing the dual revised simplex
       method. Mathematical Programming Computation 10, 119-142.
       https://doi.org/10.1007/s12532-017-0130-5

    Examples
    --------
    >>> items = pd.DataFrame({"impact": [0.5, 0.4, 0.3], "cost": [60.0, 50.0, 50.0]})
    >>> select_within_budget(items, budget=100).tolist()
    [False, True, True]
    """
    _require(items, [value, cost], "items")
    if method not in ("auto", "dp", "milp"):
        raise ValueError(f"method must be auto, dp or milp, found {method!r}")
    if budget is None or not np.isfinite(budget) or budget < 0:
        raise ValueError(f"budget must be a non-negative number, found {budget!r}")
    v = pd.to_numeric(items[value], errors="coerce").to_numpy(dtype=float)
    c = pd.to_numeric(items[cost], errors="coerce").to_numpy(dtype=float)
    if (c < 0).any():
        raise ValueError(f"{cost} has negative values")
    usable = np.flatnonzero((v > 0) & np.isfinite(c) & (c <= budget))
    chosen = np.zeros(len(items), dtype=bool)
    if len(usable):
        scaled = _integer_costs(c[usable], budget) if method != "milp" else None
        fits = scaled is not None and len(usable) * (scaled[1] + 1) <= _DP_MAX_CELLS
        if method == "dp" and not fits:
            raise ValueError("costs are not whole cents or the budget is too fine for dp")
        if fits:
            chosen[usable] = _knapsack_dp(v[usable], scaled[0], scaled[1])
        else:
            chosen[usable] = _knapsack_milp(v[usable], c[usable], float(budget))
    return pd.Series(chosen, index=items.index, name="funded")


def roadmap_owners(
    roadmap: pd.DataFrame,
    *,
    members: pd.DataFrame,
    owners: pd.DataFrame,
    decisions: Sequence[RaciDecision],
    funding_decision: str = "fund_initiatives",
    people: Iterable[str] = (),
) -> pd.DataFrame:
    """Name who delivers each initiative and who answers for the spend.

    Parameters
    ----------
    roadmap : pandas.DataFrame
        Scored initiatives (``touchpoint_id`` and optionally ``owner``).
    members : pandas.DataFrame
        ``GovernanceStructure.members``.
    owners : pandas.DataFrame
        Touchpoints and their owning department (``touchpoint_owners``).
    decisions : sequence of RaciDecision
        The RACI.
    funding_decision : str, default "fund_initiatives"
        The decision whose single Accountable signs off the spend.
    people : iterable of str
        Names in the stakeholders table.

    Returns
    -------
    pandas.DataFrame
        ``roadmap`` with ``department`` (owner of the touchpoint), ``responsible`` (the
        initiative's own owner when that is a known stakeholder, else the working-team
        member representing the department, else empty) and ``accountable`` (the single A of
        the funding decision, empty when the RACI does not have exactly one).

    Examples
    --------
    >>> from cxlib.config import RaciDecision
    >>> rm = pd.DataFrame({"touchpoint_id": ["chat"], "owner": ["Nobody Known"]})
    >>> m = pd.DataFrame({"body": ["working_team"], "person": ["Bo"], "represents": ["Care"]})
    >>> o = pd.DataFrame({"touchpoint_id": ["chat"], "owner": ["Care"]})
    >>> d = [RaciDecision(id="fund_initiatives", title="Fund", raci={"Ann": "A"})]
    >>> roadmap_owners(rm, members=m, owners=o, decisions=d)[["responsible", "accountable"]].values.tolist()
    [['Bo', 'Ann']]
    """  # noqa: E501
    out = roadmap.copy()
    dept = dict(zip(owners["touchpoint_id"], owners["owner"], strict=True))
    tp = out["touchpoint_id"] if "touchpoint_id" in out else pd.Series("", index=out.index)
    out["department"] = [str(dept.get(t, "") or "") for t in tp]
    team = members[(members["body"] == "working_team") & (members["represents"] != "")]
    team = team.drop_duplicates("represents")
    by_dept = dict(zip(team["represents"].str.casefold(), team["person"], strict=True))
    from_team = pd.Series([by_dept.get(d.casefold(), "") for d in out["department"]], out.index)
    known = {str(p).strip().casefold() for p in people}
    own = out["owner"] if "owner" in out else pd.Series("", index=out.index)
    own = own.fillna("").astype(str).str.strip()
    use_own = own.str.casefold().isin(known) & (own != "")
    out["responsible"] = np.where(use_own, own, from_team)
    out["accountable"] = single_accountable(decisions, funding_decision)
    return out


def build_roadmap(
    initiatives: pd.DataFrame | None,
    *,
    evidence: Mapping[str, pd.DataFrame | None],
    settings: Governance,
    members: pd.DataFrame,
    owners: pd.DataFrame,
    people: Iterable[str] = (),
) -> pd.DataFrame | None:
    """Score, fund and assign the initiatives in one call (what the playbook shows).

    Parameters
    ----------
    initiatives : pandas.DataFrame or None
        The initiatives table; None when the engagement has none (None is returned).
    evidence : mapping
        Output of :func:`collect_evidence`.
    settings : Governance
        Weights, evidence links, budget, RACI and funding decision.
    members, owners : pandas.DataFrame
        Governance members and touchpoint owners (for :func:`roadmap_owners`).
    people : iterable of str
        Names in the stakeholders table.

    Returns
    -------
    pandas.DataFrame
        :func:`score_initiatives` plus ``funded`` (bool; all False without a budget),
        ``department``, ``responsible`` and ``accountable``; funded first, then by rank.

    Examples
    --------
    >>> from cxlib.config import Governance
    >>> ini = pd.DataFrame({"initiative_id": ["a", "b"], "title": ["A", "B"],
    ...     "touchpoint_id": ["x", "y"], "effort": [1, 1], "cost": [5.0, 5.0]})
    >>> ev = collect_evidence(pd.DataFrame({"touchpoint_id": ["x", "y"], "estimate": [1, 3]}))
    >>> rm = build_roadmap(ini, evidence=ev, settings=Governance(budget=5),
    ...     members=pd.DataFrame(columns=["body", "person", "represents"]),
    ...     owners=pd.DataFrame(columns=["touchpoint_id", "owner"]))
    >>> rm[["initiative_id", "funded"]].values.tolist()
    [['b', True], ['a', False]]
    """
    if initiatives is None:
        return None
    scored = score_initiatives(
        initiatives,
        pain=evidence.get("pain"),
        drivers=evidence.get("drivers"),
        themes=evidence.get("themes"),
        weights=settings.evidence_weights,
        links=settings.evidence_links,
    )
    if settings.budget is None:
        scored["funded"] = False
    else:
        scored["funded"] = select_within_budget(scored, budget=settings.budget).to_numpy()
    scored = roadmap_owners(
        scored,
        members=members,
        owners=owners,
        decisions=settings.decisions,
        funding_decision=settings.funding_decision,
        people=people,
    )
    order = np.lexsort((scored["rank"].to_numpy(), ~scored["funded"].to_numpy()))
    return scored.iloc[order].reset_index(drop=True)
