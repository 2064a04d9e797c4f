"""The Store protocol every backend (GeoPackage, PostGIS) implements, and its value types."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from liuyu.errors import StoreError

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd

    from liuyu.catalog import Category

#: Columns the store adds to every category table; category fields may not use these names.
SYSTEM_COLUMNS = (
    "fid",
    "geom",
    "feature_key",
    "content_hash",
    "version_from",
    "version_to",
    "jurisdiction",
    "extra",
)


def utc_now() -> str:
    """The current time as an ISO-8601 UTC string with a trailing Z, as GeoPackage writes it."""
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class Provenance:
    """Where a version came from: kept with every version so any feature can be traced back."""

    user: str = "liuyu"
    agency: str | None = None
    jurisdiction: str | None = None
    source_name: str | None = None
    source_checksum: str | None = None
    licence: str | None = None
    note: str | None = None
    kind: str = "ingest"
    report: dict[str, Any] | None = None


@dataclass(frozen=True)
class Scope:
    """Which part of a layer a write replaces; features outside it are left as they are.

    A delivery from Hebei replaces Hebei's features only: ``Scope(jurisdiction="hebei")``.
    ``None`` (the default for writes) replaces the whole layer.
    """

    jurisdiction: str | None = None


@dataclass(frozen=True)
class VersionInfo:
    """One version of one category, with its provenance and what it changed."""

    category: str
    version: int
    created_at: str
    provenance: Provenance
    n_features: int
    n_added: int
    n_changed: int
    n_removed: int
    scope: str | None = None


@dataclass
class LayerDiff:
    """What changed between two versions of a layer, by feature key."""

    category: str
    from_version: int
    to_version: int
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not (self.added or self.removed or self.changed)

    def summary(self) -> dict[str, int]:
        return {"added": len(self.added), "removed": len(self.removed), "changed": len(self.changed)}


@dataclass(frozen=True)
class RasterVersion:
    """A registered raster file (a Cloud-Optimized GeoTIFF in the workspace) and its version."""

    category: str
    version: int
    path: str  # relative to the workspace root
    checksum: str
    crs: str
    bounds: tuple[float, float, float, float]
    width: int
    height: int
    unit: str | None


@runtime_checkable
class Store(Protocol):
    """What Liuyu needs from a backend. Writes are atomic: all or nothing."""

    def close(self) -> None: ...

    # --- versioned layers -------------------------------------------------------------
    def write_layer(
        self,
        category: Category,
        frame: gpd.GeoDataFrame,
        provenance: Provenance,
        *,
        scope: Scope | None = None,
    ) -> VersionInfo | None: ...

    def read_layer(
        self,
        category: Category,
        *,
        version: int | None = None,
        bbox: tuple[float, float, float, float] | None = None,
        jurisdiction: str | None = None,
    ) -> gpd.GeoDataFrame: ...

    def count(self, category: Category, *, version: int | None = None) -> int: ...

    def versions(self, code: str) -> list[VersionInfo]: ...

    def current_version(self, code: str) -> int | None: ...

    def diff(self, category: Category, from_version: int, to_version: int) -> LayerDiff: ...

    def rollback(self, category: Category, to_version: int, provenance: Provenance) -> VersionInfo: ...

    # --- rasters ---------------------------------------------------------------------
    def register_raster(self, raster: RasterVersion, provenance: Provenance) -> VersionInfo: ...

    def raster(self, code: str, version: int | None = None) -> RasterVersion | None: ...

    # --- network ---------------------------------------------------------------------
    def upsert_properties(self, properties: pd.DataFrame) -> int: ...

    def append_observations(self, observations: pd.DataFrame, provenance: Provenance) -> int: ...

    def read_observations(
        self,
        *,
        station_code: str | None = None,
        property_code: str | None = None,
        start: dt.datetime | None = None,
        end: dt.datetime | None = None,
    ) -> pd.DataFrame: ...

    def series(self) -> pd.DataFrame: ...

    # --- audit -----------------------------------------------------------------------
    def audit_log(self, *, target: str | None = None, limit: int = 1000) -> pd.DataFrame: ...


def open_store(location: str, root: Path, *, create: bool = False) -> Store:
    """Open the store a workspace names: a path to a .gpkg, or (later) a postgresql:// URL.

    Backends are found through the ``liuyu.store_backends`` entry point group, keyed by URL
    scheme (``gpkg`` for plain paths), so a third party can add one without touching Liuyu.
    """
    scheme = location.split("://", 1)[0] if "://" in location else "gpkg"
    found = {ep.name: ep for ep in entry_points(group="liuyu.store_backends")}
    if scheme not in found:
        raise StoreError(
            f"no store backend for {location!r} (scheme {scheme!r})",
            hint=f"installed backends: {', '.join(sorted(found)) or 'none'}; "
            "reinstall Liuyu (`pip install -e .`) if this list is empty",
        )
    backend = found[scheme].load()
    store: Store = backend.open(location, root, create=create)
    return store
