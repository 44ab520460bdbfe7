"""The public surface: load a standard, load a plan, evaluate.

>>> from engine.resources import data_dir
>>> std = load_standard("nbs_urban_restoration")
>>> plan = load_plan(data_dir("examples") / "riverside", std)
>>> evaluate(std, plan).verdict
'compliant_with_observations'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from . import fixes
from .diagnostics import Diagnostic, NbsError, Span, did_you_mean, has_errors
from .evaluate import evaluate_standard
from .inputs import inside
from .model import Standard
from .plan import Plan
from .plan import load_plan as _load_plan
from .plan.loader import read_claim
from .report import build_report
from .results import RuleResult, verdict
from .sources import bundled_packs, check_pack
from .waivers import WaiverSet, resolve_as_of, waivers_from_dicts
from .waivers import load_waivers as _load_waivers


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


def scoped(std: Standard, plan_path: str | Path, select=(), ignore=()) -> Standard:
    """``std`` restricted to the plan's `scope:` claims and the ``select``/``ignore`` selectors; raises NbsError."""
    from . import scope
    from .plan.loader import read_scope
    from .plan.schema import SCOPE_SCHEMA

    claims, where, diags = read_scope(plan_path, SCOPE_SCHEMA)
    if diags:
        raise NbsError(diags)
    selection = scope.Selection(tuple(select), tuple(ignore), tuple((k, tuple(v)) for k, v in claims.items()),
                                where.file if where else None)
    std, diags = scope.apply(std, selection)
    if diags:
        raise NbsError(diags)
    return std


def lint(ref: str | Path) -> list[Diagnostic]:
    """Every diagnostic of a pack (errors stop checking after the pass that found them)."""
    _, diags = check_pack(ref)
    return diags


def standard_for(plan_path: str | Path, override: str | Path | None) -> Standard:
    """The standard to check a plan against: ``--standard`` (any pack), else the plan's claim.

    A plan may claim only a bundled standard id or a pack inside its own package folder: a plan
    is data from whoever submits it, and must not make nbscheck read files elsewhere on the host.
    """
    if not Path(plan_path).exists():
        raise NbsError([Diagnostic("plan-not-found", f"no plan package at {plan_path}", Span(str(plan_path)),
                                   hint="give a folder holding plan.yaml, a .zip of one, or the plan.yaml itself")])
    if override:
        return load_standard(override)
    claim, diags, where = read_claim(plan_path)
    if diags:
        raise NbsError(diags)
    if claim is None:
        raise NbsError([Diagnostic("no-standard", f"{plan_path} names no standard", Span(str(plan_path)),
                                   hint="add `standard: ID` to plan.yaml, or pass --standard ID|PATH")])
    where = where or Span(str(plan_path))
    base = Path(plan_path)
    if base.is_dir() or base.suffix.lower() != ".zip":
        package = base if base.is_dir() else base.parent
        candidate = package / claim
        if "\0" not in claim and not Path(claim).is_absolute() and candidate.exists():
            if not inside(candidate, package):
                raise NbsError([Diagnostic("standard-outside-package", f"`standard: {claim}` leads outside the plan "
                                           "package", where, hint="a plan names a bundled standard id or a pack "
                                           "inside its own folder; for another pack pass --standard PATH")])
            return _load_claimed(candidate, package)
    if claim in bundled_packs():
        return load_standard(bundled_packs()[claim])
    if Path(claim).is_absolute() or ".." in Path(claim.replace("\\", "/")).parts:
        raise NbsError([Diagnostic("standard-outside-package", f"`standard: {claim}` is not a bundled standard or "
                                   "a pack inside the plan package", where,
                                   hint="a plan names a bundled standard id or a pack inside its own folder; for "
                                   "another pack pass --standard PATH")])
    raise NbsError([Diagnostic("pack-not-found", f"`standard: {claim}` is not a bundled standard or a pack "
                               "path", where,
                               hint=did_you_mean(claim, bundled_packs()) or "pass --standard ID|PATH")])


def _load_claimed(pack: Path, package: Path) -> Standard:
    """A pack inside a plan package; its profile may extend only bundled ids and packs in the package."""
    std, diags = check_pack(pack, within=package)
    if std is None or has_errors(diags):
        raise NbsError(diags)
    return std


def load_plan(path: str | Path, standard: Standard, parts=None) -> Plan:
    """A validated plan package; raises NbsError listing every problem. ``parts`` reads partitioned tables
    (see :func:`engine.plan.load_plan`)."""
    plan, diags = _load_plan(path, standard, parts)
    if plan is None:
        raise NbsError(diags)
    return plan


def load_waivers(path: str | Path, standard: Standard) -> WaiverSet:
    """Reviewer waivers from a YAML file (see :mod:`engine.waivers`); raises NbsError with every problem."""
    return _load_waivers(path, standard)


def evaluate(standard: Standard, plan: Plan, waivers: WaiverSet | list[dict] | None = None,
             waivers_file: str | None = None, evaluator=None, as_of: str | None = None) -> Report:
    """Evaluate every rule of ``standard`` on ``plan``.

    ``waivers`` is a :class:`WaiverSet` (from :func:`load_waivers`; judged on its ``as_of`` date,
    else the plan's date) or waivers as data (``rule``, ``keys``, ``reason``, ``expires``, ...),
    checked like a file (raises NbsError). ``evaluator`` is another engine's (the Dask engine's
    :class:`engine.distributed.DaskEvaluator`): its ``evaluate(waivers, notes)`` gives the results, and
    the report reads the plan its ``report_plan()`` gives. A param with dated values takes the value in
    force on ``as_of`` (YYYY-MM-DD), else on the plan's ``plan.date``, else today (see :mod:`engine.editions`).
    """
    from . import editions

    if editions.dated(standard):
        standard = editions.at(standard, *resolve_as_of(as_of, plan.meta))

    def results_of(for_evaluation):
        if evaluator is None:
            return evaluate_standard(standard, plan, for_evaluation, notes), plan
        return evaluator.evaluate(for_evaluation, notes), evaluator.report_plan()

    notes: list[Diagnostic] = []
    if waivers is not None and not isinstance(waivers, WaiverSet):
        waivers = waivers_from_dicts(waivers, standard)
    elif waivers is not None and waivers_file is None:
        waivers_file = Path(waivers.file).name
    if isinstance(waivers, WaiverSet):
        if waivers.as_of is None:
            waivers.judged(*resolve_as_of(None, plan.meta))
        results, shown = results_of(waivers.for_evaluation(standard))
        data = build_report(standard, shown, results, waivers_file)
        fixes.annotate(standard, data)
        if not waivers.dated():  # no waiver has a date: the report does not depend on one
            waivers.as_of = None
        notes = waivers.review(standard, data, notes)
        return Report(standard, plan, results, data, notes)
    results, shown = results_of(None)
    data = build_report(standard, shown, results, waivers_file)
    fixes.annotate(standard, data)
    return Report(standard, plan, results, data, notes)
