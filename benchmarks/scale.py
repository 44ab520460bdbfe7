"""Scale proof: nbscheck on generated inventories of 10^5 to 10^7 objects, against baselines measured in the same run.

    python -m benchmarks.scale                       # N = 10^5 and 10^6 (a few minutes)
    python -m benchmarks.scale --n 1e5 1e6 1e7       # the full proof (10^7: about a quarter of an hour)
    python -m benchmarks.scale --n 1e4 --repeat 1    # a smoke run

For each N, ``benchmarks/scale_plan.py`` writes a package (the pack in ``benchmarks/scale_rules/``: six
per-object checks; about 28 % of the objects fail at least one) and this prints, each figure beside its
target:

- evaluation: ``evaluate_standard`` on the loaded plan against the same six checks written by hand in
  pandas on the same categoricals (each returns, per check, the counts and the key and read columns of the
  failing and the undecided rows, as the engine's findings frames hold them); target <= 1.2x;
- end to end: ``nbscheck check`` in a fresh process writing JSON, and writing every format, against a fresh
  process that imports pandas and reads the same table (``pd.read_parquet``); targets <= 1.5x and <= 3x;
- pandera (a DataFrameSchema with the six checks, lazy validation) and the rule-engine package (the six
  checks as rule-engine expressions on dict rows, run on a subsample and scaled up to N: the output says
  so): pandera never faster than nbscheck's evaluation, rule-engine at least 100x slower;
- peak memory: the largest resident set of the ``check`` process writing every format; target 4 GiB;

and, once per run, a pack of 1,000 generated rules parsed, checked and compiled with an empty pack cache,
against ``python -c "import pandas"``; target <= 0.5x.

Before timing, the engine's counts are compared with the hand-written pandas ones (and pandera's and
rule-engine's with them): a disagreement is printed and the run exits with 1. Times are medians of
``--repeat`` runs (wall clock). pandera and rule-engine come with ``pip install ".[bench]"``.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from .scale_plan import RULES, generate

ROOT = Path(__file__).resolve().parent.parent
RULE_IDS = ("OBJ-001", "OBJ-002", "NBS-001", "WET-001", "BIO-001", "BRN-001")
ALL_FORMATS = "text,json,html,md,junit,sarif,csv,github,gitlab,rfi,rfi-csv,geojson"
MIN_NATIVE = 70.0
GIB = 1024 ** 3
TARGETS = {"evaluation": 1.2, "json": 1.5, "all": 3.0, "pandera": 1.0, "rule-engine": 100.0, "memory": 4 * GIB,
           "pack": 0.5}

# the columns each check reads: its key and what its message shows
READS = {
    "OBJ-001": ["id", "category", "district", "baseline_condition", "mode"],
    "OBJ-002": ["id", "baseline_condition", "target_condition"],
    "NBS-001": ["id", "grey_justification", "measure"],
    "WET-001": ["id", "area_ha", "baseline_area_ha", "category"],
    "BIO-001": ["id", "native_species_share"],
    "BRN-001": ["id", "category", "district", "remediation"],
}


# ---- the six checks by hand in pandas -------------------------------------------------------------------
def pandas_checks(df: pd.DataFrame) -> dict[str, tuple[int, pd.DataFrame, pd.DataFrame]]:
    """Per check: rows passed, and the failing and undecided rows (key and read columns).

    Undecided is what the engine calls insufficient data: a value the check needs, or that decides whether
    the row is in scope, is empty.
    """
    base, target = df["baseline_condition"].cat.codes.to_numpy(), df["target_condition"].cat.codes.to_numpy()
    mode = df["mode"].notna().to_numpy()
    measure = df["measure"].cat.codes.to_numpy()
    category = df["category"].to_numpy()
    out = {}

    def rows(rule, scope, ok, known):
        fail, unknown = scope & known & ~ok, scope & ~known
        cols = READS[rule]
        out[rule] = (int((scope & known & ok).sum()), df.loc[fail, cols], df.loc[unknown, cols])

    everywhere = np.ones(len(df), dtype=bool)
    # OBJ-001: degraded objects (very_poor or poor; an empty baseline leaves membership unknown)
    rows("OBJ-001", (base <= 1), mode, base >= 0)
    rows("OBJ-002", everywhere, target >= base, (base >= 0) & (target >= 0))
    grey = df["measure"].cat.categories.get_loc("grey")
    rows("NBS-001", (measure == grey) | (measure < 0), df["grey_justification"].notna().to_numpy(), measure >= 0)
    rows("WET-001", category == "wetland", df["area_ha"].to_numpy() >= df["baseline_area_ha"].to_numpy(),
         everywhere)
    native = df["native_species_share"].to_numpy()
    rows("BIO-001", ~np.isnan(native), native >= MIN_NATIVE, everywhere)
    remediation = df["remediation"]
    rows("BRN-001", category == "brownfield",
         remediation.isin(["not_needed", "planned", "completed"]).to_numpy(), remediation.notna().to_numpy())
    return out


def counts_of_pandas(checked) -> dict[str, tuple[int, int, int]]:
    return {r: (p, len(f), len(u)) for r, (p, f, u) in checked.items()}


def counts_of_engine(results) -> dict[str, tuple[int, int, int]]:
    return {r.rule_id: (r.counts.get("pass", 0), r.counts.get("fail", 0), r.counts.get("insufficient_data", 0))
            for r in results}


def failing_share(checked, n: int) -> float:
    """The share of objects that fail at least one check."""
    keys = pd.concat([f["id"] for _, f, _ in checked.values()]).unique()
    return len(keys) / max(n, 1)


# ---- pandera and rule-engine -------------------------------------------------------------------------
def pandera_checks(df: pd.DataFrame) -> dict[str, int]:
    """The six checks as a pandera DataFrameSchema (vectorised checks, lazy validation): per check, the rows
    it rejects (failing or undecided: pandera has no third outcome)."""
    import pandera.pandas as pa
    from pandera.errors import SchemaErrors

    levels = {n: i for i, n in enumerate(df["baseline_condition"].cat.categories)}

    def code(s):
        return s.map(levels).astype("float64")

    checks = {
        "OBJ-001": lambda d: ~d["baseline_condition"].isin(["very_poor", "poor"]) & d["baseline_condition"].notna()
        | d["mode"].notna() & d["baseline_condition"].notna(),
        "OBJ-002": lambda d: code(d["target_condition"]) >= code(d["baseline_condition"]),
        "NBS-001": lambda d: (d["measure"] != "grey") & d["measure"].notna()
        | (d["measure"] == "grey") & d["grey_justification"].notna(),
        "WET-001": lambda d: (d["category"] != "wetland") | (d["area_ha"] >= d["baseline_area_ha"]),
        "BIO-001": lambda d: d["native_species_share"].isna() | (d["native_species_share"] >= MIN_NATIVE),
        "BRN-001": lambda d: (d["category"] != "brownfield") | d["remediation"].isin(["not_needed", "planned",
                                                                                     "completed"]),
    }
    schema = pa.DataFrameSchema(checks=[pa.Check(fn, name=rule) for rule, fn in checks.items()])
    try:
        schema.validate(df, lazy=True)
    except SchemaErrors as e:
        cases = e.failure_cases
        found = cases.groupby("check")["index"].nunique()  # a row per failing row and column
        return {r: int(found.get(r, 0)) for r in RULE_IDS}
    return dict.fromkeys(RULE_IDS, 0)


RULE_ENGINE = {  # per check: (in scope, decided, passes), rule-engine expressions on a dict row
    "OBJ-001": ("baseline != null and baseline <= 1 or baseline == null", "baseline != null", "mode != null"),
    "OBJ-002": ("true", "baseline != null and target != null", "target >= baseline"),
    "NBS-001": ("measure == null or measure == 'grey'", "measure != null", "grey_justification != null"),
    "WET-001": ("category == 'wetland'", "true", "area_ha >= baseline_area_ha"),
    "BIO-001": ("native_species_share != null", "true", "native_species_share >= 70"),
    "BRN-001": ("category == 'brownfield'", "remediation != null",
                "remediation in ['not_needed', 'planned', 'completed']"),
}


def rule_engine_rows(df: pd.DataFrame) -> list[dict]:
    """Dict rows for rule-engine: conditions as their rank (0 = very_poor), missing cells as None."""
    rows = pd.DataFrame({
        "baseline": df["baseline_condition"].cat.codes.astype(float).replace(-1, np.nan),
        "target": df["target_condition"].cat.codes.astype(float).replace(-1, np.nan),
        **{c: df[c].astype(object) for c in ("mode", "measure", "grey_justification", "category", "remediation")},
        "area_ha": df["area_ha"], "baseline_area_ha": df["baseline_area_ha"],
        "native_species_share": df["native_species_share"],
    })
    return [{k: (None if v is None or v != v else v) for k, v in r.items()} for r in rows.to_dict("records")]


def rule_engine_checks(rows: list[dict]) -> dict[str, tuple[int, int, int]]:
    import rule_engine

    out = {}
    for rule, texts in RULE_ENGINE.items():
        scope, known, ok = (rule_engine.Rule(t) for t in texts)
        p = f = u = 0
        for row in rows:
            if not scope.matches(row):
                continue
            if not known.matches(row):
                u += 1
            elif ok.matches(row):
                p += 1
            else:
                f += 1
        out[rule] = (p, f, u)
    return out


# ---- timing helpers ----------------------------------------------------------------------------------
class Time(tuple):
    """(wall, cpu) seconds: medians over the runs."""

    @property
    def wall(self) -> float:
        return self[0]

    @property
    def cpu(self) -> float:
        return self[1]


def _timed(fn, repeat: int) -> tuple[Time, object]:
    walls, cpus, value = [], [], None
    for _ in range(repeat):
        gc.collect()
        t0, c0 = time.perf_counter(), time.process_time()
        value = fn()
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    return Time((statistics.median(walls), statistics.median(cpus))), value


def _child(cmd: list[str], env: dict | None = None) -> tuple[float, float, int, int, str]:
    """Wall and CPU seconds, peak resident bytes and exit code of a fresh process, and its stderr."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, **(env or {})}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    err = proc.stderr.read() if proc.stderr else ""
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024, proc.returncode, err


def _timed_child(cmd: list[str], repeat: int, env: dict | None = None) -> tuple[Time, int]:
    walls, cpus, peak = [], [], 0
    for _ in range(repeat):
        wall, cpu, rss, code, err = _child(cmd, env)
        if code not in (0, 1):
            raise SystemExit(f"{' '.join(cmd)} exited {code}:\n{err}")
        walls.append(wall)
        cpus.append(cpu)
        peak = max(peak, rss)
    return Time((statistics.median(walls), statistics.median(cpus))), peak


def _judge(ratio: float, target: float, at_least: bool = False) -> str:
    ok = ratio >= target if at_least else ratio <= target
    return f"{'>=' if at_least else '<='} {target:g}x {'met' if ok else 'MISSED'}"


# ---- one size ----------------------------------------------------------------------------------------
def measure(n: int, data: Path, repeat: int, pandera_max: int, re_sample: int, out=print) -> dict:
    from engine import api
    from engine.evaluate import evaluate_standard

    plan_dir = data / f"scale-{n}"
    if not (plan_dir / "plan.yaml").exists():
        t0 = time.perf_counter()
        generate(plan_dir, n)
        out(f"  generated {plan_dir} in {time.perf_counter() - t0:.1f} s")
    table = plan_dir / "tables" / "objects.parquet"
    std = api.load_standard(RULES)
    load_s, plan = _timed(partial(api.load_plan, plan_dir, std), 1)
    df = plan.tables["objects"]
    fig: dict = {"n": n, "load": load_s}

    hand_s, checked = _timed(partial(pandas_checks, df), repeat)
    eng_s, results = _timed(partial(evaluate_standard, std, plan), repeat)
    fig["failing_share"] = failing_share(checked, n)
    want = counts_of_pandas(checked)
    got = counts_of_engine(results)
    fig["differences"] = {r: (got.get(r), want[r]) for r in RULE_IDS if got.get(r) != want[r]}
    fig["evaluation"], fig["hand"] = eng_s, hand_s
    del results, checked
    gc.collect()

    if n <= pandera_max:
        pandera_s, rejected = _timed(partial(pandera_checks, df), 1)
        fig["pandera"] = pandera_s
        bad = {r: (rejected[r], want[r][1] + want[r][2]) for r in RULE_IDS if rejected[r] != want[r][1] + want[r][2]}
        fig["differences"].update({f"pandera {r}": v for r, v in bad.items()})
    sample = df.iloc[:min(n, re_sample)]
    rows = rule_engine_rows(sample)
    re_s, re_counts = _timed(partial(rule_engine_checks, rows), 1)
    fig["rule-engine"] = Time((re_s.wall * n / len(rows), re_s.cpu * n / len(rows)))
    fig["rule-engine sample"] = len(rows)
    sample_want = counts_of_pandas(pandas_checks(sample))
    fig["differences"].update({f"rule-engine {r}": (re_counts[r], sample_want[r]) for r in RULE_IDS
                               if re_counts[r] != sample_want[r]})
    del plan, df, sample, rows
    gc.collect()

    cli = [sys.executable, "-m", "engine.cli", "check", str(plan_dir), "--standard", str(RULES), "--quiet"]
    with tempfile.TemporaryDirectory(prefix="nbscheck-scale-") as tmp:
        read = [sys.executable, "-c", f"import pandas as pd; pd.read_parquet({str(table)!r})"]
        fig["read"], fig["read rss"] = _timed_child(read, repeat)
        fig["json"], fig["json rss"] = _timed_child(cli + ["-f", "json", "-o", f"{tmp}/json"], repeat)
        fig["all"], fig["memory"] = _timed_child(cli + ["-f", ALL_FORMATS, "-o", f"{tmp}/all"], repeat)
        fig["sizes"] = {p.name: p.stat().st_size for p in Path(f"{tmp}/all").glob("report*")}
    return fig


def table(fig: dict) -> list[str]:
    n = fig["n"]
    lines = [f"N = {n:,} objects ({100 * fig['failing_share']:.1f} % fail at least one check; "
             f"load {fig['load'].wall:.2f} s, not timed below)",
             f"  {'figure':<33}{'nbscheck s':>11}{'baseline s':>11}{'wall':>8}  {'target (wall)':<17}"
             f"{'cpu':>7}  target (cpu)"]

    def row(name, mine: Time, base: Time, target, at_least=False, note=""):
        if at_least:  # the baseline should be the slower: its time over ours
            rw, rc = base.wall / mine.wall, base.cpu / mine.cpu
        else:
            rw, rc = mine.wall / base.wall, mine.cpu / base.cpu
        lines.append(f"  {name:<33}{mine.wall:>11.3f}{base.wall:>11.3f}{rw:>7.2f}x  {_judge(rw, target, at_least):<17}"
                     f"{rc:>6.2f}x  {_judge(rc, target, at_least)}{note}")

    row("evaluation / hand pandas", fig["evaluation"], fig["hand"], TARGETS["evaluation"])
    row("check -f json / pandas read", fig["json"], fig["read"], TARGETS["json"])
    row("check, all formats / pandas read", fig["all"], fig["read"], TARGETS["all"])
    if "pandera" in fig:
        row("pandera / evaluation", fig["evaluation"], fig["pandera"], TARGETS["pandera"], True)
    else:
        lines.append(f"  {'pandera / evaluation':<33}  not run above --pandera-max")
    row("rule-engine / evaluation", fig["evaluation"], fig["rule-engine"], TARGETS["rule-engine"], True,
        f"  (rule-engine on {fig['rule-engine sample']:,} rows, time scaled to N)")
    mem = fig["memory"]
    lines.append(f"  {'peak RSS, check all formats':<33}{mem / GIB:>10.2f}G  target 4 GiB "
                 f"{'met' if mem <= TARGETS['memory'] else 'MISSED'}  (check -f json {fig['json rss'] / GIB:.2f} "
                 f"GiB; pandas read {fig['read rss'] / GIB:.2f} GiB)")
    sizes = ", ".join(f"{k} {v / 2**20:.0f} MiB" for k, v in sorted(fig["sizes"].items()) if v >= 2**20)
    if sizes:
        lines.append(f"  files: {sizes}")
    busy = fig["json"].wall / max(fig["json"].cpu, 1e-9)
    if busy > 1.15:
        lines.append(f"  note: wall time exceeded CPU time by {100 * (busy - 1):.0f}% (check -f json): the machine "
                     "was busy; the cpu ratios are the ones to trust")
    if fig["differences"]:
        lines.append("  DISAGREEMENT (got, expected as (pass, fail, insufficient) or rejected rows):")
        lines += [f"    {k}: {v}" for k, v in fig["differences"].items()]
    return lines


# ---- a large pack --------------------------------------------------------------------------------------
def large_pack(folder: Path, rules: int = 1000) -> Path:
    """A pack of ``rules`` rules over the scale schema: per-row, filtered, category and plan-level rules,
    each with a message."""
    text = (RULES / "standard.nbs").read_text(encoding="utf-8")
    head = text[:text.index("rule OBJ-001")]
    kinds = [
        'for each o in objects\n  shall o.area_ha >= {k} ha or o.baseline_area_ha <= {k} ha\n'
        '  else "{{o.id}}: {{o.area_ha}} ha against {k} ha"',
        'for each o in wetland where o.native_species_share is present\n  should o.native_species_share >= {p} %\n'
        '  else "{{o.id}}: native {{o.native_species_share}} %, below {p} %"',
        'for each o in degraded\n  shall o.target_condition >= o.baseline_condition and o.mode is present\n'
        '  else "{{o.id}} targets {{o.target_condition}}"',
        'shall sum(brownfield.area_ha where brownfield.remediation == "completed") >= {k} ha\n'
        '  else "completed brownfield area {{sum(brownfield.area_ha)}} ha"',
        'for each o in objects by district\n  should count(o) >= {k} or sum(o.area_ha) >= {k} ha\n'
        '  else "district {{o.district}} is small"',
    ]
    body = []
    for i in range(rules):
        kind = kinds[i % len(kinds)].format(k=i % 97 + 1, p=40 + i % 50)
        body.append(f'rule GEN-{i + 1:04d} "Generated rule {i + 1}" {{\n  goal L1   stage design   '
                    f'cite NBS_FRAME "generated"\n  {kind}\n}}\n')
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "standard.nbs").write_text(head + "\n".join(body), encoding="utf-8")
    return folder


PACK_SCRIPT = """\
import sys, time
from engine.check import check_pack
from engine.compile.compiler import Compiler
t0, c0 = time.perf_counter(), time.process_time()
std, diags = check_pack(sys.argv[1])
assert std is not None, diags
compiler = Compiler(std)
for rule in std.rules:
    compiler.rule(rule)
print(time.perf_counter() - t0, time.process_time() - c0, len(std.rules))
"""


def pack_figures(repeat: int) -> list[str]:
    """Parse, check and compile 1,000 generated rules in a fresh process with an empty pack cache (the
    grammar's cached tables are kept: they do not depend on the pack), against ``import pandas``."""
    with tempfile.TemporaryDirectory(prefix="nbscheck-pack-") as tmp:
        pack = large_pack(Path(tmp) / "pack")
        cache = Path(tmp) / "cache"
        env = {"NBSCHECK_CACHE_DIR": str(cache), "PYTHONPATH": str(ROOT)}
        subprocess.run([sys.executable, "-m", "engine.cli", "lint", str(RULES)], cwd=ROOT, env={**os.environ, **env},
                       capture_output=True)  # the grammar's tables only
        inner, walls = [], []
        for _ in range(repeat):
            for entry in cache.iterdir():  # every entry but the grammar's tables: parsed files, checked packs
                if not entry.name.startswith("grammar"):
                    shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
            done = subprocess.run([sys.executable, "-c", PACK_SCRIPT, str(pack)], cwd=ROOT, capture_output=True,
                                  text=True, env={**os.environ, **env})
            if done.returncode:
                raise SystemExit(done.stderr)
            seconds, cpu, count = done.stdout.split()
            inner.append((float(seconds), float(cpu)))
            walls.append(_child([sys.executable, "-c", "import pandas"])[:2])
        t = Time((statistics.median(w for w, _ in inner), statistics.median(c for _, c in inner)))
        base = Time((statistics.median(w for w, _ in walls), statistics.median(c for _, c in walls)))
    rw, rc = t.wall / base.wall, t.cpu / base.cpu
    return [f"pack of {count} generated rules, parsed, checked and compiled with the pack cache off: {t.wall:.3f} s "
            f"(cpu {t.cpu:.3f} s); `python -c \"import pandas\"` {base.wall:.3f} s (cpu {base.cpu:.3f} s): "
            f"wall {rw:.2f}x {_judge(rw, TARGETS['pack'])}, cpu {rc:.2f}x {_judge(rc, TARGETS['pack'])}"]


def machine() -> str:
    mem = ""
    try:
        kib = next(int(line.split()[1]) for line in open("/proc/meminfo") if line.startswith("MemTotal"))
        mem = f", {kib / 2**20:.0f} GiB RAM"
    except (OSError, StopIteration):
        pass
    load = f", load average {os.getloadavg()[0]:.1f}" if hasattr(os, "getloadavg") else ""
    return (f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores{mem}{load}; Python "
            f"{platform.python_version()}, pandas {pd.__version__}")


def _size(text: str) -> int:
    return int(float(text))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.scale", description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=_size, nargs="+", default=[100_000, 1_000_000],
                    help="sizes (default 1e5 1e6; the full proof adds 1e7)")
    ap.add_argument("--repeat", type=int, default=3, help="runs per figure below 10^7 (median; default 3)")
    ap.add_argument("--data", type=Path, default=ROOT / "benchmarks" / "data", help="where plans are generated")
    ap.add_argument("--pandera-max", type=_size, default=1_000_000, help="largest N pandera runs on")
    ap.add_argument("--rule-engine-sample", type=_size, default=20_000, help="rows rule-engine runs on")
    ap.add_argument("--no-pack", action="store_true", help="skip the 1,000-rule pack figure")
    args = ap.parse_args(argv)
    print(f"machine: {machine()}")
    failed = False
    for n in args.n:
        fig = measure(n, args.data, args.repeat if n < 10_000_000 else 1, args.pandera_max,
                      args.rule_engine_sample)
        print("\n".join(table(fig)), flush=True)
        failed |= bool(fig["differences"])
    if not args.no_pack:
        print("\n".join(pack_figures(args.repeat)))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
