"""The Trafford example: every figure its README states, recomputed with plain geopandas.

Nothing here calls nbscheck to compute a figure: the layers are read with geopandas, projected to
British National Grid and measured with geopandas/shapely operations written out below. The figures
are then compared with the README's table and with nbscheck's report of the same package.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from engine import api
from engine.cli import main

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "trafford"
LAYERS = EXAMPLE / "layers"


def _read(name: str) -> gpd.GeoDataFrame:
    return gpd.read_file(LAYERS / f"{name}.geojson").to_crs(27700)


@pytest.fixture(scope="module")
def figures() -> dict:
    districts = _read("polling_districts_electors_2027")
    sites = _read("trafford_greenspace_sites")
    electors = districts["Local electors 2027"]
    parks = sites[sites.site_type == "Public Park Or Garden"]
    large = parks[parks.area >= 5_000]  # 0.5 ha
    reach = large.buffer(300, resolution=16).union_all()
    within = districts.intersection(reach).area / districts.area * 100
    park_area = districts.intersection(parks.union_all()).area
    wards = pd.DataFrame({"ward": districts.Ward, "park": park_area, "electors": electors}).groupby("ward").sum()
    trees = _read("trafford_highways_trees")
    hits = gpd.sjoin(trees, districts[["PD_ID", "geometry"]], predicate="intersects")
    per_district = hits.groupby("PD_ID").size().reindex(districts.PD_ID, fill_value=0).to_numpy()
    allotments = _read("trafford_allotments").union_all().area / 10_000
    conservation = _read("trafford_conservation_areas")
    green = conservation.intersection(sites.union_all()).area / conservation.area * 100
    access = _read("trafford_greenspace_access_points")
    nearest = gpd.sjoin_nearest(large[["geometry"]], access[["geometry"]], distance_col="d")
    return {
        "electors": int(electors.sum()),
        "reach_pct": float((electors * within).sum() / electors.sum()),
        "districts_below_half": int((within < 50).sum()),
        "wards_below_8": int((wards.park / wards.electors < 8).sum()),
        "wards": len(wards),
        "trees": len(trees),
        "trees_in_districts": int(hits.index.nunique()),
        "districts_few_trees": int((per_district / electors.to_numpy() * 100 < 5).sum()),
        "allotment_ha": float(allotments),
        "allotment_per_1000": float(allotments / electors.sum() * 1000),
        "conservation_below_10": int((green < 10).sum()),
        "listed_ha": float(sites.area.sum() / 10_000),
        "union_ha": float(sites.union_all().area / 10_000),
        "parks": len(parks),
        "large_parks": len(large),
        "large_parks_with_entrance": int((nearest.groupby(level=0).d.min() <= 20).sum()),
    }


@pytest.fixture(scope="module")
def report():
    std = api.load_standard("green_infrastructure")
    return api.evaluate(std, api.load_plan(EXAMPLE, std))


def test_the_readme_states_the_independent_figures(figures):
    readme = (EXAMPLE / "README.md").read_text(encoding="utf-8")
    f = figures
    stated = [
        f"**{f['reach_pct']:.2f} %** of the {f['electors']:,} electors",
        f"**{f['districts_below_half']} of 91** districts",
        f"**{f['wards_below_8']} of {f['wards']}** wards",
        f"**{f['districts_few_trees']} of 91** districts have fewer than 5 street trees",
        f"({f['trees_in_districts']:,} of the {f['trees']:,} trees lie in a district)",
        f"**{f['allotment_ha']:.2f} ha** of allotments (their union), **{f['allotment_per_1000']:.4f} ha** per 1,000",
        f"**{f['conservation_below_10']} of 21** conservation areas",
        f"the sites list **{f['listed_ha']:.2f} ha** but their union covers **{f['union_ha']:.2f} ha**: "
        f"**{f['listed_ha'] - f['union_ha']:.2f} ha** is counted twice",
        f"all **{f['large_parks_with_entrance']}** public parks of at least 0.5 ha (of {f['parks']})",
    ]
    for text in stated:
        assert text in readme, text
    assert f["large_parks_with_entrance"] == f["large_parks"] == 30


def test_the_report_gives_the_same_figures(figures, report):
    rules = {r.rule_id: r for r in report.results}
    f = figures
    assert report.verdict == "non_compliant"
    assert rules["GI-001"].evidence["let"]["reach"] == pytest.approx(f["reach_pct"], abs=1e-4)
    assert rules["GI-002"].counts == {"pass": 91 - f["districts_below_half"], "fail": f["districts_below_half"]}
    assert rules["GI-003"].counts["fail"] == f["wards_below_8"]
    assert rules["GI-004"].counts["fail"] == f["districts_few_trees"]
    assert rules["GI-005"].evidence["let"]["per_1000"] == pytest.approx(f["allotment_per_1000"], abs=1e-5)
    assert rules["GI-006"].counts["fail"] == f["conservation_below_10"]
    assert rules["GI-007"].evidence["let"]["listed"] == pytest.approx(f["listed_ha"], abs=1e-4)
    assert rules["GI-007"].evidence["let"]["dissolved"] == pytest.approx(f["union_ha"], abs=1e-4)
    assert rules["GI-008"].counts == {"pass": f["large_parks"]}


def test_findings_carry_their_district_and_the_report_its_crs(report):
    spatial = report.data["spatial"]
    assert spatial["crs"] == "EPSG:27700" and spatial["chosen_by"] == "plan"
    assert {lay["table"]: lay["features"] for lay in spatial["layers"]} == {
        "districts": 91, "sites": 427, "access_points": 893, "trees": 15_638, "allotments": 35, "conservation": 21,
        "built_up": 15, "farmland": 10}
    gi2 = next(r for r in report.data["rules"] if r["id"] == "GI-002")
    first = gi2["findings"][0]
    districts = gpd.read_file(LAYERS / "polling_districts_electors_2027.geojson")
    published = districts.set_index("PD_ID").geometry[first["key"]]
    from shapely.geometry import shape

    # the same shape, simplified to within 0.5 m in British National Grid and rounded to 6 decimals of a degree
    # (at most 0.06 m east and north here): no point of either outline is more than 0.56 m from the other
    both = gpd.GeoSeries([shape(first["geometry"]), published], crs=4326).to_crs(27700)
    assert both.iloc[0].hausdorff_distance(both.iloc[1]) <= 0.56
    assert shapely.get_num_coordinates(both.iloc[0]) < shapely.get_num_coordinates(both.iloc[1])


ALL_FORMATS = "html,json,csv,junit,sarif,geojson,text,md,github,gitlab"
WKT = re.compile(r"\b(MULTI)?(POLYGON|LINESTRING|POINT|GEOMETRYCOLLECTION) ?(Z )?\(")


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("trafford-reports")
    assert main(["check", str(EXAMPLE), "-f", ALL_FORMATS, "-o", str(out), "--quiet"]) == 1
    return out


def test_no_output_dumps_a_shape_as_text(written):
    files = sorted(p for p in written.iterdir() if p.is_file())
    assert len(files) >= 10
    for p in files:
        assert not WKT.search(p.read_text(encoding="utf-8")), p.name
    # before: report.json 10.5 MB, report.html 2.3 MB, report.csv 1.9 MB, report.junit.xml 1.9 MB,
    # report.sarif 2.0 MB, report.geojson 3.5 MB (each finding's WKT in its values)
    limits = {"report.json": 2_500_000, "report.html": 600_000, "report.csv": 60_000, "report.junit.xml": 60_000,
              "report.sarif": 250_000, "report.geojson": 1_800_000}
    assert {n: (written / n).stat().st_size <= lim for n, lim in limits.items()} == dict.fromkeys(limits, True)
    rows = list(csv.reader((written / "report.csv").open(encoding="utf-8")))
    assert max(len(cell) for row in rows for cell in row) < 400
    cells = re.findall(r'<td class="val[^"]*">(.*?)</td>', (written / "report.html").read_text(encoding="utf-8"))
    assert cells and max(len(re.sub(r"<[^>]+>", "", c)) for c in cells) < 60


def test_a_shape_value_is_its_kind_and_area(written):
    districts = _read("polling_districts_electors_2027").set_index("PD_ID")
    report = json.loads((written / "report.json").read_text(encoding="utf-8"))
    gi2 = next(r for r in report["rules"] if r["id"] == "GI-002")
    first = gi2["findings"][0]
    shape = districts.geometry[first["key"]]
    # the district's own area, measured by geopandas in British National Grid, in m² and in ha
    assert first["values"]["shape"] == {"geometry": shape.geom_type.lower(), "parts": len(shape.geoms),
                                        "area_m2": pytest.approx(shape.area, abs=0.01)}
    ha = f"{shape.area / 10_000:.2f}".rstrip("0").rstrip(".")  # above 100: two decimals
    parts = f"{len(shape.geoms)} part{'' if len(shape.geoms) == 1 else 's'}"
    text = f"multipolygon ({parts}), {ha} ha"
    html = (written / "report.html").read_text(encoding="utf-8")
    assert f'<a href="#map-GI-002-1" title="Show on the map">{text}</a>' in html
    assert 'id="map-GI-002-1"' in html  # the link's target: the district drawn on the map
    row = next(r for r in csv.DictReader((written / "report.csv").open(encoding="utf-8"))
               if r["rule_id"] == "GI-002" and r["key"] == first["key"])
    assert json.loads(row["values"])["shape"] == text
    feature = next(f for f in json.loads((written / "report.geojson").read_text(encoding="utf-8"))["features"]
                   if f["properties"]["rule_id"] == "GI-002" and f["properties"]["key"] == first["key"])
    assert feature["properties"]["value_shape"] == text and feature["geometry"] == first["geometry"]
    assert all(not isinstance(v, dict | list) for v in feature["properties"].values())
    junit = (written / "report.junit.xml").read_text(encoding="utf-8")
    assert f"shape = {text}" in junit


def test_the_json_report_writes_each_shape_once_on_one_line(written):
    text = (written / "report.json").read_text(encoding="utf-8")
    report = json.loads(text)
    findings = [f for r in report["rules"] for f in r["findings"] if f.get("geometry")]
    assert findings and text.count('"geometry": {"type":') == len(findings)
    assert text.count('"outline": {"type":') == sum(bool(lay["outline"]) for lay in report["spatial"]["layers"])
    assert all(isinstance(v, dict) and "coordinates" not in v for f in findings for v in f["values"].values()
               if isinstance(v, dict))


def test_the_reports_are_byte_identical_on_a_second_run(written, tmp_path):
    assert main(["check", str(EXAMPLE), "-f", ALL_FORMATS, "-o", str(tmp_path), "--quiet"]) == 1
    names = sorted(p.name for p in written.iterdir() if p.is_file() and p.name != "report.manifest.json")
    assert names == sorted(p.name for p in tmp_path.iterdir() if p.is_file() and p.name != "report.manifest.json")
    assert [n for n in names if (written / n).read_bytes() != (tmp_path / n).read_bytes()] == []
