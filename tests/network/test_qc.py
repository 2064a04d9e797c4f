"""QC rules on hand-made series: ranges, spikes, rate of change, flat lines, censoring, gaps."""

from __future__ import annotations

import tomllib
from importlib import resources

import numpy as np
import pandas as pd
import pytest

from liuyu.errors import SchemaError
from liuyu.network.qc import QCFlag, describe_flags, find_gaps, load_qc_rules, rules_from_dict, run_qc


def hourly(values: list[float], *, prop: str = "ph", sid: int = 1, method: str = "hourly") -> pd.DataFrame:
    times = pd.date_range("2024-07-01 08:00", periods=len(values), freq="h", tz="Asia/Shanghai")
    return pd.DataFrame(
        {"series_id": sid, "phenomenon_time": times, "value": values, "censor": "", "property_code": prop,
         "method": method}
    )  # fmt: skip


def wobble(n: int, level: float = 7.5) -> list[float]:
    return list(level + 0.05 * np.sin(np.arange(n)))


def flags(obs: pd.DataFrame) -> list[int]:
    return run_qc(obs)["qc_flag"].tolist()


def test_clean_series_has_no_flags() -> None:
    assert set(flags(hourly(wobble(30)))) == {0}


def test_hard_and_soft_ranges() -> None:
    obs = hourly([7.5, 9.8, 5.5, 14.5, -0.1, 7.5])  # pH: soft 6-9.5, hard 0-14
    ranges = int(QCFlag.SUSPECT_RANGE | QCFlag.REJECTED_RANGE)
    assert [f & ranges for f in flags(obs)] == [0, QCFlag.SUSPECT_RANGE, QCFlag.SUSPECT_RANGE,
                                                QCFlag.REJECTED_RANGE, QCFlag.REJECTED_RANGE, 0]  # fmt: skip
    daily = obs.assign(phenomenon_time=pd.date_range("2024-07-01", periods=6, freq="7D", tz="UTC"))
    assert not any(f & QCFlag.RATE_OF_CHANGE for f in flags(daily))  # a week apart: slow enough


def test_spike_flags_only_the_spike() -> None:
    values = wobble(12)
    values[6] = 9.0  # pH spike 1.0: +1.5 against both neighbours, inside the soft range
    out = flags(hourly(values))
    assert out[6] & QCFlag.SPIKE
    assert [i for i, f in enumerate(out) if f & QCFlag.SPIKE] == [6]
    assert out[7] == 0  # the way back is not a rate-of-change alarm


def test_a_step_is_not_a_spike_but_a_rate_of_change() -> None:
    values = [7.0] * 5 + [8.5] * 5
    obs = hourly(values, prop="ph").assign(value=lambda f: f["value"] + 0.01 * np.arange(10))
    out = flags(obs)
    assert not any(f & QCFlag.SPIKE for f in out)
    assert [i for i, f in enumerate(out) if f & QCFlag.RATE_OF_CHANGE] == [5]


def test_rate_of_change_uses_the_time_step() -> None:
    obs = hourly([7.0, 8.5])  # 1.5 per hour > max_rate 1.0
    assert flags(obs)[1] == QCFlag.RATE_OF_CHANGE
    obs.loc[1, "phenomenon_time"] += pd.Timedelta("2h")  # 1.5 over 3 hours = 0.5 per hour
    assert flags(obs) == [0, 0]


def test_flat_line_needs_count_and_duration() -> None:
    values = wobble(10) + [7.2] * 24 + wobble(10)  # pH flat rule: 24 values over 24 h
    out = flags(hourly(values))
    assert out[10:34] == [0] * 24  # 24 values span only 23 hours
    values = wobble(10) + [7.2] * 25 + wobble(10)
    out = flags(hourly(values))
    assert out[10:35] == [QCFlag.FLAT] * 25
    assert set(out[:10] + out[35:]) == {0}


def test_flat_line_is_skipped_for_lab_series_and_censored_values() -> None:
    assert set(flags(hourly([7.2] * 30, method="monthly"))) == {0}
    obs = hourly([0.01] * 30, prop="tp").assign(censor="<")
    assert set(flags(obs)) == {QCFlag.CENSORED}


def test_censored_values_are_flagged_and_ranges_respect_the_direction() -> None:
    obs = hourly([0.01, 0.01, 2.0, 60.0, 0.05], prop="tp")  # tp soft 0-1, hard 0-50
    obs["censor"] = ["<", "", "<", ">", ""]
    out = flags(obs)
    assert out[0] == QCFlag.CENSORED
    assert out[2] == QCFlag.CENSORED  # "<2" may be inside the soft range: not suspect
    assert out[3] == QCFlag.CENSORED | QCFlag.REJECTED_RANGE  # ">60" is surely above 50
    assert not out[1] & QCFlag.CENSORED


def test_series_are_independent_and_order_and_index_are_kept() -> None:
    a = hourly(wobble(6), sid=1)
    b = hourly([7.5, 7.5, 9.0, 7.5, 7.5, 7.5], sid=2)
    obs = pd.concat([a, b]).sample(frac=1.0, random_state=3)
    obs.index = [f"r{i}" for i in range(len(obs))]
    out = run_qc(obs)
    assert list(out.index) == list(obs.index)
    assert out["value"].tolist() == obs["value"].tolist()
    spikes = out[(out["qc_flag"] & int(QCFlag.SPIKE)) != 0]
    assert spikes["series_id"].tolist() == [2] and spikes["value"].tolist() == [9.0]


def test_property_from_the_series_table_and_unknown_property_unchecked() -> None:
    obs = hourly([7.5, 20.0, 7.5]).drop(columns=["property_code", "method"])
    series = pd.DataFrame({"series_id": [1], "property_code": ["ph"]})
    assert run_qc(obs, series=series)["qc_flag"].tolist()[1] & QCFlag.REJECTED_RANGE
    other = hourly([7.5, 20.0, 7.5], prop="cu")  # no rule for copper: nothing flagged
    assert flags(other) == [0, 0, 0]


def test_missing_columns_raise() -> None:
    with pytest.raises(SchemaError, match="lack columns"):
        run_qc(pd.DataFrame({"series_id": [1], "value": [1.0]}))
    with pytest.raises(SchemaError, match="property_code"):
        run_qc(hourly([1.0]).drop(columns=["property_code"]))


def test_gaps_by_method_and_by_property() -> None:
    obs = hourly(wobble(10)).drop(index=[4, 5, 6])
    gaps = find_gaps(obs)
    assert len(gaps) == 1
    assert gaps.loc[0, "gap_start"] == obs.loc[3, "phenomenon_time"]
    assert gaps.loc[0, "gap_end"] == obs.loc[7, "phenomenon_time"]
    assert gaps.loc[0, "expected_interval"] == pd.Timedelta("1h")
    rain = hourly([0.0] * 10, prop="rainfall", method="").drop(index=[2])  # interval from the property
    assert len(find_gaps(rain)) == 1
    assert find_gaps(hourly([0.0] * 10, prop="ph", method="").drop(index=[2])).empty  # nothing expected


def test_monthly_lab_gap() -> None:
    times = pd.to_datetime(
        ["2024-01-10", "2024-02-12", "2024-03-08", "2024-06-11", "2024-07-09"]
    ).tz_localize("Asia/Shanghai")
    obs = pd.DataFrame({"series_id": 7, "phenomenon_time": times, "value": 0.02, "censor": "",
                        "property_code": "tp", "method": "lab"})  # fmt: skip
    gaps = find_gaps(obs)
    assert gaps[["gap_start", "gap_end"]].to_numpy().tolist() == [[times[2], times[3]]]


def test_describe_flags() -> None:
    names = describe_flags(pd.Series([0, 1, 2 | 16 | 32, 8]))
    assert names.tolist() == ["", "suspect_range", "spike|rejected_range|rate_of_change", "censored"]


def test_rules_file_agrees_with_the_flags_and_validates() -> None:
    text = resources.files("liuyu.network").joinpath("qc_rules.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)
    assert {k.upper(): v for k, v in data["flags"].items()} == {f.name: f.value for f in QCFlag}
    rules = load_qc_rules().by_property
    assert (rules["hard_min"] <= rules["soft_min"].fillna(rules["hard_min"])).all()
    assert (rules["soft_max"].fillna(rules["hard_max"]) <= rules["hard_max"]).all()
    with pytest.raises(SchemaError, match="unknown properties"):
        rules_from_dict({**data, "rules": {"nonsense": {"hard": [0, 1]}}})
    with pytest.raises(SchemaError, match="unknown keys"):
        rules_from_dict({**data, "rules": {"ph": {"hardd": [0, 1]}}})
    with pytest.raises(SchemaError, match="disagrees"):
        rules_from_dict({**data, "flags": {"spike": 2}})


def test_empty_observations() -> None:
    empty = hourly([]).astype({"value": "float64"})
    assert run_qc(empty)["qc_flag"].tolist() == []
    assert find_gaps(empty).empty


def test_missing_values_do_not_make_spikes_or_flat_lines() -> None:
    values = [7.5, np.nan, 7.5, 9.0, 7.5] + [np.nan] * 30
    out = flags(hourly(values))
    assert out[3] & QCFlag.SPIKE
    assert set(out[:3] + out[4:]) == {0}
