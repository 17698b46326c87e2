"""A batch's outcome: one result per client, the summary table, the exit status.

:class:`ClientResult` is what :func:`cxlib.batch.run_client` returns for one client;
:class:`BatchResult` collects them. The summary (client, status, duration, failing step,
error, and a note such as a repaired report) is printed with :func:`format_summary` and
written as CSV and HTML by :func:`write_summary`: the HTML escapes every value, and the CSV
neutralises text that a spreadsheet would read as a formula. :func:`exit_code` gives the
``cx batch`` exit status:

- 0: every client done (or already up to date with ``--resume``);
- 1: only validation failures (engagement.yaml or inputs invalid: nothing was executed);
- 3: at least one client failed in a step, crashed, or hit an unexpected error;
- 130: the batch was interrupted (Ctrl-C); finished clients keep their reports.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import os
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "EXIT_INTERRUPTED",
    "EXIT_INVALID",
    "EXIT_OK",
    "EXIT_STEP_FAILED",
    "STATUSES",
    "SUMMARY_COLUMNS",
    "BatchResult",
    "ClientResult",
    "exit_code",
    "format_summary",
    "summary_csv",
    "summary_frame",
    "summary_html",
    "write_summary",
]

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_STEP_FAILED = 3
EXIT_INTERRUPTED = 130

#: Statuses a client can end in; the first two are successes.
STATUSES = (
    "done",
    "up to date",
    "invalid",
    "failed",
    "error",
    "crashed",
    "interrupted",
    "not run",
)
_OK = {"done", "up to date"}

SUMMARY_COLUMNS = [
    "client",
    "status",
    "seconds",
    "step",
    "error",
    "steps_run",
    "run_id",
    "notebook",
    "report",
    "attempts",
    "path",
    "note",
]


@dataclass(frozen=True)
class ClientResult:
    """What a batch did for one client.

    Attributes
    ----------
    client : str
        The client's label (its folder, as listed).
    path : str
        The engagement folder (absolute).
    status : str
        ``done``, ``up to date`` (``--resume`` found nothing stale), ``invalid``
        (configuration or inputs), ``failed`` (a step failed), ``error`` (anything
        unexpected), ``crashed`` (its worker process died), ``interrupted`` or ``not run``
        (the batch stopped first).
    seconds : float
        Wall time spent on the client.
    step : str
        The failing step, when a step failed.
    error : str
        One line describing the failure.
    steps_run : tuple of str
        Steps executed (empty when nothing ran).
    run_id : str
        The run folder under ``runs/`` (for ``up to date``: the report's run).
    notebook : str
        The kept executed notebook of a failed step.
    report : str
        The report's index page when the client is done.
    attempts : int
        How many times the client was started (a crashed worker is retried once).
    note : str
        What the consultant should know that is not a failure, whatever the status: what
        was repaired of a report promotion that an earlier, killed run left half done.
    """

    client: str
    path: str
    status: str
    seconds: float = 0.0
    step: str = ""
    error: str = ""
    steps_run: tuple[str, ...] = ()
    run_id: str = ""
    notebook: str = ""
    report: str = ""
    attempts: int = 1
    note: str = ""

    @property
    def ok(self) -> bool:
        """Whether the client's report is complete and current."""
        return self.status in _OK


@dataclass
class BatchResult:
    """Every client's outcome, in the order the clients were given.

    Attributes
    ----------
    results : list of ClientResult
        One per client.
    seconds : float
        Wall time of the whole batch.
    backend : str
        ``processes``, ``dask-local <scheduler address>`` or ``dask <scheduler address>``.
    workers : int
        Clients run at once (for a remote scheduler: the cluster's worker threads).
    interrupted : bool
        Whether the batch was stopped before every client finished.
    """

    results: list[ClientResult] = field(default_factory=list)
    seconds: float = 0.0
    backend: str = "processes"
    workers: int = 1
    interrupted: bool = False

    @property
    def exit_code(self) -> int:
        """The ``cx batch`` exit status (see the module docstring)."""
        return exit_code(self.results, interrupted=self.interrupted)


def exit_code(results: Sequence[ClientResult], *, interrupted: bool = False) -> int:
    """Exit status of a batch: 0 all fine, 1 only invalid clients, 3 any other failure.

    Parameters
    ----------
    results : sequence of ClientResult
        The clients' outcomes.
    interrupted : bool, default False
        Whether Ctrl-C stopped the batch (exit 130, whatever the results).

    Returns
    -------
    int
        The exit status.

    Examples
    --------
    >>> ok = ClientResult("a", "/a", "done")
    >>> bad = ClientResult("b", "/b", "invalid")
    >>> exit_code([ok]), exit_code([ok, bad]), exit_code([bad, ClientResult("c", "/c", "failed")])
    (0, 1, 3)
    """
    if interrupted:
        return EXIT_INTERRUPTED
    statuses = {r.status for r in results} - _OK
    if not statuses:
        return EXIT_OK
    if statuses == {"invalid"}:
        return EXIT_INVALID
    return EXIT_STEP_FAILED


def summary_frame(results: Sequence[ClientResult]):
    """Return the summary as a DataFrame, one row per client, in :data:`SUMMARY_COLUMNS`.

    Parameters
    ----------
    results : sequence of ClientResult
        The clients' outcomes.

    Returns
    -------
    pandas.DataFrame
        Columns ``client, status, seconds, step, error, steps_run, run_id, notebook,
        report, attempts, path, note``; ``steps_run`` joined with spaces.
    """
    import pandas as pd

    rows = []
    for r in results:
        row = asdict(r)
        row["steps_run"] = " ".join(r.steps_run)
        rows.append(row)
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_safe(value: Any) -> Any:
    """Keep a spreadsheet from reading text as a formula (OWASP CSV injection advice)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def summary_csv(results: Sequence[ClientResult]) -> str:
    r"""Return the summary as CSV text; text cells that look like formulas are neutralised.

    Parameters
    ----------
    results : sequence of ClientResult
        The clients' outcomes.

    Returns
    -------
    str
        CSV with a header row; a text cell starting with ``= + - @``, a tab or a carriage
        return gets a leading apostrophe so spreadsheets show it as text.

    Examples
    --------
    >>> text = summary_csv([ClientResult("=HYPERLINK(1)", "/c", "done", 1.5)])
    >>> text.splitlines()[1].split(",")[:3]
    ["'=HYPERLINK(1)", 'done', '1.5']
    """
    frame = summary_frame(results)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(frame.columns)
    for row in frame.itertuples(index=False):
        writer.writerow([_csv_safe(v) for v in row])
    return out.getvalue()


_STATUS_COLOUR = {
    "done": "#1b7837",
    "up to date": "#1b7837",
    "invalid": "#b35806",
    "interrupted": "#6a51a3",
    "not run": "#636363",
}


def summary_html(result: BatchResult, *, relative_to: Path | None = None) -> str:
    """Return the summary as one self-contained HTML page; every value is escaped.

    Parameters
    ----------
    result : BatchResult
        The batch.
    relative_to : Path, optional
        Folder the page will be saved in; links to reports and notebooks are made relative
        to it (absolute ``file:`` links otherwise).

    Returns
    -------
    str
        The page (no script, no external resource).
    """
    counts: dict[str, int] = {}
    for r in result.results:
        counts[r.status] = counts.get(r.status, 0) + 1
    tally = ", ".join(f"{n} {s}" for s, n in counts.items())
    stamp = dt.datetime.now().strftime("%Y-%m-%d %H:%M")

    def link(target: str, text: str) -> str:
        if not target:
            return ""
        path = Path(target)
        if relative_to is not None:
            href = Path(os.path.relpath(path, relative_to)).as_posix()
        else:
            href = path.as_uri() if path.is_absolute() else path.as_posix()
        return f'<a href="{html.escape(href, quote=True)}">{html.escape(text)}</a>'

    rows = []
    for r in result.results:
        colour = _STATUS_COLOUR.get(r.status, "#b2182b")
        rows.append(
            "<tr>"
            f"<td>{html.escape(r.client)}</td>"
            f'<td style="color:{colour};font-weight:bold">{html.escape(r.status)}</td>'
            f'<td class="num">{r.seconds:.1f}</td>'
            f"<td>{html.escape(r.step)}</td>"
            f"<td>{html.escape(r.error)}</td>"
            f"<td>{html.escape(r.note)}</td>"
            f"<td>{link(r.report if r.ok else '', 'report')}"
            f"{link(r.notebook, 'notebook')}</td>"
            "</tr>"
        )
    title = "Batch summary"
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{title}</title><style>"
        "body{font-family:Helvetica,Arial,sans-serif;margin:2em;color:#1a1a1a}"
        "table{border-collapse:collapse}th,td{border-bottom:1px solid #ddd;padding:.3em .6em;"
        "text-align:left;vertical-align:top}td.num{text-align:right}"
        "</style></head><body>"
        f"<h1>{title}</h1>"
        f"<p>{html.escape(stamp)}: {len(result.results)} client(s) ({html.escape(tally)}) "
        f"in {result.seconds:.1f} s on {html.escape(result.backend)} with "
        f"{result.workers} worker(s){' (interrupted)' if result.interrupted else ''}.</p>"
        "<table><thead><tr><th>Client</th><th>Status</th><th>Seconds</th><th>Failing step</th>"
        "<th>Error</th><th>Note</th><th>Links</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table></body></html>\n"
    )


def _write_text_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_summary(result: BatchResult, folder: str | Path) -> tuple[Path, Path]:
    """Write ``batch-summary.csv`` and ``batch-summary.html`` into ``folder``, atomically.

    Parameters
    ----------
    result : BatchResult
        The batch.
    folder : str or Path
        Where the two files go (created when needed; earlier summaries are replaced).

    Returns
    -------
    (Path, Path)
        The CSV and the HTML file.
    """
    folder = Path(folder).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    csv_path, html_path = folder / "batch-summary.csv", folder / "batch-summary.html"
    _write_text_atomic(csv_path, summary_csv(result.results))
    _write_text_atomic(html_path, summary_html(result, relative_to=folder))
    return csv_path, html_path


def format_summary(result: BatchResult, *, width: int = 60) -> str:
    """Return the summary as a plain-text table for the terminal.

    Parameters
    ----------
    result : BatchResult
        The batch.
    width : int, default 60
        Errors and notes longer than this are cut with an ellipsis (the CSV keeps them
        whole).

    Returns
    -------
    str
        One header line, one line per client, and a total line. A ``note`` column is added
        when a client has a note.

    Examples
    --------
    >>> res = BatchResult([ClientResult("acme", "/a", "done", 12.25)], seconds=13.0)
    >>> print(format_summary(res))
    client  status  seconds  step  error
    acme    done       12.2
    1 client(s) in 13.0 s: 1 done
    """

    def cut(text: str) -> str:
        return text if len(text) <= width else text[: width - 1] + "…"

    notes = any(r.note for r in result.results)
    rows = [("client", "status", "seconds", "step", "error") + (("note",) if notes else ())]
    for r in result.results:
        row = (r.client, r.status, f"{r.seconds:.1f}", r.step, cut(r.error))
        rows.append(row + ((cut(r.note),) if notes else ()))
    n = len(rows[0])
    widths = [max(len(row[i]) for row in rows) for i in range(n)]
    lines = []
    for row in rows:
        cells = [row[i].rjust(widths[i]) if i == 2 else row[i].ljust(widths[i]) for i in range(n)]
        lines.append("  ".join(cells).rstrip())
    counts: dict[str, int] = {}
    for r in result.results:
        counts[r.status] = counts.get(r.status, 0) + 1
    tally = ", ".join(f"{n} {s}" for s, n in counts.items())
    lines.append(f"{len(result.results)} client(s) in {result.seconds:.1f} s: {tally}")
    return "\n".join(lines)
