#!/usr/bin/env bash
# W1 cold build / W2 no-op rebuild / W3 one-file-changed rebuild (3-stage
# Dockerfile over a 5,000-file, ~51 MB context on busybox) for tug and the
# anchors in the same run, with the shared harness /work/shared/bench/bench-build.sh.
#
# Usage: bash bench/build.sh            (all tools present: tug, buildah, podman, docker)
#        TOOLS="tug buildah" RUNS=3 bash bench/build.sh
# Needs root, hyperfine, jq; busybox made by scripts/make-base-images.sh.
# Docker (BuildKit) runs only when dockerd can be started with
# /work/shared/bench/anchors-daemons.sh start-dockerd; this script stops it again.
# Cold for tug = no image, `tug builder prune -af` (records, cache mounts,
# context stat cache) and the one GC, as `docker builder prune -af` for BuildKit.
set -euo pipefail
HERE=$(cd "$(dirname "$0")/.." && pwd)
HARNESS=${HARNESS:-/work/shared/bench/bench-build.sh}
DAEMONS=${DAEMONS:-/work/shared/bench/anchors-daemons.sh}
BUSYBOX_TAR=${BUSYBOX_TAR:-/var/cache/tug/busybox-rootfs.tar}
TOOLS=${TOOLS:-tug buildah podman docker}
export RUNS=${RUNS:-5} W2_RUNS=${W2_RUNS:-10} RESULTS=${RESULTS:-/var/tmp/bench-results/build-$(date +%Y%m%dT%H%M%S)}
mkdir -p "$RESULTS"

(cd "$HERE" && npm run -s build)
TUG_ROOT=${TUG_BENCH_ROOT:-/var/tmp/tug-bench-build-root}
TUG="node -- $HERE/bin/tug.js --root $TUG_ROOT"
rm -rf "$TUG_ROOT"
$TUG import --change 'CMD ["sh"]' "$BUSYBOX_TAR" busybox:latest >/dev/null

has_busybox_cs() { podman image exists busybox:latest 2>/dev/null; }

for tool in $TOOLS; do
  case $tool in
    tug)
      TOOL=custom \
      BUILD_CMD="$TUG build --progress=plain -t \$TAG \$CTX" \
      CLEAN_CMD="$TUG rmi -f \$TAG >/dev/null 2>&1 || true; TUG_GC_GRACE_MS=0 $TUG builder prune -af >/dev/null" \
      RUN_CMD="$TUG run --rm" \
        bash "$HARNESS" 2>&1 | sed 's/custom        /tug           /' ;;
    buildah|podman)
      command -v "$tool" >/dev/null || { echo "$tool: not installed, skipped"; continue; }
      has_busybox_cs || podman import "$BUSYBOX_TAR" busybox:latest >/dev/null
      TOOL=$tool bash "$HARNESS" ;;
    docker)
      command -v docker >/dev/null || { echo "docker: not installed, skipped"; continue; }
      if ! "$DAEMONS" start-dockerd >/dev/null 2>&1; then echo "docker: dockerd did not start, skipped"; continue; fi
      docker image inspect busybox:latest >/dev/null 2>&1 || docker import "$BUSYBOX_TAR" busybox:latest >/dev/null
      TOOL=docker bash "$HARNESS" || true
      "$DAEMONS" stop-dockerd >/dev/null 2>&1 || true ;;
    *) echo "unknown tool $tool" >&2; exit 2 ;;
  esac
done

echo
echo "ratios (median, tug / anchor), from $RESULTS/summary.tsv:"
awk -F'\t' '!/^#/ { med[$1 FS $2] = $5; tools[$2] = 1; ws[$1] = 1 }
  END { for (w in ws) for (t in tools) if (t != "custom" && (w FS "custom") in med && (w FS t) in med)
          printf "%s tug/%s = %.2f  (%.3f s vs %.3f s)\n", w, t, med[w FS "custom"] / med[w FS t], med[w FS "custom"], med[w FS t] }' "$RESULTS/summary.tsv" | sort
rm -rf "$TUG_ROOT"
