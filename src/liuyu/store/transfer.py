"""Moving a workspace between backends (GeoPackage <-> PostgreSQL), then proving nothing was lost.

Every data table is copied as it is (same ids, fids, versions, revisions, audit entries);
observations go batch by batch from Parquet files to the partitioned table or back. Then both
stores are read again and each table's row count and order-independent checksum of canonical
rows (:mod:`transfer_canon`) are compared: the copy is trusted only when all of them match.
"""

from __future__ import annotations

import contextlib
import hashlib
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from liuyu.config import CONFIG_NAME, save_config
from liuyu.errors import StoreError
from liuyu.store import audit
from liuyu.store import transfer_io as tio
from liuyu.store.base import open_store
from liuyu.store.location import DEFAULT_LOCATION, is_server_location, redact, store_location
from liuyu.store.sqlconn import dialect
from liuyu.store.transfer_canon import Digest, common_family, digest

__all__ = ["TableCheck", "TransferResult", "copy_store", "export_workspace", "transfer", "verify"]

if TYPE_CHECKING:
    from liuyu.workspace import Workspace

Progress = Callable[[str, int], None]


@dataclass
class TableCheck:
    """One table compared after the copy: rows and checksums on both sides."""

    table: str
    source: Digest
    target: Digest
    columns: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.source.rows == self.target.rows and self.source.total == self.target.total


@dataclass
class TransferResult:
    """What a copy did and what the comparison found."""

    copied: dict[str, int] = field(default_factory=dict)
    checks: list[TableCheck] = field(default_factory=list)
    seconds_copy: float = 0.0
    seconds_verify: float = 0.0

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    @property
    def mismatches(self) -> list[str]:
        return [c.table for c in self.checks if not c.ok]


def _plan(source: Any, target: Any) -> list[tuple[tio.TableInfo, tio.TableInfo, dict[str, str]]]:
    """Pairs (source table, target table, compared column -> canonical family), refusing any loss."""
    src, dst = tio.list_tables(source.conn), tio.list_tables(target.conn)
    plan = []
    for name, s in src.items():
        d = dst.get(name)
        if d is None:
            raise StoreError(
                f"the destination has no table {name!r}",
                hint="upgrade Liuyu where the destination was made, or export to a new location",
            )
        cols = (
            tio.OBS_COLUMNS
            if name == tio.OBSERVATIONS
            else [c for c in s.columns if (name, c) not in tio.BACKEND_COLUMNS]
        )
        lost = [c for c in cols if c not in d.columns]
        if lost:
            raise StoreError(
                f"the destination's table {name} lacks columns {lost}",
                hint="upgrade Liuyu on the destination",
            )
        fams = {
            c: (
                tio.OBS_FAMILIES[c]
                if name == tio.OBSERVATIONS
                else common_family(s.columns[c].family, d.columns[c].family)
            )
            for c in cols
        }
        plan.append((s, d, fams))
    return plan


def copy_store(
    source: Any, target: Any, progress: Progress | None = None
) -> tuple[dict[str, int], dict[str, Digest]]:
    """Copy every table of ``source`` into the new, empty store ``target``.

    Each table is replaced in one transaction of the target (rows a new store made for itself,
    such as seeded defaults, are removed first, so the target holds exactly the source's rows).
    Returns rows copied per table and the source's digests, taken from the very rows copied.
    """
    copied: dict[str, int] = {}
    digests: dict[str, Digest] = {}
    tio.prepare_target(target)
    for s, d, fams in _plan(source, target):
        if s.name == tio.OBSERVATIONS:
            copied[s.name], digests[s.name] = _copy_observations(source, target, fams)
        else:
            copied[s.name], digests[s.name] = _copy_table(source, target, s, d, fams)
        if progress:
            progress(s.name, copied[s.name])
    return copied, digests


def _copy_table(
    source: Any, target: Any, s: tio.TableInfo, d: tio.TableInfo, fams: dict[str, str]
) -> tuple[int, Digest]:
    seen = Digest()
    with target.transaction() as tx:
        tx.execute(f"DELETE FROM {tio.q(d.name)}")
        n = 0
        index = tio.RtreeBulk(tx, d)
        for chunk in tio.read_chunks(source.conn, s, list(fams)):
            digest(chunk, fams, seen)
            n += tio.write_chunk(tx, d, chunk)
            index.add(chunk)
        index.finish()
        _after_table(tx, d)
    return n, seen


def _copy_observations(source: Any, target: Any, fams: dict[str, str]) -> tuple[int, Digest]:
    written: list[int] = []
    seen = Digest()
    n = 0
    try:
        with target.transaction() as tx:
            if dialect(tx) == "postgresql":
                tx.execute("DELETE FROM observations")
            indexes = tio.drop_indexes(tx, tio.OBSERVATIONS)
            for table in tio.observation_batches(source.conn):
                _digest_arrow(table, fams, seen)
                n += tio.write_observations(tx, table)
                if dialect(tx) == "sqlite" and table.num_rows:
                    written.append(int(table.column("batch_id")[0].as_py()))
            tio.create_indexes(tx, indexes)
    except BaseException:
        if written:  # the registrations rolled back: their files must not stay behind
            from liuyu.store import obs_files

            directory = obs_files.obs_dir(obs_files.gpkg_path(target.conn))
            for b in written:
                (directory / f"b{b:09d}.parquet").unlink(missing_ok=True)
        raise
    return n, seen


def _after_table(conn: Any, info: tio.TableInfo) -> None:
    """What a backend keeps beside the rows: identity sequences (PostgreSQL), extents (GeoPackage)."""
    if dialect(conn) == "postgresql":
        for col in info.columns:
            seq = conn.execute("SELECT pg_get_serial_sequence(?, ?)", (tio.q(info.name), col)).fetchone()
            if seq and seq[0]:
                top = f"(SELECT max({tio.q(col)}) FROM {tio.q(info.name)})"
                conn.execute(f"SELECT setval(?, coalesce({top}, 0) + 1, false)", (seq[0],))
        return
    has_geom = any(c.family == "geom" for c in info.columns.values())
    rtree = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE name = ?", (f"rtree_{info.name}_geom",)
    ).fetchone()
    if has_geom and rtree:
        from liuyu.store.gpkg_layers import LayerWriter

        LayerWriter.touch_contents(conn, info.name)


def _digest_arrow(table: Any, families: dict[str, str], into: Digest, rows: int = 500_000) -> None:
    """Digest an arrow table slice by slice: pandas copies of a whole 10 M row batch are not needed."""
    for start in range(0, table.num_rows, rows):
        digest(tio.observation_frame(table.slice(start, rows)), families, into)


def table_digest(conn: Any, info: tio.TableInfo, families: dict[str, str]) -> Digest:
    """Rows and checksum of one table of one store, read through that store's connection."""
    out = Digest()
    if info.name == tio.OBSERVATIONS:
        for table in tio.observation_batches(conn):
            _digest_arrow(table, families, out)
        return out
    for chunk in tio.read_chunks(conn, info, list(families)):
        digest(chunk, families, out)
    return out


def verify(source: Any, target: Any, known: dict[str, Digest] | None = None) -> list[TableCheck]:
    """Every table's rows and checksum read back from both stores (``known``: source digests
    already taken while copying). Tables only the target has are not compared."""
    known = known or {}
    return [
        TableCheck(
            s.name,
            known[s.name] if s.name in known else table_digest(source.conn, s, fams),
            table_digest(target.conn, d, fams),
            list(fams),
        )
        for s, d, fams in _plan(source, target)
    ]


@contextlib.contextmanager
def snapshot(conn: Any) -> Iterator[None]:
    """Read the source in one consistent snapshot, so writes landing during an export (a server
    taking an ingest) are either wholly in the copy or wholly not: SQLite's read transaction in WAL
    mode, PostgreSQL's REPEATABLE READ."""
    if getattr(conn, "in_transaction", False):  # the caller's transaction already pins a snapshot
        yield
        return
    pg = dialect(conn) == "postgresql"
    conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" if pg else "BEGIN")
    try:
        yield
    finally:
        conn.execute("COMMIT")


def transfer(source: Any, target: Any, progress: Progress | None = None) -> TransferResult:
    """Copy, then verify; the caller decides what a mismatch means (the CLI exits non-zero)."""
    t0 = time.perf_counter()
    with snapshot(source.conn):
        copied, digests = copy_store(source, target, progress)
    t1 = time.perf_counter()
    checks = verify(source, target, digests)
    return TransferResult(copied, checks, t1 - t0, time.perf_counter() - t1)


# --- a whole workspace: the store, and (with a destination folder) its files -----------------------
def resolve_target(to: str | None, dest_root: Path | None, cwd: Path) -> str:
    """The store location to export to: a postgresql:// URL (a new ``ws_`` schema when it names
    none) or a new .gpkg path (relative to the destination folder, else the current folder)."""
    if to is None:
        if dest_root is None:
            raise StoreError("nowhere to export to", hint="give --to URL|PATH, or --workspace DEST")
        return DEFAULT_LOCATION
    if is_server_location(to):
        return store_location(to)
    path = Path(to)
    if path.suffix.lower() != ".gpkg":
        raise StoreError(
            f"{to!r} is neither a postgresql:// URL nor a .gpkg path",
            hint="e.g. --to postgresql://user@host/db?schema=miyun or --to /data/miyun.gpkg",
        )
    if path.is_absolute():
        return str(path)
    return str(path) if dest_root is not None else str((cwd / path).resolve())


def _store_files(location: str, root: Path) -> set[Path]:
    """The files a GeoPackage store is made of (the file, its journal, its observations folder)."""
    if is_server_location(location):
        return set()
    from liuyu.store.obs_files import obs_dir

    path = Path(location) if Path(location).is_absolute() else root / location
    return {path, *(path.with_name(path.name + s) for s in ("-wal", "-shm", "-journal")), obs_dir(path)}


def _tree_digest(root: Path, skip: set[Path]) -> dict[str, Digest]:
    """Per top-level folder of a workspace: files and an order-free checksum of (path, SHA-256)."""
    out: dict[str, Digest] = {}
    for top in sorted(root.iterdir()):
        if top in skip or top.name == CONFIG_NAME:
            continue
        files = [p for p in ([top] if top.is_file() else sorted(top.rglob("*"))) if p.is_file()]
        rows = pd.DataFrame(
            {
                "path": [p.relative_to(root).as_posix() for p in files],
                "sha256": [hashlib.sha256(p.read_bytes()).hexdigest() for p in files],
            }
        )
        out[f"files:{top.name}"] = digest(rows, {"path": "text", "sha256": "text"})
    return out


def _copy_files(src: Path, dest: Path, skip: set[Path]) -> None:
    for top in sorted(src.iterdir()):
        if top in skip or top.name == CONFIG_NAME:
            continue
        if top.is_dir():
            shutil.copytree(top, dest / top.name, dirs_exist_ok=True)
        else:
            shutil.copy2(top, dest / top.name)


def _discard(location: str, root: Path, target: Any) -> None:
    """Remove what a failed export made (a new store only: create refuses existing ones)."""
    if is_server_location(location):
        with contextlib.suppress(Exception):
            target.conn.execute(f"DROP SCHEMA IF EXISTS {tio.q(target.schema)} CASCADE")
        target.close()
        return
    target.close()
    for path in _store_files(location, root):
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


def export_workspace(
    ws: Workspace,
    to: str | None,
    dest_root: Path | None = None,
    *,
    user: str = "liuyu",
    progress: Progress | None = None,
) -> tuple[str, TransferResult]:
    """Copy ``ws``'s store to ``to`` and verify it; with ``dest_root`` also make a new workspace
    folder there (liuyu.toml pointing at the new store, copies of sources, rasters, photos...).

    Returns the new store's location and the result; the caller reports mismatches.
    """
    location = resolve_target(to, dest_root, Path.cwd())
    if dest_root is not None:
        if dest_root.exists() and any(dest_root.iterdir()):
            raise StoreError(f"{dest_root} is not empty", hint="export to a new folder")
        dest_root.mkdir(parents=True, exist_ok=True)
    root = dest_root or (ws.root if is_server_location(location) else Path(location).parent)
    try:
        target = open_store(location, root, create=True)
    except BaseException:
        if dest_root is not None and not any(dest_root.iterdir()):
            dest_root.rmdir()
        raise
    try:
        result = transfer(ws.store, target, progress)
        if dest_root is not None:
            skip = _store_files(ws.config.store.location, ws.root)
            _copy_files(ws.root, dest_root, skip)
            theirs = _tree_digest(ws.root, skip)
            ours = _tree_digest(dest_root, _store_files(location, dest_root))
            for name, d in theirs.items():
                result.checks.append(TableCheck(name, d, ours.get(name, Digest()), ["path", "sha256"]))
            config = ws.config.model_copy(deep=True)
            config.store.location = location
            save_config(config, dest_root / CONFIG_NAME)
        audit.record(
            target.conn,  # type: ignore[attr-defined]
            user,
            "store.import",
            f"store:{redact(ws.config.store.location)}",
            detail={"tables": len(result.checks), "rows": sum(result.copied.values()), "verified": result.ok},
        )
    except BaseException:
        _discard(location, root, target)
        if dest_root is not None:
            shutil.rmtree(dest_root, ignore_errors=True)
        raise
    target.close()
    return location, result
