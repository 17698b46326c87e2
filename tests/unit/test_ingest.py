"""Tests for cxlib.ingest: mapping, repairs, every bad-input case, validate and ingest.

Each engagement is built in a temporary folder from tests/fixtures/inputs (written by
tests/fixtures/make_fixtures.py) or from the external exports, copied there at test time.
Expected rows are the spreadsheet rows of the fixture files (header = row 1).
"""

from __future__ import annotations

import csv
import hashlib
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from cxlib.config import EngagementPaths, load_engagement
from cxlib.errors import InputError, Problem
from cxlib.ingest import REPAIR_COLUMNS, ingest, load_table, validate

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "inputs"
WAVES = {"labels": ["2026Q1", "2026Q3"], "baseline": "2026Q1"}
BAD_COLUMNS = {
    "Response ID": "response_id",
    "Customer": "customer_id",
    "Wave": "wave",
    "Date": "responded_at",
    "Survey": "survey",
    "NPS score": "nps",
    "CSAT": "csat",
    "Effort score": "ces",  # the file says 'Effort Score'
    "Comment": "comment",
    "Weight": "weight",
    "Touchpoint": "touchpoint_id",
}
CP1252_COLUMNS = {
    "Kundennummer": "customer_id",
    "Region": "region",
    "Umsatz": "annual_revenue",
    "Monate": "tenure_months",
    "Gekündigt": "churned",
    "Seit": "signup_date",
}
JOURNEY = {
    "stages": ["Buy", "Use"],
    "touchpoints": [
        {"id": "TP1", "name": "Shop", "stage": "Buy", "channel": "store"},
        {"id": "TP2", "name": "App", "stage": "Use", "channel": "app"},
    ],
}


def engagement(folder: Path, inputs: dict, files: dict[str, Path] | None = None, **extra) -> Path:
    """Write engagement.yaml and copy the named input files into folder/inputs."""
    (folder / "inputs").mkdir(parents=True, exist_ok=True)
    for name, source in (files or {}).items():
        shutil.copy(source, folder / "inputs" / name)
    config = {"client": {"name": "Acme"}, "waves": WAVES, "inputs": inputs, **extra}
    (folder / "engagement.yaml").write_text(
        yaml.safe_dump(config, sort_keys=False), encoding="utf-8"
    )
    return folder


def fixture_files(*names: str) -> dict[str, Path]:
    return {name: FIXTURES / name for name in names}


def load(folder: Path, table: str):
    return load_table(table, load_engagement(folder), EngagementPaths(folder))


@pytest.fixture
def bad(tmp_path) -> Path:
    """An engagement whose responses file holds one of every bad-input case."""
    return engagement(
        tmp_path / "bad",
        {
            "customers": {"file": "inputs/cp1252_semicolon.csv", "columns": CP1252_COLUMNS},
            "responses": [{"file": "inputs/bad_responses.csv", "columns": BAD_COLUMNS}],
        },
        fixture_files("cp1252_semicolon.csv", "bad_responses.csv"),
        survey={"non_substantive_codes": {"nps": [99]}},
        journey=JOURNEY,
    )


BAD = "inputs/bad_responses.csv"


def test_bad_responses_every_problem(bad):
    result = load(bad, "responses")
    assert sorted(result.problems, key=lambda p: (p.row or 0, p.column or "")) == sorted(
        [
            Problem(
                BAD,
                None,
                "Effort score",
                "a column headed 'Effort score' (mapped to ces in engagement.yaml)",
                "no such column; close matches: 'Effort Score'",
            ),
            Problem(BAD, 3, "NPS score", "a number 0-10", "'Ten'"),
            Problem(BAD, 5, "NPS score", "a number 0-10", "'11'"),
            Problem(BAD, 6, "NPS score", "a number 0-10", "'-1'"),  # -1 is not declared
            Problem(
                BAD,
                8,
                "Response ID",
                "a unique response_id (each id once)",
                "'R02' again; first at row 3",
            ),
            Problem(BAD, 9, "Date", "a date such as 2026-03-31 or 31/03/2026", "'not a date'"),
            Problem(BAD, 9, "Survey", "one of relationship, transactional", "'weekly'"),
            Problem(BAD, 9, "NPS score", "a whole number 0-10", "'7.5'"),
            Problem(BAD, 9, "CSAT", "a number 1-5", "'6'"),
            Problem(BAD, 9, "Weight", "a number greater than 0", "'0'"),
            Problem(
                BAD,
                10,
                "NPS score",
                "NPS answers on the 0-10 scale (0 = not at all likely); recode the export",
                "a 1-10 scale: label '1 - Not at all likely' puts 'not likely' at 1",
            ),
            Problem(BAD, 11, "Date", "a date such as 2026-03-31 or 31/03/2026", "'2026-02-30'"),
        ],
        key=lambda p: (p.row or 0, p.column or ""),
    )


def test_bad_responses_every_repair(bad):
    repairs = load(bad, "responses").repairs
    assert list(repairs.columns) == REPAIR_COLUMNS
    got = repairs[repairs["file"] == BAD].drop(columns="file")
    got = got.astype({"row": "float"}).fillna("").values.tolist()
    assert sorted(got, key=str) == sorted(
        [
            [7.0, "", "", "", "blank row dropped"],
            [12.0, "", "Total", "", "trailer row dropped"],
            [13.0, "", "Average", "", "trailer row dropped"],
            [2.0, "NPS score", "9 - Extremely likely", "9", "score written with its label"],
            [10.0, "NPS score", "1 - Not at all likely", "1", "score written with its label"],
            [4.0, "NPS score", "99", "", "non-substantive code read as missing"],
            [6.0, "CSAT", "N/A", "", "missing-value marker read as empty"],
            [
                4.0,
                "Survey",
                "Relationship",
                "relationship",
                "category written in other letter case",
            ],
            [11.0, "Response ID", " R09 ", "R09", "spaces around the id removed"],
            [
                11.0,
                "Comment",
                "EspaÃ±ol estÃ¡ bien",
                "Español está bien",
                "mojibake (UTF-8 text that had been read as Windows-1252)",
            ],
        ],
        key=str,
    )


def test_bad_responses_frame_keeps_rows_and_traceability(bad):
    frame = load(bad, "responses").frame
    assert frame["source_row"].tolist() == [2, 3, 4, 5, 6, 8, 9, 10, 11]
    assert set(frame["source_file"]) == {BAD}
    assert frame["response_id"].tolist()[-1] == "R09"
    nps = frame.set_index("source_row")["nps"]
    assert nps[2] == 9 and pd.isna(nps[3]) and pd.isna(nps[4]) and nps[5] == 11
    assert frame["nps"].dtype == "float64"
    assert frame["responded_at"].dtype == "datetime64[us]"
    assert "ces" not in frame.columns and "Effort Score" in frame.columns  # unmapped: kept


def test_cross_table_checks(bad):
    problems = [p for p in validate(bad).problems if p.row is None and p.column != "Effort score"]
    assert problems == [
        Problem(
            BAD,
            None,
            "Customer",
            "customer ids that are in the customers table",
            "1 row(s) with ids not found there, first: 'C999' (row 10)",
        ),
        Problem(
            BAD,
            None,
            "Touchpoint",
            "touchpoint ids listed under journey.touchpoints in engagement.yaml",
            "1 row(s) with ids not found there, first: 'TP9' (row 9)",
        ),
        Problem(
            BAD,
            None,
            "Wave",
            "wave labels listed under waves.labels in engagement.yaml (2026Q1, 2026Q3)",
            "1 row(s) with wave labels not found there, first: '2026Q4' (row 10)",
        ),
    ]


def test_customers_problems_and_day_first_dates(tmp_path):
    folder = engagement(
        tmp_path / "c",
        {
            "customers": {
                "file": "inputs/customers_bad.csv",
                "columns": {
                    "Customer ID": "customer_id",
                    "Joined": "signup_date",
                    "Churned": "churned",
                },
            },
            "responses": [],
        },
        fixture_files("customers_bad.csv"),
    )
    result = load(folder, "customers")
    file = "inputs/customers_bad.csv"
    assert sorted(result.problems, key=lambda p: p.column) == [
        Problem(file, 4, "Churned", "true/false, yes/no, y/n or 1/0", "'maybe'"),
        Problem(
            file,
            4,
            "Customer ID",
            "a unique customer_id (each id once)",
            "'C001' again; first at row 2",
        ),
    ]
    assert result.frame["signup_date"].tolist() == [
        pd.Timestamp(d) for d in ("2026-01-31", "2026-02-05", "2026-02-06", "2026-02-07")
    ]
    assert result.frame["churned"].tolist()[:2] == [True, False]
    assert result.repairs[["row", "original", "reason"]].values.tolist() == [
        [6, "Grand total", "trailer row dropped"]
    ]
    assert result.frame["Revenue"].tolist() == ["100", "200", "300", "400"]  # unmapped: text


def test_nps_on_a_1_to_10_scale_from_the_distribution(tmp_path):
    folder = engagement(
        tmp_path / "n",
        {"customers": [], "responses": {"file": "inputs/nps_1_to_10.csv", "wave": "2026Q1"}},
        fixture_files("nps_1_to_10.csv"),
    )
    assert load(folder, "responses").problems == [
        Problem(
            "inputs/nps_1_to_10.csv",
            None,
            "nps",
            "NPS answers on the 0-10 scale (0 = not at all likely); recode the export",
            "a 1-10 scale: no 0 in 120 answers, 1 chosen 15 times, 10 30",
        )
    ]


def test_a_real_0_to_10_column_is_not_flagged(tmp_path):
    path = tmp_path / "ok.csv"
    rows = ["response_id,nps"] + [f"R{i},{i % 11}" for i in range(200)]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    folder = engagement(
        tmp_path / "ok",
        {"customers": [], "responses": {"file": "inputs/ok.csv", "wave": "2026Q1"}},
        {"ok.csv": path},
    )
    assert load(folder, "responses").problems == []


def test_ambiguous_dates_missing_column_empty_and_header_only(tmp_path):
    folder = engagement(
        tmp_path / "a",
        {
            "customers": [],
            "responses": [{"file": "inputs/ambiguous_dates.csv"}],
            "stakeholders": [{"file": "inputs/empty.csv"}],
            "initiatives": [{"file": "inputs/header_only.csv"}],
        },
        fixture_files("ambiguous_dates.csv", "empty.csv", "header_only.csv"),
    )
    problems = validate(folder).problems
    assert problems == [
        Problem(
            "inputs/ambiguous_dates.csv",
            None,
            "responded_at",
            "a date_format for this file in engagement.yaml (e.g. '%d/%m/%Y'): "
            "no day is above 12, so day/month and month/day both fit",
            "3 ambiguous dates such as '03/04/2026'",
        ),
        Problem(
            "inputs/ambiguous_dates.csv",
            None,
            "wave",
            "a column for wave (wave label); map a header to it under columns: in engagement.yaml",
            "no such column",
        ),
        Problem("inputs/empty.csv", None, None, "a table with a header row", "an empty file"),
        Problem(
            "inputs/header_only.csv", None, None, "at least one data row", "only the header row"
        ),
    ]


def test_date_format_and_wave_from_the_source(tmp_path):
    folder = engagement(
        tmp_path / "d",
        {
            "customers": [],
            "responses": [
                {"file": "inputs/ambiguous_dates.csv", "date_format": "%m/%d/%Y", "wave": "2026Q3"}
            ],
        },
        fixture_files("ambiguous_dates.csv"),
    )
    result = load(folder, "responses")
    assert result.problems == []
    assert result.frame["responded_at"].tolist()[0] == pd.Timestamp("2026-03-04")
    assert result.frame["wave"].tolist() == ["2026Q3"] * 3


def test_source_wave_disagreeing_with_the_file(tmp_path):
    path = tmp_path / "w.csv"
    path.write_text("response_id,wave\nR1,2026Q1\nR2,2026Q3\nR3,\n", encoding="utf-8")
    folder = engagement(
        tmp_path / "w",
        {"customers": [], "responses": {"file": "inputs/w.csv", "wave": "2026Q1"}},
        {"w.csv": path},
    )
    result = load(folder, "responses")
    assert result.problems == [
        Problem(
            "inputs/w.csv",
            None,
            "wave",
            "wave '2026Q1' as set for this file in engagement.yaml",
            "1 rows with another wave, first '2026Q3' at row 3",
        )
    ]
    assert result.frame["wave"].tolist() == ["2026Q1", "2026Q3", "2026Q1"]


def test_mapping_problems(tmp_path):
    path = tmp_path / "m.csv"
    path.write_text("id,nps,score,Wave\nR1,5,6,2026Q1\n", encoding="utf-8")
    folder = engagement(
        tmp_path / "m",
        {
            "customers": [],
            "responses": {
                "file": "inputs/m.csv",
                "columns": {"id": "response_id", "score": "nps", "Zzz": "csat"},
            },
        },
        {"m.csv": path},
    )
    problems = load(folder, "responses").problems
    assert problems[:2] == [
        Problem(
            "inputs/m.csv",
            None,
            "Zzz",
            "a column headed 'Zzz' (mapped to csat in engagement.yaml)",
            "no such column; the headers are: 'id', 'nps', 'score', 'Wave'",
        ),
        Problem(
            "inputs/m.csv",
            None,
            "nps",
            "one column for nps",
            "'nps' in the file and 'score' mapped to it",
        ),
    ]
    assert problems[2].column == "wave"  # 'Wave' is not 'wave': unmapped, so wave is missing


def test_extra_columns_are_kept_as_text_even_with_reserved_looking_names(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text(
        "response_id,source_system,source_file,zip\nR1,crm,a.csv,00501\n", encoding="utf-8"
    )
    folder = engagement(
        tmp_path / "x",
        {"customers": [], "responses": {"file": "inputs/x.csv", "wave": "2026Q1"}},
        {"x.csv": path},
    )
    frame = load(folder, "responses").frame
    assert list(frame.columns) == [
        "response_id",
        "wave",
        "source_system",
        "source_file (client)",
        "zip",
        "source_file",
        "source_row",
    ]
    assert frame.iloc[0].tolist() == ["R1", "2026Q1", "crm", "a.csv", "00501", "inputs/x.csv", 2]


def test_legacy_labels_can_be_mapped(tmp_path):
    folder = engagement(
        tmp_path / "l",
        {
            "customers": [],
            "responses": {
                "file": "inputs/qualtrics_legacy.csv",
                "wave": "2026Q1",
                "columns": {
                    "ResponseID": "response_id",
                    "ExternalDataReference": "customer_id",
                    "Q1": "nps",
                },
            },
        },
        fixture_files("qualtrics_legacy.csv"),
    )
    result = load(folder, "responses")
    assert result.problems == []
    assert result.frame["response_id"].tolist() == ["R_9zzLegacy1", "R_9zzLegacy2"]
    assert result.frame["customer_id"].tolist() == ["C010", "C011"]
    assert result.frame["nps"].tolist() == [9.0, 3.0]


def test_unknown_table_is_an_error(bad):
    with pytest.raises(ValueError, match="unknown table"):
        load(bad, "orders")


# --------------------------------------------------------------------------- validate / ingest


NPS_QUESTION = "How likely is it that you would recommend Acme to a friend or colleague?"


@pytest.fixture
def good(tmp_path) -> Path:
    """A valid engagement mixing every layout; one wave is labelled '007'."""
    return engagement(
        tmp_path / "good",
        {
            "customers": [
                {
                    "file": "inputs/customers.xlsx",
                    "columns": {
                        "Customer": "customer_id",
                        "Joined": "signup_date",
                        "Churned": "churned",
                    },
                },
                {"file": "inputs/cp1252_semicolon.csv", "columns": CP1252_COLUMNS},
            ],
            "responses": [
                {
                    "file": "inputs/qualtrics_current.csv",
                    "wave": "2026Q1",
                    "columns": {
                        "ResponseId": "response_id",
                        "ExternalReference": "customer_id",
                        "StartDate": "responded_at",
                        "Q1": "nps",
                        "Q2": "comment",
                    },
                },
                {
                    "file": "inputs/surveymonkey.csv",
                    "wave": "007",
                    "columns": {
                        "Respondent ID": "response_id",
                        "Custom Data 1": "customer_id",
                        "Start Date": "responded_at",
                        NPS_QUESTION: "nps",
                    },
                },
            ],
            "stakeholders": {"file": "inputs/utf8_bom.csv"},
        },
        fixture_files(
            "customers.xlsx",
            "cp1252_semicolon.csv",
            "qualtrics_current.csv",
            "surveymonkey.csv",
            "utf8_bom.csv",
        ),
        waves={"labels": ["2026Q1", "007"], "baseline": "2026Q1"},
    )


def test_validate_good_engagement(good):
    report = validate(good)
    assert report.problems == [] and report.ok
    assert report.rows == {"customers": 8, "responses": 6, "stakeholders": 3}
    expected = {
        path.relative_to(good).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in [good / "engagement.yaml", *sorted((good / "inputs").iterdir())]
    }
    assert report.fingerprints == expected
    assert "decoded as Windows-1252 (not valid UTF-8)" in set(report.repairs["reason"])
    assert (report.repairs["reason"] == "blank row dropped").sum() == 1  # the blank Excel row


def test_ingest_writes_typed_parquet_and_repairs(good, tmp_path):
    out = tmp_path / "clean"
    report = ingest(good, out)
    assert sorted(p.name for p in out.iterdir()) == [
        "customers.parquet",
        "repairs.csv",
        "responses.parquet",
        "stakeholders.parquet",
    ]
    responses = pd.read_parquet(out / "responses.parquet")
    assert responses["wave"].tolist() == ["2026Q1"] * 3 + ["007"] * 3
    assert responses["response_id"].tolist()[3] == "114000001"
    assert responses["nps"].tolist() == [10.0, 6.0, 0.0, 9.0, 3.0, 10.0]
    assert responses["responded_at"].tolist()[3] == pd.Timestamp("2026-07-31 16:21:36")
    assert responses["source_row"].tolist() == [4, 5, 6, 3, 4, 5]
    customers = pd.read_parquet(out / "customers.parquet")
    assert customers["customer_id"].tolist()[:3] == ["007", "C020", "C030"]
    assert customers["churned"].tolist() == [False, True, False, False, True, False, False, True]
    assert customers["annual_revenue"].tolist()[3:] == [1234.5, 980.0, 15.75, 0.5, 2500.0]
    assert customers["Wave"].tolist()[0] == "007"  # an unmapped column stays text
    stakeholders = pd.read_parquet(out / "stakeholders.parquet")
    assert stakeholders["level"].tolist() == ["executive", "manager", "frontline"]
    repairs = pd.read_csv(out / "repairs.csv", dtype=str, keep_default_na=False)
    assert list(repairs.columns) == REPAIR_COLUMNS and len(repairs) == len(report.repairs)
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temporary files left


def test_ingest_with_problems_writes_nothing(bad, tmp_path):
    out = tmp_path / "clean"
    out.mkdir()
    (out / "responses.parquet").write_bytes(b"previous run")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    with pytest.raises(InputError) as err:
        ingest(bad, out)
    assert err.value.problems == validate(bad).problems
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    missing = tmp_path / "never"
    with pytest.raises(InputError):
        ingest(bad, missing)
    assert not missing.exists()


def test_config_errors_are_reported_not_raised(tmp_path):
    folder = tmp_path / "cfg"
    folder.mkdir()
    (folder / "engagement.yaml").write_text(
        "client: {name: Acme}\nwaves: {labels: [A], baseline: B}\n"
    )
    report = validate(folder)
    assert not report.ok
    assert {p.column for p in report.problems} == {"waves", "inputs"}
    table = report.problems_frame()
    assert list(table.columns) == ["file", "row", "column", "expected", "found"]
    assert table["file"].tolist() == ["engagement.yaml"] * len(report.problems)
    assert report.fingerprints.keys() == {"engagement.yaml"}


# --------------------------------------------------------------------------- external exports


def external_engagement(tmp_path: Path, external: Path, name: str, source: dict, **extra) -> Path:
    target = Path(name).name
    return engagement(
        tmp_path / "ext",
        {"customers": [], "responses": [{"file": f"inputs/{target}", **source}]},
        {target: external / name},
        **extra,
    )


def test_external_surveymonkey_dates_month_first(tmp_path, external_fixtures):
    folder = external_engagement(
        tmp_path,
        external_fixtures,
        "surveymonkey/test-responses.csv",
        {
            "wave": "2026Q1",
            "columns": {"Respondent ID": "response_id", "Start Date": "responded_at"},
        },
    )
    result = load(folder, "responses")
    assert result.problems == []
    assert len(result.frame) == 16
    assert result.frame["responded_at"].tolist()[0] == pd.Timestamp("2023-07-31 16:21:36")
    assert result.frame["responded_at"].tolist()[1] == pd.Timestamp("2023-06-30 15:55:33")


def test_external_carpentries_out_of_range_ratings(tmp_path, external_fixtures):
    name = "carpentries/2020_carpentryconhome_raw.csv"
    with (external_fixtures / name).open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    # SOURCES.md counts 14 ratings, but the file has 17 columns: session, time_zone,
    # country, 13 ratings, nps. All 13 are mapped as attributes on a 1-5 scale.
    ratings = rows[0][3:16]
    assert len(rows[0]) == 17 and len(ratings) == 13 and rows[0][16] == "nps"
    folder = external_engagement(
        tmp_path,
        external_fixtures,
        name,
        {"wave": "2026Q1"},
        survey={"attributes": ratings, "attribute_scale": [1, 5]},
    )
    result = load(folder, "responses")
    expected = {
        (i + 1, col, f"'{r[j]}'")
        for i, r in enumerate(rows)
        if i > 0
        for j, col in enumerate(rows[0])
        if col in ratings and r[j] in ("0", "6")
    }
    got = {(p.row, p.column, p.found) for p in result.problems if p.row is not None}
    assert got == expected
    assert len(expected) == 180  # every 0 and 6 cell of the rating columns
    assert {p.expected for p in result.problems if p.row is not None} == {"a number 1-5"}
    assert [p.column for p in result.problems if p.row is None] == ["response_id"]
    assert result.frame["nps"].between(0, 10).all()
    assert "¡Traduciendo!" in set(result.frame["session"])


def test_external_no_basis_codes_read_as_missing(tmp_path, external_fixtures):
    name = "qualtrics/No_Basis_for_Evaluation (Insights).csv"
    folder = external_engagement(
        tmp_path,
        external_fixtures,
        name,
        {
            "wave": "2026Q1",
            "columns": {"ResponseID": "response_id", "Q3_1": "squash", "Q4_2": "cucumbers"},
        },
        survey={
            "attributes": ["squash", "cucumbers"],
            "attribute_scale": [1, 4],
            "non_substantive_codes": {"squash": [-1, -2], "cucumbers": [-1, -2]},
        },
    )
    result = load(folder, "responses")
    assert result.problems == []
    raw = pd.read_csv(external_fixtures / name, skiprows=[1, 2], dtype=str)
    for canonical, header in (("squash", "Q3_1"), ("cucumbers", "Q4_2")):
        codes = raw[header].isin(["-1", "-2"])
        assert codes.any()
        assert result.frame[canonical][codes.to_numpy()].isna().all()
        kept = raw[header][~codes & raw[header].notna()].astype(float)
        assert result.frame[canonical][kept.index].tolist() == kept.tolist()
    reasons = result.repairs["reason"]
    assert (reasons == "non-substantive code read as missing").sum() == int(
        raw[["Q3_1", "Q4_2"]].isin(["-1", "-2"]).sum().sum()
    )


def test_external_mtcars_empty_header_can_be_mapped(tmp_path, external_fixtures):
    folder = engagement(
        tmp_path / "mt",
        {
            "customers": {"file": "inputs/mtcars.csv", "columns": {"": "customer_id"}},
            "responses": [],
        },
        {"mtcars.csv": external_fixtures / "reference_inputs/mtcars.csv"},
    )
    result = load(folder, "customers")
    assert result.problems == []
    assert result.frame["customer_id"].tolist()[:2] == ["Mazda RX4", "Mazda RX4 Wag"]
    assert result.frame["mpg"].tolist()[0] == "21"
