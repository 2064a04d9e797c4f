"""The analysis panel on the web map, in headless Chromium: a choropleth with its legend, and the gaps."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from analysis_data import build

from browser import new_page, skip_without_browser
from live_server import liuyu_serve

pytestmark = [pytest.mark.browser, pytest.mark.slow]

skip_without_browser()


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = build(tmp_path_factory.mktemp("analysis_map") / "ws")
    with liuyu_serve(root) as url:
        yield url


@pytest.fixture
def page(browser: Any, base_url: str) -> Iterator[Any]:
    with new_page(browser) as page:
        page.goto(f"{base_url}/map")
        page.wait_for_selector("#btn-analysis", timeout=30_000)
        yield page


def rendered(page: Any, layer: str) -> int:
    return int(
        page.evaluate(
            f"window.liuyuMap.getLayer('{layer}') ? "
            f"window.liuyuMap.queryRenderedFeatures({{ layers: ['{layer}'] }}).length : 0"
        )
    )


def test_zonal_choropleth_then_gaps(page: Any) -> None:
    page.click("#btn-analysis")
    page.select_option("#analysis-theme", "land_use")
    page.select_option("#analysis-by", "townships")
    page.click("#analysis-run")
    page.wait_for_function(
        "window.liuyuAnalysis.legend !== null && !window.liuyuAnalysis.busy", timeout=30_000
    )
    page.wait_for_function(
        "window.liuyuMap.queryRenderedFeatures({ layers: ['analysis-result-fill'] }).length > 0",
        timeout=20_000,
    )
    codes = page.evaluate(
        "[...new Set(window.liuyuMap.queryRenderedFeatures({ layers: ['analysis-result-fill'] })"
        ".map(f => f.properties.code))].sort()"
    )
    assert codes == ["110118001", "130824001", "130824002"]
    box = page.inner_text("#analysis-box")
    assert "优势类别占比" in box and "land_use v1" in box
    page.select_option("#analysis-kind", "coverage")
    page.click("#analysis-run")
    page.wait_for_function(
        "window.liuyuMap.getLayer('analysis-result-circle') && !window.liuyuAnalysis.busy", timeout=30_000
    )
    page.wait_for_function(
        "window.liuyuMap.queryRenderedFeatures({ layers: ['analysis-result-circle'] }).length === 1",
        timeout=20_000,
    )
    gap = page.evaluate(
        "window.liuyuMap.queryRenderedFeatures({ layers: ['analysis-result-circle'] })[0].properties"
    )
    assert gap["river_code"] == "R3" and gap["boundary"] == "township"
    assert "断面空白点" in page.inner_text("#analysis-box") and rendered(page, "analysis-result-fill") == 0
    page.click("#btn-lang")
    assert page.inner_text("#btn-analysis") == "Analysis"
    assert "Network gaps" in page.inner_text("#analysis-box")
