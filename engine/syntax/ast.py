"""AST of the rule language: one small frozen dataclass per construct.

Every node's first field is its :class:`~engine.diagnostics.Span`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from ..diagnostics import Span
from ..nodefields import field_names

# ---- expressions -------------------------------------------------------------


@dataclass(frozen=True)
class Num:
    span: Span
    value: float
    unit: str | None = None
    text: str = ""


@dataclass(frozen=True)
class Str:
    span: Span
    value: str


@dataclass(frozen=True)
class Bool:
    span: Span
    value: bool


@dataclass(frozen=True)
class Name:
    span: Span
    name: str


@dataclass(frozen=True)
class Attr:
    span: Span
    obj: str
    attr: str


@dataclass(frozen=True)
class Call:
    span: Span
    func: str
    args: tuple[Expr, ...]
    where: Expr | None = None
    where_after: int | None = field(default=None, compare=False)  # the argument the `where` was written after


@dataclass(frozen=True)
class BinOp:
    span: Span
    op: str  # + - * /
    left: Expr
    right: Expr


@dataclass(frozen=True)
class Compare:
    span: Span
    op: str  # == != < <= > >=
    left: Expr
    right: Expr


@dataclass(frozen=True)
class Logic:
    span: Span
    op: str  # and / or
    left: Expr
    right: Expr


@dataclass(frozen=True)
class Not:
    span: Span
    operand: Expr


@dataclass(frozen=True)
class Neg:
    span: Span
    operand: Expr


@dataclass(frozen=True)
class Convert:
    """``expr as unit``: the same quantity expressed in another unit of its dimension."""

    span: Span
    operand: Expr
    unit: str


@dataclass(frozen=True)
class In:
    span: Span
    operand: Expr
    items: tuple[Expr, ...]
    negated: bool = False


@dataclass(frozen=True)
class Between:
    span: Span
    operand: Expr
    low: Expr
    high: Expr


@dataclass(frozen=True)
class Presence:
    span: Span
    operand: Expr
    present: bool


@dataclass(frozen=True)
class If:
    """``if cond then a else b``."""

    span: Span
    cond: Expr
    then: Expr
    other: Expr


@dataclass(frozen=True)
class Link:
    """``o.district->population``: a column of the row that ``operand`` (a linked key) names."""

    span: Span
    operand: Attr | Link
    attr: str


Expr = (Num | Str | Bool | Name | Attr | Call | BinOp | Compare | Logic | Not | Neg | Convert | In | Between | Presence
        | If | Link)


_EXPR_TYPES = Expr.__args__  # isinstance is quicker with a tuple than with a union


def children(node) -> list:
    """The expression nodes directly under ``node``, from its dataclass fields (in field order)."""
    out: list = []
    for name in field_names(type(node)):
        v = getattr(node, name)
        if isinstance(v, _EXPR_TYPES):
            out.append(v)
        elif isinstance(v, tuple):
            out += [x for x in v if isinstance(x, _EXPR_TYPES)]
    return out


def walk(node) -> Iterator:
    """Every expression node under ``node`` (itself included), depth first in field order."""
    if node is None:
        return
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(reversed(children(n)))


@dataclass(frozen=True)
class Template:
    """A message: literal text and ``{expression}`` parts, in order."""

    span: Span
    parts: tuple[str | Expr, ...]
    text: str = ""


# ---- declarations ----------------------------------------------------------


@dataclass(frozen=True)
class Translation:
    """A text in another language: a title (`goal L1 "…" zh "…"`, `title zh "…"`), a message
    (`else zh "…"`, with its interpolations) or a rationale (`rationale zh "…"`)."""

    span: Span
    kind: str  # title, message, rationale
    lang: str
    text: str
    template: Template | None = None  # a message's parts


@dataclass(frozen=True)
class Header:
    span: Span
    kind: str  # "standard" or "profile"
    id: str
    title: str
    attrs: tuple[tuple[str, str, Span], ...]
    extends: str | None = None
    translations: tuple[Translation, ...] = ()


@dataclass(frozen=True)
class Import:
    span: Span
    path: str


@dataclass(frozen=True)
class Reference:
    span: Span
    key: str
    citation: str
    url: str | None = None


@dataclass(frozen=True)
class Level:
    """A goal level or a process stage: ordered by declaration."""

    span: Span
    kind: str  # "goal" or "stage"
    id: str
    title: str
    doc: str | None = None
    translations: tuple[Translation, ...] = ()


@dataclass(frozen=True)
class CategoryDecl:
    span: Span
    id: str
    title: str
    parent: str | None
    table: str
    where: Expr | None
    doc: str | None = None
    translations: tuple[Translation, ...] = ()


@dataclass(frozen=True)
class TypeRef:
    span: Span
    kind: str  # number integer text bool date enum geometry
    values: tuple[str, ...] = ()


@dataclass(frozen=True)
class Constraint:
    span: Span
    op: str
    value: float


@dataclass(frozen=True)
class Column:
    span: Span
    name: str
    type: TypeRef
    unit: str | None
    constraints: tuple[Constraint, ...]
    optional: bool
    doc: str | None
    references: str | None = None  # `-> table`: each value is a key of that table


@dataclass(frozen=True)
class TableDecl:
    span: Span
    name: str
    title: str
    key: str
    columns: tuple[Column, ...]
    doc: str | None = None
    optional: bool = False  # the plan may leave it out or give it no rows: "none"
    time: str | None = None  # `time COL`: the year or date column its rows are measured at
    translations: tuple[Translation, ...] = ()


@dataclass(frozen=True)
class FieldDecl:
    span: Span
    name: str
    type: TypeRef
    unit: str | None
    constraints: tuple[Constraint, ...]
    path: str | None
    optional: bool
    doc: str | None


Literal = Num | Str | Bool


@dataclass(frozen=True)
class Band:
    """A lookup key that is a range of numbers: ``[low, high)``; an end left out is unbounded."""

    span: Span
    low: Num | None
    high: Num | None
    low_closed: bool
    high_closed: bool

    def text(self) -> str:
        lo = "" if self.low is None else self.low.text + (f" {self.low.unit}" if self.low.unit else "")
        hi = "" if self.high is None else self.high.text + (f" {self.high.unit}" if self.high.unit else "")
        return f"{'[' if self.low_closed else '('}{lo}, {hi}{']' if self.high_closed else ')'}"


@dataclass(frozen=True)
class Edition:
    """One value of a param and the date (YYYY-MM-DD) it is in force from; None: from the start."""

    span: Span
    value: Literal
    start: str | None = None


@dataclass(frozen=True)
class ParamDecl:
    span: Span
    name: str
    value: Literal  # the first edition's value
    doc: str | None = None
    editions: tuple[Edition, ...] = ()  # every value with its start date, when one is dated


@dataclass(frozen=True)
class UnitDecl:
    """``unit NAME [= [NUMBER] UNIT] ["doc"]``: a base unit of its own kind, or a multiple of another unit."""

    span: Span
    name: str
    factor: float | None = None  # `= 1000 m2`: 1000; `= m2`: 1
    base: str | None = None  # the unit it is a multiple of; None for a new kind of quantity
    doc: str | None = None
    factor_text: str | None = None  # the number as written


@dataclass(frozen=True)
class LookupDecl:
    span: Span
    name: str
    key_type: TypeRef
    value_type: TypeRef
    unit: str | None
    entries: tuple[tuple[str | Band, Literal], ...]  # a key, or a band of numbers
    default: Literal | None
    doc: str | None = None
    key_unit: str | None = None


@dataclass(frozen=True)
class LetDecl:
    span: Span
    name: str
    expr: Expr


@dataclass(frozen=True)
class SetParam:
    span: Span
    name: str
    value: Literal
    editions: tuple[Edition, ...] = ()


@dataclass(frozen=True)
class Disable:
    span: Span
    rule_id: str
    reason: str


@dataclass(frozen=True)
class Override:
    span: Span
    rule_id: str
    strength: str | None
    severity: str | None


@dataclass(frozen=True)
class Cite:
    span: Span
    key: str
    clause: str | None


@dataclass(frozen=True)
class ForEach:
    span: Span
    var: str
    rowset: str
    by: str | None
    where: Expr | None


@dataclass(frozen=True)
class Partial:
    """``partial [min 70 %] [by COLUMN]``: totals over the rows that have data, with their coverage (the share
    of rows, or of the ``by`` column), at least ``min``."""

    span: Span
    min: Num | None
    by: str | None


@dataclass(frozen=True)
class NameRef:
    """A name in a tag list (goal, category, stage), with its own span."""

    span: Span
    name: str


@dataclass(frozen=True)
class Rule:
    span: Span
    id: str
    title: str
    goals: tuple[NameRef, ...]
    categories: tuple[NameRef, ...]
    stages: tuple[NameRef, ...]
    severity: NameRef | None
    cites: tuple[Cite, ...]
    when: Expr | None
    lets: tuple[LetDecl, ...]
    for_each: ForEach | None
    strength: str | None
    assertion: Expr | None
    message: Template | None
    rationale: str | None
    clause_spans: tuple[tuple[str, Span], ...] = ()
    keep: bool | None = None  # `keep evidence`: passing rows keep their values
    partial: Partial | None = None
    translations: tuple[Translation, ...] = ()


Item = (Header | Import | Reference | Level | CategoryDecl | TableDecl | FieldDecl | ParamDecl | LookupDecl
        | LetDecl | SetParam | Disable | Override | Rule | UnitDecl)


@dataclass(frozen=True)
class Module:
    """One parsed rule file."""

    file: str
    items: tuple[Item, ...]
    comments: tuple[tuple[int, int, str], ...] = ()  # (line, column, text)
