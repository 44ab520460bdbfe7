"""``nbscheck schema`` and ``nbscheck init``: the plan data a standard requires, derived from its rules.

The template plan.yaml names every declared field at its path, commented with
its meaning, type, unit and constraints; each declared table gets a CSV file
holding just its header.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import yaml

from ..diagnostics import Diagnostic, NbsError, Span, did_you_mean
from ..model import Field, Standard, Table
from ..plan import plan_schema, table_schema


def schema_text(std: Standard, table: str | None = None) -> str:
    """The JSON Schema of plan.yaml, or of one row of ``table``, as indented JSON."""
    if table is None:
        doc = plan_schema(std)
    elif table in std.tables:
        doc = table_schema(std, table)
    else:
        raise NbsError([Diagnostic("unknown-table", f"{std.id} declares no table `{table}`", Span(std.root),
                                   hint=did_you_mean(table, std.tables) or f"tables: {', '.join(std.tables)}")])
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def describe(typ, constraints, optional: bool, doc: str | None) -> str:
    """``meaning — type [unit], constraints, required``."""
    parts = [typ.describe()]
    parts += [f"{op} {v:g}" for op, v in constraints]
    parts.append("optional" if optional else "required")
    return f"{doc} — {', '.join(parts)}" if doc else ", ".join(parts)


def _tree(fields: list[Field]) -> dict:
    root: dict = {}
    for f in fields:
        node = root
        *parents, leaf = f.path.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = f
    return root


def _yaml_value(value) -> str:
    return yaml.safe_dump(value, allow_unicode=True, default_flow_style=True).strip().removesuffix("...").strip()


def _emit(node: dict, depth: int, out: list[str]) -> None:
    pad = "  " * depth
    for key, value in node.items():
        if depth == 0 and out and out[-1]:
            out.append("")
        if isinstance(value, dict):
            out.append(f"{pad}{key}:")
            _emit(value, depth + 1, out)
        else:
            out.append(f"{pad}# {describe(value.type, value.constraints, value.optional, value.doc)}")
            out.append(f"{pad}{key}: null")


def _table_comment(t: Table) -> list[str]:
    lines = [f"  # {t.title}, key `{t.key}`{': ' + t.doc if t.doc else ''}"]
    for c in t.columns.values():
        lines.append(f"  #   {c.name}: {describe(c.type, c.constraints, c.optional, c.doc)}")
    return lines


def plan_template(std: Standard, standard_ref: str) -> str:
    """The text of a template plan.yaml for ``std``."""
    title = std.title + (f" — profile {std.profile['id']}" if std.profile else "")
    out = [
        f"# Plan package for {title} ({std.id} {std.version}).",
        "# Every value the standard reads is listed with its meaning, type and unit. Replace each `null`;",
        "# a value left null is missing data, and the rules that need it report insufficient_data.",
        "plan:",
        "  id: my-plan            # a stable identifier of the plan",
        "  title: My restoration plan",
        "  version: \"1.0\"",
        "  authority: \"\"          # the body that submits the plan",
        "  date: \"\"               # YYYY-MM-DD",
        f"standard: {_yaml_value(standard_ref)}",
    ]
    tree = _tree(sorted(std.fields.values(), key=lambda f: f.path))
    _emit(tree, 0, out)
    out += ["", "# The tables: one file each, inside this folder (CSV, Parquet, XLSX or JSON).", "tables:"]
    for name, t in std.tables.items():
        out += _table_comment(t)
        out.append(f"  {name}: tables/{name}.csv")
    return "\n".join(out) + "\n"


def table_header(t: Table) -> str:
    return ",".join(t.columns) + "\n"


def init_package(std: Standard, standard_ref: str, folder: Path) -> list[Path]:
    """Write a template plan package into ``folder``; refuses (NbsError) when any file exists."""
    files = {folder / "plan.yaml": plan_template(std, standard_ref)}
    for name, t in std.tables.items():
        files[folder / "tables" / f"{name}.csv"] = table_header(t)
    existing = [p for p in files if p.exists()]
    if existing:
        raise NbsError([Diagnostic("file-exists", f"{p} exists; init does not overwrite files", Span(str(p)),
                                   hint="choose an empty folder, or move the file away") for p in existing])
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("x", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
    return list(files)


def standard_ref_for(ref: str, folder: Path) -> str:
    """What the template's ``standard:`` says: the bundled id, or the pack's path relative to the plan."""
    p = Path(ref)
    if not p.exists():
        return ref
    pack, plan = p.resolve(), folder.resolve()
    if os.path.commonpath([pack, plan]) == pack.anchor:
        return pack.as_posix()
    return Path(os.path.relpath(pack, plan)).as_posix()
