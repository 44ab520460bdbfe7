"""Running a compiled standard on a loaded plan; yields rule results.

A rule over a table is evaluated as whole-column operations; only the rows
(or groups) that fail or lack data become Python objects, for messages and
evidence.
"""

from __future__ import annotations

import gc
from itertools import repeat
from typing import Any

import numpy as np
import pandas as pd

from . import builtins as B
from . import format as F
from . import model as C
from . import progress
from .compile import runtime as rt
from .compile.compiler import CompiledRule, Compiler, Env, Part
from .diagnostics import WARNING, Diagnostic, Span
from .findings import Findings, concat
from .model import Ref, Rule, Standard
from .plan import Plan
from .render.i18n import t
from .results import FAIL, INSUFFICIENT, NOT_APPLICABLE, PASS, WAIVED, RuleResult, rule_outcome

SMALL_TABLE = 20_000  # rows: up to this, the columns a per-row rule reads stay for the next rule over the same rows


class Rows:
    """The rows in scope of a per-row rule, as the compiled expressions read them (``rows[column]``, ``index``,
    ``len``): each column is taken from the table, by position, when it is first read."""

    __slots__ = ("_table", "_positions", "_columns", "index")

    def __init__(self, table: pd.DataFrame, positions: np.ndarray | None):
        self._table, self._positions = table, positions
        self._columns: dict[str, pd.Series] = {}
        self.index = table.index if positions is None else table.index[positions]

    def __len__(self) -> int:
        return len(self.index)

    def positions(self, at: np.ndarray) -> np.ndarray:
        """The table positions of the rows at positions ``at`` among these rows."""
        return at if self._positions is None else self._positions[at]

    def __getitem__(self, column: str) -> pd.Series:
        got = self._columns.get(column)
        if got is None:
            got = self._table[column]
            if self._positions is not None:  # the values by position, under the rows' index taken once
                got = pd.Series(got.array.take(self._positions), index=self.index, name=got.name, copy=False)
            self._columns[column] = got
        return got


_OUTCOMES = np.array([FAIL, INSUFFICIENT, PASS], dtype=object)  # a row's outcome by its code, 0 to 2


def _patterns(flags: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows of a boolean matrix, and which of them each row is: the rows read as binary numbers
    (``np.unique`` by rows sorts the rows as records, thirty times as slow), by rows past 62 columns."""
    if flags.shape[1] > 62:
        patterns, which = np.unique(flags, axis=0, return_inverse=True)
        return patterns, which.reshape(-1)
    _, first, which = np.unique(flags.astype(np.int64) @ (1 << np.arange(flags.shape[1], dtype=np.int64)),
                                return_index=True, return_inverse=True)
    return flags[first], which


def _kept(sel: pd.Series) -> np.ndarray:
    """The positions of the rows a selection keeps (an unknown, NA, keeps none)."""
    return np.flatnonzero(sel.to_numpy(dtype=bool, na_value=False))


class Context:
    """One evaluation: the plan's data, params, and caches shared by rules."""

    def __init__(self, std: Standard, plan: Plan, compiler: Compiler):
        self.std = std
        self.plan = plan
        self.fields = plan.fields
        self.compiler = compiler
        self.cache: dict = {}
        self._masks: dict[str, pd.Series] = {}
        self._labelled: dict[str, pd.DataFrame] = {}

    def mask(self, rowset: str) -> pd.Series | None:
        """Membership of each row of the table in a category (nullable bool), or None for a table."""
        if rowset in self.std.tables:
            return None
        if rowset not in self._masks:
            cat = self.std.categories[rowset]
            df = self.plan.tables[cat.table]
            m: pd.Series | bool | None = True
            if cat.selector is not None:
                m = rt.to_bool(self.compiler.expr(cat.selector)(Env(self, frame=df)))
            if cat.parent is not None:
                pm = self.mask(cat.parent)
                m = rt.and_(m, pm) if pm is not None else m
            if not isinstance(m, pd.Series):
                m = pd.Series(m if m is not None else pd.NA, index=df.index, dtype="boolean")
            self._masks[rowset] = m
        return self._masks[rowset]

    def is_empty(self, rowset: str) -> bool:
        """The plan has no row of this table or category (no row whose membership is unknown either)."""
        frame = self.table_frame(rowset)
        if len(frame) == 0:
            return True
        m = self.mask(rowset)
        return m is not None and not bool(m.fillna(True).astype(bool).any())

    def table_of(self, rowset: str) -> str:
        return rowset if rowset in self.std.tables else self.std.categories[rowset].table

    def labelled(self, table: str) -> pd.DataFrame:
        """The table with its column names as an object Index: selecting a rule's columns is then a hash lookup,
        where the Arrow strings pandas infers for names cost three times as much on every rule."""
        if table not in self._labelled:
            df = self.plan.tables[table]
            self._labelled[table] = df.set_axis(pd.Index(list(df.columns), dtype=object), axis=1)
        return self._labelled[table]

    def rows_in(self, table: str, rowset: str | None, sel: pd.Series | None) -> Rows:
        """The rows of ``table`` that ``sel`` keeps (all when None), read a column at a time; a small table's are
        kept for the next rule over the same ``rowset`` (None: a selection of one rule's own)."""
        key = ("in scope", rowset)
        if rowset is not None and key in self.cache:
            return self.cache[key]
        df = self.plan.tables[table]
        rows = Rows(df, None if sel is None else _kept(sel))
        if rowset is not None and len(df) <= SMALL_TABLE:
            self.cache[key] = rows
        return rows

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
    active = [rule for rule in std.rules if rule.disabled is None]
    progress.stage("evaluating rules", len(active))
    try:
        with np.errstate(all="ignore"):  # overflow and 0/0 become missing values, reported as such
            for rule in active:
                progress.advance(0, f"evaluating {rule.id}")
                ev = RuleEvaluation(ctx, compiler.rule(rule), index.get(rule.id, []))
                results.append(ev.run())
                used |= ev.used
                progress.advance(1)
    finally:
        if collecting:
            gc.enable()
    if notes is not None and waivers:
        notes += _unused_waivers(std, waivers, used)
    return results


def in_scope(std: Standard, plan: Plan, rules: list[Rule]) -> dict[str, pd.Series | None]:
    """Which rows of its table each per-row or per-group rule is about (its category and `where`), as its
    evaluation decides: a boolean Series, missing where that is unknown; None when every row is."""
    compiler = Compiler(std)
    ctx = Context(std, plan, compiler)
    out = {}
    for rule in rules:
        ev = RuleEvaluation(ctx, compiler.rule(rule), [])
        out[rule.id] = ev._selection(ev.fe, plan.tables[ev.fe.table])
    return out


def _unused_waivers(std: Standard, waivers: list[dict], used: set) -> list[Diagnostic]:
    out = []
    for w in waivers:
        span = Span(w.get("_file", "waivers"), w.get("_line", 0))
        rule = std.rule(w["rule"])
        keys = w.get("keys")
        if rule is None:
            text = f"{w['rule']} is out of scope in this run; the waiver has no effect"
        elif rule.disabled is not None:
            text = f"{rule.id} is disabled by the profile; the waiver has no effect"
        elif keys is not None and rule.scope == "plan":
            text = f"{rule.id} is a plan-level rule: waive it without `keys`"
        elif keys is None:
            if (id(w), None) in used:
                continue
            text = f"{rule.id} has nothing to waive here (it did not fail or lack data)"
        else:
            unmatched = [k for k in keys if (id(w), str(F.plain(k))) not in used]
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


def _shown(part: Part, v: Any, threshold: Any) -> str:
    """One interpolated value: told apart from its threshold, with a param's unit."""
    text = F.apart(v, threshold)[0] if threshold is not None else F.value(v)
    return F.quantity(v, part.unit, text) if part.unit else text


def _listed(table: str, items: list[tuple], values: pd.DataFrame | None = None) -> Findings:
    """Group findings from (outcome, key, message, missing) tuples."""
    outcome, key, message, missing = (list(x) for x in zip(*items)) if items else ([], [], [], [])
    return Findings(table, np.array(outcome, dtype=object), key, None, values, message, missing=missing)


def _covered(c: dict) -> str:
    """``computed on 70.12 % of the rows of `restoration` (284 of 405 rows have data; empty: projects.area_ha
    (121 of 405 rows empty))``."""
    what = "the rows" if c["measure"] == "rows" else f"the {c['measure']}"
    lacking = "; ".join(c["missing"])
    return (f"computed on {F.value(round(c['share'], 2))} % of {what} of `{c['rows']}`"
            + (f" ({c['with_data']} of {c['of']} rows have data; empty: {lacking})" if lacking else ""))


def _row_columns(refs) -> list[str]:
    return sorted({r.name for r in refs if r.kind == "row"})


def _ref_order(r: Ref) -> str:
    """The order refs were listed in before they were typed: as the tuple's text."""
    return str((r.kind, r.rowset, r.name) if r.kind == "elem" else (r.kind, r.name))


class RuleEvaluation:
    """Evaluates one rule; builds its result and evidence."""

    def __init__(self, ctx: Context, compiled: CompiledRule, waivers: list[dict]):
        self.ctx = ctx
        self.cr = compiled
        self.rule: Rule = compiled.rule
        self.fe: C.ForEach = compiled.rule.for_each or C.ForEach("", "", "", None, None, compiled.rule.span)
        self.waivers = waivers
        self.used: set = set()  # (waiver, key) pairs that covered a finding
        self.unscoped: pd.Series | None = None  # group keys of rows whose membership in a group rule's scope is unknown

    def result(self, outcome: str, message: str, **kw) -> RuleResult:
        r = self.rule
        span = r.span
        return RuleResult(
            rule_id=r.id, title=r.title, strength=r.strength, severity=r.severity, goals=list(r.goals),
            categories=list(r.categories), stages=list(r.stages), outcome=outcome, message=message,
            scope=r.scope, source={"file": self.ctx.std.relpath(span.file), "line": span.line,
                                   "column": span.column},
            citations=list(r.citations), rationale=r.rationale, **kw)

    def run(self) -> RuleResult:
        env = Env(self.ctx)
        rule, cr = self.rule, self.cr
        evidence: dict[str, Any] = {}
        if cr.when is not None:
            assert rule.when is not None  # cr.when is compiled from it
            w = cr.when(env)
            evidence["when"] = F.plain(w)
            if w is None:
                missing = self.missing_plan([rule.when])
                return self._waive(self.result(INSUFFICIENT, self.insufficient_text(missing), evidence=evidence,
                                               missing=missing))
            if not w:
                return self.result(NOT_APPLICABLE, "not applicable: "
                                   + self.ctx.std.source_text(rule.when.span), evidence=evidence)
        gate = self.rows_gate(evidence)
        if gate is not None:
            return self._waive(gate)
        if self.rule.scope == "plan":
            return self._waive(self._noted(self.run_plan(env, evidence)))
        return self._noted(self.run_rows(env, evidence))

    # totals over rows with data: `partial` and its coverage; totals that would cover different rows ---------
    def _empty_cells(self, read) -> tuple[pd.Series, list[str], pd.Series]:
        """The rows of ``read.rowset`` (a mask over its table), the named empty cells among them, and which of
        them have every column."""
        ctx = self.ctx
        frame, member = ctx.table_frame(read.rowset), ctx.mask(read.rowset)
        inside = pd.Series(True, index=frame.index) if member is None else member.fillna(False).astype(bool)
        total = int(inside.sum())
        named = []
        for c in read.columns:
            n = int((frame[c].isna() & inside).sum())
            if n:
                named.append(f"{read.table}.{c} ({n} of {total} rows empty)")
        complete = inside & frame[list(read.columns)].notna().all(axis=1) if read.columns else inside
        return inside, named, complete

    def coverage(self) -> list[dict]:
        """Per rowset a `partial` rule totals: the share of its rows (or of the `by` column) that have data."""
        out = []
        by = self.rule.partial.by if self.rule.partial is not None else None
        for read in self.cr.coverage:
            inside, named, complete = self._empty_cells(read)
            if by is not None:
                weight = self.ctx.table_frame(read.rowset)[by].astype("float64").fillna(0.0)
                whole, part = float(weight[inside].sum()), float(weight[complete].sum())
            else:
                whole, part = float(inside.sum()), float(complete.sum())
            share = None if whole == 0 else 100.0 * part / whole
            out.append({"rows": read.rowset, "measure": by or "rows", "share": share,
                        "with_data": int(complete.sum()), "of": int(inside.sum()), "missing": named})
        return out

    def rows_gate(self, evidence: dict) -> RuleResult | None:
        """Before the totals: a `partial` rule below its least coverage, or totals that would cover different
        rows, lack data (naming the cells); a `partial` rule's coverage goes into its evidence."""
        if self.cr.same_rows:
            missing = []
            for read in self.cr.same_rows:
                missing += self._empty_cells(read)[1]
            if missing:
                missing = list(dict.fromkeys(missing))
                text = self.insufficient_text(missing) + ("; the rule's totals of one table would cover different "
                                                          "rows (declare `partial` to compute them all on the rows "
                                                          "with data, with their coverage)")
                return self.result(INSUFFICIENT, text, evidence=evidence, missing=missing)
        if not self.cr.coverage:
            return None
        cov = self.coverage()
        evidence["coverage"] = cov
        least = self.rule.partial.least if self.rule.partial is not None else None
        short = [c for c in cov if c["of"] and (c["share"] is not None and (c["share"] == 0 or (
            least is not None and c["share"] < least * (1 - 1e-9))))]
        if short:
            missing = [m for c in short for m in c["missing"]]
            text = self.insufficient_text(missing) + "; " + "; ".join(
                f"no row of `{c['rows']}` has data" if c["share"] == 0 else
                f"{_covered(c)}, where the rule accepts at least {F.value(least)} %" for c in short)
            return self.result(INSUFFICIENT, text, evidence=evidence, missing=missing)
        return None

    def _noted(self, result: RuleResult) -> RuleResult:
        """A `partial` rule's result says what its totals cover, when that is less than all the rows."""
        notes = [_covered(c) for c in result.evidence.get("coverage", ()) if c["share"] is not None
                 and c["share"] < 100.0]
        if notes and result.outcome in (PASS, FAIL):
            note = "; ".join(notes)
            result.message = f"{result.message} ({note})" if result.message else note[0].upper() + note[1:]
        return result

    # plan-level -----------------------------------------------------------------
    def run_plan(self, env: Env, evidence: dict) -> RuleResult:
        absent = self.absent_rowsets()
        if absent:
            names = " or ".join(f"`{r}`" for r in absent)
            return self.result(NOT_APPLICABLE, self.say("not applicable: the plan has no rows of {names}",
                                                        names=names), evidence=evidence)
        for name, fn in self.cr.lets:
            env.lets[name] = fn(env)
        value = self.cr.assertion(env)
        evidence.update(self.lets_evidence(env))
        evidence["checks"] = self.comparisons(env)
        if value is None:
            missing = self.missing_plan(self.deciding())
            return self.result(INSUFFICIENT, self.insufficient_text(missing), evidence=evidence, missing=missing)
        if value:
            return self.result(PASS, "", evidence=evidence)
        return self.result(FAIL, self.message(env), evidence=evidence)

    def lets_evidence(self, env: Env) -> dict:
        return {"let": {k: F.plain(v) for k, v in env.lets.items() if not rt.is_series(v)}} if env.lets else {}

    def comparisons(self, env: Env) -> list[dict]:
        """The comparisons at the top of the assertion, with both sides' values (plan-level values only)."""
        out = []
        for chk in self.cr.checks:
            lv = chk.left(env)
            if rt.is_series(lv):
                continue
            node = chk.node
            left = node.left if isinstance(node, C.Compare) else node.operand
            unit = left.type.unit.name if left.type.unit is not None else ""
            entry = {"expression": self.ctx.std.source_text(node.span), "actual": F.plain(lv)}
            rights = [r(env) for r in chk.right]
            if isinstance(node, C.Compare):
                entry.update(operator=node.op, required=F.plain(rights[0]) if not rt.is_series(rights[0]) else None)
            else:
                entry.update(operator="between", required=[F.plain(r) for r in rights])
            entry["unit"] = unit
            out.append(entry)
        return out

    def absent_rowsets(self) -> list[str]:
        """The tables and categories a plan-level rule totals over, when the plan has no row of any of them.

        A rule about objects the plan does not contain is not applicable: `sum(wetland.area_ha) >= ...`
        over no wetland would compare 0 (or no value) and pass or fail vacuously. A rule that counts rows
        (`count(wetland) >= 1`) still decides: a count of none is the answer it asks for.
        """
        rowsets: set[str] = set()
        stack = list(self.deciding())
        seen: set[str] = set()
        while stack:
            for n in C.walk(stack.pop()):
                if isinstance(n, C.LetRef) and n.top and n.name not in seen:
                    seen.add(n.name)
                    stack.append(self.ctx.std.lets[n.name])
                if not isinstance(n, C.Call) or n.join is not None or n.shape != C.SCALAR:
                    continue
                b = B.resolve(n.func, len(n.args))
                if b is None or b.kind != B.AGGREGATE:
                    continue
                if b.counts_rows or n.args[0].rowset is None:
                    return []
                rowsets.add(n.args[0].rowset)
        if not rowsets or any(not self.ctx.is_empty(r) for r in rowsets):
            return []
        return sorted(rowsets)

    def deciding(self) -> list[C.Expr]:
        """The expressions that decide the rule: its lets and its assertion."""
        return [*(x.expr for x in self.rule.lets), self.rule.assertion]

    # per row / per group ------------------------------------------------------------
    def _selection(self, fe: C.ForEach, df: pd.DataFrame):
        """Which rows are in scope: category membership and the `where` filter (nullable bool or None)."""
        ctx = self.ctx
        sel = ctx.mask(fe.rowset)
        if self.cr.where is not None:
            w = self.cr.where(Env(ctx, frame=df))
            if not rt.is_series(w):
                w = pd.Series(pd.NA if w is None else bool(w), index=df.index, dtype="boolean")
            sel = rt.to_bool(w) if sel is None else rt.and_(sel, w)
        return sel

    def _selector_columns(self, rowset: str) -> list[str]:
        """The columns a category's selectors (its own and its parents') read; none for a table."""
        cols: set[str] = set()
        rs: str | None = rowset
        while rs in self.ctx.std.categories:
            cat = self.ctx.std.categories[rs]
            if cat.selector is not None:
                cols |= set(_row_columns(cat.selector.refs))
            rs = cat.parent
        return sorted(cols)

    def _scope_columns(self) -> list[str]:
        """Columns that decide whether a row is in scope (category selectors and `where`)."""
        fe = self.fe
        cols = set(self._selector_columns(fe.rowset))
        if fe.where is not None:
            cols |= set(_row_columns(fe.where.refs))
        return sorted(cols)

    def run_rows(self, env: Env, evidence: dict) -> RuleResult:
        ctx = self.ctx
        fe = self.fe
        table = fe.table
        df = ctx.plan.tables[table]
        key = ctx.std.tables[table].key
        pieces: list[Findings] = []
        counts = dict.fromkeys((PASS, FAIL, INSUFFICIENT, WAIVED), 0)
        sel = self._selection(fe, df)
        if sel is not None:
            unknown = sel.array.isna()
            if unknown.any() and fe.by is None:
                rows = df.loc[unknown, sorted({key, *self._scope_columns()})]
                counts[INSUFFICIENT] += len(rows)
                pieces.append(self.row_findings(rows, table, INSUFFICIENT, None, extra_missing=self._scope_columns()))
            elif unknown.any():  # in a group rule, such a row leaves its group (or any group) undecided
                self.unscoped = df.loc[unknown, fe.by]
        if fe.by is None:
            # each column the rule reads is taken from the table when it is first read (a DataFrame's selection of
            # columns and rows has a fixed cost above the work on a small table); a small table's rows are shared
            # by the rules over the same rows
            scoped = ctx.rows_in(table, fe.rowset if self.cr.where is None else None, sel)
            result = self.rows_outcome(env, scoped, table, counts, pieces)
        else:
            # the columns by an object Index of names, then the rows by position: pandas' fixed cost of the
            # selection is then a third of that of `loc` with a list of names and a nullable mask
            cols = sorted({*self._read_columns(evaluation=True), fe.by})
            frame = ctx.labelled(table)[pd.Index(cols, dtype=object)]
            if sel is not None:
                frame = frame.take(_kept(sel))
            result = self.groups_outcome(env, frame, table, counts, pieces)
        findings = concat(pieces)
        findings.table = table
        self.apply_waivers(findings, counts)
        if fe.by is None:
            findings = findings.sorted_by_row()
        outcome = rule_outcome(counts)
        message, waiver = "", None
        if outcome in (FAIL, INSUFFICIENT, WAIVED):
            first = findings.first(outcome)
            assert first is not None
            n = counts[outcome]
            text = findings.message(first)
            message = text if n == 1 else self.say("{message} (and {n} more)", message=text, n=n - 1)
            if outcome == WAIVED:
                waivers = {tuple(sorted(w.items())) for w, o in zip(findings.waiver, findings.outcome) if o == WAIVED}
                waiver = findings.waiver[first] if len(waivers) == 1 else None
        evidence.update(result)
        # what was checked is what got an outcome: rows (or groups) in scope, and those whose scope is unknown;
        # rows a category or `where` leaves out are neither counted nor shown
        evidence["groups" if fe.by else "rows"] = sum(counts.values())
        lacking = findings.missing[findings.outcome == INSUFFICIENT].tolist()
        missing = sorted({m for miss in {id(x): x for x in lacking if x}.values() for m in miss})  # each list once
        return self.result(outcome, message, evidence=evidence, counts={k: v for k, v in counts.items() if v},
                           findings=findings, missing=missing, waiver=waiver)

    def rows_outcome(self, env, frame, table, counts, pieces: list[Findings]) -> dict:
        renv = env.child(frame=frame)
        for name, fn in self.cr.lets:
            renv.lets[name] = fn(renv)
        value = rt.to_bool(self.cr.assertion(renv))
        if rt.is_series(value):  # NumPy masks: each pandas operation would cost more than the rows it reads
            passed, unknown = value.to_numpy(dtype=bool, na_value=False), value.array.isna()
        else:
            passed, unknown = np.full(len(frame), value is True), np.full(len(frame), value is None)
        n_passed, n_unknown = int(np.count_nonzero(passed)), int(np.count_nonzero(unknown))
        counts[PASS] += n_passed
        counts[FAIL] += len(frame) - n_passed - n_unknown  # a row that is neither passed nor unknown fails
        counts[INSUFFICIENT] += n_unknown
        shown = np.arange(len(frame)) if self.rule.keep_evidence else np.flatnonzero(~passed)
        if len(shown):  # one piece in row order: the rows' outcomes side by side, explained in one selection
            codes = unknown[shown] + 2 * passed[shown]  # as _OUTCOMES lists them
            pieces.append(self.row_findings(self._explain_rows(table, frame.positions(shown)), table, codes, renv))
        return {"rows": int(len(frame))}

    def _explain_rows(self, table: str, positions: np.ndarray) -> pd.DataFrame:
        """The key and every column the rule reads, for the rows at the given positions of the table only."""
        key = self.ctx.std.tables[table].key
        return self.ctx.plan.tables[table][sorted({key, *self._read_columns()})].take(positions)

    def _waiver_for(self, key) -> dict | None:
        """The waiver covering a row or group key (or the whole rule), compared by value: 7 == "7" == 7.0."""
        k = str(F.plain(key))
        for w in self.waivers:
            keys = w.get("keys")
            if keys is None or k in {str(F.plain(x)) for x in keys}:
                self.used.add((id(w), k if keys is not None else None))
                return {x: w[x] for x in WAIVER_FIELDS if w.get(x)}
        return None

    def apply_waivers(self, findings: Findings, counts: dict) -> None:
        """Findings a waiver covers become `waived`; they keep their values and message."""
        if not self.waivers:
            return
        for i, (outcome, key) in enumerate(zip(findings.outcome.tolist(), findings.key)):
            if outcome in (FAIL, INSUFFICIENT):
                w = self._waiver_for(key)
                if w is not None:
                    counts[outcome] -= 1
                    counts[WAIVED] += 1
                    findings.outcome[i], findings.waiver[i] = WAIVED, w

    def row_findings(self, rows: pd.DataFrame, table: str, outcome: str | np.ndarray, renv: Env | None,
                     extra_missing: list[str] | None = None) -> Findings:
        """Findings for rows that did not pass (or passed, for `keep evidence`), as columns: the typed values the
        rule reads, and what is missing; ``outcome`` is every row's, or each row's as its position in _OUTCOMES
        (an integer array). The messages of failing rows are formatted when something shows them, from ``renv``
        (the rule's rows in scope and its lets, along the table's row labels that ``rows`` keeps)."""
        n = len(rows)
        if n == 0:
            return Findings.empty(table)
        std = self.ctx.std
        key_col = std.tables[table].key
        cols = [c for c in self._read_columns() if c in rows.columns]
        values = rows[cols].reset_index(drop=True)
        codes = np.full(n, _OUTCOMES.tolist().index(outcome), dtype=np.int8) if isinstance(outcome, str) else outcome
        outcomes = _OUTCOMES[codes]  # one shared text each (np.full would copy the text into every item)
        formatter = None
        if renv is not None:
            lets = {k: (v.loc[rows.index] if rt.is_series(v) else v) for k, v in renv.lets.items()}
            for k, v in lets.items():
                values[k] = v.reset_index(drop=True) if rt.is_series(v) else pd.Series([F.plain(v)] * n, dtype=object)

            def formatter(pos: np.ndarray) -> list[str]:  # asked only for failing rows: the others have a message
                sub = renv.child(frame=rows.iloc[pos], lets={k: (v.iloc[pos] if rt.is_series(v) else v)
                                                            for k, v in lets.items()})
                return self.messages(sub, len(pos))
        keys = rows[key_col].reset_index(drop=True)  # made Python values when something reads them
        row_numbers = rows.index.to_numpy(dtype=np.int64)
        messages = np.full(n, None, dtype=object)
        messages[codes == 2] = ""  # `keep evidence`: the values that made the row pass (an exemption, near miss)
        missing = np.full(n, None, dtype=object)
        lacking = np.flatnonzero(codes == 1)
        if len(lacking):
            candidates = sorted(set(extra_missing or []) | set(cols))
            present = [c for c in candidates if c in rows.columns]
            labels = [f"{table}.{c}" for c in present]
            # the empty cells of each row that lacks data; the words once for each pattern of them
            empty = np.column_stack([rows[c].isna().to_numpy()[lacking] for c in present]) if present \
                else np.zeros((len(lacking), 0), dtype=bool)
            patterns, which = _patterns(empty)
            named = np.empty(len(patterns), dtype=object)  # each pattern's list of cells, shared by its rows
            texts = []
            for p, flags in enumerate(patterns.tolist()):
                cells = [label for label, isnull in zip(labels, flags) if isnull]
                named[p] = cells or self.missing_plan(self.deciding())  # what the rule reads from other tables
                texts.append(self.insufficient_text(named[p]))
            messages[lacking] = np.array([f"{key_col} {k}: {text}" for k, text in
                                          zip(F.plain_list(keys.iloc[lacking]),
                                              np.array(texts, dtype=object)[which].tolist())],
                                         dtype=object)
            missing[lacking] = named[which]
        return Findings(table, outcomes, keys, row_numbers, values, messages, formatter, missing)

    def _read_columns(self, evaluation: bool = False) -> list[str]:
        """Columns of the row variable the rule reads (``evaluation``: only to decide, not to explain)."""
        rule = self.rule
        fe = self.fe
        exprs = self.deciding()
        if not evaluation:
            exprs += [fe.where] if fe.where is not None else []
            exprs += [p for p in rule.message or () if not isinstance(p, str)]
        refs = {r for e in exprs for r in e.refs}
        cols = {r.name for r in refs if r.kind in ("row", "group") or (r.kind == "elem" and r.rowset == fe.var)}
        if evaluation:
            return sorted(cols)
        return sorted(cols - {self.ctx.std.tables[fe.table].key})

    def groups_outcome(self, env, frame, table, counts, pieces: list[Findings]) -> dict:
        by = self.fe.by
        codes, labels = pd.factorize(frame[by], sort=True)
        nokey = codes < 0
        orphans = ""  # rows in scope whose group is unknown: they could change any group's result
        if nokey.any():
            rows = frame.index[nokey].tolist()
            named = ", ".join(map(str, rows[:5])) + (f" and {len(rows) - 5} more" if len(rows) > 5 else "")
            orphans = f"{table}.{by} (empty in row{'s' if len(rows) > 1 else ''} {named})"
            frame, codes = frame[~nokey], codes[~nokey]
        keys = pd.Series(codes, index=frame.index)
        groups = pd.RangeIndex(len(labels))
        genv = env.child(frame=frame, keys=keys, groups=groups, labels=labels)
        for name, fn in self.cr.lets:
            genv.lets[name] = self._as_groups(fn(genv), groups)
        value = rt.to_bool(self._as_groups(self.cr.assertion(genv), groups, "boolean"))
        passed = value.fillna(False).astype(bool)
        unknown = value.isna()
        counts[PASS] += int(passed.sum())
        rendered = [p if isinstance(p, str) else
                    (p, self._as_groups(p.value(genv), groups),
                     None if p.threshold is None else self._as_groups(p.threshold(genv), groups))
                    for p in self.cr.message or ()]
        undecided: set[int] = set()  # groups (positions) a row of unknown scope might belong to
        scope_note = ""
        if self.unscoped is not None:
            cols = ", ".join(f"{table}.{c}" for c in self._scope_columns())
            scope_note = f"{cols} (empty in {len(self.unscoped)} row{'s' if len(self.unscoped) > 1 else ''})"
            if self.unscoped.isna().any():
                orphans = orphans or scope_note
            else:
                wanted = set(map(str, self.unscoped.tolist()))
                undecided = {g for g in groups if str(labels[g]) in wanted}
                absent = sorted(wanted - {str(x) for x in labels})  # a group with no row known in scope
                counts[INSUFFICIENT] += len(absent)
                pieces.append(_listed(table, [(INSUFFICIENT, label, self.insufficient_text(
                    [scope_note], f"{by} {label}"), [scope_note]) for label in absent]))
        if orphans or undecided:
            flip = pd.Series([bool(orphans) or g in undecided for g in groups], index=groups, dtype=bool)
            counts[PASS] -= int((passed & flip).sum())
            unknown = unknown | flip
            passed = passed & ~flip
        if orphans and len(groups) == 0:  # every row lacks its group: the rule applies, the data is missing
            counts[INSUFFICIENT] += 1
            pieces.append(_listed(table, [(INSUFFICIENT, None, self.insufficient_text([orphans]), [orphans])]))
        listed: list[tuple] = []  # (outcome, group, message, missing)
        shown: list[int] = []
        for g, ok, unk in zip(groups, passed.tolist(), unknown.tolist()):
            if ok and not self.rule.keep_evidence:
                continue
            label = F.plain(labels[g])
            shown.append(g)
            if ok:  # `keep evidence`
                listed.append((PASS, label, "", []))
                continue
            if unk:
                counts[INSUFFICIENT] += 1
                missing = [orphans] if orphans else ([scope_note] if g in undecided else
                                                     self.missing_group(frame[codes == g]))
                listed.append((INSUFFICIENT, label, self.insufficient_text(missing, f"{by} {label}"), missing))
            else:
                counts[FAIL] += 1
                msg = (F.one_in_singular("".join(p if isinstance(p, str) else
                                                 _shown(p[0], p[1].loc[g], None if p[2] is None else p[2].loc[g])
                                                 for p in rendered))
                       if self.cr.message is not None else self.default_message(f"{by} {F.value(label)}"))
                listed.append((FAIL, label, msg, []))
        values = pd.DataFrame({k: v.loc[shown].reset_index(drop=True) for k, v in genv.lets.items()},
                              index=pd.RangeIndex(len(shown)))
        pieces.append(_listed(table, listed, values))
        return {"groups": int(len(groups)), "group_by": by}

    def _as_groups(self, v, groups, dtype="float64"):
        if rt.is_series(v):
            return v.reindex(groups)
        return pd.Series(pd.NA if v is None else v, index=groups,
                         dtype=dtype if v is None or isinstance(v, bool) else None)

    def missing_group(self, rows: pd.DataFrame) -> list[str]:
        table = self.fe.table
        out = []
        for c in self._read_columns():
            if c in rows.columns:
                n = int(rows[c].isna().sum())
                if n:
                    out.append(f"{table}.{c} ({n} of {len(rows)} rows empty)")
        return out or self.missing_plan(self.deciding())

    # messages ------------------------------------------------------------------
    def messages(self, env: Env, n: int) -> list[str]:
        """The messages of the ``n`` rows of ``env``, built column by column: each part formatted for all the
        rows at once (a category or a distinct number once), then joined row by row."""
        if self.cr.message is None:
            key = self.ctx.std.tables[self.fe.table].key
            tail = self.default_message(None)  # as default_message(subject): the subject, a colon, the rest
            return [f"{key} {k}: {tail}" for k in F.value_list(env.frame[key])]
        parts: list = []
        for p in self.cr.message:
            if isinstance(p, str):
                parts.append(repeat(p))
                continue
            v = p.value(env)
            t = p.threshold(env) if p.threshold is not None else None
            if rt.is_series(v) and t is not None or rt.is_series(t):
                texts = F.apart_list(v, t)
            elif rt.is_series(v):
                texts = F.value_list(v)
            else:
                texts = [_shown(p, v, t)] * n
                parts.append(texts)
                continue
            name = getattr(p.unit, "name", p.unit) or ""
            if name and F.quantity(v, p.unit, "") != "":  # as F.quantity: the unit follows a value that is given
                texts = [f"{x} {name}" for x in texts]
            parts.append(texts)
        if not any(isinstance(x, list) for x in parts):
            return [F.one_in_singular("".join(x for x in self.cr.message if isinstance(x, str)))] * n
        return F.singular_list(list(map("".join, zip(*parts))))

    def message(self, env: Env) -> str:
        if self.cr.message is None:
            return self.default_message(None)
        return F.one_in_singular("".join(p if isinstance(p, str) else
                                         _shown(p, p.value(env), p.threshold(env) if p.threshold is not None else None)
                                         for p in self.cr.message))

    def default_message(self, subject: str | None) -> str:
        text = self.ctx.std.source_text(self.rule.assertion.span)
        head = f"{subject}: " if subject else ""
        return head + self.say("{title} — `{text}` does not hold", title=self.rule.title, text=text)

    def insufficient_text(self, missing: list[str], subject: str | None = None) -> str:
        head = f"{subject}: " if subject else ""
        if missing:
            return head + self.say("insufficient data: {fields} missing", fields=", ".join(missing))
        return head + self.say("insufficient data: a value it needs is undefined (a lookup without that key, a "
                               "division by zero, an aggregate of no rows, a row that matches no other row, or a "
                               "series with no measurement at that time, fewer than two measurements, or a gap "
                               "longer than its interval)")

    def say(self, text: str, /, **fields) -> str:
        """A message's own words in the report's language (see :mod:`engine.render.i18n`)."""
        return t(self.ctx.std.lang or "en", text, **fields)

    def missing_plan(self, exprs: list[C.Expr]) -> list[str]:
        """Plan fields that are null and table columns with empty cells among what ``exprs`` read."""
        ctx = self.ctx
        refs: set[Ref] = set()
        for e in exprs:
            refs |= e.refs
        out = []
        for r in sorted(refs, key=_ref_order):
            if r.kind == "field":
                if ctx.fields.get(r.name) is None:
                    out.append(ctx.std.fields[r.name].path)
            elif r.kind == "elem" and r.rowset not in ctx.std.tables and r.rowset not in ctx.std.categories:
                continue  # a column of the rule's own group: its empty cells are counted by missing_group
            elif r.kind == "elem":
                assert r.rowset is not None  # a table's or category's element: the branch above took the rest
                frame, member = ctx.table_frame(r.rowset), ctx.mask(r.rowset)
                empty = frame[r.name].isna()
                total = len(frame)
                if member is not None:
                    inside = member.fillna(True).astype(bool)
                    empty, total = empty & inside, int(inside.sum())
                n = int(empty.sum())
                if n:
                    out.append(f"{ctx.table_of(r.rowset)}.{r.name} ({n} of {total} rows empty)")
                out += self._unknown_membership(r.rowset)
        return list(dict.fromkeys(out))

    def _unknown_membership(self, rowset: str) -> list[str]:
        """Selector columns with empty cells, when they leave membership of a category unknown."""
        ctx = self.ctx
        out: list[str] = []
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

