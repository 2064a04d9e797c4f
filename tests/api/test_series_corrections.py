"""Corrections and QC re-runs as the station panel's series route shows them (issue 5, "visible on the map").

A hard-range failure stored unflagged; ``rerun_qc`` flags it rejected; a correction replaces its
value (a new revision, the original kept); a second QC run clears the flag. The route must show the
current revision, say which points were corrected and carry the original value.
"""

from __future__ import annotations

import pandas as pd
import pytest
from fastapi.testclient import TestClient

import liuyu
from assess_data import lab, sections
from liuyu.api import create_app
from liuyu.api.series_routes import with_originals

TIMES = ["2024-08-05 10:00", "2024-08-12 10:00", "2024-08-19 10:00", "2024-08-26 10:00"]
VALUES = [0.04, 0.05, 99.0, 0.06]  # 99 mg/L of TP fails the hard range


def points(client: TestClient) -> list[dict]:
    return client.get("/api/stations/S1/series", params={"property": "tp"}).json()["points"]


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("series_corr") / "ws"
    ws = liuyu.init(root, basin_name="测试流域")
    ws.write_layer("stations", sections([("S1", "river", "II", 116.8)]))
    rows = pd.concat([lab("S1", t, {"tp": v}) for t, v in zip(TIMES, VALUES, strict=True)], ignore_index=True)
    ws.append_observations(rows.assign(censor="", qc_flag=0))
    ws.close()
    return root


def test_qc_run_then_correction_then_qc_run(root) -> None:
    client = TestClient(create_app(root))
    before = points(client)
    assert [p["status"] for p in before] == ["good"] * 4
    assert not any(p["corrected"] for p in before) and all(p["revision"] == 0 for p in before)

    ws = liuyu.open(root)
    try:
        result = ws.store.rerun_qc(station_code="S1", property_code="tp", user="tester")
        assert result["changed"] >= 1
        flagged = points(client)
        assert flagged[2]["status"] == "rejected" and "rejected_range" in flagged[2]["flags"]
        assert (
            flagged[2]["revision"] == 1 and flagged[2]["corrected"] is False
        )  # flags only: not a correction
        fix = pd.DataFrame(
            {
                "station_code": ["S1"],
                "property_code": ["tp"],
                "method": ["lab"],
                "phenomenon_time": [pd.Timestamp(TIMES[2], tz="Asia/Shanghai")],
                "value": [0.09],
                "reason": ["录入错误 typo"],
            }
        )
        assert ws.store.correct_observations(fix, user="tester") == 1
        corrected = points(client)[2]
        assert (corrected["value"], corrected["original"], corrected["corrected"]) == (0.09, 99.0, True)
        assert corrected["revision"] == 2
        body = client.get("/api/stations/S1/series", params={"property": "tp"}).json()
        assert body["corrected"] == 1 and body["counts"]["rejected"] == 1  # flags kept until QC re-runs
        ws.store.rerun_qc(station_code="S1", property_code="tp", user="tester")
    finally:
        ws.close()
    after = points(client)
    assert [p["status"] for p in after] == ["good"] * 4
    assert (after[2]["value"], after[2]["original"], after[2]["corrected"]) == (0.09, 99.0, True)
    assert [p["corrected"] for p in after] == [False, False, True, False]
    # aggregates use the corrected value
    (month,) = client.get("/api/stations/S1/series", params={"property": "tp", "agg": "month"}).json()[
        "points"
    ]
    assert month["mean"] == pytest.approx((0.04 + 0.05 + 0.09 + 0.06) / 4)


def test_with_originals_censoring_change_counts_as_correction() -> None:
    t = pd.Timestamp("2024-08-01", tz="UTC")
    hist = pd.DataFrame(
        {
            "method": ["lab", "lab", "lab", "lab"],
            "phenomenon_time": [t, t, t + pd.Timedelta("1D"), t + pd.Timedelta("1D")],
            "value": [0.01, 0.01, 0.5, 0.5],
            "censor": ["", "<", None, None],
            "revision": [0, 1, 0, 1],
            "qc_flag": [0, 8, 0, 1],
        }
    )
    out = with_originals(hist)
    assert out["corrected"].tolist() == [True, False]
    assert out["original_censor"].tolist()[0] == "" and out["revision"].tolist() == [1, 1]
