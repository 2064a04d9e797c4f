"""The reader base class (xarray's BackendEntrypoint, for geodata) and helpers readers share."""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyproj
import shapely
from pyogrio.errors import DataLayerError, DataSourceError, FieldError, GeometryError

from liuyu.errors import IngestError
from liuyu.geo.types import GEOMETRY_TYPE_NAMES
from liuyu.ingest.delivery import Delivery
from liuyu.ingest.safety import sniff

__all__ = ["BaseReader", "choose_layer", "crs_from_text", "geometry_note", "ogr_layers", "read_ogr"]

OGR_ERRORS = (DataSourceError, DataLayerError, FieldError, GeometryError, UnicodeDecodeError, RuntimeError)
"""What pyogrio raises on a file it cannot read; readers turn these into IngestError."""


class BaseReader:
    """A format plug-in. Subclass it, set the class attributes, implement :meth:`read`.

    Register the class under the ``liuyu.readers`` entry-point group (in pyproject.toml:
    ``[project.entry-points."liuyu.readers"] myformat = "pkg.module:MyReader"``) and
    :func:`liuyu.ingest.readers.open_delivery` finds it without any change to Liuyu.

    ``extensions`` are lower-case suffixes with the dot; ``kinds`` the :func:`sniff` kinds
    the content must have, so a ``.shp`` that is really an HTML page is refused by name.
    """

    name: ClassVar[str] = ""
    format: ClassVar[str] = ""
    extensions: ClassVar[tuple[str, ...]] = ()
    kinds: ClassVar[tuple[str, ...]] = ()
    description: ClassVar[str] = ""

    def guess_can_open(self, path: Path) -> bool:
        """True if the extension is one of ours and the bytes look like our format."""
        return path.suffix.lower() in self.extensions and sniff(path).kind in self.kinds

    def layers(self, path: Path) -> list[str]:
        """The layers a user may pick with ``layer=``; single-layer formats have one."""
        return [path.stem]

    def read(self, path: Path, *, layer: str | None = None, encoding: str | None = None) -> Delivery:
        raise NotImplementedError


def choose_layer(path: Path, available: list[str], layer: str | None) -> str:
    """The layer to read: the one asked for, or the only one; else an error listing them."""
    listing = ", ".join(repr(name) for name in available)
    if not available:
        raise IngestError(f"{path.name}: the file holds no layers", hint="check the file in QGIS")
    if layer is not None:
        if layer in available:
            return layer
        raise IngestError(
            f"{path.name}: no layer named {layer!r}; it has {listing}",
            hint="pass one of these with --layer NAME",
        )
    if len(available) > 1:
        raise IngestError(
            f"{path.name} holds {len(available)} layers: {listing}",
            hint="choose one with --layer NAME (Python: layer='NAME')",
        )
    return available[0]


def crs_from_text(text: str | None, notes: list[str], where: str) -> pyproj.CRS | None:
    """The CRS the file declares, or None (noted) when it declares none or nonsense."""
    if not text:
        notes.append(f"{where}: no coordinate reference system declared")
        return None
    try:
        return pyproj.CRS.from_user_input(text)
    except pyproj.exceptions.CRSError as exc:
        notes.append(f"{where}: the declared coordinate system could not be understood ({exc})")
        return None


def geometry_note(frame: gpd.GeoDataFrame) -> str | None:
    """A sentence on mixed geometry types (e.g. Point 3, LineString 2), for the report."""
    geoms = frame.geometry.values
    kinds = shapely.get_type_id(geoms)
    known = kinds[kinds >= 0]
    if known.size == 0:
        return None
    ids, counts = np.unique(known, return_counts=True)
    if len(ids) < 2:
        return None
    labels = [_TYPE_NAMES.get(int(i), str(i)) for i in ids]
    return "mixed geometry types: " + ", ".join(f"{n} {c}" for n, c in zip(labels, counts, strict=True))


_TYPE_NAMES = GEOMETRY_TYPE_NAMES


def ogr_layers(path: Path | str, **kwargs: Any) -> list[str]:
    """Layer names GDAL sees in a dataset, with pyogrio errors turned into IngestError."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return [str(name) for name in pyogrio.list_layers(path, **kwargs)[:, 0]]
    except OGR_ERRORS as exc:
        raise _unreadable(Path(str(path)), exc) from exc


def _unreadable(path: Path, exc: BaseException) -> IngestError:
    return IngestError(
        f"{path.name}: GDAL cannot read it ({type(exc).__name__}: {exc})",
        hint="the file may be damaged, incomplete or a variant GDAL does not support; open it in QGIS "
        "to check, or ask the agency to export it again",
    )


@contextlib.contextmanager
def gdal_config(**options: str | None) -> Iterator[None]:
    """Set GDAL config options for one read and restore them afterwards."""
    before = {key: pyogrio.get_gdal_config_option(key) for key in options}
    pyogrio.set_gdal_config_options(options)
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options(before)


def read_ogr(
    path: Path | str | bytes,
    *,
    fmt: str,
    source: Path,
    layer: str | None = None,
    encoding: str | None = None,
    **kwargs: Any,
) -> Delivery:
    """Read one vector layer through pyogrio (Arrow) into a Delivery with the declared CRS.

    ``path`` may be anything pyogrio opens (a path, a folder, bytes); ``source`` is the
    delivered file named in messages and kept as the Delivery's source.
    """
    notes: list[str] = []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # GDAL chatter is summarised in notes
            info = pyogrio.read_info(path, layer=layer, encoding=encoding)
            frame = pyogrio.read_dataframe(path, layer=layer, encoding=encoding, use_arrow=True, **kwargs)
    except OGR_ERRORS as exc:
        raise _unreadable(source, exc) from exc
    if not isinstance(frame, gpd.GeoDataFrame):
        raise IngestError(
            f"{source.name}: layer {layer or info.get('layer_name')!r} has no geometry column",
            hint="choose a spatial layer with --layer, or deliver the table as CSV/XLSX with coordinate "
            "columns",
        )
    where = source.name if layer is None else f"{source.name}, layer {layer!r}"
    crs = crs_from_text(info.get("crs"), notes, where)
    if crs is not None:
        frame.set_crs(crs, allow_override=True, inplace=True)
    mixed = geometry_note(frame)
    if mixed:
        notes.append(f"{where}: {mixed}")
    n = len(frame)
    return Delivery(
        source=source,
        format=fmt,
        frame=frame if isinstance(frame.index, pd.RangeIndex) else frame.reset_index(drop=True),
        rows=np.arange(1, n + 1, dtype=np.int64),
        crs=crs,
        layer=layer or info.get("layer_name"),
        encoding=encoding,
        n_source_rows=n,
        notes=notes,
    )
