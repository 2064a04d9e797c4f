"""Station registry: code reconciliation across agencies, name+distance matching, re-ingest."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
from shapely.geometry import Point

from liuyu.network.stations import ingest_stations, normalize_name, reconcile

BEIJING_CSV = """测站编码,测站名称,站类,河流名称,断面属性,经度,纬度,其他编码
BJ001,古北口(潮河),flow,潮河,provincial_boundary,117.1500,40.6900,
BJ002,下会,flow,白河,,116.9000,40.6000,
BJ003,密云水库坝下,water_quality,潮白河,reservoir_outflow,116.8500,40.4800,
"""
HEBEI_CSV = """测站编码,测站名称,站类,河流名称,断面属性,经度,纬度,其他编码
HB901,古北口 （潮河）,flow,潮河,,117.1502,40.6901,
HB902,下会,flow,白河,county_boundary,116.9001,40.6001,BJ002
HB903,丰宁,rain,潮河,,116.6500,41.2000,
"""


def _frame(rows: list[tuple[str, str, float, float, str | None]]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "code": [r[0] for r in rows],
            "name": [r[1] for r in rows],
            "kind": ["flow"] * len(rows),
            "river": [None] * len(rows),
            "aliases": [r[4] for r in rows],
        },
        geometry=[Point(r[2], r[3]) for r in rows],
        crs="EPSG:4490",
    )


def test_normalize_name() -> None:
    assert normalize_name("下 会【白河】") == normalize_name("下会(白河)") == "下会白河"
    assert normalize_name("ＡＢ１") == "AB1"


def test_match_by_code_alias_and_reverse_alias() -> None:
    current = _frame([("BJ1", "甲", 117.0, 40.5, "HB7"), ("BJ2", "乙", 117.1, 40.5, None)])
    delivered = _frame([("HB7", "甲站", 117.3, 40.9, None), ("HB8", "乙站", 117.3, 40.9, "BJ2")])
    current["river"] = ["旧河", "白河"]
    delivered["river"] = ["潮河", None]
    merged, report = reconcile(current, delivered)
    assert merged["code"].tolist() == ["BJ1", "BJ2"]
    assert merged["aliases"].tolist() == ["HB7", "HB8"]
    assert merged["river"].tolist() == ["潮河", "白河"]  # updated where given, never blanked
    assert merged["name"].tolist() == ["甲", "乙"]  # another agency's code: identity kept
    assert merged.geometry.x.tolist() == [117.0, 117.1]
    assert report["counts"] == {"delivered": 2, "code": 0, "alias": 2, "name": 0, "new": 0, "stations": 2}


def test_same_code_updates_identity_and_keeps_aliases() -> None:
    current = _frame([("BJ1", "甲", 117.0, 40.5, "HB7")])
    merged, report = reconcile(current, _frame([("BJ1", "甲（新）", 117.01, 40.5, None)]))
    assert merged["name"].tolist() == ["甲（新）"] and merged["aliases"].tolist() == ["HB7"]
    assert merged.geometry.x.tolist() == [117.01]
    assert report["counts"]["code"] == 1


def test_name_within_distance_merges_but_too_far_stays_separate() -> None:
    current = _frame([("BJ1", "古北口（潮河）", 117.15, 40.69, None), ("BJ2", "下会", 116.90, 40.60, None)])
    # ~100 m from 古北口; ~500 m from 下会
    delivered = _frame(
        [("HB1", "古北口 (潮河)", 117.1512, 40.69, None), ("HB2", "下会", 116.9059, 40.60, None)]
    )
    merged, report = reconcile(current, delivered, distance_m=200)
    assert merged["code"].tolist() == ["BJ1", "BJ2", "HB2"]
    assert merged["aliases"].iloc[0] == "HB1" and pd.isna(merged["aliases"].iloc[1])
    assert report["counts"]["name"] == 1 and report["counts"]["new"] == 1
    assert 50 < report["matches"][0]["distance_m"] < 150
    wider, _ = reconcile(current, delivered, distance_m=1000)
    assert len(wider) == 2


def test_empty_registry_takes_the_delivery() -> None:
    merged, report = reconcile(_frame([]).iloc[:0], _frame([("A", "甲", 117.0, 40.5, None)]))
    assert merged["code"].tolist() == ["A"] and report["counts"]["new"] == 1


def test_ingest_beijing_then_hebei_then_again(workspace, tmp_path: Path) -> None:
    bj, hb = tmp_path / "beijing.csv", tmp_path / "hebei.csv"
    bj.write_text(BEIJING_CSV, encoding="utf-8")
    hb.write_text(HEBEI_CSV, encoding="utf-8")
    first = ingest_stations(workspace, bj, crs="EPSG:4490", agency="北京市水文总站", jurisdiction="beijing")
    assert first.status == "written" and len(first.stations) == 3
    second = ingest_stations(
        workspace, hb, crs="EPSG:4490", agency="河北省水文勘测研究中心", jurisdiction="hebei"
    )
    assert second.status == "written"
    stations = workspace.read_layer("stations").set_index("code")
    assert sorted(stations.index) == ["BJ001", "BJ002", "BJ003", "HB903"]
    assert stations.loc["BJ001", "aliases"] == "HB901"  # by name and distance
    assert stations.loc["BJ002", "aliases"] == "HB902"  # by alias
    assert stations.loc["BJ002", "role"] == "county_boundary"
    assert stations.loc["BJ001", "role"] == "provincial_boundary"
    assert stations.loc["BJ001", "jurisdiction"] == "beijing"
    n_versions = len(workspace.versions("stations"))
    again = ingest_stations(
        workspace, hb, crs="EPSG:4490", agency="河北省水文勘测研究中心", jurisdiction="hebei"
    )
    assert again.status == "unchanged" and len(workspace.versions("stations")) == n_versions
    assert len(workspace.read_layer("stations")) == 4


def test_dry_run_writes_no_version(workspace, tmp_path: Path) -> None:
    bj = tmp_path / "beijing.csv"
    bj.write_text(BEIJING_CSV, encoding="utf-8")
    result = ingest_stations(workspace, bj, crs="EPSG:4490", jurisdiction="beijing", dry_run=True)
    assert result.status == "dry-run" and workspace.versions("stations") == []
    assert isinstance(result.reconciliation["counts"], dict) and pd.notna(result.stations["code"]).all()


def test_cli_ingest_stations_twice(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    import liuyu
    from liuyu.cli import app

    liuyu.init(tmp_path / "ws").close()
    bj = tmp_path / "beijing.csv"
    bj.write_text(BEIJING_CSV, encoding="utf-8")
    args = [
        "ingest",
        "stations",
        str(bj),
        "--crs",
        "gcj02",
        "--jurisdiction",
        "beijing",
        "-w",
        str(tmp_path / "ws"),
    ]
    first = CliRunner().invoke(app, args)
    assert first.exit_code == 0, first.output
    assert "written version 1" in first.output and "new 3" in first.output
    again = CliRunner().invoke(app, args)
    assert again.exit_code == 0, again.output
    assert "no new version" in again.output and "code 3" in again.output


def test_hebei_list_on_gcj02_matches_after_de_offset(workspace, tmp_path: Path) -> None:
    from liuyu.geo.offsets import wgs84_to_gcj02

    bj = tmp_path / "beijing.csv"
    bj.write_text(BEIJING_CSV, encoding="utf-8")
    ingest_stations(workspace, bj, crs="EPSG:4490", jurisdiction="beijing")
    lon, lat = wgs84_to_gcj02([117.1502], [40.6901])  # Hebei traced 古北口 on an Amap basemap
    hb = tmp_path / "hebei_gcj.csv"
    hb.write_text(
        f"测站编码,测站名称,站类,经度,纬度\nHB901,古北口(潮河),flow,{lon[0]:.6f},{lat[0]:.6f}\n",
        encoding="utf-8",
    )
    raw = ingest_stations(workspace, hb, crs="EPSG:4490", jurisdiction="hebei", dry_run=True)
    assert raw.reconciliation["counts"]["new"] == 1  # ~500 m off without de-offsetting
    result = ingest_stations(workspace, hb, crs="gcj02", jurisdiction="hebei")
    assert result.reconciliation["counts"]["name"] == 1 and result.status == "written"
    assert workspace.read_layer("stations").set_index("code").loc["BJ001", "aliases"] == "HB901"


# --- per-field priority when two agencies disagree (network/station_priority.toml) -------------------
def _agency_frame(code: str, name: str, x: float, agency: str, target: str, aliases: str | None = None):
    frame = _frame([(code, name, x, 40.5, aliases)])
    return frame.assign(agency=agency, target_class=target)


def test_priority_file_names_the_winner_per_field() -> None:
    from liuyu.network.station_priority import load_priority

    prio = load_priority()
    assert "geometry" in prio and "target_class" in prio  # "coordinates" is the geometry
    current = _agency_frame("BJ1", "古北口", 117.0, "北京市生态环境局", "II", aliases="HB7")
    hydro = _agency_frame("HB7", "古北口站", 117.01, "河北省水文勘测研究中心", "III")
    merged, report = reconcile(current, hydro)
    # coordinates: the hydrological bureau wins, although it delivers under another agency's code
    assert merged.geometry.x.tolist() == [117.01]
    # target class: the ecology and environment bureau's stays; name: the code owner's stays
    assert merged["target_class"].tolist() == ["II"] and merged["name"].tolist() == ["古北口"]
    fields = {d["field"]: d for d in report["disagreements"]}
    assert set(fields) == {"coordinates", "target_class", "name"}
    assert fields["coordinates"]["winner"] == "delivered" and fields["target_class"]["winner"] == "registered"
    assert fields["target_class"]["delivered_value"] == "III"
    assert fields["coordinates"]["delivered_agency"] == "河北省水文勘测研究中心"


def test_without_a_priority_the_default_rule_holds_and_bad_files_are_refused() -> None:
    import pytest

    from liuyu.errors import SchemaError
    from liuyu.network.station_priority import priority_from_dict

    current = _agency_frame("BJ1", "古北口", 117.0, "北京市生态环境局", "II", aliases="HB7")
    hydro = _agency_frame("HB7", "古北口站", 117.01, "河北省水文勘测研究中心", "III")
    merged, report = reconcile(current, hydro, priority={})
    assert merged.geometry.x.tolist() == [117.0]  # another agency's code: location kept
    assert merged["target_class"].tolist() == ["III"]  # attributes: the latest delivery
    assert {d["winner"] for d in report["disagreements"]} == {"registered", "delivered"}
    custom = priority_from_dict({"fields": {"target_class": ["水文"]}})
    merged, _ = reconcile(current, hydro, priority=custom)
    assert merged["target_class"].tolist() == ["III"]
    with pytest.raises(SchemaError):
        priority_from_dict({"fields": {"coordinates": "水文"}})
    with pytest.raises(SchemaError):
        priority_from_dict({"fields": {"code": ["水文"]}})
