"""River/basin assessment: mean-then-classify below 5 sections, the proportion grades at 5 and above."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from liuyu.assess import BasinSettings, assess_basin, grade_proportions
from liuyu.assess.basin import assess_water_bodies, water_body_means


def sections(values: list[float], code: str = "codmn") -> pd.DataFrame:
    return pd.DataFrame(
        {"sample_id": [f"k{i}" for i in range(len(values))], "property_code": code, "value": values}
    )


@pytest.mark.parametrize(
    ("good", "worse_v", "n", "grade"),
    [
        (10, 0, 10, "优"),
        (9, 0, 10, "优"),  # exactly 90 %
        (8, 0, 10, "良好"),
        (3, 0, 4, "良好"),  # exactly 75 %
        (7, 1, 10, "轻度污染"),
        (2, 0, 3, "轻度污染"),
        (7, 2, 10, "中度污染"),  # exactly 20 % 劣Ⅴ
        (5, 3, 10, "中度污染"),
        (5, 4, 10, "重度污染"),  # exactly 40 % 劣Ⅴ
        (6, 4, 10, "重度污染"),
        (0, 10, 10, "重度污染"),
        (0, 0, 0, "未分级"),
    ],
)
def test_proportion_grades(good: int, worse_v: int, n: int, grade: str) -> None:
    assert grade_proportions(good, worse_v, n)[()] == grade


def test_proportion_grades_are_vectorized() -> None:
    got = grade_proportions([9, 8, 7, 7, 5], [0, 0, 1, 2, 4], [10] * 5).tolist()
    assert got == ["优", "良好", "轻度污染", "中度污染", "重度污染"]


def test_the_lt60_row_and_its_gap() -> None:
    lt60 = BasinSettings(heavy_rule="lt60")
    assert grade_proportions(5, 4, 10, lt60)[()] == "重度污染"
    assert grade_proportions(6, 4, 10, lt60)[()] == "未分级"  # Ⅰ–Ⅲ = 60 %, 劣Ⅴ = 40 %: no row fits
    assert grade_proportions(6, 4, 10, BasinSettings(heavy_rule="lt60", gap="moderate"))[()] == "中度污染"
    assert grade_proportions(6, 4, 10, BasinSettings(heavy_rule="lt60", gap="heavy"))[()] == "重度污染"
    assert grade_proportions(6, 4, 10)[()] == "重度污染"  # "lt75": no gap


def test_section_count_threshold_setting() -> None:
    assert BasinSettings().uses_proportions(5)
    assert not BasinSettings().uses_proportions(4)
    assert not BasinSettings(inclusive=False).uses_proportions(5)
    assert BasinSettings(inclusive=False).uses_proportions(6)


def test_fewer_than_five_sections_average_then_classify() -> None:
    result = assess_basin(sections([2.0, 4.0, 6.0, 12.0]))
    assert result.method == "mean" and result.n_sections == 4
    assert result.klass == 3 and result.label == "Ⅲ" and result.grade == "良好"
    assert result.counts.to_dict() == {"Ⅰ": 1, "Ⅱ": 1, "Ⅲ": 1, "Ⅳ": 0, "Ⅴ": 1, "劣Ⅴ": 0}
    assert result.mean is not None
    assert result.mean.items["value"].iloc[0] == 6.0


def test_basin_mean_of_ph_via_h_ions() -> None:
    result = assess_basin(sections([6.0, 9.0], "ph"))
    assert result.mean is not None
    assert result.mean.items["value"].iloc[0] == pytest.approx(-math.log10((1e-6 + 1e-9) / 2))


def test_five_sections_use_the_proportion_method() -> None:
    result = assess_basin(sections([2.0, 4.0, 6.0, 12.0, 20.0]))
    assert result.method == "proportion" and result.klass is None and result.mean is None
    assert result.grade == "中度污染"  # Ⅰ–Ⅲ 60 % (< 75 %), 劣Ⅴ exactly 20 %
    assert result.counts["劣Ⅴ"] == 1


def test_sections_without_a_class_do_not_count() -> None:
    frame = pd.concat([sections([2.0, 4.0, 6.0, 12.0]), sections([1.0], "chla").assign(sample_id="k9")])
    result = assess_basin(frame)
    assert result.method == "mean" and result.n_sections == 4
    assert len(result.sections.samples) == 5


def test_no_classified_section_is_ungraded() -> None:
    result = assess_basin(sections([1.0], "chla"))
    assert result.n_sections == 0 and result.klass is None and result.grade == "未分级"


def test_basin_mean_of_reservoir_sections_uses_reservoir_limits() -> None:
    result = assess_basin(sections([0.04, 0.06], "tp"), "lake_reservoir")
    assert result.klass == 3  # mean 0.05 is Class Ⅲ for lakes/reservoirs, Ⅱ for rivers


# --- lakes and reservoirs: time, then space (2011 method §6, a setting because [U]) ---------------
def lake_points() -> tuple[pd.DataFrame, pd.Series]:
    frame = pd.DataFrame(
        {
            "section_id": ["A", "A", "A", "B", "A", "B", "C"],
            "property_code": ["tp", "tp", "tp", "tp", "ph", "ph", "tp"],
            "value": [0.01, 0.01, 0.01, 0.11, 7.0, 9.0, 0.3],
        }
    )
    return frame, pd.Series({"A": "lake", "B": "lake"})  # C belongs to no water body


def test_water_body_means_time_then_space() -> None:
    frame, body = lake_points()
    means = water_body_means(frame, body).set_index("property_code")
    assert means.loc["tp", "value"] == pytest.approx((0.01 + 0.11) / 2)
    assert means.loc["tp", ["n", "n_points"]].tolist() == [4, 2]
    # pH through H⁺ at both steps: -log10((1e-7 + 1e-9) / 2)
    assert means.loc["ph", "value"] == pytest.approx(-math.log10((1e-7 + 1e-9) / 2))
    assert set(means["sample_id"]) == {"lake"}


def test_pooled_averaging_weighs_every_sample() -> None:
    frame, body = lake_points()
    means = water_body_means(frame, body, averaging="pooled").set_index("property_code")
    assert means.loc["tp", "value"] == pytest.approx((0.03 + 0.11) / 4)


def test_assess_water_bodies_uses_lake_limits_and_censoring() -> None:
    frame, body = lake_points()
    got = assess_water_bodies(frame, body).samples.loc["lake"]
    assert (got["label"], got["water_type"]) == ("Ⅳ", "lake_reservoir")  # TP 0.06 > 0.05 (lake Ⅲ)
    assert assess_water_bodies(frame, body, averaging="pooled").samples.loc["lake", "label"] == "Ⅲ"
    censored = frame.assign(censor=["<", "<", "<", "", "", "", ""], value=[0.02, 0.02, 0.02, 0.07, 7, 7, 1])
    # "<0.02" counts as 0.01 (half the limit): (0.01 + 0.07) / 2 = 0.04 → Ⅲ; at the limit 0.045 → Ⅲ
    assert assess_water_bodies(censored, body).samples.loc["lake", "label"] == "Ⅲ"
    limit = assess_water_bodies(censored, body, censored="limit").items.set_index("property_code")
    assert limit.loc["tp", "value"] == pytest.approx(0.045)
