"""Spatial checks: the engine against the same checks written by hand in geopandas, in one run.

    python -m benchmarks.spatial                 # the sizes of the targets (below), 5 runs each
    python -m benchmarks.spatial --scale 0.1     # a tenth of every size: a smoke run (tests run it)

Three checks, each a one-rule standard evaluated on a generated plan of GeoParquet layers in British
National Grid, loaded once (loading is not timed):

- nearest: for each of 10^5 homes (points), the distance to the nearest of 10^4 parks (polygons) is
  at most 300 m;
- covered: for each of 10^4 districts (a grid of 500 m squares), canopy (10^5 overlapping crowns of
  20 to 90 m radius) covers at least 30 % of it, overlaps counted once;
- dissolved: for each of 100 wards, the union of its parks covers at least 200 ha (scaled with the
  sizes: about half the wards fail).

The hand-written versions use geopandas as an analyst would (``sjoin_nearest``; ``overlay`` then
``dissolve`` by district; ``dissolve`` by ward) and return the keys that fail. Before timing, the failing keys of
the two are compared; a disagreement exits 1. The target is engine / geopandas <= 1.5x (median wall
time), printed as `met` or `MISSED`, never asserted.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from engine import api
from engine.evaluate import evaluate_standard

TARGET = 1.5
X0, Y0 = 400_000.0, 300_000.0

PACK = """standard bench "Spatial benchmark" {{
  version "1"
  crs "27700"
}}
table homes "Homes" key id {{
  id: integer
  shape: geometry point
}}
table parks "Parks" key id {{
  id: integer
  ward: integer
  shape: geometry polygon
}}
table districts "Districts" key id {{
  id: integer
  shape: geometry polygon
}}
table canopy "Canopy" key id {{
  id: integer
  shape: geometry polygon
}}
{rule}
"""
RULES = {
    "nearest": 'rule N "A park within 300 m" {{\n  for each h in homes\n  shall nearest(h.shape, parks) <= 300 m\n}}',
    "covered": 'rule C "30 % canopy" {{\n  for each d in districts\n  shall covered_share(d.shape, canopy) >= 30 %\n}}',
    "dissolved": 'rule D "Park per ward" {{\n  for each p in parks by ward\n'
                 '  shall dissolved_area(p.shape) >= {ward_ha} ha\n}}',
}


def generate(root: Path, scale: float, seed: int = 7) -> None:
    """Homes, parks, districts and canopy as GeoParquet, with a plan.yaml naming them."""
    rng = np.random.default_rng(seed)
    n_homes, n_parks, n_canopy = int(100_000 * scale), int(10_000 * scale), int(100_000 * scale)
    side = max(int(round(100 * np.sqrt(scale))), 2)  # districts: side × side squares of 500 m
    extent = side * 500.0
    crs = "EPSG:27700"
    xy = rng.uniform(0, extent, (n_homes, 2)) + [X0, Y0]
    homes = gpd.GeoDataFrame({"id": np.arange(n_homes)}, geometry=shapely.points(xy), crs=crs)
    homes.to_parquet(root / "homes.parquet")
    corner = rng.uniform(0, extent, (n_parks, 2)) + [X0, Y0]
    size = rng.uniform(40, 260, (n_parks, 2))
    parks = shapely.box(corner[:, 0], corner[:, 1], corner[:, 0] + size[:, 0], corner[:, 1] + size[:, 1])
    wards = rng.integers(0, 100, n_parks)
    parks = gpd.GeoDataFrame({"id": np.arange(n_parks), "ward": wards}, geometry=parks, crs=crs)
    parks.to_parquet(root / "parks.parquet")
    i, j = np.divmod(np.arange(side * side), side)
    districts = shapely.box(X0 + 500 * i, Y0 + 500 * j, X0 + 500 * i + 500, Y0 + 500 * j + 500)
    gpd.GeoDataFrame({"id": np.arange(side * side)}, geometry=districts, crs=crs).to_parquet(root / "districts.parquet")
    centres = shapely.points(rng.uniform(0, extent, (n_canopy, 2)) + [X0, Y0])
    crowns = shapely.buffer(centres, rng.uniform(20, 90, n_canopy), quad_segs=4)
    gpd.GeoDataFrame({"id": np.arange(n_canopy)}, geometry=crowns, crs=crs).to_parquet(root / "canopy.parquet")
    tables = "".join(f"  {t}: {t}.parquet\n" for t in ("homes", "parks", "districts", "canopy"))
    (root / "plan.yaml").write_text(f"plan: {{id: bench, title: Spatial benchmark}}\ntables:\n{tables}",
                                    encoding="utf-8")


# ---- by hand, in geopandas ----------------------------------------------------------------------------


def by_hand_nearest(layers: dict, ward_ha: float) -> set:
    homes, parks = layers["homes"], layers["parks"]
    near = gpd.sjoin_nearest(homes, parks[["geometry"]], distance_col="d")
    d = near.groupby(level=0)["d"].min()
    return set(homes.loc[d.index[d > 300], "id"])


def by_hand_covered(layers: dict, ward_ha: float) -> set:
    districts, canopy = layers["districts"], layers["canopy"]
    pieces = gpd.overlay(canopy[["geometry"]], districts, how="intersection", keep_geom_type=True)
    covered = pieces.dissolve(by="id").area.reindex(districts["id"], fill_value=0.0).to_numpy()
    share = covered / districts.area.to_numpy() * 100
    return set(districts.loc[share < 30, "id"])


def by_hand_dissolved(layers: dict, ward_ha: float) -> set:
    area = layers["parks"].dissolve(by="ward").area
    return set(area.index[area < ward_ha * 10_000])


BY_HAND = {"nearest": by_hand_nearest, "covered": by_hand_covered, "dissolved": by_hand_dissolved}


# ---- the run ---------------------------------------------------------------------------------------------


def _timed(fn, repeat: int) -> tuple[float, float, object]:
    times, out = [], None
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), min(times), out


def run(scale: float, repeat: int) -> int:
    failed = 0
    with tempfile.TemporaryDirectory(prefix="nbscheck-spatial-") as tmp:
        root = Path(tmp)
        generate(root, scale)
        layers = {t: gpd.read_parquet(root / f"{t}.parquet") for t in ("homes", "parks", "districts", "canopy")}
        sizes = {t: len(v) for t, v in layers.items()}
        print(f"spatial checks: {sizes['homes']:,} homes, {sizes['parks']:,} parks, {sizes['districts']:,} districts, "
              f"{sizes['canopy']:,} canopy polygons; median of {repeat} runs")
        print(f"{'check':<10} {'engine s':>9} {'geopandas s':>12} {'ratio':>7}  target <= {TARGET}x")
        for name, rule in RULES.items():
            ward_ha = round(200 * scale, 3)
            (root / "pack.nbs").write_text(PACK.format(rule=rule.format(ward_ha=ward_ha)), encoding="utf-8")
            std = api.load_standard(root / "pack.nbs")
            plan = api.load_plan(root, std)
            med_e, best_e, results = _timed(partial(evaluate_standard, std, plan), repeat)
            med_h, best_h, keys = _timed(partial(BY_HAND[name], layers, ward_ha), repeat)
            (result,) = results
            engine_keys = {f.key for f in result.findings if f.outcome == "fail"}
            if engine_keys != keys:
                print(f"{name}: the engine and geopandas disagree: {len(engine_keys ^ keys)} keys differ "
                      f"(first: {sorted(engine_keys ^ keys)[:5]})")
                failed = 1
                continue
            ratio = med_e / med_h
            print(f"{name:<10} {med_e:>9.3f} {med_h:>12.3f} {ratio:>6.2f}x  {'met' if ratio <= TARGET else 'MISSED'}"
                  f"   (best {best_e:.3f} / {best_h:.3f}; {len(keys):,} failing)")
    return failed


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.spatial", description=__doc__.split("\n\n")[0])
    p.add_argument("--scale", type=float, default=1.0, help="multiply every size (0.1: a smoke run)")
    p.add_argument("--repeat", type=int, default=5)
    args = p.parse_args(argv)
    return run(args.scale, args.repeat)


if __name__ == "__main__":
    sys.exit(main())
