"""Feature queries give the same pages on PostGIS as on the GeoPackage: filters, spatial relations, paging.

Each condition runs on both backends holding the same features; the keys, counts, properties
and geometries of the pages must be equal. Runs in the PostGIS pass (``LIUYU_TEST_STORE``).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from conftest import TEST_STORE, drop_schema, township_frame
from liuyu.catalog import get_category
from liuyu.store import Provenance, Scope, open_store
from liuyu.store.location import store_location
from liuyu.store.query import (
    And,
    BBox,
    Between,
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

pytestmark = [
    pytest.mark.postgis,
    pytest.mark.skipif(not TEST_STORE, reason="set LIUYU_TEST_STORE=postgresql://... to test PostGIS"),
]
TOWNSHIPS = get_category("townships")
FACILITIES = get_category("sewage_facilities")
PROV = Provenance(user="tester")


def _facilities(n: int = 40) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(3)
    return gpd.GeoDataFrame(
        {
            "code": [f"F{i:03d}" for i in range(n)],
            "name": [f"设施_{i}%" if i % 7 == 0 else f"设施{i}" for i in range(n)],
            "capacity_m3d": np.where(np.arange(n) % 5 == 0, np.nan, rng.uniform(10, 500, n).round(1)),
            "served_households": [None if i % 6 == 0 else int(i * 10) for i in range(n)],
            "commissioned": [f"20{10 + i % 14:02d}-0{1 + i % 9}-15" for i in range(n)],
            "status": ["运行" if i % 3 else "停运" for i in range(n)],
            "jurisdiction": np.where(np.arange(n) % 2 == 0, "beijing", "hebei"),
        },
        geometry=shapely.points(116.8 + rng.uniform(0, 0.2, n), 40.4 + rng.uniform(0, 0.15, n)),
        crs="EPSG:4490",
    )


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    """The same townships (two versions) and facilities in a GeoPackage and in PostGIS."""
    root = tmp_path_factory.mktemp("parity")
    location = store_location(TEST_STORE)
    stores = [
        open_store(str(root / "liuyu.gpkg"), root, create=True),
        open_store(location, root, create=True),
    ]
    second = township_frame(16, seed=4)
    second.loc[2, "name"] = "改名"
    for s in stores:
        s.write_layer(TOWNSHIPS, township_frame(16), PROV)
        s.write_layer(TOWNSHIPS, second, PROV)
        s.write_layer(FACILITIES, _facilities(), PROV)
    yield stores
    for s in stores:
        s.close()
    drop_schema(location)


L_SHAPE = shapely.Polygon(
    [(116.8, 40.4), (116.95, 40.4), (116.95, 40.45), (116.85, 40.45), (116.85, 40.55), (116.8, 40.55)]
)
CONDITIONS = {
    "all": None,
    "eq": Compare("=", "name", "乡镇3"),
    "ne": Compare("<>", "jurisdiction", "hebei"),
    "lt_float": Compare("<", "area_km2", 30.0),
    "between": Between("area_km2", 20.0, 40.0),
    "like": Like("name", "乡镇1%"),
    "like_underscore": Like("name", "乡镇_"),
    "in": In("code", ("110118001", "110118005", "nope")),
    "in_empty": In("code", ()),
    "not": Not(Compare("=", "jurisdiction", "beijing")),
    "or_and": Or(
        (Compare("=", "code", "110118002"), And((Compare(">", "area_km2", 25.0), Like("name", "%5"))))
    ),
    "field_ref": Compare("=", "county_code", FieldRef("county_code")),
    "is_null": IsNull("county_name"),
    "not_null": Not(IsNull("name")),
    "bbox": BBox(116.81, 40.41, 116.86, 40.46),
    "intersects": Spatial("intersects", L_SHAPE),
    "within": Spatial("within", shapely.box(116.79, 40.39, 116.91, 40.51)),
    "contains": Spatial("contains", shapely.Point(116.825, 40.425)),
    "touches": Spatial("touches", shapely.box(116.9, 40.45, 116.95, 40.5)),
    "overlaps": Spatial("overlaps", shapely.box(116.82, 40.42, 116.87, 40.47)),
    "disjoint": Spatial("disjoint", shapely.box(116.79, 40.39, 116.86, 40.46)),
    "equals": Spatial("equals", township_frame(16).geometry.iloc[5]),
    "empty_geometry": Spatial("intersects", shapely.Polygon()),
    "text_vs_number": Compare("=", "code", 110118004),
    "like_trailing_escape": Like("name", "乡镇\\"),
    "like_escaped_wildcard": Like("name", "乡镇\\_"),
}
FACILITY_CONDITIONS = {
    "int_gt": Compare(">", "served_households", 100),
    "int_null": IsNull("served_households"),
    "float_null": IsNull("capacity_m3d"),
    "date_range": Between("commissioned", "2012-01-01", "2016-12-31"),
    "date_like": Like("commissioned", "2015-%"),
    "escaped_percent": Like("name", "设施\\_%\\%"),
    "not_null_int": Not(Compare("<", "served_households", 50)),
    "number_as_text": Compare(">=", "served_households", "200"),
    "point_in_box": BBox(116.85, 40.45, 116.95, 40.55),
    "int_like": Like("served_households", "1%"),
}


def _same_page(a, b):
    assert a.keys == b.keys
    assert a.number_matched == b.number_matched
    assert a.columns == b.columns
    assert a.rows == b.rows
    assert a.version_from == b.version_from
    assert len(a.geometry) == len(b.geometry)
    if len(a.geometry):
        assert shapely.equals_exact(a.geometry, b.geometry, tolerance=0).all()


@pytest.mark.parametrize("name", sorted(CONDITIONS))
def test_townships_pages_are_equal(both, name):
    gpkg, pg = both
    for version in (None, 1):
        for limit, offset in ((100, 0), (3, 2)):
            q = FeatureQuery(where=CONDITIONS[name], limit=limit, offset=offset, version=version)
            _same_page(
                gpkg.query_features(TOWNSHIPS, q, count=True), pg.query_features(TOWNSHIPS, q, count=True)
            )
            assert gpkg.count_features(TOWNSHIPS, q) == pg.count_features(TOWNSHIPS, q)


@pytest.mark.parametrize("name", sorted(FACILITY_CONDITIONS))
def test_facility_pages_are_equal(both, name):
    gpkg, pg = both
    q = FeatureQuery(where=FACILITY_CONDITIONS[name], limit=100)
    a, b = gpkg.query_features(FACILITIES, q, count=True), pg.query_features(FACILITIES, q, count=True)
    _same_page(a, b)
    assert a.number_matched is not None


def test_get_feature_extent_and_layer_reads_agree(both):
    gpkg, pg = both
    for key, version in (("110118002", None), ("110118002", 1), ("nope", None)):
        a, b = (
            gpkg.get_feature(TOWNSHIPS, key, version=version),
            pg.get_feature(TOWNSHIPS, key, version=version),
        )
        assert (a is None) == (b is None)
        if a is not None and b is not None:
            _same_page(a, b)
            assert a.extra == b.extra
    ea, eb = gpkg.layer_extent(FACILITIES), pg.layer_extent(FACILITIES)
    assert np.allclose(ea.bbox, eb.bbox, atol=1e-5)  # the GeoPackage's R-tree rounds to float32
    assert ea.interval == eb.interval
    ra, rb = gpkg.read_layer(FACILITIES), pg.read_layer(FACILITIES)
    assert ra.drop(columns="geometry").equals(rb.drop(columns="geometry"))
    assert gpkg.diff(TOWNSHIPS, 1, 2) == pg.diff(TOWNSHIPS, 1, 2)


def test_an_area_update_replaces_the_same_features(tmp_path):
    """Scope by area: the GiST proposes, shapely decides by representative point, on both backends."""
    location = store_location(TEST_STORE)
    stores = [
        open_store(str(tmp_path / "liuyu.gpkg"), tmp_path, create=True),
        open_store(location, tmp_path, create=True),
    ]
    area = shapely.box(116.8, 40.4, 116.9, 40.5)
    try:
        results = []
        for s in stores:
            s.write_layer(TOWNSHIPS, township_frame(16), PROV)
            inside = township_frame(16)
            inside = inside[shapely.covers(area, shapely.point_on_surface(inside.geometry.values))].copy()
            inside["name"] = "重测"
            info = s.write_layer(TOWNSHIPS, inside.iloc[:-1], PROV, scope=Scope(area=area))
            results.append(
                (info.n_changed, info.n_removed, info.n_features, sorted(s.read_layer(TOWNSHIPS)["name"]))
            )
            with pytest.raises(Exception, match="outside the update area"):
                s.write_layer(TOWNSHIPS, township_frame(16), PROV, scope=Scope(area=area))
        assert results[0] == results[1]
        assert results[0][0] == 3 and results[0][1] == 1
    finally:
        for s in stores:
            s.close()
        drop_schema(location)


def test_nul_characters_match_nothing_and_are_refused_on_write(both):
    """PostgreSQL text cannot hold NUL: a filter with one finds nothing (no 500), a write names the field."""
    from liuyu.errors import SchemaError

    gpkg, pg = both
    for cond in (Compare("=", "name", "乡镇\x003"), Like("name", "\x00%"), In("code", ("\x00",))):
        q = FeatureQuery(where=cond, limit=10)
        assert pg.count_features(TOWNSHIPS, q) == 0 == gpkg.count_features(TOWNSHIPS, q)
    assert pg.get_feature(TOWNSHIPS, "1101\x00") is None
    bad = township_frame(2)
    bad.loc[0, "name"] = "a\x00b"
    with pytest.raises(SchemaError, match="'name' contains NUL"):
        pg.write_layer(TOWNSHIPS, bad, PROV)
