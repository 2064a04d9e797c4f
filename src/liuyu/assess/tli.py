"""Trophic state of lakes and reservoirs: TLI(Σ) (中国环境监测总站, 总站生字〔2001〕090号 [V-2]).

Chl-a in mg/m³ (= µg/L), SD in m, TP, TN and CODMn in mg/L; ln is the natural log. Weights are
r_ij² / Σ r_ij² with chl-a as the reference parameter (r from 26 Chinese lakes, 金相灿《中国湖泊环境》),
renormalised over the parameters actually present in each sample.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from importlib import resources

import numpy as np
import pandas as pd


def _load() -> dict[str, dict[str, float]]:
    text = resources.files("liuyu.assess").joinpath("tli_2001.toml").read_text(encoding="utf-8")
    return dict(tomllib.loads(text)["parameters"])


# TLI(j) = 10 · (a + b · ln x); r_ij is the correlation with chl-a (tli_2001.toml).
_PARAMETERS = _load()
COEFFICIENTS: dict[str, tuple[float, float]] = {k: (v["a"], v["b"]) for k, v in _PARAMETERS.items()}
CORRELATION: dict[str, float] = {k: v["r"] for k, v in _PARAMETERS.items()}
# Upper bounds and whether each bound belongs to the grade below it (2001 text, Hulun Lake paper):
# < 30 贫营养; 30 ≤ x ≤ 50 中营养; 50 < x ≤ 60 轻度; 60 < x ≤ 70 中度; > 70 重度富营养.
GRADES = ("贫营养", "中营养", "轻度富营养", "中度富营养", "重度富营养")
EUTROPHIC = frozenset(GRADES[2:])


def tli_parameter(code: str, concentration: np.ndarray | float) -> np.ndarray:
    """TLI of one parameter; NaN for missing or non-positive concentrations.

    Examples
    --------
    >>> round(float(tli_parameter("chla", 10.0)), 2)
    50.01
    """
    a, b = COEFFICIENTS[code]
    x = np.asarray(concentration, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(x > 0, 10.0 * (a + b * np.log(np.where(x > 0, x, 1.0))), np.nan)


def tli_sum(parts: Mapping[str, np.ndarray | float]) -> np.ndarray:
    """TLI(Σ) from per-parameter TLI values (NaN = missing), weights renormalised per sample.

    Examples
    --------
    >>> round(float(tli_sum({"chla": 37.749, "tp": 69.802, "tn": 68.909, "sd": 81.743})), 3)
    61.837
    """
    codes = list(parts)
    values = np.stack([np.asarray(parts[c], dtype=float) for c in codes])
    r2 = np.array([CORRELATION[c] ** 2 for c in codes]).reshape((-1,) + (1,) * (values.ndim - 1))
    present = ~np.isnan(values)
    weights = np.where(present, r2, 0.0)
    total = weights.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, (weights * np.nan_to_num(values)).sum(axis=0) / total, np.nan)


def tli_grade(value: np.ndarray | float) -> np.ndarray:
    """Grade of TLI(Σ): lower bounds of 中营养 inclusive (30), upper bounds of the others inclusive.

    Examples
    --------
    >>> tli_grade([29.99, 30.0, 50.0, 50.01, 60.0, 70.0, 70.01]).tolist()
    ['贫营养', '中营养', '中营养', '轻度富营养', '轻度富营养', '中度富营养', '重度富营养']
    """
    v = np.asarray(value, dtype=float)
    conditions = [v < 30, v <= 50, v <= 60, v <= 70, v > 70]
    return np.select(conditions, list(GRADES), default="").astype(object)


def tli(concentrations: pd.DataFrame | Mapping[str, np.ndarray]) -> pd.DataFrame:
    """TLI of each parameter, TLI(Σ) and its grade, for every sample (row) at once.

    ``concentrations`` has any of the columns chla, tp, tn, sd, codmn (NaN = not measured).
    Returns columns ``tli_<code>`` per parameter present, ``tli``, ``grade``, ``n_parameters``.
    """
    frame = pd.DataFrame(concentrations)
    codes = [c for c in COEFFICIENTS if c in frame.columns]
    parts = {c: tli_parameter(c, frame[c].to_numpy(dtype=float)) for c in codes}
    out = pd.DataFrame({f"tli_{c}": v for c, v in parts.items()}, index=frame.index)
    total = tli_sum(parts) if parts else np.full(len(frame), np.nan)
    out["tli"] = total
    out["grade"] = tli_grade(total)
    out["n_parameters"] = sum((~np.isnan(v)).astype(int) for v in parts.values()) if parts else 0
    return out
