"""Routes of the water-quality assessment: section classes per period, lakes as water bodies, the
periods to choose from and a section's class history.

Every result carries ``verified``: False when it depends on a standard (or an item of one) whose
limits are not yet taken from the official text (shared/DOMAIN.md §4.2); the map then shows
"未核实 unverified" next to it.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from liuyu.api.app import ogc_exception
from liuyu.api.deps import workspace
from liuyu.assess.run import (
    STANDARD,
    assess_lakes,
    assess_period,
    parse_period,
    season_labels,
    section_history,
    workspace_seasons,
)
from liuyu.assess.standards import load_standard
from liuyu.store import gpkg_assess
from liuyu.store.gpkg_tables import sql_conn

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
    verified: bool = Field(description="False when the result depends on limits not yet verified")


class WaterBodyClass(BaseModel):
    water_body: str = Field(description="Reservoir code (or name) the lake/reservoir points belong to")
    name: str
    n_points: int = Field(description="Points (sections) of the water body with samples in the period")
    class_: int | None = Field(alias="class", description="1..5 for Ⅰ..Ⅴ, 6 for 劣Ⅴ")
    label: str
    grade: str = Field(description="优, 良好, 轻度污染, 中度污染 or 重度污染")
    target: str = Field(description="The strictest target of its points")
    met: bool | None
    main_pollutants: str
    verified: bool


class Assessments(BaseModel):
    period: str
    standard: str
    fingerprint: str
    verified: bool = Field(description="False when any result depends on limits not yet verified")
    lake_averaging: str = Field(
        description="time_then_space (2011 method) or pooled ([assess] of liuyu.toml)"
    )
    assessments: list[SectionClass]
    water_bodies: list[WaterBodyClass] = Field(description="Lakes and reservoirs, averaged over their points")


class Periods(BaseModel):
    months: list[str] = Field(description="Local months with lab samples, newest first")
    seasons: list[str] = Field(
        description="Seasons (2024-wet, 2024-normal, 2024-dry, 2024-flood) of those years"
    )
    years: list[str] = Field(description="Years with lab samples, newest first")
    season_names: dict[str, dict[str, Any]] = Field(description="Season code → name_zh, name_en, months")
    assessed: list[str] = Field(description="Periods with stored results, newest first")


class HistoryEntry(BaseModel):
    period: str = Field(description="Local month YYYY-MM")
    class_: int | None = Field(alias="class")
    label: str
    grade: str
    target: str
    met: bool | None
    main_pollutants: str
    n_samples: int
    verified: bool


class History(BaseModel):
    station: str
    standard: str
    verified: bool
    history: list[HistoryEntry]


NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": OGCException, "description": "Not assessed"}}


@router.get(
    "/assessments",
    response_model=Assessments,
    responses=NOT_FOUND,
    summary="Section classes (GB 3838-2002) for a period, computed on demand",
)
def assessments(
    request: Request,
    period: Annotated[
        str,
        Query(
            description="Month `2024-08`, quarter `2024-Q3`, year `2024` "
            "or season `2024-wet` (-normal, -dry, -flood)"
        ),
    ],
) -> Any:
    ws = workspace(request)
    label = parse_period(period, workspace_seasons(ws)).label  # a bad period: 400 (SchemaError)
    rows = assess_period(ws, label)
    if rows.empty:
        return ogc_exception(
            404, f"no lab samples of water-quality sections in {label}", "see /api/assessments/periods"
        )
    standard = str(rows["standard"].iloc[0])
    verified = load_standard(standard).verified
    records = _records(rows)
    lakes = _records(assess_lakes(ws, label, standard=standard))
    return JSONResponse(
        {
            "period": label,
            "standard": standard,
            "fingerprint": str(rows["fingerprint"].iloc[0]),
            "verified": verified and all(r["verified"] for r in lakes),
            "lake_averaging": ws.config.assess.lake_averaging,
            "assessments": [
                {
                    "station_code": r["station_code"],
                    "water_type": r["water_type"],
                    "class": _int(r["class"]),
                    "label": r["label"] or "",
                    "target": r["target"] or "",
                    "met": _bool(r["met"]),
                    "main_pollutants": r["main_pollutants"] or "",
                    "n_samples": int(r["n_samples"] or 0),
                    "verified": verified,
                }
                for r in records
            ],
            "water_bodies": [
                {
                    "water_body": str(r["water_body"]),
                    "name": str(r["name"] or r["water_body"]),
                    "n_points": int(r["n_points"] or 0),
                    "class": _int(r["class"]),
                    "label": r["label"] or "",
                    "grade": r["grade"] or "",
                    "target": r["target"] or "",
                    "met": _bool(r["met"]),
                    "main_pollutants": r["main_pollutants"] or "",
                    "verified": bool(r["verified"]),
                }
                for r in lakes
            ],
        }
    )


def _records(frame: Any) -> list[dict[str, Any]]:
    return list(frame.astype(object).where(frame.notna(), None).to_dict("records"))


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def _bool(value: Any) -> bool | None:
    return None if value is None else bool(value)


@router.get(
    "/assessments/periods", response_model=Periods, summary="Periods to assess: months, seasons, years"
)
def periods(request: Request) -> Periods:
    ws = workspace(request)
    conn = sql_conn(ws.store)
    months = gpkg_assess.lab_months(conn)
    years = sorted({int(m[:4]) for m in months}, reverse=True)
    seasons = workspace_seasons(ws)
    return Periods(
        months=months,
        seasons=season_labels(years, seasons),
        years=[str(y) for y in years],
        season_names={
            s.code: {"name_zh": s.name_zh, "name_en": s.name_en, "months": list(s.months)}
            for s in seasons.values()
        },
        assessed=gpkg_assess.assessed_periods(conn),
    )


@router.get(
    "/assessments/history",
    response_model=History,
    responses=NOT_FOUND,
    summary="A section's class in every month it has lab samples (the station panel's class history)",
)
def history(
    request: Request,
    station: Annotated[str, Query(description="Station code of a water-quality section")],
) -> Any:
    rows = section_history(workspace(request), station)
    if rows.empty:
        return ogc_exception(
            404,
            f"{station!r} is no water-quality section with lab samples",
            "pick a station of kind water_quality with a water type",
        )
    return JSONResponse(
        {
            "station": station,
            "standard": STANDARD,
            "verified": bool(rows["verified"].all()),
            "history": [
                {
                    "period": r["period"],
                    "class": _int(r["class"]),
                    "label": r["label"] or "",
                    "grade": r["grade"] or "",
                    "target": r["target"] or "",
                    "met": _bool(r["met"]),
                    "main_pollutants": r["main_pollutants"] or "",
                    "n_samples": int(r["n_samples"] or 0),
                    "verified": bool(r["verified"]),
                }
                for r in _records(rows)
            ],
        }
    )
