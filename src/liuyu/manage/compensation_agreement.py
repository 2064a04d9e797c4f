"""The compensation agreement file: amounts, weights, sections and rules as validated parameters.

The real formula of the Beijing–Hebei agreement is not public (shared/DOMAIN.md §6.1): an agreement
file is the authority's own parameters. The shipped ``agreements/miyun_example.toml`` is an example
and says so (``example = true``); statements computed from it carry the notice.
"""

from __future__ import annotations

import os
import tomllib
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from liuyu.errors import ConfigError

ROMAN = {"I": 1, "II": 2, "III": 3, "IV": 4, "V": 5}
EXAMPLE = "miyun_example"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Weights(_Strict):
    quantity: float = Field(ge=0)
    quality: float = Field(ge=0)
    control: float = Field(ge=0)

    @model_validator(mode="after")
    def _sum(self) -> Weights:
        if abs(self.quantity + self.quality + self.control - 1.0) > 1e-9:
            raise ValueError("weights quantity + quality + control must add up to 1")
        return self


class QuantityStation(_Strict):
    station: str = Field(description="Code or name of the flow station")
    baseline_1e8m3: float | None = Field(default=None, gt=0, description="Given annual baseline; else stored")
    note: str = ""


class Quantity(_Strict):
    property: str = "discharge"
    baseline_since: int = Field(default=2000, description="Baseline: mean annual inflow since this year")
    min_coverage: float = Field(default=0.8, ge=0, le=1, description="Share of days a baseline year needs")
    score_floor: float = 0.0
    score_cap: float = Field(default=1.2, gt=0)
    monthly_shares: list[float] = Field(default_factory=lambda: [1 / 12] * 12, min_length=12, max_length=12)
    stations: list[QuantityStation]


class Quality(_Strict):
    items: dict[str, float] = Field(description="Indicator weights, e.g. codmn, nh3n, tp")
    method: str = "lab"
    target_class: str = "II"
    penalty_per_class: float = Field(default=0.5, ge=0)
    floor_class: str | None = Field(
        default=None, description="Worse than this: the quantity part is withheld"
    )

    @field_validator("target_class", "floor_class")
    @classmethod
    def _roman(cls, v: str | None) -> str | None:
        if v is not None and v not in ROMAN:
            raise ValueError(f"class {v!r} must be one of {list(ROMAN)}")
        return v


class TNReward(_Strict):
    property: str = "tn"
    reward_per_percent_yuan: float = Field(ge=0)
    cap_yuan: float = Field(ge=0)


class ControlIndicator(_Strict):
    code: str
    name_zh: str
    name_en: str
    weight: float = Field(ge=0)
    direction: Literal["higher_better", "lower_better"] = "higher_better"


class County(_Strict):
    code: str
    name: str
    allotment_yuan: float = Field(ge=0, description="Annual amount at full score")
    quality_sections: list[str]
    quantity: dict[str, float] = Field(description="Flow station (code or name) → this county's share")


class Agreement(_Strict):
    """One agreement file (see agreements/miyun_example.toml for every key, commented)."""

    example: bool = False
    name_zh: str
    name_en: str
    notice_zh: str = ""
    notice_en: str = ""
    currency: str = "CNY"
    weights: Weights
    quantity: Quantity
    quality: Quality
    tn_reward: TNReward | None = None
    control: list[ControlIndicator] = Field(default_factory=list)
    counties: list[County] = Field(min_length=1)


def load_agreement(path: str | os.PathLike[str] | None = None) -> tuple[Agreement, str]:
    """The agreement at ``path`` (default: the shipped example) and the text it was read from."""
    if path is None:
        text = (
            resources.files("liuyu.manage").joinpath(f"agreements/{EXAMPLE}.toml").read_text(encoding="utf-8")
        )
        where = f"liuyu/manage/agreements/{EXAMPLE}.toml"
    else:
        p = Path(path)
        if not p.exists():
            raise ConfigError(
                f"agreement {p} does not exist", hint="copy agreements/miyun_example.toml and edit it"
            )
        text, where = p.read_text(encoding="utf-8"), str(p)
    try:
        return Agreement.model_validate(tomllib.loads(text)), where
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{where} is not valid TOML: {exc}", hint="fix the line named") from exc
    except ValidationError as exc:
        lines = [f"  {'.'.join(str(x) for x in e['loc'])}: {e['msg']}" for e in exc.errors()]
        raise ConfigError(
            f"{where} is not a valid agreement:\n" + "\n".join(lines),
            hint="compare with liuyu/manage/agreements/miyun_example.toml",
        ) from exc
