"""Keyset cursors for deep SensorThings pages (``$skiptoken``): the next page starts after the last row.

Why: ``$skip=N`` makes the database produce and throw away N rows, so paging through 10 M
observations costs O(N^2); a cursor names the last row's sort key and the next page is a range
scan from it. A cursor is the ``$orderby`` terms and the last row's values of them, as URL-safe
base64 JSON; it works for any total order whose columns are never NULL (the API always ends the
order with ``e.id``), and is None otherwise (the caller keeps paging by ``$skip``).
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from liuyu.errors import SchemaError

__all__ = ["cursor_condition", "encode_cursor"]

_TERM = re.compile(r"^\s*(e\.[A-Za-z_][A-Za-z0-9_]*)\s+(ASC|DESC)\s*$", re.IGNORECASE)


def _terms(order: Sequence[str]) -> list[tuple[str, bool]] | None:
    out = []
    for term in order:
        m = _TERM.match(term)
        if m is None:
            return None
        out.append((m[1], m[2].upper() == "DESC"))
    return out


def encode_cursor(row: Mapping[str, Any], order: Sequence[str]) -> str | None:
    """The cursor after ``row`` for this order (``["e.phenomenon_time DESC", "e.id ASC"]``), or None."""
    terms = _terms(order)
    if not terms or terms[-1][0] != "e.id":
        return None
    values = [row.get(col.removeprefix("e.")) for col, _ in terms]
    if any(v is None or (isinstance(v, float) and v != v) for v in values):
        return None  # NULLs have no place in a keyset comparison
    payload = json.dumps({"o": list(order), "v": values}, separators=(",", ":"), default=str)
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def cursor_condition(token: str, order: Sequence[str]) -> tuple[str, list[Any]]:
    """SQL (``?`` parameters) selecting the rows after the cursor, in the same order."""
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        given, values = list(data["o"]), list(data["v"])
    except (ValueError, KeyError, TypeError) as exc:
        raise SchemaError(
            "$skiptoken: not a cursor of this server", hint="follow @iot.nextLink as given"
        ) from exc
    terms = _terms(order)
    if given != list(order) or terms is None or len(values) != len(terms):
        raise SchemaError(
            "$skiptoken: the cursor belongs to another $orderby", hint="keep the query of the first page"
        )
    ors, params = [], []
    for i, (col, desc) in enumerate(terms):
        parts = [f"{c} = ?" for c, _ in terms[:i]] + [f"{col} {'<' if desc else '>'} ?"]
        ors.append("(" + " AND ".join(parts) + ")")
        params.extend([*values[:i], values[i]])
    return "(" + " OR ".join(ors) + ")", params
