"""Benchmark: ingest a long observation CSV (10,000,000 rows by default) against DuckDB's read_csv.

Liuyu's side runs the whole `ingest_observations`: reading the CSV (pyarrow, every column
dictionary-encoded), resolving 429 stations, parsing values (``<0.01``, ``ND``, blanks),
converting units, de-duplicating, QC, archiving the source file, storing (one Parquet file
beside the GeoPackage, registered in it) and quarantining rejects. The floor is DuckDB reading
the same CSV into a table of an on-disk database, in the same run (it uses every core; so does
Liuyu where it can: pyarrow's reader, QC on blocks of series on two threads, the source's
checksum and archive copy on a thread beside the parse and the store, so the stage times
overlap and do not add up to the total). Target: ratio <= 3. Each
side runs in its own process and prints its peak memory (max RSS); Liuyu's side also prints
its stage times, and then times the latest value of every series (the map's query; target
< 50 ms) and one series' full read.

    python benchmarks/ingest_observations.py [--rows 10000000] [--store postgresql://...]

``--store`` puts the workspace on PostGIS (a new ``ws_<hex>`` schema, dropped afterwards): the
store stage is then COPY into the partitioned ``observations`` table.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd

N_STATIONS = 429
PROPERTIES = ("tp", "nh3n", "codmn", "tn")

# Peak RSS of this process image: VmHWM (ru_maxrss would carry over the parent's peak across exec).
PEAK = textwrap.dedent(
    """
    def hwm_mb():
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        import resource
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    """
)

LIUYU_SIDE = PEAK + textwrap.dedent(
    """
    import json, resource, sys, time
    import geopandas as gpd
    import liuyu
    import liuyu.network.ingest as ing
    from shapely.geometry import Point

    src, ws_dir, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    ws = liuyu.init(ws_dir, store=sys.argv[4] or None)
    codes = [f"S{i:04d}" for i in range(n)]
    ws.write_layer("stations", gpd.GeoDataFrame(
        {"code": codes, "name": [f"站{c}" for c in codes], "kind": "water_quality"},
        geometry=[Point(116 + i / 1000, 40.5) for i in range(n)], crs="EPSG:4490"))
    stages = {}

    def timed(name, fn):
        def run(*a, **k):
            t = time.perf_counter()
            out = fn(*a, **k)
            stages[name] = stages.get(name, 0.0) + time.perf_counter() - t
            return out
        return run

    ing.read_long_csv = timed("read + stations/values/units/dups/QC", ing.read_long_csv)
    ing.read_observations = timed("read+parse sheet (general path)", ing.read_observations)
    ing.prepare_observations = timed("stations..QC (general path)", ing.prepare_observations)
    ws.archive_source = timed("archive copy (beside the store)", ws.archive_source)
    ws.store.append_observations = timed("store (Parquet or COPY + registry)", ws.store.append_observations)
    t0 = time.perf_counter()
    result = ws.ingest_observations(src)
    total = time.perf_counter() - t0
    from liuyu.api.sta_query import sta_sql
    sta = sta_sql(ws.store.conn)
    runs = []
    for _ in range(20):
        t = time.perf_counter()
        latest = sta.latest_values(ws.store.conn)
        runs.append(time.perf_counter() - t)
    t = time.perf_counter()
    one = ws.store.read_observations(station_code="S0200", property_code="tp")
    one_s = time.perf_counter() - t
    location = ws.config.store.location
    ws.close()
    if location.startswith("postgres"):
        from liuyu.store import pg_schema
        url, schema = pg_schema.split_location(location)
        with pg_schema.connect(url) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
    peak = hwm_mb()
    print(json.dumps({"seconds": total, "stages": stages, "counts": result.counts, "peak_mb": peak,
                      "latest_ms": sorted(runs)[len(runs) // 2] * 1000, "latest_n": len(latest),
                      "one_series_ms": one_s * 1000, "one_series_n": len(one)}))
    """
)

DUCKDB_SIDE = PEAK + textwrap.dedent(
    """
    import json, resource, sys, time
    import duckdb
    src, db = sys.argv[1], sys.argv[2]
    t0 = time.perf_counter()
    con = duckdb.connect(db)
    con.execute(f"CREATE TABLE obs AS SELECT * FROM read_csv('{src}', all_varchar = true)")
    n = con.execute("SELECT count(*) FROM obs").fetchone()[0]
    con.close()
    peak = hwm_mb()
    print(json.dumps({"seconds": time.perf_counter() - t0, "rows": n, "peak_mb": peak}))
    """
)


def make_csv(path: Path, rows: int, seed: int = 212) -> None:
    """Hourly values of 4 properties at 429 stations, local Beijing time, a few odd cells."""
    rng = np.random.default_rng(seed)
    n_series = N_STATIONS * len(PROPERTIES)
    i = np.arange(rows)
    series, hour = i % n_series, i // n_series
    value = np.round(rng.uniform(0.02, 0.9, rows), 3).astype(str).astype(object)
    odd = rng.random(rows)
    value[odd < 0.01] = "<0.01"
    value[(odd >= 0.01) & (odd < 0.015)] = "ND"
    value[(odd >= 0.015) & (odd < 0.02)] = ""
    times = pd.Timestamp("2020-01-01") + pd.to_timedelta(hour, unit="h")
    chunk = pd.DataFrame(
        {
            "station_code": pd.Categorical.from_codes(
                series // len(PROPERTIES), [f"S{s:04d}" for s in range(N_STATIONS)]
            ),
            "property_code": pd.Categorical.from_codes(series % len(PROPERTIES), list(PROPERTIES)),
            "time": times.strftime("%Y-%m-%d %H:%M"),
            "value": value,
        }
    )
    chunk.to_csv(path, index=False)


def side(script: str, *args: str) -> dict:
    out = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(out.stderr)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--store", default="", help="postgresql://user@host:port/db: run Liuyu on PostGIS")
    args = parser.parse_args()
    try:
        import duckdb  # noqa: F401
    except ImportError:
        sys.exit("DuckDB is the floor of this benchmark (and a Liuyu dependency): pip install duckdb")
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "observations.csv"
        t = time.perf_counter()
        make_csv(src, args.rows)
        size = src.stat().st_size / 1e6
        print(f"{args.rows:,} rows, {size:,.0f} MB CSV written in {time.perf_counter() - t:.1f} s")
        floor = side(DUCKDB_SIDE, str(src), str(Path(tmp) / "floor.duckdb"))
        ours = side(LIUYU_SIDE, str(src), str(Path(tmp) / "ws"), str(N_STATIONS), args.store)
    print(f"DuckDB read_csv → table: {floor['seconds']:8.1f} s   peak {floor['peak_mb']:,.0f} MB")
    print(f"Liuyu ingest:            {ours['seconds']:8.1f} s   peak {ours['peak_mb']:,.0f} MB")
    for name, secs in ours["stages"].items():
        print(f"  {name:<32} {secs:8.1f} s")
    print(f"  counts: {ours['counts']}")
    print(
        f"latest value of all {ours['latest_n']:,} series: {ours['latest_ms']:.2f} ms (median of 20; "
        f"target < 50 ms); one series ({ours['one_series_n']:,} rows): {ours['one_series_ms']:.0f} ms"
    )
    ratio = ours["seconds"] / floor["seconds"]
    print(f"ratio Liuyu / DuckDB: {ratio:.1f}x (target <= 3x) {'OK' if ratio <= 3 else 'OVER TARGET'}")


if __name__ == "__main__":
    main()
