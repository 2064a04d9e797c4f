"""The monitoring network: 429 stations of nine kinds run by several agencies."""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

from liuyu.demo.synth_common import GeomArray, place_names, random_points_in

COUNTS = {
    "rain": 190,
    "flow": 25,
    "level": 20,
    "water_quality": 101,
    "auto_water_quality": 12,
    "ecology": 20,
    "soil_conservation": 14,
    "sewage_outfall": 32,
    "rural_sewage": 15,
}
BORDER_RIVERS = ("潮河", "白河", "清水河", "黑河", "汤河")


@dataclass
class Sites:
    """Station positions and the attributes known when placing them."""

    geoms: list[GeomArray]
    attrs: list[pd.DataFrame]

    def add(self, geoms: npt.ArrayLike, **cols: object) -> None:
        arr = np.asarray(geoms, dtype=object)
        self.geoms.append(arr)
        self.attrs.append(pd.DataFrame(dict(cols), index=range(len(arr))))


def _on_rivers(
    rivers: gpd.GeoDataFrame, n: int, rng: np.random.Generator, lo: float = 0.05, hi: float = 0.95
) -> tuple[GeomArray, np.ndarray, np.ndarray]:
    """``n`` points on rivers chosen in proportion to length: (points, river index, fraction)."""
    lengths = rivers.geometry.length.to_numpy()
    idx = rng.choice(len(rivers), size=n, p=lengths / lengths.sum())
    frac = rng.uniform(lo, hi, n)
    pts = shapely.line_interpolate_point(rivers.geometry.to_numpy()[idx], frac, normalized=True)
    return pts, idx, frac


def _crossings(
    rivers: gpd.GeoDataFrame, lines: shapely.Geometry, names: tuple[str, ...] | None = None
) -> tuple[GeomArray, np.ndarray]:
    """First point where each (named) river crosses ``lines``, nudged 200 m downstream."""
    pts, idx = [], []
    for i, (name, geom) in enumerate(zip(rivers["name"], rivers.geometry, strict=True)):
        if names is not None and name not in names:
            continue
        hits = shapely.get_parts(shapely.intersection(geom, lines))
        for h in hits[shapely.get_type_id(hits) == 0]:
            at = min(geom.project(h) + 200.0, geom.length)
            pts.append(geom.interpolate(at))
            idx.append(i)
    return np.array(pts, dtype=object), np.array(idx, dtype=int)


def _sections(
    s: Sites,
    rivers: gpd.GeoDataFrame,
    counties: gpd.GeoDataFrame,
    beijing: shapely.Geometry,
    miyun: shapely.Geometry,
    bhb: shapely.Geometry,
    rng: np.random.Generator,
) -> None:
    """The 101 manual water-quality sections: cross-border, county-border, inflow, lake, rest."""
    _border_sections(s, rivers, counties, beijing)
    _reservoir_sections(s, rivers, miyun, bhb, rng)
    names = rivers["name"].to_numpy()
    have = sum(len(g) for g in s.geoms)
    rest, rri, frac = _on_rivers(rivers, COUNTS["water_quality"] - have, rng)
    role = np.where(frac < 0.25, "background", "control")
    s.add(
        rest,
        kind="water_quality",
        river_i=rri,
        role=role,
        name=[f"{n}{k}" for n, k in zip(names[rri], place_names(rng, len(rri), "断面"), strict=True)],
        control_level=rng.choice(["市控", "区控"], len(rri)),
    )


def _border_sections(
    s: Sites, rivers: gpd.GeoDataFrame, counties: gpd.GeoDataFrame, beijing: shapely.Geometry
) -> None:
    """Sections where the five agreement rivers enter Beijing, and at county lines."""
    pts, ri = _crossings(rivers, shapely.boundary(beijing), BORDER_RIVERS)
    _, first = np.unique(ri, return_index=True)
    pts, ri = pts[first], ri[first]
    names = rivers["name"].to_numpy()
    s.add(
        pts,
        kind="water_quality",
        river_i=ri,
        role="provincial_boundary",
        name=[f"{n}入境（冀京界）" for n in names[ri]],
        control_level="国控",
        border=True,
    )
    inner = shapely.difference(
        shapely.union_all(shapely.boundary(counties.geometry.array)), shapely.boundary(beijing).buffer(500.0)
    )
    cpts, cri = _crossings(rivers[rivers["order"] <= 2], inner)
    cri = rivers.index[rivers["order"] <= 2].to_numpy()[cri]
    s.add(
        cpts,
        kind="water_quality",
        river_i=cri,
        role="county_boundary",
        name=[f"{n}区县界{i + 1}" for i, n in enumerate(names[cri])],
        control_level="市控",
    )


def _reservoir_sections(
    s: Sites,
    rivers: gpd.GeoDataFrame,
    miyun: shapely.Geometry,
    bhb: shapely.Geometry,
    rng: np.random.Generator,
) -> None:
    """The inflow sections 张家坟 (白河) and 下会 (潮河), and points in both reservoirs."""
    names = rivers["name"].to_numpy()
    for river, back, label in (("白河", 6000.0, "张家坟"), ("潮河", 3500.0, "下会")):
        i = int(np.nonzero(names == river)[0][0])
        g = rivers.geometry.iloc[i]
        s.add(
            [g.interpolate(g.length - back)],
            kind="water_quality",
            river_i=[i],
            role="reservoir_inflow",
            name=[label],
            control_level="国控",
        )
    lake_names = ["密云水库库中", "白河主坝前", "潮河主坝前", "白河库区", "潮河库区", "金沟", "内湖", "库东"]
    lake = _spread(miyun.buffer(-400.0), len(lake_names), rng)
    s.add(
        np.append(lake, bhb.centroid),
        kind="water_quality",
        river_i=-1,
        role="reservoir",
        name=[*lake_names, "白河堡水库库区"],
        control_level="国控",
        water_type="lake_reservoir",
    )


def _spread(area: shapely.Geometry, n: int, rng: np.random.Generator) -> GeomArray:
    """``n`` well-spread points inside ``area`` (best of many random candidates per point)."""
    cand = random_points_in(area, n * 40, rng)
    x, y = shapely.get_x(cand), shapely.get_y(cand)
    chosen = [0]
    d = np.hypot(x - x[0], y - y[0])
    for _ in range(n - 1):
        k = int(np.argmax(d))
        chosen.append(k)
        d = np.minimum(d, np.hypot(x - x[k], y - y[k]))
    return cand[chosen]


def _hydro(
    s: Sites,
    rivers: gpd.GeoDataFrame,
    basin: shapely.Geometry,
    miyun: shapely.Geometry,
    bhb: shapely.Geometry,
    rng: np.random.Generator,
) -> None:
    """Rain gauges spread over the basin, flow and level stations on the rivers."""
    s.add(
        _spread(basin.buffer(-300.0), COUNTS["rain"], rng),
        kind="rain",
        river_i=-1,
        name=np.char.add(place_names(rng, COUNTS["rain"], ""), "雨量站"),
    )
    names = rivers["name"].to_numpy()
    b = int(np.nonzero(names == "白河")[0][0])
    c = int(np.nonzero(names == "潮河")[0][0])
    gb, gc = rivers.geometry.iloc[b], rivers.geometry.iloc[c]
    s.add(
        [gb.interpolate(gb.length - 6100.0), gc.interpolate(gc.length - 3600.0)],
        kind="flow",
        river_i=[b, c],
        name=["张家坟", "下会"],
        role="reservoir_inflow",
    )
    fp, fi, _ = _on_rivers(rivers[rivers["order"] <= 2], COUNTS["flow"] - 2, rng, 0.3, 0.9)
    fi = rivers.index[rivers["order"] <= 2].to_numpy()[fi]
    s.add(fp, kind="flow", river_i=fi, name=np.char.add(place_names(rng, len(fi), ""), "水文站"))
    s.add(
        [miyun.boundary.interpolate(0.37, normalized=True), bhb.centroid],
        kind="level",
        river_i=-1,
        name=["密云水库坝上", "白河堡水库"],
        water_type="lake_reservoir",
        role="reservoir",
    )
    lp, li, _ = _on_rivers(rivers, COUNTS["level"] - 2, rng, 0.2, 0.95)
    s.add(lp, kind="level", river_i=li, name=np.char.add(place_names(rng, len(li), ""), "水位站"))


def _others(
    s: Sites,
    rivers: gpd.GeoDataFrame,
    sws: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    twps: gpd.GeoDataFrame,
    rng: np.random.Generator,
) -> None:
    """Automatic stations at key sections, ecology, soil-conservation, outfalls, rural sewage."""
    _automatic(s, rng)
    _field_sites(s, rivers, sws, rng)
    _effluent(s, rivers, facilities, twps, rng)


def _automatic(s: Sites, rng: np.random.Generator) -> None:
    """Automatic stations beside the cross-border, inflow and first lake sections."""
    wq = pd.concat(s.attrs, ignore_index=True)
    wq = wq.where(wq["kind"] == "water_quality")  # other kinds' rows become NaN, never picked
    key = np.nonzero(wq["role"].isin(["provincial_boundary", "reservoir_inflow"]).to_numpy())[0]
    lake = np.nonzero((wq["role"] == "reservoir").to_numpy())[0][:3]
    pick = np.concatenate([key, lake])[: COUNTS["auto_water_quality"]]
    extra = COUNTS["auto_water_quality"] - len(pick)
    if extra > 0:
        ctrl = np.nonzero((wq["role"] == "county_boundary").to_numpy())[0]
        pick = np.concatenate([pick, ctrl[:extra]])
    src = np.concatenate(s.geoms)[pick]
    s.add(
        _nudge(src, 60.0, rng),
        kind="auto_water_quality",
        river_i=wq["river_i"].to_numpy()[pick],
        name=np.char.add(wq["name"].to_numpy()[pick].astype(str), "自动站"),
        role=wq["role"].to_numpy()[pick],
        water_type=wq["water_type"].to_numpy()[pick],
        control_level="国控",
    )


def _field_sites(s: Sites, rivers: gpd.GeoDataFrame, sws: gpd.GeoDataFrame, rng: np.random.Generator) -> None:
    """Aquatic-ecology sites on the rivers and soil-conservation plots in small watersheds."""
    ep, ei, _ = _on_rivers(rivers, COUNTS["ecology"], rng)
    s.add(ep, kind="ecology", river_i=ei, name=np.char.add(place_names(rng, len(ei), ""), "水生态监测点"))
    sw = rng.choice(len(sws), COUNTS["soil_conservation"], replace=False)
    s.add(
        shapely.point_on_surface(sws.geometry.to_numpy()[sw]),
        kind="soil_conservation",
        river_i=-1,
        name=np.char.add(sws["name"].to_numpy()[sw].astype(str), "径流小区"),
    )


def _effluent(
    s: Sites,
    rivers: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    twps: gpd.GeoDataFrame,
    rng: np.random.Generator,
) -> None:
    """Outfalls where town seats' sewage reaches the nearest river; monitored rural plants."""
    is_town = twps["is_town"].to_numpy()
    pick = rng.choice(
        int(is_town.sum()), size=min(COUNTS["sewage_outfall"], int(is_town.sum())), replace=False
    )
    towns = twps[is_town].iloc[np.sort(pick)]
    seats = shapely.points(towns["seat_x"].to_numpy(), towns["seat_y"].to_numpy())
    n_out = COUNTS["sewage_outfall"]
    seats = np.resize(seats, n_out)
    tree = shapely.STRtree(rivers.geometry.to_numpy())
    _, ri = tree.query_nearest(seats, all_matches=False)
    outs = shapely.line_interpolate_point(
        rivers.geometry.to_numpy()[ri], shapely.line_locate_point(rivers.geometry.to_numpy()[ri], seats)
    )
    s.add(
        _nudge(outs, 40.0, rng),
        kind="sewage_outfall",
        river_i=ri,
        name=np.char.add(
            np.resize(towns["name"].to_numpy().astype(str), n_out),
            [f"污水处理站排口{i % 3 + 1}" for i in range(n_out)],
        ),
    )
    fi = rng.choice(len(facilities), COUNTS["rural_sewage"], replace=False)
    s.add(
        facilities.geometry.to_numpy()[fi],
        kind="rural_sewage",
        river_i=-1,
        name=np.char.add(facilities["name"].to_numpy()[fi].astype(str), "出水"),
        facility=facilities["code"].to_numpy()[fi],
    )


def _nudge(pts: GeomArray, dist: float, rng: np.random.Generator) -> GeomArray:
    """Move points a little in a random direction (co-located stations stay distinct)."""
    a = rng.uniform(0, 2 * np.pi, len(pts))
    return shapely.points(shapely.get_x(pts) + dist * np.cos(a), shapely.get_y(pts) + dist * np.sin(a))


def place_stations(
    rivers: gpd.GeoDataFrame,
    counties: gpd.GeoDataFrame,
    sws: gpd.GeoDataFrame,
    twps: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    basin: shapely.Geometry,
    beijing: shapely.Geometry,
    miyun: shapely.Geometry,
    bhb: shapely.Geometry,
    rng: np.random.Generator,
) -> tuple[GeomArray, pd.DataFrame]:
    """Positions of all 429 stations and their kind, river index, role, name."""
    s = Sites([], [])
    _sections(s, rivers, counties, beijing, miyun, bhb, rng)
    _hydro(s, rivers, basin, miyun, bhb, rng)
    _others(s, rivers, sws, facilities, twps, rng)
    frame = pd.concat(s.attrs, ignore_index=True)
    for col, default in (
        ("role", None),
        ("water_type", None),
        ("control_level", None),
        ("border", False),
        ("facility", None),
    ):
        if col not in frame:
            frame[col] = default
    frame["border"] = frame["border"].fillna(False).astype(bool)
    return np.concatenate(s.geoms), frame
