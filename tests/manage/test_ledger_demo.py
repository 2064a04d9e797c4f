"""The demo's ledger: problems in every state, some overdue, some not; facility proposals of each outcome."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import geopandas as gpd
import shapely

from ledger_data import ledger_workspace
from liuyu.demo.synth_ledger import COUNTS, build_ledger, build_proposals
from liuyu.manage import facilities_ops, ledger_ops
from liuyu.manage.ledger import is_overdue, load_machine


def test_demo_ledger_has_every_state_and_some_overdue(tmp_path: Path) -> None:
    ws = ledger_workspace(tmp_path / "ws")
    rivers = gpd.GeoDataFrame(
        {"code": ["R1", "R2"], "name": ["白河", "潮河"], "jurisdiction": ["beijing", "hebei"]},
        geometry=[
            shapely.LineString([(116.6, 40.2), (116.95, 40.8)]),
            shapely.LineString([(117.1, 40.3), (117.4, 40.9)]),
        ],
        crs="EPSG:4490",
    )
    ws.write_layer("rivers", rivers)
    today = dt.date(2025, 3, 1)
    assert build_ledger(ws, seed=7, today=today) == sum(COUNTS.values())
    problems = ledger_ops.problems(ws)
    assert set(problems["state"]) == set(load_machine().states)
    late = is_overdue(problems, today)
    assert 0 < late.sum() < len(problems)
    assert set(problems["jurisdiction"]) == {"beijing", "hebei"}
    closed = problems[problems["state"] == "closed"]
    assert closed["closed_at"].notna().all()
    history = ledger_ops.history(ws, closed["code"].iloc[0])
    assert list(history["to_state"]) == [
        "found",
        "assigned",
        "being_fixed",
        "fix_submitted",
        "verified",
        "closed",
    ]
    assert history["at"].is_monotonic_increasing
    assert build_proposals(ws) == 3
    assert sorted(facilities_ops.proposals(ws)["state"]) == ["approved", "pending", "rejected"]
    assert ws.store.current_version("sewage_facilities") == 2
    ws.close()
