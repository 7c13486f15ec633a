#!/usr/bin/env bash
# Sets up everything tug needs on a fresh Debian 12 machine, as root:
# Debian packages, host fixes, node modules, the build, the offline base images.
set -euo pipefail
cd "$(dirname "$0")/.."
PKGS="crun runc conmon busybox-static debootstrap netavark aardvark-dns iptables
  golang-github-containers-common skopeo podman docker-registry jq socat hyperfine curl iproute2 openssh-client zstd tini"
missing=$(for p in $PKGS; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || echo "$p"; done)
if [ -n "$missing" ]; then
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing
fi
bash scripts/host-setup.sh
npm ci --no-audit --no-fund
npm run -s build
bash scripts/make-base-images.sh
