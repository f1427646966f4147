"""A real HTTP ingest server on loopback that records what it receives.

The tests need to see exactly what the daemon sends (path, headers, JSON
body) and to script the server's answers per request, so retries,
Retry-After and rejections can be proven against real HTTP, not a mock.
Used in-process by the tests; run as a script for manual checks.
"""
import http.server
import json
import socket
import threading
import time

from event_check import schema_errors

# A scripted answer that closes the connection without any response: to the
# client it is a network error, like a server crashing mid-request.
DROP = "drop"


class Headers(dict):
    """Request headers; looked up case-insensitively, as HTTP means them."""

    def __init__(self, items):
        super().__init__(items)
        self._lower = {k.lower(): v for k, v in items}

    def __getitem__(self, key):
        return self._lower[key.lower()]

    def __contains__(self, key):
        return isinstance(key, str) and key.lower() in self._lower

    def get(self, key, default=None):
        return self._lower.get(key.lower(), default)


class Ingest:
    """Records every request; answers from a queue of scripted responses,
    then with the default (200 {"ok": true}) when the queue is empty."""

    def __init__(self, port=0, default=(200, {}, {"ok": True})):
        self.requests = []
        self.invalid = []   # events answered 422: what was wrong with each
        self.responses = []
        self.default = default
        self.lock = threading.Lock()
        self.connections = set()
        ingest = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"     # keep-alive, as libcurl prefers

            def setup(self):
                super().setup()
                with ingest.lock:
                    ingest.connections.add(self.connection)

            def finish(self):
                with ingest.lock:
                    ingest.connections.discard(self.connection)
                super().finish()

            def handle_any(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length > 0 else b""
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = None
                errors = ingest.typing_errors(body)
                with ingest.lock:
                    if errors:
                        answer = (422, {}, {"detail": errors})
                        ingest.invalid.append("\n  ".join([self.path, *errors]))
                    else:
                        answer = ingest.responses.pop(0) if ingest.responses else ingest.default
                    ingest.requests.append({
                        "method": self.command, "path": self.path,
                        "headers": Headers(self.headers.items()), "body": body, "raw": raw,
                        "time": time.monotonic(),
                        "status": None if answer == DROP else answer[0]})
                if answer == DROP:
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                status, headers, reply = answer
                data = reply if isinstance(reply, bytes) else json.dumps(reply).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in headers.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            do_POST = do_PUT = do_GET = handle_any

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        """Really down: no new connections, and kept-alive ones are cut too
        (otherwise their handler threads would go on answering)."""
        self.server.shutdown()
        self.server.server_close()
        with self.lock:
            conns = list(self.connections)
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def script(self, *responses):
        """Queue answers, used in order: an int status (body {"detail":
        "status N"}), a (status, headers, body) tuple (body: JSON-able or
        bytes), or DROP."""
        with self.lock:
            for r in responses:
                if isinstance(r, int):
                    r = (r, {}, {"detail": f"status {r}"})
                self.responses.append(r)

    @classmethod
    def typing_errors(cls, body):
        """As booboo's ingest: an event with a field missing, null or of
        another type than the Python SDK's is answered 422 (the schema's
        error paths, in place of its scripted answer)."""
        if not isinstance(body, dict) or cls._is_handshake({"body": body}):
            return []
        return schema_errors(body)

    @staticmethod
    def _is_handshake(r):
        return isinstance(r["body"], dict) and r["body"].get("handshake") is True

    @property
    def handshakes(self):
        with self.lock:
            return [r for r in self.requests if self._is_handshake(r)]

    @property
    def posts(self):
        """Every request that was not a handshake (events, as received)."""
        with self.lock:
            return [r for r in self.requests if not self._is_handshake(r)]

    @property
    def events(self):
        """Bodies of every event request received, whatever the answer."""
        return [r["body"] for r in self.posts if isinstance(r["body"], dict)]

    @property
    def accepted(self):
        """Bodies of the event requests that were answered 2xx."""
        return [r["body"] for r in self.posts if isinstance(r["body"], dict)
                and r["status"] is not None and 200 <= r["status"] < 300]

    def wait(self, pred, timeout=15.0, step=0.02):
        """Poll until pred(self) is true; returns its last value."""
        end = time.monotonic() + timeout
        while True:
            v = pred(self)
            if v or time.monotonic() >= end:
                return v
            time.sleep(step)


def main(argv):
    """ingest_server.py [PORT [STATUS...]]: serve, print the port, then one
    JSON line per request received."""
    port = int(argv[1]) if len(argv) > 1 else 0
    ing = Ingest(port)
    ing.script(*[int(s) for s in argv[2:]])
    ing.start()
    print(ing.port, flush=True)
    seen = 0
    try:
        while True:
            time.sleep(0.2)
            with ing.lock:
                new = ing.requests[seen:]
                seen = len(ing.requests)
            for r in new:
                print(json.dumps({k: r[k] for k in ("method", "path", "headers", "body",
                                                    "status")}), flush=True)
    except KeyboardInterrupt:
        ing.stop()


if __name__ == "__main__":
    import sys
    main(sys.argv)
