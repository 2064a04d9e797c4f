"""The pure stages of an observation ingest: stations, values, units, duplicates, QC; rejects with reasons."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from liuyu.errors import SchemaError
from liuyu.network.qc import QCFlag, run_qc
from liuyu.network.units import to_canonical
from liuyu.network.values import parse_values

__all__ = ["Prepared", "prepare_observations", "station_index"]

REJECT_COLUMNS = ["source_row", "field", "value", "reason"]
KEY = ["station_code", "property_code", "method", "phenomenon_time"]


@dataclass
class Prepared:
    """What is left to store, what was rejected and why, and the counts on the way."""

    accepted: pd.DataFrame
    rejected: pd.DataFrame
    counts: dict[str, int] = field(default_factory=dict)


def station_index(stations: pd.DataFrame) -> dict[str, str]:
    """Every code, alias and name of the stations layer (NFKC, stripped) → canonical code."""
    index: dict[str, str] = {}
    for code, name, aliases in stations.reindex(columns=["code", "name", "aliases"]).itertuples(index=False):
        if code is None or pd.isna(code):
            continue
        canonical = _norm(code)
        for alias in str(aliases or "").replace("，", ",").split(","):
            if alias.strip() and alias.lower() != "nan":
                index.setdefault(_norm(alias), canonical)
        if isinstance(name, str) and name.strip():
            index.setdefault(_norm(name), canonical)
        index[canonical] = canonical  # a code always wins over another station's alias or name
    return index


def _norm(text: object) -> str:
    return unicodedata.normalize("NFKC", str(text)).strip()


def _reject(
    obs: pd.DataFrame, mask: np.ndarray, field_: str | pd.Series, value: pd.Series, reason: pd.Series | str
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "source_row": obs.loc[mask, "source_row"].to_numpy(),
            "field": field_[mask].to_numpy() if isinstance(field_, pd.Series) else field_,
            "value": value[mask].to_numpy(),
            "reason": reason[mask].to_numpy() if isinstance(reason, pd.Series) else reason,
        },
        columns=REJECT_COLUMNS,
    )


def _resolve_stations(obs: pd.DataFrame, index: Mapping[str, str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    code = obs["station_code"].astype(object)
    given = code.where(code.notna(), obs.get("station_name", pd.Series(None, index=obs.index)))
    keys = pd.Series(pd.unique(given.dropna()), dtype=object)
    lookup = dict(zip(keys, keys.map(lambda k: index.get(_norm(k))), strict=True))
    resolved = given.map(lookup)
    bad = resolved.isna().to_numpy()
    reason = "unknown station " + given.astype(str) + ": not a code, alias or name in the stations layer"
    rejected = _reject(obs, bad, "station_code", given, reason)
    return obs.loc[~bad].assign(station_code=resolved[~bad]), rejected


def _parse(obs: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    parsed = parse_values(obs["raw"])
    invalid = (parsed["status"] == "invalid").to_numpy()
    missing = (parsed["status"] == "missing").to_numpy()
    rejected = _reject(obs, invalid, obs["property_code"], obs["raw"], parsed["reason"])
    ok = ~(invalid | missing)
    cell_unit = parsed["unit"].where(parsed["unit"] != "")
    out = obs.loc[ok].assign(
        value=parsed.loc[ok, "value"],
        censor=parsed.loc[ok, "censor"],
        unit=cell_unit[ok].fillna(obs.loc[ok, "unit"]),
    )
    return out, rejected, int(missing.sum())


def _canonical(obs: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Values in each property's canonical unit; rows whose unit cannot be converted are rejected."""
    values = obs["value"].to_numpy(dtype="float64").copy()
    bad = np.zeros(len(obs), dtype=bool)
    reason = pd.Series("", index=obs.index, dtype=object)
    units = obs["unit"].astype(object).where(obs["unit"].notna(), "")
    groups = (
        pd.DataFrame({"p": obs["property_code"].to_numpy(), "u": units.to_numpy()})
        .groupby(["p", "u"])
        .indices
    )
    for (prop, unit), at in groups.items():
        try:
            values[at] = to_canonical(values[at], unit or None, prop)
        except SchemaError as exc:
            bad[at] = True
            reason.iloc[at] = exc.message
    rejected = _reject(obs, bad, obs["property_code"], obs["raw"], reason)
    return obs.loc[~bad].assign(value=values[~bad]), rejected


def _duplicates(obs: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """Identical repeats of a (station, property, method, time) kept once; conflicting ones all rejected."""
    dup = obs.duplicated(KEY, keep=False).to_numpy()
    if not dup.any():
        return obs, _reject(obs, dup, "", obs["raw"], ""), 0
    d = obs.loc[dup]
    distinct = (
        d.assign(v=d["value"].round(12)).groupby(KEY, dropna=False)[["v", "censor"]].transform("nunique")
    )
    conflict = np.zeros(len(obs), dtype=bool)
    conflict[np.flatnonzero(dup)] = ((distinct["v"] > 1) | (distinct["censor"] > 1)).to_numpy()
    reason = pd.Series(
        "conflicting duplicate: another row gives a different value for this station, property and time",
        index=obs.index,
    )
    rejected = _reject(obs, conflict, obs["property_code"], obs["raw"], reason)
    kept = obs.loc[~conflict]
    repeat = kept.duplicated(KEY, keep="first").to_numpy()
    return kept.loc[~repeat], rejected, int(repeat.sum())


def _qc(obs: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    sid = obs.groupby(["station_code", "property_code", "method"], sort=False).ngroup()
    flagged = run_qc(obs.assign(series_id=sid.to_numpy()))
    hard = (flagged["qc_flag"].to_numpy() & int(QCFlag.REJECTED_RANGE)) != 0
    reason = "outside the hard range of " + obs["property_code"] + " (qc_rules.toml): physically impossible"
    rejected = _reject(obs, hard, obs["property_code"], obs["raw"], reason)
    return flagged.loc[~hard].drop(columns="series_id"), rejected


def prepare_observations(obs: pd.DataFrame, stations: Mapping[str, str]) -> Prepared:
    """Run the pure stages over parsed observations (see :mod:`liuyu.network.ingest`).

    Returns the rows to store (value canonical, ``qc_flag`` set) and the rejected rows with
    source_row, field, value (the raw cell) and reason, plus counts per stage.
    """
    stages: list[pd.DataFrame] = []
    ok, rej = _resolve_stations(obs, stations)
    stages.append(rej)
    ok, rej, missing = _parse(ok)
    stages.append(rej)
    ok, rej = _canonical(ok)
    stages.append(rej)
    ok, rej, merged = _duplicates(ok)
    stages.append(rej)
    ok, rej = _qc(ok)
    stages.append(rej)
    counts = {
        "unknown_station": len(stages[0]),
        "invalid_value": len(stages[1]),
        "bad_unit": len(stages[2]),
        "conflicting_duplicate": len(stages[3]),
        "rejected_range": len(stages[4]),
        "missing": missing,
        "merged_duplicates": merged,
    }
    rejected = pd.concat([s for s in stages if len(s)] or [stages[0]], ignore_index=True)
    return Prepared(ok.reset_index(drop=True), rejected, counts)
