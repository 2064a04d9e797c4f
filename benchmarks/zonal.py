"""Zonal overlay benchmark: land-use parcels x small watersheds, area by class per zone.

Liuyu's ``zonal_area`` against geopandas ``overlay`` + ``groupby`` and against PostGIS
(``ST_Intersection`` + ``GROUP BY`` with GiST indexes) on the same data in the same run; then the
DEM's zonal statistics by small watershed against exactextract alone.

    python benchmarks/zonal.py                       # 1,000,000 parcels x 179 watersheds
    python benchmarks/zonal.py --parcels 100000 --no-postgis     # a quick look

The zones are the demo basin's 179 small watersheds (``--workspace`` to reuse a demo workspace,
else one is built in a temporary folder); the parcels are a jittered grid that tiles the basin.
PostGIS runs in a throw-away cluster on a loopback port (``scripts/pg.sh`` through ``pgcluster``),
deleted afterwards.
"""

from __future__ import annotations

import argparse
import io
import shutil
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pgcluster
import shapely

from liuyu.analysis.raster_zonal import zonal_raster
from liuyu.analysis.zonal import zonal_area

CLASSES = np.array(["0301", "0305", "0103", "0401", "0307", "0201", "1101", "0404", "0102", "0702"])
WEIGHTS = np.array([33, 24, 18, 6, 6, 3, 3, 3, 2, 2], dtype=float)


def demo_workspace(path: str | None, tmp: Path) -> Path:
    """The demo workspace to take the watersheds and the DEM from (built when not given)."""
    if path:
        return Path(path)
    from liuyu.demo.build import build_demo

    root = tmp / "demo"
    build_demo(root)
    return root


def jittered_parcels(zones: gpd.GeoDataFrame, n: int, seed: int = 7) -> gpd.GeoDataFrame:
    """About ``n`` quadrilateral parcels tiling the zones' union: a grid with jittered shared nodes."""
    rng = np.random.default_rng(seed)
    union = shapely.union_all(zones.geometry.array)
    side = float(np.sqrt(union.area / n))
    x0, y0, x1, y1 = union.bounds
    nx, ny = int((x1 - x0) / side) + 1, int((y1 - y0) / side) + 1
    gx = x0 + side * (np.arange(nx + 1)[None, :] + rng.uniform(-0.3, 0.3, (ny + 1, nx + 1)))
    gy = y0 + side * (np.arange(ny + 1)[:, None] + rng.uniform(-0.3, 0.3, (ny + 1, nx + 1)))
    gx[:, 0], gx[:, -1], gy[0, :], gy[-1, :] = x0, x0 + nx * side, y0, y0 + ny * side
    iy, ix = np.mgrid[0:ny, 0:nx]
    iy, ix = iy.ravel(), ix.ravel()
    cx, cy = x0 + (ix + 0.5) * side, y0 + (iy + 0.5) * side
    shapely.prepare(union)
    keep = shapely.contains_xy(union, cx, cy)
    iy, ix = iy[keep], ix[keep]
    corners = [(iy, ix), (iy, ix + 1), (iy + 1, ix + 1), (iy + 1, ix), (iy, ix)]
    coords = np.stack([np.stack([gx[a, b], gy[a, b]], axis=-1) for a, b in corners], axis=1)
    geoms = shapely.polygons(coords)
    cls = rng.choice(CLASSES, size=len(geoms), p=WEIGHTS / WEIGHTS.sum())
    return gpd.GeoDataFrame({"class_code": cls}, geometry=geoms, crs=zones.crs)


def timed(fn, *args, **kw):  # type: ignore[no-untyped-def]
    t = time.perf_counter()
    out = fn(*args, **kw)
    return time.perf_counter() - t, out


def geopandas_baseline(parcels: gpd.GeoDataFrame, zones: gpd.GeoDataFrame) -> pd.DataFrame:
    cut = gpd.overlay(parcels, zones[["code", "geometry"]], how="intersection", keep_geom_type=True)
    cut["area_km2"] = cut.geometry.area / 1e6
    return cut.groupby(["code", "class_code"], as_index=False)["area_km2"].sum()


def _copy(cur, table: str, frame: gpd.GeoDataFrame, cols: list[str]) -> None:  # type: ignore[no-untyped-def]
    out = frame[cols].copy()
    out["wkb"] = shapely.to_wkb(frame.geometry.array, hex=True)
    buf = io.StringIO()
    out.to_csv(buf, sep="\t", header=False, index=False)
    with cur.copy(f"COPY {table} ({', '.join(cols)}, geom) FROM STDIN") as cp:
        cp.write(buf.getvalue())


def postgis_run(conninfo: str, parcels: gpd.GeoDataFrame, zones: gpd.GeoDataFrame, srid: int) -> dict:
    """Load both layers (COPY), index them (GiST), then time the overlay queries."""
    import psycopg

    with psycopg.connect(conninfo, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        cur.execute(f"CREATE TABLE parcels (class_code text, geom geometry(Polygon, {srid}))")
        cur.execute(f"CREATE TABLE zones (code text, geom geometry(MultiPolygon, {srid}))")
        _copy(cur, "parcels", parcels, ["class_code"])
        _copy(cur, "zones", zones.assign(geometry=shapely.force_2d(zones.geometry.array)), ["code"])
        cur.execute("CREATE INDEX ON parcels USING gist (geom)")
        cur.execute("CREATE INDEX ON zones USING gist (geom)")
        cur.execute("VACUUM ANALYZE parcels")
        cur.execute("VACUUM ANALYZE zones")
        plain = (
            "SELECT z.code, p.class_code, sum(ST_Area(ST_Intersection(p.geom, z.geom))) / 1e6 "
            "FROM parcels p JOIN zones z ON ST_Intersects(p.geom, z.geom) GROUP BY 1, 2"
        )
        fast = (
            "SELECT z.code, p.class_code, sum(CASE WHEN ST_ContainsProperly(z.geom, p.geom) "
            "THEN ST_Area(p.geom) ELSE ST_Area(ST_Intersection(p.geom, z.geom)) END) / 1e6 "
            "FROM parcels p JOIN zones z ON ST_Intersects(p.geom, z.geom) GROUP BY 1, 2"
        )
        out = {}
        for name, sql in (("plain", plain), ("containsproperly", fast)):
            t = time.perf_counter()
            cur.execute(sql)
            rows = cur.fetchall()
            out[name] = (time.perf_counter() - t, rows)
        return out


def raster_bench(root: Path, zones: gpd.GeoDataFrame) -> None:
    from exactextract import exact_extract

    from liuyu.workspace import open_workspace

    with open_workspace(root) as ws:
        dem = ws.raster_path("dem")
    vec = zones.to_crs(zones.crs)
    ee, ours = [], []
    for _ in range(5):  # alternate, keep the best of each: the machine is shared
        ee.append(timed(exact_extract, str(dem), vec, ["mean", "min", "max"], output="pandas")[0])
        ours.append(timed(zonal_raster, dem, zones, "code")[0])
    base, mine = min(ee), min(ours)
    print(
        f"DEM zonal stats by small watershed: exactextract {base:.2f} s, Liuyu {mine:.2f} s, "
        f"ratio {mine / base:.2f}x (target <= 1.2x)"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--parcels", type=int, default=1_000_000)
    ap.add_argument("--workspace", help="an existing demo workspace (default: build one)")
    ap.add_argument("--no-postgis", action="store_true")
    ap.add_argument("--no-geopandas", action="store_true")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="liuyu-zonal-"))
    try:
        root = demo_workspace(args.workspace, tmp)
        from liuyu.workspace import open_workspace

        with open_workspace(root) as ws:
            crs = ws.config.crs.analysis
            zones = ws.read_layer("small_watersheds")[["code", "geometry"]].to_crs(crs)
        parcels = jittered_parcels(zones, args.parcels)
        print(f"{len(parcels):,} parcels x {len(zones)} small watersheds, {crs}")
        ours_s, ours = timed(zonal_area, parcels, zones, "class_code", "code")
        print(f"Liuyu zonal_area: {ours_s:.1f} s")
        if not args.no_geopandas:
            gp_s, gp = timed(geopandas_baseline, parcels, zones)
            diff = np.abs(gp["area_km2"].sum() - ours["area_km2"].sum())
            print(
                f"geopandas overlay+groupby: {gp_s:.1f} s; Liuyu is {gp_s / ours_s:.2f}x faster "
                f"(target >= 2x); total area difference {diff:.6f} km2"
            )
        if not args.no_postgis:
            _postgis(parcels, zones, ours_s, ours)
        raster_bench(root, zones)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _postgis(parcels: gpd.GeoDataFrame, zones: gpd.GeoDataFrame, ours_s: float, ours) -> None:  # type: ignore[no-untyped-def]
    why = pgcluster.missing()
    if why:
        print(f"PostGIS: skipped ({why})")
        return
    try:
        with pgcluster.postgis_cluster("shared_buffers=512MB", "work_mem=256MB") as url:
            res = postgis_run(url, parcels, zones, int(zones.crs.to_epsg()))
    except Exception as exc:  # the script reports and goes on: the other ratios still count
        detail = getattr(exc, "stderr", "") or ""
        print(f"PostGIS: could not run ({exc} {str(detail)[-300:]}); the geopandas ratio above still holds")
        return
    for name, (secs, rows) in res.items():
        total = sum(float(r[2]) for r in rows)
        print(
            f"PostGIS ST_Intersection+GROUP BY ({name}): {secs:.1f} s; Liuyu is {secs / ours_s:.2f}x "
            f"faster (target >= 1x); total area difference {abs(total - ours['area_km2'].sum()):.6f} km2"
        )


if __name__ == "__main__":
    main()
