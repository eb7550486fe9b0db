#!/usr/bin/env bash
# Make sure Debian's chromium is installed, for the dashboard's browser tests
# (tests/api/test_dashboard_browser.py drives it headless over the DevTools protocol).
# Idempotent: with chromium present it only says where it is. No browser is downloaded
# from anywhere else: Playwright's own builds are not reachable here, and not needed.
set -euo pipefail

log() { printf '[ensure-chromium] %s\n' "$*" >&2; }
as_root() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi; }

if found=$(command -v chromium || command -v chromium-browser); then
  log "chromium present: $found"
  exit 0
fi
log "installing Debian's chromium package"
as_root apt-get update -qq
DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends \
  chromium >/dev/null
log "chromium installed: $(command -v chromium)"
