"""The map of the HTML report in headless Chromium: offline, linked both ways, photographed."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_browser_report import LOCAL, _requests, browser  # noqa: F401  (the fixture is used by name)

from engine.cli import main

pytestmark = [pytest.mark.browser]
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "trafford"


def test_the_trafford_map_is_offline_linked_and_readable(browser, tmp_path):  # noqa: F811
    out = tmp_path / "out"
    assert main(["check", str(EXAMPLE), "-f", "html", "-o", str(out)]) == 1
    page = out / "report.html"
    browser.get_log("performance")
    browser.get(page.as_uri())
    assert [e for e in browser.get_log("browser") if e["level"] in ("SEVERE", "WARNING")] == []
    assert [u for u in _requests(browser) if u != page.as_uri() and not u.startswith(LOCAL)] == []

    shapes = browser.find_elements("css selector", "#map g.map-rule path.shape")
    assert len(shapes) == 73 + 16 + 33 + 16  # GI-002, GI-003, GI-004 and GI-006 objects that did not pass
    assert len(browser.find_elements("css selector", "#map path.layer")) == 6  # the polygon layers; points have none

    html = page.read_text(encoding="utf-8")
    assert ":has(" not in html  # Firefox before 121 and older Safari and Chromium do not support it
    all_rules = tmp_path / "all.png"
    browser.find_element("id", "map").screenshot(str(all_rules))

    browser.get(page.as_uri() + "#map-GI-004")  # a rule card's "show on the map": only that rule's objects
    visible = [s for s in browser.find_elements("css selector", "#map g.map-rule") if s.is_displayed()]
    assert [g.get_attribute("data-rule") for g in visible] == ["GI-004"]
    picked = browser.find_element("css selector", '#map g[data-rule="GI-004"] path.shape')
    assert picked.value_of_css_property("stroke-width") == "2.4px"  # the picked rule's objects are outlined
    shot = tmp_path / "map.png"
    browser.find_element("id", "map").screenshot(str(shot))
    assert shot.stat().st_size > 20_000 and shot.read_bytes() != all_rules.read_bytes()

    browser.get(page.as_uri() + "#map")  # "All rules": every rule's objects again
    assert all(g.is_displayed() for g in browser.find_elements("css selector", "#map g.map-rule"))

    browser.get(page.as_uri() + "#map-GI-004")
    link = browser.find_element("css selector", '#map g[data-rule="GI-004"] a')  # a shape links to its rule card
    assert link.get_dom_attribute("href") == "#rule-GI-004"
    browser.execute_script("arguments[0].dispatchEvent(new MouseEvent('click', {bubbles: true}))", link)
    assert browser.current_url.endswith("#rule-GI-004")
    card_link = browser.find_element("css selector", "#rule-GI-004 a.to-map")
    assert card_link.get_attribute("href").endswith("#map-GI-004")
