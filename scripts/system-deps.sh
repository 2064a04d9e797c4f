#!/usr/bin/env bash
# Debian packages Liuyu's set-up needs beyond Python, installed only when missing.
# Usage: scripts/system-deps.sh [--browser] [--postgis]
#   --browser: also Chromium for the browser tests
#   --postgis: also PostgreSQL and PostGIS, for the suite's second pass (scripts/pg.sh starts a cluster)
set -euo pipefail
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
APT=()
command -v npm >/dev/null || APT+=(nodejs npm)
# WeasyPrint (the bulletin's PDF) lays out text with Pango and HarfBuzz; a CJK font for the PDF
# and for headless Chromium. (grep without -q: under pipefail an early exit would fail the pipe.)
ldconfig -p | grep libpango-1.0 >/dev/null || APT+=(libpango-1.0-0 libpangoft2-1.0-0)
ldconfig -p | grep libharfbuzz-subset >/dev/null || APT+=(libharfbuzz-subset0)
fc-list :lang=zh 2>/dev/null | grep . >/dev/null || APT+=(fonts-wqy-microhei)
for opt in "$@"; do
  case "$opt" in
    --browser) [ -x /usr/bin/chromium ] || APT+=(chromium) ;;
    --postgis)
      # (the server's binaries; PostGIS as the extension of that server, not only its command-line tools)
      ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || APT+=(postgresql)
      ls /usr/share/postgresql/*/extension/postgis.control >/dev/null 2>&1 || APT+=(postgis postgresql-postgis)
      ;;
    *) echo "unknown option $opt (use --browser, --postgis)" >&2; exit 2 ;;
  esac
done
if [ ${#APT[@]} -gt 0 ]; then
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${APT[@]}"
fi
