#!/usr/bin/env bash
# Network benchmark, tug against podman (netavark backend) in the same run:
#   1. TCP throughput host -> container through a published port on 127.0.0.1
#   2. TCP throughput container -> container by name on a user-defined network
#   3. start time of `run --rm busybox true` on a user network vs --network none
#      (hyperfine), i.e. what networking adds to a start, for both tools.
# Both tools run the same programs: socat (the host's binary and libraries,
# bind-mounted read-only into a busybox container) as sender and sink.
# Usage: bash bench/network.sh     (BYTES=4000000000 RUNS=3 STARTS=15 by default)
# Results go to stdout and $RESULTS/network.tsv. Run under
# flock /tmp/tug-integration.lock (it creates bridges, netns and DNAT rules).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
PROJECT=$(dirname "$HERE")
BYTES=${BYTES:-4000000000}
RUNS=${RUNS:-3}
STARTS=${STARTS:-15}
TAR=${BUSYBOX_TAR:-/var/cache/tug/busybox-rootfs.tar}
RESULTS=${RESULTS:-/var/tmp/bench-results}
mkdir -p "$RESULTS"
ROOT=$(mktemp -d /var/tmp/tug-bench-net-XXXXXX)
TUG="node $PROJECT/bin/tug.js --root $ROOT"
PIMG=localhost/tug-bench-net-busybox
# podman on this host has no stored backend and no CNI plugins: pin netavark
# (the backend tug uses too) in a private containers.conf for the run.
PCONF=$(mktemp /tmp/tug-bench-podman-XXXXXX.conf)
cat > "$PCONF" <<CONF
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
[network]
network_backend = "netavark"
CONF
PODMAN="env CONTAINERS_CONF=$PCONF podman"

# two free /24s (no host route or interface in them)
pick_subnets() {
  local got=0 third
  for third in $(seq 210 250); do
    if ! ip -4 route | grep -q "^10\.231\.$third\." && ! ip -4 addr | grep -q "10\.231\.$third\."; then
      echo "10.231.$third.0/24"; got=$((got + 1)); [ $got -eq 2 ] && return
    fi
  done
}
read -r SUB_T SUB_P <<<"$(pick_subnets | tr '\n' ' ')"

cleanup() {
  ids=$($TUG ps -aq 2>/dev/null || true)
  [ -n "$ids" ] && $TUG rm -f $ids >/dev/null 2>&1 || true
  $TUG network rm tugbench >/dev/null 2>&1 || true
  $PODMAN rm -f pb-srv pb-cli >/dev/null 2>&1 || true
  $PODMAN network rm -f podbench >/dev/null 2>&1 || true
  $PODMAN rmi -f $PIMG >/dev/null 2>&1 || true
  grep -o " $ROOT[^ ]*" /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
  rm -rf "$ROOT" "$PCONF"
}
trap cleanup EXIT

SOCAT=(-v /usr/bin/socat:/usr/bin/socat:ro -v /lib/x86_64-linux-gnu:/lib/x86_64-linux-gnu:ro -v /lib64:/lib64:ro)
SINK='socat -u TCP-LISTEN:5001,reuseaddr,fork OPEN:/dev/null'
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now() { date +%s%N; }
# best of RUNS, in MB/s: "$@" moves BYTES; $1 of the overhead command is subtracted
best_rate() {
  local overhead_ns=$1; shift
  local best=0 i s e ns rate
  for i in $(seq 1 "$RUNS"); do
    s=$(now); "$@" >/dev/null; e=$(now)
    ns=$(( e - s - overhead_ns )); [ $ns -lt 1 ] && ns=1
    rate=$(( BYTES * 1000 / ns ))   # bytes/ns*1000 = MB/s
    [ $rate -gt $best ] && best=$rate
  done
  echo $best
}
median_ns() {
  local a=() i s e
  for i in 1 2 3 4 5; do s=$(now); "$@" >/dev/null; e=$(now); a+=($((e - s))); done
  printf '%s\n' "${a[@]}" | sort -n | sed -n 3p
}

$TUG import "$TAR" busybox >/dev/null
$PODMAN import -q "$TAR" $PIMG >/dev/null
echo "# tug $(git -C "$PROJECT" rev-parse --short HEAD 2>/dev/null), $(podman --version), netavark $(/usr/lib/podman/netavark --version | cut -d' ' -f2), bytes $BYTES, best of $RUNS, load $(cut -d' ' -f1-3 /proc/loadavg)"

$TUG network create --subnet "$SUB_T" tugbench >/dev/null
$PODMAN network create --subnet "$SUB_P" podbench >/dev/null
TPORT=$(free_port); PPORT=$(free_port)
$TUG run -d --name tb-srv --network tugbench -p 127.0.0.1:$TPORT:5001 "${SOCAT[@]}" busybox $SINK >/dev/null
$TUG run -d --name tb-cli --network tugbench "${SOCAT[@]}" busybox sleep 3600 >/dev/null
$PODMAN run -d --name pb-srv --network podbench -p 127.0.0.1:$PPORT:5001 "${SOCAT[@]}" $PIMG $SINK >/dev/null
$PODMAN run -d --name pb-cli --network podbench "${SOCAT[@]}" $PIMG sleep 3600 >/dev/null
sleep 1

send_host() { socat -u OPEN:/dev/zero,readbytes=$BYTES TCP:127.0.0.1:$1; }
t_h2c=$(best_rate 0 send_host $TPORT)
p_h2c=$(best_rate 0 send_host $PPORT)
# container -> container: timed around `exec`, minus the exec's own cost
t_exec=$(median_ns $TUG exec tb-cli true)
p_exec=$(median_ns $PODMAN exec pb-cli true)
t_c2c=$(best_rate "$t_exec" $TUG exec tb-cli socat -u OPEN:/dev/zero,readbytes=$BYTES TCP:tb-srv:5001)
p_c2c=$(best_rate "$p_exec" $PODMAN exec pb-cli socat -u OPEN:/dev/zero,readbytes=$BYTES TCP:pb-srv:5001)

hf() { hyperfine -N -w 2 -r "$STARTS" --export-json /tmp/tug-bench-net-hf.json "$@" >/dev/null 2>&1; jq -r '.results[] | .median * 1000' /tmp/tug-bench-net-hf.json; }
read -r t_none t_net <<<"$(hf "$TUG run --rm --network none busybox true" "$TUG run --rm --network tugbench busybox true" | tr '\n' ' ')"
read -r p_none p_net <<<"$(hf "$PODMAN run --rm --network none $PIMG true" "$PODMAN run --rm --network podbench $PIMG true" | tr '\n' ' ')"
rm -f /tmp/tug-bench-net-hf.json

awk -v th=$t_h2c -v ph=$p_h2c -v tc=$t_c2c -v pc=$p_c2c -v tn=$t_none -v tw=$t_net -v pn=$p_none -v pw=$p_net 'BEGIN {
  printf "host->container (published 127.0.0.1 port)  tug %6d MB/s  podman %6d MB/s  ratio tug/podman %.2f\n", th, ph, th/ph
  printf "container->container (user network, by name) tug %6d MB/s  podman %6d MB/s  ratio tug/podman %.2f\n", tc, pc, tc/pc
  printf "start, run --rm true: tug none %.0f ms, user net %.0f ms (+%.0f) | podman none %.0f ms, user net %.0f ms (+%.0f) | network overhead ratio tug/podman %.2f\n", tn, tw, tw-tn, pn, pw, pw-pn, (tw-tn)/(pw-pn)
}' | tee -a "$RESULTS/network.tsv"
