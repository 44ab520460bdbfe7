"""Reading and validating the tables of a plan package, column by column.

Each declared column is converted to its type with whole-column operations;
the rows that do not convert, break a range, repeat a key or hold an unknown
enum value are reported with the file, the row and the column.
"""

from __future__ import annotations

import csv
import functools
import io
import re
import stat
import warnings
import zipfile
from collections.abc import Callable, Hashable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from .. import cache
from .. import units as U
from ..diagnostics import Diagnostic, Span, did_you_mean
from ..inputs import LIMITS, check_file, read_file, zip_problem
from ..model import BOOL, DATE, ENUM, GEOMETRY, INTEGER, NUMBER, TEXT, Table
from . import geo
from . import source as mapping
from .source import Source
from .yamlread import read_document

MAX_ROWS_SHOWN = 5
# whole cells that pyarrow's float parser accepts but a plan may not hold: nan, inf, 1_000, 0x10
_LENIENT = re.compile(rb"(?im)(?:^|,)[ \t\"]*[-+]?(?:nan|inf|infinity|[0-9][0-9_]*_[0-9]+|0x[0-9a-f]+)"
                      rb"[ \t\"]*(?:,|\r?$)")
# a number in a table cell: ASCII digits only (no `_`, `0x`, full-width or other scripts' digits); inf and nan are
# recognised so that they can be refused by name
_NUMBER = re.compile(r"[-+]?(?:(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?|inf|infinity|nan)", re.I)
_TRUE = {"true", "yes", "y", "1", "t"}
_FALSE = {"false", "no", "n", "0", "f"}


def _read_csv(data: bytes, display: str, table: Table, text_cols: list[str]) -> pd.DataFrame | Diagnostic:
    """A CSV table (``data``: its text as UTF-8), parsed once when it is well formed.

    pyarrow parses valid files in one pass and refuses rows with too few or too many fields (pandas'
    C parser would pad a short row with empty cells, read as missing data). When it refuses anything,
    the slower path finds the header or line at fault, or reads the file so that the column checks can
    name the row and column of each bad value. Only an empty cell is missing: "NA" or "None" are text.
    """
    header = [h.strip() for h in next(csv.reader(_lines(data)), [])]
    if len(header) > LIMITS["table_columns"]:  # before any parser sees it: 10^5 columns take minutes
        return Diagnostic("table-format", f"the header has {len(header)} columns; the limit is "
                          f"{LIMITS['table_columns']}", Span(display, 1),
                          hint="see \"Limits and safety\" in the README")
    repeated = _repeated_column(header, display)
    if repeated is not None:
        return repeated
    declared = {c.name: ("float64" if c.type.kind in (NUMBER, INTEGER) else str)
                for c in table.columns.values() if c.name in header}
    if _LENIENT.search(data):  # a cell pyarrow would read as a number but nbscheck refuses: the careful path
        declared = {}
    try:
        if not declared:
            raise ValueError("read by the careful path")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return pd.read_csv(io.BytesIO(data), engine="pyarrow", dtype=declared, keep_default_na=False,
                               na_values=[""], encoding="utf-8-sig")
    except Exception:  # pyarrow's refusals vary in type; the careful path below explains them
        pass
    problem = _csv_structure(data, display)
    if problem is not None:
        return problem
    with warnings.catch_warnings():
        warnings.simplefilter("error", pd.errors.ParserWarning)
        return pd.read_csv(io.BytesIO(data), dtype=str if not declared else {c: str for c in text_cols},
                           keep_default_na=False,
                           na_values=[""], skipinitialspace=True, encoding="utf-8-sig", index_col=False)


def _lines(data: bytes):
    return io.TextIOWrapper(io.BytesIO(data), encoding="utf-8-sig", newline="")


def _csv_structure(data: bytes, display: str) -> Diagnostic | None:
    """A repeated header name, or the first row whose number of fields differs from the header's.

    pandas fills a short row with empty cells, which would read as missing data: check first.
    """
    reader = csv.reader(_lines(data))
    header = [h.strip() for h in next(reader, [])]
    repeated = _repeated_column(header, display)
    if repeated is not None:
        return repeated
    width = len(header)
    for row in reader:
        if len(row) != width and row:
            return Diagnostic("table-format", f"line {reader.line_num} has {len(row)} fields, the header has "
                              f"{width}", Span(display, reader.line_num),
                              hint="quote values that contain commas, and check for a missing or extra comma")
    return None


def _repeated_column(header: list[str], display: str) -> Diagnostic | None:
    if len(set(header)) == len(header):
        return None
    dupes = sorted({n for n in header if header.count(n) > 1})
    return Diagnostic("duplicate-column", f"column `{dupes[0]}` appears twice in the header",
                      Span(display, 1), hint="each column needs its own name")


Read = pd.DataFrame | Diagnostic | list[Diagnostic]


def _read_csv_file(path: Path, display: str, table: Table, text_cols: list[str], source: Source) -> Read:
    """A CSV file in its declared (or detected) encoding; what was decoded travels in ``attrs["decoded"]``."""
    decoded, problems = mapping.decode(path.read_bytes(), display, source.encoding)
    if decoded is None:
        return problems
    df = _read_csv(decoded.data, display, table, text_cols)
    if isinstance(df, pd.DataFrame):
        df.attrs["decoded"] = decoded
    return df


def _read_parquet(path: Path, display: str, table: Table, text_cols: list[str], source: Source) -> Read:
    return pd.read_parquet(path)


def _read_xlsx(path: Path, display: str, table: Table, text_cols: list[str], source: Source) -> Read:
    """The sheet named like the table, else the first; a workbook is a zip, checked like one first."""
    with zipfile.ZipFile(path) as zf:
        problem = zip_problem(zf.infolist(), display, what="the workbook")
    if problem is not None:
        return problem
    with pd.ExcelFile(path, engine="openpyxl") as book:
        sheets = [str(s) for s in book.sheet_names]
    sheet = table.name if table.name in sheets else sheets[0]
    df = pd.read_excel(path, sheet_name=sheet, dtype={c: str for c in text_cols}, engine="openpyxl",
                       keep_default_na=False, na_values=[""])
    if sheet != table.name and len(sheets) > 1:
        df.attrs["display"] = f"{display} (sheet {sheet})"
    return df


def _read_json(path: Path, display: str, table: Table, text_cols: list[str], source: Source) -> Read:
    """A list of row objects (or ``{"rows": [...]}``), read by the same careful reader as plan.json."""
    data = read_file(path, display, limit="json_table_bytes", what="a table")
    if isinstance(data, Diagnostic):
        return data
    rows, _, diags = read_document(data.decode("utf-8-sig"), display, code="table-format", lines=False)
    if diags:
        return diags
    if isinstance(rows, dict) and "rows" in rows:
        rows = rows["rows"]
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        return Diagnostic("table-format", "a JSON table is a list of objects, one per row", Span(display),
                          hint='[{"id": "W-1", "area_ha": 2.5}, ...]')
    return pd.DataFrame.from_records(rows)


@dataclass(frozen=True)
class TableType:
    """A plain table file type: how to read it into a frame of raw cells, and what limits its size.

    Geodata layers (engine.plan.geo) are recognised before these, by suffix or content.
    """

    suffix: str  # lower case, with the dot
    read: Callable[[Path, str, Table, list[str], Source], Read]  # (path, display, table, text columns, source)
    limit: str  # the entry of engine.inputs.LIMITS that caps the file's size
    rows_are_lines: bool  # data row 1 is line 2 of the file, so findings can name a line
    name: str


TABLE_TYPES: dict[str, TableType] = {}


def register(t: TableType) -> None:
    """Add a table file type (one entry per suffix)."""
    TABLE_TYPES[t.suffix] = t


for _t in (TableType(".csv", _read_csv_file, "table_file_bytes", True, "CSV"),
           TableType(".parquet", _read_parquet, "table_file_bytes", False, "Parquet"),
           TableType(".xlsx", _read_xlsx, "xlsx_table_bytes", True, "XLSX"),
           TableType(".json", _read_json, "json_table_bytes", False, "JSON")):
    register(_t)


def readers() -> tuple[str, ...]:
    """The suffixes of every table file type, plain and geodata."""
    return (*TABLE_TYPES, *geo.FORMATS)


def first_data_line(path: Path | str) -> int | None:
    """The file line (1-based) of data row 1, where rows are lines."""
    t = TABLE_TYPES.get(Path(path).suffix.lower())
    return 2 if t is not None and t.rows_are_lines else None


CACHED_TABLE_BYTES = 8 << 20  # a table file up to this size is read through the cache


def read_table_cached(path: Path, display: str, table: Table, source: Source, repair: bool = False,
                      plan_crs=None, units: U.UnitSystem = U.DEFAULT) -> tuple[pd.DataFrame | None, list[Diagnostic]]:
    """:func:`read_table`, or its result from the cache (:func:`engine.cache.table`) when this file, declared and
    mapped the same way, was read cleanly before: for a regular file of at most ``CACHED_TABLE_BYTES`` that is
    not geodata (a large table or a layer is read each time). The table is stored only if the file was not
    written to between the bytes read for the key and the end of its reading (its modification time, size and
    inode unchanged), so a file saved during the check is not stored under its old bytes."""
    def read() -> tuple[pd.DataFrame | None, list[Diagnostic]]:
        return read_table(path, display, table, source, repair, plan_crs, units)

    kind = TABLE_TYPES.get(path.suffix.lower())
    if kind is None or cache.folder() is None:
        return read()
    try:
        st = path.stat()
        if not stat.S_ISREG(st.st_mode) or st.st_size > CACHED_TABLE_BYTES or geo.format_of(path) is not None:
            return read()
    except OSError:  # read_table says what stops it
        return read()
    data = read_file(path, display, limit="table_file_bytes", what="a table")
    if isinstance(data, Diagnostic) or len(data) > CACHED_TABLE_BYTES:  # changed since the stat above
        return read()

    def unchanged() -> bool:  # not written to since the stat taken before its bytes were read for the key
        try:
            now = path.stat()
        except OSError:
            return False
        return (now.st_mtime_ns, now.st_size, now.st_ino, now.st_dev) == (st.st_mtime_ns, st.st_size, st.st_ino,
                                                                          st.st_dev)

    reader = f"{kind.read.__module__}.{kind.read.__qualname__}"
    return cache.table([data, display, repr(table), repr(source), repr(repair), repr(plan_crs), repr(units.defs),
                        reader, repr(sorted(LIMITS.items()))], read, unchanged)


def read_table(path: Path, display: str, table: Table, source: Source | None = None,
               repair: bool = False, plan_crs=None,
               units: U.UnitSystem = U.DEFAULT) -> tuple[pd.DataFrame | None, list[Diagnostic]]:
    """A table's typed columns; a layer's geometry travels as a :class:`geo.Layer` in ``frame.attrs["layer"]``,
    and the encoding and mappings applied (for the report) in ``frame.attrs["source"]``."""
    source = source or Source(str(path))
    suffix = path.suffix.lower()
    kind = TABLE_TYPES.get(suffix)
    if kind is None and suffix not in geo.FORMATS:
        return None, [Diagnostic("table-format", f"cannot read `{path.suffix}` files",
                                 Span(display), hint=f"use one of {', '.join(readers())}")]
    problem = check_file(path, display, limit=kind.limit if kind else "table_file_bytes", what="a table")
    if problem is not None:
        return None, [problem]
    text_cols = [c.name for c in table.columns.values() if c.type.kind not in (NUMBER, INTEGER)]
    try:
        fmt = geo.format_of(path)
        if fmt is not None:
            df, display, problems = geo.read_layer(path, display, table, source, fmt)
            if problems:
                return None, problems
        else:
            assert kind is not None  # format_of names every geodata suffix
            df = kind.read(path, display, table, text_cols, source)
            if isinstance(df, Diagnostic | list):
                return None, df if isinstance(df, list) else [df]
            display = df.attrs.pop("display", display)
    except UnicodeDecodeError as e:
        return None, [Diagnostic("table-format", f"not UTF-8 text ({e.reason} at byte {e.start})", Span(display),
                                 hint="save the table as UTF-8 CSV")]
    except pd.errors.EmptyDataError:
        if table.optional:
            return empty_table(table), []
        return None, [Diagnostic("table-empty", f"table `{table.name}` is empty", Span(display),
                                 hint="a table needs a header line and at least one row")]
    except (pd.errors.ParserError, ValueError, OSError, zipfile.BadZipFile) as e:
        msg = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        return None, [Diagnostic("table-format", f"cannot read table `{table.name}`: {msg}", Span(display))]
    except RecursionError:
        return None, [Diagnostic("table-format", f"cannot read table `{table.name}`: it nests too deeply",
                                 Span(display))]
    except Exception as e:  # openpyxl and pyarrow raise their own types for corrupt files
        return None, [Diagnostic("table-format", f"cannot read table `{table.name}`: {type(e).__name__}: {e}",
                                 Span(display))]
    if len(df.columns) > LIMITS["table_columns"]:
        return None, [Diagnostic("table-format", f"table `{table.name}` has {len(df.columns)} columns; the limit "
                                 f"is {LIMITS['table_columns']}", Span(display, 1 if first_data_line(path) else 0),
                                 hint="see \"Limits and safety\" in the README")]
    decoded = df.attrs.pop("decoded", None)
    layer_crs = df.attrs.get("crs")
    df.columns = [str(c).strip() for c in df.columns]
    if len(df) == 0:
        if table.optional:
            return empty_table(table), []
        return None, [Diagnostic("table-empty", f"table `{table.name}` has no rows", Span(display, 1),
                                 hint="a table needs at least one row (or the standard may declare it optional)")]
    df.index = pd.RangeIndex(1, len(df) + 1)
    first_line = None if fmt is not None else first_data_line(path)
    df, applied, problems = mapping.apply(df, source, table, display, first_line, units)
    if problems:
        return None, problems
    shapes = [c for c in table.columns.values() if c.type.kind == GEOMETRY]
    shape = shapes[0] if shapes else None  # the layer's own geometry; further geometry columns are WKT
    if fmt is None:
        wkt = source.geometry or (shape.name if shape is not None and shape.name in df.columns else None)
        if wkt is not None:
            if wkt not in df.columns:
                return None, [Diagnostic("missing-column", f"table `{table.name}` has no WKT column `{wkt}`",
                                         Span(display, 1 if first_line else 0), hint=did_you_mean(wkt, df.columns))]
            geoms, problems = geo.wkt_column(df, wkt, display, first_line)
            if problems:
                return None, problems
            df[geo.LAYER] = geoms
            fmt, layer_crs = "WKT column", None
    if shape is not None and geo.LAYER not in df.columns and not shape.optional:
        return None, [Diagnostic("missing-column", f"table `{table.name}` has no geometry (`{shape.name}`)",
                                 Span(display, 1 if first_line else 0),
                                 hint="give the table as a layer (GeoPackage, GeoJSON, Shapefile, GeoParquet) or "
                                 f"add a `{shape.name}` column of WKT shapes")]
    frame, problems = _typed(df, display, table, first_line)
    if frame is not None and (applied or (decoded is not None and decoded.chosen_by != "default")):
        # how the text was decoded, for the report; not the decoded text itself, which would double the table's memory
        frame.attrs["source"] = {"decoded": decoded and replace(decoded, data=b""), "mappings": applied}
    if frame is not None and shape is not None and geo.LAYER not in df.columns:  # optional, and not given
        frame[shape.name] = pd.Series(None, index=frame.index, dtype=object)
    if frame is None:
        return frame, problems
    extra, problems = _more_shapes(df, frame, table, shapes[1:], display, first_line, repair)
    if problems:
        return None, problems
    if geo.LAYER not in df.columns:
        if shape is not None and any(v.notna().any() for v, _ in extra.values()):
            return None, [Diagnostic("missing-column", f"table `{table.name}` has no `{shape.name}` shapes, but "
                                     f"other geometry columns ({', '.join(extra)})", Span(display),
                                     hint=f"`{shape.name}` is the table's own geometry: give the table as a layer "
                                     f"or add a `{shape.name}` column of WKT shapes")]
        for name in extra:
            frame[name] = pd.Series(None, index=frame.index, dtype=object)
        return frame, []
    crs = layer_crs if layer_crs is not None else (geo.parse_crs(source.crs or plan_crs) if (source.crs or plan_crs)
                                                   else None)
    geoms, repairs, problems = geo.check_geometry(df[geo.LAYER], frame[table.key], table.key, display,
                                                  shape.type.values[0] if shape is not None else None,
                                                  shape is not None and shape.optional, repair)
    if problems:
        return None, problems
    for name, (_, fixed) in extra.items():
        repairs += [{**r, "column": name} for r in fixed]
    assert fmt is not None  # the shapes came from a layer or a WKT column
    frame.attrs["layer"] = geo.Layer(table.name, display, source.layer, fmt, crs, geoms,
                                     shape.name if shape is not None else None, repairs,
                                     {name: values for name, (values, _) in extra.items()})
    return frame, []


def _more_shapes(df: pd.DataFrame, frame: pd.DataFrame, table: Table, columns: list, display: str,
                 first_line: int | None, repair: bool) -> tuple[dict, list[Diagnostic]]:
    """A table's geometry columns after the first: WKT text in the table (a CSV column, a layer's attribute),
    checked like the layer's own shapes and in its CRS. Returns {column: (shapes, repairs)} and problems."""
    out: dict[str, tuple[pd.Series, list[dict]]] = {}
    diags: list[Diagnostic] = []
    for col in columns:
        if col.name not in df.columns:
            if not col.optional:
                diags.append(Diagnostic("missing-column", f"table `{table.name}` has no column `{col.name}` "
                                        f"({col.type.describe()}, as WKT)", Span(display, 1 if first_line else 0),
                                        hint=did_you_mean(col.name, [c for c in df.columns if c not in table.columns])
                                        or f"add a column `{col.name}` of WKT shapes"))
            out[col.name] = (pd.Series(None, index=frame.index, dtype=object), [])
            continue
        geoms, problems = geo.wkt_column(df, col.name, display, first_line)
        if not problems:
            shown = f"{display}, column `{col.name}`"
            geoms, fixed, problems = geo.check_geometry(geoms, frame[table.key], table.key, shown,
                                                        col.type.values[0], col.optional, repair)
            out[col.name] = (geoms, fixed)
        diags += problems
    return out, diags


def _where(display: str, first_line: int | None, row: int) -> Span:
    return Span(display, row + first_line - 1) if first_line else Span(display)


def _rows_problem(code, display, first_line, column, rows: pd.Index, values, what, hint=None) -> list[Diagnostic]:
    out = []
    for r, v in list(zip(rows, values))[:MAX_ROWS_SHOWN]:
        shown = "" if v is None or (isinstance(v, float) and np.isnan(v)) else f" `{v}`"
        out.append(Diagnostic(code, f"row {r}, column `{column}`:{shown} {what}", _where(display, first_line, r),
                              hint=hint))
    if len(rows) > MAX_ROWS_SHOWN:
        out.append(Diagnostic(code, f"column `{column}`: {len(rows) - MAX_ROWS_SHOWN} more rows {what}",
                              _where(display, first_line, rows[MAX_ROWS_SHOWN]), hint=hint))
    return out


def _typed(df: pd.DataFrame, display: str, table: Table, first_line: int | None):
    diags: list[Diagnostic] = []
    out: dict[str, pd.Series] = {}
    for col in table.columns.values():
        if col.type.kind == GEOMETRY:  # checked as a layer (see geo.check_geometry)
            continue
        if col.name not in df.columns:
            if col.optional:
                out[col.name] = _empty(col.type, df.index)
                continue
            diags.append(Diagnostic("missing-column", f"table `{table.name}` has no column `{col.name}`",
                                    Span(display, 1 if first_line else 0),
                                    hint=did_you_mean(col.name, [c for c in df.columns if c not in table.columns])
                                    or f"add a `{col.name}` column ({col.type.describe()})"))
            continue
        series, problems = _convert(df[col.name], col, display, first_line)
        diags += problems
        out[col.name] = series
    if table.key not in out:  # keys are checked with the other columns' problems, when there is a key column
        return None, diags
    frame = pd.DataFrame(out, index=df.index)
    key = frame[table.key]
    nulls = key.isna()
    if nulls.any():
        diags += _rows_problem("missing-key", display, first_line, table.key, key.index[nulls],
                               [None] * int(nulls.sum()), "is empty; every row needs a key")
    dupes = None if _unique(key) else key.duplicated(keep="first") & ~nulls
    if dupes is not None and dupes.any():
        firsts: dict[Hashable, Hashable] = {}  # key -> the row of its first use
        for r, v in key[key.duplicated(keep=False) & ~nulls].items():
            firsts.setdefault(v, r)
        rows = key.index[dupes]
        diags += _rows_problem("duplicate-key", display, first_line, table.key, rows, key[dupes].tolist(),
                               "repeats a key", hint="keys are unique; the first use is row "
                               f"{firsts[key[dupes].iloc[0]]}")
    return (None, diags) if diags else (frame, [])


def _unique(key: pd.Series) -> bool:
    """No key given twice (empty keys aside): one hash-table pass; only then are the repeats looked for."""
    try:
        return bool(pd.Index(key.dropna()).is_unique)
    except TypeError:  # unhashable cells
        return False


def empty_table(table: Table) -> pd.DataFrame:
    """An optional table the plan leaves out or leaves empty: its columns, no rows."""
    index = pd.RangeIndex(1, 1)
    return pd.DataFrame({c.name: _empty(c.type, index) for c in table.columns.values()}, index=index)


def _empty(t, index) -> pd.Series:
    if t.kind == ENUM:
        return pd.Series(pd.Categorical([None] * len(index), dtype=_enum_dtype(tuple(t.values))), index=index)
    if t.kind == BOOL:
        return pd.Series(pd.NA, index=index, dtype="boolean")
    if t.kind == DATE:
        return pd.Series(pd.NaT, index=index, dtype="datetime64[ns]")
    if t.kind in (NUMBER, INTEGER):
        return pd.Series(np.nan, index=index, dtype="float64")
    return pd.Series(None, index=index, dtype=object)


def _dictionary(s: pd.Series) -> tuple[np.ndarray, list] | None:
    """A text column as codes (-1: an empty cell) and the distinct values they number: as read (Parquet's
    dictionary columns), or from Arrow's dictionary encoding, so cleaning and checking an enum's values is
    done once per distinct value, not per row; None for a column of mixed cells (JSON, XLSX)."""
    import pyarrow as pa

    if isinstance(s.dtype, pd.CategoricalDtype):
        if not pd.api.types.is_string_dtype(s.cat.categories.dtype):
            return None
        return s.cat.codes.to_numpy(), list(s.cat.categories)
    if not pd.api.types.is_string_dtype(s.dtype) or s.dtype == object:
        return None
    arr = pa.array(s, from_pandas=True)
    if isinstance(arr, pa.ChunkedArray):  # an Arrow-backed column read in several pieces
        arr = arr.combine_chunks()
    d = arr.dictionary_encode()
    return d.indices.fill_null(-1).to_numpy(zero_copy_only=False), d.dictionary.to_pylist()


@functools.lru_cache(maxsize=256)
def _enum_dtype(values: tuple[str, ...]) -> pd.CategoricalDtype:
    """An enum's column type, made once per run: validating the categories costs more than coding a column."""
    return pd.CategoricalDtype(list(values), ordered=True)


def _enum(s: pd.Series, col, display, first_line) -> tuple[pd.Series, list[Diagnostic]] | None:
    """An enum column from its dictionary: each distinct text stripped and looked up once, rows mapped by code."""
    t = col.type
    coded = _dictionary(s)
    if coded is None:
        return None
    cat_codes, categories = coded
    texts = [str(c).strip() for c in categories]
    allowed = {v: i for i, v in enumerate(t.values)}
    # per category: its code among the enum's values; -1 for an empty cell, -2 for a value not allowed
    recode = np.array([allowed.get(x, -1 if x == "" else -2) for x in texts] + [-1], dtype=np.int64)
    codes = recode[cat_codes]
    bad = codes == -2
    codes[bad] = -1
    out = pd.Series(pd.Categorical.from_codes(codes, dtype=_enum_dtype(tuple(t.values))),
                    index=s.index)
    diags: list[Diagnostic] = []
    if bad.any():
        shown = np.array(texts + [""], dtype=object)[cat_codes[bad]].tolist()
        hint = did_you_mean(str(shown[0]), t.values) or f"allowed: {', '.join(t.values)}"
        diags += _rows_problem("unknown-enum-value", display, first_line, col.name, s.index[bad], shown,
                               f"is not one of {', '.join(t.values)}", hint)
    return out, diags


_BOUNDS = {">=": np.greater_equal, ">": np.greater, "<=": np.less_equal, "<": np.less}


def _as_read(s: pd.Series, col) -> pd.Series | None:
    """The column as :func:`_convert` would make it, when that is a cheap check away; else None.

    pyarrow reads a well-formed CSV's number columns as float64 and its other columns as Arrow strings.
    A number column with no infinite, fractional (for an integer) or out-of-range value is already what
    the general path would make of it, and so is a text column with no cell to strip and none empty; a
    bool column is decided once per distinct text. The general path's two dozen whole-column pandas
    operations each have a fixed cost above the work on a small table; these checks are a few NumPy and
    Arrow calls. Anything else, including every value that needs a diagnostic, takes the general path.
    """
    t = col.type
    if t.kind in (NUMBER, INTEGER):
        if s.dtype != np.float64:
            return None
        values = s.to_numpy()
        given = values[~np.isnan(values)]
        ok = bool(np.isfinite(given).all()) and not (t.kind == INTEGER and bool((given % 1 != 0).any()))
        return s if ok and all(bool(_BOUNDS[op](given, v).all()) for op, v in col.constraints) else None
    if t.kind not in (TEXT, BOOL) or not isinstance(s.dtype, pd.StringDtype) or s.dtype.storage != "pyarrow":
        return None
    import pyarrow as pa
    import pyarrow.compute as pc

    if t.kind == TEXT:  # as pandas' str.strip on Arrow strings: utf8_trim_whitespace
        arr = pa.array(s.array)
        if isinstance(arr, pa.ChunkedArray):
            arr = arr.combine_chunks()
        same = pc.all(pc.equal(pc.utf8_trim_whitespace(arr), arr)).as_py() is not False
        return s if same and pc.any(pc.equal(arr, "")).as_py() is not True else None
    coded = _dictionary(s)  # bool: each distinct text stripped and lowered as pandas would, once
    if coded is None:
        return None
    codes, texts = coded
    words = pc.utf8_lower(pc.utf8_trim_whitespace(pa.array(texts, pa.string()))).to_pylist()
    if any(w not in _TRUE and w not in _FALSE and w != "" for w in words):
        return None
    # code -1 (an empty cell) takes the last entry: false and missing
    values = np.array([w in _TRUE for w in words] + [False])[codes]
    missing = np.array([w not in _TRUE and w not in _FALSE for w in words] + [True])[codes]
    return pd.Series(pd.arrays.BooleanArray(values, missing), index=s.index)


def _convert(s: pd.Series, col, display, first_line) -> tuple[pd.Series, list[Diagnostic]]:
    t = col.type
    done = _as_read(s, col)
    if done is not None:
        return done, []
    if t.kind == ENUM:
        enum = _enum(s, col, display, first_line)
        if enum is not None:
            return enum
    given = s.notna()
    if pd.api.types.is_string_dtype(s.dtype) and s.dtype != object:
        s = s.str.strip()
        given = given & (s != "")
        s = s.where(given)
    elif s.dtype == object:  # JSON and XLSX cells of mixed types: strip only the text ones
        s = s.map(lambda v: v.strip() if isinstance(v, str) else v)
        given = given & (s != "")
        s = s.where(given)
    diags: list[Diagnostic] = []
    if t.kind in (NUMBER, INTEGER):
        if s.dtype == bool:
            s = s.astype("float64")
        if pd.api.types.is_string_dtype(s.dtype) and s.dtype != object:
            plain = s.str.fullmatch(_NUMBER).fillna(True).astype(bool)
        elif s.dtype == object:
            plain = s.map(lambda v: bool(_NUMBER.fullmatch(v)) if isinstance(v, str) else not isinstance(v, bool))
        else:
            plain = pd.Series(True, index=s.index)
        num = pd.to_numeric(s.where(plain), errors="coerce").astype("float64")
        bad = given & ~plain
        if bad.any():
            diags += _rows_problem("bad-value", display, first_line, col.name, s.index[bad], s[bad].tolist(),
                                   "is not a number", "write plain numbers: digits 0-9, `.` for decimals, no "
                                   "`_`, `0x` or other separators")
        infinite = given & plain & ~np.isfinite(num)
        if infinite.any():
            rows = s.index[infinite]
            diags += _rows_problem("bad-value", display, first_line, col.name, rows, s[rows].tolist(),
                                   "is not a finite number", "leave the cell empty for missing data")
        num = num.where(np.isfinite(num))
        if t.kind == INTEGER:
            frac = num.notna() & (num % 1 != 0)
            if frac.any():
                diags += _rows_problem("bad-value", display, first_line, col.name, s.index[frac],
                                       num[frac].tolist(), "is not a whole number")
        for op, v in col.constraints:
            ok = _BOUNDS[op](num, v)
            bad = num.notna() & ~ok
            if bad.any():
                unit = f" {t.unit.name}" if t.unit is not None and t.unit.name else ""
                diags += _rows_problem("out-of-range", display, first_line, col.name, s.index[bad],
                                       num[bad].tolist(), f"breaks `{op} {v:g}{unit}`")
        return num, diags
    if t.kind == ENUM:
        bad = given & ~s.isin(list(t.values))
        cat = pd.Categorical(s.where(~bad), categories=list(t.values), ordered=True)
        out = pd.Series(cat, index=s.index)
        if bad.any():
            first_bad = str(s[bad].iloc[0])
            hint = did_you_mean(first_bad, t.values) or f"allowed: {', '.join(t.values)}"
            diags += _rows_problem("unknown-enum-value", display, first_line, col.name, s.index[bad],
                                   s[bad].tolist(), f"is not one of {', '.join(t.values)}", hint)
        return out, diags
    if t.kind == BOOL:
        if s.dtype == bool or str(s.dtype) == "boolean":
            return s.astype("boolean"), diags
        if pd.api.types.is_numeric_dtype(s.dtype):  # 1.0 / 0.0, as pandas writes a bool column with gaps
            s = s.map(lambda v: v if v != v else (str(int(v)) if float(v).is_integer() else str(v)))
        low = s.astype(str).str.lower().where(given)
        out = pd.Series(pd.NA, index=s.index, dtype="boolean")
        out[low.isin(_TRUE)] = True
        out[low.isin(_FALSE)] = False
        bad = out.isna() & given
        if bad.any():
            diags += _rows_problem("bad-value", display, first_line, col.name, s.index[bad], s[bad].tolist(),
                                   "is not true or false", "write true/false, yes/no or 1/0")
        return out, diags
    if t.kind == DATE:
        # times with offsets are read in UTC so mixed offsets compare; the date is what rules use
        out = pd.to_datetime(s, errors="coerce", format="ISO8601", utc=True).dt.tz_localize(None)
        out = out.astype("datetime64[ns]")
        bad = out.isna() & given
        if bad.any():
            diags += _rows_problem("bad-value", display, first_line, col.name, s.index[bad], s[bad].tolist(),
                                   "is not a date", "write dates as YYYY-MM-DD")
        return out, diags
    if not pd.api.types.is_string_dtype(s.dtype) or s.dtype == object:
        s = s.astype("str")
    return s.where(given), diags
