"""`liuyu qc run` and `liuyu qc correct`: flags re-computed over stored series, corrections audited."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from liuyu.cli import app
from liuyu.store.base import Provenance


def _invoke(*args: str):
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "200"})


def test_qc_run_and_correct(workspace, tmp_path: Path) -> None:
    times = pd.date_range("2024-08-01", periods=5, freq="h", tz="Asia/Shanghai")
    obs = pd.DataFrame(
        {"station_code": "S1", "property_code": "nh3n", "phenomenon_time": times,
         "value": [0.3, 0.3, 5.0, 0.3, 0.3], "raw": ["0.3", "0.3", "5.0", "0.3", "0.3"]}
    )  # fmt: skip
    workspace.store.append_observations(obs, Provenance(user="t"))
    root = str(workspace.root)
    workspace.close()
    ran = _invoke("qc", "run", "-w", root)
    assert ran.exit_code == 0, ran.output
    assert "flags changed: 1" in ran.output and "spike" in ran.output
    fixed = _invoke(
        "qc", "correct", "--station", "S1", "--property", "nh3n", "--time", "2024-08-01T02:00+08:00",
        "--value", "0.31", "--reason", "仪器故障 instrument fault", "--user", "editor", "-w", root,
    )  # fmt: skip
    assert fixed.exit_code == 0, fixed.output
    assert "corrected: 1" in fixed.output
    csv = tmp_path / "fix.csv"
    csv.write_text(
        "station_code,property_code,phenomenon_time,value,reason\n"
        "S1,nh3n,2024-08-01T03:00+08:00,0.32,复核 recheck\n",
        encoding="utf-8",
    )
    assert _invoke("qc", "correct", "--file", str(csv), "-w", root).exit_code == 0
    missing = _invoke("qc", "correct", "--station", "S1", "-w", root)
    assert missing.exit_code != 0

    import liuyu

    ws = liuyu.open(root)
    try:
        now = ws.store.read_observations()
        assert now["value"].tolist() == [0.3, 0.3, 0.31, 0.32, 0.3]  # the spike corrected
        assert len(ws.store.read_observations(history=True)) == 5 + 1 + 2
        n = ws.store.conn.execute(
            "SELECT count(*) FROM audit_log WHERE action = 'observations.correct' AND \"user\" = 'editor'"
        ).fetchone()[0]
        assert n == 1
    finally:
        ws.close()
