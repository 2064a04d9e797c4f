"""Routes of the water-quality assessment: section classes per period and the periods to choose from."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from liuyu.api.app import ogc_exception
from liuyu.api.deps import workspace
from liuyu.assess.run import assess_period, parse_period
from liuyu.store import gpkg_assess

router = APIRouter(prefix="/api", tags=["Assessment"])


class OGCException(BaseModel):
    """An OGC API exception body."""

    code: str
    description: str


class SectionClass(BaseModel):
    station_code: str
    water_type: str | None
    class_: int | None = Field(alias="class", description="1..5 for Ⅰ..Ⅴ, 6 for 劣Ⅴ")
    label: str = Field(description="Ⅰ, Ⅱ, Ⅲ, Ⅳ, Ⅴ or 劣Ⅴ")
    target: str = Field(description="Target class label, empty when the section has none")
    met: bool | None = Field(description="Class at least as good as the target")
    main_pollutants: str = Field(description="Main pollutants with exceedance multiples over Class Ⅲ")
    n_samples: int


class Assessments(BaseModel):
    period: str
    standard: str
    fingerprint: str
    assessments: list[SectionClass]


class Periods(BaseModel):
    months: list[str] = Field(description="Local months with lab samples, newest first")
    assessed: list[str] = Field(description="Periods with stored results, newest first")


NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": OGCException, "description": "Not assessed"}}


@router.get(
    "/assessments",
    response_model=Assessments,
    responses=NOT_FOUND,
    summary="Section classes (GB 3838-2002) for a period, computed on demand",
)
def assessments(
    request: Request,
    period: Annotated[str, Query(description="Month `2024-08`, quarter `2024-Q3` or year `2024`")],
) -> Any:
    label = parse_period(period).label  # a bad period is a SchemaError: 400 by the app's handler
    rows = assess_period(workspace(request), label)
    if rows.empty:
        return ogc_exception(
            404, f"no lab samples of water-quality sections in {label}", "see /api/assessments/periods"
        )
    records = rows.astype(object).where(rows.notna(), None)
    return JSONResponse(
        {
            "period": label,
            "standard": str(rows["standard"].iloc[0]),
            "fingerprint": str(rows["fingerprint"].iloc[0]),
            "assessments": [
                {
                    "station_code": r["station_code"],
                    "water_type": r["water_type"],
                    "class": None if r["class"] is None else int(r["class"]),
                    "label": r["label"] or "",
                    "target": r["target"] or "",
                    "met": None if r["met"] is None else bool(r["met"]),
                    "main_pollutants": r["main_pollutants"] or "",
                    "n_samples": int(r["n_samples"] or 0),
                }
                for r in records.to_dict("records")
            ],
        }
    )


@router.get(
    "/assessments/periods", response_model=Periods, summary="Months with lab samples, periods assessed"
)
def periods(request: Request) -> Periods:
    conn = workspace(request).store.conn  # type: ignore[attr-defined]
    return Periods(months=gpkg_assess.lab_months(conn), assessed=gpkg_assess.assessed_periods(conn))
