"""Diagnostics: problems in rule files and plan data, as plain values.

A diagnostic has a stable code, a message, a location and a severity. Many are
collected, sorted by location and printed as ``file:line:col: code: message``
with the source line and a caret. One exception, :class:`NbsError`, carries
them across the API boundary.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field

ERROR = "error"
WARNING = "warning"


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

    def sort_key(self) -> tuple:
        return (self.span.file, self.span.line, self.span.column, self.code, self.message)

    def format(self, *, show_source: bool = True) -> str:
        """``file:line:col: code: message`` then the source line, a caret and a hint."""
        head = f"{self.span}: {self.code}: {self.message}"
        if self.severity == WARNING:
            head = f"{self.span}: {self.code}: warning: {self.message}"
        lines = [head]
        if show_source and self.source_line is not None and self.span.column:
            text = self.source_line.rstrip("\n")
            lines.append(f"    {text}")
            width = 1
            if self.span.end_line == self.span.line and self.span.end_column > self.span.column:
                width = self.span.end_column - self.span.column
            lines.append("    " + _caret_pad(text, self.span.column - 1) + "^" * width)
        if self.hint:
            lines.append(f"    hint: {self.hint}")
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
