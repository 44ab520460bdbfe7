"""The report: the plain-data contract every output format is rendered from.

``build_report`` turns rule results into a JSON-ready dict (see
``reports/report.schema.json``); the same inputs give the same dict, so
renderers produce byte-identical files.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Sequence
from dataclasses import fields
from typing import TYPE_CHECKING

import numpy as np

from .findings import CHUNK, Findings, RangeSequence
from .model import Standard
from .plan import Plan, geo
from .resources import LazyModule, version
from .results import RuleResult, outcome_counts, scores, verdict

if TYPE_CHECKING:
    import shapely

    from .fixes import FixColumn
else:  # imported for a plan with geodata
    shapely = LazyModule("shapely")

REPORT_VERSION = "1.0"


def _location(plan: Plan, table: str, row: int | None) -> dict:
    loc: dict[str, str | int | None] = {"file": plan.table_files.get(table)}
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


class ReportFindings(RangeSequence):
    """A rule's findings as the report's finding dicts (``outcome``, ``table``, ``key``, ``message``, ``values``,
    ``missing``, ``waiver``, ``location``, ``row`` and, on a layer, ``geometry``), built a chunk at a time when
    read: the report holds the columns (:class:`engine.findings.Findings`), never every dict at once."""

    def __init__(self, findings: Findings, file: str | None, first_line: int | None,
                 group_lines: dict[str, int] | None = None, shapes: list | None = None):
        self.findings = findings
        self.file, self.first_line = file, first_line
        self.group_lines = group_lines or {}  # a group's key -> the file line of its first row
        self.shapes = shapes  # GeoJSON per finding, for findings on a layer
        self.fixes: FixColumn | None = None  # a quantified fix per finding

    def __len__(self) -> int:
        return len(self.findings)

    def lines(self, start: int, stop: int) -> list[int | None]:
        """The file line of findings ``start`` to ``stop``: a row's, or a group's first row's (None where unknown)."""
        f = self.findings
        stop = min(stop, len(f))
        if not self.first_line:
            return [None] * (stop - start)
        if f.row is None:
            return [self.group_lines.get(str(k)) for k in f.key[start:stop].tolist()]
        return self.row_lines(start, stop).tolist()

    def row_lines(self, start: int, stop: int) -> np.ndarray:
        """The file line of each finding's row, as an array: for findings on rows of a file whose rows are lines
        (``first_line`` set)."""
        rows, first = self.findings.row, self.first_line
        assert rows is not None and first, "row_lines is for findings on rows of a file whose rows are lines"
        return rows[start:stop] + (first - 1)

    def locations(self, start: int, stop: int) -> list[dict]:
        f = self.findings
        lines = self.lines(start, stop)
        if f.row is None:
            return [{"file": self.file} if line is None else {"file": self.file, "line": line} for line in lines]
        return [{"file": self.file, "row": r} if line is None else {"file": self.file, "row": r, "line": line}
                for r, line in zip(f.row[start:stop].tolist(), lines)]

    def dicts(self, start: int, stop: int) -> list[dict]:
        f = self.findings
        stop = min(stop, len(f))
        rows = [None] * (stop - start) if f.row is None else f.row[start:stop].tolist()
        out = [{"outcome": o, "table": f.table, "key": k, "message": m, "values": v, "missing": list(miss or []),
                "waiver": w, "location": loc, "row": r}
               for o, k, m, v, miss, w, loc, r in zip(
                   f.outcome[start:stop].tolist(), f.key[start:stop].tolist(), f.messages(start, stop),
                   f.value_dicts(start, stop), f.missing[start:stop].tolist(), f.waiver[start:stop].tolist(),
                   self.locations(start, stop), rows)]
        if self.shapes is not None:
            for d, g in zip(out, self.shapes[start:stop]):
                d["geometry"] = g
        if self.fixes is not None:
            for d, fix in zip(out, self.fixes[start:stop]):
                if fix is not None:
                    d["fix"] = fix
        return out

    def column(self, name: str) -> list:
        """One field of every finding (``outcome``, ``table``, ``key``, ``message``, ``missing``, ``waiver``,
        ``location``, ``fix`` or ``geometry``), read from the columns without building the findings."""
        f = self.findings
        if name == "message":
            return f.messages()
        if name == "table":
            return [f.table] * len(self)
        if name == "location":
            return self.locations(0, len(self))
        if name in ("outcome", "key", "waiver"):
            return getattr(f, name).tolist()
        if name == "missing":
            return [list(m or []) for m in f.missing.tolist()]
        got = {"fix": self.fixes, "geometry": self.shapes}[name]
        return [None] * len(self) if got is None else list(got[:])  # a slice reads a FixColumn at once

    def __iter__(self) -> Iterator[dict]:
        for start in range(0, len(self), CHUNK):
            yield from self.dicts(start, start + CHUNK)

    def _range(self, start: int, stop: int) -> list:
        return self.dicts(start, stop)

    def select(self, outcomes: tuple[str, ...] | set[str]) -> ReportFindings:
        """The findings whose outcome is one of ``outcomes`` (this sequence when that is all of them)."""
        keep = np.isin(self.findings.outcome, list(outcomes))
        if keep.all():
            return self
        pos = np.flatnonzero(keep)
        out = ReportFindings(self.findings.take(pos), self.file, self.first_line, self.group_lines,
                             None if self.shapes is None else [self.shapes[p] for p in pos.tolist()])
        if self.fixes is not None:
            out.fixes = self.fixes.take(pos)
        return out

    def __eq__(self, other) -> bool:
        return list(self) == list(other) if isinstance(other, Sequence) else NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<{len(self)} findings of table {self.findings.table!r}>"


_RESULT_FIELDS = [f.name for f in fields(RuleResult) if f.name != "rule_id"]
_SHARED = ("title", "strength", "severity", "outcome", "message", "scope", "rationale")  # immutable: not copied


def _copied(value):
    """A deep copy of a result's JSON-like value: dicts, lists and texts and numbers copied directly (a third of
    ``copy.deepcopy``'s time), anything else by ``copy.deepcopy``."""
    kind = type(value)
    if kind is dict:
        return {k: _copied(v) for k, v in value.items()}
    if kind is list:
        return [_copied(v) for v in value]
    if kind in (str, int, float, bool) or value is None:
        return value
    return copy.deepcopy(value)


def build_report(std: Standard, plan: Plan, results: list[RuleResult], waivers_file: str | None = None) -> dict:
    """The report dict for one evaluation."""
    shapes = _shapes(std, plan, results) if plan.layers else {}
    rules = []
    for r in results:
        d: dict[str, object] = {"id": r.rule_id}
        for name in _RESULT_FIELDS:
            if name == "findings":
                d[name] = _report_findings(std, plan, r, shapes)
            else:
                d[name] = getattr(r, name) if name in _SHARED else _copied(getattr(r, name))
        if r.scope == "plan":
            d["location"] = _plan_location(std, plan, r)
        else:
            table = _rule_table(std, r.rule_id)
            d["location"] = {"file": (plan.table_files.get(table) if table is not None else None) or plan.plan_file}
        rules.append(d)
    profile = std.profile
    return {
        "report_version": REPORT_VERSION,
        "lang": std.lang or std.languages[0],
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
            "goals": _titled(scores(results, "goals", list(std.goals), std.progressive("goals")), std.goals),
            "categories": _titled(scores(results, "categories", list(std.categories)), std.categories),
            "stages": _titled(scores(results, "stages", list(std.stages), std.progressive("stages")), std.stages),
        },
        "waivers_file": waivers_file,
        "rules": rules,
        **({"spatial": _spatial(plan)} if plan.spatial is not None else {}),
        **({"sources": plan.sources} if plan.sources else {}),
        **({"scope": std.scope} if std.scope is not None else {}),
        **({"editions": std.dated} if std.dated is not None else {}),
    }


def _report_findings(std: Standard, plan: Plan, r: RuleResult, shapes: dict) -> ReportFindings | list:
    f = r.findings
    if not isinstance(f, Findings) or not len(f):
        return []
    group_lines = {}
    first = plan.first_data_line.get(f.table)
    if r.scope == "group" and first:
        group_lines = {k: row + first - 1 for k, row in _group_first_rows(std, plan, r).items()}
    return ReportFindings(f, plan.table_files.get(f.table), first, group_lines,
                          shapes.get(r.rule_id) if f.table in plan.layers else None)


def _spatial(plan: Plan) -> dict:
    """The working CRS, each layer (with a simplified outline for maps) and the repairs made."""
    assert plan.spatial is not None  # a plan with layers
    outlines = {name: geo.outline(lay) for name, lay in plan.layers.items()}
    return {**plan.spatial, "layers": [{**d, "outline": outlines[d["table"]]} for d in plan.spatial["layers"]]}


def _shapes(std: Standard, plan: Plan, results: list[RuleResult]) -> dict[str, list]:
    """The GeoJSON shape of every finding on a layer, per rule: its row's, or for a group the union of the rows
    the finding is about: the group's rows in the rule's scope (its category and `where`), not every row with
    the group's key."""
    from .evaluate import in_scope

    grouped = [std.rule(r.rule_id) for r in results if r.scope == "group" and isinstance(r.findings, Findings)
               and len(r.findings) and r.findings.table in plan.layers]
    scopes = in_scope(std, plan, [rule for rule in grouped if rule is not None])
    wanted: dict[str, list] = {}  # table -> (rule id, shape) in finding order
    for r in results:
        f = r.findings
        if not isinstance(f, Findings) or f.table not in plan.layers or not len(f):
            continue
        lay = plan.layers[f.table]
        rule = std.rule(r.rule_id)
        by = rule.for_each.by if rule is not None and rule.for_each is not None else None
        if f.row is not None:
            geoms = lay.geometry.loc[f.row].to_numpy(dtype=object).tolist()
        else:
            geoms = []
            scope = scopes.get(r.rule_id)
            for key in f.key.tolist():
                if by is None or key is None:
                    geoms.append(None)
                    continue
                rows = (plan.tables[f.table][by].astype(str) == str(key)).to_numpy()
                if scope is not None:
                    rows = rows & scope.fillna(False).astype(bool).to_numpy()
                parts = lay.geometry[rows].dropna().to_numpy(dtype=object)
                geoms.append(shapely.union_all(parts) if len(parts) else None)
        wanted.setdefault(f.table, []).extend((r.rule_id, g) for g in geoms)
    out: dict[str, list] = {}
    for table, pairs in wanted.items():
        shapes = geo.to_geojson([g for _, g in pairs], plan.layers[table].geometry.crs)
        for (rule_id, _), shape in zip(pairs, shapes):
            out.setdefault(rule_id, []).append(shape)
    return out


def _group_first_rows(std: Standard, plan: Plan, result: RuleResult) -> dict[str, int]:
    """The 1-based row of each group's first member, so a group finding points at a line."""
    rule = std.rule(result.rule_id)
    table = _rule_table(std, result.rule_id)
    by = rule.for_each.by if rule is not None and rule.for_each is not None else None
    if table is None or by is None or table not in plan.tables or not result.findings:
        return {}
    column = plan.tables[table][by]
    firsts = column.reset_index(drop=True).drop_duplicates()  # labelled by position
    return {str(k): int(i) + 1 for i, k in zip(firsts.index.to_numpy(), firsts) if k is not None and k == k}


def _rule_table(std: Standard, rule_id: str) -> str | None:
    rule = std.rule(rule_id)
    return None if rule is None or rule.for_each is None else rule.for_each.table


def _titled(rows: list[dict], decls: dict) -> list[dict]:
    return [{"id": r["id"], "title": decls[r["id"]].title, **{k: v for k, v in r.items() if k != "id"}} for r in rows]
