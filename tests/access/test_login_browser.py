"""The login page in headless Chromium: log in, write through the pages' fetch (CSRF header), log out."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from access_data import PASSWORD, access_workspace

from browser import new_page, serve_in_thread, skip_without_browser

pytestmark = [pytest.mark.browser, pytest.mark.slow]

skip_without_browser()

CREATE = """async () => {
  const r = await fetch("api/ledger/problems", {method: "POST", headers: {"Content-Type": "application/json"},
    body: JSON.stringify({title: "浏览器", source: "inspection", category: "illegal_dumping",
                          longitude: 117.1, latitude: 40.5, jurisdiction: "hebei"})});
  return r.status;
}"""


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("login_page") / "ws"
    access_workspace(root)
    with serve_in_thread(root) as url:
        yield url


def test_log_in_write_and_log_out(browser: Any, base_url: str) -> None:
    with new_page(browser) as page:
        page.goto(f"{base_url}/login")
        page.fill("#user", "he")
        page.fill("#password", "wrong password")
        page.click("#login-button")
        page.wait_for_function("document.querySelector('#message').textContent.length > 0")
        assert "错误" in page.inner_text("#message") and "Wrong" in page.inner_text("#message")
        page.fill("#password", PASSWORD)
        page.click("#login-button")
        page.wait_for_url(f"{base_url}/map", timeout=15_000)
        assert page.locator("#link-login").count() == 1
        me = page.evaluate("async () => (await fetch('api/me')).json()")
        assert (me["user"], me["via"]) == ("he", "session")
        assert page.evaluate(CREATE) == 201  # csrf.js put the session's token in X-CSRF-Token
        forged = page.evaluate(
            "async () => (await fetch('api/ledger/problems', {method: 'POST', body: '{}', "
            "headers: {'X-CSRF-Token': 'forged', 'Content-Type': 'application/json'}})).status"
        )
        assert forged == 403
        page.goto(f"{base_url}/login")
        page.locator("#logout-button").click()
        page.wait_for_function("document.querySelector('#logout-button').hidden")
        assert page.evaluate("async () => (await fetch('api/me')).json()")["via"] == "anonymous"
        assert page.evaluate(CREATE) == 401
