"""The HTML report as a reviewer meets it: opened in headless Chromium, filtered, photographed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from test_render_formats import big_report, hostile_plan, report_of

from engine.cli import main
from engine.render import html

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER), reason="chromium and chromedriver are not installed"),
]
ROOT = Path(__file__).parent.parent
LOCAL = ("file:", "data:", "about:", "chrome:", "chrome-untrusted:", "devtools:")


@pytest.fixture
def browser(tmp_path):
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
                "--window-size=1280,1800", f"--user-data-dir={tmp_path / 'chromium-profile'}"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def _requests(driver) -> list[str]:
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def _visible_rules(driver) -> list[str]:
    return [e.get_attribute("id") for e in driver.find_elements("css selector", "#rules > details.rule")
            if e.is_displayed()]


def test_reviewer_opens_filters_and_prints_the_report(browser, tmp_path):
    out = tmp_path / "out"
    main(["check", str(hostile_plan(tmp_path)), "-f", "html", "-o", str(out)])
    page = out / "report.html"
    browser.get_log("performance")  # forget the browser's own start-up traffic
    browser.get(page.as_uri())

    errors = [e for e in browser.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]
    assert errors == []
    page_url = page.as_uri()
    network = [u for u in _requests(browser) if u != page_url and not u.startswith(LOCAL)]
    assert network == []
    assert browser.execute_script("return window.pwned === undefined && !document.querySelector('img')")
    assert "Non-compliant" in browser.find_element("css selector", ".verdict-value").text

    everything = _visible_rules(browser)
    browser.find_element("css selector", "input[name=outcome][value=fail]").click()
    only_passing = _visible_rules(browser)
    assert only_passing and set(only_passing) < set(everything)
    assert browser.find_element("id", "shown").text == f"{len(only_passing)} of {len(everything)} rules shown"

    browser.find_element("css selector", "button[type=reset]").click()
    browser.find_element("css selector", "input[name=q]").send_keys("wetlands cover")
    assert _visible_rules(browser) == ["rule-M-2"]

    browser.find_element("css selector", "button[type=reset]").click()
    browser.find_element("css selector", "a.tile[data-only=fail]").click()
    assert _visible_rules(browser) == ["rule-M-2", "rule-M-3"]

    browser.find_element("css selector", "button[type=reset]").click()
    browser.execute_script("window.scrollTo(0, 0)")
    browser.save_screenshot(str(tmp_path / "report.png"))
    assert (tmp_path / "report.png").stat().st_size > 10_000


def test_a_report_with_100000_failing_rows_opens_quickly(browser, tmp_path):
    page = tmp_path / "big.html"
    page.write_text(html.render(big_report(report_of(hostile_plan(tmp_path), tmp_path), 100_000)), encoding="utf-8")
    browser.get(page.as_uri())
    assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []
    rows = browser.execute_script("return document.querySelectorAll('tr.row-fail').length")
    assert rows == html.MAX_ROWS
    browser.find_element("css selector", "input[name=q]").send_keys("O-000050")
    assert _visible_rules(browser) == ["rule-M-3"]
