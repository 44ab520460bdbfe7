"""`nbscheck doc`: the standard as an HTML or Markdown document."""

from __future__ import annotations

import html.parser
from pathlib import Path

import pytest

from engine import api
from engine.authoring.document import standard_document
from engine.authoring.words import rule_in_words
from engine.cli import main

CASES = Path(__file__).resolve().parent / "cases"
PACK, PROFILE = CASES / "author-pack", CASES / "author-profile"


@pytest.fixture(scope="module")
def bundled_html(tmp_path_factory) -> str:
    out = tmp_path_factory.mktemp("doc") / "standard.html"
    assert main(["doc", "nbs_urban_restoration", "-o", str(out)]) == 0
    return out.read_text(encoding="utf-8")


def test_the_html_has_every_rule_and_reference(bundled_html):
    std = api.load_standard("nbs_urban_restoration")
    assert bundled_html.count('<article class="rule') == len(std.rules)
    for key in std.references:
        assert f'id="ref-{key}"' in bundled_html


def test_the_html_loads_nothing_from_the_network(bundled_html):
    class Sources(html.parser.HTMLParser):
        def __init__(self):
            super().__init__()
            self.found = []

        def handle_starttag(self, tag, attrs):
            self.found += [v for k, v in attrs if k == "src" or (tag == "link" and k == "href")]

    parser = Sources()
    parser.feed(bundled_html)
    assert parser.found == [] and "<style>" in bundled_html and "@import" not in bundled_html


def test_the_html_escapes_what_it_shows(tmp_path):
    out = tmp_path / "mini.html"
    assert main(["doc", str(PACK), "-o", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert "rule WET-001 &#34;No net loss of wetland area&#34; {" in text
    assert "&gt;= sum(wetland.baseline_area_ha)" in text


def test_markdown_has_every_part(tmp_path):
    out = tmp_path / "mini.md"
    assert main(["doc", str(PACK), "-o", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    for part in ("## Goal levels", "## Process stages", "## Restoration object categories", "## Data dictionary",
                 "## Parameters", "## Rules", "## References", "| `area_ha` | number [ha] | ha | >= 0 | yes |",
                 "| `min_maintenance` | 3 | 3 | years |", "### WET-001 No net loss of wetland area",
                 "*Rationale.* Wetlands may not shrink.", "**MW**: Mini wetland guidance, 2026"):
        assert part in text, part
    assert '```nbs\nrule WET-001 "No net loss of wetland area" {' in text


def test_the_doc_of_a_profile_names_it_and_lists_its_changes(tmp_path):
    out = tmp_path / "city.md"
    assert main(["doc", str(PROFILE), "-o", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert "## Profile mini_city: Mini city profile" in text
    assert "| param | `min_maintenance` | 3 → 5 years |" in text
    assert "> **Disabled by the profile:** the city records restoration modes in its permits" in text
    assert "| `min_maintenance` | 5 (set by the profile) | 3 | years |" in text


def test_an_unknown_format_is_invalid_input(tmp_path, capsys):
    assert main(["doc", str(PACK), "-o", str(tmp_path / "x.pdf")]) == 2
    assert "name it .html or .md" in capsys.readouterr().err


def test_rules_read_in_words():
    std = api.load_standard(PACK)
    assert rule_in_words(std, std.rule("OBJ-001")) == ("For each object `o` in `objects`, it shall hold that "
                                                       "`o.mode` is given.")
    assert rule_in_words(std, std.rule("IMP-001")) == ("For the plan as a whole, it shall hold that "
                                                       "`maintenance_years` is at least `min_maintenance` (3 years).")


def test_the_document_data_is_plain_values():
    doc = standard_document(api.load_standard(PROFILE))
    assert doc["profile"]["extends"] == "mini_wetlands"
    assert [r["id"] for r in doc["rules"] if r["disabled"]] == ["OBJ-001"]


def test_a_folder_that_cannot_be_written_is_invalid_input(tmp_path, capsys):
    (tmp_path / "file").write_text("", encoding="utf-8")
    assert main(["doc", str(PACK), "-o", str(tmp_path / "file" / "x.md")]) == 2
    assert "cannot write" in capsys.readouterr().err


def test_code_in_the_meaning_is_code_and_escaped():
    from engine.authoring.document import _codify

    assert str(_codify('`a < b` is "x"')) == '<code>a &lt; b</code> is &#34;x&#34;'
    assert str(_codify("one ` alone <")) == "one ` alone &lt;"


def test_the_traceability_table_links_each_clause_to_its_rule_tests_and_findings(tmp_path):
    # the pack cites MW 2.1 (WET-001), MW 3 (OBJ-001), MW 4 (IMP-001); its one test file expects
    # WET-001 in tests 1 and 2, OBJ-001 in 1 and 2, IMP-001 in 1 and 3 (read here with plain yaml)
    import yaml

    spec = yaml.safe_load((PACK / "tests" / "wetlands.test.yaml").read_text(encoding="utf-8"))["tests"]
    trace = standard_document(api.load_standard(PACK))["trace"]
    assert [(t["clause"], t["rule"]) for t in trace] == [("MW 2.1", "WET-001"), ("MW 3", "OBJ-001"),
                                                         ("MW 4", "IMP-001")]
    for row in trace:
        want = [t["name"] for t in spec if row["rule"] in t.get("expect", {})]
        assert [x["name"] for x in row["tests"]] == want
    obj = trace[1]["tests"][1]
    assert obj["where"] == "tests/wetlands.test.yaml:10"
    assert obj["finding"] == "fail (rows W-1: pass, W-2: fail): \u201cW-2\u201d"
    out = tmp_path / "doc.md"
    assert main(["doc", str(PACK), "-o", str(out)]) == 0
    text = out.read_text(encoding="utf-8").split("## Traceability", 1)[1]
    assert "| MW 4 | IMP-001 | the example plan passes every rule (`tests/wetlands.test.yaml:2`) | pass |" in text
    assert "| short maintenance fails IMP-001 (`tests/wetlands.test.yaml:22`) | fail |" in text


def test_a_rule_without_a_test_is_marked_in_the_traceability_table(tmp_path):
    f = tmp_path / "pack.nbs"
    f.write_text('standard t "T" { version "1" }\ngoal G "G"\nstage S "S"\n'
                 'rule R-1 "r" { goal G stage S shall 1 > 0 }\n', encoding="utf-8")
    out = tmp_path / "doc.md"
    assert main(["doc", str(f), "-o", str(out)]) == 0
    assert "| (no citation) | R-1 | **no test** |  |" in out.read_text(encoding="utf-8")


def test_dated_params_and_partial_rules_are_documented():
    """A param's dated values are listed with their dates; `explain` reads `partial` aloud."""
    std = api.load_standard(CASES / "edition_on_its_start_date")
    params = {p["name"]: p["value"] for p in standard_document(std)["params"]}
    assert params == {"min_canopy": "30 from 2026-01-01, 35 from 2030-01-01", "min_districts": "1, 2 from 2031-01-01"}
    partial = api.load_standard(CASES / "partial_coverage")
    said = rule_in_words(partial, partial.rule("AREA"))
    assert "at least 70 % of their `area_ha` must have data" in said
