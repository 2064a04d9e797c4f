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
    from shapely.geometry.base import BaseGeometry

    from liuyu.catalog import Category
    from liuyu.store.query import FeatureQuery, FeatureRows, LayerExtent

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
    ``area`` (a shapely polygon in the storage CRS, EPSG:4490) replaces the features whose
    representative point lies in it, e.g. a key area surveyed in finer detail; with both set,
    a feature must meet both. ``None`` (the default for writes) replaces the whole layer.
    """

    jurisdiction: str | None = None
    area: BaseGeometry | None = None

    @property
    def label(self) -> str | None:
        """How a version records its scope: "hebei", "area(minx,miny,maxx,maxy)" or both."""
        parts = [self.jurisdiction] if self.jurisdiction else []
        if self.area is not None:
            parts.append("area(" + ",".join(f"{v:.4f}" for v in self.area.bounds) + ")")
        return " & ".join(parts) or None


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

    # --- feature queries (the HTTP API's reads: one page at a time) ---------------------
    def query_features(self, category: Category, query: FeatureQuery, *, count: bool = False) -> FeatureRows:
        """One page of the features matching ``query``, in a stable order across pages.

        ``count=True`` also sets ``number_matched``, from the same snapshot as the page.
        """
        ...

    def count_features(self, category: Category, query: FeatureQuery) -> int:
        """How many features match ``query`` (its limit and offset ignored)."""
        ...

    def get_feature(self, category: Category, key: str, *, version: int | None = None) -> FeatureRows | None:
        """The feature with this key in ``version`` (current when None), with ``extra``; None if absent."""
        ...

    def layer_extent(self, category: Category) -> LayerExtent:
        """The bbox (storage CRS) and time interval of the layer, cheap enough for every request."""
        ...

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
        history: bool = False,
    ) -> pd.DataFrame:
        """The latest revision of each (series, time); ``history=True`` gives every revision, so a
        reader can show a corrected value next to the original."""
        ...

    def correct_observations(self, corrections: pd.DataFrame, *, user: str = "liuyu") -> int:
        """Corrected values as new revisions (the old ones kept, each change audited); returns how many."""
        ...

    def rerun_qc(
        self, *, station_code: str | None = None, property_code: str | None = None, user: str = "liuyu"
    ) -> dict[str, Any]:
        """QC over whole stored series; changed flags stored as new revisions (checked, changed, flags)."""
        ...

    def series(self) -> pd.DataFrame: ...

    # --- quarantine: features ingests rejected ----------------------------------------
    def add_quarantine(self, records: pd.DataFrame, *, user: str = "liuyu") -> int:
        """Keep rejected features (columns of ``liuyu.ingest.quarantine.COLUMNS``); returns new rows.

        Re-adding the same rejection (category, source checksum, row, reason, field) is a no-op.
        """
        ...

    def quarantine(
        self,
        *,
        ingest_id: str | None = None,
        category: str | None = None,
        record_id: int | None = None,
        limit: int | None = None,
    ) -> pd.DataFrame:
        """Quarantine records (with their ``id``), newest first."""
        ...

    def quarantine_summary(self, *, category: str | None = None) -> pd.DataFrame:
        """One row per ingest that rejected features: ingest_id, category, created_at, source, n, reasons."""
        ...

    # --- audit -----------------------------------------------------------------------
    def audit_log(
        self,
        *,
        target: str | None = None,
        limit: int | None = 1000,
        user: str | None = None,
        action: str | None = None,
        since: str | None = None,
        until: str | None = None,
    ) -> pd.DataFrame:
        """Audit entries, newest first, filtered as :func:`liuyu.store.audit.query` explains."""
        ...


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
