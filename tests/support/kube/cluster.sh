#!/usr/bin/env bash
# usage: cluster.sh start DIR | cluster.sh stop DIR
# A real Kubernetes control plane on loopback for the tests: etcd + kube-apiserver (token auth,
# RBAC) + kube-controller-manager (deployments/replicasets follow their scale; no scheduler or
# kubelet, so pods stay Pending). Writes into DIR:
#   admin.kubeconfig  system:masters
#   sa.kubeconfig     service account ebb-system/ebb, bound ONLY to the shipped ClusterRole
#                     (manifests/base/rbac-cluster.yaml) and two test-only grants (below)
#   env               KUBE_SERVER=..., ports, for scripts
# Binaries come from build-apiserver.sh (built once per machine). Stop kills by PID.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
cmd=${1:?start|stop}; dir=${2:?DIR}

stop_pid() {  # waits for "gone or zombie" (PID 1 reaps late here)
  local f=$1 pid
  [[ -f $f ]] || return 0
  pid=$(cat "$f"); rm -f "$f"
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 200); do
    st=$(ps -o stat= -p "$pid" 2>/dev/null) || return 0
    [[ $st == Z* ]] && return 0
    sleep 0.05
  done
  kill -9 "$pid" 2>/dev/null || true
}

if [[ $cmd == stop ]]; then
  stop_pid "$dir/custom-metrics.pid"; stop_pid "$dir/metrics-server.pid"; stop_pid "$dir/kcm.pid"; stop_pid "$dir/apiserver.pid"; stop_pid "$dir/etcd.pid"
  rm -rf "$dir/etcd"
  exit 0
fi

bindir=$("$here/build-apiserver.sh" | tail -1)/bin
[[ -x $bindir/kube-apiserver ]] || { echo "no kube-apiserver in $bindir" >&2; exit 1; }
command -v etcd >/dev/null || { echo "etcd not installed (apt-get install etcd-server)" >&2; exit 1; }

"$0" stop "$dir" || true
mkdir -p "$dir/pki"
read -r etcd_port etcd_peer api_port kcm_port ms_port cm_port < <(python3 -c '
import socket
ss=[socket.socket() for _ in range(6)]
[s.bind(("127.0.0.1",0)) for s in ss]
print(*[s.getsockname()[1] for s in ss])')

P=$dir/pki
if [[ ! -f $P/apiserver.crt ]]; then
  ( cd "$P"
    openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 30 -subj /CN=ebb-test-ca 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -keyout apiserver.key -out apiserver.csr -subj /CN=kube-apiserver 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost,IP:10.96.0.1\nextendedKeyUsage=serverAuth\n' > ext.cnf
    openssl x509 -req -in apiserver.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out apiserver.crt -days 30 -extfile ext.cnf 2>/dev/null
    openssl genrsa -out sa.key 2048 2>/dev/null && openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
    # A client certificate for the admin too, so the kubeconfig client-cert path is exercised.
    openssl req -newkey rsa:2048 -nodes -keyout admin.key -out admin.csr -subj "/O=system:masters/CN=cert-admin" 2>/dev/null
    printf 'extendedKeyUsage=clientAuth\n' > client.cnf
    openssl x509 -req -in admin.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out admin.crt -days 30 -extfile client.cnf 2>/dev/null
    echo "$(openssl rand -hex 16),admin,admin,system:masters" > tokens.csv )
fi
admin_token=$(cut -d, -f1 "$P/tokens.csv")

etcd --name t --data-dir "$dir/etcd" \
  --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
  --listen-peer-urls "http://127.0.0.1:$etcd_peer" --initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer" \
  --initial-cluster "t=http://127.0.0.1:$etcd_peer" --initial-cluster-state new \
  --quota-backend-bytes=1073741824 </dev/null >"$dir/etcd.log" 2>&1 &
echo $! > "$dir/etcd.pid"

"$bindir/kube-apiserver" --etcd-servers="http://127.0.0.1:$etcd_port" \
  --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$api_port" \
  --endpoint-reconciler-type=none \
  --tls-cert-file="$P/apiserver.crt" --tls-private-key-file="$P/apiserver.key" --client-ca-file="$P/ca.crt" \
  --token-auth-file="$P/tokens.csv" --authorization-mode=RBAC \
  --service-account-issuer=https://kubernetes.default.svc \
  --service-account-key-file="$P/sa.pub" --service-account-signing-key-file="$P/sa.key" \
  --service-cluster-ip-range=10.96.0.0/12 \
  --requestheader-client-ca-file="$P/ca.crt" --requestheader-allowed-names=front-proxy-client \
  --requestheader-username-headers=X-Remote-User --requestheader-group-headers=X-Remote-Group \
  --requestheader-extra-headers-prefix=X-Remote-Extra- \
  --proxy-client-cert-file="$P/apiserver.crt" --proxy-client-key-file="$P/apiserver.key" \
  --enable-aggregator-routing=true \
  </dev/null >"$dir/apiserver.log" 2>&1 &
echo $! > "$dir/apiserver.pid"

server="https://127.0.0.1:$api_port"
ok=""
for _ in $(seq 1 300); do
  if [[ $(curl -s --cacert "$P/ca.crt" -H "Authorization: Bearer $admin_token" -o /dev/null -w '%{http_code}' "$server/readyz") == 200 ]]; then ok=1; break; fi
  kill -0 "$(cat "$dir/apiserver.pid")" 2>/dev/null || break
  sleep 0.2
done
[[ -n $ok ]] || { echo "kube-apiserver did not become ready" >&2; tail -30 "$dir/apiserver.log" >&2; "$0" stop "$dir"; exit 1; }

kubeconfig() {  # file user-block
  cat > "$1" <<KC
apiVersion: v1
kind: Config
clusters:
- name: test
  cluster:
    server: $server
    certificate-authority: $P/ca.crt
contexts:
- name: test
  context: {cluster: test, user: u, namespace: default}
current-context: test
users:
- name: u
  user:
$2
KC
}
kubeconfig "$dir/admin.kubeconfig" "    token: $admin_token"
kubeconfig "$dir/cert-admin.kubeconfig" "    client-certificate: $P/admin.crt
    client-key: $P/admin.key"

"$bindir/kube-controller-manager" --kubeconfig="$dir/admin.kubeconfig" \
  --authentication-kubeconfig="$dir/admin.kubeconfig" --authorization-kubeconfig="$dir/admin.kubeconfig" \
  --bind-address=127.0.0.1 --secure-port="$kcm_port" --port=0 --leader-elect=false \
  --controllers=deployment,replicaset,namespace,garbagecollector,serviceaccount,serviceaccount-token \
  --service-account-private-key-file="$P/sa.key" --root-ca-file="$P/ca.crt" \
  </dev/null >"$dir/kcm.log" 2>&1 &
echo $! > "$dir/kcm.pid"

api() {  # method path [json]
  curl -sS --fail-with-body --cacert "$P/ca.crt" -H "Authorization: Bearer $admin_token" \
    -H 'Content-Type: application/json' -X "$1" "$server$2" ${3:+--data-binary "$3"}
}
api POST /api/v1/namespaces '{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"ebb-system"}}' >/dev/null
api POST /api/v1/namespaces/ebb-system/serviceaccounts '{"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":"ebb"}}' >/dev/null
# The code under test runs with the ClusterRole users install (manifests/base/rbac-cluster.yaml),
# plus two test-only grants: the scale of the WorkerPool test kind, and Leases of any name in
# ebb-system (each test uses its own Lease; the shipped Role allows only `ebb-controller`).
shipped_role=$(/usr/bin/python3 - "$repo/manifests/base/rbac-cluster.yaml" <<'PY'
import json, sys, yaml
roles = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d and d.get("kind") == "ClusterRole"]
assert len(roles) == 1, f"{sys.argv[1]}: expected one ClusterRole, found {len(roles)}"
print(json.dumps(roles[0]))
PY
)
bind() {  # kind(ClusterRole|Role) name [namespace]
  local path=/apis/rbac.authorization.k8s.io/v1/${3:+namespaces/$3/}${1,,}bindings
  api POST "$path" '{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"'"$1"'Binding","metadata":{"name":"'"$2"'"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"'"$1"'","name":"'"$2"'"},"subjects":[{"kind":"ServiceAccount","name":"ebb","namespace":"ebb-system"}]}' >/dev/null
}
api POST /apis/rbac.authorization.k8s.io/v1/clusterroles "$shipped_role" >/dev/null
bind ClusterRole "$(jq -r .metadata.name <<<"$shipped_role")"
api POST /apis/rbac.authorization.k8s.io/v1/clusterroles '{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRole","metadata":{"name":"ebb-test-workerpools"},"rules":[{"apiGroups":["test.ebb.dev"],"resources":["workerpools/scale"],"verbs":["get","update","patch"]}]}' >/dev/null
bind ClusterRole ebb-test-workerpools
api POST /apis/rbac.authorization.k8s.io/v1/namespaces/ebb-system/roles '{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"Role","metadata":{"name":"ebb-test-leases"},"rules":[{"apiGroups":["coordination.k8s.io"],"resources":["leases"],"verbs":["get","create","update"]}]}' >/dev/null
bind Role ebb-test-leases ebb-system
sa_token=$(api POST /api/v1/namespaces/ebb-system/serviceaccounts/ebb/token '{"apiVersion":"authentication.k8s.io/v1","kind":"TokenRequest","spec":{"expirationSeconds":86400}}' | jq -r .status.token)
[[ -n $sa_token && $sa_token != null ]] || { echo "TokenRequest failed" >&2; exit 1; }
printf '%s' "$sa_token" > "$dir/sa.token"
kubeconfig "$dir/sa.kubeconfig" "    tokenFile: $dir/sa.token"

# metrics.k8s.io through the aggregation layer: a test server behind an APIService. The
# aggregator routes to the Service's endpoints, which may not be loopback addresses, so the
# server listens on this host's first non-loopback address.
host_ip=$(hostname -I 2>/dev/null | awk '{print $1}')
if [[ -n $host_ip ]]; then
  echo '{}' > "$dir/pod-metrics.json"
  python3 "$here/metrics_server.py" "$ms_port" "$P/apiserver.crt" "$P/apiserver.key" "$dir/pod-metrics.json" \
    </dev/null >"$dir/metrics-server.log" 2>&1 &
  echo $! > "$dir/metrics-server.pid"
  api POST /api/v1/namespaces/kube-system/services '{"apiVersion":"v1","kind":"Service","metadata":{"name":"metrics-server"},"spec":{"ports":[{"name":"https","port":443,"targetPort":'"$ms_port"'}]}}' >/dev/null
  api POST /api/v1/namespaces/kube-system/endpoints '{"apiVersion":"v1","kind":"Endpoints","metadata":{"name":"metrics-server"},"subsets":[{"addresses":[{"ip":"'"$host_ip"'"}],"ports":[{"name":"https","port":'"$ms_port"'}]}]}' >/dev/null
  api POST /apis/apiregistration.k8s.io/v1/apiservices '{"apiVersion":"apiregistration.k8s.io/v1","kind":"APIService","metadata":{"name":"v1beta1.metrics.k8s.io"},"spec":{"group":"metrics.k8s.io","version":"v1beta1","service":{"namespace":"kube-system","name":"metrics-server","port":443},"insecureSkipTLSVerify":true,"groupPriorityMinimum":100,"versionPriority":100}}' >/dev/null
  # custom.metrics.k8s.io (v1beta2 preferred, v1beta1) and external.metrics.k8s.io/v1beta1 from
  # one test adapter; values from $CUSTOM_METRICS_DIR/<namespace>.json.
  mkdir -p "$dir/custom-metrics" "$dir/pod-metrics.json.d"
  python3 "$here/custom_metrics_server.py" "$cm_port" "$P/apiserver.crt" "$P/apiserver.key" "$dir/custom-metrics" \
    </dev/null >"$dir/custom-metrics.log" 2>&1 &
  echo $! > "$dir/custom-metrics.pid"
  api POST /api/v1/namespaces/kube-system/services '{"apiVersion":"v1","kind":"Service","metadata":{"name":"custom-metrics"},"spec":{"ports":[{"name":"https","port":443,"targetPort":'"$cm_port"'}]}}' >/dev/null
  api POST /api/v1/namespaces/kube-system/endpoints '{"apiVersion":"v1","kind":"Endpoints","metadata":{"name":"custom-metrics"},"subsets":[{"addresses":[{"ip":"'"$host_ip"'"}],"ports":[{"name":"https","port":'"$cm_port"'}]}]}' >/dev/null
  for gvp in custom.metrics.k8s.io/v1beta2/200 custom.metrics.k8s.io/v1beta1/100 external.metrics.k8s.io/v1beta1/100; do
    IFS=/ read -r g v prio <<<"$gvp"
    api POST /apis/apiregistration.k8s.io/v1/apiservices '{"apiVersion":"apiregistration.k8s.io/v1","kind":"APIService","metadata":{"name":"'"$v.$g"'"},"spec":{"group":"'"$g"'","version":"'"$v"'","service":{"namespace":"kube-system","name":"custom-metrics","port":443},"insecureSkipTLSVerify":true,"groupPriorityMinimum":100,"versionPriority":'"$prio"'}}' >/dev/null
  done
  # Ready when a request below each version reaches the adapter: on a loaded machine the
  # aggregator answers its own 404 there for a while after the APIService is Available.
  for path in /apis/metrics.k8s.io/v1beta1/namespaces/default/pods '/apis/custom.metrics.k8s.io/v1beta2/namespaces/default/pods/*/probe' \
      '/apis/custom.metrics.k8s.io/v1beta1/namespaces/default/pods/*/probe' /apis/external.metrics.k8s.io/v1beta1/namespaces/default/probe; do
    for _ in $(seq 1 600); do
      curl -s --cacert "$P/ca.crt" -H "Authorization: Bearer $admin_token" "$server$path" | grep -q 'MetricsList\|MetricValueList\|could not find the metric' && break
      sleep 0.1
    done
  done
fi

cat > "$dir/env" <<ENV
KUBE_SERVER=$server
KUBE_API_PORT=$api_port
KUBE_CA=$P/ca.crt
KUBE_ADMIN_TOKEN_FILE=$P/tokens.csv
KUBE_BIN=$bindir
POD_METRICS_FILE=$dir/pod-metrics.json
CUSTOM_METRICS_DIR=${host_ip:+$dir/custom-metrics}
ENV
echo "cluster ready at $server ($dir)"
