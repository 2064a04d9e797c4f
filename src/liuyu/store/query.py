"""A backend-neutral description of a feature query (filters, paging, version) and of its result.

The HTTP API builds these from OGC API parameters and CQL2; each store backend translates them
to its own SQL (SQLite with an R-tree for the GeoPackage, PostGIS later). No SQL crosses the
Store protocol, only these values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

if TYPE_CHECKING:
    import geopandas as gpd
    import shapely

Scalar = str | int | float | bool
CompareOp = Literal["=", "<>", "<", "<=", ">", ">="]
SpatialOp = Literal[
    "intersects", "disjoint", "contains", "within", "touches", "crosses", "overlaps", "equals"
]
SPATIAL_OPS: tuple[SpatialOp, ...] = (
    "intersects",
    "disjoint",
    "contains",
    "within",
    "touches",
    "crosses",
    "overlaps",
    "equals",
)


@dataclass(frozen=True)
class FieldRef:
    """A reference to another property, for property-to-property comparisons (``a = b``)."""

    name: str


@dataclass(frozen=True)
class Compare:
    """``field op value``. Dates and timestamps are ISO strings, as the store keeps them."""

    op: CompareOp
    field: str
    value: Scalar | FieldRef


@dataclass(frozen=True)
class Between:
    field: str
    low: Scalar
    high: Scalar


@dataclass(frozen=True)
class Like:
    """A CQL2 LIKE: ``%`` any run of characters, ``_`` one character, ``\\`` escapes; case-sensitive."""

    field: str
    pattern: str


@dataclass(frozen=True)
class In:
    field: str
    values: tuple[Scalar, ...]


@dataclass(frozen=True)
class IsNull:
    field: str


@dataclass(frozen=True)
class BBox:
    """Features whose geometry intersects this box (storage CRS, x = longitude); the R-tree proposes."""

    minx: float
    miny: float
    maxx: float
    maxy: float


@dataclass(frozen=True, eq=False)
class Spatial:
    """An exact spatial relation between a feature's geometry and ``geometry`` (storage CRS, x/y)."""

    op: SpatialOp
    geometry: shapely.Geometry


@dataclass(frozen=True)
class And:
    items: tuple[Expr, ...]


@dataclass(frozen=True)
class Or:
    items: tuple[Expr, ...]


@dataclass(frozen=True)
class Not:
    item: Expr


Expr = Compare | Between | Like | In | IsNull | BBox | Spatial | And | Or | Not


def all_of(*items: Expr | None) -> Expr | None:
    """The conjunction of the given conditions, skipping None; None when there are none."""
    present = tuple(i for i in items if i is not None)
    if not present:
        return None
    return present[0] if len(present) == 1 else And(present)


@dataclass(frozen=True)
class FeatureQuery:
    """Which features to read: a condition, a page (``limit``/``offset``) and the version ("as of")."""

    where: Expr | None = None
    limit: int = 10
    offset: int = 0
    version: int | None = None


@dataclass
class FeatureRows:
    """A page of features as columns: cheap to produce from SQL and to serialize as GeoJSON.

    ``number_matched`` is the count of all matching features when it was asked for.
    ``rows`` holds the property values (JSON-ready Python values: str, int, float, bool, None) in
    the order of ``columns``; ``geometry`` the shapely geometries in the storage CRS; ``extra``
    the JSON text of the unmapped delivered attributes when it was asked for.
    """

    keys: list[str]
    geometry: np.ndarray
    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]
    extra: list[str | None] | None = None
    version_from: list[int] = field(default_factory=list)
    number_matched: int | None = None

    def __len__(self) -> int:
        return len(self.keys)

    def to_frame(self, crs: str = "EPSG:4490") -> gpd.GeoDataFrame:
        """The page as a GeoDataFrame indexed by feature key (for Python users and tests)."""
        import geopandas as gpd
        import pandas as pd

        df = pd.DataFrame.from_records(self.rows, columns=list(self.columns), index=pd.Index(self.keys))
        return gpd.GeoDataFrame(df, geometry=gpd.GeoSeries(self.geometry, index=df.index), crs=crs)


@dataclass(frozen=True)
class LayerExtent:
    """Where and when a layer's current features are: a bbox (storage CRS) and a time interval."""

    bbox: tuple[float, float, float, float] | None
    interval: tuple[str | None, str | None] | None = None
