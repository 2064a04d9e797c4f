"""`liuyu serve`: a clean message for a wrong workspace, URLs printed, several workers answering."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import httpx
import ogc_data
import pytest


def liuyu(*args: str) -> subprocess.Popen[str]:
    env = {**{k: v for k, v in os.environ.items() if k != "LIUYU_WORKSPACE"}, "COLUMNS": "200"}
    return subprocess.Popen(
        [sys.executable, "-m", "liuyu", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )


def test_a_wrong_workspace_is_a_clean_error(tmp_path):
    proc = liuyu("serve", "-w", str(tmp_path / "nowhere"), "--port", "9")
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 1
    assert "not a Liuyu workspace" in out and "Traceback" not in out


@pytest.mark.slow
def test_serve_prints_urls_and_answers_with_two_workers(tmp_path):
    ws = ogc_data.build(tmp_path / "ws")
    ws.close()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = liuyu("serve", "-w", str(ws.root), "--port", str(port), "--workers", "2")
    try:
        banner = [proc.stdout.readline() for _ in range(4)] if proc.stdout else []
        text = "".join(banner)
        assert f"http://127.0.0.1:{port}/" in text and f"http://127.0.0.1:{port}/map" in text
        assert "接口" in text and "Web map" in text
        deadline = time.monotonic() + 60
        while True:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/collections/land_use/items?limit=3", timeout=2)
                break
            except httpx.TransportError:
                assert proc.poll() is None and time.monotonic() < deadline
                time.sleep(0.2)
        assert r.status_code == 200 and r.json()["numberMatched"] == ogc_data.N_PARCELS - 1
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout:
            proc.stdout.close()
