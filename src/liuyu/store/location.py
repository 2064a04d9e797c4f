"""Store locations: a GeoPackage path in the workspace, or a PostgreSQL URL with Liuyu's ``schema``.

``postgresql://user[:password]@host:port/database?schema=NAME``: ``schema`` is Liuyu's own
parameter (stripped before connecting), one workspace per schema, ``liuyu`` when not given.
Pure string handling, importable without a database driver (the configuration validates with it).
"""

from __future__ import annotations

import os
import re
import secrets
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from liuyu.errors import StoreError

#: Default store location of new workspaces (``liuyu init``, the demo, the test suite's PostGIS pass).
STORE_ENV = "LIUYU_STORE"
DEFAULT_LOCATION = "liuyu.gpkg"
SCHEMES = ("postgresql", "postgres")
DEFAULT_SCHEMA = "liuyu"
_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def is_server_location(location: str) -> bool:
    """True for a postgresql:// (or postgres://) store location."""
    return "://" in location and location.split("://", 1)[0].lower() in SCHEMES


def store_location(given: str | None = None) -> str:
    """The location a new workspace gets: ``given``, else ``$LIUYU_STORE``, else ``liuyu.gpkg``.

    A PostgreSQL URL without ``schema`` gets a fresh ``ws_<8 hex>`` one, so two workspaces
    made from the same URL never share a schema.

    >>> store_location("postgresql://u@h/db?schema=miyun")
    'postgresql://u@h/db?schema=miyun'
    >>> store_location("postgresql://u@h/db").startswith("postgresql://u@h/db?schema=ws_")
    True
    """
    location = given or os.environ.get(STORE_ENV) or DEFAULT_LOCATION
    if is_server_location(location):
        split_location(location)  # a malformed URL fails here, before anything is created
        if not has_schema(location):
            location = with_schema(location, new_schema_name())
    return location


def split_location(location: str) -> tuple[str, str]:
    """(conninfo URL without ``schema``, schema name); the schema defaults to ``liuyu``.

    >>> split_location("postgresql://u@h:5432/db?schema=miyun&sslmode=disable")
    ('postgresql://u@h:5432/db?sslmode=disable', 'miyun')
    """
    parts = urlsplit(location)
    if parts.scheme.lower() not in SCHEMES:
        raise StoreError(f"{location!r} is not a postgresql:// URL", hint="write postgresql://user@host/db")
    query = parse_qsl(parts.query, keep_blank_values=True)
    schemas = [v for k, v in query if k == "schema"]
    schema = schemas[-1] if schemas else DEFAULT_SCHEMA
    check_schema_name(schema)
    if not parts.path.strip("/"):
        raise StoreError(
            f"the store URL {redact(location)} names no database",
            hint="write postgresql://user@host:port/DATABASE?schema=NAME",
        )
    rest = urlencode([(k, v) for k, v in query if k != "schema"])
    return urlunsplit(("postgresql", parts.netloc, parts.path, rest, "")), schema


def with_schema(location: str, schema: str) -> str:
    """The URL with ``schema`` set (replacing any given)."""
    check_schema_name(schema)
    parts = urlsplit(location)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "schema"]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode([*query, ("schema", schema)]), ""))


def has_schema(location: str) -> bool:
    return any(k == "schema" for k, _ in parse_qsl(urlsplit(location).query))


#: Up to 4 hex digits every new schema name starts with (the test suite marks its own with it).
SCHEMA_TAG_ENV = "LIUYU_SCHEMA_TAG"


def new_schema_name() -> str:
    """A fresh workspace schema name, ``ws_<8 hex>`` (starting with ``$LIUYU_SCHEMA_TAG`` if set)."""
    tag = os.environ.get(SCHEMA_TAG_ENV, "").lower()[:4]
    if not re.fullmatch(r"[0-9a-f]*", tag):
        tag = ""
    return "ws_" + tag + secrets.token_hex(4)[len(tag) :]


def check_schema_name(schema: str) -> None:
    if not _SCHEMA_NAME.match(schema):
        raise StoreError(
            f"{schema!r} is not a usable schema name",
            hint="use lower-case letters, digits and _ (at most 63), starting with a letter or _",
        )


def redact(location: str) -> str:
    """The URL with its password replaced by ***, for messages and logs.

    >>> redact("postgresql://u:secret@h/db")
    'postgresql://u:***@h/db'
    """
    parts = urlsplit(location)
    if parts.password is None:
        return location
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
