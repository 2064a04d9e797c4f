"""The PostGIS store itself: schema made by alembic, indexes, refusals with hints, atomic writes, clones.

Runs when ``LIUYU_TEST_STORE`` names a database (the PostGIS pass, .ci/run); the Store contract
shared with the GeoPackage is in test_contract.py.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import TEST_STORE, drop_schema, township_frame
from liuyu.catalog import get_category, load_categories
from liuyu.errors import StoreError
from liuyu.store import Provenance, open_store
from liuyu.store.location import new_schema_name, split_location, store_location, with_schema

pytestmark = [
    pytest.mark.postgis,
    pytest.mark.skipif(not TEST_STORE, reason="set LIUYU_TEST_STORE=postgresql://... to test PostGIS"),
]
TOWNSHIPS = get_category("townships")
PROV = Provenance(user="tester", source_name="t.shp")


@pytest.fixture
def pg(tmp_path):
    """A fresh PostGIS store in its own schema, dropped afterwards."""
    location = store_location(TEST_STORE)
    store = open_store(location, tmp_path, create=True)
    yield store
    store.close()
    drop_schema(location)


def _one(store, sql, params=()):
    return store.conn.execute(sql, params).fetchone()


def test_schema_is_made_by_alembic_at_head(pg):
    from alembic.script import ScriptDirectory

    from liuyu.store import pg_ddl, pg_schema

    head = ScriptDirectory(str(pg_schema.MIGRATIONS)).get_current_head()
    assert head == pg_ddl.HEAD_REVISION
    assert _one(pg, "SELECT version_num FROM alembic_version")[0] == head
    assert _one(pg, "SELECT current_schemas(false)")[0] == [pg.schema, "public"]
    assert _one(pg, "SELECT value FROM liuyu_meta WHERE key = 'application'")[0] == "liuyu"


def test_every_category_has_a_gist_index_a_key_index_and_a_current_view(pg):
    indexes = {
        (r[0], r[1], r[2])
        for r in pg.conn.execute(
            "SELECT t.relname, i.relname, am.amname FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
            "JOIN pg_class t ON t.oid = x.indrelid JOIN pg_am am ON am.oid = i.relam "
            "JOIN pg_namespace n ON n.oid = t.relnamespace WHERE n.nspname = ?",
            (pg.schema,),
        )
    }
    views = {
        r[0] for r in pg.conn.execute("SELECT viewname FROM pg_views WHERE schemaname = ?", (pg.schema,))
    }
    vector = [c for c in load_categories().values() if not c.is_raster]
    assert vector
    for cat in vector:
        assert (cat.code, f"ix_{cat.code}_geom", "gist") in indexes, cat.code
        assert (cat.code, f"ix_{cat.code}_key", "btree") in indexes, cat.code
        assert f"{cat.code}_current" in views
    geom_type = _one(
        pg,
        "SELECT type, srid FROM geometry_columns WHERE f_table_schema = ? AND f_table_name = 'townships'",
        (pg.schema,),
    )
    assert tuple(geom_type) == ("MULTIPOLYGON", 4490)


def test_observations_are_partitioned_by_time(pg):
    row = _one(
        pg,
        "SELECT p.partstrat FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid "
        "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ? AND c.relname = 'observations'",
        (pg.schema,),
    )
    assert row is not None and row[0] == "r"  # RANGE


def test_create_refuses_an_existing_workspace_and_a_foreign_schema(pg, tmp_path):
    with pytest.raises(StoreError, match="already holds a Liuyu workspace") as err:
        open_store(pg.location, tmp_path, create=True)
    assert "schema" in (err.value.hint or "")
    foreign = new_schema_name()
    pg.conn.execute(f'CREATE SCHEMA "{foreign}"')
    try:
        pg.conn.execute(f'CREATE TABLE "{foreign}".theirs (x int)')
        location = with_schema(pg.location, foreign)
        with pytest.raises(StoreError, match="holds other tables"):
            open_store(location, tmp_path, create=True)
        with pytest.raises(StoreError, match="holds no Liuyu workspace") as err:
            open_store(location, tmp_path)
        assert "liuyu init" in (err.value.hint or "")
    finally:
        pg.conn.execute(f'DROP SCHEMA "{foreign}" CASCADE')


def test_a_newer_schema_is_refused(pg, tmp_path):
    pg.conn.execute("UPDATE alembic_version SET version_num = '9999'")
    with pytest.raises(StoreError, match="newer Liuyu"):
        open_store(pg.location, tmp_path)
    pg.conn.execute("UPDATE alembic_version SET version_num = '0001'")
    pg.conn.execute("UPDATE liuyu_meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(StoreError, match="newer Liuyu"):
        open_store(pg.location, tmp_path)


def test_bad_locations_say_what_to_write(tmp_path):
    conninfo, _ = split_location(TEST_STORE)
    with pytest.raises(StoreError, match="names no database") as err:
        open_store("postgresql://postgres@127.0.0.1:55432/?schema=x", tmp_path)
    assert "DATABASE" in (err.value.hint or "")
    with pytest.raises(StoreError, match="not a usable schema name"):
        open_store(conninfo + "?schema=Bad-Name", tmp_path)
    with pytest.raises(StoreError, match="cannot connect") as err:
        open_store("postgresql://nobody:secret@127.0.0.1:1/nowhere?schema=x", tmp_path)
    assert "secret" not in str(err.value) and "server runs" in (err.value.hint or "")


def test_a_failed_write_leaves_nothing(pg, monkeypatch):
    pg.write_layer(TOWNSHIPS, township_frame(), PROV)

    def boom(*args, **kwargs):
        raise RuntimeError("the write failed")

    monkeypatch.setattr(type(pg), "_record_version", boom)
    changed = township_frame()
    changed["name"] = "改"
    with pytest.raises(RuntimeError):
        pg.write_layer(TOWNSHIPS, changed, PROV)
    monkeypatch.undo()
    assert pg.current_version("townships") == 1
    assert _one(pg, "SELECT count(*) FROM townships")[0] == 12
    assert set(pg.read_layer(TOWNSHIPS)["name"]) != {"改"}


def test_fids_continue_in_delivery_order_as_in_the_geopackage(pg, tmp_path):
    gpkg = open_store(str(tmp_path / "liuyu.gpkg"), tmp_path, create=True)
    try:
        for store in (pg, gpkg):
            store.write_layer(TOWNSHIPS, township_frame(), PROV)
            second = township_frame()
            second.loc[3, "name"] = "新"
            store.write_layer(TOWNSHIPS, second, PROV)
            store.rollback(TOWNSHIPS, 1, Provenance(user="admin"))
        a = pg.read_layer(TOWNSHIPS, version=2)
        b = gpkg.read_layer(TOWNSHIPS, version=2)
        assert a.index.tolist() == b.index.tolist()
        assert pg.read_layer(TOWNSHIPS).index.tolist() == gpkg.read_layer(TOWNSHIPS).index.tolist()
    finally:
        gpkg.close()


def test_clone_copies_rows_versions_and_views_independently(pg, tmp_path):
    from liuyu.store.location import split_location as split

    pg.write_layer(TOWNSHIPS, township_frame(), PROV)
    pg._audit(pg.conn, "tester", "test.note", "x")
    target = new_schema_name()
    location = pg.clone(target)
    assert split(location)[1] == target
    copy = open_store(location, tmp_path)
    try:
        assert copy.current_version("townships") == 1 and copy.count(TOWNSHIPS) == 12
        assert len(copy.audit_log()) == len(pg.audit_log())
        assert _one(copy, "SELECT count(*) FROM townships_current")[0] == 12
        pg._audit(pg.conn, "tester", "test.after", "y")  # identity keys continue in the copy, apart
        copy._audit(copy.conn, "tester", "test.copy", "z")
        assert copy.audit_log().iloc[0]["action"] == "test.copy"
        changed = township_frame()
        changed["name"] = "副本"
        copy.write_layer(TOWNSHIPS, changed, PROV)
        assert pg.current_version("townships") == 1
        assert set(pg.read_layer(TOWNSHIPS)["name"]) != {"副本"}
    finally:
        copy.close()
        drop_schema(location)


def test_init_with_a_database_url_picks_a_schema_and_writes_it(tmp_path):
    from liuyu.config import load_config

    conninfo, _ = split_location(TEST_STORE)
    done = subprocess.run(
        [sys.executable, "-m", "liuyu", "init", str(tmp_path / "w"), "--store", conninfo],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    location = load_config(tmp_path / "w" / "liuyu.toml").store.location
    try:
        schema = split_location(location)[1]
        assert schema.startswith("ws_") and len(schema) == 11
        assert not (tmp_path / "w" / "liuyu.gpkg").exists()
        store = open_store(location, tmp_path / "w")
        store.close()
    finally:
        drop_schema(location)


def test_init_failure_leaves_no_schema(tmp_path, monkeypatch):
    import liuyu
    from liuyu.store import pg_schema

    location = store_location(TEST_STORE)
    schema = split_location(location)[1]

    def broken(conninfo, name):
        raise RuntimeError("migration broke")

    monkeypatch.setattr(pg_schema, "upgrade", broken)
    with pytest.raises(RuntimeError, match="migration broke"):
        liuyu.init(tmp_path / "w", store=location)
    assert not (tmp_path / "w").exists()
    conn = pg_schema.connect(split_location(TEST_STORE)[0])
    with conn:
        assert conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,)).fetchone() is None


def test_categories_added_later_get_their_table_and_fields_on_open(pg, tmp_path):
    pg.conn.execute('DROP TABLE "villages" CASCADE')
    pg.conn.execute('ALTER TABLE "townships" DROP COLUMN "name" CASCADE')
    pg.conn.execute("DELETE FROM alembic_version")
    with pytest.raises(StoreError, match="lost its migration record"):
        open_store(pg.location, tmp_path)
    pg.conn.execute("INSERT INTO alembic_version VALUES ('0001')")
    again = open_store(pg.location, tmp_path)
    try:
        assert again.write_layer(TOWNSHIPS, township_frame(), PROV).n_added == 12
        assert again.read_layer(TOWNSHIPS)["name"].notna().all()
        assert _one(again, "SELECT count(*) FROM villages_current")[0] == 0
        assert _one(again, "SELECT count(*) FROM townships_current")[0] == 12
    finally:
        again.close()


def test_reads_go_on_while_a_write_is_open_in_another_thread(pg, monkeypatch):
    """Each thread has its own connection: a reader neither waits for nor sees an uncommitted write."""
    import threading

    from liuyu.store import pg_layers
    from liuyu.store.query import FeatureQuery

    pg.write_layer(TOWNSHIPS, township_frame(), PROV)
    inside, release = threading.Event(), threading.Event()
    insert = pg_layers.PgLayerWriter._insert

    def slow_insert(self, *args, **kwargs):
        insert(self, *args, **kwargs)
        inside.set()
        assert release.wait(30)

    monkeypatch.setattr(pg_layers.PgLayerWriter, "_insert", slow_insert)
    changed = township_frame()
    changed["name"] = "写入中"
    writer = threading.Thread(target=pg.write_layer, args=(TOWNSHIPS, changed, PROV))
    writer.start()
    try:
        assert inside.wait(30)
        page = pg.query_features(TOWNSHIPS, FeatureQuery(limit=100), count=True)  # this thread's connection
        assert page.number_matched == 12 and "写入中" not in {r[1] for r in page.rows}
        assert pg.current_version("townships") == 1
    finally:
        release.set()
        writer.join(30)
    assert pg.current_version("townships") == 2
    assert set(pg.read_layer(TOWNSHIPS)["name"]) == {"写入中"}


def test_concurrent_writers_of_one_layer_get_consecutive_versions(pg):
    """Writers serialize on the category (an advisory lock), so no two claim the same version number."""
    from concurrent.futures import ThreadPoolExecutor

    def write(i: int):
        frame = township_frame()
        frame["name"] = f"第{i}版"
        return pg.write_layer(TOWNSHIPS, frame, PROV).version

    with ThreadPoolExecutor(4) as pool:
        versions = sorted(pool.map(write, range(8)))
    assert versions == list(range(1, 9))
    assert [v.version for v in pg.versions("townships")] == versions
    assert _one(pg, "SELECT count(*) FROM townships WHERE version_to IS NULL")[0] == 12


def test_the_schema_has_the_geopackages_tables_and_columns(pg, tmp_path):
    """Shared code and `liuyu export` address tables by name on both backends: same tables, same columns."""
    from liuyu.access import tables as accounts
    from liuyu.store import gpkg_assess, gpkg_discharge, gpkg_quarantine

    gpkg = open_store(str(tmp_path / "liuyu.gpkg"), tmp_path, create=True)
    try:
        for module in (gpkg_quarantine, gpkg_assess, gpkg_discharge):  # made on first use in a GeoPackage
            module.ensure_table(gpkg.conn)
        accounts.ensure_tables(gpkg)
        names = [r[0] for r in gpkg.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        ours = {
            t: [c[1] for c in gpkg.conn.execute(f'PRAGMA table_info("{t}")')]
            for t in names
            if not t.startswith(("gpkg_", "rtree_", "sqlite_"))
        }
    finally:
        gpkg.close()
    theirs: dict[str, list[str]] = {}
    for table, column in pg.conn.execute(
        "SELECT c.relname, a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
        "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ? AND c.relkind IN ('r', 'p') "
        "AND NOT c.relispartition AND a.attnum > 0 AND NOT a.attisdropped ORDER BY c.relname, a.attnum",
        (pg.schema,),
    ):
        theirs.setdefault(table, []).append(column)
    assert len(ours) > 30
    assert set(theirs) - set(ours) == {"alembic_version", "observations"}  # GPKG: observations in Parquet
    assert {t: theirs.get(t) for t in ours} == ours
