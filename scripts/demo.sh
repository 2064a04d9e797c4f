#!/usr/bin/env bash
# Set up Liuyu and run its main job: build the demo basin (a Miyun-like workspace) and show it.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
WS=${1:-demo}

"$PY" -m venv .venv
.venv/bin/pip install -q --upgrade pip
.venv/bin/pip install -q -e .

.venv/bin/liuyu demo "$WS" --force
