"""Liuyu's own routes behind the map: config, catalog, search, labels, stations, observations."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from fastapi.testclient import TestClient

import liuyu
from liuyu.api import create_app
from liuyu.catalog import load_categories
from liuyu.config import save_config
from liuyu.network import load_properties

# Two counties side by side, the basin over both; Beijing's townships tile its county, Hebei's
# cover only its western half (so its townships are "partial").
BEIJING = shapely.box(116.8, 40.4, 117.0, 40.6)
HEBEI = shapely.box(116.6, 40.4, 116.8, 40.6)
UTC = dt.UTC


def _frame(rows: list[dict], crs: str = "EPSG:4490") -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(pd.DataFrame(rows), geometry="geometry", crs=crs)


def _layers() -> dict[str, gpd.GeoDataFrame]:
    return {
        "basin": _frame(
            [
                {
                    "code": "MY",
                    "name": "测试流域",
                    "jurisdiction": "beijing",
                    "geometry": shapely.union(BEIJING, HEBEI),
                }
            ]
        ),
        "counties": _frame(
            [
                {
                    "code": "110118",
                    "name": "密云区",
                    "province": "北京市",
                    "jurisdiction": "beijing",
                    "geometry": BEIJING,
                },
                {
                    "code": "130825",
                    "name": "滦平县",
                    "province": "河北省",
                    "jurisdiction": "hebei",
                    "geometry": HEBEI,
                },
            ]
        ),
        "townships": _frame(
            [
                {"code": "110118100", "name": "溪翁庄镇", "jurisdiction": "beijing", "geometry": BEIJING},
                {
                    "code": "130825100",
                    "name": "巴克什营镇",
                    "jurisdiction": "hebei",
                    "geometry": shapely.box(116.6, 40.4, 116.7, 40.6),
                },
            ]
        ),
        "rivers": _frame(
            [
                {
                    "code": "CBH1001",
                    "name": "白河",
                    "order": 1,
                    "jurisdiction": "hebei",
                    "geometry": shapely.MultiLineString([[(116.65, 40.55), (116.9, 40.45)]]),
                },
                {
                    "code": "CBH1002",
                    "name": "潮河",
                    "order": 1,
                    "jurisdiction": "beijing",
                    "geometry": shapely.MultiLineString([[(116.95, 40.58), (116.9, 40.45)]]),
                },
            ]
        ),
        "stations": _frame(
            [
                {
                    "code": "1101SZ001",
                    "name": "白河入境（冀京界）",
                    "kind": "water_quality",
                    "role": "provincial_boundary",
                    "river": "白河",
                    "target_class": "II",
                    "jurisdiction": "beijing",
                    "geometry": shapely.Point(116.81, 40.5),
                },
                {
                    "code": "1307YL001",
                    "name": "巴克什营雨量站",
                    "kind": "rain",
                    "jurisdiction": "hebei",
                    "geometry": shapely.Point(116.7, 40.5),
                },
                {
                    "code": "1307YL002",
                    "name": "无数据雨量站",
                    "kind": "rain",
                    "jurisdiction": "hebei",
                    "geometry": shapely.Point(116.65, 40.45),
                },
            ]
        ),
    }


def _observations() -> pd.DataFrame:
    # mid-month samples, local time (UTC+8): 2024-01-15 00:00 is 2024-01-14T16:00Z
    times = pd.date_range("2024-01-01", periods=6, freq="MS", tz="Asia/Shanghai") + pd.Timedelta(days=14)
    rows = [
        {
            "station_code": "1101SZ001",
            "property_code": "tp",
            "phenomenon_time": t,
            "value": v,
            "method": "lab",
        }
        for t, v in zip(times, [0.02, 0.03, 0.01, 0.025, 0.04, 0.02], strict=True)
    ]
    rows[2]["censor"] = "<"
    rows += [
        {
            "station_code": "1101SZ001",
            "property_code": "do",
            "phenomenon_time": t,
            "value": 9.0,
            "method": "lab",
        }
        for t in times[:3]
    ]
    rows += [
        {"station_code": "1307YL001", "property_code": "rainfall", "phenomenon_time": t, "value": 1.5}
        for t in pd.date_range("2024-07-01", periods=24, freq="h", tz="UTC")
    ]
    frame = pd.DataFrame(rows)
    frame["phenomenon_time"] = pd.to_datetime(frame["phenomenon_time"], utc=True)
    return frame


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("routes") / "ws"
    ws = liuyu.init(root, basin_name="测试流域", basin_name_en="Test basin")
    for code, frame in _layers().items():
        ws.write_layer(code, frame)
    ws.store.upsert_properties(load_properties())
    # a QC rule flagged one value (the store keeps the flag beside the raw value)
    obs = _observations()
    ws.append_observations(obs.assign(qc_flag=(obs["value"] == 0.04).astype(int) * 2))
    ws.close()
    return root


@pytest.fixture(scope="module")
def client(root: Path) -> TestClient:
    return TestClient(create_app(root))


def test_config(client: TestClient) -> None:
    body = client.get("/api/config").json()
    assert body["basin"] == {"name_zh": "测试流域", "name_en": "Test basin", "boundary_category": "basin"}
    assert [j["code"] for j in body["jurisdictions"]] == ["beijing", "hebei"]
    assert body["basemap_url"] is None
    assert body["bbox"] == pytest.approx([116.6, 40.4, 117.0, 40.6], abs=1e-4)


def test_config_basemap_from_the_workspace(tmp_path: Path) -> None:
    ws = liuyu.init(tmp_path / "ws")
    ws.config.map.basemap_url = "http://t0.tianditu.internal/vec_w/{z}/{x}/{y}.png"
    save_config(ws.config, ws.root / "liuyu.toml")
    ws.close()
    body = TestClient(create_app(tmp_path / "ws")).get("/api/config").json()
    assert body["basemap_url"].endswith("{z}/{x}/{y}.png")
    assert body["bbox"] is None  # an empty workspace has no extent yet


def test_catalog_counts_and_completeness(client: TestClient) -> None:
    body = client.get("/api/catalog").json()
    cats = {c["code"]: c for c in body["categories"]}
    assert set(cats) == set(load_categories())
    st = cats["stations"]
    assert (st["features"], st["version"], st["group"], st["geometry"]) == (3, 1, "network", "Point")
    assert st["name_zh"] == "监测站点" and st["updated"].endswith("Z")
    assert st["jurisdictions"]["beijing"]["status"] == "present"
    assert st["jurisdictions"]["hebei"] == {
        "features": 2,
        "coverage": None,
        "without_data": 1,
        "status": "partial",
        "updated": st["updated"],
    }
    town = cats["townships"]["jurisdictions"]
    assert town["beijing"]["coverage"] == pytest.approx(1.0) and town["beijing"]["status"] == "present"
    assert town["hebei"]["coverage"] == pytest.approx(0.5, abs=0.01) and town["hebei"]["status"] == "partial"
    # the one basin feature is Beijing's, but it covers Hebei's part of the basin as well
    assert cats["basin"]["jurisdictions"]["hebei"]["status"] == "present"
    assert cats["land_use"]["version"] is None
    assert {c["status"] for c in cats["land_use"]["jurisdictions"].values()} == {"missing"}
    assert cats["rivers"]["jurisdictions"]["hebei"]["features"] == 1
    assert any(f["name"] == "kind" and f["codelist"] == "station_kind" for f in st["fields"])
    assert body["codelists"]["station_kind"]["rain"] == ["雨量站", "Rain gauge"]


def test_search_by_chinese_name_and_by_code(client: TestClient) -> None:
    hits = client.get("/api/search", params={"q": "白河"}).json()["hits"]
    assert hits[0] == {
        "category": "rivers",
        "id": "CBH1001",
        "name": "白河",
        "code": "CBH1001",
        "bbox": pytest.approx([116.65, 40.45, 116.9, 40.55], abs=1e-4),
        "point": None,
    }
    assert ("stations", "1101SZ001") in {(h["category"], h["id"]) for h in hits}
    by_code = client.get("/api/search", params={"q": "1307yl001"}).json()["hits"]
    assert by_code[0]["id"] == "1307YL001" and by_code[0]["name"] == "巴克什营雨量站"
    assert by_code[0]["point"] == pytest.approx([116.7, 40.5], abs=1e-4)
    prefix = client.get("/api/search", params={"q": "1307YL"}).json()["hits"]
    assert {h["id"] for h in prefix} == {"1307YL001", "1307YL002"}


def test_search_treats_like_wildcards_literally_and_limits(client: TestClient) -> None:
    assert client.get("/api/search", params={"q": "%"}).json()["hits"] == []
    assert client.get("/api/search", params={"q": "_"}).json()["hits"] == []
    assert len(client.get("/api/search", params={"q": "1", "limit": 2}).json()["hits"]) == 2
    assert client.get("/api/search", params={"q": ""}).status_code in (400, 422)


def test_labels_one_point_inside_each_polygon(client: TestClient) -> None:
    body = client.get("/api/labels/counties").json()
    assert body["type"] == "FeatureCollection" and len(body["features"]) == 2
    for f in body["features"]:
        point = shapely.Point(f["geometry"]["coordinates"])
        assert (BEIJING if f["id"] == "110118" else HEBEI).contains(point)
    missing = client.get("/api/labels/stations")
    assert missing.status_code == 404 and missing.json()["code"] == "NotFound"
    assert client.get("/api/labels/nowhere").status_code == 404


def test_station_and_its_series(client: TestClient) -> None:
    body = client.get("/api/stations/1101SZ001").json()
    assert body["id"] == "1101SZ001" and body["jurisdiction"] == "beijing"
    assert (body["lon"], body["lat"]) == pytest.approx((116.81, 40.5))
    assert body["attributes"]["name"] == "白河入境（冀京界）"
    assert body["attributes"]["kind"] == "water_quality"
    series = {s["property"]: s for s in body["series"]}
    assert set(series) == {"tp", "do"}
    tp = series["tp"]
    assert (tp["name_zh"], tp["name_en"], tp["unit"], tp["count"], tp["method"]) == (
        "总磷",
        "Total phosphorus",
        "mg/L",
        6,
        "lab",
    )
    assert tp["first"] == "2024-01-14T16:00:00Z" and tp["last"] == "2024-06-14T16:00:00Z"
    assert client.get("/api/stations/1307YL002").json()["series"] == []


def test_observations(client: TestClient) -> None:
    body = client.get("/api/stations/1101SZ001/observations", params={"property": "tp"}).json()
    assert (body["station"], body["property"], body["unit"], body["name_en"]) == (
        "1101SZ001",
        "tp",
        "mg/L",
        "Total phosphorus",
    )
    obs = body["observations"]
    assert [o["time"] for o in obs][:2] == ["2024-01-14T16:00:00Z", "2024-02-14T16:00:00Z"]
    assert obs[2] == {
        "time": "2024-03-14T16:00:00Z",
        "value": 0.01,
        "censor": "<",
        "qc_flag": 0,
        "method": "lab",
    }
    assert [o["qc_flag"] for o in obs] == [0, 0, 0, 0, 2, 0]
    window = client.get(
        "/api/stations/1101SZ001/observations",
        params={"property": "tp", "start": "2024-03-01T00:00:00Z", "end": "2024-05-01T00:00:00+08:00"},
    ).json()["observations"]
    assert [o["value"] for o in window] == [0.01, 0.025]
    naive_is_utc = client.get(
        "/api/stations/1307YL001/observations",
        params={"property": "rainfall", "start": "2024-07-01T12:00:00"},
    ).json()["observations"]
    assert len(naive_is_utc) == 12 and naive_is_utc[0]["time"] == "2024-07-01T12:00:00Z"


def test_not_found_bodies(client: TestClient) -> None:
    for url in ("/api/stations/NOPE", "/api/stations/NOPE/observations?property=tp"):
        res = client.get(url)
        assert res.status_code == 404
        assert res.json()["code"] == "NotFound" and "NOPE" in res.json()["description"]
    res = client.get("/api/stations/1101SZ001/observations", params={"property": "cod"})
    assert res.status_code == 404 and "do, tp" in res.json()["description"]
    assert client.get("/api/stations/1101SZ001/observations").status_code in (400, 422)


def test_routes_are_documented(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    for path in (
        "/api/config",
        "/api/catalog",
        "/api/search",
        "/api/labels/{category}",
        "/api/stations/{code}",
        "/api/stations/{code}/observations",
    ):
        assert path in doc["paths"], path
    params = {p["name"]: p for p in doc["paths"]["/api/search"]["get"]["parameters"]}
    assert params["q"]["description"] and params["limit"]["schema"]["maximum"] == 100
    assert "404" in doc["paths"]["/api/stations/{code}"]["get"]["responses"]
    assert "/map" not in doc["paths"] and not any(p.startswith("/vendor") for p in doc["paths"])
