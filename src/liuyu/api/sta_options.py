"""SensorThings query options ($top, $skip, $count, $orderby, $select, $filter, $expand), checked."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from liuyu.api.params import ParameterError

DEFAULT_TOP = 100
MAX_TOP = 10_000
KNOWN = (
    "$top",
    "$skip",
    "$skiptoken",
    "$count",
    "$orderby",
    "$select",
    "$filter",
    "$expand",
    "$resultFormat",
)


@dataclass
class Options:
    """The query options of one request, or of one ``$expand`` item (nested, per parent)."""

    top: int = DEFAULT_TOP
    skip: int = 0
    skiptoken: str | None = None  # a keyset cursor from @iot.nextLink (store/sta_cursor.py)
    count: bool = False
    orderby: list[tuple[str, bool]] = field(default_factory=list)  # (property, descending)
    select: list[str] | None = None
    filter: str | None = None
    expand: dict[str, Options] = field(default_factory=dict)
    raw: dict[str, str] = field(default_factory=dict)  # as given, for next links


def parse_options(raw: Mapping[str, str]) -> Options:
    """Options from query parameters (``$name`` → text); a ParameterError (400) names a bad one."""
    for name in raw:
        if name.startswith("$") and name not in KNOWN:
            raise ParameterError(
                f"{name}: not a SensorThings query option", hint=f"use one of {', '.join(KNOWN)}"
            )
    opts = Options(raw=dict(raw))
    if "$top" in raw:
        opts.top = _integer("$top", raw["$top"])
        if opts.top > MAX_TOP:
            raise ParameterError(
                f"$top: {opts.top} exceeds the maximum {MAX_TOP}", hint="page with $skip or @iot.nextLink"
            )
    if "$skip" in raw:
        opts.skip = _integer("$skip", raw["$skip"])
    if "$skiptoken" in raw:
        opts.skiptoken = raw["$skiptoken"]
    if "$count" in raw:
        if raw["$count"] not in ("true", "false"):
            raise ParameterError(f"$count: {raw['$count']!r} is not true or false")
        opts.count = raw["$count"] == "true"
    if "$orderby" in raw:
        opts.orderby = [_order_item(item) for item in raw["$orderby"].split(",")]
    if "$select" in raw:
        opts.select = [s.strip() for s in raw["$select"].split(",") if s.strip()]
    if raw.get("$filter", "").strip():
        opts.filter = raw["$filter"]
    if "$expand" in raw:
        opts.expand = parse_expand(raw["$expand"])
    return opts


def _integer(name: str, text: str) -> int:
    if not text.strip().isdigit():
        raise ParameterError(f"{name}: {text!r} is not a non-negative integer")
    return int(text)


def _order_item(item: str) -> tuple[str, bool]:
    words = item.split()
    if not words or len(words) > 2 or (len(words) == 2 and words[1].lower() not in ("asc", "desc")):
        raise ParameterError(f"$orderby: cannot read {item!r}", hint="e.g. $orderby=phenomenonTime desc")
    return words[0], len(words) == 2 and words[1].lower() == "desc"


def split_top(text: str, sep: str) -> list[str]:
    """``text`` split at ``sep`` outside parentheses and quotes."""
    parts, depth, quoted, start = [], 0, False, 0
    for i, ch in enumerate(text):
        if ch == "'":
            quoted = not quoted
        elif not quoted and ch in "()":
            depth += 1 if ch == "(" else -1
            if depth < 0:
                raise ParameterError(f"$expand: unbalanced parentheses in {text!r}")
        elif not quoted and depth == 0 and ch == sep:
            parts.append(text[start:i])
            start = i + 1
    if depth:
        raise ParameterError(f"$expand: unbalanced parentheses in {text!r}")
    parts.append(text[start:])
    return [p.strip() for p in parts if p.strip()]


def parse_expand(text: str) -> dict[str, Options]:
    """``Datastreams($expand=Observations($top=1)),Locations`` or ``Datastreams/Observations``."""
    out: dict[str, Options] = {}
    for item in split_top(text, ","):
        name, _, inner = item.partition("(")
        if inner and not inner.endswith(")"):
            raise ParameterError(f"$expand: cannot read {item!r}")
        raw = {}
        for opt in split_top(inner[:-1], ";") if inner else []:
            key, eq, value = opt.partition("=")
            if not eq:
                raise ParameterError(f"$expand: option {opt!r} in {item!r} has no '='")
            raw[key.strip()] = value
        opts = parse_options(raw)
        head, _, rest = name.strip().partition("/")
        if rest:  # path form: the last segment carries the options
            opts = Options(expand=_nest(rest, opts))
        out[head] = opts
    return out


def _nest(path: str, leaf: Options) -> dict[str, Options]:
    head, _, rest = path.partition("/")
    return {head: Options(expand=_nest(rest, leaf)) if rest else leaf}
