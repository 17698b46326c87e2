"""Ingest: read every input of an engagement, map it onto the canonical tables, validate.

``validate(folder)`` reads engagement.yaml and every file it lists, maps each client header
onto the kit's canonical names (``columns:``), converts text to types, checks every table
with pandera (:mod:`cxlib.schemas`) and across tables, and returns *every* problem at once,
each naming file, spreadsheet row, the client's column header, what was expected and what
was found. ``ingest(folder, out)`` does the same and, only when nothing is wrong, writes one
Parquet file per table and ``repairs.csv`` (never a partial set).

Repairs are made only when the intent is unambiguous, and each is listed (file, row, column,
original, repaired, reason): blank rows and trailer rows ("Total", "Average" ...) dropped,
scores written with their label (``9 - Extremely likely``) read as the number, declared
non-substantive codes (``survey.non_substantive_codes``) read as missing, missing-value
markers (``N/A``) read as empty, spaces around ids removed, category case normalised, and
the reader's own repairs (encoding, mojibake, decimal commas). Anything else is a problem.
"""

from __future__ import annotations

import difflib
import hashlib
import os
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cxlib.coerce import coerce
from cxlib.config import TABLES, Engagement, EngagementPaths, Source, load_engagement
from cxlib.errors import ConfigError, InputError, Problem
from cxlib.export import safe_csv
from cxlib.readers import RawTable, read_export
from cxlib.schemas import TableSchema, check_frame, dtype_of, table_schema

__all__ = ["TableResult", "ValidationReport", "ingest", "load_table", "validate"]

REPAIR_COLUMNS = ["file", "row", "column", "original", "repaired", "reason"]
_TRAILERS = ("total", "grand total", "average", "mean", "sum", "count")
_NOT_LIKELY = r"(?i)\bnot\b.*\blikely\b|\bunlikely\b"


def _empty_repairs() -> pd.DataFrame:
    return pd.DataFrame(
        {c: pd.Series(dtype="Int64" if c == "row" else "str") for c in REPAIR_COLUMNS}
    )


@dataclass(frozen=True)
class TableResult:
    """One canonical table loaded from all its sources.

    Attributes
    ----------
    frame : pandas.DataFrame
        Canonical columns with their types (see :func:`cxlib.schemas.dtype_of`), the
        client's other columns as text, and ``source_file`` / ``source_row`` (the file and
        spreadsheet row each row came from).
    problems : list of Problem
        Everything wrong with the table; cells that could not be read are missing in
        ``frame``.
    repairs : pandas.DataFrame
        One row per repair: ``file``, ``row``, ``column``, ``original``, ``repaired``,
        ``reason`` (``row`` and ``column`` empty for whole-file repairs).
    headers : dict
        File -> canonical name -> the header in that file, for messages.
    """

    frame: pd.DataFrame
    problems: list[Problem]
    repairs: pd.DataFrame
    headers: dict[str, dict[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class ValidationReport:
    """Everything ``validate`` found, for the user and for run.json.

    Attributes
    ----------
    problems : list of Problem
        Every problem in the configuration and the inputs; empty when all is well.
    repairs : pandas.DataFrame
        Every repair made (see :class:`TableResult`).
    rows : dict
        Table -> number of rows loaded.
    fingerprints : dict
        Path relative to the engagement folder -> SHA-256 of every file read
        (engagement.yaml, codeframe.yaml when present, and every input).
    """

    problems: list[Problem]
    repairs: pd.DataFrame
    rows: dict[str, int] = field(default_factory=dict)
    fingerprints: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when no problem was found."""
        return not self.problems

    def problems_frame(self) -> pd.DataFrame:
        """Return the problems as a table: file, row, column, expected, found."""
        rows = [(p.file, p.row, p.column, p.expected, p.found) for p in self.problems]
        frame = pd.DataFrame(rows, columns=["file", "row", "column", "expected", "found"])
        return frame.astype({"row": "Int64"})


def _nps_scale(values: pd.Series, labels: pd.Series) -> tuple[str, int | None] | None:
    """Evidence that NPS answers are on a 1-10 scale, and the row position showing it.

    Clear evidence is either a label that puts "not likely" at 1 (``1 - Not at all
    likely``), or, over at least 100 answers, no 0 at all while 1 and 10 are each chosen
    at least 10 times. On a 0-10 scale, 0 is chosen about as often as 1 or more, so ten
    1s without a single 0 would happen by chance with probability about 0.5**10 = 0.001.
    """
    low = labels.notna() & (values == 1) & labels.str.contains(_NOT_LIKELY, regex=True)
    if low.fillna(False).any():
        at = low[low.fillna(False)].index[0]
        return f"a 1-10 scale: label '1 - {labels[at]}' puts 'not likely' at 1", at
    answers = values.dropna()
    counts = answers.value_counts()
    ones, tens = int(counts.get(1.0, 0)), int(counts.get(10.0, 0))
    if (
        len(answers) >= 100
        and answers.min() >= 1
        and answers.max() <= 10
        and min(ones, tens) >= 10
    ):
        found = f"a 1-10 scale: no 0 in {len(answers)} answers, 1 chosen {ones} times, 10 {tens}"
        return found, None
    return None


# --------------------------------------------------------------------------- one source


@dataclass
class _Part:
    """One source file after mapping and coercion."""

    file: str
    frame: pd.DataFrame | None = None
    headers: dict[str, str] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    repairs: list[pd.DataFrame] = field(default_factory=list)


def _repair_rows(
    file: str, rows: np.ndarray, column: str | None, original, repaired, reason: str
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "file": file,
            "row": pd.array(rows, dtype="Int64"),
            "column": column,
            "original": original,
            "repaired": repaired,
            "reason": reason,
        }
    )


def _mapping(raw: RawTable, source: Source, schema: TableSchema, part: _Part) -> dict[str, str]:
    """Client header -> canonical name, with a problem for each header that is not there."""
    headers = list(raw.frame.columns)
    rename: dict[str, str] = {}
    for client, canonical in source.columns.items():
        if client in headers:
            rename[client] = canonical
            continue
        by_label = [h for h, text in raw.labels.items() if text == client and h not in rename]
        if len(by_label) == 1:
            rename[by_label[0]] = canonical
            continue
        close = difflib.get_close_matches(client, headers + list(raw.labels.values()), n=3)
        found = (
            "no such column; close matches: " + ", ".join(repr(c) for c in close)
            if close
            else "no such column; the headers are: " + ", ".join(repr(h) for h in headers[:12])
        )
        expected = f"a column headed {client!r} (mapped to {canonical} in engagement.yaml)"
        part.problems.append(Problem(part.file, None, client, expected, found))
    targets = Counter(rename.values())
    for canonical, count in targets.items():
        if count > 1:
            names = " and ".join(repr(h) for h, c in rename.items() if c == canonical)
            expected = f"one column mapped to {canonical}"
            part.problems.append(Problem(part.file, None, canonical, expected, f"{names}"))
    for header in headers:
        if header in rename:
            continue
        if header in targets:
            other = next(h for h, c in rename.items() if c == header)
            expected = f"one column for {header}"
            found = f"{header!r} in the file and {other!r} mapped to it"
            part.problems.append(Problem(part.file, None, header, expected, found))
            rename[header] = f"{header} (unmapped)"
        elif header in ("source_file", "source_row"):
            rename[header] = f"{header} (client)"
    return rename


def _drop_rows(raw: RawTable, rename: dict, schema: TableSchema, part: _Part) -> pd.DataFrame:
    """Drop blank rows and trailer rows (Total, Average ... with an empty id)."""
    frame = raw.frame
    blank = pd.Series(True, index=frame.index)
    for column in frame.columns:
        blank &= frame[column].isna() | (frame[column].str.strip() == "").fillna(False)
    first = (
        frame.iloc[:, 0].str.strip().str.rstrip(":").str.lower() if len(frame.columns) else None
    )
    trailer = pd.Series(False, index=frame.index) if first is None else first.isin(_TRAILERS)
    ids = [h for h, c in rename.items() if c in schema.columns and schema.columns[c].kind == "id"]
    for header in ids:
        if header != frame.columns[0]:
            trailer &= frame[header].isna()
    trailer = trailer.fillna(False) & ~blank
    for mask, reason in ((blank, "blank row dropped"), (trailer, "trailer row dropped")):
        if mask.any():
            rows = raw.row_numbers[mask.to_numpy()]
            original = frame.iloc[:, 0][mask].to_numpy() if reason.startswith("trailer") else ""
            part.repairs.append(_repair_rows(part.file, rows, None, original, "", reason))
    return frame[~(blank | trailer)]


def _set_wave(frame: pd.DataFrame, source: Source, rows: pd.Series, part: _Part) -> None:
    if source.wave is None:
        return
    if "wave" not in frame.columns:
        frame["wave"] = pd.Series(source.wave, index=frame.index, dtype="str")
        return
    text = frame["wave"].str.strip()
    other = text.notna() & (text != source.wave)
    if other.any():
        first, value = int(rows[other].iloc[0]), text[other].iloc[0]
        found = f"{int(other.sum())} rows with another wave, first {value!r} at row {first}"
        expected = f"wave {source.wave!r} as set for this file in engagement.yaml"
        part.problems.append(Problem(part.file, None, part.headers.get("wave"), expected, found))
    frame["wave"] = text.fillna(source.wave)


def _codes(engagement: Engagement, table: str, canonical: str, header: str) -> list[float]:
    if table != "responses":
        return []
    codes = engagement.survey.non_substantive_codes
    return list(codes.get(canonical, codes.get(header, [])))


def _coerce(frame, table, schema, source, engagement, rows, part) -> pd.DataFrame:
    """Convert every canonical column present from text to its kind."""
    for canonical, spec in schema.columns.items():
        if canonical not in frame.columns:
            continue
        header = part.headers.get(canonical, canonical)
        text = frame[canonical]
        codes = _codes(engagement, table, canonical, header)
        out = coerce(text, spec, date_format=source.date_format, codes=codes)
        if len(out.repairs):
            at = out.repairs.index
            part.repairs.append(
                _repair_rows(
                    part.file,
                    rows[at].to_numpy(),
                    header,
                    text[at].to_numpy(),
                    out.repairs["repaired"].to_numpy(),
                    out.repairs["reason"].to_numpy(),
                )
            )
        if out.issue:
            part.problems.append(Problem(part.file, None, header, *out.issue))
        part.problems += [
            Problem(part.file, int(r), header, out.expected, repr(v))
            for r, v in zip(rows[out.unread], text[out.unread], strict=True)
        ]
        if table == "responses" and canonical == "nps" and out.labels is not None:
            scale = _nps_scale(out.values, out.labels)
            if scale:
                row = None if scale[1] is None else int(rows[scale[1]])
                expected = (
                    "NPS answers on the 0-10 scale (0 = not at all likely); recode the export"
                )
                part.problems.append(Problem(part.file, row, header, expected, scale[0]))
        frame[canonical] = out.values
    return frame


def _load_source(
    source: Source, table: str, schema: TableSchema, engagement: Engagement, paths: EngagementPaths
) -> _Part:
    part = _Part(source.file)
    try:
        raw = read_export(paths.resolve(source.file), source, display_name=source.file)
    except (InputError, ConfigError) as exc:
        part.problems += exc.problems
        return part
    part.repairs.append(
        raw.repairs.assign(file=source.file)[REPAIR_COLUMNS]
        if len(raw.repairs)
        else _empty_repairs()
    )
    notes = [n for n in raw.notes if not n.startswith("repaired mojibake")]  # listed per cell
    part.repairs += [_repair_rows(source.file, [None], None, "", "", n) for n in notes]
    rename = _mapping(raw, source, schema, part)
    part.headers = {c: h for h, c in rename.items()} | {
        h: h for h in raw.frame.columns if h not in rename
    }
    frame = _drop_rows(raw, rename, schema, part)
    if frame.empty:
        found = "only the header row" if raw.frame.empty else "only blank or trailer rows"
        part.problems.append(Problem(source.file, None, None, "at least one data row", found))
        return part
    frame = frame.rename(columns=rename)
    rows = pd.Series(raw.row_numbers[frame.index.to_numpy()], index=frame.index)
    _set_wave(frame, source, rows, part)
    originals = frame.copy()
    frame = _coerce(frame, table, schema, source, engagement, rows, part)
    frame["source_file"] = pd.Series(source.file, index=frame.index, dtype="str")
    frame["source_row"] = rows.astype("int64")
    headers = {source.file: part.headers}
    part.problems += check_frame(
        frame, schema, part="cells", file=source.file, headers=headers, originals=originals
    )
    part.frame = frame
    return part


# --------------------------------------------------------------------------- tables


def _concat(parts: list[_Part], schema: TableSchema) -> pd.DataFrame:
    frames = [p.frame for p in parts if p.frame is not None]
    if not frames:
        columns = [*schema.columns, "source_file", "source_row"]
        return pd.DataFrame({c: pd.Series(dtype="str") for c in columns})
    frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    frame = frame.reset_index(drop=True)
    canonical = [c for c in schema.columns if c in frame.columns]
    trace = ("source_file", "source_row")
    extra = [c for c in frame.columns if c not in schema.columns and c not in trace]
    frame = frame[[*canonical, *extra, *trace]]
    types = {c: dtype_of(schema.columns[c]) for c in canonical} | dict.fromkeys(extra, "str")
    return frame.astype(types | {"source_file": "str", "source_row": "int64"})


def load_table(table: str, engagement: Engagement, paths: EngagementPaths) -> TableResult:
    r"""Load one canonical table from all its sources.

    Each source is read (:func:`cxlib.readers.read_export`), its headers mapped with
    ``columns:``, blank and trailer rows dropped, its ``wave`` set when the source names
    one, its cells converted to the canonical kinds and checked with pandera; then the
    sources are stacked and their ids checked for repeats across files.

    Parameters
    ----------
    table : str
        One of ``cxlib.config.TABLES``.
    engagement : Engagement
        The validated engagement.yaml.
    paths : EngagementPaths
        The engagement's paths (files are resolved inside its folder).

    Returns
    -------
    TableResult
        The typed table, every problem found and every repair made.

    Notes
    -----
    Conversions (all vectorised):

    * numbers: ``pd.to_numeric``; a score written with its label (``9 - Extremely
      likely``, ``Extremely likely (10)``) keeps the number (a repair); other text is a
      problem. Declared ``survey.non_substantive_codes`` of a responses column become
      missing (a repair each).
    * NPS on a 1-10 scale is a problem when the evidence is clear: a label putting "not
      likely" at 1, or over at least 100 answers no 0 while 1 and 10 are each chosen at
      least 10 times (about 0.5**10 = 0.001 by chance on a 0-10 scale, where 0 is chosen
      at least as often as 1).
    * dates: ISO 8601 always; else ``date_format`` of the source; else day/month order is
      inferred from the column (a first part above 12 means day first, a second part above
      12 means month first); when no part is above 12 the column is a problem asking for
      ``date_format``; two-digit years follow ``strptime`` (69-99 -> 1900s).
    * booleans: true/false, yes/no, y/n, 1/0 in any letter case.
    * missing-value markers (``NA``, ``N/A``, ``#N/A``, ``null``, ``none``, ``-``) in typed
      columns are read as empty (a repair each).

    Examples
    --------
    >>> import tempfile
    >>> from cxlib.config import Engagement
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "c.csv").write_text("Client,Left\nC1,yes\nC2,no\nTotal,\n")
    >>> config = Engagement.model_validate({"client": {"name": "Acme"},
    ...     "waves": {"labels": ["2026Q1"], "baseline": "2026Q1"},
    ...     "inputs": {"customers": {"file": "c.csv",
    ...                              "columns": {"Client": "customer_id", "Left": "churned"}},
    ...                "responses": []}})
    >>> result = load_table("customers", config, EngagementPaths(folder))
    >>> result.frame["churned"].tolist(), result.repairs["reason"].tolist()
    ([True, False], ['trailer row dropped'])
    """
    if table not in TABLES:
        raise ValueError(f"unknown table {table!r}; expected one of {', '.join(TABLES)}")
    schema = table_schema(table, engagement.survey)
    parts = [
        _load_source(s, table, schema, engagement, paths)
        for s in getattr(engagement.inputs, table)
    ]
    frame = _concat(parts, schema)
    problems = [p for part in parts for p in part.problems]
    if len(frame):
        headers = {part.file: part.headers for part in parts}
        problems += check_frame(frame, schema, part="keys", headers=headers)
    repairs = [r for part in parts for r in part.repairs if len(r)]
    repairs_frame = pd.concat(repairs, ignore_index=True) if repairs else _empty_repairs()
    repairs_frame = repairs_frame.astype({"row": "Int64"})
    return TableResult(frame, problems, repairs_frame, {p.file: p.headers for p in parts})


# --------------------------------------------------------------------------- engagement


def _isin(values: pd.Series, known: pd.Series) -> np.ndarray:
    """Vectorised membership of text values (pyarrow's hash join, fast for many ids)."""
    found = pc.is_in(
        pa.array(values.astype("str"), from_pandas=True),
        value_set=pa.array(known.dropna().astype("str"), from_pandas=True),
    )
    return np.asarray(found.fill_null(False))


def _unknown(
    result: TableResult, column: str, known: pd.Series, expected: str, noun: str
) -> list[Problem]:
    """One problem per file counting the values of ``column`` that are not ``known``."""
    frame = result.frame
    if column not in frame.columns or not len(frame):
        return []
    stray = frame[column].notna() & ~_isin(frame[column], known)
    problems = []
    for file, rows in frame[stray].groupby("source_file", sort=False):
        first = rows.head(5)
        listed = ", ".join(
            f"{v!r} (row {r})" for v, r in zip(first[column], first["source_row"], strict=True)
        )
        header = result.headers.get(str(file), {}).get(column, column)
        found = f"{len(rows)} row(s) with {noun} not found there, first: {listed}"
        problems.append(Problem(str(file), None, header, expected, found))
    return problems


def _cross_checks(engagement: Engagement, results: dict[str, TableResult]) -> list[Problem]:
    """Check values against other tables and against engagement.yaml."""
    problems: list[Problem] = []
    customers = results.get("customers")
    if customers is not None and "customer_id" in customers.frame.columns:
        known = customers.frame["customer_id"]
        expected = "customer ids that are in the customers table"
        for table in ("responses",):
            if table in results:
                problems += _unknown(results[table], "customer_id", known, expected, "ids")
    journey = engagement.journey
    if journey is not None and journey.touchpoints:
        known = pd.Series([t.id for t in journey.touchpoints], dtype="str")
        expected = "touchpoint ids listed under journey.touchpoints in engagement.yaml"
        for table in ("responses", "touchpoint_events", "initiatives"):
            if table in results:
                problems += _unknown(results[table], "touchpoint_id", known, expected, "ids")
    labels = pd.Series(engagement.waves.labels, dtype="str")
    expected = (
        "wave labels listed under waves.labels in engagement.yaml ("
        + ", ".join(engagement.waves.labels)
        + ")"
    )
    for table in ("responses", "employee_pulse"):
        if table in results:
            problems += _unknown(results[table], "wave", labels, expected, "wave labels")
    return problems


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _fingerprints(paths: EngagementPaths, engagement: Engagement | None) -> dict[str, str]:
    files = [paths.config, paths.codeframe]
    if engagement is not None:
        for table in TABLES:
            for source in getattr(engagement.inputs, table):
                try:
                    files.append(paths.resolve(source.file))
                except ConfigError:
                    continue
    root = paths.root.resolve()
    out = {}
    for file in files:
        file = file.resolve()
        if file.is_file():
            out[file.relative_to(root).as_posix()] = _sha256(file)
    return out


def _validate(folder: str | Path) -> tuple[ValidationReport, dict[str, pd.DataFrame]]:
    paths = EngagementPaths(Path(folder))
    try:
        engagement = load_engagement(paths.root)
    except ConfigError as exc:
        return ValidationReport(
            list(exc.problems), _empty_repairs(), {}, _fingerprints(paths, None)
        ), {}
    results = {
        table: load_table(table, engagement, paths)
        for table in TABLES
        if getattr(engagement.inputs, table)
    }
    problems = [p for r in results.values() for p in r.problems]
    problems += _cross_checks(engagement, results)
    repairs = [r.repairs for r in results.values() if len(r.repairs)]
    report = ValidationReport(
        problems=problems,
        repairs=pd.concat(repairs, ignore_index=True) if repairs else _empty_repairs(),
        rows={table: len(r.frame) for table, r in results.items()},
        fingerprints=_fingerprints(paths, engagement),
    )
    return report, {table: r.frame for table, r in results.items()}


def validate(engagement_dir: str | Path) -> ValidationReport:
    """Check engagement.yaml and every input; collect every problem before anything runs.

    Parameters
    ----------
    engagement_dir : str or Path
        The engagement folder.

    Returns
    -------
    ValidationReport
        Problems (configuration, every table, and across tables), repairs, row counts and
        the SHA-256 of every file read. Nothing is written.

    Notes
    -----
    A configuration error is reported as problems (no input is read then). Across tables:
    every ``responses.customer_id`` must be in ``customers``; every ``touchpoint_id`` (in
    responses, touchpoint_events, initiatives) must be one of ``journey.touchpoints`` when
    the journey lists touchpoints; every ``wave`` (responses, employee_pulse) must be one
    of ``waves.labels``. Each of these is one problem per file, with the count and the
    first rows.

    Examples
    --------
    >>> import tempfile
    >>> report = validate(tempfile.mkdtemp())
    >>> report.ok, report.problems[0].found
    (False, 'no such file')
    """
    return _validate(engagement_dir)[0]


def _write_atomic(out: Path, name: str, write) -> tuple[Path, Path]:
    handle, tmp = tempfile.mkstemp(dir=out, prefix=f".{name}.", suffix=".tmp")
    os.close(handle)
    write(Path(tmp))
    return Path(tmp), out / name


def ingest(
    engagement_dir: str | Path,
    out_dir: str | Path,
    *,
    on_valid: Callable[[ValidationReport], None] | None = None,
) -> ValidationReport:
    """Validate an engagement and write its clean tables, or nothing at all.

    Parameters
    ----------
    engagement_dir : str or Path
        The engagement folder.
    out_dir : str or Path
        Where ``<table>.parquet`` (one per configured table) and ``repairs.csv`` go;
        created when needed.
    on_valid : callable, optional
        Called with the report once every input is found valid, before anything is
        written: work that only a valid engagement needs (the runner's first kernel) starts
        there and overlaps the writing.

    Returns
    -------
    ValidationReport
        As :func:`validate`.

    Raises
    ------
    InputError
        With every problem, when any was found; ``out_dir`` is then left untouched.

    Notes
    -----
    Each file is written to a temporary name in ``out_dir`` and moved into place with
    ``os.replace`` only after every file has been written, so a failure leaves no partial
    output. Ids and wave labels stay text (``007`` is never 7).
    """
    report, frames = _validate(engagement_dir)
    if report.problems:
        raise InputError(report.problems)
    if on_valid is not None:
        on_valid(report)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: list[tuple[Path, Path]] = []
    try:
        for table, frame in frames.items():
            written.append(
                _write_atomic(
                    out, f"{table}.parquet", lambda p, f=frame: f.to_parquet(p, index=False)
                )
            )
        written.append(
            _write_atomic(out, "repairs.csv", lambda p: safe_csv(report.repairs, p, index=False))
        )
    except BaseException:
        for tmp, _ in written:
            tmp.unlink(missing_ok=True)
        raise
    for tmp, final in written:
        os.replace(tmp, final)
    return report
