"""`liuyu serve` in a subprocess on a free loopback port, for tests that need a real HTTP server.

A subprocess, not a thread: clients such as pyogrio keep the GIL while GDAL waits for the next
page, so a server thread in the same process could never answer them.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def liuyu_serve(
    workspace: Path,
    *,
    ready: str = "/conformance",
    timeout: float = 30,
    workers: int = 1,
    banner: list[str] | None = None,
) -> Iterator[str]:
    """Start the server, wait until ``ready`` answers 200, yield its base URL, stop it.

    When a ``banner`` list is given, the four lines the command prints first are put in it.
    """
    port = free_port()
    env = {**{k: v for k, v in os.environ.items() if k != "LIUYU_WORKSPACE"}, "COLUMNS": "200"}
    args = ["serve", "-w", str(workspace), "--port", str(port), "--workers", str(workers)]
    proc = subprocess.Popen(
        [sys.executable, "-m", "liuyu", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        if banner is not None and proc.stdout:
            banner.extend(proc.stdout.readline() for _ in range(4))
        deadline = time.monotonic() + timeout
        while True:
            assert proc.poll() is None, proc.stdout.read() if proc.stdout else "the server exited"
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{url}{ready}", timeout=1).status_code == 200:
                    break
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout:
            proc.stdout.close()
