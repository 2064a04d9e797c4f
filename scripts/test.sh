#!/usr/bin/env bash
# Set up and run the whole test suite: lint, types, then every test (fast, slow and marked ones), twice:
# pass 1 on the embedded store (GeoPackage), pass 2 on PostgreSQL + PostGIS in a throw-away cluster
# (scripts/pg.sh) that is removed afterwards. A failure in either pass fails the run.
# Needs only Python >= 3.11 and Debian; everything else is installed here from the package registries.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}

"$PY" -m venv .venv
.venv/bin/pip install -q --upgrade pip
.venv/bin/pip install -q -e '.[test]'

# The web map's front end (MapLibre GL JS, ECharts) from the npm registry, pinned by package-lock.json.
# The browser tests drive Debian's Chromium through Playwright: never a browser a test tool downloads.
bash scripts/system-deps.sh --browser --postgis
npm ci --prefix src/liuyu/web --no-audit --no-fund --loglevel=error
mkdir -p artifacts

echo "== ruff" && .venv/bin/ruff check src tests benchmarks && .venv/bin/ruff format --check src tests benchmarks
echo "== mypy" && .venv/bin/mypy

echo "== pytest, pass 1: GeoPackage"
pass1=0
.venv/bin/pytest -q -p no:cacheprovider "$@" || pass1=$?

echo "== pytest, pass 2: PostgreSQL + PostGIS"
PGDIR=$(mktemp -d -t liuyu-pg-XXXXXX)
trap 'bash scripts/pg.sh stop "$PGDIR"' EXIT
url=$(bash scripts/pg.sh start "$PGDIR")
echo "   throw-away cluster $url"
pass2=0
LIUYU_TEST_STORE=$url .venv/bin/pytest -q -p no:cacheprovider "$@" || pass2=$?

echo "== pytest: pass 1 (GeoPackage) exit $pass1, pass 2 (PostGIS) exit $pass2"
[ "$pass1" -eq 0 ] && [ "$pass2" -eq 0 ]
