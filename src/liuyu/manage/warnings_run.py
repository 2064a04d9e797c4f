"""`liuyu warnings check` and the evaluation after each observation ingest: read, judge, store alerts.

Alerts are stored through the alert system of :mod:`liuyu.assess.alerts` (``reconcile``) and
:mod:`liuyu.store.gpkg_alerts` (``apply``); :func:`raise_alerts` is the thin adapter between them
and this module (the alert system has no single "store these candidates" function). Rainstorm
alerts are never resolved automatically (a storm is an event; a user acknowledges or resolves it);
a level alert resolves when the station's newest level is back below its limit.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

from liuyu.assess import alerts as alerts_
from liuyu.errors import LiuyuError
from liuyu.manage import warnings as rules_
from liuyu.store import gpkg_alerts
from liuyu.store.base import utc_now
from liuyu.store.gpkg_tables import sql_conn, sql_store

if TYPE_CHECKING:
    from liuyu.workspace import Workspace

log = logging.getLogger("liuyu.warnings")
#: Rain read before the evaluated range: 24 h fill the longest window (12 h) twice over, and the rest lets a
#: storm that began before the range keep its first hour, so its alert keeps its key (one storm, one alert).
LOOKBACK = pd.Timedelta(hours=72)
#: How far back from a series' newest value an ingested batch is looked for (longer backfills: check --since).
BATCH_SPAN = pd.Timedelta(days=30)


@dataclass
class WarningResult:
    """What one evaluation found and stored."""

    stations: int = 0
    events: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=rules_.EVENT_COLUMNS))
    candidates: int = 0
    new: list[int] = field(default_factory=list)
    seen: int = 0
    resolved: int = 0


def _stations(ws: Workspace) -> pd.DataFrame:
    if ws.store.current_version("stations") is None:
        return pd.DataFrame(
            columns=["jurisdiction", "longitude", "latitude", "name"], index=pd.Index([], name="code")
        )
    st = ws.read_layer("stations")
    return pd.DataFrame(
        {
            "name": st["name"].to_numpy(),
            "jurisdiction": st["jurisdiction"].to_numpy(),
            "longitude": st.geometry.x.to_numpy(),
            "latitude": st.geometry.y.to_numpy(),
        },
        index=pd.Index(st["code"].to_numpy(), name="code"),
    )


def raise_alerts(
    ws: Workspace, found: pd.DataFrame, kinds: list[str], subjects: list[str], resolvable: list[str]
) -> alerts_.Plan:
    """Store candidate alerts: new keys are added, known ones refreshed (de-duplicated by key).

    Only stored alerts of ``kinds`` about ``subjects`` are compared; those of a ``resolvable`` kind
    whose condition no longer holds are resolved.
    """
    conn = sql_conn(ws.store)
    existing = gpkg_alerts.read(conn)
    existing = existing[existing["kind"].isin(kinds) & existing["subject"].isin(subjects)]
    scopes = {(k, p) for k, p in zip(existing["kind"], existing["period"], strict=True) if k in resolvable}
    plan = alerts_.reconcile(existing.reset_index(drop=True), found.reset_index(drop=True), scopes)
    places = _stations(ws)[["jurisdiction", "longitude", "latitude"]]
    with sql_store(ws.store).transaction() as tx:
        ids = gpkg_alerts.apply(tx, plan, places, utc_now())
    plan.new = plan.new.assign(ids=ids)
    return plan


def _read(
    ws: Workspace, prop: str, codes: list[str] | None, start: pd.Timestamp | None, end: pd.Timestamp | None
) -> pd.DataFrame:
    s = None if start is None else start.to_pydatetime()
    e = None if end is None else end.to_pydatetime()
    if codes is None:
        return ws.store.read_observations(property_code=prop, start=s, end=e)
    parts = [ws.store.read_observations(station_code=c, property_code=prop, start=s, end=e) for c in codes]
    found = [p for p in parts if len(p)]
    if found:
        return pd.concat(found, ignore_index=True)
    # no rows, with the store's columns; a station code no station has (PostgreSQL text takes no NUL)
    return parts[0] if parts else ws.store.read_observations(station_code="")


def evaluate(
    ws: Workspace,
    start: pd.Timestamp | None,
    end: pd.Timestamp | None = None,
    *,
    rain_stations: list[str] | None = None,
    level_stations: list[str] | None = None,
) -> WarningResult:
    """Judge rain (read from ``start`` − :data:`LOOKBACK`; events peaking from ``start`` on), levels."""
    rules = rules_.load_warning_rules()
    names = _stations(ws)["name"]
    lookback = None if start is None else start - LOOKBACK
    rain = _read(ws, rules["rainstorm"]["property"], rain_stations, lookback, end)
    events = rules_.rainstorm_events(rain, rules_.rain_levels(rules))
    if start is not None and len(events):
        events = events[pd.to_datetime(events["peak"], utc=True) >= start]
    found = [rules_.rainstorm_alerts(events, names, rules)]
    limits = pd.DataFrame(
        [lv.model_dump() for lv in ws.config.warnings.levels],
        columns=["station", "flood_limit_m", "normal_pool_m"],
    )
    lv_codes = [c for c in limits["station"] if level_stations is None or c in level_stations]
    stage = _read(
        ws, rules["reservoir_level"]["property"], lv_codes, None if start is None else lookback, end
    )
    found.append(
        rules_.level_alerts(
            stage, limits.astype({"flood_limit_m": float, "normal_pool_m": float}), names, rules
        )
    )
    cands = (
        pd.concat([f for f in found if len(f)], ignore_index=True) if any(len(f) for f in found) else found[0]
    )
    level_kinds = [rules["reservoir_level"][w]["kind"] for w in ("flood_limit", "normal_pool")]
    # only stations with data in the range are judged: a level station without one keeps its alert
    subjects = sorted(set(rain["station_code"]) | set(stage["station_code"]))
    plan = raise_alerts(ws, cands, [rules["rainstorm"]["kind"], *level_kinds], subjects, level_kinds)
    new_ids = plan.new["ids"].astype(int).tolist() if "ids" in plan.new else []
    return WarningResult(len(subjects), events, len(cands), new_ids, len(plan.seen), len(plan.resolved))


def evaluate_after_ingest(ws: Workspace, before: pd.DataFrame) -> WarningResult | None:
    """After an ingest: judge the rain and level series the batch changed, over its span and the 24 h before.

    ``before`` is ``store.series()`` read before the ingest; a series whose count changed was
    written to. A failure is logged, never raised: the ingest itself has already been committed.
    A batch is looked for within :data:`BATCH_SPAN` of its series' newest value; an older backfill is
    judged by ``liuyu warnings check --since``.
    """
    if not ws.config.warnings.on_ingest:
        return None
    try:
        rules = rules_.load_warning_rules()
        props = {rules["rainstorm"]["property"], rules["reservoir_level"]["property"]}
        after = ws.store.series()
        after = after[after["property_code"].isin(props)]
        n_before = before.set_index("series_id")["n"].reindex(after["series_id"]).fillna(0).to_numpy()
        changed = after[after["n"].to_numpy() != n_before]
        if changed.empty:
            return None
        newest = (
            pd.to_datetime(changed["last"], unit="s", utc=True)
            if pd.api.types.is_numeric_dtype(changed["last"])
            else pd.to_datetime(changed["last"], utc=True, format="mixed")
        )
        codes = sorted(set(changed["station_code"]))
        recent = _read(ws, rules["rainstorm"]["property"], codes, newest.max() - BATCH_SPAN, None)
        batch = recent[recent["batch_id"] == recent["batch_id"].max()] if len(recent) else recent
        start = batch["phenomenon_time"].min() if len(batch) else newest.min()
        rain_codes = codes if len(recent) else []
        return evaluate(ws, pd.Timestamp(start), None, rain_stations=rain_codes, level_stations=codes)
    except LiuyuError as exc:
        log.warning("warnings not evaluated after the ingest: %s", exc.message)
        return None
    except Exception:  # the ingest is committed; a fault here must not turn it into a failure
        log.exception("warnings not evaluated after the ingest; run `liuyu warnings check --since ...`")
        return None


def check(ws: Workspace, since: dt.datetime | None = None, until: dt.datetime | None = None) -> WarningResult:
    """`liuyu warnings check`: every rain gauge and configured level station, from ``since`` (all if None)."""
    start = None if since is None else pd.Timestamp(since)
    end = None if until is None else pd.Timestamp(until)
    return evaluate(ws, start, end)
