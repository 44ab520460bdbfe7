"""Units of measure on pint: parsing, dimensions, conversions with offsets, checked at compile time.

A :class:`Unit` is plain data (pint's dimensionality, the factor and offset
to pint's root units, the name the pack wrote, and pint's own spelling), so
a checked standard pickles without pint. The checker asks a
:class:`UnitSystem` — pint's full default registry, the few units nbscheck
adds, and the units the pack declares — what a unit is, what ``a + b`` and
``a * b`` are, and how to convert one unit to another; the compiler then
applies the answer as a constant ``x * factor + offset``.

What pint decides, nbscheck decides the same way:

- a comparison converts one side to the other's unit, offsets included:
  ``30 degC < 300 K`` compares 303.15 K with 300 K, and is false;
- adding or multiplying temperatures on an offset scale is ambiguous (is
  ``30 degC + 5 degC`` 35 degC or 308.15 degC?) and is a lint error; the
  difference of two ``degC`` is a ``delta_degC``, which adds to a ``degC``;
- counts of things (persons, trees, species, and every unit a pack declares
  with ``unit NAME``) are dimensions of their own: 30 trees is neither 30 %
  nor 30 persons; currencies are dimensions of their own and never convert.

pint itself is imported only when a pack is checked that writes a unit
other than the common ones nbscheck knows without it (``ha``, ``m2``, ``%``,
``degC``, ``years`` and the rest of :data:`KNOWN_UNITS`, with the answers pint
gives for them), or declares units of its own; a checked pack read from the
cache never loads it.

>>> DEFAULT.conversion(parse_unit("ha"), parse_unit("m2"))
(10000.0, 0.0)
>>> DEFAULT.conversion(parse_unit("degC"), parse_unit("K"))
(1.0, 273.15)
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass
from typing import Any

Dims = tuple[tuple[str, int], ...]


class UnitError(ValueError):
    """An unknown unit, or an operation pint refuses on these units (the message says which)."""


@dataclass(frozen=True)
class Unit:
    """pint's dimensionality, ``value * scale + offset`` in pint's root units, the name to print, pint's spelling."""

    dims: Dims
    scale: float
    name: str
    offset: float = 0.0
    expr: str = "dimensionless"

    @property
    def dimensionless(self) -> bool:
        return not self.dims

    @property
    def on_offset_scale(self) -> bool:
        """A reading on a scale whose zero is not the quantity's zero (degC, degF)."""
        return self.offset != 0.0

    def dimension_name(self) -> str:
        """The kind of quantity in words: "area", "a count of trees", "area per person", "CNY money"."""
        if self.dimensionless:
            return "dimensionless"
        up = [(d, p) for d, p in self.dims if p > 0]
        down = [(d, -p) for d, p in self.dims if p < 0]
        text = _dims_name(up) or "a number"
        if text == "temperature" and self.expr.startswith("delta_"):
            text = "a temperature difference"
        if len(down) == 1 and down[0][1] == 1 and down[0][0].strip("[]") in _COUNTS:
            return f"{text} per {_COUNTS[down[0][0].strip('[]')]}"
        return f"{text} per {_dims_name(down)}" if down else text

    def __str__(self) -> str:
        return self.name


_DIM_NAMES = {"length": "length", "temperature": "temperature", "time": "time", "mass": "mass"}
_COUNTS = {"persons": "person", "trees": "tree", "species": "species"}  # dimension -> one of them


def _dims_name(dims: list[tuple[str, int]]) -> str:
    parts = []
    for dim, power in dims:
        base = dim.strip("[]")
        label = _DIM_NAMES.get(base) or (f"{base[len('currency_'):]} money" if base.startswith("currency_")
                                          else f"a count of {base}" if base in _COUNTS else base)
        parts.append(label if power == 1 else f"{label}^{power}")
    joined = " × ".join(parts)
    return {"length^2": "area", "length^3": "volume"}.get(joined, joined)


DIMENSIONLESS = Unit((), 1.0, "", 0.0, "dimensionless")
PERCENT = Unit((), 0.01, "%", 0.0, "percent")
METRE = Unit((("[length]", 1),), 1.0, "m", 0.0, "meter")
SQUARE_METRE = Unit((("[length]", 2),), 1.0, "m2", 0.0, "meter ** 2")

# what nbscheck adds to pint's registry: counts, currencies, and the international acre (pint's `acre` is the
# US survey acre, 4046.87 m2; the international one, 4046.8564224 m2, is the one in use in the UK and, since
# the survey foot was retired in 2022, in the US)
_EXTRA = (
    "ratio = []",
    "person = [persons]",
    "tree = [trees]",
    "species = [species]",
    "international_acre = 4046.8564224 * meter ** 2",
    *(f"{c} = [currency_{c}]" for c in ("CNY", "EUR", "USD", "GBP")),
)
# the names packs write -> pint's spelling, for those pint spells otherwise
_PINT_NAMES = {"1": "dimensionless", "acre": "international_acre", "acres": "international_acre", "sqm": "m**2",
               "%": "percent", "persons": "person", "trees": "tree"}
# spellings that print as a shorter name
_ALIASES = {"year": "years", "day": "days", "month": "months", "person": "persons",
            "hectare": "ha", "hectares": "ha", "metre": "m", "metres": "m", "meter": "m", "meters": "m",
            "kilometre": "km", "kilometres": "km", "kilometer": "km", "kilometers": "km", "sqm": "m2",
            "tree": "trees", "m^2": "m2", "km^2": "km2", "percent": "%", "acres": "acre"}
# names offered in did-you-mean hints and chosen for the results of products (m * m is m2)
COMMON_UNITS = ("%", "m", "km", "mm", "cm", "ft", "mi", "m2", "ha", "km2", "acre", "m3", "degC", "degF", "K",
                "delta_degC", "days", "months", "years", "kg", "t", "CNY", "EUR", "USD", "GBP", "persons",
                "trees", "species", "ratio")
KNOWN_UNITS = tuple(sorted(set(COMMON_UNITS) | set(_ALIASES)))
# What pint answers for the names above (dimensionality, scale and offset to pint's root units, pint's spelling),
# so that a pack using only these never loads pint (half a second); tests/test_units.py checks every entry
# against pint.
_BUILTIN: tuple[tuple[tuple[str, ...], Dims, float, float, str], ...] = (
    (("%", "percent"), (), 0.01, 0.0, "percent"),
    (("1",), (), 1.0, 0.0, "dimensionless"),
    (("ratio",), (), 1.0, 0.0, "ratio"),
    (("CNY",), (("[currency_CNY]", 1),), 1.0, 0.0, "CNY"),
    (("EUR",), (("[currency_EUR]", 1),), 1.0, 0.0, "EUR"),
    (("GBP",), (("[currency_GBP]", 1),), 1.0, 0.0, "GBP"),
    (("USD",), (("[currency_USD]", 1),), 1.0, 0.0, "USD"),
    (("K",), (("[temperature]", 1),), 1.0, 0.0, "kelvin"),
    (("degC",), (("[temperature]", 1),), 1.0, 273.15, "degree_Celsius"),
    (("degF",), (("[temperature]", 1),), 0.555555555556, 255.37222222222223, "degree_Fahrenheit"),
    (("delta_degC",), (("[temperature]", 1),), 1.0, 0.0, "delta_degree_Celsius"),
    (("delta_degF",), (("[temperature]", 1),), 0.5555555555555556, 0.0, "delta_degree_Fahrenheit"),
    (("mm",), (("[length]", 1),), 0.001, 0.0, "millimeter"),
    (("cm",), (("[length]", 1),), 0.01, 0.0, "centimeter"),
    (("m", "meter", "meters", "metre", "metres"), (("[length]", 1),), 1.0, 0.0, "meter"),
    (("km", "kilometer", "kilometers", "kilometre", "kilometres"), (("[length]", 1),), 1000.0, 0.0, "kilometer"),
    (("ft",), (("[length]", 1),), 0.30479999999999996, 0.0, "foot"),
    (("mi",), (("[length]", 1),), 1609.344, 0.0, "mile"),
    (("m2", "m^2", "sqm"), (("[length]", 2),), 1.0, 0.0, "meter ** 2"),
    (("ha", "hectare", "hectares"), (("[length]", 2),), 10000.0, 0.0, "hectare"),
    (("km2", "km^2"), (("[length]", 2),), 1000000.0, 0.0, "kilometer ** 2"),
    (("acre", "acres"), (("[length]", 2),), 4046.8564224, 0.0, "international_acre"),
    (("m3",), (("[length]", 3),), 1.0, 0.0, "meter ** 3"),
    (("day", "days"), (("[time]", 1),), 86400.0, 0.0, "day"),
    (("month", "months"), (("[time]", 1),), 2629800.0, 0.0, "month"),
    (("year", "years"), (("[time]", 1),), 31557600.0, 0.0, "year"),
    (("kg",), (("[mass]", 1),), 1000.0, 0.0, "kilogram"),
    (("t",), (("[mass]", 1),), 1000000.0, 0.0, "metric_ton"),
    (("person", "persons"), (("[persons]", 1),), 1.0, 0.0, "person"),
    (("tree", "trees"), (("[trees]", 1),), 1.0, 0.0, "tree"),
    (("species",), (("[species]", 1),), 1.0, 0.0, "species"),
)
_POWER = re.compile(r"(?<=[A-Za-z])([23])\b")  # m2 -> m**2, km3 -> km**3


def _pint_text(text: str) -> str:
    """A unit as the pack writes it, in pint's syntax (``m2/persons`` -> ``m**2/person``)."""
    return "/".join(_PINT_NAMES.get(p, _POWER.sub(r"**\1", p.replace("^", "**"))) for p in text.split("/"))


@dataclass(frozen=True)
class UnitDef:
    """A unit a pack declares: a new kind of quantity (``base`` None), or ``factor`` times ``base``."""

    name: str
    factor: float | None = None
    base: str | None = None


@functools.cache
def _pint() -> Any:
    import pint  # about half a second: imported only when a pack is checked

    return pint


class UnitSystem:
    """pint's default registry with nbscheck's additions and a pack's own units (:class:`UnitDef`)."""

    def __init__(self, defs: tuple[UnitDef, ...] = ()):
        self.defs = defs
        self.errors: dict[str, tuple[str, str]] = {}  # a declared unit that could not be defined -> (code, why)
        self._units: dict[str, Unit] = {}

    @functools.cached_property
    def registry(self) -> Any:
        pint = _pint()
        reg = pint.UnitRegistry(on_redefinition="raise", autoconvert_offset_to_baseunit=False)
        for line in _EXTRA:
            reg.define(line)
        for d in self.defs:
            try:
                if d.base is None:
                    reg.define(f"{d.name} = [{d.name}]")
                else:
                    base = self.parse(d.base, reg)
                    if base.on_offset_scale:
                        raise UnitError(f"`{d.base}` is on an offset scale; define units from K or delta_degC")
                    reg.define(f"{d.name} = {d.factor!r} * {base.expr}")
            except UnitError as e:
                self.errors[d.name] = ("unknown-unit", f"unit `{d.name}`: {e}")
            except pint.errors.RedefinitionError:
                self.errors[d.name] = ("duplicate-id", f"`{d.name}` is already a unit ({reg.parse_units(d.name)})")
            except (pint.errors.DefinitionSyntaxError, ValueError) as e:
                self.errors[d.name] = ("unknown-unit", f"unit `{d.name}` cannot be defined: {e}")
        return reg

    def names(self) -> tuple[str, ...]:
        """Names to suggest in a did-you-mean hint."""
        return tuple(sorted(set(KNOWN_UNITS) | {d.name for d in self.defs}))

    def parse(self, text: str, reg: Any = None) -> Unit:
        """The unit a pack writes as ``text`` (``ha``, ``m2/persons``, ``degC``, a declared ``habitat_unit``)."""
        got = self._units.get(text) or _builtin_units().get(text)
        if got is not None:
            return got
        reg = reg if reg is not None else self.registry
        pint = _pint()
        try:
            units = reg.parse_units(_pint_text(text))
            root0 = float(reg.Quantity(0.0, units).to_root_units().magnitude)
            root1 = float(reg.Quantity(1.0, units).to_root_units().magnitude)
        except pint.errors.OffsetUnitCalculusError:
            raise UnitError(f"`{text}` combines a temperature on an offset scale with another unit; "
                            "use K or delta_degC in compound units") from None
        except (pint.errors.PintError, AttributeError, TypeError, ValueError, AssertionError):
            raise UnitError(f"unknown unit `{text}`") from None
        scale, offset = (root1, 0.0) if root0 == 0.0 else (float(f"{root1 - root0:.12g}"), root0)
        dims = tuple(sorted((str(k), int(v)) for k, v in units.dimensionality.items()))
        key = _ALIASES.get(text, text)
        unit = Unit(dims, scale, "" if key in ("1", "ratio") else key, offset, str(units) or "dimensionless")
        self._units[text] = unit
        return unit

    def conversion(self, src: Unit, dst: Unit) -> tuple[float, float]:
        """``(factor, offset)`` with ``value_in_dst = value_in_src * factor + offset``, as pint converts.

        A reading and a difference (``degC`` and ``delta_degC``) do not convert: pint refuses, and so does this.
        """
        if src.dims != dst.dims or _delta(src) != _delta(dst):
            what = ": a temperature and a temperature difference do not convert" if src.dims == dst.dims else ""
            raise UnitError(f"cannot convert {src.dimension_name()} ({src.name or 'no unit'}) to "
                            f"{dst.dimension_name()} ({dst.name or 'no unit'}){what}")
        factor = src.scale / dst.scale
        return factor, (src.offset - dst.offset) / dst.scale

    def add(self, a: Unit, b: Unit, op: str) -> tuple[Unit, float]:
        """The unit of ``a + b`` or ``a - b`` and the factor that brings ``b`` into ``a``'s scale.

        As pint: the difference of two readings on an offset scale is a difference (``degC - degC`` is
        ``delta_degC``); a reading plus or minus a difference is a reading; any other sum or difference with
        an offset unit is ambiguous and refused. nbscheck asks for the reading on the left (pint also takes
        ``delta_degC + degC``) and for both readings of a difference in one unit.
        """
        verb = "add" if op == "+" else "subtract"
        if a.dims != b.dims:
            raise UnitError(f"cannot {verb} {b.dimension_name()} ({b.name or 'no unit'}) and {a.dimension_name()} "
                            f"({a.name or 'no unit'})")
        if not (a.on_offset_scale or b.on_offset_scale):
            return a, b.scale / a.scale
        if a.on_offset_scale and b.on_offset_scale:
            if op == "+":
                raise UnitError(f"`{a.name} + {b.name}` is ambiguous: adding two readings on an offset scale "
                                "(is 30 degC + 5 degC 35 degC or 308.15 degC?)")
            if a.expr != b.expr:
                raise UnitError(f"subtract readings in one unit: convert one side first (`x as {a.name}`)")
            delta = self.parse(f"delta_{a.name}")
            return Unit(delta.dims, delta.scale, f"delta_{a.name}", 0.0, delta.expr), 1.0
        if a.on_offset_scale and _delta(b):
            return a, b.scale / a.scale
        if b.on_offset_scale and _delta(a) and op == "+":
            raise UnitError(f"write the reading first: `{b.name} + {a.name}`")
        raise UnitError(f"cannot {verb} {b.name} and {a.name}: a reading on an offset scale takes only a "
                        f"difference (delta_{(a if a.on_offset_scale else b).name})")

    def product(self, a: Unit, b: Unit, op: str) -> tuple[Unit, float]:
        """The unit of ``a op b`` (op is * or /) and the factor that brings the raw product into it.

        A dimensionless result is a plain ratio (ha / km2 = 0.01: the factor applies it), except where a
        percentage took part and the result is in percent (100 % * a / b stays in %). A temperature on an
        offset scale does not multiply (pint refuses: convert it to K first).
        """
        for u in (a, b):
            if u.on_offset_scale:
                raise UnitError(f"a temperature in {u.name} does not multiply or divide: its zero is not zero "
                                f"(convert it first: `x as K`, or use a difference in delta_{u.name})")
        dims = _combine(a.dims, b.dims, 1 if op == "*" else -1)
        scale = a.scale * b.scale if op == "*" else a.scale / b.scale
        if not dims:
            target = PERCENT if "%" in (a.name + b.name) and math.isclose(scale, 0.01, rel_tol=1e-12) else DIMENSIONLESS
            return target, scale / target.scale
        for name in COMMON_UNITS:  # m * m is m2
            known = self.parse(name)
            if known.dims == dims and not known.on_offset_scale and math.isclose(known.scale, scale, rel_tol=1e-12):
                return known, 1.0
        sep = "*" if op == "*" else "/"
        return Unit(dims, scale, _compose(a.name, sep, b.name), 0.0, f"({a.expr}) {sep} ({b.expr})"), 1.0


@functools.cache
def _builtin_units() -> dict[str, Unit]:
    """The units of :data:`_BUILTIN` by every name a pack may write them with."""
    out = {}
    for names, dims, scale, offset, expr in _BUILTIN:
        for text in names:
            key = _ALIASES.get(text, text)
            out[text] = Unit(dims, scale, "" if key in ("1", "ratio") else key, offset, expr)
    return out


def _delta(u: Unit) -> bool:
    return u.expr.startswith("delta_")


def _combine(a: Dims, b: Dims, sign: int) -> Dims:
    out = dict(a)
    for k, v in b:
        out[k] = out.get(k, 0) + sign * v
    return tuple(sorted((k, v) for k, v in out.items() if v))


def _compose(a: str, op: str, b: str) -> str:
    if not a:
        return f"1/{b}" if op == "/" and b else b
    if not b:
        return a
    return f"{a}{op}{b}"


DEFAULT = UnitSystem()


@functools.lru_cache(maxsize=16)
def system(defs: tuple[UnitDef, ...] = ()) -> UnitSystem:
    """The unit system of a pack that declares ``defs`` (one per distinct set of declarations)."""
    return DEFAULT if not defs else UnitSystem(defs)


def parse_unit(text: str, units: UnitSystem = DEFAULT) -> Unit:
    """A unit from its name, or ``a/b`` for a quotient (``m2/persons``)."""
    return units.parse(text)


def same_dimension(a: Unit, b: Unit) -> bool:
    return a.dims == b.dims
