"""Fixtures for the unit tests."""

import pytest

from cxlib.config import Strategy


def _make_strategy(**changes) -> Strategy:
    """A strategy section like a consultant writes it, with one goal that fails two checks."""
    data = {
        "vision": "Customers can fix any problem with us in one contact.",
        "mission": {
            "purpose": "keep families connected",
            "customers": "households in the north",
            "promise": "resolving faults within one working day",
        },
        "success": {
            "customer_action": "renew their contract",
            "measure": "the renewal rate",
            "target": "85%",
            "by": "the end of 2027",
        },
        "business_objectives": [
            {"id": "retain", "title": "Retain customers"},
            {"id": "cost", "title": "Cut cost to serve"},
            {"id": "grow", "title": "Grow revenue"},
        ],
        "goals": [
            {
                "id": "fcr",
                "title": "Fix it first time",
                "leader": "COO",
                "accountable": "Dana Ortiz",
                "customer_measure": "CES after support",
                "operational_measure": "first-contact resolution",
                "objectives": ["retain", "cost"],
            },
            {
                "id": "bill",
                "title": "Bills without surprises",
                "leader": "CFO",
                "accountable": ["Lee Park", "Sam Roy"],
                "customer_measure": "billing clarity rating",
                "operational_measure": "",
                "objectives": ["retain"],
            },
        ],
        "cx_goal": {
            "statement": "Customers stay with us",
            "action": "renew",
            "measure": {"table": "customers", "column": "churned", "op": "==", "value": False},
            "target": 0.85,
        },
    }
    data.update(changes)
    return Strategy.model_validate(data)


@pytest.fixture
def make_strategy():
    """Build a Strategy, overriding any top-level key."""
    return _make_strategy
