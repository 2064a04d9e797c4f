"""Routes of the analyses: zonal overlay, named cross-analyses and network coverage, as JSON or CSV.

GET computes and returns a result without storing anything; POST also stores its layer in the
catalogue (``analysis_zonal``, ``cross_hotspots``, ``network_gaps``), which OGC API Features and
Tiles then serve like any other collection.
"""

from __future__ import annotations

import io
import math
from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from liuyu.api.deps import workspace
from liuyu.api.ingest_routes import require_editor

if TYPE_CHECKING:
    import pandas as pd

    from liuyu.analysis.results import AnalysisResult

router = APIRouter(prefix="/api/analysis", tags=["Analysis"])


class OGCException(BaseModel):
    code: str
    description: str


class Result(BaseModel):
    """An analysis result with what is needed to reproduce it."""

    analysis: str
    params: dict[str, Any] = Field(description="The parameters the analysis ran with")
    inputs: dict[str, int | None] = Field(description="Input category → the version read")
    layer: str | None = Field(description="The derived layer written (POST only), else null")
    layer_version: int | None
    rows: list[dict[str, Any]] = Field(description="The result table")
    tables: dict[str, list[dict[str, Any]]] = Field(description="Further tables (coverage: density, gaps...)")


class CrossInfo(BaseModel):
    name: str
    title_zh: str
    title_en: str
    basis: str
    theme: str
    zones: str


ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": OGCException, "description": "Bad parameters or missing inputs"},
    404: {"model": OGCException, "description": "Unknown category or analysis"},
}
Format = Annotated[Literal["json", "csv"], Query(alias="f", description="`json` (default) or `csv`")]
Theme = Annotated[str, Query(description="Theme category (polygons, or a raster: dem, soil_erosion)")]
By = Annotated[str, Query(description="Zone category (polygons), e.g. townships, small_watersheds")]
FieldQ = Annotated[str | None, Query(description="Class field of the theme (default per category)")]
ZoneField = Annotated[str | None, Query(description="Field naming the zones (default: the category key)")]
Threshold = Annotated[float | None, Query(description="Raster themes: share of area above this value")]
Tolerance = Annotated[float | None, Query(gt=0, le=100, description="Gap search radius at a crossing (km)")]
MinCatchment = Annotated[float | None, Query(ge=0, description="Rivers with a larger catchment (km²)")]


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    rows = frame.astype(object).where(frame.notna(), None).to_dict("records")
    return [{str(k): _plain(v) for k, v in r.items()} for r in rows]


def _plain(v: Any) -> Any:
    if hasattr(v, "item"):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


def _respond(result: AnalysisResult, f: str) -> Any:
    if f == "csv":
        buf = io.StringIO()
        result.table.to_csv(buf, index=False)
        name = result.name.replace(":", "-")
        return Response(
            "\ufeff" + buf.getvalue(),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )
    meta = result.meta()
    body = {
        **meta,
        "rows": _records(result.table),
        "tables": {k: _records(v) for k, v in result.extra_tables.items()},
    }
    return JSONResponse(body)


def _zonal(
    request: Request,
    theme: str,
    by: str,
    field: str | None,
    zone_field: str | None,
    threshold: float | None,
    write: bool,
) -> AnalysisResult:
    from liuyu.analysis.run import run_zonal

    return run_zonal(
        workspace(request), theme, by, field, zone_by=zone_field, threshold=threshold, write=write
    )


@router.get(
    "/zonal", response_model=Result, responses=ERRORS, summary="Area and share of each class per zone"
)
def zonal(
    request: Request,
    theme: Theme,
    by: By,
    field: FieldQ = None,
    zone_field: ZoneField = None,
    threshold: Threshold = None,
    f: Format = "json",
) -> Any:
    """Zonal overlay computed on demand (nothing stored). Raster themes give mean, min, max per zone."""
    return _respond(_zonal(request, theme, by, field, zone_field, threshold, False), f)


@router.post(
    "/zonal", response_model=Result, responses=ERRORS, summary="Run a zonal overlay and store its layer"
)
def zonal_store(
    request: Request,
    user: Annotated[str, Depends(require_editor)],
    theme: Theme,
    by: By,
    field: FieldQ = None,
    zone_field: ZoneField = None,
    threshold: Threshold = None,
    f: Format = "json",
) -> Any:
    """As GET, and the per-zone totals become a new version of ``analysis_zonal`` (a choropleth)."""
    return _respond(_zonal(request, theme, by, field, zone_field, threshold, True), f)


@router.get("/cross", response_model=list[CrossInfo], summary="The named cross-analyses")
def cross_list() -> list[dict[str, Any]]:
    from liuyu.analysis.cross import cross_analyses

    return [s.model_dump(include=set(CrossInfo.model_fields)) for s in cross_analyses().values()]


@router.get("/cross/{name}", response_model=Result, responses=ERRORS, summary="Run a named cross-analysis")
def cross(request: Request, name: str, f: Format = "json") -> Any:
    """The table by zone and class, computed on demand (nothing stored)."""
    from liuyu.analysis.cross import run_cross

    return _respond(run_cross(workspace(request), name, write=False), f)


@router.post(
    "/cross/{name}", response_model=Result, responses=ERRORS, summary="Run a cross-analysis, store hotspots"
)
def cross_store(
    request: Request, user: Annotated[str, Depends(require_editor)], name: str, f: Format = "json"
) -> Any:
    """As GET, and its hotspot polygons replace its earlier ones in ``cross_hotspots``."""
    from liuyu.analysis.cross import run_cross

    return _respond(run_cross(workspace(request), name, write=True), f)


@router.get("/coverage", response_model=Result, responses=ERRORS, summary="Network density and gaps")
def coverage(
    request: Request,
    tolerance_km: Tolerance = None,
    min_catchment_km2: MinCatchment = None,
    f: Format = "json",
) -> Any:
    """Stations per km² by kind and zone against the targets, and the gap list (nothing stored)."""
    from liuyu.analysis.coverage_run import run_coverage

    ws = workspace(request)
    return _respond(
        run_coverage(ws, tolerance_km=tolerance_km, min_catchment_km2=min_catchment_km2, write=False), f
    )


@router.post(
    "/coverage", response_model=Result, responses=ERRORS, summary="Run the coverage analysis, store gaps"
)
def coverage_store(
    request: Request,
    user: Annotated[str, Depends(require_editor)],
    tolerance_km: Tolerance = None,
    min_catchment_km2: MinCatchment = None,
    f: Format = "json",
) -> Any:
    """As GET, and the gaps become a new version of ``network_gaps`` (suggested section points)."""
    from liuyu.analysis.coverage_run import run_coverage

    ws = workspace(request)
    return _respond(
        run_coverage(ws, tolerance_km=tolerance_km, min_catchment_km2=min_catchment_km2, write=True), f
    )


SlopeThreshold = Annotated[float, Query(gt=0, lt=90, description="Slope threshold (degrees), 25 by law")]
MinArea = Annotated[
    float, Query(ge=0, le=1e6, allow_inf_nan=False, description="Drop steep pieces smaller than this (km²)")
]


@router.post(
    "/steep-slopes",
    response_model=Result,
    responses=ERRORS,
    summary="Derive the steep-slope polygons from the DEM and store them",
)
def steep_slopes_store(
    request: Request,
    user: Annotated[str, Depends(require_editor)],
    threshold: SlopeThreshold = 25.0,
    min_area_km2: MinArea = 0.01,
    f: Format = "json",
) -> Any:
    """As `liuyu derive steep-slopes`: a new version of ``steep_slopes``; the rows are the areas by county."""
    from liuyu.analysis.run import derive_steep_slopes

    return _respond(derive_steep_slopes(workspace(request), threshold, min_area_km2), f)
