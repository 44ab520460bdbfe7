"""The field names of the frozen dataclasses both node trees (the syntax tree and the checked
model) are made of, read once per class: walking a tree asks for them at every node."""

from __future__ import annotations

from dataclasses import fields

_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def field_names(cls: type) -> tuple[str, ...]:
    """The names of ``cls``'s dataclass fields, in declaration order."""
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(f.name for f in fields(cls))
    return names
