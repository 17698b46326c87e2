"""Print a run's report pages to one PDF with headless Chromium.

The pages are printed in reading order (the executive summary, the steps in engagement
order, then the methods appendix), each starting on a new sheet, with the client's name and
the page's title in the footer. The printed files are merged with pypdf and every sheet gets
a "Page n of N" number, printed by Chromium too so the type matches.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from cxlib.errors import CxError

__all__ = ["CHROMIUM", "PdfExportError", "export_pdf", "report_pages"]

#: Debian's Chromium; the kit never downloads a browser.
CHROMIUM = "/usr/bin/chromium"
_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
_MARGIN = {"top": "15mm", "bottom": "18mm", "left": "14mm", "right": "14mm"}
_FOOTER = (
    '<div style="width:100%;margin:0 14mm;font-size:8px;color:#5F6368;'
    'font-family:Helvetica,Arial,sans-serif"><span class="title"></span></div>'
)


class PdfExportError(CxError):
    """The report could not be printed to PDF."""


def report_pages(reports: str | os.PathLike[str]) -> list[Path]:
    """Return a report folder's pages in reading order.

    Parameters
    ----------
    reports : path
        A ``reports/`` folder (or a run's ``html/`` folder).

    Returns
    -------
    list of Path
        ``index.html`` first, then the step pages in engagement order, then any other page,
        then ``methods.html``; only pages that exist.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> names = ("methods.html", "04_voc_analysis.html", "index.html", "01_mission_strategy.html")
    >>> for name in names:
    ...     _ = (folder / name).write_text("<html></html>")
    >>> [p.name for p in report_pages(folder)]
    ['index.html', '01_mission_strategy.html', '04_voc_analysis.html', 'methods.html']
    """
    from cxlib.run import STEPS

    folder = Path(reports)
    steps = [folder / s.page for s in STEPS]
    known = {folder / "index.html", folder / "methods.html", *steps}
    others = sorted(p for p in folder.glob("*.html") if p not in known)
    ordered = [folder / "index.html", *steps, *others, folder / "methods.html"]
    return [p for p in ordered if p.is_file()]


def export_pdf(
    engagement: str | os.PathLike[str],
    *,
    output: str | os.PathLike[str] | None = None,
    executable: str = CHROMIUM,
) -> Path:
    """Print an engagement's report (``reports/*.html``) to one PDF.

    Parameters
    ----------
    engagement : path
        The engagement folder; its ``reports/`` folder holds the pages.
    output : path, optional
        The PDF to write (default ``reports/<client-folder>-report.pdf``).
    executable : str, default "/usr/bin/chromium"
        The Chromium binary.

    Returns
    -------
    Path
        The PDF, written atomically.

    Raises
    ------
    PdfExportError
        If there is no report to print or Chromium cannot be started.

    Notes
    -----
    Chromium is driven through Playwright's DevTools connection with the network blocked
    (only ``file:`` and ``data:`` URLs load). Each page is printed on A4 with the page's
    print stylesheet and backgrounds; page numbers are stamped on the merged document.

    Examples
    --------
    >>> export_pdf("/nonexistent")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    cxlib.pdf.PdfExportError: no report pages in /nonexistent/reports; run the engagement first...
    """
    root = Path(engagement)
    reports = root / "reports"
    pages = report_pages(reports) if reports.is_dir() else []
    if not pages:
        raise PdfExportError(
            f"no report pages in {reports}; run the engagement first (cx run {root})"
        )
    out = Path(output) if output else reports / f"{root.resolve().name}-report.pdf"
    with tempfile.TemporaryDirectory(prefix="cx-pdf-") as tmp:
        parts = _print(pages, Path(tmp), executable)
        merged = _merge(parts, Path(tmp), executable)
        out.parent.mkdir(parents=True, exist_ok=True)
        staged = out.with_name(f".{out.name}.tmp")
        staged.write_bytes(merged.read_bytes())
        os.replace(staged, out)
    return out


def _launch(playwright, executable: str):
    try:
        return playwright.chromium.launch(executable_path=executable, args=_FLAGS)
    except Exception as exc:  # a missing or broken browser: say which and how to fix it
        raise PdfExportError(
            f"could not start Chromium at {executable} ({type(exc).__name__}); "
            "install it with: apt-get install chromium"
        ) from exc


def _offline(route) -> None:
    if route.request.url.startswith(("file:", "data:")):
        route.continue_()
    else:
        route.abort()


def _print(pages: list[Path], tmp: Path, executable: str) -> list[Path]:
    from playwright.sync_api import sync_playwright

    parts = []
    with sync_playwright() as pw:
        browser = _launch(pw, executable)
        try:
            context = browser.new_context()
            context.route("**/*", _offline)
            page = context.new_page()
            for number, path in enumerate(pages):
                page.goto(path.resolve().as_uri(), wait_until="load")
                part = tmp / f"{number:03d}.pdf"
                page.pdf(
                    path=str(part),
                    format="A4",
                    print_background=True,
                    display_header_footer=True,
                    header_template="<div></div>",
                    footer_template=_FOOTER,
                    margin=_MARGIN,
                )
                parts.append(part)
        finally:
            browser.close()
    return parts


def _numbers(total: int, tmp: Path, executable: str) -> Path:
    """One A4 sheet per page number, text only, to lay over the printed pages."""
    from playwright.sync_api import sync_playwright

    sheets = "".join(
        f'<div class="s"><span>Page {n} of {total}</span></div>' for n in range(1, total + 1)
    )
    doc = (
        "<!DOCTYPE html><html><head><style>@page{size:A4;margin:0}"
        "body{margin:0}.s{position:relative;height:297mm;break-after:page}"
        ".s span{position:absolute;right:14mm;bottom:8mm;font:8px Helvetica,Arial,sans-serif;"
        f"color:#5F6368}}</style></head><body>{sheets}</body></html>"
    )
    source = tmp / "numbers.html"
    source.write_text(doc, encoding="utf-8")
    out = tmp / "numbers.pdf"
    with sync_playwright() as pw:
        browser = _launch(pw, executable)
        try:
            page = browser.new_page()
            page.goto(source.as_uri())
            page.pdf(path=str(out), format="A4", margin={"top": "0", "bottom": "0"})
        finally:
            browser.close()
    return out


def _merge(parts: list[Path], tmp: Path, executable: str) -> Path:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for part in parts:
        writer.append(str(part))
    total = len(writer.pages)
    numbers = PdfReader(str(_numbers(total, tmp, executable)))
    if len(numbers.pages) < total:
        raise PdfExportError("could not lay out the page numbers")
    for index, sheet in enumerate(writer.pages):
        sheet.merge_page(numbers.pages[index])
    out = tmp / "report.pdf"
    with out.open("wb") as handle:
        writer.write(handle)
    return out
