"""One SensorThings read: conditions, $filter and $orderby as SQL, pages, $expand and $select."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

from liuyu.api.params import ParameterError
from liuyu.api.sta_entities import ENTITY_SETS, EntitySet
from liuyu.api.sta_filter import FilterParser
from liuyu.api.sta_options import Options
from liuyu.store import gpkg_sta


@dataclass(frozen=True)
class Target:
    """What a resource path selects: an entity set, SQL conditions with their values, one or many."""

    entity_set: EntitySet
    where: tuple[str, ...] = ()
    params: tuple[Any, ...] = ()
    single: bool = False

    def with_condition(self, sql: str, value: Any, *, single: bool) -> Target:
        return replace(self, where=(*self.where, sql), params=(*self.params, value), single=single)


def fetch_one(conn: sqlite3.Connection, target: Target) -> dict[str, Any] | None:
    rows = gpkg_sta.select_entities(conn, target.entity_set.name, target.where, target.params, [], 1, 0)
    return rows[0] if rows else None


def _sql_parts(target: Target, opts: Options) -> tuple[list[str], list[Any], list[str]]:
    where, params = list(target.where), list(target.params)
    if opts.filter is not None:
        sql, values = FilterParser(target.entity_set.columns).parse(opts.filter)
        where.append(sql)
        params.extend(values)
    order = []
    for prop, desc in opts.orderby:
        column = target.entity_set.columns.get(prop)
        if column is None:
            known = ", ".join(sorted(target.entity_set.columns))
            raise ParameterError(f"$orderby: unknown property {prop!r}", hint=f"one of {known}")
        order.append(f"{column[0]} {'DESC' if desc else 'ASC'}")
    if not any(o.startswith("e.id ") for o in order):
        order.append("e.id ASC")  # a total order, so pages neither repeat nor skip entities
    return where, params, order


def fetch_collection(conn: sqlite3.Connection, root: str, target: Target, opts: Options) -> dict[str, Any]:
    """``{"@iot.count"?, "@iot.nextLink"?, "value"}``; the caller fills in the next link's URL."""
    where, params, order = _sql_parts(target, opts)
    name = target.entity_set.name
    rows = gpkg_sta.select_entities(conn, name, where, params, order, opts.top + 1, opts.skip)
    body: dict[str, Any] = {}
    if opts.count:
        body["@iot.count"] = gpkg_sta.count_entities(conn, name, where, params)
    if len(rows) > opts.top:
        body["@iot.nextLink"] = True
    body["value"] = [render(conn, root, target.entity_set, row, opts) for row in rows[: opts.top]]
    return body


def _key(value: Any) -> str:
    return "'" + value.replace("'", "''") + "'" if isinstance(value, str) else str(value)


def render(
    conn: sqlite3.Connection, root: str, es: EntitySet, row: dict[str, Any], opts: Options
) -> dict[str, Any]:
    """One entity as SensorThings JSON: id, selfLink, properties, navigation links, expansions."""
    self_link = f"{root}/{es.name}({_key(row['id'])})"
    entity: dict[str, Any] = {"@iot.id": row["id"], "@iot.selfLink": self_link, **es.to_json(row)}
    for nav in es.relations:
        entity[f"{nav}@iot.navigationLink"] = f"{self_link}/{nav}"
    for nav, sub in opts.expand.items():
        relation = es.relations.get(nav)
        if relation is None:
            raise ParameterError(
                f"$expand: {es.name} has no navigation property {nav!r}",
                hint=f"one of {', '.join(es.relations)}",
            )
        child = Target(ENTITY_SETS[relation.target]).with_condition(
            relation.condition, row[relation.parent_field], single=not relation.many
        )
        if relation.many:
            page = fetch_collection(conn, root, child, sub)
            if "@iot.count" in page:
                entity[f"{nav}@iot.count"] = page["@iot.count"]
            if "@iot.nextLink" in page:
                query = urlencode({**sub.raw, "$top": sub.top, "$skip": sub.skip + sub.top})
                entity[f"{nav}@iot.nextLink"] = f"{self_link}/{nav}?{query}"
            entity[nav] = page["value"]
        else:
            found = fetch_one(conn, child)
            entity[nav] = None if found is None else render(conn, root, child.entity_set, found, sub)
    return _select(entity, opts.select, es, set(opts.expand)) if opts.select is not None else entity


def _select(entity: dict[str, Any], names: list[str], es: EntitySet, expanded: set[str]) -> dict[str, Any]:
    """The selected properties, and every expansion (``$select`` and ``$expand`` are independent)."""
    keys = set(expanded)
    for name in names:
        candidates = (
            {"id": "@iot.id", "selfLink": "@iot.selfLink"}.get(name),
            name,
            f"{name}@iot.navigationLink",
        )
        found = [c for c in candidates if c is not None and c in entity]
        if not found:
            raise ParameterError(f"$select: {es.name} has no property {name!r}")
        keys.update(found)
    extras = {f"{nav}@iot.{what}" for nav in expanded for what in ("count", "nextLink")}
    return {k: v for k, v in entity.items() if k in keys or k in extras}
