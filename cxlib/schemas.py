"""The canonical tables, declared as data, and their validation with pandera.

Every table the playbooks read (customers, responses, touchpoint_events, stakeholders,
initiatives, contacts, employee_pulse) is declared once here: each column's kind (``id``,
``str``, ``int``, ``float``, ``bool``, ``datetime``, ``category`` with its allowed values,
``score`` with its range), whether it is required, and whether its values must be unique.
Columns a client file has beyond these are kept as text.

:func:`pandera_schema` builds a pandera ``DataFrameSchema`` from a declaration and
:func:`check_frame` runs it with ``lazy=True``, turning each of pandera's failure cases into
a :class:`~cxlib.errors.Problem` that names the file, the spreadsheet row, the column header
as the client wrote it, what was expected in words and what was found.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
import pandas as pd
import pandera.pandas as pa

from cxlib.config import TABLES, Survey
from cxlib.errors import Problem

__all__ = [
    "CANONICAL",
    "ColumnSpec",
    "TableSchema",
    "check_frame",
    "dtype_of",
    "pandera_schema",
    "table_schema",
]

Kind = Literal["id", "str", "int", "float", "bool", "datetime", "category", "score"]

_BOOL_WORDS = "true/false, yes/no, y/n or 1/0"
_BOOLS = {"true": True, "false": False, "yes": True, "no": False, "y": True, "n": False}
_BOOLS |= {"1": True, "0": False, "1.0": True, "0.0": False}
_NUM = r"[+-]?\d+(?:\.\d+)?"


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


@dataclass(frozen=True)
class ColumnSpec:
    """One canonical column.

    Attributes
    ----------
    kind : str
        ``id`` (text identifier), ``str`` (free text), ``int``, ``float``, ``bool``,
        ``datetime``, ``category`` (one of ``allowed``) or ``score`` (a rating in
        ``low``..``high``).
    required : bool
        The column must be present (and, for ``id`` keys, filled on every row).
    unique : bool
        No value may appear twice in the table (across all its files).
    nullable : bool
        Empty cells are allowed.
    allowed : tuple of str
        Allowed values of a ``category``.
    low, high : float or None
        Inclusive bounds; ``low_open`` makes the lower bound exclusive (``weight > 0``).
    whole : bool
        Values must be whole numbers (scores such as NPS 0-10).
    description : str
        What the column holds, for docs and messages.
    """

    kind: Kind
    required: bool = False
    unique: bool = False
    nullable: bool = True
    allowed: tuple[str, ...] = ()
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    whole: bool = False
    description: str = ""

    @property
    def expected(self) -> str:
        """What a valid cell looks like, in words (used in every message)."""
        if self.kind == "category":
            return "one of " + ", ".join(self.allowed)
        if self.kind == "bool":
            return _BOOL_WORDS
        if self.kind == "datetime":
            return "a date such as 2026-03-31"
        if self.kind in ("id", "str"):
            return "text"
        noun = "a whole number" if self.kind == "int" else "a number"
        if self.low is not None and self.high is not None:
            return f"{noun} {_num(self.low)}-{_num(self.high)}"
        if self.low is not None:
            return f"{noun} {'greater than' if self.low_open else 'at least'} {_num(self.low)}"
        return noun

    @property
    def expected_whole(self) -> str:
        """The wording of a failed whole-number check."""
        return self.expected.replace("a number", "a whole number", 1)


@dataclass(frozen=True)
class TableSchema:
    """One canonical table: its columns and table-level rules.

    Attributes
    ----------
    name : str
        Table name (one of ``cxlib.config.TABLES``).
    columns : dict
        Canonical column name -> :class:`ColumnSpec`, in their canonical order.
    one_of : tuple of tuple of str
        Groups of columns of which at least one must be present (``engaged`` or ``score``).
    """

    name: str
    columns: Mapping[str, ColumnSpec]
    one_of: tuple[tuple[str, ...], ...] = field(default=())

    @property
    def key(self) -> str | None:
        """The unique identifier column, if the table has one."""
        return next((n for n, c in self.columns.items() if c.unique), None)


def _id(required: bool = False, unique: bool = False, description: str = "") -> ColumnSpec:
    return ColumnSpec(
        "id", required=required, unique=unique, nullable=not required, description=description
    )


def _score(low: float, high: float, description: str) -> ColumnSpec:
    return ColumnSpec("score", low=low, high=high, whole=True, description=description)


_SURVEYS = ("relationship", "transactional")

#: The canonical tables of DESIGN.md. Survey attributes are added by :func:`table_schema`.
CANONICAL: dict[str, TableSchema] = {
    "customers": TableSchema(
        "customers",
        {
            "customer_id": _id(True, True, "The customer's id, unique."),
            "signup_date": ColumnSpec("datetime", description="When the customer joined."),
            "region": ColumnSpec("str", description="Region or market."),
            "primary_channel": ColumnSpec("str", description="Channel used most."),
            "tenure_months": ColumnSpec("float", low=0, description="Months as a customer."),
            "annual_revenue": ColumnSpec("float", description="Revenue per year."),
            "churned": ColumnSpec("bool", description="Whether the customer has left."),
            "churn_date": ColumnSpec("datetime", description="When the customer left."),
        },
    ),
    "responses": TableSchema(
        "responses",
        {
            "response_id": _id(True, True, "The response's id, unique."),
            "customer_id": _id(description="The customer who answered."),
            "wave": ColumnSpec("id", required=True, nullable=False, description="Wave label."),
            "responded_at": ColumnSpec("datetime", description="When the answer was given."),
            "survey": ColumnSpec("category", allowed=_SURVEYS, description="Survey type."),
            "touchpoint_id": _id(description="Touchpoint the answer is about."),
            "channel": ColumnSpec("str", description="Channel of the interaction."),
            "nps": _score(0, 10, "Likelihood to recommend, 0-10."),
            "csat": _score(1, 5, "Satisfaction, 1-5."),
            "ces": _score(1, 7, "Customer effort, 1-7."),
            "comment": ColumnSpec("str", description="Free-text comment."),
            "weight": ColumnSpec("float", low=0, low_open=True, description="Survey weight."),
        },
    ),
    "touchpoint_events": TableSchema(
        "touchpoint_events",
        {
            "customer_id": _id(True, description="The customer."),
            "touchpoint_id": _id(True, description="The touchpoint."),
            "occurred_at": ColumnSpec("datetime", description="When it happened."),
            "completed": ColumnSpec("bool", description="Whether the task was completed."),
            "duration_s": ColumnSpec("float", low=0, description="Duration in seconds."),
            "csat": _score(1, 5, "Satisfaction, 1-5."),
            "effort": _score(1, 7, "Effort, 1-7 (as CES)."),
        },
    ),
    "stakeholders": TableSchema(
        "stakeholders",
        {
            "person": ColumnSpec("str", required=True, nullable=False, description="Name."),
            "title": ColumnSpec("str", description="Job title."),
            "department": ColumnSpec("str", description="Department."),
            "level": ColumnSpec(
                "category", allowed=("executive", "manager", "frontline"), description="Level."
            ),
            "cx_role": ColumnSpec("str", description="Role in the CX programme."),
        },
    ),
    "initiatives": TableSchema(
        "initiatives",
        {
            "initiative_id": _id(True, True, "The initiative's id, unique."),
            "title": ColumnSpec("str", required=True, description="What it is."),
            "touchpoint_id": _id(description="Touchpoint it improves."),
            "proposed_by": ColumnSpec("str", description="Who proposed it."),
            "proposed_at": ColumnSpec("datetime", description="When it was proposed."),
            "status": ColumnSpec("str", description="Status, e.g. proposed, approved, done."),
            "impact": ColumnSpec("float", description="Expected impact score."),
            "effort": ColumnSpec("float", description="Expected effort score."),
            "cost": ColumnSpec("float", low=0, description="Cost."),
            "owner": ColumnSpec("str", description="Who owns it."),
            "decided_at": ColumnSpec("datetime", description="When it was decided."),
            "implemented_at": ColumnSpec("datetime", description="When it went live."),
        },
    ),
    "contacts": TableSchema(
        "contacts",
        {
            "customer_id": _id(True, description="The customer contacted."),
            "contacted_at": ColumnSpec("datetime", required=True, description="When."),
            "survey": ColumnSpec("category", allowed=_SURVEYS, description="Survey type."),
        },
    ),
    "employee_pulse": TableSchema(
        "employee_pulse",
        {
            "employee_id": _id(True, description="The employee (anonymised)."),
            "department": ColumnSpec("str", description="Department."),
            "wave": ColumnSpec("id", description="Wave label."),
            "engaged": ColumnSpec("bool", description="Whether the employee is engaged."),
            "score": ColumnSpec("float", description="Engagement score."),
        },
        one_of=(("engaged", "score"),),
    ),
}


def table_schema(table: str, survey: Survey | None = None) -> TableSchema:
    """Return the declaration of a canonical table, with survey attributes for responses.

    Parameters
    ----------
    table : str
        One of ``cxlib.config.TABLES``.
    survey : Survey, optional
        The ``survey:`` settings; its ``attributes`` become score columns of ``responses``
        on ``attribute_scale``.

    Returns
    -------
    TableSchema
        The declaration.

    Examples
    --------
    >>> s = table_schema("responses", Survey(attributes=["speed"], attribute_scale=(1, 7)))
    >>> s.columns["speed"].expected, s.columns["nps"].expected, s.key
    ('a number 1-7', 'a number 0-10', 'response_id')
    """
    if table not in TABLES:
        raise ValueError(f"unknown table {table!r}; expected one of {', '.join(TABLES)}")
    schema = CANONICAL[table]
    if table != "responses" or survey is None or not survey.attributes:
        return schema
    low, high = survey.attribute_scale
    extra = {a: _score(low, high, f"Attribute rating, {low}-{high}.") for a in survey.attributes}
    return replace(schema, columns={**schema.columns, **extra})


def dtype_of(spec: ColumnSpec) -> str:
    """Return the pandas dtype a column of this kind has after coercion.

    Parameters
    ----------
    spec : ColumnSpec
        The column.

    Returns
    -------
    str
        ``str`` for text kinds, ``float64`` for numbers (missing as NaN, so NumPy code
        works unchanged), ``boolean`` (nullable) and ``datetime64[us]``.
    """
    return {"bool": "boolean", "datetime": "datetime64[us]"}.get(
        spec.kind, "float64" if spec.kind in ("int", "float", "score") else "str"
    )


def _checks(spec: ColumnSpec) -> list[pa.Check]:
    checks = []
    if spec.kind == "category":
        checks.append(pa.Check.isin(list(spec.allowed), error=spec.expected))
    if spec.low is not None and spec.high is not None:
        checks.append(pa.Check.in_range(spec.low, spec.high, error=spec.expected))
    elif spec.low is not None:
        bound = pa.Check.gt if spec.low_open else pa.Check.ge
        checks.append(bound(spec.low, error=spec.expected))
    if spec.whole or spec.kind == "int":
        checks.append(pa.Check(lambda s: s == np.floor(s), error=spec.expected_whole))
    return checks


def pandera_schema(
    schema: TableSchema, *, part: Literal["all", "cells", "keys"] = "all"
) -> pa.DataFrameSchema:
    """Build the pandera schema of a canonical table.

    Parameters
    ----------
    schema : TableSchema
        The declaration.
    part : {"all", "cells", "keys"}
        ``cells``: presence, types, ranges, allowed values and empty keys (run on each file);
        ``keys``: uniqueness only (run on all files of a table together); ``all``: both.

    Returns
    -------
    pandera.DataFrameSchema
        A non-strict schema: extra columns pass.

    Examples
    --------
    >>> sorted(pandera_schema(table_schema("contacts")).columns)
    ['contacted_at', 'customer_id', 'survey']
    """
    columns = {}
    for name, spec in schema.columns.items():
        if part == "keys":
            if spec.unique:
                columns[name] = pa.Column(None, unique=True, nullable=True, required=False)
            continue
        columns[name] = pa.Column(
            dtype_of(spec),
            checks=_checks(spec),
            nullable=spec.nullable,
            unique=spec.unique and part == "all",
            required=spec.required,
        )
    checks = _one_of_checks(schema) if part != "keys" else []
    return pa.DataFrameSchema(columns, checks=checks, strict=False, name=schema.name)


def _one_of_checks(schema: TableSchema) -> list[pa.Check]:
    checks = []
    for group in schema.one_of:
        words = " or ".join(group)
        checks.append(
            pa.Check(
                lambda df, group=group: any(c in df.columns for c in group),
                error=f"a column for {words}",
            )
        )
    return checks


def _where(
    frame: pd.DataFrame, positions: np.ndarray, file: str, file_column: str, row_column: str
) -> tuple[list[str], list[int | None]]:
    """File and spreadsheet row of each frame position."""
    if file_column in frame.columns:
        files = frame[file_column].to_numpy()[positions].astype(str).tolist()
    else:
        files = [file] * len(positions)
    if row_column in frame.columns:
        rows = [int(r) for r in frame[row_column].to_numpy()[positions]]
    else:
        rows = [None] * len(positions)
    return files, rows


def _found(value: object) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "an empty cell"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return repr(str(value))


def _duplicates(
    cases: pd.DataFrame, column: str, header: Mapping, files: list, rows: list
) -> list[Problem]:
    """One problem per repeated value, naming the row where it first appeared."""
    problems = []
    cases = cases.assign(file=files, row=rows).sort_values("pos", kind="stable")
    for _, group in cases.groupby("failure_case", sort=False):
        first_file, first_row = group["file"].iloc[0], group["row"].iloc[0]
        for file, row, value in group[["file", "row", "failure_case"]].iloc[1:].to_numpy():
            where = f"row {first_row}" + (f" of {first_file}" if file != first_file else "")
            found = f"{_found(value)} again; first at {where}"
            label = header.get(file, {}).get(column, column)
            problems.append(Problem(file, row, label, f"a unique {column} (each id once)", found))
    return problems


def check_frame(
    frame: pd.DataFrame,
    schema: TableSchema,
    *,
    part: Literal["all", "cells", "keys"] = "all",
    file: str = "",
    headers: Mapping[str, Mapping[str, str]] | None = None,
    originals: pd.DataFrame | None = None,
    file_column: str = "source_file",
    row_column: str = "source_row",
) -> list[Problem]:
    """Validate a coerced canonical table with pandera and describe every failure.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table with canonical column names and coerced dtypes (see :func:`dtype_of`);
        its index must be unique.
    schema : TableSchema
        The declaration to check against.
    part : {"all", "cells", "keys"}
        Which checks to run (see :func:`pandera_schema`).
    file : str
        The file named in problems when ``frame`` has no ``file_column``.
    headers : mapping, optional
        File -> canonical name -> the header as the client's file has it, so messages
        use the client's words. Missing entries fall back to the canonical name.
    originals : pandas.DataFrame, optional
        The cells as read (text), same index and canonical column names, quoted as
        "found" instead of the coerced value.
    file_column, row_column : str
        Columns of ``frame`` holding each row's file and spreadsheet row.

    Returns
    -------
    list of Problem
        Every failure, in pandera's order; an empty list when the table is valid.

    Notes
    -----
    The validation is lazy (``lazy=True``), so every failing cell is reported in one pass.
    A repeated key gives one problem per repetition, naming the row of its first
    occurrence.

    Examples
    --------
    >>> frame = pd.DataFrame({"customer_id": pd.Series(["C1", "C2"], dtype="str"),
    ...                       "contacted_at": pd.to_datetime(["2026-01-05", "2026-01-06"]),
    ...                       "survey": pd.Series(["relationship", "weekly"], dtype="str"),
    ...                       "source_file": "log.csv", "source_row": [2, 3]})
    >>> for problem in check_frame(frame, table_schema("contacts")):
    ...     print(problem.file, problem.row, problem.column, problem.found)
    log.csv 3 survey 'weekly'
    """
    if not frame.index.is_unique:
        raise ValueError("frame must have a unique index")
    try:
        pandera_schema(schema, part=part).validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        where = {"file": file, "file_column": file_column, "row_column": row_column}
        return _problems(exc.failure_cases, frame, schema, headers or {}, originals, where)
    return []


def _problems(
    cases: pd.DataFrame,
    frame: pd.DataFrame,
    schema: TableSchema,
    headers: Mapping[str, Mapping[str, str]],
    originals: pd.DataFrame | None,
    where: dict,
) -> list[Problem]:
    """Turn pandera's failure cases into problems in the client's words."""
    problems: list[Problem] = []
    file = where["file"]
    frame_level = cases["schema_context"] == "DataFrameSchema"
    for value, check in cases.loc[frame_level, ["failure_case", "check"]].itertuples(index=False):
        if check == "column_in_dataframe":
            spec = schema.columns[str(value)]
            expected = (
                f"a column for {value} ({spec.description.rstrip('.').lower()}); "
                "map a header to it under columns: in engagement.yaml"
            )
            problems.append(Problem(file, None, str(value), expected, "no such column"))
        else:
            problems.append(Problem(file, None, None, str(check), "no such column"))
    cells = cases[~frame_level]
    for (column, check), group in cells.groupby(["column", "check"], sort=False):
        column = str(column)
        spec = schema.columns[column]
        index = group["index"]
        if index.isna().all():  # a whole-column failure, such as a wrong dtype
            found = ", ".join(str(v) for v in group["failure_case"])
            problems.append(Problem(file, None, column, spec.expected, f"values of type {found}"))
            continue
        positions = frame.index.get_indexer(index.to_numpy())
        files, rows = _where(frame, positions, file, where["file_column"], where["row_column"])
        if check == "field_uniqueness":
            group = group.assign(pos=positions)
            problems += _duplicates(group, column, headers, files, rows)
            continue
        if check == "not_nullable":
            expected, found = (
                "a value (this column may not be empty)",
                ["an empty cell"] * len(rows),
            )
        else:
            expected = str(check)
            values = group["failure_case"].tolist()
            if originals is not None and column in originals.columns:
                raw = originals[column].to_numpy()[positions]
                values = [r if isinstance(r, str) else v for r, v in zip(raw, values, strict=True)]
            found = [_found(v) for v in values]
        problems += [
            Problem(f, r, headers.get(f, {}).get(column, column), expected, x)
            for f, r, x in zip(files, rows, found, strict=True)
        ]
    return problems
