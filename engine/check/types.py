"""Pass 2 and 3: declarations, then expressions: names, types, units, shapes.

:meth:`Typer.expr` turns an AST expression into a checked expression
(:class:`engine.model.Expr`): every node knows its type, its *shape* (one
value for the plan, one per row, one per group, or one per element of an
aggregated rowset) and the data it reads, and unit conversions become
explicit :class:`~engine.model.Scale` nodes. Dispatch is a table built once
from the AST's node types; an unknown node type fails loudly.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .. import builtins as B
from .. import model as C
from .. import units as U
from ..diagnostics import Diagnostic, Span, did_you_mean
from ..model import (
    BOOL,
    DATE,
    ELEM,
    ENUM,
    GEOMETRY,
    GEOMETRY_KINDS,
    GROUP,
    INTEGER,
    INVALID,
    NUMBER,
    ROW,
    ROWSET,
    SCALAR,
    TEXT,
    Info,
    Ref,
    Type,
)
from ..syntax import ast
from .names import Namespace


@dataclass
class Scope:
    kind: str  # plan, row, group, selector
    var: str | None = None
    rowset: str | None = None
    table: str | None = None
    by: str | None = None
    lets: dict[str, C.Expr] = field(default_factory=dict)


_BAD = C.Const(Info(Type(INVALID)), Span(""), None)


def _literal(node) -> bool:
    return isinstance(node, (ast.Num, ast.Str, ast.Bool)) or (isinstance(node, ast.Neg) and _literal(node.operand))


def _literal_value(node):
    if isinstance(node, ast.Neg):
        inner = _literal_value(node.operand)
        return -inner if isinstance(inner, float | int) else None
    return node.value if isinstance(node, (ast.Num, ast.Str, ast.Bool)) else None


def _conjuncts(e: ast.Expr) -> list[ast.Expr]:
    if isinstance(e, ast.Logic) and e.op == "and":
        return _conjuncts(e.left) + _conjuncts(e.right)
    return [e]


class Typer:
    """Types expressions against a namespace; collects diagnostics."""

    def __init__(self, ns: Namespace, diags: list[Diagnostic], units: U.UnitSystem = U.DEFAULT):
        self.ns = ns
        self.diags = diags
        self.units = units
        self.top_lets: dict[str, C.Expr] = {}  # checked top-level lets
        self._depth = 0
        self._too_deep = False
        self.col_types: dict[str, dict[str, Type]] = {}
        self.param_types: dict[str, Type] = {}
        self.field_types: dict[str, Type] = {}
        self.lookup_types: dict[str, tuple[Type, Type]] = {}
        self.col_links: dict[str, dict[str, str]] = {}  # table -> column -> the table it links to
        self.table_keys: dict[str, str] = {}
        self.param_values: dict[str, object] = {}
        self._let_busy: set[str] = set()

    # helpers ---------------------------------------------------------------
    def _row_filter(self, where, scope, rowset: str, outside: str, hint: str) -> C.Expr:
        """A call's `where`: a condition on the rows of ``rowset`` (or on plan values); ``outside`` and ``hint``
        say what is wrong with one that tests other rows."""
        w = self.expr(where, scope)
        if w is _BAD:
            return _BAD
        if w.type.kind != BOOL:
            return self.err("type-mismatch", f"`where` needs a condition, not {w.type.describe()}", where.span)
        if w.shape not in (SCALAR, ELEM) or (w.shape == ELEM and w.rowset != rowset):
            return self.err("scope-mismatch", outside, where.span, hint)
        return w

    def err(self, code: str, message: str, span, hint: str | None = None) -> C.Expr:
        self.diags.append(Diagnostic(code, message, span, hint=hint))
        return _BAD

    def unit(self, text: str | None, span) -> U.Unit | None:
        if text is None:
            return None
        try:
            return self.units.parse(text)
        except U.UnitError as e:
            names = self.units.names()
            self.err("unknown-unit", str(e), span, did_you_mean(text, names) or
                     f"common units: {', '.join(U.COMMON_UNITS)}; any unit pint knows (mile, degF, kWh), "
                     "or one the pack declares: `unit NAME`")
            return None

    def decl_type(self, ref: ast.TypeRef, unit_text: str | None, span) -> Type:
        if ref.kind == ENUM:
            dupes = {v for v in ref.values if ref.values.count(v) > 1}
            if dupes:
                self.err("duplicate-id", f"enum value `{sorted(dupes)[0]}` is listed twice", ref.span)
            return Type(ENUM, values=ref.values)
        if ref.kind == GEOMETRY:
            kind = ref.values[0]
            if kind not in GEOMETRY_KINDS:
                self.err("type-mismatch", f"`geometry {kind}`: a geometry is a point, line or polygon", ref.span,
                         did_you_mean(kind, GEOMETRY_KINDS) or "write `geometry point`, `geometry line` or "
                         "`geometry polygon`")
            if unit_text is not None:
                self.err("type-mismatch", "a geometry has no unit", span,
                         "its areas and lengths are in the working CRS's metres")
            return Type(GEOMETRY, values=(kind,))
        if unit_text is not None and ref.kind not in (NUMBER, INTEGER):
            self.err("type-mismatch", f"a {ref.kind} has no unit", span, "units go on number and integer values")
        if ref.kind in (NUMBER, INTEGER):
            return Type(ref.kind, self.unit(unit_text, span) or U.DIMENSIONLESS)
        return Type(ref.kind)

    def rowset_table(self, name: str) -> str | None:
        if name in self.ns.tables:
            return name
        cat = self.ns.categories.get(name)
        return cat.table if cat is not None else None

    def convert(self, x: C.Expr, unit: U.Unit | None) -> C.Expr:
        """``x`` expressed in ``unit`` (same dimension): a :class:`Scale` node unless nothing changes.

        Callers have checked that the two convert (:meth:`comparable`); a pair that does not is left as it is.
        """
        src = x.type.unit
        if src is None or unit is None or src.dims != unit.dims or x is _BAD:
            return x
        try:
            factor, offset = self.units.conversion(src, unit)
        except U.UnitError:
            return x
        if factor == 1.0 and offset == 0.0:
            return x
        return C.Scale(Info(Type(NUMBER, unit), x.shape, x.rowset, x.refs), x.span, x, factor, offset)

    # expressions -------------------------------------------------------------
    MAX_DEPTH = 60

    def expr(self, node: ast.Expr, scope: Scope) -> C.Expr:
        self._depth += 1
        try:
            if self._depth > self.MAX_DEPTH:
                if not self._too_deep:
                    self._too_deep = True
                    self.err("expression-too-deep", f"an expression is nested more than {self.MAX_DEPTH} deep",
                             node.span, "split it with `let` bindings")
                return _BAD
            method = _DISPATCH.get(type(node))
            if method is None:
                raise TypeError(f"the checker has no rule for {type(node).__name__} nodes")
            return method(self, node, scope)
        finally:
            self._depth -= 1

    def _num(self, node: ast.Num, scope):
        unit = self.unit(node.unit, node.span) if node.unit else None
        kind = INTEGER if node.value.is_integer() and node.unit is None and "." not in node.text else NUMBER
        return C.Const(Info(Type(kind, unit)), node.span, node.value)

    def _str(self, node, scope):
        return C.Const(Info(Type(TEXT)), node.span, node.value)

    def _bool(self, node, scope):
        return C.Const(Info(Type(BOOL)), node.span, node.value)

    def _name(self, node: ast.Name, scope: Scope):
        n, span = node.name, node.span
        if n in scope.lets:
            let = scope.lets[n]
            if let is _BAD:
                return _BAD
            return C.LetRef(Info(let.type, let.shape, let.rowset, let.refs | {Ref("let", n)}), span, n, False)
        if scope.kind == "selector" and scope.table and n in self.col_types[scope.table]:
            return C.ColumnRef(Info(self.col_types[scope.table][n], ROW, refs=frozenset({Ref("row", n)})), span,
                               "", n)
        if n in self.ns.params:
            return C.ParamRef(Info(self.param_types[n]), span, n)
        if n in self.ns.fields:
            return C.FieldRef(Info(self.field_types[n], refs=frozenset({Ref("field", n)})), span, n)
        if n in self.ns.lets:
            let = self.top_let(n)
            if let is _BAD:
                return _BAD
            return C.LetRef(Info(let.type, let.shape, let.rowset, let.refs | {Ref("let", n)}), span, n, True)
        if n in self.ns.tables or n in self.ns.categories:
            return C.RowsetRef(Info(Type(ROWSET), rowset=n), span, n)
        if scope.var == n:
            if scope.kind == GROUP:
                return C.RowsetRef(Info(Type(ROWSET), rowset=n), span, n)
            return self.err("type-mismatch", f"`{n}` is a row; name one of its columns: `{n}.column`", node.span)
        if n in self.ns.lookups:
            return self.err("type-mismatch", f"`{n}` is a lookup; call it: `{n}(key)`", node.span)
        visible = [*scope.lets, *self.ns.value_names()]
        if scope.kind == "selector" and scope.table:
            visible += list(self.col_types[scope.table])
        return self.err("unknown-name", f"unknown name `{n}`", node.span, did_you_mean(n, visible))

    def _attr(self, node: ast.Attr, scope: Scope):
        obj, col = node.obj, node.attr

        def ref(t: Type, shape: str, r: Ref, rowset: str | None = None) -> C.Expr:
            return C.ColumnRef(Info(t, shape, rowset, frozenset({r})), node.span, obj, col)

        if obj == scope.var and scope.kind in (ROW, GROUP) and scope.table is not None:
            cols = self.col_types[scope.table]
            if col not in cols:
                return self._unknown_column(node, scope.table)
            ctype = cols[col]
            if scope.kind == ROW:
                return ref(ctype, ROW, Ref("row", col))
            if col == scope.by:
                return ref(ctype, GROUP, Ref("group", col))
            return ref(ctype, ELEM, Ref("elem", col, obj), obj)
        if scope.kind == "selector" and obj == scope.table:
            if col not in self.col_types[obj]:
                return self._unknown_column(node, obj)
            return ref(self.col_types[obj][col], ROW, Ref("row", col))
        tname = self.rowset_table(obj)
        if tname is not None:
            if col not in self.col_types[tname]:
                return self._unknown_column(node, tname)
            return ref(self.col_types[tname][col], ELEM, Ref("elem", col, obj), obj)
        names = [*self.ns.tables, *self.ns.categories] + ([scope.var] if scope.var else [])
        return self.err("unknown-name", f"unknown table, category or row `{obj}`", node.span,
                        did_you_mean(obj, names))

    def _link(self, node: ast.Link, scope: Scope):
        """``o.district->population``: the linked row's column, found by the key ``o.district`` holds."""
        base = self.expr(node.operand, scope)
        if base is _BAD:
            return _BAD
        source = self._column_table(base, scope)
        column = base.column if isinstance(base, C.ColumnRef | C.Link) else None
        target = self.col_links.get(source or "", {}).get(column or "")
        if target is None:
            what = f"`{source}.{column}`" if source and column else "this value"
            return self.err("bad-link", f"{what} is not declared as a link to another table", node.operand.span,
                            f"declare the column with its table: `{column or 'column'}: text -> other_table`")
        if node.attr not in self.col_types[target]:
            cols = self.col_types[target]
            return self.err("bad-link", f"the linked table `{target}` has no column `{node.attr}`", node.span,
                            did_you_mean(node.attr, cols) or f"columns of `{target}`: {', '.join(cols)}")
        info = Info(self.col_types[target][node.attr], base.shape, base.rowset,
                    base.refs | {Ref("link", node.attr, target), Ref("link", self.table_keys[target], target)})
        return C.Link(info, node.span, base, target, node.attr)

    def _column_table(self, x: C.Expr, scope: Scope) -> str | None:
        """The table whose column ``x`` is (the rule's row, an aggregated rowset, or a linked table)."""
        if isinstance(x, C.Link):
            return x.table
        if not isinstance(x, C.ColumnRef):
            return None
        if x.shape in (ROW, GROUP) or (x.shape == ELEM and scope.kind == GROUP and x.rowset == scope.var):
            return scope.table
        return self.rowset_table(x.rowset or "")

    def _if(self, node: ast.If, scope: Scope):
        cond, a, b = (self.expr(x, scope) for x in (node.cond, node.then, node.other))
        if _BAD in (cond, a, b):
            return _BAD
        if cond.type.kind != BOOL:
            return self.err("type-mismatch", f"`if` needs a condition, not {cond.type.describe()}", node.cond.span)
        if ROWSET in (a.type.kind, b.type.kind):
            return self.err("type-mismatch", "`then` and `else` give values, not tables", node.span)
        if not (a.type.numeric and b.type.numeric) and a.type.kind != b.type.kind and not (
                {a.type.kind, b.type.kind} == {ENUM, TEXT} and isinstance(node.then if b.type.kind == ENUM
                                                                          else node.other, ast.Str)):
            return self.err("type-mismatch", f"`then` gives {a.type.describe()} but `else` gives "
                            f"{b.type.describe()}", node.span, "both branches give values of one type")
        if not self.comparable(node, "==", a, b, node.then, node.other):
            return _BAD
        shape = self.combine(node, cond, a, b)
        if shape is None:
            return _BAD
        typ = a.type if a.type.kind != TEXT else b.type
        if a.type.numeric:
            unit = a.type.unit if a.type.unit is not None else b.type.unit
            kind = INTEGER if a.type.kind == b.type.kind == INTEGER else NUMBER
            typ = Type(kind, unit)
            b = self.convert(b, a.type.unit)
        return C.If(Info(typ, *shape, self._refs(cond, a, b)), node.span, cond, a, b)

    def _unknown_column(self, node, table: str):
        cols = self.col_types[table]
        return self.err("unknown-column", f"table `{table}` has no column `{node.attr}`", node.span,
                        did_you_mean(node.attr, cols) or f"columns of `{table}`: {', '.join(cols)}")

    def combine(self, node, *infos: C.Expr) -> tuple[str, str | None] | None:
        """The shape of an expression from its operands', or None after a diagnostic."""
        shape, rowset = SCALAR, None
        for i in infos:
            if i.shape == SCALAR:
                continue
            if shape == SCALAR:
                shape, rowset = i.shape, i.rowset
            elif (i.shape, i.rowset) != (shape, rowset):
                what = {ROW: "a row", GROUP: "a group", ELEM: "the rows of `{}`"}
                a = what[shape].format(rowset)
                b = what[i.shape].format(i.rowset)
                hint = "aggregate one side first, e.g. sum(table.column); rows of two tables never line up"
                if {shape, i.shape} == {ELEM, ROW}:
                    elem = rowset if shape == ELEM else i.rowset
                    hint = (f"to aggregate the rows of `{elem}` that match this row, filter them with an "
                            f"equality: `where {elem}.column == row.column`")
                self.err("scope-mismatch", f"this mixes values of {a} with values of {b}", node.span, hint)
                return None
        return shape, rowset

    def _refs(self, *infos: C.Expr) -> frozenset[Ref]:
        out: frozenset[Ref] = frozenset()
        for i in infos:
            out |= i.refs
        return out

    def _binop(self, node: ast.BinOp, scope):
        left, right = self.expr(node.left, scope), self.expr(node.right, scope)
        if left is _BAD or right is _BAD:
            return _BAD
        for side, i in (("left", left), ("right", right)):
            if not i.type.numeric:
                return self.err("type-mismatch", f"`{node.op}` needs numbers; the {side} side is "
                                f"{i.type.describe()}", node.span)
        shape = self.combine(node, left, right)
        if shape is None:
            return _BAD
        lu, ru = left.type.unit, right.type.unit
        kind = INTEGER if left.type.kind == right.type.kind == INTEGER and node.op != "/" else NUMBER
        scale = 1.0
        try:
            if node.op in "+-":
                unit = lu if lu is not None else ru
                if lu is not None and ru is not None:
                    unit, factor = self.units.add(lu, ru, node.op)
                    if factor != 1.0:  # the right side in the left side's scale (a difference: no offset)
                        right = C.Scale(Info(Type(NUMBER, lu), right.shape, right.rowset, right.refs), right.span,
                                        right, factor)
            else:
                unit, scale = self.units.product(lu or U.DIMENSIONLESS, ru or U.DIMENSIONLESS, node.op)
                if lu is None and ru is None:
                    unit = None
        except U.UnitError as e:
            return self.err("unit-mismatch", str(e), node.span)
        info = Info(Type(kind, unit), shape[0], shape[1], self._refs(left, right))
        out: C.Expr = C.Arith(info, node.span, node.op, left, right)
        return out if scale == 1.0 else C.Scale(Info(Type(NUMBER, unit), *shape, info.refs), node.span, out, scale)

    def _neg(self, node: ast.Neg, scope):
        i = self.expr(node.operand, scope)
        if i is _BAD:
            return _BAD
        if not i.type.numeric:
            return self.err("type-mismatch", f"`-` needs a number, not {i.type.describe()}", node.span)
        return C.Neg(i.info, node.span, i)

    def _convert(self, node: ast.Convert, scope):
        i = self.expr(node.operand, scope)
        target = self.unit(node.unit, node.span)
        if i is _BAD or target is None:
            return _BAD
        if not i.type.numeric:
            return self.err("type-mismatch", f"`as {node.unit}` converts numbers, not {i.type.describe()}", node.span)
        src = i.type.unit or U.DIMENSIONLESS
        if not U.same_dimension(src, target):
            return self.err("unit-mismatch", f"cannot express {src.dimension_name()} ({src.name or 'no unit'}) "
                            f"in {node.unit} ({target.dimension_name()})", node.span,
                            "parenthesise the quantity to convert: (a / b) as m2")
        try:
            factor, offset = self.units.conversion(src, target)
        except U.UnitError as e:
            return self.err("unit-mismatch", str(e), node.span)
        return C.Scale(Info(Type(NUMBER, target), i.shape, i.rowset, i.refs), node.span, i, factor, offset)

    def comparable(self, node, op: str, a: C.Expr, b: C.Expr, a_node, b_node) -> bool:
        ta, tb = a.type, b.type
        for x, other in ((a, b), (b, a)):  # a param written without a unit against a percentage: 30 or 0.3?
            decl = self.ns.params.get(x.name) if isinstance(x, C.ParamRef) else None
            if decl is not None and isinstance(x, C.ParamRef) and isinstance(decl.value, ast.Num) \
                    and decl.value.unit is None \
                    and other.type.unit is not None and other.type.unit.name == "%":
                self.err("unit-mismatch", f"param `{x.name}` has no unit but is compared with a percentage",
                         node.span, f"say which it is where it is declared ({decl.span}): "
                         f"`param {x.name} = {decl.value.text} %`, or `{decl.value.text} ratio` for a ratio")
                return False
        if ta.numeric and tb.numeric:
            if ta.unit is not None and tb.unit is not None and not U.same_dimension(ta.unit, tb.unit):
                self.err("unit-mismatch", f"cannot compare {ta.unit.dimension_name()} ({ta.unit.name or 'no unit'}) "
                         f"with {tb.unit.dimension_name()} ({tb.unit.name or 'no unit'})", node.span,
                         self._declared_at(a_node) or self._declared_at(b_node)
                         or "convert one side, or give the param or literal the right unit")
                return False
            if ta.unit is not None and tb.unit is not None:
                try:  # the right side is converted to the left side's unit, offsets included, as pint does
                    self.units.conversion(tb.unit, ta.unit)
                except U.UnitError as e:
                    self.err("unit-mismatch", str(e).replace("cannot convert", "cannot compare", 1), node.span)
                    return False
            return True
        if ENUM in (ta.kind, tb.kind):
            enum, against, other_node = (ta, tb, b_node) if ta.kind == ENUM else (tb, ta, a_node)
            if against.kind == TEXT and isinstance(other_node, ast.Str):
                if other_node.value not in enum.values:
                    self.err("unknown-enum-value", f"`{other_node.value}` is not one of {', '.join(enum.values)}",
                             other_node.span, did_you_mean(other_node.value, enum.values))
                    return False
                return True
            if against.kind == ENUM:
                if set(against.values) != set(enum.values) or (op not in ("==", "!=")
                                                               and against.values != enum.values):
                    self.err("type-mismatch", f"these enums have different values: {enum.describe()} and "
                             f"{against.describe()}", node.span)
                    return False
                return True
            if against.kind == TEXT and op in ("==", "!="):
                return True
        if ta.kind == tb.kind and ta.kind in (TEXT, BOOL) and op in ("==", "!="):
            return True
        if ta.kind == tb.kind == DATE:
            return True
        self.err("type-mismatch", f"cannot compare {ta.describe()} {op} {tb.describe()}", node.span,
                 "text and bool values compare with == and != only" if ta.kind == tb.kind else None)
        return False

    def _declared_at(self, node) -> str | None:
        """For a param, where it is declared (the unit is usually wrong there)."""
        if isinstance(node, ast.Name) and node.name in self.ns.params:
            decl = self.ns.params[node.name]
            return f"param `{node.name}` is declared at {decl.span}; check its unit there"
        return None

    def _compare(self, node: ast.Compare, scope):
        a, b = self.expr(node.left, scope), self.expr(node.right, scope)
        if a is _BAD or b is _BAD or not self.comparable(node, node.op, a, b, node.left, node.right):
            return _BAD
        shape = self.combine(node, a, b)
        if shape is None:
            return _BAD
        return C.Compare(Info(Type(BOOL), *shape, self._refs(a, b)), node.span, node.op, a,
                         self.convert(b, a.type.unit))

    def _bools(self, node, scope, *operands) -> tuple[Info, list[C.Expr]] | None:
        infos = [self.expr(o, scope) for o in operands]
        if any(i is _BAD for i in infos):
            return None
        for o, i in zip(operands, infos):
            if i.type.kind != BOOL:
                self.err("type-mismatch", f"expected a condition (bool), found {i.type.describe()}", o.span)
                return None
        shape = self.combine(node, *infos)
        return None if shape is None else (Info(Type(BOOL), *shape, self._refs(*infos)), infos)

    def _logic(self, node: ast.Logic, scope):
        got = self._bools(node, scope, node.left, node.right)
        return _BAD if got is None else C.Logic(got[0], node.span, node.op, *got[1])

    def _not(self, node: ast.Not, scope):
        got = self._bools(node, scope, node.operand)
        return _BAD if got is None else C.Not(got[0], node.span, got[1][0])

    def _in(self, node: ast.In, scope):
        a = self.expr(node.operand, scope)
        items = [self.expr(x, scope) for x in node.items]
        if a is _BAD or any(i is _BAD for i in items):
            return _BAD
        for x, i in zip(node.items, items):
            if not isinstance(x, (ast.Str, ast.Num, ast.Bool)) and not (isinstance(x, ast.Neg)
                                                                        and isinstance(x.operand, ast.Num)):
                return self.err("type-mismatch", "the list after `in` holds literal values", x.span)
            if not self.comparable(node, "==", a, i, node.operand, x):
                return _BAD
        shape = self.combine(node, a)
        if shape is None:
            return _BAD
        values = tuple(self.convert(i, a.type.unit) for i in items)
        return C.In(Info(Type(BOOL), *shape, a.refs), node.span, a, tuple(items), tuple(_const(v) for v in values),
                    node.negated)

    def _between(self, node: ast.Between, scope):
        a, lo, hi = (self.expr(x, scope) for x in (node.operand, node.low, node.high))
        if _BAD in (a, lo, hi):
            return _BAD
        if not (self.comparable(node, "<=", lo, a, node.low, node.operand)
                and self.comparable(node, "<=", a, hi, node.operand, node.high)):
            return _BAD
        shape = self.combine(node, a, lo, hi)
        if shape is None:
            return _BAD
        return C.Between(Info(Type(BOOL), *shape, self._refs(a, lo, hi)), node.span, a,
                         self.convert(lo, a.type.unit), self.convert(hi, a.type.unit))

    def _presence(self, node: ast.Presence, scope):
        a = self.expr(node.operand, scope)
        if a is _BAD:
            return _BAD
        if a.type.kind == ROWSET:
            return self.err("type-mismatch", "`is present` tests a value, not a table", node.span)
        return C.Presence(Info(Type(BOOL), a.shape, a.rowset, a.refs), node.span, a, node.present)

    def _call(self, node: ast.Call, scope):
        f = node.func
        if f in self.ns.lookups:
            return self._lookup_call(node, scope)
        b = B.resolve(f, len(node.args))
        if b is None:
            return self.err("unknown-function", f"unknown function or lookup `{f}`", node.span,
                            did_you_mean(f, [*B.BUILTINS, *self.ns.lookups]))
        if not b.min_args <= len(node.args) <= b.max_args:
            return self.err("wrong-arity", f"`{f}` takes {B.arity(f)} argument(s), not {len(node.args)}", node.span)
        reads_rows = any(p.rows for p in b.params)
        if node.where is not None and b.kind != B.AGGREGATE and not reads_rows:
            return self.err("type-mismatch", f"`where` filters the rows of an aggregate or of the table a spatial "
                            f"function reads; `{f}` is neither", node.where.span)
        if b.kind == B.AGGREGATE:
            return self._aggregate(node, scope, b)
        if reads_rows:
            return self._rows_call(node, scope, b)
        return self._scalar_call(node, scope, b)

    def _lookup_call(self, node, scope):
        lk = self.lookup_types[node.func]
        if len(node.args) != 1:
            return self.err("wrong-arity", f"lookup `{node.func}` takes one key", node.span)
        a = self.expr(node.args[0], scope)
        if a is _BAD:
            return _BAD
        key_t = lk[0]
        if any(isinstance(k, ast.Band) for k, _ in self.ns.lookups[node.func].entries):
            if not a.type.numeric:
                return self.err("type-mismatch", f"lookup `{node.func}` takes a number in one of its bands, "
                                f"not {a.type.describe()}", node.args[0].span)
            if a.type.unit is not None and key_t.unit is not None and not U.same_dimension(a.type.unit, key_t.unit):
                return self.err("unit-mismatch", f"lookup `{node.func}` takes {key_t.unit.dimension_name()} "
                                f"({key_t.unit.name or 'no unit'}), not {a.type.unit.dimension_name()} "
                                f"({a.type.unit.name or 'no unit'})", node.args[0].span)
            return C.LookupCall(Info(lk[1], a.shape, a.rowset, a.refs), node.span, node.func,
                                self.convert(a, key_t.unit))
        if a.type.kind not in (TEXT, ENUM, INTEGER) or (key_t.kind == INTEGER) != (a.type.kind == INTEGER):
            return self.err("type-mismatch", f"lookup `{node.func}` takes a {key_t.describe()} key, "
                            f"not {a.type.describe()}", node.args[0].span)
        decl = self.ns.lookups[node.func]
        if a.type.kind == ENUM and decl.default is None:  # a value the key can take but the lookup lacks
            missed = [v for v in a.type.values if v not in {k for k, _ in decl.entries}]
            if missed:
                return self.err("lookup-incomplete", f"lookup `{node.func}` has no value for "
                                f"{', '.join(f'`{v}`' for v in missed)}, which `{self._text(node.args[0])}` can be",
                                node.args[0].span, "give the lookup an entry for each value, or a `default`")
        return C.LookupCall(Info(lk[1], a.shape, a.rowset, a.refs), node.span, node.func, a)

    def _builtin_type(self, b, node: ast.Call, infos: list[C.Expr], time: Type | None = None) -> Type | None:
        """The entry's typing rule on checked arguments; None after a diagnostic."""
        for i, (arg, info) in enumerate(zip(node.args, infos)):
            p = b.param(i)
            wrong = p.accepts(info.type)
            if wrong is not None:
                self.err("type-mismatch", f"`{b.name}` takes {wrong} as its {p.name}, not {info.type.describe()}",
                         arg.span, f"{b.signature}: {b.doc}")
                return None
            if p.literal and not _literal(arg) and not self._param(arg):
                self.err("type-mismatch", f"the {p.name} of `{b.name}` is written as a literal or a param",
                         arg.span, f"e.g. {b.examples[0]}" if b.examples else None)
                return None

        def same(i: int, j: int) -> bool:
            return self.comparable(node, "==", infos[i], infos[j], node.args[i], node.args[j])

        columns = [self.col_types.get(self.rowset_table(i.rowset) or "")
                   if (i.type.kind == ROWSET or isinstance(i, C.RowsOf)) and i.rowset else None for i in infos]
        literals = [self.param_values.get(a.name) if isinstance(a, ast.Name) and self._param(a) else _literal_value(a)
                    for a in node.args]
        call = B.Call(b.name, [i.type for i in infos], literals,
                      node.where is not None, same, columns, time)
        try:
            return b.result(call)
        except B.Refusal as r:
            if r.code:
                span = node.args[r.arg].span if r.arg is not None and r.arg < len(node.args) else node.span
                self.err(r.code, r.message, span, r.hint)
            return None

    @staticmethod
    def _text(node) -> str:
        from ..authoring.printer import expr

        return expr(node)

    def _param(self, node) -> bool:
        return isinstance(node, ast.Name) and node.name in self.ns.params

    def _aggregate(self, node: ast.Call, scope: Scope, b):
        f = node.func
        a = self.expr(node.args[0], scope)
        if a is _BAD:
            return _BAD
        if a.type.kind == ROWSET:
            if "rowset" not in b.params[0].kinds:
                return self.err("aggregate-over-scalar", f"`{f}` needs a column, e.g. {f}({a.rowset}.column)",
                                node.args[0].span)
            rowset = a.rowset
        elif a.shape == ELEM:
            rowset = a.rowset
        elif a.shape == SCALAR:
            return self.err("aggregate-over-scalar", f"`{f}` aggregates the rows of a table or category; this "
                            "argument is one value", node.args[0].span,
                            "name a column of a table, category or group: sum(objects.area_ha)")
        else:
            var = scope.var or "row"
            return self.err("aggregate-over-scalar", f"`{f}` over `{var}` sees one {a.shape} at a time",
                            node.args[0].span, "aggregate a table, a category or a group variable")
        assert rowset is not None  # a rowset reference and the elements of an aggregate name theirs
        refs = a.refs
        join = self._join(node, scope, rowset) if node.where is not None else None
        where = None
        if join is not None:
            elem_key, row_key, rest = join
            refs |= elem_key.refs | row_key.refs
            checked_rest = []
            for c in rest:
                w = self.expr(c, scope)
                if w is _BAD:
                    return _BAD
                checked_rest.append(w)
                if w.type.kind != BOOL:
                    return self.err("type-mismatch", f"`where` needs a condition, not {w.type.describe()}", c.span)
                if w.shape not in (SCALAR, ELEM) or (w.shape == ELEM and w.rowset != rowset):
                    return self.err("scope-mismatch", f"besides `{rowset}.{elem_key.column} == ...`, the `where` of "
                                    f"this {f} tests rows of `{rowset}` only", c.span)
                refs |= w.refs
            join = C.Join(elem_key, row_key, tuple(checked_rest))
        elif node.where is not None:
            w = self._row_filter(node.where, scope, rowset, f"the `where` of this {f} must test rows of `{rowset}`",
                                 f"write `{rowset}.column` in the filter")
            if w is _BAD:
                return _BAD
            refs |= w.refs
            where = w
        extra: list[C.Expr] = []
        for x in node.args[1:]:  # an aggregate's further arguments are plan-level values: a year, a duration
            e = self.expr(x, scope)
            if e is _BAD:
                return _BAD
            if e.shape != SCALAR:
                return self.err("scope-mismatch", f"the arguments of `{f}` after the first are one value for the "
                                "plan (a literal, a param, a field)", x.span)
            extra.append(e)
        table = scope.table if scope.kind == GROUP and rowset == scope.var else self.rowset_table(rowset)
        time_col = self.ns.tables[table].time if b.reads_time and table in self.ns.tables else None
        time_type = self.col_types[table].get(time_col) if time_col is not None and table is not None else None
        result = self._builtin_type(b, node, [a, *extra], time_type)
        if result is None:
            return _BAD
        args = (a, *(self.convert(x, U.parse_unit(b.param(i + 1).unit) if b.param(i + 1).unit else None)
                     for i, x in enumerate(extra)))
        for e in extra:
            refs |= e.refs
        if time_col is not None:
            refs |= {Ref("elem", time_col, rowset)}
        if join is not None:
            return C.Call(Info(result, ROW, None, refs), node.span, f, args, None, join, time_col)
        shape = GROUP if scope.kind == GROUP and rowset == scope.var else SCALAR
        return C.Call(Info(result, shape, None, refs), node.span, f, args, where, time=time_col)

    def _join(self, node: ast.Call, scope: Scope, rowset: str):
        """``rowset.col == <the current row's value>`` among the filter's conjuncts: a correlated aggregate.

        Returns (element key, row key, the other conjuncts) or None.
        """
        if scope.kind != ROW or node.where is None:
            return None
        parts = _conjuncts(node.where)
        for c in parts:
            if not (isinstance(c, ast.Compare) and c.op == "=="):
                continue
            for elem_side, row_side in ((c.left, c.right), (c.right, c.left)):
                if not (isinstance(elem_side, ast.Attr) and elem_side.obj == rowset):
                    continue
                if not isinstance(row_side, (ast.Attr, ast.Name, ast.Call, ast.BinOp, ast.Convert)):
                    continue
                before = len(self.diags)
                e, r = self.expr(elem_side, scope), self.expr(row_side, scope)
                if len(self.diags) > before or e is _BAD or r is _BAD:
                    return None
                if e.shape == ELEM and r.shape == ROW and self.comparable(c, "==", e, r, elem_side, row_side):
                    return e, self.convert(r, e.type.unit), tuple(p for p in parts if p is not c)
        return None

    def _scalar_call(self, node: ast.Call, scope, b):
        infos = [self.expr(a, scope) for a in node.args]
        if _BAD in infos:
            return _BAD
        shape = self.combine(node, *infos)
        if shape is None:
            return _BAD
        result = self._builtin_type(b, node, infos)
        if result is None:
            return _BAD
        args = tuple(self.convert(x, result.unit if b.same_unit else
                                  self.units.parse(b.param(i).unit) if b.param(i).unit else None)
                     for i, x in enumerate(infos))  # each argument in the unit the function reads
        return C.Call(Info(result, shape[0], shape[1], self._refs(*infos)), node.span, node.func, args)

    def _rows_call(self, node: ast.Call, scope: Scope, b):
        """A scalar built-in that reads the rows of another table (a spatial join): each such argument is a
        table or category, or an expression over one's rows (``parks.entrance``, ``trees.crown_m2``), and the
        call's ``where`` filters those rows (``nearest(h.shape, parks where parks.public)``)."""
        f = node.func
        infos: list[C.Expr] = []
        for i, arg in enumerate(node.args):
            p = b.param(i)
            x = self.expr(arg, scope)
            if x is _BAD:
                return _BAD
            if p.rows is not None:
                x = self._rows_arg(b, p, x, arg)
                if x is _BAD:
                    return _BAD
            infos.append(x)
        rows = [x for x in infos if isinstance(x, C.RowsOf)]
        if node.where is not None:
            rowset = rows[0].name
            w = self._row_filter(node.where, scope, rowset, f"the `where` of this {f} filters the rows of `{rowset}`",
                                 f"write `{rowset}.column` in the filter, e.g. `{rowset}.public`; a filter by the "
                                 "current row is not supported here")
            if w is _BAD:
                return _BAD
            first = rows[0]
            filtered = C.RowsOf(Info(first.type, SCALAR, first.rowset, first.refs | w.refs), first.span, first.name,
                                first.column, first.shapes, first.values, w)
            infos = [filtered if x is first else x for x in infos]
        shape = self.combine(node, *(x for x in infos if not isinstance(x, C.RowsOf)))
        if shape is None:
            return _BAD
        result = self._builtin_type(b, node, infos)
        if result is None:
            return _BAD
        args = tuple(x if isinstance(x, C.RowsOf) else
                     self.convert(x, self.units.parse(b.param(i).unit) if b.param(i).unit else None)
                     for i, x in enumerate(infos))
        return C.Call(Info(result, shape[0], shape[1], self._refs(*infos)), node.span, f, args)

    def _rows_arg(self, b, p, x: C.Expr, arg: ast.Expr) -> C.Expr:
        """One argument naming the rows of another table, as a :class:`RowsOf` node."""
        example = f"e.g. {b.examples[0]}" if b.examples else None
        if x.type.kind == ROWSET or x.shape == ELEM:
            table = self.rowset_table(x.rowset or "")
        else:
            table = None
        if table is None:
            what = "a table or category, or a column of one" if p.rows == "values" else \
                "a table or category (or a geometry column of one)"
            return self.err("type-mismatch", f"`{b.name}` reads the rows of another table as its {p.name}: {what}",
                            arg.span, example)
        assert x.rowset is not None  # it named a table or category
        column = next((c for c, t in self.col_types[table].items() if t.kind == GEOMETRY), None)
        refs = x.refs
        shapes = values = None
        if x.type.kind == ROWSET:
            if p.rows == "values":
                return self.err("type-mismatch", f"`{b.name}` totals a column of `{x.rowset}` as its {p.name}, not "
                                "the table itself", arg.span, example)
            seen = Type(ROWSET)
        elif p.rows == "shapes":
            if x.type.kind != GEOMETRY:
                return self.err("type-mismatch", f"`{b.name}` reads shapes as its {p.name}: a table, a category or "
                                f"a geometry column of one, not {x.type.describe()}", arg.span, example)
            shapes, seen = x, Type(ROWSET)
        else:
            values, seen = x, x.type
        if shapes is None and column is not None:
            refs |= {Ref("elem", column, x.rowset)}
        return C.RowsOf(Info(seen, SCALAR, x.rowset, refs), x.span, x.rowset, None if shapes is not None else column,
                        shapes, values)

    def top_let(self, name: str) -> C.Expr:
        """A top-level let, checked once (a cycle is reported)."""
        if name in self.top_lets:
            return self.top_lets[name]
        decl = self.ns.lets[name]
        if name in self._let_busy:
            return self.err("cyclic-definition", f"`{name}` is defined in terms of itself", decl.span)
        self._let_busy.add(name)
        i = self.expr(decl.expr, Scope("plan"))
        self._let_busy.discard(name)
        if i is not _BAD and i.shape != SCALAR:
            i = self.err("aggregate-needed", f"`let {name}` is one value for the plan; aggregate the column",
                         decl.expr.span, "e.g. sum(objects.area_ha)")
        self.top_lets[name] = i
        return i


def _const(x: C.Expr) -> object:
    """The value of a literal list item, after its unit conversion."""
    if isinstance(x, C.Scale):
        number = _const(x.operand)
        assert isinstance(number, float | int), number
        return number * x.factor + x.offset
    if isinstance(x, C.Neg):
        number = _const(x.operand)
        assert isinstance(number, float | int), number
        return -number
    assert isinstance(x, C.Const), type(x).__name__
    return x.value


_DISPATCH = {cls: getattr(Typer, "_" + cls.__name__.lower()) for cls in (
    ast.Num, ast.Str, ast.Bool, ast.Name, ast.Attr, ast.Call, ast.BinOp, ast.Compare, ast.Logic, ast.Not, ast.Neg,
    ast.Convert, ast.In, ast.Between, ast.Presence, ast.If, ast.Link)}
