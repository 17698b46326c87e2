"""Tests for cxlib.readers: every layout and encoding, our fixtures and the external exports.

Expected cells are read off the files by eye (or with the standard library's csv module,
shown in the test), never produced by the code under test.
"""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import numpy as np
import pytest

from cxlib.config import Source
from cxlib.errors import InputError, Problem
from cxlib.readers import (
    ExportReader,
    Layout,
    ReaderRegistry,
    detect_format,
    export_readers,
    read_export,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "inputs"


def read(path: Path, **source) -> object:
    return read_export(path, Source(file=path.name, **source), display_name=path.name)


# --------------------------------------------------------------------------- our fixtures


def test_qualtrics_current_layout_uses_ids_as_headers_and_keeps_labels():
    raw = read(FIXTURES / "qualtrics_current.csv")
    assert raw.format == "qualtrics"
    assert raw.header_rows == 3
    assert raw.encoding == "utf-8"
    assert list(raw.frame.columns)[:4] == ["StartDate", "EndDate", "Status", "ResponseId"]
    assert raw.row_numbers.tolist() == [4, 5, 6]
    assert raw.frame["ResponseId"].tolist() == ["R_1abcDEF", "R_2ghiJKL", "R_3mnoPQR"]
    assert raw.frame["Q1"].tolist() == ["10", "6", "0"]
    assert raw.frame.loc[1, "Q2"] == "Slow, but fixed"
    assert raw.labels["Q1"] == "How likely are you to recommend Acme to a friend or colleague?"
    assert raw.labels["Q3_2"] == "How satisfied are you with... - Support"
    assert raw.frame["RecipientEmail"].isna().all()


def test_qualtrics_legacy_layout_bom_and_trailing_comma():
    raw = read(FIXTURES / "qualtrics_legacy.csv")
    assert raw.format == "qualtrics"
    assert raw.header_rows == 2
    assert raw.encoding == "utf-8-sig"
    assert list(raw.frame.columns) == [f"V{i}" for i in range(1, 11)] + ["Q1", "Q2"]
    assert raw.labels["V1"] == "ResponseID"
    assert raw.labels["Q1"] == "How likely are you to recommend us?"
    assert raw.row_numbers.tolist() == [3, 4]
    assert raw.frame["V1"].tolist() == ["R_9zzLegacy1", "R_9zzLegacy2"]
    assert "dropped 1 empty column(s) without a header" in raw.notes


def test_surveymonkey_headers_carry_the_question_forward():
    raw = read(FIXTURES / "surveymonkey.csv")
    assert raw.format == "surveymonkey"
    assert raw.header_rows == 2
    satisfied = "How satisfied are you with each of the following?"
    assert list(raw.frame.columns) == [
        "Respondent ID",
        "Collector ID",
        "Start Date",
        "End Date",
        "Custom Data 1",
        "How likely is it that you would recommend Acme to a friend or colleague?",
        f"{satisfied} - Billing",
        f"{satisfied} - Support",
        'Anything else? ("optional")',
    ]
    assert raw.labels[f"{satisfied} - Support"] == satisfied
    assert raw.row_numbers.tolist() == [3, 4, 5]
    assert raw.frame.loc[1, 'Anything else? ("optional")'] == "Too slow, twice"
    assert raw.frame.loc[0, "Start Date"] == "07/31/2026 04:21:36 PM"


def test_windows_1252_semicolons_decimal_commas_crlf():
    raw = read(FIXTURES / "cp1252_semicolon.csv")
    assert raw.encoding == "cp1252"
    assert "decoded as Windows-1252 (not valid UTF-8)" in raw.notes
    assert list(raw.frame.columns) == [
        "Kundennummer",
        "Region",
        "Umsatz",
        "Monate",
        "Gekündigt",
        "Seit",
    ]
    assert raw.frame["Region"].tolist() == ["Zürich", "Genève", "Lausanne", "Köln", "München"]
    # Every value of these columns is an integer or a decimal-comma number: converted.
    assert raw.frame["Umsatz"].tolist() == ["1234.50", "980", "15.75", "0.5", "2500"]
    assert raw.frame["Monate"].tolist() == ["12.5", "3", "40", "1", "24"]
    assert "read decimal commas as decimal points in column 'Umsatz'" in raw.notes
    # Dates hold dashes, not commas: untouched. No carriage return survives CRLF.
    assert raw.frame["Seit"].tolist()[0] == "2024-03-01"
    assert not raw.frame["Seit"].str.contains("\r").any()
    assert raw.row_numbers.tolist() == [2, 3, 4, 5, 6]


def test_decimal_point_setting_turns_conversion_off():
    raw = read(FIXTURES / "cp1252_semicolon.csv", decimal=".")
    assert raw.frame["Umsatz"].tolist()[0] == "1234,50"


def test_configured_encoding_and_delimiter_are_used():
    raw = read(FIXTURES / "cp1252_semicolon.csv", encoding="cp1252", delimiter=";")
    assert raw.encoding == "cp1252"
    assert raw.notes[0] == "read decimal commas as decimal points in column 'Umsatz'"
    with pytest.raises(InputError) as err:
        read(FIXTURES / "cp1252_semicolon.csv", encoding="utf-8")
    problem = err.value.problems[0]
    assert (problem.file, problem.row, problem.expected) == (
        "cp1252_semicolon.csv",
        None,
        "text in the utf-8 encoding (engagement.yaml)",
    )


def test_utf8_bom_csv():
    raw = read(FIXTURES / "utf8_bom.csv")
    assert raw.encoding == "utf-8-sig"
    assert raw.format == "csv"
    assert list(raw.frame.columns)[0] == "person"  # no BOM glued to the first header
    assert raw.frame["person"].tolist()[0] == "Ana Pérez"


def test_excel_first_sheet_text_cells_and_spreadsheet_rows():
    raw = read(FIXTURES / "customers.xlsx")
    assert raw.format == "excel"
    assert raw.encoding is None
    assert list(raw.frame.columns) == [
        "Customer",
        "Joined",
        "Region",
        "Revenue",
        "Churned",
        "Wave",
    ]
    # Row 4 of the sheet is blank: kept here (ingest drops it), so rows stay as Excel shows.
    assert raw.row_numbers.tolist() == [2, 3, 4, 5]
    assert raw.frame["Customer"].tolist()[0] == "007"
    assert raw.frame["Joined"].tolist()[0] == "2025-03-31 00:00:00"
    assert raw.frame["Revenue"].tolist()[:2] == ["1200.5", "800"]
    assert raw.frame.iloc[2].isna().all()


def test_excel_sheet_by_name_and_unknown_sheet():
    assert read(FIXTURES / "customers.xlsx", sheet="Notes").frame.shape == (0, 1)
    with pytest.raises(InputError) as err:
        read(FIXTURES / "customers.xlsx", sheet="Data")
    problem = err.value.problems[0]
    assert problem.expected == "a sheet 'Data' (sheet: in engagement.yaml)"
    assert "the workbook has sheets 'Customers', 'Notes'" in problem.found


def test_detect_format_of_each_fixture():
    expected = {
        "qualtrics_current.csv": "qualtrics",
        "qualtrics_legacy.csv": "qualtrics",
        "surveymonkey.csv": "surveymonkey",
        "cp1252_semicolon.csv": "csv",
        "utf8_bom.csv": "csv",
        "customers.xlsx": "excel",
    }
    assert {name: detect_format(FIXTURES / name) for name in expected} == expected


def test_declared_format_must_match_the_layout():
    with pytest.raises(InputError) as err:
        read(FIXTURES / "utf8_bom.csv", format="surveymonkey")
    assert err.value.problems == [
        Problem(
            "utf8_bom.csv",
            None,
            None,
            export_readers.get("surveymonkey").description,
            "other header rows",
        )
    ]


def test_mojibake_is_repaired_and_listed_per_cell():
    raw = read(FIXTURES / "bad_responses.csv")
    assert raw.frame.loc[raw.row_numbers.tolist().index(11), "Comment"] == "Español está bien"
    repairs = raw.repairs
    assert repairs[["row", "column", "original", "repaired"]].values.tolist() == [
        [11, "Comment", "EspaÃ±ol estÃ¡ bien", "Español está bien"]
    ]
    assert "repaired mojibake in 1 cells of column 'Comment'" in raw.notes


def test_empty_file_is_a_problem_naming_the_file():
    with pytest.raises(InputError) as err:
        read(FIXTURES / "empty.csv")
    assert err.value.problems == [
        Problem("empty.csv", None, None, "a table with a header row", "an empty file")
    ]


def test_header_only_file_reads_as_zero_rows():
    raw = read(FIXTURES / "header_only.csv")
    assert list(raw.frame.columns) == ["initiative_id", "title", "owner"]
    assert len(raw.frame) == 0 and raw.row_numbers.tolist() == []


def test_missing_file(tmp_path):
    with pytest.raises(InputError) as err:
        read(tmp_path / "nope.csv")
    assert err.value.problems == [Problem("nope.csv", None, None, "a file", "no such file")]


def test_ragged_row_names_its_line(tmp_path):
    path = tmp_path / "ragged.csv"
    path.write_text("a,b\n1,2\n3,4,5\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        read(path)
    assert err.value.problems == [
        Problem("ragged.csv", 3, None, "2 fields per row, as in the header", "3 fields")
    ]


def test_repeated_and_empty_headers(tmp_path):
    path = tmp_path / "dupes.csv"
    path.write_text("id,score,score,,\n1,2,3,4,5\n", encoding="utf-8")
    raw = read(path)
    assert list(raw.frame.columns) == ["id", "score", "score.1", "column 4", "column 5"]


def test_tab_separated(tmp_path):
    path = tmp_path / "tabs.txt"
    path.write_text("id\tcomment\nA\thello, world\n", encoding="utf-8")
    raw = read(path)
    assert raw.frame.to_dict("records") == [{"id": "A", "comment": "hello, world"}]


def test_input_file_is_never_modified():
    paths = sorted(FIXTURES.iterdir())
    before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}
    for path in paths:
        try:
            read(path)
        except InputError:
            pass
    after = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}
    assert before == after


# --------------------------------------------------------------------------- registry


class _PipeSurvey(ExportReader):
    """A made-up platform: first header cell '#', labels in row 2."""

    description = "a pipe survey export"

    def sniff(self, head):
        return head[0][0] == "#"

    def layout(self, head):
        return Layout(
            headers=list(head[0]), header_rows=2, labels=dict(zip(head[0], head[1], strict=True))
        )


def test_a_new_platform_is_one_registration(tmp_path, monkeypatch):
    monkeypatch.setattr(export_readers, "_readers", dict(export_readers._readers))
    export_readers.register("pipesurvey", _PipeSurvey())
    path = tmp_path / "pipe.csv"
    path.write_text("#,Q1\nRow,How likely?\n1,9\n", encoding="utf-8")
    assert detect_format(path) == "pipesurvey"
    raw = read_export(path, Source(file="pipe.csv"), display_name="pipe.csv")
    assert raw.format == "pipesurvey"
    assert raw.labels == {"#": "Row", "Q1": "How likely?"}
    assert raw.frame.to_dict("records") == [{"#": "1", "Q1": "9"}]
    assert raw.row_numbers.tolist() == [3]


def test_registry_rejects_unknown_names_and_non_readers():
    registry = ReaderRegistry()
    with pytest.raises(ValueError, match="unknown export format 'typeform'"):
        registry.get("typeform")
    with pytest.raises(TypeError):
        registry.register("x", object())
    assert registry.detect([["a", "b"]], excel=True) == "excel"


# --------------------------------------------------------------------------- external exports


def ext(external_fixtures: Path, name: str):
    return read_export(external_fixtures / name, Source(file=name), display_name=name)


def test_external_qualtrics_sample(external_fixtures):
    raw = ext(external_fixtures, "qualtrics/sample.csv")
    assert raw.format == "qualtrics" and raw.header_rows == 3
    assert raw.frame.shape == (1, 20)
    row = raw.frame.iloc[0]
    assert row["ResponseId"] == "R_2YPOQ602ER1jkf1"
    assert row["Q1"] == "2"
    assert row["Q2"] == "Hello World!"
    assert row["StartDate"] == "2017-07-18 08:28:09"
    assert raw.labels["ResponseId"] == "Antwort-ID"
    assert raw.labels["RecipientLastName"] == "Nachname des Empfängers"
    assert raw.labels["LocationLongitude"] == "Längengrad des Standorts"
    assert raw.row_numbers.tolist() == [4]


def test_external_qualtrics_legacy(external_fixtures):
    raw = ext(external_fixtures, "qualtrics/sample_legacy.csv")
    assert raw.format == "qualtrics" and raw.header_rows == 2
    assert raw.encoding == "utf-8-sig"
    assert raw.frame.shape == (1, 15)
    assert list(raw.frame.columns)[-1] == "LocationAccuracy"  # no empty trailing column
    assert raw.frame.loc[0, "V1"] == "R_2YPOQ602ER1jkf1"
    assert raw.frame.loc[0, "V2"] == "Standard-Antwortsatz"
    assert raw.labels["V1"] == "ResponseID"


def test_external_qualtrics_insights_variants(external_fixtures):
    no_basis = ext(external_fixtures, "qualtrics/No_Basis_for_Evaluation (Insights).csv")
    assert no_basis.format == "qualtrics" and no_basis.header_rows == 3
    assert no_basis.frame.shape == (15, 49)
    assert no_basis.frame.loc[0, "ResponseID"] == "R_ebopwASnJ6p0KSp"
    assert no_basis.frame.loc[0, "Q3_1"] == "-1"
    assert "Q2_-1" in no_basis.frame.columns
    assert no_basis.labels["Q1"] == "Indicate how you feel about squash"
    matrix = ext(external_fixtures, "qualtrics/Single_Answer_Matrix_Questions (Insights).csv")
    assert matrix.frame.shape == (5, 30)
    assert matrix.frame.loc[0, "Q4_1"] == "12"  # recoded values 10-13 stay as written


def test_external_surveymonkey(external_fixtures):
    raw = ext(external_fixtures, "surveymonkey/test-responses.csv")
    assert raw.format == "surveymonkey"
    assert raw.frame.shape == (16, 20)
    assert raw.frame.columns.is_unique
    support = (
        'To what extent do you agree with this statement? "I was given the support and '
        'information I needed to complete the learning activities to the best of my ability."'
    )
    assert list(raw.frame.columns)[16:18] == [
        support,
        f"{support} - Is there anything else you would like to say about this?",
    ]
    assert raw.frame.loc[0, "Respondent ID"] == "19085864118"
    assert raw.frame.loc[0, "Start Date"] == "07/31/2023 04:21:36 PM"
    helpful = (
        'To what extent do you agree with this statement? "The feedback I received for my '
        'learning activity submissions was helpful"'
    )
    assert raw.frame.loc[1, helpful] == "Aagree"
    assert raw.row_numbers.tolist() == list(range(3, 19))


def test_external_carpentries_mojibake_repaired(external_fixtures):
    path = external_fixtures / "carpentries/2020_carpentryconhome_raw.csv"
    raw = read_export(path, Source(file="carp.csv"), display_name="carp.csv")
    assert raw.frame.shape == (124, 17)
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    broken = [i + 1 for i, r in enumerate(rows) if "Ã" in r[0] or "Â" in r[0]]  # spreadsheet rows
    assert sorted(raw.repairs["row"].tolist()) == broken
    assert len(broken) == 7
    sessions = set(raw.frame["session"])
    assert "¡Traduciendo!" in sessions and "Social Meetup Hablamos Español" in sessions
    assert not any("Ã" in s or "Â" in s for s in sessions)
    nps = raw.frame["nps"].astype(int)
    assert nps.between(0, 10).all()
    assert nps.tolist() == [int(r[16]) for r in rows[1:]]


def test_external_reference_inputs(external_fixtures):
    mtcars = ext(external_fixtures, "reference_inputs/mtcars.csv")
    assert list(mtcars.frame.columns)[:2] == ["", "mpg"]  # the empty first header stays empty
    assert mtcars.frame.shape == (32, 12)
    assert mtcars.frame.loc[0, ""] == "Mazda RX4"
    cronbach = ext(external_fixtures, "reference_inputs/cronbach_wide_missing.csv")
    assert cronbach.encoding == "utf-8-sig"
    assert list(cronbach.frame.columns) == [f"Q{i}" for i in range(1, 12)]
    assert cronbach.frame.shape == (12, 11)
    assert cronbach.frame.isna().sum().sum() > 0  # its blank cells are missing
    assert ext(external_fixtures, "reference_inputs/attitude.csv").frame.shape == (30, 8)
    assert ext(external_fixtures, "reference_inputs/swiss.csv").frame.shape == (47, 7)
    assert ext(external_fixtures, "reference_inputs/cronbach_alpha.csv").frame.shape == (150, 3)


def test_external_files_detected(external_fixtures):
    found = {
        p.relative_to(external_fixtures).as_posix(): detect_format(p)
        for p in sorted(external_fixtures.rglob("*.csv"))
    }
    assert found["qualtrics/sample.csv"] == "qualtrics"
    assert found["qualtrics/sample_legacy.csv"] == "qualtrics"
    assert found["surveymonkey/test-responses.csv"] == "surveymonkey"
    assert found["carpentries/2020_carpentryconhome_raw.csv"] == "csv"
    assert np.all([v == "csv" for k, v in found.items() if k.startswith("reference_inputs")])
