"""The report formats: each is valid, byte-identical for the same inputs, and treats plan text as data."""

from __future__ import annotations

import copy
import csv
import io
import json
import os
import stat
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import jsonschema
import pytest
import xmlschema
from casekit import copy_plan, edit

from engine.cli import main
from engine.render import FORMATS, csv_, html, junit, markdown, sarif, write_reports
from engine.render.options import RenderOptions
from engine.resources import data_dir

ROOT = Path(__file__).parent.parent
FIX = ROOT / "tests/fixtures"
SCHEMAS = Path(__file__).parent / "schemas"
REPORT_SCHEMA = json.loads((data_dir("reports") / "report.schema.json").read_text(encoding="utf-8"))
NEW_FORMATS = ["html", "md", "junit", "sarif", "csv"]
HOSTILE_TITLE = '<script>window.pwned = "title"</script> & "quoted" | pipe \'single\' ]]> `tick` *star*'
HOSTILE_KEY = '<img src=x onerror="window.pwned = 1">"O-2\''
HOSTILE_DISTRICT = '=HYPERLINK("http://evil.example","x")'


def schema_path(name: str) -> Path:
    """The official SARIF and JUnit schemas, kept in tests/schemas."""
    return SCHEMAS / name


def hostile_plan(tmp_path: Path) -> Path:
    """The mini plan, with a title and an object whose text tries to break every format."""
    plan = copy_plan(tmp_path / "hostile_plan")
    edit(plan / "plan.yaml", "title: Mini plan", f"title: {json.dumps(HOSTILE_TITLE)}")
    table = plan / "tables/objects.csv"
    rows = list(csv.reader(io.StringIO(table.read_text(encoding="utf-8"))))
    rows[2] = [HOSTILE_KEY, HOSTILE_DISTRICT, "brownfield", "2.0", "2024-05-10", "false"]
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    table.write_text(buf.getvalue(), encoding="utf-8")
    return plan


def report_of(plan: Path, tmp_path: Path) -> dict:
    out = tmp_path / "json-report"
    main(["check", str(plan), "-f", "json", "-o", str(out), "--fail-on", "never"])
    return json.loads((out / "report.json").read_text(encoding="utf-8"))


def big_report(base: dict, n: int) -> dict:
    """The report with ``n`` failing rows on its per-row rule (still valid against the contract)."""
    report = copy.deepcopy(base)
    rule = next(r for r in report["rules"] if r["scope"] == "row" and r["findings"])
    seed = rule["findings"][0]
    rule["findings"] = [{**seed, "key": f"O-{i:06d}", "row": i, "message": f"O-{i:06d} is untreated",
                         "location": {**seed["location"], "row": i, "line": i + 1}} for i in range(1, n + 1)]
    rule["counts"] = {"fail": n}
    return report


@pytest.fixture
def hostile(tmp_path) -> dict:
    return report_of(hostile_plan(tmp_path), tmp_path)


# ---- the registry and the CLI ------------------------------------------------------------
def test_every_format_is_registered_with_its_own_file():
    assert set(NEW_FORMATS) <= set(FORMATS)
    names = [r.filename for r in FORMATS.values()]
    assert len(names) == len(set(names))


def test_cli_writes_all_formats_at_once_and_byte_identically(tmp_path):
    plan = hostile_plan(tmp_path)
    for out in ("a", "b"):
        code = main(["check", str(plan), "-f", "html,md,junit,sarif,csv,json", "-o", str(tmp_path / out)])
        assert code == 1
    written = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert written == sorted([*(FORMATS[f].filename for f in ["html", "md", "junit", "sarif", "csv", "json"]),
                              "report.manifest.json"])  # the manifest names the set, written last
    for name in written:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_a_failed_render_writes_no_report(tmp_path, hostile, monkeypatch):
    def broken(report):
        raise RuntimeError("renderer failed")

    monkeypatch.setitem(FORMATS, "sarif", FORMATS["sarif"].__class__("sarif", "report.sarif", broken, "broken"))
    with pytest.raises(RuntimeError):
        write_reports(hostile, ["html", "csv", "sarif"], tmp_path / "out")
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


# ---- HTML --------------------------------------------------------------------------------
class _Collect(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.scripts, self.urls, self.text, self.handlers = [], 0, [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.scripts += tag == "script"
        self.urls += [v for k, v in attrs if k in ("src", "href") and v]
        self.handlers += [k for k, _ in attrs if k.startswith("on")]

    def handle_data(self, data):
        self.text.append(data)


def test_html_is_self_contained_and_shows_plan_text_as_text(hostile):
    page = html.render(hostile)
    parsed = _Collect()
    parsed.feed(page)
    assert parsed.scripts == 2  # ours and the search index (JSON data); the plan's <script> is text
    assert parsed.handlers == []  # the CSP allows only the page's own script, by its hash
    assert f"script-src '{html.assets()['js_hash']}'" in page
    assert "img" not in parsed.tags
    assert all(u.startswith(("#", "https://", "http://")) for u in parsed.urls)
    assert not any(t in parsed.tags for t in ("link", "iframe", "object", "embed"))
    assert "@import" not in page and "url(" not in page
    text = "".join(parsed.text)
    assert HOSTILE_TITLE in text and HOSTILE_KEY in text


def test_html_shows_verdict_identity_scores_and_evidence(hostile):
    page = html.render(hostile)
    for expected in ("Non-compliant", hostile["plan"]["sha256"], hostile["standard"]["sha256"], "By goal level",
                     "By planning stage", "By restoration object category", "actual", "sum(wetland.area_ha) &gt;= 2 ha",
                     "1.5 ha", "&gt;= 2", "Reference document, 2024", 'name="outcome"', 'name="goal"',
                     'name="category"', 'name="stage"', 'type="search"', "@media print", "<svg"):
        assert expected in page, expected


def test_html_caps_rows_per_rule_and_points_to_the_csv(hostile):
    report = big_report(hostile, 100_000)
    page = html.render(report)
    assert page.count('class="row-fail"') == html.MAX_ROWS
    assert "99,900 more objects are not shown" in page and csv_.FILENAME in page
    assert len(page) < 500_000


def test_html_renders_waivers_and_missing_data(tmp_path):
    plan = hostile_plan(tmp_path)
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text("waivers:\n  - rule: M-2\n    reason: counted <b>next door</b>\n    by: reviewer\n",
                       encoding="utf-8")
    out = tmp_path / "out"
    main(["check", str(plan), "--waivers", str(waivers), "-f", "html", "-o", str(out)])
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "counted &lt;b&gt;next door&lt;/b&gt;" in page and "badge-waived" in page


# ---- Markdown ----------------------------------------------------------------------------
def test_markdown_lists_failing_shall_rules_first_and_the_rest_folded(hostile):
    md = markdown.render(hostile)
    assert md.index("M-2") < md.index("<details>") < md.index("M-3")
    assert "Non-compliant" in md and "2 fail" in md


def test_markdown_escapes_plan_text(hostile):
    md = markdown.render(hostile)
    assert "<script>" not in md and "<img" not in md
    for line in md.splitlines():
        if line.startswith("| ❌"):
            assert line.replace("\\|", "").count("|") == 5, line


def test_markdown_stays_short_with_100000_failing_rows(hostile):
    assert len(markdown.render(big_report(hostile, 100_000))) < 10_000


# ---- JUnit -------------------------------------------------------------------------------
def test_junit_is_valid_and_has_one_testcase_per_rule(hostile):
    xml = junit.render(hostile, RenderOptions(fail_on="should"))
    xmlschema.XMLSchema(str(schema_path("junit.xsd"))).validate(xml)
    root = ET.fromstring(xml)
    cases = root.findall("./testsuite/testcase")
    assert len(cases) == len(hostile["rules"])
    failures = root.findall("./testsuite/testcase/failure")
    assert {f.get("type") for f in failures} == {"shall", "should"}
    assert any(HOSTILE_KEY in (f.text or "") for f in failures)
    props = {p.get("name"): p.get("value") for p in root.find("./testsuite/properties")}
    assert props["plan.title"] == HOSTILE_TITLE


def test_junit_survives_control_characters(hostile):
    hostile["plan"]["title"] = "bell\x07 and nul\x00"
    xml = junit.render(hostile)
    xmlschema.XMLSchema(str(schema_path("junit.xsd"))).validate(xml)


def test_junit_caps_the_objects_in_a_failure(hostile):
    xml = junit.render(big_report(hostile, 100_000))
    assert "and 99900 more" in xml and len(xml) < 100_000


# ---- SARIF -------------------------------------------------------------------------------
def _sarif_validator():
    return jsonschema.Draft4Validator(json.loads(schema_path("sarif-schema-2.1.0.json").read_text(encoding="utf-8")))


def test_sarif_is_valid_with_rules_levels_and_locations(hostile):
    doc = json.loads(sarif.render(hostile))
    _sarif_validator().validate(doc)
    run = doc["runs"][0]
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    assert rules["M-2"]["defaultConfiguration"]["level"] == "error"
    assert rules["M-3"]["defaultConfiguration"]["level"] == "warning"
    assert "Reference document, 2024" in rules["M-2"]["help"]["text"]
    m2 = next(r for r in run["results"] if r["ruleId"] == "M-2")  # a total over the objects table: its header line
    plan_loc = m2["locations"][0]["physicalLocation"]
    assert plan_loc == {"artifactLocation": {"uri": "tables/objects.csv", "uriBaseId": "%SRCROOT%"},
                        "region": {"startLine": 1}}
    m3 = next(r for r in run["results"] if r["ruleId"] == "M-3")
    assert m3["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "tables/objects.csv", "uriBaseId": "%SRCROOT%"}, "region": {"startLine": 3}}
    assert m3["locations"][0]["logicalLocations"][0]["name"] == HOSTILE_KEY
    assert HOSTILE_KEY in m3["message"]["text"]


def test_sarif_stays_within_code_scanning_limits(hostile):
    doc = json.loads(sarif.render(big_report(hostile, 100_000)))
    _sarif_validator().validate(doc)
    run = doc["runs"][0]
    assert len(run["results"]) <= 25_000
    assert "99000 more failing rows" in run["invocations"][0]["toolExecutionNotifications"][0]["message"]["text"]


# ---- CSV ---------------------------------------------------------------------------------
def test_csv_has_a_row_per_finding_and_defuses_formulas(hostile):
    rows = list(csv.DictReader(io.StringIO(csv_.render(hostile))))
    assert list(rows[0]) == list(csv_.COLUMNS)
    m3 = next(r for r in rows if r["rule_id"] == "M-3" and r["key"] == HOSTILE_KEY)
    assert (m3["file"], m3["line"], m3["outcome"]) == ("tables/objects.csv", "3", "fail")
    assert json.loads(m3["values"])["district"] == HOSTILE_DISTRICT
    assert m3["message"] == f"{HOSTILE_KEY} in {HOSTILE_DISTRICT} is untreated"
    assert not any(cell.startswith(("=", "+", "-", "@")) for r in rows for cell in r.values())


@pytest.mark.parametrize(("cell", "safe"), [("=1+1", "'=1+1"), ("+1", "'+1"), ("-x", "'-x"), ("@SUM(A1)", "'@SUM(A1)"),
                                            ("\tx", "'\tx"), ("plain", "plain"), (-2.5, "-2.5"), (None, "")])
def test_csv_defuse(cell, safe):
    assert csv_.defuse(cell) == safe


def test_csv_lists_every_one_of_100000_failing_rows(hostile):
    text = csv_.render(big_report(hostile, 100_000))
    assert sum(1 for r in csv.DictReader(io.StringIO(text)) if r["rule_id"] == "M-3") == 100_000


# ---- everything at once ------------------------------------------------------------------
def test_the_big_report_is_still_valid_against_the_contract(hostile):
    jsonschema.Draft202012Validator(REPORT_SCHEMA).validate(big_report(hostile, 1_000))


@pytest.mark.parametrize("fmt", NEW_FORMATS)
def test_every_format_handles_an_empty_standard(hostile, fmt):
    report = copy.deepcopy(hostile)
    report["rules"] = []
    report["counts"] = dict.fromkeys(report["counts"], 0)
    for key in report["scores"]:
        report["scores"][key] = []
    report["verdict"] = "compliant"
    assert FORMATS[fmt].render(report)


def test_reports_are_ordinary_readable_files(tmp_path, hostile):
    old = os.umask(0o022)
    try:
        (path,) = write_reports(hostile, ["csv"], tmp_path)
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_plan_text_comes_back_intact_from_every_machine_format(tmp_path):
    out = tmp_path / "out"
    main(["check", str(hostile_plan(tmp_path)), "-f", "json,junit,sarif,csv", "-o", str(out)])
    assert json.loads((out / "report.json").read_text(encoding="utf-8"))["plan"]["title"] == HOSTILE_TITLE
    props = ET.parse(out / "report.junit.xml").getroot().find("./testsuite/properties")
    assert {p.get("name"): p.get("value") for p in props}["plan.title"] == HOSTILE_TITLE
    run = json.loads((out / "report.sarif").read_text(encoding="utf-8"))["runs"][0]
    assert run["properties"]["plan"]["title"] == HOSTILE_TITLE
    with (out / "report.csv").open(encoding="utf-8", newline="") as fh:
        assert HOSTILE_KEY in {row["key"] for row in csv.DictReader(fh)}


def test_the_html_template_is_compiled_once_into_the_cache_and_never_served_stale(tmp_path, monkeypatch):
    # the page's template compiled on the first run is read from nbscheck's cache folder on the next (no
    # compiling); once the template's text changes, the entry no longer serves and the new text is compiled
    import shutil

    import jinja2

    from engine.cli import main
    from engine.render import html
    from engine.resources import data_dir

    reports = tmp_path / "reports"
    shutil.copytree(data_dir("reports"), reports)
    monkeypatch.setattr(html, "data_dir", lambda name: tmp_path / name)
    monkeypatch.setenv("NBSCHECK_CACHE_DIR", str(tmp_path / "cache"))
    compiled: list[str] = []
    compile_ = jinja2.Environment.compile

    def counted(self, source, name=None, filename=None, *args, **kwargs):
        compiled.append(name)
        return compile_(self, source, name, filename, *args, **kwargs)

    monkeypatch.setattr(jinja2.Environment, "compile", counted)

    def page(run: str) -> str:
        html.environment.cache_clear()  # a new run: no template held in memory
        out = tmp_path / run
        assert main(["check", str(ROOT / "examples/riverside"), "-f", "html", "-o", str(out), "-q"]) in (0, 1)
        return (out / "report.html").read_text(encoding="utf-8")

    try:
        first = page("first")
        entries = sorted(p.name for p in (tmp_path / "cache").iterdir() if p.name.startswith("jinja-"))
        assert html.TEMPLATE in compiled and len(entries) >= 1
        compiled.clear()
        assert page("second") == first and compiled == []  # read from the cache entry
        template = reports / "html" / html.TEMPLATE
        text = template.read_text(encoding="utf-8")
        assert "</body>" in text
        template.write_text(text.replace("</body>", "<!-- edited -->\n</body>", 1), encoding="utf-8")
        third = page("third")
        assert html.TEMPLATE in compiled and "<!-- edited -->" in third
        assert third.replace("<!-- edited -->\n", "") == first
    finally:
        html.environment.cache_clear()
        html.assets.cache_clear()
