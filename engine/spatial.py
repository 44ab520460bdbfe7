"""The spatial built-in functions: registry entries like any other (see :mod:`engine.builtins`).

Every measure is in the plan's working CRS (projected, in metres: see :mod:`engine.plan.geo`), so
areas come out in m² and distances in m, and the unit checker converts them (``area(p.shape) >=
0.5 ha``). Functions that read another table take it as a ``rowset`` argument: a table, or a
category when only some rows count (``nearest(d.shape, large_parks)``). Joins between two tables
use a spatial index (shapely's STRtree): the candidate pairs come from one bulk query, never from a
Python loop over pairs.

A missing shape gives a missing result for its row (insufficient data); a missing shape among the
rows of the other table leaves every result that reads them unknown.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from . import units as U
from .builtins import AGGREGATE, NUMERIC, SCALAR, Arg, Builtin, Call
from .compile import runtime as rt
from .model import GEOMETRY, INTEGER, NUMBER, ROWSET, Type
from .resources import LazyModule

if TYPE_CHECKING:
    import shapely
else:  # imported when a spatial function runs
    shapely = LazyModule("shapely")

M, M2 = U.METRE, U.SQUARE_METRE
QUAD_SEGS = 16  # segments per quarter circle of a buffer (as geopandas): 64-gons, area within 0.2 % of a circle


# ---- values ---------------------------------------------------------------------------------------


def _shapes(x) -> np.ndarray:
    """Geometries as an object array (None where missing)."""
    values = x.to_numpy(dtype=object) if rt.is_series(x) else np.array([x], dtype=object)
    gone = _missing(values)
    return _blank(values, gone) if gone.any() else values  # NaN or NA where a shape is missing: shapely takes None


def _missing(values: np.ndarray) -> np.ndarray:
    return pd.isna(values)


def _blank(values: np.ndarray, gone: np.ndarray) -> np.ndarray:
    """A copy of the shapes with None where ``gone`` holds (the caller's array is left as it was)."""
    out = values.copy()
    out[gone] = None
    return out


def _numbers(x, n: int) -> np.ndarray:
    if rt.is_series(x):
        return pd.to_numeric(x, errors="coerce").to_numpy(dtype="float64")
    return np.full(n, np.nan if rt.is_null(x) else float(x))


def _index(*args) -> pd.Index | None:
    return next((a.index for a in args if rt.is_series(a)), None)


def _out(values, index, dtype="float64"):
    return pd.Series(values, index=index, dtype=dtype)


def _one(vector):
    """The scalar implementation: the vectorised one on a single value."""
    def run(*args):
        if any(rt.is_null(a) for a in args if not isinstance(a, rt.RowsetValue)):
            return None
        wrapped = [pd.Series([a], dtype=object) if not isinstance(a, rt.RowsetValue | float | int) else a
                   for a in args]
        if not any(rt.is_series(a) for a in wrapped):
            return vector(*args)
        v = vector(*wrapped).iloc[0]
        return None if rt.is_null(v) else (v.item() if hasattr(v, "item") else v)

    return run


@dataclass
class _Targets:
    """The rows of another table a spatial function reads: those that belong or may belong."""

    shapes: np.ndarray  # their shapes
    unsure: np.ndarray  # whether each one's membership is unknown (the category's or the `where`'s test)
    values: np.ndarray | None  # the values a sum totals (NaN where missing), or None
    unknown: bool  # one of them has no shape: no result is known


def _targets(rows: rt.RowsetValue) -> _Targets:
    n = len(rows.frame)
    if rows.shapes is None:  # the declared geometry column holds no shape at all (left out of the plan)
        return _Targets(np.array([], dtype=object), np.zeros(0, bool), None if rows.values is None else np.zeros(0),
                        n > 0)
    if rows.member is None:
        inside, unsure = np.ones(n, bool), np.zeros(n, bool)
    else:
        unsure = rows.member.isna().to_numpy(dtype=bool)
        inside = rows.member.fillna(False).astype(bool).to_numpy()
    maybe = inside | unsure
    values = _shapes(rows.shapes)
    gone = _missing(values)
    take = maybe & ~gone
    numbers = None if rows.values is None else _numbers(rows.values, n)[take]
    return _Targets(values[take], unsure[take], numbers, bool((gone & maybe).any()))


# ---- typing rules ---------------------------------------------------------------------------------


def _kind(*kinds: str):
    def test(t: Type) -> str | None:
        if t.kind == GEOMETRY and t.values and t.values[0] not in kinds:
            return f"a {' or '.join(kinds)} geometry"
        return None

    return test


def _length(t: Type) -> str | None:
    if t.unit is None or t.unit.dims != M.dims:
        return "a length with its unit (300 m, 0.3 km)"
    return None


def _rowset_has_shapes(call: Call, i: int) -> None:
    cols = call.columns[i] if i < len(call.columns) else None
    if cols is not None and not any(t.kind == GEOMETRY for t in cols.values()):
        raise call.fail(f"`{call.name}` reads the shapes of another table; this one has no geometry column", arg=i,
                        hint="declare one: `shape: geometry polygon`, and give the table as a layer")


def _metres(unit: U.Unit):
    def rule(call: Call) -> Type:
        for i, t in enumerate(call.args):
            if t.kind == ROWSET:
                _rowset_has_shapes(call, i)
        return Type(NUMBER, unit)

    return rule


def _count_rule(call: Call) -> Type:
    _rowset_has_shapes(call, 1)
    return Type(INTEGER, U.DIMENSIONLESS)


def _sum_rule(call: Call) -> Type:
    _rowset_has_shapes(call, 1)
    return Type(call.args[1].kind, call.args[1].unit)


def _share_rule(call: Call) -> Type:
    for i, t in enumerate(call.args):
        if t.kind == ROWSET:
            _rowset_has_shapes(call, i)
    return Type(NUMBER, U.PERCENT)


def _buffer_rule(call: Call) -> Type:
    return Type(GEOMETRY, values=("polygon",))


# ---- implementations ------------------------------------------------------------------------------


def _measured(measure: str, g):
    """shapely's ``measure`` (area, length) of each shape, NaN where one is missing (shapely's own answer for
    None); a column with no shape at all does not load shapely."""
    values = _shapes(g)
    return _out(np.full(len(values), np.nan) if _missing(values).all() else getattr(shapely, measure)(values),
                _index(g))


def _area(g):
    return _measured("area", g)


def _length_of(g):
    return _measured("length", g)


def _distance(a, b):
    index = _index(a, b)
    n = len(index)
    x = _shapes(a) if rt.is_series(a) else np.array([a] * n, dtype=object)
    y = _shapes(b) if rt.is_series(b) else np.array([b] * n, dtype=object)
    return _out(shapely.distance(x, y), index)


def _buffer(g, d):
    values = _shapes(g)
    dist = _numbers(d, len(values))
    ok = ~_missing(values) & np.isfinite(dist)
    out = np.full(len(values), None, dtype=object)
    out[ok] = shapely.buffer(values[ok], dist[ok], quad_segs=QUAD_SEGS)
    return pd.Series(out, index=_index(g, d), dtype=object)


def _nearest(g, rows: rt.RowsetValue):
    values = _shapes(g)
    out = np.full(len(values), np.nan)
    t = _targets(rows)
    present = np.flatnonzero(~_missing(values))
    if t.unknown or not len(present):
        return _out(out, _index(g))

    def closest(targets: np.ndarray) -> np.ndarray:
        found = np.full(len(present), np.inf)  # nothing to be near: never within any distance
        if len(targets):
            (which, _), dist = shapely.STRtree(targets).query_nearest(values[present], return_distance=True,
                                                                      all_matches=False)
            found[which] = dist
        return found

    dist = closest(t.shapes[~t.unsure])
    if t.unsure.any():  # a row that may belong and lies nearer leaves the distance unknown
        dist[closest(t.shapes[t.unsure]) < dist] = np.nan
    out[present] = dist
    return _out(out, _index(g))


def _pairs(values: np.ndarray, targets: np.ndarray, predicate: str, distance=None) -> tuple[np.ndarray, np.ndarray]:
    """(input position, target position) for every pair meeting the predicate, from one index query."""
    present = np.flatnonzero(~_missing(values))
    if not len(present) or not len(targets):
        return np.array([], dtype=np.int64), np.array([], dtype=np.int64)
    tree = shapely.STRtree(targets)
    if distance is not None:
        left, right = tree.query(values[present], predicate=predicate, distance=distance)
    else:
        left, right = tree.query(values[present], predicate=predicate)
    return present[left], right


def _tally(n: int, left: np.ndarray, right: np.ndarray, t: _Targets, gone: np.ndarray) -> np.ndarray:
    """Per input row: the number of its pairs, or (when the targets carry values) the total of their values.
    A row paired with a target whose membership or value is unknown gets no value."""
    if t.values is None:
        out = np.bincount(left, minlength=n).astype("float64")
        bad = t.unsure[right]
    else:
        weights = t.values[right]
        bad = t.unsure[right] | np.isnan(weights)
        out = np.bincount(left, weights=np.where(bad, 0.0, weights), minlength=n).astype("float64")
    out[np.unique(left[bad])] = np.nan
    out[gone] = np.nan
    if t.unknown:
        out[:] = np.nan
    return out


def _within(g, rows: rt.RowsetValue, d):
    values = _shapes(g)
    dist = _numbers(d, len(values))
    t = _targets(rows)
    gone = _missing(values) | ~np.isfinite(dist)
    values = _blank(values, gone)
    left, right = _pairs(values, t.shapes, "dwithin", np.where(gone, 0.0, dist)[~gone])
    return _out(_tally(len(values), left, right, t, gone), _index(g, d))


def _inside(g, rows: rt.RowsetValue):
    values = _shapes(g)
    t = _targets(rows)
    points = shapely.point_on_surface(t.shapes) if len(t.shapes) else t.shapes  # one place per row of the other table
    left, right = _pairs(values, points, "covers")
    return _out(_tally(len(values), left, right, t, _missing(values)), _index(g))


def _union_by(left: np.ndarray, pieces: np.ndarray, n: int) -> np.ndarray:
    """The union of the pieces of each input position (None where it has none)."""
    out = np.full(n, None, dtype=object)
    if not len(left):
        return out
    order = np.argsort(left, kind="stable")
    left, pieces = left[order], pieces[order]
    starts = np.flatnonzero(np.r_[True, left[1:] != left[:-1]])
    ends = np.r_[starts[1:], len(left)]
    single = ends - starts == 1
    out[left[starts[single]]] = pieces[starts[single]]
    for s, e in zip(starts[~single], ends[~single]):  # one union per input shape, over its own pieces
        out[left[s]] = shapely.union_all(pieces[s:e])
    return out


def _covered(g, rows: rt.RowsetValue, d=None):
    """The share of each shape that the other table's shapes (buffered by ``d``, one distance or one per row)
    cover; no value where a shape or its distance is missing, or where a row that may or may not belong overlaps."""
    index = _index(g, d) if rt.is_series(d) else _index(g)
    values = _shapes(g)
    t = _targets(rows)
    n = len(d) if rt.is_series(d) else len(values)
    if t.unknown or _missing(values).all():  # no value anywhere, without loading shapely
        return _out(np.full(n, np.nan), index)
    if not rt.is_series(d):
        return _out(_share(values, t, None if d is None else _numbers(d, 1)[0]), index)
    if len(values) != n:  # one shape against a distance per row
        values = np.array([values[0]] * n, dtype=object)
    dist = _numbers(d, n)
    out = np.full(n, np.nan)
    for v in np.unique(dist[~np.isnan(dist)]):  # the targets buffered once per distinct distance
        at = np.flatnonzero(dist == v)
        out[at] = _share(values[at], t, float(v))
    return _out(out, index)


def _share(values: np.ndarray, t: _Targets, dist: float | None) -> np.ndarray:
    """covered_share's percentages for ``values`` against the targets ``t``, buffered by ``dist`` when given."""
    n = len(values)
    targets = t.shapes
    if dist is not None:  # a distance of inf or NaN buffers nothing in
        empty = np.array([], dtype=object)
        targets = shapely.buffer(targets, dist, quad_segs=QUAD_SEGS) if np.isfinite(dist) else empty
    left, right = _pairs(values, targets, "intersects")
    pieces = shapely.intersection(values[left], targets[right]) if len(left) else np.array([], dtype=object)
    covered = shapely.area(_union_by(left, pieces, n))
    area = shapely.area(values)
    with np.errstate(all="ignore"):
        out = np.where(np.isnan(covered), 0.0, covered) / area * 100.0
    out[_missing(values) | ~(area > 0)] = np.nan
    if len(left):
        out[np.unique(left[t.unsure[right]])] = np.nan  # overlapped by a row that may or may not belong
    return out


def _connected(rows: rt.RowsetValue, d):
    t = _targets(rows)
    patches = t.shapes
    if t.unknown or t.unsure.any() or rt.is_null(d):
        return None
    areas = shapely.area(patches)
    total = float(areas.sum())
    if total <= 0:
        return None
    tree = shapely.STRtree(patches)
    left, right = tree.query(patches, predicate="dwithin", distance=float(d))
    linked = np.unique(left[left != right])
    return 100.0 * float(areas[linked].sum()) / total


def _dissolved_vec(r: rt.Rows):
    values = r.values.to_numpy(dtype=object)
    inc = np.ones(len(values), bool) if r.inc is None else r.inc.to_numpy(dtype=bool)
    null = r.nulls(r.missing())
    take = inc & ~_missing(values)
    if r.keys is None:
        if null:
            return None
        return float(shapely.area(shapely.union_all(values[take]))) if take.any() else 0.0
    keys = r.keys.to_numpy()
    groups = np.unique(keys)  # every group with rows, as a grouped sum would give
    out = np.zeros(len(groups))
    union = _union_by(np.searchsorted(groups, keys[take]), values[take], len(groups))
    has = ~_missing(union)
    out[has] = shapely.area(union[has])
    return r.finish(pd.Series(out, index=groups), null)


def _dissolved_scalar(values: list, total: int | None = None):
    if any(rt.is_null(v) for v in values):
        return None
    return float(shapely.area(shapely.union_all(np.array(values, dtype=object)))) if values else 0.0


# ---- the entries ----------------------------------------------------------------------------------

_SHAPE = Arg("shape", (GEOMETRY,))
_POLYGON = Arg("polygon", (GEOMETRY,), test=_kind("polygon"))
_ROWS = Arg("rows", ("rowset",), rows="shapes")
_VALUES = Arg("column", NUMERIC, rows="values")
_DISTANCE = Arg("distance", NUMERIC, test=_length, unit="m")

ENTRIES: tuple[Builtin, ...] = (
    Builtin("area", SCALAR, (Arg("polygon", (GEOMETRY,), test=_kind("polygon")),), _metres(M2), _area, _one(_area),
            lambda a, w: f"the area of {a[0]}", "area of a polygon, in m² of the working CRS",
            examples=("area(p.shape)",)),
    Builtin("length", SCALAR, (Arg("shape", (GEOMETRY,), test=_kind("line", "polygon")),), _metres(M), _length_of,
            _one(_length_of), lambda a, w: f"the length of {a[0]}",
            "length of a line (a polygon: its perimeter), in m", examples=("length(r.shape)",)),
    Builtin("distance", SCALAR, (_SHAPE, Arg("other", (GEOMETRY,))), _metres(M), _distance, _one(_distance),
            lambda a, w: f"the distance between {a[0]} and {a[1]}",
            "shortest distance between two shapes of one row, in m (0 when they touch)",
            examples=("distance(s.shape, s.outfall)",)),
    Builtin("buffer", SCALAR, (_SHAPE, _DISTANCE), _buffer_rule, _buffer, _one(_buffer),
            lambda a, w: f"{a[0]} widened by {a[1]}", "the shape widened by a distance (a polygon)",
            examples=("buffer(r.shape, 15 m)",)),
    Builtin("nearest", SCALAR, (_SHAPE, _ROWS), _metres(M), _nearest, _one(_nearest),
            lambda a, w: f"the distance from {a[0]} to the nearest of {a[1]}",
            "distance to the nearest row of another table or category, in m (a category filters: the nearest "
            "park of at least 0.5 ha)", examples=("nearest(d.shape, large_parks)",)),
    Builtin("count_within", SCALAR, (_SHAPE, _ROWS, _DISTANCE), _count_rule, _within, _one(_within),
            lambda a, w: f"the number of {a[1]} within {a[2]} of {a[0]}",
            "number of rows of another table whose shape lies within a distance (0 m: touching counts)",
            examples=("count_within(s.shape, trees, 300 m)",)),
    Builtin("count_inside", SCALAR, (_POLYGON, _ROWS), _count_rule, _inside, _one(_inside),
            lambda a, w: f"the number of {a[1]} inside {a[0]}",
            "number of rows of another table inside a polygon (on its edge counts; a line or polygon counts "
            "where its representative point lies, so it is counted in one place)",
            examples=("count_inside(d.shape, trees)",)),
    Builtin("sum_within", SCALAR, (_SHAPE, _VALUES, _DISTANCE), _sum_rule, _within, _one(_within),
            lambda a, w: f"the total of {a[1]} within {a[2]} of {a[0]}",
            "total of a column of another table over its rows whose shape lies within a distance (as "
            "`count_within`; 0 when none)", examples=("sum_within(d.shape, trees.crown_m2, 300 m)",)),
    Builtin("sum_inside", SCALAR, (_POLYGON, _VALUES), _sum_rule, _inside, _one(_inside),
            lambda a, w: f"the total of {a[1]} inside {a[0]}",
            "total of a column of another table over its rows inside a polygon (placed as `count_inside`; 0 "
            "when none)", examples=("sum_inside(w.shape, districts.electors)",)),
    Builtin("covered_share", SCALAR, (_POLYGON, _ROWS, _DISTANCE), _share_rule, _covered, _one(_covered),
            lambda a, w: f"the share of {a[0]} covered by {a[1]}" + (f" or within {a[2]} of them" if len(a) > 2
                                                                      else ""),
            "share of a polygon's area covered by the union of another table's shapes (within a distance of them "
            "when given), in %", optional=1,
            examples=("covered_share(d.shape, canopy)", "covered_share(d.shape, large_parks, 300 m)")),
    Builtin("connected_share", SCALAR, (_ROWS, _DISTANCE), _share_rule, lambda *a: _connected(*a), _connected,
            lambda a, w: f"the share of the area of {a[0]} in patches within {a[1]} of another",
            "share of a table's area in patches linked to another patch by a gap of at most the distance, in %",
            examples=("connected_share(habitat, 100 m)",)),
    Builtin("dissolved_area", AGGREGATE, (Arg("shapes", (GEOMETRY,), test=_kind("polygon")),), _metres(M2),
            _dissolved_vec, _dissolved_scalar, lambda a, w: f"the area of the union of {a[0]}{w}",
            "area of the union of the rows' polygons, in m²: nested or overlapping shapes count once",
            examples=("dissolved_area(parks.shape where parks.public)",)),
)
