"""Loading a plan package: plan.yaml (or plan.json) and its tables.

The package is validated against the JSON Schema derived from the standard
before anything is evaluated; every problem names the file, the line (YAML)
or row (tables) and the field. Nothing in the package is written to.
"""

from __future__ import annotations

import difflib
import hashlib
import math
import os
import shutil
import tempfile
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from .. import cache
from .. import units as U
from ..diagnostics import Diagnostic, Span, did_you_mean
from ..inputs import LIMITS, inside, is_glob, read_file, size_text, table_parts, zip_problem
from ..model import BOOL, DATE, INTEGER, NUMBER, Standard
from ..resources import LazyModule, data_dir
from . import geo
from . import source as mapping
from .schema import plan_schema
from .tables import empty_table, first_data_line, read_table_cached, readers
from .yamlread import line_of, read_document

if TYPE_CHECKING:
    import jsonschema
else:  # a tenth of a second: imported when a document is validated
    jsonschema = LazyModule("jsonschema")

PLAN_FILES = ("plan.yaml", "plan.yml", "plan.json")
PART_SUFFIXES = (".parquet", ".csv")  # what a partitioned table's parts may be


@dataclass
class Plan:
    """A loaded, validated plan package."""

    id: str
    title: str
    meta: dict
    root: str
    plan_file: str
    data: dict
    lines: dict[tuple, int]
    fields: dict[str, Any]
    tables: dict[str, pd.DataFrame]
    table_files: dict[str, str | None]  # table -> path inside the package (None: an optional table not given)
    first_data_line: dict[str, int | None]
    sha256: str
    standard_ref: str | None = None
    files: list[str] = field(default_factory=list)
    layers: dict[str, geo.Layer] = field(default_factory=dict)  # tables read from geodata, by name
    spatial: dict | None = None  # the working CRS and the layers, for the report
    sources: list[dict] = field(default_factory=list)  # per table read through a mapping: encoding, mappings

    def line(self, *path) -> int:
        return line_of(self.lines, path)


def _zip_plan_name(zf: zipfile.ZipFile) -> str | None:
    """The plan file in a zip: the shallowest plan.yaml, plan.yml or plan.json."""
    names = [n for n in zf.namelist() if n.rsplit("/", 1)[-1] in PLAN_FILES]
    return min(names, key=lambda n: (n.count("/"), n)) if names else None


def bundled_examples() -> dict[str, Path]:
    """The example plan packages shipped with nbscheck, by folder name."""
    root = data_dir("examples")
    if not root.is_dir():
        return {}
    return {p.name: p for p in sorted(root.iterdir()) if any((p / n).is_file() for n in PLAN_FILES)}


def resolve_plan(ref: str | Path, relative_to: Path | None = None) -> Path:
    """A plan path as given (relative to ``relative_to`` when set), else a bundled example by name."""
    path = (relative_to / ref) if relative_to is not None else Path(ref)
    if path.exists():
        return path
    return bundled_examples().get(str(ref), path)


def find_plan_file(path: Path) -> tuple[Path | None, list[Diagnostic]]:
    """The plan file of a package folder, or the plan file given itself (``*.yaml``, ``*.yml``, ``*.json``)."""
    if "\0" in str(path):
        return None, [Diagnostic("plan-not-found", "the plan path holds a NUL character", Span(repr(str(path))))]
    if path.is_dir():
        for name in PLAN_FILES:
            if os.path.lexists(path / name):
                return path / name, []
        return None, [Diagnostic("plan-not-found", f"{path} has no plan.yaml or plan.json", Span(str(path)),
                                 hint="`nbscheck init STANDARD DIR` writes a template package")]
    if not os.path.lexists(path):
        return None, [Diagnostic("plan-not-found", f"no plan package at {path}", Span(str(path)),
                                 hint="give a folder holding plan.yaml, a .zip of one, or the plan.yaml itself")]
    if path.suffix.lower() not in (".yaml", ".yml", ".json"):
        return None, [Diagnostic("plan-format", f"{path} is not a plan file", Span(str(path)),
                                 hint="give a folder holding plan.yaml, a .zip of one, or a .yaml/.json plan file")]
    return path, []


def _read_plan_file(plan_file: Path, display: str) -> bytes | Diagnostic:
    """The plan file's bytes: a regular file inside its folder, within the size limit."""
    return read_file(plan_file, display, limit="plan_file_bytes", what="the plan file", root=plan_file.parent)


def _decode(raw: bytes, display: str) -> str | Diagnostic:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        return Diagnostic("plan-syntax", f"not UTF-8 text ({e.reason} at byte {e.start})", Span(display),
                          hint="save the plan file as UTF-8")


def _open_zip(path: Path) -> tuple[tuple[zipfile.ZipFile, str] | None, list[Diagnostic]]:
    """A zipped plan, checked entry by entry before anything is read, and the name of its plan file."""
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as e:
        return None, [Diagnostic("plan-format", f"{path} is not a readable zip file ({e})", Span(str(path)))]
    problem = zip_problem(zf.infolist(), str(path), what="the zipped plan")
    if problem is None:
        name = _zip_plan_name(zf)
        if name is None:
            problem = Diagnostic("plan-not-found", f"{path} holds no plan.yaml or plan.json", Span(str(path)))
        elif zf.getinfo(name).file_size > LIMITS["plan_file_bytes"]:
            problem = Diagnostic("file-too-large", f"the plan file is {size_text(zf.getinfo(name).file_size)}; the "
                                 f"limit is {size_text(LIMITS['plan_file_bytes'])}", Span(f"{path}!{name}"))
        else:
            return (zf, name), []
    zf.close()
    return None, [problem]


_ZIP_ERRORS = (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, RuntimeError, zlib.error)


def _read_head(path: Path | str) -> tuple[dict | None, dict, str, list[Diagnostic]]:
    """plan.yaml's data, its lines and its display name, read before the standard is known; or what stops it."""
    path = Path(path)
    if path.suffix.lower() == ".zip" and path.is_file():
        opened, diags = _open_zip(path)
        if opened is None:
            return None, {}, str(path), diags
        zf, name = opened
        display = f"{path}!{name}"
        try:
            with zf:
                raw = zf.read(name)
        except _ZIP_ERRORS as e:
            return None, {}, display, [Diagnostic("plan-format", f"cannot read {display}: {e}", Span(str(path)))]
    else:
        plan_file, diags = find_plan_file(path)
        if plan_file is None:
            return None, {}, str(path), diags
        display = str(plan_file)
        read = _read_plan_file(plan_file, display)
        if isinstance(read, Diagnostic):
            return None, {}, display, [read]
        raw = read
    text = _decode(raw, display)
    if isinstance(text, Diagnostic):
        return None, {}, display, [text]
    data, lines, diags = read_document(text, display)
    if diags:
        return None, {}, str(path), diags
    if not isinstance(data, dict):
        return None, {}, display, [Diagnostic("plan-schema", "the plan file must be a mapping of keys to values",
                                              Span(display, 1))]
    return data, lines, display, []


def read_claim(path: Path | str) -> tuple[str | None, list[Diagnostic], Span | None]:
    """The standard a plan names, if any (read before the standard is known), or what stops reading it."""
    data, lines, display, diags = _read_head(path)
    if data is None:
        return None, diags, None
    claim = data.get("standard")
    if claim is not None and not isinstance(claim, str):
        return None, [Diagnostic("plan-schema", "`standard` must be a bundled id or a path",
                                 Span(display, line_of(lines, ["standard"])))], None
    return claim, [], Span(display, line_of(lines, ["standard"]))


def read_scope(path: Path | str, schema: dict) -> tuple[dict, Span | None, list[Diagnostic]]:
    """The plan's `scope:` claims (read before its tables, which they decide), valid against ``schema``."""
    data, lines, display, diags = _read_head(path)
    if data is None or "scope" not in data:
        return {}, None, diags
    where = Span(display, line_of(lines, ["scope"]))
    for err in jsonschema.Draft202012Validator(schema).iter_errors(data["scope"]):
        at = ".".join(["scope", *map(str, err.absolute_path)])
        return {}, where, [Diagnostic("plan-schema", f"`{at}`: {err.message}",
                                      Span(display, line_of(lines, ["scope", *err.absolute_path])),
                                      hint="scope: {goals: [L1], categories: [...], stages: [...], rules: [...]}")]
    return data["scope"], where, []


def load_plan(path: Path | str, std: Standard, parts=None) -> tuple[Plan | None, list[Diagnostic]]:
    """Load and validate a plan package (folder, .zip, or plan file) for ``std``.

    ``parts`` (the Dask engine's) reads a partitioned table: a `tables:` entry that names a folder of part
    files or a glob of them is read by ``parts(paths, display, table, source, repair, crs)``, which returns
    the table (one frame over every part) and its diagnostics; without it such an entry is refused.
    """
    path = Path(path)
    if path.suffix.lower() == ".zip" and path.is_file():
        return _load_zip(path, std, parts)
    return _load(path, std, display_root=None, parts=parts)


def _load_zip(path: Path, std: Standard, parts=None):
    """Extract a zipped package into a temporary folder (entries checked first) and load it from there."""
    opened, diags = _open_zip(path)
    if opened is None:
        return None, diags
    zf, name = opened
    with zf, tempfile.TemporaryDirectory(prefix="nbscheck-") as tmp:
        root = Path(tmp).resolve()
        try:
            for info in zf.infolist():
                target = root / info.filename
                if info.is_dir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(info) as src, target.open("wb") as dst:  # bounded by the entry's checked size
                    shutil.copyfileobj(src, dst, 1 << 20)
        except _ZIP_ERRORS as e:
            return None, [Diagnostic("plan-format", f"cannot extract {path}: {e}", Span(str(path)))]
        return _load((root / name).parent, std, display_root=f"{path}!", parts=parts)


def _load(path: Path, std: Standard, display_root: str | None, parts=None):
    plan_file, diags = find_plan_file(path)
    if plan_file is None:
        return None, diags
    root = plan_file.parent.resolve()

    def show(p: Path) -> str:
        rel = p.resolve().relative_to(root) if inside(p, root) else Path(p.name)
        if display_root:
            return f"{display_root}{rel.as_posix()}"
        return str(plan_file.parent / rel) if plan_file.parent != Path(".") else rel.as_posix()

    pdisp = show(plan_file)
    raw = _read_plan_file(plan_file, pdisp)
    if isinstance(raw, Diagnostic):
        return None, [raw]
    text = _decode(raw, pdisp)
    if isinstance(text, Diagnostic):
        return None, [text]
    data, lines, diags = read_document(text, pdisp)
    if data is None and not diags:
        diags = [Diagnostic("plan-schema", "the plan file is empty", Span(pdisp, 1),
                            hint="`nbscheck init STANDARD DIR` writes a template")]
    if diags:
        return None, diags
    if not isinstance(data, dict):
        return None, [Diagnostic("plan-schema", "the plan file must be a mapping of keys to values",
                                 Span(pdisp, 1))]
    # every independent problem at once: the schema's, non-finite numbers, each table's, then broken links
    diags = _validate(data, lines, std, pdisp) + _non_finite(data, std, lines, pdisp)
    if diags and not isinstance(data.get("tables"), dict):
        return None, diags
    hasher = hashlib.sha256()
    hasher.update(b"plan\0" + raw)
    tables: dict[str, pd.DataFrame] = {}
    table_files: dict[str, str | None] = {}  # None: an optional table the plan does not give
    first_lines: dict[str, int | None] = {}
    layers: dict[str, geo.Layer] = {}
    sources: list[dict] = []
    repair = std.attrs.get("repair") == "make_valid"
    units = U.system(std.unit_defs)
    for name, table in std.tables.items():
        if table.optional and name not in data["tables"]:
            tables[name], table_files[name], first_lines[name] = empty_table(table), None, None
            continue
        if not isinstance(data["tables"].get(name), str | dict):  # reported by the schema
            continue
        source = mapping.Source.of(data["tables"][name])
        rel = source.file
        line = line_of(lines, ("tables", name))
        problems = mapping.check(name, data["tables"][name], table, pdisp, lambda path: line_of(lines, path), units)
        if problems:
            diags += problems
            continue
        target = root / rel
        if "\0" in rel or not inside(target, root):
            diags.append(Diagnostic("path-outside-package", f"table `{name}`: `{rel!r}` leaves the package folder"
                                    if "\0" in rel else f"table `{name}`: `{rel}` leaves the package folder",
                                    Span(pdisp, line), hint="tables are files inside the package folder"))
            continue
        if parts is not None and (is_glob(rel) or target.is_dir()):
            files = table_parts(root, rel, show, Span(pdisp, line), what=f"table `{name}`", suffixes=PART_SUFFIXES)
            if isinstance(files, Diagnostic):
                diags.append(files)
                continue
            df, errs = parts(files, show(root / rel), table, source, repair, data.get("crs"))
            diags += errs
            if df is not None:
                tables[name], table_files[name], first_lines[name] = df, Path(rel).as_posix(), None
                for f in files:
                    hasher.update(f.relative_to(root).as_posix().encode() + b"\0")
                    _hash_file(hasher, f)
            continue
        if target.is_dir():
            diags.append(Diagnostic("table-not-found", f"table `{name}`: `{rel}` is a folder, not a file",
                                    Span(pdisp, line), hint="name the CSV, Parquet, XLSX or JSON file inside it"
                                    + " (a folder of part files is read by `--engine dask`)"))
            continue
        if not os.path.lexists(target):
            taken = {mapping.Source.of(v).file for k, v in data["tables"].items() if k != name}
            near = [p for p in _package_files(root) if p not in taken]
            diags.append(Diagnostic("table-not-found", f"table `{name}`: no file `{rel}`", Span(pdisp, line),
                                    hint=did_you_mean(rel, near)
                                    or "add the file at that path (relative to plan.yaml), or correct the path"))
            continue
        target = target.resolve()
        df, errs = read_table_cached(target, show(target), table, source, repair, data.get("crs"), units)
        diags += errs
        if df is not None:
            if "layer" in df.attrs:
                layers[name] = df.attrs.pop("layer")
                layers[name].file = target.relative_to(root).as_posix()
            if "source" in df.attrs:
                read = df.attrs.pop("source")
                sources.append(mapping.describe(name, target.relative_to(root).as_posix(), read["decoded"],
                                                read["mappings"]))
            tables[name] = df
            table_files[name] = file = target.relative_to(root).as_posix()
            first_lines[name] = first_data_line(target)
            hasher.update(file.encode() + b"\0")
            _hash_file(hasher, target)
    diags += _check_references(std, tables, table_files, first_lines, show, root)
    if diags:
        return None, diags
    spatial, diags = geo.finish(layers, std, data, pdisp, lambda path: line_of(lines, path))
    if diags:
        return None, diags
    for name, lay in layers.items():
        if lay.column is not None:
            tables[name][lay.column] = lay.geometry
        for column, values in lay.extra.items():
            tables[name][column] = values
    fields = {name: _field_value(data, f.path, f.type.kind) for name, f in std.fields.items()}
    meta = data["plan"]
    return Plan(id=str(meta["id"]), title=str(meta["title"]), meta=dict(meta), root=str(plan_file.parent),
                plan_file=plan_file.name, data=data, lines=lines, fields=fields, tables=tables,
                table_files=table_files, first_data_line=first_lines, sha256=hasher.hexdigest(),
                standard_ref=data.get("standard"), files=[plan_file.name, *(f for f in table_files.values() if f)],
                layers=layers, spatial=spatial, sources=sources), []


def _hash_file(hasher, path: Path) -> None:
    with path.open("rb") as fh:  # streamed: a large table is not held twice in memory
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            hasher.update(chunk)


def _package_files(root: Path, cap: int = 10_000) -> list[str]:
    """Table files in the package (for "did you mean"), without entering linked folders; at most ``cap`` looked at."""
    out: list[str] = []
    for folder, dirs, files in os.walk(root, followlinks=False):
        dirs.sort()
        for n in sorted(files):
            cap -= 1
            if cap < 0:
                return out
            if Path(n).suffix.lower() in readers():
                out.append((Path(folder) / n).relative_to(root).as_posix())
    return out


def _check_references(std: Standard, tables, table_files, first_lines, show, root) -> list[Diagnostic]:
    """Every value of a `-> table` column is a key of that table (empty cells are missing data)."""
    out = []
    for name, table in std.tables.items():
        for col in table.columns.values():
            if col.references is None or name not in tables or col.references not in tables:
                continue
            if not isinstance(tables[name], pd.DataFrame) or not isinstance(tables[col.references], pd.DataFrame):
                continue  # a partitioned table: the Dask engine checks its references over the partitions
            target = std.tables[col.references]
            keys = tables[col.references][target.key]
            values = tables[name][col.name]
            if keys.dtype.kind == "f" or values.dtype.kind == "f":
                keys, values = keys.astype("float64"), values.astype("float64")
            else:
                keys, values = keys.astype(str), values.astype(object).where(values.notna(), None)
            bad = values.notna() & ~values.isin(keys)
            if bad.any():
                from .tables import _rows_problem

                shown = tables[name][col.name][bad]
                values = [int(v) if isinstance(v, float) and v.is_integer() else v for v in shown.tolist()]
                where = f" ({table_files[col.references]})" if table_files.get(col.references) else ""
                out += _rows_problem("unknown-reference", show(root / table_files[name]), first_lines[name],
                                     col.name, shown.index, values,
                                     f"is not a key of table `{col.references}`{where}",
                                     f"use an existing `{target.key}` of `{col.references}`, or add that row")
    return out


def _validate(data: dict, lines: dict, std: Standard, pdisp: str) -> list[Diagnostic]:
    """Every problem of plan.yaml against the standard's schema; a document found valid before is not validated
    (nor jsonschema imported) again: :func:`engine.cache.valid`."""
    schema = plan_schema(std)
    if cache.valid("plan", schema, data):
        return []
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    out = []
    for err in sorted(validator.iter_errors(data), key=lambda e: (list(map(str, e.absolute_path)), e.message)):
        path = list(err.absolute_path)
        where = ".".join(map(str, path)) or "(top level)"
        if err.validator == "required":
            missing = err.message.split("'")[1] if "'" in err.message else err.message
            full = ".".join(map(str, [*path, missing]))
            known = set(err.schema.get("properties", {}))
            near = [k for k in err.instance if k not in known] if isinstance(err.instance, dict) else []
            guess = difflib.get_close_matches(missing, near, n=1, cutoff=0.6)
            if guess:
                line = line_of(lines, [*path, guess[0]])
                out.append(Diagnostic("plan-schema", f"`{full}` is required; `{guess[0]}` looks like a misspelling of "
                                      f"`{missing}`", Span(pdisp, line), hint=f"rename `{guess[0]}` to `{missing}`"))
                continue
            out.append(Diagnostic("plan-schema", f"`{full}` is required", Span(pdisp, line_of(lines, path)),
                                  hint=_field_hint(std, full)))
            continue
        message = _schema_message(err)
        out.append(Diagnostic("plan-schema", f"`{where}`: {message}", Span(pdisp, line_of(lines, path)),
                              hint=_field_hint(std, where)))
    if not out:
        cache.remember_valid("plan", schema, data)
    return out


def _non_finite(data: dict, std: Standard, lines: dict, pdisp: str) -> list[Diagnostic]:
    """Numeric fields holding `.nan`, `.inf` or a number too large for a float (JSON Schema accepts them)."""
    out = []
    for f in std.fields.values():
        if f.type.kind not in (NUMBER, INTEGER):
            continue
        node: Any = data
        for part in f.path.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, bool) or not isinstance(node, int | float):
            continue
        try:
            finite = math.isfinite(float(node))
        except OverflowError:
            finite = False
        if not finite:
            shown = node if isinstance(node, float) else f"a number of {len(str(abs(node)))} digits"
            out.append(Diagnostic("plan-schema", f"`{f.path}`: {shown} is not a finite number",
                                  Span(pdisp, line_of(lines, f.path.split("."))),
                                  hint="write a plain number; leave the value out (or null) for missing data"))
    return out


def _schema_message(err) -> str:
    v = err.validator
    if v == "type":
        want = err.validator_value
        want = [w for w in (want if isinstance(want, list) else [want]) if w != "null"]
        return f"expected {' or '.join(want)}, found {_kind(err.instance)} `{err.instance}`"
    if v == "enum":
        allowed = [a for a in err.validator_value if a is not None]
        hint = did_you_mean(str(err.instance), allowed) if isinstance(err.instance, str) else None
        return f"`{err.instance}` is not one of {', '.join(map(str, allowed))}" + (f" ({hint})" if hint else "")
    if v in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        op = {"minimum": ">=", "maximum": "<=", "exclusiveMinimum": ">", "exclusiveMaximum": "<"}[v]
        return f"{err.instance} breaks `{op} {err.validator_value}`"
    if v in ("format", "pattern"):
        return f"`{err.instance}` is not a date (YYYY-MM-DD)"
    return err.message


def _kind(value) -> str:
    return {bool: "boolean", int: "integer", float: "number", str: "string", list: "list", dict: "mapping",
            type(None): "null"}.get(type(value), type(value).__name__)


def _field_hint(std: Standard, path: str) -> str | None:
    for f in std.fields.values():
        if f.path == path:
            return f"{f.doc or f.name}: {f.type.describe()}"  # the type names its unit: `number [ha]`
    return None


def _field_value(data: dict, path: str, kind: str):
    node: Any = data
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    if node is None:
        return None
    if kind in (NUMBER, INTEGER):
        return float(node)
    if kind == DATE:
        return pd.Timestamp(node)
    if kind == BOOL:
        return bool(node)
    return node
