"""Spool and delivery to a real HTTP ingest on loopback: the
handshake, the header, retries on network errors, 5xx and 429 (with
Retry-After), 403 set aside once, and the token never logged in full."""
import json
import os
import signal
import time

from conftest import free_port, run_shim, wait_for, Ingest
from ingest_server import DROP

TOKEN = "tok_9f8e7d6c5b4a3210"


def dsn(port):
    return f"http://{TOKEN}@127.0.0.1:{port}/acme/shop"


def crash(programs, daemon):
    prog = programs.build("crash_null.c")
    res, pid = run_shim(prog, sock=daemon.socket)
    assert res.returncode == -signal.SIGSEGV
    return pid


def test_event_posted_with_token_header(programs, make_daemon, ingest):
    d = make_daemon(dsn=dsn(ingest.port), config_extra="environment = staging")
    assert wait_for(lambda: ingest.handshakes, 10), d.log()
    hs = ingest.handshakes[0]
    assert ingest.requests[0] is hs                # the first thing the daemon sends
    assert hs["path"] == "/" and hs["headers"]["Content-Type"] == "application/json"
    assert hs["body"]["sdk"].startswith("booboo-native/")
    assert hs["headers"]["X-Booboo-DSN"] == TOKEN
    pid = crash(programs, d)
    assert wait_for(lambda: ingest.events, 15), d.log()
    req = [r for r in ingest.requests if r["body"] and not r["body"].get("handshake")][0]
    assert req["path"] == "/"                      # the DSN's path is not used
    assert req["headers"]["X-Booboo-DSN"] == TOKEN
    assert req["headers"]["Content-Type"] == "application/json"
    ev = req["body"]
    assert ev["context"]["process"]["pid"] == pid
    assert ev["environment"] == "staging"
    assert "dsn" not in json.dumps(ev).lower() or TOKEN not in json.dumps(ev)
    # spooled first, then moved to sent/
    assert wait_for(lambda: d.event_files("sent"), 10)
    assert not d.event_files("pending")
    assert TOKEN not in d.log(), "the token must never be logged in full"
    assert "tok_" in d.log()                       # a masked form is


def test_ingest_down_then_back(programs, make_daemon):
    port = free_port()
    d = make_daemon(dsn=dsn(port))
    crash(programs, d)
    assert wait_for(lambda: d.event_files("pending"), 10)
    time.sleep(1.5)                                # at least one failed try
    assert d.event_files("pending") and not d.event_files("sent")
    srv = Ingest(port).start()
    try:
        assert wait_for(lambda: srv.events, 30), d.log()
        assert wait_for(lambda: d.event_files("sent"), 10)
    finally:
        srv.stop()
    assert "will retry" in d.log()
    assert TOKEN not in d.log()


def test_500_is_retried(programs, make_daemon, ingest):
    ingest.script(200, 500, 500)                   # handshake, then two failures
    d = make_daemon(dsn=dsn(ingest.port))
    assert wait_for(lambda: ingest.handshakes, 10)
    crash(programs, d)
    assert wait_for(lambda: d.event_files("sent"), 30), d.log()
    posts = ingest.posts
    assert [r["status"] for r in posts] == [500, 500, 200]
    assert posts[0]["raw"] == posts[2]["raw"]      # the same event, unchanged
    assert posts[2]["time"] - posts[1]["time"] > posts[1]["time"] - posts[0]["time"] > 0.5
    assert TOKEN not in d.log()


def test_connection_dropped_mid_request_is_retried(programs, make_daemon, ingest):
    """The server dies while answering: a network error, retried."""
    ingest.script(200, DROP)
    d = make_daemon(dsn=dsn(ingest.port))
    assert wait_for(lambda: ingest.handshakes, 10)
    pid = crash(programs, d)
    assert wait_for(lambda: d.event_files("sent"), 20), d.log()
    assert [r["status"] for r in ingest.posts] == [None, 200]
    assert ingest.accepted[0]["context"]["process"]["pid"] == pid
    assert TOKEN not in d.log()


def test_429_honours_retry_after(programs, make_daemon, ingest):
    ingest.script(200, (429, {"Retry-After": "2"}, {"detail": "quota exhausted"}))
    d = make_daemon(dsn=dsn(ingest.port))
    assert wait_for(lambda: ingest.handshakes, 10)
    crash(programs, d)
    assert wait_for(lambda: len([r for r in ingest.requests if not r["body"].get("handshake")]) >= 1, 10)
    t0 = time.monotonic()
    assert wait_for(lambda: d.event_files("sent"), 20), d.log()
    assert time.monotonic() - t0 >= 1.5            # waited as told, not the 1 s backoff
    assert [r["status"] for r in ingest.posts] == [429, 200]
    assert ingest.posts[1]["time"] - ingest.posts[0]["time"] >= 1.9
    assert "quota exhausted" in d.log()
    assert TOKEN not in d.log()


def test_403_rejected_once_and_kept(programs, make_daemon, ingest):
    ingest.script(200, (403, {}, {"detail": "unknown DSN token"}))
    d = make_daemon(dsn=dsn(ingest.port))
    assert wait_for(lambda: ingest.handshakes, 10)
    crash(programs, d)
    assert wait_for(lambda: d.event_files("rejected"), 15), d.log()
    time.sleep(3)                                  # long enough to see a retry
    assert len(ingest.posts) == 1                  # exactly one POST of it: never retried
    path = d.event_files("rejected")[0]
    kept = json.load(open(path))
    assert kept == ingest.posts[0]["body"]         # the event as it was sent, kept aside
    reason = open(path[:-len(".json")] + ".reason").read()
    assert "403" in reason and "unknown DSN token" in reason
    assert "unknown DSN token" in d.log()
    assert not d.event_files("pending") and not d.event_files("sent")
    assert TOKEN not in d.log()


def test_local_mode_sends_nothing(programs, make_daemon, ingest):
    d = make_daemon(config_extra=f"endpoint = http://127.0.0.1:{ingest.port}/")
    pid = crash(programs, d)
    d.event_for_pid(pid)
    time.sleep(1)
    assert ingest.requests == []
    assert "local mode" in d.log()
    assert d.event_files("pending")


def test_spooled_event_survives_daemon_restart(programs, make_daemon, ingest):
    port = free_port()
    d = make_daemon(dsn=dsn(port))
    crash(programs, d)
    assert wait_for(lambda: d.event_files("pending"), 10)
    assert d.stop() == 0
    srv = Ingest(port).start()
    try:
        d.start()
        assert wait_for(lambda: srv.events, 15), d.log()
    finally:
        srv.stop()


def test_full_disk_keeps_daemon_serving(programs, make_daemon, tmp_path):
    """A spool on a full filesystem: the event is lost with a clear error,
    nothing half-written is left, and the daemon keeps serving."""
    import subprocess
    mnt = tmp_path / "tiny"
    mnt.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mnt)]).returncode:
        import pytest
        pytest.skip("cannot mount a tmpfs here")
    try:
        d = make_daemon(config_extra=f"spool_dir = {mnt}/spool", start=False)
        d.spool = f"{mnt}/spool"
        # the config above has two spool_dir lines: rewrite it cleanly
        lines = [l for l in open(d.config).read().splitlines() if not l.startswith("spool_dir")]
        open(d.config, "w").write("\n".join(lines + [f"spool_dir = {mnt}/spool"]) + "\n")
        d.start()
        with open(mnt / "filler", "wb") as f:
            try:
                f.write(b"x" * (1 << 20))
            except OSError:
                pass
        prog = programs.build("crash_null.c")
        res, _ = run_shim(prog, sock=d.socket)
        assert res.returncode == -signal.SIGSEGV
        assert wait_for(lambda: "cannot spool" in d.log(), 10), d.log()
        assert "no space left" in d.log()
        assert os.listdir(f"{mnt}/spool/tmp") == []
        assert os.listdir(f"{mnt}/spool/pending") == []
        os.unlink(mnt / "filler")
        res, pid = run_shim(prog, sock=d.socket)
        d.event_for_pid(pid)                       # serving again
        d.stop()
    finally:
        subprocess.run(["umount", str(mnt)])


def test_spool_is_bounded(programs, make_daemon):
    """A crash loop cannot fill the disk: past spool_max_events, new events
    are dropped, counted and said so, and the first ones are kept."""
    d = make_daemon("spool_max_events = 3")
    prog = programs.build("crash_null.c")
    pids = []
    for _ in range(5):
        res, pid = run_shim(prog, sock=d.socket)
        assert res.returncode == -signal.SIGSEGV
        pids.append(pid)
    def status():
        try:
            return json.load(open(os.path.join(d.spool, "status.json")))
        except (OSError, ValueError):
            return {}
    assert wait_for(lambda: status().get("spool_full") == 2, 15), d.log()
    kept = sorted(e["context"]["process"]["pid"] for e in d.events())
    assert kept == sorted(pids[:3])
    assert "spool_max_events" in d.log()
