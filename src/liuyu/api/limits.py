"""Request-body size limits, enforced before a route sees the body: 413 with a bilingual message.

One ASGI middleware for every route, so no upload or JSON endpoint can forget the check. A file
upload (``multipart/form-data``: ``POST /api/ingest``, ledger photos) may be as large as
``[server] max_upload_bytes``; any other body (JSON) ``[server] max_body_bytes``. The declared
``Content-Length`` is checked before a byte is read; a body sent without one (chunked) is counted
as it arrives and cut off at the limit, so a lying or missing header cannot get more through.
Routes keep their own, smaller limits (a photo's ``[ledger] photo_max_bytes``).

Two rules of hygiene in the same pass, both 400: a NUL character in the path, the query or a JSON
or urlencoded body (SQLite would cut the text there, PostgreSQL refuses it: no name or value holds
one), and a number beyond what the store takes (an id of 2**64 reaches SQLite as OverflowError).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

UPLOAD_HINT = (
    "大文件请在服务器上用命令行导入，或调高 liuyu.toml 的 [server] max_upload_bytes "
    "Ingest large files on the server with `liuyu ingest layer`, or raise [server] max_upload_bytes "
    "in liuyu.toml"
)
BODY_HINT = (
    "请分批提交，或调高 liuyu.toml 的 [server] max_body_bytes "
    "Send it in smaller parts, or raise [server] max_body_bytes in liuyu.toml"
)
NUL_BODY = {
    "code": "InvalidParameterValue",
    "description": "请求中含有 NUL 字符 The request holds a NUL character (%00 or \\u0000) "
    "(去掉它 remove it: no name or value contains one)",
}


def _json_nul(data: bytes) -> bool:
    """A ``\\u0000`` escape in JSON text (not an escaped backslash followed by ``u0000``)."""
    i = data.find(b"\\u0000")
    while i != -1:
        j = i
        while j > 0 and data[j - 1] == 0x5C:  # backslashes before it: an even number leaves it an escape
            j -= 1
        if (i - j) % 2 == 0:
            return True
        i = data.find(b"\\u0000", i + 1)
    return False


# How a NUL shows in a body the middleware can read: a JSON escape, a urlencoded byte.
_NUL_IN = {
    b"application/json": _json_nul,
    b"application/x-www-form-urlencoded": lambda data: b"%00" in data,
}


def too_large_body(size: int | None, limit: int, upload: bool) -> dict[str, str]:
    """The OGC exception body of a 413: what was sent, the limit, and what to do instead."""
    sent = f"{size:,} 字节 bytes" if size is not None else "超过 more than that"
    what = "上传文件过大 The upload is too large" if upload else "请求内容过大 The request body is too large"
    description = f"{what}: {sent}; 上限 the limit is {limit:,} 字节 bytes"
    return {
        "code": "PayloadTooLarge",
        "description": f"{description} ({UPLOAD_HINT if upload else BODY_HINT})",
        "hint": UPLOAD_HINT if upload else BODY_HINT,
    }


class Refused(HTTPException):
    """Raised from ``receive`` when the body, as it arrives, breaks a rule (too large, a NUL).

    An HTTPException, so that FastAPI's body parsing passes it on instead of making it a 400 of its own.
    """

    def __init__(self, status: int, body: dict[str, str]) -> None:
        super().__init__(status)
        self.body = body


async def _refused(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Refused)
    return JSONResponse(exc.body, status_code=exc.status_code)


async def _out_of_range(request: Request, exc: Exception) -> Response:
    body = {
        "code": "InvalidParameterValue",
        "description": f"数值超出范围 A number in the request is out of range ({exc}) "
        "(ids and counts are 64-bit integers 请检查参数)",
    }
    return JSONResponse(body, status_code=400)


def install(app: FastAPI, max_upload_bytes: int, max_body_bytes: int) -> None:
    """Put the limits on every route of ``app``: the middleware and the handlers of its refusals."""
    app.add_middleware(BodyLimit, max_upload_bytes=max_upload_bytes, max_body_bytes=max_body_bytes)
    app.add_exception_handler(Refused, _refused)
    app.add_exception_handler(OverflowError, _out_of_range)


@dataclass
class BodyLimit:
    """ASGI middleware: refuse request bodies beyond the configured sizes (see the module docstring)."""

    app: ASGIApp
    max_upload_bytes: int
    max_body_bytes: int

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if "\x00" in scope.get("path", "") or b"%00" in scope.get("query_string", b""):
            await _send(send, 400, NUL_BODY)
            return
        headers = {k.lower(): v for k, v in scope.get("headers", [])}
        kind = headers.get(b"content-type", b"").lower().split(b";")[0].strip()
        upload = kind == b"multipart/form-data"
        limit = self.max_upload_bytes if upload else self.max_body_bytes
        declared = headers.get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            await _send(send, 413, too_large_body(int(declared), limit, upload))
            return
        nul = _NUL_IN.get(kind)
        received = 0
        tail = b""
        started = False

        async def checked() -> Message:
            nonlocal received, tail
            message = await receive()
            if message["type"] == "http.request":
                chunk = message.get("body", b"")
                received += len(chunk)
                if received > limit:
                    raise Refused(413, too_large_body(None, limit, upload))
                if nul is not None:  # (a NUL split between two chunks is found with the tail)
                    if nul(tail + chunk):
                        raise Refused(400, NUL_BODY)
                    tail = (tail + chunk)[-64:]
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, checked, watched)
        except Refused as exc:  # (when raised where no exception handler runs)
            if not started:  # else the route answered before reading all of it: nothing more to say
                await _send(send, exc.status_code, exc.body)


async def _send(send: Send, status: int, body: dict[str, Any]) -> None:
    payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})
