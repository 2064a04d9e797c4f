"""Assess a period: lab samples of the water-quality sections → GB 3838 classes, stored as a derived table."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import geopandas as gpd
import numpy as np
import pandas as pd

from liuyu.assess.basin import assess_water_bodies
from liuyu.assess.classify import CLASS_LABELS, LAKE, RIVER, aggregate_period, classify
from liuyu.assess.seasons import Season, default_seasons, load_seasons
from liuyu.assess.standards import Standard, load_standard
from liuyu.errors import SchemaError
from liuyu.network.qc import QCFlag
from liuyu.store import gpkg_assess
from liuyu.store.base import utc_now
from liuyu.store.gpkg_tables import SqlStore, sql_store

if TYPE_CHECKING:
    from liuyu.workspace import Workspace

TZ = "Asia/Shanghai"
STANDARD = "gb3838_2002"
LAB = "lab"
ROMAN = {"I": 1, "II": 2, "III": 3, "IV": 4, "V": 5}
_PERIOD = re.compile(r"^(?P<y>\d{4})(?:-(?P<m>0[1-9]|1[0-2])|-Q(?P<q>[1-4])|-(?P<s>[a-z][a-z_]*))?$")
PeriodKind = Literal["month", "season", "year", "hydro"]


@dataclass(frozen=True)
class Period:
    """An assessment period: its label and its local (Asia/Shanghai) boundaries [start, end).

    ``kind`` "season" is a calendar quarter, "hydro" a hydrological season (丰/平/枯水期, 汛期)
    whose local ``months`` of the year are taken (empty: every month in [start, end)).
    """

    label: str
    kind: PeriodKind
    start: pd.Timestamp
    end: pd.Timestamp
    months: tuple[int, ...] = ()


def parse_period(text: str, seasons: Mapping[str, Season] | None = None) -> Period:
    """``2024-08`` (month), ``2024-Q3`` (quarter), ``2024`` (year) or ``2024-wet`` (season), local time.

    Seasons are those of ``seasons`` (default: the packaged ``seasons.toml``): wet, normal, dry
    and flood, each a set of months of the calendar year.

    Examples
    --------
    >>> p = parse_period("2024-Q3")
    >>> (p.kind, str(p.start), str(p.end))
    ('season', '2024-07-01 00:00:00+08:00', '2024-10-01 00:00:00+08:00')
    >>> p = parse_period("2024-dry")
    >>> (p.kind, p.months)
    ('hydro', (1, 2, 3, 11, 12))
    """
    known = default_seasons() if seasons is None else seasons
    match = _PERIOD.match(text.strip())
    if match is None or (match["s"] and match["s"] not in known):
        names = ", ".join(f"2024-{c}" for c in known)
        raise SchemaError(
            f"period {text!r} is not a month, quarter, season or year",
            hint=f"use 2024-08, 2024-Q3, 2024 or a season: {names}",
        )
    year = int(match["y"])
    if not 1900 <= year <= 2200:  # pandas cannot even represent year 0; no record is that old
        raise SchemaError(
            f"period {text!r}: year {year} is out of range", hint="give a year from 1900 to 2200"
        )
    months: tuple[int, ...] = ()
    if match["m"]:
        kind: PeriodKind = "month"
        start, n = pd.Timestamp(year, int(match["m"]), 1), 1
    elif match["q"]:
        kind, start, n = "season", pd.Timestamp(year, 3 * int(match["q"]) - 2, 1), 3
    elif match["s"]:
        months = known[match["s"]].months
        kind, start, n = "hydro", pd.Timestamp(year, 1, 1), 12
    else:
        kind, start, n = "year", pd.Timestamp(year, 1, 1), 12
    end = start + pd.DateOffset(months=n)
    return Period(text.strip(), kind, start.tz_localize(TZ), pd.Timestamp(end).tz_localize(TZ), months)


def workspace_seasons(ws: Workspace) -> dict[str, Season]:
    """The seasons of a workspace: the packaged ones with ``[assess.seasons]`` of liuyu.toml over them."""
    return load_seasons(ws.config.assess.seasons)


def season_labels(years: list[int], seasons: Mapping[str, Season]) -> list[str]:
    """``2024-wet`` … for each year (newest first) and season, in the seasons' order."""
    return [f"{y}-{code}" for y in sorted(set(years), reverse=True) for code in seasons]


def latest_complete_month(ws: Workspace, now: dt.datetime | None = None) -> str | None:
    """The last local month with lab data that has ended by ``now`` (None when there is none)."""
    current = pd.Timestamp(now or dt.datetime.now(dt.UTC)).tz_convert(TZ).strftime("%Y-%m")
    months = [m for m in gpkg_assess.lab_months(_store(ws).conn) if m < current]
    return months[0] if months else None


def _store(ws: Workspace) -> SqlStore:
    return sql_store(ws.store)


def _sections(ws: Workspace) -> pd.DataFrame:
    """Water-quality sections with a known water type: code, water_type, target (1..5 or NA)."""
    stations = pd.DataFrame(ws.read_layer("stations")).drop(columns="geometry", errors="ignore")
    stations = stations.reindex(columns=["code", "kind", "water_type", "target_class"])
    wq = stations[(stations["kind"] == "water_quality") & stations["water_type"].isin([RIVER, LAKE])]
    target = wq["target_class"].map(ROMAN).astype("Int8")
    return pd.DataFrame(
        {"water_type": wq["water_type"].to_numpy(), "target": target.to_numpy()}, index=wq["code"]
    )


def _lab_samples(ws: Workspace, period: Period | None, codes: pd.Index) -> pd.DataFrame:
    """The usable lab samples of these sections in the period (``None``: all time, read per section).

    A period is read at once (demo on the Parquet observation store: a month 0.16 s, a year
    0.8 s, against 0.84 s for 96 reads of one section each); without a period only the
    sections' own series are read.
    """
    if period is not None:
        start, end = period.start, period.end
        if period.months:  # read from the season's first month to its last (all of the year for dry)
            start = start + pd.DateOffset(months=min(period.months) - 1)
            end = period.start + pd.DateOffset(months=max(period.months))
        obs = ws.store.read_observations(start=start.to_pydatetime(), end=end.to_pydatetime())
    else:
        parts = [ws.store.read_observations(station_code=c) for c in codes]
        found = [part for part in parts if len(part)]
        obs = (
            pd.concat(found, ignore_index=True) if found else ws.store.read_observations(station_code="\x00")
        )
    rejected = (obs["qc_flag"].fillna(0).astype("int64") & int(QCFlag.REJECTED_RANGE)) != 0
    keep = (obs["method"] == LAB) & obs["station_code"].isin(codes) & ~rejected & obs["value"].notna()
    if period is not None and period.months:  # a hydrological season: only its local months of the year
        keep &= obs["phenomenon_time"].dt.tz_convert(TZ).dt.month.isin(period.months)
    return obs[keep]


def fingerprint(
    period: str,
    batch_ids: np.ndarray,
    stations_version: int | None,
    standard: str,
    months: tuple[int, ...] = (),
) -> str:
    """Hash of what a period's result depends on: the batches read, the stations version, the standard.

    A season's months are part of it, so changing them in liuyu.toml recomputes the season.
    """
    batches = ",".join(str(b) for b in np.unique(batch_ids.astype("int64")))
    text = f"{period}|{batches}|stations:{stations_version}|{standard}"
    if months:
        text += "|months:" + ",".join(map(str, months))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def assess_period(ws: Workspace, period: str, *, standard: str = STANDARD) -> pd.DataFrame:
    """Classify every water-quality section over ``period`` and store the rows in ``assessments``.

    Lab samples (method "lab", QC-rejected values left out) in the local period (for a season,
    in its months) are averaged per section and item by
    :func:`~liuyu.assess.classify.aggregate_period`, then classified
    with the section's water type and compared with its target class. The stored rows are
    kept when the inputs' fingerprint is unchanged; otherwise the period's rows are replaced
    in one transaction. Returns the period's rows (empty when there are no lab samples).
    """
    p = parse_period(period, workspace_seasons(ws))
    sections = _sections(ws)
    obs = _lab_samples(ws, p, sections.index)
    store = _store(ws)
    version = ws.store.current_version("stations")
    fp = fingerprint(p.label, obs["batch_id"].to_numpy(), version, standard, p.months)
    stored = gpkg_assess.read(store.conn, p.label)
    if (stored.empty and obs.empty) or (not stored.empty and (stored["fingerprint"] == fp).all()):
        return stored
    rows = _assess_rows(obs, sections, p, load_standard(standard))
    rows = rows.assign(standard=standard, fingerprint=fp, computed_at=utc_now())
    with store.transaction() as conn:
        gpkg_assess.replace(conn, p.label, rows)
    return gpkg_assess.read(store.conn, p.label)


def _sample_frame(obs: pd.DataFrame) -> pd.DataFrame:
    """Lab observations as the engine's samples: section, local time, item, value, censor."""
    return pd.DataFrame(
        {
            "section_id": obs["station_code"].to_numpy(),
            "time": obs["phenomenon_time"].dt.tz_convert(TZ).dt.tz_localize(None).to_numpy(),
            "property_code": obs["property_code"].to_numpy(),
            "value": obs["value"].to_numpy(dtype=float),
            "censor": obs["censor"].to_numpy(),
        }
    )


def _class_columns(samples: pd.DataFrame, std: Standard) -> dict[str, object]:
    """The class, label, target, met and main pollutants of classified samples, as result columns."""
    return {
        "class": samples["class"].to_numpy(),
        "label": samples["label"].to_numpy(),
        "target": CLASS_LABELS[samples["target_class"].fillna(0).astype(int).to_numpy()],
        "met": samples["meets_target"].to_numpy(),
        "main_pollutants": _pollutant_text(samples, std),
    }


def _assess_rows(obs: pd.DataFrame, sections: pd.DataFrame, p: Period, std: Standard) -> pd.DataFrame:
    """The pure part: one row per section with samples (the table's columns but the provenance)."""
    columns = [c for c in gpkg_assess.COLUMNS if c not in ("standard", "fingerprint", "computed_at")]
    if obs.empty:
        return pd.DataFrame(columns=columns)
    frame = _sample_frame(obs)
    means = aggregate_period(frame, label=p.label)  # the samples are all in the period already
    by_sample = means.drop_duplicates("sample_id").set_index("sample_id")["section_id"]
    water = pd.Series(sections["water_type"].reindex(by_sample).to_numpy(), index=by_sample.index)
    target = pd.Series(sections["target"].reindex(by_sample).to_numpy(), index=by_sample.index)
    samples = classify(means, water, target=target, standard=std).samples
    n = obs.groupby("station_code")["phenomenon_time"].nunique()
    station = by_sample.reindex(samples.index)
    return pd.DataFrame(
        {
            "period": p.label,
            "station_code": station.to_numpy(),
            "water_type": samples["water_type"].to_numpy(),
            **_class_columns(samples, std),
            "n_samples": n.reindex(station).to_numpy(),
        }
    )[columns]


# --- the class history of one section ----------------------------------------------------------
def section_history(ws: Workspace, code: str, *, standard: str = STANDARD) -> pd.DataFrame:
    """The section's class in every local month it has lab samples, oldest first.

    Computed from the section's own samples in one pass (a section's class does not depend on
    the other sections), so it always agrees with :func:`assess_period` for that month and is
    never stale. Empty when the code is not a water-quality section with a water type.
    Columns: period, class, label, grade, target, met, main_pollutants, n_samples, verified.
    """
    columns = ["period", "class", "label", "grade", "target", "met", "main_pollutants", "n_samples"]
    sections = _sections(ws)
    if code not in sections.index:
        return pd.DataFrame(columns=[*columns, "verified"])
    obs = _lab_samples(ws, None, pd.Index([code]))
    if obs.empty:
        return pd.DataFrame(columns=[*columns, "verified"])
    frame = _sample_frame(obs)
    means = aggregate_period(frame, "month")
    per_sample = means.drop_duplicates("sample_id").set_index("sample_id")
    std = load_standard(standard)
    target = pd.Series(sections.loc[code, "target"], index=per_sample.index, dtype="Int8")
    samples = classify(means, str(sections.loc[code, "water_type"]), target=target, standard=std).samples
    month = pd.Series(frame["time"]).dt.strftime("%Y-%m")
    n = obs.groupby(month.to_numpy())["phenomenon_time"].nunique()
    periods = per_sample["period"].reindex(samples.index).to_numpy()
    return pd.DataFrame(
        {
            "period": periods,
            **_class_columns(samples, std),
            "grade": samples["grade"].to_numpy(),
            "n_samples": n.reindex(periods).to_numpy(),
            "verified": samples["verified"].to_numpy(),
        }
    )[[*columns, "verified"]].sort_values("period", ignore_index=True)


# --- lakes and reservoirs as water bodies ------------------------------------------------------
def water_bodies(ws: Workspace) -> pd.DataFrame:
    """Lake/reservoir sections and their water body: ``station_code`` → ``water_body``, ``name``.

    A section inside a polygon of the reservoirs layer belongs to that reservoir (its code, else
    its name); otherwise to the water body its ``river`` field names; otherwise it is its own.
    """
    stations = ws.read_layer("stations")
    lake = stations[(stations["kind"] == "water_quality") & (stations["water_type"] == LAKE)]
    lake = lake[["code", "river", "geometry"]].reset_index(drop=True)
    body = lake["river"].where(lake["river"].notna() & (lake["river"] != ""), lake["code"]).astype(object)
    name = body.copy()
    reservoirs = ws.read_layer("reservoirs") if not lake.empty else None
    if reservoirs is not None and not reservoirs.empty:
        res = reservoirs[["code", "name", "geometry"]].to_crs(lake.crs)
        res = res.assign(key=res["code"].where(res["code"].notna(), res["name"]))
        hit = gpd.sjoin(lake[["geometry"]], res, predicate="within", how="left")
        hit = hit[~hit.index.duplicated()]
        inside = hit["key"].notna().to_numpy()
        body[inside] = hit["key"].to_numpy()[inside]
        name[inside] = hit["name"].fillna(hit["key"]).to_numpy()[inside]
    return pd.DataFrame({"station_code": lake["code"], "water_body": body, "name": name})


def assess_lakes(ws: Workspace, period: str, *, standard: str = STANDARD) -> pd.DataFrame:
    """Class of each lake or reservoir over ``period`` from all its points (time, then space).

    The averaging is ``[assess] lake_averaging`` of liuyu.toml (see
    :func:`~liuyu.assess.basin.water_body_means`). The target of a water body is the strictest
    of its points' targets. Computed on demand (it is cheap), not stored. One row per water
    body: water_body, name, n_points, class, label, grade, target, met, main_pollutants, verified.
    """
    p = parse_period(period, workspace_seasons(ws))
    sections = _sections(ws)
    bodies = water_bodies(ws).set_index("station_code")
    obs = _lab_samples(ws, p, bodies.index.intersection(sections.index))
    columns = ["water_body", "name", "n_points", "class", "label", "grade", "target", "met"]
    if obs.empty:
        return pd.DataFrame(columns=[*columns, "main_pollutants", "verified"])
    frame = pd.DataFrame(
        {
            "section_id": obs["station_code"].to_numpy(),
            "property_code": obs["property_code"].to_numpy(),
            "value": obs["value"].to_numpy(dtype=float),
            "censor": obs["censor"].to_numpy(),
        }
    )
    target = sections["target"].reindex(bodies.index).groupby(bodies["water_body"]).min()
    std = load_standard(standard)
    result = assess_water_bodies(
        frame, bodies["water_body"], averaging=ws.config.assess.lake_averaging, target=target, standard=std
    )
    samples = result.samples
    points = obs.groupby(bodies["water_body"].reindex(obs["station_code"]).to_numpy())["station_code"]
    names = bodies.drop_duplicates("water_body").set_index("water_body")["name"]
    return pd.DataFrame(
        {
            "water_body": samples.index.to_numpy(),
            "name": names.reindex(samples.index).to_numpy(),
            "n_points": points.nunique().reindex(samples.index).to_numpy(),
            **_class_columns(samples, std),
            "grade": samples["grade"].to_numpy(),
            "verified": samples["verified"].to_numpy(),
        }
    )[[*columns, "main_pollutants", "verified"]]


def _pollutant_text(samples: pd.DataFrame, std: Standard) -> list[str]:
    """``总磷(0.40)、氨氮(0.12)``: main pollutants with their exceedance multiples over Class Ⅲ."""
    parts: list[list[str]] = [[] for _ in range(len(samples))]
    for i in (1, 2, 3):
        codes = samples.get(f"main_{i}", pd.Series("", index=samples.index)).to_numpy()
        mults = samples.get(f"multiple_{i}", pd.Series(np.nan, index=samples.index)).to_numpy(dtype=float)
        for row, (code, mult) in enumerate(zip(codes, mults, strict=True)):
            if code:
                name = std.items[code].name_zh
                parts[row].append(name if np.isnan(mult) else f"{name}({mult:.2f})")
    return ["、".join(p) for p in parts]


def class_proportions(rows: pd.DataFrame) -> pd.Series:
    """Share of the sections in each class Ⅰ..劣Ⅴ (all six, 0 where none), in percent."""
    labels = list(CLASS_LABELS[1:])
    counts = rows["label"].value_counts().reindex(labels, fill_value=0)
    total = int(counts.sum())
    return counts * 100.0 / total if total else counts.astype(float)
