#!/usr/bin/env bash
# Set up Liuyu and run its main job: build the Miyun-like demo basin and serve it on the web map.
# Usage: scripts/demo.sh [WORKSPACE_DIR]   (HOST and PORT from the environment, default 127.0.0.1:8000)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
WS=${1:-demo}

"$PY" -m venv .venv
.venv/bin/pip install -q --upgrade pip
.venv/bin/pip install -q -e .
bash scripts/system-deps.sh
# the web map's front end (MapLibre GL JS, ECharts), pinned by src/liuyu/web/package-lock.json
npm ci --prefix src/liuyu/web --no-audit --no-fund --loglevel=error

.venv/bin/liuyu demo "$WS" --force
exec .venv/bin/liuyu serve -w "$WS" --host "${HOST:-127.0.0.1}" --port "${PORT:-8000}"
