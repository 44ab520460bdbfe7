"""Compiling checked expressions into closures over whole columns.

Each checked expression (:class:`engine.model.Expr`) becomes ``fn(env) ->
value`` where a value is a scalar (one for the plan) or a pandas Series (one
per row, per group, or per element row of an aggregate). The checker has
already made unit conversions explicit (:class:`~engine.model.Scale`), so the
compiler never looks at units. A rule is compiled once into a
:class:`CompiledRule`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .. import builtins as B
from .. import cache
from .. import model as C
from ..model import BOOL, ELEM, GROUP, ROW, ROWSET, Standard
from . import runtime as rt

Fn = Callable[["Env"], Any]
_ENDS = ",.;:!?)]}，。；：！？）、"  # punctuation after a value that shows its author wrote no unit there


class Env:
    """What a compiled expression reads: the plan context and the rows in scope."""

    __slots__ = ("ctx", "frame", "keys", "groups", "labels", "elem", "elem_keys", "lets")

    def __init__(self, ctx, frame=None, keys=None, groups=None, labels=None, elem=None, elem_keys=None,
                 lets=None):
        self.ctx = ctx
        self.frame = frame  # rows in scope: a DataFrame, or for a per-row rule an evaluate.Rows (only
        # `frame[column]`, `.index` and `len` work on both: a built-in reads no more of it)
        self.keys = keys  # group number of each row in frame
        self.groups = groups  # the group numbers (a RangeIndex)
        self.labels = labels  # each group's key value, sorted
        self.elem = elem  # rows being aggregated
        self.elem_keys = elem_keys
        self.lets = lets if lets is not None else {}

    def child(self, **kw) -> Env:
        e = Env(self.ctx, self.frame, self.keys, self.groups, self.labels, self.elem, self.elem_keys, self.lets)
        for k, v in kw.items():
            setattr(e, k, v)
        return e


@dataclass(frozen=True)
class Check:
    """A comparison at the top of a condition, compiled for evidence: both sides, the right one(s) in the
    left one's unit."""

    node: C.Compare | C.Between
    left: Fn
    right: tuple[Fn, ...]


@dataclass(frozen=True)
class Part:
    """An interpolated part of a message: its value; the threshold it is compared with in the assertion, in
    the part's unit (so a failing value is shown with the digits that tell it from the threshold); the
    unit a param is shown with."""

    value: Fn
    threshold: Fn | None = None
    unit: str = ""


@dataclass(frozen=True)
class RowsRead:
    """The rows of a table or category that a rule's totals read, and the columns each of them needs."""

    rowset: str
    table: str
    columns: tuple[str, ...]


@dataclass(frozen=True)
class CompiledRule:
    """A checked rule with every expression compiled."""

    rule: C.Rule
    when: Fn | None
    where: Fn | None  # the `for each` filter
    lets: tuple[tuple[str, Fn], ...]
    assertion: Fn
    message: tuple[str | Part, ...] | None
    checks: tuple[Check, ...]
    # `partial`: the rowsets the totals read, each total leaving out the rows that lack a column any total over
    # its table reads (so all of them cover the same rows); the coverage is reported per rowset
    coverage: tuple[RowsRead, ...] = ()
    # without `partial`: totals of one table where some keep only rows with a column present and others do not
    # (`sum(x * s where s is present) / sum(x)`); rows lacking it in the other totals' rowsets leave the rule
    # without a result, naming the cells, rather than a ratio over different rows
    same_rows: tuple[RowsRead, ...] = ()


class Compiler:
    """Compiles the expressions of one checked standard; memoises by node."""

    def __init__(self, std: Standard):
        self.std = std
        self._memo: dict[int, tuple[C.Expr, Fn]] = {}
        self._partial: dict[str, tuple[str, ...]] | None = None  # while compiling a `partial` rule: table -> columns

    def expr(self, node: C.Expr) -> Fn:
        hit = self._memo.get(id(node))
        if hit is not None and hit[0] is node:
            return hit[1]
        method = _DISPATCH.get(type(node))
        if method is None:
            raise TypeError(f"the compiler has no rule for {type(node).__name__} nodes")
        fn = method(self, node)
        self._memo[id(node)] = (node, fn)  # the node is kept alive, so its id is never reused
        return fn

    def rule(self, rule: C.Rule) -> CompiledRule:
        with cache.gc_paused():  # closures and small objects, no cycles: see engine.cache.gc_paused
            return self._rule(rule)

    def _rule(self, rule: C.Rule) -> CompiledRule:
        fe = rule.for_each
        when = self.expr(rule.when) if rule.when is not None else None
        where = self.expr(fe.where) if fe is not None and fe.where is not None else None
        totals = _totals(rule)
        coverage: tuple[RowsRead, ...] = ()
        same_rows: tuple[RowsRead, ...] = ()
        if rule.partial is not None:
            coverage = self._coverage(totals)
            self._partial = {r.table: r.columns for r in coverage}
        else:
            same_rows = self._same_rows(totals)
        try:
            return CompiledRule(
                rule, when, where, tuple((x.name, self.expr(x.expr)) for x in rule.lets), self.expr(rule.assertion),
                None if rule.message is None else self._message(rule.message, rule.assertion),
                tuple(self._checks(rule.assertion)), coverage, same_rows)
        finally:
            self._partial = None

    def table_of(self, rowset: str | None) -> str:
        assert rowset is not None, "an aggregate ranges over a table or category"
        return rowset if rowset in self.std.tables else self.std.categories[rowset].table

    def _coverage(self, totals: list[C.Call]) -> tuple[RowsRead, ...]:
        """Per rowset a `partial` rule totals: the columns any total over its table reads."""
        columns: dict[str, set[str]] = {}
        for n in totals:
            table = self.table_of(n.args[0].rowset)
            named = (self.std.tables, self.std.categories)
            columns.setdefault(table, set()).update(
                r.name for r in n.refs if r.kind == "elem" and any(r.rowset in d for d in named)
                and self.table_of(r.rowset) == table)
        rowsets = dict.fromkeys(str(n.args[0].rowset) for n in totals)
        return tuple(RowsRead(r, self.table_of(r), tuple(sorted(columns[self.table_of(r)]))) for r in rowsets)

    def _same_rows(self, totals: list[C.Call]) -> tuple[RowsRead, ...]:
        """Totals of a table that keep only rows with a column present, beside totals of it that do not."""
        def amount(n: C.Call) -> bool:  # a sum or mean of a number column; counts, shares, extremes need no pair
            return n.func in ("sum", "mean") and n.args[0].type.numeric

        totals = [n for n in totals if amount(n)]
        kept: dict[str, set[str]] = {}
        for n in totals:
            kept.setdefault(self.table_of(n.args[0].rowset), set()).update(needed_columns(n))
        out = []
        for n in totals:
            table = self.table_of(n.args[0].rowset)
            others = sorted(kept.get(table, set()) - set(needed_columns(n)))
            if others:
                out.append(RowsRead(str(n.args[0].rowset), table, tuple(others)))
        return tuple(dict.fromkeys(out))

    def _message(self, parts: tuple, assertion: C.Expr) -> tuple[str | Part, ...]:
        """The message's parts; each value that is one side of a comparison of the assertion (written the
        same way) is paired with the other side."""
        def text(n: C.Expr) -> str:
            return "".join(self.std.source_text(n.span).split())

        sides: dict[str, Fn] = {}
        for chk in self._checks(assertion):
            if not isinstance(chk.node, C.Compare):
                continue
            left, right = chk.node.left, chk.node.right
            sides.setdefault(text(left), chk.right[0])
            inner, factor, offset = (right.operand, right.factor, right.offset) if isinstance(right, C.Scale) \
                else (right, 1.0, 0.0)
            lf = chk.left
            back = lf if factor == 1.0 and offset == 0.0 else (
                lambda env, lf=lf, f=factor, o=offset: rt.scale(lf(env), 1 / f, -o / f))
            sides.setdefault(text(inner), back)  # the left side in the right side's own unit
        out: list[str | Part] = []
        for i, p in enumerate(parts):
            if isinstance(p, str):
                out.append(p)
                continue
            unit = ""
            if isinstance(p, C.ParamRef) and p.type.unit is not None and p.type.unit.name:
                after = (parts[i + 1] if i + 1 < len(parts) and isinstance(parts[i + 1], str) else "").lstrip()
                if not after or after[0] in _ENDS:  # the sentence goes on without a unit after the value
                    unit = p.type.unit.name
            out.append(Part(self.expr(p), sides.get(text(p)), unit))
        return tuple(out)

    def _checks(self, node: C.Expr):
        """The comparisons under the top-level `and`/`or`/`not` of a condition."""
        if isinstance(node, C.Logic):
            yield from self._checks(node.left)
            yield from self._checks(node.right)
        elif isinstance(node, C.Not):
            yield from self._checks(node.operand)
        elif isinstance(node, C.Compare):
            yield Check(node, self.expr(node.left), (self.expr(node.right),))
        elif isinstance(node, C.Between):
            yield Check(node, self.expr(node.operand), (self.expr(node.low), self.expr(node.high)))

    # literals and names --------------------------------------------------------
    def _const(self, node: C.Const):
        v = node.value
        return lambda env: v

    def _paramref(self, node: C.ParamRef):
        v = self.std.params[node.name].value
        return lambda env: v

    def _fieldref(self, node: C.FieldRef):
        n = node.name
        return lambda env: env.ctx.fields.get(n)

    def _letref(self, node: C.LetRef):
        n = node.name
        if not node.top:
            return lambda env: env.lets[n]
        partial, self._partial = self._partial, None  # a top-level let is one value for every rule
        try:
            inner = self.expr(self.std.lets[n])
        finally:
            self._partial = partial

        def top_let(env):
            cache = env.ctx.cache
            if ("let", n) not in cache:
                cache[("let", n)] = inner(Env(env.ctx))
            return cache[("let", n)]

        return top_let

    def _columnref(self, node: C.ColumnRef):
        col = node.column
        if node.shape == ROW:
            return lambda env: env.frame[col]
        if node.shape == GROUP:
            return lambda env: pd.Series(env.labels, index=env.groups)
        return lambda env: env.elem[col]

    def _rowsetref(self, node: C.RowsetRef):
        rowset = node.name
        return lambda env: rt.RowsetValue(rowset, env.ctx.table_frame(rowset), env.ctx.mask(rowset))

    def _rowsof(self, node: C.RowsOf):
        """The rows of another table a spatial function reads: which belong (the category and the call's
        `where`; unknown where either is), their shapes and the values it totals. Computed once per run."""
        rowset, column, key = node.name, node.column, ("rows", id(node))
        shapes_fn = self.expr(node.shapes) if node.shapes is not None else None
        values_fn = self.expr(node.values) if node.values is not None else None
        where_fn = self.expr(node.where) if node.where is not None else None

        def run(env: Env):
            cache = env.ctx.cache
            if key in cache:
                return cache[key]
            frame = env.ctx.table_frame(rowset)
            member = env.ctx.mask(rowset)
            sub = env.child(elem=frame, elem_keys=None)
            if where_fn is not None:
                where = where_fn(sub)
                if not rt.is_series(where):
                    where = pd.Series(pd.NA if rt.is_null(where) else bool(where), index=frame.index, dtype="boolean")
                member = where if member is None else rt.and_(member, where)

            def along(fn):
                out = fn(sub)
                return out if rt.is_series(out) else pd.Series([out] * len(frame), index=frame.index, dtype=object)

            shapes = along(shapes_fn) if shapes_fn is not None else (frame[column] if column in frame.columns
                                                                     else None)
            values = along(values_fn) if values_fn is not None else None
            out = cache[key] = rt.RowsetValue(rowset, frame, member, shapes, values)
            return out

        return run

    # operators -------------------------------------------------------------------
    def _scale(self, node: C.Scale):
        a, f, o = self.expr(node.operand), node.factor, node.offset
        return lambda env: rt.scale(a(env), f, o)

    def _arith(self, node: C.Arith):
        op, a, b = node.op, self.expr(node.left), self.expr(node.right)
        return lambda env: rt.arith(op, a(env), b(env))

    def _neg(self, node: C.Neg):
        a = self.expr(node.operand)
        return lambda env: rt.neg(a(env))

    def _compare(self, node: C.Compare):
        op, a, b = node.op, self.expr(node.left), self.expr(node.right)
        return lambda env: rt.compare(op, a(env), b(env))

    def _logic(self, node: C.Logic):
        a, b = self.expr(node.left), self.expr(node.right)
        f = rt.and_ if node.op == "and" else rt.or_
        return lambda env: f(a(env), b(env))

    def _not(self, node: C.Not):
        a = self.expr(node.operand)
        return lambda env: rt.not_(a(env))

    def _in(self, node: C.In):
        a, values, negated = self.expr(node.operand), list(node.values), node.negated
        return lambda env: rt.isin(a(env), values, negated)

    def _between(self, node: C.Between):
        x, lo, hi = self.expr(node.operand), self.expr(node.low), self.expr(node.high)

        def run(env):
            v = x(env)
            return rt.and_(rt.compare(">=", v, lo(env)), rt.compare("<=", v, hi(env)))

        return run

    def _presence(self, node: C.Presence):
        a, want = self.expr(node.operand), node.present
        return lambda env: rt.present(a(env), want)

    def _lookupcall(self, node: C.LookupCall):
        lk = self.std.lookups[node.name]
        a, entries, default = self.expr(node.key), lk.entries, lk.default
        if lk.bands:
            bands = lk.bands
            return lambda env: rt.band_lookup(a(env), bands, default)
        return lambda env: rt.lookup(a(env), entries, default)

    def _if(self, node: C.If):
        cond, a, b = self.expr(node.cond), self.expr(node.then), self.expr(node.other)
        return lambda env: rt.if_(cond(env), a(env), b(env))

    def _link(self, node: C.Link):
        """One index lookup per evaluation: the keys of the linked table, then each value's position."""
        key_fn, table, column = self.expr(node.operand), node.table, node.column
        cache_key = ("link", table, column)

        def run(env: Env):
            cache = env.ctx.cache
            if cache_key not in cache:
                frame = env.ctx.table_frame(table)
                cache[cache_key] = (pd.Index(frame[self.std.tables[table].key].astype(object)), frame[column])
            index, values = cache[cache_key]
            return rt.follow(key_fn(env), index, values)

        return run

    # calls -------------------------------------------------------------------
    def _call(self, node: C.Call):
        b = B.resolve(node.func, len(node.args))
        assert b is not None, node.func  # the checker admitted only known functions
        if b.kind == B.AGGREGATE:
            return self._aggregate(node, b) if node.join is None else self._join_aggregate(node, b)
        fns = [self.expr(a) for a in node.args]
        if len(fns) == 1:
            one = fns[0]
            return lambda env: B.apply(b, (one(env),))
        return lambda env: B.apply(b, [g(env) for g in fns])

    def _aggregate(self, node: C.Call, b: B.Builtin):
        func = b.vector
        arg = node.args[0]
        grouped = node.shape == GROUP
        rowset = arg.rowset
        values_fn = None if arg.type.kind == ROWSET else self.expr(arg)
        where_fn = self.expr(node.where) if node.where is not None else None
        extra_fns = [self.expr(x) for x in node.args[1:]]  # plan-level values: a year, a duration
        time_col = node.time
        key = ("aggregate", id(node))
        needed = needed_columns(node)

        complete = None if grouped or not self._partial else self._partial.get(self.table_of(rowset))

        def run(env: Env):
            if grouped:
                sub = env.child(elem=env.frame, elem_keys=env.keys)
                member = None
            else:
                cache = env.ctx.cache
                if key in cache:
                    return cache[key]
                sub = env.child(elem=env.ctx.table_frame(rowset), elem_keys=None)
                member = env.ctx.mask(rowset)
                if complete:  # `partial`: only the rows that have every value the rule's totals of the table read
                    has = sub.elem[list(complete)].notna().all(axis=1)
                    member = has if member is None else rt.and_(member, has)
                if needed and _all_empty(sub.elem, member, needed):
                    env.ctx.cache[key] = None
                    return None
            values = values_fn(sub) if values_fn is not None else None
            where = where_fn(sub) if where_fn is not None else None
            if where_fn is not None and not rt.is_series(where) and rt.is_null(where):
                where = pd.NA  # a filter that is unknown for every row, not an absent one
            if values is not None and not rt.is_series(values):
                values = pd.Series(values, index=sub.elem.index)
            times = rt.time_coordinate(sub.elem[time_col]) if time_col is not None else None
            out = rt.aggregate(func, values, where, sub.elem_keys, member=member, index=sub.elem.index, times=times,
                               args=tuple(f(env) for f in extra_fns))
            if not grouped:
                env.ctx.cache[key] = out
            return out

        return run

    def _join_aggregate(self, node: C.Call, b: B.Builtin):
        """An aggregate over another table's rows that match the current row: one grouped aggregate
        by the join key (cached for the evaluation), then a lookup of each row's key."""
        func = b.vector
        join = node.join
        assert join is not None
        arg = node.args[0]
        rowset = arg.rowset
        values_fn = None if arg.type.kind == ROWSET else self.expr(arg)
        key_fn = self.expr(join.elem_key)
        row_fn = self.expr(join.row_key)  # already in the element key's unit
        rest_fns = [self.expr(c) for c in join.rest]
        extra_fns = [self.expr(x) for x in node.args[1:]]
        time_col = node.time
        empty = b.scalar([], None)  # the value over no matching rows
        cache_key = ("join", id(node))
        boolean = node.type.kind == BOOL
        # the value that decides a quantifier whatever the unknown rows hold (`any`: true, `all`: false)
        decisive = next((v for v in (True, False) if b.scalar([v, None]) is not None), None) if boolean else None

        def grouped(env: Env):
            ctx = env.ctx
            if cache_key not in ctx.cache:
                df = ctx.table_frame(rowset)
                sub = env.child(elem=df, elem_keys=None)
                codes, labels = pd.factorize(key_fn(sub), sort=False)
                nokey = len(labels)
                keys = pd.Series(np.where(codes < 0, nokey, codes), index=df.index)
                where = None
                for i, fn in enumerate(rest_fns):
                    where = fn(sub) if i == 0 else rt.and_(where, fn(sub))
                if rest_fns and not rt.is_series(where) and rt.is_null(where):
                    where = pd.NA  # a filter that is unknown for every row, not an absent one
                values = values_fn(sub) if values_fn is not None else None
                if values is not None and not rt.is_series(values):
                    values = pd.Series(values, index=df.index)
                member = ctx.mask(rowset)
                times = rt.time_coordinate(df[time_col]) if time_col is not None else None
                out = rt.aggregate(func, values, where, keys, member=member, index=df.index, times=times,
                                   args=tuple(f(env) for f in extra_fns))
                # a row with an empty key that the aggregate could include might belong to any row's
                # group: then no result is known, unless `any` already found a match or `all` a miss
                include = member if where is None else (where if member is None else rt.and_(member, where))
                could = codes < 0
                if include is not None and rt.is_series(include):
                    could = could & include.fillna(True).to_numpy(dtype=bool)
                elif include is False:
                    could = could & False
                unknown_keys = bool(could.any())
                per_code = out.reindex(range(nokey))
                index = pd.Index(np.asarray(labels, dtype=object))
                ctx.cache[cache_key] = (index, per_code.to_numpy(dtype=object), unknown_keys)
            return ctx.cache[cache_key]

        def run(env: Env):
            index, per_code, unknown_keys = grouped(env)
            rowkeys = row_fn(env)
            if not rt.is_series(rowkeys):
                rowkeys = pd.Series([rowkeys] * len(env.frame), index=env.frame.index, dtype=object)
            pos = index.get_indexer(rowkeys.astype(object))
            table = np.append(per_code, np.array([empty], dtype=object))  # position -1: no matching rows
            result = pd.Series(table[pos], index=rowkeys.index)
            if unknown_keys:
                keep = result == decisive if boolean else pd.Series(False, index=result.index)
                result[~keep.fillna(False).astype(bool)] = None
            result[rowkeys.isna().to_numpy()] = None
            if boolean:
                return result.astype("boolean")
            return pd.to_numeric(result, errors="coerce").astype("float64")

        return run


def needed_columns(node: C.Call) -> list[str]:
    """Columns an aggregate's filter keeps only when present (`where t.share is present`): when every row in
    scope lacks them the total is not zero but unknown, and the rule lacks data (those cells are named)."""
    if node.where is None:
        return []
    return sorted({n.operand.column for n in C.walk(node.where) if isinstance(n, C.Presence) and n.present
                   and isinstance(n.operand, C.ColumnRef) and n.operand.shape == ELEM})


def _totals(rule: C.Rule) -> list[C.Call]:
    """The plan-level aggregates over a table or category written in the rule (its lets, assertion, message)."""
    exprs = [*(x.expr for x in rule.lets), rule.assertion, *(p for p in rule.message or () if not isinstance(p, str))]
    out = []
    for e in exprs:
        for n in C.walk(e):
            if isinstance(n, C.Call) and n.join is None and n.shape == C.SCALAR and n.args \
                    and n.args[0].rowset is not None:
                b = B.resolve(n.func, len(n.args))
                if b is not None and b.kind == B.AGGREGATE and n not in out:
                    out.append(n)
    return out



def _all_empty(frame: pd.DataFrame, member, columns: list[str]) -> bool:
    """Some row is in scope and, in every such row, one of ``columns`` is empty."""
    inside = np.ones(len(frame), dtype=bool) if member is None else member.fillna(False).to_numpy(dtype=bool)
    if not inside.any():
        return False
    return any(bool(frame[c].isna().to_numpy()[inside].all()) for c in columns)


_DISPATCH: dict[type, Callable[[Compiler, Any], Fn]] = {
    C.Const: Compiler._const, C.ParamRef: Compiler._paramref, C.FieldRef: Compiler._fieldref,
    C.LetRef: Compiler._letref, C.ColumnRef: Compiler._columnref, C.RowsetRef: Compiler._rowsetref,
    C.RowsOf: Compiler._rowsof,
    C.Scale: Compiler._scale, C.Arith: Compiler._arith, C.Neg: Compiler._neg, C.Compare: Compiler._compare,
    C.Logic: Compiler._logic, C.Not: Compiler._not, C.In: Compiler._in, C.Between: Compiler._between,
    C.Presence: Compiler._presence, C.LookupCall: Compiler._lookupcall, C.Call: Compiler._call,
    C.If: Compiler._if, C.Link: Compiler._link,
}
