"""Benchmark: write a 1,000,000-feature polygon layer version into the store, against ogr2ogr.

Both sides start from the same FlatGeobuf file and end with a GeoPackage holding the features
with an R-tree. Liuyu's side also normalizes to the category schema, fingerprints every feature
(for idempotent re-writes and diffs) and records the version. Baseline: `ogr2ogr -f GPKG`
(Debian's gdal-bin), measured in the same run. Target: ratio <= 1.5. Peak memory of each side
is printed (max RSS of the child process).

    python benchmarks/store_write.py [--n 1000000]
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

LIUYU_SIDE = textwrap.dedent(
    """
    import sys, time, pyogrio, liuyu
    src, ws_dir = sys.argv[1], sys.argv[2]
    t0 = time.perf_counter()
    frame = pyogrio.read_dataframe(src, use_arrow=True)
    ws = liuyu.init(ws_dir)
    info = ws.write_layer("land_use", frame, note="benchmark")
    ws.close()
    print(time.perf_counter() - t0, info.n_features)
    """
)


def make_parcels(n: int, seed: int = 7) -> gpd.GeoDataFrame:
    """n irregular hexagon-like parcels over the basin, with land-survey attributes."""
    rng = np.random.default_rng(seed)
    side = int(np.ceil(np.sqrt(n)))
    ix = np.arange(n)
    cx = 115.5 + (ix % side) * (2.0 / side)
    cy = 40.4 + (ix // side) * (1.2 / side)
    r = 0.4 * 2.0 / side
    ang = np.linspace(0, 2 * np.pi, 7)[:-1]
    jitter = rng.uniform(0.75, 1.0, (n, 6))
    xs = cx[:, None] + r * jitter * np.cos(ang)
    ys = cy[:, None] + r * jitter * np.sin(ang) * 0.75
    coords = np.stack([xs, ys], axis=-1)
    coords = np.concatenate([coords, coords[:, :1]], axis=1)
    polys = shapely.polygons(coords)
    classes = np.array(["0101", "0103", "0301", "0305", "0702", "1101", "0404"])
    return gpd.GeoDataFrame(
        {
            "parcel_id": np.char.add("BSM", ix.astype(str)),
            "class_code": classes[rng.integers(0, len(classes), n)],
            "area_m2": rng.uniform(500, 50_000, n).round(2),
            "county_code": "110118",
            "survey_year": 2023,
        },
        geometry=polys,
        crs="EPSG:4490",
    )


def timed(cmd: list[str]) -> tuple[float, float, str]:
    """Wall time, peak RSS (MiB) of the child, and its stdout."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    wall = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return wall, max(peak, before) / 1024, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1_000_000)
    args = ap.parse_args()
    if shutil.which("ogr2ogr") is None:
        sys.exit("ogr2ogr not found: apt-get install gdal-bin")
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "parcels.fgb"
        make_parcels(args.n).to_file(src, driver="FlatGeobuf", engine="pyogrio")
        print(f"{args.n:,} polygons in {src.stat().st_size / 2**20:.0f} MiB FlatGeobuf")
        ogr_wall, ogr_mem, _ = timed(
            [
                "ogr2ogr",
                "-f",
                "GPKG",
                str(Path(tmp) / "ogr.gpkg"),
                str(src),
                "-nln",
                "land_use",
                "-nlt",
                "MULTIPOLYGON",
            ]
        )
        ly_wall, ly_mem, out = timed([sys.executable, "-c", LIUYU_SIDE, str(src), str(Path(tmp) / "ws")])
        inner = float(out.split()[0])
        # ru_maxrss of children is a running max: report ogr2ogr first, then Liuyu's if larger.
        print(f"baseline ogr2ogr -f GPKG : {ogr_wall:7.2f} s   peak RSS {ogr_mem:7.0f} MiB")
        print(
            f"liuyu write_layer        : {ly_wall:7.2f} s   peak RSS {ly_mem:7.0f} MiB  "
            f"(read+write {inner:.2f} s, rest is interpreter start-up)"
        )
        print(f"ratio liuyu / ogr2ogr    : {ly_wall / ogr_wall:.2f}  (target <= 1.5)")


if __name__ == "__main__":
    main()
