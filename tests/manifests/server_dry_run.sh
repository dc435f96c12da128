#!/usr/bin/env bash
# Applies every rendered kustomization under manifests/ to the real kube-apiserver of the
# controller's tests (fixture kube_cluster): the CRD for real (so Autoscalers can be judged by
# it), everything else with `kubectl apply --dry-run=server`, so admission, the CRD's schema and
# RBAC's own validation see the objects as a cluster would. A policy/v1 PodDisruptionBudget is
# judged as policy/v1beta1 (1.20 serves only that; the fields are the same); kinds the server does
# not serve at all (monitoring.coreos.com ServiceMonitor) are listed as not checked here:
# validate.sh checks them offline. Then the shipped ClusterRole is bound for real to a
# service account and `kubectl auth can-i` proves it allows what ebb does and nothing more.
# usage: server_dry_run.sh   (env EBB_KUBE_CLUSTER_DIR: the running test cluster)
set -euo pipefail
# set -e ends the script without a word: say which command did it.
trap 'echo "FAIL: server_dry_run.sh:$LINENO: \"$BASH_COMMAND\" exited $?" >&2' ERR
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cdir=${EBB_KUBE_CLUSTER_DIR:?set by the kube_cluster fixture}
export KUBECONFIG=$cdir/admin.kubeconfig
source "$here/need-kubectl.sh"
k() { kubectl --request-timeout=30s "$@"; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$here/npm-tools.sh" "$tmp/js"

fails=0
fail() { echo "FAIL $*"; fails=$((fails + 1)); }

k apply -f "$root/manifests/base/crd.yaml" >/dev/null
k wait --for=condition=Established --timeout=30s crd/autoscalers.ebb.dev >/dev/null
for _ in $(seq 1 50); do k get --raw /apis/ebb.dev/v1alpha1 >/dev/null 2>&1 && break; sleep 0.2; done

# What this server serves, as "group/version kind" lines.
k get --raw /version >/dev/null  # fail early and loudly if the server is not up
# (Other tests add CRDs meanwhile, so a group may be listed before it is served: tolerate that.)
served=$(k get --raw /apis | jq -r '.groups[].versions[].groupVersion' | while read -r gv; do
  k get --raw "/apis/$gv" 2>/dev/null | jq -r --arg gv "$gv" '.resources[] | select(.name | contains("/") | not) | "\($gv) \(.kind)"'
done; k get --raw /api/v1 | jq -r '.resources[] | select(.name | contains("/") | not) | "v1 \(.kind)"')
is_served() { grep -qxF "$1 $2" <<<"$served"; }


# kubectl's discovery fails while another test's new CRD group is not yet served: retry that,
# and only that, a few times.
dry_run() {
  for _ in 1 2 3 4 5; do
    k apply --dry-run=server -f "$1" >"$tmp/out" 2>&1 && return 0
    grep -q 'unable to retrieve the complete list of server APIs' "$tmp/out" || return 1
    sleep 1
  done
  return 1
}

checked=0
mapfile -t dirs < <(cd "$root" && find manifests -name kustomization.yaml -printf '%h\n' | sort)
for d in "${dirs[@]}"; do
  grep -q '^kind: Component' "$root/$d/kustomization.yaml" && continue
  rendered="$tmp/$(echo "$d" | tr / _).yaml"
  kubectl kustomize "$root/$d" >"$rendered"
  mkdir -p "$tmp/docs/$d"
  list="$tmp/docs/$d.list"
  node "$tmp/js/split-docs.mjs" "$tmp/docs/$d" "$rendered" >"$list"
  # Namespaces are created for real: a dry-run Namespace does not make its objects admissible.
  while read -r f api kind ns name; do
    [ "$kind" = Namespace ] && k create namespace "$name" --dry-run=client -o json | k apply -f - >/dev/null
    [ "$ns" != - ] && { k get namespace "$ns" >/dev/null 2>&1 || k create namespace "$ns" >/dev/null; }
  done <"$list"
  skipped=()
  while read -r f api kind ns name; do
    if [ "$api $kind" = "policy/v1 PodDisruptionBudget" ] && ! is_served "$api" "$kind" &&
      is_served policy/v1beta1 PodDisruptionBudget; then
      # Same fields in v1beta1 (served by 1.20): judged as that, which beats not at all.
      jq '.apiVersion = "policy/v1beta1"' "$f" >"$f.v1beta1" && mv "$f.v1beta1" "$f"
      api=policy/v1beta1
    fi
    if ! is_served "$api" "$kind"; then
      skipped+=("$api/$kind")
      continue
    fi
    if dry_run "$f"; then
      checked=$((checked + 1))
    else
      fail "$d: $kind $ns/$name: $(cat "$tmp/out")"
    fi
  done <"$list"
  echo "== $d: $(wc -l <"$list") objects${skipped[*]:+; not served by this 1.20 server (checked offline): ${skipped[*]}}"
  # This server has no Prometheus Operator CRDs, like many clusters: every variant but the one
  # named for the Operator must apply here in full (`kubectl apply -k` fails on an unknown kind).
  if [ "${#skipped[@]}" -gt 0 ] && [[ "$d" != *prometheus-operator* ]]; then
    fail "$d: kinds this cluster does not serve (kubectl apply -k would fail): ${skipped[*]}"
  fi
done
[ -d "$root/manifests/overlays/prd-prometheus-operator" ] ||
  fail "no overlay with the Prometheus Operator component"

# `kubectl get eas` shows what KEDA users read by default: READY ACTIVE FALLBACK PAUSED beside
# the HPA's columns, filled from the status the controller writes.
k create namespace ebb-columns --dry-run=client -o json | k apply -f - >/dev/null
k -n ebb-columns apply -f - >/dev/null <<'EOF_EAS'
apiVersion: ebb.dev/v1alpha1
kind: Autoscaler
metadata: {name: cols}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: cols}
  minReplicas: 1
  maxReplicas: 5
  metrics:
    - type: Prometheus
      name: rps
      prometheus:
        serverAddress: http://prometheus:9090
        query: vector(1)
        target: {type: AverageValue, averageValue: "10"}
EOF_EAS
now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
cond() { printf '{"type":"%s","status":"%s","reason":"R","message":"m","lastTransitionTime":"%s"}' "$1" "$2" "$now"; }
status=$(printf '{"status":{"reference":"Deployment/cols","targets":"rps: 3/10 (avg)","currentReplicas":2,"desiredReplicas":3,"conditions":[%s,%s,%s,%s]}}' \
  "$(cond Ready True)" "$(cond Active False)" "$(cond Fallback False)" "$(cond Paused True)")
k -n ebb-columns patch autoscalers.ebb.dev cols --subresource=status --type=merge -p "$status" >/dev/null
table=$(k -n ebb-columns get eas cols)
echo "$table"
header=$(head -1 <<<"$table" | tr -s ' ')
[ "$header" = "NAME REFERENCE TARGETS MINPODS MAXPODS REPLICAS DESIRED READY ACTIVE FALLBACK PAUSED AGE" ] ||
  fail "kubectl get eas: default columns are: $header"
row=$(tail -1 <<<"$table" | tr -s ' ' | cut -d' ' -f1-13)
[ "$row" = "cols Deployment/cols rps: 3/10 (avg) 1 5 2 3 True False False True" ] ||
  fail "kubectl get eas: the row reads: $row"
# (Read whole, then cut: `kubectl | head -1` can end kubectl with SIGPIPE, and pipefail with it.)
wide=$(k -n ebb-columns get eas cols -o wide)
wide=$(head -1 <<<"$wide" | tr -s ' ')
[[ "$wide" == *" REASON AGE" ]] || fail "kubectl get eas -o wide: $wide"
k delete namespace ebb-columns --wait=false >/dev/null

# A broken object must be refused, or this test proves nothing.
bad=$(mktemp -p "$tmp" XXXX.json)
jq '.spec.maxReplicas = 0' "$(grep -l '"kind":"Autoscaler"' "$tmp"/docs/manifests/examples/*.json | head -1)" >"$bad"
if dry_run "$bad"; then
  fail "the server accepted an Autoscaler with maxReplicas 0"
elif ! grep -q 'spec.maxReplicas' "$tmp/out"; then
  fail "an Autoscaler with maxReplicas 0 was refused for another reason: $(cat "$tmp/out")"
fi

# The shipped ClusterRole, bound for real to a fresh service account, allows what ebb does and
# nothing beyond it. (The controller's tests run as a service account bound to this same role.)
sa=ebb-rbac-check
k create namespace ebb-rbac-check --dry-run=client -o json | k apply -f - >/dev/null
k -n ebb-rbac-check create serviceaccount "$sa" --dry-run=client -o json | k apply -f - >/dev/null
# (manifests/base as rendered and split above)
role=$(awk '$3 == "ClusterRole" {print $1}' "$tmp/docs/manifests/base.list")
lrole=$(awk '$3 == "Role" {print $1}' "$tmp/docs/manifests/base.list")
jq '.metadata.name = "ebb-rbac-check"' "$role" | k apply -f - >/dev/null
jq '.metadata.name = "ebb-rbac-check" | .metadata.namespace = "ebb-rbac-check"' "$lrole" | k apply -f - >/dev/null
k create clusterrolebinding ebb-rbac-check --clusterrole=ebb-rbac-check \
  --serviceaccount="ebb-rbac-check:$sa" --dry-run=client -o json | k apply -f - >/dev/null
k -n ebb-rbac-check create rolebinding ebb-rbac-check --role=ebb-rbac-check \
  --serviceaccount="ebb-rbac-check:$sa" --dry-run=client -o json | k apply -f - >/dev/null
lease=$(jq -r '.rules[] | select(.resourceNames) | .resourceNames[0]' "$lrole")
as=(--as="system:serviceaccount:ebb-rbac-check:$sa")
# The authorizer learns of new bindings from its informers, a moment after the writes above (on a
# loaded CI machine, seconds): wait until both bindings are seen before judging any verb.
for _ in $(seq 1 150); do
  [ "$(k auth can-i "${as[@]}" list autoscalers.ebb.dev 2>/dev/null)" = yes ] &&
    [ "$(k auth can-i "${as[@]}" get "leases.coordination.k8s.io/$lease" -n ebb-rbac-check 2>/dev/null)" = yes ] &&
    break
  sleep 0.2
done
can() { # expect(yes|no) verb resource [namespace [subresource]]
  local got
  # can-i exits 1 for "no"; a misspelt resource is also a "no", with a warning: fail on that.
  got=$(k auth can-i "${as[@]}" "$2" "$3" ${4:+-n "$4"} ${5:+--subresource="$5"} 2>"$tmp/can-i.err" || true)
  if grep -qi "resource type" "$tmp/can-i.err"; then
    fail "RBAC: can-i $2 $3: $(cat "$tmp/can-i.err")"
  elif [ "$got" != "$1" ]; then
    fail "RBAC: can-i $2 $3 ${4:+-n $4} ${5:+($5)}: expected $1, got ${got:-error}"
  fi
}
for v in get list watch; do can yes "$v" autoscalers.ebb.dev default; done
can yes patch autoscalers.ebb.dev default status
can yes update autoscalers.ebb.dev default status
for r in deployments.apps statefulsets.apps; do can yes get "$r" team-a scale; can yes patch "$r" team-a scale; done
for r in deployments.apps statefulsets.apps replicasets.apps; do can yes list "$r" team-a; can yes watch "$r" team-a; done
can yes get customresourcedefinitions.apiextensions.k8s.io
can yes list pods team-a
can yes watch pods team-a
can yes list pods.metrics.k8s.io team-a
can yes create events team-a
can yes patch events team-a
can yes list horizontalpodautoscalers.autoscaling team-a
can yes create leases.coordination.k8s.io ebb-rbac-check
can yes get "leases.coordination.k8s.io/$lease" ebb-rbac-check
can yes update "leases.coordination.k8s.io/$lease" ebb-rbac-check
# ... and nothing else: no writes to workloads or Autoscalers, no secrets, no deletes, no other
# Leases (another controller's), no Leases outside its own namespace.
can no patch deployments.apps team-a
can no get deployments.apps team-a  # the watch cache lists; single objects come from /scale
can no update statefulsets.apps team-a
can no list customresourcedefinitions.apiextensions.k8s.io
can no patch customresourcedefinitions.apiextensions.k8s.io
can no update autoscalers.ebb.dev default
can no delete autoscalers.ebb.dev default
can no create autoscalers.ebb.dev default
can no get secrets team-a
can no list secrets team-a
can no list configmaps team-a
can no delete pods team-a
can no delete events team-a
can no update leases.coordination.k8s.io/kube-controller-manager ebb-rbac-check
can no create leases.coordination.k8s.io team-a
can no delete "leases.coordination.k8s.io/$lease" ebb-rbac-check
can no create clusterroles.rbac.authorization.k8s.io
can no create events.events.k8s.io team-a  # ebb writes core/v1 Events only
k delete clusterrolebinding ebb-rbac-check --ignore-not-found >/dev/null
k delete clusterrole ebb-rbac-check --ignore-not-found >/dev/null

# The optional secrets-reader components (overlays/prd-secrets, overlays/namespaced-secrets), bound
# for real to fresh service accounts: `get` on Secrets -- cluster-wide, or in `apps` only -- and
# no list, watch or write (a TTL cache of named Secrets needs nothing more).
bind_secrets_check() { # overlay-list kind sa
  local f
  f=$(awk -v k="$2" '$3 == k && $5 == "ebb-secrets-reader" {print $1}' "$1")
  [ -n "$f" ] || { fail "no $2 ebb-secrets-reader in $1"; return; }
  k -n ebb-rbac-check create serviceaccount "$3" --dry-run=client -o json | k apply -f - >/dev/null
  if [ "$2" = ClusterRole ]; then
    jq --arg n "$3" '.metadata.name = $n' "$f" | k apply -f - >/dev/null
    k create clusterrolebinding "$3" --clusterrole="$3" --serviceaccount="ebb-rbac-check:$3" \
      --dry-run=client -o json | k apply -f - >/dev/null
  else
    k create namespace apps --dry-run=client -o json | k apply -f - >/dev/null
    jq --arg n "$3" '.metadata.name = $n' "$f" | k apply -f - >/dev/null
    k -n apps create rolebinding "$3" --role="$3" --serviceaccount="ebb-rbac-check:$3" \
      --dry-run=client -o json | k apply -f - >/dev/null
  fi
  as=(--as="system:serviceaccount:ebb-rbac-check:$3")
  for _ in $(seq 1 150); do
    [ "$(k auth can-i "${as[@]}" get secrets -n apps 2>/dev/null)" = yes ] && break
    sleep 0.2
  done
}
bind_secrets_check "$tmp/docs/manifests/overlays/prd-secrets.list" ClusterRole ebb-secrets-check
can yes get secrets team-a
can yes get secrets apps
can no list secrets team-a
can no watch secrets team-a
can no update secrets team-a
can no create secrets team-a
can no delete secrets team-a
can no get configmaps team-a
bind_secrets_check "$tmp/docs/manifests/overlays/namespaced-secrets.list" Role ebb-secrets-ns-check
can yes get secrets apps
can no get secrets team-a
can no list secrets apps
can no watch secrets apps
can no update secrets apps
k delete clusterrolebinding ebb-secrets-check --ignore-not-found >/dev/null
k delete clusterrole ebb-secrets-check --ignore-not-found >/dev/null
k -n apps delete rolebinding ebb-secrets-ns-check --ignore-not-found >/dev/null
k -n apps delete role ebb-secrets-ns-check --ignore-not-found >/dev/null

echo "server dry-run: $checked objects accepted by the API server, $fails failures"
[ "$checked" -ge 10 ] || fail "expected at least 10 objects checked against the server, got $checked"
[ "$fails" -eq 0 ]
