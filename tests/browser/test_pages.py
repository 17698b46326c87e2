"""Every page of a real demo run, loaded in headless Chromium with the network off.

One module-scoped run of the demo (the cheap steps only) with hostile text planted in the
client's data: a verbatim, a region name, a touchpoint name and a stakeholder name. Each page
must load with no console error and no request to anything but the file itself, execute none
of the planted markup (it shows as text), keep its headings in order, give every table header
cells and every image alt text, and keep brand-coloured text readable (WCAG AA, 4.5:1).
A screenshot of each page is saved under test-artifacts/.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

import pytest

from cxlib.plots import contrast_ratio

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "browser"
CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
STEPS = ["mission", "voc"]

SCRIPT = "<script>window.__pwned=1;document.title='PWNED'</script>"
IMG = "<img src=x onerror=\"window.__pwned=2;document.title='PWNED'\">"
JS_LINK = '[click](javascript:window.__pwned=3) <a href="javascript:window.__pwned=4">x</a>'
PAYLOAD = f"{SCRIPT} {IMG} {JS_LINK}"
REGION = f"South {SCRIPT} {IMG}"


def _plant(folder: Path) -> None:
    """Put hostile markup where client text enters the kit."""
    import pandas as pd

    inputs = folder / "inputs"
    for wave in ("2026Q1", "2026Q3"):
        path = inputs / f"survey_{wave}.csv"
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        comment = "Is there anything else you would like to tell us?"
        said = frame.index[frame[comment].str.strip() != ""][:150]
        frame.loc[said, comment] = frame.loc[said, comment] + " " + PAYLOAD
        frame["Region"] = frame["Region"].replace("South", REGION)
        frame.to_csv(path, index=False)
    crm = inputs / "crm_customers.csv"
    frame = pd.read_csv(crm, dtype=str, keep_default_na=False)
    frame["Region"] = frame["Region"].replace("South", REGION)
    frame.to_csv(crm, index=False)
    people = inputs / "stakeholders.csv"
    text = people.read_text(encoding="utf-8")
    planted_name = "Emma " + IMG.replace('"', "")
    people.write_text(text.replace("Emma Wilson,", planted_name + ","), "utf-8")
    config = folder / "engagement.yaml"
    text = config.read_text(encoding="utf-8")
    planted = (
        'name: "Live chat support <img src=x onerror=window.__pwned=5> [x](javascript:alert(1))"'
    )
    text = text.replace('name: "Live chat support"', planted)
    config.write_text(text, encoding="utf-8")


@pytest.fixture(scope="module")
def reports() -> Path:
    from cxlib.run import run_engagement

    tmp = Path(tempfile.mkdtemp(prefix="cx-browser-"))
    demo = tmp / "demo"
    shutil.copytree(ROOT / "data" / "demo", demo, ignore=shutil.ignore_patterns("runs", "reports"))
    _plant(demo)
    record = run_engagement(demo, steps=STEPS, progress=False)
    yield Path(record.report).parent
    shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield chromium
        chromium.close()


def _open(browser, page_path: Path):
    """Load one page offline; return (page, console errors, requests attempted off-file)."""
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, java_script_enabled=True
    )
    blocked: list[str] = []
    failed: list[str] = []
    errors: list[str] = []

    def route(r):
        if r.request.url.startswith(("file:", "data:")):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    page = context.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("requestfailed", lambda r: failed.append(r.url))
    page.goto(page_path.as_uri(), wait_until="load")
    page.wait_for_timeout(200)
    return page, errors, blocked + failed


def _pages(reports: Path) -> list[Path]:
    return sorted(reports.glob("*.html"))


def test_run_has_every_page(reports):
    names = {p.name for p in _pages(reports)}
    assert {
        "index.html",
        "methods.html",
        "01_mission_strategy.html",
        "04_voc_analysis.html",
    } <= names
    index = (reports / "index.html").read_text(encoding="utf-8")
    assert 'href="methods.html"' in index
    step = (reports / "04_voc_analysis.html").read_text(encoding="utf-8")
    assert '<a href="methods.html">Methods</a>' in step


def test_pages_load_offline_without_errors(reports, browser):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for path in _pages(reports):
        page, errors, requests = _open(browser, path)
        page.screenshot(path=str(ARTIFACTS / f"{path.stem}.png"), full_page=True)
        assert errors == [], f"{path.name}: console errors {errors}"
        assert requests == [], f"{path.name}: requests off the page {requests}"
        assert page.title().endswith("Northwind Mobile"), path.name
        page.context.close()
        assert (ARTIFACTS / f"{path.stem}.png").stat().st_size > 10_000


def test_planted_markup_never_executes_and_shows_as_text(reports, browser):
    shown = {"script": 0, "img": 0}
    for path in _pages(reports):
        page, errors, _ = _open(browser, path)
        assert page.evaluate("window.__pwned") is None, path.name
        assert "PWNED" not in page.title()
        assert page.locator("script").count() == 0, path.name
        assert page.locator("a[href^='javascript' i]").count() == 0, path.name
        handlers = page.evaluate(
            "[...document.querySelectorAll('*')].flatMap(e => [...e.attributes]"
            ".filter(a => a.name.startsWith('on')).map(a => e.tagName + ' ' + a.name))"
        )
        assert handlers == [], f"{path.name}: {handlers}"
        images = page.evaluate("[...document.images].map(i => i.getAttribute('src').slice(0, 5))")
        assert all(src == "data:" for src in images), path.name
        text = page.inner_text("body")
        shown["script"] += text.count("<script>window.__pwned=1")
        shown["img"] += text.count("onerror=")
        page.context.close()
    # The planted text is on the pages, as text: escaped, not dropped.
    assert shown["script"] > 0
    assert shown["img"] > 0


def _rgb(value: str) -> tuple[str, float]:
    numbers = [float(x) for x in re.findall(r"[\d.]+", value)]
    alpha = numbers[3] if len(numbers) > 3 else 1.0
    return "#{:02X}{:02X}{:02X}".format(*(round(n) for n in numbers[:3])), alpha


_COLOURS = """
(sel) => [...document.querySelectorAll(sel)].filter(e => e.innerText.trim()).map(e => {
  let bg = e, c = 'rgba(0, 0, 0, 0)';
  while (bg) { c = getComputedStyle(bg).backgroundColor;
    if (!c.endsWith(', 0)') && c !== 'transparent') break; bg = bg.parentElement; }
  return [getComputedStyle(e).color, bg ? c : 'rgb(255, 255, 255)', e.innerText.slice(0, 40)];
})
"""
TEXT_ON_BRAND = [
    ".cx-nav a",
    ".cx-title",
    ".cx-client",
    ".cx-byline",
    ".cx-facts",
    "main h2",
    "main h3",
    "main p",
    "main th",
    "main td",
    ".cx-footer p",
    ".cx-toc a",
    ".cx-status",
    ".cx-badge",
]


def test_accessibility(reports, browser):
    for path in _pages(reports):
        page, _, _ = _open(browser, path)
        levels = page.evaluate(
            "[...document.querySelectorAll('h1,h2,h3,h4,h5,h6')].map(h => +h.tagName[1])"
        )
        assert levels and levels[0] == 1 and levels.count(1) == 1, f"{path.name}: {levels}"
        for before, after in zip(levels, levels[1:], strict=False):
            assert after <= before + 1, f"{path.name}: heading h{before} then h{after}"
        tables = page.evaluate(
            "[...document.querySelectorAll('table')].map(t => t.querySelectorAll('th').length)"
        )
        assert all(count > 0 for count in tables), f"{path.name}: a table has no header cells"
        alts = page.evaluate("[...document.images].map(i => i.getAttribute('alt') || '')")
        assert all(alt.strip() for alt in alts), f"{path.name}: image without alt text"
        if path.stem != "index" and path.stem != "methods":
            charts = [a for a in alts if a.startswith("Chart")]
            assert charts and all(a.startswith("Chart: ") for a in charts), alts
        for selector in TEXT_ON_BRAND:
            for colour, background, sample in page.evaluate(_COLOURS, selector):
                fg, _ = _rgb(colour)
                bg, _ = _rgb(background)
                ratio = contrast_ratio(fg, bg)
                assert ratio >= 4.5, f"{path.name} {selector} {sample!r}: {fg} on {bg} {ratio:.2f}"
        page.context.close()
