"""Step 5: what the governance step writes for the report and the KPI steps.

Compute layer: the roadmap's totals, the owner of each KPI, and ``governance.json`` with
every table as plain JSON types (NaN as null, times as ISO text).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from cxlib.config import RaciDecision
from cxlib.governance import GovernanceStructure, single_accountable

__all__ = [
    "ROADMAP_COLUMNS",
    "kpi_owners",
    "records",
    "roadmap_frame",
    "roadmap_summary",
    "step_results",
]


def roadmap_summary(
    roadmap: pd.DataFrame | None, *, budget: float | None
) -> dict[str, Any] | None:
    """Sum up the funded roadmap: what it costs, what share of the evidence it covers.

    Returns
    -------
    dict or None
        None without a roadmap; else ``budget``, ``n_candidates``, ``n_funded``, ``spent``,
        ``remaining``, ``impact_funded`` (sum of funded impact), ``impact_total`` (sum over
        candidates),
        ``impact_share`` (funded / total), ``basis`` (evidence or estimate) and
        ``n_unlinked`` (candidates with no evidence behind them).

    Examples
    --------
    >>> rm = pd.DataFrame({"impact": [0.6, 0.4], "cost": [10.0, 30.0],
    ...     "funded": [True, False], "basis": "evidence"})
    >>> roadmap_summary(rm, budget=20)["remaining"]
    10.0
    """
    if roadmap is None:
        return None
    funded = roadmap[roadmap["funded"]] if len(roadmap) else roadmap
    total = float(roadmap["impact"].sum()) if len(roadmap) else 0.0
    spent = float(funded["cost"].sum()) if len(funded) else 0.0
    basis = str(roadmap["basis"].iloc[0]) if len(roadmap) and "basis" in roadmap else "evidence"
    return {
        "budget": budget,
        "n_candidates": int(len(roadmap)),
        "n_funded": int(len(funded)),
        "spent": spent,
        "remaining": None if budget is None else float(budget) - spent,
        "impact_funded": float(funded["impact"].sum()) if len(funded) else 0.0,
        "impact_total": total,
        "impact_share": float(funded["impact"].sum()) / total if total > 0 else None,
        "basis": basis,
        "n_unlinked": int((roadmap["impact"] <= 0).sum()) if len(roadmap) else 0,
    }


def kpi_owners(targets: Sequence[Any], decisions: Sequence[RaciDecision]) -> list[dict[str, str]]:
    """Owner of each KPI with a target: its named owner, else the RACI's KPI publisher.

    Examples
    --------
    >>> from cxlib.config import KpiTarget, RaciDecision
    >>> t = [KpiTarget(kpi="nps", target=20), KpiTarget(kpi="ces", target=5, owner="Bo")]
    >>> d = [RaciDecision(id="publish_kpis", title="Publish", raci={"Ann": "A"})]
    >>> [(o["kpi"], o["owner"]) for o in kpi_owners(t, d)]
    [('nps', 'Ann'), ('ces', 'Bo')]
    """
    publisher = single_accountable(decisions, "publish_kpis")
    rows = []
    for target in targets:
        owner, source = (target.owner, "target") if target.owner else (publisher, "raci")
        rows.append({"kpi": target.kpi, "owner": owner, "source": source if owner else ""})
    return rows


def _plain(value: Any) -> Any:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float | np.floating):
        return None if np.isnan(value) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return value


def records(frame: pd.DataFrame | None) -> list[dict[str, Any]] | None:
    """Rows of a table as JSON-safe dicts (NaN and NA as None, times as ISO text)."""
    if frame is None:
        return None
    return [{str(k): _plain(v) for k, v in row.items()} for row in frame.to_dict("records")]


def step_results(
    structure: GovernanceStructure,
    *,
    raci: pd.DataFrame,
    matrix: pd.DataFrame,
    audit: Any | None,
    roadmap: pd.DataFrame | None,
    roadmap_totals: Mapping[str, Any] | None,
    calendar: pd.DataFrame,
    sources: Mapping[str, bool],
    kpis: list[dict[str, str]],
    headline: str,
) -> dict[str, Any]:
    """Assemble ``governance.json``: every table of the step as plain JSON types.

    Parameters
    ----------
    structure : GovernanceStructure
        Bodies, members and structure checks.
    raci, matrix : pandas.DataFrame
        RACI checks (:func:`check_raci`) and the people-by-decisions matrix.
    audit : ContactAudit or None
        The contact-policy audit; None without a contact log.
    roadmap : pandas.DataFrame or None
        The scored and funded initiatives; None without an initiatives table.
    roadmap_totals : mapping or None
        :func:`cxlib.governance_roadmap.roadmap_summary`.
    calendar : pandas.DataFrame
        The cadence calendar.
    sources : mapping
        Which earlier results were found (file name -> bool).
    kpis : list of dict
        :func:`kpi_owners`.
    headline : str
        The plain-text headline for the executive summary.

    Returns
    -------
    dict
        ``headline``, ``sources``, ``structure``, ``raci``, ``contacts``, ``roadmap``,
        ``calendar``, ``kpi_owners`` and ``violations`` (number of failed checks).
    """
    checks = pd.concat([structure.checks, raci], ignore_index=True)
    contacts = None
    if audit is not None:
        contacts = {
            "policy": audit.policy.model_dump(),
            "complaint_rule": audit.complaint_rule,
            "confidence": audit.confidence,
            "summary": records(audit.summary)[0],
            "offenders": records(audit.offenders),
            "distribution": records(audit.distribution),
            "monthly": records(audit.monthly),
        }
    return {
        "headline": headline,
        "sources": dict(sources),
        "violations": int((~checks["passed"]).sum()),
        "structure": {
            "bodies": records(structure.bodies),
            "members": records(structure.members),
            "checks": records(structure.checks),
        },
        "raci": {
            "matrix": {p: dict(row) for p, row in matrix.iterrows()},
            "checks": records(raci),
        },
        "contacts": contacts,
        "roadmap": None
        if roadmap is None
        else {**dict(roadmap_totals or {}), "initiatives": records(roadmap)},
        "calendar": records(calendar),
        "kpi_owners": kpis,
    }


#: Columns of ``roadmap.parquet``, the table the KPI steps read.
ROADMAP_COLUMNS = (
    "initiative_id",
    "title",
    "touchpoint_id",
    "department",
    "status",
    "impact",
    "pain_share",
    "driver_share",
    "theme_share",
    "basis",
    "small_n",
    "effort",
    "cost",
    "priority",
    "quadrant",
    "rank",
    "funded",
    "responsible",
    "accountable",
)


def roadmap_frame(roadmap: pd.DataFrame | None) -> pd.DataFrame:
    """Return ``roadmap.parquet``: the columns of :data:`ROADMAP_COLUMNS`, funded first.

    Columns the initiatives table did not have (``title``, ``status``) are left empty, and an
    engagement without initiatives gets an empty table with the same columns.

    Examples
    --------
    >>> list(roadmap_frame(None).columns)[:3]
    ['initiative_id', 'title', 'touchpoint_id']
    """
    if roadmap is None:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in ROADMAP_COLUMNS})
    return roadmap.reindex(columns=list(ROADMAP_COLUMNS)).reset_index(drop=True)
