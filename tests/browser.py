"""Headless Chromium for the browser tests: one launch, one page setup, one "map is idle" wait.

Import it like live_server (`from browser import ...`); the tests keep their own assertions.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from live_server import free_port

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
# the map has its style, its sources and the tiles in view
IDLE = "() => { const m = window.liuyuMap; return !!m && m.loaded() && m.areTilesLoaded(); }"


def skip_without_browser() -> None:
    """Skip the calling module without Chromium or the npm front end (scripts/test.sh installs both)."""
    from liuyu.api.web import front_end_installed

    if not CHROMIUM.exists() or not front_end_installed():
        pytest.skip(
            "needs /usr/bin/chromium and `npm ci --prefix src/liuyu/web` (scripts/test.sh installs them)",
            allow_module_level=True,
        )


@contextlib.contextmanager
def chromium() -> Iterator[Any]:
    """A launched headless Chromium, closed afterwards."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@contextlib.contextmanager
def new_page(
    browser: Any, *, width: int = 1300, height: int = 800, locale: str | None = "zh-CN"
) -> Iterator[Any]:
    """A page in a fresh context (Playwright's own locale when ``locale`` is None); fails the test if
    any script on it threw."""
    options: dict[str, Any] = {"viewport": {"width": width, "height": height}}
    if locale is not None:
        options["locale"] = locale
    context = browser.new_context(**options)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert errors == [], errors


def open_map(page: Any, base_url: str) -> None:
    """Go to the map and wait until its layers are added and its first tiles drawn."""
    page.goto(f"{base_url}/map")
    page.wait_for_function("document.body.dataset.ready === 'layers'", timeout=30_000)
    wait_idle(page)


def wait_idle(page: Any) -> None:
    page.wait_for_function(IDLE, timeout=60_000)


@contextlib.contextmanager
def serve_in_thread(root: Path) -> Iterator[str]:
    """The API app under uvicorn in a thread of this process (starts faster than `liuyu serve`)."""
    import uvicorn

    from liuyu.api import create_app

    port = free_port()
    config = uvicorn.Config(create_app(root), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
