"""Logins, sessions and CSRF, API tokens (expiry, revocation), login rate limiting, local mode, the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
from access_data import PASSWORD, access_workspace
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from liuyu.access import accounts
from liuyu.api import create_app
from liuyu.cli import app as cli
from liuyu.workspace import open_workspace

PROBLEM = {
    "title": "垃圾",
    "source": "inspection",
    "category": "illegal_dumping",
    "longitude": 117.1,
    "latitude": 40.5,
}


@pytest.fixture
def setup(tmp_path: Path) -> tuple[TestClient, dict[str, dict[str, str]], Path]:
    root = tmp_path / "ws"
    headers = access_workspace(root)
    return TestClient(create_app(root)), headers, root


def _login(client: TestClient, user: str, password: str = PASSWORD, **kw: object):
    return client.post("/api/login", json={"user": user, "password": password}, **kw)


def test_session_cookie_and_csrf_double_submit(setup) -> None:
    client, _, _ = setup
    r = _login(client, "he")
    assert r.status_code == 200, r.text
    cookie = r.headers.get_list("set-cookie")
    session = next(c for c in cookie if c.startswith("liuyu_session="))
    assert "HttpOnly" in session and "SameSite=strict" in session.replace("Strict", "strict")
    csrf = r.json()["csrf_token"]
    assert client.cookies.get("liuyu_csrf") == csrf
    assert client.get("/api/me").json() == {
        "user": "he",
        "role": "editor",
        "jurisdiction": "hebei",
        "via": "session",
    }
    assert client.get("/api/ledger/problems").status_code == 200  # reads need no CSRF token
    no_token = client.post("/api/ledger/problems", json=PROBLEM)
    assert no_token.status_code == 403 and "CSRF" in no_token.text
    wrong = client.post("/api/ledger/problems", json=PROBLEM, headers={"X-CSRF-Token": "forged"})
    assert wrong.status_code == 403
    ok = client.post("/api/ledger/problems", json=PROBLEM, headers={"X-CSRF-Token": csrf})
    assert ok.status_code == 201, ok.text
    assert client.post("/api/logout").json() == {"logged_out": True}
    client.cookies.set("liuyu_session", session.split(";")[0].split("=", 1)[1])
    assert client.get("/api/me").json()["via"] == "anonymous"  # the old cookie is dead server-side


def test_form_login_and_wrong_password(setup) -> None:
    client, _, _ = setup
    assert client.post("/api/login", data={"user": "ad", "password": PASSWORD}).status_code == 200
    assert _login(client, "ad", "nope").status_code == 401
    assert _login(client, "ghost").status_code == 401
    assert client.post("/api/login", json={}).status_code == 400


def test_login_rate_limit_per_user_and_address(setup) -> None:
    client, _, _ = setup
    for _ in range(5):
        assert _login(client, "hv", "wrong").status_code == 401
    blocked = _login(client, "hv")  # even the right password waits
    assert blocked.status_code == 429 and 0 < int(blocked.headers["retry-after"]) <= 15 * 60
    assert _login(client, "he").status_code == 200  # another user is not blocked
    other = TestClient(client.app, client=("10.0.0.9", 1234))
    assert _login(other, "hv").status_code == 200  # nor the same user from another address


def test_a_success_resets_the_failure_count(setup) -> None:
    client, _, _ = setup
    for _ in range(4):
        _login(client, "be", "wrong")
    assert _login(client, "be").status_code == 200
    for _ in range(4):
        assert _login(client, "be", "wrong").status_code == 401
    assert _login(client, "be").status_code == 200


def test_tokens_expire_and_are_revoked(setup) -> None:
    client, h, root = setup
    me = client.get("/api/me", headers=h["editor@hebei"]).json()
    assert me["user"] == "he" and me["via"] == "token"
    made = client.post("/api/tokens", json={"days": 1, "label": "script"}, headers=h["editor@hebei"])
    assert made.status_code == 201
    token, tid = made.json()["token"], made.json()["id"]
    bearer = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/ledger/problems", headers=bearer).status_code == 200
    with open_workspace(root) as ws:  # the secret is not in the store, only its digest
        stored = [r[0] for r in ws.store.conn.execute("SELECT token_hash FROM liuyu_tokens").fetchall()]
    assert token not in stored and accounts.digest(token) in stored
    listed = client.get("/api/tokens", headers=h["editor@hebei"]).json()["tokens"]
    assert {t["user_name"] for t in listed} == {"he"} and all("token" not in t for t in listed)
    assert client.delete(f"/api/tokens/{tid}", headers=h["editor@beijing"]).status_code == 404  # not theirs
    assert client.delete(f"/api/tokens/{tid}", headers=h["editor@hebei"]).status_code == 200
    revoked = client.get("/api/ledger/problems", headers=bearer)
    assert revoked.status_code == 401 and "revoked" in revoked.text
    with open_workspace(root) as ws:
        old, _ = accounts.create_token(ws.store, "test", "hv", 1)
        ws.store.conn.execute("UPDATE liuyu_tokens SET expires_at = '2020-01-01T00:00:00.000000Z'")
    assert client.get("/api/me", headers={"Authorization": f"Bearer {old}"}).status_code == 401
    assert client.get("/api/me", headers={"Authorization": "Bearer ly_made_up"}).status_code == 401


def test_revoking_a_user_ends_their_tokens_and_sessions(setup) -> None:
    client, h, root = setup
    assert _login(client, "be").status_code == 200
    r = client.delete("/api/users/be", headers=h["admin@basin"])
    assert r.status_code == 200 and r.json()["revoked"] == {"tokens": 1, "sessions": 1}
    assert client.get("/api/me").json()["via"] == "anonymous"
    assert client.get("/api/me", headers=h["editor@beijing"]).status_code == 401
    assert _login(client, "be").status_code == 401
    users = {u["name"]: u for u in client.get("/api/users", headers=h["admin@basin"]).json()["users"]}
    assert users["be"]["disabled"] == 1 and "password" not in users["be"]
    with open_workspace(root) as ws:
        actions = [r[0] for r in ws.store.conn.execute("SELECT action FROM audit_log")]
    assert {"user.add", "token.create", "session.login", "user.revoke"} <= set(actions)


def test_admins_add_users_over_the_api(setup) -> None:
    client, h, _ = setup
    body = {"name": "li", "role": "editor", "jurisdiction": "beijing", "password": "long enough"}
    assert client.post("/api/users", json=body, headers=h["editor@beijing"]).status_code == 403
    assert client.post("/api/users", json=body, headers=h["admin@basin"]).status_code == 201
    assert (
        client.post(
            "/api/users", json=body | {"name": "x", "jurisdiction": "mars"}, headers=h["admin@basin"]
        ).status_code
        == 400
    )
    assert _login(client, "li", "long enough").json()["jurisdiction"] == "beijing"


def test_local_mode_until_the_first_user(workspace, tmp_path: Path) -> None:
    root = Path(workspace.root)
    workspace.close()
    client = TestClient(create_app(root))
    assert client.get("/api/me").json() == {
        "user": "local",
        "role": "admin",
        "jurisdiction": "basin",
        "via": "local",
    }
    viewer = {"X-Liuyu-User": "guest"}
    assert client.post("/api/ledger/problems", json=PROBLEM, headers=viewer).status_code == 403
    assert client.post("/api/login", json={"user": "a", "password": "b"}).status_code == 404
    runner = CliRunner()
    r = runner.invoke(cli, ["user", "add", "boss", "--role", "admin", "--password-stdin", "-w", str(root)],
                      input="a good password\n")  # fmt: skip
    assert r.exit_code == 0, r.output
    assert client.get("/api/me").json()["via"] == "anonymous"
    assert (
        client.get("/api/me", headers={"X-Liuyu-User": "x", "X-Liuyu-Role": "admin"}).json()["user"] is None
    )
    assert client.get("/api/ledger/problems").status_code == 401
    r = runner.invoke(cli, ["user", "token", "boss", "--days", "3", "-w", str(root)])
    token = r.stdout.strip().splitlines()[-1]
    assert token.startswith("ly_")
    assert client.get("/api/me", headers={"Authorization": f"Bearer {token}"}).json()["user"] == "boss"
    listed = runner.invoke(cli, ["user", "list", "-w", str(root)])
    assert "boss" in listed.stdout and "admin" in listed.stdout
    assert runner.invoke(cli, ["user", "revoke", "boss", "-w", str(root)]).exit_code == 0
    assert client.get("/api/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    bad = runner.invoke(cli, ["user", "add", "x", "--role", "god", "--no-password", "-w", str(root)])
    assert bad.exit_code != 0
