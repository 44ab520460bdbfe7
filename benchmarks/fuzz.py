"""Fuzz the readers of untrusted input for as long as asked.

``tests/test_fuzz.py`` holds the targets (the plan reader, the rule parser and checker, the waiver
loader); CI runs them briefly. This runs them again and again, each round with a fresh seed and more
examples, until the time is up, and stops at the first failure with hypothesis's report of it (the
smallest input that fails, which belongs in ``tests/hostile/corpus.yaml`` once fixed)::

    python -m benchmarks.fuzz --minutes 30
    python -m benchmarks.fuzz --minutes 5 --examples 2000 --seed 7
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGETS = ROOT / "tests" / "test_fuzz.py"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.fuzz", description=__doc__.split("\n\n")[0])
    p.add_argument("--minutes", type=float, default=10.0, help="how long to fuzz (default 10)")
    p.add_argument("--examples", type=int, default=1000, help="examples per target in each round (default 1000)")
    p.add_argument("--seed", type=int, default=1, help="seed of the first round; each round adds one")
    args = p.parse_args(argv)
    deadline = time.monotonic() + args.minutes * 60
    env = {**os.environ, "NBSCHECK_FUZZ_EXAMPLES": str(args.examples), "PYTHONPATH": str(ROOT)}
    rounds = 0
    while time.monotonic() < deadline:
        seed = args.seed + rounds
        started = time.monotonic()
        proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(TARGETS),
                               f"--hypothesis-seed={seed}"], cwd=ROOT, env=env, capture_output=True, text=True)
        rounds += 1
        print(f"round {rounds} (seed {seed}): {args.examples} examples per target, "
              f"{time.monotonic() - started:.0f} s: {'ok' if proc.returncode == 0 else 'FAILED'}", flush=True)
        if proc.returncode != 0:
            print(proc.stdout[-20000:], proc.stderr[-5000:], sep="\n")
            return 1
    print(f"{rounds} rounds, {rounds * args.examples} examples per target, no failure")
    return 0


if __name__ == "__main__":
    sys.exit(main())
