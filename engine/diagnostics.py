"""Diagnostics: problems in rule files and plan data, as plain values.

A diagnostic has a stable code, a message, a location and a severity. Many are
collected, sorted by location and printed as ``file:line:col: code: message``
with the source line and a caret. One exception, :class:`NbsError`, carries
them across the API boundary.

Every code is registered in :data:`CODES`, one line each: its default severity,
the input it concerns and what it means. A diagnostic with a code that is not
registered cannot be made, and the README's table of codes is generated from
the registry (``python -m engine.diagnostics README.md``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from .textsafe import inert

ERROR = "error"
WARNING = "warning"

# the input a code concerns, in the order the README's table lists them
RULES, PLAN, WAIVERS, RULE_TESTS, REPORT, FILES, CONFIG, ARGUMENTS = (
    "rule files", "plan package", "waivers file", "rule tests", "saved report", "output files", "configuration",
    "arguments")


@dataclass(frozen=True)
class Code:
    """A registered diagnostic code."""

    code: str
    severity: str  # the default; `lint --strict` makes warnings errors
    concerns: str  # RULES, PLAN, ...; a code some inputs share lists each
    meaning: str


def _register(*entries: tuple[str, str, str, str]) -> dict[str, Code]:
    return {code: Code(code, severity, concerns, meaning) for code, severity, concerns, meaning in entries}


# To add a code: add one line here, then run `python -m engine.diagnostics README.md` to regenerate the README's
# table. A diagnostic with a code missing from this list raises ValueError when it is made.
CODES: dict[str, Code] = _register(
    # code                   severity concerns meaning
    ("rule-syntax",            ERROR,   RULES, "a rule file, or a `{...}` in a message, does not parse"),
    ("expression-too-deep",    ERROR,   RULES, "an expression is nested too deeply; split it with `let`"),
    ("file-encoding",          ERROR,   RULES, "a rule file is not UTF-8 text"),
    ("file-unreadable",        ERROR,   RULES, "a rule file cannot be read (permissions, a folder)"),
    ("pack-not-found",         ERROR,   RULES, "no rule file, pack folder or bundled standard by that name"),
    ("pack-empty",             ERROR,   RULES, "a pack folder holds no `.nbs` files"),
    ("pack-too-large",         ERROR,   RULES, "a pack folder with more rule files, or files and folders, than the "
                                               "limit"),
    ("file-not-regular",       ERROR,   f"{RULES}, {PLAN}, {WAIVERS}", "an input that is a folder, device, FIFO or "
                                                                      "socket, not a regular file"),
    ("file-too-large",         ERROR,   f"{RULES}, {PLAN}, {WAIVERS}", "an input file larger than the limit for its "
                                                                      "kind"),
    ("file-not-found",         ERROR,   f"{RULES}, {PLAN}", "an input file that does not exist"),
    ("import-not-found",       ERROR,   RULES, "an `import` names a file that does not exist"),
    ("import-outside-pack",    ERROR,   RULES, "an `import` names a file outside the pack folder"),
    ("missing-header",         ERROR,   RULES, "a pack has no `standard` or `profile` header"),
    ("duplicate-header",       ERROR,   RULES, "a pack has more than one header"),
    ("profile-only",           ERROR,   RULES, "`set`, `disable` or `override` outside a profile"),
    ("unknown-standard",       ERROR,   RULES, "a profile extends a standard that is not bundled or found"),
    ("duplicate-id",           ERROR,   RULES, "a name or rule id is declared twice"),
    ("unknown-language",       ERROR,   RULES, "a translation (`zh \"…\"`) in a language the pack's header does not "
                                               "declare (`language \"en, zh\"`)"),
    ("duplicate-clause",       ERROR,   RULES, "a rule has a clause twice (two `when`, two messages, ...)"),
    ("missing-assertion",      ERROR,   RULES, "a rule has no `shall`, `should` or `may`"),
    ("missing-reason",         ERROR,   RULES, "a profile disables a rule without a reason"),
    ("unknown-goal",           ERROR,   f"{RULES}, {WAIVERS}", "a rule or a waiver names a goal level that is not "
                                                               "declared"),
    ("unknown-stage",          ERROR,   RULES, "a rule names a stage that is not declared"),
    ("unknown-category",       ERROR,   f"{RULES}, {WAIVERS}", "a rule or a waiver names a category that is not "
                                                               "declared"),
    ("unknown-table",          ERROR,   RULES, "a table that is not declared"),
    ("unknown-column",         ERROR,   RULES, "a table has no column of that name"),
    ("unknown-name",           ERROR,   RULES, "a name that is not a field, param, lookup, `let` or row"),
    ("unknown-function",       ERROR,   RULES, "a function that is not a built-in or a lookup"),
    ("unknown-reference",      ERROR,   f"{RULES}, {PLAN}", "a rule cites an undeclared reference; a linked column "
                                                            "holds a value that is not a key of its table"),
    ("unknown-unit",           ERROR,   RULES, "a unit the language does not know"),
    ("unknown-enum-value",     ERROR,   f"{RULES}, {PLAN}", "a value that is not one of the enum's"),
    ("unknown-param",          ERROR,   RULES, "a profile sets a param that does not exist"),
    ("unknown-rule",           ERROR,   f"{RULES}, {WAIVERS}", "a profile or a waiver names a rule that does not "
                                                               "exist"),
    ("type-mismatch",          ERROR,   RULES, "an operation on values of the wrong type"),
    ("unit-mismatch",          ERROR,   RULES, "values of different dimensions compared or added"),
    ("wrong-arity",            ERROR,   RULES, "a function called with the wrong number of arguments"),
    ("aggregate-over-scalar",  ERROR,   RULES, "an aggregate over one value instead of a column"),
    ("aggregate-needed",       ERROR,   RULES, "many rows used where one value is needed"),
    ("scope-mismatch",         ERROR,   RULES, "a per-row or per-group value outside a matching `for each`"),
    ("bad-constraint",         ERROR,   RULES, "a range that does not fit its column; a `partial min` not in %"),
    ("bad-edition",            ERROR,   RULES, "dated param values out of order, on no real day, or lacking `from`"),
    ("bad-severity",           ERROR,   RULES, "a severity other than critical, high, medium, low, info"),
    ("bad-header",             ERROR,   RULES, "a standard header attribute with a value it cannot take (`repair`)"),
    ("cyclic-definition",      ERROR,   RULES, "a `let` or a category defined in terms of itself"),
    ("lookup-incomplete",      ERROR,   RULES, "a lookup keyed by (or called with) an enum has no entry for some "
                                               "value and no `default`"),
    ("bad-band",               ERROR,   RULES, "a band of a band lookup that is empty, closed at an unbounded end, "
                                               "or overlaps another"),
    ("bad-link",               ERROR,   RULES, "`->` after a column that is not declared `-> table`, or to a column "
                                               "that table lacks"),
    ("no-citation",            WARNING, RULES, "a rule cites no reference"),
    ("unused-param",           WARNING, RULES, "a param nothing reads"),
    ("unused-lookup",          WARNING, RULES, "a lookup nothing calls"),
    ("never-applies",          WARNING, RULES, "a `when` that no combination of values makes true"),
    ("empty-category",         WARNING, RULES, "a category no declared enum value can select"),
    ("duplicate-title",        WARNING, RULES, "two rules with the same title"),
    ("missing-translation",    WARNING, RULES, "a pack of several languages lacks a title, message or rationale in "
                                               "one of them"),
    ("plan-not-found",         ERROR,   PLAN, "no plan package at that path"),
    ("plan-syntax",            ERROR,   PLAN, "plan.yaml is not valid YAML"),
    ("plan-duplicate-key",     ERROR,   PLAN, "a key appears twice in a plan.yaml mapping"),
    ("plan-schema",            ERROR,   PLAN, "plan.yaml does not match what the standard requires"),
    ("plan-format",            ERROR,   PLAN, "a plan `.zip` that cannot be read"),
    ("no-standard",            ERROR,   PLAN, "the plan names no standard and none was given"),
    ("path-outside-package",   ERROR,   f"{PLAN}, {RULES}", "a table, the plan file or a rule file leads outside "
                                                          "its package (a `..` path or a link)"),
    ("standard-outside-package", ERROR, PLAN, "the plan's `standard:` is neither a bundled id nor a pack inside "
                                              "the package"),
    ("zip-refused",            ERROR,   PLAN, "a zipped plan or workbook over a limit, with an entry twice, or "
                                              "encrypted"),
    ("table-not-found",        ERROR,   PLAN, "a table the standard requires is not in the plan, or its file is "
                                              "missing"),
    ("table-format",           ERROR,   PLAN, "a table file that cannot be read as its type"),
    ("unknown-selector",       ERROR,   f"{ARGUMENTS}, {PLAN}",
     "a --select, --ignore or plan `scope:` entry that names no rule, goal level, category, stage or strength"),
    ("table-encoding",         ERROR,   PLAN, "a text table that does not decode in its declared or detected encoding, "
                                              "or decodes to control or replacement characters"),
    ("table-empty",            ERROR,   PLAN, "a required table has no rows"),
    ("duplicate-column",       ERROR,   PLAN, "a table's header names a column twice"),
    ("missing-column",         ERROR,   PLAN, "a table lacks a column the standard declares"),
    ("bad-value",              ERROR,   PLAN, "a cell that is not of its column's type"),
    ("out-of-range",           ERROR,   PLAN, "a value outside its column's declared range"),
    ("missing-key",            ERROR,   PLAN, "a row without a key"),
    ("duplicate-key",          ERROR,   PLAN, "two rows with the same key"),
    ("unknown-crs",            ERROR,   f"{RULES}, {PLAN}", "a standard's `crs` or a plan's `crs:` that is not a "
                                                            "known coordinate reference system"),
    ("plan-crs",               ERROR,   PLAN, "no usable working CRS: not in metres, or not the standard's"),
    ("bad-geometry",           ERROR,   PLAN, "a missing, empty or non-finite shape, or one of the wrong kind"),
    ("invalid-geometry",       ERROR,   PLAN, "an invalid shape (GEOS) the standard does not repair"),
    ("geometry-too-large",     ERROR,   PLAN, "a feature with more than 250,000 vertices"),
    ("waivers-not-found",      ERROR,   WAIVERS, "the waivers file cannot be read"),
    ("waivers-schema",         ERROR,   WAIVERS, "a waiver without a rule or reason, or with unknown keys"),
    ("waiver-unused",          WARNING, WAIVERS, "a waiver that covers no finding"),
    ("waiver-expired",         WARNING, WAIVERS, "a waiver whose `expires:` date has passed; it covers nothing"),
    ("waiver-expiring",        WARNING, WAIVERS, "a waiver that expires soon"),
    ("test-file",              ERROR,   RULE_TESTS, "a `*.test.yaml` file that cannot be read or is invalid"),
    ("test-standard",          ERROR,   RULE_TESTS, "a test's `standard:` is not a pack, or no pack is above it"),
    ("test-plan",              ERROR,   RULE_TESTS, "a test's plan data is invalid for its standard"),
    ("internal-error",         ERROR,   RULE_TESTS, "evaluating a test's plan raised an error (a bug)"),
    ("report-format",          ERROR,   REPORT, "`diff` was given a file that is not an nbscheck JSON report"),
    ("fmt-unsafe",             ERROR,   RULES, "formatting would change a file's meaning; it is left as is"),
    ("file-exists",            ERROR,   FILES, "`init` would overwrite a file"),
    ("config-not-found",       ERROR,   CONFIG, "the configuration file cannot be read"),
    ("config-syntax",          ERROR,   CONFIG, "the configuration file is not valid TOML"),
    ("config-schema",          ERROR,   CONFIG, "an unknown setting, or a setting of the wrong type or value"),
    ("bad-argument",           ERROR,   ARGUMENTS, "command-line arguments that do not fit together"),
)


@dataclass(frozen=True, order=True)
class Span:
    """Where something is: a file, and 1-based line and column (0 = unknown)."""

    file: str
    line: int = 0
    column: int = 0
    end_line: int = 0
    end_column: int = 0

    def __str__(self) -> str:
        if not self.line:
            return self.file
        if not self.column:
            return f"{self.file}:{self.line}"
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Diagnostic:
    """One problem: ``code`` is stable and documented, ``message`` is for people."""

    code: str
    message: str
    span: Span
    severity: str = ERROR
    hint: str | None = None
    source_line: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if self.code not in CODES:
            raise ValueError(f"diagnostic code `{self.code}` is not registered: add a line for it to CODES in "
                             "engine/diagnostics.py, then run `python -m engine.diagnostics README.md`")

    def sort_key(self) -> tuple:
        return (self.span.file, self.span.line, self.span.column, self.code, self.message)

    def format(self, *, show_source: bool = True) -> str:
        """``file:line:col: code: message`` then the source line, a caret and a hint (control characters shown
        as escapes, see :mod:`engine.textsafe`)."""
        message = inert(self.message, keep_newlines=True)
        head = f"{inert(str(self.span))}: {self.code}: {message}"
        if self.severity == WARNING:
            head = f"{inert(str(self.span))}: {self.code}: warning: {message}"
        lines = [head]
        if show_source and self.source_line is not None and self.span.column:
            text = inert(self.source_line.rstrip("\n"))
            lines.append(f"    {text}")
            width = 1
            if self.span.end_line == self.span.line and self.span.end_column > self.span.column:
                width = self.span.end_column - self.span.column
            lines.append("    " + _caret_pad(text, self.span.column - 1) + "^" * width)
        if self.hint:
            lines.append(f"    hint: {inert(self.hint, keep_newlines=True)}")
        return "\n".join(lines)


def _caret_pad(text: str, upto: int) -> str:
    # keep tabs so the caret lines up; wide (CJK) characters take two cells
    pad = []
    for ch in text[:upto]:
        if ch == "\t":
            pad.append("\t")
        elif ord(ch) >= 0x1100 and _is_wide(ch):
            pad.append("  ")
        else:
            pad.append(" ")
    return "".join(pad)


def _is_wide(ch: str) -> bool:
    import unicodedata

    return unicodedata.east_asian_width(ch) in ("W", "F")


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    """A hint naming the closest candidate, or None.

    >>> did_you_mean("area_hа", ["area_ha", "district"])
    'did you mean `area_ha`?'
    """
    import difflib  # only when a name is unknown: not on a clean run's path

    close = difflib.get_close_matches(name, sorted(set(candidates)), n=1, cutoff=0.6)
    return f"did you mean `{close[0]}`?" if close else None


def sort_diagnostics(diags: Iterable[Diagnostic]) -> list[Diagnostic]:
    return sorted(set(diags), key=Diagnostic.sort_key)


def format_all(diags: Iterable[Diagnostic], *, limit: int = 50) -> str:
    """Every diagnostic, sorted, capped at ``limit`` with "... and N more"."""
    ordered = sort_diagnostics(diags)
    shown = [d.format() for d in ordered[:limit]]
    if len(ordered) > limit:
        shown.append(f"... and {len(ordered) - limit} more")
    return "\n".join(shown)


def has_errors(diags: Iterable[Diagnostic]) -> bool:
    return any(d.severity == ERROR for d in diags)


class NbsError(Exception):
    """Raised at the API boundary when rules or plan data are invalid."""

    def __init__(self, diagnostics: Iterable[Diagnostic]):
        self.diagnostics = sort_diagnostics(diagnostics)
        super().__init__(format_all(self.diagnostics, limit=5))


README_START = "<!-- diagnostic codes: generated by `python -m engine.diagnostics README.md`; do not edit -->"
README_END = "<!-- end of diagnostic codes -->"


def codes_table() -> str:
    """The README's table of codes, from the registry, grouped by the input they concern.

    >>> print(codes_table().splitlines()[2])
    | `rule-syntax` | error | rule files | a rule file, or a `{...}` in a message, does not parse |
    """
    order = (RULES, PLAN, WAIVERS, RULE_TESTS, REPORT, FILES, CONFIG, ARGUMENTS)
    rows = sorted(CODES.values(), key=lambda c: order.index(c.concerns.split(", ")[0]))
    lines = ["| code | severity | concerns | meaning |", "|---|---|---|---|"]
    lines += [f"| `{c.code}` | {c.severity} | {c.concerns} | {c.meaning} |" for c in rows]
    return "\n".join(lines)


def _write_readme(path: str) -> int:
    from pathlib import Path

    readme = Path(path)
    text = readme.read_text(encoding="utf-8")
    if README_START not in text or README_END not in text:
        print(f"{path}: no table markers; put these two lines where the table goes:\n{README_START}\n{README_END}")
        return 2
    head, rest = text.split(README_START, 1)
    _, tail = rest.split(README_END, 1)
    readme.write_text(f"{head}{README_START}\n{codes_table()}\n{README_END}{tail}", encoding="utf-8")
    print(f"{path}: table of {len(CODES)} diagnostic codes written")
    return 0


if __name__ == "__main__":  # python -m engine.diagnostics [README.md]: print the table, or write it into the file
    import sys

    if len(sys.argv) > 1:
        raise SystemExit(_write_readme(sys.argv[1]))
    print(codes_table())
