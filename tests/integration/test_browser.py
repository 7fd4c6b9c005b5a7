"""Headless Chromium loads the pages people read, with no console errors, and keeps screenshots.

Needs the Debian packages `chromium` and `chromium-driver` (`make deps` installs them, and `make
test` runs it first) and the selenium package; without them these tests fail and say so. Screenshots go to build/screenshots/.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import ROOT
from helpers.server import live_server_fixture

SCREENSHOTS = ROOT / "build" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
OPTIONS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1280,1000",
)
# (screenshot name, path, page language, a heading the page must show)
PAGES = (
    ("home-ja", "/?lang=ja", "ja", "デジタル庁活動知識グラフ"),
    ("home-en", "/?lang=en", "en", "Digital Agency activity knowledge graph"),
    ("initiative-ja", "/id/initiative/mynumber-card?lang=ja", "ja", "マイナンバーカードの普及"),
    ("initiative-en", "/id/initiative/mynumber-card?lang=en", "en", "Promoting the My Number Card"),
    ("agency-en", "/id/agency/digital-agency?lang=en", "en", "Digital Agency"),
    ("ontology-en", "/def/?lang=en", "en", "Digital Agency activity knowledge graph vocabulary"),
    ("ontology-term-ja", "/def/Initiative?lang=ja", "ja", "取組"),
    ("index-en", "/id/initiative?lang=en", "en", "Initiative"),
    ("sparql-ja", "/sparql?lang=ja", "ja", "SPARQLで問い合わせる"),
    ("docs-en", "/docs?lang=en", "en", "The REST API"),
)
MAX_HEIGHT = 12000

live_server = live_server_fixture()


@pytest.fixture(scope="module")
def browser() -> Iterator:
    """A headless Chromium driven through chromedriver, with its console log kept."""
    from selenium import webdriver

    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if missing:
        pytest.fail(
            f"headless Chromium is not installed ({', '.join(missing)} missing): "
            "run `make deps` as root (apt-get install chromium chromium-driver)"
        )
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="dakg-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for option in (*OPTIONS, f"--user-data-dir={profile}"):
        options.add_argument(option)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.mark.parametrize(("name", "path", "lang", "heading"), PAGES, ids=[p[0] for p in PAGES])
def test_page_loads_without_console_errors(
    browser, live_server, name: str, path: str, lang: str, heading: str
) -> None:
    from selenium.webdriver.common.by import By

    browser.get_log("browser")  # drop what earlier pages left
    browser.get(live_server.url(path))
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == lang
    assert heading in browser.find_element(By.TAG_NAME, "h1").text
    assert browser.title.endswith(
        ("デジタル庁活動知識グラフ", "Digital Agency activity knowledge graph")
    )
    # the stylesheet loaded under the Content-Security-Policy
    header = browser.find_element(By.CSS_SELECTOR, "header.site")
    assert header.value_of_css_property("background-color") == "rgba(246, 248, 250, 1)"
    save_screenshot(browser, name)
    errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert errors == [], errors


def test_language_switch_and_links_work(browser, live_server) -> None:
    from selenium.webdriver.common.by import By

    browser.get(live_server.url("/id/initiative/mynumber-card?lang=ja"))
    browser.find_element(By.CSS_SELECTOR, '.lang-switch a[hreflang="en"]').click()
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"
    browser.find_element(By.LINK_TEXT, "Digital Agency").click()
    assert browser.current_url.endswith("/doc/agency/digital-agency?lang=en")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Digital Agency"
    errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert errors == [], errors


def save_screenshot(browser, name: str) -> None:
    """The whole page (up to MAX_HEIGHT pixels) as build/screenshots/{name}.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(1280, min(int(height) + 120, MAX_HEIGHT))
    assert browser.save_screenshot(str(SCREENSHOTS / f"{name}.png"))
    browser.set_window_size(1280, 1000)


def test_the_timeline_and_charts_render_and_link(browser, live_server) -> None:
    """The SVG pictures draw in a real browser, at a real size, and their links lead somewhere."""
    from selenium.webdriver.common.by import By

    browser.get_log("browser")
    browser.get(live_server.url("/id/initiative/business-services?lang=en"))
    pictures = browser.find_elements(By.CSS_SELECTOR, "figure.picture svg")
    assert len(pictures) >= 2  # the initiative's timeline and at least one indicator chart
    for svg in pictures:
        assert svg.size["width"] > 300 and svg.size["height"] > 60
    save_screenshot(browser, "initiative-pictures-en")
    browser.get(live_server.url("/?lang=ja"))
    timeline = browser.find_element(By.CSS_SELECTOR, "#timeline svg")
    assert timeline.size["height"] > 500
    first = timeline.find_element(By.CSS_SELECTOR, "a")
    target = first.get_dom_attribute("href")
    assert target.startswith("/id/initiative/")
    browser.get(live_server.url(target))
    assert "/doc/initiative/" in browser.current_url
    browser.get(live_server.url("/pictures/timeline.svg?lang=en"))
    assert browser.find_element(By.TAG_NAME, "svg").size["width"] > 800
    save_screenshot(browser, "timeline-en")
    errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert errors == [], errors


# ---- the query page (YASGUI) ------------------------------------------------------------------


def wait_for(browser, condition, timeout: float = 20.0):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(browser, timeout).until(lambda _: condition())


def editor_value(browser) -> str:
    return browser.execute_script(
        "return window.dakgQueryPage.yasgui.getTab().getYasqe().getValue()"
    )


def result_rows(browser) -> list[list[str]]:
    """The cells of the result table's rows now shown (row number first)."""
    return browser.execute_script(
        "return Array.from(document.querySelectorAll('.yasr_results table.dataTable tbody tr'))"
        ".map(tr => Array.from(tr.cells).map(td => td.textContent.trim()))"
    )


def run_query(browser) -> None:
    from selenium.webdriver.common.by import By

    chip = browser.find_elements(By.CSS_SELECTOR, ".yasr_response_chip")
    before = chip[0].text if chip else None
    browser.find_element(By.CSS_SELECTOR, ".yasqe_queryButton").click()
    wait_for(
        browser,
        lambda: (
            browser.find_elements(By.CSS_SELECTOR, ".yasr_response_chip")
            and " in " in browser.find_element(By.CSS_SELECTOR, ".yasr_response_chip").text
            and browser.find_element(By.CSS_SELECTOR, ".yasr_response_chip").text != before
        ),
    )


def test_the_query_page_runs_sorts_pages_charts_and_shares(browser, live_server) -> None:
    """A reader's way through the query page in a real browser, under its real policy."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select

    browser.get_log("browser")
    browser.get(live_server.url("/sparql?lang=en"))
    browser.execute_script("window.localStorage.clear()")  # no history from an earlier run
    browser.get(live_server.url("/sparql?lang=en"))
    wait_for(browser, lambda: browser.execute_script("return !!window.dakgQueryPage"))
    assert browser.find_element(By.TAG_NAME, "h1").text == "Query with SPARQL"
    assert browser.find_element(By.CSS_SELECTOR, "header.site .lang-switch")

    # pick a saved query: the editor shows it and the address names it
    Select(browser.find_element(By.ID, "examples")).select_by_value("timeline")
    assert "# title: Timeline of dated events" in editor_value(browser)
    assert browser.current_url.endswith("/sparql?saved=timeline&lang=en")
    assert "The dated events" in browser.find_element(By.ID, "description").text
    run_query(browser)
    rows = result_rows(browser)
    assert len(rows) == 17, rows  # the report period's dated events and publications
    header = [th.text for th in browser.find_elements(By.CSS_SELECTOR, ".yasr_results thead th")]
    date_column = header.index("date")
    dates = [row[date_column] for row in rows]
    assert dates == sorted(dates)  # the query's own order
    # the graph's IRIs lead to their pages here
    first = browser.find_element(By.CSS_SELECTOR, ".yasr_results a.iri")
    assert first.get_dom_attribute("href").startswith("https://w3id.org/dakg/id/")
    browser.execute_script("arguments[0].focus()", first)  # as the keyboard reaches it
    assert first.get_dom_attribute("href").startswith("/id/document/")
    assert first.get_dom_attribute("target") is None

    # sort by date, descending (the column's second click)
    def sort_order() -> str | None:
        th = browser.find_elements(By.CSS_SELECTOR, ".yasr_results thead th")[date_column]
        return th.get_attribute("aria-sort")

    for order in ("ascending", "descending"):
        browser.find_elements(By.CSS_SELECTOR, ".yasr_results thead th")[date_column].click()
        wait_for(browser, lambda order=order: sort_order() == order)
    descending = [row[date_column] for row in result_rows(browser)]
    assert descending == sorted(dates, reverse=True) and descending != dates

    # pages of ten, in the order chosen: the second holds the last seven
    Select(browser.find_element(By.CSS_SELECTOR, ".tableSizer")).select_by_value("10")
    assert [row[date_column] for row in result_rows(browser)] == descending[:10]
    browser.find_element(By.CSS_SELECTOR, ".dt-paging-button.next").click()
    wait_for(browser, lambda: len(result_rows(browser)) == 7)
    assert [row[date_column] for row in result_rows(browser)] == descending[10:]

    # the timeline draws one dot a row, placed in date order
    browser.find_element(By.CSS_SELECTOR, ".select_timeline").click()
    dots = browser.find_elements(By.CSS_SELECTOR, ".dakg-timeline-svg circle")
    assert len(dots) == 17
    xs = [float(dot.get_attribute("cx")) for dot in dots]
    assert xs == sorted(xs) and xs[-1] > xs[0]
    save_screenshot(browser, "sparql-timeline-en")

    # a saved query of counts: the chart view draws a bar a row, the longest for the most
    Select(browser.find_element(By.ID, "examples")).select_by_value("indicators")
    run_query(browser)
    chart = browser.find_element(By.CSS_SELECTOR, ".select_chart")
    assert "disabled" not in chart.get_attribute("class")
    chart.click()
    bars = browser.find_elements(By.CSS_SELECTOR, ".dakg-chart-svg rect")
    assert len(bars) > 1
    widths = [float(bar.get_attribute("width")) for bar in bars]
    assert widths[0] == max(widths) and widths[0] > widths[-1]  # ORDER BY DESC(?observations)
    assert bars[0].size["width"] > 100
    links = browser.find_elements(By.CSS_SELECTOR, ".dakg-chart-svg a")
    assert len(links) == len(bars)  # each label leads to its indicator's page here
    assert links[0].get_dom_attribute("href").startswith("/id/indicator/")
    save_screenshot(browser, "sparql-chart-en")
    browser.find_element(By.CSS_SELECTOR, ".select_table").click()

    # edit the query (typed into the editor) and run it: the address now holds its text
    textarea = browser.find_element(By.CSS_SELECTOR, ".CodeMirror textarea")
    browser.find_element(By.CSS_SELECTOR, ".CodeMirror-code").click()
    textarea.send_keys(Keys.CONTROL, Keys.END)
    textarea.send_keys(Keys.ENTER, "LIMIT 3")
    edited = editor_value(browser)
    assert edited.rstrip().endswith("LIMIT 3")
    run_query(browser)
    assert len(result_rows(browser)) == 3
    assert "query=" in browser.current_url and "saved=" not in browser.current_url
    assert browser.find_element(By.ID, "share").get_attribute("value") == browser.current_url

    # a syntax error is marked on its line (the `}` that closes nothing on line 5)
    browser.execute_script(
        "window.dakgQueryPage.yasgui.getTab().getYasqe()"
        ".setValue('SELECT *\\nWHERE {\\n  ?s ?p ?o .\\n  FILTER (\\n}\\n')"
    )
    marked = wait_for(
        browser,
        lambda: browser.execute_script(
            "return Array.from(document.querySelectorAll('.CodeMirror-code > div'))"
            ".filter(l => l.querySelector('.parseErrorIcon'))"
            ".map(l => l.querySelector('.CodeMirror-linenumber').textContent)"
        ),
    )
    assert marked == ["5"]

    # follow a share link that names a saved query: it opens and runs; Back returns to the edit
    browser.get(live_server.url("/sparql?saved=standard-foundations&lang=en"))
    wait_for(browser, lambda: browser.execute_script("return !!window.dakgQueryPage"))
    assert "# title: Standards a standard builds on" in editor_value(browser)
    assert Select(browser.find_element(By.ID, "examples")).first_selected_option.text == (
        "Standards a standard builds on"
    )
    wait_for(browser, lambda: len(result_rows(browser)) > 0)
    assert any("Peppol" in cell for row in result_rows(browser) for cell in row)
    browser.back()
    wait_for(browser, lambda: browser.execute_script("return !!window.dakgQueryPage"))
    assert editor_value(browser) == edited
    # the language switch keeps the query
    switch = browser.find_element(By.CSS_SELECTOR, '.lang-switch a[hreflang="ja"]')
    assert "query=" in switch.get_attribute("href")
    switch.click()
    wait_for(browser, lambda: browser.execute_script("return !!window.dakgQueryPage"))
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "ja"
    assert editor_value(browser) == edited

    # the queries run here are offered again
    recent = [o.text for o in Select(browser.find_element(By.ID, "recent")).options]
    assert "Indicators" in recent and "Timeline of dated events" in recent
    errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert errors == [], errors


AXE = ROOT / "tests" / "vendor" / "axe-core" / "axe.min.js"
NARROW_PAGES = (
    "/sparql?lang=en&saved=timeline",
    "/sparql?lang=ja",
    "/?lang=ja",
    "/id/initiative/mynumber-card?lang=ja",
    "/def/?lang=en",
    "/search?q=cloud&lang=en",
    "/download/",
    "/docs?lang=ja",
)


def axe_violations(browser) -> list[dict]:
    """axe-core's serious and critical violations of the page now shown."""
    browser.execute_script(AXE.read_text(encoding="utf-8"))
    found = browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']}).then("
        "  r => done(r.violations.map(v => ({id: v.id, impact: v.impact,"
        "    nodes: v.nodes.map(n => n.target.join(' '))}))),"
        "  e => done([{id: 'axe failed', impact: 'critical', nodes: [String(e)]}]))"
    )
    return [v for v in found if v["impact"] in ("serious", "critical")]


@pytest.mark.parametrize("width", [1280, 390])
def test_the_query_page_has_no_serious_accessibility_violation(browser, live_server, width):
    from selenium.webdriver.common.by import By

    browser.set_window_size(width, 1000)
    try:
        browser.get(live_server.url("/sparql?lang=en&saved=timeline"))
        wait_for(browser, lambda: browser.find_elements(By.CSS_SELECTOR, ".select_table"))
        browser.find_element(By.CSS_SELECTOR, ".select_table").click()
        wait_for(browser, lambda: len(result_rows(browser)) > 0)
        assert browser.execute_script("return window.innerWidth") == width
        assert axe_violations(browser) == []
        browser.find_element(By.CSS_SELECTOR, ".select_timeline").click()
        assert axe_violations(browser) == []
        save_screenshot(browser, f"sparql-{width}")
    finally:
        browser.set_window_size(1280, 1000)


def test_every_page_fits_390_pixels(browser, live_server) -> None:
    """Nothing runs off the side of a phone's screen: the page never scrolls sideways."""
    browser.set_window_size(390, 900)
    try:
        for path in NARROW_PAGES:
            browser.get(live_server.url(path))
            inner, scroll = browser.execute_script(
                "return [document.documentElement.clientWidth,"
                " document.documentElement.scrollWidth]"
            )
            assert inner <= 390 and scroll <= inner, (path, inner, scroll)
            viewport = browser.execute_script(
                "const m = document.querySelector('meta[name=viewport]');return m && m.content"
            )
            # (the downloads page, which service/web/void.py writes, has none of the site's head yet)
            if not path.startswith("/download/"):
                assert viewport == "width=device-width, initial-scale=1", path
    finally:
        browser.set_window_size(1280, 1000)


def contrast(rgb: tuple[float, float, float], other=(255, 255, 255)) -> float:
    def luminance(c):
        channels = [v / 255 for v in c]
        lin = [v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4 for v in channels]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    light, dark = sorted((luminance(rgb), luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


@pytest.mark.parametrize("path", ["/?lang=en", "/sparql?lang=en"])
def test_the_focus_ring_stands_out_against_white(browser, live_server, path) -> None:
    import re

    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    browser.get(live_server.url(path))
    browser.find_element(By.TAG_NAME, "body").send_keys(Keys.TAB)  # the skip link
    for _ in range(3):  # and on to the header's links
        focused = browser.switch_to.active_element
        style = browser.execute_script(
            "const s = getComputedStyle(arguments[0]); return [s.outlineStyle, s.outlineWidth,"
            " s.outlineColor]",
            focused,
        )
        assert style[0] == "solid" and float(style[1].removesuffix("px")) >= 2, style
        rgb = tuple(float(v) for v in re.findall(r"[\d.]+", style[2])[:3])
        assert contrast(rgb) >= 3, (focused.text, style)
        focused.send_keys(Keys.TAB)


def test_the_api_docs_draw_every_route_inside_the_site_page(browser, live_server) -> None:
    from selenium.webdriver.common.by import By

    browser.get_log("browser")
    browser.get(live_server.url("/docs?lang=ja"))
    wait_for(browser, lambda: len(browser.find_elements(By.CSS_SELECTOR, ".opblock")) > 10)
    paths = [e.text for e in browser.find_elements(By.CSS_SELECTOR, ".opblock-summary-path")]
    assert "/api/initiatives" in paths and "/search" in paths
    assert browser.find_element(By.TAG_NAME, "h1").text == "REST APIの説明"
    assert browser.find_element(By.CSS_SELECTOR, '.lang-switch a[hreflang="en"]')
    errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert errors == [], errors


def test_the_editor_offers_our_prefixes_classes_and_properties(browser, live_server) -> None:
    """Typed into the editor: a known prefix brings its PREFIX line, and Ctrl+Space completes the
    ontology's own class and property names, from the page's lists (no other server is asked:
    the page's policy would refuse, and the console would say so)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    browser.get_log("browser")
    browser.get(live_server.url("/sparql?lang=en"))
    wait_for(browser, lambda: browser.execute_script("return !!window.dakgQueryPage"))
    browser.execute_script(
        "const y = window.dakgQueryPage.yasgui.getTab().getYasqe();"
        "y.setValue('SELECT * WHERE {\\n  \\n}'); y.focus(); y.setCursor({line: 1, ch: 2})"
    )
    typing = browser.find_element(By.CSS_SELECTOR, ".CodeMirror textarea")
    typing.send_keys("?s a dakg:")
    wait_for(browser, lambda: editor_value(browser).startswith("PREFIX dakg: <"))

    def offered(text: str) -> list[str]:
        typing.send_keys(text)
        typing.send_keys(Keys.CONTROL, " ")
        wait_for(browser, lambda: browser.find_elements(By.CSS_SELECTOR, ".CodeMirror-hints li"))
        found = [e.text for e in browser.find_elements(By.CSS_SELECTOR, ".CodeMirror-hints li")]
        typing.send_keys(Keys.ENTER)
        return found

    assert offered("Ini") == ["dakg:Initiative"]
    assert offered(" ; dakg:leadA") == ["dakg:leadAgency"]
    assert editor_value(browser) == (
        "PREFIX dakg: <https://w3id.org/dakg/def/>\n"
        "SELECT * WHERE {\n  ?s a dakg:Initiative ; dakg:leadAgency\n}"
    )
    errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert errors == [], errors


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize(
    "path",
    [
        "/docs?lang=en",
        "/download/",
        "/search?q=cloud&lang=ja",
        "/def/?lang=en",
        "/?lang=ja",
        "/id/initiative/mynumber-card?lang=en",
        "/def/modelling?lang=en",
        "/def/Initiative?lang=ja",
        "/id/initiative?lang=en",
        "/api/?lang=en",
        "/pictures/?lang=ja",
        "/id/initiative/no-such-initiative?lang=en",
    ],
)
def test_the_other_front_pages_have_no_serious_accessibility_violation(
    browser, live_server, path, width
) -> None:
    from selenium.webdriver.common.by import By

    browser.set_window_size(width, 1000)
    try:
        browser.get(live_server.url(path))
        if path.startswith("/docs"):
            wait_for(browser, lambda: len(browser.find_elements(By.CSS_SELECTOR, ".opblock")) > 10)
        assert axe_violations(browser) == []
    finally:
        browser.set_window_size(1280, 1000)


def test_the_vocabulary_page_copies_its_prefixes_and_draws_its_model(browser, live_server) -> None:
    """The copy button's script runs under the page's Content-Security-Policy and copies the
    PREFIX block; the model diagram is drawn at full size, scrolling sideways at 390 px."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    url = live_server.url("/def/?lang=en")
    origin = url.split("/def/")[0]
    browser.execute_cdp_cmd(
        "Browser.grantPermissions",
        {"origin": origin, "permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"]},
    )
    browser.get_log("browser")
    browser.get(url)
    button = browser.find_element(By.CSS_SELECTOR, "button.copy[data-copy=prefix-block]")
    assert button.is_displayed()  # hidden until the script shows it
    button.click()
    WebDriverWait(browser, 5).until(lambda b: button.text == "Copied")
    copied = browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "navigator.clipboard.readText().then(done, e => done('failed: ' + e));"
    )
    block = browser.find_element(By.ID, "prefix-block").text
    assert copied.strip() == block.strip() and "PREFIX dakg: <https://w3id.org/dakg/def/>" in copied
    assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []
    svg = browser.find_element(By.CSS_SELECTOR, "svg.model-diagram")
    assert svg.size["width"] >= 1000  # drawn at its own size, not shrunk
    holder = browser.find_element(By.CSS_SELECTOR, ".scroll.diagram")
    inner, scroll = browser.execute_script(
        "const h = arguments[0]; return [h.clientWidth, h.scrollWidth]", holder
    )
    assert scroll <= inner  # and whole at 1280 px: no scrolling to see it
    browser.set_window_size(390, 900)
    try:
        holder = browser.find_element(By.CSS_SELECTOR, ".scroll.diagram")
        inner, scroll = browser.execute_script(
            "const h = arguments[0]; return [h.clientWidth, h.scrollWidth]", holder
        )
        assert inner <= 390 < scroll  # the diagram scrolls inside its box
        page = browser.execute_script("return document.documentElement.scrollWidth")
        assert page <= 390
    finally:
        browser.set_window_size(1280, 1000)
