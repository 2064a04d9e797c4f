"""The versioned tile cache: memory LRU, disk files, pruning of old versions, format guard."""

from __future__ import annotations

import time

from liuyu.tiles.cache import ENCODER_REVISION, TileCache, TileKey


def key(version=1, y=3):
    return TileKey("land_use", version, 10, 843, y)


def test_put_then_get_from_memory_and_disk(tmp_path):
    cache = TileCache(tmp_path / "tiles")
    assert cache.get(key()) is None
    cache.put(key(), b"tile")
    assert cache.get(key()) == b"tile" and cache.hits == 1
    assert (tmp_path / "tiles" / "land_use" / "v1" / "10" / "843" / "3.mvt").read_bytes() == b"tile"
    fresh = TileCache(tmp_path / "tiles")  # another worker process
    assert fresh.get(key()) == b"tile" and fresh.disk_hits == 1


def test_empty_tiles_are_cached_as_empty(tmp_path):
    cache = TileCache(tmp_path / "tiles")
    cache.put(key(), b"")
    assert cache.get(key()) == b"" and TileCache(tmp_path / "tiles").get(key()) == b""


def test_memory_is_bounded_least_recently_used_first(tmp_path):
    cache = TileCache(tmp_path / "tiles", memory_bytes=25)
    for y in range(3):
        cache.put(key(y=y), bytes(10))
    cache.get(key(y=1))
    cache.put(key(y=3), bytes(10))
    assert set(cache._lru) == {key(y=1), key(y=3)}


def test_a_newer_version_prunes_older_tiles(tmp_path):
    cache = TileCache(tmp_path / "tiles")
    cache.seen_version("land_use", 1)
    cache.put(key(1), b"old")
    cache.seen_version("land_use", 2)
    assert key(1) not in cache._lru
    deadline = time.monotonic() + 5
    while (tmp_path / "tiles" / "land_use" / "v1").exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not (tmp_path / "tiles" / "land_use" / "v1").exists()


def test_etag():
    assert key(7).etag == "land_use-v7-10-843-3"


def test_tiles_of_another_encoder_revision_are_discarded(tmp_path):
    folder = tmp_path / "tiles"
    TileCache(folder).put(key(), b"tile")
    (folder / "FORMAT").write_text("0-older\n")
    cache = TileCache(folder)
    assert cache.get(key()) is None
    assert (folder / "FORMAT").read_text().strip() == ENCODER_REVISION
