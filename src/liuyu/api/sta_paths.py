"""SensorThings resource paths: entity sets, ids, navigation, properties, ``$value`` and ``$ref``.

OGC 18-088 (SensorThings 1.1) §9.2 addresses an entity set (``Things``), one entity
(``Things(1)``), a navigation property from one entity (``Datastreams(1)/Observations``, chained:
``Datastreams(1)/Thing/Locations``), a property of one entity (``Things(1)/name``), its raw value
(``Things(1)/name/$value``) and association links (``Datastreams(1)/Observations/$ref``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import orjson

from liuyu.api.params import FeatureNotFound, ParameterError
from liuyu.api.sta_entities import ENTITY_SETS
from liuyu.api.sta_options import Options
from liuyu.api.sta_query import Target, fetch_one, fetch_page, page_body, render, self_link

_SEGMENT = re.compile(r"^([A-Za-z_]+)(?:\((?:'((?:[^']|'')*)'|(\d+))\))?$")
#: Options that make no sense on association links (OData: $ref takes no $select or $expand).
_NOT_ON_REF = ("$select", "$expand")
#: Property names that address the entity's annotations, as ``$select`` names them.
_ANNOTATIONS = {"id": "@iot.id", "selfLink": "@iot.selfLink"}


@dataclass(frozen=True)
class ResourcePath:
    """What a path addresses: ``target`` (one entity or a collection), then at most one of a
    property path inside that entity (``("properties", "code")``), with ``value`` for ``/$value``,
    or ``ref`` for ``/$ref``."""

    target: Target
    prop: tuple[str, ...] = ()
    value: bool = False
    ref: bool = False


def resolve(conn: Any, path: str) -> ResourcePath:
    """The resource a path addresses; 404 for an unknown set, id or navigation property on the way."""
    segments = [s for s in path.strip("/").split("/") if s]
    if segments[-1] == "$ref":
        return ResourcePath(_entities(conn, segments[:-1], path), ref=True)
    value = segments[-1] == "$value"
    if value:
        segments = segments[:-1]
    target: Target | None = None
    for i, seg in enumerate(segments):
        if target is not None and target.single and seg.split("(")[0] not in target.entity_set.relations:
            prop = tuple(segments[i:])
            if any(s.startswith("$") or "(" in s for s in prop):
                raise FeatureNotFound(f"{path}: {'/'.join(prop)!r} is not a property path")
            return ResourcePath(target, prop, value=value)
        target = _step(conn, target, seg)
    if value or target is None:
        raise FeatureNotFound(f"{path}: $value follows a property, e.g. Things(1)/name/$value")
    return ResourcePath(target)


def _entities(conn: Any, segments: list[str], path: str) -> Target:
    """The entities before ``$ref``: only entity sets, ids and navigation properties may lead there."""
    if not segments:
        raise FeatureNotFound(f"{path}: $ref follows an entity set or a navigation property")
    target: Target | None = None
    for seg in segments:
        target = _step(conn, target, seg)
    assert target is not None  # segments is not empty
    return target


def _step(conn: Any, target: Target | None, seg: str) -> Target:
    """One segment further: ``Things`` or ``Things(1)`` first, then a navigation property, maybe keyed."""
    m = _SEGMENT.match(seg)
    if m is None:
        raise FeatureNotFound(f"{seg}: not a SensorThings resource path segment")
    name = m.group(1)
    key = m.group(2).replace("''", "'") if m.group(2) is not None else m.group(3)
    if target is None:
        if name not in ENTITY_SETS:
            raise FeatureNotFound(f"{name}: no such entity set", hint=f"one of {', '.join(ENTITY_SETS)}")
        target = Target(ENTITY_SETS[name])
    else:
        target = _navigate(conn, target, name, seg)
    if key is not None:
        if m.group(2) is not None and not target.entity_set.string_ids:
            raise FeatureNotFound(f"{seg}: {target.entity_set.name} ids are integers, e.g. {name}(1)")
        value: Any = key if target.entity_set.string_ids else int(key)
        target = target.with_condition("e.id = ?", value, single=True)
    return target


def _navigate(conn: Any, parent: Target, name: str, seg: str) -> Target:
    relation = parent.entity_set.relations.get(name)
    if relation is None:
        known = ", ".join(parent.entity_set.relations)
        raise FeatureNotFound(
            f"{seg}: {parent.entity_set.name} has no navigation property {name!r}", hint=f"one of {known}"
        )
    if not parent.single:
        raise ParameterError(f"{seg}: navigate from one entity, e.g. {parent.entity_set.name}(1)/{name}")
    row = fetch_one(conn, parent)
    if row is None:
        raise FeatureNotFound(f"{parent.entity_set.name}: no such entity")
    return Target(ENTITY_SETS[relation.target]).with_condition(
        relation.condition, row[relation.parent_field], single=not relation.many
    )


def property_of(conn: Any, root: str, rp: ResourcePath, row: dict[str, Any]) -> tuple[str, Any]:
    """The name and value a property path addresses in one entity (``id`` is ``@iot.id``)."""
    entity: Any = render(conn, root, rp.target.entity_set, row, Options())
    name = ""
    for i, seg in enumerate(rp.prop):
        key = _ANNOTATIONS.get(seg, seg) if i == 0 else seg
        if not isinstance(entity, dict) or key not in entity or key.endswith("@iot.navigationLink"):
            raise FeatureNotFound(
                f"{'/'.join(rp.prop)}: {rp.target.entity_set.name} has no such property",
                hint=f"see {self_link(root, rp.target.entity_set, row['id'])} for its properties",
            )
        entity, name = entity[key], key
    return name, entity


def raw_value(value: Any) -> str | None:
    """``$value``: a primitive as plain text (numbers as JSON writes them); None stays None (204)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, dict | list):
        raise ParameterError(
            "$value: the property is an object, not a primitive value", hint="drop /$value to get it as JSON"
        )
    return orjson.dumps(value).decode()


def fetch_refs(conn: Any, root: str, target: Target, opts: Options) -> dict[str, Any]:
    """``{"value": [{"@iot.selfLink": ...}]}`` (with count and next link) or one ``{"@iot.selfLink"}``."""
    bad = [name for name in _NOT_ON_REF if name in opts.raw]
    if bad:
        raise ParameterError(
            f"{bad[0]}: not allowed with $ref", hint="$ref takes $top, $skip, $count, $filter and $orderby"
        )
    es = target.entity_set
    if target.single:
        row = fetch_one(conn, target)
        if row is None:
            raise FeatureNotFound(f"{es.name}: no such entity")
        return {"@iot.selfLink": self_link(root, es, row["id"])}
    rows, count, more = fetch_page(conn, target, opts)
    return page_body([{"@iot.selfLink": self_link(root, es, row["id"])} for row in rows], count, more)
