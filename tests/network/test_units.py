"""Unit spellings and conversions, both ways, with helpful errors for incompatible units."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from liuyu.errors import SchemaError
from liuyu.network.properties import load_properties
from liuyu.network.units import convert, known_units, normalize_unit, normalize_units, to_canonical


@pytest.mark.parametrize(
    ("spelling", "symbol"),
    [
        ("mg/L", "mg/L"), ("mg/l", "mg/L"), ("MG/L", "mg/L"), ("ｍｇ／Ｌ", "mg/L"), ("mg / L", "mg/L"),
        ("毫克/升", "mg/L"), ("ug/L", "μg/L"), ("µg/L", "μg/L"), ("μg/L", "μg/L"), ("微克/升", "μg/L"),
        ("g/m3", "g/m³"), ("g/m³", "g/m³"), ("mg/m3", "mg/m³"), ("℃", "°C"), ("°C", "°C"),
        ("m3/s", "m³/s"), ("m^3/s", None), ("万m3", "万m³"), ("亿立方米", "亿m³"), ("1e8 m3", "亿m³"),
        ("CFU/100mL", "CFU/100mL"), ("cfu/100ml", "CFU/100mL"), ("MPN/L", "MPN/L"), ("‰", "‰"),
        ("无量纲", "1"),
    ],
)  # fmt: skip
def test_spellings(spelling: str, symbol: str | None) -> None:
    got = normalize_units(pd.Series([spelling])).iloc[0]
    assert (None if pd.isna(got) else got) == symbol


def test_normalize_unit_refuses_unknown_with_a_hint() -> None:
    with pytest.raises(SchemaError) as err:
        normalize_unit("furlongs")
    assert err.value.hint is not None and "units.toml" in err.value.hint


def test_blank_units_normalize_to_empty() -> None:
    assert normalize_units(pd.Series(["", None, " "])).tolist() == ["", "", ""]


@pytest.mark.parametrize(
    ("value", "unit", "to", "expected"),
    [
        (1.0, "mg/L", "μg/L", 1000.0),
        (1.0, "mg/L", "ng/L", 1e6),
        (1.0, "g/m³", "mg/L", 1.0),
        (1.0, "mg/m³", "μg/L", 1.0),
        (5.0, "%", "‰", 50.0),
        (1.0, "m³/s", "L/s", 1000.0),
        (3600.0, "m³/h", "m³/s", 1.0),
        (86400.0, "m³/d", "m³/s", 1.0),
        (1.0, "万m³/d", "m³/d", 1e4),
        (1.0, "亿m³", "万m³", 1e4),
        (1.0, "亿m³", "m³", 1e8),
        (12.5, "mm", "cm", 1.25),
        (1.0, "m", "mm", 1000.0),
        (25.0, "℃", "K", 298.15),
        (100.0, "CFU/100mL", "个/L", 1000.0),
        (100.0, "MPN/100mL", "MPN/L", 1000.0),
        (1.0, "mS/cm", "μS/cm", 1000.0),
    ],
)
def test_conversions_both_ways(value: float, unit: str, to: str, expected: float) -> None:
    there = convert(np.array([value]), unit, to)
    assert there[0] == pytest.approx(expected)
    assert convert(there, to, unit)[0] == pytest.approx(value)


@given(
    st.lists(st.floats(min_value=-1e9, max_value=1e9, allow_nan=False), max_size=20),
    st.sampled_from(["mg/L", "μg/L", "ng/L", "g/m³", "mg/m³"]),
    st.sampled_from(["mg/L", "μg/L", "ng/L", "g/L"]),
)
def test_round_trip_property(values: list[float], a: str, b: str) -> None:
    arr = np.array(values, dtype="float64")
    np.testing.assert_allclose(convert(convert(arr, a, b), b, a), arr, rtol=1e-12, atol=1e-9)


def test_to_canonical_scalar_and_per_row_units() -> None:
    assert to_canonical(np.array([20.0]), "μg/L", "tp").tolist() == [pytest.approx(0.02)]
    units = pd.Series(["mg/L", "ug/L", "毫克/升", "", None])
    out = to_canonical(pd.Series([1.0, 500.0, 2.0, 3.0, 4.0]), units, "nh3n")
    np.testing.assert_allclose(out, [1.0, 0.5, 2.0, 3.0, 4.0])
    assert to_canonical(np.array([1.5]), None, "stage").tolist() == [1.5]


def test_to_canonical_for_hydrology_and_bacteria() -> None:
    assert to_canonical(np.array([5000.0]), "万m³", "storage")[0] == pytest.approx(0.5)
    assert to_canonical(np.array([2.0]), "L/s", "discharge")[0] == pytest.approx(0.002)
    assert to_canonical(np.array([1.0]), "m³/s", "flow")[0] == pytest.approx(86400.0)
    assert to_canonical(np.array([30.0]), "CFU/100mL", "fecal_coliform")[0] == pytest.approx(300.0)
    assert to_canonical(np.array([12.0]), "cm", "rainfall")[0] == pytest.approx(120.0)
    assert to_canonical(np.array([1.0]), "μg/L", "chla")[0] == pytest.approx(1.0)


def test_incompatible_units_raise_schema_error_with_hint() -> None:
    with pytest.raises(SchemaError, match=r"cannot convert \['mm'\] to 'mg/L' for property 'tp'") as err:
        to_canonical(np.array([1.0, 2.0]), pd.Series(["mg/L", "mm"]), "tp")
    assert err.value.hint
    with pytest.raises(ValueError, match="unknown unit"):  # SchemaError is also a ValueError
        to_canonical(np.array([1.0]), "bananas", "tp")
    with pytest.raises(SchemaError, match="unknown observed property"):
        to_canonical(np.array([1.0]), "mg/L", "no_such_property")


def test_every_property_unit_is_known() -> None:
    for unit in load_properties()["unit"]:
        assert normalize_unit(unit) in known_units()


def test_table_2_items_and_aliases_are_there() -> None:
    props = load_properties().set_index("code")
    for code in ["sulfate", "chloride", "nitrate", "fe", "mn"]:
        assert props.loc[code, "unit"] == "mg/L"
    assert "CODMn" in props.loc["codmn", "aliases"]
