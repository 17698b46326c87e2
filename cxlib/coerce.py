"""Turn the text of an export's cells into typed canonical values, recording every repair.

Scores written as text ('9 - Extremely likely' -> 9), declared no-answer codes, booleans in
words, day/month order of dates inferred from the column: each conversion is vectorised over
the column and reports, cell by cell, what could not be read and what was repaired.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cxlib.schemas import _BOOLS, _NUM, ColumnSpec, dtype_of

__all__ = ["Coerced", "coerce"]

_DATE_WORDS = "a date such as 2026-03-31 or 31/03/2026"
_MISSING = ("na", "n/a", "#n/a", "null", "nan", "none", "-")
_LEAD = rf"^(?P<n>{_NUM})\s*(?:[-\u2013\u2014:=.)]\s*|\s+)(?P<label>[^\d\s].*)$"
_TRAIL = rf"^(?P<label>.*[^\d\s])\s*[-\u2013\u2014:=(]\s*(?P<n>{_NUM})\)?$"
_ISO = (
    r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}"
    r"(?:[ T][0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?)? *(?:Z|[+-][0-9]{2}:?[0-9]{2})?"
)
_PLAIN = r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
_DMY = (
    r"^([0-9]{1,2})[/.-]([0-9]{1,2})[/.-]([0-9]{4}|[0-9]{2})"
    r"(?:[ T]+([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))? *([AaPp][Mm])?)?$"
)


@dataclass
class _Cast:
    """A column converted from text: values, unreadable cells, repairs, column issue."""

    values: pd.Series
    bad: pd.Series
    repairs: list[tuple[pd.Series, pd.Series, str]] = field(default_factory=list)
    issue: tuple[str, str] | None = None
    labels: pd.Series | None = None


def _clean(text: pd.Series) -> tuple[pd.Series, list]:
    """Strip cells; empty cells and missing-value markers (N/A, null ...) become missing."""
    stripped = text.str.strip()
    marker = stripped.str.lower().isin(_MISSING).fillna(False)
    cleaned = stripped.mask(marker | (stripped == ""))
    repair = (marker, pd.Series("", index=text.index), "missing-value marker read as empty")
    return cleaned, [repair] if marker.any() else []


def _labelled_numbers(text: pd.Series) -> pd.DataFrame:
    lead = text.str.extract(_LEAD)
    trail = text.str.extract(_TRAIL)
    return lead.fillna(trail)


def _cast_number(text: pd.Series, spec: ColumnSpec, codes: list[float]) -> _Cast:
    cleaned, repairs = _clean(text)
    plain = cleaned.str.fullmatch(_PLAIN).fillna(False)
    values = cleaned.where(plain).astype("float64")  # fast path: pyarrow's cast
    other = cleaned.notna() & ~plain
    if other.any():
        values[other] = pd.to_numeric(cleaned[other], errors="coerce").astype("float64")
    values = values.mask(np.isinf(values))
    unread = cleaned.notna() & values.isna()
    labels = pd.Series(pd.NA, index=text.index, dtype="str")
    if unread.any() and spec.kind == "score":
        found = _labelled_numbers(cleaned[unread])
        got = found["n"].notna()
        if got.any():
            idx = got[got].index
            values.loc[idx] = found.loc[idx, "n"].astype("float64")
            labels.loc[idx] = found.loc[idx, "label"]
            mask = values.index.isin(idx)
            repairs.append(
                (pd.Series(mask, index=values.index), values, "score written with its label")
            )
    bad = cleaned.notna() & values.isna()
    if codes:
        is_code = values.isin(codes)
        if is_code.any():
            repairs.append(
                (is_code, pd.Series("", index=text.index), "non-substantive code read as missing")
            )
            values = values.mask(is_code)
    return _Cast(values, bad, repairs, labels=labels)


def _cast_bool(text: pd.Series) -> _Cast:
    cleaned, repairs = _clean(text)
    values = cleaned.str.lower().map(_BOOLS).astype("boolean")
    return _Cast(values, cleaned.notna() & values.isna(), repairs)


def _cast_category(text: pd.Series, spec: ColumnSpec) -> _Cast:
    cleaned, repairs = _clean(text)
    lower = cleaned.str.lower()
    known = lower.isin(spec.allowed).fillna(False)
    changed = known & (lower != cleaned)
    if changed.any():
        repairs.append((changed, lower, "category written in other letter case"))
    return _Cast(cleaned.where(~known, lower), pd.Series(False, index=text.index), repairs)


def _cast_id(text: pd.Series) -> _Cast:
    stripped = text.str.strip()
    stripped = stripped.mask(stripped == "")
    changed = (stripped != text).fillna(False) & stripped.notna()
    repairs = [(changed, stripped, "spaces around the id removed")] if changed.any() else []
    return _Cast(stripped, pd.Series(False, index=text.index), repairs)


def _assemble(parts: pd.DataFrame, day_first: bool) -> pd.Series:
    a, b = parts[0].astype("float64"), parts[1].astype("float64")
    year = parts[2].astype("float64")
    year = year.where(parts[2].str.len() == 4, year + np.where(year < 69, 2000, 1900))
    hour = parts[3].astype("float64").fillna(0)
    ampm = parts[6].str.lower()
    hour = hour.mask(ampm.notna() & ((hour > 12) | (hour == 0)), 99)
    hour = hour.mask(ampm.notna(), hour % 12 + 12 * (ampm == "pm").astype("float64"))
    fields = {
        "year": year,
        "month": b if day_first else a,
        "day": a if day_first else b,
        "hour": hour,
        "minute": parts[4].astype("float64").fillna(0),
        "second": parts[5].astype("float64").fillna(0),
    }
    return pd.to_datetime(pd.DataFrame(fields), errors="coerce").astype("datetime64[us]")


def _parse_iso(text: pd.Series) -> pd.Series:
    tz = text.str.contains(r"(?:Z|[+-][0-9]{2}:?[0-9]{2})$", regex=True).any()
    parsed = pd.to_datetime(text, format="ISO8601", errors="coerce", utc=bool(tz))
    if tz:
        parsed = parsed.dt.tz_convert(None)
    return parsed.astype("datetime64[us]")


def _cast_datetime(text: pd.Series, date_format: str | None) -> _Cast:
    cleaned, repairs = _clean(text)
    out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[us]")
    iso = cleaned.str.fullmatch(_ISO).fillna(False)
    if iso.any():
        out[iso] = _parse_iso(cleaned[iso])
    rest = cleaned.notna() & ~iso
    cast = _Cast(out, rest, repairs)
    if not rest.any():
        cast.bad = cleaned.notna() & out.isna()
        return cast
    if date_format:
        parsed = pd.to_datetime(cleaned[rest], format=date_format, errors="coerce")
        out[rest] = parsed.astype("datetime64[us]")
        cast.bad = cleaned.notna() & out.isna()
        return cast
    parts = cleaned[rest].str.extract(_DMY)
    matched = parts[0].notna()
    if matched.any():
        parts = parts[matched]
        first_big = parts[0].astype(int) > 12
        second_big = parts[1].astype(int) > 12
        if first_big.any() and second_big.any():
            a, b = cleaned[first_big[first_big].index[0]], cleaned[second_big[second_big].index[0]]
            cast.issue = (
                "dates in one order, day/month or month/day (set date_format for this file)",
                f"both orders: {a!r} and {b!r}",
            )
        elif not first_big.any() and not second_big.any():
            cast.issue = (
                "a date_format for this file in engagement.yaml (e.g. '%d/%m/%Y'): "
                "no day is above 12, so day/month and month/day both fit",
                f"{len(parts)} ambiguous dates such as {cleaned[parts.index[0]]!r}",
            )
        else:
            out[parts.index] = _assemble(parts, day_first=bool(first_big.any()))
    worded = rest & cleaned.str.contains(r"[A-Za-z]{3}", regex=True).fillna(False)
    worded &= ~cleaned.index.isin(parts.index)
    if worded.any():
        unique = cleaned[worded].unique()
        lookup = pd.Series(pd.to_datetime(unique, format="mixed", errors="coerce"), index=unique)
        out[worded] = cleaned[worded].map(lookup).astype("datetime64[us]")
    ambiguous = cleaned.index.isin(parts.index) if cast.issue else False
    cast.bad = cleaned.notna() & out.isna() & ~pd.Series(ambiguous, index=text.index)
    return cast


@dataclass(frozen=True)
class Coerced:
    """One column converted from text to its kind.

    Attributes
    ----------
    values : pandas.Series
        The typed values (dtype from :func:`dtype_of`); unreadable cells are missing.
    unread : pandas.Series
        True where a non-empty cell could not be read (each is a problem).
    expected : str
        What an unreadable cell should have looked like, in words.
    repairs : pandas.DataFrame
        Indexed like the input: ``repaired`` (text) and ``reason``, one row per repair.
    issue : tuple of str or None
        A problem with the column as a whole, as (expected, found).
    labels : pandas.Series or None
        For scores written with a label (``9 - Extremely likely``), the label text.
    """

    values: pd.Series
    unread: pd.Series
    expected: str
    repairs: pd.DataFrame
    issue: tuple[str, str] | None = None
    labels: pd.Series | None = None


def coerce(
    text: pd.Series,
    spec: ColumnSpec,
    *,
    date_format: str | None = None,
    codes: Sequence[float] = (),
) -> Coerced:
    """Convert a text column to its declared kind, vectorised.

    Parameters
    ----------
    text : pandas.Series
        The cells as read (text; empty cells missing).
    spec : ColumnSpec
        The column's declaration.
    date_format : str, optional
        strftime format of the dates (engagement.yaml ``date_format``).
    codes : sequence of float
        Non-substantive codes ("no answer") to read as missing in a numeric column.

    Returns
    -------
    Coerced
        Values, unreadable cells, repairs and any whole-column issue.

    Notes
    -----
    * Numbers: ``pd.to_numeric``; a score written with its label (``9 - Extremely
      likely``, ``Extremely likely (10)``) keeps the number (a repair); other text is
      unreadable. ``codes`` become missing (a repair each).
    * Dates: ISO 8601 always; else ``date_format``; else the day/month order is inferred
      from the column: a first part above 12 means day first, a second part above 12 month
      first; when no part is above 12 (or both orders occur) the column has an ``issue``
      asking for ``date_format``. Two-digit years follow ``strptime`` (69-99 -> 1900s).
      Dates with month names are parsed by pandas. The result is naive (UTC when the text
      carried an offset).
    * Booleans: true/false, yes/no, y/n, 1/0 in any letter case.
    * Categories: matched in any letter case, written in the declared case (a repair).
    * Ids: surrounding spaces removed (a repair).
    * In typed columns the markers NA, N/A, #N/A, null, nan, none and ``-`` are read as
      empty (a repair each).

    Examples
    --------
    >>> from cxlib.schemas import table_schema
    >>> spec = table_schema("responses").columns["nps"]
    >>> out = coerce(pd.Series(["9 - Extremely likely", "7", "Ten", "99"]), spec, codes=[99])
    >>> out.values.tolist()[:2], out.unread.tolist(), out.repairs["reason"].tolist()
    ([9.0, 7.0], [False, False, True, False], ['score written with its label', \
'non-substantive code read as missing'])
    """
    text = text.astype("str")
    if spec.kind in ("int", "float", "score"):
        cast = _cast_number(text, spec, list(codes))
    elif spec.kind == "bool":
        cast = _cast_bool(text)
    elif spec.kind == "datetime":
        cast = _cast_datetime(text, date_format)
    elif spec.kind == "category":
        cast = _cast_category(text, spec)
    elif spec.kind == "id":
        cast = _cast_id(text)
    else:
        cast = _Cast(text, pd.Series(False, index=text.index))
    parts = []
    for mask, repaired, reason in cast.repairs:
        mask = mask.fillna(False).to_numpy(dtype=bool)
        parts.append(pd.DataFrame({"repaired": _as_text(repaired[mask]), "reason": reason}))
    repairs = pd.concat(parts) if parts else pd.DataFrame(columns=["repaired", "reason"])
    expected = spec.expected
    if spec.kind == "datetime":
        expected = f"a date in the format {date_format}" if date_format else _DATE_WORDS
    values = cast.values.astype(dtype_of(spec))
    unread = cast.bad.fillna(False).astype(bool)
    return Coerced(values, unread, expected, repairs, cast.issue, cast.labels)


def _as_text(values: pd.Series) -> pd.Series:
    if pd.api.types.is_float_dtype(values):
        whole = (values == np.floor(values)).fillna(False)
        return values.astype("str").mask(whole, values.round().astype("Int64").astype("str"))
    return values.astype("str")
