"""/api/assessments: section classes per period, computed on demand, and the periods to choose from."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from fastapi.testclient import TestClient

import liuyu
from assess_data import lab, sections
from liuyu.api import create_app


def stations() -> gpd.GeoDataFrame:
    return sections([("S1", "river", "II", 116.8), ("S3", "river", "III", 117.0)]).assign(
        name=["断面一", "断面三"]
    )


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    root = tmp_path_factory.mktemp("assess_api") / "ws"
    ws = liuyu.init(root, basin_name="测试流域")
    ws.write_layer("stations", stations())
    ws.append_observations(
        pd.concat(
            [
                lab("S1", "2024-08-05 10:00", {"tp": 0.04, "nh3n": 0.1}),
                lab("S3", "2024-08-12 10:00", {"tp": 0.5}),
                lab("S1", "2024-07-05 10:00", {"tp": 0.01}),
            ],
            ignore_index=True,
        )
    )
    ws.close()
    return TestClient(create_app(root))


def test_periods_lists_months_with_lab_data(client: TestClient) -> None:
    body = client.get("/api/assessments/periods").json()
    assert body["months"] == ["2024-08", "2024-07"]


def test_assessments_computed_on_demand_then_stored(client: TestClient) -> None:
    r = client.get("/api/assessments", params={"period": "2024-08"})
    assert r.status_code == 200
    body = r.json()
    rows = {a["station_code"]: a for a in body["assessments"]}
    assert rows["S1"]["label"] == "Ⅱ" and rows["S1"]["met"] is True
    assert rows["S3"] == {
        "station_code": "S3",
        "water_type": "river",
        "class": 6,
        "label": "劣Ⅴ",
        "target": "Ⅲ",
        "met": False,
        "main_pollutants": "总磷(1.50)",
        "n_samples": 1,
    }
    assert "2024-08" in client.get("/api/assessments/periods").json()["assessed"]
    again = client.get("/api/assessments", params={"period": "2024-08"}).json()
    assert again["fingerprint"] == body["fingerprint"]


def test_period_without_data_is_404_ogc(client: TestClient) -> None:
    r = client.get("/api/assessments", params={"period": "2023-01"})
    assert r.status_code == 404
    assert r.json()["code"] == "NotFound"


def test_bad_period_is_400(client: TestClient) -> None:
    r = client.get("/api/assessments", params={"period": "2024-13"})
    assert r.status_code == 400
    assert r.json()["code"] == "InvalidParameterValue"
