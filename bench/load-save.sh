#!/usr/bin/env bash
# tug load / tug save of a 1 GiB image (4 layers x 256 MiB of random data, a
# docker-archive) against podman load / podman save, in the same run
# (hyperfine), plus tug's peak RSS (/usr/bin/time -v). Prints mean times and
# the tug/podman ratios. Target: within 1.2x of podman, peak RSS < 200 MB.
#   LAYERS=4 LAYER_MB=256 RUNS=3 BENCH_DIR=/var/tmp/tug-bench-load-save bash bench/load-save.sh
# podman uses the system store; the image it loads is removed again at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
LAYERS=${LAYERS:-4}
LAYER_MB=${LAYER_MB:-256}
RUNS=${RUNS:-3}
W=${BENCH_DIR:-/var/tmp/tug-bench-load-save}
TUG="node $PWD/bin/tug.js"
NAME=tug-bench-load-save:1
mkdir -p "$W"
command -v podman >/dev/null || { echo "podman is not installed: nothing to compare with" >&2; exit 1; }

# 1. the image: a docker-archive written with standard tools
if [ ! -s "$W/image.tar" ]; then
  echo "making a ${LAYERS}x${LAYER_MB} MiB image in $W/image.tar"
  rm -rf "$W/img" && mkdir -p "$W/img/blobs/sha256"
  diffs=() paths=()
  for i in $(seq 1 "$LAYERS"); do
    L=$(mktemp -d "$W/layer.XXXX")
    head -c "${LAYER_MB}M" /dev/urandom >"$L/data$i.bin"
    tar --numeric-owner --owner=0 --group=0 -C "$L" -cf "$W/img/layer.tar" "data$i.bin"
    rm -rf "$L"
    d=$(sha256sum "$W/img/layer.tar" | cut -d' ' -f1)
    mv "$W/img/layer.tar" "$W/img/blobs/sha256/$d"
    diffs+=("\"sha256:$d\"") paths+=("\"blobs/sha256/$d\"")
  done
  ids=$(IFS=,; echo "${diffs[*]}") lays=$(IFS=,; echo "${paths[*]}")
  printf '{"architecture":"amd64","os":"linux","config":{"Cmd":["sh"]},"rootfs":{"type":"layers","diff_ids":[%s]}}' "$ids" >"$W/img/config.json"
  c=$(sha256sum "$W/img/config.json" | cut -d' ' -f1)
  mv "$W/img/config.json" "$W/img/blobs/sha256/$c"
  printf '[{"Config":"blobs/sha256/%s","RepoTags":["%s"],"Layers":[%s]}]' "$c" "$NAME" "$lays" >"$W/img/manifest.json"
  tar -C "$W/img" -cf "$W/image.tar" manifest.json blobs
  rm -rf "$W/img"
fi
ls -l "$W/image.tar"

# podman and other integration suites share the system store: hold their lock for the whole run
exec 9>/tmp/tug-integration.lock
flock 9
trap 'podman rmi -f localhost/$NAME >/dev/null 2>&1 || true; rm -rf "$W/tugroot" "$W"/out-*.tar' EXIT

# 2. load
hyperfine --runs "$RUNS" --export-json "$W/load.json" \
  --prepare "rm -rf $W/tugroot" -n 'tug load' "$TUG --root $W/tugroot load -i $W/image.tar" \
  --prepare "podman rmi -f localhost/$NAME >/dev/null 2>&1 || true" -n 'podman load' "podman load -q -i $W/image.tar"

# 3. save (both stores now hold the image)
hyperfine --runs "$RUNS" --export-json "$W/save.json" --prepare "rm -f $W/out-tug.tar $W/out-podman.tar" \
  -n 'tug save' "$TUG --root $W/tugroot save -o $W/out-tug.tar $NAME" \
  -n 'podman save' "podman save -q -o $W/out-podman.tar localhost/$NAME"

# 4. peak RSS of tug
rss() { /usr/bin/time -v "$@" 2>&1 >/dev/null | awk -F': ' '/Maximum resident set size/ {printf "%.1f", $2/1024}'; }
rm -rf "$W/tugroot"
load_rss=$(rss $TUG --root "$W/tugroot" load -i "$W/image.tar")
rm -f "$W/out-tug.tar"
save_rss=$(rss $TUG --root "$W/tugroot" save -o "$W/out-tug.tar" "$NAME")

mean() { jq -r --arg n "$2" '.results[] | select(.command == $n) | .mean' "$1"; }
tl=$(mean "$W/load.json" 'tug load') pl=$(mean "$W/load.json" 'podman load')
ts=$(mean "$W/save.json" 'tug save') ps=$(mean "$W/save.json" 'podman save')
echo
echo "image: ${LAYERS} layers x ${LAYER_MB} MiB, docker-archive; $RUNS runs each"
printf 'load: tug %.2fs, podman %.2fs, ratio tug/podman %.2f, tug peak RSS %s MB\n' "$tl" "$pl" "$(echo "$tl / $pl" | bc -l)" "$load_rss"
printf 'save: tug %.2fs, podman %.2fs, ratio tug/podman %.2f, tug peak RSS %s MB\n' "$ts" "$ps" "$(echo "$ts / $ps" | bc -l)" "$save_rss"
