"""The Dask engine gives the pandas engine's reports byte for byte, on a local cluster of two worker processes
started once for this module; its arguments and partitioned tables fail with exit 2 and a clear message."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from benchmarks.generate import generate
from engine import builtins as B
from engine import distributed as D
from engine import spill
from engine.cli import main
from engine.compile import runtime as rt

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted(p.name for p in (ROOT / "examples").iterdir() if (p / "plan.yaml").is_file())


@pytest.fixture(scope="module")
def scheduler():
    """One local cluster for the module: two single-threaded worker processes."""
    import logging

    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                      silence_logs=logging.ERROR) as cluster:
        yield cluster.scheduler_address


def _reports(args: list[str], out: Path) -> dict[str, bytes]:
    code = main(["check", *args, "-f", "json,csv", "-o", str(out), "-q"])
    assert code in (0, 1), code
    return {name: (out / name).read_bytes() for name in ("report.json", "report.csv")}


def test_reports_match_the_pandas_engine(scheduler, tmp_path, monkeypatch, capsys):
    # every bundled example, its tables cut into partitions of 200 rows (the largest tables span several)
    monkeypatch.setattr(D, "PARTITION_ROWS", 200)
    for name in EXAMPLES:
        plan = str(ROOT / "examples" / name)
        pandas_ = _reports([plan], tmp_path / name / "pandas")
        dask_ = _reports([plan, "--engine", "dask", "--scheduler", scheduler], tmp_path / name / "dask")
        assert dask_ == pandas_, name
    # a generated plan of 20,000 objects in partitions of 6,000 rows (10^5 and 10^6 rows are compared by
    # python -m benchmarks.scale_dask, which times the engines too)
    monkeypatch.setattr(D, "PARTITION_ROWS", 6_000)
    plan = generate(tmp_path / "gen", 20_000, districts=100, seed=7)
    pack = ["--standard", str(ROOT / "benchmarks" / "rules")]  # the pack the generator writes plans for
    pandas_ = _reports([str(plan), *pack], tmp_path / "gen-pandas")
    spilled = []  # the findings parts on disk when the reports are written, then removed
    close = spill.SpillFolder.close
    monkeypatch.setattr(spill.SpillFolder, "close", lambda self: (spilled.append(len(list(self.path.iterdir()))),
                                                                  close(self)))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "spill"))
    (tmp_path / "spill").mkdir()
    dask_ = _reports([str(plan), *pack, "--engine", "dask", "--scheduler", scheduler], tmp_path / "gen-dask")
    assert dask_ == pandas_
    assert spilled and spilled[0] >= 4  # 20,000 rows in 4 partitions: a part per partition of each failing rule
    assert list((tmp_path / "spill").iterdir()) == []
    failing = sum(r.get("counts", {}).get("fail", 0) for r in json.loads(pandas_["report.json"])["rules"])
    assert failing > 500  # the comparison covers many findings, not a clean plan

    # the same objects as a folder of three Parquet parts: the same findings, rows numbered across the parts
    objects = pd.read_parquet(plan / "tables" / "objects.parquet")
    parts = tmp_path / "parts"
    shutil.copytree(plan, parts)
    (parts / "tables" / "objects.parquet").unlink()
    (parts / "tables" / "objects").mkdir()
    for i, lo in enumerate(range(0, len(objects), 8_000)):
        objects.iloc[lo:lo + 8_000].to_parquet(parts / "tables" / "objects" / f"part-{i}.parquet", index=False)
    yaml = (parts / "plan.yaml").read_text(encoding="utf-8")
    (parts / "plan.yaml").write_text(yaml.replace("tables/objects.parquet", "tables/objects/"), encoding="utf-8")
    split = json.loads(_reports([str(parts), *pack, "--engine", "dask", "--scheduler", scheduler],
                                tmp_path / "parts-dask")["report.json"])
    whole = json.loads(pandas_["report.json"])
    def findings(report):  # a finding's file is the folder of parts instead of the Parquet file
        return [(r["id"], r["outcome"], r.get("counts"),
                 [{**f, "location": {**(f.get("location") or {}), "file": None}} for f in r.get("findings", [])])
                for r in report["rules"]]

    assert findings(split) == findings(whole)
    assert split["plan"]["files"] != whole["plan"]["files"]

    # a key used in two parts is refused, naming the part and the row
    objects.iloc[:1].to_parquet(parts / "tables" / "objects" / "part-9.parquet", index=False)
    capsys.readouterr()
    assert main(["check", str(parts), *pack, "--engine", "dask", "--scheduler", scheduler, "-q"]) == 2
    err = capsys.readouterr().err
    assert "duplicate-key" in err and "part-9.parquet" in err and "OBJ-0000001" in err


def test_a_folder_of_parts_needs_the_dask_engine(tmp_path, capsys):
    plan = generate(tmp_path / "gen", 200, districts=5, seed=3)
    (plan / "tables" / "objects").mkdir()
    (plan / "tables" / "objects.parquet").rename(plan / "tables" / "objects" / "part-0.parquet")
    yaml = (plan / "plan.yaml").read_text(encoding="utf-8")
    (plan / "plan.yaml").write_text(yaml.replace("tables/objects.parquet", "tables/objects"), encoding="utf-8")
    assert main(["check", str(plan), "--standard", str(ROOT / "benchmarks" / "rules"), "-q"]) == 2
    err = capsys.readouterr().err
    assert "is a folder, not a file" in err and "--engine dask" in err


@pytest.mark.parametrize("args, words", [
    (["--engine", "dask", "--scheduler", "tcp://127.0.0.1:1"], "cannot reach a Dask scheduler"),
    (["--engine", "dask", "--scheduler", "no such address"], "cannot reach a Dask scheduler"),
    (["--scheduler", "tcp://127.0.0.1:1", "--engine", "pandas"], "runs the Dask engine"),
    (["--memory-limit", "lots"], "not a memory size"),
    (["--memory-limit", "0GiB"], "not a memory size"),
])
def test_bad_engine_arguments_exit_2(args, words, capsys):
    assert main(["check", str(ROOT / "examples" / "riverside"), *args, "-q"]) == 2
    assert words in capsys.readouterr().err


def test_auto_picks_dask_when_the_tables_exceed_the_memory_limit():
    riverside = ROOT / "examples" / "riverside"
    # every file of the package but plan.yaml (its tables are CSV files, read by their size)
    size = sum(p.stat().st_size for p in riverside.rglob("*") if p.is_file() and p.name != "plan.yaml")
    assert D.table_bytes(riverside) == size
    assert D.choose("auto", riverside, size + 1, None) == "pandas"
    assert D.choose("auto", riverside, size - 1, None) == "dask"
    assert D.choose("auto", riverside, size + 1, "tcp://h:8786") == "dask"
    assert D.parse_size("4GiB") == 4 * 2 ** 30 and D.parse_size("500MB") == 500 * 10 ** 6


def _rows(values, where=None, keys=None):
    values = pd.Series(values)
    return rt.aggregate(lambda r: r, values, where, keys, index=values.index)


@pytest.mark.parametrize("name, values, expected", [
    # expected: the value over all rows, worked by hand; a missing value leaves a total unknown (None)
    ("sum", [1.5, 2.0, 4.0, 0.5, 0.25, 0.75], 9.0),
    ("sum", [1.5, 2.0, 4.0, 0.5, np.nan, 0.75], None),
    ("mean", [1.5, 2.0, 4.0, 0.5, 0.25, 0.75], 1.5),
    ("min", [3.0, 5.0, -2.0, 4.0, 7.0, 0.5], -2.0),
    ("max", [3.0, 5.0, -2.0, 4.0, 7.0, 0.5], 7.0),
    ("max", [3.0, 5.0, -2.0, 4.0, 7.0, np.nan], None),
    ("count", [1.0, 2.0, 3.0, 4.0, 5.0, 6.0], 6),
    ("share", [True, False, True, True, False, False], 50.0),
    ("any", [False, False, False, False, True, False], True),
    ("all", [True, True, True, True, False, True], False),
    ("all", [True, True, True, True, True, True], True),
])
def test_partial_parts_combine_to_the_value_over_all_rows(name, values, expected):
    b = B.resolve(name, 1)
    for cut in (1, 3, 5):  # two partitions, split at different rows
        a, z = values[:cut], values[cut:]
        assert b.combine([b.partial(_rows(a)), b.partial(_rows_at(z, cut))]) == expected


def _rows_at(values, start):
    values = pd.Series(values, index=range(start, start + len(values)))
    return rt.aggregate(lambda r: r, values, None, None, index=values.index)


def test_an_enum_extreme_follows_the_declared_order():
    b = B.resolve("max", 1)
    kinds = pd.CategoricalDtype(["poor", "moderate", "good"], ordered=True)
    parts = [b.partial(_rows(pd.Series(v, dtype=kinds))) for v in (["good", "poor"], ["moderate"])]
    assert b.combine(parts) == "good"  # not "poor", the largest as text
    parts = [b.partial(_rows(pd.Series(v, dtype=kinds))) for v in (["moderate", None], ["poor"])]
    assert b.combine(parts) is None  # a missing value leaves the largest unknown


def test_key_hashes_are_compared_bucket_by_bucket():
    from engine import distributed as D

    top = np.uint64(1) << np.uint64(60)  # the lowest hash of bucket 1 (16 buckets by the top four bits)
    part_a = (2, [], None, np.array([5, top + 7], dtype=np.uint64))
    part_b = (3, [], None, np.array([top + 7, 6, np.uint64(15) * top], dtype=np.uint64))
    buckets = [[D._bucket(p, b) for p in (part_a, part_b)] for b in range(16)]
    assert [len(a) + len(b) for a, b in buckets] == [2, 2] + [0] * 13 + [1]  # 5 and 6; top + 7 twice; 15 * top
    assert D._repeated(*buckets[0]).tolist() == []  # 5 and 6 differ
    assert D._repeated(*buckets[1]).tolist() == [int(top) + 7]  # in both parts
    assert D._rows_with(part_b, np.array([top + 7], dtype=np.uint64)).tolist() == [0]  # part b's first row


def test_a_checked_part_keeps_none_of_its_rows():
    # a worker holds each checked part's result until the keys are compared across parts: the empty frame in
    # it must not keep the part's Arrow buffers alive (an empty slice, even copied, did)
    import gc

    import pyarrow as pa

    from engine import api
    from engine.plan.tables import read_table

    path = ROOT / "examples" / "riverside" / "tables" / "objects.csv"
    table = api.standard_for(str(ROOT / "examples" / "riverside"), None).tables["objects"]
    gc.collect()
    base = pa.total_allocated_bytes()
    frame, _ = read_table(path, str(path), table)
    whole = pa.total_allocated_bytes() - base  # the part's text columns, held by Arrow
    del frame
    gc.collect()
    checked = D._check_part(path, str(path), table, None, False, None)
    gc.collect()
    held = pa.total_allocated_bytes() - base
    read, _ = read_table(path, str(path), table)
    assert checked[0] == 383 and len(checked[2]) == 0  # 383 rows in the file; no row kept
    assert checked[2].dtypes.equals(read.dtypes)  # every column, of the part's dtype: the partitions' meta
    assert whole > 20_000 and held < whole / 4
