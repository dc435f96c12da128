#!/usr/bin/env bash
# ebb run --once against a real Prometheus behind a fault proxy (tests/support/http_fault_proxy.py):
# a 503 HTML page whose 200-byte quote would end inside a multibyte character, and a 17 MiB
# answer. Each Autoscaler's line carries its own error as valid UTF-8; the healthy one is read;
# the exit code is 0 (the bug: `ebb: fatal: ... invalid UTF-8 byte`, exit 1, no lines).
ebb=$1; here=$2
source "$here/lib.sh"
repo=$(cd "$here/../.." && pwd)
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
prom_port=$(free_port)
"$repo/tests/scalers/fixtures/prometheus.sh" start "$prom_port" "$tmp/prom"
/usr/bin/python3 "$repo/tests/support/http_fault_proxy.py" "http://127.0.0.1:$prom_port" "$tmp/proxy.port" \
  'ebb_broken=html503' 'ebb_huge=huge' &
proxy_pid=$!
trap 'kill $proxy_pid 2>/dev/null || true; "$repo/tests/scalers/fixtures/prometheus.sh" stop "$tmp/prom"; rm -rf "$tmp"' EXIT
for _ in $(seq 100); do [ -s "$tmp/proxy.port" ] && break; sleep 0.05; done
proxy="http://127.0.0.1:$(cat "$tmp/proxy.port")"

autoscaler() {  # NAME QUERY
  cat <<YAML
---
apiVersion: ebb.dev/v1alpha1
kind: Autoscaler
metadata: {name: $1}
spec:
  scaleTargetRef: {kind: Deployment, name: $1}
  maxReplicas: 20
  metrics:
    - type: Prometheus
      name: rps
      prometheus: {serverAddress: "$proxy", query: "$2", target: {type: AverageValue, averageValue: "10"}}
YAML
}
{ autoscaler broken 'sum(ebb_broken) or vector(1)'; autoscaler healthy 'vector(60)';
  autoscaler huge 'sum(ebb_huge) or vector(1)'; } >"$tmp/a.yaml"

# Exit 3: two Autoscalers decided from no reading; every line still prints.
expect_rc 3 "$ebb" run --once --dry-run -f "$tmp/a.yaml" --replicas 3
[ "$(wc -l <"$tmp/out")" = 3 ] || fail "want three lines: $(cat "$tmp/out" "$tmp/err")"
check() {  # LINE_NUMBER PYTHON_EXPR: the expression over that line's JSON `j` must be True
  sed -n "$1p" "$tmp/out" >"$tmp/line"
  [ "$(json_get "$tmp/line" "$2")" = True ] || fail "line $1: $2: $(cat "$tmp/line")"
}
# Python's json.load fails on invalid UTF-8: reading the lines at all checks the encoding.
check 1 'j["name"] == "broken" and j["metrics"][0]["status"] == "Failed"'
check 1 '"HTTP 503" in j["metrics"][0]["error"] and "<title>503 Service Unavailable" in j["metrics"][0]["error"]'
check 1 '"\ufffd" not in j["metrics"][0]["error"] and j["desiredReplicas"] == 3'
check 2 'j["name"] == "healthy" and j["metrics"][0]["reading"] == 60 and j["desiredReplicas"] == 6'
check 3 'j["name"] == "huge" and "larger than 16777216 bytes" in j["metrics"][0]["error"]'
check 3 'j["desiredReplicas"] == 3'
python3 -c 'import sys; open(sys.argv[1], encoding="utf-8", errors="strict").read()' "$tmp/out" ||
  fail "output is not UTF-8"
echo "cli run --once faults: ok"
