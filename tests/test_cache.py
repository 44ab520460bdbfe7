"""The per-user cache of the grammar and of parsed rule files (engine/cache.py)."""

from __future__ import annotations

import os
import pickle
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from engine import cache
from engine.syntax import parser

RULE = 'param p = 3 m "a threshold"\n'


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    where = tmp_path / "cache"
    monkeypatch.setenv(cache.ENV_DIR, str(where))
    monkeypatch.delenv(cache.ENV_OFF, raising=False)
    return where


def _counting_parse():
    calls = []

    def parse(text, name):
        calls.append(name)
        return parser.parse_text(text, name)
    return parse, calls


def test_a_parsed_file_is_read_back_from_the_cache(cache_dir):
    parse, calls = _counting_parse()
    first, diags = cache.parsed(RULE, "r.nbs", parse)
    again, diags2 = cache.parsed(RULE, "r.nbs", parse)
    assert calls == ["r.nbs"] and diags == diags2 == []
    assert again == first and again is not first  # equal syntax trees, the second unpickled
    assert oct(stat.S_IMODE(cache_dir.stat().st_mode)) == "0o700"
    assert all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in cache_dir.iterdir())


def test_another_text_or_name_is_another_entry(cache_dir):
    parse, calls = _counting_parse()
    cache.parsed(RULE, "r.nbs", parse)
    module, _ = cache.parsed(RULE.replace("3 m", "4 m"), "r.nbs", parse)
    cache.parsed(RULE, "s.nbs", parse)  # spans name the file
    assert calls == ["r.nbs", "r.nbs", "s.nbs"]
    assert module.items[0].value.value == 4


def test_syntax_errors_are_not_cached(cache_dir):
    parse, calls = _counting_parse()
    for _ in range(2):
        module, diags = cache.parsed("param p =\n", "bad.nbs", parse)
        assert module is None and diags[0].code == "rule-syntax"
    assert len(calls) == 2 and not list(cache_dir.glob("ast-*"))


def test_no_cache_turns_it_off(cache_dir, monkeypatch):
    monkeypatch.setenv(cache.ENV_OFF, "1")
    parse, calls = _counting_parse()
    cache.parsed(RULE, "r.nbs", parse)
    cache.parsed(RULE, "r.nbs", parse)
    assert len(calls) == 2 and not cache_dir.exists()


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX permissions")
def test_a_folder_others_can_write_to_is_not_used(cache_dir):
    cache_dir.mkdir(mode=0o777)
    os.chmod(cache_dir, 0o777)  # as a shared /tmp folder would be
    assert cache.folder() is None
    parse, calls = _counting_parse()
    cache.parsed(RULE, "r.nbs", parse)
    cache.parsed(RULE, "r.nbs", parse)
    assert len(calls) == 2 and list(cache_dir.iterdir()) == []


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX permissions")
def test_an_entry_others_could_have_written_is_not_loaded(cache_dir):
    parse, calls = _counting_parse()
    cache.parsed(RULE, "r.nbs", parse)
    (entry,) = cache_dir.glob("ast-*")
    os.chmod(entry, 0o666)
    assert cache.get(entry.name) is None
    cache.parsed(RULE, "r.nbs", parse)
    assert len(calls) == 2


def test_a_broken_entry_is_parsed_again(cache_dir):
    parse, calls = _counting_parse()
    cache.parsed(RULE, "r.nbs", parse)
    (entry,) = cache_dir.glob("ast-*")
    entry.write_bytes(pickle.dumps({"not": "a module"})[:5])  # truncated
    module, diags = cache.parsed(RULE, "r.nbs", parse)
    assert len(calls) == 2 and diags == [] and module.items[0].name == "p"


def test_a_folder_that_cannot_be_made_means_no_cache(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv(cache.ENV_DIR, str(blocker / "cache"))
    assert cache.folder() is None
    parse, calls = _counting_parse()
    assert cache.parsed(RULE, "r.nbs", parse)[0] is not None


def _check_in_fresh_process(env: dict) -> subprocess.CompletedProcess:
    code = ("import sys\nfrom engine.cli import main\nsys.exit(main(['lint', 'nbs_urban_restoration']))")
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120,
                          cwd=Path(__file__).parent.parent)


def test_the_grammar_and_a_pack_are_cached_across_runs(cache_dir):
    env = {**os.environ, cache.ENV_DIR: str(cache_dir)}
    cold = _check_in_fresh_process(env)
    entries = sorted(p.name.split("-")[0] for p in cache_dir.iterdir())
    warm = _check_in_fresh_process(env)
    assert cold.returncode == warm.returncode == 0, cold.stderr
    assert cold.stdout == warm.stdout and "no errors" in warm.stdout
    # the grammar's tables as Lark saves them and the one-pass parser's, and a syntax tree per file of the pack
    assert entries.count("grammar") == 2 and entries.count("ast") >= 5  # the NbS pack has a file per theme
    assert sorted(p.name.split("-")[0] for p in cache_dir.iterdir()) == entries  # nothing new when warm


def test_without_a_home_folder_the_temporary_folder_serves(monkeypatch, tmp_path):
    monkeypatch.delenv(cache.ENV_DIR, raising=False)
    monkeypatch.delenv(cache.ENV_OFF, raising=False)
    monkeypatch.setattr(cache.tempfile, "gettempdir", lambda: str(tmp_path))

    def no_home():
        raise RuntimeError("Could not determine home directory.")
    monkeypatch.setattr(cache.Path, "home", staticmethod(no_home))
    assert cache.folder() == tmp_path / f"nbscheck-{os.getuid() if hasattr(os, 'getuid') else 'user'}"


PACK = 'standard s "S" { version "1" }\ngoal G "G"\nstage S "S"\nparam p = 30 degC\nunit hab\n' \
       'rule R "R" { goal G stage S shall p < 300 K }\n'
LOADED = ("import sys; from engine import api; std = api.load_standard(sys.argv[1]); "
          "print(std.params['p'].value, std.unit_defs[0].name, 'pint' in sys.modules)")


def test_a_checked_pack_is_read_back_without_checking_it_again(cache_dir, tmp_path):
    pack = tmp_path / "pack.nbs"
    pack.write_text(PACK, encoding="utf-8")
    env = {**os.environ, cache.ENV_DIR: str(cache_dir), "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    runs = [subprocess.run([sys.executable, "-c", LOADED, str(pack)], capture_output=True, text=True, env=env,
                           check=True).stdout.split() for _ in range(2)]
    # checking the pack loads pint (30 degC converts to K through it); the second run reads the checked pack
    assert runs == [["30.0", "hab", "True"], ["30.0", "hab", "False"]]
    assert [p.name.split("-")[0] for p in cache_dir.iterdir()].count("checked") == 1
    pack.write_text(PACK.replace("30 degC", "31 degC"), encoding="utf-8")  # another text: checked afresh
    again = subprocess.run([sys.executable, "-c", LOADED, str(pack)], capture_output=True, text=True, env=env,
                           check=True).stdout.split()
    assert again == ["31.0", "hab", "True"]


def test_a_pack_with_errors_is_not_cached(cache_dir, tmp_path):
    from engine import api

    pack = tmp_path / "pack.nbs"
    pack.write_text(PACK.replace("300 K", "300 m"), encoding="utf-8")
    for _ in range(2):
        assert [d.code for d in api.lint(pack)] == ["unit-mismatch"]
    assert not any(p.name.startswith("checked-") for p in cache_dir.iterdir())


CHECK = ("import sys; from engine import api; std = api.standard_for(sys.argv[1], None); "
         "api.load_plan(sys.argv[1], std); print('jsonschema' in sys.modules, 'pyproj' in sys.modules, "
         "'lark' in sys.modules)")


def test_a_plan_found_valid_is_not_validated_again(cache_dir, tmp_path):
    # riverside has no geodata: pyproj is never imported; the second run reads the checked pack (no Lark) and
    # knows the unchanged plan.yaml is valid (no jsonschema)
    env = {**os.environ, cache.ENV_DIR: str(cache_dir), "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    root = Path(__file__).resolve().parents[1]
    runs = [subprocess.run([sys.executable, "-c", CHECK, str(root / "examples" / "riverside")], capture_output=True,
                           text=True, env=env, check=True).stdout.split() for _ in range(2)]
    assert runs[1] == ["False", "False", "False"] and runs[0][0] == "True"
    # an invalid plan is validated, and reported, every time
    plan = tmp_path / "plan"
    (plan).mkdir()
    (plan / "plan.yaml").write_text("standard: nbs_urban_restoration\nplan: {id: 3}\n", encoding="utf-8")
    for _ in range(2):
        done = subprocess.run([sys.executable, "-m", "engine.cli", "check", str(plan)], capture_output=True,
                              text=True, env=env)
        assert done.returncode == 2 and "plan-schema" in done.stdout + done.stderr
    assert not [p for p in cache_dir.iterdir() if p.name.startswith("valid-")][1:]  # only riverside's entry


def test_the_cycle_collector_is_resumed_as_it_was():
    import gc

    assert gc.isenabled()
    with pytest.raises(ValueError):
        with cache.gc_paused():
            assert not gc.isenabled()
            raise ValueError("a failure inside")
    assert gc.isenabled()
    gc.disable()
    try:
        with cache.gc_paused():
            pass
        assert not gc.isenabled()  # a caller that had paused it keeps it paused
    finally:
        gc.enable()


def test_a_files_outline_is_read_back_without_its_tree(cache_dir):
    from engine.sources import _outline_of

    parse, calls = _counting_parse()
    text = 'standard s "S" { version "1" }\nimport "parts/a.nbs"\n' + RULE
    outline, tree, diags = cache.outlined(text, "r.nbs", parse, _outline_of)
    again, none, diags2 = cache.outlined(text, "r.nbs", parse, _outline_of)
    assert calls == ["r.nbs"] and diags == diags2 == [] and tree is not None and none is None
    imports, headers = again
    assert again == outline and [p for p, _ in imports] == ["parts/a.nbs"] and imports[0][1].line == 2
    assert [(k, i, e) for k, i, e, _ in headers] == [("standard", "s", None)]
    changed, tree, _ = cache.outlined(text.replace("a.nbs", "b.nbs"), "r.nbs", parse, _outline_of)
    assert calls == ["r.nbs", "r.nbs"] and tree is not None and changed[0][0][0] == "parts/b.nbs"
    for _ in range(2):  # a file that does not parse has no outline, and is parsed (and reported) every time
        assert cache.outlined("param p =\n", "bad.nbs", parse, _outline_of)[:2] == (None, None)
    assert calls[2:] == ["bad.nbs", "bad.nbs"]


FILES = ("import sys; from engine import api; std = api.load_standard(sys.argv[1]); "
         "print(sorted(std.params), 'engine.syntax.ast' in sys.modules, 'engine.check' in sys.modules)")


def test_a_warm_check_finds_the_files_by_their_outlines(cache_dir, tmp_path):
    pack = tmp_path / "pack"
    (pack / "parts").mkdir(parents=True)
    (pack / "main.nbs").write_text(PACK + 'import "parts/a.nbs"\n', encoding="utf-8")
    (pack / "parts" / "a.nbs").write_text('param a = 1 "from a"\n', encoding="utf-8")
    (pack / "parts" / "b.nbs").write_text('param b = 2 "from b"\n', encoding="utf-8")
    env = {**os.environ, cache.ENV_DIR: str(cache_dir), "PYTHONPATH": str(Path(__file__).resolve().parents[1])}

    def run():
        return subprocess.run([sys.executable, "-c", FILES, str(pack / "main.nbs")], capture_output=True, text=True,
                              env=env, check=True).stdout.strip()
    # cold, the files are parsed and checked; warm, neither the syntax tree nor the checker is imported
    assert [run(), run()] == ["['a', 'p'] True True", "['a', 'p'] False False"]
    (pack / "main.nbs").write_text(PACK + 'import "parts/b.nbs"\n', encoding="utf-8")  # another import
    assert run() == "['b', 'p'] True True"
    (pack / "parts" / "b.nbs").write_text('param b = 2 "from b"\nparam c = 3 "also"\n', encoding="utf-8")
    assert [run(), run()] == ["['b', 'c', 'p'] True True", "['b', 'c', 'p'] False False"]


def test_a_change_to_an_imported_pack_is_checked_afresh(cache_dir, tmp_path):
    from engine.sources import check_pack

    (tmp_path / "lib").mkdir()
    (tmp_path / "main").mkdir()
    lib = tmp_path / "lib" / "lib.nbs"
    lib.write_text('standard lib "Lib" { version "1" }\nparam limit = 5 "a limit"\n', encoding="utf-8")
    (tmp_path / "main" / "main.nbs").write_text('standard m "M" { version "1" }\nimport "../lib"\ngoal G "G"\n'
                                                'stage S "S"\nrule R "r" { goal G stage S shall limit == 5 }\n',
                                                encoding="utf-8")
    assert check_pack(tmp_path / "main")[0].params["limit"].value == 5
    lib.write_text(lib.read_text(encoding="utf-8").replace("= 5", "= 7"), encoding="utf-8")
    assert check_pack(tmp_path / "main")[0].params["limit"].value == 7


def test_dist_version_is_the_installed_metadata_version():
    from importlib import metadata

    assert cache.dist_version("pint") == metadata.version("pint")
    assert cache.dist_version("lark") == metadata.version("lark")
    assert cache.dist_version("no_such_package_nbscheck") == "none"


def test_memo_computes_once_and_reads_back(cache_dir):
    calls = []

    def compute():
        calls.append(1)
        return ("tree", [])

    first = cache.memo("memo-t.pickle", compute, stored=lambda r: r[0], rebuilt=lambda v: (v, ["read"]))
    again = cache.memo("memo-t.pickle", compute, stored=lambda r: r[0], rebuilt=lambda v: (v, ["read"]))
    assert calls == [1] and first == ("tree", []) and again == ("tree", ["read"])


def test_memo_keeps_only_what_keep_accepts_and_what_pickles(cache_dir):
    assert cache.memo("memo-no.pickle", lambda: 5, keep=lambda r: r > 5) == 5
    unpicklable = cache.memo("memo-fn.pickle", lambda: (lambda: 0))  # a lambda cannot be pickled: not stored
    assert callable(unpicklable)
    assert not list(cache_dir.glob("memo-*"))


def test_memo_computes_again_over_an_unreadable_entry(cache_dir):
    cache.put("memo-bad.pickle", b"not a pickle")
    assert cache.memo("memo-bad.pickle", lambda: 7) == 7
    assert cache.memo("memo-bad.pickle", lambda: 8) == 7  # stored over the unreadable one


def test_an_outline_too_deep_to_pickle_is_returned_not_stored(cache_dir):
    deep: list = []
    for _ in range(100_000):
        deep = [deep]
    outline, tree, diags = cache.outlined(RULE, "r.nbs", parser.parse_text, lambda module: deep)
    assert outline is deep and tree is not None and diags == []
    assert not list(cache_dir.glob("outline-*"))


def test_no_driver_tables_are_keyed_or_stored_with_the_cache_off(tmp_path, monkeypatch):
    monkeypatch.setenv(cache.ENV_DIR, str(tmp_path))
    monkeypatch.setenv(cache.ENV_OFF, "1")

    def refuse():
        raise AssertionError("the parser's fingerprint was computed with the cache off")

    monkeypatch.setattr(cache, "parser_fingerprint", refuse)
    parser._driver.cache_clear()
    try:
        assert parser._driver() is not None
        assert not list(tmp_path.iterdir())
    finally:
        parser._driver.cache_clear()


def _counting_reads(monkeypatch):
    from engine.plan import tables

    calls: list[str] = []
    read = tables.read_table

    def counted(path, *args, **kwargs):
        calls.append(Path(path).name)
        return read(path, *args, **kwargs)
    monkeypatch.setattr(tables, "read_table", counted)
    return calls


def _riverside(tmp_path) -> Path:
    import shutil

    plan = tmp_path / "riverside"
    shutil.copytree(Path(__file__).resolve().parents[1] / "examples" / "riverside", plan)
    return plan


def test_a_plan_table_is_read_back_from_the_cache(cache_dir, tmp_path, monkeypatch):
    import pandas as pd

    from engine import api

    plan = _riverside(tmp_path)
    std = api.standard_for(str(plan), None)
    calls = _counting_reads(monkeypatch)
    first = api.load_plan(plan, std)
    assert sorted(calls) == ["districts.csv", "interactions.csv", "objects.csv", "projects.csv"]
    again = api.load_plan(plan, std)
    assert len(calls) == 4  # the second load read no table file
    assert sorted(p.name.split("-")[0] for p in cache_dir.iterdir()).count("table") == 4
    monkeypatch.setenv(cache.ENV_OFF, "1")
    fresh = api.load_plan(plan, std)
    for name, frame in fresh.tables.items():
        pd.testing.assert_frame_equal(again.tables[name], frame)
        assert again.tables[name].attrs == frame.attrs == first.tables[name].attrs
    assert again.sources == fresh.sources and again.sha256 == fresh.sha256
    # by hand, from districts.csv's first data row: D01 has 61100 residents and 506.0 ha of land
    d01 = again.tables["districts"].set_index("id").loc["D01"]
    assert (d01["population"], d01["land_area_ha"]) == (61100, 506.0)


def test_a_changed_table_file_is_read_again(cache_dir, tmp_path, monkeypatch):
    from engine import api

    plan = _riverside(tmp_path)
    std = api.standard_for(str(plan), None)
    api.load_plan(plan, std)
    districts = plan / "tables" / "districts.csv"
    text = districts.read_text(encoding="utf-8")
    districts.write_text(text.replace("D01,江滨 Jiangbin,61100,", "D01,江滨 Jiangbin,61200,"), encoding="utf-8")
    calls = _counting_reads(monkeypatch)
    again = api.load_plan(plan, std)
    assert calls == ["districts.csv"]  # same size, other bytes: read again; the other three from the cache
    assert again.tables["districts"].set_index("id").loc["D01", "population"] == 61200


def test_a_table_with_problems_or_too_large_is_not_stored(cache_dir, tmp_path, monkeypatch):
    from engine import api
    from engine.diagnostics import NbsError
    from engine.plan import tables

    plan = _riverside(tmp_path)
    std = api.standard_for(str(plan), None)
    districts = plan / "tables" / "districts.csv"
    good = districts.read_text(encoding="utf-8")
    districts.write_text(good.replace("D01,江滨 Jiangbin,61100,", "D01,江滨 Jiangbin,many,"), encoding="utf-8")
    calls = _counting_reads(monkeypatch)
    for _ in range(2):
        with pytest.raises(NbsError) as raised:
            api.load_plan(plan, std)
        assert any(d.code == "bad-value" and "districts.csv" in d.span.file for d in raised.value.diagnostics)
    assert calls.count("districts.csv") == 2
    stored = [p.name for p in cache_dir.iterdir() if p.name.startswith("table-")]
    assert len(stored) == 3  # the three clean tables; districts.csv with its problem is not stored
    districts.write_text(good, encoding="utf-8")
    monkeypatch.setattr(tables, "CACHED_TABLE_BYTES", 100)  # every table file is larger than this
    calls.clear()
    api.load_plan(plan, std)
    api.load_plan(plan, std)
    assert len(calls) == 8
    assert sorted(p.name for p in cache_dir.iterdir() if p.name.startswith("table-")) == sorted(stored)


def test_a_table_saved_while_it_is_read_is_not_stored_under_its_old_bytes(cache_dir, tmp_path, monkeypatch):
    from engine import api
    from engine.plan import tables

    plan = _riverside(tmp_path)
    std = api.standard_for(str(plan), None)
    districts = plan / "tables" / "districts.csv"
    before = districts.read_bytes()
    read = tables.read_table

    def saved_meanwhile(path, *args, **kwargs):  # an editor saves the file after its bytes were read for the key
        if path.name == "districts.csv":
            districts.write_bytes(before.replace(b"D01,\xe6\xb1\x9f\xe6\xbb\xa8 Jiangbin,61100,",
                                                 b"D01,\xe6\xb1\x9f\xe6\xbb\xa8 Jiangbin,99999,"))
        return read(path, *args, **kwargs)
    monkeypatch.setattr(tables, "read_table", saved_meanwhile)
    api.load_plan(plan, std)
    monkeypatch.setattr(tables, "read_table", read)
    districts.write_bytes(before)
    again = api.load_plan(plan, std)
    assert again.tables["districts"].set_index("id").loc["D01", "population"] == 61100  # as the file says


def test_the_limits_are_part_of_a_tables_key(cache_dir, tmp_path, monkeypatch):
    from engine import api, inputs
    from engine.diagnostics import NbsError

    plan = _riverside(tmp_path)
    std = api.standard_for(str(plan), None)
    api.load_plan(plan, std)
    monkeypatch.setitem(inputs.LIMITS, "table_columns", 5)  # districts.csv has 17 columns
    with pytest.raises(NbsError) as raised:
        api.load_plan(plan, std)
    assert any("17 columns" in d.message and "limit is 5" in d.message for d in raised.value.diagnostics)


def test_table_entries_beyond_the_budget_are_removed_those_used_longest_ago_first(cache_dir, tmp_path, monkeypatch):
    from engine import api

    plan = _riverside(tmp_path)
    std = api.standard_for(str(plan), None)
    api.load_plan(plan, std)
    entries = {p.name: p.stat().st_size for p in cache_dir.iterdir() if p.name.startswith("table-")}
    assert len(entries) == 4
    for name in entries:
        os.utime(cache_dir / name, (1, 1))  # all four written long ago
    districts = plan / "tables" / "districts.csv"
    districts.write_text(districts.read_text(encoding="utf-8").replace(",61100,", ",61200,"), encoding="utf-8")
    budget = sum(entries.values()) + 64  # room for the four, not for a fifth
    monkeypatch.setattr(cache, "TABLES_KEPT", budget)
    api.load_plan(plan, std)  # three tables read back (and so marked as used), districts.csv read and stored
    left = {p.name: p.stat() for p in cache_dir.iterdir() if p.name.startswith("table-")}
    fresh = [name for name in left if name not in entries]
    gone = [name for name in entries if name not in left]
    assert len(fresh) == 1 and len(gone) == 1 and sum(st.st_size for st in left.values()) <= budget
    assert all(st.st_mtime > 1 for st in left.values())  # what is left was used by this load; the old
    # districts.csv entry, not read back, was the one used longest ago
