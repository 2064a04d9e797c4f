"""What a reader hands to the ingest pipeline: the features of one delivered file, as found."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import geopandas as gpd
import numpy as np
from pyproj import CRS

if TYPE_CHECKING:
    from liuyu.ingest.safety import Archive


@dataclass
class Problem:
    """One thing wrong with one row (or the whole file), kept for the report and the quarantine.

    ``row`` is the 1-based feature or row number in the source file (None for the whole file);
    ``field`` the source field name as delivered; ``value`` the offending value as text.
    """

    reason: str
    row: int | None = None
    field: str | None = None
    value: str | None = None
    severity: str = "error"  # "error": the row is quarantined; "warning": kept, reported


@dataclass
class Delivery:
    """One layer of a delivered file, read but not yet standardized.

    ``frame`` keeps the source's own field names and values; ``rows`` holds each feature's
    1-based row number in the source, so every later problem can name the row the agency
    sees in its own file. ``crs`` is None when the file does not say (the pipeline then asks
    for --crs and lists candidates). Rows the reader itself could not read are in
    ``problems`` and not in ``frame``; so ``len(frame) + rows rejected == rows in the file``.
    """

    source: Path
    format: str
    frame: gpd.GeoDataFrame
    rows: np.ndarray
    crs: CRS | None
    layer: str | None = None
    encoding: str | None = None
    raster: Path | None = None  # GeoTIFF deliveries: the (safe, extracted) file to store
    n_source_rows: int = 0
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    units: dict[str, str] = field(default_factory=dict)
    """Units found in a table's header, by source column (``流量(m³/s)`` → ``{"流量": "m³/s"}``)."""
    member: str | None = None
    """The file read inside a zipped delivery (``source`` is then the .zip), else None."""
    workdir: Archive | None = field(default=None, repr=False)
    """The private folder a zipped raster was extracted to; ``raster`` lives there until
    :meth:`close` (call it once the raster is stored)."""

    def close(self) -> None:
        """Remove the temporary files a zipped delivery was extracted to (if any)."""
        if self.workdir is not None:
            self.workdir.cleanup()
            self.workdir = None


class Reader(Protocol):
    """A format plug-in, registered under the ``liuyu.readers`` entry-point group."""

    name: str
    extensions: tuple[str, ...]

    def guess_can_open(self, path: Path) -> bool: ...

    def read(self, path: Path, *, layer: str | None = None, encoding: str | None = None) -> Delivery: ...
