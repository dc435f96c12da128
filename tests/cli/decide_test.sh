#!/usr/bin/env bash
# ebb decide: a decision as JSON, and exit code 2 with the field named on bad input.
ebb=$1; here=$2
source "$here/lib.sh"
cat >"$tmp/case.json" <<'JSON'
{"autoscaler": {"metadata": {"name": "worker"}, "spec": {
   "scaleTargetRef": {"kind": "Deployment", "name": "worker"}, "minReplicas": 1, "maxReplicas": 20,
   "metrics": [{"type": "Redis", "name": "backlog", "redis": {"address": "redis:6379", "lists": ["q"],
                "target": {"type": "AverageValue", "averageValue": "5"}}}],
   "behavior": {}}},
 "currentReplicas": 2, "now": "2026-11-23T10:00:00Z", "readings": {"backlog": {"value": 42}}}
JSON
expect_rc 0 "$ebb" decide --input "$tmp/case.json"
[ "$(json_get "$tmp/out" 'j["desiredReplicas"]')" = 6 ] || fail "desiredReplicas"
[ "$(json_get "$tmp/out" 'j["reason"]')" = ScaleUpLimit ] || fail "reason"
# stdin, and the output state chains into the next decision
expect_rc 0 "$ebb" decide --input - <"$tmp/case.json"
/usr/bin/python3 - "$tmp/case.json" "$tmp/out" >"$tmp/next.json" <<'PY'
import json, sys
case, out = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
case.update(state=out["state"], currentReplicas=6, now="2026-11-23T10:00:15Z")
case["readings"]["backlog"]["value"] = 0
print(json.dumps(case))
PY
expect_rc 0 "$ebb" decide --input "$tmp/next.json"
[ "$(json_get "$tmp/out" 'j["desiredReplicas"]')" = 6 ] || fail "scale-down within the default 300 s window"
# bad input: exit 2, the field named
echo '{"autoscaler": {"spec": {"scaleTargetRef": {"kind": "Deployment", "name": "w"}, "maxReplicas": 3}}, "currentReplicas": 1}' >"$tmp/bad.json"
expect_rc 2 "$ebb" decide --input "$tmp/bad.json"
grep -q "now: required" "$tmp/err" || fail "missing now not reported: $(cat "$tmp/err")"
expect_rc 2 "$ebb" decide --input "$tmp/missing.json"
expect_rc 2 "$ebb" decide
echo "cli decide: ok"
