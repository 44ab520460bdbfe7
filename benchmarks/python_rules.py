"""The 17 rules of benchmarks/rules/ evaluated row by row in plain Python: the floor.

Rows are dicts (``None`` for an empty cell), as a script looping over a CSV would
see them; the semantics are the engine's (nulls give insufficient_data).
``records`` turns the engine's loaded tables into such rows, outside the timing.
"""

from __future__ import annotations

import pandas as pd

from .outcomes import FAIL, INSUFFICIENT, NOT_APPLICABLE, PASS, Outcome, plan_outcome, rows_outcome
from .pandas_rules import (
    GREENING_FACTOR,
    MIN_CANOPY,
    MIN_GREEN_M2,
    MIN_MAINTENANCE,
    MIN_NATIVE,
    MIN_NEAR_GREEN,
    UGF_COMMERCIAL,
    UGF_RESIDENTIAL,
)

RANK = {"very_poor": 0, "poor": 1, "moderate": 2, "good": 3, "excellent": 4}
REMEDIATED = {"not_needed", "planned", "completed"}


def records(df: pd.DataFrame) -> list[dict]:
    """The rows of a table as dicts of plain Python values, ``None`` for empty cells."""
    cols = {c: df[c].astype(object).where(df[c].notna(), None).tolist() for c in df.columns}
    names = list(cols)
    return [dict(zip(names, values, strict=True)) for values in zip(*cols.values(), strict=True)]


class _Tally:
    """Outcomes of the rows of one rule."""

    def __init__(self):
        self.passed = 0
        self.failed: list = []
        self.insufficient: list = []

    def add(self, key, outcome: str) -> None:
        if outcome == PASS:
            self.passed += 1
        elif outcome == FAIL:
            self.failed.append(key)
        else:
            self.insufficient.append(key)

    def outcome(self) -> Outcome:
        return rows_outcome(self.passed, self.failed, self.insufficient)


def _ge(a, b) -> str:
    if a is None or b is None:
        return INSUFFICIENT
    return PASS if a >= b else FAIL


def evaluate(objects: list[dict], districts: list[dict], fields: dict) -> dict[str, Outcome]:
    """Every rule of the frozen pack, one loop per rule over dict rows."""
    out: dict[str, Outcome] = {}
    out["SUR-001"] = plan_outcome(fields.get("baseline_survey"))
    out["SUR-002"] = plan_outcome(fields.get("stakeholders_mapped"))

    t = _Tally()
    for o in objects:
        base = o["baseline_condition"]
        if base is None:
            t.add(o["id"], INSUFFICIENT)
        elif base in ("very_poor", "poor"):
            t.add(o["id"], PASS if o["mode"] is not None else FAIL)
    out["OBJ-001"] = t.outcome()

    t = _Tally()
    for o in objects:
        base, target = o["baseline_condition"], o["target_condition"]
        t.add(o["id"], _ge(RANK[target] if target is not None else None, RANK[base] if base is not None else None))
    out["OBJ-002"] = t.outcome()

    t = _Tally()
    for o in objects:
        if o["measure"] is None:
            t.add(o["id"], INSUFFICIENT)
        elif o["measure"] == "grey":
            t.add(o["id"], PASS if o["grey_justification"] is not None else FAIL)
    out["NBS-001"] = t.outcome()

    area = baseline = 0.0
    unknown = False
    for o in objects:
        if o["category"] is None:
            unknown = True
        elif o["category"] == "wetland":
            if o["area_ha"] is None or o["baseline_area_ha"] is None:
                unknown = True
            else:
                area += o["area_ha"]
                baseline += o["baseline_area_ha"]
    out["WET-001"] = plan_outcome(None if unknown else area >= baseline)

    use, site_area = fields.get("site_use"), fields.get("site_area_ha")
    weighted = 0.0
    for o in objects:
        if weighted is None:
            break
        factor = GREENING_FACTOR.get(o["cover"]) if o["cover"] is not None else None
        weighted = None if factor is None or o["area_ha"] is None else weighted + factor * o["area_ha"]
    ugf = None if weighted is None or site_area is None else weighted / site_area
    for rule, uses, target in (("UGF-001", ("residential", "mixed"), UGF_RESIDENTIAL),
                               ("UGF-002", ("commercial",), UGF_COMMERCIAL)):
        if use is None:
            out[rule] = plan_outcome(None)
        elif use in uses:
            out[rule] = plan_outcome(None if ugf is None else ugf >= target)
        else:
            out[rule] = Outcome(NOT_APPLICABLE)

    t = _Tally()
    for o in objects:
        if o["native_species_share"] is not None:
            t.add(o["id"], _ge(o["native_species_share"], MIN_NATIVE))
    out["BIO-001"] = t.outcome()

    t = _Tally()
    for o in objects:
        if o["category"] is None:
            t.add(o["id"], INSUFFICIENT)
        elif o["category"] == "brownfield":
            r = o["remediation"]
            t.add(o["id"], INSUFFICIENT if r is None else PASS if r in REMEDIATED else FAIL)
    out["BRN-001"] = t.outcome()

    t = _Tally()
    for d in districts:
        green, people = d["public_green_ha"], d["population"]
        per_capita = None if green is None or people is None or people == 0 else green / people * 10_000
        t.add(d["id"], _ge(per_capita, MIN_GREEN_M2))
    out["ACC-001"] = t.outcome()
    for rule, col, limit in (("ACC-002", "residents_near_green", MIN_NEAR_GREEN),
                             ("CAN-001", "canopy_share", MIN_CANOPY)):
        t = _Tally()
        for d in districts:
            t.add(d["id"], _ge(d[col], limit))
        out[rule] = t.outcome()

    restored: dict[str, float | None] = {}
    no_key = []
    for o in objects:
        k = o["district"]
        if k is None:
            no_key.append(o["id"])
            continue
        total = restored.get(k, 0.0)
        if o["mode"] is not None and total is not None:
            total = None if o["area_ha"] is None else total + o["area_ha"]
        restored[k] = total
    t = _Tally()
    t.insufficient = no_key
    for k in sorted(restored):
        total = restored[k]
        t.add(k, INSUFFICIENT if total is None else PASS if total > 0 else FAIL)
    out["ACC-003"] = t.outcome()

    out["IMP-001"] = plan_outcome(fields.get("monitoring_plan"))
    maintenance = fields.get("maintenance_years")
    out["IMP-002"] = plan_outcome(None if maintenance is None else maintenance >= MIN_MAINTENANCE)
    monitoring, per_year = fields.get("monitoring_plan"), fields.get("monitoring_per_year")
    if monitoring is None:
        out["IMP-003"] = plan_outcome(None)
    elif monitoring:
        out["IMP-003"] = plan_outcome(None if per_year is None else per_year >= 1)
    else:
        out["IMP-003"] = Outcome(NOT_APPLICABLE)
    return out
