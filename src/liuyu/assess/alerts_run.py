"""`liuyu alerts check`: evaluate the alert rules on a workspace, store the alerts, send the new ones."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from liuyu.assess import alerts as rules_
from liuyu.assess.alert_channels import AlertChannel, ChannelError, channels, log
from liuyu.assess.tli import tli
from liuyu.network.qc import QCFlag, load_qc_rules
from liuyu.store import gpkg_alerts
from liuyu.store.base import utc_now
from liuyu.store.gpkg_tables import sql_conn, sql_store

if TYPE_CHECKING:
    from liuyu.assess.run import Period
    from liuyu.workspace import Workspace

TLI_ITEMS = ("chla", "tp", "tn", "sd", "codmn")


@dataclass
class CheckResult:
    """What one check did: alerts raised, still active, reopened and resolved; sending outcome."""

    period: str | None
    new: list[int] = field(default_factory=list)
    seen: int = 0
    reopened: int = 0
    resolved: int = 0
    sent: int = 0
    failed: dict[int, str] = field(default_factory=dict)


def _stations(ws: Workspace) -> pd.DataFrame:
    if ws.store.current_version("stations") is None:
        return pd.DataFrame(
            columns=["code", "name", "kind", "water_type", "jurisdiction", "longitude", "latitude"]
        )
    st = ws.read_layer("stations")
    return pd.DataFrame(
        {
            "code": st["code"].to_numpy(),
            "name": st["name"].to_numpy(),
            "kind": st["kind"].to_numpy(),
            "water_type": st.get("water_type", pd.Series(None, index=st.index)).to_numpy(),
            "jurisdiction": st.get("jurisdiction", pd.Series(None, index=st.index)).to_numpy(),
            "longitude": st.geometry.x.to_numpy(),
            "latitude": st.geometry.y.to_numpy(),
        }
    )


def reservoir_tli(ws: Workspace, period: Period, stations: pd.DataFrame, method: str = "lab") -> pd.DataFrame:
    """TLI(Σ) of the period means at each lake/reservoir point: station_code, period, tli, grade."""
    lake = stations[(stations["water_type"] == "lake_reservoir") & (stations["kind"] == "water_quality")]
    obs = ws.store.read_observations(start=period.start.to_pydatetime(), end=period.end.to_pydatetime())
    rejected = (obs["qc_flag"].fillna(0).astype("int64") & int(QCFlag.REJECTED_RANGE)) != 0
    keep = obs["station_code"].isin(lake["code"]) & obs["property_code"].isin(TLI_ITEMS) & ~rejected
    obs = obs[keep & (obs["method"] == method) & obs["value"].notna()]
    if obs.empty:
        return pd.DataFrame(columns=["station_code", "period", "tli", "grade"])
    means = obs.pivot_table(index="station_code", columns="property_code", values="value", aggfunc="mean")
    out = tli(means)
    return pd.DataFrame(
        {
            "station_code": means.index,
            "period": period.label,
            "tli": out["tli"].to_numpy(),
            "grade": out["grade"],
        }
    ).reset_index(drop=True)


def _silence(ws: Workspace, as_of: pd.Timestamp, rule: dict[str, Any]) -> rules_.Silence:
    by_kind = {k: pd.Timedelta(v) for k, v in rule.get("expected_interval", {}).items()}
    by_method = {k: pd.Timedelta(seconds=v) for k, v in load_qc_rules().intervals.items()}
    return rules_.Silence(as_of, by_kind, by_method, dict(rule.get("active_months", {})))


def candidates(
    ws: Workspace, period: Period | None, now: pd.Timestamp
) -> tuple[pd.DataFrame, list[tuple[str, str]]]:
    """Every alert condition that holds, and the (kind, period) scopes evaluated."""
    from liuyu.assess.discharge import discharge_compliance
    from liuyu.assess.run import assess_period

    rules = rules_.load_alert_rules()
    st = _stations(ws)
    names = st.set_index("code")["name"]
    frames, scopes = [], [("station_silent", "")]
    if period is not None:
        assessed = assess_period(ws, period.label)
        frames.append(rules_.section_below_target(assessed, names, rules["section_below_target"]))
        tli_rows = reservoir_tli(ws, period, st, rules["reservoir_eutrophic"].get("method", "lab"))
        frames.append(rules_.reservoir_eutrophic(tli_rows, names, rules["reservoir_eutrophic"]))
        frames.append(
            rules_.facility_over_limit(discharge_compliance(ws, period), rules["facility_over_limit"])
        )
        scopes += [(k, period.label) for k in rules_.KINDS if k != "station_silent"]
    as_of = now if period is None else min(now, period.end.tz_convert("UTC"))
    rule = rules["station_silent"]
    frames.append(rules_.station_silent(ws.store.series(), st, _silence(ws, as_of, rule), rule))
    found = (
        pd.concat([f for f in frames if len(f)], ignore_index=True)
        if any(len(f) for f in frames)
        else frames[-1]
    )
    return found, scopes


def check_alerts(
    ws: Workspace, period: Period | None = None, *, now: dt.datetime | None = None, send: bool = True
) -> CheckResult:
    """Evaluate the rules, write the alerts (de-duplicated by key), then send the unsent ones."""
    stamp = pd.Timestamp(now or dt.datetime.now(dt.UTC))
    found, scopes = candidates(ws, period, stamp)
    conn = sql_conn(ws.store)
    plan = rules_.reconcile(gpkg_alerts.read(conn), found, scopes)
    places = _stations(ws).set_index("code")[["jurisdiction", "longitude", "latitude"]]
    with sql_store(ws.store).transaction() as tx:
        ids = gpkg_alerts.apply(tx, plan, places, utc_now())
    result = CheckResult(
        None if period is None else period.label,
        ids,
        len(plan.seen),
        len(plan.reopened),
        len(plan.resolved),
    )
    if send:
        result.sent, result.failed = send_unsent(ws, channels(ws.config.alerts))
    return result


def send_unsent(ws: Workspace, chans: list[AlertChannel]) -> tuple[int, dict[int, str]]:
    """Send every alert not sent yet through every channel; a failure is logged and kept for retry."""
    conn = sql_conn(ws.store)
    pending = gpkg_alerts.unsent(conn)
    records = pending.astype(object).where(pending.notna(), None).to_dict("records")
    sent, failed = 0, {}
    broken: set[str] = set()  # a channel that failed once is not tried again in this run
    for alert in records:
        errors = []
        for chan in chans:
            if chan.name in broken:
                errors.append(f"{chan.name}: not tried after an earlier failure in this run")
                continue
            try:
                chan.send(alert)
            except ChannelError as exc:
                broken.add(chan.name)
                errors.append(f"{chan.name}: {exc.message}")
                log.error("alert #%s not sent: %s", alert["id"], exc.message)
        ok = not errors
        gpkg_alerts.mark_sent(conn, int(alert["id"]), utc_now() if ok else None, "; ".join(errors) or None)
        sent += ok
        if not ok:
            failed[int(alert["id"])] = "; ".join(errors)
    return sent, failed
