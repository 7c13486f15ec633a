#!/usr/bin/env bash
# Offline base images as rootfs tarballs, cached under $TUG_BASE_CACHE:
#   busybox-rootfs.tar   from Debian's busybox-static (applet links)
#   bookworm-rootfs.tar  debootstrap --variant=minbase (skipped with TUG_NO_DEBIAN=1)
# Both are deterministic (sorted, fixed mtime, numeric owners), so the same
# packages give the same layer digest. `tug import` turns them into images.
set -euo pipefail
CACHE=${TUG_BASE_CACHE:-/var/cache/tug}
mkdir -p "$CACHE"
MTIME='2024-01-01 00:00:00'

if [ ! -s "$CACHE/busybox-rootfs.tar" ] || [ /bin/busybox -nt "$CACHE/busybox-rootfs.tar" ]; then
  R=$(mktemp -d); trap 'rm -rf "$R"' EXIT
  mkdir -p "$R"/{bin,sbin,usr/bin,usr/sbin,etc,tmp,root,proc,sys,dev,var,home}
  cp /bin/busybox "$R/bin/busybox"; chmod 1777 "$R/tmp"; chmod 700 "$R/root"
  for p in $(/bin/busybox --list-full); do
    [ "$p" = bin/busybox ] && continue
    mkdir -p "$R/$(dirname "$p")"; ln -sf /bin/busybox "$R/$p"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\ndaemon:x:1:1:daemon:/usr/sbin:/bin/false\nnobody:x:65534:65534:nobody:/home:/bin/false\n' >"$R/etc/passwd"
  printf 'root:x:0:\ndaemon:x:1:\nnogroup:x:65534:\n' >"$R/etc/group"
  tar --numeric-owner --owner=0 --group=0 --sort=name --mtime="$MTIME" -C "$R" -cf "$CACHE/busybox-rootfs.tar.tmp" .
  mv "$CACHE/busybox-rootfs.tar.tmp" "$CACHE/busybox-rootfs.tar"
  rm -rf "$R"; trap - EXIT
fi

if [ "${TUG_NO_DEBIAN:-0}" != 1 ] && [ ! -s "$CACHE/bookworm-rootfs.tar" ]; then
  R=$CACHE/bookworm.tmp
  rm -rf "$R"
  debootstrap --variant=minbase bookworm "$R" "${TUG_DEBIAN_MIRROR:-http://deb.debian.org/debian}" >"$CACHE/debootstrap.log" 2>&1 ||
    { echo "debootstrap failed, see $CACHE/debootstrap.log" >&2; rm -rf "$R"; exit 1; }
  rm -rf "$R"/var/cache/apt/archives/*.deb "$R"/var/lib/apt/lists/* "$R"/var/cache/apt/*.bin
  tar --numeric-owner --xattrs --sort=name --mtime="$MTIME" -C "$R" -cf "$CACHE/bookworm-rootfs.tar.tmp" .
  mv "$CACHE/bookworm-rootfs.tar.tmp" "$CACHE/bookworm-rootfs.tar"
  rm -rf "$R"
fi
ls -l "$CACHE"/*.tar
