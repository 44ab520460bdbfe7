"""Geodata layers: reading, coordinate reference systems and geometry checks.

A table of a plan may be a GIS layer: a GeoPackage layer, a GeoJSON file (``.geojson``, or a
FeatureCollection in ``.json``), a Shapefile (``.shp`` or zipped), GeoParquet, or a CSV/XLSX
table with a WKT column. Its attribute columns are validated like any table's; its geometry is
checked here (present, finite, of the declared kind, valid, inside the CRS's area of use) and
reprojected to the one working CRS every area and distance is measured in.

>>> metric_problem(pyproj.CRS.from_user_input("EPSG:27700")) is None
True
>>> metric_problem(pyproj.CRS.from_user_input("EPSG:4326"))
'geographic (degrees)'
"""

from __future__ import annotations

import json
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..diagnostics import Diagnostic, Span, did_you_mean
from ..model import Standard, Table
from ..resources import LazyModule
from .source import Source

if TYPE_CHECKING:
    import pyproj
    import shapely
    from geopandas import GeoSeries
else:  # imported when a plan has geodata
    pyproj, shapely = LazyModule("pyproj"), LazyModule("shapely")

FORMATS = {".gpkg": "GeoPackage", ".geojson": "GeoJSON", ".shp": "Shapefile", ".zip": "zipped Shapefile",
           ".fgb": "FlatGeobuf"}
LAYER = "@geometry"  # the column a layer's geometry travels in between reading a table and the plan
MAX_VERTICES = 250_000  # per feature: beyond this a shape is refused (simplify it first)
MAX_SHOWN = 5
WGS84 = "EPSG:4326"  # longitude, latitude (pyproj and geopandas take the code)
_FAMILY = {"Point": "point", "MultiPoint": "point", "LineString": "line", "MultiLineString": "line",
           "LinearRing": "line", "Polygon": "polygon", "MultiPolygon": "polygon"}


@dataclass
class Layer:
    """The geometry of one table, row for row (index = the table's rows)."""

    table: str
    file: str
    layer: str | None
    format: str
    source_crs: pyproj.CRS | None  # None when neither the file nor plan.yaml states one (finish refuses it)
    # the shapes: an object Series in the source CRS while loading, then (finish) a GeoSeries in the working CRS
    geometry: GeoSeries
    column: str | None  # the declared geometry column, if any
    repairs: list[dict] = field(default_factory=list)
    extra: dict[str, GeoSeries] = field(default_factory=dict)  # further geometry columns (WKT), reprojected alike

    def describe(self) -> dict:
        assert self.source_crs is not None  # finish refuses a layer without one before describing it
        kinds = sorted({_FAMILY.get(t, t) for t in self.geometry.geom_type.dropna().unique()})
        return {"table": self.table, "file": self.file, "layer": self.layer, "format": self.format,
                "source_crs": crs_name(self.source_crs), "features": int(len(self.geometry)),
                "geometry": ", ".join(kinds), "repairs": len(self.repairs)}


def crs_name(crs: pyproj.CRS) -> str:
    """``EPSG:27700`` where the CRS has a code, else its name."""
    auth = crs.to_authority(min_confidence=90)
    return f"{auth[0]}:{auth[1]}" if auth else crs.name


def metric_problem(crs: pyproj.CRS) -> str | None:
    """Why a CRS cannot measure areas and distances in metres, or None when it can."""
    if crs.is_geographic:
        return "geographic (degrees)"
    if not crs.is_projected:
        return "not a projected CRS"
    unit = crs.axis_info[0].unit_name if crs.axis_info else ""
    if unit not in ("metre", "meter"):
        return f"in {unit or 'unknown units'}, not metres"
    return None


def parse_crs(text) -> pyproj.CRS | None:
    try:
        return pyproj.CRS.from_user_input(str(text).strip())
    except pyproj.exceptions.CRSError:
        return None


def format_of(path: Path) -> str | None:
    """The geodata format of a table file, or None for a plain table."""
    suffix = path.suffix.lower()
    if suffix in FORMATS:
        return FORMATS[suffix]
    if suffix == ".json":
        with path.open("rb") as fh:
            head = fh.read(4096).decode("utf-8", errors="replace")
        return "GeoJSON" if '"FeatureCollection"' in head or '"Feature"' in head else None
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        try:
            meta = pq.read_schema(path).metadata or {}
        except Exception:  # a corrupt file: the plain Parquet reader names the problem
            return None
        return "GeoParquet" if b"geo" in meta else None
    return None


def read_layer(path: Path, display: str, table: Table, source: Source, fmt: str):
    """The attribute frame (rows 1..n, a `fid` column, the shapes in column LAYER, the CRS in ``attrs``), the
    display name and diagnostics."""
    import pyogrio

    layer = None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if fmt == "GeoParquet":
                import geopandas as gpd

                gdf = gpd.read_parquet(path)
                fids = np.arange(1, len(gdf) + 1)
            else:
                if fmt in ("GeoPackage", "zipped Shapefile"):
                    names = [str(n) for n in pyogrio.list_layers(path)[:, 0]]
                    layer, problem = _pick_layer(names, table, source, display, fmt)
                    if problem is not None:
                        return None, display, [problem]
                    if len(names) > 1 or source.layer:
                        display = f"{display} (layer {layer})"
                gdf = pyogrio.read_dataframe(path, layer=layer, fid_as_index=True)
                fids = gdf.index.to_numpy() if fmt == "GeoPackage" else np.arange(1, len(gdf) + 1)
    except Exception as e:  # GDAL reports corrupt, truncated or unreadable files through several types
        reason, line, column = _located(_first_line(e))
        return None, display, [Diagnostic("table-format", f"cannot read {fmt} `{path.name}`: {reason}",
                                          Span(display, line, column), hint=_format_hint(fmt))]
    geoms = gdf.geometry
    attrs = pd.DataFrame(gdf.drop(columns=[geoms.name]))
    attrs.index = pd.RangeIndex(1, len(attrs) + 1)
    if "fid" not in attrs.columns:
        attrs.insert(0, "fid", fids.astype("int64"))
    attrs[LAYER] = pd.Series(geoms.to_numpy(), index=attrs.index, dtype=object)
    attrs.attrs["crs"] = geoms.crs
    return attrs, display, []


def _pick_layer(names: list[str], table: Table, source: Source, display: str, fmt: str):
    if source.layer is not None:
        if source.layer in names:
            return source.layer, None
        return None, Diagnostic("table-not-found", f"{fmt} `{display}` has no layer `{source.layer}`", Span(display),
                                hint=did_you_mean(source.layer, names) or f"its layers: {', '.join(names)}")
    if len(names) == 1:
        return names[0], None
    if table.name in names:
        return table.name, None
    if not names:
        return None, Diagnostic("table-empty", f"{fmt} `{display}` holds no layers", Span(display))
    return None, Diagnostic("table-not-found", f"{fmt} `{display}` holds {len(names)} layers and none is called "
                            f"`{table.name}`", Span(display),
                            hint=f"name one in plan.yaml: `{table.name}: {{file: ..., layer: {names[0]}}}` "
                            f"(layers: {', '.join(names[:10])})")


def _first_line(e: Exception) -> str:
    text = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    return text.split("; It might help")[0][:300]


_AT = re.compile(r"^(?:(?P<head>.*?);\s*)?At line (?P<line>\d+), character (?P<col>\d+):\s*(?P<reason>.*)$")


def _located(text: str) -> tuple[str, int, int]:
    """GDAL's reason with the line and column it names (a JSON parser's "At line 3, character 18: ...") taken
    out as the location, or the reason as it is and no location.

    >>> _located("Failed to read GeoJSON data; At line 3, character 18: Unterminated string")
    ('Unterminated string', 3, 18)
    >>> _located("not a GeoPackage")
    ('not a GeoPackage', 0, 0)
    """
    m = _AT.match(text)
    if m is None:
        return text, 0, 0
    return m["reason"] or m["head"] or text, int(m["line"]), int(m["col"])


def _format_hint(fmt: str) -> str:
    return {"GeoPackage": "a GeoPackage is an SQLite database: re-export it from your GIS",
            "GeoJSON": "check that the file is complete, valid JSON (a FeatureCollection)",
            "zipped Shapefile": "the zip needs the .shp, .shx and .dbf files of the layer (and .prj for its CRS)",
            "Shapefile": "a Shapefile needs its .shx and .dbf files beside it (and .prj for its CRS)",
            }.get(fmt, "re-export the layer from your GIS")


def wkt_column(raw: pd.DataFrame, column: str, display: str, first_line: int | None):
    """Parse a CSV/XLSX column of WKT text into geometries; rows that are not WKT are diagnostics."""
    from .tables import _rows_problem

    text = raw[column]
    stripped = text.astype(str).str.strip()
    given = (text.notna() & (stripped != "")).to_numpy()
    values = stripped.to_numpy(dtype=object, copy=True)
    values[~given] = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        geoms = shapely.from_wkt(values, on_invalid="ignore")
    bad = given & pd.isna(geoms)
    if bad.any():
        rows = raw.index[bad]
        shown = [str(v)[:40] + ("…" if len(str(v)) > 40 else "") for v in text[bad].tolist()]
        return None, _rows_problem("bad-value", display, first_line, column, rows, shown,
                                   "is not WKT geometry", "write shapes as WKT, e.g. POLYGON ((0 0, 10 0, 10 10, 0 0))")
    return pd.Series(geoms, index=raw.index, dtype=object), []


# ---- geometry checks ---------------------------------------------------------------------------


def _features(display: str, keys: pd.Series, key_name: str, rows, what: str, hint: str | None,
              code: str = "bad-geometry", reasons: list[str] | None = None) -> list[Diagnostic]:
    out = []
    rows = list(rows)
    for i, r in enumerate(rows[:MAX_SHOWN]):
        reason = f": {reasons[i]}" if reasons else ""
        key = _plain_key(keys.loc[r])
        out.append(Diagnostic(code, f"feature {r} ({key_name} `{key}`): {what}{reason}", Span(display), hint=hint))
    if len(rows) > MAX_SHOWN:
        out.append(Diagnostic(code, f"{len(rows) - MAX_SHOWN} more features: {what}", Span(display), hint=hint))
    return out


def check_geometry(geoms: pd.Series, keys: pd.Series, key_name: str, display: str, kind: str | None,
                   optional: bool, repair: bool) -> tuple[pd.Series, list[dict], list[Diagnostic]]:
    """Checks, in order: present and not empty, size, finite coordinates, kind, validity (repaired if allowed)."""
    values = geoms.to_numpy(dtype=object)
    diags: list[Diagnostic] = []
    null = pd.isna(values)
    if null.any() and not optional:
        diags += _features(display, keys, key_name, geoms.index[null], "has no geometry",
                           "every feature needs a shape (or the standard may declare the geometry optional)")
    present = ~null
    empty = np.zeros(len(values), bool)
    empty[present] = shapely.is_empty(values[present])
    if empty.any():
        diags += _features(display, keys, key_name, geoms.index[empty], "has an empty geometry",
                           "delete the feature or draw its shape")
    ok = present & ~empty
    counts = np.zeros(len(values), np.int64)
    counts[ok] = shapely.get_num_coordinates(values[ok])
    big = counts > MAX_VERTICES
    if big.any():
        diags += _features(display, keys, key_name, geoms.index[big],
                           f"has more than {MAX_VERTICES:,} vertices", "simplify it to the precision the plan needs "
                           "(QGIS: Vector ▸ Geometry Tools ▸ Simplify) or split it", code="geometry-too-large")
        ok &= ~big
    coords, which = shapely.get_coordinates(values[ok], include_z=False, return_index=True)
    nonfinite = ~np.isfinite(coords).all(axis=1)
    if nonfinite.any():
        bad = np.zeros(len(values), bool)
        bad[np.flatnonzero(ok)[np.unique(which[nonfinite])]] = True
        diags += _features(display, keys, key_name, geoms.index[bad], "has coordinates that are not finite numbers "
                           "(NaN or infinite)", "fix or delete the feature's broken vertices")
        ok &= ~bad
    types = np.array([None] * len(values), dtype=object)
    types[ok] = shapely.get_type_id(values[ok])
    families = np.array([_family(t) if t is not None else None for t in types], dtype=object)
    if kind is not None:
        wrong = ok & (families != kind)
        if wrong.any():
            found = [f"a {families[i]}" if families[i] != "collection" else "a geometry collection"
                     for i in np.flatnonzero(wrong)]
            diags += _features(display, keys, key_name, geoms.index[wrong], f"is not a {kind}",
                               f"the standard declares {kind} geometry for this table", reasons=found)
    else:
        seen = {f for f in families[ok] if f is not None}
        if len(seen) > 1 or "collection" in seen:
            counts_by = {f: int((families == f).sum()) for f in sorted(seen)}
            first = {f: geoms.index[np.flatnonzero(families == f)[0]] for f in sorted(seen)}
            text = ", ".join(f"{n} {f} (first: feature {first[f]})" for f, n in counts_by.items())
            diags.append(Diagnostic("bad-geometry", f"mixed geometry types: {text}", Span(display),
                                    hint="one layer holds one kind of shape; split the layer by type"))
    repairs: list[dict] = []
    if diags:
        return geoms, repairs, diags
    valid = np.ones(len(values), bool)
    valid[ok] = shapely.is_valid(values[ok])
    if not valid.all():
        idx = np.flatnonzero(~valid)
        reasons = shapely.is_valid_reason(values[idx]).tolist()
        if not repair:
            diags += _features(display, keys, key_name, geoms.index[idx], "is not a valid shape",
                               "fix it in your GIS (QGIS: Vector ▸ Geometry Tools ▸ Fix Geometries), or let the "
                               "standard repair shapes with `repair \"make_valid\"`", code="invalid-geometry",
                               reasons=reasons)
            return geoms, repairs, diags
        fixed = shapely.make_valid(values[idx])
        if kind is not None:  # make_valid may add lower-dimensional debris: keep the declared kind
            fixed = np.array([_keep_kind(g, kind) for g in fixed], dtype=object)
        values = values.copy()
        values[idx] = fixed
        for i, reason in zip(idx, reasons):
            repairs.append({"feature": int(geoms.index[int(i)]), "key": _plain_key(keys.iloc[i]), "problem": reason})
        geoms = pd.Series(values, index=geoms.index, dtype=object)
    return geoms, repairs, diags


_TYPE_NAMES = {0: "Point", 1: "LineString", 2: "LinearRing", 3: "Polygon", 4: "MultiPoint", 5: "MultiLineString",
               6: "MultiPolygon", 7: "GeometryCollection"}


def _family(type_id: int) -> str:
    """point, line or polygon for shapely's geometry type id; collection for a geometry collection."""
    return _FAMILY.get(_TYPE_NAMES.get(type_id, "GeometryCollection"), "collection")


def _keep_kind(g, kind: str):
    if _FAMILY.get(g.geom_type) == kind:
        return g
    parts = [p for p in getattr(g, "geoms", []) if _FAMILY.get(p.geom_type) == kind]
    if not parts:
        return g
    return shapely.union_all(parts)


def _plain_key(v):
    if isinstance(v, (np.integer, int)):
        return int(v)
    if isinstance(v, (np.floating, float)):
        return int(v) if float(v).is_integer() else float(v)
    return str(v)


# ---- the working CRS -----------------------------------------------------------------------------


def standard_crs(std: Standard) -> tuple[str, pyproj.CRS | None]:
    """The standard's `crs` header: ("metric", None), ("code", CRS) or ("invalid", None)."""
    text = std.attrs.get("crs", "metric").strip()
    if text.lower() == "metric":
        return "metric", None
    crs = parse_crs(f"EPSG:{text}" if text.isdigit() else text)
    return ("code", crs) if crs is not None else ("invalid", None)


def finish(layers: dict[str, Layer], std: Standard, data: dict, pdisp: str, line_of) -> tuple[dict | None,
                                                                                                 list[Diagnostic]]:
    """Settle each layer's CRS, choose the working CRS, reproject, and check areas of use.

    Returns the report's `spatial` summary (None when the plan has no layers) and diagnostics.
    """
    if not layers:
        return None, []
    diags: list[Diagnostic] = []
    stated = [(("crs",), data.get("crs"))] + [(("tables", t, "crs"), Source.of(data["tables"][t]).crs) for t in layers]
    for path, text in stated:
        if text is not None and parse_crs(text) is None:
            diags.append(Diagnostic("unknown-crs", f"`crs: {text}` is not a known coordinate reference system",
                                    Span(pdisp, line_of(path)),
                                    hint="write an EPSG code, e.g. EPSG:4326 or EPSG:27700"))
    if diags:
        return None, diags
    sources: dict[str, pyproj.CRS] = {}  # each layer's CRS, by table
    for lay in layers.values():
        if lay.source_crs is None:
            diags.append(Diagnostic("unknown-crs", f"table `{lay.table}` (`{lay.file}`) states no coordinate reference "
                                    "system", Span(pdisp, line_of(("tables", lay.table))),
                                    hint=f"state it in plan.yaml: `{lay.table}: {{file: {lay.file}, crs: EPSG:...}}`, "
                                    "or `crs: EPSG:...` for every such file"))
        else:
            sources[lay.table] = lay.source_crs
    if diags:
        return None, diags
    _, fixed = standard_crs(std)  # a CRS when the standard names one
    working = data.get("working_crs")
    chosen: pyproj.CRS | None
    if fixed is not None:
        if working is not None and (parse_crs(working) is None or parse_crs(working) != fixed):
            return None, [Diagnostic("plan-crs", f"`working_crs: {working}`: the standard measures in "
                                     f"{crs_name(fixed)}", Span(pdisp, line_of(("working_crs",))),
                                     hint="remove `working_crs`")]
        chosen, by = fixed, "standard"
    elif working is not None:
        chosen, by = parse_crs(working), "plan"
        if chosen is None:
            return None, [Diagnostic("unknown-crs", f"`working_crs: {working}` is not a known CRS",
                                     Span(pdisp, line_of(("working_crs",))),
                                     hint="write an EPSG code such as EPSG:27700 (British National Grid) or "
                                     "EPSG:4547 (CGCS2000 / 3-degree Gauss-Kruger CM 114E)")]
    else:
        found = {crs_name(c): c for c in sources.values()}
        if len(found) == 1 and metric_problem(next(iter(found.values()))) is None:
            chosen, by = next(iter(found.values())), "layers"
        else:
            return None, [_no_working_crs(layers, found, pdisp)]
    problem = metric_problem(chosen)
    if problem is not None:
        where = line_of(("working_crs",)) if by == "plan" else 0
        return None, [Diagnostic("plan-crs", f"the working CRS {crs_name(chosen)} is {problem}: areas and distances "
                                 "are measured in metres", Span(pdisp if by == "plan" else std.root, where),
                                 hint="choose a projected CRS in metres for the plan's area")]
    for lay in layers.values():
        for values in (lay.geometry, *lay.extra.values()):
            diags += _area_of_use(lay, sources[lay.table], values)
    if diags:
        return None, diags
    for lay in layers.values():
        import geopandas as gpd

        def moved(values: pd.Series, source: pyproj.CRS = sources[lay.table]) -> GeoSeries:
            series = gpd.GeoSeries(values.to_numpy(dtype=object), index=values.index, crs=source)
            return series.to_crs(chosen) if not source.equals(chosen) else series

        lay.geometry = moved(lay.geometry)
        lay.extra = {name: moved(values) for name, values in lay.extra.items()}
        for name, values in [(lay.column, lay.geometry), *lay.extra.items()]:
            coords, which = shapely.get_coordinates(values.to_numpy(dtype=object), return_index=True)
            broken = ~np.isfinite(coords).all(axis=1)
            if broken.any():
                rows = values.index[np.unique(which[broken])]
                column = f" (column `{name}`)" if lay.extra else ""
                diags.append(Diagnostic("bad-geometry", f"{len(rows)} features of `{lay.table}`{column} cannot be "
                                        f"expressed in {crs_name(chosen)} (first: feature {rows[0]})", Span(lay.file),
                                        hint="check the layer's CRS"))
    if diags:
        return None, diags
    return {"crs": crs_name(chosen), "crs_name": chosen.name, "chosen_by": by,
            "layers": [lay.describe() for lay in layers.values()],
            "repairs": [{"table": lay.table, **r} for lay in layers.values() for r in lay.repairs]}, []


def _no_working_crs(layers: dict[str, Layer], found: dict, pdisp: str) -> Diagnostic:
    listed = ", ".join(f"{name} ({metric_problem(c) or 'metric'})" for name, c in found.items())
    first = next(iter(layers.values()))
    hint = "state `working_crs: EPSG:...` in plan.yaml: a projected CRS in metres for the plan's area"
    try:
        import geopandas as gpd

        sample = gpd.GeoSeries(first.geometry.dropna().to_numpy(dtype=object)[:1000], crs=first.source_crs)
        utm = sample.estimate_utm_crs()
        hint += f", e.g. the national grid, or {crs_name(utm)} ({utm.name}) estimated from the data"
    except Exception:  # no estimate for empty or odd data; the hint stands without it
        pass
    if len(found) == 1:
        text = f"the layers are in {listed}: areas and distances are never computed in degrees"
    else:
        text = f"the layers are in different CRSs ({listed}) and the plan names none to measure in"
    return Diagnostic("plan-crs", text, Span(pdisp), hint=hint)


def _area_of_use(lay: Layer, source: pyproj.CRS, geometry: pd.Series) -> list[Diagnostic]:
    """Features whose bounds fall outside the source CRS's area of use (with a margin of a tenth of it)."""
    area = source.area_of_use
    if area is None:
        west, south, east, north = -180.0, -90.0, 180.0, 90.0
    else:
        west, south, east, north = area.bounds
    mx, my = max((east - west) * 0.1, 0.5), max((north - south) * 0.1, 0.5)
    values = geometry.to_numpy(dtype=object)
    present = ~pd.isna(values)
    if not present.any():
        return []
    b = shapely.bounds(values[present])
    with np.errstate(all="ignore"):
        if source.is_geographic:
            lon = np.c_[b[:, 0], b[:, 2]]
            lat = np.c_[b[:, 1], b[:, 3]]
        else:
            t = pyproj.Transformer.from_crs(source, WGS84, always_xy=True)
            xs = np.c_[b[:, 0], b[:, 2], b[:, 0], b[:, 2]]
            ys = np.c_[b[:, 1], b[:, 1], b[:, 3], b[:, 3]]
            lon, lat = t.transform(xs, ys, errcheck=False)
            lon, lat = np.asarray(lon), np.asarray(lat)
        inside = (np.isfinite(lon).all(1) & np.isfinite(lat).all(1) & (lon >= west - mx).all(1)
                  & (lon <= east + mx).all(1) & (lat >= south - my).all(1) & (lat <= north + my).all(1))
    if inside.all():
        return []
    rows = geometry.index[np.flatnonzero(present)[~inside]]
    what = f"lies outside the area of use of {crs_name(source)}"
    if area is not None:
        what += f" ({area.name.split(' - ')[0].split(';')[0]}: {west}..{east}°E, {south}..{north}°N)"
    return [Diagnostic("bad-geometry", f"feature {r}: {what}", Span(lay.file),
                       hint="the file's CRS may be wrong (coordinates in metres labelled as degrees, or swapped "
                       "axes), or the coordinates are broken") for r in rows[:MAX_SHOWN]] + (
        [Diagnostic("bad-geometry", f"{len(rows) - MAX_SHOWN} more features: {what}", Span(lay.file))]
        if len(rows) > MAX_SHOWN else [])


# ---- geometry for reports -------------------------------------------------------------------------


FINDING_TOLERANCE = 0.5  # m: a finding's shape keeps every vertex that moves its outline by more than this
FINDING_DIGITS = 6  # decimals of a degree: 0.11 m of latitude, finer than the tolerance


def to_geojson(values, crs: pyproj.CRS, digits: int = FINDING_DIGITS,
               tolerance: float = FINDING_TOLERANCE) -> list[dict | None]:
    """GeoJSON geometries (RFC 7946: WGS84 longitude, latitude): simplified in ``crs`` (metres) to within
    ``tolerance`` of each shape, topology kept (Douglas-Peucker), then rounded to ``digits`` decimals.

    >>> square = shapely.box(383000, 396000, 383100, 396100).segmentize(1)  # 401 vertices on its edges
    >>> ring = to_geojson([square], pyproj.CRS.from_epsg(27700))[0]["coordinates"][0]
    >>> len(ring), ring[0]
    (5, [-2.256, 53.460473])
    """
    import geopandas as gpd

    values = np.asarray(values, dtype=object)
    out: list[dict | None] = [None] * len(values)
    present = np.flatnonzero(~pd.isna(values))
    if not len(present):
        return out
    shapes = values[present]
    if tolerance:
        shapes = shapely.simplify(shapes, tolerance, preserve_topology=True)
    series = gpd.GeoSeries(shapes, crs=crs).to_crs(WGS84)
    rounded = shapely.transform(series.to_numpy(), lambda c: np.round(c, digits))
    for i, text in zip(present, shapely.to_geojson(rounded).tolist()):
        out[i] = json.loads(text)
    return out


OUTLINE_VERTICES = 20_000  # the most vertices a layer's outline (the map's backdrop) may keep
OUTLINE_DIGITS = 5  # decimals of a degree: about 1 m, below the outline's tolerance (1/2000 of the extent)


def outline(lay: Layer) -> dict | None:
    """A layer's shapes simplified for a backdrop: at most OUTLINE_VERTICES vertices, points left out.

    The tolerance starts at 1/2000 of the layer's extent and doubles until the shapes fit; features
    smaller than the tolerance are dropped.
    """
    values = lay.geometry.dropna().to_numpy(dtype=object)
    values = values[~shapely.is_empty(values)]
    kinds = {_family(t) for t in np.unique(shapely.get_type_id(values))} if len(values) else set()
    if not len(values) or kinds == {"point"}:
        return None
    x0, y0, x1, y1 = shapely.total_bounds(values)
    tol = max(x1 - x0, y1 - y0, 1.0) / 2000
    for _ in range(12):
        big = values[np.maximum(*(shapely.bounds(values)[:, 2:] - shapely.bounds(values)[:, :2]).T) >= tol]
        simple = shapely.simplify(big, tol, preserve_topology=True)
        simple = simple[~shapely.is_empty(simple)]
        if shapely.get_num_coordinates(simple).sum() <= OUTLINE_VERTICES:
            break
        tol *= 2
    return to_geojson([shapely.GeometryCollection(list(simple))], lay.geometry.crs, OUTLINE_DIGITS, 0)[0]
