"""assess_period: a month of lab samples → section classes stored as a derived table."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

import liuyu
from assess_data import lab, sections
from liuyu.assess.run import assess_period, class_proportions, latest_complete_month, parse_period
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
