"""The station panel in headless Chromium: the class history strip and the series chart with QC marks."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import assess_map_data as data
from liuyu.api.web import front_end_installed
from live_server import liuyu_serve

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
IDLE = "() => { const m = window.liuyuMap; return !!m && m.loaded() && m.areTilesLoaded(); }"
# WATER_CLASS_COLOURS of styles.js as the browser computes them, by class label
RGB = {
    "Ⅰ": "rgb(30, 111, 217)",
    "Ⅲ": "rgb(44, 160, 44)",
    "Ⅳ": "rgb(242, 197, 0)",
    "Ⅴ": "rgb(242, 142, 28)",
    "劣Ⅴ": "rgb(214, 39, 40)",
}
ECHARTS = "vendor/echarts/echarts.esm.min.mjs"

if not CHROMIUM.exists() or not front_end_installed():
    pytest.skip("needs /usr/bin/chromium and `npm ci --prefix src/liuyu/web`", allow_module_level=True)


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return data.build(tmp_path_factory.mktemp("panel_map") / "ws")


@pytest.fixture(scope="module")
def base_url(root: Path) -> Iterator[str]:
    with liuyu_serve(root, ready="/api/config") as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Any, base_url: str) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{base_url}/map")
    page.wait_for_function("document.body.dataset.ready === 'layers'", timeout=30_000)
    page.wait_for_function(IDLE, timeout=60_000)
    yield page
    context.close()
    assert errors == [], errors


def open_station(page: Any, code: str) -> None:
    page.evaluate(f"window.liuyu.select('stations', {{ id: 'x', code: {code!r} }})")
    page.wait_for_selector(f'#station-body[data-station="{code}"] table.attrs', timeout=15_000)


def chart_series(page: Any) -> dict[str, int]:
    """Name → number of points of each series of the panel's ECharts chart."""
    return page.evaluate(
        f"""async () => {{
          const echarts = await import(new URL('{ECHARTS}', document.baseURI).href);
          const chart = echarts.getInstanceByDom(document.getElementById('station-chart'));
          const out = {{}};
          for (const s of chart.getOption().series) out[s.name] = (out[s.name] ?? 0) + s.data.length;
          return out;
        }}"""
    )


def test_class_history_strip_and_table(page: Any, base_url: str) -> None:
    open_station(page, "S1")
    page.wait_for_selector("#class-history .hcell", timeout=15_000)
    api = httpx.get(f"{base_url}/api/assessments/history", params={"station": "S1"}).json()["history"]
    assert [(h["period"], h["label"], h["met"]) for h in api] == data.S1_HISTORY
    cells = page.eval_on_selector_all(
        "#class-history .hcell",
        "els => els.map(e => [e.dataset.period, e.textContent.trim(), getComputedStyle(e).backgroundColor,"
        " e.classList.contains('notmet')])",
    )
    assert cells == [[p, label, RGB[label], not met] for p, label, met in data.S1_HISTORY]
    assert "总磷" in page.get_attribute("#class-history .hcell[data-period='2024-09']", "title")
    page.click("#class-history details summary")
    rows = page.eval_on_selector_all(
        "#class-history table.history tbody tr", "els => els.map(e => e.dataset.period)"
    )
    assert rows == ["2024-09", "2024-08", "2024-07", "2024-06"]  # newest first
    assert "总磷(1.50)" in page.inner_text("#class-history tr[data-period='2024-09']")
    legend = page.inner_text("#class-history ul.hlegend")
    assert all(k in legend for k in ("Ⅰ–Ⅱ", "Ⅲ", "Ⅳ", "Ⅴ", "劣Ⅴ", "未达标"))


def test_no_class_history_for_other_stations(page: Any) -> None:
    open_station(page, "R1")  # a rain gauge with no series
    assert page.locator("#class-history").count() == 0


def test_series_chart_marks_suspect_rejected_and_censored_points(page: Any) -> None:
    open_station(page, "S1")
    page.wait_for_selector("#station-chart[data-agg='raw'] canvas", timeout=15_000)
    chart = page.eval_on_selector("#station-chart", "e => ({...e.dataset})")
    assert chart["property"] == "tp" and chart["points"] == "7"
    assert (chart["nSuspect"], chart["nRejected"], chart["nCensored"], chart["nGood"]) == ("1", "1", "1", "4")
    assert chart["legend"] == "观测值|可疑|剔除|低于检出限"
    # the line leaves the rejected value out; each status has its own marks
    assert chart_series(page) == {"观测值": 6, "可疑": 1, "剔除": 1, "低于检出限": 1}
    page.click("#chart-agg button[data-agg='month']")
    page.wait_for_selector("#station-chart[data-agg='month'] canvas", timeout=15_000)
    monthly = page.eval_on_selector("#station-chart", "e => ({...e.dataset})")
    # June (a censored value) and August (a suspect one) are flagged months
    assert (monthly["points"], monthly["nFlagged"], monthly["nPeriods"]) == ("4", "2", "4")
    assert "nSuspect" not in monthly
    assert chart_series(page)["质控标记"] == 2
    page.click("#chart-agg button[data-agg='raw']")
    page.wait_for_selector("#station-chart[data-agg='raw'] canvas", timeout=15_000)
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator("#panel").screenshot(path=str(ARTIFACTS / "station-panel.png"))


def test_english_labels(page: Any) -> None:
    page.click("#btn-lang")
    open_station(page, "S1")
    page.wait_for_selector("#station-chart canvas", timeout=15_000)
    assert (
        page.get_attribute("#station-chart", "data-legend") == "Value|Suspect|Rejected|Below detection limit"
    )
    assert "Water class history" in page.inner_text("#class-history h3")
    page.click("#btn-lang")


def test_unverified_badge_helper(page: Any, base_url: str) -> None:
    """Any result with verified === false gets the badge, in the history table too."""

    def unverified(route: Any) -> None:
        body = route.fetch().json()
        body["verified"] = False
        body["history"][-1]["verified"] = False
        route.fulfill(json=body)

    badge = page.evaluate(
        """async () => {
          const m = await import(new URL('static/panels.js', document.baseURI).href);
          return [m.unverifiedBadge({ verified: false }), m.unverifiedBadge({ verified: true }),
                  m.unverifiedBadge({}), m.unverifiedBadge(null)];
        }"""
    )
    assert "未核实 unverified" in badge[0] and badge[1:] == ["", "", ""]
    page.route("**/api/assessments/history?station=S1", unverified)
    open_station(page, "S1")
    page.wait_for_selector("#class-history h3 .unverified", timeout=15_000)
    assert page.locator("#class-history tr[data-period='2024-09'] .unverified").count() == 1
    assert page.locator("#class-history tr[data-period='2024-08'] .unverified").count() == 0
    assert "官方文本" in page.inner_text("#class-history p.unverified-note")


def test_correction_is_marked_with_its_original_value(page: Any, root: Path) -> None:
    """`liuyu qc correct` on the running server's workspace: the panel rings the corrected point and
    its tooltip shows the value it replaced (S2 only, so the S1 tests above are unaffected)."""
    open_station(page, "S2")
    page.wait_for_selector("#station-chart[data-agg='raw'] canvas", timeout=15_000)
    assert page.get_attribute("#station-chart", "data-n-corrected") == "0"
    assert "已更正" not in chart_series(page)
    args = ["qc", "correct", "-w", str(root), "--station", "S2", "--property", "nh3n", "--method", "lab"]
    args += ["--time", "2024-08-10T10:00+08:00", "--value", "0.8", "--reason", "录入错误 typo", "--user", "t"]
    done = subprocess.run([sys.executable, "-m", "liuyu", *args], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "corrected: 1" in done.stdout
    open_station(page, "R1")  # away and back: the panel reloads the series
    open_station(page, "S2")
    page.wait_for_selector("#station-chart[data-n-corrected='1'] canvas", timeout=15_000)
    series = chart_series(page)
    assert series["已更正"] == 1 and series["观测值"] == 2
    assert page.get_attribute("#station-chart", "data-legend").endswith("|已更正")
    tip = page.evaluate(
        f"""async () => {{
          const echarts = await import(new URL('{ECHARTS}', document.baseURI).href);
          const chart = echarts.getInstanceByDom(document.getElementById('station-chart'));
          const s = chart.getOption().series.find((x) => x.name === '已更正');
          return [s.data[0][1], s.data[0][2]];
        }}"""
    )
    assert tip == [0.8, "原值: 1.2"]
    # the tooltip as shown on hover
    box = page.locator("#station-chart canvas").first.bounding_box()
    pixel = page.evaluate(
        f"""async () => {{
          const echarts = await import(new URL('{ECHARTS}', document.baseURI).href);
          const chart = echarts.getInstanceByDom(document.getElementById('station-chart'));
          return chart.convertToPixel({{ seriesName: '已更正' }}, [Date.parse('2024-08-10T02:00:00Z'), 0.8]);
        }}"""
    )
    page.mouse.move(box["x"] + pixel[0], box["y"] + pixel[1])
    page.wait_for_function(
        "document.querySelector('#station-chart').innerText.includes('原值')", timeout=5_000
    )
    assert "原值: 1.2" in page.inner_text("#station-chart")
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator("#panel").screenshot(path=str(ARTIFACTS / "station-panel-corrected.png"))
