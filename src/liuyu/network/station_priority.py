"""Per-field precedence of agencies when station lists disagree (network/station_priority.toml).

Why a data file: which agency is authoritative for a gauge's position or a section's target class
is an administrative decision of the basin authority, not a property of the code.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from functools import cache
from importlib import resources
from typing import Any

from liuyu.errors import SchemaError

__all__ = ["Priority", "load_priority", "priority_from_dict"]

#: Field names of the file → columns of the stations layer.
_ALIASES = {"coordinates": "geometry", "location": "geometry"}
Priority = Mapping[str, Sequence[str]]


def priority_from_dict(data: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    """Validate parsed TOML (``[fields] name = ["agency", ...]``) into column → patterns."""
    fields = data.get("fields", {})
    out: dict[str, tuple[str, ...]] = {}
    for name, patterns in fields.items():
        if not isinstance(patterns, list) or not all(isinstance(p, str) and p.strip() for p in patterns):
            raise SchemaError(
                f"station_priority.toml [fields] {name}: expected a list of agency names",
                hint='e.g. coordinates = ["水文", "hydrology"]',
            )
        if name in ("code", "aliases", "agency"):
            raise SchemaError(
                f"station_priority.toml: {name!r} cannot be given a priority",
                hint="a station's code, aliases and owning agency are kept by the registry",
            )
        out[_ALIASES.get(name, name)] = tuple(p.strip().casefold() for p in patterns)
    return out


@cache
def load_priority() -> dict[str, tuple[str, ...]]:
    """The precedence shipped in network/station_priority.toml."""
    text = resources.files("liuyu.network").joinpath("station_priority.toml").read_text(encoding="utf-8")
    return priority_from_dict(tomllib.loads(text))


def rank(agency: Any, patterns: Sequence[str]) -> int | None:
    """Position of the first pattern found in ``agency`` (lower wins), None when none matches."""
    if not isinstance(agency, str) or not agency.strip():
        return None
    folded = agency.casefold()
    return next((i for i, p in enumerate(patterns) if p in folded), None)


def delivered_wins(
    field: str, registered_agency: Any, delivered_agency: Any, priority: Priority, default: bool
) -> bool:
    """Whether the delivered value of ``field`` replaces the registered one."""
    patterns = priority.get(field)
    if not patterns:
        return default
    new, old = rank(delivered_agency, patterns), rank(registered_agency, patterns)
    if (new is None and old is None) or new == old:
        return default
    return new is not None and (old is None or new < old)
