"""Assess a period: lab samples of the water-quality sections → GB 3838 classes, stored as a derived table."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, cast

import numpy as np
import pandas as pd

from liuyu.assess.classify import CLASS_LABELS, LAKE, RIVER, aggregate_period, classify
from liuyu.assess.standards import Standard, load_standard
from liuyu.errors import SchemaError
from liuyu.network.qc import QCFlag
from liuyu.store import gpkg_assess
from liuyu.store.base import utc_now

if TYPE_CHECKING:
    from liuyu.store.gpkg import GpkgStore
    from liuyu.workspace import Workspace

TZ = "Asia/Shanghai"
STANDARD = "gb3838_2002"
LAB = "lab"
ROMAN = {"I": 1, "II": 2, "III": 3, "IV": 4, "V": 5}
_PERIOD = re.compile(r"^(?P<y>\d{4})(?:-(?P<m>0[1-9]|1[0-2])|-Q(?P<q>[1-4]))?$")


@dataclass(frozen=True)
class Period:
    """An assessment period: its label and its local (Asia/Shanghai) boundaries [start, end)."""

    label: str
    kind: Literal["month", "season", "year"]
    start: pd.Timestamp
    end: pd.Timestamp


def parse_period(text: str) -> Period:
    """``"2024-08"`` (month), ``"2024-Q3"`` (quarter) or ``"2024"`` (year), in local time.

    Examples
    --------
    >>> p = parse_period("2024-Q3")
    >>> (p.kind, str(p.start), str(p.end))
    ('season', '2024-07-01 00:00:00+08:00', '2024-10-01 00:00:00+08:00')
    """
    match = _PERIOD.match(text.strip())
    if match is None:
        raise SchemaError(
            f"period {text!r} is not a month, quarter or year", hint="use 2024-08, 2024-Q3 or 2024"
        )
    year = int(match["y"])
    if match["m"]:
        kind: Literal["month", "season", "year"] = "month"
        start, months = pd.Timestamp(year, int(match["m"]), 1), 1
    elif match["q"]:
        kind, start, months = "season", pd.Timestamp(year, 3 * int(match["q"]) - 2, 1), 3
    else:
        kind, start, months = "year", pd.Timestamp(year, 1, 1), 12
    end = start + pd.DateOffset(months=months)
    return Period(text.strip(), kind, start.tz_localize(TZ), pd.Timestamp(end).tz_localize(TZ))


def latest_complete_month(ws: Workspace, now: dt.datetime | None = None) -> str | None:
    """The last local month with lab data that has ended by ``now`` (None when there is none)."""
    current = pd.Timestamp(now or dt.datetime.now(dt.UTC)).tz_convert(TZ).strftime("%Y-%m")
    months = [m for m in gpkg_assess.lab_months(_store(ws).conn) if m < current]
    return months[0] if months else None


def _store(ws: Workspace) -> GpkgStore:
    return cast("GpkgStore", ws.store)


def _sections(ws: Workspace) -> pd.DataFrame:
    """Water-quality sections with a known water type: code, water_type, target (1..5 or NA)."""
    stations = pd.DataFrame(ws.read_layer("stations")).drop(columns="geometry", errors="ignore")
    stations = stations.reindex(columns=["code", "kind", "water_type", "target_class"])
    wq = stations[(stations["kind"] == "water_quality") & stations["water_type"].isin([RIVER, LAKE])]
    target = wq["target_class"].map(ROMAN).astype("Int8")
    return pd.DataFrame(
        {"water_type": wq["water_type"].to_numpy(), "target": target.to_numpy()}, index=wq["code"]
    )


def _lab_samples(ws: Workspace, period: Period, codes: pd.Index) -> pd.DataFrame:
    obs = ws.store.read_observations(start=period.start.to_pydatetime(), end=period.end.to_pydatetime())
    rejected = (obs["qc_flag"].fillna(0).astype("int64") & int(QCFlag.REJECTED_RANGE)) != 0
    keep = (obs["method"] == LAB) & obs["station_code"].isin(codes) & ~rejected & obs["value"].notna()
    return obs[keep]


def fingerprint(period: str, batch_ids: np.ndarray, stations_version: int | None, standard: str) -> str:
    """Hash of what a period's result depends on: the batches read, the stations version, the standard."""
    batches = ",".join(str(b) for b in np.unique(batch_ids.astype("int64")))
    text = f"{period}|{batches}|stations:{stations_version}|{standard}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def assess_period(ws: Workspace, period: str, *, standard: str = STANDARD) -> pd.DataFrame:
    """Classify every water-quality section over ``period`` and store the rows in ``assessments``.

    Lab samples (method "lab", QC-rejected values left out) in the local period are averaged
    per section and item by :func:`~liuyu.assess.classify.aggregate_period`, then classified
    with the section's water type and compared with its target class. The stored rows are
    kept when the inputs' fingerprint is unchanged; otherwise the period's rows are replaced
    in one transaction. Returns the period's rows (empty when there are no lab samples).
    """
    p = parse_period(period)
    sections = _sections(ws)
    obs = _lab_samples(ws, p, sections.index)
    store = _store(ws)
    fp = fingerprint(p.label, obs["batch_id"].to_numpy(), store.current_version("stations"), standard)
    stored = gpkg_assess.read(store.conn, p.label)
    if (stored.empty and obs.empty) or (not stored.empty and (stored["fingerprint"] == fp).all()):
        return stored
    rows = _assess_rows(obs, sections, p, load_standard(standard))
    rows = rows.assign(standard=standard, fingerprint=fp, computed_at=utc_now())
    with store.transaction() as conn:
        gpkg_assess.replace(conn, p.label, rows)
    return gpkg_assess.read(store.conn, p.label)


def _assess_rows(obs: pd.DataFrame, sections: pd.DataFrame, p: Period, std: Standard) -> pd.DataFrame:
    """The pure part: one row per section with samples (the table's columns but the provenance)."""
    columns = [c for c in gpkg_assess.COLUMNS if c not in ("standard", "fingerprint", "computed_at")]
    if obs.empty:
        return pd.DataFrame(columns=columns)
    frame = pd.DataFrame(
        {
            "section_id": obs["station_code"].to_numpy(),
            "time": obs["phenomenon_time"].dt.tz_convert(TZ).dt.tz_localize(None).to_numpy(),
            "property_code": obs["property_code"].to_numpy(),
            "value": obs["value"].to_numpy(dtype=float),
            "censor": obs["censor"].to_numpy(),
        }
    )
    means = aggregate_period(frame, p.kind)
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
            "class": samples["class"].to_numpy(),
            "label": samples["label"].to_numpy(),
            "target": CLASS_LABELS[samples["target_class"].fillna(0).astype(int).to_numpy()],
            "met": samples["meets_target"].to_numpy(),
            "main_pollutants": _pollutant_text(samples, std),
            "n_samples": n.reindex(station).to_numpy(),
        }
    )[columns]


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
