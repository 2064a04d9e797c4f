"""The API definition: valid OpenAPI 3.0, self-contained, and true to what the routes answer."""

from __future__ import annotations

import json

import ogc_data
import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from openapi_spec_validator import validate
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from liuyu.api import create_app

OGC_TAGS = ["OGC API - Common", "OGC API - Features"]


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    ws = ogc_data.build(tmp_path_factory.mktemp("oas") / "ws")
    ws.close()
    return create_app(ws.root)


@pytest.fixture(scope="module")
def document(app):
    return TestClient(app).get("/openapi.json").json()


def test_openapi_30_document_validates(document):
    assert document["openapi"].startswith("3.0.")
    validate(document)


def test_document_is_self_contained(document):
    text = json.dumps(document)
    refs = [part.split('"', 2)[1] for part in text.split('"$ref": ')[1:]]
    assert all(ref.startswith("#/") for ref in refs), refs


def test_ogc_operations_are_described(document):
    items = document["paths"]["/collections/{collectionId}/items"]["get"]
    params = {p["name"]: p for p in items["parameters"]}
    for name in (
        "limit",
        "offset",
        "bbox",
        "bbox-crs",
        "crs",
        "datetime",
        "filter",
        "filter-lang",
        "version",
    ):
        assert params[name].get("description"), name
    assert params["limit"]["schema"]["maximum"] == 10_000 and params["limit"]["schema"]["minimum"] == 1
    assert set(items["responses"]) == {"200", "400", "404"}  # never FastAPI's 422
    ok = items["responses"]["200"]
    assert set(ok["content"]) == {"application/geo+json", "text/html"} and "Content-Crs" in ok["headers"]
    assert "land_use" in params["collectionId"]["schema"]["enum"]
    assert "dem" not in params["collectionId"]["schema"]["enum"]


@pytest.mark.slow
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_schemathesis_no_server_errors_and_conforming_responses(app, mode):
    """Generated requests to every OGC operation: never a 5xx, always the documented status/type/body.

    Driven through Hypothesis directly: schemathesis' pytest loader (from_fixture) does not run
    under pytest 9.
    """
    schema = schemathesis.openapi.from_asgi("/openapi.json", app).include(tag=OGC_TAGS)
    checks = [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_headers_conformance,
        response_schema_conformance,
    ]

    @given(case=schema.as_strategy(mode))
    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def run(case):
        case.call_and_validate(checks=checks)

    run()
