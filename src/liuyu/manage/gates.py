"""Gate ratings fitted from field check measurements, and gate flow computed from an opening record.

What the gate crew did by hand when the opening display failed: from check measurements of a gate
(opening *e*, heads, measured flow *Q*) fit a rating, then turn a record of openings into flows.

Two rating forms are fitted per gate, and the one with the smaller leave-one-out RMSE is used:

* **orifice** ``Q = μ·b·e·√(2gH)`` (sluice-gate flow under the gate lip), one coefficient μ fitted
  by least squares through the origin; *b* is the gate width (``width_m``). The head *H* is the
  upstream head over the sill for **free** flow, and the upstream minus the downstream head for
  **submerged** flow. A row is taken as submerged when its downstream head is above the gate lip
  (``head_down_m > e``): a simple criterion, good enough for check measurements taken in one
  regime at a time; fit gates with mixed regimes separately if the errors say so.
* **power** ``Q = a·e^b·H^c``, fitted by least squares on logarithms (``ln Q = ln a + b ln e + c ln H``);
  needs no width and absorbs a gate's departures from the ideal orifice; needs ≥ ``MIN_POWER`` points.

The leave-one-out error uses the regression's hat matrix (no refitting): for a linear least-squares
fit the deleted residual is ``r_i / (1 − h_ii)``. For the power law it is computed in log space and
reported in m³/s. Openings in cm, heads in m, flows in m³/s.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd

from liuyu.errors import SchemaError

G = 9.81  # m/s²
MIN_POWER = 5
MEASUREMENT_COLUMNS = ("gate", "opening_cm", "head_up_m", "flow_m3s")
RECORD_COLUMNS = ("time", "gate", "opening_cm", "head_up_m")
RATING_COLUMNS = (
    "gate",
    "model",
    "mu",
    "a",
    "b",
    "c",
    "width_m",
    "n",
    "rmse",
    "mre",
    "r2",
    "loo_rmse",
    "orifice_loo_rmse",
    "power_loo_rmse",
    "n_submerged",
    "opening_min_cm",
    "opening_max_cm",
    "head_min_m",
    "head_max_m",
)


def _require(frame: pd.DataFrame, columns: tuple[str, ...], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise SchemaError(
            f"{what} lacks column(s) {missing} (has {list(frame.columns)})",
            hint=f"give the columns {', '.join(columns)} (head_down_m and width_m optional)",
        )


def effective_head(
    opening_cm: np.ndarray, head_up_m: np.ndarray, head_down_m: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """Head driving the flow and whether the outlet is submerged (see the module docstring).

    >>> h, sub = effective_head(np.array([50.0, 50.0]), np.array([3.0, 3.0]), np.array([0.2, 1.0]))
    >>> h.tolist(), sub.tolist()
    ([3.0, 2.0], [False, True])
    """
    up = np.asarray(head_up_m, dtype=float)
    down = np.full(up.shape, np.nan) if head_down_m is None else np.asarray(head_down_m, dtype=float)
    submerged = np.nan_to_num(down, nan=-np.inf) > np.asarray(opening_cm, dtype=float) / 100.0
    return np.where(submerged, up - down, up), submerged


def _metrics(q: np.ndarray, fit: np.ndarray, loo: np.ndarray) -> dict[str, float]:
    ss_tot = float(((q - q.mean()) ** 2).sum())
    return {
        "rmse": float(np.sqrt(np.mean((fit - q) ** 2))),
        "mre": float(np.mean(np.abs(fit - q) / q)),
        "r2": float(1.0 - ((fit - q) ** 2).sum() / ss_tot) if ss_tot > 0 else np.nan,
        "loo_rmse": float(np.sqrt(np.mean((loo - q) ** 2))),
    }


def fit_orifice(
    e_m: np.ndarray, head_m: np.ndarray, q: np.ndarray, width_m: float
) -> tuple[float, dict[str, float]]:
    """μ of ``Q = μ·b·e·√(2gH)`` by least squares through the origin, with its error metrics."""
    x = width_m * e_m * np.sqrt(2 * G * head_m)
    sxx = float((x**2).sum())
    mu = float((x * q).sum() / sxx)
    fit = mu * x
    hat = x**2 / sxx
    loo = q - (q - fit) / (1.0 - hat)
    return mu, _metrics(q, fit, loo)


def fit_power(e_m: np.ndarray, head_m: np.ndarray, q: np.ndarray) -> tuple[np.ndarray, dict[str, float]]:
    """(a, b, c) of ``Q = a·e^b·H^c`` (e in m) by log-linear least squares, with its error metrics."""
    design = np.column_stack([np.ones(len(q)), np.log(e_m), np.log(head_m)])
    y = np.log(q)
    beta, *_ = np.linalg.lstsq(design, y, rcond=None)
    hat = np.einsum("ij,jk,ik->i", design, np.linalg.pinv(design.T @ design), design)
    resid = y - design @ beta
    loo = np.exp(y - resid / (1.0 - hat))
    return np.array([np.exp(beta[0]), beta[1], beta[2]]), _metrics(q, np.exp(design @ beta), loo)


def _fit_gate(gate: str, g: pd.DataFrame) -> dict[str, object]:
    e_m = g["opening_cm"].to_numpy(dtype=float) / 100.0
    head, sub = effective_head(g["opening_cm"].to_numpy(), g["head_up_m"].to_numpy(), g.get("head_down_m"))
    q = g["flow_m3s"].to_numpy(dtype=float)
    width = float(g["width_m"].iloc[0]) if "width_m" in g and g["width_m"].notna().any() else np.nan
    row: dict[str, object] = {"gate": gate, "width_m": width, "n": len(g), "n_submerged": int(sub.sum())}
    row |= {"opening_min_cm": e_m.min() * 100, "opening_max_cm": e_m.max() * 100}
    row |= {"head_min_m": float(head.min()), "head_max_m": float(head.max())}
    fits: dict[str, dict[str, float]] = {}
    if np.isfinite(width) and len(g) >= 2:
        row["mu"], fits["orifice"] = fit_orifice(e_m, head, q, width)
    if len(g) >= MIN_POWER:
        (row["a"], row["b"], row["c"]), fits["power"] = fit_power(e_m, head, q)
    if not fits:
        raise SchemaError(
            f"gate {gate!r}: {len(g)} measurement(s) and no width: nothing can be fitted",
            hint=f"give width_m for the orifice form (≥ 2 points) or ≥ {MIN_POWER} points for the power law",
        )
    best = min(fits, key=lambda m: fits[m]["loo_rmse"])
    row |= {"model": best, **fits[best]}
    row |= {f"{m}_loo_rmse": f["loo_rmse"] for m, f in fits.items()}
    return row


def fit_ratings(measurements: pd.DataFrame) -> pd.DataFrame:
    """One rating per gate from check measurements (gate, opening_cm, head_up_m, [head_down_m], flow_m3s,
    [width_m]); rows with a non-positive opening, head or flow are not usable and are dropped.

    Returns :data:`RATING_COLUMNS`: the chosen ``model`` and its coefficients, the fit's ``n``, RMSE,
    mean relative error ``mre``, R², leave-one-out RMSE, and the range of openings and heads fitted.
    """
    _require(measurements, MEASUREMENT_COLUMNS, "the measurements")
    m = measurements.copy()
    head, _ = effective_head(m["opening_cm"].to_numpy(), m["head_up_m"].to_numpy(), m.get("head_down_m"))
    ok = (m["opening_cm"] > 0) & (head > 0) & (m["flow_m3s"] > 0)
    m = m[ok.to_numpy()]
    if m.empty:
        raise SchemaError("no usable measurement (opening, head and flow must be > 0)", hint="check the file")
    rows = [_fit_gate(str(name), g) for name, g in m.groupby("gate", sort=True)]
    return pd.DataFrame(rows).reindex(columns=list(RATING_COLUMNS))


def gate_flow(record: pd.DataFrame, ratings: pd.DataFrame) -> pd.DataFrame:
    """Flow (m³/s) at each row of an opening record (time, gate, opening_cm, head_up_m, [head_down_m]).

    Adds ``head_m``, ``submerged``, ``model``, ``flow_m3s`` and ``extrapolated`` (opening or head
    outside the range the rating was fitted on: the flow is then less certain). A closed gate
    (opening 0) gives 0.
    """
    _require(record, RECORD_COLUMNS, "the opening record")
    unknown = sorted(set(record["gate"].astype(str)) - set(ratings["gate"].astype(str)))
    if unknown:
        raise SchemaError(f"no rating for gate(s) {unknown}", hint="fit them first: `liuyu gates fit FILE`")
    full = ratings.reindex(columns=list(RATING_COLUMNS)).assign(gate=ratings["gate"].astype(str))
    ok = ((full["model"] == "orifice") & full[["mu", "width_m"]].notna().all(axis=1)) | (
        (full["model"] == "power") & full[["a", "b", "c"]].notna().all(axis=1)
    )
    if not ok.all():
        raise SchemaError(
            f"rating(s) of gate(s) {full.loc[~ok, 'gate'].tolist()} lack a model and its coefficients",
            hint="use the ratings of `liuyu gates fit -o` (orifice: mu, width_m; power: a, b, c)",
        )
    r = full.set_index("gate").loc[record["gate"].astype(str)]
    e_cm = record["opening_cm"].to_numpy(dtype=float)
    head, sub = effective_head(e_cm, record["head_up_m"].to_numpy(), record.get("head_down_m"))
    e_m, h = e_cm / 100.0, np.clip(head, 0.0, None)
    orifice = r["mu"].to_numpy(dtype=float) * r["width_m"].to_numpy(dtype=float) * e_m * np.sqrt(2 * G * h)
    with np.errstate(divide="ignore"):
        power = (
            r["a"].to_numpy(dtype=float)
            * e_m ** r["b"].to_numpy(dtype=float)
            * h ** r["c"].to_numpy(dtype=float)
        )
    model = r["model"].to_numpy()
    q = np.where(model == "orifice", orifice, power)
    q = np.where((e_m <= 0) | (h <= 0), 0.0, q)
    outside = (
        (e_cm < r["opening_min_cm"].to_numpy())
        | (e_cm > r["opening_max_cm"].to_numpy())
        | (h < r["head_min_m"].to_numpy())
        | (h > r["head_max_m"].to_numpy())
    )
    return record.assign(
        head_m=head, submerged=sub, model=model, flow_m3s=np.round(q, 4), extrapolated=outside & (e_m > 0)
    )


def read_table(path: str | os.PathLike[str]) -> pd.DataFrame:
    """A measurement, record or rating table from CSV, XLSX or JSON (records)."""
    p = Path(path)
    if not p.exists():
        raise SchemaError(f"{p} does not exist", hint="check the path")
    if p.suffix.lower() == ".json":
        return pd.DataFrame(json.loads(p.read_text(encoding="utf-8")))
    if p.suffix.lower() in (".xlsx", ".xls"):
        return pd.read_excel(p, dtype={"gate": str})
    return pd.read_csv(p, dtype={"gate": str}, encoding="utf-8-sig")
