#!/usr/bin/env bash
# Make sure Debian's Prometheus and Alertmanager binaries are installed, for the tests that
# scrape kubedrift's metrics and receive its alerts for real. Idempotent. It never starts a
# service: the tests start their own on free loopback ports (tests/support/prometheus.py, tests/support/alertmanager.py)
# and stop them again.
set -euo pipefail

log() { printf '[ensure-monitoring] %s\n' "$*" >&2; }
as_root() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi; }

missing=()
command -v prometheus >/dev/null || missing+=(prometheus)
command -v prometheus-alertmanager >/dev/null || missing+=(prometheus-alertmanager)
if ((${#missing[@]} == 0)); then
  log "present: $(command -v prometheus) $(command -v prometheus-alertmanager)"
  exit 0
fi

# Debian's maintainer scripts would start the services through invoke-rc.d; a policy-rc.d
# that answers 101 forbids that for the install, unless the machine has its own.
POLICY=/usr/sbin/policy-rc.d
if [[ ! -e "$POLICY" ]]; then
  trap 'as_root rm -f "$POLICY"' EXIT
  as_root sh -c "printf '#!/bin/sh\\nexit 101\\n' > $POLICY && chmod 755 $POLICY"
fi
log "installing Debian packages: ${missing[*]} (no service is started)"
as_root apt-get update -qq
DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends \
  "${missing[@]}" >/dev/null
command -v prometheus >/dev/null && command -v prometheus-alertmanager >/dev/null || {
  log "install finished but prometheus/prometheus-alertmanager are not on PATH"; exit 1; }
log "installed: $(command -v prometheus) $(command -v prometheus-alertmanager)"
