"""SensorThings error bodies: the OGC exception (code, description) plus the ``message`` STA clients read.

OGC 18-088 asks for 400 Bad Request on an invalid query option and 404 Not Found for an entity or
path that does not exist, but prescribes no body. SensorThings clients (FROST's among them) show a
``message``; OGC API clients read ``code`` and ``description``. The body carries both.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

import orjson
from fastapi import Request, Response

from liuyu.api.routing import JSON, OgcRoute


class StaRoute(OgcRoute):
    """An :class:`OgcRoute` whose 4xx bodies also carry ``status`` and ``message``."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            response = await handler(request)
            if 400 <= response.status_code < 500 and response.media_type == JSON:
                return sta_error(response.status_code, orjson.loads(bytes(response.body)))
            return response

        return route


def sta_error(status: int, body: dict[str, Any]) -> Response:
    """The OGC exception ``body`` with ``status`` and ``message`` (the description) added."""
    doc = {**body, "status": status, "message": body.get("description", "")}
    return Response(orjson.dumps(doc), status_code=status, media_type=JSON)
