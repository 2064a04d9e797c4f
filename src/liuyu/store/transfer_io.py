"""The table-level face of a store for moving a workspace: list tables, read them in chunks, bulk-write.

Works on ``store.conn`` of either backend (sqlite3 for the GeoPackage, :class:`PgConn` for
PostgreSQL), branching on :func:`~liuyu.store.sqlconn.dialect` only where they differ: how
tables and column types are listed, how geometries go in and out (GeoPackage blobs vs PostGIS),
and where observations live (Parquet batch files beside the GeoPackage, a partitioned table in
PostgreSQL). Geometries travel as ISO WKB bytes; every other value as the driver returns it.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import shapely

from liuyu.store import gpkg_binary
from liuyu.store.sqlconn import dialect
from liuyu.store.transfer_canon import Column, family_pg, family_sqlite

__all__ = [
    "OBSERVATIONS",
    "OBS_COLUMNS",
    "TableInfo",
    "list_tables",
    "prepare_target",
    "read_chunks",
    "write_chunk",
]

#: Not copied: each store writes its own (identity, schema version, migration bookkeeping).
SKIP_TABLES = frozenset({"liuyu_meta", "alembic_version", "spatial_ref_sys", "sqlite_sequence"})
#: Bookkeeping one backend keeps for itself (the GeoPackage's Parquet file names): not compared.
BACKEND_COLUMNS = frozenset({("observation_batches", "file")})
OBSERVATIONS = "observations"
OBS_COLUMNS = ("series_id", "phenomenon_time", "value", "censor", "raw", "qc_flag", "revision", "batch_id")
OBS_FAMILIES = {
    c: "float" if c == "value" else "text" if c in ("censor", "raw") else "int" for c in OBS_COLUMNS
}
CHUNK = 50_000


@dataclass
class TableInfo:
    """A table of a store: its columns (name -> :class:`Column`) and key columns (for order)."""

    name: str
    columns: dict[str, Column]
    key: list[str] = field(default_factory=list)


def q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# --- listing ------------------------------------------------------------------------------------
def list_tables(conn: Any) -> dict[str, TableInfo]:
    """The store's data tables (not the GeoPackage/PostGIS catalogues, R-trees or partitions)."""
    found = _pg_tables(conn) if dialect(conn) == "postgresql" else _sqlite_tables(conn)
    return {k: v for k, v in sorted(found.items()) if k not in SKIP_TABLES}


def _sqlite_tables(conn: Any) -> dict[str, TableInfo]:
    rows = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table'").fetchall()
    geoms = {
        (t, c): srs
        for t, c, srs in conn.execute("SELECT table_name, column_name, srs_id FROM gpkg_geometry_columns")
    }
    out: dict[str, TableInfo] = {}
    for name, sql in rows:
        if name.startswith(("gpkg_", "rtree_", "sqlite_")) or (sql or "").upper().startswith(
            "CREATE VIRTUAL"
        ):
            continue
        cols: dict[str, Column] = {}
        key: list[tuple[int, str]] = []
        for _, col, decl, _, _, pk in conn.execute(f"PRAGMA table_info({q(name)})"):
            srs = geoms.get((name, col))
            cols[col] = Column(col, "geom", srs) if srs is not None else Column(col, family_sqlite(decl))
            if pk:
                key.append((pk, col))
        out[name] = TableInfo(name, cols, [c for _, c in sorted(key)])
    if "observation_batches" in out:  # the rows are in Parquet files beside the GeoPackage
        out[OBSERVATIONS] = TableInfo(OBSERVATIONS, {c: Column(c, f) for c, f in OBS_FAMILIES.items()})
    return out


def _pg_tables(conn: Any) -> dict[str, TableInfo]:
    names = [
        r[0]
        for r in conn.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition"
        ).fetchall()
    ]
    cols = conn.execute(
        "SELECT table_name, column_name, data_type, udt_name FROM information_schema.columns "
        "WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position"
    ).fetchall()
    srids = {
        (t, c): s
        for t, c, s in conn.execute(
            "SELECT f_table_name, f_geometry_column, srid FROM geometry_columns "
            "WHERE f_table_schema = current_schema()"
        ).fetchall()
    }
    keys: dict[str, list[str]] = {}
    for t, c in conn.execute(
        "SELECT tc.table_name, k.column_name FROM information_schema.table_constraints tc "
        "JOIN information_schema.key_column_usage k ON k.constraint_name = tc.constraint_name "
        "AND k.table_schema = tc.table_schema WHERE tc.table_schema = current_schema() "
        "AND tc.constraint_type = 'PRIMARY KEY' ORDER BY k.ordinal_position"
    ).fetchall():
        keys.setdefault(t, []).append(c)
    out = {n: TableInfo(n, {}, keys.get(n, [])) for n in names}
    for t, c, data_type, udt in cols:
        if t in out:
            fam = family_pg(data_type, udt)
            out[t].columns[c] = Column(c, fam, (srids.get((t, c)) or 4490) if fam == "geom" else None)
    if OBSERVATIONS in out:
        out[OBSERVATIONS].key = []
    return out


def prepare_target(store: Any) -> None:
    """Make the tables a new GeoPackage creates only on first use, so every source table has a twin.

    (A PostgreSQL workspace gets all of them from its migration.)
    """
    conn = store.conn
    if dialect(conn) == "postgresql":
        return
    from liuyu.store import gpkg_assess, gpkg_discharge, gpkg_quarantine, obs_batches

    for ensure in (gpkg_quarantine.ensure_table, gpkg_assess.ensure_table, gpkg_discharge.ensure_table):
        ensure(conn)
    obs_batches.ensure_schema(conn)
    try:
        from liuyu.access import tables as account_tables
    except ImportError:  # pragma: no cover - accounts not installed in this build
        return
    account_tables.ensure_tables(store)


# --- reading ------------------------------------------------------------------------------------
def read_chunks(conn: Any, info: TableInfo, columns: list[str], chunk: int = CHUNK) -> Iterator[pd.DataFrame]:
    """The table's ``columns`` in chunks of raw values (object columns; geometries as WKB bytes)."""
    pg = dialect(conn) == "postgresql"
    select = []
    for c in columns:
        col = info.columns[c]
        select.append(f"ST_AsBinary({q(c)}) AS {q(c)}" if pg and col.family == "geom" else q(c))
    order = f" ORDER BY {', '.join(q(k) for k in info.key)}" if info.key else ""
    cur = conn.execute(f"SELECT {', '.join(select)} FROM {q(info.name)}{order}")
    while True:
        rows = cur.fetchmany(chunk)
        if not rows:
            return
        data = list(zip(*rows, strict=True))
        frame = pd.DataFrame({c: pd.Series(v, dtype=object) for c, v in zip(columns, data, strict=True)})
        if not pg:
            for c in columns:
                if info.columns[c].family == "geom":
                    frame[c] = [
                        None if b is None else bytes(b[gpkg_binary._wkb_offset(b) :]) for b in frame[c]
                    ]
        yield frame


def observation_batches(conn: Any) -> Iterator[pa.Table]:
    """Every stored observation row (all revisions), one arrow table per batch, in stored order."""
    if dialect(conn) == "postgresql":
        ids = [r[0] for r in conn.execute("SELECT DISTINCT batch_id FROM observations ORDER BY 1").fetchall()]
        for b in ids:
            yield _pg_batch(conn, int(b))
        return
    from liuyu.store import obs_files

    for path in obs_files.committed_files(conn):
        sql = (
            f"SELECT {', '.join(OBS_COLUMNS)} FROM read_parquet([{obs_files._quote(path)}], "
            "file_row_number = true) ORDER BY file_row_number"
        )
        yield obs_files.cursor().sql(sql).to_arrow_table()


_PG_CSV_ROW = (  # one CSV line per row, built by the server: NULL text unquoted-empty, '' quoted
    "concat_ws(',', series_id, phenomenon_time, value, "
    + ", ".join(
        f"""CASE WHEN {c} IS NULL THEN '' ELSE '"' || replace({c}, '"', '""') || '"' END"""
        for c in ("censor", "raw")
    )
    + ", qc_flag, revision, batch_id)"
)
PG_ROWS_PER_READ = 500_000


def _pg_batch(conn: Any, batch_id: int) -> pa.Table:
    """One batch's rows in id order, as arrow. The server joins each slice into one CSV text,
    because COPY TO STDOUT hands rows to Python one message at a time (~5 µs each)."""
    import io

    import pyarrow.csv as pacsv

    n = int(conn.execute("SELECT count(*) FROM observations WHERE batch_id = ?", (batch_id,)).fetchone()[0])
    lo_id = int(
        conn.execute("SELECT min(id) FROM observations WHERE batch_id = ?", (batch_id,)).fetchone()[0] or 0
    )
    hi_id = int(
        conn.execute("SELECT max(id) FROM observations WHERE batch_id = ?", (batch_id,)).fetchone()[0] or 0
    )
    types = {
        c: pa.float64() if c == "value" else pa.string() if c in ("censor", "raw") else pa.int64()
        for c in OBS_COLUMNS
    }
    read = pacsv.ReadOptions(column_names=list(OBS_COLUMNS))
    parse = pacsv.ParseOptions(newlines_in_values=True)  # a lab's raw text may hold a line break
    convert = pacsv.ConvertOptions(
        column_types=types, strings_can_be_null=True, quoted_strings_can_be_null=False
    )
    parts = []
    sql = f"SELECT string_agg({_PG_CSV_ROW}, E'\\n' ORDER BY id) FROM observations WHERE id >= ? AND id < ?"
    for start in range(lo_id, hi_id + 1, PG_ROWS_PER_READ) if n else ():
        text = conn.execute(sql, (start, start + PG_ROWS_PER_READ)).fetchone()[0]
        if text:
            parts.append(
                pacsv.read_csv(
                    io.BytesIO(text.encode()), read_options=read, parse_options=parse, convert_options=convert
                )
            )
    if not parts:
        return pa.table({c: pa.array([], type=t) for c, t in types.items()})
    return pa.concat_tables(parts)


def observation_frame(table: pa.Table) -> pd.DataFrame:
    """An arrow batch as the frame the digest reads (ints as int64, text as object with None)."""
    frame = table.to_pandas()
    for c in ("censor", "raw"):
        frame[c] = frame[c].astype(object).where(frame[c].notna(), None)
    return frame


# --- writing ------------------------------------------------------------------------------------
def write_chunk(conn: Any, info: TableInfo, frame: pd.DataFrame) -> int:
    """Insert a chunk of rows (as :func:`read_chunks` gives them) into ``info``'s table, as they are."""
    if frame.empty:
        return 0
    pg = dialect(conn) == "postgresql"
    cols = list(frame.columns)
    marks, values = [], []
    for c in cols:
        col = info.columns[c]
        marks.append(f"ST_GeomFromWKB(?, {int(col.srid or 4490)})" if pg and col.family == "geom" else "?")
        values.append(_writable(frame[c], col, pg))
    sql = f"INSERT INTO {q(info.name)} ({', '.join(q(c) for c in cols)}) VALUES ({', '.join(marks)})"
    conn.executemany(sql, list(zip(*values, strict=True)))
    return len(frame)


def _writable(values: pd.Series, col: Column, pg: bool) -> list[Any]:
    """Values in the form the destination column takes (GeoPackage blobs, booleans, ISO text...)."""
    if col.family == "geom" and not pg:
        wkb = np.asarray(list(values), dtype=object)
        geoms = shapely.from_wkb(wkb)
        return gpkg_binary.encode(geoms, int(col.srid or 4490), wkb=wkb)
    if col.family in ("int", "float", "text") and pd.api.types.infer_dtype(values, skipna=True) in (
        "integer",
        "floating",
        "mixed-integer-float",
        "string",
        "empty",
    ):
        return values.tolist()  # as the driver gave them: nothing to convert
    out: list[Any] = []
    for v in values:
        if v is None or (isinstance(v, float) and np.isnan(v) and col.family != "float"):
            out.append(None)
        elif col.family == "bool":
            out.append(bool(v) if pg else int(bool(v)))
        elif isinstance(v, dt.datetime):
            out.append(v if pg and col.family == "datetime" else v.isoformat().replace("+00:00", "Z"))
        elif isinstance(v, dt.date):
            out.append(v if pg and col.family == "date" else v.isoformat())
        elif isinstance(v, dict | list):
            out.append(json.dumps(v, ensure_ascii=False))
        elif isinstance(v, memoryview):
            out.append(bytes(v))
        else:
            out.append(v)
    return out


class RtreeBulk:
    """A GeoPackage feature table's R-tree filled once, in bulk, after a copy (not by a trigger per row).

    The insert trigger calls back into Python for every row; it is dropped for the copy and made
    again in the same transaction, as the layer writer does.
    """

    def __init__(self, conn: Any, info: TableInfo) -> None:
        self.conn, self.info = conn, info
        self.rtree = f"rtree_{info.name}_geom"
        self.active = (
            dialect(conn) == "sqlite"
            and "geom" in info.columns
            and "fid" in info.columns
            and conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (self.rtree,)).fetchone()
            is not None
        )
        self.ids: list[np.ndarray] = []
        self.boxes: list[np.ndarray] = []
        if self.active:
            conn.execute(f"DROP TRIGGER IF EXISTS {q(self.rtree + '_insert')}")
            conn.execute(f"DELETE FROM {q(self.rtree)}")

    def add(self, frame: pd.DataFrame) -> None:
        if not self.active or frame.empty:
            return
        geoms = shapely.from_wkb(np.asarray(list(frame["geom"]), dtype=object))
        bounds = shapely.bounds(geoms)
        ok = ~np.isnan(bounds).any(axis=1) & ~shapely.is_empty(geoms)
        self.ids.append(frame["fid"].to_numpy(np.int64)[ok])
        self.boxes.append(bounds[ok][:, [0, 2, 1, 3]])

    def finish(self) -> None:
        if not self.active:
            return
        from liuyu.store import gpkg_schema, rtree_bulk

        if self.ids and sum(len(i) for i in self.ids):
            rtree_bulk.bulk_load(self.conn, self.rtree, np.concatenate(self.ids), np.concatenate(self.boxes))
        self.conn.execute(gpkg_schema.rtree_insert_trigger(self.info.name))


def drop_indexes(conn: Any, table: str) -> list[str]:
    """Drop a PostgreSQL table's indexes (not its constraints) for a bulk load; returns their DDL.

    Building an index once over millions of copied rows is several times faster than keeping it
    up to date row by row; the caller re-creates them (:func:`create_indexes`) in the same transaction.
    """
    if dialect(conn) != "postgresql":
        return []
    rows = conn.execute(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = current_schema() "
        "AND i.tablename = ? AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
        (table,),
    ).fetchall()
    for name, _ in rows:
        conn.execute(f"DROP INDEX {q(name)}")
    # a partitioned table's index reads "ON ONLY parent": re-made without ONLY, it is built on every partition
    return [d.replace(" ON ONLY ", " ON ", 1) for _, d in rows]


def create_indexes(conn: Any, ddl: list[str]) -> None:
    if ddl:
        conn.execute("SET LOCAL maintenance_work_mem = '256MB'")
    for stmt in ddl:
        conn.execute(stmt)


def write_observations(conn: Any, table: pa.Table) -> int:
    """One batch's rows into the destination as they are (same batch id, revisions, order)."""
    if table.num_rows == 0:
        return 0
    if dialect(conn) == "postgresql":
        from liuyu.store import pg_obs

        batch_ids = table.column("batch_id").to_numpy().astype(np.int64)
        ids = (batch_ids << 32) + np.arange(table.num_rows, dtype=np.int64)  # as the GeoPackage numbers them
        pg_obs.ensure_partitions(conn, table.column("phenomenon_time").to_numpy().astype(np.int64))
        return pg_obs.copy_table(conn, table.add_column(0, "id", pa.array(ids)))
    from liuyu.store import obs_files

    batch_id = int(table.column("batch_id")[0].as_py())
    directory = obs_files.obs_dir(obs_files.gpkg_path(conn))
    name = obs_files.write_batch_file(directory, batch_id, table)
    conn.execute("UPDATE observation_batches SET file = ? WHERE batch_id = ?", (name, batch_id))
    return table.num_rows
