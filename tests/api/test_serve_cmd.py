"""`liuyu serve`: a clean message for a wrong workspace, URLs printed, several workers answering."""

from __future__ import annotations

import os
import subprocess
import sys

import httpx
import ogc_data
import pytest

from live_server import liuyu_serve


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
    banner: list[str] = []
    with liuyu_serve(ws.root, workers=2, banner=banner, timeout=60) as url:
        text = "".join(banner)
        assert f"{url}/" in text and f"{url}/map" in text
        assert "接口" in text and "Web map" in text
        r = httpx.get(f"{url}/collections/land_use/items?limit=3", timeout=2)
        assert r.status_code == 200 and r.json()["numberMatched"] == ogc_data.N_PARCELS - 1
