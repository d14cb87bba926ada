#!/usr/bin/env python3
"""A recording HTTP proxy for the AWS provider's request tests.

Listens on 127.0.0.1:PORT. A request matching one of the canned answers (--canned, a JSON
list of {"method", "path" (a regular expression matched against the whole raw path),
"status", "body"}) is answered by the proxy and recorded; any other request is forwarded to
UPSTREAM (moto_server) unchanged. This lets a test drive the provider through calls
moto_server does not implement and still see the exact request the provider sent.

Each canned request is appended to --record as one JSON line:
{"method", "path" (raw, percent-encoded as sent), "query" (raw string), "body" (text)}.
"""
import argparse
import http.client
import http.server
import json
import re
import socketserver
import threading

parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, required=True)
parser.add_argument("--upstream", required=True, help="host:port of moto_server")
parser.add_argument("--canned", required=True, help="a JSON file: the answered requests")
parser.add_argument("--record", required=True, help="where the answered requests are written")
args = parser.parse_args()

with open(args.canned) as f:
    canned = [(c["method"], re.compile(c["path"]), c.get("status", 200), json.dumps(c.get("body", {})).encode()) for c in json.load(f)]
lock = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        path, _, query = self.path.partition("?")
        for method, pattern, status, answer in canned:
            if method == self.command and pattern.fullmatch(path):
                with lock, open(args.record, "a") as f:
                    f.write(json.dumps({"method": self.command, "path": path, "query": query, "body": body.decode()}) + "\n")
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)
                return
        host, port = args.upstream.split(":")
        upstream = http.client.HTTPConnection(host, int(port), timeout=60)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection",)}
        upstream.request(self.command, self.path, body=body, headers=headers)
        response = upstream.getresponse()
        data = response.read()
        self.send_response(response.status)
        for k, v in response.getheaders():
            if k.lower() not in ("transfer-encoding", "connection", "content-length", "server", "date"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        upstream.close()

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = handle_any


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


Server(("127.0.0.1", args.port), Handler).serve_forever()
