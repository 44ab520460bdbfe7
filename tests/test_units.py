"""The unit system on pint: conversions (offsets included), what pint refuses, counts, and a pack's own units.
Every expected factor is the definition of the unit, written out in the comment."""

import pytest

from engine import units as U

D = U.DEFAULT


@pytest.mark.parametrize("src,dst,factor", [
    ("ha", "m2", 1e4), ("km2", "ha", 100), ("m2", "km2", 1e-6), ("km", "m", 1000), ("%", "1", 0.01),
    ("years", "months", 12), ("t", "kg", 1000),
    ("acre", "m2", 4046.8564224),  # the international acre, not pint's US survey acre (4046.8726 m2)
    ("mi", "km", 1.609344), ("ft", "m", 0.3048),  # units pint knows and nbscheck never listed
])
def test_conversions_within_a_dimension(src, dst, factor):
    got, offset = D.conversion(D.parse(src), D.parse(dst))
    assert got == pytest.approx(factor, rel=1e-12) and offset == 0.0


def test_temperature_conversions_keep_their_offsets():
    # K = degC + 273.15; degC = (degF - 32) * 5/9 = degF * 5/9 - 17.7777...
    assert D.conversion(D.parse("degC"), D.parse("K")) == (1.0, 273.15)
    factor, offset = D.conversion(D.parse("degF"), D.parse("degC"))
    assert factor == pytest.approx(5 / 9, rel=1e-9) and offset == pytest.approx(-160 / 9, rel=1e-9)
    # a reading and a difference do not convert, as in pint
    with pytest.raises(U.UnitError, match="temperature difference"):
        D.conversion(D.parse("delta_degC"), D.parse("degC"))


def test_offset_arithmetic_follows_pint():
    degc, delta, k = D.parse("degC"), D.parse("delta_degC"), D.parse("K")
    # degC - degC is a difference; a reading plus a difference is a reading
    assert D.add(degc, degc, "-")[0].name == "delta_degC"
    assert D.add(degc, delta, "+") == (degc, 1.0)
    with pytest.raises(U.UnitError, match="ambiguous"):  # 30 degC + 5 degC: 35 degC or 308.15 degC?
        D.add(degc, degc, "+")
    with pytest.raises(U.UnitError):
        D.add(degc, k, "+")
    with pytest.raises(U.UnitError, match="does not multiply"):
        D.product(degc, U.DIMENSIONLESS, "*")
    assert D.product(k, U.DIMENSIONLESS, "*")[0] == k  # kelvin has a true zero


def test_mixing_dimensions_is_refused():
    with pytest.raises(U.UnitError):
        D.conversion(D.parse("ha"), D.parse("m"))


def test_products_and_quotients_name_known_units():
    m = D.parse("m")
    assert D.product(m, m, "*")[0].name == "m2"
    # ha / km2 is a plain ratio: 1e4 m2 / 1e6 m2 = 0.01
    assert D.product(D.parse("ha"), D.parse("km2"), "/") == (U.DIMENSIONLESS, 0.01)
    assert D.parse("m2/persons").dimension_name() == "area per person"


def test_unknown_unit_raises():
    with pytest.raises(U.UnitError):
        D.parse("hectre")


def test_dimension_names():
    assert D.parse("ha").dimension_name() == "area"
    assert D.parse("degC").dimension_name() == "temperature"
    assert D.parse("delta_degC").dimension_name() == "a temperature difference"
    assert D.parse("%").dimension_name() == "dimensionless"
    assert D.parse("trees/ha").dimension_name() == "a count of trees per area"
    assert D.parse("CNY").dimension_name() == "CNY money"


def test_counts_are_not_percentages_nor_each_other():
    for count in ("persons", "trees", "species"):
        with pytest.raises(U.UnitError):
            D.conversion(D.parse(count), D.parse("%"))
    with pytest.raises(U.UnitError):
        D.conversion(D.parse("trees"), D.parse("persons"))


def test_spelled_out_units_are_understood():
    assert D.parse("hectares").name == "ha" and D.parse("metres").name == "m"


def test_a_pack_declares_its_own_units():
    units = U.system((U.UnitDef("habitat_unit"), U.UnitDef("dunam", 1000.0, "m2"),
                      U.UnitDef("hu", 1.0, "habitat_unit"), U.UnitDef("hour", 1.0, "h"), U.UnitDef("x", 2.0, "nope")))
    hab = units.parse("habitat_unit")
    assert hab.dimension_name() == "habitat_unit" and units.conversion(units.parse("hu"), hab) == (1.0, 0.0)
    with pytest.raises(U.UnitError):  # a kind of its own: never a percentage
        units.conversion(hab, D.parse("%"))
    # 1 dunam = 1000 m2 = 0.1 ha
    assert units.conversion(units.parse("dunam"), units.parse("ha"))[0] == pytest.approx(0.1, rel=1e-12)
    assert units.errors == {"hour": ("duplicate-id", "`hour` is already a unit (hour)"),
                            "x": ("unknown-unit", "unit `x`: unknown unit `nope`")}
    with pytest.raises(U.UnitError):  # the default system is untouched
        D.parse("habitat_unit")


def test_pint_is_not_imported_to_use_a_checked_unit():
    import subprocess
    import sys

    code = ("import sys, pickle; from engine import units as U; "
            "u = pickle.loads(pickle.dumps(U.METRE)); print(u.dimension_name(), 'pint' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["length", "False"]


def test_the_built_in_units_are_what_pint_answers(monkeypatch):
    """The common units answer without pint; each answer is the one pint gives (parsed with the table off)."""
    table = dict(U._builtin_units())
    assert set(U.KNOWN_UNITS) <= set(table) and table["ha"].scale == 1e4 and table["degC"].offset == 273.15
    monkeypatch.setattr(U, "_builtin_units", dict)
    by_pint = U.UnitSystem()
    for text, unit in table.items():
        assert by_pint.parse(text) == unit, text


def test_a_pack_with_common_units_is_checked_without_pint():
    import os
    import subprocess
    import sys
    from pathlib import Path

    pack = Path(__file__).resolve().parents[1] / "benchmarks" / "scale_rules"  # ha, % and plain numbers
    code = ("import sys; from engine.check import check_pack; std, d = check_pack(sys.argv[1]); "
            "print(std is not None, 'pint' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code, str(pack)], capture_output=True, text=True, check=True,
                         env={**os.environ, "NBSCHECK_NO_CACHE": "1"}).stdout
    assert out.split() == ["True", "False"]
