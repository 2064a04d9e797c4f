"""Steep slopes derived from the map's analysis panel, in headless Chromium: the layer redraws at once."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from analysis_data import build

import liuyu
from browser import ARTIFACTS, chromium, new_page, open_map, skip_without_browser, wait_idle
from liuyu.analysis.run import derive_steep_slopes
from live_server import liuyu_serve

pytestmark = [pytest.mark.browser, pytest.mark.slow]

skip_without_browser()

DRAWN = "window.liuyuMap.queryRenderedFeatures({ layers: ['steep_slopes-fill'] }).length"


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = build(tmp_path_factory.mktemp("slopes_map") / "ws")
    with liuyu.open(root) as ws:
        derive_steep_slopes(ws)  # a first version, so the map has the layer when it opens
    with liuyu_serve(root) as url:
        yield url


def derive(page: Any, threshold: str) -> None:
    page.fill("#analysis-threshold", threshold)
    page.click("#analysis-run")
    page.wait_for_function(
        "!window.liuyuAnalysis.busy"
        f" && window.liuyuAnalysis.result?.params.threshold_deg === {float(threshold)}",
        timeout=60_000,
    )
    page.wait_for_timeout(300)
    wait_idle(page)


def test_derive_steep_slopes_from_the_panel(base_url: str) -> None:
    with chromium() as browser, new_page(browser) as page:
        open_map(page, base_url)
        page.click("#btn-analysis")
        page.select_option("#analysis-kind", "slopes")
        derive(page, "35")  # the ramp is 31°: nothing is steeper than 35°
        assert page.is_checked('#layer-tree input[data-code="steep_slopes"]')
        assert page.evaluate(DRAWN) == 0
        assert "0 个图斑" in page.inner_text("#analysis-box")
        derive(page, "25")
        page.wait_for_function(f"{DRAWN} > 0", timeout=20_000)
        assert "?v=" in page.evaluate("window.liuyuMap.getSource('steep_slopes').tiles[0]")
        box = page.inner_text("#analysis-box")
        assert "坡度超过阈值的陡坡地" in box and "130824" in box
        assert page.input_value("#analysis-threshold") == "25"
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "analysis_slopes.png"))
