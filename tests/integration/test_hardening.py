"""What runs runs with the least it needs: the shim leaves a program alone
when told to (BOOBOO_DISABLE), the uploader is a process without
privileges that can settle only the event it was given, and
boobood.service's sandbox and capabilities are each needed and enough."""
import os
import pwd
import re
import shutil
import signal
import subprocess
import tempfile

import pytest

from conftest import BUILD, DAEMON, children_of, listening, run_shim, shim_env, wait_for
from test_privilege_separation import NOBODY, public  # noqa: F401 (a fixture)


@pytest.mark.parametrize("disabled", [False, True])
def test_booboo_disable_leaves_the_programs_state_alone(programs, tmp_path, disabled):
    """With BOOBOO_DISABLE the shim makes no thread key, so the program's
    first key is key 0, and booboo_set_request must not write to it; nor
    is pthread_create wrapped (a new thread gets no alternate stack)."""
    prog = programs.build("disabled.c")
    env = {"BOOBOO_DISABLE": "1"} if disabled else {}
    res, _ = run_shim(prog, sock=str(tmp_path / "none.sock"), env=env)
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    assert lines[0].endswith(" kept"), lines
    if disabled:
        assert lines[0] == "key 0 kept"
    assert lines[1] == "thread altstack " + ("none" if disabled else "yes")


# ---- the uploader: a process of its own, without privileges -------------------------

def uploader_of(daemon):
    """The pid of the daemon's boobood-uploader, or None."""
    return next(iter(children_of(daemon, "boobood-uploader")), None)


def status_of(pid):
    with open(f"/proc/{pid}/status") as f:
        return dict(line.rstrip("\n").split(":\t", 1) for line in f if ":\t" in line)


def uploader_user():
    for name in ("booboo", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise AssertionError("no user for the uploader")


def test_uploader_has_no_privileges_and_the_spool_stays_roots(programs, make_daemon, ingest):
    d = make_daemon(dsn=f"http://tok12345@127.0.0.1:{ingest.port}/p")
    _, pid = run_shim(programs.build("crash_null.c"), sock=d.socket)
    assert wait_for(lambda: ingest.events, 15), d.log()
    up = uploader_of(d)
    assert up, d.log()
    st, pw = status_of(up), uploader_user()
    assert st["Uid"].split() == [str(pw.pw_uid)] * 4
    assert st["Gid"].split() == [str(pw.pw_gid)] * 4
    assert st["Groups"].strip() == ""
    for caps in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"):
        assert int(st[caps], 16) == 0, (caps, st[caps])
    assert st["NoNewPrivs"] == "1" and st["Seccomp"] == "2"
    assert os.stat(f"/proc/{up}/mem").st_uid == 0  # not dumpable: its own user cannot attach
    # what it sent was read through a descriptor: the spool is root's alone
    sent = wait_for(lambda: d.event_files("sent"), 10)    # moved once the uploader says so
    assert sent, d.log()
    for path in sent + [os.path.join(d.spool, "sent")]:
        s = os.stat(path)
        assert s.st_uid == 0 and s.st_mode & 0o077 == 0, (path, oct(s.st_mode))
    assert "handshake with" in d.log() and "connected" in d.log()


def test_an_uploader_that_dies_is_started_again(programs, make_daemon, ingest):
    d = make_daemon(dsn=f"http://tok12345@127.0.0.1:{ingest.port}/p")
    first = wait_for(lambda: uploader_of(d), 10)
    assert first, d.log()
    os.kill(first, signal.SIGKILL)
    assert wait_for(lambda: "the uploader (pid %d) " % first in d.log(), 10), d.log()
    assert wait_for(lambda: (uploader_of(d) or first) != first, 10), d.log()
    _, pid = run_shim(programs.build("crash_null.c"), sock=d.socket)
    assert wait_for(lambda: any(e["context"]["process"]["pid"] == pid for e in ingest.events),
                    15), d.log()


FAKE_UPLOADER = r'''#!/usr/bin/python3
# A compromised uploader: it tries the spool itself, then claims another
# event than the one it was given was sent.
import os, socket, struct
FMT = "<IIii48s512s256s"
report = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "report"), "a")
s = socket.socket(fileno=3)
def send(t, id=b"", outcome=0):
    s.send(struct.pack(FMT, 0x55424242, t, outcome, 200, id, b"", b"ok"))
def recv():
    msg, anc, _, _ = s.recvmsg(struct.calcsize(FMT), socket.CMSG_SPACE(4))
    fds = [struct.unpack("i", data[:4])[0] for _, _, data in anc]
    return struct.unpack(FMT, msg), fds
recv()                                          # the configuration
while True:
    send(2)                                     # NEXT
    msg, fds = recv()
    if msg[1] == 3:                             # EVENT
        break
    while recv()[0][1] != 5:                    # NONE: until WAKE
        pass
report.write("given %s fds %d\n" % (msg[4].rstrip(b"\0").decode(), len(fds)))
try:
    os.listdir(SPOOL + "/pending")
    report.write("spool readable\n")
except OSError as e:
    report.write("spool: %s\n" % e.strerror)
report.flush()
send(7, b"20200101-000000-000000-00000000-00000000")   # RESULT for another event: SENT
s.recv(4096)                                    # until the root part hangs up
'''


def test_an_uploader_can_only_settle_the_event_it_was_given(programs, make_daemon, ingest,
                                                            tmp_path):
    """The root part trusts the uploader with one event at a time: a
    result for any other is refused, the uploader ended and started again,
    the event stays pending; and the spool itself is closed to it."""
    bindir = tempfile.mkdtemp(prefix="booboo-fake-")
    os.chmod(bindir, 0o777)
    shutil.copy(DAEMON, os.path.join(bindir, "boobood"))
    os.symlink(os.path.join(os.path.dirname(DAEMON), "boobood-worker"),
               os.path.join(bindir, "boobood-worker"))
    d = make_daemon(dsn=f"http://tok12345@127.0.0.1:{ingest.port}/p", start=False)
    fake = os.path.join(bindir, "boobood-uploader")
    with open(fake, "w") as f:
        f.write(FAKE_UPLOADER.replace("SPOOL", repr(d.spool)))
    os.chmod(fake, 0o755)
    d.logf = open(d.log_path, "ab")
    try:
        d.proc = subprocess.Popen([os.path.join(bindir, "boobood"), "--foreground", "--debug",
                                   "--config", d.config], stdout=d.logf, stderr=d.logf)
        assert wait_for(lambda: listening(d.socket), 10), d.log()
        _, pid = run_shim(programs.build("crash_null.c"), sock=d.socket)
        report = os.path.join(bindir, "report")
        assert wait_for(lambda: "answered for an event it was not given" in d.log(), 15), d.log()
        text = open(report).read()
        assert "fds 1" in text and "spool: Permission denied" in text, text
        assert len(d.event_files("pending")) == 1 and not d.event_files("sent")
        assert not ingest.events
    finally:
        d.stop()
        shutil.rmtree(bindir, ignore_errors=True)


# ---- boobood.service ------------------------------------------------------------------

UNIT = os.path.join(BUILD, "daemon", "boobood.service")


def unit_setting(key):
    with open(UNIT) as f:
        return [l.split("=", 1)[1].strip() for l in f if l.startswith(key + "=")]


def test_service_exposure_is_at_most_4():
    p = subprocess.run(["systemd-analyze", "security", "--offline=yes", UNIT],
                       capture_output=True, text=True)
    m = re.search(r"Overall exposure level for boobood.service: (\d+\.\d+)", p.stdout)
    assert m, p.stdout + p.stderr
    assert float(m.group(1)) <= 4.0, p.stdout


def service_caps():
    (caps,) = unit_setting("CapabilityBoundingSet")
    return [c[len("CAP_"):].lower() for c in caps.split()]


def under_caps(caps):
    """What runs the daemon with only these capabilities, as the unit does."""
    return ["setpriv", "--bounding-set=" + ",".join(["-all"] + ["+" + c for c in caps]),
            "--inh-caps=-all", "--no-new-privs"]


UPGRADED = r'''
#include <signal.h>
#include <unistd.h>
static volatile sig_atomic_t go;
static void on_usr1(int s) { (void)s; go = 1; }
__attribute__((noinline)) static void NAME(volatile int *p) { *p = 1; }
int main(void) { signal(SIGUSR1, on_usr1); write(1, "ready\n", 6); while (!go) pause(); NAME(0); return 0; }
'''


def run_as_nobody(prog, env, upgrade=None):
    """Run prog (UPGRADED) as nobody, put `upgrade` in its place while it
    runs, make it crash; its pid."""
    p = subprocess.Popen(["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups",
                          prog], env=env, stdout=subprocess.PIPE)
    assert p.stdout.readline() == b"ready\n"
    if upgrade:
        os.rename(upgrade, prog)
    p.send_signal(signal.SIGUSR1)
    assert p.wait(10) == -signal.SIGSEGV
    return p.pid


def nobodys_upgraded_crash(make_daemon, public, wrap):
    """nobody's program, upgraded on disk while it runs, crashes: what of
    a full report the daemon under `wrap` could make."""
    d = make_daemon(f"drop_dir = {public}/drops\n",
                    socket_path=os.path.join(public, "booboo.sock"), wrap=wrap)
    prog, src = os.path.join(public, "app"), os.path.join(public, "app.c")
    for name, out in (("version_one_crash", prog), ("version_two_other", prog + ".new")):
        with open(src, "w") as f:
            f.write(UPGRADED.replace("NAME", name))
        subprocess.run(["gcc", "-g", "-O0", "-o", out, src], check=True)
        os.chmod(out, 0o755)
    env = shim_env(d.socket, {"LD_PRELOAD": os.path.join(public, "libbooboo-shim.so"),
                              "BOOBOO_DROP_DIR": os.path.join(public, "drops")})
    shutil.copy(prog, prog + ".run")
    os.chmod(prog + ".run", 0o755)
    pid = run_as_nobody(prog + ".run", env, upgrade=prog + ".new")
    ev = wait_for(lambda: next((e for e in d.events() if e["context"]["process"]["pid"] == pid),
                               None), 10)
    cache = os.path.join(d.tmp, "cache", str(NOBODY))
    return {
        "reported": ev is not None and "drop" not in ev["context"],   # live, not from a drop
        "full": ev is not None and "degraded" not in ev["context"],
        "as_mapped": ev is not None and "version_one_crash" in
        [f["function"] for f in ev["stacktrace"]],
        "cache": os.path.isdir(cache) and os.stat(cache).st_uid == NOBODY,
        "drop": nobodys_drop_reported(d, public, wrap, env),
    }


def nobodys_drop_reported(d, public, wrap, env):
    """nobody's crash while no daemon runs (a drop, mode 0600, nobody's):
    is it reported when the daemon under `wrap` starts again?"""
    d.stop()
    run_as_nobody(os.path.join(public, "app"), env)
    d.start(None, wrap)
    return bool(wait_for(lambda: any(e["context"].get("drop") for e in d.events()), 10))


def test_the_services_capabilities_are_enough(make_daemon, public):
    """With exactly the unit's bounding set and no_new_privs, another
    user's crash gets its full report: its worker started as that user,
    its program named by the kernel, the file it had mapped read through
    map_files, that user's debuginfod cache made theirs; and their crash
    while no daemon ran is read from their drop."""
    facts = nobodys_upgraded_crash(make_daemon, public, under_caps(service_caps()))
    assert facts == {"reported": True, "full": True, "as_mapped": True, "cache": True,
                     "drop": True}, facts


# What each capability of the unit is for: without it, what is lost.
NEEDED_FOR = {
    "setuid": "full",                   # the worker cannot become the user
    "setgid": "full",
    "setpcap": "full",                  # nor drop its bounding set and securebits
    "sys_ptrace": "full",               # nor root read another user's /proc/PID/exe
    "kill": "reported",                 # a signal (even 0) to another user's process
    "checkpoint_restore": "as_mapped",  # /proc/PID/map_files
    "dac_read_search": "drop",          # another user's drop, mode 0600; and
                                        # their map_files directory, mode 0500
    "chown": "cache",                   # cache_dir/UID given to its user
}


@pytest.mark.parametrize("cap", sorted(NEEDED_FOR))
def test_each_capability_of_the_service_is_needed(make_daemon, public, cap):
    assert sorted(NEEDED_FOR) == sorted(service_caps())
    facts = nobodys_upgraded_crash(make_daemon, public,
                                   under_caps([c for c in service_caps() if c != cap]))
    assert not facts[NEEDED_FOR[cap]], facts
