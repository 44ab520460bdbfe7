"""Report sets are all or nothing: a full disk, a failure or SIGTERM leaves the previous set as it was."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from engine import render
from engine.render import MANIFEST, write_set

ROOT = Path(__file__).resolve().parent.parent


def _old_set(out: Path) -> dict[str, bytes]:
    write_set(out, [(out / "report.json", '{"old": 1}\n'), (out / "report.html", "<p>old</p>\n")])
    return {p.name: p.read_bytes() for p in out.iterdir()}


def _writer_paused_after_staging(out: Path) -> subprocess.Popen:
    """A child process writing a new set into ``out`` that stops, once its first file is staged, for 30 s."""
    script = (
        "import time\n"
        "from pathlib import Path\n"
        "from engine import render\n"
        "slow = render._write_staged\n"
        "def staged(*a):\n"
        "    slow(*a)\n"
        "    print('staged', flush=True)\n"
        "    time.sleep(30)\n"
        "render._write_staged = staged\n"
        f"out = Path({str(out)!r})\n"
        "render.write_set(out, [(out / 'report.json', '{}'), (out / 'report.html', 'new')])\n"
    )
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, cwd=ROOT,
                             env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert child.stdout is not None and child.stdout.readline().strip() == b"staged"
    return child


def test_a_set_is_written_with_a_manifest_and_replaces_the_previous_set(tmp_path):
    _old_set(tmp_path)
    write_set(tmp_path, [(tmp_path / "report.json", '{"new": 1}\n')])
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["report.json", MANIFEST]  # the old HTML belonged to the previous set: gone
    manifest = json.loads((tmp_path / MANIFEST).read_text())
    import hashlib

    assert manifest["files"] == {"report.json": hashlib.sha256(b'{"new": 1}\n').hexdigest()}


def test_a_full_disk_names_the_file_and_the_space_and_keeps_the_old_set(tmp_path, monkeypatch):
    before = _old_set(tmp_path)
    calls = []

    def full(fd):
        calls.append(fd)
        if len(calls) == 2:
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(render.os, "fsync", full)
    with pytest.raises(OSError) as err:
        write_set(tmp_path, [(tmp_path / "report.json", '{"new": 1}\n'), (tmp_path / "report.html", "x" * 2048)])
    # 11 + 2048 bytes = 2.01 KiB
    assert "report.html" in str(err.value) and "needs 2 KiB" in str(err.value) and "free" in str(err.value)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before  # no staging folder, old set intact


def test_the_cli_reports_a_full_disk_as_an_input_problem(tmp_path, monkeypatch, capsys):
    from casekit import copy_plan

    from engine.cli import main

    plan = copy_plan(tmp_path / "plan")
    monkeypatch.setattr(render.os, "fsync", lambda fd: (_ for _ in ()).throw(OSError(errno.ENOSPC, "full")))
    assert main(["check", str(plan), "-f", "json,html", "-o", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "report.json" in err and "needs" in err and "Traceback" not in err
    assert not [p for p in (tmp_path / "out").iterdir()]


def test_sigterm_while_writing_removes_the_staging_folder(tmp_path):
    before = _old_set(tmp_path)
    child = _writer_paused_after_staging(tmp_path)
    assert any(p.name.startswith(".nbscheck-staging-") for p in tmp_path.iterdir())
    child.send_signal(signal.SIGTERM)
    assert child.wait(timeout=30) == 128 + signal.SIGTERM
    time.sleep(0.1)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_sigkill_leaves_a_staging_folder_that_the_next_run_removes(tmp_path):
    before = _old_set(tmp_path)
    child = _writer_paused_after_staging(tmp_path)
    child.kill()  # SIGKILL: no handler runs, the staging folder stays behind
    child.wait(timeout=30)
    left = [p for p in tmp_path.iterdir() if p.name.startswith(".nbscheck-staging-")]
    assert len(left) == 1 and {p.name: p.read_bytes() for p in tmp_path.iterdir() if p not in left} == before
    write_set(tmp_path, [(tmp_path / "report.json", '{"new": 1}\n')])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json", MANIFEST]


def test_the_staging_folder_of_a_run_still_writing_is_left_alone(tmp_path):
    live = tmp_path / f".nbscheck-staging-{os.getppid()}-abc"  # the parent process is running
    live.mkdir()
    write_set(tmp_path, [(tmp_path / "report.json", "{}\n")])
    assert live.is_dir()
