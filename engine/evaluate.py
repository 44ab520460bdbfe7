"""Running a compiled standard on a loaded plan; yields rule results.

A rule over a table is evaluated as whole-column operations; only the rows
(or groups) that fail or lack data become Python objects, for messages and
evidence.
"""

from __future__ import annotations

import datetime as dt
import gc
import math
from operator import attrgetter
from typing import Any

import numpy as np
import pandas as pd

from .compile import runtime as rt
from .compile.compiler import Compiler, Env
from .diagnostics import WARNING, Diagnostic, Span
from .model import Rule, Standard
from .plan import Plan
from .results import FAIL, INSUFFICIENT, NOT_APPLICABLE, PASS, WAIVED, Finding, RuleResult, rule_outcome
from .syntax import ast


class Context:
    """One evaluation: the plan's data, params, and caches shared by rules."""

    def __init__(self, std: Standard, plan: Plan, compiler: Compiler):
        self.std = std
        self.plan = plan
        self.fields = plan.fields
        self.compiler = compiler
        self.cache: dict = {}
        self._masks: dict[str, pd.Series] = {}

    def mask(self, rowset: str):
        """Membership of each row of the table in a category (nullable bool), or None for a table."""
        if rowset in self.std.tables:
            return None
        if rowset not in self._masks:
            cat = self.std.categories[rowset]
            df = self.plan.tables[cat.table]
            m = True
            if cat.selector is not None:
                m = rt.to_bool(self.compiler.expr(cat.selector)(Env(self, frame=df)))
            if cat.parent is not None:
                pm = self.mask(cat.parent)
                m = rt.and_(m, pm) if pm is not None else m
            if not rt.is_series(m):
                m = pd.Series(m if m is not None else pd.NA, index=df.index, dtype="boolean")
            self._masks[rowset] = m
        return self._masks[rowset]

    def table_of(self, rowset: str) -> str:
        return rowset if rowset in self.std.tables else self.std.categories[rowset].table

    def table_frame(self, rowset: str) -> pd.DataFrame:
        """The whole table a rowset selects from (aggregates filter it with :meth:`mask`)."""
        return self.plan.tables[self.table_of(rowset)]


def evaluate_standard(std: Standard, plan: Plan, waivers: list[dict] | None = None,
                      notes: list[Diagnostic] | None = None) -> list[RuleResult]:
    """Evaluate every rule (disabled rules are skipped) in declaration order.

    Waivers that cover nothing are reported in ``notes`` as warnings.
    """
    compiler = Compiler(std)
    ctx = Context(std, plan, compiler)
    index = _waiver_index(waivers or [])
    results, used = [], set()
    # Findings are many small acyclic objects: pausing the cyclic collector while they are built
    # saves the repeated full scans their allocation would trigger (about 40 % at 10^6 rows).
    collecting = gc.isenabled()
    gc.disable()
    try:
        with np.errstate(all="ignore"):  # overflow and 0/0 become missing values, reported as such
            for rule in std.rules:
                if rule.disabled is not None:
                    continue
                ev = RuleEvaluation(ctx, rule, index.get(rule.id, []))
                results.append(ev.run())
                used |= ev.used
    finally:
        if collecting:
            gc.enable()
    if notes is not None and waivers:
        notes += _unused_waivers(std, waivers, used)
    return results


def _unused_waivers(std: Standard, waivers: list[dict], used: set) -> list[Diagnostic]:
    out = []
    for w in waivers:
        span = Span(w.get("_file", "waivers"), w.get("_line", 0))
        rule = std.rule(w["rule"])
        keys = w.get("keys")
        if rule.disabled is not None:
            text = f"{rule.id} is disabled by the profile; the waiver has no effect"
        elif keys is not None and rule.scope == "plan":
            text = f"{rule.id} is a plan-level rule: waive it without `keys`"
        elif keys is None:
            if (id(w), None) in used:
                continue
            text = f"{rule.id} has nothing to waive here (it did not fail or lack data)"
        else:
            unmatched = [k for k in keys if (id(w), str(plain(k))) not in used]
            if not unmatched:
                continue
            shown = ", ".join(map(str, unmatched))
            what = "group" if rule.scope == "group" else "row"
            whole = next((o for o in waivers if o is not w and o["rule"] == w["rule"] and o.get("keys") is None), None)
            if whole is not None:
                text = f"{shown}: already covered by the waiver of all of {rule.id} (line {whole.get('_line', '?')})"
            else:
                text = f"no failing or incomplete {what} of {rule.id} has key {shown}"
        out.append(Diagnostic("waiver-unused", text, span, severity=WARNING))
    return out


WAIVER_FIELDS = ("id", "reason", "by", "approved", "reference", "expires")  # what a finding's waiver shows


def _waiver_index(waivers: list[dict]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for w in waivers:
        out.setdefault(w["rule"], []).append(w)
    return out


# ---- values for evidence -----------------------------------------------------------


def plain(v: Any) -> Any:
    """A JSON-ready copy of a value: numbers rounded to 6 decimals, NaN as None."""
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        if math.isnan(v) or math.isinf(v):
            return None
        r = round(float(v), 6)
        return int(r) if r.is_integer() and abs(r) < 2**53 else r
    if isinstance(v, (pd.Timestamp, dt.date)):
        return v.strftime("%Y-%m-%d")
    return str(v)


def show(v: Any) -> str:
    """A value as it reads in a message."""
    p = plain(v)
    if p is None:
        return "(missing)"
    if isinstance(p, bool):
        return "yes" if p else "no"
    if isinstance(v, float | np.floating) and not (math.isnan(v) or math.isinf(v)):
        return _show_float(float(v))  # the value itself, not its 6-decimal evidence copy
    if isinstance(p, float):
        return _show_float(p)
    return str(p)


def plain_list(s: pd.Series) -> list:
    """:func:`plain` applied to a whole column, converting once per column."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        cats = [str(c) for c in s.cat.categories] + [None]
        codes = s.cat.codes.to_numpy()
        return [cats[c] for c in codes]
    kind = getattr(s.dtype, "kind", "O")
    if kind == "f":
        return [None if x != x or x in (np.inf, -np.inf) else (int(x) if x.is_integer() and abs(x) < 2**53 else x)
                for x in np.round(s.to_numpy(dtype="float64"), 6).tolist()]
    if kind == "M":
        return s.dt.strftime("%Y-%m-%d").astype(object).where(s.notna(), None).tolist()
    if pd.api.types.is_string_dtype(s.dtype) or str(s.dtype) == "boolean":
        return s.astype(object).where(s.notna(), None).tolist()
    return [plain(x) for x in s.astype(object).where(s.notna(), None).tolist()]


def _show_float(x: float) -> str:
    """Four significant digits below 100 (5.4985 shows as 5.499, not 5.5), two decimals above."""
    if x != x:
        return "(missing)"
    if x.is_integer():
        return str(int(x))
    if abs(x) >= 100:
        return f"{x:.2f}".rstrip("0").rstrip(".")
    return f"{x:.4g}"


def show_list(s: pd.Series) -> list[str]:
    """:func:`show` applied to a whole column."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        cats = [show(c) for c in s.cat.categories] + ["(missing)"]
        return [cats[c] for c in s.cat.codes.to_numpy()]
    if getattr(s.dtype, "kind", "O") == "f":
        return [_show_float(x) for x in s.to_numpy(dtype="float64").tolist()]
    if pd.api.types.is_string_dtype(s.dtype) and s.dtype != object:
        return s.astype(object).where(s.notna(), "(missing)").tolist()
    return [show(x) for x in plain_list(s)]


class RuleEvaluation:
    """Evaluates one rule; builds its result and evidence."""

    def __init__(self, ctx: Context, rule: Rule, waivers: list[dict]):
        self.ctx = ctx
        self.rule = rule
        self.node: ast.Rule = rule.node
        self.c = ctx.compiler
        self.waivers = waivers
        self.used: set = set()  # (waiver, key) pairs that covered a finding
        self.unscoped = None  # group keys of rows whose membership in a group rule's scope is unknown

    def result(self, outcome: str, message: str, **kw) -> RuleResult:
        r = self.rule
        span = self.node.span
        return RuleResult(
            rule_id=r.id, title=r.title, strength=r.strength, severity=r.severity, goals=list(r.goals),
            categories=list(r.categories), stages=list(r.stages), outcome=outcome, message=message,
            scope=r.scope, source={"file": self.ctx.std.relpath(span.file), "line": span.line,
                                   "column": span.column},
            citations=list(r.citations), rationale=r.rationale, **kw)

    def run(self) -> RuleResult:
        env = Env(self.ctx)
        node = self.node
        evidence: dict[str, Any] = {}
        if node.when is not None:
            w = self.c.expr(node.when)(env)
            evidence["when"] = plain(w)
            if w is None:
                missing = self.missing_plan(node.when)
                return self._waive(self.result(INSUFFICIENT, self.insufficient_text(missing), evidence=evidence,
                                               missing=missing))
            if not w:
                return self.result(NOT_APPLICABLE, "not applicable: "
                                   + self.ctx.std.source_text(node.when.span), evidence=evidence)
        if self.rule.scope == "plan":
            return self._waive(self.run_plan(env, evidence))
        return self.run_rows(env, evidence)

    # plan-level -----------------------------------------------------------------
    def run_plan(self, env: Env, evidence: dict) -> RuleResult:
        node = self.node
        for let in node.lets:
            env.lets[let.name] = self.c.expr(let.expr)(env)
        value = self.c.expr(node.assertion)(env)
        evidence.update(self.lets_evidence(env))
        evidence["checks"] = self.comparisons(node.assertion, env)
        if value is None:
            missing = self.missing_plan(node.assertion, node.lets)
            return self.result(INSUFFICIENT, self.insufficient_text(missing), evidence=evidence, missing=missing)
        if value:
            return self.result(PASS, "", evidence=evidence)
        return self.result(FAIL, self.message(env), evidence=evidence)

    def lets_evidence(self, env: Env) -> dict:
        return {"let": {k: plain(v) for k, v in env.lets.items() if not rt.is_series(v)}} if env.lets else {}

    def comparisons(self, expr, env: Env) -> list[dict]:
        """The comparisons at the top of a condition, with both sides' values."""
        out = []
        stack = [expr]
        while stack:
            e = stack.pop(0)
            if isinstance(e, ast.Logic):
                stack[:0] = [e.left, e.right]
            elif isinstance(e, ast.Not):
                stack.insert(0, e.operand)
            elif isinstance(e, (ast.Compare, ast.Between)):
                left = e.left if isinstance(e, ast.Compare) else e.operand
                rights = [e.right] if isinstance(e, ast.Compare) else [e.low, e.high]
                lv = self.c.expr(left)(env)
                if rt.is_series(lv):
                    continue
                info = self.c.type_of(left)
                unit = info.type.unit.name if info.type.unit is not None else ""
                entry = {"expression": self.ctx.std.source_text(e.span), "actual": plain(lv)}
                if isinstance(e, ast.Compare):
                    rv = self.c._pair(left, e.right)[1](env)
                    entry.update(operator=e.op, required=plain(rv) if not rt.is_series(rv) else None)
                else:
                    entry.update(operator="between", required=[plain(self.c._pair(left, r)[1](env)) for r in rights])
                entry["unit"] = unit
                out.append(entry)
        return out

    # per row / per group ------------------------------------------------------------
    def _selection(self, fe: ast.ForEach, df: pd.DataFrame):
        """Which rows are in scope: category membership and the `where` filter (nullable bool or None)."""
        ctx = self.ctx
        sel = ctx.mask(fe.rowset)
        if fe.where is not None:
            w = self.c.expr(fe.where)(Env(ctx, frame=df))
            if not rt.is_series(w):
                w = pd.Series(pd.NA if w is None else bool(w), index=df.index, dtype="boolean")
            sel = rt.to_bool(w) if sel is None else rt.and_(sel, w)
        return sel

    def _selector_columns(self, rowset: str) -> list[str]:
        """The columns a category's selectors (its own and its parents') read; none for a table."""
        cols: set[str] = set()
        while rowset in self.ctx.std.categories:
            cat = self.ctx.std.categories[rowset]
            if cat.selector is not None:
                cols |= set(self._refs_cols(cat.selector))
            rowset = cat.parent
        return sorted(cols)

    def _scope_columns(self) -> list[str]:
        """Columns that decide whether a row is in scope (category selectors and `where`)."""
        cols = set(self._selector_columns(self.node.for_each.rowset))
        if self.node.for_each.where is not None:
            cols |= set(self._refs_cols(self.node.for_each.where))
        return sorted(cols)

    def run_rows(self, env: Env, evidence: dict) -> RuleResult:
        node, ctx = self.node, self.ctx
        fe = node.for_each
        table = ctx.table_of(fe.rowset)
        df = ctx.plan.tables[table]
        key = ctx.std.tables[table].key
        cols = sorted({*self._read_columns(evaluation=True), *([fe.by] if fe.by else [])}) or [key]
        findings: list[Finding] = []
        counts = dict.fromkeys((PASS, FAIL, INSUFFICIENT, WAIVED), 0)
        sel = self._selection(fe, df)
        if sel is None:
            frame = df[cols]
        else:
            unknown = sel.isna()
            if unknown.any() and fe.by is None:
                rows = df.loc[unknown, sorted({key, *self._scope_columns()})]
                counts[INSUFFICIENT] += len(rows)
                findings += self.row_findings(rows, table, INSUFFICIENT, None, extra_missing=self._scope_columns())
            elif unknown.any():  # in a group rule, such a row leaves its group (or any group) undecided
                self.unscoped = df.loc[unknown, fe.by]
            frame = df.loc[sel.fillna(False).astype(bool), cols]
        if fe.by is None:
            result = self.rows_outcome(env, frame, table, counts, findings)
        else:
            result = self.groups_outcome(env, frame, table, counts, findings)
        self.apply_waivers(findings, counts)
        if fe.by is None:
            findings.sort(key=attrgetter("row"))
        outcome = rule_outcome(counts)
        message, waiver = "", None
        if outcome in (FAIL, INSUFFICIENT, WAIVED):
            first = next(f for f in findings if f.outcome == outcome)
            n = counts[outcome]
            message = first.message if n == 1 else f"{first.message} (and {n - 1} more)"
            if outcome == WAIVED:
                waivers = {tuple(sorted(f.waiver.items())) for f in findings if f.outcome == WAIVED}
                waiver = first.waiver if len(waivers) == 1 else None
        evidence.update(result)
        missing = sorted({m for f in findings if f.outcome == INSUFFICIENT for m in f.missing})
        return self.result(outcome, message, evidence=evidence, counts={k: v for k, v in counts.items() if v},
                           findings=findings, missing=missing, waiver=waiver)

    def _refs_cols(self, expr) -> list[str]:
        info = self.c.type_of(expr)
        return sorted({r[1] for r in info.refs if r[0] == "row"})

    def rows_outcome(self, env, frame, table, counts, findings) -> dict:
        node = self.node
        renv = env.child(frame=frame)
        for let in node.lets:
            renv.lets[let.name] = self.c.expr(let.expr)(renv)
        value = rt.to_bool(self.c.expr(node.assertion)(renv))
        if not rt.is_series(value):
            value = pd.Series(pd.NA if value is None else value, index=frame.index, dtype="boolean")
        passed = value.fillna(False).astype(bool)
        unknown = value.isna()
        failed = ~passed & ~unknown
        counts[PASS] += int(passed.sum())
        counts[FAIL] += int(failed.sum())
        counts[INSUFFICIENT] += int(unknown.sum())
        for mask, outcome in ((failed, FAIL), (unknown, INSUFFICIENT)):
            if mask.any():
                idx = frame.index[mask.to_numpy()]
                findings += self.row_findings(self._explain_rows(table, idx), table, outcome, renv, idx)
        return {"rows": int(len(frame))}

    def _explain_rows(self, table: str, idx: pd.Index) -> pd.DataFrame:
        """The key and every column the rule reads, for the given rows only."""
        key = self.ctx.std.tables[table].key
        return self.ctx.plan.tables[table].loc[idx, sorted({key, *self._read_columns()})]

    def _waiver_for(self, key) -> dict | None:
        """The waiver covering a row or group key (or the whole rule), compared by value: 7 == "7" == 7.0."""
        k = str(plain(key))
        for w in self.waivers:
            keys = w.get("keys")
            if keys is None or k in {str(plain(x)) for x in keys}:
                self.used.add((id(w), k if keys is not None else None))
                return {x: w[x] for x in WAIVER_FIELDS if w.get(x)}
        return None

    def apply_waivers(self, findings: list[Finding], counts: dict) -> None:
        """Findings a waiver covers become `waived`; they keep their values and message."""
        if not self.waivers:
            return
        for f in findings:
            if f.outcome in (FAIL, INSUFFICIENT):
                w = self._waiver_for(f.key)
                if w is not None:
                    counts[f.outcome] -= 1
                    counts[WAIVED] += 1
                    f.outcome, f.waiver = WAIVED, w

    def row_findings(self, rows: pd.DataFrame, table: str, outcome: str, renv: Env | None,
                     idx: pd.Index | None = None, extra_missing: list[str] | None = None) -> list[Finding]:
        """Findings for rows that did not pass: values, message and what is missing, built column-wise."""
        if len(rows) == 0:
            return []
        std = self.ctx.std
        key_col = std.tables[table].key
        cols = [c for c in self._read_columns() if c in rows.columns]
        names = list(cols)
        columns = [plain_list(rows[c]) for c in cols]
        n = len(rows)
        messages = None
        if renv is not None and idx is not None:
            sub = renv.child(frame=rows, lets={k: (v.loc[idx] if rt.is_series(v) else v) for k, v in renv.lets.items()})
            for k, v in sub.lets.items():
                names.append(k)
                columns.append(plain_list(v) if rt.is_series(v) else [plain(v)] * n)
            if outcome == FAIL:
                messages = self.messages(sub, n)
        keys = plain_list(rows[key_col])
        row_numbers = rows.index.tolist()
        records = [dict(zip(names, values)) for values in zip(*columns)] if columns else [{} for _ in range(n)]
        if outcome == FAIL:
            return [Finding(FAIL, table, k, r, m, v, []) for k, r, m, v in zip(keys, row_numbers, messages, records)]
        candidates = sorted(set(extra_missing or []) | set(cols))
        present = [c for c in candidates if c in rows.columns]
        empty = zip(*(rows[c].isna().tolist() for c in present)) if present else ((),) * n
        labels = [f"{table}.{c}" for c in present]
        elsewhere = None  # what the rule reads from other tables, when the row itself lacks nothing
        out = []
        for k, r, v, flags in zip(keys, row_numbers, records, empty):
            missing = [label for label, isnull in zip(labels, flags) if isnull]
            if not missing:
                if elsewhere is None:
                    elsewhere = self.missing_plan(self.node.assertion, self.node.lets)
                missing = elsewhere
            out.append(Finding(INSUFFICIENT, table, k, r, self.insufficient_text(missing, f"{key_col} {k}"), v,
                               missing))
        return out

    def _read_columns(self, evaluation: bool = False) -> list[str]:
        """Columns of the row variable the rule reads (``evaluation``: only to decide, not to explain)."""
        node = self.node
        cols: set[str] = set()
        exprs = [node.assertion, *(l.expr for l in node.lets)]
        if node.for_each.where is not None and not evaluation:
            exprs.append(node.for_each.where)
        if node.message is not None and not evaluation:
            exprs += [p for p in node.message.parts if not isinstance(p, str)]
        var = node.for_each.var
        for e in exprs:
            for r in self.c.type_of(e).refs:
                if r[0] in ("row", "group"):
                    cols.add(r[1])
                elif r[0] == "elem" and r[1] == var:
                    cols.add(r[2])
        if evaluation:
            return sorted(cols)
        key = self.ctx.std.tables[self.ctx.table_of(node.for_each.rowset)].key
        return sorted(cols - {key})

    def groups_outcome(self, env, frame, table, counts, findings) -> dict:
        node, by = self.node, self.node.for_each.by
        codes, labels = pd.factorize(frame[by], sort=True)
        nokey = codes < 0
        orphans = ""  # rows in scope whose group is unknown: they could change any group's result
        if nokey.any():
            rows = frame.index[nokey].tolist()
            shown = ", ".join(map(str, rows[:5])) + (f" and {len(rows) - 5} more" if len(rows) > 5 else "")
            orphans = f"{table}.{by} (empty in row{'s' if len(rows) > 1 else ''} {shown})"
            frame, codes = frame[~nokey], codes[~nokey]
        keys = pd.Series(codes, index=frame.index)
        groups = pd.RangeIndex(len(labels))
        genv = env.child(frame=frame, keys=keys, groups=groups, labels=labels)
        for let in node.lets:
            genv.lets[let.name] = self._as_groups(self.c.expr(let.expr)(genv), groups)
        value = rt.to_bool(self._as_groups(self.c.expr(node.assertion)(genv), groups, "boolean"))
        passed = value.fillna(False).astype(bool)
        unknown = value.isna()
        counts[PASS] += int(passed.sum())
        parts = [p for p in (node.message.parts if node.message else ()) if not isinstance(p, str)]
        rendered = {id(p): self._as_groups(self.c.expr(p)(genv), groups) for p in parts}
        undecided = set()  # groups a row of unknown scope might belong to
        scope_note = ""
        if self.unscoped is not None:
            cols = ", ".join(f"{table}.{c}" for c in self._scope_columns())
            scope_note = f"{cols} (empty in {len(self.unscoped)} row{'s' if len(self.unscoped) > 1 else ''})"
            if self.unscoped.isna().any():
                orphans = orphans or scope_note
            else:
                wanted = set(map(str, self.unscoped.tolist()))
                undecided = {g for g in groups if str(labels[g]) in wanted}
                for label in sorted(wanted - {str(x) for x in labels}):  # a group with no row known in scope
                    counts[INSUFFICIENT] += 1
                    findings.append(Finding(INSUFFICIENT, table, label, None, self.insufficient_text(
                        [scope_note], f"{by} {label}"), {}, [scope_note]))
        if orphans or undecided:
            flip = pd.Series([bool(orphans) or g in undecided for g in groups], index=groups, dtype=bool)
            counts[PASS] -= int((passed & flip).sum())
            unknown = unknown | flip
            passed = passed & ~flip
        if orphans and len(groups) == 0:  # every row lacks its group: the rule applies, the data is missing
            counts[INSUFFICIENT] += 1
            findings.append(Finding(INSUFFICIENT, table, None, None, self.insufficient_text([orphans]), {}, [orphans]))
        for g, ok, unk in zip(groups, passed.tolist(), unknown.tolist()):
            if ok:
                continue
            label = plain(labels[g])
            vals = {k: plain(v.loc[g]) for k, v in genv.lets.items()}
            if unk:
                counts[INSUFFICIENT] += 1
                missing = [orphans] if orphans else ([scope_note] if g in undecided else
                                                     self.missing_group(frame[codes == g]))
                findings.append(Finding(INSUFFICIENT, table, label, None,
                                        self.insufficient_text(missing, f"{by} {label}"), vals, missing))
            else:
                counts[FAIL] += 1
                msg = self.render(lambda p, g=g: rendered[id(p)].loc[g]) if node.message else self.default_message(
                    f"{by} {show(label)}")
                findings.append(Finding(FAIL, table, label, None, msg, vals, []))
        return {"groups": int(len(groups)), "group_by": by}

    def _as_groups(self, v, groups, dtype="float64"):
        if rt.is_series(v):
            return v.reindex(groups)
        return pd.Series(pd.NA if v is None else v, index=groups,
                         dtype=dtype if v is None or isinstance(v, bool) else None)

    def missing_group(self, rows: pd.DataFrame) -> list[str]:
        table = self.ctx.table_of(self.node.for_each.rowset)
        out = []
        for c in self._read_columns():
            if c in rows.columns:
                n = int(rows[c].isna().sum())
                if n:
                    out.append(f"{table}.{c} ({n} of {len(rows)} rows empty)")
        return out or self.missing_plan(self.node.assertion, self.node.lets)

    # messages ------------------------------------------------------------------
    def messages(self, env: Env, n: int) -> list[str]:
        node = self.node
        if node.message is None:
            key = self.ctx.std.tables[self.ctx.table_of(node.for_each.rowset)].key
            return [self.default_message(f"{key} {k}") for k in show_list(env.frame[key])]
        parts = []
        for p in node.message.parts:
            if isinstance(p, str):
                parts.append([p] * n)
            else:
                v = self.c.expr(p)(env)
                parts.append(show_list(v) if rt.is_series(v) else [show(v)] * n)
        return ["".join(row) for row in zip(*parts)] if parts else [""] * n

    def message(self, env: Env) -> str:
        if self.node.message is None:
            return self.default_message(None)
        return self.render(lambda p: self.c.expr(p)(env))

    def render(self, value_of) -> str:
        return "".join(p if isinstance(p, str) else show(value_of(p)) for p in self.node.message.parts)

    def default_message(self, subject: str | None) -> str:
        text = self.ctx.std.source_text(self.node.assertion.span)
        head = f"{subject}: " if subject else ""
        return f"{head}{self.rule.title} — `{text}` does not hold"

    def insufficient_text(self, missing: list[str], subject: str | None = None) -> str:
        head = f"{subject}: " if subject else ""
        if missing:
            return f"{head}insufficient data: {', '.join(missing)} missing"
        return (f"{head}insufficient data: a value it needs is undefined (a lookup without that key, a "
                "division by zero, an aggregate of no rows, or a row that matches no other row)")

    def missing_plan(self, expr, lets=()) -> list[str]:
        """Plan fields that are null and table columns with empty cells among what ``expr`` reads."""
        ctx = self.ctx
        refs = set(self.c.type_of(expr).refs)
        for let in lets:
            refs |= self.c.type_of(let.expr).refs
        out = []
        for r in sorted(refs, key=str):
            if r[0] == "field":
                if ctx.fields.get(r[1]) is None:
                    out.append(ctx.std.fields[r[1]].path)
            elif r[0] == "elem":
                frame, member = ctx.table_frame(r[1]), ctx.mask(r[1])
                empty = frame[r[2]].isna()
                total = len(frame)
                if member is not None:
                    inside = member.fillna(True).astype(bool)
                    empty, total = empty & inside, int(inside.sum())
                n = int(empty.sum())
                if n:
                    out.append(f"{ctx.table_of(r[1])}.{r[2]} ({n} of {total} rows empty)")
                out += self._unknown_membership(r[1])
        return list(dict.fromkeys(out))

    def _unknown_membership(self, rowset: str) -> list[str]:
        """Selector columns with empty cells, when they leave membership of a category unknown."""
        ctx, out = self.ctx, []
        m = ctx.mask(rowset)
        if m is None or not m.isna().any():
            return out
        table = ctx.table_of(rowset)
        df = ctx.plan.tables[table]
        for col in self._selector_columns(rowset):
            n = int((df[col].isna() & m.isna()).sum())
            if n:
                rows = "1 row" if n == 1 else f"{n} rows"
                out.append(f"{table}.{col} ({rows} empty, so whether they are `{rowset}` is unknown)")
        return out

    def _waive(self, result: RuleResult) -> RuleResult:
        if result.outcome in (FAIL, INSUFFICIENT):
            for w in self.waivers:
                if w.get("keys") is None:
                    self.used.add((id(w), None))
                    result.outcome = WAIVED
                    result.waiver = {k: w[k] for k in WAIVER_FIELDS if w.get(k)}
                    break
        return result

