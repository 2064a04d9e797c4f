"""Station and sewage-facility attributes: agency-style codes, agencies, targets, standards."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from liuyu.demo.synth_common import ANALYSIS_CRS, GeomArray, lonlat, masked, sample_grid
from liuyu.demo.synth_terrain import POOL, Terrain

# Hydrological stations carry 8-digit STCD-like codes: an area prefix, a kind digit and a
# serial. Environment agencies use their area code plus a two-letter kind (1101SZ003), and
# outfalls and rural facilities are numbered per county (110118PK0007).
_HYDRO_PREFIX = {"1101": "3050", "1307": "3060", "1308": "3070"}
_HYDRO_DIGIT = {"flow": "1", "level": "3", "rain": "5"}
_ENV_TAG = {"water_quality": "SZ", "auto_water_quality": "ZD", "ecology": "ST", "soil_conservation": "SB"}
_COUNTY_TAG = {"sewage_outfall": "PK", "rural_sewage": "NW"}
_AREA_NAME = {"1101": "北京市", "1307": "张家口市", "1308": "承德市"}
_HEBEI_AREA_OF_RIVER = {"白河": "1307", "黑河": "1307", "潮河": "1308", "汤河": "1308", "清水河": "1308"}


def _agency(kind: str, area: str, county_name: str) -> str:
    """Which body runs a station of this kind in this area (Beijing or a Hebei prefecture)."""
    bj = area == "1101"
    if kind in _HYDRO_DIGIT:
        return "北京市水文总站" if bj else f"河北省{_AREA_NAME[area]}水文勘测研究中心"
    if kind in ("water_quality", "auto_water_quality", "ecology"):
        return "北京市生态环境监测中心" if bj else f"{_AREA_NAME[area]}生态环境监测中心"
    if kind == "soil_conservation":
        return "北京市水土保持工作总站" if bj else f"{_AREA_NAME[area]}水土保持监测站"
    if kind == "sewage_outfall":
        return f"北京市{county_name}生态环境局" if bj else f"{_AREA_NAME[area]}生态环境局{county_name}分局"
    return f"北京市{county_name}水务局" if bj else f"{county_name}农业农村局"


def _codes(kind: np.ndarray, area: np.ndarray, county: np.ndarray) -> np.ndarray:
    """Agency-style station codes, numbered in order within each (pattern, kind) group."""
    prefix = np.empty(len(kind), dtype=object)
    for i, (k, a, c) in enumerate(zip(kind, area, county, strict=True)):
        if k in _HYDRO_DIGIT:
            prefix[i] = _HYDRO_PREFIX[a] + _HYDRO_DIGIT[k]
        elif k in _ENV_TAG:
            prefix[i] = a + _ENV_TAG[k]
        else:
            prefix[i] = c + _COUNTY_TAG[k]
    serial = pd.Series(prefix).groupby(prefix).cumcount().to_numpy() + 1
    width = np.where(kind == "sewage_outfall", 4, 3)
    return np.array([f"{p}{s:0{w}d}" for p, s, w in zip(prefix, serial, width, strict=True)], dtype=object)


def _where(
    pts: GeomArray, counties: gpd.GeoDataFrame, twps: gpd.GeoDataFrame
) -> tuple[np.ndarray, np.ndarray]:
    """County index and township index of each point (nearest, so shore points count)."""
    _, ci = shapely.STRtree(counties.geometry.array).query_nearest(pts, all_matches=False)
    _, ti = shapely.STRtree(twps.geometry.array).query_nearest(pts, all_matches=False)
    return ci, ti


def station_attributes(
    geoms: GeomArray,
    frame: pd.DataFrame,
    rivers: gpd.GeoDataFrame,
    counties: gpd.GeoDataFrame,
    twps: gpd.GeoDataFrame,
    terrain: Terrain,
    rng: np.random.Generator,
) -> gpd.GeoDataFrame:
    """The `stations` table (analysis CRS) plus private columns the observations use.

    Private columns (dropped before writing): ``river_i``, ``border``, ``bad`` (sections
    given exceedances), ``facility`` and ``drainage_km2``.
    """
    ci, ti = _where(geoms, counties, twps)
    county = counties["code"].to_numpy()[ci]
    cname = counties["name"].to_numpy()[ci]
    juris = counties["jurisdiction"].to_numpy()[ci]
    area = np.where(juris == "beijing", "1101", np.array([c[:4] for c in county]))
    kind = frame["kind"].to_numpy()
    river_i = frame["river_i"].to_numpy().astype(int)
    lake = frame["water_type"].to_numpy() == "lake_reservoir"
    rname, drain = _rivers_of(geoms, frame, rivers)
    lon, lat = lonlat(shapely.get_x(geoms), shapely.get_y(geoms))
    elev = _elevation(geoms, rname, lake, terrain)
    wq_like = np.isin(kind, ["water_quality", "auto_water_quality", "ecology"])
    target = _targets(kind, frame["role"].to_numpy(), elev, rng)
    drainage = masked(river_i >= 0, np.round(drain, 1))
    codes = _codes(kind, area, county)
    out = pd.DataFrame(
        {
            "code": codes,
            "name": frame["name"].to_numpy(),
            "kind": kind,
            "agency": [_agency(k, a, c) for k, a, c in zip(kind, area, cname, strict=True)],
            "river": rname,
            "river_system": "潮白河水系",
            "role": frame["role"].to_numpy(),
            "control_level": masked(wq_like, frame["control_level"].to_numpy()),
            "water_type": masked(
                wq_like | np.isin(kind, ["flow", "level"]), np.where(lake, "lake_reservoir", "river")
            ),
            "target_class": masked(wq_like, target),
            "aliases": _aliases(frame, rname),
            "longitude": np.round(lon, 6),
            "latitude": np.round(lat, 6),
            "elevation_m": elev,
            "location": [
                f"{counties['province'].iloc[c]}{cn}{twps['name'].iloc[t]}"
                for c, cn, t in zip(ci, cname, ti, strict=True)
            ],
            "county_code": county,
            "drainage_area_km2": drainage,
            "established": _established(kind, rng),
        }
    )
    out["river_i"], out["border"], out["facility"] = river_i, frame["border"], frame["facility"]
    out["bad"] = _bad_sections(out, rng)
    out["drainage_km2"] = drain
    return gpd.GeoDataFrame(out, geometry=geoms, crs=ANALYSIS_CRS)


def _rivers_of(
    geoms: GeomArray, frame: pd.DataFrame, rivers: gpd.GeoDataFrame
) -> tuple[np.ndarray, np.ndarray]:
    """River (or reservoir) name at each station and the area draining to it (0 off-river).

    The drainage area grows downstream along the river as (position along it) ** 1.3 of
    the river's catchment, a rough stand-in for accumulating small watersheds.
    """
    river_i = frame["river_i"].to_numpy().astype(int)
    on_river = river_i >= 0
    rname = masked(on_river, rivers["name"].to_numpy()[np.maximum(river_i, 0)])
    lake = frame["water_type"].to_numpy() == "lake_reservoir"
    lake_name = np.where(
        np.char.find(frame["name"].to_numpy().astype(str), "白河堡") >= 0, "白河堡水库", "密云水库"
    )
    rname = np.where(lake, lake_name, rname)
    frac = np.zeros(len(geoms))
    frac[on_river] = shapely.line_locate_point(
        rivers.geometry.to_numpy()[river_i[on_river]], geoms[on_river], normalized=True
    )
    catch = np.where(on_river, rivers["catchment_km2"].to_numpy()[np.maximum(river_i, 0)], 0.0)
    return rname, catch * np.maximum(frac, 0.02) ** 1.3


def _elevation(geoms: GeomArray, rname: np.ndarray, lake: np.ndarray, terrain: Terrain) -> np.ndarray:
    """Ground elevation from the DEM; reservoir points get their pool level instead."""
    elev = sample_grid(terrain.z90, terrain.t90, shapely.get_x(geoms), shapely.get_y(geoms))
    elev = np.where(lake & (rname == "密云水库"), POOL, np.round(elev.astype(float), 1))
    return np.where(lake & (rname == "白河堡水库"), terrain.baihebao_level, elev)


def _targets(kind: np.ndarray, role: np.ndarray, elev: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Class II everywhere except a few low control sections downstream of towns (III)."""
    target = np.full(len(kind), "II", dtype=object)
    ctrl = np.nonzero((kind == "water_quality") & (role == "control"))[0]
    low = ctrl[np.argsort(elev[ctrl])[:6]]
    target[low] = "III"
    return target


def _bad_sections(st: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    """Flag six river sections whose samples will show Class IV/V exceedances."""
    cand = np.nonzero(
        ((st["kind"] == "water_quality") & st["role"].isin(["control", "county_boundary"])).to_numpy()
    )[0]
    bad = np.zeros(len(st), dtype=bool)
    bad[rng.choice(cand, size=min(6, len(cand)), replace=False)] = True
    return bad


def _aliases(frame: pd.DataFrame, rname: np.ndarray) -> np.ndarray:
    """Cross-border sections are also monitored by Hebei under its own code."""
    out = np.full(len(frame), None, dtype=object)
    border = np.nonzero(frame["border"].to_numpy())[0]
    for k, i in enumerate(border):
        out[i] = f"{_HEBEI_AREA_OF_RIVER.get(str(rname[i]), '1308')}SZ9{k + 1:02d}"
    return out


def _established(kind: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Founding dates: hydrology decades old, automatic and outfall monitoring recent."""
    start = {
        "rain": 1958,
        "flow": 1956,
        "level": 1960,
        "water_quality": 1985,
        "auto_water_quality": 2015,
        "ecology": 2018,
        "soil_conservation": 2004,
        "sewage_outfall": 2019,
        "rural_sewage": 2016,
    }
    first = np.array([start[k] for k in kind])
    year = first + (rng.random(len(kind)) * (2021 - first)).astype(int)
    day = rng.integers(0, 365, len(kind))
    dates = pd.to_datetime(year.astype(str), format="%Y") + pd.to_timedelta(day, unit="D")
    return dates.strftime("%Y-%m-%d").to_numpy()


_PROCESS = np.array(["A/O", "A2/O", "MBR", "生物接触氧化", "人工湿地", "SBR", "一体化设备"])


def sewage_facilities(
    villages: gpd.GeoDataFrame,
    rivers: gpd.GeoDataFrame,
    counties: gpd.GeoDataFrame,
    rng: np.random.Generator,
    n: int = 165,
) -> gpd.GeoDataFrame:
    """Rural sewage facilities at the larger villages, discharging to the nearest river.

    Beijing facilities follow DB11/1612-2019, Hebei ones GB 18918-2002 (codes as in the
    `discharge_standard` code list).
    """
    w = villages["population"].to_numpy().astype(float)
    pick = np.sort(rng.choice(len(villages), size=n, replace=False, p=w / w.sum()))
    vil = villages.iloc[pick]
    pts = vil.geometry.to_numpy()
    tree = shapely.STRtree(rivers.geometry.to_numpy())
    _, ri = tree.query_nearest(pts, all_matches=False)
    near = shapely.line_interpolate_point(
        rivers.geometry.to_numpy()[ri], shapely.line_locate_point(rivers.geometry.to_numpy()[ri], pts)
    )
    t = np.clip(rng.uniform(150.0, 400.0, n) / np.maximum(shapely.distance(pts, near), 1.0), 0, 0.8)
    x = shapely.get_x(pts) + (shapely.get_x(near) - shapely.get_x(pts)) * t
    y = shapely.get_y(pts) + (shapely.get_y(near) - shapely.get_y(pts)) * t
    county = vil["county_code"].to_numpy()
    bj = np.isin(county, counties.loc[counties["jurisdiction"] == "beijing", "code"])
    serial = pd.Series(county).groupby(county).cumcount().to_numpy() + 1
    codes = [f"{c}WS{s:03d}" for c, s in zip(county, serial, strict=True)]
    pop = vil["population"].to_numpy()
    cap = np.array([10, 20, 30, 50, 80, 100, 150, 200, 300, 500])
    capacity = cap[np.clip(np.searchsorted(cap, pop * 0.09), 0, len(cap) - 1)]
    frame = pd.DataFrame(
        {
            "code": codes,
            "name": np.char.add(vil["name"].to_numpy().astype(str), "污水处理站"),
            "village": vil["name"].to_numpy(),
            "village_code": vil["code"].to_numpy(),
            "township_code": vil["township_code"].to_numpy(),
            "county_code": county,
            "capacity_m3d": capacity.astype(float),
            "process": rng.choice(_PROCESS, n, p=[0.25, 0.2, 0.15, 0.15, 0.1, 0.1, 0.05]),
            "operator": np.where(bj, "区农村污水运维中心", "县域污水处理特许经营公司"),
            "outfall": [f"{c}-P1" for c in codes],
            "receiving_water": rivers["name"].to_numpy()[ri],
            "standard": np.where(bj, "DB11/1612-2019", "GB18918-2002"),
            "standard_class": np.where(bj, "一级A", rng.choice(["一级A", "一级B"], n, p=[0.6, 0.4])),
            "served_households": vil["households"].to_numpy(),
            "served_population": pop,
            "status": rng.choice(["正常运行", "间歇运行", "停运"], n, p=[0.85, 0.1, 0.05]),
            "commissioned": pd.to_datetime(rng.integers(2008, 2023, n).astype(str), format="%Y")
            .strftime("%Y-06-30")
            .to_numpy(),
        }
    )
    return gpd.GeoDataFrame(frame, geometry=shapely.points(x, y), crs=ANALYSIS_CRS)
