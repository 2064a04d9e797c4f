"""/api/stations/{code}/series: a station's raw values with their QC status, and daily/monthly aggregates."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

import liuyu
from assess_data import lab, sections
from liuyu.api import create_app
from liuyu.api.series_routes import qc_status
from liuyu.network.qc import QCFlag


def tp_samples() -> pd.DataFrame:
    rows = pd.concat(
        [
            lab("S1", "2024-08-05 10:00", {"tp": 0.04}),  # good
            lab("S1", "2024-08-12 10:00", {"tp": 0.01}),  # "<0.01": censored
            lab("S1", "2024-08-19 10:00", {"tp": 0.9}),  # outside the soft range: suspect
            lab("S1", "2024-08-26 10:00", {"tp": 99.0}),  # outside the hard range: rejected
        ],
        ignore_index=True,
    )
    return rows.assign(
        censor=["", "<", "", ""],
        qc_flag=[
            0,
            int(QCFlag.CENSORED),
            int(QCFlag.SUSPECT_RANGE | QCFlag.SPIKE),
            int(QCFlag.REJECTED_RANGE),
        ],
    )


def do_hourly() -> pd.DataFrame:
    """Auto DO every hour over two local days (Aug 1 and 2): 8.0 on the 1st, 6.0 on the 2nd."""
    local = pd.date_range("2024-08-01 00:00", periods=48, freq="h", tz="Asia/Shanghai")
    value = np.where(local.day == 1, 8.0, 6.0)
    flag = np.zeros(48, dtype=int)
    flag[30] = int(QCFlag.REJECTED_RANGE)  # left out of the aggregates
    flag[31] = int(QCFlag.FLAT)  # kept, counted as suspect
    value[30] = 100.0
    return pd.DataFrame(
        {
            "station_code": "S1",
            "property_code": "do",
            "phenomenon_time": local.tz_convert("UTC"),
            "value": value,
            "method": "auto",
            "qc_flag": flag,
        }
    )


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    root = tmp_path_factory.mktemp("series_api") / "ws"
    ws = liuyu.init(root, basin_name="测试流域")
    ws.write_layer("stations", sections([("S1", "river", "II", 116.8)]))
    ws.append_observations(pd.concat([tp_samples(), do_hourly()], ignore_index=True))
    ws.close()
    return TestClient(create_app(root))


def test_raw_points_carry_their_qc_status(client: TestClient) -> None:
    body = client.get("/api/stations/S1/series", params={"property": "tp"}).json()
    assert (body["name_zh"], body["unit"], body["agg"], body["methods"]) == ("总磷", "mg/L", "raw", ["lab"])
    status = [(p["time"], p["status"]) for p in body["points"]]
    assert status == [
        ("2024-08-05T02:00:00Z", "good"),
        ("2024-08-12T02:00:00Z", "censored"),
        ("2024-08-19T02:00:00Z", "suspect"),
        ("2024-08-26T02:00:00Z", "rejected"),
    ]
    assert body["points"][2]["flags"] == ["suspect_range", "spike"]
    assert body["points"][1]["censor"] == "<" and body["points"][1]["value"] == 0.01
    assert body["counts"] == {"rejected": 1, "suspect": 1, "censored": 1, "good": 1}


def test_time_window(client: TestClient) -> None:
    body = client.get(
        "/api/stations/S1/series",
        params={"property": "tp", "start": "2024-08-10T00:00:00Z", "end": "2024-08-20T00:00:00"},
    ).json()
    assert [p["status"] for p in body["points"]] == ["censored", "suspect"]


def test_daily_aggregates_follow_the_flag_rule(client: TestClient) -> None:
    body = client.get("/api/stations/S1/series", params={"property": "do", "agg": "day"}).json()
    days = body["points"]
    assert [d["time"] for d in days] == ["2024-07-31T16:00:00Z", "2024-08-01T16:00:00Z"]  # local days
    assert (days[0]["mean"], days[0]["count"], days[0]["flagged"]) == (8.0, 24, False)
    # the rejected hour (100.0) is left out, the flat one kept and counted
    assert (days[1]["mean"], days[1]["max"], days[1]["count"]) == (6.0, 6.0, 23)
    assert (days[1]["n_suspect"], days[1]["flagged"]) == (1, True)
    assert body["counts"] == {"flagged": 1, "periods": 2}


def test_monthly_aggregates_and_censored_values(client: TestClient) -> None:
    month = client.get("/api/stations/S1/series", params={"property": "tp", "agg": "month"}).json()
    (m,) = month["points"]
    # rejected 99 out; "<0.01" as 0.005: (0.04 + 0.005 + 0.9) / 3
    assert m["mean"] == pytest.approx((0.04 + 0.005 + 0.9) / 3)
    assert (m["count"], m["n_censored"], m["n_suspect"], m["method"]) == (3, 1, 1, "lab")


def test_unknown_station_or_property_is_404(client: TestClient) -> None:
    r = client.get("/api/stations/S1/series", params={"property": "cod"})
    assert r.status_code == 404 and "do, tp" in r.json()["description"]
    assert client.get("/api/stations/NOPE/series", params={"property": "tp"}).status_code == 404
    assert client.get("/api/stations/S1/series", params={"property": "tp", "agg": "year"}).status_code == 422


def test_qc_status_order() -> None:
    flags = np.array([16 | 1, 1 | 8, 8, 0, 4, 32])
    censor = np.array([None, "<", None, ">", None, ""], dtype=object)
    assert qc_status(flags, censor).tolist() == [
        "rejected",
        "suspect",
        "censored",
        "censored",
        "suspect",
        "suspect",
    ]
