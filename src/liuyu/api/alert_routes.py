"""Routes of alerts (list, acknowledge) and of discharge compliance (per period, computed on demand)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from liuyu.api.app import ogc_exception
from liuyu.api.deps import workspace
from liuyu.api.ingest_routes import require_editor
from liuyu.api.security import current_principal
from liuyu.store import gpkg_alerts
from liuyu.store.base import utc_now
from liuyu.store.gpkg_tables import sql_conn, sql_store

router = APIRouter(prefix="/api", tags=["Alerts"])
UNVERIFIED = {"zh": "未核实", "en": "unverified"}


class Alert(BaseModel):
    id: int
    kind: str = Field(
        description="section_below_target, reservoir_eutrophic, facility_over_limit, station_silent"
    )
    subject: str = Field(description="Station code the alert is about")
    subject_name: str | None
    period: str = Field(description="Assessment period, empty for ongoing conditions (a silent station)")
    severity: str
    state: str = Field(description="open, acknowledged or resolved")
    message_zh: str
    message_en: str
    value: float | None
    verified: bool | None
    jurisdiction: str | None
    longitude: float | None
    latitude: float | None
    first_seen: str
    last_seen: str
    resolved_at: str | None
    acknowledged_by: str | None
    acknowledged_at: str | None
    ack_note: str | None
    notified_at: str | None


class Alerts(BaseModel):
    alerts: list[Alert]
    number: int


class Ack(BaseModel):
    note: str | None = Field(default=None, description="Why, or what was done 备注")


def _records(rows: Any) -> list[dict[str, Any]]:
    keep = [c for c in Alert.model_fields if c in rows.columns]
    frame = rows[keep].astype(object).where(rows[keep].notna(), None)
    return [Alert(**r).model_dump() for r in frame.to_dict("records")]


@router.get(
    "/alerts", response_model=Alerts, summary="Alerts, newest first, filtered by state, kind, jurisdiction"
)
def list_alerts(
    request: Request,
    state: Annotated[str | None, Query(description="open, acknowledged or resolved")] = None,
    kind: Annotated[str | None, Query(description="Alert kind")] = None,
    jurisdiction: Annotated[str | None, Query(description="beijing, hebei, ...")] = None,
) -> Any:
    if state is not None and state not in gpkg_alerts.STATES:
        return ogc_exception(400, f"unknown state {state!r}", "use open, acknowledged or resolved")
    conn = sql_conn(workspace(request).store)
    rows = gpkg_alerts.read(conn, state=state, kind=kind, jurisdiction=jurisdiction)
    records = _records(rows)
    return JSONResponse({"alerts": records, "number": len(records)})


@router.post(
    "/alerts/{alert_id}/ack",
    response_model=Alert,
    summary="Acknowledge an alert",
    responses={404: {"description": "No such alert"}, 409: {"description": "Already resolved"}},
)
def acknowledge(
    request: Request,
    alert_id: int,
    user: Annotated[str, Depends(require_editor)],
    body: Annotated[Ack | None, Body()] = None,
) -> Any:
    ws = workspace(request)
    conn = sql_conn(ws.store)
    found = gpkg_alerts.read(conn, alert_id=alert_id)
    if found.empty:
        return ogc_exception(404, f"no alert with id {alert_id}", "see /api/alerts")
    jur = found["jurisdiction"].iloc[0]
    current_principal(request).require_write(jur if isinstance(jur, str) else None, f"alert {alert_id}")
    if found["state"].iloc[0] == "resolved":
        return JSONResponse({"code": "Conflict", "description": f"alert {alert_id} is already resolved"}, 409)
    with sql_store(ws.store).transaction() as tx:
        gpkg_alerts.acknowledge(tx, alert_id, user, body.note if body else None, utc_now())
    return JSONResponse(_records(gpkg_alerts.read(conn, alert_id=alert_id))[0])


class DischargeResult(BaseModel):
    station_code: str
    name: str | None
    kind: str
    standard: str = Field(description="Standard file, e.g. gb18918_2002; empty when none is known")
    standard_code: str
    standard_class: str
    standard_source: str = Field(
        description="station, facility (the facility at its location), default or none"
    )
    property_code: str
    item_name: str
    value: float | None = Field(description="Worst daily mean of the period")
    limit: float | None
    limit_low: float | None
    limit_high: float | None
    limit_basis: str = Field(description="condition (water temperature, build date), strictest, or empty")
    exceed: bool | None = Field(description="Null when there is no value or no limit")
    multiple: float | None = Field(description="(value - limit) / limit when over, 0 when not")
    verified: bool = Field(description="False: depends on a limit not yet verified; show 未核实 unverified")
    n_samples: int
    n_days: int
    n_days_exceed: int
    worst_day: str


class Discharge(BaseModel):
    period: str
    fingerprint: str
    unverified_label: dict[str, str]
    results: list[DischargeResult]


@router.get(
    "/discharge",
    response_model=Discharge,
    tags=["Assessment"],
    summary="Discharge compliance of sewage plants and rural facilities for a period, computed on demand",
)
def discharge(
    request: Request,
    period: Annotated[str, Query(description="Month `2024-08`, quarter `2024-Q3` or year `2024`")],
    station: Annotated[
        str | None, Query(description="Only this station's rows (for a station panel)")
    ] = None,
) -> Any:
    from liuyu.assess.discharge import discharge_compliance
    from liuyu.assess.run import parse_period, workspace_seasons

    ws = workspace(request)
    p = parse_period(period, workspace_seasons(ws))
    rows = discharge_compliance(ws, p)
    if rows.empty:
        return ogc_exception(
            404, f"no sewage stations to judge in {p.label}", "add stations of kind sewage_outfall"
        )
    fp = str(rows["fingerprint"].iloc[0])
    if station is not None:
        rows = rows[rows["station_code"] == station]
    keep = list(DischargeResult.model_fields)
    frame = rows[keep].astype(object).where(rows[keep].notna(), None)
    results = [DischargeResult(**r).model_dump() for r in frame.to_dict("records")]
    return JSONResponse(
        {"period": p.label, "fingerprint": fp, "unverified_label": UNVERIFIED, "results": results}
    )
