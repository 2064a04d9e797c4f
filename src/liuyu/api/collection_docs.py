"""The documents that describe collections: metadata, extents, CRS lists and queryables."""

from __future__ import annotations

from typing import Any

from liuyu.api.params import CRS84, STORAGE_CRS_URI, is_identity, supported_crs
from liuyu.api.routing import HTML, JSON, link
from liuyu.catalog import Category, get_category, load_categories, load_codelists
from liuyu.catalog.model import JSON_SCHEMA_TYPES
from liuyu.errors import CategoryError
from liuyu.geo import transformer
from liuyu.workspace import Workspace

GEOJSON = "application/geo+json"
SCHEMA_JSON = "application/schema+json"
REL_QUERYABLES = "http://www.opengis.net/def/rel/ogc/1.0/queryables"
REL_TILESETS = "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector"
TRS = "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"
JSON_TYPES = JSON_SCHEMA_TYPES
_GEOMETRY_FORMATS = {
    "Point": "geometry-point",
    "MultiPoint": "geometry-multipoint",
    "MultiLineString": "geometry-multilinestring",
    "MultiPolygon": "geometry-multipolygon",
}


def vector_categories() -> list[Category]:
    """The categories published as feature collections (rasters are served as tiles elsewhere)."""
    return [c for c in load_categories().values() if not c.is_raster]


def vector_category(code: str) -> Category:
    """The vector category ``code``, else a 404 listing the collections."""
    cat = get_category(code)
    if cat.is_raster:
        raise CategoryError(
            f"{code!r} is a raster category, not a feature collection",
            hint="rasters are served as tiles; feature collections: "
            + ", ".join(c.code for c in vector_categories()),
        )
    return cat


def _time_text(value: Any, end: bool) -> str | None:
    """A time-field value as an RFC 3339 instant for the temporal extent."""
    if value is None:
        return None
    text = str(value)
    if text.isdigit() and len(text) == 4:  # a year
        return f"{text}-12-31T23:59:59Z" if end else f"{text}-01-01T00:00:00Z"
    if len(text) == 10:  # a date
        return f"{text}T23:59:59Z" if end else f"{text}T00:00:00Z"
    return text


def extent(ws: Workspace, cat: Category) -> dict[str, Any] | None:
    """Spatial extent in CRS84 (from gpkg_contents, kept by every write) and temporal extent."""
    ext = ws.store.layer_extent(cat)
    out: dict[str, Any] = {}
    if ext.bbox is not None:
        x0, y0, x1, y1 = ext.bbox
        if not is_identity(STORAGE_CRS_URI, CRS84):
            x0, y0, x1, y1 = transformer(STORAGE_CRS_URI, CRS84).transform_bounds(x0, y0, x1, y1)
        out["spatial"] = {"bbox": [[x0, y0, x1, y1]], "crs": CRS84}
    if ext.interval is not None:
        interval = [_time_text(ext.interval[0], False), _time_text(ext.interval[1], True)]
        out["temporal"] = {"interval": [interval], "trs": TRS}
    return out or None


def collection_doc(ws: Workspace, cat: Category, base: str) -> dict[str, Any]:
    """One collection's metadata: bilingual title, extent, CRSs, and links to items and tiles."""
    url = f"{base}/collections/{cat.code}"
    doc: dict[str, Any] = {
        "id": cat.code,
        "title": f"{cat.name_zh} {cat.name_en}",
        "description": " ".join(d for d in (cat.description_zh, cat.description_en) if d),
        "links": [
            link(url, "self", JSON, "本集合 / this collection"),
            link(f"{url}?f=html", "alternate", HTML, "本集合 HTML / this collection as HTML"),
            link(f"{url}/items", "items", GEOJSON, "要素 / features"),
            link(f"{url}/items?f=html", "items", HTML, "要素 HTML / features as HTML"),
            link(f"{url}/queryables", REL_QUERYABLES, SCHEMA_JSON, "可查询属性 / queryables"),
            link(f"{url}/tiles", REL_TILESETS, JSON, "矢量切片 / vector tiles"),
        ],
        "itemType": "feature",
        "crs": supported_crs(ws.config.crs.analysis),
        "storageCrs": STORAGE_CRS_URI,
        "liuyu:titleZh": cat.name_zh,
        "liuyu:titleEn": cat.name_en,
        "liuyu:geometryType": cat.geometry,
        "liuyu:version": ws.store.current_version(cat.code),
    }
    ext = extent(ws, cat)
    if ext is not None:
        doc["extent"] = ext
    return doc


def queryables_doc(cat: Category, base: str) -> dict[str, Any]:
    """The collection's queryables as a JSON Schema (Part 3): fields, jurisdiction and geometry."""
    codelists = load_codelists()
    props: dict[str, Any] = {
        "geometry": {"title": "几何 Geometry", "format": _GEOMETRY_FORMATS.get(cat.geometry, "geometry-any")}
    }
    for f in cat.fields:
        schema: dict[str, Any] = {**JSON_TYPES[f.type], "title": f"{f.name_zh} {f.name_en}"}
        if f.unit:
            schema["x-ogc-unit"] = f.unit
        if f.codelist and f.codelist in codelists:
            schema["enum"] = sorted(codelists[f.codelist].values)
        props[f.name] = schema
    props["jurisdiction"] = {"type": "string", "title": "管辖 Jurisdiction"}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{base}/collections/{cat.code}/queryables",
        "type": "object",
        "title": f"{cat.name_zh} {cat.name_en}",
        "properties": props,
        "additionalProperties": False,
    }
