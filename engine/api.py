"""The public surface: load a standard, load a plan, evaluate.

>>> std = load_standard("nbs_urban_restoration")           # doctest: +SKIP
>>> plan = load_plan("examples/riverside", std)             # doctest: +SKIP
>>> evaluate(std, plan).verdict                             # doctest: +SKIP
'compliant_with_observations'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import jsonschema

from .check import check_pack
from .check.loader import bundled_packs, resolve_pack
from .diagnostics import Diagnostic, NbsError, Span, did_you_mean, has_errors
from .evaluate import evaluate_standard
from .model import Standard
from .plan import Plan
from .plan import load_plan as _load_plan
from .plan.loader import read_claim
from .plan.yamlread import line_of, read_document
from .report import build_report
from .results import RuleResult, verdict


@dataclass
class Report:
    """An evaluation: the rule results, and the report dict rendered from them."""

    standard: Standard
    plan: Plan
    results: list[RuleResult]
    data: dict
    notes: list[Diagnostic] = field(default_factory=list)  # warnings, e.g. waivers that cover nothing

    @property
    def verdict(self) -> str:
        return verdict(self.results)

    def outcome(self, rule_id: str) -> str:
        return next(r.outcome for r in self.results if r.rule_id == rule_id)


def load_standard(ref: str | Path) -> Standard:
    """A checked standard from a bundled id, a pack folder or a rule file; raises NbsError."""
    std, diags = check_pack(ref)
    if std is None or has_errors(diags):
        raise NbsError(diags)
    return std


def lint(ref: str | Path) -> list[Diagnostic]:
    """Every diagnostic of a pack (errors stop checking after the pass that found them)."""
    _, diags = check_pack(ref)
    return diags


def standard_for(plan_path: str | Path, override: str | None) -> str:
    """The standard to check a plan against: ``--standard``, else the plan's claim."""
    if not Path(plan_path).exists():
        raise NbsError([Diagnostic("plan-not-found", f"no plan package at {plan_path}", Span(str(plan_path)),
                                   hint="give a folder holding plan.yaml, a .zip of one, or the plan.yaml itself")])
    if override:
        return override
    claim, diags, where = read_claim(plan_path)
    if diags:
        raise NbsError(diags)
    if claim is None:
        raise NbsError([Diagnostic("no-standard", f"{plan_path} names no standard", Span(str(plan_path)),
                                   hint="add `standard: ID` to plan.yaml, or pass --standard ID|PATH")])
    base = Path(plan_path)
    base = base if base.is_dir() else base.parent
    candidate = base / claim
    if candidate.exists():
        return str(candidate)
    if resolve_pack(claim) is None:
        raise NbsError([Diagnostic("pack-not-found", f"`standard: {claim}` is not a bundled standard or a pack "
                                   "path", where or Span(str(plan_path)),
                                   hint=did_you_mean(claim, bundled_packs()) or "pass --standard ID|PATH")])
    return claim


def load_plan(path: str | Path, standard: Standard) -> Plan:
    """A validated plan package; raises NbsError listing every problem."""
    plan, diags = _load_plan(path, standard)
    if plan is None:
        raise NbsError(diags)
    return plan


WAIVERS_SCHEMA = {
    "type": "object",
    "required": ["waivers"],
    "properties": {"waivers": {"type": "array", "items": {
        "type": "object",
        "required": ["rule", "reason"],
        "properties": {
            "rule": {"type": "string"},
            "keys": {"type": "array", "minItems": 1, "items": {"type": ["string", "number"]}},
            "reason": {"type": "string", "minLength": 3},
            "by": {"type": "string"},
            "reference": {"type": "string"},
        },
        "additionalProperties": False,
    }}},
}


def load_waivers(path: str | Path, standard: Standard) -> list[dict]:
    """Reviewer waivers from a YAML file; every waiver names a rule and a reason."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise NbsError([Diagnostic("waivers-schema", f"not UTF-8 text ({e.reason} at byte {e.start})", Span(str(p)),
                                   hint="save the waivers file as UTF-8")]) from None
    except OSError as e:
        raise NbsError([Diagnostic("waivers-not-found", e.strerror or str(e), Span(str(p)))]) from None
    data, lines, diags = read_document(text, str(p))
    if diags:
        raise NbsError(diags)
    v = jsonschema.Draft202012Validator(WAIVERS_SCHEMA)
    for err in v.iter_errors(data):
        path_ = list(err.absolute_path)
        diags.append(Diagnostic("waivers-schema", f"`{'.'.join(map(str, path_)) or '(top level)'}`: {err.message}",
                                Span(str(p), line_of(lines, path_)),
                                hint="each waiver: rule, reason, and optionally keys, by, reference"))
    if not diags:
        ids = [r.id for r in standard.rules]
        for i, w in enumerate(data["waivers"]):
            if w["rule"] not in ids:
                diags.append(Diagnostic("unknown-rule", f"waiver names unknown rule `{w['rule']}`",
                                        Span(str(p), line_of(lines, ["waivers", i, "rule"])),
                                        hint=did_you_mean(w["rule"], ids)))
    if diags:
        raise NbsError(diags)
    return [{**w, "_file": str(p), "_line": line_of(lines, ["waivers", i])} for i, w in enumerate(data["waivers"])]


def evaluate(standard: Standard, plan: Plan, waivers: list[dict] | None = None,
             waivers_file: str | None = None) -> Report:
    """Evaluate every rule of ``standard`` on ``plan``."""
    notes: list[Diagnostic] = []
    results = evaluate_standard(standard, plan, waivers, notes)
    return Report(standard, plan, results, build_report(standard, plan, results, waivers_file), notes)
