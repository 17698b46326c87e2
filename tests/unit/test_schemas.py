"""Tests for cxlib.schemas: the declarations, text-to-kind conversion, pandera problems."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
import pytest

from cxlib.coerce import coerce
from cxlib.config import TABLES, Survey
from cxlib.errors import Problem
from cxlib.schemas import (
    CANONICAL,
    check_frame,
    dtype_of,
    pandera_schema,
    table_schema,
)

RESPONSES = table_schema("responses")


def frame(**columns) -> pd.DataFrame:
    """A small typed table with traceability columns (rows 2, 3, ...)."""
    data = pd.DataFrame(columns)
    data["source_file"] = "inputs/r.csv"
    data["source_row"] = range(2, 2 + len(data))
    return data


def text(*values) -> pd.Series:
    return pd.Series(values, dtype="str")


# --------------------------------------------------------------------------- declarations


def test_every_canonical_table_is_declared():
    assert set(CANONICAL) == set(TABLES)
    assert {t: CANONICAL[t].key for t in TABLES} == {
        "customers": "customer_id",
        "responses": "response_id",
        "touchpoint_events": None,
        "stakeholders": None,
        "initiatives": "initiative_id",
        "contacts": None,
        "employee_pulse": None,
    }


def test_responses_scores_and_categories():
    cols = RESPONSES.columns
    assert (cols["nps"].low, cols["nps"].high, cols["nps"].whole) == (0, 10, True)
    assert (cols["csat"].low, cols["csat"].high) == (1, 5)
    assert (cols["ces"].low, cols["ces"].high) == (1, 7)
    assert (cols["weight"].low, cols["weight"].low_open) == (0, True)
    assert cols["survey"].allowed == ("relationship", "transactional")
    assert cols["response_id"].required and cols["response_id"].unique
    assert cols["wave"].required and cols["wave"].kind == "id"
    assert [c.expected for c in (cols["nps"], cols["csat"], cols["ces"], cols["weight"])] == [
        "a number 0-10",
        "a number 1-5",
        "a number 1-7",
        "a number greater than 0",
    ]


def test_other_tables():
    assert CANONICAL["customers"].columns["churned"].kind == "bool"
    assert CANONICAL["stakeholders"].columns["level"].allowed == (
        "executive",
        "manager",
        "frontline",
    )
    assert CANONICAL["employee_pulse"].one_of == (("engaged", "score"),)


def test_attributes_follow_the_survey_scale():
    schema = table_schema(
        "responses", Survey(attributes=["speed", "staff"], attribute_scale=(0, 10))
    )
    assert list(schema.columns)[-2:] == ["speed", "staff"]
    assert schema.columns["staff"].expected == "a number 0-10"
    assert "speed" not in RESPONSES.columns  # the canonical declaration is unchanged


def test_unknown_table():
    with pytest.raises(ValueError, match="unknown table 'orders'"):
        table_schema("orders")


def test_dtypes():
    cols = RESPONSES.columns
    assert [dtype_of(cols[c]) for c in ("response_id", "nps", "responded_at", "survey")] == [
        "str",
        "float64",
        "datetime64[us]",
        "str",
    ]
    assert dtype_of(CANONICAL["customers"].columns["churned"]) == "boolean"


def test_pandera_schema_is_built_from_the_declaration():
    schema = pandera_schema(RESPONSES)
    assert isinstance(schema, pa.DataFrameSchema)
    assert schema.strict is False
    assert schema.columns["response_id"].unique and not schema.columns["response_id"].nullable
    assert not pandera_schema(RESPONSES, part="cells").columns["response_id"].unique
    assert list(pandera_schema(RESPONSES, part="keys").columns) == ["response_id"]


# --------------------------------------------------------------------------- pandera problems


def test_every_failure_is_collected_with_row_header_and_original_text():
    data = frame(
        response_id=text("R1", "R2", "R3"),
        wave=text("2026Q1", "2026Q1", None),
        nps=[11.0, 7.5, 9.0],
        survey=text("relationship", "monthly", None),
        weight=[1.0, 0.0, 2.0],
        extra=["kept", "as", "text"],
    )
    originals = pd.DataFrame({"nps": ["11", "7,5", "9"]})
    headers = {"inputs/r.csv": {"nps": "Likely to recommend", "survey": "Survey type"}}
    problems = check_frame(data, RESPONSES, headers=headers, originals=originals)
    assert sorted(problems, key=lambda p: (p.row, p.column)) == [
        Problem("inputs/r.csv", 2, "Likely to recommend", "a number 0-10", "'11'"),
        Problem("inputs/r.csv", 3, "Likely to recommend", "a whole number 0-10", "'7,5'"),
        Problem(
            "inputs/r.csv", 3, "Survey type", "one of relationship, transactional", "'monthly'"
        ),
        Problem("inputs/r.csv", 3, "weight", "a number greater than 0", "'0'"),
        Problem(
            "inputs/r.csv", 4, "wave", "a value (this column may not be empty)", "an empty cell"
        ),
    ]


def test_missing_required_column():
    problems = check_frame(frame(response_id=text("R1")), RESPONSES, part="cells", file="r.csv")
    assert problems == [
        Problem(
            "r.csv",
            None,
            "wave",
            "a column for wave (wave label); map a header to it under columns: in engagement.yaml",
            "no such column",
        )
    ]


def test_duplicates_name_the_first_row_across_files():
    data = frame(response_id=text("R1", "R2", "R1", "R2", "R1"), wave=text(*["W"] * 5))
    data.loc[3:, "source_file"] = "inputs/s.csv"
    headers = {"inputs/r.csv": {"response_id": "ID"}, "inputs/s.csv": {"response_id": "Resp"}}
    problems = check_frame(data, RESPONSES, part="keys", headers=headers)
    assert sorted(problems, key=lambda p: p.row) == [
        Problem(
            "inputs/r.csv",
            4,
            "ID",
            "a unique response_id (each id once)",
            "'R1' again; first at row 2",
        ),
        Problem(
            "inputs/s.csv",
            5,
            "Resp",
            "a unique response_id (each id once)",
            "'R2' again; first at row 3 of inputs/r.csv",
        ),
        Problem(
            "inputs/s.csv",
            6,
            "Resp",
            "a unique response_id (each id once)",
            "'R1' again; first at row 2 of inputs/r.csv",
        ),
    ]


def test_one_of_rule_and_valid_table():
    pulse = CANONICAL["employee_pulse"]
    data = frame(employee_id=text("E1"), department=text("Sales"))
    assert check_frame(data, pulse, file="p.csv") == [
        Problem("p.csv", None, None, "a column for engaged or score", "no such column")
    ]
    data["engaged"] = pd.array([True], dtype="boolean")
    assert check_frame(data, pulse, file="p.csv") == []


def test_index_must_be_unique():
    data = frame(response_id=text("R1", "R2"), wave=text("W", "W")).set_axis([0, 0])
    with pytest.raises(ValueError, match="unique index"):
        check_frame(data, RESPONSES)


# --------------------------------------------------------------------------- coercion


def test_scores_written_as_text():
    spec = RESPONSES.columns["nps"]
    out = coerce(
        text(
            "9 - Extremely likely",
            "Ten",
            "10 = Extremely likely",
            " 7 ",
            None,
            "Extremely likely (10)",
        ),
        spec,
    )
    assert out.values.tolist()[:4] == [9.0, pytest.approx(float("nan"), nan_ok=True), 10.0, 7.0]
    assert out.values.tolist()[5] == 10.0
    assert out.unread.tolist() == [False, True, False, False, False, False]
    assert out.expected == "a number 0-10"
    assert out.repairs.loc[0].tolist() == ["9", "score written with its label"]
    assert out.repairs.index.tolist() == [0, 2, 5]
    assert out.labels[0] == "Extremely likely"


def test_non_substantive_codes_and_missing_markers():
    spec = RESPONSES.columns["csat"]
    out = coerce(text("99", "-1", "N/A", "#n/a", "3"), spec, codes=[99, -1])
    assert out.values.isna().tolist() == [True, True, True, True, False]
    assert out.unread.sum() == 0
    assert sorted(out.repairs["reason"]) == [
        "missing-value marker read as empty",
        "missing-value marker read as empty",
        "non-substantive code read as missing",
        "non-substantive code read as missing",
    ]


def test_booleans():
    spec = CANONICAL["customers"].columns["churned"]
    out = coerce(text("TRUE", "false", "Yes", "no", "y", "N", "1", "0", "maybe", None), spec)
    assert out.values.tolist()[:8] == [True, False, True, False, True, False, True, False]
    assert out.values.dtype == "boolean"
    assert out.unread.tolist() == [False] * 8 + [True, False]
    assert out.expected == "true/false, yes/no, y/n or 1/0"


def test_categories_are_matched_in_any_case():
    spec = RESPONSES.columns["survey"]
    out = coerce(text("Relationship", "transactional", "weekly"), spec)
    assert out.values.tolist() == [
        "relationship",
        "transactional",
        "weekly",
    ]  # pandera judges 'weekly'
    assert out.repairs.values.tolist() == [
        ["relationship", "category written in other letter case"]
    ]


def test_ids_are_stripped_not_converted():
    out = coerce(text(" 007 ", "C2", ""), RESPONSES.columns["customer_id"])
    assert out.values.tolist()[:2] == ["007", "C2"]
    assert pd.isna(out.values[2])
    assert out.repairs.values.tolist() == [["007", "spaces around the id removed"]]


DATE = RESPONSES.columns["responded_at"]


def ts(*values):
    return [pd.Timestamp(v) for v in values]


def test_iso_dates_and_offsets():
    out = coerce(text("2026-03-31", "2026-03-31 14:05:00", "2026-03-31T14:05:00Z"), DATE)
    assert out.values.tolist() == ts("2026-03-31", "2026-03-31 14:05", "2026-03-31 14:05")
    assert out.values.dtype == "datetime64[us]"


def test_day_first_inferred_from_a_day_above_12():
    out = coerce(text("31/01/2026", "05/02/2026", "06.02.26"), DATE)
    assert out.values.tolist() == ts("2026-01-31", "2026-02-05", "2026-02-06")
    assert out.issue is None


def test_month_first_with_12_hour_clock():
    out = coerce(
        text("07/31/2023 04:21:36 PM", "03/07/2023 10:20:50 AM", "01/13/2023 12:05:00 AM"), DATE
    )
    assert out.values.tolist() == ts(
        "2023-07-31 16:21:36", "2023-03-07 10:20:50", "2023-01-13 00:05:00"
    )


def test_ambiguous_dates_ask_for_a_date_format():
    out = coerce(text("03/04/2026", "05/06/2026"), DATE)
    assert out.values.isna().all()
    assert out.unread.sum() == 0  # one column-level problem instead of one per cell
    assert out.issue == (
        "a date_format for this file in engagement.yaml (e.g. '%d/%m/%Y'): "
        "no day is above 12, so day/month and month/day both fit",
        "2 ambiguous dates such as '03/04/2026'",
    )
    both = coerce(text("31/01/2026", "01/31/2026"), DATE)
    assert both.issue == (
        "dates in one order, day/month or month/day (set date_format for this file)",
        "both orders: '31/01/2026' and '01/31/2026'",
    )


def test_date_format_is_honoured():
    out = coerce(text("03/04/2026", "2026-05-01", "4 March"), DATE, date_format="%d/%m/%Y")
    assert out.values.tolist()[:2] == ts("2026-04-03", "2026-05-01")
    assert out.unread.tolist() == [False, False, True]
    assert out.expected == "a date in the format %d/%m/%Y"


def test_unreadable_dates_each_reported():
    out = coerce(text("31/02/2026", "15/01/2026", "soon", "2026-13-01", "31 March 2026"), DATE)
    assert out.unread.tolist() == [True, False, True, True, False]
    assert out.values[4] == pd.Timestamp("2026-03-31")
    assert out.expected == "a date such as 2026-03-31 or 31/03/2026"
