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
from server_fixture import live_server_fixture

ROOT = Path(__file__).resolve().parent.parent
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
