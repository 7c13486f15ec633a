#!/usr/bin/env bash
# The main job: what tug does for a user, end to end, printing each step.
# For now: import the offline busybox image, list it, save it and load it into
# a fresh state root, and check the loaded image is the same image.
set -euo pipefail
cd "$(dirname "$0")/.."
export TUG_ROOT=${TUG_ROOT:-/var/lib/tug}
TUG=(node "$PWD/bin/tug.js")
step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
WORK=$(mktemp -d /var/tmp/tug-main-job.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

step "import the offline base images into $TUG_ROOT"
TUG_NO_DEBIAN=${TUG_NO_DEBIAN:-1} bash scripts/import-base-images.sh

step "tug images"
"${TUG[@]}" images

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
