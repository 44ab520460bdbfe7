"""The report: the plain-data contract every output format is rendered from.

``build_report`` turns rule results into a JSON-ready dict (see
``reports/report.schema.json``); the same inputs give the same dict, so
renderers produce byte-identical files.
"""

from __future__ import annotations

from dataclasses import asdict

import shapely

from .model import Standard
from .plan import Plan, geo
from .resources import version
from .results import RuleResult, outcome_counts, scores, verdict

REPORT_VERSION = "1.0"


def _location(plan: Plan, table: str, row: int | None) -> dict:
    loc = {"file": plan.table_files.get(table)}
    first = plan.first_data_line.get(table)
    if row is not None:
        loc["row"] = row
        if first:
            loc["line"] = row + first - 1
    return loc


def _plan_location(std: Standard, plan: Plan, result: RuleResult) -> dict:
    """Where in plan.yaml a plan-level rule reads its data (its first field), else the file."""
    rule = std.rule(result.rule_id)
    refs = sorted(rule.assertion.refs) if rule is not None else []
    paths = [std.fields[r.name].path.split(".") for r in refs if r.kind == "field"]
    if paths:
        return {"file": plan.plan_file, "line": plan.line(*paths[0])}
    tables = sorted({r.rowset for r in refs if r.kind == "elem" and r.rowset})
    if tables:  # a total over a table: point at the table's file
        rs = tables[0]
        return {"file": plan.table_files.get(rs if rs in std.tables else std.categories[rs].table) or plan.plan_file}
    return {"file": plan.plan_file}


def build_report(std: Standard, plan: Plan, results: list[RuleResult], waivers_file: str | None = None) -> dict:
    """The report dict for one evaluation."""
    shapes = _shapes(std, plan, results) if plan.layers else {}
    rules = []
    for r in results:
        d = {"id": r.rule_id, **{k: v for k, v in asdict(r).items() if k != "rule_id"}}
        findings = []
        first_rows = _group_first_rows(std, plan, r) if r.scope == "group" else {}
        for f in r.findings:
            fd = asdict(f)
            fd["location"] = _location(plan, f.table, f.row)
            if f.row is None and str(f.key) in first_rows and plan.first_data_line.get(f.table):
                fd["location"]["line"] = first_rows[str(f.key)] + plan.first_data_line[f.table] - 1
            del fd["row"]
            fd["row"] = f.row
            if f.table in plan.layers:
                fd["geometry"] = shapes.get(id(f))
            findings.append(fd)
        d["findings"] = findings
        if r.scope == "plan":
            d["location"] = _plan_location(std, plan, r)
        else:
            d["location"] = {"file": plan.table_files.get(_rule_table(std, r.rule_id)) or plan.plan_file}
        rules.append(d)
    profile = std.profile
    return {
        "report_version": REPORT_VERSION,
        "tool": {"name": "nbscheck", "version": version()},
        "standard": {
            "id": std.id, "title": std.title, "version": std.version,
            "edition": std.attrs.get("edition"), "jurisdiction": std.attrs.get("jurisdiction"),
            "sha256": std.sha256, "profile": profile,
        },
        "plan": {
            "id": plan.id, "title": plan.title,
            "version": str(plan.meta["version"]) if "version" in plan.meta else None,
            "sha256": plan.sha256, "files": plan.files,
        },
        "verdict": verdict(results),
        "counts": outcome_counts(results),
        "scores": {
            "goals": _titled(scores(results, "goals", list(std.goals)), std.goals),
            "categories": _titled(scores(results, "categories", list(std.categories)), std.categories),
            "stages": _titled(scores(results, "stages", list(std.stages)), std.stages),
        },
        "waivers_file": waivers_file,
        "rules": rules,
        **({"spatial": _spatial(plan)} if plan.spatial is not None else {}),
        **({"sources": plan.sources} if plan.sources else {}),
        **({"scope": std.scope} if std.scope is not None else {}),
    }


def _spatial(plan: Plan) -> dict:
    """The working CRS, each layer (with a simplified outline for maps) and the repairs made."""
    outlines = {name: geo.outline(lay) for name, lay in plan.layers.items()}
    return {**plan.spatial, "layers": [{**d, "outline": outlines[d["table"]]} for d in plan.spatial["layers"]]}


def _shapes(std: Standard, plan: Plan, results: list[RuleResult]) -> dict[int, dict | None]:
    """The GeoJSON shape of every finding on a layer: its row's, or for a group the union of the rows the
    finding is about: the group's rows in the rule's scope (its category and `where`), not every row with the
    group's key."""
    from .evaluate import in_scope

    grouped = [std.rule(r.rule_id) for r in results if r.scope == "group" and r.findings
               and any(f.row is None and f.table in plan.layers for f in r.findings)]
    scopes = in_scope(std, plan, [rule for rule in grouped if rule is not None])
    wanted: dict[str, list] = {}
    for r in results:
        rule = std.rule(r.rule_id)
        by = rule.for_each.by if rule is not None and rule.for_each is not None else None
        for f in r.findings:
            lay = plan.layers.get(f.table)
            if lay is None:
                continue
            if f.row is not None:
                wanted.setdefault(f.table, []).append((id(f), lay.geometry.loc[f.row]))
            elif by is not None and f.key is not None:
                rows = (plan.tables[f.table][by].astype(str) == str(f.key)).to_numpy()
                scope = scopes.get(r.rule_id)
                if scope is not None:
                    rows = rows & scope.fillna(False).astype(bool).to_numpy()
                parts = lay.geometry[rows].dropna().to_numpy(dtype=object)
                wanted.setdefault(f.table, []).append((id(f), shapely.union_all(parts) if len(parts) else None))
    out: dict[int, dict | None] = {}
    for table, pairs in wanted.items():
        shapes = geo.to_geojson([g for _, g in pairs], plan.layers[table].geometry.crs)
        out.update(zip((k for k, _ in pairs), shapes))
    return out


def _group_first_rows(std: Standard, plan: Plan, result: RuleResult) -> dict[str, int]:
    """The 1-based row of each group's first member, so a group finding points at a line."""
    rule = std.rule(result.rule_id)
    table = _rule_table(std, result.rule_id)
    by = rule.for_each.by if rule is not None and rule.for_each is not None else None
    if table is None or by is None or table not in plan.tables or not result.findings:
        return {}
    column = plan.tables[table][by]
    firsts = column.reset_index(drop=True).drop_duplicates()
    return {str(k): int(i) + 1 for i, k in firsts.items() if k is not None and k == k}


def _rule_table(std: Standard, rule_id: str) -> str | None:
    rule = std.rule(rule_id)
    return None if rule is None or rule.for_each is None else rule.for_each.table


def _titled(rows: list[dict], decls: dict) -> list[dict]:
    return [{"id": r["id"], "title": decls[r["id"]].title, **{k: v for k, v in r.items() if k != "id"}} for r in rows]
