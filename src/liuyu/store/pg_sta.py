"""SQL for the SensorThings reads on PostgreSQL: the twin of :mod:`liuyu.store.gpkg_sta`.

Each entity set is one SELECT over the workspace's tables with the same columns as on the
GeoPackage, so the API's conditions, ``$filter``, ``$orderby`` and keyset cursors (SQL over
``e.<column>``, values bound) run unchanged here, and both backends answer with the same JSON:

* times are Unix seconds (``phenomenon_time``) with their ISO text beside them;
* NULLs sort first ascending and last descending, as in SQLite and in the DuckDB reads;
* ``liuyu_st_within`` / ``liuyu_st_intersects`` are SQL functions of the schema over PostGIS
  (:data:`liuyu.store.pg_obs.PG_DDL`), planned as ST_Within / ST_Intersects;
* an Observation is a row of the partitioned ``observations`` table: a datastream's page is
  one index range scan of ``(series_id, phenomenon_time)``, in the partitions its times need.

A ``$filter`` comparing values PostgreSQL will not compare (a number with text) is a 400 with a
hint, where SQLite would quietly compare them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import psycopg

from liuyu.errors import SchemaError
from liuyu.store import sta_cursor
from liuyu.store.gpkg_sta import (
    THINGS,
    datastreams_sql,
    entity_source,
    latest_rows,
    latest_sql,
    next_cursor,
)
from liuyu.store.pg_network import LATEST as LATEST_REVISION
from liuyu.store.pg_network import has_revisions
from liuyu.store.pg_obs import scalar
from liuyu.store.sqlconn import PgConn

__all__ = ["count_entities", "latest_values", "next_cursor", "select_entities"]


def _iso(seconds: str) -> str:
    """SQL: Unix seconds as ISO 8601 UTC text with Z (NULL stays NULL)."""
    return f"""to_char(to_timestamp({seconds}) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')"""


#: ``THINGS`` is the GeoPackage's SQL: ``geom`` stays a PostGIS geometry here (the spatial filters
#: need it); rows carry it as WKB.
NO_THINGS = (
    "SELECT NULL::bigint AS id, NULL::text AS code, NULL::text AS name, NULL::text AS kind, "
    "NULL::text AS agency, NULL::text AS river, NULL::text AS role, NULL::text AS water_type, "
    "NULL::text AS target_class, NULL::text AS jurisdiction, NULL::geometry AS geom WHERE false"
)
_CREATED = "v.created_at::timestamptz"
HISTORICAL_LOCATIONS = (
    f"SELECT t.id, t.id AS thing_id, floor(extract(epoch FROM {_CREATED}))::bigint AS time, "
    f"""to_char({_CREATED} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS time_iso """
    "FROM (SELECT (SELECT min(a.fid) FROM stations a WHERE a.feature_key = s.feature_key) AS id, "
    "s.version_from FROM stations s WHERE s.version_to IS NULL) t LEFT JOIN liuyu_versions v "
    "ON v.category = 'stations' AND v.version = t.version_from"
)
NO_HISTORICAL_LOCATIONS = (
    "SELECT NULL::bigint AS id, NULL::bigint AS thing_id, NULL::bigint AS time, NULL::text AS time_iso "
    "WHERE false"
)


def _observations(latest: bool) -> str:
    """Observations: the current revision of each (series, time) unless none was ever revised."""
    return (
        "SELECT o.id, o.series_id AS datastream_id, o.phenomenon_time, "
        f"{_iso('o.phenomenon_time')} AS phenomenon_iso, o.value AS result, o.censor, "
        "o.qc_flag::bigint AS qc_flag, o.raw, o.revision::bigint AS revision FROM observations o"
        + (f" WHERE {LATEST_REVISION}" if latest else "")
    )


def has_stations(conn: PgConn) -> bool:
    """Whether the workspace's schema has a stations table."""
    return bool(scalar(conn.execute("SELECT to_regclass('stations') IS NOT NULL")))


def _source(conn: PgConn, entity_set: str) -> str:
    """The SELECT behind one entity set."""
    if entity_set == "Observations":
        return _observations(has_revisions(conn))
    return entity_source(
        entity_set,
        has_stations(conn),
        things=THINGS,
        no_things=NO_THINGS,
        historical=HISTORICAL_LOCATIONS,
        no_historical=NO_HISTORICAL_LOCATIONS,
        datastreams=lambda things: datastreams_sql(things, _iso),
    )


_TERM = re.compile(r"^\s*(.+?)\s+(ASC|DESC)\s*$", re.IGNORECASE)


#: Columns that are never NULL: ordered as they are, so an index in its default order serves them
#: (``id NULLS FIRST`` would make PostgreSQL sort every row to find the first page).
_NEVER_NULL = frozenset({"e.id", "e.phenomenon_time", "e.datastream_id"})


def _order_by(order: Sequence[str]) -> str:
    """The ORDER BY with SQLite's NULL placement (first ascending, last descending)."""
    terms = []
    for term in order or ["e.id ASC"]:
        m = _TERM.match(term)
        if m is None or m[1] in _NEVER_NULL:
            terms.append(term)
        else:
            terms.append(f"{m[1]} {m[2].upper()} NULLS {'LAST' if m[2].upper() == 'DESC' else 'FIRST'}")
    return ", ".join(terms)


def _run(conn: PgConn, sql: str, params: Sequence[Any]) -> psycopg.Cursor[Any]:
    try:
        return conn.execute(sql, list(params))
    except (psycopg.errors.UndefinedFunction, psycopg.errors.DataError) as exc:
        raise SchemaError(
            f"$filter: the values cannot be compared ({exc.diag.message_primary})",
            hint="compare numbers with numbers, text with 'quoted text', times with ISO 8601 times",
        ) from exc


def select_entities(
    conn: PgConn,
    entity_set: str,
    where: Sequence[str],
    params: Sequence[Any],
    order: Sequence[str],
    limit: int,
    offset: int,
    cursor: str | None = None,
) -> list[dict[str, Any]]:
    """Rows of one entity set matching ``where`` (SQL over its columns, values bound), one page;
    ``cursor`` starts the page after the previous page's last row (keyset paging)."""
    if cursor is not None:
        sql, values = sta_cursor.cursor_condition(cursor, order)
        where, params, offset = [*where, sql], [*params, *values], 0
    select = "*" if entity_set not in ("Things", "Locations", "FeaturesOfInterest") else _THING_COLUMNS
    sql = (
        f"SELECT {select} FROM ({_source(conn, entity_set)}) AS e WHERE {' AND '.join(where) or 'true'} "
        f"ORDER BY {_order_by(order)} LIMIT ? OFFSET ?"
    )
    cur = _run(conn, sql, [*params, limit, offset])
    names = [c[0] for c in cur.description or ()]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


#: A Thing's columns, its geometry as WKB (shapely reads it; the GeoPackage gives its own blob).
_THING_COLUMNS = (
    "e.id, e.code, e.name, e.kind, e.agency, e.river, e.role, e.water_type, e.target_class, "
    "e.jurisdiction, ST_AsBinary(e.geom) AS geom"
)


def count_entities(conn: PgConn, entity_set: str, where: Sequence[str], params: Sequence[Any]) -> int:
    """How many rows of one entity set match ``where``."""
    sql = f"SELECT count(*) FROM ({_source(conn, entity_set)}) AS e WHERE {' AND '.join(where) or 'true'}"
    return int(scalar(_run(conn, sql, params)))


#: The last observation of every series, kept in ``series`` by every batch (see pg_obs.register).
LATEST = latest_sql(_iso)


def latest_values(conn: PgConn, station_code: str | None = None) -> list[dict[str, Any]]:
    """The last observation (time, value, censor, qc_flag) of every series, or of one station's."""
    return latest_rows(conn, LATEST, station_code)
