#!/usr/bin/env bash
# The main job: what tug does for a user, end to end, printing each step:
# import the offline base images, build the multi-stage example, run it,
# push it to tug's own registry on loopback, pull it back into a fresh state
# root and run it there; then save and reload an image.
set -euo pipefail
cd "$(dirname "$0")/.."
export TUG_ROOT=${TUG_ROOT:-/var/lib/tug}
TUG=(node -- "$PWD/bin/tug.js")
step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
WORK=$(mktemp -d /var/tmp/tug-main-job.XXXXXX)
REG_PID=
cleanup() {
  [ -n "$REG_PID" ] && kill "$REG_PID" 2>/dev/null && wait "$REG_PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

step "import the offline base images into $TUG_ROOT"
TUG_NO_DEBIAN=${TUG_NO_DEBIAN:-1} bash scripts/import-base-images.sh

step "tug images"
"${TUG[@]}" images

step "tug build -t hello:latest examples/hello   (two stages, a cache mount)"
"${TUG[@]}" build --progress=plain -t hello:latest examples/hello

step "tug build again: every step is cached"
"${TUG[@]}" build --progress=plain -t hello:latest examples/hello 2>&1 | grep -E 'CACHED|writing image'

step "tug run --rm hello:latest"
"${TUG[@]}" run --rm --hostname main-job hello:latest

PORT=${TUG_MAIN_JOB_PORT:-5000}
# another registry may already hold 5000 on this host: then take a free port
if ss -ltn 2>/dev/null | grep -q ":$PORT "; then PORT=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'); fi
step "tug registry serve --addr 127.0.0.1:$PORT   (tug's own OCI registry)"
"${TUG[@]}" --root "$WORK/registry-root" registry serve --addr "127.0.0.1:$PORT" >"$WORK/registry.log" 2>&1 &
REG_PID=$!
for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$PORT/v2/" >/dev/null 2>&1 && break; sleep 0.1; done
curl -fsS "http://127.0.0.1:$PORT/v2/" >/dev/null || { cat "$WORK/registry.log" >&2; exit 1; }
echo "registry up (pid $REG_PID)"

step "tug tag + tug push 127.0.0.1:$PORT/demo/hello:1"
"${TUG[@]}" tag hello:latest "127.0.0.1:$PORT/demo/hello:1"
"${TUG[@]}" push "127.0.0.1:$PORT/demo/hello:1"

PULLED=$WORK/pull-root
step "tug --root $PULLED pull 127.0.0.1:$PORT/demo/hello:1   (a fresh state root)"
"${TUG[@]}" --root "$PULLED" pull "127.0.0.1:$PORT/demo/hello:1"
"${TUG[@]}" --root "$PULLED" run --rm --hostname pulled "127.0.0.1:$PORT/demo/hello:1"

step "the pulled image is the built image (same id)"
built=$("${TUG[@]}" image inspect --format '{{.Id}}' hello:latest)
pulled=$("${TUG[@]}" --root "$PULLED" image inspect --format '{{.Id}}' "127.0.0.1:$PORT/demo/hello:1")
echo "built:  $built"
echo "pulled: $pulled"
[ "$built" = "$pulled" ] || { echo "MISMATCH" >&2; exit 1; }

step "tug history busybox"
"${TUG[@]}" history busybox

step "tug save -o $WORK/busybox.tar busybox"
"${TUG[@]}" save -o "$WORK/busybox.tar" busybox
tar -tvf "$WORK/busybox.tar"

FRESH=$WORK/fresh-root
step "tug --root $FRESH load -i $WORK/busybox.tar"
"${TUG[@]}" --root "$FRESH" load -i "$WORK/busybox.tar"
"${TUG[@]}" --root "$FRESH" images

step "the loaded image is the same image (same id = config digest)"
a=$("${TUG[@]}" image inspect --format '{{.Id}}' busybox)
b=$("${TUG[@]}" --root "$FRESH" image inspect --format '{{.Id}}' busybox)
echo "original: $a"
echo "reloaded: $b"
[ "$a" = "$b" ] || { echo "MISMATCH" >&2; exit 1; }
echo "main job OK"
