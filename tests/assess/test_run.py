"""assess_period: a month of lab samples → section classes stored as a derived table."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

import liuyu
from assess_data import lab, sections
from liuyu.assess.run import (
    assess_lakes,
    assess_period,
    class_proportions,
    latest_complete_month,
    parse_period,
    section_history,
)
from liuyu.errors import SchemaError
from liuyu.workspace import Workspace


def stations() -> gpd.GeoDataFrame:
    return sections(
        [
            ("S1", "river", "II", 116.8),
            ("S2", "lake_reservoir", "II", 116.9),
            ("S3", "river", "III", 117.0),
        ]
    )


def observations() -> pd.DataFrame:
    # S1 and S2 carry the same TP: 0.04 is Class Ⅱ in a river, Class Ⅲ in a reservoir.
    return pd.concat(
        [
            lab("S1", "2024-08-05 10:00", {"tp": 0.04, "nh3n": 0.1, "do": 8.0}),
            lab("S1", "2024-08-20 10:00", {"tp": 0.04, "nh3n": 0.3, "do": 8.0}),  # NH3-N mean 0.2: Ⅱ
            lab("S2", "2024-08-10 10:00", {"tp": 0.04, "nh3n": 0.1}),
            lab("S3", "2024-08-12 10:00", {"tp": 0.5, "nh3n": 0.1}),  # TP 0.5 > 0.4: 劣Ⅴ, 0.5/0.2-1 = 1.5
            # local 2024-09-01 01:00 is 2024-08-31T17:00Z: September, not August
            lab("S1", "2024-09-01 01:00", {"tp": 0.5}),
        ],
        ignore_index=True,
    )


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    ws = liuyu.init(tmp_path / "ws", basin_name="测试流域")
    ws.write_layer("stations", stations())
    ws.append_observations(observations())
    return ws


def by_code(rows: pd.DataFrame) -> pd.DataFrame:
    return rows.set_index("station_code")


def test_month_classes_by_hand(ws: Workspace) -> None:
    rows = by_code(assess_period(ws, "2024-08"))
    assert rows.loc["S1", ["label", "target", "n_samples"]].tolist() == ["Ⅱ", "Ⅱ", 2]
    assert bool(rows.loc["S1", "met"]) is True
    assert rows.loc["S3", "label"] == "劣Ⅴ"
    assert rows.loc["S3", "main_pollutants"] == "总磷(1.50)"
    assert bool(rows.loc["S3", "met"]) is False
    assert (rows["standard"] == "gb3838_2002").all()


def test_reservoir_tp_rule_differs_from_river(ws: Workspace) -> None:
    rows = by_code(assess_period(ws, "2024-08"))
    assert rows.loc["S2", "water_type"] == "lake_reservoir"
    assert rows.loc["S2", "label"] == "Ⅲ"  # lake TP: 0.025 < 0.04 <= 0.05
    assert bool(rows.loc["S2", "met"]) is False


def test_rerun_with_same_inputs_rewrites_nothing(ws: Workspace) -> None:
    first = assess_period(ws, "2024-08")
    second = assess_period(ws, "2024-08")
    pd.testing.assert_frame_equal(first, second)  # computed_at unchanged: no rewrite


def test_changed_input_recomputes(ws: Workspace) -> None:
    first = by_code(assess_period(ws, "2024-08"))
    ws.append_observations(lab("S1", "2024-08-25 10:00", {"nh3n": 2.4}))  # NH3-N mean 0.93: Ⅲ
    second = by_code(assess_period(ws, "2024-08"))
    assert second.loc["S1", "label"] == "Ⅲ"
    assert second.loc["S1", "fingerprint"] != first.loc["S1", "fingerprint"]
    assert second.loc["S3", "label"] == "劣Ⅴ"


def test_quarter_year_and_local_month_boundary(ws: Workspace) -> None:
    sep = by_code(assess_period(ws, "2024-09"))
    assert list(sep.index) == ["S1"] and sep.loc["S1", "label"] == "劣Ⅴ"
    assert len(assess_period(ws, "2024-Q3")) == 3
    assert len(assess_period(ws, "2024")) == 3
    assert assess_period(ws, "2023-01").empty


def test_latest_complete_month_and_proportions(ws: Workspace) -> None:
    assert latest_complete_month(ws, pd.Timestamp("2024-09-15", tz="UTC")) == "2024-08"
    assert latest_complete_month(ws, pd.Timestamp("2024-10-15", tz="UTC")) == "2024-09"
    shares = class_proportions(assess_period(ws, "2024-08"))
    assert shares.round(1).tolist() == [0.0, 33.3, 33.3, 0.0, 0.0, 33.3]


@pytest.mark.parametrize("bad", ["2024-13", "24-08", "2024-Q5", "August"])
def test_bad_period(bad: str) -> None:
    with pytest.raises(SchemaError):
        parse_period(bad)


def test_cli_prints_the_bilingual_table(ws: Workspace) -> None:
    from typer.testing import CliRunner

    from liuyu.cli import app

    ws.close()
    result = CliRunner().invoke(
        app, ["assess", "--period", "2024-08", "-w", str(ws.root)], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 0, result.output
    assert "劣Ⅴ" in result.output and "总磷(1.50)" in result.output
    assert "未达标 no" in result.output and "33.3%" in result.output


# --- seasons (丰/平/枯水期, 汛期) ----------------------------------------------------------------------
def test_season_periods_parse_with_their_months() -> None:
    wet, dry, flood = parse_period("2024-wet"), parse_period("2024-dry"), parse_period("2024-flood")
    assert (wet.kind, wet.months) == ("hydro", (6, 7, 8, 9))
    assert dry.months == (1, 2, 3, 11, 12) and flood.months == (6, 7, 8, 9)
    assert str(dry.start) == "2024-01-01 00:00:00+08:00" and str(dry.end) == "2025-01-01 00:00:00+08:00"
    assert parse_period("2024-Q3").months == ()  # month, quarter and year keep all their months
    with pytest.raises(SchemaError, match="season"):
        parse_period("2024-spring")


def test_wet_season_takes_its_months_only(ws: Workspace) -> None:
    ws.append_observations(lab("S3", "2024-01-15 10:00", {"tp": 0.01, "nh3n": 0.1}))  # dry season
    wet = by_code(assess_period(ws, "2024-wet"))
    # S1: TP (0.04 + 0.04 + 0.5) / 3 = 0.193 over Aug and Sep: Ⅲ; NH3-N mean 0.2: Ⅱ
    assert wet.loc["S1", ["label", "n_samples"]].tolist() == ["Ⅲ", 3]
    assert wet.loc["S3", ["label", "n_samples"]].tolist() == ["劣Ⅴ", 1]  # the January sample is not in it
    dry = by_code(assess_period(ws, "2024-dry"))
    assert list(dry.index) == ["S3"] and dry.loc["S3", "label"] == "Ⅰ"
    assert assess_period(ws, "2024-normal").empty


def test_workspace_seasons_replace_the_defaults_and_recompute(ws: Workspace) -> None:
    from liuyu.config import save_config
    from liuyu.workspace import open_workspace

    before = by_code(assess_period(ws, "2024-wet"))
    ws.config.assess.seasons = {"wet": [8], "normal": [4, 5, 6, 7, 9, 10]}
    save_config(ws.config, ws.root / "liuyu.toml")
    ws.close()
    again = open_workspace(ws.root)
    assert "wet = [" in (ws.root / "liuyu.toml").read_text(encoding="utf-8")
    after = by_code(assess_period(again, "2024-wet"))
    assert after.loc["S1", ["label", "n_samples"]].tolist() == ["Ⅱ", 2]  # August only
    assert after.loc["S1", "fingerprint"] != before.loc["S1", "fingerprint"]
    assert by_code(assess_period(again, "2024-normal")).loc["S1", "label"] == "劣Ⅴ"  # 1 September sample
    again.close()


def test_overlapping_wet_and_dry_months_are_a_config_error() -> None:
    from liuyu.assess.seasons import load_seasons
    from liuyu.errors import ConfigError

    with pytest.raises(ConfigError, match="month 6"):
        load_seasons({"dry": [6, 12, 1, 2]})
    with pytest.raises(ConfigError):
        load_seasons({"wet": [0, 13]})
    assert load_seasons({"ice": [12, 1, 2]})["ice"].months == (1, 2, 12)  # a new season, may overlap


# --- class history of one section -------------------------------------------------------------------
def test_section_history_agrees_with_the_monthly_assessment(ws: Workspace) -> None:
    history = section_history(ws, "S1").set_index("period")
    assert list(history.index) == ["2024-08", "2024-09"]
    assert history.loc["2024-09", ["label", "met", "main_pollutants", "n_samples"]].tolist() == [
        "劣Ⅴ",
        False,
        "总磷(1.50)",
        1,
    ]
    for month in history.index:
        stored = by_code(assess_period(ws, month)).loc["S1"]
        assert history.loc[month, "label"] == stored["label"]
        assert history.loc[month, "main_pollutants"] == stored["main_pollutants"]
    assert history["verified"].all()
    assert section_history(ws, "NOPE").empty


# --- lakes and reservoirs as water bodies ----------------------------------------------------------
def test_reservoir_points_are_averaged_time_then_space(tmp_path: Path) -> None:
    ws = liuyu.init(tmp_path / "lake", basin_name="测试流域")
    ws.write_layer(
        "stations",
        sections(
            [
                ("L1", "lake_reservoir", "II", 116.80),
                ("L2", "lake_reservoir", "III", 116.82),
                ("L3", "lake_reservoir", "II", 117.50),  # outside the reservoir: its own water body
                ("R1", "river", "II", 116.81),  # a river section inside the polygon does not count
            ]
        ),
    )
    polygon = shapely.box(116.7, 40.4, 116.9, 40.6)
    ws.write_layer(
        "reservoirs",
        gpd.GeoDataFrame(
            {"code": ["SK1"], "name": ["测试水库"], "geometry": [shapely.MultiPolygon([polygon])]},
            crs="EPSG:4490",
        ),
    )
    # L1 three samples of TP 0.01, L2 one of 0.11: time-then-space (0.01 + 0.11) / 2 = 0.06 → Ⅳ;
    # one mean of all four samples would be 0.035 → Ⅲ.
    ws.append_observations(
        pd.concat(
            [lab("L1", f"2024-08-{d:02d} 10:00", {"tp": 0.01}) for d in (1, 10, 20)]
            + [lab("L2", "2024-08-12 10:00", {"tp": 0.11}), lab("L3", "2024-08-12 10:00", {"tp": 0.01})]
            + [lab("R1", "2024-08-12 10:00", {"tp": 0.4})],
            ignore_index=True,
        )
    )
    lakes = assess_lakes(ws, "2024-08").set_index("water_body")
    assert lakes.loc["SK1", ["name", "n_points", "label", "target", "met"]].tolist() == [
        "测试水库",
        2,
        "Ⅳ",
        "Ⅱ",  # the strictest target of its points
        False,
    ]
    assert lakes.loc["SK1", "main_pollutants"] == "总磷(0.20)"  # (0.06 - 0.05) / 0.05
    assert lakes.loc["L3", ["n_points", "label"]].tolist() == [1, "Ⅰ"]
    ws.config.assess.lake_averaging = "pooled"
    assert assess_lakes(ws, "2024-08").set_index("water_body").loc["SK1", "label"] == "Ⅲ"
    assert assess_lakes(ws, "2023-01").empty
    ws.close()
