"""The dask-geopandas path on a two-worker local cluster gives the single-machine numbers."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely import box

from liuyu.analysis.zonal import zonal_area

dask_geopandas = pytest.importorskip("dask_geopandas")
distributed = pytest.importorskip("distributed")

CRS = "EPSG:4548"


def tiling(n: int, seed: int, extent: shapely.Polygon) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x0, y0, x1, y1 = extent.bounds
    pts = shapely.points(rng.uniform(x0, x1, n), rng.uniform(y0, y1, n))
    return shapely.intersection(shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(pts))), extent)


def test_two_worker_cluster_matches_single_machine(tmp_path):
    from liuyu.analysis.distributed import zonal_area_dask

    extent = box(500_000, 4_500_000, 530_000, 4_520_000)
    zg = tiling(25, 1, extent)
    zones = gpd.GeoDataFrame({"z": [f"z{i}" for i in range(len(zg))]}, geometry=zg, crs=CRS)
    tg = tiling(3000, 2, extent)
    classes = np.random.default_rng(3).choice(["01", "03", "07"], len(tg))
    theme = gpd.GeoDataFrame({"c": classes}, geometry=tg, crs=CRS).to_crs("EPSG:4490")
    single = zonal_area(theme, zones, "c", "z", analysis_crs=CRS)
    # threads, not processes: two single-threaded workers in this process keep the test light
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as lc,
        distributed.Client(lc) as client,
    ):
        assert len(client.scheduler_info()["workers"]) == 2
        spread = zonal_area_dask(theme, zones, "c", "z", analysis_crs=CRS, npartitions=6, client=client)
        # a theme read lazily, partition by partition, as one larger than memory would be
        dask_geopandas.from_geopandas(theme, npartitions=5).to_parquet(tmp_path / "theme")
        lazy = dask_geopandas.read_parquet(tmp_path / "theme")
        assert lazy.npartitions == 5
        from_disk = zonal_area_dask(lazy, zones, "c", "z", analysis_crs=CRS, client=client)
    assert np.allclose(from_disk["area_km2"], single["area_km2"], rtol=1e-12)
    assert spread[["zone", "class"]].equals(single[["zone", "class"]])
    assert np.allclose(spread["area_km2"], single["area_km2"], rtol=1e-12)
    assert np.allclose(spread["share"], single["share"], rtol=1e-12)
