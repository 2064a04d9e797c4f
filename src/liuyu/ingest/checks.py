"""Layer-level checks of an ingest, run on the rows still accepted after the row-level stages.

Each function logs into the run's :class:`ProblemLog`: duplicates (quarantined or reported),
coverage gaps and overlaps (reported with their locations), features outside the basin and
a suspected GCJ-02 offset against the workspace's reference layers (reported), features
outside the area a partial update replaces (quarantined).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import shapely

from liuyu.catalog import Category
from liuyu.geo import to_crs
from liuyu.geo.coverage import coverage_issues
from liuyu.ingest import duplicates as dup
from liuyu.ingest.delivery import Delivery
from liuyu.ingest.problems import ProblemLog
from liuyu.ingest.standardize import Standardized
from liuyu.ingest.validate import OUTSIDE_BASIN_M, outside_basin

if TYPE_CHECKING:
    from liuyu.workspace import Workspace

#: Layers a delivery's position is compared with to detect a GCJ-02-like offset.
REFERENCE_LAYERS = ("counties", "townships", "rivers")


def reader_findings(delivery: Delivery, log: ProblemLog) -> None:
    """The reader's notes and its warnings about rows it kept, into the report."""
    for text in delivery.notes:
        log.note("reader", text, severity="info")
    for p in delivery.problems:
        if p.row is None:
            log.note("reader", p.reason, severity=p.severity if p.severity != "error" else "warning")
        elif p.severity != "error":
            pos = np.flatnonzero(delivery.rows == p.row)
            log.add(pos, "reader", severity=p.severity, field=p.field, value=p.value, detail=p.reason)


def duplicates(
    frame: gpd.GeoDataFrame, pos: np.ndarray, rows: np.ndarray, cat: Category, log: ProblemLog, crs: str
) -> None:
    dup.find_duplicates(frame, pos, rows, cat, log, crs)


def coverage(
    frame: gpd.GeoDataFrame, pos: np.ndarray, rows: np.ndarray, cat: Category, log: ProblemLog, crs: str
) -> None:
    """Overlaps (per row pair), gaps and mismatched edges of a coverage category, with locations."""
    if not cat.coverage or len(frame) < 2:
        return
    issues = coverage_issues(np.asarray(frame.geometry.values), metric=lambda g: to_crs(g, "EPSG:4490", crs))
    for issue in issues:
        lon, lat = issue.x, issue.y
        if issue.kind == "gap":
            text = f"gap of {issue.size:,.0f} m² inside the layer"
            log.note("coverage_gap", text, lon=round(lon, 6), lat=round(lat, 6))
        elif issue.kind == "overlap" and issue.i is not None and issue.j is not None:
            log.add(
                [pos[issue.j]],
                "coverage_overlap",
                severity="warning",
                where=(lon, lat),
                detail=f"overlaps row {rows[pos[issue.i]]} by {issue.size:,.0f} m² near {lon:.5f}, {lat:.5f}",
            )
        elif issue.i is not None:
            log.add(
                [pos[issue.i]],
                "coverage_edge",
                severity="warning",
                where=(lon, lat),
                detail=f"{issue.size:,.0f} m of edges unmatched by a neighbour, e.g. at {lon:.5f},{lat:.5f}",
            )


def basin(ws: Workspace, frame: gpd.GeoDataFrame, pos: np.ndarray, cat: Category, log: ProblemLog) -> None:
    """Flag features more than OUTSIDE_BASIN_M outside the workspace's basin boundary."""
    code = ws.config.basin.boundary_category
    if cat.code == code or len(frame) == 0:
        return
    boundary = _layer(ws, code)
    if boundary is None:
        log.note(
            "check_skipped",
            f"no {code} layer in the workspace: the outside-basin check was skipped",
            severity="info",
        )
        return
    area = shapely.union_all(shapely.make_valid(np.asarray(boundary.geometry.values)))
    far = outside_basin(np.asarray(frame.geometry.values), area, ws.config.crs.analysis)
    log.add(
        pos[far],
        "outside_basin",
        severity="warning",
        detail=f"more than {OUTSIDE_BASIN_M:,.0f} m outside the basin",
    )


def offset(ws: Workspace, frame: gpd.GeoDataFrame, cat: Category, log: ProblemLog) -> None:
    """Compare the delivery's position with the reference layers; report a GCJ-02-like offset."""
    refs = {c: f for c in REFERENCE_LAYERS if c != cat.code and (f := _layer(ws, c)) is not None}
    if not refs or len(frame) == 0:
        return
    from liuyu.ingest.crs_detect import suspect_offset

    finding = suspect_offset(frame, list(refs.values()))
    if finding:
        log.note("suspected_offset", str(finding), severity="warning", references=sorted(refs))


def scope_area(frame: gpd.GeoDataFrame, pos: np.ndarray, area: Any, log: ProblemLog) -> None:
    """Quarantine features whose representative point is outside the area an update replaces."""
    pts = shapely.point_on_surface(np.asarray(frame.geometry.values))
    shapely.prepare(area)
    outside = ~shapely.contains(area, pts) & ~shapely.touches(area, pts)
    log.add(pos[outside], "outside_scope", detail="representative point outside the update area")


def _layer(ws: Workspace, code: str) -> gpd.GeoDataFrame | None:
    """A workspace layer, or None when the category is unknown, a raster or empty."""
    cats = ws.categories()
    if code not in cats or cats[code].is_raster or ws.store.current_version(code) is None:
        return None
    frame = ws.read_layer(code)
    return None if frame.empty else frame


def field_summary(std: Standardized, cat: Category) -> dict[str, Any]:
    """Mapped columns (with units), unmapped ones (kept in extra), absent optional fields."""
    have = {m.field for m in std.matches}
    return {
        "mapped": [
            {"source": m.source, "field": m.field, "how": m.how, "unit": m.unit, "factor": m.factor}
            for m in std.matches
        ],
        "unmapped": [str(c) for c in std.unmapped],
        "absent": [f.name for f in cat.fields if f.name not in have],
        "codelist_names": std.codelist_names,
    }


def extent(geoms: np.ndarray) -> list[float] | None:
    """The delivery's bounds in lon/lat, for the report map (None when it has no geometry)."""
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if not present.any():
        return None
    b = shapely.total_bounds(geoms[present])
    return [round(float(v), 6) for v in b] if np.isfinite(b).all() else None
