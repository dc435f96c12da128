#!/usr/bin/env bash
# usage: bench/controller/api_requests.sh BUILD_DIR [INTERVAL] [MEASURE_SECONDS] [SIZES]
# API requests per Autoscaler per interval in steady state (issue 13), counted by the API server
# itself (kube-apiserver's apiserver_request_total, watches aside, the kinds of request ebb's
# ClusterRole allows, less the same window with ebb stopped), with the watch caches on and
# off (--watch-cache=false: the GET of /scale and pod LIST per reconcile of before), for Redis
# (queue-driven) and Resource (metrics.k8s.io) Autoscalers over 1,000 Deployments, at each size
# in SIZES (default "2000 10000"). All Autoscalers run as shadows (--dry-run) so that several may
# share a target; a steady state writes nothing either way. Also ebb's RSS with and without the
# caches. Pods are marked Running and Ready and given a usage at target, so Resource Autoscalers
# read real metrics.k8s.io replies (one per namespace per max age, kube::PodMetricsCache). When
# BUILD_DIR has bench/controller/bench_cache_memory, it first prints the heap the caches hold per
# Autoscaler at each size. KINDS="redis resource" (default) picks the metrics; SKIP_BEFORE=1
# skips the runs without caches past the first size, SKIP_BEFORE=all every one. Starts its own
# API server (tests/support/kube/cluster.sh) and redis-server; stops everything by PID. Prints
# one JSON object per run, then a summary table.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd); repo=$(cd "$here/../.." && pwd)
build=${1:?BUILD_DIR}; interval=${2:-15}; measure=${3:-60}; sizes=${4:-"2000 10000"}
dir=$(mktemp -d /tmp/ebb-apireq.XXXXXX)
trap '"$repo/tests/scalers/fixtures/redis.sh" stop "$dir/redis" || true; "$repo/tests/support/kube/cluster.sh" stop "$dir/cluster" || true' EXIT
"$repo/tests/support/kube/cluster.sh" start "$dir/cluster" >&2
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$repo/tests/scalers/fixtures/redis.sh" start "$port" "$dir/redis"
python3 - "$build/controller/ebb" "$dir/cluster" "$port" "$interval" "$measure" "$sizes" \
  "$repo/tests/kube/fixtures/crd.json" "$build/bench/controller/bench_cache_memory" <<'PY'
import json, os, re, signal, ssl, subprocess, sys, time, urllib.request, socket
from concurrent.futures import ThreadPoolExecutor

ebb, cdir, redis_port, INTERVAL, MEASURE = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
SIZES = [int(x) for x in sys.argv[6].split()]
KINDS = os.environ.get("KINDS", "redis resource").split()
CACHE_BENCH = sys.argv[8] if len(sys.argv) > 8 and os.access(sys.argv[8], os.X_OK) else ""
TARGETS = 1000
env = dict(l.strip().split("=", 1) for l in open(f"{cdir}/env") if "=" in l)
server = env["KUBE_SERVER"]
token = open(f"{cdir}/pki/tokens.csv").read().split(",")[0]
ctx = ssl.create_default_context(cafile=env["KUBE_CA"])

def api(method, path, body=None, ctype="application/json", raw=False):
    req = urllib.request.Request(server + path, method=method,
                                 data=json.dumps(body).encode() if body is not None else None)
    req.add_header("Authorization", "Bearer " + token)
    req.add_header("Content-Type", ctype)
    try:
        with urllib.request.urlopen(req, context=ctx, timeout=60) as r:
            data = r.read()
            return r.status, (data.decode() if raw else json.loads(data or b"{}"))
    except urllib.error.HTTPError as e:
        return e.code, {}

def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p

EBB_REQUESTS = {("GET", "autoscalers"), ("LIST", "autoscalers"), ("PATCH", "autoscalers/status"),
                ("PUT", "autoscalers/status"), ("POST", "events"), ("PATCH", "events"),
                ("GET", "deployments/scale"), ("PATCH", "deployments/scale"), ("PUT", "deployments/scale"),
                ("LIST", "deployments"), ("LIST", "pods"), ("GET", "pods"), ("LIST", "metrics.k8s.io/pods"),
                ("GET", "metrics.k8s.io/pods"), ("LIST", "horizontalpodautoscalers"),
                ("GET", "customresourcedefinitions")}

def server_requests():
    """kube-apiserver's own count of finished requests, watches aside, by verb/resource."""
    _, text = api("GET", "/metrics", raw=True)
    out = {}
    for line in text.splitlines():
        if not line.startswith("apiserver_request_total{"): continue
        m = re.match(r"^apiserver_request_total\{(.*)\}\s+(\S+)$", line)
        labels = dict(re.findall(r'(\w+)="([^"]*)"', m.group(1)))
        if labels.get("verb") in ("WATCH", "CONNECT"): continue
        res = labels.get("resource", "") + ("/" + labels["subresource"] if labels.get("subresource") else "")
        if labels.get("group") == "metrics.k8s.io": res = "metrics.k8s.io/" + res
        key = (labels.get("verb"), res)
        # The metric has no client label: keep what ebb's ClusterRole allows it (the controller
        # manager, busy with the Deployments' ReplicaSets and pods, runs as admin).
        if key not in EBB_REQUESTS: continue
        out[key] = out.get(key, 0) + float(m.group(2))
    return out

def diff(a, b):
    return {k: b.get(k, 0) - a.get(k, 0) for k in b if b.get(k, 0) - a.get(k, 0) > 0}

def scrape(port):
    try:
        return urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    except Exception:
        return ""

def metric_sum(text, name, label_filter=""):
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name) and label_filter in line and not line.startswith("#"):
            m = re.match(r"^(\S+?)(\{.*\})?\s+(\S+)$", line)
            if m and m.group(1) == name:
                total += float(m.group(3))
    return total

def rss_mb(pid):
    for l in open(f"/proc/{pid}/status"):
        if l.startswith("VmRSS:"): return int(l.split()[1]) / 1024
    return 0

def cpu_seconds(pid):
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")

# ---- setup: CRDs, a namespace, 1,000 Deployments of one pod each
for crd in json.load(open(sys.argv[7])):
    api("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd)
time.sleep(3)
ns = f"apireq-{os.getpid()}"
api("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
def deployment(i):
    return api("POST", f"/apis/apps/v1/namespaces/{ns}/deployments",
               {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": f"d{i}"},
                "spec": {"replicas": 1, "selector": {"matchLabels": {"app": f"d{i}"}},
                         "template": {"metadata": {"labels": {"app": f"d{i}"}},
                                      "spec": {"containers": [{"name": "main", "image": "busybox",
                                               "resources": {"requests": {"cpu": "100m"}}}]}}}})[0]
t = time.monotonic()
with ThreadPoolExecutor(16) as ex:
    codes = list(ex.map(deployment, range(TARGETS)))
assert all(c == 201 for c in codes), codes[:5]
# Redis: every list holds exactly its target's worth (5 per replica, 1 replica): nothing changes.
subprocess.run(["redis-cli", "-p", str(redis_port), "rpush", "q", "a", "b", "c", "d", "e"], check=True,
               stdout=subprocess.DEVNULL)
print(f"created {TARGETS} Deployments in {time.monotonic() - t:.1f} s", file=sys.stderr, flush=True)
# The controller manager makes their ReplicaSets and pods: wait until it is done.
t = time.monotonic()
while time.monotonic() - t < 600:
    _, pods = api("GET", f"/api/v1/namespaces/{ns}/pods?limit=1")
    left = pods.get("metadata", {}).get("remainingItemCount", 0) + len(pods.get("items", []))
    if left >= TARGETS: break
    time.sleep(5)
# No kubelet here: mark every pod Running and Ready since long ago, and give each a usage at its
# Autoscaler's target (80m of 100m requested, target 80 %), so Resource Autoscalers read real
# metrics and stay put.
_, pods = api("GET", f"/api/v1/namespaces/{ns}/pods")
names = [p["metadata"]["name"] for p in pods.get("items", [])]
LONG_AGO = "2020-01-01T00:00:00Z"
def ready(name):
    return api("PATCH", f"/api/v1/namespaces/{ns}/pods/{name}/status",
               {"status": {"phase": "Running", "startTime": LONG_AGO,
                           "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": LONG_AGO}]}},
               ctype="application/merge-patch+json")[0]
with ThreadPoolExecutor(16) as ex:
    codes = list(ex.map(ready, names))
assert all(c == 200 for c in codes), codes[:5]
os.makedirs(env["POD_METRICS_FILE"] + ".d", exist_ok=True)
with open(env["POD_METRICS_FILE"] + ".d/" + ns + ".json", "w") as f:
    json.dump({n: {"main": {"cpu": "80m", "memory": "64Mi"}} for n in names}, f)
print(f"{len(names)} pods Running and Ready, with metrics", file=sys.stderr, flush=True)
time.sleep(10)
if CACHE_BENCH:
    for n in SIZES:
        out = subprocess.run([CACHE_BENCH, f"{cdir}/sa.kubeconfig", ns, str(n), str(TARGETS)],
                             capture_output=True, text=True)
        print(out.stdout.strip() or out.stderr.strip(), flush=True)

def autoscaler(kind, i):
    metric = ({"type": "Redis", "name": "backlog",
               "redis": {"address": f"127.0.0.1:{redis_port}", "lists": ["q"],
                         "target": {"type": "AverageValue", "averageValue": "5"}}}
              if kind == "redis" else
              {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}}})
    return api("POST", f"/apis/ebb.dev/v1alpha1/namespaces/{ns}/autoscalers",
               {"apiVersion": "ebb.dev/v1alpha1", "kind": "Autoscaler", "metadata": {"name": f"{kind}-{i}"},
                "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": f"d{i % TARGETS}"},
                         "minReplicas": 1, "maxReplicas": 10, "pollingInterval": INTERVAL,
                         "metrics": [metric]}})[0]

def run(kind, n, cache):
    port = free_port()
    log = f"{cdir}/apireq-{kind}-{n}-{cache}.log"
    # A high limit so 10,000 first status writes settle in the warm-up; the steady state is far
    # below any limit.
    p = subprocess.Popen([ebb, "run", "--kubeconfig", f"{cdir}/sa.kubeconfig", "--namespace", ns,
                          "--metrics-bind-address", f"127.0.0.1:{port}", "--leader-elect=false",
                          "--dry-run", "--concurrency", "16", f"--watch-cache={'true' if cache else 'false'}",
                          "--kube-api-qps", "0" if not cache else "500", "--kube-api-burst", "1000"],
                         stdout=open(log, "w"), stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                         env=dict(os.environ, EBB_LOG_LEVEL="warn"))
    # Warm-up: every Autoscaler reconciled twice (its first status written), then one interval.
    t0 = time.monotonic()
    while metric_sum(scrape(port), "ebb_reconciles_total") < 2 * n and time.monotonic() - t0 < 900:
        if p.poll() is not None: sys.exit(f"ebb exited: see {log}")
        time.sleep(2)
    time.sleep(INTERVAL)
    warm = time.monotonic() - t0
    s0 = server_requests(); m0 = scrape(port); c0 = cpu_seconds(p.pid); t1 = time.monotonic()
    rss = 0
    while time.monotonic() - t1 < MEASURE:
        rss = max(rss, rss_mb(p.pid)); time.sleep(1)
    s1 = server_requests(); m1 = scrape(port); c1 = cpu_seconds(p.pid); t2 = time.monotonic()
    p.send_signal(signal.SIGTERM); p.wait()
    # The same window with ebb stopped: what else made the same kinds of request.
    time.sleep(2)
    b0 = server_requests(); time.sleep(t2 - t1); b1 = server_requests()
    seen, base = diff(s0, s1), diff(b0, b1)
    intervals = (t2 - t1) / INTERVAL
    ebb_reqs = sum(seen.values()) - sum(base.values())
    by = {f"{v} {r}": round(c - base.get((v, r), 0)) for (v, r), c in sorted(seen.items())
          if c - base.get((v, r), 0) > 0.5}
    reconciles = metric_sum(m1, "ebb_reconciles_total") - metric_sum(m0, "ebb_reconciles_total")
    res = dict(kind=kind, N=n, watch_cache=cache, interval_s=INTERVAL, window_s=round(t2 - t1, 1),
               warmup_s=round(warm), reconciles=int(reconciles),
               expected_reconciles=round(n * intervals),
               server_requests=round(ebb_reqs),
               per_autoscaler_per_interval=round(ebb_reqs / n / intervals, 4),
               by_verb_resource=by,
               ebb_side_requests=round(metric_sum(m1, "ebb_kube_requests_total") - metric_sum(m0, "ebb_kube_requests_total")),
               # kube-apiserver v1.20 leaves proxied (aggregated) reads out of its own count.
               ebb_side_metrics_k8s_io_reads=round(metric_sum(m1, "ebb_kube_requests_total", "metrics.k8s.io")
                                                   - metric_sum(m0, "ebb_kube_requests_total", "metrics.k8s.io")),
               rss_mb_max=round(rss, 1), cpu_pct=round(100 * (c1 - c0) / (t2 - t1), 1))
    print(json.dumps(res), flush=True)
    return res

results = []
for kind in KINDS:
    have = 0
    for n in SIZES:
        with ThreadPoolExecutor(16) as ex:
            codes = list(ex.map(lambda i: autoscaler(kind, i), range(have, n)))
        assert all(c == 201 for c in codes), codes[:5]
        have = n
        print(f"{n} {kind} Autoscalers", file=sys.stderr, flush=True)
        for cache in (True, False):
            skip = os.environ.get("SKIP_BEFORE", "")
            if not cache and (skip == "all" or (skip and n > SIZES[0])): continue
            results.append(run(kind, n, cache))
    api("DELETE", f"/apis/ebb.dev/v1alpha1/namespaces/{ns}/autoscalers")
    time.sleep(10)
print("\n| metrics | Autoscalers | watch cache | requests / Autoscaler / interval | of which | metrics.k8s.io reads / Autoscaler / interval (ebb side) | reconciles done/due | RSS MB | CPU % |", flush=True)
print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
for r in results:
    top = ", ".join(f"{k}: {v}" for k, v in sorted(r["by_verb_resource"].items(), key=lambda x: -x[1])[:3])
    print(f"| {r['kind']} | {r['N']} | {'on' if r['watch_cache'] else 'off'} | {r['per_autoscaler_per_interval']} | {top} | {round(r['ebb_side_metrics_k8s_io_reads'] / r['N'] / (r['window_s'] / r['interval_s']), 4)} | {r['reconciles']}/{r['expected_reconciles']} | {r['rss_mb_max']} | {r['cpu_pct']} |")
PY
