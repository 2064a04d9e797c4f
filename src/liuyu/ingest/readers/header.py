"""Header rows of agency spreadsheets: titles above, merged group headers, units in brackets or below."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from liuyu.ingest.readers.coords import CoordColumns, find_coordinate_columns

__all__ = ["HEADER_SEARCH_ROWS", "Header", "find_header", "is_unit", "split_unit"]

HEADER_SEARCH_ROWS = 30
"""How many rows from the top are searched for the header (titles and notes come first)."""

_UNIT_WORDS = frozenset(
    {"度", "米", "千米", "公里", "平方米", "平方千米", "平方公里", "亩", "公顷", "万亩", "万元", "元"}
    | {"个", "人", "户", "毫米", "厘米", "吨", "万吨", "立方米", "万立方米", "亿立方米", "秒", "分钟"}
    | {"小时", "天", "年", "摄氏度", "百分比", "无量纲"}
)
_UNIT_CHARS = re.compile(r"^[A-Za-z%‰°′″℃µμ·/²³⁻¹^*\d.\-\s]{1,16}$")
_BRACKETED = re.compile(r"^(?P<name>.*?)\s*[(\[（【](?P<unit>[^()\[\]（）【】]+)[)\]）】]\s*$")
_NUMBER = re.compile(r"^[-+]?\d+(\.\d+)?$")


def is_unit(text: Any) -> bool:
    """True for unit-like text: ``m³/s``, ``mg/L``, ``°``, ``km²``, ``亩``, ``(万元)``; not for numbers.

    >>> is_unit("(m³/s)"), is_unit("mg/L"), is_unit("亩"), is_unit("116.5"), is_unit("白河")
    (True, True, True, False, False)
    """
    if text is None:
        return False
    raw = unicodedata.normalize("NFKC", str(text)).strip()
    inner = raw[1:-1].strip() if raw[:1] in "([（【" and raw[-1:] in ")]）】" else raw
    if not inner or _NUMBER.match(inner):
        return False
    return inner in _UNIT_WORDS or (bool(_UNIT_CHARS.match(inner)) and not inner.isdigit())


def split_unit(text: str) -> tuple[str, str | None]:
    """Split ``流量(m³/s)`` into ``("流量", "m³/s")``; a bracket that is not a unit stays.

    >>> split_unit("流量（m³/s）"), split_unit("经度(东经)")
    (('流量', 'm³/s'), ('经度(东经)', None))
    """
    match = _BRACKETED.match(text)
    if match and match.group("name") and is_unit(match.group("unit")):
        return match.group("name"), match.group("unit").strip()
    return text, None


@dataclass
class Header:
    """Where the header of a table is and what its columns are called.

    ``names`` are the source column names with units split off into ``units``;
    ``data_start`` is the index (in the grid) of the first data row.
    """

    first: int
    last: int
    data_start: int
    names: list[str]
    coords: CoordColumns
    units: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _cells(row: Sequence[Any]) -> list[str]:
    return [str(v).strip() if v is not None and str(v).strip() else "" for v in row]


def _is_title(row: list[str]) -> bool:
    """A title or note row: one distinct text across the row (often merged across it)."""
    return len({v for v in row if v}) == 1


def find_header(grid: Sequence[Sequence[Any]]) -> Header | None:
    """Find the header among the first rows: the row naming a coordinate pair, the group
    header rows above it (after merged cells are filled in), and a units row below it.

    Returns None if no row within :data:`HEADER_SEARCH_ROWS` names a coordinate pair.
    """
    top = [_cells(r) for r in grid[:HEADER_SEARCH_ROWS]]
    found = next(((i, c) for i, row in enumerate(top) if (c := find_coordinate_columns(row))), None)
    if found is None:
        return None
    last, coords = found
    first = last
    while first > 0 and any(top[first - 1]) and not _is_title(top[first - 1]):
        first -= 1
    width = max(len(r) for r in top[first : last + 1])
    rows = [r + [""] * (width - len(r)) for r in top[first : last + 1]]
    units_row = top[last + 1] if last + 1 < len(top) else []
    has_units_row = any(units_row) and all(is_unit(v) for v in units_row if v)
    header = Header(first, last, last + 1 + has_units_row, [], coords)
    header.names = _column_names(rows, units_row if has_units_row else [], header.units)
    if first < last:
        header.notes.append(f"header spans rows {first + 1}-{last + 1} (merged group headers)")
    if has_units_row:
        header.notes.append(f"units read from row {last + 2}")
    return header


def _column_names(rows: list[list[str]], units_row: list[str], units: dict[str, str]) -> list[str]:
    """One name per column: its lowest header text, prefixed by the group where names repeat."""
    width = len(rows[0])
    stacks: list[list[str]] = []
    for j in range(width):
        parts: list[str] = []
        for row in rows:
            if row[j] and (not parts or parts[-1] != row[j]):
                parts.append(row[j])
        stacks.append(parts)
    split = [[split_unit(p) for p in parts] for parts in stacks]
    names = [s[-1][0] if s else f"column_{_letters(j)}" for j, s in enumerate(split)]
    counts = Counter(names)
    names = [
        "_".join(p for p, _ in split[j]) if counts[n] > 1 and len(split[j]) > 1 else n
        for j, n in enumerate(names)
    ]
    seen: Counter[str] = Counter()
    unique = []
    for n in names:
        seen[n] += 1
        unique.append(n if seen[n] == 1 else f"{n}_{seen[n]}")
    for j, name in enumerate(unique):
        unit = next((u for _, u in reversed(split[j]) if u), None)
        if j < len(units_row) and units_row[j]:
            unit = units_row[j].strip("()[]（）【】 ")
        if unit:
            units[name] = unit
    return unique


def _letters(j: int) -> str:
    """Spreadsheet column letters: 0 → A, 27 → AB."""
    out = ""
    j += 1
    while j:
        j, r = divmod(j - 1, 26)
        out = chr(65 + r) + out
    return out
