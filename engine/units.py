"""Units of measure: dimensions, scales and conversion, checked at compile time.

A unit is a dimension vector and a scale to the dimension's base unit. Values
keep the unit they were written in; the compiler inserts a constant factor
where two units of one dimension meet, and refuses to mix dimensions.

>>> convert_factor(parse_unit("ha"), parse_unit("m2"))
10000.0
"""

from __future__ import annotations

from dataclasses import dataclass

# base dimensions: length, temperature, time, mass, and one per currency
# degC is a base of its own: a reading in degC converts to kelvin with an offset (30 degC = 303.15 K) but a
# difference without one (2.5 degC warmer = 2.5 K warmer), and a rule's value does not say which it is; so
# the two never mix, and a rule writes both sides in one of them
_BASES = ("L", "K", "T", "M", "CNY", "EUR", "USD", "GBP", "C", "persons", "trees", "species")

_DEFS: dict[str, tuple[dict[str, int], float]] = {
    "1": ({}, 1.0),
    "ratio": ({}, 1.0),
    "%": ({}, 0.01),
    "mm": ({"L": 1}, 0.001),
    "cm": ({"L": 1}, 0.01),
    "m": ({"L": 1}, 1.0),
    "km": ({"L": 1}, 1000.0),
    "ft": ({"L": 1}, 0.3048),
    "mi": ({"L": 1}, 1609.344),
    "m2": ({"L": 2}, 1.0),
    "ha": ({"L": 2}, 1e4),
    "km2": ({"L": 2}, 1e6),
    "acre": ({"L": 2}, 4046.8564224),
    "m3": ({"L": 3}, 1.0),
    "degC": ({"C": 1}, 1.0),
    "K": ({"K": 1}, 1.0),
    "days": ({"T": 1}, 1 / 365.25),
    "months": ({"T": 1}, 1 / 12),
    "years": ({"T": 1}, 1.0),
    "kg": ({"M": 1}, 0.001),
    "t": ({"M": 1}, 1.0),
    "CNY": ({"CNY": 1}, 1.0),
    "EUR": ({"EUR": 1}, 1.0),
    "USD": ({"USD": 1}, 1.0),
    "GBP": ({"GBP": 1}, 1.0),
    # counts of things are dimensions of their own: 30 trees is not 30 %, nor 30 persons
    "persons": ({"persons": 1}, 1.0),
    "trees": ({"trees": 1}, 1.0),
    "species": ({"species": 1}, 1.0),
}
_ALIASES = {"year": "years", "day": "days", "month": "months", "person": "persons",
            "hectare": "ha", "hectares": "ha", "metre": "m", "metres": "m", "meter": "m", "meters": "m",
            "kilometre": "km", "kilometres": "km", "kilometer": "km", "kilometers": "km", "sqm": "m2",
            "tree": "trees", "m^2": "m2", "km^2": "km2", "percent": "%", "acres": "acre"}

KNOWN_UNITS = tuple(sorted(set(_DEFS) | set(_ALIASES)))


@dataclass(frozen=True)
class Unit:
    """A dimension vector, a scale to base units, and the name to print."""

    dims: tuple[int, ...]
    scale: float
    name: str

    @property
    def dimensionless(self) -> bool:
        return not any(self.dims)

    def dimension_name(self) -> str:
        if self.dimensionless:
            return "dimensionless"
        names = {"L": "length", "K": "temperature in K", "T": "time", "M": "mass", "C": "temperature in degC",
                 "persons": "a count of persons", "trees": "a count of trees", "species": "a count of species"}
        per = {"persons": "person", "trees": "tree", "species": "species"}
        parts, each = [], []
        for base, power in zip(_BASES, self.dims):
            if power == -1 and base in per:  # m2/persons: area per person
                each.append(per[base])
            elif power:
                label = names.get(base, f"{base} money")
                parts.append(label if power == 1 else f"{label}^{power}")
        joined = " × ".join(parts)
        text = {"length^2": "area", "length^3": "volume"}.get(joined, joined or "a number")
        return text + "".join(f" per {x}" for x in each)

    def __str__(self) -> str:
        return self.name


def _vec(d: dict[str, int]) -> tuple[int, ...]:
    return tuple(d.get(b, 0) for b in _BASES)


DIMENSIONLESS = Unit(_vec({}), 1.0, "")


class UnitError(ValueError):
    """An unknown unit name."""


def parse_unit(text: str) -> Unit:
    """A unit from its name, or ``a/b`` for a quotient (``m2/persons``)."""
    if "/" in text:
        num, den = text.split("/", 1)
        return divide(parse_unit(num), parse_unit(den), name=text)
    key = _ALIASES.get(text, text)
    if key not in _DEFS:
        raise UnitError(text)
    dims, scale = _DEFS[key]
    return Unit(_vec(dims), scale, "" if key in ("1", "ratio") else key)


def same_dimension(a: Unit, b: Unit) -> bool:
    return a.dims == b.dims


def convert_factor(src: Unit, dst: Unit) -> float:
    """Multiply a value in ``src`` by this to express it in ``dst``."""
    if src.dims != dst.dims:
        raise ValueError(f"cannot convert {src} to {dst}")
    return src.scale / dst.scale


def _name_for(dims: tuple[int, ...], scale: float) -> str | None:
    """The name of a known unit with these dimensions and scale ("" for a plain ratio), or None."""
    for name, (d, s) in _DEFS.items():
        if name in ("persons", "trees", "species", "ratio"):
            continue
        if _vec(d) == dims and abs(s - scale) < 1e-12 * max(1.0, s):
            return "" if name == "1" else name
    return None


def multiply(a: Unit, b: Unit) -> Unit:
    dims = tuple(x + y for x, y in zip(a.dims, b.dims))
    scale = a.scale * b.scale
    name = _name_for(dims, scale)
    return Unit(dims, scale, _compose(a.name, "*", b.name) if name is None else name)


def divide(a: Unit, b: Unit, name: str | None = None) -> Unit:
    dims = tuple(x - y for x, y in zip(a.dims, b.dims))
    scale = a.scale / b.scale
    if name is None:
        name = _name_for(dims, scale)
    return Unit(dims, scale, _compose(a.name, "/", b.name) if name is None else name)


def _compose(a: str, op: str, b: str) -> str:
    if not a:
        return f"1/{b}" if op == "/" and b else b
    if not b:
        return a
    return f"{a}{op}{b}"


PERCENT = Unit(_vec({}), 0.01, "%")


def product_unit(a: Unit, b: Unit, op: str) -> tuple[Unit, float]:
    """The unit of ``a op b`` (op is * or /) and the factor that brings the raw product into it.

    A dimensionless result is a plain ratio (ha / km2 = 0.01: the factor applies it), except
    where a percentage took part and the result is in percent (100 % * a / b stays in %).
    """
    raw = multiply(a, b) if op == "*" else divide(a, b)
    if not raw.dimensionless:
        return raw, 1.0
    target = PERCENT if "%" in (a.name + b.name) and abs(raw.scale - 0.01) < 1e-12 else DIMENSIONLESS
    return target, raw.scale / target.scale
