"""report: client-ready pages from executed notebooks, the executive summary, and helpers.

The notebooks here are built with nbformat to look like papermill's output: parameters and
injected-parameters cells, H2 sections, and code cells whose outputs include what a client
must never see (stderr, warnings, ``<Axes: >`` reprs, widget views, errors).
"""

import base64
import io
import re

import nbformat
import pandas as pd
import pytest
from matplotlib.figure import Figure
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from cxlib import report
from cxlib.config import Branding
from cxlib.errors import ConfigError, CxError

BRAND = Branding(
    client_name="Acme <Telecom>",
    consultant="Harbour & Co",
    primary_color="#7A1F5C",
    secondary_color="#F2A900",
)
EVIL = "<script>alert(1)</script>"
CODE_SENTINEL = "secret_code_line_42"


def _png(title="NPS by region"):
    fig = Figure(figsize=(3, 2))
    ax = fig.subplots()
    ax.bar(["North", "South"], [31, 18])
    ax.set_title(title)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=40)
    return base64.b64encode(buf.getvalue()).decode("ascii")


PNG = _png()
PNG_FALLBACK = _png("fallback")


def _results():
    return pd.DataFrame(
        {
            "segment": [EVIL, "Retail"],
            "estimate": [0.25, 0.4],
            "n": [12, 1400],
            "small_n": [True, False],
        }
    ).set_index("segment")


def executed_notebook(*extra_cells):
    """A notebook shaped like papermill's output, with everything a page must drop."""
    code = f"{CODE_SENTINEL} = plots.nps(data)"
    cells = [
        new_markdown_cell("# Voice of the customer\n\nWhat customers tell us, and why."),
        new_code_cell("wave: str = '2026Q1'  # wave", metadata={"tags": ["parameters"]}),
        new_code_cell(
            "wave = 'PARAM_SENTINEL'",
            metadata={"tags": ["injected-parameters"]},
            outputs=[new_output("stream", name="stdout", text="PARAM_SENTINEL\n")],
        ),
        new_markdown_cell("## How loyal are customers?\n\nNPS with its interval."),
        new_code_cell(
            code,
            execution_count=3,
            outputs=[
                new_output("stream", name="stderr", text="STDERR_SENTINEL kernel noise\n"),
                new_output(
                    "stream",
                    name="stderr",
                    text="/x/voc.py:12: UserWarning: WARNING_SENTINEL small base\n",
                ),
                new_output("stream", name="stdout", text="NPS 31 (n = 812)\n"),
                new_output(
                    "display_data",
                    data={"image/png": PNG, "text/plain": "<Figure size 300x200 with 1 Axes>"},
                ),
                new_output("execute_result", data={"text/plain": "<Axes: >"}, execution_count=3),
                new_output(
                    "display_data",
                    data={"text/plain": "[<matplotlib.lines.Line2D at 0x7f3a>]"},
                ),
                new_output("display_data", data={"text/plain": "Text(0.5, 1.0, 'NPS (2026)')"}),
            ],
        ),
        new_markdown_cell("## What do customers talk about?\n\nThemes from comments."),
        new_code_cell(
            "report.table(themes)",
            execution_count=4,
            outputs=[
                new_output(
                    "display_data",
                    data={
                        "text/html": report.table(_results(), percent_cols=["estimate"]).data,
                        "text/plain": "<IPython.core.display.HTML object>",
                    },
                ),
                new_output(
                    "display_data",
                    data={
                        "application/vnd.jupyter.widget-view+json": {
                            "model_id": "0a1b",
                            "version_major": 2,
                            "version_minor": 0,
                        },
                        "text/plain": "interactive(children=(IntSlider(value=5),))",
                    },
                ),
                new_output(
                    "display_data",
                    data={
                        "application/vnd.jupyter.widget-view+json": {
                            "model_id": "9z8y",
                            "version_major": 2,
                            "version_minor": 0,
                        },
                        "image/png": PNG_FALLBACK,
                        "text/plain": "Output()",
                    },
                ),
                new_output(
                    "display_data",
                    data={"application/javascript": "console.log('JS_SENTINEL')"},
                ),
            ],
        ),
        new_code_cell(
            "debug()",
            metadata={"tags": ["remove-cell"]},
            outputs=[new_output("stream", name="stdout", text="REMOVED_CELL_SENTINEL\n")],
        ),
        new_code_cell(
            "save_results()",
            metadata={"tags": ["remove-output"]},
            outputs=[new_output("stream", name="stdout", text="REMOVED_OUTPUT_SENTINEL\n")],
        ),
        new_markdown_cell("## Summary and next steps\n\nFix the delivery promise."),
        *extra_cells,
    ]
    nb = new_notebook(cells=cells)
    nb.metadata["papermill"] = {"end_time": "2026-03-07T10:15:00.000001", "exception": None}
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    return nb


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    out = tmp_path_factory.mktemp("html") / "04_voc.html"
    report.render_page(
        executed_notebook(),
        out,
        brand=BRAND,
        subtitle="Wave 2026Q1",
        run_facts={"Run": "run-7", "Kit version": "0.1.0", "Wave": "2026Q1", "Empty": ""},
        nav=[("Summary", "index.html"), ("Voice of the customer", "04_voc.html")],
    )
    return out.read_text(encoding="utf-8")


def _main(html):
    return html[html.index('<main id="cx-content">') :]


# --- self-contained -------------------------------------------------------------------------


def test_page_loads_nothing_from_outside(page):
    assert report.check_offline(page) == []
    assert "<script" not in page
    assert "<link" not in page
    assert "require.js" not in page
    assert "mathjax" not in page.lower()
    assert "mermaid" not in page.lower()
    assert "@font-face" not in page


def test_page_carries_only_the_kit_stylesheet(page):
    assert "--jp-" not in page  # no JupyterLab theme (240 KB) and no pygments CSS
    assert ".highlight" not in page
    assert page.count("<style>") == 1


def test_page_forbids_network_loads_in_the_browser(page):
    match = re.search(r'<meta content="([^"]+)" http-equiv="Content-Security-Policy"', page)
    assert match
    assert match.group(1).startswith("default-src 'none'; img-src data:")


def test_page_head(page):
    assert '<html lang="en">' in page
    assert '<meta charset="utf-8"/>' in page
    assert 'name="viewport"' in page
    assert "<title>Voice of the customer · Acme &lt;Telecom&gt;</title>" in page


def test_chart_is_embedded_as_data_uri(page):
    assert f'src="data:image/png;base64,{PNG}"' in page
    # The template's generic alt text is named after the section the chart answers.
    assert 'alt="Chart: How loyal are customers?"' in page


# --- what the client never sees -------------------------------------------------------------


def test_no_code_prompts_or_parameters(page):
    assert CODE_SENTINEL not in page
    assert "plots.nps" not in page
    assert "In&amp;nbsp;[" not in page and "In&nbsp;[" not in page and "In [" not in page
    assert "Out[" not in page
    assert "PARAM_SENTINEL" not in page
    assert "wave: str" not in page


def test_no_stderr_or_warnings(page):
    assert "STDERR_SENTINEL" not in page
    assert "WARNING_SENTINEL" not in page
    assert "UserWarning" not in page
    assert "application/vnd.jupyter.stderr" not in page


def test_stdout_is_kept(page):
    assert "NPS 31 (n = 812)" in page


def test_no_stray_object_reprs(page):
    assert "Axes:" not in page
    assert "Figure size" not in page
    assert "Line2D" not in page
    assert "Text(0.5" not in page
    assert "IPython.core.display" not in page


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("<Axes: xlabel='tp', ylabel='csat'>", False),
        ("<matplotlib.legend.Legend at 0x7f2b1c>", False),
        ("<seaborn.axisgrid.FacetGrid at 0x7f2b1c>", False),
        ("[Text(0, 0, 'Web'), Text(1, 0, 'Shop')]", False),
        ("[<matplotlib.lines.Line2D at 0x1>,\n <matplotlib.lines.Line2D at 0x2>]", False),
        ("0.314", True),
        ("Baseline 2026Q1 locked (n = 812)", True),
        ("['North', 'South']", True),
    ],
)
def test_only_object_reprs_are_dropped(tmp_path, text, shown):
    nb = new_notebook(
        cells=[
            new_markdown_cell("# Page"),
            new_code_cell("x", outputs=[new_output("execute_result", data={"text/plain": text})]),
        ]
    )
    html = report.render_page(nb, tmp_path / "p.html", brand=BRAND).read_text(encoding="utf-8")
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    assert (escaped.replace("'", "&#x27;") in html or escaped in html) is shown


def test_widgets_dropped_static_fallback_kept(page):
    assert "widget-view" not in page
    assert "IntSlider" not in page
    assert "Output()" not in page
    assert f'src="data:image/png;base64,{PNG_FALLBACK}"' in page
    assert "JS_SENTINEL" not in page


def test_tagged_cells_removed(page):
    assert "REMOVED_CELL_SENTINEL" not in page
    assert "REMOVED_OUTPUT_SENTINEL" not in page


# --- branding, title, contents --------------------------------------------------------------


def test_title_from_first_h1_in_cover_only(page):
    assert '<h1 class="cx-title">Voice of the customer</h1>' in page
    assert "Voice of the customer" not in _main(page)
    assert "What customers tell us, and why." in _main(page)


def test_cover_block(page):
    assert '<p class="cx-client">Acme &lt;Telecom&gt;</p>' in page
    assert "Prepared by Harbour &amp; Co" in page
    assert '<time datetime="2026-03-07">7 March 2026</time>' in page  # papermill end_time
    assert '<p class="cx-subtitle">Wave 2026Q1</p>' in page
    assert "<dt>Run</dt><dd>run-7</dd>" in page
    assert "<dt>Kit version</dt><dd>0.1.0</dd>" in page
    assert "<dt>Empty</dt>" not in page


def test_brand_colours_as_css_variables(page):
    assert "--cx-primary: #7A1F5C;" in page
    assert "--cx-secondary: #F2A900;" in page
    assert "--cx-on-primary: #FFFFFF;" in page
    assert "--cx-font: Helvetica, Arial, sans-serif;" in page


def test_print_stylesheet(page):
    start = page.index("@media print")
    block = page[start : page.index("</style>", start)]
    assert ".cx-nav" in block and "display: none" in block
    assert "print-color-adjust: exact" in block
    assert "break-inside: avoid" in block


def test_table_of_contents_links_every_h2(page):
    toc = page[page.index('<nav class="cx-toc"') : page.index('<main id="cx-content">')]
    anchors = re.findall(r'<a href="#([^"]+)">([^<]+)</a>', toc)
    assert anchors == [
        ("How-loyal-are-customers?", "How loyal are customers?"),
        ("What-do-customers-talk-about?", "What do customers talk about?"),
        ("Summary-and-next-steps", "Summary and next steps"),
    ]
    for anchor, _ in anchors:
        assert f'<h2 id="{anchor}">' in page


def test_duplicate_headings_get_unique_anchors(tmp_path):
    nb = new_notebook(
        cells=[new_markdown_cell("# T\n\n## Method notes\n\na\n\n## Method notes\n\nb")]
    )
    html = report.render_page(nb, tmp_path / "p.html", brand=BRAND).read_text(encoding="utf-8")
    assert '<a href="#Method-notes">' in html and '<a href="#Method-notes-2">' in html
    assert '<h2 id="Method-notes">' in html and '<h2 id="Method-notes-2">' in html


def test_nav_marks_the_current_page(page):
    assert '<a aria-current="page" href="04_voc.html">Voice of the customer</a>' in page
    assert '<a href="index.html">Summary</a>' in page


@pytest.mark.parametrize(
    "href", ["https://example.org/x.html", "//cdn.example.org/x", "javascript:alert(1)", "/abs"]
)
def test_nav_rejects_non_relative_links(tmp_path, href):
    with pytest.raises(ValueError, match="relative"):
        report.render_page(
            executed_notebook(), tmp_path / "p.html", brand=BRAND, nav=[("x", href)]
        )


# --- escaping -------------------------------------------------------------------------------


def test_data_from_tables_is_escaped(page):
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert EVIL not in page


def test_small_base_rows_are_marked(page):
    row = re.search(r'<tr class="cx-small-n">(.*?)</tr>', page).group(1)
    assert "&lt;script&gt;" in row
    assert "small base" in row
    assert "25.0%" in row


def test_escaped_user_text_in_markdown_stays_literal(tmp_path):
    verbatim = "**great** [click](javascript:alert(1)) <img src=x onerror=alert(1)> $5 & $6"
    shown = report.md("Top comment: " + report.escape(verbatim))
    nb = new_notebook(
        cells=[
            new_markdown_cell("# Verbatims"),
            new_code_cell(
                "report.md(...)",
                outputs=[new_output("display_data", data={"text/markdown": shown.data})],
            ),
        ]
    )
    html = report.render_page(nb, tmp_path / "v.html", brand=BRAND).read_text(encoding="utf-8")
    body = _main(html)
    assert "<strong>" not in body
    assert 'href="javascript' not in body
    assert "<img" not in body
    assert "**great**" in body
    assert "&lt;img src=x onerror=alert(1)&gt;" in body
    assert "$5 &amp; $6" in body


# --- errors ---------------------------------------------------------------------------------


def test_error_output_refuses_to_render(tmp_path):
    failing = new_code_cell(
        "1/0",
        execution_count=9,
        outputs=[
            new_output(
                "error",
                ename="ZeroDivisionError",
                evalue="division by zero",
                traceback=["Traceback (most recent call last)", "ZeroDivisionError"],
            )
        ],
    )
    nb = executed_notebook(failing)
    out = tmp_path / "p.html"
    out.write_text("previous page", encoding="utf-8")
    with pytest.raises(report.PageNotClientReady) as caught:
        report.render_page(nb, out, brand=BRAND)
    assert isinstance(caught.value, CxError)
    position = len(nb.cells)  # the failing cell is the last one
    assert caught.value.cell == position
    assert caught.value.cell_id == failing["id"]
    assert f"cell {position}" in str(caught.value)
    assert "ZeroDivisionError: division by zero" in str(caught.value)
    assert out.read_text(encoding="utf-8") == "previous page"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.html"]


def test_papermill_error_banner_refuses_to_render(tmp_path):
    banner = new_markdown_cell(
        '<span style="color:red">An Exception was encountered</span>',
        metadata={"tags": ["papermill-error-cell-tag"]},
    )
    nb = executed_notebook()
    nb.cells.insert(0, banner)
    with pytest.raises(report.PageNotClientReady, match="cell 1"):
        report.render_page(nb, tmp_path / "p.html", brand=BRAND)


def test_markdown_image_from_the_web_is_refused(tmp_path):
    nb = executed_notebook(new_markdown_cell("![logo](https://example.org/logo.png)"))
    with pytest.raises(report.PageNotSelfContained, match="https://example.org/logo.png"):
        report.render_page(nb, tmp_path / "p.html", brand=BRAND)
    assert not list(tmp_path.iterdir())


# --- inputs, logo, writing ------------------------------------------------------------------


def test_render_from_path_and_input_left_untouched(tmp_path):
    nb = executed_notebook()
    source = tmp_path / "04_voc.ipynb"
    nbformat.write(nb, source)
    before = source.read_bytes()
    out = report.render_page(source, tmp_path / "site" / "04_voc.html", brand=BRAND)
    assert out == tmp_path / "site" / "04_voc.html"
    assert "How loyal are customers?" in out.read_text(encoding="utf-8")
    assert source.read_bytes() == before
    assert sorted(p.name for p in out.parent.iterdir()) == ["04_voc.html"]  # no temp files


def test_notebook_node_is_not_modified(tmp_path):
    nb = executed_notebook()
    before = nbformat.writes(nb)
    report.render_page(nb, tmp_path / "p.html", brand=BRAND)
    assert nbformat.writes(nb) == before


def test_logo_embedded_as_data_uri(tmp_path):
    png = base64.b64decode(PNG)
    (tmp_path / "logo.png").write_bytes(png)
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>'
    (tmp_path / "logo.svg").write_bytes(svg)
    for name, mime, data in (("logo.png", "image/png", png), ("logo.svg", "image/svg+xml", svg)):
        out = report.render_page(
            executed_notebook(), tmp_path / f"{name}.html", brand=BRAND, logo_path=tmp_path / name
        )
        html = out.read_text(encoding="utf-8")
        uri = f"data:{mime};base64,{base64.b64encode(data).decode()}"
        assert f'<img alt="Acme &lt;Telecom&gt; logo" src="{uri}"/>' in html
        assert report.check_offline(html) == []


def test_bad_logos_are_config_errors(tmp_path):
    (tmp_path / "logo.gif").write_bytes(b"GIF89a")
    (tmp_path / "fake.png").write_bytes(b"not a png")
    for logo, found in (
        (tmp_path / "logo.gif", "unsupported"),
        (tmp_path / "missing.png", "no file"),
        (tmp_path / "fake.png", "does not hold image/png"),
    ):
        with pytest.raises(ConfigError) as caught:
            report.render_page(
                executed_notebook(), tmp_path / "p.html", brand=BRAND, logo_path=logo
            )
        assert caught.value.problems[0].column == "branding.logo"
        assert found in caught.value.problems[0].found


def test_font_family_cannot_inject_css(tmp_path):
    brand = Branding(client_name="A", font_family="Arial; } body { background: url(//x.org/a) }")
    with pytest.raises(ConfigError, match="branding.font_family"):
        report.render_page(executed_notebook(), tmp_path / "p.html", brand=brand)


def test_failed_replace_leaves_previous_page_and_no_temp_file(tmp_path, monkeypatch):
    out = tmp_path / "p.html"
    out.write_text("previous page", encoding="utf-8")

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(report.os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        report.render_page(executed_notebook(), out, brand=BRAND)
    assert out.read_text(encoding="utf-8") == "previous page"
    assert [p.name for p in tmp_path.iterdir()] == ["p.html"]


def test_exporter_is_built_once():
    assert report._exporter() is report._exporter()


def test_wrong_argument_types(tmp_path):
    with pytest.raises(TypeError):
        report.render_page(42, tmp_path / "p.html", brand=BRAND)
    with pytest.raises(TypeError):
        report.render_page(
            executed_notebook(), tmp_path / "p.html", brand=BRAND, run_facts={"a": 1}
        )
    with pytest.raises(report.ReportError, match="no executed notebook"):
        report.render_page(tmp_path / "missing.ipynb", tmp_path / "p.html", brand=BRAND)


# --- executive summary ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def index_html(tmp_path_factory):
    out = tmp_path_factory.mktemp("html") / "index.html"
    pages = [
        report.PageSummary("CX mission", "01_mission.html", "Two goals lack an owner.", "done"),
        report.PageSummary("Voice of the customer", "04_voc.html", f"NPS 31 {EVIL}", "ok"),
        report.PageSummary("Governance", "", "Not run: no stakeholder list.", "failed"),
    ]
    report.render_index(
        pages,
        out,
        brand=BRAND,
        run_facts={"Data fingerprint": "sha256:9f2c", "Kit version": "0.1.0"},
        methods_href="methods.html",
    )
    return out.read_text(encoding="utf-8")


def test_index_cards(index_html):
    cards = re.findall(r'<li class="cx-card cx-card--(\w+)">(.*?)</li>', index_html, re.DOTALL)
    assert [status for status, _ in cards] == ["ok", "ok", "failed"]
    assert '<a href="01_mission.html">CX mission</a>' in cards[0][1]
    assert "Two goals lack an owner." in cards[0][1]
    assert "<h2>Governance</h2>" in cards[2][1]


def test_index_escapes_headlines(index_html):
    assert f"NPS 31 {EVIL}" not in index_html
    assert "NPS 31 &lt;script&gt;alert(1)&lt;/script&gt;" in index_html


def test_index_cover_footer_and_offline(index_html):
    assert report.check_offline(index_html) == []
    assert "<script" not in index_html
    assert '<html lang="en">' in index_html
    assert '<meta charset="utf-8">' in index_html
    assert '<p class="cx-client">Acme &lt;Telecom&gt;</p>' in index_html
    footer = index_html[index_html.index('<footer class="cx-footer">') :]
    assert "<dt>Data fingerprint</dt><dd>sha256:9f2c</dd>" in footer
    assert "<dt>Kit version</dt><dd>0.1.0</dd>" in footer
    assert '<a href="methods.html">Method notes</a>' in footer
    assert "--cx-primary: #7A1F5C;" in index_html


def test_index_arguments_are_checked(tmp_path):
    with pytest.raises(TypeError):
        report.render_index([("a", "b", "c", "d")], tmp_path / "i.html", brand=BRAND)
    with pytest.raises(TypeError):
        report.PageSummary("a", "b.html", None, "ok")
    with pytest.raises(ValueError, match="relative"):
        report.PageSummary("a", "https://x.org", "h", "ok")
    with pytest.raises(ValueError, match="relative"):
        report.render_index([], tmp_path / "i.html", brand=BRAND, methods_href="http://x")


# --- check_offline --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ('<script src="https://cdn.x.org/require.js"></script>', ["https://cdn.x.org/require.js"]),
        ("<script src='//cdn.x.org/a.js'></script>", ["//cdn.x.org/a.js"]),
        ('<link rel="stylesheet" href="https://fonts.x.org/css">', ["https://fonts.x.org/css"]),
        ('<link rel="stylesheet" href="local.css">', ["local.css"]),
        ('<img src="chart.png">', ["chart.png"]),
        ('<img src="data:image/png;base64,AAAA">', []),
        (
            '<img srcset="data:image/png;base64,AA 1x, https://x.org/b.png 2x">',
            ["https://x.org/b.png"],
        ),  # noqa: E501
        (
            "<style>@import url('https://x.org/a.css');</style>",
            ["https://x.org/a.css", "@import https://x.org/a.css"],
        ),  # noqa: E501
        ("<style>@font-face { src: url(//x.org/f.woff2) }</style>", ["//x.org/f.woff2"]),
        (
            '<div style="background: url(&quot;https://x.org/bg.png&quot;)"></div>',
            ["https://x.org/bg.png"],
        ),  # noqa: E501
        ('<div style="background: url(data:image/png;base64,AA)"></div>', []),
        ('<a href="https://example.org/doi">paper</a>', ["https://example.org/doi"]),
        ('<a href="#section">s</a><a href="02_personas.html">p</a>', []),
        ('<meta http-equiv="refresh" content="0; url=https://x.org/">', ["https://x.org/"]),
        (
            '<script type="module">await import("https://x.org/mermaid.mjs")</script>',
            ["https://x.org/mermaid.mjs"],
        ),  # noqa: E501
        ('<iframe src="http://x.org/embed"></iframe>', ["http://x.org/embed"]),
        ("<p>See https://x.org in the text.</p>", []),
    ],
)
def test_check_offline_cases(html, expected):
    assert report.check_offline(html) == expected


def test_check_offline_links_option():
    html = '<a href="https://example.org">x</a><img src="https://x.org/i.png">'
    assert report.check_offline(html) == ["https://example.org", "https://x.org/i.png"]
    assert report.check_offline(html, links=False) == ["https://x.org/i.png"]


def test_check_offline_catches_the_default_lab_template():
    from nbconvert import HTMLExporter

    default, _ = HTMLExporter().from_notebook_node(executed_notebook())
    found = report.check_offline(default)
    assert any("require" in url for url in found)
    assert any("mathjax" in url.lower() for url in found)
    assert any("mermaid" in url for url in found)


# --- playbook helpers -----------------------------------------------------------------------


def test_table_formats_and_escapes():
    df = pd.DataFrame(
        {
            "segment": ["A & B", "<i>C</i>"],
            "share": [0.4231, 0.05],
            "mean": [1234.5678, float("nan")],
            "n": pd.array([1234567, None], dtype="Int64"),
            "p_value": [0.0004, 0.04999],
        }
    )
    html = report.table(df, caption="Caption <b>", percent_cols=["share"], decimals=2).data
    cells = re.findall(r"<td[^>]*>(.*?)</td>", html)
    assert cells == [
        "A &amp; B",
        "42.31%",
        "1,234.57",
        "1,234,567",
        "&lt; 0.001",
        "&lt;i&gt;C&lt;/i&gt;",
        "5.00%",
        "–",
        "–",
        "0.050",
    ]
    assert "<caption>Caption &lt;b&gt;</caption>" in html
    assert '<th scope="row">' not in html  # a RangeIndex is not shown
    assert "small base" not in html


def test_table_shows_a_meaningful_index_and_flags_small_bases():
    html = report.table(_results(), percent_cols=["estimate"]).data
    assert '<th scope="col">Segment</th>' in html  # snake_case names become headings
    assert '<th scope="row">Retail</th>' in html
    assert html.count('class="cx-small-n"') == 1
    assert "small_n" not in html
    assert '<p class="cx-table-note">' in html
    plain = report.table(_results(), highlight_small_n=False).data
    assert "cx-small-n" not in plain
    assert "<td>yes</td>" in plain


def test_table_escapes_column_labels():
    df = pd.DataFrame({EVIL: [1]})
    html = report.table(df).data
    assert EVIL not in html
    assert "&lt;script&gt;" in html


def test_table_argument_checks():
    with pytest.raises(TypeError):
        report.table([[1, 2]])
    with pytest.raises(ValueError, match="not in the table"):
        report.table(_results(), percent_cols=["missing"])
    with pytest.raises(ValueError, match="decimals"):
        report.table(_results(), decimals=-1)


def test_escape_and_md():
    assert report.escape("a\n\n  b") == "a b"
    assert report.escape("R&D <team>") == "R&amp;D &lt;team&gt;"
    assert report.escape("*x* _y_ [z](u) # $1") == r"\*x\* \_y\_ \[z\]\(u\) \# \$1"
    assert report.md("**NPS 31**").data == "**NPS 31**"
    with pytest.raises(TypeError):
        report.escape(None)
    with pytest.raises(TypeError):
        report.md(3)


def test_same_notebook_renders_byte_for_byte_the_same(tmp_path):
    import nbformat
    from nbformat.v4 import new_markdown_cell, new_notebook

    from cxlib.config import Branding

    nb = new_notebook(cells=[new_markdown_cell("# Title\n\ntext"), new_markdown_cell("## A\n\nb")])
    for cell in nb.cells:
        cell.pop("id", None)
    nb.nbformat_minor = 4
    path = tmp_path / "page.ipynb"
    nbformat.write(nb, path)
    brand = Branding(client_name="Acme")
    a = report.render_page(path, tmp_path / "a.html", brand=brand).read_text()
    b = report.render_page(path, tmp_path / "b.html", brand=brand).read_text()
    assert a == b
    assert "cell-1" in a
