#!/usr/bin/env bash
# W4 container start latency, tug against podman in the same run:
#   `run --rm busybox true` (hyperfine, RUNS runs after 3 warm-ups) for
#   --network none and --network host, through the shared harness
#   /work/shared/bench/bench-start.sh (TOOL=custom RUN_CMD=...), then
#   50 detached containers started and removed (total time, tug's peak RSS).
# Usage: bash bench/start.sh            (RUNS=20 by default; RESULTS dir as the harness)
# podman gets busybox from tug's own rootfs tarball (localhost/tug-bench-busybox),
# removed again at the end, as is tug's throwaway state root.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
PROJECT=$(dirname "$HERE")
HARNESS=${HARNESS:-/work/shared/bench/bench-start.sh}
RUNS=${RUNS:-20}
N_DETACHED=${N_DETACHED:-50}
TAR=${BUSYBOX_TAR:-/var/cache/tug/busybox-rootfs.tar}
export RESULTS=${RESULTS:-/var/tmp/bench-results}
ROOT=$(mktemp -d /var/tmp/tug-bench-start-XXXXXX)
TUG="node $PROJECT/bin/tug.js --root $ROOT"
PIMG=localhost/tug-bench-busybox

cleanup() {
  ids=$($TUG ps -aq 2>/dev/null || true)
  [ -n "$ids" ] && $TUG rm -f $ids >/dev/null 2>&1 || true
  podman ps -aq --filter label=tug-bench 2>/dev/null | xargs -r podman rm -f >/dev/null 2>&1 || true
  podman rmi -f $PIMG >/dev/null 2>&1 || true
  grep -o " $ROOT[^ ]*" /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
  rm -rf "$ROOT"
}
trap cleanup EXIT

$TUG import "$TAR" busybox >/dev/null
podman import -q "$TAR" $PIMG >/dev/null
echo "# tug $(git -C "$PROJECT" rev-parse --short HEAD 2>/dev/null), $(podman --version), $(crun --version | head -1), load $(cut -d' ' -f1-3 /proc/loadavg)"

for NET in none host; do
  TOOL=custom NET=$NET RUNS=$RUNS RUN_CMD="$TUG run --rm --network $NET busybox true" bash "$HARNESS" | sed "s/custom/tug   /"
  TOOL=custom NET=$NET RUNS=$RUNS RUN_CMD="podman run --rm --network $NET $PIMG true" bash "$HARNESS" | sed "s/custom/podman/"
done

# 50 detached containers: start them all, then remove them all (sequential, as a script would).
peak=0
start=$(date +%s%N)
for i in $(seq 1 "$N_DETACHED"); do
  rss=$( { /usr/bin/time -f %M $TUG run -d --network none busybox sleep 600 >/dev/null; } 2>&1 | tail -1)
  [ "$rss" -gt "$peak" ] && peak=$rss
done
mid=$(date +%s%N)
rss=$( { /usr/bin/time -f %M $TUG rm -f $($TUG ps -q) >/dev/null; } 2>&1 | tail -1)
[ "$rss" -gt "$peak" ] && peak=$rss
end=$(date +%s%N)
pstart=$(date +%s%N)
for i in $(seq 1 "$N_DETACHED"); do podman run -d --label tug-bench --network none $PIMG sleep 600 >/dev/null; done
pmid=$(date +%s%N)
podman rm -f -t 0 $(podman ps -q --filter label=tug-bench) >/dev/null
pend=$(date +%s%N)
awk -v a=$start -v b=$mid -v c=$end -v pa=$pstart -v pb=$pmid -v pc=$pend -v n="$N_DETACHED" -v rss="$peak" 'BEGIN {
  printf "detached x%d  tug: start %.2f s, rm %.2f s, peak RSS %.0f MB | podman: start %.2f s, rm %.2f s | start ratio tug/podman %.2f\n",
    n, (b-a)/1e9, (c-b)/1e9, rss/1024, (pb-pa)/1e9, (pc-pb)/1e9, (b-a)/(pb-pa) }' | tee -a "$RESULTS/summary.tsv"
