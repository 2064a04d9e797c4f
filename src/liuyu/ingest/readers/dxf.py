"""DXF from CAD: each CAD layer is a layer to choose; geometry by entity; the CAD layer kept as a field."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from liuyu.ingest.delivery import Delivery
from liuyu.ingest.readers.base import BaseReader, choose_layer, gdal_config, geometry_note, read_ogr
from liuyu.ingest.readers.encoding import detect_encoding, normalise_encoding

__all__ = ["DXFReader"]

_HEAD = 256 * 1024
_LAYER_FIELD = "Layer"  # GDAL's DXF driver names the CAD layer field so; it stays in the frame


class DXFReader(BaseReader):
    """AutoCAD DXF through GDAL's DXF driver (blocks inlined, one feature per entity).

    GDAL puts all entities in one table with a ``Layer`` field; here the CAD layers are the
    layers a user chooses from, and ``Layer`` stays as a field. Closed polylines come as
    closed LineStrings, hatches and solids as Polygons, texts as Points (``Text`` field).
    DXF carries no CRS: CAD drawings are usually Gauss-Krüger metres, so the pipeline lists
    candidates from the coordinates. Text is decoded by the drawing's $DWGCODEPAGE (ANSI_936
    is GBK), or by detection when the code page is missing or contradicts the bytes.
    """

    name = "dxf"
    format = "dxf"
    extensions = (".dxf",)
    kinds = ("dxf",)

    def layers(self, path: Path) -> list[str]:
        delivery = self._read_all(path, None)
        return sorted({str(v) for v in delivery.frame[_LAYER_FIELD].dropna()})

    def read(self, path: Path, *, layer: str | None = None, encoding: str | None = None) -> Delivery:
        delivery = self._read_all(path, encoding)
        cad_layers = sorted({str(v) for v in delivery.frame[_LAYER_FIELD].dropna()})
        chosen = choose_layer(path, cad_layers, layer)
        keep = (delivery.frame[_LAYER_FIELD] == chosen).to_numpy()
        delivery.frame = delivery.frame.loc[keep].reset_index(drop=True)
        delivery.rows = delivery.rows[keep]
        delivery.n_source_rows = int(np.count_nonzero(keep))
        delivery.layer = chosen
        delivery.notes = [n for n in delivery.notes if not n.startswith(f"{path.name}: mixed geometry")]
        delivery.notes.append(f"{path.name}: CAD layer {chosen!r}, {delivery.n_source_rows} entities")
        mixed = geometry_note(delivery.frame)
        if mixed:
            delivery.notes.append(f"{path.name}, CAD layer {chosen!r}: {mixed}")
        return delivery

    def _read_all(self, path: Path, encoding: str | None) -> Delivery:
        recode, used, note = _dxf_encoding(path, encoding)
        with gdal_config(DXF_ENCODING=recode):
            delivery = read_ogr(path, fmt=self.format, source=path)
        delivery.encoding = used
        if note:
            delivery.notes.insert(0, note)
        return delivery


def _dxf_encoding(path: Path, given: str | None) -> tuple[str | None, str | None, str | None]:
    """(DXF_ENCODING to force or None, the encoding in effect, a note): the user's encoding,
    or the detected one when the drawing's code page contradicts its bytes."""
    if given:
        encoding = normalise_encoding(given)
        return encoding, encoding, f"{path.name}: text read as {encoding} (given)"
    with path.open("rb") as fh:
        head = fh.read(_HEAD)
    lines = head.splitlines()
    codepage, version = _header_value(lines, b"$DWGCODEPAGE"), _header_value(lines, b"$ACADVER")
    if version >= "AC1021":  # AutoCAD 2007+ DXF is always UTF-8
        return None, "UTF-8", None
    guess = detect_encoding(head, what=path.name)
    implied = "GB18030" if codepage.upper() == "ANSI_936" else None
    if guess is None or guess.encoding == implied:
        return None, implied or (codepage or None), None
    note = f"{guess.note} (the drawing declares code page {codepage or 'none'})"
    return guess.encoding, guess.encoding, note


def _header_value(lines: list[bytes], name: bytes) -> str:
    """The value of a DXF header variable: the line after its group code, two lines on."""
    for i, line in enumerate(lines[:-2]):
        if line.strip() == name:
            return lines[i + 2].strip().decode("ascii", "ignore")
    return ""
