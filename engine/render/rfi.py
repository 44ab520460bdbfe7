"""The request for information: every piece of missing data that keeps a rule from deciding.

For the applicant, not the reviewer: grouped by where the data goes — values in plan.yaml
and totals over a whole table first, then each table's objects (rows or groups) with the
cells to fill — and for each, the rules waiting on it with their strength (a ``shall`` rule
waiting on data is what makes a plan ``incomplete``). Waived findings are not asked for.
Markdown (``rfi.md``) to send as a letter, CSV (``rfi.csv``) to track the answers: one row
per object and missing field.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from ._common import field as finding_field
from ._common import shared, value_text, where, with_outcomes
from .csv_ import defuse as _defuse
from .i18n import t
from .markdown import escape as _escape

STRENGTH_ORDER = {"shall": 0, "should": 1, "may": 2}
CSV_COLUMNS = ("table", "key", "file", "line", "missing", "rules", "blocks_verdict")


@dataclass
class Request:
    """One place the applicant must fill: an object (table and key) or a plan-level item."""

    table: str | None
    key: object
    location: dict
    group: bool = False  # a group of a per-group rule (``for each … by``) rather than a row
    missing: list[str] = field(default_factory=list)
    rules: dict[str, str] = field(default_factory=dict)  # rule id -> strength

    def add(self, missing: list[str], rule: dict) -> None:
        self.missing += [m for m in missing if m not in self.missing]
        self.rules.setdefault(rule["id"], rule["strength"])

    @property
    def blocks_verdict(self) -> bool:
        return "shall" in self.rules.values()

    def label(self, lang: str = "en") -> str:
        text = self.key if type(self.key) is str else value_text(self.key)
        return t(lang, "group {key}", key=text) if self.group else text

    def rule_list(self) -> list[str]:
        return [f"{rid} ({s})" for rid, s in sorted(self.rules.items(), key=lambda x: (STRENGTH_ORDER[x[1]], x[0]))]


def requests(report: dict) -> tuple[list[Request], list[Request]]:
    """(plan-level requests, object requests), each in a stable order; gathered once for a set of reports
    written together (:func:`engine.render._common.shared`: the Markdown and the CSV)."""
    return shared(report, "rfi requests", lambda: _requests(report))


def _requests(report: dict) -> tuple[list[Request], list[Request]]:
    plan: dict[tuple, Request] = {}
    objects: dict[tuple, Request] = {}
    for rule in report["rules"]:
        pending = with_outcomes(rule["findings"], ("insufficient_data",))
        group = rule["scope"] == "group"
        for table, key, location, missing in zip(*(finding_field(pending, name) for name in ("table", "key", "location",
                                                                                    "missing"))):
            ident = (table, group, key if type(key) is str else str(key))
            req = objects.get(ident)
            if req is None:
                req = objects[ident] = Request(table, key, location, group)
            req.add(missing or rule["missing"], rule)
        if rule["outcome"] == "insufficient_data" and not pending:
            for item in rule["missing"] or ["(the data this rule reads)"]:
                req = plan.setdefault((item,), Request(None, None, rule["location"]))
                req.add([item], rule)
    order = sorted(objects.values(), key=lambda r: (r.table, r.group, r.location.get("row") or 0, str(r.key)))
    return sorted(plan.values(), key=lambda r: (not r.blocks_verdict, r.missing[0])), order


def render_markdown(report: dict) -> str:
    escape = _memo(_escape)  # what many objects share (missing fields, rules) is escaped once
    lang = report.get("lang") or "en"
    plan_reqs, object_reqs = requests(report)
    p, s = report["plan"], report["standard"]
    version = t(lang, " version {version}", version=escape(p["version"])) if p["version"] else ""
    lines = [f"# {t(lang, 'Request for information: {plan}', plan=escape(p['title']))}", "",
             t(lang, "Plan `{plan}`{version}, checked against {standard} {standard_version}.", plan=escape(p["id"]),
               version=version, standard=escape(s["id"]), standard_version=escape(s["version"])), ""]
    if not (plan_reqs or object_reqs):
        lines.append(t(lang, "No rule is waiting on missing data."))
        return "\n".join(lines) + "\n"
    blocking = sum(r.blocks_verdict for r in plan_reqs + object_reqs)
    lines += [t(lang, "Data is missing in {n} places; in {blocking} of them it keeps a mandatory (shall) rule from "
                "deciding, and so keeps the plan from a verdict. Please provide it and resubmit.",
                n=len(plan_reqs) + len(object_reqs), blocking=blocking), ""]
    if plan_reqs:
        lines += [f"## {t(lang, 'Plan-level values and table totals')}", "",
                  f"| {t(lang, 'missing')} | {t(lang, 'where')} | {t(lang, 'rules waiting')} |", "|---|---|---|"]
        for r in plan_reqs:
            rules = escape(", ".join(r.rule_list()))
            lines.append(f"| {escape(r.missing[0])} | {escape(where(r.location))} | {rules} |")
        lines.append("")
    table = None
    per_table = Counter(r.table for r in object_reqs)
    for i, r in enumerate(object_reqs):
        if r.table != table:
            table = r.table
            n = per_table[table]
            head = " | ".join(t(lang, w) for w in ("object", "where", "missing", "rules waiting"))
            lines += [f"## {t(lang, 'Table `{table}` ({n} objects)', table=escape(str(table)), n=n)}", "",
                      f"| {head} |", "|---|---|---|---|"]
        lines.append(f"| {escape(r.label(lang))} | {escape(where(r.location))} | {escape(', '.join(r.missing))} "
                     f"| {escape(', '.join(r.rule_list()))} |")
        if i + 1 == len(object_reqs) or object_reqs[i + 1].table != table:
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _memo(fn: Callable[[str], str]) -> Callable[[str], str]:
    """``fn`` remembering its results for this render."""
    seen: dict[str, str] = {}
    return lambda text: seen[text] if text in seen else seen.setdefault(text, fn(text))


def render_csv(report: dict) -> str:
    defuse = _memo(_defuse)
    plan_reqs, object_reqs = requests(report)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    for r in plan_reqs + object_reqs:
        for m in r.missing:
            w.writerow([defuse(r.table or ""), defuse("" if r.key is None else r.label()),
                        defuse(r.location.get("file") or ""), r.location.get("line") or "", defuse(m),
                        defuse(" ".join(r.rule_list())), "yes" if r.blocks_verdict else "no"])
    return buf.getvalue()
