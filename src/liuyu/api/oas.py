"""Response descriptions for the OpenAPI document: inline JSON Schemas (OpenAPI 3.0), no outside $ref.

They describe what the routes really return, so schemathesis can check every response against
them, and GDAL/QGIS read the limit's maximum from the document.
"""

from __future__ import annotations

import copy
from typing import Any

LINK: dict[str, Any] = {
    "type": "object",
    "required": ["href", "rel"],
    "properties": {
        "href": {"type": "string"},
        "rel": {"type": "string"},
        "type": {"type": "string"},
        "title": {"type": "string"},
        "hreflang": {"type": "string"},
    },
}
LINKS = {"type": "array", "items": LINK}
EXCEPTION: dict[str, Any] = {
    "type": "object",
    "required": ["code"],
    "properties": {"code": {"type": "string"}, "description": {"type": "string"}},
}
LANDING = {
    "type": "object",
    "required": ["links"],
    "properties": {"title": {"type": "string"}, "description": {"type": "string"}, "links": LINKS},
}
CONFORMANCE = {
    "type": "object",
    "required": ["conformsTo"],
    "properties": {"conformsTo": {"type": "array", "items": {"type": "string"}}},
}
EXTENT = {
    "type": "object",
    "properties": {
        "spatial": {
            "type": "object",
            "properties": {
                "bbox": {
                    "type": "array",
                    "minItems": 1,
                    "items": {"type": "array", "minItems": 4, "maxItems": 6, "items": {"type": "number"}},
                },
                "crs": {"type": "string"},
            },
        },
        "temporal": {
            "type": "object",
            "properties": {
                "interval": {
                    "type": "array",
                    "items": {
                        "type": "array",
                        "minItems": 2,
                        "maxItems": 2,
                        "items": {"type": "string", "nullable": True},
                    },
                },
                "trs": {"type": "string"},
            },
        },
    },
}
COLLECTION = {
    "type": "object",
    "required": ["id", "links"],
    "properties": {
        "id": {"type": "string"},
        "title": {"type": "string"},
        "description": {"type": "string"},
        "links": LINKS,
        "extent": EXTENT,
        "itemType": {"type": "string"},
        "crs": {"type": "array", "items": {"type": "string"}},
        "storageCrs": {"type": "string"},
    },
}
COLLECTIONS = {
    "type": "object",
    "required": ["links", "collections"],
    "properties": {"links": LINKS, "collections": {"type": "array", "items": COLLECTION}},
}
GEOMETRY = {
    "type": "object",
    "nullable": True,
    "required": ["type"],
    "properties": {"type": {"type": "string"}},
}
FEATURE = {
    "type": "object",
    "required": ["type", "geometry", "properties"],
    "properties": {
        "type": {"type": "string", "enum": ["Feature"]},
        "id": {"type": "string"},
        "geometry": GEOMETRY,
        "properties": {"type": "object", "nullable": True},
        "links": LINKS,
    },
}
FEATURE_COLLECTION = {
    "type": "object",
    "required": ["type", "features"],
    "properties": {
        "type": {"type": "string", "enum": ["FeatureCollection"]},
        "features": {"type": "array", "items": FEATURE},
        "numberMatched": {"type": "integer", "minimum": 0},
        "numberReturned": {"type": "integer", "minimum": 0},
        "timeStamp": {"type": "string", "format": "date-time"},
        "links": LINKS,
    },
}
QUERYABLES = {
    "type": "object",
    "required": ["type", "properties"],
    "properties": {
        "$schema": {"type": "string"},
        "$id": {"type": "string"},
        "type": {"type": "string", "enum": ["object"]},
        "title": {"type": "string"},
        "properties": {"type": "object"},
    },
}
_HTML = {"text/html": {"schema": {"type": "string"}}}
_CRS_HEADER = {
    "Content-Crs": {
        "description": "The CRS of the coordinates, as an OGC URI in angle brackets (Part 2).",
        "schema": {"type": "string"},
    }
}


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    text = {
        400: "A parameter is invalid; the body names it and says what is accepted.",
        404: "No such collection or feature.",
    }
    return {
        code: {"description": text[code], "content": {"application/json": {"schema": EXCEPTION}}}
        for code in codes
    }


def responses(
    schema: dict[str, Any],
    media_type: str = "application/json",
    *,
    crs_header: bool = False,
    not_found: bool = False,
) -> dict[int | str, dict[str, Any]]:
    """The documented responses of a route: 200 as JSON (or GeoJSON) or HTML, 400, and 404."""
    ok: dict[str, Any] = {
        "description": "The resource, as JSON by default or HTML (f=html or Accept: text/html).",
        "content": {media_type: {"schema": schema}, **_HTML},
    }
    if crs_header:
        ok["headers"] = _CRS_HEADER
    return {200: ok, **_errors(*((400, 404) if not_found else (400,)))}


def collection_operations(doc: dict[str, Any]) -> None:
    """Add ``/collections/<id>/items`` for every collection, with its queryables as parameters.

    OGC API Features Part 1 wants every query parameter declared in the API definition, and
    GDAL's OAPIF driver sends an attribute filter to the server only as parameters it finds
    declared on the collection's own items path.
    """
    from liuyu.api.collection_docs import JSON_TYPES, vector_categories

    generic = doc["paths"].get("/collections/{collectionId}/items", {}).get("get")
    if generic is None:
        return
    for cat in vector_categories():
        op = copy.deepcopy(generic)
        op["operationId"] = f"getFeatures_{cat.code}"
        op["summary"] = f"{cat.name_zh} {cat.name_en}"
        params = [
            p
            for p in op["parameters"]
            if p["name"] != "collectionId" and (p["name"] != "datetime" or cat.time_field is not None)
        ]
        for f in cat.fields:
            title = f"{f.name_zh} {f.name_en}" + (f" ({f.unit})" if f.unit else "")
            params.append(_equality_param(f.name, title, JSON_TYPES[f.type]))
        params.append(_equality_param("jurisdiction", "管辖 Jurisdiction", {"type": "string"}))
        op["parameters"] = params
        doc["paths"][f"/collections/{cat.code}/items"] = {"get": op}


def _equality_param(name: str, title: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": f"{title}: only features with this value (repeat the parameter for any of several).",
        "schema": dict(schema),
    }
