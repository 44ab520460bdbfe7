"""The HTML report of a large plan in headless Chromium: what failed first, a search that finds any
failing object, no horizontal overflow on a phone, deep links clear of the sticky toolbar."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from test_render_formats import big_report, hostile_plan, report_of

from engine.render import html

ROOT = Path(__file__).parent.parent

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER), reason="chromium and chromedriver are not installed"),
]
N = 5_000  # failing rows on one rule: 50 times what its card shows
SIZES = {"desktop": (1280, 1800), "phone": (390, 844)}


@pytest.fixture(scope="module")
def big(tmp_path_factory) -> dict:
    tmp = tmp_path_factory.mktemp("large")
    return big_report(report_of(hostile_plan(tmp), tmp), N)


@pytest.fixture(scope="module")
def page(big, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("page") / "report.html"
    out.write_text(html.render(big), encoding="utf-8")
    return out


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    profile = tmp_path_factory.mktemp("chromium-profile")
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--hide-scrollbars",
                "--window-size=1280,1800", f"--user-data-dir={profile}"):
        options.add_argument(arg)
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    yield driver
    driver.quit()


def _open(browser, page: Path, size: str, fragment: str = "") -> None:
    browser.set_window_size(*SIZES[size])
    browser.get(page.as_uri() + fragment)
    browser.execute_script("return document.readyState")


def _rule_id(report_page: Path) -> str:
    """The rule big_report filled with N rows: the only one with more than 100 objects."""
    text = report_page.read_text(encoding="utf-8")
    return re.search(r'id="rule-([^"]+)"[^>]*>(?:(?!</details>).)*?showing the first 100', text, re.S).group(1)


@pytest.mark.parametrize("size", SIZES)
def test_no_horizontal_overflow(browser, page, size, tmp_path):
    _open(browser, page, size)
    inner, scroll = browser.execute_script("return [window.innerWidth, document.documentElement.scrollWidth]")
    assert scroll <= inner == SIZES[size][0]
    browser.save_screenshot(str(tmp_path / f"{size}.png"))


def test_what_failed_first_leads_with_the_mandatory_failures(browser, page):
    _open(browser, page, "desktop")
    items = browser.find_elements("css selector", ".first-list li")
    assert items and "shall" in items[0].text.lower()
    link = items[0].find_element("css selector", "a").get_attribute("href")
    assert link.endswith("#rule-" + items[0].find_element("css selector", ".rid").text)


def test_search_finds_an_object_beyond_the_hundred_a_card_shows(browser, page, tmp_path):
    rule = _rule_id(page)
    _open(browser, page, "desktop")
    card = browser.find_element("id", f"rule-{rule}")
    assert "O-004321" not in card.text  # row 4321 of 5000 is not among the 100 shown
    box = browser.find_element("css selector", "input[name=q]")
    box.send_keys("O-004321")
    visible = [e.get_attribute("id") for e in browser.find_elements("css selector", "#rules > details.rule")
               if e.is_displayed()]
    assert visible == [f"rule-{rule}"]
    assert f"/O-004321 ({rule})" in browser.find_element("id", "matches").text
    browser.save_screenshot(str(tmp_path / "search.png"))
    box.clear()
    box.send_keys("no-such-object-key")
    assert not [e for e in browser.find_elements("css selector", "#rules > details.rule") if e.is_displayed()]


@pytest.mark.parametrize("size", SIZES)
def test_a_deep_link_opens_its_card_below_the_sticky_toolbar(browser, page, size, tmp_path):
    rule = _rule_id(page)
    _open(browser, page, size, f"#rule-{rule}")
    top, bar_bottom, sticky, is_open = browser.execute_script(
        "var t = document.getElementById(arguments[0]).getBoundingClientRect();"
        "var f = document.getElementById('filters'); var b = f.getBoundingClientRect();"
        "return [t.top, b.bottom, getComputedStyle(f).position, document.getElementById(arguments[0]).open];",
        f"rule-{rule}")
    assert is_open
    if sticky == "sticky":
        assert top >= bar_bottom  # not hidden under the toolbar
    else:
        assert size == "phone" and 0 <= top < 100  # the toolbar scrolls away on a phone
    browser.save_screenshot(str(tmp_path / f"deep-{size}.png"))


def test_the_index_holds_every_failing_object_up_to_its_stated_cap(monkeypatch, page, big):
    text = page.read_text(encoding="utf-8")
    data = json.loads(re.search(r'<script type="application/json" id="object-index">(.*?)</script>', text,
                                re.S).group(1))
    table, keys = data["keys"][data["rules"].index(_rule_id(page))]
    assert table == "objects" and len(keys) == N and "O-004321" in keys  # all 5,000, not the 100 shown
    rules = [{"id": f"R-{r}", "outcome": "fail", "findings": [
        {"outcome": "fail", "table": "t", "key": f"K{i}"} for i in range(1_500)]} for r in (1, 2)]
    monkeypatch.setattr(html, "MAX_INDEX", 2_000)
    index = html.object_index(rules)
    # 1,500 of R-1 and the first 500 of R-2: 2,000 of 3,000
    assert (index["indexed"], index["total"]) == (2_000, 3_000)
    assert [len(k) for _, k in index["keys"]] == [1_500, 500]
    monkeypatch.setattr(html, "MAX_INDEX", 1_000)
    capped = " ".join(html.render(big).split())
    # the mini plan's other failing rule is plan-level (no objects): the first 1,000 of 5,000
    assert "the first 1,000 of 5,000 such objects, most serious rules first (at most 1,000 are indexed" in capped


@pytest.mark.parametrize("size", SIZES)
def test_a_chinese_report_with_fixes_fits_and_searches(browser, size, tmp_path):
    """`--lang zh`: the page's own words and the pack's texts in Chinese, the fixes shown, no overflow at
    390 px, and the search's count said in Chinese by the script."""
    from engine.cli import main

    assert main(["check", str(ROOT / "examples/industrial-belt"), "--lang", "zh", "-f", "html", "-o",
                 str(tmp_path), "-q"]) == 1
    page = tmp_path / "report.html"
    _open(browser, page, size)
    inner, scroll = browser.execute_script("return [window.innerWidth, document.documentElement.scrollWidth]")
    assert scroll <= inner == SIZES[size][0]
    assert browser.find_element("id", "findings-h").text == "各规则的发现"
    card = browser.find_element("id", "rule-ACC-001")
    # Becontree: 9 m2 x 12,700 residents = 11.43 ha of public green space, against 1.4 ha (+10.03 ha)
    assert "整改：将 d.public_green_ha 从 1.4 ha 提高到 11.43 ha（+10.03 ha）" in card.text
    browser.find_element("css selector", "input[name=q]").send_keys("E05000026")
    assert "个对象编号匹配：" in browser.find_element("id", "matches").text
    browser.save_screenshot(str(tmp_path / f"zh-{size}.png"))
