"""Compiling checked expressions into closures over whole columns.

Each expression becomes ``fn(env) -> value`` where a value is a scalar (one
for the plan) or a pandas Series (one per row, per group, or per element row
of an aggregate). Unit conversions found by the checker become constant
factors here, so evaluation never looks at units.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from .. import builtins as B
from .. import units as U
from ..check.types import GROUP, Info
from ..model import ROWSET, Standard
from ..syntax import ast
from . import runtime as rt

Fn = Callable[["Env"], Any]


class Env:
    """What a compiled expression reads: the plan context and the rows in scope."""

    __slots__ = ("ctx", "frame", "keys", "groups", "labels", "elem", "elem_keys", "lets")

    def __init__(self, ctx, frame=None, keys=None, groups=None, labels=None, elem=None, elem_keys=None,
                 lets=None):
        self.ctx = ctx
        self.frame = frame  # rows in scope of a per-row or per-group rule
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


class Compiler:
    """Compiles expressions of one checked standard; memoises by node."""

    def __init__(self, std: Standard):
        self.std = std
        self.info = std.info
        self._memo: dict[int, Fn] = {}

    def type_of(self, node) -> Info:
        return self.info[id(node)]

    def expr(self, node: ast.Expr) -> Fn:
        key = id(node)
        fn = self._memo.get(key)
        if fn is None:
            fn = getattr(self, "_" + type(node).__name__.lower())(node)
            self._memo[key] = fn
        return fn

    def _factor(self, src_node, dst_unit: U.Unit | None) -> float:
        src = self.type_of(src_node).type.unit
        if src is None or dst_unit is None or not src.dims == dst_unit.dims:
            return 1.0
        return U.convert_factor(src, dst_unit)

    def _pair(self, a_node, b_node) -> tuple[Fn, Fn]:
        """Both sides, the right one converted into the left one's unit."""
        a, b = self.expr(a_node), self.expr(b_node)
        ua = self.type_of(a_node).type.unit
        if ua is None:
            return a, b
        f = self._factor(b_node, ua)
        if f == 1.0:
            return a, b
        return a, (lambda env, b=b, f=f: rt.scale(b(env), f))

    # literals and names --------------------------------------------------------
    def _num(self, node: ast.Num):
        v = node.value
        return lambda env: v

    def _str(self, node: ast.Str):
        v = node.value
        return lambda env: v

    def _bool(self, node: ast.Bool):
        v = node.value
        return lambda env: v

    def _name(self, node: ast.Name):
        n = node.name
        info = self.type_of(node)
        if ("row", n) in info.refs and info.shape == "row" and not any(r[0] == "let" for r in info.refs):
            return lambda env: env.frame[n]
        if n in self.std.params:
            v = self.std.params[n].value
            return lambda env: v
        if n in self.std.fields:
            return lambda env: env.ctx.fields.get(n)
        if n in self.std.lets:
            inner = self.expr(self.std.lets[n].expr)

            def top_let(env, n=n, inner=inner):
                cache = env.ctx.cache
                if ("let", n) not in cache:
                    cache[("let", n)] = inner(Env(env.ctx))
                return cache[("let", n)]

            return top_let
        return lambda env: env.lets[n]

    def _attr(self, node: ast.Attr):
        col = node.attr
        info = self.type_of(node)
        if info.shape == "row":
            return lambda env: env.frame[col]
        if info.shape == GROUP:
            return lambda env: pd.Series(env.labels, index=env.groups)
        return lambda env: env.elem[col]

    # operators -------------------------------------------------------------------
    def _binop(self, node: ast.BinOp):
        op = node.op
        if op in "+-":
            a, b = self._pair(node.left, node.right)
            return lambda env: rt.arith(op, a(env), b(env))
        a, b = self.expr(node.left), self.expr(node.right)
        lu = self.type_of(node.left).type.unit or U.DIMENSIONLESS
        ru = self.type_of(node.right).type.unit or U.DIMENSIONLESS
        _, scale = U.product_unit(lu, ru, op)
        if scale == 1.0:
            return lambda env: rt.arith(op, a(env), b(env))
        return lambda env: rt.scale(rt.arith(op, a(env), b(env)), scale)

    def _neg(self, node: ast.Neg):
        a = self.expr(node.operand)
        return lambda env: rt.neg(a(env))

    def _convert(self, node: ast.Convert):
        a = self.expr(node.operand)
        factor = self._factor(node.operand, self.type_of(node).type.unit)
        return lambda env: rt.scale(a(env), factor)

    def _compare(self, node: ast.Compare):
        op = node.op
        a, b = self._pair(node.left, node.right)
        return lambda env: rt.compare(op, a(env), b(env))

    def _logic(self, node: ast.Logic):
        a, b = self.expr(node.left), self.expr(node.right)
        f = rt.and_ if node.op == "and" else rt.or_
        return lambda env: f(a(env), b(env))

    def _not(self, node: ast.Not):
        a = self.expr(node.operand)
        return lambda env: rt.not_(a(env))

    def _in(self, node: ast.In):
        a = self.expr(node.operand)
        unit = self.type_of(node.operand).type.unit
        values = [self._literal_value(x, unit) for x in node.items]
        negated = node.negated
        return lambda env: rt.isin(a(env), values, negated)

    def _literal_value(self, x, unit):
        if isinstance(x, ast.Neg):
            return -self._literal_value(x.operand, unit)
        return x.value * self._factor(x, unit) if isinstance(x, ast.Num) else x.value

    def _between(self, node: ast.Between):
        x, lo = self._pair(node.operand, node.low)
        _, hi = self._pair(node.operand, node.high)
        return lambda env: (lambda v: rt.and_(rt.compare(">=", v, lo(env)), rt.compare("<=", v, hi(env))))(x(env))

    def _presence(self, node: ast.Presence):
        a = self.expr(node.operand)
        want = node.present
        return lambda env: rt.present(a(env), want)

    # calls -------------------------------------------------------------------
    def _call(self, node: ast.Call):
        f = node.func
        if f in self.std.lookups:
            lk = self.std.lookups[f]
            a = self.expr(node.args[0])
            entries, default = lk.entries, lk.default
            return lambda env: rt.lookup(a(env), entries, default)
        b = B.resolve(f, len(node.args))
        if b.kind == B.AGGREGATE:
            return self._aggregate(node, b)
        unit = self.type_of(node).type.unit if b.same_unit else None
        fns = [self._argument(a, unit if unit is not None or b.param(i).unit is None else U.parse_unit(b.param(i).unit))
               for i, a in enumerate(node.args)]
        if len(fns) == 1:
            one = fns[0]
            return lambda env: B.apply(b, (one(env),))
        return lambda env: B.apply(b, [g(env) for g in fns])

    def _argument(self, node, unit) -> Fn:
        """An argument of a built-in: a value (in ``unit`` when given), or a table or category."""
        info = self.type_of(node)
        if info.type.kind == ROWSET:
            rowset = info.rowset
            return lambda env: rt.RowsetValue(rowset, env.ctx.table_frame(rowset), env.ctx.mask(rowset))
        return self._converted(node, unit) if unit is not None else self.expr(node)

    def _converted(self, node, unit) -> Fn:
        fn = self.expr(node)
        factor = self._factor(node, unit)
        return fn if factor == 1.0 else (lambda env: rt.scale(fn(env), factor))

    def _aggregate(self, node: ast.Call, b):
        if self.type_of(node).join is not None:
            return self._join_aggregate(node, b)
        func = b.vector
        arg = node.args[0]
        arg_info = self.type_of(arg)
        grouped = self.type_of(node).shape == GROUP
        rowset = arg_info.rowset if arg_info.type.kind == ROWSET else arg_info.rowset
        values_fn = None if arg_info.type.kind == ROWSET else self.expr(arg)
        where_fn = self.expr(node.where) if node.where is not None else None
        key = id(node)

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
            values = values_fn(sub) if values_fn is not None else None
            where = where_fn(sub) if where_fn is not None else None
            if values is not None and not rt.is_series(values):
                values = pd.Series(values, index=sub.elem.index)
            out = rt.aggregate(func, values, where, sub.elem_keys, member=member, index=sub.elem.index)
            if not grouped:
                env.ctx.cache[key] = out
            return out

        return run

    def _join_aggregate(self, node: ast.Call, b):
        """An aggregate over another table's rows that match the current row: one grouped aggregate
        by the join key (cached for the evaluation), then a lookup of each row's key."""
        func = b.vector
        name = b.name
        info = self.type_of(node)
        elem_key, row_key, rest = info.join
        arg_info = self.type_of(node.args[0])
        rowset = arg_info.rowset
        values_fn = None if arg_info.type.kind == ROWSET else self.expr(node.args[0])
        key_fn = self.expr(elem_key)
        row_fn = self._converted(row_key, self.type_of(elem_key).type.unit)  # both keys in one unit
        rest_fns = [self.expr(c) for c in rest]
        empty = b.scalar([], None)  # the value over no matching rows
        cache_key = ("join", id(node))
        boolean = info.type.kind == "bool"

        def grouped(env: Env):
            ctx = env.ctx
            if cache_key not in ctx.cache:
                df = ctx.table_frame(rowset)
                sub = env.child(elem=df, elem_keys=None)
                codes, labels = pd.factorize(key_fn(sub), sort=False)
                nokey = len(labels)
                keys = pd.Series(np.where(codes < 0, nokey, codes), index=df.index)
                where = None
                for fn in rest_fns:
                    where = fn(sub) if where is None else rt.and_(where, fn(sub))
                values = values_fn(sub) if values_fn is not None else None
                if values is not None and not rt.is_series(values):
                    values = pd.Series(values, index=df.index)
                member = ctx.mask(rowset)
                out = rt.aggregate(func, values, where, keys, member=member, index=df.index)
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
            fill = None if empty is None else empty
            table = np.append(per_code, np.array([fill], dtype=object))  # position -1: no matching rows
            result = pd.Series(table[pos], index=rowkeys.index)
            if unknown_keys:
                keep = result == (name == "any") if boolean else pd.Series(False, index=result.index)
                result[~keep.fillna(False).astype(bool)] = None
            result[rowkeys.isna().to_numpy()] = None
            if boolean:
                return result.astype("boolean")
            return pd.to_numeric(result, errors="coerce").astype("float64")

        return run
