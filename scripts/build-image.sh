#!/usr/bin/env bash
# Build kubedrift's OCI image from Debian and PyPI only: no external base image.
#
#   scripts/build-image.sh WHEEL OUT.oci.tar
#
# 1. A minimal Debian bookworm root filesystem made by mmdebstrap (variant essential +
#    python3, git, ca-certificates, and libstdc++6 for google-re2's C++ extension, which
#    manylinux wheels may not bundle), from the machine's own apt sources, without docs,
#    man pages, locales or caches (dpkg path-exclude). git depends on perl for its
#    porcelain scripts (send-email, svn, ...); kubedrift runs only C builtins (fetch,
#    checkout, ls-remote, rev-parse), so perl is removed (~60 MB with its modules, perl-base
#    included: nothing runs dpkg or debconf in the image), and so are git's servers and
#    helpers it never runs, CPython's test suite, IDLE, tkinter and 2to3, and glibc's iconv
#    modules; the SBOM's `removed` lists each.
#    Cached under $KUBEDRIFT_CACHE/image/ by the hash of its options, so it is made once.
# 2. kubedrift's wheel and its dependencies installed into a venv /opt/kubedrift with
#    the host's pip (--target, for CPython 3.11 manylinux x86_64 wheels only), byte-code
#    not written (the root filesystem is read-only at run time; Python does not need it).
# 3. Assembled with buildah (--storage-driver vfs) from scratch: user 65532, HOME and
#    TMPDIR /tmp (the only writable path the chart mounts), OCI annotations as labels,
#    entry point `kubedrift`; saved as an oci-archive to OUT, with OUT's SBOM
#    (OUT without .oci.tar + .sbom.json: every Debian and Python package and version).
# KUBEDRIFT_IMAGE_EXTRAS=report builds with that extra (matplotlib: the dashboard's charts),
# for measuring what it costs; the image `make image` ships is built without it (README).
set -euo pipefail

log() { printf '[build-image] %s\n' "$*" >&2; }

WHEEL=$(realpath "$1")
EXTRAS=${KUBEDRIFT_IMAGE_EXTRAS:-}
OUT=$(realpath -m "$2")
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${KUBEDRIFT_CACHE:-$HOME/.cache/kubedrift}/image
SUITE=bookworm
PACKAGES=python3,git,ca-certificates,libstdc++6  # libstdc++: google-re2 (NodeProfile regexes)
VERSION=$(sed -n 's/^__version__ = "\(.*\)"$/\1/p' "$ROOT/src/kubedrift/__init__.py")
STORAGE=(--storage-driver vfs --root "$CACHE/storage" --runroot "$CACHE/run")

for tool in mmdebstrap buildah; do
  command -v "$tool" >/dev/null || { log "$tool is missing (make image installs it)"; exit 1; }
done
mkdir -p "$CACHE"

# -- 1. the Debian root filesystem (cached) --------------------------------------------------
# Everything that decides the root filesystem is in ROOTFS_ARGS; the cache key is its hash.
ROOTFS_ARGS=(
  --format=tar --variant=essential --include="$PACKAGES"
  --dpkgopt='path-exclude=/usr/share/doc/*'
  --dpkgopt='path-include=/usr/share/doc/*/copyright'
  --dpkgopt='path-exclude=/usr/share/man/*'
  --dpkgopt='path-exclude=/usr/share/info/*'
  --dpkgopt='path-exclude=/usr/share/locale/*'
  --dpkgopt='path-exclude=/usr/share/lintian/*'
  --dpkgopt='path-exclude=/usr/share/gitweb/*'
  --dpkgopt='path-exclude=/usr/share/git-gui/*'
  --dpkgopt='path-exclude=/usr/share/gitk/*'
  --dpkgopt='path-exclude=*/__pycache__/*'
  --customize-hook='rm -rf "$1"/var/cache/* "$1"/var/lib/apt/lists/* "$1"/var/log/*'
  --customize-hook='find "$1"/usr/lib/python3* -name __pycache__ -prune -exec rm -rf {} +'
  # perl's modules (git's porcelain scripts only) and glibc's iconv modules (UTF-8 and
  # ASCII are built into glibc; Python has its own codecs).
  --customize-hook='rm -rf "$1"/usr/share/perl "$1"/usr/lib/x86_64-linux-gnu/perl'
  --customize-hook='rm -rf "$1"/usr/lib/x86_64-linux-gnu/gconv'
  # git's helpers kubedrift never runs (it runs only init, fetch, checkout, ls-remote,
  # rev-parse and status, all builtins of /usr/bin/git, plus git-remote-http(s) for HTTPS
  # and upload-pack, a builtin, for file://): servers, push, IMAP, scalar, the dumb-HTTP
  # walker and the shell scripts' envsubst. Each is its own ~2 MB static copy of libgit.
  --customize-hook='cd "$1"/usr/lib/git-core && rm -f git-http-push git-http-fetch git-http-backend git-daemon git-imap-send git-shell scalar git-sh-i18n--envsubst'
  --customize-hook='rm -f "$1"/usr/bin/scalar "$1"/usr/bin/git-shell'
  # git-core/git is a second copy of /usr/bin/git (not a hardlink): the builtins there
  # are symlinks to it, so one symlink keeps them all working.
  --customize-hook='cmp "$1"/usr/bin/git "$1"/usr/lib/git-core/git && ln -sf ../../bin/git "$1"/usr/lib/git-core/git'
  # perl: only git's porcelain scripts (send-email, svn, add--interactive's old path) and
  # dpkg/debconf maintainer scripts use it; the image never runs either (no apt at run time).
  --customize-hook='rm -rf "$1"/usr/bin/perl "$1"/usr/bin/perl5.* "$1"/usr/lib/x86_64-linux-gnu/libperl.so* "$1"/usr/lib/x86_64-linux-gnu/perl-base "$1"/usr/share/perl5'
  # CPython's own test suite, IDLE, tkinter and 2to3: never imported by kubedrift.
  --customize-hook='cd "$1"/usr/lib/python3.11 && rm -rf test idlelib tkinter lib2to3 turtledemo pydoc_data ensurepip'
  --customize-hook='echo "nonroot:x:65532:65532:nonroot:/tmp:/usr/sbin/nologin" >> "$1"/etc/passwd'
  --customize-hook='echo "nonroot:x:65532:" >> "$1"/etc/group'
  --customize-hook='chroot "$1" dpkg-query -W -f "\${Package}\t\${Version}\n" > "$1"/.debian-packages'
)
key=$(printf '%s\n' "$SUITE" "${ROOTFS_ARGS[@]}" | sha256sum | cut -c1-16)
rootfs=$CACHE/rootfs-$SUITE-$key.tar
if [[ ! -f $rootfs ]]; then
  log "mmdebstrap $SUITE: $PACKAGES"
  mmdebstrap --quiet "${ROOTFS_ARGS[@]}" "$SUITE" "$rootfs.part"
  mv "$rootfs.part" "$rootfs"
  # Older root filesystems of this cache are no longer used.
  find "$CACHE" -maxdepth 1 -name 'rootfs-*.tar' ! -name "${rootfs##*/}" -delete
fi

# -- 2. kubedrift in a venv -----------------------------------------------------------------
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
venv=$work/opt/kubedrift
site=$venv/lib/python3.11/site-packages
log "pip install $(basename "$WHEEL") into /opt/kubedrift"
python3 -m pip install --quiet --disable-pip-version-check --no-compile --target "$site" \
  --only-binary=:all: --implementation cp --python-version 3.11 --abi cp311 \
  --platform manylinux2014_x86_64 --platform manylinux_2_17_x86_64 \
  --platform manylinux_2_28_x86_64 --platform linux_x86_64 "$WHEEL${EXTRAS:+[$EXTRAS]}" 2>/dev/null
rm -rf "$site"/bin "$site"/*/tests
find "$site" -name __pycache__ -prune -exec rm -rf {} +
mkdir -p "$venv/bin"
ln -s /usr/bin/python3 "$venv/bin/python3"
ln -s python3 "$venv/bin/python"
printf 'home = /usr/bin\ninclude-system-site-packages = false\nversion = 3.11\n' >"$venv/pyvenv.cfg"
cat >"$venv/bin/kubedrift" <<'EOF'
#!/opt/kubedrift/bin/python3
import sys
from kubedrift.cli.main import run
sys.exit(run())
EOF
chmod 755 "$venv/bin/kubedrift"
# The bundled example, for `kubedrift scan` without a cluster.
mkdir -p "$work/usr/share/kubedrift"
cp -r "$ROOT/examples" "$work/usr/share/kubedrift/"

# -- SBOM -----------------------------------------------------------------------------------
sbom=${OUT%.oci.tar}.sbom.json
python3 - "$rootfs" "$site" "$sbom" "$VERSION" <<'EOF'
"""One JSON document: the Debian packages (dpkg) and the Python distributions in the image."""
import json, sys, tarfile
from importlib.metadata import distributions

rootfs, site, out, version = sys.argv[1:]
with tarfile.open(rootfs) as tar:
    listing = tar.extractfile("./.debian-packages").read().decode()
debian = [dict(zip(("name", "version"), line.split("\t"))) for line in listing.splitlines()]
python = sorted(
    ({"name": d.metadata["Name"], "version": d.version} for d in distributions(path=[site])),
    key=lambda p: p["name"].lower(),
)
removed = [
    "perl: /usr/share/perl, /usr/lib/x86_64-linux-gnu/perl",
    "perl-base: /usr/bin/perl, /usr/bin/perl5.*, /usr/lib/x86_64-linux-gnu/perl-base",
    "libperl5.36: /usr/lib/x86_64-linux-gnu/libperl.so*",
    "debconf: /usr/share/perl5",
    "libc6: /usr/lib/x86_64-linux-gnu/gconv (iconv modules)",
    "git: /usr/lib/git-core/{git-http-push,git-http-fetch,git-http-backend,git-daemon,"
    "git-imap-send,git-shell,scalar,git-sh-i18n--envsubst}, /usr/bin/{scalar,git-shell}; "
    "/usr/lib/git-core/git replaced by a symlink to /usr/bin/git (an identical copy)",
    "libpython3.11-stdlib: /usr/lib/python3.11/{test,idlelib,tkinter,lib2to3,turtledemo,"
    "pydoc_data,ensurepip}",
]
doc = {"image": f"kubedrift:{version}", "debian": debian, "python": python, "removed": removed}
with open(out, "w") as f:
    json.dump(doc, f, indent=1)
print(f"{len(debian)} Debian packages, {len(python)} Python distributions", file=sys.stderr)
EOF

# -- 3. the image ---------------------------------------------------------------------------
tar -C "$work" -cf "$work.tar" opt usr
ctr=$(buildah "${STORAGE[@]}" from scratch)
cleanup() { buildah "${STORAGE[@]}" rm "$ctr" >/dev/null 2>&1 || true; rm -rf "$work" "$work.tar"; }
trap cleanup EXIT
buildah "${STORAGE[@]}" add "$ctr" "$rootfs" / >/dev/null
buildah "${STORAGE[@]}" add "$ctr" "$work.tar" / >/dev/null
buildah "${STORAGE[@]}" run --isolation chroot "$ctr" -- /bin/rm -f /.debian-packages
created=$(date -u +%Y-%m-%dT%H:%M:%SZ)
revision=$(git -C "$ROOT" rev-parse HEAD 2>/dev/null || echo unknown)
buildah "${STORAGE[@]}" config \
  --user 65532:65532 \
  --workingdir /tmp \
  --env HOME=/tmp --env TMPDIR=/tmp --env PYTHONDONTWRITEBYTECODE=1 \
  --env PATH=/opt/kubedrift/bin:/usr/local/bin:/usr/bin:/bin \
  --entrypoint '["/opt/kubedrift/bin/kubedrift"]' --cmd '["--help"]' \
  --label org.opencontainers.image.title=kubedrift \
  --label "org.opencontainers.image.description=Find and correct infrastructure drift in Kubernetes clusters running AI workloads" \
  --label "org.opencontainers.image.version=$VERSION" \
  --label "org.opencontainers.image.revision=$revision" \
  --label "org.opencontainers.image.created=$created" \
  --label org.opencontainers.image.licenses=Apache-2.0 \
  --label "org.opencontainers.image.base.name=debian:$SUITE (mmdebstrap)" \
  "$ctr"
rm -f "$OUT"
buildah "${STORAGE[@]}" commit --quiet --format oci --rm "$ctr" "kubedrift:$VERSION" >/dev/null
buildah "${STORAGE[@]}" push --quiet "kubedrift:$VERSION" "oci-archive:$OUT:kubedrift:$VERSION"
# The archive is the product; vfs keeps a full copy per layer, so nothing is kept here.
buildah "${STORAGE[@]}" rmi --all >/dev/null
size=$(du -m "$OUT" | cut -f1)
unpacked=$(( ($(stat -c %s "$rootfs") + $(stat -c %s "$work.tar")) / 1048576 ))
log "kubedrift:$VERSION → $OUT; SBOM $sbom"
printf 'image size: %s MB compressed (oci-archive), %s MB unpacked\n' "$size" "$unpacked"
