"""The checked standard: declarations with names resolved and types known.

Built by :mod:`engine.check` from the AST; read by the compiler, the plan
loader (to derive the plan schema) and the renderers of the standard.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .diagnostics import Span
from .syntax import ast
from .units import Unit

NUMBER, INTEGER, TEXT, BOOL, DATE, ENUM = "number", "integer", "text", "bool", "date", "enum"
GEOMETRY = "geometry"
GEOMETRY_KINDS = ("point", "line", "polygon")  # each includes its multi-part shapes
ROWSET = "rowset"


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


@dataclass(frozen=True)
class Column:
    name: str
    type: Type
    optional: bool
    constraints: tuple[tuple[str, float], ...]
    doc: str | None
    span: Span
    references: str | None = None  # a table whose key every value must be


@dataclass(frozen=True)
class Table:
    name: str
    title: str
    key: str
    columns: dict[str, Column]
    doc: str | None
    span: Span
    optional: bool = False  # may be absent or empty in a plan


@dataclass(frozen=True)
class Field:
    name: str
    type: Type
    path: str
    optional: bool
    constraints: tuple[tuple[str, float], ...]
    doc: str | None
    span: Span


@dataclass(frozen=True)
class Param:
    name: str
    type: Type
    value: Any
    default: Any
    doc: str | None
    span: Span
    set_by: Span | None = None  # a profile's `set`


@dataclass(frozen=True)
class Lookup:
    name: str
    key_type: Type
    value_type: Type
    entries: dict[str, Any]
    default: Any
    doc: str | None
    span: Span


@dataclass(frozen=True)
class Category:
    id: str
    title: str
    parent: str | None
    table: str
    selector: ast.Expr | None
    doc: str | None
    span: Span


@dataclass(frozen=True)
class Level:
    id: str
    title: str
    doc: str | None
    order: int
    span: Span


@dataclass(frozen=True)
class Reference:
    key: str
    citation: str
    url: str | None
    span: Span


@dataclass
class Rule:
    id: str
    title: str
    strength: str
    severity: str
    goals: list[str]
    categories: list[str]
    stages: list[str]
    citations: list[dict]
    rationale: str | None
    node: ast.Rule
    scope: str  # plan, row, group
    disabled: str | None = None  # the reason, when a profile disables it
    changes: list[str] = field(default_factory=list)


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
    lets: dict[str, ast.LetDecl]
    rules: list[Rule]
    files: dict[str, str]  # display path -> text
    root: str
    sha256: str
    info: dict[int, Any]  # id(expression node) -> checked info, for the compiler
    profile: dict | None = None  # {"id", "title", "extends", "changes": [...]}
    warnings: list = field(default_factory=list)
    base_roots: tuple = ()

    @property
    def version(self) -> str:
        return self.attrs.get("version", "")

    def rule(self, rule_id: str) -> Rule | None:
        return next((r for r in self.rules if r.id == rule_id), None)

    def relpath(self, display: str) -> str:
        """A rule file's path relative to the folder holding the pack (stable across machines)."""
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
        lines = text.splitlines()
        if span.line == span.end_line:
            return lines[span.line - 1][span.column - 1: span.end_column - 1]
        first = lines[span.line - 1][span.column - 1:]
        middle = lines[span.line: span.end_line - 1]
        last = lines[span.end_line - 1][: span.end_column - 1]
        return "\n".join([first, *middle, last])
