"""The ledger page in headless Chromium: open a problem, move it to its next state; the map's ledger layer."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from browser import new_page, serve_in_thread, skip_without_browser
from ledger_data import BEIJING_POINT, ledger_workspace
from liuyu.access import LOCAL_ADMIN
from liuyu.manage import facilities_ops, ledger_ops

pytestmark = [pytest.mark.browser, pytest.mark.slow]

skip_without_browser()


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("ledger_page") / "ws"
    ws = ledger_workspace(root)
    new = ledger_ops.NewProblem(
        "河滩堆放建筑垃圾", "river_chief", "illegal_dumping", BEIJING_POINT, responsible_unit="某镇政府",
        deadline=dt.date(2099, 1, 1),
    )  # fmt: skip
    ledger_ops.add_problem(ws, LOCAL_ADMIN, new)
    facilities_ops.propose(ws, LOCAL_ADMIN, "F2", {"capacity_m3d": 120}, "现场核查：已扩建")
    ws.close()
    with serve_in_thread(root) as url:
        yield url


@pytest.fixture
def browser_page(browser: Any) -> Iterator[Any]:
    with new_page(browser) as page:
        yield page


def test_a_problem_is_moved_to_its_next_state(browser_page: Any, base_url: str) -> None:
    page = browser_page
    page.goto(f"{base_url}/ledger")
    page.wait_for_function("document.body.dataset.ready === 'ledger'", timeout=30_000)
    assert page.evaluate("document.body.dataset.problems") == "1"
    row = page.locator("#problems tbody tr").first
    assert "河滩堆放建筑垃圾" in row.inner_text() and "发现" in row.inner_text()
    row.click()
    button = page.locator("#detail button.move")
    button.wait_for(timeout=10_000)
    assert button.count() == 1 and "已交办" in button.inner_text()
    page.fill("#move-form input[name=note]", "已交办属地镇政府")
    page.fill("#move-form input[name=deadline]", "2099-02-01")
    button.click()
    page.wait_for_function(
        "document.querySelector('#detail h3')?.textContent.includes('已交办')", timeout=10_000
    )
    assert "已交办" in page.locator("#problems tbody tr").first.inner_text()
    code = page.locator("#problems tbody tr").first.get_attribute("data-code")
    body = httpx.get(f"{base_url}/api/ledger/problems/{code}").json()
    assert body["state"] == "assigned" and body["deadline"] == "2099-02-01"
    assert [(h["to_state"], h["note"]) for h in body["history"]] == [
        ("found", None),
        ("assigned", "已交办属地镇政府"),
    ]
    assert [m["to"] for m in body["next"]] == ["being_fixed"]
    assert "开始整改" in page.locator("#detail button.move").first.inner_text()


def test_the_map_shows_the_ledger_layer_with_filters(browser_page: Any, base_url: str) -> None:
    page = browser_page
    page.goto(f"{base_url}/map")
    page.wait_for_function("document.body.dataset.ledger !== undefined", timeout=30_000)
    assert page.evaluate("document.body.dataset.ledger") == "1"
    assert page.get_attribute("#link-ledger", "href") == "ledger"
    page.select_option("#ledger-state", "closed")
    page.wait_for_function("document.body.dataset.ledger === '0'", timeout=10_000)
    page.select_option("#ledger-state", "")
    page.wait_for_function("document.body.dataset.ledger === '1'", timeout=10_000)


def test_a_facility_proposal_is_approved_from_the_facilities_tab(browser_page: Any, base_url: str) -> None:
    page = browser_page
    page.goto(f"{base_url}/ledger#facilities")
    page.wait_for_function("document.body.dataset.facilities === '3'", timeout=30_000)
    assert page.locator("#facilities tbody tr").count() == 3
    item = page.locator("#proposals .proposal").first
    assert "F2" in item.inner_text() and "120" in item.inner_text()
    item.locator("button[value=approve]").click()
    page.wait_for_function("document.getElementById('status-msg').textContent.includes('v2')", timeout=10_000)
    body = httpx.get(f"{base_url}/api/facilities/proposals").json()
    assert [(p["state"], p["version"]) for p in body["proposals"]] == [("approved", 2)]
    assert page.locator("#proposals button[value=approve]").count() == 0
