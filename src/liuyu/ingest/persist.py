"""The ingest's side effects: archive the source, write the version and the quarantine, the report.

A dry run computes the source checksum and writes the report only. Otherwise the order is:
archive the source (by checksum), write the version (one store transaction), add the
quarantine records (a second transaction; re-adding the same rejection is a no-op), write
the report files. A failed version write leaves no quarantine records and no report. A delivery whose every
row was rejected writes no version (it would empty the layer), only its quarantine.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from liuyu.catalog import Category, load_categories
from liuyu.errors import IngestError
from liuyu.ingest import report as reports
from liuyu.ingest.delivery import Delivery
from liuyu.store import Provenance, Scope
from liuyu.store.rasters import file_checksum

if TYPE_CHECKING:
    from liuyu.ingest.pipeline import IngestOptions
    from liuyu.store import VersionInfo
    from liuyu.workspace import Workspace

_FIXED_TIME = (1980, 1, 1, 0, 0, 0)


def finish(
    ws: Workspace,
    delivery: Delivery,
    cat: Category,
    opts: IngestOptions,
    out: gpd.GeoDataFrame,
    records: pd.DataFrame,
    report: dict[str, Any],
    area: BaseGeometry | None = None,
) -> tuple[VersionInfo | None, dict[str, Any]]:
    """Write what the ingest produced (or only its report on a dry run); returns version and report."""
    if opts.dry_run:
        report["source"]["checksum"] = checksum_of(delivery)
        report["status"] = "dry-run"
        reports.write(report, ws.root)
        return None, report
    _, checksum = archive(ws, delivery)
    report["source"]["checksum"] = checksum
    report["files"] = reports.paths(report["ingest_id"])
    records = records.assign(source_checksum=checksum)
    prov = provenance(ws, opts, delivery.source.name, checksum, reports.summary(report))
    # every row rejected: writing nothing would empty the layer (or the scope), so no version
    version = ws.store.write_layer(cat, out, prov, scope=scope_of(opts, area)) if len(out) else None
    n_new = ws.store.add_quarantine(records, user=opts.user)
    report["quarantine"] = {"records": len(records), "new": n_new}
    _describe_version(ws, cat, version, report)
    reports.write(report, ws.root)
    return version, report


def provenance(
    ws: Workspace, opts: IngestOptions, name: str, checksum: str | None, summary: dict[str, Any]
) -> Provenance:
    return Provenance(
        user=opts.user,
        agency=opts.agency,
        jurisdiction=opts.jurisdiction,
        source_name=name,
        source_checksum=checksum,
        licence=opts.licence,
        note=opts.note,
        kind="ingest",
        report=summary,
    )


def _describe_version(
    ws: Workspace, cat: Category, version: VersionInfo | None, report: dict[str, Any]
) -> None:
    if version is None and report["counts"]["accepted"] == 0:
        report["status"] = "rejected"
        return
    if version is None:
        report["status"] = "unchanged"
        report["unchanged_version"] = ws.store.current_version(cat.code)
        return
    report["status"] = "written"
    report["version"] = {
        "number": version.version,
        "scope": version.scope,
        "features": version.n_features,
        "added": version.n_added,
        "changed": version.n_changed,
        "removed": version.n_removed,
    }


def scope_of(opts: IngestOptions, area: BaseGeometry | None) -> Scope | None:
    """The store Scope the options ask for (None replaces the whole layer)."""
    kind = opts.effective_scope
    if kind == "jurisdiction":
        return Scope(jurisdiction=opts.jurisdiction)
    if kind == "area":
        return Scope(jurisdiction=None, area=area)
    return None


def archive(ws: Workspace, delivery: Delivery) -> tuple[str, str]:
    """Keep the source under its checksum (a shapefile with its sidecars, a folder, as one zip).

    A delivery built in code (no file on disk) is identified by a checksum of its content
    and has nothing to archive.
    """
    source = delivery.source
    if not source.exists():
        return source.name, checksum_of(delivery)
    with bundle(source) as path:
        _, checksum = ws.archive_source(path)
    return source.name, checksum


def checksum_of(delivery: Delivery) -> str:
    """SHA-256 of the delivered file (or bundle); of the frame's content when there is no file."""
    if delivery.source.exists():
        with bundle(delivery.source) as path:
            return file_checksum(path)
    frame = delivery.frame
    h = hashlib.sha256()
    attrs = frame.drop(columns=frame.geometry.name).astype(object)
    h.update(pd.util.hash_pandas_object(attrs, index=False).to_numpy().tobytes())
    h.update(b"".join(w or b"" for w in shapely.to_wkb(np.asarray(frame.geometry.values))))
    return "frame:" + h.hexdigest()


@contextlib.contextmanager
def bundle(source: Path) -> Iterator[Path]:
    """The one file that holds a delivery: itself, or a reproducible zip of a shapefile set/folder.

    The zip stores members uncompressed with fixed timestamps in name order, so the same
    files always give the same checksum (and the same archived copy).
    """
    members = _members(source)
    if members is None:
        yield source
        return
    with tempfile.TemporaryDirectory(prefix="liuyu-bundle-") as tmp:
        target = Path(tmp) / f"{source.name}.zip"
        with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_STORED) as zf:
            for arcname, path in members:
                info = zipfile.ZipInfo(arcname, date_time=_FIXED_TIME)
                info.external_attr = 0o644 << 16
                with path.open("rb") as src, zf.open(info, "w", force_zip64=True) as dst:
                    while chunk := src.read(1 << 20):
                        dst.write(chunk)
        yield target


def _members(source: Path) -> list[tuple[str, Path]] | None:
    """Files to bundle for a .shp (its sidecars) or a folder (e.g. a .gdb); None for one file."""
    if source.is_dir():
        files = sorted(p for p in source.rglob("*") if p.is_file())
        return [(f"{source.name}/{p.relative_to(source).as_posix()}", p) for p in files]
    if source.suffix.lower() == ".shp":
        stem = source.name[: -len(source.suffix)].lower()
        files = sorted(
            p for p in source.parent.iterdir() if p.is_file() and p.name.lower().startswith(stem + ".")
        )
        return [(p.name, p) for p in files]
    return None


def area_geometry(spec: Any, frame: gpd.GeoDataFrame) -> BaseGeometry:
    """The area a partial update replaces: a geometry, WKT, a vector file, or (None) the delivery's hull."""
    if isinstance(spec, BaseGeometry):
        return spec
    if spec is None:
        coords = shapely.get_coordinates(np.asarray(frame.geometry.values))
        if len(coords) == 0:
            raise IngestError("--scope area: the delivery has no features to take the area from")
        return shapely.multipoints(coords).convex_hull
    text = os.fspath(spec)
    if Path(text).exists():
        shapes = gpd.read_file(text, engine="pyogrio")
        if shapes.crs is None:
            raise IngestError(
                f"--area {text}: the file has no CRS", hint="give it a .prj, or pass WKT in EPSG:4490"
            )
        return shapely.union_all(shapely.make_valid(np.asarray(shapes.to_crs("EPSG:4490").geometry.values)))
    try:
        geom = shapely.from_wkt(text)
    except shapely.errors.GEOSException as exc:
        raise IngestError(
            f"--area {text[:60]!r} is neither a file nor WKT", hint="pass a polygon file or WKT in EPSG:4490"
        ) from exc
    return geom


def raster_codes() -> list[str]:
    return [c.code for c in load_categories().values() if c.is_raster]
