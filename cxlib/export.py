"""Write tables for the client as CSV files that open safely in a spreadsheet.

A text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read
by Excel, LibreOffice and Google Sheets as a formula; a customer comment such as
``=HYPERLINK("http://evil.example", "click")`` would then run in the consultant's or the
client's spreadsheet. :func:`safe_csv` prefixes such cells with a single quote, as the OWASP
guidance on CSV injection recommends; numbers are left untouched.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["neutralise", "safe_csv"]

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """Return a cell value that a spreadsheet shows as text, never runs as a formula.

    Parameters
    ----------
    value : object
        One cell. Only ``str`` values are changed; numbers, dates, booleans and missing
        values are returned as they are.

    Returns
    -------
    object
        ``"'" + value`` when ``value`` is a str starting with ``= + - @``, a tab or a
        carriage return; otherwise ``value`` itself.

    Notes
    -----
    A negative number stored as a number (``-3.5``) is not a formula and is not changed; the
    same characters stored as text are, since a spreadsheet cannot tell them from the start
    of a formula such as ``-2+3+cmd|' /C calc'!A0``.

    References
    ----------
    OWASP Foundation, "CSV Injection",
    https://owasp.org/www-community/attacks/CSV_Injection

    Examples
    --------
    >>> neutralise("=1+2"), neutralise("@SUM(A1)"), neutralise("fine"), neutralise(-3.5)
    ("'=1+2", "'@SUM(A1)", 'fine', -3.5)
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def safe_csv(
    df: pd.DataFrame, path: str | os.PathLike[str] | Any, *, index: bool = False, **kwargs: Any
) -> Path | None:
    """Write ``df`` as CSV with every formula-like text cell neutralised.

    Parameters
    ----------
    df : DataFrame
        The table. It is not modified.
    path : path or writable file object
        Where to write (anything ``DataFrame.to_csv`` accepts).
    index : bool, default False
        Write the index as a column (its text labels are neutralised too).
    **kwargs
        Passed on to ``DataFrame.to_csv`` (``sep``, ``encoding``, ...).

    Returns
    -------
    Path or None
        ``path`` as a Path when a path was given, else None.

    Raises
    ------
    TypeError
        If ``df`` is not a DataFrame.

    See Also
    --------
    neutralise : the rule applied to each cell, column name and index label.

    Notes
    -----
    Text cells, column names and index labels starting with ``= + - @``, a tab or a carriage
    return get a leading ``'``. Numeric, boolean and datetime columns are written unchanged.

    References
    ----------
    OWASP Foundation, "CSV Injection",
    https://owasp.org/www-community/attacks/CSV_Injection

    Examples
    --------
    >>> import io
    >>> import pandas as pd
    >>> buf = io.StringIO()
    >>> _ = safe_csv(pd.DataFrame({"comment": ["=cmd|' /C calc'!A0", "ok"], "x": [-1, 2]}), buf)
    >>> print(buf.getvalue().strip())
    comment,x
    '=cmd|' /C calc'!A0,-1
    ok,2
    """
    import pandas as pd
    from pandas.api import types

    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"safe_csv() takes a DataFrame, found {type(df).__name__}")
    out = df.copy()
    for position in range(out.shape[1]):
        column = out.iloc[:, position]
        if types.is_numeric_dtype(column.dtype) or types.is_datetime64_any_dtype(column.dtype):
            continue
        out.isetitem(position, column.map(neutralise, na_action="ignore"))
    out.columns = [neutralise(c) for c in out.columns]
    if index:
        out.index = out.index.map(neutralise)
    out.to_csv(path, index=index, **kwargs)
    return Path(path) if isinstance(path, str | os.PathLike) else None
