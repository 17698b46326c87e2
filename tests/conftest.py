"""Shared test fixtures."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

# ../shared relative to the repository root (this file is tests/conftest.py).
EXTERNAL = Path(__file__).resolve().parents[1].parent / "shared" / "fixtures" / "external"


@pytest.fixture(scope="session")
def external_fixtures() -> Path:
    """The read-only external reference files (../shared/fixtures/external).

    Skipped on a developer machine without them; a failure in CI (CI is set), where they must
    be present.
    """
    if not EXTERNAL.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"external fixtures not found at {EXTERNAL}")
        pytest.skip(f"external fixtures not found at {EXTERNAL}")
    return EXTERNAL


@pytest.fixture(autouse=True)
def _close_figures():
    """Close every matplotlib figure a test opened.

    The Agg backend is chosen in-process, never through MPLBACKEND: the environment variable
    would leak into the kernels that papermill and nbval start and silently drop every chart.
    """
    import matplotlib

    matplotlib.use("Agg")
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


_SMALL_ENGAGEMENT = """\
client:
  name: "{name}"
waves:
  labels: ["2026Q1"]
  baseline: "2026Q1"
inputs:
  customers:
    - file: inputs/customers.csv
  responses:
    - file: inputs/responses.csv
"""

_SMALL_STRATEGY = """\
strategy:
  vision: "Customers renew because every contact is easy."
  mission:
    purpose: "keep people connected"
    customers: "households"
    promise: "one call fixes it"
  success:
    customer_action: "renew"
    measure: "renewal rate"
    target: "90%"
    by: "the end of 2027"
{goals}
  cx_goal:
    statement: "Customers stay with us."
    action: "stay"
    measure: {{table: customers, column: {column}, op: "==", value: false}}
    target: 0.9
"""

_SMALL_GOALS = """\
  business_objectives:
    - {id: retain, title: "Keep customers"}
  goals:
    - id: g1
      title: "Fix billing questions at first contact"
      leader: "COO"
      accountable: "Head of billing"
      customer_measure: "CES billing"
      operational_measure: "repeat contacts per 1,000 bills"
      objectives: [retain]
"""


def _make_small_client(
    folder: Path,
    *,
    name: str = "Acme",
    customers: int = 60,
    strategy: bool = True,
    goals: str = _SMALL_GOALS,
    column: str = "churned",
    bad_row: bool = False,
) -> Path:
    """Write a tiny engagement: ``customers`` customers (every fifth churned), one response each.

    Parameters
    ----------
    folder
        The engagement folder to create.
    name
        The client's name in ``engagement.yaml``.
    customers
        How many customers (and responses) the inputs hold.
    strategy
        Whether ``engagement.yaml`` has a strategy section (the mission step needs one).
    goals
        The strategy's ``business_objectives`` and ``goals`` block, indented as in the file;
        by default one objective and one goal with its leader and one accountable owner.
    column
        The customers column the CX goal measures; a missing one makes the mission step fail.
    bad_row
        Add a customer whose churned value is not a bool, so validation fails on row
        ``customers + 2`` of ``inputs/customers.csv``.

    Returns
    -------
    Path
        ``folder``.
    """
    (folder / "inputs").mkdir(parents=True)
    text = _SMALL_ENGAGEMENT.format(name=name)
    if strategy:
        text += _SMALL_STRATEGY.format(goals=goals.rstrip("\n"), column=column)
    (folder / "engagement.yaml").write_text(text, encoding="utf-8")
    rows = ["customer_id,churned"]
    rows += [f"C{i:03d},{'true' if i % 5 == 0 else 'false'}" for i in range(customers)]
    if bad_row:
        rows.append("C999,perhaps")
    responses = ["response_id,customer_id,wave,nps"]
    responses += [f"R{i:03d},C{i:03d},2026Q1,{i % 11}" for i in range(customers)]
    (folder / "inputs" / "customers.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (folder / "inputs" / "responses.csv").write_text("\n".join(responses) + "\n", encoding="utf-8")
    return folder


@pytest.fixture(scope="session")
def make_small_client() -> Callable[..., Path]:
    """Build a tiny engagement folder; see ``_make_small_client`` for the options."""
    return _make_small_client
