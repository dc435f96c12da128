#!/usr/bin/env bash
# ebb validate + ebb run --once --dry-run with Redis Cluster metrics against a real 3-master
# cluster (fixtures/redis_cluster.sh, with a password): lists on different masters, a Celery
# queue and a stream, each read through the cluster's slot map; the password never printed.
ebb=$1; here=$2
source "$here/../cli/lib.sh"
fx=$here/fixtures
cleanup() { "$fx/redis_cluster.sh" stop "$tmp/cluster" >/dev/null 2>&1 || true; rm -rf "$tmp"; }
trap cleanup EXIT
"$fx/redis_cluster.sh" start "$tmp/cluster" cluster-run-secret >/dev/null
source "$tmp/cluster/env"
cli() { REDISCLI_AUTH=cluster-run-secret redis-cli -c -p "$NODE1_PORT" "$@" >/dev/null; }
cli rpush jobs-a 1 2 3
cli rpush jobs-b 1 2
cli rpush jobs-c 1 2 3 4 5
cli rpush celery t1 t2
cli sadd _kombu.binding.celery "celery$(printf '\x06\x16\x06\x16')celery"
cli xadd events '*' f 1
# KEYS answers for the node asked only: count the masters holding some jobs-* list.
masters=0
for p in "$NODE1_PORT" "$NODE2_PORT" "$NODE3_PORT"; do
  [ -n "$(REDISCLI_AUTH=cluster-run-secret redis-cli -p "$p" keys 'jobs-*')" ] && masters=$((masters + 1))
done
[ "$masters" -ge 2 ] || fail "the lists are not on different masters ($masters)"
export EBB_TEST_CLUSTER_PW=cluster-run-secret
cat >"$tmp/a.yaml" <<YAML
apiVersion: ebb.dev/v1alpha1
kind: Autoscaler
metadata: {name: worker}
spec:
  scaleTargetRef: {kind: Deployment, name: worker}
  maxReplicas: 20
  metrics:
    - type: Redis
      name: lists
      redis:
        cluster: {addresses: ["127.0.0.1:1", "127.0.0.1:$NODE2_PORT"]}
        passwordFromEnv: EBB_TEST_CLUSTER_PW
        lists: [jobs-a, jobs-b, jobs-c]
        target: {type: AverageValue, averageValue: "5"}
    - type: Redis
      name: celery
      redis:
        cluster: {addresses: ["127.0.0.1:$NODE1_PORT"]}
        passwordFromEnv: EBB_TEST_CLUSTER_PW
        celery: {queues: [celery]}
        target: {type: AverageValue, averageValue: "5"}
    - type: Redis
      name: events
      redis:
        cluster: {addresses: ["127.0.0.1:$NODE3_PORT"]}
        passwordFromEnv: EBB_TEST_CLUSTER_PW
        stream: events
        target: {type: Value, value: "10"}
YAML
expect_rc 0 "$ebb" validate -f "$tmp/a.yaml"
expect_rc 0 "$ebb" run --once --dry-run -f "$tmp/a.yaml" --replicas 2
for want in "0 10.0" "1 2.0" "2 1.0"; do
  set -- $want
  got=$(json_get "$tmp/out" "j['metrics'][$1]['reading']")
  [ "$got" = "$2" ] || fail "metric $1 read $got, want $2: $(cat "$tmp/out" "$tmp/err")"
done
! grep -q cluster-run-secret "$tmp/out" "$tmp/err" || fail "the password in the output"
# A cluster has only db 0: validate names the field.
sed -i "s|stream: events|stream: events\n        db: 1|" "$tmp/a.yaml"
expect_rc 2 "$ebb" validate -f "$tmp/a.yaml"
grep -q "spec.metrics\[2\].redis.db: a Redis Cluster has only db 0" "$tmp/out" "$tmp/err" ||
  fail "db with cluster not reported: $(cat "$tmp/out" "$tmp/err")"
echo "run --once (Redis Cluster): ok"
