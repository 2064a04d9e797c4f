"""The workspace dependency: whichever thread resolved it, a thread only ever uses its own connection."""

from __future__ import annotations

import threading
from types import SimpleNamespace

import ogc_data

from liuyu.api import deps


def test_store_is_the_calling_threads_own(tmp_path):
    """FastAPI resolves a sync dependency and runs the sync endpoint in two thread-pool calls,
    often on different threads; two endpoints must never share one SQLite connection."""
    ws = ogc_data.build(tmp_path / "ws")
    ws.close()
    request = SimpleNamespace(app=SimpleNamespace(state=SimpleNamespace(root=ws.root)))
    handle = deps.workspace(request)  # resolved here, in the "dependency" thread
    seen: dict[str, object] = {"here": handle.store.conn}

    def endpoint(name: str) -> None:
        seen[name] = handle.store.conn
        assert handle.store.conn is seen[name]  # stable within the thread

    threads = [threading.Thread(target=endpoint, args=(f"t{i}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({id(c) for c in seen.values()}) == 3
    assert handle.config.basin.name == "测试流域" and handle.root == ws.root
