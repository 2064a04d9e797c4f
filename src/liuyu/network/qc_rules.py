"""The QC rules as data: qc_rules.toml read into one row of thresholds per property.

The flag bits and the array core that applies the rules are in :mod:`liuyu.network.qc`.
"""

from __future__ import annotations

import enum
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd

from liuyu.errors import SchemaError
from liuyu.network.properties import _raw as _raw_properties

_RULE_KEYS = {"hard", "soft", "spike", "max_rate", "flat", "interval"}
_RULE_COLUMNS = [
    "hard_min", "hard_max", "soft_min", "soft_max", "spike", "max_rate",
    "flat_count", "flat_seconds", "interval_seconds",
]  # fmt: skip


class QCFlag(enum.IntFlag):
    """The qc_flag bits; the values are also in qc_rules.toml [flags] and must agree."""

    SUSPECT_RANGE = 1
    SPIKE = 2
    FLAT = 4
    CENSORED = 8
    REJECTED_RANGE = 16
    RATE_OF_CHANGE = 32


@dataclass(frozen=True)
class QCRules:
    """The rules in vectorizable form: one row per property, plus the gap settings."""

    by_property: pd.DataFrame  # index property_code, columns _RULE_COLUMNS (NaN = no rule)
    intervals: dict[str, float]  # method -> expected interval in seconds
    gap_factor: float
    flat_skip_methods: frozenset[str]


def _seconds(text: str, where: str) -> float:
    try:
        return pd.Timedelta(text).total_seconds()
    except ValueError as exc:
        raise SchemaError(
            f"qc_rules.toml {where}: {text!r} is not a duration", hint="e.g. '6h', '1D'"
        ) from exc


def _rule_row(code: str, rule: dict[str, Any]) -> list[float]:
    unknown = set(rule) - _RULE_KEYS
    if unknown:
        raise SchemaError(
            f"qc_rules.toml [rules.{code}]: unknown keys {sorted(unknown)}", hint=str(_RULE_KEYS)
        )
    hard = rule.get("hard", [np.nan, np.nan])
    soft = rule.get("soft", [np.nan, np.nan])
    flat = rule.get("flat", {})
    interval = rule.get("interval")
    return [
        *map(float, hard),
        *map(float, soft),
        float(rule.get("spike", np.nan)),
        float(rule.get("max_rate", np.nan)),
        float(flat.get("count", np.nan)),
        _seconds(flat["duration"], f"[rules.{code}].flat") if "duration" in flat else np.nan,
        _seconds(interval, f"[rules.{code}].interval") if interval else np.nan,
    ]


def rules_from_dict(data: dict[str, Any]) -> QCRules:
    """Validate parsed qc_rules.toml content into :class:`QCRules`."""
    flags = {name.upper(): value for name, value in data.get("flags", {}).items()}
    if flags != {f.name: f.value for f in QCFlag}:
        raise SchemaError(
            "qc_rules.toml [flags] disagrees with liuyu.network.qc.QCFlag", hint="keep them equal"
        )
    known = _raw_properties()["properties"]
    unknown = sorted(set(data.get("rules", {})) - set(known))
    if unknown:
        raise SchemaError(
            f"qc_rules.toml: rules for unknown properties {unknown}", hint="see properties.toml"
        )
    rows = {code: _rule_row(code, rule) for code, rule in data.get("rules", {}).items()}
    frame = pd.DataFrame.from_dict(rows, orient="index", columns=_RULE_COLUMNS, dtype="float64")
    gaps = data.get("gaps", {})
    intervals = {m: _seconds(t, "[gaps]") for m, t in gaps.get("expected_interval", {}).items()}
    skip = frozenset(data.get("flat", {}).get("skip_methods", []))
    return QCRules(frame.rename_axis("property_code"), intervals, float(gaps.get("factor", 1.5)), skip)


@cache
def load_qc_rules() -> QCRules:
    """The rules shipped in network/qc_rules.toml."""
    text = resources.files("liuyu.network").joinpath("qc_rules.toml").read_text(encoding="utf-8")
    return rules_from_dict(tomllib.loads(text))


#: Censor codes of the array core: '' → 0, '<' → 1, '>' → 2.
CENSOR_CODES = {"": 0, "<": 1, ">": 2}


class RowRules:
    """Per-row rule values, gathered from the small per-property table only when asked for."""

    def __init__(self, table: pd.DataFrame, prop_idx: np.ndarray) -> None:
        #: each rule as a small float64 array over the table's rows (properties, then "none")
        self.columns = {c: table[c].to_numpy(dtype="float64") for c in table.columns}
        self.idx = prop_idx

    def __getitem__(self, name: str) -> np.ndarray:
        return self.columns[name][self.idx]

    def any(self, name: str) -> bool:
        """Whether any property present has this rule (else its check is skipped)."""
        return bool(np.isfinite(self.columns[name]).any())


def row_rules(property_codes: np.ndarray, prop_idx: np.ndarray, rules: QCRules) -> RowRules:
    """Rules of each row, given the distinct property codes and each row's index into them."""
    table = rules.by_property.reindex(pd.Index(property_codes, dtype=object))
    table = pd.concat([table, pd.DataFrame(np.nan, index=["__none__"], columns=table.columns)])
    return RowRules(table.reset_index(drop=True), np.where(prop_idx < 0, len(table) - 1, prop_idx))
