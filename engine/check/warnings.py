"""The warnings pass: things that are legal but probably not what the author meant.

Runs after the error passes succeed; every diagnostic it returns is a warning
(``nbscheck lint --strict`` makes them errors). Codes:

- ``no-citation``: a rule cites no reference.
- ``unused-param`` / ``unused-lookup``: declared, never read by a rule, let or category.
- ``never-applies``: a rule's ``when`` is false (or unknown) for every combination of the enum and
  bool values it reads.
- ``empty-category``: a category's selector (with its parents') matches no combination of the
  declared enum values.
- ``duplicate-title``: two rules share a title.
- ``missing-translation``: a pack of several languages lacks a text in one of them.

Only the pack's own files are warned about: a profile is not told about its base standard.
"""

from __future__ import annotations

import itertools

from ..diagnostics import WARNING, Diagnostic
from ..model import BOOL, ENUM
from ..syntax import ast

MAX_CASES = 4096  # combinations tried before giving up on deciding a condition


def pass_warnings(st) -> list[Diagnostic]:
    """The warnings of a checked pack (``st`` is the checker's state after the error passes)."""
    own = {m.file for m in st.sources.modules}
    ns, model = st.ns, st.model
    out: list[Diagnostic] = []
    rules = [r for r in ns.rules.values() if r.span.file in own]
    for r in rules:
        if not r.cites:
            out.append(_warn("no-citation", f"rule {r.id} cites no reference", r.span,
                             'add `cite KEY "clause"` naming the clause the rule encodes'))
    out += _unused(ns)
    out = [d for d in out if d.span.file in own]
    out += _never_applies(rules, model)
    out += _empty_categories(ns, model, own)
    out += _duplicate_titles(rules)
    out += _missing_translations(ns, rules, own)
    return out


def _missing_translations(ns, rules: list[ast.Rule], own: set[str]) -> list[Diagnostic]:
    """In a pack of several languages, every title, message and rationale is given in each of them."""
    from . import header_languages, pack_header

    others = header_languages(pack_header(ns))[1:]
    if not others:
        return []
    out = []
    decls = [d for d in (ns.header, *ns.goals.values(), *ns.stages.values(), *ns.categories.values(),
                         *ns.tables.values()) if d is not None and d.span.file in own]
    for d in decls:
        given = {t.lang for t in d.translations}
        for lang in others:
            if lang not in given:
                name = getattr(d, "id", None) or getattr(d, "name", "")
                kind = (d.kind if isinstance(d, (ast.Header, ast.Level))
                        else "category" if isinstance(d, ast.CategoryDecl) else "table")
                out.append(_warn("missing-translation", f"{kind} `{name}` has no {lang} title", d.span,
                                 f'add it after the title: {kind} {name} "{d.title}" {lang} "…"'))
    for r in rules:
        given = {(t.kind, t.lang) for t in r.translations}
        for lang in others:
            wanted = [k for k, present in (("title", True), ("message", r.message is not None),
                                           ("rationale", r.rationale is not None)) if present]
            lacking = [k for k in wanted if (k, lang) not in given]
            if lacking:
                clauses = ", ".join(f"`{'else' if k == 'message' else k} {lang} \"…\"`" for k in lacking)
                out.append(_warn("missing-translation", f"rule {r.id} has no {lang} {_either(lacking)}",
                                 r.span, f"the pack's languages are {', '.join(header_languages(pack_header(ns)))}: "
                                 f"add {clauses}"))
    return out


def _warn(code: str, message: str, span, hint: str | None = None) -> Diagnostic:
    return Diagnostic(code, message, span, WARNING, hint)


# ---- what reads what ---------------------------------------------------------------


walk = ast.walk
_children = ast.children


def rule_expressions(r: ast.Rule) -> list:
    """Every expression a rule holds: when, for each's where, lets, the assertion, message parts."""
    exprs = [r.when, r.for_each.where if r.for_each else None, *(x.expr for x in r.lets), r.assertion]
    if r.message is not None:
        exprs += [p for p in r.message.parts if not isinstance(p, str)]
    return [e for e in exprs if e is not None]


def _unused(ns) -> list[Diagnostic]:
    used_names: set[str] = set()
    used_calls: set[str] = set()

    def read(expr, hidden: set[str]) -> None:
        for n in walk(expr):
            if isinstance(n, ast.Name) and n.name not in hidden:
                used_names.add(n.name)
            elif isinstance(n, ast.Call):
                used_calls.add(n.func)

    for r in ns.rules.values():
        hidden = {x.name for x in r.lets}
        for e in rule_expressions(r):
            read(e, hidden)
    for let in ns.lets.values():
        read(let.expr, set())
    for c in ns.categories.values():
        cols = {col.name for col in ns.tables[c.table].columns} if c.table in ns.tables else set()
        read(c.where, cols)
    out = []
    for name, p in ns.params.items():
        if name not in used_names:
            out.append(_warn("unused-param", f"param `{name}` is never used", p.span,
                             "use it in a rule, or remove it"))
    for name, lk in ns.lookups.items():
        if name not in used_calls:
            out.append(_warn("unused-lookup", f"lookup `{name}` is never used", lk.span,
                             f"call it in a rule: {name}(key), or remove it"))
    return out


# ---- conditions that can never hold -------------------------------------------------


class _Undecided(Exception):
    pass


def can_hold(expr, variables: dict[str, tuple]) -> bool | None:
    """Whether ``expr`` is true for some assignment of ``variables`` (name -> possible values, None
    for missing); other conditions in it may be true or false. None when there are too many cases."""
    names = sorted({v for n in walk(expr) if (v := _var(n, variables)) is not None})
    free = [n for n in _atoms(expr, variables)]
    cases = 1
    for name in names:
        cases *= len(variables[name]) + 1
    cases *= 2 ** len(free)
    if cases > MAX_CASES:
        return None
    for values in itertools.product(*[(*variables[n], None) for n in names]):
        env = dict(zip(names, values, strict=True))
        for bits in itertools.product((True, False), repeat=len(free)):
            atoms = {id(a): b for a, b in zip(free, bits, strict=True)}
            try:
                if _eval(expr, env, atoms, variables) is True:
                    return True
            except _Undecided:
                return None
    return False


def _var(node, variables) -> str | None:
    key = node.name if isinstance(node, ast.Name) else f"{node.obj}.{node.attr}" if isinstance(node, ast.Attr) else None
    return key if key in variables else None


def _decidable(node, variables) -> bool:
    """A condition computed from the variables and literals alone."""
    if isinstance(node, (ast.Logic, ast.Not)):
        return all(_decidable(c, variables) for c in _children(node))
    if isinstance(node, ast.Compare):
        return all(_var(x, variables) or isinstance(x, (ast.Str, ast.Bool)) for x in (node.left, node.right))
    if isinstance(node, ast.In):
        return bool(_var(node.operand, variables)) and all(isinstance(x, (ast.Str, ast.Bool)) for x in node.items)
    if isinstance(node, ast.Presence):
        return bool(_var(node.operand, variables))
    if isinstance(node, ast.Bool):
        return True
    return bool(_var(node, variables))


def _atoms(node, variables) -> list:
    """Conditions that are neither logic nor decidable: each may be true or false."""
    if isinstance(node, (ast.Logic, ast.Not)):
        return [a for c in _children(node) for a in _atoms(c, variables)]
    return [] if _decidable(node, variables) else [node]


def _eval(node, env: dict, atoms: dict, variables: dict):
    if id(node) in atoms:
        return atoms[id(node)]
    if isinstance(node, ast.Logic):
        a, b = _eval(node.left, env, atoms, variables), _eval(node.right, env, atoms, variables)
        if node.op == "and":
            return False if False in (a, b) else None if None in (a, b) else True
        return True if True in (a, b) else None if None in (a, b) else False
    if isinstance(node, ast.Not):
        v = _eval(node.operand, env, atoms, variables)
        return None if v is None else not v
    if isinstance(node, ast.Bool):
        return node.value
    if isinstance(node, ast.Presence):
        return (env[_var(node.operand, variables)] is not None) == node.present
    if isinstance(node, ast.In):
        v = env[_var(node.operand, variables)]
        hit = None if v is None else v in [x.value for x in node.items if isinstance(x, ast.Str | ast.Bool)]
        return None if hit is None else hit != node.negated
    if isinstance(node, ast.Compare):
        return _compare(node, env, variables)
    name = _var(node, variables)
    if name is not None:
        return env[name]
    raise _Undecided()


def _compare(node: ast.Compare, env: dict, variables: dict):
    def side(x):
        name = _var(x, variables)
        return (env[name], variables[name]) if name else (x.value, None)

    (a, order_a), (b, order_b) = side(node.left), side(node.right)
    if a is None or b is None:
        return None
    if node.op in ("==", "!="):
        return (a == b) == (node.op == "==")
    order = order_a or order_b
    if order is None or a not in order or b not in order or isinstance(a, bool):
        raise _Undecided()
    ia, ib = order.index(a), order.index(b)
    return {"<": ia < ib, "<=": ia <= ib, ">": ia > ib, ">=": ia >= ib}[node.op]


def _domain(t) -> tuple | None:
    if t.kind == ENUM:
        return tuple(t.values)
    if t.kind == BOOL:
        return (True, False)
    return None


def _never_applies(rules: list[ast.Rule], model: dict) -> list[Diagnostic]:
    fields = {name: d for name, f in model["fields"].items() if (d := _domain(f.type)) is not None}
    out = []
    for r in rules:
        if r.when is None:
            continue
        if can_hold(r.when, fields) is False:
            out.append(_warn("never-applies", f"rule {r.id} never applies: its `when` is false for every value "
                             "the plan can give", r.when.span, "check the values against the declared enum"))
    return out


def _empty_categories(ns, model: dict, own: set[str]) -> list[Diagnostic]:
    out = []
    for cid, cat in model["categories"].items():
        if cat.span.file not in own:
            continue
        chain, cur, seen = [], cat, set()
        while cur is not None and cur.id not in seen:
            seen.add(cur.id)
            where = ns.categories[cur.id].where
            if where is not None:
                chain.append(where)
            cur = model["categories"].get(cur.parent) if cur.parent else None
        if not chain:
            continue
        table = model["tables"][cat.table]
        variables = {}
        for col in table.columns.values():
            d = _domain(col.type)
            if d is not None:
                variables[col.name] = d
                variables[f"{table.name}.{col.name}"] = d
        cond = chain[0]
        for more in chain[1:]:
            cond = ast.Logic(cond.span, "and", cond, more)
        if can_hold(cond, variables) is False:
            out.append(_warn("empty-category", f"category `{cid}` selects no row: no declared value of "
                             f"`{table.name}` meets its selector", cat.span,
                             "compare with the enum values the table declares"))
    return out


def _duplicate_titles(rules: list[ast.Rule]) -> list[Diagnostic]:
    seen: dict[str, ast.Rule] = {}
    out = []
    for r in rules:
        key = " ".join(r.title.casefold().split())
        if key in seen:
            out.append(_warn("duplicate-title", f"rules {seen[key].id} and {r.id} have the same title "
                             f"\"{r.title}\"", r.span, f"{seen[key].id} is at {seen[key].span}"))
        else:
            seen[key] = r
    return out


def _either(words: list[str]) -> str:
    """`title`, `title or message`, `title, message or rationale`."""
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"
