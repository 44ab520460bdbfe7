"""Plans as GIS layers: every geodata format reads, CRSs are settled, bad geometry is located.

Shapes are 100 m squares in British National Grid (EPSG:27700): each is 100 × 100 = 10,000 m².
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from engine import api
from engine.cli import main
from engine.plan import load_plan

PACK = """standard g "Geodata" {{
  version "1"
  crs "{crs}"{extra}
}}
reference R "A reference"
table parks "Parks" key fid {{
  fid: integer
  name: text
  shape: geometry {kind}
}}
rule P-1 "Parks are named" {{
  cite R "1"
  for each p in parks
  shall p.name is present
}}
"""
X0, Y0 = 383_000.0, 396_000.0  # Trafford, in metres east and north of the grid's origin


def _square(i: int, size: float = 100.0):
    x = X0 + 200 * i
    return shapely.box(x, Y0, x + size, Y0 + size)


def _frame(n: int = 3, crs="EPSG:27700", names=None) -> gpd.GeoDataFrame:
    names = names or ["Ash", None, "Elm"][:n]
    gdf = gpd.GeoDataFrame({"name": names}, geometry=[_square(i) for i in range(n)], crs="EPSG:27700")
    return gdf.to_crs(crs)


def _package(tmp: Path, tables_entry, crs="27700", kind="polygon", extra="", plan_extra="") -> Path:
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / "pack.nbs").write_text(PACK.format(crs=crs, kind=kind, extra=extra), encoding="utf-8")
    entry = json.dumps(tables_entry)
    (tmp / "plan.yaml").write_text(f"plan: {{id: g, title: G}}\nstandard: pack.nbs\n{plan_extra}"
                                   f"tables:\n  parks: {entry}\n", encoding="utf-8")
    return tmp


def _load(pkg: Path):
    std = api.load_standard(pkg / "pack.nbs")
    return load_plan(pkg, std)


def _areas(plan) -> np.ndarray:
    return gpd.GeoSeries(plan.tables["parks"]["shape"]).area.to_numpy()


def _write(fmt: str, tmp: Path, gdf: gpd.GeoDataFrame) -> str:
    tmp.mkdir(parents=True, exist_ok=True)
    if fmt == "gpkg":
        gdf.to_file(tmp / "parks.gpkg", layer="parks", driver="GPKG")
        _frame(1).to_file(tmp / "parks.gpkg", layer="other", driver="GPKG")
        return "parks.gpkg"
    if fmt == "geojson":
        gdf.to_file(tmp / "parks.geojson", driver="GeoJSON")
        return "parks.geojson"
    if fmt == "json":
        (tmp / "parks.json").write_text(gdf.to_json(), encoding="utf-8")
        return "parks.json"
    if fmt == "shp.zip":
        gdf.to_file(tmp / "parks.shp")
        with zipfile.ZipFile(tmp / "parks.zip", "w") as zf:
            for ext in ("shp", "shx", "dbf", "prj", "cpg"):
                if (tmp / f"parks.{ext}").exists():
                    zf.write(tmp / f"parks.{ext}", f"parks.{ext}")
                    (tmp / f"parks.{ext}").unlink()
        return "parks.zip"
    if fmt == "parquet":
        gdf.to_parquet(tmp / "parks.parquet")
        return "parks.parquet"
    raise AssertionError(fmt)


@pytest.mark.parametrize("fmt", ["gpkg", "geojson", "json", "shp.zip", "parquet"])
def test_every_layer_format_reads_and_measures_in_the_working_crs(tmp_path, fmt):
    source_crs = "EPSG:4326" if fmt in ("geojson", "json") else "EPSG:27700"
    rel = _write(fmt, tmp_path, _frame(crs=source_crs))
    plan, diags = _load(_package(tmp_path, rel))
    assert not diags, diags
    lay = plan.layers["parks"]
    assert lay.geometry.crs.to_epsg() == 27700
    assert list(plan.tables["parks"]["fid"]) == [1, 2, 3]
    assert plan.tables["parks"]["name"].tolist()[0] == "Ash" and pd.isna(plan.tables["parks"]["name"].iloc[1])
    assert np.allclose(_areas(plan), 10_000.0, rtol=1e-6)  # 100 m × 100 m
    assert plan.spatial["crs"] == "EPSG:27700" and plan.spatial["chosen_by"] == "standard"
    assert plan.spatial["layers"][0]["source_crs"] == source_crs


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_a_wkt_column_in_a_table_is_the_geometry(tmp_path, suffix):
    rows = pd.DataFrame({"fid": [1, 2], "name": ["Ash", "Elm"], "shape": [_square(0).wkt, _square(1).wkt]})
    tmp_path.mkdir(exist_ok=True)
    if suffix == "csv":
        rows.to_csv(tmp_path / "parks.csv", index=False)
    else:
        rows.to_excel(tmp_path / "parks.xlsx", index=False)
    plan, diags = _load(_package(tmp_path, {"file": f"parks.{suffix}", "crs": "EPSG:27700"}))
    assert not diags, diags
    assert plan.layers["parks"].format == "WKT column"
    assert np.allclose(_areas(plan), 10_000.0)


def test_a_table_with_wkt_shapes_is_read_each_time_not_cached(tmp_path, monkeypatch):
    # a table's typed frame is cached (engine.cache.table), but not one with shapes: their repairs depend on GEOS
    monkeypatch.setenv("NBSCHECK_CACHE_DIR", str(tmp_path / "cache"))
    rows = pd.DataFrame({"fid": [1, 2], "name": ["Ash", "Elm"], "shape": [_square(0).wkt, _square(1).wkt]})
    rows.to_csv(tmp_path / "parks.csv", index=False)
    for _ in range(2):
        plan, diags = _load(_package(tmp_path, {"file": "parks.csv", "crs": "EPSG:27700"}))
        assert not diags and plan.layers["parks"].format == "WKT column"
    assert not [p for p in (tmp_path / "cache").iterdir() if p.name.startswith("table-")]


def test_a_wkt_column_without_a_crs_is_refused_with_what_to_write(tmp_path):
    pd.DataFrame({"fid": [1], "name": ["Ash"], "shape": [_square(0).wkt]}).to_csv(tmp_path / "p.csv", index=False)
    plan, diags = _load(_package(tmp_path, "p.csv"))
    assert plan is None and diags[0].code == "unknown-crs"
    assert "states no coordinate reference system" in diags[0].message and "crs: EPSG" in diags[0].hint


def test_text_that_is_not_wkt_names_the_row(tmp_path):
    pd.DataFrame({"fid": [1, 2], "name": ["a", "b"], "shape": [_square(0).wkt, "POLYGON ((0 0, 1"]}).to_csv(
        tmp_path / "p.csv", index=False)
    plan, diags = _load(_package(tmp_path, {"file": "p.csv", "crs": "EPSG:27700"}))
    assert plan is None and diags[0].code == "bad-value" and diags[0].span.line == 3
    assert "row 2, column `shape`" in diags[0].message and "not WKT" in diags[0].message


def test_attribute_columns_are_validated_as_in_any_table(tmp_path):
    gdf = _frame()
    gdf["fid"] = ["1", "two", "3"]
    gdf.to_file(tmp_path / "parks.geojson", driver="GeoJSON")
    plan, diags = _load(_package(tmp_path, "parks.geojson"))
    assert plan is None and diags[0].code == "bad-value" and "row 2, column `fid`: `two` is not a number" in \
        diags[0].message


def test_published_column_names_map_to_declared_ones(tmp_path):
    gdf = _frame().rename(columns={"name": "Site Name"})
    gdf.to_file(tmp_path / "parks.geojson", driver="GeoJSON")
    plan, diags = _load(_package(tmp_path, {"file": "parks.geojson", "columns": {"name": "Site Name"}}))
    assert not diags and plan.tables["parks"]["name"].iloc[0] == "Ash"
    plan, diags = _load(_package(tmp_path, {"file": "parks.geojson", "columns": {"name": "Site Nme"}}))
    assert diags[0].code == "missing-column" and "`Site Name`" in diags[0].hint


def test_a_geopackage_layer_is_named_or_found_by_the_table_name(tmp_path):
    gdf = _frame()
    gdf.to_file(tmp_path / "d.gpkg", layer="green", driver="GPKG")
    _frame(1).to_file(tmp_path / "d.gpkg", layer="roads", driver="GPKG")
    plan, diags = _load(_package(tmp_path, "d.gpkg"))
    assert plan is None and diags[0].code == "table-not-found" and "holds 2 layers" in diags[0].message
    assert "layer: green" in diags[0].hint
    plan, diags = _load(_package(tmp_path, {"file": "d.gpkg", "layer": "gren"}))
    assert diags[0].code == "table-not-found" and "`green`" in diags[0].hint
    plan, diags = _load(_package(tmp_path, {"file": "d.gpkg", "layer": "green"}))
    assert not diags and len(plan.tables["parks"]) == 3 and plan.layers["parks"].layer == "green"


# ---- coordinate reference systems ---------------------------------------------------------------


def test_degrees_are_never_measured_a_metric_crs_is_required(tmp_path):
    _frame(crs="EPSG:4326").to_file(tmp_path / "p.geojson", driver="GeoJSON")
    plan, diags = _load(_package(tmp_path, "p.geojson", crs="metric"))
    assert plan is None and diags[0].code == "plan-crs"
    assert "EPSG:4326 (geographic (degrees))" in diags[0].message and "never computed in degrees" in diags[0].message
    assert "working_crs: EPSG:" in diags[0].hint and "EPSG:32630" in diags[0].hint  # UTM 30N covers Trafford
    plan, diags = _load(_package(tmp_path, "p.geojson", crs="metric", plan_extra="working_crs: EPSG:27700\n"))
    assert not diags and plan.spatial["chosen_by"] == "plan" and plan.spatial["crs"] == "EPSG:27700"
    plan, diags = _load(_package(tmp_path, "p.geojson", crs="metric", plan_extra="working_crs: EPSG:4326\n"))
    assert diags[0].code == "plan-crs" and "geographic" in diags[0].message and diags[0].span.line == 3


def test_one_projected_crs_of_all_layers_is_the_working_crs(tmp_path):
    _frame().to_file(tmp_path / "p.gpkg", driver="GPKG")
    plan, diags = _load(_package(tmp_path, "p.gpkg", crs="metric"))
    assert not diags and plan.spatial["chosen_by"] == "layers" and plan.spatial["crs"] == "EPSG:27700"


def test_a_crs_in_feet_is_not_metric(tmp_path):
    _frame(crs="EPSG:2263").to_file(tmp_path / "p.gpkg", driver="GPKG")
    plan, diags = _load(_package(tmp_path, "p.gpkg", crs="metric"))  # the layer's own CRS will not do
    assert diags[0].code == "plan-crs" and "EPSG:2263 (in US survey foot, not metres)" in diags[0].message
    plan, diags = _load(_package(tmp_path, "p.gpkg", crs="metric", plan_extra="working_crs: EPSG:2263\n"))
    assert diags[0].code == "plan-crs" and "is in US survey foot, not metres" in diags[0].message


def test_an_unknown_crs_is_named(tmp_path):
    pd.DataFrame({"fid": [1], "name": ["a"], "shape": [_square(0).wkt]}).to_csv(tmp_path / "p.csv", index=False)
    plan, diags = _load(_package(tmp_path, {"file": "p.csv", "crs": "EPSG:99999"}))
    assert diags[0].code == "unknown-crs" and "`crs: EPSG:99999`" in diags[0].message


def test_a_layer_in_another_crs_is_reprojected(tmp_path):
    _frame(crs="EPSG:3857").to_file(tmp_path / "p.gpkg", driver="GPKG")
    plan, diags = _load(_package(tmp_path, "p.gpkg"))
    assert not diags
    assert np.allclose(_areas(plan), 10_000.0, rtol=1e-6)
    assert plan.spatial["layers"][0]["source_crs"] == "EPSG:3857"


# ---- geometry checks -----------------------------------------------------------------------------


def _with(tmp_path, geoms, kind="polygon", extra="", name="p.gpkg", crs="EPSG:27700"):
    gdf = gpd.GeoDataFrame({"name": [f"n{i}" for i in range(len(geoms))]}, geometry=list(geoms), crs=crs)
    gdf.to_file(tmp_path / name, driver="GPKG" if name.endswith("gpkg") else "GeoJSON")
    return _load(_package(tmp_path, name, kind=kind, extra=extra))


BOWTIE = shapely.Polygon([(X0, Y0), (X0 + 100, Y0 + 100), (X0 + 100, Y0), (X0, Y0 + 100)])


def test_an_invalid_polygon_is_located_with_the_reason(tmp_path):
    plan, diags = _with(tmp_path, [_square(0), BOWTIE])
    (d,) = diags
    assert d.code == "invalid-geometry" and d.message.startswith("feature 2 (fid `2`): is not a valid shape: "
                                                                 "Self-intersection")
    assert "Fix Geometries" in d.hint and 'repair "make_valid"' in d.hint and d.span.file.endswith("p.gpkg")


def test_a_standard_may_repair_shapes_and_the_report_lists_each_repair(tmp_path):
    plan, diags = _with(tmp_path, [_square(0), BOWTIE], extra='\n  repair "make_valid"')
    assert not diags
    assert plan.spatial["repairs"] == [{"table": "parks", "feature": 2, "key": 2,
                                        "problem": f"Self-intersection[{X0 + 50:g} {Y0 + 50:g}]"}]
    fixed = plan.tables["parks"]["shape"].iloc[1]
    # two triangles of half the square each: 2 × (50 × 100 / 2) = 5,000 m²
    assert fixed.is_valid and fixed.geom_type == "MultiPolygon" and fixed.area == pytest.approx(5_000.0)


def test_empty_and_missing_shapes_are_located(tmp_path):
    plan, diags = _with(tmp_path, [_square(0), shapely.Polygon(), None])
    assert [d.message for d in diags] == ["feature 3 (fid `3`): has no geometry",
                                          "feature 2 (fid `2`): has an empty geometry"]


def test_a_shape_of_another_kind_than_declared(tmp_path):
    plan, diags = _with(tmp_path, [_square(0), shapely.Point(X0, Y0)])
    assert diags[0].message == "feature 2 (fid `2`): is not a polygon: a point"


def test_mixed_kinds_in_an_undeclared_layer(tmp_path):
    gdf = gpd.GeoDataFrame({"fid": [1, 2, 3], "name": ["a", "b", "c"]},
                           geometry=[_square(0), shapely.Point(X0, Y0), _square(1)], crs="EPSG:27700")
    gdf.to_file(tmp_path / "m.geojson", driver="GeoJSON")
    (tmp_path / "pack.nbs").write_text(PACK.format(crs="27700", kind="polygon", extra="").replace(
        "  shape: geometry polygon\n", ""), encoding="utf-8")
    (tmp_path / "plan.yaml").write_text("plan: {id: g, title: G}\ntables: {parks: m.geojson}\n", encoding="utf-8")
    plan, diags = _load(tmp_path)
    assert diags[0].message == "mixed geometry types: 1 point (first: feature 2), 2 polygon (first: feature 1)"


def test_coordinates_outside_the_crs_area_of_use(tmp_path):
    """Metres labelled as degrees: 383000 is no longitude."""
    plan, diags = _with(tmp_path, [_square(0)], crs="EPSG:4326", name="p.geojson")
    assert diags[0].code == "bad-geometry" and "outside the area of use of EPSG:4326" in diags[0].message


@pytest.mark.parametrize("bad", [float("nan"), 1e300])
def test_nan_and_huge_coordinates(tmp_path, bad):
    poly = shapely.Polygon([(X0, Y0), (X0 + 100, Y0), (bad, Y0 + 100), (X0, Y0)])
    plan, diags = _with(tmp_path, [_square(0), poly])
    assert plan is None and diags[0].code == "bad-geometry" and diags[0].message.startswith("feature 2")


def test_a_shape_with_too_many_vertices_is_refused_quickly(tmp_path):
    from engine.plan import geo

    a = np.linspace(0, 2 * np.pi, 1_000_000, endpoint=False)
    huge = shapely.Polygon(np.c_[np.cos(a), np.sin(a)] * 500 + [X0, Y0])
    plan, diags = _with(tmp_path, [_square(0), huge])
    assert diags[0].code == "geometry-too-large" and f"more than {geo.MAX_VERTICES:,} vertices" in diags[0].message


@pytest.mark.parametrize("name,content,expect", [
    ("p.gpkg", b"this is not an SQLite database", "cannot read GeoPackage `p.gpkg`: "),
    # cut inside a string on line 3: the parser stops at that line, which is the diagnostic's location
    ("p.geojson", b'{"type": "FeatureCollection", "features": [\n{"type": "Feature", "properties": {}, "geometry": '
     b'{"type": "Point", "coordinates": [383000, 396000]}},\n{"type": "Feature", "geometry": {"type": "Po',
     ":3:18: table-format: cannot read GeoJSON `p.geojson`: Unterminated string"),
    ("p.zip", b"PK\x03\x04 broken", "cannot read zipped Shapefile `p.zip`: "),
])
def test_unreadable_geodata_exits_2_with_a_located_message(tmp_path, capsys, name, content, expect):
    _package(tmp_path, name)
    (tmp_path / name).write_bytes(content)
    assert main(["check", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert (f"{name}{expect}" if expect.startswith(":") else f"{name}: table-format: {expect}") in err
    assert "Traceback" not in err and "At line" not in err


def test_findings_carry_their_shape_in_wgs84(tmp_path):
    _frame().to_file(tmp_path / "p.gpkg", driver="GPKG")
    report = api.evaluate(*_std_plan(_package(tmp_path, "p.gpkg")))
    (finding,) = report.data["rules"][0]["findings"]
    assert finding["key"] == 2 and finding["geometry"]["type"] == "Polygon"
    ring = np.array(finding["geometry"]["coordinates"][0])
    expect = gpd.GeoSeries([_square(1)], crs=27700).to_crs(4326).iloc[0]
    assert np.allclose(ring, np.array(expect.exterior.coords), atol=5e-7)  # rounded to 6 decimals
    assert report.data["spatial"]["layers"][0]["outline"]["type"] == "GeometryCollection"


def _std_plan(pkg):
    std = api.load_standard(pkg / "pack.nbs")
    return std, api.load_plan(pkg, std)


def test_the_geometry_type_is_checked_and_formatted(tmp_path):
    bad = tmp_path / "bad.nbs"
    bad.write_text(PACK.format(crs="27700", kind="polgon", extra="").replace("  name: text\n",
                   "  name: text\n  other: geometry point\n"), encoding="utf-8")
    diags = api.lint(bad)
    assert [(d.code, d.message) for d in diags if d.severity == "error"] == [
        ("type-mismatch", "`geometry polgon`: a geometry is a point, line or polygon")]
    assert diags[0].hint == "did you mean `polygon`?"
    good = tmp_path / "good.nbs"
    good.write_text(PACK.format(crs="27700", kind="line", extra=""), encoding="utf-8")
    assert main(["fmt", str(good)]) == 0 and main(["fmt", "--check", str(good)]) == 0
    assert "  shape: geometry line\n" in good.read_text(encoding="utf-8")


def test_spatial_calls_are_checked_with_their_units(tmp_path):
    pack = tmp_path / "d.nbs"
    pack.write_text("""standard d "D" { version "1" crs "27700" }
table districts "Districts" key id {
  id: text
  shape: geometry polygon
}
table trees "Trees" key id {
  id: text
  shape: geometry point
}
table plain "Plain" key id { id: text }
rule A "a" { for each t in trees shall area(t.shape) > 1 m2 }
rule B "b" { for each d in districts shall nearest(d.shape, plain) < 300 m }
rule C "c" { for each d in districts shall count_within(d.shape, trees, 300) > 1 }
rule D "d" { for each d in districts shall area(d.shape) >= 300 m }
rule E "e" { for each d in districts shall sum_within(d.shape, trees, 300 m) > 1 }
rule F "f" { for each d in districts shall sum_inside(d.shape, trees.id) > 1 }
rule G "g" { for each d in districts shall nearest(d.shape, d.shape) < 300 m }
rule H "h" { for each d in districts shall nearest(d.shape, trees where d.id == "A") < 300 m }
rule I "i" { for each d in districts shall nearest(d.shape, districts.id) < 300 m }
rule J "j" { for each d in districts shall area(d.shape where d.id == "A") > 1 m2 }
""", encoding="utf-8")
    got = [(d.span.line, d.code, d.message) for d in api.lint(pack) if d.severity == "error"]
    assert got == [
        (11, "type-mismatch", "`area` takes a polygon geometry as its polygon, not geometry point"),
        (12, "type-mismatch", "`nearest` reads the shapes of another table; this one has no geometry column"),
        (13, "type-mismatch", "`count_within` takes a length with its unit (300 m, 0.3 km) as its distance, "
                              "not integer"),
        (14, "unit-mismatch", "cannot compare area (m2) with length (m)"),
        (15, "type-mismatch", "`sum_within` totals a column of `trees` as its column, not the table itself"),
        (16, "type-mismatch", "`sum_inside` takes number or integer as its column, not text"),
        (17, "type-mismatch", "`nearest` reads the rows of another table as its rows: a table or category (or a "
                              "geometry column of one)"),
        (18, "scope-mismatch", "the `where` of this nearest filters the rows of `trees`"),
        (19, "type-mismatch", "`nearest` reads shapes as its rows: a table, a category or a geometry column of "
                              "one, not text"),
        (20, "type-mismatch", "`where` filters the rows of an aggregate or of the table a spatial function reads; "
                              "`area` is neither")]


def test_spatial_functions_agree_row_by_row_and_vectorised():
    """Each scalar implementation gives, for one shape, what the vectorised one gives for its row."""
    from engine import builtins as B
    from engine.compile import runtime as rt

    shapes = pd.Series([_square(0), _square(3, 50), None, shapely.Point(X0 - 10, Y0)], dtype=object)
    polys = pd.Series([_square(0), _square(3, 50), None, _square(5)], dtype=object)
    others = gpd.GeoSeries([_square(1), _square(2, 300)], crs=27700)
    rows = rt.RowsetValue("parks", pd.DataFrame({"shape": others}), None, others)
    valued = rt.RowsetValue("parks", pd.DataFrame({"shape": others}), None, others, pd.Series([2.5, 4.0]))
    calls = [("area", (polys,)), ("length", (shapes,)), ("distance", (shapes, polys)), ("nearest", (shapes, rows)),
             ("count_within", (shapes, rows, 150.0)), ("count_inside", (polys, rows)),
             ("sum_within", (shapes, valued, 150.0)), ("sum_inside", (polys, valued)),
             ("covered_share", (polys, rows)), ("covered_share", (polys, rows, 20.0))]
    for name, args in calls:
        b = B.resolve(name, len(args))
        vec = B.apply(b, args).tolist()
        for i in range(len(shapes)):
            one = [a.iloc[i] if isinstance(a, pd.Series) else a for a in args]
            got = B.apply(b, one)
            assert (rt.is_null(got) and rt.is_null(vec[i])) or got == pytest.approx(vec[i]), (name, i, got, vec[i])
    assert B.apply(B.resolve("area", 1), (polys,)).tolist()[:2] == [10_000.0, 2_500.0]


def test_covered_share_buffers_by_each_rows_own_distance():
    from engine import builtins as B
    from engine.compile import runtime as rt

    # a 100 m square and, 10 m to its west, a large rectangle: buffered by 20 m its straight east edge reaches 10 m
    # into the square (the rounded corners lie far outside it): 10 m x 100 m = 1,000 m2 of 10,000, 10 %
    left = gpd.GeoSeries([shapely.box(X0 - 5_000, Y0 - 5_000, X0 - 10, Y0 + 5_000)], crs=27700)
    rows = rt.RowsetValue("woods", pd.DataFrame({"shape": left}), None, left)
    squares = pd.Series([_square(0)] * 4, index=[1, 2, 3, 4], dtype=object)
    distances = pd.Series([0.0, 20.0, np.nan, 20.0], index=[1, 2, 3, 4])
    got = B.apply(B.resolve("covered_share", 3), (squares, rows, distances))
    assert got.index.tolist() == [1, 2, 3, 4] and got.dtype == "float64"
    assert got[1] == 0.0 and got[2] == pytest.approx(10.0, abs=1e-6) and np.isnan(got[3])
    assert got[4] == pytest.approx(10.0, abs=1e-6)
    one = B.apply(B.resolve("covered_share", 3), (squares.iloc[1], rows, 20.0))  # row by row agrees
    assert one == pytest.approx(10.0, abs=1e-6)


def test_spatial_functions_on_a_column_without_shapes_give_no_value_without_loading_shapely(tmp_path):
    from engine import builtins as B
    from engine.compile import runtime as rt

    none = pd.Series([None, None, None], index=[1, 2, 3], dtype=object)
    others = gpd.GeoSeries([_square(1)], crs=27700)
    rows = rt.RowsetValue("parks", pd.DataFrame({"shape": others}), None, others)
    for name, args in [("area", (none,)), ("length", (none,)), ("covered_share", (none, rows)),
                       ("covered_share", (none, rows, 20.0)), ("nearest", (none, rows))]:
        got = B.apply(B.resolve(name, len(args)), args)
        assert got.dtype == "float64" and got.index.tolist() == [1, 2, 3] and got.isna().all(), name
    # the riverside example declares shapes (its geometry rules read them) but gives none: shapely stays unloaded
    probe = ("import sys; from engine.cli import main; main(['check', 'examples/riverside', '-f', 'json', '-o', "
             f"{str(tmp_path)!r}, '-q']); print('shapely' in sys.modules)")
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[1]
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=root, timeout=120)
    assert done.stdout.split()[-1:] == ["False"], done.stderr[-500:]


def test_geojson_output_opens_as_a_layer(tmp_path):
    import pyogrio

    pkg = _package(tmp_path / "p", "p.gpkg")
    _frame().to_file(pkg / "p.gpkg", driver="GPKG")
    assert main(["check", str(pkg), "-f", "geojson,json", "-o", str(tmp_path / "out")]) == 1
    out = tmp_path / "out" / "report.geojson"
    info = pyogrio.read_info(out)
    assert info["features"] == 1 and info["crs"] == "EPSG:4326" and info["geometry_type"] == "Polygon"
    layer = gpd.read_file(out)
    assert layer.loc[0, ["rule_id", "outcome", "key", "table"]].tolist() == ["P-1", "fail", 2, "parks"]
    # the 100 m square again, to the decimetre that 6 decimals of a degree keep (about 10 m2 of 10,000)
    assert layer.to_crs(27700).area.iloc[0] == pytest.approx(10_000.0, rel=2e-3)


def test_a_geojson_report_of_a_plan_without_shapes_says_why_it_is_empty(tmp_path, capsys):
    pkg = _package(tmp_path / "p", "p.gpkg")
    _frame().to_file(pkg / "p.gpkg", driver="GPKG")
    main(["check", str(pkg), "-f", "geojson", "-o", str(tmp_path / "with")])
    assert "no feature" not in capsys.readouterr().out  # a plan with shapes: the plain line
    riverside = Path(__file__).resolve().parents[1] / "examples" / "riverside"  # four CSV tables, no shapes
    assert main(["check", str(riverside), "-f", "geojson", "-o", str(tmp_path / "out")]) == 0
    assert gpd.read_file(tmp_path / "out" / "report.geojson").empty
    assert (f"wrote {tmp_path / 'out' / 'report.geojson'} (no feature: the plan has no shapes; tables read from a "
            "layer or a WKT column give them)") in capsys.readouterr().out


def _many(n: int) -> dict:
    """A report with n failing point objects on one layer (the map's input only)."""
    findings = [{"outcome": "fail", "table": "trees", "key": i, "row": i + 1, "message": f"tree {i}", "values": {},
                 "missing": [], "waiver": None, "location": {"file": "t.gpkg"},
                 "geometry": {"type": "Point", "coordinates": [-2.3 + (i % 400) * 1e-4, 53.4 + (i // 400) * 1e-4]}}
               for i in range(n)]
    rule = {"id": "T-1", "title": "Trees", "outcome": "fail", "strength": "should", "findings": findings}
    return {"rules": [rule], "spatial": {"crs": "EPSG:27700", "crs_name": "OSGB36 / British National Grid",
                                         "layers": [{"table": "trees", "outline": None}]}}


def test_the_map_draws_a_stated_number_of_shapes_and_counts_the_rest():
    from engine.render import map_

    small = map_.view(_many(10))
    assert small["drawn"] == 10 and small["aggregated"] == 0 and not small["cells"]
    big = map_.view(_many(100_000))
    assert big["drawn"] == map_.MAX_SHAPES and big["aggregated"] == 100_000 - map_.MAX_SHAPES
    assert sum(len(g["shapes"]) for g in big["groups"]) == map_.MAX_SHAPES
    assert sum(c["n"] for c in big["cells"]) == 100_000 - map_.MAX_SHAPES
    assert all(0.25 <= c["opacity"] <= 1 for c in big["cells"])


def test_an_optional_geometry_left_out_is_missing_data(tmp_path):
    pack = tmp_path / "pack.nbs"
    pack.write_text(PACK.format(crs="27700", kind="polygon", extra="").replace("shape: geometry polygon",
                                                                               "shape: geometry polygon optional")
                    .replace("shall p.name is present", "shall area(p.shape) >= 1 ha"), encoding="utf-8")
    pd.DataFrame({"fid": [1], "name": ["Ash"]}).to_csv(tmp_path / "p.csv", index=False)
    (tmp_path / "plan.yaml").write_text("plan: {id: g, title: G}\ntables: {parks: p.csv}\n", encoding="utf-8")
    std = api.load_standard(pack)
    report = api.evaluate(std, api.load_plan(tmp_path, std))
    (rule,) = report.results
    assert rule.outcome == "insufficient_data" and rule.findings[0].missing == ["parks.shape"]
    assert "spatial" not in report.data


@pytest.mark.parametrize("header,code,text", [
    ('crs "4326"', "unknown-crs", '`crs "4326"` does not measure in metres (WGS 84)'),
    ('crs "EPSG:99999"', "unknown-crs", '`crs "EPSG:99999"` is not a known coordinate reference system'),
    ('crs "27700"\n  repair "fix"', "bad-header", '`repair "fix"`: the only repair is "make_valid"'),
])
def test_the_standard_header_says_how_it_measures(tmp_path, header, code, text):
    pack = tmp_path / "p.nbs"
    pack.write_text(PACK.format(crs="27700", kind="polygon", extra="").replace('crs "27700"', header),
                    encoding="utf-8")
    (d,) = [d for d in api.lint(pack) if d.severity == "error"]
    assert (d.code, d.message, d.span.line) == (code, text, 3 if code != "bad-header" else 4)


@pytest.mark.parametrize(("shape", "summary", "text"), [
    # 100 m × 100 m = 10,000 m² = 1 ha
    (shapely.box(0, 0, 100, 100), {"geometry": "polygon", "area_m2": 10_000}, "polygon, 1 ha"),
    # 30 m × 15 m = 450 m²: below a hectare, in m²
    (shapely.box(0, 0, 30, 15), {"geometry": "polygon", "area_m2": 450}, "polygon, 450 m²"),
    # three 200 m squares: 3 × 40,000 m² = 12 ha
    (shapely.MultiPolygon([shapely.box(i * 500, 0, i * 500 + 200, 200) for i in range(3)]),
     {"geometry": "multipolygon", "parts": 3, "area_m2": 120_000}, "multipolygon (3 parts), 12 ha"),
    # 3-4-5 triangle legs: 900 m + 300 m = 1.2 km
    (shapely.LineString([(0, 0), (900, 0), (900, 300)]), {"geometry": "linestring", "length_m": 1200}, "line, 1.2 km"),
    (shapely.LineString([(0, 0), (30, 40)]), {"geometry": "linestring", "length_m": 50}, "line, 50 m"),
    (shapely.Point(1, 2), {"geometry": "point"}, "point"),
    (shapely.MultiPoint([(0, 0), (1, 1)]), {"geometry": "multipoint", "parts": 2}, "multipoint (2 parts)"),
    (shapely.Polygon(), {"geometry": "empty"}, "empty"),
])
def test_a_shape_value_is_summarised_never_written_out(shape, summary, text):
    from engine import format as F

    assert F.plain(shape) == summary
    assert F.value(shape) == F.value(summary) == text


def test_a_group_finding_has_the_shape_of_the_rows_it_is_about(tmp_path):
    """The union of the group's rows in the rule's scope (its category), not of every row with the key."""
    gdf = gpd.GeoDataFrame({"ward": ["w", "w", "w"]}, geometry=[_square(0), _square(1, 50), _square(2)], crs=27700)
    gdf.to_file(tmp_path / "p.geojson", driver="GeoJSON")
    (tmp_path / "pack.nbs").write_text("""standard g "G" { version "1" crs "27700" }
table parks "Parks" key fid {
  fid: integer
  ward: text
  shape: geometry polygon
}
category big "Parks of at least 0.5 ha" = parks where area(shape) >= 0.5 ha
rule W "Each ward has 5 ha of large parks" {
  for each p in big by ward
  shall dissolved_area(p.shape) >= 5 ha
}
""", encoding="utf-8")
    (tmp_path / "plan.yaml").write_text("plan: {id: g, title: G}\nstandard: pack.nbs\ntables:\n  parks: p.geojson\n",
                                        encoding="utf-8")
    report = api.evaluate(*_std_plan(tmp_path))
    (finding,) = report.data["rules"][0]["findings"]
    shape = gpd.GeoSeries([shapely.geometry.shape(finding["geometry"])], crs=4326).to_crs(27700).iloc[0]
    # squares 0 and 2 (100 m: 10,000 m2 each); square 1 (50 m: 2,500 m2) is below 0.5 ha, outside the category:
    # the union of every row of the ward would be 22,500 m2
    assert finding["key"] == "w" and shape.area == pytest.approx(20_000, abs=30)  # 6 decimals of a degree


def test_a_second_geometry_column_is_wkt_in_the_layer_and_reprojected_with_it(tmp_path, capsys):
    outfall = gpd.GeoSeries([shapely.Point(X0 + 150, Y0 + 50)], crs=27700).to_crs(4326).iloc[0]
    gdf = gpd.GeoDataFrame({"outfall": [outfall.wkt]}, geometry=[_square(0)], crs=27700).to_crs(4326)
    gdf.to_file(tmp_path / "p.geojson", driver="GeoJSON")
    (tmp_path / "pack.nbs").write_text("""standard g "G" { version "1" crs "27700" }
table parks "Parks" key fid {
  fid: integer
  shape: geometry polygon
  outfall: geometry point
}
rule O "An outfall lies within 10 m of its park" {
  for each p in parks
  shall distance(p.shape, p.outfall) <= 10 m
  else "{distance(p.shape, p.outfall)} m"
}
""", encoding="utf-8")
    (tmp_path / "plan.yaml").write_text("plan: {id: g, title: G}\nstandard: pack.nbs\ntables:\n  parks: p.geojson\n",
                                        encoding="utf-8")
    report = api.evaluate(*_std_plan(tmp_path))
    # both shapes come back from degrees to British National Grid: the outfall is 50 m east of the square's edge
    assert report.results[0].findings[0].message == "50 m"
    gdf.drop(columns="outfall").to_file(tmp_path / "p.geojson", driver="GeoJSON")
    assert main(["check", str(tmp_path)]) == 2  # a declared geometry column the file lacks
    assert ("p.geojson: missing-column: table `parks` has no column `outfall` (geometry point, as WKT)"
            in capsys.readouterr().err)
