"""Liuyu's own JSON routes behind the web map: configuration, catalogue, search, stations."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from liuyu.api import liuyu_catalog, liuyu_data
from liuyu.api.app import ogc_exception
from liuyu.api.deps import workspace
from liuyu.api.security import may_see
from liuyu.catalog import get_category
from liuyu.store.gpkg_tables import sql_conn
from liuyu.workspace import Workspace

router = APIRouter(prefix="/api", tags=["Liuyu"])
WorkspaceDep = Annotated[Workspace, Depends(workspace)]
StationCode = Annotated[str, Path(description="Station code (the `code` field of the stations layer)")]


class OGCException(BaseModel):
    """An OGC API exception body."""

    code: str
    description: str


NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": OGCException, "description": "Not found"}}


# --- /api/config -------------------------------------------------------------------------------
class Jurisdiction(BaseModel):
    code: str = Field(description="Lower-case code, e.g. `beijing`")
    name_zh: str
    name_en: str


class Basin(BaseModel):
    name_zh: str
    name_en: str
    boundary_category: str = Field(description="The category holding the basin boundary")


class MapConfig(BaseModel):
    basin: Basin
    jurisdictions: list[Jurisdiction]
    basemap_url: str | None = Field(
        description="Optional raster basemap tile URL template ({z}/{x}/{y}); null for a plain background"
    )
    bbox: list[float] | None = Field(
        description="The basin's extent [min lon, min lat, max lon, max lat] (CGCS2000), null when empty"
    )


@router.get("/config", response_model=MapConfig, summary="The map's configuration")
def get_config(ws: WorkspaceDep) -> dict[str, Any]:
    """Basin names, jurisdictions, the optional basemap and the basin's extent.

    The extent is that of the basin boundary layer, or else the union of all layer extents.
    """
    bbox = liuyu_data.basin_bbox(ws)
    return {
        "basin": {
            "name_zh": ws.config.basin.name,
            "name_en": ws.config.basin.name_en or ws.config.basin.name,
            "boundary_category": ws.config.basin.boundary_category,
        },
        "jurisdictions": [j.model_dump() for j in ws.config.jurisdictions],
        "basemap_url": ws.config.map.basemap_url,
        "bbox": None if bbox is None else list(bbox),
    }


# --- /api/catalog ------------------------------------------------------------------------------
class FieldInfo(BaseModel):
    name: str
    name_zh: str
    name_en: str
    unit: str | None
    codelist: str | None = Field(description="Code list whose values this field takes, if any")


class Cell(BaseModel):
    features: int = Field(description="Current features delivered for this jurisdiction")
    coverage: float | None = Field(
        description="Share (0-1) of the jurisdiction's part of the basin covered; only for categories "
        "that tile the basin, and rasters"
    )
    without_data: int | None = Field(description="Stations with no observations (stations only)")
    status: str = Field(description="present, partial or missing")
    updated: str | None = Field(description="Last version touching this jurisdiction (ISO UTC)")


class CategoryEntry(BaseModel):
    code: str = Field(description="Category code, also the collection id")
    name_zh: str
    name_en: str
    group: str
    geometry: str
    key: str | None = Field(description="The field that identifies a feature")
    version: int | None = Field(description="Current version, null when never loaded")
    features: int = Field(description="Current feature count (1 for a loaded raster)")
    updated: str | None = Field(description="When the current version was written (ISO UTC)")
    unassigned: int = Field(description="Current features with no jurisdiction")
    jurisdictions: dict[str, Cell]
    stale: list[str] = Field(
        default_factory=list,
        description="Jurisdictions whose data is older than the workspace's [catalog] stale_after_days",
    )
    report: str | None = Field(default=None, description="Relative URL of the last ingest report page")
    fields: list[FieldInfo]


class Catalog(BaseModel):
    jurisdictions: list[Jurisdiction]
    categories: list[CategoryEntry]
    codelists: dict[str, dict[str, list[str]]] = Field(
        description="Code lists the fields use: list code -> value -> [name_zh, name_en]"
    )


@router.get("/catalog", response_model=Catalog, summary="Categories, counts and completeness")
def get_catalog(ws: WorkspaceDep) -> dict[str, Any]:
    """Every category with its version, counts, last update and per-jurisdiction completeness."""
    return {
        "jurisdictions": [j.model_dump() for j in ws.config.jurisdictions],
        "categories": [e for e in liuyu_catalog.catalog_entries(ws) if may_see(e["code"])],
        "codelists": liuyu_catalog.codelist_values(),
    }


# --- /api/search -------------------------------------------------------------------------------
class Hit(BaseModel):
    category: str
    id: str = Field(description="The feature key (its id in /collections/{category}/items/{id})")
    name: str | None
    code: str | None
    bbox: list[float] | None = Field(description="[min lon, min lat, max lon, max lat]")
    point: list[float] | None = Field(description="[lon, lat] for point features")


class SearchResult(BaseModel):
    query: str
    hits: list[Hit]


@router.get("/search", response_model=SearchResult, summary="Find features by name or code")
def search(
    ws: WorkspaceDep,
    q: Annotated[str, Query(min_length=1, max_length=100, description="Part of a name or code")],
    limit: Annotated[int, Query(ge=1, le=100, description="Most hits returned")] = 20,
) -> dict[str, Any]:
    """Current features of every category with a name or code field; exact matches first."""
    return {"query": q, "hits": liuyu_data.search_features(sql_conn(ws.store), q, limit)}


# --- /api/labels -------------------------------------------------------------------------------
class PointGeometry(BaseModel):
    type: str = Field(description="Always Point")
    coordinates: list[float] = Field(description="[lon, lat]")


class LabelFeature(BaseModel):
    type: str = Field(description="Always Feature")
    id: str
    geometry: PointGeometry
    properties: dict[str, Any] = Field(description="`name` and `id` (the feature key)")


class LabelCollection(BaseModel):
    type: str = Field(description="Always FeatureCollection")
    category: str
    features: list[LabelFeature]


@router.get(
    "/labels/{category}",
    response_model=LabelCollection,
    responses=NOT_FOUND,
    summary="Where the map writes the names of a polygon layer",
)
def get_labels(
    ws: WorkspaceDep,
    category: Annotated[str, Path(description="A polygon category with a `name` field, e.g. `counties`")],
) -> Any:
    """One point inside each named polygon (GeoJSON, lon/lat), so each name is written once."""
    cat = get_category(category)
    if cat.geometry != "MultiPolygon" or "name" not in cat.field_names:
        return ogc_exception(
            404, f"{category} has no polygon names to label", "pick a polygon layer with names"
        )
    return {"type": "FeatureCollection", "category": category, "features": liuyu_data.label_points(ws, cat)}


# --- /api/stations -----------------------------------------------------------------------------
class Series(BaseModel):
    property: str = Field(description="Observed property code")
    method: str = Field(description="Method (lab, auto, gauge, ...); empty when unspecified")
    name_zh: str
    name_en: str
    unit: str | None
    count: int
    first: str | None = Field(description="First observation time (ISO UTC)")
    last: str | None = Field(description="Last observation time (ISO UTC)")


class Station(BaseModel):
    code: str
    id: str = Field(description="Feature key in /collections/stations/items/{id}")
    jurisdiction: str | None
    lon: float | None
    lat: float | None
    attributes: dict[str, Any] = Field(description="The station's fields (see the stations category)")
    series: list[Series]


def _station_missing(code: str) -> JSONResponse:
    return ogc_exception(404, f"no station with code {code!r}", "search for it with /api/search?q=...")


@router.get(
    "/stations/{code}", response_model=Station, responses=NOT_FOUND, summary="A station and its series"
)
def get_station(ws: WorkspaceDep, code: StationCode) -> Any:
    """The station's attributes and, for each of its series, the property, unit, count and time span."""
    feature = liuyu_data.station_feature(ws, code)
    if feature is None:
        return _station_missing(code)
    return {"code": code, **feature, "series": liuyu_data.station_series(ws, code)}


class Observation(BaseModel):
    time: str = Field(description="Phenomenon time, ISO-8601 UTC")
    value: float | None
    censor: str | None = Field(description="'<' when below the detection limit (value is the limit)")
    qc_flag: int = Field(description="0 good; other values are flags of the QC rules")
    method: str


class Observations(BaseModel):
    station: str
    property: str
    name_zh: str
    name_en: str
    unit: str | None
    observations: list[Observation]


@router.get(
    "/stations/{code}/observations",
    response_model=Observations,
    responses=NOT_FOUND,
    summary="A station's time series",
)
def get_observations(
    ws: WorkspaceDep,
    code: StationCode,
    property: Annotated[str, Query(description="Observed property code, e.g. `tp`")],
    start: Annotated[
        dt.datetime | None, Query(description="From this time on (ISO-8601; UTC when no zone is given)")
    ] = None,
    end: Annotated[dt.datetime | None, Query(description="Before this time (ISO-8601)")] = None,
) -> Any:
    """The latest revision of each observation of one property at one station, oldest first."""
    if liuyu_data.station_feature(ws, code) is None:
        return _station_missing(code)
    series = [s for s in liuyu_data.station_series(ws, code) if s["property"] == property]
    if not series:
        known = ", ".join(s["property"] for s in liuyu_data.station_series(ws, code)) or "none"
        return ogc_exception(404, f"station {code!r} has no series of {property!r}", f"its series: {known}")
    s = series[0]
    return {
        "station": code,
        "property": property,
        "name_zh": s["name_zh"],
        "name_en": s["name_en"],
        "unit": s["unit"],
        "observations": liuyu_data.station_observations(ws, code, property, start, end),
    }
