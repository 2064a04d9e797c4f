"""The ledger's shell: add problems, move them through the life cycle, attach photos; all audited.

Every function takes the acting :class:`~liuyu.access.Principal`; the jurisdiction of the problem
decides whether they may write (see :meth:`Principal.require_write`).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from liuyu.access import Principal
from liuyu.manage import ledger_photos
from liuyu.manage.ledger import LedgerError, NotInLedger, check_code, check_move, load_machine, next_code
from liuyu.store import gpkg_ledger, gpkg_tables
from liuyu.store.base import utc_now
from liuyu.store.gpkg_tables import SqlStore, sql_store
from liuyu.store.sqlconn import read_frame

if TYPE_CHECKING:
    from liuyu.workspace import Workspace

PHOTO_DIR = "photos"
_SAFE = re.compile(r"[A-Za-z0-9_-]+")


@dataclass(frozen=True)
class NewProblem:
    """What an inspector records when they find a problem."""

    title: str
    source: str
    category: str
    geometry: BaseGeometry  # EPSG:4490 (longitude, latitude); a point or a polygon
    responsible_unit: str | None = None
    deadline: dt.date | None = None
    found_at: dt.datetime | None = None
    description: str | None = None
    location: str | None = None
    jurisdiction: str | None = None  # default: from the county the problem lies in
    facility_code: str | None = None


def _store(ws: Workspace) -> SqlStore:
    return sql_store(ws.store)


_COUNTIES: dict[tuple[Path, int], gpd.GeoDataFrame] = {}


def _where(ws: Workspace, geom: BaseGeometry) -> tuple[str | None, str | None]:
    """Jurisdiction and county code of the county holding the geometry's representative point."""
    version = ws.store.current_version("counties")
    if version is None:
        return None, None
    key = (ws.root, version)
    if key not in _COUNTIES:
        _COUNTIES.clear()
        _COUNTIES[key] = ws.read_layer("counties")
    counties = _COUNTIES[key]
    hit = counties[counties.intersects(shapely.point_on_surface(geom))]
    if hit.empty:
        return None, None
    row = hit.iloc[0]
    return row.get("jurisdiction"), row.get("code")


def problem(ws: Workspace, code: str) -> dict[str, Any]:
    """One problem as a dict (geometry as a shapely object); NotInLedger if there is none."""
    rec = gpkg_ledger.read_problem(_store(ws).conn, code)
    if rec is None:
        raise NotInLedger(f"no problem {code!r} in the ledger", hint="list them with `liuyu ledger list`")
    return rec


def add_problem(ws: Workspace, actor: Principal, new: NewProblem) -> dict[str, Any]:
    """Record a newly found problem (state ``found``); returns it."""
    if not new.title.strip():
        raise LedgerError("a problem needs a title 问题需要标题", hint="say in a few words what was found")
    geom = new.geometry
    if geom is None or geom.is_empty or geom.geom_type not in ("Point", "Polygon", "MultiPolygon"):
        raise LedgerError(
            "a problem is located by a point or a polygon", hint="give --lon/--lat or a WKT polygon"
        )
    if not geom.is_valid:
        geom = shapely.make_valid(geom)
    when = new.found_at or dt.datetime.now(dt.UTC)
    if not 1900 <= when.year <= 2200:
        raise LedgerError(
            f"found_at {when.isoformat()} is out of range 发现时间超出范围",
            hint="give the date the problem was found",
        )
    jur, county = _where(ws, geom)
    jur = new.jurisdiction or jur
    if jur is not None and jur != "basin" and jur not in ws.config.jurisdiction_codes():
        raise LedgerError(
            f"unknown jurisdiction {jur!r}", hint=f"use one of {ws.config.jurisdiction_codes()}"
        )
    actor.require_write(jur, "this problem")
    now = utc_now()
    found = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    store = _store(ws)
    with store.transaction() as tx:
        gpkg_tables.lock(tx, gpkg_ledger.PROBLEMS)  # the next code is read, then taken: one writer at a time
        codes = read_frame(tx, f"SELECT code FROM {gpkg_ledger.PROBLEMS}")["code"]
        code = next_code(codes, when.year)
        initial = load_machine().initial
        record: dict[str, Any] = {
            "code": code,
            "title": new.title.strip(),
            "description": new.description,
            "source": check_code("sources", new.source),
            "category": check_code("categories", new.category),
            "state": initial,
            "jurisdiction": None if jur == "basin" else jur,
            "county_code": county,
            "location": new.location,
            "responsible_unit": new.responsible_unit,
            "found_at": found,
            "deadline": None if new.deadline is None else new.deadline.isoformat(),
            "facility_code": new.facility_code,
            "created_by": actor.user,
            "created_at": now,
            "updated_at": now,
        }
        gpkg_ledger.insert_problem(tx, record, geom)
        gpkg_ledger.add_event(tx, _event(actor, code, None, initial, new.description, found))
        store._audit(tx, actor.label, "ledger.add", f"ledger:{code}", after=record | {"wkt": geom.wkt})
    return problem(ws, code)


def _event(
    actor: Principal, code: str, old: str | None, new: str, note: str | None, at: str
) -> dict[str, Any]:
    return {
        "problem_code": code,
        "at": at,
        "user": actor.user,
        "role": actor.role,
        "jurisdiction": actor.jurisdiction,
        "from_state": old,
        "to_state": new,
        "note": note,
    }


def move(
    ws: Workspace,
    actor: Principal,
    code: str,
    target: str,
    note: str | None = None,
    *,
    at: str | None = None,
    deadline: dt.date | None = None,
    unit: str | None = None,
) -> dict[str, Any]:
    """Move a problem to ``target`` if the life cycle, the role and the jurisdiction allow it.

    Assigning (or re-assigning a reopened problem) may name the responsible ``unit`` and set a
    new ``deadline``; both are kept in the audit log's before/after.
    """
    current = problem(ws, code)
    actor.require_write(current["jurisdiction"], f"problem {code}")
    check_move(load_machine(), current["state"], target, actor)
    when = at or utc_now()
    changes: dict[str, Any] = {"state": target, "updated_at": when}
    if deadline is not None:
        changes["deadline"] = deadline.isoformat()
    if unit:
        changes["responsible_unit"] = unit.strip()
    if note and target in ("fix_submitted", "verified", "being_fixed"):
        changes["fix_note"] = note
    if target == "closed":
        changes["closed_at"] = when
    elif target == "reopened":
        changes["closed_at"] = None
    store = _store(ws)
    with store.transaction() as tx:
        if gpkg_ledger.update_problem(tx, code, changes, state=current["state"]) != 1:
            raise LedgerError(f"problem {code} changed meanwhile", hint="reload it and try again")
        gpkg_ledger.add_event(tx, _event(actor, code, current["state"], target, note, when))
        before = {k: current.get(k) for k in changes}
        store._audit(
            tx, actor.label, f"ledger.{target}", f"ledger:{code}", detail=note, before=before, after=changes
        )
    return problem(ws, code)


def photo_path(ws: Workspace, code: str, sha: str, ext: str) -> Path:
    """Where a photo's file lives: ``photos/<problem>/<sha256>.<ext>`` under the workspace."""
    if not _SAFE.fullmatch(code) or not _SAFE.fullmatch(sha + ext):
        raise LedgerError(f"problem code {code!r} cannot name a folder", hint="use letters, digits and -")
    return ws.root / PHOTO_DIR / code / f"{sha}.{ext}"


def add_photo(
    ws: Workspace, actor: Principal, code: str, data: bytes, filename: str | None = None
) -> dict[str, Any]:
    """Check and keep a photo of a problem; the same picture twice is kept once."""
    current = problem(ws, code)
    actor.require_write(current["jurisdiction"], f"problem {code}")
    kind = ledger_photos.check_photo(data, ws.config.ledger.photo_max_bytes)
    sha = ledger_photos.digest(data)
    target = photo_path(ws, current["code"], sha, kind.ext)
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        tmp = target.with_suffix(".part")
        tmp.write_bytes(data)
        tmp.replace(target)
    row = {
        "problem_code": code,
        "sha256": sha,
        "media_type": kind.media_type,
        "size": len(data),
        "path": target.relative_to(ws.root).as_posix(),
        "original_name": ledger_photos.label(filename),
        "uploaded_by": actor.user,
        "uploaded_at": utc_now(),
    }
    store = _store(ws)
    with store.transaction() as tx:
        if gpkg_ledger.add_photo(tx, row):
            store._audit(tx, actor.label, "ledger.photo", f"ledger:{code}", after=row)
    photos = gpkg_ledger.read_photos(store.conn, code)
    return photos[photos["sha256"] == sha].iloc[0].to_dict()


def photo_file(ws: Workspace, code: str, photo_id: int) -> tuple[Path, str]:
    """The file and media type of one photo of a problem (LedgerError if there is none)."""
    rows = gpkg_ledger.read_photos(_store(ws).conn, code, photo_id)
    if rows.empty:
        raise NotInLedger(f"problem {code} has no photo {photo_id}", hint="see the problem's photo list")
    row = rows.iloc[0]
    path = (ws.root / row["path"]).resolve()
    if not path.is_relative_to((ws.root / PHOTO_DIR).resolve()) or not path.is_file():
        raise NotInLedger(f"the file of photo {photo_id} is missing", hint="restore photos/ from a backup")
    return path, str(row["media_type"])


def problems(ws: Workspace, **filters: Any) -> pd.DataFrame:
    """The ledger's problems matching the filters (state, category, jurisdiction, source, bbox)."""
    for kind, key in (("sources", "source"), ("categories", "category")):
        if filters.get(key):
            filters[key] = check_code(kind, filters[key])
    if filters.get("state") and filters["state"] not in load_machine().states:
        raise LedgerError(
            f"unknown state {filters['state']!r}", hint=f"use one of {', '.join(load_machine().states)}"
        )
    return gpkg_ledger.read_problems(_store(ws).conn, **{k: v for k, v in filters.items() if v})


def history(ws: Workspace, code: str) -> pd.DataFrame:
    return gpkg_ledger.read_events(_store(ws).conn, code)


def photos(ws: Workspace, code: str) -> pd.DataFrame:
    return gpkg_ledger.read_photos(_store(ws).conn, code)
