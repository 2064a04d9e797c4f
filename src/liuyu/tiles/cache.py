"""Tile cache in memory (bounded LRU) and on disk, keyed by the layer version the tile was cut from.

A key names the version, so a new version is simply a different key: the moment another
process commits an ingest, the next request reads the new current version and misses the
cache, with no invalidation message to lose. Tiles of older versions are never served again;
their files are pruned when a newer version is first seen.

Disk layout: ``<workspace>/cache/tiles/<code>/v<version>/<z>/<x>/<y>.mvt``; an empty tile is
an empty file. Files are written to a temporary name and renamed, so a reader in another
process never sees half a tile. A ``FORMAT`` file records the encoder revision: tiles cut by
an older Liuyu are discarded rather than served.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from collections import OrderedDict
from pathlib import Path
from typing import NamedTuple

#: Bump when the bytes of a tile for the same data change (encoder, generalization, properties).
ENCODER_REVISION = "1"
DEFAULT_MEMORY_BYTES = 128 * 1024 * 1024


class TileKey(NamedTuple):
    """A tile of one version of one layer."""

    code: str
    version: int
    z: int
    x: int
    y: int

    @property
    def etag(self) -> str:
        """The entity tag: it changes exactly when the tile's content may change."""
        return f"{self.code}-v{self.version}-{self.z}-{self.x}-{self.y}"


class TileCache:
    """Memory LRU in front of the workspace's tile folder; safe to share between threads."""

    def __init__(self, folder: Path, *, memory_bytes: int = DEFAULT_MEMORY_BYTES) -> None:
        self.folder = folder
        self.memory_bytes = memory_bytes
        self._lru: OrderedDict[TileKey, bytes] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()
        self._newest: dict[str, int] = {}
        self.hits = self.disk_hits = self.misses = 0
        self._check_format()

    @classmethod
    def for_workspace(cls, root: Path, **kw: int) -> TileCache:
        return cls(root / "cache" / "tiles", **kw)

    def path(self, key: TileKey) -> Path:
        return self.folder / key.code / f"v{key.version}" / str(key.z) / str(key.x) / f"{key.y}.mvt"

    def get(self, key: TileKey) -> bytes | None:
        """The cached tile (b"" for a known empty tile), or None when it must be cut."""
        with self._lock:
            data = self._lru.get(key)
            if data is not None:
                self._lru.move_to_end(key)
                self.hits += 1
                return data
        try:
            data = self.path(key).read_bytes()
        except OSError:
            with self._lock:
                self.misses += 1
            return None
        self._remember(key, data)
        with self._lock:
            self.disk_hits += 1
        return data

    def put(self, key: TileKey, data: bytes) -> None:
        """Keep a freshly cut tile in memory and on disk (disk errors only cost speed)."""
        self._remember(key, data)
        path = self.path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{key.y}.", suffix=".tmp")
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)
        except OSError:
            pass

    def _remember(self, key: TileKey, data: bytes) -> None:
        with self._lock:
            old = self._lru.pop(key, None)
            self._size += len(data) - (len(old) if old is not None else 0)
            self._lru[key] = data
            while self._size > self.memory_bytes and self._lru:
                _, dropped = self._lru.popitem(last=False)
                self._size -= len(dropped)

    def seen_version(self, code: str, version: int) -> None:
        """Note the current version of a layer; the first sighting of a newer one prunes older tiles."""
        with self._lock:
            if self._newest.get(code, -1) >= version:
                return
            self._newest[code] = version
            stale = [k for k in self._lru if k.code == code and k.version < version]
            for k in stale:
                self._size -= len(self._lru.pop(k))
        threading.Thread(target=self.prune, args=(code, version), daemon=True).start()

    def prune(self, code: str, keep: int) -> None:
        """Delete the tile folders of versions older than ``keep``."""
        layer = self.folder / code
        if not layer.is_dir():
            return
        for folder in layer.iterdir():
            name = folder.name
            if name.startswith("v") and name[1:].isdigit() and int(name[1:]) < keep:
                shutil.rmtree(folder, ignore_errors=True)

    def clear(self) -> None:
        """Forget every tile, in memory and on disk."""
        with self._lock:
            self._lru.clear()
            self._size = 0
        shutil.rmtree(self.folder, ignore_errors=True)

    def _check_format(self) -> None:
        stamp = self.folder / "FORMAT"
        try:
            if stamp.read_text().strip() == ENCODER_REVISION:
                return
        except OSError:
            pass
        try:
            if self.folder.exists():
                shutil.rmtree(self.folder, ignore_errors=True)
            self.folder.mkdir(parents=True, exist_ok=True)
            stamp.write_text(ENCODER_REVISION + "\n")
        except OSError:
            pass
