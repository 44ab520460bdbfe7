"""Declarations of the built-in functions: what the checker knows of them.

Implementations live in :mod:`engine.compile.runtime`, registered by the same
names; this module says only names, arities and result types.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Builtin:
    name: str
    kind: str  # "aggregate" or "scalar"
    min_args: int
    max_args: int
    arg: str  # what the first argument must be: number, bool, any, rowset-or-bool, date, text
    result: str  # "same", "integer", "percent", "bool", "date", "number"
    doc: str


BUILTINS: dict[str, Builtin] = {b.name: b for b in (
    Builtin("sum", "aggregate", 1, 1, "number", "same", "sum of a column, `where` filters rows"),
    Builtin("mean", "aggregate", 1, 1, "number", "same", "mean of a column"),
    Builtin("min", "aggregate", 1, 1, "orderable", "same",
            "smallest value (with two or more arguments: the smallest argument)"),
    Builtin("max", "aggregate", 1, 1, "orderable", "same",
            "largest value (with two or more arguments: the largest argument)"),
    Builtin("count", "aggregate", 1, 1, "any", "integer", "number of rows (of a table, category or group)"),
    Builtin("share", "aggregate", 1, 1, "rowset-or-bool", "percent",
            "share of rows meeting `where` (or a condition), in %"),
    Builtin("any", "aggregate", 1, 1, "bool", "bool", "true if the condition holds for some row"),
    Builtin("all", "aggregate", 1, 1, "bool", "bool", "true if the condition holds for every row"),
    Builtin("abs", "scalar", 1, 1, "number", "same", "absolute value"),
    Builtin("round", "scalar", 1, 2, "number", "same", "round to N decimals (default 0)"),
    Builtin("coalesce", "scalar", 2, 8, "any", "same", "the first argument that is present"),
    Builtin("year", "scalar", 1, 1, "date", "integer", "the year of a date"),
    Builtin("date", "scalar", 1, 1, "text", "date", "a date from an ISO text literal: date(\"2030-12-31\")"),
)}

AGGREGATES = frozenset(n for n, b in BUILTINS.items() if b.kind == "aggregate")
