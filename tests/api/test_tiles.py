"""OGC API - Tiles routes: tile content, cache and its invalidation, ETags, errors, metadata."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import geopandas as gpd
import mapbox_vector_tile
import pyogrio
import pytest
import shapely
from fastapi.testclient import TestClient

from conftest import township_frame
from liuyu.api.app import create_app
from liuyu.tiles import MEDIA_TYPE, Tile, tile_for_lonlat
from liuyu.tiles.grid import bounds_3857, tile_size

TESTS = Path(__file__).resolve().parents[1]
TILE = tile_for_lonlat(116.85, 40.45, 10)  # holds the conftest townships
URL = "/collections/{code}/tiles/WebMercatorQuad/{t.z}/{t.y}/{t.x}"


def url(t: Tile, code: str = "townships") -> str:
    return URL.format(code=code, t=t)


def decode(content: bytes) -> dict:
    return mapbox_vector_tile.decode(content, default_options={"y_coord_down": True})


@pytest.fixture
def client(workspace):
    with TestClient(create_app(workspace.root)) as c:
        yield c


@pytest.fixture
def townships(workspace):
    workspace.write_layer("townships", township_frame())
    return workspace


def test_tile_holds_the_collection_layer_with_its_properties(client, townships):
    r = client.get(url(TILE))
    assert r.status_code == 200 and r.headers["content-type"] == MEDIA_TYPE
    layer = decode(r.content)["townships"]
    assert layer["extent"] == 4096 and len(layer["features"]) == 12
    props = {f["properties"]["id"]: f["properties"] for f in layer["features"]}
    first = props["110118000"]
    assert first == {
        "code": "110118000",
        "name": "乡镇0",
        "county_code": "110118",
        "area_km2": pytest.approx(township_frame()["area_km2"][0]),
        "jurisdiction": "beijing",
        "id": "110118000",
    }
    for f in layer["features"]:
        xy = shapely.get_coordinates(shapely.geometry.shape(f["geometry"]))
        assert xy.min() >= -64 and xy.max() <= 4096 + 64


def test_gdal_places_the_tile_where_the_features_are(client, townships, workspace):
    """An independent decoder (GDAL's MVT driver reads z/x/y from the path) puts the features
    back where they were, to within the tile grid: tile math, y direction and winding agree."""
    client.get(url(TILE))
    path = workspace.root / "cache" / "tiles" / "townships" / "v1" / f"{TILE.z}/{TILE.x}/{TILE.y}.mvt"
    got = pyogrio.read_dataframe(path, layer="townships", CLIP="NO").set_index("id")
    assert got.crs.to_epsg() == 3857
    cell = tile_size(TILE.z) / 4096
    x0, y0, x1, y1 = bounds_3857(TILE)
    buffered = shapely.box(x0 - 64 * cell, y0 - 64 * cell, x1 + 64 * cell, y1 + 64 * cell)
    expected = township_frame().set_index("code").to_crs(3857).geometry.intersection(buffered)
    assert len(got) == 12
    for code, geom in got.geometry.items():
        assert shapely.hausdorff_distance(geom, expected[code]) < 2 * cell


def test_lines_and_points_are_tiled(client, workspace):
    rivers = gpd.GeoDataFrame(
        {"code": ["R1"], "name": ["潮河"], "order": [2]},
        geometry=[shapely.LineString([(116.8, 40.4), (116.9, 40.5), (117.0, 40.45)])],
        crs="EPSG:4490",
    )
    stations = gpd.GeoDataFrame(
        {"code": ["S1"], "name": ["古北口"], "kind": ["water_quality"], "established": ["2001-05-01"]},
        geometry=[shapely.Point(116.9, 40.45)],
        crs="EPSG:4490",
    )
    workspace.write_layer("rivers", rivers)
    workspace.write_layer("stations", stations)
    (river,) = decode(client.get(url(TILE, "rivers")).content)["rivers"]["features"]
    assert river["geometry"]["type"] == "LineString" and river["properties"]["order"] == 2
    (station,) = decode(client.get(url(TILE, "stations")).content)["stations"]["features"]
    assert station["geometry"]["type"] == "Point"
    assert station["properties"] == {
        "code": "S1",
        "name": "古北口",
        "kind": "water_quality",
        "established": "2001-05-01",
        "id": "S1",
    }


def test_empty_tiles_are_204(client, townships, workspace):
    far = tile_for_lonlat(100.0, 30.0, 10)
    assert client.get(url(far)).status_code == 204
    r = client.get(url(TILE, "land_use"))  # a layer with no version yet
    assert r.status_code == 204 and r.headers["etag"] == f'"land_use-v0-{TILE.z}-{TILE.x}-{TILE.y}"'


def test_second_request_is_a_cache_hit_and_on_disk(client, townships, workspace):
    first = client.get(url(TILE))
    second = client.get(url(TILE))
    assert first.headers["x-liuyu-tile-cache"] == "miss" and second.headers["x-liuyu-tile-cache"] == "hit"
    assert first.content == second.content
    path = workspace.root / "cache" / "tiles" / "townships" / "v1" / f"{TILE.z}/{TILE.x}/{TILE.y}.mvt"
    assert path.read_bytes() == first.content


def test_etag_and_if_none_match(client, townships):
    r = client.get(url(TILE))
    etag = r.headers["etag"]
    assert etag == f'"townships-v1-{TILE.z}-{TILE.x}-{TILE.y}"'
    assert "max-age=" in r.headers["cache-control"]
    for header in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        r304 = client.get(url(TILE), headers={"If-None-Match": header})
        assert r304.status_code == 304 and r304.headers["etag"] == etag and not r304.content
    assert client.get(url(TILE), headers={"If-None-Match": '"townships-v0-1-2-3"'}).status_code == 200


def renamed(name: str) -> gpd.GeoDataFrame:
    frame = township_frame()
    frame.loc[0, "name"] = name
    return frame


def names(content: bytes) -> set[str]:
    return {f["properties"]["name"] for f in decode(content)["townships"]["features"]}


def test_a_new_version_is_served_at_once(client, townships, workspace):
    v1 = client.get(url(TILE))
    assert "乡镇0" in names(v1.content)
    workspace.write_layer("townships", renamed("新城子镇"))  # another connection, as an ingest would be
    v2 = client.get(url(TILE))
    assert v2.headers["etag"] != v1.headers["etag"] and v2.headers["x-liuyu-tile-cache"] == "miss"
    assert "新城子镇" in names(v2.content) and "乡镇0" not in names(v2.content)
    assert client.get(url(TILE), headers={"If-None-Match": v1.headers["etag"]}).status_code == 200
    old = workspace.root / "cache" / "tiles" / "townships" / "v1"
    deadline = time.monotonic() + 5
    while old.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not old.exists()


@pytest.mark.slow
def test_a_version_written_by_another_process_is_served_at_once(client, townships, workspace):
    assert "乡镇0" in names(client.get(url(TILE)).content)
    script = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {str(TESTS)!r})
        import liuyu
        from conftest import township_frame
        frame = township_frame()
        frame.loc[0, "name"] = "不老屯镇"
        with liuyu.open({str(workspace.root)!r}) as ws:
            ws.write_layer("townships", frame)
        """
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=120)
    assert "不老屯镇" in names(client.get(url(TILE)).content)


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("/collections/nope/tiles/WebMercatorQuad/1/0/0", 404, "NotFound"),
        ("/collections/dem/tiles/WebMercatorQuad/1/0/0", 404, "NotFound"),
        ("/collections/dem/tiles", 404, "NotFound"),
        ("/collections/townships/tiles/WorldCRS84Quad/1/0/0", 404, "NotFound"),
        ("/collections/townships/tiles/WebMercatorQuad/19/0/0", 404, "NotFound"),
        ("/collections/townships/tiles/WebMercatorQuad/3/8/0", 404, "NotFound"),
        ("/collections/townships/tiles/WebMercatorQuad/3/0/8", 404, "NotFound"),
        ("/collections/townships/tiles/WebMercatorQuad/3/-1/0", 400, "InvalidParameterValue"),
        ("/collections/townships/tiles/WebMercatorQuad/z/0/0", 400, "InvalidParameterValue"),
        ("/collections/townships/tiles/WebMercatorQuad?f=xml", 400, "InvalidParameterValue"),
        ("/tileMatrixSets/Nope", 404, "NotFound"),
    ],
)
def test_errors_are_ogc_exceptions(client, path, status, code):
    r = client.get(path)
    assert r.status_code == status
    body = r.json()
    assert body["code"] == code and body["description"]


def test_raster_collections_say_tiles_are_for_vector_collections(client):
    body = client.get("/collections/dem/tiles/WebMercatorQuad/1/0/0").json()
    assert "vector collections" in body["description"]


def test_tile_matrix_sets(client):
    listing = client.get("/tileMatrixSets").json()
    (item,) = listing["tileMatrixSets"]
    assert item["id"] == "WebMercatorQuad"
    assert item["links"][0]["href"].endswith("/tileMatrixSets/WebMercatorQuad")
    tms = client.get("/tileMatrixSets/WebMercatorQuad").json()
    assert tms["uri"] == "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad"
    assert tms["tileMatrices"][0]["scaleDenominator"] == pytest.approx(559082264.028717)


def test_tilesets_list_and_tileset_metadata(client, townships):
    listing = client.get("/collections/townships/tiles").json()
    (ts,) = listing["tilesets"]
    assert ts["dataType"] == "vector" and ts["crs"] == "http://www.opengis.net/def/crs/EPSG/0/3857"
    rels = {lk["rel"] for lk in ts["links"]}
    assert {"self", "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme"} <= rels

    meta = client.get("/collections/townships/tiles/WebMercatorQuad").json()
    assert meta["dataType"] == "vector" and meta["version"] == "1"
    assert meta["tileMatrixSetURI"] == "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad"
    assert len(meta["tileMatrixSetLimits"]) == 19 and meta["tileMatrixSetLimits"][-1]["tileMatrix"] == "18"
    (item,) = [lk for lk in meta["links"] if lk["rel"] == "item"]
    assert item["templated"] is True and item["type"] == MEDIA_TYPE
    assert item["href"].endswith("/townships/tiles/WebMercatorQuad/{tileMatrix}/{tileRow}/{tileCol}")
    (layer,) = meta["layers"]
    assert layer["id"] == "townships" and layer["geometryDimension"] == 2
    props = layer["propertiesSchema"]["properties"]
    assert props["area_km2"]["type"] == "number" and {"jurisdiction", "id", "code", "name"} <= set(props)


def test_tilejson_for_maplibre(client, townships):
    tj = client.get("/collections/townships/tiles/WebMercatorQuad?f=tilejson").json()
    assert tj["tiles"][0].endswith("/collections/townships/tiles/WebMercatorQuad/{z}/{y}/{x}")
    assert tj["vector_layers"][0]["id"] == "townships" and tj["maxzoom"] == 18
