"""The 17 rules of benchmarks/rules/ written by hand in pandas: the speed to aim for.

Same semantics as the engine: a rule that needs a null value gives
insufficient_data for that row (or group, or the plan), never pass or fail. Input is
the engine's loaded plan data (typed DataFrames, enum columns as ordered
categoricals, and the plan-level fields), so both start from the same place.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .outcomes import NOT_APPLICABLE, Outcome, plan_outcome, rows_outcome

GREENING_FACTOR = {
    "semi_natural_vegetation": 1.0, "wetland_open_water": 1.0, "intensive_green_roof": 0.8, "standard_trees": 0.8,
    "extensive_green_roof": 0.7, "flower_rich_planting": 0.7, "rain_garden": 0.7, "hedge": 0.6, "groundcover": 0.5,
    "amenity_grassland": 0.4, "sedum_roof": 0.3, "permeable_paving": 0.1, "sealed": 0.0,
}
UGF_RESIDENTIAL, UGF_COMMERCIAL = 0.4, 0.3
MIN_CANOPY, MIN_NEAR_GREEN, MIN_GREEN_M2, MIN_MAINTENANCE, MIN_NATIVE = 30.0, 90.0, 9.0, 3.0, 70.0


def _rows(keys: pd.Series, ok: np.ndarray, known: np.ndarray) -> Outcome:
    """Outcome of a per-row rule from numpy masks over the rows in scope."""
    return rows_outcome(int((ok & known).sum()), keys[~ok & known].tolist(), keys[~known].tolist())


def _ge(a, b) -> bool | None:
    return None if a is None or b is None or a != a or b != b else bool(a >= b)


def _ugf(objects: pd.DataFrame, site_area) -> float | None:
    factor = objects["cover"].map(GREENING_FACTOR).astype("float64")
    weighted = factor * objects["area_ha"]
    if site_area is None or weighted.isna().any():
        return None
    return float(weighted.sum()) / site_area


def evaluate(tables: dict[str, pd.DataFrame], fields: dict) -> dict[str, Outcome]:
    """Every rule of the frozen pack on one plan, by rule id."""
    obj, dist = tables["objects"], tables["districts"]
    ids, dids = obj["id"], dist["id"]
    out: dict[str, Outcome] = {}
    out["SUR-001"] = plan_outcome(fields.get("baseline_survey"))
    out["SUR-002"] = plan_outcome(fields.get("stakeholders_mapped"))

    base, target = obj["baseline_condition"], obj["target_condition"]
    base_codes, target_codes = base.cat.codes.to_numpy(), target.cat.codes.to_numpy()
    mode_given = obj["mode"].notna().to_numpy()
    # OBJ-001: degraded = baseline very_poor or poor; unknown baseline -> unknown membership
    in_scope = (base_codes <= 1)  # codes: -1 null, 0 very_poor, 1 poor
    out["OBJ-001"] = _rows(ids[in_scope], mode_given[in_scope], base_codes[in_scope] >= 0)

    known = (base_codes >= 0) & (target_codes >= 0)
    out["OBJ-002"] = _rows(ids, target_codes >= base_codes, known)

    measure = obj["measure"]
    scope = (measure == "grey").to_numpy() | measure.isna().to_numpy()
    out["NBS-001"] = _rows(ids[scope], obj["grey_justification"].notna().to_numpy()[scope],
                           measure.notna().to_numpy()[scope])

    wet = (obj["category"] == "wetland").to_numpy()
    area, baseline_area = obj["area_ha"].to_numpy()[wet], obj["baseline_area_ha"].to_numpy()[wet]
    nulls = np.isnan(area).any() or np.isnan(baseline_area).any() or obj["category"].isna().any()
    out["WET-001"] = plan_outcome(None if nulls else bool(area.sum() >= baseline_area.sum()))

    site_area, use = fields.get("site_area_ha"), fields.get("site_use")
    ugf = _ugf(obj, site_area) if use is not None else None
    if use is None:
        out["UGF-001"] = out["UGF-002"] = plan_outcome(None)
    else:
        out["UGF-001"] = plan_outcome(_ge(ugf, UGF_RESIDENTIAL)) if use in ("residential", "mixed") \
            else Outcome(NOT_APPLICABLE)
        out["UGF-002"] = plan_outcome(_ge(ugf, UGF_COMMERCIAL)) if use == "commercial" else Outcome(NOT_APPLICABLE)

    native = obj["native_species_share"].to_numpy()
    given = ~np.isnan(native)
    out["BIO-001"] = _rows(ids[given], native[given] >= MIN_NATIVE, np.ones(int(given.sum()), bool))

    brown = (obj["category"] == "brownfield").to_numpy()
    remediation = obj["remediation"][brown]
    out["BRN-001"] = _rows(ids[brown], remediation.isin(["not_needed", "planned", "completed"]).to_numpy(),
                           remediation.notna().to_numpy())

    per_capita = (dist["public_green_ha"] / dist["population"]).replace([np.inf, -np.inf], np.nan) * 10_000
    pc = per_capita.to_numpy()
    out["ACC-001"] = _rows(dids, pc >= MIN_GREEN_M2, ~np.isnan(pc))
    for rule, col, limit in (("ACC-002", "residents_near_green", MIN_NEAR_GREEN),
                             ("CAN-001", "canopy_share", MIN_CANOPY)):
        v = dist[col].to_numpy()
        out[rule] = _rows(dids, v >= limit, ~np.isnan(v))

    # ACC-003: per district, the area of objects that have a mode is positive
    has_district = obj["district"].notna().to_numpy()
    restored = obj["area_ha"].where(mode_given)
    by = obj["district"]
    total = restored.groupby(by, sort=True).sum()
    unknown = (restored.isna() & mode_given).groupby(by, sort=True).any()
    groups = total.index.to_series()
    ok, known = (total > 0).to_numpy(), ~unknown.to_numpy()
    no_key = ids[~has_district].tolist()
    g = _rows(groups, ok, known)
    out["ACC-003"] = rows_outcome(g.counts.get("pass", 0), list(g.failed), no_key + list(g.insufficient))

    out["IMP-001"] = plan_outcome(fields.get("monitoring_plan"))
    out["IMP-002"] = plan_outcome(_ge(fields.get("maintenance_years"), MIN_MAINTENANCE))
    monitoring = fields.get("monitoring_plan")
    if monitoring is None:
        out["IMP-003"] = plan_outcome(None)
    else:
        out["IMP-003"] = plan_outcome(_ge(fields.get("monitoring_per_year"), 1)) if monitoring \
            else Outcome(NOT_APPLICABLE)
    return out
