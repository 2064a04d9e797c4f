"""Ecological compensation statements per county (pure functions over prepared frames).

The formula is the agreement's (see :mod:`liuyu.manage.compensation_agreement`); for a county with
annual allotment *A*, a period of fraction *f* of the year (1 for a year, 1/12 for a month) and
weights *w*:

* **quantity** ``A·f·w_q·S_q`` with ``S_q = clip(V / B, floor, cap)``: *V* the inflow volume of the
  period at the county's flow stations (each times the county's share), *B* their baseline
  ("多来水、多奖励"). Withheld (0) when a quality item is worse than ``quality.floor_class``
  ("水质底线"), and 0 when a station has no discharge or no baseline in the period (the line says so).
* **quality** ``A·f·w_w·S_w``: each item (CODMn, NH3-N, TP) scores 1 at or better than the target
  class and ``penalty_per_class`` less per class worse (not below 0); the county's class of an item
  is the worst over its sections (GB 3838-2002, :func:`liuyu.assess.classify.classify`); ``S_w`` is
  the weighted mean.
* **control** ``A·f·w_c·S_c``: each pollution-control indicator scores achieved/target (target/achieved
  when lower is better), capped at 1; ``S_c`` is the weighted mean.
* **TN reward** ``min(cap·f, rate × reduction %)``: the fall of the mean TN of the county's sections
  against the same period of the previous year, in percent; 0 when TN did not fall.

Every line names its inputs in ``sources`` (observations: station, property, method, values and
their time span and batches; assessments: period, section, stored class and fingerprint; the
agreement's keys), so a statement can be checked by hand.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd

from liuyu.assess.classify import CLASS_LABELS
from liuyu.manage.compensation_agreement import ROMAN, Agreement, County

LINE_COLUMNS = [
    "county",
    "county_name",
    "period",
    "component",
    "item",
    "measured",
    "unit",
    "reference",
    "score",
    "weight",
    "amount_yuan",
    "basis_zh",
    "basis_en",
    "sources",
]
SECONDS_PER_DAY = 86_400.0


def period_volumes(discharge: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp, tz: str) -> pd.DataFrame:
    """Inflow volume (10⁸ m³) per station over [start, end): mean of the daily means × the period's seconds.

    A day missing from the record is filled by the period's mean (``coverage`` says how many were there).
    """
    local = discharge["phenomenon_time"].dt.tz_convert(tz)
    inside = (local >= start) & (local < end)
    d = discharge[inside.to_numpy()].assign(day=local[inside].dt.floor("D").to_numpy())
    days = (end - start) / pd.Timedelta(days=1)
    daily = d.groupby(["station_code", "day"])["value"].mean().reset_index()
    out = daily.groupby("station_code")["value"].agg(mean_m3s="mean", n_days="count").reset_index()
    out["volume_1e8m3"] = out["mean_m3s"] * days * SECONDS_PER_DAY / 1e8
    out["coverage"] = out["n_days"] / days
    return out


def baseline_volumes(
    discharge: pd.DataFrame, year: int, since: int, month: int | None, min_coverage: float, tz: str
) -> pd.DataFrame:
    """Mean volume of the same period (the year, or that month) over the years ``since`` … ``year − 1``.

    Years whose coverage is below ``min_coverage`` are left out. Returns station_code,
    baseline_1e8m3, years (the years used, comma-separated).
    """
    parts = []
    for y in range(since, year):
        start = pd.Timestamp(y, month or 1, 1, tz=tz)
        end = start + pd.DateOffset(months=1 if month else 12)
        v = period_volumes(discharge, start, end, tz)
        parts.append(v[v["coverage"] >= min_coverage].assign(year=y))
    found = [p for p in parts if len(p)]
    if not found:
        return pd.DataFrame(columns=["station_code", "baseline_1e8m3", "years"])
    allv = pd.concat(found, ignore_index=True)
    return (
        allv.groupby("station_code")
        .agg(baseline_1e8m3=("volume_1e8m3", "mean"), years=("year", lambda s: ",".join(map(str, s))))
        .reset_index()
    )


def _line(c: County, period: str, component: str, item: str, **kw: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "county": c.code,
        "county_name": c.name,
        "period": period,
        "component": component,
        "item": item,
    }
    row |= {k: kw.get(k) for k in LINE_COLUMNS[5:]}
    row["sources"] = json.dumps(kw.get("sources", {}), ensure_ascii=False, default=str)
    return row


def _quantity(c: County, ag: Agreement, period: str, base: float, volumes: pd.DataFrame, veto: bool) -> dict:
    """One line: the county's share of the inflow volumes against the same share of their baselines."""
    v = volumes.set_index("station_key").reindex(list(c.quantity))
    share = pd.Series(c.quantity)
    vol = float((v["volume_1e8m3"] * share).sum())
    bl = float((v["baseline_1e8m3"] * share).sum())
    score = float(np.clip(vol / bl, ag.quantity.score_floor, ag.quantity.score_cap)) if bl > 0 else 0.0
    no_data = bool(v["volume_1e8m3"].isna().any() or v["baseline_1e8m3"].isna().any())
    amount = 0.0 if veto or no_data else base * ag.weights.quantity * score
    basis = "；水质劣于底线类别，水量部分不予拨付 / quality below the floor class: withheld" if veto else ""
    basis += (
        "；缺流量或基准数据，不予核算 / no discharge or baseline data: nothing computed" if no_data else ""
    )
    return _line(
        c,
        period,
        "quantity",
        "inflow",
        measured=round(vol, 4),
        unit="1e8 m3",
        reference=round(bl, 4),
        score=round(score, 4),
        weight=ag.weights.quantity,
        amount_yuan=round(amount, 2),
        basis_zh=f"入境水量 {vol:.4f} 亿m³ / 基准 {bl:.4f} 亿m³，得分限于[{ag.quantity.score_floor}, "
        f"{ag.quantity.score_cap}]" + basis,
        basis_en=f"inflow {vol:.4f} / baseline {bl:.4f} (1e8 m3), score clipped to "
        f"[{ag.quantity.score_floor}, {ag.quantity.score_cap}]",
        sources={
            "stations": v.reset_index().to_dict("records"),
            "shares": c.quantity,
            "parameters": [
                "weights.quantity",
                "quantity.score_floor",
                "quantity.score_cap",
                f"counties[{c.code}].allotment_yuan",
                f"counties[{c.code}].quantity",
            ],
        },
    )


def _quality(
    c: County, ag: Agreement, period: str, base: float, items: pd.DataFrame
) -> tuple[list[dict], bool]:
    """One line per quality item: the worst class over the county's sections against the target."""
    target = ROMAN[ag.quality.target_class]
    floor = ROMAN[ag.quality.floor_class] if ag.quality.floor_class else 99
    total_w = sum(ag.quality.items.values())
    rows, veto = [], False
    mine = items[items["section_key"].isin(c.quality_sections)]
    for code, w in ag.quality.items.items():
        it = mine[mine["property_code"] == code]
        cls = int(it["class"].max()) if len(it) and it["class"].notna().any() else 0
        score = 0.0 if cls == 0 else max(0.0, 1.0 - ag.quality.penalty_per_class * max(0, cls - target))
        veto |= cls > floor
        amount = base * ag.weights.quality * w / total_w * score
        rows.append(
            _line(
                c,
                period,
                "quality",
                code,
                measured=CLASS_LABELS[cls] or None,
                unit="class",
                reference=CLASS_LABELS[target],
                score=round(score, 4),
                weight=round(ag.weights.quality * w / total_w, 6),
                amount_yuan=round(amount, 2),
                basis_zh=f"各断面最差类别 {CLASS_LABELS[cls] or '无数据'}，目标 {CLASS_LABELS[target]} 类，"
                f"每差一类扣 {ag.quality.penalty_per_class}",
                basis_en=f"worst class over the sections {CLASS_LABELS[cls] or 'no data'}, target "
                f"{CLASS_LABELS[target]}, {ag.quality.penalty_per_class} off per class worse",
                sources={
                    "sections": it.drop(columns=["section_key"]).to_dict("records"),
                    "parameters": [
                        f"quality.items.{code}",
                        "quality.target_class",
                        "quality.penalty_per_class",
                    ],
                },
            )
        )
    return rows, veto


def _control(c: County, ag: Agreement, period: str, base: float, control: pd.DataFrame) -> list[dict]:
    """One line per pollution-control indicator: achieved against target, capped at 1."""
    total_w = sum(i.weight for i in ag.control) or 1.0
    mine = control[control["county"].astype(str) == c.code].set_index("indicator")
    rows = []
    for ind in ag.control:
        got = mine.loc[ind.code] if ind.code in mine.index else None
        achieved = np.nan if got is None else float(got["achieved"])
        tgt = np.nan if got is None else float(got["target"])
        ratio = achieved / tgt if ind.direction == "higher_better" else tgt / achieved
        score = 0.0 if not np.isfinite(ratio) else float(min(1.0, max(0.0, ratio)))
        rows.append(
            _line(
                c,
                period,
                "control",
                ind.code,
                measured=None if got is None else achieved,
                unit=None,
                reference=None if got is None else tgt,
                score=round(score, 4),
                weight=round(ag.weights.control * ind.weight / total_w, 6),
                amount_yuan=round(base * ag.weights.control * ind.weight / total_w * score, 2),
                basis_zh=f"{ind.name_zh}：完成 {achieved:g} / 目标 {tgt:g}（上限 1）"
                if got is not None
                else f"{ind.name_zh}：未报送，得 0 分",
                basis_en=f"{ind.name_en}: achieved {achieved:g} / target {tgt:g} (at most 1)"
                if got is not None
                else f"{ind.name_en}: not reported, scores 0",
                sources={
                    "input": None if got is None else got.to_dict(),
                    "parameters": [f"control[{ind.code}]"],
                },
            )
        )
    return rows


def _tn(c: County, ag: Agreement, period: str, f: float, tn: pd.DataFrame) -> list[dict]:
    """The TN reduction reward: mean TN of the sections now against the same period a year before."""
    if ag.tn_reward is None:
        return []
    rate, cap = ag.tn_reward.reward_per_percent_yuan, ag.tn_reward.cap_yuan * f
    mine = tn[tn["section_key"].isin(c.quality_sections)]
    now, prev = float(mine["value_now"].mean()), float(mine["value_prev"].mean())
    cut = 100.0 * (prev - now) / prev if prev > 0 and np.isfinite(now) else np.nan
    amount = 0.0 if not np.isfinite(cut) else min(cap, rate * max(cut, 0.0))
    return [
        _line(
            c,
            period,
            "tn_reward",
            "tn",
            measured=round(now, 4) if np.isfinite(now) else None,
            unit="mg/L",
            reference=round(prev, 4) if np.isfinite(prev) else None,
            score=round(cut, 3) if np.isfinite(cut) else None,
            weight=None,
            amount_yuan=round(amount, 2),
            basis_zh=f"总氮同比下降 {cut:.2f}%，每个百分点奖励 {rate:g} 元，上限 {cap:g} 元",
            basis_en=f"TN down {cut:.2f} % on a year before, {rate:g} per point, at most {cap:g}",
            sources={
                "sections": mine.drop(columns=["section_key"]).to_dict("records"),
                "parameters": ["tn_reward.reward_per_percent_yuan", "tn_reward.cap_yuan"],
            },
        )
    ]


def statement(
    ag: Agreement,
    period: str,
    fraction: float,
    volumes: pd.DataFrame,
    items: pd.DataFrame,
    tn: pd.DataFrame,
    control: pd.DataFrame,
) -> pd.DataFrame:
    """Every line of every county's statement for one period (see the module docstring for the formula).

    ``volumes``: station_key (as the agreement names the station), volume_1e8m3, baseline_1e8m3 (+ any
    source columns). ``items``: section_key, property_code, class (1..6) (+ source columns). ``tn``:
    section_key, value_now, value_prev. ``control``: county, indicator, target, achieved.
    ``fraction`` is the share of the year (1, or 1/12 for a month).
    """
    rows: list[dict[str, Any]] = []
    for c in ag.counties:
        base = c.allotment_yuan * fraction
        quality, veto = _quality(c, ag, period, base, items)
        rows.append(_quantity(c, ag, period, base, volumes, veto))
        rows += quality + _control(c, ag, period, base, control) + _tn(c, ag, period, fraction, tn)
    return pd.DataFrame(rows, columns=LINE_COLUMNS)


def totals(lines: pd.DataFrame) -> pd.DataFrame:
    """Per county and period: the amount of each component and the total."""
    wide = lines.pivot_table(
        index=["county", "county_name", "period"],
        columns="component",
        values="amount_yuan",
        aggfunc="sum",
        fill_value=0.0,
    )
    wide["total"] = wide.sum(axis=1)
    return wide.reset_index().rename_axis(columns=None)
