#!/usr/bin/env bash
# Make sure Debian's PostgreSQL server binaries (initdb, pg_ctl, postgres) are installed, for
# the timeline store's tests. Idempotent: with the binaries present it only says where they
# are. It never starts a service: the tests start their own throwaway cluster on a free
# loopback port (tests/store/postgres.py) and stop it again.
set -euo pipefail

log() { printf '[ensure-postgres] %s\n' "$*" >&2; }

find_initdb() {
  local found
  found=$(printf '%s\n' /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n 1)
  [[ -n "$found" && -x "$found" ]] && printf '%s\n' "$found"
}

as_root() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi; }

# Debian's maintainer scripts start a freshly installed server through invoke-rc.d unless
# policy-rc.d forbids it (exit 101). One is put in place for the install only, unless the
# machine already has its own (container images usually do).
POLICY=/usr/sbin/policy-rc.d
OWN_POLICY=0
remove_own_policy() { if [[ $OWN_POLICY -eq 1 ]]; then as_root rm -f "$POLICY"; fi; }

install_without_starting() {
  if [[ ! -e "$POLICY" ]]; then
    trap remove_own_policy EXIT
    as_root sh -c "printf '#!/bin/sh\\nexit 101\\n' > $POLICY && chmod 755 $POLICY"
    OWN_POLICY=1
  fi
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends \
    postgresql >/dev/null
}

if initdb=$(find_initdb); then
  log "PostgreSQL server present: ${initdb%/initdb}"
  exit 0
fi
log "installing Debian's postgresql package (no service is started)"
install_without_starting
if ! initdb=$(find_initdb); then
  log "postgresql installed but no initdb under /usr/lib/postgresql/*/bin"
  exit 1
fi
log "PostgreSQL server installed: ${initdb%/initdb}"
