"""cx export pdf: the report's pages printed to one PDF by headless Chromium."""

from pathlib import Path

import pytest
from nbformat.v4 import new_markdown_cell, new_notebook

from cxlib.config import Branding
from cxlib.methods import render_methods
from cxlib.pdf import PdfExportError, export_pdf, report_pages
from cxlib.report import PageSummary, render_index, render_page

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "pdf"


@pytest.fixture(scope="module")
def engagement(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("acme")
    reports = root / "reports"
    brand = Branding(client_name="Acme Telecom", consultant="Harbour CX")
    long_text = "\n\n".join(
        f"Paragraph {i}: customers say the bill is unclear." for i in range(90)
    )
    nb = new_notebook(cells=[new_markdown_cell(f"# Voice of the customer\n\n## NPS\n{long_text}")])
    nav = [("Summary", "index.html"), ("Voice of the customer", "04_voc_analysis.html")]
    render_page(nb, reports / "04_voc_analysis.html", brand=brand, nav=nav)
    cards = [PageSummary("Voice of the customer", "04_voc_analysis.html", "NPS is 31.", "done")]
    render_index(cards, reports / "index.html", brand=brand, methods_href="methods.html")
    render_methods(reports / "methods.html", brand=brand, nav=nav)
    return root


def test_export_pdf_orders_pages_breaks_and_numbers(engagement):
    import pypdfium2
    from pypdf import PdfReader

    out = export_pdf(engagement)
    assert out == engagement / "reports" / f"{engagement.name}-report.pdf"
    reader = PdfReader(str(out))
    texts = [page.extract_text() for page in reader.pages]
    total = len(texts)
    assert total >= 4  # index, a step of ~90 paragraphs (two sheets or more), methods
    for number, text in enumerate(texts, start=1):
        assert f"Page {number} of {total}" in text
    # Each HTML page starts on a sheet of its own, in reading order.
    starts = [
        next(i for i, t in enumerate(texts) if marker in t)
        for marker in ("Executive summary", "Paragraph 0:", "Wilson score interval")
    ]
    assert starts == sorted(starts) and starts[0] == 0
    assert "Paragraph 89:" not in texts[starts[1]]  # the step runs on to further sheets
    assert "Executive summary" not in texts[starts[1]]

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pdf = pypdfium2.PdfDocument(str(out))
    assert len(pdf) == total
    pngs = []
    for index in range(total):
        image = pdf[index].render(scale=1).to_pil()
        path = ARTIFACTS / f"page-{index + 1:02d}.png"
        image.save(path)
        pngs.append(image)
    first = pngs[0].convert("L")
    low, high = first.getextrema()
    assert high - low > 100  # ink on paper, not a blank sheet
    dark = sum(first.histogram()[:128])
    assert dark > 0.001 * first.width * first.height


def test_export_pdf_output_option_and_order(engagement, tmp_path):
    names = [p.name for p in report_pages(engagement / "reports")]
    assert names == ["index.html", "04_voc_analysis.html", "methods.html"]
    out = export_pdf(engagement, output=tmp_path / "x" / "client.pdf")
    assert out.read_bytes().startswith(b"%PDF-")


def test_export_pdf_without_report(tmp_path):
    with pytest.raises(PdfExportError, match="run the engagement first"):
        export_pdf(tmp_path)


def test_cx_export_pdf_command(engagement, tmp_path):
    from click.testing import CliRunner

    from cxlib.cli import cli

    runner = CliRunner()
    help_text = runner.invoke(cli, ["export", "pdf", "--help"]).output
    assert help_text.rstrip().splitlines()[-1].strip().startswith("Example: cx export pdf")
    out = tmp_path / "client.pdf"
    result = runner.invoke(cli, ["export", "pdf", str(engagement), "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert f"PDF: {out}" in result.output
    assert out.read_bytes().startswith(b"%PDF-")
    empty = runner.invoke(cli, ["export", "pdf", str(tmp_path)])
    assert empty.exit_code == 1
