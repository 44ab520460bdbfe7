"""Parsing rule files into the AST.

The parser (and Lark) is imported on first use: a pack whose syntax trees are
in the cache (:mod:`engine.cache`) is read without it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import cache

if TYPE_CHECKING:
    from . import ast
    from .parser import parse_expression, parse_file, parse_text

__all__ = ["parse_file", "parse_source", "parse_text", "parse_expression"]


def _parse_text(text: str, name: str):
    from .parser import parse_text

    return parse_text(text, name)


def parse_source(text: str, name: str) -> tuple[ast.Module | None, list]:
    """A rule file's text already read, parsed through the cache of syntax trees."""
    return cache.parsed(text, name, _parse_text)


def __getattr__(name: str):
    if name in ("parse_file", "parse_text", "parse_expression"):
        from . import parser

        return getattr(parser, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
