"""Scoped checks: run only the rules a plan claims or a run selects, and require only their data.

A rule is in scope when it matches the plan's `scope:` claims (if any), matches ``--select`` (if
given) and does not match ``--ignore``. A selector names a rule id (``ACC-001``, or a pattern
``ACC-*``), a goal level, a category, a stage or a strength (``shall``, ``should``, ``may``),
optionally prefixed with its kind (``goal:L1``, ``category:wetland``, ``stage:design``,
``rule:WET-*``, ``strength:shall``). Tables, columns and plan-level fields are then required only
when a rule in scope reads them (directly, through a category, a `let` or a link between tables);
rules out of scope are listed in the report with the reason, and the verdict covers only the scope.

>>> Selection(select=("L1",)).describe()
'--select L1'
"""

from __future__ import annotations

import dataclasses
import fnmatch
from dataclasses import dataclass

from .diagnostics import Diagnostic, Span, did_you_mean
from .model import ColumnRef, LetRef, Rule, Standard, walk

KINDS = ("rule", "goal", "category", "stage", "strength")
CLAIMS = {"goals": "goal", "categories": "category", "stages": "stage", "rules": "rule"}


@dataclass(frozen=True)
class Selection:
    """What a run selects: ``select``/``ignore`` selectors and the plan's ``claims`` ({goals: [...], ...})."""

    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    claims: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (claims key, values), from plan.yaml `scope:`
    claims_file: str | None = None

    def __bool__(self) -> bool:
        return bool(self.select or self.ignore or self.claims)

    def describe(self) -> str:
        parts = [f"{k}: {', '.join(v)}" for k, v in self.claims]
        if parts:
            parts = [f"plan scope ({'; '.join(parts)})"]
        parts += [f"--select {','.join(self.select)}"] if self.select else []
        parts += [f"--ignore {','.join(self.ignore)}"] if self.ignore else []
        return ", ".join(parts)


def _matches(std: Standard, rule: Rule, selector: str) -> bool:
    kind, _, name = selector.rpartition(":")
    tags = {"rule": [rule.id], "goal": rule.goals, "category": _with_parents(std, rule.categories),
            "stage": rule.stages, "strength": [rule.strength]}
    for k in ([kind] if kind else KINDS):
        if k == "rule" and any(fnmatch.fnmatchcase(v, name) for v in tags[k]):
            return True
        if k != "rule" and name in tags[k]:
            return True
    return False


def _with_parents(std: Standard, categories: list[str]) -> list[str]:
    out = []
    for first in categories:
        c: str | None = first
        while c is not None and c in std.categories:
            out.append(c)
            c = std.categories[c].parent
    return out


def _known(std: Standard, selector: str, where: Span) -> Diagnostic | None:
    kind, _, name = selector.rpartition(":")
    if kind and kind not in KINDS:
        return Diagnostic("unknown-selector", f"`{selector}`: `{kind}` is not a kind of selector", where,
                          hint=f"use one of {', '.join(KINDS)}, or the bare name")
    names = {"rule": [r.id for r in std.rules], "goal": list(std.goals), "category": list(std.categories),
             "stage": list(std.stages), "strength": ["shall", "should", "may"]}
    for k in ([kind] if kind else KINDS):
        if k == "rule" and any(fnmatch.fnmatchcase(r, name) for r in names[k]):
            return None
        if k != "rule" and name in names[k]:
            return None
    pool = [n for k in ([kind] if kind else KINDS) for n in names[k]]
    return Diagnostic("unknown-selector", f"`{selector}` names no rule, goal level, category, stage or strength of "
                      f"{std.id}", where, hint=did_you_mean(name, pool) or "`nbscheck doc STANDARD` lists them")


def apply(std: Standard, selection: Selection) -> tuple[Standard, list[Diagnostic]]:
    """``std`` with only the rules in scope, and only their data required; or the selectors it does not know."""
    if not selection:
        return std, []
    diags = [d for s in selection.select if (d := _known(std, s, Span("--select")))]
    diags += [d for s in selection.ignore if (d := _known(std, s, Span("--ignore")))]
    claim_selectors = [f"{CLAIMS[k]}:{v}" for k, values in selection.claims for v in values]
    diags += [d for s in claim_selectors if (d := _known(std, s, Span(selection.claims_file or "plan.yaml")))]
    if diags:
        return std, diags
    kept, out = [], []
    for rule in std.rules:
        reason = None
        if claim_selectors and not any(_matches(std, rule, s) for s in claim_selectors):
            reason = "outside the plan's declared scope"
        elif selection.select and not any(_matches(std, rule, s) for s in selection.select):
            reason = f"not selected by --select {','.join(selection.select)}"
        else:
            hit = next((s for s in selection.ignore if _matches(std, rule, s)), None)
            if hit is not None:
                reason = f"ignored by --ignore {hit}"
        if reason is None:
            kept.append(rule)
        elif rule.disabled is None:
            out.append({"rule": rule.id, "title": rule.title, "reason": reason})
    tables, fields = needs(std, [r for r in kept if r.disabled is None])
    scoped_tables = {}
    for name, t in std.tables.items():
        cols = tables.get(name, set())
        columns = {c: (col if c in cols or c == t.key else dataclasses.replace(col, optional=True, references=None))
                   for c, col in t.columns.items()}
        scoped_tables[name] = dataclasses.replace(t, columns=columns, optional=t.optional or name not in tables)
    scoped_fields = {n: f if n in fields else dataclasses.replace(f, optional=True) for n, f in std.fields.items()}
    scope = {"selection": selection.describe(), "rules_in_scope": sum(r.disabled is None for r in kept),
             "rules_out_of_scope": out,
             "tables_required": sorted(n for n in tables if not std.tables[n].optional),
             "fields_required": sorted(n for n in fields if not std.fields[n].optional)}
    return dataclasses.replace(std, rules=kept, tables=scoped_tables, fields=scoped_fields, scope=scope), []


def needs(std: Standard, rules: list[Rule]) -> tuple[dict[str, set[str]], set[str]]:
    """The columns of each table and the plan-level fields that ``rules`` read."""
    tables: dict[str, set[str]] = {}
    fields: set[str] = set()
    seen: set[str] = set()  # top-level lets and categories already read

    def table_of(rowset: str | None) -> str | None:
        if rowset in std.tables:
            return rowset
        return std.categories[rowset].table if rowset in std.categories else None

    def use_rowset(rowset: str | None) -> None:
        name = table_of(rowset)
        if name is None:
            return
        tables.setdefault(name, set())
        cat = std.categories.get(rowset) if rowset is not None else None
        while cat is not None and cat.id not in seen:
            seen.add(cat.id)
            for n in walk(cat.selector):
                if isinstance(n, ColumnRef):
                    tables[cat.table].add(n.column)
            cat = std.categories.get(cat.parent) if cat.parent else None

    def read(expr, row_table: str | None) -> None:
        for n in walk(expr):
            use_rowset(n.rowset)
            if isinstance(n, LetRef) and n.top and f"let {n.name}" not in seen:
                seen.add(f"let {n.name}")
                read(std.lets[n.name], None)
            for ref in n.refs:
                if ref.kind == "field":
                    fields.add(ref.name)
                elif ref.kind in ("row", "group") and row_table is not None:
                    tables.setdefault(row_table, set()).add(ref.name)
                elif ref.kind == "elem" and (elem_table := table_of(ref.rowset)) is not None:
                    use_rowset(ref.rowset)
                    tables[elem_table].add(ref.name)
                elif ref.kind == "link" and ref.rowset is not None:  # a linked table's column, read through `->`
                    tables.setdefault(ref.rowset, set()).add(ref.name)

    for rule in rules:
        fe = rule.for_each
        row_table = table_of(fe.rowset) if fe is not None else None
        if fe is not None:
            use_rowset(fe.rowset)
            if fe.by and row_table is not None:
                tables[row_table].add(fe.by)
        for expr in rule.expressions():
            read(expr, row_table)
    changed = True
    while changed:  # a link makes the linked table needed
        changed = False
        for name, cols in list(tables.items()):
            for c in cols:
                target = std.tables[name].columns[c].references if c in std.tables[name].columns else None
                if target is not None and target not in tables:
                    tables[target] = set()
                    changed = True
    return tables, fields
