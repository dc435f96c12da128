#!/usr/bin/env bash
# ebb validate + ebb run --once --dry-run with every Redis TLS / Sentinel and Prometheus auth/TLS
# option against real servers (the scalers fixtures): rediss:// with a CA and a client
# certificate, serverName, insecureSkipVerify, a Sentinel-discovered master, Prometheus behind
# its own web.config (TLS + client certificate + basic auth) and behind a bearer-token/tenant
# gateway. Every metric must read its value; secrets never appear in the output.
ebb=$1; here=$2
source "$here/lib.sh"
fx=$(cd "$here/../scalers/fixtures" && pwd)
cleanup() {
  "$fx/redis_tls.sh" stop "$tmp/tls" >/dev/null 2>&1 || true
  "$fx/redis_sentinel.sh" stop "$tmp/sentinel" >/dev/null 2>&1 || true
  "$fx/prometheus_auth.sh" stop "$tmp/pauth" >/dev/null 2>&1 || true
  "$fx/prometheus.sh" stop "$tmp/prom" >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
export NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost
"$fx/redis_tls.sh" start "$tmp/tls" >/dev/null
"$fx/redis_sentinel.sh" start "$tmp/sentinel" >/dev/null
prom_port=$(free_port)
"$fx/prometheus.sh" start "$prom_port" "$tmp/prom" >/dev/null
"$fx/prometheus_auth.sh" start "$tmp/pauth" "$prom_port" >/dev/null
set -a; source "$tmp/tls/env"; source "$tmp/sentinel/env"; source "$tmp/pauth/env"; set +a
t=$tmp/tls
tcli() { redis-cli --tls --cacert "$t/ca.crt" --cert "$t/client.crt" --key "$t/client.key" -h 127.0.0.1 -p "$1" "${@:2}" >/dev/null; }
tcli "$MTLS_PORT" rpush jobs a b c d e f
tcli "$TLS_PORT" rpush jobs a b
redis-cli -p "$MASTER_PORT" rpush jobs a b c >/dev/null
export EBB_TEST_PROM_PW=prom-secret EBB_TEST_TOKEN=tenant-token-1
cat >"$tmp/a.yaml" <<YAML
apiVersion: ebb.dev/v1alpha1
kind: Autoscaler
metadata: {name: worker}
spec:
  scaleTargetRef: {kind: Deployment, name: worker}
  maxReplicas: 20
  metrics:
    - type: Redis
      name: mtls
      redis:
        address: "rediss://127.0.0.1:$MTLS_PORT"
        tls: {caFile: "$t/ca.crt", certFile: "$t/client.crt", keyFile: "$t/client.key", serverName: localhost}
        lists: [jobs]
        target: {type: AverageValue, averageValue: "5"}
    - type: Redis
      name: skip-verify
      redis:
        address: "127.0.0.1:$TLS_PORT"
        tls: {insecureSkipVerify: true}
        lists: [jobs]
        target: {type: AverageValue, averageValue: "5"}
    - type: Redis
      name: sentinel
      redis:
        sentinel: {masterName: mymaster, addresses: ["127.0.0.1:$SENTINEL_PORT"]}
        lists: [jobs]
        target: {type: AverageValue, averageValue: "5"}
    - type: Prometheus
      name: web-config
      prometheus:
        serverAddress: "https://127.0.0.1:$PROM_AUTH_PORT"
        query: vector(11)
        auth: {username: ebb, passwordFromEnv: EBB_TEST_PROM_PW}
        tls: {caFile: "$tmp/pauth/ca.crt", certFile: "$tmp/pauth/client.crt", keyFile: "$tmp/pauth/client.key"}
        target: {type: Value, value: "10"}
    - type: Prometheus
      name: gateway
      prometheus:
        serverAddress: "http://127.0.0.1:$PROXY_PORT"
        query: vector(7)
        namespace: tenant-a
        customHeaders: {X-Request-Source: ebb}
        auth: {bearerTokenFromEnv: EBB_TEST_TOKEN}
        target: {type: Value, value: "10"}
YAML
expect_rc 0 "$ebb" validate -f "$tmp/a.yaml"
expect_rc 0 "$ebb" run --once --dry-run -f "$tmp/a.yaml" --replicas 2
for want in "0 6.0" "1 2.0" "2 3.0" "3 11.0" "4 7.0"; do
  set -- $want
  got=$(json_get "$tmp/out" "j['metrics'][$1]['reading']")
  [ "$got" = "$2" ] || fail "metric $1 read $got, want $2: $(cat "$tmp/out" "$tmp/err")"
done
! grep -q -e prom-secret -e tenant-token "$tmp/out" "$tmp/err" || fail "a secret in the output"
# Without the client certificate the mTLS metric fails, naming the field; the others still read.
sed -i "s|, certFile: \"$t/client.crt\", keyFile: \"$t/client.key\"||" "$tmp/a.yaml"
expect_rc 0 "$ebb" run --once --dry-run -f "$tmp/a.yaml" --replicas 2
[ "$(json_get "$tmp/out" "j['metrics'][0]['status']")" = Failed ] || fail "mtls without cert: $(cat "$tmp/out")"
grep -q "spec.metrics\[0\].redis.tls.certFile" "$tmp/out" "$tmp/err" || fail "field not named: $(cat "$tmp/out" "$tmp/err")"
# A tls: block with a redis:// address is refused by validate with the field path.
sed -i "s|address: \"127.0.0.1:$TLS_PORT\"|address: \"redis://127.0.0.1:$TLS_PORT\"|" "$tmp/a.yaml"
expect_rc 2 "$ebb" validate -f "$tmp/a.yaml"
grep -q "spec.metrics\[1\].redis.tls" "$tmp/out" "$tmp/err" || fail "tls with redis:// not reported: $(cat "$tmp/out" "$tmp/err")"
echo "cli run --once (TLS, Sentinel, Prometheus auth): ok"
