#!/usr/bin/env python3
"""A small custom.metrics.k8s.io (v1beta2 and v1beta1) and external.metrics.k8s.io (v1beta1)
adapter for tests, registered through the API server's aggregation layer (APIServices), so ebb
reads them the production way.
usage: custom_metrics_server.py PORT CERT KEY DATA_DIR
DATA_DIR/<namespace>.json, re-read on every request (tests write their own namespace's file):
  {"custom":   [{"resource": "pods", "name": "web-1", "metric": "queue_length", "value": "7",
                 "labels": {"queue": "a"}, "objectLabels": {"app": "web"}}, ...],
   "external": [{"metric": "queue_depth", "value": "30", "labels": {"queue": "a"}}, ...]}
`resource` is the path's resource ("pods", "deployments.apps"; "namespaces" with the namespace's
name for the namespace metric). `labels` are the series' labels, matched against the metric
label selector (metricLabelSelector; external: labelSelector); `objectLabels`, when given, are
matched against labelSelector of a `*` (all objects) query. Every request is appended to
DATA_DIR/<namespace>.requests ("<path>?<query>"), so tests can see the version and selectors."""
import json, os, re, ssl, sys, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

port, cert, key, data_dir = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
CUSTOM, EXTERNAL = "custom.metrics.k8s.io", "external.metrics.k8s.io"


class BadSelector(Exception):
    pass


def parse_selector(text):
    """labels.Parse for the forms ebb and kubectl print: k=v, k==v, k!=v, k in (a,b),
    k notin (a,b), k, !k; comma-separated. Returns a predicate over a label dict."""
    reqs = []
    parts, depth, cur = [], 0, ""
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    if cur.strip() or parts:
        parts.append(cur)
    for p in parts:
        p = p.strip()
        m = re.fullmatch(r"([\w./-]+)\s+(in|notin)\s+\(([^()]*)\)", p)
        if m:
            vals = {v.strip() for v in m.group(3).split(",")}
            if "" in vals:
                raise BadSelector(p)
            k, op = m.group(1), m.group(2)
            reqs.append(lambda l, k=k, vals=vals, op=op: (l.get(k) in vals) == (op == "in"))
            continue
        m = re.fullmatch(r"([\w./-]+)\s*(==|=|!=)\s*([\w.-]*)", p)
        if m:
            k, op, v = m.groups()
            reqs.append(lambda l, k=k, v=v, op=op: (l.get(k) == v) if op != "!=" else (l.get(k) != v))
            continue
        m = re.fullmatch(r"(!?)([\w./-]+)", p)
        if m:
            neg, k = m.groups()
            reqs.append(lambda l, k=k, neg=neg: (k in l) != bool(neg))
            continue
        raise BadSelector(p)
    return lambda labels: all(r(labels) for r in reqs)


def load(ns):
    try:
        with open(os.path.join(data_dir, ns + ".json")) as f:
            return json.load(f)
    except Exception:
        return {}


def now():
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


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

    def status(self, code, reason, message):
        return self.reply(code, {"kind": "Status", "apiVersion": "v1", "status": "Failure", "code": code,
                                 "reason": reason, "message": message})

    def do_GET(self):
        url = urlsplit(self.path)
        path = url.path.rstrip("/")
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        for gv in (CUSTOM + "/v1beta2", CUSTOM + "/v1beta1", EXTERNAL + "/v1beta1"):
            if path == "/apis/" + gv:
                return self.reply(200, {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv,
                                        "resources": [{"name": "*", "singularName": "", "namespaced": True,
                                                       "kind": "MetricValueList", "verbs": ["get", "list"]}]})
        segs = [unquote(s) for s in path.split("/")]
        # /apis/GROUP/VERSION/namespaces/NS/...
        if len(segs) < 7 or segs[1] != "apis" or segs[4] != "namespaces":
            return self.status(404, "NotFound", "not found: " + path)
        group, version, ns, rest = segs[2], segs[3], segs[5], segs[6:]
        with open(os.path.join(data_dir, ns + ".requests"), "a") as f:
            f.write(url.path + ("?" + url.query if url.query else "") + "\n")
        data = load(ns)
        try:
            if group == EXTERNAL and version == "v1beta1" and len(rest) == 1:
                return self.external(ns, rest[0], query, data)
            if group == CUSTOM and version in ("v1beta1", "v1beta2"):
                return self.custom(version, ns, rest, query, data)
        except BadSelector as e:
            return self.status(400, "BadRequest", "unable to parse requirement: " + str(e))
        return self.status(404, "NotFound", "not found: " + path)

    def external(self, ns, metric, query, data):
        match = parse_selector(query.get("labelSelector", ""))
        items = [{"metricName": metric, "metricLabels": e.get("labels", {}), "timestamp": now(),
                  "value": e["value"]}
                 for e in data.get("external", [])
                 if e.get("metric") == metric and match(e.get("labels", {}))]
        if not items:
            return self.status(404, "NotFound", "the server could not find the metric %s" % metric)
        return self.reply(200, {"kind": "ExternalMetricValueList", "apiVersion": EXTERNAL + "/v1beta1",
                                "metadata": {}, "items": items})

    def custom(self, version, ns, rest, query, data):
        if len(rest) == 2 and rest[0] == "metrics":  # the namespace's own metric
            resource, name, metric = "namespaces", ns, rest[1]
        elif len(rest) == 3:
            resource, name, metric = rest
        else:
            return self.status(404, "NotFound", "not found")
        match_metric = parse_selector(query.get("metricLabelSelector", ""))
        match_object = parse_selector(query.get("labelSelector", ""))
        items = []
        for e in data.get("custom", []):
            if e.get("resource") != resource or e.get("metric") != metric:
                continue
            if name == "*":
                if "objectLabels" in e and not match_object(e["objectLabels"]):
                    continue
            elif e.get("name") != name:
                continue
            if not match_metric(e.get("labels", {})):
                continue
            kind = {"pods": "Pod", "namespaces": "Namespace"}.get(resource, resource.split(".")[0].title())
            item = {"describedObject": {"kind": kind, "namespace": ns, "name": e.get("name"),
                                        "apiVersion": "/v1"},
                    "timestamp": now(), "value": e["value"]}
            if version == "v1beta2":
                item["metric"] = {"name": metric}
                item["windowSeconds"] = 30
            else:
                item["metricName"] = metric
                item["window"] = 30
            items.append(item)
        if not items and name != "*":
            return self.status(404, "NotFound", "the server could not find the metric %s for %s %s"
                               % (metric, resource, name))
        return self.reply(200, {"kind": "MetricValueList", "apiVersion": CUSTOM + "/" + version,
                                "metadata": {}, "items": items})


srv = ThreadingHTTPServer(("0.0.0.0", port), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
srv.serve_forever()
