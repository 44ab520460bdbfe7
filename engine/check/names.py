"""Pass 1: collect declarations into one namespace; duplicates and headers."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..diagnostics import Diagnostic
from ..syntax import ast

# what a pack that extends another may declare again, replacing the base's declaration (an edition's own
# factor table, params, a table with other enum values); rules are changed with `override`/`disable` instead
_REPLACEABLE = (ast.TableDecl, ast.FieldDecl, ast.ParamDecl, ast.LookupDecl, ast.LetDecl, ast.CategoryDecl,
                ast.Reference)

# kinds that share one namespace of names usable in expressions
_VALUE_KINDS = (ast.TableDecl, ast.CategoryDecl, ast.FieldDecl, ast.ParamDecl, ast.LookupDecl, ast.LetDecl)


@dataclass
class Namespace:
    """Every declaration of a pack by kind, in declaration order."""

    header: ast.Header | None = None
    base_header: ast.Header | None = None
    references: dict[str, ast.Reference] = field(default_factory=dict)
    goals: dict[str, ast.Level] = field(default_factory=dict)
    stages: dict[str, ast.Level] = field(default_factory=dict)
    categories: dict[str, ast.CategoryDecl] = field(default_factory=dict)
    tables: dict[str, ast.TableDecl] = field(default_factory=dict)
    fields: dict[str, ast.FieldDecl] = field(default_factory=dict)
    params: dict[str, ast.ParamDecl] = field(default_factory=dict)
    lookups: dict[str, ast.LookupDecl] = field(default_factory=dict)
    lets: dict[str, ast.LetDecl] = field(default_factory=dict)
    units: dict[str, ast.UnitDecl] = field(default_factory=dict)
    rules: dict[str, ast.Rule] = field(default_factory=dict)
    sets: list[ast.SetParam] = field(default_factory=list)
    disables: list[ast.Disable] = field(default_factory=list)
    overrides: list[ast.Override] = field(default_factory=list)
    profile_rules: set[str] = field(default_factory=set)
    replaced: list[tuple[str, str]] = field(default_factory=list)  # (kind, name) an extending pack redeclared

    def value_names(self) -> list[str]:
        return [*self.tables, *self.categories, *self.fields, *self.params, *self.lookups, *self.lets]


_SLOTS = {
    ast.Reference: ("references", "key", "reference"),
    ast.CategoryDecl: ("categories", "id", "category"),
    ast.TableDecl: ("tables", "name", "table"),
    ast.FieldDecl: ("fields", "name", "field"),
    ast.ParamDecl: ("params", "name", "param"),
    ast.LookupDecl: ("lookups", "name", "lookup"),
    ast.LetDecl: ("lets", "name", "let"),
    ast.UnitDecl: ("units", "name", "unit"),
    ast.Rule: ("rules", "id", "rule"),
}


def collect(modules: list[ast.Module], base_modules: list[ast.Module] | None = None,
            imported: list[ast.Module] | None = None) -> tuple[Namespace, list[Diagnostic]]:
    """Gather declarations; a profile's modules come after its base's. ``imported``: the params and lookups
    of packs this one imports, declared before its own, which may replace them."""
    ns = Namespace()
    diags: list[Diagnostic] = []
    value_spans: dict[str, tuple[str, ast.Item]] = {}
    imported = imported or []
    inherited = [*(base_modules or []), *imported]
    ordered = [(m, True, False) for m in inherited] + [(m, base_modules is None, True) for m in modules]
    for module, is_base, own in ordered:
        for item in module.items:
            if isinstance(item, ast.Header):
                _header(ns, item, is_base, base_modules is not None, diags)
            elif isinstance(item, ast.Level):
                slot = ns.goals if item.kind == "goal" else ns.stages
                _put(slot, item.id, item, item.kind, diags)
            elif isinstance(item, ast.SetParam):
                ns.sets.append(item)
            elif isinstance(item, ast.Disable):
                ns.disables.append(item)
            elif isinstance(item, ast.Override):
                ns.overrides.append(item)
            elif isinstance(item, ast.Import):
                continue
            else:
                attr, key_attr, kind = _SLOTS[type(item)]
                name = getattr(item, key_attr)
                slot = getattr(ns, attr)
                if own and inherited and isinstance(item, _REPLACEABLE) and name in slot \
                        and _from_base(slot[name], inherited):
                    slot[name] = item  # the pack's own declaration replaces the base's or import's, in its place
                    if isinstance(item, _VALUE_KINDS):
                        value_spans[name] = (kind, item)
                    ns.replaced.append((kind, name))
                    continue
                if isinstance(item, _VALUE_KINDS):
                    if name in value_spans and value_spans[name][1] is not item:
                        other_kind, other = value_spans[name]
                        diags.append(Diagnostic("duplicate-id", f"`{name}` is already declared as a {other_kind} "
                                                f"at {other.span}", item.span))
                        continue
                    value_spans[name] = (kind, item)
                _put(getattr(ns, attr), name, item, kind, diags)
                if isinstance(item, ast.Rule) and not is_base:
                    ns.profile_rules.add(name)
    if ns.header is None:
        span = modules[0].items[0].span if modules and modules[0].items else None
        from ..diagnostics import Span

        diags.append(Diagnostic("missing-header", "the pack has no `standard` (or `profile`) header",
                                span or Span(modules[0].file if modules else "<pack>"),
                                hint='start a file with: standard my_standard "Title" { version "1.0.0" }'))
    if ns.header is not None and ns.header.kind == "standard" and ns.header.extends is None \
            and (ns.sets or ns.disables or ns.overrides):
        first = (ns.sets + ns.disables + ns.overrides)[0]
        diags.append(Diagnostic("profile-only", "`set`, `disable` and `override` belong in a profile that extends a "
                                "standard", first.span, hint='profile my_city "Title" extends base_standard { }'))
    return ns, diags


def _from_base(item, base_modules: list[ast.Module]) -> bool:
    files = {m.file for m in base_modules}
    return item.span.file in files


def _header(ns: Namespace, item: ast.Header, is_base: bool, profiled: bool, diags: list[Diagnostic]) -> None:
    if profiled and is_base:
        if ns.base_header is None:
            ns.base_header = item
        return
    if ns.header is not None:
        diags.append(Diagnostic("duplicate-header", f"a pack has one header; `{ns.header.id}` is declared at "
                                f"{ns.header.span}", item.span))
        return
    ns.header = item


def _put(slot: dict, name: str, item, kind: str, diags: list[Diagnostic]) -> None:
    if name in slot:
        diags.append(Diagnostic("duplicate-id", f"{kind} `{name}` is already declared at {slot[name].span}",
                                item.span))
        return
    slot[name] = item
