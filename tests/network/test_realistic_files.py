"""Real-world-shaped lab report (XLSX) and HJ 212 logger capture into a demo-like workspace.

The files and their hand-counted expectations are in ``realistic_files``: every oddity of issue 5
in one sheet, and a capture with logger timestamps, a heartbeat and a damaged CRC. Checked here:
rows in = stored + quarantined + missing, each quarantine reason, the values as stored (units
converted, censored at their limit, Hebei code resolved to the Beijing section, local time to
UTC), that a re-run stores nothing new, and the CLI (auto-detected formats).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import realistic_files as files

from liuyu.network.ingest import ObservationIngestResult, ingest_observations
from liuyu.network.qc import QCFlag
from liuyu.store import gpkg_quarantine


@pytest.fixture
def ws(workspace):
    workspace.write_layer("stations", files.stations())
    return workspace


def _conserved(result: ObservationIngestResult, expected: dict[str, int]) -> None:
    c = result.counts
    assert c["rows_in"] == c["stored"] + c["quarantined"] + c["missing"] + c["merged_duplicates"]
    assert result.conserved, c
    assert {k: c[k] for k in expected} == expected


def _reasons(ws, result: ObservationIngestResult) -> pd.DataFrame:
    return gpkg_quarantine.read(ws.store.conn, ingest_id=result.ingest_id)


def test_lab_report_every_oddity(ws, tmp_path: Path) -> None:
    result = ingest_observations(ws, files.lab_sheet(tmp_path / "承德2024年8月.xlsx"))
    assert result.format == "wide"
    _conserved(result, files.LAB_EXPECTED)
    obs = ws.store.read_observations()
    assert set(obs["method"]) == {"lab"}  # the series assessments and reports read
    obs = obs.set_index(["station_code", "property_code", "phenomenon_time"])
    first = pd.Timestamp("2024-08-05 01:30", tz="UTC")  # 2024年8月5日 09:30 Beijing
    # Hebei's 1307SZ901 is the Beijing section 1101SZ001
    assert obs.loc[("1101SZ001", "fecal_coliform", first), "value"] == 1300.0  # "1,300"
    assert obs.loc[("1101SZ001", "pb", first), ["value", "censor"]].tolist() == [0.001, "<"]  # <1.0 μg/L
    assert obs.loc[("1101SZ001", "ph", first), "value"] == pytest.approx(7.82)  # "pH" under a group header
    second = pd.Timestamp("2024-08-05 02:15", tz="UTC")
    assert obs.loc[("1101SZ002", "water_temp", second), "value"] == pytest.approx(23.8)  # full-width
    assert obs.loc[("1101SZ002", "nh3n", second), ["value", "censor"]].tolist() == [
        0.025,
        "<",
    ]  # 未检出(0.025)
    censored = obs[obs["censor"] == "<"]
    assert len(censored) == files.LAB_CENSORED
    assert (censored["qc_flag"] & int(QCFlag.CENSORED)).all()
    assert not obs.index.get_level_values("station_code").isin(["1307SZ901", "1307SZ999"]).any()
    q = _reasons(ws, result)
    assert set(q["category"]) == {"observations"}
    assert q.loc[q["reason"].str.startswith("unknown station"), "value"].unique().tolist() == ["1307SZ999"]
    assert q.loc[q["reason"].str.contains("hard range"), ["field", "value"]].values.tolist() == [
        ["ph", "15.2"]
    ]
    assert sorted(q.loc[q["reason"].str.contains("detection limit"), "row"]) == [6, 10]  # bare "ND"
    assert q.loc[q["reason"].str.contains("not a number"), "value"].tolist() == ["见备注"]
    notes = q[q["reason"].str.startswith("unreadable")]
    assert sorted(notes["row"]) == [11, 12] and notes["value"].str.contains("审核").any()


def test_hj212_capture_with_timestamps_heartbeat_and_bad_crc(ws, tmp_path: Path) -> None:
    result = ingest_observations(ws, files.hj212_log(tmp_path / "logger.log"), mn_map=files.MN_MAP)
    assert result.format == "hj212"  # detected from content although each packet has a timestamp
    _conserved(result, files.HJ212_EXPECTED)
    obs = ws.store.read_observations()
    assert set(obs["station_code"]) == {"110116NW001", "110118PK0001"} and set(obs["method"]) == {"Avg"}
    nh3n = obs.query("station_code == '110116NW001' and property_code == 'nh3n'")
    assert nh3n["phenomenon_time"].dt.strftime("%H:%M").tolist() == ["00:00", "01:00", "02:00"]  # 08-10 local
    assert nh3n["value"].tolist() == [0.118, 0.121, 0.125]
    q = _reasons(ws, result).sort_values("row")
    assert q["row"].tolist() == [3, 5]
    assert "not a data upload" in q["reason"].iloc[0] and "CRC mismatch" in q["reason"].iloc[1]


def test_rerun_of_both_files_stores_nothing_new(ws, tmp_path: Path) -> None:
    lab = files.lab_sheet(tmp_path / "lab.xlsx")
    log = files.hj212_log(tmp_path / "logger.log")
    first = [ingest_observations(ws, lab), ingest_observations(ws, log, mn_map=files.MN_MAP)]
    again = [ingest_observations(ws, lab), ingest_observations(ws, log, mn_map=files.MN_MAP)]
    for a, b in zip(first, again, strict=True):
        assert b.counts["stored"] == 0 and b.counts["already_present"] == a.counts["stored"]
    assert len(ws.store.read_observations()) == sum(r.counts["stored"] for r in first)


def test_cli_reads_both_formats_without_being_told(ws, tmp_path: Path) -> None:
    env = {**os.environ, "COLUMNS": "200"}
    env.pop("LIUYU_WORKSPACE", None)

    def run(*args: str) -> str:
        cmd = [sys.executable, "-m", "liuyu", "ingest", "observations", *args, "-w", str(ws.root)]
        done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)
        assert done.returncode == 0, done.stderr
        return done.stdout

    lab = run(str(files.lab_sheet(tmp_path / "lab.xlsx")))
    assert "(wide)" in lab and "未知站点 unknown station" in lab and "1307SZ999" in lab
    log = run(
        str(files.hj212_log(tmp_path / "logger.log")), "--mn-map", str(files.mn_map_csv(tmp_path / "mn.csv"))
    )
    assert "(hj212)" in log and "CRC mismatch" in log
