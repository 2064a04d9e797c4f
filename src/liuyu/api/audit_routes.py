"""GET /api/audit: the audit log (who changed what, when, before and after), filtered; admins only.

Who may call it is decided by the access policy in one place (liuyu.access), not here.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from liuyu.api.app import ogc_exception
from liuyu.api.deps import workspace
from liuyu.store import audit
from liuyu.store.gpkg_tables import sql_conn

router = APIRouter(prefix="/api", tags=["Audit"])
MAX_LIMIT = 10_000


class AuditEntry(BaseModel):
    id: int
    at: str = Field(description="When (UTC, ISO-8601)")
    user: str = Field(description="Who: a user name, or `name (role@jurisdiction)`")
    role: str | None = Field(description="The user's role at the time, when known")
    jurisdiction: str | None = Field(description="The user's jurisdiction scope at the time, when known")
    action: str = Field(description="What was done: `<noun>.<verb>`, e.g. version.ingest, ledger.assigned")
    target: str = Field(description="What it was done to: `<category>@<version>`, `ledger:<code>`, ...")
    detail: Any = Field(default=None, description="Why and from what (source file, note, reason)")
    before: Any = Field(default=None, description="The record (or a summary) before the write")
    after: Any = Field(default=None, description="The record (or a summary) after the write")


class AuditPage(BaseModel):
    entries: list[AuditEntry]
    number: int = Field(description="Entries in this page")
    limit: int
    offset: int


@router.get("/audit", response_model=AuditPage, summary="The audit log, newest first (admins only)")
def audit_log(
    request: Request,
    user: Annotated[str | None, Query(max_length=200, description="Only this user (name)")] = None,
    target: Annotated[
        str | None,
        Query(max_length=300, description="Only this target: a category, `ledger`, `ledger:CODE`, ..."),
    ] = None,
    action: Annotated[
        str | None, Query(max_length=100, description="Only this action or noun: `ledger`, `alert.ack`")
    ] = None,
    since: Annotated[
        str | None, Query(max_length=40, description="From this time (ISO-8601, inclusive; UTC if no zone)")
    ] = None,
    until: Annotated[str | None, Query(max_length=40, description="Before this time (ISO-8601)")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size")] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000, description="Entries to skip")] = 0,
) -> Any:
    conn = sql_conn(workspace(request).store)
    try:
        frame = audit.query(
            conn,
            user=user,
            target=target,
            action=action,
            since=since,
            until=until,
            limit=limit,
            offset=offset,
        )
    except audit.AuditQueryError as exc:
        return ogc_exception(400, exc.message, exc.hint or "")
    entries = audit.decoded(frame)
    return JSONResponse({"entries": entries, "number": len(entries), "limit": limit, "offset": offset})
