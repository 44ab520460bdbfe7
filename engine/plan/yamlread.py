"""YAML and JSON documents with the line of every value, and no surprises.

Every plan, waiver and rule-test file is read here. Dates stay text (the schema decides what a date
is); numbers are the plain decimal forms of YAML 1.2 and JSON (``1_000``, ``0x10`` and ``1:30``
stay text); duplicate keys are reported. Before anything is built, one pass over the parser's
events refuses tags (``!!python/...``, ``!custom``), more ``*alias`` uses than the limit, aliases
that refer to themselves, nesting deeper than the limit and documents of more values (aliases
expanded) than the limit, so a small hostile file cannot take time or memory.
"""

from __future__ import annotations

import bisect
import json
import math
import re
from pathlib import Path

import yaml

from ..diagnostics import Diagnostic, Span
from ..inputs import LIMITS, read_text

_LIMITS_HINT = "see \"Limits and safety\" in the README"
_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BaseLoader):  # type: ignore[misc, valid-type]
    pass


_INT = re.compile(r"^[-+]?[0-9]+$")
_FLOAT = re.compile(r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)"
                    r"|\.(?:nan|NaN|NAN))$")
_INT_TAG, _FLOAT_TAG = "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"
# dates stay strings; numbers follow YAML 1.2's core schema (no `_`, hex, octal or base 60)
_Loader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag not in ("tag:yaml.org,2002:timestamp", _INT_TAG, _FLOAT_TAG)]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(_INT_TAG, _INT, list("-+0123456789"))
_Loader.add_implicit_resolver(_FLOAT_TAG, _FLOAT, list("-+0123456789."))


def _construct_int(loader, node):
    text = loader.construct_scalar(node)
    if len(text) > 1000:
        raise yaml.constructor.ConstructorError(None, None, f"a number of {len(text)} digits is too long",
                                                node.start_mark)
    return int(text)


def _construct_float(loader, node):
    text = loader.construct_scalar(node).lower()
    if text.lstrip("+-") == ".inf":
        return -math.inf if text.startswith("-") else math.inf
    return math.nan if text == ".nan" else float(text)


_Loader.add_constructor(_INT_TAG, _construct_int)
_Loader.add_constructor(_FLOAT_TAG, _construct_float)


def read_document(text: str, filename: str, *, code: str = "plan-syntax", duplicate_code: str = "plan-duplicate-key",
                  lines: bool = True) -> tuple[object, dict[tuple, int], list[Diagnostic]]:
    """Parse YAML (or JSON, by the file name); returns the data, a map from path to 1-based line, and problems.

    ``code`` names syntax problems and refusals, ``duplicate_code`` repeated keys; ``lines=False``
    skips the line map (a JSON table).
    """
    if filename.lower().endswith(".json"):
        return _read_json(text, filename, code, duplicate_code, lines)
    return _read_yaml(text, filename, code, duplicate_code)


def read_document_file(path: Path, display: str, *, limit: str, what: str, code: str,
                       missing_code: str = "file-not-found", **kwargs) -> tuple[object, dict, list[Diagnostic]]:
    """:func:`read_document` on a file that :func:`engine.inputs.read_text` accepts (regular, within ``limit``)."""
    text = read_text(path, display, limit=limit, what=what, code=code)
    if isinstance(text, Diagnostic):
        if text.code == "file-not-found":
            text = Diagnostic(missing_code, text.message, text.span, hint=text.hint)
        return None, {}, [text]
    return read_document(text, display, code=code, **kwargs)


def _read_yaml(text: str, filename: str, code: str, duplicate_code: str):
    def problem(message, mark=None, hint=None):
        where = Span(filename, mark.line + 1, mark.column + 1) if mark is not None else Span(filename, 1)
        return None, {}, [Diagnostic(code, message, where, hint=hint)]

    try:
        refusal = _screen(text)
        if refusal is not None:
            return problem(*refusal)
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
            lines_: dict[tuple, int] = {}
            diags: list[Diagnostic] = []
            if node is not None:
                _walk(node, (), lines_, diags, filename, code, duplicate_code)
            if any(d.code == code for d in diags):
                return None, {}, diags
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        what = getattr(e, "problem", None) or str(e)
        return problem(f"invalid YAML: {what}", mark,
                       "check indentation and that every `key:` has a space after the colon")
    except (RecursionError, MemoryError):
        return problem("the document nests too deeply or is too large", hint=_LIMITS_HINT)
    return data, lines_, diags


def _screen(text: str):
    """One pass over the parser's events: (message, mark, hint) for the first refusal, or None."""
    depth = 0
    values = aliases = 0
    open_anchors: list[tuple[str | None, int]] = []  # per open collection: its anchor and the count at its start
    sizes: dict[str, int] = {}
    for event in yaml.parse(text, Loader=_BaseLoader):
        if isinstance(event, yaml.AliasEvent):
            aliases += 1
            if aliases > LIMITS["document_aliases"]:
                return (f"more than {LIMITS['document_aliases']} `*alias` uses", event.start_mark, _LIMITS_HINT)
            if event.anchor not in sizes:
                if any(a == event.anchor for a, _ in open_anchors):
                    return (f"`*{event.anchor}` refers to the value that holds it", event.start_mark,
                            "remove the recursive `*alias`")
                continue  # an undefined alias: the composer reports it
            values += sizes[event.anchor]
        elif isinstance(event, yaml.NodeEvent):
            values += 1
            tag = getattr(event, "tag", None)
            if tag is not None:
                return (f"YAML tags such as `{tag}` are not allowed", event.start_mark,
                        "write plain values; quote text that starts with `!`")
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > LIMITS["document_depth"]:
                    return (f"the document nests more than {LIMITS['document_depth']} levels deep",
                            event.start_mark, _LIMITS_HINT)
                open_anchors.append((event.anchor, values))
            elif event.anchor is not None:
                sizes[event.anchor] = 1
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
            anchor, start = open_anchors.pop()
            if anchor is not None:
                sizes[anchor] = values - start + 1
        if values > LIMITS["document_values"]:
            return (f"the document holds more than {LIMITS['document_values']} values (aliases expanded)",
                    event.start_mark, _LIMITS_HINT)
    return None


def _walk(node, path: tuple, lines: dict, diags: list, filename: str, code: str, duplicate_code: str) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: dict = {}
        for k, v in node.value:
            if not isinstance(k, yaml.ScalarNode):
                diags.append(Diagnostic(code, "a key must be a plain value, not a list or mapping",
                                        Span(filename, k.start_mark.line + 1, k.start_mark.column + 1)))
                continue
            key = k.value
            if k.tag == _INT_TAG and _INT.match(key):
                key = int(key)
            if key in seen:
                diags.append(Diagnostic(duplicate_code, f"`{key}` appears twice (first at line {seen[key]})",
                                        Span(filename, k.start_mark.line + 1, k.start_mark.column + 1),
                                        hint="remove one; YAML keeps only the last"))
            seen[key] = k.start_mark.line + 1
            _walk(v, (*path, key), lines, diags, filename, code, duplicate_code)
            lines[(*path, key)] = k.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, v in enumerate(node.value):
            _walk(v, (*path, i), lines, diags, filename, code, duplicate_code)


_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\],:]')


def _read_json(text: str, filename: str, code: str, duplicate_code: str, want_lines: bool):
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        return None, {}, [Diagnostic(code, f"invalid JSON: {e.msg}", Span(filename, e.lineno, e.colno),
                                     hint="check commas, quotes and brackets near this point")]
    except (RecursionError, MemoryError):
        return None, {}, [Diagnostic(code, f"the document nests more than {LIMITS['document_depth']} levels deep",
                                     Span(filename, 1), hint=_LIMITS_HINT)]
    except ValueError as e:  # a number too long to convert
        return None, {}, [Diagnostic(code, f"invalid JSON: {e}", Span(filename, 1))]
    refusal = _count(data)
    if refusal is not None:
        return None, {}, [Diagnostic(code, refusal, Span(filename, 1), hint=_LIMITS_HINT)]
    if not want_lines:
        return data, {}, []
    lines, diags = _json_lines(text, filename, duplicate_code)
    return data, lines, diags


def _count(data) -> str | None:
    """Why a parsed document is too deep or too large, or None (iterative: no recursion)."""
    stack, values = [(data, 1)], 0
    while stack:
        obj, depth = stack.pop()
        values += 1
        if values > LIMITS["document_values"]:
            return f"the document holds more than {LIMITS['document_values']} values"
        if isinstance(obj, dict | list):
            if depth > LIMITS["document_depth"]:
                return f"the document nests more than {LIMITS['document_depth']} levels deep"
            stack.extend((v, depth + 1) for v in (obj.values() if isinstance(obj, dict) else obj))
    return None


def _json_lines(text: str, filename: str, duplicate_code: str) -> tuple[dict[tuple, int], list[Diagnostic]]:
    """The line of every key and list item of valid JSON, and its repeated keys, in one scan of the text."""
    starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def line(pos: int) -> int:
        return bisect.bisect_right(starts, pos)

    lines: dict[tuple, int] = {(): 1}
    diags: list[Diagnostic] = []
    stack: list[list] = []  # per open container: [kind, path, key or index, {key: line} seen]
    last: tuple[str, int] | None = None

    def here() -> tuple:
        if not stack:
            return ()
        kind, path, at, _ = stack[-1]
        return (*path, at)

    for m in _TOKEN.finditer(text):
        tok = m.group()
        if tok in "{[":
            path = here()
            lines.setdefault(path, line(m.start()))
            stack.append([tok, path, 0 if tok == "[" else None, {}])
        elif tok in "}]":
            stack.pop()
        elif tok == ",":
            if stack and stack[-1][0] == "[":
                stack[-1][2] += 1
                lines.setdefault(here(), line(m.end()))
        elif tok == ":":
            if last is not None and stack:
                key, pos = last
                frame = stack[-1]
                frame[2] = key
                if key in frame[3]:
                    diags.append(Diagnostic(duplicate_code, f"`{key}` appears twice (first at line {frame[3][key]})",
                                            Span(filename, line(pos)), hint="remove one; JSON readers keep only "
                                            "the last"))
                else:
                    frame[3][key] = line(pos)
                lines[(*frame[1], key)] = line(pos)
        else:
            last = (json.loads(tok), m.start())
            if stack and stack[-1][0] == "[":
                lines.setdefault(here(), line(m.start()))
    return lines, diags


def line_of(lines: dict[tuple, int], path) -> int:
    """The line of ``path``, or of its nearest parent that has one."""
    p = tuple(path)
    while p:
        if p in lines:
            return lines[p]
        p = p[:-1]
    return lines.get((), 1)
