"""GeoPackage: one layer of many, chosen by name."""

from __future__ import annotations

from pathlib import Path

from liuyu.ingest.delivery import Delivery
from liuyu.ingest.readers.base import BaseReader, choose_layer, ogr_layers, read_ogr

__all__ = ["GeoPackageReader"]


class GeoPackageReader(BaseReader):
    """OGC GeoPackage (.gpkg): pick the layer with ``layer=`` when it holds several."""

    name = "gpkg"
    format = "gpkg"
    extensions = (".gpkg",)
    kinds = ("sqlite",)
    description = "GeoPackage"

    def layers(self, path: Path) -> list[str]:
        return ogr_layers(path)

    def read(self, path: Path, *, layer: str | None = None, encoding: str | None = None) -> Delivery:
        chosen = choose_layer(path, self.layers(path), layer)
        return read_ogr(path, fmt=self.format, source=path, layer=chosen)
