#!/usr/bin/env python3
"""A thin fault-injecting HTTP proxy for tests: requests go to a real server (Prometheus) unless
their target or body contains a fault's substring, which then gets the fault's answer instead.

usage: http_fault_proxy.py UPSTREAM_URL PORT_FILE [SUBSTRING=FAULT ...]
faults:
  html503   503 with an HTML error page (as a proxy or load balancer sends) whose bytes 199-201
            are one three-byte character, so a 200-byte quote cuts it in the middle
  huge      200 with a JSON body of 17 MiB (over a 16 MiB response cap)
The bound port is written to PORT_FILE once the proxy accepts connections.
"""
import http.server
import os
import socketserver
import sys
import urllib.error
import urllib.parse
import urllib.request


def html503():
    head = b"<html><head><title>503 Service Unavailable</title></head><body><h1>"
    pad = b"x" * (199 - len(head))
    # U+20AC EURO SIGN is E2 82 AC: bytes 199, 200, 201.
    body = head + pad + "\u20ac".encode() + b" Service momentan nicht verf\xc3\xbcgbar</h1></body></html>"
    assert body[199:202] == "\u20ac".encode()
    return 503, "text/html; charset=utf-8", body


def huge():
    filler = b" " * (17 << 20)
    return 200, "application/json", b'{"status":"success","data":' + filler + b"}"


FAULTS = {"html503": html503, "huge": huge}


def main():
    upstream, port_file = sys.argv[1].rstrip("/"), sys.argv[2]
    rules = []
    for arg in sys.argv[3:]:
        substring, fault = arg.rsplit("=", 1)
        rules.append((substring, FAULTS[fault]))

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def handle_any(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            # Matched against the decoded target and form body: a query's text, GET or POST.
            seen = urllib.parse.unquote(self.path) + " " + urllib.parse.unquote_plus(
                body.decode("latin-1"))
            for substring, fault in rules:
                if substring in seen:
                    status, ctype, payload = fault()
                    return self.reply(status, ctype, payload)
            req = urllib.request.Request(upstream + self.path, data=body or None,
                                         method=self.command)
            for h in ("Content-Type", "Accept", "Authorization"):
                if self.headers.get(h):
                    req.add_header(h, self.headers[h])
            try:
                with urllib.request.urlopen(req, timeout=10) as r:
                    self.reply(r.status, r.headers.get("Content-Type", ""), r.read())
            except urllib.error.HTTPError as e:
                self.reply(e.code, e.headers.get("Content-Type", ""), e.read())

        def reply(self, status, ctype, payload):
            self.send_response(status)
            if ctype:
                self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = handle_any
        do_POST = handle_any

    class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
        daemon_threads = True

        def handle_error(self, request, client_address):
            # A client refusing an oversized answer resets the connection: expected, not news.
            if not isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
                super().handle_error(request, client_address)

    server = Server(("127.0.0.1", 0), Handler)
    with open(port_file + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(port_file + ".tmp", port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
