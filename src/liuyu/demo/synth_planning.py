"""Layers derived from land use: 三区三线 planning, forest subcompartments, meshes, erosion."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio.features
import shapely

from liuyu.demo.synth_common import ANALYSIS_CRS, GeomArray, Raster, polygonal, xy
from liuyu.demo.synth_land import CROPLAND, FOREST
from liuyu.demo.synth_terrain import NODATA, Terrain

# County seats that lie inside the basin get a large urban development boundary.
_COUNTY_SEATS = {"赤城县城": (115.84, 40.915), "丰宁县城": (116.645, 41.205)}


def _dissolve(geoms: GeomArray, groups: np.ndarray) -> tuple[np.ndarray, GeomArray]:
    """Union of the geometries in each group (one GEOS union per group, not per feature)."""
    keys = np.unique(groups)
    out = np.array([shapely.union_all(geoms[groups == k], grid_size=0.01) for k in keys], dtype=object)
    return keys, out


def urban_boundaries(
    twps: gpd.GeoDataFrame, basin: shapely.Geometry, water: shapely.Geometry, rng: np.random.Generator
) -> gpd.GeoDataFrame:
    """城镇开发边界 around the town seats (镇) and the two county seats in the basin."""
    towns = twps[twps["is_town"]]
    seats = shapely.points(towns["seat_x"].to_numpy(), towns["seat_y"].to_numpy())
    radius = rng.uniform(500.0, 1300.0, len(seats))
    sx, sy = xy([p[0] for p in _COUNTY_SEATS.values()], [p[1] for p in _COUNTY_SEATS.values()])
    seats = np.concatenate([seats, shapely.points(sx, sy)])
    radius = np.concatenate([radius, [3200.0, 3600.0]])
    names = list(np.char.add(towns["name"].to_numpy().astype(str), "城镇开发边界"))
    names += [f"{n}城镇开发边界" for n in _COUNTY_SEATS]
    geoms = shapely.difference(shapely.intersection(shapely.buffer(seats, radius), basin), water)
    taken = shapely.Polygon()
    for i in np.argsort(-radius, kind="stable"):  # larger towns keep contested ground
        geoms[i], taken = shapely.difference(geoms[i], taken), shapely.union(taken, geoms[i])
    return gpd.GeoDataFrame(
        pd.DataFrame({"zone_type": "urban_development_boundary", "name": names}),
        geometry=geoms,
        crs=ANALYSIS_CRS,
    )


def spatial_planning(
    land: gpd.GeoDataFrame,
    counties: gpd.GeoDataFrame,
    twps: gpd.GeoDataFrame,
    rivers: gpd.GeoDataFrame,
    villages: gpd.GeoDataFrame,
    water: shapely.Geometry,
    basin: shapely.Geometry,
    rng: np.random.Generator,
) -> gpd.GeoDataFrame:
    """三区三线: urban boundaries, permanent basic farmland on valley cropland, and the
    ecological red line over the rest of the mountains; the three never overlap."""
    urban = urban_boundaries(twps, basin, water, rng)
    urban_all = shapely.union_all(urban.geometry.to_numpy())
    crop = land[land["class_code"].isin(CROPLAND) & (land["cropland_slope_grade"] <= "3")]
    keys, farm = _dissolve(crop.geometry.to_numpy(), crop["township_code"].to_numpy())
    farm = shapely.difference(farm, urban_all)
    farm_all = shapely.union_all(farm)
    valleys = shapely.union_all(
        np.concatenate(
            [
                shapely.buffer(rivers[rivers["order"] <= 3].geometry.to_numpy(), 900.0),
                shapely.buffer(villages.geometry.to_numpy(), 500.0),
            ]
        )
    )
    keep_out = shapely.union_all([valleys, urban_all, farm_all])
    red = shapely.difference(counties.geometry.to_numpy(), keep_out)
    county_of_twp = twps.set_index("code")["county_code"]
    frame = pd.concat(
        [
            urban.drop(columns="geometry").assign(county_code=None),
            pd.DataFrame(
                {
                    "zone_type": "permanent_basic_farmland",
                    "name": np.char.add(
                        twps.set_index("code").loc[keys, "name"].to_numpy().astype(str), "永久基本农田"
                    ),
                    "county_code": county_of_twp.loc[keys].to_numpy(),
                }
            ),
            pd.DataFrame(
                {
                    "zone_type": "ecological_protection_redline",
                    "name": np.char.add(counties["name"].to_numpy().astype(str), "生态保护红线"),
                    "county_code": counties["code"].to_numpy(),
                }
            ),
        ],
        ignore_index=True,
    )
    geoms = polygonal(np.concatenate([urban.geometry.to_numpy(), farm, red]))
    frame["code"] = [f"SQSX{i + 1:04d}" for i in range(len(frame))]
    frame["plan_name"] = "国土空间总体规划（2021—2035年）"
    frame["area_km2"] = np.round(shapely.area(geoms) / 1e6, 3)
    frame["approved_date"] = "2023-10-31"
    keep = frame["area_km2"].to_numpy() > 0.01
    return gpd.GeoDataFrame(frame[keep], geometry=geoms[keep], crs=ANALYSIS_CRS)


_SPECIES = np.array(
    ["油松", "侧柏", "蒙古栎", "山杨", "白桦", "华北落叶松", "刺槐", "核桃楸", "荆条", "山杏"]
)
_AGES = np.array(["幼龄林", "中龄林", "近熟林", "成熟林", "过熟林"])


def forest_subcompartments(land: gpd.GeoDataFrame, target: int, rng: np.random.Generator) -> gpd.GeoDataFrame:
    """二类调查 subcompartments: the forest parcels of a few state forest farms.

    Inventories are delivered per forest farm, so the layer covers some mountain blocks
    densely rather than the whole basin thinly.
    """
    forest = land[land["class_code"].isin(FOREST)]
    rep = shapely.point_on_surface(forest.geometry.array)
    x, y = shapely.get_x(rep), shapely.get_y(rep)
    centre = rng.choice(len(forest), size=6, replace=False)
    d = np.min(np.hypot(x[:, None] - x[centre], y[:, None] - y[centre]), axis=1)
    pick = np.sort(np.argsort(d)[: min(target, len(forest))])
    sub = forest.iloc[pick]
    n = len(sub)
    block = (np.floor(x[pick] / 2000.0) * 1000 + np.floor(y[pick] / 2000.0)).astype(np.int64)
    compartment = pd.factorize(block)[0] + 1
    serial = pd.Series(compartment).groupby(compartment).cumcount().to_numpy() + 1
    shrub = sub["class_code"].to_numpy() == "0305"
    area_ha = np.round(sub["area_m2"].to_numpy() / 1e4, 2)
    volume = np.where(shrub, 0.0, area_ha * rng.uniform(25.0, 110.0, n))
    frame = pd.DataFrame(
        {
            "code": [
                f"{c}-{b:03d}-{s:03d}"
                for c, b, s in zip(sub["county_code"], compartment, serial, strict=True)
            ],
            "county_code": sub["county_code"].to_numpy(),
            "compartment_no": [f"{b:03d}" for b in compartment],
            "subcompartment_no": [f"{s:03d}" for s in serial],
            "forest_type": np.where(
                shrub, "0131", np.where(sub["class_code"].to_numpy() == "0307", "0120", "0111")
            ),
            "public_welfare": rng.choice(
                ["national_public_welfare", "local_public_welfare", "key_commercial", "general_commercial"],
                n,
                p=[0.6, 0.3, 0.04, 0.06],
            ),
            "forest_use": rng.choice(["水源涵养林", "水土保持林", "经济林"], n, p=[0.6, 0.33, 0.07]),
            "origin": rng.choice(["天然", "人工"], n, p=[0.55, 0.45]),
            "dominant_species": np.where(shrub, rng.choice(_SPECIES[-2:], n), rng.choice(_SPECIES[:-2], n)),
            "age_group": rng.choice(_AGES, n, p=[0.15, 0.4, 0.25, 0.15, 0.05]),
            "canopy_closure": np.round(
                np.where(shrub, rng.uniform(0.3, 0.7, n), rng.uniform(0.2, 0.9, n)), 2
            ),
            "stand_volume_m3": np.round(volume, 1),
            "area_ha": area_ha,
            "ownership": np.where(rng.random(n) < 0.7, "国有", "集体"),
            "protection_grade": rng.choice(["I", "II", "III", "IV"], n, p=[0.2, 0.4, 0.3, 0.1]),
            "slope_deg": None,
            "survey_year": 2021,
        }
    )
    return gpd.GeoDataFrame(frame, geometry=sub.geometry.to_numpy(), crs=ANALYSIS_CRS)


def village_meshes(villages: gpd.GeoDataFrame, rng: np.random.Generator, n: int = 20) -> gpd.GeoDataFrame:
    """Footprints of oblique-photography models of ``n`` villages (the meshes themselves
    are not shipped; `mesh_path` says where a real delivery would put them)."""
    pick = np.sort(rng.choice(len(villages), size=min(n, len(villages)), replace=False))
    vil = villages.iloc[pick]
    half_w = rng.uniform(150.0, 300.0, len(vil))
    half_h = rng.uniform(120.0, 250.0, len(vil))
    angle = rng.uniform(0.0, np.pi, len(vil))
    corners = np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]], dtype=float)
    local = corners[None, :, :] * np.stack([half_w, half_h], axis=1)[:, None, :]
    cos, sin = np.cos(angle)[:, None], np.sin(angle)[:, None]
    px = local[..., 0] * cos - local[..., 1] * sin + shapely.get_x(vil.geometry.array)[:, None]
    py = local[..., 0] * sin + local[..., 1] * cos + shapely.get_y(vil.geometry.array)[:, None]
    geoms = shapely.polygons(np.stack([px, py], axis=2))
    codes = [f"SJ{c}" for c in vil["code"]]
    frame = pd.DataFrame(
        {
            "code": codes,
            "village_code": vil["code"].to_numpy(),
            "name": np.char.add(vil["name"].to_numpy().astype(str), "倾斜摄影实景三维模型"),
            "mesh_path": [f"meshes/{c}.osgb" for c in codes],
            "mesh_format": "osgb",
            "mesh_crs": "EPSG:4548",
            "capture_date": rng.choice(["2022-05-18", "2023-04-26", "2023-10-09"], len(vil)),
            "resolution_cm": rng.choice([2.0, 3.0, 5.0], len(vil)),
            "producer": "示例测绘院（合成数据）",
        }
    )
    return gpd.GeoDataFrame(frame, geometry=geoms, crs=ANALYSIS_CRS)


# Cover-management factor C of (R)USLE per land class; cropland and bare land erode most.
_C_FACTOR = {
    "0101": 0.1,
    "0102": 0.15,
    "0103": 0.23,
    "0201": 0.1,
    "0301": 0.01,
    "0305": 0.04,
    "0307": 0.03,
    "0401": 0.05,
    "0404": 0.08,
    "1206": 0.45,
    "1207": 0.2,
    "0602": 0.35,
    "1202": 0.02,
    "1006": 0.05,
}


def soil_erosion(terrain: Terrain, land: gpd.GeoDataFrame, rng: np.random.Generator) -> Raster:
    """Soil-erosion modulus, t/(km²·a), on the 90 m grid from a (R)USLE-style product.

    A = R·K·LS·C·P with R = 1800 MJ·mm/(hm²·h·a), K = 0.025, the slope factor of
    McCool (1987) from the DEM, C from land use and P = 0.4 on terraced cropland; the
    result (t/(hm²·a)) × 100 gives the modulus the soil-conservation bulletins use.
    """
    classes = land["class_code"].to_numpy()
    c = np.array([_C_FACTOR.get(k, 0.0) for k in classes])
    terraced = land["cropland_type"].to_numpy() == "TT"
    shapes = zip(land.geometry.array, c * np.where(terraced, 0.4, 1.0), strict=True)
    cp = rasterio.features.rasterize(
        shapes, terrain.z90.shape, transform=terrain.t90, fill=0.0, dtype="float32"
    )
    theta = np.radians(np.clip(terrain.slope90, 0.0, 80.0))
    s = np.where(theta < np.radians(5.14), 10.8 * np.sin(theta) + 0.03, 16.8 * np.sin(theta) - 0.5)
    ls = s * (90.0 / 22.13) ** 0.5
    a = 1800.0 * 0.025 * ls * cp * rng.lognormal(0.0, 0.25, cp.shape) * 100.0
    out = np.where(terrain.z90 == NODATA, NODATA, np.round(a, 1)).astype(np.float32)
    return Raster(out, terrain.t90, ANALYSIS_CRS, NODATA, "t/(km2·a)")
