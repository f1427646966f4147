"""A real HTTP ingest server on loopback that records what it receives.

Responses are scripted per request: a queue of (status, headers, body)
tuples; when it is empty the default (200) answers.  Used in-process by the
tests (start(), then .requests, .events, .handshakes).
"""
import http.server
import json
import threading


class Ingest:
    def __init__(self, port=0):
        self.requests = []
        self.responses = []
        self.lock = threading.Lock()
        ingest = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = None
                with ingest.lock:
                    ingest.requests.append({"path": self.path, "headers": dict(self.headers),
                                            "body": body, "raw": raw})
                    status, headers, reply = (ingest.responses.pop(0) if ingest.responses
                                              else (200, {}, {"ok": True}))
                data = json.dumps(reply).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in headers.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def script(self, *responses):
        """Queue responses: ints, or (status, headers, body) tuples."""
        with self.lock:
            for r in responses:
                self.responses.append((r, {}, {"detail": f"status {r}"}) if isinstance(r, int) else r)

    @property
    def events(self):
        with self.lock:
            return [r["body"] for r in self.requests
                    if isinstance(r["body"], dict) and not r["body"].get("handshake")]

    @property
    def handshakes(self):
        with self.lock:
            return [r for r in self.requests
                    if isinstance(r["body"], dict) and r["body"].get("handshake")]


if __name__ == "__main__":
    import sys, time
    ing = Ingest(int(sys.argv[1]) if len(sys.argv) > 1 else 0).start()
    print(ing.port, flush=True)
    while True:
        time.sleep(1)
