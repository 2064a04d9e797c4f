"""/api/alerts (list, acknowledge) and /api/discharge (compliance per period, `verified` on every row)."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from fastapi.testclient import TestClient

import liuyu
from assess_data import lab
from liuyu.api import create_app
from liuyu.assess.alerts_run import check_alerts
from liuyu.assess.run import parse_period


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    root = tmp_path_factory.mktemp("alerts_api") / "ws"
    ws = liuyu.init(root, basin_name="测试流域")
    ws.write_layer(
        "stations",
        gpd.GeoDataFrame(
            {
                "code": ["S1", "O1", "R1"],
                "name": ["断面一", "镇污水厂排口", "某村污水站出水"],
                "kind": ["water_quality", "sewage_outfall", "rural_sewage"],
                "water_type": ["river", None, None],
                "target_class": ["II", None, None],
                "jurisdiction": ["beijing", "hebei", "beijing"],
            },
            geometry=[shapely.Point(116.8, 40.5), shapely.Point(116.9, 40.5), shapely.Point(117.0, 40.5)],
            crs="EPSG:4490",
        ),
    )
    ws.write_layer(
        "sewage_facilities",
        gpd.GeoDataFrame(
            {
                "code": ["F1"],
                "name": ["某村污水站"],
                "standard": ["DB11/1612-2019"],
                "standard_class": ["一级A"],
            },
            geometry=[shapely.Point(117.0, 40.5)],
            crs="EPSG:4490",
        ),
    )
    ws.append_observations(
        pd.concat(
            [
                lab("S1", "2024-08-05 10:00", {"tp": 0.3}),
                lab("O1", "2024-08-30 10:00", {"cod": 50.0, "nh3n": 9.0}).assign(method="auto"),
                lab("R1", "2024-08-30 10:00", {"cod": 400.0}).assign(method="auto"),
            ],
            ignore_index=True,
        )
    )
    ws.config.alerts.channels = ["log"]
    check_alerts(ws, parse_period("2024-08"))
    ws.close()
    return TestClient(create_app(root))


def test_discharge_rows_carry_verified(client: TestClient) -> None:
    body = client.get("/api/discharge", params={"period": "2024-08"}).json()
    assert body["unverified_label"] == {"zh": "未核实", "en": "unverified"}
    rows = {(r["station_code"], r["property_code"]): r for r in body["results"]}
    cod = rows[("O1", "cod")]
    assert (cod["value"], cod["limit"], cod["exceed"], cod["multiple"], cod["verified"]) == (
        50.0,
        50.0,
        False,
        0.0,
        True,
    )
    assert rows[("O1", "nh3n")]["exceed"] is True and rows[("O1", "tn")]["n_samples"] == 0
    rural = [r for r in body["results"] if r["station_code"] == "R1"]
    assert rural and all(r["verified"] is False and r["limit"] is None for r in rural)
    assert rural[0]["standard_code"] == "DB11/1612-2019" and rural[0]["standard_source"] == "facility"


def test_discharge_for_one_station(client: TestClient) -> None:
    body = client.get("/api/discharge", params={"period": "2024-08", "station": "O1"}).json()
    assert {r["station_code"] for r in body["results"]} == {"O1"} and len(body["results"]) == 6


def test_discharge_bad_period_is_400(client: TestClient) -> None:
    assert client.get("/api/discharge", params={"period": "2024-13"}).status_code == 400


def test_alerts_filters(client: TestClient) -> None:
    body = client.get("/api/alerts").json()
    kinds = sorted(a["kind"] for a in body["alerts"])
    assert kinds == ["facility_over_limit", "section_below_target"]  # O1, R1 reported 1.6 d before the end
    hebei = client.get("/api/alerts", params={"jurisdiction": "hebei"}).json()["alerts"]
    assert {a["subject"] for a in hebei} == {"O1"}
    only = client.get("/api/alerts", params={"kind": "facility_over_limit", "state": "open"}).json()
    assert only["number"] == 1 and "氨氮" in only["alerts"][0]["message_zh"]
    assert client.get("/api/alerts", params={"state": "nope"}).status_code == 400


def test_ack_route(client: TestClient) -> None:
    alert = client.get("/api/alerts", params={"kind": "section_below_target"}).json()["alerts"][0]
    r = client.post(f"/api/alerts/{alert['id']}/ack", json={"note": "采样复核中"})
    assert r.status_code == 200
    body = r.json()
    assert (body["state"], body["acknowledged_by"], body["ack_note"]) == (
        "acknowledged",
        "local (admin@basin)",
        "采样复核中",
    )
    assert client.get("/api/alerts", params={"state": "acknowledged"}).json()["number"] == 1
    assert client.post("/api/alerts/999/ack").status_code == 404
