#!/usr/bin/env python3
"""Writes the seed inputs of every fuzz target into fuzz/corpus/<target>/seed-*: the project's test
fixtures (examples/, tests/manifests/cases, tests/decision/vectors, tests/convert/fixtures,
tests/kube/fixtures) plus small hand-written samples of what the servers send. Run it again after
changing the fixtures; inputs libFuzzer found (named by their SHA-1) are left alone."""
import glob
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "fuzz", "corpus")


def write(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, "seed-" + name), "wb") as f:
        f.write(data)


def read(path):
    with open(os.path.join(ROOT, path), "rb") as f:
        return f.read()


def head_lines(path, n):
    return b"".join(read(path).splitlines(keepends=True)[:n])


def documents():
    files = sorted(glob.glob(os.path.join(ROOT, "examples", "*.yaml")))
    files += sorted(glob.glob(os.path.join(ROOT, "tests", "manifests", "cases", "*", "*.yaml")))
    files += sorted(glob.glob(os.path.join(ROOT, "tests", "convert", "fixtures", "*.yaml")))
    files += sorted(glob.glob(os.path.join(ROOT, "manifests", "examples", "*.yaml")))
    for f in files:
        rel = os.path.relpath(f, ROOT).replace("/", "_")
        write("documents", rel, read(f))
    write("documents", "json-autoscaler.json", json.dumps({
        "apiVersion": "ebb.dev/v1alpha1", "kind": "Autoscaler", "metadata": {"name": "w"},
        "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "w"}, "maxReplicas": 3}}))
    write("documents", "anchors.yaml", "a: &x [1, 2]\nb: *x\nc: {<<: {d: 1}}\n")
    write("documents", "tags.yaml", "a: !!str 1\nb: 0x1F\nc: .inf\nd: ~\ne: 2026-11-23\n")


def decide():
    for f in sorted(glob.glob(os.path.join(ROOT, "tests", "decision", "vectors", "*.json"))):
        base = os.path.basename(f)[:-5]
        for i, case in enumerate(json.load(open(f))):
            # Every fourth case: the vectors differ mostly in numbers, which libFuzzer mutates.
            if i % 4 == 0:
                write("decide", "%s-%03d.json" % (base, i), json.dumps(case["input"]))


def recordings():
    write("csv_recording", "celery-arrivals.csv", head_lines("examples/recordings/celery-arrivals.csv", 40))
    write("csv_recording", "web-api-demand.csv", head_lines("examples/recordings/web-api-demand.csv", 40))
    write("csv_recording", "rfc3339.csv",
          "timestamp,metric,value\n2026-11-23T08:00:00Z,backlog,3\n2026-11-23T08:00:15.250+01:00,"
          "cpu,+Inf\n\"2026-11-23T08:01:00\",\"rps\",NaN\r\n# comment\n\n1795000000,rps,1e3\n")
    series = lambda labels, points: {"metric": labels, "values": points}
    answer = {"status": "success", "data": {"resultType": "matrix", "result": [
        series({"__name__": "backlog"}, [[1795000000, "1"], [1795000015.5, "2.5"]]),
        series({"ebb_metric": "rps", "job": "web"}, [[1795000000, "NaN"], [1795000030, "+Inf"]]),
    ]}}
    write("prometheus_recording", "matrix.json", json.dumps(answer))
    write("prometheus_recording", "unnamed.json", json.dumps(
        {"status": "success", "data": {"resultType": "matrix", "result": [series({}, [[1, "0"]])]}}))
    write("prometheus_recording", "error.json",
          json.dumps({"status": "error", "errorType": "bad_data", "error": "parse error"}))


def prometheus_response():
    # First byte: HTTP status (index into the target's table; 0x80 sets emptyAsZero).
    ok, bad = b"\x00", b"\x07"
    vec = lambda *samples: json.dumps({"status": "success", "data": {
        "resultType": "vector", "result": [{"metric": m, "value": [1795000000.5, v]}
                                           for m, v in samples]}}).encode()
    write("prometheus_response", "vector", ok + vec(({}, "12.5")))
    write("prometheus_response", "vector-two", ok + vec(({"pod": "a"}, "1"), ({"pod": "b"}, "2")))
    write("prometheus_response", "vector-empty", b"\x80" + vec())
    write("prometheus_response", "nan", ok + vec(({}, "NaN")))
    write("prometheus_response", "scalar", ok + json.dumps({"status": "success", "data": {
        "resultType": "scalar", "result": [1795000000, "3"]}}).encode())
    write("prometheus_response", "matrix", ok + json.dumps({"status": "success", "data": {
        "resultType": "matrix", "result": []}}).encode())
    write("prometheus_response", "error", b"\x05" + json.dumps(
        {"status": "error", "errorType": "bad_data", "error": "1:5: parse error"}).encode())
    write("prometheus_response", "html-503",
          bad + b"<html><body><h1>503 Service Unavailable</h1>" + b"x" * 150 +
          "caf\u00e9 d\u00e9j\u00e0 vu</body></html>".encode())


def redis_reply():
    # First byte: which scaler (0 lists, 1 celery with unacked, 2 stream length, 3 pending).
    unacked = json.dumps([{"body": "e30="}, "reports", "reports.daily"])
    write("redis_reply", "lists", b"\x00:3\r\n:4\r\n")
    write("redis_reply", "lists-wrongtype",
          b"\x00:3\r\n-WRONGTYPE Operation against a key holding the wrong kind of value\r\n")
    celery = b"".join(b":%d\r\n" % n for n in range(8))
    write("redis_reply", "celery-unacked", b"\x01" + celery +
          b"*1\r\n$%d\r\n%s\r\n" % (len(unacked), unacked.encode()) +
          b"*1\r\n$%d\r\n%s\r\n" % (len("reports.#\x06\x16\x06\x16reports"),
                                    "reports.#\x06\x16\x06\x16reports".encode()))
    write("redis_reply", "celery-noauth", b"\x01-NOAUTH Authentication required.\r\n" + celery)
    write("redis_reply", "xlen", b"\x02:17\r\n")
    write("redis_reply", "xpending", b"\x03*4\r\n:2\r\n$3\r\n1-0\r\n$3\r\n2-0\r\n*1\r\n*2\r\n"
          b"$1\r\nc\r\n$1\r\n2\r\n")
    write("redis_reply", "nogroup", b"\x03-NOGROUP No such key 'events' or consumer group\r\n")
    write("redis_reply", "err-latin1", b"\x02-ERR caf\xe9\r\n")


def kube_objects():
    for f in sorted(glob.glob(os.path.join(ROOT, "tests", "kube", "fixtures", "*.json"))):
        write("kube_objects", os.path.basename(f), read(f))
    a = {"apiVersion": "ebb.dev/v1alpha1", "kind": "Autoscaler",
         "metadata": {"name": "web", "namespace": "shop", "generation": 3},
         "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                  "minReplicas": 1, "maxReplicas": 10,
                  "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {
                      "type": "Utilization", "averageUtilization": 60}}}]},
         "status": {"conditions": [{"type": "AbleToScale", "status": "True",
                                    "lastTransitionTime": "2026-11-23T08:00:00Z"}],
                    "decisionState": {"recommendations": [
                        {"time": "2026-11-23T08:00:00Z", "replicas": 3}]}}}
    write("kube_objects", "autoscaler.json", json.dumps(a))
    write("kube_objects", "scale.json", json.dumps({
        "kind": "Scale", "apiVersion": "autoscaling/v1",
        "metadata": {"name": "web", "resourceVersion": "123"},
        "spec": {"replicas": 3}, "status": {"replicas": 3, "selector": "app=web"}}))
    pod = lambda name, ready: {
        "metadata": {"name": name},
        "spec": {"containers": [{"name": "app", "resources": {"requests": {
            "cpu": "250m", "memory": "64Mi"}}}],
            "initContainers": [{"name": "proxy", "restartPolicy": "Always",
                                "resources": {"requests": {"cpu": "50m"}}}]},
        "status": {"phase": "Running", "startTime": "2026-11-23T08:00:00Z", "conditions": [
            {"type": "Ready", "status": ready, "lastTransitionTime": "2026-11-23T08:00:10Z"}]}}
    write("kube_objects", "podlist.json", json.dumps(
        {"kind": "PodList", "items": [pod("web-1", "True"), pod("web-2", "False")]}))
    write("kube_objects", "podmetrics.json", json.dumps({"kind": "PodMetricsList", "items": [
        {"metadata": {"name": "web-1"}, "timestamp": "2026-11-23T08:00:00Z", "window": "30s",
         "containers": [{"name": "app", "usage": {"cpu": "120m", "memory": "50Mi"}}]},
        {"metadata": {"name": "web-2"}, "timestamp": "2026-11-23T08:00:00Z", "window": "15.5s",
         "containers": [{"name": "app", "usage": {"cpu": "1", "memory": "1Gi"}}]}]}))
    write("kube_objects", "apiresourcelist.json", json.dumps({
        "kind": "APIResourceList", "groupVersion": "apps/v1", "resources": [
            {"name": "deployments", "namespaced": True, "kind": "Deployment"},
            {"name": "deployments/scale", "namespaced": True, "kind": "Scale"},
            {"name": "statefulsets", "namespaced": True, "kind": "StatefulSet"}]}))
    write("kube_objects", "status.json", json.dumps({
        "kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "Forbidden", "code": 403,
        "message": "deployments.apps \"web\" is forbidden: User \"system:serviceaccount:ebb:ebb\" "
                   "cannot get resource \"deployments/scale\""}))


def small_text():
    for i, q in enumerate(["500m", "2", "1Ki", "1e3", "0.0001", "-1.5Gi", "9223372036854775807m",
                           "1E+18", "+.5", "100n", "12u", "3.000000001G", " 7 ", "1.", "0x10"]):
        write("quantity", "%02d" % i, q)
    for i, t in enumerate(["300", "5m0s", "1h30m", "500ms", "2s", "0", "2147483648",
                           "2026-11-23T08:00:00Z", "2026-11-23T08:00:00.123+01:00",
                           "2026-02-29T23:59:60z", "1970-01-01 00:00:00", "9999-12-31T23:59:59.999-23:59"]):
        write("duration", "%02d" % i, t)
    write("kubeconfig", "kubeconfig.yaml", """apiVersion: v1
kind: Config
current-context: dev
contexts:
- name: dev
  context: {cluster: local, user: admin, namespace: jobs}
clusters:
- name: local
  cluster:
    server: https://127.0.0.1:6443/
    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==
    insecure-skip-tls-verify: false
users:
- name: admin
  user:
    token: abc.def
    client-certificate: certs/client.crt
    client-key-data: a2V5
""")
    write("kubeconfig", "exec.yaml", """current-context: c
contexts: [{name: c, context: {cluster: k, user: u}}]
clusters: [{name: k, cluster: {server: "http://[::1]:8080"}}]
users: [{name: u, user: {exec: {command: aws}}}]
""")


def main():
    documents()
    decide()
    recordings()
    prometheus_response()
    redis_reply()
    kube_objects()
    small_text()
    total = sum(os.path.getsize(os.path.join(dp, f))
                for dp, _, fs in os.walk(CORPUS) for f in fs)
    print("fuzz/corpus: %d bytes" % total, file=sys.stderr)


if __name__ == "__main__":
    main()
