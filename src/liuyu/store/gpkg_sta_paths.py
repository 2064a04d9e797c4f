"""SQL for the SensorThings HistoricalLocations: read from ``stations`` and ``liuyu_versions`` only.

A Thing is a station; its HistoricalLocation is the start of the station record's current version
(the registry is versioned like every layer, see DESIGN.md), when the Thing is known to have been
at its current Location. The id is the Thing's, so ``HistoricalLocations(n)`` belongs to
``Things(n)`` and ``Locations(n)``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from liuyu.store.gpkg_sta import ISO, has_stations

HISTORICAL_LOCATIONS = (
    "SELECT t.id, t.id AS thing_id, CAST(strftime('%s', v.created_at) AS INTEGER) AS time, "
    f"strftime({ISO}, v.created_at) AS time_iso FROM (SELECT (SELECT min(a.fid) FROM stations a "
    "WHERE a.feature_key = s.feature_key) AS id, s.version_from FROM stations s "
    "WHERE s.version_to IS NULL) t LEFT JOIN liuyu_versions v "
    "ON v.category = 'stations' AND v.version = t.version_from"
)
#: A workspace without stations yet has no HistoricalLocations either.
NO_HISTORICAL_LOCATIONS = "SELECT NULL AS id, NULL AS thing_id, NULL AS time, NULL AS time_iso WHERE 0"


def _source(conn: sqlite3.Connection) -> str:
    return HISTORICAL_LOCATIONS if has_stations(conn) else NO_HISTORICAL_LOCATIONS


def select_entities(
    conn: sqlite3.Connection,
    entity_set: str,
    where: Sequence[str],
    params: Sequence[Any],
    order: Sequence[str],
    limit: int,
    offset: int,
) -> list[dict[str, Any]]:
    """One page of HistoricalLocations matching ``where``, as ``gpkg_sta.select_entities`` reads others."""
    assert entity_set == "HistoricalLocations"
    sql = f"SELECT * FROM ({_source(conn)}) AS e WHERE {' AND '.join(where) or '1'}"
    sql += f" ORDER BY {', '.join(order) or 'e.id'} LIMIT ? OFFSET ?"
    cur = conn.execute(sql, [*params, limit, offset])
    names = [c[0] for c in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def count_entities(
    conn: sqlite3.Connection, entity_set: str, where: Sequence[str], params: Sequence[Any]
) -> int:
    """How many HistoricalLocations match ``where``."""
    assert entity_set == "HistoricalLocations"
    sql = f"SELECT count(*) FROM ({_source(conn)}) AS e WHERE {' AND '.join(where) or '1'}"
    return int(conn.execute(sql, list(params)).fetchone()[0])
