"""Generate the synthetic-but-plausible Miyun demo basin: every layer, raster and series."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from liuyu.demo import synth_boundaries as bnd
from liuyu.demo import synth_land as land
from liuyu.demo import synth_network as net
from liuyu.demo import synth_planning as plan
from liuyu.demo import synth_quality as qual
from liuyu.demo import synth_series as series
from liuyu.demo import synth_stations as stn
from liuyu.demo import synth_terrain as ter
from liuyu.demo import synth_water as wat
from liuyu.demo import synth_zones as zon
from liuyu.demo.metadata import metadata
from liuyu.demo.synth_common import DemoBasin, Raster, conform, layer
from liuyu.demo.synth_observations import assemble

__all__ = ["DemoBasin", "Raster", "generate"]

_STAGES = ("frame", "rivers", "terrain", "admin", "land", "network", "observations")


@dataclass
class _World:
    """The projected (EPSG:4548) pieces the stages pass on; layers are made from them."""

    counties: gpd.GeoDataFrame
    basin: shapely.Geometry
    beijing: shapely.Geometry
    miyun: shapely.Geometry
    bhb: shapely.Geometry
    rivers: gpd.GeoDataFrame
    twps: gpd.GeoDataFrame
    terrain: ter.Terrain


def _world(rngs: dict[str, np.random.Generator], dem_res: float) -> _World:
    """Counties, reservoir, basin, rivers, townships and terrain: the frame of everything."""
    raw = bnd.read_counties()
    miyun = wat.miyun_reservoir(rngs["frame"])
    basin = bnd.basin_polygon(raw, miyun, rngs["frame"])
    counties = bnd.clip_counties(raw, basin)
    beijing = shapely.union_all(counties.loc[counties["jurisdiction"] == "beijing", "geometry"].to_numpy())
    mains = wat.named_rivers(rngs["rivers"], basin, miyun)
    tribs = wat.tributaries(rngs["rivers"], mains, basin)
    rivers = wat.river_frame(mains, tribs)
    bhb = wat.baihebao(mains["白河"])
    terrain = ter.terrain(basin, rivers, miyun, bhb, rngs["terrain"], dem_res)
    twps = bnd.townships(counties, rngs["admin"])
    return _World(counties, basin, beijing, miyun, bhb, rivers, twps, terrain)


def _water_layers(w: _World, rng: np.random.Generator) -> dict[str, tuple[Any, Any, str]]:
    """Rivers, reservoirs, small watersheds and the zones drawn around the water."""
    sws = zon.small_watersheds(w.basin, w.rivers, w.counties, rng)
    w.rivers["catchment_km2"] = zon.catchments(w.rivers, sws)
    baihe = w.rivers[w.rivers["name"] == "白河"].iloc[0]
    frac = baihe.geometry.project(w.bhb.centroid, normalized=True)
    res = wat.reservoir_frame(
        w.miyun, w.bhb, w.terrain.baihebao_level, baihe["catchment_km2"] * frac**1.3, w.basin.area / 1e6
    )
    res["jurisdiction"] = "beijing"
    both = shapely.union(w.miyun, w.bhb)
    out = {
        "rivers": (w.rivers, "MultiLineString"),
        "reservoirs": (res.drop(columns="jurisdiction"), "MultiPolygon"),
        "small_watersheds": (sws, "MultiPolygon"),
        "protection_zones": (zon.protection_zones(w.basin, w.miyun), "MultiPolygon"),
        "river_management_ranges": (
            zon.management_ranges(w.rivers, w.basin, both, w.counties),
            "MultiPolygon",
        ),
        "reservoir_protection_ranges": (zon.reservoir_ranges(res, w.basin), "MultiPolygon"),
        "contours": (zon.contours(w.miyun), "MultiLineString"),
    }
    return {k: (v[0], v[0].geometry.to_numpy(), v[1]) for k, v in out.items()}


def _land_layers(
    w: _World, villages: gpd.GeoDataFrame, parcels: int, rng: np.random.Generator
) -> tuple[dict[str, tuple[Any, Any, str]], Raster]:
    """Parcels and what derives from them: planning, forest inventory, meshes, erosion."""
    water = shapely.union(w.miyun, w.bhb)
    lu = land.parcels(w.terrain, w.basin, w.twps, villages, w.rivers, water, parcels, rng)
    sp = plan.spatial_planning(lu, w.counties, w.twps, w.rivers, villages, water, w.basin, rng)
    fs = plan.forest_subcompartments(lu, max(50, round(parcels * 0.06)), rng)
    meshes = plan.village_meshes(villages, rng)
    erosion = plan.soil_erosion(w.terrain, lu, rng)
    out = {"land_use": lu, "spatial_planning": sp, "forest_subcompartments": fs, "village_meshes": meshes}
    return {k: (v, v.geometry.to_numpy(), "MultiPolygon") for k, v in out.items()}, erosion


def _network(
    w: _World, sws: gpd.GeoDataFrame, villages: gpd.GeoDataFrame, rng: np.random.Generator
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Sewage facilities and the 429 stations (with private columns for the series)."""
    fac = stn.sewage_facilities(villages, w.rivers, w.counties, rng)
    geoms, frame = net.place_stations(
        w.rivers, w.counties, sws, w.twps, fac, w.basin, w.beijing, w.miyun, w.bhb, rng
    )
    st = stn.station_attributes(geoms, frame, w.rivers, w.counties, w.twps, w.terrain, rng)
    st["jurisdiction"] = np.where(shapely.intersects(w.beijing, st.geometry.array), "beijing", "hebei")
    return st, fac


def _observations(st: gpd.GeoDataFrame, fac: gpd.GeoDataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """All series of the network, 2022-2024, as one long table."""
    rain = st[st["kind"] == "rain"]
    rain_block, basin_rain = series.rainfall(
        rain["code"].to_numpy(), shapely.get_x(rain.geometry.array), shapely.get_y(rain.geometry.array), rng
    )
    blocks = [rain_block]
    blocks += series.hydro_blocks(st[st["kind"] == "flow"], st[st["kind"] == "level"], basin_rain, rng)
    blocks += qual.lab_blocks(st[st["kind"] == "water_quality"], rng)
    blocks += qual.auto_blocks(st[st["kind"] == "auto_water_quality"], basin_rain, rng)
    sew = st[st["kind"].isin(["rural_sewage", "sewage_outfall"])]
    cap = sew["facility"].map(fac.set_index("code")["capacity_m3d"])
    cap = cap.fillna(pd.Series(rng.uniform(200.0, 3000.0, len(sew)), index=sew.index))
    blocks += qual.sewage_blocks(sew, cap.to_numpy(dtype=float), rng)
    return assemble(blocks)


def _finish(parts: dict[str, tuple[Any, Any, str]], beijing: shapely.Geometry) -> dict[str, gpd.GeoDataFrame]:
    """Conform every layer to its category and move it to EPSG:4490 with `jurisdiction`."""
    out = {}
    for code, (frame, geoms, kind) in parts.items():
        attrs = pd.DataFrame(frame.drop(columns="geometry"))
        out[code] = layer(conform(attrs, code), geoms, kind, beijing)
    return out


_PRIVATE = {
    "counties": ["jurisdiction"],
    "townships": ["is_town", "seat_x", "seat_y"],
    "stations": ["river_i", "border", "facility", "bad", "drainage_km2", "jurisdiction"],
}


def generate(seed: int = 20240801, *, parcels: int = 50_000, dem_res: float = 30.0) -> DemoBasin:
    """Generate the demo basin: real county boundaries, everything else synthetic.

    Parameters
    ----------
    seed : int
        Seeds one ``numpy.random.default_rng``; each stage gets its own child stream
        (``rng.spawn``), so changing ``parcels`` leaves the network and series unchanged.
    parcels : int
        Minimum number of land-use parcels (township lines split a few more).
    dem_res : float
        DEM cell size in metres; 30 for the demo, 90 for quick tests.

    Returns
    -------
    DemoBasin
        Layers in EPSG:4490 keyed by category code, the `dem` and `soil_erosion` rasters
        (EPSG:4548), the observations table and metadata.
    """
    rngs = dict(zip(_STAGES, np.random.default_rng(seed).spawn(len(_STAGES)), strict=True))
    w = _world(rngs, dem_res)
    villages = bnd.villages(w.twps, 0.08 + w.terrain.valley**2, w.terrain.gx, w.terrain.gy, rngs["admin"])
    bnd.seats_at_villages(w.twps, villages)
    water = _water_layers(w, rngs["rivers"])
    sws = water["small_watersheds"][0]
    land_parts, erosion = _land_layers(w, villages, parcels, rngs["land"])
    st, fac = _network(w, sws, villages, rngs["network"])
    obs = _observations(st, fac, rngs["observations"])
    basin = bnd.basin_frame(w.basin)
    parts: dict[str, tuple[Any, Any, str]] = {
        "basin": (basin, basin.geometry.to_numpy(), "MultiPolygon"),
        "counties": (w.counties, w.counties.geometry.to_numpy(), "MultiPolygon"),
        "townships": (w.twps, w.twps.geometry.to_numpy(), "MultiPolygon"),
        "villages": (villages, villages.geometry.to_numpy(), "Point"),
        **water,
        **land_parts,
        "stations": (st, st.geometry.to_numpy(), "Point"),
        "sewage_facilities": (fac, fac.geometry.to_numpy(), "Point"),
    }
    for code, cols in _PRIVATE.items():
        frame, geoms, kind = parts[code]
        parts[code] = (frame.drop(columns=cols), geoms, kind)
    layers = _finish(parts, w.beijing)
    rasters = {"dem": w.terrain.dem, "soil_erosion": erosion}
    return DemoBasin(layers, rasters, obs, metadata(seed, parcels, dem_res, layers, obs))
