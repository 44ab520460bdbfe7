"""YAML and JSON documents with the line of every value, and no surprises:
dates stay text, duplicate keys are reported."""

from __future__ import annotations

import json

import yaml

from ..diagnostics import Diagnostic, Span


class _Loader(yaml.SafeLoader):
    pass


# dates stay strings: the schema, not the YAML parser, decides what a date is
_Loader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def read_document(text: str, filename: str) -> tuple[object, dict[tuple, int], list[Diagnostic]]:
    """Parse YAML (or JSON); returns the data, a map from path to 1-based line, and problems."""
    if filename.endswith(".json"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            return None, {}, [Diagnostic("plan-syntax", f"invalid JSON: {e.msg}", Span(filename, e.lineno, e.colno),
                                         hint="check commas, quotes and brackets near this point")]
        return data, _json_lines(text, data), []
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line, col = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        problem = getattr(e, "problem", None) or str(e)
        return None, {}, [Diagnostic("plan-syntax", f"invalid YAML: {problem}", Span(filename, line, col),
                                     hint="check indentation and that every `key:` has a space after the colon")]
    diags: list[Diagnostic] = []
    lines: dict[tuple, int] = {}
    try:
        _walk(node, (), lines, diags, filename)
        data = yaml.load(text, Loader=_Loader) if node is not None else None
    except RecursionError:
        return None, {}, [Diagnostic("plan-syntax", "an alias refers to itself, or the document nests too deeply",
                                     Span(filename, 1), hint="remove the recursive `*alias`")]
    return data, lines, diags


def _walk(node, path: tuple, lines: dict, diags: list, filename: str) -> None:
    if node is None:
        return
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: dict = {}
        for k, v in node.value:
            key = k.value
            if key in seen:
                diags.append(Diagnostic("plan-duplicate-key", f"`{key}` appears twice (first at line {seen[key]})",
                                        Span(filename, k.start_mark.line + 1, k.start_mark.column + 1),
                                        hint="remove one; YAML keeps only the last"))
            seen[key] = k.start_mark.line + 1
            lines[(*path, key)] = k.start_mark.line + 1
            _walk(v, (*path, key), lines, diags, filename)
            lines[(*path, key)] = k.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, v in enumerate(node.value):
            _walk(v, (*path, i), lines, diags, filename)


def _json_lines(text: str, data) -> dict[tuple, int]:
    """Approximate lines for JSON keys: the first line where `"key":` appears after its parent's."""
    lines: dict[tuple, int] = {(): 1}
    src = text.splitlines()

    def find(key: str, start: int) -> int:
        needle = json.dumps(key) + ":"
        needle2 = json.dumps(key) + " :"
        for i in range(max(start - 1, 0), len(src)):
            if needle in src[i].replace('": ', '":') or needle2 in src[i]:
                return i + 1
        return start

    def walk(obj, path, start):
        if isinstance(obj, dict):
            for k, v in obj.items():
                ln = find(str(k), start)
                lines[(*path, k)] = ln
                walk(v, (*path, k), ln)

    walk(data, (), 1)
    return lines


def line_of(lines: dict[tuple, int], path) -> int:
    """The line of ``path``, or of its nearest parent that has one."""
    p = tuple(path)
    while p:
        if p in lines:
            return lines[p]
        p = p[:-1]
    return lines.get((), 1)
