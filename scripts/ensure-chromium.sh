#!/usr/bin/env bash
# Make sure Debian's chromium is installed: the dashboard tests drive it headless (DevTools
# protocol), the report tests open the HTML report in it offline, and
# `kubedrift report --out X.pdf` prints with it. Idempotent.
set -euo pipefail

log() { printf '[ensure-chromium] %s\n' "$*" >&2; }
as_root() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi; }

if command -v chromium >/dev/null; then
  log "present: $(command -v chromium)"
  exit 0
fi
log "installing Debian's chromium"
as_root apt-get update -qq
DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends chromium >/dev/null
command -v chromium >/dev/null || { log "install finished but chromium is not on PATH"; exit 1; }
log "installed: $(command -v chromium)"
