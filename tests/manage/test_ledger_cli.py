"""`liuyu ledger` and `liuyu facilities` from the command line, on a small workspace."""

from __future__ import annotations

from pathlib import Path

import openpyxl
from typer.testing import CliRunner

from ledger_data import ledger_workspace, tiny_jpeg
from liuyu.cli import app

runner = CliRunner()


def _run(*args: str) -> str:
    result = runner.invoke(app, list(args), env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output + repr(result.exception)
    return result.output


def test_ledger_commands(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    ledger_workspace(root).close()
    w = ["-w", str(root)]
    where = ["--lon", "117.2", "--lat", "40.5"]
    when = ["--deadline", "2024-07-01", "--found", "2024-06-01"]
    out = _run("ledger", "add", "-t", "河滩垃圾", "--source", "河长巡河", "-c", "乱堆", *where, *when, *w)
    assert "WT2024-0001 (hebei)" in out
    refused = runner.invoke(app, ["ledger", "move", "WT2024-0001", "closed", *w])
    assert refused.exit_code != 0
    denied = runner.invoke(
        app,
        ["ledger", "move", "WT2024-0001", "assigned", "--role", "editor", "--as-jurisdiction", "beijing", *w],
    )
    assert denied.exit_code != 0
    assert "assigned" in _run("ledger", "move", "WT2024-0001", "assigned", "-n", "交办", "--user", "zhao", *w)
    photo = tmp_path / "现场.jpg"
    photo.write_bytes(tiny_jpeg())
    assert "photos/WT2024-0001/" in _run("ledger", "photo", "WT2024-0001", str(photo), *w)
    shown = _run("ledger", "show", "WT2024-0001", *w)
    assert "zhao" in shown and "交办" in shown and "image/jpeg" in shown
    assert "WT2024-0001" in _run("ledger", "overdue", "--today", "2024-07-05", *w)
    assert "WT2024-0001" not in _run("ledger", "overdue", "--today", "2024-06-05", *w)
    assert "乱堆" in _run("ledger", "stats", "--by", "category", *w)
    assert "WT2024-0001" in _run("ledger", "list", "--state", "assigned", *w)
    target = tmp_path / "台账.xlsx"
    _run("ledger", "export", str(target), *w)
    assert openpyxl.load_workbook(target).active["B4"].value == "WT2024-0001"


def test_facilities_commands(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    ledger_workspace(root).close()
    w = ["-w", str(root)]
    assert "F1" in _run("facilities", "list", *w)
    assert "无监测数据 No data: 3" in _run("facilities", "status", *w)
    assert "proposal #1" in _run(
        "facilities", "propose", "F1", "capacity_m3d=75", "process=SBR", "-r", "核查", *w
    )
    assert "F1" in _run("facilities", "proposals", *w)
    assert "version 2 (1 changed)" in _run("facilities", "approve", "1", *w)
    _run("facilities", "propose", "F3", "status=停运", *w)
    assert "Rejected #2" in _run("facilities", "reject", "2", "-n", "已修复", *w)
    bad = runner.invoke(app, ["facilities", "propose", "F1", "capacity_m3d", *w])
    assert bad.exit_code != 0
