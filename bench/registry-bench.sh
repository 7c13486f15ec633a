#!/usr/bin/env bash
# Registry server benchmark: `tug registry serve` against Debian's
# docker-registry (the CNCF distribution registry), same client (skopeo) for
# both, same run, using the shared anchor harness in /work/shared/bench:
#   W5  push then pull a 1 GiB image (4 x 256 MiB gzip layers of random data)
#   W6  20 concurrent pulls of a 100 MB image, plus each server's peak RSS
#       (VmHWM of a server started fresh just before W6).
# Each server gets its own port, storage and pid file under WORK; only those
# pids are ever signalled. Ratios (tug / distribution) go to stdout and to
# $RESULTS/registry-bench.md.
#
# On a shared, busy machine the load drifts by minutes, so the servers take
# turns: ROUNDS rounds of (W5 dr, W5 tug, W6 dr, W6 tug), each harness call
# timing RUNS runs, and the figure is the median over all runs of all rounds.
#
# Usage: bench/registry-bench.sh            (ROUNDS=5 RUNS=1 N=20 by default)
# Env:   ROUNDS, RUNS, WARMUP (0; the first round always warms up once), N,
#        WORK (/var/tmp/tug-registry-bench), ANCHOR_DIR (/work/shared/bench),
#        DR_PORT (5101), TUG_PORT (5102), PHASES (w5,w6)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
PROJECT=$(cd "$HERE/.." && pwd)
SELF="$HERE/$(basename "$0")"
ANCHOR_DIR=${ANCHOR_DIR:-/work/shared/bench}
WORK=${WORK:-/var/tmp/tug-registry-bench}
ROUNDS=${ROUNDS:-5}
RUNS=${RUNS:-1}
WARMUP=${WARMUP:-0}
N=${N:-20}
DR_PORT=${DR_PORT:-5101}
TUG_PORT=${TUG_PORT:-5102}
PHASES=${PHASES:-w5,w6}
RESULTS=${RESULTS:-$WORK/results}
APP="$WORK/app" # the private copy of tug the benchmark runs (made below)
mkdir -p "$WORK" "$RESULTS"

port_of() { [ "$1" = tug ] && echo "$TUG_PORT" || echo "$DR_PORT"; }

start() { # tug|dr
  local which=$1 port; port=$(port_of "$1")
  if [ "$which" = dr ]; then
    mkdir -p "$WORK/dr-data"
    cat >"$WORK/dr-config.yml" <<YML
version: 0.1
log: { level: error, accesslog: { disabled: true } }
storage:
  filesystem: { rootdirectory: $WORK/dr-data }
  delete: { enabled: true }
http: { addr: 127.0.0.1:$port }
YML
    setsid nohup docker-registry serve "$WORK/dr-config.yml" >"$WORK/dr.log" 2>&1 </dev/null &
  else
    setsid nohup node "$APP/bin/tug.js" --root "$WORK/tug-root" registry serve --addr "127.0.0.1:$port" --log-level error \
      >"$WORK/tug.log" 2>&1 </dev/null &
  fi
  echo $! >"$WORK/$which.pid"
  for _ in $(seq 1 100); do
    curl -fsS -o /dev/null "http://127.0.0.1:$port/v2/" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "$which registry did not start" >&2; cat "$WORK/$which.log" >&2; return 1
}

stop() { # tug|dr: only the pid we started
  local f="$WORK/$1.pid"
  [ -f "$f" ] || return 0
  local pid; pid=$(cat "$f")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid"; for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -f "$f"
}

reset() { # tug|dr: restart with empty storage
  stop "$1"
  if [ "$1" = dr ]; then rm -rf "$WORK/dr-data"; else rm -rf "$WORK/tug-root"; fi
  start "$1"
}

peak_rss_mb() { awk '/VmHWM/ {printf "%.1f\n", $2/1024}' "/proc/$(cat "$WORK/$1.pid")/status"; }
# CPU seconds (user + system) the server has used since it started: a cost that a busy machine does not distort
cpu_s() { awk -v t="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / t}' "/proc/$(cat "$WORK/$1.pid")/stat"; }

case ${1:-} in
  _reset) reset "$2"; exit 0 ;;
  _stop) stop tug; stop dr; exit 0 ;;
esac

trap 'stop tug; stop dr; rm -rf "$WORK/dr-data" "$WORK/tug-root" "$WORK"/w6-*' EXIT
command -v docker-registry >/dev/null || { echo "docker-registry (Debian package) is not installed" >&2; exit 2; }
(cd "$PROJECT" && npm run -s build)
# run a private copy: others rebuilding dist/ in a shared tree must not pull it from under the server
rm -rf "$APP"; mkdir -p "$APP"
cp -r "$PROJECT/bin" "$PROJECT/dist" "$PROJECT/package.json" "$APP/"
ln -s "$PROJECT/node_modules" "$APP/node_modules"

median() { # results-dir W5-push|W5-pull|W6 -> "median_s MB/s" over every run of every round
  local dir=$1 row=$2 glob
  case $row in W5-push) glob='w5-push-*.json' ;; W5-pull) glob='w5-pull-*.json' ;; W6) glob='w6-*.json' ;; esac
  local bytes; bytes=$(awk -F'\t' -v n="$row" '$1 == n {b=$8} END {print b}' "$dir/summary.tsv")
  [ -n "$bytes" ] || return 1
  # shellcheck disable=SC2086
  jq -s --argjson b "$bytes" '[.[].results[0].times[]] | sort | (if length % 2 == 1 then .[length/2|floor] else (.[length/2-1] + .[length/2]) / 2 end) as $m | "\($m) \($b / $m / 1e6)"' -r $dir/$glob
}

# servers take turns within each round, so load drifting on a shared machine hits both alike
for which in dr tug; do mkdir -p "$RESULTS/$which"; rm -f "$RESULTS/$which"/*.json; : >"$RESULTS/$which/summary.tsv"; : >"$RESULTS/$which/w6-rss-mb"; : >"$RESULTS/$which/w6-cpu"; done
for round in $(seq 1 "$ROUNDS"); do
  warm=$WARMUP; [ "$round" = 1 ] && warm=1
  if [[ $PHASES == *w5* ]]; then
    for which in dr tug; do
      reset "$which"
      echo "== round $round W5 $which (load: $(cut -d' ' -f1-3 /proc/loadavg))" >&2
      TOOL=skopeo REG="127.0.0.1:$(port_of "$which")" RUNS=$RUNS WARMUP=$warm RESULTS="$RESULTS/$which" \
        REG_RESET="$SELF _reset $which" bash "$ANCHOR_DIR/bench-registry-throughput.sh" >&2
      stop "$which"
    done
  fi
  if [[ $PHASES == *w6* ]]; then
    for which in dr tug; do
      echo "== round $round W6 $which (load: $(cut -d' ' -f1-3 /proc/loadavg))" >&2
      reg="127.0.0.1:$(port_of "$which")"
      [ -f "$WORK/$which.pid" ] || start "$which"
      # push the image first (untimed), then restart so VmHWM covers W6 only
      TOOL=skopeo N=1 RUNS=1 WARMUP=0 REG="$reg" RESULTS="$WORK/scratch" DEST="$WORK/w6-prime" bash "$ANCHOR_DIR/bench-registry-concurrency.sh" >/dev/null 2>&1
      stop "$which"; start "$which"
      cpu0=$(cpu_s "$which") # start-up, not serving
      TOOL=skopeo N=$N RUNS=$RUNS WARMUP=$warm REG="$reg" RESULTS="$RESULTS/$which" DEST="$WORK/w6-$which" bash "$ANCHOR_DIR/bench-registry-concurrency.sh" >&2
      peak_rss_mb "$which" >>"$RESULTS/$which/w6-rss-mb"
      echo "$(echo "$(cpu_s "$which") - $cpu0" | bc -l) $((RUNS + warm))" >>"$RESULTS/$which/w6-cpu"
      stop "$which"
    done
  fi
done

{
  echo "| workload (skopeo client) | distribution (docker-registry) | tug registry | tug / distribution |"
  echo "|---|---|---|---|"
  for row in W5-push W5-pull; do
    read -r dm dr_rate < <(median "$RESULTS/dr" "$row") || true
    read -r tm tug_rate < <(median "$RESULTS/tug" "$row") || true
    [ -n "${dr_rate:-}" ] && [ -n "${tug_rate:-}" ] &&
      printf '| %s 1 GiB | %.2f s (%.0f MB/s) | %.2f s (%.0f MB/s) | %.2fx throughput |\n' "$row" "$dm" "$dr_rate" "$tm" "$tug_rate" "$(echo "$tug_rate / $dr_rate" | bc -l)"
  done
  read -r dm dr_rate < <(median "$RESULTS/dr" W6) || true
  read -r tm tug_rate < <(median "$RESULTS/tug" W6) || true
  [ -n "${dr_rate:-}" ] && [ -n "${tug_rate:-}" ] &&
    printf '| W6 %s x 100 MB pulls | %.2f s (%.0f MB/s) | %.2f s (%.0f MB/s) | %.2fx throughput |\n' "$N" "$dm" "$dr_rate" "$tm" "$tug_rate" "$(echo "$tug_rate / $dr_rate" | bc -l)"
  [ -f "$RESULTS/tug/w6-rss-mb" ] &&
    printf '| W6 server peak RSS (max over rounds) | %s MB | %s MB | target < 150 MB |\n' "$(sort -n "$RESULTS/dr/w6-rss-mb" | tail -1)" "$(sort -n "$RESULTS/tug/w6-rss-mb" | tail -1)"
  cpu_per_pull() { awk -v n="$N" '{c += $1; r += $2} END {if (r) printf "%.2f", c / (r * n)}' "$1/w6-cpu"; }
  [ -s "$RESULTS/tug/w6-cpu" ] &&
    printf '| W6 server CPU per 100 MB pull | %s s | %s s | tug uses %.2fx the CPU |\n' "$(cpu_per_pull "$RESULTS/dr")" "$(cpu_per_pull "$RESULTS/tug")" "$(echo "$(cpu_per_pull "$RESULTS/tug") / $(cpu_per_pull "$RESULTS/dr")" | bc -l)"
  echo
  echo "$ROUNDS rounds x $RUNS runs per server and workload, turns taken within each round; medians over all runs."
} | tee "$RESULTS/registry-bench.md"
