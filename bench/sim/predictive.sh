#!/bin/sh
# Reactive vs reactive + predictive (issue 11 item 5) on seasonal traces from ../shared/traces,
# at the same SLO: per workload and mode, the arrival-rate target is swept and the cheapest
# policy meeting the SLO is reported (replica-hours, p99 wait), with every run below it.
#
#   bench/sim/predictive.sh EBB_BINARY TRACES_DIR [WORKLOAD ...]   (celery alibaba; also worldcup,
#                                                                   nasajul, nasaaug, nasa)
#   EBB_BENCH_U="0.6 0.8" bench/sim/predictive.sh ...   (other arrival-rate targets)
#   EBB_BENCH_B="20 60" ...                            (other backlog targets, else per workload)
#   EBB_BENCH_L="120 600" ...                          (lookaheads swept in predictive mode)
#   EBB_BENCH_JOBS=2 ...                               (simulations run at once)
#   EBB_BENCH_SEED=2 ...                               (another draw of the tasks; default 1)
#   EBB_BENCH_MODES=predictive ...                     (one mode only, e.g. after a forecast change)
#
# Both modes run the same Autoscaler and the same grid: the workload's backlog metric with an
# AverageValue target b (swept) plus the queue's arrival rate (Prometheus rate() over 60 s) with
# an AverageValue target of u x one replica's throughput (swept), so the reactive policy is tuned
# as much as the predictive one; "predictive" adds `predictive: {lookaheadSeconds: L}` to the
# arrival rate (L swept too). Needs jq. Writes workloads-data/ in the current directory
# (bench/sim/workloads/derive.sh, plus the NASA July per-minute trace and its first three days).
set -eu
ebb=${1:?usage: predictive.sh EBB_BINARY TRACES_DIR [WORKLOAD ...]}
traces=${2:?usage: predictive.sh EBB_BINARY TRACES_DIR [WORKLOAD ...]}
shift 2
here=$(cd "$(dirname "$0")" && pwd)
out=workloads-data
"$here/workloads/derive.sh" "$traces" "$out" > /dev/null
# nasa-jul: NASA-KSC HTTP July 1995 per minute x100 (27.6 days, diurnal and weekly), t = 0 at
# 1995-07-01 00:00 EDT (04:00 UTC).
awk -F, 'NR > 1 { printf "%d,backlog,%d\n", 804571200 + $1, $2 * 100 }' \
  "$traces/nasa_http_1995/nasa_jul95_per_minute.csv" > "$out/nasa-jul.csv"
# nasa3: its first three days (1995-07-01 to 07-03, 19.8 million tasks at x100; the whole month,
# 189 million, is too slow to sweep): a day of warm-up, then two days the daily season forecasts.
awk -F, '$1 < 804571200 + 3 * 86400' "$out/nasa-jul.csv" > "$out/nasa3.csv"
# worldcup: the 1998 World Cup web site, requests per minute / 500 (rounded), 1998-06-09 00:00 UTC
# (the day before the first match) to 07-13 00:00 UTC, 34 days, 2.3 million tasks. Matches kick
# off at the same UTC times on consecutive days of a stage, each a ramp of ~5 % a minute for a
# quarter of an hour (traces/README.md). The trace's t = 0 is 1998-04-30 21:30 UTC (893971800).
awk -F, 'NR > 1 && $1 >= 3378600 && $1 < 3378600 + 34 * 86400 {
  printf "%d,backlog,%d\n", 893971800 + $1, int($2 / 500 + 0.5) }' \
  "$traces/worldcup98/worldcup98_per_minute.csv" > "$out/worldcup.csv"
# nasajul: NASA-KSC HTTP July 1995, requests per minute as given (x1: 1.9 million tasks, 27.6
# days, diurnal and weekly, the STS-70 launch crowd on 07-13), t = 0 at 1995-07-01 04:00 UTC.
awk -F, 'NR > 1 { printf "%d,backlog,%d\n", 804571200 + $1, $2 }' \
  "$traces/nasa_http_1995/nasa_jul95_per_minute.csv" > "$out/nasajul.csv"
# nasaaug: NASA-KSC HTTP August 1995 per minute as given, from 08-04 00:00 EDT (04:00 UTC) to the
# end (28 days, 1.5 million tasks): the first three days hold the server outage (Hurricane Erin,
# 08-01 14:52 to 08-03 04:36, zeros that are no load) and are left out. t = 0 of the file is
# 1995-08-01 04:00 UTC (807249600).
awk -F, 'NR > 1 && $1 >= 3 * 86400 { printf "%d,backlog,%d\n", 807249600 + $1, $2 }' \
  "$traces/nasa_http_1995/nasa_aug95_per_minute.csv" > "$out/nasaaug.csv"
[ $# -gt 0 ] || set -- celery alibaba
seed=${EBB_BENCH_SEED:-1}
tag=""
[ "$seed" = 1 ] || tag="-s$seed"

# workload -> min max backlog-targets per-replica-throughput slo model
params() {
  case $1 in
    celery) echo "1 20 60 0.5 120 {type: queue, queueModel: pool, intervalSeconds: 60, serviceRate: 0.5}" ;;
    alibaba) echo "0 20 4 0.0346 120 {type: queue, queueModel: pool, intervalSeconds: 60, reading: backlogAndInFlight, serviceTime: {distribution: recorded, file: $out/alibaba-durations.csv}}" ;;
    worldcup) echo "1 50 6 0.2 30 {type: queue, queueModel: pool, intervalSeconds: 60, serviceRate: 0.2}" ;;
    # 20 s per task (exponential), so the pool needs ~6 (night) to ~25 (afternoon hour) replicas,
    # a minute at the 99th percentile 48; maxReplicas 60 (the launch crowd's minutes need up to
    # 135); SLO p99 wait 60 s; backlog target = SLO x throughput = 3.
    nasajul | nasaaug) echo "1 60 3 0.05 60 {type: queue, queueModel: pool, intervalSeconds: 60, serviceRate: 0.05}" ;;
    nasa | nasa3) echo "1 80 160 16 10 {type: queue, queueModel: pool, intervalSeconds: 60, concurrency: 4, serviceTime: {distribution: lognormal, meanSeconds: 0.25, cv: 1}}" ;;
  esac
}
# The arrival-rate targets swept (u): they must cross the point where reactive alone misses the
# SLO, since a forecast only adds replicas and can win only where a leaner policy needs it.
grid_u() {
  case $1 in
    worldcup) echo "${EBB_BENCH_U:-0.9 0.95 1.0 1.025 1.05}" ;;
    nasajul | nasaaug) echo "${EBB_BENCH_U:-0.8 0.9 1.0 1.1 1.2}" ;;
    *) echo "${EBB_BENCH_U:-1.0 1.1 1.2 1.3 1.4}" ;;
  esac
}
# Lookaheads: reactive has none (0); predictive sweeps them (start-up + one tick, and that plus
# the scale-up stabilization window).
grid_l() { [ "$1" = reactive ] && echo 0 || echo "${EBB_BENCH_L:-60 120}"; }
recording() { [ "$1" = nasa ] && echo "$out/nasa-jul.csv" || echo "$out/$1.csv"; }

spec() {  # workload mode backlog-target u lookahead
  set -- "$1" "$2" "$3" "$4" "$5" $(params "$1")
  w=$1 mode=$2 backlog=$3 u=$4 lookahead=$5 min=$6 max=$7 rate=$9 slo=${10}
  shift 10
  model=$*
  target=$(awk -v u="$u" -v r="$rate" 'BEGIN { printf "%dm", u * r * 1000 + 0.5 }')
  predictive=""
  [ "$mode" = predictive ] && predictive="      predictive: {lookaheadSeconds: $lookahead}"
  cat <<YAML
apiVersion: ebb.dev/v1alpha1
kind: Autoscaler
metadata: {name: $w}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: $w}
  minReplicas: $min
  maxReplicas: $max
  pollingInterval: 15
  metrics:
    - type: External
      name: backlog
      external: {metric: {name: backlog}, target: {type: AverageValue, averageValue: "$backlog"}}
    - type: External
      name: arrivals
      external: {metric: {name: arrivals}, target: {type: AverageValue, averageValue: "$target"}}
$predictive
  behavior:
    scaleUp:
      stabilizationWindowSeconds: 60
      policies: [{type: Percent, value: 100, periodSeconds: 15}]
    scaleDown:
      stabilizationWindowSeconds: 300
      policies: [{type: Percent, value: 10, periodSeconds: 60}]
---
apiVersion: ebb.dev/v1alpha1
kind: Simulation
metadata: {name: $w}
spec:
  autoscaler: $w
  initialReplicas: 1
  startupDelaySeconds: 45
  costPerReplicaHour: 0.048
  seed: $seed
  slo: {waitSeconds: $slo, percentile: 99}
  models:
    backlog: $model
    arrivals: {type: arrivalRate, of: backlog, windowSeconds: 60}
YAML
}

# All runs first (EBB_BENCH_JOBS at once), then one table.
for w in "$@"; do
  for mode in ${EBB_BENCH_MODES:-reactive predictive}; do
    for b in ${EBB_BENCH_B:-$(params "$w" | awk '{print $3}' | tr , ' ')}; do
      for u in $(grid_u "$w"); do
        for l in $(grid_l "$mode"); do
          f="$out/predictive-$w-$mode-$b-$u-$l$tag"
          spec "$w" "$mode" "$b" "$u" "$l" > "$f.new"
          # An unchanged run is not repeated (its JSON is kept).
          if [ -s "$f.json" ] && cmp -s "$f.new" "$f.yaml"; then rm "$f.new"; continue; fi
          mv "$f.new" "$f.yaml"
          rm -f "$f.json"
          echo "$f $(recording "$w")"
        done
      done
    done
  done
done | xargs -P "${EBB_BENCH_JOBS:-2}" -L 1 sh -c '"$0" simulate -f "$1.yaml" --metrics "$2" --json > "$1.json"' "$ebb"

echo "seed $seed"
echo "| workload (SLO p99) | mode | cheapest meeting the SLO: b/u(/L), replica-hours, p99 wait, scale events/h | all runs (b/u(/L): h / p99 s) |"
echo "|---|---|---|---|"
for w in "$@"; do
  slo=$(params "$w" | awk '{print $5}')
  for mode in ${EBB_BENCH_MODES:-reactive predictive}; do
    best="" all=""
    for b in ${EBB_BENCH_B:-$(params "$w" | awk '{print $3}' | tr , ' ')}; do
      for u in $(grid_u "$w"); do
        for l in $(grid_l "$mode"); do
          f="$out/predictive-$w-$mode-$b-$u-$l$tag"
          point=$b/$u
          [ "$mode" = reactive ] || point=$b/$u/$l
          row=$(jq -r --arg u "$point" '"\($u) \(.replicaHours) \(.slo.policyWaitSeconds) \(.slo.met) \(.scaleEventsPerHour)"' "$f.json")
          h=$(echo "$row" | awk '{printf "%.0f", $2}')
          p=$(echo "$row" | awk '{printf "%.1f", $3}')
          all="$all $point: $h / $p;"
          if [ "$(echo "$row" | awk '{print $4}')" = true ]; then
            if [ -z "$best" ] || [ "$(echo "$row $best" | awk '{print ($2 < $7)}')" = 1 ]; then best=$row; fi
          fi
        done
      done
    done
    if [ -n "$best" ]; then
      cell=$(echo "$best" | awk '{printf "%s: **%.0f h**, %.1f s, %.1f ev/h", $1, $2, $3, $5}')
    else
      cell="none met the SLO"
    fi
    echo "| $w ($slo s) | $mode | $cell |$all |"
  done
done
