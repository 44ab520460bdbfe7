"""The CI side of a check: where the repository root is, and which findings are new.

``source_prefix`` places a plan's files in the repository (code hosts read SARIF and
annotation paths from the root); ``new_failures`` compares a report with a baseline report by
fingerprint (rule and object), so a pipeline can fail only on what a change introduced.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from .render.options import FAILING, fails_check, fingerprint, object_fingerprints, open_findings, open_objects


def git_toplevel(folder: Path) -> Path | None:
    """The root of the git work tree holding ``folder``, or None (no git, or not in a repository)."""
    try:
        out = subprocess.run(["git", "-C", str(folder), "rev-parse", "--show-toplevel"], capture_output=True,
                             text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return Path(out.stdout.strip()).resolve() if out.returncode == 0 and out.stdout.strip() else None


def plan_folder(plan_path: str | Path) -> Path:
    """The folder a plan's file paths are relative to (a zip stands for its own contents)."""
    p = Path(plan_path)
    if p.is_dir() or p.suffix.lower() == ".zip":
        return p.resolve()
    return p.resolve().parent


def source_root(plan_path: str | Path, given: str | Path | None) -> Path:
    """``--source-root``, else the git work tree of the plan, else the current folder."""
    if given:
        return Path(given).resolve()
    return git_toplevel(plan_folder(plan_path) if Path(plan_path).is_dir() else Path(plan_path).resolve().parent) \
        or Path.cwd().resolve()


def source_prefix(plan_path: str | Path, root: Path) -> str:
    """The plan folder relative to ``root`` as a URI prefix (``plans/riverside/``), or ``""``.

    A plan outside the root gets ``""`` (its files are then named relative to the plan folder).
    """
    folder = plan_folder(plan_path)
    try:
        rel = folder.relative_to(root)
    except ValueError:
        return ""
    text = rel.as_posix()
    return "" if text in ("", ".") else text + "/"


def fingerprints(report: dict) -> set[str]:
    """Every finding of a report that failed or lacked data (a waived one is not known: when its
    waiver lapses, it shows up as new)."""
    out: set[str] = set()
    for rule in report["rules"]:
        if rule["outcome"] in FAILING:
            kept = open_objects(rule, FAILING)
            out.update([fingerprint(rule["id"])] if kept is None else object_fingerprints(rule["id"], kept))
    return out


def new_failures(report: dict, baseline: dict, fail_on: str) -> list[tuple[dict, dict | None]]:
    """(rule, finding) pairs that fail the check at ``fail_on`` and are not in ``baseline``."""
    known = fingerprints(baseline)
    return [(rule, f) for rule, fp, f in open_findings(report["rules"])
            if fails_check(rule["strength"], (f or rule)["outcome"], fail_on) and fp not in known]
