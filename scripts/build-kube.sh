#!/usr/bin/env bash
# Build kube-apiserver and kube-controller-manager v1.20.2 from Debian's `kubernetes`
# source package with Debian's Go, for kubedrift's real-apiserver test bed.
#
# Idempotent: binaries and the Go build cache live outside the repository, under
# ${KUBEDRIFT_CACHE:-~/.cache/kubedrift}; a second run with the binaries present
# only checks them and exits. See docs/DESIGN.md, "Real components and how tests start them".
set -euo pipefail

CACHE="${KUBEDRIFT_CACHE:-$HOME/.cache/kubedrift}"
VERSION="v1.20.2"
BIN="$CACHE/kube-$VERSION/bin"
SRC="$CACHE/kube-$VERSION/src"
WHAT=(cmd/kube-apiserver cmd/kube-controller-manager)

log() { printf '[build-kube] %s\n' "$*" >&2; }

have_binaries() {
  [[ -x "$BIN/kube-apiserver" && -x "$BIN/kube-controller-manager" ]] &&
    "$BIN/kube-apiserver" --version 2>/dev/null | grep -q "$VERSION"
}

as_root() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi; }

install_packages() {
  local pkgs=(golang-go etcd-server rsync jq dpkg-dev golang-github-modern-go-reflect2-dev)
  local missing=()
  for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ((${#missing[@]})); then
    log "installing Debian packages: ${missing[*]}"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

# deb-src entries are derived from the machine's own apt sources, so no mirror host
# name is ever written into the repository.
enable_deb_src() {
  local target=/etc/apt/sources.list.d/kubedrift-deb-src.sources
  [[ -f $target ]] && return 0
  log "enabling deb-src from the machine's apt sources"
  local tmp; tmp=$(mktemp)
  if [[ -f /etc/apt/sources.list.d/debian.sources ]]; then
    sed -e 's/^Types:.*/Types: deb-src/' /etc/apt/sources.list.d/debian.sources >"$tmp"
  else
    grep -h '^deb ' /etc/apt/sources.list 2>/dev/null | sed 's/^deb /deb-src /' >"$tmp"
    target=/etc/apt/sources.list.d/kubedrift-deb-src.list
  fi
  as_root install -m 0644 "$tmp" "$target"
  rm -f "$tmp"
  as_root apt-get update -qq
}

fetch_source() {
  [[ -f "$SRC/.kubedrift-prepared" ]] && return 0
  enable_deb_src
  local dl="$CACHE/kube-$VERSION/download"
  mkdir -p "$dl"
  log "downloading Debian's kubernetes source package"
  (cd "$dl" && apt-get source --download-only kubernetes >/dev/null)
  local orig; orig=$(ls "$dl"/kubernetes_*really1.20.2.orig.tar.gz | head -n1)
  rm -rf "$SRC" && mkdir -p "$SRC"
  log "unpacking $(basename "$orig")"
  tar -xzf "$orig" -C "$SRC" --strip-components=1
  swap_reflect2
  touch "$SRC/.kubedrift-prepared"
}

# The vendored reflect2 1.0.1 crashes under Go >= 1.18 while serving a LIST;
# Debian's packaged reflect2 is fixed.
swap_reflect2() {
  local from=/usr/share/gocode/src/github.com/modern-go/reflect2
  local to="$SRC/vendor/github.com/modern-go/reflect2"
  log "replacing vendored reflect2 with Debian's"
  rm -rf "$to" && mkdir -p "$to"
  find "$from" -maxdepth 1 -type f \( -name '*.go' -o -name '*.s' \) ! -name '*_test.go' \
    -exec cp {} "$to"/ \;
}

build() {
  # Kubernetes' build sets GOCACHE to _output/local/go/cache inside the source tree,
  # which lives under $CACHE too, so a rebuild after `rm` of the binaries is warm.
  export GOPATH="$CACHE/gopath"
  export KUBE_GIT_VERSION="$VERSION" KUBE_GIT_TREE_STATE=archive
  export GOFLAGS="-mod=vendor" GO111MODULE=on GOTOOLCHAIN=local
  mkdir -p "$BIN"
  for what in "${WHAT[@]}"; do
    log "building $what (cold: ~12-15 min on 2 cores; warm cache: ~2 min)"
    make -C "$SRC" WHAT="$what" >"$CACHE/kube-$VERSION/build-$(basename "$what").log" 2>&1 || {
      tail -n 40 "$CACHE/kube-$VERSION/build-$(basename "$what").log" >&2
      log "build of $what failed"; exit 1; }
    install -m 0755 "$SRC/_output/local/go/bin/$(basename "$what")" "$BIN/"
  done
}

main() {
  if have_binaries; then
    log "cached: $BIN"
  else
    install_packages
    fetch_source
    build
    have_binaries || { log "built binaries do not report $VERSION"; exit 1; }
    log "built: $BIN"
  fi
  command -v etcd >/dev/null || install_packages
  echo "$BIN"
}

main "$@"
