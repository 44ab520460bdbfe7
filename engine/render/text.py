"""The terminal summary: verdict, counts, scores, and what failed, with evidence."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from .. import format as F
from ..textsafe import inert_data
from ._common import evidence_lines, fix_text, fixed_positions, issue_findings, waiver_rows, where, with_outcomes
from .i18n import pad, t, width

_VERDICT = {
    "non_compliant": ("NON-COMPLIANT", "31"),
    "incomplete": ("INCOMPLETE", "33"),
    "compliant_with_observations": ("COMPLIANT WITH OBSERVATIONS", "36"),
    "compliant": ("COMPLIANT", "32"),
}
_MARK = {"fail": "✗", "insufficient_data": "?", "waived": "~", "pass": "✓", "not_applicable": "-"}
MAX_FINDINGS = 5


def use_color(stream=None) -> bool:
    stream = stream or sys.stdout
    return hasattr(stream, "isatty") and stream.isatty() and "NO_COLOR" not in os.environ


def _c(text: str, code: str, color: bool) -> str:
    return f"\033[{code}m{text}\033[0m" if color else text


def _bar(score: float | None, width: int = 10) -> str:
    if score is None:
        return "·" * width
    full = round(score * width)
    return "█" * full + "░" * (width - full)


def _scores(lang: str, title: str, rows: list[dict]) -> list[str]:
    if not rows:
        return []
    out = [title]
    w = max(width(f"{r['id']} {r['title']}") for r in rows)
    for r in rows:
        label = pad(f"{r['id']} {r['title']}", w)
        pct = f"{r['score'] * 100:4.0f}%" if r["score"] is not None else t(lang, "n/a").rjust(5 if lang == "en" else 4)
        capped = f", capped by {r['capped_by']}: own {r['own_score'] * 100:.0f}%" if r.get("capped_by") else ""
        out.append(f"  {label}  {_bar(r['score'])} {pct}  ({r['passed']}/{r['applicable']}{capped})")
    return out


def _evidence(rule: dict, lang: str = "en") -> list[str]:
    return [f"      {t(lang, 'evidence: {line}', line=line)}" for line in evidence_lines(rule, lang, missing=False)]


def _listed(rule: dict) -> Sequence[dict]:
    fs = issue_findings(rule)
    return [] if len(fs) <= 1 and not (fs and fs[0]["outcome"] == "waived" and rule["outcome"] != "waived") else fs


def _tally(lang: str, rule: dict) -> str:
    counts = rule["counts"]
    total = sum(counts.values())
    parts = [f"{counts[k]} {t(lang, label)}" for k, label in (("fail", "fail"), ("insufficient_data", "lack data"),
                                                              ("waived", "waived")) if counts.get(k)]
    of = "of {total} groups: {parts}" if rule["scope"] == "group" else "of {total} rows: {parts}"
    return t(lang, of, total=total, parts=", ".join(parts))


def _waived(lang: str, w: dict) -> str:
    return t(lang, "waived{by}: {reason}", by=t(lang, " by {who}", who=w["by"]) if w.get("by") else "",
             reason=w.get("reason", ""))


def _findings(lang: str, fs: Sequence[dict]) -> list[str]:
    out = []
    for f in _shown(fs):
        loc = f["location"]
        where = loc.get("file") or f["table"]
        if loc.get("line"):
            where = f"{where}:{loc['line']}"
        line = f"      {_MARK[f['outcome']]} {where}  {f['message']}"
        if f.get("waiver") and f["outcome"] == "waived":
            line += f"  ({_waived(lang, f['waiver'])})"
        out.append(line)
        if f.get("fix"):
            out.append("        " + t(lang, "fix: {text}", text=fix_text(f["fix"], lang)))
    if len(fs) > MAX_FINDINGS:
        out.append("      " + t(lang, "... and {n} more (see the JSON or CSV report)", n=len(fs) - MAX_FINDINGS))
    return out


def _shown(findings: Sequence[dict]) -> list[dict]:
    """The findings the summary lists, made inert: :func:`render` makes the report's own text inert, and findings
    held as columns are built only here, the few that are shown."""
    return [inert_data(f) for f in findings[:MAX_FINDINGS]]


def _place(rule: dict) -> str:
    """``file:line  `` where a rule's one finding, or a plan-level rule's data, is; empty when unknown."""
    issues = issue_findings(rule)
    loc = _shown(issues)[0]["location"] if len(issues) == 1 else rule.get("location") or {}
    text = where(loc)
    return f"{text}  " if text else ""


def _rule_block(lang: str, rule: dict, color: bool) -> list[str]:
    mark = _MARK[rule["outcome"]]
    code = "31" if rule["outcome"] == "fail" else "33"
    head = f"  {_c(mark, code, color)} {rule['id']} [{rule['strength']}, {rule['severity']}] {rule['title']}"
    out = [head]
    listed = _listed(rule)
    if listed:
        out.append(f"      {_tally(lang, rule)}")
    elif rule["message"]:
        out.append(f"      {_place(rule)}{rule['message']}")
    fix = rule.get("fix")
    if not fix and not listed:
        fixed = fixed_positions(rule["findings"], 1)  # the first fixed finding's, no other fix built
        fix = inert_data(rule["findings"][fixed[0]]["fix"]) if fixed else None
    if fix:
        out.append("      " + t(lang, "fix: {text}", text=fix_text(fix, lang)))
    if rule.get("waiver"):
        out.append(f"      {_waived(lang, rule['waiver'])}")
    out += _evidence(rule, lang)
    out += _findings(lang, listed)
    for c in rule["citations"]:
        clause = f" {c['clause']}" if c.get("clause") else ""
        out.append("      " + t(lang, "cite: {text}", text=f"{c['key']}{clause} — {c['citation']}"))
    return out


def _scope_note(lang: str, scope: dict | None) -> str:
    """After the verdict of a scoped run: that it covers only the rules in scope."""
    if scope is None:
        return ""
    rules = F.count(scope["rules_in_scope"], "rule") if lang == "en" else scope["rules_in_scope"]
    return t(lang, "  (covers only {rules} in scope: {selection}; {out} out of scope)", rules=rules,
             selection=scope["selection"], out=len(scope["rules_out_of_scope"]))


def _waivers(lang: str, report: dict) -> list[str]:
    """Every waiver of the waivers file with its status, as the JSON and HTML reports list them."""
    rows = waiver_rows(report)
    if not rows:
        return []
    head = t(lang, "{n} waiver(s) in {file}", n=len(rows), file=report.get("waivers_file") or "")
    as_of = report.get("waivers_as_of")
    if as_of:
        how = {"--as-of": "given with --as-of", "plan date": "the plan's date"}.get(as_of["source"],
                                                                                    "the day of the run")
        head += t(lang, ", judged on {date} ({how})", date=as_of["date"], how=t(lang, how))
    out = [f"{t(lang, 'Waivers')} ({len(rows)})", f"  {head}"]
    for w in rows:
        status = t(lang, w["status"])
        if w["days_left"] is not None and w["status"] != "expired":
            status += f", {t(lang, '{days} days left', days=w['days_left'])}"
        line = f"  {w['id']}  {w['scope']}  [{status}]  {t(lang, 'covers {n}', n=w['covers'])}"
        if w["expires"]:
            line += f", {t(lang, 'expires {date}', date=w['expires'])}"
        out.append(line)
        who = " · ".join(x for x in (w["by"], w["approved"], w["reference"]) if x)
        out.append(f"      {w['reason']}" + (f" ({who})" if who else ""))
    return out


def _edition(e: dict | None) -> list[str]:
    """The edition of a standard with dated params, the date it was picked on, and the values it holds."""
    if e is None:
        return []
    source = {"--as-of": "--as-of", "plan date": "the plan's date", "today": "today's date"}[e["source"]]
    head = f"edition of {e['edition']}" if e["edition"] else "the first values"
    values = ", ".join(f"{p['param']} {F.value(p['value'])}{' ' + p['unit'] if p['unit'] else ''}"
                       + (f" (from {p['from']})" if p["from"] else "") for p in e["params"])
    return [f"Edition:  {head}, as of {e['as_of']} ({source}): {values}"]


def _sources(sources: list[dict]) -> list[str]:
    """One line per table read as published: its encoding and what was mapped."""
    out: list[str] = []
    for s in sources:
        parts = [f"{s['encoding']} ({s['encoding_chosen_by']})"] if s["encoding"] else []
        # a unit given as the one declared (`cost: USD` to read `$1,200`) converts nothing: not listed
        mappings = [m for m in s["mappings"] if m["kind"] != "unit" or m["factor"] != 1 or m["from"] != m["to"]]
        kinds = [m["kind"] for m in mappings]
        parts += [F.count(kinds.count(k), *labels) for k, labels in (
            ("column", ("column renamed", "columns renamed")), ("unit", ("unit converted", "units converted")),
            ("values", ("value map", "value maps")),
            ("missing", ("column with missing-value marks", "columns with missing-value marks")),
            ("row_number", ("row-number key", "row-number keys"))) if k in kinds]
        parts += [f"{m['column']} {m['from']} → {m['to']}" for m in mappings if m["kind"] == "unit"]
        out.append(f"{'Sources:' if not out else '':10}{s['table']} ({s['file']}): {', '.join(parts)}")
    return out


def render(report: dict, color: bool = False) -> str:
    report = inert_data(report)  # plan text reaches a terminal: no control or bidi characters from it
    lang = report.get("lang") or "en"

    def head(label: str) -> str:
        return pad(t(lang, label), 10)

    std, plan = report["standard"], report["plan"]
    label, code = _VERDICT[report["verdict"]]
    label = t(lang, label)
    lines = [
        f"{head('Standard:')}{std['id']} {std['version']} — {std['title']}",
    ]
    if std.get("profile"):
        p = std["profile"]
        lines.append(f"{head('Profile:')}{p['id']} — {p['title']} ({t(lang, '{n} changes', n=len(p['changes']))})")
        lines += [f"          {c['kind']} {c['target']}: {c['change']}" for c in p["changes"]]
    lines.append(f"{head('Plan:')}{plan['id']} — {plan['title']}")
    lines += _edition(report.get("editions"))
    lines += _sources(report.get("sources", []))
    spatial = report.get("spatial")
    if spatial:
        by = {"standard": "the standard's", "plan": "the plan's", "layers": "the layers'"}[spatial["chosen_by"]]
        repairs = t(lang, "; {n} shapes repaired", n=len(spatial["repairs"])) if spatial["repairs"] else ""
        lines.append(head("Measured:") + t(lang, "{crs} ({name}), {by} CRS; {layers} layers{repairs}",
                                           crs=spatial["crs"], name=spatial["crs_name"], by=t(lang, by),
                                           layers=len(spatial["layers"]), repairs=repairs))
    lines += ["", f"{head('Verdict:')}{_c(label, '1;' + code, color)}" + _scope_note(lang, report.get("scope"))]
    c = report["counts"]
    lines.append(head("Rules:") + " · ".join(f"{c[k]} {t(lang, k.replace('_', ' '))}" for k in
                                             ("pass", "fail", "insufficient_data", "not_applicable", "waived")))
    lines.append("")
    for title, key in (("Scores by goal level", "goals"), ("Scores by process stage", "stages"),
                       ("Scores by restoration object category", "categories")):
        rows = report["scores"][key]
        title = t(lang, title)
        block = _scores(lang, title, [r for r in rows if r["applicable"] or key != "categories"])
        idle = [f"{r['id']} {r['title']}" for r in rows if not r["applicable"] and key == "categories"]
        if idle:  # no score, not 100 %: nothing in the plan for their rules to judge
            block = (block or [title]) + ["  " + t(lang, "no rule applies: {names}", names=", ".join(idle))]
        if block:
            lines += block + [""]
    groups = (
        ("Failed — shall", lambda r: r["outcome"] == "fail" and r["strength"] == "shall"),
        ("Insufficient data", lambda r: r["outcome"] == "insufficient_data"),
        ("Failed — should (observations)", lambda r: r["outcome"] == "fail" and r["strength"] == "should"),
        ("Failed — may (information)", lambda r: r["outcome"] == "fail" and r["strength"] == "may"),
        ("Waived", lambda r: r["outcome"] == "waived"),
        ("Passed on the rows with data (partial)", lambda r: r["outcome"] == "pass" and any(
            c["share"] is not None and c["share"] < 100 for c in r["evidence"].get("coverage", ()))),
    )
    for title, pick in groups:
        chosen = [r for r in report["rules"] if pick(r)]
        if chosen:
            lines.append(f"{t(lang, title)} ({len(chosen)})")
            for r in chosen:
                lines += _rule_block(lang, r, color)
            lines.append("")
    lines += _kept(report["rules"])
    lines += _waivers(lang, report)
    return "\n".join(lines).rstrip() + "\n"


def _kept(rules: list[dict]) -> list[str]:
    """Rules that keep evidence (`keep evidence`): their passing rows or groups, with the values that passed."""
    blocks = []
    for rule in rules:
        passing = with_outcomes(rule["findings"], ("pass",))
        if not passing:
            continue
        what = "passing row" if rule["scope"] == "row" else "passing group"
        block = [f"  {_MARK['pass']} {rule['id']} {rule['title']}: {F.count(len(passing), what)} kept"]
        for f in _shown(passing):
            values = ", ".join(f"{k} {F.value(v)}" for k, v in f["values"].items())
            block.append(f"      {_MARK['pass']} {f['key']}: {values}")
        if len(passing) > MAX_FINDINGS:
            block.append(f"      ... and {len(passing) - MAX_FINDINGS} more (see the JSON report)")
        blocks.append(block)
    if not blocks:
        return []
    return [f"Evidence kept for passing rows ({len(blocks)})", *(x for b in blocks for x in b), ""]
