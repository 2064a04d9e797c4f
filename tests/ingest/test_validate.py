"""Validate and repair: empty, wrong-typed and invalid geometries; duplicates; coverage; the basin."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from liuyu.catalog import get_category
from liuyu.geo.coverage import coverage_issues
from liuyu.ingest.duplicates import find_duplicates
from liuyu.ingest.problems import ProblemLog
from liuyu.ingest.validate import check_geometries, outside_basin

LAND, STATIONS, RIVERS = get_category("land_use"), get_category("stations"), get_category("rivers")
BOX = shapely.box(117.0, 40.0, 117.01, 40.01)
BOWTIE = shapely.Polygon([(117.0, 40.0), (117.01, 40.01), (117.01, 40.0), (117.0, 40.01)])


def reasons(log: ProblemLog) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    for pos, reason in log.frame()[["pos", "reason"]].itertuples(index=False):
        out.setdefault(int(pos), []).append(reason)
    return out


def test_empty_null_and_wrong_types_are_quarantined_collections_keep_their_parts() -> None:
    geoms = np.array(
        [
            BOX,
            None,
            shapely.Polygon(),
            shapely.Point(117, 40),
            shapely.GeometryCollection([BOX, shapely.LineString([(117, 40), (118, 41)])]),
            shapely.GeometryCollection([shapely.Point(117, 40)]),
        ],
        dtype=object,
    )
    log = ProblemLog()
    out, repairs = check_geometries(geoms, LAND, log, "EPSG:4548")
    assert reasons(log) == {
        1: ["empty_geometry"],
        2: ["empty_geometry"],
        3: ["wrong_geometry_type"],
        4: ["collection_parts"],
        5: ["wrong_geometry_type"],
    }
    assert list(log.error_positions()) == [1, 2, 3, 5]
    assert out[4].geom_type == "MultiPolygon" and out[4].equals(shapely.multipolygons([BOX]))
    assert log.frame().set_index("pos").loc[4, "detail"] == "kept 1 of 2 parts"
    assert repairs == []


def test_self_intersecting_polygons_are_repaired_and_logged_with_areas() -> None:
    log = ProblemLog()
    out, repairs = check_geometries(np.array([BOX, BOWTIE], dtype=object), LAND, log, "EPSG:4548")
    assert shapely.is_valid(out).all() and out[1].geom_type == "MultiPolygon"
    (r,) = repairs
    assert r["pos"] == 1 and r["reason"].startswith("Self-intersection")
    assert r["area_m2_before"] == pytest.approx(0.0, abs=1.0)  # the two lobes cancel out
    assert r["area_m2_after"] == pytest.approx(shapely.area(BOX) / 2 / shapely.area(BOX) * 948_000, rel=0.01)
    assert log.frame()["severity"].tolist() == ["warning"]


def test_points_multipoints_and_lines() -> None:
    pts = np.array(
        [shapely.MultiPoint([(117, 40)]), shapely.MultiPoint([(117, 40), (117.1, 40)])], dtype=object
    )
    log = ProblemLog()
    out, _ = check_geometries(pts, STATIONS, log, "EPSG:4548")
    assert out[0].geom_type == "Point" and reasons(log) == {
        0: ["collection_parts"],
        1: ["wrong_geometry_type"],
    }
    lines = np.array(
        [shapely.LineString([(117, 40), (117, 40)]), shapely.LineString([(117, 40), (117.1, 40)])]
    )
    log = ProblemLog()
    out, _ = check_geometries(lines, RIVERS, log, "EPSG:4548")
    assert reasons(log) == {0: ["unrepairable_geometry"]}


def frame(keys: list[str], geoms: list[object], classes: list[str] | None = None) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"parcel_id": keys, "class_code": classes or ["0101"] * len(keys), "extra": None},
        geometry=geoms,
        crs="EPSG:4490",
    )


def test_exact_duplicates_duplicate_keys_and_near_duplicates() -> None:
    shifted = shapely.affinity.translate(BOX, 0.0002, 0)  # ~17 m: 98 % overlap
    far = shapely.box(117.1, 40.1, 117.11, 40.11)
    f = frame(
        ["a", "a", "b", "b", "c"], [BOX, BOX, far, BOX, shifted], ["0101", "0101", "0101", "0103", "0101"]
    )
    log = ProblemLog()
    pos = np.arange(5)
    rows = np.arange(1, 6)
    find_duplicates(f, pos, rows, LAND, log, "EPSG:4548")
    p = log.frame().set_index("pos")
    assert p.loc[1, "reason"] == "exact_duplicate" and p.loc[1, "detail"] == "same as row 1"
    assert p.loc[3, "reason"] == "duplicate_key" and "row 3" in p.loc[3, "detail"]
    assert p.loc[4, "reason"] == "near_duplicate" and p.loc[4, "severity"] == "warning"
    assert "with row 1" in p.loc[4, "detail"]
    assert list(log.error_positions()) == [1, 3]


def test_a_million_tiles_are_no_near_duplicates_of_each_other() -> None:
    ix = np.arange(400)
    x, y = 117 + (ix % 20) * 0.01, 40 + (ix // 20) * 0.01
    f = frame([str(i) for i in ix], list(shapely.box(x, y, x + 0.01, y + 0.01)))
    log = ProblemLog()
    find_duplicates(f, ix, ix + 1, LAND, log, "EPSG:4548")
    assert log.frame().empty


def test_coverage_overlaps_gaps_and_edges_with_locations() -> None:
    a, b = shapely.box(0, 0, 10, 10), shapely.box(9, 0, 20, 10)
    ring = [
        shapely.box(0, 10, 20, 15),
        shapely.box(0, 15, 8, 25),
        shapely.box(12, 15, 20, 25),
        shapely.box(0, 25, 20, 30),
    ]
    issues = coverage_issues(np.array([a, b, *ring]))
    kinds = {i.kind for i in issues}
    assert kinds == {"overlap", "gap", "edge"}
    overlap = next(i for i in issues if i.kind == "overlap")
    assert (overlap.i, overlap.j, overlap.size) == (0, 1, 10.0) and 9 <= overlap.x <= 10
    gap = next(i for i in issues if i.kind == "gap")
    assert gap.size == pytest.approx(40.0) and 8 <= gap.x <= 12 and 15 <= gap.y <= 25
    assert coverage_issues(np.array([shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)])) == []


def test_outside_the_basin_beyond_the_tolerance() -> None:
    basin = shapely.box(116.9, 39.9, 117.1, 40.1)
    pts = np.array(
        [shapely.Point(117, 40), shapely.Point(117.105, 40), shapely.Point(117.2, 40), None], dtype=object
    )
    assert outside_basin(pts, basin, "EPSG:4548").tolist() == [False, False, True, False]
