"""Raw report cells: every oddity of issue 5 parsed to value, censoring, status and detection limit."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from liuyu.network.values import VALUE_COLUMNS, parse_values


def one(cell: object, **kwargs: object) -> dict:
    return parse_values(pd.Series([cell], dtype=object), **kwargs).iloc[0].to_dict()  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("cell", "value", "censor"),
    [
        ("<0.01", 0.01, "<"),
        ("＜0.01", 0.01, "<"),  # full-width less-than
        ("< 0.01", 0.01, "<"),
        ("≤0.5", 0.5, "<"),
        ("0.01L", 0.01, "<"),  # detection limit + L: not detected
        ("０.０１Ｌ", 0.01, "<"),
        ("未检出(0.01)", 0.01, "<"),
        ("未检出（0.01）", 0.01, "<"),  # full-width brackets
        ("ND(0.02mg/L)", 0.02, "<"),
        (">2400", 2400.0, ">"),
    ],
)
def test_censored_values_keep_the_limit(cell: str, value: float, censor: str) -> None:
    row = one(cell)
    assert row["status"] == "ok"
    assert row["value"] == pytest.approx(value)
    assert row["censor"] == censor
    if censor == "<":
        assert row["detection_limit"] == pytest.approx(value)


@pytest.mark.parametrize("cell", ["ND", "nd", "N.D.", "未检出", "<DL", "<LOD", "低于检出限"])
def test_non_detects_take_the_given_detection_limit(cell: str) -> None:
    row = one(cell, detection_limit=0.005)
    assert (row["status"], row["value"], row["censor"], row["detection_limit"]) == ("ok", 0.005, "<", 0.005)


def test_non_detect_limits_per_row() -> None:
    cells = pd.Series(["ND", "未检出", "0.3"], index=[10, 11, 12])
    out = parse_values(cells, detection_limit=pd.Series([0.01, 0.05, 0.01], index=[10, 11, 12]))
    assert out["value"].tolist() == [0.01, 0.05, 0.3]
    assert out["censor"].tolist() == ["<", "<", ""]


def test_non_detect_without_a_limit_is_invalid_with_a_reason() -> None:
    row = one("未检出")
    assert row["status"] == "invalid"
    assert "detection limit" in row["reason"]
    assert math.isnan(row["value"])


@pytest.mark.parametrize(
    "cell", ["—", "——", "-", "--", "/", "／", "", "   ", None, np.nan, "NaN", "nan", "N/A", "缺测"]
)
def test_missing_marks(cell: object) -> None:
    row = one(cell)
    assert row["status"] == "missing"
    assert math.isnan(row["value"])
    assert row["reason"] == ""


@pytest.mark.parametrize(
    ("cell", "value"),
    [
        ("１２.５", 12.5),  # full-width digits
        ("1,234.5", 1234.5),  # thousands separator
        ("１，２３４．５", 1234.5),  # full-width separator and point
        ("12,345,678", 12345678.0),
        ("1.2E-3", 0.0012),
        ("1.5e+03", 1500.0),
        ("-3.5", -3.5),
        (".5", 0.5),
        (" 7.25 ", 7.25),
        (0.25, 0.25),
    ],
)
def test_numbers(cell: object, value: float) -> None:
    row = one(cell)
    assert (row["status"], row["censor"], row["unit"]) == ("ok", "", "")
    assert row["value"] == pytest.approx(value)


@pytest.mark.parametrize(
    ("cell", "value", "unit"),
    [("0.5mg/L", 0.5, "mg/L"), ("0.5 mg/l", 0.5, "mg/L"), ("20μg/L", 20.0, "μg/L"), ("2L/s", 2.0, "L/s"),
     ("25℃", 25.0, "°C"), ("<0.01mg/L", 0.01, "mg/L")],
)  # fmt: skip
def test_units_in_the_cell_are_noted(cell: str, value: float, unit: str) -> None:
    row = one(cell)
    assert (row["status"], row["value"], row["unit"]) == ("ok", pytest.approx(value), unit)


@pytest.mark.parametrize(
    ("cell", "reason"),
    [("abc", "not a number"), ("1,23", "not a number"), ("12xyz", "unknown unit"), ("1e999", "out of range"),
     ("1.2.3", "not a number")],
)  # fmt: skip
def test_invalid_cells_carry_a_reason(cell: str, reason: str) -> None:
    row = one(cell)
    assert row["status"] == "invalid"
    assert reason in row["reason"]
    assert math.isnan(row["value"]) and row["censor"] == ""


def test_frame_shape_keeps_index_and_raw() -> None:
    cells = pd.Series(["<0.01", "—", "abc", "3"], index=list("abcd"))
    out = parse_values(cells)
    assert tuple(out.columns) == VALUE_COLUMNS
    assert list(out.index) == list("abcd")
    assert out["raw"].tolist() == cells.tolist()
    assert out["status"].tolist() == ["ok", "missing", "invalid", "ok"]
    assert out["value"].dtype == "float64"


finite = st.floats(allow_nan=False, allow_infinity=False)


@settings(deadline=None)  # a loaded CI machine: timing is not what these test
@given(finite)
def test_repr_of_a_float_round_trips(x: float) -> None:
    row = one(repr(x))
    assert row["status"] == "ok"
    assert row["value"] == x


@settings(deadline=None)  # a loaded CI machine: timing is not what these test
@given(finite)
def test_float_cells_round_trip(x: float) -> None:
    assert one(x)["value"] == x


@settings(deadline=None)  # a loaded CI machine: timing is not what these test
@given(st.floats(min_value=0, max_value=1e12, allow_nan=False), st.sampled_from(["<", "＜", ""]))
def test_thousands_and_censoring_round_trip(x: float, op: str) -> None:
    cell = f"{op}{x:,.6f}"
    row = one(cell)
    assert row["value"] == pytest.approx(float(f"{x:.6f}"))
    assert row["censor"] == ("<" if op else "")


@settings(deadline=None)  # a loaded CI machine: timing is not what these test
@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_full_width_integers_round_trip(n: int) -> None:
    full = str(n).translate(str.maketrans("0123456789-", "０１２３４５６７８９－"))
    assert one(full)["value"] == n


def test_repeated_non_detects_take_their_own_row_limit() -> None:
    cells = pd.Series(["ND", "ND", "ND"])
    out = parse_values(cells, detection_limit=pd.Series([0.01, 0.05, np.nan]))
    assert out["value"].tolist()[:2] == [0.01, 0.05]
    assert out["status"].tolist() == ["ok", "ok", "invalid"]


@pytest.mark.parametrize("dtype", [object, "string", "str"])
def test_any_text_dtype_and_a_mix_of_plain_and_odd_cells(dtype: object) -> None:
    cells = pd.Series(["7.25", "７.25", None, "<0.5", "inf", "7.25"], dtype=dtype)  # type: ignore[call-overload]
    out = parse_values(cells)
    assert out["status"].tolist() == ["ok", "ok", "missing", "ok", "invalid", "ok"]
    assert out["value"].tolist()[:2] == [7.25, 7.25]
    assert out["censor"].tolist() == ["", "", "", "<", "", ""]


def test_numeric_columns_parse_directly() -> None:
    out = parse_values(pd.Series([1.5, np.nan, 3.0, np.inf]))
    assert out["status"].tolist() == ["ok", "missing", "ok", "invalid"]


@settings(deadline=None)  # a loaded CI machine: timing is not what these test
@given(finite, st.sampled_from(["mg/L", "ｍｇ/Ｌ", " ug/l", "℃"]))
def test_numbers_with_a_unit_round_trip_through_the_text_path(x: float, unit: str) -> None:
    row = one(f"{x!r}{unit}")
    assert row["status"] == "ok"
    assert row["value"] == x
    assert row["unit"] in {"mg/L", "μg/L", "°C"}
