"""OGC API Features Part 2: crs, bbox-crs and Content-Crs, with the axis order each CRS defines."""

from __future__ import annotations

import numpy as np
import ogc_data
import pyproj
import pytest
import shapely
from fastapi.testclient import TestClient

from liuyu.api import create_app

URI = "http://www.opengis.net/def/crs"
CRS84, CGCS2000, WGS84, GK117 = (
    f"{URI}/OGC/1.3/CRS84",
    f"{URI}/EPSG/0/4490",
    f"{URI}/EPSG/0/4326",
    f"{URI}/EPSG/0/4548",
)
BLOCK = (116.8, 40.4, 116.81, 40.41)  # lon/lat box around a 3 x 3 block of parcels


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    ws = ogc_data.build(tmp_path_factory.mktemp("crs") / "ws")
    ws.close()
    with TestClient(create_app(ws.root)) as c:
        yield c


def ring(doc: dict) -> np.ndarray:
    return np.array(doc["geometry"]["coordinates"][0][0], dtype=float)


def test_default_is_crs84_lon_lat(client):
    r = client.get("/collections/land_use/items/P00007")
    assert r.headers["Content-Crs"] == f"<{CRS84}>"
    lon, lat = ring(r.json())[0]
    assert 116 < lon < 118 and 40 < lat < 41


@pytest.mark.parametrize("uri", [CGCS2000, WGS84])
def test_geographic_epsg_crs_are_lat_lon(client, uri):
    base = ring(client.get("/collections/land_use/items/P00007").json())
    r = client.get("/collections/land_use/items/P00007", params={"crs": uri})
    assert r.status_code == 200 and r.headers["Content-Crs"] == f"<{uri}>"
    np.testing.assert_allclose(ring(r.json()), base[:, ::-1], atol=1e-9)


def test_analysis_crs_round_trip(client):
    """EPSG:4548 is northing/easting in EPSG; coordinates come back in that order and invert exactly."""
    lonlat = ring(client.get("/collections/land_use/items/P00007").json())
    r = client.get("/collections/land_use/items/P00007", params={"crs": GK117})
    assert r.headers["Content-Crs"] == f"<{GK117}>"
    northing_easting = ring(r.json())
    assert (northing_easting[:, 0] > 4_000_000).all() and (northing_easting[:, 1] < 1_000_000).all()
    back = pyproj.Transformer.from_crs("EPSG:4548", "EPSG:4490", always_xy=True)
    lon, lat = back.transform(northing_easting[:, 1], northing_easting[:, 0])
    np.testing.assert_allclose(np.column_stack([lon, lat]), lonlat, atol=1e-9)
    # the short form is accepted too, and answered with the URI
    assert (
        client.get("/collections/land_use/items?crs=EPSG:4548&limit=1").headers["Content-Crs"] == f"<{GK117}>"
    )


def test_bbox_crs_in_each_axis_order(client):
    def ids(**params) -> list[str]:
        doc = client.get("/collections/land_use/items", params={"limit": 100, **params}).json()
        return sorted(f["id"] for f in doc["features"])

    x0, y0, x1, y1 = BLOCK
    expected = ids(bbox=",".join(map(str, BLOCK)))
    assert len(expected) == 9
    assert ids(bbox=f"{y0},{x0},{y1},{x1}", **{"bbox-crs": CGCS2000}) == expected
    assert ids(bbox=f"{x0},{y0},{x1},{y1}", **{"bbox-crs": CRS84}) == expected
    # the same box in Gauss-Krüger metres, northing first (the grid's gaps are ~85 m wide)
    fwd = pyproj.Transformer.from_crs("EPSG:4490", "EPSG:4548", always_xy=True)
    e0, n0 = fwd.transform(x0 + 1e-5, y0 + 1e-5)
    e1, n1 = fwd.transform(x1 - 1e-5, y1 - 1e-5)
    assert ids(bbox=f"{n0},{e0},{n1},{e1}", **{"bbox-crs": GK117}) == expected
    assert ids(bbox=f"{e0},{n0},{e1},{n1}", **{"bbox-crs": GK117}) == []  # easting first is elsewhere


def test_filter_crs_for_geometry_literals(client):
    fwd = pyproj.Transformer.from_crs("EPSG:4490", "EPSG:4548", always_xy=True)
    e, n = fwd.transform(116.8015, 40.4015)  # inside parcel P00000's square
    doc = client.get(
        "/collections/land_use/items",
        params={"filter": f"S_INTERSECTS(geometry, POINT({n} {e}))", "filter-crs": GK117},
    ).json()
    assert [f["id"] for f in doc["features"]] == ["P00000"]


def test_unsupported_crs_are_400_naming_the_parameter(client):
    for name in ("crs", "bbox-crs", "filter-crs"):
        r = client.get("/collections/land_use/items", params={name: f"{URI}/EPSG/0/3857", "bbox": "1,2,3,4"})
        assert r.status_code == 400 and r.json()["description"].startswith(f"{name}:"), r.text
        assert GK117 in r.json()["description"]  # says what is accepted
    assert client.get("/collections/land_use/items/P00007?crs=nonsense").status_code == 400


def test_collection_lists_the_offered_crs(client):
    doc = client.get("/collections/land_use").json()
    assert doc["crs"] == [CRS84, CGCS2000, WGS84, GK117] and doc["storageCrs"] == CGCS2000


def test_geometries_survive_the_trip_exactly(client):
    """The default output is the stored CGCS2000 coordinates, untouched (null transformation)."""
    doc = client.get("/collections/land_use/items/P00007").json()
    stored = ogc_data.parcel_frame().set_index("parcel_id").geometry["P00007"]
    assert shapely.equals_exact(shapely.geometry.shape(doc["geometry"]).geoms[0], stored, tolerance=0)
