"""What the authoring subcommands do, apart from argument parsing (which lives in engine.cli)."""

from __future__ import annotations

import sys

from ..diagnostics import Diagnostic, NbsError, Span, format_all
from . import coverage as cov
from .ruletests import FAILED, run_paths

EXIT_OK, EXIT_FAIL, EXIT_INVALID = 0, 1, 2


def run_tests(path: str, show_coverage: bool = False, min_coverage: float | None = None, out=None) -> int:
    """``nbscheck test``: 0 all passed, 1 a test failed or coverage is short, 2 a test file or plan is invalid."""
    out = out or sys.stdout
    run = run_paths([path])
    if not run.outcomes and not run.file_errors:
        print(f"nbscheck: no *.test.yaml files under {path}", file=sys.stderr)
        return EXIT_INVALID
    if run.file_errors:
        print(format_all(run.file_errors), file=out)
    for o in run.outcomes:
        print(f"{o.status:5} {o.test.name}  ({o.test.where})", file=out)
        for p in o.problems:
            print(f"      {p}", file=out)
        if o.diagnostics:
            print("\n".join("      " + line for line in format_all(o.diagnostics).splitlines()), file=out)
    short = False
    if show_coverage or min_coverage is not None:
        rows = cov.coverage(run)
        print("", file=out)
        print(cov.render(rows) if show_coverage else cov.render(rows).splitlines()[-1], file=out)
        if min_coverage is not None and cov.share(rows) < min_coverage:
            short = True
            print(f"coverage {cov.share(rows):.1f}% is below --min-coverage {min_coverage:g}%", file=out)
    print(run.summary(), file=out)
    if run.errors:
        return EXIT_INVALID
    if run.count(FAILED) or short:
        return EXIT_FAIL
    return EXIT_OK



def format_files(paths: list[str], check: bool = False, diff: bool = False, out=None) -> int:
    """``nbscheck fmt``: rewrite files in the canonical layout (or, with --check/--diff, only report)."""
    from ..render import write_atomic
    from .fmt import FormatError, format_text, rule_files, unified_diff

    out = out or sys.stdout
    files = rule_files(paths)
    missing = [f for f in files if not f.is_file()]
    if missing or not files:
        print(f"nbscheck: no rule file at {missing[0] if missing else ', '.join(paths)}", file=sys.stderr)
        return EXIT_INVALID
    changed, failed = [], []
    for f in files:
        try:
            old = f.read_text(encoding="utf-8")
            new = format_text(old, str(f))
        except (OSError, UnicodeDecodeError) as e:
            print(f"{f}: cannot read: {e}", file=sys.stderr)
            failed.append(f)
            continue
        except FormatError as e:
            print(format_all(e.diagnostics), file=sys.stderr)
            failed.append(f)
            continue
        if new == old:
            continue
        changed.append(f)
        if diff:
            out.write(unified_diff(old, new, str(f)))
        elif check:
            print(f"would reformat {f}", file=out)
        else:
            try:
                write_atomic(f, new)
            except OSError as e:
                print(f"nbscheck: cannot write {f}: {e.strerror or e}", file=sys.stderr)
                failed.append(f)
                continue
            print(f"formatted {f}", file=out)
    verb = "would be reformatted" if check or diff else "reformatted"
    print(f"{len(changed)} file(s) {verb}, {len(files) - len(changed) - len(failed)} unchanged"
          + (f", {len(failed)} not formatted" if failed else ""), file=sys.stderr)
    if failed:
        return EXIT_INVALID
    return EXIT_FAIL if changed and (check or diff) else EXIT_OK


def print_schema(standard: str, table: str | None = None) -> int:
    """``nbscheck schema``: the JSON Schema of the plan data the standard requires."""
    from .. import api
    from .scaffold import schema_text

    sys.stdout.write(schema_text(api.load_standard(standard), table))
    return EXIT_OK


def init_plan(standard: str, folder: str) -> int:
    """``nbscheck init``: a template plan package; never overwrites a file."""
    from pathlib import Path

    from .. import api
    from .scaffold import init_package, standard_ref_for

    std = api.load_standard(standard)
    target = Path(folder)
    try:
        written = init_package(std, standard_ref_for(standard, target), target)
    except OSError as e:
        print(f"nbscheck: cannot write the package into {target}: {e.strerror or e}", file=sys.stderr)
        return EXIT_INVALID
    for path in written:
        print(f"wrote {path}")
    print(f"fill in {target / 'plan.yaml'} and the tables, then: nbscheck check {target}")
    return EXIT_OK


def write_doc(standard: str, output: str) -> int:
    """``nbscheck doc``: the standard as an HTML or Markdown document."""
    from pathlib import Path

    from .. import api
    from .document import TEMPLATES, write_document

    path = Path(output)
    if path.suffix.lower() not in TEMPLATES:
        print(f"nbscheck: cannot tell the format of {output}: name it .html or .md", file=sys.stderr)
        return EXIT_INVALID
    std = api.load_standard(standard)
    try:
        write_document(std, path)
    except OSError as e:
        print(f"nbscheck: cannot write {path}: {e.strerror or e}", file=sys.stderr)
        return EXIT_INVALID
    print(f"wrote {path}")
    return EXIT_OK


def explain_rule(rule_id: str, standard: str | None = None, plan: str | None = None) -> int:
    """``nbscheck explain``: the rule's source and meaning, and with a plan, why it ended as it did."""
    from .. import api
    from ..sources import bundled_packs
    from .explain import describe_rule, explain_result, find_rule, rule_hint

    if plan is not None:
        std = api.standard_for(plan, standard)
    else:
        if standard is None:
            ids = {sid: _rule_ids(path) for sid, path in sorted(bundled_packs().items())}
            holders = [sid for sid, rules in ids.items() if rule_id in rules]
            if not holders:
                hint = rule_hint(rule_id, [r for rules in ids.values() for r in rules]) \
                    or "`nbscheck standards` lists the bundled standards; give a pack with --standard PATH"
                raise NbsError([Diagnostic("unknown-rule", f"no bundled standard has a rule `{rule_id}`",
                                           Span("RULE_ID"), hint=hint)])
            standard = holders[0]
        std = api.load_standard(standard)
    rule = find_rule(std, rule_id)
    lines = describe_rule(std, rule)
    if plan is not None:
        loaded = api.load_plan(plan, std)
        report = api.evaluate(std, loaded)
        entry = next((r for r in report.data["rules"] if r["id"] == rule.id), None)
        if entry is None:
            lines += ["", f"On plan {loaded.id}: not evaluated (disabled by the profile)"]
        else:
            lines += explain_result(std, rule, entry, f"{loaded.id} ({plan})")
    print("\n".join(lines))
    return EXIT_OK


def _rule_ids(pack) -> set[str]:
    """The ids of the rules a pack's files declare (read without loading the pack)."""
    import re

    pattern = re.compile(r"^\s*rule\s+(\S+)\s", re.M)
    return {m for f in pack.rglob("*.nbs") for m in pattern.findall(f.read_text(encoding="utf-8", errors="replace"))}
