"""A throw-away PostgreSQL + PostGIS cluster for the benchmarks: ``scripts/pg.sh`` from Python.

The shell script is the one place that knows how to start and remove such a cluster (CI's second
test pass uses it too); this wrapper only ties its ``start``/``stop`` to a ``with`` block.
"""

from __future__ import annotations

import contextlib
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

PG_SH = Path(__file__).resolve().parents[1] / "scripts" / "pg.sh"


def missing() -> str | None:
    """Why no cluster can be started here (None when one can): PostgreSQL/PostGIS not installed."""
    if not list(Path("/usr/lib/postgresql").glob("*/bin/initdb")):
        return "PostgreSQL is not installed (bash scripts/system-deps.sh --postgis)"
    if not list(Path("/usr/share/postgresql").glob("*/extension/postgis.control")):
        return "PostGIS is not installed (bash scripts/system-deps.sh --postgis)"
    return None


@contextlib.contextmanager
def postgis_cluster(*settings: str) -> Iterator[str]:
    """Start a cluster (``settings`` like ``"work_mem=256MB"``), yield its URL, stop and delete it."""
    folder = tempfile.mkdtemp(prefix="liuyu-bench-pg-")
    try:
        out = subprocess.run(
            ["bash", str(PG_SH), "start", folder, *settings], check=True, capture_output=True, text=True
        )
        yield out.stdout.strip()
    finally:
        subprocess.run(["bash", str(PG_SH), "stop", folder], check=False, capture_output=True)
