import pytest

from engine import units as U


@pytest.mark.parametrize("src,dst,factor", [
    ("ha", "m2", 1e4), ("km2", "ha", 100), ("m2", "km2", 1e-6), ("km", "m", 1000), ("%", "1", 0.01),
    ("years", "months", 12), ("t", "kg", 1000),
])
def test_conversions_within_a_dimension(src, dst, factor):
    assert U.convert_factor(U.parse_unit(src), U.parse_unit(dst)) == pytest.approx(factor)


def test_mixing_dimensions_is_refused():
    with pytest.raises(ValueError):
        U.convert_factor(U.parse_unit("ha"), U.parse_unit("m"))


def test_products_and_quotients_name_known_units():
    m = U.parse_unit("m")
    assert U.multiply(m, m).name == "m2"
    assert U.divide(U.parse_unit("ha"), U.parse_unit("ha")).dimensionless
    assert U.divide(U.parse_unit("m2"), U.parse_unit("persons")).dimension_name() == "area per person"


def test_unknown_unit_raises():
    with pytest.raises(U.UnitError):
        U.parse_unit("hectre")


def test_dimension_names():
    assert U.parse_unit("ha").dimension_name() == "area"
    assert U.parse_unit("degC").dimension_name() == "temperature in degC"  # kept apart from kelvin: see units.py
    assert U.parse_unit("%").dimension_name() == "dimensionless"


def test_spelled_out_units_are_understood():
    assert U.parse_unit("hectares").name == "ha" and U.parse_unit("metres").name == "m"
