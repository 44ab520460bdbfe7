"""The checked standard: declarations with names resolved and types known.

Built by :mod:`engine.check` from the AST; read by the compiler, the plan
loader (to derive the plan schema) and the renderers of the standard. Nothing
after the checker reads the syntax tree: a rule's expressions are checked
expression trees (:class:`Expr` and its subclasses), each node carrying its
type, its shape and what it reads, with unit conversions already made
explicit (:class:`Scale`).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from .diagnostics import Span
from .nodefields import field_names
from .units import Unit, UnitDef

NUMBER, INTEGER, TEXT, BOOL, DATE, ENUM = "number", "integer", "text", "bool", "date", "enum"
GEOMETRY = "geometry"
GEOMETRY_KINDS = ("point", "line", "polygon")  # each includes its multi-part shapes
ROWSET = "rowset"
INVALID = "error"  # the type of an expression the checker refused

# shapes: one value for the plan, one per row or per group of the rule, one per element row of an aggregate
SCALAR, ROW, GROUP, ELEM = "scalar", "row", "group", "elem"


@functools.lru_cache(maxsize=64)
def _lines(text: str) -> tuple[str, ...]:
    """A rule file's lines, split once however many spans are read from it."""
    return tuple(text.splitlines())


@dataclass(frozen=True)
class Type:
    """A static type: kind, unit (numbers) and values (enums, in their order)."""

    kind: str
    unit: Unit | None = None
    values: tuple[str, ...] = ()  # an enum's values in order; a geometry's kind (point, line, polygon)

    @property
    def numeric(self) -> bool:
        return self.kind in (NUMBER, INTEGER)

    def describe(self) -> str:
        if self.kind == ENUM:
            return f"enum({', '.join(self.values)})"
        if self.kind == GEOMETRY:
            return f"geometry {self.values[0]}"
        if self.numeric and self.unit is not None and self.unit.name:
            return f"{self.kind} [{self.unit.name}]"
        return self.kind


@dataclass(frozen=True, order=True)
class Ref:
    """Data an expression reads: a plan ``field``, a column of the rule's ``row`` or ``group``, a
    column of an aggregated rowset (``elem``, with ``rowset``), or a ``let``."""

    kind: str
    name: str
    rowset: str | None = None

    def __str__(self) -> str:
        return f"{self.rowset}.{self.name}" if self.rowset else self.name


@dataclass(frozen=True)
class Info:
    """What the checker knows of an expression: type, shape, the rowset it ranges over, what it reads."""

    type: Type
    shape: str = SCALAR
    rowset: str | None = None  # ELEM: the rowset aggregated; ROWSET type: the rowset named
    refs: frozenset[Ref] = frozenset()


# ---- checked expressions ---------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Expr:
    """A checked expression node. Children are the fields holding nodes (see :func:`children`)."""

    info: Info
    span: Span

    @property
    def type(self) -> Type:
        return self.info.type

    @property
    def shape(self) -> str:
        return self.info.shape

    @property
    def rowset(self) -> str | None:
        return self.info.rowset

    @property
    def refs(self) -> frozenset[Ref]:
        return self.info.refs

    @property
    def bad(self) -> bool:
        return self.info.type.kind == INVALID


@dataclass(frozen=True, eq=False)
class Const(Expr):
    """A literal, in its own unit (a date literal is a date)."""

    value: Any


@dataclass(frozen=True, eq=False)
class ParamRef(Expr):
    """A param of the pack, by name (its value is read at evaluation: an edition may pick it)."""

    name: str


@dataclass(frozen=True, eq=False)
class FieldRef(Expr):
    """A plan-level field of plan.yaml, by name."""

    name: str


@dataclass(frozen=True, eq=False)
class LetRef(Expr):
    """A let: the rule's own (``top`` False) or one declared at the top of the pack."""

    name: str
    top: bool


@dataclass(frozen=True, eq=False)
class ColumnRef(Expr):
    """A column: of the rule's row or group (shape ROW / GROUP) or of aggregated rows (ELEM)."""

    obj: str  # the row variable, table or category written before the dot ("" in a selector)
    column: str


@dataclass(frozen=True, eq=False)
class RowsetRef(Expr):
    """A table, a category or a group variable named as a value (``count(wetland)``)."""

    name: str


@dataclass(frozen=True, eq=False)
class RowsOf(Expr):
    """The rows of another table a built-in reads as one argument (a spatial join's other side): a table or
    category ``name``, its shapes (``shapes``: an expression over its rows, or None for the table's own
    geometry column ``column``), the values it totals (``values``, or None) and the call's ``where``."""

    name: str
    column: str | None
    shapes: Expr | None = None
    values: Expr | None = None
    where: Expr | None = None


@dataclass(frozen=True, eq=False)
class Scale(Expr):
    """``operand * factor + offset``: a unit conversion the checker found (an offset only between temperature
    scales: degC to K)."""

    operand: Expr
    factor: float
    offset: float = 0.0


@dataclass(frozen=True, eq=False)
class Arith(Expr):
    """``left op right`` for + - * /, the units already checked."""

    op: str  # + - * /
    left: Expr
    right: Expr


@dataclass(frozen=True, eq=False)
class Neg(Expr):
    """``-operand``."""

    operand: Expr


@dataclass(frozen=True, eq=False)
class Compare(Expr):
    """``left op right``, the right side already in the left side's unit."""

    op: str
    left: Expr
    right: Expr


@dataclass(frozen=True, eq=False)
class Logic(Expr):
    """``left and right`` or ``left or right``, in three-valued (Kleene) logic."""

    op: str  # and / or
    left: Expr
    right: Expr


@dataclass(frozen=True, eq=False)
class Not(Expr):
    """``not operand``, in three-valued logic: not unknown is unknown."""

    operand: Expr


@dataclass(frozen=True, eq=False)
class In(Expr):
    """``operand in (items)`` or ``not in``: membership in a list of literals."""

    operand: Expr
    items: tuple[Expr, ...]  # the literals as written
    values: tuple  # their values, in the operand's unit
    negated: bool


@dataclass(frozen=True, eq=False)
class Between(Expr):
    """``low <= operand <= high``, both bounds in the operand's unit."""

    operand: Expr
    low: Expr
    high: Expr


@dataclass(frozen=True, eq=False)
class Presence(Expr):
    """``operand is present`` (``present`` True) or ``is missing``: never unknown."""

    operand: Expr
    present: bool


@dataclass(frozen=True, eq=False)
class LookupCall(Expr):
    """``name[key]``: a value of a lookup table, by key or by band."""

    name: str
    key: Expr


@dataclass(frozen=True, eq=False)
class If(Expr):
    """``if cond then a else b``, row by row; ``other`` already in ``then``'s unit. An unknown
    condition gives no value."""

    cond: Expr
    then: Expr
    other: Expr


@dataclass(frozen=True, eq=False)
class Link(Expr):
    """``o.district->population``: the column of ``table`` in the row whose key ``operand`` holds."""

    operand: Expr
    table: str
    column: str


@dataclass(frozen=True, eq=False)
class Join:
    """A correlated aggregate's match: ``rowset.column == <the current row's value>``, and the rest
    of its filter."""

    elem_key: Expr
    row_key: Expr  # in the element key's unit
    rest: tuple[Expr, ...]


@dataclass(frozen=True, eq=False)
class Call(Expr):
    """A built-in function (see :mod:`engine.builtins`); ``where`` filters an aggregate's rows."""

    func: str
    args: tuple[Expr, ...]
    where: Expr | None = None
    join: Join | None = None
    time: str | None = None  # a series function: the aggregated table's time column


def children(node) -> list:
    """The child nodes of a checked node, from its fields (sqlglot's ``iter_expressions``)."""
    out: list = []
    for name in field_names(type(node)):
        v = getattr(node, name)
        if isinstance(v, (Expr, Join)):
            out.append(v)
        elif isinstance(v, tuple):
            out += [x for x in v if isinstance(x, (Expr, Join))]
    return out


def walk(node) -> Iterator:
    """Every node under ``node``, itself first (depth first, in field order); Joins are passed through."""
    if node is None:
        return
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, Expr):
            yield n
        stack.extend(reversed(children(n)))


@dataclass(frozen=True)
class Column:
    """A declared column of a table: its type, whether it may be empty, its range and what it references."""

    name: str
    type: Type
    optional: bool
    constraints: tuple[tuple[str, float], ...]
    doc: str | None
    span: Span
    references: str | None = None  # a table whose key every value must be


@dataclass(frozen=True)
class Table:
    """A declared table of the plan: its key, columns and (``time``) the column its rows are measured at."""

    name: str
    title: str
    key: str
    columns: dict[str, Column]
    doc: str | None
    span: Span
    optional: bool = False  # may be absent or empty in a plan
    time: str | None = None  # the year or date column its rows are measured at (``time COL``)
    titles: tuple[tuple[str, str], ...] = ()  # (language, title) in the pack's other languages


@dataclass(frozen=True)
class Field:
    """A declared plan-level field: its type and its path in plan.yaml."""

    name: str
    type: Type
    path: str
    optional: bool
    constraints: tuple[tuple[str, float], ...]
    doc: str | None
    span: Span


@dataclass(frozen=True)
class Param:
    """A param: its value (a profile's `set` may replace the default) and dated editions of it."""

    name: str
    type: Type
    value: Any
    default: Any
    doc: str | None
    span: Span
    set_by: Span | None = None  # a profile's `set`
    editions: tuple[tuple[str | None, Any], ...] = ()  # (in force from YYYY-MM-DD or None, value), in date order

    def at(self, day: str) -> tuple[Any, str | None] | None:
        """The value in force on ``day`` (YYYY-MM-DD) and the date it is in force from; None before the first.

        >>> p = Param("x", Type("number"), 30, 30, None, Span("f"), editions=((None, 25), ("2030-01-01", 35)))
        >>> p.at("2029-12-31"), p.at("2030-01-01")
        ((25, None), (35, '2030-01-01'))
        """
        found = None
        for start, value in self.editions:
            if start is None or start <= day:
                found = (value, start)
        return found


@dataclass(frozen=True)
class Band:
    """A range of keys of a band lookup, in the key's unit; None: unbounded."""

    low: float | None
    high: float | None
    low_closed: bool
    high_closed: bool
    value: Any

    def label(self) -> str:
        lo = "" if self.low is None else f"{self.low:g}"
        hi = "" if self.high is None else f"{self.high:g}"
        return f"{'[' if self.low_closed else '('}{lo}, {hi}{']' if self.high_closed else ')'}"


@dataclass(frozen=True)
class Lookup:
    """A lookup table: entries by key, or bands by numeric range."""

    name: str
    key_type: Type
    value_type: Type
    entries: dict[str, Any]
    default: Any
    doc: str | None
    span: Span
    bands: tuple[Band, ...] = ()  # a lookup by numeric ranges; then ``entries`` is empty


@dataclass(frozen=True)
class Category:
    """A restoration object category: the table its objects are in and the selector that picks them."""

    id: str
    title: str
    parent: str | None
    table: str
    selector: Expr | None
    doc: str | None
    span: Span
    titles: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Level:
    """A goal level or a process stage, in its order."""

    id: str
    title: str
    doc: str | None
    order: int
    span: Span
    titles: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Reference:
    """A cited source (``reference KEY "citation"``), which rules name."""

    key: str
    citation: str
    url: str | None
    span: Span


@dataclass(frozen=True)
class ForEach:
    """``for each var in rowset [by column] [where condition]``."""

    var: str
    rowset: str  # a table or category
    table: str  # the table it selects from
    by: str | None
    where: Expr | None
    span: Span


@dataclass(frozen=True)
class Let:
    """``let name = expr``: a named expression, a rule's own or the pack's."""

    name: str
    expr: Expr
    span: Span


@dataclass(frozen=True)
class Partial:
    """``partial [min 70 %] [by COLUMN]``: the rule's totals leave out rows lacking a value they read, the same
    rows from every total over a table; the coverage (the share of rows, or of the ``by`` column, that have
    data) is reported and must reach ``least`` (a percentage)."""

    least: float | None
    by: str | None
    span: Span


def languages(declared: str | None) -> tuple[str, ...]:
    """The languages a header's ``language "en, zh"`` declares, in order; English when none.

    >>> languages("en, zh"), languages(None)
    (('en', 'zh'), ('en',))
    """
    return tuple((declared or "").replace(",", " ").split()) or ("en",)


@dataclass(frozen=True)
class Texts:
    """A rule's texts in one of the pack's other languages (None: not given, the first language's is used)."""

    title: str | None = None
    message: tuple[str | Expr, ...] | None = None
    rationale: str | None = None


@dataclass
class Rule:
    """A checked rule: its tags, its checked expressions, and where it is written."""

    id: str
    title: str
    strength: str
    severity: str
    goals: list[str]
    categories: list[str]
    stages: list[str]
    citations: list[dict]
    rationale: str | None
    scope: str  # plan, row, group
    span: Span
    when: Expr | None
    for_each: ForEach | None
    lets: tuple[Let, ...]
    assertion: Expr
    message: tuple[str | Expr, ...] | None  # literal text and interpolated expressions, in order
    disabled: str | None = None  # the reason, when a profile disables it
    changes: list[str] = field(default_factory=list)
    keep_evidence: bool = False  # `keep evidence`: passing rows or groups are findings too, with their values
    partial: Partial | None = None  # totals over the rows that have data, with their coverage
    translations: dict[str, Texts] = field(default_factory=dict)  # language -> its texts

    def in_language(self, lang: str) -> Rule:
        """The rule with its title, message and rationale in ``lang`` where the pack gives them."""
        t = self.translations.get(lang)
        if t is None:
            return self
        return replace(self, title=t.title or self.title, rationale=t.rationale or self.rationale,
                       message=t.message if t.message is not None else self.message)

    def expressions(self) -> list[Expr]:
        """Every checked expression of the rule: when, the `for each` filter, lets, assertion, message."""
        messages = [self.message, *(t.message for t in self.translations.values())]
        out = [self.when, self.for_each.where if self.for_each else None, *(x.expr for x in self.lets),
               self.assertion, *(p for m in messages for p in m or () if not isinstance(p, str))]
        return [e for e in out if e is not None]

    def reads(self) -> frozenset[Ref]:
        """The fields and columns the rule reads, in any of its expressions."""
        out: frozenset[Ref] = frozenset()
        for e in self.expressions():
            out |= e.refs
        return out


@dataclass
class Standard:
    """A checked rule pack (a standard, or a profile applied to one)."""

    id: str
    title: str
    attrs: dict[str, str]
    references: dict[str, Reference]
    goals: dict[str, Level]
    stages: dict[str, Level]
    categories: dict[str, Category]
    tables: dict[str, Table]
    fields: dict[str, Field]
    params: dict[str, Param]
    lookups: dict[str, Lookup]
    lets: dict[str, Expr]  # top-level lets, checked
    rules: list[Rule]
    files: dict[str, str]  # display path -> text
    root: str
    sha256: str
    profile: dict | None = None  # {"id", "title", "extends", "changes": [...]}
    edition: dict | None = None  # an edition of another pack: {"id", "extends", "extends_title", "changes": [...]}
    warnings: list = field(default_factory=list)
    base_roots: tuple = ()
    scope: dict | None = None  # a scoped run: what was selected, the rules left out and why (engine.scope)
    unit_defs: tuple[UnitDef, ...] = ()  # the units the pack declares (engine.units.system rebuilds its units)
    _relpaths: dict[str, str] = field(default_factory=dict, repr=False, compare=False)
    dated: dict | None = None  # dated params: the date checked on and the values picked (engine.editions)
    titles: tuple[tuple[str, str], ...] = ()  # the standard's title in its other languages
    lang: str | None = None  # the language its texts are in, when chosen with in_language
    # its rules by id, with the list they were read from: made again for another list (`replace`, or `rules` set)
    _rule_index: tuple[list[Rule] | None, dict[str, Rule]] = field(default=(None, {}), init=False, repr=False,
                                                                   compare=False)

    @property
    def languages(self) -> tuple[str, ...]:
        """The pack's languages (`language "en, zh"` in its header), the language of its plain texts first."""
        return languages(self.attrs.get("language"))

    def in_language(self, lang: str) -> Standard:
        """The standard with every title, message and rationale in ``lang`` where the pack gives it
        (else in the pack's first language); reports are rendered from it."""
        def titled(decls: dict) -> dict:
            return {k: replace(d, title=dict(d.titles).get(lang, d.title)) for k, d in decls.items()}

        return replace(self, title=dict(self.titles).get(lang, self.title), goals=titled(self.goals),
                       stages=titled(self.stages), categories=titled(self.categories), tables=titled(self.tables),
                       rules=[r.in_language(lang) for r in self.rules], lang=lang)

    @property
    def version(self) -> str:
        return self.attrs.get("version", "")

    def progressive(self, kind: str) -> bool:
        """Whether the standard declares its goals (or stages) a progression: `progression "goals"`."""
        return kind in {p.strip() for p in self.attrs.get("progression", "").split(",")}

    def rule(self, rule_id: str) -> Rule | None:
        indexed, index = self._rule_index
        if indexed is not self.rules:  # made on first use (a report asks for every rule once or more)
            index = {r.id: r for r in reversed(self.rules)}  # the first of a repeated id, as a search finds
            self._rule_index = (self.rules, index)
        return index.get(rule_id)

    def relpath(self, display: str) -> str:
        """A rule file's path relative to the folder holding the pack (stable across machines)."""
        found = self._relpaths.get(display)
        if found is None:  # resolving paths is slow: once per rule file, not once per rule
            found = self._relpaths[display] = self._resolve_relpath(display)
        return found

    def _resolve_relpath(self, display: str) -> str:
        from pathlib import Path

        p = Path(display).resolve()
        for root in (Path(self.root).resolve(), *self.base_roots):
            if p.is_relative_to(root.parent):
                return p.relative_to(root.parent).as_posix()
        return p.name

    def source_text(self, span: Span) -> str:
        """The exact source text of a span (for evidence and `explain`)."""
        text = self.files.get(span.file)
        if text is None or not span.line:
            return ""
        lines = _lines(text)
        if span.line == span.end_line:
            return lines[span.line - 1][span.column - 1: span.end_column - 1]
        first = lines[span.line - 1][span.column - 1:]
        middle = lines[span.line: span.end_line - 1]
        last = lines[span.end_line - 1][: span.end_column - 1]
        return "\n".join([first, *middle, last])
