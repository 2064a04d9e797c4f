"""The audit log: every store write leaves who/what/when/before/after; filters; old GeoPackages migrate."""

from __future__ import annotations

import json
import sqlite3

import pandas as pd
import pytest

from conftest import township_frame
from liuyu.catalog import get_category
from liuyu.store import Provenance, RasterVersion, Scope, audit
from liuyu.store.audit import AuditQueryError

TOWNSHIPS = get_category("townships")
PROV = Provenance(user="tester", agency="测绘院", source_name="t.shp", source_checksum="abc")


def _entries(store, **filters) -> list[dict]:
    return audit.decoded(store.audit_log(**filters))


def _obs(values: list[float], start: str = "2024-07-01") -> pd.DataFrame:
    times = pd.date_range(start, periods=len(values), freq="h", tz="Asia/Shanghai")
    return pd.DataFrame(
        {"station_code": "S1", "property_code": "ph", "phenomenon_time": times, "value": values}
    )


def test_layer_versions_are_audited_with_a_summary_before_and_after(store) -> None:
    store.write_layer(TOWNSHIPS, township_frame(), PROV)
    hebei = township_frame(seed=2).query("jurisdiction == 'hebei'")
    store.write_layer(TOWNSHIPS, hebei, PROV, scope=Scope(jurisdiction="hebei"))
    store.rollback(TOWNSHIPS, 1, Provenance(user="admin"))
    log = _entries(store, target="townships")
    assert [e["action"] for e in log] == ["version.rollback", "version.ingest", "version.ingest"]
    first, second, back = log[2], log[1], log[0]
    assert first["before"] is None and first["after"]["version"] == 1 and first["after"]["n_features"] == 12
    assert second["before"] == {"version": 1, "n_features": 12, "scope": None}
    assert second["after"]["scope"] == "hebei" and second["after"]["changed"] > 0
    assert second["detail"]["source"] == "t.shp" and second["user"] == "tester"
    assert back["before"]["version"] == 2 and back["after"]["version"] == 3 and back["user"] == "admin"
    # a write that changes nothing is not a version and leaves no entry
    store.write_layer(TOWNSHIPS, township_frame(), PROV)
    assert len(_entries(store, target="townships")) == 3


def test_rasters_properties_and_observations_are_audited(store) -> None:
    ras = RasterVersion("dem", 0, "rasters/dem_v1.tif", "c1", "EPSG:4490", (116, 40, 117, 41), 10, 10, "m")
    store.register_raster(ras, Provenance(user="gis"))
    props = pd.DataFrame({"code": ["ph"], "name_zh": ["pH"], "name_en": ["pH"], "unit": [""]})
    store.upsert_properties(props)
    assert store.append_observations(_obs([7.0, 7.1, 7.2]), Provenance(user="ops")) == 3
    fix = pd.DataFrame(
        {
            "station_code": ["S1"],
            "property_code": ["ph"],
            "phenomenon_time": [pd.Timestamp("2024-07-01 01:00", tz="Asia/Shanghai")],
            "value": [7.5],
            "reason": ["仪器漂移"],
        }
    )
    assert store.correct_observations(fix, user="editor") == 1
    by_action = {e["action"]: e for e in _entries(store)}
    assert by_action["version.ingest"]["target"] == "dem@1" and by_action["version.ingest"]["user"] == "gis"
    assert by_action["properties.upsert"]["after"]["added"] == ["ph"]
    appended = by_action["observations.append"]
    assert appended["after"]["rows"] == 3 and appended["after"]["series"] == 1 and appended["user"] == "ops"
    corrected = by_action["observations.correct"]
    assert corrected["before"]["value"] == pytest.approx(7.1) and corrected["after"]["value"] == 7.5
    assert corrected["user"] == "editor" and corrected["detail"]["reason"] == "仪器漂移"


def test_filters_user_target_action_time_and_limit(store) -> None:
    conn = store.conn
    with store.transaction() as tx:
        audit.record(tx, "wang (editor@hebei)", "ledger.add", "ledger:WT2024-0001", after={"a": 1})
        audit.record(tx, "wang2", "ledger.assigned", "ledger:WT2024-0002", before={"s": 1}, after={"s": 2})
        audit.record(tx, "li", "alert.ack", "alert:7", after={"state": "acknowledged"})
    assert [e["user"] for e in _entries(store, user="wang")] == ["wang (editor@hebei)"]
    first = _entries(store, user="wang")[0]
    assert (first["role"], first["jurisdiction"]) == ("editor", "hebei")
    assert len(_entries(store, target="ledger")) == 2
    assert [e["target"] for e in _entries(store, target="ledger:WT2024-0002")] == ["ledger:WT2024-0002"]
    assert len(_entries(store, action="ledger")) == 2 and len(_entries(store, action="alert.ack")) == 1
    assert _entries(store, action="ledg") == []  # a prefix must end at a separator
    assert _entries(store, target="%") == [] and _entries(store, user="' OR 1=1 --") == []
    assert len(_entries(store, since="2000-01-01", until="2999-01-01")) == 3
    assert _entries(store, since="2999-01-01") == [] and _entries(store, until="2000-01-01T08:00+08:00") == []
    assert [e["user"] for e in _entries(store, limit=1)] == ["li"]  # newest first
    assert len(audit.decoded(audit.query(conn, limit=2, offset=2))) == 1
    with pytest.raises(AuditQueryError, match="not a time"):
        store.audit_log(since="yesterday-ish")


def test_an_entry_rolls_back_with_its_write(store) -> None:
    with pytest.raises(RuntimeError), store.transaction() as tx:
        audit.record(tx, "x", "test.write", "t:1")
        raise RuntimeError("the write failed")
    assert _entries(store, action="test") == []


@pytest.mark.gpkg_only
def test_an_old_geopackage_gets_the_new_columns_when_opened(tmp_path) -> None:
    from liuyu.store import open_store

    path = tmp_path / "old.gpkg"
    open_store(str(path), tmp_path, create=True).close()
    raw = sqlite3.connect(path)
    for index in ("target", "user", "at"):
        raw.execute(f"DROP INDEX ix_audit_log_{index}")
    raw.execute("ALTER TABLE audit_log DROP COLUMN role")
    raw.execute("ALTER TABLE audit_log DROP COLUMN jurisdiction")
    raw.execute(
        "INSERT INTO audit_log (at, user, action, target, detail) VALUES "
        "('2024-01-01T00:00:00.000000Z', 'old', 'version.ingest', 'rivers@1', '{\"n\": 1}')"
    )
    raw.commit()
    raw.close()
    store = open_store(str(path), tmp_path)
    try:
        (old,) = _entries(store, user="old")
        assert old["role"] is None and old["detail"] == {"n": 1}
        audit.record(store.conn, "wang (viewer@basin)", "x.y", "z")
        assert _entries(store, action="x")[0]["role"] == "viewer"
    finally:
        store.close()
    cols = [r[1] for r in sqlite3.connect(path).execute("PRAGMA table_info(audit_log)")]
    assert {"role", "jurisdiction"} <= set(cols)


def test_time_bounds_are_normalized_to_utc() -> None:
    assert audit.time_bound("2024-07-01T08:00:00+08:00") == "2024-07-01T00:00:00.000000Z"
    assert audit.time_bound(None) is None
    assert json.loads(json.dumps(audit.who("wang (editor@beijing)"))) == [
        "wang (editor@beijing)",
        "editor",
        "beijing",
    ]


def test_qc_reruns_are_audited_when_flags_change(store) -> None:
    store.upsert_properties(pd.DataFrame({"code": ["ph"], "name_zh": ["pH"], "name_en": ["pH"]}))
    store.append_observations(_obs([7.0, 7.1, 99.0, 7.2]), Provenance(user="ops"))
    result = store.rerun_qc(user="qc")
    assert result["changed"] >= 1
    (entry,) = _entries(store, action="observations.qc")
    assert entry["user"] == "qc" and entry["after"]["revisions"] == result["changed"]


# --- the write paths outside the Store protocol: every one leaves an entry ----------------------------
@pytest.fixture
def ledger_ws(tmp_path):
    from conftest import drop_schema
    from ledger_data import ledger_workspace

    ws = ledger_workspace(tmp_path / "ws")
    yield ws
    ws.close()
    drop_schema(ws.config.store.location)


def _alert(ws) -> int:
    with ws.store.transaction() as tx:
        row = tx.execute(
            "INSERT INTO alerts (key, kind, subject, period, severity, first_seen, last_seen) "
            "VALUES ('k1', 'station_silent', 'S1', '', 'warning', 't0', 't0') RETURNING id"
        ).fetchone()
    return int(row[0])


def test_alert_acknowledgements_are_audited(ledger_ws) -> None:
    from liuyu.store import gpkg_alerts
    from liuyu.store.base import utc_now

    alert_id = _alert(ledger_ws)
    with ledger_ws.store.transaction() as tx:
        gpkg_alerts.acknowledge(tx, alert_id, "wang (editor@beijing)", "已处理", utc_now())
    (entry,) = _entries(ledger_ws.store, target=f"alert:{alert_id}")
    assert entry["action"] == "alert.ack" and entry["jurisdiction"] == "beijing"
    assert entry["before"]["state"] == "open" and entry["after"]["state"] == "acknowledged"


def test_stored_assessments_are_audited_with_row_counts(ledger_ws) -> None:
    from liuyu.store import gpkg_assess

    rows = pd.DataFrame(
        {
            "period": "2024-07",
            "station_code": ["S1", "S2"],
            "class": [2, 3],
            "standard": "gb3838_2002",
            "fingerprint": "f1",
            "computed_at": "2024-08-01T00:00:00Z",
        }
    ).reindex(columns=list(gpkg_assess.COLUMNS))
    for frame in (rows, rows.iloc[:1]):
        with ledger_ws.store.transaction() as tx:
            gpkg_assess.replace(tx, "2024-07", frame)
    log = _entries(ledger_ws.store, target="assessments:2024-07")
    assert [(e["before"]["rows"], e["after"]["rows"]) for e in log] == [(2, 1), (0, 2)]


def test_facility_decisions_are_audited_with_before_and_after(ledger_ws) -> None:
    from liuyu.access import Principal
    from liuyu.manage import facilities_ops

    admin = Principal("admin1", "admin", "basin")
    pid = facilities_ops.propose(ledger_ws, admin, "F3", {"process": "MBR"}, "改造")
    facilities_ops.reject(ledger_ws, admin, pid, "资料不全")
    log = {e["action"]: e for e in _entries(ledger_ws.store, target="sewage_facilities:F3")}
    assert log["facility.propose"]["after"]["fields"] == {"process": "MBR"}
    assert log["facility.reject"]["before"]["state"] == "pending"
    assert log["facility.reject"]["after"]["state"] == "rejected"


def test_the_cli_filters_and_prints_json_lines(workspace) -> None:
    from typer.testing import CliRunner

    from liuyu.cli import app

    workspace.write_layer("townships", township_frame(), user="gis")
    with workspace.store.transaction() as tx:
        audit.record(tx, "wang (editor@hebei)", "alert.ack", "alert:1", before={"state": "open"})
    runner = CliRunner()
    r = runner.invoke(app, ["audit", str(workspace.root), "--action", "alert", "--json"])
    assert r.exit_code == 0, r.output
    (line,) = r.stdout.strip().splitlines()
    assert json.loads(line)["before"] == {"state": "open"}
    r = runner.invoke(app, ["audit", "-w", str(workspace.root), "--user", "gis", "--since", "2000-01-01"])
    assert r.exit_code == 0 and "townships@1" in r.stdout and "alert:1" not in r.stdout
    r = runner.invoke(app, ["audit", str(workspace.root), "--until", "not-a-time"])
    assert isinstance(r.exception, AuditQueryError)
