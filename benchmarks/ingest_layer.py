"""Benchmark: ingest 1,000,000 land-use polygons from a Gauss-Krüger shapefile, against ogr2ogr.

The delivery is what a natural-resources bureau sends: a shapefile in CGCS2000 / 3-degree
Gauss-Krüger CM 117E (EPSG:4548) with 三调 field names (BSM, DLBM, TBMJ, XZQDM, SJNF) and 0.5 %
self-intersecting (bow-tie) parcels. Liuyu's side is the whole `ingest_layer`: read,
reproject to EPSG:4490, standardize to the land_use schema (aliases, types, code list),
validate and repair, duplicates, quarantine, write a version into a fresh workspace (with the
source archived by checksum and the report written). Baseline: `ogr2ogr -f GPKG -t_srs
EPSG:4490 -makevalid` of the same file (Debian's gdal-bin), measured in the same run.
Target: ratio <= 2. Peak memory of each side is printed (max RSS of the child process).

    python benchmarks/ingest_layer.py [--n 1000000] [--format shp|gpkg]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import textwrap
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parent))
from store_write import timed

LIUYU_SIDE = textwrap.dedent(
    """
    import sys, time, liuyu
    src, ws_dir = sys.argv[1], sys.argv[2]
    t0 = time.perf_counter()
    ws = liuyu.init(ws_dir)
    r = ws.ingest_layer(src, "land_use", agency="benchmark")
    ws.close()
    c = r.counts
    print(time.perf_counter() - t0, c["accepted"], c["quarantined"], c["repaired"], r.status)
    """
)
INVALID_SHARE = 0.005


def make_delivery(n: int, seed: int = 11) -> gpd.GeoDataFrame:
    """n irregular hexagon parcels in EPSG:4548 over the basin, 0.5 % of them bow-ties."""
    rng = np.random.default_rng(seed)
    side = int(np.ceil(np.sqrt(n)))
    ix = np.arange(n)
    cell_x, cell_y = 170_000 / side, 130_000 / side
    cx = 415_000 + (ix % side) * cell_x
    cy = 4_470_000 + (ix // side) * cell_y
    ang = np.linspace(0, 2 * np.pi, 7)[:-1]
    r = 0.4 * min(cell_x, cell_y) * rng.uniform(0.75, 1.0, (n, 6))
    xs, ys = cx[:, None] + r * np.cos(ang), cy[:, None] + r * np.sin(ang)
    bad = rng.random(n) < INVALID_SHARE
    xs[bad, 1], xs[bad, 2] = xs[bad, 2].copy(), xs[bad, 1].copy()  # crossing edges: a bow-tie
    coords = np.stack([xs, ys], axis=-1)
    polys = shapely.polygons(np.concatenate([coords, coords[:, :1]], axis=1))
    classes = np.array(["0101", "0103", "0301", "0305", "0702", "1101", "0404"])
    return gpd.GeoDataFrame(
        {
            "BSM": np.char.add("1101180000", ix.astype(str)),
            "DLBM": classes[rng.integers(0, len(classes), n)],
            "TBMJ": rng.uniform(500, 50_000, n).round(2),
            "XZQDM": "110118",
            "SJNF": 2023,
        },
        geometry=polys,
        crs="EPSG:4548",
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--format", choices=("shp", "gpkg"), default="shp")
    args = ap.parse_args()
    if shutil.which("ogr2ogr") is None:
        sys.exit("ogr2ogr not found: apt-get install gdal-bin")
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / f"parcels.{args.format}"
        make_delivery(args.n).to_file(src, engine="pyogrio", encoding="UTF-8")
        size = sum(p.stat().st_size for p in Path(tmp).glob("parcels.*")) / 2**20
        print(f"{args.n:,} polygons ({INVALID_SHARE:.1%} invalid) in {size:.0f} MiB {args.format}, EPSG:4548")
        ogr = [
            "ogr2ogr", "-f", "GPKG", str(Path(tmp) / "ogr.gpkg"), str(src), "-t_srs", "EPSG:4490",
            "-makevalid", "-nln", "land_use", "-nlt", "MULTIPOLYGON",
        ]  # fmt: skip
        ogr_wall, ogr_mem, _ = timed(ogr)
        ly_wall, ly_mem, out = timed([sys.executable, "-c", LIUYU_SIDE, str(src), str(Path(tmp) / "ws")])
        inner, accepted, quarantined, repaired, status = out.split()
        print(
            f"baseline ogr2ogr -t_srs EPSG:4490 -makevalid : {ogr_wall:7.2f} s   peak RSS {ogr_mem:7.0f} MiB"
        )
        print(
            f"liuyu ingest_layer                           : {ly_wall:7.2f} s   peak RSS {ly_mem:7.0f} MiB  "
            f"(ingest {float(inner):.2f} s; {status}: {int(accepted):,} accepted, "
            f"{int(quarantined):,} quarantined, {int(repaired):,} repaired)"
        )
        print(f"ratio liuyu / ogr2ogr                        : {ly_wall / ogr_wall:.2f}  (target <= 2)")


if __name__ == "__main__":
    main()
