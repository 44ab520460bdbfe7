"""Rule tests: ``*.test.yaml`` files beside a pack, each a list of small plans and expected outcomes.

>>> run_paths(["tests/cases/author-pack"]).summary()   # a small pack of the test suite, from the repository root
'3 passed, 0 failed'
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import jsonschema
import yaml

from .. import api
from ..diagnostics import Diagnostic, NbsError, Span, did_you_mean
from ..model import Standard
from ..plan.loader import resolve_plan
from ..plan.yamlread import line_of, read_document
from ..results import OUTCOMES, PASS, VERDICTS, RuleResult
from ..sources import SUFFIX, resolve_pack
from ..waivers import WaiverSet
from .materialise import MaterialiseError, Origin, display_path, map_diagnostic, materialise

TEST_SUFFIX = ".test.yaml"
PASSED, FAILED, ERRORED = "PASS", "FAIL", "ERROR"

_OUTCOME = {"enum": list(OUTCOMES)}
TEST_FILE_SCHEMA = {
    "type": "object",
    "required": ["tests"],
    "additionalProperties": False,
    "properties": {"tests": {"type": "array", "minItems": 1, "items": {
        "type": "object",
        "required": ["name"],
        "additionalProperties": False,
        "properties": {
            "name": {"type": "string", "minLength": 1},
            "standard": {"type": "string", "minLength": 1},
            "plan": {"type": "string", "minLength": 1},
            "base": {"type": "string", "minLength": 1},
            "data": {"type": "object"},
            "expect": {"type": "object", "additionalProperties": {"anyOf": [
                {"type": "string"},
                {"type": "object", "additionalProperties": False, "properties": {
                    "outcome": {"type": "string"},
                    "rows": {"type": "object"},
                    "message": {"type": "string"},
                }},
            ]}},
            "verdict": {"type": "string"},
            "waivers": {"type": "array", "items": {"type": "object"}},
        },
    }}},
}


@dataclass
class RuleTest:
    """One entry of a test file."""

    name: str
    file: str  # display path
    index: int
    spec: dict
    lines: dict[tuple, int]

    @property
    def line(self) -> int:
        return line_of(self.lines, ("tests", self.index))

    def line_of(self, *sub) -> int:
        return line_of(self.lines, ("tests", self.index, *sub))

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass
class TestOutcome:
    test: RuleTest
    status: str
    problems: list[str] = field(default_factory=list)  # what differed, one line each
    diagnostics: list[Diagnostic] = field(default_factory=list)
    standard: Standard | None = None
    results: list[RuleResult] = field(default_factory=list)


@dataclass
class RunResult:
    """Every test run, the problems with the test files, and what the tests saw."""

    outcomes: list[TestOutcome] = field(default_factory=list)
    file_errors: list[Diagnostic] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(o.status == status for o in self.outcomes)

    @property
    def errors(self) -> int:
        return self.count(ERRORED) + len({d.span.file for d in self.file_errors})

    def summary(self) -> str:
        """``N passed, N failed`` and ``, N errors`` when there were any."""
        s = f"{self.count(PASSED)} passed, {self.count(FAILED)} failed"
        return s + (f", {self.errors} errors" if self.errors else "")


# ---- finding and reading test files -----------------------------------------


def discover(path: str | Path) -> list[Path]:
    """Test files under a pack folder, a tests folder, one test file, or a bundled standard id."""
    p = Path(path)
    if p.is_file():
        return [p]
    if not p.exists():
        p = resolve_pack(str(path)) or p
        if p.is_file():
            p = p.parent
    if p.is_dir():
        return sorted(f for f in p.rglob(f"*{TEST_SUFFIX}") if f.is_file())
    return []


def read_tests(file: Path) -> tuple[list[RuleTest], list[Diagnostic]]:
    """The tests of one file, or diagnostics with their lines."""
    display = display_path(file)
    try:
        text = file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        return [], [Diagnostic("test-file", f"cannot read the test file: {e}", Span(display))]
    data, lines, diags = read_document(text, display)
    if diags:
        return [], [Diagnostic("test-file", d.message, d.span, hint=d.hint) for d in diags]
    validator = jsonschema.Draft202012Validator(TEST_FILE_SCHEMA)
    for err in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path))):
        path = list(err.absolute_path)
        where = ".".join(map(str, path)) or "(top level)"
        if err.validator == "additionalProperties" and isinstance(err.instance, dict):
            extra = [k for k in err.instance if k not in err.schema.get("properties", {})]
            path = [*path, extra[0]] if extra else path
        diags.append(Diagnostic("test-file", f"`{where}`: {_schema_message(err)}",
                                Span(display, line_of(lines, path)), hint=_FILE_HINT))
    if diags:
        return [], diags
    assert isinstance(data, dict)  # the schema above asks for a mapping with a list of tests
    tests = [RuleTest(t["name"], display, i, t, lines) for i, t in enumerate(data["tests"])]
    for t in tests:
        diags += _check_spec(t)
    return tests, diags


_FILE_HINT = "a test file is `tests:` and a list of {name, plan | base + data, expect, verdict}"


def _schema_message(err) -> str:
    if err.validator == "additionalProperties":
        return err.message.replace("Additional properties are not allowed", "unknown key")
    if err.validator == "required":
        return err.message.replace("is a required property", "is required")
    return err.message


def _check_spec(t: RuleTest) -> list[Diagnostic]:
    spec, out = t.spec, []

    def bad(sub: tuple, message: str, hint: str | None = None):
        out.append(Diagnostic("test-file", message, Span(t.file, t.line_of(*sub)), hint=hint))

    if "plan" in spec and ("base" in spec or "data" in spec):
        bad(("plan",), f"test `{t.name}`: give `plan:`, or `base:` with `data:`, not both",
            "`plan:` runs a package as it is; `base:` + `data:` change a copy of one")
    if not any(k in spec for k in ("plan", "base", "data")):
        bad((), f"test `{t.name}` has no plan", "add `plan: PATH`, or `base: PATH` and/or `data:`")
    if "expect" not in spec and "verdict" not in spec:
        bad((), f"test `{t.name}` expects nothing", "add `expect: {RULE-ID: fail}` or `verdict: ...`")
    if "verdict" in spec and spec["verdict"] not in VERDICTS:
        bad(("verdict",), f"unknown verdict `{spec['verdict']}`",
            did_you_mean(spec["verdict"], VERDICTS) or f"use one of {', '.join(VERDICTS)}")
    for rid, want in (spec.get("expect") or {}).items():
        want = want if isinstance(want, dict) else {"outcome": want}
        values = [want["outcome"]] if "outcome" in want else []
        values += list((want.get("rows") or {}).values())
        for v in values:
            if v not in OUTCOMES:
                bad(("expect", rid), f"{rid}: `{v}` is not an outcome",
                    did_you_mean(str(v), OUTCOMES) or f"use one of {', '.join(OUTCOMES)}")
        if not want:
            bad(("expect", rid), f"{rid}: expect an outcome, rows or a message")
    return out


# ---- running -------------------------------------------------------------------


class Runner:
    """Runs tests; standards are loaded once per pack."""

    def __init__(self):
        self._standards: dict[str, Standard | NbsError] = {}

    def standard_for(self, test: RuleTest, file: Path) -> Standard:
        ref = test.spec.get("standard")
        if ref is not None:
            pack = resolve_pack(ref, file.parent)
            if pack is None:
                raise NbsError([Diagnostic("test-standard", f"`standard: {ref}` is neither a pack path (relative to "
                                           "the test file) nor a bundled standard id",
                                           Span(test.file, test.line_of("standard")))])
        else:
            pack = _pack_above(file)
            if pack is None:
                raise NbsError([Diagnostic("test-standard", f"no folder of {SUFFIX} files above {test.file}",
                                           Span(test.file, test.line), hint="add `standard: PATH-OR-ID` to the test")])
        key = str(pack.resolve())
        if key not in self._standards:
            try:
                self._standards[key] = api.load_standard(pack)
            except NbsError as e:
                self._standards[key] = e
        found = self._standards[key]
        if isinstance(found, NbsError):
            raise found
        return found

    def run(self, test: RuleTest, file: Path) -> TestOutcome:
        try:
            std = self.standard_for(test, file)
        except NbsError as e:
            return TestOutcome(test, ERRORED, diagnostics=e.diagnostics)
        try:
            plan = self._plan(test, file, std)
        except NbsError as e:
            return TestOutcome(test, ERRORED, diagnostics=e.diagnostics, standard=std)
        try:
            waivers = self._waivers(test, std)
        except NbsError as e:
            return TestOutcome(test, ERRORED, diagnostics=e.diagnostics, standard=std)
        try:
            report = api.evaluate(std, plan, waivers)
        except Exception as e:  # an engine bug must not hide the other tests
            return TestOutcome(test, ERRORED, diagnostics=[Diagnostic(
                "internal-error", f"evaluating the plan raised {type(e).__name__}: {e}", Span(test.file, test.line))],
                standard=std)
        problems, errors = compare(test, std, report.results, report.verdict)
        status = ERRORED if errors else FAILED if problems else PASSED
        return TestOutcome(test, status, problems, errors, std, report.results)

    def _waivers(self, test: RuleTest, std: Standard) -> WaiverSet | None:
        """The test's `waivers:`, checked like a waivers file; problems point at the test's line."""
        if "waivers" not in test.spec:
            return None
        with tempfile.TemporaryDirectory(prefix="nbscheck-test-") as tmp:
            f = Path(tmp) / "waivers.yaml"
            f.write_text(yaml.safe_dump({"waivers": test.spec["waivers"]}, allow_unicode=True), encoding="utf-8")
            try:
                return api.load_waivers(f, std)
            except NbsError as e:
                span = Span(test.file, test.line_of("waivers"))
                raise NbsError([Diagnostic(d.code, d.message.replace("`waivers.", "`"), span, hint=d.hint)
                                for d in e.diagnostics]) from None

    def _plan(self, test: RuleTest, file: Path, std: Standard):
        spec = test.spec
        if "plan" in spec:
            return api.load_plan(resolve_plan(spec["plan"], file.parent), std)
        given = (spec.get("data") or {}).get("tables")
        unknown = [n for n in given if n not in std.tables] if isinstance(given, dict) else []
        if unknown:
            raise NbsError([Diagnostic("unknown-table", f"{std.id} declares no table `{n}`",
                                       Span(test.file, test.line_of("data", "tables", n)),
                                       hint=did_you_mean(n, std.tables) or f"tables: {', '.join(std.tables)}")
                            for n in unknown])
        with tempfile.TemporaryDirectory(prefix="nbscheck-test-") as tmp:
            root = Path(tmp).resolve()
            origin = Origin(test.file, test.lines, ("tests", test.index), root)
            try:
                materialise(spec, file.parent, root, origin)
            except MaterialiseError as e:
                raise NbsError(e.diagnostics) from None
            try:
                return api.load_plan(root, std)
            except NbsError as e:
                raise NbsError([map_diagnostic(d, origin) for d in e.diagnostics]) from None


def _pack_above(file: Path, levels: int = 3) -> Path | None:
    """The nearest folder with rule files: the test's own, or up to ``levels`` above it."""
    d = file.resolve().parent
    for _ in range(levels + 1):
        if any(p.suffix == SUFFIX and p.is_file() for p in d.iterdir()):
            return d
        if d.parent == d:
            return None
        d = d.parent
    return None


def compare(test: RuleTest, std: Standard, results: list[RuleResult], verdict: str
            ) -> tuple[list[str], list[Diagnostic]]:
    """What differs between the test's expectations and the results; and expectations that name nothing."""
    problems: list[str] = []
    errors: list[Diagnostic] = []
    by_id = {r.rule_id: r for r in results}
    for rid, want in (test.spec.get("expect") or {}).items():
        rid = str(rid)
        where = f"{test.file}:{test.line_of('expect', rid)}"
        want = want if isinstance(want, dict) else {"outcome": want}
        r = by_id.get(rid)
        if r is None:
            rule = std.rule(rid)
            if rule is not None and rule.disabled is not None:
                message = f"{rid} is disabled by the profile ({rule.disabled})"
            else:
                message = f"the standard has no rule `{rid}`"
            errors.append(Diagnostic("unknown-rule", message, Span(test.file, test.line_of("expect", rid)),
                                     hint=did_you_mean(rid, [x.rule_id for x in results])))
            continue
        said = f" — {r.message}" if r.message else ""
        if "outcome" in want and r.outcome != want["outcome"]:
            problems.append(f"{where}: {rid}: expected {want['outcome']}, got {r.outcome}{said}")
        rows = want.get("rows") or {}
        if rows and r.scope == "plan":
            errors.append(Diagnostic("test-file", f"{rid} is a plan-level rule; it has no rows",
                                     Span(test.file, test.line_of("expect", rid, "rows"))))
            continue
        found = {str(f.key): f for f in r.findings}
        for key, outcome in rows.items():
            f = found.get(str(key))
            got = f.outcome if f is not None else PASS
            if got != outcome:
                msg = f" — {f.message}" if f is not None and f.message else ""
                problems.append(f"{where}: {rid} row {key}: expected {outcome}, got {got}{msg}")
        text = want.get("message")
        if text is not None:
            messages = [r.message, *(f.message for f in r.findings)]
            if not any(text in m for m in messages if m):
                problems.append(f"{where}: {rid}: expected a message containing {text!r}, got {r.message!r}")
    want_verdict = test.spec.get("verdict")
    if want_verdict is not None and want_verdict != verdict:
        problems.append(f"{test.file}:{test.line_of('verdict')}: verdict: expected {want_verdict}, got {verdict}")
    return problems, errors


def run_paths(paths: list[str | Path]) -> RunResult:
    """Discover and run every test under ``paths``."""
    out = RunResult()
    runner = Runner()
    files = []
    for p in paths:
        files += [f for f in discover(p) if f not in files]
    for file in files:
        tests, diags = read_tests(file)
        if diags:
            out.file_errors += diags
            continue
        for t in tests:
            out.outcomes.append(runner.run(t, file))
    return out
