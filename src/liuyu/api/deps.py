"""Request-scoped access to the workspace: one open workspace per worker thread."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, cast

from fastapi import Request

from liuyu.workspace import Workspace, open_workspace

_local = threading.local()


def _thread_workspace(root: Path) -> Workspace:
    """The workspace at ``root`` opened for the calling thread (once, then cached)."""
    cache: dict[Path, Workspace] = getattr(_local, "workspaces", None) or {}
    _local.workspaces = cache
    ws = cache.get(root)
    if ws is None:
        ws = cache[root] = open_workspace(root)
    return ws


class _ThreadBound:
    """Stands for the app's workspace; every attribute is looked up in the *calling* thread's copy.

    FastAPI runs a sync dependency and the sync endpoint that uses it in two separate thread-pool
    calls, often on different threads. Returning the dependency thread's workspace would let two
    endpoints share one SQLite connection at the same time ("cannot start a transaction within a
    transaction", or interleaved cursors); resolving at attribute access keeps each connection
    in the thread that uses it.
    """

    def __init__(self, root: Path) -> None:
        self._root = root

    def __getattr__(self, name: str) -> Any:
        return getattr(_thread_workspace(self._root), name)


def workspace(request: Request) -> Workspace:
    """The workspace of this app, as a handle whose store is the calling thread's own connection.

    Use it as ``Depends(workspace)`` or call it inside an endpoint. Writes made by another process
    (an ingest) are seen at the next read: SQLite in WAL mode gives each read a consistent
    snapshot of the last commit.
    """
    root: Path = request.app.state.root
    return cast(Workspace, _ThreadBound(root))
