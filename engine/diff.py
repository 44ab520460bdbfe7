"""The difference between two evaluations of a plan: what a reviewer asks of a resubmission.

Works on report dicts (see reports/report.schema.json), so it compares saved reports as well
as fresh evaluations: the verdict, the rules whose outcome changed, the findings (rows or
groups) that are new, fixed or persisting — shown per object — and the change in every score.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import format as F

BAD = ("fail", "insufficient_data")
VERDICT_RANK = {"compliant": 0, "compliant_with_observations": 1, "incomplete": 2, "non_compliant": 3}


@dataclass
class Diff:
    old: dict
    new: dict
    verdict: tuple[str, str]
    changed: list[dict] = field(default_factory=list)  # rule id, title, strength, old, new outcome
    added: list[dict] = field(default_factory=list)  # rules only in the new report
    removed: list[dict] = field(default_factory=list)  # rules only in the old report
    new_findings: list[dict] = field(default_factory=list)  # rule, key, outcome, message
    resolved_findings: list[dict] = field(default_factory=list)
    persisting_findings: list[dict] = field(default_factory=list)
    scores: list[dict] = field(default_factory=list)  # kind, id, old, new

    @property
    def regressed(self) -> bool:
        """True when the new version fails or lacks data where the old one did not."""
        worse = VERDICT_RANK.get(self.verdict[1], 0) > VERDICT_RANK.get(self.verdict[0], 0)
        return (worse or bool(self.new_findings) or any(a["outcome"] in BAD for a in self.added)
                or any(c["new"] in BAD and c["old"] not in BAD for c in self.changed))

    def to_dict(self) -> dict:
        return {
            "old": {"plan": self.old["plan"], "standard": self.old["standard"]["id"], "verdict": self.verdict[0]},
            "new": {"plan": self.new["plan"], "standard": self.new["standard"]["id"], "verdict": self.verdict[1]},
            "regressed": self.regressed,
            "changed_rules": self.changed,
            "added_rules": self.added,
            "removed_rules": self.removed,
            "new_findings": self.new_findings,
            "resolved_findings": self.resolved_findings,
            "persisting_findings": self.persisting_findings,
            "score_changes": self.scores,
            **({"editions": self.editions()} if self.editions() else {}),
        }

    def editions(self) -> dict | None:
        """The dated params each side was checked with, and those whose value differs (None: no dated params)."""
        old, new = self.old.get("editions"), self.new.get("editions")
        if old is None and new is None:
            return None
        before = {p["param"]: p for p in (old or {}).get("params", [])}
        changed = []
        for p in (new or {}).get("params", []):
            o = before.get(p["param"])
            if o is None or o["value"] != p["value"]:
                changed.append({"param": p["param"], "unit": p["unit"], "old": None if o is None else o["value"],
                                "new": p["value"], "old_from": None if o is None else o["from"], "new_from": p["from"]})
        side = ("as_of", "source", "edition")
        return {"old": {k: old[k] for k in side} if old else None, "new": {k: new[k] for k in side} if new else None,
                "changed_params": changed}


def _findings(rule: dict) -> dict:
    return {str(f["key"]): f for f in rule["findings"] if f["outcome"] in BAD}


def diff_reports(old: dict, new: dict) -> Diff:
    """Compare two reports rule by rule (matched by rule id) and finding by finding (by key)."""
    d = Diff(old, new, (old["verdict"], new["verdict"]))
    old_rules = {r["id"]: r for r in old["rules"]}
    new_rules = {r["id"]: r for r in new["rules"]}
    for rid, n in new_rules.items():
        o = old_rules.get(rid)
        if o is None:
            d.added.append({"id": rid, "title": n["title"], "outcome": n["outcome"]})
            continue
        if o["outcome"] != n["outcome"]:
            d.changed.append({"id": rid, "title": n["title"], "strength": n["strength"], "old": o["outcome"],
                              "new": n["outcome"], "message": n["message"]})
        of, nf = _findings(o), _findings(n)
        if o["scope"] == "plan":
            continue
        for key, f in nf.items():
            entry = {"rule": rid, "table": f["table"], "key": f["key"], "outcome": f["outcome"],
                     "message": f["message"]}
            if key not in of or of[key]["outcome"] != f["outcome"]:
                d.new_findings.append(entry)
            else:
                d.persisting_findings.append(entry)
        for key, f in of.items():
            if key not in nf:
                d.resolved_findings.append({"rule": rid, "table": f["table"], "key": f["key"], "outcome": f["outcome"],
                                            "message": f["message"]})
    for rid, o in old_rules.items():
        if rid not in new_rules:
            d.removed.append({"id": rid, "title": o["title"], "outcome": o["outcome"]})
    for kind in ("goals", "stages", "categories"):
        before = {s["id"]: s["score"] for s in old["scores"][kind]}
        for s in new["scores"][kind]:
            if before.get(s["id"]) != s["score"]:
                d.scores.append({"kind": kind, "id": s["id"], "title": s["title"], "old": before.get(s["id"]),
                                 "new": s["score"]})
    return d


def by_object(d: Diff) -> dict[tuple[str, str], dict[str, list[dict]]]:
    """Findings per object (table, key): ``new``, ``fixed`` and ``persisting``, in a stable order."""
    out: dict[tuple[str, str], dict[str, list[dict]]] = {}
    for state, items in (("new", d.new_findings), ("fixed", d.resolved_findings),
                         ("persisting", d.persisting_findings)):
        for f in items:
            out.setdefault((f["table"], str(f["key"])), {"new": [], "fixed": [], "persisting": []})[state].append(f)
    return dict(sorted(out.items()))


def _by_object(d: Diff, limit: int) -> list[str]:
    """Objects with a new or fixed finding first, then those whose findings persist."""
    objects = by_object(d)
    if not objects:
        return []
    ordered = sorted(objects.items(), key=lambda kv: not (kv[1]["new"] or kv[1]["fixed"]))
    lines = [f"Findings by object ({len(objects)} objects: {len(d.new_findings)} new, {len(d.resolved_findings)} "
             f"fixed, {len(d.persisting_findings)} persisting)"]
    for (table, key), states in ordered[:limit]:
        lines.append(f"  {table} {key}")
        for state in ("new", "fixed", "persisting"):
            for f in states[state]:
                lines.append(f"    {state:10} {f['rule']} {f['key']}: {f['message']}")
    if len(ordered) > limit:
        lines.append(f"  ... and {len(ordered) - limit} more objects")
    return [*lines, ""]


def _edition_text(e: dict | None) -> str:
    if e is None:
        return "no dated params"
    start = f"edition of {e['edition']}" if e["edition"] else "the first values"
    return f"{start}, as of {e['as_of']} ({e['source']})"


def _editions(d: Diff) -> list[str]:
    """Which edition of the standard each side was checked against, and the params that moved."""
    e = d.editions()
    if e is None:
        return []
    lines = [f"Edition: {_edition_text(e['old'])} → {_edition_text(e['new'])}"]
    for p in e["changed_params"]:
        unit = f" {p['unit']}" if p["unit"] else ""
        old = "none" if p["old"] is None else f"{F.value(p['old'])}{unit}"
        lines.append(f"  {p['param']}: {old} → {F.value(p['new'])}{unit}"
                     + (f" (from {p['new_from']})" if p["new_from"] else ""))
    return [*lines, ""]


def _pct(v) -> str:
    return "n/a" if v is None else f"{v * 100:.0f}%"


def render_text(d: Diff, limit: int = 20) -> str:
    """A reviewer's summary of what changed between two versions."""
    old, new = d.old["plan"], d.new["plan"]
    def head(label, plan, verdict):
        version = f" {plan['version']}" if plan.get("version") else ""
        return f"{label}: {plan['id']}{version} — {verdict}"

    lines = [head("Old", old, d.verdict[0]), head("New", new, d.verdict[1]), ""]
    if d.old["standard"]["sha256"] != d.new["standard"]["sha256"]:
        lines += ["Note: the two reports were made with different rule files "
                  f"({d.old['standard']['id']} {d.old['standard']['version']} → "
                  f"{d.new['standard']['id']} {d.new['standard']['version']}).", ""]
    lines += _editions(d)
    if d.changed:
        lines.append(f"Rules whose outcome changed ({len(d.changed)})")
        for c in d.changed:
            lines.append(f"  {c['id']} [{c['strength']}] {c['title']}: {c['old']} → {c['new']}")
            if c["message"] and c["new"] in BAD:
                lines.append(f"      {c['message']}")
        lines.append("")
    lines += _by_object(d, limit)
    for title, items in (("Rules added", d.added), ("Rules removed", d.removed)):
        if items:
            lines.append(f"{title} ({len(items)}): " + ", ".join(f"{i['id']} ({i['outcome']})" for i in items))
            lines.append("")
    if d.scores:
        lines.append("Score changes")
        for s in d.scores:
            kind = {"goals": "goal", "stages": "stage", "categories": "category"}[s["kind"]]
            lines.append(f"  {kind} {s['id']} {s['title']}: {_pct(s['old'])} → {_pct(s['new'])}")
        lines.append("")
    if not (d.changed or d.new_findings or d.resolved_findings or d.added or d.removed or d.scores):
        lines.append("No differences in outcomes, findings or scores.")
    return "\n".join(lines).rstrip() + "\n"
