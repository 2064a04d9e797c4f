"""Observations on both backends: atomic batches, readers never blocked, idempotent re-ingest,
corrections and QC re-runs as audited revisions, the latest value per series. On the GeoPackage
they are Parquet batch files beside it (the file checks run there only); on PostGIS, rows of the
partitioned ``observations`` table."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import subprocess
import sys
import threading

import numpy as np
import pandas as pd
import pytest

from liuyu.api.sta_query import sta_sql
from liuyu.store import gpkg_sta, obs_batches, obs_files, pg_obs
from liuyu.store.base import Provenance
from liuyu.store.sqlconn import dialect

UTC = dt.UTC


def _obs(station: str = "S1", prop: str = "tp", start: str = "2024-08-01", n: int = 24, value: float = 0.1):
    times = pd.date_range(start, periods=n, freq="h", tz="Asia/Shanghai")
    return pd.DataFrame(
        {
            "station_code": station,
            "property_code": prop,
            "phenomenon_time": times,
            "value": value + np.arange(n) / 1000,
            "censor": "",
            "raw": [f"{value + i / 1000:g}" for i in range(n)],
        }
    )


def _files(store) -> list:
    return sorted(p.name for p in obs_files.obs_dir(store.path).glob("*.parquet"))


def _on_gpkg(store) -> bool:
    return dialect(store.conn) == "sqlite"


def test_a_batch_is_one_registered_file_and_a_rerun_stores_nothing(store) -> None:
    prov = Provenance(user="t")
    assert store.append_observations(_obs(), prov) == 24
    assert store.append_observations(_obs(), prov) == 0  # same series and times: skipped
    assert store.append_observations(_obs(start="2024-08-01 12:00"), prov) == 12  # half overlaps
    if _on_gpkg(store):
        assert _files(store) == ["b000000001.parquet", "b000000003.parquet"]
        readme = obs_files.obs_dir(store.path) / "README.md"
        assert readme.read_text(encoding="utf-8").startswith("# 观测数据")
    batches = store.conn.execute("SELECT batch_id, n_rows FROM observation_batches ORDER BY 1").fetchall()
    assert [tuple(b) for b in batches] == [(1, 24), (2, 0), (3, 12)]
    series = store.series()
    assert series[["n", "first", "last"]].iloc[0].tolist() == [
        36,
        int(pd.Timestamp("2024-08-01", tz="Asia/Shanghai").timestamp()),
        int(pd.Timestamp("2024-08-02 11:00", tz="Asia/Shanghai").timestamp()),
    ]
    read = store.read_observations()
    assert len(read) == 36 and read["phenomenon_time"].is_monotonic_increasing


def test_a_failed_batch_leaves_nothing_visible(store, monkeypatch) -> None:
    store.append_observations(_obs(), Provenance(user="t"))

    def boom(*args, **kwargs):
        raise RuntimeError("crash after the file was written")

    monkeypatch.setattr(obs_batches, "_update_summaries", boom)
    monkeypatch.setattr(pg_obs, "update_summaries", boom)  # PostGIS: after the COPY
    with pytest.raises(RuntimeError):
        store.append_observations(_obs(start="2024-09-01"), Provenance(user="t"))
    assert len(store.read_observations()) == 24
    assert store.series()["n"].tolist() == [24]
    if _on_gpkg(store):
        assert _files(store) == ["b000000001.parquet"]  # the half batch's file is gone too
    assert store.conn.execute("SELECT count(*) FROM observation_batches").fetchone()[0] == 1


@pytest.mark.gpkg_only
def test_an_unregistered_file_is_never_read(store) -> None:
    if not _on_gpkg(store):
        pytest.skip("Parquet files are the GeoPackage store's")
    store.append_observations(_obs(), Provenance(user="t"))
    src = obs_files.obs_dir(store.path) / "b000000001.parquet"
    (obs_files.obs_dir(store.path) / "b000000099.parquet").write_bytes(src.read_bytes())
    assert len(store.read_observations()) == 24


def test_a_reader_sees_whole_batches_while_another_process_writes(store) -> None:
    """A second process appends 5 batches of 1,000 rows; this one reads meanwhile, never blocked."""
    store.append_observations(_obs(n=1000), Provenance(user="t"))
    location = str(store.path) if _on_gpkg(store) else store.location
    script = (
        "import sys, pandas as pd, numpy as np\n"
        "from pathlib import Path\n"
        "from liuyu.store import open_store\n"
        "from liuyu.store.base import Provenance\n"
        "s = open_store(sys.argv[1], Path('.'))\n"
        "for k in range(5):\n"
        "    t = pd.date_range(f'2030-0{k + 1}-01', periods=1000, freq='min', tz='UTC')\n"
        "    s.append_observations(pd.DataFrame({'station_code': 'S2', 'property_code': 'tp',\n"
        "        'phenomenon_time': t, 'value': np.arange(1000.0)}), Provenance(user='w'))\n"
    )
    writer = subprocess.Popen([sys.executable, "-c", script, location])
    if _on_gpkg(store):
        reader = sqlite3.connect(store.path, isolation_level=None)

        def count() -> int:
            sql, frames = gpkg_sta._obs_sql(reader, "count(*)", [])
            return int(obs_files.query(sql, [], frames).fetchone()[0])
    else:
        from liuyu.store import pg_sta

        def count() -> int:  # the store's own connection: the writer is another process
            return pg_sta.count_entities(store.conn, "Observations", [], [])

    seen = set()
    while writer.poll() is None:
        seen.add(count())
    assert writer.wait() == 0
    seen.add(count())
    assert seen <= {1000 + 1000 * k for k in range(6)} and 6000 in seen


def test_corrections_are_revisions_audited_and_the_latest_is_read(store) -> None:
    store.append_observations(_obs(n=3), Provenance(user="t"))
    when = pd.Timestamp("2024-08-01 02:00", tz="Asia/Shanghai")
    fix = pd.DataFrame(
        {"station_code": ["S1"], "property_code": ["tp"], "phenomenon_time": [when], "value": [0.5],
         "reason": ["录入错误 typo"]}
    )  # fmt: skip
    assert store.correct_observations(fix, user="editor") == 1
    now = store.read_observations()
    assert len(now) == 3 and now["value"].tolist()[-1] == 0.5 and now["revision"].tolist() == [0, 0, 1]
    history = store.read_observations(history=True)
    assert len(history) == 4 and sorted(history["value"].round(3).tolist())[-2:] == [0.102, 0.5]
    assert history.loc[history["revision"] == 1, "raw"].iloc[0] == "0.102"  # the raw cell is kept
    latest = sta_sql(store.conn).latest_values(store.conn)
    assert latest[0]["value"] == 0.5
    at, user, before, after, detail = store.conn.execute(
        "SELECT at, \"user\", before, after, detail FROM audit_log WHERE action = 'observations.correct'"
    ).fetchone()
    assert user == "editor" and at and json.loads(before)["value"] == pytest.approx(0.102)
    assert json.loads(after)["value"] == 0.5 and json.loads(detail)["reason"] == "录入错误 typo"
    with pytest.raises(Exception, match="no stored observation"):
        store.correct_observations(fix.assign(phenomenon_time=when + pd.Timedelta("9h")), user="editor")


def test_qc_rerun_flags_a_spike_across_batch_boundaries(store) -> None:
    base = _obs(prop="nh3n", n=3, value=0.3).assign(value=[0.3, 0.3, 5.0])
    after = _obs(prop="nh3n", start="2024-08-01 03:00", n=2, value=0.3).assign(value=[0.3, 0.3])
    store.append_observations(base, Provenance(user="t"))
    store.append_observations(after, Provenance(user="t"))
    assert store.read_observations()["qc_flag"].tolist() == [0, 0, 0, 0, 0]
    result = store.rerun_qc(user="qc")
    assert result["changed"] >= 1 and result["checked"] == 5
    flags = store.read_observations()["qc_flag"].tolist()
    assert flags[2] & 2  # the spike at the end of the first batch, seen only with the second
    assert store.rerun_qc(user="qc")["changed"] == 0  # idempotent
    assert len(store.read_observations(history=True)) == 5 + result["changed"]


def test_latest_of_every_series_is_fast_and_right(store) -> None:
    frames = [_obs(station=f"S{i}", n=200, value=i) for i in range(50)]
    store.append_observations(pd.concat(frames, ignore_index=True), Provenance(user="t"))
    store.append_observations(_obs(station="S7", start="2024-09-01", n=1, value=99.0), Provenance(user="t"))
    threads_ok = []

    def latest() -> None:  # another thread: its own connection (the PostGIS store's conn is per thread)
        conn = sqlite3.connect(store.path, check_same_thread=False) if _on_gpkg(store) else store.conn
        threads_ok.append(len(sta_sql(conn).latest_values(conn)))

    t = threading.Thread(target=latest)
    t.start()
    t.join()
    rows = {r["station_code"]: r for r in sta_sql(store.conn).latest_values(store.conn)}
    assert threads_ok == [50] and len(rows) == 50
    assert rows["S7"]["value"] == 99.0 and rows["S7"]["time"] == "2024-08-31T16:00:00Z"
    assert rows["S3"]["value"] == pytest.approx(3.199)


@pytest.mark.gpkg_only
def test_an_old_workspace_table_moves_to_a_file(store) -> None:
    """Workspaces written before the Parquet files kept observations in a GeoPackage table."""
    if not _on_gpkg(store):
        pytest.skip("a GeoPackage-only migration")
    conn = store.conn
    conn.execute(
        "CREATE TABLE observations (id INTEGER PRIMARY KEY, series_id INTEGER NOT NULL, "
        "phenomenon_time INTEGER NOT NULL, value REAL, censor TEXT, raw TEXT, qc_flag INTEGER NOT NULL "
        "DEFAULT 0, revision INTEGER NOT NULL DEFAULT 0, batch_id INTEGER)"
    )
    conn.execute("INSERT INTO series (station_code, property_code, method) VALUES ('S1', 'tp', '')")
    conn.executemany(
        "INSERT INTO observations (series_id, phenomenon_time, value, censor, raw, revision) "
        "VALUES (1, ?, ?, ?, ?, ?)",
        [(100, 0.1, None, "0.1", 0), (200, 0.01, "<", "<0.01", 0), (200, 0.02, None, "0.02", 1)],
    )
    read = store.read_observations()
    assert read["value"].tolist() == [0.1, 0.02] and read["censor"].tolist() == [None, None]
    assert len(store.read_observations(history=True)) == 3
    assert conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'observations'").fetchone() is None
    assert store.series()["n"].tolist() == [2]
