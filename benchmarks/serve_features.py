"""Benchmark: Liuyu's OGC API Features under load against pygeoapi on the same GeoPackage, and its tiles.

Scenarios, on a 50,000-parcel land-use layer (EPSG:4490), each run by ``--clients`` concurrent
keep-alive HTTP clients on 127.0.0.1 for ``--seconds`` (at most ``--max-requests`` each):

* ``items``: ``/collections/land_use/items?limit=1000`` (the first page);
* ``bbox``:  the same with ``&bbox=`` a CRS84 box that holds about 300 parcels.

Baseline: pygeoapi (latest on PyPI, in its own virtualenv ``benchmarks/.venv-pygeoapi``, made
on first run; it is not a dependency of Liuyu) serving the workspace's ``liuyu.gpkg`` through
its ``SQLiteGPKG`` provider, with as many worker processes as ``liuyu serve --workers N``; both
measured in the same run, one server at a time. pygeoapi runs under gunicorn (its Flask app,
sync workers: the WSGI deployment its docs describe) by default. ``--pygeoapi-server uvicorn``
runs its Starlette app instead, whose thread pool makes concurrent requests in one process:
its provider then fails some of them (each request opens the file and re-runs SpatiaLite's
``AutoGPKGStart()``, which rewrites the ``vgpkg_*`` virtual tables; they race), counted as
errors. Target (issue): Liuyu >= 3x pygeoapi's requests/s, with no errors.

Then vector tiles z8-z14 through a fresh ``liuyu serve`` (empty tile cache, one client, one
request at a time): p95 < 300 ms cold (tile not yet cut), < 50 ms warm (asked again). Tile
sampling and timing come from ``tiles.py``.

pygeoapi's SQLiteGPKG provider needs SpatiaLite (Debian: ``apt-get install
libsqlite3-mod-spatialite``) and a Python whose sqlite3 can load extensions (Debian's
``/usr/bin/python3`` can; pyenv builds often cannot), found automatically or given with
``--pygeoapi-python``. The workspace is a scratch one: pygeoapi writes its virtual tables into
the GeoPackage. Every server started here is stopped on exit, Ctrl-C included.

    python benchmarks/serve_features.py [--seconds 15] [--workers 1 2] [--clients 4]
                                        [--pygeoapi-server gunicorn|uvicorn] [--no-tiles]
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import importlib.util
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from urllib.parse import quote

import numpy as np

HERE = Path(__file__).resolve().parent
Timings = dict[int, list[tuple[float, int, int]]]  # zoom -> [(ms, HTTP status, bytes)], as in tiles.py
TARGET_RATIO = 3.0
DEFAULT_BBOX = "116.44,40.94,116.56,41.06"  # about 300 of the 50,000 synthetic parcels
ITEMS = "/collections/land_use/items"
CAN_LOAD_EXT = "import sqlite3; sqlite3.connect(':memory:').enable_load_extension(True)"
HAS_SPATIALITE = (
    "import sqlite3; c = sqlite3.connect(':memory:'); c.enable_load_extension(True); "
    "c.load_extension('mod_spatialite')"
)


def load_tiles_bench() -> ModuleType:
    """benchmarks/tiles.py as a module: the parcels, the tile sample and the timing loop."""
    spec = importlib.util.spec_from_file_location("tiles_bench", HERE / "tiles.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- pygeoapi in its own virtualenv ----------------------------------------------------------


def extension_python(explicit: str | None) -> str:
    """A Python whose sqlite3 can load SpatiaLite: pygeoapi's SQLiteGPKG provider needs one."""
    candidates = [explicit] if explicit else [sys.executable, "/usr/bin/python3", shutil.which("python3")]
    for exe in filter(None, candidates):
        if subprocess.run([exe, "-c", CAN_LOAD_EXT], capture_output=True).returncode == 0:
            if subprocess.run([exe, "-c", HAS_SPATIALITE], capture_output=True).returncode == 0:
                return exe
            raise SystemExit(
                "SpatiaLite is missing (pygeoapi's SQLiteGPKG provider loads it): "
                "apt-get install libsqlite3-mod-spatialite"
            )
    raise SystemExit(
        f"none of {candidates} has an sqlite3 that can load extensions; pass --pygeoapi-python "
        "(Debian's /usr/bin/python3 can)"
    )


def ensure_pygeoapi(venv: Path, spec: str, python: str | None) -> tuple[Path, str]:
    """The virtualenv's bin/ folder and pygeoapi's version, creating and filling the venv if needed."""
    py = venv / "bin" / "python"
    probe = [py, "-c", "import pygeoapi, starlette, uvicorn, gunicorn; print(pygeoapi.__version__)"]
    if not py.exists():
        print(f"creating {venv} ...", flush=True)
        subprocess.run([extension_python(python), "-m", "venv", venv], check=True)
    found = subprocess.run(probe, capture_output=True, text=True)
    if found.returncode != 0:
        print(f"pip install {spec} starlette uvicorn gunicorn into {venv} ...", flush=True)
        subprocess.run(
            [py, "-m", "pip", "install", "-q", spec, "starlette", "uvicorn", "gunicorn"], check=True
        )
        found = subprocess.run(probe, capture_output=True, text=True, check=True)
    if subprocess.run([py, "-c", HAS_SPATIALITE], capture_output=True).returncode != 0:
        raise SystemExit(f"{venv}'s Python cannot load SpatiaLite: delete {venv}, see --help")
    return py.parent, found.stdout.strip()


def pygeoapi_config(folder: Path, bin_dir: Path, gpkg: Path, port: int) -> dict[str, str]:
    """Write pygeoapi's config and OpenAPI document; return the environment that points at them.

    The provider reads the table ``land_use``, not the view ``land_use_current``: SpatiaLite's
    VirtualGPKG (which the provider queries) shows a GeoPackage view as empty. In a workspace
    with one version they hold the same rows (checked in ``build_workspace``).
    """
    folder.mkdir(parents=True, exist_ok=True)
    url = f"http://127.0.0.1:{port}"
    meta = {"name": "Liuyu benchmark", "url": url}
    cfg = {
        "server": {
            "bind": {"host": "127.0.0.1", "port": port},
            "url": url,
            "mimetype": "application/json; charset=UTF-8",
            "encoding": "utf-8",
            "language": "en-US",
            "pretty_print": False,
            "limits": {"default_items": 10, "max_items": 10_000},
            "map": {"url": "https://tile.openstreetmap.org/{z}/{x}/{y}.png", "attribution": "OSM"},
        },
        "logging": {"level": "ERROR"},
        "metadata": {
            "identification": {
                **{"title": "bench", "description": "bench", "keywords": ["bench"], "url": url},
                "terms_of_service": url,
            },
            "license": meta,
            "provider": meta,
            "contact": meta,
        },
        "resources": {"land_use": land_use_resource(gpkg)},
    }
    config, openapi = folder / "pygeoapi-config.yml", folder / "pygeoapi-openapi.yml"
    config.write_text(json.dumps(cfg, indent=1))  # JSON is YAML; no PyYAML needed on this side
    env = {**os.environ, "PYGEOAPI_CONFIG": str(config), "PYGEOAPI_OPENAPI": str(openapi)}
    env["SPATIALITE_LIBRARY_PATH"] = "mod_spatialite"
    generate = [bin_dir / "pygeoapi", "openapi", "generate", config, "--output-file", openapi]
    subprocess.run(generate, env=env, check=True, capture_output=True)
    return env


def land_use_resource(gpkg: Path) -> dict[str, object]:
    provider = {
        "type": "feature",
        "name": "SQLiteGPKG",
        "data": str(gpkg),
        "id_field": "feature_key",  # Liuyu's feature ids, so the two answers can be compared
        "table": "land_use",
    }
    return {
        "type": "collection",
        "title": "land_use",
        "description": "Land-use parcels",
        "keywords": ["land use"],
        "extents": {"spatial": {"bbox": [-180, -90, 180, 90]}},
        "providers": [provider],
    }


# --- servers ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def running(name: str, cmd: list[str | Path], env: dict[str, str], log: Path, port: int) -> Iterator[int]:
    """A server process in its own process group, up and answering; stopped (group and all) on exit."""
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_until_up(name, proc, port, log)
        yield port
    finally:
        stop(proc)


def wait_until_up(name: str, proc: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = log.read_text(errors="replace")[-3000:]
            raise SystemExit(f"{name} exited with {proc.returncode} before answering:\n{tail}")
        with contextlib.suppress(OSError, http.client.HTTPException):
            if get(port, "/collections/land_use")[0] == 200:
                return
        time.sleep(0.2)
    raise SystemExit(f"{name} did not answer on port {port} within 120 s (log: {log})")


def stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the server's process group (uvicorn/gunicorn workers too), SIGKILL after 15 s."""
    for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=wait)
            return


def liuyu_server(root: Path, workers: int, scratch: Path) -> contextlib.AbstractContextManager[int]:
    port = free_port()
    cmd: list[str | Path] = [sys.executable, "-m", "liuyu", "serve", "-w", root]
    cmd += ["--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
    return running("liuyu serve", cmd, dict(os.environ), scratch / f"liuyu-{port}.log", port)


def pygeoapi_server(
    bin_dir: Path, gpkg: Path, workers: int, kind: str, scratch: Path
) -> contextlib.AbstractContextManager[int]:
    port = free_port()
    env = pygeoapi_config(scratch / f"pygeoapi-{port}", bin_dir, gpkg, port)
    if kind == "uvicorn":
        cmd: list[str | Path] = [bin_dir / "uvicorn", "pygeoapi.starlette_app:APP", "--host", "127.0.0.1"]
        cmd += ["--port", str(port), "--workers", str(workers)]
    else:
        cmd = [bin_dir / "gunicorn", "pygeoapi.flask_app:APP", "--bind", f"127.0.0.1:{port}"]
        cmd += ["--workers", str(workers)]
    return running(f"pygeoapi ({kind})", cmd, env, scratch / f"pygeoapi-{port}.log", port)


# --- load ------------------------------------------------------------------------------------


def get(port: int, path: str, conn: http.client.HTTPConnection | None = None) -> tuple[int, bytes]:
    """GET on 127.0.0.1 (through ``conn`` if given, so keep-alive is kept); (status, body)."""
    c = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        c.request("GET", path)
        r = c.getresponse()
        return r.status, r.read()
    finally:
        if conn is None:
            c.close()


@dataclass
class Load:
    """What the clients of one scenario saw."""

    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    body_bytes: int = 0
    elapsed_s: float = 0.0

    @property
    def rps(self) -> float:
        return len(self.latencies_ms) / self.elapsed_s if self.elapsed_s else float("nan")

    def add(self, other: Load) -> None:
        self.latencies_ms += other.latencies_ms
        self.errors += other.errors
        self.body_bytes += other.body_bytes
        self.elapsed_s += other.elapsed_s

    def pct(self, q: float) -> float:
        return float(np.percentile(self.latencies_ms, q)) if self.latencies_ms else float("nan")


def hammer(port: int, path: str, clients: int, seconds: float, max_requests: int) -> Load:
    """``clients`` threads, one keep-alive connection each, requesting ``path`` until time is up."""
    load, lock, stop_now = Load(), threading.Lock(), threading.Event()
    start = threading.Barrier(clients + 1)

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine: list[float] = []
        errors = size = 0
        start.wait()
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and len(mine) + errors < max_requests and not stop_now.is_set():
            t0 = time.perf_counter()
            try:
                status, body = get(port, path, conn)
            except (OSError, http.client.HTTPException):
                conn.close()  # reconnects on the next request
                status, body = 0, b""
            if status == 200:
                mine.append((time.perf_counter() - t0) * 1e3)
                size += len(body)
            else:
                errors += 1
        conn.close()
        with lock:
            load.latencies_ms += mine
            load.errors += errors
            load.body_bytes += size

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for t in threads:
        t.start()
    try:
        start.wait()
        t0 = time.perf_counter()
        for t in threads:
            t.join()
        load.elapsed_s = time.perf_counter() - t0
    finally:
        stop_now.set()
    return load


# --- data and sanity -------------------------------------------------------------------------


def build_workspace(root: Path, n: int, data: str, tb: ModuleType) -> None:
    """A scratch workspace whose ``land_use`` holds ``n`` parcels in one version."""
    import liuyu

    t0 = time.perf_counter()
    if data == "demo":
        from liuyu.demo import build_demo

        build_demo(root, parcels=n).close()
    else:
        with liuyu.init(root) as ws:
            ws.write_layer("land_use", tb.make_parcels(n, "random"), note="serve_features benchmark")
    with contextlib.closing(sqlite3.connect(root / "liuyu.gpkg")) as db:
        sql = "SELECT count(*), count(*) FILTER (WHERE version_to IS NULL) FROM land_use"
        total, current = db.execute(sql).fetchone()
    if total != current:
        raise SystemExit(f"land_use has {total - current} retired rows: pygeoapi would serve them")
    print(f"workspace: {current:,} {data} parcels in land_use, built in {time.perf_counter() - t0:.1f} s")


@dataclass(frozen=True)
class Scenario:
    name: str
    path: str
    bbox: tuple[float, ...] | None = None


def scenarios(limit: int, bbox: str) -> list[Scenario]:
    page = f"{ITEMS}?limit={limit}"
    corners = tuple(float(v) for v in bbox.split(","))
    return [Scenario(f"items limit={limit}", page), Scenario("bbox", f"{page}&bbox={quote(bbox)}", corners)]


def sanity(liuyu_port: int, pg_port: int, s: Scenario) -> str | None:
    """Same query, same answer? numberMatched, the count returned and, for the bbox, the same ids.

    Both servers test the geometry against the bbox (OGC API Features /req/core/fc-bbox-response),
    so any difference in the bbox answer is a mismatch.
    """
    ours = json.loads(get(liuyu_port, s.path)[1])
    theirs = json.loads(get(pg_port, s.path)[1])
    hits = json.loads(get(pg_port, f"{s.path}&resulttype=hits")[1])  # pygeoapi counts only on request
    ids_l, ids_p = {str(f["id"]) for f in ours["features"]}, {str(f["id"]) for f in theirs["features"]}
    matched = ours.get("numberMatched"), hits.get("numberMatched")
    line = f"  {s.name}: numberMatched {matched[0]} | {matched[1]}, returned {len(ids_l)} | {len(ids_p)}"
    if s.bbox is None:
        ok = matched[0] == matched[1] and len(ids_l) == len(ids_p)
        line += f", {len(ids_l & ids_p)} ids in common (no sortby: each server's own page order)"
    else:
        extra, missing = ids_l - ids_p, ids_p - ids_l
        ok = not extra and not missing and matched[0] == matched[1]
        if extra or missing:
            line += f"; only Liuyu: {len(extra)}, only pygeoapi: {len(missing)}"
    print(line + ("" if ok else "  MISMATCH"), flush=True)
    return None if ok else line.strip()


# --- runs and report -------------------------------------------------------------------------


@dataclass
class Row:
    workers: int
    scenario: str
    server: str
    load: Load


def compare(args: argparse.Namespace, workers: int, root: Path, bin_dir: Path, scratch: Path) -> list[Row]:
    """Both servers up with ``workers`` processes each; sanity check, then every scenario on each.

    Each scenario's time is cut into ``--rounds`` slices that alternate between the servers, so
    a change in the machine's background load falls on both sides of the ratio alike.
    """
    gpkg = root / "liuyu.gpkg"
    rows = []
    with (
        liuyu_server(root, workers, scratch) as lp,
        pygeoapi_server(bin_dir, gpkg, workers, args.pygeoapi_server, scratch) as pp,
    ):
        print(f"\n{workers} worker process(es) each: liuyu :{lp}, pygeoapi :{pp}; sanity (liuyu | pygeoapi)")
        for s in scenarios(args.limit, args.bbox):
            if problem := sanity(lp, pp, s):
                args.problems.append(f"{workers} worker(s), {problem}")
        servers = {"liuyu": lp, "pygeoapi": pp}
        for s in scenarios(args.limit, args.bbox):
            loads = {name: Load() for name in servers}
            for port in servers.values():
                hammer(port, s.path, args.clients, args.warmup, args.max_requests)  # warm-up, not counted
            for _ in range(args.rounds):
                for name, port in servers.items():
                    slice_s = args.seconds / args.rounds
                    loads[name].add(hammer(port, s.path, args.clients, slice_s, args.max_requests))
            for name, load in loads.items():
                rows.append(Row(workers, s.name, name, load))
                print(f"  {s.name:<18} {name:<9} {load.rps:8.1f} req/s  p50 {load.pct(50):7.1f} ms")
    return rows


def report(rows: list[Row]) -> bool:
    print(f"\n{'workers':>7}  {'scenario':<18} {'server':<9} {'requests':>8} {'req/s':>8} ", end="")
    print(f"{'p50 ms':>8} {'p99 ms':>8} {'errors':>6} {'KB/resp':>8}")
    met = True
    for i in range(0, len(rows), 2):
        for r in rows[i : i + 2]:
            n, kb = len(r.load.latencies_ms), r.load.body_bytes / max(len(r.load.latencies_ms), 1) / 1024
            print(f"{r.workers:>7}  {r.scenario:<18} {r.server:<9} {n:>8} {r.load.rps:>8.1f} ", end="")
            print(f"{r.load.pct(50):>8.1f} {r.load.pct(99):>8.1f} {r.load.errors:>6} {kb:>8.1f}")
        ratio = rows[i].load.rps / rows[i + 1].load.rps
        ok = ratio >= TARGET_RATIO and rows[i].load.errors == 0
        met &= ok
        verdict = "ok" if ok else "MISSED" if ratio < TARGET_RATIO else "MISSED (Liuyu answered errors)"
        print(f"{'':>29}liuyu/pygeoapi {ratio:6.2f}x  (target >= {TARGET_RATIO:.0f}x)  {verdict}")
    return met


def tiles_run(root: Path, scratch: Path, tb: ModuleType, per_zoom: int, budget_s: float) -> bool:
    """Cold then warm pass over tiles.py's tile sample, through a fresh ``liuyu serve`` (1 worker)."""
    shutil.rmtree(root / "cache", ignore_errors=True)  # cold = not cut yet, on disk or in memory
    sample = tb.sample_tiles(per_zoom)
    with liuyu_server(root, 1, scratch) as port:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

        def getter(path: str) -> tuple[int, int]:
            status, body = get(port, path, conn)
            return status, len(body)

        try:
            tb.warm_up(getter)  # a z7 tile: the process's first tile opens the store, builds transformers
            deadline = time.monotonic() + budget_s
            cold = tb.run_pass(getter, sample, deadline)
            warm = tb.run_pass(getter, sample, deadline + budget_s)
        finally:
            conn.close()
    return tiles_report(cold, warm, tb)


def tiles_report(cold: Timings, warm: Timings, tb: ModuleType) -> bool:
    print("\ntiles /collections/land_use/tiles/WebMercatorQuad/{z}/{y}/{x}, 1 worker, 1 client")
    print(f"{'z':>3} {'tiles':>5} {'empty':>5} {'KB max':>7} ", end="")
    print(f"{'cold p50':>9} {'p95':>7} {'warm p50':>9} {'p95':>7}")
    met = True
    for z in tb.ZOOMS:
        c, w = cold.get(z, []), warm.get(z, [])
        if not c:
            continue
        ok = tb.pct(c, 95) < tb.COLD_P95_MS and tb.pct(w, 95) < tb.WARM_P95_MS
        met &= ok
        empty, kb = sum(r[1] == 204 for r in c), max(r[2] for r in c) / 1024
        print(
            f"{z:>3} {len(c):>5} {empty:>5} {kb:>7.1f} {tb.pct(c, 50):>9.1f} {tb.pct(c, 95):>7.1f} ", end=""
        )
        print(f"{tb.pct(w, 50):>9.1f} {tb.pct(w, 95):>7.1f}  {'ok' if ok else 'MISSED'}")
    targets = f"cold p95 < {tb.COLD_P95_MS:.0f} ms, warm p95 < {tb.WARM_P95_MS:.0f} ms"
    print(f"tile targets: {targets} -> {'MET' if met else 'NOT MET'}")
    return met


class _Help(argparse.RawDescriptionHelpFormatter, argparse.ArgumentDefaultsHelpFormatter):
    """The module docstring as written, and each option's default."""


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=_Help)
    ap.add_argument("--seconds", type=float, default=15.0, help="measured time per server and scenario")
    ap.add_argument("--rounds", type=int, default=3, help="slices of --seconds, alternating the servers")
    ap.add_argument("--warmup", type=float, default=2.0, help="unmeasured load before each measurement (s)")
    ap.add_argument("--clients", type=int, default=4, help="concurrent keep-alive clients")
    ap.add_argument("--max-requests", type=int, default=20_000, help="cap on requests per client per run")
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="worker processes, each server")
    ap.add_argument("--n", type=int, default=50_000, help="parcels in land_use")
    data_help = "tiles.py's random parcels (seconds), or liuyu.demo.build_demo (about 30 s)"
    ap.add_argument("--data", choices=["synthetic", "demo"], default="synthetic", help=data_help)
    ap.add_argument("--limit", type=int, default=1000, help="items per page in both scenarios")
    ap.add_argument("--bbox", default=DEFAULT_BBOX, help="CRS84 minx,miny,maxx,maxy of the bbox scenario")
    server_help = "gunicorn + pygeoapi.flask_app (sync workers) or uvicorn + pygeoapi.starlette_app (threads)"
    ap.add_argument(
        "--pygeoapi-server", choices=["gunicorn", "uvicorn"], default="gunicorn", help=server_help
    )
    ap.add_argument("--pygeoapi-venv", type=Path, default=HERE / ".venv-pygeoapi")
    ap.add_argument("--pygeoapi-spec", default="pygeoapi", help="what to pip install, e.g. pygeoapi==0.21.0")
    ap.add_argument("--pygeoapi-python", help="Python for the venv (its sqlite3 must load extensions)")
    ap.add_argument("--no-tiles", action="store_true", help="skip the vector-tile latencies")
    ap.add_argument("--tiles-per-zoom", type=int, default=20, help="tiles sampled per zoom, z8-z14")
    ap.add_argument("--tiles-budget", type=float, default=120.0, help="time cap per tile pass (s)")
    ap.add_argument("--keep", action="store_true", help="keep the scratch workspace and server logs")
    return ap.parse_args()


def main() -> int:
    args = parse_args()
    args.problems = []
    signal.signal(signal.SIGTERM, lambda signum, _frame: sys.exit(128 + signum))  # so `finally` runs
    tb = load_tiles_bench()
    bin_dir, version = ensure_pygeoapi(args.pygeoapi_venv, args.pygeoapi_spec, args.pygeoapi_python)
    scratch = Path(tempfile.mkdtemp(prefix="liuyu-serve-bench-"))
    try:
        root = scratch / "ws"
        build_workspace(root, args.n, args.data, tb)
        print(f"baseline: pygeoapi {version} ({args.pygeoapi_server}), SQLiteGPKG provider, table land_use")
        print(
            f"load: {args.clients} keep-alive clients on 127.0.0.1, {args.seconds:g} s per server and "
            f"scenario in {args.rounds} alternating slices; {os.cpu_count()} CPUs shared by servers and "
            f"clients; load average {os.getloadavg()[0]:.2f}"
        )
        rows = [row for w in args.workers for row in compare(args, w, root, bin_dir, scratch)]
        met = report(rows)
        print(f"requests/s target (liuyu >= {TARGET_RATIO:.0f}x pygeoapi): {'MET' if met else 'NOT MET'}")
        print(f"load average now {os.getloadavg()[0]:.2f} (other processes on this machine skew the numbers)")
        for problem in args.problems:
            print(f"sanity MISMATCH: {problem}")
        if not args.no_tiles:
            met &= tiles_run(root, scratch, tb, args.tiles_per_zoom, args.tiles_budget)
        return 0 if met and not args.problems else 1
    finally:
        if args.keep:
            print(f"workspace and logs kept in {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit("interrupted; every server this run started has been stopped")
