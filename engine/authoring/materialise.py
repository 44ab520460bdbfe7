"""Turning a rule test's plan (a base package and inline data) into a real plan package.

The test's plan is written to a temporary folder (plan.yaml plus JSON tables)
and loaded with the normal loader, so the plan is validated exactly as a
submitted one would be. Diagnostics about the temporary files are mapped back
to the test file's lines (or to the base package's files they came from).
"""

from __future__ import annotations

import copy
import json
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ..diagnostics import Diagnostic, Span
from ..plan.loader import find_plan_file, resolve_plan
from ..plan.yamlread import line_of, read_document


@dataclass
class Origin:
    """Where the parts of a materialised plan came from, to map diagnostics back."""

    test_file: str  # display path of the test file
    test_lines: dict[tuple, int]
    test_path: tuple  # ("tests", i)
    tmp_root: Path
    plan_lines: dict[int, tuple] = field(default_factory=dict)  # line in the written plan.yaml -> data path
    data_paths: set[tuple] = field(default_factory=set)  # paths given by the test's `data:`
    base_file: str | None = None
    base_lines: dict[tuple, int] = field(default_factory=dict)
    table_sources: dict[str, str] = field(default_factory=dict)  # written file -> display of the original
    inline_tables: dict[str, str] = field(default_factory=dict)  # written file -> table name


class MaterialiseError(Exception):
    def __init__(self, diagnostics: list[Diagnostic]):
        super().__init__("; ".join(d.message for d in diagnostics))
        self.diagnostics = diagnostics


def deep_merge(base: dict, over: dict) -> dict:
    """``over`` merged into a copy of ``base``: mappings merge, anything else replaces.

    >>> deep_merge({"a": {"b": 1, "c": 2}}, {"a": {"c": 3}})
    {'a': {'b': 1, 'c': 3}}
    """
    out = copy.deepcopy(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = deep_merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def _paths(data, prefix: tuple = ()) -> set[tuple]:
    out = {prefix} if prefix else set()
    if isinstance(data, dict):
        for k, v in data.items():
            out |= _paths(v, (*prefix, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            out |= _paths(v, (*prefix, i))
    return out


def materialise(spec: dict, test_dir: Path, tmp: Path, origin: Origin) -> Path:
    """Write the test's plan into ``tmp``; returns the package folder."""
    err = _problem(origin)
    data = spec.get("data") or {}
    base_data: dict = {}
    base_root: Path | None = None
    if spec.get("base") is not None:
        base_path = resolve_plan(spec["base"], test_dir)
        plan_file, diags = find_plan_file(base_path)
        if plan_file is None or plan_file.suffix.lower() == ".zip":
            raise MaterialiseError([err(("base",), f"`base: {spec['base']}` is not a plan folder",
                                        "the base is a folder holding plan.yaml, relative to the test file, "
                                        "or a bundled example's name (riverside, industrial-belt, ...)")])
        text = plan_file.read_text(encoding="utf-8-sig")
        origin.base_file = display_path(plan_file)
        read, origin.base_lines, diags = read_document(text, origin.base_file)
        if diags:
            raise MaterialiseError(diags)
        if not isinstance(read, dict):
            raise MaterialiseError([Diagnostic("plan-schema", "the base plan file is not a mapping",
                                               Span(origin.base_file, 1))])
        base_data = read
        base_root = plan_file.parent
    merged = deep_merge({k: v for k, v in base_data.items() if k != "tables"},
                        {k: v for k, v in data.items() if k != "tables"})
    if base_root is None and isinstance(merged.get("plan", {}), dict):
        merged.setdefault("plan", {})
        merged["plan"].setdefault("id", "test")
        merged["plan"].setdefault("title", "Rule test plan")
    origin.data_paths = _paths(data)
    tables_dir = tmp / "tables"
    tables_dir.mkdir(parents=True, exist_ok=True)
    tables: dict = {}
    found = base_data.get("tables")
    base_tables: dict = found if isinstance(found, dict) else {}
    given = data.get("tables") or {}
    if not isinstance(given, dict):
        raise MaterialiseError([err(("data", "tables"), "`tables` maps table names to rows or files", None)])
    for name in [*base_tables, *(n for n in given if n not in base_tables)]:
        if name in given:
            value = given[name]
            if value is None:
                continue
            if isinstance(value, list):
                if not all(isinstance(r, dict) for r in value):
                    raise MaterialiseError([err(("data", "tables", name), f"table `{name}`: each row is a mapping "
                                                "of column to value", "- {id: W-1, area_ha: 2.0}")])
                target = tables_dir / f"{name}.json"
                target.write_text(json.dumps(value, ensure_ascii=False, default=str), encoding="utf-8")
                origin.inline_tables[str(target)] = name
            elif isinstance(value, str):
                source = test_dir / value
                if not source.is_file():
                    raise MaterialiseError([err(("data", "tables", name), f"table `{name}`: no file `{value}`",
                                                "the path is relative to the test file")])
                target = tables_dir / f"{name}{source.suffix.lower()}"
                shutil.copyfile(source, target)
                origin.table_sources[str(target)] = display_path(source)
            else:
                raise MaterialiseError([err(("data", "tables", name), f"table `{name}`: give a list of rows or a "
                                            "file path", None)])
            tables[name] = target.relative_to(tmp).as_posix()
        else:
            rel = base_tables[name]
            kept = (base_root / str(rel)).resolve() if base_root else None
            if kept is not None and base_root is not None and kept.is_file() \
                    and kept.is_relative_to(base_root.resolve()):
                target = tables_dir / f"{name}{kept.suffix.lower()}"
                shutil.copyfile(kept, target)
                origin.table_sources[str(target)] = display_path(kept)
                tables[name] = target.relative_to(tmp).as_posix()
            else:
                tables[name] = rel  # the loader reports it
    merged["tables"] = tables
    text = yaml.safe_dump(merged, allow_unicode=True, sort_keys=False)
    (tmp / "plan.yaml").write_text(text, encoding="utf-8")
    _, written_lines, _ = read_document(text, "plan.yaml")
    for path, line in sorted(written_lines.items(), key=lambda kv: len(kv[0])):
        origin.plan_lines[line] = path  # the deepest path on a line wins
    return tmp


def _problem(origin: Origin):
    def make(sub: tuple, message: str, hint: str | None) -> Diagnostic:
        line = line_of(origin.test_lines, (*origin.test_path, *sub))
        return Diagnostic("test-plan", message, Span(origin.test_file, line), hint=hint)

    return make


_ROW = re.compile(r"^row (\d+)")


def map_diagnostic(d: Diagnostic, origin: Origin) -> Diagnostic:
    """A loader diagnostic about the temporary package, pointed at the test file or the base package."""
    file = d.span.file
    tmp = str(origin.tmp_root)
    if not file.startswith(tmp):
        return d
    resolved = str(Path(file).resolve()) if Path(file).exists() else file
    if file.endswith("plan.yaml"):
        path = origin.plan_lines.get(d.span.line, ())
        span = _plan_span(path, origin)
    elif resolved in origin.inline_tables or file in origin.inline_tables:
        name = origin.inline_tables.get(resolved) or origin.inline_tables[file]
        m = _ROW.match(d.message)
        sub = ("data", "tables", name) + ((int(m.group(1)) - 1,) if m else ())
        span = Span(origin.test_file, line_of(origin.test_lines, (*origin.test_path, *sub)))
    elif resolved in origin.table_sources or file in origin.table_sources:
        span = Span(origin.table_sources.get(resolved) or origin.table_sources[file], d.span.line, d.span.column)
    else:
        span = Span(origin.test_file, line_of(origin.test_lines, origin.test_path))
    return Diagnostic(d.code, d.message.replace(tmp + "/", ""), span, d.severity, d.hint)


def _plan_span(path: tuple, origin: Origin) -> Span:
    p = tuple(path)
    if p and p[0] == "tables":
        return Span(origin.test_file, line_of(origin.test_lines, (*origin.test_path, "data", *p)))
    while p:
        if p in origin.data_paths:
            return Span(origin.test_file, line_of(origin.test_lines, (*origin.test_path, "data", *p)))
        if origin.base_file and p in origin.base_lines:
            return Span(origin.base_file, origin.base_lines[p])
        p = p[:-1]
    return Span(origin.test_file, line_of(origin.test_lines, (*origin.test_path, "data")))


def display_path(path: Path) -> str:
    """A path as diagnostics show it: relative to the working folder when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
