"""CQL2 filters (Part 3): every answer is checked against the same selection done with pandas/shapely."""

from __future__ import annotations

import ogc_data
import pytest
import shapely
from fastapi.testclient import TestClient

from liuyu.api import create_app
from liuyu.api.cql import parse_ast
from liuyu.api.params import ParameterError

SQUARE = "POLYGON((116.8 40.4, 116.81 40.4, 116.81 40.41, 116.8 40.41, 116.8 40.4))"
P = ogc_data.current_parcels()


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    ws = ogc_data.build(tmp_path_factory.mktemp("cql") / "ws")
    ws.close()
    with TestClient(create_app(ws.root)) as c:
        yield c


def selected(client, text: str, lang: str | None = None) -> list[str]:
    params = {"filter": text, "limit": 1000, **({"filter-lang": lang} if lang else {})}
    r = client.get("/collections/land_use/items", params=params)
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["numberMatched"] == doc["numberReturned"]
    return sorted(f["id"] for f in doc["features"])


def ids(mask) -> list[str]:
    return sorted(P.loc[mask, "parcel_id"])


@pytest.mark.parametrize(
    ("text", "mask"),
    [
        ("class_code = '0101'", P.class_code == "0101"),
        ("class_code <> '0101'", P.class_code != "0101"),
        ("area_m2 > 2500", P.area_m2 > 2500),
        ("2500 >= area_m2", P.area_m2 <= 2500),
        (
            "survey_year = 2021 AND county_code = '130828'",
            (P.survey_year == 2021) & (P.county_code == "130828"),
        ),
        # AND binds tighter than OR (CQL2), whatever pygeofilter's grammar says
        (
            "class_code = '0101' OR class_code = '0301' AND area_m2 > 1000",
            (P.class_code == "0101") | ((P.class_code == "0301") & (P.area_m2 > 1000)),
        ),
        (
            "(class_code = '0101' OR class_code = '0301') AND area_m2 > 1000",
            P.class_code.isin(["0101", "0301"]) & (P.area_m2 > 1000),
        ),
        (
            "NOT (class_code = '0101' OR jurisdiction = 'hebei')",
            ~((P.class_code == "0101") | (P.jurisdiction == "hebei")),
        ),
        (
            "NOT class_code = '0101' AND survey_year = 2020",
            (P.class_code != "0101") & (P.survey_year == 2020),
        ),
        ("class_code LIKE '01%'", P.class_code.str.startswith("01")),
        ("parcel_id LIKE 'P0001_'", P.parcel_id.str.match(r"^P0001.$")),
        ("parcel_id NOT LIKE 'P000%'", ~P.parcel_id.str.startswith("P000")),
        ("class_code IN ('1201', '1101')", P.class_code.isin(["1201", "1101"])),
        ("class_code NOT IN ('1201', '1101')", ~P.class_code.isin(["1201", "1101"])),
        (
            "area_m2 BETWEEN 1000 AND 2000 AND survey_year = 2020",
            P.area_m2.between(1000, 2000) & (P.survey_year == 2020),
        ),
        ("area_m2 NOT BETWEEN 1000 AND 2000", ~P.area_m2.between(1000, 2000)),
        ("class_name IS NULL", P.class_name.isna()),
        ("county_code IS NOT NULL AND jurisdiction = 'beijing'", P.jurisdiction == "beijing"),
        ("\"class_code\" = '0201'", P.class_code == "0201"),
        ("area_m2 > 1e3", P.area_m2 > 1000),
    ],
)
def test_comparisons_and_logic(client, text, mask):
    assert selected(client, text) == ids(mask)


@pytest.mark.parametrize(
    ("func", "predicate"),
    [
        ("S_INTERSECTS", shapely.intersects),
        ("S_WITHIN", shapely.within),
        ("S_DISJOINT", shapely.disjoint),
        ("S_OVERLAPS", shapely.overlaps),
        ("S_TOUCHES", shapely.touches),
    ],
)
def test_spatial_functions_are_exact(client, func, predicate):
    square = shapely.from_wkt(SQUARE)
    expected = ids(predicate(P.geometry.values, square))
    assert selected(client, f"{func}(geometry, {SQUARE})") == expected
    if func == "S_INTERSECTS":
        assert len(expected) == 9 and len(ids(shapely.within(P.geometry.values, square))) == 4


def test_contains_and_literal_first_forms(client):
    inside = "POINT(116.8015 40.4015)"
    assert selected(client, f"S_CONTAINS(geometry, {inside})") == ["P00000"]
    assert selected(client, f"S_WITHIN({inside}, geometry)") == ["P00000"]  # literal first: roles swap
    assert selected(client, "S_INTERSECTS(geometry, BBOX(116.8, 40.4, 116.81, 40.41))") == selected(
        client, f"S_INTERSECTS(geometry, {SQUARE})"
    )


def test_spatial_and_attribute_conditions_combine(client):
    square = shapely.from_wkt(SQUARE)
    hits = shapely.intersects(P.geometry.values, square)
    text = f"S_INTERSECTS(geometry, {SQUARE}) AND survey_year = 2020 OR class_code = '1101'"
    assert selected(client, text) == ids((hits & (P.survey_year == 2020)) | (P.class_code == "1101"))
    assert selected(client, f"NOT S_INTERSECTS(geometry, {SQUARE})") == ids(~hits)
    # bbox, property parameters and filter together
    r = client.get(
        "/collections/land_use/items",
        params={
            "bbox": "116.8,40.4,116.81,40.41",
            "jurisdiction": "beijing",
            "filter": "area_m2 > 0",
            "limit": 50,
        },
    ).json()
    assert r["numberMatched"] == len(ids(hits & (P.jurisdiction == "beijing")))


def test_cql2_json(client):
    doc = (
        '{"op": "and", "args": [{"op": "=", "args": [{"property": "class_code"}, "0101"]}, '
        '{"op": ">", "args": [{"property": "area_m2"}, 2000]}]}'
    )
    assert selected(client, doc, "cql2-json") == ids((P.class_code == "0101") & (P.area_m2 > 2000))


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("nope = 1", ["nope", "queryable"]),
        ("area_m2 = 'big'", ["area_m2", "float"]),
        ("class_code = 101", ["class_code", "string"]),
        (f"survey_year IN (2020, {10**20})", ["survey_year", "integer"]),
        ("area_m2 >", ["filter"]),
        ("(area_m2 > 1", ["parenthesis"]),
        ("area_m2 > 1 AND", ["missing"]),
        ("S_INTERSECTS(parcel_id, POINT(1 2))", ["geometry"]),
        ("CASEI(class_code) = 'a'", ["filter"]),
        ("", ["empty"]),
    ],
)
def test_bad_filters_are_400_naming_filter(client, text, words):
    r = client.get("/collections/land_use/items", params={"filter": text})
    assert r.status_code == 400, r.text
    description = r.json()["description"]
    assert description.startswith("filter")
    for w in words:
        assert w in description


def test_unknown_filter_lang(client):
    r = client.get("/collections/land_use/items", params={"filter": "area_m2 > 1", "filter-lang": "ecql"})
    assert r.status_code == 400 and r.json()["description"].startswith("filter-lang")


def test_deep_nesting_is_a_400_not_a_crash(client):
    text = "(" * 400 + "area_m2 > 1" + ")" * 400
    assert client.get("/collections/land_use/items", params={"filter": text}).status_code in (200, 400)
    long_or = " OR ".join(f"area_m2 = {i}" for i in range(2000))
    assert client.get("/collections/land_use/items", params={"filter": long_or}).status_code in (200, 400)


def test_boolean_structure_parser():
    ast = parse_ast("aa = 1 OR bb = 2 AND cc = 3", None)
    assert type(ast).__name__ == "Or" and type(ast.rhs).__name__ == "And"
    assert type(parse_ast("NOT (aa = 1 AND bb BETWEEN 1 AND 2)", None).sub_node).__name__ == "And"
    with pytest.raises(ParameterError):
        parse_ast("aa = 1)", None)
