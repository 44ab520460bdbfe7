"""Time the engine's evaluation of the frozen NbS pack against two baselines.

For each N it generates a synthetic plan (benchmarks/generate.py), loads it once,
then times three implementations of the same 17 rules on the loaded data:

- engine      ``engine.evaluate.evaluate_standard(std, plan)``, the pack in benchmarks/rules/
- pandas      the rules written by hand in pandas (benchmarks/pandas_rules.py)
- row-by-row  the rules as plain Python loops over dict rows (benchmarks/python_rules.py)
- interpreted the rules' checked AST walked once per dict row in plain Python (benchmarks/interpreted.py)

It checks that the three agree on every rule (outcome, counts, failing keys) and
prints rows/s, the ratios to the targets and the engine's peak memory. Figures are
printed, never asserted.

    python -m benchmarks.run                  # N = 10^5 and 10^6
    python -m benchmarks.run --quick          # N = 10^4, a smoke run
    python -m benchmarks.run --n 200000 --districts 1000 --repeat 7
    python -m benchmarks.run --startup        # start-up figures instead (benchmarks/startup.py)
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import pstats
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

from engine import load_plan, load_standard
from engine.evaluate import evaluate_standard

from . import interpreted, outcomes, pandas_rules, python_rules
from .generate import generate

HERE = Path(__file__).resolve().parent
RULES = HERE / "rules"
DATA = HERE / "data"
TARGET_PANDAS = 2.0  # the engine within 2x of hand-written pandas
TARGET_ROWS = 30.0  # and at least 30x faster than row-by-row Python
IMPLS = ("engine", "pandas", "row-by-row", "interpreted")


def timed(fn: Callable[[], object], repeat: int) -> dict[str, list[float]]:
    """Wall-clock and CPU seconds of ``repeat`` calls of ``fn`` (garbage collected before each)."""
    wall, cpu = [], []
    for _ in range(repeat):
        gc.collect()
        c0, t0 = time.process_time(), time.perf_counter()
        fn()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return {"wall": wall, "cpu": cpu}


def engine_memory(std, plan) -> float:
    """Peak MiB that Python and NumPy allocate during one engine evaluation (tracemalloc)."""
    gc.collect()
    tracemalloc.start()
    try:
        evaluate_standard(std, plan)
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def max_rss_mib() -> float:
    """The process's peak resident set so far (ru_maxrss is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench(n: int, districts: int = 500, seed: int = 2026, repeat: int = 5, data: Path | None = None,
          row_sample: int = 0, profile: int = 0, interp_sample: int = 100_000) -> dict:
    """Generate, load once, verify agreement, time each implementation; return the figures."""
    folder = Path(data or DATA) / f"plan-{n}-{districts}-{seed}"
    generate(folder, n, districts, seed)
    std = load_standard(RULES)
    t0 = time.perf_counter()
    plan = load_plan(folder, std)
    load_s = time.perf_counter() - t0
    tables, fields = plan.tables, plan.fields

    # engine first, so the memory figures are not those of the baselines
    found = {"engine": outcomes.from_engine(evaluate_standard(std, plan))}
    peak = engine_memory(std, plan)
    rss = max_rss_mib()
    times = {"engine": timed(lambda: evaluate_standard(std, plan), repeat)}
    found["pandas"] = pandas_rules.evaluate(tables, fields)
    times["pandas"] = timed(lambda: pandas_rules.evaluate(tables, fields), repeat)

    samples = {}
    for name, sample in (("row-by-row", row_sample), ("interpreted", interp_sample)):
        samples[name] = sample if 0 < sample < n else 0
        got, times[name] = time_row_baseline(name, std, tables, fields, repeat, samples[name])
        if got is not None:
            found[name] = got

    diffs = {name: outcomes.differences(found["engine"], found[name]) for name in found if name != "engine"}
    result = {
        "n": n, "districts": districts, "seed": seed, "repeat": repeat, "rules": len(std.rules),
        "load_s": load_s, "times": times, "samples": samples,
        "engine_peak_mib": peak, "max_rss_mib": rss, "differences": diffs,
        "outcomes": {rule: [o.outcome, o.counts] for rule, o in found["engine"].items()},
        "findings": sum(len(o.failed) + len(o.insufficient) for o in found["engine"].values()),
    }
    if profile:
        result["profile"] = profile_engine(std, plan, profile)
    return result


def time_row_baseline(name: str, std, tables, fields, repeat: int, sample: int
                      ) -> tuple[dict | None, dict[str, list[float]]]:
    """Outcomes (None when sampled) and times of a row-wise baseline; rows become dicts before timing.

    With ``sample`` > 0 only the first ``sample`` objects are evaluated and the times are
    scaled up to all objects (both baselines are linear in the number of rows).
    """
    if name == "row-by-row":
        objects, districts = python_rules.records(tables["objects"]), python_rules.records(tables["districts"])

        def run(objs):
            return python_rules.evaluate(objs, districts, fields)
    else:
        objects, districts = interpreted.as_rows(tables["objects"]), interpreted.as_rows(tables["districts"])

        def run(objs):
            return interpreted.evaluate(std, {"objects": objs, "districts": districts}, fields)
    if sample:
        part = objects[:sample]
        t = timed(lambda: run(part), repeat)
        return None, {k: [x * len(objects) / sample for x in v] for k, v in t.items()}
    return run(objects), timed(lambda: run(objects), repeat)


def profile_engine(std, plan, top: int) -> str:
    """The ``top`` functions by cumulative and by own time in one engine evaluation."""
    prof = cProfile.Profile()
    prof.enable()
    evaluate_standard(std, plan)
    prof.disable()
    out = io.StringIO()
    stats = pstats.Stats(prof, stream=out).strip_dirs()
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)
    return out.getvalue()


def table(results: list[dict]) -> str:
    """The figures as a text table, with the ratios against the targets."""
    r0 = results[0]
    lines = [
        f"nbscheck benchmark: {r0['rules']} rules (benchmarks/rules, frozen), {r0['districts']} districts, "
        f"seed {r0['seed']}",
        f"wall = median of {r0['repeat']} runs of the evaluation alone, best = fastest run, cpu = median process "
        "CPU time; the plan is loaded once before timing; rows/s = restoration objects / median wall;",
        "targets are judged on the median wall ratio",
        "",
        f"{'N':>9}  {'implementation':<12} {'wall s':>9} {'best s':>9} {'cpu s':>9} {'rows/s':>12}",
    ]
    for r in results:
        n = r["n"]
        wall = {k: statistics.median(v["wall"]) for k, v in r["times"].items()}
        cpu = {k: statistics.median(v["cpu"]) for k, v in r["times"].items()}
        for i, name in enumerate(IMPLS):
            note = ""
            if r["samples"].get(name):
                note = f"  extrapolated from the first {r['samples'][name]:,} objects"
            best = min(r["times"][name]["wall"])
            lines.append(f"{n if i == 0 else '':>9}  {name:<12} {wall[name]:>9.4f} {best:>9.4f} {cpu[name]:>9.4f} "
                         f"{n / wall[name]:>12,.0f}{note}")
        for a, b, target, ok in (("engine", "pandas", f"<= {TARGET_PANDAS:g}x", lambda x: x <= TARGET_PANDAS),
                                 ("row-by-row", "engine", f">= {TARGET_ROWS:g}x", lambda x: x >= TARGET_ROWS),
                                 ("interpreted", "engine", f">= {TARGET_ROWS:g}x", lambda x: x >= TARGET_ROWS)):
            ratio = wall[a] / wall[b]
            by_best = min(r["times"][a]["wall"]) / min(r["times"][b]["wall"])
            lines.append(f"{'':>9}  {a + ' / ' + b:<20} = {ratio:6.2f}x (best {by_best:.2f}x, cpu "
                         f"{cpu[a] / cpu[b]:.2f}x)   target {target:<6} {'met' if ok(ratio) else 'MISSED'}")
        lines.append(f"{'':>9}  row-by-row / pandas  = {wall['row-by-row'] / wall['pandas']:6.2f}x (for scale)")
        busy = sum(wall.values()) / max(sum(cpu.values()), 1e-9)
        if busy > 1.15:
            lines.append(f"{'':>9}  note: wall time exceeded CPU time by {100 * (busy - 1):.0f}%: the machine was "
                         "busy, so the wall figures are noisy; compare the cpu column")
        lines.append(f"{'':>9}  engine memory: peak {r['engine_peak_mib']:,.0f} MiB allocated during evaluation "
                     f"(tracemalloc); process max RSS {r['max_rss_mib']:,.0f} MiB after load + evaluation")
        lines.append(f"{'':>9}  findings: the engine builds {r['findings']:,} (row or group, values, message); "
                     "the baselines return only their keys")
        lines.append(f"{'':>9}  plan load (not timed above): {r['load_s']:.2f} s")
        for name, d in r["differences"].items():
            for line in d:
                lines.append(f"{'':>9}  DISAGREE engine vs {name}: {line}")
        if not any(r["differences"].values()):
            lines.append(f"{'':>9}  agreement: engine = {' = '.join(r['differences'])} on every rule "
                         "(outcome, pass/fail/insufficient counts, failing and insufficient keys)")
        for name, k in r["samples"].items():
            if k:
                lines.append(f"{'':>9}  {name} ran on a sample, so its outcomes were not compared")
        lines.append("")
    return "\n".join(lines)


def outcome_table(result: dict) -> str:
    lines = [f"outcomes at N = {result['n']:,} (engine; the baselines agree unless listed above)"]
    for rule, (outcome, counts) in result["outcomes"].items():
        shown = ", ".join(f"{k} {v:,}" for k, v in counts.items())
        lines.append(f"  {rule:<8} {outcome:<18} {shown}")
    return "\n".join(lines)


def _child(args: argparse.Namespace, n: int) -> dict:
    """Benchmark one N in a fresh process, so its max RSS is its own."""
    with tempfile.NamedTemporaryFile(suffix=".json") as fh:
        cmd = [sys.executable, "-m", "benchmarks.run", "--n", str(n), "--districts", str(args.districts),
               "--seed", str(args.seed), "--repeat", str(args.repeat), "--row-sample", str(args.row_sample),
               "--interp-sample", str(args.interp_sample),
               "--data", str(args.data), "--profile", str(args.profile), "--json", fh.name]
        subprocess.run(cmd, check=True, cwd=HERE.parent, stdout=subprocess.DEVNULL)
        return json.loads(Path(fh.name).read_text())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, nargs="+", default=[100_000, 1_000_000],
                    help="restoration objects; several sizes run one after another (default 100000 1000000)")
    ap.add_argument("--districts", type=int, default=500, help="districts (default 500)")
    ap.add_argument("--repeat", type=int, default=5, help="timed runs per implementation (default 5)")
    ap.add_argument("--seed", type=int, default=2026, help="seed of the generated plans (default 2026)")
    ap.add_argument("--quick", action="store_true", help="N = 10^4 and 3 runs: proves the harness works")
    ap.add_argument("--row-sample", type=int, default=0, metavar="K",
                    help="time row-by-row on the first K objects only and extrapolate to N (default: all rows)")
    ap.add_argument("--interp-sample", type=int, default=100_000, metavar="K",
                    help="time the interpreted baseline on the first K objects only and extrapolate to N "
                    "(default 100000; 0: all rows)")
    ap.add_argument("--data", type=Path, default=DATA, help="folder for generated plans (default benchmarks/data)")
    ap.add_argument("--profile", type=int, default=0, metavar="TOP",
                    help="also profile one engine evaluation (cProfile) and print the TOP functions")
    ap.add_argument("--outcomes", action="store_true", help="also print each rule's outcome and counts")
    ap.add_argument("--startup", action="store_true",
                    help="instead: time whole commands (--help, --version, check examples/riverside with a cold "
                    "and a warm cache) in fresh processes, as ratios to `import pandas` (benchmarks/startup.py)")
    ap.add_argument("--json", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.startup:
        from . import startup

        print(startup.table(startup.measure(args.repeat)))
        return 0
    if args.quick:
        args.n, args.repeat = [10_000], min(args.repeat, 3)
    if len(args.n) == 1:
        results = [bench(args.n[0], args.districts, args.seed, args.repeat, args.data, args.row_sample,
                         args.profile, args.interp_sample)]
    else:
        results = [_child(args, n) for n in sorted(args.n)]
    if args.json:
        Path(args.json).write_text(json.dumps(results[0]), encoding="utf-8")
        return 0
    print(table(results))
    for r in results:
        if args.outcomes:
            print(outcome_table(r))
        if r.get("profile"):
            print(f"engine profile at N = {r['n']:,}\n{r['profile']}")
    return 1 if any(d for r in results for d in r["differences"].values()) else 0


if __name__ == "__main__":
    raise SystemExit(main())
