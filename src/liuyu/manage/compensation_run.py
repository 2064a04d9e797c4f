"""`liuyu compensation`: gather a period's inputs from the workspace, compute, write the statement."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from liuyu.assess.classify import aggregate_period, classify
from liuyu.assess.run import TZ, Period, assess_period, parse_period
from liuyu.errors import ConfigError, SchemaError
from liuyu.manage.compensation import baseline_volumes, period_volumes, statement, totals
from liuyu.manage.compensation_agreement import Agreement, load_agreement
from liuyu.network.qc import QCFlag

if TYPE_CHECKING:
    from liuyu.workspace import Workspace

CONTROL_FILE = Path("manage") / "compensation" / "control.csv"


@dataclass
class Statement:
    """A computed statement: its lines, the per-county totals, and what produced them."""

    agreement: Agreement
    agreement_source: str
    period: str
    lines: pd.DataFrame
    totals: pd.DataFrame

    def header(self) -> dict[str, Any]:
        ag = self.agreement
        return {
            "agreement": ag.name_zh,
            "agreement_en": ag.name_en,
            "source": self.agreement_source,
            "example": ag.example,
            "notice_zh": ag.notice_zh,
            "notice_en": ag.notice_en,
            "period": self.period,
            "currency": ag.currency,
        }


def _stations(ws: Workspace) -> pd.DataFrame:
    st = pd.DataFrame(ws.read_layer("stations")).drop(columns="geometry", errors="ignore")
    return st.reindex(columns=["code", "name", "kind", "water_type"])


def _resolve(st: pd.DataFrame, key: str, kinds: tuple[str, ...]) -> pd.Series:
    """The station an agreement names by code or by name (of one of ``kinds``)."""
    hit = st[(st["code"] == key) | ((st["name"] == key) & st["kind"].isin(kinds))]
    if hit.empty:
        raise ConfigError(
            f"the agreement names station {key!r}, not found among the {'/'.join(kinds)} stations",
            hint="write the station's code or exact name as in the stations layer",
        )
    return hit.iloc[0]


def _usable(obs: pd.DataFrame) -> pd.DataFrame:
    rejected = (obs["qc_flag"].fillna(0).astype("int64") & int(QCFlag.REJECTED_RANGE)) != 0
    return obs[~rejected & obs["value"].notna()]


def _volumes(ws: Workspace, ag: Agreement, st: pd.DataFrame, p: Period) -> pd.DataFrame:
    year, month = p.start.year, (p.start.month if p.kind == "month" else None)
    rows = []
    for qs in ag.quantity.stations:
        s = _resolve(st, qs.station, ("flow",))
        obs = _usable(ws.store.read_observations(station_code=s["code"], property_code=ag.quantity.property))
        v = period_volumes(obs, p.start, p.end, TZ)
        row: dict[str, Any] = {
            "station_key": qs.station,
            "station_code": s["code"],
            "station_name": s["name"],
            "property": ag.quantity.property,
        }
        row |= v.iloc[0].drop("station_code").to_dict() if len(v) else {"volume_1e8m3": np.nan, "n_days": 0}
        inside = obs[(obs["phenomenon_time"] >= p.start) & (obs["phenomenon_time"] < p.end)]
        row["batches"] = sorted(set(inside["batch_id"].astype(int)))
        if qs.baseline_1e8m3 is not None:
            share = 1.0 if month is None else ag.quantity.monthly_shares[month - 1]
            row |= {
                "baseline_1e8m3": qs.baseline_1e8m3 * share,
                "baseline_source": f"agreement quantity.stations[{qs.station}].baseline_1e8m3 × {share:g}",
            }
        else:
            b = baseline_volumes(obs, year, ag.quantity.baseline_since, month, ag.quantity.min_coverage, TZ)
            row["baseline_1e8m3"] = float(b["baseline_1e8m3"].iloc[0]) if len(b) else np.nan
            row["baseline_source"] = (
                f"stored {ag.quantity.property}, mean of years {b['years'].iloc[0]}"
                if len(b)
                else f"no complete year since {ag.quantity.baseline_since}"
            )
        rows.append(row)
    return pd.DataFrame(rows)


def _lab(ws: Workspace, codes: list[str], p: Period, method: str) -> pd.DataFrame:
    s, e = p.start.to_pydatetime(), p.end.to_pydatetime()
    parts = [_usable(ws.store.read_observations(station_code=c, start=s, end=e)) for c in codes]
    obs = pd.concat(parts, ignore_index=True)
    return obs[obs["method"] == method]


def _items(ws: Workspace, ag: Agreement, sections: pd.DataFrame, p: Period) -> pd.DataFrame:
    """Per section and item: the period mean, its GB 3838 class, and the stored assessment of the section."""
    cols = ["section_key", "station_code", "property_code", "value", "n", "class", "label"]
    obs = _lab(ws, sections["code"].tolist(), p, ag.quality.method)
    obs = obs[obs["property_code"].isin(list(ag.quality.items))]
    if obs.empty:
        return pd.DataFrame(columns=cols)
    frame = pd.DataFrame(
        {
            "section_id": obs["station_code"],
            "property_code": obs["property_code"],
            "value": obs["value"],
            "censor": obs["censor"],
        }
    )
    means = aggregate_period(frame, label=p.label)
    water = (
        means.drop_duplicates("sample_id")
        .set_index("sample_id")["section_id"]
        .map(sections.set_index("code")["water_type"].fillna("river"))
    )
    res = classify(means, water).items.merge(
        means[["sample_id", "property_code", "n"]], on=["sample_id", "property_code"]
    )
    res["station_code"] = res["sample_id"].str.split("/").str[0]
    assessed = assess_period(ws, p.label).set_index("station_code")
    res["assessment_class"] = res["station_code"].map(assessed["label"]) if len(assessed) else None
    res["assessment_fingerprint"] = (
        res["station_code"].map(assessed["fingerprint"]) if len(assessed) else None
    )
    res["batches"] = res["station_code"].map(
        obs.groupby("station_code")["batch_id"].agg(lambda b: sorted(set(b)))
    )
    keys = sections.set_index("code")["key"]
    return res.assign(section_key=res["station_code"].map(keys), period=p.label)[
        [*cols, "assessment_class", "assessment_fingerprint", "batches", "period"]
    ]


def _tn(ws: Workspace, ag: Agreement, sections: pd.DataFrame, p: Period) -> pd.DataFrame:
    if ag.tn_reward is None:
        return pd.DataFrame(columns=["section_key", "value_now", "value_prev"])
    prev = parse_period(f"{p.start.year - 1}{p.label[4:]}")
    means = []
    for per in (p, prev):
        o = _lab(ws, sections["code"].tolist(), per, ag.quality.method)
        means.append(
            o[o["property_code"] == ag.tn_reward.property]
            .groupby("station_code")["value"]
            .agg(["mean", "count"])
        )
    out = pd.DataFrame(
        {"section_key": sections["key"].to_numpy(), "station_code": sections["code"].to_numpy()}
    )
    out["value_now"] = out["station_code"].map(means[0]["mean"])
    out["n_now"] = out["station_code"].map(means[0]["count"])
    out["value_prev"] = out["station_code"].map(means[1]["mean"])
    out["n_prev"] = out["station_code"].map(means[1]["count"])
    return out.assign(period=p.label, previous=prev.label)


def read_control(path: Path | None, p: Period) -> pd.DataFrame:
    """Pollution-control inputs of the period: a month's own rows where given, else the year's."""
    cols = ["county", "period", "indicator", "target", "achieved"]
    if path is None or not path.exists():
        return pd.DataFrame(columns=cols)
    frame = pd.read_csv(path, dtype={"county": str, "period": str}, encoding="utf-8-sig")
    if missing := set(cols) - set(frame.columns):
        raise SchemaError(f"{path} lacks column(s) {sorted(missing)}", hint="columns: " + ",".join(cols))
    year = frame[frame["period"] == str(p.start.year)]
    own = frame[frame["period"] == p.label]
    use = pd.concat(
        [
            own,
            year[
                ~year.set_index(["county", "indicator"]).index.isin(
                    own.set_index(["county", "indicator"]).index
                )
            ],
        ]
    )
    return use.assign(source=str(path))


def compute(
    ws: Workspace,
    year: int,
    month: str | None = None,
    *,
    agreement: str | os.PathLike[str] | None = None,
    control: str | os.PathLike[str] | None = None,
) -> Statement:
    """The statement of ``year`` (or of ``month``, e.g. 2024-08, within it) under the agreement."""
    label = month or str(year)
    p = parse_period(label)
    if p.kind not in ("year", "month") or p.start.year != year:
        raise SchemaError(f"--month {label} is not a month of {year}", hint=f"write e.g. {year}-08")
    ag, where = load_agreement(agreement)
    st = _stations(ws)
    keys = sorted({k for c in ag.counties for k in c.quality_sections})
    sections = pd.DataFrame([_resolve(st, k, ("water_quality",)) for k in keys]).assign(key=keys)
    ctrl_path = Path(control) if control else ws.root / CONTROL_FILE
    lines = statement(
        ag,
        label,
        1.0 if p.kind == "year" else 1 / 12,
        _volumes(ws, ag, st, p),
        _items(ws, ag, sections, p),
        _tn(ws, ag, sections, p),
        read_control(ctrl_path, p),
    )
    return Statement(ag, where, label, lines, totals(lines))


def write(result: Statement, out: str | os.PathLike[str]) -> Path:
    """Write the statement as .xlsx (totals, lines, notice), .csv (lines) or .json (everything)."""
    path = Path(out)
    suffix = path.suffix.lower()
    if suffix == ".json":
        body = {
            **result.header(),
            "totals": result.totals.to_dict("records"),
            "lines": result.lines.assign(sources=result.lines["sources"].map(json.loads)).to_dict("records"),
        }
        path.write_text(json.dumps(body, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    elif suffix == ".csv":
        result.lines.to_csv(path, index=False, encoding="utf-8-sig")
    elif suffix == ".xlsx":
        with pd.ExcelWriter(path) as xl:
            result.totals.to_excel(xl, sheet_name="汇总 Totals", index=False)
            result.lines.to_excel(xl, sheet_name="明细 Lines", index=False)
            pd.DataFrame(list(result.header().items()), columns=["key", "value"]).to_excel(
                xl, sheet_name="说明 Notice", index=False
            )
    else:
        raise SchemaError(f"cannot write {path.name}", hint="use a .xlsx, .csv or .json file name")
    return path
