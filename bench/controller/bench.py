#!/usr/bin/env python3
"""Controller benchmark: N Autoscalers at a fixed interval against the real kube-apiserver and a
local redis-server, the real `ebb run` binary as the controller (as the service account).

usage: bench.py EBB_BINARY CLUSTER_DIR REDIS_PORT [N] [INTERVAL] [MEASURE_SECONDS]
Stdlib only. Targets are WorkerPool custom resources (scale subresource) so no
kube-controller-manager work skews the numbers; every Redis list holds exactly the target, so in
steady state nothing changes and ebb should write nothing."""
import json, os, re, signal, ssl, subprocess, sys, time, urllib.request, socket
from concurrent.futures import ThreadPoolExecutor

ebb, cdir, redis_port = sys.argv[1], sys.argv[2], int(sys.argv[3])
N = int(sys.argv[4]) if len(sys.argv) > 4 else 2000
INTERVAL = int(sys.argv[5]) if len(sys.argv) > 5 else 15
MEASURE = int(sys.argv[6]) if len(sys.argv) > 6 else 60
env = dict(l.strip().split("=", 1) for l in open(f"{cdir}/env") if "=" in l)
server = env["KUBE_SERVER"]
token = open(f"{cdir}/pki/tokens.csv").read().split(",")[0]
ctx = ssl.create_default_context(cafile=env["KUBE_CA"])

def api(method, path, body=None, ctype="application/json"):
    req = urllib.request.Request(server + path, method=method,
                                 data=json.dumps(body).encode() if body is not None else None)
    req.add_header("Authorization", "Bearer " + token)
    req.add_header("Content-Type", ctype)
    try:
        with urllib.request.urlopen(req, context=ctx, timeout=30) as r:
            return r.status, json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as e:
        return e.code, {}

def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p

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

def buckets(text, name):
    out = {}
    for line in text.splitlines():
        m = re.match(name + r'_bucket\{le="([^"]+)"\}\s+(\S+)', line)
        if m:
            out[float("inf") if m.group(1) == "+Inf" else float(m.group(1))] = float(m.group(2))
    return out

def quantile(b0, b1, q):
    d = {k: b1.get(k, 0) - b0.get(k, 0) for k in b1}
    total = d.get(float("inf"), 0)
    if total <= 0: return None, 0
    for le in sorted(d):
        if d[le] >= q * total: return le, total
    return float("inf"), total

def cpu_seconds(pid):
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")

def rss_mb(pid):
    for l in open(f"/proc/{pid}/status"):
        if l.startswith("VmRSS:"): return int(l.split()[1]) / 1024
    return 0

def start_ebb(ns, port, log):
    p = subprocess.Popen([ebb, "run", "--kubeconfig", f"{cdir}/sa.kubeconfig", "--namespace", ns,
                          "--metrics-bind-address", f"127.0.0.1:{port}", "--leader-election-namespace",
                          "ebb-system", "--leader-election-id", "bench-" + ns, "--identity", "bench"],
                         stdout=open(log, "w"), stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                         env=dict(os.environ, EBB_LOG_LEVEL="warn"))
    t0 = time.monotonic()
    while True:
        try:
            if urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=1).status == 200:
                return p, time.monotonic() - t0
        except Exception:
            pass
        if p.poll() is not None: sys.exit(f"ebb exited: see {log}")
        time.sleep(0.005)

results = {}
# ---- idle: no Autoscalers
ns_idle = f"bench-idle-{os.getpid()}"
api("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns_idle}})
port = free_port()
p, ready = start_ebb(ns_idle, port, f"{cdir}/bench-idle.log")
time.sleep(5)
results["ready_idle_ms"] = ready * 1000
results["idle_rss_mb"] = rss_mb(p.pid)
p.send_signal(signal.SIGTERM); p.wait()

# ---- N Autoscalers
ns = f"bench-{os.getpid()}"
api("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
pipe = subprocess.Popen(["redis-cli", "-p", str(redis_port)], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
for i in range(N):
    pipe.stdin.write(f"del q{i}\nrpush q{i} {' '.join(['t'] * 10)}\n".encode())
pipe.stdin.close(); pipe.wait()

def create(i):
    s1, _ = api("POST", f"/apis/test.ebb.dev/v1/namespaces/{ns}/workerpools",
                {"apiVersion": "test.ebb.dev/v1", "kind": "WorkerPool", "metadata": {"name": f"p{i}"},
                 "spec": {"replicas": 2}})
    s2, _ = api("POST", f"/apis/ebb.dev/v1alpha1/namespaces/{ns}/autoscalers",
                {"apiVersion": "ebb.dev/v1alpha1", "kind": "Autoscaler", "metadata": {"name": f"a{i}"},
                 "spec": {"scaleTargetRef": {"apiVersion": "test.ebb.dev/v1", "kind": "WorkerPool", "name": f"p{i}"},
                          "minReplicas": 1, "maxReplicas": 10, "pollingInterval": INTERVAL,
                          "metrics": [{"type": "Redis", "name": "backlog",
                                       "redis": {"address": f"127.0.0.1:{redis_port}", "lists": [f"q{i}"],
                                                 "target": {"type": "Value", "value": "10"}}}]}})
    return s1, s2
t = time.monotonic()
with ThreadPoolExecutor(16) as ex:
    codes = list(ex.map(create, range(N)))
bad = [c for c in codes if c != (201, 201)]
if bad: sys.exit(f"create failed: {bad[:5]}")
print(f"created {N} WorkerPools + Autoscalers in {time.monotonic() - t:.1f} s", flush=True)

port = free_port()
p, ready = start_ebb(ns, port, f"{cdir}/bench-{N}.log")
results["ready_n_ms"] = ready * 1000
# Warm-up: first reconcile of each (status written once) plus one more interval.
warm = 2 * INTERVAL + 10
time.sleep(warm)
m0 = scrape(port); c0 = cpu_seconds(p.pid); t0 = time.monotonic()
rss_max = 0
while time.monotonic() - t0 < MEASURE:
    rss_max = max(rss_max, rss_mb(p.pid)); time.sleep(1)
m1 = scrape(port); c1 = cpu_seconds(p.pid); t1 = time.monotonic()
results["cpu_pct_of_one_core"] = 100 * (c1 - c0) / (t1 - t0)
results["rss_mb_max"] = rss_max
results["writes_in_window"] = metric_sum(m1, "ebb_api_writes_total") - metric_sum(m0, "ebb_api_writes_total")
results["reconciles_in_window"] = metric_sum(m1, "ebb_reconciles_total") - metric_sum(m0, "ebb_reconciles_total")
results["expected_reconciles"] = N * (t1 - t0) / INTERVAL
results["drift_p99_le_s"], _ = quantile(buckets(m0, "ebb_loop_drift_seconds"), buckets(m1, "ebb_loop_drift_seconds"), 0.99)
results["drift_p50_le_s"], _ = quantile(buckets(m0, "ebb_loop_drift_seconds"), buckets(m1, "ebb_loop_drift_seconds"), 0.50)
results["reconcile_p99_le_s"], _ = quantile(buckets(m0, "ebb_reconcile_duration_seconds"), buckets(m1, "ebb_reconcile_duration_seconds"), 0.99)
results["errors_in_window"] = metric_sum(m1, "ebb_reconciles_total", 'result="error"') - metric_sum(m0, "ebb_reconciles_total", 'result="error"')
p.send_signal(signal.SIGTERM); p.wait()
api("DELETE", f"/api/v1/namespaces/{ns}"); api("DELETE", f"/api/v1/namespaces/{ns_idle}")
results.update(N=N, interval_s=INTERVAL, measure_s=round(t1 - t0, 1), warmup_s=warm)
print(json.dumps(results, indent=1))
