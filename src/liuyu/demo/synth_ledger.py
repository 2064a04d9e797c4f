"""The demo's problem ledger and facility proposals: problems in every state, some overdue.

Dates are relative to the day the demo is built (the ledger is daily work: a ledger of 2024 seen
in a later year would be all overdue); the seed fixes everything else. Problems lie near the
rivers and reservoirs, where inspections find them.
"""

from __future__ import annotations

import datetime as dt
import struct
import zlib

import geopandas as gpd
import numpy as np
import shapely

from liuyu.access import Principal
from liuyu.manage import facilities_ops, ledger_ops
from liuyu.manage.ledger import load_codes
from liuyu.workspace import Workspace

#: How far along the life cycle each demo problem got (every state appears; `reopened` too).
PATHS = {
    "found": ["found"],
    "assigned": ["found", "assigned"],
    "being_fixed": ["found", "assigned", "being_fixed"],
    "fix_submitted": ["found", "assigned", "being_fixed", "fix_submitted"],
    "verified": ["found", "assigned", "being_fixed", "fix_submitted", "verified"],
    "closed": ["found", "assigned", "being_fixed", "fix_submitted", "verified", "closed"],
    "reopened": ["found", "assigned", "being_fixed", "fix_submitted", "verified", "closed", "reopened"],
}
COUNTS = {
    "found": 5,
    "assigned": 5,
    "being_fixed": 6,
    "fix_submitted": 4,
    "verified": 4,
    "closed": 8,
    "reopened": 2,
}
TITLES = {
    "illegal_occupation": "河道管理范围内违法占用耕种",
    "illegal_extraction": "河道内非法采砂",
    "illegal_dumping": "河滩堆放生活垃圾和建筑垃圾",
    "illegal_building": "管理范围内违法建设临时房屋",
    "pollution_source": "村庄生活污水直排入河",
    "illegal_fishing": "水库禁渔期非法捕捞",
    "soil_conservation": "陡坡开垦未采取水土保持措施",
}
NOTES = {
    "assigned": "已交办属地乡镇政府",
    "being_fixed": "责任单位已制定整改方案",
    "fix_submitted": "已清理完毕，提交现场照片",
    "verified": "现场复核，整改到位",
    "closed": "同意销号",
    "reopened": "回访发现问题反弹",
}
UNITS = {
    "beijing": ["密云区水务局", "怀柔区水务局", "延庆区生态环境局"],
    "hebei": ["丰宁县水务局", "滦平县水务局", "赤城县生态环境分局"],
}


def _png(rgb: tuple[int, int, int], w: int = 64, h: int = 48) -> bytes:
    """A tiny solid-colour PNG (a stand-in for a field photo)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + bytes(rgb) * w for _ in range(h))
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
    )


def _places(ws: Workspace, n: int, rng: np.random.Generator) -> gpd.GeoDataFrame:
    """Points a few hundred metres off the rivers and a few small polygons (dumps, buildings), with
    the jurisdiction of the county they fall in."""
    crs = ws.config.crs.analysis
    rivers = ws.read_layer("rivers").to_crs(crs)
    lines = rivers.geometry.to_numpy()[rng.integers(0, len(rivers), n)]
    at = shapely.line_interpolate_point(lines, rng.uniform(0.1, 0.9, n), normalized=True)
    geoms = shapely.points(
        shapely.get_x(at) + rng.normal(0, 150, n), shapely.get_y(at) + rng.normal(0, 150, n)
    )
    poly = rng.random(n) < 0.2
    geoms[poly] = shapely.buffer(geoms[poly], rng.uniform(20, 60, int(poly.sum())), quad_segs=2)
    places = gpd.GeoDataFrame(geometry=geoms, crs=crs).to_crs(4490)
    counties = ws.read_layer("counties")
    _, ci = shapely.STRtree(counties.geometry.array).query_nearest(
        shapely.point_on_surface(places.geometry.array), all_matches=False
    )
    places["jurisdiction"] = counties["jurisdiction"].to_numpy()[ci]
    return places


def build_ledger(ws: Workspace, seed: int, today: dt.date | None = None) -> int:
    """Fill the ledger with demo problems (every state, some overdue); returns how many."""
    rng = np.random.default_rng(seed + 9)
    today = today or dt.date.today()
    states = [s for s, k in COUNTS.items() for _ in range(k)]
    places = _places(ws, len(states), rng)
    cats = list(load_codes()["categories"])
    sources = list(load_codes()["sources"])
    admin = Principal("演示管理员", "admin", "basin")
    for i, (final, geom, jur) in enumerate(zip(states, places.geometry, places["jurisdiction"], strict=True)):
        cat = cats[int(rng.integers(len(cats)))]
        age = int(rng.integers(5, 200))
        found = dt.datetime.combine(today - dt.timedelta(days=age), dt.time(9, 30), dt.UTC)
        units = UNITS.get(jur, UNITS["beijing"])
        new = ledger_ops.NewProblem(
            title=TITLES[cat],
            source=sources[int(rng.integers(len(sources)))],
            category=cat,
            geometry=geom,
            responsible_unit=units[int(rng.integers(len(units)))],
            deadline=(found + dt.timedelta(days=int(rng.choice([30, 60, 90])))).date(),
            found_at=found,
            description=f"演示问题 {i + 1}（合成数据）",
        )
        rec = ledger_ops.add_problem(ws, admin, new)
        steps = PATHS[final][1:]
        days = np.sort(rng.uniform(0, age, len(steps)))
        for step, d in zip(steps, days, strict=True):
            at = (found + dt.timedelta(days=float(d))).strftime("%Y-%m-%dT%H:%M:%S.000000Z")
            ledger_ops.move(ws, admin, rec["code"], step, NOTES.get(step), at=at)
        if i % 9 == 0:
            colour = tuple(int(v) for v in rng.integers(60, 200, 3))
            ledger_ops.add_photo(ws, admin, rec["code"], _png(colour), "现场.png")  # type: ignore[arg-type]
    return len(states)


def build_proposals(ws: Workspace) -> int:
    """Three proposals from inspections: one approved (a new facilities version), one rejected, one open."""
    reg = facilities_ops.registry(ws)
    if len(reg) < 3:
        return 0
    inspector = Principal("巡查员", "editor", "basin")
    editor = Principal("审核员", "editor", "basin")
    first, second, third = reg.iloc[0], reg.iloc[len(reg) // 2], reg.iloc[-1]
    a = facilities_ops.propose(
        ws, inspector, first["code"], {"capacity_m3d": float(first["capacity_m3d"]) * 2}, "现场核查：已扩建"
    )
    facilities_ops.approve(ws, editor, a, "与扩建验收资料一致")
    b = facilities_ops.propose(
        ws,
        inspector,
        second["code"],
        {"process": "人工湿地" if second["process"] != "人工湿地" else "MBR"},
        "现场所见工艺与台账不符",
    )
    facilities_ops.reject(ws, editor, b, "人工湿地为深度处理单元，主工艺未变")
    facilities_ops.propose(ws, inspector, third["code"], {"status": "停运"}, "设备故障停运两周")
    return 3
