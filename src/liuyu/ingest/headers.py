"""Match delivered column headers to a category's fields by alias, and read units out of headers.

Agencies write the same field as 地类编码, DLBM, ＤＬＢＭ or "dlbm "; and put units in the
header: 面积(亩), 库容（亿m³）. Headers and aliases are compared after NFKC normalization
(full-width letters, digits and brackets become ASCII), case folding and removal of spaces,
underscores and hyphens. A unit in brackets is split off and converted to the field's unit
through the units table (``units.toml``), so an area in 亩 lands in m² and says so.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources

from liuyu.catalog import Category, Field
from liuyu.errors import SchemaError
from liuyu.ingest.problems import ProblemLog

_STRIP = re.compile(r"[\s_\-]+")
_UNIT_IN_HEADER = re.compile(r"^(?P<base>.+?)[(\[{](?P<unit>[^()\[\]{}]+)[)\]}]$")


def norm(text: str) -> str:
    """The comparison form of a header or alias: NFKC, case-folded, no spaces/underscores/hyphens.

    Examples
    --------
    >>> norm("ＤＬＢＭ ") == norm("dlbm") == norm("D_L-B M")
    True
    """
    return _STRIP.sub("", unicodedata.normalize("NFKC", str(text)).casefold())


@dataclass(frozen=True)
class Unit:
    """A unit of one dimension and its factor to the dimension's base unit."""

    symbol: str
    dimension: str
    factor: float


@cache
def units() -> dict[str, Unit]:
    """The units table, keyed by the normalized symbol and every normalized alias."""
    text = resources.files("liuyu.ingest").joinpath("units.toml").read_text(encoding="utf-8")
    table: dict[str, Unit] = {}
    for dim, spec in tomllib.loads(text).items():
        for symbol, entry in spec["units"].items():
            unit = Unit(symbol, dim, float(entry["factor"]))
            for name in (symbol, *entry.get("aliases", ())):
                table[norm(name)] = unit
    return table


def split_unit(header: str) -> tuple[str, str | None]:
    """A header without its bracketed unit, and the unit as written (None if there is none).

    Examples
    --------
    >>> split_unit("面积（亩）")
    ('面积', '亩')
    >>> split_unit("DLBM")
    ('DLBM', None)
    """
    text = unicodedata.normalize("NFKC", str(header)).strip()
    m = _UNIT_IN_HEADER.match(text)
    if m is None:
        return str(header), None
    return m.group("base").strip(), m.group("unit").strip()


def conversion(from_unit: str, to_unit: str) -> float | None:
    """The factor that turns values in ``from_unit`` into ``to_unit``; None if not convertible."""
    table = units()
    a, b = table.get(norm(from_unit)), table.get(norm(to_unit))
    if a is None or b is None or a.dimension != b.dimension:
        return None
    return a.factor / b.factor


@dataclass(frozen=True)
class FieldMatch:
    """One delivered column mapped to one category field, and how."""

    source: str
    field: str
    how: str  # "map" (given by the user), "name" (field name or alias), "alias+unit"
    unit: str | None = None  # the unit as written in the header
    factor: float = 1.0


def _keys(f: Field) -> set[str]:
    return {norm(k) for k in (f.name, f.name_zh, f.name_en, *f.aliases)}


def _lookup(category: Category) -> dict[str, Field]:
    """Normalized name/alias -> field, the first field in category order winning a shared alias."""
    out: dict[str, Field] = {}
    for f in category.fields:
        for k in _keys(f):
            out.setdefault(k, f)
    return out


def _candidate(
    column: str, lookup: dict[str, Field], log: ProblemLog, unit_given: str | None = None
) -> tuple[Field, str, str | None, float] | None:
    """The field a header names, with how, the header unit and the conversion factor.

    ``unit_given`` is a unit the reader already split off the header (XLSX/CSV readers do).
    """
    if unit_given is None:
        f = lookup.get(norm(column))
        if f is not None:
            return f, "name", None, 1.0
        base, unit = split_unit(column)
    else:
        base, unit = str(column), unit_given
    f = lookup.get(norm(base)) if unit is not None else None
    if f is None or unit is None:
        return None
    if f.unit is None:
        log.note("unit_converted", f"column {column!r}: unit {unit!r} kept as delivered", severity="info")
        return f, "alias+unit", unit, 1.0
    factor = conversion(unit, f.unit)
    if factor is None:
        log.note(
            "unknown_unit",
            f"column {column!r} looks like field {f.name!r} but its unit {unit!r} cannot be converted "
            f"to {f.unit!r}: the column is kept in extra, not mapped",
            column=column,
        )
        return None
    return f, "alias+unit", unit, factor


def match_columns(
    columns: list[str],
    category: Category,
    log: ProblemLog,
    field_map: dict[str, str] | None = None,
    units: dict[str, str] | None = None,
) -> tuple[list[FieldMatch], list[str]]:
    """Map delivered columns to fields; returns the matches and the unmapped columns (kept in extra).

    An explicit ``field_map`` (source column -> field name) wins, then names and aliases, then
    aliases with a unit in brackets (or in ``units``, by column, as readers report them). When
    two columns name the same field the first wins and
    the other is kept in extra, with a warning naming both.
    """
    lookup = _lookup(category)
    given = _given(columns, category, field_map or {})
    matches: dict[str, FieldMatch] = {}
    unmapped: list[str] = []
    for col in columns:
        if col in given:
            cand: tuple[Field, str, str | None, float] | None = (category.field(given[col]), "map", None, 1.0)
        else:
            cand = _candidate(col, lookup, log, (units or {}).get(col))
        if cand is None:
            unmapped.append(col)
            continue
        f, how, unit, factor = cand
        if f.name in matches:
            log.note(
                "field_conflict",
                f"columns {matches[f.name].source!r} and {col!r} both match field {f.name!r}: "
                f"{matches[f.name].source!r} is used, {col!r} is kept in extra",
                column=col,
                field=f.name,
            )
            unmapped.append(col)
            continue
        matches[f.name] = FieldMatch(col, f.name, how, unit, factor)
    return list(matches.values()), unmapped


def _given(columns: list[str], category: Category, field_map: dict[str, str]) -> dict[str, str]:
    """Check a user's explicit mapping: every source column exists and every target is a field."""
    missing = [c for c in field_map if c not in columns]
    if missing:
        raise SchemaError(
            f"--map names columns the delivery does not have: {missing}",
            hint=f"the delivered columns are: {', '.join(map(str, columns))}",
        )
    for target in field_map.values():
        category.field(target)  # raises CategoryError naming the fields
    return dict(field_map)


def parse_field_map(items: list[str] | None) -> dict[str, str] | None:
    """``["地类=class_code", ...]`` (the CLI's --map, the API's map fields) as a dict."""
    if not items:
        return None
    out = {}
    for item in items:
        source, sep, target = item.rpartition("=")
        if not sep or not source or not target:
            raise SchemaError(f"--map {item!r} is not SOURCE=FIELD", hint="e.g. --map 地类=class_code")
        out[source] = target
    return out


def require_fields(category: Category, matches: list[FieldMatch], columns: list[str]) -> None:
    """Refuse a delivery that lacks a required field altogether (not one row: the whole column)."""
    have = {m.field for m in matches}
    absent = [f for f in category.fields if f.required and f.name not in have]
    if absent:
        expected = "; ".join(f"{f.name}: {', '.join((f.name_zh, *f.aliases))}" for f in absent)
        raise SchemaError(
            f"{category.code}: required fields {[f.name for f in absent]} are not among the delivered "
            f"columns {list(map(str, columns))}",
            hint=f"accepted names are — {expected}; or map a column explicitly with "
            f"--map SOURCE=FIELD (field_map= in Python)",
        )
