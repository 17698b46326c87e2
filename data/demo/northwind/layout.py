"""How the demo's tables look in the client's own exports: headers, formats, file names."""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import org
from .model import WAVES

ATTRIBUTE_QUESTIONS = {
    "network_coverage": "Rating: Network coverage where you live and work",
    "billing_clarity": "Rating: Clarity of your bill",
    "value_for_money": "Rating: Value for money",
    "app_ease": "Rating: Ease of using the Northwind app",
    "staff_helpfulness": "Rating: Helpfulness of our staff",
    "onboarding_ease": "Rating: Ease of getting set up (SIM, number transfer, app)",
    "issue_resolution": "Rating: Getting your issue resolved",
    "plan_flexibility": "Rating: Flexibility to change your plan",
}
HEADERS = {
    "customers": {
        "customer_id": "Customer ID",
        "first_name": "First name",
        "last_name": "Last name",
        "signup_date": "Sign-up date",
        "region": "Region",
        "plan": "Plan",
        "primary_channel": "Preferred channel",
        "tenure_months": "Tenure (months)",
        "annual_revenue": "Annual revenue (GBP)",
        "churned": "Churned",
        "churn_date": "Churn date",
        "monthly_data_gb": "Avg monthly data (GB)",
        "calls_per_month": "Calls per month",
        "app_logins_per_month": "App logins per month",
        "support_contacts_12m": "Support contacts (last 12 months)",
        "add_ons": "Add-ons",
        "lines": "Lines on account",
        "is_business": "Business account",
    },
    "responses": {
        "response_id": "Response ID",
        "customer_id": "Customer ID",
        "responded_at": "Completed at",
        "survey": "Survey type",
        "touchpoint_id": "Touchpoint",
        "channel": "Channel",
        "nps": "How likely are you to recommend Northwind to a friend or colleague?",
        "csat": "How satisfied are you with Northwind? "
        "(1 = very dissatisfied, 5 = very satisfied)",
        "ces": "Northwind made it easy for me to get what I needed (1 = strongly disagree, "
        "7 = strongly agree)",
        **ATTRIBUTE_QUESTIONS,
        "comment": "Is there anything else you would like to tell us?",
        "weight": "Weight",
    },
    "touchpoint_events": {
        "customer_id": "Customer ID",
        "touchpoint_id": "Touchpoint code",
        "occurred_at": "Timestamp",
        "completed": "Completed",
        "duration_s": "Duration (s)",
        "csat": "CSAT (1-5)",
        "effort": "Ease (1-7)",
    },
    "stakeholders": {
        "person": "Name",
        "title": "Job title",
        "department": "Department",
        "level": "Level",
        "cx_role": "CX role",
    },
    "initiatives": {
        "initiative_id": "ID",
        "title": "Initiative",
        "touchpoint_id": "Touchpoint",
        "proposed_by": "Proposed by",
        "proposed_at": "Proposed on",
        "status": "Status",
        "impact": "Impact (1-5)",
        "effort": "Effort (1-5)",
        "cost": "Cost (GBP)",
        "owner": "Owner",
        "decided_at": "Decision date",
        "implemented_at": "Go-live date",
    },
    "contacts": {
        "customer_id": "Customer ID",
        "contacted_at": "Sent at",
        "survey": "Survey type",
    },
    "employee_pulse": {
        "employee_id": "Employee ID",
        "department": "Department",
        "wave": "Pulse wave",
        "engaged": "Engaged",
        "score": "Engagement score (0-10)",
    },
}
FILES = {
    "customers": "inputs/crm_customers.csv",
    "responses_2026Q1": "inputs/survey_2026Q1.csv",
    "responses_2026Q3": "inputs/survey_2026Q3.csv",
    "touchpoint_events": "inputs/touchpoint_events.csv",
    "stakeholders": "inputs/stakeholders.csv",
    "initiatives": "inputs/initiatives.csv",
    "contacts": "inputs/survey_contacts.csv",
    "employee_pulse": "inputs/employee_pulse.csv",
}


def _client(frame: pd.DataFrame, table: str, extra: dict | None = None) -> pd.DataFrame:
    out = frame[list(HEADERS[table])].rename(columns=HEADERS[table])
    for name, values in (extra or {}).items():
        out[name] = values
    return out


def client_tables(cust, ev, resp, contacts, pulse) -> dict[str, pd.DataFrame]:
    ids = cust["customer_id"].to_numpy()
    c = cust.assign(
        signup_date=cust["signup_date"].dt.strftime("%Y-%m-%d"),
        churn_date=cust["churn_date"].dt.strftime("%Y-%m-%d").fillna(""),
        churned=np.where(cust["churned"], "Yes", "No"),
    )
    tables = {"customers": _client(c, "customers", {"Marketing opt-in": cust["marketing_opt_in"]})}
    r = resp.assign(
        customer_id=ids[resp["cust"]],
        responded_at=resp["responded_at"].dt.strftime("%d/%m/%Y %H:%M"),
    )
    for wave in WAVES:
        part = r[r["wave"] == wave]
        region = cust["region"].to_numpy()[part["cust"]]
        tables[f"responses_{wave}"] = _client(part, "responses", {"Region": region})
    e = ev.assign(
        customer_id=ids[ev["cust"]],
        occurred_at=ev["occurred_at"].dt.strftime("%Y-%m-%d %H:%M"),
        completed=np.where(ev["completed"], "TRUE", "FALSE"),
    )
    tables["touchpoint_events"] = _client(e, "touchpoint_events")
    tables["stakeholders"] = pd.DataFrame(
        org.STAKEHOLDERS, columns=list(HEADERS["stakeholders"].values())
    )
    tables["initiatives"] = pd.DataFrame(
        org.INITIATIVES, columns=list(HEADERS["initiatives"].values())
    )
    k = contacts.assign(
        customer_id=ids[contacts["cust"]],
        contacted_at=contacts["contacted_at"].dt.strftime("%Y-%m-%d %H:%M"),
        survey=contacts["survey"].replace({"product research": "relationship"}),
    )
    tables["contacts"] = _client(
        k, "contacts",
        {"Sending team": contacts["team"]},
    )  # fmt: skip
    p = pulse.assign(engaged=pulse["engaged"].astype(int))
    tables["employee_pulse"] = _client(p, "employee_pulse")
    return tables
