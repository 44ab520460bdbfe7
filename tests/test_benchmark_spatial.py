"""The spatial benchmark harness at a small scale: the engine and hand-written geopandas agree."""

from __future__ import annotations

from benchmarks import spatial


def test_the_spatial_checks_agree_with_geopandas_and_print_their_ratios(capsys):
    assert spatial.main(["--scale", "0.02", "--repeat", "1"]) == 0
    out = capsys.readouterr().out
    for check in ("nearest", "covered", "dissolved"):
        line = next(x for x in out.splitlines() if x.startswith(check))
        assert "x  met" in line or "x  MISSED" in line
    assert "disagree" not in out
