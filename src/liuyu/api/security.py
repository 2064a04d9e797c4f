"""Who is calling and whether they may: the one dependency every route of the API runs first.

:func:`authorize` is installed once, on the app (``FastAPI(dependencies=...)``): it identifies
the caller (bearer token, session cookie with its CSRF token, or nobody), asks
:func:`liuyu.access.policy.decide` about the route, and remembers the principal for the
endpoint (:func:`current_principal`) and what it may see for lists (:func:`may_see`).

Local mode: while the store has no users the caller is ``[access]`` of liuyu.toml (by default a
local administrator), narrowed by the X-Liuyu-* headers when ``trust_headers`` is on, as before
accounts existed; a single-user desktop needs no login.
"""

from __future__ import annotations

import contextvars
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from liuyu.access import BASIN, ROLES, Principal, accounts, policy
from liuyu.access.policy import SAFE_METHODS, Decision, Sharing
from liuyu.api import deps
from liuyu.catalog import load_categories
from liuyu.config import AccessConfig

SESSION_COOKIE = "liuyu_session"
CSRF_COOKIE = "liuyu_csrf"
CSRF_HEADER = "x-csrf-token"

_SEES: contextvars.ContextVar[Callable[[str], bool] | None] = contextvars.ContextVar(
    "liuyu_sees", default=None
)


class AccessRefused(Exception):
    """A request the policy refused: becomes a 401/403/404 answer with an OGC exception body."""

    def __init__(self, decision: Decision) -> None:
        super().__init__(decision.message)
        self.decision = decision


@dataclass(frozen=True)
class Caller:
    """The identified caller: its principal (None: anonymous), how it came and its session's CSRF digest."""

    principal: Principal | None
    via: str  # local, token, session, anonymous
    csrf_digest: str | None = None


def _refuse(status: int, message: str, hint: str | None = None) -> AccessRefused:
    return AccessRefused(Decision(status, message, hint))


def local_principal(request: Request, cfg: AccessConfig) -> Principal:
    """Local mode: ``[access]`` of liuyu.toml, narrowed (never widened) by trusted X-Liuyu-* headers."""
    user = request.headers.get("x-liuyu-user")
    if not cfg.trust_headers or not user:
        return Principal(cfg.user, cfg.role, cfg.jurisdiction)
    role = request.headers.get("x-liuyu-role", "viewer").strip().lower()
    jur = request.headers.get("x-liuyu-jurisdiction", cfg.jurisdiction).strip()
    if role not in ROLES:
        raise _refuse(403, f"unknown role {role!r} in X-Liuyu-Role", f"use one of {', '.join(ROLES)}")
    if ROLES.index(role) < ROLES.index(cfg.role) or cfg.jurisdiction not in (BASIN, jur):
        raise _refuse(
            403, f"X-Liuyu headers cannot widen the server's access ({cfg.role}@{cfg.jurisdiction})"
        )
    return Principal(user.strip(), role, jur)  # type: ignore[arg-type]


def identify(request: Request) -> Caller:
    """The caller of ``request`` (runs in a worker thread: it reads the store)."""
    ws = deps.workspace(request)
    store = ws.store
    if not accounts.has_users(store):
        return Caller(local_principal(request, ws.config.access), "local")
    auth = request.headers.get("authorization", "")
    if auth[:7].lower() == "bearer ":
        found = accounts.token_principal(store, auth[7:].strip())
        if found is None:
            raise _refuse(
                401,
                "the token is unknown, expired or revoked 令牌无效、过期或已撤销",
                "create a new token (`liuyu user token NAME` or POST /api/tokens)",
            )
        return Caller(found, "token")
    sid = request.cookies.get(SESSION_COOKIE)
    if sid:
        session = accounts.session_principal(store, sid)
        if session is not None:
            return Caller(session[0], "session", session[1])
    return Caller(None, "anonymous")


def _check_csrf(request: Request, caller: Caller) -> None:
    """Double submit: a cookie-authenticated change carries the session's CSRF token in a header too."""
    if caller.via != "session" or request.method.upper() in SAFE_METHODS:
        return
    sent = request.headers.get(CSRF_HEADER, "")
    cookie = request.cookies.get(CSRF_COOKIE, "")
    if not sent or not hmac.compare_digest(sent, cookie) or accounts.digest(sent) != caller.csrf_digest:
        raise _refuse(
            403,
            "missing or wrong CSRF token 缺少或错误的CSRF令牌",
            "send the liuyu_csrf cookie's value in the X-CSRF-Token header",
        )


def sharing(request: Request) -> Sharing:
    cfg = deps.workspace(request).config.access
    return Sharing.of(cfg.public, cfg.shared)


def _decide(request: Request) -> tuple[Caller, Sharing]:
    caller = identify(request)
    route = request.scope.get("route")
    path = str(getattr(route, "path_format", None) or getattr(route, "path", ""))
    rule = policy.rule_for(request.method, path)
    if rule is not None and rule.action != "public":  # logging in or out needs no CSRF token
        _check_csrf(request, caller)
    share = sharing(request)
    resource = None if rule is None else rule.resource_of(request.path_params)
    is_layer = resource is not None and resource in load_categories()
    decision = policy.decide(caller.principal, rule, resource, share, is_layer=is_layer)
    if not decision.allowed:
        raise AccessRefused(decision)
    return caller, share


async def authorize(request: Request) -> None:
    """The app-wide dependency: identify, decide, and remember the principal for the endpoint."""
    caller, share = await run_in_threadpool(_decide, request)
    request.state.principal = caller.principal
    request.state.via = caller.via
    principal = caller.principal
    _SEES.set(lambda code: share.visible(principal, code))


def may_see(code: str) -> bool:
    """Whether the caller of the current request may see layer ``code`` (True outside a request)."""
    sees = _SEES.get()
    return True if sees is None else sees(code)


def current_principal(request: Request) -> Principal:
    """The principal of a request that needs one; anonymous callers are told to log in (401)."""
    principal: Principal | None = getattr(request.state, "principal", None)
    if principal is None:
        raise _refuse(401, "log in first 请先登录", "POST /api/login, or send Authorization: Bearer ly_...")
    return principal


Actor = Annotated[Principal, Depends(current_principal)]


def refused_response(exc: AccessRefused) -> JSONResponse:
    d = exc.decision
    code = {401: "Unauthorized", 403: "Forbidden", 404: "NotFound"}.get(d.status, "Forbidden")
    body = {"code": code, "description": d.message if d.hint is None else f"{d.message} ({d.hint})"}
    headers = {"X-Liuyu-Access": "refused"}  # tells a refusal by the policy from a route's own 404
    if d.status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="liuyu"'
    return JSONResponse(body, status_code=d.status, headers=headers)


def install(app: FastAPI) -> None:
    """Answer refusals with their status and an OGC exception body (the dependency is on the app)."""

    async def _refused(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, AccessRefused)
        return refused_response(exc)

    app.add_exception_handler(AccessRefused, _refused)


def principal_label(request: Request) -> str:
    """How writes of the current request are recorded (``user (role@jurisdiction)``)."""
    principal: Any = getattr(request.state, "principal", None)
    return "anonymous" if principal is None else principal.label
