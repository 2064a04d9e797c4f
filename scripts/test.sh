#!/usr/bin/env bash
# Set up and run the whole test suite: lint, types, then every test (fast, slow and marked ones).
# Needs only Python >= 3.11 and Debian; everything else is installed here from the package registries.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}

"$PY" -m venv .venv
.venv/bin/pip install -q --upgrade pip
.venv/bin/pip install -q -e '.[test]'

# The web map's front end (MapLibre GL JS, ECharts) from the npm registry, pinned by package-lock.json.
# The browser tests drive Debian's Chromium through Playwright: never a browser a test tool downloads.
bash scripts/system-deps.sh --browser
npm ci --prefix src/liuyu/web --no-audit --no-fund --loglevel=error
mkdir -p artifacts

echo "== ruff" && .venv/bin/ruff check src tests benchmarks && .venv/bin/ruff format --check src tests benchmarks
echo "== mypy" && .venv/bin/mypy
echo "== pytest" && .venv/bin/pytest -q -p no:cacheprovider "$@"
