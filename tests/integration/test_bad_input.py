"""Bad input the daemon meets after a crash, not on its socket: debug info
that is corrupt (a damaged file, a bad disk, a hostile binary) and an
ingest that answers with things that are not HTTP or not JSON.  Each gets a
report or a clear log line, the daemon keeps serving, nothing sent is
invalid (events are valid UTF-8 whatever the debug info held)."""
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import threading
import time

import pytest

from conftest import PROGRAMS, Ingest, free_port, run_plain, run_shim, wait_for

TOKEN = "tok_5e4d3c2b1a"


def section(path, name):
    out = subprocess.run(["readelf", "-S", "-W", str(path)], capture_output=True,
                         text=True).stdout
    m = re.search(r"\] " + re.escape(name) + r"\s+\S+\s+\S+\s+([0-9a-f]+)\s+([0-9a-f]+)", out)
    assert m, f"no {name} in {path}"
    return int(m.group(1), 16), int(m.group(2), 16)


def corrupt(src, dst, name, seed):
    """A copy of src with a quarter of section `name`'s bytes randomized."""
    data = bytearray(open(src, "rb").read())
    off, size = section(src, name)
    rnd = random.Random(seed)
    for _ in range(max(1, size // 4)):
        data[off + rnd.randrange(size)] = rnd.randrange(256)
    open(dst, "wb").write(data)
    os.chmod(dst, 0o755)


@pytest.mark.parametrize("name", [".debug_info", ".debug_abbrev", ".debug_line", ".debug_str"])
@pytest.mark.parametrize("seed", [1, 2])
def test_corrupt_debug_info_still_gives_a_report(tmp_path, programs, daemon, name, seed):
    full = tmp_path / "app"
    build_id = os.urandom(20).hex()                    # never cached under another name
    subprocess.run(["gcc", "-g", "-O0", f"-Wl,--build-id=0x{build_id}", "-o", str(full),
                    os.path.join(PROGRAMS, "crash_null.c")], check=True)
    bad = tmp_path / "bad"
    corrupt(full, bad, name, seed)
    plain = run_plain(str(bad))
    res, pid = run_shim(str(bad), sock=daemon.socket)
    assert res.returncode == plain.returncode == -signal.SIGSEGV
    ev = daemon.event_for_pid(pid)
    assert ev["exception_type"] == "SIGSEGV"
    assert re.match(r"SIGSEGV: invalid (read|write) at 0x8 \(address not mapped\)", ev["message"])
    assert ev["stacktrace"] and ev["stacktrace"][-1]["module"] == str(bad)
    # what was stored is valid UTF-8, whatever bytes the strings held
    files = [p for p in daemon.event_files() if f'"pid":{pid},' in open(p, "rb").read().decode()]
    assert files
    open(files[0], "rb").read().decode("utf-8")          # raises on invalid UTF-8
    assert daemon.alive()
    # and it keeps serving: a sound program right after is fully symbolized
    ok, pid2 = run_shim(programs.build("crash_null.c"), sock=daemon.socket)
    assert daemon.event_for_pid(pid2)["stacktrace"][-1]["function"] == "credit"


class GarbageServer:
    """Accepts TCP connections and answers each with bytes that are not
    HTTP, then closes: a wrong port, a broken proxy."""

    def __init__(self, port):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", port))
        self.sock.listen(16)
        self.hits = 0
        self.stopped = False
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while not self.stopped:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.hits += 1
            try:
                c.recv(65536)
                c.sendall(b"SSH-2.0-OpenSSH_9.2\r\n\x00\xff\xfe garbage\r\n\r\n")
            except OSError:
                pass
            c.close()

    def stop(self):
        self.stopped = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)       # wakes the accept()
        except OSError:
            pass
        self.sock.close()


def test_an_answer_that_is_not_http_is_retried_until_the_ingest_is_back(programs, make_daemon):
    port = free_port()
    bad = GarbageServer(port)
    try:
        d = make_daemon(dsn=f"http://{TOKEN}@127.0.0.1:{port}/p")
        res, pid = run_shim(programs.build("crash_null.c"), sock=d.socket)
        assert wait_for(lambda: d.event_files("pending"), 10)
        assert wait_for(lambda: bad.hits >= 2 and "will retry" in d.log(), 15), d.log()
        assert not d.event_files("rejected")         # a network error, not a verdict
    finally:
        bad.stop()
    srv = Ingest(port).start()
    try:
        assert wait_for(lambda: srv.accepted, 30), d.log()
        assert srv.accepted[0]["context"]["process"]["pid"] == pid
        assert wait_for(lambda: d.event_files("sent"), 10)
    finally:
        srv.stop()
    assert d.alive() and TOKEN not in d.log()


def test_a_rejection_with_a_hostile_body_is_logged_cleanly(programs, make_daemon, ingest):
    """400 with an HTML body full of control characters and a terminal
    escape: the event is set aside once, the reason is logged on one line
    and without the control characters."""
    body = b"<html>\x1b[2J\x1b[31mBad\rRequest\x07\nline two\x00tail</html>"
    ingest.script(200, (400, {"Content-Type": "text/html"}, body))
    d = make_daemon(dsn=f"http://{TOKEN}@127.0.0.1:{ingest.port}/p")
    assert wait_for(lambda: ingest.handshakes, 10)
    run_shim(programs.build("crash_null.c"), sock=d.socket)
    assert wait_for(lambda: d.event_files("rejected"), 15), d.log()
    time.sleep(2)
    assert len(ingest.posts) == 1                    # never retried
    lines = [line for line in d.log().splitlines() if "HTTP 400" in line]
    assert lines, d.log()
    assert "<html>" in lines[0] and "Bad" in lines[0]
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", lines[0]), repr(lines[0])
    assert d.alive() and TOKEN not in d.log()


@pytest.mark.parametrize("descsz", [0xfffffffd, 0x1000, 0])
def test_a_malformed_build_id_note_is_refused(tmp_path, programs, daemon, descsz):
    """The build-id note of a crashing binary claims a descriptor size that
    is absurd (past the note, wrapping 32 bits) or empty: the module has no
    build-id rather than bytes read from beyond the note, and the report
    and the daemon go on."""
    prog = tmp_path / "app"
    shutil.copy(programs.build("crash_null.c"), prog)
    off, _ = section(prog, ".note.gnu.build-id")
    data = bytearray(open(prog, "rb").read())
    data[off + 4:off + 8] = descsz.to_bytes(4, "little")      # n_namesz, n_descsz, n_type, "GNU"
    open(prog, "wb").write(data)
    res, pid = run_shim(str(prog), sock=daemon.socket)
    assert res.returncode == -signal.SIGSEGV
    ev = daemon.event_for_pid(pid)
    mod = [m for m in ev["context"]["modules"] if m["path"] == str(prog)][0]
    assert mod["build_id"] == "", mod
    assert ev["stacktrace"][-1]["function"] == "credit"          # still symbolized
    libc = [m for m in ev["context"]["modules"] if "libc.so" in m["path"]][0]
    assert re.fullmatch(r"[0-9a-f]{40}", libc["build_id"])      # the sound ones still are
    assert daemon.alive()
