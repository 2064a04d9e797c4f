"""Lab sheets: long tables and wide sheets → long observations; every row accounted for."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from liuyu.errors import SchemaError
from liuyu.network.sheets import (
    OBSERVATION_COLUMNS,
    grid_frame,
    long_table,
    match_property,
    to_utc,
    wide_sheet,
)
from liuyu.network.values import parse_values


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text).tz_localize("Asia/Shanghai").tz_convert("UTC")


@pytest.mark.parametrize(
    ("header", "code", "unit"),
    [
        ("高锰酸盐指数(mg/L)", "codmn", "mg/L"),
        ("高锰酸盐指数（mg/L）", "codmn", "mg/L"),
        ("CODMn", "codmn", None),
        ("codmn", "codmn", None),
        ("Permanganate Index", "codmn", None),
        ("NH₃-N", "nh3n", None),
        ("总磷（以P计）", "tp", None),
        ("总磷(以P计)(mg/L)", "tp", "mg/L"),
        ("粪大肠菌群(个/L)", "fecal_coliform", "个/L"),
        ("水温(℃)", "water_temp", "℃"),
        (" T P ", "tp", None),
        ("备注", None, None),
    ],
)
def test_match_property_by_alias(header: str, code: str | None, unit: str | None) -> None:
    assert match_property(header) == (code, unit)


def test_to_utc_reads_the_usual_spellings() -> None:
    cells = pd.Series(
        ["2024-08-05", "2024/8/5 10:30", "2024年8月5日", "２０２４年８月５日 10时30分", 45509, 45509.4375,
         20240805, dt.datetime(2024, 8, 5, 10, 30), "2024-02-30", "soon", 2024, None],
        dtype=object,
    )  # fmt: skip
    got = to_utc(cells)
    midnight, half_past_ten = utc("2024-08-05"), utc("2024-08-05 10:30")
    expected = [midnight, half_past_ten, midnight, half_past_ten, midnight, half_past_ten, midnight]
    assert got.iloc[:8].tolist() == [*expected, half_past_ten]
    assert got.iloc[8:].isna().all()
    assert str(got.dt.tz) == "UTC"


def test_to_utc_datetime_columns() -> None:
    naive = pd.Series([pd.Timestamp("2024-08-05 10:30"), pd.NaT])
    assert to_utc(naive).iloc[0] == utc("2024-08-05 10:30")
    assert pd.isna(to_utc(naive).iloc[1])
    aware = pd.Series([pd.Timestamp("2024-08-05 10:30", tz="UTC")])
    assert to_utc(aware).iloc[0] == pd.Timestamp("2024-08-05 10:30", tz="UTC")


def test_to_utc_with_separate_time_column() -> None:
    date = pd.Series(["2024-08-05", "2024-08-05", 45509, "2024-08-05 09:00"], dtype=object)
    time = pd.Series(["10:30", "10时30分", 0.4375, None, 45509.4375], dtype=object)
    date = pd.concat([date, pd.Series(["2024-08-05"])], ignore_index=True)
    assert to_utc(date, time).tolist() == [utc("2024-08-05 10:30")] * 3 + [
        utc("2024-08-05 09:00"),
        utc("2024-08-05 10:30"),
    ]
    assert to_utc(pd.Series(["2024-08-05"]), pd.Series(["25:99"])).isna().all()


def wide_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "断面编码": ["MY01", "MY02", "MY03", None, "MY05", None],
            "断面名称": ["白河堡", "古北口", "辛庄桥", None, "潮河", None],
            "采样日期": ["2024-08-05", "2024/8/6 10:30", "2024年8月7日", "2024-08-08", "not a date", None],
            "高锰酸盐指数(mg/L)": [2.1, "<0.5", "ND", "2.0", 3.0, None],
            "总磷(以P计)(mg/L)": ["0.02", "0.01L", None, "0.03", "0.04", None],
            "水温(℃)": [24.5, "—", "２３．５", None, 22, None],
            "备注": ["", "雨后", "", "", "", ""],
        }
    )


def test_wide_sheet_melts_with_units_from_header() -> None:
    obs, problems = wide_sheet(wide_frame())
    assert list(obs.columns) == OBSERVATION_COLUMNS
    first = obs[obs["source_row"] == 2].set_index("property_code")
    assert first.loc["codmn", "raw"] == "2.1"
    assert first.loc["codmn", "unit"] == "mg/L"
    assert first.loc["tp", "unit"] == "mg/L"
    assert first.loc["water_temp", "unit"] == "℃"
    assert (first["station_code"] == "MY01").all()
    assert (first["station_name"] == "白河堡").all()
    assert (first["phenomenon_time"] == utc("2024-08-05")).all()
    second = obs[obs["source_row"] == 3].set_index("property_code")
    assert second.loc["codmn", "raw"] == "<0.5"
    assert second.loc["tp", "raw"] == "0.01L"
    assert (second["phenomenon_time"] == utc("2024-08-06 10:30")).all()
    assert set(obs.loc[obs["source_row"] == 4, "property_code"]) == {
        "codmn",
        "water_temp",
    }  # blank TP skipped
    by_field = problems.set_index("field")
    assert pd.isna(by_field.loc["备注", "source_row"])
    assert "not matched" in by_field.loc["备注", "reason"]
    rejected = problems.dropna(subset=["source_row"]).set_index("source_row")
    assert "no station" in rejected.loc[5, "reason"]
    assert rejected.loc[5, "field"] == "断面编码"
    assert "unreadable 采样日期" in rejected.loc[6, "reason"]
    assert rejected.loc[6, "value"] == "not a date"


def test_wide_sheet_rows_in_equal_rows_out_plus_problems() -> None:
    frame = wide_frame()
    obs, problems = wide_sheet(frame)
    params = ["高锰酸盐指数(mg/L)", "总磷(以P计)(mg/L)", "水温(℃)"]
    filled = frame[params].notna().to_numpy()
    with_values = set(np.flatnonzero(filled.any(axis=1)) + 2)
    out = set(obs["source_row"])
    rejected = set(problems["source_row"].dropna().astype(int))
    assert out | rejected == with_values
    assert not out & rejected
    accepted = [r - 2 for r in sorted(out)]
    assert len(obs) == filled[accepted].sum()  # one observation per non-blank cell


def test_wide_sheet_raw_values_parse_downstream() -> None:
    obs, _ = wide_sheet(wide_frame())
    parsed = parse_values(obs["raw"])
    codmn = parsed[obs["property_code"].eq("codmn") & obs["source_row"].eq(3)].iloc[0]
    assert (codmn["value"], codmn["censor"]) == (0.5, "<")
    temp = parsed[obs["property_code"].eq("water_temp") & obs["source_row"].eq(4)].iloc[0]
    assert temp["value"] == 23.5


def test_wide_sheet_units_row_below_header() -> None:
    frame = pd.DataFrame(
        {
            "站码": [None, "MY01", "MY02"],
            "监测时间": [None, "2024-08-05 10:00", "2024-08-05 11:00"],
            "溶解氧": ["mg/L", 8.1, 7.9],
            "叶绿素a": ["μg/L", 3.2, 4.0],
            "粪大肠菌群": ["个/L", 200, "<20"],
        }
    )
    obs, problems = wide_sheet(frame)
    assert problems.empty
    assert sorted(set(obs["source_row"])) == [3, 4]
    units = obs.drop_duplicates("property_code").set_index("property_code")["unit"]
    assert units.to_dict() == {"do": "mg/L", "chla": "μg/L", "fecal_coliform": "个/L"}
    assert obs["phenomenon_time"].iloc[0] == utc("2024-08-05 10:00")


def test_wide_sheet_first_row_of_non_detects_is_not_a_units_row() -> None:
    frame = pd.DataFrame({"站码": ["MY01", "MY02"], "日期": ["2024-08-05"] * 2, "铅": ["ND", "0.001"]})
    obs, problems = wide_sheet(frame)
    assert problems.empty
    assert obs["raw"].tolist() == ["ND", "0.001"]
    assert obs["unit"].isna().all()


def test_wide_sheet_merged_header_levels_and_header_units() -> None:
    columns = pd.MultiIndex.from_tuples(
        [("站点", "站码", "Unnamed: 0_level_2"), ("站点", "日期", "Unnamed: 1_level_2"),
         ("营养盐", "总氮", "mg/L"), ("营养盐", "氨氮", "mg/L"), ("重金属", "铜", "mg/L")]
    )  # fmt: skip
    frame = pd.DataFrame([["MY01", 45509, "1.2", "0.15", "<0.001"]], columns=columns)
    obs, problems = wide_sheet(frame, header_units={("重金属", "铜", "mg/L"): "μg/L"}, rows=[4])
    assert problems.empty
    got = obs.set_index("property_code")
    assert got.loc["tn", "unit"] == "mg/L"
    assert got.loc["cu", "unit"] == "μg/L"
    assert (obs["source_row"] == 4).all()
    assert (obs["phenomenon_time"] == utc("2024-08-05")).all()


def test_wide_sheet_without_time_column_is_an_error() -> None:
    with pytest.raises(SchemaError, match="date"):
        wide_sheet(pd.DataFrame({"站码": ["A"], "总磷": [0.1]}))


def test_long_table_chinese_headers() -> None:
    frame = pd.DataFrame(
        {
            "站码": ["MY01", "MY01", "MY02", "MY02", None, "MY03"],
            "采样日期": ["2024-08-05", "2024-08-05", "2024年8月6日", "bad", "2024-08-06", "2024-08-06"],
            "采样时间": ["10:30", "10:30", "09:00", "09:00", "09:00", "09:00"],
            "监测项目": ["高锰酸盐指数", "总磷", "氨氮", "总氮", "总氮", "叶绿素x"],
            "监测值": ["2.1", "0.01L", "未检出", "1.1", "1.2", "3"],
            "单位": ["mg/L", "mg/L", None, "mg/L", "mg/L", "μg/L"],
        }
    )
    obs, problems = long_table(frame)
    assert len(obs) + len(problems) == len(frame)
    assert obs["property_code"].tolist() == ["codmn", "tp", "nh3n"]
    assert obs["raw"].tolist() == ["2.1", "0.01L", "未检出"]
    assert obs["unit"].tolist()[:2] == ["mg/L", "mg/L"] and pd.isna(obs["unit"].iloc[2])
    assert obs["phenomenon_time"].tolist()[:2] == [utc("2024-08-05 10:30")] * 2
    assert problems["source_row"].tolist() == [5, 6, 7]
    assert problems["field"].tolist() == ["采样日期", "站码", "监测项目"]
    assert problems["value"].tolist()[2] == "叶绿素x"
    assert "not in properties.toml" in problems["reason"].iloc[2]


def test_long_table_english_headers_and_unit_in_value_header() -> None:
    frame = pd.DataFrame(
        {
            "Station": ["Baihebao", "Gubeikou", None],
            "Date": [dt.datetime(2024, 8, 5, 10), "2024-08-05 11:00", None],
            "Parameter": ["Dissolved oxygen", "DO", None],
            "Value (mg/L)": [8.0, None, None],
        }
    )
    obs, problems = long_table(frame)
    assert problems.empty  # the wholly blank row is not a row
    assert obs["station_name"].tolist() == ["Baihebao", "Gubeikou"]
    assert obs["station_code"].isna().all()
    assert obs["raw"].iloc[0] == "8.0"
    assert pd.isna(obs["raw"].iloc[1])  # a blank value is an observation; values.py marks it missing
    assert obs["unit"].tolist() == ["mg/L", "mg/L"]
    assert obs["phenomenon_time"].tolist() == [utc("2024-08-05 10:00"), utc("2024-08-05 11:00")]


def test_long_table_without_value_column_is_an_error() -> None:
    with pytest.raises(SchemaError, match="value"):
        long_table(pd.DataFrame({"站码": ["A"], "日期": ["2024-08-05"], "项目": ["TP"]}))


def test_grid_with_title_group_headers_and_units_row() -> None:
    grid = [
        ["密云水库入库河流水质监测结果（2024年8月）", None, None, None, None, None],
        [None, None, None, None, None, None],
        ["断面名称", "采样日期", "营养盐", "营养盐", "有机物", "备注"],
        ["断面名称", "采样日期", "总氮", "氨氮", "高锰酸盐指数", "备注"],
        [None, None, "mg/L", "mg/L", "mg/L", None],
        ["白河堡", "2024年8月5日", "1.2", "0.15", "2.1", None],
        ["古北口", 45510, "1.4", "未检出", "2.4", "雨后"],
        [None, None, None, None, None, None],
    ]
    frame, rows = grid_frame(grid)
    assert rows.tolist() == [5, 6, 7, 8]
    obs, problems = wide_sheet(frame, rows=rows)
    assert sorted(set(obs["source_row"])) == [6, 7]
    assert len(obs) == 6
    assert set(obs["unit"]) == {"mg/L"}
    assert obs.loc[obs["source_row"] == 7, "phenomenon_time"].iloc[0] == utc("2024-08-06")
    assert problems["field"].tolist() == ["备注"]


def test_grid_without_date_column_is_an_error() -> None:
    with pytest.raises(SchemaError, match="no date"):
        grid_frame([["站码", "总磷"], ["A", "0.1"]])
