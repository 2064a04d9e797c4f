"""`liuyu serve --workers 2`: two processes serve one workspace at once, and an ingest running in
another process meanwhile neither corrupts nor blocks what they answer.

Runs on whichever store the session uses (GeoPackage, or PostGIS in the suite's second pass).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import ogc_data
import pytest

from live_server import liuyu_serve

N_NEW = 3_000  # parcels of the version ingested while the server reads


def worker_pids(url: str) -> list[int]:
    """The worker processes of the `liuyu serve` listening at ``url`` (children of the command)."""
    port = str(urlsplit(url).port)
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            args = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"serve" in args and b"--port" in args and args[args.index(b"--port") + 1].decode() == port:
            children = (proc / "task" / proc.name / "children").read_text().split()
            # (multiprocessing's resource tracker is a child too; workers are started by spawn_main)
            return [int(c) for c in children if b"spawn_main" in Path(f"/proc/{c}/cmdline").read_bytes()]
    return []


def reads(url: str) -> list[str]:
    return [
        f"{url}/collections",
        f"{url}/collections/land_use/items?limit=25&offset=50",
        f"{url}/collections/townships/items?limit=5",
        f"{url}/collections/stations/items/S1",
        f"{url}/collections/land_use/items?limit=1",
    ]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory):
    ws = ogc_data.build(tmp_path_factory.mktemp("workers") / "ws")
    ws.close()
    with liuyu_serve(ws.root, workers=2, timeout=90) as url:
        yield ws.root, url


def test_the_banner_names_the_store_and_hides_its_password():
    from liuyu.cli.serve_cmd import _store_line

    pg = _store_line("postgresql://liuyu:s3cret@db:5432/gis?schema=ws_1", 2)
    assert pg.startswith("PostGIS") and "s3cret" not in pg and "liuyu:***@db:5432/gis" in pg
    assert "writes take turns" in _store_line("liuyu.gpkg", 2) and "turns" not in _store_line("liuyu.gpkg", 1)


@pytest.mark.slow
def test_two_worker_processes_answer_concurrent_requests(served):
    _, url = served
    deadline = time.monotonic() + 30
    while len(worker_pids(url)) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert len(worker_pids(url)) == 2
    urls = reads(url) * 40
    with httpx.Client(timeout=30) as client, ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(client.get, urls))
    assert [r.status_code for r in answers] == [200] * len(urls)
    counts = {r.json()["numberMatched"] for u, r in zip(urls, answers, strict=True) if "land_use/items" in u}
    assert counts == {ogc_data.N_PARCELS - 1}
    page = next(r for u, r in zip(urls, answers, strict=True) if "offset=50" in u)
    assert len(page.json()["features"]) == 25


@pytest.mark.slow
def test_an_ingest_in_another_process_neither_corrupts_nor_blocks_reads(served, tmp_path):
    root, url = served
    delivery = tmp_path / "land_use.geojson"
    ogc_data.parcel_frame(N_NEW, seed=3).to_file(delivery, driver="GeoJSON")
    env = {k: v for k, v in os.environ.items() if k != "LIUYU_WORKSPACE"}
    seen: list[tuple[float, float, int, int]] = []  # start, end, status, numberMatched
    stop = threading.Event()

    def read_loop() -> None:
        with httpx.Client(timeout=30) as client:
            while not stop.is_set():
                t0 = time.monotonic()
                r = client.get(f"{url}/collections/land_use/items?limit=50")
                n = r.json().get("numberMatched", -1) if r.status_code == 200 else -1
                seen.append((t0, time.monotonic(), r.status_code, n))

    readers = [threading.Thread(target=read_loop) for _ in range(4)]
    for t in readers:
        t.start()
    try:
        time.sleep(0.5)
        begin = time.monotonic()
        ingest = subprocess.run(
            [
                sys.executable,
                "-m",
                "liuyu",
                "ingest",
                "layer",
                str(delivery),
                "-c",
                "land_use",
                "-w",
                str(root),
            ],
            capture_output=True,
            text=True,
            env=env,
            timeout=300,
        )
        end = time.monotonic()
        time.sleep(0.5)
    finally:
        stop.set()
        for t in readers:
            t.join()
    assert ingest.returncode == 0, ingest.stdout + ingest.stderr
    assert {s for _, _, s, _ in seen} == {200}
    # Every answer is the whole old version or the whole new one, never a mixture.
    assert {n for *_, n in seen} <= {ogc_data.N_PARCELS - 1, N_NEW}
    during = [s for s in seen if s[0] >= begin and s[1] <= end]
    assert during, "reads went on while the ingest ran"
    with httpx.Client(timeout=30) as client:
        after = {
            client.get(f"{url}/collections/land_use/items?limit=1").json()["numberMatched"] for _ in range(20)
        }
    assert after == {N_NEW}, "both workers see the new version"
