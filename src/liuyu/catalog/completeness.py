"""The completeness matrix: for every category x jurisdiction, present / partial / missing, and stale.

One computation for the CLI (`liuyu catalog`) and the HTTP API (`/api/catalog`, the map's
data view). A cell (category x jurisdiction) is *present*, *partial* or *missing*:

- categories that must tile the basin (``coverage = true``) and rasters are judged by the share
  of the jurisdiction's part of the basin their features cover (>= 98 % present, > 0 partial);
  that part is the union of the jurisdiction's counties, clipped to the basin boundary;
- stations are partial when some of the jurisdiction's stations have no observations;
- every other category is present when the jurisdiction delivered at least one feature.

A cell is *stale* when its last update is older than ``[catalog] stale_after_days``.
"""

from __future__ import annotations

import datetime as dt
import threading
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from liuyu.catalog.model import Category, load_categories
from liuyu.store.gpkg_tables import sql_conn

if TYPE_CHECKING:
    from liuyu.workspace import Workspace

PRESENT_SHARE = 0.98
_cache: dict[tuple[Any, ...], dict[str, float]] = {}
_lock = threading.Lock()


def jurisdiction_counts(conn: Any, code: str) -> dict[str | None, int]:
    """Current feature counts of one category table, by jurisdiction (None for unassigned)."""
    rows = conn.execute(
        f'SELECT jurisdiction, count(*) FROM "{code}" WHERE version_to IS NULL GROUP BY jurisdiction'
    )
    return {j: int(n) for j, n in rows}


def stations_without_data(conn: Any) -> dict[str | None, int]:
    """Current stations with no series at all, by jurisdiction."""
    rows = conn.execute(
        "SELECT jurisdiction, count(*) FROM stations WHERE version_to IS NULL "
        "AND code NOT IN (SELECT DISTINCT station_code FROM series) GROUP BY jurisdiction"
    )
    return {j: int(n) for j, n in rows}


def coverage_shares(parts: dict[str, BaseGeometry], covered: BaseGeometry) -> dict[str, float]:
    """Share (0..1) of each reference area that ``covered`` covers; areas must be in a projected CRS."""
    out = {}
    for code, ref in parts.items():
        area = ref.area
        out[code] = 0.0 if area <= 0 else min(1.0, shapely.intersection(ref, covered).area / area)
    return out


def _reference_parts(ws: Workspace) -> dict[str, BaseGeometry] | None:
    """Each jurisdiction's part of the basin in the analysis CRS, or None without counties."""
    cats = load_categories()
    counties = ws.read_layer("counties")
    if counties.empty:
        return None
    counties = counties.to_crs(ws.config.crs.analysis)
    boundary = ws.config.basin.boundary_category
    basin = None
    if boundary in cats and not cats[boundary].is_raster:
        frame = ws.read_layer(boundary)
        if not frame.empty:
            basin = shapely.union_all(frame.to_crs(ws.config.crs.analysis).geometry.values)
    parts = {}
    for j in ws.config.jurisdiction_codes():
        geoms = counties.geometry[counties["jurisdiction"] == j].values
        if len(geoms):
            part = shapely.union_all(geoms)
            parts[j] = part if basin is None else shapely.intersection(part, basin)
    return parts


def _covered(ws: Workspace, cat: Category) -> BaseGeometry | None:
    crs = ws.config.crs.analysis
    if cat.is_raster:
        raster = ws.store.raster(cat.code)
        if raster is None:
            return None
        box = gpd.GeoSeries([shapely.box(*raster.bounds)], crs=raster.crs)
        return box.to_crs(crs).iloc[0]
    frame = ws.read_layer(cat.code)
    if frame.empty:
        return None
    return shapely.union_all(shapely.make_valid(frame.to_crs(crs).geometry.values))


def coverage_by_jurisdiction(ws: Workspace, cat: Category) -> dict[str, float] | None:
    """Cached shares of each jurisdiction's part of the basin covered by the category."""
    versions = tuple(
        ws.store.current_version(c) for c in (cat.code, "counties", ws.config.basin.boundary_category)
    )
    if versions[0] is None or versions[1] is None:
        return None
    key = (str(ws.root), cat.code, versions, tuple(ws.config.jurisdiction_codes()))
    with _lock:
        if key in _cache:
            return _cache[key]
    parts = _reference_parts(ws)
    covered = _covered(ws, cat)
    if parts is None or covered is None:
        return None
    shares = coverage_shares(parts, covered)
    with _lock:
        _cache[key] = shares
    return shares


def _status(count: int, share: float | None, without_data: int) -> str:
    if share is not None:
        return "present" if share >= PRESENT_SHARE else "partial" if share > 0 else "missing"
    if count == 0:
        return "missing"
    return "partial" if without_data else "present"


def _updated_by_jurisdiction(ws: Workspace, code: str, jurisdictions: list[str]) -> dict[str, str | None]:
    """When each jurisdiction's part last changed: the last version that was whole-layer or scoped to it."""
    out: dict[str, str | None] = dict.fromkeys(jurisdictions)
    for v in ws.store.versions(code):
        for j in jurisdictions:
            if v.scope is None or v.scope == j or v.scope.startswith(f"{j} &"):
                out[j] = v.created_at
    return out


def is_stale(updated: str | None, max_age_days: int, now: dt.datetime | None = None) -> bool:
    """True when ``updated`` (ISO UTC) is more than ``max_age_days`` old; never for no update."""
    if updated is None:
        return False
    when = pd.Timestamp(updated)
    when = when.tz_localize("UTC") if when.tzinfo is None else when
    return bool((pd.Timestamp(now or dt.datetime.now(dt.UTC)) - when).days > max_age_days)


def _cells(ws: Workspace, cat: Category, conn: Any) -> tuple[dict[str, Any], int]:
    jurs = ws.config.jurisdiction_codes()
    counts = {} if cat.is_raster else jurisdiction_counts(conn, cat.code)
    without = stations_without_data(conn) if cat.code == "stations" else {}
    shares = coverage_by_jurisdiction(ws, cat) if (cat.coverage or cat.is_raster) else None
    updated = _updated_by_jurisdiction(ws, cat.code, jurs)
    max_age = ws.config.catalog.stale_after_days
    cells = {}
    for j in jurs:
        share = None if shares is None else round(shares.get(j, 0.0), 4)
        n = counts.get(j, 0)
        cells[j] = {
            "features": n,
            "coverage": share,
            "without_data": without.get(j, 0) if cat.code == "stations" else None,
            "status": _status(n, share, without.get(j, 0)),
            "updated": updated[j],
            "stale": is_stale(updated[j], max_age),
        }
    return cells, counts.get(None, 0)


def last_report(ws: Workspace, code: str) -> str | None:
    """The ingest id of the newest version of ``code`` that has an ingest report on disk."""
    for v in reversed(ws.store.versions(code)):
        report = v.provenance.report or {}
        ingest_id = report.get("ingest_id")
        files = report.get("files") or {}
        if ingest_id and files.get("html") and (ws.root / files["html"]).exists():
            return str(ingest_id)
    return None


def completeness(ws: Workspace) -> list[dict[str, Any]]:
    """Every category with its names, fields, version, counts, per-jurisdiction cells, last report."""
    conn = sql_conn(ws.store)  # portable SQL: the GeoPackage or PostGIS
    frame = ws.catalog().set_index("code")
    out = []
    for cat in load_categories().values():
        row = frame.loc[cat.code]
        cells, unassigned = _cells(ws, cat, conn)
        out.append(
            {
                "code": cat.code,
                "name_zh": cat.name_zh,
                "name_en": cat.name_en,
                "group": cat.group,
                "geometry": cat.geometry,
                "key": cat.key,
                "version": None if pd.isna(row["version"]) else int(row["version"]),
                "features": int(row["features"]),
                "updated": None if pd.isna(row["updated"]) else str(row["updated"]),
                "unassigned": unassigned,
                "jurisdictions": cells,
                "stale": [j for j, c in cells.items() if c["stale"]],
                "report": last_report(ws, cat.code),
                "fields": [
                    {
                        "name": f.name,
                        "name_zh": f.name_zh,
                        "name_en": f.name_en,
                        "unit": f.unit,
                        "codelist": f.codelist,
                    }
                    for f in cat.fields
                ],
            }
        )
    return out
