"""The SARIF 2.1.0 report: rules as reporting descriptors, findings as results.

A result points into the plan package: the table file and the row's line in it,
or the plan.yaml line a plan-level rule reads. Its level follows the rule's
strength (shall → error, should → warning, may → note). Rules without the data to
decide give results of kind ``open``; waived findings are results with a
suppression that carries the justification. Code scanning services reject runs
with more than 25,000 results, so each rule lists at most ``MAX_PER_RULE`` rows
and the run at most ``MAX_RESULTS``; what was left out is said in a notification
(the CSV report lists every row).
"""

from __future__ import annotations

import json
import re

from ._common import SARIF_LEVEL, citation_text, evidence_lines, issue_findings, value_text, values_text

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
MAX_PER_RULE = 1000
MAX_RESULTS = 20000
ROOT = "PLANROOT"


def _pascal(title: str) -> str:
    """``Every degraded object has a mode`` → ``EveryDegradedObjectHasAMode``."""
    return "".join(w[:1].upper() + w[1:] for w in re.findall(r"[A-Za-z0-9]+", title))


def _help(rule: dict) -> dict:
    """The rationale, then the citations (linked in Markdown where they have a URL)."""
    lead = [rule["rationale"]] if rule["rationale"] else []
    cites = rule["citations"]
    text = lead + [f"Cite: {citation_text(c)}" for c in cites]
    md = lead + ["\n".join(f"- {citation_text(c)}" + (f" <{c['url']}>" if c.get("url") else "") for c in cites)]
    return {"text": "\n".join(text), "markdown": "\n\n".join(m for m in md if m)}


def _descriptor(rule: dict) -> dict:
    scope = "; ".join(f"{k} {', '.join(rule[k])}" for k in ("goals", "categories", "stages") if rule[k])
    desc = {
        "id": rule["id"],
        "name": _pascal(rule["title"]) or rule["id"],
        "shortDescription": {"text": rule["title"]},
        "fullDescription": {"text": f"{rule['title']} ({rule['strength']}, {rule['severity']}"
                                    + (f"; {scope}" if scope else "") + ")."},
        "help": _help(rule),
        "defaultConfiguration": {"level": SARIF_LEVEL[rule["strength"]]},
        "properties": {"strength": rule["strength"], "severity": rule["severity"],
                       "tags": rule["goals"] + rule["categories"] + rule["stages"],
                       "source": f"{rule['source']['file']}:{rule['source']['line']}"},
    }
    url = next((c["url"] for c in rule["citations"] if c.get("url")), None)
    if url:
        desc["helpUri"] = url
    return desc


def _location(loc: dict, table: str | None = None, key=None) -> list[dict]:
    out: dict = {}
    if loc.get("file"):
        phys: dict = {"artifactLocation": {"uri": loc["file"], "uriBaseId": ROOT}}
        if loc.get("line"):
            phys["region"] = {"startLine": loc["line"]}
        out["physicalLocation"] = phys
    if table is not None:
        out["logicalLocations"] = [{"name": value_text(key), "fullyQualifiedName": f"{table}/{value_text(key)}",
                                    "kind": "object"}]
    return [out] if out else []


def _result(rule: dict, index: int, outcome: str, message: str, locations: list[dict], waiver, extra: str) -> dict:
    res: dict = {"ruleId": rule["id"], "ruleIndex": index}
    if outcome == "insufficient_data":
        res.update(kind="open", level="none")
    else:
        res.update(kind="fail", level=SARIF_LEVEL[rule["strength"]])
    res["message"] = {"text": (message or rule["title"]) + (f" ({extra})" if extra else "")}
    if locations:
        res["locations"] = locations
    if outcome == "waived" or waiver:
        res["suppressions"] = [{"kind": "external", "status": "accepted",
                                "justification": (waiver or {}).get("reason", "waived by a reviewer")}]
    return res


def _results(report: dict) -> tuple[list[dict], list[dict]]:
    results, notes = [], []
    for index, rule in enumerate(report["rules"]):
        if rule["outcome"] not in ("fail", "insufficient_data", "waived"):
            continue
        findings = issue_findings(rule)
        if not findings:
            extra = "; ".join(evidence_lines(rule))
            results.append(_result(rule, index, rule["outcome"], rule["message"], _location(rule["location"]),
                                   rule["waiver"], extra))
            continue
        room = max(0, min(MAX_PER_RULE, MAX_RESULTS - len(results)))
        for f in findings[:room]:
            results.append(_result(rule, index, f["outcome"], f["message"],
                                   _location(f["location"], f["table"], f["key"]), f["waiver"],
                                   values_text(f["values"])))
        if len(findings) > room:
            notes.append({"level": "warning", "descriptor": {"id": "truncated"},
                          "associatedRule": {"id": rule["id"], "index": index},
                          "message": {"text": f"{rule['id']}: {len(findings) - room} more failing rows are not "
                                              "listed here; the CSV report lists every row"}})
    return results, notes


def render(report: dict) -> str:
    std, plan = report["standard"], report["plan"]
    results, notes = _results(report)
    run = {
        "tool": {"driver": {
            "name": "nbscheck",
            "version": report["tool"]["version"],
            "rules": [_descriptor(r) for r in report["rules"]],
            "properties": {"standard": {k: std[k] for k in ("id", "title", "version", "sha256")}},
        }},
        "originalUriBaseIds": {ROOT: {"description": {"text": f"the plan package of {plan['id']}"}}},
        "invocations": [{"executionSuccessful": True, "toolExecutionNotifications": notes}],
        "results": results,
        "properties": {"verdict": report["verdict"], "counts": report["counts"],
                       "plan": {k: plan[k] for k in ("id", "title", "version", "sha256")}},
    }
    doc = {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}
    return json.dumps(doc, ensure_ascii=False, indent=2, allow_nan=False) + "\n"
