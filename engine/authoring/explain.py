"""``nbscheck explain``: a rule's source, what it means in words, and on a plan, why it ended as it did.

The plan part reads only the rule's entry in the report (its evidence and
findings), so it says exactly what ``check`` would report.
"""

from __future__ import annotations

import difflib

from .. import format as F
from ..diagnostics import Diagnostic, NbsError, Span
from ..model import Rule, Standard
from .words import rule_in_words

MAX_ROWS = 10


def rule_hint(rule_id: str, known: list[str]) -> str | None:
    """A did-you-mean for a mistyped rule id. Ids share their `-NNN` tails, so only a close match is named.

    >>> rule_hint("WET-01", ["WET-001", "ZON-001"]), rule_hint("NOPE-001", ["WET-001", "ZON-001"])
    ('did you mean `WET-001`?', None)
    """
    close = difflib.get_close_matches(rule_id.upper(), sorted(set(known)), n=1, cutoff=0.8)
    return f"did you mean `{close[0]}`?" if close else None


def find_rule(std: Standard, rule_id: str) -> Rule:
    rule = std.rule(rule_id)
    if rule is None:
        raise NbsError([Diagnostic("unknown-rule", f"{std.id} has no rule `{rule_id}`", Span("RULE_ID"),
                                   hint=rule_hint(rule_id, [r.id for r in std.rules]))])
    return rule


def describe_rule(std: Standard, rule: Rule) -> list[str]:
    """The rule's header, source and meaning."""
    span = rule.span
    tags = [f"{rule.strength}, severity {rule.severity}"]
    for word, names in (("goals", rule.goals), ("categories", rule.categories), ("stages", rule.stages)):
        if names:
            tags.append(f"{word} {', '.join(names)}")
    out = [f"{rule.id} {rule.title}", f"  {' · '.join(tags)}", f"  {std.relpath(span.file)}:{span.line}"]
    if rule.disabled:
        out.append(f"  disabled by the profile: {rule.disabled}")
    for change in rule.changes:
        out.append(f"  changed by the profile: {change}")
    out += ["", *("  " + line for line in std.source_text(span).splitlines()), "", "What it means",
            f"  {rule_in_words(std, rule)}"]
    if rule.rationale:
        out.append(f"  Rationale: {rule.rationale}")
    for c in rule.citations:
        out.append(f"  Cites {c['key']}{' ' + c['clause'] if c['clause'] else ''}: {c['citation']}")
    return out




def why(std: Standard, rule: Rule, entry: dict) -> str:
    """One sentence: why the rule ended with its outcome."""
    outcome = entry["outcome"]
    counts = entry.get("counts", {})
    checked = sum(counts.values())
    if outcome == "not_applicable":
        if rule.when is not None and entry["evidence"].get("when") is False:
            return f"its condition `when {std.source_text(rule.when.span)}` is false for this plan"
        return "no row was in its scope"
    if outcome == "insufficient_data":
        missing = ", ".join(entry.get("missing") or []) or "some of the data it reads"
        return f"it cannot be decided: {missing} missing"
    if outcome == "pass":
        if entry["scope"] == "plan":
            return "its condition holds for the plan"
        unit = "groups" if entry["scope"] == "group" else "rows"
        return f"its condition holds for all {checked} {unit} in scope"
    if outcome == "fail":
        if entry["scope"] == "plan":
            return f"its condition does not hold: {entry['message']}"
        unit = "groups" if entry["scope"] == "group" else "rows"
        return f"{counts.get('fail', 0)} of {checked} {unit} in scope fail the condition"
    if outcome == "waived":
        return f"a reviewer waived it: {(entry.get('waiver') or {}).get('reason', 'see the waiver')}"
    return outcome


def explain_result(std: Standard, rule: Rule, entry: dict, plan_label: str) -> list[str]:
    """What the rule computed on a plan, from its report entry."""
    ev = entry["evidence"]
    out = ["", f"On plan {plan_label}", f"  Outcome: {entry['outcome']} — {why(std, rule, entry)}"]
    if "when" in ev and rule.when is not None:
        out.append(f"  when {std.source_text(rule.when.span)}  → {F.value(ev['when'])}")
    for name, value in ev.get("let", {}).items():
        out.append(f"  let {name} = {F.value(value)}")
    for chk in ev.get("checks", []):
        actual, required = F.check_texts(chk)
        out.append(f"  {chk['expression']}  → actual {actual}, required {chk['operator']} {required}")
    if entry.get("counts"):
        unit = "groups" if entry["scope"] == "group" else "rows"
        by = f" by {ev['group_by']}" if ev.get("group_by") else ""
        counts = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in entry["counts"].items())
        out.append(f"  {unit}{by}: {counts}")
    findings = entry.get("findings", [])
    for f in findings[:MAX_ROWS]:
        loc = f["location"]
        where = loc.get("file") or f["table"]
        where += f" line {loc['line']}" if loc.get("line") else f" row {f['row']}" if f.get("row") else ""
        values = ", ".join(f"{k}={F.value(v, given=True)}" for k, v in f.get("values", {}).items())
        out.append(f"  {f['outcome']:17} {f['table']} {f['key']} ({where}): {f['message']}")
        if values:
            out.append(f"  {'':17} values: {values}")
    if len(findings) > MAX_ROWS:
        out.append(f"  ... and {len(findings) - MAX_ROWS} more (nbscheck check -f json lists them all)")
    return out
