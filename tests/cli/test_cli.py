"""The `liuyu` command as a user runs it: real subprocesses, no tracebacks on bad input."""

from __future__ import annotations

import os
import subprocess
import sys

import liuyu
from conftest import township_frame


def run(*args: str, cwd=None, env=None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "COLUMNS": "200", **(env or {})}
    full_env.pop("LIUYU_WORKSPACE", None) if env is None else None
    return subprocess.run(
        [sys.executable, "-m", "liuyu", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=full_env,
        timeout=120,
    )


def test_init_catalog_versions_diff_rollback(tmp_path):
    ws_dir = tmp_path / "ws"
    r = run("init", str(ws_dir), "--basin", "密云水库流域")
    assert r.returncode == 0, r.stderr
    with liuyu.open(ws_dir) as ws:
        ws.write_layer("townships", township_frame(), agency="测绘院")
        changed = township_frame()
        changed.loc[0, "name"] = "新"
        ws.write_layer("townships", changed)
    r = run("catalog", cwd=ws_dir)  # found from the current folder
    assert r.returncode == 0, r.stderr
    assert "townships" in r.stdout and "密云水库流域" in r.stdout and "12" in r.stdout
    r = run("versions", "townships", "-w", str(ws_dir))
    assert r.returncode == 0 and "测绘院" in r.stdout
    r = run("diff", "townships", "1", "2", "-w", str(ws_dir))
    assert "~1" in r.stdout and "110118000" in r.stdout
    r = run("rollback", "townships", "1", "-w", str(ws_dir), "--user", "admin")
    assert r.returncode == 0 and "version 3" in r.stdout
    r = run("audit", "-w", str(ws_dir))
    assert "version.rollback" in r.stdout


def test_errors_are_messages_not_tracebacks(tmp_path):
    r = run("catalog", cwd=tmp_path)
    assert r.returncode == 1
    assert "no Liuyu workspace" in r.stderr and "liuyu init" in r.stderr
    assert "Traceback" not in r.stderr
    run("init", str(tmp_path / "ws"))
    (tmp_path / "ws" / "liuyu.toml").write_text("[basin]\nname='x'\nnmae='y'\n", encoding="utf-8")
    r = run("catalog", "-w", str(tmp_path / "ws"))
    assert r.returncode == 1 and "basin.nmae: unknown key" in r.stderr and "Traceback" not in r.stderr
    r = run("versions", "nope", "-w", str(tmp_path / "ws"))
    assert "Traceback" not in r.stderr


def test_categories_table(tmp_path):
    r = run("categories")
    assert r.returncode == 0
    for code in ("land_use", "stations", "protection_zones", "dem"):
        assert code in r.stdout
    r = run("categories", "land_use")
    assert "DLBM" in r.stdout
