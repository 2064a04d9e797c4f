"""The API definition as OpenAPI 3.0 (the ``oas30`` conformance class), self-contained.

FastAPI writes OpenAPI 3.1 with JSON Schema 2020-12 idioms (``anyOf [.., {type: null}]``,
``const``, ``examples`` lists); OGC API Features Part 1 and the clients that read the document
(GDAL, QGIS, OWSLib) expect 3.0, so the generated document is rewritten into 3.0 terms once and
cached.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from liuyu.api import oas

OPENAPI_VERSION = "3.0.3"


def install(app: FastAPI) -> None:
    """Make ``app`` serve an OpenAPI 3.0 document at its ``openapi_url``."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            doc = get_openapi(
                title=app.title,
                version=app.version,
                openapi_version=OPENAPI_VERSION,
                description=app.description,
                routes=app.routes,
                tags=app.openapi_tags,
                servers=app.servers,
            )
            _drop_422(doc)
            oas.collection_operations(doc)
            app.openapi_schema = downgrade(doc)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _drop_422(doc: dict[str, Any]) -> None:
    """OGC routes answer bad parameters with 400 (see ``routing.OgcRoute``), never FastAPI's 422."""
    from liuyu.api.routing import OgcRoute

    for operations in doc["paths"].values():
        for op in operations.values():
            if isinstance(op, dict) and op.get("operationId") in OgcRoute.operation_ids:
                op.get("responses", {}).pop("422", None)
    text = repr(doc["paths"])
    schemas = doc.get("components", {}).get("schemas", {})
    if "#/components/schemas/HTTPValidationError" not in text:
        schemas.pop("HTTPValidationError", None)
        schemas.pop("ValidationError", None)


def downgrade(node: Any, *, in_schema: bool = False) -> Any:
    """A copy of ``node`` with every JSON Schema 2020-12 construct expressed in OpenAPI 3.0 terms."""
    if isinstance(node, list):
        return [downgrade(v, in_schema=in_schema) for v in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        child_is_schema = key in ("schema", "schemas", "items", "not", "additionalProperties") or in_schema
        out[key] = downgrade(value, in_schema=child_is_schema)
    return _schema_30(out) if in_schema else out


def _schema_30(schema: dict[str, Any]) -> dict[str, Any]:
    for combiner in ("anyOf", "oneOf"):
        options = schema.get(combiner)
        if isinstance(options, list) and any(_is_null(o) for o in options):
            rest = [o for o in options if not _is_null(o)]
            del schema[combiner]
            if len(rest) == 1 and "$ref" not in rest[0]:
                schema = {**rest[0], **schema}
            elif rest:
                schema["allOf" if len(rest) == 1 else combiner] = rest
            schema["nullable"] = True
    if isinstance(schema.get("type"), list):
        types = [t for t in schema["type"] if t != "null"]
        if len(types) < len(schema["type"]):
            schema["nullable"] = True
        schema["type"] = types[0] if types else "string"
    if "const" in schema:
        schema["enum"] = [schema.pop("const")]
    if isinstance(schema.get("examples"), list):
        examples = schema.pop("examples")
        if examples:
            schema["example"] = examples[0]
    for bound, limit in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        if isinstance(schema.get(bound), int | float) and not isinstance(schema.get(bound), bool):
            schema[limit] = schema.pop(bound)
            schema[bound] = True
    for key in ("contentMediaType", "contentEncoding", "$schema", "$id"):
        if isinstance(schema.get(key), str):
            schema.pop(key)
    return schema


def _is_null(option: Any) -> bool:
    return isinstance(option, dict) and option.get("type") == "null" and len(option) == 1
