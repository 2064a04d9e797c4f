"""The JSON documents of OGC API - Tiles (tile matrix sets, tileset lists, tileset metadata, TileJSON).

Shapes follow OGC API - Tiles - Part 1 (OGC 20-057) and the tileset metadata of the 2D Tile
Matrix Set standard (OGC 17-083r4, JSON encoding 2.0). Pure functions of a base URL, a category
and its current version, so the HTTP layer only routes.
"""

from __future__ import annotations

from typing import Any

from liuyu.catalog import Category
from liuyu.catalog.model import JSON_SCHEMA_TYPES
from liuyu.tiles.grid import CRS_URI, MAX_ZOOM, TMS_ID, TMS_URI, matrix_limits
from liuyu.tiles.mvt import MEDIA_TYPE
from liuyu.tiles.render import KINDS

#: Conformance classes these routes implement (for the API's /conformance).
CONFORMANCE = (
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tileset",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tilesets-list",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/geodata-tilesets",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/mvt",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/tms/2.0/conf/tilematrixset",
    "http://www.opengis.net/spec/tms/2.0/conf/json-tilematrixset",
)
REL_TILING_SCHEME = "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme"
REL_TILING_SCHEMES = "http://www.opengis.net/def/rel/ogc/1.0/tiling-schemes"
REL_GEODATA = "http://www.opengis.net/def/rel/ogc/1.0/geodata"
#: The rel a collection's links should use to point at its tilesets list.
REL_TILESETS_VECTOR = "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector"
TILE_TEMPLATE = "/collections/{code}/tiles/WebMercatorQuad/{{tileMatrix}}/{{tileRow}}/{{tileCol}}"
_JSON = "application/json"
_FIELD_TYPES = JSON_SCHEMA_TYPES
_DIMENSION = {"point": 0, "line": 1, "polygon": 2}


def link(
    href: str, rel: str, type_: str | None = _JSON, title: str | None = None, **extra: Any
) -> dict[str, Any]:
    out: dict[str, Any] = {"href": href, "rel": rel}
    if type_:
        out["type"] = type_
    if title:
        out["title"] = title
    return {**out, **extra}


def tile_url_template(base: str, code: str) -> str:
    """The templated tile URL, ``{tileMatrix}/{tileRow}/{tileCol}`` = ``{z}/{y}/{x}``."""
    return base + TILE_TEMPLATE.format(code=code)


def tile_matrix_sets(base: str) -> dict[str, Any]:
    """``/tileMatrixSets``: the one tile matrix set served."""
    href = f"{base}/tileMatrixSets/{TMS_ID}"
    item = {
        "id": TMS_ID,
        "title": "Google Maps Compatible for the World",
        "uri": TMS_URI,
        "crs": CRS_URI,
        "links": [
            link(href, "self", title="WebMercatorQuad definition"),
            link(href, REL_TILING_SCHEME, title="WebMercatorQuad definition"),
        ],
    }
    return {"tileMatrixSets": [item], "links": [link(f"{base}/tileMatrixSets", "self")]}


def properties_schema(category: Category) -> dict[str, Any]:
    """The MVT feature properties as a JSON schema: the category fields, jurisdiction and id."""
    props: dict[str, Any] = {
        f.name: {**_FIELD_TYPES[f.type], "title": f"{f.name_zh} {f.name_en}"}
        | ({"x-ogc-unit": f.unit} if f.unit else {})
        for f in category.fields
    }
    props["jurisdiction"] = {"type": "string", "title": "管辖 Jurisdiction"}
    props["id"] = {"type": "string", "title": "要素标识 Feature id (the OGC API Features item id)"}
    return {"type": "object", "properties": props}


def _tileset_links(base: str, code: str) -> list[dict[str, Any]]:
    here = f"{base}/collections/{code}/tiles/{TMS_ID}"
    return [
        link(here, "self", title="Tileset metadata"),
        link(here + "?f=tilejson", "alternate", "application/vnd.mapbox.tile+json", "TileJSON"),
        link(f"{base}/tileMatrixSets/{TMS_ID}", REL_TILING_SCHEME, title="WebMercatorQuad definition"),
        link(f"{base}/collections/{code}", REL_GEODATA, title="The collection"),
        link(tile_url_template(base, code), "item", MEDIA_TYPE, "Vector tiles (MVT)", templated=True),
    ]


def tilesets(base: str, category: Category) -> dict[str, Any]:
    """``/collections/{code}/tiles``: the tilesets of a collection (one, WebMercatorQuad)."""
    item = {
        "title": f"{category.name_zh} {category.name_en}",
        "dataType": "vector",
        "crs": CRS_URI,
        "tileMatrixSetURI": TMS_URI,
        "links": _tileset_links(base, category.code),
    }
    here = f"{base}/collections/{category.code}/tiles"
    return {
        "tilesets": [item],
        "links": [link(here, "self"), link(f"{base}/collections/{category.code}", REL_GEODATA)],
    }


def tileset(base: str, category: Category, version: int | None) -> dict[str, Any]:
    """``/collections/{code}/tiles/WebMercatorQuad``: tileset metadata with its one vector layer.

    ``version`` is the layer's current version: it changes exactly when the tiles may change.
    """
    kind = KINDS[category.geometry]
    layer = {
        "id": category.code,
        "title": f"{category.name_zh} {category.name_en}",
        "description": category.description_en,
        "dataType": "vector",
        "geometryDimension": _DIMENSION[kind],
        "featureType": category.code,
        "minTileMatrix": "0",
        "maxTileMatrix": str(MAX_ZOOM),
        "propertiesSchema": properties_schema(category),
        "links": [link(f"{base}/collections/{category.code}", REL_GEODATA)],
    }
    doc: dict[str, Any] = {
        "title": f"{category.name_zh} {category.name_en}",
        "description": category.description_zh or category.description_en,
        "dataType": "vector",
        "crs": CRS_URI,
        "tileMatrixSetURI": TMS_URI,
        "mediaTypes": [MEDIA_TYPE],
        "tileMatrixSetLimits": matrix_limits(MAX_ZOOM),
        "layers": [layer],
        "links": _tileset_links(base, category.code),
    }
    if version is not None:
        doc["version"] = str(version)
    return doc


def tilejson(base: str, category: Category, version: int | None) -> dict[str, Any]:
    """TileJSON 3.0 for MapLibre (``{"type": "vector", "url": ...}`` sources)."""
    props = properties_schema(category)["properties"]
    fields = {name: spec.get("type", "string") for name, spec in props.items()}
    template = tile_url_template(base, category.code)
    xyz = template.replace("{tileMatrix}", "{z}").replace("{tileRow}", "{y}").replace("{tileCol}", "{x}")
    return {
        "tilejson": "3.0.0",
        "name": category.code,
        "description": f"{category.name_zh} {category.name_en}",
        "version": f"1.0.{version or 0}",
        "scheme": "xyz",
        "tiles": [xyz],
        "minzoom": 0,
        "maxzoom": MAX_ZOOM,
        "vector_layers": [{"id": category.code, "fields": fields, "minzoom": 0, "maxzoom": MAX_ZOOM}],
    }
