"""CSV and XLSX with coordinate columns: headers, units, merged cells, DMS, swapped axes, bad cells."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import openpyxl
import pytest

from liuyu.errors import IngestError
from liuyu.ingest.readers import list_layers, open_delivery
from liuyu.ingest.readers.coords import find_coordinate_columns, parse_coordinates
from liuyu.ingest.readers.header import split_unit

DMS = 116 + 50 / 60 + 30 / 3600


# --- coordinate parsing ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("116°50′30″", DMS),
        ("116°50'30\"", DMS),
        ("116°50′30″E", DMS),
        ("E116°50′30″", DMS),
        ("东经116°50′30″", DMS),
        ("116度50分30秒", DMS),
        ("１１６°５０′３０″", DMS),
        ("116º50’30”", DMS),
        ("116:50:30", DMS),
        ("116 50 30", DMS),
        ("116°50.5′", 116 + 50.5 / 60),
        ("116°50'30.5\"E", 116 + 50 / 60 + 30.5 / 3600),
        ("116.8417°", 116.8417),
        ("116.8417E", 116.8417),
        ("116.8417", 116.8417),
        (116.8417, 116.8417),
        ("W73°30′", -73.5),
        ("-73.5", -73.5),
    ],
)
def test_parse_longitudes(text: object, expected: float) -> None:
    values, why = parse_coordinates([text], "lon")
    assert why[0] is None
    assert values[0] == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("116°70′", "minutes must be below 60"),
        ("116°50′75″", "seconds must be below 60"),
        ("116.5°30′", "degrees with decimals"),
        ("N40°30′", "N/S hemisphere in a longitude column"),
        ("E116°N", "hemisphere given twice"),
        ("abc", "cannot read 'abc' as a coordinate"),
        ("", "the coordinate is missing"),
        (None, "the coordinate is missing"),
    ],
)
def test_unparseable_coordinates_give_reasons(text: object, reason: str) -> None:
    values, why = parse_coordinates([text, "116.5"], "lon")
    assert np.isnan(values[0]) and reason in why[0]
    assert values[1] == 116.5 and why[1] is None


def test_latitude_hemispheres() -> None:
    values, why = parse_coordinates(["北纬40°30′", "40°30′S", "E40°"], "lat")
    assert values[0] == pytest.approx(40.5) and values[1] == pytest.approx(-40.5)
    assert "E/W hemisphere in a latitude column" in why[2]


@pytest.mark.parametrize(
    ("names", "kind", "xy"),
    [
        (["站码", "经度（°）", "纬度（°）"], "lonlat", (1, 2)),
        (["LTTD", "LGTD"], "lonlat", (1, 0)),
        (["ＰＯＩＮＴ_Ｘ", "POINT_Y"], "xy", (0, 1)),
        (["东坐标(m)", "北坐标(m)"], "eastnorth", (0, 1)),
        (["X坐标", "Y坐标", "经度", "纬度"], "lonlat", (2, 3)),
    ],
)
def test_find_coordinate_columns(names: list[str], kind: str, xy: tuple[int, int]) -> None:
    found = find_coordinate_columns(names)
    assert found is not None and found.kind == kind and (found.x, found.y) == xy


def test_split_unit() -> None:
    assert split_unit("流量(m³/s)") == ("流量", "m³/s")
    assert split_unit("面积（亩）") == ("面积", "亩")
    assert split_unit("COD[mg/L]") == ("COD", "mg/L")
    assert split_unit("经度(东经)") == ("经度(东经)", None)
    assert split_unit("站名") == ("站名", None)


# --- CSV ------------------------------------------------------------------------------------


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def test_csv_round_trip_keeps_codes_as_text(tmp_path: Path) -> None:
    path = write(
        tmp_path / "站点.csv", "站码,站名,经度,纬度\n01020304,密云,116.85,40.48\n00000007,白河,116.6,40.6\n"
    )
    d = open_delivery(path)
    assert d.format == "csv" and d.crs is None and d.layer == "站点"
    assert d.frame["站码"].tolist() == ["01020304", "00000007"]
    assert d.frame.geometry.x.tolist() == [116.85, 116.6]
    assert d.rows.tolist() == [2, 3] and d.n_source_rows == 2
    assert list_layers(path) == ["站点"]


@pytest.mark.parametrize("encoding", ["gbk", "utf-8-sig", "utf-16"])
def test_csv_encodings(tmp_path: Path, encoding: str) -> None:
    path = write(tmp_path / "s.csv", "站名,经度,纬度\n密云水库,116.85,40.48\n", encoding)
    assert open_delivery(path).frame["站名"].tolist() == ["密云水库"]


def test_csv_wrong_encoding_given(tmp_path: Path) -> None:
    path = write(tmp_path / "s.csv", "站名,经度,纬度\n密云水库,116.85,40.48\n", "gbk")
    with pytest.raises(IngestError, match="not valid UTF-8") as exc:
        open_delivery(path, encoding="utf-8")
    assert "gb18030" in exc.value.hint


def test_csv_dms_title_line_semicolons_and_bad_cells(tmp_path: Path) -> None:
    text = (
        "密云水库水文站一览表\n"
        "站码;站名;经度;纬度\n"
        "1;密云;116°50′30″;40°29′10″\n"
        "2;白河;116度35分;40度36分\n"
        "3;坏值;116°70′;40.5\n"
        "\n"
        "4;缺失;;40.5\n"
        "5;潮河;117.0;北纬40°40′\n"
    )
    d = open_delivery(write(tmp_path / "s.csv", text))
    assert d.frame["站名"].tolist() == ["密云", "白河", "潮河"]
    assert d.frame.geometry.x.iloc[0] == pytest.approx(DMS)
    assert d.frame.geometry.y.iloc[2] == pytest.approx(40 + 40 / 60)
    assert d.rows.tolist() == [3, 4, 8]
    assert [(p.row, p.field, p.value) for p in d.problems] == [(5, "经度", "116°70′"), (7, "经度", None)]
    assert "minutes must be below 60" in d.problems[0].reason
    assert d.n_source_rows == len(d.frame) + 2


def test_csv_swapped_lon_lat(tmp_path: Path) -> None:
    d = open_delivery(write(tmp_path / "s.csv", "name,lon,lat\na,40.48,116.85\nb,40.6,116.6\n"))
    assert d.frame.geometry.x.tolist() == [116.85, 116.6]
    assert any("swapped" in n for n in d.notes)


def test_csv_survey_xy_convention(tmp_path: Path) -> None:
    """Chinese surveying calls the northing X: 8-digit zone-prefixed eastings sit under Y."""
    d = open_delivery(write(tmp_path / "s.csv", "点号,X,Y\nJ1,4480123.5,39512345.2\nJ2,4481000,39513000\n"))
    assert d.frame.geometry.x.tolist() == [39512345.2, 39513000.0]
    assert any("X = north" in n for n in d.notes)


def test_csv_packed_dms_numbers(tmp_path: Path) -> None:
    d = open_delivery(write(tmp_path / "s.csv", "STCD,LGTD,LTTD\n30101,1165030,402910\n"))
    assert d.frame.geometry.x.iloc[0] == pytest.approx(DMS)
    assert any("DDDMMSS" in n for n in d.notes)


def test_csv_out_of_range_degrees(tmp_path: Path) -> None:
    d = open_delivery(write(tmp_path / "s.csv", "名称,经度,纬度\na,116.5,40.5\nb,116.5,95\n"))
    assert [(p.row, p.field) for p in d.problems] == [(3, "纬度")]
    assert "outside ±90" in d.problems[0].reason


def test_csv_without_coordinates(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="no coordinate columns") as exc:
        open_delivery(write(tmp_path / "s.csv", "站名,河流\n密云,白河\n"))
    assert "经度/纬度" in exc.value.hint


# --- XLSX -----------------------------------------------------------------------------------


def station_book(path: Path, *, second_sheet_coords: bool = False) -> Path:
    """A workbook as agencies send it: a notes sheet, a merged title, group headers, units."""
    wb = openpyxl.Workbook()
    notes = wb.active
    notes.title = "填表说明"
    notes["A1"] = "坐标系：CGCS2000"
    ws = wb.create_sheet("站点")
    ws["A1"] = "密云水库上游水文站基本信息表"
    ws.merge_cells("A1:F1")
    ws.append(["站码", "站名", "所在河流", "坐标", None, "流量(m³/s)"])
    ws.append([None, None, None, "经度", "纬度", None])
    for col in "ABCF":
        ws.merge_cells(f"{col}2:{col}3")
    ws.merge_cells("D2:E2")
    ws.append(["01", "张家坟", "白河", "116°47′10″", 40.61, 12.5])
    ws.append(["02", "下会", "潮河", 117.1, "40°36′", 8.1])
    ws.append(["03", "戴营", None, "abc", 40.7, 3.2])
    ws.merge_cells("C4:C5")  # the river name merged down its stations
    if second_sheet_coords:
        other = wb.create_sheet("雨量站")
        other.append(["站名", "经度", "纬度"])
        other.append(["石城", 116.8, 40.5])
    wb.save(path)
    return path


def test_xlsx_merged_headers_units_and_problems(tmp_path: Path) -> None:
    path = station_book(tmp_path / "站点.xlsx")
    assert list_layers(path) == ["填表说明", "站点"]
    d = open_delivery(path)
    assert d.format == "xlsx" and d.layer == "站点"
    assert list(d.frame.columns) == ["站码", "站名", "所在河流", "经度", "纬度", "流量", "geometry"]
    assert d.units == {"流量": "m³/s"}
    assert d.frame["所在河流"].tolist() == ["白河", "白河"]
    assert d.frame.geometry.x.iloc[0] == pytest.approx(116 + 47 / 60 + 10 / 3600)
    assert d.frame.geometry.y.iloc[1] == pytest.approx(40.6)
    assert d.rows.tolist() == [4, 5]
    assert [(p.row, p.field, p.value) for p in d.problems] == [(6, "经度", "abc")]
    assert d.n_source_rows == 3
    assert any("the only one with coordinate columns" in n for n in d.notes)
    assert any("header spans rows 2-3" in n for n in d.notes)


def test_xlsx_units_row_below_header(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["名称", "经度", "纬度", "面积"])
    ws.append([None, "(°)", "(°)", "亩"])
    ws.append(["甲", 116.5, 40.5, 30])
    wb.save(tmp_path / "a.xlsx")
    d = open_delivery(tmp_path / "a.xlsx")
    assert d.units == {"经度": "°", "纬度": "°", "面积": "亩"}
    assert d.rows.tolist() == [3]


def test_xlsx_several_coordinate_sheets_need_layer(tmp_path: Path) -> None:
    path = station_book(tmp_path / "站点.xlsx", second_sheet_coords=True)
    with pytest.raises(IngestError, match="holds 3 layers") as exc:
        open_delivery(path)
    assert "--layer" in exc.value.hint
    assert open_delivery(path, layer="雨量站").frame["站名"].tolist() == ["石城"]


def test_xlsx_zip_bomb_limits_apply(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from liuyu.ingest import safety

    path = station_book(tmp_path / "站点.xlsx")
    monkeypatch.setattr(safety, "MAX_TOTAL_BYTES", 1_000)
    with pytest.raises(IngestError, match="beyond the limit"):
        open_delivery(path)
