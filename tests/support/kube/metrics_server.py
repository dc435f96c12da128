#!/usr/bin/env python3
"""A small metrics.k8s.io/v1beta1 server for tests, registered through the API server's
aggregation layer (APIService), so ebb reads pod metrics the production way.
usage: metrics_server.py PORT CERT KEY METRICS_JSON
METRICS_JSON: {"<namespace>": {"<pod>": {"<container>": {"cpu": "180m", "memory": "64Mi"}}}},
re-read on every request, so tests change the values by rewriting the file. A namespace's
entry may also come from METRICS_JSON.d/<namespace>.json ({"<pod>": {...}}), which wins, so tests
running at the same time need not share one file."""
import json, ssl, sys, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

port, cert, key, data_file = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
GV = "metrics.k8s.io/v1beta1"

class H(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def reply(self, code, obj):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        path = self.path.split("?", 1)[0].rstrip("/")
        if path == "/apis/" + GV:
            return self.reply(200, {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": GV,
                                    "resources": [{"name": "pods", "singularName": "", "namespaced": True,
                                                   "kind": "PodMetrics", "verbs": ["get", "list"]}]})
        if path in ("/apis", "/apis/metrics.k8s.io"):
            g = {"name": "metrics.k8s.io", "versions": [{"groupVersion": GV, "version": "v1beta1"}],
                 "preferredVersion": {"groupVersion": GV, "version": "v1beta1"}}
            return self.reply(200, g if path.endswith("k8s.io") else {"kind": "APIGroupList", "groups": [g]})
        parts = path.split("/")  # /apis/metrics.k8s.io/v1beta1/namespaces/NS/pods
        if len(parts) == 7 and parts[4] == "namespaces" and parts[6] == "pods":
            try:
                data = json.load(open(data_file))
            except Exception:
                data = {}
            ns = parts[5]
            try:
                data[ns] = json.load(open(data_file + ".d/" + ns + ".json"))
            except Exception:
                pass
            now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            items = [{"metadata": {"name": pod, "namespace": ns}, "timestamp": now, "window": "30s",
                      "containers": [{"name": c, "usage": u} for c, u in conts.items()]}
                     for pod, conts in data.get(ns, {}).items()]
            return self.reply(200, {"kind": "PodMetricsList", "apiVersion": GV, "metadata": {}, "items": items})
        return self.reply(404, {"kind": "Status", "apiVersion": "v1", "status": "Failure", "code": 404,
                                "reason": "NotFound", "message": "not found: " + path})

srv = ThreadingHTTPServer(("0.0.0.0", port), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
srv.serve_forever()
