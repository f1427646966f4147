"""A local user gains nothing from the root daemon: the attacks of the
security review, each reproduced against a root boobood by an
unprivileged user (nobody), and the watchdog that keeps a hung or crashed
worker from costing anyone but its own user a detailed report."""
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import pytest

from conftest import (CLI, HERE, PROGRAMS, ROOT, SHIM, children_of, crash_in_secret_file, run_shim,
                      secret_file, wait_for)
from test_intake import KIND_CRASH, record, send

NOBODY = pwd.getpwnam("nobody").pw_uid


@pytest.fixture
def public(tmp_path):
    """A directory nobody can enter: its programs, its shim, the socket."""
    d = tempfile.mkdtemp(prefix="booboo-priv-")
    os.chmod(d, 0o755)
    shutil.copy(SHIM, os.path.join(d, "libbooboo-shim.so"))
    os.chmod(os.path.join(d, "libbooboo-shim.so"), 0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)


def compile_c(out, source, *flags):
    subprocess.run(["gcc", "-g", "-O0", *flags, "-o", out, os.path.join(PROGRAMS, source)],
                   check=True)
    os.chmod(out, 0o755)
    return out


def as_nobody(*cmd, env=None, timeout=30):
    return subprocess.run(["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups",
                           *cmd], capture_output=True, text=True, env=env, timeout=timeout)


def workers_of(daemon):
    """{pid: uid} of the daemon's worker processes."""
    return children_of(daemon, "boobood-worker")


def everything_said(daemon):
    return json.dumps(daemon.events()) + daemon.log()


# ---- finding 1: the rights a report is made with -------------------------------------------

def test_exec_after_the_record_reads_nothing_as_the_new_program(make_daemon, public):
    """The review's attack: nobody sends a crash record with its own /proc
    descriptors, keeps the old memory alive in a CLONE_VM child and execs a
    setuid-root program; the debug info of the function in the record names
    a file only root may read.  Nothing of it may appear anywhere, and the
    daemon must not take the new program for the sender.  (nobody's worker
    is stopped until the exec is done: the attacker's race, won for sure.)"""
    d = make_daemon("hold_timeout_ms = 10000\n", socket_path=os.path.join(public, "booboo.sock"))
    secret, marker = secret_file(public)
    attack = compile_c(os.path.join(public, "attack"), "exec_after_record.c",
                       f'-DSECRET_PATH="{secret}"', "-I" + os.path.join(ROOT, "common"))
    setuid = compile_c(os.path.join(public, "sleeper"), "sleeper.c")
    os.chmod(setuid, 0o4755)
    crash = compile_c(os.path.join(public, "crash"), "crash_null.c")
    run_shim(crash, sock=d.socket, user="nobody",
             env={"LD_PRELOAD": os.path.join(public, "libbooboo-shim.so")})
    worker = next(pid for pid, uid in workers_of(d).items() if uid == NOBODY)
    os.kill(worker, signal.SIGSTOP)
    p = subprocess.Popen(["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups",
                          attack, d.socket, setuid])
    try:
        assert wait_for(lambda: os.readlink(f"/proc/{p.pid}/exe") == setuid, 5)
    finally:
        os.kill(worker, signal.SIGCONT)
    assert p.wait(10) == 0                           # the setuid program ran to its end
    assert wait_for(lambda: "exec'd" in d.log(), 10), d.log()
    time.sleep(0.5)
    assert marker not in everything_said(d)
    assert not any(e["context"]["process"].get("exe") == setuid for e in d.events())
    assert len(d.events()) == 1                      # the warm-up crash only


def test_debug_info_naming_a_root_file_gets_nothing_from_it(make_daemon, public):
    """The same function crashing for real, as nobody: the event names the
    file (its debug info does) but holds no line of it; run by root, the
    same program's report has the lines, so the rights are what decides."""
    d = make_daemon(socket_path=os.path.join(public, "booboo.sock"))
    prog, secret, marker = crash_in_secret_file(public)
    res, pid = run_shim(prog, sock=d.socket, user="nobody",
                        env={"LD_PRELOAD": os.path.join(public, "libbooboo-shim.so")})
    assert res.returncode == -signal.SIGSEGV
    ev = d.event_for_pid(pid)
    top = ev["stacktrace"][-1]
    assert top["filename"] == secret and top["lineno"] == 1
    assert marker not in everything_said(d)
    res, pid = run_shim(prog, sock=d.socket)
    assert marker in d.event_for_pid(pid)["stacktrace"][-1]["context_line"]


def test_a_thread_that_is_not_the_senders_is_refused(make_daemon, programs):
    """A record from our own process naming init's thread: the daemon must
    not stop or read pid 1's threads on our behalf."""
    d = make_daemon()
    mem = os.open("/proc/self/mem", os.O_RDONLY)
    maps = os.open("/proc/self/maps", os.O_RDONLY)
    try:
        ack = send(d.socket, record(kind=KIND_CRASH, signo=11, level=b"", tid=1), [mem, maps])
    finally:
        os.close(mem)
        os.close(maps)
    assert ack[4:8] != b"\0\0\0\0"
    assert wait_for(lambda: "not one of its sender's" in d.log(), 5), d.log()
    assert d.events() == []


def test_program_name_and_exe_come_from_the_kernel(make_daemon, programs):
    """A record names any exe and a process sets its own comm: neither is
    believed; the kernel's /proc/PID/exe of the pinned process is."""
    d = make_daemon()
    send(d.socket, record(message=b"forged exe", exe=b"/usr/sbin/sshd"))
    ev = d.wait_event(lambda e: e["message"] == "forged exe")
    assert ev["context"]["process"]["exe"] == os.path.realpath(sys.executable)
    assert ev["context"]["process"]["name"] == os.path.basename(os.path.realpath(sys.executable))
    prog = programs.build("renamed.c")
    res, pid = run_shim(prog, sock=d.socket)
    assert res.returncode == -signal.SIGSEGV
    proc = d.event_for_pid(pid)["context"]["process"]
    assert proc["exe"] == prog and proc["name"] == os.path.basename(prog)


# ---- findings 6: one user cannot use up what others need --------------------------------

SENDER = r"""
import sys
sys.path.insert(0, sys.argv[1])
from test_intake import record, send
for i in range(int(sys.argv[3])):
    send(sys.argv[2], record(message=f"flood {i}".encode()))
"""


def test_a_user_filling_the_spool_leaves_room_for_others(make_daemon, programs, public):
    d = make_daemon("uid_spool_max_events = 5\nuid_messages_per_minute = 1000\n",
                    socket_path=os.path.join(public, "booboo.sock"))
    res = as_nobody(sys.executable, "-c", SENDER, HERE, d.socket, "40")
    assert res.returncode == 0, res.stderr
    assert wait_for(lambda: sum(e["message"].startswith("flood") for e in d.events()) == 5, 10)
    prog = programs.build("crash_null.c")
    res, pid = run_shim(prog, sock=d.socket)                # root's crash still goes in
    assert d.event_for_pid(pid)["exception_type"] == "SIGSEGV"

    def status():
        with open(os.path.join(d.spool, "status.json")) as f:
            return json.load(f)["users"]
    assert wait_for(lambda: status().get(str(NOBODY), {}).get("refused_spool_full") == 35, 10), \
        status()
    assert status()[str(NOBODY)]["pending_events"] == 5
    out = subprocess.run([CLI, "-c", d.config, "status"], capture_output=True, text=True).stdout
    line = next(l for l in out.splitlines() if l.startswith(f"uid {NOBODY} "))
    assert "5 pending" in line and "35 spool full" in line, out
    time.sleep(0.2)
    assert sum(e["message"].startswith("flood") for e in d.events()) == 5


def test_message_rate_per_user(make_daemon, public):
    d = make_daemon("uid_messages_per_minute = 10\n",
                    socket_path=os.path.join(public, "booboo.sock"))
    res = as_nobody(sys.executable, "-c", SENDER, HERE, d.socket, "30")
    assert res.returncode == 0, res.stderr
    time.sleep(1)
    assert sum(e["message"].startswith("flood") for e in d.events()) == 10
    send(d.socket, record(message=b"root still heard"))   # another user's bucket
    d.wait_event(lambda e: e["message"] == "root still heard")


def test_idle_connections_of_one_user_do_not_hold_up_another(make_daemon, programs, public):
    """nobody opens 300 connections and says nothing: its own limit takes
    the excess, and root's crash is held no longer than usual."""
    d = make_daemon("uid_max_connections = 8\n", socket_path=os.path.join(public, "booboo.sock"))
    prog = programs.build("crash_null.c")
    base = []
    for _ in range(3):
        t = time.monotonic()
        res, pid = run_shim(prog, sock=d.socket)
        base.append(time.monotonic() - t)
        d.event_for_pid(pid)
    idle = subprocess.Popen(["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}",
                             "--clear-groups", sys.executable, "-c", r"""
import socket, sys, time
held = []
for _ in range(300):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        s.connect(sys.argv[1])
        held.append(s)
    except OSError:
        pass
print(len(held), flush=True)
time.sleep(30)
""", d.socket], stdout=subprocess.PIPE, text=True)
    try:
        assert int(idle.stdout.readline()) > 0
        t = time.monotonic()
        res, pid = run_shim(prog, sock=d.socket)
        took = time.monotonic() - t
        assert res.returncode == -signal.SIGSEGV
        assert d.event_for_pid(pid)["exception_type"] == "SIGSEGV"
        assert took < max(base) + 0.5, (took, base)
        assert wait_for(lambda: "uid_max_connections" in d.log(), 5)
    finally:
        idle.kill()
        idle.wait()


# ---- findings 2-3 and the watchdog: what a worker can break is its own report ---------------

class Silent:
    """A debuginfod that takes connections and never answers."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"


@pytest.fixture
def silent_debuginfod():
    srv = Silent()
    yield srv
    srv.sock.close()


def no_debug_info_anywhere(tmp_path):
    """deep_report.c with a build-id nobody has and no DWARF: the worker
    asks debuginfod for it."""
    prog = str(tmp_path / "deep_report")
    subprocess.run(["gcc", "-g0", "-O0", f"-Wl,--build-id=0x{os.urandom(20).hex()}", "-o", prog,
                    os.path.join(PROGRAMS, "deep_report.c")], check=True)
    return prog


def check_degraded(ev, prog, why):
    assert why in ev["context"]["degraded"]["reason"], ev["context"]["degraded"]
    assert ev["exception_type"] == "SIGSEGV"
    assert ev["message"].startswith("SIGSEGV: invalid write at 0x0"), ev["message"]
    # frames as addresses, in their modules, the crash site last
    top = ev["stacktrace"][-1]
    assert top["module"] == prog and top["instruction_addr"].startswith("0x")
    assert len(ev["stacktrace"]) >= 3
    assert ev["context"]["process"]["exe"] == prog


def still_reports(d, programs):
    """The next crash gets its full report."""
    prog = programs.build("crash_null.c")
    res, pid = run_shim(prog, sock=d.socket)
    ev = d.event_for_pid(pid)
    assert "degraded" not in ev["context"], ev["context"]["degraded"]
    top = ev["stacktrace"][-1]
    assert (top["function"], top["lineno"]) == ("credit", 13), top


def test_a_report_taking_too_long_is_killed_and_sent_degraded(make_daemon, programs, tmp_path,
                                                              silent_debuginfod):
    d = make_daemon("worker_timeout_ms = 1500\n",
                    env={"DEBUGINFOD_URLS": silent_debuginfod.url, "DEBUGINFOD_TIMEOUT": "60"})
    prog = no_debug_info_anywhere(tmp_path)
    t = time.monotonic()
    res, pid = run_shim(prog, sock=d.socket)
    assert res.returncode == -signal.SIGSEGV and time.monotonic() - t < 1.5
    ev = d.event_for_pid(pid, timeout=15)
    check_degraded(ev, prog, "worker_timeout_ms")
    still_reports(d, programs)


def test_a_worker_that_dies_mid_report_costs_only_detail(make_daemon, programs, tmp_path,
                                                         silent_debuginfod):
    d = make_daemon(env={"DEBUGINFOD_URLS": silent_debuginfod.url, "DEBUGINFOD_TIMEOUT": "60"})
    prog = no_debug_info_anywhere(tmp_path)
    res, pid = run_shim(prog, sock=d.socket)
    assert res.returncode == -signal.SIGSEGV
    assert wait_for(lambda: f"pid {pid}, uid 0): held" in d.log(), 5), d.log()
    for w in workers_of(d):
        os.kill(w, signal.SIGKILL)
    ev = d.event_for_pid(pid, timeout=10)
    check_degraded(ev, prog, "signal 9")
    still_reports(d, programs)


def test_a_capture_that_hangs_releases_the_process_on_time(make_daemon, programs):
    """A worker that stops answering while the process is held (a read of
    memory backed by a hung FUSE file, say): the process goes at
    hold_timeout_ms, the worker is killed, the crash is reported
    degraded, and the next crash is served by a new worker."""
    d = make_daemon("hold_timeout_ms = 700\n")
    assert wait_for(lambda: workers_of(d), 5)
    for w in workers_of(d):
        os.kill(w, signal.SIGSTOP)
    prog = programs.build("crash_null.c")
    t = time.monotonic()
    res, pid = run_shim(prog, sock=d.socket)
    assert res.returncode == -signal.SIGSEGV
    assert 0.6 < time.monotonic() - t < 1.6
    ev = d.event_for_pid(pid, timeout=10)
    assert "capture hung" in ev["context"]["degraded"]["reason"]
    assert ev["stacktrace"][-1]["instruction_addr"] == ev["context"]["registers"]["rip"]
    still_reports(d, programs)


def test_a_fifo_where_debug_info_is_looked_for_never_blocks(make_daemon, programs, tmp_path):
    """A stripped binary whose .gnu_debuglink names a FIFO beside it and in
    .debug/: opening one for reading would block until a writer came."""
    src = os.path.join(PROGRAMS, "crash_null.c")
    full, prog = str(tmp_path / "full"), str(tmp_path / "app")
    subprocess.run(["gcc", "-g", "-O0", "-o", full, src], check=True)
    subprocess.run(["objcopy", "--strip-debug", f"--add-gnu-debuglink={full}", full, prog],
                   check=True)
    os.unlink(full)
    os.mkfifo(full)                                   # the debuglink's name, beside it
    os.makedirs(tmp_path / ".debug")
    os.mkfifo(tmp_path / ".debug" / "full")
    d = make_daemon()
    t = time.monotonic()
    res, pid = run_shim(prog, sock=d.socket)
    ev = d.event_for_pid(pid, timeout=10)
    assert time.monotonic() - t < 5
    assert "degraded" not in ev["context"]
    assert ev["stacktrace"][-1]["function"] == "credit"   # from the symbol table
    still_reports(d, programs)


def test_before_send_inherits_no_descriptor(make_daemon, programs, public):
    """before_send runs from the root part, which holds no file a worker
    opened and hands it nothing but its three pipes."""
    import pathlib
    script = pathlib.Path(public) / "fds.py"
    script.write_text("#!/usr/bin/python3\nimport json, os, sys\nev = json.load(sys.stdin)\n"
                      "ev['tags']['fds'] = ','.join(sorted(os.listdir('/proc/self/fd')))\n"
                      "json.dump(ev, sys.stdout)\n")
    os.chmod(script, 0o755)
    d = make_daemon(f"before_send = {script}\n")
    prog = programs.build("crash_null.c")
    res, pid = run_shim(prog, sock=d.socket)
    fds = d.event_for_pid(pid)["tags"]["fds"].split(",")
    assert fds == ["0", "1", "2", "3"], fds          # 3: listdir's own


def test_sigterm_is_obeyed_while_a_worker_hangs(make_daemon, tmp_path, silent_debuginfod):
    """A report stuck in a debuginfod that never answers (the review's
    wedged daemon ignored SIGTERM): the daemon still stops within its
    bound, and the crash it was working on is reported degraded."""
    d = make_daemon(env={"DEBUGINFOD_URLS": silent_debuginfod.url, "DEBUGINFOD_TIMEOUT": "60"})
    prog = no_debug_info_anywhere(tmp_path)
    res, pid = run_shim(prog, sock=d.socket)
    assert wait_for(lambda: f"pid {pid}, uid 0): held" in d.log(), 5), d.log()
    t = time.monotonic()
    assert d.stop() == 0
    assert time.monotonic() - t < 15
    ev = d.event_for_pid(pid, timeout=1)
    assert "boobood stopped" in ev["context"]["degraded"]["reason"]


def test_the_socket_names_the_running_daemon(tmp_path):
    """In the background, boobood listens after it forked: SO_PEERCRED of
    its socket (which the shim names its ptracer) is the daemon's own pid,
    not that of the parent that exited."""
    from conftest import DAEMON
    conf = tmp_path / "booboo.conf"
    sock = str(tmp_path / "booboo.sock")
    conf.write_text(f"socket = {sock}\nspool_dir = {tmp_path / 'spool'}\n"
                    f"cache_dir = {tmp_path / 'cache'}\n")
    starter = subprocess.run([DAEMON, "-c", str(conf)], capture_output=True, text=True, timeout=10)
    assert starter.returncode == 0, starter.stderr
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect(sock)
    import struct
    pid, uid, gid = struct.unpack("3i", s.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12))
    s.close()
    try:
        assert os.readlink(f"/proc/{pid}/exe").endswith("/boobood")
        with open(f"/proc/{pid}/stat") as f:
            assert f.read().split(")")[1].split()[0] != "Z"    # alive, not the exited parent
    finally:
        os.kill(pid, signal.SIGTERM)
    assert wait_for(lambda: not os.path.exists(f"/proc/{pid}"), 15)


def test_a_start_up_error_in_the_background_reaches_the_terminal(tmp_path):
    """The parent waits for the child's word: an error after the fork (here
    a socket path that cannot be made) is printed and the status says so."""
    from conftest import DAEMON
    conf = tmp_path / "booboo.conf"
    conf.write_text(f"socket = /proc/booboo/booboo.sock\nspool_dir = {tmp_path / 'spool'}\n")
    r = subprocess.run([DAEMON, "-c", str(conf)], capture_output=True, text=True, timeout=10)
    assert r.returncode == 1 and "/proc/booboo/booboo.sock" in r.stderr, r


def test_a_storm_of_one_users_crashes_is_all_reported(make_daemon, programs):
    """48 processes of one user crash at the same instant: one worker takes
    them one capture at a time, and every one is reported, none twice
    (not grouped here: each report is looked at)."""
    d = make_daemon("group_burst = 100\nhold_timeout_ms = 10000\n")
    prog = programs.build("storm.c")
    res = run_shim(prog, "48", sock=d.socket, timeout=60)[0]
    assert res.stdout.strip() == "48", res.stderr
    assert wait_for(lambda: len(d.events()) >= 48, 30), (len(d.events()), d.log())
    time.sleep(0.5)
    evs = d.events()
    assert len(evs) == 48 and len({e["context"]["process"]["pid"] for e in evs}) == 48
    assert all("degraded" not in e["context"] for e in evs)
    assert all(e["stacktrace"][-1]["function"] == "crash_in_child" for e in evs)


def test_a_worker_has_its_users_groups_and_no_other(make_daemon, public):
    """nobody, in 300 supplementary groups (more than a worker keeps): its
    worker has some of those groups, nobody's ids, and never root's group."""
    d = make_daemon(socket_path=os.path.join(public, "booboo.sock"))
    crash = compile_c(os.path.join(public, "crash"), "crash_null.c")
    groups = ",".join(str(g) for g in range(20000, 20300))
    r = subprocess.run(["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", f"--groups={groups}",
                        "env", "LD_PRELOAD=" + os.path.join(public, "libbooboo-shim.so"),
                        f"BOOBOO_SOCKET={d.socket}", crash], capture_output=True)
    assert r.returncode == -signal.SIGSEGV
    d.wait_event()
    worker = next(pid for pid, uid in workers_of(d).items() if uid == NOBODY)
    with open(f"/proc/{worker}/status") as f:
        status = dict(l.split(":", 1) for l in f if ":" in l)
    ids = [int(g) for g in status["Groups"].split()]
    assert ids and set(ids) <= set(range(20000, 20300)) and len(ids) <= 256, ids
    assert status["Uid"].split() == [str(NOBODY)] * 4 and status["Gid"].split() == [str(NOBODY)] * 4
    assert int(status["CapEff"], 16) == 0 and int(status["CapPrm"], 16) == 0
    assert status["NoNewPrivs"].strip() == "1" and status["Seccomp"].strip() == "2"
