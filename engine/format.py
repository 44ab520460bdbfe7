"""Values as every output shows them: one module, so a number, a missing value and a boolean read the
same in messages, evidence, text, HTML, Markdown, CSV, SARIF and ``explain``.

- A missing value is ``(missing)`` in text and ``null`` in JSON.
- A boolean is ``yes`` / ``no`` in text and ``true`` / ``false`` in JSON.
- A number in a sentence has four significant digits below 100 and two decimals above
  (:func:`number`); a value from the plan's own data is shown as given, up to 12 significant
  digits (:func:`exact`); JSON carries 12 significant digits (:func:`plain`), enough to tell apart
  any two values the engine's comparisons tell apart (they treat a relative difference below 1e-9
  as equality).
- A value shown next to the threshold it failed never reads equal to it: :func:`apart` adds the
  fewest digits that tell them apart (29.996 against 30 shows as ``29.996``, not ``30``).
- A shape is never shown as its coordinates: JSON carries a summary (:func:`shape_summary`: its
  kind, parts, and area or length in the working CRS's metres) and text reads
  ``multipolygon (3 parts), 12.8 ha``; the shape itself travels once, as the finding's ``geometry``.

>>> number(5.4987), number(140.714), number(30.0), value(None), value(True)
('5.499', '140.71', '30', '(missing)', 'yes')
>>> value({"geometry": "multipolygon", "parts": 3, "area_m2": 128_000.0}), value({"geometry": "point"})
('multipolygon (3 parts), 12.8 ha', 'point')
>>> apart(29.996, 30.0), apart(300.004, 300.0), apart(45.0, 30.0)
(('29.996', '30'), ('300.004', '300'), ('45', '30'))
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pandas is imported by the functions over columns only: renderers load this module cheaply
    import pandas as pd

MISSING = "(missing)"
YES, NO = "yes", "no"
SIGNIFICANT = 12  # digits JSON keeps; two values the engine tells apart differ within them


def _is_missing(v: Any) -> bool:
    if v is None or type(v).__name__ in ("NAType", "NaTType"):
        return True
    return isinstance(v, numbers.Real) and not isinstance(v, numbers.Integral) and math.isnan(v)


def _is_bool(v: Any) -> bool:
    return isinstance(v, bool) or type(v).__name__ in ("bool", "bool_")  # numpy names its bool `bool` or `bool_`


def _is_shape(v: Any) -> bool:
    return type(v).__module__.startswith("shapely")


def shape_summary(geom: Any) -> dict:
    """What JSON carries for a shape: ``{"geometry": "polygon", "area_m2": 24100.5}``; a multi-part
    shape adds ``parts``, a line gives ``length_m`` (measured in the working CRS, whose unit is the
    metre), a point neither."""
    kind = geom.geom_type.lower()
    out: dict[str, Any] = {"geometry": "empty" if geom.is_empty else kind}
    if geom.is_empty:
        return out
    if kind.startswith("multi") or kind == "geometrycollection":
        out["parts"] = len(geom.geoms)
    if geom.area > 0:
        out["area_m2"] = plain(round(geom.area, 2))
    elif geom.length > 0:
        out["length_m"] = plain(round(geom.length, 2))
    return out


def _is_summary(v: Any) -> bool:
    return isinstance(v, dict) and isinstance(v.get("geometry"), str)


def shape_text(s: dict) -> str:
    """A shape's summary as text: ``polygon, 2.41 ha``, ``multipolygon (3 parts), 12.8 ha``,
    ``line, 1.2 km``, ``point``; an area below a hectare in m², a length below a kilometre in m."""
    kind = {"linestring": "line", "multilinestring": "multiline", "geometrycollection": "collection"}.get(
        s["geometry"], s["geometry"])
    n = s.get("parts")
    text = kind if n is None else f"{kind} ({n} part{'' if n == 1 else 's'})"
    if s.get("area_m2") is not None:
        a = float(s["area_m2"])
        return f"{text}, {number(a / 10_000)} ha" if a >= 10_000 else f"{text}, {number(a)} m²"
    if s.get("length_m") is not None:
        d = float(s["length_m"])
        return f"{text}, {number(d / 1000)} km" if d >= 1000 else f"{text}, {number(d)} m"
    return text


def plain(v: Any) -> Any:
    """A JSON-ready copy of a value: numbers to 12 significant digits, NaN as None, dates as ISO text,
    a shape as its :func:`shape_summary`."""
    if _is_missing(v):
        return None
    if _is_shape(v):
        return shape_summary(v)
    if _is_bool(v):
        return bool(v)
    if isinstance(v, numbers.Integral):
        return int(v)
    if isinstance(v, numbers.Real):
        if math.isinf(v):
            return None
        r = float(f"{float(v):.{SIGNIFICANT}g}")
        return int(r) if r.is_integer() and abs(r) < 2**53 else r
    if isinstance(v, dt.date):
        return v.strftime("%Y-%m-%d")
    return str(v)


def plain_list(s: pd.Series) -> list:
    """:func:`plain` applied to a whole column, converting once per column."""
    import pandas as pd

    if isinstance(s.dtype, pd.CategoricalDtype):
        cats = [str(c) for c in s.cat.categories] + [None]
        codes = s.cat.codes.to_numpy()
        return [cats[c] for c in codes]
    kind = getattr(s.dtype, "kind", "O")
    if kind == "f":
        return by_unique(s.to_numpy(dtype="float64"), plain, None)
    if kind == "M":
        return s.dt.strftime("%Y-%m-%d").astype(object).where(s.notna(), None).tolist()
    if (pd.api.types.is_string_dtype(s.dtype) and s.dtype != object) or str(s.dtype) == "boolean":
        return s.astype(object).where(s.notna(), None).tolist()
    return [plain(x) for x in s.astype(object).where(s.notna(), None).tolist()]


def by_unique(values, fn, missing: Any) -> list:
    """``fn`` of each value of a float array, called once per distinct value (NaN gives ``missing``).

    >>> import numpy as np; by_unique(np.array([2.5, np.nan, 2.5]), number, MISSING)
    ['2.5', '(missing)', '2.5']
    """
    import numpy as np
    import pandas as pd

    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    table = np.empty(len(uniques) + 1, dtype=object)
    table[:-1] = [fn(u) for u in uniques.tolist()]
    table[-1] = missing
    return table[codes].tolist()


def number(x: float) -> str:
    """A number in a sentence: four significant digits below 100 (5.4985 shows as 5.499), two decimals
    above; whole numbers without a decimal point."""
    if x != x:
        return MISSING
    if float(x).is_integer() and abs(x) < 1e15:
        return str(int(x))
    if abs(x) >= 100:
        return f"{x:.2f}".rstrip("0").rstrip(".")
    return f"{x:.4g}"


def exact(x: float) -> str:
    """A number as given: up to 12 significant digits, no trailing zeros."""
    if x != x:
        return MISSING
    if float(x).is_integer() and abs(x) < 1e15:
        return str(int(x))
    return f"{x:.{SIGNIFICANT}g}"


def apart(x: Any, threshold: Any) -> tuple[str, str]:
    """The texts of a value and of the threshold it is compared with, with the fewest extra digits that
    keep them from reading equal when they differ."""
    a, b = value(x), value(threshold)
    if a != b or not _numeric(x) or not _numeric(threshold) or float(x) == float(threshold):
        return a, b
    for digits in range(5, 17):
        a, b = _trim(f"{float(x):.{digits}g}"), _trim(f"{float(threshold):.{digits}g}")
        if a != b:
            return a, b
    return a, b


def _trim(text: str) -> str:
    if "e" in text or "." not in text:
        return text
    return text.rstrip("0").rstrip(".")


def _numeric(v: Any) -> bool:
    return isinstance(v, numbers.Real) and not _is_bool(v) and not _is_missing(v)


def value(v: Any, given: bool = False) -> str:
    """Any value as text: missing, yes/no, a number (:func:`number`, or :func:`exact` when ``given``:
    a value of the plan's data), a date, or the text itself."""
    if _is_missing(v):
        return MISSING
    if _is_bool(v):
        return YES if v else NO
    if isinstance(v, numbers.Integral):
        return str(int(v))
    if isinstance(v, numbers.Real):
        return exact(float(v)) if given else number(float(v))
    if isinstance(v, dt.date):
        return v.strftime("%Y-%m-%d")
    if isinstance(v, list):
        return " and ".join(value(x, given) for x in v)
    if _is_shape(v):
        v = shape_summary(v)
    if _is_summary(v):
        return shape_text(v)
    return str(v)


def quantity(v: Any, unit: Any = None, text: str | None = None) -> str:
    """A value with its unit name (``30 %``, ``0.3 km``); ``text``: the value already formatted."""
    name = getattr(unit, "name", unit) or ""
    shown = value(v) if text is None else text
    return f"{shown} {name}" if name and not _is_missing(v) else shown


def count(n: int, singular: str, plural: str | None = None) -> str:
    """``n`` things, in the plural unless there is one (``1 rule``, ``2 rules``, ``0 rules``).

    >>> count(1, "column renamed", "columns renamed"), count(3, "rule")
    ('1 column renamed', '3 rules')
    """
    return f"{n} {singular if n == 1 else plural or singular + 's'}"


_ONE_UNIT = re.compile(r"(?<![\d.,])1 (year|day|month|person|tree)s\b")


def one_in_singular(text: str) -> str:
    """A message's ``1 years`` (the value one before a counted unit's plural) as ``1 year``.

    >>> one_in_singular("maintenance is committed for 1 years; the standard asks for 3 years, not 0.1 years")
    'maintenance is committed for 1 year; the standard asks for 3 years, not 0.1 years'
    """
    return _ONE_UNIT.sub(r"1 \1", text)


def value_list(s: pd.Series) -> list[str]:
    """:func:`value` applied to a whole column."""
    import pandas as pd

    if isinstance(s.dtype, pd.CategoricalDtype):
        cats = [value(c) for c in s.cat.categories] + [MISSING]
        return [cats[c] for c in s.cat.codes.to_numpy()]
    if getattr(s.dtype, "kind", "O") == "f":
        return by_unique(s.to_numpy(dtype="float64"), number, MISSING)
    if pd.api.types.is_string_dtype(s.dtype) and s.dtype != object:
        return s.astype(object).where(s.notna(), MISSING).tolist()
    return [value(x) for x in plain_list(s)]


def apart_list(values: pd.Series, thresholds: pd.Series | Any) -> list[str]:
    """:func:`apart`'s value text for each row (the thresholds: a column or one value)."""
    if getattr(values.dtype, "kind", "O") == "f" and not hasattr(thresholds, "tolist"):
        # one threshold: each value's text, and more digits only where it reads as the threshold does
        texts = value_list(values)
        b = value(thresholds)
        if not _numeric(thresholds):
            return texts
        xs = values.to_numpy(dtype="float64")
        for i in [i for i, a in enumerate(texts) if a == b]:
            texts[i] = apart(float(xs[i]), thresholds)[0]
        return texts
    others = thresholds.tolist() if hasattr(thresholds, "tolist") else [thresholds] * len(values)
    return [apart(x, t)[0] for x, t in zip(values.tolist(), others)]


def check_texts(check: dict) -> tuple[str, str]:
    """A comparison of the report's evidence (``actual``, ``required``, ``unit``) as two texts with their
    unit, told apart: ``("29.996 %", "30 %")``; ``between`` bounds read ``1 and 5``."""
    actual, required, unit = check.get("actual"), check.get("required"), check.get("unit") or ""
    if isinstance(required, list):
        texts = [apart(actual, r) for r in required]
        a = next((t[0] for t in texts if t[0] != value(actual)), value(actual))
        return quantity(actual, unit, a), " and ".join(quantity(r, unit, t[1]) for r, t in zip(required, texts))
    a, r = apart(actual, required)
    return quantity(actual, unit, a), quantity(required, unit, r)
