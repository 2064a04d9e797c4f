"""Routes of management: ecological compensation statements, rain and level warnings, gate ratings and flows.

Inputs that live in the workspace (``manage/compensation/agreement.toml`` and ``control.csv``,
``manage/gates/measurements.csv`` and ``openings.csv``) are read from there; an agreement file is
never taken from a request path. Without a workspace agreement the shipped example is used, and
the response says it is an example.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, Body, Depends, Query, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from pydantic import BaseModel, Field

from liuyu.api.app import ogc_exception
from liuyu.api.deps import workspace
from liuyu.api.ingest_routes import require_editor
from liuyu.store import gpkg_alerts
from liuyu.store.gpkg_tables import sql_conn

router = APIRouter(tags=["Manage"])
AGREEMENT = Path("manage") / "compensation" / "agreement.toml"
GATES = Path("manage") / "gates"


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return value


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [_clean(r) for r in frame.astype(object).where(frame.notna(), None).to_dict("records")]


@router.get("/manage", include_in_schema=False)
def manage_page() -> Response:
    """The management page (compensation, warnings, gates)."""
    from liuyu.api.web import STATIC_DIR, front_end_installed

    if not front_end_installed():
        return ogc_exception(404, "the web front end is not installed", "run `npm ci --prefix src/liuyu/web`")
    return FileResponse(STATIC_DIR / "manage.html", media_type="text/html; charset=utf-8")


# --- compensation --------------------------------------------------------------------------------
@router.get(
    "/api/compensation",
    summary="Ecological compensation statement of a year or month, per county (生态补偿核算)",
    description="Totals per county and every line with its inputs (observations, assessments, agreement "
    "keys). The agreement is the workspace's manage/compensation/agreement.toml, else the shipped example "
    "(`example: true`, 示例，非官方).",
)
def compensation(
    request: Request,
    year: Annotated[int, Query(ge=1900, le=2200, description="Year of the statement")],
    month: Annotated[
        str | None,
        Query(pattern=r"^[1-9]\d{3}-(0[1-9]|1[0-2])$", description="A month of that year, 2024-08"),
    ] = None,
) -> Any:
    from liuyu.manage.compensation_run import compute

    ws = workspace(request)
    own = ws.root / AGREEMENT
    result = compute(ws, year, month, agreement=own if own.exists() else None)
    lines = result.lines.assign(sources=result.lines["sources"].map(json.loads))
    return JSONResponse({**result.header(), "totals": _records(result.totals), "lines": _records(lines)})


# --- warnings ------------------------------------------------------------------------------------
def _warning_kinds() -> list[str]:
    from liuyu.manage.warnings import load_warning_rules

    rules = load_warning_rules()
    return [
        rules["rainstorm"]["kind"],
        *(rules["reservoir_level"][w]["kind"] for w in ("flood_limit", "normal_pool")),
    ]


@router.get(
    "/api/warnings", summary="Rainstorm and reservoir-level warnings (alerts of those kinds) and their rules"
)
def warnings(
    request: Request,
    state: Annotated[str | None, Query(description="open, acknowledged or resolved")] = None,
    limit: Annotated[int, Query(ge=1, le=5000, description="At most this many, newest first")] = 500,
) -> Any:
    from liuyu.manage.warnings import load_warning_rules, rain_levels

    if state is not None and state not in gpkg_alerts.STATES:
        return ogc_exception(400, f"unknown state {state!r}", "use open, acknowledged or resolved")
    ws = workspace(request)
    rows = gpkg_alerts.read(sql_conn(ws.store), state=state)
    rows = rows[rows["kind"].isin(_warning_kinds())].head(limit)
    cols = [
        "id",
        "kind",
        "subject",
        "subject_name",
        "period",
        "severity",
        "state",
        "message_zh",
        "message_en",
        "value",
        "jurisdiction",
        "longitude",
        "latitude",
        "first_seen",
        "last_seen",
    ]
    return JSONResponse(
        {
            "warnings": _records(rows[cols]),
            "number": len(rows),
            "rain_levels": _records(rain_levels().drop(columns=["rank"])),
            "level_stations": [lv.model_dump() for lv in ws.config.warnings.levels],
            "flood_season_months": load_warning_rules()["reservoir_level"]["flood_season_months"],
        }
    )


class CheckBody(BaseModel):
    since: str | None = Field(default=None, description="From this time (ISO 8601; local time if no zone)")


@router.post("/api/warnings/check", summary="Evaluate the warnings now and store new alerts")
def check_warnings(
    request: Request,
    user: Annotated[str, Depends(require_editor)],
    body: Annotated[CheckBody | None, Body()] = None,
) -> Any:
    from liuyu.manage.warnings_run import check

    since = None
    if body and body.since:
        try:
            t = pd.Timestamp(body.since)
        except ValueError:
            return ogc_exception(400, f"cannot read the time {body.since!r}", "write e.g. 2024-07-30T08:00")
        since = (t.tz_localize("Asia/Shanghai") if t.tzinfo is None else t).to_pydatetime()
    r = check(workspace(request), since)
    return JSONResponse(
        {
            "stations": r.stations,
            "events": len(r.events),
            "new": r.new,
            "still_active": r.seen,
            "resolved": r.resolved,
        }
    )


# --- gates ---------------------------------------------------------------------------------------
def _gate_file(request: Request, name: str) -> Path | None:
    path = workspace(request).root / GATES / name
    return path if path.exists() else None


@router.get(
    "/api/gates", summary="Gate ratings fitted from the workspace's check measurements, with their errors"
)
def gates(request: Request) -> Any:
    from liuyu.manage.gates import fit_ratings, read_table

    path = _gate_file(request, "measurements.csv")
    if path is None:
        return ogc_exception(
            404, "no gate measurements in this workspace", "put them in manage/gates/measurements.csv"
        )
    meas = read_table(path)
    return JSONResponse({"ratings": _records(fit_ratings(meas)), "measurements": _records(meas)})


@router.get(
    "/api/gates/flow", summary="Gate flow from the workspace's opening record (manage/gates/openings.csv)"
)
def gates_flow(
    request: Request, gate: Annotated[str | None, Query(description="One gate; all when absent")] = None
) -> Any:
    from liuyu.manage.gates import fit_ratings, gate_flow, read_table

    meas, rec = _gate_file(request, "measurements.csv"), _gate_file(request, "openings.csv")
    if meas is None or rec is None:
        return ogc_exception(
            404, "no gate measurements or opening record", "see manage/gates/ in the workspace"
        )
    record = read_table(rec)
    if gate is not None:
        record = record[record["gate"].astype(str) == gate]
    return JSONResponse({"flows": _records(gate_flow(record, fit_ratings(read_table(meas))))})


class FitBody(BaseModel):
    measurements: list[dict[str, Any]] = Field(
        description="gate, opening_cm, head_up_m, [head_down_m], flow_m3s, [width_m]"
    )


class FlowBody(BaseModel):
    record: list[dict[str, Any]] = Field(description="time, gate, opening_cm, head_up_m, [head_down_m]")
    ratings: list[dict[str, Any]] = Field(description="Ratings as POST /api/gates/fit returns them")


@router.post("/api/gates/fit", summary="Fit gate ratings from posted check measurements")
def fit(body: FitBody) -> Any:
    from liuyu.manage.gates import fit_ratings

    return JSONResponse({"ratings": _records(fit_ratings(pd.DataFrame(body.measurements)))})


@router.post("/api/gates/flow", summary="Compute gate flow from a posted opening record and ratings")
def flow(body: FlowBody) -> Any:
    from liuyu.manage.gates import gate_flow

    return JSONResponse({"flows": _records(gate_flow(pd.DataFrame(body.record), pd.DataFrame(body.ratings)))})
