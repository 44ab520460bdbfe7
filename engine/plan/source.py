"""Source mapping: reading a table as published and bringing it to the standard's terms.

A plan's `tables:` entry is a file path, or a mapping that names the file and how
its contents map onto the declared table:

    tables:
      wards:
        file: ward-profiles.csv
        encoding: cp1252                       # else detected, and stated in the report
        columns: {population: "Population - 2015", area_ha: "Area - Square Kilometres"}
        units: {area_ha: km2}                  # the file's unit; converted to the declared one
        values: {habitat: {"Salt Marsh": wetland, "n/a": null}}
        missing: ["NA", "N/A"]                 # the file's marks for "no value" (else only an empty cell)
        row_number: id                         # a file with no key column: the row number is the key

Everything here is applied while the table loads, before the column checks, so
rules never see a source's quirks; every mapping applied is listed in the report.
A text file that does not decode, or decodes to control characters or U+FFFD
(the marks of a wrong guess), is refused with its line and column, never shown.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from .. import units as U
from ..diagnostics import Diagnostic, Span, did_you_mean
from ..model import ENUM, INTEGER, NUMBER, Table

TEXT_SUFFIXES = (".csv",)
ENCODINGS = {  # what a plan may write -> Python's codec
    "utf-8": "utf-8", "utf8": "utf-8", "utf-8-sig": "utf-8-sig", "utf-16": "utf-16",
    "cp1252": "cp1252", "windows-1252": "cp1252", "latin-1": "latin-1", "latin1": "latin-1",
    "iso-8859-1": "latin-1", "gbk": "gbk", "gb2312": "gbk", "gb18030": "gb18030",
}
_SHOWN = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8 (with BOM)", "utf-16": "UTF-16", "cp1252": "Windows-1252",
          "latin-1": "Latin-1 (ISO-8859-1)", "gbk": "GBK", "gb18030": "GB18030"}
_DETECTABLE = ["cp1252", "gb18030"]  # the legacy encodings a guess may choose between
_SUSPECT = re.compile("[\x80-\x9f\ufffd]")  # C1 controls and the replacement character: signs of a wrong decoding
_MONEY = re.compile(r"^\s*[-(]?\s*[$£€¥]?\s*[-(]?\s*(\d{1,3}(,\d{3})+|\d+)(\.\d+)?\s*\)?\s*$")

SOURCE_SCHEMA = {
    "type": ["string", "object"], "minLength": 1, "required": ["file"], "additionalProperties": False,
    "properties": {
        "file": {"type": "string", "minLength": 1},
        "layer": {"type": "string", "minLength": 1, "description": "the GeoPackage layer"},
        "columns": {"type": "object", "additionalProperties": {"type": "string"},
                    "description": "declared column: the file's column, for files as published"},
        "crs": {"type": "string", "description": "the CRS of a file that states none, e.g. EPSG:27700"},
        "geometry": {"type": "string", "description": "the WKT column of a CSV or XLSX table"},
        "encoding": {"enum": sorted(ENCODINGS), "description": "the text encoding of a CSV file (else detected)"},
        "units": {"type": "object", "additionalProperties": {"type": "string"},
                  "description": "declared column: the unit the file uses (converted to the declared unit)"},
        "values": {"type": "object", "additionalProperties": {
                   "type": "object", "additionalProperties": {"type": ["string", "number", "boolean", "null"]}},
                   "description": "declared column: {the file's value: the standard's value, or null for missing}"},
        "row_number": {"type": "string", "description": "a declared column filled with the row number (a key for "
                       "files that have none)"},
        "missing": {"type": "array", "items": {"type": "string"},
                    "description": "cell values that mean `no value` in this file, e.g. NA or N/A"},
    },
}


@dataclass(frozen=True)
class Source:
    """A plan's `tables:` entry: a file, or a mapping naming the file and how to read it."""

    file: str
    layer: str | None = None  # a GeoPackage layer (default: the table's name, or the only layer)
    columns: dict[str, str] = field(default_factory=dict)  # declared column -> the file's column
    crs: str | None = None  # the CRS of a file that states none
    geometry: str | None = None  # the WKT column of a CSV or XLSX table
    encoding: str | None = None  # a key of ENCODINGS
    units: dict[str, str] = field(default_factory=dict)  # declared column -> the file's unit
    values: dict[str, dict[str, Any]] = field(default_factory=dict)  # declared column -> {file value: value}
    row_number: str | None = None  # declared column filled with 1, 2, ...
    missing: tuple[str, ...] = ()  # cell values that mean "no value" in this file

    @staticmethod
    def of(entry) -> Source:
        if isinstance(entry, str):
            return Source(entry)
        return Source(str(entry["file"]), entry.get("layer"), dict(entry.get("columns") or {}), entry.get("crs"),
                      entry.get("geometry"), entry.get("encoding"), dict(entry.get("units") or {}),
                      {k: dict(v) for k, v in (entry.get("values") or {}).items()}, entry.get("row_number"),
                      tuple(entry.get("missing") or ()))


def check(name: str, entry, table: Table, pdisp: str, line, units: U.UnitSystem = U.DEFAULT) -> list[Diagnostic]:
    """What is wrong with a table entry's mappings, located at its line of plan.yaml.

    ``line(path)`` gives the plan.yaml line of a key path.
    """
    if isinstance(entry, str):
        return []
    src, out = Source.of(entry), []
    base = ("tables", name)

    def known(kind: str, col: str) -> bool:
        if col in table.columns:
            return True
        out.append(Diagnostic("plan-schema", f"table `{name}`: `{kind}: {col}` names no declared column",
                              Span(pdisp, line((*base, kind, col))),
                              hint=did_you_mean(col, table.columns) or f"its columns: {', '.join(table.columns)}"))
        return False

    if src.encoding is not None and not src.file.lower().endswith(TEXT_SUFFIXES):
        out.append(Diagnostic("plan-schema", f"table `{name}`: `encoding:` applies to CSV files, not `{src.file}`",
                              Span(pdisp, line((*base, "encoding"))),
                              hint="Parquet, XLSX, JSON and geodata files state their own encoding"))
    for col in src.columns:
        known("columns", col)
    for col, unit_name in src.units.items():
        if not known("units", col):
            continue
        t = table.columns[col].type
        where = Span(pdisp, line((*base, "units", col)))
        if t.kind not in (NUMBER, INTEGER) or t.unit is None or not t.unit.name:
            out.append(Diagnostic("unit-mismatch", f"table `{name}`: `units: {col}: {unit_name}`, but `{col}` is "
                                  f"declared {t.describe()} without a unit", where,
                                  hint="only columns declared with a unit take a source unit"))
            continue
        try:
            unit = units.parse(unit_name)
        except U.UnitError:
            out.append(Diagnostic("unknown-unit", f"table `{name}`: `units: {col}: {unit_name}` is not a unit",
                                  where, hint=did_you_mean(unit_name, units.names())))
            continue
        if unit.dims != t.unit.dims:
            money = any(u.dimension_name().endswith("money") for u in (unit, t.unit))
            out.append(Diagnostic("unit-mismatch", f"table `{name}`: `{col}` is declared in {t.unit.name} "
                                  f"({t.unit.dimension_name()}); {unit_name} is {unit.dimension_name()}", where,
                                  hint="nbscheck does not convert between currencies: state the values in "
                                  f"{t.unit.name}" if money else f"give a unit of {t.unit.dimension_name()}"))
            continue
        try:
            units.conversion(unit, t.unit)
        except U.UnitError as e:
            out.append(Diagnostic("unit-mismatch", f"table `{name}`: `units: {col}: {unit_name}`: {e}", where,
                                  hint=f"give the values as {t.unit.name} readings"))
    for col, mapping in src.values.items():
        if not known("values", col):
            continue
        t = table.columns[col].type
        if t.kind == ENUM:
            for given, to in mapping.items():
                if to is not None and str(to) not in t.values:
                    out.append(Diagnostic("unknown-enum-value", f"table `{name}`: `values: {col}: {given!r}: {to}`: "
                                          f"`{to}` is not one of {', '.join(t.values)}",
                                          Span(pdisp, line((*base, "values", col, given))),
                                          hint=did_you_mean(str(to), t.values)))
    if src.row_number is not None:
        if known("row_number", src.row_number) and src.row_number in src.columns:
            out.append(Diagnostic("plan-schema", f"table `{name}`: `{src.row_number}` is both mapped from a column "
                                  "and filled with row numbers", Span(pdisp, line((*base, "row_number"))),
                                  hint="keep one of the two"))
    return out


@dataclass
class Decoded:
    """A text file's bytes as UTF-8, the encoding they were read in, and how it was chosen."""

    data: bytes
    encoding: str
    chosen_by: str  # "declared", "detected" or "default"


def decode(raw: bytes, display: str, declared: str | None) -> tuple[Decoded | None, list[Diagnostic]]:
    """``raw`` as UTF-8 bytes; a byte that does not decode, or decodes to a C1 control or U+FFFD, is refused.

    Without a declared encoding: a BOM decides, else UTF-8 when it decodes, else the best of
    Windows-1252 and GB18030 by charset-normalizer (stated in the report as detected).
    """
    if raw.isascii() and (declared is None or ENCODINGS[declared] != "utf-16"):  # the common case, at memory speed
        return Decoded(raw, ENCODINGS[declared] if declared else "utf-8", "declared" if declared else "default"), []
    if declared is not None:
        codec, chosen_by = ENCODINGS[declared], "declared"
        if codec == "utf-8" and raw.startswith(codecs.BOM_UTF8):
            codec = "utf-8-sig"
    elif raw.startswith(codecs.BOM_UTF8):
        codec, chosen_by = "utf-8-sig", "default"
    elif raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        codec, chosen_by = "utf-16", "detected"
    else:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            codec, chosen_by = _detect(raw), "detected"
        else:
            problem = _suspect(text, display, "UTF-8", "default")
            return (None, [problem]) if problem else (Decoded(raw, "utf-8", "default"), [])
    try:
        text = raw.decode(codec)
    except UnicodeDecodeError as e:
        return None, [_undecodable(raw, e, display, codec, chosen_by)]
    problem = _suspect(text, display, _SHOWN[codec], chosen_by)
    if problem:
        return None, [problem]
    return Decoded(text.encode("utf-8"), codec, chosen_by), []


def _detect(raw: bytes) -> str:
    from charset_normalizer import from_bytes

    best = from_bytes(raw, cp_isolation=_DETECTABLE).best()
    if best is None:
        return "cp1252"
    return {"gb2312": "gb18030", "gbk": "gb18030"}.get(best.encoding, best.encoding)


def _position(text: str, index: int) -> tuple[int, str]:
    """The line (1-based) of a character index and the header name of its CSV field (approximate for quotes)."""
    line = text.count("\n", 0, index) + 1
    start = text.rfind("\n", 0, index) + 1
    field_no = text.count(",", start, index)
    header = text[: text.find("\n")] if "\n" in text else text
    names = [h.strip().strip('"') for h in header.split(",")]
    return line, names[field_no] if field_no < len(names) else f"field {field_no + 1}"


def _where(line: int, column: str) -> str:
    return f"line {line} (the header)" if line == 1 else f"row {line - 1}, column `{column}`"


def _undecodable(raw: bytes, e: UnicodeDecodeError, display: str, codec: str, chosen_by: str) -> Diagnostic:
    text = raw[: e.start].decode(codec, errors="replace") + "\x00"
    line, column = _position(text, len(text) - 1)
    bad = raw[e.start:e.end].hex(" ")
    how = "declared" if chosen_by == "declared" else "detected"
    return Diagnostic("table-encoding", f"{_where(line, column)}: bytes `{bad}` are not {_SHOWN[codec]} "
                      f"(the {how} encoding)", Span(display, line),
                      hint=_encoding_hint(chosen_by))


def _suspect(text: str, display: str, shown: str, chosen_by: str) -> Diagnostic | None:
    m = _SUSPECT.search(text)
    if m is None:
        return None
    line, column = _position(text, m.start())
    char = m.group()
    what = "the replacement character U+FFFD" if char == "\ufffd" else f"the control character U+{ord(char):04X}"
    return Diagnostic("table-encoding", f"{_where(line, column)}: read as {shown} ({chosen_by}), the text holds "
                      f"{what}: the file is in another encoding, or was damaged by an earlier conversion",
                      Span(display, line), hint=_encoding_hint(chosen_by))


def _encoding_hint(chosen_by: str) -> str:
    names = "utf-8, utf-16, cp1252, latin-1, gbk, gb18030"
    if chosen_by == "declared":
        return f"check the table's `encoding:` in plan.yaml (one of {names})"
    return f"declare the table's encoding in plan.yaml: `encoding: cp1252` (one of {names})"


def apply(df: pd.DataFrame, src: Source, table: Table, display: str, first_line: int | None,
          units: U.UnitSystem = U.DEFAULT):
    """The file's columns renamed, values mapped and units converted; returns (frame, mappings, problems)."""
    missing = [(k, v) for k, v in src.columns.items() if v not in df.columns]
    if missing:
        k, v = missing[0]
        others = [str(c) for c in df.columns if not str(c).startswith("__")]
        return df, [], [Diagnostic("missing-column", f"`columns: {k}: {v}`: the file has no column `{v}`",
                                   Span(display, 1 if first_line else 0),
                                   hint=did_you_mean(v, others) or f"its columns: {', '.join(others)}")]
    applied: list[dict] = []
    attrs = df.attrs
    if src.columns:
        df = df.rename(columns={v: k for k, v in src.columns.items()})
        applied += [{"kind": "column", "column": k, "from": v} for k, v in src.columns.items()]
    if src.row_number is not None:
        df = df.assign(**{src.row_number: pd.Series(range(1, len(df) + 1), index=df.index, dtype="int64")})
        applied.append({"kind": "row_number", "column": src.row_number})
    if src.missing:
        for col in [c for c in df.columns if c in table.columns]:
            s = df[col]
            if pd.api.types.is_numeric_dtype(s.dtype):
                continue
            hit = s.isin(src.missing).fillna(False).to_numpy(dtype=bool)
            if hit.any():
                df = df.assign(**{col: s.astype(object).where(~hit, None)})
                applied.append({"kind": "missing", "column": col, "from": ", ".join(src.missing),
                                "rows": int(hit.sum())})
    for col, mapping in src.values.items():
        if col not in df.columns:
            continue
        s = df[col]
        text = s.astype("string").str.strip()
        hits = {}
        out = s.astype(object)
        for given, to in mapping.items():
            mask = (text == str(given)).fillna(False).to_numpy(dtype=bool)
            hits[str(given)] = int(mask.sum())
            out.loc[mask] = None if to is None else to
        df = df.assign(**{col: out})
        applied.append({"kind": "values", "column": col,
                        "map": [{"from": g, "to": None if t is None else str(t), "rows": hits[str(g)]}
                                for g, t in mapping.items()]})
    for col, unit_name in src.units.items():
        if col not in df.columns:
            continue
        declared = table.columns[col].type.unit
        assert declared is not None  # check() refused a source unit for a column without one
        unit = units.parse(unit_name)
        factor, offset = units.conversion(unit, declared)
        s = df[col]
        num = pd.to_numeric(s, errors="coerce").astype("float64")
        if unit.dimension_name().endswith("money") and not pd.api.types.is_numeric_dtype(s.dtype):
            num = num.where(num.notna(), _money(s))
        scaled = num * factor + offset if offset else num * factor
        # a cell that is not a number stays as written, for the column check to name it
        df = df.assign(**{col: scaled.astype(object).where(num.notna(), s) if num.isna().any() else scaled})
        applied.append({"kind": "unit", "column": col, "from": unit.name or unit_name, "to": declared.name,
                        "factor": round(factor, 12), **({"offset": round(offset, 12)} if offset else {})})
    df.attrs = attrs
    return df, applied, []


def _money(s: pd.Series) -> pd.Series:
    """Amounts written for people (`$80,000.00`, `(1,200)`) as numbers; other text stays missing."""
    text = s.astype("string")
    ok = text.str.match(_MONEY).fillna(False).astype(bool)
    clean = text.where(ok).str.replace(r"[\s$£€¥,]", "", regex=True)
    negative = clean.str.startswith("(") | clean.str.startswith("-")
    value = pd.to_numeric(clean.str.replace(r"[()\-]", "", regex=True), errors="coerce").astype("float64")
    return value.where(~negative.fillna(False).astype(bool), -value)


def describe(table: str, file: str, decoded: Decoded | None, applied: list[dict]) -> dict:
    """One table's entry in the report's `sources`."""
    return {"table": table, "file": file,
            "encoding": _SHOWN.get(decoded.encoding, decoded.encoding) if decoded else None,
            "encoding_chosen_by": decoded.chosen_by if decoded else None,
            "mappings": applied}
