"""The JUnit XML report: one test case per rule, one test suite per process stage.

CI servers read it as a test run, and it agrees with the exit code of ``--fail-on``:
a rule whose outcome fails the check is a ``<failure>`` (its type is the rule's
strength) or, when it lacks the data to decide, an ``<error>`` of type
``insufficient_data``; a waived or not applicable rule is ``<skipped>``. A rule that
failed or lacks data without failing the check (a ``should`` rule at ``--fail-on
shall``, anything at ``never``) passes, and its details go to the suite's
``<system-out>`` under "Not failing at --fail-on". A rule in several stages is listed under its first one;
rules without a stage form the suite ``general``. Times and the timestamp are
fixed (the report carries none) so the same inputs give the same bytes.
Valid against the Apache Ant JUnit schema (tests check it with xmlschema).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from ._common import citation_text, evidence_lines, issue_findings, value_text, values_text, where, xml_safe
from .i18n import t
from .options import DEFAULT, RenderOptions, fails_check

MAX_OBJECTS = 100  # failing objects written into one failure's text
TIMESTAMP = "1970-01-01T00:00:00"  # the schema requires one; a real clock would break byte-identical output


def _suites(report: dict) -> list[tuple[str, str, list[dict]]]:
    """(id, title, rules) per stage in the standard's order, then ``general``."""
    stages = [(s["id"], s["title"]) for s in report["scores"]["stages"]]
    known = {sid for sid, _ in stages}
    by_stage: dict[str, list[dict]] = {sid: [] for sid, _ in stages}
    general: list[dict] = []
    for rule in report["rules"]:
        first = next((s for s in rule["stages"] if s in known), None)
        (by_stage[first] if first else general).append(rule)
    out = [(sid, title, by_stage[sid]) for sid, title in stages if by_stage[sid]]
    if general:
        out.append(("general", t(report.get("lang") or "en", "Rules without a process stage"), general))
    return out


def _details(rule: dict) -> str:
    lines = [f"{rule['id']} {rule['title']} [{rule['strength']}, {rule['severity']}]"]
    if rule["message"]:
        lines.append(rule["message"])
    lines += evidence_lines(rule)
    findings = issue_findings(rule)
    for f in findings[:MAX_OBJECTS]:
        vals = values_text(f["values"])
        lines.append(f"- {f['table']} {value_text(f['key'])} ({where(f['location']) or f['table']}): "
                     f"{f['message']}" + (f" [{vals}]" if vals else ""))
    if len(findings) > MAX_OBJECTS:
        lines.append(f"... and {len(findings) - MAX_OBJECTS} more; every failing object is in report.csv")
    if rule["rationale"]:
        lines.append(f"Rationale: {rule['rationale']}")
    lines += [f"Cite: {citation_text(c)}" for c in rule["citations"]]
    return xml_safe("\n".join(lines) + "\n")


def _testcase(suite: ET.Element, rule: dict, classname: str, options: RenderOptions, lang: str) -> str | None:
    """Add the rule's test case; return its details when it did not pass but does not gate."""
    case = ET.SubElement(suite, "testcase", name=xml_safe(f"{rule['id']} {rule['title']}"),
                         classname=xml_safe(classname), time="0")
    outcome, message = rule["outcome"], xml_safe(rule["message"])
    if outcome in ("fail", "insufficient_data") and not fails_check(rule["strength"], outcome, options.fail_on):
        return f"[{outcome}] " + _details(rule)
    if outcome == "fail":
        ET.SubElement(case, "failure", message=message, type=rule["strength"]).text = _details(rule)
    elif outcome == "insufficient_data":
        ET.SubElement(case, "error", message=message, type="insufficient_data").text = _details(rule)
    elif outcome == "waived":
        reason = (rule["waiver"] or {}).get("reason", "")
        ET.SubElement(case, "skipped", message=xml_safe(f"{t(lang, 'waived')}: {reason}".rstrip(": ")))
    elif outcome == "not_applicable":
        ET.SubElement(case, "skipped", message=message or t(lang, "not applicable"))
    return None


def _properties(parent: ET.Element, report: dict) -> None:
    props = ET.SubElement(parent, "properties")
    std, plan = report["standard"], report["plan"]
    pairs = [("nbscheck.version", report["tool"]["version"]), ("standard.id", std["id"]),
             ("standard.version", std["version"]), ("standard.sha256", std["sha256"]), ("plan.id", plan["id"]),
             ("plan.title", plan["title"]), ("plan.version", plan["version"] or ""), ("plan.sha256", plan["sha256"]),
             ("verdict", report["verdict"])]
    for name, value in pairs:
        ET.SubElement(props, "property", name=name, value=xml_safe(value))


def render(report: dict, options: RenderOptions = DEFAULT) -> str:
    lang = report.get("lang") or "en"
    root = ET.Element("testsuites")
    std_id = report["standard"]["id"]
    for index, (sid, title, rules) in enumerate(_suites(report)):
        gating = [r["outcome"] for r in rules if fails_check(r["strength"], r["outcome"], options.fail_on)]
        outcomes = [r["outcome"] for r in rules]
        suite = ET.SubElement(root, "testsuite", name=xml_safe(f"{sid}: {title}"), package=xml_safe(std_id),
                              id=str(index), timestamp=TIMESTAMP, hostname="localhost", tests=str(len(rules)),
                              failures=str(gating.count("fail")), errors=str(gating.count("insufficient_data")),
                              skipped=str(outcomes.count("waived") + outcomes.count("not_applicable")), time="0")
        _properties(suite, report)
        quiet = [d for rule in rules if (d := _testcase(suite, rule, f"{std_id}.{sid}", options, lang))]
        ET.SubElement(suite, "system-out").text = (
            t(lang, "Not failing at --fail-on {gate}:", gate=options.fail_on) + "\n"
            + "".join(quiet) if quiet else "")
        ET.SubElement(suite, "system-err").text = ""
    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
