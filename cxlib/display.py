"""The formatting path of the playbooks: Markdown, escaped client text, formatted tables.

Every number and every piece of customer text reaches a page through these helpers, so it is
formatted once and HTML-escaped. :mod:`cxlib.report` re-exports them, so playbooks call
``report.md``, ``report.table`` and ``report.escape``.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd
    from IPython.display import HTML, Markdown

__all__ = ["escape", "md", "table"]

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~$])")


def escape(text: str) -> str:
    r"""Make user text (a verbatim, a segment name) safe to place inside Markdown.

    Parameters
    ----------
    text : str
        Any text that came from data rather than from the playbook's author.

    Returns
    -------
    str
        The text with runs of whitespace (newlines too) collapsed to one space, Markdown
        punctuation backslash-escaped and ``& < > " '`` turned into HTML entities, so it shows
        literally: no emphasis, links, headings, math or HTML.

    Raises
    ------
    TypeError
        If ``text`` is not a str.

    See Also
    --------
    md : wraps the finished Markdown for display.

    Notes
    -----
    Markdown punctuation is escaped first and the HTML characters second, so the entities
    (``&lt;``) are never broken by a backslash.

    Examples
    --------
    >>> escape("<script>alert(1)</script> *great*")
    '&lt;script&gt;alert\\(1\\)&lt;/script&gt; \\*great\\*'
    """
    if not isinstance(text, str):
        raise TypeError(f"escape() takes a str, found {type(text).__name__}")
    collapsed = " ".join(text.split())
    return html.escape(_MD_SPECIAL.sub(r"\\\1", collapsed), quote=True)


def md(text: str) -> Markdown:
    """Display Markdown written by the playbook (numbers formatted, user text escaped).

    Parameters
    ----------
    text : str
        Markdown. Wrap every piece of user text in :func:`escape` before placing it here.

    Returns
    -------
    IPython.display.Markdown
        Shown as Markdown in JupyterLab and rendered as HTML on the client page.

    Raises
    ------
    TypeError
        If ``text`` is not a str.

    Examples
    --------
    >>> md("**NPS 31** among " + escape("Retail & SME")).data
    '**NPS 31** among Retail &amp; SME'
    """
    from IPython.display import Markdown

    if not isinstance(text, str):
        raise TypeError(f"md() takes a str, found {type(text).__name__}")
    return Markdown(text)


def table(
    df: pd.DataFrame,
    *,
    caption: str | None = None,
    percent_cols: Iterable[str] = (),
    decimals: int = 1,
    highlight_small_n: bool = True,
) -> HTML:
    """Display a result table for the client: escaped, formatted, small bases flagged.

    Parameters
    ----------
    df : DataFrame
        A tidy result (one row per group). The index is shown only when it is meaningful:
        named, or labelled with something other than integers.
    caption : str, optional
        Caption above the table (escaped).
    percent_cols : iterable of str, default ()
        Columns holding proportions in [0, 1], shown as percentages (0.423 as ``42.3%``).
    decimals : int, default 1
        Decimals for floats and percentages (0 to 6). Integers get thousands separators;
        ``p_value`` and ``p_adjusted`` columns are shown with three decimals, below 0.001 as
        ``< 0.001``; missing values as an en dash.
    highlight_small_n : bool, default True
        When the frame has a ``small_n`` column, hide it and mark its True rows: muted style
        and a "small base" badge, with a note under the table.

    Returns
    -------
    IPython.display.HTML
        ``<table class="cx-table">`` in a wrapper; every label and cell is HTML-escaped.

    Raises
    ------
    TypeError
        If ``df`` is not a DataFrame.
    ValueError
        If ``percent_cols`` names a missing column or ``decimals`` is out of range.

    See Also
    --------
    md : for sentences around the table.

    Examples
    --------
    >>> import pandas as pd
    >>> res = pd.DataFrame({"segment": ["<b>SME</b>", "Retail"], "estimate": [0.25, 0.4],
    ...                     "n": [12, 1400], "small_n": [True, False]}).set_index("segment")
    >>> out = table(res, percent_cols=["estimate"]).data
    >>> "&lt;b&gt;SME&lt;/b&gt;" in out, "25.0%" in out, "1,400" in out, "small base" in out
    (True, True, True, True)
    """
    import pandas as pd
    from IPython.display import HTML

    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"table() takes a DataFrame, found {type(df).__name__}")
    if isinstance(decimals, bool) or not isinstance(decimals, int) or not 0 <= decimals <= 6:
        raise ValueError(f"decimals must be an integer from 0 to 6, found {decimals!r}")
    percent = {percent_cols} if isinstance(percent_cols, str) else set(percent_cols)
    missing = sorted(map(str, percent - set(df.columns)))
    if missing:
        raise ValueError(f"percent_cols not in the table: {', '.join(missing)}")
    flags = None
    if highlight_small_n and "small_n" in df.columns:
        flags = df["small_n"].fillna(False).astype(bool).tolist()
        df = df.drop(columns="small_n")
    return HTML(_table_html(df, caption, percent, decimals, flags))


def _cell_formatter(series: pd.Series, name: Any, percent: set[Any], decimals: int) -> Any:
    import pandas as pd
    from pandas.api import types

    def missing(value: Any) -> bool:
        return value is None or (types.is_scalar(value) and bool(pd.isna(value)))

    if types.is_bool_dtype(series.dtype):
        fmt = lambda v: "yes" if v else "no"  # noqa: E731
    elif name in percent:
        fmt = lambda v: f"{float(v) * 100:,.{decimals}f}%"  # noqa: E731
    elif name in ("p_value", "p_adjusted") and types.is_numeric_dtype(series.dtype):
        fmt = lambda v: "< 0.001" if float(v) < 0.001 else f"{float(v):.3f}"  # noqa: E731
    elif types.is_integer_dtype(series.dtype):
        fmt = lambda v: f"{int(v):,}"  # noqa: E731
    elif types.is_float_dtype(series.dtype):
        fmt = lambda v: f"{float(v):,.{decimals}f}"  # noqa: E731
    elif types.is_datetime64_any_dtype(series.dtype):
        fmt = lambda v: v.isoformat(sep=" ").removesuffix(" 00:00:00")  # noqa: E731
    else:
        fmt = str
    numeric = types.is_numeric_dtype(series.dtype) and not types.is_bool_dtype(series.dtype)
    return (lambda v: "–" if missing(v) else fmt(v)), numeric


_WORDS = {
    "nps": "NPS",
    "csat": "CSAT",
    "ces": "CES",
    "ci": "CI",
    "id": "ID",
    "kpi": "KPI",
    "raci": "RACI",
    "pct": "%",
    "n": "n",
    "p": "p",
    "fcr": "FCR",
    "sd": "SD",
    "se": "SE",
}
_SNAKE = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")


def _heading(value: Any) -> str:
    """Column heading for a client: ``customer_measure`` -> ``Customer measure``."""
    text = _label(value)
    if not _SNAKE.match(text):
        return text
    words = [_WORDS.get(w, w) for w in text.split("_")]
    if words[0] == text.split("_")[0] and words[0] not in ("n", "p"):
        words[0] = words[0].capitalize()
    return " ".join(words)


def _label(value: Any) -> str:
    if isinstance(value, tuple):
        return " · ".join(str(part) for part in value if str(part))
    return "" if value is None else str(value)


def _table_html(
    df: pd.DataFrame, caption: str | None, percent: set[Any], decimals: int, flags: Any
) -> str:
    from pandas.api import types

    esc = functools.partial(html.escape, quote=True)
    index = df.index
    show_index = any(n is not None for n in index.names) or not types.is_integer_dtype(index)
    columns = []
    for position, name in enumerate(df.columns):
        fmt, numeric = _cell_formatter(df.iloc[:, position], name, percent, decimals)
        values = [esc(fmt(v)) for v in df.iloc[:, position].tolist()]
        columns.append((esc(_heading(name)), numeric, values))
    num_class = {True: ' class="cx-num"', False: ""}
    head = [f'<th scope="col">{esc(_heading(n))}</th>' for n in index.names] if show_index else []
    head += [f'<th scope="col"{num_class[num]}>{label}</th>' for label, num, _ in columns]
    badge = '<span class="cx-badge cx-badge--small">small base</span>'
    rows = []
    for i, key in enumerate(index):
        flagged = bool(flags and flags[i])
        mark = f" {badge}" if flagged else ""
        parts = list(key) if isinstance(key, tuple) else [key]
        cells = [f'<th scope="row">{esc(_label(p))}</th>' for p in parts] if show_index else []
        cells += [f"<td{num_class[num]}>{values[i]}</td>" for _, num, values in columns]
        if flagged and cells:  # the badge goes at the end of the row's first cell
            closing = cells[0].rindex("</")
            cells[0] = f"{cells[0][:closing]}{mark}{cells[0][closing:]}"
        row_class = ' class="cx-small-n"' if flagged else ""
        rows.append(f"<tr{row_class}>{''.join(cells)}</tr>")
    cap = f"<caption>{esc(caption)}</caption>" if caption else ""
    note = ""
    if flags and any(flags):
        note = (
            f'<p class="cx-table-note">{badge} Too few responses for a reliable estimate; '
            "read these rows as indicative only.</p>"
        )
    return (
        f'<div class="cx-table-wrap"><table class="cx-table">{cap}'
        f"<thead><tr>{''.join(head)}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
        f"{note}</div>"
    )
