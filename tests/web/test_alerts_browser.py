"""Alerts on the web map, in headless Chromium: the rings at the stations, the list, acknowledging one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import httpx
import pandas as pd
import pytest
import shapely

import liuyu
from assess_data import lab, sample
from browser import new_page, serve_in_thread, skip_without_browser
from liuyu.assess.alerts_run import check_alerts
from liuyu.assess.run import parse_period

pytestmark = [pytest.mark.browser, pytest.mark.slow]

skip_without_browser()


def _workspace(root: Path) -> None:
    ws = liuyu.init(root, basin_name="测试流域")
    ws.write_layer(
        "stations",
        gpd.GeoDataFrame(
            {
                "code": ["S1", "O1"],
                "name": ["断面一", "镇污水厂排口"],
                "kind": ["water_quality", "sewage_outfall"],
                "water_type": ["river", None],
                "target_class": ["II", None],
                "jurisdiction": ["beijing", "hebei"],
            },
            geometry=[shapely.Point(116.85, 40.5), shapely.Point(116.95, 40.55)],
            crs="EPSG:4490",
        ),
    )
    ws.append_observations(
        pd.concat(
            [
                lab("S1", "2024-08-05 10:00", {"tp": 0.3}),
                sample("O1", "2024-08-31 10:00", {"cod": 90.0}, "auto"),
            ],
            ignore_index=True,
        )
    )
    ws.config.alerts.channels = ["log"]
    result = check_alerts(ws, parse_period("2024-08"))
    assert len(result.new) == 2
    ws.close()


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("alerts_map") / "ws"
    _workspace(root)
    with serve_in_thread(root) as url:
        yield url


@pytest.fixture
def page(browser: Any, base_url: str) -> Iterator[Any]:
    with new_page(browser) as page:
        page.goto(f"{base_url}/map")
        page.wait_for_function("document.body.dataset.alerts !== undefined", timeout=30_000)
        yield page


def test_open_alerts_are_drawn_and_one_is_acknowledged(page: Any, base_url: str) -> None:
    assert page.evaluate("document.body.dataset.alerts") == "2"
    assert page.inner_text("#btn-alerts") == "告警 2"
    drawn = "() => window.liuyuMap.queryRenderedFeatures({ layers: ['alerts-ring'] }).length === 2"
    page.wait_for_function(drawn, timeout=20_000)
    rings = page.evaluate(
        "window.liuyuMap.queryRenderedFeatures({ layers: ['alerts-ring'] })"
        ".map(f => f.properties.subject).sort()"
    )
    assert rings == ["O1", "S1"]
    page.click("#btn-alerts")
    items = page.locator("#alerts-box li")
    assert items.count() == 2
    text = page.inner_text("#alerts-box")
    assert "断面一（S1）2024-08水质为Ⅳ类" in text and "化学需氧量 90" in text
    first = items.filter(has_text="断面一")
    first.locator("input[name=note]").fill("已通知区县复核")
    first.locator("button[type=submit]").click()
    page.wait_for_function("document.body.dataset.alerts === '1'", timeout=10_000)
    assert page.inner_text("#btn-alerts") == "告警 1"
    assert "已确认告警" in page.inner_text("#status-msg")
    acked = httpx.get(f"{base_url}/api/alerts", params={"state": "acknowledged"}).json()["alerts"]
    assert [(a["subject"], a["ack_note"]) for a in acked] == [("S1", "已通知区县复核")]
    page.click("#btn-lang")
    assert page.inner_text("#btn-alerts") == "Alerts 1"
    assert "exceeded its discharge limit" in page.inner_text("#alerts-box")
