"""The catalogue as the map's layer tree and data view see it: per category, per jurisdiction.

The computation (present / partial / missing, counts, coverage shares, stale cells) lives in
:mod:`liuyu.catalog.completeness`, shared with `liuyu catalog`; this module adapts it to the
route: the last ingest report becomes a link the map can open.
"""

from __future__ import annotations

from typing import Any

from liuyu.catalog import load_categories, load_codelists
from liuyu.catalog.completeness import (
    PRESENT_SHARE,
    completeness,
    coverage_by_jurisdiction,
    coverage_shares,
    jurisdiction_counts,
    stations_without_data,
)
from liuyu.workspace import Workspace

__all__ = [
    "PRESENT_SHARE",
    "catalog_entries",
    "codelist_values",
    "coverage_by_jurisdiction",
    "coverage_shares",
    "jurisdiction_counts",
    "stations_without_data",
]


def catalog_entries(ws: Workspace) -> list[dict[str, Any]]:
    """Every category with its names, fields, version, counts and per-jurisdiction completeness.

    ``report`` is the relative URL of the last ingest report page (None if there is none).
    """
    entries = completeness(ws)
    for e in entries:
        e["report"] = None if e["report"] is None else f"api/ingest/reports/{e['report']}.html"
    return entries


def codelist_values() -> dict[str, dict[str, list[str]]]:
    """Every code list the categories use: code -> value -> [name_zh, name_en]."""
    used = {f.codelist for c in load_categories().values() for f in c.fields if f.codelist}
    return {
        code: {value: list(names) for value, names in cl.values.items()}
        for code, cl in load_codelists().items()
        if code in used
    }
