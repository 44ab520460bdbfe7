"""The Dask engine: the same compiled rules, evaluated partition by partition on a ``distributed`` cluster.

A plan's tables become ``dask.dataframe`` frames: a `tables:` entry that names a folder of Parquet or
CSV parts (or a glob of them) is one partition per part, each part read and checked like a one-file
table by the workers; a one-file table is read as the pandas engine reads it and, when longer than
:data:`PARTITION_ROWS` rows, cut into partitions of that many rows (a shorter one stays whole, in the
client process, and rules that read only such tables run there as the pandas engine runs them). Rows keep
their number in the whole table.

Each rule is evaluated one of three ways, and the result is the pandas engine's, finding for finding:

- a plan-level value over a table (``sum``, ``count``, ``mean``, ``min``, ``max``, ``share``, ``any``,
  ``all``) is reduced across partitions: each partition gives the built-in's ``partial`` part, the
  client ``combine``-s them (aggregates nested in others' filters are reduced first, level by level);
- a per-row rule runs on every partition with those values known; each partition's findings are
  written to disk (:mod:`engine.spill`) as the partition completes, and the report reads them from
  there a chunk at a time, in row order: the client holds one byte per finding, not the findings;
- a rule that cannot be decomposed (per-group rules, aggregates joined to another table's rows, spatial
  functions over a table) is evaluated by the pandas engine on the table gathered from the
  partitions; each such rule is named on standard error.

Tables read from geodata stay whole (pandas): they are not partitioned.
"""

from __future__ import annotations

import math
import os
import sys
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import numpy as np
import pandas as pd

from . import builtins as B
from . import format as F
from . import model as C
from .compile import runtime as rt
from .compile.compiler import Compiler, Env, needed_columns
from .diagnostics import Diagnostic, NbsError, Span
from .evaluate import Context, RuleEvaluation, _ref_order, _unused_waivers, _waiver_index
from .findings import Findings
from .model import ROWSET, Standard
from .plan import Plan
from .results import FAIL, INSUFFICIENT, PASS, WAIVED, RuleResult, rule_outcome

ENGINES = ("pandas", "dask", "auto")
PARTITION_ROWS = 1_000_000  # rows per partition of a one-file table
_KEY_BUCKET_BITS = 4  # key hashes are compared across parts in 16 buckets, by their top four bits
KiB, MiB, GiB = 1 << 10, 1 << 20, 1 << 30
_SIZE_UNITS = {"": 1, "b": 1, "k": KiB, "kb": 1000, "kib": KiB, "m": MiB, "mb": 1000 ** 2, "mib": MiB,
               "g": GiB, "gb": 1000 ** 3, "gib": GiB, "t": 1 << 40, "tb": 1000 ** 4, "tib": 1 << 40}


# ---- the command line: sizes, the engine chosen, the cluster ---------------------------------------------------


def parse_size(text: str) -> int:
    """A memory size: ``4GiB``, ``4G``, ``512MB``, ``1073741824``.

    >>> parse_size("4GiB"), parse_size("1.5g"), parse_size("512 MB")
    (4294967296, 1610612736, 512000000)
    """
    t = text.strip().lower().replace(" ", "")
    num = t.rstrip("kmgtib")
    unit = t[len(num):]
    try:
        value = float(num)
    except ValueError:
        value = -1.0
    if unit not in _SIZE_UNITS or not math.isfinite(value) or value <= 0:
        raise ValueError(f"`{text}` is not a memory size: write e.g. 4GiB, 512MiB or 2G")
    return int(value * _SIZE_UNITS[unit])


def total_memory() -> int:
    """Physical memory of this machine in bytes (8 GiB when it cannot be read)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 8 * GiB


def default_memory_limit() -> int:
    """A quarter of the machine's memory: a pandas evaluation holds the tables two to three times over."""
    return total_memory() // 4


def table_bytes(plan_path: str | Path) -> int:
    """What a plan's table files take in memory, roughly: Parquet files by their uncompressed size, other
    files by their size (every file of the package but the plan file; at most 10,000 files looked at)."""
    root = Path(plan_path)
    root = root.parent if root.is_file() and root.suffix.lower() != ".zip" else root
    if root.is_file():
        return root.stat().st_size
    total, seen = 0, 0
    for folder, dirs, files in os.walk(root, followlinks=False):
        dirs.sort()
        for name in sorted(files):
            seen += 1
            if seen > 10_000:
                return total
            p = Path(folder) / name
            if name in ("plan.yaml", "plan.yml", "plan.json") or not p.is_file():
                continue
            total += _parquet_bytes(p) if p.suffix.lower() == ".parquet" else p.stat().st_size
    return total


def _parquet_bytes(path: Path) -> int:
    try:
        import pyarrow.parquet as pq

        meta = pq.ParquetFile(path).metadata
        return sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
    except Exception:  # not readable as Parquet: its size on disk (the loader reports the file)
        return path.stat().st_size


def choose(engine: str, plan_path: str | Path, memory_limit: int, scheduler: str | None) -> str:
    """``pandas`` or ``dask`` for one plan: ``auto`` picks Dask when a scheduler is named or the tables
    exceed the memory limit."""
    if engine != "auto":
        return engine
    if scheduler is not None:
        return "dask"
    return "dask" if table_bytes(plan_path) > memory_limit else "pandas"


class Cluster:
    """A ``distributed`` client: on a local cluster sized to the machine (no address), or on the scheduler at
    ``address``. Started when first used; ``close()`` stops what it started."""

    def __init__(self, address: str | None, memory_limit: int):
        self.address, self.memory_limit = address, memory_limit
        self._client: Any = None
        self._cluster: Any = None

    @property
    def client(self):
        return self.connect()

    def connect(self):
        """A client of the cluster (raises NbsError, bad-argument, when the scheduler cannot be reached)."""
        if self._client is None:
            self._client = self._start()
        return self._client

    def _start(self):
        import logging

        from distributed import Client, LocalCluster

        if self.address is None:
            workers = max(1, min(os.cpu_count() or 1, 8))
            self._cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                         memory_limit=max(self.memory_limit // workers, 256 * MiB),
                                         dashboard_address=None, silence_logs=logging.ERROR)
            return Client(self._cluster)
        try:
            return Client(self.address, timeout="5s")
        except (OSError, TimeoutError, ValueError, TypeError) as e:
            why = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            raise NbsError([Diagnostic("bad-argument", f"--scheduler {self.address}: cannot reach a Dask scheduler "
                                       f"there ({why})", Span("--scheduler"),
                                       hint="give the address the scheduler prints, e.g. tcp://10.0.0.5:8786, "
                                            "or leave --scheduler out to run a local cluster")]) from None

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
        if self._cluster is not None:
            self._cluster.close()
        self._client = self._cluster = None


# ---- loading: partitioned tables ----------------------------------------------------------------------------------


def _check_part(path: Path, display: str, table: C.Table, source, repair: bool, crs):
    """One part read and checked by a worker: its row count, problems, empty frame and key hashes."""
    from .plan.tables import read_table

    frame, diags = read_table(path, display, table, source, repair, crs)
    if frame is None:
        return 0, diags, None, None
    if "layer" in frame.attrs:
        return 0, [Diagnostic("table-format", f"table `{table.name}`: a part of a partitioned table holds shapes; "
                              "the Dask engine reads a geometry table only as one file", Span(display),
                              hint="give the layer as one GeoPackage, GeoJSON or GeoParquet file")], None, None
    frame.attrs.clear()
    hashes = pd.util.hash_pandas_object(frame[table.key], index=False).to_numpy()
    return len(frame), [], _empty_like(frame), hashes


def _empty_like(frame: pd.DataFrame) -> pd.DataFrame:
    """A frame with ``frame``'s columns and dtypes and no rows, sharing nothing with it: an empty slice, even
    copied, keeps the part's Arrow buffers alive (Arrow arrays are immutable, so pandas copies share them) for
    as long as the worker holds the result."""
    return pd.DataFrame({c: pd.Series([], dtype=t) for c, t in frame.dtypes.items()})


def _load_part(spec) -> pd.DataFrame:
    """One part as a partition: read again (it passed :func:`_check_part`), rows numbered in the table."""
    from .plan.tables import read_table

    path, display, table, source, repair, crs, offset = spec
    frame, _ = read_table(path, display, table, source, repair, crs)
    assert frame is not None  # the part was read once already and had no error
    frame.attrs.clear()
    frame.index = pd.RangeIndex(offset + 1, offset + len(frame) + 1)
    return frame


def part_reader(cluster: Cluster):
    """The ``parts`` reader :func:`engine.plan.load_plan` calls for a folder or glob of part files."""
    def read(files: list[Path], display: str, table: C.Table, source, repair: bool, crs):
        import dask.dataframe as dd

        client = cluster.client
        shown = [str(f) for f in files]
        parts = client.map(_check_part, files, shown, table=table, source=source, repair=repair, crs=crs,
                           pure=False)  # each part's key hashes stay on the worker that read it
        checked = client.gather(client.map(_without_hashes, parts))
        diags = [d for _, ds, _ in checked for d in ds]
        if diags:
            return None, diags
        sizes = [n for n, _, _ in checked]
        diags = _duplicate_keys(client, parts, files, shown, table, (source, repair, crs))
        del parts  # the hashes are released on the workers
        if diags:
            return None, diags
        offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(int).tolist()
        specs = [(f, s, table, source, repair, crs, off) for f, s, off, n in zip(files, shown, offsets, sizes) if n]
        divisions = [off + 1 for off, n in zip(offsets, sizes) if n] + [offsets[-1]]
        meta = checked[0][2]
        return dd.from_map(_load_part, specs, meta=meta, divisions=divisions, enforce_metadata=False), []

    return read


def _without_hashes(checked):
    """A checked part without its key hashes: its row count, problems and empty frame."""
    return checked[:3]


def _bucket(checked, bucket: int):
    """The key hashes of a checked part whose top bits are ``bucket``."""
    hashes = checked[3]
    return hashes[(hashes >> np.uint64(64 - _KEY_BUCKET_BITS)) == np.uint64(bucket)]


def _repeated(*buckets):
    """The hashes found more than once in one bucket of every part."""
    order = np.sort(np.concatenate(buckets))
    return np.unique(order[1:][order[1:] == order[:-1]])


def _rows_with(checked, hashes):
    """The rows of a checked part whose key hash is among ``hashes``."""
    return np.flatnonzero(np.isin(checked[3], hashes))


def _duplicate_keys(client, parts, files, shown, table: C.Table, read_args) -> list[Diagnostic]:
    """Keys used in two parts (each part's own repeats are reported by its read): compared by hash, then by
    value for the hashes seen twice. The hashes never leave the workers whole: they are compared one bucket
    (a sixteenth of the hash range) at a time, so no process holds every row's hash (10^8 rows: 763 MiB)."""
    twice = np.concatenate(client.gather([
        client.submit(_repeated, *client.map(_bucket, parts, bucket=b), pure=False)
        for b in range(1 << _KEY_BUCKET_BITS)]))
    if len(twice) == 0:
        return []
    found = client.gather(client.map(_rows_with, parts, hashes=twice))
    from .plan.tables import read_table

    seen: dict[Any, str] = {}
    out = []
    for f, s, rows in zip(files, shown, found):
        if not len(rows):
            continue
        frame, _ = read_table(f, s, table, *read_args)
        assert frame is not None  # every part was read once already and had no error
        for r in rows:
            key = frame[table.key].iloc[r]
            if key in seen:
                out.append(Diagnostic("duplicate-key", f"row {r + 1}, column `{table.key}`: `{key}` repeats a key "
                                      f"of {seen[key]}", Span(s), hint="keys are unique across the parts of a table"))
            else:
                seen[key] = s
            if len(out) >= 5:
                return out
    return out


def partitioned(plan: Plan, rows: int | None = None) -> Plan:
    """The plan with every table longer than ``rows`` rows that is not a layer as a Dask frame, cut into
    partitions of ``rows`` rows (a folder of parts is one already); shorter tables stay whole, in this process."""
    import dask.dataframe as dd

    rows = rows or PARTITION_ROWS
    tables = {}
    for name, df in plan.tables.items():
        if isinstance(df, pd.DataFrame) and name not in plan.layers and len(df) > rows:
            df = dd.from_pandas(df, npartitions=math.ceil(len(df) / rows), sort=False)
        tables[name] = df
    return replace(plan, tables=tables)


def is_partitioned(df) -> bool:
    return not isinstance(df, pd.DataFrame)


# ---- evaluation -----------------------------------------------------------------------------------------------------


def _plan_aggregate(n) -> bool:
    """A plan-level aggregate: one value over a table or category, not joined to a row."""
    if not isinstance(n, C.Call) or n.join is not None or n.shape != C.SCALAR:
        return False
    b = B.resolve(n.func, len(n.args))
    return b is not None and b.kind == B.AGGREGATE


def _rule_exprs(rule: C.Rule) -> list:
    fe = rule.for_each
    parts = [p for p in rule.message or () if not isinstance(p, str)]
    return [e for e in (rule.when, fe.where if fe else None, *(x.expr for x in rule.lets), rule.assertion, *parts)
            if e is not None]


class _Nodes:
    """What a rule reads of one standard: every expression reached (through top-level lets and category
    selectors), numbered the same way on the client and on each worker."""

    def __init__(self, std: Standard):
        self.std = std
        self.nodes: list = []
        index: dict[int, int] = {}
        roots = [e for r in std.rules for e in _rule_exprs(r)]
        roots += [c.selector for c in std.categories.values() if c.selector is not None]
        roots += list(std.lets.values())
        for root in roots:
            for n in C.walk(root):
                if id(n) not in index:
                    index[id(n)] = len(self.nodes)
                    self.nodes.append(n)
        self.number = index

    def reached(self, exprs: list, rowset: str | None = None) -> list:
        """Every node ``exprs`` evaluate, following top-level lets and the selectors of the rowsets read."""
        out, seen, stack = [], set(), list(exprs)
        rowsets = [rowset] if rowset else []
        while stack or rowsets:
            if rowsets:
                rs: str | None = rowsets.pop()
                while rs in self.std.categories:
                    cat = self.std.categories[rs]
                    if cat.selector is not None:
                        stack.append(cat.selector)
                    rs = cat.parent
                continue
            for n in C.walk(stack.pop()):
                if id(n) in seen:
                    continue
                seen.add(id(n))
                out.append(n)
                if isinstance(n, C.LetRef) and n.top:
                    stack.append(self.std.lets[n.name])
                read = getattr(n.args[0], "rowset", None) if isinstance(n, C.Call) and n.args else None
                if read:
                    rowsets.append(read)
        return out


_WORKER: dict[int, tuple] = {}  # per worker process: the standard's compiler and numbering, by id of the standard


def _compiled(std: Standard):
    hit = _WORKER.get(id(std))
    if hit is None or hit[0] is not std:
        hit = (std, Compiler(std), _Nodes(std))
        _WORKER.clear()
        _WORKER[id(std)] = hit
    return hit[1], hit[2]


def _context(std: Standard, compiler: Compiler, numbering: _Nodes, tables: dict, fields: dict, seeds: dict,
             stats: dict | None = None) -> Context:
    ctx = _PartContext(std, cast(Plan, SimpleNamespace(tables=tables, fields=fields)), compiler)
    ctx.stats = stats or {}
    for num, value in seeds.items():
        ctx.cache[("aggregate", id(numbering.nodes[num]))] = value
    return ctx


class _PartContext(Context):
    """A context over one partition of a table (and the whole small tables): plan-level aggregates are given."""

    stats: dict

    def is_empty(self, rowset: str) -> bool:
        if rowset in self.stats:
            return self.stats[rowset]["inside"] == 0
        return super().is_empty(rowset)


class _Evaluation(RuleEvaluation):
    """A rule evaluated with the plan's missing cells counted over every partition (``stats``)."""

    def missing_plan(self, exprs: list[C.Expr]) -> list[str]:
        assert isinstance(self.ctx, _PartContext)
        stats = self.ctx.stats
        refs: set = set()
        for e in exprs:
            refs |= e.refs
        if not any(r.kind == "elem" and r.rowset in stats for r in refs):
            return super().missing_plan(exprs)
        out = []
        for r in sorted(refs, key=_ref_order):
            if r.kind == "field":
                if self.ctx.fields.get(r.name) is None:
                    out.append(self.ctx.std.fields[r.name].path)
            elif r.kind == "elem" and r.rowset in stats:
                s = stats[r.rowset]
                n = s["empty"].get(r.name, 0)
                if n:
                    out.append(f"{self.ctx.table_of(r.rowset)}.{r.name} ({n} of {s['inside']} rows empty)")
                if s["unknown"]:
                    for col, k in s["selectors"].items():
                        if k:
                            rows = "1 row" if k == 1 else f"{k} rows"
                            out.append(f"{self.ctx.table_of(r.rowset)}.{col} ({rows} empty, so whether they are "
                                       f"`{r.rowset}` is unknown)")
            elif r.kind == "elem":
                out += super().missing_plan([cast(C.Expr, _Only(r))])
        return list(dict.fromkeys(out))


class _Only:
    """Stands for an expression that reads only ``ref``: the pandas engine's count of one small table's empty
    cells."""

    def __init__(self, ref):
        self.refs = {ref}


# -- work done on each partition (module-level: the workers import them) --


def _scan_partition(std: Standard, frame: pd.DataFrame, table: str, small: dict, fields: dict, seeds: dict,
                    wanted: list[int], stat_rowsets: dict[str, list[str]]):
    """One partition's parts of the aggregates numbered ``wanted`` and its counts of empty cells."""
    compiler, numbering = _compiled(std)
    ctx = _context(std, compiler, numbering, {**small, table: frame}, fields, seeds)
    parts = {}
    with np.errstate(all="ignore"):
        for num in wanted:
            parts[num] = _partial(compiler, ctx, numbering.nodes[num])
        stats = {rs: _partition_stats(ctx, rs, cols) for rs, cols in stat_rowsets.items()}
    return parts, stats


def _partial(compiler: Compiler, ctx: Context, node: C.Call):
    b = B.resolve(node.func, len(node.args))
    arg = node.args[0]
    assert b is not None and b.partial is not None and arg.rowset is not None  # a decomposable plan aggregate
    frame = ctx.table_frame(arg.rowset)
    member = ctx.mask(arg.rowset)
    sub = Env(ctx, elem=frame)
    values = None if arg.type.kind == ROWSET else compiler.expr(arg)(sub)
    where = compiler.expr(node.where)(sub) if node.where is not None else None
    if node.where is not None and not rt.is_series(where) and rt.is_null(where):
        where = pd.NA
    if values is not None and not rt.is_series(values):
        values = pd.Series(values, index=frame.index)
    inside = np.ones(len(frame), dtype=bool) if member is None else member.fillna(False).to_numpy(dtype=bool)
    empties = [bool(frame[c].isna().to_numpy()[inside].all()) for c in needed_columns(node)]
    return rt.aggregate(b.partial, values, where, None, member=member, index=frame.index), bool(inside.any()), empties


def _partition_stats(ctx: Context, rowset: str, cols: list[str]) -> dict:
    frame, member = ctx.table_frame(rowset), ctx.mask(rowset)
    inside = np.ones(len(frame), dtype=bool) if member is None else member.fillna(True).to_numpy(dtype=bool)
    unknown = np.zeros(len(frame), dtype=bool) if member is None else member.isna().to_numpy()
    selectors = {}
    rs: str | None = rowset
    while rs in ctx.std.categories:
        cat = ctx.std.categories[rs]
        if cat.selector is not None:
            for c in sorted({r.name for r in cat.selector.refs if r.kind == "row"}):
                selectors[c] = int((frame[c].isna().to_numpy() & unknown).sum())
        rs = cat.parent
    return {"inside": int(inside.sum()), "unknown": bool(unknown.any()), "selectors": dict(sorted(selectors.items())),
            "empty": {c: int((frame[c].isna().to_numpy() & inside).sum()) for c in cols}}


def _rows_partition(std: Standard, frame: pd.DataFrame, table: str, small: dict, fields: dict, seeds: dict,
                    stats: dict, rule_ids: list[str], waivers: list[dict], missing: dict[str, list[str]]):
    """One partition's results of the per-row rules ``rule_ids``, and which waivers covered a finding."""
    compiler, numbering = _compiled(std)
    ctx = _context(std, compiler, numbering, {**small, table: frame}, fields, seeds, stats)
    index = _waiver_index(waivers)
    number = {id(w): i for i, w in enumerate(waivers)}
    out = {}
    with np.errstate(all="ignore"):
        for rid in rule_ids:
            ev = _PartRows(ctx, compiler.rule(std.rule(rid)), index.get(rid, []), missing[rid])
            result = ev.run_rows(Env(ctx), {})
            out[rid] = _summary(result), [(number[w], k) for w, k in ev.used]
    return out


def _summary(result: RuleResult) -> dict:
    """What the client needs of one partition's result of a per-row rule: its counts, the first message and
    waiver of each outcome that is not a pass, the waivers and missing data seen, and the findings themselves
    as an Arrow table (:func:`engine.spill.to_arrow`, every message formatted here) with their outcome codes."""
    from . import spill

    f = result.findings
    assert isinstance(f, Findings)  # a per-row rule's
    firsts = {}
    for outcome in (FAIL, INSUFFICIENT, WAIVED):
        i = f.first(outcome)
        if i is not None:
            firsts[outcome] = (f.message(i), f.waiver[i])
    waived = f.waiver[f.outcome == WAIVED].tolist()
    lacking = f.missing[f.outcome == INSUFFICIENT].tolist()
    return {"counts": result.counts, "firsts": firsts, "waiver_kinds": {tuple(sorted(w.items())) for w in waived},
            "missing": {m for miss in dict.fromkeys(tuple(x or ()) for x in lacking) for m in miss},
            "table": spill.to_arrow(f) if len(f) else None, "codes": spill.outcome_codes(f.outcome)}


class _PartRows(_Evaluation):
    def __init__(self, ctx, compiled, waivers, missing: list[str]):
        super().__init__(ctx, compiled, waivers)
        self._missing = missing

    def missing_plan(self, exprs):
        return self._missing


# -- the client --


class DaskEvaluator:
    """Evaluates a standard on a plan whose tables are (partly) Dask frames."""

    def __init__(self, std: Standard, plan: Plan, cluster: Cluster, progress=None, quiet: bool = False):
        self.std, self.plan, self.cluster = std, plan, cluster
        self.spill: Any = None  # engine.spill.SpillFolder (in the temporary folder), made when findings first arrive
        self.progress = progress  # called with a line saying which partitions are done
        self.quiet = quiet
        self.compiler = Compiler(std)
        self.numbering = _Nodes(std)
        self.big = {n for n, df in plan.tables.items() if is_partitioned(df)}
        self.small = {n: df for n, df in plan.tables.items() if n not in self.big}
        self.seeds: dict[int, Any] = {}
        self.stats: dict[str, dict] = {}
        self._gathered: dict[str, pd.DataFrame] = {}
        self._futures: dict = {}
        self._delayed: dict[str, list] = {}
        self._pandas = Compiler(self.std)  # for rules on gathered tables: its own memo of compiled closures

    def table_of(self, rowset: str | None) -> str:
        assert rowset is not None  # an aggregate's rows
        return rowset if rowset in self.std.tables else self.std.categories[rowset].table

    def _known(self, rowset) -> bool:
        return rowset in self.std.tables or rowset in self.std.categories

    # which way each rule goes
    def way(self, rule: C.Rule) -> str:
        exprs = _rule_exprs(rule)
        fe = rule.for_each
        nodes = self.numbering.reached(exprs, fe.rowset if fe else None)
        tables = {self.table_of(n.rowset) for n in nodes if self._known(n.rowset)}
        tables |= {n.table for n in nodes if isinstance(n, C.Link)}
        if fe is not None:
            tables.add(fe.table)
        if not tables & self.big:
            return "small"
        compiled = self.compiler.rule(rule)
        if compiled.coverage or compiled.same_rows:
            return "gathered: the coverage of its totals reads every row"
        if fe is not None and fe.by is not None:
            return "gathered: a per-group rule"
        for n in nodes:
            if isinstance(n, C.Link) and n.table in self.big:
                return f"gathered: ->{n.column} looks up rows of {n.table}"
            if isinstance(n, C.Call):
                b = B.resolve(n.func, len(n.args))
                if b is None or b.kind != B.AGGREGATE:
                    if any(getattr(a.type, "kind", None) == ROWSET for a in n.args):
                        return f"gathered: {n.func} reads a whole table"
                    continue
                if n.join is not None:
                    return f"gathered: {n.func} joins {n.args[0].rowset} to each row"
                if n.shape != C.SCALAR or b.partial is None:
                    return f"gathered: {n.func} has no partial and combine parts"
        return "rows" if fe is not None else "plan"

    def evaluate(self, waivers: list[dict] | None = None, notes: list[Diagnostic] | None = None) -> list[RuleResult]:
        std = self.std
        rules = [r for r in std.rules if r.disabled is None]
        ways = {r.id: self.way(r) for r in rules}
        split = [r for r in rules if ways[r.id] in ("plan", "rows")]
        self._reduce(split)
        ctx = _context(std, self.compiler, self.numbering, self.small, self.plan.fields,
                       self.seeds, self.stats)
        ctx.plan = self.plan  # the client's context reads only the small tables and the plan's fields
        index = _waiver_index(waivers or [])
        results: dict[str, RuleResult] = {}
        used: set = set()
        row_rules = []
        with np.errstate(all="ignore"):
            for rule in rules:
                way = ways[rule.id]
                if way == "small" or way == "plan":
                    ev = _Evaluation(ctx, self.compiler.rule(rule), index.get(rule.id, []))
                    results[rule.id] = ev.run()
                    used |= ev.used
                elif way == "rows":
                    cr = self.compiler.rule(rule)
                    w = cr.when(Env(ctx)) if cr.when is not None else True
                    if w is None or not w:  # decided before any row is read
                        ev = _Evaluation(ctx, cr, index.get(rule.id, []))
                        results[rule.id] = ev.run()
                        used |= ev.used
                    else:
                        row_rules.append((rule, w))
            for rule in rules:
                if ways[rule.id].startswith("gathered"):
                    if not self.quiet:
                        print(f"nbscheck: {rule.id}: evaluated on the gathered table ({ways[rule.id][10:]})",
                              file=sys.stderr)
                    results[rule.id], u = self._gathered_rule(rule, index.get(rule.id, []))
                    used |= u
        for rid, (result, u) in self._row_rules(row_rules, waivers or [], index).items():
            results[rid] = result
            used |= u
        if notes is not None and waivers:
            notes += _unused_waivers(std, waivers, used)
        return [results[r.id] for r in rules]

    # plan-level values over the partitions
    def _reduce(self, rules: list[C.Rule]) -> None:
        aggs: dict[int, C.Call] = {}
        stat_cols: dict[str, set[str]] = {}
        for rule in rules:
            fe = rule.for_each
            nodes = self.numbering.reached(_rule_exprs(rule), fe.rowset if fe else None)
            for n in nodes:
                if _plan_aggregate(n):
                    aggs[self.numbering.number[id(n)]] = n
            for e in (rule.when, *(x.expr for x in rule.lets), rule.assertion):
                for r in (e.refs if e is not None else ()):
                    if r.kind == "elem" and r.rowset and self._known(r.rowset) and self.table_of(r.rowset) in self.big:
                        stat_cols.setdefault(r.rowset, set()).add(r.name)
            for n in nodes:
                if _plan_aggregate(n) and self._known(n.args[0].rowset) and self.table_of(n.args[0].rowset) in self.big:
                    stat_cols.setdefault(n.args[0].rowset, set())
        levels = {num: self._level(node) for num, node in aggs.items()}
        for level in range(max(levels.values(), default=-1) + 1):
            wanted = [num for num, lv in levels.items() if lv == level]
            per_table: dict[str, list[int]] = {}
            for num in wanted:
                per_table.setdefault(self.table_of(aggs[num].args[0].rowset), []).append(num)
            stats_here = {rs: sorted(cols) for rs, cols in stat_cols.items()} if level == 0 else {}
            tables = set(per_table) | ({self.table_of(rs) for rs in stats_here})
            for table in sorted(tables):
                nums = per_table.get(table, [])
                if table not in self.big:  # a small table: the pandas engine's own aggregate
                    ctx = _context(self.std, self.compiler, self.numbering, self.small, self.plan.fields, self.seeds)
                    with np.errstate(all="ignore"):
                        for num in nums:
                            self.seeds[num] = self.compiler.expr(aggs[num])(Env(ctx))
                    continue
                rowsets = {rs: cols for rs, cols in stats_here.items() if self.table_of(rs) == table}
                outs = self._map(table, _scan_partition, f"totals over {table}", dict(self.seeds), nums, rowsets)
                for num in nums:
                    b = B.resolve(aggs[num].func, len(aggs[num].args))
                    assert b is not None and b.combine is not None  # _plan_aggregate chose decomposable ones
                    parts = [o[0][num] for o in outs]
                    inside = any(p[1] for p in parts)
                    cols = needed_columns(aggs[num])
                    blank = inside and any(all(p[2][i] for p in parts) for i in range(len(cols)))
                    self.seeds[num] = None if blank else b.combine([p[0] for p in parts])
                for rs in rowsets:
                    each = [o[1][rs] for o in outs]
                    self.stats[rs] = {
                        "inside": sum(s["inside"] for s in each), "unknown": any(s["unknown"] for s in each),
                        "selectors": {c: sum(s["selectors"].get(c, 0) for s in each) for c in each[0]["selectors"]},
                        "empty": {c: sum(s["empty"][c] for s in each) for c in rowsets[rs]}}
        for rs in stat_cols:
            if rs not in self.stats:
                self.stats[rs] = {"inside": 0, "unknown": False, "selectors": {}, "empty": {}}

    def _level(self, node: C.Call) -> int:
        """0 for an aggregate that reads no other aggregate, else one more than the deepest it reads."""
        inner = [n for n in self.numbering.reached([*node.args, *([node.where] if node.where else [])],
                                                   node.args[0].rowset) if n is not node]
        deeper = [self._level(n) for n in inner if _plan_aggregate(n)]
        return 1 + max(deeper) if deeper else 0

    def _map(self, table: str, fn, label: str, *args, consume=None) -> list:
        """``fn(std, partition, table, small tables, fields, *args)`` on every partition of ``table``, in order.
        ``consume(i, value)``: called with each partition's value as it arrives, in the order they finish; what
        it returns is kept in the value's place (the value itself is then released from the cluster)."""
        import dask
        from distributed import as_completed

        client = self.cluster.client
        std_f = self._scattered("std", self.std)
        small_f = self._scattered("small", self.small)
        if table not in self._delayed:
            frame: Any = self.plan.tables[table]  # a dask DataFrame
            self._delayed[table] = frame.to_delayed()
        parts = self._delayed[table]
        tasks = [dask.delayed(fn, pure=False)(std_f, p, table, small_f, self.plan.fields, *args) for p in parts]
        futures = client.compute(tasks)
        order = {f.key: i for i, f in enumerate(futures)}
        out: list = [None] * len(futures)
        for done, (future, value) in enumerate(as_completed(futures, with_results=True), 1):
            i = order[future.key]
            out[i] = value if consume is None else consume(i, value)
            if consume is not None:
                futures[i] = None
                future.release()
                del value
            if self.progress is not None:
                self.progress(f"{label}: partition {done} of {len(futures)}")
        return out

    def _scattered(self, name: str, value):
        if name not in self._futures:
            self._futures[name] = self.cluster.client.scatter([value], broadcast=True, hash=False)[0]
        return self._futures[name]

    # per-row rules over the partitions
    def _row_rules(self, rules: list[tuple[C.Rule, Any]], waivers: list[dict], index) -> dict:
        out: dict[str, tuple[RuleResult, set]] = {}
        by_table: dict[str, list[C.Rule]] = {}
        when = {r.id: w for r, w in rules}
        for r, _ in rules:
            assert r.for_each is not None  # per-row rules
            by_table.setdefault(r.for_each.table, []).append(r)
        ctx = _context(self.std, self.compiler, self.numbering, self.small, self.plan.fields, self.seeds, self.stats)
        for table, group in by_table.items():
            missing = {}
            for r in group:
                probe = _Evaluation(ctx, self.compiler.rule(r), [])
                missing[r.id] = probe.missing_plan(probe.deciding())
            outs = self._map(table, _rows_partition, f"rules over {table}", dict(self.seeds), self.stats,
                             [r.id for r in group], waivers, missing, consume=self._spilled)
            for r in group:
                parts = [o[r.id] for o in outs]
                ev = _Evaluation(ctx, self.compiler.rule(r), index.get(r.id, []))
                used = {(id(waivers[i]), k) for _, u in parts for i, k in u}
                evidence = {"when": F.plain(when[r.id])} if r.when is not None else {}
                out[r.id] = _joined(ev, [p for p, _ in parts], evidence, self.spill), used
        return out

    def _spilled(self, i: int, value: dict) -> dict:
        """One partition's results with their findings written to the spill folder as they arrive."""
        from .spill import SpillFolder, write_part

        if self.spill is None:
            self.spill = SpillFolder()
        for summary, _ in value.values():
            table = summary.pop("table")
            summary["path"] = None
            if table is not None:
                summary["path"] = self.spill.new_part()
                write_part(table, summary["path"])
        return value

    # rules evaluated by the pandas engine on gathered tables
    def _gathered_rule(self, rule: C.Rule, waivers: list[dict]) -> tuple[RuleResult, set]:
        tables = {}
        for name, df in self.plan.tables.items():
            if name in self.big:
                if name not in self._gathered:
                    self._gathered[name] = self.cluster.client.compute(df).result()
                df = self._gathered[name]
            tables[name] = df
        plan = replace(self.plan, tables=tables)
        ctx = Context(self.std, plan, self._pandas)
        with np.errstate(all="ignore"):
            ev = RuleEvaluation(ctx, ctx.compiler.rule(rule), waivers)
            result = ev.run()
        return result, ev.used

    def close(self) -> None:
        """Remove the findings written to disk (once the reports that read them are written)."""
        if self.spill is not None:
            self.spill.close()

    def report_plan(self) -> Plan:
        """The plan as the report reads it: gathered tables where a rule needed them, else the small ones."""
        return replace(self.plan, tables={**self.small, **self._gathered})


def _joined(ev: RuleEvaluation, parts: list[dict], evidence: dict, folder) -> RuleResult:
    """One per-row rule's result from its partitions' summaries (:func:`_summary`), as the pandas engine gives it
    at once; its findings are read from the parts written to ``folder``, in partition (so row) order."""
    from .spill import SpilledFindings

    counts = dict.fromkeys((PASS, FAIL, INSUFFICIENT, WAIVED), 0)
    for p in parts:
        for k, v in p["counts"].items():
            counts[k] += v
    written = [p for p in parts if p["path"] is not None]
    findings: Findings = Findings.empty(ev.fe.table)
    if written:
        findings = SpilledFindings(ev.fe.table, [p["path"] for p in written], outcomes=[p["codes"] for p in written],
                                   folder=folder)
    outcome = rule_outcome(counts)
    message, waiver = "", None
    if outcome in (FAIL, INSUFFICIENT, WAIVED):
        text, first_waiver = next(p["firsts"][outcome] for p in parts if outcome in p["firsts"])
        n = counts[outcome]
        message = text if n == 1 else ev.say("{message} (and {n} more)", message=text, n=n - 1)
        if outcome == WAIVED:
            kinds = set().union(*(p["waiver_kinds"] for p in parts))
            waiver = first_waiver if len(kinds) == 1 else None
    evidence["rows"] = sum(counts.values())
    missing = sorted(set().union(*(p["missing"] for p in parts)))
    return ev.result(outcome, message, evidence=evidence, counts={k: v for k, v in counts.items() if v},
                     findings=findings, missing=missing, waiver=waiver)
