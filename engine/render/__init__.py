"""Renderers: one per format, registered by name; each reads only the report dict."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from . import csv_, geojson, github, gitlab, html, json_, junit, markdown, rfi, sarif, text
from .options import DEFAULT, RenderOptions


@dataclass(frozen=True)
class Renderer:
    name: str
    filename: str  # the file written in the output folder
    render: Callable[..., str]  # (report) -> str, or (report, RenderOptions) -> str when takes_options
    description: str
    takes_options: bool = False

    def __call__(self, report: dict, options: RenderOptions = DEFAULT) -> str:
        out = self.render(report, options) if self.takes_options else self.render(report)
        return "\ufeff" + out if options.csv_bom and self.filename.endswith(".csv") else out


FORMATS: dict[str, Renderer] = {
    "text": Renderer("text", "report.txt", text.render, "terminal summary"),
    "json": Renderer("json", "report.json", json_.render, "the report contract (reports/report.schema.json)"),
    "html": Renderer("html", "report.html", html.render, "self-contained page for reviewers: charts, filters"),
    "md": Renderer("md", "report.md", markdown.render, "short Markdown for a pull-request comment"),
    "junit": Renderer("junit", "report.junit.xml", junit.render, "JUnit XML: one test case per rule, failures as "
                      "--fail-on decides", True),
    "sarif": Renderer("sarif", "report.sarif", sarif.render, "SARIF 2.1.0 for code scanning", True),
    "csv": Renderer("csv", csv_.FILENAME, csv_.render, "every failing object, one row each"),
    "github": Renderer("github", "report.github.txt", github.render, "GitHub Actions workflow annotations", True),
    "gitlab": Renderer("gitlab", "gl-code-quality-report.json", gitlab.render, "GitLab Code Quality JSON", True),
    "rfi": Renderer("rfi", "rfi.md", rfi.render_markdown, "request for information: the data that blocks a "
                    "verdict, by object (Markdown)"),
    "rfi-csv": Renderer("rfi-csv", "rfi.csv", rfi.render_csv, "request for information as CSV"),
    "geojson": Renderer("geojson", geojson.FILENAME, geojson.render,
                        "findings with their shapes as a FeatureCollection (open it in QGIS)"),
}


def write_atomic(path: Path, content: str) -> None:
    """Write a file so that a reader sees the old file or the whole new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(content)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; a report is an ordinary file
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_reports(report: dict, formats: list[str], out_dir: Path, options: RenderOptions = DEFAULT) -> list[Path]:
    """Render every format first, then write them; a failed render writes nothing."""
    rendered = [(out_dir / FORMATS[f].filename, FORMATS[f](report, options)) for f in formats]
    for path, content in rendered:
        write_atomic(path, content)
    return [p for p, _ in rendered]
