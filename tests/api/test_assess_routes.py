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
    return sections(
        [("S1", "river", "II", 116.8), ("S3", "river", "III", 117.0), ("L1", "lake_reservoir", "II", 117.2)]
    ).assign(name=["断面一", "断面三", "库区一"], river=["白河", "白河", "测试水库"])


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
                lab("L1", "2024-08-07 10:00", {"tp": 0.04, "tn": 0.4}),
                lab("L1", "2024-08-21 10:00", {"tp": 0.02, "tn": 0.6}),
            ],
            ignore_index=True,
        )
    )
    ws.close()
    return TestClient(create_app(root))


def test_periods_lists_months_with_lab_data(client: TestClient) -> None:
    body = client.get("/api/assessments/periods").json()
    assert body["months"] == ["2024-08", "2024-07"]
    assert body["years"] == ["2024"]
    assert body["seasons"] == ["2024-wet", "2024-normal", "2024-dry", "2024-flood"]
    assert body["season_names"]["wet"] == {
        "name_zh": "丰水期",
        "name_en": "wet season",
        "months": [6, 7, 8, 9],
    }


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
        "verified": True,
    }
    assert body["verified"] is True and body["lake_averaging"] == "time_then_space"
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


def test_lakes_come_as_water_bodies(client: TestClient) -> None:
    body = client.get("/api/assessments", params={"period": "2024-08"}).json()
    assert [w["water_body"] for w in body["water_bodies"]] == ["测试水库"]  # by its river field
    lake = body["water_bodies"][0]
    # TP (0.04 + 0.02) / 2 = 0.03 in a reservoir: Ⅲ (TN 0.5 is Ⅱ, and not a routine item)
    assert (lake["label"], lake["grade"], lake["n_points"], lake["met"]) == ("Ⅲ", "良好", 1, False)
    assert lake["verified"] is True


def test_season_period(client: TestClient) -> None:
    body = client.get("/api/assessments", params={"period": "2024-wet"}).json()
    rows = {a["station_code"]: a for a in body["assessments"]}
    assert body["period"] == "2024-wet" and rows["S1"]["n_samples"] == 2  # July and August
    assert client.get("/api/assessments", params={"period": "2024-spring"}).status_code == 400


def test_class_history_of_a_section(client: TestClient) -> None:
    body = client.get("/api/assessments/history", params={"station": "S1"}).json()
    assert body["station"] == "S1" and body["verified"] is True
    assert [(h["period"], h["label"], h["met"]) for h in body["history"]] == [
        ("2024-07", "Ⅰ", True),
        ("2024-08", "Ⅱ", True),
    ]
    s3 = client.get("/api/assessments/history", params={"station": "S3"}).json()["history"]
    assert s3 == [
        {
            "period": "2024-08",
            "class": 6,
            "label": "劣Ⅴ",
            "grade": "重度污染",
            "target": "Ⅲ",
            "met": False,
            "main_pollutants": "总磷(1.50)",
            "n_samples": 1,
            "verified": True,
        }
    ]
    missing = client.get("/api/assessments/history", params={"station": "NOPE"})
    assert missing.status_code == 404 and missing.json()["code"] == "NotFound"
