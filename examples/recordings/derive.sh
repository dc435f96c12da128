#!/bin/sh
# Regenerates the bundled recordings from the public traces (see README.md in this folder).
#   derive.sh AZURE_FUNCTIONS_PER_MINUTE_CSV AZURE_LLM_2023_DIR [OUT_DIR]
# e.g. derive.sh /work/shared/traces/azure_functions_2019/fn40d07b99_per_minute.csv \
#                /work/shared/traces/azure_llm_2023
# Needs only POSIX sh and awk; the output is byte-for-byte reproducible.
set -eu
if [ $# -lt 2 ]; then
  echo "usage: $0 AZURE_FUNCTIONS_PER_MINUTE_CSV AZURE_LLM_2023_DIR [OUT_DIR]" >&2
  exit 2
fi
FUNCTIONS_CSV=$1
LLM_DIR=$2
OUT=${3:-$(dirname "$0")}
export LC_ALL=C

# Celery worker queue: one Azure Function's invocations per minute (14 days), each invocation
# read as 8 tasks, as arrivals per minute on the `backlog` queue. Day 1 of the trace is placed
# on Monday 2019-07-01 00:00 UTC (the trace has no calendar date; its weekdays fit a Monday).
awk -F, -v base=1561939200 -v factor=8 '
  NR == 1 { print "timestamp,metric,value"; next }
  { printf "%d,backlog,%d\n", base + $1, $2 * factor }
' "$FUNCTIONS_CSV" > "$OUT/celery-arrivals.csv"

# Web API: the Azure LLM inference requests of both services (conv and code) as the load of the
# API tier in front of the models, on the conv trace clock (code starts 77 s later), in 10 s
# buckets. Each request costs 0.03 cpu-seconds plus 0.06 ms per token (context + generated) and
# holds 16 KiB per token while it streams for 0.3 s + 20 ms per generated token.
#   cpu    = cpu-seconds of the requests arriving in the bucket / 10 s   (cores)
#   memory = sum of tokens x 16 KiB x duration / 10 s                    (bytes in flight)
# t = 0 is 2023-11-16 18:15:46 as given in the data (no time zone; read as UTC).
awk -F, -v base=1700158546 -v bucket=10 '
  FNR == 1 { offset = (FILENAME ~ /code_requests/) ? 77 : 0; next }
  {
    t = $1 + offset; tokens = $2 + $3
    b = int(t / bucket)
    cpu[b] += 0.03 + 0.00006 * tokens
    mem[b] += tokens * 16384 * (0.3 + 0.02 * $3)
    if (b > last) last = b
  }
  END {
    print "timestamp,metric,value"
    for (b = 0; b <= last; b++) {
      printf "%d,cpu,%.4f\n", base + b * bucket, cpu[b] / bucket
      printf "%d,memory,%.0f\n", base + b * bucket, mem[b] / bucket
    }
  }
' "$LLM_DIR/conv_requests.csv" "$LLM_DIR/code_requests.csv" > "$OUT/web-api-demand.csv"
