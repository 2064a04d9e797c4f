"""Bounded load on loopback: ``liuyu serve --workers 2`` on PostGIS, many clients, mixed reads and writes.

The demo basin is built on PostgreSQL + PostGIS (a throw-away cluster from ``scripts/pg.sh``, or
``--store URL`` of a running server), served by ``liuyu serve --workers N``, and ``--clients``
concurrent keep-alive clients (httpx, asyncio) send for ``--duration`` seconds a mix of

* reads: the collection list, pages of features (``items``), vector tiles z9-z12 over the basin,
  SensorThings (Things, Datastreams, a datastream's Observations), latest values (``/api/latest``);
* writes: new ledger problems (``POST /api/ledger/problems``), as an administrator with an API token.

Then every acknowledged write is counted back (through the API and in the store): the target is
0 errors and 0 lost writes. p50/p99 latency per kind are printed. Then the same read mix, as
long and as many clients, against the same demo on the embedded store (GeoPackage), for comparison.

    python benchmarks/load.py                                    # 50 clients x 60 s, about 5 minutes
    python benchmarks/load.py --duration 10 --clients 10         # a quick look
    python benchmarks/load.py --store postgresql://postgres@127.0.0.1:55432/liuyu_x   # a running server

Everything runs on 127.0.0.1; the number of requests is bounded by ``--max-requests`` too. Servers,
the cluster and the scratch folder are removed at the end (``--keep`` keeps the folder).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import numpy as np
import pgcluster

READ_MIX = {"collections": 5, "items": 30, "tiles": 25, "sensorthings": 20, "latest": 10}
WRITE_SHARE = 10  # weight of writes next to the reads above
OK = {200, 201, 204}


@dataclass
class Targets:
    """What the clients ask for, sampled once from the served demo."""

    items: list[str]
    tiles: list[str]
    sensorthings: list[str]
    latest: list[str]
    bbox: tuple[float, float, float, float]

    def url(self, kind: str, rng: random.Random) -> str:
        if kind == "collections":
            return "/collections"
        return rng.choice(getattr(self, kind))


@dataclass
class Result:
    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)
    written: list[str] = field(default_factory=list)  # codes of acknowledged problems

    def add(self, kind: str, ms: float, error: str | None) -> None:
        self.latencies.setdefault(kind, []).append(ms)
        if error:
            self.errors.setdefault(kind, []).append(error)

    @property
    def n(self) -> int:
        return sum(len(v) for v in self.latencies.values())

    @property
    def n_errors(self) -> int:
        return sum(len(v) for v in self.errors.values())


# --- the server -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def liuyu(*args: str, env: dict[str, str] | None = None) -> None:
    subprocess.run([sys.executable, "-m", "liuyu", *args], check=True, env=env, stdout=subprocess.DEVNULL)


@contextlib.contextmanager
def serving(root: Path, workers: int, log: Path) -> Iterator[str]:
    """``liuyu serve`` on a free loopback port until the block ends (the whole process group stopped)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("LIUYU_WORKSPACE", "LIUYU_STORE")}
    cmd = [
        sys.executable,
        "-m",
        "liuyu",
        "serve",
        "-w",
        str(root),
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"liuyu serve exited:\n{log.read_text()[-2000:]}")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{url}/conformance", timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError("liuyu serve did not start within 120 s")
            time.sleep(0.2)
        yield url
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def build_demo(root: Path, store: str | None, parcels: int) -> None:
    """The demo basin in ``root``; on PostGIS when ``store`` is a postgresql:// URL."""
    env = {k: v for k, v in os.environ.items() if k not in ("LIUYU_WORKSPACE", "LIUYU_STORE")}
    if store:
        env["LIUYU_STORE"] = store
    t = time.perf_counter()
    liuyu("demo", str(root), "--parcels", str(parcels), env=env)
    where = "PostGIS" if store else "GeoPackage"
    print(f"demo built on {where} in {time.perf_counter() - t:.0f} s ({parcels:,} parcels)", flush=True)


def admin_token(root: Path) -> str:
    """An administrator and an API token for the clients (the server then requires logins)."""
    from liuyu.access import accounts
    from liuyu.workspace import open_workspace

    with open_workspace(root) as ws:
        if accounts.get_user(ws.store, "load-admin") is None:
            accounts.add_user(ws.store, "load", "load-admin", "admin", "basin", "load-Passw0rd")
        token, _ = accounts.create_token(ws.store, "load", "load-admin", 1, "benchmarks/load.py")
    return token


def drop_schema(root: Path) -> None:
    from liuyu.workspace import open_workspace

    with open_workspace(root) as ws:
        schema = ws.store.schema
        ws.store.conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
    print(f"dropped schema {schema}")


# --- what to ask ------------------------------------------------------------------------------


def tile_xy(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    x = int((lon + 180.0) / 360.0 * n)
    y = int((1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n)
    return min(max(x, 0), n - 1), min(max(y, 0), n - 1)


def sample_targets(url: str, headers: dict[str, str], seed: int) -> Targets:
    rng = random.Random(seed)
    with httpx.Client(base_url=url, headers=headers, timeout=60) as c:
        cols = c.get("/collections").raise_for_status().json()["collections"]
        vector = [
            col["id"] for col in cols if any(link.get("rel") == "items" for link in col.get("links", []))
        ]
        items = []
        for cid in [x for x in ("land_use", "townships", "villages", "stations", "rivers") if x in vector]:
            n = c.get(f"/collections/{cid}/items", params={"limit": 1}).json().get("numberMatched", 0)
            items += [
                f"/collections/{cid}/items?limit=100&offset={rng.randrange(max(n - 100, 1))}"
                for _ in range(20)
            ]
        bbox = tuple(c.get("/collections/land_use").json()["extent"]["spatial"]["bbox"][0])[:4]
        tiles = []
        for z in (9, 10, 11, 12):
            x0, y0 = tile_xy(bbox[0], bbox[3], z)
            x1, y1 = tile_xy(bbox[2], bbox[1], z)
            for _ in range(15):
                x, y = rng.randint(x0, x1), rng.randint(y0, y1)
                tiles.append(f"/collections/land_use/tiles/WebMercatorQuad/{z}/{y}/{x}")
        ds = c.get("/sta/v1.1/Datastreams", params={"$select": "@iot.id", "$top": 1000}).json()["value"]
        ids = [d["@iot.id"] for d in ds]
        sta = ["/sta/v1.1/Things?$top=50", "/sta/v1.1/Datastreams?$top=50"]
        sta += [
            f"/sta/v1.1/Datastreams({i})/Observations?$top=100" for i in rng.sample(ids, min(40, len(ids)))
        ]
        stations = c.get("/collections/stations/items", params={"limit": 1000}).json()["features"]
        codes = [f["properties"]["code"] for f in stations]
        latest = ["/api/latest"] + [
            f"/api/latest?station={code}" for code in rng.sample(codes, min(40, len(codes)))
        ]
    return Targets(items, tiles, sta, latest, bbox)  # type: ignore[arg-type]


# --- the clients ------------------------------------------------------------------------------


async def client_loop(
    c: httpx.AsyncClient,
    t: Targets,
    cid: int,
    run: str,
    writes: bool,
    end: float,
    budget: list[int],
    out: Result,
) -> None:
    rng = random.Random(cid)
    kinds = list(READ_MIX) + (["write"] if writes else [])
    weights = list(READ_MIX.values()) + ([WRITE_SHARE] if writes else [])
    i = 0
    while time.monotonic() < end and budget[0] > 0:
        budget[0] -= 1
        kind = rng.choices(kinds, weights)[0]
        t0 = time.perf_counter()
        error = None
        try:
            if kind == "write":
                i += 1
                lon = rng.uniform(t.bbox[0], t.bbox[2])
                lat = rng.uniform(t.bbox[1], t.bbox[3])
                body = {
                    "title": f"{run}-{cid}-{i}",
                    "source": "inspection",
                    "category": "illegal_dumping",
                    "longitude": lon,
                    "latitude": lat,
                    "description": "benchmarks/load.py",
                }
                r = await c.post("/api/ledger/problems", json=body)
                if r.status_code == 201:
                    out.written.append(r.json()["code"])
            else:
                r = await c.get(t.url(kind, rng))
            if r.status_code not in OK:
                error = f"{r.status_code} {r.request.url.path}: {r.text[:160]}"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"
        out.add(kind, (time.perf_counter() - t0) * 1000, error)


async def hammer(
    url: str, token: str, t: Targets, clients: int, seconds: float, writes: bool, cap: int
) -> Result:
    out = Result()
    run = f"load-{os.getpid()}-{int(time.time())}"
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=url, headers=headers, limits=limits, timeout=120) as c:
        end = time.monotonic() + seconds
        budget = [cap]
        await asyncio.gather(*(client_loop(c, t, i, run, writes, end, budget, out) for i in range(clients)))
    return out


def count_back(url: str, token: str, root: Path, written: list[str]) -> tuple[int, int]:
    """Acknowledged writes found again: through the API (every code) and in the store (the count)."""
    from liuyu.workspace import open_workspace

    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=120) as c:
        listed = {p["code"] for p in c.get("/api/ledger/problems").raise_for_status().json()["problems"]}
    found_api = len(set(written) & listed)
    with open_workspace(root) as ws:
        conn = ws.store.conn
        marks = ",".join("?" * len(written)) or "NULL"
        found_db = conn.execute(
            f"SELECT count(*) FROM ledger_problems WHERE code IN ({marks})", written
        ).fetchone()[0]
    return found_api, int(found_db)


def report(title: str, res: Result, seconds: float) -> None:
    print(
        f"\n{title}: {res.n:,} requests in {seconds:.0f} s ({res.n / seconds:.0f}/s), {res.n_errors} errors"
    )
    print(f"  {'kind':<13}{'n':>8}{'errors':>8}{'p50 ms':>10}{'p99 ms':>10}")
    for kind in [*READ_MIX, "write"]:
        ms = res.latencies.get(kind)
        if not ms:
            continue
        p50, p99 = np.percentile(ms, [50, 99])
        print(f"  {kind:<13}{len(ms):>8,}{len(res.errors.get(kind, [])):>8}{p50:>10.1f}{p99:>10.1f}")
    for kind, errs in res.errors.items():
        for e in errs[:3]:
            print(f"  error ({kind}): {e}")


def run_one(
    root: Path, scratch: Path, args: argparse.Namespace, writes: bool, title: str
) -> tuple[Result, bool]:
    token = admin_token(root)
    with serving(root, args.workers, scratch / f"serve-{title.split()[0].lower()}.log") as url:
        targets = sample_targets(url, {"Authorization": f"Bearer {token}"}, args.seed)
        res = asyncio.run(hammer(url, token, targets, args.clients, args.duration, writes, args.max_requests))
        report(title, res, args.duration)
        if not writes:
            return res, res.n_errors == 0
        api, db = count_back(url, token, root, res.written)
    lost = len(res.written) - min(api, db)
    print(f"  writes acknowledged {len(res.written):,}; counted back: API {api:,}, store {db:,}; lost {lost}")
    return res, res.n_errors == 0 and lost == 0 and len(res.written) > 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--duration", type=float, default=60.0, help="seconds of load per store (default 60)")
    ap.add_argument("--clients", type=int, default=50, help="concurrent clients (default 50)")
    ap.add_argument("--workers", type=int, default=2, help="liuyu serve --workers (default 2)")
    ap.add_argument(
        "--parcels", type=int, default=20_000, help="land-use parcels of the demo (default 20,000)"
    )
    ap.add_argument("--max-requests", type=int, default=200_000, help="upper bound of requests per store")
    ap.add_argument("--store", help="postgresql:// URL of a running server (default: a throw-away cluster)")
    ap.add_argument("--no-embedded", action="store_true", help="skip the GeoPackage comparison")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--keep", action="store_true", help="keep the scratch folder (workspaces, server logs)")
    args = ap.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="liuyu-load-"))
    ok = True
    try:
        with contextlib.ExitStack() as stack:
            store = args.store
            if not store:
                why = pgcluster.missing()
                if why:
                    print(f"PostGIS: {why}")
                    return 2
                store = stack.enter_context(pgcluster.postgis_cluster("max_connections=300"))
            build_demo(scratch / "pg", store, args.parcels)
            if args.store and not args.keep:  # a server that stays: drop the demo's schema afterwards
                stack.callback(drop_schema, scratch / "pg")
            title = f"PostGIS, liuyu serve --workers {args.workers}, {args.clients} clients, reads and writes"
            _, ok = run_one(scratch / "pg", scratch, args, True, title)
        if not args.no_embedded:
            build_demo(scratch / "gpkg", None, args.parcels)
            title = f"GeoPackage, liuyu serve --workers {args.workers}, {args.clients} clients, reads only"
            _, ok_gpkg = run_one(scratch / "gpkg", scratch, args, False, title)
            ok = ok and ok_gpkg
    finally:
        if args.keep:
            print(f"kept: {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    print("\nOK: 0 errors, 0 lost writes" if ok else "\nFAILED: errors or lost writes (see above)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
