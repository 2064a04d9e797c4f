"""Ingest of raster categories (DEM, soil erosion): a GeoTIFF becomes a COG version, with a report.

Rasters are stored in their own CRS (a DEM is best kept on its survey grid; tiles and zonal
statistics reproject on the fly), so the coordinate stage only checks that the CRS is known:
from the file or from ``crs=``. Offset systems (GCJ-02/BD-09) are refused for rasters:
de-offsetting would mean resampling every cell, which the agency should do at the source.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd
import rasterio

from liuyu.catalog import Category
from liuyu.errors import IngestError
from liuyu.geo import is_offset_crs, parse_crs
from liuyu.ingest import persist
from liuyu.ingest import report as reports
from liuyu.ingest.coordinates import describe
from liuyu.ingest.delivery import Delivery

if TYPE_CHECKING:
    from liuyu.ingest.pipeline import IngestOptions, IngestResult
    from liuyu.workspace import Workspace


def ingest_raster(
    ws: Workspace, delivery: Delivery, cat: Category, opts: IngestOptions, ingest_id: str
) -> IngestResult:
    """Store the delivery's GeoTIFF as a new version of a raster category (or only report it)."""
    from liuyu.ingest.pipeline import IngestResult

    if delivery.raster is None:
        raise IngestError(
            f"{delivery.source.name} holds vector features, but {cat.code} is a raster category",
            hint="deliver a GeoTIFF for it, or choose a vector category (see `liuyu categories`)",
        )
    crs = _crs(delivery, opts)
    report = _report(delivery, cat, opts, ingest_id, crs)
    version = None
    try:
        if opts.dry_run:
            report["source"]["checksum"] = persist.checksum_of(delivery)
            report["status"] = "dry-run"
        else:
            version = _write(ws, delivery, cat, opts, crs, report)
    finally:
        delivery.close()
    reports.write(report, ws.root)
    empty = gpd.GeoDataFrame(geometry=gpd.GeoSeries([], crs="EPSG:4490"))
    return IngestResult(report, version, empty, pd.DataFrame())


def _crs(delivery: Delivery, opts: IngestOptions) -> str:
    if opts.crs is not None and is_offset_crs(opts.crs):
        raise IngestError(
            f"{delivery.source.name}: a raster cannot be de-offset from {opts.crs}",
            hint="ask the agency for the raster in CGCS2000 (EPSG:4490/4548) or WGS 84",
        )
    if opts.crs is not None:
        return parse_crs(opts.crs).to_wkt()
    if delivery.crs is None:
        raise IngestError(
            f"{delivery.source.name}: the GeoTIFF declares no coordinate reference system",
            hint="pass --crs (e.g. EPSG:4548, CGCS2000 Gauss-Kruger CM 117E) or ask for a georeferenced file",
        )
    return delivery.crs.to_wkt()


def _write(
    ws: Workspace, delivery: Delivery, cat: Category, opts: IngestOptions, crs: str, report: dict[str, Any]
) -> Any:
    assert delivery.raster is not None
    with rasterio.open(delivery.raster) as src:
        array, transform, nodata = src.read(1), src.transform, src.nodata
    unit = cat.fields[0].unit if cat.fields else None
    _, checksum = persist.archive(ws, delivery)
    report["source"]["checksum"] = checksum
    version = ws.write_raster(
        cat.code,
        array,
        transform,
        crs,
        nodata=nodata,
        unit=unit,
        user=opts.user,
        agency=opts.agency,
        licence=opts.licence,
        note=opts.note,
    )
    if version is None:
        report["status"] = "unchanged"
        report["unchanged_version"] = ws.store.current_version(cat.code)
    else:
        report["status"] = "written"
        report["version"] = {"number": version.version, "scope": None, "features": 1}
    return version


def _report(
    delivery: Delivery, cat: Category, opts: IngestOptions, ingest_id: str, crs: str
) -> dict[str, Any]:
    import pyproj

    return {
        "ingest_id": ingest_id,
        "created_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "dry_run": opts.dry_run,
        "category": {"code": cat.code, "name_zh": cat.name_zh, "name_en": cat.name_en},
        "source": {"name": delivery.source.name, "format": delivery.format, "layer": delivery.layer},
        "options": opts.as_dict(),
        "crs": {"source": describe(pyproj.CRS.from_wkt(crs)), "how": "option" if opts.crs else "file"},
        "counts": {"input": 1, "accepted": 1, "quarantined": 0, "repaired": 0, "warnings": 0},
        "fields": {"mapped": [], "unmapped": [], "absent": [], "codelist_names": {}},
        "reasons": [],
        "notes": [{"reason": "reader", "severity": "info", "message": n} for n in delivery.notes],
        "problems": [],
        "repairs": [],
        "extent": None,
    }
