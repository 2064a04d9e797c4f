"""SQL for the SensorThings reads: each entity set as one SELECT over the network tables."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

import shapely

from liuyu.store import obs_batches, obs_files, obs_read, sta_cursor
from liuyu.store.gpkg_binary import decode

ISO = "'%Y-%m-%dT%H:%M:%SZ'"

#: Current stations; a Thing's id is the first fid its station code ever had, so it outlives versions.
THINGS = (
    "SELECT (SELECT min(a.fid) FROM stations a WHERE a.feature_key = s.feature_key) AS id, "
    "s.code, s.name, s.kind, s.agency, s.river, s.role, s.water_type, s.target_class, "
    "s.jurisdiction, s.geom FROM stations s WHERE s.version_to IS NULL"
)


def _iso(seconds: str) -> str:
    """SQL: Unix seconds as ISO 8601 UTC text with Z (NULL stays NULL)."""
    return f"strftime({ISO}, {seconds}, 'unixepoch')"


def datastreams_sql(things: str, iso: Callable[[str], str] = _iso) -> str:
    """One Datastream per series, named after its station, property and method; its time range.

    The same on both stores but for ``iso``, the dialect's Unix-seconds-to-ISO expression."""
    return (
        "SELECT d.series_id AS id, d.station_code, d.property_code, d.method, "
        "coalesce(nullif(d.method, ''), 'unspecified') AS sensor_id, coalesce(d.unit, p.unit) AS unit, "
        "coalesce(t.name, d.station_code) || ' · ' || coalesce(p.name_en, d.property_code) "
        "|| ' (' || coalesce(nullif(d.method, ''), 'unspecified') || ')' AS name, "
        "p.name_en AS property_name, p.name_zh AS property_name_zh, t.id AS thing_id, "
        f"{iso('d.time_first')} AS time_first, {iso('d.time_last')} AS time_last "
        "FROM series d LEFT JOIN observed_properties p ON p.code = d.property_code "
        f"LEFT JOIN ({things}) t ON t.code = d.station_code"
    )


_DUCK_ISO = "'%Y-%m-%dT%H:%M:%SZ'"


def _observations(source: str) -> str:
    """Observations (DuckDB over the batch files): the current revision of each (series, time)."""
    return (
        "SELECT o.id, o.series_id AS datastream_id, o.phenomenon_time, "
        f"strftime(make_timestamp(o.phenomenon_time * 1000000), {_DUCK_ISO}) AS phenomenon_iso, "
        "o.value AS result, o.censor, CAST(o.qc_flag AS BIGINT) AS qc_flag, o.raw, "
        f"CAST(o.revision AS BIGINT) AS revision FROM {source} o"
    )


OBSERVED_PROPERTIES = (
    "SELECT code AS id, name_en AS name, name_zh, unit, definition, aliases FROM observed_properties"
)
SENSORS = "SELECT DISTINCT coalesce(nullif(method, ''), 'unspecified') AS id, method AS name FROM series"

#: Stations of a workspace that has none yet (the stations table is made by the first write).
#: A Thing's HistoricalLocation is the start of its station record's current version (the registry
#: is versioned like every layer), when it is known to have been at its current Location; its id
#: is the Thing's, so HistoricalLocations(n) belongs to Things(n) and Locations(n).
HISTORICAL_LOCATIONS = (
    "SELECT t.id, t.id AS thing_id, CAST(strftime('%s', v.created_at) AS INTEGER) AS time, "
    f"strftime({ISO}, v.created_at) AS time_iso FROM (SELECT (SELECT min(a.fid) FROM stations a "
    "WHERE a.feature_key = s.feature_key) AS id, s.version_from FROM stations s "
    "WHERE s.version_to IS NULL) t LEFT JOIN liuyu_versions v "
    "ON v.category = 'stations' AND v.version = t.version_from"
)
#: A workspace without stations yet has no HistoricalLocations either.
NO_HISTORICAL_LOCATIONS = "SELECT NULL AS id, NULL AS thing_id, NULL AS time, NULL AS time_iso WHERE 0"
NO_THINGS = (
    "SELECT NULL AS id, NULL AS code, NULL AS name, NULL AS kind, NULL AS agency, NULL AS river, "
    "NULL AS role, NULL AS water_type, NULL AS target_class, NULL AS jurisdiction, NULL AS geom WHERE 0"
)


def _source(conn: sqlite3.Connection, entity_set: str) -> str:
    """The SELECT behind one entity set."""
    obs_batches.ensure_schema(conn)
    return entity_source(
        entity_set,
        has_stations(conn),
        things=THINGS,
        no_things=NO_THINGS,
        historical=HISTORICAL_LOCATIONS,
        no_historical=NO_HISTORICAL_LOCATIONS,
        datastreams=datastreams_sql,
    )


def entity_source(
    entity_set: str,
    stations: bool,
    *,
    things: str,
    no_things: str,
    historical: str,
    no_historical: str,
    datastreams: Callable[[str], str],
) -> str:
    """The SELECT behind one entity set, from a dialect's SQL for Things and HistoricalLocations (and
    their empty twins when the workspace has no stations yet); Things, Locations and
    FeaturesOfInterest are the stations themselves."""
    thing_sql = things if stations else no_things
    sources = {
        "HistoricalLocations": historical if stations else no_historical,
        "Things": thing_sql,
        "Locations": thing_sql,
        "FeaturesOfInterest": thing_sql,
        "Datastreams": datastreams(thing_sql),
        "ObservedProperties": OBSERVED_PROPERTIES,
        "Sensors": SENSORS,
    }
    return sources[entity_set]


@lru_cache(maxsize=64)
def _prepared(wkt: str) -> shapely.Geometry:
    geom = shapely.from_wkt(wkt)
    shapely.prepare(geom)
    return geom


def _spatial(predicate: str) -> Any:
    def test(blob: bytes | None, wkt: str) -> int | None:
        if blob is None:
            return None
        geom = decode([blob])[0]
        return int(bool(getattr(shapely, predicate)(geom, _prepared(wkt))))

    return test


def register_functions(conn: sqlite3.Connection) -> None:
    """``liuyu_st_within(geom, wkt)`` and ``liuyu_st_intersects``: GPKG blob against WKT, lon/lat.

    Per row in Python, which suits the few hundred stations they are used on (not observations).
    """
    for name in ("within", "intersects"):
        conn.create_function(f"liuyu_st_{name}", 2, _spatial(name), deterministic=True)


def select_entities(
    conn: sqlite3.Connection,
    entity_set: str,
    where: Sequence[str],
    params: Sequence[Any],
    order: Sequence[str],
    limit: int,
    offset: int,
    cursor: str | None = None,
) -> list[dict[str, Any]]:
    """Rows of one entity set matching ``where`` (SQL over its columns, values bound), one page.

    Observations are read with DuckDB from the committed batch files; the conditions the API
    builds (comparisons, ``IN (SELECT series_id FROM series ...)``) read the same in both SQLs.
    ``cursor`` (from :func:`next_cursor`) starts the page after the previous page's last row,
    in place of ``offset`` (keyset paging, :mod:`liuyu.store.sta_cursor`).
    """
    if cursor is not None:
        sql, values = sta_cursor.cursor_condition(cursor, order)
        where, params, offset = [*where, sql], [*params, *values], 0
    if entity_set == "Observations":
        sql, frames = _obs_sql(conn, "*", where)
        sql += f" ORDER BY {', '.join(order) or 'e.id'} LIMIT ? OFFSET ?"
        cur = obs_files.query(sql, [*params, limit, offset], frames)
        names = [c[0] for c in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
    register_functions(conn)
    sql = f"SELECT * FROM ({_source(conn, entity_set)}) AS e WHERE {' AND '.join(where) or '1'}"
    sql += f" ORDER BY {', '.join(order) or 'e.id'} LIMIT ? OFFSET ?"
    cur = conn.execute(sql, [*params, limit, offset])
    names = [c[0] for c in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def count_entities(
    conn: sqlite3.Connection, entity_set: str, where: Sequence[str], params: Sequence[Any]
) -> int:
    """How many rows of one entity set match ``where``."""
    if entity_set == "Observations":
        sql, frames = _obs_sql(conn, "count(*)", where)
        return int(obs_files.query(sql, list(params), frames).fetchone()[0])
    register_functions(conn)
    sql = f"SELECT count(*) FROM ({_source(conn, entity_set)}) AS e WHERE {' AND '.join(where) or '1'}"
    return int(conn.execute(sql, list(params)).fetchone()[0])


def _obs_sql(conn: sqlite3.Connection, what: str, where: Sequence[str]) -> tuple[str, dict[str, Any]]:
    """DuckDB SQL over the observations, with the ``series`` registry registered for sub-selects."""
    obs_batches.ensure_schema(conn)
    frames = {"series": obs_read.series_frame(conn)}
    source = obs_files.source_for(conn)
    sql = f"SELECT {what} FROM ({_observations(source)}) AS e WHERE {' AND '.join(where) or 'true'}"
    return sql, frames


def next_cursor(rows: Sequence[dict[str, Any]], order: Sequence[str]) -> str | None:
    """The ``$skiptoken`` of the page after ``rows`` (ordered by ``order``), or None if none fits."""
    return sta_cursor.encode_cursor(rows[-1], order) if rows else None


def has_stations(conn: sqlite3.Connection) -> bool:
    """Whether the workspace has a stations table yet (a new workspace has none)."""
    row = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'stations' AND type = 'table'").fetchone()
    return row is not None


#: The last observation of every series, kept in ``series`` itself by every batch
#: (:mod:`liuyu.store.obs_batches`): one indexed table of a few thousand rows, whatever the
#: number of observations.
def latest_sql(iso: Callable[[str], str] = _iso) -> str:
    """The SELECT of :data:`LATEST` with the dialect's ISO time expression."""
    return (
        "SELECT s.series_id, s.station_code, s.property_code, s.method, coalesce(s.unit, p.unit) AS unit, "
        f"{iso('s.time_last')} AS time, s.last_value AS value, s.last_censor AS censor, "
        "s.last_qc_flag AS qc_flag FROM series s LEFT JOIN observed_properties p ON p.code = s.property_code "
        "WHERE s.n > 0"
    )


LATEST = latest_sql()


def latest_values(conn: sqlite3.Connection, station_code: str | None = None) -> list[dict[str, Any]]:
    """The last observation (time, value, censor, qc_flag) of every series, or of one station's."""
    obs_batches.ensure_schema(conn)
    return latest_rows(conn, LATEST, station_code)


def latest_rows(conn: Any, latest: str, station_code: str | None) -> list[dict[str, Any]]:
    """Rows of ``latest`` (a dialect's :func:`latest_sql`), of one station's series or of all."""
    sql, params = latest, []
    if station_code is not None:
        sql, params = sql + " AND s.station_code = ?", [station_code]
    cur = conn.execute(sql + " ORDER BY s.series_id", params)
    names = [c[0] for c in cur.description or ()]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
