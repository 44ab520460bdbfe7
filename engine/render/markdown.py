"""The Markdown report: short enough for a pull-request comment.

The verdict and counts, then the ``shall`` rules that failed or lack data in a table, then
everything else that did not pass inside a collapsed ``<details>`` block.
Plan text is escaped so that it cannot break the table or inject markup.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..textsafe import inert
from ._common import (
    OUTCOME_LABEL,
    VERDICT_LABEL,
    VERDICT_MEANING,
    evidence_lines,
    field,
    fix_text,
    fixed_positions,
    issue_findings,
    ordered_rules,
    waiver_rows,
    with_outcomes,
)
from .csv_ import FILENAME as CSV_FILE
from .i18n import t

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


def _more(lang: str, items: Sequence) -> str:
    return t(lang, " and {n} more", n=len(items) - MAX_OBJECTS) if len(items) > MAX_OBJECTS else ""


def _detail(lang: str, rule: dict) -> str:
    parts = [escape(rule["message"])] if rule["message"] else []
    parts += [escape(line) for line in evidence_lines(rule, lang)]
    everything = issue_findings(rule)
    findings = with_outcomes(everything, ("fail", "insufficient_data"))
    fixed = fixed_positions(findings, MAX_OBJECTS)
    for f in (([None] if rule.get("fix") else []) + [findings[i] for i in fixed])[:MAX_OBJECTS]:
        fix = rule["fix"] if f is None else f["fix"]
        named = f"{escape(f['key'])}: " if f is not None and len(findings) > 1 else ""
        parts.append(named + escape(t(lang, "fix: {text}", text=fix_text(fix, lang))))
    if len(findings) > 1 or (findings and findings[0]["message"] != rule["message"]):
        named = ", ".join(escape(f["key"]) for f in findings[:MAX_OBJECTS])
        parts.append(t(lang, "{n} object(s): {names}{more}", n=len(findings), names=named,
                       more=_more(lang, findings)))
    waived = with_outcomes(everything, ("waived",))
    reasons = {(w or {}).get("reason", "") for w in field(waived, "waiver")}
    if rule.get("waiver"):
        reasons.add(rule["waiver"].get("reason", ""))
    if waived:
        named = ", ".join(escape(f["key"]) for f in waived[:MAX_OBJECTS])
        parts.append(t(lang, "waived: {names}{more}", names=named, more=_more(lang, waived)))
    for reason in sorted(r for r in reasons if r):
        parts.append(t(lang, "waiver: {reason}", reason=escape(reason)))
    return "<br>".join(parts) or "—"


def _table(lang: str, rules: list[dict]) -> list[str]:
    out = [f"| | {t(lang, 'Rule')} | {t(lang, 'Strength')} | {t(lang, 'Finding')} |", "|---|---|---|---|"]
    for r in rules[:MAX_RULES]:
        out.append(f"| {_ICON[r['outcome']]} | **{escape(r['id'])}** {escape(r['title'])} | "
                   f"{r['strength']}, {r['severity']} | {_detail(lang, r)} |")
    if len(rules) > MAX_RULES:
        out.append(f"| | {t(lang, '… and {n} more rules', n=len(rules) - MAX_RULES)} | | |")
    return out


def _kinds(lang: str, rules: list[dict]) -> str:
    """``2 should rules failed, 1 rule lacking data``"""
    kinds = (("{n} should rule(s) failed", lambda r: r["outcome"] == "fail" and r["strength"] == "should"),
             ("{n} may rule(s) failed", lambda r: r["outcome"] == "fail" and r["strength"] == "may"),
             ("{n} rule(s) lacking data", lambda r: r["outcome"] == "insufficient_data"),
             ("{n} rule(s) waived", lambda r: r["outcome"] == "waived"))
    counts = [(text, sum(map(pick, rules))) for text, pick in kinds]
    said = [t(lang, text, n=n) for text, n in counts if n]
    # English counts agree with their nouns: 1 should rule, 2 should rules
    return ", ".join(s.replace("rule(s)", "rule" if s.startswith("1 ") else "rules") for s in said)


def _waivers(lang: str, report: dict) -> list[str]:
    """Every waiver of the waivers file with its status."""
    rows = waiver_rows(report)
    if not rows:
        return []
    out = [f"### {t(lang, 'Waivers')} ({len(rows)})", "",
           f"| {t(lang, 'Waiver')} | {t(lang, 'Scope')} | {t(lang, 'Status')} | {t(lang, 'Covers')} | "
           f"{t(lang, 'Reason')} | {t(lang, 'By · approved · reference')} | {t(lang, 'Expires')} |",
           "|---|---|---|---|---|---|---|"]
    for w in rows:
        status = t(lang, w["status"])
        if w["days_left"] is not None and w["status"] != "expired":
            status += f" ({t(lang, '{days} days left', days=w['days_left'])})"
        who = " · ".join(escape(x) if x else "—" for x in (w["by"], w["approved"], w["reference"]))
        out.append(f"| `{escape(w['id'])}` | {escape(w['scope'])} | {status} | {w['covers']} | "
                   f"{escape(w['reason'])} | {who} | {escape(w['expires']) or '—'} |")
    return [*out, ""]


def render(report: dict) -> str:
    lang = report.get("lang") or "en"
    std, plan, counts = report["standard"], report["plan"], report["counts"]
    verdict = report["verdict"]
    rules = ordered_rules(report)
    blocking = [r for r in rules if r["outcome"] in ("fail", "insufficient_data") and r["strength"] == "shall"]
    others = [r for r in rules if r["outcome"] in ("fail", "insufficient_data", "waived") and r not in blocking]
    checked = t(lang, "**{plan}** ({plan_id}{version}) checked against **{standard}** {standard_version}.",
                plan=escape(plan["title"]), plan_id=escape(plan["id"]),
                version=f" v{escape(plan['version'])}" if plan["version"] else "", standard=escape(std["title"]),
                standard_version=escape(std["version"]))
    lines = [
        f"## {t(lang, 'nbscheck: {verdict}', verdict=t(lang, VERDICT_LABEL[verdict]))}",
        "",
        f"{checked}  ",
        t(lang, VERDICT_MEANING[verdict]),
        "",
        " · ".join(f"{_ICON[o]} {counts[o]} {t(lang, OUTCOME_LABEL[o].lower())}" for o in OUTCOME_LABEL),
        "",
    ]
    if blocking:
        lines += [f"### {t(lang, 'Shall rules that failed or lack data ({n})', n=len(blocking))}", ""]
        lines += [*_table(lang, blocking), ""]
    if others:
        lines += ["<details>", f"<summary>{t(lang, 'Other findings: {kinds}', kinds=_kinds(lang, others))}</summary>",
                  "", *_table(lang, others), "", "</details>", ""]
    lines += _waivers(lang, report)
    foot = t(lang, "nbscheck {version} · standard sha256 {std} · plan sha256 {plan} · every failing object is "
             "listed in {csv}", version=escape(report["tool"]["version"]), std=f"`{std['sha256'][:12]}`",
             plan=f"`{plan['sha256'][:12]}`", csv=CSV_FILE)
    lines.append(f"<sub>{foot}</sub>")
    return "\n".join(lines) + "\n"
