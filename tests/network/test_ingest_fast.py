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


def _random_long_csv(path: Path, seed: int, *, units: bool, in_order: bool, n: int = 4000) -> None:
    """Every oddity at once, at random: duplicates (same and conflicting), unknown stations,
    censored, missing, invalid and out-of-range cells, units (some unconvertible), flat
    stretches, spikes and steps, times in order per series or shuffled."""
    rng = np.random.default_rng(seed)
    station = rng.choice(
        np.array(["BHB", "GBK", "11010001", "XX9"], dtype=object), n, p=[0.45, 0.45, 0.07, 0.03]
    )
    prop = rng.choice(np.array(["总磷", "氨氮", "pH", "水温", "高锰酸盐指数"], dtype=object), n)
    hours = rng.integers(0, 900, n)
    hours = np.sort(hours) if in_order else hours
    times = (pd.Timestamp("2024-01-01") + pd.to_timedelta(hours, unit="h")).strftime("%Y-%m-%d %H:%M")
    level = np.array([0.05, 0.3, 7.5, 12.0, 3.0])[pd.factorize(prop, sort=True)[0]]
    value = np.round(level + rng.normal(0, 0.3, n) * ((hours // 60) % 2 == 1), 2)
    value[rng.random(n) < 0.02] += 40.0  # out-of-range values
    value[rng.random(n) < 0.03] += 3.0  # spikes
    value[(hours % 120) >= 100] += 4.0  # steps of 20 hours: a rate of change up, then down
    cells = value.astype(str).astype(object)
    odd = rng.random(n)
    for lo, hi, cell in [(0, 0.02, "<0.01"), (0.02, 0.03, "ND"), (0.03, 0.04, ""), (0.04, 0.045, "abc"),
                         (0.045, 0.05, "-5"), (0.05, 0.055, ">9"), (0.055, 0.06, "0.2mg/L")]:  # fmt: skip
        cells[(odd >= lo) & (odd < hi)] = cell
    cols = {"站码": station, "项目": prop, "时间": times, "监测值": cells}
    if units:  # "kg", or a concentration on pH or temperature: unconvertible, the same reason on both paths
        unit = rng.choice(np.array(["mg/L", "mg/L", "mg/L", "μg/L", "", "kg"], dtype=object), n)
        dimensionless = np.isin(prop, ["pH", "水温"])  # mostly convertible, so their series stay dense
        unit[dimensionless] = rng.choice(
            np.array(["", "", "", "mg/L"], dtype=object), int(dimensionless.sum())
        )
        cols["单位"] = unit
    pd.DataFrame(cols).to_csv(path, index=False)


@pytest.mark.parametrize("units", [False, True])
@pytest.mark.parametrize("in_order", [True, False])
def test_fast_path_matches_the_general_path_on_random_files(
    tmp_path: Path, units: bool, in_order: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    from liuyu.network import qc

    monkeypatch.setattr(qc, "BLOCK_ROWS", 97)  # many blocks of series, on two threads
    path = tmp_path / "random.csv"
    _random_long_csv(path, 7 + units + 2 * in_order, units=units, in_order=in_order)
    fast = read_long_csv(path, station_index(STATIONS))
    assert fast is not None
    accepted, problems, counts, n_parsed = _general(path)
    assert fast.prepared.counts == counts and fast.n_parsed == n_parsed
    pd.testing.assert_frame_equal(
        _problems(pd.concat([fast.row_problems, fast.prepared.rejected])), _problems(problems)
    )
    pd.testing.assert_frame_equal(_accepted(fast.prepared.accepted), _accepted(accepted), check_dtype=False)
    for key in ("unknown_station", "invalid_value", "conflicting_duplicate", "merged_duplicates",
                "rejected_range", "missing"):  # fmt: skip
        assert counts[key] > 0, key
    assert counts["bad_unit"] > 0  # "0.2mg/L" on pH or temperature, also without a unit column
    seen = np.bitwise_or.reduce(accepted["qc_flag"].astype("int64").to_numpy())
    assert seen == 63 - 16, "every stored flag occurs (16, the hard range, is quarantined)"
