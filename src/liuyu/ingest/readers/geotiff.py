"""GeoTIFF for raster categories (DEM, slope): the file itself is the delivery; the frame is empty."""

from __future__ import annotations

import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyproj
import rasterio
from rasterio.errors import NotGeoreferencedWarning, RasterioIOError

from liuyu.errors import IngestError
from liuyu.ingest.delivery import Delivery
from liuyu.ingest.readers.base import BaseReader, choose_layer

__all__ = ["GeoTIFFReader", "raster_bounds"]


class GeoTIFFReader(BaseReader):
    """GeoTIFF (.tif/.tiff, BigTIFF and COG too). ``Delivery.raster`` is the file to store;
    the CRS is the one in its GeoKeys (or a .prj/.aux.xml beside it), None if absent."""

    name = "geotiff"
    format = "geotiff"
    extensions = (".tif", ".tiff")
    kinds = ("tiff",)
    description = "GeoTIFF"

    def read(self, path: Path, *, layer: str | None = None, encoding: str | None = None) -> Delivery:
        choose_layer(path, [path.stem], layer)
        notes: list[str] = []
        try:
            with warnings.catch_warnings(record=True) as caught, rasterio.open(path) as src:
                warnings.simplefilter("always", NotGeoreferencedWarning)
                crs = src.crs
                summary = (
                    f"{path.name}: {src.width}×{src.height} cells, {src.count} band(s) of {src.dtypes[0]}, "
                    f"cell {abs(src.transform.a):g}×{abs(src.transform.e):g}, nodata {src.nodata}"
                )
        except RasterioIOError as exc:
            raise IngestError(
                f"{path.name}: the GeoTIFF cannot be read ({exc})",
                hint="the file may be damaged or incomplete; ask the agency to export it again",
            ) from exc
        notes.append(summary)
        if any(issubclass(w.category, NotGeoreferencedWarning) for w in caught):
            notes.append(f"{path.name}: not georeferenced (no geotransform): a picture, not a map")
        pcrs = _pyproj(crs) if crs is not None else None
        if pcrs is None:
            notes.append(f"{path.name}: no coordinate reference system declared")
        return Delivery(
            source=path,
            format=self.format,
            frame=gpd.GeoDataFrame(geometry=gpd.GeoSeries([], crs=pcrs)),
            rows=np.zeros(0, dtype=np.int64),
            crs=pcrs,
            layer=path.stem,
            raster=path,
            notes=notes,
        )


def _pyproj(crs: rasterio.crs.CRS) -> pyproj.CRS:
    return pyproj.CRS.from_wkt(crs.to_wkt())


def raster_bounds(path: Path) -> tuple[float, float, float, float]:
    """(xmin, ymin, xmax, ymax) of a raster in its own coordinates."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        with rasterio.open(path) as src:
            b = src.bounds
    return float(b.left), float(b.bottom), float(b.right), float(b.top)
