#!/usr/bin/env bash
# Debian packages Liuyu's set-up needs beyond Python, installed only when missing.
# Usage: scripts/system-deps.sh [--browser]   (--browser: also Chromium for the browser tests)
set -euo pipefail
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
APT=()
command -v npm >/dev/null || APT+=(nodejs npm)
if [ "${1:-}" = "--browser" ]; then
  [ -x /usr/bin/chromium ] || APT+=(chromium)
  # a CJK font, so Chinese labels render in headless Chromium and in the test screenshots
  fc-list :lang=zh 2>/dev/null | grep -q . || APT+=(fonts-wqy-microhei)
fi
if [ ${#APT[@]} -gt 0 ]; then
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${APT[@]}"
fi
