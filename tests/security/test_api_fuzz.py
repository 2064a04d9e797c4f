"""Schemathesis over the whole OpenAPI document: generated requests to every operation, never a 5xx.

Every operation gets a few generated requests (valid ones, and for the administrator also invalid
ones): as an administrator with an API token (bearer), as an editor with a web session (cookie plus
CSRF header), and anonymously, against a private copy of the demo that has accounts (so the server
is not in local single-user mode). Revoking tokens and users is fuzzed last, on its own, since it
may revoke the very token the other runs use.

Driven through Hypothesis directly (schemathesis' pytest loader does not run under pytest 9).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from liuyu.access import accounts
from liuyu.api import create_app

pytestmark = pytest.mark.slow

PASSWORD = "fuzz-Passw0rd-1"
REVOKING = [("DELETE", "/api/tokens/{token_id}"), ("DELETE", "/api/users/{name}")]
SLOW = [
    ("POST", "/api/warnings/check"),
    ("GET", "/api/analysis/coverage"),
    ("POST", "/api/analysis/coverage"),
    ("POST", "/api/analysis/steep-slopes"),
]


@pytest.fixture(scope="module")
def served(
    copy_demo: Callable[..., Any], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    ws = copy_demo(tmp_path_factory.mktemp("fuzz") / "ws")
    accounts.add_user(ws.store, "test", "fuzz-admin", "admin", "basin", PASSWORD)
    accounts.add_user(ws.store, "test", "fuzz-editor", "editor", "hebei", PASSWORD)
    token, _ = accounts.create_token(ws.store, "test", "fuzz-admin", 1, "schemathesis")
    app = create_app(ws.root)
    client = TestClient(app)
    login = client.post("/api/login", json={"user": "fuzz-editor", "password": PASSWORD})
    assert login.status_code == 200, login.text
    session = dict(client.cookies)
    csrf = session.get("liuyu_csrf") or login.json().get("csrf_token")
    assert session and csrf, (session, login.json())
    yield {"app": app, "token": token, "cookies": session, "csrf": csrf, "ws": ws}
    ws.close()


def _schema(app: Any, *also: tuple[str, str]) -> Any:
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    for method, path in [*REVOKING, *also]:
        schema = schema.exclude(method=method, path=path)
    return schema


def _run(schema: Any, mode: GenerationMode, examples: int, least: int = 50, **call: Any) -> None:
    """``examples`` generated requests to every operation of ``schema``; all 5xx answers reported at once."""
    failures = []
    operations = 0
    for result in schema.get_all_operations():
        op = result.ok()
        operations += 1

        @given(case=op.as_strategy(generation_mode=mode))
        @settings(
            max_examples=examples,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
            # the same requests every run, so CI cannot turn red by luck; LIUYU_FUZZ_RANDOM=1 explores anew
            derandomize=not os.environ.get("LIUYU_FUZZ_RANDOM"),
            phases=[Phase.generate],  # (no shrinking: the failure report has the request already)
        )
        def run(case: Any) -> None:
            case.call_and_validate(checks=[not_a_server_error], **call)

        try:
            run()
        except Unsatisfiable:  # no such request exists (e.g. a negative case of an operation without inputs)
            continue
        except Exception as exc:
            failures.append(f"{op.method.upper()} {op.path}: {str(exc)[:800]}")
    assert operations >= least
    assert not failures, "\n\n".join(failures)


def _whoami(app: Any, **call: Any) -> dict[str, Any]:
    client = TestClient(app)
    return client.get("/api/me", headers=call.get("headers"), cookies=call.get("cookies")).json()


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_admin_with_a_token(served, mode):
    call = {"headers": {"Authorization": f"Bearer {served['token']}"}}
    assert _whoami(served["app"], **call).get("user") == "fuzz-admin"  # the token really authenticates
    _run(_schema(served["app"], *SLOW), mode, 10 if mode == GenerationMode.POSITIVE else 6, **call)
    assert _whoami(served["app"], **call).get("user") == "fuzz-admin"  # and still does afterwards


def test_editor_with_a_web_session(served):
    call = {"cookies": served["cookies"], "headers": {"X-CSRF-Token": served["csrf"]}}
    assert _whoami(served["app"], **call).get("user") == "fuzz-editor"
    _run(_schema(served["app"], ("POST", "/api/logout"), *SLOW), GenerationMode.POSITIVE, 4, **call)
    assert _whoami(served["app"], **call).get("user") == "fuzz-editor"


def test_anonymous(served):
    _run(_schema(served["app"], *SLOW), GenerationMode.POSITIVE, 3)


def test_the_slow_operations_a_few_times(served):
    """Operations that run an analysis over the whole demo (seconds each): fewer examples."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", served["app"])
    only = schema.include(func=lambda ctx: (ctx.operation.method.upper(), ctx.operation.path) in SLOW)
    call = {"headers": {"Authorization": f"Bearer {served['token']}"}}
    assert _whoami(served["app"], **call).get("user") == "fuzz-admin"
    _run(only, GenerationMode.POSITIVE, 2, least=4, **call)
    _run(only, GenerationMode.NEGATIVE, 2, least=4, **call)


def test_revoking_tokens_and_users_last(served):
    schema = schemathesis.openapi.from_asgi("/openapi.json", served["app"])
    only = schema.include(func=lambda ctx: (ctx.operation.method.upper(), ctx.operation.path) in REVOKING)
    call = {"headers": {"Authorization": f"Bearer {served['token']}"}}
    _run(only, GenerationMode.POSITIVE, 15, least=2, **call)
    _run(only, GenerationMode.NEGATIVE, 10, least=2, **call)
