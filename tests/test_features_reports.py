"""Steps for the report features: a reviewer reading the HTML page, CI publishing JUnit and SARIF."""

from __future__ import annotations

import csv
import json
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import jsonschema
import pytest
import xmlschema
from pytest_bdd import given, parsers, scenarios, then, when

from engine.cli import main
from engine.render import FORMATS, Renderer

SCHEMAS = Path(__file__).parent / "schemas"

scenarios("reviewer_reads_html_report.feature", "ci_accepts_junit_sarif.feature")


class Page(HTMLParser):
    """The text of an HTML page (by the elements it sits in) and the resources it refers to."""

    _VOID = {"meta", "link", "img", "input", "br", "hr", "source", "area", "base", "col", "embed", "wbr"}

    def __init__(self, source: str):
        super().__init__()
        self.chunks, self.tags, self.refs, self._open = [], [], [], []
        self.script_types: list[str | None] = []  # the type attribute of each <script>
        self.feed(source)

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag == "script":
            self.script_types.append(dict(attrs).get("type"))
        self.refs += [v for k, v in attrs if k in ("src", "srcset", "data", "poster")
                      or (k == "href" and tag == "link")]
        if tag not in self._VOID:
            self._open.append(tag)
        self.chunks.append((tuple(self._open), " "))

    def handle_endtag(self, tag):
        if tag in self._open:
            del self._open[len(self._open) - 1 - self._open[::-1].index(tag):]
        self.chunks.append((tuple(self._open), " "))

    def handle_data(self, data):
        self.chunks.append((tuple(self._open), data))

    def words(self, within: str = "body") -> str:
        """The visible words inside the first kind of element named, spaces normalised."""
        text = "".join(d for stack, d in self.chunks if within in stack and not {"script", "style"} & set(stack))
        return " ".join(text.split())


@pytest.fixture
def ctx(tmp_path):  # the shared ctx (tests/conftest.py), with the folder reports are written to
    return {"reports": tmp_path / "reports"}


def _rule_text(ctx, rule: str) -> str:
    page = ctx["html"]
    start = page.rindex("<details", 0, page.index(f'id="rule-{rule}"'))
    return Page(page[start:page.index("</details>", start)]).words("details")


# ---- given -------------------------------------------------------------------------------
# 'the submitted plan "{name}"' and 'the object "{key}" is a brownfield that is not treated' are shared
# (tests/conftest.py)


@given(parsers.parse("the plan is titled '{title}'"))
def titled(ctx, title):
    yaml = ctx["plan"] / "plan.yaml"
    yaml.write_text(yaml.read_text(encoding="utf-8").replace("title: Mini plan", f"title: {json.dumps(title)}"))


@given(parsers.parse("{n:d} brownfields that are not treated"))
def many_untreated(ctx, n):
    with (ctx["plan"] / "tables/objects.csv").open("a", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows([f"B-{i:06d}", "east", "brownfield", "1.0", "", "false"]
                                                      for i in range(n))


@given("the SARIF renderer breaks", target_fixture="broken")
def broken_sarif(monkeypatch):
    def fail(report):
        raise RuntimeError("the SARIF renderer broke")

    monkeypatch.setitem(FORMATS, "sarif", Renderer("sarif", "report.sarif", fail, "broken"))


# ---- when --------------------------------------------------------------------------------
@when("I write the HTML report")
def write_html(ctx):
    main(["check", str(ctx["plan"]), "-f", "html", "-o", str(ctx["reports"])])
    ctx["html"] = (ctx["reports"] / "report.html").read_text(encoding="utf-8")


@when("I write the HTML and CSV reports")
def write_html_csv(ctx):
    main(["check", str(ctx["plan"]), "-f", "html,csv", "-o", str(ctx["reports"])])
    ctx["html"] = (ctx["reports"] / "report.html").read_text(encoding="utf-8")


@when(parsers.parse('CI writes the "{formats}" report'))
@when(parsers.parse('CI writes the "{formats}" reports'))
def ci_writes(ctx, formats):
    ctx["code"] = main(["check", str(ctx["plan"]), "-f", formats, "-o", str(ctx["reports"])])


@when(parsers.parse('CI writes the "{formats}" reports twice'))
def ci_writes_twice(ctx, formats):
    for out in ("first", "second"):
        main(["check", str(ctx["plan"]), "-f", formats, "-o", str(ctx["reports"] / out)])


# ---- then: the HTML page -----------------------------------------------------------------
@then(parsers.parse('the page shows the verdict "{label}"'))
def shows_verdict(ctx, label):
    assert f'<strong class="verdict-value">{label}</strong>' in ctx["html"]


@then("the page shows the plan's SHA-256")
def shows_plan_hash(ctx):
    assert _hash_of(ctx, "plan") in Page(ctx["html"]).words()


@then("the page shows the standard's SHA-256")
def shows_standard_hash(ctx):
    assert _hash_of(ctx, "standard") in Page(ctx["html"]).words()


def _hash_of(ctx, part: str) -> str:
    main(["check", str(ctx["plan"]), "-f", "json", "-o", str(ctx["reports"] / "json")])
    return json.loads((ctx["reports"] / "json/report.json").read_text(encoding="utf-8"))[part]["sha256"]


@then(parsers.parse('the rule "{rule}" shows "{actual}" where "{required}" is required'))
def shows_evidence(ctx, rule, actual, required):
    assert f"sum(wetland.area_ha) >= 2 ha {actual} {required}" in _rule_text(ctx, rule)


@then(parsers.parse('the rule "{rule}" cites "{citation}"'))
def cites(ctx, rule, citation):
    assert citation in _rule_text(ctx, rule)


@then(parsers.parse('the rule "{rule}" lists the object "{obj}" at "{where}"'))
def lists_object(ctx, rule, obj, where):
    assert f"{obj} {where}" in _rule_text(ctx, rule)


@then(parsers.parse("the page title reads '{title}'"))
def title_reads(ctx, title):
    assert Page(ctx["html"]).words("h1") == title


@then("the page holds no script but its own")
def one_script(ctx):
    # its own script, and the search index as JSON data (a browser never runs application/json)
    assert sorted(Page(ctx["html"]).script_types, key=str) == [None, "application/json"]


@then("the page refers to no stylesheet, script, image or font elsewhere")
def no_external(ctx):
    assert Page(ctx["html"]).refs == [] and "url(" not in ctx["html"] and "@import" not in ctx["html"]


@then(parsers.parse('the rule "{rule}" shows {n:d} objects and says "{note}"'))
def capped(ctx, rule, n, note):
    text = _rule_text(ctx, rule)
    assert ctx["html"].count('class="row-fail"') == n and note in text and "report.csv" in text


@then(parsers.parse('the CSV report lists all {n:d} failing objects of "{rule}"'))
def csv_lists_all(ctx, n, rule):
    with (ctx["reports"] / "report.csv").open(encoding="utf-8", newline="") as fh:
        assert sum(row["rule_id"] == rule for row in csv.DictReader(fh)) == n


# ---- then: JUnit and SARIF ---------------------------------------------------------------
def _schema(name: str) -> Path:
    return SCHEMAS / name


@then("the JUnit report is valid against the JUnit schema")
def junit_valid(ctx):
    assert xmlschema.XMLSchema(str(_schema("junit.xsd"))).is_valid(str(ctx["reports"] / "report.junit.xml"))


@then(parsers.parse("the JUnit report has {n:d} test cases"))
def junit_cases(ctx, n):
    assert len(ET.parse(ctx["reports"] / "report.junit.xml").findall("./testsuite/testcase")) == n


@then(parsers.parse('the test case "{name}" fails with type "{kind}" and "{message}"'))
def junit_failure(ctx, name, kind, message):
    case = next(c for c in ET.parse(ctx["reports"] / "report.junit.xml").iter("testcase") if c.get("name") == name)
    assert (case.find("failure").get("type"), case.find("failure").get("message")) == (kind, message)


def _sarif(ctx) -> dict:
    return json.loads((ctx["reports"] / "report.sarif").read_text(encoding="utf-8"))


@then("the SARIF report is valid against the SARIF 2.1.0 schema")
def sarif_valid(ctx):
    schema = json.loads(_schema("sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    assert jsonschema.Draft4Validator(schema).is_valid(_sarif(ctx))


@then(parsers.parse('the SARIF rule "{rule}" has the default level "{level}"'))
def sarif_level(ctx, rule, level):
    rules = _sarif(ctx)["runs"][0]["tool"]["driver"]["rules"]
    assert next(r for r in rules if r["id"] == rule)["defaultConfiguration"]["level"] == level


def _locations(ctx, rule: str) -> list[tuple[str, int | None]]:
    out = []
    for result in _sarif(ctx)["runs"][0]["results"]:
        if result["ruleId"] == rule:
            phys = result["locations"][0]["physicalLocation"]
            out.append((phys["artifactLocation"]["uri"], phys.get("region", {}).get("startLine")))
    return out


@then(parsers.parse('a result of "{rule}" points at "{file}" line {line:d}'))
def sarif_points_at_line(ctx, rule, file, line):
    assert (file, line) in _locations(ctx, rule)


@then(parsers.parse('a result of "{rule}" points at "{file}"'))
def sarif_points_at_file(ctx, rule, file):
    assert [f for f, _ in _locations(ctx, rule)] == [file]


@then("every report is byte-identical to its twin")
def byte_identical(ctx):
    first, second = ctx["reports"] / "first", ctx["reports"] / "second"
    names = sorted(p.name for p in first.iterdir())
    # six formats and the manifest of the set
    assert len(names) == 7 and all((first / n).read_bytes() == (second / n).read_bytes() for n in names)


@then("no report file is written")
def nothing_written(ctx):
    assert ctx["code"] == 3 and not (ctx["reports"].exists() and any(ctx["reports"].iterdir()))
