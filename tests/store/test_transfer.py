"""Moving a workspace between stores: every table copied, counts and checksums compared, tampering caught."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest
import shapely
from typer.testing import CliRunner

import liuyu
from conftest import BACKENDS, TEST_STORE, drop_schema, township_frame
from ledger_data import BEIJING_POINT, ledger_workspace, tiny_jpeg
from liuyu.access import Principal
from liuyu.catalog import get_category
from liuyu.cli import app
from liuyu.errors import StoreError
from liuyu.manage import ledger_ops
from liuyu.manage.ledger_ops import NewProblem
from liuyu.store import Provenance, RasterVersion, audit, open_store, transfer
from liuyu.store.location import store_location

ADMIN = Principal("admin1", "admin", "basin")


def _obs(values: list[float]) -> pd.DataFrame:
    times = pd.date_range("2024-07-01", periods=len(values), freq="h", tz="Asia/Shanghai")
    return pd.DataFrame(
        {
            "station_code": "S1",
            "property_code": "ph",
            "phenomenon_time": times,
            "value": values,
            "censor": ["", "<", "", ""][: len(values)],
            "raw": ["7.0", "<0.01", "7.2", '7.3 "估", 见\n备注'][: len(values)],
        }
    )


def populate(ws: liuyu.Workspace) -> None:
    """A little of everything a workspace keeps: versions, raster, observations with a correction,
    quarantine, a ledger problem with a photo, an alert, audit entries."""
    store = ws.store
    ws.write_layer("townships", township_frame(), user="gis")
    ws.write_layer("townships", township_frame(seed=2), user="gis")
    store.rollback(get_category("townships"), 1, Provenance(user="admin"))
    store.register_raster(
        RasterVersion("dem", 0, "rasters/dem_v1.tif", "c1", "EPSG:4490", (116, 40, 117, 41), 10, 10, "m"),
        Provenance(user="gis"),
    )
    store.upsert_properties(pd.DataFrame({"code": ["ph"], "name_zh": ["pH"], "name_en": ["pH"]}))
    store.append_observations(_obs([7.0, 0.01, 7.2, 7.3]), Provenance(user="ops"))
    fix = _obs([7.25]).assign(reason="仪器漂移").drop(columns=["censor", "raw"])
    store.correct_observations(fix, user="editor")
    store.add_quarantine(
        pd.DataFrame(
            {
                "ingest_id": ["i1"],
                "category": ["townships"],
                "created_at": ["2024-07-01T00:00:00Z"],
                "source_name": ["t.shp"],
                "source_checksum": ["abc"],
                "row": [3],
                "reason": ["invalid_geometry"],
                "field": [None],
                "value": [None],
                "problems": ["[]"],
                "attributes": ['{"name": "坏"}'],
                "geom": [shapely.to_wkb(shapely.Point(116.9, 40.5))],
            }
        ),
        user="ops",
    )
    new = NewProblem(
        title="河滩堆放垃圾",
        source="inspection",
        category="乱堆",
        geometry=BEIJING_POINT,
        deadline=dt.date(2024, 7, 1),
        found_at=dt.datetime(2024, 6, 1, 9, tzinfo=dt.UTC),
        responsible_unit="某镇政府",
    )
    code = ledger_ops.add_problem(ws, ADMIN, new)["code"]
    ledger_ops.add_photo(ws, ADMIN, code, tiny_jpeg(), "现场.jpg")
    with store.transaction() as tx:  # type: ignore[attr-defined]
        tx.execute(
            "INSERT INTO alerts (key, kind, subject, period, severity, message_zh, message_en, value, "
            "verified, first_seen, last_seen) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            ("k1", "station_silent", "S1", "", "warning", "无数据", "silent", 0.1 + 0.2, 1, "t0", "t1"),
        )


@pytest.fixture
def source(tmp_path: Path):
    ws = ledger_workspace(tmp_path / "src")
    populate(ws)
    yield ws
    ws.close()
    drop_schema(ws.config.store.location)


def _location(backend: str, path: Path) -> str:
    return str(path) if backend == "gpkg" else store_location(TEST_STORE)


@pytest.mark.parametrize("via", BACKENDS)
def test_a_round_trip_loses_nothing(source, tmp_path: Path, via: str) -> None:
    middle_loc = _location(via, tmp_path / "middle.gpkg")
    middle = open_store(middle_loc, tmp_path, create=True)
    back = open_store(str(tmp_path / "back.gpkg"), tmp_path, create=True)
    try:
        there = transfer.transfer(source.store, middle)
        assert there.ok, there.mismatches
        names = {c.table for c in there.checks}
        for table in (
            "townships",
            "liuyu_versions",
            "liuyu_rasters",
            "observations",
            "observation_batches",
            "series",
            "liuyu_quarantine",
            "ledger_problems",
            "ledger_photos",
            "ledger_events",
            "alerts",
            "audit_log",
            "observed_properties",
        ):
            assert table in names
        rows = {c.table: c.source.rows for c in there.checks}
        assert rows["observations"] == 5 and rows["townships"] > 12 and rows["ledger_photos"] == 1
        again = transfer.transfer(middle, back)
        assert again.ok, again.mismatches
        # the far end equals the start, table by table, read through both stores again
        final = transfer.verify(source.store, back)
        assert all(c.ok for c in final), [c.table for c in final if not c.ok]
        obs = back.read_observations(history=True)
        assert list(obs["revision"]) == [0, 1, 0, 0, 0] and obs["raw"].tolist()[2] == "<0.01"
        assert back.read_observations()["value"].tolist() == [7.25, 0.01, 7.2, 7.3]
        cat = get_category("townships")
        assert [v.version for v in back.versions("townships")] == [1, 2, 3]
        pd.testing.assert_frame_equal(
            back.read_layer(cat, version=2).drop(columns="fid", errors="ignore"),
            source.store.read_layer(cat, version=2).drop(columns="fid", errors="ignore"),
        )
        assert (
            back.audit_log(action="ledger")["user"].tolist()
            == source.store.audit_log(action="ledger")["user"].tolist()
        )
        with middle.transaction() as tx:  # new ids continue after the copied ones (identity sequences)
            audit.record(tx, "x", "test.after", "t")
        newest = middle.audit_log(limit=2)["id"].tolist()
        assert newest[0] == newest[1] + 1
    finally:
        middle.close()
        back.close()
        drop_schema(middle_loc)


@pytest.mark.parametrize("via", BACKENDS)
def test_tampering_is_caught_table_by_table(source, tmp_path: Path, via: str) -> None:
    loc = _location(via, tmp_path / "copy.gpkg")
    target = open_store(loc, tmp_path, create=True)
    try:
        assert transfer.transfer(source.store, target).ok
        with target.transaction() as tx:  # type: ignore[attr-defined]
            tx.execute("UPDATE alerts SET value = ? WHERE key = 'k1'", (0.30000000000000004 + 1e-16,))
            tx.execute("UPDATE townships SET name = ? WHERE fid = (SELECT min(fid) FROM townships)", ("改",))
            tx.execute("DELETE FROM ledger_events")
        bad = {c.table: c for c in transfer.verify(source.store, target) if not c.ok}
        assert set(bad) == {"alerts", "townships", "ledger_events"}
        assert bad["townships"].source.rows == bad["townships"].target.rows  # same count, other content
        assert bad["ledger_events"].target.rows == 0
    finally:
        target.close()
        drop_schema(loc)


def test_an_existing_destination_is_refused(source, tmp_path: Path) -> None:
    loc = source.config.store.location  # its own store (a file or a schema) is never overwritten
    with pytest.raises(StoreError):
        transfer.export_workspace(source, loc if "://" in loc else str(source.root / loc))
    transfer.export_workspace(source, str(tmp_path / "once.gpkg"))
    with pytest.raises(StoreError, match="exists"):
        transfer.export_workspace(source, str(tmp_path / "once.gpkg"))
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    with pytest.raises(StoreError, match="not empty"):
        transfer.export_workspace(source, None, tmp_path / "full")
    with pytest.raises(StoreError, match="neither"):
        transfer.export_workspace(source, str(tmp_path / "x.sqlite"))


def test_cli_exports_a_new_workspace_folder_and_reports_every_table(source, tmp_path: Path) -> None:
    dest = tmp_path / "moved"
    runner = CliRunner()
    r = runner.invoke(app, ["export", str(source.root), "--dest", str(dest), "--json", "--user", "admin"])
    assert r.exit_code == 0, r.output
    report = json.loads(r.stdout.strip().splitlines()[-1])
    assert report["ok"] and report["location"] == "liuyu.gpkg"
    by_table = {t["table"]: t for t in report["tables"]}
    assert by_table["observations"]["rows_target"] == 5 and by_table["files:photos"]["rows_source"] == 1
    moved = liuyu.open(dest)
    try:
        assert moved.config.basin.name == source.config.basin.name
        assert len(moved.read_layer("townships")) == 12
        (entry,) = moved.store.audit_log(action="store.import").itertuples()
        assert entry.user == "admin" and json.loads(entry.detail)["verified"] is True
        photo = next((dest / "photos").rglob("*.jpg"))
        assert photo.read_bytes() == tiny_jpeg()
    finally:
        moved.close()
    r = runner.invoke(app, ["export", str(source.root), "--dest", str(dest)])
    assert isinstance(r.exception, StoreError) and "not empty" in str(r.exception)


def test_cli_exits_non_zero_on_a_mismatch(source, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = transfer.verify

    def lossy(src, dst, known=None):  # as if one row had gone missing on the way
        checks = real(src, dst, known)
        checks[0].target.rows -= 1
        return checks

    monkeypatch.setattr(transfer, "verify", lossy)
    r = CliRunner().invoke(app, ["export", str(source.root), "--to", str(tmp_path / "out.gpkg")])
    assert r.exit_code == 1 and "Mismatch" in r.output and "✗" in r.output


def test_canonical_rows_agree_across_the_two_backends_forms() -> None:
    from liuyu.store.transfer_canon import common_family, digest

    assert common_family("bool", "int") == "int" and common_family("text", "datetime") == "datetime"
    assert common_family("blob", "geom") == "geom" and common_family("json", "text") == "json"
    point = shapely.Point(116.9, 40.5)
    sqlite_side = pd.DataFrame(
        {
            "flag": pd.Series([1, 0, None], dtype=object),
            "at": pd.Series(["2024-07-01T08:00:00+08:00", "2024-07-01T00:00:00Z", None], dtype=object),
            "doc": pd.Series(['{"b": 1, "a": [1, 2]}', None, "{}"], dtype=object),
            "geom": pd.Series([shapely.to_wkb(point, byte_order=0), None, None], dtype=object),
            "big": pd.Series([2**63 - 1, -(2**63), None], dtype=object),
        }
    )
    pg_side = pd.DataFrame(
        {
            "flag": pd.Series([True, False, None], dtype=object),
            "at": pd.Series(
                [dt.datetime(2024, 7, 1, tzinfo=dt.UTC), dt.datetime(2024, 7, 1, tzinfo=dt.UTC), None],
                dtype=object,
            ),
            "doc": pd.Series([{"a": [1, 2], "b": 1}, None, {}], dtype=object),
            "geom": pd.Series([shapely.to_wkb(point, byte_order=1), None, None], dtype=object),
            "big": pd.Series([2**63 - 1, -(2**63), None], dtype=object),
        }
    )
    fams = {"flag": "int", "at": "datetime", "doc": "json", "geom": "geom", "big": "int"}
    assert digest(sqlite_side, fams).hex == digest(pg_side.iloc[::-1], fams).hex  # any row order
    off_by_one = pg_side.assign(big=pd.Series([2**63 - 2, -(2**63), None], dtype=object))
    assert digest(off_by_one, fams).hex != digest(pg_side, fams).hex  # 64-bit values stay exact
    texts = {"t": "text"}
    empty_vs_null = [pd.DataFrame({"t": pd.Series(v, dtype=object)}) for v in ([""], [None])]
    assert digest(empty_vs_null[0], texts).hex != digest(empty_vs_null[1], texts).hex


def test_a_write_during_the_export_is_wholly_in_or_out_of_the_copy(source, tmp_path: Path) -> None:
    other = liuyu.open(source.root)  # another connection, as a server taking an ingest would have
    target = open_store(str(tmp_path / "snap.gpkg"), tmp_path, create=True)

    def write_meanwhile(table: str, rows: int) -> None:
        if table == "alerts":  # copied first; townships and liuyu_versions come later
            other.write_layer("townships", township_frame(seed=9), user="late")

    try:
        result = transfer.transfer(source.store, target, write_meanwhile)
        assert result.ok, result.mismatches
        assert [v.version for v in target.versions("townships")] == [1, 2, 3]
        assert [v.version for v in source.store.versions("townships")] == [1, 2, 3, 4]
        late = {c.table for c in transfer.verify(source.store, target) if not c.ok}
        assert late == {"townships", "liuyu_versions", "audit_log"}  # what the late write touched
    finally:
        other.close()
        target.close()
