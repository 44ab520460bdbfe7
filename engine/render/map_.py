"""The map of the HTML report: findings drawn on their layers, as inline SVG.

Shapes come from the report alone (``spatial.layers[].outline`` for the backdrop, each finding's
``geometry``), in WGS84; they are projected to the page with an equirectangular projection about
the map's middle latitude (exact enough at the scale of a city) and simplified to half a pixel.

A map stays readable at any size by a stated rule: the first ``MAX_SHAPES`` findings (most serious
rules first, in the report's order) are drawn one by one, each a link to its rule card and the target
of the shape values in that card's table (``_common.map_object_id``); the others are counted in
``CELL``-pixel grid squares, shaded by how many objects each holds and coloured by the most serious
outcome among them.
"""

from __future__ import annotations

import math

import numpy as np
import shapely
from shapely.geometry import shape as from_geojson

from ._common import OUTCOME_LABEL, issue_findings, map_object_id, ordered_rules

WIDTH = 1000  # the map's width in SVG units (pixels at full size)
MAX_SHAPES = 5000  # findings drawn one by one; the rest are counted in grid cells
CELL = 10  # grid cell size for the findings beyond MAX_SHAPES
POINT_R = 3.0
PALETTE = ("#b9c0b3", "#5f9e5a", "#c9a24a", "#7a8fb8", "#a58a6f", "#9c7bb0", "#6fa8a8", "#b07b7b")  # backdrop layers
_SEVERITY = {"fail": 0, "insufficient_data": 1, "waived": 2}


class _Projection:
    def __init__(self, bounds):
        lon0, lat0, lon1, lat1 = bounds
        pad_x, pad_y = max((lon1 - lon0) * 0.02, 1e-4), max((lat1 - lat0) * 0.02, 1e-4)
        self.lon0, self.lat1 = lon0 - pad_x, lat1 + pad_y
        self.cos = math.cos(math.radians((lat0 + lat1) / 2))
        self.k = WIDTH / ((lon1 - lon0 + 2 * pad_x) * self.cos)
        self.height = round((lat1 - lat0 + 2 * pad_y) * self.k, 1)

    def __call__(self, geom):
        return shapely.transform(geom, lambda c: np.c_[(c[:, 0] - self.lon0) * self.cos * self.k,
                                                       (self.lat1 - c[:, 1]) * self.k])


def _num(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


def _ring(coords) -> str:
    pts = [f"{_num(x)} {_num(y)}" for x, y in coords[:-1]]
    return ("M" + " L".join(pts) + " Z") if pts else ""


def path(geom) -> str:
    """SVG path data of a projected shape: polygons (holes by the even-odd rule), lines, points as dots."""
    if geom is None or geom.is_empty:
        return ""
    kind = geom.geom_type
    if kind == "Polygon":
        return " ".join(p for p in [_ring(geom.exterior.coords)] + [_ring(r.coords) for r in geom.interiors] if p)
    if kind == "LineString":
        pts = [f"{_num(x)} {_num(y)}" for x, y in geom.coords]
        return "M" + " L".join(pts)
    if kind == "Point":
        x, y, r = geom.x, geom.y, POINT_R
        return f"M{_num(x - r)} {_num(y)} a{_num(r)} {_num(r)} 0 1 0 {_num(2 * r)} 0 a{_num(r)} {_num(r)} 0 1 0 " \
               f"{_num(-2 * r)} 0"
    return " ".join(path(g) for g in getattr(geom, "geoms", []))


def _simple(geom):
    if geom.geom_type in ("Point", "MultiPoint"):
        return geom
    return shapely.simplify(geom, 0.5, preserve_topology=False)


def view(report: dict) -> dict | None:
    """Everything the map template draws, or None when the plan has no layers."""
    spatial = report.get("spatial")
    if not spatial:
        return None
    drawn = []
    for rule in ordered_rules(report):
        for i, f in enumerate(issue_findings(rule)):
            if f.get("geometry"):
                drawn.append((rule, (i, f), from_geojson(f["geometry"])))
    layers = [(lay, from_geojson(lay["outline"])) for lay in spatial["layers"] if lay.get("outline")]
    shapes = [g for _, g in layers] + [g for _, _, g in drawn]
    if not shapes:
        return None
    proj = _Projection(shapely.total_bounds(np.array(shapes, dtype=object)))
    extent = WIDTH * proj.height
    backdrop = []
    for i, (lay, g) in enumerate(layers):
        shape = proj(g)
        backdrop.append({"table": lay["table"], "d": path(_simple(shape)), "colour": PALETTE[i % len(PALETTE)],
                         "under": shapely.area(shape) > 0.2 * extent, "area": shapely.area(shape)})
    backdrop.sort(key=lambda b: -b["area"])  # large layers first: small ones stay visible on top
    groups: dict[str, dict] = {}
    for rule, (i, f), g in drawn[:MAX_SHAPES]:
        grp = groups.setdefault(rule["id"], {"id": rule["id"], "title": rule["title"], "outcome": rule["outcome"],
                                             "shapes": []})
        grp["shapes"].append({"id": map_object_id(rule["id"], i), "d": path(_simple(proj(g))), "outcome": f["outcome"],
                              "title": f"{rule['id']} · {OUTCOME_LABEL[f['outcome']]} · {f['table']}/{f['key']}: "
                                       f"{f['message']}"})
    cells = _cells(proj, drawn[MAX_SHAPES:])
    return {"width": WIDTH, "height": proj.height, "under": [b for b in backdrop if b["under"]],
            "over": [b for b in backdrop if not b["under"]], "backdrop": backdrop, "groups": list(groups.values()),
            "cells": cells, "drawn": min(len(drawn), MAX_SHAPES), "total": len(drawn),
            "aggregated": max(len(drawn) - MAX_SHAPES, 0), "cell": CELL, "max_shapes": MAX_SHAPES,
            "crs": spatial["crs"], "crs_name": spatial["crs_name"],
            "layers": [lay["table"] for lay, _ in layers]}


def _cells(proj: _Projection, rest: list) -> list[dict]:
    """The findings beyond the cap, counted per grid square with the most serious outcome among them."""
    if not rest:
        return []
    points = proj(shapely.point_on_surface(np.array([g for _, _, g in rest], dtype=object)))
    xy = shapely.get_coordinates(points)
    cx, cy = (xy[:, 0] // CELL).astype(int), (xy[:, 1] // CELL).astype(int)
    found: dict[tuple[int, int], list] = {}
    for x, y, (_, (_, f), _) in zip(cx.tolist(), cy.tolist(), rest):
        cell = found.setdefault((x, y), [0, "waived"])
        cell[0] += 1
        if _SEVERITY[f["outcome"]] < _SEVERITY[cell[1]]:
            cell[1] = f["outcome"]
    top = max(n for n, _ in found.values())
    return [{"x": x * CELL, "y": y * CELL, "n": n, "outcome": o,
             "opacity": round(0.25 + 0.75 * math.log1p(n) / math.log1p(top), 2)}
            for (x, y), (n, o) in sorted(found.items())]
