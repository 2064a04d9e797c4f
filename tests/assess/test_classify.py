"""GB 3838-2002 classification: limit boundaries, directions, water types, censoring, main pollutants."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from liuyu.assess import aggregate_period, classify, load_standard, round_half_even
from liuyu.assess.classify import classify_matrix, worst_class
from liuyu.errors import SchemaError

STD = load_standard("gb3838_2002")
LE_ITEMS = [c for c, i in STD.items.items() if i.direction == "le" and i.limits is not None]


def one(code: str, value: float, water_type: str = "river", censor: str | None = None):
    frame = pd.DataFrame({"sample_id": ["s"], "property_code": [code], "value": [value], "censor": [censor]})
    return classify(frame, water_type)


def item_class(code: str, value: float, water_type: str = "river") -> int | None:
    k = one(code, value, water_type).items["class"].iloc[0]
    return None if pd.isna(k) else int(k)


def better_class(limits: list[float], v: float) -> int:
    return next((i + 1 for i, lim in enumerate(limits) if v <= lim), 6)


@pytest.mark.parametrize("code", LE_ITEMS)
def test_every_limit_boundary(code: str) -> None:
    item = STD.items[code]
    assert item.limits is not None
    wt = "lake_reservoir" if item.water_types == ["lake_reservoir"] else "river"
    for i, limit in enumerate(item.limits):
        first = item.limits.index(limit) + 1  # equal limits: the better class
        assert item_class(code, limit, wt) == first, (code, limit)
        above = limit * (1 + 1e-9)
        assert item_class(code, above, wt) == better_class(item.limits, above) > i + 1


def test_shared_limits_take_the_better_class() -> None:
    assert item_class("cod", 15.0) == 1
    assert item_class("cod", 15.01) == 3  # COD can never be Ⅱ
    assert item_class("bod5", 3.0) == 1
    assert item_class("hg", 0.00005) == 1
    assert item_class("hg", 0.0001) == 3
    assert item_class("cu", 1.0) == 2


def test_dissolved_oxygen_is_not_less_than() -> None:
    assert [item_class("do", v) for v in (8.0, 7.5, 7.49, 6.0, 5.99, 5.0, 3.0, 2.0, 1.99)] == [
        1,
        1,
        2,
        2,
        3,
        3,
        4,
        5,
        6,
    ]


def test_ph_range_and_water_temperature() -> None:
    assert [item_class("ph", v) for v in (6.0, 7.5, 9.0, 5.99, 9.01)] == [1, 1, 1, 6, 6]
    assert item_class("water_temp", 30.0) is None


def test_total_phosphorus_river_versus_reservoir() -> None:
    assert item_class("tp", 0.1, "river") == 2
    assert item_class("tp", 0.1, "lake_reservoir") == 4
    assert item_class("tp", 0.025, "lake_reservoir") == 2
    assert item_class("tp", 0.02, "river") == 1
    assert item_class("tp", 0.41, "river") == 6
    assert item_class("tp", 0.21, "lake_reservoir") == 6


def test_total_nitrogen_only_for_lakes_and_reservoirs() -> None:
    assert item_class("tn", 1.0, "lake_reservoir") == 3
    assert item_class("tn", 5.0, "river") is None
    frame = pd.DataFrame({"sample_id": ["s", "s"], "property_code": ["tn", "codmn"], "value": [5.0, 2.0]})
    samples = classify(frame, "lake_reservoir").samples
    assert samples.loc["s", "class"] == 1  # TN is a reference item, not a routine one
    assert samples.loc["s", "n_routine"] == 1


def test_missing_and_all_missing_items() -> None:
    frame = pd.DataFrame(
        {
            "sample_id": ["a", "b", "b"],
            "property_code": ["codmn", "chla", "water_temp"],
            "value": [5.0, 12.0, 20.0],
        }
    )
    samples = classify(frame, "river").samples
    assert samples.loc["a", "class"] == 3 and samples.loc["a", "n_routine"] == 1
    assert pd.isna(samples.loc["b", "class"])
    assert samples.loc["b", "label"] == "" and samples.loc["b", "n_routine"] == 0
    assert pd.isna(samples.loc["b", "meets_target"])


def test_nan_value_is_missing() -> None:
    assert item_class("codmn", math.nan) is None


def test_censored_values_rule() -> None:
    frame = pd.DataFrame({"sample_id": ["s"], "property_code": ["cod"], "value": [20.0], "censor": ["<"]})
    assert classify(frame, "river").items["value"].iloc[0] == 10.0
    assert classify(frame, "river").items["class"].iloc[0] == 1
    assert classify(frame, "river", censored="limit").items["class"].iloc[0] == 3
    assert classify(frame, "river", censored="zero").items["value"].iloc[0] == 0.0


def test_worse_than_v() -> None:
    result = one("nh3n", 2.01)
    assert result.items["label"].iloc[0] == "劣Ⅴ"
    assert result.samples.loc["s", "class"] == 6
    assert result.samples.loc["s", "grade"] == "重度污染"
    assert one("nh3n", 2.0).samples.loc["s", "label"] == "Ⅴ"


def test_exceedance_multiples_against_class_iii() -> None:
    frame = pd.DataFrame(
        {
            "sample_id": ["s"] * 5,
            "property_code": ["codmn", "nh3n", "do", "ph", "tp"],
            "value": [12.0, 0.9, 1.0, 10.0, 0.5],
        }
    )
    items = classify(frame, "lake_reservoir").items.set_index("property_code")
    assert items.loc["codmn", "exceedance"] == pytest.approx(1.0)
    assert math.isnan(items.loc["nh3n", "exceedance"])  # not above Class Ⅲ
    assert math.isnan(items.loc["do", "exceedance"]) and math.isnan(items.loc["ph", "exceedance"])
    assert items.loc["tp", "exceedance"] == pytest.approx(9.0)  # lake/reservoir CⅢ = 0.05


def test_main_pollutant_ordering() -> None:
    frame = pd.DataFrame(
        {
            "sample_id": ["s"] * 5,
            "property_code": ["codmn", "nh3n", "pb", "tp", "cod"],
            "value": [20.0, 1.6, 0.06, 0.35, 18.0],
        }
    )
    s = classify(frame, "river").samples.loc["s"]
    # Pb first (heavy metal), then CODMn (劣Ⅴ), then TP over NH3-N (both Ⅴ, 0.75 > 0.6).
    assert [s["main_1"], s["main_2"], s["main_3"]] == ["pb", "codmn", "tp"]
    assert s["multiple_1"] == pytest.approx(0.2)
    assert s["multiple_2"] == pytest.approx(14 / 6)


def test_cyanide_first_and_no_main_pollutants_at_class_iii() -> None:
    frame = pd.DataFrame(
        {"sample_id": ["x", "x", "y"], "property_code": ["codmn", "cyanide", "codmn"], "value": [40, 0.21, 6]}
    )
    samples = classify(frame, "river").samples
    assert samples.loc["x", "main_1"] == "cyanide"
    assert samples.loc["y", "class"] == 3
    assert samples.loc["y", ["main_1", "main_2", "main_3"]].tolist() == ["", "", ""]


def test_compliance_with_target_class() -> None:
    frame = pd.DataFrame({"sample_id": ["a", "b"], "property_code": ["codmn", "codmn"], "value": [4.0, 4.1]})
    samples = classify(frame, "river", target=pd.Series({"a": 2, "b": 2})).samples
    assert samples["meets_target"].tolist() == [True, False]


def test_input_errors_are_helpful() -> None:
    dup = pd.DataFrame({"sample_id": ["s", "s"], "property_code": ["cod", "cod"], "value": [1.0, 2.0]})
    with pytest.raises(SchemaError, match="several values"):
        classify(dup, "river")
    with pytest.raises(SchemaError, match="water_type"):
        classify(dup.iloc[:1], "sea")


def test_round_half_even() -> None:
    assert round_half_even(np.array([2.675, 2.665, 0.125, 0.135, 1.5, 2.5]), 2).tolist() == [
        2.68,
        2.66,
        0.12,
        0.14,
        1.5,
        2.5,
    ]
    assert round_half_even(np.array([0.5, 1.5, 2.5]), 0).tolist() == [0.0, 2.0, 2.0]
    frame = pd.DataFrame({"sample_id": ["s"], "property_code": ["nh3n"], "value": [0.505]})
    assert classify(frame, "river").items["class"].iloc[0] == 3
    assert classify(frame, "river", decimals={"nh3n": 2}).items["class"].iloc[0] == 2


def test_period_aggregation_means_then_ph_via_h_ions() -> None:
    frame = pd.DataFrame(
        {
            "section_id": ["k1"] * 6,
            "time": ["2024-08-01", "2024-08-15", "2024-08-01", "2024-08-15", "2024-09-01", "2024-08-20"],
            "property_code": ["ph", "ph", "codmn", "codmn", "codmn", "cod"],
            "value": [6.0, 8.0, 4.0, 8.0, 1.0, 20.0],
            "censor": [None, None, None, None, None, "<"],
        }
    )
    out = aggregate_period(frame, "month").set_index(["period", "property_code"])
    assert out.loc[("2024-08", "ph"), "value"] == pytest.approx(-math.log10((1e-6 + 1e-8) / 2))
    assert out.loc[("2024-08", "codmn"), "value"] == 6.0
    assert out.loc[("2024-08", "cod"), "value"] == 10.0
    assert out.loc[("2024-09", "codmn"), "n"] == 1
    assert set(out["sample_id"]) == {"k1/2024-08", "k1/2024-09"}
    assert len(aggregate_period(frame, "year")) == 3
    assert classify(aggregate_period(frame), "river").samples.loc["k1/2024-08", "class"] == 3


def test_matrix_engine_matches_a_scalar_reference() -> None:
    rng = np.random.default_rng(6)
    codes = [c for c, i in STD.items.items() if i.is_classed]
    n = 2000
    lake = rng.random(n) < 0.5
    values = np.empty((n, len(codes)))
    for j, code in enumerate(codes):
        item = STD.items[code]
        rows = item.limit_rows() or [[6.0, 9.0]]
        pool = np.array(sorted({*rows[0], *rows[-1]}))
        values[:, j] = rng.choice(np.concatenate([pool, pool * 1.01, pool * 0.99, [np.nan]]), n)
    got = classify_matrix(values, codes, lake, STD)
    for j, code in enumerate(codes):
        for i in range(0, n, 37):
            assert got[i, j] == _reference(code, values[i, j], bool(lake[i])), (code, values[i, j])
    assert worst_class(got, range(len(codes))).tolist() == got.max(axis=1).tolist()


def _reference(code: str, v: float, lake: bool) -> int:
    item = STD.items[code]
    if math.isnan(v) or (
        item.water_types and ("lake_reservoir" if lake else "river") not in item.water_types
    ):
        return 0
    if item.range is not None:
        return 1 if item.range[0] <= v <= item.range[1] else 6
    if item.limits_by_water_type:
        limits = item.limits_by_water_type["lake_reservoir" if lake else "river"]
    else:
        assert item.limits is not None
        limits = item.limits
    if item.direction == "ge":
        return next((i + 1 for i, lim in enumerate(limits) if v >= lim), 6)
    return better_class(limits, v)


@pytest.mark.parametrize("water_type", ["river", "lake_reservoir"])
def test_total_phosphorus_every_boundary_of_each_water_type(water_type: str) -> None:
    """TP has one limit row per water type (not in LE_ITEMS): each limit is the better class."""
    limits = STD.items["tp"].limits_by_water_type[water_type]  # type: ignore[index]
    expected = {"river": [0.02, 0.1, 0.2, 0.3, 0.4], "lake_reservoir": [0.01, 0.025, 0.05, 0.1, 0.2]}
    assert limits == expected[water_type]  # DOMAIN.md §1.1, written out again
    for i, limit in enumerate(limits):
        assert item_class("tp", limit, water_type) == i + 1
        assert item_class("tp", limit * (1 + 1e-9), water_type) == i + 2


def test_float_noise_at_a_limit_is_at_the_limit() -> None:
    """A computed mean a few ulps off a limit (0.1 + 0.2) is still at it: the better class."""
    assert 0.1 + 0.2 != 0.3  # the noise is real
    assert item_class("tp", 0.1 + 0.2) == 4  # river TP Ⅳ ≤ 0.3
    assert item_class("do", 7.5 - 1e-15) == 1
    assert item_class("ph", 9.000000000000002) == 1
    assert item_class("ph", 9.01) == 6
    value = 0.1 * 3 * 20  # 6.000000000000001: CODMn at the Class Ⅲ limit, within float noise
    frame = pd.DataFrame({"sample_id": ["s"], "property_code": ["codmn"], "value": [value]})
    assert classify(frame, "river").items["exceedance"].isna().all()  # not over Class Ⅲ


def test_period_mean_on_a_limit_takes_the_better_class() -> None:
    """TP samples 0.2 and 0.4 average to 0.3 exactly on paper, 0.30000000000000004 in floats: Ⅳ, not Ⅴ."""
    frame = pd.DataFrame(
        {
            "section_id": ["s"] * 2,
            "time": pd.to_datetime(["2024-08-01", "2024-08-20"]),
            "property_code": ["tp"] * 2,
            "value": [0.2, 0.4],
        }
    )
    means = aggregate_period(frame, "month")
    assert means["value"].iloc[0] > 0.3  # the float mean is past the limit by one ulp
    result = classify(means, "river")
    assert result.items["class"].iloc[0] == 4
    assert result.samples["main_1"].iloc[0] == "tp"  # Ⅳ: a main pollutant, with its multiple
    assert result.samples["multiple_1"].iloc[0] == pytest.approx(0.5)
