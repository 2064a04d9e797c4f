"""One SensorThings read: conditions, $filter and $orderby as SQL, pages, $expand and $select."""

from __future__ import annotations

from dataclasses import dataclass, replace
from types import ModuleType
from typing import Any
from urllib.parse import urlencode

from liuyu.api.params import ParameterError
from liuyu.api.sta_entities import ENTITY_SETS, EntitySet
from liuyu.api.sta_filter import FilterParser
from liuyu.api.sta_options import Options
from liuyu.store import gpkg_sta, pg_sta
from liuyu.store.sqlconn import dialect


def sta_sql(conn: Any) -> ModuleType:
    """The SensorThings SQL of the store behind ``conn``: :mod:`gpkg_sta` (SQLite + DuckDB) or
    :mod:`pg_sta` (PostgreSQL); both take the same conditions and return the same rows."""
    return pg_sta if dialect(conn) == "postgresql" else gpkg_sta


@dataclass(frozen=True)
class Target:
    """What a resource path selects: an entity set, SQL conditions with their values, one or many."""

    entity_set: EntitySet
    where: tuple[str, ...] = ()
    params: tuple[Any, ...] = ()
    single: bool = False

    def with_condition(self, sql: str, value: Any, *, single: bool) -> Target:
        return replace(self, where=(*self.where, sql), params=(*self.params, value), single=single)


def fetch_one(conn: Any, target: Target) -> dict[str, Any] | None:
    rows = sta_sql(conn).select_entities(conn, target.entity_set.name, target.where, target.params, [], 1, 0)
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


def fetch_page(
    conn: Any, target: Target, opts: Options
) -> tuple[list[dict[str, Any]], int | None, str | bool]:
    """One page of rows of a collection, the total count when ``$count=true``, and what follows.

    The third item is False on the last page, else the keyset cursor of the next page (a
    ``$skiptoken``: deep pages of millions of observations cost a range scan, not a skip of
    every row before them), or True where no cursor fits and the next page is a ``$skip``.
    """
    where, params, order = _sql_parts(target, opts)
    name = target.entity_set.name
    rows = sta_sql(conn).select_entities(
        conn, name, where, params, order, opts.top + 1, opts.skip, cursor=opts.skiptoken
    )
    count = sta_sql(conn).count_entities(conn, name, where, params) if opts.count else None
    more = 0 < opts.top < len(rows)  # $top=0 asks for the count alone
    page = rows[: opts.top]
    if not more:
        return page, count, False
    return page, count, sta_sql(conn).next_cursor(page, order) or True


def page_body(rows: list[Any], count: int | None, more: str | bool) -> dict[str, Any]:
    """``{"@iot.count"?, "@iot.nextLink"?, "value"}``; the caller fills in the next link's URL.

    The next link holds the cursor (or True) until :func:`next_query` makes it a URL query.
    """
    body: dict[str, Any] = {} if count is None else {"@iot.count": count}
    if more:
        body["@iot.nextLink"] = more
    body["value"] = rows
    return body


def fetch_collection(conn: Any, root: str, target: Target, opts: Options) -> dict[str, Any]:
    """``{"@iot.count"?, "@iot.nextLink"?, "value"}``; the caller fills in the next link's URL."""
    rows, count, more = fetch_page(conn, target, opts)
    return page_body([render(conn, root, target.entity_set, row, opts) for row in rows], count, more)


def next_query(raw: dict[str, str], opts: Options, more: str | bool) -> dict[str, str]:
    """The next page's query options: the cursor replaces ``$skip``, or ``$skip`` moves on by ``$top``."""
    query = {k: v for k, v in raw.items() if k not in ("$skip", "$skiptoken")}
    query["$top"] = str(opts.top)
    if isinstance(more, str):
        query["$skiptoken"] = more
    else:
        query["$skip"] = str(opts.skip + opts.top)
    return query


def self_link(root: str, es: EntitySet, entity_id: Any) -> str:
    """``{root}/Things(1)``, or ``{root}/Sensors('lab')`` for a string id (quotes doubled inside)."""
    return f"{root}/{es.name}({_key(entity_id)})"


def _key(value: Any) -> str:
    return "'" + value.replace("'", "''") + "'" if isinstance(value, str) else str(value)


def render(conn: Any, root: str, es: EntitySet, row: dict[str, Any], opts: Options) -> dict[str, Any]:
    """One entity as SensorThings JSON: id, selfLink, properties, navigation links, expansions."""
    link = self_link(root, es, row["id"])
    entity: dict[str, Any] = {"@iot.id": row["id"], "@iot.selfLink": link, **es.to_json(row)}
    for nav in es.relations:
        entity[f"{nav}@iot.navigationLink"] = f"{link}/{nav}"
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
                query = urlencode(next_query(sub.raw, sub, page["@iot.nextLink"]))
                entity[f"{nav}@iot.nextLink"] = f"{link}/{nav}?{query}"
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
