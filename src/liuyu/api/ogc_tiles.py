"""OGC API - Tiles routes: WebMercatorQuad Mapbox Vector Tiles for every vector collection.

Thin adapters: the tile math, generalization, encoding and cache live in ``liuyu.tiles``.
Tiles are cached per layer version; each request costs one indexed query for the current
version, so tiles change the moment another process commits a new version of the layer.
"""

from __future__ import annotations

import threading
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import JSONResponse

from liuyu.api.app import ogc_exception
from liuyu.api.deps import workspace
from liuyu.catalog import Category, load_categories
from liuyu.tiles import MAX_ZOOM, MEDIA_TYPE, Tile, TileCache, TileKey, metadata, read_bounds, render_tile
from liuyu.tiles.grid import TMS_ID, is_valid, tile_matrix_set
from liuyu.workspace import Workspace

router = APIRouter(tags=["Tiles"])

#: Browsers may reuse a tile this long without asking; after that an If-None-Match costs a 304.
MAX_AGE_S = 5
_cache_lock = threading.Lock()

CollectionId = Annotated[str, Path(description="Collection id: a vector category code, e.g. land_use")]
TmsId = Annotated[str, Path(description="Tile matrix set id; only WebMercatorQuad is served")]


class _NotServed(Exception):
    """A request for something this API does not have: becomes an OGC exception response."""

    def __init__(self, status: int, detail: str, hint: str | None = None) -> None:
        super().__init__(detail)
        self.status, self.detail, self.hint = status, detail, hint


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _vector_category(code: str) -> Category:
    cats = load_categories()
    cat = cats.get(code)
    if cat is None:
        raise _NotServed(404, f"no collection {code!r}", f"collections: {', '.join(sorted(cats))}")
    if cat.is_raster:
        raise _NotServed(
            404,
            f"{code} is a raster collection; tiles are served for vector collections only",
            "vector collections: " + ", ".join(sorted(c for c, v in cats.items() if not v.is_raster)),
        )
    return cat


def _check_tms(tms: str) -> None:
    if tms != TMS_ID:
        raise _NotServed(404, f"no tile matrix set {tms!r}", f"the one served is {TMS_ID}")


def _parse_tile(z: str, y: str, x: str) -> Tile:
    """tileMatrix/tileRow/tileCol: 400 if not whole numbers, 404 outside the tileset's limits."""
    if not all(v.isascii() and v.isdigit() for v in (z, y, x)):
        raise _NotServed(400, f"tileMatrix, tileRow and tileCol must be whole numbers, got {z}/{y}/{x}")
    tile = Tile(int(z), int(x), int(y))
    if not is_valid(tile):
        n = (1 << tile.z) - 1 if tile.z <= MAX_ZOOM else None
        where = f"rows and columns 0..{n} at tileMatrix {tile.z}" if n is not None else ""
        raise _NotServed(
            404,
            f"tile {z}/{y}/{x} is outside the tileset",
            f"tileMatrix 0..{MAX_ZOOM}" + (f", {where}" if where else ""),
        )
    return tile


def tile_cache(request: Request) -> TileCache:
    """The app's tile cache (one per app, shared by its threads), created on first use."""
    state = request.app.state
    cache: TileCache | None = getattr(state, "tile_cache", None)
    if cache is None:
        with _cache_lock:
            cache = getattr(state, "tile_cache", None)
            if cache is None:
                cache = state.tile_cache = TileCache.for_workspace(state.root)
    return cache


def _not_modified(request: Request, etag: str) -> bool:
    header = request.headers.get("if-none-match")
    if not header:
        return False
    tags = {t.strip().removeprefix("W/").strip('"') for t in header.split(",")}
    return "*" in tags or etag in tags


def _json(doc: dict[str, Any]) -> JSONResponse:
    return JSONResponse(doc)


@router.get("/tileMatrixSets", summary="Tile matrix sets served", operation_id="getTileMatrixSetsList")
def get_tile_matrix_sets(request: Request) -> JSONResponse:
    return _json(metadata.tile_matrix_sets(_base(request)))


@router.get(
    "/tileMatrixSets/{tileMatrixSetId}",
    summary="A tile matrix set definition",
    operation_id="getTileMatrixSet",
    responses={404: {"description": "Unknown tile matrix set"}},
)
def get_tile_matrix_set(tileMatrixSetId: TmsId) -> JSONResponse:
    try:
        _check_tms(tileMatrixSetId)
    except _NotServed as e:
        return ogc_exception(e.status, e.detail, e.hint)
    return _json(tile_matrix_set())


@router.get(
    "/collections/{collectionId}/tiles",
    summary="Tilesets of a collection",
    operation_id="getCollectionVectorTileSetsList",
    responses={404: {"description": "Unknown or raster collection"}},
)
def get_tilesets(request: Request, collectionId: CollectionId) -> JSONResponse:
    try:
        cat = _vector_category(collectionId)
    except _NotServed as e:
        return ogc_exception(e.status, e.detail, e.hint)
    return _json(metadata.tilesets(_base(request), cat))


@router.get(
    "/collections/{collectionId}/tiles/{tileMatrixSetId}",
    summary="Tileset metadata of a collection",
    operation_id="getCollectionVectorTileSet",
    responses={400: {"description": "Unknown format"}, 404: {"description": "Unknown collection or TMS"}},
)
def get_tileset(
    request: Request,
    collectionId: CollectionId,
    tileMatrixSetId: TmsId,
    f: Annotated[str, Query(description="json (OGC tileset metadata) or tilejson (TileJSON 3.0)")] = "json",
) -> JSONResponse:
    try:
        cat = _vector_category(collectionId)
        _check_tms(tileMatrixSetId)
        if f not in ("json", "tilejson"):
            raise _NotServed(400, f"unknown format f={f!r}", "use f=json or f=tilejson")
    except _NotServed as e:
        return ogc_exception(e.status, e.detail, e.hint)
    version = workspace(request).store.current_version(cat.code)
    make = metadata.tilejson if f == "tilejson" else metadata.tileset
    return _json(make(_base(request), cat, version))


def _cut(ws: Workspace, cat: Category, version: int, tile: Tile) -> bytes:
    """Read exactly ``version`` (not "current", which may move on meanwhile) and render the tile."""
    if version == 0:
        return b""
    return render_tile(ws.read_layer(cat.code, version=version, bbox=read_bounds(tile)), cat, tile)


_TILE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}},
        "description": "A tile",
    },
    204: {"description": "No feature in this tile"},
    304: {"description": "Not modified since the ETag given in If-None-Match"},
    400: {"description": "tileMatrix, tileRow or tileCol is not a whole number"},
    404: {"description": "Unknown or raster collection, unknown tile matrix set, or tile outside the limits"},
}


@router.get(
    "/collections/{collectionId}/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}",
    summary="A vector tile (MVT) of a collection",
    operation_id="getCollectionVectorTile",
    response_class=Response,
    responses=_TILE_RESPONSES,
)
def get_tile(
    request: Request,
    collectionId: CollectionId,
    tileMatrixSetId: TmsId,
    tileMatrix: Annotated[str, Path(description=f"Zoom level z, 0..{MAX_ZOOM}")],
    tileRow: Annotated[str, Path(description="Row y, from 0 at the north edge (XYZ scheme)")],
    tileCol: Annotated[str, Path(description="Column x, from 0 at 180°W")],
) -> Response:
    """The MVT layer is named after the collection; properties are the category's fields,
    ``jurisdiction`` and ``id`` (the OGC API Features item id)."""
    try:
        cat = _vector_category(collectionId)
        _check_tms(tileMatrixSetId)
        tile = _parse_tile(tileMatrix, tileRow, tileCol)
    except _NotServed as e:
        return ogc_exception(e.status, e.detail, e.hint)
    ws = workspace(request)
    version = ws.store.current_version(cat.code) or 0
    key = TileKey(cat.code, version, *tile)
    headers = {"ETag": f'"{key.etag}"', "Cache-Control": f"max-age={MAX_AGE_S}, must-revalidate"}
    if _not_modified(request, key.etag):
        return Response(status_code=304, headers=headers)
    cache = tile_cache(request)
    cache.seen_version(cat.code, version)
    data = cache.get(key)
    headers["X-Liuyu-Tile-Cache"] = "hit" if data is not None else "miss"
    if data is None:
        data = _cut(ws, cat, version, tile)
        cache.put(key, data)
    if not data:
        return Response(status_code=204, headers=headers)
    return Response(content=data, media_type=MEDIA_TYPE, headers=headers)
