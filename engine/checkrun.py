"""``nbscheck check``: settings from the command line and the config file, one or several plans,
reports written even when the input is invalid, the baseline gate, and the summary.

The command line wins over the config file, which wins over the defaults. Each plan is checked
on its own; a plan with invalid input gets its diagnostics in every requested format (exit 2)
and does not stop the others. The exit code is the worst over the plans: 2, then 1, then 0.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from . import api, gate
from .config import Config
from .diagnostics import Diagnostic, NbsError, Span, format_all
from .plan.loader import resolve_plan
from .progress import Progress
from .render import FORMATS, Content, write_reports, write_set
from .render import text as text_render
from .render.options import RenderOptions
from .resources import LazyModule, data_dir
from .results import exit_code
from .waivers import DEFAULT_WARN_DAYS, resolve_as_of

if TYPE_CHECKING:
    import jsonschema
else:  # a tenth of a second: imported when a document is validated
    jsonschema = LazyModule("jsonschema")

DEFAULT_EXAMPLE = "riverside"
EXIT_OK, EXIT_FAIL, EXIT_INVALID = 0, 1, 2
STDOUT_MULTI = ("text", "github")  # formats that can follow one another on standard output
MEMORY_KEY = "memory-limit"  # the config file's key for --memory-limit


@dataclass
class Settings:
    """What a `check` was asked: the command line's options over the configuration file's."""

    standard: str | None
    formats: list[str] | None
    output: Path | None
    fail_on: str
    waivers: Path | None
    as_of: str | None
    warn_days: int
    baseline: Path | None
    source_root: Path | None
    sarif_waived: str
    doc_url: str | None
    quiet: bool
    color: bool
    csv_bom: bool = False
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    engine: str = "pandas"
    scheduler: str | None = None
    memory_limit: int | None = None  # bytes; None: the Dask engine's default share of memory
    lang: str | None = None  # None: the standard's first language


def settings(args, config: Config) -> Settings:
    """Merge the command line over the config file over the defaults."""
    def pick(name: str, key: str, default=None):
        value = getattr(args, name)
        return value if value is not None else config.get(key, default)

    formats = args.format
    if formats is None and config.get("format"):
        unknown = [f for f in config.get("format") if f not in FORMATS]
        if unknown:
            raise NbsError([Diagnostic("config-schema", f"`format`: unknown format {', '.join(unknown)}",
                                       Span(str(config.file)), hint=f"formats: {', '.join(FORMATS)}")])
        formats = list(dict.fromkeys(config.get("format")))
    path = lambda v: Path(v) if v is not None else None  # noqa: E731
    if args.as_of:  # a bad date is an error even when no waivers are given to judge
        resolve_as_of(args.as_of, {})
    color = args.color == "always" or (args.color == "auto" and text_render.use_color())
    return Settings(
        standard=pick("standard", "standard"), formats=formats, output=path(pick("output", "output")),
        fail_on=pick("fail_on", "fail-on", "shall"), waivers=path(pick("waivers", "waivers")), as_of=args.as_of,
        warn_days=pick("waiver_warning_days", "waiver-warning-days", DEFAULT_WARN_DAYS),
        baseline=path(pick("baseline", "baseline")), source_root=path(pick("source_root", "source-root")),
        sarif_waived=pick("sarif_waived", "sarif-waived", "suppress"), doc_url=pick("doc_url", "doc-url"),
        quiet=args.quiet, color=color, csv_bom=args.csv_bom,
        select=tuple(pick("select", "select", ())), ignore=tuple(pick("ignore", "ignore", ())),
        lang=pick("lang", "lang"),
        **_engine_settings(args, config))


def _engine_settings(args, config: Config) -> dict:
    """--engine, --scheduler and --memory-limit (or the config file's); a scheduler runs the Dask engine."""
    limit = args.memory_limit
    if limit is None and config.get(MEMORY_KEY) is not None:
        from .distributed import parse_size

        try:
            limit = parse_size(str(config.get(MEMORY_KEY)))
        except ValueError as e:
            raise NbsError([Diagnostic("config-schema", f"`memory-limit`: {e}", Span(str(config.file)))]) from None
    scheduler = args.scheduler if args.scheduler is not None else config.get("scheduler")
    engine = args.engine or config.get("engine") or ("dask" if scheduler else "pandas")
    if scheduler is not None and engine == "pandas":
        raise NbsError([Diagnostic("bad-argument", f"--scheduler {scheduler} runs the Dask engine, but the engine is "
                                   "pandas", Span("--scheduler"), hint="use --engine dask (or auto), or leave "
                                   "--scheduler out")])
    return {"engine": engine, "scheduler": scheduler, "memory_limit": limit or None}  # None: worked out by Dask


def read_report(path: Path) -> dict:
    """A saved JSON report, checked against its schema (raises NbsError)."""
    ref = str(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise NbsError([Diagnostic("report-format", e.strerror or str(e), Span(ref))]) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise NbsError([Diagnostic("report-format", f"not a JSON report: {e}", Span(ref))]) from None
    if not isinstance(data, dict) or data.get("report_version") is None or "rules" not in data:
        raise NbsError([Diagnostic("report-format", "not an nbscheck JSON report", Span(ref),
                                   hint="write one with `nbscheck check PLAN -f json -o DIR`")])
    schema = json.loads((data_dir("reports") / "report.schema.json").read_text(encoding="utf-8"))
    error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(schema).iter_errors(data))
    if error is not None:
        where = "/".join(map(str, error.absolute_path)) or "(top level)"
        raise NbsError([Diagnostic("report-format", f"the report does not match its schema at {where}: "
                                   f"{error.message}", Span(ref), hint="use a report written by nbscheck")])
    return data


@dataclass
class Outcome:
    """What one plan's check came to."""

    name: str
    code: int
    verdict: str | None = None
    counts: dict | None = None
    new: int | None = None  # findings new since the baseline that fail the check
    folder: Path | None = None


def _folders(plans: list[str]) -> list[str]:
    """One output folder name per plan: its folder (or file) name, made unique."""
    names: list[str] = []
    seen: dict[str, int] = {}
    for p in plans:
        path = Path(p)
        base = (path.parent.name if path.is_file() and path.suffix.lower() != ".zip" else path.stem) or "plan"
        seen[base] = seen.get(base, 0) + 1
        names.append(base if seen[base] == 1 else f"{base}-{seen[base]}")
    return names


def run(args, s: Settings) -> int:
    plans = list(args.plan)
    if not plans:
        plans = [str(data_dir("examples") / DEFAULT_EXAMPLE)]
        print(f"nbscheck: no plan given; checking the bundled example {DEFAULT_EXAMPLE!r}", file=sys.stderr)
    formats = s.formats or (["json"] if s.output else ["text"])
    if len(plans) > 1 and not s.output and any(f not in STDOUT_MULTI for f in formats):
        raise NbsError([Diagnostic("bad-argument", f"{len(plans)} plans with --format {','.join(formats)}: give -o DIR "
                                   "(one folder per plan), or use text or github on standard output",
                                   Span("--format"))])
    if s.output:
        _check_output_folder(s.output)
    baseline = read_report(s.baseline) if s.baseline else None
    outcomes = []
    cluster = None
    if s.engine != "pandas":
        from .distributed import Cluster, default_memory_limit

        limit = s.memory_limit if s.memory_limit is not None else default_memory_limit()
        cluster = Cluster(s.scheduler, limit)  # started when a plan is checked with Dask
    try:
        if cluster is not None and s.scheduler is not None:  # an unreachable scheduler is an argument error,
            cluster.connect()  # before any plan is read
        with Progress(len(plans), enabled=not s.quiet) as progress:
            for name, plan in zip(_folders(plans), plans):
                out = (s.output / name if len(plans) > 1 else s.output) if s.output else None
                progress.step(f"checking {name}")
                outcomes.append(_check_plan(plan, name, out, formats, s, baseline, several=len(plans) > 1,
                                            cluster=cluster, progress=progress))
                progress.step(f"checked {name}", advance=1)
    finally:
        if cluster is not None:
            cluster.close()
    if len(plans) > 1 and not s.quiet:
        _summary(outcomes, s)
    return max(o.code for o in outcomes)


def _check_output_folder(out: Path) -> None:
    """``-o`` names a folder: refuse a path that is, or lies under, an existing file (raises NbsError)."""
    existing = next((p for p in (out, *out.parents) if p.exists()), None)
    if existing is not None and not existing.is_dir():
        what = "is a file" if existing == out else f"lies under {existing}, which is a file"
        raise NbsError([Diagnostic("bad-argument", f"-o {out}: {what}", Span("--output"),
                                   hint="-o names a folder, which nbscheck creates and writes the reports into "
                                        "(report.json, report.html, ...)")])


def _options(plan: str, s: Settings, baseline: dict | None) -> RenderOptions:
    root = gate.source_root(plan, s.source_root)
    return RenderOptions(fail_on=s.fail_on, source_prefix=gate.source_prefix(plan, root), waived=s.sarif_waived,
                         doc_url=s.doc_url, source_root=str(root), csv_bom=s.csv_bom,
                         baseline=frozenset(gate.fingerprints(baseline)) if baseline is not None else None)


def _check_plan(plan_ref: str, name: str, out: Path | None, formats: list[str], s: Settings, baseline: dict | None,
                several: bool, cluster=None, progress: Progress | None = None) -> Outcome:
    try:
        plan_path = str(resolve_plan(plan_ref))
    except NbsError as e:
        return _invalid(plan_ref, name, out, formats, s, e.diagnostics, baseline)
    options = _options(plan_path, s, baseline)
    evaluator = None
    try:
        std = api.scoped(api.standard_for(plan_path, s.standard), plan_path, s.select, s.ignore)
        std = std.in_language(s.lang or std.languages[0])
        if cluster is not None and _engine_for(plan_path, cluster, s) == "dask":
            plan, evaluator = _dask_plan(plan_path, std, cluster, progress, s)
        else:
            plan = api.load_plan(plan_path, std)
        waivers = api.load_waivers(s.waivers, std) if s.waivers else None
        if waivers is not None:
            waivers.judged(*resolve_as_of(s.as_of, plan.meta), s.warn_days)
        report = api.evaluate(std, plan, waivers, evaluator=evaluator, as_of=s.as_of)
    except NbsError as e:
        if evaluator is not None:
            evaluator.close()
        return _invalid(plan_path, name, out, formats, s, e.diagnostics, baseline, options)
    try:
        return _reported(report, name, out, formats, s, baseline, several, options)
    finally:
        if evaluator is not None:  # the Dask engine's findings on disk, read by the reports just written
            evaluator.close()


_NO_SHAPES = " (no feature: the plan has no shapes; tables read from a layer or a WKT column give them)"


def _reported(report: api.Report, name: str, out: Path | None, formats: list[str], s: Settings,
              baseline: dict | None, several: bool, options: RenderOptions) -> Outcome:
    """The baseline gate, the reports written (or printed) and what the check came to."""
    if report.notes:
        print(format_all(report.notes), file=sys.stderr)
    code = exit_code(report.verdict, s.fail_on)
    new = None
    if baseline is not None:
        fresh = gate.new_failures(report.data, baseline, s.fail_on)
        new, code = len(fresh), EXIT_FAIL if fresh else EXIT_OK
        if not s.quiet:
            print(f"baseline {s.baseline}: {len(fresh)} new finding(s) fail the check at --fail-on {s.fail_on}"
                  + "".join(f"\n  {r['id']} " + (f"{f['table']} {f['key']}" if f else "(plan)") for r, f in fresh[:20])
                  + (f"\n  ... and {len(fresh) - 20} more" if len(fresh) > 20 else ""), file=sys.stderr)
    if out:
        written = write_reports(report.data, formats, out, options)
        if not s.quiet:
            if not several:
                print(text_render.render(report.data, color=s.color), end="")
            for path in written:
                print(f"wrote {path}" + (_NO_SHAPES if path.name == FORMATS["geojson"].filename
                                         and "spatial" not in report.data else ""))
    else:
        for f in formats:
            text = text_render.render(report.data, color=s.color) if f == "text" else FORMATS[f](report.data, options)
            sys.stdout.write(text)
    return Outcome(name, code, report.verdict, report.data["counts"], new, out)


def _engine_for(plan_path: str, cluster, s: Settings) -> str:
    """pandas or dask, as --engine (auto: by the plan's size against the memory limit) decides."""
    from .distributed import choose  # with a cluster only: a pandas check does not load the Dask engine

    return choose(s.engine, plan_path, cluster.memory_limit, s.scheduler)


def _dask_plan(plan_path: str, std, cluster, progress: Progress | None, s: Settings):
    """The plan with its tables partitioned, and the Dask engine's evaluator for it."""
    from . import distributed, editions

    plan = distributed.partitioned(api.load_plan(plan_path, std, parts=distributed.part_reader(cluster)))
    if editions.dated(std):  # the engine compiles the params in force on the check's date
        std = editions.at(std, *resolve_as_of(s.as_of, plan.meta))
    return plan, distributed.DaskEvaluator(std, plan, cluster, progress=progress.step if progress else None,
                                           quiet=s.quiet)


def _invalid(plan: str, name: str, out: Path | None, formats: list[str], s: Settings, diags: list[Diagnostic],
             baseline: dict | None, options: RenderOptions | None = None) -> Outcome:
    """Print the diagnostics; with -o, also write them in every requested format."""
    from .render import problems  # a check with input problems only

    print(format_all(diags), file=sys.stderr)
    if out:
        options = options or RenderOptions(fail_on=s.fail_on, source_root=str(gate.source_root(plan, s.source_root)))
        rendered: list[tuple[Path, Content]] = [(out / FORMATS[f].filename, problems.render(f, diags, options))
                                                for f in formats]
        for path in write_set(out, rendered):
            if not s.quiet:
                print(f"wrote {path} (the input diagnostics: no verdict)", file=sys.stderr)
    elif "github" in formats:
        sys.stdout.write(problems.render("github", diags, options or RenderOptions(
            source_root=str(gate.source_root(plan, s.source_root)))))
    return Outcome(name, EXIT_INVALID, folder=out)


def _summary(outcomes: list[Outcome], s: Settings) -> None:
    width = max(len(o.name) for o in outcomes)
    print(f"\n{len(outcomes)} plans checked at --fail-on {s.fail_on}")
    for o in outcomes:
        if o.verdict is None or o.counts is None:
            state = "invalid input (see the diagnostics above)"
        else:
            c = o.counts
            state = (f"{o.verdict:28} {c['fail']} fail · {c['insufficient_data']} insufficient data · "
                     f"{c['waived']} waived")
            if o.new is not None:
                state += f" · {o.new} new"
        mark = {0: "ok  ", 1: "FAIL", 2: "ERR "}[o.code]
        print(f"  {mark} {o.name:{width}}  {state}" + (f"  → {o.folder}" if o.folder else ""))
    bad = sum(o.code == EXIT_FAIL for o in outcomes)
    invalid = sum(o.code == EXIT_INVALID for o in outcomes)
    print(f"{len(outcomes) - bad - invalid} passed, {bad} failed, {invalid} invalid")
