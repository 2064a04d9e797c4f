"""Vector tiles: WebMercatorQuad tile math, generalization, MVT encoding and a versioned tile cache."""

from liuyu.tiles.cache import TileCache, TileKey
from liuyu.tiles.grid import MAX_ZOOM, Tile, bounds_3857, bounds_lonlat, tile_for_lonlat, tile_matrix_set
from liuyu.tiles.mvt import EXTENT, MEDIA_TYPE
from liuyu.tiles.render import KINDS, read_bounds, render_tile

__all__ = [
    "EXTENT",
    "KINDS",
    "MAX_ZOOM",
    "MEDIA_TYPE",
    "Tile",
    "TileCache",
    "TileKey",
    "bounds_3857",
    "bounds_lonlat",
    "read_bounds",
    "render_tile",
    "tile_for_lonlat",
    "tile_matrix_set",
]
