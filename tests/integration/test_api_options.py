"""The parts test_options.py leaves thin: ignore_errors through a
user's own type hierarchy, scrubbing of argv and the environment, the
request per thread, linking through pkg-config, the API against a daemon
that never answers, `booboo status`/`booboo list` after every outcome, and
before_send run after the release and without a shell.  Real daemon, real
programs, real ingest."""
import json
import os
import re
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

from conftest import BUILD, CLI, SHIM, events_of, linked, python_script, run_shim, wait_for

IBAN = "DE89370400440532013000"
IBAN_RULE = r"scrub_value = [A-Z]{2}[0-9]{2}[A-Z0-9]{10,30} => [iban]"
SECRET = "s3cr3t-zz9"


def no_preload():
    return {"LD_PRELOAD": ""}


def status_json(d):
    try:
        with open(os.path.join(d.spool, "status.json")) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def cli(d, *args):
    return subprocess.run([CLI, "-c", d.config, *args], capture_output=True, text=True,
                          timeout=30)


def raw_spool_files(d):
    out = []
    for state in ("pending", "sent", "rejected"):
        for p in d.event_files(state):
            with open(p, "rb") as f:
                out.append(f.read())
    return out


# ---- 1. ignore_errors through a user type hierarchy --------------------------

def test_ignore_errors_user_type_hierarchy(programs, make_daemon, ingest):
    d = make_daemon("ignore_errors = shop::Timeout",
                    dsn=f"http://tok12345@127.0.0.1:{ingest.port}/p")
    prog = programs.build("ignore_tree.cpp")
    pids = {}
    for kind in ("timeout", "read", "other", "policy"):
        res, pids[kind] = run_shim(prog, kind, sock=d.socket)
        assert res.returncode == -signal.SIGABRT, (kind, res.stderr)
        assert f"throwing {kind}" in res.stdout
    # the unrelated types are reported: shop::Other, and shop::TimeoutPolicy
    # (a name that only starts like the ignored one)
    sent = ingest.wait(lambda i: len(i.accepted) >= 2 and i.accepted, 20)
    assert sent, d.log()
    by_type = {e["exception_type"]: e for e in sent}
    assert set(by_type) == {"shop::Other", "shop::TimeoutPolicy"}, (by_type.keys(), d.log())
    assert by_type["shop::Other"]["context"]["process"]["pid"] == pids["other"]
    assert by_type["shop::Other"]["message"].endswith("out of stock"), by_type["shop::Other"]
    # shop::Timeout itself and its subclass shop::ReadTimeout: ignored, counted
    assert wait_for(lambda: d.log().count("ignored (ignore_errors: shop::Timeout)") == 2, 10), \
        d.log()
    for kind in ("timeout", "read"):
        assert not events_of(d, pids[kind])
    assert wait_for(lambda: status_json(d).get("ignored") == 2, 10), status_json(d)
    time.sleep(0.3)
    assert not any(e["exception_type"] in ("shop::Timeout", "shop::ReadTimeout")
                   for e in ingest.events), "an ignored error left the machine"
    assert len(ingest.events) == 2
    out = cli(d, "status").stdout
    assert re.search(r"^ignored\s+2$", out, re.M), out


# ---- 2. scrub_value and sensitive flags on argv; no environment ----------

def test_argv_scrubbed_and_environment_never_sent(programs, make_daemon, ingest):
    d = make_daemon(IBAN_RULE, dsn=f"http://tok12345@127.0.0.1:{ingest.port}/p")
    prog = programs.build("argv_env.c")
    args = [IBAN, "pay=" + IBAN, "--password=hunter2", "--token", "tk-778899",
            "--user", "bob", "--API_KEY=k-5566"]
    res, pid = run_shim(prog, *args, sock=d.socket,
                        env={"BOOBOO_TEST_SECRET": SECRET, "SHOP_DB_URL": "postgres://u:pw@db"})
    assert res.returncode == -signal.SIGSEGV, res.stderr
    ev = d.event_for_pid(pid)
    argv = ev["context"]["process"]["argv"]
    assert argv[0] == prog
    assert argv[1:] == ["[iban]", "pay=[iban]", "--password=[filtered]", "--token", "[filtered]",
                        "--user", "bob", "--API_KEY=[filtered]"]
    # what arrives at the ingest, byte for byte, and what the spool keeps
    assert ingest.wait(lambda i: i.posts, 15), d.log()
    raws = [r["raw"] for r in ingest.posts] + raw_spool_files(d)
    assert len(raws) >= 2
    for raw in raws:
        for leak in (IBAN.encode(), b"hunter2", b"tk-778899", b"k-5566",
                     SECRET.encode(), b"BOOBOO_TEST_SECRET", b"postgres://u:pw@db",
                     b"SHOP_DB_URL"):
            assert leak not in raw, (leak, raw[:2000])
    assert "environ" not in json.dumps(ev["context"]["process"]).lower()


# ---- 3. the request is per thread, and cleared ----------------------------

def test_request_is_per_thread_and_cleared(programs, daemon):
    prog = linked(programs, "request_threads.c")
    res, pid = run_shim(prog, sock=daemon.socket, env=no_preload())
    assert res.returncode == 0, res.stderr
    for line in ("B rc=0", "A serving rc=0", "A message rc=0", "A cleared rc=0",
                 "A cleared message rc=0", "main rc=0", "still running"):
        assert line in res.stdout, res.stdout
    evs = wait_for(lambda: len(events_of(daemon, pid)) >= 6 and events_of(daemon, pid), 15)
    assert evs, (events_of(daemon, pid), daemon.log())
    by = {e["exception_type"] or e["message"]: e for e in evs}
    assert by["AServing"].get("request") == {"method": "PUT", "url": "/orders/7/pay"}
    assert by["A message while serving"].get("request") == {"method": "PUT",
                                                            "url": "/orders/7/pay"}
    # B captured while A's request was set: B serves none
    assert "request" not in by["BNoRequest"], by["BNoRequest"].get("request")
    assert by["BNoRequest"]["context"]["thread"]["tid"] != \
        by["AServing"]["context"]["thread"]["tid"]
    # after booboo_clear_request: none
    assert "request" not in by["ACleared"], by["ACleared"].get("request")
    assert "request" not in by["A message after clear"], by["A message after clear"]
    assert "request" not in by["MainNoRequest"], by["MainNoRequest"].get("request")


# ---- 4. linking through pkg-config ---------------------------------------------

def pc_dir():
    """The uninstalled .pc of the build the tested shim comes from (the ASan
    run takes the shim of the plain build)."""
    shim_build = os.path.dirname(os.path.dirname(SHIM))
    for b in (shim_build, BUILD):
        d = os.path.join(b, "meson-uninstalled")
        if os.path.exists(os.path.join(d, "booboo-uninstalled.pc")):
            return d
    pytest.fail(f"no meson-uninstalled/booboo-uninstalled.pc in {shim_build} or {BUILD}")


def test_linked_through_pkg_config(daemon, tmp_path):
    env = dict(os.environ, PKG_CONFIG_PATH=pc_dir())
    pc = subprocess.run(["pkg-config", "--cflags", "--libs", "booboo"], capture_output=True,
                        text=True, env=env)
    assert pc.returncode == 0, pc.stderr
    flags = pc.stdout.split()
    assert "-lbooboo-shim" in flags, flags
    prog = str(tmp_path / "pkgconfig_api")
    src = os.path.join(os.path.dirname(__file__), "programs", "pkgconfig_api.c")
    cc = subprocess.run(["gcc", "-g", "-O0", "-o", prog, src, *flags],
                        capture_output=True, text=True)
    assert cc.returncode == 0, cc.stderr
    needed = subprocess.run(["readelf", "-d", prog], capture_output=True, text=True).stdout
    assert "[libbooboo-shim.so]" in needed, needed
    res, pid = run_shim(prog, sock=daemon.socket,
                        env={"LD_PRELOAD": "", "LD_LIBRARY_PATH": os.path.dirname(SHIM)})
    assert res.returncode == 0, res.stderr
    assert "message rc=0" in res.stdout and "still running" in res.stdout, res.stdout
    ev = daemon.event_for_pid(pid)
    assert ev["message"] == "linked through pkg-config"
    assert ev["level"] == "warning"
    assert ev["tags"].get("built_with") == "pkg-config"
    assert ev["context"]["process"]["exe"] == prog


# ---- 5. a daemon that never answers; no daemon at all --------------------------

class SilentDaemon:
    """Listens where boobood would, of its socket type, accepts every
    connection, reads the record, and never answers."""

    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.sock.bind(path)
        self.sock.listen(16)
        self.conns, self.records = [], []
        self.stop = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        self.sock.settimeout(0.1)
        while not self.stop:
            try:
                c, _ = self.sock.accept()
            except (socket.timeout, OSError):
                continue
            self.conns.append(c)
            c.settimeout(2)
            try:
                self.records.append(len(c.recv(1 << 20)))
            except OSError:
                pass

    def close(self):
        self.stop = True
        self.thread.join(2)
        for c in self.conns:
            c.close()
        self.sock.close()


def call_times(stdout):
    got = {}
    for kind, rc, us in re.findall(r"^(error|message) rc=(-?\d+) us=(\d+)$", stdout, re.M):
        got[kind] = (int(rc), int(us) / 1e6)
    assert set(got) == {"error", "message"}, stdout
    return got


def api_failed_within(res, max_secs):
    """The program went on; capture_error and capture_message each
    returned -1 within max_secs.  Returns {kind: (rc, secs)}."""
    assert res.returncode == 0, res.stderr
    assert "still running" in res.stdout
    got = call_times(res.stdout)
    for kind in ("error", "message"):
        rc, secs = got[kind]
        assert rc == -1, (kind, res.stdout)
        assert secs <= max_secs, (kind, secs)
    return got


def test_api_against_a_daemon_that_never_answers(programs, tmp_path):
    hold_ms = 700
    path = str(tmp_path / "silent.sock")
    silent = SilentDaemon(path)
    try:
        prog = linked(programs, "api_timing.c")
        t = time.monotonic()
        res, _ = run_shim(prog, sock=path, timeout=30,
                          env={"LD_PRELOAD": "", "BOOBOO_HOLD_TIMEOUT_MS": str(hold_ms)})
        wall = time.monotonic() - t
    finally:
        silent.close()
    got = call_times(res.stdout)
    assert res.returncode == 0 and "still running" in res.stdout, res.stderr
    # capture_error waits for an answer, at most its bound, and says none came
    assert got["error"][0] == -1 and hold_ms / 1000 * 0.9 <= got["error"][1] <= hold_ms / 1000 + 0.3
    # capture_message never waits: the record is in the daemon's socket, taken
    assert got["message"] == (0, got["message"][1]) and got["message"][1] < 0.05, got
    assert wall < hold_ms / 1000 + 1.5
    # the silent daemon really was reached: both records arrived
    assert len(silent.records) == 2 and all(n > 0 for n in silent.records), silent.records


@pytest.mark.parametrize("where", ["missing", "stale"])
def test_api_with_no_daemon_returns_at_once(programs, tmp_path, where):
    path = str(tmp_path / "gone.sock")
    if where == "stale":              # a socket file nobody listens on any more
        s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        s.bind(path)
        s.close()
        assert os.path.exists(path)
    prog = linked(programs, "api_timing.c")
    res, _ = run_shim(prog, sock=path, env={"LD_PRELOAD": ""})
    api_failed_within(res, 0.05)


# ---- 6. booboo status and booboo list after every outcome ----------------------

def test_status_and_list_after_every_outcome(programs, make_daemon, ingest, open_tmp):
    bs = python_script(open_tmp, "drop-some", (
        "import json, sys\n"
        "ev = json.load(sys.stdin)\n"
        "if ev.get('message') != 'drop me':\n"
        "    json.dump(ev, sys.stdout)\n"))
    d = make_daemon(f"before_send = {bs}\nignore_errors = SIGFPE",
                    dsn=f"http://tok12345@127.0.0.1:{ingest.port}/p")
    assert ingest.wait(lambda i: i.handshakes, 10), d.log()

    def message(text):
        r = cli(d, "message", text)
        assert r.returncode == 0, (r.stdout, r.stderr)

    message("to be accepted")
    assert wait_for(lambda: len(d.event_files("sent")) == 1, 15), d.log()
    ingest.script(403)
    message("to be rejected")
    assert wait_for(lambda: len(d.event_files("rejected")) == 1, 15), d.log()
    message("drop me")
    res, _ = run_shim(programs.build("divzero.c"), sock=d.socket)
    assert res.returncode == -signal.SIGFPE
    assert wait_for(lambda: (lambda s: s.get("ignored") == 1 and
                             s.get("dropped_by_before_send") == 1 and
                             "403" in s.get("last_upload_error", ""))(status_json(d)), 15), \
        (status_json(d), d.log())
    assert [e["message"] for e in ingest.accepted] == ["to be accepted"]
    assert [e["message"] for e in ingest.events] == ["to be accepted", "to be rejected"]

    st = cli(d, "status")
    assert st.returncode == 0, st.stderr
    out = st.stdout
    assert re.search(r"^daemon\s+running", out, re.M), out
    assert re.search(r"^dsn\s+set, token ", out, re.M) and "tok12345" not in out, out
    assert re.search(r"^events\s+0 pending, 1 sent, 1 rejected$", out, re.M), out
    assert re.search(r"^ignored\s+1$", out, re.M), out
    assert re.search(r"^before_send\s+1 dropped, 0 failed", out, re.M), out
    assert re.search(r"^last error\s+.*HTTP 403: status 403", out, re.M), out

    lst = cli(d, "list")
    assert lst.returncode == 0, lst.stderr
    rows = [l for l in lst.stdout.splitlines()[1:] if l.strip()]
    assert len(rows) == 2, lst.stdout
    # TIME is "YYYY-MM-DDTHH:MM:SS" (one word): the state is the next column
    states = {msg: row.split()[1] for row in rows
              for msg in ("to be accepted", "to be rejected") if msg in row}
    assert states == {"to be accepted": "sent", "to be rejected": "rejected"}, lst.stdout
    assert "drop me" not in lst.stdout and "SIGFPE" not in lst.stdout


# ---- 7. before_send: after the release, without a shell -----------------------

def test_before_send_runs_after_the_process_was_released(programs, make_daemon, ingest,
                                                         open_tmp):
    bs = python_script(open_tmp, "slow", (
        "import json, sys, time\n"
        "ev = json.load(sys.stdin)\n"
        "time.sleep(2)\n"
        "ev['tags']['slow'] = 'done'\n"
        "json.dump(ev, sys.stdout)\n"))
    d = make_daemon(f"before_send = {bs}", dsn=f"http://tok12345@127.0.0.1:{ingest.port}/p")
    assert ingest.wait(lambda i: i.handshakes, 10), d.log()
    prog = programs.build("crash_null.c")
    t0 = time.monotonic()
    res, pid = run_shim(prog, sock=d.socket)
    t_exit = time.monotonic()
    assert res.returncode == -signal.SIGSEGV
    assert t_exit - t0 < 1.0, t_exit - t0           # not held through the 2 s before_send
    assert not ingest.events                         # the event is not out yet
    got = ingest.wait(lambda i: i.accepted, 15)
    assert got, d.log()
    ev = got[0]
    assert ev["context"]["process"]["pid"] == pid and ev["tags"]["slow"] == "done"
    arrived = ingest.posts[0]["time"]
    assert arrived - t_exit >= 1.5, arrived - t_exit


def test_before_send_value_is_one_path_not_a_command_line(programs, make_daemon, ingest,
                                                          open_tmp, tmp_path):
    """booboo.conf(5): before_send is the absolute path of a program, run
    without a shell: trailing words and ';' are part of the path."""
    marks = open_tmp / "marks"
    marks.mkdir()
    marks.chmod(0o777)
    body = ("import json, os, sys\n"
            "ev = json.load(sys.stdin)\n"
            f"open(os.path.join({str(marks)!r}, 'ran-' + os.path.basename(sys.argv[0])"
            ".replace(' ', '_').replace(';', '_')), 'w').write(json.dumps(sys.argv))\n"
            "ev['tags']['argv'] = json.dumps(sys.argv)\n"
            "json.dump(ev, sys.stdout)\n")
    python_script(open_tmp, "edit", body)
    pwned = marks / "PWNED"
    for sub in ("a", "b"):      # make_daemon(subdir=) writes the config before mkdir
        (tmp_path / sub).mkdir()
    # (a) a command line: no program has that whole name, so nothing runs
    d = make_daemon(f"before_send = {open_tmp}/edit --tag x; touch {pwned}",
                    dsn=f"http://tok12345@127.0.0.1:{ingest.port}/p", subdir="a")
    _, pid = run_shim(programs.build("crash_null.c"), sock=d.socket)
    assert wait_for(lambda: "not sent unmodified" in d.log(), 10), d.log()
    assert "exit status 127" in d.log(), d.log()
    assert wait_for(lambda: status_json(d).get("before_send_failures") == 1, 10), status_json(d)
    time.sleep(0.3)
    assert not pwned.exists(), "before_send went through a shell"
    assert not (marks / "ran-edit").exists(), "the first word was run as the program"
    assert ingest.events == [] and d.events() == []
    d.stop()
    # (b) a program whose file name has a blank and a ';': run as it is,
    # with no arguments
    odd = python_script(open_tmp, "edit x;touch PWNED", body)
    d2 = make_daemon(f"before_send = {odd}", dsn=f"http://tok12345@127.0.0.1:{ingest.port}/p",
                     subdir="b")
    _, pid = run_shim(programs.build("crash_null.c"), sock=d2.socket)
    got = ingest.wait(lambda i: i.accepted, 15)
    assert got, d2.log()
    assert json.loads(got[0]["tags"]["argv"]) == [str(odd)]
    assert (marks / "ran-edit_x_touch_PWNED").exists()
    assert not pwned.exists() and not Path("/PWNED").exists()
