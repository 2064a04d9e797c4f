"""The fast path of long CSVs (pyarrow, per-distinct-cell stages) gives what the general path gives."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point

from liuyu.network.ingest import ingest_observations
from liuyu.network.ingest_fast import read_long_csv
from liuyu.network.ingest_prepare import REJECT_COLUMNS, prepare_observations, station_index
from liuyu.network.ingest_read import read_observations

STATIONS = pd.DataFrame(
    {"code": ["BHB", "GBK"], "name": ["白河堡", "古北口"], "aliases": ["11010001,HB-77", None]}
)

# one datetime column, every oddity of the long table; rows are numbered from 2 (the header is 1)
ODD = (
    "站码,断面名称,项目,时间,监测值,单位\n"
    "BHB,,总磷,2024-08-05 08:00,０.０５,mg/L\n"  # full-width digits
    "11010001,,总磷,2024/8/6 8:00,20,μg/L\n"  # alias code, μg/L → mg/L
    ",古北口,氨氮,2024年8月5日 8时,<0.01,mg/L\n"  # station by name, Chinese time
    "BHB,,氨氮,2024-08-06 08:00,ND(0.025),mg/L\n"
    "BHB,,氨氮,2024-08-07 08:00,未检出,mg/L\n"  # non-detect without a limit: invalid
    "BHB,,氨氮,2024-08-08 08:00,,mg/L\n"  # missing
    ",,,,,\n"  # a blank row: neither counted nor numbered away
    "\n"  # an empty line: numbered too
    "BHB,,氨氮,2024-08-09 08:00,—,mg/L\n"  # missing
    "XX9,,总磷,2024-08-05 08:00,0.1,mg/L\n"  # unknown station
    "BHB,,总磷,someday,0.1,mg/L\n"  # unreadable time
    "BHB,,水色,2024-08-05 08:00,0.1,\n"  # unknown property
    ",,总磷,2024-08-05 08:00,0.1,mg/L\n"  # no station at all
    "BHB,,总磷,2024-08-07 08:00,abc,mg/L\n"  # invalid value
    "GBK,,总磷,2024-08-05 08:00,0.2,mg/L\n"
    "GBK,,总磷,2024-08-05 08:00,0.3,mg/L\n"  # conflicting duplicate
    "GBK,,氨氮,2024-08-06 08:00,0.4,mg/L\n"
    "GBK,,氨氮,2024-08-06 08:00,400,μg/L\n"  # identical duplicate after conversion
    "GBK,,总磷,2024-08-06 08:00,-5,mg/L\n"  # hard range
    "GBK,,总磷,2024-08-08 08:00,0.1,kg\n"  # unit of another dimension
    "GBK,,总磷,2024-08-09 08:00,0.1mg/L,\n"  # unit in the cell
)


def _problems(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame[REJECT_COLUMNS].astype({"source_row": "int64"}).astype(object)
    return out.sort_values(["source_row", "reason"]).reset_index(drop=True)


def _general(path: Path) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, int], int]:
    obs, problems, fmt = read_observations(path)
    assert fmt == "long"
    rows = problems[problems["source_row"].notna()]
    prepared = prepare_observations(obs, station_index(STATIONS))
    return prepared.accepted, pd.concat([rows, prepared.rejected]), prepared.counts, len(obs)


def _accepted(frame: pd.DataFrame) -> pd.DataFrame:
    cols = ["station_code", "property_code", "phenomenon_time", "value", "censor", "raw", "qc_flag"]
    out = frame[cols].astype({"station_code": str, "property_code": str, "censor": str, "raw": str})
    return out.sort_values(cols[:3]).reset_index(drop=True)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_fast_path_matches_the_general_path(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "odd.csv"
    path.write_bytes(ODD.replace("μg/L", "ug/L" if encoding == "gbk" else "μg/L").encode(encoding))
    fast = read_long_csv(path, station_index(STATIONS))
    assert fast is not None, "a one-line header with a datetime column takes the fast path"
    accepted, problems, counts, n_parsed = _general(path)
    assert fast.prepared.counts == counts
    assert fast.n_parsed == n_parsed
    pd.testing.assert_frame_equal(
        _problems(pd.concat([fast.row_problems, fast.prepared.rejected])), _problems(problems)
    )
    pd.testing.assert_frame_equal(_accepted(fast.prepared.accepted), _accepted(accepted), check_dtype=False)
    assert counts["conflicting_duplicate"] == 2 and counts["merged_duplicates"] == 1
    assert counts["bad_unit"] == 1 and counts["rejected_range"] == 1 and counts["missing"] == 2


def test_fast_path_qc_flags_a_spike_and_a_flat_line(tmp_path: Path) -> None:
    hours = pd.date_range("2024-08-01", periods=30, freq="h")
    values = np.full(30, 0.3)
    values[10] = 5.0  # a spike in an otherwise flat (>= 12 values over >= 48 h? no: 30 h) series
    text = "站码,项目,时间,监测值\n" + "".join(
        f"BHB,氨氮,{t:%Y-%m-%d %H:%M},{v}\n" for t, v in zip(hours, values, strict=True)
    )
    path = tmp_path / "spike.csv"
    path.write_text(text, encoding="utf-8")
    fast = read_long_csv(path, station_index(STATIONS))
    assert fast is not None
    accepted, _, _, _ = _general(path)
    got = _accepted(fast.prepared.accepted)
    assert got["qc_flag"].tolist() == _accepted(accepted)["qc_flag"].tolist()
    assert got.loc[10, "qc_flag"] & 2  # spike


@pytest.mark.parametrize(
    "text",
    [
        "月报 2024年8月\n站码,项目,时间,监测值\nBHB,总磷,2024-08-05 08:00,0.1\n",  # a title row
        "站码,项目,采样日期,采样时间,监测值\nBHB,总磷,2024-08-05,08:00,0.1\n",  # date + time columns
        "站码,项目,时间,监测值\nBHB,总磷,2024-08-05 08:00,0.1\nBHB,总磷\n",  # a short row
    ],
)
def test_other_shapes_take_the_general_path(tmp_path: Path, text: str) -> None:
    path = tmp_path / "other.csv"
    path.write_text(text, encoding="utf-8")
    assert read_long_csv(path, station_index(STATIONS)) is None


def test_end_to_end_and_idempotent(workspace, tmp_path: Path) -> None:
    workspace.write_layer(
        "stations",
        gpd.GeoDataFrame(
            STATIONS.assign(kind="water_quality"),
            geometry=[Point(116.2, 40.6), Point(117.1, 40.7)],
            crs="EPSG:4490",
        ),
    )
    path = tmp_path / "odd.csv"
    path.write_text(ODD, encoding="utf-8")
    first = ingest_observations(workspace, path)
    assert first.conserved and first.counts["stored"] == 6 and first.counts["rows_in"] == 19
    again = ingest_observations(workspace, path)
    assert again.conserved and again.counts["stored"] == 0 and again.counts["already_present"] == 6
    stored = workspace.store.read_observations()
    assert len(stored) == 6 and set(stored["station_code"]) == {"BHB", "GBK"}
    tp = stored[(stored["station_code"] == "BHB") & (stored["property_code"] == "tp")]
    assert tp["value"].round(6).tolist() == [0.05, 0.02] and tp["raw"].tolist() == ["０.０５", "20"]
