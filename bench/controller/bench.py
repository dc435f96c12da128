#!/usr/bin/env python3
"""Controller benchmark: N Autoscalers at a fixed interval against the real kube-apiserver and a
local redis-server, the real `ebb run` binary as the controller (as the service account).

usage: bench.py EBB_BINARY CLUSTER_DIR REDIS_PORT [N] [INTERVAL] [MEASURE_SECONDS]
environment:
  BENCH_QPS=N       ebb's --kube-api-qps (default 20, ebb's own default; burst 1.5x). At 10,000
                    the first status writes take N/qps seconds (500 s at 20): pass e.g. 500.
  BENCH_REPLICAS=R  run R replicas of ebb (default 1: one leader-elected process)
  BENCH_SHARDS=S    with R > 1: `--shards S` (default 4 per replica); after the measured window
                    one replica is killed (SIGKILL) and the time until its Autoscalers act again
                    is measured: some of its Redis lists grow (10 -> 30 items) and their
                    Autoscalers' status must show the new reading.
  BENCH_LEASE=S     --lease-duration (default 15; renew deadline 2/3 of it, retry period 2 s)
  BENCH_SKIP_IDLE=1 skip the idle run
  BENCH_IDLE_ONLY=1 only the idle run (bench/controller/image_idle_rss.sh)
  BENCH_CREATE_ONLY=1 create the objects and stop (with run.sh's BENCH_DIR: kept for later runs)
  BENCH_WRAP=CMD    run ebb under CMD (e.g. "heaptrack -o /tmp/h"); CPU and RSS are then the
                    wrapper's
Stdlib only. Targets are WorkerPool custom resources (scale subresource) so no
kube-controller-manager work skews the numbers; every Redis list holds exactly the target, so in
steady state nothing changes and ebb should write nothing. API requests are counted twice: by
ebb (ebb_kube_requests_total) and by the API server (apiserver_request_total, watches aside)."""
import http.client, json, os, re, signal, ssl, subprocess, sys, threading, time, urllib.request, socket
from concurrent.futures import ThreadPoolExecutor

ebb, cdir, redis_port = sys.argv[1], sys.argv[2], int(sys.argv[3])
N = int(sys.argv[4]) if len(sys.argv) > 4 else 2000
INTERVAL = int(sys.argv[5]) if len(sys.argv) > 5 else 15
MEASURE = int(sys.argv[6]) if len(sys.argv) > 6 else 60
QPS = int(os.environ.get("BENCH_QPS", "20"))
REPLICAS = int(os.environ.get("BENCH_REPLICAS", "1"))
SHARDS = int(os.environ.get("BENCH_SHARDS", str(4 * REPLICAS))) if REPLICAS > 1 else 0
LEASE = int(os.environ.get("BENCH_LEASE", "15"))
env = dict(l.strip().split("=", 1) for l in open(f"{cdir}/env") if "=" in l)
server = env["KUBE_SERVER"]
host, port_s = server.split("://", 1)[1].split(":")
token = open(f"{cdir}/pki/tokens.csv").read().split(",")[0]
ctx = ssl.create_default_context(cafile=env["KUBE_CA"])
local = threading.local()


def api(method, path, body=None, ctype="application/json", raw=False):
    """One request on this thread's kept-alive connection (a TLS handshake per object made
    creating 20,000 objects take minutes)."""
    for attempt in range(3):
        conn = getattr(local, "conn", None)
        if conn is None:
            conn = local.conn = http.client.HTTPSConnection(host, int(port_s), context=ctx, timeout=60)
        try:
            conn.request(method, path, body=json.dumps(body) if body is not None else None,
                         headers={"Authorization": "Bearer " + token, "Content-Type": ctype})
            r = conn.getresponse()
            data = r.read()
            if r.status >= 400: return r.status, {}
            return r.status, (data.decode() if raw else json.loads(data or b"{}"))
        except (http.client.HTTPException, OSError):
            conn.close(); local.conn = None
            if attempt == 2: raise
    return 0, {}


def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p

def scrape(port):
    try:
        return urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10).read().decode()
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

def smaps_rollup_kb(pid):
    """Rss, Pss and their anonymous and file parts (kB), from /proc/PID/smaps_rollup."""
    out = {}
    for l in open(f"/proc/{pid}/smaps_rollup"):
        k, _, v = l.partition(":")
        if k in ("Rss", "Pss", "Pss_Anon", "Pss_File", "Anonymous", "Private_Dirty", "Shared_Clean", "Private_Clean"):
            out[k] = int(v.split()[0])
    for l in open(f"/proc/{pid}/status"):
        if l.startswith(("RssAnon:", "RssFile:", "Threads:")):
            k, v = l.split(":")
            out[k] = int(v.split()[0])
    return out

def loadavg():
    return open("/proc/loadavg").read().split()[:3]

# Requests that count as ebb's on the server side (the metric has no client label): the kinds
# ebb makes here. Leases include the controller manager's own renewals (2 every 2 s): counted
# against ebb, a slight overcount.
EBB_RESOURCES = ("autoscalers", "workerpools", "events", "leases")

def server_requests():
    _, text = api("GET", "/metrics", raw=True)
    out = {}
    for line in text.splitlines():
        if not line.startswith("apiserver_request_total{"): continue
        m = re.match(r"^apiserver_request_total\{(.*)\}\s+(\S+)$", line)
        labels = dict(re.findall(r'(\w+)="([^"]*)"', m.group(1)))
        if labels.get("verb") in ("WATCH", "CONNECT"): continue
        if labels.get("resource") not in EBB_RESOURCES: continue
        key = labels.get("verb") + " " + labels["resource"] + ("/" + labels["subresource"] if labels.get("subresource") else "")
        out[key] = out.get(key, 0) + float(m.group(2))
    return out

def start_ebb(ns, port, log, identity="bench", extra=()):
    # BENCH_WRAP="heaptrack -o FILE": under a profiler (its figures then are not ebb's).
    args = [*os.environ.get("BENCH_WRAP", "").split(), ebb, "run", "--kubeconfig", f"{cdir}/sa.kubeconfig", "--namespace", ns,
            "--metrics-bind-address", f"127.0.0.1:{port}", "--leader-election-namespace",
            "ebb-system", "--leader-election-id", "bench-" + ns, "--identity", identity,
            "--kube-api-qps", str(QPS), "--kube-api-burst", str(max(30, QPS * 3 // 2)), *extra]
    return subprocess.Popen(args, stdout=open(log, "w"), stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, env=dict(os.environ, EBB_LOG_LEVEL="warn"))

def wait_ready(p, port, log, timeout=900):
    """Seconds until /readyz answered 200; None when it did not within `timeout` (a loaded API
    server timing out the replica's list: the run goes on, its Autoscalers are measured)."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        try:
            if urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=1).status == 200:
                return time.monotonic() - t0
        except Exception:
            pass
        if p.poll() is not None: sys.exit(f"ebb exited: see {log}")
        time.sleep(0.005)
    return None

# Autoscaler keys to shards, as controller/shard/shard_hash.cpp.
M64 = (1 << 64) - 1
def fnv1a(text):
    h = 14695981039346656037
    for c in text.encode():
        h = ((h ^ c) * 1099511628211) & M64
    return h
def jump_hash(key, shards):
    b, j = -1, 0
    while j < shards:
        b = j
        key = (key * 2862933555777941757 + 1) & M64
        j = int(float(b + 1) * (float(1 << 31) / float((key >> 33) + 1)))
    return b

results = {"loadavg_start": loadavg(), "kube_api_qps": QPS}
# ---- idle: no Autoscalers
ns_idle = f"bench-idle-{os.getpid()}"
api("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns_idle}})
if not os.environ.get("BENCH_SKIP_IDLE"):
    port = free_port()
    log = f"{cdir}/bench-idle.log"
    p = start_ebb(ns_idle, port, log)
    results["ready_idle_ms"] = (wait_ready(p, port, log) or float("nan")) * 1000
    time.sleep(5)
    results["idle_rss_mb"] = rss_mb(p.pid)
    results["idle_smaps_kb"] = smaps_rollup_kb(p.pid)
    p.send_signal(signal.SIGTERM); p.wait()
if os.environ.get("BENCH_IDLE_ONLY"):
    api("DELETE", f"/api/v1/namespaces/{ns_idle}")
    results["loadavg_end"] = loadavg()
    print(json.dumps(results))
    sys.exit(0)

# ---- N Autoscalers (kept across runs with BENCH_DIR: run.sh reuses the cluster)
KEEP = bool(os.environ.get("BENCH_DIR"))
ns = f"bench-{N}" if KEEP else f"bench-{os.getpid()}"
api("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
_, have = api("GET", f"/apis/ebb.dev/v1alpha1/namespaces/{ns}/autoscalers?limit=1")
have = len(have.get("items", [])) + have.get("metadata", {}).get("remainingItemCount", 0)
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
with ThreadPoolExecutor(32) as ex:
    codes = list(ex.map(create, range(N))) if have < N else []
bad = [c for c in codes if c != (201, 201) and not (KEEP and 409 in c)]
if bad: sys.exit(f"create failed: {bad[:5]}")
results["create_s"] = round(time.monotonic() - t, 1)
print(f"created {N} WorkerPools + Autoscalers in {results['create_s']} s", file=sys.stderr, flush=True)
if os.environ.get("BENCH_CREATE_ONLY"): sys.exit(0)  # with BENCH_DIR: objects for a later run

procs = []  # (Popen, metrics port, log, identity)
extra = ()
if REPLICAS > 1:
    extra = ("--shards", str(SHARDS), "--lease-duration", str(LEASE),
             "--renew-deadline", str(max(2, LEASE * 2 // 3)), "--retry-period", "2")
for r in range(REPLICAS):
    port = free_port()
    ident = f"bench-{r}"
    log = f"{cdir}/bench-{N}-{ident}.log"
    procs.append((start_ebb(ns, port, log, ident, extra), port, log, ident))
ready = [wait_ready(p, port, log, 120 if i else 900) for i, (p, port, log, _) in enumerate(procs)]
results["ready_n_ms"] = [None if r is None else round(r * 1000) for r in ready]

def scrape_all():
    return [scrape(port) for _, port, _, _ in procs]
def total(texts, name, f=""):
    return sum(metric_sum(t, name, f) for t in texts)

# Warm-up: every Autoscaler reconciled twice (its first status written, at --kube-api-qps), then
# one more interval for the last writes to settle.
t0 = time.monotonic()
while total(scrape_all(), "ebb_reconciles_total", 'result="ok"') < 2 * N and time.monotonic() - t0 < 1800:
    for p, _, log, _ in procs:
        if p.poll() is not None: sys.exit(f"ebb exited: see {log}")
    time.sleep(2)
time.sleep(INTERVAL)
results["warmup_s"] = round(time.monotonic() - t0)
results["loadavg_measure"] = loadavg()

m0 = scrape_all(); c0 = [cpu_seconds(p.pid) for p, *_ in procs]; s0 = server_requests(); t0 = time.monotonic()
rss_max = [0.0] * len(procs)
while time.monotonic() - t0 < MEASURE:
    rss_max = [max(m, rss_mb(p.pid)) for m, (p, *_) in zip(rss_max, procs)]; time.sleep(1)
m1 = scrape_all(); c1 = [cpu_seconds(p.pid) for p, *_ in procs]; s1 = server_requests(); t1 = time.monotonic()
results["loadavg_end"] = loadavg()
intervals = (t1 - t0) / INTERVAL
per = []
for i, (p, port, log, ident) in enumerate(procs):
    per.append({
        "identity": ident,
        "cpu_pct_of_one_core": round(100 * (c1[i] - c0[i]) / (t1 - t0), 1),
        "rss_mb_max": round(rss_max[i], 1),
        "reconciles": metric_sum(m1[i], "ebb_reconciles_total", 'result="ok"') - metric_sum(m0[i], "ebb_reconciles_total", 'result="ok"'),
        "writes": metric_sum(m1[i], "ebb_api_writes_total") - metric_sum(m0[i], "ebb_api_writes_total"),
        "drift_p99_le_s": quantile(buckets(m0[i], "ebb_loop_drift_seconds"), buckets(m1[i], "ebb_loop_drift_seconds"), 0.99)[0],
        "kube_requests": metric_sum(m1[i], "ebb_kube_requests_total") - metric_sum(m0[i], "ebb_kube_requests_total"),
    })
results["replicas"] = per
results["reconciles_in_window"] = sum(x["reconciles"] for x in per)
results["expected_reconciles"] = round(N * intervals)
results["writes_in_window"] = sum(x["writes"] for x in per)
results["drift_p99_le_s"] = quantile(buckets("".join(m0), "ebb_loop_drift_seconds"), buckets("".join(m1), "ebb_loop_drift_seconds"), 0.99)[0]
results["drift_p50_le_s"] = quantile(buckets("".join(m0), "ebb_loop_drift_seconds"), buckets("".join(m1), "ebb_loop_drift_seconds"), 0.50)[0]
results["reconcile_p99_le_s"] = quantile(buckets("".join(m0), "ebb_reconcile_duration_seconds"), buckets("".join(m1), "ebb_reconcile_duration_seconds"), 0.99)[0]
results["errors_in_window"] = total(m1, "ebb_reconciles_total", 'result="error"') - total(m0, "ebb_reconciles_total", 'result="error"')
seen = {k: s1.get(k, 0) - s0.get(k, 0) for k in s1 if s1.get(k, 0) - s0.get(k, 0) > 0}
results["server_requests_by_kind"] = seen
results["server_requests_per_autoscaler_per_interval"] = round(sum(seen.values()) / N / intervals, 4)
results["ebb_requests_per_autoscaler_per_interval"] = round(sum(x["kube_requests"] for x in per) / N / intervals, 4)
results.update(N=N, interval_s=INTERVAL, measure_s=round(t1 - t0, 1))
if len(procs) == 1:
    results.update({k: per[0][k] for k in ("cpu_pct_of_one_core", "rss_mb_max")})
print(json.dumps(results, indent=1), flush=True)

# ---- sharded: kill one replica, time until its Autoscalers act again
if REPLICAS > 1:
    _, leases = api("GET", f"/apis/coordination.k8s.io/v1/namespaces/ebb-system/leases?labelSelector=ebb.dev/shard-group%3Dbench-{ns}")
    held = {}
    for l in leases.get("items", []):
        m = re.match(rf"^bench-{ns}-shard-(\d+)$", l["metadata"]["name"])
        if m: held[int(m.group(1))] = l["spec"].get("holderIdentity", "")
    victim_i = 0
    victim = procs[victim_i][3]
    vshards = {s for s, h in held.items() if h == victim}
    owned = [i for i in range(N) if jump_hash(fnv1a(f"{ns}/a{i}"), SHARDS) in vshards]
    probe = owned[:: max(1, len(owned) // 50)][:50]
    kill = {"victim": victim, "victim_shards": sorted(vshards), "victim_autoscalers": len(owned),
            "probed": len(probe), "lease_duration_s": LEASE, "holders_before": held}
    # Acted: its status shows the raised reading (a WorkerPool has no pods, so a Value target's
    # decision need not rescale it: HPA counts the scale's status.replicas). Seen on a watch of
    # the namespace's Autoscalers, timed as each status write arrives (polling 50 objects in
    # turn added up to half a second to each figure).
    left = set(probe); acted = []; seen_mu = threading.Lock()
    _, page = api("GET", f"/apis/ebb.dev/v1alpha1/namespaces/{ns}/autoscalers?limit=1")
    rv = page.get("metadata", {}).get("resourceVersion", "")
    def watch_probes():
        conn = http.client.HTTPSConnection(host, int(port_s), context=ctx, timeout=20 * LEASE)
        conn.request("GET", f"/apis/ebb.dev/v1alpha1/namespaces/{ns}/autoscalers?watch=1&resourceVersion={rv}"
                     f"&timeoutSeconds={20 * LEASE}", headers={"Authorization": "Bearer " + token})
        r = conn.getresponse()
        while True:
            line = r.readline()
            if not line: return
            ev = json.loads(line)
            name = ev.get("object", {}).get("metadata", {}).get("name", "")
            if ev.get("type") != "MODIFIED" or not name.startswith("a"): continue
            if ev["object"].get("status", {}).get("targets") != "backlog: 30/10": continue
            with seen_mu:
                i = int(name[1:])
                if i in left:
                    left.discard(i); acted.append(time.monotonic() - tk)
                if not left: return
    tk = time.monotonic()
    watcher = threading.Thread(target=watch_probes, daemon=True); watcher.start()
    time.sleep(1)  # the watch is open before the kill
    # Grow the probed lists (10 -> 30 items: desired 6 replicas from 2) at the kill.
    procs[victim_i][0].send_signal(signal.SIGKILL); procs[victim_i][0].wait()
    tk = time.monotonic(); tk_wall = time.time()
    pipe = subprocess.Popen(["redis-cli", "-p", str(redis_port)], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
    for i in probe:
        pipe.stdin.write(f"rpush q{i} {' '.join(['t'] * 20)}\n".encode())
    pipe.stdin.close(); pipe.wait()
    while time.monotonic() - tk < 10 * LEASE:
        with seen_mu:
            if not left: break
        time.sleep(0.2)
    with seen_mu:
        acted.sort(); first = acted[0] if acted else None
    kill["first_acted_s"] = round(first, 1) if first is not None else None
    kill["all_probed_acted_s"] = round(time.monotonic() - tk, 1) if not left else None
    kill["median_acted_s"] = round(sorted(acted)[len(acted) // 2], 1) if acted else None
    kill["not_acted"] = len(left)
    _, leases = api("GET", f"/apis/coordination.k8s.io/v1/namespaces/ebb-system/leases?labelSelector=ebb.dev/shard-group%3Dbench-{ns}")
    kill["holders_after"] = {l["metadata"]["name"]: l["spec"].get("holderIdentity", "") for l in leases.get("items", [])
                             if "-shard-" in l["metadata"]["name"]}
    # When the survivors took the victim's shards (the Leases' acquireTime; same host clock).
    taken = []
    for l in leases.get("items", []):
        m = re.match(rf"^bench-{ns}-shard-(\d+)$", l["metadata"]["name"])
        at = l["spec"].get("acquireTime")
        if m and int(m.group(1)) in vshards and at:
            from datetime import datetime
            taken.append(datetime.strptime(at.replace("Z", "+0000"), "%Y-%m-%dT%H:%M:%S.%f%z").timestamp() - tk_wall)
    kill["shards_taken_after_s"] = sorted(round(x, 1) for x in taken)
    kill["survivor_rss_mb"] = [round(rss_mb(p.pid), 1) for p, *_ in procs[1:]]
    kill["loadavg"] = loadavg()
    print(json.dumps({"kill": kill}, indent=1), flush=True)

for p, *_ in procs:
    if p.poll() is None:
        p.send_signal(signal.SIGTERM); p.wait()
if REPLICAS > 1:  # the probed targets back to 2, for a later run on the same objects
    for i in probe:
        api("PATCH", f"/apis/test.ebb.dev/v1/namespaces/{ns}/workerpools/p{i}", {"spec": {"replicas": 2}},
            ctype="application/merge-patch+json")
if not KEEP: api("DELETE", f"/api/v1/namespaces/{ns}")
api("DELETE", f"/api/v1/namespaces/{ns_idle}")
