#!/usr/bin/env bash
# The whole suite N times in a row while a CPU hog keeps every core busy (issue 17: "the
# full suite passes 5 times in a row under a CPU hog"). A flaky test — a real sleep racing
# the scheduler, a leaked socket reported in a later test — shows up here, not in CI.
#
#   scripts/soak.sh [RUNS=5] [HOGS=number of cores]
#
# Stops at the first red run. Each run's pytest output is kept in build/soak/run-N.log and a
# one-line verdict per run (passed/failed counts, wall time, load average) is appended to
# build/soak/summary. Set-up (make's prerequisites of `test`) is done once, before the hog.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
hogs=${2:-$(nproc)}
out=build/soak
mkdir -p "$out"
: > "$out/summary"

make lint >/dev/null  # installs the test extras as well; also fails early on a broken tree
make kube postgres monitoring chromium helm image >/dev/null  # as `make test`: the image tests run too

pids=()
stop_hogs() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap stop_hogs EXIT
for _ in $(seq "$hogs"); do
  (exec yes >/dev/null) &
  pids+=("$!")
done

kube_bin="${KUBE_CACHE:-$HOME/.cache/kubedrift}/kube-v1.20.2/bin"
for n in $(seq "$runs"); do
  start=$(date +%s)
  set +e
  KUBEDRIFT_KUBE_BIN="$kube_bin" .venv/bin/pytest -q -p no:cacheprovider --durations=10 \
    > "$out/run-$n.log" 2>&1
  rc=$?
  set -e
  took=$(( $(date +%s) - start ))
  verdict=$(tail -n 1 "$out/run-$n.log" | tr -d '=' | sed 's/^ *//')
  echo "run $n/$runs: exit $rc, ${took}s, load $(cut -d' ' -f1-3 /proc/loadavg): $verdict" \
    | tee -a "$out/summary"
  if [ "$rc" -ne 0 ]; then
    echo "soak: run $n failed; see $out/run-$n.log" >&2
    exit 1
  fi
done
echo "soak: $runs runs in a row passed under $hogs CPU hog(s)" | tee -a "$out/summary"
