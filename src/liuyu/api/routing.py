"""What every OGC route shares: OGC exception bodies for every error, links, JSON and HTML bodies."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Coroutine
from typing import Any, ClassVar

import orjson
from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from jinja2 import Environment, PackageLoader, select_autoescape

from liuyu.api.app import ogc_exception
from liuyu.api.params import FeatureNotFound, ParameterError
from liuyu.errors import CategoryError, LiuyuError

JSON = "application/json"
#: SQLite's messages for an expression beyond its limits (depth 1000, variables, parser stack).
_TOO_COMPLEX = ("too large", "too many", "parser stack", "depth")
HTML = "text/html"

_templates = Environment(
    loader=PackageLoader("liuyu.api", "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


class OgcRoute(APIRoute):
    """A route whose failures all become OGC exception bodies (400 or 404), never FastAPI's 422.

    OGC API Features wants 400 for a bad parameter; FastAPI's own type checks (``limit=abc``)
    would answer 422 with a different body, so they are translated here, naming the parameter.
    """

    #: Operation ids of these routes: the OpenAPI document drops FastAPI's 422 from them.
    operation_ids: ClassVar[set[str]] = set()

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(path, endpoint, **kwargs)
        OgcRoute.operation_ids.add(self.operation_id or self.unique_id)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as exc:
                return ogc_exception(400, _explain(exc), "see /openapi.json for the accepted values")
            except (CategoryError, FeatureNotFound) as exc:
                return ogc_exception(404, exc.message, exc.hint)
            except LiuyuError as exc:
                return ogc_exception(400, exc.message, exc.hint)
            except sqlite3.OperationalError as exc:  # a filter beyond SQLite's limits; other errors are 500s
                if not any(word in str(exc) for word in _TOO_COMPLEX):
                    raise
                return ogc_exception(400, f"filter: too complex for the store ({exc})", "simplify it")

        return route


def _explain(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ()) if p not in ("query", "path")]
        parts.append(f"{'.'.join(loc) or 'request'}: {err.get('msg', 'invalid')}")
    return "; ".join(parts)


def json_response(doc: Any, media_type: str = JSON, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(doc), media_type=media_type, headers=headers)


def html_response(template: str, **context: Any) -> Response:
    """An HTML page rendered from ``templates/<template>`` (no external resources, bilingual)."""
    body = _templates.get_template(template).render(**context)
    return Response(body, media_type="text/html; charset=utf-8")


def base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def link(href: str, rel: str, type_: str, title: str) -> dict[str, str]:
    return {"href": href, "rel": rel, "type": type_, "title": title}


def format_links(request: Request, html: bool, json_type: str = JSON) -> list[dict[str, str]]:
    """``self`` and ``alternate`` links to this resource as JSON and as HTML."""
    as_json = str(request.url.include_query_params(f="json"))
    as_html = str(request.url.include_query_params(f="html"))
    json_link = link(as_json, "alternate", json_type, "本页 JSON / this document as JSON")
    html_link = link(as_html, "alternate", HTML, "本页 HTML / this document as HTML")
    (json_link if not html else html_link)["rel"] = "self"
    return [json_link, html_link] if not html else [html_link, json_link]


def check_param_error(name: str, exc: LiuyuError) -> ParameterError:
    """A store error about a parameter's value (e.g. an unknown version) as a 400 naming it."""
    return ParameterError(f"{name}: {exc.message}", hint=exc.hint)
