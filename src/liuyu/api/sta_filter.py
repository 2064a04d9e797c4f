"""SensorThings ``$filter`` to SQL: a small recursive-descent parser; every value is a bound parameter."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

import shapely
import shapely.errors

from liuyu.api.params import ParameterError

#: A property as the filter sees it: its SQL column over the entity set's SELECT and its kind.
Column = tuple[str, str]  # (sql, "text" | "number" | "time" | "geometry")
#: Spatial functions: SQL functions registered on the connection by ``gpkg_sta.register_functions``.
_SPATIAL = {"st_within": "liuyu_st_within", "st_intersects": "liuyu_st_intersects"}

_TOKEN = re.compile(
    r"\s*(?:"
    r"(?P<time>\d{4}-\d\d-\d\dT\d\d:\d\d(?::\d\d(?:\.\d+)?)?(?:Z|[+-]\d\d:\d\d))"
    r"|(?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)"
    r"|(?P<string>'(?:[^']|'')*')"
    r"|(?P<name>[A-Za-z_@][A-Za-z0-9_./@]*)"
    r"|(?P<punct>[(),])"
    r")"
)
_COMPARISONS = {"eq": "=", "ne": "!=", "gt": ">", "ge": ">=", "lt": "<", "le": "<="}


@dataclass
class _Tokens:
    items: list[tuple[str, str]]
    pos: int = 0

    def peek(self) -> tuple[str, str] | None:
        return self.items[self.pos] if self.pos < len(self.items) else None

    def take(self) -> tuple[str, str]:
        tok = self.peek()
        if tok is None:
            raise _bad("unexpected end of expression")
        self.pos += 1
        return tok

    def accept(self, kind: str, text: str | None = None) -> bool:
        tok = self.peek()
        if tok is not None and tok[0] == kind and (text is None or tok[1].lower() == text):
            self.pos += 1
            return True
        return False


def _bad(detail: str) -> ParameterError:
    return ParameterError(
        f"$filter: {detail}", hint="e.g. $filter=result gt 5 and phenomenonTime ge 2024-01-01T00:00:00Z"
    )


def _tokenize(text: str) -> _Tokens:
    items: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text.rstrip()):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise _bad(f"cannot read {text[pos : pos + 20]!r} at character {pos}")
        kind = m.lastgroup
        assert kind is not None  # one group always matches
        items.append((kind, m.group(kind)))
        pos = m.end()
    return _Tokens(items)


@dataclass
class FilterParser:
    """Parses one ``$filter`` for one entity set, whose filterable properties are ``columns``."""

    columns: dict[str, Column]
    params: list[Any] = field(default_factory=list)

    def parse(self, text: str) -> tuple[str, list[Any]]:
        """SQL for ``text`` and its bound parameters; a ParameterError (400) names what is wrong."""
        self.tokens = _tokenize(text)
        sql = self._or()
        if self.tokens.peek() is not None:
            raise _bad(f"unexpected {self.tokens.peek()[1]!r}")  # type: ignore[index]
        return sql, self.params

    def _or(self) -> str:
        parts = [self._and()]
        while self.tokens.accept("name", "or"):
            parts.append(self._and())
        return parts[0] if len(parts) == 1 else "(" + " OR ".join(parts) + ")"

    def _and(self) -> str:
        parts = [self._not()]
        while self.tokens.accept("name", "and"):
            parts.append(self._not())
        return parts[0] if len(parts) == 1 else "(" + " AND ".join(parts) + ")"

    def _not(self) -> str:
        if self.tokens.accept("name", "not"):
            return f"(NOT {self._not()})"
        return self._comparison()

    def _comparison(self) -> str:
        tok = self.tokens.peek()
        if tok is not None and tok[0] == "name" and tok[1].lower() in _SPATIAL:
            return self._spatial(self.tokens.take()[1].lower())
        if self.tokens.accept("punct", "("):
            inner = self._or()
            if not self.tokens.accept("punct", ")"):
                raise _bad("missing ')'")
            return inner
        left = self._operand()
        op = self.tokens.take()
        if op[0] != "name" or op[1].lower() not in _COMPARISONS:
            raise _bad(f"expected a comparison (eq ne gt ge lt le), got {op[1]!r}")
        right = self._operand()
        return self._compare(left, _COMPARISONS[op[1].lower()], right)

    def _spatial(self, function: str) -> str:
        """``st_within(location, geography'POLYGON((...))')``: the geometry is a bound WKT parameter."""
        if not self.tokens.accept("punct", "("):
            raise _bad(f"{function} needs '(' after its name")
        side, column = self._operand()
        if side != "column" or column[1] != "geometry":
            geometries = [k for k, v in self.columns.items() if v[1] == "geometry"] or ["none here"]
            raise _bad(
                f"{function}: the first argument must be a geometry property ({', '.join(geometries)})"
            )
        if not self.tokens.accept("punct", ","):
            raise _bad(f"{function} takes two arguments")
        kind, text = self.tokens.take()
        if kind != "name" or text.lower() not in ("geography", "geometry"):
            raise _bad(f"{function}: the second argument must be geography'<WKT>'")
        kind, wkt = self.tokens.take()
        if kind != "string" or not self.tokens.accept("punct", ")"):
            raise _bad(f"{function}: the second argument must be geography'<WKT>' followed by ')'")
        wkt = wkt[1:-1].replace("''", "'")
        try:
            shapely.from_wkt(wkt)
        except shapely.errors.GEOSException as exc:
            raise _bad(f"{function}: not valid WKT ({exc})") from exc
        self.params.append(wkt)
        return f"({_SPATIAL[function]}({column[0]}, ?) = 1)"

    def _operand(self) -> tuple[str, Any]:
        kind, text = self.tokens.take()
        if kind == "name":
            low = text.lower()
            if low in ("true", "false"):
                return "value", low == "true"
            if low == "null":
                return "value", None
            if text not in self.columns:
                known = ", ".join(sorted(self.columns))
                raise _bad(f"unknown property {text!r}; filterable here: {known}")
            return "column", self.columns[text]
        if kind == "string":
            return "value", text[1:-1].replace("''", "'")
        if kind == "number":
            return "value", float(text) if any(c in text for c in ".eE") else int(text)
        if kind == "time":
            return "time", _seconds(text)
        raise _bad(f"unexpected {text!r}")

    def _compare(self, left: tuple[str, Any], op: str, right: tuple[str, Any]) -> str:
        sides = []
        kinds = {s[1][1] for s in (left, right) if s[0] == "column"}
        for side, value in (left, right):
            if side == "column":
                sides.append(value[0])
                continue
            if value is None:
                sides.append("NULL")
                continue
            if "time" in kinds and isinstance(value, str):
                value = _seconds(value)
            self.params.append(value)
            sides.append("?")
        if "NULL" in sides and op in ("=", "!="):
            other = sides[0] if sides[1] == "NULL" else sides[1]
            return f"({other} IS {'NOT ' if op == '!=' else ''}NULL)"
        return f"({sides[0]} {op} {sides[1]})"


def _seconds(text: str) -> int:
    try:
        when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise _bad(f"not an ISO 8601 datetime: {text!r}") from exc
    if when.tzinfo is None:
        raise _bad(f"datetime {text!r} has no time zone; add Z (UTC) or an offset")
    return int(when.timestamp())
