"""The Store protocol's feature queries (query_features, count_features, get_feature, layer_extent).

They live behind the HTTP API; these tests call them directly, with neutral conditions only.
"""

from __future__ import annotations

import ogc_data
import pytest
import shapely

from liuyu.catalog import get_category
from liuyu.store.gpkg_query import like_to_glob
from liuyu.store.query import (
    And,
    BBox,
    Compare,
    FeatureQuery,
    FieldRef,
    In,
    IsNull,
    Like,
    Not,
    Or,
    Spatial,
)

LAND = get_category("land_use")
P = ogc_data.current_parcels()


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    w = ogc_data.build(tmp_path_factory.mktemp("q") / "ws")
    yield w
    w.close()


def keys(ws, where, **kw) -> list[str]:
    rows = ws.store.query_features(LAND, FeatureQuery(where=where, limit=1000, **kw))
    assert ws.store.count_features(LAND, FeatureQuery(where=where, **kw)) == len(rows)
    return sorted(rows.keys)


def test_pages_are_disjoint_and_ordered(ws):
    pages = [ws.store.query_features(LAND, FeatureQuery(limit=40, offset=o)).keys for o in range(0, 200, 40)]
    flat = [k for page in pages for k in page]
    assert len(flat) == len(set(flat)) == len(P) and [len(p) for p in pages] == [40, 40, 40, 16, 0]


def test_page_with_its_count_from_one_snapshot(ws):
    where = Spatial("intersects", shapely.box(116.8, 40.4, 116.81, 40.41))
    page = ws.store.query_features(LAND, FeatureQuery(where=where, limit=4), count=True)
    assert len(page) == 4 and page.number_matched == 9
    assert ws.store.query_features(LAND, FeatureQuery(limit=4)).number_matched is None
    assert not ws.store.conn.in_transaction  # the read transaction is closed again


def test_unfiltered_count_matches_a_real_count(ws):
    for version in (None, 1, 2):
        expected = len(ws.read_layer("land_use", version=version))
        assert ws.store.count_features(LAND, FeatureQuery(version=version)) == expected


def test_rows_are_json_ready_columns(ws):
    rows = ws.store.query_features(LAND, FeatureQuery(where=Compare("=", "parcel_id", "P00007")))
    assert rows.keys == ["P00007"] and rows.columns[-1] == "jurisdiction"
    record = dict(zip(rows.columns, rows.rows[0], strict=True))
    assert (
        record["survey_year"] == 2020
        and isinstance(record["area_m2"], float)
        and record["class_name"] is None
    )
    assert rows.geometry[0].geom_type == "MultiPolygon" and rows.extra is None
    frame = rows.to_frame()
    assert frame.crs.to_epsg() == 4490 and frame.loc["P00007", "parcel_id"] == "P00007"


@pytest.mark.parametrize(
    ("where", "mask"),
    [
        (
            Or((Compare("=", "class_code", "0101"), In("class_code", ("1201",)))),
            P.class_code.isin(["0101", "1201"]),
        ),
        (Not(Like("parcel_id", "P000%")), ~P.parcel_id.str.startswith("P000")),
        (And((IsNull("class_name"), Compare(">=", "survey_year", 2021))), P.survey_year >= 2021),
        (Compare("=", "county_code", FieldRef("county_code")), P.county_code.notna()),
        (In("class_code", ()), P.class_code == "none"),
    ],
)
def test_conditions(ws, where, mask):
    assert keys(ws, where) == sorted(P.loc[mask, "parcel_id"])


def test_bbox_and_spatial(ws):
    box = BBox(116.8, 40.4, 116.81, 40.41)
    square = shapely.box(116.8, 40.4, 116.81, 40.41)
    assert keys(ws, box) == keys(ws, Spatial("intersects", square))
    assert len(keys(ws, Spatial("within", square))) == 4
    assert keys(ws, Spatial("intersects", shapely.Point())) == []  # empty literal


def test_get_feature_and_versions(ws):
    row = ws.store.get_feature(LAND, "P00000")
    assert row is not None and row.rows[0][LAND.field_names.index("class_code")] == "1201"
    assert '"note"' in row.extra[0]
    assert ws.store.get_feature(LAND, "P00005") is None
    assert ws.store.get_feature(LAND, "P00005", version=1) is not None
    assert "P00005" in keys(ws, None, version=1) and "P00005" not in keys(ws, None)


def test_layer_extent(ws):
    ext = ws.store.layer_extent(LAND)
    assert ext.bbox is not None and ext.interval is None
    x0, y0, x1, y1 = ext.bbox
    assert (x0, y0) == pytest.approx((116.8, 40.4)) and x1 == pytest.approx(116.879) and y1 > 40.42


@pytest.mark.parametrize(
    ("like", "glob"),
    [
        ("01%", "01*"),
        ("P0001_", "P0001?"),
        (r"100\%", "100%"),
        ("a*b?[c]", "a[*]b[?][[]c]"),
        (r"x\_y", "x_y"),
    ],
)
def test_like_patterns_become_globs(like, glob):
    assert like_to_glob(like) == glob
