"""Start-up figures: whole ``nbscheck`` commands in fresh processes, as ratios to ``import pandas``.

Run through ``python -m benchmarks.run --startup``. Each case is a new Python
process, timed from outside (wall clock, and the child's CPU time from
``getrusage``). The baseline, ``python -c "import pandas"``, is measured in the
same run and interleaved with the cases (one round runs every case once), so a
busy machine slows the baseline and the cases alike.

- ``--help`` and ``--version``: argument parsing alone;
- ``check examples/riverside``, cold: an empty cache folder (``NBSCHECK_CACHE_DIR``)
  each time, so the grammar's tables are built and every rule file is parsed;
- ``check examples/riverside``, warm: the cache filled by an untimed run first.

The children run with bytecode as a user's install has it: ``PYTHONDONTWRITEBYTECODE``
is dropped from their environment and one untimed round runs every case first,
so no timed run compiles the engine's modules.
"""

from __future__ import annotations

import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PLAN = ROOT / "examples" / "riverside"
TARGETS = {"--help": 0.3, "--version": 0.3, "check, cold cache": 1.5, "check, warm cache": 1.5}


def _cases(cache: Path) -> dict[str, tuple[list[str], dict[str, str] | None]]:
    cli = [sys.executable, "-m", "engine.cli"]
    return {
        "import pandas": ([sys.executable, "-c", "import pandas"], None),
        "--help": (cli + ["--help"], None),
        "--version": (cli + ["--version"], None),
        "check, cold cache": (cli + ["check", str(PLAN)], {"NBSCHECK_CACHE_DIR": str(cache / "cold")}),
        "check, warm cache": (cli + ["check", str(PLAN)], {"NBSCHECK_CACHE_DIR": str(cache / "warm")}),
    }


def _environ(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The children's environment: this one's, with bytecode allowed (an install has its ``.pyc``)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return {**env, **(extra or {})}


def _run(cmd: list[str], env: dict[str, str] | None) -> tuple[float, float]:
    """Wall and CPU seconds (user + system) of one child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    done = subprocess.run(cmd, cwd=ROOT, env=_environ(env), stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} exited {done.returncode}:\n{done.stderr}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def measure(repeat: int = 7) -> dict[str, dict[str, list[float]]]:
    """Times of every case over ``repeat`` interleaved rounds."""
    times: dict[str, dict[str, list[float]]] = {}
    with tempfile.TemporaryDirectory(prefix="nbscheck-startup-") as tmp:
        cache = Path(tmp)
        cases = _cases(cache)
        for cmd, extra in cases.values():  # untimed: write the bytecode, fill the warm cache
            subprocess.run(cmd, cwd=ROOT, env=_environ(extra), capture_output=True)
        for _ in range(repeat):
            shutil.rmtree(cache / "cold", ignore_errors=True)
            for name, (cmd, extra) in cases.items():
                wall, cpu = _run(cmd, extra)
                times.setdefault(name, {"wall": [], "cpu": []})
                times[name]["wall"].append(wall)
                times[name]["cpu"].append(cpu)
    return times


def table(times: dict[str, dict[str, list[float]]]) -> str:
    """The medians and their ratios to ``import pandas``, with the targets."""
    base = {k: statistics.median(times["import pandas"][k]) for k in ("wall", "cpu")}
    n = len(times["import pandas"]["wall"])
    lines = [f"start-up: median of {n} fresh processes each, interleaved; ratio = median / median of "
             "`python -c \"import pandas\"` in the same run; targets judged on the wall ratio",
             "", f"{'command':<20} {'wall s':>8} {'cpu s':>8} {'wall ×':>7} {'cpu ×':>7}   target"]
    for name, t in times.items():
        wall, cpu = statistics.median(t["wall"]), statistics.median(t["cpu"])
        ratio = wall / base["wall"]
        target = TARGETS.get(name)
        judged = f"<= {target:g}x {'met' if ratio <= target else 'MISSED'}" if target else "(baseline)"
        lines.append(f"{name:<20} {wall:>8.3f} {cpu:>8.3f} {ratio:>6.2f}x {cpu / base['cpu']:>6.2f}x   {judged}")
    busy = sum(statistics.median(t["wall"]) for t in times.values()) / max(
        sum(statistics.median(t["cpu"]) for t in times.values()), 1e-9)
    if busy > 1.15:
        lines.append(f"note: wall time exceeded CPU time by {100 * (busy - 1):.0f}%: the machine was busy; "
                     "compare the cpu ratios")
    return "\n".join(lines)


if __name__ == "__main__":  # python -m benchmarks.startup [ROUNDS]
    print(table(measure(int(sys.argv[1]) if len(sys.argv) > 1 else 7)))
