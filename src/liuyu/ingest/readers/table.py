"""Tables with coordinate columns (CSV, XLSX) → a Delivery of points, one Problem per bad coordinate."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from liuyu.errors import IngestError
from liuyu.ingest.delivery import Delivery, Problem
from liuyu.ingest.readers.coords import CoordColumns, orient, parse_coordinates, unpack_dms_numbers
from liuyu.ingest.readers.header import HEADER_SEARCH_ROWS, find_header

__all__ = ["ACCEPTED_NAMES", "has_coordinate_header", "table_delivery"]

ACCEPTED_NAMES = (
    "经度/纬度, lon/lat, longitude/latitude, LGTD/LTTD, 东坐标/北坐标, easting/northing, X/Y, POINT_X/POINT_Y"
)


def has_coordinate_header(grid: Sequence[Sequence[Any]]) -> bool:
    """True if a coordinate header is found in the first rows (used to pick the sheet)."""
    return find_header(grid) is not None


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, str) and not v.strip()) or (isinstance(v, float) and np.isnan(v))


def table_delivery(
    grid: Sequence[Sequence[Any]],
    row_numbers: Sequence[int],
    *,
    source: Path,
    fmt: str,
    layer: str | None,
    encoding: str | None = None,
    notes: list[str] | None = None,
) -> Delivery:
    """Find the header, parse the coordinate columns, build points; bad rows become Problems.

    ``row_numbers`` are the row numbers the agency sees (Excel's, or the CSV record number
    counting the header as 1), so problems name rows they can find. Wholly blank rows are
    skipped and not counted. Values stay as delivered (CSV: text; XLSX: Excel's types).
    """
    where = source.name if layer is None else f"{source.name}, sheet {layer!r}"
    header = find_header(grid)
    if header is None:
        first = next((r for r in grid[:HEADER_SEARCH_ROWS] if any(not _blank(v) for v in r)), [])
        seen = ", ".join(str(v) for v in first if not _blank(v))[:200] or "nothing"
        raise IngestError(
            f"{where}: no coordinate columns in the first {HEADER_SEARCH_ROWS} rows (first row: {seen})",
            hint=f"name the coordinate columns one of: {ACCEPTED_NAMES}",
        )
    width = len(header.names)
    body = grid[header.data_start :]
    numbers = np.asarray(row_numbers[header.data_start :], dtype=np.int64)
    cells = [[None if _blank(v) else v for v in (list(r) + [None] * width)[:width]] for r in body]
    keep = np.fromiter((any(v is not None for v in r) for r in cells), dtype=bool, count=len(cells))
    kept = [r for r, k in zip(cells, keep, strict=True) if k]
    frame = pd.DataFrame(kept, columns=header.names, dtype=object)
    numbers = numbers[keep]
    all_notes = [*(notes or []), *(f"{where}: {n}" for n in header.notes)]
    if (~keep).sum():
        all_notes.append(f"{where}: {int((~keep).sum())} blank row(s) skipped")
    x, y, problems = _coordinates(frame, header.coords, numbers, all_notes, where)
    good = np.isfinite(x) & np.isfinite(y)
    geometry = shapely.points(x[good], y[good])
    out = gpd.GeoDataFrame(frame.loc[good].reset_index(drop=True), geometry=geometry)
    return Delivery(
        source=source,
        format=fmt,
        frame=out,
        rows=numbers[good],
        crs=None,
        layer=layer,
        encoding=encoding,
        n_source_rows=len(frame),
        problems=problems,
        notes=all_notes,
        units=dict(header.units),
    )


def _coordinates(
    frame: pd.DataFrame, coords: CoordColumns, numbers: np.ndarray, notes: list[str], where: str
) -> tuple[np.ndarray, np.ndarray, list[Problem]]:
    xname, yname = frame.columns[coords.x], frame.columns[coords.y]
    geographic = coords.kind == "lonlat"
    x, xwhy = parse_coordinates(frame[xname], "lon" if geographic else None)
    y, ywhy = parse_coordinates(frame[yname], "lat" if geographic else None)
    if geographic:
        x, y = _unpacked(x, 180.0, xname, notes, where), _unpacked(y, 90.0, yname, notes, where)
    x, y, swapped = orient(x, y)
    if swapped:
        notes.append(f"{where}: columns {xname!r}/{yname!r}: {swapped}")
        xname, yname, xwhy, ywhy = yname, xname, ywhy, xwhy
    if geographic:
        _range(x, xwhy, 180.0, "longitude")
        _range(y, ywhy, 90.0, "latitude")
    notes.append(f"{where}: points from columns {xname!r} (x) and {yname!r} (y)")
    problems = []
    for name, raw, why in ((xname, frame[xname], xwhy), (yname, frame[yname], ywhy)):
        for i in np.flatnonzero(pd.notna(why)):
            value = raw.iloc[i]
            problems.append(Problem(str(why[i]), row=int(numbers[i]), field=str(name), value=_text(value)))
    problems.sort(key=lambda p: (p.row or 0, p.field or ""))
    return x, y, problems


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _unpacked(values: np.ndarray, limit: float, name: str, notes: list[str], where: str) -> np.ndarray:
    unpacked = unpack_dms_numbers(values, limit)
    if unpacked is None:
        return values
    notes.append(f"{where}: column {name!r} holds packed DDDMMSS numbers (1165030 = 116°50′30″): unpacked")
    return unpacked


def _range(values: np.ndarray, why: np.ndarray, limit: float, what: str) -> None:
    out = np.isfinite(values) & (np.abs(values) > limit)
    for i in np.flatnonzero(out):
        why[i] = f"{what} {values[i]:g} is outside ±{limit:g}°"
        values[i] = np.nan
