"""Discharge compliance: daily means against GB 18918-2002 / DB11/1612-2019 limits, hand-computed cases."""

from __future__ import annotations

import dataclasses

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

import liuyu
from assess_data import sample
from liuyu.assess.discharge import discharge_compliance, judge
from liuyu.assess.discharge_limits import load_rules, parse_rules
from liuyu.assess.discharge_run import station_standards
from liuyu.assess.run import parse_period
from liuyu.errors import ConfigError


def obs(station: str, local: str, values: dict[str, float], method: str = "auto") -> pd.DataFrame:
    """An outfall reading (automatic unless ``method`` says otherwise) at ``local`` Beijing time."""
    return sample(station, local, values, method)


def stations(*rows: tuple[str, str, str, str | None]) -> pd.DataFrame:
    """(code, kind, standard file, class, built) rows as judge() takes them."""
    return pd.DataFrame(
        {
            "station_code": [r[0] for r in rows],
            "name": [f"站{r[0]}" for r in rows],
            "kind": "sewage_outfall",
            "standard": [r[1] for r in rows],
            "standard_class": [r[2] for r in rows],
            "built": pd.to_datetime([r[3] for r in rows]),
            "standard_source": "station",
        }
    )


def row(out: pd.DataFrame, station: str, item: str) -> pd.Series:
    sel = out[(out["station_code"] == station) & (out["property_code"] == item)]
    assert len(sel) == 1, sel
    return sel.iloc[0]


A = ("P1", "gb18918_2002", "一级A", "2010-01-01")


def test_exactly_at_the_limit_complies_and_above_exceeds() -> None:
    data = pd.concat(
        [obs("P1", "2024-08-01 10:00", {"cod": 50.0}), obs("P2", "2024-08-01 10:00", {"cod": 60.0})]
    )
    out = judge(data, stations(A, ("P2", "gb18918_2002", "一级A", "2010-01-01")))
    at, over = row(out, "P1", "cod"), row(out, "P2", "cod")
    assert at["limit"] == 50.0 and not at["exceed"] and at["multiple"] == 0.0
    assert over["exceed"] and over["multiple"] == pytest.approx(0.2)  # (60 - 50) / 50
    assert at["verified"] and at["standard_code"] == "GB 18918-2002" and at["item_name"] == "化学需氧量"


def test_daily_mean_then_worst_day() -> None:
    # Day 1: 40 and 70 -> mean 55 > 50 (over, though 40 alone is not); day 2: 45.
    data = pd.concat(
        [
            obs("P1", "2024-08-01 02:00", {"cod": 40.0}),
            obs("P1", "2024-08-01 22:00", {"cod": 70.0}),
            obs("P1", "2024-08-02 12:00", {"cod": 45.0}),
            obs("P1", "2024-08-02 23:30", {"ss": 10.0}),  # local 23:30 stays on the 2nd
        ]
    )
    r = row(judge(data, stations(A)), "P1", "cod")
    assert r["value"] == pytest.approx(55.0) and r["exceed"]
    assert (r["n_samples"], r["n_days"], r["n_days_exceed"], r["worst_day"]) == (3, 2, 1, "2024-08-01")


def test_nh3n_limit_by_water_temperature() -> None:
    # 一级A: 5 mg/L above 12 ℃, 8 mg/L at or below 12 ℃ (GB 18918-2002 Table 1 note ②).
    data = pd.concat(
        [
            obs("P1", "2024-01-10 10:00", {"nh3n": 7.0, "water_temp": 12.0}),  # cold: 7 <= 8 complies
            obs("P2", "2024-01-10 10:00", {"nh3n": 7.0, "water_temp": 12.5}),  # warm: 7 > 5
            obs("P3", "2024-01-10 10:00", {"nh3n": 7.0}),  # no temperature: strictest (5)
        ]
    )
    st = stations(A, ("P2", *A[1:]), ("P3", *A[1:]))
    out = judge(data, st)
    cold, warm, unknown = row(out, "P1", "nh3n"), row(out, "P2", "nh3n"), row(out, "P3", "nh3n")
    assert (cold["limit"], cold["exceed"], cold["limit_basis"]) == (8.0, False, "condition")
    assert (warm["limit"], warm["exceed"]) == (5.0, True) and warm["multiple"] == pytest.approx(0.4)
    assert (unknown["limit"], unknown["limit_basis"]) == (5.0, "strictest")


def test_worst_day_is_judged_against_its_own_limit() -> None:
    # 6.5 on a cold day (limit 8, ratio 0.81) vs 4.5 on a warm day (limit 5, ratio 0.9): warm is worse.
    data = pd.concat(
        [
            obs("P1", "2024-03-01 10:00", {"nh3n": 6.5, "water_temp": 8.0}),
            obs("P1", "2024-03-02 10:00", {"nh3n": 4.5, "water_temp": 14.0}),
        ]
    )
    r = row(judge(data, stations(A)), "P1", "nh3n")
    assert (r["value"], r["limit"], r["worst_day"], bool(r["exceed"])) == (4.5, 5.0, "2024-03-02", False)


def test_tp_limit_by_build_date() -> None:
    old = ("P1", "gb18918_2002", "一级A", "2005-12-31")
    new = ("P2", "gb18918_2002", "一级A", "2006-01-01")
    data = pd.concat([obs(s, "2024-08-01 10:00", {"tp": 0.8}) for s in ("P1", "P2")])
    out = judge(data, stations(old, new))
    assert (row(out, "P1", "tp")["limit"], row(out, "P1", "tp")["exceed"]) == (1.0, False)
    assert (row(out, "P2", "tp")["limit"], row(out, "P2", "tp")["exceed"]) == (0.5, True)


def test_ph_range() -> None:
    data = pd.concat([obs(s, "2024-08-01 10:00", {"ph": v}) for s, v in (("P1", 6.0), ("P2", 9.2))])
    out = judge(data, stations(A, ("P2", *A[1:])))
    inside, outside = row(out, "P1", "ph"), row(out, "P2", "ph")
    assert (inside["limit_low"], inside["limit_high"], inside["exceed"]) == (6.0, 9.0, False)
    assert outside["exceed"] and np.isnan(outside["multiple"])


def test_db11_results_are_unverified_and_have_no_invented_limit() -> None:
    data = obs("R1", "2024-08-01 10:00", {"cod": 500.0, "nh3n": 1.0})
    out = judge(data, stations(("R1", "db11_1612_2019", "一级A", None)))
    assert not out["verified"].any()
    cod = row(out, "R1", "cod")
    assert np.isnan(cod["limit"]) and pd.isna(cod["exceed"]) and cod["value"] == 500.0
    assert set(out["property_code"]) >= {"cod", "nh3n", "tn", "tp", "ss", "ph"}


def test_missing_data_rows_and_no_standard() -> None:
    data = obs("P1", "2024-08-01 10:00", {"cod": 10.0})
    st = stations(A, ("P9", "", "", None))
    out = judge(data, st)
    tn = row(out, "P1", "tn")
    assert tn["n_samples"] == 0 and np.isnan(tn["value"]) and pd.isna(tn["exceed"]) and tn["limit"] == 15.0
    none = out[out["station_code"] == "P9"]
    assert len(none) == 6 and not none["verified"].any() and none["exceed"].isna().all()


def test_no_stations_or_no_standard_at_all() -> None:
    data = obs("P9", "2024-08-01 10:00", {"cod": 10.0})
    assert judge(data, stations(A).iloc[:0]).empty
    out = judge(data, stations(("P9", "", "", None)))
    assert row(out, "P9", "cod")["value"] == 10.0 and pd.isna(row(out, "P9", "cod")["exceed"])


def test_min_values_per_day_and_mean_statistic() -> None:
    data = pd.concat([obs("P1", f"2024-08-0{d} 10:00", {"cod": v}) for d, v in ((1, 70.0), (2, 20.0))])
    rules = dataclasses.replace(load_rules(), period_statistic="mean")
    r = row(judge(data, stations(A), rules), "P1", "cod")
    assert r["value"] == pytest.approx(45.0) and not r["exceed"]
    strict = dataclasses.replace(load_rules(), min_values_per_day=2)
    assert row(judge(data, stations(A), strict), "P1", "cod")["n_days"] == 0


def test_rules_are_validated() -> None:
    text = "[stations]\nkinds=[]\nitems=[]\n[standards]\n[averaging]\nperiod_statistic='p95'\n"
    with pytest.raises(ConfigError, match="period_statistic"):
        parse_rules(text)


def test_station_takes_the_standard_of_the_facility_at_its_location() -> None:
    pts = [shapely.Point(116.9, 40.5), shapely.Point(117.0, 40.5), shapely.Point(117.1, 40.5)]
    st = gpd.GeoDataFrame(
        {
            "code": ["R1", "O1", "X"],
            "name": ["a", "b", "c"],
            "kind": ["rural_sewage", "sewage_outfall", "rain"],
        },
        geometry=pts,
        crs="EPSG:4490",
    )
    fac = gpd.GeoDataFrame(
        {"standard": ["DB11/1612-2019"], "standard_class": ["一级A"], "commissioned": ["2012-06-30"]},
        geometry=[shapely.Point(116.9, 40.5)],
        crs="EPSG:4490",
    )
    out = station_standards(st, fac, load_rules()).set_index("station_code")
    assert list(out.index) == ["R1", "O1"]
    assert out.loc["R1", ["standard", "standard_source"]].tolist() == ["db11_1612_2019", "facility"]
    assert out.loc["R1", "built"] == pd.Timestamp("2012-06-30")
    assert out.loc["O1", ["standard", "standard_class", "standard_source"]].tolist() == [
        "gb18918_2002",
        "一级A",
        "default",
    ]


@pytest.fixture
def sewage_ws(tmp_path):
    ws = liuyu.init(tmp_path / "ws", basin_name="测试流域")
    ws.write_layer(
        "stations",
        gpd.GeoDataFrame(
            {
                "code": ["O1"],
                "name": ["镇污水厂排口"],
                "kind": ["sewage_outfall"],
                "jurisdiction": ["beijing"],
            },
            geometry=[shapely.Point(116.9, 40.5)],
            crs="EPSG:4490",
        ),
    )
    ws.append_observations(obs("O1", "2024-08-03 10:00", {"cod": 80.0, "nh3n": 2.0}))
    yield ws
    ws.close()


def test_discharge_compliance_is_stored_and_recomputed_when_inputs_change(sewage_ws) -> None:
    p = parse_period("2024-08")
    first = discharge_compliance(sewage_ws, p)
    cod = row(first, "O1", "cod")
    assert cod["exceed"] and cod["multiple"] == pytest.approx(0.6) and cod["standard_source"] == "default"
    again = discharge_compliance(sewage_ws, p)
    assert (again["computed_at"] == first["computed_at"]).all()
    sewage_ws.append_observations(obs("O1", "2024-08-04 10:00", {"cod": 120.0}))
    changed = discharge_compliance(sewage_ws, p)
    assert changed["fingerprint"].iloc[0] != first["fingerprint"].iloc[0]
    assert row(changed, "O1", "cod")["value"] == 120.0
