"""Rural sewage facilities: states from monitoring and compliance, proposals approved into a new version."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from ledger_data import facilities, ledger_workspace, stations
from liuyu.access import AccessDenied, Principal
from liuyu.manage import facilities_ops
from liuyu.manage.facilities import FacilityError, FacilityNotFound, coerce, facility_states, monitoring_links

ADMIN = Principal("a", "admin", "basin")
INSPECTOR = Principal("xunchayuan", "editor", "beijing")
HB_EDITOR = Principal("zhao", "editor", "hebei")
DAY = 86400


def test_a_station_monitors_the_facility_it_stands_at() -> None:
    links = monitoring_links(facilities(), stations(), "EPSG:4548", 100.0)
    assert links.to_dict("records") == [{"facility_code": "F1", "station_code": "NW1"}]
    assert monitoring_links(facilities(), stations(), "EPSG:4548", 1.0).empty


def test_each_state_from_hand_made_inputs() -> None:
    fac = pd.DataFrame({"code": ["A", "B", "C", "D", "E"]})
    links = pd.DataFrame({"facility_code": ["A", "B", "C", "E"], "station_code": ["s1", "s2", "s3", "s5"]})
    now = 1_700_000_000
    series = pd.DataFrame(
        {
            "station_code": ["s1", "s1", "s2", "s3"],
            "last": [now - 3600, now - 10 * DAY, now - 3 * DAY, now - 60],
        }
    )
    exceed = pd.DataFrame(
        {"station_code": ["s3", "s3", "s1"], "property_code": ["tp", "cod", "tp"],
         "exceed": [True, True, False], "verified": [True, False, True]}
    )  # fmt: skip
    out = facility_states(fac, links, series, exceed, now, 48).set_index("code")
    # A: last report an hour ago; B: three days silent; C: over the limit; D: not monitored; E: never reported
    assert out["state"].to_dict() == {
        "A": "running",
        "B": "offline",
        "C": "over_limit",
        "D": "no_data",
        "E": "no_data",
    }
    assert out.loc["C", "over"] == "cod,tp" and bool(out.loc["C", "unverified"])
    assert out.loc["A", "stations"] == "s1" and out.loc["D", "stations"] == ""
    assert facility_states(fac, links, series, exceed, now, 100)["state"].tolist()[1] == "running"


def test_values_are_coerced_to_the_field_type() -> None:
    assert coerce("float", "capacity_m3d", "80") == 80.0
    assert coerce("integer", "served_population", "1200.0") == 1200
    assert coerce("date", "commissioned", "2020/6/30") == "2020-06-30"
    assert coerce("string", "process", " MBR ") == "MBR"
    with pytest.raises(FacilityError, match="not a float"):
        coerce("float", "capacity_m3d", "很多")


@pytest.fixture
def ws(tmp_path: Path):
    w = ledger_workspace(tmp_path / "ws")
    yield w
    w.close()


def test_an_approved_proposal_makes_a_version_with_only_that_facility_changed(ws) -> None:
    before = ws.read_layer("sewage_facilities").set_index("code")
    pid = facilities_ops.propose(
        ws, INSPECTOR, "F2", {"capacity_m3d": "100", "process": "MBR"}, "现场核查：已扩建"
    )
    prop = facilities_ops.proposal(ws, pid)
    assert prop["state"] == "pending" and prop["fields"] == {"capacity_m3d": 100.0}  # MBR was already so
    assert prop["before"] == {"capacity_m3d": 80.0} and prop["proposed_by"] == "xunchayuan"
    assert ws.store.current_version("sewage_facilities") == 1  # nothing changes before approval
    info = facilities_ops.approve(ws, INSPECTOR, pid, "同意")
    assert (
        info is not None and info.version == 2 and (info.n_changed, info.n_added, info.n_removed) == (1, 0, 0)
    )
    diff = ws.diff("sewage_facilities", 1, 2)
    assert diff.changed and len(diff.changed) == 1 and not diff.added and not diff.removed
    after = ws.read_layer("sewage_facilities").set_index("code")
    assert after.loc["F2", "capacity_m3d"] == 100.0
    assert after.drop(index="F2")[["capacity_m3d", "process"]].equals(
        before.drop(index="F2")[["capacity_m3d", "process"]]
    )
    assert facilities_ops.proposal(ws, pid)["version"] == 2
    assert ws.versions("sewage_facilities")[-1].provenance.kind == "edit"
    with pytest.raises(FacilityError, match="already approved"):
        facilities_ops.approve(ws, ADMIN, pid)
    actions = list(ws.store.audit_log()["action"])
    assert "facility.approve" in actions and "facility.propose" in actions


def test_a_rejected_proposal_leaves_the_record(ws) -> None:
    pid = facilities_ops.propose(ws, ADMIN, "F3", {"status": "停运"}, "设备故障")
    facilities_ops.reject(ws, ADMIN, pid, "已修复")
    assert facilities_ops.proposal(ws, pid)["state"] == "rejected"
    assert ws.store.current_version("sewage_facilities") == 1
    assert list(facilities_ops.proposals(ws, state="rejected")["id"]) == [pid]


def test_proposals_respect_jurisdiction_fields_and_existence(ws) -> None:
    with pytest.raises(AccessDenied):
        facilities_ops.propose(ws, HB_EDITOR, "F1", {"process": "SBR"}, None)
    with pytest.raises(AccessDenied):
        facilities_ops.propose(ws, Principal("v", "viewer", "basin"), "F3", {"process": "SBR"}, None)
    pid = facilities_ops.propose(ws, INSPECTOR, "F1", {"process": "SBR"}, None)
    with pytest.raises(AccessDenied):
        facilities_ops.approve(ws, HB_EDITOR, pid)
    with pytest.raises(FacilityError, match="cannot propose"):
        facilities_ops.propose(ws, ADMIN, "F1", {"code": "F9"}, None)
    with pytest.raises(FacilityError, match="does not change"):
        facilities_ops.propose(ws, ADMIN, "F1", {"process": "A/O"}, None)
    with pytest.raises(FacilityNotFound):
        facilities_ops.propose(ws, ADMIN, "F404", {"process": "SBR"}, None)


def test_status_of_the_workspace(ws) -> None:
    now = pd.Timestamp("2024-08-10T00:00:00Z")
    obs = pd.DataFrame(
        {
            "station_code": ["NW1"],
            "property_code": ["cod"],
            "phenomenon_time": [now - pd.Timedelta(hours=1)],
            "value": [20.0],
        }
    )
    ws.append_observations(obs)
    table, meta = facilities_ops.status(ws)
    states = table.set_index("code")["state"].to_dict()
    assert states == {"F1": "running", "F2": "no_data", "F3": "no_data"}
    assert meta["as_of"] == int((now - pd.Timedelta(hours=1)).timestamp())
    late, _ = facilities_ops.status(ws, as_of=int((now + pd.Timedelta(days=5)).timestamp()))
    assert late.set_index("code").loc["F1", "state"] == "offline"
