"""Esri File Geodatabase (a .gdb folder, or zipped), through GDAL's OpenFileGDB driver."""

from __future__ import annotations

from pathlib import Path

from liuyu.ingest.delivery import Delivery
from liuyu.ingest.readers.base import BaseReader, choose_layer, ogr_layers, read_ogr

__all__ = ["FileGDBReader"]


class FileGDBReader(BaseReader):
    """File Geodatabase: a folder ending in .gdb holding ``*.gdbtable`` files; pick a layer."""

    name = "filegdb"
    format = "filegdb"
    extensions = (".gdb",)
    kinds = ("directory",)
    description = "Esri File Geodatabase"

    def guess_can_open(self, path: Path) -> bool:
        return path.suffix.lower() == ".gdb" and path.is_dir() and any(path.glob("*.gdbtable"))

    def layers(self, path: Path) -> list[str]:
        return ogr_layers(path)

    def read(self, path: Path, *, layer: str | None = None, encoding: str | None = None) -> Delivery:
        chosen = choose_layer(path, self.layers(path), layer)
        return read_ogr(path, fmt=self.format, source=path, layer=chosen)
