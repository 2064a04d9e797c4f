"""Hydrological seasons (丰/平/枯水期) and the flood season (汛期) as data: months per season.

GB 3838-2002 §5.2 asks for evaluation by season where the seasons are distinct, but gives no
months; the defaults in ``seasons.toml`` are a documented assumption for North China that a
workspace replaces with ``[assess.seasons]`` in liuyu.toml (see that file's header).
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from liuyu.errors import ConfigError

#: The three seasons that split a year; their months must not overlap.
PARTITION = ("wet", "normal", "dry")


@dataclass(frozen=True)
class Season:
    """A named set of local months of one calendar year."""

    code: str
    name_zh: str
    name_en: str
    months: tuple[int, ...]
    confidence: str = "U"
    overlapping: bool = False


def _months(code: str, value: Any) -> tuple[int, ...]:
    ok = isinstance(value, list) and value and all(isinstance(m, int) and 1 <= m <= 12 for m in value)
    if not ok or len(set(value)) != len(value):
        raise ConfigError(
            f"season {code!r}: months {value!r} must be distinct month numbers 1-12",
            hint=f"write e.g. {code} = [6, 7, 8, 9] under [assess.seasons] in liuyu.toml",
        )
    return tuple(sorted(value))


@cache
def default_seasons() -> dict[str, Season]:
    """The packaged seasons (``assess/seasons.toml``), by code."""
    text = resources.files("liuyu.assess").joinpath("seasons.toml").read_text(encoding="utf-8")
    raw = tomllib.loads(text)["seasons"]
    return {
        code: Season(
            code,
            s["name_zh"],
            s["name_en"],
            _months(code, s["months"]),
            s.get("confidence", "U"),
            bool(s.get("overlapping", False)),
        )
        for code, s in raw.items()
    }


def load_seasons(overrides: Mapping[str, list[int]] | None = None) -> dict[str, Season]:
    """The packaged seasons with a workspace's months put over them (new codes are new seasons).

    Overridden months are the user's, so their confidence is "config". Raises ConfigError when
    the wet, normal and dry seasons share a month.

    Examples
    --------
    >>> load_seasons({"wet": [7, 8, 9]})["wet"].months
    (7, 8, 9)
    """
    seasons = dict(default_seasons())
    for code, months in (overrides or {}).items():
        if not code.isidentifier() or code != code.lower():
            raise ConfigError(
                f"season code {code!r} must be a lower-case identifier", hint="e.g. wet, dry, ice"
            )
        base = seasons.get(code)
        seasons[code] = Season(
            code,
            base.name_zh if base else code,
            base.name_en if base else code,
            _months(code, months),
            "config",
            base.overlapping if base else True,
        )
    seen: dict[int, str] = {}
    for code in PARTITION:
        for m in seasons[code].months if code in seasons else ():
            if m in seen:
                raise ConfigError(
                    f"month {m} is in both the {seen[m]} and the {code} season",
                    hint="give each month to one of wet, normal and dry in [assess.seasons]",
                )
            seen[m] = code
    return seasons
