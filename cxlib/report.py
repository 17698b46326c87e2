"""Client-ready HTML: one self-contained page per executed playbook, and the executive summary.

A page is the executed notebook rendered by nbconvert with the kit's ``cx`` template
(``cxlib/templates/cx``): outputs only, no code, prompts, stderr, warnings, tracebacks or
widgets, a branded cover block, a table of contents, and nothing loaded from the network (a
Content-Security-Policy in each page also forbids it). The index page is rendered with jinja2
from the same blocks and stylesheet.

The small helpers :func:`md`, :func:`table` and :func:`escape` are the only formatting path
the playbooks use, so every number and every piece of customer text reaches the page the same
way: formatted here and HTML-escaped.
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import functools
import html
import os
import re
import tempfile
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cxlib import __version__
from cxlib.display import escape, md, table
from cxlib.errors import ConfigError, CxError, Problem
from cxlib.offline import check_offline

if TYPE_CHECKING:
    import jinja2
    from nbformat import NotebookNode

    from cxlib.config import Branding

__all__ = [
    "PageNotClientReady",
    "PageNotSelfContained",
    "PageSummary",
    "ReportError",
    "check_offline",
    "escape",
    "md",
    "render_index",
    "render_page",
    "table",
]

_TEMPLATES = Path(__file__).resolve().parent / "templates"
_CX = _TEMPLATES / "cx"
_CSP = (
    "default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
    "base-uri 'none'; form-action 'none'"
)
_TOC_MARK = "<!--cx-toc-->"
_REMOVE_CELL_TAGS = ("remove-cell", "parameters", "injected-parameters")
_PAPERMILL_ERROR_TAG = "papermill-error-cell-tag"
_WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
_STATIC_MIMES = (
    "text/html",
    "text/markdown",
    "image/svg+xml",
    "image/png",
    "image/jpeg",
    "text/latex",
    "text/plain",
)
# Reprs of objects returned by the last line of a cell: <Axes: >, <Figure size 640x480 ...>,
# [<matplotlib.lines.Line2D at 0x...>], Text(0.5, 1.0, 'Title'), <seaborn.axisgrid.FacetGrid ...>
_STRAY_REPR = re.compile(
    r"^\s*\[?\s*(?:(?:<[A-Za-z_][^<>\n]*>|Text\([^\n]*\))\s*,?\s*)+\]?\s*$", re.DOTALL
)
_MONTHS = (
    "January February March April May June July August September October November December"
).split()
_EXPORT_LOCK = threading.Lock()


# --------------------------------------------------------------------------------------------
# Errors and the index model
# --------------------------------------------------------------------------------------------


class ReportError(CxError):
    """A page could not be rendered as a client-ready report."""


class PageNotClientReady(ReportError):
    """An executed notebook holds an error output; its page would show a failure to the client.

    Attributes
    ----------
    notebook : str
        The notebook's file name.
    cell : int
        Position of the failing cell, counting from 1 at the top of the notebook.
    cell_id : str or None
        The cell's nbformat id, when it has one.
    error : str
        ``ExceptionName: message`` from the error output.
    """

    def __init__(self, notebook: str, cell: int, cell_id: str | None, error: str):
        self.notebook, self.cell, self.cell_id, self.error = notebook, cell, cell_id, error
        ident = f" (id {cell_id})" if cell_id else ""
        super().__init__(
            f"{notebook}: cell {cell}{ident} failed with {error}; "
            "fix the step and run it again before rendering the page"
        )


class PageNotSelfContained(ReportError):
    """A rendered page refers to something outside itself (a URL or a local file).

    Attributes
    ----------
    page : str
        The page being rendered.
    references : list of str
        Every external reference found, as :func:`check_offline` reports them.
    """

    def __init__(self, page: str, references: list[str]):
        self.page, self.references = page, list(references)
        shown = "\n".join(f"  - {ref}" for ref in self.references[:20])
        super().__init__(
            f"{page} would load {len(self.references)} resource(s) from outside the page; "
            f"embed them (images as data URIs) or remove them:\n{shown}"
        )


_STATUS_CLASS = {
    **dict.fromkeys(("ok", "done", "success", "succeeded", "passed", "complete"), "ok"),
    **dict.fromkeys(("failed", "error", "errored"), "failed"),
    **dict.fromkeys(("skipped", "not run", "stale", "pending"), "muted"),
}


@dataclass(frozen=True)
class PageSummary:
    """One step's card on the executive summary.

    Attributes
    ----------
    title : str
        The step's page title.
    href : str
        Relative link to the step's page (empty for a step without a page).
    headline : str
        One plain-text sentence with the step's main finding; it is escaped, never interpreted.
    status : str
        Short status shown as a badge (``ok``, ``failed``, ``skipped``, or any other word).
    """

    title: str
    href: str
    headline: str
    status: str

    def __post_init__(self) -> None:
        for name in ("title", "href", "headline", "status"):
            if not isinstance(getattr(self, name), str):
                raise TypeError(f"PageSummary.{name} must be a str")
        if self.href:
            _check_href(self.href, "PageSummary.href")


# --------------------------------------------------------------------------------------------
# Pages
# --------------------------------------------------------------------------------------------


def render_page(
    notebook: str | os.PathLike[str] | NotebookNode,
    out_path: str | os.PathLike[str],
    *,
    brand: Branding,
    logo_path: Path | None = None,
    subtitle: str = "",
    run_facts: dict[str, str] | None = None,
    nav: list[tuple[str, str]] | None = None,
) -> Path:
    r"""Render one executed playbook as a client-ready, self-contained HTML page.

    The page shows the narrative and the outputs only: code, prompts, stderr (so warnings and
    log lines), widget views, the parameters cells, cells tagged ``remove-cell`` and the
    outputs of cells tagged ``remove-output`` are left out, as are stray object reprs such as
    ``<Axes: >``. The notebook's first H1 becomes the page title in a branded cover block with
    the logo, client, consultant, date and run facts; a table of contents links the H2 sections.

    Parameters
    ----------
    notebook : path or NotebookNode
        The executed notebook (papermill's output). A NotebookNode is copied, not modified.
    out_path : path
        Where to write the page; the folder is created if needed.
    brand : Branding
        Client name, consultant, colours and fonts. ``brand.logo`` is not read here (it is
        relative to the engagement folder); pass the resolved file as ``logo_path``.
    logo_path : Path, optional
        Logo file (PNG, JPEG or SVG), embedded as a data URI.
    subtitle : str, default ""
        Line under the title (for example the wave).
    run_facts : dict of str to str, optional
        Labelled facts shown in the cover block and footer (run id, kit version, wave);
        facts with an empty value are left out.
    nav : list of (title, href), optional
        Links to the run's other pages, relative hrefs only; the link to this page is marked.

    Returns
    -------
    Path
        ``out_path``, written atomically (a temporary file in the same folder, then
        ``os.replace``), so a reader never sees half a page.

    Raises
    ------
    PageNotClientReady
        If any cell holds an error output (or papermill's error banner), naming the cell.
    PageNotSelfContained
        If the page would still load something from outside itself, such as a markdown image
        pointing to a URL.
    ConfigError
        If the logo is missing or not PNG, JPEG or SVG, or the font list is not plain CSS.
    TypeError, ValueError
        For arguments of the wrong type or hrefs that are not relative links.

    See Also
    --------
    render_index : the executive summary linking the pages.
    check_offline : the self-containment check applied to every page.

    Notes
    -----
    The nbconvert exporter is built once per process and reused (rendering is serialised with
    a lock, since nbconvert exporters are not thread-safe). Dates come from papermill's
    ``end_time`` when present, so a re-render shows when the numbers were produced.

    Examples
    --------
    >>> import tempfile, nbformat
    >>> from nbformat.v4 import new_markdown_cell, new_notebook
    >>> from cxlib.config import Branding
    >>> nb = new_notebook(cells=[new_markdown_cell("# Voice of the customer\n\n## NPS\nText.")])
    >>> out = render_page(nb, Path(tempfile.mkdtemp()) / "voc.html",
    ...                   brand=Branding(client_name="Acme"))
    >>> page = out.read_text(encoding="utf-8")
    >>> "Voice of the customer" in page, 'href="#NPS"' in page, check_offline(page)
    (True, True, [])
    """
    out = Path(out_path)
    facts = _facts(run_facts)
    links = _nav(nav)
    if not isinstance(subtitle, str):
        raise TypeError("subtitle must be a str")
    nb, name, folder = _load(notebook)
    _raise_on_errors(nb, name)
    _stable_ids(nb)
    title = _pop_title(nb) or str(nb.metadata.get("title") or Path(name).stem.replace("_", " "))
    _keep_client_outputs(nb)
    nb.metadata["title"] = f"{title} · {brand.client_name}"
    blocks = _blocks()
    masthead = blocks.masthead(
        brand, _logo_uri(logo_path), title, subtitle, *_date(nb), facts, links, out.name
    )
    resources = {
        "metadata": {"name": Path(name).stem, "path": str(folder or Path.cwd())},
        "cx": {
            "css": _stylesheet(brand),
            "csp": _CSP,
            "version": __version__,
            "masthead": masthead,
            "footer": blocks.footer(brand, facts),
        },
    }
    with _EXPORT_LOCK:
        body, _ = _exporter().from_notebook_node(nb, resources=resources)
    page = _with_alt_text(_with_toc(body, blocks))
    _require_self_contained(page, out.name)
    return _write_atomic(out, page)


def render_index(
    pages: Sequence[PageSummary],
    out_path: str | os.PathLike[str],
    *,
    brand: Branding,
    logo_path: Path | None = None,
    run_facts: dict[str, str] | None = None,
    methods_href: str | None = None,
) -> Path:
    """Render the executive summary: one card per step with its headline and a link.

    Parameters
    ----------
    pages : sequence of PageSummary
        The steps in engagement order.
    out_path : path
        Where to write the page (usually ``index.html`` beside the step pages).
    brand : Branding
        Client name, consultant, colours and fonts.
    logo_path : Path, optional
        Logo file (PNG, JPEG or SVG), embedded as a data URI.
    run_facts : dict of str to str, optional
        Labelled facts for the footer (data fingerprint, kit version, run id).
    methods_href : str, optional
        Relative link to the method notes, shown in the footer.

    Returns
    -------
    Path
        ``out_path``, written atomically.

    Raises
    ------
    PageNotSelfContained
        If the page would load anything from outside itself.
    ConfigError
        If the logo is missing or not PNG, JPEG or SVG, or the font list is not plain CSS.
    TypeError, ValueError
        For arguments of the wrong type or hrefs that are not relative links.

    See Also
    --------
    render_page : the step pages the cards link to.

    Notes
    -----
    Rendered with jinja2 and ``autoescape=True``: titles, headlines and facts are escaped.

    Examples
    --------
    >>> import tempfile
    >>> from cxlib.config import Branding
    >>> cards = [PageSummary("Voice of the customer", "04_voc.html", "NPS is 31 <n=812>.", "ok")]
    >>> out = render_index(cards, Path(tempfile.mkdtemp()) / "index.html",
    ...                    brand=Branding(client_name="Acme"))
    >>> "NPS is 31 &lt;n=812&gt;." in out.read_text(encoding="utf-8")
    True
    """
    out = Path(out_path)
    if isinstance(pages, str | bytes) or not isinstance(pages, Sequence):
        raise TypeError("pages must be a sequence of PageSummary")
    if not all(isinstance(page, PageSummary) for page in pages):
        raise TypeError("pages must hold PageSummary objects only")
    if methods_href is not None:
        _check_href(methods_href, "methods_href")
    today = dt.date.today()
    cards = [
        {
            **page.__dict__,
            "status_class": _STATUS_CLASS.get(page.status.strip().lower(), "neutral"),
        }
        for page in pages
    ]
    page = (
        _site()
        .get_template("summary.html.j2")
        .render(
            lang="en",
            title="Executive summary",
            subtitle="",
            brand=brand,
            css=_stylesheet(brand),
            csp=_CSP,
            version=__version__,
            logo_uri=_logo_uri(logo_path),
            date=today,
            date_label=_date_label(today),
            nav=[],
            current=out.name,
            pages=cards,
            facts=_facts(run_facts),
            methods_href=methods_href,
        )
    )
    _require_self_contained(page, out.name)
    return _write_atomic(out, page)


# --------------------------------------------------------------------------------------------
# Notebook preparation
# --------------------------------------------------------------------------------------------


def _load(notebook: Any) -> tuple[NotebookNode, str, Path | None]:
    import nbformat

    if isinstance(notebook, str | os.PathLike):
        path = Path(notebook)
        if not path.is_file():
            raise ReportError(f"no executed notebook at {path}")
        return nbformat.read(path, as_version=4), path.name, path.parent
    if isinstance(notebook, Mapping) and "cells" in notebook:
        nb = nbformat.from_dict(copy.deepcopy(dict(notebook)))
        output_path = nb.metadata.get("papermill", {}).get("output_path") or "notebook.ipynb"
        return nb, Path(str(output_path)).name, None
    raise TypeError(f"notebook must be a path or a NotebookNode, found {type(notebook).__name__}")


def _stable_ids(nb: NotebookNode) -> None:
    """Give every cell a numbered id, so the same run renders byte for byte the same page.

    Playbooks are committed without cell ids; nbformat then invents random ones, which would
    otherwise land in the page as anchors.
    """
    for index, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{index}"


def _raise_on_errors(nb: NotebookNode, name: str) -> None:
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                error = f"{output.get('ename', 'Error')}: {output.get('evalue', '')}".strip()
                raise PageNotClientReady(name, index + 1, cell.get("id"), error)
    for index, cell in enumerate(nb.cells):
        if _PAPERMILL_ERROR_TAG in cell.get("metadata", {}).get("tags", []):
            raise PageNotClientReady(name, index + 1, cell.get("id"), "papermill's error banner")


def _pop_title(nb: NotebookNode) -> str | None:
    """Take the first markdown H1 out of the notebook and return its text."""
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown":
            continue
        lines = cell.source.splitlines()
        fence = None
        for number, line in enumerate(lines):
            stripped = line.lstrip()
            if stripped.startswith(("```", "~~~")):
                fence = None if fence == stripped[:3] else (fence or stripped[:3])
                continue
            match = re.match(r"^ {0,3}#[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$", line)
            if fence is None and match:
                rest = "\n".join(lines[:number] + lines[number + 1 :]).strip("\n")
                if rest.strip():
                    cell.source = rest
                else:
                    del nb.cells[index]
                return re.sub(r"[*`]", "", match.group(1)).strip()
    return None


def _client_output(output: Any) -> Any | None:
    """Return the output as the client should see it, or None to drop it."""
    kind = output.get("output_type")
    if kind == "stream":
        keep = output.get("name") == "stdout" and "".join(output.get("text", "")).strip()
        return output if keep else None
    if kind not in ("display_data", "execute_result"):
        return None
    raw = output.get("data", {})
    data = {mime: raw[mime] for mime in _STATIC_MIMES if mime in raw}
    if _WIDGET_VIEW in raw:  # keep a rich static fallback, never the widget's Python repr
        data.pop("text/plain", None)
    if list(data) == ["text/plain"] and _STRAY_REPR.match("".join(data["text/plain"])):
        return None
    if not data:
        return None
    output["data"] = data
    return output


def _keep_client_outputs(nb: NotebookNode) -> None:
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = [out for out in map(_client_output, cell.outputs) if out is not None]
    nb.cells = [cell for cell in nb.cells if cell.cell_type != "code" or cell.outputs]
    nb.metadata.pop("widgets", None)


def _date(nb: NotebookNode) -> tuple[dt.date, str]:
    end = nb.metadata.get("papermill", {}).get("end_time")
    day = dt.date.today()
    if isinstance(end, str):
        try:
            day = dt.datetime.fromisoformat(end).date()
        except ValueError:
            pass
    return day, _date_label(day)


def _date_label(day: dt.date) -> str:
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


# --------------------------------------------------------------------------------------------
# Shared page parts
# --------------------------------------------------------------------------------------------


@functools.cache
def _exporter() -> Any:
    from nbconvert import HTMLExporter
    from traitlets.config import Config

    config = Config(
        {
            "HTMLExporter": {
                "template_name": "cx",
                "extra_template_basedirs": [str(_TEMPLATES)],
                "exclude_input": True,
                "exclude_input_prompt": True,
                "exclude_output_prompt": True,
                "embed_images": True,
                "anchor_link_text": "#",
                "language_code": "en",
            },
            "TagRemovePreprocessor": {
                "enabled": True,
                "remove_cell_tags": set(_REMOVE_CELL_TAGS),
                "remove_all_outputs_tags": {"remove-output"},
                "remove_input_tags": {"remove-input"},
            },
            # The lab conf.json enables it and is merged after ours: no code, no pygments CSS.
            "CSSHTMLHeaderPreprocessor": {"enabled": False},
        }
    )
    return HTMLExporter(config=config)


@functools.cache
def _site() -> jinja2.Environment:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(_CX / "site"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )


def _blocks() -> Any:
    return _site().get_template("_blocks.html.j2").module


@functools.cache
def _base_css() -> str:
    return (_CX / "static" / "cx.css").read_text(encoding="utf-8")


_CSS_FONT = re.compile(r"""^\s*(?:"[\w '-]+"|'[\w "-]+'|[\w -]+)\s*$""")


def _stylesheet(brand: Branding) -> Any:
    """Return the page stylesheet, with the brand as CSS variables."""
    from markupsafe import Markup

    from cxlib.plots import contrast_ratio, readable_text_on

    fonts = brand.font_family.split(",")  # colours are checked by Branding, fonts are not
    if not all(_CSS_FONT.match(font) for font in fonts):
        expected = "a CSS font list such as 'Helvetica, Arial, sans-serif'"
        found = repr(brand.font_family)
        raise ConfigError(
            [Problem("engagement.yaml", None, "branding.font_family", expected, found)]
        )
    primary = brand.primary_color
    accent = primary if contrast_ratio(primary, "#FFFFFF") >= 4.5 else brand.text_color
    root = (
        f":root {{ --cx-primary: {primary}; --cx-secondary: {brand.secondary_color}; "
        f"--cx-text: {brand.text_color}; --cx-on-primary: {readable_text_on(primary)}; "
        f"--cx-accent: {accent}; --cx-font: {', '.join(f.strip() for f in fonts)}; }}"
    )
    return Markup(f"{root}\n{_base_css()}")  # noqa: S704 - validated values and our own file


_LOGO_TYPES = {
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".svg": ("image/svg+xml", (b"<svg", b"<?xml")),
}


def _logo_uri(logo_path: Path | None) -> str | None:
    if logo_path is None:
        return None
    path = Path(logo_path)
    kind = _LOGO_TYPES.get(path.suffix.lower())

    def problem(found: str) -> ConfigError:
        expected = "a PNG, JPEG or SVG logo file"
        return ConfigError([Problem("engagement.yaml", None, "branding.logo", expected, found)])

    if kind is None:
        raise problem(f"{path.name} (unsupported type)")
    try:
        stat = path.stat()
    except OSError:
        raise problem(f"no file at {path}") from None
    uri = _encode_logo(str(path), stat.st_mtime_ns, stat.st_size)
    if uri is None:
        raise problem(f"{path.name} does not hold {kind[0]} data")
    return uri


@functools.lru_cache(maxsize=16)
def _encode_logo(path: str, mtime_ns: int, size: int) -> str | None:
    """Return a logo as a data URI (cached by path, modification time and size)."""
    suffix = Path(path).suffix.lower()
    mime, signatures = _LOGO_TYPES[suffix]
    data = Path(path).read_bytes()
    head = data[:512].lstrip().lower() if suffix == ".svg" else data[:8]
    if not any(head.startswith(sig) for sig in signatures):
        return None
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def _facts(run_facts: Mapping[str, str] | None) -> list[tuple[str, str]]:
    if run_facts is None:
        return []
    if not isinstance(run_facts, Mapping):
        raise TypeError("run_facts must be a dict of str to str")
    for key, value in run_facts.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise TypeError(f"run_facts must map str to str; found {key!r}: {value!r}")
    return [(key, value) for key, value in run_facts.items() if value.strip()]


_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def _check_href(href: str, what: str) -> None:
    if not isinstance(href, str) or not href.strip():
        raise ValueError(f"{what} must be a non-empty relative link")
    if href.startswith(("/", "\\")) or _SCHEME.match(href):
        raise ValueError(f"{what} must be relative to the report folder, found {href!r}")


def _nav(nav: Iterable[tuple[str, str]] | None) -> list[tuple[str, str]]:
    links = []
    for item in nav or ():
        if not (isinstance(item, tuple | list) and len(item) == 2):
            raise TypeError("nav must be a list of (title, href) pairs")
        label, href = item
        if not isinstance(label, str):
            raise TypeError("nav titles must be str")
        _check_href(href, "nav href")
        links.append((label, href))
    return links


_H2 = re.compile(r'<h2 id="([^"]+)"([^>]*)>(.*?)</h2>', re.DOTALL)
_ANCHOR_LINK = re.compile(r'<a class="anchor-link"[^>]*>.*?</a>', re.DOTALL)
_TAGS = re.compile(r"<[^>]+>")


def _with_toc(page: str, blocks: Any) -> str:
    """Give H2 headings unique ids and replace the TOC marker by links to them."""
    from markupsafe import Markup

    head, mark, body = page.partition(_TOC_MARK)
    if not mark:
        return page
    entries: list[tuple[Markup, str]] = []
    seen: dict[str, int] = {}

    def visit(match: re.Match[str]) -> str:
        anchor, attrs, inner = match.groups()
        count = seen.get(anchor, 0)
        seen[anchor] = count + 1
        if count:
            inner = inner.replace(f'href="#{anchor}"', f'href="#{anchor}-{count + 1}"')
            anchor = f"{anchor}-{count + 1}"
        text = html.unescape(_TAGS.sub("", _ANCHOR_LINK.sub("", inner))).strip()
        entries.append((Markup(anchor), text))  # noqa: S704 - an attribute nbconvert escaped
        return f'<h2 id="{anchor}"{attrs}>{inner}</h2>'

    body = _H2.sub(visit, body)
    return f"{head}{blocks.toc(entries)}{body}"


_HEADING_OR_IMG = re.compile(r"<h([1-6])\b[^>]*>(.*?)</h\1>|<img\b[^>]*>", re.DOTALL)
_DEFAULT_ALT = ('alt="Chart"', 'alt="Picture"')


def _with_alt_text(page: str) -> str:
    """Name each chart left with the template's generic alt text after its section.

    An image output without an ``alt`` in its metadata gets ``alt="Chart"`` from the template;
    here it becomes ``Chart: <text of the nearest preceding heading>``, so a screen reader
    says which question the chart answers.
    """
    heading = ""

    def visit(match: re.Match[str]) -> str:
        nonlocal heading
        if match.group(1):
            text = html.unescape(_TAGS.sub("", _ANCHOR_LINK.sub("", match.group(2))))
            heading = " ".join(text.split()).rstrip("#").strip()
            return match.group(0)
        tag = match.group(0)
        for default in _DEFAULT_ALT:
            if default in tag and heading:
                kind = default[5:-1]
                label = html.escape(f"{kind}: {heading}", quote=True)
                return tag.replace(default, f'alt="{label}"', 1)
        return tag

    return _HEADING_OR_IMG.sub(visit, page)


def _require_self_contained(page: str, name: str) -> None:
    references = check_offline(page, links=False)
    if references:
        raise PageNotSelfContained(name, references)


def _write_atomic(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
