"""Accounts over HTTP: log in and out (session cookie + CSRF token), who am I, API tokens, users.

Whether a route may be taken is decided by the app-wide dependency (``api/security.py`` and
``access/routes.toml``); these endpoints only do the account work.
"""

from __future__ import annotations

import json
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Body, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, Field

from liuyu.access import BASIN, Principal, accounts
from liuyu.access.ratelimit import record_attempt, retry_after
from liuyu.api import deps
from liuyu.api.security import CSRF_COOKIE, SESSION_COOKIE, Actor
from liuyu.errors import LiuyuError

router = APIRouter(tags=["Accounts 账户"])


def _error(status: int, message: str, hint: str | None = None, **headers: str) -> JSONResponse:
    code = {400: "InvalidParameterValue", 401: "Unauthorized", 404: "NotFound", 429: "TooManyRequests"}
    body = {
        "code": code.get(status, "Error"),
        "description": message if hint is None else f"{message} ({hint})",
    }
    return JSONResponse(body, status_code=status, headers=headers or None)


def _me(principal: Principal | None, via: str | None) -> dict[str, Any]:
    if principal is None:
        return {"user": None, "role": None, "jurisdiction": None, "via": "anonymous"}
    return {
        "user": principal.user,
        "role": principal.role,
        "jurisdiction": principal.jurisdiction,
        "via": via,
    }


@router.get("/login", include_in_schema=False)
def login_page() -> Response:
    """The login page."""
    from liuyu.api.web import STATIC_DIR

    return FileResponse(STATIC_DIR / "login.html", media_type="text/html; charset=utf-8")


async def _credentials(request: Request) -> tuple[str, str]:
    """User and password from a JSON body or a urlencoded form (read without python-multipart)."""
    raw = (await request.body())[:8192]
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            data = json.loads(raw or b"{}")
        except ValueError:
            data = {}
        data = data if isinstance(data, dict) else {}
        return str(data.get("user") or data.get("username") or ""), str(data.get("password") or "")
    form = parse_qs(raw.decode("utf-8", "replace"))
    user = (form.get("user") or form.get("username") or [""])[0]
    return user, (form.get("password") or [""])[0]


_LOGIN_BODY = {
    "required": True,
    "content": {
        ct: {
            "schema": {
                "type": "object",
                "required": ["user", "password"],
                "properties": {
                    "user": {"type": "string"},
                    "password": {"type": "string", "format": "password"},
                },
            }
        }
        for ct in ("application/json", "application/x-www-form-urlencoded")
    },
}


@router.post(
    "/api/login",
    summary="Log in: a session cookie and a CSRF token 登录",
    openapi_extra={"requestBody": _LOGIN_BODY},
    responses={401: {"description": "Wrong user or password"}, 429: {"description": "Too many failures"}},
)
async def login(request: Request) -> Response:
    """Sets the HttpOnly session cookie and the ``liuyu_csrf`` cookie; send the latter's value
    in ``X-CSRF-Token`` with every request that changes something."""
    user, password = await _credentials(request)
    if not user or not password:
        return _error(400, "give user and password 请输入用户名和密码")
    ip = request.client.host if request.client else "unknown"
    return await run_in_threadpool(_login, request, user[:64], password[:1024], ip)


def _login(request: Request, user: str, password: str, ip: str) -> Response:
    ws = deps.workspace(request)
    cfg = ws.config.access
    store = ws.store
    if not accounts.has_users(store):
        return _error(
            404,
            "no accounts on this server yet 尚未建立账户",
            "create one with `liuyu user add NAME --role admin`",
        )
    wait = retry_after(store, user, ip, cfg.login_max_failures, cfg.login_window_minutes * 60)
    if wait:
        return _error(
            429,
            "too many failed logins 登录失败次数过多",
            f"try again in {wait} s",
            **{"Retry-After": str(wait)},
        )
    principal = accounts.login(store, user, password)
    record_attempt(store, user, ip, principal is not None)
    if principal is None:
        return _error(401, "wrong user or password 用户名或密码错误")
    session = accounts.create_session(store, principal, cfg.session_hours)
    out = JSONResponse(
        _me(principal, "session") | {"csrf_token": session.csrf, "expires_at": session.expires_at}
    )
    age = int(cfg.session_hours * 3600)
    secure = cfg.secure_cookies
    out.set_cookie(
        SESSION_COOKIE, session.session_id, max_age=age, httponly=True, samesite="strict", secure=secure
    )
    out.set_cookie(CSRF_COOKIE, session.csrf, max_age=age, httponly=False, samesite="strict", secure=secure)
    return out


@router.post("/api/logout", summary="Log out: end the session 退出登录")
def logout(request: Request) -> Response:
    sid = request.cookies.get(SESSION_COOKIE)
    ended = bool(sid) and accounts.end_session(deps.workspace(request).store, sid or "")
    out = JSONResponse({"logged_out": ended})
    out.delete_cookie(SESSION_COOKIE)
    out.delete_cookie(CSRF_COOKIE)
    return out


@router.get("/api/me", summary="Who the server takes the caller for 当前用户")
def me(request: Request) -> Any:
    """``via``: session, token, local (no accounts on this server: the [access] principal) or anonymous."""
    return _me(getattr(request.state, "principal", None), getattr(request.state, "via", None))


class NewToken(BaseModel):
    days: float = Field(default=30, gt=0, le=3660, description="Days until the token expires")
    label: str | None = Field(default=None, max_length=200, description="What the token is for")
    user: str | None = Field(default=None, description="Admins only: the user the token is for")


@router.get("/api/tokens", summary="API tokens (own; admins: all) 令牌")
def list_tokens(request: Request, actor: Actor) -> Any:
    store = deps.workspace(request).store
    return {"tokens": accounts.list_tokens(store, None if actor.role == "admin" else actor.user)}


@router.post("/api/tokens", status_code=201, summary="Create an API token, shown once 新建令牌")
def create_token(request: Request, actor: Actor, body: Annotated[NewToken, Body()]) -> Any:
    owner = body.user or actor.user
    if owner != actor.user and actor.role != "admin":
        return _error(404, f"no user {owner!r}")
    try:
        token, rec = accounts.create_token(
            deps.workspace(request).store, actor.label, owner, body.days, body.label
        )
    except LiuyuError as exc:
        return _error(400, exc.message, exc.hint)
    return JSONResponse(rec | {"token": token}, status_code=201)


@router.delete("/api/tokens/{token_id}", summary="Revoke an API token 撤销令牌")
def revoke_token(request: Request, actor: Actor, token_id: int) -> Any:
    try:
        return accounts.revoke_token(deps.workspace(request).store, actor, token_id)
    except LiuyuError as exc:
        return _error(404, exc.message, exc.hint)


class NewUser(BaseModel):
    name: str = Field(max_length=64)
    role: str = Field(description="admin, editor or viewer")
    jurisdiction: str = Field(default=BASIN, description="beijing, hebei, ... or basin")
    password: str | None = Field(default=None, min_length=8, max_length=1024)


@router.get("/api/users", summary="Users (admins) 用户")
def list_users(request: Request) -> Any:
    return {"users": accounts.list_users(deps.workspace(request).store)}


@router.post("/api/users", status_code=201, summary="Add a user (admins) 新增用户")
def add_user(request: Request, actor: Actor, body: Annotated[NewUser, Body()]) -> Any:
    ws = deps.workspace(request)
    try:
        rec = accounts.add_user(
            ws.store,
            actor.label,
            body.name,
            body.role,
            body.jurisdiction,
            body.password,
            known_jurisdictions=ws.config.jurisdiction_codes(),
        )
    except LiuyuError as exc:
        return _error(400, exc.message, exc.hint)
    return JSONResponse(rec, status_code=201)


@router.delete("/api/users/{name}", summary="Disable a user and revoke their tokens and sessions (admins)")
def revoke_user(request: Request, actor: Actor, name: str) -> Any:
    try:
        counts = accounts.revoke_user(deps.workspace(request).store, actor.label, name)
    except LiuyuError as exc:
        return _error(404, exc.message, exc.hint)
    return {"user": name, "disabled": True, "revoked": counts}
