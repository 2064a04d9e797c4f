"""Standards as data: load and validate the TOML files under ``assess/standards/``."""

from __future__ import annotations

import datetime as dt
import math
import tomllib
from functools import cache
from importlib import resources
from typing import Any, Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from liuyu.errors import ConfigError

Direction = Literal["le", "ge", "range", "none"]


class Variant(BaseModel):
    """Limits that apply under a stated condition (water temperature, build date, ...)."""

    model_config = ConfigDict(extra="forbid")
    condition: str
    limits: list[float]


class Item(BaseModel):
    """One controlled item of a standard: its direction and its limits per class."""

    model_config = ConfigDict(extra="forbid")
    name_zh: str
    unit: str
    direction: Direction
    table: int | None = None
    limits: list[float] | None = None
    limits_by_water_type: dict[str, list[float]] | None = None
    variants: list[Variant] | None = None
    range: tuple[float, float] | None = None
    single_limit: float | None = None
    water_types: list[str] | None = None
    verified: bool = True
    confidence: str | None = None
    note: str | None = None

    @property
    def is_classed(self) -> bool:
        """True when the item has limits per class (or a range) the engine can classify on."""
        return self.limits is not None or self.limits_by_water_type is not None or self.range is not None

    def limit_rows(self) -> list[list[float]]:
        rows = [self.limits] if self.limits is not None else []
        rows += list((self.limits_by_water_type or {}).values())
        rows += [v.limits for v in self.variants or []]
        return rows


class Standard(BaseModel):
    """A whole standard file: metadata, evaluation rules (if any) and items."""

    model_config = ConfigDict(extra="forbid")
    code: str
    title: str
    kind: Literal["surface_water_quality", "discharge"]
    source: str
    confidence: str
    effective: dt.date
    verified: bool
    classes: list[str]
    worse_than_last: str | None = None
    water_types: list[str] | None = None
    note: str | None = None
    evaluation: dict[str, Any] = {}
    items: dict[str, Item]

    @model_validator(mode="after")
    def _check_limits(self) -> Standard:
        for code, item in self.items.items():
            for row in item.limit_rows():
                _check_row(code, item.direction, row, len(self.classes))
            if item.limits_by_water_type and self.water_types:
                unknown = set(item.limits_by_water_type) - set(self.water_types)
                if unknown:
                    raise ValueError(f"items.{code}: unknown water type(s) {sorted(unknown)}")
        return self

    def item(self, code: str) -> Item:
        try:
            return self.items[code]
        except KeyError:
            raise ConfigError(
                f"{self.code} has no item {code!r}", hint=f"known items: {', '.join(self.items)}"
            ) from None


def _check_row(code: str, direction: str, row: list[float], n_classes: int) -> None:
    if len(row) != n_classes:
        raise ValueError(f"items.{code}: {len(row)} limits for {n_classes} classes")
    finite = [v for v in row if not math.isnan(v)]
    ordered = sorted(finite, reverse=direction == "ge")
    if finite != ordered:
        order = "non-increasing" if direction == "ge" else "non-decreasing"
        raise ValueError(f"items.{code}: limits {row} must be {order} from the best class to the worst")


def _files() -> dict[str, Any]:
    folder = resources.files("liuyu.assess").joinpath("standards")
    return {p.name.removesuffix(".toml"): p for p in folder.iterdir() if p.name.endswith(".toml")}


def available_standards() -> list[str]:
    """Names of the bundled standard files, e.g. ``["db11_1612_2019", "gb18918_2002", ...]``."""
    return sorted(_files())


@cache
def load_standard(name: str) -> Standard:
    """Load and validate one bundled standard by file name (``"gb3838_2002"``).

    Examples
    --------
    >>> load_standard("gb3838_2002").items["do"].direction
    'ge'
    """
    files = _files()
    if name not in files:
        raise ConfigError(f"no standard file named {name!r}", hint=f"available: {', '.join(sorted(files))}")
    path = files[name]
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        return Standard(**raw["standard"], evaluation=raw.get("evaluation", {}), items=raw.get("items", {}))
    except (tomllib.TOMLDecodeError, KeyError) as exc:
        raise ConfigError(f"{path.name}: malformed standard file ({exc})", hint="fix the TOML") from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"{path.name}: {where}: {first['msg']}", hint="fix the standard file") from exc


class Limit(NamedTuple):
    """One limit looked up in a standard; ``verified`` False means report it as "unverified"."""

    value: float
    verified: bool


def limit_for(standard: Standard, code: str, klass: str, variant: str | None = None) -> Limit:
    """The limit of ``code`` for class ``klass`` (by name); NaN and unverified when not known.

    ``variant`` selects among ``variants`` by their condition text, or a water type for items
    whose limits depend on it.
    """
    item = standard.item(code)
    verified = standard.verified and item.verified
    if klass not in standard.classes:
        return Limit(math.nan, False)
    row = _row(item, variant)
    value = math.nan if row is None else row[standard.classes.index(klass)]
    return Limit(value, verified and not math.isnan(value))


def _row(item: Item, variant: str | None) -> list[float] | None:
    if variant is None:
        return item.limits
    if item.limits_by_water_type and variant in item.limits_by_water_type:
        return item.limits_by_water_type[variant]
    for v in item.variants or []:
        if v.condition == variant:
            return v.limits
    raise ConfigError(f"item has no limits for {variant!r}", hint="use a water type or a variant condition")
