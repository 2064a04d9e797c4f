"""The ledger on a workspace: recording, moving with who/when, permissions by jurisdiction, audit, XLSX."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import openpyxl
import pytest
import shapely

from ledger_data import BEIJING_POINT, HEBEI_POINT, ledger_workspace
from liuyu.access import AccessDenied, Principal
from liuyu.manage import ledger_ops
from liuyu.manage.ledger import LedgerError, NotInLedger
from liuyu.manage.ledger_export import COLUMNS, export_ledger
from liuyu.manage.ledger_ops import NewProblem
from liuyu.store.sqlconn import dialect

ADMIN = Principal("admin1", "admin", "basin")
BJ_EDITOR = Principal("wang", "editor", "beijing")
HB_EDITOR = Principal("zhao", "editor", "hebei")
BASIN_EDITOR = Principal("li", "editor", "basin")
VIEWER = Principal("guest", "viewer", "basin")


@pytest.fixture
def ws(tmp_path: Path):
    w = ledger_workspace(tmp_path / "ws")
    yield w
    w.close()


def _new(point: shapely.Point = BEIJING_POINT, **kw: object) -> NewProblem:
    base: dict[str, object] = {
        "title": "河滩堆放垃圾",
        "source": "inspection",
        "category": "乱堆",
        "geometry": point,
        "deadline": dt.date(2024, 7, 1),
        "found_at": dt.datetime(2024, 6, 1, 9, tzinfo=dt.UTC),
        "responsible_unit": "某镇政府",
    }
    return NewProblem(**{**base, **kw})  # type: ignore[arg-type]


def test_a_problem_takes_jurisdiction_and_county_from_where_it_lies(ws) -> None:
    bj = ledger_ops.add_problem(ws, ADMIN, _new())
    hb = ledger_ops.add_problem(ws, ADMIN, _new(HEBEI_POINT.buffer(0.001)))
    assert (bj["code"], bj["jurisdiction"], bj["county_code"], bj["state"]) == (
        "WT2024-0001",
        "beijing",
        "110118",
        "found",
    )
    assert (hb["code"], hb["jurisdiction"], hb["county_code"]) == ("WT2024-0002", "hebei", "130825")
    assert hb["geometry"].geom_type == "Polygon" and bj["category"] == "illegal_dumping"


def test_moves_record_who_when_and_note_and_closing_time(ws) -> None:
    code = ledger_ops.add_problem(ws, ADMIN, _new())["code"]
    for step, note in [
        ("assigned", "交办"),
        ("being_fixed", None),
        ("fix_submitted", "已清理"),
        ("verified", "复核到位"),
    ]:
        ledger_ops.move(ws, BJ_EDITOR, code, step, note)
    with pytest.raises(LedgerError, match="cannot go to"):
        ledger_ops.move(ws, BJ_EDITOR, code, "found")
    rec = ledger_ops.move(ws, BASIN_EDITOR, code, "closed", "销号", at="2024-07-02T10:00:00Z")
    assert (
        rec["state"] == "closed"
        and rec["closed_at"] == "2024-07-02T10:00:00Z"
        and rec["fix_note"] == "复核到位"
    )
    hist = ledger_ops.history(ws, code)
    assert list(hist["to_state"]) == [
        "found",
        "assigned",
        "being_fixed",
        "fix_submitted",
        "verified",
        "closed",
    ]
    assert list(hist["from_state"])[:2] == [None, "found"]
    assert list(hist["user"]) == ["admin1", "wang", "wang", "wang", "wang", "li"]
    assert hist["at"].notna().all()
    reopened = ledger_ops.move(ws, BJ_EDITOR, code, "reopened", "反弹")
    assert reopened["closed_at"] is None
    again = ledger_ops.move(ws, BJ_EDITOR, code, "assigned", deadline=dt.date(2024, 9, 1), unit="另一镇政府")
    assert (again["state"], again["deadline"], again["responsible_unit"]) == (
        "assigned",
        "2024-09-01",
        "另一镇政府",
    )
    assert (
        json.loads(ws.store.audit_log(target=f"ledger:{code}").iloc[0]["before"])["deadline"] == "2024-07-01"
    )


def test_jurisdiction_and_role_decide_who_may_write(ws) -> None:
    bj = ledger_ops.add_problem(ws, ADMIN, _new())["code"]
    with pytest.raises(AccessDenied, match="belongs to beijing"):
        ledger_ops.move(ws, HB_EDITOR, bj, "assigned")
    with pytest.raises(AccessDenied, match="viewer"):
        ledger_ops.move(ws, VIEWER, bj, "assigned")
    with pytest.raises(AccessDenied):
        ledger_ops.add_problem(ws, HB_EDITOR, _new())  # a Hebei editor cannot record a Beijing problem
    with pytest.raises(AccessDenied):
        ledger_ops.add_problem(ws, VIEWER, _new(HEBEI_POINT))
    hb = ledger_ops.add_problem(ws, HB_EDITOR, _new(HEBEI_POINT))["code"]
    assert ledger_ops.move(ws, HB_EDITOR, hb, "assigned")["state"] == "assigned"
    assert ledger_ops.move(ws, BASIN_EDITOR, bj, "assigned")["state"] == "assigned"
    assert ledger_ops.problem(ws, bj)["state"] == "assigned"  # refused moves left nothing behind
    assert len(ledger_ops.history(ws, bj)) == 2


def test_every_change_is_in_the_audit_log(ws) -> None:
    code = ledger_ops.add_problem(ws, ADMIN, _new())["code"]
    ledger_ops.move(ws, BJ_EDITOR, code, "assigned", "交办镇政府")
    log = ws.store.audit_log(target=f"ledger:{code}")
    assert list(log["action"]) == ["ledger.assigned", "ledger.add"]
    last = log.iloc[0]
    assert last["user"] == "wang (editor@beijing)"
    assert json.loads(last["before"])["state"] == "found" and json.loads(last["after"])["state"] == "assigned"


def test_problems_filter_and_unknowns(ws) -> None:
    ledger_ops.add_problem(ws, ADMIN, _new())
    ledger_ops.add_problem(ws, ADMIN, _new(HEBEI_POINT, category="illegal_fishing", source="complaint"))
    assert len(ledger_ops.problems(ws, jurisdiction="hebei")) == 1
    assert list(ledger_ops.problems(ws, category="非法捕捞")["jurisdiction"]) == ["hebei"]
    assert len(ledger_ops.problems(ws, state="found")) == 2
    with pytest.raises(LedgerError):
        ledger_ops.problems(ws, state="lost")
    with pytest.raises(NotInLedger):
        ledger_ops.problem(ws, "WT1999-0001")
    with pytest.raises(LedgerError, match="point or a polygon"):
        ledger_ops.add_problem(ws, ADMIN, _new(shapely.LineString([(116.9, 40.5), (116.95, 40.5)])))


@pytest.mark.gpkg_only
def test_the_ledger_table_is_a_geopackage_feature_layer(ws) -> None:
    import pyogrio

    ledger_ops.add_problem(ws, ADMIN, _new())
    ledger_ops.add_problem(ws, ADMIN, _new(HEBEI_POINT.buffer(0.002)))
    layers = dict(pyogrio.list_layers(ws.root / "liuyu.gpkg"))
    assert "ledger_problems" in layers
    frame = pyogrio.read_dataframe(ws.root / "liuyu.gpkg", layer="ledger_problems")
    assert sorted(frame.geometry.geom_type) == ["Point", "Polygon"] and frame.crs.to_epsg() == 4490
    hits = ws.store.conn.execute('SELECT count(*) FROM "rtree_ledger_problems_geom"').fetchone()[0]
    assert hits == 2


def test_problems_found_by_bbox_in_a_spatial_table_of_either_store(ws) -> None:
    a = ledger_ops.add_problem(ws, ADMIN, _new())["code"]
    b = ledger_ops.add_problem(ws, ADMIN, _new(HEBEI_POINT.buffer(0.002)))["code"]
    near = {
        p: (pt.x - 0.01, pt.y - 0.01, pt.x + 0.01, pt.y + 0.01)
        for p, pt in ((a, BEIJING_POINT), (b, HEBEI_POINT))
    }
    for code, box in near.items():
        assert list(ledger_ops.problems(ws, bbox=box)["code"]) == [code]
    assert set(ledger_ops.problems(ws, bbox=(116.0, 40.0, 118.0, 41.0))["code"]) == {a, b}
    assert ledger_ops.problems(ws, bbox=(100.0, 30.0, 100.1, 30.1)).empty
    conn = ws.store.conn
    if dialect(conn) == "postgresql":  # a PostGIS layer QGIS lists: generic geometry in CGCS2000
        sql = "SELECT type, srid FROM geometry_columns "
        sql += " WHERE f_table_schema = current_schema() AND f_table_name = ?"
    else:
        sql = "SELECT geometry_type_name, srs_id FROM gpkg_geometry_columns WHERE table_name = ?"
    assert tuple(conn.execute(sql, ("ledger_problems",)).fetchone()) == ("GEOMETRY", 4490)


def test_a_move_racing_another_is_refused(ws, monkeypatch) -> None:
    code = ledger_ops.add_problem(ws, ADMIN, _new())["code"]
    stale = ledger_ops.problem(ws, code)
    ledger_ops.move(ws, ADMIN, code, "assigned")
    monkeypatch.setattr(ledger_ops, "problem", lambda _ws, _code: stale)  # read before the other move
    with pytest.raises(LedgerError, match="changed meanwhile"):
        ledger_ops.move(ws, ADMIN, code, "assigned")
    monkeypatch.undo()
    assert list(ledger_ops.history(ws, code)["to_state"]) == ["found", "assigned"]


def test_xlsx_export_reads_back_as_a_ledger(ws) -> None:
    a = ledger_ops.add_problem(ws, ADMIN, _new(location="白河右岸", responsible_unit='=HYPERLINK("x")'))[
        "code"
    ]
    b = ledger_ops.add_problem(ws, ADMIN, _new(HEBEI_POINT, deadline=dt.date(2099, 1, 1)))["code"]
    for step in ("assigned", "being_fixed", "fix_submitted", "verified", "closed"):
        ledger_ops.move(
            ws, ADMIN, a, step, "已整改" if step == "fix_submitted" else None, at="2024-06-20T00:00:00Z"
        )
    data = export_ledger(ws, ledger_ops.problems(ws), today=dt.date(2024, 8, 1))
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    assert "问题台账" in sheet["A1"].value and "A1:L1" in {str(r) for r in sheet.merged_cells.ranges}
    assert [c.value for c in sheet[3]] == [c[0] for c in COLUMNS]
    assert sheet["A2"].value == "问题情况" and sheet["H2"].value == "整改落实"
    assert sheet.freeze_panes == "C4"
    assert sheet.column_dimensions["K"].width == 36
    rows = [[c.value for c in r] for r in sheet.iter_rows(min_row=4)]
    assert len(rows) == 2
    first = dict(zip([c[0] for c in COLUMNS], rows[0], strict=True))
    assert first["问题编号"] == a and first["来源"] == "日常巡查" and first["类别"] == "乱堆"
    assert first["位置"] == "白河右岸" and first["所属行政区"] == "密云区" and first["当前状态"] == "已销号"
    assert (
        first["整改情况"] == "已整改"
        and first["销号时间"] == "2024-06-20"
        and first["整改时限"] == "2024-07-01"
    )
    second = dict(zip([c[0] for c in COLUMNS], rows[1], strict=True))
    assert second["问题编号"] == b and second["所属行政区"] == "隆化县" and second["当前状态"] == "发现"
    assert second["位置"].startswith("117.10000°E")
