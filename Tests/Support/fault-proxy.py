#!/usr/bin/env python3
"""A fault-injecting HTTP proxy for the AWS provider's tests.

Listens on 127.0.0.1:PORT and forwards every request to UPSTREAM (moto_server). A share of the
requests (--rate, 0.2 = 20 %) are answered by the proxy itself, without reaching moto, with the
error an AWS endpoint sends when it is overloaded, in the request's own protocol:

- JSON services (an X-Amz-Target header): 400 ThrottlingException
- S3 (REST-XML, no Action): 503 SlowDown
- Query/EC2 services: 503 RequestLimitExceeded / 400 Throttling / 500 InternalError in turn

The same request (method, path, body) is failed at most --max-run times in a row, so that a
client with a retry budget of five attempts always gets through: the test is about retries
converging, not about luck. Every injected fault is counted; the counts are written as JSON to
--report on each fault (one line: {"forwarded": n, "faulted": m}).
"""
import argparse
import hashlib
import http.client
import http.server
import json
import random
import socketserver
import threading

parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, required=True)
parser.add_argument("--upstream", required=True, help="host:port of moto_server")
parser.add_argument("--rate", type=float, default=0.2)
parser.add_argument("--max-run", type=int, default=2)
parser.add_argument("--seed", type=int, default=7)
parser.add_argument("--report", required=True)
args = parser.parse_args()

lock = threading.Lock()
rng = random.Random(args.seed)
counts = {"forwarded": 0, "faulted": 0}
runs = {}  # request key -> faults in a row
query_faults = [
    (503, "RequestLimitExceeded", "Request limit exceeded."),
    (400, "Throttling", "Rate exceeded"),
    (500, "InternalError", "An internal error has occurred"),
]


def write_report():
    with open(args.report, "w") as f:
        json.dump(counts, f)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *_):
        pass

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        key = hashlib.sha256(self.command.encode() + self.path.encode() + body).hexdigest()
        with lock:
            fault = rng.random() < args.rate and runs.get(key, 0) < args.max_run
            if fault:
                runs[key] = runs.get(key, 0) + 1
                counts["faulted"] += 1
                kind = counts["faulted"]
            else:
                runs.pop(key, None)
                counts["forwarded"] += 1
            write_report()
        if fault:
            self.send_fault(body, kind)
        else:
            self.forward(body)

    def send_fault(self, body, kind):
        if self.headers.get("X-Amz-Target"):
            status, payload, ctype = 400, json.dumps({"__type": "ThrottlingException", "message": "Rate exceeded"}).encode(), "application/x-amz-json-1.1"
        elif b"Action=" not in body and "Action=" not in self.path:
            status, ctype = 503, "application/xml"
            payload = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message><RequestId>fault</RequestId></Error>"
        else:
            status, code, message = query_faults[kind % len(query_faults)]
            ctype = "text/xml"
            payload = (f"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Errors><Error><Code>{code}</Code>"
                       f"<Message>{message}</Message></Error></Errors><RequestID>fault</RequestID></Response>").encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def forward(self, body):
        host, port = args.upstream.rsplit(":", 1)
        connection = http.client.HTTPConnection(host, int(port), timeout=60)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection", "keep-alive")}
        connection.request(self.command, self.path, body=body if body else None, headers=headers)
        answer = connection.getresponse()
        payload = answer.read()
        self.send_response(answer.status)
        for k, v in answer.getheaders():
            if k.lower() in ("transfer-encoding", "connection", "content-length", "server", "date"):
                continue
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)
        connection.close()

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = handle_any


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


write_report()
Server(("127.0.0.1", args.port), Handler).serve_forever()
