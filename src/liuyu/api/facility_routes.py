"""Routes of the rural sewage facilities: the state view, proposals from inspections, approve, reject."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from liuyu.api.app import ogc_exception
from liuyu.api.deps import workspace
from liuyu.api.ledger_routes import Actor, error_response, records
from liuyu.errors import LiuyuError
from liuyu.manage import facilities_ops
from liuyu.manage.facilities import settings

router = APIRouter(prefix="/api/facilities", tags=["Sewage facilities 农村污水设施"])


@router.get("", summary="Every facility with its state: running, over_limit, offline or no_data")
def list_facilities(
    request: Request,
    state: Annotated[str | None, Query(description="running, over_limit, offline, no_data")] = None,
    period: Annotated[str | None, Query(description="Discharge assessment period, e.g. 2024-08")] = None,
) -> Any:
    states = [s["code"] for s in settings()["states"]]
    if state is not None and state not in states:
        return ogc_exception(400, f"unknown state {state!r}", f"use one of {', '.join(states)}")
    try:
        table, meta = facilities_ops.status(workspace(request), period=period)
    except LiuyuError as exc:
        return error_response(exc)
    if state is not None:
        table = table[table["state"] == state]
    return {**meta, "states": settings()["states"], "facilities": records(table), "number": len(table)}


@router.get("/proposals", summary="Proposed changes to facility records, newest first")
def list_proposals(
    request: Request,
    state: Annotated[str | None, Query(description="pending, approved or rejected")] = None,
    facility: Annotated[str | None, Query(description="Facility code")] = None,
) -> Any:
    try:
        rows = facilities_ops.proposals(workspace(request), state=state, facility_code=facility)
    except LiuyuError as exc:
        return error_response(exc)
    return {"proposals": records(rows), "number": len(rows)}


class ProposalBody(BaseModel):
    fields: dict[str, Any] = Field(description='Field name → proposed value, e.g. {"capacity_m3d": 80}')
    reason: str | None = Field(default=None, description="What the inspection found 核查情况")


class Decision(BaseModel):
    note: str | None = Field(default=None, description="Why 审核意见")


@router.post("/{code}/proposals", status_code=201, summary="Propose changes to a facility's record")
def propose(request: Request, code: str, actor: Actor, body: Annotated[ProposalBody, Body()]) -> Any:
    ws = workspace(request)
    try:
        pid = facilities_ops.propose(ws, actor, code, body.fields, body.reason)
    except LiuyuError as exc:
        return error_response(exc)
    return JSONResponse(_one(ws, pid), status_code=201)


def _one(ws: Any, pid: int) -> dict[str, Any]:
    rec = facilities_ops.proposal(ws, pid)
    return {k: (int(v) if k in ("id", "version") and v is not None else v) for k, v in rec.items()}


@router.post("/proposals/{proposal_id}/approve", summary="Approve: a new version of the facilities layer")
def approve(
    request: Request, proposal_id: int, actor: Actor, body: Annotated[Decision | None, Body()] = None
) -> Any:
    ws = workspace(request)
    try:
        facilities_ops.approve(ws, actor, proposal_id, body.note if body else None)
    except LiuyuError as exc:
        return error_response(exc)
    return _one(ws, proposal_id)


@router.post("/proposals/{proposal_id}/reject", summary="Reject a proposal; the record stays as it is")
def reject(
    request: Request, proposal_id: int, actor: Actor, body: Annotated[Decision | None, Body()] = None
) -> Any:
    ws = workspace(request)
    try:
        facilities_ops.reject(ws, actor, proposal_id, body.note if body else None)
    except LiuyuError as exc:
        return error_response(exc)
    return _one(ws, proposal_id)
