"""The facilities' shell: proposals from inspections, approval into a new layer version, the state view."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd

from liuyu.access import Principal
from liuyu.catalog import get_category
from liuyu.manage.facilities import (
    CATEGORY,
    FacilityError,
    FacilityNotFound,
    coerce,
    facility_states,
    monitoring_links,
    settings,
)
from liuyu.store import gpkg_facilities
from liuyu.store.base import VersionInfo, utc_now
from liuyu.store.gpkg_tables import SqlStore, sql_store

if TYPE_CHECKING:
    from liuyu.workspace import Workspace


def _store(ws: Workspace) -> SqlStore:
    return sql_store(ws.store)


def registry(ws: Workspace) -> gpd.GeoDataFrame:
    """The current facility records (empty when the layer has no version yet)."""
    if ws.store.current_version(CATEGORY) is None:
        return gpd.GeoDataFrame({"code": pd.Series(dtype=object)}, geometry=[], crs="EPSG:4490")
    return ws.read_layer(CATEGORY)


def _facility(ws: Workspace, code: str) -> pd.Series:
    reg = registry(ws)
    hit = reg[reg["code"] == code]
    if hit.empty:
        raise FacilityNotFound(f"no sewage facility {code!r}", hint="list them with `liuyu facilities list`")
    return hit.iloc[0]


def propose(ws: Workspace, actor: Principal, code: str, fields: dict[str, Any], reason: str | None) -> int:
    """Record an inspection's proposed changes to facility ``code``; returns the proposal id."""
    fac = _facility(ws, code)
    jur = fac.get("jurisdiction")
    actor.require_write(jur, f"facility {code}")
    types = {f.name: f.type for f in get_category(CATEGORY).fields}
    editable = settings()["editable"]
    bad = [k for k in fields if k not in editable or k not in types]
    if bad or not fields:
        raise FacilityError(
            f"cannot propose changes to {bad or 'nothing'}",
            hint=f"fields that can change: {', '.join(editable)}",
        )
    values = {k: coerce(types[k], k, v) for k, v in fields.items()}
    before = {k: (None if pd.isna(fac.get(k)) else fac.get(k)) for k in values}
    changed = {k: v for k, v in values.items() if str(before[k]) != str(v)}
    if not changed:
        raise FacilityError(
            f"the proposal does not change facility {code}", hint="the record already says so"
        )
    row = {
        "facility_code": code,
        "jurisdiction": jur,
        "fields": changed,
        "before": {k: before[k] for k in changed},
        "reason": reason,
        "proposed_by": actor.user,
        "proposed_at": utc_now(),
    }
    store = _store(ws)
    with store.transaction() as tx:
        pid = gpkg_facilities.insert(tx, row)
        store._audit(
            tx,
            actor.label,
            "facility.propose",
            f"{CATEGORY}:{code}",
            detail={"proposal": pid, "reason": reason},
            before=row["before"],
            after={"proposal": pid, "state": "pending", "fields": row["fields"]},
        )
    return pid


def proposal(ws: Workspace, proposal_id: int) -> dict[str, Any]:
    rows = gpkg_facilities.read(_store(ws).conn, proposal_id=proposal_id)
    if rows.empty:
        raise FacilityNotFound(
            f"no proposal {proposal_id}", hint="list them with `liuyu facilities proposals`"
        )
    rec = rows.iloc[0].to_dict()
    return {k: (None if not isinstance(v, dict) and pd.isna(v) else v) for k, v in rec.items()}


def _pending(ws: Workspace, actor: Principal, proposal_id: int) -> dict[str, Any]:
    p = proposal(ws, proposal_id)
    actor.require_write(p["jurisdiction"], f"facility {p['facility_code']}")
    if p["state"] != "pending":
        raise FacilityError(
            f"proposal {proposal_id} is already {p['state']}", hint="only pending proposals can be decided"
        )
    return p


def approve(ws: Workspace, actor: Principal, proposal_id: int, note: str | None = None) -> VersionInfo | None:
    """Apply a pending proposal: a new version of the layer with only that facility changed."""
    p = _pending(ws, actor, proposal_id)
    reg = registry(ws)
    jur = p["jurisdiction"]
    part = reg if jur is None else reg[reg["jurisdiction"] == jur]
    part = part.copy()
    hit = part["code"] == p["facility_code"]
    if not hit.any():
        raise FacilityError(
            f"facility {p['facility_code']} is no longer in the registry", hint="reject the proposal"
        )
    for k, v in p["fields"].items():
        part[k] = part[k].astype(object)
        part.loc[hit, k] = v
    info = ws.write_layer(
        CATEGORY,
        part,
        user=actor.user,
        jurisdiction=jur,
        scoped=jur is not None,
        kind="edit",
        note=f"proposal {proposal_id} by {p['proposed_by']}: {p['reason'] or ''}".strip(),
    )
    store = _store(ws)
    with store.transaction() as tx:
        gpkg_facilities.decide(
            tx, proposal_id, "approved", actor.user, utc_now(), note, None if info is None else info.version
        )
        store._audit(
            tx,
            actor.label,
            "facility.approve",
            f"{CATEGORY}:{p['facility_code']}",
            detail={"proposal": proposal_id, "version": None if info is None else info.version, "note": note},
            before=p["before"],
            after=p["fields"],
        )
    return info


def reject(ws: Workspace, actor: Principal, proposal_id: int, note: str | None = None) -> None:
    """Decline a pending proposal; the record stays as it is."""
    p = _pending(ws, actor, proposal_id)
    store = _store(ws)
    with store.transaction() as tx:
        gpkg_facilities.decide(tx, proposal_id, "rejected", actor.user, utc_now(), note, None)
        store._audit(
            tx,
            actor.label,
            "facility.reject",
            f"{CATEGORY}:{p['facility_code']}",
            detail={"proposal": proposal_id},
            before={"state": "pending", "fields": p["fields"]},
            after={"state": "rejected", "note": note},
        )


def proposals(ws: Workspace, *, state: str | None = None, facility_code: str | None = None) -> pd.DataFrame:
    if state is not None and state not in gpkg_facilities.STATES:
        raise FacilityError(f"unknown state {state!r}", hint=f"use {', '.join(gpkg_facilities.STATES)}")
    return gpkg_facilities.read(_store(ws).conn, state=state, facility_code=facility_code)


def _exceedances(ws: Workspace, period: str | None) -> tuple[pd.DataFrame, str | None]:
    empty = pd.DataFrame(columns=["station_code", "exceed", "verified", "property_code"])
    try:
        from liuyu.assess.discharge import discharge_compliance
        from liuyu.assess.run import latest_complete_month, parse_period
    except ImportError:  # the discharge assessment is optional here
        return empty, None
    label = period or latest_complete_month(ws)
    if label is None:
        return empty, None
    rows = discharge_compliance(ws, parse_period(label))
    return (rows if not rows.empty else empty), label


def status(
    ws: Workspace, *, period: str | None = None, as_of: int | None = None
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Every facility with its state (running, over_limit, offline, no_data) and what it rests on.

    ``period`` is the discharge assessment period (default: the last complete month with data);
    ``as_of`` the reference time in Unix seconds (default: the newest observation of the network,
    so a workspace loaded from an archive is judged as of its own data).
    """
    cfg = settings()
    reg = registry(ws)
    stations = ws.read_layer("stations") if ws.store.current_version("stations") is not None else None
    links = (
        monitoring_links(reg, stations, ws.config.crs.analysis, float(cfg["link_distance_m"]))
        if stations is not None
        else pd.DataFrame(columns=["facility_code", "station_code"])
    )
    series = ws.store.series()
    if as_of is None and series["last"].notna().any():
        as_of = int(series["last"].max())
    exceed, label = _exceedances(ws, period) if len(links) else (pd.DataFrame(), None)
    if exceed.empty:
        exceed = pd.DataFrame(columns=["station_code", "exceed", "verified", "property_code"])
    table = facility_states(
        pd.DataFrame(reg.drop(columns="geometry")), links, series, exceed, as_of, cfg["offline_after_hours"]
    )
    pts = reg.geometry
    table["longitude"], table["latitude"] = pts.x.to_numpy(), pts.y.to_numpy()
    table = table.sort_values("code").reset_index(drop=True)
    meta = {"period": label, "as_of": as_of, "counts": table["state"].value_counts().to_dict()}
    return table, meta
