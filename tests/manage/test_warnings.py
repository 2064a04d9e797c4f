"""Rainstorm signals on hand-made hourly series, reservoir-level rules, de-duplication, the ingest hook."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point

from liuyu.config import ReservoirLevels
from liuyu.manage.warnings import level_alerts, rain_levels, rainstorm_events
from liuyu.manage.warnings_run import check
from liuyu.network import load_properties
from liuyu.network.aggregate import daily_rainfall
from liuyu.network.qc import QCFlag
from liuyu.store import gpkg_alerts

TZ = "Asia/Shanghai"


def _rain(code: str, first_local: str, mm: list[float]) -> pd.DataFrame:
    """Hourly rain at a gauge on a zero background 2024-07-09 01:00 … 07-13 00:00 local (interval-ending)."""
    hours = pd.date_range("2024-07-09 01:00", "2024-07-13 00:00", freq="h", tz=TZ)
    value = pd.Series(0.0, index=hours)
    value.iloc[hours.get_loc(pd.Timestamp(first_local, tz=TZ)) + pd.RangeIndex(len(mm))] = mm
    return pd.DataFrame(
        {
            "station_code": code,
            "property_code": "rainfall",
            "phenomenon_time": hours.tz_convert("UTC"),
            "value": value.to_numpy(),
            "method": "gauge",
        }
    )


# Each series is built to reach exactly one level (totals worked out by hand):
#   R_BLUE   5 mm × 10 h               → 12 h: 50 (blue);  6 h: 30
#   R_YELLOW 9 mm × 6 h                → 6 h: 54 (yellow); 3 h: 27
#   R_ORANGE 20 mm × 3 h               → 3 h: 60 (orange); not 100
#   R_RED    35 mm × 3 h               → 3 h: 105 (red)
#   R_NONE   4 mm × 12 h               → 12 h: 48, no level
#   R_NIGHT  7 mm × 8 h, 20:00-04:00   → 12 h: 56 (blue) across midnight; calendar days 28 + 28
SERIES = {
    "R_BLUE": ("2024-07-10 01:00", [5.0] * 10),
    "R_YELLOW": ("2024-07-10 01:00", [9.0] * 6),
    "R_ORANGE": ("2024-07-10 01:00", [20.0] * 3),
    "R_RED": ("2024-07-10 01:00", [35.0] * 3),
    "R_NONE": ("2024-07-10 01:00", [4.0] * 12),
    "R_NIGHT": ("2024-07-10 21:00", [7.0] * 8),
}


@pytest.fixture
def rain() -> pd.DataFrame:
    return pd.concat([_rain(c, t, mm) for c, (t, mm) in SERIES.items()], ignore_index=True)


def test_each_level_and_the_storm_across_midnight(rain: pd.DataFrame) -> None:
    events = rainstorm_events(rain, rain_levels()).set_index("station_code")
    assert events["level"].to_dict() == {
        "R_BLUE": "blue",
        "R_YELLOW": "yellow",
        "R_ORANGE": "orange",
        "R_RED": "red",
        "R_NIGHT": "blue",
    }
    assert events.loc["R_RED", "total"] == 105.0 and events.loc["R_RED", "window_h"] == 3
    assert events.loc["R_BLUE", "total"] == 50.0 and events.loc["R_BLUE", "window_h"] == 12
    # the night storm (hours ending 21:00 … 04:00): 49 mm at 03:00, 56 at 04:00; one event, dated by its start
    assert events.loc["R_NIGHT", "total"] == 56.0
    assert events.loc["R_NIGHT", "period"] == "2024-07-11"
    assert pd.Timestamp(events.loc["R_NIGHT", "start"]).tz_convert(TZ).hour == 4
    daily = daily_rainfall(
        rain[rain["station_code"] == "R_NIGHT"].assign(series_id="R_NIGHT"), day_end_hour=24
    )
    assert daily["partial_total"].max() < 50  # a calendar-day total would have missed it


def test_rejected_values_do_not_count(rain: pd.DataFrame) -> None:
    red = rain[rain["station_code"] == "R_RED"].copy()
    red["qc_flag"] = (red["value"] > 0).astype(int) * int(QCFlag.REJECTED_RANGE)
    assert rainstorm_events(red, rain_levels()).empty


def test_level_rules_flood_season_only() -> None:
    limits = pd.DataFrame({"station": ["LV"], "flood_limit_m": [147.0], "normal_pool_m": [157.5]})
    names = pd.Series({"LV": "密云水库坝上"})

    def at(local: str, value: float) -> pd.DataFrame:
        t = pd.Timestamp(local, tz=TZ).tz_convert("UTC")
        return pd.DataFrame({"station_code": ["LV"], "phenomenon_time": [t], "value": [value]})

    assert level_alerts(at("2024-05-31 08:00", 150.0), limits, names).empty  # above 147 but not in 汛期
    july = level_alerts(at("2024-07-01 08:00", 147.01), limits, names)
    assert july["key"].tolist() == ["level_above_flood_limit|LV|2024-flood"]
    assert level_alerts(at("2024-07-01 08:00", 147.0), limits, names).empty  # at the limit is not above
    oct_ = level_alerts(at("2024-10-01 08:00", 157.6), limits, names)
    assert oct_["key"].tolist() == ["level_above_normal_pool|LV|2024"]
    assert oct_["severity"].tolist() == ["critical"]
    # 2024-09-30 16:30 UTC is 10-01 00:30 in Beijing: out of the flood season by local time
    assert level_alerts(at("2024-10-01 00:30", 150.0), limits, names).empty


@pytest.fixture
def ws(workspace):
    codes = [*SERIES, "R9", "LV"]
    stations = gpd.GeoDataFrame(
        {"code": codes, "name": [f"{c}站" for c in codes], "kind": ["rain"] * (len(codes) - 1) + ["level"]},
        geometry=[Point(116.5 + 0.01 * i, 40.6) for i in range(len(codes))],
        crs="EPSG:4490",
    )
    workspace.write_layer("stations", stations)
    workspace.store.upsert_properties(load_properties())
    workspace.config.warnings.levels = [
        ReservoirLevels(station="LV", flood_limit_m=147.0, normal_pool_m=157.5)
    ]
    return workspace


def _alerts(ws) -> pd.DataFrame:
    return gpkg_alerts.read(ws.store.conn)


def test_alerts_stored_once_and_level_resolves(ws, rain: pd.DataFrame) -> None:
    stage = pd.DataFrame(
        {
            "station_code": "LV",
            "property_code": "stage",
            "method": "gauge",
            "phenomenon_time": pd.date_range("2024-07-01", periods=3, freq="D", tz="UTC"),
            "value": [146.5, 147.3, 147.6],
        }
    )
    ws.append_observations(pd.concat([rain, stage], ignore_index=True))
    first = check(ws)
    assert len(first.new) == 6 and first.seen == 0  # five rain events and one level
    stored = _alerts(ws)
    assert sorted(stored["kind"]) == ["level_above_flood_limit"] + ["rainstorm"] * 5
    red = stored[stored["subject"] == "R_RED"].iloc[0]
    assert (
        red["severity"] == "critical" and "105.0" in red["message_zh"] and "暴雨红色预警" in red["message_zh"]
    )
    again = check(ws)
    assert again.new == [] and again.seen == 6 and len(_alerts(ws)) == 6  # de-duplicated
    # evaluating from the night storm's peak on (as after an ingest) finds its start and so its alert
    late = check(ws, pd.Timestamp("2024-07-11 04:00", tz=TZ).to_pydatetime())
    assert late.new == [] and late.events["station_code"].tolist() == ["R_NIGHT"]
    # the level falls back below the limit: its alert resolves, the storms stay
    later = stage.iloc[[0]].assign(phenomenon_time=pd.Timestamp("2024-07-20", tz="UTC"), value=146.0)
    ws.append_observations(later)
    third = check(ws)
    assert third.resolved == 1
    states = _alerts(ws).set_index("kind")["state"]
    assert states["level_above_flood_limit"] == "resolved"
    assert (states["rainstorm"] == "open").all()


def test_evaluated_after_ingest(ws, tmp_path: Path) -> None:
    path = tmp_path / "rain.csv"
    rows = ["站码,项目,采样日期,采样时间,监测值,单位"]
    rows += [f"R9,降水量,2024-08-01,{h:02d}:00,{v},mm" for h, v in ((1, 0), (2, 40), (3, 40), (4, 40))]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = ws.ingest_observations(path)
    assert result.counts["stored"] == 4
    got = _alerts(ws)
    assert got["key"].tolist() == ["rainstorm|R9|2024-08-01"]
    assert got["severity"].tolist() == ["critical"]  # 120 mm in 3 h: red


def test_warnings_cli(ws, rain: pd.DataFrame) -> None:
    from typer.testing import CliRunner

    from liuyu.cli import app

    ws.append_observations(rain)
    args = ["warnings", "check", "-w", str(ws.root), "--since", "2024-07-10 12:00", "--no-send"]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    # from noon on only the night storm peaks (04:00 on the 11th); the morning storms peaked before
    assert _alerts(ws)["subject"].tolist() == ["R_NIGHT"]
    bad = CliRunner().invoke(app, ["warnings", "check", "-w", str(ws.root), "--since", "yesterday-ish"])
    assert bad.exit_code != 0
