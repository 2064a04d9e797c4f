"""GeoJSON (also Esri JSON and TopoJSON, which GDAL reads the same way), UTF-8 or GBK."""

from __future__ import annotations

import codecs
from pathlib import Path

from liuyu.errors import IngestError
from liuyu.ingest.delivery import Delivery
from liuyu.ingest.readers.base import BaseReader, choose_layer, read_ogr
from liuyu.ingest.readers.encoding import decode_errors, detect_encoding, normalise_encoding

__all__ = ["GeoJSONReader"]

_CHUNK = 8 * 1024**2


class GeoJSONReader(BaseReader):
    """GeoJSON. RFC 7946 says UTF-8, but GBK files saved on Chinese Windows exist: they are
    detected (or named with ``encoding=``) and recoded before GDAL reads them.

    Mixed geometry types are read as they are; the pipeline decides what fits the category.
    """

    name = "geojson"
    format = "geojson"
    extensions = (".geojson", ".json")
    kinds = ("json",)
    description = "GeoJSON"

    def read(self, path: Path, *, layer: str | None = None, encoding: str | None = None) -> Delivery:
        choose_layer(path, [path.stem], layer)
        wanted = normalise_encoding(encoding) if encoding else None
        if wanted in (None, "UTF-8") and _is_utf8(path):
            delivery = read_ogr(path, fmt=self.format, source=path)
            delivery.encoding, delivery.layer = "UTF-8", path.stem
            return delivery
        data = path.read_bytes()
        if wanted is None:
            guess = detect_encoding(data, what=path.name)
            wanted = guess.encoding if guess else "UTF-8"
        elif decode_errors(data, wanted) > 0:
            raise IngestError(
                f"{path.name}: the text is not valid {wanted} (the encoding given)",
                hint="drop --encoding to let Liuyu detect it",
            )
        recoded = data.decode(wanted, errors="replace").encode("utf-8")
        delivery = read_ogr(recoded, fmt=self.format, source=path)
        delivery.encoding = wanted
        delivery.layer = path.stem
        delivery.notes.insert(0, f"{path.name}: text read as {wanted} and recoded to UTF-8")
        return delivery


def _is_utf8(path: Path) -> bool:
    """Stream the file through a strict UTF-8 decoder (fast, constant memory)."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="strict")
    try:
        with path.open("rb") as fh:
            while chunk := fh.read(_CHUNK):
                decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True
