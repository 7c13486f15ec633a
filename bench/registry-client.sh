#!/usr/bin/env bash
# W5/W6 for the distribution pair, in one run:
#   tug client + tug registry   vs   skopeo + Debian's docker-registry
# W5: push, then pull, a ~1 GiB image (4 gzip layers of 256 MiB random data).
# W6: 20 concurrent pulls of a ~100 MB image (4 x 25,000,000 random bytes).
# Images are built exactly as the anchor harness does (mk_oci from
# /work/shared/bench/bench-registry-throughput.sh, same seeds, same cache dir).
#
# Both registries run here on free loopback ports with throwaway storage
# (the shared anchor daemon on :5000 is not touched). Before each push run the
# target registry is restarted empty; before each pull run the local copy is
# removed; `sync` before every run (untimed, hyperfine --prepare).
#   tug push : tug --root C push REG/bench/big:tug          (C holds the image, pulled once untimed)
#   tug pull : tug --root P pull REG/bench/big:tug          (fresh root: download, verify, record;
#              layers stay compressed, unpacked lazily at run time)
#   skopeo   : skopeo copy oci:<layout> docker://REG/...  /  docker://REG/... oci:<dir>
#   W6 tug   : 20 x tug --root D/i pull -q  (20 separate roots, like skopeo's 20 dirs)
#
# Usage: bench/registry-client.sh            (RUNS=5 WARMUP=1 N=20 by default)
# Env:   RUNS, WARMUP, N, PHASES (w5,w6), OCI_DIR (/var/lib/bench/oci),
#        WORK (/var/tmp/tug-bench-registry), RESULTS (/var/tmp/bench-results)
# Output: medians, MB/s (MB = 10^6 bytes of blobs as stored), the client's CPU
#         seconds (user+sys, hyperfine's mean) and tug/skopeo ratios;
#         appended to $RESULTS/registry-client.tsv.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
PROJECT=$(cd "$HERE/.." && pwd)
ANCHORS=${ANCHORS:-/work/shared/bench}
RUNS=${RUNS:-5}
WARMUP=${WARMUP:-1}
N=${N:-20}
PHASES=${PHASES:-w5,w6}
OCI_DIR=${OCI_DIR:-/var/lib/bench/oci}
WORK=${WORK:-/var/tmp/tug-bench-registry}
RESULTS=${RESULTS:-/var/tmp/bench-results}
TUG="node $PROJECT/bin/tug.js"
mkdir -p "$WORK" "$RESULTS" "$OCI_DIR"

# the anchors' image construction, verbatim
eval "$(sed -n '/^mk_oci() {/,/^}/p' "$ANCHORS/bench-registry-throughput.sh")"
BIG=$OCI_DIR/big-4x256MiB
MED=$OCI_DIR/med-4x25000000
[ -f "$BIG/index.json" ] || { echo "creating $BIG ..."; mk_oci "$BIG" 4 $((256 * 1024 * 1024)) 1; }
[ -f "$MED/index.json" ] || { echo "creating $MED ..."; mk_oci "$MED" 4 25000000 2; }

free_port() { node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
DPORT=$(free_port); TPORT=$(free_port)
DREG=127.0.0.1:$DPORT; TREG=127.0.0.1:$TPORT

# ---- registry control scripts (hyperfine --prepare runs them) ----
cat >"$WORK/dist.sh" <<EOF
#!/bin/bash
# start|stop|reset the docker-registry on $DREG (storage $WORK/dist-data)
set -e
stop() { [ -f $WORK/dist.pid ] && kill \$(cat $WORK/dist.pid) 2>/dev/null && while kill -0 \$(cat $WORK/dist.pid) 2>/dev/null; do sleep 0.05; done; rm -f $WORK/dist.pid; }
start() {
  cat >$WORK/dist.yml <<YML
version: 0.1
log: {level: error, accesslog: {disabled: true}}
storage: {filesystem: {rootdirectory: $WORK/dist-data}, delete: {enabled: true}}
http: {addr: $DREG}
YML
  nohup /usr/bin/docker-registry serve $WORK/dist.yml >>$WORK/dist.log 2>&1 & echo \$! >$WORK/dist.pid
  for i in \$(seq 100); do curl -fsS -o /dev/null http://$DREG/v2/ 2>/dev/null && return 0; sleep 0.05; done; echo "docker-registry did not start" >&2; exit 1
}
case \$1 in start) start ;; stop) stop ;; reset) stop; rm -rf $WORK/dist-data; start ;; esac
EOF
cat >"$WORK/tugreg.sh" <<EOF
#!/bin/bash
# start|stop|reset tug registry serve on $TREG (root $WORK/tugreg-root)
set -e
stop() { [ -f $WORK/tugreg.pid ] && kill \$(cat $WORK/tugreg.pid) 2>/dev/null && while kill -0 \$(cat $WORK/tugreg.pid) 2>/dev/null; do sleep 0.05; done; rm -f $WORK/tugreg.pid; }
start() {
  nohup $TUG --root $WORK/tugreg-root registry serve --addr $TREG --log-level error >>$WORK/tugreg.log 2>&1 & echo \$! >$WORK/tugreg.pid
  for i in \$(seq 200); do curl -fsS -o /dev/null http://$TREG/v2/ 2>/dev/null && return 0; sleep 0.05; done; echo "tug registry did not start" >&2; exit 1
}
case \$1 in start) start ;; stop) stop ;; reset) stop; rm -rf $WORK/tugreg-root; start ;; esac
EOF
chmod +x "$WORK/dist.sh" "$WORK/tugreg.sh"
cleanup() { "$WORK/dist.sh" stop || true; "$WORK/tugreg.sh" stop || true; }
trap cleanup EXIT
"$WORK/dist.sh" reset
"$WORK/tugreg.sh" reset

stamp=$(date +%Y%m%dT%H%M%S)
TSV=$RESULTS/registry-client.tsv
echo "# $(date -u +%FT%TZ) tug-vs-skopeo+distribution RUNS=$RUNS N=$N" >>"$TSV"
median() { jq -r '.results[0].median' "$1"; }
bytes_of() { # registry ref -> blob bytes (layers + config)
  skopeo inspect --raw --tls-verify=false "docker://$1" | jq '([.layers[].size] | add) + .config.size'
}
hf() { # name json prepare cmd
  hyperfine --style basic --runs "$RUNS" --warmup "$WARMUP" --prepare "$3; sync" --export-json "$2" -n "$1" "$4" >/dev/null
}
line() { # workload tool json bytes -> median s, bytes, MB/s, client CPU s (user+sys, mean; the registry's own CPU is not in it)
  local m cpu; m=$(median "$3"); cpu=$(jq -r '.results[0] | (.user + .system)' "$3")
  printf '%s\t%s\t%.3f s\t%d B\t%.1f MB/s\tcpu %.2f s\n' "$1" "$2" "$m" "$4" "$(echo "$4 / $m / 1000000" | bc -l)" "$cpu" | tee -a "$TSV"
}
ratio() { # label tug.json skopeo.json
  printf '%s\tratio tug/skopeo (throughput)\t%.2fx\n' "$1" "$(echo "$(median "$3") / $(median "$2")" | bc -l)" | tee -a "$TSV"
}

if [[ $PHASES == *w5* ]]; then
  C=$WORK/client-root
  if [ -z "$($TUG --root "$C" images -q "$DREG/bench/big:src" 2>/dev/null)" ]; then
    # load the layout into a tug root once (untimed): through docker-registry, then re-tag
    rm -rf "$C"
    skopeo copy -q --dest-tls-verify=false "oci:$BIG:latest" "docker://$DREG/bench/big:src"
    $TUG --root "$C" pull -q "$DREG/bench/big:src" >/dev/null
  fi
  $TUG --root "$C" tag "$DREG/bench/big:src" "$TREG/bench/big:tug"
  hf "W5 push tug" "$WORK/w5-push-tug.json" "$WORK/tugreg.sh reset" "$TUG --root $C push -q $TREG/bench/big:tug"
  hf "W5 push skopeo" "$WORK/w5-push-skopeo.json" "$WORK/dist.sh reset" "skopeo copy -q --dest-tls-verify=false oci:$BIG:latest docker://$DREG/bench/big:skopeo"
  BB=$(bytes_of "$TREG/bench/big:tug")
  line W5-push tug "$WORK/w5-push-tug.json" "$BB"
  line W5-push skopeo "$WORK/w5-push-skopeo.json" "$(bytes_of "$DREG/bench/big:skopeo")"
  ratio W5-push "$WORK/w5-push-tug.json" "$WORK/w5-push-skopeo.json"
  P=$WORK/pull-root; PD=$WORK/pull-dir
  hf "W5 pull tug" "$WORK/w5-pull-tug.json" "rm -rf $P" "$TUG --root $P pull -q $TREG/bench/big:tug"
  hf "W5 pull skopeo" "$WORK/w5-pull-skopeo.json" "rm -rf $PD" "skopeo copy -q --src-tls-verify=false docker://$DREG/bench/big:skopeo oci:$PD:latest"
  rm -rf "$P" "$PD"
  line W5-pull tug "$WORK/w5-pull-tug.json" "$BB"
  line W5-pull skopeo "$WORK/w5-pull-skopeo.json" "$(bytes_of "$DREG/bench/big:skopeo")"
  ratio W5-pull "$WORK/w5-pull-tug.json" "$WORK/w5-pull-skopeo.json"
fi

if [[ $PHASES == *w6* ]]; then
  skopeo copy -q --dest-tls-verify=false "oci:$MED:latest" "docker://$DREG/bench/med:latest"
  skopeo copy -q --src-tls-verify=false --dest-tls-verify=false "docker://$DREG/bench/med:latest" "docker://$TREG/bench/med:latest"
  MB=$(bytes_of "$DREG/bench/med:latest")
  D=$WORK/w6
  cat >"$WORK/w6-tug.sh" <<EOF
#!/bin/bash
pids=(); for i in \$(seq 1 $N); do $TUG --root $D/\$i pull -q $TREG/bench/med:latest >/dev/null & pids+=(\$!); done
rc=0; for p in "\${pids[@]}"; do wait \$p || rc=1; done; exit \$rc
EOF
  cat >"$WORK/w6-skopeo.sh" <<EOF
#!/bin/bash
mkdir -p $D
pids=(); for i in \$(seq 1 $N); do skopeo copy -q --src-tls-verify=false docker://$DREG/bench/med:latest oci:$D/\$i:latest & pids+=(\$!); done
rc=0; for p in "\${pids[@]}"; do wait \$p || rc=1; done; exit \$rc
EOF
  chmod +x "$WORK/w6-tug.sh" "$WORK/w6-skopeo.sh"
  # peak RSS of the tug registry during the tug runs (VmHWM of a fresh server)
  "$WORK/tugreg.sh" stop; "$WORK/tugreg.sh" start
  hf "W6 tug x$N" "$WORK/w6-tug.json" "rm -rf $D" "$WORK/w6-tug.sh"
  hwm=$(awk '/VmHWM/ {print $2}' "/proc/$(cat "$WORK/tugreg.pid")/status")
  hf "W6 skopeo x$N" "$WORK/w6-skopeo.json" "rm -rf $D" "$WORK/w6-skopeo.sh"
  rm -rf "$D"
  line "W6-x$N" tug "$WORK/w6-tug.json" $((MB * N))
  line "W6-x$N" skopeo "$WORK/w6-skopeo.json" $((MB * N))
  ratio "W6-x$N" "$WORK/w6-tug.json" "$WORK/w6-skopeo.json"
  printf 'W6-x%s\ttug registry peak RSS\t%d MB\n' "$N" $((hwm / 1024)) | tee -a "$TSV"
fi
cp "$WORK"/*.json "$RESULTS/" 2>/dev/null || true
echo "results: $TSV"
