"""Standardize: headers to fields by alias and unit, values to types, codes to the code list, nothing lost."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from liuyu.catalog import get_category
from liuyu.errors import SchemaError
from liuyu.ingest.headers import conversion, match_columns, norm, parse_field_map, split_unit
from liuyu.ingest.problems import ProblemLog
from liuyu.ingest.standardize import standardize

LAND = get_category("land_use")


def frame(columns: dict[str, list[object]]) -> gpd.GeoDataFrame:
    n = len(next(iter(columns.values())))
    return gpd.GeoDataFrame(columns, geometry=[shapely.box(117, 40, 117.01, 40.01)] * n, crs="EPSG:4490")


def test_header_normalization_ignores_case_space_and_full_width() -> None:
    assert norm("ＤＬＢＭ ") == norm("dlbm") == norm("D L_B-M")
    assert split_unit("图斑面积（亩）") == ("图斑面积", "亩")
    assert split_unit("DLBM") == ("DLBM", None)
    log = ProblemLog()
    matches, unmapped = match_columns(["ｂｓｍ", "地类 编码", "LAND  CLASS NAME", "其他"], LAND, log)
    assert {m.source: m.field for m in matches} == {
        "ｂｓｍ": "parcel_id",
        "地类 编码": "class_code",
        "LAND  CLASS NAME": "class_name",
    }
    assert unmapped == ["其他"]


@pytest.mark.parametrize(
    ("unit", "factor"),
    [
        ("亩", 10000 / 15),
        ("公顷", 1e4),
        ("ha", 1e4),
        ("km²", 1e6),
        ("平方公里", 1e6),
        ("㎡", 1.0),
        ("万亩", 1e8 / 15),
    ],
)
def test_area_units_in_headers_convert_to_square_metres(unit: str, factor: float) -> None:
    assert conversion(unit, "m2") == pytest.approx(factor)
    log = ProblemLog()
    std = standardize(frame({"BSM": ["a"], "DLBM": ["0101"], f"图斑面积({unit})": ["1.5"]}), LAND, log)
    assert std.frame["area_m2"].iloc[0] == pytest.approx(1.5 * factor)
    assert norm(std.matches[-1].unit or "") == norm(unit) and std.matches[-1].how == "alias+unit"


def test_money_and_volume_units_and_a_unit_of_the_wrong_dimension() -> None:
    assert conversion("万元", "元") == 1e4
    assert conversion("亿m³", "1e8 m3") == 1.0
    assert conversion("万立方米", "1e8 m3") == pytest.approx(1e-4)
    assert conversion("亩", "km") is None
    log = ProblemLog()
    std = standardize(frame({"BSM": ["a"], "DLBM": ["0101"], "图斑面积(米)": [3]}), LAND, log)
    assert std.frame["area_m2"].isna().all()
    assert "图斑面积(米)" in std.unmapped and json.loads(std.frame["extra"].iloc[0]) == {"图斑面积(米)": 3}
    assert log.notes[0]["reason"] == "unknown_unit"


def test_units_the_reader_split_off_the_header_are_used() -> None:
    log = ProblemLog()
    std = standardize(
        frame({"BSM": ["a"], "DLBM": ["0101"], "图斑面积": [2]}), LAND, log, units={"图斑面积": "亩"}
    )
    assert std.frame["area_m2"].iloc[0] == pytest.approx(2 * 10000 / 15)


def test_code_list_accepts_codes_chinese_names_and_eaten_zeros() -> None:
    log = ProblemLog()
    std = standardize(
        frame({"BSM": list("abcde"), "DLBM": ["0101", "水田", "Dry land", 103, "森林"]}), LAND, log
    )
    assert std.frame["class_code"].tolist()[:4] == ["0101", "0101", "0103", "0103"]
    assert std.codelist_names["class_code"] == {"水田": "0101", "Dry land": "0103", "103": "0103"}
    problems = log.frame().drop(columns=["lon", "lat"])
    assert problems.to_dict("records") == [
        {
            "pos": 4,
            "reason": "not_in_codelist",
            "severity": "error",
            "field": "class_code",
            "value": "森林",
            "detail": "column DLBM",
        }
    ]


def test_bad_values_quarantine_required_fields_and_null_optional_ones_keeping_the_original() -> None:
    log = ProblemLog()
    data = {
        "BSM": ["a", None, "c"],
        "DLBM": ["0101"] * 3,
        "TBMJ": ["12.5", "x", "１，０００"],
        "调查年度": ["2023", "2023", "二〇二三"],
    }
    std = standardize(frame(data), LAND, log)
    f = std.frame
    assert (
        f["area_m2"].tolist()[0] == 12.5 and np.isnan(f["area_m2"].iloc[1]) and f["area_m2"].iloc[2] == 1000.0
    )
    assert (
        f["survey_year"].dtype == "Int64"
        and f["survey_year"].iloc[0] == 2023
        and pd.isna(f["survey_year"].iloc[2])
    )
    p = log.frame().set_index(["pos", "reason"])
    assert p.loc[(1, "missing_required"), "field"] == "parcel_id"
    assert p.loc[(1, "nulled_value"), "value"] == "x" and p.loc[(1, "nulled_value"), "severity"] == "warning"
    assert list(log.error_positions()) == [1]
    assert json.loads(f["extra"].iloc[1]) == {"TBMJ": "x"}
    assert json.loads(f["extra"].iloc[2]) == {"调查年度": "二〇二三"}
    assert f["extra"].iloc[0] is None


def test_unmapped_columns_are_kept_in_extra_in_source_order_with_types() -> None:
    log = ProblemLog()
    std = standardize(
        frame({"备注": ["x", None], "fid": [7, 8], "BSM": ["a", "b"], "DLBM": ["0101", "0102"]}), LAND, log
    )
    assert std.unmapped == ["备注", "fid"]
    assert [json.loads(e) for e in std.frame["extra"]] == [{"备注": "x", "fid": 7}, {"备注": None, "fid": 8}]


def test_spreadsheet_numbers_come_back_as_codes_and_dates_in_chinese_forms() -> None:
    stations = get_category("sewage_facilities")
    date_field = next(f for f in stations.fields if f.type == "date")
    log = ProblemLog()
    cols = {"BSM": ["a", "b", "c"], "DLBM": ["0101"] * 3, "XZQDM": [110118.0, 130825.0, None]}
    std = standardize(frame(cols), LAND, log)
    assert std.frame["county_code"].tolist() == ["110118", "130825", None]
    names = {date_field.name_zh: ["2023年5月1日", "2023/5/2", "2023.05.03"]}
    key = next(f for f in stations.fields if f.required and f.type == "string")
    others = {f.name_zh: ["x", "y", "z"] for f in stations.fields if f.required and f.name != date_field.name}
    std = standardize(frame({**others, **names, key.name_zh: ["1", "2", "3"]}), stations, ProblemLog())
    assert std.frame[date_field.name].tolist() == ["2023-05-01", "2023-05-02", "2023-05-03"]


def test_explicit_mapping_and_missing_required_fields() -> None:
    assert parse_field_map(["地类=class_code", "a=b=parcel_id"]) == {"地类": "class_code", "a=b": "parcel_id"}
    with pytest.raises(SchemaError, match="SOURCE=FIELD"):
        parse_field_map(["nothing"])
    log = ProblemLog()
    std = standardize(
        frame({"编号": ["a"], "地类": ["旱地"]}),
        LAND,
        log,
        field_map={"编号": "parcel_id", "地类": "class_code"},
    )
    assert std.frame[["parcel_id", "class_code"]].iloc[0].tolist() == ["a", "0103"]
    with pytest.raises(SchemaError, match=r"required fields \['class_code'\]") as err:
        standardize(frame({"BSM": ["a"]}), LAND, ProblemLog())
    assert "DLBM" in (err.value.hint or "") and "--map" in (err.value.hint or "")
    with pytest.raises(SchemaError, match="does not have"):
        standardize(frame({"BSM": ["a"]}), LAND, ProblemLog(), field_map={"nope": "class_code"})


def test_two_columns_for_one_field_keep_the_first_and_say_so() -> None:
    log = ProblemLog()
    std = standardize(frame({"BSM": ["a"], "标识码": ["b"], "DLBM": ["0101"]}), LAND, log)
    assert std.frame["parcel_id"].iloc[0] == "a" and "标识码" in std.unmapped
    assert log.notes[0]["reason"] == "field_conflict"
