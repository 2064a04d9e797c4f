"""Rasters (DEM, soil erosion) kept as Cloud-Optimized GeoTIFFs in the workspace, by checksum."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

import numpy as np
import rasterio
from affine import Affine
from rasterio import shutil as rio_shutil
from rasterio.io import MemoryFile

from liuyu.errors import StoreError
from liuyu.store.base import RasterVersion


def file_checksum(path: Path) -> str:
    """SHA-256 of a file, read in 1 MiB blocks (sources and rasters are archived under it)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def write_cog(
    array: np.ndarray,
    transform: Affine,
    crs: str,
    nodata: float | None,
    dest_dir: Path,
    *,
    category: str,
    unit: str | None = None,
) -> RasterVersion:
    """Write one band as a COG into ``dest_dir`` named by its checksum; returns its description.

    The file is written to a temporary name and renamed, so a crash never leaves a half file
    under a name the catalogue points at. Version is 0 here: the store assigns it on register.
    """
    if array.ndim != 2:
        raise StoreError(f"{category}: expected one band (2-D array), got shape {array.shape}")
    dest_dir.mkdir(parents=True, exist_ok=True)
    profile = {
        "driver": "GTiff",
        "height": array.shape[0],
        "width": array.shape[1],
        "count": 1,
        "dtype": array.dtype.name,
        "crs": crs,
        "transform": transform,
        "nodata": nodata,
    }
    fd, tmp_name = tempfile.mkstemp(suffix=".tif", dir=dest_dir)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        with MemoryFile() as mem:
            with mem.open(**profile) as src:
                src.write(array, 1)
                if unit:
                    src.update_tags(1, unit=unit)
                    src.units = (unit,)
            with mem.open() as src:
                rio_shutil.copy(
                    src,
                    tmp,
                    driver="COG",
                    compress="DEFLATE",
                    predictor="2",
                    blocksize=512,
                    overview_resampling="average",
                    BIGTIFF="IF_SAFER",
                )
        digest = file_checksum(tmp)
        final = dest_dir / f"{category}-{digest[:16]}.tif"
        os.chmod(tmp, 0o644)  # mkstemp makes it owner-only; QGIS and the server may run as others
        os.replace(tmp, final)
    finally:
        tmp.unlink(missing_ok=True)
    return describe(final, category=category, checksum=digest, unit=unit)


def describe(path: Path, *, category: str, checksum: str, unit: str | None) -> RasterVersion:
    """A RasterVersion for a GeoTIFF already in the workspace (path relative to its parent's parent)."""
    with rasterio.open(path) as src:
        b = src.bounds
        return RasterVersion(
            category=category,
            version=0,
            path=str(Path(path.parent.name) / path.name),
            checksum=checksum,
            crs=src.crs.to_string() if src.crs else "",
            bounds=(b.left, b.bottom, b.right, b.top),
            width=src.width,
            height=src.height,
            unit=unit,
        )
