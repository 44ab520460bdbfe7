"""The command line: ``nbscheck check``, ``nbscheck lint``, ``nbscheck standards``.

Exit codes: 0 the plan passes at ``--fail-on`` (or the pack is clean), 1 it
does not, 2 the input or the rules are invalid.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
from pathlib import Path

# Only what parsing the arguments needs is imported here; each command imports the
# rest of the engine itself, so `nbscheck --help` and `--version` load neither
# pandas nor the parser (tests/test_cli.py checks this).
from .diagnostics import ERROR, NbsError, format_all, sort_diagnostics
from .render import FORMATS
from .render.i18n import LANGUAGES
from .resources import version

EXIT_OK, EXIT_FAIL, EXIT_INVALID, EXIT_INTERNAL = 0, 1, 2, 3
LINT_FORMATS = ("text", "json", "sarif", "github")


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse exits 2 too; keep the message short and helpful
        self.print_usage(sys.stderr)
        print(f"nbscheck: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_INVALID)


class _Version(argparse.Action):
    """``--version``: the tool's version (``engine.__version__``, which the build writes into the package metadata)."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS, help=None):
        super().__init__(option_strings, dest=dest, default=default, nargs=0,
                         help=help or "show the version and exit")

    def __call__(self, parser, namespace, values, option_string=None):
        print(f"nbscheck {version()}")
        parser.exit()

def _names(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def _formats(value: str) -> list[str]:
    names = [v.strip() for v in value.split(",") if v.strip()]
    unknown = [n for n in names if n not in FORMATS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"unknown format {', '.join(unknown) or '(none)'}; "
                                         f"choose from {', '.join(FORMATS)}")
    return list(dict.fromkeys(names))


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="nbscheck", description="Check urban ecological-restoration plans against standards "
                "written as rules.")
    p.add_argument("--version", action=_Version)
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    c = sub.add_parser("check", help="check a plan package against a standard",
                       description="Evaluate a plan package and report a verdict. Exit 0: passes at --fail-on; "
                       "1: does not; 2: invalid input.")
    c.add_argument("plan", nargs="*", help="plan folders, .zip files or plan.yaml files (default: the bundled "
                   "example); several plans give one summary, and with -o one folder per plan")
    c.add_argument("--standard", "-s", help="bundled standard id or path to a pack (default: the plan's `standard:`)")
    c.add_argument("--format", "-f", type=_formats, default=None,
                   help="comma-separated formats: " + "; ".join(f"{n} ({r.description})" for n, r in FORMATS.items())
                   + " (default: text; json when -o is given)")
    c.add_argument("-o", "--output", type=Path, help="folder to write the report files into")
    c.add_argument("--fail-on", choices=("shall", "should", "never"), default=None,
                   help="exit 1 when shall rules fail or lack data (default), also when should rules fail, or never")
    c.add_argument("--waivers", type=Path, help="YAML file of reviewer waivers")
    c.add_argument("--select", type=_names, default=None, metavar="SELECTORS",
                   help="check only these rules: ids (ACC-*), goal levels, categories, stages or strengths, "
                   "comma-separated, optionally as kind:name (goal:L1)")
    c.add_argument("--ignore", type=_names, default=None, metavar="SELECTORS",
                   help="leave these rules out (same selectors as --select)")
    c.add_argument("--csv-bom", action="store_true",
                   help="start CSV reports with a UTF-8 byte-order mark, so Excel shows non-Latin text correctly")
    c.add_argument("--as-of", metavar="DATE", help="the date the check is made on: the values of dated params and "
                   "waiver expiry (default: the plan's plan.date, else today, as the report says)")
    c.add_argument("--waiver-warning-days", type=int, metavar="N", default=None,
                   help="warn about waivers expiring within N days (default 30)")
    c.add_argument("--baseline", type=Path, metavar="REPORT", help="a report.json of an earlier run: fail only on "
                   "findings that are not in it (matched by rule and object)")
    c.add_argument("--source-root", type=Path, metavar="DIR", help="the repository root SARIF, GitHub and GitLab "
                   "paths are relative to (default: the plan's git work tree, else the current folder)")
    c.add_argument("--sarif-waived", choices=("suppress", "omit"), default=None,
                   help="waived findings in SARIF: as results with a suppression (default) or left out")
    c.add_argument("--doc-url", metavar="URL", help="where the standard rendered by `nbscheck doc` is published; "
                   "SARIF rules link to URL#rule-ID")
    c.add_argument("--config", type=Path, metavar="FILE", help="settings file (default: the nearest nbscheck.toml, "
                   "or pyproject.toml with [tool.nbscheck])")
    c.add_argument("--quiet", "-q", action="store_true", help="print only diagnostics and the reports asked for "
                   "on standard output; no progress, no summary")
    c.add_argument("--color", choices=("auto", "always", "never"), default="auto")
    c.add_argument("--engine", choices=("pandas", "dask", "auto"), default=None,
                   help="evaluate with pandas in this process (the default), with Dask over partitions, or auto: "
                        "Dask when the tables exceed --memory-limit")
    c.add_argument("--scheduler", metavar="ADDRESS", default=None,
                   help="the Dask scheduler to run on (tcp://HOST:8786); default: a local cluster sized to the machine")
    c.add_argument("--memory-limit", type=_memory, metavar="SIZE", default=None,
                   help="the memory the tables may take before --engine auto picks Dask, and the Dask workers' total "
                        "(e.g. 4GiB; default: a quarter of this machine's memory)")
    c.add_argument("--lang", choices=LANGUAGES, default=None,
                   help="the language of every report: rule titles, messages and rationales as the standard gives "
                   "them in it, and the report's own words (default: the standard's first language)")

    lint = sub.add_parser("lint", help="check rule files and report every problem",
                          description="Parse and check a rule pack; print file:line:col: code: message. Exit 0: "
                          "clean; 1: problems found; 2: the pack cannot be read.")
    lint.add_argument("rules", help="a rule file, a pack folder, or a bundled standard id")
    lint.add_argument("--strict", action="store_true", help="treat warnings as errors")
    lint.add_argument("--format", "-f", choices=LINT_FORMATS, default="text",
                      help="text (file:line:col: code: message), json, sarif or github annotations")

    sub.add_parser("standards", help="list the bundled standards")
    _authoring_parsers(sub)
    return p


def _memory(value: str) -> int:
    from .distributed import parse_size

    try:
        return parse_size(value)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def _percent(value: str) -> float:
    try:
        v = float(value.rstrip("%"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"`{value}` is not a percentage") from None
    if not 0 <= v <= 100:
        raise argparse.ArgumentTypeError(f"{value} is not between 0 and 100")
    return v


def _authoring_parsers(sub) -> None:
    t = sub.add_parser("test", help="run the rule tests (*.test.yaml) of a pack",
                       description="Run rule tests: each is a small plan and the outcomes it must give. Exit 0: all "
                       "passed; 1: a test failed or coverage is below --min-coverage; 2: a test file or a test's plan "
                       "is invalid.")
    t.add_argument("path", help="a pack folder, a tests folder, a .test.yaml file, or a bundled standard id")
    t.add_argument("--coverage", action="store_true", help="report which rules the tests saw pass and fail")
    t.add_argument("--min-coverage", type=_percent, metavar="N",
                   help="fail when fewer than N %% of the rules were seen both passing and failing")

    f = sub.add_parser("fmt", help="rewrite rule files in the canonical layout, comments kept",
                       description="Format rule files. Exit 0: done (or nothing to change); 1: with --check or "
                       "--diff, files would change; 2: a file does not parse.")
    f.add_argument("paths", nargs="+", metavar="PATH", help="rule files or folders of them")
    f.add_argument("--check", action="store_true", help="change nothing; list the files that would change")
    f.add_argument("--diff", action="store_true", help="change nothing; print a unified diff")

    d = sub.add_parser("doc", help="render a standard as a document (HTML or Markdown)")
    d.add_argument("standard", help="bundled standard id or path to a pack (or a profile)")
    d.add_argument("-o", "--output", required=True, metavar="FILE", help="FILE.html or FILE.md")

    e = sub.add_parser("explain", help="show a rule's source and meaning, and with a plan, why it ended as it did")
    e.add_argument("rule_id", metavar="RULE_ID")
    e.add_argument("--standard", "-s", help="bundled standard id or path to a pack (default: the plan's, or the "
                   "bundled standard that has the rule)")
    e.add_argument("--plan", "-p", help="a plan package to evaluate the rule on")

    s = sub.add_parser("schema", help="print the JSON Schema of the plan data a standard requires")
    s.add_argument("standard", help="bundled standard id or path to a pack")
    s.add_argument("--table", metavar="NAME", help="the schema of one row of this table instead")

    i = sub.add_parser("init", help="write a template plan package for a standard",
                       description="Write plan.yaml (every field commented) and table files with their headers. "
                       "Never overwrites a file (exit 2).")
    i.add_argument("standard", help="bundled standard id or path to a pack")
    i.add_argument("dir", type=Path, help="the folder to write the package into")

    df = sub.add_parser("diff", help="compare two versions of a plan (or two saved JSON reports)",
                        description="What changed between two versions: the verdict, rules whose outcome changed, "
                        "findings that appeared or were resolved, scores. Exit 1 when the new version fails or "
                        "lacks data where the old one did not.")
    df.add_argument("old", help="the earlier plan package, or its report.json")
    df.add_argument("new", nargs="?", help="the later plan package, or its report.json (default: OLD again, to "
                    "compare one plan on two dates with --as-of and --to-as-of)")
    df.add_argument("--standard", "-s", help="bundled standard id or path (default: each plan's `standard:`)")
    df.add_argument("--as-of", metavar="DATE", help="the date OLD is checked on: the values of dated params "
                    "(default: its plan.date, else today)")
    df.add_argument("--to-as-of", metavar="DATE", help="the date NEW is checked on (default: --as-of, else its "
                    "plan.date, else today): moving a plan to another edition of the standard")
    df.add_argument("--format", "-f", choices=("text", "json"), default="text")


def _print_diags(diags, stream=None) -> None:
    print(format_all(diags), file=stream or sys.stderr)


def cmd_check(args) -> int:
    from . import checkrun
    from .config import load_config

    return checkrun.run(args, checkrun.settings(args, load_config(args.config)))


def cmd_lint(args) -> int:
    from . import api

    if args.format != "text":
        return _lint_report(args)
    diags = api.lint(args.rules)
    errors = [d for d in diags if d.severity == ERROR]
    warnings = [d for d in diags if d.severity != ERROR]
    if _unusable(errors):
        _print_diags(diags)
        return EXIT_INVALID
    if diags:
        _print_diags(diags, sys.stdout)
    if args.strict:  # --strict makes every warning an error, and the summary counts them so
        errors, warnings = errors + warnings, []
    if errors:
        print(f"{len(errors)} error(s), {len(warnings)} warning(s)", file=sys.stderr)
        return EXIT_FAIL
    std = api.load_standard(args.rules)
    name = f"{std.profile['id']} {std.profile['version']} (a profile of {std.id})" if std.profile \
        else f"{std.id} {std.version}"
    print(f"{name}: {len(std.rules)} rule{'' if len(std.rules) == 1 else 's'}, no errors"
          + (f", {len(warnings)} warning(s)" if warnings else ""))
    return EXIT_OK


UNUSABLE = ("pack-not-found", "pack-empty", "pack-too-large", "file-encoding", "file-not-regular", "file-too-large",
            "path-outside-package")  # lint cannot read the pack, or a file of it, at all


def _unusable(errors) -> bool:
    return any(d.code in UNUSABLE for d in errors)


def _lint_report(args) -> int:
    """``lint --format json|sarif|github``: the diagnostics as data; exit 1 for problems, 2 if unusable."""
    from . import api
    from .render import problems
    from .render.options import RenderOptions

    diags = sort_diagnostics(api.lint(args.rules))
    errors = [d for d in diags if d.severity == ERROR]
    if _unusable(errors):
        _print_diags(diags)
        return EXIT_INVALID
    root = Path.cwd().resolve()
    sys.stdout.write(problems.render(args.format, diags, RenderOptions(source_root=str(root))))
    failing = errors or (args.strict and diags)
    return EXIT_FAIL if failing else EXIT_OK


def cmd_standards(args) -> int:
    from . import api
    from .sources import bundled_packs

    for sid, path in sorted(bundled_packs().items()):
        try:
            std = api.load_standard(path)
            title = f"{std.profile['title']} (a profile of {std.id})" if std.profile else std.title
            version = std.profile["version"] if std.profile else std.version
            print(f"{sid:32} {version:8} {len(std.rules):4} {'rule ' if len(std.rules) == 1 else 'rules'}  {title}")
        except NbsError:
            print(f"{sid:32} (does not check: run `nbscheck lint {path}`)")
    return EXIT_OK


def cmd_test(args) -> int:
    from .authoring import commands as authoring

    return authoring.run_tests(args.path, args.coverage, args.min_coverage)


def cmd_fmt(args) -> int:
    from .authoring import commands as authoring

    return authoring.format_files(args.paths, args.check, args.diff)


def cmd_doc(args) -> int:
    from .authoring import commands as authoring

    return authoring.write_doc(args.standard, args.output)


def cmd_explain(args) -> int:
    from .authoring import commands as authoring

    return authoring.explain_rule(args.rule_id, args.standard, args.plan)


def cmd_schema(args) -> int:
    from .authoring import commands as authoring

    return authoring.print_schema(args.standard, args.table)


def cmd_init(args) -> int:
    from .authoring import commands as authoring

    return authoring.init_plan(args.standard, args.dir)


def _report_of(ref: str, standard: str | None, as_of: str | None = None) -> dict:
    from . import api, checkrun
    from .diagnostics import Diagnostic, Span
    from .plan.loader import resolve_plan
    from .waivers import resolve_as_of

    path = resolve_plan(ref)
    ref = str(path)
    # a file that cannot be a plan (a .json other than plan.json, a .sarif, ...) is read as a saved report
    if path.is_file() and path.name != "plan.json" and path.suffix.lower() not in (".yaml", ".yml", ".zip"):
        if as_of:
            raise NbsError([Diagnostic("bad-argument", f"{ref} is a saved report, made on its own date; --as-of "
                                       "and --to-as-of apply to plans", Span("--as-of"),
                                       hint="give the plan package instead of its report")])
        return checkrun.read_report(path)
    std = api.standard_for(ref, standard)
    if as_of:
        resolve_as_of(as_of, {})  # a bad date is an error even for a standard without dated params
    return api.evaluate(std, api.load_plan(ref, std), as_of=as_of).data


def cmd_diff(args) -> int:
    from .diff import diff_reports
    from .diff import render_text as render_diff

    to_as_of = args.to_as_of or args.as_of
    d = diff_reports(_report_of(args.old, args.standard, args.as_of),
                     _report_of(args.new or args.old, args.standard, to_as_of))
    if args.format == "json":
        sys.stdout.write(json.dumps(d.to_dict(), ensure_ascii=False, indent=2) + "\n")
    else:
        sys.stdout.write(render_diff(d))
    return EXIT_FAIL if d.regressed else EXIT_OK


COMMANDS = {"check": cmd_check, "lint": cmd_lint, "standards": cmd_standards, "test": cmd_test, "fmt": cmd_fmt,
            "doc": cmd_doc, "explain": cmd_explain, "schema": cmd_schema, "init": cmd_init, "diff": cmd_diff}


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the exit code (tests call this directly)."""
    for stream in (sys.stdout, sys.stderr):
        encoding = (getattr(stream, "encoding", None) or "utf-8").lower().replace("-", "")
        if encoding != "utf8" and hasattr(stream, "reconfigure"):
            stream.reconfigure(encoding="utf-8", errors="replace")
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as e:
        return int(e.code or 0)
    try:
        return COMMANDS[args.command](args)
    except NbsError as e:
        _print_diags(e.diagnostics)
        return EXIT_INVALID
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # the reader stopped early (`| head`): not an error of the input
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), sys.stdout.fileno())
        return EXIT_OK
    except OSError as e:  # writing reports: a missing folder, no permission, a full disk
        where = f" {e.filename}" if e.filename else ""
        print(f"nbscheck: error:{where}: {e.strerror or e}", file=sys.stderr)
        return EXIT_INVALID
    except Exception as e:  # a bug: say so plainly, and how to get the details for a report
        if os.environ.get("NBSCHECK_DEBUG"):
            raise
        print(f"nbscheck: internal error: {type(e).__name__}: {e}\n"
              "    this is a bug in nbscheck; run again with NBSCHECK_DEBUG=1 for the traceback and report it",
              file=sys.stderr)
        return EXIT_INTERNAL


def run() -> None:  # console script entry point
    # One short-lived process: collect cyclic garbage every 50,000 net allocations instead of every 700, so
    # importing pandas and the engine does not scan the growing heap some 250 times (a tenth of a `check`'s
    # CPU time on a small plan). Cycles are still collected; evaluation pauses the collector anyway.
    gc.set_threshold(50_000, 10, 10)
    sys.exit(main())


if __name__ == "__main__":
    run()
