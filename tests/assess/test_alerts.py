"""Alerts: rules on hand-made frames, de-duplication, acknowledge and resolve, webhook delivery."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import ClassVar

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

import liuyu
from assess_data import lab
from liuyu.assess import alerts as al
from liuyu.assess.alert_channels import ChannelError, WebhookChannel, channels
from liuyu.assess.alerts_run import check_alerts, send_unsent
from liuyu.assess.run import parse_period
from liuyu.config import AlertsConfig
from liuyu.errors import StoreError
from liuyu.store import gpkg_alerts
from liuyu.store.base import utc_now

RULES = al.load_alert_rules()
NAMES = pd.Series({"S1": "断面一", "S2": "断面二", "L1": "库心"})


def test_section_below_target_only_when_met_is_false() -> None:
    assessed = pd.DataFrame(
        {
            "period": "2024-08",
            "station_code": ["S1", "S2", "S3"],
            "class": [4, 6, 2],
            "label": ["Ⅳ", "劣Ⅴ", "Ⅱ"],
            "target": ["Ⅱ", "Ⅲ", ""],
            "met": pd.array([False, False, pd.NA], dtype="boolean"),
            "main_pollutants": ["总磷(0.40)", "", ""],
        }
    )
    out = al.section_below_target(assessed, NAMES, RULES["section_below_target"]).set_index("subject")
    assert list(out.index) == ["S1", "S2"]
    assert out.loc["S1", "key"] == "section_below_target|S1|2024-08"
    assert out.loc["S1", "severity"] == "warning" and out.loc["S2", "severity"] == "critical"
    assert "断面一（S1）2024-08水质为Ⅳ类，未达到Ⅱ类目标" in out.loc["S1", "message_zh"]
    assert "below its target Ⅱ" in out.loc["S1", "message_en"]


def test_reservoir_eutrophic_uses_the_tli_grades() -> None:
    tli = pd.DataFrame(
        {
            "station_code": ["L1", "L2"],
            "period": "2024-08",
            "tli": [50.0, 50.01],
            "grade": ["中营养", "轻度富营养"],
        }
    )
    out = al.reservoir_eutrophic(tli, NAMES, RULES["reservoir_eutrophic"])
    assert out["subject"].tolist() == ["L2"] and "TLI(Σ)=50.0" in out["message_zh"].iloc[0]
    assert out["message_en"].iloc[0].endswith("lightly eutrophic")


def test_facility_over_limit_groups_items_and_ignores_unverified() -> None:
    comp = pd.DataFrame(
        {
            "period": "2024-08",
            "station_code": ["O1", "O1", "O1", "R1"],
            "name": ["厂", "厂", "厂", "站"],
            "property_code": ["cod", "nh3n", "tp", "cod"],
            "item_name": ["化学需氧量", "氨氮", "总磷", "化学需氧量"],
            "value": [60.0, 12.0, 0.2, 900.0],
            "limit": [50.0, 5.0, 0.5, np.nan],
            "limit_low": np.nan,
            "limit_high": np.nan,
            "exceed": pd.array([True, True, False, pd.NA], dtype="boolean"),
            "multiple": [0.2, 1.4, 0.0, np.nan],
            "verified": [True, True, True, False],
        }
    )
    out = al.facility_over_limit(comp, RULES["facility_over_limit"])
    assert out["subject"].tolist() == ["O1"]
    assert out["severity"].iloc[0] == "critical"  # NH3-N 1.4 times over >= critical_multiple 1.0
    assert "化学需氧量 60（限值 50，超标 0.20 倍）、氨氮 12" in out["message_zh"].iloc[0]


def test_station_silent_by_kind_then_method() -> None:
    as_of = pd.Timestamp("2024-09-01T00:00Z")
    series = pd.DataFrame(
        {
            "station_code": ["R1", "R1", "Q1", "W1", "N1", "X1"],
            "method": ["gauge", "gauge", "lab", "daily", "gauge", "odd"],
            "n": [10, 5, 3, 7, 0, 4],
            "last": [
                int(pd.Timestamp("2024-08-31T20:00Z").timestamp()),  # newest of R1 counts: 4 h ago
                int(pd.Timestamp("2024-08-01T00:00Z").timestamp()),
                int(pd.Timestamp("2024-08-01T00:00Z").timestamp()),  # 31 d < 3 x 31 d
                int(pd.Timestamp("2024-08-25T00:00Z").timestamp()),  # 7 d > 3 x 1 d
                None,
                int(pd.Timestamp("2020-01-01T00:00Z").timestamp()),  # no interval known
            ],
        }
    )
    stations = pd.DataFrame(
        {
            "code": ["R1", "Q1", "W1", "N1", "X1"],
            "name": list("abcde"),
            "kind": ["rain", "water_quality", "flow", "rain", "?"],
        }
    )
    silence = al.Silence(
        as_of,
        {"rain": pd.Timedelta("1h"), "water_quality": pd.Timedelta("31D")},
        {"daily": pd.Timedelta("1D")},
    )
    out = al.station_silent(series, stations, silence, RULES["station_silent"])
    assert out["subject"].tolist() == ["R1", "W1"]
    r1 = out.set_index("subject").loc["R1"]
    assert r1["period"] == "" and r1["value"] == pytest.approx(4.0) and "4 h" in r1["message_en"]


def test_seasonal_stations_are_not_judged_out_of_season() -> None:
    last = int(pd.Timestamp("2024-09-30T15:00Z").timestamp())
    series = pd.DataFrame({"station_code": ["R1"], "method": ["gauge"], "n": [10], "last": [last]})
    stations = pd.DataFrame({"code": ["R1"], "name": ["雨量站"], "kind": ["rain"]})
    hourly = {"rain": pd.Timedelta("1h")}
    october = al.Silence(pd.Timestamp("2024-10-20T00:00Z"), hourly, {}, {"rain": [6, 7, 8, 9]})
    assert al.station_silent(series, stations, october, RULES["station_silent"]).empty
    all_year = al.Silence(pd.Timestamp("2024-10-20T00:00Z"), hourly, {})
    found = al.station_silent(series, stations, all_year, RULES["station_silent"])
    assert found["subject"].tolist() == ["R1"]


def test_reconcile_dedups_reopens_and_resolves() -> None:
    existing = pd.DataFrame(
        {
            "id": [1, 2, 3, 4],
            "key": ["k|A|p", "k|B|p", "k|C|p", "k|D|q"],
            "kind": "k",
            "period": ["p", "p", "p", "q"],
            "state": ["open", "resolved", "acknowledged", "open"],
        }
    )
    cand = pd.DataFrame({"key": ["k|A|p", "k|B|p", "k|E|p"], "kind": "k", "period": "p"})
    plan = al.reconcile(existing, cand, [("k", "p")])
    assert plan.new["key"].tolist() == ["k|E|p"]
    assert plan.seen["id"].tolist() == [1, 2] and plan.reopened == [2]
    assert plan.resolved == [3]  # D is of another period: not evaluated, left alone


# --- a small workspace ------------------------------------------------------------------------


def _stations() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "code": ["S1", "L1", "O1", "G1"],
            "name": ["断面一", "库心", "镇污水厂排口", "雨量站"],
            "kind": ["water_quality", "water_quality", "sewage_outfall", "rain"],
            "water_type": ["river", "lake_reservoir", None, None],
            "target_class": ["II", "II", None, None],
            "jurisdiction": ["beijing", "beijing", "hebei", "hebei"],
        },
        geometry=[shapely.Point(116.8 + 0.1 * i, 40.5) for i in range(4)],
        crs="EPSG:4490",
    )


def _auto(station: str, local: str, values: dict[str, float], method: str) -> pd.DataFrame:
    return lab(station, local, values).assign(method=method)


@pytest.fixture
def ws(tmp_path) -> Iterator[liuyu.Workspace]:
    w = liuyu.init(tmp_path / "ws", basin_name="测试流域")
    w.write_layer("stations", _stations())
    w.append_observations(
        pd.concat(
            [
                lab("S1", "2024-08-05 10:00", {"tp": 0.3, "nh3n": 0.1}),  # TP 0.3 > 0.2: class Ⅳ, target Ⅱ
                lab("L1", "2024-08-05 10:00", {"chla": 60.0, "tp": 0.02, "tn": 0.4, "sd": 0.2, "codmn": 3.0}),
                _auto("O1", "2024-08-30 10:00", {"cod": 80.0}, "auto"),
                _auto("G1", "2024-08-20 10:00", {"rainfall": 1.0}, "gauge"),
            ],
            ignore_index=True,
        )
    )
    w.config.alerts = AlertsConfig(channels=["log"])
    yield w
    w.close()


def test_check_raises_each_kind_once_and_dedups(ws) -> None:
    p = parse_period("2024-08")
    first = check_alerts(ws, p)
    rows = gpkg_alerts.read(ws.store.conn).set_index("kind")
    assert sorted(rows.index) == [
        "facility_over_limit",
        "reservoir_eutrophic",
        "section_below_target",
        "station_silent",
    ]
    assert (
        rows.loc["station_silent", "subject"] == "G1"
        and rows.loc["facility_over_limit", "jurisdiction"] == "hebei"
    )
    assert rows.loc["section_below_target", "longitude"] == pytest.approx(116.8)
    assert len(first.new) == 4 and first.sent == 4
    again = check_alerts(ws, p)
    assert again.new == [] and again.seen == 4 and again.sent == 0
    assert len(gpkg_alerts.read(ws.store.conn)) == 4


def test_ack_then_resolve_when_the_condition_clears(ws) -> None:
    p = parse_period("2024-08")
    check_alerts(ws, p)
    silent = gpkg_alerts.read(ws.store.conn, kind="station_silent")
    alert_id = int(silent["id"].iloc[0])
    with ws.store.transaction() as conn:
        gpkg_alerts.acknowledge(conn, alert_id, "wang", "gauge battery", utc_now())
    row = gpkg_alerts.read(ws.store.conn, alert_id=alert_id).iloc[0]
    assert (row["state"], row["acknowledged_by"], row["ack_note"]) == (
        "acknowledged",
        "wang",
        "gauge battery",
    )
    ws.append_observations(_auto("G1", "2024-08-31 23:00", {"rainfall": 0.5}, "gauge"))
    result = check_alerts(ws, p)
    assert result.resolved == 1
    row = gpkg_alerts.read(ws.store.conn, alert_id=alert_id).iloc[0]
    assert row["state"] == "resolved" and row["resolved_at"]
    with pytest.raises(StoreError, match="already resolved"), ws.store.transaction() as conn:
        gpkg_alerts.acknowledge(conn, alert_id, "wang", None, utc_now())
    with pytest.raises(StoreError, match="no alert"), ws.store.transaction() as conn:
        gpkg_alerts.acknowledge(conn, 999, "wang", None, utc_now())


# --- webhook ----------------------------------------------------------------------------------


class _Hook(BaseHTTPRequestHandler):
    received: ClassVar[list[dict]] = []
    fail = False

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append(json.loads(body))
        self.send_response(500 if type(self).fail else 200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def hook() -> Iterator[tuple[str, type[_Hook]]]:
    handler = type("Hook", (_Hook,), {"received": [], "fail": False})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hook", handler
    server.shutdown()
    server.server_close()


def test_webhook_sends_each_new_alert_once(ws, hook) -> None:
    url, handler = hook
    ws.config.alerts = AlertsConfig(channels=["log", "webhook"], webhook_url=url, retries=0)
    assert [c.name for c in channels(ws.config.alerts)] == ["log", "webhook"]
    check_alerts(ws, parse_period("2024-08"))
    assert len(handler.received) == 4
    kinds = {m["alert"]["kind"] for m in handler.received}
    assert "station_silent" in kinds and all(m["alert"]["message_zh"] for m in handler.received)
    check_alerts(ws, parse_period("2024-08"))
    assert len(handler.received) == 4  # seen again, not sent again


def test_failing_webhook_retries_then_keeps_the_alert_for_the_next_check(ws, hook) -> None:
    url, handler = hook
    handler.fail = True
    ws.config.alerts = AlertsConfig(channels=["webhook"], webhook_url=url, retries=2, backoff=0.01)
    result = check_alerts(ws, parse_period("2024-08"))
    # 3 attempts for the first alert; the channel is then not tried again in this run
    assert result.sent == 0 and len(result.failed) == 4 and len(handler.received) == 3
    stored = gpkg_alerts.read(ws.store.conn).sort_values("id")
    assert stored["notified_at"].isna().all() and (stored["notify_attempts"] == 1).all()
    assert (
        "500" in stored["notify_error"].iloc[0]
        and stored["notify_error"].iloc[1:].str.contains("not tried").all()
    )
    handler.fail = False
    sent, failed = send_unsent(ws, channels(ws.config.alerts))
    assert (sent, failed) == (4, {}) and gpkg_alerts.read(ws.store.conn)["notified_at"].notna().all()


def test_unreachable_webhook_raises_channel_error() -> None:
    chan = WebhookChannel("http://127.0.0.1:9/none", timeout=0.5, retries=1, backoff=0.0)
    with pytest.raises(ChannelError, match="2 attempts"):
        chan.send({"id": 1})


def test_cli_check_list_ack(ws) -> None:
    import os
    import subprocess
    import sys

    root = str(ws.root)
    ws.close()
    env = {**{k: v for k, v in os.environ.items() if k != "LIUYU_WORKSPACE"}, "COLUMNS": "250"}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        cmd = [sys.executable, "-m", "liuyu", "alerts", *args, "-w", root]
        return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)

    r = run("check", "--period", "2024-08", "--no-send")
    assert r.returncode == 0, r.stderr
    assert "新增 new 4" in r.stdout and "已发送 sent 0" in r.stdout
    r = run("list")
    assert r.returncode == 0 and "Alerts (open): 4" in r.stdout and "station_silent" in r.stdout
    r = run("ack", "1", "--note", "已派人检查", "--user", "li")
    assert r.returncode == 0 and "acknowledged by li" in r.stdout
    assert "Alerts (acknowledged): 1" in run("list", "--state", "acknowledged").stdout
    r = run("ack", "99")
    assert r.returncode == 1 and "no alert with id 99" in r.stderr
