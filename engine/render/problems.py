"""Reports of a run that could not evaluate: the input diagnostics in every requested format.

When the plan, the rules or a waiver file is invalid (exit 2), ``check -o DIR`` still writes
the formats it was asked for, each holding the diagnostics (code, message, file, line,
column, hint), so CI shows them where it shows findings: SARIF results and GitHub or GitLab
annotations at the file and line, a JUnit ``<error>`` per diagnostic, CSV rows, a JSON
document (``reports/problems.schema.json``), a GeoJSON collection with no feature, and text, Markdown or
HTML listings.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from ..diagnostics import ERROR, Diagnostic
from ..resources import version
from . import github
from ._common import xml_safe
from .csv_ import defuse
from .markdown import escape
from .options import DEFAULT, RenderOptions, fingerprint, relative_to_root

PROBLEMS_VERSION = "1.0"


def _rows(diags: list[Diagnostic]) -> list[dict]:
    return [{"code": d.code, "severity": d.severity, "message": d.message, "file": d.span.file,
             "line": d.span.line or None, "column": d.span.column or None, "hint": d.hint} for d in diags]


def _uri(file: str, options: RenderOptions) -> str:
    """Diagnostics name files as the command line did; code hosts want them from the repository root."""
    return relative_to_root(file, Path(options.source_root)) if options.source_root else file


def render_json(diags: list[Diagnostic], options: RenderOptions) -> str:
    doc = {"problems_version": PROBLEMS_VERSION, "tool": {"name": "nbscheck", "version": version()},
           "verdict": None, "valid": False, "diagnostics": _rows(diags)}
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


def render_text(diags: list[Diagnostic], options: RenderOptions) -> str:
    n = sum(d.severity == ERROR for d in diags)
    return "\n".join(d.format() for d in diags) + f"\n\nNo verdict: the input has {n} error(s).\n"


def render_md(diags: list[Diagnostic], options: RenderOptions) -> str:
    lines = ["## nbscheck: the input is invalid, no verdict", "", "| where | code | problem |", "|---|---|---|"]
    for d in diags:
        hint = f" ({escape(d.hint)})" if d.hint else ""
        lines.append(f"| {escape(str(d.span))} | {escape(d.code)} | {escape(d.message)}{hint} |")
    return "\n".join(lines) + "\n"


def render_csv(diags: list[Diagnostic], options: RenderOptions) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    cols = ("code", "severity", "file", "line", "column", "message", "hint")
    w.writerow(cols)
    for r in _rows(diags):
        w.writerow([defuse(r[c]) if isinstance(r[c], str) else ("" if r[c] is None else r[c]) for c in cols])
    return buf.getvalue()


def render_junit(diags: list[Diagnostic], options: RenderOptions) -> str:
    errors = [d for d in diags if d.severity == ERROR]
    import xml.etree.ElementTree as ET  # only for a JUnit report of input problems

    root = ET.Element("testsuites")
    suite = ET.SubElement(root, "testsuite", name="input: the plan, rules and waivers nbscheck was given",
                          package="nbscheck", id="0", timestamp="1970-01-01T00:00:00", hostname="localhost",
                          tests=str(len(diags)), failures="0", errors=str(len(errors)), skipped="0", time="0")
    ET.SubElement(suite, "properties")
    for d in diags:
        case = ET.SubElement(suite, "testcase", name=xml_safe(f"{d.span}: {d.code}"), classname="nbscheck.input",
                             time="0")
        if d.severity == ERROR:
            ET.SubElement(case, "error", message=xml_safe(d.message), type=d.code).text = xml_safe(d.format() + "\n")
    ET.SubElement(suite, "system-out").text = ""
    ET.SubElement(suite, "system-err").text = ""
    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def render_sarif(diags: list[Diagnostic], options: RenderOptions) -> str:
    codes = sorted({d.code for d in diags})
    results = []
    for d in diags:
        region = {"startLine": d.span.line or 1}
        if d.span.column:
            region["startColumn"] = d.span.column
        results.append({
            "ruleId": d.code, "ruleIndex": codes.index(d.code), "kind": "fail",
            "level": "error" if d.severity == ERROR else "warning",
            "message": {"text": d.message + (f" (hint: {d.hint})" if d.hint else "")},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": _uri(d.span.file, options),
                                                                     "uriBaseId": "%SRCROOT%"}, "region": region}}],
            "partialFingerprints": {"nbscheckObject/v1": fingerprint(d.code, d.span.file, f"{d.span}:{d.message}")},
        })
    run = {"tool": {"driver": {"name": "nbscheck", "version": version(),
                               "rules": [{"id": c, "shortDescription": {"text": f"input diagnostic {c}"}}
                                         for c in codes]}},
           "originalUriBaseIds": {"%SRCROOT%": {"description": {"text": "the repository root"}}},
           "invocations": [{"executionSuccessful": False}], "results": results}
    doc = {"$schema": "https://json.schemastore.org/sarif-2.1.0.json", "version": "2.1.0", "runs": [run]}
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


def render_github(diags: list[Diagnostic], options: RenderOptions) -> str:
    lines = [github.annotation("error" if d.severity == ERROR else "warning", _uri(d.span.file, options),
                               d.span.line, f"nbscheck {d.code}", d.message + (f" (hint: {d.hint})" if d.hint else ""))
             for d in diags]
    return "\n".join(lines) + "\n"


def render_gitlab(diags: list[Diagnostic], options: RenderOptions) -> str:
    issues = [{"description": f"{d.code}: {d.message}", "check_name": d.code,
               "fingerprint": fingerprint(d.code, d.span.file, f"{d.span}:{d.message}"),
               "severity": "blocker" if d.severity == ERROR else "minor", "categories": ["Bug Risk"],
               "location": {"path": _uri(d.span.file, options), "lines": {"begin": d.span.line or 1}}}
              for d in diags]
    return json.dumps(issues, ensure_ascii=False, indent=2) + "\n"


def render_html(diags: list[Diagnostic], options: RenderOptions) -> str:
    from .html import environment

    return environment().get_template("problems.html.j2").render(
        tool={"version": version()}, diagnostics=_rows(diags),
        errors=sum(d.severity == ERROR for d in diags))


def render_geojson(diags: list[Diagnostic], options: RenderOptions) -> str:
    """No feature (nothing was evaluated); the diagnostics ride in the collection's ``nbscheck`` member, as a
    report's verdict does."""
    doc = {"type": "FeatureCollection", "name": "nbscheck problems",
           "nbscheck": {"verdict": None, "valid": False, "diagnostics": _rows(diags)}, "features": []}
    return json.dumps(doc, ensure_ascii=False) + "\n"


RENDERERS = {"json": render_json, "text": render_text, "md": render_md, "csv": render_csv, "junit": render_junit,
             "sarif": render_sarif, "github": render_github, "gitlab": render_gitlab, "html": render_html,
             "rfi": render_md, "rfi-csv": render_csv, "geojson": render_geojson}


def render(fmt: str, diags: list[Diagnostic], options: RenderOptions = DEFAULT) -> str:
    return RENDERERS[fmt](diags, options)
