"""Stores: the Store protocol and its backends (GeoPackage embedded default; PostGIS later)."""

from liuyu.store.base import (
    LayerDiff,
    Provenance,
    RasterVersion,
    Scope,
    Store,
    VersionInfo,
    open_store,
)

__all__ = ["LayerDiff", "Provenance", "RasterVersion", "Scope", "Store", "VersionInfo", "open_store"]
