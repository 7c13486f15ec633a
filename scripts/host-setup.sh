#!/usr/bin/env bash
# Host fixes tug needs on Debian 12 (idempotent; see docs/architecture.md).
set -euo pipefail
# crun 1.8 refuses cgroup "hybrid" mode while the v2 hierarchy still owns
# hugetlb; mounting the v1 hugetlb hierarchy moves it there.
if [ -r /sys/fs/cgroup/unified/cgroup.controllers ] &&
   grep -qw hugetlb /sys/fs/cgroup/unified/cgroup.controllers &&
   ! mountpoint -q /sys/fs/cgroup/hugetlb; then
  mkdir -p /sys/fs/cgroup/hugetlb
  mount -t cgroup -o hugetlb cgroup /sys/fs/cgroup/hugetlb
fi
# No CAP_SYS_RESOURCE here: podman (used by the interop tests) must not ask
# for rlimits above the host's hard limits.
if [ ! -f /etc/containers/containers.conf ]; then
  mkdir -p /etc/containers
  cat > /etc/containers/containers.conf <<'CONF'
[containers]
default_ulimits = [
  "nofile=20000:20000",
  "nproc=32768:32768",
]
CONF
fi
