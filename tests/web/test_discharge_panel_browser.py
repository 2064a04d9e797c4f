"""A sewage station's panel in Chromium: its discharge compliance, 未核实 where limits are unverified.

Two stations: N1, a rural facility under DB11/1612-2019 (its limits are not yet verified, so
every result carries the badge), and O1, a town plant outfall under the default GB 18918-2002
一级A (COD limit 50 mg/L: 90 is 0.80 times over, verified, no badge).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pytest
import shapely

import liuyu
from assess_data import lab, sample, sections
from browser import chromium, new_page, open_map, serve_in_thread, skip_without_browser

pytestmark = [pytest.mark.browser, pytest.mark.slow]

skip_without_browser()


def _workspace(root: Path) -> None:
    ws = liuyu.init(root, basin_name="测试流域")
    sewage = gpd.GeoDataFrame(
        {
            "code": ["N1", "O1"],
            "name": ["测试村污水处理站出水", "测试镇污水厂排口"],
            "kind": ["rural_sewage", "sewage_outfall"],
            "jurisdiction": ["beijing", "hebei"],
        },
        geometry=[shapely.Point(116.85, 40.5), shapely.Point(116.95, 40.55)],
        crs="EPSG:4490",
    )
    lakes = sections([("L1", "lake_reservoir", "II", 116.88), ("L2", "lake_reservoir", "II", 116.9)])
    ws.write_layer("stations", pd.concat([sewage, lakes.to_crs(sewage.crs)], ignore_index=True))
    ws.write_layer(  # N1's standard comes from the facility at its location, as in the demo
        "sewage_facilities",
        gpd.GeoDataFrame(
            {
                "code": ["F1"],
                "name": ["测试村污水处理站"],
                "standard": ["DB11/1612-2019"],
                "standard_class": ["一级A"],
                "jurisdiction": ["beijing"],
            },
            geometry=[shapely.Point(116.85, 40.5)],
            crs="EPSG:4490",
        ),
    )
    ws.write_layer(  # both points inside: one water body, lake TP (0.02 + 0.08) / 2 = 0.05 → Ⅲ
        "reservoirs",
        gpd.GeoDataFrame(
            {"code": ["SK1"], "name": ["测试水库"]},
            geometry=[shapely.box(116.87, 40.45, 116.91, 40.55)],
            crs="EPSG:4490",
        ),
    )
    ws.append_observations(
        pd.concat(
            [
                lab("L1", "2024-08-05 10:00", {"tp": 0.02}),
                lab("L2", "2024-08-05 11:00", {"tp": 0.08}),
                sample("N1", "2024-08-30 10:00", {"cod": 40.0, "nh3n": 3.0}, "auto"),
                sample("O1", "2024-08-31 10:00", {"cod": 90.0}, "auto"),
            ],
            ignore_index=True,
        )
    )
    ws.close()


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("discharge_panel") / "ws"
    _workspace(root)
    with serve_in_thread(root) as url:
        yield url


@pytest.fixture
def page(base_url: str) -> Iterator[Any]:
    with chromium() as browser, new_page(browser, width=1300, height=900) as page:
        open_map(page, base_url)
        yield page


def _open(page: Any, code: str) -> None:
    page.evaluate(f"window.liuyu.select('stations', {{ id: 'x', code: {code!r} }})")
    page.wait_for_selector(f'#station-body[data-station="{code}"] #discharge table.discharge', timeout=20_000)


def test_unverified_standard_shows_the_badge_on_every_result(page: Any) -> None:
    _open(page, "N1")
    box = page.locator("#discharge")
    assert box.get_attribute("data-period") == "2024-08"  # the month of the station's last observation
    assert "排放达标" in box.locator("h3").inner_text()
    assert page.is_visible("#discharge h3 .unverified")
    assert "DB11/1612-2019 一级A" in box.locator("p.standard").inner_text()
    items = box.locator("tbody tr")
    shown = items.evaluate_all("rs => rs.map(r => r.dataset.item)")
    assert {"cod", "nh3n"} <= set(shown)  # items of the standard without data are listed as 无数据
    assert "40" in box.locator("tbody tr[data-item='cod']").inner_text()
    assert "无限值" in box.locator("tbody tr[data-item='cod']").inner_text()  # a value, but no verified limit
    assert "无数据" in box.locator("tbody tr[data-item='tp']").inner_text()
    assert box.locator("tbody tr .unverified").count() == items.count()  # every result, not only the header
    assert box.locator("tbody tr[data-item='cod'] .unverified").inner_text() == "未核实 unverified"
    assert "官方文本" in box.locator("p.unverified-note").inner_text()


def test_verified_standard_shows_the_exceedance_without_the_badge(page: Any) -> None:
    _open(page, "O1")
    box = page.locator("#discharge")
    assert "GB 18918-2002" in box.locator("p.standard").inner_text()
    cod = box.locator("tbody tr[data-item='cod']")
    assert "over" in (cod.get_attribute("class") or "")
    text = cod.inner_text()
    assert "90" in text and "50" in text and "超标 (0.80)" in text
    assert box.locator(".unverified").count() == 0


def test_alert_list_uses_the_shared_badge(page: Any) -> None:
    """alerts.js draws the badge with panels.js's unverifiedBadge (it carries the explanatory title)."""
    alert = {
        "id": 7,
        "kind": "facility_over_limit",
        "subject": "N1",
        "subject_name": "测试村污水处理站出水",
        "period": "2024-08",
        "severity": "warning",
        "state": "open",
        "message_zh": "测试村污水处理站出水 2024-08 出水超标",
        "message_en": "N1 exceeded its discharge limit in 2024-08",
        "value": 1.0,
        "verified": False,
        "jurisdiction": "beijing",
        "longitude": 116.85,
        "latitude": 40.5,
        "first_seen": "2024-09-01T00:00:00Z",
        "last_seen": "2024-09-01T00:00:00Z",
        "resolved_at": None,
        "acknowledged_by": None,
    }

    def fake(route: Any) -> None:
        route.fulfill(status=200, content_type="application/json", body=json.dumps({"alerts": [alert]}))

    page.route("**/api/alerts?state=open*", fake)
    page.evaluate("import('/static/alerts.js').then((m) => m.refreshAlerts())")
    page.wait_for_function("document.body.dataset.alerts === '1'", timeout=10_000)
    page.click("#btn-alerts")
    badge = page.locator("#alerts-box .unverified")
    assert badge.inner_text() == "未核实 unverified"
    assert "DB11/1612-2019" in (badge.get_attribute("title") or "")


def test_reservoir_is_tinted_by_its_class_for_the_chosen_period(page: Any) -> None:
    fill = "window.liuyuMap.getPaintProperty('reservoirs-fill', 'fill-color')"
    plain = page.evaluate(fill)
    page.evaluate("window.liuyu.showPeriod('2024-08')")
    page.wait_for_function(f"Array.isArray({fill})", timeout=15_000)
    expr = page.evaluate(fill)
    assert expr[:2] == ["match", ["to-string", ["get", "code"]]]
    assert expr[2:4] == ["SK1", "#2ca02c"]  # Ⅲ green (WATER_CLASS_COLOURS of styles.js)
    page.evaluate("window.liuyu.showPeriod('')")
    page.wait_for_function(f"!Array.isArray({fill})", timeout=15_000)
    assert page.evaluate(fill) == plain
