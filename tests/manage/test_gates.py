"""Gate ratings: μ recovered from noisy points, the power law chosen when it fits better, a hand point."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from liuyu.errors import SchemaError
from liuyu.manage.gates import G, effective_head, fit_ratings, gate_flow


def _points(mu: float, width: float, n: int, noise: float, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    e = rng.uniform(10, 120, n)
    up = rng.uniform(2.0, 6.0, n)
    q = mu * width * e / 100 * np.sqrt(2 * G * up) * (1 + rng.normal(0, noise, n))
    return pd.DataFrame({"gate": "G1", "opening_cm": e, "head_up_m": up, "flow_m3s": q, "width_m": width})


def test_fit_recovers_mu_within_tolerance() -> None:
    r = fit_ratings(_points(0.62, 3.0, 30, 0.03)).iloc[0]
    assert abs(r["mu"] - 0.62) < 0.01
    assert r["n"] == 30 and r["r2"] > 0.95
    assert 0.005 < r["mre"] < 0.06  # the noise is 3 %
    assert r["loo_rmse"] >= r["rmse"]  # leave-one-out is never better than the in-sample error
    # the power law contains the orifice form (b = 1, c = 0.5); on true orifice data neither is much better
    assert r["orifice_loo_rmse"] < 1.15 * r["power_loo_rmse"]


def test_power_law_chosen_when_the_gate_is_not_an_ideal_orifice() -> None:
    rng = np.random.default_rng(7)
    e = rng.uniform(10, 120, 25) / 100
    h = rng.uniform(1.0, 6.0, 25)
    q = 2.1 * e**0.8 * h**0.35 * (1 + rng.normal(0, 0.01, 25))
    frame = pd.DataFrame({"gate": "G2", "opening_cm": e * 100, "head_up_m": h, "flow_m3s": q, "width_m": 2.0})
    r = fit_ratings(frame).iloc[0]
    assert r["model"] == "power"
    assert r["b"] == pytest.approx(0.8, abs=0.05) and r["c"] == pytest.approx(0.35, abs=0.05)
    assert r["power_loo_rmse"] < r["orifice_loo_rmse"]


def test_hand_computed_point() -> None:
    """μ = 0.6, b = 2 m, e = 50 cm, free flow under H = 4 m:

    Q = 0.6 × 2 × 0.5 × √(2 × 9.81 × 4) = 0.6 × √78.48 = 0.6 × 8.858894 = 5.3153 m³/s.
    Submerged, downstream 1.5 m (> e = 0.5 m): H = 4 − 1.5 = 2.5, Q = 0.6 × √49.05 = 4.2021 m³/s.
    """
    ratings = pd.DataFrame(
        [
            {
                "gate": "A",
                "model": "orifice",
                "mu": 0.6,
                "width_m": 2.0,
                "a": np.nan,
                "b": np.nan,
                "c": np.nan,
                "opening_min_cm": 10,
                "opening_max_cm": 100,
                "head_min_m": 1,
                "head_max_m": 5,
            }
        ]
    )
    record = pd.DataFrame(
        {
            "time": ["2024-07-01T08:00", "2024-07-01T09:00", "2024-07-01T10:00"],
            "gate": "A",
            "opening_cm": [50.0, 50.0, 0.0],
            "head_up_m": [4.0, 4.0, 4.0],
            "head_down_m": [0.3, 1.5, 0.3],
        }
    )
    out = gate_flow(record, ratings)
    assert out["flow_m3s"].tolist() == pytest.approx([5.3153, 4.2021, 0.0], abs=1e-4)
    assert out["submerged"].tolist()[:2] == [False, True]
    assert not out["extrapolated"].any()


def test_submerged_head_and_errors() -> None:
    h, sub = effective_head(np.array([30.0]), np.array([3.0]), None)
    assert h.tolist() == [3.0] and sub.tolist() == [False]
    with pytest.raises(SchemaError):
        fit_ratings(
            pd.DataFrame({"gate": ["X"], "opening_cm": [10.0], "head_up_m": [2.0], "flow_m3s": [1.0]})
        )
    with pytest.raises(SchemaError, match="no rating"):
        gate_flow(
            pd.DataFrame({"time": [1], "gate": ["Z"], "opening_cm": [1.0], "head_up_m": [1.0]}),
            fit_ratings(_points(0.6, 2.0, 5, 0.01)),
        )


def test_gate_routes(workspace) -> None:
    from fastapi.testclient import TestClient

    from liuyu.api.app import create_app

    client = TestClient(create_app(workspace.root))
    assert client.get("/api/gates").status_code == 404  # no measurements in this workspace
    meas = _points(0.6, 2.0, 12, 0.02)
    fitted = client.post("/api/gates/fit", json={"measurements": meas.to_dict("records")})
    assert fitted.status_code == 200
    ratings = fitted.json()["ratings"]
    assert ratings[0]["gate"] == "G1" and abs(ratings[0]["mu"] - 0.6) < 0.02
    record = [{"time": "2024-07-01T08:00", "gate": "G1", "opening_cm": 50.0, "head_up_m": 4.0}]
    flows = client.post("/api/gates/flow", json={"record": record, "ratings": ratings}).json()["flows"]
    assert flows[0]["flow_m3s"] == pytest.approx(
        ratings[0]["mu"] * 2.0 * 0.5 * np.sqrt(2 * G * 4.0), rel=0.02
    )
    bad = client.post("/api/gates/fit", json={"measurements": [{"gate": "X", "opening_cm": 1}]})
    assert bad.status_code == 400


def test_gates_cli(tmp_path) -> None:
    import json

    from typer.testing import CliRunner

    from liuyu.cli import app

    meas = tmp_path / "m.csv"
    _points(0.55, 4.0, 15, 0.02).to_csv(meas, index=False)
    ratings = tmp_path / "r.json"
    res = CliRunner().invoke(app, ["gates", "fit", str(meas), "-o", str(ratings)])
    assert res.exit_code == 0, res.output
    assert abs(json.loads(ratings.read_text())[0]["mu"] - 0.55) < 0.02
    record = tmp_path / "rec.csv"
    record.write_text(
        "time,gate,opening_cm,head_up_m\n2024-07-01T08:00,G1,50,4.0\n2024-07-01T09:00,G1,0,4.0\n"
    )
    out = tmp_path / "q.csv"
    res = CliRunner().invoke(app, ["gates", "flow", str(record), "-r", str(ratings), "-o", str(out)])
    assert res.exit_code == 0, res.output
    flows = pd.read_csv(out)
    assert flows["flow_m3s"].iloc[1] == 0.0 and flows["flow_m3s"].iloc[0] > 0
