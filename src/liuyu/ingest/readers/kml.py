"""KML and KMZ (Google Earth, 91卫图, Ovital): folders are layers; a KMZ is unzipped safely first."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from liuyu.errors import IngestError
from liuyu.ingest.delivery import Delivery
from liuyu.ingest.readers.base import BaseReader, choose_layer, ogr_layers, read_ogr
from liuyu.ingest.safety import extract_zip

__all__ = ["KMLReader"]

T = TypeVar("T")
# Fields GDAL's LIBKML driver adds to every layer: styling ones are always dropped (they
# describe how Google Earth draws a feature, not the feature), the others when empty.
_KML_STYLE = ("altitudeMode", "tessellate", "extrude", "visibility", "drawOrder", "icon")
_KML_STANDARD = ("id", "Name", "description", "timestamp", "begin", "end", "snippet")


class KMLReader(BaseReader):
    """KML (.kml) and zipped KML (.kmz). KML is always WGS-84 longitude/latitude by
    definition; data traced on Chinese web maps may still be GCJ-02 offset, which the
    pipeline's offset check catches."""

    name = "kml"
    format = "kml"
    extensions = (".kml", ".kmz")
    kinds = ("kml", "xml", "zip")

    def guess_can_open(self, path: Path) -> bool:
        from liuyu.ingest.safety import sniff

        kind = sniff(path).kind
        suffix = path.suffix.lower()
        return (suffix == ".kml" and kind in {"kml", "xml"}) or (suffix == ".kmz" and kind == "zip")

    def layers(self, path: Path) -> list[str]:
        return _with_kml(path, ogr_layers)

    def read(self, path: Path, *, layer: str | None = None, encoding: str | None = None) -> Delivery:
        def read_one(kml: Path) -> Delivery:
            chosen = choose_layer(path, ogr_layers(kml), layer)
            delivery = read_ogr(kml, fmt=self.format, source=path, layer=chosen)
            frame = delivery.frame
            empty = [c for c in _KML_STANDARD if c in frame.columns and frame[c].isna().all()]
            delivery.frame = frame.drop(columns=[*empty, *(c for c in _KML_STYLE if c in frame.columns)])
            return delivery

        return _with_kml(path, read_one)


def _with_kml(path: Path, action: Callable[[Path], T]) -> T:
    """Run ``action`` on the KML itself, or on the main KML inside a KMZ (doc.kml first)."""
    if path.suffix.lower() != ".kmz":
        return action(path)
    with extract_zip(path) as archive:
        kmls = sorted(p for p in archive.members if p.suffix.lower() == ".kml")
        if not kmls:
            raise IngestError(f"{path.name}: the KMZ holds no .kml document", hint="export the KMZ again")
        main = next((p for p in kmls if p.name.lower() == "doc.kml"), kmls[0])
        return action(main)
