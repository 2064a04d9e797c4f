"""Demo management data: gate check measurements and opening records, pollution-control inputs, the
reservoir's warning levels, and one run of the example compensation agreement. All synthetic.

Gates follow the orifice law with a per-gate μ and a few per cent of measurement noise; one gate
departs from it (its μ falls as the gate opens), so its power-law rating fits better. Heads come
from the demo's Miyun level series.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from liuyu.config import CONFIG_NAME, ReservoirLevels, save_config
from liuyu.manage.gates import G

if TYPE_CHECKING:
    from liuyu.workspace import Workspace

SYNTHETIC = "合成演示数据，非真实数据 synthetic demo data, not real"
# gate, name, width (m), sill (m), μ at small openings, change of μ per m of opening, tailwater (m above sill)
GATES = (
    ("G01", "白河主坝泄洪洞闸（演示）", 3.0, 128.0, 0.60, 0.0, 0.0),
    ("G02", "潮河主坝溢洪道闸（演示）", 8.0, 141.0, 0.62, 0.0, 0.0),
    ("G03", "京密引水渠首闸（演示）", 6.0, 143.0, 0.70, -0.12, 2.5),
)
MIYUN_LEVEL = "密云水库坝上"


def _head(level: pd.Series, times: pd.DatetimeIndex, sill: float) -> np.ndarray:
    """Upstream head over the sill at each time, from the daily reservoir level (nearest day before)."""
    lv = level.sort_index()
    return lv.reindex(times, method="ffill").bfill().to_numpy() - sill


def _flow(
    e_m: np.ndarray, up: np.ndarray, down: np.ndarray, width: float, mu0: float, slope: float
) -> np.ndarray:
    submerged = down > e_m
    head = np.where(submerged, up - down, up)
    return (mu0 + slope * e_m) * width * e_m * np.sqrt(2 * G * head)


def gate_tables(level: pd.Series, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Check measurements (about 20 per gate over 2022–2024) and an hourly opening record (Jul–Aug 2024)."""
    rng = np.random.default_rng(seed + 77)
    meas, rec = [], []
    hours = pd.date_range("2024-07-01", "2024-08-31 23:00", freq="h", tz="Asia/Shanghai")
    for gate, name, width, sill, mu0, slope, tail in GATES:
        n = int(rng.integers(18, 25))
        days = pd.DatetimeIndex(
            np.sort(
                rng.choice(
                    pd.date_range("2022-03-01", "2024-11-30", freq="D", tz="Asia/Shanghai"), n, replace=False
                )
            )
        )
        e_cm = np.round(rng.uniform(10, 150, n), 0)
        up = _head(level, days, sill)
        down = np.round(np.full(n, tail) + rng.normal(0, 0.2, n), 2) if tail else np.full(n, np.nan)
        q = _flow(e_cm / 100, up, np.nan_to_num(down, nan=-1.0), width, mu0, slope) * (
            1 + rng.normal(0, 0.03, n)
        )
        meas.append(
            pd.DataFrame(
                {
                    "gate": gate,
                    "name": name,
                    "date": days.strftime("%Y-%m-%d"),
                    "opening_cm": e_cm,
                    "head_up_m": np.round(up, 2),
                    "head_down_m": down,
                    "flow_m3s": np.round(q, 3),
                    "width_m": width,
                }
            )
        )
        steps = np.repeat(rng.choice([0, 20, 40, 60, 80, 100, 120], size=len(hours) // 12 + 1), 12)[
            : len(hours)
        ]
        rec.append(
            pd.DataFrame(
                {
                    "time": hours.strftime("%Y-%m-%dT%H:%M:%S%z"),
                    "gate": gate,
                    "opening_cm": steps,
                    "head_up_m": np.round(_head(level, hours, sill), 2),
                    "head_down_m": np.round(tail + rng.normal(0, 0.1, len(hours)), 2) if tail else np.nan,
                }
            )
        )
    return pd.concat(meas, ignore_index=True), pd.concat(rec, ignore_index=True)


def control_inputs(counties: list[str], seed: int) -> pd.DataFrame:
    """Pollution-control indicators reported by each county for 2023 and 2024 (percent achieved vs target)."""
    rng = np.random.default_rng(seed + 78)
    rows = []
    for year in (2023, 2024):
        for c in counties:
            for code, target in (
                ("rural_sewage", 80.0),
                ("waste_collection", 95.0),
                ("problems_fixed", 100.0),
            ):
                rows.append(
                    {
                        "county": c,
                        "period": str(year),
                        "indicator": code,
                        "target": target,
                        "achieved": round(float(min(100.0, target * rng.uniform(0.85, 1.08))), 1),
                    }
                )
    return pd.DataFrame(rows)


def add_manage_demo(ws: Workspace, seed: int) -> dict[str, str]:
    """Write the demo's management inputs into the workspace and run the example agreement for 2024."""
    from liuyu.manage.compensation_agreement import load_agreement
    from liuyu.manage.compensation_run import CONTROL_FILE, compute, write

    st = ws.read_layer("stations")
    dam = st[(st["name"] == MIYUN_LEVEL) & (st["kind"] == "level")]["code"].iloc[0]
    ws.config.warnings.levels = [ReservoirLevels(station=dam, flood_limit_m=147.0, normal_pool_m=157.5)]
    save_config(ws.config, ws.root / CONFIG_NAME)
    obs = ws.store.read_observations(station_code=dam, property_code="stage")
    level = pd.Series(obs["value"].to_numpy(), index=obs["phenomenon_time"].dt.tz_convert("Asia/Shanghai"))
    gates_dir = ws.root / "manage" / "gates"
    gates_dir.mkdir(parents=True, exist_ok=True)
    meas, rec = gate_tables(level, seed)
    meas.to_csv(gates_dir / "measurements.csv", index=False, encoding="utf-8")
    rec.to_csv(gates_dir / "openings.csv", index=False, encoding="utf-8")
    (gates_dir / "README.txt").write_text(
        f"{SYNTHETIC}\n闸门实测率定资料与开度记录 gate check measurements "
        "and opening record: `liuyu gates fit measurements.csv`\n",
        encoding="utf-8",
    )
    ag, _ = load_agreement()
    control = Path(ws.root / CONTROL_FILE)
    control.parent.mkdir(parents=True, exist_ok=True)
    control_inputs([c.code for c in ag.counties], seed).to_csv(control, index=False, encoding="utf-8")
    out = write(compute(ws, 2024), ws.reports_dir / "compensation-2024-example.xlsx")
    return {"gates": str(gates_dir), "control": str(control), "compensation": str(out), "level_station": dam}
