"""The web map in a real browser: Debian's headless Chromium driven by Playwright, on the demo basin."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from browser import ARTIFACTS, new_page, open_map, serve_in_thread, skip_without_browser, wait_idle
from liuyu.catalog import load_categories

pytestmark = [pytest.mark.browser, pytest.mark.slow]

STATION = "1101SZ001"  # the demo's Baihe provincial-boundary section: lab series of all Table 1 items

skip_without_browser()


@pytest.fixture(scope="module")
def base_url(copy_demo: Callable[[Path], Any], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("map") / "demo"
    ws = copy_demo(root)
    # one real ingest, so the data view has a report to link to
    meshes = ws.read_layer("village_meshes")[["code", "village_code", "name", "mesh_path", "geometry"]]
    meshes.loc[meshes.index[0], "name"] = "更新的实景模型"
    delivery = root.parent / "meshes.geojson"
    meshes.to_file(delivery, engine="pyogrio")
    assert ws.ingest_layer(delivery, "village_meshes").version is not None
    ws.close()
    with serve_in_thread(root) as url:
        yield url


@pytest.fixture
def page(browser: Any, base_url: str) -> Iterator[Any]:
    """The map, opened in Chinese, with its layers added and its first tiles drawn."""
    with new_page(browser, width=1400, height=860) as page:
        open_map(page, base_url)
        yield page


def rendered_sources(page: Any) -> dict[str, int]:
    return page.evaluate(
        """() => {
          const out = {};
          for (const f of window.liuyuMap.queryRenderedFeatures()) out[f.source] = (out[f.source] ?? 0) + 1;
          return out;
        }"""
    )


def test_layer_tree_lists_every_category(page: Any) -> None:
    codes = page.eval_on_selector_all("#layer-tree li[data-code]", "els => els.map(e => e.dataset.code)")
    assert sorted(codes) == sorted(load_categories())
    groups = page.eval_on_selector_all(
        "#layer-tree section[data-group]", "els => els.map(e => e.dataset.group)"
    )
    assert groups == [
        "boundaries",
        "water",
        "terrain",
        "land",
        "protection",
        "network",
        "settlements",
        "analysis",
    ]
    assert page.inner_text('li[data-code="stations"] .count') == "429"


def test_features_are_drawn_from_the_vector_tiles(page: Any) -> None:
    drawn = rendered_sources(page)
    for code in ("basin", "counties", "rivers", "reservoirs", "protection_zones", "stations"):
        assert drawn.get(code, 0) > 0, (code, drawn)
    tiles = page.evaluate("window.liuyuMap.getSource('land_use').tiles[0]")
    assert tiles.endswith("/collections/land_use/tiles/WebMercatorQuad/{z}/{y}/{x}")
    assert "land_use" not in drawn
    page.check('li[data-code="land_use"] input')
    wait_idle(page)
    assert rendered_sources(page).get("land_use", 0) > 0


def test_language_toggle(page: Any) -> None:
    assert page.inner_text("#btn-basin") == "全流域"
    assert page.inner_text('li[data-code="rivers"] .lname') == "河流"
    page.click("#btn-lang")
    assert page.inner_text("#btn-basin") == "Whole basin"
    assert page.inner_text('li[data-code="rivers"] .lname') == "Rivers"
    assert page.inner_text('section[data-group="network"] h3').lower() == "monitoring network"
    assert page.get_attribute("html", "lang") == "en"
    page.click("#btn-lang")
    assert page.inner_text("#btn-basin") == "全流域"


def click_station(page: Any, base_url: str, code: str) -> dict[str, Any]:
    station = page.evaluate(f"fetch('{base_url}/api/stations/{code}').then(r => r.json())")
    page.evaluate(
        "([lon, lat]) => { window.liuyuMap.jumpTo({center: [lon, lat], zoom: 12}); }",
        [station["lon"], station["lat"]],
    )
    wait_idle(page)
    x, y = page.evaluate(
        "([lon, lat]) => { const p = window.liuyuMap.project([lon, lat]); return [p.x, p.y]; }",
        [station["lon"], station["lat"]],
    )
    box = page.locator("#map").bounding_box()
    page.mouse.click(box["x"] + x, box["y"] + y)
    return station


def test_click_a_station_opens_its_panel_and_chart(page: Any, base_url: str) -> None:
    station = click_station(page, base_url, STATION)
    page.wait_for_selector(f'#station-body[data-station="{STATION}"] #series-list li', timeout=15_000)
    listed = page.eval_on_selector_all("#series-list li", "els => els.map(e => e.dataset.property)")
    assert listed == [s["property"] for s in station["series"]] and "tp" in listed
    page.wait_for_selector("#station-chart canvas", timeout=15_000)
    assert page.get_attribute("#station-chart", "data-property") == "tp"
    assert int(page.get_attribute("#station-chart", "data-points")) > 10
    assert "白河入境" in page.inner_text("#panel .panel-title")
    page.click('#series-list li[data-property="do"]')
    page.wait_for_selector('#station-chart[data-property="do"] canvas', timeout=15_000)
    # back to the whole basin, panel open: the picture an engineer sees first
    page.click("#series-list li[data-property='tp']")
    page.wait_for_selector('#station-chart[data-property="tp"] canvas', timeout=15_000)
    page.click("#btn-basin")
    page.wait_for_timeout(800)
    wait_idle(page)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "map.png"))


def test_search_zooms_to_the_hit(page: Any) -> None:
    page.fill("#search-input", "密云水库")
    page.wait_for_selector("#search-results li[data-index]", timeout=10_000)
    first = page.get_attribute("#search-results li[data-index='0']", "data-category")
    assert first == "reservoirs"
    zoom_before = page.evaluate("window.liuyuMap.getZoom()")
    page.press("#search-input", "Enter")
    page.wait_for_function(f"window.liuyuMap.getZoom() > {zoom_before + 0.5}", timeout=10_000)
    page.wait_for_selector('#panel:not([hidden]) table.attrs[data-category="reservoirs"]', timeout=10_000)
    assert "密云水库" in page.inner_text("#panel .panel-title")


def test_data_view(page: Any) -> None:
    page.click("#btn-dataview")
    page.wait_for_selector("#dataview:not([hidden]) table.datatable")
    rows = page.eval_on_selector_all("#dataview tr[data-code]", "els => els.map(e => e.dataset.code)")
    assert sorted(rows) == sorted(load_categories())
    stations = page.eval_on_selector_all(
        '#dataview tr[data-code="stations"] td[data-status]', "els => els.map(e => e.dataset.status)"
    )
    assert len(stations) == 2 and set(stations) <= {"present", "partial"}
    link = page.get_attribute('#dataview tr[data-code="village_meshes"] a.report', "href")
    assert link is not None and link.endswith(".html")
    report = page.request.get(page.url.rsplit("/", 1)[0] + "/" + link)
    assert report.ok and "village_meshes" in report.text()
    statuses = page.eval_on_selector_all("#dataview td[data-status]", "els => els.map(e => e.dataset.status)")
    assert set(statuses) <= {"present", "partial", "missing"} and "present" in statuses
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "map-dataview.png"))
    page.keyboard.press("Escape")
    assert page.is_hidden("#dataview")
