"""Reviewer waivers: who accepted which finding, why, on whose approval, and until when.

A waivers file is YAML with a top-level ``waivers:`` list. Each waiver has a scope — a
``rule`` (optionally narrowed to row or group ``keys``), a ``goal`` or a ``category`` (every
rule tagged with it) — a ``reason``, and optionally an ``id``, ``by``, ``approved`` (who
approved it), a ``reference`` (ticket or letter) and ``expires`` (a date; the waiver covers
through that day). Waivers are judged on one date (``--as-of``, else the plan's
``plan.date``, else today's date, and the report says which): an expired waiver covers
nothing and is reported, and one expiring within ``warn_days`` is warned about. Every problem
of a file is reported at once.

>>> w = Waiver(id="W1", reason="approved", rule="BIO-001", expires=date(2026, 3, 1))
>>> w.status(date(2026, 2, 20), 14), w.status(date(2026, 3, 2), 14), w.status(date(2026, 1, 1), 14)
('expiring', 'expired', 'active')
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from .diagnostics import WARNING, Diagnostic, NbsError, Span, did_you_mean
from .model import Standard
from .plan.yamlread import line_of, read_document_file
from .resources import LazyModule

if TYPE_CHECKING:
    import jsonschema
else:  # a tenth of a second: imported when a document is validated
    jsonschema = LazyModule("jsonschema")

DEFAULT_WARN_DAYS = 30
SCOPES = ("rule", "goal", "category")
# What a finding's waiver carries into the report (the evaluator copies these keys).
REPORTED = ("id", "reason", "by", "approved", "reference", "expires")

FIELDS: dict[str, dict] = {
    "id": {"type": "string", "minLength": 1},
    "rule": {"type": "string"},
    "goal": {"type": "string"},
    "category": {"type": "string"},
    "keys": {"type": "array", "minItems": 1, "items": {"type": ["string", "number"]}},
    "reason": {"type": "string", "minLength": 3},
    "by": {"type": "string"},
    "approved": {"type": "string"},
    "reference": {"type": "string"},
    "expires": {"type": "string"},
}
ITEM_SCHEMA = {"type": "object", "required": ["reason"], "properties": FIELDS, "additionalProperties": False}
FIELDS_HINT = "each waiver: one of rule (with optional keys), goal or category; reason; optionally id, by, " \
              "approved, reference, expires (YYYY-MM-DD)"


@dataclass(frozen=True)
class Waiver:
    """One waiver as the file states it."""

    id: str
    reason: str
    rule: str | None = None
    keys: tuple | None = None
    goal: str | None = None
    category: str | None = None
    by: str | None = None
    approved: str | None = None
    reference: str | None = None
    expires: date | None = None
    file: str = "waivers"
    line: int = 0

    @property
    def scope(self) -> str:
        """``rule BIO-001 keys RS-007``, ``goal L3`` or ``category wetland``."""
        if self.rule:
            return f"rule {self.rule}" + (f" keys {', '.join(map(str, self.keys))}" if self.keys else "")
        return f"goal {self.goal}" if self.goal else f"category {self.category}"

    def rules(self, std: Standard) -> list[str]:
        """The ids of the rules in scope, in the standard's order."""
        if self.rule:
            return [self.rule]
        attr, value = ("goals", self.goal) if self.goal else ("categories", self.category)
        return [r.id for r in std.rules if value in getattr(r, attr)]

    def days_left(self, as_of: date) -> int | None:
        return None if self.expires is None else (self.expires - as_of).days

    def status(self, as_of: date, warn_days: int) -> str:
        """``expired`` after its date, ``expiring`` within ``warn_days`` of it, else ``active``."""
        left = self.days_left(as_of)
        if left is None:
            return "active"
        return "expired" if left < 0 else "expiring" if left <= warn_days else "active"

    def reported(self) -> dict:
        """The waiver as a finding shows it."""
        out = {"id": self.id, "reason": self.reason, "by": self.by, "approved": self.approved,
               "reference": self.reference, "expires": self.expires.isoformat() if self.expires else None}
        return {k: v for k, v in out.items() if v is not None}


@dataclass
class WaiverSet:
    """The waivers of one file and the date they are judged on."""

    waivers: list[Waiver]
    file: str
    as_of: date | None = None
    as_of_source: str | None = None  # "--as-of", "plan date" or "today"
    warn_days: int = DEFAULT_WARN_DAYS
    notes: list[Diagnostic] = field(default_factory=list)

    def judged(self, as_of: date, source: str, warn_days: int | None = None) -> WaiverSet:
        self.as_of, self.as_of_source = as_of, source
        if warn_days is not None:
            self.warn_days = warn_days
        return self

    def status(self, w: Waiver) -> str:
        return w.status(self.as_of or date.min, self.warn_days) if self.as_of else "active"

    def for_evaluation(self, std: Standard) -> list[dict]:
        """The waivers in force, one entry per rule in scope, as the evaluator takes them."""
        out = []
        for w in self.waivers:
            if self.status(w) == "expired":
                continue
            for rid in w.rules(std):
                if std.rule(rid) is None:  # left out of this run (--select, --ignore, the plan's scope)
                    continue
                out.append({"rule": rid, "keys": list(w.keys) if w.keys else None, **w.reported(),
                            "_file": w.file, "_line": w.line})
        return out

    def dated(self) -> bool:
        return any(w.expires for w in self.waivers)

    def review(self, std: Standard, report: dict, evaluator_notes: list[Diagnostic]) -> list[Diagnostic]:
        """Add every waiver with its status to ``report``; return the warnings to print.

        The evaluator's notes about unused waivers stand for rule-scoped waivers; a goal or
        category waiver is reported unused only when it covered nothing at all.
        """
        covers: dict[str, int] = {w.id: 0 for w in self.waivers}
        for rule in report["rules"]:
            for f in rule["findings"]:
                if f.get("waiver") and f["waiver"].get("id") in covers:
                    covers[f["waiver"]["id"]] += 1
            if not rule["findings"] and rule.get("waiver") and rule["waiver"].get("id") in covers:
                covers[rule["waiver"]["id"]] += 1
        broad = {w.line for w in self.waivers if not w.rule}
        left_out = {o["rule"]: o["reason"] for o in out_of_scope(std)}
        notes = [n for n in evaluator_notes if not (n.code == "waiver-unused" and n.span.line in broad)]
        listed = []
        for w in self.waivers:
            status = self.status(w)
            span = Span(w.file, w.line)
            ends = w.expires.isoformat() if w.expires else ""
            if status == "expired":
                notes.append(Diagnostic("waiver-expired", f"{w.id} ({w.scope}) expired on {ends}; "
                                        "it no longer covers anything", span, severity=WARNING,
                                        hint="renew it with a new `expires:` date, or resolve the finding"))
            elif status == "expiring" and self.as_of is not None:
                left = w.days_left(self.as_of)
                notes.append(Diagnostic("waiver-expiring", f"{w.id} ({w.scope}) expires on {ends}, "
                                        f"in {left} day{'s' if left != 1 else ''}", span, severity=WARNING))
            elif w.rule and w.rule in left_out:
                notes.append(Diagnostic("waiver-unused", f"{w.rule} is out of scope in this run ({left_out[w.rule]}); "
                                        f"waiver {w.id} has no effect", span, severity=WARNING))
            elif not w.rule and covers[w.id] == 0:
                notes.append(Diagnostic("waiver-unused", f"{w.id} ({w.scope}): no failing or incomplete rule in scope",
                                        span, severity=WARNING))
            if status != "expired" and covers[w.id] == 0:
                status = "unused"
            entry = {"id": w.id, "scope": w.scope, "rules": w.rules(std), "keys": list(w.keys) if w.keys else None,
                     **{k: v for k, v in w.reported().items() if k != "id"}, "status": status, "covers": covers[w.id],
                     "days_left": w.days_left(self.as_of) if self.as_of else None, "line": w.line}
            listed.append(entry)
        report["waivers"] = listed
        if self.as_of is not None:
            report["waivers_as_of"] = {"date": self.as_of.isoformat(), "source": self.as_of_source}
        return notes


def _date(text: object) -> date | None:
    """A YYYY-MM-DD date, or None for anything else."""
    if not isinstance(text, str):
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def load_waivers(path: str | Path, standard: Standard) -> WaiverSet:
    """Read and check a waivers file; every problem in it is reported at once (raises NbsError)."""
    p = Path(path)
    shown = str(p)
    data, lines, diags = read_document_file(p, shown, limit="waiver_file_bytes", what="the waivers file",
                                            code="waivers-schema", missing_code="waivers-not-found")
    if diags:
        raise NbsError(diags)
    if isinstance(data, list):
        raise NbsError([Diagnostic("waivers-schema", f"the file is a bare list of {len(data)} item(s); waivers go "
                                   "under a top-level `waivers:` key", Span(shown, 1),
                                   hint="start the file with `waivers:` and indent the list under it")])
    if not isinstance(data, dict) or not isinstance(data.get("waivers"), list):
        found = "nothing" if data is None else "a mapping without `waivers:`" if isinstance(data, dict) \
            else f"a {type(data).__name__}"
        raise NbsError([Diagnostic("waivers-schema", f"expected a mapping with a `waivers:` list, found {found}",
                                   Span(shown, 1), hint="waivers:\n      - {rule: ID, reason: \"...\"}")])
    extra = sorted(set(data) - {"waivers"})
    for k in extra:
        diags.append(Diagnostic("waivers-schema", f"unknown top-level key `{k}`", Span(shown, line_of(lines, [k])),
                                hint="the file holds only `waivers:`"))
    waivers, problems = parse_waivers(data["waivers"], standard, shown, lines)
    diags += problems
    if diags:
        raise NbsError(diags)
    return WaiverSet(waivers, shown)


def waivers_from_dicts(items: list[dict], standard: Standard, where: str = "waivers") -> WaiverSet:
    """A WaiverSet from waivers given as data (rule tests, the API); checked like a file."""
    waivers, problems = parse_waivers(list(items), standard, where, {})
    if problems:
        raise NbsError(problems)
    return WaiverSet(waivers, where)


def parse_waivers(items: list, standard: Standard, shown: str, lines: dict) -> tuple[list[Waiver], list[Diagnostic]]:
    """Every waiver of a list, and every problem with any of them."""
    validator = jsonschema.Draft202012Validator(ITEM_SCHEMA)
    # a rule left out by --select, --ignore or the plan's scope is known: its waiver is unused, not wrong
    rule_ids = [r.id for r in standard.rules] + [o["rule"] for o in out_of_scope(standard)]
    out: list[Waiver] = []
    seen: dict[str, int] = {}
    diags: list[Diagnostic] = []
    for i, item in enumerate(items):
        at = Span(shown, line_of(lines, ["waivers", i]))
        before = len(diags)
        for err in validator.iter_errors(item):
            diags.append(Diagnostic("waivers-schema", f"waiver W{i + 1}: {_schema_problem(err)}",
                                    Span(shown, line_of(lines, ["waivers", i, *err.absolute_path])), hint=FIELDS_HINT))
        if not isinstance(item, dict):
            continue
        diags += _check_item(item, i, standard, rule_ids, shown, lines, at)
        wid = str(item["id"]) if isinstance(item.get("id"), str) else f"W{i + 1}"
        if wid in seen:
            diags.append(Diagnostic("waivers-schema", f"waiver id `{wid}` is used twice (also line {seen[wid]})",
                                    at, hint="give each waiver its own id"))
        seen[wid] = at.line
        if len(diags) == before:
            out.append(Waiver(id=wid, reason=item["reason"], rule=item.get("rule"),
                              keys=tuple(item["keys"]) if item.get("keys") else None, goal=item.get("goal"),
                              category=item.get("category"), by=item.get("by"), approved=item.get("approved"),
                              reference=item.get("reference"), expires=_date(item.get("expires")),
                              file=shown, line=at.line))
    return out, diags


def _schema_problem(err) -> str:
    """What is wrong with one waiver, in the words of the file (not of the schema).

    >>> v = jsonschema.Draft202012Validator(ITEM_SCHEMA)
    >>> for e in sorted(map(_schema_problem, v.iter_errors({"rule": 1, "reason": "x", "keys": [], "colour": 0}))):
    ...     print(e)
    `keys` is empty: list at least one key
    `rule` should be text, not `1`
    reason is too short: give at least 3 characters
    unknown field `colour`
    """
    field = ".".join(map(str, err.absolute_path))
    v, want = err.validator, err.validator_value
    if v == "required":
        missing = [f for f in want if isinstance(err.instance, dict) and f not in err.instance]
        return f"{', '.join(missing) or 'a field'} is missing"
    if v == "additionalProperties":
        extra = sorted(set(err.instance) - set(FIELDS)) if isinstance(err.instance, dict) else []
        return f"unknown field{'s' if len(extra) > 1 else ''} {', '.join(f'`{k}`' for k in extra)}"
    if v == "minLength":
        return f"{field} is too short: give at least {want} character{'s' if want != 1 else ''}"
    if v == "minItems":
        return f"`{field}` is empty: list at least one key"
    if v == "type":
        kinds = {"string": "text", "number": "a number", "array": "a list", "object": "a mapping"}
        wanted = " or ".join(kinds.get(str(t), str(t)) for t in (want if isinstance(want, list) else [want]))
        if not field:
            return f"a waiver is a mapping of fields, not `{err.instance}`"
        return f"`{field}` should be {wanted}, not `{err.instance}`"
    return f"`{field}`: {err.message}" if field else err.message


def out_of_scope(standard: Standard) -> list[dict]:
    """The rules the run left out (``{"rule", "title", "reason"}``), if it was scoped."""
    return list((getattr(standard, "scope", None) or {}).get("rules_out_of_scope", []))


def _check_item(item: dict, i: int, std: Standard, rule_ids: list[str], shown: str, lines, at: Span) -> list:
    diags = []
    given = [s for s in SCOPES if s in item]
    if len(given) != 1:
        what = "none of" if not given else "more than one of"
        diags.append(Diagnostic("waivers-schema", f"waiver W{i + 1} names {what} rule, goal, category", at,
                                hint="a waiver covers one rule (optionally some keys), one goal or one category"))
    if "keys" in item and "rule" not in item:
        diags.append(Diagnostic("waivers-schema", f"waiver W{i + 1}: `keys` narrow a `rule`, not a goal or category",
                                Span(shown, line_of(lines, ["waivers", i, "keys"]))))
    for scope, known, code in (("rule", rule_ids, "unknown-rule"), ("goal", list(std.goals), "unknown-goal"),
                               ("category", list(std.categories), "unknown-category")):
        value = item.get(scope)
        if isinstance(value, str) and value not in known:
            diags.append(Diagnostic(code, f"waiver names unknown {scope} `{value}`",
                                    Span(shown, line_of(lines, ["waivers", i, scope])),
                                    hint=did_you_mean(value, known)))
    expires = item.get("expires")
    if isinstance(expires, str) and _date(expires) is None:
        diags.append(Diagnostic("waivers-schema", f"`expires`: `{expires}` is not a date (YYYY-MM-DD)",
                                Span(shown, line_of(lines, ["waivers", i, "expires"]))))
    return diags


def resolve_as_of(given: str | None, plan_meta: dict) -> tuple[date, str]:
    """The date waivers are judged on: ``--as-of``, else the plan's ``plan.date``, else today.

    A given date that is not a date raises NbsError.
    """
    if given:
        d = _date(given)
        if d is None:
            raise NbsError([Diagnostic("bad-argument", f"--as-of: `{given}` is not a date (YYYY-MM-DD)",
                                       Span("--as-of"))])
        return d, "--as-of"
    d = _date(str(plan_meta.get("date"))) if plan_meta.get("date") else None
    if d is not None:
        return d, "plan date"
    return dt.date.today(), "today"
