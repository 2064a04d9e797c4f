"""The period selector in headless Chromium: months, seasons and years recolour the sections by class."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

import assess_map_data as data
from browser import ARTIFACTS, new_page, open_map, skip_without_browser
from live_server import liuyu_serve

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# WATER_CLASS_COLOURS of styles.js, by class number
COLOURS = {1: "#1e6fd9", 2: "#1e6fd9", 3: "#2ca02c", 4: "#f2c500", 5: "#f28e1c", 6: "#d62728"}

skip_without_browser()


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = data.build(tmp_path_factory.mktemp("assess_map") / "ws")
    with liuyu_serve(root, ready="/api/config") as url:
        yield url


@pytest.fixture
def page(browser: Any, base_url: str) -> Iterator[Any]:
    with new_page(browser, width=1280) as page:
        open_map(page, base_url)
        page.wait_for_selector("#assess-period option[value='2024-08']", state="attached", timeout=15_000)
        yield page


def choose(page: Any, period: str) -> dict[str, str]:
    """Pick a period in the selector; the classes the page coloured the sections with."""
    page.select_option("#assess-period", period)
    page.wait_for_function(
        f"window.liuyu.ctx.assessment?.period === {period!r} && "
        "Object.keys(window.liuyu.ctx.sectionClasses).length > 0",
        timeout=30_000,
    )
    return page.evaluate("window.liuyu.ctx.sectionClasses")


def paint_colours(page: Any) -> dict[str, str]:
    """Station code → colour in the stations layer's circle-color expression ("" when not a match)."""
    expr = page.evaluate("window.liuyuMap.getPaintProperty('stations-circle', 'circle-color')")
    if not isinstance(expr, list) or expr[0] != "match" or expr[1] != ["get", "code"]:
        return {}
    pairs = expr[2:-1]
    return {pairs[i]: pairs[i + 1] for i in range(0, len(pairs), 2)}


def api_classes(base_url: str, period: str) -> dict[str, int]:
    body = httpx.get(f"{base_url}/api/assessments", params={"period": period}).json()
    return {a["station_code"]: a["class"] for a in body["assessments"]}


def test_selector_lists_months_seasons_and_years(page: Any) -> None:
    options = page.eval_on_selector_all(
        "#assess-period option", "els => els.map(e => [e.value, e.textContent.trim()])"
    )
    values = [v for v, _ in options]
    assert values[:6] == ["", "2024-09", "2024-08", "2024-07", "2024-06", "2024-01"]
    assert ["2024-wet", "2024 丰水期"] in options and ["2024-dry", "2024 枯水期"] in options
    assert ["2024-flood", "2024 汛期"] in options and values[-1] == "2024"


def test_picking_a_period_recolours_the_sections(page: Any, base_url: str) -> None:
    assert paint_colours(page) == {}  # the kind colours until a period is picked
    august = choose(page, "2024-08")
    assert api_classes(base_url, "2024-08") == data.AUGUST
    expected = {code: COLOURS[n] for code, n in data.AUGUST.items()}
    assert paint_colours(page) == expected
    assert august == {"S1": "V", "S2": "IV", "L1": "III"}
    assert "R1" not in paint_colours(page)  # the rain gauge keeps its kind colour
    legend = page.eval_on_selector_all(
        "#assess-box ul.legend li", "els => els.map(e => e.textContent.trim())"
    )
    assert legend == ["Ⅰ–Ⅱ", "Ⅲ", "Ⅳ", "Ⅴ", "劣Ⅴ"]
    assert "2024-08" in page.inner_text("#status-msg")

    choose(page, "2024-wet")  # June-September: S1's TP mean is 0.2275, Ⅳ
    wet = api_classes(base_url, "2024-wet")
    assert wet == {"S1": 4, "S2": 4, "L1": 3}
    assert paint_colours(page) == {code: COLOURS[n] for code, n in wet.items()}
    assert "丰水期" in page.inner_text("#status-msg")

    choose(page, "2024-dry")  # only S2 has a sample in the dry months
    assert paint_colours(page) == {"S2": COLOURS[1]}

    page.select_option("#assess-period", "")
    page.wait_for_function("Object.keys(window.liuyu.ctx.sectionClasses).length === 0")
    assert paint_colours(page) == {}
    assert page.is_hidden("#assess-box ul.legend")


def test_the_legend_draws_the_roman_five(page: Any) -> None:
    """Ⅴ (U+2164) is blank in WenQuanYi Micro Hei; the page's font stack must draw it with ink."""
    choose(page, "2024-08")
    ink = page.evaluate(
        """async () => {
          const li = [...document.querySelectorAll('#assess-box ul.legend li')][3];
          const family = getComputedStyle(li).fontFamily;
          await document.fonts.load(`32px ${family}`, 'Ⅴ');
          const count = (text) => {
            const c = document.createElement('canvas');
            c.width = 64; c.height = 64;
            const g = c.getContext('2d');
            g.font = `32px ${family}`;
            g.fillStyle = '#000';
            g.fillText(text, 8, 44);
            const px = g.getImageData(0, 0, 64, 64).data;
            let n = 0;
            for (let i = 3; i < px.length; i += 4) if (px[i] > 128) n += 1;
            return n;
          };
          return { five: count('Ⅴ'), four: count('Ⅳ'), text: li.textContent.trim() };
        }"""
    )
    assert ink["text"] == "Ⅴ"
    assert ink["five"] > 20 and ink["four"] > 20, ink
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator("#sidebar").screenshot(path=str(ARTIFACTS / "assess-legend.png"))


def test_unverified_results_carry_the_badge_and_the_legend_note(page: Any) -> None:
    """A result whose limits are unverified (DB11/1612-2019) says so next to it."""

    def unverified(route: Any) -> None:
        body = route.fetch().json()
        body["verified"] = False
        route.fulfill(json=body)

    page.route("**/api/assessments?period=2024-07", unverified)
    choose(page, "2024-07")
    note = page.inner_text("#assess-box ul.legend li.note")
    assert "未核实 unverified" in note and "官方文本" in note
    assert page.is_visible("#assess-box .unverified")
    choose(page, "2024-08")  # a verified result: no note
    assert page.locator("#assess-box li.note").count() == 0
