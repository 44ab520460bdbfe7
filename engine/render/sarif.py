"""The SARIF 2.1.0 report: rules as reporting descriptors, findings as results.

A result points into the repository: the table file and the row's line in it (a
group's first row), or the plan.yaml line a plan-level rule reads, relative to the
repository root (``%SRCROOT%``) through ``RenderOptions.source_prefix``; every result
has a region (line 1, the header or the top of plan.yaml, when nothing finer is known).
Each carries ``partialFingerprints`` from the rule and the object alone, so code hosts
follow an alert across commits. Levels follow ``--fail-on``: ``error`` exactly for what
fails the check (a ``shall`` rule lacking data included), ``warning`` for other failed
shall/should rules, ``note`` for ``may``; missing data that does not gate is of kind
``open``. Waived findings carry a suppression with the waiver's reason, or are left out
(``RenderOptions.waived == "omit"``). Code scanning services reject runs
with more than 25,000 results, so each rule lists at most ``MAX_PER_RULE`` rows
and the run at most ``MAX_RESULTS``; what was left out is said in a notification
(the CSV report lists every row).
"""

from __future__ import annotations

import re
from functools import partial
from json.encoder import encode_basestring

import numpy as np

from ._common import citation_text, evidence_lines, value_text, value_texts, values_text, values_texts
from .i18n import t
from .json_ import Prepared, dumps, slot, template
from .options import (
    DEFAULT,
    FAILING,
    OPEN,
    RenderOptions,
    fails_check,
    kept_entries,
    key_fingerprints,
    level,
    open_objects,
)

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
MAX_PER_RULE = 1000
MAX_RESULTS = 20000
ROOT = "%SRCROOT%"
FINGERPRINT = "nbscheckObject/v1"


def _pascal(title: str) -> str:
    """``Every degraded object has a mode`` → ``EveryDegradedObjectHasAMode``."""
    return "".join(w[:1].upper() + w[1:] for w in re.findall(r"[A-Za-z0-9]+", title))


def doc_link(rule_id: str, options: RenderOptions) -> str | None:
    """The rule's entry in the standard rendered by ``nbscheck doc`` (its anchor is ``rule-ID``)."""
    return f"{options.doc_url.split('#')[0]}#rule-{rule_id}" if options.doc_url else None


def _help(rule: dict, options: RenderOptions, lang: str) -> dict:
    """The rationale, then the citations (linked in Markdown where they have a URL), then the
    rule in the rendered standard."""
    lead = [rule["rationale"]] if rule["rationale"] else []
    cites = rule["citations"]
    text = lead + [f"Cite: {citation_text(c)}" for c in cites]
    md = lead + ["\n".join(f"- {citation_text(c)}" + (f" <{c['url']}>" if c.get("url") else "") for c in cites)]
    link = doc_link(rule["id"], options)
    if link:
        text.append(t(lang, "In the standard: {link}", link=link))
        md.append(f"[{rule['id']} in the standard]({link})")
    return {"text": "\n".join(text) or rule["title"], "markdown": "\n\n".join(m for m in md if m) or rule["title"]}


def _descriptor(rule: dict, options: RenderOptions, lang: str) -> dict:
    scope = "; ".join(f"{k} {', '.join(rule[k])}" for k in ("goals", "categories", "stages") if rule[k])
    desc = {
        "id": rule["id"],
        "name": _pascal(rule["title"]) or rule["id"],
        "shortDescription": {"text": rule["title"]},
        "fullDescription": {"text": f"{rule['title']} ({rule['strength']}, {rule['severity']}"
                                    + (f"; {scope}" if scope else "") + ")."},
        "help": _help(rule, options, lang),
        "defaultConfiguration": {"level": level(rule["strength"], "fail", options.fail_on)},
        "properties": {"strength": rule["strength"], "severity": rule["severity"],
                       "tags": rule["goals"] + rule["categories"] + rule["stages"],
                       "source": f"{rule['source']['file']}:{rule['source']['line']}"},
    }
    url = doc_link(rule["id"], options) or next((c["url"] for c in rule["citations"] if c.get("url")), None)
    if url:
        desc["helpUri"] = url
    return desc


def _location(loc: dict, options: RenderOptions, table: str | None = None, key=None) -> list[dict]:
    out: dict = {}
    if loc.get("file"):
        out["physicalLocation"] = {"artifactLocation": {"uri": options.source_prefix + loc["file"], "uriBaseId": ROOT},
                                   "region": {"startLine": loc.get("line") or 1}}
    if table is not None:
        out["logicalLocations"] = [{"name": value_text(key), "fullyQualifiedName": f"{table}/{value_text(key)}",
                                    "kind": "object"}]
    return [out] if out else []


def _result(rule: dict, index: int, finding: dict | None, fp: str, options: RenderOptions, lang: str) -> dict:
    src = finding or rule
    outcome, waiver = src["outcome"], src["waiver"]
    res: dict = {"ruleId": rule["id"], "ruleIndex": index}
    if outcome == "waived":
        res.update(kind="fail", level=level(rule["strength"], "fail", options.fail_on))
    elif outcome == "insufficient_data" and not fails_check(rule["strength"], outcome, options.fail_on):
        res.update(kind="open", level="none")
    else:
        res.update(kind="fail", level=level(rule["strength"], outcome, options.fail_on))
    extra = values_text(finding["values"]) if finding else "; ".join(evidence_lines(rule))
    res["message"] = {"text": (src["message"] or rule["title"]) + (f" ({extra})" if extra else "")}
    if finding:
        res["locations"] = _location(finding["location"], options, finding["table"], finding["key"])
    else:
        res["locations"] = _location(rule["location"], options)
    res["partialFingerprints"] = {FINGERPRINT: fp}
    if options.baseline is not None:
        res["baselineState"] = "unchanged" if fp in options.baseline else "new"
    if outcome == "waived":
        w = waiver or {}
        res["suppressions"] = [{"kind": "external", "status": "accepted",
                                "justification": w.get("reason", t(lang, "waived by a reviewer"))}]
    res["properties"] = {"outcome": outcome, "strength": rule["strength"], "severity": rule["severity"]}
    return res


def _results(report: dict, options: RenderOptions) -> tuple[list, list[dict]]:
    """The results (each a result's dict, or a function of the indent giving the texts of the listed findings of
    a rule held as columns), and the notifications of what was left out."""
    lang = report.get("lang") or "en"
    keep = FAILING if options.waived == "omit" else OPEN
    results: list = []
    notes: list[dict] = []
    listed = 0
    for index, rule in enumerate(report["rules"]):
        if rule["outcome"] not in OPEN:
            continue
        room = max(0, min(MAX_PER_RULE, MAX_RESULTS - listed))
        kept = open_objects(rule, keep)
        if kept is not None and hasattr(kept, "findings"):
            total, shown = len(kept), min(room, len(kept))
            if shown:
                results.append(partial(_column_results, rule, index, kept, shown, options, lang))
        else:
            entries, total = kept_entries(rule, kept, keep, room)
            shown = len(entries)
            results += [_result(rule, index, f, fp, options, lang) for fp, f in entries]
        listed += shown
        if total > room:
            notes.append({"level": "warning", "descriptor": {"id": "truncated"},
                          "associatedRule": {"id": rule["id"], "index": index},
                          "message": {"text": t(lang, "{rule}: {n} more failing rows are not listed here; the CSV "
                                                "report lists every row", rule=rule["id"], n=total - room)}})
    return results, notes


def _column_results(rule: dict, index: int, findings, stop: int, options: RenderOptions, lang: str,
                    pad: str) -> list[str]:
    """The texts of the results of the first ``stop`` findings of a rule held as columns, at the indent ``pad``:
    for each outcome, :func:`_result` of a prototype finding gives the result's shape (:func:`json_.template`),
    filled from the columns (the message with the values' texts, the line, the key, the fingerprint)."""
    f = findings.findings
    keys = f.key[:stop].tolist()
    names = value_texts(keys)
    fingerprints = key_fingerprints(rule["id"], f.table, keys)
    columns = {
        "message": [encode_basestring((m or rule["title"]) + (f" ({extra})" if extra else "")) for m, extra in
                    zip(f.messages(0, stop), values_texts(findings, 0, stop))],
        "line": [str(line or 1) for line in findings.lines(0, stop)],
        "name": list(map(encode_basestring, names)),
        "qualified": [encode_basestring(f"{f.table}/{name}") for name in names],
        "fingerprint": list(map(encode_basestring, fingerprints)),
        "justification": [encode_basestring((w or {}).get("reason", t(lang, "waived by a reviewer")))
                          for w in f.waiver[:stop].tolist()],
    }
    if options.baseline is not None:
        columns["baseline"] = ['"unchanged"' if fp in options.baseline else '"new"' for fp in fingerprints]
    outcomes = f.outcome[:stop]
    out: list[str] = [""] * stop
    for outcome in dict.fromkeys(outcomes.tolist()):
        proto = {"outcome": outcome, "waiver": {"reason": slot("justification")}, "message": slot("message"),
                 "values": {}, "location": {"file": findings.file, "line": slot("line")}, "table": f.table,
                 "key": slot("name")}
        result = _result(rule, index, proto, slot("fingerprint"), options, lang)
        for loc in result["locations"]:
            loc["logicalLocations"][0]["fullyQualifiedName"] = slot("qualified")
        if "baselineState" in result:
            result["baselineState"] = slot("baseline")
        form, slots = template(result, pad)
        where = np.flatnonzero(outcomes == outcome).tolist()
        for i, text in zip(where, map(form.__mod__, zip(*([columns[name][i] for i in where] for name in slots)))):
            out[i] = text
    return out


def _texts(results: list, pad: str) -> list[str]:
    return [text for r in results for text in (r(pad) if callable(r) else [dumps(r, pad)])]


def render(report: dict, options: RenderOptions = DEFAULT) -> str:
    std, plan = report["standard"], report["plan"]
    results, notes = _results(report, options)
    run = {
        "tool": {"driver": {
            "name": "nbscheck",
            "version": report["tool"]["version"],
            "rules": [_descriptor(r, options, report.get("lang") or "en") for r in report["rules"]],
            "properties": {"standard": {k: std[k] for k in ("id", "title", "version", "sha256")}},
        }},
        "originalUriBaseIds": {ROOT: {"description": {"text": "the repository root"}}},
        "invocations": [{"executionSuccessful": True, "toolExecutionNotifications": notes}],
        "results": Prepared(partial(_texts, results)),
        "properties": {"verdict": report["verdict"], "counts": report["counts"], "failOn": options.fail_on,
                       "planFolder": options.source_prefix.rstrip("/") or ".",
                       "plan": {k: plan[k] for k in ("id", "title", "version", "sha256")}},
    }
    doc = {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}
    return dumps(doc) + "\n"
