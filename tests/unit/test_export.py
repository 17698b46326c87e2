"""Formula-like cells are neutralised in exported CSV files (OWASP CSV injection guidance)."""

import csv
import io

import numpy as np
import pandas as pd
import pytest

from cxlib.export import neutralise, safe_csv


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1+1", "'+1+1"),
        ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
        ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        ("\tinjected", "'\tinjected"),
        ("\rinjected", "'\rinjected"),
        ("plain = text", "plain = text"),
        ("", ""),
    ],
)
def test_neutralise_text(cell, expected):
    assert neutralise(cell) == expected


def test_numbers_and_missing_untouched():
    assert neutralise(-3.5) == -3.5
    assert neutralise(-7) == -7
    assert neutralise(None) is None


def _rows(df, **kwargs):
    buf = io.StringIO()
    safe_csv(df, buf, **kwargs)
    return list(csv.reader(io.StringIO(buf.getvalue())))


def test_safe_csv_cells_header_and_numbers():
    df = pd.DataFrame(
        {
            "=bad header": ["=1+1", "ok", None],
            "score": [-1.5, 2.0, np.nan],
            "count": [-3, 4, 5],
            "flag": [True, False, True],
        }
    )
    rows = _rows(df)
    assert rows[0] == ["'=bad header", "score", "count", "flag"]
    assert rows[1] == ["'=1+1", "-1.5", "-3", "True"]
    assert rows[2] == ["ok", "2.0", "4", "False"]
    assert rows[3] == ["", "", "5", "True"]
    assert df.iloc[0, 0] == "=1+1"  # the caller's frame is not modified


def test_safe_csv_index_and_path(tmp_path):
    df = pd.DataFrame({"v": [1, 2]}, index=pd.Index(["@seg", "Retail"], name="segment"))
    out = safe_csv(df, tmp_path / "t.csv", index=True)
    assert out == tmp_path / "t.csv"
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines == ["segment,v", "'@seg,1", "Retail,2"]


def test_safe_csv_rejects_non_frames(tmp_path):
    with pytest.raises(TypeError, match="DataFrame"):
        safe_csv([["=1"]], tmp_path / "x.csv")


def test_ingest_repairs_csv_is_neutralised(tmp_path):
    """The only CSV the ingest step writes goes through safe_csv."""
    import inspect

    from cxlib import ingest

    source = inspect.getsource(ingest)
    assert "safe_csv(report.repairs" in source
    assert ".to_csv(" not in source
