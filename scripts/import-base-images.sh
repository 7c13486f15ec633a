#!/usr/bin/env bash
# Imports the offline base images (made by scripts/make-base-images.sh) into a
# tug state root ($TUG_ROOT, else /var/lib/tug):
#   busybox:latest   CMD ["sh"], PATH set, as the Docker Hub image
#   debian:bookworm  CMD ["bash"], PATH set (skipped if its tarball is missing)
# An image already imported from the same tarball (label org.tug.rootfs =
# size-mtime of the tarball) is left alone, so the script can run every time.
set -euo pipefail
cd "$(dirname "$0")/.."
CACHE=${TUG_BASE_CACHE:-/var/cache/tug}
TUG=(node -- "$PWD/bin/tug.js")
PATH_ENV='PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'

import_one() { # name tarball cmd
  local name=$1 tar=$2 cmd=$3
  if [ ! -s "$tar" ]; then
    echo "skipping $name: $tar is missing (run scripts/make-base-images.sh)" >&2
    return 0
  fi
  local stamp
  stamp=$(stat -c '%s-%Y' "$tar")
  if [ "$("${TUG[@]}" image inspect --format '{{index .Config.Labels "org.tug.rootfs"}}' "$name" 2>/dev/null)" = "$stamp" ]; then
    echo "$name is up to date"
    return 0
  fi
  echo "importing $tar as $name"
  "${TUG[@]}" import --change "CMD $cmd" --change "ENV $PATH_ENV" --change "LABEL org.tug.rootfs=$stamp" \
    --message "Imported from $(basename "$tar")" "$tar" "$name"
}

import_one busybox:latest "$CACHE/busybox-rootfs.tar" '["sh"]'
[ "${TUG_NO_DEBIAN:-0}" = 1 ] || import_one debian:bookworm "$CACHE/bookworm-rootfs.tar" '["bash"]'
