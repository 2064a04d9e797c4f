"""The shell of discharge compliance: stations and their standard from the workspace, a stored result."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from liuyu.assess.discharge import judge
from liuyu.assess.discharge_limits import DischargeRules, load_rules, standard_hash
from liuyu.network.qc import QCFlag
from liuyu.store import gpkg_discharge
from liuyu.store.base import utc_now
from liuyu.store.gpkg_tables import sql_conn, sql_store

if TYPE_CHECKING:
    from liuyu.assess.run import Period
    from liuyu.workspace import Workspace


def _layer(ws: Workspace, code: str) -> gpd.GeoDataFrame | None:
    if ws.store.current_version(code) is None:
        return None
    return ws.read_layer(code)


def station_standards(
    stations: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame | None,
    rules: DischargeRules,
    crs: str = "EPSG:4548",
) -> pd.DataFrame:
    """The standard, class and build date of each station of the configured kinds.

    In order: the station's own ``standard`` / ``standard_class`` columns when it has them, the
    ``sewage_facilities`` feature within ``link_distance_m`` (its ``commissioned`` date is the
    build date GB 18918 TP limits depend on), the configured default for the station's kind.
    """
    st = stations[stations["kind"].isin(rules.kinds)].reset_index(drop=True)
    out = pd.DataFrame({"station_code": st["code"], "name": st.get("name"), "kind": st["kind"]})
    code = st.get("standard", pd.Series(None, index=st.index, dtype=object))
    klass = st.get("standard_class", pd.Series(None, index=st.index, dtype=object))
    built = pd.to_datetime(st.get("commissioned", pd.Series(None, index=st.index)), errors="coerce")
    source = np.where(code.notna(), "station", "")
    if facilities is not None and len(facilities) and len(st):
        pts = st.geometry.to_crs(crs).array
        fac = facilities.to_crs(crs).reset_index(drop=True)
        si, fi = shapely.STRtree(fac.geometry.array).query_nearest(
            pts, max_distance=rules.link_distance_m, all_matches=False
        )
        linked = pd.Series(-1, index=st.index)
        linked.iloc[si] = fi
        has = (linked >= 0) & code.isna()
        f = fac.iloc[linked[has].to_numpy()]
        code = code.astype(object)
        klass = klass.astype(object)
        code[has] = f.get("standard", pd.Series(None, index=f.index)).to_numpy()
        klass[has] = f.get("standard_class", pd.Series(None, index=f.index)).to_numpy()
        built[has] = pd.to_datetime(f.get("commissioned", pd.Series(None, index=f.index)), errors="coerce")
        source = np.where(has & code.notna(), "facility", source)
    names = code.map(rules.standards)
    default = st["kind"].map({k: v[0] for k, v in rules.defaults.items()})
    default_class = st["kind"].map({k: v[1] for k, v in rules.defaults.items()})
    use_default = names.isna() & default.notna()
    out["standard"] = names.where(~use_default, default).fillna("")
    out["standard_class"] = klass.where(~use_default, default_class).fillna("")
    out["built"] = built
    out["standard_source"] = np.where(use_default, "default", np.where(out["standard"] == "", "none", source))
    return out


def _observations(ws: Workspace, period: Period, codes: pd.Series) -> pd.DataFrame:
    obs = ws.store.read_observations(start=period.start.to_pydatetime(), end=period.end.to_pydatetime())
    rejected = (obs["qc_flag"].fillna(0).astype("int64") & int(QCFlag.REJECTED_RANGE)) != 0
    return obs[obs["station_code"].isin(codes) & ~rejected & obs["value"].notna()]


def fingerprint(ws: Workspace, period: Period, obs: pd.DataFrame, st: pd.DataFrame, rules: Any) -> str:
    """Hash of what a period's result depends on: batches, layer versions, rules and standard files."""
    batches = ",".join(str(b) for b in np.unique(obs["batch_id"].to_numpy().astype("int64")))
    versions = [ws.store.current_version(c) for c in ("stations", "sewage_facilities")]
    std = standard_hash(list(st["standard"].unique()))
    text = f"{period.label}|{batches}|{versions}|{rules.text_hash}|{std}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def compliance_for(ws: Workspace, period: Period) -> pd.DataFrame:
    """See :func:`liuyu.assess.discharge.discharge_compliance`."""
    rules = load_rules()
    stations = _layer(ws, "stations")
    if stations is None:
        return pd.DataFrame(columns=list(gpkg_discharge.COLUMNS))
    st = station_standards(stations, _layer(ws, "sewage_facilities"), rules, ws.config.crs.analysis)
    obs = _observations(ws, period, st["station_code"])
    conn = sql_conn(ws.store)
    fp = fingerprint(ws, period, obs, st, rules)
    stored = gpkg_discharge.read(conn, period.label)
    if not stored.empty and (stored["fingerprint"] == fp).all():
        return stored
    rows = judge(obs, st, rules).assign(period=period.label, fingerprint=fp, computed_at=utc_now())
    with sql_store(ws.store).transaction() as tx:
        gpkg_discharge.replace(tx, period.label, rows)
    return gpkg_discharge.read(conn, period.label)
