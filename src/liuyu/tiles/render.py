"""One vector tile from a layer's features: project, clip, generalize, encode. Pure; no I/O."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from liuyu.catalog import Category
from liuyu.tiles.commands import MVT_TYPE, GeomKind, encode_geometries
from liuyu.tiles.generalize import BUFFER, generalize
from liuyu.tiles.grid import Tile, bounds_lonlat
from liuyu.tiles.mvt import EXTENT, encode_layer

#: Category geometry types to the MVT geometry kind their features are drawn as.
KINDS: dict[str, GeomKind] = {
    "Point": "point",
    "MultiPoint": "point",
    "MultiLineString": "line",
    "MultiPolygon": "polygon",
}
#: Properties every feature carries besides its category's fields.
EXTRA_PROPERTIES = ("jurisdiction", "id")


def read_bounds(tile: Tile) -> tuple[float, float, float, float]:
    """The lon/lat box to read features for ``tile``: the tile and its buffer."""
    return bounds_lonlat(tile, buffer=BUFFER / EXTENT)


def property_columns(frame: gpd.GeoDataFrame, category: Category) -> list[tuple[str, pd.Series]]:
    """MVT properties: the category's fields, then ``jurisdiction`` and ``id`` (the feature key).

    ``id`` is what OGC API Features uses as the feature id, so a click on the map can fetch
    ``/collections/{code}/items/{id}``.
    """
    cols = [(f.name, frame[f.name]) for f in category.fields if f.name not in EXTRA_PROPERTIES]
    return [*cols, ("jurisdiction", frame["jurisdiction"]), ("id", frame["feature_key"])]


def render_tile(frame: gpd.GeoDataFrame, category: Category, tile: Tile) -> bytes:
    """The MVT bytes of ``tile`` for a vector category's features (in EPSG:4490); b"" if empty.

    ``frame`` is what ``Workspace.read_layer(code, bbox=read_bounds(tile))`` returns; features
    outside the tile are clipped away, so a larger frame is correct, only slower.

    Examples
    --------
    >>> import liuyu, tempfile
    >>> from liuyu.catalog import get_category
    >>> ws = liuyu.init(tempfile.mkdtemp() + "/ws")  # doctest: +SKIP
    >>> tile = Tile(10, 843, 387)
    >>> data = render_tile(ws.read_layer("townships", bbox=read_bounds(tile)),
    ...                    get_category("townships"), tile)  # doctest: +SKIP
    """
    kind = KINDS.get(category.geometry)
    if kind is None:
        raise ValueError(f"{category.code} is a {category.geometry} layer; tiles are cut from vector layers")
    if len(frame) == 0:
        return b""
    geoms = np.asarray(frame.geometry.values, dtype=object)
    shapes = generalize(geoms, tile, kind)
    commands = encode_geometries(shapes, kind)
    return encode_layer(category.code, MVT_TYPE[kind], commands, property_columns(frame, category))
