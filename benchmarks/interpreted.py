"""The rules evaluated by an interpreter: the checked AST walked once per row, in plain Python.

This is what the engine would be without its compiler: the same rules, the same three-valued
logic and unit conversions, but every expression node visited for every row (aggregates loop
over rows too). It reports in the common form of :mod:`benchmarks.outcomes`.
"""

from __future__ import annotations

import operator

import pandas as pd

from engine import builtins as B
from engine.model import ENUM, ROWSET, Standard

from .outcomes import Outcome, plan_outcome, rows_outcome

_CMP = {"==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt,
        ">=": operator.ge}
_ARITH = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv}


def as_rows(df: pd.DataFrame) -> list[dict]:
    """Plain dict rows with None for missing values and text for enum values (done before timing)."""
    out = df.astype(object).where(df.notna(), None).to_dict("records")
    for i, r in zip(df.index, out):
        r["__row__"] = i
    return out


class Interpreter:
    def __init__(self, std: Standard, rows: dict[str, list[dict]], fields: dict):
        self.std, self.rows, self.fields = std, rows, fields
        self.cache: dict = {}

    # values --------------------------------------------------------------------
    def members(self, rowset: str) -> list[tuple[dict, bool | None]]:
        """Each row of the table with its membership (True / False / None)."""
        if rowset in self.std.tables:
            return [(r, True) for r in self.rows[rowset]]
        cat = self.std.categories[rowset]
        parent = self.members(cat.parent) if cat.parent else [(r, True) for r in self.rows[cat.table]]
        out = []
        for r, m in parent:
            s = True if cat.selector is None else self.ev(cat.selector, {"row": r})
            out.append((r, _and(m, s)))
        return out

    def ev(self, e, env: dict):
        m = getattr(self, "e_" + type(e).__name__.lower())
        return m(e, env)

    def e_const(self, e, env):
        return e.value

    def e_paramref(self, e, env):
        return self.std.params[e.name].value

    def e_fieldref(self, e, env):
        return self.fields.get(e.name)

    def e_letref(self, e, env):
        n = e.name
        if not e.top:
            return env["lets"][n]
        if ("let", n) not in self.cache:
            self.cache[("let", n)] = self.ev(self.std.lets[n], {})
        return self.cache[("let", n)]

    def e_columnref(self, e, env):
        if e.shape == "row":
            return env["row"][e.column]
        if e.shape == "group":
            return env["group_key"]
        return env["elem"][e.column]

    def e_scale(self, e, env):
        v = self.ev(e.operand, env)
        return None if v is None else v * e.factor

    def e_arith(self, e, env):
        a = self.ev(e.left, env)
        b = self.ev(e.right, env)
        if a is None or b is None or (e.op == "/" and b == 0):
            return None
        return _ARITH[e.op](a, b)

    def e_neg(self, e, env):
        v = self.ev(e.operand, env)
        return None if v is None else -v

    def _ordered(self, node, value):
        t = node.type
        return t.values.index(value) if t.kind == ENUM and isinstance(value, str) and value in t.values else value

    def e_compare(self, e, env):
        a, b = self.ev(e.left, env), self.ev(e.right, env)
        if a is None or b is None:
            return None
        if e.op not in ("==", "!="):
            enum_node = e.left if e.left.type.kind == ENUM else e.right
            a, b = self._ordered(enum_node, a), self._ordered(enum_node, b)
        return _CMP[e.op](a, b)

    def e_logic(self, e, env):
        a = self.ev(e.left, env)
        if e.op == "and":
            return False if a is False else _and(a, self.ev(e.right, env))
        return True if a is True else _or(a, self.ev(e.right, env))

    def e_not(self, e, env):
        v = self.ev(e.operand, env)
        return None if v is None else not v

    def e_in(self, e, env):
        v = self.ev(e.operand, env)
        if v is None:
            return None
        return (v in e.values) != e.negated

    def e_between(self, e, env):
        v = self.ev(e.operand, env)
        lo, hi = self.ev(e.low, env), self.ev(e.high, env)
        if v is None or lo is None or hi is None:
            return None
        return lo <= v <= hi

    def e_presence(self, e, env):
        return (self.ev(e.operand, env) is not None) == e.present

    def e_lookupcall(self, e, env):
        lk = self.std.lookups[e.name]
        k = self.ev(e.key, env)
        return None if k is None else lk.entries.get(str(k), lk.default)

    def e_call(self, e, env):
        b = B.resolve(e.func, len(e.args))
        if b.kind == B.AGGREGATE:
            return self.aggregate(e, env)
        return b.scalar(*[self.ev(a, env) for a in e.args])  # the registry's plain-Python implementation

    def aggregate(self, e, env):
        arg = e.args[0]
        rowset = arg.rowset
        group = e.shape == "group"
        key = id(e)
        if not group and key in self.cache:
            return self.cache[key]
        rows = [(r, True) for r in env["group_rows"]] if group else self.members(rowset)
        values, unknown, total = [], False, 0
        for r, member in rows:
            if member is False:
                continue
            sub = {**env, "elem": r}
            inc = _and(member, True if e.where is None else self.ev(e.where, sub))
            if inc is None:
                unknown = True
                continue
            total += 1 if member else 0
            if not inc:
                continue
            values.append(True if arg.type.kind == ROWSET else self.ev(e.args[0], sub))
        b = B.resolve(e.func, 1)
        if unknown:  # a row that may or may not count: decided only if the rest decides (any / all)
            out = b.scalar([*values, None]) if e.type.kind == "bool" else None
        else:
            out = b.scalar(values, total if arg.type.kind == ROWSET else None)
        if not group:
            self.cache[key] = out
        return out

    # rules --------------------------------------------------------------------
    def rule(self, rule) -> Outcome:
        node = rule  # the checked rule
        if node.when is not None:
            w = self.ev(node.when, {})
            if w is None:
                return Outcome("insufficient_data")
            if not w:
                return Outcome("not_applicable")
        fe = node.for_each
        if fe is None:
            env = {"lets": {}}
            for let in node.lets:
                env["lets"][let.name] = self.ev(let.expr, env)
            return plan_outcome(self.ev(node.assertion, env))
        table = fe.rowset if fe.rowset in self.std.tables else self.std.categories[fe.rowset].table
        key = self.std.tables[table].key
        passed, failed, insufficient, scope = 0, [], [], []
        for r, member in self.members(fe.rowset):
            inc = _and(member, True if fe.where is None else self.ev(fe.where, {"row": r}))
            if inc is None:
                insufficient.append(r[key])
            elif inc:
                scope.append(r)
        if fe.by is None:
            for r in scope:
                env = {"row": r, "lets": {}}
                for let in node.lets:
                    env["lets"][let.name] = self.ev(let.expr, env)
                v = self.ev(node.assertion, env)
                if v is None:
                    insufficient.append(r[key])
                elif v:
                    passed += 1
                else:
                    failed.append(r[key])
            return rows_outcome(passed, failed, insufficient)
        groups: dict = {}
        for r in scope:
            if r[fe.by] is None:
                insufficient.append(r[key])
            else:
                groups.setdefault(r[fe.by], []).append(r)
        for g in sorted(groups):
            env = {"group_key": g, "group_rows": groups[g], "lets": {}}
            for let in node.lets:
                env["lets"][let.name] = self.ev(let.expr, env)
            v = self.ev(node.assertion, env)
            if v is None:
                insufficient.append(g)
            elif v:
                passed += 1
            else:
                failed.append(g)
        return rows_outcome(passed, failed, insufficient)


def _and(a, b):
    if a is False or b is False:
        return False
    return None if a is None or b is None else True


def _or(a, b):
    if a is True or b is True:
        return True
    return None if a is None or b is None else False


def evaluate(std: Standard, rows: dict[str, list[dict]], fields: dict) -> dict[str, Outcome]:
    """Every enabled rule, interpreted row by row."""
    it = Interpreter(std, rows, fields)
    return {r.id: it.rule(r) for r in std.rules if r.disabled is None}
