"""Parsing rule files into the AST."""

from .parser import parse_expression, parse_file, parse_source, parse_text

__all__ = ["parse_file", "parse_source", "parse_text", "parse_expression"]
