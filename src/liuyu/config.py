"""The workspace file liuyu.toml: read, validated with messages that name the key, and written."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import tomli_w
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from liuyu.errors import ConfigError

CONFIG_NAME = "liuyu.toml"


def _check_crs(value: str) -> str:
    from pyproj import CRS
    from pyproj.exceptions import CRSError as ProjCRSError

    try:
        CRS.from_user_input(value)
    except ProjCRSError as exc:
        raise ValueError(f'unknown CRS {value!r}; write e.g. "EPSG:4548"') from exc
    return value


class BasinConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(description="Basin name as users know it, e.g. 密云水库流域")
    name_en: str = ""
    boundary_category: str = "basin"


class CRSConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    storage: str = "EPSG:4490"
    analysis: str = "EPSG:4548"

    @field_validator("storage", "analysis")
    @classmethod
    def _valid(cls, v: str) -> str:
        return _check_crs(v)

    @field_validator("storage")
    @classmethod
    def _cgcs2000(cls, v: str) -> str:
        if v.upper() != "EPSG:4490":
            raise ValueError('Liuyu stores in CGCS2000 geographic; write storage = "EPSG:4490"')
        return v


class StoreConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    location: str = "liuyu.gpkg"


class Jurisdiction(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str
    name_zh: str
    name_en: str

    @field_validator("code")
    @classmethod
    def _code(cls, v: str) -> str:
        if not v.isidentifier() or v != v.lower():
            raise ValueError(f'jurisdiction code {v!r} must be a lower-case identifier such as "hebei"')
        return v


class MapConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    basemap_url: str | None = None


class CatalogConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    stale_after_days: int = Field(
        default=365, ge=1, description="Data older than this is flagged stale in the catalogue"
    )


class WorkspaceConfig(BaseModel):
    """Everything in liuyu.toml. Unknown keys are errors, so a typo never passes silently."""

    model_config = ConfigDict(extra="forbid")
    basin: BasinConfig
    crs: CRSConfig = CRSConfig()
    store: StoreConfig = StoreConfig()
    jurisdictions: list[Jurisdiction] = Field(default_factory=list)
    map: MapConfig = MapConfig()
    catalog: CatalogConfig = CatalogConfig()

    @field_validator("jurisdictions")
    @classmethod
    def _unique(cls, v: list[Jurisdiction]) -> list[Jurisdiction]:
        codes = [j.code for j in v]
        dup = {c for c in codes if codes.count(c) > 1}
        if dup:
            raise ValueError(f"jurisdiction codes appear twice: {sorted(dup)}")
        return v

    def jurisdiction_codes(self) -> list[str]:
        return [j.code for j in self.jurisdictions]


DEFAULT_JURISDICTIONS = [
    Jurisdiction(code="beijing", name_zh="北京市", name_en="Beijing"),
    Jurisdiction(code="hebei", name_zh="河北省", name_en="Hebei"),
]


def _explain(exc: ValidationError, path: Path) -> str:
    lines = []
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"])
        if err["type"] == "extra_forbidden":
            lines.append(f"  {key}: unknown key (a typo?)")
        elif err["type"] == "missing":
            lines.append(f"  {key}: missing, it is required")
        else:
            lines.append(f"  {key}: {err['msg']}")
    return f"{path} is not a valid workspace configuration:\n" + "\n".join(lines)


def load_config(path: Path) -> WorkspaceConfig:
    """Read and validate liuyu.toml; every problem names its key and says what to write."""
    if not path.exists():
        raise ConfigError(f"{path} is missing", hint="create a workspace with `liuyu init PATH`")
    try:
        data: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"{path} is not valid TOML: {exc}",
            hint="fix the line named, or compare with `liuyu init`'s output",
        ) from exc
    try:
        return WorkspaceConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(
            _explain(exc, path), hint="see the keys `liuyu init` writes; the README lists them all"
        ) from exc


def save_config(config: WorkspaceConfig, path: Path) -> None:
    data = config.model_dump(exclude_none=True)
    path.write_text(tomli_w.dumps(data), encoding="utf-8")
