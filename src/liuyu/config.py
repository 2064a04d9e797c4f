"""The workspace file liuyu.toml: read, validated with messages that name the key, and written."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Literal

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
    location: str = Field(
        default="liuyu.gpkg",
        description="A GeoPackage in the workspace folder, or postgresql://user@host:port/db?schema=NAME",
    )

    @field_validator("location")
    @classmethod
    def _location(cls, v: str) -> str:
        from liuyu.errors import StoreError
        from liuyu.store.location import is_server_location, split_location

        if is_server_location(v):  # other schemes: third-party backends (open_store names them)
            try:
                split_location(v)
            except StoreError as exc:
                raise ValueError(f"{exc.message}; {exc.hint}") from exc
        return v


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


class AssessConfig(BaseModel):
    """Settings of the water-quality assessment that the standards leave open (shared/DOMAIN.md §1)."""

    model_config = ConfigDict(extra="forbid")
    seasons: dict[str, list[int]] = Field(
        default_factory=dict,
        description="Months of the seasons (wet, normal, dry, flood, or new codes) over assess/seasons.toml",
    )
    lake_averaging: Literal["time_then_space", "pooled"] = Field(
        default="time_then_space",
        description="Lakes/reservoirs: mean per point over time, then over the points (2011 method, [U]); "
        "or one mean of all samples",
    )


class AlertsConfig(BaseModel):
    """Where new alerts are sent (``liuyu alerts check``); channels: entry points ``liuyu.alert_channels``."""

    model_config = ConfigDict(extra="forbid")
    channels: list[str] = Field(default_factory=lambda: ["log", "webhook"])
    webhook_url: str | None = Field(default=None, description="POST each new alert as JSON to this URL")
    timeout: float = Field(default=10.0, gt=0, description="Seconds to wait for the webhook")
    retries: int = Field(default=3, ge=0, description="Further attempts after a failed POST")
    backoff: float = Field(default=1.0, ge=0, description="Seconds before the first retry, doubling")


class LedgerConfig(BaseModel):
    """The problem ledger (``liuyu ledger``): limits of photo uploads."""

    model_config = ConfigDict(extra="forbid")
    photo_max_bytes: int = Field(default=10 * 1024**2, gt=0, description="Largest photo accepted, bytes")


class ServerConfig(BaseModel):
    """Limits of the HTTP server (``liuyu serve``): request bodies larger than these get 413."""

    model_config = ConfigDict(extra="forbid")
    max_upload_bytes: int = Field(
        default=2 * 1024**3, gt=0, description="Largest file upload (multipart: POST /api/ingest, photos)"
    )
    max_body_bytes: int = Field(
        default=16 * 1024**2, gt=0, description="Largest body of any other request (JSON)"
    )


class AccessConfig(BaseModel):
    """Access: who the API acts as while the store has no users (local mode), who sees which layer,
    and the limits of web logins. Once a user exists (``liuyu user add``) accounts are enforced."""

    model_config = ConfigDict(extra="forbid")
    user: str = Field(default="local", description="Local mode: user of requests without X-Liuyu-User")
    role: Literal["admin", "editor", "viewer"] = "admin"
    jurisdiction: str = Field(default="basin", description="beijing, hebei, ... or basin (everything)")
    trust_headers: bool = Field(
        default=True, description="Local mode: take X-Liuyu-User/-Role/-Jurisdiction headers as the caller"
    )
    public: list[str] = Field(
        default_factory=list, description="Layers (or datasets such as stations) readable without login"
    )
    shared: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Layer or dataset -> the jurisdictions it is shared with (default: basin-wide)",
    )
    session_hours: float = Field(default=12.0, gt=0, description="Lifetime of a web login session")
    login_max_failures: int = Field(
        default=5, ge=1, description="Failed logins (user + address) before a wait"
    )
    login_window_minutes: float = Field(default=15.0, gt=0, description="Window of the failed-login count")
    secure_cookies: bool = Field(default=False, description="Mark cookies Secure (serve over HTTPS)")


class ReservoirLevels(BaseModel):
    """Characteristic levels of one level station (m), judged by ``liuyu warnings``.

    The warning levels themselves are data: manage/warning_rules.toml.
    """

    model_config = ConfigDict(extra="forbid")
    station: str = Field(description="Code of the level station, e.g. the Miyun dam gauge")
    flood_limit_m: float | None = Field(
        default=None, description="Flood-season limit level 汛限水位, e.g. 147.0"
    )
    normal_pool_m: float | None = Field(default=None, description="Normal pool level 正常蓄水位, e.g. 157.5")


class WarningsConfig(BaseModel):
    """Rain and level warnings (liuyu.manage.warnings): per-station levels, evaluation on ingest."""

    model_config = ConfigDict(extra="forbid")
    on_ingest: bool = Field(default=True, description="Evaluate the warnings after each observation ingest")
    levels: list[ReservoirLevels] = Field(default_factory=list)


class WorkspaceConfig(BaseModel):
    """Everything in liuyu.toml. Unknown keys are errors, so a typo never passes silently."""

    model_config = ConfigDict(extra="forbid")
    basin: BasinConfig
    crs: CRSConfig = CRSConfig()
    store: StoreConfig = StoreConfig()
    jurisdictions: list[Jurisdiction] = Field(default_factory=list)
    map: MapConfig = MapConfig()
    catalog: CatalogConfig = CatalogConfig()
    alerts: AlertsConfig = AlertsConfig()
    assess: AssessConfig = AssessConfig()
    warnings: WarningsConfig = WarningsConfig()
    ledger: LedgerConfig = LedgerConfig()
    server: ServerConfig = ServerConfig()
    access: AccessConfig = AccessConfig()

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
