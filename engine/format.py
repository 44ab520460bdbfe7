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
        return plain_floats(s.to_numpy(dtype="float64", na_value=float("nan")))
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


def rounded(x, digits: int = SIGNIFICANT):
    """``float(f"{v:.{digits}g}")`` of each value of a float array, bit for bit (NaN and infinities kept).

    Scaled to ``digits`` digits before the point, a value is rounded to the nearest integer and scaled
    back by an exact power of ten: both steps are correctly rounded, so the result is the double nearest
    the decimal the text gives. A value whose scaled form lies within its own rounding error of a tie,
    or is out of the exact powers' range, goes through the text.

    >>> import numpy as np; rounded(np.array([0.1 + 0.2, 1 / 3, 2.5e-13, -0.0])).tolist()
    [0.3, 0.333333333333, 2.5e-13, -0.0]
    """
    import numpy as np

    out = np.array(x, dtype="float64")
    ax = np.abs(out)
    ok = np.isfinite(out) & (ax > 0)
    with np.errstate(all="ignore"):
        k = (digits - 1) - np.floor(np.log10(np.where(ok, ax, 1.0)))
        ok &= np.abs(k) <= 22
        k = np.where(ok, k, 0.0)
        p = 10.0 ** np.abs(k)  # exact below 1e23
        up = k >= 0
        y = np.where(up, out * p, out / p)
        ay = np.abs(y)
        ok &= (ay >= 10.0 ** (digits - 1)) & (ay < 10.0 ** digits) & (np.abs(ay - np.floor(ay) - 0.5) > 1e-3)
        r = np.rint(y)
        out = np.where(ok, np.where(up, r / p, r * p), out)
    slow = np.flatnonzero(~ok & np.isfinite(out) & (ax > 0))
    if len(slow):
        out[slow] = [float(f"{v:.{digits}g}") for v in out[slow].tolist()]
    return out


def plain_floats(x) -> list:
    """:func:`plain` of each value of a float array: to 12 significant digits, a whole number as an int,
    NaN and infinities as None."""
    import numpy as np

    r = rounded(x)
    whole = np.isfinite(r) & (r == np.floor(r)) & (np.abs(r) < 2**53)
    out = r.astype(object)
    if whole.any():
        out[whole] = r[whole].astype(np.int64).astype(object)
    out[~np.isfinite(r)] = None
    return out.tolist()


def number_texts(x) -> list[str]:
    """:func:`number` of each value of a float array (NaN gives ``(missing)``), each distinct value formatted
    once.

    >>> import numpy as np; number_texts(np.array([5.4987, 140.714, 30.0, np.nan, 5.4987, -0.0]))
    ['5.499', '140.71', '30', '(missing)', '5.499', '0']
    """
    import numpy as np
    import pandas as pd

    codes, u = pd.factorize(np.asarray(x, dtype="float64"), use_na_sentinel=True)
    u = np.asarray(u, dtype="float64")
    au = np.abs(u)
    with np.errstate(invalid="ignore"):
        whole = np.isfinite(u) & (u == np.floor(u)) & (au < 1e15)
    big = ~whole & (au >= 100)
    small = ~whole & ~big
    table = np.empty(len(u) + 1, dtype=object)
    table[np.flatnonzero(whole)] = list(map(str, u[whole].astype(np.int64).tolist()))
    table[np.flatnonzero(big)] = [f"{v:.2f}".rstrip("0").rstrip(".") for v in u[big].tolist()]
    table[np.flatnonzero(small)] = [f"{v:.4g}" for v in u[small].tolist()]
    table[-1] = MISSING
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


COUNTED = ("year", "day", "month", "person", "tree")  # units a count of one reads in the singular
_ONE_UNIT = re.compile(rf"(?<![\d.,])1 ({'|'.join(COUNTED)})s\b")
_ONES = tuple(f"1 {unit}s" for unit in COUNTED)


def one_in_singular(text: str) -> str:
    """A message's ``1 years`` (the value one before a counted unit's plural) as ``1 year``.

    >>> one_in_singular("maintenance is committed for 1 years; the standard asks for 3 years, not 0.1 years")
    'maintenance is committed for 1 year; the standard asks for 3 years, not 0.1 years'
    """
    return _ONE_UNIT.sub(r"1 \1", text)


def singular_list(texts: list[str]) -> list[str]:
    """:func:`one_in_singular` of each text; only the texts that hold ``1 years`` (or another counted unit's
    plural after 1) are searched, and none when all of them together hold none."""
    joined = "\n".join(texts)
    if not any(one in joined for one in _ONES):
        return texts
    return [one_in_singular(x) if any(one in x for one in _ONES) else x for x in texts]


def value_texts(s: pd.Series) -> list[str]:
    """:func:`value` of each item of a column (as ``s.tolist()`` gives them), each category or distinct number
    formatted once.

    >>> import pandas as pd; value_texts(pd.Series(["b", None, "a"], dtype="category"))
    ['b', '(missing)', 'a']
    """
    import numpy as np
    import pandas as pd

    dtype = s.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        cats = np.array([value(c) for c in s.cat.categories] + [MISSING], dtype=object)
        return cats[s.cat.codes.to_numpy()].tolist()
    kind = getattr(dtype, "kind", "O")
    if kind == "f":
        return number_texts(s.to_numpy(dtype="float64", na_value=float("nan")))
    if kind in "iu":
        empty = s.isna().to_numpy()
        texts = list(map(str, s.to_numpy(dtype="int64" if kind == "i" else "uint64", na_value=0).tolist()))
        for i in np.flatnonzero(empty).tolist():
            texts[i] = MISSING
        return texts
    if kind == "b" and isinstance(dtype, np.dtype):
        return np.where(s.to_numpy(), YES, NO).astype(object).tolist()
    if pd.api.types.is_string_dtype(dtype) and str(dtype) != "object":
        return s.astype(object).where(s.notna(), MISSING).tolist()
    return [value(x) for x in s.tolist()]


def value_list(s: pd.Series) -> list[str]:
    """:func:`value` applied to a whole column (a column of Python objects: of their :func:`plain` copies)."""
    if s.dtype == object:
        return [value(x) for x in plain_list(s)]
    return value_texts(s)


def apart_list(values: pd.Series | Any, thresholds: pd.Series | Any) -> list[str]:
    """:func:`apart`'s value text for each row: the values and the thresholds are each a column or one value
    (at least one a column, of the same length); the texts read the same as :func:`value` gives them except
    where a value would read as its threshold does."""
    import numpy as np
    import pandas as pd

    columns = [x for x in (values, thresholds) if isinstance(x, pd.Series)]
    n = len(columns[0])
    texts = value_texts(values) if isinstance(values, pd.Series) else [value(values)] * n
    limits = value_texts(thresholds) if isinstance(thresholds, pd.Series) else value(thresholds)
    same = np.flatnonzero(np.asarray(texts, dtype=object) == np.asarray(limits, dtype=object))
    if len(same):  # told apart with more digits, one at a time (rare: the value reads as the threshold does)
        xs = values.iloc[same].tolist() if isinstance(values, pd.Series) else [values] * len(same)
        ts = thresholds.iloc[same].tolist() if isinstance(thresholds, pd.Series) else [thresholds] * len(same)
        for i, x, t in zip(same.tolist(), xs, ts):
            texts[i] = apart(x, t)[0]
    return texts


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
