"""The Markdown report: short enough for a pull-request comment.

The verdict and counts, then the ``shall`` rules that failed or lack data in a table, then
everything else that did not pass inside a collapsed ``<details>`` block.
Plan text is escaped so that it cannot break the table or inject markup.
"""

from __future__ import annotations

import re

from ..textsafe import inert
from ._common import (
    OUTCOME_LABEL,
    VERDICT_LABEL,
    VERDICT_MEANING,
    evidence_lines,
    issue_findings,
    ordered_rules,
    with_outcomes,
)
from .csv_ import FILENAME as CSV_FILE

MAX_OBJECTS = 3  # failing objects named per rule
MAX_RULES = 40  # rules listed per section
MAX_CELL = 300  # characters of plan text per table cell
_SPECIAL = re.compile(r"([\\`*_\[\]|~])")  # what can start markup inside a line
_LINKISH = re.compile(r"(?<=:)(?=//)|(?<=\bwww)(?=\.)|(?<=@)(?=\w)", re.I)  # where an autolink or mention starts
_ICON = {"fail": "❌", "insufficient_data": "❔", "waived": "➖", "pass": "✅", "not_applicable": "⚪"}


def escape(text) -> str:
    """Plan text as inert Markdown: no HTML, no links, no table breaks, one line.

    >>> escape("<b>a|b</b>")
    '&lt;b&gt;a\\\\|b&lt;/b&gt;'
    >>> escape("see https://x.example @alice")
    'see https:&#8203;//x.example @&#8203;alice'
    """
    text = inert(" ".join(str(text).split()))
    if len(text) > MAX_CELL:
        text = text[: MAX_CELL - 1] + "…"
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _SPECIAL.sub(r"\\\1", text)
    # no autolinks, remote images or notifications: a zero-width space breaks `://`, `www.` and `@name`
    return _LINKISH.sub("&#8203;", text)


def _detail(rule: dict) -> str:
    parts = [escape(rule["message"])] if rule["message"] else []
    parts += [escape(line) for line in evidence_lines(rule)]
    everything = issue_findings(rule)
    findings = with_outcomes(everything, ("fail", "insufficient_data"))
    if len(findings) > 1 or (findings and findings[0]["message"] != rule["message"]):
        named = ", ".join(escape(f["key"]) for f in findings[:MAX_OBJECTS])
        more = f" and {len(findings) - MAX_OBJECTS} more" if len(findings) > MAX_OBJECTS else ""
        parts.append(f"{len(findings)} object(s): {named}{more}")
    waived = with_outcomes(everything, ("waived",))
    reasons = {(f.get("waiver") or {}).get("reason", "") for f in waived}
    if rule.get("waiver"):
        reasons.add(rule["waiver"].get("reason", ""))
    if waived:
        named = ", ".join(escape(f["key"]) for f in waived[:MAX_OBJECTS])
        more = f" and {len(waived) - MAX_OBJECTS} more" if len(waived) > MAX_OBJECTS else ""
        parts.append(f"waived: {named}{more}")
    for reason in sorted(r for r in reasons if r):
        parts.append(f"waiver: {escape(reason)}")
    return "<br>".join(parts) or "—"


def _table(rules: list[dict]) -> list[str]:
    out = ["| | Rule | Strength | Finding |", "|---|---|---|---|"]
    for r in rules[:MAX_RULES]:
        out.append(f"| {_ICON[r['outcome']]} | **{escape(r['id'])}** {escape(r['title'])} | "
                   f"{r['strength']}, {r['severity']} | {_detail(r)} |")
    if len(rules) > MAX_RULES:
        out.append(f"| | … and {len(rules) - MAX_RULES} more rules | | |")
    return out


def _kinds(rules: list[dict]) -> str:
    """``2 should rules failed, 1 rule lacks data``"""
    kinds = (("should rule", "failed", lambda r: r["outcome"] == "fail" and r["strength"] == "should"),
             ("may rule", "failed", lambda r: r["outcome"] == "fail" and r["strength"] == "may"),
             ("rule", "lacking data", lambda r: r["outcome"] == "insufficient_data"),
             ("rule", "waived", lambda r: r["outcome"] == "waived"))
    counts = [(noun, verb, sum(map(pick, rules))) for noun, verb, pick in kinds]
    return ", ".join(f"{n} {noun}{'' if n == 1 else 's'} {verb}" for noun, verb, n in counts if n)


def render(report: dict) -> str:
    std, plan, counts = report["standard"], report["plan"], report["counts"]
    verdict = report["verdict"]
    rules = ordered_rules(report)
    blocking = [r for r in rules if r["outcome"] in ("fail", "insufficient_data") and r["strength"] == "shall"]
    others = [r for r in rules if r["outcome"] in ("fail", "insufficient_data", "waived") and r not in blocking]
    lines = [
        f"## nbscheck: {VERDICT_LABEL[verdict]}",
        "",
        f"**{escape(plan['title'])}** ({escape(plan['id'])}"
        + (f" v{escape(plan['version'])}" if plan["version"] else "") + ") "
        f"checked against **{escape(std['title'])}** {escape(std['version'])}.  ",
        VERDICT_MEANING[verdict],
        "",
        " · ".join(f"{_ICON[o]} {counts[o]} {OUTCOME_LABEL[o].lower()}" for o in OUTCOME_LABEL),
        "",
    ]
    if blocking:
        lines += [f"### Shall rules that failed or lack data ({len(blocking)})", ""] + _table(blocking) + [""]
    if others:
        lines += ["<details>", f"<summary>Other findings: {_kinds(others)}</summary>", ""] + _table(others) + [
            "", "</details>", ""]
    lines.append(f"<sub>nbscheck {escape(report['tool']['version'])} · standard sha256 "
                 f"`{std['sha256'][:12]}` · plan sha256 `{plan['sha256'][:12]}` · "
                 f"every failing object is listed in {CSV_FILE}</sub>")
    return "\n".join(lines) + "\n"
