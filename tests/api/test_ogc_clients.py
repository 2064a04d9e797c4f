"""Real clients against a live server on 127.0.0.1: GDAL's OAPIF driver (through pyogrio) and OWSLib."""

from __future__ import annotations

import httpx
import ogc_data
import pyogrio
import pytest

from live_server import liuyu_serve

pytestmark = pytest.mark.slow
N_CURRENT = ogc_data.N_PARCELS - 1


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`liuyu serve` on a free port, stopped after the module's tests."""
    ws = ogc_data.build(tmp_path_factory.mktemp("live") / "ws")
    ws.close()
    with liuyu_serve(ws.root) as url:
        yield url


def test_gdal_has_the_oapif_driver():
    assert "OAPIF" in pyogrio.list_drivers()


def test_gdal_lists_every_collection(server):
    layers = dict(pyogrio.list_layers(f"OAPIF:{server}"))
    assert {"land_use", "townships", "stations", "rivers"} <= set(layers)


def test_gdal_reads_a_whole_layer_by_pages(server):
    df = pyogrio.read_dataframe(f"OAPIF:{server}", layer="land_use")
    assert len(df) == N_CURRENT and df["id"].is_unique
    assert set(df["class_code"]) == set(ogc_data.current_parcels()["class_code"])
    # GDAL takes the storage CRS (EPSG:4490, lat/lon) and swaps to x=lon: our axis order matches its
    assert df.crs.to_epsg() == 4490
    x0, y0, x1, y1 = df.total_bounds
    assert 116.79 < x0 < x1 < 116.9 and 40.39 < y0 < y1 < 40.5


def test_gdal_bbox_goes_to_the_server(server):
    df = pyogrio.read_dataframe(f"OAPIF:{server}", layer="land_use", bbox=(116.8, 40.4, 116.81, 40.41))
    assert sorted(df["parcel_id"]) == sorted(f"P{i:05d}" for i in (0, 1, 2, 20, 21, 22, 40, 41, 42))


def test_gdal_where_clause(server):
    df = pyogrio.read_dataframe(
        f"OAPIF:{server}", layer="land_use", where="class_code = '0101' AND survey_year = 2021"
    )
    parcels = ogc_data.current_parcels()
    expected = parcels[(parcels.class_code == "0101") & (parcels.survey_year == 2021)]
    assert sorted(df["parcel_id"]) == sorted(expected.parcel_id)


def test_serve_printed_its_urls(server):
    """The banner is checked in test_serve_cmd; here: the map link of the landing page is absolute."""
    links = httpx.get(f"{server}/").json()["links"]
    assert any(link["href"] == f"{server}/map" for link in links)


def test_owslib_lists_collections_and_reads_items(server):
    from owslib.ogcapi.features import Features

    api = Features(server)
    assert "land_use" in api.feature_collections()
    meta = api.collection("land_use")
    assert meta["id"] == "land_use" and meta["itemType"] == "feature"
    page = api.collection_items("land_use", limit=50, offset=100)
    assert page["numberMatched"] == N_CURRENT and page["numberReturned"] == len(page["features"]) == 36
    one = api.collection_item("stations", "S1")
    assert one["properties"]["name"] == "密云"
    assert "geometry" in api.collection_queryables("land_use")["properties"]
    conformance = api.conformance()["conformsTo"]
    assert any(c.endswith("/conf/core") for c in conformance)
