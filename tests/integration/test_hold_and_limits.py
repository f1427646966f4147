"""The daemon acks as soon as it no longer needs the process, so
nothing slow (a debuginfod that takes seconds to answer) ever lengthens the
hold; and warnings about bad input are rate-limited, so a flood cannot fill
the log."""
import http.server
import os
import signal
import socket
import subprocess
import threading
import time

import pytest

from conftest import PROGRAMS, run_plain, run_shim, wait_for

SLOW_S = 3.0


class SlowDebuginfod:
    """Answers every request after SLOW_S seconds with 404: a debuginfod
    that is far away or overloaded."""

    def __init__(self):
        self.requests = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                outer.requests.append(self.path)
                time.sleep(SLOW_S)
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def slow_debuginfod():
    srv = SlowDebuginfod()
    yield srv
    srv.stop()


def test_slow_debuginfod_never_lengthens_the_hold(tmp_path, make_daemon, slow_debuginfod):
    """A stripped binary whose debug info is asked of a debuginfod that
    takes 3 s: the crashing program still dies at once (the download
    happens after the ack), and its event comes afterwards."""
    prog = tmp_path / "app"
    build_id = os.urandom(20).hex()                    # nobody has its debug info
    subprocess.run(["gcc", "-g", "-O0", f"-Wl,--build-id=0x{build_id}", "-o", str(prog),
                    os.path.join(PROGRAMS, "crash_null.c")], check=True)
    subprocess.run(["objcopy", "--strip-all", str(prog)], check=True)
    d = make_daemon(f"debuginfod_urls = {slow_debuginfod.url}",
                    env={"DEBUGINFOD_CACHE_PATH": str(tmp_path / "cache"),
                         "DEBUGINFOD_TIMEOUT": "30"})
    plain = run_plain(str(prog))
    t0 = time.monotonic()
    res, pid = run_shim(str(prog), sock=d.socket)
    died_after = time.monotonic() - t0
    assert res.returncode == plain.returncode == -signal.SIGSEGV
    assert died_after < 1.5, f"held {died_after:.2f} s: the hold waited for debuginfod"
    ev = d.event_for_pid(pid, timeout=4 * SLOW_S + 10)
    assert any(build_id in r for r in slow_debuginfod.requests), slow_debuginfod.requests
    spooled_after = time.monotonic() - t0
    assert spooled_after >= SLOW_S, spooled_after          # the lookup came after the ack
    top = ev["stacktrace"][-1]
    assert top["module"] == str(prog) == top["filename"] and top["lineno"] == 0   # nothing found


def test_a_flood_of_garbage_is_logged_rate_limited(programs, daemon):
    """300 malformed records in a burst: each is dropped, the daemon keeps
    serving, and the log holds one warning about them, not 300."""
    for _ in range(300):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        s.connect(daemon.socket)
        s.send(b"not a booboo record")
        s.close()
    prog = programs.build("crash_null.c")
    res, pid = run_shim(prog, sock=daemon.socket)
    assert res.returncode == -signal.SIGSEGV
    assert daemon.event_for_pid(pid)["exception_type"] == "SIGSEGV"
    assert wait_for(lambda: "dropped a record" in daemon.log(), 5), daemon.log()
    assert daemon.log().count("dropped a record") == 1, daemon.log()
    assert daemon.alive()
