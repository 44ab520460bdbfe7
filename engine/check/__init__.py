"""Checking a rule pack: an ordered tuple of passes over the parsed modules.

Each pass returns diagnostics; checking stops after the first pass that
reports errors, so one mistake does not cascade into many.
"""

from __future__ import annotations

from pathlib import Path

from .. import builtins as B
from .. import units as U
from ..diagnostics import ERROR, Diagnostic, did_you_mean
from ..model import (
    BOOL,
    DATE,
    ELEM,
    ENUM,
    GEOMETRY,
    GROUP,
    INTEGER,
    INVALID,
    NUMBER,
    ROW,
    SCALAR,
    TEXT,
    Band,
    Call,
    Category,
    Column,
    Expr,
    Field,
    ForEach,
    Let,
    Level,
    Lookup,
    Param,
    Partial,
    Reference,
    Rule,
    Standard,
    Table,
    Texts,
    Type,
    languages,
    walk,
)
from ..results import DEFAULT_SEVERITY, SEVERITIES
from ..sources import Sources, check_pack, load_sources, pack_sha256
from ..syntax import ast
from .names import Namespace, collect
from .types import Scope, Typer
from .warnings import pass_warnings

__all__ = ["check_pack", "check_sources", "load_sources"]


class _State:
    """What the passes share: the sources, then the namespace and the typer (set by the names pass)."""

    ns: Namespace
    typer: Typer
    unit_defs: tuple[U.UnitDef, ...]

    def __init__(self, sources: Sources):
        self.sources = sources
        self.diags: list[Diagnostic] = []
        self.model: dict = {}


def _pass_names(st: _State) -> list[Diagnostic]:
    base = st.sources.base.modules if st.sources.base else None
    st.ns, diags = collect(st.sources.modules, base, st.sources.imported_modules())
    st.unit_defs = tuple(U.UnitDef(d.name, d.factor, d.base) for d in st.ns.units.values())
    units = U.system(st.unit_defs)
    st.typer = Typer(st.ns, st.diags, units)
    if st.unit_defs:
        units.registry  # noqa: B018 -- defines the pack's units, which reports those it cannot
        for name, (code, why) in units.errors.items():
            decl = st.ns.units[name]
            diags.append(Diagnostic(code, why, decl.span, hint=None if code != "unknown-unit" else
                                    did_you_mean(decl.base or "", units.names())
                                    or "write `unit NAME` for a new kind of quantity, or `unit NAME = 1000 m2`"))
    return diags


def _check_constraints(t: Typer, decl, typ: Type):
    for c in decl.constraints:
        if not typ.numeric:
            t.err("bad-constraint", f"`{c.op} {c.value:g}` needs a number column; this one is {typ.describe()}",
                  c.span)
        elif c.op in ("==", "!="):
            t.err("bad-constraint", "ranges use >=, >, <= or <", c.span)
    return tuple((c.op, c.value) for c in decl.constraints)


def _literal(t: Typer, lit, want: Type | None, span) -> tuple[Type, object]:
    """The type and value of a param or lookup literal, converted to ``want``'s unit."""
    if isinstance(lit, ast.Str):
        return Type(TEXT), lit.value
    if isinstance(lit, ast.Bool):
        return Type(BOOL), lit.value
    unit = t.unit(lit.unit, lit.span) if lit.unit else None
    kind = INTEGER if lit.value.is_integer() and "." not in lit.text else NUMBER
    value = lit.value
    if want is not None and want.numeric:
        if unit is not None and want.unit is not None:
            try:
                factor, offset = t.units.conversion(unit, want.unit)
            except U.UnitError:
                t.err("unit-mismatch", f"`{lit.text} {lit.unit}` is {unit.dimension_name()}; "
                      f"{want.unit.name or 'this'} is {want.unit.dimension_name()}", lit.span)
            else:
                value = value * factor + offset
        return want, value
    return Type(kind, unit or U.DIMENSIONLESS), value


def _check_header(t: Typer, attrs) -> None:
    """How the standard measures shapes: `crs "metric"` or a CRS code; `repair "make_valid"`."""
    for key, value, span in attrs:
        text = value.strip()
        if key == "crs" and text.lower() != "metric":
            import pyproj

            try:
                crs = pyproj.CRS.from_user_input(f"EPSG:{text}" if text.isdigit() else text)
            except pyproj.exceptions.CRSError:
                t.err("unknown-crs", f"`crs \"{value}\"` is not a known coordinate reference system", span,
                      'write `crs "metric"` (any projected CRS in metres) or an EPSG code such as `crs "27700"`')
                continue
            unit = crs.axis_info[0].unit_name if crs.axis_info else ""
            if not crs.is_projected or unit not in ("metre", "meter"):
                t.err("unknown-crs", f"`crs \"{value}\"` does not measure in metres ({crs.name})", span,
                      "areas and distances are measured in a projected CRS in metres")
        elif key == "repair" and text != "make_valid":
            t.err("bad-header", f"`repair \"{value}\"`: the only repair is \"make_valid\"", span)
        elif key == "progression" and not {p.strip() for p in text.split(",")} <= {"goals", "stages"}:
            t.err("bad-header", f"`progression \"{value}\"`: a progression is of \"goals\", \"stages\" or "
                  "\"goals, stages\"", span, "the goal levels (or stages), in their declared order, each "
                  "building on the one before")


def _pass_declarations(st: _State) -> list[Diagnostic]:
    ns, t = st.ns, st.typer
    m = st.model
    _check_header(t, ns.header.attrs if ns.header is not None else ())
    m["titles"] = _titles(st, pack_header(ns)) if ns.header is not None else ()
    m["references"] = {k: Reference(k, r.citation, r.url, r.span) for k, r in ns.references.items()}
    m["goals"] = {k: Level(k, g.title, g.doc, i, g.span, _titles(st, g)) for i, (k, g) in enumerate(ns.goals.items())}
    m["stages"] = {k: Level(k, s.title, s.doc, i, s.span, _titles(st, s))
                   for i, (k, s) in enumerate(ns.stages.items())}
    tables = {}
    for name, decl in ns.tables.items():
        cols = {}
        for written in decl.columns:
            if written.name in cols:
                t.err("duplicate-id", f"column `{written.name}` is declared twice in table `{name}`", written.span)
                continue
            typ = t.decl_type(written.type, written.unit, written.span)
            cols[written.name] = Column(written.name, typ, written.optional, _check_constraints(t, written, typ),
                                        written.doc, written.span, written.references)
        if decl.key not in cols:
            t.err("unknown-column", f"the key `{decl.key}` is not a column of table `{name}`", decl.span,
                  did_you_mean(decl.key, cols))
        elif cols[decl.key].optional:
            t.err("bad-constraint", f"the key `{decl.key}` cannot be optional", cols[decl.key].span)
        elif cols[decl.key].type.kind == GEOMETRY:
            t.err("type-mismatch", f"the key `{decl.key}` cannot be a geometry", cols[decl.key].span,
                  "key the table by an id column (a geodata layer offers `fid`, its feature number)")
        for c in cols.values():
            if c.type.kind == GEOMETRY and c.references is not None:
                t.err("type-mismatch", f"`{c.name}` is a geometry; it cannot hold keys of `{c.references}`", c.span)
        if decl.time is not None and decl.time not in cols:
            t.err("unknown-column", f"the time column `{decl.time}` is not a column of table `{name}`", decl.span,
                  did_you_mean(decl.time, cols))
        elif decl.time is not None and cols[decl.time].type.kind not in (INTEGER, DATE):
            t.err("type-mismatch", f"the time column `{decl.time}` is {cols[decl.time].type.describe()}; it holds "
                  "years (integer) or dates", cols[decl.time].span)
        tables[name] = Table(name, decl.title, decl.key, cols, decl.doc, decl.span, decl.optional, time=decl.time,
                             titles=_titles(st, decl))
        t.col_types[name] = {k: c.type for k, c in cols.items()}
        t.col_links[name] = {k: c.references for k, c in cols.items() if c.references is not None}
        t.table_keys[name] = decl.key
    for table in tables.values():  # references name declared tables, with a key of a matching type
        for c in table.columns.values():
            if c.references is None:
                continue
            target = tables.get(c.references)
            if target is None:
                t.err("unknown-table", f"`{c.name}` refers to unknown table `{c.references}`", c.span,
                      did_you_mean(c.references, tables))
            elif target.key in target.columns and (target.columns[target.key].type.kind == INTEGER) != (
                    c.type.kind == INTEGER):
                t.err("type-mismatch", f"`{c.name}` is {c.type.describe()} but the key of `{c.references}` is "
                      f"{target.columns[target.key].type.describe()}", c.span)
    m["tables"] = tables
    fields = {}
    for name, fdecl in ns.fields.items():
        typ = t.decl_type(fdecl.type, fdecl.unit, fdecl.span)
        if typ.kind == GEOMETRY:
            t.err("type-mismatch", f"field `{name}` cannot be a geometry", fdecl.type.span,
                  "geometries are columns of a table read from a layer")
        fields[name] = Field(name, typ, fdecl.path or name, fdecl.optional, _check_constraints(t, fdecl, typ),
                             fdecl.doc, fdecl.span)
        t.field_types[name] = typ
    m["fields"] = fields
    params = {}
    for name, pdecl in ns.params.items():
        typ, value = _literal(t, pdecl.value, None, pdecl.span)
        editions = _editions(t, name, pdecl.editions, typ)
        params[name] = Param(name, typ, value, value, pdecl.doc, pdecl.span, editions=editions or ())
    for s in ns.sets:
        p = params.get(s.name)
        if p is None:
            t.err("unknown-param", f"the standard has no param `{s.name}`", s.span, did_you_mean(s.name, params))
            continue
        fits, value = _set_value_fits(t, s.name, p.type, s.value, s.span)
        if not fits:
            continue
        editions = _editions(t, s.name, s.editions, p.type)
        if editions is None:
            continue
        if p.type.numeric and isinstance(s.value, ast.Num) and s.value.unit is None and p.type.unit is not None \
                and p.type.unit.name:
            t.err("unit-mismatch", f"param `{s.name}` is in {p.type.unit.name}; write the unit: "
                  f"{s.value.text} {p.type.unit.name}", s.span)
            continue
        params[s.name] = Param(p.name, p.type, value, p.default, p.doc, p.span, s.span, editions)
    m["params"] = params
    t.param_types = {k: p.type for k, p in params.items()}
    t.param_values = {k: p.value for k, p in params.items()}
    lookups = {}
    for name, ldecl in ns.lookups.items():
        lookups[name] = _lookup(t, ldecl)
        t.lookup_types[name] = (lookups[name].key_type, lookups[name].value_type)
    m["lookups"] = lookups
    cats = {}
    for cid, cdecl in ns.categories.items():
        if cdecl.table not in tables:
            t.err("unknown-table", f"unknown table `{cdecl.table}`", cdecl.span, did_you_mean(cdecl.table, tables))
            continue
        if cdecl.parent is not None:
            parent = ns.categories.get(cdecl.parent)
            if parent is None:
                t.err("unknown-category", f"unknown parent category `{cdecl.parent}`", cdecl.span,
                      did_you_mean(cdecl.parent, ns.categories))
            elif parent.table != cdecl.table:
                t.err("type-mismatch", f"`{cid}` selects from `{cdecl.table}` but its parent `{cdecl.parent}` "
                      f"selects from `{parent.table}`", cdecl.span)
        selector = None
        if cdecl.where is not None:
            selector = t.expr(cdecl.where, Scope("selector", table=cdecl.table))
            if selector.type.kind not in (BOOL, INVALID):
                t.err("type-mismatch", f"a category selector is a condition, not {selector.type.describe()}",
                      cdecl.where.span)
        cats[cid] = Category(cid, cdecl.title, cdecl.parent, cdecl.table, selector, cdecl.doc, cdecl.span,
                             _titles(st, cdecl))
    for cid in cats:  # parent cycles
        seen: set[str] = set()
        cur: str | None = cid
        while cur is not None and cur in cats:
            if cur in seen:
                t.err("cyclic-definition", f"category `{cid}` is its own ancestor", cats[cid].span)
                break
            seen.add(cur)
            cur = cats[cur].parent
    m["categories"] = cats
    for name in ns.lets:
        t.top_let(name)
    return list(st.diags)


def _lookup(t: Typer, decl: ast.LookupDecl) -> Lookup:
    """A lookup by key, or by bands of numbers (``[0, 0.37]: 0.60``)."""
    name = decl.name
    banded = any(isinstance(k, ast.Band) for k, _ in decl.entries)
    key_t = t.decl_type(decl.key_type, decl.key_unit if banded else None, decl.span)
    val_t = t.decl_type(decl.value_type, decl.unit, decl.span)
    if decl.key_unit is not None and not banded:
        t.err("type-mismatch", "a lookup by key has no key unit; a unit goes on the key of a band lookup",
              decl.key_type.span)
    if banded and key_t.kind not in (NUMBER, INTEGER):
        t.err("type-mismatch", f"a band lookup is keyed by a number, not {key_t.describe()}", decl.key_type.span,
              f"write `lookup {name}: number -> ...`")
    elif not banded and key_t.kind not in (TEXT, ENUM, INTEGER):
        t.err("type-mismatch", "lookup keys are text, enum or integer", decl.key_type.span,
              "to look up by ranges of a number, key the entries by bands: `[0, 0.37]: 0.6, (0.37, 0.5): 0.45`")
    if val_t.kind == GEOMETRY:
        t.err("type-mismatch", "lookup values are numbers, text, bools or dates", decl.value_type.span)
    entries: dict[str, object] = {}
    bands: list[tuple[ast.Band, object]] = []
    for key, lit in decl.entries:
        lt, value = _literal(t, lit, val_t, lit.span)
        if lt.kind != val_t.kind and not (lt.numeric and val_t.numeric):
            t.err("type-mismatch", f"lookup `{name}` holds {val_t.describe()}, not {lt.describe()}", lit.span)
        if isinstance(key, ast.Band):
            bands.append((key, value))
            continue
        if banded:
            t.err("type-mismatch", f"lookup `{name}` is keyed by bands; `{key}` is a key", lit.span,
                  "write every key of a band lookup as a band: [low, high), (low, high] ...")
            continue
        if key in entries:
            t.err("duplicate-id", f"key `{key}` appears twice in lookup `{name}`", lit.span)
        if key_t.kind == ENUM and key not in key_t.values:
            t.err("unknown-enum-value", f"`{key}` is not one of {', '.join(key_t.values)}", lit.span,
                  did_you_mean(key, key_t.values))
        entries[key] = value
    default = None
    if decl.default is not None:
        _, default = _literal(t, decl.default, val_t, decl.default.span)
    elif key_t.kind == ENUM:
        missed = [v for v in key_t.values if v not in entries]
        if missed:
            t.err("lookup-incomplete", f"lookup `{name}` has no value for {', '.join(f'`{v}`' for v in missed)}",
                  decl.span, "give every value of the enum an entry, or a `default` after the closing brace")
    checked = tuple(_band(t, name, key_t, b, value) for b, value in bands)
    if banded and key_t.numeric:
        _band_overlaps(t, name, checked, [b for b, _ in bands])
    return Lookup(name, key_t, val_t, entries, default, decl.doc, decl.span, checked)


def _band(t: Typer, name: str, key_t: Type, band: ast.Band, value) -> Band:
    ends: list[float | None] = []
    for end in (band.low, band.high):
        if end is None:
            ends.append(None)
            continue
        _, v = _literal(t, end, key_t if key_t.numeric else None, end.span)
        assert isinstance(v, int | float), v  # the grammar writes a band's ends as numbers
        ends.append(float(v))
    low, high = ends
    if low is not None and high is not None and (low > high or (low == high and not (band.low_closed
                                                                                   and band.high_closed))):
        t.err("bad-band", f"band {band.text()} of lookup `{name}` holds no value", band.span,
              "write the lower end first; a single value is [v, v]")
    if (low is None and band.low_closed) or (high is None and band.high_closed):
        t.err("bad-band", f"band {band.text()} of lookup `{name}`: an unbounded end is open", band.span,
              "write `(` or `)` beside an end left out: (, 0.37] or [0.5, )")
    return Band(low, high, band.low_closed, band.high_closed, value)


def _band_overlaps(t: Typer, name: str, bands: tuple[Band, ...], spans: list[ast.Band]) -> None:
    """Two bands that share a value leave the lookup ambiguous there."""
    lo = float("-inf")
    order = sorted(range(len(bands)), key=lambda i: (bands[i].low if bands[i].low is not None else lo,
                                                     not bands[i].low_closed))
    for a, b in zip(order, order[1:]):
        x, y = bands[a], bands[b]
        x_high = x.high if x.high is not None else float("inf")
        y_low = y.low if y.low is not None else lo
        if y_low < x_high or (y_low == x_high and x.high_closed and y.low_closed):
            t.err("bad-band", f"bands {spans[a].text()} and {spans[b].text()} of lookup `{name}` overlap",
                  spans[b].span, "close a band at one end only where two meet: [0, 0.37] then (0.37, 0.5)")


def _set_value_fits(t: Typer, name: str, want: Type, lit, span) -> tuple[bool, object]:
    """A profile's (or a later edition's) value has the param's type, and its unit when the param has one;
    the value in the param's unit."""
    typ, value = _literal(t, lit, want, span)
    if typ.kind != want.kind and not (typ.numeric and want.numeric):
        t.err("type-mismatch", f"param `{name}` is {want.describe()}, not {typ.describe()}", span)
        return False, value
    if want.numeric and isinstance(lit, ast.Num) and lit.unit is None and want.unit is not None and want.unit.name:
        t.err("unit-mismatch", f"param `{name}` is in {want.unit.name}; write the unit: {lit.text} {want.unit.name}",
              span)
        return False, value
    return True, value


def _spelled(lit) -> str:
    if isinstance(lit, ast.Num):
        return f"{lit.text} {lit.unit}" if lit.unit else lit.text
    return "..."


def _editions(t: Typer, name: str, editions: tuple, want: Type) -> tuple | None:
    """A param's dated values, each in the first one's type and unit, dates valid and in order; None after an error."""
    import datetime as dt

    out: list = []
    for i, e in enumerate(editions):
        if i and e.start is None:
            t.err("bad-edition", f"param `{name}`: every value after the first says from when it is in force",
                  e.span, f"write e.g. `{_spelled(e.value)} from 2030-01-01`")
            return None
        if e.start is not None:
            try:
                dt.date.fromisoformat(e.start)
            except ValueError:
                t.err("bad-edition", f"param `{name}`: `{e.start}` is not a date", e.span, "write YYYY-MM-DD")
                return None
            if out and out[-1][0] is not None and e.start <= out[-1][0]:
                t.err("bad-edition", f"param `{name}`: {e.start} is not after {out[-1][0]}", e.span,
                      "list the values in the order they come into force")
                return None
        if i == 0:  # the param's own value (a `set` has checked it already)
            out.append((e.start, _literal(t, e.value, want, e.span)[1]))
            continue
        fits, value = _set_value_fits(t, name, want, e.value, e.span)
        if not fits:
            return None
        out.append((e.start, value))
    return tuple(out)


_PLURAL = {"goal": "goals", "stage": "stages", "category": "categories"}


def _names(t: Typer, refs, known: dict, kind: str, code: str) -> list[str]:
    out = []
    for r in refs:
        if r.name not in known:
            t.err(code, f"unknown {kind} `{r.name}`", r.span, did_you_mean(r.name, known) or
                  (f"declared {_PLURAL[kind]}: {', '.join(known)}" if known
                   else f"declare it: {kind} {r.name} \"Title\""))
        else:
            out.append(r.name)
    return out


def _rule_scope(t: Typer, rule: ast.Rule, tables) -> tuple[Scope, ForEach | None] | None:
    fe = rule.for_each
    if fe is None:
        return Scope("plan"), None
    table = t.rowset_table(fe.rowset)
    if table is None:
        t.err("unknown-table", f"unknown table or category `{fe.rowset}`", fe.span,
              did_you_mean(fe.rowset, [*t.ns.tables, *t.ns.categories]))
        return None
    if fe.by is not None and fe.by not in tables[table].columns:
        t.err("unknown-column", f"table `{table}` has no column `{fe.by}` to group by", fe.span,
              did_you_mean(fe.by, tables[table].columns))
        return None
    kind = GROUP if fe.by else ROW
    row_scope = Scope(ROW, fe.var, fe.rowset, table)
    w = None
    if fe.where is not None:
        w = t.expr(fe.where, row_scope)
        if w.type.kind not in (BOOL, INVALID):
            t.err("type-mismatch", f"`where` needs a condition, not {w.type.describe()}", fe.where.span)
        elif w.shape not in (SCALAR, ROW):
            t.err("scope-mismatch", "the `where` of `for each` tests one row at a time", fe.where.span)
    return Scope(kind, fe.var, fe.rowset, table, fe.by), ForEach(fe.var, fe.rowset, table, fe.by, w, fe.span)


_ALLOWED = {"plan": (SCALAR,), ROW: (SCALAR, ROW), GROUP: (SCALAR, GROUP)}


def _fits(t: Typer, info: Expr, scope: Scope, span, what: str) -> bool:
    if info.type.kind == INVALID:
        return False
    if info.shape in _ALLOWED[scope.kind]:
        return True
    if info.shape == ELEM:
        t.err("aggregate-needed", f"{what} reads many rows of `{info.rowset}` at once", span,
              "aggregate them: sum(...), count(...), share(...), any(...) or all(...)")
    else:
        t.err("scope-mismatch", f"{what} depends on each {info.shape}, but the rule has no matching `for each`",
              span, "add `for each x in table` (or `by column`) to the rule")
    return False


def _check_rule(st: _State, rule: ast.Rule) -> Rule | None:
    t, m = st.typer, st.model
    for kind, span in rule.clause_spans:
        if kind.startswith("duplicate:"):
            t.err("duplicate-clause", f"a rule has one `{kind.split(':', 1)[1]}` clause", span)
    goals = _names(t, rule.goals, m["goals"], "goal", "unknown-goal")
    cats = _names(t, rule.categories, m["categories"], "category", "unknown-category")
    stages = _names(t, rule.stages, m["stages"], "stage", "unknown-stage")
    citations = []
    for c in rule.cites:
        ref = m["references"].get(c.key)
        if ref is None:
            t.err("unknown-reference", f"unknown reference `{c.key}`", c.span,
                  did_you_mean(c.key, m["references"]) or f'declare it: reference {c.key} "Full citation"')
        else:
            citations.append({"key": c.key, "clause": c.clause, "citation": ref.citation, "url": ref.url})
    severity = None
    if rule.severity is not None:
        severity = rule.severity.name
        if severity not in SEVERITIES:
            t.err("bad-severity", f"unknown severity `{severity}`", rule.severity.span,
                  did_you_mean(severity, SEVERITIES) or f"use one of {', '.join(SEVERITIES)}")
    if rule.assertion is None:
        t.err("missing-assertion", f"rule {rule.id} has no `shall`, `should` or `may` clause", rule.span,
              "add e.g. `shall sum(objects.area_ha) > 0`")
    when = None
    if rule.when is not None:
        w = when = t.expr(rule.when, Scope("plan"))
        if w.type.kind not in (BOOL, INVALID):
            t.err("type-mismatch", f"`when` needs a condition, not {w.type.describe()}", rule.when.span)
        elif w.type.kind == BOOL and w.shape != SCALAR:
            t.err("scope-mismatch", "`when` decides for the whole rule; it cannot read one row", rule.when.span,
                  "filter rows with `for each x in table where ...`")
    scoped = _rule_scope(t, rule, m["tables"])
    if scoped is None:
        return None
    scope, for_each = scoped
    lets = []
    for let in rule.lets:
        if let.name in scope.lets or let.name == scope.var:
            t.err("duplicate-id", f"`{let.name}` is already defined in this rule", let.span)
        i = t.expr(let.expr, scope)
        _fits(t, i, scope, let.expr.span, f"`let {let.name}`")
        scope.lets[let.name] = i
        lets.append(Let(let.name, i, let.span))
    if rule.assertion is None:
        return None
    a = t.expr(rule.assertion, scope)
    if a.type.kind not in (BOOL, INVALID):
        t.err("type-mismatch", f"`{rule.strength}` needs a condition, not {a.type.describe()}",
              rule.assertion.span, "compare it: `... >= 30 %`")
    else:
        _fits(t, a, scope, rule.assertion.span, f"`{rule.strength}`")
    message = _message(t, rule.message, scope)
    texts: dict[str, dict] = {}
    for tr in rule.translations:
        if _language_known(st, tr):
            texts.setdefault(tr.lang, {})[tr.kind] = _message(t, tr.template, scope) if tr.template else tr.text
    strength = rule.strength or "shall"
    if rule.keep and scope.kind == "plan":
        span = next(s for k, s in rule.clause_spans if k == "keep")
        t.err("scope-mismatch", "`keep evidence` keeps the values of passing rows; this rule has no `for each`",
              span, "a plan-level rule's values are in its evidence already")
    checked = Rule(rule.id, rule.title, strength, severity or DEFAULT_SEVERITY[strength], goals, cats, stages,
                   citations, rule.rationale, "plan" if scope.kind == "plan" else scope.kind, rule.span, when,
                   for_each, tuple(lets), a, message, keep_evidence=bool(rule.keep),
                   translations={k: Texts(**v) for k, v in texts.items()})
    if rule.partial is not None:
        checked.partial = _partial(t, rule.partial, checked)
    return checked


def _is_aggregate(name: str, arity: int) -> bool:
    b = B.resolve(name, arity)
    return b is not None and b.kind == B.AGGREGATE


def _partial(t: Typer, decl: ast.Partial, rule: Rule) -> Partial | None:
    """``partial [min P %] [by COL]``: the rule totals a table; ``by`` is a number column of each table it totals."""
    tables = sorted({t.rowset_table(n.args[0].rowset) or "" for e in rule.expressions() for n in walk(e)
                     if isinstance(n, Call) and n.join is None and n.shape == SCALAR and n.args
                     and n.args[0].rowset is not None and _is_aggregate(n.func, len(n.args))})
    if not tables:
        t.err("type-mismatch", "`partial` applies to totals over a table; this rule has none", decl.span,
              "a rule with sum(...), mean(...) or share(...) over a table may compute them on the rows with data")
        return None
    least = None
    if decl.min is not None:
        lit = decl.min
        if lit.unit != "%" or not 0 < lit.value <= 100:
            t.err("bad-constraint", f"`partial min {lit.text}{' ' + lit.unit if lit.unit else ''}`: the least "
                  "coverage is a percentage above 0 and at most 100", lit.span, "e.g. `partial min 70 %`")
            return None
        least = lit.value
    if decl.by is not None:
        for name in tables:
            col = t.ns.tables[name].columns if name in t.ns.tables else ()
            found = next((c for c in col if c.name == decl.by), None)
            if found is None:
                t.err("unknown-column", f"`partial by {decl.by}`: table `{name}` has no column `{decl.by}`", decl.span,
                      did_you_mean(decl.by, [c.name for c in col]))
                return None
            if found.type.kind not in (NUMBER, INTEGER):
                t.err("type-mismatch", f"`partial by {decl.by}`: the coverage is weighted by a number column, not "
                      f"{found.type.kind}", decl.span)
                return None
    return Partial(least, decl.by, decl.span)


def _message(t: Typer, template: ast.Template | None, scope: Scope) -> tuple[str | Expr, ...] | None:
    """A message's literal parts and checked interpolations."""
    if template is None:
        return None
    parts: list[str | Expr] = []
    for part in template.parts:
        if isinstance(part, str):
            parts.append(part)
        else:
            p = t.expr(part, scope)
            _fits(t, p, scope, part.span, "this interpolation")
            parts.append(p)
    return tuple(parts)


def header_languages(header: ast.Header | None) -> tuple[str, ...]:
    """A pack's languages from its header's `language "en, zh"`, the language of its plain texts first."""
    return languages(next((v for k, v, _ in header.attrs if k == "language"), None) if header is not None else None)


def pack_header(ns) -> ast.Header | None:
    """The header that names the standard: a profile's base's, else the pack's own."""
    if ns.header is not None and ns.header.kind == "profile" and ns.base_header is not None:
        return ns.base_header
    return ns.header


def _language_known(st: _State, tr: ast.Translation) -> bool:
    langs = header_languages(pack_header(st.ns))
    if tr.lang in langs[1:]:
        return True
    if tr.lang == langs[0]:
        st.typer.err("unknown-language", f"`{tr.lang}` is the language of the pack's plain texts, not a translation",
                     tr.span, "write the text itself without a language, or declare the languages in the header: "
                     f"language \"{tr.lang}, ...\"")
    else:
        st.typer.err("unknown-language", f"`{tr.lang}` is not one of the pack's languages ({', '.join(langs)})",
                     tr.span, f"declare it in the pack's header: language \"{', '.join((*langs, tr.lang))}\"")
    return False


def _titles(st: _State, decl) -> tuple[tuple[str, str], ...]:
    """A declaration's title in the pack's other languages."""
    return tuple((tr.lang, tr.text) for tr in decl.translations if _language_known(st, tr))


def _pass_rules(st: _State) -> list[Diagnostic]:
    before = len(st.diags)
    rules = [r for r in (_check_rule(st, decl) for decl in st.ns.rules.values()) if r is not None]
    by_id = {r.id: r for r in rules}
    t = st.typer
    for d in st.ns.disables:
        if d.rule_id not in by_id:
            t.err("unknown-rule", f"no rule `{d.rule_id}` to disable", d.span, did_you_mean(d.rule_id, by_id))
        elif not d.reason.strip():
            t.err("missing-reason", f"disabling {d.rule_id} needs a reason", d.span)
        else:
            by_id[d.rule_id].disabled = d.reason
    for o in st.ns.overrides:
        r = by_id.get(o.rule_id)
        if r is None:
            t.err("unknown-rule", f"no rule `{o.rule_id}` to override", o.span, did_you_mean(o.rule_id, by_id))
            continue
        if o.severity is not None and o.severity not in SEVERITIES:
            t.err("bad-severity", f"unknown severity `{o.severity}`", o.span, f"use one of {', '.join(SEVERITIES)}")
            continue
        if o.strength and o.strength != r.strength:
            r.changes.append(f"strength {r.strength} → {o.strength}")
            r.strength = o.strength
        if o.severity and o.severity != r.severity:
            r.changes.append(f"severity {r.severity} → {o.severity}")
            r.severity = o.severity
    st.model["rules"] = rules
    return st.diags[before:]


PASSES = (("names", _pass_names), ("declarations", _pass_declarations), ("rules", _pass_rules),
          ("warnings", pass_warnings))


def _profile_info(st: _State, force: bool = False) -> dict | None:
    ns = st.ns
    if ns.header is None or (ns.header.kind != "profile" and not force):
        return None
    changes = []
    for s in ns.sets:
        p = st.model["params"][s.name]
        unit = f" {p.type.unit.name}" if p.type.numeric and p.type.unit.name else ""
        now = ", ".join(_fmt(v) + unit + (f" from {d}" if d else "") for d, v in p.editions) if p.editions \
            else _fmt(p.value) + unit
        changes.append({"kind": "param", "target": s.name, "change": f"{_fmt(p.default)} → {now}"})
    for d in ns.disables:
        changes.append({"kind": "disable", "target": d.rule_id, "change": d.reason})
    for r in st.model["rules"]:
        for c in r.changes:
            changes.append({"kind": "override", "target": r.id, "change": c})
    added_by = "profile" if ns.header.kind == "profile" else "edition"
    for rid in sorted(ns.profile_rules):
        changes.append({"kind": "add", "target": rid, "change": f"rule added by the {added_by}"})
    base = ns.base_header
    attrs = {a[0]: a[1] for a in ns.header.attrs}
    return {"id": ns.header.id, "title": ns.header.title, "version": attrs.get("version", ""),
            "extends": base.id if base else ns.header.extends, "changes": changes}


def _edition_info(st: _State) -> dict | None:
    """An edition (`standard X "T" extends Y`): the pack it extends and what it declares anew or changes."""
    ns = st.ns
    if ns.header is None or ns.header.kind != "standard" or ns.header.extends is None:
        return None
    base = ns.base_header
    changes = [{"kind": kind, "target": name, "change": f"{kind} declared anew by this edition"}
               for kind, name in ns.replaced]
    info = _profile_info(st, force=True) or {}
    changes += info.get("changes", [])
    return {"id": ns.header.id, "extends": base.id if base else ns.header.extends,
            "extends_title": base.title if base else "", "changes": changes}


def _fmt(v) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


def check_sources(sources: Sources, diags: list[Diagnostic]) -> tuple[Standard | None, list[Diagnostic]]:
    """The checked standard of a pack's files (None when a pass finds errors), with every diagnostic: ``diags``
    (those found while reading the files) and the passes'. :func:`engine.sources.check_pack` calls it when the
    cache has no checked form of the pack."""
    st = _State(sources)
    for _name, run in PASSES:
        found = run(st)
        diags += [d for d in found if d not in diags]
        if any(d.severity == ERROR for d in found):
            return None, _with_source(diags, sources)
    ns, m = st.ns, st.model
    assert ns.header is not None  # the names pass reports a pack without one
    header = ns.base_header if ns.header.kind == "profile" and ns.base_header else ns.header
    texts = sources.all_texts()
    std = Standard(
        id=header.id, title=header.title, attrs={k: v for k, v, _ in header.attrs},
        references=m["references"], goals=m["goals"], stages=m["stages"], categories=m["categories"],
        tables=m["tables"], fields=m["fields"], params=m["params"], lookups=m["lookups"],
        lets={name: st.typer.top_let(name) for name in ns.lets},
        rules=m["rules"], files=texts, root=str(sources.root), sha256=pack_sha256(texts),
        profile=_profile_info(st), edition=_edition_info(st), titles=m["titles"],
        base_roots=(Path(sources.base.root),) if sources.base else (), unit_defs=st.unit_defs)
    return std, _with_source(diags, sources)


def _with_source(diags: list[Diagnostic], sources: Sources) -> list[Diagnostic]:
    texts = sources.all_texts()
    out = []
    for d in diags:
        text = texts.get(d.span.file)
        if text is not None and d.source_line is None and d.span.line:
            lines = text.splitlines()
            if d.span.line <= len(lines):
                d = Diagnostic(d.code, d.message, d.span, d.severity, d.hint, lines[d.span.line - 1])
        out.append(d)
    return out

