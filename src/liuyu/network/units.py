"""Units as data (units.toml): spelling normalization and vectorized conversion to canonical units."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np
import pandas as pd

from liuyu.errors import SchemaError
from liuyu.network.properties import _raw as _raw_properties


@dataclass(frozen=True)
class Unit:
    """One unit: its dimension and the affine map to the dimension's reference unit."""

    symbol: str
    dimension: str
    factor: float
    offset: float = 0.0


def _key(text: str) -> str:
    """The spelling key: NFKC (full-width, µ→μ, ³→3, ℃→°C), case-folded, without blanks."""
    return pd.Series([text], dtype="string").pipe(_keys).iloc[0]


def _keys(texts: pd.Series) -> pd.Series:
    return texts.astype("string").str.normalize("NFKC").str.casefold().str.replace(r"\s+", "", regex=True)


@cache
def _table() -> tuple[dict[str, Unit], dict[str, str]]:
    text = resources.files("liuyu.network").joinpath("units.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)
    units: dict[str, Unit] = {}
    spellings: dict[str, str] = {}
    for symbol, spec in data["units"].items():
        if spec["dimension"] not in data["dimensions"]:
            raise SchemaError(f"units.toml: unit {symbol!r} has unknown dimension {spec['dimension']!r}")
        units[symbol] = Unit(symbol, spec["dimension"], float(spec["factor"]), float(spec.get("offset", 0.0)))
        for spelling in [symbol, *spec.get("aliases", [])]:
            key = _key(spelling)
            if spellings.setdefault(key, symbol) != symbol:
                raise SchemaError(
                    f"units.toml: spelling {spelling!r} names both {spellings[key]!r} and {symbol!r}",
                    hint="remove the alias from one of the two units",
                )
    return units, spellings


def known_units() -> list[str]:
    """The canonical symbols of every unit Liuyu converts."""
    return list(_table()[0])


def normalize_units(texts: pd.Series) -> pd.Series:
    """Canonical unit symbols for a column of spellings; unknown spellings give <NA>, blanks give ''.

    Examples
    --------
    >>> normalize_units(pd.Series(["mg/l", "毫克/升", "ug/L", "℃"])).tolist()
    ['mg/L', 'mg/L', 'μg/L', '°C']
    """
    codes, uniques = pd.factorize(texts, use_na_sentinel=True)  # a column has few distinct units
    keys = _keys(pd.Series(uniques, dtype=object))
    symbols = keys.map(_table()[1]).astype("string").mask(keys.fillna("") == "", "")
    symbols = pd.concat([symbols, pd.Series([""], dtype="string")], ignore_index=True)  # code -1: NA
    return pd.Series(symbols.to_numpy()[codes], index=texts.index, dtype="string")


def normalize_unit(text: str) -> str:
    """The canonical symbol of one unit spelling; a SchemaError with the known units if unknown."""
    symbol = _table()[1].get(_key(text))
    if symbol is None:
        raise SchemaError(
            f"unknown unit {text!r}",
            hint=f"use one of {known_units()} or add a spelling to network/units.toml",
        )
    return symbol


def property_unit(property_code: str) -> str:
    """The canonical unit symbol of an observed property (properties.toml)."""
    props = _raw_properties()["properties"]
    if property_code not in props:
        raise SchemaError(
            f"unknown observed property {property_code!r}",
            hint="use a code of network/properties.toml (e.g. 'tp', 'codmn', 'discharge')",
        )
    return normalize_unit(props[property_code]["unit"])


def _scale(from_units: pd.Series, to_unit: str, context: str) -> tuple[np.ndarray, np.ndarray]:
    """Per-row (multiplier, addend) taking values in from_units to to_unit; errors name the culprits."""
    units = _table()[0]
    target = units[normalize_unit(to_unit)]
    symbols = normalize_units(from_units).fillna("\0unknown")
    unknown = sorted(set(from_units[symbols == "\0unknown"].astype(str)))
    if unknown:
        raise SchemaError(
            f"unknown unit(s) {unknown}{context}",
            hint=f"use one of {known_units()} or add a spelling to network/units.toml",
        )
    symbols = symbols.mask(symbols == "", target.symbol)
    frame = pd.DataFrame(
        [(u.symbol, u.dimension, u.factor, u.offset) for u in units.values()],
        columns=["symbol", "dimension", "factor", "offset"],
    ).set_index("symbol")
    rows = frame.reindex(symbols.to_numpy())
    wrong = sorted(set(rows.index[rows["dimension"].to_numpy() != target.dimension]))
    if wrong:
        raise SchemaError(
            f"cannot convert {wrong} to {target.symbol!r}{context}: "
            f"{frame.loc[wrong[0], 'dimension']} is not {target.dimension}",
            hint="check the unit row or header of the sheet; the property may be mislabelled",
        )
    mult = rows["factor"].to_numpy(dtype="float64") / target.factor
    add = (rows["offset"].to_numpy(dtype="float64") - target.offset) / target.factor
    return mult, add


def convert(values: pd.Series | np.ndarray, from_unit: str | pd.Series, to_unit: str) -> np.ndarray:
    """Values in from_unit (one unit, or one per row) expressed in to_unit.

    Examples
    --------
    >>> convert(np.array([1.0, 2.5]), "mg/L", "μg/L").tolist()
    [1000.0, 2500.0]
    """
    arr = np.asarray(values, dtype="float64")
    units = from_unit if isinstance(from_unit, pd.Series) else pd.Series([from_unit] * len(arr), dtype=object)
    mult, add = _scale(units.reset_index(drop=True), to_unit, "")
    return arr * mult + add


def to_canonical(
    values: pd.Series | np.ndarray, unit: str | pd.Series | None, property_code: str
) -> np.ndarray:
    """Values of one property in the property's canonical unit (properties.toml).

    ``unit`` is one spelling for all values or one per row; None or blank means the values are
    already canonical. Units of another dimension raise SchemaError rather than guess.

    Examples
    --------
    >>> to_canonical(np.array([20.0]), "μg/L", "tp").tolist()
    [0.02]
    """
    arr = np.asarray(values, dtype="float64")
    target = property_unit(property_code)
    if unit is None:
        return arr.copy()
    units = unit if isinstance(unit, pd.Series) else pd.Series([unit] * len(arr), dtype=object)
    mult, add = _scale(units.reset_index(drop=True), target, f" for property {property_code!r}")
    return arr * mult + add
