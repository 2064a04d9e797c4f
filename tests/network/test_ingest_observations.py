"""End-to-end observation ingests of small hand-made CSV, XLSX and HJ 212 files, row conservation in each."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import openpyxl
import pandas as pd
import pytest
from shapely.geometry import Point

from liuyu.network.hj212 import crc16
from liuyu.network.ingest import ObservationIngestResult, ingest_observations
from liuyu.store import gpkg_quarantine


@pytest.fixture
def ws(workspace):
    stations = gpd.GeoDataFrame(
        {
            "code": ["BHB", "GBK"],
            "name": ["白河堡", "古北口"],
            "kind": ["water_quality", "water_quality"],
            "aliases": ["11010001,HB-77", None],
        },
        geometry=[Point(116.2, 40.6), Point(117.1, 40.7)],
        crs="EPSG:4490",
    )
    workspace.write_layer("stations", stations)
    return workspace


def _csv(tmp_path: Path, text: str, name: str = "obs.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _stored(ws) -> pd.DataFrame:
    return ws.store.read_observations()


def _quarantined(ws, result: ObservationIngestResult) -> pd.DataFrame:
    return gpkg_quarantine.read(ws.store.conn, ingest_id=result.ingest_id)


def _check(result: ObservationIngestResult, **expected: int) -> None:
    assert result.conserved, result.counts
    for key, value in expected.items():
        assert result.counts[key] == value, (key, result.counts)


LONG = (
    "站码,项目,采样日期,采样时间,监测值,单位\n"
    "BHB,总磷,2024-08-05,08:00,０.０５,mg/L\n"  # full-width digits
    "11010001,总磷,2024-08-06,08:00,20,μg/L\n"  # alias code, μg/L → mg/L
    "BHB,氨氮,2024-08-05,08:00,<0.01,mg/L\n"
    "BHB,氨氮,2024-08-06,08:00,ND(0.025),mg/L\n"
    "BHB,氨氮,2024-08-07,08:00,未检出(0.025),mg/L\n"
    "BHB,氨氮,2024-08-08,08:00,,mg/L\n"
    "BHB,氨氮,2024-08-09,08:00,—,mg/L\n"
    "XX9,总磷,2024-08-05,08:00,0.1,mg/L\n"  # unknown station
    "BHB,总磷,2024-08-07,08:00,abc,mg/L\n"  # invalid value
    "GBK,总磷,2024-08-05,08:00,0.2,mg/L\n"
    "GBK,总磷,2024-08-05,08:00,0.3,mg/L\n"  # conflicting duplicate
    "GBK,氨氮,2024-08-05,08:00,0.4,mg/L\n"
    "GBK,氨氮,2024-08-05,08:00,400,μg/L\n"  # identical duplicate after unit conversion
    "GBK,总磷,2024-08-06,08:00,-5,mg/L\n"  # hard range
)


def test_long_csv_every_oddity(ws, tmp_path: Path) -> None:
    result = ingest_observations(ws, _csv(tmp_path, LONG))
    assert result.format == "long"
    _check(
        result,
        rows_in=14,
        stored=6,
        missing=2,
        merged_duplicates=1,
        unknown_station=1,
        invalid_value=1,
        conflicting_duplicate=2,
        rejected_range=1,
        quarantined=5,
    )
    obs = _stored(ws)
    tp = obs[obs["property_code"] == "tp"].set_index("phenomenon_time")["value"]
    assert tp[pd.Timestamp("2024-08-05 00:00", tz="UTC")] == pytest.approx(0.05)  # 08:00 Beijing = 00:00 UTC
    assert set(obs["station_code"]) == {"BHB", "GBK"}
    nd = obs[(obs["property_code"] == "nh3n") & (obs["censor"] == "<")]
    assert len(nd) == 3 and (nd["qc_flag"] & 8).all()
    q = _quarantined(ws, result)
    assert len(q) == 5 and set(q["category"]) == {"observations"}
    assert q["reason"].str.contains("conflicting duplicate").sum() == 2
    assert q.loc[q["reason"].str.startswith("unknown station"), "value"].tolist() == ["XX9"]
    assert q.loc[q["reason"].str.contains("not a number"), ["row", "field", "value"]].values.tolist() == [
        [10, "tp", "abc"]
    ]


def test_rerun_stores_nothing_new(ws, tmp_path: Path) -> None:
    path = _csv(tmp_path, LONG)
    first = ingest_observations(ws, path)
    again = ingest_observations(ws, path)
    _check(again, stored=0, already_present=first.counts["stored"])
    assert len(_stored(ws)) == first.counts["stored"]
    assert len(gpkg_quarantine.read(ws.store.conn, category="observations")) == 5


def test_dry_run_writes_nothing(ws, tmp_path: Path) -> None:
    result = ingest_observations(ws, _csv(tmp_path, LONG), dry_run=True)
    _check(result, rows_in=14, quarantined=5)
    assert _stored(ws).empty
    assert gpkg_quarantine.read(ws.store.conn, category="observations").empty


def test_wide_csv_with_units_row_and_chinese_headers(ws, tmp_path: Path) -> None:
    text = (
        "断面名称,采样日期,总磷,氨氮,高锰酸盐指数\n"
        ",,mg/L,mg/L,mg/L\n"
        "白河堡,2024年8月5日,0.05,未检出(0.025),2.1\n"
        "古北口,2024-08-05,/,0.4,２.４\n"
    )
    result = ingest_observations(ws, _csv(tmp_path, text))
    assert result.format == "wide"
    _check(result, rows_in=6, stored=5, missing=1)
    stored = _stored(ws)
    assert set(stored["station_code"]) == {"BHB", "GBK"}
    assert stored.query("property_code == 'codmn' and station_code == 'GBK'")["value"].tolist() == [2.4]


def test_wide_xlsx_with_units_in_headers(ws, tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    rows = [
        ["密云水库水质监测结果"],
        ["站码", "采样日期", "总磷(mg/L)", "氨氮（μg/L）"],
        ["HB-77", "2024-08-05", "0.05", "250"],
        ["BHB", "2024-08-06", "—", "<10"],
        ["ZZZ", "2024-08-06", "0.1", "30"],
    ]
    for row in rows:
        sheet.append(row)
    path = tmp_path / "lab.xlsx"
    book.save(path)
    result = ingest_observations(ws, path)
    _check(result, rows_in=6, stored=3, missing=1, unknown_station=2, quarantined=2)
    nh3n = _stored(ws).query("property_code == 'nh3n'").sort_values("phenomenon_time")["value"]
    assert nh3n.tolist() == pytest.approx([0.25, 0.01])


def _message(mn: str, data_time: str, cp: str) -> str:
    segment = f"QN={data_time}000;ST=21;CN=2061;PW=123456;MN={mn};Flag=4;CP=&&DataTime={data_time};{cp}&&"
    return f"##{len(segment):04d}{segment}{crc16(segment.encode()):04X}"


def test_hj212_log(ws, tmp_path: Path) -> None:
    good = _message("MN001", "20240805080000", "w21003-Avg=0.35,w21003-Flag=N;w21011-Avg=0.05,w21011-Flag=N")
    broken = _message("MN001", "20240805090000", "w21003-Avg=0.40,w21003-Flag=N")[:-4] + "0000"
    path = _csv(tmp_path, f"{good}\n{broken}\n", name="hj212.txt")
    maps = _csv(tmp_path, "mn,station_code\nMN001,BHB\n", name="mn.csv")
    result = ingest_observations(ws, path, mn_map=maps)
    assert result.format == "hj212"
    _check(result, rows_in=3, stored=2, parse_rejected=1, quarantined=1)
    stored = _stored(ws)
    assert set(stored["method"]) == {"Avg"}
    assert stored["phenomenon_time"].iloc[0] == pd.Timestamp("2024-08-05 00:00", tz="UTC")
    assert "CRC" in _quarantined(ws, result)["reason"].iloc[0]


def test_cli_summary_and_errors(ws, tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "COLUMNS": "200"}
        env.pop("LIUYU_WORKSPACE", None)
        cmd = [sys.executable, "-m", "liuyu", "ingest", "observations", *args, "-w", str(ws.root)]
        return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)

    ok = run(str(_csv(tmp_path, LONG)), "--dry-run")
    assert ok.returncode == 0, ok.stderr
    assert "入库 stored" in ok.stdout and "dry run" in ok.stdout and "conflicting duplicate" in ok.stdout
    bad = run(str(tmp_path / "missing.csv"))
    assert bad.returncode == 1 and "Error" in bad.stderr and "Traceback" not in bad.stderr


def test_file_with_nothing_readable_is_all_quarantined(ws, tmp_path: Path) -> None:
    broken = _message("MN404", "20240805080000", "w21003-Avg=0.35")
    path = _csv(tmp_path, f"{broken}\nnot a message\n", name="hj212.txt")
    result = ingest_observations(ws, path, format="hj212", mn_map={"MN001": "BHB"})
    _check(result, rows_in=2, stored=0, quarantined=2)
    assert _stored(ws).empty
