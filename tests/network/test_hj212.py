"""HJ 212-2017 messages: framing, CRC, commands, flags, time zones, station mapping."""

from __future__ import annotations

import tomllib
from importlib import resources

import pandas as pd
import pytest

from liuyu.network.hj212 import crc16, parse_messages
from liuyu.network.properties import load_properties
from liuyu.network.units import normalize_units

MN = "010000A8900016F000169DC0"
STATIONS = {MN: "BJ-MY-001"}


def message(
    cp: str, *, cn: str = "2061", mn: str = MN, crc: str | None = None, length: int | None = None
) -> str:
    """A message framed with our own CRC (cross-checked below against published examples)."""
    segment = f"QN=20240805103000123;ST=32;CN={cn};PW=123456;MN={mn};Flag=5;CP=&&{cp}&&"
    size = len(segment) if length is None else length
    return f"##{size:04d}{segment}{crc or format(crc16(segment.encode()), '04X')}\r\n"


def test_crc_matches_the_standards_example() -> None:
    # HJ 212-2017's own example (quoted at whycan.com/viewtopic.php?id=3594): CRC 1C80.
    segment = b"QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;"
    segment += b"CP=&&RtdInterval=30&&"
    assert len(segment) == 101
    assert crc16(segment) == 0x1C80


def test_crc_matches_a_published_device_message() -> None:
    # Air-station message published at blog.csdn.net/qq_17486399/article/details/143863664.
    segment = (
        "QN=20241115190408000;ST=27;CN=2011;PW=123456;MN=AQI2411132600332;Flag=5;CP=&&DataTime=20241115190408;"
        "a21026-Rtd=117;a21004-Rtd=16;o31104-Rtd=29;a21005-Rtd=0.14;a34004-Rtd=6;a34002-Rtd=6;"
        "a34001-Rtd=6;a01001-Rtd=28.1;a01002-Rtd=68;LA-Rtd=49;a01006-Rtd=1002;a06001-Rtd=0.0;"
        "a04003-Rtd=0;a01007-Rtd=0.0;a01008-Rtd=70&&"
    )
    assert len(segment) == 313
    assert crc16(segment.encode()) == 0x9901


def test_hourly_message_to_long_rows_in_utc() -> None:
    cp = "DataTime=20240805100000;w01018-Avg=12.3,w01018-Min=10.1,w01018-Max=15.0,"
    cp += "w01018-Cou=1.2,w01018-Flag=N"
    obs, problems = parse_messages(message(cp), STATIONS)
    assert problems.empty
    assert list(obs["statistic"]) == ["Avg", "Min", "Max", "Cou"]
    assert set(obs["property_code"]) == {"cod"}
    assert list(obs["raw"]) == ["12.3", "10.1", "15.0", "1.2"]
    assert list(obs["unit"]) == ["mg/L", "mg/L", "mg/L", "kg"]
    assert (obs["phenomenon_time"] == pd.Timestamp("2024-08-05 02:00", tz="UTC")).all()
    assert str(obs["phenomenon_time"].dt.tz) == "UTC"
    assert (obs["station_code"] == "BJ-MY-001").all()
    assert (obs["source_row"] == 1).all()
    assert (obs["flag"] == "N").all()


def test_realtime_message_several_pollutants_and_flags() -> None:
    cp = (
        "DataTime=20240805103000;w21003-Rtd=0.52,w21003-Flag=N;w21011-Rtd=0.031,w21011-Flag=C;"
        "w01001-Rtd=7.8,w01001-Flag=M;w01010-Rtd=24.1,w01010-Flag=N;w00000-Rtd=3.5,w00000-Flag=N"
    )
    obs, problems = parse_messages(message(cp, cn="2011"), STATIONS)
    assert problems.empty
    by = obs.set_index("property_code")
    assert by.loc["nh3n", "raw"] == "0.52"
    assert by.loc["tp", "flag"] == "C"
    assert by.loc["ph", "flag"] == "M"
    assert by.loc["water_temp", "unit"] == "°C"
    assert by.loc["flow", "unit"] == "L/s"
    assert set(obs["statistic"]) == {"Rtd"}
    assert set(obs["cn"]) == {"2011"}


def test_bad_crc_rejected_with_line_number() -> None:
    good = message("DataTime=20240805100000;w01018-Avg=12.3")
    bad = message("DataTime=20240805110000;w01018-Avg=12.3", crc="0000")
    obs, problems = parse_messages(good + "\r\n" + bad, STATIONS)
    assert len(obs) == 1
    assert list(problems["source_row"]) == [3]
    assert problems["reason"].iloc[0].startswith("CRC mismatch")
    assert problems["field"].iloc[0] == "crc"


def test_tampered_value_fails_the_crc() -> None:
    good = message("DataTime=20240805100000;w01018-Avg=12.3")
    obs, problems = parse_messages(good.replace("12.3", "92.3"), STATIONS)
    assert obs.empty
    assert "CRC mismatch" in problems["reason"].iloc[0]


def test_wrong_length_rejected() -> None:
    text = message("DataTime=20240805100000;w01018-Avg=12.3", length=50)
    obs, problems = parse_messages(text, STATIONS)
    assert obs.empty
    assert problems["field"].iloc[0] == "length"


def test_unknown_mn_other_commands_and_garbage_are_problems() -> None:
    lines = [
        message("DataTime=20240805100000;w01018-Avg=12.3", mn="UNKNOWN0001"),
        message("RtdInterval=30", cn="1062"),
        "garbage line",
        "",
        "2024-08-05 10:00:01 RECV " + message("DataTime=20240805100000;w21001-Avg=1.1"),
    ]
    obs, problems = parse_messages("\n".join(line.rstrip() for line in lines), STATIONS)
    assert list(problems["source_row"]) == [1, 2, 3]
    assert list(problems["field"].iloc[:2]) == ["MN", "CN"]
    assert pd.isna(problems["field"].iloc[2])
    assert list(obs["property_code"]) == ["tn"]
    assert list(obs["source_row"]) == [5]


def test_unknown_pollutant_code_reported_rest_kept() -> None:
    cp = "DataTime=20240805100000;w99999-Avg=1;w01019-Avg=3.2"
    obs, problems = parse_messages(message(cp), STATIONS)
    assert list(obs["property_code"]) == ["codmn"]
    assert list(problems["field"]) == ["w99999"]


def test_bad_datatime_rejected() -> None:
    text = message("DataTime=2024080510;w01018-Avg=1") + message("DataTime=20240231100000;w01018-Avg=1")
    obs, problems = parse_messages(text + message("DataTime=20240805100000;w01018-Avg=1"), STATIONS)
    assert obs["source_row"].tolist() == [3]
    assert problems["field"].tolist() == ["DataTime", "DataTime"]
    assert problems["source_row"].tolist() == [1, 2]


def test_units_are_known_to_the_unit_table() -> None:
    text = resources.files("liuyu.network").joinpath("hj212_codes.toml").read_text(encoding="utf-8")
    units = pd.Series([c["unit"] for c in tomllib.loads(text)["codes"].values()])
    assert normalize_units(units).notna().all()


def test_rows_in_equal_messages_out_plus_problems() -> None:
    texts = [message(f"DataTime=202408051{h}0000;w01018-Avg={h}") for h in range(10)]
    texts[3] = texts[3].replace("=3", "=8")  # breaks the CRC
    obs, problems = parse_messages("".join(texts), STATIONS)
    assert obs["source_row"].nunique() + len(problems) == 10


def test_every_code_maps_to_a_known_property() -> None:
    text = resources.files("liuyu.network").joinpath("hj212_codes.toml").read_text(encoding="utf-8")
    codes = tomllib.loads(text)["codes"]
    known = set(load_properties()["code"])
    assert {c["property"] for c in codes.values()} <= known
    assert codes["w01019"]["property"] == "codmn"


@pytest.mark.parametrize("day", ["20240805000000", "20241231230000"])
def test_midnight_and_year_end_cross_into_previous_utc_day(day: str) -> None:
    obs, _ = parse_messages(message(f"DataTime={day};w01018-Avg=1", cn="2031"), STATIONS)
    local = pd.Timestamp(day).tz_localize("Asia/Shanghai")
    assert obs["phenomenon_time"].iloc[0] == local.tz_convert("UTC")
