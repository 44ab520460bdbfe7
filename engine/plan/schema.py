"""The JSON Schema of a plan package, derived from a standard's declarations."""

from __future__ import annotations

from ..model import BOOL, DATE, ENUM, GEOMETRY, INTEGER, NUMBER, TEXT, Standard, Type
from .source import SOURCE_SCHEMA

SCOPE_SCHEMA = {
    "type": "object", "additionalProperties": False,
    "description": "what the plan claims to cover: only the rules of these goal levels, categories, stages or "
                   "rule ids are checked, and only their data is required",
    "properties": {k: {"type": "array", "items": {"type": "string"}, "minItems": 1}
                   for k in ("goals", "categories", "stages", "rules")},
}

SCHEMA_ID = "https://json-schema.org/draft/2020-12/schema"


def value_schema(t: Type, constraints=(), doc: str | None = None, nullable: bool = True) -> dict:
    """The schema of one value of a declared type (null allowed: missing data)."""
    s: dict = {}
    if t.kind in (NUMBER, INTEGER):
        s["type"] = ["number" if t.kind == NUMBER else "integer", "null"]
        for op, v in constraints:
            key = {">=": "minimum", ">": "exclusiveMinimum", "<=": "maximum", "<": "exclusiveMaximum"}[op]
            s[key] = int(v) if float(v).is_integer() else v
    elif t.kind == TEXT:
        s["type"] = ["string", "null"]
    elif t.kind == BOOL:
        s["type"] = ["boolean", "null"]
    elif t.kind == DATE:
        s["type"] = ["string", "null"]
        s["format"] = "date"
        s["pattern"] = r"^\d{4}-\d{2}-\d{2}$"
    elif t.kind == ENUM:
        s["enum"] = [*t.values, None]
    elif t.kind == GEOMETRY:
        s["type"] = ["string", "null"]
        s["x-geometry"] = t.values[0]
        doc = f"{doc or ''} ({t.values[0]} as WKT in a table; the layer's own geometry in geodata)".strip()
    if not nullable and "type" in s:
        s["type"] = s["type"][0]
    if not nullable and "enum" in s:
        s["enum"] = list(t.values)
    desc = doc or ""
    if t.numeric and t.unit is not None and t.unit.name:
        s["x-unit"] = t.unit.name
        desc = f"{desc} [{t.unit.name}]".strip()
    if desc:
        s["description"] = desc
    return s


def plan_schema(std: Standard) -> dict:
    """The schema plan.yaml must meet for ``std``.

    Plan-level fields sit at their declared paths; ``tables`` maps each declared
    table to a file inside the package.
    """
    root: dict = {
        "$schema": SCHEMA_ID,
        "title": f"Plan package for {std.title}",
        "type": "object",
        "required": ["plan", "tables"],
        "properties": {
            "plan": {
                "type": "object",
                "required": ["id", "title"],
                "properties": {
                    "id": {"type": "string", "minLength": 1, "description": "a stable identifier of the plan"},
                    "title": {"type": "string", "minLength": 1},
                    "version": {"type": ["string", "number"]},
                    "authority": {"type": "string"},
                    "date": {"type": "string"},
                    "description": {"type": "string"},
                },
            },
            "standard": {"type": "string", "description": "the standard (id or path) the plan claims to meet"},
            "tables": {
                "type": "object",
                "required": sorted(n for n, t in std.tables.items() if not t.optional),
                "properties": {
                    name: {**SOURCE_SCHEMA, "description": f"{t.title}: a CSV, Parquet, XLSX or JSON file in the "
                           "package, or a layer (GeoPackage, GeoJSON, Shapefile, GeoParquet)"}
                    for name, t in std.tables.items()
                },
            },
            "scope": SCOPE_SCHEMA,
            "crs": {"type": "string", "description": "the CRS of geodata files that state none, e.g. EPSG:4326"},
            "working_crs": {"type": "string",
                            "description": "the projected CRS in metres that areas and distances are measured in"},
        },
    }
    for f in std.fields.values():
        node = root
        parts = f.path.split(".")
        for part in parts[:-1]:
            props = node.setdefault("properties", {})
            node = props.setdefault(part, {"type": "object"})
        props = node.setdefault("properties", {})
        props[parts[-1]] = value_schema(f.type, f.constraints, f.doc)
        if not f.optional:
            reqs = node.setdefault("required", [])
            if parts[-1] not in reqs:
                reqs.append(parts[-1])
    _require_parents(root, std)
    return root


def _require_parents(root: dict, std: Standard) -> None:
    """A required field makes the objects above it required too."""
    for f in std.fields.values():
        if f.optional:
            continue
        node = root
        for part in f.path.split(".")[:-1]:
            reqs = node.setdefault("required", [])
            if part not in reqs:
                reqs.append(part)
            node = node["properties"][part]


def table_schema(std: Standard, name: str) -> dict:
    """The schema of one row of a declared table (for documentation and `schema`)."""
    t = std.tables[name]
    return {
        "$schema": SCHEMA_ID,
        "title": f"{t.title} ({name}), one row",
        "type": "object",
        "required": [c.name for c in t.columns.values() if not c.optional],
        "properties": {c.name: value_schema(c.type, c.constraints, c.doc, nullable=c.name != t.key)
                       for c in t.columns.values()},
    }
