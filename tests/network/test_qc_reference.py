"""The vectorized QC (blocks of whole series on two threads) against a plain reading of the rules.

The reference below walks each series row by row, as the rules in qc_rules.toml are written;
the arrays must give the same flags on random series with flat stretches, spikes, steps,
censored and missing values, lab series (no flat rule) and uneven time steps.
"""

from __future__ import annotations

import math
import tomllib
from importlib import resources

import numpy as np
import pandas as pd
import pytest

from liuyu.network import qc
from liuyu.network.qc import QCFlag, QCRules, load_qc_rules, rules_from_dict, run_qc


def _reference(obs: pd.DataFrame, rules: QCRules) -> list[int]:
    out = [0] * len(obs)
    t_all = obs["phenomenon_time"].astype("int64").to_numpy() / 1e9
    for _, rows in obs.groupby("series_id", sort=False):
        idx = sorted(rows.index, key=lambda i: (t_all[i], i))
        prop = obs.at[idx[0], "property_code"]
        rule = rules.by_property.loc[prop] if prop in rules.by_property.index else None
        v = [float(obs.at[i, "value"]) for i in idx]
        cen = [obs.at[i, "censor"] for i in idx]
        t = [t_all[i] for i in idx]
        u = [x if c == "" else math.nan for x, c in zip(v, cen, strict=True)]
        n = len(idx)
        flags = [0] * n
        for k in range(n):
            if cen[k]:
                flags[k] |= QCFlag.CENSORED
        if rule is None:
            for k, i in enumerate(idx):
                out[i] = int(flags[k])
            continue

        def outside(x: float, c: str, lo: float, hi: float) -> bool:
            return (x < lo and c != ">") or (x > hi and c != "<")

        spike = [False] * n
        for k in range(n):
            if outside(v[k], cen[k], rule["hard_min"], rule["hard_max"]):
                flags[k] |= QCFlag.REJECTED_RANGE
            elif outside(v[k], cen[k], rule["soft_min"], rule["soft_max"]):
                flags[k] |= QCFlag.SUSPECT_RANGE
            d_prev = u[k] - u[k - 1] if k > 0 else math.nan
            d_next = u[k] - u[k + 1] if k < n - 1 else math.nan
            thr = rule["spike"]
            if abs(d_prev) > thr and abs(d_next) > thr and np.sign(d_prev) == np.sign(d_next):
                spike[k] = True
                flags[k] |= QCFlag.SPIKE
        for k in range(1, n):
            hours = (t[k] - t[k - 1]) / 3600.0
            if hours > 0 and abs(u[k] - u[k - 1]) / hours > rule["max_rate"] and not spike[k - 1]:
                flags[k] |= QCFlag.RATE_OF_CHANGE
        method = obs.at[idx[0], "method"]
        eligible = [
            not math.isnan(x) and c == "" and method not in rules.flat_skip_methods
            for x, c in zip(v, cen, strict=True)
        ]
        k = 0
        while k < n:
            end = k
            while end + 1 < n and eligible[k] and eligible[end + 1] and v[end + 1] == v[k]:
                end += 1
            if eligible[k] and end - k + 1 >= rule["flat_count"] and t[end] - t[k] >= rule["flat_seconds"]:
                for j in range(k, end + 1):
                    flags[j] |= QCFlag.FLAT
            k = end + 1
        for k, i in enumerate(idx):
            out[i] = int(flags[k])
    return out


def _random_obs(seed: int, n_series: int = 40) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    parts = []
    props = ["ph", "do", "codmn", "tp", "nh3n", "water_temp", "colour"]  # colour: no rules
    for sid in range(n_series):
        n = int(rng.integers(1, 160))
        level = float(rng.choice([0.05, 0.3, 7.5, 8.0, 12.0]))
        v = np.round(level + rng.normal(0, 0.4, n) * ((np.arange(n) // 30) % 2 == 1), 2)  # flat stretches
        v[rng.random(n) < 0.03] += rng.choice([-20.0, 3.0, 50.0])  # spikes, steps, out of range
        v[rng.random(n) < 0.02] = np.nan
        steps = rng.choice([0.5, 1.0, 1.0, 4.0, 24.0], n)
        times = pd.Timestamp("2024-01-01", tz="UTC") + pd.to_timedelta(np.cumsum(steps), unit="h")
        censor = rng.choice(["", "<", ">"], n, p=[0.94, 0.03, 0.03])
        parts.append(
            pd.DataFrame(
                {
                    "series_id": sid,
                    "phenomenon_time": times,
                    "value": v,
                    "censor": censor,
                    "property_code": props[sid % len(props)],
                    "method": "lab" if sid % 5 == 0 else "hourly",
                }
            )
        )
    frame = pd.concat(parts, ignore_index=True)
    return frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)  # any row order


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
@pytest.mark.parametrize("block_rows", [50, 1 << 19])  # many blocks on two threads, and one
def test_vectorized_qc_matches_a_row_by_row_reading(
    seed: int, block_rows: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(qc, "BLOCK_ROWS", block_rows)
    obs = _random_obs(seed)
    got = run_qc(obs)["qc_flag"].tolist()
    want = _reference(obs, load_qc_rules())
    assert got == want
    seen = np.bitwise_or.reduce(np.array(want))
    assert seen == 63, "the random series exercise every flag"  # all six bits


def test_a_flat_rule_of_one_value_flags_single_values_too() -> None:
    text = resources.files("liuyu.network").joinpath("qc_rules.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)
    data["rules"]["tp"]["flat"] = {"count": 1, "duration": "0h"}
    rules = rules_from_dict(data)
    obs = _random_obs(5)
    got = run_qc(obs, rules=rules)["qc_flag"].to_numpy()
    assert got.tolist() == _reference(obs, rules)
    tp = (obs["property_code"] == "tp") & (obs["censor"] == "") & obs["value"].notna()
    assert (got[tp.to_numpy() & (obs["method"] != "lab").to_numpy()] & QCFlag.FLAT).all()
