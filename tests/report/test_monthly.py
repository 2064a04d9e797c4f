"""build_monthly on a hand-made basin: every number checked against bulletin_data's hand calculation."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from bulletin_data import AUTO_AGENCY, LAB_AGENCY, RAIN_AGENCY, build

from liuyu.errors import SchemaError
from liuyu.report import MonthlyBulletin, build_monthly
from liuyu.store import gpkg_assess
from liuyu.workspace import Workspace


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    ws = build(tmp_path_factory.mktemp("bulletin") / "ws")
    yield ws
    ws.close()


@pytest.fixture(scope="module")
def bulletin(ws: Workspace) -> MonthlyBulletin:
    return build_monthly(ws, "2024-08")


def test_assesses_the_month_when_not_stored(ws: Workspace, bulletin: MonthlyBulletin) -> None:
    assert "2024-08" in gpkg_assess.assessed_periods(ws.store.conn)  # type: ignore[attr-defined]
    assert len(bulletin.sections) == 6  # S5 has no August sample


def test_section_table_by_hand(bulletin: MonthlyBulletin) -> None:
    rows = bulletin.sections.set_index("station_code")
    assert rows["label"].to_dict() == {"S1": "Ⅱ", "S2": "Ⅲ", "S3": "劣Ⅴ", "S4": "Ⅳ", "L1": "Ⅱ", "L2": "Ⅲ"}
    assert rows["met"].astype(bool).to_dict() == {
        "S1": True,
        "S2": True,
        "S3": False,
        "S4": False,
        "L1": True,
        "L2": False,
    }
    assert rows.loc["S3", "main_pollutants"] == "总磷(1.50)"
    assert rows.loc["S4", "main_pollutants"] == "氨氮(0.20)"
    assert rows.loc["S3", ["name", "river", "jurisdiction"]].tolist() == ["断面S3", "潮河", "beijing"]
    assert list(bulletin.sections["station_code"][:2]) == ["S3", "S4"]  # worst first
    assert int(rows.loc["S1", "n_samples"]) == 2


def test_proportions_and_grade_by_hand(bulletin: MonthlyBulletin) -> None:
    shares = bulletin.shares.set_index("label")["count"].to_dict()
    assert shares == {"Ⅰ": 0, "Ⅱ": 2, "Ⅲ": 2, "Ⅳ": 1, "Ⅴ": 0, "劣Ⅴ": 1}
    g = bulletin.groups
    assert (g["n"], g["n_good"], g["n_fair"], g["n_poor"]) == (6, 4, 1, 1)
    assert g["share_good"] == pytest.approx(400 / 6)
    assert g["share_poor"] == pytest.approx(100 / 6)
    assert g["proportion_method"] is True
    assert g["grade"] == "轻度污染"  # Ⅰ–Ⅲ 66.7 % < 75 %, 劣Ⅴ 16.7 % < 20 %
    assert bulletin.basin_class["method"] == "proportion"
    s = bulletin.summary
    assert (s["n_sections"], s["n_with_target"], s["n_met"]) == (6, 6, 3)
    assert s["share_met"] == pytest.approx(50.0)
    assert [n["station_code"] for n in s["notable"]] == ["S3", "S4"]


def _tli(code: str, x: float) -> float:
    """DOMAIN.md §2, written out again so the test does not share the module's coefficients."""
    a, b = {
        "chla": (2.5, 1.086),
        "tp": (9.436, 1.624),
        "tn": (5.453, 1.694),
        "sd": (5.118, -1.94),
        "codmn": (0.109, 2.661),
    }[code]
    return 10 * (a + b * math.log(x))


def test_reservoir_tli_and_class_by_hand(bulletin: MonthlyBulletin) -> None:
    res = bulletin.reservoirs.set_index("reservoir").loc["测试水库"]
    means = {"chla": 5.0, "tp": 0.025, "tn": 0.5, "sd": 1.75, "codmn": 3.25}
    r2 = {"chla": 1.0, "tp": 0.84**2, "tn": 0.82**2, "sd": 0.83**2, "codmn": 0.83**2}
    expected = sum(r2[c] * _tli(c, v) for c, v in means.items()) / sum(r2.values())
    assert res["tli"] == pytest.approx(expected, abs=1e-6)
    assert res["grade"] == ("中营养" if 30 <= expected <= 50 else "?")
    assert res["label"] == "Ⅱ"  # lake TP 0.025 sits on the Ⅱ limit: the better class
    assert res["n_points"] == 2
    assert bulletin.summary["reservoir"]["reservoir"] == "测试水库"


def test_rainfall_by_hand(bulletin: MonthlyBulletin) -> None:
    g = bulletin.rain_gauges.set_index("code")
    assert g["total_mm"].to_dict() == {"R1": 8.0, "R2": 12.0, "R3": 4.0}
    assert g["complete"].to_dict() == {"R1": True, "R2": True, "R3": False}
    assert g.loc["R3", "n_hours"] == 216 and g.loc["R1", "expected_hours"] == 744
    assert g.loc["R2", "max_day_mm"] == 12.0
    c = bulletin.rain_counties.set_index("county_code")
    assert c["mean_mm"].to_dict() == {"110118": 10.0, "110228": 4.0}
    assert c.loc["110228", "name"] == "乙县"
    assert bulletin.basin_rain_mm == 8.0


def test_completeness_by_hand(bulletin: MonthlyBulletin) -> None:
    c = bulletin.completeness.set_index("agency")
    assert c.loc[LAB_AGENCY, ["n_stations", "n_reporting", "expected", "received"]].tolist() == [7, 6, 7, 6]
    assert c.loc[RAIN_AGENCY, ["n_stations", "expected", "received"]].tolist() == [
        3,
        3 * 744,
        744 + 744 + 216,
    ]
    assert c.loc[RAIN_AGENCY, "interval_h"] == 1.0
    assert c.loc[AUTO_AGENCY, ["interval_h", "expected", "received"]].tolist() == [4.0, 186, 174]
    assert c.loc[AUTO_AGENCY, "rate"] == round(174 / 186 * 100, 1)
    total = bulletin.completeness_total
    assert (total["expected"], total["received"]) == (7 + 2232 + 186, 6 + 1704 + 174)


def test_map_data_in_the_analysis_crs(bulletin: MonthlyBulletin) -> None:
    assert bulletin.map is not None
    assert bulletin.map.crs == "EPSG:4548"
    assert bulletin.map.sections.crs.to_epsg() == 4548
    assert set(bulletin.map.layers) >= {"basin", "counties", "townships"}
    assert bulletin.map.sections.set_index("code").loc["S3", "class"] == 6


def test_a_month_without_data_gives_empty_tables(ws: Workspace) -> None:
    b = build_monthly(ws, "2023-02")
    assert b.sections.empty and b.reservoirs.empty and b.basin_rain_mm is None
    assert b.groups["n"] == 0 and b.groups["grade"] == "未分级"


@pytest.mark.parametrize("bad", ["2024-Q3", "2024", "2024-13"])
def test_not_a_month(ws: Workspace, bad: str) -> None:
    with pytest.raises(SchemaError):
        build_monthly(ws, bad)


def test_rerun_reads_the_stored_assessment(ws: Workspace, bulletin: MonthlyBulletin) -> None:
    again = build_monthly(ws, "2024-08")
    pd.testing.assert_frame_equal(again.sections, bulletin.sections)


def test_fewer_than_five_sections_use_the_mean(tmp_path) -> None:
    """Three river sections: no proportion grade; TP means (0.04 + 0.15 + 0.5) / 3 = 0.23 → Ⅳ."""
    import liuyu
    from assess_data import lab, sections

    ws = liuyu.init(tmp_path / "ws", basin_name="小流域")
    ws.write_layer(
        "stations",
        sections([("A", "river", "II", 116.8), ("B", "river", "II", 116.9), ("C", "river", "II", 117.0)]),
    )
    ws.append_observations(
        pd.concat(
            [
                lab("A", "2024-08-05 10:00", {"tp": 0.04}),
                lab("B", "2024-08-05 10:00", {"tp": 0.15}),
                lab("C", "2024-08-05 10:00", {"tp": 0.5}),
            ],
            ignore_index=True,
        )
    )
    b = build_monthly(ws, "2024-08")
    assert b.groups["proportion_method"] is False
    assert b.basin_class == {"method": "mean", "n": 3, "label": "Ⅳ", "grade": "轻度污染"}
    assert b.map is None or b.map.layers == {}  # no boundaries delivered: the map shows the dots only
    ws.close()


def test_discharge_section_only_with_sewage_stations(monkeypatch: pytest.MonkeyPatch) -> None:
    from liuyu.report import monthly

    facilities = pd.DataFrame({"code": ["NW1"], "kind": ["rural_sewage"]})
    called = []
    monkeypatch.setattr(
        monthly,
        "discharge_compliance",
        lambda ws, period: called.append(period) or pd.DataFrame({"verified": [False]}),
    )
    assert monthly._discharge(None, "P", facilities)["verified"].tolist() == [False]  # type: ignore[arg-type,index]
    assert called == ["P"]
    assert monthly._discharge(None, "P", facilities.assign(kind="rain")) is None  # type: ignore[arg-type]
    assert called == ["P"]  # no sewage station: the engine is not asked
