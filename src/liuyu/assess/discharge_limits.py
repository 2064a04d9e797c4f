"""Discharge rules (discharge_rules.toml) and the limit table of each (standard, class), as data frames."""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd

from liuyu.assess.standards import Standard, available_standards, load_standard
from liuyu.errors import ConfigError

RULES_FILE = "discharge_rules.toml"
_CONDITION = re.compile(r"^\s*(?P<var>[a-z_]+)\s*(?P<op><=|>=|<|>)\s*(?P<value>\S+)\s*$")
_STATISTICS = ("max", "mean")
LIMIT_COLUMNS = (
    "standard",
    "standard_class",
    "property_code",
    "direction",
    "cond_var",
    "cond_op",
    "cond_value",
    "limit",
    "limit_low",
    "limit_high",
    "verified",
)


@dataclass(frozen=True)
class DischargeRules:
    """The settings of discharge_rules.toml (see the file for what each means and why)."""

    kinds: tuple[str, ...]
    items: tuple[str, ...]
    standards: dict[str, str]
    link_distance_m: float
    defaults: dict[str, tuple[str, str]]
    timezone: str = "Asia/Shanghai"
    min_values_per_day: int = 1
    methods: tuple[str, ...] = ()
    period_statistic: str = "max"
    censored_factor: float = 1.0
    temperature_property: str = "water_temp"
    unknown: str = "strictest"
    text_hash: str = field(default="", compare=False)


def parse_rules(text: str) -> DischargeRules:
    """Validate the rules file text; every problem names its key."""
    try:
        raw: dict[str, Any] = tomllib.loads(text)
        avg, cond = raw.get("averaging", {}), raw.get("conditions", {})
        rules = DischargeRules(
            kinds=tuple(raw["stations"]["kinds"]),
            items=tuple(raw["stations"]["items"]),
            standards=dict(raw["standards"]),
            link_distance_m=float(raw.get("facilities", {}).get("link_distance_m", 50.0)),
            defaults={k: (v["standard"], v["standard_class"]) for k, v in raw.get("defaults", {}).items()},
            timezone=avg.get("timezone", "Asia/Shanghai"),
            min_values_per_day=int(avg.get("min_values_per_day", 1)),
            methods=tuple(avg.get("methods", [])),
            period_statistic=avg.get("period_statistic", "max"),
            censored_factor=float(avg.get("censored_factor", 1.0)),
            temperature_property=cond.get("temperature_property", "water_temp"),
            unknown=cond.get("unknown", "strictest"),
            text_hash=hashlib.sha256(text.encode()).hexdigest()[:12],
        )
    except (tomllib.TOMLDecodeError, KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"{RULES_FILE}: malformed ({exc!r})", hint="compare with the bundled file") from exc
    if rules.period_statistic not in _STATISTICS:
        raise ConfigError(
            f"{RULES_FILE}: averaging.period_statistic {rules.period_statistic!r} is unknown",
            hint=f"use one of {', '.join(_STATISTICS)}",
        )
    if rules.unknown != "strictest":
        raise ConfigError(f"{RULES_FILE}: conditions.unknown must be 'strictest'", hint="fix the file")
    known = set(available_standards())
    bad = {v for v in rules.standards.values()} | {s for s, _ in rules.defaults.values()}
    if bad - known:
        raise ConfigError(f"{RULES_FILE}: unknown standard file(s) {sorted(bad - known)}", hint=str(known))
    return rules


@cache
def load_rules() -> DischargeRules:
    """The bundled discharge rules."""
    return parse_rules(resources.files("liuyu.assess").joinpath(RULES_FILE).read_text(encoding="utf-8"))


def _condition(text: str) -> tuple[str, str, Any]:
    match = _CONDITION.match(text)
    if match is None:
        raise ConfigError(f"variant condition {text!r} is not 'var op value'", hint="e.g. 'water_temp > 12'")
    var, raw = match["var"], match["value"]
    value: Any = pd.Timestamp(raw) if var == "built" else float(raw)
    return var, match["op"], value


def _item_rows(std: Standard, name: str, klass: str, code: str) -> list[dict[str, Any]]:
    item = std.items[code]
    k = std.classes.index(klass) if klass in std.classes else -1
    verified = std.verified and item.verified and k >= 0
    base = {"standard": name, "standard_class": klass, "property_code": code, "direction": item.direction}
    lo, hi = item.range if item.range is not None else (np.nan, np.nan)
    if item.direction == "range":
        ok = verified and not np.isnan(lo)
        return [base | {"limit": np.nan, "limit_low": lo, "limit_high": hi, "verified": ok, "cond_var": None}]
    variants: list[tuple[tuple[str | None, str | None, Any], list[float]]]
    variants = [(_condition(v.condition), v.limits) for v in item.variants or []]
    if not variants:
        variants = [((None, None, None), item.limits or [])]
    rows = []
    for (var, op, value), limits in variants:
        limit = limits[k] if k >= 0 and limits else np.nan
        cond = {"cond_var": var, "cond_op": op, "cond_value": value}
        rows.append(base | cond | {"limit": limit, "limit_low": lo, "limit_high": hi})
        rows[-1]["verified"] = verified and not np.isnan(limit)
    return rows


def limit_table(pairs: pd.DataFrame) -> pd.DataFrame:
    """Every item's limit row(s) for each distinct (standard, standard_class) in ``pairs``.

    Items with variants (NH3-N by water temperature, TP by build date) have one row per variant
    with its parsed condition; ``verified`` is False when the standard or the item is not verified
    or the class has no limit.

    Examples
    --------
    >>> t = limit_table(pd.DataFrame({"standard": ["gb18918_2002"], "standard_class": ["一级A"]}))
    >>> t[t.property_code == "nh3n"][["cond_op", "limit"]].values.tolist()
    [['>', 5.0], ['<=', 8.0]]
    """
    rows: list[dict[str, Any]] = []
    for name, klass in pairs[["standard", "standard_class"]].drop_duplicates().itertuples(index=False):
        if not name:
            continue
        std = load_standard(name)
        for code in std.items:
            rows += _item_rows(std, name, klass, code)
    frame = pd.DataFrame(rows).reindex(columns=list(LIMIT_COLUMNS))
    text = ("standard", "standard_class", "property_code", "direction", "cond_var", "cond_op")
    return frame.astype(dict.fromkeys(text, object)) if frame.empty else frame


def standard_hash(names: list[str]) -> str:
    """Hash of the standard files used, so editing a limit invalidates stored results."""
    folder = resources.files("liuyu.assess").joinpath("standards")
    text = "".join(folder.joinpath(f"{n}.toml").read_text(encoding="utf-8") for n in sorted(set(names)) if n)
    return hashlib.sha256(text.encode()).hexdigest()[:12]
