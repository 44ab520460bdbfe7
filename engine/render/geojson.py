"""The GeoJSON report: every finding that has a shape, as a feature, for QGIS or any GIS.

A FeatureCollection (RFC 7946: WGS84 longitude, latitude) with one feature per row or group
that did not pass, most serious rule first. Each feature's properties are flat, so a GIS shows
them as columns and can style by outcome: the rule, its title, strength and severity, the
outcome, the table and key, the message, the waiver's reason, and every value read (prefixed
``value_``; a shape value as its summary text, ``polygon, 2.41 ha``: the feature's geometry is the
shape itself). A plan without layers gives an empty collection.
"""

from __future__ import annotations

import json

from .. import format as F
from ._common import field, issue_findings, ordered_rules

FILENAME = "report.geojson"


def features(report: dict) -> list[dict]:
    out = []
    for rule in ordered_rules(report):
        findings = issue_findings(rule)
        shapes = field(findings, "geometry")
        if not any(shapes):  # a rule on a table without shapes: its findings are not built
            continue
        for f, shape in zip(findings, shapes):
            if not shape:
                continue
            props = {"rule_id": rule["id"], "title": rule["title"], "strength": rule["strength"],
                     "severity": rule["severity"], "outcome": f["outcome"], "table": f["table"], "key": f["key"],
                     "message": f["message"], "waiver": (f.get("waiver") or {}).get("reason")}
            props.update({f"value_{k}": F.value(v) if isinstance(v, dict) else v for k, v in f["values"].items()})
            out.append({"type": "Feature", "properties": props, "geometry": f["geometry"]})
    return out


def render(report: dict) -> str:
    spatial = report.get("spatial") or {}
    doc = {"type": "FeatureCollection", "name": f"nbscheck {report['plan']['id']}",
           "nbscheck": {"standard": report["standard"]["id"], "verdict": report["verdict"],
                        "working_crs": spatial.get("crs")},
           "features": features(report)}
    return json.dumps(doc, ensure_ascii=False, allow_nan=False) + "\n"
