"""The raster catalogue of the GeoPackage store: COG files in the workspace, versioned here."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable
from typing import Any

from liuyu.store.base import Provenance, RasterVersion, VersionInfo, utc_now


class RasterTables:
    """Mixin for GpkgStore: which COG file is which version of a raster category."""

    conn: sqlite3.Connection
    transaction: Callable[[], contextlib.AbstractContextManager[sqlite3.Connection]]
    current_version: Callable[[str], int | None]
    _record_version: Callable[[sqlite3.Connection, VersionInfo], None]

    def register_raster(self, raster: RasterVersion, provenance: Provenance) -> VersionInfo:
        with self.transaction() as conn:
            new = (self.current_version(raster.category) or 0) + 1
            prev = self.raster(raster.category)
            conn.execute(
                "INSERT INTO liuyu_rasters VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    raster.category,
                    new,
                    raster.path,
                    raster.checksum,
                    raster.crs,
                    *raster.bounds,
                    raster.width,
                    raster.height,
                    raster.unit,
                ),
            )
            info = VersionInfo(
                raster.category, new, utc_now(), provenance, 1, int(prev is None), int(prev is not None), 0
            )
            self._record_version(conn, info)
        return info

    def raster(self, code: str, version: int | None = None) -> RasterVersion | None:
        sql = "SELECT * FROM liuyu_rasters WHERE category = ?"
        params: tuple[Any, ...] = (code,)
        if version is not None:
            sql += " AND version = ?"
            params += (version,)
        row = self.conn.execute(sql + " ORDER BY version DESC LIMIT 1", params).fetchone()
        if row is None:
            return None
        return RasterVersion(
            row[0], row[1], row[2], row[3], row[4], (row[5], row[6], row[7], row[8]), row[9], row[10], row[11]
        )
