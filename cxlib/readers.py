"""Readers for client exports: plain CSV, Excel, Qualtrics and SurveyMonkey.

A reader turns one export into a :class:`RawTable`: every cell as text, exactly as the file
holds it (after decoding), the spreadsheet row number of every data row, one unique header per
column, and a note for every repair made on the way (encoding guessed, mojibake undone,
decimal commas converted). Nothing is typed here; :mod:`cxlib.ingest` does that.

Two things vary between exports and are handled separately:

* the *container*: a delimited text file (any of UTF-8, UTF-8 with BOM or Windows-1252;
  comma, semicolon, tab or pipe separated) or an Excel workbook, chosen by the file suffix;
* the *layout* of the header rows, chosen by ``format`` in engagement.yaml or recognised
  from the first rows. Each layout is an :class:`ExportReader` registered in
  :data:`export_readers`, so supporting a new survey platform is one class and one
  ``export_readers.register(...)`` call.

The input file is only ever read, never written.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from cxlib.config import Source
from cxlib.errors import InputError, Problem

__all__ = [
    "ExportReader",
    "Layout",
    "RawTable",
    "ReaderRegistry",
    "detect_format",
    "export_readers",
    "read_export",
]

_EXCEL_SUFFIXES = (".xlsx", ".xlsm")
_HEAD_ROWS = 5
_DELIMITERS = (",", ";", "\t", "|")
_REPAIR_COLUMNS = ["row", "column", "original", "repaired", "reason"]

# UTF-8 text decoded as Windows-1252 turns each multi-byte sequence into a lead character
# (U+00C2..U+00F4) followed by one of the characters cp1252 gives to bytes 0x80..0xBF.
_CP1252_CONTINUATION = "".join(
    bytes([b]).decode("cp1252", errors="ignore") or chr(b) for b in range(0x80, 0xC0)
)
_MOJIBAKE = "[\u00c2-\u00f4][" + re.escape(_CP1252_CONTINUATION) + "]"
_MOJIBAKE_REASON = "mojibake (UTF-8 text that had been read as Windows-1252)"


@dataclass(frozen=True)
class RawTable:
    """One export as read: text cells, spreadsheet rows, headers and repair notes.

    Attributes
    ----------
    frame : pandas.DataFrame
        The data rows, one column per (unique) header; every cell is text as read, and an
        empty cell is missing (NA).
    row_numbers : numpy.ndarray
        For each row of ``frame``, its row number as a spreadsheet shows it (1-based,
        header rows counted).
    header_rows : int
        How many rows at the top hold headers.
    format : str
        The layout read: ``csv``, ``excel``, ``qualtrics`` or ``surveymonkey``.
    encoding : str or None
        The text encoding used (``utf-8``, ``utf-8-sig``, ``cp1252`` ...); None for Excel.
    notes : list of str
        Repairs and decisions made while reading, in words.
    labels : dict
        Header -> question text, for exports whose header rows carry both (Qualtrics,
        SurveyMonkey); empty otherwise.
    repairs : pandas.DataFrame
        One row per repaired cell: ``row`` (spreadsheet row), ``column`` (header),
        ``original``, ``repaired``, ``reason``.
    file : str
        The file as the user knows it (relative to the engagement folder).
    """

    frame: pd.DataFrame
    row_numbers: np.ndarray
    header_rows: int
    format: str
    encoding: str | None
    notes: list[str] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)
    repairs: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=_REPAIR_COLUMNS))
    file: str = ""


@dataclass(frozen=True)
class Layout:
    """What a reader makes of the header rows of an export.

    Attributes
    ----------
    headers : list of str
        One header per column (empty strings allowed; they are made unique later).
    header_rows : int
        How many rows at the top are headers; data starts below them.
    labels : dict
        Header -> question text, when the export carries it.
    notes : list of str
        Anything worth telling the user about the layout.
    """

    headers: list[str]
    header_rows: int
    labels: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


class ExportReader:
    """A header layout: plain, one header row.

    Subclass it for a new survey platform: override :meth:`sniff` to recognise the export
    from its first rows and :meth:`layout` to read its header rows, then register an
    instance with ``export_readers.register(name, reader)``.
    """

    #: What the layout looks like, for messages when a file does not match it.
    description = "a table with one header row"

    def sniff(self, head: list[list[str]]) -> bool:
        """Whether the first rows look like this export (used by ``format: auto``).

        Parameters
        ----------
        head : list of list of str
            Up to the first five rows, empty cells as ``""``.

        Returns
        -------
        bool
            True when this reader recognises the layout.
        """
        return False

    def layout(self, head: list[list[str]]) -> Layout:
        """Read the header rows.

        Parameters
        ----------
        head : list of list of str
            Up to the first five rows, empty cells as ``""``, each as wide as the file.

        Returns
        -------
        Layout
            Headers, number of header rows and labels.
        """
        return Layout(headers=list(head[0]), header_rows=1)


_IMPORT_ID = re.compile(r"""^\{\s*["']ImportId["']\s*:""")


class QualtricsReader(ExportReader):
    """Qualtrics CSV exports, current and legacy.

    * Current layout (2017 on, and the 2016-17 "Insights" variant): row 1 holds column ids
      (``ResponseId``, ``Q1``, ``Q2_1``), row 2 the question text, row 3 an ImportId per
      column: JSON ``{"ImportId":"QID1"}``, or in Insights exports a Python-style
      ``{'ImportId': 'QID2-1'}``.
    * Legacy layout (before 2017): row 1 holds ``V1 ... V10`` then question ids, row 2 the
      labels (``ResponseID``, ``ResponseSet`` ... question text).

    Headers are the ids of row 1; row 2 is kept in ``labels``.
    """

    description = (
        "a Qualtrics export (3 header rows with ImportIds in row 3, or the legacy "
        "2-row layout starting V1, V2)"
    )

    def sniff(self, head: list[list[str]]) -> bool:  # noqa: D102
        return self._header_rows(head) is not None

    def layout(self, head: list[list[str]]) -> Layout:  # noqa: D102
        rows = self._header_rows(head)
        if rows is None:
            raise ValueError(self.description)
        ids, text = head[0], head[1]
        labels = {i: t for i, t in zip(ids, text, strict=False) if i}
        return Layout(list(ids), rows, labels)

    @staticmethod
    def _header_rows(head: list[list[str]]) -> int | None:
        if len(head) >= 3 and any(_IMPORT_ID.match(cell) for cell in head[2] if cell):
            return 3
        if len(head) >= 2 and head[0][:2] == ["V1", "V2"] and head[1][0] == "ResponseID":
            return 2
        return None


_SM_PLAIN = ("Response", "Open-Ended Response")


class SurveyMonkeyReader(ExportReader):
    """SurveyMonkey CSV/XLSX exports with two header rows.

    Row 1 holds the question text and is empty for the further columns of the same
    question; row 2 holds ``Response``, ``Open-Ended Response`` or a sub-label (a matrix
    row, an answer option, "Other (please specify)").

    The header of a column is the question text carried forward from the last non-empty
    cell of row 1; when row 2 holds a sub-label other than ``Response`` /
    ``Open-Ended Response`` it is appended as ``"<question> - <sub-label>"``. Metadata
    columns (``Respondent ID``, ``Start Date`` ...) keep their row-1 header.
    ``labels`` maps each header to its question text.
    """

    description = "a SurveyMonkey export (2 header rows: questions, then Response/sub-labels)"

    def sniff(self, head: list[list[str]]) -> bool:  # noqa: D102
        if len(head) < 2 or not any(cell in _SM_PLAIN for cell in head[1]):
            return False
        return head[0][0] == "Respondent ID" or head[1][0] == ""

    def layout(self, head: list[list[str]]) -> Layout:  # noqa: D102
        if not self.sniff(head):
            raise ValueError(self.description)
        headers, labels, question = [], {}, ""
        for top, sub in zip(head[0], head[1], strict=False):
            top, sub = top.strip(), sub.strip()
            question = top or question
            header = question if not sub or sub in _SM_PLAIN else f"{question} - {sub}"
            headers.append(header)
            if header:
                labels[header] = question
        return Layout(headers, 2, labels)


class ReaderRegistry:
    """Export readers keyed by format name (as papermill keeps its engines).

    Examples
    --------
    >>> sorted(export_readers.names())
    ['csv', 'excel', 'qualtrics', 'surveymonkey']
    >>> export_readers.detect([["V1", "V2", "Q1"], ["ResponseID", "ResponseSet", "Q"]])
    'qualtrics'
    """

    def __init__(self) -> None:
        self._readers: dict[str, ExportReader] = {}

    def register(self, name: str, reader: ExportReader) -> None:
        """Register (or replace) the reader of one format.

        Parameters
        ----------
        name : str
            The format name used in engagement.yaml's ``format:``.
        reader : ExportReader
            The reader; its ``sniff`` takes part in ``format: auto``, in registration order.
        """
        if not isinstance(reader, ExportReader):
            raise TypeError(f"reader must be an ExportReader, not {type(reader).__name__}")
        self._readers[name] = reader

    def get(self, name: str) -> ExportReader:
        """Return the reader registered under ``name``.

        Parameters
        ----------
        name : str
            A registered format name.

        Returns
        -------
        ExportReader
            The reader.
        """
        try:
            return self._readers[name]
        except KeyError:
            known = ", ".join(sorted(self._readers))
            raise ValueError(f"unknown export format {name!r}; known: {known}") from None

    def names(self) -> list[str]:
        """Return the registered format names, in registration order."""
        return list(self._readers)

    def detect(self, head: list[list[str]], *, excel: bool = False) -> str:
        """Name the format whose reader recognises these first rows.

        Parameters
        ----------
        head : list of list of str
            Up to the first five rows, empty cells as ``""``.
        excel : bool
            Whether the file is a workbook; decides the fallback (``excel`` or ``csv``).

        Returns
        -------
        str
            A registered format name.
        """
        width = max((len(row) for row in head), default=0)
        padded = [list(row) + [""] * (width - len(row)) for row in head]
        for name, reader in self._readers.items():
            if padded and reader.sniff(padded):
                return name
        return "excel" if excel else "csv"


#: The registry read by :func:`read_export`; register new platforms here.
export_readers = ReaderRegistry()
export_readers.register("qualtrics", QualtricsReader())
export_readers.register("surveymonkey", SurveyMonkeyReader())
export_readers.register("csv", ExportReader())
export_readers.register("excel", ExportReader())


# --------------------------------------------------------------------------- containers


def _fail(file: str, expected: str, found: str, row: int | None = None) -> InputError:
    return InputError([Problem(file, row, None, expected, found)])


def _decode(data: bytes, encoding: str | None, file: str) -> tuple[str, str, list[str]]:
    """Decode the bytes: the configured encoding, else strict UTF-8, else Windows-1252."""
    if encoding:
        try:
            return data.decode(encoding), encoding, []
        except (UnicodeDecodeError, LookupError) as exc:
            expected = f"text in the {encoding} encoding (engagement.yaml)"
            raise _fail(file, expected, str(exc)) from None
    try:
        enc = "utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else "utf-8"
        return data.decode(enc), enc, []
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252", ["decoded as Windows-1252 (not valid UTF-8)"]
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1", ["decoded as ISO-8859-1 (not valid UTF-8)"]


def _sniff_delimiter(sample: str) -> str:
    """Pick the separator that splits the first record into the most fields (comma on ties)."""
    best, best_fields = ",", 1
    for delimiter in _DELIMITERS:
        try:
            first = next(csv.reader(io.StringIO(sample), delimiter=delimiter), [])
        except csv.Error:
            continue
        if len(first) > best_fields:
            best, best_fields = delimiter, len(first)
    return best


def _read_text(path: Path, source: Source, file: str) -> tuple[pd.DataFrame, str, str, list]:
    text, encoding, notes = _decode(path.read_bytes(), source.encoding, file)
    delimiter = source.delimiter or _sniff_delimiter(text[:65536])
    try:
        grid = pd.read_csv(
            io.StringIO(text),
            sep=delimiter,
            header=None,
            dtype=str,
            keep_default_na=False,
            na_values=[""],
            skip_blank_lines=False,
            engine="c",
        )
    except pd.errors.EmptyDataError:
        raise _fail(file, "a table with a header row", "an empty file") from None
    except pd.errors.ParserError as exc:
        match = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
        if match is None:
            raise _fail(file, "a delimited text table", str(exc)) from None
        want, line, saw = match.groups()
        expected = f"{want} fields per row, as in the header"
        raise _fail(file, expected, f"{saw} fields", int(line)) from None
    return grid, encoding, delimiter, notes


def _read_excel(path: Path, source: Source, file: str) -> pd.DataFrame:
    sheet = 0 if source.sheet is None else source.sheet
    try:
        grid = pd.read_excel(
            path, sheet_name=sheet, header=None, dtype=str, keep_default_na=False, na_values=[""]
        )
    except (ValueError, IndexError) as exc:
        with pd.ExcelFile(path) as book:
            names = ", ".join(repr(n) for n in book.sheet_names)
        found = f"{exc}; the workbook has sheets {names}"
        raise _fail(file, f"a sheet {sheet!r} (sheet: in engagement.yaml)", found) from None
    return grid


def _head(grid: pd.DataFrame) -> list[list[str]]:
    rows = grid.head(_HEAD_ROWS).fillna("").astype(str)
    return [list(row) for row in rows.itertuples(index=False)]


def _unique_headers(headers: Sequence[str]) -> tuple[list[str], list[str]]:
    """Strip headers and make them unique; repeated empties become ``column N``."""
    notes, stripped = [], [str(h).strip() for h in headers]
    if any(s != h for s, h in zip(stripped, headers, strict=True)):
        notes.append("removed spaces around some headers")
    empties = [i for i, h in enumerate(stripped) if not h]
    if len(empties) > 1:
        for i in empties:
            stripped[i] = f"column {i + 1}"
        notes.append(f"named {len(empties)} columns without a header 'column N' (N = position)")
    seen: dict[str, int] = {}
    out = []
    for header in stripped:
        name, count = header, seen.get(header, 0)
        while name in seen:
            count += 1
            name = f"{header}.{count}"
        seen[header] = count
        seen[name] = 0
        if name != header:
            notes.append(f"renamed a repeated header {header!r} to {name!r}")
        out.append(name)
    return out, notes


def _repair_mojibake(frame: pd.DataFrame, rows: np.ndarray) -> tuple[pd.DataFrame, list[str]]:
    """Undo UTF-8-read-as-cp1252 in text cells; return per-cell repairs and notes."""
    import ftfy

    parts, notes = [], []
    for column in frame.columns:
        values = frame[column]
        if values.str.isascii().all():
            continue
        suspect = values.str.contains(_MOJIBAKE, regex=True, na=False)
        if not suspect.any():
            continue
        original = values[suspect]
        fixes = {v: ftfy.fix_encoding(v) for v in original.unique()}
        repaired = original.map(fixes)
        changed = repaired != original
        if not changed.any():
            continue
        idx = changed[changed].index
        frame[column] = values.mask(values.index.isin(idx), repaired.reindex(values.index))
        parts.append(
            pd.DataFrame(
                {
                    "row": rows[idx],
                    "column": column,
                    "original": original[idx].to_numpy(),
                    "repaired": repaired[idx].to_numpy(),
                    "reason": _MOJIBAKE_REASON,
                }
            )
        )
        notes.append(f"repaired mojibake in {len(idx)} cells of column {column!r}")
    repairs = (
        pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=_REPAIR_COLUMNS)
    )
    return repairs, notes


def _decimal_commas(frame: pd.DataFrame) -> list[str]:
    """Convert columns whose every value is a number written with a decimal comma."""
    notes = []
    for column in frame.columns:
        values = frame[column].str.strip().dropna()
        values = values[values != ""]
        if values.empty:
            continue
        comma = values.str.fullmatch(r"[+-]?[0-9]+,[0-9]+")
        if comma.any() and (comma | values.str.fullmatch(r"[+-]?[0-9]+")).all():
            frame[column] = frame[column].str.replace(",", ".", regex=False)
            notes.append(f"read decimal commas as decimal points in column {column!r}")
    return notes


def _grid(path: Path, source: Source, file: str) -> tuple[pd.DataFrame, str | None, str, list]:
    if path.suffix.lower() == ".xls":
        raise _fail(
            file, "an .xlsx workbook or a CSV file", "an old .xls workbook (save as .xlsx)"
        )
    if path.suffix.lower() in _EXCEL_SUFFIXES:
        return _read_excel(path, source, file), None, "", []
    return _read_text(path, source, file)


def detect_format(path: Path, source: Source | None = None) -> str:
    r"""Recognise the layout of an export from its first rows.

    Parameters
    ----------
    path : Path
        The export.
    source : Source, optional
        Its entry in engagement.yaml, for ``encoding``, ``delimiter`` and ``sheet``.

    Returns
    -------
    str
        ``qualtrics`` or ``surveymonkey`` when their header rows are recognised, else
        ``excel`` for workbooks and ``csv`` for text files.

    Raises
    ------
    InputError
        When the file cannot be read.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "a.csv").write_text("V1,V2,Q1\nResponseID,ResponseSet,Q\nR_1,x,5\n")
    >>> detect_format(folder / "a.csv")
    'qualtrics'
    """
    source = source or Source(file=path.name)
    grid, *_ = _grid(Path(path), source, path.name)
    return export_readers.detect(_head(grid), excel=path.suffix.lower() in _EXCEL_SUFFIXES)


def read_export(path: Path, source: Source, *, display_name: str) -> RawTable:
    r"""Read one client export into text cells with spreadsheet row numbers.

    Parameters
    ----------
    path : Path
        The export file (CSV or similar text, or .xlsx). It is never modified.
    source : Source
        Its entry in engagement.yaml: ``format``, ``encoding``, ``delimiter``, ``decimal``,
        ``sheet``.
    display_name : str
        The file as the user knows it, used in every message.

    Returns
    -------
    RawTable
        The data rows as text, their spreadsheet row numbers, headers, labels and notes.

    Raises
    ------
    InputError
        When the file is missing, empty, undecodable, ragged or not of the declared format.

    Notes
    -----
    Decoding: the configured ``encoding``; otherwise strict UTF-8 (a BOM is removed), then
    Windows-1252. The separator is the one of ``, ; TAB |`` that splits the first record
    into the most fields. With a separator other than a comma (or ``decimal: ","``), a
    column whose every non-empty value is an integer or a decimal-comma number (``12,5``)
    is converted to decimal points; ``decimal: "."`` turns this off. Empty header cells of
    columns that hold no data (the trailing comma of some exports) are dropped. Mojibake
    (UTF-8 text that was once read as Windows-1252, such as ``EspaÃ±ol``) is repaired with
    ftfy's ``fix_encoding`` in cells that contain a tell-tale character pair, each repair
    listed in ``repairs``.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "s.csv").write_bytes("id;score\r\nA;7,5\r\n".encode("cp1252"))
    >>> raw = read_export(folder / "s.csv", Source(file="s.csv"), display_name="s.csv")
    >>> raw.frame["score"].tolist(), raw.row_numbers.tolist()
    (['7.5'], [2])
    """
    path = Path(path)
    if not path.is_file():
        raise _fail(display_name, "a file", "no such file")
    grid, encoding, delimiter, notes = _grid(path, source, display_name)
    grid = grid.reset_index(drop=True)
    grid.columns = range(grid.shape[1])
    if grid.empty or grid.isna().all(axis=None):
        raise _fail(display_name, "a table with a header row", "an empty file")
    excel = path.suffix.lower() in _EXCEL_SUFFIXES
    head = _head(grid)
    fmt = export_readers.detect(head, excel=excel) if source.format == "auto" else source.format
    reader = export_readers.get(fmt)
    try:
        layout = reader.layout(head)
    except ValueError:
        raise _fail(display_name, reader.description, "other header rows") from None
    headers = list(layout.headers) + [""] * (grid.shape[1] - len(layout.headers))
    body = grid.iloc[layout.header_rows :]
    keep = [i for i, h in enumerate(headers) if str(h).strip() or body[i].notna().any()]
    if len(keep) < len(headers):
        notes.append(f"dropped {len(headers) - len(keep)} empty column(s) without a header")
    names, header_notes = _unique_headers([headers[i] for i in keep])
    frame = body[keep].set_axis(names, axis=1).reset_index(drop=True)
    row_numbers = body.index.to_numpy(dtype=np.int64) + 1
    repairs, mojibake_notes = _repair_mojibake(frame, row_numbers)
    labels = {n: layout.labels.get(str(headers[i]), "") for n, i in zip(names, keep, strict=True)}
    labels = {k: v for k, v in labels.items() if v}
    decimal = source.decimal or ("," if delimiter not in ("", ",") else ".")
    decimal_notes = _decimal_commas(frame) if decimal == "," else []
    return RawTable(
        frame=frame,
        row_numbers=row_numbers,
        header_rows=layout.header_rows,
        format=fmt,
        encoding=encoding,
        notes=notes + layout.notes + header_notes + mojibake_notes + decimal_notes,
        labels=labels,
        repairs=repairs,
        file=display_name,
    )
