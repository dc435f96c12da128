#!/bin/sh
# Derives the issue-11 benchmark workloads from the shared traces, byte for byte reproducibly
# (POSIX sh and awk only): a recording (timestamp,backlog,tasks) per workload and, where the
# trace carries per-request data, the service times the pool model resamples.
#
#   bench/sim/workloads/derive.sh /work/shared/traces OUT_DIR
#
# Then, per workload W (celery, nasa, llm, alibaba), from the repository root:
#   ebb tune -f bench/sim/workloads/W.yaml --metrics OUT_DIR/W.csv
# The YAML files read their service times from OUT_DIR through the relative path
# "workloads-data/...", so run from a directory where OUT_DIR is ./workloads-data, or
# pass OUT_DIR=workloads-data (the default).
set -eu
traces=${1:?usage: derive.sh TRACES_DIR [OUT_DIR]}
out=${2:-workloads-data}
mkdir -p "$out"
here=$(cd "$(dirname "$0")" && pwd)

# celery: the bundled 14-day recording (examples/recordings/derive.sh makes it from the
# Azure Functions 2019 trace).
cp "$here/../../../examples/recordings/celery-arrivals.csv" "$out/celery.csv"

# nasa: NASA-KSC HTTP 1995, per second, 1995-07-12 00:00 EDT (04:00 UTC) for 3 days, x100.
awk -F, 'NR > 1 { printf "%d,backlog,%d\n", 805521600 + $1, $2 * 100 }' \
  "$traces/nasa_http_1995/nasa_jul12-14_per_second.csv" > "$out/nasa.csv"

# llm: Azure LLM 2023 conversation service, per second, one hour (t = 0 placed at
# 2023-11-16T18:15:46Z); service time = 0.1 ms per context token + 50 ms per generated token.
awk -F, 'NR > 1 { printf "%d,backlog,%d\n", 1700158546 + $1, $2 }' \
  "$traces/azure_llm_2023/conv_per_second.csv" > "$out/llm.csv"
awk -F, 'NR > 1 { printf "%.4f\n", 0.0001 * $2 + 0.05 * $3 }' \
  "$traces/azure_llm_2023/conv_requests.csv" > "$out/llm-durations.csv"

# alibaba: Alibaba GenAI 2026 (Stable Diffusion + LoRA), per minute, 23 days, x2 (t = 0 placed
# at 2024-11-15T16:57:00Z); service times are the measured exec_time_seconds of SUCCEED jobs.
awk -F, 'NR > 1 { printf "%d,backlog,%d\n", 1731689820 + $1, $2 * 2 }' \
  "$traces/alibaba_genai_2026/lora_per_minute.csv" > "$out/alibaba.csv"
awk -F, 'NR > 1 && $3 == "SUCCEED" && $2 > 0 { printf "%s\n", $2 }' \
  "$traces/alibaba_genai_2026/lora_requests.csv" > "$out/alibaba-durations.csv"

for f in "$out"/*.csv; do
  printf '%s %s\n' "$(wc -l < "$f" | tr -d ' ')" "$f"
done
